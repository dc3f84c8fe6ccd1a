// Early answer (issue 7): with the microphone permission granted and a microphone
// listed, the gadget sends its 200 OK before getUserMedia resolves and adds the
// microphone's track afterwards (replaceTrack); without a granted permission it opens
// the microphone first, as before. A microphone that fails after the early answer ends
// the call with BYE + Reason and the agent reads why.
//
// getUserMedia is slowed down or made to fail by a hook in the test page (below), the
// way a real microphone that is slow to open or held by another application behaves;
// everything else is the real browser against the bed (Kamailio + rtpengine + sipp).
// Runs inside the bed's network namespace:
//   bash unit_testing/bed/bed.sh exec node --test unit_testing/e2e/early-answer.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { countRtp } from '../bed/lib/rtpengine.mjs';
import {
  expectSippOk, expectText, inviteTo200Ms, startSession, WEBRTC_ARGS,
} from './bed-session.mjs';
import { launchBrowser } from './harness.mjs';

/**
 * Test hook in every frame: `window.__ttecMicHook = { delayMs, fail, failTimes }` shapes
 * getUserMedia: it fails with the DOMException named `fail` (only for the first
 * `failTimes` calls, when given), after `delayMs`.
 */
function microphoneHook() {
  const md = navigator.mediaDevices;
  if (!md || !md.getUserMedia) return;
  const original = md.getUserMedia.bind(md);
  window.__ttecMicHookCalls = 0;
  md.getUserMedia = (constraints) => {
    window.__ttecMicHookCalls += 1;
    const hook = window.__ttecMicHook || {};
    const wait = new Promise((resolve) => setTimeout(resolve, hook.delayMs || 0));
    if (hook.fail && (hook.failTimes === undefined || window.__ttecMicHookCalls <= hook.failTimes)) {
      return wait.then(() => { throw new DOMException('Could not start audio source', hook.fail); });
    }
    return original(constraints).then((stream) => wait.then(() => stream));
  };
}

/**
 * Test hook in every frame: when the first `200 OK` to an INVITE leaves on the WebSocket
 * (`__ttec200At`) and when the call first shows in the bar (`__ttecCallShownAt`), both
 * in the frame's performance.now().
 */
function answerOrderHook() {
  const WS = window.WebSocket;
  if (!WS) return;
  const send = WS.prototype.send;
  WS.prototype.send = function (data) {
    if (window.__ttec200At === undefined && /^SIP\/2\.0 200 [\s\S]*^CSeq: *\d+ INVITE/m.test(String(data))) {
      window.__ttec200At = performance.now();
    }
    return send.call(this, data);
  };
  new MutationObserver(() => {
    if (window.__ttecCallShownAt === undefined && document.querySelector('.ttec-call')) {
      window.__ttecCallShownAt = performance.now();
    }
  }).observe(document, { subtree: true, childList: true });
}

let session;
let env;

async function openPhone({ granted, context = session.browser.context }) {
  if (granted) await context.grantPermissions(['microphone'], { origin: session.finesse.origin });
  const page = await context.newPage();
  await page.addInitScript(microphoneHook);
  await page.addInitScript(answerOrderHook);
  const { frame } = await session.openPhone(page, { state: 'RESERVED' });
  // The permission and the device list are checked once registered; give them a moment.
  const state = await frame.evaluate(async () => (await navigator.permissions.query({ name: 'microphone' })).state);
  await page.waitForTimeout(500);
  return { page, frame, state };
}

/** Opens a phone with the microphone permission granted and `hook` shaping getUserMedia
 *  (see microphoneHook), runs `body({page, frame, state})`, and closes the page. */
async function withGrantedPhone(hook, body) {
  const opened = await openPhone({ granted: true });
  try {
    await opened.frame.evaluate((h) => { window.__ttecMicHook = h; }, hook);
    await body(opened);
  } finally {
    await opened.page.close();
  }
}

