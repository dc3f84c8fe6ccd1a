// Optional: parse Mermaid blocks with the real Mermaid parser (the one GitHub uses), in Node.
// Used by check_docs.py when --mermaid-modules DIR (or TTEC_MERMAID_MODULES) points at a
// node_modules folder holding `mermaid` (11.x) and `jsdom`:
//   npm install --prefix /tmp/mmd mermaid@11 jsdom@24
//   python3 unit_testing/docs/check_docs.py --mermaid-modules /tmp/mmd/node_modules
// Input: JSON array of diagram sources on stdin. Output: JSON array of null | "error text".
import { createRequire } from 'module';
import path from 'path';

const modules = process.argv[2];
const require = createRequire(path.join(modules, 'noop.js'));
const { JSDOM } = require('jsdom');
const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.DOMParser = dom.window.DOMParser;
globalThis.Element = dom.window.Element;
globalThis.HTMLElement = dom.window.HTMLElement;
const mermaidPath = require.resolve('mermaid');
const { default: mermaid } = await import(mermaidPath.replace(/[^/\\]+$/, 'mermaid.core.mjs'))
  .catch(() => import(mermaidPath));
mermaid.initialize({ startOnLoad: false });

let input = '';
for await (const chunk of process.stdin) input += chunk;
const out = [];
for (const src of JSON.parse(input)) {
  try { await mermaid.parse(src); out.push(null); }
  catch (e) { out.push(String((e && e.message) || e).split('\n').slice(0, 4).join(' | ')); }
}
process.stdout.write(JSON.stringify(out));
