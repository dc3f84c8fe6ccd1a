// TTECPhone benchmark: our gadget (in the mock Finesse) vs. a JsSIP and a SIP.js
// reference page, on the SIP test bed (Kamailio + rtpengine, sipp as CUCM), the
// three clients alternating in one run. Prints figures, a table and one final line
// per client. A benchmark, not a test: it asserts nothing about speed; it fails
// (exit 1) only when a step fails or a client misses calls.
//
// Run it with `bash unit_testing/bench/run.sh` (builds what is missing, starts the
// bed); this file must run inside the bed's network namespace.
//
// Options (environment): BENCH_LOADS [10], BENCH_CALLS [20], BENCH_STUN_CALLS [20],
// BENCH_SOAK [1000] (0 = skip), BENCH_MIC_LOADS [5] (0 = skip) and BENCH_MIC_OPEN_MS [100]
// (the first call again with a microphone that takes that long to open, below),
// BENCH_FW_CALLS [5] (0 = skip: the silent STUN server again, with the media server
// behind a stateful firewall, bed/lib/media-firewall.mjs),
// BENCH_CLIENTS [ttecphone,jssip,sipjs], BENCH_JSON=<file> (figures as JSON).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freeUdpPorts, inBedNamespace, loadBedEnv, RUN_DIR } from '../bed/lib/bed.mjs';
import { startMockFinesse } from '../e2e/harness.mjs';
import { REFERENCES, REFS_BUILT, startRefServer } from './refs/clients.mjs';
import { closeMediaServer } from '../bed/lib/media-firewall.mjs';
import { startSilentStun } from './stun-host.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const num = (name, dflt) => (process.env[name] === undefined ? dflt : Number(process.env[name]));
const OPT = {
  loads: num('BENCH_LOADS', 10),
  calls: num('BENCH_CALLS', 20),
  stunCalls: num('BENCH_STUN_CALLS', 20),
  fwCalls: num('BENCH_FW_CALLS', 5),
  soak: num('BENCH_SOAK', 1000),
  micLoads: num('BENCH_MIC_LOADS', 5),
  micOpenMs: num('BENCH_MIC_OPEN_MS', 100),
  clients: (process.env.BENCH_CLIENTS || 'ttecphone,jssip,sipjs').split(','),
};

const env = loadBedEnv();
if (!env) fail('the SIP test bed is not running: bash unit_testing/bed/bed.sh start');
if (!inBedNamespace(env)) fail('run inside the bed: bash unit_testing/bed/bed.sh exec node unit_testing/bench/bench.mjs');

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(1);
}
const log = (...a) => console.log('bench:', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round1 = (x) => Math.round(x * 10) / 10;

// ---- the clients ---------------------------------------------------------------

const CLIENTS = {
  ttecphone: { label: 'TTECPhone', user: '3000' },
  jssip: { ...REFERENCES.jssip, user: '3001' },
  sipjs: { ...REFERENCES.sipjs, user: '3002' },
};
for (const c of OPT.clients) if (!CLIENTS[c]) fail(`unknown client ${c}`);
const password = (user) => `test-password-${user}`;

function clientUrl(client, iceServers, { gadget = false } = {}) {
  const { user } = CLIENTS[client];
  if (gadget && client !== 'ttecphone') {
    // The reference as a gadget in its own mock Finesse; its query travels as the `bench` pref.
    const q = new URLSearchParams({ ws: env.BED_WS_URL, domain: env.BED_DOMAIN, user, password: password(user), ice: JSON.stringify(iceServers) });
    const prefs = new URLSearchParams({ bench: String(q) });
    const spec = `/3rdpartygadget/files/${CLIENTS[client].gadgetName}/gadget.xml`;
    return `${servers.refGadgets[client].origin}/desktop/?agent=agent${user}&ext=2000&webrtc=${user}&state=READY&gadget=${encodeURIComponent(spec)}&prefs=${encodeURIComponent(String(prefs))}`;
  }
  if (client === 'ttecphone') {
    let prefs = `brokerKind=sip&wsUrl=${env.BED_WS_URL}&sipDomain=${env.BED_DOMAIN}`;
    if (iceServers.length) prefs += `&iceServers=${JSON.stringify(iceServers)}`;
    return `${servers.finesse.origin}/desktop/?agent=agent${user}&ext=2000&webrtc=${user}&state=READY&prefs=${encodeURIComponent(prefs)}`;
  }
  const q = new URLSearchParams({ ws: env.BED_WS_URL, domain: env.BED_DOMAIN, user, password: password(user), ice: JSON.stringify(iceServers) });
  return `${servers.refs.origin}/${client}.html?${q}`;
}

/** The frame the client lives in: the gadget's iframe for ours, the page for the others. */
async function clientFrame(client, page, { gadget = false, timeoutMs = 20000 } = {}) {
  if (client !== 'ttecphone' && !gadget) return page.mainFrame();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (!frame.url().includes('/gadgets/ifr')) continue;
      const ready = client === 'ttecphone'
        ? await frame.$('.ttec-bar').catch(() => null)
        : await frame.evaluate(() => Boolean(window.BENCH)).catch(() => false);
      if (ready) return frame;
    }
    await sleep(20);
  }
  throw new Error('the gadget did not render inside the mock Finesse');
}

