// Node-side helpers for the test bed: read run/ports.env, start/stop via bed.sh,
// run sipp scenarios ("CUCM"), show log tails on failure, and check for leftovers.
import { execFile, spawn } from 'node:child_process';
import { readFileSync, existsSync, statSync, readdirSync, openSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
// brokers.mjs imports this module too; neither uses the other's exports at load time.
import { broker as brokerNamed } from './brokers.mjs';

export const BED_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const RUN_DIR = process.env.BED_RUN_DIR ?? join(BED_DIR, 'run');
export const BED_SH = join(BED_DIR, 'bed.sh');

/** Test-only identities from users.conf: { "3000": "test-password-3000", ... } */
export function users() {
  const out = {};
  for (const line of readFileSync(join(BED_DIR, 'users.conf'), 'utf8').split('\n')) {
    const [u, p] = line.trim().split(/\s+/);
    if (u && !u.startsWith('#') && p) out[u] = p;
  }
  return out;
}

/** The running bed's settings (run/ports.env), or null when it is not running. */
export function loadBedEnv() {
  const file = join(RUN_DIR, 'ports.env');
  if (!existsSync(file)) return null;
  const env = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_0-9]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  for (const k of ['BED_SIP_PORT', 'BED_WS_PORT', 'BED_NG_PORT', 'BED_RTP_MIN', 'BED_RTP_MAX', 'BED_START_MS']) {
    if (env[k] !== undefined) env[k] = Number(env[k]);
  }
  return env;
}

