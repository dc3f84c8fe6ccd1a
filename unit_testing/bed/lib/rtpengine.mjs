// Minimal client for rtpengine's "ng" control protocol (bencoded dictionaries over
// UDP, each datagram prefixed by a cookie that the reply echoes). Used by the bed to
// check that rtpengine answers (`ping`) and by tests to count RTP per call leg
// (`query`), which is how "RTP flows both ways" is measured without touching media.
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';

export function bencode(v) {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new TypeError('bencode: integers only');
    return Buffer.from(`i${v}e`);
  }
  if (typeof v === 'string' || Buffer.isBuffer(v)) {
    const b = Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8');
    return Buffer.concat([Buffer.from(`${b.length}:`), b]);
  }
  if (Array.isArray(v)) return Buffer.concat([Buffer.from('l'), ...v.map(bencode), Buffer.from('e')]);
  if (v && typeof v === 'object') {
    // Keys sorted as the bencode spec requires (rtpengine does not care, but be exact).
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return Buffer.concat([Buffer.from('d'), ...keys.flatMap((k) => [bencode(k), bencode(v[k])]), Buffer.from('e')]);
  }
  throw new TypeError(`bencode: unsupported ${typeof v}`);
}

export function bdecode(buf) {
  let i = 0;
  const parse = () => {
    const c = buf[i];
    if (c === 0x69) { // i
      const end = buf.indexOf(0x65, i);
      const n = Number(buf.subarray(i + 1, end).toString());
      i = end + 1;
      return n;
    }
    if (c === 0x6c) { // l
      i++;
      const out = [];
      while (buf[i] !== 0x65) out.push(parse());
      i++;
      return out;
    }
    if (c === 0x64) { // d
      i++;
      const out = {};
      while (buf[i] !== 0x65) {
        const k = parse();
        out[k] = parse();
      }
      i++;
      return out;
    }
    if (c >= 0x30 && c <= 0x39) {
      const colon = buf.indexOf(0x3a, i);
      const len = Number(buf.subarray(i, colon).toString());
      const s = buf.subarray(colon + 1, colon + 1 + len).toString('utf8');
      i = colon + 1 + len;
      return s;
    }
    throw new Error(`bdecode: bad byte 0x${c?.toString(16)} at ${i}`);
  };
  const v = parse();
  if (i !== buf.length) throw new Error('bdecode: trailing bytes');
  return v;
}

/** Send one ng command and resolve with the decoded reply dictionary. */
export function ngCommand({ host = '127.0.0.1', port }, dict, { timeoutMs = 2000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const cookie = randomBytes(6).toString('hex');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`rtpengine ng ${dict.command}: no reply from ${host}:${port} in ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('message', (msg) => {
      const sp = msg.indexOf(0x20);
      if (sp < 0 || msg.subarray(0, sp).toString() !== cookie) return; // not ours
      clearTimeout(timer);
      sock.close();
      try {
        resolve(bdecode(msg.subarray(sp + 1)));
      } catch (e) {
        reject(e);
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      sock.close();
      reject(e);
    });
    sock.send(Buffer.concat([Buffer.from(`${cookie} `), bencode(dict)]), port, host);
  });
}

export async function ping(ng, opts) {
  const r = await ngCommand(ng, { command: 'ping' }, opts);
  if (r.result !== 'pong') throw new Error(`rtpengine ping: ${JSON.stringify(r)}`);
  return r;
}

export async function list(ng) {
  const r = await ngCommand(ng, { command: 'list', limit: 1000 });
  return r.calls ?? [];
}

export async function query(ng, callId) {
  return ngCommand(ng, { command: 'query', 'call-id': callId });
}

/**
 * Per-leg RTP counters of one call, from `query`: one entry per SIP tag (one tag per
 * call leg), with the packets rtpengine *received* from that leg's endpoint. The
 * CUCM leg is the one whose tag is the caller's From tag.
 *   [{ tag, rtpPackets, rtcpPackets, bytes, protocol, endpoints }]
 */
export function legCounters(q) {
  if (q.result !== 'ok') throw new Error(`rtpengine query: ${q.result} ${q['error-reason'] ?? ''}`);
  return Object.entries(q.tags ?? {}).map(([tag, t]) => {
    let rtpPackets = 0;
    let rtcpPackets = 0;
    let bytes = 0;
    const endpoints = [];
    let protocol;
    for (const m of t.medias ?? []) {
      protocol ??= m.protocol;
      for (const s of m.streams ?? []) {
        const pk = s.stats?.packets ?? 0;
        if (s.endpoint?.address) endpoints.push(`${s.endpoint.address}:${s.endpoint.port}`);
        // rtcp-mux streams and RTCP-only streams are flagged "RTCP"; count them apart.
        if ((s.flags ?? []).includes('RTCP') && !(s.flags ?? []).includes('RTP')) rtcpPackets += pk;
        else rtpPackets += pk;
        bytes += s.stats?.bytes ?? 0;
      }
    }
    return { tag, rtpPackets, rtcpPackets, bytes, protocol, endpoints };
  });
}

/**
 * Count RTP packets per leg over `seconds`: query, wait, query again, subtract.
 * Resolves { seconds, legs: [{ tag, rtpPackets, rtcpPackets, protocol, endpoints }] }.
 */
export async function countRtp(ng, callId, seconds) {
  const before = new Map(legCounters(await query(ng, callId)).map((l) => [l.tag, l]));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = legCounters(await query(ng, callId));
  return {
    seconds,
    legs: after.map((l) => ({
      ...l,
      rtpPackets: l.rtpPackets - (before.get(l.tag)?.rtpPackets ?? 0),
      rtcpPackets: l.rtcpPackets - (before.get(l.tag)?.rtcpPackets ?? 0),
      bytes: l.bytes - (before.get(l.tag)?.bytes ?? 0),
    })),
  };
}