/** Resources that count as the client's payload. */
function isPayload(client, url) {
  const u = new URL(url);
  if (u.pathname.endsWith('/favicon.ico') || u.pathname.endsWith('/audio-test.wav')) return false;
  if (client === 'ttecphone') return u.pathname.startsWith('/3rdpartygadget/files/TTECPhone/');
  return u.origin === servers.refs.origin;
}

// ---- broker-side registration timestamps (Kamailio xlog, $TV) --------------------

const KAMAILIO_LOG = path.join(RUN_DIR, 'kamailio.log');
/** Epoch ms of the first "REGISTER-OK user=<user>" Kamailio logged after `sinceMs`. */
async function registerOkAt(user, sinceMs, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  const re = new RegExp(`REGISTER-OK user=${user} at=(\\d+)\\.(\\d{6})`, 'g');
  while (Date.now() < deadline) {
    const text = fs.readFileSync(KAMAILIO_LOG, 'utf8');
    for (const m of text.matchAll(re)) {
      const at = Number(m[1]) * 1000 + Number(m[2]) / 1000;
      if (at >= sinceMs) return at;
    }
    await sleep(20);
  }
  throw new Error(`no REGISTER 200 OK for ${user} at Kamailio within ${timeoutMs} ms`);
}

/** Forget a user's contacts so a closed page's stale contact is not forked to. */
function dropContacts(user) {
  try {
    execFileSync('kamcmd', ['-s', env.BED_KAMAILIO_CTL, 'ul.rm', 'location', `s:${user}`], { stdio: 'ignore' });
  } catch { /* no contact: fine */ }
}

// ---- sipp ("CUCM") -----------------------------------------------------------------

