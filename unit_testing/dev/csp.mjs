#!/usr/bin/env node
// Adds a Content-Security-Policy to the built gadget.html (run by post-build.sh).
//
// The policy allows only the gadget's own files ('self': on the Finesse server
// that is also where Finesse's own scripts live), WebAssembly compilation
// ('wasm-unsafe-eval'), the exact inline scripts Trunk generated (by hash, no
// 'unsafe-inline'), the configured broker over HTTPS + WSS, and the call quality
// collector's origin (TTEC_QUALITY_COLLECTOR). Plain ws/http
// are added only for a loopback broker (local test brokers).
//   node unit_testing/dev/csp.mjs <staged gadget.html> <repo root>
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const [file, root] = process.argv.slice(2);
const html = fs.readFileSync(file, 'utf8');

function envDefaults() {
  const source = ['.env', '.env.example'].map((f) => path.join(root, f)).find((f) => fs.existsSync(f));
  const out = {};
  for (const line of (source ? fs.readFileSync(source, 'utf8') : '').split('\n')) {
    const m = /^\s*(?:export\s+)?(TTEC_[A-Z_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) out[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

const isLoopback = (host) => /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);

function brokerSources(env) {
  const hosts = new Set();
  if (env.TTEC_BROKER_HOST) hosts.add(env.TTEC_BROKER_HOST);
  if (env.TTEC_WS_URL) {
    try { hosts.add(new URL(env.TTEC_WS_URL).host); } catch { /* config errors are shown by the gadget */ }
  }
  const sources = [];
  for (const host of hosts) {
    sources.push(`https://${host}`, `wss://${host}`);
    if (isLoopback(host)) sources.push(`http://${host}`, `ws://${host}`);
  }
  // The call quality collector (sendBeacon is a connection): its origin, https only
  // (http for a loopback test collector, as the gadget's own check allows).
  try {
    const collector = env.TTEC_QUALITY_COLLECTOR && new URL(env.TTEC_QUALITY_COLLECTOR);
    if (collector && (collector.protocol === 'https:' || isLoopback(collector.host))) sources.push(collector.origin);
  } catch { /* config errors are shown by the gadget */ }
  return sources;
}

const inlineHashes = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)]
  .map((m) => `'sha256-${crypto.createHash('sha256').update(m[1]).digest('base64')}'`);

const policy = [
  "default-src 'none'",
  `script-src 'self' 'wasm-unsafe-eval' ${inlineHashes.join(' ')}`,
  "style-src 'self'",
  `connect-src 'self' ${brokerSources(envDefaults()).join(' ')}`.trim(),
  "media-src 'self' blob: mediastream:",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const meta = `<meta http-equiv="Content-Security-Policy" content="${policy}">`;
const out = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\s*/, '').replace(/<head>/, `<head>\n  ${meta}`);
fs.writeFileSync(file, out);
console.log(`csp: ${inlineHashes.length} inline script hash(es); connect-src ${brokerSources(envDefaults()).join(' ') || "'self'"}`);