export function bedSh(args, { timeoutMs = 60000 } = {}) {
  return new Promise((resolve) => {
    execFile(BED_SH, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

export async function bedRunning() { return (await bedSh(['status'])).code === 0; }

export async function startBed() {
  const t0 = performance.now();
  const r = await bedSh(['start']);
  if (r.code !== 0) throw new Error(`bed.sh start failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  return { ms: performance.now() - t0, env: loadBedEnv(), output: r.stderr };
}

export async function stopBed() {
  const r = await bedSh(['stop']);
  if (r.code !== 0) throw new Error(`bed.sh stop failed (${r.code}):\n${r.stderr}`);
  return r;
}

/** True when this process shares the bed's network namespace (or the bed has none). */
export function inBedNamespace(env = loadBedEnv()) {
  if (!env || env.BED_MODE !== 'netns') return true;
  const ns = `/run/netns/${env.BED_NETNS}`;
  return existsSync(ns) && statSync('/proc/self/ns/net').ino === statSync(ns).ino;
}

export function logTail(name, lines = 40) {
  const f = join(RUN_DIR, name.includes('.') ? name : `${name}.log`);
  if (!existsSync(f)) return `(no ${f})`;
  const all = readFileSync(f, 'utf8').split('\n');
  return `----- ${f} (last ${lines} lines) -----\n${all.slice(-lines - 1).join('\n')}`;
}

/** Processes whose command line mentions the bed's run dir (Kamailio and its children, rtpengine). */
export function bedProcesses() {
  const out = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(RUN_DIR) && /\b(kamailio|rtpengine)\b/.test(cmd)) out.push({ pid: Number(pid), cmd: cmd.trim() });
    } catch { /* raced with exit */ }
  }
  return out;
}

function canBindUdp(port) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => { s.close(); resolve(false); });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A free even UDP port p with p..p+span-1 free (sipp uses RTP p, RTCP p+1, video p+2/p+3). */
export async function freeUdpPorts(span = 4, lo = 40000, hi = 59000) {
  for (let tries = 0; tries < 200; tries++) {
    const p = lo + 2 * Math.floor(Math.random() * ((hi - lo) / 2));
    let ok = true;
    for (let k = 0; k < span && ok; k++) ok = await canBindUdp(p + k);
    if (ok) return p;
  }
  throw new Error('no free UDP port range found');
}

/**
 * Run one sipp scenario from sipp/ against the bed's Kamailio (as CUCM would call).
 *   scenario   file name in sipp/ (uac_call.xml ...), or an absolute path
 *   service    number called (the agent's WebRTC number), e.g. "3000"
 *   caller     caller id (user part of From) [0611223344]
 *   header     one more header line in scenarios that carry [header] [X-TTEC-Bed: 1]
 *   durationMs default <pause/> length (-d): call length / ring time [3000]
 *   keys       extra -key name value pairs used by the scenario
 *   calls      number of sequential calls (-m) [1]
 *   broker     'kamailio' (its SIP port) or 'asterisk' (its trunk port, from BED_TRUNK_IP),
 *              or a broker object from brokers.mjs (its sippTarget and sippLocalIp)
 * Returns { child, callId(n), done: Promise<{code, signal, ms, stdout}>, files }.
 */
export async function runSipp(scenario, { service, caller = '0611223344', header = 'X-TTEC-Bed: 1', durationMs = 3000, keys = {}, calls = 1, timeoutS = 60, extraArgs = [], broker = 'kamailio', env = loadBedEnv() } = {}) {
  if (!env) throw new Error('bed not running (no run/ports.env)');
  // Kamailio takes the "CUCM"'s calls on its SIP port; Asterisk on its trunk port, and
  // identifies the trunk by the sender's own address (BED_TRUNK_IP): brokers.mjs.
  const { sippTarget: target, sippLocalIp: localIp } = typeof broker === 'string' ? brokerNamed(broker, env) : broker;
  const localPort = (await freeUdpPorts(1, 20000, 29998)) | 0;
  const mediaPort = await freeUdpPorts(4);
  const tag = `${scenario.split('/').pop().replace(/\.xml$/, '')}-${randomBytes(3).toString('hex')}`;
  const cidPrefix = `bed-${tag}`;
  const files = {
    stdout: join(RUN_DIR, `sipp-${tag}.out`),
    messages: join(RUN_DIR, `sipp-${tag}-messages.log`),
    errors: join(RUN_DIR, `sipp-${tag}-errors.log`),
    log: join(RUN_DIR, `sipp-${tag}.log`),
  };
  const args = [
    target,
    '-sf', resolve(BED_DIR, 'sipp', scenario), // a name in sipp/, or a path of its own
    '-s', String(service),
    '-key', 'caller', caller,
    // One more header line for the scenarios that carry [header] (uac_call.xml), e.g. the
    // bed's Asterisk requiring 100rel of the phone: X-TTEC-100rel: required.
    '-key', 'header', header,
    ...Object.entries(keys).flatMap(([k, v]) => ['-key', k, String(v)]),
    '-i', localIp, '-p', String(localPort),
    '-mi', localIp, '-mp', String(mediaPort),
    // -l 1: calls strictly one after another; a high rate so the first starts at once
    // (with -r 1 sipp waits a whole rate period, ~1 s, before the first INVITE).
    '-m', String(calls), '-l', '1', '-r', '50', '-rp', '1000',
    '-d', String(durationMs),
    '-cid_str', `${cidPrefix}-%u@%s`,
    // -aa: an UPDATE, INFO, NOTIFY or OPTIONS inside the call gets 200 OK, as CUCM answers
    // them (the phone's target refresh after a reconnect reaches the caller through Kamailio).
    '-aa',
    '-nostdin', '-timeout', `${timeoutS}s`, '-timeout_error',
    '-trace_msg', '-message_file', files.messages,
    '-trace_err', '-error_file', files.errors,
    '-trace_logs', '-log_file', files.log,
    ...extraArgs,
  ];
  const t0 = performance.now();
  const out = openSync(files.stdout, 'w');
  // cwd sipp/: scenarios name their pcap relative to it (play_pcap_audio="media/...").
  const child = spawn('sipp', args, { cwd: join(BED_DIR, 'sipp'), stdio: ['ignore', out, out] });
  closeSync(out);
  const done = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, ms: performance.now() - t0 }));
  });
  return { child, args, files, localPort, mediaPort, callId: (n = 1) => `${cidPrefix}-${n}@${localIp}`, done };
}

/** Everything useful when a call test fails: sipp's own traces plus both daemon logs. */
export function failureContext(sipp) {
  const parts = [];
  if (sipp) {
    for (const f of [sipp.files.errors, sipp.files.messages, sipp.files.stdout]) {
      if (existsSync(f)) parts.push(`----- ${f} -----\n${readFileSync(f, 'utf8').split('\n').slice(-60).join('\n')}`);
    }
  }
  if (process.env.E2E_BROKER === 'asterisk') parts.push(logTail('asterisk', 80));
  else parts.push(logTail('kamailio'), logTail('rtpengine', 20));
  return parts.join('\n');
}
