// Routing follows the phone (issue 20, part 1), in the mock Finesse without the SIP bed:
// for each cause the fake broker and the browser can produce (broker gone past the
// grace period, wrong broker credentials, no microphone, microphone blocked), a READY
// agent is made NOT_READY with the configured reason code through finesse.js
// `User.setState` (asserted on the mock's recorded PUT and its User), the bar says why;
// when the cause goes away the Go Ready button appears and works; an agent who goes
// Ready during the outage is told why and not forced again; a second tab waiting for
// the phone changes nothing; routingAutoReady makes the way back automatic; switched
// off, nothing happens; sound blocked by the browser's autoplay policy counts after the
// grace period too. A call during an outage needs real calls: resilience.test.mjs on the bed.
//   node --test unit_testing/e2e/routing.test.mjs     (after `bash unit_testing/dev/release.sh`)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expectText, freePort, gadgetFrame, launchBrowser } from './harness.mjs';
import { startFakeBroker } from './fake-broker.mjs';
import { openBar, problemText, startBarEnv } from './bar-env.mjs';

const GRACE_S = 2;
const ROUTING = { routingNotReady: 'true', routingReasonCodeId: '42', routingGraceS: String(GRACE_S) };
const MIC = { deviceId: 'default', kind: 'audioinput', label: 'Default - Built-in mic' };
const SPEAKER = { deviceId: 'default', kind: 'audiooutput', label: 'Default - Built-in speakers' };

let env, finesse, browser, page, broker;
/** "phone cannot answer" -> the mock's NOT_READY PUT, per cause (ms). */
const measured = {};

const open = ({ prefs = {}, storage = {}, target = page } = {}) =>
  openBar({ finesse, page: target, brokerUrl: broker.url, prefs: { ...ROUTING, ...prefs }, storage });

/** The gadget's state changes as the mock Finesse received them (PUT /finesse/api/User/…). */
const puts = (target = page) => target.evaluate(() => window.mockFinesse.getEvents()
  .filter((e) => e.name.startsWith('REST PUT /finesse/api/User/'))
  .map((e) => ({ at: Date.parse(e.time), ...e.detail })));
const user = (target = page) => target.evaluate(() => window.mockFinesse.getUser());

async function waitFor(what, check, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(25);
  }
}

const putOf = (state) => async () => (await puts()).find((p) => p.state === state);

const problem = (frame, code) => problemText(frame, code, 15000);

/** A NOT_READY with reason code 42 went to Finesse once, and the User says so. */
async function madeNotReady(frame, words) {
  const put = await waitFor('the NOT_READY PUT', putOf('NOT_READY'));
  assert.equal(put.reasonCodeId, '42');
  assert.equal(put.status, 202);
  await waitFor('the User NOT_READY', async () => (await user()).state === 'NOT_READY');
  assert.equal((await user()).reasonCodeId, '42');
  const p = await problem(frame, 'routing-not-ready');
  assert.equal(p.title, `You were made Not Ready in Finesse: the phone cannot answer calls (${words}).`);
  assert.equal(p.next, 'Fix what the bar says; you can go Ready here once the phone works again.');
  return put;
}

/** The cause went away: one Go Ready button, and it makes the agent READY. */
async function goReady(frame) {
  const p = await problem(frame, 'routing-go-ready');
  assert.equal(p.title, 'The phone works again. You are still Not Ready.');
  assert.equal((await puts()).filter((x) => x.state === 'READY').length, 0, 'never automatic');
  await frame.click('[data-problem=routing-go-ready] .ttec-problem__action');
  const put = await waitFor('the READY PUT', putOf('READY'));
  assert.equal(put.reasonCodeId, '');
  await waitFor('the User READY', async () => (await user()).state === 'READY');
  await frame.waitForSelector('[data-problem^=routing]', { state: 'detached', timeout: 5000 });
  assert.equal((await puts()).filter((x) => x.state === 'NOT_READY').length, 1, 'one NOT_READY');
}