let sippSeq = 0;
/** Places `calls` sequential calls to `user`; resolves with per-call INVITE->200 ms and failures. */
async function sippCalls(user, calls, { talkMs = 100, timeoutS = 120 } = {}) {
  const localPort = await freeUdpPorts(1, 20000, 29998);
  const mediaPort = await freeUdpPorts(4);
  const tag = `bench-${process.pid}-${++sippSeq}`;
  const messages = path.join(RUN_DIR, `sipp-${tag}-messages.log`);
  const stdout = path.join(RUN_DIR, `sipp-${tag}.out`);
  const args = [
    `${env.BED_IP}:${env.BED_SIP_PORT}`, '-sf', path.join(HERE, 'sipp', 'uac_bench.xml'),
    '-s', user, '-key', 'caller', '0611223344',
    '-i', env.BED_IP, '-p', String(localPort), '-mi', env.BED_IP, '-mp', String(mediaPort),
    '-m', String(calls), '-l', '1', '-r', '50', '-rp', '1000', '-d', String(talkMs),
    '-cid_str', `${tag}-%u@%s`, '-nostdin', '-timeout', `${timeoutS}s`, '-timeout_error',
    '-trace_msg', '-message_file', messages,
  ];
  const out = fs.openSync(stdout, 'w');
  const child = spawn('sipp', args, { cwd: path.join(HERE, 'sipp'), stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const code = await new Promise((r) => child.on('exit', (c) => r(c)));
  const screen = fs.readFileSync(stdout, 'utf8');
  const counter = (name) => {
    const all = [...screen.matchAll(new RegExp(`^\\s*${name}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`, 'gm'))];
    return all.length ? Number(all[all.length - 1][1]) : undefined;
  };
  const ok = counter('Successful call');
  const failed = counter('Failed call');
  const latencies = inviteTo200(messages);
  const result = {
    code, latencies, ok: ok ?? (code === 0 ? calls : 0), failed: failed ?? (code === 0 ? 0 : calls),
  };
  if (code === 0 && result.failed === 0) {
    fs.rmSync(messages, { force: true });
    fs.rmSync(stdout, { force: true });
  } else {
    result.files = { messages, stdout };
  }
  return result;
}

/** Per call (in order): ms between sipp sending the INVITE and receiving its 200 OK. */
function inviteTo200(file) {
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8');
  const parts = text.split(/^-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d+)\s*$/m);
  const calls = new Map();
  for (let i = 1; i + 2 < parts.length; i += 3) {
    const at = Date.parse(`${parts[i].replace(' ', 'T')}Z`) + Number(`0.${parts[i + 1]}`) * 1000;
    const body = parts[i + 2];
    const cid = /^\s*Call-ID:\s*(\S+)/mi.exec(body)?.[1];
    if (!cid) continue;
    if (!calls.has(cid)) calls.set(cid, {});
    const c = calls.get(cid);
    if (c.sent === undefined && /message sent[^\n]*\n\s*INVITE /.test(body)) c.sent = at;
    if (c.answered === undefined && /message received[^\n]*\n\s*SIP\/2\.0 200 /.test(body) && /^\s*CSeq:\s*\d+ INVITE/mi.test(body)) c.answered = at;
  }
  return [...calls.values()].filter((c) => c.sent !== undefined && c.answered !== undefined).map((c) => c.answered - c.sent);
}

// ---- one client session (a page) --------------------------------------------------

/**
 * In every frame: getUserMedia resolves `ms` later than Chromium's fake device does. A
 * real headset's capture device takes tens to hundreds of milliseconds to open (the
 * issue puts the references' first call at 100-180 ms for the microphone and the first
 * peer connection); the fake device opens in about 5 ms.
 */
function slowMicrophone(ms) {
  const md = navigator.mediaDevices;
  if (!md || !md.getUserMedia) return;
  const open = md.getUserMedia.bind(md);
  md.getUserMedia = (constraints) => open(constraints).then((stream) => new Promise((resolve) => setTimeout(() => resolve(stream), ms)));
}

async function openClient(browser, client, iceServers = [], { measurePayload = false, gadget = false, micOpenMs = 0 } = {}) {
  const { user } = CLIENTS[client];
  dropContacts(user);
  const context = await browser.newContext();
  // As in a contact centre: the agent allowed the microphone once (or a browser policy
  // allows it for Finesse), so no prompt. The same for all three clients.
  await context.grantPermissions(['microphone']);
  if (micOpenMs > 0) await context.addInitScript(slowMicrophone, micOpenMs);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const payload = [];
  if (measurePayload) {
    page.on('response', async (res) => {
      if (!isPayload(client, res.url())) return;
      try {
        const body = await res.body();
        payload.push({ url: res.url(), raw: body.length, gzip: zlib.gzipSync(body, { level: 9 }).length });
      } catch { /* redirects have no body */ }
    });
  }
  await page.goto(clientUrl(client, iceServers, { gadget }));
  const frame = await clientFrame(client, page, { gadget });
  const origin = await frame.evaluate(() => performance.timeOrigin);
  const regAt = await registerOkAt(user, origin);
  await waitReady(client, frame);
  return {
    client, user, context, page, frame, errors, payload,
    registerMs: regAt - origin,
    async close() { await context.close(); dropContacts(user); },
  };
}

/** Registered as far as the client itself knows (ready for a call). */
async function waitReady(client, frame, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ready = await frame.evaluate((ours) => (ours
      ? document.querySelector('.ttec-registration__word')?.textContent === 'Registered'
      : window.BENCH?.registered > 0), client === 'ttecphone');
    if (ready) return;
    await sleep(20);
  }
  throw new Error(`${client} did not show itself registered`);
}