describe('early answer: 200 OK before the microphone opens, when it is known to work', () => {
  before(async () => {
    session = await startSession();
    env = session.env;
  });

  after(async () => {
    await session?.close();
  });

  test('permission granted: the 200 OK does not wait for a slow microphone, whose audio follows', async () => {
    await withGrantedPhone({ delayMs: 1500 }, async ({ page, frame, state }) => {
      assert.equal(state, 'granted');
      const run = await session.sipp('uac_call.xml', { durationMs: 5000 });
      await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
      // The browser's RTP starts once the microphone's track is on the sender (replaceTrack).
      await page.waitForTimeout(2000);
      const rtp = await countRtp({ port: env.BED_NG_PORT }, run.callId(1), 1.5);
      assert.equal(rtp.legs.length, 2, JSON.stringify(rtp));
      for (const leg of rtp.legs) assert.ok(leg.rtpPackets > 0, `no RTP from ${leg.protocol} leg: ${JSON.stringify(rtp)}`);
      await expectSippOk(run);
      const ms = inviteTo200Ms(run);
      assert.ok(ms !== undefined && ms < 1000, `INVITE -> 200 OK took ${ms} ms: it waited for the microphone (1500 ms)`);
      assert.equal(await frame.evaluate(() => window.__ttecMicHookCalls), 1);
      await expectText(frame, '[aria-live=polite]', 'Call ended: the caller hung up.', 5000);
    });
  });

  test('answered at once: the bar shows the call after the 200 OK is out, with every SIP line of it in the trace, in order', async () => {
    await withGrantedPhone({}, async ({ frame }) => {
      const run = await session.sipp('uac_call.xml', { durationMs: 1500 });
      await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
      const { sent, shown } = await frame.evaluate(() => ({ sent: window.__ttec200At, shown: window.__ttecCallShownAt }));
      assert.ok(sent !== undefined && shown !== undefined, `200 OK sent at ${sent}, call shown at ${shown}`);
      // The bar's re-render and the iframe's resize are held until the answer is out,
      // so they do not compete with the browser's offer/answer steps on the main thread.
      assert.ok(shown >= sent, `the call showed (${shown.toFixed(1)} ms) before the 200 OK left (${sent.toFixed(1)} ms)`);
      await expectSippOk(run);
      await expectText(frame, '[aria-live=polite]', 'Call ended: the caller hung up.', 5000);
      // Nothing held was lost or reordered: the call's SIP lines, in order, in the trace.
      await frame.click('.ttec-tool--diagnostics');
      const entries = await frame.$$eval('.ttec-trace__entry', (els) => els.map((e) => e.textContent.slice(e.querySelector('.ttec-trace__meta').textContent.length)));
      const callId = run.callId(1);
      const firstLines = entries.filter((e) => e.includes(callId)).map((e) => /^\s*((?:INVITE|ACK|BYE) sip:|SIP\/2\.0 \d+)/.exec(e)?.[1]);
      assert.deepEqual(firstLines.slice(0, 5), ['INVITE sip:', 'SIP/2.0 100', 'SIP/2.0 180', 'SIP/2.0 200', 'ACK sip:'], JSON.stringify(firstLines));
      await frame.click('.ttec-tool--diagnostics');
    });
  });

  test('permission granted, the microphone busy once (previous call still releasing it): asked again, the call goes on', async () => {
    await withGrantedPhone({ fail: 'NotReadableError', failTimes: 1 }, async ({ page, frame }) => {
      const run = await session.sipp('uac_call.xml', { durationMs: 3000 });
      await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
      await page.waitForTimeout(1500);
      const rtp = await countRtp({ port: env.BED_NG_PORT }, run.callId(1), 1);
      for (const leg of rtp.legs) assert.ok(leg.rtpPackets > 0, `no RTP from ${leg.protocol} leg: ${JSON.stringify(rtp)}`);
      await expectSippOk(run); // sipp ends the call itself: a BYE from the gadget would fail it
      assert.equal(await frame.evaluate(() => window.__ttecMicHookCalls), 2, 'asked once more after "busy"');
      await expectText(frame, '[aria-live=polite]', 'Call ended: the caller hung up.', 5000);
    });
  });

  test('permission granted, then the microphone fails (in use elsewhere): BYE with Reason, and the agent is told', async () => {
    await withGrantedPhone({ delayMs: 400, fail: 'NotReadableError' }, async ({ frame }) => {
      const run = await session.sipp('uac_wait_bye.xml', { durationMs: 20000 });
      await expectSippOk(run); // 200 OK, ACK, then a BYE from the gadget
      const ms = inviteTo200Ms(run);
      assert.ok(ms !== undefined && ms < 400, `the 200 OK (${ms} ms) came after the microphone failed (400 ms)`);
      const messages = fs.readFileSync(run.files.messages, 'utf8');
      const bye = messages.split(/^-{20,}.*$/m).find((m) => /message received[\s\S]*?^\s*BYE /m.test(m));
      assert.ok(bye, 'no BYE received by sipp');
      assert.match(bye, /^\s*Reason: SIP;cause=480;text="microphone unavailable"\s*$/m);
      await expectText(frame, '[aria-live=polite]', 'Call ended: the microphone is in use by another application.', 5000);
      assert.equal(await frame.$('.ttec-call'), null);
      assert.equal(await frame.evaluate(() => window.__ttecMicHookCalls), 3, 'busy: asked twice more, then given up');
    });
  });

  test('permission not granted: the microphone is asked before any 200 OK (denied: 480, never answered)', async () => {
    // A browser of its own without the fake media UI: the permission is "prompt", and
    // headless Chromium refuses the prompt. Had the gadget answered early, sipp would
    // get a 200 OK and a BYE; opening the microphone first, it gets 480.
    const browser = await launchBrowser(WEBRTC_ARGS, { fakeUi: false });
    const { page, frame, state } = await openPhone({ granted: false, context: browser.context });
    try {
      assert.notEqual(state, 'granted', 'precondition: the permission is not known to be granted');
      const run = await session.sipp('uac_expect_reject.xml', { durationMs: 1000 });
      await expectSippOk(run); // expects 480, fails on a 200 OK
      assert.equal(await frame.evaluate(() => window.__ttecMicHookCalls), 1, 'the microphone was asked once');
      await expectText(frame, '[aria-live=polite]', 'Call not answered: the microphone is blocked.', 5000);
    } finally {
      await page.close();
      await browser.close();
    }
  });
});
