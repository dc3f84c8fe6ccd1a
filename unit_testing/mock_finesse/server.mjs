#!/usr/bin/env node
// Mock Cisco Finesse for TTECPhone QA and tests. Node standard library only.
//
//   node server.mjs [--port 8083] [--host 127.0.0.1]
//                   (--gadget-dir <dist> | --gadget-origin http://127.0.0.1:8080)
//                   [--gadget-name TTECPhone] [--exit-when-origin-gone] [--background] [--verbose]
//                   [--bed-env unit_testing/bed/run-demo/ports.env]
//
// Routes: /desktop/ (mock agent desktop + QA panel), /desktop/assets/js/finesse.js,
// /desktop/assets/js/jquery.min.js, /gadgets/ifr?url=… (Shindig-like render),
// /3rdpartygadget/files/<name>/… (gadget files from disk or proxied to the origin),
// /mock-finesse/… (the mock's own assets) and /mock-finesse/health; with --bed-env,
// POST /mock-finesse/qa/test-call and GET /mock-finesse/qa/test-call/<id> (the QA
// panel's "Place a test call", see lib/test-call.mjs); POST/GET
// /mock-finesse/qa/quality-collector (a call quality collector for QA: set the gadget's
// `qualityCollector` to it; same origin as the gadget, so the gadget's CSP allows it),
// and GET /mock-finesse/qa/quality-collector/live (the supervisor board's live endpoint;
// both are the reference collector's code, tools/quality-collector.mjs).
// See README.md.

import http from 'node:http';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseGadgetSpec, renderGadget, SpecError } from './lib/gadget-spec.mjs';
import { brokerPrefs, createTestCalls, parseTestCall, readBedEnv } from './lib/test-call.mjs';
import { createCollector } from '../../tools/quality-collector.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PUBLIC = path.join(HERE, 'public');

export const MIME = {
  '.wasm': 'application/wasm',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

const NO_CACHE = {
  'Cache-Control': 'no-store, no-cache, must-revalidate, max-age=0',
  Pragma: 'no-cache',
  Expires: '0',
};

const HELP = `Mock Cisco Finesse for TTECPhone

Usage: node server.mjs [options]
  --port <n>                 port to listen on (default 8083; 0 = any free port)
  --host <addr>              address to bind (default 127.0.0.1)
  --gadget-dir <dir>         serve the gadget (e.g. dist/) from disk at /3rdpartygadget/files/<name>/
  --gadget-origin <url>      proxy /3rdpartygadget/ to this server instead (e.g. trunk serve)
  --gadget-name <name>       gadget folder name (default TTECPhone)
  --exit-when-origin-gone    with --gadget-origin: exit once the origin stops answering
  --background               start detached, print the URL once it answers, then return
  --verbose                  log each request (method and path, never the query string)
  --bed-env <ports.env>      the local broker (SIP test bed) to use: enables the QA panel's
                             "Place a test call", and /desktop/ without prefs gets the
                             broker's prefs (brokerKind=sip, wsUrl, sipDomain)
  --help                     this text
`;

export function parseArgs(argv) {
  const opts = {
    port: 8083, host: '127.0.0.1', gadgetDir: null, gadgetOrigin: null, gadgetName: 'TTECPhone', bedEnv: null,
    exitWhenOriginGone: false, background: false, verbose: false, help: false,
  };
  const takes = { '--port': 'port', '--host': 'host', '--gadget-dir': 'gadgetDir', '--gadget-origin': 'gadgetOrigin', '--gadget-name': 'gadgetName', '--bed-env': 'bedEnv' };
  const flags = { '--exit-when-origin-gone': 'exitWhenOriginGone', '--background': 'background', '--verbose': 'verbose', '--help': 'help', '-h': 'help' };
  for (let i = 0; i < argv.length; i += 1) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) { value = arg.slice(eq + 1); arg = arg.slice(0, eq); }
    if (takes[arg]) {
      if (value === undefined) {
        value = argv[i + 1];
        i += 1;
      }
      if (value === undefined || value === '') throw new Error(`${arg} needs a value`);
      opts[takes[arg]] = value;
    } else if (flags[arg]) {
      opts[flags[arg]] = true;
    } else {
      throw new Error(`unknown option ${arg} (try --help)`);
    }
  }
  opts.port = Number(opts.port);
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error('--port must be 0..65535');
  if (opts.gadgetDir && opts.gadgetOrigin) throw new Error('use either --gadget-dir or --gadget-origin, not both');
  if (!/^[A-Za-z0-9._-]+$/.test(opts.gadgetName)) throw new Error('--gadget-name must be a plain folder name');
  if (opts.gadgetOrigin) {
    const u = new URL(opts.gadgetOrigin);
    if (u.protocol !== 'http:') throw new Error('--gadget-origin must be an http:// URL (a local dev server)');
    opts.gadgetOrigin = u.origin;
  }
  if (opts.exitWhenOriginGone && !opts.gadgetOrigin) throw new Error('--exit-when-origin-gone needs --gadget-origin');
  if (opts.gadgetDir) opts.gadgetDir = path.resolve(opts.gadgetDir);
  if (opts.bedEnv) opts.bedEnv = path.resolve(opts.bedEnv);
  return opts;
}

