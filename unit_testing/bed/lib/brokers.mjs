// The bed's two brokers behind one face, so an e2e test body runs against either:
//   kamailio  Kamailio + rtpengine (our lab broker)
//   asterisk  a real Asterisk 22.10.1 configured as Wazo configures it (the production
//             broker's SIP and media engine; ../asterisk/, ../../../../shared/asterisk/)
// A suite picks one with E2E_BROKER (default kamailio); unit_testing/run.sh runs the call
// suites once per broker; the benchmark (unit_testing/bench) picks one with BENCH_BROKER.
// Everything a test needs from "the broker" is here: where the phone connects, how the
// "CUCM" reaches it (sippTarget, sippLocalIp: bed.mjs runSipp), its registrations (and
// when it answered one: registeredAt), its request log, RTP per call leg, its media ports
// (for cutting the path) and stopping/starting it.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { BED_SH, RUN_DIR, loadBedEnv } from './bed.mjs';
import { countRtp as rtpengineCount } from './rtpengine.mjs';

const bedSync = (...args) => execFileSync('bash', [BED_SH, ...args], { stdio: 'pipe' }).toString();
const bedAsync = (...args) => new Promise((resolve, reject) => {
  execFile('bash', [BED_SH, ...args], (error, stdout, stderr) => (error ? reject(new Error(`bed.sh ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout)));
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Cuts every open TCP connection to `port` in the bed (both ends see it close, as when
 * a proxy or the network drops the WebSocket); the broker itself keeps running. This
 * process must run in the bed's namespace. Resolves the number of connections cut. */
function cutConnectionsTo(port) {
  const out = execFileSync('ss', ['-K', '-t', 'dst', '127.0.0.1', 'dport', '=', String(port)], { stdio: 'pipe' }).toString();
  return out.split('\n').filter((l) => /ESTAB/.test(l)).length;
}

/** Counts the matches of `pattern` in a log file (0 when there is none yet). */
function countIn(file, pattern) {
  try { return (fs.readFileSync(file, 'utf8').match(pattern) ?? []).length; } catch { return 0; }
}

/** Follows a growing log: each call returns { text, restarted }, the text appended since
 * the previous call (all of it the first time, and again from the start when the file
 * was replaced or truncated, as when bed.sh restarts the daemon). */
function follow(file) {
  let offset = 0;
  let ino;
  let decoder = new StringDecoder('utf8');
  return () => {
    let fd;
    try { fd = fs.openSync(file, 'r'); } catch { return { text: '', restarted: false }; }
    try {
      const st = fs.fstatSync(fd);
      let restarted = false;
      if (st.ino !== ino || st.size < offset) {
        restarted = ino !== undefined;
        ino = st.ino;
        offset = 0;
        decoder = new StringDecoder('utf8');
      }
      if (st.size === offset) return { text: '', restarted };
      const buf = Buffer.alloc(st.size - offset);
      const n = fs.readSync(fd, buf, 0, buf.length, offset);
      offset += n;
      return { text: decoder.write(buf.subarray(0, n)), restarted };
    } finally { fs.closeSync(fd); }
  };
}

/**
 * `registeredAt(user, sinceMs, timeoutMs)` for a broker whose log `file` says when it
 * sent each REGISTER 200 OK: resolves the epoch ms of the first one for `user` at or
 * after `sinceMs` (waiting up to `timeoutMs` for it to be logged), read by the
 * broker's own clock. `parse(text)` returns { found: [{ user, at }], rest }, `rest`
 * being the incomplete tail to parse again with the next text. The log is read
 * incrementally: the benchmark's Asterisk log grows by megabytes.
 */
function registrationTimes(file, parse, brokerLabel) {
  const read = follow(file);
  const times = new Map();
  let pending = '';
  const update = () => {
    const { text, restarted } = read();
    if (restarted) pending = '';
    if (!text) return;
    const { found, rest } = parse(pending + text);
    pending = rest;
    for (const { user, at } of found) {
      if (!times.has(user)) times.set(user, []);
      times.get(user).push(at);
    }
  };
  return async (user, sinceMs, timeoutMs = 15000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      update();
      const at = (times.get(String(user)) ?? []).find((t) => t >= sinceMs);
      if (at !== undefined) return at;
      if (Date.now() >= deadline) throw new Error(`no REGISTER 200 OK for ${user} at ${brokerLabel} within ${timeoutMs} ms`);
      await sleep(20);
    }
  };
}

/** Kamailio's "REGISTER-OK user=<user> at=<$TV(Sn)>" lines (the bed's script logs one
 * as it sends the 200 OK; seconds.microseconds since the epoch). */
function parseKamailioRegisterOk(text) {
  const end = text.lastIndexOf('\n') + 1;
  const found = [];
  for (const m of text.slice(0, end).matchAll(/REGISTER-OK user=(\S+) at=(\d+)\.(\d{6})/g)) {
    found.push({ user: m[1], at: Number(m[2]) * 1000 + Number(m[3]) / 1000 });
  }
  return { found, rest: text.slice(end) };
}

/**
 * The 200 OKs to REGISTERs in Asterisk's full log (res_pjsip_logger, `debug = yes` in
 * pjsip.conf), one entry per message:
 *   [2026-12-07 01:23:26.135] VERBOSE[11728] res_pjsip_logger.c: <--- Transmitting SIP response (464 bytes) to WS:127.0.0.1:39602 --->
 *   SIP/2.0 200 OK
 *   ...
 *   To: <sip:3000@127.0.0.1>;tag=…
 *   CSeq: 318 REGISTER
 * The user is the To user (the AOR registered). logger.conf's dateformat is
 * "%F %T.%3q": local time with milliseconds, read here in this process's time zone
 * (the same as Asterisk's: bed.sh starts it with this environment).
 */
function parseAsteriskRegisterOk(text) {
  // Whole lines only: the last line may still be being written.
  const end = text.lastIndexOf('\n') + 1;
  const lines = text.slice(0, end);
  const starts = [...lines.matchAll(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] /gm)].map((m) => m.index);
  const found = [];
  // Nothing but a piece of an entry yet: keep it (its last 64 KiB) for the next read.
  let rest = starts.length ? text.slice(end) : text.slice(-65536);
  for (const [i, start] of starts.entries()) {
    const entry = lines.slice(start, starts[i + 1] ?? lines.length);
    // The last entry may still be being written: a SIP message is complete once the
    // blank line after its headers is there (a REGISTER's 200 OK has no body).
    if (i === starts.length - 1 && !entry.includes('\n\n')) { rest = entry + text.slice(end); break; }
    const nl = entry.indexOf('\n');
    if (!entry.slice(0, nl).includes('Transmitting SIP response')) continue;
    const msg = entry.slice(nl + 1);
    if (!msg.startsWith('SIP/2.0 200 ') || !/^CSeq:\s*\d+\s+REGISTER\s*$/mi.test(msg)) continue;
    const user = /^(?:To|t):[^\n]*?<?sips?:([^@;>\s]+)@/mi.exec(msg)?.[1];
    const t = /^\[(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3})\]/.exec(entry);
    if (!user || !t) continue;
    const [y, mo, d, h, mi, s, ms] = t.slice(1).map(Number);
    found.push({ user, at: new Date(y, mo - 1, d, h, mi, s, ms).getTime() });
  }
  return { found, rest };
}

function kamailio(env) {
  return {
    name: 'kamailio',
    label: 'Kamailio + rtpengine',
    /** Kamailio's websocket module answers a CRLF keep-alive with a CRLF. */
    answersCrlfPing: true,
    /** A proxy never requires 100rel itself (the caller would: sipp does not PRACK). */
    require100relHeader: null,
    /** The presence event packages it serves to the supervisor board: 'dialog+reg'
     * (presence, presence_dialoginfo, presence_reginfo, pua_dialoginfo, pua_reginfo). */
    presence: 'dialog+reg',
    wsUrl: env.BED_WS_URL,
    sipDomain: env.BED_DOMAIN,
    /** Where the "CUCM" (sipp) sends its calls, and the address it sends them from. */
    sippTarget: `${env.BED_IP}:${env.BED_SIP_PORT}`,
    sippLocalIp: env.BED_IP,
    /** Seconds the broker lets a phone ring before it gives the call up, or null: Kamailio
     * forwards the INVITE until the caller (sipp's -timeout) gives up. */
    ringTimeoutS: null,
    mediaPorts: [Number(env.BED_RTP_MIN), Number(env.BED_RTP_MAX)],
    pidFile: path.join(RUN_DIR, 'kamailio.pid'),
    /** Epoch ms (Kamailio's clock, µs) of its first REGISTER 200 OK to `user` at or after
     * `sinceMs`, waiting up to `timeoutMs` for it. */
    registeredAt: registrationTimes(path.join(RUN_DIR, 'kamailio.log'), parseKamailioRegisterOk, 'Kamailio'),
    /** RTP per leg of the call the "CUCM" placed with `callId`, over `seconds`. */
    countRtp: (callId, seconds) => rtpengineCount({ port: env.BED_NG_PORT }, callId, seconds),
    /** Contacts the registrar holds for `number`. */
    contactsOf(number) {
      const dump = bedSync('kamcmd', 'ul.dump');
      const aor = dump.split(/\bAoR: /).slice(1).find((block) => block.split(/\s/)[0] === number);
      return aor ? (aor.match(/\bContact: \{/g) ?? []).length : 0;
    },
    /** Removes `number`'s contacts (a dead phone that never un-REGISTERed). */
    async clearContacts(number) {
      // `s:` keeps kamcmd from reading the number as an integer.
      bedSync('kamcmd', 'ul.rm', 'location', `s:${number}`);
    },
    /** Requests of `method` received so far (the bed's script logs each one), from
     * the user `from` (From user part) when given. */
    requests: (method, from) => countIn(path.join(RUN_DIR, 'kamailio.log'),
      new RegExp(`<script>: REQ ${method} [^\n]*${from ? ` user ${from}$` : ''}`, 'gm')),
    /** Cuts the phones' WebSockets, the broker stays up. */
    cutWebSockets: () => cutConnectionsTo(env.BED_WS_PORT),
    stop: () => bedAsync('sip-stop'),
    /** Resolves once the broker answers OPTIONS on its UDP and WebSocket listeners. */
    start: () => bedAsync('sip-start'),
    async ensureRunning() { try { await bedAsync('sip-start'); } catch { /* already running */ } },
  };
}

/** `pjsip show channelstats` rows: { channel, rxPackets, txPackets }. */
function channelStats() {
  const out = bedSync('ast', 'pjsip show channelstats');
  const rows = [];
  for (const line of out.split('\n')) {
    // " BridgeId ChannelId ........ UpTime.. Codec.   Count    Lost Pct  Jitter   Count    Lost Pct  Jitter RTT...."
    // " 987265b2 3000-00000036      00:00:03 ulaw      150       0    0   0.001    159       0    0   0.000   0.000"
    // (the bridge id is blank for a channel not in a bridge)
    const m = /^\s*(?:\S+\s+)?(\S+-[0-9a-f]{8})\s+\d\d:\d\d:\d\d\s+\S+\s+(\d+)\s+-?\d+\s+\S+\s+\S+\s+(\d+)/.exec(line);
    if (m) rows.push({ channel: m[1], rxPackets: Number(m[2]), txPackets: Number(m[3]) });
  }
  return rows;
}

/** The channels (without "PJSIP/") of the call the "CUCM" placed with `callId`: the bed's
 * dialplan gives both legs the trunk's Call-ID as their account code. */
function callChannels(callId) {
  const out = bedSync('ast', 'core show channels concise');
  // Channel!Context!Exten!Priority!State!Application!Data!CallerID!AccountCode!...
  return new Set(out.split('\n').map((l) => l.split('!')).filter((f) => f[8] === callId).map((f) => f[0].replace(/^PJSIP\//, '')));
}

function asteriskRingTimeoutS() {
  try {
    const conf = fs.readFileSync(path.join(RUN_DIR, 'asterisk', 'etc', 'extensions.conf'), 'utf8');
    return Number(/^\s*same => n,Dial\(\$\{CONTACTS\},(\d+)/m.exec(conf)?.[1] ?? 30);
  } catch { return 30; }
}

function asterisk(env) {
  const log = path.join(RUN_DIR, 'asterisk.log');
  return {
    name: 'asterisk',
    label: 'Asterisk 22.10.1 (Wazo templates)',
    /** pjproject drops a client's CRLF keep-alive on a WebSocket without a pong. */
    answersCrlfPing: false,
    /** The header line that makes the broker require 100rel (RFC 3262) of the phone for
     * one call (the bed's dialplan dials through a 100rel=required endpoint). */
    require100relHeader: 'X-TTEC-100rel: required',
    /** 'none': this build has res_pjsip_pubsub but no res_pjsip_exten_state nor the
     * dialog-info/PIDF body generators, and Asterisk has no RFC 3680 'reg' package: it
     * answers 489 Bad Event to both SUBSCRIBEs. (A Wazo with exten_state would be
     * 'dialog'.) */
    presence: 'none',
    wsUrl: env.BED_AST_WS_URL,
    sipDomain: env.BED_DOMAIN,
    /** The trunk's port; Asterisk identifies the trunk by the sender's address. */
    sippTarget: `${env.BED_IP}:${env.BED_AST_SIP_PORT}`,
    sippLocalIp: env.BED_TRUNK_IP,
    /** The agent's ring time: [from-cucm]'s Dial(${CONTACTS},<s>,…) in the generated
     * extensions.conf (30 s, as a Wazo user rings by default); then the "CUCM" gets a
     * final error response, the phone a CANCEL. */
    ringTimeoutS: asteriskRingTimeoutS(),
    mediaPorts: [Number(env.BED_AST_RTP_MIN), Number(env.BED_AST_RTP_MAX)],
    pidFile: path.join(RUN_DIR, 'asterisk.pid'),
    /** Epoch ms (Asterisk's clock, ms) of its first REGISTER 200 OK to `user` at or after
     * `sinceMs`, from the pjsip logger's messages in the full log. */
    registeredAt: registrationTimes(path.join(RUN_DIR, 'asterisk', 'log', 'full'), parseAsteriskRegisterOk, 'Asterisk'),
    /**
     * RTP per leg over `seconds`, from Asterisk's own counters: the phone's leg
     * (<line>-…, DTLS-SRTP) and the trunk's (cucm-…), found by the call's Call-ID:
     * the bed's dialplan tags both legs with it. Same shape as rtpengine's:
     * { seconds, legs: [{ protocol, rtpPackets }] } where rtpPackets counts what the
     * broker received from that side.
     */
    async countRtp(callId, seconds) {
      const legsOf = () => channelStats().filter((r) => callChannels(callId).has(r.channel));
      const before = new Map(legsOf().map((r) => [r.channel, r]));
      await sleep(seconds * 1000);
      const legs = legsOf().map((r) => {
        const b = before.get(r.channel) ?? { rxPackets: 0, txPackets: 0 };
        return {
          tag: r.channel,
          protocol: /^cucm-/.test(r.channel) ? 'RTP/AVP' : 'UDP/TLS/RTP/SAVPF',
          rtpPackets: r.rxPackets - b.rxPackets,
          sentPackets: r.txPackets - b.txPackets,
        };
      });
      return { seconds, legs };
    },
    contactsOf(number) {
      // "  Contact:  3000/sip:8d1a…@127.0.0.1:41234;transport=ws  1b2c…  Avail  1.234"
      const out = bedSync('ast', `pjsip show contacts like ^${number}/`);
      return out.split('\n').filter((l) => new RegExp(`^\\s*Contact:\\s+${number}/sip:`).test(l)).length;
    },
    /** Asterisk deletes a WebSocket contact when its socket closes: wait for that. */
    async clearContacts(number) {
      for (let i = 0; i < 100 && this.contactsOf(number) > 0; i++) await sleep(50);
    },
    /** Requests of `method` received so far (res_pjsip_logger: "<--- Received SIP
     * request"), from the user `from` (From user part) when given. */
    requests(method, from) { return this.requestTexts(method, from).length; },
    /** The text of those requests (start line and headers). */
    requestTexts(method, from) {
      let text = '';
      try { text = fs.readFileSync(log, 'utf8'); } catch { return []; }
      const fromRe = from && new RegExp(`^(From|f):[^\\n]*sip:${from}@`, 'mi');
      return text.split('<--- Received SIP request').slice(1)
        .map((block) => block.slice(block.indexOf('--->') + 5, block.indexOf('\n\n')))
        .filter((msg) => msg.startsWith(`${method} `) && (!fromRe || fromRe.test(msg)));
    },
    cutWebSockets: () => cutConnectionsTo(env.BED_AST_WS_PORT),
    stop: () => bedAsync('ast-stop'),
    start: () => bedAsync('ast-start'),
    async ensureRunning() { try { await bedAsync('ast-start'); } catch { /* already running */ } },
  };
}

/** The broker a suite runs against: E2E_BROKER=kamailio|asterisk (default kamailio). */
export function broker(name = process.env.E2E_BROKER || 'kamailio', env = loadBedEnv()) {
  if (!env) throw new Error('bed not running (no run/ports.env)');
  if (name === 'kamailio') return kamailio(env);
  if (name === 'asterisk') {
    if (env.BED_ASTERISK !== '1') throw new Error('E2E_BROKER=asterisk but the bed runs without Asterisk: run unit_testing/bed/install.sh with ../shared/asterisk/ beside the repository');
    return asterisk(env);
  }
  throw new Error(`E2E_BROKER must be kamailio or asterisk (got '${name}')`);
}
