// Start-up and the last line of defence, in the real browser against the bed:
// - gadget.xml opens the broker's WebSocket before the wasm runs (the handshake overlaps
//   the compile), and the phone takes that socket over: one socket, one registration;
// - the tab lock is asked for by gadget.xml too (granted while the wasm compiles) and taken
//   over by the phone, which registers before the bar's first render: the bar's first
//   state is the outcome; also when finesse.gadget.Config is filled only at onConnect;
// - a trap in the wasm (what a panic is in the release build) tells the agent in plain
//   words and closes the socket, so the broker refuses further calls at once instead of
//   ringing a phone that cannot answer.
// Runs inside the bed's network namespace:
//   bash unit_testing/bed/bed.sh exec node --test unit_testing/e2e/startup.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { countSockets, expectText, startSession } from './bed-session.mjs';

/** Every frame: its Web Lock requests, and the registration words the bar shows, in order. */
function watchStartup() {
  const requests = (window.__ttecLocks = []);
  const words = (window.__ttecWords = []);
  if (navigator.locks) {
    const request = navigator.locks.request.bind(navigator.locks);
    navigator.locks.request = (name, ...rest) => {
      requests.push({ name, wasmStarted: performance.getEntriesByName('ttec:boot').length > 0 });
      return request(name, ...rest);
    };
  }
  const observer = new MutationObserver(() => {
    const word = document.querySelector('.ttec-registration__word')?.textContent;
    if (word && words.at(-1) !== word) words.push(word);
  });
  const watch = () => observer.observe(document, { subtree: true, childList: true, characterData: true });
  watch();
  // Firefox runs this script once for the frame's initial about:blank document, whose
  // window the gadget's document then reuses (HTML's rule for same-origin navigation):
  // watch the new document too, from its first readystatechange (before any script runs).
  window.addEventListener('readystatechange', watch, { capture: true, once: true });
}

let session;

describe('start-up socket and the stopped phone', () => {
  before(async () => {
    session = await startSession();
  });
  after(async () => {
    await session?.close();
  });

  test('the WebSocket opened by gadget.xml before the wasm ran is the one the phone registers on', async () => {
    const page = await session.browser.context.newPage();
    await page.addInitScript(countSockets);
    try {
      const { frame } = await session.openPhone(page);
      const sockets = await frame.evaluate(() => window.__ttecSockets);
      assert.equal(sockets.length, 1, `one socket, taken over: ${JSON.stringify(sockets)}`);
      assert.equal(sockets[0].wasmStarted, false, 'opened by the page before the wasm started');
      assert.equal(new URL(sockets[0].url).href, new URL(session.broker.wsUrl).href);
      assert.equal(await frame.evaluate(() => window.TTEC.ws.readyState), 1);
      assert.equal(session.broker.contactsOf('3000'), 1);
    } finally {
      await page.close();
    }
  });

  test('the tab lock gadget.xml asked for is the one the phone holds, and the bar first shows the outcome', async () => {
    const page = await session.browser.context.newPage();
    await page.addInitScript(watchStartup);
    try {
      const { frame } = await session.openPhone(page);
      const agent = await frame.evaluate(() => finesse.gadget.Config.id);
      const requests = await frame.evaluate(() => window.__ttecLocks);
      assert.deepEqual(requests, [{ name: `ttecphone-agent-${agent}`, wasmStarted: false }], 'one request, by the page, before the wasm ran');
      const held = await frame.evaluate(async () => (await navigator.locks.query()).held.map((l) => l.name));
      assert.ok(held.includes(`ttecphone-agent-${agent}`), `held: ${held}`);
      assert.equal(await frame.evaluate(() => window.TTEC.lock), undefined, 'the phone took the request over');
      // Registration had its outcome before the first render: no "Starting", "Connecting" first.
      const words = await frame.evaluate(() => window.__ttecWords);
      assert.equal(words[0], 'Registered', `words shown: ${words}`);
      assert.equal(session.broker.contactsOf('3000'), 1);
    } finally {
      await page.close();
    }
  });

  // Finesse 11.x+ may fill finesse.gadget.Config only at the hub's onConnect (issue 19): the
  // page's lock request cannot be taken over at boot for a known agent then, and must not
  // be left held for nobody (the phone would wait for itself: "active in another tab").
  for (const [name, query] of [['at once', '&configAt=onConnect'], ['1.5 s late', '&configAt=onConnect&hubDelayMs=1500']]) {
    test(`Config filled only at onConnect, hub ${name}: the page's lock request is taken over and the phone registers`, async () => {
      const page = await session.browser.context.newPage();
      await page.addInitScript(watchStartup);
      try {
        const { frame } = await session.openPhone(page, { query });
        const agent = await frame.evaluate(() => finesse.gadget.Config.id);
        const requests = await frame.evaluate(() => window.__ttecLocks);
        assert.deepEqual(requests, [{ name: `ttecphone-agent-${agent}`, wasmStarted: false }], 'one request, by the page, before the wasm ran');
        const held = await frame.evaluate(async () => (await navigator.locks.query()).held.map((l) => l.name));
        assert.deepEqual(held, [`ttecphone-agent-${agent}`]);
        assert.equal(await frame.evaluate(() => window.TTEC.lock), undefined, 'the phone took the request over');
        // Registered at all (openPhone waited for it) is what a self-locked phone never is.
        assert.doesNotMatch(await frame.$eval('body', (e) => e.textContent), /another tab/i);
        assert.equal(session.broker.contactsOf('3000'), 1);
      } finally {
        await page.close();
      }
    });
  }

  test('a trap in the wasm: the agent reads that the phone stopped, and calls to it are refused at once', async () => {
    const page = await session.browser.context.newPage();
    try {
      const { frame } = await session.openPhone(page);
      assert.equal(session.broker.contactsOf('3000'), 1);
      // What the release build's panic is: a RuntimeError ("unreachable") out of the wasm.
      await frame.evaluate(() => setTimeout(() => { throw new WebAssembly.RuntimeError('unreachable'); }));
      await expectText(frame, '.ttec-stopped[role=alert]', /phone stopped .* Reload Finesse/, 5000);
      assert.equal(await frame.$('.ttec-bar'), null, 'the bar, which no longer works, is gone');
      assert.equal(await frame.evaluate(() => window.TTEC.ws.readyState), 3, 'the socket is closed');
      // The contact's flow went with the socket: a call is refused at once (CUCM then routes
      // it on) instead of ringing a phone that cannot answer. (The bed's Kamailio answers 500.)
      const t0 = Date.now();
      const run = await session.sipp('uac_expect_reject.xml', { durationMs: 1000 });
      await run.done;
      const messages = fs.readFileSync(run.files.messages, 'utf8');
      assert.doesNotMatch(messages, /^\s*SIP\/2\.0 (18\d|200) /m, 'the dead phone rang or answered');
      assert.match(messages, /^\s*SIP\/2\.0 [45]\d\d /m, 'no final refusal');
      assert.ok(Date.now() - t0 < 5000, `refused after ${Date.now() - t0} ms`);
    } finally {
      await page.close();
      await session.broker.clearContacts('3000'); // the dead phone never un-REGISTERed
    }
  });
});
