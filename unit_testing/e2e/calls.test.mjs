// Real calls end to end: the built gadget in headless Chromium, inside the
// mock Finesse, registered over WebSocket to the broker under test, answering calls
// that sipp ("CUCM") places through it (plain RTP <-> DTLS-SRTP): Kamailio + rtpengine,
// or a real Asterisk 22 set up as Wazo sets it up (E2E_BROKER=asterisk).
// Runs inside the bed's network namespace:
//   bash unit_testing/bed/bed.sh exec node --test unit_testing/e2e/calls.test.mjs
//   E2E_BROKER=asterisk bash unit_testing/bed/bed.sh exec node --test unit_testing/e2e/calls.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeMediaServer } from '../bed/lib/media-firewall.mjs';
import { broker } from '../bed/lib/brokers.mjs';
import {
  expectSippOk, expectText, failureContext, inviteTo200Ms, median, memory, microphoneOpens, startSession, traceEntries,
} from './bed-session.mjs';

const figures = {};
let session, page;

const sipp = (scenario, options) => session.sipp(scenario, options);
const countRtp = (run, seconds) => session.broker.countRtp(run.callId(1), seconds);
const openGadget = async (state, prefs = '') => session.openPhone(page, { state, prefs });

describe(`calls through ${broker().label}`, () => {
  before(async () => {
    session = await startSession();
    page = await session.browser.context.newPage();
  });

  after(async () => {
    await session?.close();
    console.log(`# call figures (${session?.broker.name}): ${JSON.stringify(figures)}`);
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
      const rtp = await countRtp(run, 3);
      assert.equal(rtp.legs.length, 2, JSON.stringify(rtp));
      for (const leg of rtp.legs) assert.ok(leg.rtpPackets > 0, `no RTP from ${leg.protocol} leg: ${JSON.stringify(rtp)}`);
      figures.rtpPacketsIn3s = rtp.legs.map((l) => `${l.protocol}:${l.rtpPackets}`);
      await expectSippOk(run);
      await expectText(frame, '[aria-live=polite]', 'Call ended: the caller hung up.', 5000);
      assert.equal(await frame.$('.ttec-call'), null);
      // The answer offered addresses the media server can reach: no mDNS `.local` names
      // (Firefox hides host addresses behind them until the page captures; no broker resolves them).
      const answer = (await traceEntries(frame)).find((e) => e.kind === 'SIP out' && /SIP\/2\.0 200 OK[\s\S]*CSeq: \d+ INVITE/.test(e.text));
      assert.ok(answer, 'the 200 OK is in the trace');
      const candidates = answer.text.match(/a=candidate:[^\n]*/g) ?? [];
      assert.ok(candidates.length > 0, `no candidate in the answer: ${answer.text}`);
      assert.deepEqual(candidates.filter((c) => /\.local /.test(c)), [], 'mDNS candidates in the answer');
    } catch (e) {
      e.message += `\n${failureContext(run)}`;
      throw e;
    }
  });

  test('media server behind a stateful firewall: answered at once, audio both ways once the server has our answer', async () => {
    // The gadget's early checks to rtpengine are dropped until rtpengine, which has our
    // answer only after the 200 OK, sends its own: the answer must not wait for a
    // working pair, and the call must still get its audio.
    const { frame } = await openGadget('RESERVED');
    const firewall = closeMediaServer(...session.broker.mediaPorts);
    let run;
    try {
      run = await sipp('uac_call.xml', { durationMs: 6000 });
      await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
      const rtp = await countRtp(run, 3);
      assert.equal(rtp.legs.length, 2, JSON.stringify(rtp));
      for (const leg of rtp.legs) assert.ok(leg.rtpPackets > 0, `no RTP from ${leg.protocol} leg: ${JSON.stringify(rtp)}`);
      await expectSippOk(run);
      figures.firewallInviteTo200Ms = inviteTo200Ms(run);
      figures.firewallDroppedChecks = firewall.dropped();
      assert.ok(figures.firewallDroppedChecks > 0, 'the firewall dropped none of the early checks: the case was not set up');
      // Not a speed bound: a phone that waited for a working pair would wait for rtpengine's
      // checks, which come only after its answer, until its own time-out (ours: 250 ms at most, CAP_MS).
      assert.ok(figures.firewallInviteTo200Ms < 1000, `INVITE -> 200 OK took ${figures.firewallInviteTo200Ms} ms behind the firewall: the answer waited for ICE`);
    } catch (e) {
      if (run) e.message += `\n${failureContext(run)}`;
      throw e;
    } finally {
      firewall.open();
    }
  });

  // Asterisk with 100rel=required sends Require: 100rel: a phone without RFC 3262 answers
  // 420 and the customer never reaches the agent.
  if (broker().require100relHeader) test('a broker that requires reliable provisional responses: 180 with RSeq, PRACK answered, call answered', async () => {
    const { frame } = await openGadget('RESERVED');
    const run = await sipp('uac_call.xml', { durationMs: 3000, header: session.broker.require100relHeader });
    try {
      await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
      await expectSippOk(run);
      await expectText(frame, '[aria-live=polite]', 'Call ended: the caller hung up.', 5000);
    } catch (e) {
      e.message += `\n${failureContext(run)}`;
      throw e;
    }
    const entries = await traceEntries(frame);
    const last = (kind, re) => entries.filter((e) => e.kind === kind && re.test(e.text)).at(-1);
    assert.ok(last('SIP in', /INVITE sip:\S+ SIP\/2\.0/)?.text.match(/Require:\s*100rel/i), 'the INVITE requires 100rel');
    const ringing = last('SIP out', /SIP\/2\.0 180 /);
    assert.match(ringing?.text ?? '', /RSeq: \d+/, 'the 180 is reliable');
    assert.ok(last('SIP in', /PRACK sip:\S+ SIP\/2\.0/), 'the broker PRACKed it');
    assert.ok(last('SIP out', /SIP\/2\.0 200 [\s\S]*CSeq: \d+ PRACK/), 'the PRACK was answered 200');
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
    const rtp = await countRtp(run, 1.5);
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

  test('Finesse failing over: the last known state decides the call (RESERVED answered, NOT_READY refused 480)', async () => {
    // The documented policy (README, "Finesse failover"): while finesse.js reports a
    // disconnect, the phone stays registered and auto-answer follows the last known
    // state, for 2 minutes at most.
    const failover = async (frame, on) => {
      await page.evaluate((value) => window.mockFinesse.setFailover(value), on);
      if (on) await frame.waitForSelector('[data-problem=finesse-failover]', { timeout: 2000 });
      else await frame.waitForSelector('[data-problem=finesse-failover]', { state: 'detached', timeout: 2000 });
    };
    const ready = await openGadget('RESERVED');
    await failover(ready.frame, true);
    const run = await sipp('uac_call.xml', { durationMs: 2000 });
    try {
      await expectText(ready.frame, '.ttec-call__caller', /0611223344/, 10000);
      await expectSippOk(run);
      await expectText(ready.frame, '.ttec-registration__word', 'Registered');
    } catch (e) {
      e.message += `\n${failureContext(run)}`;
      throw e;
    }
    await failover(ready.frame, false);

    const away = await openGadget('NOT_READY');
    await failover(away.frame, true);
    const refused = await sipp('uac_expect_reject.xml', { durationMs: 1000 });
    await expectSippOk(refused); // expects 480
    assert.equal(await microphoneOpens(away.frame), 0);
    await failover(away.frame, false);
  });

  test('ten calls in a row are all answered; memory does not grow call over call', async () => {
    const { frame } = await openGadget('RESERVED');
    const answerTimes = [];
    const samples = [];
    for (let i = 0; i < 10; i++) {
      const run = await sipp('uac_call.xml', { durationMs: 800, caller: `06112233${String(i).padStart(2, '0')}` });
      await expectSippOk(run);
      const ms = inviteTo200Ms(run);
      if (ms !== undefined) answerTimes.push(ms);
      await expectText(frame, '[aria-live=polite]', 'Call ended: the caller hung up.', 5000);
      samples.push(await memory(frame));
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