function send(res, status, body, headers = {}) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(String(body));
  res.writeHead(status, { ...NO_CACHE, 'Content-Length': buf.length, ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : buf);
}

function sendText(res, status, text) {
  send(res, status, text.endsWith('\n') ? text : `${text}\n`, { 'Content-Type': 'text/plain; charset=utf-8' });
}

function mimeFor(file) {
  return MIME[path.extname(file).toLowerCase()] || 'application/octet-stream';
}

/** Resolves a URL path below `root` or returns null when it would escape it. */
function safeJoin(root, rel) {
  let decoded;
  try { decoded = decodeURIComponent(rel); } catch { return null; }
  if (decoded.includes('\0')) return null;
  const full = path.resolve(root, `.${path.posix.normalize(`/${decoded}`)}`);
  if (full !== root && !full.startsWith(root + path.sep)) return null;
  return full;
}

async function serveFile(res, file) {
  let st;
  try { st = await fsp.stat(file); } catch { return false; }
  if (!st.isFile()) return false;
  const data = await fsp.readFile(file);
  send(res, 200, data, { 'Content-Type': mimeFor(file) });
  return true;
}

/** Fetches from the gadget origin; resolves {status, headers, body} or throws. */
function originRequest(origin, reqPath, { method = 'GET', headers = {}, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(reqPath, origin);
    const req = http.request(u, { method, headers, timeout: timeoutMs }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => resolve({ status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks) }));
      r.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export function createMockFinesse(opts) {
  const gadgetBase = `/3rdpartygadget/files/${opts.gadgetName}/`;
  const containerJs = fs.readFileSync(path.join(PUBLIC, 'gadget-container.js'), 'utf8');
  const staticRoutes = {
    '/desktop/': ['desktop.html', 'text/html; charset=utf-8'],
    '/desktop/index.html': ['desktop.html', 'text/html; charset=utf-8'],
    '/desktop/assets/js/finesse.js': ['finesse.js', MIME['.js']],
    '/desktop/assets/js/jquery.min.js': ['jquery.min.js', MIME['.js']],
  };
  // The mock's own assets live under /desktop/ so that a dev server proxying /desktop/ and
  // /gadgets/ to the mock (Trunk.toml) needs nothing else; /mock-finesse/ aliases them.
  for (const [file, type] of [['desktop.js', MIME['.js']], ['desktop.css', MIME['.css']], ['mock-core.js', MIME['.js']], ['gadget-container.js', MIME['.js']]]) {
    staticRoutes[`/desktop/mock-finesse/${file}`] = [file, type];
    staticRoutes[`/mock-finesse/${file}`] = [file, type];
  }
  const log = (...a) => { if (opts.verbose) console.log(...a); };
  const testCalls = opts.bedEnv ? createTestCalls({ bedEnvFile: opts.bedEnv, log: (m) => console.log(`mock Finesse: ${m}`) }) : null;

  /** POST /mock-finesse/qa/test-call {to, callerId, hangupAfterS, holdResume, cancelBeforeAnswer} */
  async function handleTestCall(req, res) {
    const json = (status, obj) => send(res, status, JSON.stringify(obj), { 'Content-Type': MIME['.json'] });
    if (!testCalls) return json(404, { error: 'no local broker: start the mock with --bed-env (unit_testing/demo.sh does)' });
    const chunks = [];
    let size = 0;
    for await (const c of req) {
      size += c.length;
      if (size > 4096) return json(413, { error: 'request too large' });
      chunks.push(c);
    }
    let body;
    try { body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'); } catch { return json(400, { error: 'the request is not JSON' }); }
    const parsed = parseTestCall(body);
    if (!parsed.ok) return json(400, { error: parsed.error });
    try {
      return json(202, await testCalls.start(parsed.call));
    } catch (e) {
      return json(503, { error: `cannot place the test call: ${e.message}` });
    }
  }

  /** Reads a file of the gadget (a path below /3rdpartygadget/files/<name>/) from disk or origin. */
  async function readGadgetFile(urlPath) {
    if (opts.gadgetOrigin) {
      let r;
      try {
        r = await originRequest(opts.gadgetOrigin, urlPath);
      } catch (e) {
        throw new SpecError(`cannot reach the gadget origin ${opts.gadgetOrigin}: ${e.message}`, 502);
      }
      if (r.status !== 200) throw new SpecError(`${urlPath}: the gadget origin answered ${r.status}`, r.status === 404 ? 404 : 502);
      return r.body.toString('utf8');
    }
    if (!opts.gadgetDir) throw new SpecError('no gadget configured: start the mock with --gadget-dir <dist> or --gadget-origin <url>', 404);
    const file = safeJoin(opts.gadgetDir, urlPath.slice(gadgetBase.length));
    if (!file) throw new SpecError(`${urlPath}: invalid path`, 400);
    try {
      return await fsp.readFile(file, 'utf8');
    } catch {
      throw new SpecError(`${urlPath} not found in ${opts.gadgetDir}`, 404);
    }
  }

  /** /gadgets/ifr?url=<gadget.xml url>&mid=…&up_<pref>=… */
  async function handleIfr(req, res, url) {
    const specUrl = url.searchParams.get('url');
    if (!specUrl) return sendText(res, 400, 'gadgets/ifr: missing the url parameter (the gadget.xml URL)');
    let su;
    try { su = new URL(specUrl, `http://${req.headers.host || 'localhost'}`); } catch {
      return sendText(res, 400, `gadgets/ifr: invalid url parameter: ${specUrl}`);
    }
    const selfHost = req.headers.host;
    const allowedHosts = new Set([selfHost, opts.gadgetOrigin && new URL(opts.gadgetOrigin).host].filter(Boolean));
    if (!allowedHosts.has(su.host)) {
      return sendText(res, 400, `gadgets/ifr: the mock only renders gadgets from this server or the gadget origin, not ${su.host}`);
    }
    if (!su.pathname.startsWith(gadgetBase) || !su.pathname.endsWith('.xml')) {
      return sendText(res, 400, `gadgets/ifr: the gadget spec must be an .xml file under ${gadgetBase} (got ${su.pathname})`);
    }
    let spec;
    try {
      spec = parseGadgetSpec(await readGadgetFile(su.pathname));
    } catch (e) {
      if (e instanceof SpecError) return sendText(res, e.status, `gadgets/ifr: ${e.message}`);
      throw e;
    }
    // The gadget URL's query parameters are the gadget's user prefs (as Finesse passes them).
    const prefs = Object.fromEntries(su.searchParams);
    const html = renderGadget(spec, { prefs, moduleId: url.searchParams.get('mid') || '0', containerJs });
    return send(res, 200, html, { 'Content-Type': 'text/html; charset=utf-8' });
  }

  function proxyToOrigin(req, res, url) {
    const u = new URL(url.pathname + url.search, opts.gadgetOrigin);
    const headers = { ...req.headers, host: u.host };
    delete headers['accept-encoding']; // keep bodies plain; they are small and local
    const preq = http.request(u, { method: req.method, headers }, (pres) => {
      const h = { ...pres.headers, ...NO_CACHE };
      const ext = path.extname(url.pathname).toLowerCase();
      if (MIME[ext]) h['content-type'] = MIME[ext];
      res.writeHead(pres.statusCode, h);
      pres.pipe(res);
    });
    preq.on('error', (e) => {
      if (!res.headersSent) sendText(res, 502, `cannot reach the gadget origin ${opts.gadgetOrigin}: ${e.message}`);
      else res.destroy();
    });
    req.pipe(preq);
  }

  /** The QA quality collector: the reference collector's own code (tools/quality-collector.mjs):
   *  POST stores one record (as sendBeacon sends it), GET lists them all (for tests),
   *  GET …/live is the supervisor board's live endpoint. */
  const qualityCollector = createCollector();

  async function handle(req, res) {
    const url = new URL(req.url, 'http://mock.invalid');
    log(`${req.method} ${url.pathname}`);
    const qa = url.pathname.replace(/^\/desktop\//, '/');
    if (qa === '/mock-finesse/qa/quality-collector' || qa === '/mock-finesse/qa/quality-collector/live') {
      return qualityCollector.handle(req, res, qa.slice('/mock-finesse/qa/quality-collector'.length), { listAll: true });
    }
    if (qa === '/mock-finesse/qa/test-call') {
      if (req.method !== 'POST') return sendText(res, 405, 'POST a JSON test call here');
      return handleTestCall(req, res);
    }
    if (qa.startsWith('/mock-finesse/qa/test-call/') && req.method === 'GET') {
      const c = testCalls && testCalls.get(qa.slice('/mock-finesse/qa/test-call/'.length));
      if (!c) return sendText(res, 404, 'no such test call');
      return send(res, 200, JSON.stringify(c), { 'Content-Type': MIME['.json'] });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (opts.gadgetOrigin && url.pathname.startsWith('/3rdpartygadget/')) return proxyToOrigin(req, res, url);
      return sendText(res, 405, `${req.method} not allowed`);
    }
    if (url.pathname === '/' || url.pathname === '/desktop') {
      res.writeHead(302, { ...NO_CACHE, Location: `/desktop/${url.search}` });
      return res.end();
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204, NO_CACHE);
      return res.end();
    }
    if (url.pathname === '/mock-finesse/health' || url.pathname === '/desktop/mock-finesse/health') {
      return send(res, 200, JSON.stringify({ mockFinesse: true, gadgetBase, gadgetDir: opts.gadgetDir, gadgetOrigin: opts.gadgetOrigin, testCalls: !!testCalls }),
        { 'Content-Type': MIME['.json'] });
    }
    if (testCalls && (url.pathname === '/desktop/' || url.pathname === '/desktop/index.html') && !url.searchParams.has('prefs')) {
      // The local broker's prefs, so the gadget registers there without any typing.
      let env;
      try { env = readBedEnv(opts.bedEnv); } catch { env = null; }
      if (env) {
        url.searchParams.set('prefs', brokerPrefs(env));
        res.writeHead(302, { ...NO_CACHE, Location: `${url.pathname}${url.search}` });
        return res.end();
      }
    }
    const route = staticRoutes[url.pathname];
    if (route) {
      const data = await fsp.readFile(path.join(PUBLIC, route[0]));
      return send(res, 200, data, { 'Content-Type': route[1] });
    }
    if (url.pathname === '/gadgets/ifr') return handleIfr(req, res, url);
    if (url.pathname.startsWith('/3rdpartygadget/')) {
      if (opts.gadgetOrigin) return proxyToOrigin(req, res, url);
      if (!url.pathname.startsWith(gadgetBase)) return sendText(res, 404, `not found: ${url.pathname} (the mock serves ${gadgetBase})`);
      if (!opts.gadgetDir) return sendText(res, 404, 'no gadget configured: start the mock with --gadget-dir <dist> or --gadget-origin <url>');
      const file = safeJoin(opts.gadgetDir, url.pathname.slice(gadgetBase.length));
      if (!file) return sendText(res, 400, 'invalid path');
      if (await serveFile(res, file)) return undefined;
      return sendText(res, 404, `not found: ${url.pathname}`);
    }
    return sendText(res, 404, `not found: ${url.pathname}`);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      console.error(`mock Finesse: error on ${req.method} ${req.url.split('?')[0]}:`, e);
      if (!res.headersSent) sendText(res, 500, 'internal error in the mock Finesse');
      else res.destroy();
    });
  });

  // Trunk's live-reload WebSocket (and any other upgrade under the gadget paths) goes to the origin.
  server.on('upgrade', (req, socket, head) => {
    const p = req.url.split('?')[0];
    const proxied = opts.gadgetOrigin && (p.startsWith('/_trunk/') || p.startsWith('/.well-known/trunk/') || p.startsWith('/3rdpartygadget/'));
    if (!proxied) { socket.destroy(); return; }
    const o = new URL(opts.gadgetOrigin);
    const upstream = net.connect(Number(o.port || 80), o.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const k = req.rawHeaders[i];
        lines.push(`${k}: ${k.toLowerCase() === 'host' ? o.host : req.rawHeaders[i + 1]}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head && head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  server.testCalls = testCalls;
  return server;
}

/** Polls the origin; calls onGone once it stopped answering after having answered. */
export function watchOrigin(origin, onGone, { intervalMs = 3000, failuresToExit = 2, neverSeenExitMs = 30 * 60 * 1000 } = {}) {
  let seen = false;
  let failures = 0;
  const started = Date.now();
  const timer = setInterval(async () => {
    try {
      await originRequest(origin, '/', { method: 'HEAD', timeoutMs: 2000 });
      seen = true;
      failures = 0;
    } catch {
      failures += 1;
      if ((seen && failures >= failuresToExit) || (!seen && Date.now() - started > neverSeenExitMs)) {
        clearInterval(timer);
        onGone(seen);
      }
    }
  }, intervalMs);
  timer.unref?.();
  return timer;
}

async function alreadyRunning(host, port) {
  try {
    const r = await originRequest(`http://${host.includes(':') ? `[${host}]` : host}:${port}`, '/mock-finesse/health', { timeoutMs: 1500 });
    return r.status === 200 && JSON.parse(r.body.toString()).mockFinesse === true;
  } catch {
    return false;
  }
}

function urlFor(host, port) {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}/desktop/`;
}

async function runBackground(argv, opts) {
  const logFile = path.join(os.tmpdir(), `mock-finesse-${opts.port}.log`);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...argv.filter((a) => a !== '--background')], {
    detached: true, stdio: ['ignore', out, out],
  });
  child.unref();
  for (let i = 0; i < 50; i += 1) {
    await new Promise((r) => setTimeout(r, 200));
    if (await alreadyRunning(opts.host, opts.port)) {
      console.log(`Mock Finesse: ${urlFor(opts.host, opts.port)} (pid ${child.pid}, log ${logFile})`);
      return 0;
    }
    if (child.exitCode !== null) break;
  }
  console.error(`Mock Finesse did not start; see ${logFile}`);
  return 1;
}

async function main(argv) {
  let opts;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    console.error(`mock Finesse: ${e.message}`);
    return 2;
  }
  if (opts.help) { process.stdout.write(HELP); return 0; }
  if (opts.background) {
    if (opts.port === 0) { console.error('mock Finesse: --background needs a fixed --port'); return 2; }
    if (await alreadyRunning(opts.host, opts.port)) {
      console.log(`Mock Finesse already running: ${urlFor(opts.host, opts.port)}`);
      return 0;
    }
    return runBackground(argv, opts);
  }
  if (opts.gadgetDir && !fs.existsSync(opts.gadgetDir)) {
    console.warn(`mock Finesse: warning: ${opts.gadgetDir} does not exist yet (build the gadget first)`);
  }
  const server = createMockFinesse(opts);
  const code = await new Promise((resolve) => {
    server.once('error', async (e) => {
      if (e.code === 'EADDRINUSE') {
        if (await alreadyRunning(opts.host, opts.port)) {
          console.log(`Mock Finesse already running: ${urlFor(opts.host, opts.port)}`);
          resolve(0);
        } else {
          console.error(`mock Finesse: port ${opts.port} on ${opts.host} is in use by something else`);
          resolve(1);
        }
      } else {
        console.error(`mock Finesse: ${e.message}`);
        resolve(1);
      }
    });
    server.listen(opts.port, opts.host, () => {
      const { port } = server.address();
      const source = opts.gadgetOrigin ? `proxied from ${opts.gadgetOrigin}` : opts.gadgetDir ? `from ${opts.gadgetDir}` : 'not configured';
      console.log(`Mock Finesse: ${urlFor(opts.host, port)}  (gadget ${source})`);
      if (opts.exitWhenOriginGone) {
        const intervalMs = Number(process.env.MOCK_FINESSE_POLL_MS) || 3000;
        watchOrigin(opts.gadgetOrigin, (seen) => {
          console.log(seen ? `mock Finesse: ${opts.gadgetOrigin} stopped answering; exiting` : `mock Finesse: ${opts.gadgetOrigin} never answered; exiting`);
          server.close();
          process.exit(0);
        }, { intervalMs });
      }
      for (const sig of ['SIGINT', 'SIGTERM']) {
        process.once(sig, async () => {
          server.close();
          // Test calls (sipp) end with the server: nothing of the demo is left running.
          await server.testCalls?.stopAll();
          process.exit(0);
        });
      }
    });
  });
  if (code !== undefined) return code;
  return undefined;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => { if (code !== undefined) process.exitCode = code; });
}
