// SIP input hardening through the running gadget (issue 6, item 13): a broker
// that turns hostile. A small WebSocket server registers the gadget, then
// sends malformed, oversized and nonsensical messages, and real-shaped ones
// cut short; after each, an OPTIONS must still be answered (the gadget's wasm
// did not die) and at the end the phone is still Registered.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { expectText, freePort, gadgetFrame, launchBrowser, ROOT, startMockFinesse } from './harness.mjs';

const CORPUS = path.join(ROOT, 'unit_testing/sip/corpus');

/** Header value of a SIP message (first line only). */
const header = (msg, name) => {
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(msg);
  return m ? m[1].trim() : undefined;
};

/** A broker that answers REGISTER with 200 and lets the test speak for it. */
class FakeBroker {
  constructor(port) {
    this.received = [];
    this.waiters = [];
    this.server = new WebSocketServer({ host: '127.0.0.1', port, handleProtocols: (p) => (p.has('sip') ? 'sip' : false) });
    this.server.on('connection', (socket) => {
      this.socket = socket;
      socket.on('message', (data) => this.onMessage(String(data)));
    });
  }

  onMessage(text) {
    if (/^\r?\n/.test(text) && text.trim() === '') { this.socket.send('\r\n'); return; } // keep-alive pong
    this.received.push(text);
    if (text.startsWith('REGISTER ')) {
      const contact = header(text, 'Contact');
      this.socket.send([
        'SIP/2.0 200 OK', ...text.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l)),
        `Contact: ${contact};expires=600`, 'Content-Length: 0', '', '',
      ].join('\r\n'));
    }
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits for the next message matching `predicate` received after `since`. */
  async next(predicate, since, timeoutMs = 3000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.slice(since).find(predicate);
      if (hit) return hit;
      if (Date.now() > deadline) return undefined;
      await new Promise((r) => { this.waiters.push(r); setTimeout(r, 50); });
    }
  }

  send(text) { this.socket.send(text); }

  /** An OPTIONS the gadget must answer 200: proof it is alive. */
  async ping(n) {
    const since = this.received.length;
    this.send([
      'OPTIONS sip:3000@127.0.0.1 SIP/2.0', `Via: SIP/2.0/WSS 127.0.0.1;branch=z9hG4bKping${n}`,
      'From: <sip:broker@127.0.0.1>;tag=ping', 'To: <sip:3000@127.0.0.1>', `Call-ID: ping-${n}`,
      `CSeq: ${n} OPTIONS`, 'Max-Forwards: 70', 'Content-Length: 0', '', '',
    ].join('\r\n'));
    return this.next((m) => m.startsWith('SIP/2.0 200') && header(m, 'Call-ID') === `ping-${n}`, since);
  }

  close() { return new Promise((r) => this.server.close(r)); }
}

const request = (method, { callId = 'h-1', extra = [], body = '', contentLength } = {}) => [
  `${method} sip:3000@127.0.0.1 SIP/2.0`, 'Via: SIP/2.0/WSS 127.0.0.1;branch=z9hG4bKhostile',
  'From: <sip:evil@127.0.0.1>;tag=evil', 'To: <sip:3000@127.0.0.1>', `Call-ID: ${callId}`, `CSeq: 1 ${method}`,
  'Max-Forwards: 70', ...extra, `Content-Length: ${contentLength ?? Buffer.byteLength(body)}`, '', body,
].join('\r\n');

