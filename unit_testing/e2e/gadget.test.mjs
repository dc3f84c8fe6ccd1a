// The agent's bar in the mock Finesse (issue 5), without the SIP bed: every
// error the agent can meet (with its words asserted), the audio test, the
// device hot-plug fallback with fake devices, diagnostics download with
// redaction, and adjustHeight when popovers open and close. A small fake
// SIP-over-WebSocket broker (fake-broker.mjs) plays the phone system.
//   node --test unit_testing/e2e/gadget.test.mjs     (after `bash unit_testing/dev/release.sh`)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { BROWSER, expectText, freePort, gadgetFrame, launchBrowser } from './harness.mjs';
import { startFakeBroker } from './fake-broker.mjs';
import { openBar, problemText, startBarEnv } from './bar-env.mjs';

const PASSWORD = 'test-password-3000'; // the mock agent's Finesse password (the SIP password of the sip kind)

let env, finesse, browser, page, broker;

const open = (o = {}) => openBar({ finesse, page, brokerUrl: broker.url, ...o });

const HEADSET = [
  { deviceId: 'default', kind: 'audioinput', label: 'Default - Built-in mic' },
  { deviceId: 'h1', kind: 'audioinput', label: 'Headset mic' },
  { deviceId: 'default', kind: 'audiooutput', label: 'Default - Built-in speakers' },
  { deviceId: 'o1', kind: 'audiooutput', label: 'Headset earphones' },
];
const NO_HEADSET = [HEADSET[0], HEADSET[2]];

