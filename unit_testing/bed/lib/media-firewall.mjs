// The media path's faults on the bed: a stateful firewall in front of the media server
// (closeMediaServer), and the agent's media path cut or lossy (impairAgentMedia).
//
// The firewall is for the benchmark's "silent STUN, media server behind a firewall"
// case and timeline.mjs FIREWALL=1.
//
// On the bed, rtpengine answers the browser's ICE checks as soon as the browser sends
// them, before it has the browser's answer. The connection is then writable at once,
// and Chrome stops gathering: a STUN server that never answers costs nothing, and a
// phone that waits for gathering to complete is held for tens of milliseconds only.
// A media server behind a NAT or a stateful firewall is not reachable like that: the
// firewall lets a peer in only once the server has sent to it, and the
// server sends its own checks only once it has the answer. Until then, the browser's
// checks are lost, no pair becomes writable, and gathering goes on until the STUN
// server's requests time out: the seconds the issue speaks of.
//
// The rule: in the bed's namespace (this process must run in it), a STUN packet (magic
// cookie 0x2112A442) to rtpengine's media ports that does not belong to a flow
// rtpengine opened is dropped. Plain RTP from sipp (CUCM's side) passes untouched.
import { execFileSync } from 'node:child_process';

const TABLE = 'ttec_media_fw';
const nft = (args, input) => execFileSync('nft', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });

/** Closes the media ports `min`..`max` to unsolicited STUN; returns its switch and counter. */
export function closeMediaServer(min, max) {
  openMediaServer();
  // @th,96,32: the 4 bytes after the UDP header's 8 and STUN's type and length, the cookie.
  nft(['-f', '-'], `table inet ${TABLE} {\n chain in {\n  type filter hook input priority 0; policy accept;\n`
    + `  udp dport ${min}-${max} ct state new @th,96,32 0x2112a442 counter drop\n }\n}\n`);
  return {
    /** STUN packets dropped so far (the browser's early checks). */
    dropped() {
      const m = /counter packets (\d+)/.exec(nft(['list', 'table', 'inet', TABLE]));
      return m ? Number(m[1]) : 0;
    },
    open: openMediaServer,
  };
}

/** Removes the rule (idempotent). */
export function openMediaServer() {
  try { nft(['delete', 'table', 'inet', TABLE]); } catch { /* not there */ }
}

const IMPAIR = 'ttec_agent_media';

/**
 * Drops `percent` % (100: all) of the UDP between the browser and the media server's
 * ports `min`..`max`, both ways, sparing the caller's leg (sipp's media ports from
 * `sippPort`, RTP and RTCP of audio and video). Returns the function that removes it.
 */
export function impairAgentMedia([min, max], sippPort, percent = 100) {
  restoreAgentMedia();
  const sipp = `${sippPort}-${sippPort + 3}`;
  const share = percent >= 100 ? '' : ` numgen random mod 100 < ${percent}`;
  nft(['-f', '-'], `table inet ${IMPAIR} {\n chain in {\n  type filter hook input priority 0; policy accept;\n`
    + `  udp sport ${min}-${max} udp dport != ${sipp}${share} drop\n`
    + `  udp dport ${min}-${max} udp sport != ${sipp}${share} drop\n }\n}\n`);
  return restoreAgentMedia;
}

/** Removes impairAgentMedia's rules (idempotent). */
export function restoreAgentMedia() {
  try { nft(['delete', 'table', 'inet', IMPAIR]); } catch { /* not there */ }
}