/** [name, message, expected status of the gadget's answer or null for "dropped"] */
function hostileCorpus() {
  const cases = [
    ['binary garbage', '\u0000\u0001\u0002\u00ff\u00fe garbage \u0000', null],
    ['start line only', 'INVITE', null],
    ['no headers', 'INVITE sip:3000@127.0.0.1 SIP/2.0\r\n\r\n', null],
    ['wrong version', 'INVITE sip:3000@127.0.0.1 SIP/3.0\r\nCall-ID: v\r\n\r\n', null],
    ['100 KiB message', request('MESSAGE', { body: 'x'.repeat(100 * 1024), extra: ['Content-Type: text/plain'] }), null],
    ['header flood', request('OPTIONS', { callId: 'flood', extra: Array.from({ length: 2000 }, (_, i) => `X-H${i}: ${i}`) }), null],
    ['INVITE without Call-ID', request('INVITE').replace(/^Call-ID:.*\r\n/m, ''), null],
    ['Content-Length past the body', request('INFO', { callId: 'cl', body: 'abc', contentLength: 99999 }), 400],
    ['BYE for no dialog', request('BYE', { callId: 'nodialog', extra: [] }).replace('To: <sip:3000@127.0.0.1>', 'To: <sip:3000@127.0.0.1>;tag=gone'), 481],
    ['unknown method', request('FROBNICATE', { callId: 'frob' }), 501],
    ['stray response', 'SIP/2.0 200 OK\r\nVia: SIP/2.0/WSS x.invalid;branch=z9hG4bKnobody\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: stray\r\nCSeq: 9 INVITE\r\nContent-Length: 0\r\n\r\n', null],
    ['negative CSeq', request('OPTIONS', { callId: 'cseq' }).replace('CSeq: 1 OPTIONS', 'CSeq: -5 OPTIONS'), null],
    ['absurd Via', request('OPTIONS', { callId: 'via' }).replace(/^Via:.*$/m, `Via: SIP/2.0/WSS ${'a'.repeat(5000)};branch=${'z'.repeat(3000)}`), null],
    ['INVITE with a garbage offer', request('INVITE', { callId: 'badsdp', extra: ['Contact: <sip:evil@127.0.0.1>', 'Content-Type: application/sdp'], body: 'v=0\r\nthis is not sdp\r\n' }), null],
    ['invalid UTF-8 like text', 'OPTIONS sip:\udc80@x SIP/2.0\r\n\r\n', null],
  ];
  // Real-shaped messages from the core's corpus, cut at a few points.
  for (const file of fs.readdirSync(CORPUS).filter((f) => f.endsWith('.sip')).sort()) {
    const text = fs.readFileSync(path.join(CORPUS, file), 'utf8');
    for (const fraction of [0.1, 0.5, 0.9]) {
      cases.push([`${file} cut at ${fraction * 100}%`, text.slice(0, Math.floor(text.length * fraction)), null]);
    }
  }
  return cases;
}

describe('a hostile broker cannot take the phone down', () => {
  let broker, finesse, browser, page, frame;

  before(async () => {
    const port = await freePort();
    broker = new FakeBroker(port);
    finesse = await startMockFinesse();
    browser = await launchBrowser();
    page = await browser.context.newPage();
    const prefs = `brokerKind=sip&wsUrl=ws://127.0.0.1:${port}/&sipDomain=127.0.0.1`;
    // NOT_READY: a hostile INVITE is refused by policy before any media is touched.
    await page.goto(`${finesse.origin}/desktop/?agent=agent3000&ext=2000&webrtc=3000&state=NOT_READY&prefs=${encodeURIComponent(prefs)}`);
    frame = await gadgetFrame(page);
    await expectText(frame, '.ttec-registration__word', 'Registered', 10000);
  });

  after(async () => {
    await browser?.close();
    await finesse?.stop();
    await broker?.close();
  });

  test('every hostile message is answered or dropped, and the phone keeps working', async () => {
    const cases = hostileCorpus();
    let n = 0;
    for (const [name, message, expected] of cases) {
      const since = broker.received.length;
      broker.send(message);
      if (expected !== null) {
        const callId = header(message, 'Call-ID');
        const answer = await broker.next((m) => m.startsWith('SIP/2.0 ') && header(m, 'Call-ID') === callId, since);
        assert.ok(answer, `${name}: no answer`);
        assert.equal(Number(answer.split(' ')[1]), expected, `${name}: ${answer.split('\r\n')[0]}`);
      }
      assert.ok(await broker.ping(++n), `${name}: the phone stopped answering OPTIONS`);
    }
    await expectText(frame, '.ttec-registration__word', 'Registered');
    console.log(`# hostile messages survived: ${cases.length}`);
  });
});
