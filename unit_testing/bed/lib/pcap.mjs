// Writes G.711 µ-law audio as a pcap of RTP/UDP/IPv4/Ethernet packets, the input
// sipp's play_pcap_audio replays (sipp substitutes its own addresses and ports and
// recomputes the UDP checksum; it keeps the RTP header and the packet timing).
import { writeFileSync } from 'node:fs';

const SAMPLES_PER_PACKET = 160; // 20 ms at 8 kHz, the PCMU ptime CUCM uses

function ipv4Checksum(hdr) {
  let sum = 0;
  for (let i = 0; i < hdr.length; i += 2) sum += hdr.readUInt16BE(i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

export function ulawToPcap(ulaw, { ssrc = 0x7ecc0001, seq0 = 1000, ts0 = 16000, srcPort = 6000, dstPort = 6002 } = {}) {
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0); // microsecond timestamps, little endian
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(65535, 16); // snaplen
  global.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const parts = [global];
  const n = Math.floor(ulaw.length / SAMPLES_PER_PACKET);
  for (let k = 0; k < n; k++) {
    const payload = ulaw.subarray(k * SAMPLES_PER_PACKET, (k + 1) * SAMPLES_PER_PACKET);
    const rtp = Buffer.alloc(12);
    rtp[0] = 0x80; // V=2
    rtp[1] = (k === 0 ? 0x80 : 0) | 0; // marker on the first packet, PT 0 = PCMU
    rtp.writeUInt16BE((seq0 + k) & 0xffff, 2);
    rtp.writeUInt32BE((ts0 + k * SAMPLES_PER_PACKET) >>> 0, 4);
    rtp.writeUInt32BE(ssrc >>> 0, 8);
    const udpLen = 8 + rtp.length + payload.length;
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(srcPort, 0);
    udp.writeUInt16BE(dstPort, 2);
    udp.writeUInt16BE(udpLen, 4); // checksum 0 = none (sipp recomputes it)
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + udpLen, 2);
    ip.writeUInt16BE(k & 0xffff, 4);
    ip[8] = 64; // TTL
    ip[9] = 17; // UDP
    Buffer.from([127, 0, 0, 1]).copy(ip, 12);
    Buffer.from([127, 0, 0, 1]).copy(ip, 16);
    ip.writeUInt16BE(ipv4Checksum(ip), 10);
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(0x0800, 12);
    const frame = Buffer.concat([eth, ip, udp, rtp, payload]);
    const rec = Buffer.alloc(16);
    const usec = k * 20000;
    rec.writeUInt32LE(Math.floor(usec / 1e6), 0);
    rec.writeUInt32LE(usec % 1e6, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  }
  return { pcap: Buffer.concat(parts), packets: n };
}

// ITU-T G.711 µ-law encoder (for the tone fallback when espeak-ng/sox are absent).
export function linearToUlaw(sample) {
  const BIAS = 0x84;
  const CLIP = 32635;
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > CLIP) s = CLIP;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** A recognisable test signal: 440 Hz beeps, 0.5 s on / 0.5 s off. */
export function toneUlaw(seconds) {
  const out = Buffer.alloc(seconds * 8000);
  for (let i = 0; i < out.length; i++) {
    const on = Math.floor(i / 4000) % 2 === 0;
    out[i] = linearToUlaw(on ? 8000 * Math.sin((2 * Math.PI * 440 * i) / 8000) : 0);
  }
  return out;
}

export function writePcap(path, ulaw) {
  const { pcap, packets } = ulawToPcap(ulaw);
  writeFileSync(path, pcap);
  return packets;
}
