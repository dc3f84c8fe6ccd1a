// Shared set-up for the e2e suites that run against the SIP test bed: the bed's
// settings, the broker under test (E2E_BROKER=kamailio|asterisk, ../bed/lib/brokers.mjs),
// the mock Finesse, a Chromium that can do WebRTC on loopback, and helpers to open the
// gadget for an agent and to read the broker's side.
import assert from 'node:assert/strict';
import { bedRunning, failureContext, inBedNamespace, loadBedEnv, runSipp } from '../bed/lib/bed.mjs';
import { broker as brokerUnderTest } from '../bed/lib/brokers.mjs';
import { expectText, gadgetFrame, launchBrowser, startMockFinesse } from './harness.mjs';

/** Chromium flags for WebRTC inside the bed's loopback-only namespace. */
export const WEBRTC_ARGS = [
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
  '--enable-precise-memory-info',
  '--js-flags=--expose-gc',
];

/** Counts getUserMedia calls in every frame (window.__ttecGetUserMediaCalls). */
function countMicrophoneOpens() {
  window.__ttecGetUserMediaCalls = 0;
  const md = navigator.mediaDevices;
  if (md && md.getUserMedia) {
    const original = md.getUserMedia.bind(md);
    md.getUserMedia = (constraints) => { window.__ttecGetUserMediaCalls += 1; return original(constraints); };
  }
}

/** Init script: every frame records the WebSockets it constructs (window.__ttecSockets),
 * with the time and whether the wasm had started. */
export function countSockets() {
  const WS = window.WebSocket;
  const made = (window.__ttecSockets = []);
  window.WebSocket = function (...args) {
    made.push({ url: args[0], at: performance.now(), wasmStarted: performance.getEntriesByName('ttec:boot').length > 0 });
    return new WS(...args);
  };
  window.WebSocket.prototype = WS.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
}

/** The bed, the mock Finesse and a browser; `extraArgs` and `options` go to launchBrowser. */
export async function startSession({ extraArgs = [], ...options } = {}) {
  assert.ok(await bedRunning(), 'the SIP test bed is not running: `bash unit_testing/bed/bed.sh start`');
  const env = loadBedEnv();
  assert.ok(inBedNamespace(env), 'run this inside the bed: bash unit_testing/bed/bed.sh exec node --test …');
  const broker = brokerUnderTest(undefined, env);
  const finesse = await startMockFinesse();
  const browser = await launchBrowser([...WEBRTC_ARGS, ...extraArgs], options);
  await browser.context.addInitScript(countMicrophoneOpens);
  return {
    env,
    broker,
    finesse,
    browser,
    async close() {
      await browser.close();
      await finesse.stop();
    },
    /** The desktop URL for agent `number` (bed user) in `state`, with extra gadget prefs. */
    /** `query`: more of the mock desktop's query, e.g. `&configAt=onConnect&hubDelayMs=1500`. */
    desktopUrl({ number = '3000', state = 'RESERVED', prefs = '', query = '' } = {}) {
      const all = `brokerKind=sip&wsUrl=${broker.wsUrl}&sipDomain=${broker.sipDomain}${prefs}`;
      return `${finesse.origin}/desktop/?agent=agent${number}&ext=${Number(number) - 1000}&webrtc=${number}`
        + `&state=${state}${query}&prefs=${encodeURIComponent(all)}`;
    },
    /** Opens the gadget in `page` and waits until it is Registered; resolves {frame, registeredMs}.
     *  `password`: the agent's Finesse password from the first gadget load (the mock's default is
     *  test-password-3000; bed users have test-password-<number>). */
    async openPhone(page, options = {}) {
      if (options.password !== undefined) {
        await page.addInitScript((password) => {
          if (window.top === window) window.mockFinesseInit = { password };
        }, options.password);
      }
      const t0 = Date.now();
      await page.goto(this.desktopUrl(options));
      const frame = await gadgetFrame(page);
      if (options.expectRegistered !== false) {
        await expectText(frame, '.ttec-registration__word', 'Registered', 15000);
        // Ready for calls once Finesse's state is known too: the phone registers from
        // Config at once, the User arrives after the hub connects and a REST round trip
        // (up to a second later in Firefox); until then a call is refused (480).
        await expectText(frame, '.ttec-autoanswer__status', /^(?![\s\S]*while unknown$)./, 10000);
      }
      return { frame, registeredMs: Date.now() - t0 };
    },
    /** Runs a sipp scenario calling `service` (default 3000) through the broker under test. */
    sipp(scenario, options = {}) {
      return runSipp(scenario, { service: '3000', env, broker: broker.name, ...options });
    },
  };
}

export async function expectSippOk(run) {
  const result = await run.done;
  assert.equal(result.code, 0, `sipp ${run.args[2]} exited ${result.code}\n${failureContext(run)}`);
  return result;
}

export const microphoneOpens = (frame) => frame.evaluate(() => window.__ttecGetUserMediaCalls ?? 0);

/** JS heap (after a forced GC) and wasm memory of the gadget frame, in bytes. */
export const memory = (frame) => frame.evaluate(() => {
  if (typeof gc === 'function') gc();
  return {
    js: performance.memory ? performance.memory.usedJSHeapSize : 0,
    wasm: window.TTEC && window.TTEC.wasm ? window.TTEC.wasm.memory.buffer.byteLength : 0,
  };
});

/** The agent's diagnostics trace, read as the agent would (opened, read, closed):
 * [{ kind: 'SIP in'|'SIP out'|…, at: epoch ms, text }]. */
export async function traceEntries(frame) {
  await frame.click('.ttec-tool--diagnostics');
  const entries = await frame.$$eval('.ttec-trace__entry', (els) => els.map((e) => ({
    kind: e.dataset.kind, at: Date.parse(e.querySelector('.ttec-trace__meta').textContent.split(' ')[0]), text: e.textContent,
  })));
  await frame.click('.ttec-tool--diagnostics');
  return entries;
}

export { expectText, gadgetFrame, failureContext };
export { inviteTo200Ms, median } from './harness.mjs';
