#!/usr/bin/env node
// Gives the wasm's imports from its JS glue, and its closure exports, short names in
// both files (run by post-build.sh on release builds, before minify.mjs).
//
// wasm-bindgen names every import `__wbg_<method>_<16 hex digits>` and keys the
// glue's import object with the same names: about 300 of them, each written twice
// and, being hashes, barely compressible (about 5 KB of the wasm's gzip size and
// more of the glue's). Here each becomes a short key (`a`, `b`, … `aa`, …), and the
// import module "./ttecphone_bg.js" becomes "w". Only names that occur exactly once
// in the glue (as its key) are changed; anything else stops the build. The wasm's
// integrity hash in gadget.html is updated. The custom sections `producers` and
// `target_features` (tool metadata) are dropped.
//   node unit_testing/dev/short-imports.mjs <staged dir>
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const MODULE = './ttecphone_bg.js';
const SHORT_MODULE = 'w';
const DROPPED_SECTIONS = ['producers', 'target_features'];

const [dir] = process.argv.slice(2);
const wasmFile = path.join(dir, 'assets', 'ttecphone_bg.wasm');
const jsFile = path.join(dir, 'assets', 'ttecphone.js');
const htmlFile = path.join(dir, 'gadget.html');

function fail(message) {
  console.error(`short-imports: ${message}`);
  process.exit(1);
}

// ---- LEB128 and the wasm binary ---------------------------------------------------

function readU32(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    if (byte === undefined) fail('truncated LEB128');
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
}

function u32(value) {
  const out = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Buffer.from(out);
}

const text = (s) => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s)]);

/** The import descriptor starting at `at` (after its kind byte): its end offset. */
function skipDescriptor(bytes, kind, at) {
  const limits = (p) => {
    const flags = bytes[p++];
    [, p] = readU32(bytes, p);
    if (flags & 1) [, p] = readU32(bytes, p);
    return p;
  };
  switch (kind) {
    case 0x00: return readU32(bytes, at)[1]; // function: type index
    case 0x01: return limits(at + 1); // table: reference type, limits
    case 0x02: return limits(at); // memory: limits
    case 0x03: return at + 2; // global: value type, mutability
    case 0x04: return readU32(bytes, at + 1)[1]; // tag: attribute, type index
    default: return fail(`unknown import kind ${kind}`);
  }
}

/** Short, distinct JS identifiers: a..z A..Z, then two characters. */
function* shortNames() {
  const first = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const next = `${first}0123456789`;
  for (const c of first) yield c;
  for (const c of first) for (const d of next) yield c + d;
  fail('more imports than short names');
}

/**
 * The export section with wasm-bindgen's closure shims (`wasm_bindgen_<hash>___convert__
 * closures_____invoke___<types>`, up to 300 characters) named `x0`, `x1`, …; the glue
 * calls each of them once. Short exports (memory, main, __wbindgen_*) keep their names.
 */
const renamedExports = new Map();
function renameExports(start, end) {
  let [count, p] = readU32(wasm, start);
  const entries = [u32(count)];
  const taken = new Set();
  const list = [];
  for (let i = 0; i < count; i++) {
    let length;
    [length, p] = readU32(wasm, p);
    const name = wasm.toString('utf8', p, p + length);
    p += length;
    const descriptorEnd = readU32(wasm, p + 1)[1];
    list.push([name, wasm.subarray(p, descriptorEnd)]);
    taken.add(name);
    p = descriptorEnd;
  }
  if (p !== end) fail('the export section did not parse to its end');
  let n = 0;
  for (const [name, descriptor] of list) {
    let short = name;
    if (name.length > 40) {
      do short = `x${n++}`; while (taken.has(short));
      renamedExports.set(name, short);
    }
    entries.push(text(short), descriptor);
  }
  const body = Buffer.concat(entries);
  return Buffer.concat([Buffer.from([7]), u32(body.length), body]);
}

const wasm = fs.readFileSync(wasmFile);
if (wasm.readUInt32LE(0) !== 0x6d736100) fail(`${wasmFile} is not a wasm module`);
let js = fs.readFileSync(jsFile, 'utf8');

