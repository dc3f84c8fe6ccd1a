// Real calls driven from the agent's bar (issue 5): sipp ("CUCM") calls the
// gadget through Kamailio + rtpengine.
// * Mute: the sender track is disabled and what the gadget sends goes silent
//   (getStats in the gadget frame: the sent audio's energy stops growing), then
//   comes back on Unmute. The answer tone plays when the call is answered.
// * A microphone chosen or unplugged mid-call: the call's track follows.
// * QA builds: auto-answer switched off at runtime, the call rings until Answer.
// Runs inside the bed:
//   bash unit_testing/bed/bed.sh exec node --test unit_testing/e2e/bar-calls.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { bedRunning, failureContext, inBedNamespace, loadBedEnv, runSipp } from '../bed/lib/bed.mjs';
import { expectText, gadgetFrame, launchBrowser, startMockFinesse } from './harness.mjs';

let env, finesse, browser, page;

before(async () => {
  assert.ok(await bedRunning(), 'the SIP test bed is not running: `bash unit_testing/bed/bed.sh start`');
  env = loadBedEnv();
  assert.ok(inBedNamespace(env), 'run this inside the bed: bash unit_testing/bed/bed.sh exec node --test …');
  finesse = await startMockFinesse();
  browser = await launchBrowser([
    '--allow-loopback-in-peer-connection',
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--autoplay-policy=no-user-gesture-required',
  ]);
  // Keep every peer connection and every play() of the gadget for inspection.
  await browser.context.addInitScript(() => {
    window.__ttecPcs = [];
    window.__ttecPlays = [];
    const Original = window.RTCPeerConnection;
    if (Original) {
      window.RTCPeerConnection = class extends Original {
        constructor(...args) { super(...args); window.__ttecPcs.push(this); }
      };
    }
    // Fake devices on demand (localStorage), and the constraints of every microphone open.
    window.__ttecGum = [];
    const md = navigator.mediaDevices;
    if (md) {
      const gum = md.getUserMedia.bind(md);
      const fake = () => JSON.parse(localStorage.getItem('__ttecFakeDevices') || 'null');
      md.getUserMedia = (c) => {
        window.__ttecGum.push(JSON.parse(JSON.stringify(c)));
        // A fake device asked for by id: the browser's own microphone plays it.
        const id = c?.audio?.deviceId?.exact;
        return gum(id && fake()?.some((d) => d.deviceId === id) ? { audio: true, video: false } : c);
      };
      const enumerate = md.enumerateDevices.bind(md);
      md.enumerateDevices = () => (fake() ? Promise.resolve(fake().map((d) => ({ groupId: '', ...d }))) : enumerate());
      window.__ttecPlug = (list) => { localStorage.setItem('__ttecFakeDevices', JSON.stringify(list)); md.dispatchEvent(new Event('devicechange')); };
    }
    const play = HTMLMediaElement.prototype.play;
    window.__ttecPlayers = new Set();
    HTMLMediaElement.prototype.play = function () {
      window.__ttecPlayers.add(this);
      window.__ttecPlays.push(this.src || (this.srcObject ? 'stream' : ''));
      return play.call(this);
    };
  });
  page = await browser.context.newPage();
});

after(async () => {
  await browser?.close();
  await finesse?.stop();
});

/** A sipp call to 3000 (the caller waits for our BYE) around `body`; the agent hangs up at the
 * end and the caller must have seen it. A failure carries sipp's messages. */
async function inCall(frame, body) {
  const run = await runSipp('uac_wait_bye.xml', { service: '3000', env, durationMs: 20000 });
  try {
    await body(run);
    await frame.click('.ttec-call__hangup');
    const result = await run.done;
    assert.equal(result.code, 0, `sipp exited ${result.code}`);
  } catch (e) {
    e.message += `\n${failureContext(run)}`;
    throw e;
  }
}

