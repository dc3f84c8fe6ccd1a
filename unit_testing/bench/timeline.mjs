// Diagnostic: where the gadget's time goes, load -> REGISTER (resource timings, WebSocket,
// wasm start) and, with CALLS=n, INVITE -> 200 OK (getUserMedia, RTCPeerConnection steps,
// ICE states, long tasks), as one timeline per load (LOADS=n). Runs inside the bed's namespace:
//   bash unit_testing/bed/bed.sh exec node unit_testing/bench/timeline.mjs
// REF=jssip|sipjs: a reference page instead (build/ from build-refs.mjs); STUN=1: the silent
// STUN server configured (FIREWALL=1: and the media server behind a stateful firewall,
// bed/lib/media-firewall.mjs); DOM=1: every DOM mutation and postMessage to the container marked;
// CONSOLE=1: the page's console; TRACE=file.json: a Chrome trace of the calls (LOAD_TRACE: of the load) (main thread;
// TRACE_CATEGORIES to change what it records); SETTLE_MS [300]: the wait between registering
// and the first call, as in the benchmark; CHROME_FLAGS: more browser flags (e.g.
// "--js-flags=--no-wasm-lazy-compilation"); WARMUP=1: a throwaway loopback offer/answer in
// the gadget's frame at load (what warming the browser's WebRTC stack alone would give).
// BENCH_BROKER=kamailio|asterisk [kamailio]: the broker, as for bench.mjs (../bed/lib/brokers.mjs).
import { chromium } from 'playwright-core';
import { loadBedEnv } from '../bed/lib/bed.mjs';
import { broker as brokerNamed } from '../bed/lib/brokers.mjs';
import { startMockFinesse } from '../e2e/harness.mjs';
import { startRefServer } from './refs/clients.mjs';
import { closeMediaServer } from '../bed/lib/media-firewall.mjs';
import { startSilentStun } from './stun-host.mjs';

