// Call quality under impairment, on the bed: the bar's indicator and its warning follow
// loss applied to the agent's media path, and clear when it is removed; the end-of-call
// summary reaches the diagnostics and the collector (the mock Finesse's QA collector).
//
// Loss: nftables drops a share of the UDP between the browser and the media server
// (`numgen random`), both ways, sparing the caller's (sipp's) leg. Delay and jitter: the
// same packets go through NFQUEUE to the bed's `netdelay`, which lets each go after the
// delay, plus or minus the jitter (this machine's kernel has no `sch_netem`: `tc qdisc
// add … netem` fails with "Specified qdisc kind is unknown"; unit_testing/bed/netdelay).
// Runs inside the bed's network namespace:
//   bash unit_testing/bed/bed.sh exec node --test unit_testing/e2e/quality.test.mjs
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { delayAgentMedia, impairAgentMedia, restoreAgentDelay, restoreAgentMedia as restoreMedia } from '../bed/lib/media-firewall.mjs';
import { expectText, failureContext, startSession, traceEntries } from './bed-session.mjs';

const figures = {};
let session;
// A test's page, closed after it even when it failed: an agent's page left open keeps the
// phone's tab lock, and the next test's phone for the same agent would stay unregistered.
const pages = [];
async function newPage(s) {
  const page = await s.browser.context.newPage();
  pages.push(page);
  return page;
}
/** The silent-microphone warning shows after 5 silent samples (one a second). */
const SILENT_WARNING_AFTER_MS = 7000;

/** The silent-microphone warning as shown, or null. */
const silentWarning = (frame) => frame.evaluate(() => {
  const p = document.querySelector('.ttec-problem[data-problem=silent-microphone]');
  return p ? {
    title: p.querySelector('.ttec-problem__title')?.textContent, next: p.querySelector('.ttec-problem__next')?.textContent,
    role: p.getAttribute('role'),
  } : null;
});

/** A WAV of digital silence (8 kHz, 16-bit mono, 1 s; Chromium loops it). */
function silentWav() {
  const samples = 8000;
  const data = Buffer.alloc(samples * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0); header.writeUInt32LE(36 + data.length, 4); header.write('WAVE', 8);
  header.write('fmt ', 12); header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20); header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24); header.writeUInt32LE(16000, 28); header.writeUInt16LE(2, 32); header.writeUInt16LE(16, 34);
  header.write('data', 36); header.writeUInt32LE(data.length, 40);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ttec-silent-')), 'silence.wav');
  fs.writeFileSync(file, Buffer.concat([header, data]));
  return file;
}

/** The indicator as the agent's screen reader reads it, and the warning shown, if any. */
const reading = (frame) => frame.evaluate(() => {
  const indicator = document.querySelector('.ttec-quality');
  const warning = document.querySelector('.ttec-problem[data-problem$=-loss], .ttec-problem[data-problem=network-delay]');
  return {
    label: indicator?.getAttribute('aria-label') ?? null,
    mos: Number(indicator?.querySelector('.ttec-quality__mos')?.textContent) || null,
    bars: Number(indicator?.dataset.bars ?? 0),
    warning: warning ? { code: warning.dataset.problem, title: warning.querySelector('.ttec-problem__title')?.textContent, role: warning.getAttribute('role') } : null,
  };
});

async function until(what, frame, predicate, timeoutMs) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < timeoutMs) {
    last = await reading(frame);
    if (predicate(last)) return { ms: Date.now() - t0, seen: last };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
}