describe('the agent bar in the mock Finesse', () => {
  before(async () => {
    env = await startBarEnv();
    ({ finesse, broker, browser, page } = env);
  });

  after(async () => {
    await env?.close();
  });

  test('registers through the fake broker; nothing to fix; no dialpad without dev features', async () => {
    const frame = await open();
    await expectText(frame, '.ttec-registration__word', 'Registered');
    assert.equal(await frame.$('.ttec-problem'), null);
    assert.equal(await frame.$('.ttec-tool--dialpad'), null);
    assert.equal(await frame.$('.ttec-panel'), null, 'popovers are closed by default');
  });

  test('popovers: the iframe grows when one opens and shrinks when it closes (adjustHeight)', async () => {
    const frame = await open();
    await expectText(frame, '.ttec-registration__word', 'Registered');
    const height = () => page.evaluate(() => window.mockFinesse.getGadgetHeight());
    await frame.click('.ttec-tool--settings');
    await frame.waitForSelector('.ttec-settings');
    let open1;
    for (let i = 0; i < 40 && !((open1 = await height()) > 100); i++) await page.waitForTimeout(50);
    assert.ok(open1 > 100, `height with settings open: ${open1}`);
    await frame.click('.ttec-panel__close');
    let closed;
    for (let i = 0; i < 40 && !((closed = await height()) < open1); i++) await page.waitForTimeout(50);
    assert.ok(closed < open1 && closed <= 70, `height after closing: ${closed} (open: ${open1})`);
    // Keyboard: the tools are buttons reachable with Tab and opened with Enter.
    await frame.focus('.ttec-tool--diagnostics');
    await page.keyboard.press('Enter');
    await frame.waitForSelector('.ttec-diagnostics');
  });

  test('audio test: test sound on the speaker, live microphone level, nobody registered or called', async () => {
    // Not a WebRTC agent: the phone stays off, yet the audio test works.
    const frame = await open({ query: '&mobile=0' });
    const p = await problemText(frame, 'not-webrtc-agent');
    // (Start-up opens the broker socket before Finesse has said who the user is, and
    // closes it unused once it has: count from here.)
    const before = broker.connections;
    const registersBefore = broker.registers.filter((m) => !/^Expires: 0\r?$/m.test(m)).length;
    assert.equal(p.title, 'You are not signed in as a WebRTC agent, so the phone is off.');
    assert.equal(p.next, 'Sign out of Finesse and sign in as a mobile agent with your WebRTC number as the dial number.');
    await frame.click('.ttec-tool--settings');
    await frame.click('.ttec-audiotest__button');
    await expectText(frame, '.ttec-audiotest__button', 'Stop test');
    let level = 0;
    for (let i = 0; i < 60 && level === 0; i++) {
      level = await frame.$eval('meter.ttec-meter', (e) => e.value);
      await page.waitForTimeout(50);
    }
    assert.ok(level > 0, 'the microphone level never moved');
    const rec = await frame.evaluate(() => window.__ttec);
    assert.ok(rec.plays.some((src) => src.endsWith('/3rdpartygadget/files/TTECPhone/audio-test.wav')), JSON.stringify(rec.plays));
    assert.deepEqual(rec.gum.at(-1), { audio: true, video: false });
    // Device names are readable once the microphone was allowed.
    const names = await frame.$$eval('.ttec-select--microphone option', (os) => os.map((o) => o.textContent));
    assert.ok(names.some((n) => /Fake|Default/.test(n)), JSON.stringify(names));
    await frame.click('.ttec-audiotest__button');
    await expectText(frame, '.ttec-audiotest__button', 'Test audio');
    assert.equal(broker.connections, before, 'the audio test opened no connection to the phone system');
    assert.equal(broker.registers.filter((m) => !/^Expires: 0\r?$/m.test(m)).length, registersBefore, 'the audio test registered nothing');
  });

  test('device hot-plug: chosen headset remembered, unplugged -> default devices and a message, plugged back -> the headset again', async () => {
    let frame = await open({ storage: { __ttecFakeDevices: JSON.stringify(HEADSET) } });
    await frame.click('.ttec-tool--settings');
    await frame.selectOption('.ttec-select--microphone', 'h1');
    await frame.selectOption('.ttec-select--speaker', 'o1');
    const stored = () => frame.evaluate(() => [localStorage.getItem('ttecphone.microphone'), localStorage.getItem('ttecphone.speaker')]);
    assert.deepEqual(await stored(), ['h1', 'o1']);
    assert.equal((await frame.evaluate(() => window.__ttec.sinks)).at(-1), 'o1');
    // Remembered per browser: a reload keeps the choice.
    await page.reload();
    frame = await gadgetFrame(page);
    await frame.click('.ttec-tool--settings');
    assert.equal(await frame.$eval('.ttec-select--microphone', (s) => s.value), 'h1');
    assert.equal(await frame.$eval('.ttec-select--speaker', (s) => s.value), 'o1');
    await frame.click('.ttec-audiotest__button');
    await expectText(frame, '.ttec-audiotest__button', 'Stop test');
    assert.deepEqual((await frame.evaluate(() => window.__ttec.gum)).at(-1), { audio: { deviceId: { exact: 'h1' } }, video: false });
    await frame.click('.ttec-audiotest__button');
    // Unplug the headset.
    await frame.evaluate((list) => window.__ttecPlug(list), NO_HEADSET);
    await expectText(frame, '.ttec-notice__text',
      'Headset mic was disconnected: using the default microphone now. Headset earphones was disconnected: using the default speaker now.');
    // The choice is kept (a headset is away for a moment, not forgotten).
    assert.deepEqual(await stored(), ['h1', 'o1']);
    assert.equal((await frame.evaluate(() => window.__ttec.sinks)).at(-1), '', 'outputs back on the default speaker');
    const hints = await frame.$$eval('.ttec-panel', (ps) => ps.map((p) => p.textContent).join(' '));
    assert.match(hints, /Headset mic is not connected/, hints);
    await frame.click('.ttec-audiotest__button');
    await expectText(frame, '.ttec-audiotest__button', 'Stop test');
    assert.deepEqual((await frame.evaluate(() => window.__ttec.gum)).at(-1), { audio: true, video: false });
    await frame.click('.ttec-audiotest__button');
    await frame.click('.ttec-notice__dismiss');
    assert.equal(await frame.$('.ttec-notice'), null);
    // Plugged back: used again without the agent choosing it again.
    await frame.evaluate((list) => window.__ttecPlug(list), HEADSET);
    for (let i = 0; i < 40 && (await frame.evaluate(() => window.__ttec.sinks)).at(-1) !== 'o1'; i++) await page.waitForTimeout(50);
    assert.equal((await frame.evaluate(() => window.__ttec.sinks)).at(-1), 'o1', 'outputs back on the headset');
    assert.equal(await frame.$eval('.ttec-select--microphone', (s) => s.value), 'h1');
    await frame.click('.ttec-audiotest__button');
    await expectText(frame, '.ttec-audiotest__button', 'Stop test');
    assert.deepEqual((await frame.evaluate(() => window.__ttec.gum)).at(-1), { audio: { deviceId: { exact: 'h1' } }, video: false });
    await frame.click('.ttec-audiotest__button');
  });

  // Firefox lists no speaker before the microphone was opened in the page, and has its own
  // chooser (selectAudioOutput): the settings offer it. Chromium lists speakers and has none.
  if (BROWSER === 'firefox') test('Firefox, no speaker listed yet: "Choose speaker…" picks one with the browser\'s chooser, applied and remembered', async () => {
    const frame = await open();
    await expectText(frame, '.ttec-registration__word', 'Registered');
    await frame.click('.ttec-tool--settings');
    await frame.click('.ttec-settings__pick-speaker');
    // Headless Firefox with prompts off answers the chooser with its preferred output.
    const picked = await frame.evaluate(async () => {
      for (let i = 0; i < 60 && !localStorage.getItem('ttecphone.speaker'); i++) await new Promise((r) => setTimeout(r, 50));
      return localStorage.getItem('ttecphone.speaker');
    });
    assert.ok(picked, 'the picked speaker was not remembered');
    const sinks = await frame.evaluate(() => window.__ttec.sinks);
    assert.equal(sinks.at(-1), picked, `outputs not routed to the picked speaker: ${JSON.stringify(sinks)}`);
    const shown = await frame.$eval('.ttec-select--speaker', (s) => s.selectedOptions[0]?.textContent);
    assert.match(shown, /Fake Audio Output/, 'the settings name the picked speaker');
  });

  test('error: microphone permission denied (from the audio test)', async () => {
    const frame = await open({ storage: { __ttecDenyMic: '1' } });
    await frame.click('.ttec-tool--settings');
    await frame.click('.ttec-audiotest__button');
    const p = await problemText(frame, 'microphone-denied');
    assert.equal(p.title, 'The browser blocks the microphone, so calls cannot be answered.');
    assert.equal(p.next, 'Click the microphone icon in the address bar, choose Allow, then reload Finesse.');
    await expectText(frame, '.ttec-audiotest__status', 'The browser blocks the microphone: allow it in the address bar, then try again.');
  });

  test('error: no microphone', async () => {
    const frame = await open({ storage: { __ttecFakeDevices: JSON.stringify([HEADSET[2]]) } });
    const p = await problemText(frame, 'no-microphone');
    assert.equal(p.title, 'No microphone found, so calls cannot be answered.');
    assert.equal(p.next, 'Plug in your headset; the phone uses it from the next call.');
  });

  test('error: wrong broker credentials', async () => {
    const refusing = await startFakeBroker({ register: 'forbidden' });
    try {
      const frame = await open({ prefs: { wsUrl: refusing.url } });
      const p = await problemText(frame, 'broker-credentials');
      assert.equal(p.title, 'The phone system refused your sign-in (SIP 403: wrong SIP user or password).');
      assert.equal(p.next, 'Ask your supervisor to check the user and password of your WebRTC line.');
      await expectText(frame, '.ttec-registration__word', 'Error');
    } finally {
      await refusing.close();
    }
  });

  test('error: broker unreachable', async () => {
    const frame = await open({ prefs: { wsUrl: `ws://127.0.0.1:${await freePort()}/` } });
    const p = await problemText(frame, 'broker-unreachable');
    assert.equal(p.title, 'Cannot reach the phone system.');
    assert.match(p.next, /^Retrying (in \d+ s|now)\. If this lasts, check your network or VPN, then tell your supervisor\.$/);
  });

  test('error: WebSocket closed after registering -> reconnecting in N s, then registered again', async () => {
    const frame = await open();
    await expectText(frame, '.ttec-registration__word', 'Registered');
    broker.drop();
    const p = await problemText(frame, 'connection-lost');
    assert.match(p.title, /^Connection to the phone system lost\. Reconnecting (in \d+ s|now)\.$/);
    assert.equal(p.next, 'No action needed; if this lasts, check your network, then tell your supervisor.');
    await expectText(frame, '.ttec-registration__word', 'Registered', 15000);
    assert.equal(await frame.$('[data-problem=connection-lost]'), null);
  });

  test('error: configuration invalid names the key', async () => {
    const frame = await open({ prefs: { wsUrl: 'http://broker.example/ws' } });
    const p = await problemText(frame, 'config-invalid');
    assert.match(p.title, /^The phone is not set up correctly: wsUrl /);
    assert.equal(p.next, 'Ask your administrator to fix \u201cwsUrl\u201d in the gadget\'s config.json or URL.');
  });

  test('diagnostics: SIP messages with timestamps, downloaded as text, secrets redacted', async () => {
    const frame = await open();
    await expectText(frame, '.ttec-registration__word', 'Registered');
    await frame.click('.ttec-tool--diagnostics');
    await frame.waitForSelector('.ttec-trace__entry');
    const shown = await frame.$eval('.ttec-trace', (e) => e.textContent);
    assert.match(shown, /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z SIP out\s*REGISTER sip:/);
    assert.match(shown, /Authorization: Digest \[redacted\]/);
    const [download] = await Promise.all([page.waitForEvent('download'), frame.click('.ttec-diagnostics__download')]);
    assert.match(download.suggestedFilename(), /^ttecphone-diagnostics-\d{8}-\d{6}\.txt$/);
    const text = fs.readFileSync(await download.path(), 'utf8');
    assert.match(text, /^TTECPhone .* diagnostics/);
    assert.match(text, /\[SIP in\] SIP\/2\.0 401 Unauthorized/);
    assert.match(text, /\[SIP out\] REGISTER [^\n]*\n(    [^\n]*\n)*    Authorization: Digest \[redacted\]/);
    assert.match(text, /\[state\] Registration: Registered/);
    // The challenge's response never leaves the page: recompute nothing, just look for any response=.
    for (const secret of [PASSWORD, 'response=', 'cnonce=']) {
      assert.ok(!text.includes(secret), `${secret} in the download`);
      assert.ok(!(await frame.content()).includes(secret), `${secret} in the DOM`);
    }
    const sent = broker.registers.find((r) => /^Authorization:/m.test(r));
    assert.match(sent, /response="[0-9a-f]{32}"/, 'the real REGISTER did carry a digest response');
  });

  test('error: audio playback blocked -> one click at login enables it, before any call', async (t) => {
    // A browser with the default policy: sound needs a user gesture first.
    const blocked = await launchBrowser(['--autoplay-policy=document-user-activation-required']);
    t.after(() => blocked.close());
    const p2 = await blocked.context.newPage();
    // Playwright's frame queries count as a user gesture (sticky activation), so
    // nothing may touch the page until the gadget said it found sound blocked.
    const said = new Promise((resolve) => p2.on('console', (m) => {
      if (m.text().includes('blocks sound until the agent clicks')) resolve();
    }));
    const prefs = encodeURIComponent(`brokerKind=sip&wsUrl=${broker.url}&sipDomain=fake.test`);
    await p2.goto(`${finesse.origin}/desktop/?agent=agent3000&ext=2000&webrtc=3000&state=READY&prefs=${prefs}`);
    await Promise.race([said, new Promise((_, reject) => setTimeout(() => reject(new Error('the gadget never found sound blocked')), 15000))]);
    const frame = await gadgetFrame(p2);
    const p = await problemText(frame, 'playback-blocked');
    assert.equal(p.title, 'The browser has not allowed sound yet: you would not hear callers.');
    assert.equal(p.next, 'Click \u201cEnable sound\u201d once, before your first call.');
    assert.equal(await frame.$eval('.ttec-problem__action', (e) => e.textContent), 'Enable sound');
    await frame.click('.ttec-problem__action');
    for (let i = 0; i < 60 && await frame.$('[data-problem=playback-blocked]'); i++) await p2.waitForTimeout(50);
    assert.equal(await frame.$('[data-problem=playback-blocked]'), null, 'still blocked after the click');
  });
});
