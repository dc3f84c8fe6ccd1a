// The media path's faults on the bed: a stateful firewall in front of the media server
// (closeMediaServer), the agent's media path cut or lossy (impairAgentMedia), and
// delayed with jitter (delayAgentMedia).
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
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** The agent's media packets, both ways, in nftables' terms: the UDP between the browser and
 * the media server's ports `min`..`max`, sparing the caller's leg (sipp's ports from
 * `sippPort`: RTP and RTCP of audio and video). `then` is what happens to them. */
function agentMediaRules([min, max], sippPort, then) {
  const sipp = `${sippPort}-${sippPort + 3}`;
  return `  udp sport ${min}-${max} udp dport != ${sipp}${then}\n`
    + `  udp dport ${min}-${max} udp sport != ${sipp}${then}\n`;
}

/**
 * Drops `percent` % (100: all) of the UDP between the browser and the media server's
 * ports `min`..`max`, both ways, sparing the caller's leg (sipp's media ports from
 * `sippPort`, RTP and RTCP of audio and video). Returns the function that removes it.
 */
export function impairAgentMedia([min, max], sippPort, percent = 100) {
  restoreAgentMedia();
  const share = percent >= 100 ? '' : ` numgen random mod 100 < ${percent}`;
  nft(['-f', '-'], `table inet ${IMPAIR} {\n chain in {\n  type filter hook input priority 0; policy accept;\n`
    + `${agentMediaRules([min, max], sippPort, `${share} drop`)} }\n}\n`);
  return restoreAgentMedia;
}

/** Removes impairAgentMedia's rules (idempotent). */
export function restoreAgentMedia() {
  try { nft(['delete', 'table', 'inet', IMPAIR]); } catch { /* not there */ }
}

const DELAY = 'TTEC_AGENT_DELAY';
const iptables = (args) => execFileSync('iptables-legacy', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const QUEUE = 7;
export const NETDELAY = join(dirname(fileURLToPath(import.meta.url)), '..', 'netdelay', 'target', 'release', 'netdelay');
let delaying = null;

/**
 * Delays the same packets as impairAgentMedia by `delayMs` each way, plus or minus up to
 * `jitterMs` per packet (uniform; packets may be reordered): iptables queues them
 * (NFQUEUE, `--queue-bypass`: they pass if no one listens) to `netdelay`, which lets each go
 * when due. The bed's stand-in for `netem delay` (no sch_netem on this kernel). Resolves
 * with the function that removes it, which resolves with netdelay's last line.
 */
export async function delayAgentMedia(ports, sippPort, { delayMs, jitterMs = 0 }) {
  await restoreAgentDelay();
  if (!existsSync(NETDELAY)) throw new Error(`${NETDELAY} is missing: run unit_testing/bed/install.sh`);
  const child = spawn(NETDELAY, ['--queue', String(QUEUE), '--delay-ms', String(delayMs), '--jitter-ms', String(jitterMs)],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`netdelay did not bind: ${err}`)), 5000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`netdelay exited ${code}: ${err}`)); });
    child.stdout.on('data', () => { if (out.includes('bound')) { clearTimeout(timer); resolve(); } });
  });
  const exited = new Promise((resolve) => child.once('exit', () => resolve(out.trim().split('\n').at(-1))));
  delaying = { child, exited };
  // This kernel has x_tables' NFQUEUE target but not nftables' `queue` expression.
  const [min, max] = ports;
  const sipp = `${sippPort}:${sippPort + 3}`;
  iptables(['-N', DELAY]);
  for (const [ours, theirs] of [['--sport', '--dport'], ['--dport', '--sport']]) {
    iptables(['-A', DELAY, '-p', 'udp', ours, `${min}:${max}`, '!', theirs, sipp, '-j', 'NFQUEUE', '--queue-num', String(QUEUE), '--queue-bypass']);
  }
  iptables(['-I', 'INPUT', '-j', DELAY]);
  return restoreAgentDelay;
}

/** Removes delayAgentMedia's rules, then ends netdelay, which lets go what it still holds
 * (idempotent). Resolves with netdelay's last line ("held N packets, mean M ms"), if any. */
export async function restoreAgentDelay() {
  for (const args of [['-D', 'INPUT', '-j', DELAY], ['-F', DELAY], ['-X', DELAY]]) {
    try { iptables(args); } catch { /* not there */ }
  }
  if (!delaying) return null;
  const { child, exited } = delaying;
  delaying = null;
  child.stdin.end();
  return exited;
}
