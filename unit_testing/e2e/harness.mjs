// Shared e2e harness: free ports, the mock Finesse serving the built dist/,
// and the browser under test: Debian's headless Chromium driven by playwright-core,
// or with E2E_BROWSER=firefox Debian's Firefox ESR (puppeteer.mjs).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { launchFirefox, launchHideableChromium } from './puppeteer.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = path.join(ROOT, 'dist');
/** The browser the suites run in: `chromium` (default) or `firefox`. */
export const BROWSER = process.env.E2E_BROWSER || 'chromium';
if (!['chromium', 'firefox'].includes(BROWSER)) throw new Error(`E2E_BROWSER=${BROWSER}: chromium or firefox`);

/** A port nobody listens on right now (loopback). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, child, log, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${log.join('')}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${log.join('')}`);
}

/** Starts the mock Finesse with the built gadget; returns {origin, stop}. */
export async function startMockFinesse({ gadgetDir = DIST, gadgetName = 'TTECPhone' } = {}) {
  if (!fs.existsSync(path.join(gadgetDir, 'gadget.xml'))) {
    throw new Error(`${path.relative(ROOT, gadgetDir)}/gadget.xml is missing: run \`bash unit_testing/dev/release.sh\` first`);
  }
  const port = await freePort();
  const log = [];
  const child = spawn(process.execPath, [
    path.join(ROOT, 'unit_testing/mock_finesse/server.mjs'), '--port', String(port), '--gadget-dir', gadgetDir,
    '--gadget-name', gadgetName,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => log.push(String(d)));
  child.stderr.on('data', (d) => log.push(String(d)));
  const origin = `http://127.0.0.1:${port}`;
  await waitForHttp(`${origin}/desktop/`, child, log);
  return {
    origin,
    log,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    },
  };
}

/**
 * The browser under test (BROWSER), headless with fake media devices, as root in a
 * sandbox-less CI. `extraArgs` are Chromium flags (puppeteer.mjs maps them to Firefox prefs).
 * `hideable`: a page behind another is hidden and its timers throttled as in an agent's
 * browser (Chromium through puppeteer.mjs; Playwright keeps its pages visible).
 * `fakeUi: false` leaves microphone prompts to the browser (headless: denied);
 * `fakeDevices: false` leaves it without any microphone (NotFoundError).
 */
export async function launchBrowser(extraArgs = [], options = {}) {
  if (BROWSER === 'firefox') return launchFirefox(extraArgs, options);
  const { fakeUi = true, fakeDevices = true, hideable = false } = options;
  const args = [
    '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ...(fakeUi ? ['--use-fake-ui-for-media-stream'] : []),
    ...(fakeDevices ? ['--use-fake-device-for-media-stream'] : []),
    ...extraArgs,
  ];
  if (hideable) return launchHideableChromium(args);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttec-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args,
    viewport: { width: 1280, height: 800 },
  });
  return {
    name: 'chromium',
    context,
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** The gadget's iframe inside the mock desktop, once its phone bar rendered. */
export async function gadgetFrame(page, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (frame.url().includes('/gadgets/ifr')) {
        const bar = await frame.$('.ttec-bar').catch(() => null);
        if (bar) return frame;
      }
    }
    await page.waitForTimeout(50);
  }
  throw new Error('the gadget did not render its phone bar inside the mock Finesse');
}

/** Waits until `selector`'s text in `frame` equals (or matches) `expected`. */
/**
 * The gadget page's localStorage and sessionStorage as JSON, for secret checks: all of
 * it but Finesse's own `userFinesseAuth` (the desktop keeps the agent's Base64
 * "id:password" there, in the session storage the gadget's same-origin iframe shares).
 */
export function gadgetStorage(frame) {
  return frame.evaluate(() => {
    const session = { ...sessionStorage };
    delete session.userFinesseAuth;
    return JSON.stringify({ local: { ...localStorage }, session });
  });
}

export async function expectText(frame, selector, expected, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await frame.$eval(selector, (e) => e.textContent).catch(() => undefined);
    if (expected instanceof RegExp ? expected.test(last ?? '') : last === expected) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${selector}: expected ${expected}, last saw ${JSON.stringify(last)}`);
}

/** The median of a list of numbers (the lower middle for an even count). */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

/** ms between sipp sending the INVITE and receiving the 200 OK, from sipp's message trace. */
export function inviteTo200Ms(run) {
  const text = fs.readFileSync(run.files.messages, 'utf8');
  const blocks = text.split(/^-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\s*$/m);
  const time = (stamp) => {
    const [whole, frac = '0'] = stamp.split('.');
    return Date.parse(`${whole.replace(' ', 'T')}Z`) + Number(`0.${frac}`) * 1000;
  };
  let sent, answered;
  for (let i = 1; i + 1 < blocks.length; i += 2) {
    const body = blocks[i + 1];
    if (sent === undefined && /message sent[^\n]*\n\s*\n?\s*INVITE /.test(body)) sent = time(blocks[i]);
    if (answered === undefined && /message received[^\n]*\n\s*\n?\s*SIP\/2\.0 200 [\s\S]*CSeq: \d+ INVITE/.test(body)) {
      answered = time(blocks[i]);
    }
  }
  return sent !== undefined && answered !== undefined ? answered - sent : undefined;
}

/** The signatures REAL-SIGNATURES.md lists: name -> allowed option names (null: none). */
function realSignatures() {
  const text = fs.readFileSync(path.join(ROOT, 'unit_testing/mock_finesse/REAL-SIGNATURES.md'), 'utf8');
  const block = /```signatures\n([\s\S]*?)```/.exec(text);
  if (!block) throw new Error('REAL-SIGNATURES.md has no ```signatures block');
  const out = new Map();
  for (const line of block[1].split('\n')) {
    const entry = line.replace(/#.*$/, '').trim();
    if (!entry) continue;
    const m = /^(.*?)(?:\s*\{([^}]*)\})?$/.exec(entry);
    out.set(m[1].trim(), m[2] === undefined ? null : new Set(m[2].split(',').map((s) => s.trim())));
  }
  return out;
}

/** Of the finesse.js calls the gadget made (the mock's `finesse.__mockCalls()`), those the real
 *  library lacks, or with an option it does not read (REAL-SIGNATURES.md), in words. */
export function unrealCalls(seen) {
  const real = realSignatures();
  const wrong = [];
  for (const call of seen) {
    const m = /^(.*?)(?: \{([^}]*)\})?$/.exec(call);
    const [name, options] = [m[1], m[2] === undefined ? [] : m[2].split(',').filter(Boolean)];
    if (!real.has(name)) { wrong.push(`${call}: not in the real library`); continue; }
    const allowed = real.get(name) || new Set();
    for (const o of options) if (!allowed.has(o)) wrong.push(`${call}: option ${o} is not the real library's`);
  }
  return wrong;
}
