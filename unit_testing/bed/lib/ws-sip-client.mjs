// A scripted SIP-over-WebSocket user agent (RFC 7118) for the test bed. It registers
// like a browser phone (RFC 5626 instance id + reg-id, ";ob", a ".invalid" Contact
// host) and exposes low-level primitives — send raw text, wait for a matching
// message, reply, send in-dialog requests — so tests can script normal calls and
// inject faults (drop the socket, stay silent, send garbage) alike.
import WebSocket from 'ws';
import { EventEmitter } from 'node:events';
import { SipMessage, parse, serialize, branch, token, randomUUID, parseChallenge, digestAuthorization, tagOf, uriOf } from './sip.mjs';

export class WsSipClient extends EventEmitter {
  /**
   * @param {object} o
   * @param {string} o.url        ws://127.0.0.1:8080/
   * @param {string} o.user       AOR user / auth user, e.g. "3000"
   * @param {string} o.password   digest password (never logged)
   * @param {string} [o.domain]   SIP domain [127.0.0.1]
   * @param {string} [o.instanceId] stable urn:uuid per "browser" (RFC 5626)
   * @param {number} [o.regId]    reg-id [1]
   * @param {(line:string)=>void} [o.trace] gets every message sent/received, with
   *        Authorization/Proxy-Authorization values redacted
   */
  constructor({ url, user, password, domain = '127.0.0.1', instanceId = `urn:uuid:${randomUUID()}`, regId = 1, trace } = {}) {
    super();
    Object.assign(this, { url, user, password, domain, instanceId, regId, trace });
    this.contactUser = token(4);
    this.viaHost = `${token(5)}.invalid`;
    this.queue = []; // received, not yet consumed by waitFor()
    this.waiters = [];
    this.cseq = Math.floor(Math.random() * 1000) + 1;
    this.regCallId = `${token(8)}@${this.viaHost}`;
    this.fromTag = token(5);
    this.closed = null;
  }

  get contactUri() { return `sip:${this.contactUser}@${this.viaHost};transport=ws;ob`; }
  get contact() { return `<${this.contactUri}>;reg-id=${this.regId};+sip.instance="<${this.instanceId}>"`; }

