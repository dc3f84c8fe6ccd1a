// Bundles the two reference pages the way an application would ship them:
// one minified script each (esbuild), into build/ (not committed).
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'build');
fs.mkdirSync(out, { recursive: true });
for (const [name, title] of [['jssip', 'JsSIP'], ['sipjs', 'SIP.js']]) {
  await build({
    entryPoints: [path.join(here, 'refs', `${name}.js`)],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'chrome120',
    outfile: path.join(out, `${name}.js`),
    logLevel: 'warning',
  });
  const html = fs.readFileSync(path.join(here, 'refs', 'page.html'), 'utf8')
    .replaceAll('@@NAME@@', title).replaceAll('@@SCRIPT@@', `${name}.js`);
  fs.writeFileSync(path.join(out, `${name}.html`), html);
}
console.log(`reference pages built in ${path.relative(process.cwd(), out) || '.'}`);
