// A stateful firewall in front of the bed's media server, for the benchmark's
// "silent STUN, media server behind a firewall" case and timeline.mjs FIREWALL=1.
//
// On the bed, rtpengine answers the browser's ICE checks as soon as the browser sends
// them, before it has the browser's answer. The connection is then writable at once,
// and Chrome stops gathering: a STUN server that never answers costs nothing, and a
// phone that waits for gathering to complete is held for tens of milliseconds only.
// Most real media servers are not reachable like that: they sit behind a NAT or a
// stateful firewall that lets a peer in only once the server has sent to it, and the
// server sends its own checks only once it has the answer. Until then, the browser's
// checks are lost, no pair becomes writable, and gathering goes on until the STUN
// server's requests time out: the seconds the issue speaks of.
//
// The rule: in the bed's namespace (this process must run in it), a STUN packet (magic
// cookie 0x2112A442) to rtpengine's media ports that does not belong to a flow
// rtpengine opened is dropped. Plain RTP from sipp (CUCM's side) passes untouched.
import { execFileSync } from 'node:child_process';

const CHAIN = 'TTEC-MEDIA-FW';
const ipt = (...a) => execFileSync('iptables', ['-w', '5', ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Closes the media ports `min`..`max` to unsolicited STUN; returns its switch and counter. */
export function closeMediaServer(min, max) {
  openMediaServer();
  ipt('-N', CHAIN);
  ipt('-A', CHAIN, '-p', 'udp', '--dport', `${min}:${max}`, '-m', 'conntrack', '--ctstate', 'NEW',
    '-m', 'u32', '--u32', '0>>22&0x3C@12=0x2112A442', '-j', 'DROP');
  ipt('-I', 'INPUT', '1', '-j', CHAIN);
  return {
    /** STUN packets dropped so far (the browser's early checks). */
    dropped() {
      const line = ipt('-L', CHAIN, '-v', '-x', '-n').split('\n').find((l) => /\bDROP\b/.test(l));
      return line ? Number(line.trim().split(/\s+/)[0]) : 0;
    },
    open: openMediaServer,
  };
}

/** Removes the rule (idempotent). */
export function openMediaServer() {
  try { ipt('-D', 'INPUT', '-j', CHAIN); } catch { /* not there */ }
  try { ipt('-F', CHAIN); } catch { /* not there */ }
  try { ipt('-X', CHAIN); } catch { /* not there */ }
}