describe('call quality on the bed', () => {
  before(async () => {
    session = await startSession();
  });
  afterEach(async () => {
    for (const p of pages.splice(0)) await p.close().catch(() => {});
  });
  after(async () => {
    restoreMedia();
    await restoreAgentDelay();
    await session?.close();
    console.log(`# quality figures (${session?.broker.name}): ${JSON.stringify(figures)}`);
  });

  test('15 % loss on the media path: MOS drops and "your network is losing audio" within 5 s; both clear when the loss stops; the summary reaches diagnostics and the collector', async () => {
    const page = await newPage(session);
    const collector = `${session.finesse.origin}/mock-finesse/qa/quality-collector`;
    const { frame } = await session.openPhone(page, { prefs: `&qualityCollector=${collector}` });
    const run = await session.sipp('uac_wait_bye.xml', { durationMs: 60000, timeoutS: 90 });
    try {
      await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
      const answeredAt = Date.now();
      const clean = await until('the indicator with a good MOS', frame, (r) => r.mos >= 4, 8000);
      figures.cleanMos = clean.seen.mos;
      assert.match(clean.seen.label, /^Call quality good, MOS \d\.\d$/);
      assert.equal(clean.seen.warning, null, 'a warning on a clean call');
      // Chromium's fake microphone (a beep every second) is not silent: no warning after
      // the 5 s a silent one takes (plus a sample).
      await new Promise((r) => setTimeout(r, Math.max(0, SILENT_WARNING_AFTER_MS - (Date.now() - answeredAt))));
      assert.equal(await silentWarning(frame), null, 'a silent-microphone warning with a working microphone');

      impairAgentMedia(session.broker.mediaPorts, run.mediaPort, 15);
      const lossy = await until('a loss warning', frame, (r) => r.warning && /loss$/.test(r.warning.code), 5000);
      figures.lossWarningMs = lossy.ms;
      // The loss is on the agent's side, both ways: never the far side, even before
      // Asterisk's next receiver report (every 5 s) is in.
      assert.equal(lossy.seen.warning.code, 'network-loss', lossy.seen.warning.title);
      assert.equal(lossy.seen.warning.role, 'status');
      assert.match(lossy.seen.warning.title, /losing audio \(\d+ % lost\)/);
      figures.lossWarning = lossy.seen.warning.title;
      const low = await until('a lower MOS', frame, (r) => r.mos !== null && r.mos < clean.seen.mos, 5000);
      figures.lossyMos = low.seen.mos;
      figures.lossyBars = low.seen.bars;

      restoreMedia();
      // Up to 2 RTCP intervals (Asterisk's rtcpinterval: 5 s) until the media server's
      // receiver report no longer covers lossy time, then the clearing hysteresis: one
      // CI run on Asterisk still showed the warning (with "0 % lost") after 10 s.
      const cleared = await until('the warning cleared', frame, (r) => r.warning === null, 20000);
      figures.warningClearedMs = cleared.ms;
      const recovered = await until('MOS back up', frame, (r) => r.mos >= 4, 10000);
      figures.recoveredMos = recovered.seen.mos;

      await frame.click('.ttec-call__hangup');
      await run.done;
    } finally {
      restoreMedia();
    }
    // The end-of-call summary in the diagnostics, and as the collector's final record.
    const summary = (await traceEntries(frame)).find((e) => /Call quality: \{/.test(e.text));
    assert.ok(summary, 'no call quality summary in the diagnostics');
    let records = [];
    for (let i = 0; i < 40 && !(records = await (await fetch(collector)).json()).some((r) => r.record.final); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const final = records.find((r) => r.record.final)?.record;
    assert.ok(final, `no final record at the collector: ${JSON.stringify(records)}`);
    figures.finalRecord = final;
    const text = JSON.stringify(records);
    for (const secret of ['test-password', 'Authorization', '0611223344']) assert.ok(!text.includes(secret), `${secret} in the collector's records`);
    await page.close();
  });

  test('delay and jitter on the media path: "your network is delaying audio" with the round trip and jitter applied; it clears when they stop', async () => {
    const page = await newPage(session);
    const { frame } = await session.openPhone(page);
    const run = await session.sipp('uac_wait_bye.xml', { durationMs: 90000, timeoutS: 120 });
    const rtt = (r) => Number(/\((\d+) ms round trip/.exec(r.warning?.title ?? '')?.[1]);
    const jitter = (r) => Number(/(\d+) ms jitter/.exec(r.warning?.title ?? '')?.[1]);
    try {
      await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
      const clean = await until('the indicator with a good MOS', frame, (r) => r.mos >= 4, 8000);
      figures.delay = { cleanMos: clean.seen.mos };

      // 250 ms each way: a 500 ms round trip, past G.114's 400 ms.
      await delayAgentMedia(session.broker.mediaPorts, run.mediaPort, { delayMs: 250 });
      const slow = await until('a delay warning', frame, (r) => r.warning?.code === 'network-delay', 10000);
      assert.equal(slow.seen.warning.role, 'status');
      const worst = await until('the MOS the delay costs', frame, (r) => r.mos !== null && r.mos < clean.seen.mos, 5000);
      figures.delay.applied = '250 ms each way';
      figures.delay = { ...figures.delay, warningMs: slow.ms, shown: slow.seen.warning.title, mos: worst.seen.mos };
      assert.ok(rtt(slow.seen) >= 400 && rtt(slow.seen) <= 700, `round trip shown: ${slow.seen.warning.title}`);
      figures.delay.held = await restoreAgentDelay();
      const cleared = await until('the delay warning cleared', frame, (r) => r.warning === null, 15000);
      figures.delay.clearedMs = cleared.ms;

      // Jitter: 250 ms ± 250 ms each way, packets reordered. The browser's RFC 3550 jitter
      // (in-order packets only) is a slower signal than the round trip. With ± 150 ms it
      // climbed to only 40-54 ms (Chromium, Firefox; Kamailio, Asterisk), at the 40 ms the
      // warning needs, and one Firefox run in CI stayed below it for 25 s; with ± 250 ms it
      // passed 40 ms after 3.0-6.0 s (Firefox 3 runs, Chromium 1; Kamailio).
      await delayAgentMedia(session.broker.mediaPorts, run.mediaPort, { delayMs: 250, jitterMs: 250 });
      const jittery = await until('a jitter warning', frame, (r) => r.warning?.code === 'network-delay' && jitter(r) >= 40, 40000);
      figures.jitter = { applied: '250 ± 250 ms each way', warningMs: jittery.ms, shown: jittery.seen.warning.title, mos: jittery.seen.mos };
      figures.jitter.held = await restoreAgentDelay();
      const calm = await until('the jitter warning cleared', frame, (r) => r.warning === null, 15000);
      figures.jitter.clearedMs = calm.ms;

      await frame.click('.ttec-call__hangup');
      await run.done;
    } finally {
      await restoreAgentDelay();
    }
    await page.close();
  });
});

// The agent's microphone gives digital silence (as a headset's own mute switch does):
// the browser's fake capture device plays a WAV of zeros (Chromium's
// --use-file-for-fake-audio-capture), so the gadget measures a real silent track
// through getStats, nothing of its own is touched. Chromium only: Firefox's fake
// microphone has no file input.
describe('a silent microphone on the bed', { skip: process.env.E2E_BROWSER === 'firefox' && 'Chromium\'s fake capture file only' }, () => {
  let silent, wav;
  const silentFigures = {};
  before(async () => {
    wav = silentWav();
    silent = await startSession({ extraArgs: [`--use-file-for-fake-audio-capture=${wav}`] });
  });
  after(async () => {
    await silent?.close();
    if (wav) fs.rmSync(path.dirname(wav), { recursive: true, force: true });
    console.log(`# silent microphone figures (${silent?.broker.name}): ${JSON.stringify(silentFigures)}`);
  });

  test('the bar says "Your microphone is silent" with a next step within 5 s of the silence being measurable, and the call goes on', async () => {
    const page = await silent.browser.context.newPage();
    const { frame } = await silent.openPhone(page);
    const run = await silent.sipp('uac_wait_bye.xml', { durationMs: 60000, timeoutS: 90 });
    try {
      await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
      const answeredAt = Date.now();
      // The indicator's first figure comes with the second sample: sampling is running.
      await until('the quality indicator', frame, (r) => r.label !== null, 8000);
      const measuringMs = Date.now() - answeredAt;
      let shown = null;
      while (!(shown = await silentWarning(frame)) && Date.now() - answeredAt < 15000) await new Promise((r) => setTimeout(r, 100));
      assert.ok(shown, 'no silent-microphone warning within 15 s of the answer');
      silentFigures.warningAfterAnswerMs = Date.now() - answeredAt;
      silentFigures.warningAfterFirstFigureMs = silentFigures.warningAfterAnswerMs - measuringMs;
      // The first figure is the second sample, the first that can be silent; 5 silent
      // samples, one a second: 4 s after it, asserted within 5 s.
      assert.ok(silentFigures.warningAfterFirstFigureMs <= 5000, `the warning came ${silentFigures.warningAfterFirstFigureMs} ms after the first figure`);
      assert.equal(shown.title, 'Your microphone is silent.');
      assert.equal(shown.next, 'Check it is not muted on the headset or its cable.');
      assert.equal(shown.role, 'status');
      silentFigures.warning = `${shown.title} ${shown.next}`;
      assert.ok(await frame.$('.ttec-call__hangup'), 'the call goes on');
      await frame.click('.ttec-call__hangup');
      await run.done;
    } catch (e) {
      e.message += `\n${failureContext(run)}`;
      throw e;
    }
    const summary = (await traceEntries(frame)).find((e) => /Call quality: \{/.test(e.text));
    assert.ok(summary && /"warnings":\["silent-microphone"/.test(summary.text), `the summary names the warning: ${summary?.text}`);
    await page.close();
  });
});