/** The live call's audio sender: track state and what it has sent so far. */
const sender = (frame) => frame.evaluate(async () => {
  const pc = window.__ttecPcs.filter((p) => p.connectionState !== 'closed').at(-1);
  if (!pc) return null;
  const s = pc.getSenders().find((x) => x.track && x.track.kind === 'audio');
  const stats = await s.getStats();
  let energy, packets = 0, level = 0;
  stats.forEach((r) => {
    if (r.type === 'media-source' && r.totalAudioEnergy !== undefined) { energy = r.totalAudioEnergy; level = r.audioLevel ?? 0; }
    if (r.type === 'outbound-rtp') packets = r.packetsSent ?? 0;
  });
  if (energy === undefined) {
    // Firefox has no media-source stats: listen to the sent track itself (a disabled
    // track is silence to every consumer), adding up its energy every 50 ms.
    const meters = (window.__ttecMeters ??= new Map());
    let m = meters.get(s.track);
    if (!m) {
      const ctx = new AudioContext();
      const analyser = ctx.createAnalyser();
      ctx.createMediaStreamSource(new MediaStream([s.track])).connect(analyser);
      const buf = new Float32Array(analyser.fftSize);
      m = { energy: 0, level: 0 };
      setInterval(() => {
        analyser.getFloatTimeDomainData(buf);
        let sum = 0;
        for (const x of buf) sum += x * x;
        m.level = Math.sqrt(sum / buf.length);
        m.energy += m.level * m.level * 0.05;
      }, 50);
      meters.set(s.track, m);
    }
    ({ energy, level } = m);
  }
  return { enabled: s.track.enabled, energy, level, packets };
});

/** How much the sent audio's energy and packets grow over `ms`. */
async function growth(frame, ms) {
  const a = await sender(frame);
  await page.waitForTimeout(ms);
  const b = await sender(frame);
  return { enabled: b.enabled, energy: b.energy - a.energy, packets: b.packets - a.packets, level: b.level };
}

test('mute disables the sender track and the gadget goes silent; unmute brings the audio back', async () => {
  const prefs = `brokerKind=sip&wsUrl=${env.BED_WS_URL}&sipDomain=${env.BED_DOMAIN}`;
  await page.goto(`${finesse.origin}/desktop/?agent=agent3000&ext=2000&webrtc=3000&state=RESERVED&prefs=${encodeURIComponent(prefs)}`);
  const frame = await gadgetFrame(page);
  await expectText(frame, '.ttec-registration__word', 'Registered', 15000);
  await inCall(frame, async () => {
    await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
    await expectText(frame, '.ttec-live', /^Call answered: /, 5000);
    const plays = await frame.evaluate(() => window.__ttecPlays);
    assert.ok(plays.some((src) => src.startsWith('blob:')), `no answer tone played: ${JSON.stringify(plays)}`);

    await page.waitForTimeout(1000); // media settles
    const talking = await growth(frame, 2000);
    assert.equal(talking.enabled, true);
    assert.ok(talking.packets > 50, `RTP flows before mute: ${JSON.stringify(talking)}`);
    assert.ok(talking.energy > 0, `the fake microphone is heard before mute: ${JSON.stringify(talking)}`);

    await frame.click('.ttec-call__mute');
    await expectText(frame, '.ttec-call__mute', 'Unmute');
    assert.equal(await frame.$eval('.ttec-call__mute', (b) => b.getAttribute('aria-pressed')), 'true');
    await page.waitForTimeout(300);
    const muted = await growth(frame, 2000);
    assert.equal(muted.enabled, false, 'the sender track is disabled');
    // Silence: no level, and the sent energy grows by less than 1% of what it did
    // while talking (a stats sample may still hold the last unmuted instant).
    assert.equal(muted.level, 0, `silent while muted: ${JSON.stringify(muted)}`);
    assert.ok(muted.energy < talking.energy / 100, `silent while muted: ${JSON.stringify({ muted, talking })}`);

    await frame.click('.ttec-call__mute');
    await expectText(frame, '.ttec-call__mute', 'Mute');
    await page.waitForTimeout(300);
    const again = await growth(frame, 2000);
    assert.equal(again.enabled, true);
    assert.ok(again.energy > talking.energy / 10, `audio back after unmute: ${JSON.stringify({ again, talking })}`);
    console.log(`# mute figures: ${JSON.stringify({ talking, muted, again })}`);

  });
});