async function memory(session) {
  return session.frame.evaluate(() => {
    if (typeof gc === 'function') { gc(); gc(); }
    const wasm = window.TTEC && window.TTEC.wasm && window.TTEC.wasm.memory;
    return { js: performance.memory ? performance.memory.usedJSHeapSize : NaN, wasm: wasm ? wasm.buffer.byteLength : 0 };
  });
}

async function clientErrors(session) {
  if (session.client === 'ttecphone') return session.errors;
  const own = await session.frame.evaluate(() => window.BENCH.errors).catch(() => []);
  return [...session.errors, ...own];
}

// ---- the run ------------------------------------------------------------------------

const servers = {};
const R = Object.fromEntries(OPT.clients.map((c) => [c, {
  registerMs: [], registerGadgetMs: [], firstCallMs: [], slowMicFirstCallMs: [], callMs: [], stunCallMs: [], fwStunCallMs: [], failures: 0, failureNotes: [], memory: {},
}]));

function noteFailure(client, what) {
  R[client].failures += 1;
  if (R[client].failureNotes.length < 5) R[client].failureNotes.push(what);
  log(`${client}: FAILURE ${what}`);
}

async function calls(session, n, bucket, opts) {
  const r = await sippCalls(session.user, n, opts);
  bucket.push(...r.latencies);
  if (r.failed > 0 || r.code !== 0) noteFailure(session.client, `${r.failed}/${n} calls failed (sipp exit ${r.code}; ${r.files ? r.files.messages : ''})`);
  return r;
}

function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns',
      '--autoplay-policy=no-user-gesture-required', '--enable-precise-memory-info', '--js-flags=--expose-gc',
      // Background pages must not be throttled: three clients share one browser.
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows',
    ],
  });
}

async function main() {
  const started = Date.now();
  if (!fs.existsSync(path.join(REFS_BUILT, 'jssip.js'))) fail('reference pages not built: node unit_testing/bench/build-refs.mjs');
  servers.refs = await startRefServer();
  servers.finesse = await startMockFinesse();
  servers.refGadgets = {};
  for (const client of OPT.clients.filter((c) => c !== 'ttecphone')) {
    servers.refGadgets[client] = await startMockFinesse({ gadgetDir: path.join(HERE, 'build', `gadget-${client}`), gadgetName: CLIENTS[client].gadgetName });
  }
  const browser = await launchBrowser();
  try {
    log(`options ${JSON.stringify(OPT)}`);
    // 1+2. Loads: payload (first load), page load -> REGISTER 200 OK, and the first call of each page.
    for (let i = 0; i < OPT.loads; i++) {
      for (const client of OPT.clients) {
        const s = await openClient(browser, client, [], { measurePayload: i === 0 });
        R[client].registerMs.push(s.registerMs);
        await sleep(300); // let the page settle after registering, as an agent's would
        await calls(s, 1, R[client].firstCallMs);
        if (i === 0) {
          await sleep(500);
          R[client].payload = s.payload;
        }
        for (const e of await clientErrors(s)) noteFailure(client, `page error: ${e}`);
        await s.close();
        // Like with like: ours always runs in Finesse's gadget container, which spends
        // 40-60 ms before a gadget's first script runs; the references once more as gadgets.
        if (client === 'ttecphone') {
          R[client].registerGadgetMs.push(s.registerMs);
        } else {
          const g = await openClient(browser, client, [], { gadget: true });
          R[client].registerGadgetMs.push(g.registerMs);
          for (const e of await clientErrors(g)) noteFailure(client, `gadget page error: ${e}`);
          await g.close();
        }
      }
      log(`load ${i + 1}/${OPT.loads}: ${OPT.clients.map((c) => `${c} reg ${round1(R[c].registerMs.at(-1))} ms (as gadget ${round1(R[c].registerGadgetMs.at(-1))} ms), first call ${round1(R[c].firstCallMs.at(-1))} ms`).join('; ')}`);
    }

    // 2b. The first call of a page again, with a microphone that takes OPT.micOpenMs to
    // open (slowMicrophone), the same for the three clients.
    for (let i = 0; i < OPT.micLoads; i++) {
      for (const client of OPT.clients) {
        const s = await openClient(browser, client, [], { micOpenMs: OPT.micOpenMs });
        await sleep(300);
        await calls(s, 1, R[client].slowMicFirstCallMs);
        for (const e of await clientErrors(s)) noteFailure(client, `page error: ${e}`);
        await s.close();
      }
    }
    if (OPT.micLoads > 0) log(`first call, microphone opening in ${OPT.micOpenMs} ms: ${OPT.clients.map((c) => `${c} median ${round1(median(R[c].slowMicFirstCallMs))} ms`).join('; ')}`);

    // 3a. Answer latency, no ICE servers: the three pages open side by side, calls alternate.
    await callRound(browser, [], OPT.calls, 'callMs');

    // 3b. The same with a configured STUN server that never answers.
    if (OPT.stunCalls > 0 || OPT.fwCalls > 0) {
      // A browser of its own, started once the second test host exists: Chromium
      // reads the host's interfaces at start.
      const stun = await startSilentStun(env.BED_NETNS);
      const stunBrowser = await launchBrowser();
      try {
        if (OPT.stunCalls > 0) await callRound(stunBrowser, [{ urls: stun.url }], OPT.stunCalls, 'stunCallMs');
        // 3c. Again, with the media server reachable only once it has sent to the browser
        // (a stateful firewall or NAT in front of it): the browser's early checks are lost.
        if (OPT.fwCalls > 0) {
          const firewall = closeMediaServer(Number(env.BED_RTP_MIN), Number(env.BED_RTP_MAX));
          try {
            await callRound(stunBrowser, [{ urls: stun.url }], OPT.fwCalls, 'fwStunCallMs', { timeoutS: 120 });
          } finally {
            R.firewallDropped = firewall.dropped();
            firewall.open();
          }
        }
        R.stunRequestsSeen = stun.received();
      } finally {
        await stunBrowser.close().catch(() => {});
        await stun.stop();
      }
    }

    // 4. Soak: sequential calls in one page per client, memory at call 1, 500, 1000.
    if (OPT.soak > 0) await soak(browser);
  } finally {
    await browser.close().catch(() => {});
    await servers.finesse.stop();
    for (const g of Object.values(servers.refGadgets)) await g.stop();
    await servers.refs.stop();
  }
  report(Date.now() - started);
}

