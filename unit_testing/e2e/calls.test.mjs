// Real calls end to end: the built gadget in headless Chromium, inside the
// mock Finesse, registered over WebSocket to Kamailio, answering calls that
// sipp ("CUCM") places through Kamailio + rtpengine (plain RTP <-> DTLS-SRTP).
// Runs inside the bed's network namespace:
//   bash unit_testing/bed/bed.sh exec node --test unit_testing/e2e/calls.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { bedRunning, failureContext, inBedNamespace, loadBedEnv, runSipp } from '../bed/lib/bed.mjs';
import { countRtp } from '../bed/lib/rtpengine.mjs';
import { expectText, gadgetFrame, launchBrowser, startMockFinesse } from './harness.mjs';

const figures = {};
let env, finesse, browser, page;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

/** ms between sipp sending the INVITE and receiving the 200 OK, from sipp's message trace. */
function inviteTo200Ms(sipp) {
  const text = fs.readFileSync(sipp.files.messages, 'utf8');
  const blocks = text.split(/^-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\s*$/m);
  let sent, answered;
  for (let i = 1; i + 1 < blocks.length; i += 2) {
    const at = Date.parse(blocks[i].replace(' ', 'T') + 'Z');
    const frac = Number(`0.${blocks[i].split('.')[1]}`) * 1000 % 1;
    const body = blocks[i + 1];
    if (sent === undefined && /^\s*UDP message sent[^\n]*\n\s*\n?\s*INVITE /m.test(body)) sent = at + frac;
    if (answered === undefined && /^\s*UDP message received[^\n]*\n\s*\n?\s*SIP\/2\.0 200 [^\n]*\n[\s\S]*CSeq: \d+ INVITE/m.test(body)) answered = at + frac;
  }
  return sent !== undefined && answered !== undefined ? answered - sent : undefined;
}

async function sipp(scenario, options) {
  const run = await runSipp(scenario, { service: '3000', env, ...options });
  return run;
}

async function expectSippOk(run) {
  const result = await run.done;
  assert.equal(result.code, 0, `sipp ${run.args[2]} exited ${result.code}\n${failureContext(run)}`);
  return result;
}

async function openGadget(state, extraPrefs = '') {
  const prefs = `brokerKind=sip&wsUrl=${env.BED_WS_URL}&sipDomain=${env.BED_DOMAIN}${extraPrefs}`;
  const t0 = Date.now();
  await page.goto(`${finesse.origin}/desktop/?agent=agent3000&ext=2000&webrtc=3000&state=${state}&prefs=${encodeURIComponent(prefs)}`);
  const frame = await gadgetFrame(page);
  await expectText(frame, '.ttec-registration__word', 'Registered', 15000);
  return { frame, registeredMs: Date.now() - t0 };
}

const microphoneOpens = (frame) => frame.evaluate(() => window.__ttecGetUserMediaCalls ?? 0);