const env = loadBedEnv();
const broker = brokerNamed(process.env.BENCH_BROKER || 'kamailio', env);
const finesse = await startMockFinesse();
// STUN=1: the silent STUN server of the benchmark is configured (iceServers).
const stun = process.env.STUN ? await startSilentStun(env.BED_NETNS) : null;
const firewall = process.env.FIREWALL ? closeMediaServer(...broker.mediaPorts) : null;
// REF=jssip|sipjs: the same timeline for a reference page (build/, made by build-refs.mjs).
const REF = process.env.REF;
const refServer = REF ? await startRefServer() : null;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns', ...(process.env.CHROME_FLAGS ? process.env.CHROME_FLAGS.split(' ') : [])] });
for (let i = 0; i < Number(process.env.LOADS || 2); i++) {
  const context = await browser.newContext();
  await context.grantPermissions(['microphone']);
  await context.addInitScript(({ dom, warmup }) => {
    const marks = (window.__marks = []);
    const WS = window.WebSocket;
    window.WebSocket = function (...a) {
      marks.push(['ws-new', performance.now()]);
      const um = (n) => { try { performance.mark(n); } catch {} };
      const ws = new WS(...a);
      ws.addEventListener('open', () => marks.push(['ws-open', performance.now()]));
      ws.addEventListener('message', (e) => { marks.push([`ws-msg ${String(e.data).slice(0, 14)}`, performance.now()]); console.timeStamp(`ws-msg ${String(e.data).slice(0, 14)}`); });
      const send = ws.send.bind(ws);
      ws.send = (d) => { marks.push([`ws-send ${String(d).slice(0, 12)}`, performance.now()]); console.timeStamp(`ws-send ${String(d).slice(0, 12)}`); send(d); };
      return ws;
    };
    window.WebSocket.prototype = WS.prototype;
    const f = window.fetch;
    window.fetch = (...a) => { marks.push([`fetch ${String(a[0].url || a[0]).slice(-30)}`, performance.now()]); return f(...a).then((r) => { marks.push(['fetch-done', performance.now()]); return r; }); };
    const open = XMLHttpRequest.prototype.open;
    XMLHttpRequest.prototype.open = function (m, u, ...r) { marks.push([`xhr ${String(u).slice(-30)}`, performance.now()]); this.addEventListener('loadend', () => marks.push(['xhr-done', performance.now()])); return open.call(this, m, u, ...r); };
    const cs0 = WebAssembly.compileStreaming;
    if (cs0) WebAssembly.compileStreaming = (...a) => { marks.push(['compile-start', performance.now()]); return cs0(...a).then((r) => { marks.push(['compile-done', performance.now()]); return r; }); };
    const in0 = WebAssembly.instantiate;
    WebAssembly.instantiate = (...a) => { marks.push(['instantiate', performance.now()]); return in0(...a).then((r) => { marks.push(['instantiate-done', performance.now()]); return r; }); };
    document.addEventListener('DOMContentLoaded', () => marks.push(['DOMContentLoaded', performance.now()]));
    const ws0 = WebAssembly.instantiateStreaming;
    if (ws0) WebAssembly.instantiateStreaming = (...a) => { marks.push(['wasm-start', performance.now()]); return ws0(...a).then((r) => { marks.push(['wasm-ready', performance.now()]); return r; }); };
    const md = navigator.mediaDevices;
    if (md) {
      const gum = md.getUserMedia.bind(md);
      md.getUserMedia = (c) => { marks.push(['gUM', performance.now()]); return gum(c).then((x) => { marks.push(['gUM-done', performance.now()]); return x; }); };
    }
    const P = window.RTCPeerConnection;
    if (P) {
      window.RTCPeerConnection = function (...a) { marks.push(['new-pc', performance.now()]); const pc = new P(...a); pc.addEventListener('iceconnectionstatechange', () => marks.push([`ice-${pc.iceConnectionState}`, performance.now()])); pc.addEventListener('icegatheringstatechange', () => marks.push([`gather-${pc.iceGatheringState}`, performance.now()])); pc.addEventListener('icecandidate', (e) => marks.push([`candidate ${e.candidate ? e.candidate.type || '?' : 'end'}`, performance.now()])); return pc; };
      window.RTCPeerConnection.prototype = P.prototype;
      for (const m of ['setRemoteDescription', 'setLocalDescription', 'createAnswer']) {
        const f = P.prototype[m];
        P.prototype[m] = function (...a) { marks.push([m, performance.now()]); return f.apply(this, a).then((x) => { marks.push([`${m}-done`, performance.now()]); return x; }); };
      }
    }
    // Start-up steps that may wait on the browser process: Web Locks, device listing, the autoplay probe.
    const wrapAsync = (obj, name, label) => {
      const f = obj && obj[name];
      if (typeof f !== 'function') return;
      obj[name] = function (...a) {
        marks.push([label, performance.now()]);
        const r = f.apply(this, a);
        if (r && typeof r.then === 'function') r.then(() => marks.push([`${label}-done`, performance.now()]), () => marks.push([`${label}-failed`, performance.now()]));
        return r;
      };
    };
    if (navigator.locks) {
      const request = navigator.locks.request.bind(navigator.locks);
      navigator.locks.request = (name, options, callback) => {
        marks.push(['lock', performance.now()]);
        return request(name, options, (lock) => { marks.push([`lock-${lock ? 'granted' : 'busy'}`, performance.now()]); return callback(lock); });
      };
    }
    if (md) wrapAsync(md, 'enumerateDevices', 'enumerateDevices');
    if (navigator.permissions) wrapAsync(navigator.permissions, 'query', 'permissions');
    wrapAsync(HTMLMediaElement.prototype, 'play', 'play');
    wrapAsync(HTMLMediaElement.prototype, 'setSinkId', 'setSinkId');
    try {
      new PerformanceObserver((list) => list.getEntries().forEach((e) => marks.push([`longtask ${Math.round(e.duration)} ms`, e.startTime]))).observe({ type: 'longtask' });
    } catch { /* not supported */ }
    const AC = window.AudioContext;
    if (AC) window.AudioContext = function (...a) { marks.push(['new-AudioContext', performance.now()]); return new AC(...a); };
    new MutationObserver((_, obs) => { if (document.querySelector('.ttec-bar')) { marks.push(['bar', performance.now()]); obs.disconnect(); } }).observe(document, { subtree: true, childList: true });
    new MutationObserver(() => { const w = document.querySelector('.ttec-registration__word'); if (w && marks.at(-1)?.[0] !== `reg ${w.textContent}`) marks.push([`reg ${w.textContent}`, performance.now()]); }).observe(document, { subtree: true, childList: true, characterData: true });
    if (dom) new MutationObserver((records) => marks.push([`dom ${records.length} ${records.slice(0, 4).map((r) => `${r.type[0]}:${r.target.className || r.target.nodeName}${r.type === 'characterData' ? '=' + r.target.data : ''}${r.attributeName ? '@' + r.attributeName : ''}`).join(' | ')}`.slice(0, 200), performance.now()])).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
    if (dom && window.parent !== window) {
      const pm = window.parent.postMessage;
      try { window.parent.postMessage = function (m, ...r) { marks.push([`postMessage ${m && m.kind}`, performance.now()]); return pm.call(this, m, ...r); }; } catch { /* cross-origin */ }
    }
    Object.assign(window.WebSocket, { OPEN: 1, CLOSED: 3, CONNECTING: 0, CLOSING: 2 });
    if (warmup && location.pathname.includes('/gadgets/ifr')) {
      window.addEventListener('load', () => setTimeout(async () => {
        marks.push(['warmup', performance.now()]);
        const a = new RTCPeerConnection(), b = new RTCPeerConnection();
        a.addTransceiver('audio');
        const o = await a.createOffer(); await a.setLocalDescription(o);
        await b.setRemoteDescription(o); await b.setLocalDescription(); await a.setRemoteDescription(b.localDescription);
        marks.push(['warmup-done', performance.now()]);
        setTimeout(() => { a.close(); b.close(); }, 200);
      }, 50));
    }
  }, { dom: Boolean(process.env.DOM), warmup: process.env.WARMUP });
  const page = await context.newPage();
  if (process.env.CONSOLE) page.on('console', (m) => console.log('console:', m.text()));
  const user = REF ? '3001' : '3000';
  const ice = stun ? [{ urls: stun.url }] : [];
  // LOAD_TRACE=file.json: a Chrome trace of the load, up to registered (last load's).
  if (process.env.LOAD_TRACE) await browser.startTracing(page, { path: process.env.LOAD_TRACE, categories: (process.env.TRACE_CATEGORIES || 'devtools.timeline,blink.user_timing,toplevel,v8.execute,v8.wasm,disabled-by-default-devtools.timeline').split(',') });
  let frame;
  if (REF) {
    const q = new URLSearchParams({ ws: broker.wsUrl, domain: broker.sipDomain, user, password: `test-password-${user}`, ice: JSON.stringify(ice) });
    await page.goto(`${refServer.origin}/${REF}.html?${q}`);
    frame = page.mainFrame();
    await frame.waitForFunction(() => window.BENCH?.registered > 0, null, { timeout: 15000 });
  } else {
    let prefs = `brokerKind=sip&wsUrl=${broker.wsUrl}&sipDomain=${broker.sipDomain}`;
    if (stun) prefs += `&iceServers=${JSON.stringify(ice)}`;
    await page.goto(`${finesse.origin}/desktop/?agent=agent3000&ext=2000&webrtc=3000&state=READY&prefs=${encodeURIComponent(prefs)}`);
    for (let t = 0; t < 400 && !frame; t++) {
      frame = page.frames().find((f) => f.url().includes('/gadgets/ifr'));
      if (!frame) await page.waitForTimeout(20);
    }
    await frame.waitForFunction(() => document.querySelector('.ttec-registration__word')?.textContent === 'Registered', null, { timeout: 15000 });
  }
  if (process.env.LOAD_TRACE) await browser.stopTracing();
  if (process.env.CALLS) {
    const { runSipp } = await import('../bed/lib/bed.mjs');
    await page.waitForTimeout(Number(process.env.SETTLE_MS || 300)); // as the benchmark: the page settles after registering
    if (process.env.TRACE) await browser.startTracing(page, { path: process.env.TRACE, categories: (process.env.TRACE_CATEGORIES || 'devtools.timeline,blink.user_timing,toplevel,v8.execute,disabled-by-default-devtools.timeline').split(',') });
    for (let c = 0; c < Number(process.env.CALLS); c++) {
      await frame.evaluate(() => window.__marks.push(['--- call', performance.now()]));
      const run = await runSipp('uac_call.xml', { service: user, env, durationMs: 300, broker });
      await run.done;
    }
    if (process.env.TRACE) await browser.stopTracing();
  }
  await page.waitForTimeout(300);
  const t = await frame.evaluate(() => ({
    origin: performance.timeOrigin,
    resources: performance.getEntriesByType('resource').map((r) => [r.name.replace(location.origin, ''), Math.round(r.startTime), Math.round(r.responseEnd)]),
    nav: (({ domContentLoadedEventEnd, loadEventEnd, responseEnd }) => ({ responseEnd, domContentLoadedEventEnd, loadEventEnd }))(performance.getEntriesByType('navigation')[0]),
    marks: window.__marks.concat(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])).sort((a, b) => a[1] - b[1]).map(([n, at]) => [n, Math.round(at)]),
  }));
  console.log(JSON.stringify(t, null, 0).replaceAll('],[', '],\n ['));
  await context.close();
}
await browser.close();
await finesse.stop();
if (firewall) console.log(`firewall dropped ${firewall.dropped()} early ICE checks`);
firewall?.open();
await stun?.stop();
await refServer?.stop();
