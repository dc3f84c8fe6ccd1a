// Resilience and security with faults injected at the real broker (issues 6, 17):
// broker restarts, the WebSocket cut during a call, the media path cut, a hung broker,
// a second tab, wrong credentials, and no secret anywhere a person or a log could see
// it. Against the broker under test (E2E_BROKER=kamailio|asterisk). Runs inside the bed:
//   bash unit_testing/bed/bed.sh exec node --test unit_testing/e2e/resilience.test.mjs
//   E2E_BROKER=asterisk bash unit_testing/bed/bed.sh exec node --test unit_testing/e2e/resilience.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { RUN_DIR } from '../bed/lib/bed.mjs';
import { impairAgentMedia, restoreAgentMedia } from '../bed/lib/media-firewall.mjs';
import { broker as brokerUnderTest } from '../bed/lib/brokers.mjs';
import {
  countSockets, expectSippOk, expectText, gadgetFrame, median, microphoneOpens, startSession, traceEntries,
} from './bed-session.mjs';
import { gadgetStorage } from './harness.mjs';

const PASSWORD = 'test-password-3000';
const figures = {};
let session;
const broker = brokerUnderTest();
const countRtp = (run, seconds) => broker.countRtp(run.callId(1), seconds);

const word = (frame) => frame.$eval('.ttec-registration__word', (e) => e.textContent).catch(() => '');
/** Waits until the restarted registrar (empty location table) holds a contact for `number` again. */
async function waitRegisteredAtBroker(number, timeoutMs) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (broker.contactsOf(number) > 0) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${number} did not register again within ${timeoutMs} ms`);
}
const problemTitle = (frame, code) => frame.$eval(`.ttec-problem[data-problem=${code}] .ttec-problem__title`, (e) => e.textContent);

async function waitForWord(frame, expected, timeoutMs) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if ((await word(frame)) === expected) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`registration word: expected ${expected} within ${timeoutMs} ms, last saw ${await word(frame)}`);
}

/** Drops UDP between the media server and the browser inside the bed (sipp's media ports
 * stay open). On arrival, as a network outage loses them: dropped on the way out, a
 * sender in this namespace would get EPERM at once, which no real outage gives (and
 * Asterisk's ICE then gives up on its checks at once). */
const cutMedia = (run) => impairAgentMedia(broker.mediaPorts, run.mediaPort);
const restoreMedia = restoreAgentMedia;
/** A signalling outage: the broker's WebSocket port unreachable (new connections dropped,
 * the phones' connections cut), the broker and the media path untouched. */
const SIGNALLING_BLOCK = 'ttec_ws_block';
const wsPort = () => Number(new URL(broker.wsUrl).port);
function blockSignalling() {
  unblockSignalling();
  execFileSync('nft', ['-f', '-'], { input: `table inet ${SIGNALLING_BLOCK} {\n chain in {\n  type filter hook input priority 0; policy accept;\n  tcp dport ${wsPort()} drop\n }\n}\n`, stdio: ['pipe', 'pipe', 'pipe'] });
  broker.cutWebSockets();
}
function unblockSignalling() {
  try { execFileSync('nft', ['delete', 'table', 'inet', SIGNALLING_BLOCK], { stdio: 'pipe' }); } catch { /* not there */ }
}
/** How many times sipp's message trace holds `pattern`. */
const sippSaw = (run, pattern) => {
  try { return (fs.readFileSync(run.files.messages, 'utf8').match(pattern) ?? []).length; } catch { return 0; }
};
async function until(what, predicate, timeoutMs) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (await predicate()) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
const reconnectingShown = async (frame) => Boolean(await frame.$('.ttec-problem[data-problem=audio-reconnecting]'));

/** A fresh tab for one test, closed whatever happens (a leftover tab would own the phone). */
async function withPage(fn) {
  const page = await session.browser.context.newPage();
  try {
    return await fn(page);
  } finally {
    if (!page.isClosed()) await page.close();
  }
}

describe(`resilience against the real broker: ${broker.label}`, () => {
  before(async () => { session = await startSession(); });
  after(async () => {
    // Leave the bed as we found it, whatever failed.
    await broker.ensureRunning();
    await session?.close();
    console.log(`# resilience figures: ${JSON.stringify(figures)}`);
  });

  // Asterisk takes a second or two to boot: fewer rounds keep the suite's time.
  const restarts = broker.name === 'asterisk' ? 5 : 20;
  // The quick phase's next try comes at most 1.5 s after the broker is back (README,
  // Reconnecting), then the WebSocket opens and REGISTER is challenged and answered: a
  // local clean-clone run (2 cores) reached 1.17 s for the whole recovery, and a CI run on
  // Asterisk failed this suite with exactly this test's figures missing (2 s bound). A phone waiting for a
  // later phase (up to 3 s and more) would miss this bound.
  const recoveryBoundMs = 2500;
  test(`broker restarted ${restarts} times while idle: Reconnecting, then Registered within ${recoveryBoundMs / 1000} s each time, no retry storm`, () => withPage(async (page) => {
    const { frame } = await session.openPhone(page);
    const recoveries = [];
    const registersBefore = broker.requests('REGISTER');
    for (let round = 0; round < restarts; round++) {
      await broker.stop();
      await waitForWord(frame, 'Reconnecting', 3000);
      await broker.start(); // returns once the broker answers OPTIONS on UDP and WebSocket
      try {
        recoveries.push(await waitForWord(frame, 'Registered', recoveryBoundMs)); // from "reachable again"
      } catch (error) {
        const detail = await frame.$eval('.ttec-bar', (e) => e.innerText).catch(() => '?');
        error.message += ` (round ${round + 1}; detail: ${detail})`;
        throw error;
      }
    }
    const registers = broker.requests('REGISTER') - registersBefore;
    figures.reconnectMsMedian = median(recoveries);
    figures.reconnectMsMax = Math.max(...recoveries);
    figures.registersPerRecovery = registers / restarts;
    // A challenge and the authenticated REGISTER per recovery; a storm would be many more.
    assert.ok(registers <= restarts * 3, `${registers} REGISTERs for ${restarts} recoveries`);
    assert.equal(broker.contactsOf('3000'), 1, 'one contact, not one per reconnect');
  }));

  test('broker gone: the backoff grows and the bar says when the next try is; recovery is automatic', () => withPage(async (page) => {
    const { frame } = await session.openPhone(page);
    await broker.stop();
    try {
    const t0 = Date.now();
    let longest = 0;
    while (Date.now() - t0 < 15000) {
      // "Connection to the phone system lost. Reconnecting in N s."
      const title = await problemTitle(frame, 'connection-lost').catch(() => '');
      const m = /Reconnecting in (\d+) s/.exec(title);
      if (m) longest = Math.max(longest, Number(m[1]));
      await new Promise((r) => setTimeout(r, 100));
    }
    figures.longestRetryShownS = longest;
    // Quick tries (≤ 1.5 s) for about ten seconds, then 3 s, 6 s … (the cap is unit-tested).
    assert.ok(longest >= 3, `the retry delay should grow past the quick phase within 15 s, saw ${longest} s`);
    assert.ok(longest <= 12, `no jump past the schedule, saw ${longest} s`);
    } finally {
      await broker.start();
    }
    figures.recoveryAfterLongOutageMs = await waitForWord(frame, 'Registered', 14000);
  }));

  test('routing follows the phone: an outage during a call never makes the agent Not Ready; after the call it does, and Go Ready brings them back', () => withPage(async (page) => {
    // Issue 20, part 1, "never during a call", end to end: the agent is READY in Finesse
    // (the mock does not change it for a call), the phone loses the broker's WebSocket
    // during a call for longer than the grace period (its port unreachable, as in a
    // network outage; the media path stays, so the call goes on, on Asterisk too, whose
    // media would stop with it); Finesse is left alone until the agent hangs up.
    const { frame } = await session.openPhone(page, { state: 'READY', prefs: '&routingNotReady=true&routingReasonCodeId=42&routingGraceS=2' });
    const puts = () => page.evaluate(() => window.mockFinesse.getEvents()
      .filter((e) => e.name.startsWith('REST PUT /finesse/api/User/')).map((e) => e.detail));
    const run = await session.sipp('uac_wait_bye.xml', { durationMs: 60000, timeoutS: 90 });
    try {
      await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
      blockSignalling();
      await until('the phone unregistered', async () => (await word(frame)) !== 'Registered', 10000);
      await new Promise((r) => setTimeout(r, 5000)); // 2.5 times the grace period
      assert.deepEqual(await puts(), [], 'Finesse was asked to change the state during the call');
      assert.ok(await frame.$('.ttec-call'), 'the call goes on');
      const hungUp = Date.now();
      await frame.click('.ttec-call__hangup');
      await until('NOT_READY once the call is over', async () => (await puts()).some((p) => p.state === 'NOT_READY'), 10000);
      figures.routingNotReadyAfterHangUpMs = Date.now() - hungUp;
      const put = (await puts()).find((p) => p.state === 'NOT_READY');
      assert.equal(put.reasonCodeId, '42');
      assert.equal(put.status, 202);
    } finally {
      unblockSignalling();
      if (run.child.exitCode === null) run.child.kill('SIGKILL'); // its BYE was lost in the outage
    }
    await until('the Go Ready action once the phone is back', () => frame.$('[data-problem=routing-go-ready] .ttec-problem__action'), 20000);
    await frame.click('[data-problem=routing-go-ready] .ttec-problem__action');
    await until('READY in Finesse', async () => (await puts()).some((p) => p.state === 'READY'), 5000);
    assert.equal((await puts()).filter((p) => p.state === 'NOT_READY').length, 1, 'one NOT_READY');
  }));

  test('WebSocket lost during a call: audio keeps flowing, the phone re-registers, and the agent can still hang up', () => withPage(async (page) => {
    const { frame } = await session.openPhone(page);
    const run = await session.sipp('uac_wait_bye.xml', { durationMs: 30000 });
    await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
    assert.ok(broker.cutWebSockets() >= 1, 'no WebSocket to cut');
    // During a call the call has the row; registration is checked at the broker.
    figures.reRegisteredDuringCallMs = await waitRegisteredAtBroker('3000', 3000);
    // The media path (browser <-> media server) never depended on the signalling socket.
    const rtp = await countRtp(run, 1.5);
    for (const leg of rtp.legs) assert.ok(leg.rtpPackets > 0, `no RTP after the reconnect: ${JSON.stringify(rtp)}`);
    figures.rtpAfterReconnect = rtp.legs.map((l) => `${l.protocol}:${l.rtpPackets}`);
    assert.ok(await frame.$('.ttec-call'), 'the call survived the reconnect');
    await frame.click('.ttec-call__hangup');
    await expectSippOk(run); // sipp got our BYE over the new WebSocket and answered it
    await expectText(frame, '[aria-live=polite]', 'Call ended: you hung up.', 5000);
  }));

  test('WebSocket lost during a call: the caller can still hang up afterwards, and the next call is answered', () => withPage(async (page) => {
    const { frame } = await session.openPhone(page);
    const run = await session.sipp('uac_call.xml', { durationMs: 6000 });
    await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
    assert.ok(broker.cutWebSockets() >= 1, 'no WebSocket to cut');
    await waitRegisteredAtBroker('3000', 3000);
    await expectSippOk(run); // sipp's BYE reached the phone on its new WebSocket and got a 200
    await expectText(frame, '[aria-live=polite]', 'Call ended: the caller hung up.', 5000);
    // No ghost of the first call makes the phone busy for the next customer.
    const next = await session.sipp('uac_call.xml', { durationMs: 1000, caller: '0611223399' });
    await expectSippOk(next);
    await expectText(frame, '[aria-live=polite]', 'Call ended: the caller hung up.', 5000);
  }));

  test('media path cut mid-call, then restored: ICE restart by re-INVITE with new credentials, the call survives and RTP flows again', () => withPage(async (page) => {
    const { frame } = await session.openPhone(page);
    const run = await session.sipp('uac_ice_restart.xml', { durationMs: 90000, timeoutS: 120 });
    await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
    await new Promise((r) => setTimeout(r, 1500)); // media up
    const t0 = Date.now();
    const invitesBefore = broker.requests('INVITE');
    cutMedia(run);
    try {
      figures.iceRestartReportedAfterCutMs = await until('"Audio path lost: reconnecting"', () => reconnectingShown(frame), 20000);
      assert.equal(await problemTitle(frame, 'audio-reconnecting'), 'Audio path lost: reconnecting\u2026');
      // The re-INVITE reached the broker: Kamailio relays it to the caller (sipp answers
      // it 200), Asterisk, a B2BUA, answers it itself.
      await until('the re-INVITE at the broker', () => broker.requests('INVITE') > invitesBefore, 10000);
      figures.reinviteAtBrokerAfterCutMs = Date.now() - t0;
      if (broker.name === 'kamailio') await until('the ACK of the re-INVITE at sipp', () => sippSaw(run, /^ACK sip:/gm) >= 1, 10000);
    } finally {
      restoreMedia();
    }
    const restored = Date.now();
    await until('ICE connected again (the problem cleared)', async () => !(await reconnectingShown(frame)), 15000);
    figures.restoreToIceConnectedMs = Date.now() - restored;
    assert.ok(await frame.$('.ttec-call'), 'the call survived the media loss');
    const rtp = await countRtp(run, 1.5);
    for (const leg of rtp.legs) assert.ok(leg.rtpPackets > 0, `no RTP after the ICE restart: ${JSON.stringify(rtp)}`);
    figures.rtpAfterIceRestart = rtp.legs.map((l) => `${l.protocol}:${l.rtpPackets}`);
    // New ICE credentials in the re-INVITE (the diagnostics trace has every SIP message we sent).
    const entries = await traceEntries(frame);
    const ufrag = (e) => /a=ice-ufrag:(\S+)/.exec(e.text)?.[1];
    const reinvite = entries.find((e) => e.kind === 'SIP out' && /INVITE sip:\S+ SIP\/2\.0/.test(e.text));
    assert.ok(reinvite, 'our re-INVITE is in the trace');
    const answer = entries.find((e) => e.kind === 'SIP out' && /SIP\/2\.0 200/.test(e.text) && /CSeq: \d+ INVITE/.test(e.text));
    assert.ok(ufrag(reinvite) && ufrag(answer), 'both carry ICE credentials');
    assert.notEqual(ufrag(reinvite), ufrag(answer), 'the restart offer carries a new ice-ufrag');
    const cseq = /CSeq: (\d+) INVITE/.exec(reinvite.text)[1];
    const ok = entries.find((e) => e.kind === 'SIP in' && e.at >= reinvite.at && /SIP\/2\.0 200/.test(e.text) && e.text.includes(`CSeq: ${cseq} INVITE`));
    assert.ok(ok, 'the 200 to our re-INVITE is in the trace');
    figures.reinviteRoundTripMs = ok.at - reinvite.at;
    await frame.click('.ttec-call__hangup');
    await expectSippOk(run); // re-INVITE answered, then our BYE
    await expectText(frame, '[aria-live=polite]', 'Call ended: you hung up.', 5000);
  }));

  test('media path cut for good mid-call: the ICE restart cannot help, the call ends cleanly with BYE + Reason', () => withPage(async (page) => {
    const { frame } = await session.openPhone(page);
    const run = await session.sipp('uac_ice_restart.xml', { durationMs: 90000, timeoutS: 120 });
    await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    cutMedia(run);
    try {
      await until('"Audio path lost: reconnecting"', () => reconnectingShown(frame), 20000);
      await expectText(frame, '[aria-live=polite]', 'Call ended: the audio connection was lost and could not be restored.', 40000);
      figures.cutToCleanEndMs = Date.now() - t0;
    } finally {
      restoreMedia();
    }
    await expectSippOk(run); // the BYE reached the caller
    // The BYE says why: Kamailio relays ours to the caller; Asterisk, a B2BUA, receives it.
    const reason = /^Reason: Q\.850;cause=41;text="audio path lost, ICE restart failed"/m;
    const byes = broker.name === 'asterisk' ? broker.requestTexts('BYE', '3000') : [fs.readFileSync(run.files.messages, 'utf8')];
    assert.ok(byes.some((t) => reason.test(t)), 'the BYE says why');
    assert.equal(await frame.$('.ttec-problem[data-problem=audio-reconnecting]'), null, 'no stale reconnecting notice');
    await waitForWord(frame, 'Registered', 5000);
  }));

  test('media path never connects (ICE stuck checking after the answer): reported within seconds, ICE restarted, then a clean end', () => withPage(async (page) => {
    // Without a watchdog such a call looks like a normal call with no audio, forever:
    // browsers report `failed`/`disconnected` only for a connection that once worked.
    const { frame } = await session.openPhone(page);
    const run = await session.sipp('uac_ice_restart.xml', { durationMs: 90000, timeoutS: 120 });
    cutMedia(run);
    try {
      await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
      const answered = Date.now();
      figures.neverConnectedReportedMs = await until('"Audio path lost: reconnecting"', () => reconnectingShown(frame), 15000);
      await expectText(frame, '[aria-live=polite]', 'Call ended: the audio connection was lost and could not be restored.', 40000);
      figures.neverConnectedEndedMs = Date.now() - answered;
    } finally {
      restoreMedia();
    }
    await expectSippOk(run); // the BYE reached the caller
    await waitForWord(frame, 'Registered', 5000);
  }));

  // A media relay apart from the SIP server exists on the Kamailio bed only (Asterisk
  // carries signalling and media in one process: the "broker frozen" test covers it).
  if (broker.name === 'kamailio') test('media path lost mid-call (media relay frozen): the call ends cleanly with a reason', () => withPage(async (page) => {
    const { frame } = await session.openPhone(page);
    const run = await session.sipp('uac_ice_restart.xml', { durationMs: 90000, timeoutS: 120 });
    await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
    const rtpengine = Number(fs.readFileSync(path.join(RUN_DIR, 'rtpengine.pid'), 'utf8'));
    const t0 = Date.now();
    process.kill(-rtpengine, 'SIGSTOP');
    try {
      // Chrome reports ICE "disconnected" within seconds; 2.5 s later the gadget restarts ICE
      // by re-INVITE, which the frozen relay cannot serve: the call ends within the bound.
      await expectText(frame, '[aria-live=polite]', /^Call ended: the audio connection (failed|was lost and could not be restored)\.$/, 60000);
      figures.iceFailureEndsCallMs = Date.now() - t0;
    } finally {
      process.kill(-rtpengine, 'SIGCONT');
      // Kamailio marks a silent rtpengine disabled for a while: restart it so later tests have media.
      await broker.stop();
      await broker.start();
    }
    await expectSippOk(run); // the BYE reached the caller
    await waitForWord(frame, 'Registered', 5000);
  }));

  // Asterisk (pjproject) never answers a CRLF ping on a WebSocket: with the ping a phone
  // takes its broker for dead and reconnects every keep-alive period, dropping its contact
  // each time. The bed must show that failure as the real broker does, and the default
  // keep-alive (OPTIONS) must not have it.
  test('keep-alive: the default (OPTIONS) keeps one WebSocket; a CRLF ping is used only where the broker answers it', () => withPage(async (page) => {
    await page.addInitScript(countSockets);
    const seconds = 20;
    const sockets = async (prefs) => {
      const { frame } = await session.openPhone(page, { prefs: `&keepaliveS=4${prefs}` });
      await new Promise((r) => setTimeout(r, seconds * 1000));
      return frame.evaluate(() => window.__ttecSockets.length);
    };
    figures.socketsIn20sWithOptions = await sockets('');
    assert.equal(figures.socketsIn20sWithOptions, 1, `the OPTIONS keep-alive opened ${figures.socketsIn20sWithOptions} WebSockets in ${seconds} s`);
    figures.socketsIn20sWithCrlf = await sockets('&keepaliveMode=crlf');
    if (broker.answersCrlfPing) {
      assert.equal(figures.socketsIn20sWithCrlf, 1, 'the broker answers the CRLF ping: one WebSocket');
    } else {
      assert.ok(figures.socketsIn20sWithCrlf > 1, `the broker never answers a CRLF ping, yet the phone kept ${figures.socketsIn20sWithCrlf} WebSocket: the bed does not behave as the real broker`);
    }
    await waitForWord((await gadgetFrame(page)), 'Registered', 5000);
  }));

  test('dead but open connection (broker frozen): found by keep-alive, reconnected when it thaws', () => withPage(async (page) => {
    const { frame } = await session.openPhone(page, { prefs: '&keepaliveS=2' });
    const pid = Number(fs.readFileSync(broker.pidFile, 'utf8'));
    process.kill(-pid, 'SIGSTOP');
    try {
      const detected = await waitForWord(frame, 'Reconnecting', 8000);
      figures.deadFlowDetectedMs = detected;
    } finally {
      process.kill(-pid, 'SIGCONT');
    }
    await waitForWord(frame, 'Registered', 15000);
  }));

  test('a second tab of the same agent waits; exactly one registers and answers; it takes over when the first closes', () => withPage((first) => withPage(async (second) => {
    await broker.clearContacts('3000'); // phones of earlier runs that never un-REGISTERed
    const { frame: owner } = await session.openPhone(first);
    await second.goto(session.desktopUrl());
    const standby = await gadgetFrame(second);
    await expectText(standby, '.ttec-registration__detail', /^Phone active in another tab or window/, 5000);
    assert.equal(broker.contactsOf('3000'), 1);

    const run = await session.sipp('uac_call.xml', { durationMs: 1500 });
    try {
      await expectSippOk(run);
    } catch (e) {
      // Why the owner did not answer, in its own words (the trace without SIP messages).
      const said = (await traceEntries(owner)).filter((t) => !t.kind.startsWith('SIP')).map((t) => t.text);
      e.message += `\n--- the owner's diagnostics ---\n${said.slice(-30).join('\n')}`;
      throw e;
    }
    assert.equal(await microphoneOpens(owner), 1, 'the owner answered');
    assert.equal(await microphoneOpens(standby), 0, 'the waiting tab never answered');

    const t0 = Date.now();
    await first.close({ runBeforeUnload: true });
    await waitForWord(standby, 'Registered', 2000);
    figures.takeoverMs = Date.now() - t0;
    assert.equal(broker.contactsOf('3000'), 1, 'no stale contact from the closed tab');
  })));

  test('wrong password: AuthFailed in plain words, and no hammering of the broker', () => withPage(async (page) => {
    // Only this phone's REGISTERs (From 3001): an earlier test's tab closing may still
    // un-REGISTER 3000 meanwhile (one CI run on Asterisk counted 5 with it).
    const before = broker.requests('REGISTER', '3001');
    // Agent 3001 signs into the mock Finesse with 3000's password: the broker refuses it.
    await page.goto(session.desktopUrl({ number: '3001' }));
    const frame = await gadgetFrame(page);
    await expectText(frame, '.ttec-registration__word', 'Error', 10000);
    await expectText(frame, '.ttec-problem[data-problem=broker-credentials] .ttec-problem__title', /^The phone system refused your sign-in/);
    await new Promise((r) => setTimeout(r, 25000));
    const registers = broker.requests('REGISTER', '3001') - before;
    figures.registersIn25sWithWrongPassword = registers;
    // At most 3 attempts a minute: within 25 s at most 2 attempts (challenge + answer each).
    assert.ok(registers >= 2 && registers <= 4, `${registers} REGISTERs from 3001 in 25 s with a wrong password`);
  }));

  test('no secret in the DOM, storage, console, mock Finesse events, gadget URL or SIP trace', () => withPage(async (page) => {
    const consoleLines = [];
    page.on('console', (m) => consoleLines.push(m.text()));
    const { frame } = await session.openPhone(page);
    const run = await session.sipp('uac_call.xml', { durationMs: 1000 });
    await expectSippOk(run);
    // The diagnostics trace the agent can copy for support: open it and read it all.
    await frame.click('.ttec-tool--diagnostics');
    const trace = await frame.$eval('.ttec-trace', (e) => e.textContent);
    assert.match(trace, /REGISTER sip:/, 'the trace shows SIP messages');
    assert.match(trace, /INVITE sip:/);
    const basic = Buffer.from(`agent3000:${PASSWORD}`).toString('base64');
    const secrets = [PASSWORD, basic];
    const places = {
      // The gadget's DOM (the mock desktop around it is Finesse's, with its own login form).
      dom: await frame.evaluate(() => document.documentElement.outerHTML),
      storage: await gadgetStorage(frame),
      urls: page.frames().map((f) => f.url()),
      console: consoleLines,
      events: await page.evaluate(() => JSON.stringify(window.mockFinesse.getEvents())),
      trace,
    };
    for (const [where, value] of Object.entries(places)) {
      const text = JSON.stringify(value);
      for (const secret of secrets) assert.ok(!text.includes(secret), `a secret appears in ${where}`);
    }
    assert.deepEqual(await page.evaluate(() => window.mockFinesse.getEvents('secret-leak')), []);
  }));
});
