// What the mock-Finesse suites without the SIP bed share (gadget.test.mjs,
// routing.test.mjs): the mock Finesse, a fake broker and Chromium (`startBarEnv`), the
// gadget opened for the test agent (`openBar`), a problem's words (`problemText`), and the
// init script every frame runs (`instrument`): it records what the gadget does with
// audio, and fakes devices (`__ttecFakeDevices`, `window.__ttecPlug`) or a denied
// microphone (`__ttecDenyMic`) on demand, through the origin's localStorage.
import { gadgetFrame, launchBrowser, startMockFinesse } from './harness.mjs';
import { startFakeBroker } from './fake-broker.mjs';

/** Runs in every frame before the page: records what the gadget does with audio, and fakes devices on demand. */
export function instrument() {
  const rec = (window.__ttec = { plays: [], sinks: [], gum: [] });
  const fakeDevices = () => {
    try { return JSON.parse(localStorage.getItem('__ttecFakeDevices') || 'null'); } catch { return null; }
  };
  const proto = HTMLMediaElement.prototype;
  const play = proto.play;
  proto.play = function () { rec.plays.push(this.src || (this.srcObject ? 'stream' : '')); return play.call(this); };
  const setSinkId = proto.setSinkId;
  if (setSinkId) {
    proto.setSinkId = function (id) {
      rec.sinks.push(id);
      const fake = fakeDevices();
      if (fake && fake.some((d) => d.deviceId === id)) return Promise.resolve();
      return setSinkId.call(this, id);
    };
  }
  const md = navigator.mediaDevices;
  if (!md) return;
  const gum = md.getUserMedia.bind(md);
  md.getUserMedia = (constraints) => {
    rec.gum.push(JSON.parse(JSON.stringify(constraints)));
    if (localStorage.getItem('__ttecDenyMic') === '1') {
      return Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    }
    // A fake device asked for by id: the browser's own microphone plays it.
    const id = constraints?.audio?.deviceId?.exact;
    if (id && fakeDevices()?.some((d) => d.deviceId === id)) return gum({ audio: true, video: false });
    return gum(constraints);
  };
  const enumerate = md.enumerateDevices.bind(md);
  md.enumerateDevices = () => {
    const fake = fakeDevices();
    return fake ? Promise.resolve(fake.map((d) => ({ groupId: '', ...d }))) : enumerate();
  };
  window.__ttecPlug = (list) => {
    localStorage.setItem('__ttecFakeDevices', JSON.stringify(list));
    md.dispatchEvent(new Event('devicechange'));
  };
}

/** The mock Finesse, a fake broker and a browser page with `instrument` in every frame. */
export async function startBarEnv() {
  const env = { finesse: await startMockFinesse(), broker: await startFakeBroker() };
  env.browser = await launchBrowser(['--autoplay-policy=no-user-gesture-required']);
  await env.browser.context.addInitScript(instrument);
  env.page = await env.browser.context.newPage();
  env.close = async () => {
    await env.browser?.close();
    await env.broker?.close();
    await env.finesse?.stop();
  };
  return env;
}

/**
 * The mock desktop for the test agent (READY, WebRTC number 3000) on `page`, the gadget's
 * prefs (`sip` kind on `brokerUrl`, plus `prefs`) and the origin's localStorage (`storage`,
 * the per-test switches) set first; resolves with the gadget's frame.
 */
export async function openBar({ finesse, page, brokerUrl, prefs = {}, query = '', storage = {} }) {
  const all = { brokerKind: 'sip', wsUrl: brokerUrl, sipDomain: 'fake.test', ...prefs };
  const p = Object.entries(all).map(([k, v]) => `${k}=${v}`).join('&');
  await page.goto(`${finesse.origin}/desktop/mock-finesse/health`);
  await page.evaluate((s) => {
    localStorage.clear();
    for (const [k, v] of Object.entries(s)) localStorage.setItem(k, v);
  }, storage);
  await page.goto(`${finesse.origin}/desktop/?agent=agent3000&ext=2000&webrtc=3000&state=READY${query}&prefs=${encodeURIComponent(p)}`);
  return gadgetFrame(page);
}

/** The words of the problem `code` in the bar, once it shows. */
export async function problemText(frame, code, timeout = 10000) {
  const sel = `[data-problem=${code}]`;
  await frame.waitForSelector(sel, { timeout });
  return {
    title: await frame.$eval(`${sel} .ttec-problem__title`, (e) => e.textContent),
    next: await frame.$eval(`${sel} .ttec-problem__next`, (e) => e.textContent),
  };
}