async function callRound(browser, iceServers, n, bucket, sippOpts = {}) {
  const sessions = [];
  for (const client of OPT.clients) sessions.push(await openClient(browser, client, iceServers));
  try {
    await sleep(500);
    for (let i = 0; i < n; i++) {
      for (const s of sessions) await calls(s, 1, R[s.client][bucket], { talkMs: 100, ...sippOpts });
      if ((i + 1) % 5 === 0 || i + 1 === n) {
        log(`${bucket} ${i + 1}/${n}: ${sessions.map((s) => `${s.client} median ${round1(median(R[s.client][bucket]))} ms`).join('; ')}`);
      }
    }
    for (const s of sessions) for (const e of await clientErrors(s)) noteFailure(s.client, `page error: ${e}`);
  } finally {
    for (const s of sessions) await s.close();
  }
}

async function soak(browser) {
  const sessions = [];
  for (const client of OPT.clients) sessions.push(await openClient(browser, client, []));
  try {
    // Chunks 1, then up to 500, then up to 1000, alternating the clients.
    const marks = [...new Set([1, Math.min(500, OPT.soak), OPT.soak])];
    let done = 0;
    for (const mark of marks) {
      for (const s of sessions) {
        const r = await calls(s, mark - done, [], { talkMs: 20, timeoutS: 3600 });
        R[s.client].soakCalls = (R[s.client].soakCalls ?? 0) + r.ok;
        R[s.client].memory[mark] = await memory(s);
      }
      done = mark;
      log(`soak ${mark}/${OPT.soak}: ${sessions.map((s) => `${s.client} js ${kb(R[s.client].memory[mark].js)} KiB wasm ${kb(R[s.client].memory[mark].wasm)} KiB`).join('; ')}`);
    }
    R.soakMarks = marks;
    for (const s of sessions) for (const e of await clientErrors(s)) noteFailure(s.client, `page error: ${e}`);
  } finally {
    for (const s of sessions) await s.close();
  }
}