test('a headset chosen or unplugged during a call: the microphone of the call follows, mute kept', async () => {
  const HEADSET = [
    { deviceId: 'default', kind: 'audioinput', label: 'Default - Built-in mic' },
    { deviceId: 'h1', kind: 'audioinput', label: 'Headset mic' },
    { deviceId: 'default', kind: 'audiooutput', label: 'Default - Built-in speakers' },
  ];
  const prefs = `brokerKind=sip&wsUrl=${env.BED_WS_URL}&sipDomain=${env.BED_DOMAIN}`;
  await page.goto(`${finesse.origin}/desktop/mock-finesse/health`);
  await page.evaluate((list) => { localStorage.clear(); localStorage.setItem('__ttecFakeDevices', JSON.stringify(list)); }, HEADSET);
  await page.goto(`${finesse.origin}/desktop/?agent=agent3000&ext=2000&webrtc=3000&state=RESERVED&prefs=${encodeURIComponent(prefs)}`);
  const frame = await gadgetFrame(page);
  await expectText(frame, '.ttec-registration__word', 'Registered', 15000);
  await inCall(frame, async () => {
    await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
    const trackId = () => frame.evaluate(() => {
      const pc = window.__ttecPcs.filter((p) => p.connectionState !== 'closed').at(-1);
      const t = pc?.getSenders().find((x) => x.track && x.track.kind === 'audio')?.track;
      return t ? { id: t.id, enabled: t.enabled, state: t.readyState } : null;
    });
    // The call's track once it is not `previous` (up to 3 s), else the last one seen.
    const nextTrack = async (previous) => {
      let track;
      for (let i = 0; i < 60 && (track = await trackId())?.id === previous?.id; i++) await page.waitForTimeout(50);
      return track;
    };
    // Answered early (the permission is granted): the microphone's track joins the
    // sender just after the 200 OK.
    const first = await nextTrack(null);
    assert.ok(first, 'the call never got a microphone track');
    await frame.click('.ttec-call__mute');
    await expectText(frame, '.ttec-call__mute', 'Unmute');
    await frame.click('.ttec-tool--settings');
    await frame.selectOption('.ttec-select--microphone', 'h1');
    const second = await nextTrack(first);
    assert.notEqual(second.id, first.id, 'the call kept its old microphone track');
    assert.equal(second.enabled, false, 'still muted after the switch');
    assert.deepEqual((await frame.evaluate(() => window.__ttecGum)).at(-1), { audio: { deviceId: { exact: 'h1' } }, video: false });
    // Unplug the headset: back to the default microphone, in the call too.
    await frame.evaluate((list) => window.__ttecPlug(list), [HEADSET[0], HEADSET[2]]);
    await expectText(frame, '.ttec-notice__text', 'Headset mic was disconnected: using the default microphone now.');
    const third = await nextTrack(second);
    assert.notEqual(third.id, second.id);
    assert.equal(third.state, 'live');
    assert.deepEqual((await frame.evaluate(() => window.__ttecGum)).at(-1), { audio: true, video: false });
  });
});

