// The two reference phones: their label and the folder their gadget is served from
// (/3rdpartygadget/files/<gadgetName>/), shared by build-refs.mjs and bench.mjs; and the
// static server of their built pages, shared by bench.mjs and timeline.mjs.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REFERENCES = {
  jssip: { label: 'JsSIP', gadgetName: 'JsSIP' },
  sipjs: { label: 'SIP.js', gadgetName: 'SIPjs' },
};

/** Where build-refs.mjs writes the bundled pages. */
export const REFS_BUILT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'build');

/** Static server for the reference pages (REFS_BUILT, made by build-refs.mjs). */
export function startRefServer() {
  const server = http.createServer((req, res) => {
    const name = path.basename(new URL(req.url, 'http://x').pathname);
    const file = path.join(REFS_BUILT, name);
    if (!/^[a-z]+\.(html|js)$/.test(name) || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': name.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8' });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    origin: `http://127.0.0.1:${server.address().port}`,
    stop: () => new Promise((r) => server.close(r)),
  })));
}