const kb = (b) => Math.round(b / 1024);
/** 0.58x; two significant digits below 0.1x (0.0031x, not 0.00x). */
const ratio = (r) => `${r < 0.1 ? r.toPrecision(2) : r.toFixed(2)}x`;

function report(elapsedMs) {
  const figures = {};
  for (const c of OPT.clients) {
    const r = R[c];
    const payloadRaw = (r.payload || []).reduce((a, p) => a + p.raw, 0);
    const payloadGzip = (r.payload || []).reduce((a, p) => a + p.gzip, 0);
    const marks = R.soakMarks || [];
    const m0 = r.memory[marks[0]];
    const mN = r.memory[marks.at(-1)];
    figures[c] = {
      payloadRawBytes: payloadRaw,
      payloadGzipBytes: payloadGzip,
      payloadFiles: (r.payload || []).map((p) => `${new URL(p.url).pathname} ${p.raw}/${p.gzip}`),
      registerMsMedian: round1(median(r.registerMs)),
      registerGadgetMsMedian: round1(median(r.registerGadgetMs)),
      firstCallMsMedian: round1(median(r.firstCallMs)),
      slowMicFirstCallMsMedian: round1(median(r.slowMicFirstCallMs)),
      callMsMedian: round1(median(r.callMs)),
      stunCallMsMedian: round1(median(r.stunCallMs)),
      fwStunCallMsMedian: round1(median(r.fwStunCallMs)),
      all: { register: r.registerMs.map(round1), registerAsGadget: r.registerGadgetMs.map(round1), firstCall: r.firstCallMs.map(round1), slowMicFirstCall: r.slowMicFirstCallMs.map(round1), call: r.callMs.map(round1), stunCall: r.stunCallMs.map(round1), fwStunCall: r.fwStunCallMs.map(round1) },
      samples: { register: r.registerMs.length, firstCall: r.firstCallMs.length, slowMicFirstCall: r.slowMicFirstCallMs.length, call: r.callMs.length, stunCall: r.stunCallMs.length, fwStunCall: r.fwStunCallMs.length },
      soakCalls: r.soakCalls ?? 0,
      memory: Object.fromEntries(Object.entries(r.memory).map(([k, v]) => [k, { jsKiB: kb(v.js), wasmKiB: kb(v.wasm) }])),
      memoryGrowthKiB: m0 && mN ? kb((mN.js + mN.wasm) - (m0.js + m0.wasm)) : NaN,
      failures: r.failures,
      failureNotes: r.failureNotes,
    };
  }
  figures.stunRequestsSeen = R.stunRequestsSeen;
  figures.firewallDropped = R.firewallDropped;
  figures.elapsedS = Math.round(elapsedMs / 1000);
  if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, `${JSON.stringify(figures, null, 2)}\n`);

  const refs = OPT.clients.filter((c) => c !== 'ttecphone');
  const best = (key, lower = true) => {
    const vals = refs.map((c) => figures[c][key]).filter(Number.isFinite);
    return vals.length ? (lower ? Math.min(...vals) : Math.max(...vals)) : NaN;
  };
  const rows = [
    ['payload raw (KB)', 'payloadRawBytes', (v) => (v / 1000).toFixed(1)],
    ['payload gzip (KB)', 'payloadGzipBytes', (v) => (v / 1000).toFixed(1)],
    [`load -> REGISTER 200, refs as pages (ms, median of ${OPT.loads})`, 'registerMsMedian', (v) => v.toFixed(1)],
    [`load -> REGISTER 200, all as gadgets (ms, median of ${OPT.loads})`, 'registerGadgetMsMedian', (v) => v.toFixed(1)],
    [`first call INVITE -> 200 (ms, median of ${OPT.loads})`, 'firstCallMsMedian', (v) => v.toFixed(1)],
    [`the same, microphone opening in ${OPT.micOpenMs} ms (ms, median of ${OPT.micLoads})`, 'slowMicFirstCallMsMedian', (v) => v.toFixed(1)],
    [`INVITE -> 200, no ICE (ms, median of ${OPT.calls})`, 'callMsMedian', (v) => v.toFixed(1)],
    [`INVITE -> 200, silent STUN (ms, median of ${OPT.stunCalls})`, 'stunCallMsMedian', (v) => v.toFixed(1)],
    [`the same, media server behind a firewall (ms, median of ${OPT.fwCalls})`, 'fwStunCallMsMedian', (v) => v.toFixed(1)],
    [`memory growth call 1 -> ${OPT.soak} (KiB, JS heap + wasm)`, 'memoryGrowthKiB', (v) => String(v)],
    ['failures', 'failures', (v) => String(v)],
  ];
  const header = ['', ...OPT.clients.map((c) => CLIENTS[c].label), ...(OPT.clients.includes('ttecphone') && refs.length ? ['ours / best ref'] : [])];
  const table = [header];
  for (const [name, key, fmt] of rows) {
    const line = [name, ...OPT.clients.map((c) => (Number.isFinite(figures[c][key]) ? fmt(figures[c][key]) : '-'))];
    if (header.length > OPT.clients.length + 1) {
      const ours = figures.ttecphone[key];
      const b = best(key);
      line.push(key === 'failures' || key === 'memoryGrowthKiB' || !Number.isFinite(ours / b) || b === 0 ? '' : ratio(ours / b));
    }
    table.push(line);
  }
  if (OPT.soak > 0) {
    for (const mark of R.soakMarks || []) {
      table.push([`JS heap / wasm at call ${mark} (KiB)`, ...OPT.clients.map((c) => {
        const m = R[c].memory[mark];
        return m ? `${kb(m.js)} / ${kb(m.wasm)}` : '-';
      }), ...(header.length > OPT.clients.length + 1 ? [''] : [])]);
    }
  }
  const widths = header.map((_, i) => Math.max(...table.map((r) => String(r[i]).length)));
  console.log('');
  for (const [i, r] of table.entries()) {
    console.log(r.map((cell, j) => (j === 0 ? String(cell).padEnd(widths[j]) : String(cell).padStart(widths[j]))).join(' | '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  }
  console.log(`\nsilent STUN server saw ${R.stunRequestsSeen ?? 0} requests; the media server's firewall dropped ${R.firewallDropped ?? 0} early ICE checks; run took ${figures.elapsedS} s`);
  for (const c of OPT.clients) {
    const f = figures[c];
    console.log(`bench result ${c}: payload ${f.payloadRawBytes} B raw ${f.payloadGzipBytes} B gzip; register ${f.registerMsMedian} ms (as gadget ${f.registerGadgetMsMedian} ms); first call ${f.firstCallMsMedian} ms (microphone opening in ${OPT.micOpenMs} ms: ${f.slowMicFirstCallMsMedian} ms); call ${f.callMsMedian} ms; silent-STUN call ${f.stunCallMsMedian} ms (media server behind a firewall: ${f.fwStunCallMsMedian} ms); soak ${f.soakCalls} calls, memory growth ${f.memoryGrowthKiB} KiB; failures ${f.failures}${f.failureNotes.length ? ` (${f.failureNotes.join(' | ')})` : ''}`);
  }
  const failures = OPT.clients.reduce((a, c) => a + figures[c].failures, 0);
  process.exitCode = failures ? 1 : 0;
  if (process.env.BENCH_SMOKE) {
    // The suite's smoke run: every figure must exist (no speed is asserted).
    const keys = ['payloadGzipBytes', 'registerMsMedian', 'registerGadgetMsMedian', 'firstCallMsMedian', 'callMsMedian'];
    if (OPT.stunCalls > 0) keys.push('stunCallMsMedian');
    if (OPT.fwCalls > 0) keys.push('fwStunCallMsMedian');
    if (OPT.micLoads > 0) keys.push('slowMicFirstCallMsMedian');
    if (OPT.soak > 0) keys.push('memoryGrowthKiB');
    const missing = OPT.clients.flatMap((c) => keys.filter((k) => !Number.isFinite(figures[c][k])).map((k) => `${c}.${k}`));
    if (missing.length) console.log(`bench smoke: no figure for ${missing.join(', ')}`);
    const ok = !missing.length && !failures;
    console.log(`${ok ? 1 : 0} passed, ${ok ? 0 : 1} failed`);
    if (!ok) process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
