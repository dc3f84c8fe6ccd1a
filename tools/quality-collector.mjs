#!/usr/bin/env node
// TTECPhone's reference call quality collector: receives the gadgets' call quality
// records (POST, as navigator.sendBeacon sends them) and serves the supervisor board's
// live endpoint (GET <path>/live). Node's standard library only; one file an
// administrator can run as it is, or read as the specification of a collector of
// their own (doc/operations.md, "Call quality records" and "The live endpoint").
//
//   node tools/quality-collector.mjs [--port 8444] [--host 0.0.0.0] [--path /ttecphone]
//       [--cert cert.pem --key key.pem] [--allow-origin https://finesse-a.example.com,…]
//       [--log records.jsonl] [--max-lines 5000]
//
// The gadget's `qualityCollector` is then `https://<host>:<port><path>`. Without
// --cert/--key it speaks plain HTTP: put it behind a TLS proxy (the gadget accepts
// only https:// collectors, http:// on loopback). --allow-origin lists the Finesse
// servers whose gadgets may read the live endpoint (CORS); default `*` (the endpoint
// carries no secrets, but limit it to your Finesse servers). --log appends every record
// received to a JSON-lines file (the history; the live state is in memory only).
//
// The mock Finesse (unit_testing/mock_finesse/server.mjs) serves this same module's
// handler at /mock-finesse/qa/quality-collector, so the tests exercise this code.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { fileURLToPath } from 'node:url';

export const RECORD_SCHEMA = 'ttecphone.call-quality/1';
export const LIVE_SCHEMA = 'ttecphone.call-quality-live/1';
/** Records' interval when a record does not say (gadgets before `intervalS`). */
const DEFAULT_INTERVAL_S = 30;
const MAX_RECORD_BYTES = 16384;
/** What the live endpoint repeats of a record: figures only (no Call-ID, no caller). */
const LIVE_FIELDS = ['durationS', 'mosNow', 'mosMin', 'mosAvg', 'lossPct', 'sentLossMaxPct',
  'jitterMaxMs', 'rttMaxMs', 'warningNow', 'intervalS'];

/** A line is live while its latest record is not final and younger than this. */
export const staleAfterS = (intervalS) => 2 * intervalS + 10;

const intervalOf = (record) => (Number.isInteger(record.intervalS) && record.intervalS > 0
  ? record.intervalS : DEFAULT_INTERVAL_S);

/**
 * The collector's state and its HTTP handler.
 * `allowOrigin`: '*' or a list of origins allowed to read the live endpoint.
 * `now`: the clock (tests). `onRecord(entry)`: called for every record kept.
 */
