#!/usr/bin/env node
// Minifies wasm-bindgen's JS glue, gadget.css and gadget.xml's inline scripts in
// the staged dist/ (run by post-build.sh on release builds) and updates the
// Subresource Integrity hashes in gadget.html. Trunk's own minifier fails on the
// glue; esbuild (npm, in unit_testing/tools) saves about a fifth of its gzip size.
// Only whitespace, comments and local names change: the import names the wasm
// calls are object keys, which a minifier never renames.
//   node unit_testing/dev/minify.mjs <staged dir>
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const [dir] = process.argv.slice(2);
const require = createRequire(new URL('../tools/package.json', import.meta.url));
const esbuild = require('esbuild');

const htmlFile = path.join(dir, 'gadget.html');
let html = fs.readFileSync(htmlFile, 'utf8');
for (const [name, loader] of [['ttecphone.js', 'js'], ['gadget.css', 'css']]) {
  const file = path.join(dir, 'assets', name);
  const source = fs.readFileSync(file, 'utf8');
  let { code } = esbuild.transformSync(source, { minify: true, loader, format: loader === 'js' ? 'esm' : undefined, target: 'es2020' });
  // V8's explicit compile hint: the whole glue is compiled while the module loads (off
  // the main thread, streamed) instead of function by function when first called. The
  // first call's answer otherwise compiled 30-odd glue functions on its critical path
  // (in-page INVITE -> 200 OK, first call: median 15 -> 13 ms over 18 loads each).
  if (loader === 'js') code = `//# allFunctionsCalledOnLoad\n${code}`;
  fs.writeFileSync(file, code);
  // gadget.html names the file with an integrity hash (Trunk's SRI): recompute it.
  const sri = `sha384-${crypto.createHash('sha384').update(code).digest('base64')}`;
  const pattern = new RegExp(`(<link\\b[^>]*href=["']?[^"'\\s>]*/assets/${name.replace('.', '\\.')}["']?[^>]*\\bintegrity=["']?)sha384-[A-Za-z0-9+/=]+`);
  const updated = html.replace(pattern, `$1${sri}`);
  if (updated === html && /integrity=/.test(html)) {
    console.error(`minify: could not update the integrity hash of assets/${name} in gadget.html`);
    process.exit(1);
  }
  html = updated;
  console.log(`minify: ${name} ${source.length} -> ${code.length} B`);
}
fs.writeFileSync(htmlFile, html);

// gadget.xml: its inline scripts (start-up, in Finesse's gadget iframe) lose their comments
// and whitespace too; the markup around them stays as written.
const xmlFile = path.join(dir, 'gadget.xml');
const xml = fs.readFileSync(xmlFile, 'utf8');
const small = xml.replace(/(<script\b([^>]*)>)([\s\S]*?)(<\/script>)/g, (all, open, attrs, body, close) => {
  if (!body.trim()) return all;
  const format = /type=["']?module/.test(attrs) ? 'esm' : undefined;
  const { code } = esbuild.transformSync(body, { minify: true, loader: 'js', format, target: 'es2020' });
  if (code.includes(']]>')) {
    console.error('minify: a gadget.xml script would end its CDATA section');
    process.exit(1);
  }
  return `${open}${code.trim()}${close}`;
});
fs.writeFileSync(xmlFile, small);
console.log(`minify: gadget.xml ${xml.length} -> ${small.length} B`);