describe('calls through Kamailio + rtpengine', () => {
  before(async () => {
    assert.ok(await bedRunning(), 'the SIP test bed is not running: `bash unit_testing/bed/bed.sh start`');
    env = loadBedEnv();
    assert.ok(inBedNamespace(env), 'run this inside the bed: bash unit_testing/bed/bed.sh exec node --test …');
    finesse = await startMockFinesse();
    browser = await launchBrowser([
      '--allow-loopback-in-peer-connection',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      '--autoplay-policy=no-user-gesture-required',
      '--enable-precise-memory-info',
      '--js-flags=--expose-gc',
    ]);
    // Count microphone opens in every frame (the gadget's iframe included).
    await browser.context.addInitScript(() => {
      window.__ttecGetUserMediaCalls = 0;
      const md = navigator.mediaDevices;
      if (md && md.getUserMedia) {
        const original = md.getUserMedia.bind(md);
        md.getUserMedia = (constraints) => { window.__ttecGetUserMediaCalls += 1; return original(constraints); };
      }
    });
    page = await browser.context.newPage();
  });

  after(async () => {
    await browser?.close();
    await finesse?.stop();
    console.log(`# call figures: ${JSON.stringify(figures)}`);
  });

  test('page load -> Registered', async () => {
    const loads = [];
    for (let i = 0; i < 3; i++) loads.push((await openGadget('RESERVED')).registeredMs);
    figures.loadToRegisteredMsMedian = median(loads);
  });

  test('sipp calls the WebRTC number: auto-answered, RTP both ways, BYE from sipp ends it', async () => {
    const { frame } = await openGadget('RESERVED');
    const run = await sipp('uac_call.xml', { durationMs: 6000 });
    try {
      await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
      const rtp = await countRtp({ port: env.BED_NG_PORT }, run.callId(1), 3);
      assert.equal(rtp.legs.length, 2, JSON.stringify(rtp));
      for (const leg of rtp.legs) assert.ok(leg.rtpPackets > 0, `no RTP from ${leg.protocol} leg: ${JSON.stringify(rtp)}`);
      figures.rtpPacketsIn3s = rtp.legs.map((l) => `${l.protocol}:${l.rtpPackets}`);
      await expectSippOk(run);
      await expectText(frame, '[aria-live=polite]', 'Call ended: the caller hung up.', 5000);
      assert.equal(await frame.$('.ttec-call'), null);
    } catch (e) {
      e.message += `\n${failureContext(run)}`;
      throw e;
    }
  });

  test('hang-up in the gadget sends BYE', async () => {
    const { frame } = await openGadget('RESERVED');
    const run = await sipp('uac_wait_bye.xml', { durationMs: 20000 });
    await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
    await frame.click('.ttec-call__hangup');
    await expectSippOk(run);
    await expectText(frame, '[aria-live=polite]', 'Call ended: you hung up.', 5000);
  });

  test('hold then resume by re-INVITE: audio flows again after resume', async () => {
    const { frame } = await openGadget('TALKING');
    const run = await sipp('uac_hold_resume.xml', { durationMs: 2500 });
    await expectText(frame, '.ttec-call__held', 'On hold', 10000);
    await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
    // After the resume re-INVITE the held badge goes and RTP flows both ways.
    const deadline = Date.now() + 8000;
    while (await frame.$('.ttec-call__held') && Date.now() < deadline) await page.waitForTimeout(50);
    assert.equal(await frame.$('.ttec-call__held'), null, 'still shown as held after resume');
    const rtp = await countRtp({ port: env.BED_NG_PORT }, run.callId(1), 1.5);
    for (const leg of rtp.legs) assert.ok(leg.rtpPackets > 0, `no RTP after resume: ${JSON.stringify(rtp)}`);
    await expectSippOk(run);
  });

  test('CANCEL before the auto-answer delay: no 200 OK, the banner clears', async () => {
    const { frame } = await openGadget('RESERVED', '&autoAnswerDelayMs=4000');
    const run = await sipp('uac_cancel.xml', { durationMs: 1500 });
    await expectText(frame, '.ttec-incoming__progress', /^Answering in \d s$/, 5000);
    await expectSippOk(run); // the scenario fails on any 200 OK to the INVITE
    const deadline = Date.now() + 5000;
    while (await frame.$('.ttec-incoming') && Date.now() < deadline) await page.waitForTimeout(50);
    assert.equal(await frame.$('.ttec-incoming'), null, 'banner still shown after CANCEL');
    await expectText(frame, '[aria-live=polite]', /^Missed call/, 3000);
  });

  test('agent NOT_READY: the call is rejected with 480 and the microphone is never opened', async () => {
    const { frame } = await openGadget('NOT_READY');
    const run = await sipp('uac_expect_reject.xml', { durationMs: 1000 });
    await expectSippOk(run); // expects 480
    assert.equal(await microphoneOpens(frame), 0);
  });

  test('ten calls in a row are all answered; memory does not grow call over call', async () => {
    const { frame } = await openGadget('RESERVED');
    const heap = async () => frame.evaluate(() => {
      if (typeof gc === 'function') gc();
      return {
        js: performance.memory ? performance.memory.usedJSHeapSize : 0,
        wasm: window.TTEC && window.TTEC.wasm ? window.TTEC.wasm.memory.buffer.byteLength : 0,
      };
    });
    const answerTimes = [];
    const samples = [];
    for (let i = 0; i < 10; i++) {
      const run = await sipp('uac_call.xml', { durationMs: 800, caller: `06112233${String(i).padStart(2, '0')}` });
      await expectSippOk(run);
      const ms = inviteTo200Ms(run);
      if (ms !== undefined) answerTimes.push(ms);
      await expectText(frame, '[aria-live=polite]', 'Call ended: the caller hung up.', 5000);
      samples.push(await heap());
    }
    assert.equal(await microphoneOpens(frame), 10, 'one microphone open per call');
    figures.inviteTo200MsMedian = Math.round(median(answerTimes) * 10) / 10;
    figures.heapKbAfterCall2 = Math.round(samples[1].js / 1024);
    figures.heapKbAfterCall10 = Math.round(samples[9].js / 1024);
    figures.wasmKb = samples.map((s) => s.wasm / 1024);
    assert.ok(samples[9].js - samples[1].js < 1024 * 1024,
      `JS heap grew ${(samples[9].js - samples[1].js) / 1024} KiB over 8 calls`);
    assert.ok(samples[9].wasm - samples[1].wasm <= 64 * 1024, 'wasm memory grew by more than one page');
  });
});