export function createCollector({ allowOrigin = '*', maxLines = 5000, now = Date.now, onRecord } = {}) {
  /** Every record received, in order: { received, contentType, record } (the mock's GET lists them). */
  const records = [];
  /** The latest record per phone (its WebRTC number, else its SIP line). */
  const latest = new Map();

  function take(record, contentType) {
    if (!record || typeof record !== 'object' || Array.isArray(record)) return 'the record is not a JSON object';
    if (record.schema !== RECORD_SCHEMA) return `the record's schema is not ${RECORD_SCHEMA}`;
    const key = typeof record.number === 'string' && record.number ? record.number
      : typeof record.line === 'string' && record.line ? record.line : null;
    if (!key) return 'the record names no number or line';
    const entry = { received: now(), contentType, record };
    records.push(entry);
    if (records.length > maxLines * 4) records.splice(0, records.length - maxLines * 4);
    const before = latest.get(key);
    // A late interim record of an ended call does not bring it back.
    if (!(before && before.record.callId === record.callId && before.record.final && !record.final)) {
      latest.delete(key);
      latest.set(key, entry);
      if (latest.size > maxLines) latest.delete(latest.keys().next().value);
    }
    onRecord?.(entry);
    return null;
  }

  /** The live endpoint's document: one entry per phone in a call. */
  function live() {
    const at = now();
    const lines = [];
    let bound = staleAfterS(DEFAULT_INTERVAL_S);
    for (const [key, { received, record }] of latest) {
      const ageS = Math.max(0, Math.floor((at - received) / 1000));
      const stale = staleAfterS(intervalOf(record));
      if (record.final || ageS > stale) {
        if (ageS > stale) latest.delete(key);
        continue;
      }
      bound = Math.max(bound, stale);
      const out = { number: key, line: typeof record.line === 'string' ? record.line : key, ageS };
      for (const field of LIVE_FIELDS) if (field in record) out[field] = record[field];
      lines.push(out);
    }
    return { schema: LIVE_SCHEMA, now: at, staleAfterS: bound, lines };
  }

  function cors(req) {
    const origin = req.headers.origin;
    const headers = { 'Cache-Control': 'no-store', Vary: 'Origin' };
    if (allowOrigin === '*') headers['Access-Control-Allow-Origin'] = '*';
    else if (origin && allowOrigin.includes(origin)) headers['Access-Control-Allow-Origin'] = origin;
    return headers;
  }

  /** Handles one request for `sub` ('' or '/live', the path under the collector's). */
  async function handle(req, res, sub, { listAll = false } = {}) {
    const headers = cors(req);
    const reply = (status, body, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, body ? { ...headers, 'Content-Type': type } : headers);
      res.end(body);
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...headers, 'Access-Control-Allow-Methods': 'GET, POST', 'Access-Control-Max-Age': '600' });
      return res.end();
    }
    if (sub === '/live') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'GET the live call quality here');
      return reply(200, JSON.stringify(live()), 'application/json; charset=utf-8');
    }
    if (sub !== '') return reply(404, 'not found');
    if (req.method === 'GET' && listAll) return reply(200, JSON.stringify(records), 'application/json; charset=utf-8');
    if (req.method !== 'POST') return reply(405, 'POST a call quality record here, or GET <path>/live');
    const chunks = [];
    let size = 0;
    for await (const c of req) {
      size += c.length;
      if (size > MAX_RECORD_BYTES) return reply(413, 'record too large');
      chunks.push(c);
    }
    let record;
    try {
      record = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return reply(400, 'the record is not JSON');
    }
    const refused = take(record, req.headers['content-type'] ?? '');
    if (refused) return reply(400, refused);
    return reply(204, '');
  }

  return { handle, live, records, take };
}

function parseArgs(argv) {
  const opts = { port: 8444, host: '0.0.0.0', path: '/ttecphone', allowOrigin: '*', maxLines: 5000 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const need = () => { if (value === undefined) throw new Error(`${flag} needs a value`); i++; return value; };
    if (flag === '--port') opts.port = Number(need());
    else if (flag === '--host') opts.host = need();
    else if (flag === '--path') opts.path = `/${need().replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '');
    else if (flag === '--cert') opts.cert = need();
    else if (flag === '--key') opts.key = need();
    else if (flag === '--allow-origin') opts.allowOrigin = need() === '*' ? '*' : value.split(',').map((o) => o.trim()).filter(Boolean);
    else if (flag === '--log') opts.log = need();
    else if (flag === '--max-lines') opts.maxLines = Number(need());
    else throw new Error(`unknown option ${flag}`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error('--port: 0-65535');
  if (!!opts.cert !== !!opts.key) throw new Error('--cert and --key go together');
  return opts;
}

export function startCollector(opts) {
  const log = opts.log ? fs.createWriteStream(opts.log, { flags: 'a' }) : null;
  const collector = createCollector({
    allowOrigin: opts.allowOrigin,
    maxLines: opts.maxLines,
    onRecord: log ? (entry) => log.write(`${JSON.stringify({ received: entry.received, ...entry.record })}\n`) : undefined,
  });
  const onRequest = (req, res) => {
    const { pathname } = new URL(req.url, 'http://collector.invalid');
    if (pathname !== opts.path && !pathname.startsWith(`${opts.path}/`)) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      return res.end('not found');
    }
    collector.handle(req, res, pathname.slice(opts.path.length).replace(/\/$/, '')).catch(() => res.destroy());
  };
  const server = opts.cert
    ? https.createServer({ cert: fs.readFileSync(opts.cert), key: fs.readFileSync(opts.key) }, onRequest)
    : http.createServer(onRequest);
  return { server, collector };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === fs.realpathSync(process.argv[1])) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`quality-collector: ${e.message}`);
    process.exit(2);
  }
  const { server } = startCollector(opts);
  server.listen(opts.port, opts.host, () => {
    const { port } = server.address();
    const scheme = opts.cert ? 'https' : 'http';
    console.log(`quality-collector: records at ${scheme}://${opts.host}:${port}${opts.path}, live at ${opts.path}/live`
      + ` (CORS: ${opts.allowOrigin === '*' ? '*' : opts.allowOrigin.join(' ')})`);
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
}