test("the agent's own devices: the second microphone and speaker chosen, Finesse reloaded, a call plays there and records there", async () => {
  // The browser's real device list (Chromium's fake devices; Firefox's mock audio backend,
  // whose ids, groups and labels behave as on an agent's PC), no fake list.
  const prefs = `brokerKind=sip&wsUrl=${env.BED_WS_URL}&sipDomain=${env.BED_DOMAIN}`;
  const desktop = `${finesse.origin}/desktop/?agent=agent3000&ext=2000&webrtc=3000&state=RESERVED&prefs=${encodeURIComponent(prefs)}`;
  await page.goto(`${finesse.origin}/desktop/mock-finesse/health`);
  await page.evaluate(() => localStorage.clear());
  await page.goto(desktop);
  let frame = await gadgetFrame(page);
  await expectText(frame, '.ttec-registration__word', 'Registered', 15000);
  await frame.click('.ttec-tool--settings');
  const options = (kind) => frame.$$eval(`.ttec-select--${kind} option`, (os) => os.map((o) => ({ value: o.value, label: o.textContent })));
  if ((await options('speaker')).length < 2) {
    // Names and speakers appear once the microphone was allowed: the audio test asks.
    await frame.click('.ttec-audiotest__button');
    await expectText(frame, '.ttec-audiotest__button', 'Stop test');
    await frame.click('.ttec-audiotest__button');
  }
  const chosen = {};
  for (const kind of ['microphone', 'speaker']) {
    let list = [];
    for (let i = 0; i < 40 && (list = (await options(kind)).filter((o) => o.value)).length < 2; i++) await page.waitForTimeout(50);
    assert.ok(list.length >= 2, `two ${kind}s listed: ${JSON.stringify(await options(kind))}`);
    chosen[kind] = list[1];
    await frame.selectOption(`.ttec-select--${kind}`, list[1].value);
  }
  await page.reload();
  frame = await gadgetFrame(page);
  await expectText(frame, '.ttec-registration__word', 'Registered', 15000);
  await inCall(frame, async () => {
    await expectText(frame, '.ttec-live', /^Call answered: /, 10000);
    // What the browser really uses, named by the browser's own device list.
    const used = async () => frame.evaluate(async () => {
      const devices = await navigator.mediaDevices.enumerateDevices();
      const label = (kind, id) => devices.find((d) => d.kind === kind && d.deviceId === id)?.label ?? `unknown id ${id}`;
      const pc = window.__ttecPcs.filter((p) => p.connectionState !== 'closed').at(-1);
      const track = pc?.getSenders().find((x) => x.track && x.track.kind === 'audio')?.track;
      const call = [...window.__ttecPlayers].find((e) => e.srcObject && !e.paused);
      return {
        microphone: track ? label('audioinput', track.getSettings().deviceId) : 'no track',
        speaker: call ? (call.sinkId ? label('audiooutput', call.sinkId) : 'the default speaker') : 'no call audio',
      };
    });
    let seen;
    for (let i = 0; i < 60; i++) {
      seen = await used();
      if (seen.microphone === chosen.microphone.label && seen.speaker === chosen.speaker.label) break;
      await page.waitForTimeout(50);
    }
    const opened = await frame.evaluate(() => window.__ttecGum);
    assert.deepEqual(seen, { microphone: chosen.microphone.label, speaker: chosen.speaker.label },
      `microphone opened with ${JSON.stringify(opened)}; chosen ${JSON.stringify(chosen)}`);
    await frame.click('.ttec-tool--settings');
    for (const kind of ['microphone', 'speaker']) {
      const shown = await frame.$eval(`.ttec-select--${kind}`, (s) => s.selectedOptions[0]?.textContent);
      assert.equal(shown, chosen[kind].label, `the settings still show the chosen ${kind}`);
    }
  });
});

test('QA build: auto-answer switched off at runtime, the call rings until the agent answers', async () => {
  const prefs = `brokerKind=sip&wsUrl=${env.BED_WS_URL}&sipDomain=${env.BED_DOMAIN}&devFeatures=true`;
  await page.goto(`${finesse.origin}/desktop/?agent=agent3000&ext=2000&webrtc=3000&state=RESERVED&prefs=${encodeURIComponent(prefs)}`);
  const frame = await gadgetFrame(page);
  await expectText(frame, '.ttec-registration__word', 'Registered', 15000);
  // The shipped build (unit_testing/dev/release.sh) leaves out outcalling, even here.
  assert.equal(await frame.$('.ttec-tool--dialpad'), null, 'a dialpad in the shipped build');
  await frame.click('.ttec-autoanswer__toggle');
  await expectText(frame, '.ttec-autoanswer__status', 'Auto-answer off (QA): answer calls by hand');
  await inCall(frame, async () => {
    await expectText(frame, '.ttec-incoming__progress', 'Ringing', 10000);
    await page.waitForTimeout(1500);
    assert.equal(await frame.$('.ttec-call'), null, 'answered although auto-answer is off');
    await frame.click('.ttec-btn--answer');
    await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
  });
});