describe('routing follows the phone (mock Finesse)', () => {
  before(async () => {
    env = await startBarEnv();
    ({ finesse, broker, browser, page } = env);
  });

  after(async () => {
    await env?.close();
    for (const [cause, ms] of Object.entries(measured)) console.log(`# phone cannot answer -> Finesse NOT_READY, ${cause}: ${ms} ms`);
  });

  test('broker gone past the grace period: NOT_READY with the reason code; back: Go Ready works; traced', async () => {
    const own = await startFakeBroker();
    try {
      const frame = await open({ prefs: { wsUrl: own.url } });
      await expectText(frame, '.ttec-registration__word', 'Registered');
      const gone = Date.now();
      await own.close();
      const put = await madeNotReady(frame, 'it is not connected to the phone system');
      measured['broker gone (grace 2 s)'] = put.at - gone;
      assert.ok(put.at - gone >= GRACE_S * 1000, `not before the grace period: ${put.at - gone} ms`);
      assert.ok(put.at - gone < GRACE_S * 1000 + 3000, `soon after it: ${put.at - gone} ms`);
      // The broker is back where it was: the phone registers, the agent gets Go Ready.
      const back = await startFakeBroker({ port: own.port });
      try {
        await expectText(frame, '.ttec-registration__word', 'Registered', 20000);
        await goReady(frame);
      } finally {
        await back.close();
      }
      await frame.click('.ttec-tool--diagnostics');
      const trace = await frame.$eval('.ttec-diagnostics', (e) => e.textContent);
      for (const line of ['Routing: the phone cannot answer: it is not connected to the phone system',
        'setState NOT_READY, reason code 42', 'Routing: Finesse accepted NOT_READY (HTTP 202)',
        'Go Ready offered', 'Routing: the agent chose Go Ready: setState READY', 'Routing: Finesse accepted READY (HTTP 202)']) {
        assert.ok(trace.includes(line), `trace has "${line}":\n${trace.split("Routing").join("\nRouting")}`);
      }
    } finally {
      await own.close().catch(() => {});
    }
  });

  test('an agent who goes Ready while the phone is down is told why, and not forced again', async () => {
    const frame = await open({ prefs: { wsUrl: `ws://127.0.0.1:${await freePort()}/` } });
    await madeNotReady(frame, 'it is not connected to the phone system');
    await page.evaluate(() => window.mockFinesse.setState('READY'));
    const p = await problem(frame, 'routing-ready-while-down');
    assert.equal(p.title, 'You are Ready, but the phone cannot answer calls (it is not connected to the phone system): your calls will ring out.');
    assert.equal(p.next, 'Go Not Ready in Finesse until the phone works again.');
    await page.waitForTimeout(GRACE_S * 1000 + 1500);
    assert.equal((await puts()).length, 1, 'still the one NOT_READY');
    assert.equal((await user()).state, 'READY');
  });

  test('wrong broker credentials: NOT_READY at once', async () => {
    const refusing = await startFakeBroker({ register: 'forbidden' });
    try {
      const frame = await open({ prefs: { wsUrl: refusing.url } });
      const put = await madeNotReady(frame, 'the phone system refused its sign-in');
      measured['wrong broker credentials (from the 403)'] = put.at - refusing.refusedAt[0];
      assert.ok(put.at - refusing.refusedAt[0] < 1000, `at once: ${put.at - refusing.refusedAt[0]} ms`);
      await problem(frame, 'broker-credentials');
    } finally {
      await refusing.close();
    }
  });

  test('no microphone: NOT_READY; a headset plugged in: Go Ready works', async () => {
    const frame = await open({ storage: { __ttecFakeDevices: JSON.stringify([SPEAKER]) } });
    const seen = await waitFor('the no-microphone problem', async () => (await frame.$('[data-problem=no-microphone]')) && Date.now());
    const put = await madeNotReady(frame, 'no microphone is connected');
    measured['no microphone (as seen by the test)'] = Math.max(0, put.at - seen);
    await frame.evaluate((list) => window.__ttecPlug(list), [MIC, SPEAKER]);
    await goReady(frame);
  });

  test('routingAutoReady: back up, the gadget makes the agent READY itself and says so', async () => {
    const frame = await open({ prefs: { routingAutoReady: 'true' }, storage: { __ttecFakeDevices: JSON.stringify([SPEAKER]) } });
    await madeNotReady(frame, 'no microphone is connected');
    await frame.evaluate((list) => window.__ttecPlug(list), [MIC, SPEAKER]);
    const put = await waitFor('the READY PUT', putOf('READY'));
    assert.equal(put.status, 202);
    await waitFor('the User READY', async () => (await user()).state === 'READY');
    const p = await problem(frame, 'routing-made-ready');
    assert.equal(p.title, 'The phone works again: you were made Ready.');
    assert.equal(await frame.$('[data-problem=routing-go-ready]'), null);
  });

  test('microphone blocked (found by the audio test): NOT_READY at once', async () => {
    const frame = await open({ storage: { __ttecDenyMic: '1' } });
    await expectText(frame, '.ttec-registration__word', 'Registered');
    await frame.click('.ttec-tool--settings');
    const clicked = Date.now();
    await frame.click('.ttec-audiotest__button');
    const put = await madeNotReady(frame, 'the microphone is blocked');
    measured['microphone blocked (from the click)'] = put.at - clicked;
    assert.ok(put.at - clicked < 1000, `at once: ${put.at - clicked} ms`);
  });

  test('sound blocked by the browser past the grace period: NOT_READY with the reason code; "Enable sound": Go Ready works', async (t) => {
    // The browser's default autoplay policy: no sound before a click in the page. Nothing
    // may touch the page until the gadget has put the agent Not Ready (an evaluate or a
    // query from the test counts as a click, for the desktop and its same-origin gadget):
    // the console tells the steps, the mock's PUTs logged by a script of the page itself.
    const blocked = await launchBrowser(['--autoplay-policy=document-user-activation-required']);
    t.after(() => blocked.close());
    const target = await blocked.context.newPage();
    const lines = [];
    const saw = (text, timeoutMs) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${text}" in the console within ${timeoutMs} ms; saw: ${lines.slice(-8).join(' | ')}`)), timeoutMs);
      const check = () => { if (lines.some((l) => l.includes(text))) { clearTimeout(timer); resolve(Date.now()); } else setTimeout(check, 25); };
      check();
    });
    target.on('console', (m) => lines.push(m.text()));
    await target.addInitScript(() => {
      if (window.top !== window) return;
      let seen = 0;
      setInterval(() => {
        for (const e of window.mockFinesse?.getEvents?.() ?? []) {
          if (e.seq <= seen) continue;
          seen = e.seq;
          if (e.name.startsWith('REST PUT /finesse/api/User/')) console.log(`TEST-PUT ${JSON.stringify(e.detail)}`);
        }
      }, 25);
    });
    const prefs = encodeURIComponent(Object.entries({ brokerKind: 'sip', wsUrl: broker.url, sipDomain: 'fake.test', ...ROUTING }).map(([k, v]) => `${k}=${v}`).join('&'));
    await target.goto(`${finesse.origin}/desktop/?agent=agent3000&ext=2000&webrtc=3000&state=READY&prefs=${prefs}`);
    const down = await saw('the browser blocks sound until the agent clicks', 15000);
    const accepted = await saw('TEST-PUT {"state":"NOT_READY"', (GRACE_S + 5) * 1000);
    measured.soundBlocked = accepted - down;
    assert.ok(accepted - down >= GRACE_S * 1000 - 100, `made Not Ready ${accepted - down} ms after sound was found blocked: before the grace period`);
    const frame = await gadgetFrame(target);
    const put = (await puts(target)).find((p) => p.state === 'NOT_READY');
    assert.equal(put.reasonCodeId, '42');
    const p = await problemText(frame, 'routing-not-ready');
    assert.equal(p.title, 'You were made Not Ready in Finesse: the phone cannot answer calls (the browser blocks its sound).');
    await frame.click('[data-problem=playback-blocked] .ttec-problem__action'); // "Enable sound"
    await problemText(frame, 'routing-go-ready');
    await frame.click('[data-problem=routing-go-ready] .ttec-problem__action');
    for (let i = 0; i < 100 && !(await puts(target)).some((x) => x.state === 'READY'); i++) await target.waitForTimeout(50);
    assert.ok((await puts(target)).some((x) => x.state === 'READY'), 'Go Ready reached Finesse');
  });

  test('Finesse refusing the change is said, and not retried', async () => {
    const frame = await open({ storage: { __ttecDenyMic: '1' } });
    await expectText(frame, '.ttec-registration__word', 'Registered');
    await page.evaluate(() => window.mockFinesse.setFailures({ setState: 400 }));
    await frame.click('.ttec-tool--settings');
    await frame.click('.ttec-audiotest__button');
    const p = await problem(frame, 'routing-refused');
    assert.equal(p.title, 'Finesse did not make you Not Ready (HTTP 400).');
    assert.equal(p.next, 'Set your state in Finesse yourself.');
    await page.waitForTimeout(1000);
    assert.deepEqual((await puts()).map((x) => [x.state, x.reasonCodeId, x.status]), [['NOT_READY', '42', 400]]);
    assert.equal((await user()).state, 'READY');
  });

  test('a second tab waiting for the phone changes nothing (the first one answers)', async () => {
    const first = await open();
    await expectText(first, '.ttec-registration__word', 'Registered');
    const second = await browser.context.newPage();
    try {
      const frame = await open({ target: second });
      await waitFor('the second tab waiting', async () => /another tab/.test(await frame.$eval('.ttec-bar', (e) => e.textContent)));
      await second.waitForTimeout(GRACE_S * 1000 + 1500);
      assert.deepEqual(await puts(second), []);
      assert.deepEqual(await puts(page), []);
      assert.equal(await frame.$('[data-problem^=routing]'), null);
    } finally {
      await second.close();
    }
  });

  test('switched off (routingNotReady=false): the agent stays READY', async () => {
    const frame = await open({
      prefs: { wsUrl: `ws://127.0.0.1:${await freePort()}/`, routingNotReady: 'false' },
    });
    await problem(frame, 'broker-unreachable');
    await page.waitForTimeout(GRACE_S * 1000 + 1500);
    assert.deepEqual(await puts(), []);
    assert.equal((await user()).state, 'READY');
  });
});
