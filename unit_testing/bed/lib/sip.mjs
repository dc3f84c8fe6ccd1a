// Just enough SIP (RFC 3261) for a scripted test user agent: parse and build
// messages, digest authentication (RFC 7616: MD5 and SHA-256, qop=auth), and the
// bits of dialog state a UAS needs to send BYE / re-INVITE. It is deliberately
// permissive and transparent (messages stay inspectable text) because tests also
// use it to send broken or hostile messages on purpose.
import { createHash, randomBytes, randomUUID } from 'node:crypto';

const COMPACT = { i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length', c: 'content-type', f: 'from', s: 'subject', k: 'supported', t: 'to', v: 'via', r: 'refer-to', o: 'event', u: 'allow-events' };

export const token = (n = 10) => randomBytes(n).toString('hex');
export const branch = () => `z9hG4bK${token(8)}`;
export { randomUUID };

/** Split a header value on commas that are outside quotes and <...>. */
export function splitCommas(value) {
  const out = [];
  let depthAngle = 0;
  let inQuote = false;
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (inQuote) {
      if (ch === '\\') { cur += ch + (value[++i] ?? ''); continue; }
      if (ch === '"') inQuote = false;
    } else if (ch === '"') inQuote = true;
    else if (ch === '<') depthAngle++;
    else if (ch === '>') depthAngle--;
    else if (ch === ',' && depthAngle === 0) { out.push(cur.trim()); cur = ''; continue; }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

export class SipMessage {
  constructor({ method, uri, status, reason, headers = [], body = '' }) {
    Object.assign(this, { method, uri, status, reason, headers, body });
  }
  get isRequest() { return this.method !== undefined; }
  /** All values of a header (compact forms folded, comma lists split for list headers). */
  all(name) {
    const n = name.toLowerCase();
    const vals = this.headers.filter(([k]) => (COMPACT[k.toLowerCase()] ?? k.toLowerCase()) === n).map(([, v]) => v);
    // Headers whose grammar is a comma list; others (WWW-Authenticate, Date...) are kept whole.
    if (['via', 'route', 'record-route', 'contact', 'allow', 'supported', 'require'].includes(n)) return vals.flatMap(splitCommas);
    return vals;
  }
  get(name) { return this.all(name)[0]; }
  get callId() { return this.get('call-id'); }
  get cseq() {
    const [n, m] = (this.get('cseq') ?? '').trim().split(/\s+/);
    return { seq: Number(n), method: m };
  }
  get branch() { return /;\s*branch=([^;,\s]+)/i.exec(this.get('via') ?? '')?.[1]; }
  toString() { return serialize(this); }
}

export function tagOf(headerValue) { return /;\s*tag=([^;>\s]+)/i.exec(headerValue ?? '')?.[1]; }
/** The URI inside name-addr `"x" <sip:...>;params`, or the addr-spec itself. */
export function uriOf(headerValue) {
  const m = /<([^>]*)>/.exec(headerValue ?? '');
  return m ? m[1] : (headerValue ?? '').split(';')[0].trim();
}

export function parse(text) {
  const sep = text.indexOf('\r\n\r\n');
  const head = sep >= 0 ? text.slice(0, sep) : text;
  const body = sep >= 0 ? text.slice(sep + 4) : '';
  // Unfold obsolete line folding (RFC 3261 7.3.1) before splitting.
  const lines = head.replace(/\r\n[ \t]+/g, ' ').split('\r\n');
  const start = lines.shift();
  const headers = lines.filter(Boolean).map((l) => {
    const c = l.indexOf(':');
    return [l.slice(0, c).trim(), l.slice(c + 1).trim()];
  });
  let m = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/.exec(start);
  if (m) return new SipMessage({ status: Number(m[1]), reason: m[2], headers, body });
  m = /^([A-Z]+)\s+(\S+)\s+SIP\/2\.0$/.exec(start);
  if (!m) throw new Error(`not a SIP start line: ${JSON.stringify(start)}`);
  return new SipMessage({ method: m[1], uri: m[2], headers, body });
}

export function serialize(msg) {
  const start = msg.isRequest ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason}`;
  const body = msg.body ?? '';
  const headers = msg.headers.filter(([k]) => k.toLowerCase() !== 'content-length');
  headers.push(['Content-Length', String(Buffer.byteLength(body))]);
  return `${start}\r\n${headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`;
}

// ---- Digest (RFC 7616 / RFC 2617), client side ----
export function parseChallenge(value) {
  const m = /^\s*Digest\s+(.*)$/is.exec(value ?? '');
  if (!m) return null;
  const params = {};
  for (const part of splitCommas(m[1])) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    params[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim().replace(/^"(.*)"$/s, '$1');
  }
  return params;
}

export function digestAuthorization({ challenge, method, uri, username, password, nc = 1, cnonce = token(8) }) {
  const algorithm = (challenge.algorithm ?? 'MD5').toUpperCase();
  const hashName = { MD5: 'md5', 'SHA-256': 'sha256' }[algorithm];
  if (!hashName) throw new Error(`digest algorithm ${algorithm} not supported by the test client`);
  const H = (s) => createHash(hashName).update(s).digest('hex');
  const ha1 = H(`${username}:${challenge.realm}:${password}`);
  const ha2 = H(`${method}:${uri}`);
  const qops = (challenge.qop ?? '').split(',').map((q) => q.trim()).filter(Boolean);
  const ncHex = nc.toString(16).padStart(8, '0');
  const parts = [`username="${username}"`, `realm="${challenge.realm}"`, `nonce="${challenge.nonce}"`, `uri="${uri}"`];
  if (qops.includes('auth')) {
    parts.push(`response="${H(`${ha1}:${challenge.nonce}:${ncHex}:${cnonce}:auth:${ha2}`)}"`, 'qop=auth', `nc=${ncHex}`, `cnonce="${cnonce}"`);
  } else {
    parts.push(`response="${H(`${ha1}:${challenge.nonce}:${ha2}`)}"`);
  }
  parts.push(`algorithm=${algorithm}`);
  if (challenge.opaque !== undefined) parts.push(`opaque="${challenge.opaque}"`);
  return `Digest ${parts.join(', ')}`;
}

// ---- SDP helpers ----
export function sdpAttrs(sdp, name) {
  return sdp.split(/\r?\n/).filter((l) => l.startsWith(`a=${name}:`) || l === `a=${name}`).map((l) => l.slice(name.length + 3));
}
export function sdpMediaLine(sdp) { return sdp.split(/\r?\n/).find((l) => l.startsWith('m=audio')) ?? null; }

/**
 * Answers shaped like Chrome's to rtpengine's WebRTC offers: UDP/TLS/RTP/SAVPF, ICE
 * credentials and a host candidate, a DTLS fingerprint with a=setup:active (rtpengine
 * stays passive), rtcp-mux, the offer's mid. Like a browser, one answerer keeps its
 * ICE credentials and fingerprint for the whole dialog and bumps the o= version, so
 * a hold/resume re-INVITE is not mistaken for an ICE restart. The fingerprint is
 * random: this client does no DTLS, so no media flows (the real browser does that).
 */
export class WebrtcAnswerer {
  constructor({ ip = '127.0.0.1', candidatePort = 9 } = {}) {
    Object.assign(this, { ip, candidatePort });
    this.ufrag = token(2);
    this.pwd = token(12);
    this.fingerprint = Array.from(randomBytes(32), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
    this.sessId = BigInt(`0x${token(7)}`);
    this.version = 1;
  }

  answer(offer, { direction = 'sendrecv' } = {}) {
    const { ip, candidatePort: port } = this;
    const pts = (sdpMediaLine(offer) ?? '').split(' ').slice(3);
    const pt = pts.includes('0') ? '0' : pts[0];
    const mid = sdpAttrs(offer, 'mid')[0];
    this.version++;
    return [
      'v=0',
      `o=- ${this.sessId} ${this.version} IN IP4 127.0.0.1`,
      's=-',
      't=0 0',
      ...(mid !== undefined ? [`a=group:BUNDLE ${mid}`] : []),
      'a=msid-semantic: WMS',
      `m=audio ${port} UDP/TLS/RTP/SAVPF ${pt}`,
      `c=IN IP4 ${ip}`,
      `a=rtcp:${port} IN IP4 ${ip}`,
      `a=candidate:1 1 udp 2122260223 ${ip} ${port} typ host generation 0`,
      `a=ice-ufrag:${this.ufrag}`,
      `a=ice-pwd:${this.pwd}`,
      'a=ice-options:trickle',
      `a=fingerprint:sha-256 ${this.fingerprint}`,
      'a=setup:active',
      ...(mid !== undefined ? [`a=mid:${mid}`] : []),
      `a=${direction}`,
      'a=rtcp-mux',
      `a=rtpmap:${pt} ${pt === '0' ? 'PCMU/8000' : 'opus/48000/2'}`,
      '',
    ].join('\r\n');
  }
}

/** One-shot WebRTC-shaped answer (see WebrtcAnswerer). */
export function webrtcAnswer(offer, opts) { return new WebrtcAnswerer(opts).answer(offer); }

/** A plain RTP/AVP PCMU answer (for media-path tests with an RTP echo socket). */
export function plainRtpAnswer({ ip = '127.0.0.1', port, direction = 'sendrecv' }) {
  return ['v=0', `o=- ${Date.now()} 1 IN IP4 ${ip}`, 's=-', `c=IN IP4 ${ip}`, 't=0 0',
    `m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=ptime:20', `a=${direction}`, ''].join('\r\n');
}