const parts = [wasm.subarray(0, 8)];
const renamed = new Map();
const names = shortNames();
let at = 8;
while (at < wasm.length) {
  const id = wasm[at];
  const [size, start] = readU32(wasm, at + 1);
  const end = start + size;
  if (id === 7) {
    parts.push(renameExports(start, end));
    at = end;
    continue;
  }
  // Tool metadata the browser ignores (which compilers, which target features): dropped.
  if (id === 0) {
    const [length, p] = readU32(wasm, start);
    if (DROPPED_SECTIONS.includes(wasm.toString('utf8', p, p + length))) {
      at = end;
      continue;
    }
  }
  if (id !== 2) {
    parts.push(wasm.subarray(at, end));
    at = end;
    continue;
  }
  let [count, p] = readU32(wasm, start);
  const entries = [u32(count)];
  for (let i = 0; i < count; i++) {
    let length;
    [length, p] = readU32(wasm, p);
    const module = wasm.toString('utf8', p, p + length);
    p += length;
    [length, p] = readU32(wasm, p);
    const field = wasm.toString('utf8', p, p + length);
    p += length;
    const kind = wasm[p];
    const descriptorEnd = skipDescriptor(wasm, kind, p + 1);
    const descriptor = wasm.subarray(p, descriptorEnd);
    p = descriptorEnd;
    if (module !== MODULE) {
      entries.push(text(module), text(field), descriptor);
      continue;
    }
    if (!renamed.has(field)) renamed.set(field, names.next().value);
    entries.push(text(SHORT_MODULE), text(renamed.get(field)), descriptor);
  }
  if (p !== end) fail('the import section did not parse to its end');
  const body = Buffer.concat(entries);
  parts.push(Buffer.from([2]), u32(body.length), body);
  at = end;
}

// The glue: the module key once, each import name once (as the import object's key).
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const occurrences = (name) => (js.match(new RegExp(`(?<![\\w$])${escape(name)}(?![\\w$])`, 'g')) || []).length;
const moduleKey = `"${MODULE}"`;
if (js.split(moduleKey).length !== 2) fail(`the glue names ${moduleKey} ${js.split(moduleKey).length - 1} times, not once`);
js = js.replace(moduleKey, `"${SHORT_MODULE}"`);
for (const [long, short] of renamed) {
  const n = occurrences(long);
  if (n !== 1) fail(`the glue names the import ${long} ${n} times, not once`);
  js = js.replace(new RegExp(`(?<![\\w$])${escape(long)}(?![\\w$])`), short);
}

// The glue reads each export as a property of the instance's exports (`wasm.<name>`);
// its own wrapper function of the same name is a local name, which stays.
for (const [long, short] of renamedExports) {
  const access = new RegExp(`(?<=\\.)${escape(long)}(?![\\w$])`, 'g');
  const n = (js.match(access) || []).length;
  if (n !== 1) fail(`the glue reads the export ${long} ${n} times, not once`);
  js = js.replace(access, short);
}

const out = Buffer.concat(parts);
fs.writeFileSync(wasmFile, out);
fs.writeFileSync(jsFile, js);

// gadget.html preloads the wasm with an integrity hash (Trunk's SRI): recompute it.
let html = fs.readFileSync(htmlFile, 'utf8');
const sri = `sha384-${crypto.createHash('sha384').update(out).digest('base64')}`;
const pattern = /(<link\b[^>]*href=["']?[^"'\s>]*\/assets\/ttecphone_bg\.wasm["']?[^>]*\bintegrity=["']?)sha384-[A-Za-z0-9+/=]+/;
const updated = html.replace(pattern, `$1${sri}`);
if (updated === html && /ttecphone_bg\.wasm[^>]*integrity=/.test(html)) fail('could not update the wasm integrity hash in gadget.html');
fs.writeFileSync(htmlFile, updated);
console.log(`short-imports: ${renamed.size} imports and ${renamedExports.size} exports renamed; wasm ${wasm.length} -> ${out.length} B`);