  connect({ timeoutMs = 3000, protocol = 'sip' } = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, protocol === null ? undefined : protocol);
      this.ws = ws;
      const timer = setTimeout(() => { ws.terminate(); reject(new Error(`WebSocket ${this.url}: no open in ${timeoutMs} ms`)); }, timeoutMs);
      ws.on('open', () => {
        clearTimeout(timer);
        if (protocol && ws.protocol !== protocol) {
          reject(new Error(`server did not accept subprotocol ${protocol} (got "${ws.protocol}")`));
          ws.close();
          return;
        }
        resolve(this);
      });
      ws.on('error', (e) => { clearTimeout(timer); this.emit('ws-error', e); reject(e); });
      ws.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        this.emit('close', this.closed);
        for (const w of this.waiters.splice(0)) w.reject(new Error(`WebSocket closed (${code}) while waiting for ${w.what}`));
      });
      ws.on('message', (data, isBinary) => this._onFrame(isBinary ? data : data.toString('utf8')));
    });
  }

  _trace(dir, text) {
    if (!this.trace) return;
    this.trace(`${dir} ${text.replace(/^((?:Proxy-)?Authorization:\s*)[^\r\n]*/gim, '$1<redacted>')}`);
  }

  _onFrame(text) {
    if (typeof text !== 'string') return;
    // RFC 5626 keep-alive pong (CRLF) or ping (CRLFCRLF): answer pings like a browser UA.
    if (/^(\r\n)+$/.test(text)) {
      if (text === '\r\n\r\n') this.ws.send('\r\n');
      this.emit('keepalive', text);
      return;
    }
    this._trace('<<', text);
    let msg;
    try { msg = parse(text); } catch (e) { this.emit('garbage', text, e); return; }
    this.emit('message', msg);
    const i = this.waiters.findIndex((w) => w.match(msg));
    if (i >= 0) { const [w] = this.waiters.splice(i, 1); w.resolve(msg); return; }
    this.queue.push(msg);
  }

  sendRaw(text) { this._trace('>>', text); this.ws.send(text); }
  send(msg) { this.sendRaw(serialize(msg)); }

  /** Resolve with the first (queued or future) message matching `match`. */
  waitFor(match, { timeoutMs = 5000, what = 'a message' } = {}) {
    const i = this.queue.findIndex(match);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]);
    if (this.closed) return Promise.reject(new Error(`WebSocket closed while waiting for ${what}`));
    return new Promise((resolve, reject) => {
      const w = {
        match,
        what,
        resolve: (m) => { clearTimeout(w.timer); resolve(m); },
        reject: (e) => { clearTimeout(w.timer); reject(e); },
      };
      w.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`timeout after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  waitForRequest(method, opts = {}) {
    return this.waitFor((m) => m.method === method && (!opts.callId || m.callId === opts.callId), { what: `${method} request`, ...opts });
  }

  /** Final (or, with `provisional`, any) response to the request with this Via branch. */
  waitForResponse(br, { provisional = false, ...opts } = {}) {
    return this.waitFor((m) => !m.isRequest && m.branch === br && (provisional || m.status >= 200), { what: `response to ${br}`, ...opts });
  }

  // ---- requests we originate ----
  _via(br) { return `SIP/2.0/WS ${this.viaHost};branch=${br}`; }

  buildRegister({ expires = 300, authorization } = {}) {
    const br = branch();
    const headers = [
      ['Via', this._via(br)],
      ['Max-Forwards', '70'],
      ['To', `<sip:${this.user}@${this.domain}>`],
      ['From', `<sip:${this.user}@${this.domain}>;tag=${this.fromTag}`],
      ['Call-ID', this.regCallId],
      ['CSeq', `${this.cseq++} REGISTER`],
      ['Contact', expires === 0 ? `${this.contact};expires=0` : this.contact],
      ['Expires', String(expires)],
      ['Allow', 'INVITE,ACK,CANCEL,BYE,OPTIONS,UPDATE,INFO,NOTIFY'],
      ['Supported', 'path,gruu,outbound'],
      ['User-Agent', 'TTECPhone-bed-wsclient'],
    ];
    if (authorization) headers.push(['Authorization', authorization]);
    return { msg: new SipMessage({ method: 'REGISTER', uri: `sip:${this.domain}`, headers }), br };
  }

  /**
   * REGISTER; on 401/407 answer the challenge once (a second challenge means the
   * credentials were refused and is returned as is). Resolves the final response.
   */
  async register({ expires = 300, password = this.password, timeoutMs = 4000 } = {}) {
    let { msg, br } = this.buildRegister({ expires });
    this.send(msg);
    let res = await this.waitForResponse(br, { timeoutMs });
    this.lastChallengeCount = 0;
    if (res.status === 401 || res.status === 407) {
      this.lastChallengeCount = 1;
      const hdr = res.status === 401 ? 'www-authenticate' : 'proxy-authenticate';
      const challenge = parseChallenge(res.get(hdr));
      const authorization = digestAuthorization({ challenge, method: 'REGISTER', uri: `sip:${this.domain}`, username: this.user, password });
      ({ msg, br } = this.buildRegister({ expires, authorization }));
      this.send(msg);
      res = await this.waitForResponse(br, { timeoutMs });
    }
    return res;
  }

  unregister(opts) { return this.register({ ...opts, expires: 0 }); }

  // ---- answering side ----
  /** Build a response to `req` (copies Via/From/To/Call-ID/CSeq, adds our To tag). */
  response(req, status, reason, { body = '', contentType = 'application/sdp', headers = [], toTag } = {}) {
    const h = [];
    for (const v of req.all('via')) h.push(['Via', v]);
    h.push(['From', req.get('from')]);
    let to = req.get('to');
    if (!tagOf(to) && status > 100) to = `${to};tag=${toTag ?? this.tagFor(req)}`;
    h.push(['To', to]);
    h.push(['Call-ID', req.callId]);
    h.push(['CSeq', req.get('cseq')]);
    if (req.method === 'INVITE' && status > 100 && status < 300) {
      for (const rr of req.all('record-route')) h.push(['Record-Route', rr]);
      h.push(['Contact', `<${this.contactUri}>`]);
    }
    h.push(...headers);
    if (body) h.push(['Content-Type', contentType]);
    return new SipMessage({ status, reason, headers: h, body });
  }

  /** One To tag per dialog (Call-ID), so 180 and 200 agree. */
  tagFor(req) {
    this.tags ??= new Map();
    if (!this.tags.has(req.callId)) this.tags.set(req.callId, token(5));
    return this.tags.get(req.callId);
  }

  reply(req, status, reason, opts) {
    const res = this.response(req, status, reason, opts);
    this.send(res);
    return res;
  }

  /** UAS dialog state from an incoming INVITE we answered (RFC 3261 12.1.1). */
  dialogFromInvite(invite) {
    return {
      callId: invite.callId,
      localUri: uriOf(invite.get('to')),
      localTag: this.tagFor(invite),
      remoteUri: uriOf(invite.get('from')),
      remoteTag: tagOf(invite.get('from')),
      remoteTarget: uriOf(invite.get('contact')),
      routeSet: invite.all('record-route'), // UAS: in the order received
      localCseq: Math.floor(Math.random() * 1000) + 1,
    };
  }

  /** Send an in-dialog request (BYE, re-INVITE, INFO...). Resolves { msg, br }. */
  requestInDialog(dialog, method, { body = '', contentType = 'application/sdp', headers = [] } = {}) {
    const br = branch();
    const h = [['Via', this._via(br)], ['Max-Forwards', '70']];
    for (const r of dialog.routeSet) h.push(['Route', r]);
    h.push(['From', `<${dialog.localUri}>;tag=${dialog.localTag}`]);
    h.push(['To', `<${dialog.remoteUri}>;tag=${dialog.remoteTag}`]);
    h.push(['Call-ID', dialog.callId]);
    h.push(['CSeq', `${method === 'ACK' ? dialog.localCseq : ++dialog.localCseq} ${method}`]);
    if (method === 'INVITE') h.push(['Contact', `<${this.contactUri}>`]);
    h.push(...headers);
    if (body) h.push(['Content-Type', contentType]);
    // Loose routing (every Record-Route carries ;lr): the R-URI is the remote target.
    const msg = new SipMessage({ method, uri: dialog.remoteTarget, headers: h, body });
    this.send(msg);
    return { msg, br };
  }

  /** ACK for a 2xx to our re-INVITE: new branch, same CSeq number. */
  ackInDialog(dialog) { return this.requestInDialog(dialog, 'ACK'); }

  close() {
    if (!this.ws || this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', resolve);
      this.ws.close(1000, 'bye');
      setTimeout(() => { this.ws.terminate(); resolve(); }, 1000).unref();
    });
  }

  /** Drop the TCP connection without a WebSocket close handshake (fault injection). */
  kill() { this.ws?.terminate(); }
}
