// Bundles the two reference pages the way an application would ship them:
// one minified script each (esbuild), into build/ (not committed).
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REFERENCES, REFS_BUILT as out } from './refs/clients.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
fs.mkdirSync(out, { recursive: true });
for (const [name, { label: title, gadgetName }] of Object.entries(REFERENCES)) {
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
  // The same phone as a Finesse gadget, for the like-with-like registration figure: the
  // mock Finesse renders it in the gadget container exactly as it renders ours. Its
  // script comes first, then Finesse's libraries (any Finesse phone gadget needs them
  // for the agent's credentials), as in our gadget.xml.
  const gadgetDir = path.join(out, `gadget-${name}`);
  fs.mkdirSync(gadgetDir, { recursive: true });
  fs.copyFileSync(path.join(out, `${name}.js`), path.join(gadgetDir, `${name}.js`));
  fs.writeFileSync(path.join(gadgetDir, 'gadget.xml'), `<?xml version="1.0" encoding="UTF-8"?>
<Module>
  <ModulePrefs title="${title} reference phone (benchmark)">
    <Require feature="pubsub-2"/>
  </ModulePrefs>
  <Content type="html">
    <![CDATA[
<!DOCTYPE html>
<p>${title} reference phone: registers and auto-answers (TTECPhone benchmark).</p>
<script>window.BENCH_QUERY = new gadgets.Prefs().getString("bench");</script>
<script src="/3rdpartygadget/files/${gadgetName}/${name}.js"></script>
<script src="/desktop/assets/js/jquery.min.js"></script>
<script src="/desktop/assets/js/finesse.js"></script>
    ]]>
  </Content>
</Module>
`);
}
console.log(`reference pages built in ${path.relative(process.cwd(), out) || '.'}`);
