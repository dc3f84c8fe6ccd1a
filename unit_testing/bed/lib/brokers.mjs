// The bed's two brokers behind one face, so an e2e test body runs against either:
//   kamailio  Kamailio + rtpengine (our lab broker)
//   asterisk  a real Asterisk 22.10.1 configured as Wazo configures it (the production
//             broker's SIP and media engine; ../asterisk/, ../../../../shared/asterisk/)
// A suite picks one with E2E_BROKER (default kamailio); unit_testing/run.sh runs the call
// suites once per broker. Everything a test needs from "the broker" is here: where the
// phone connects, how the "CUCM" reaches it, its registrations, its request log, RTP per
// call leg, its media ports (for cutting the path) and stopping/starting it.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
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

/** Counts SIP requests of `method` a broker received, from the lines of its log. */
function countIn(file, pattern) {
  try { return (fs.readFileSync(file, 'utf8').match(pattern) ?? []).length; } catch { return 0; }
}

function kamailio(env) {
  return {
    name: 'kamailio',
    label: 'Kamailio + rtpengine',
    wsUrl: env.BED_WS_URL,
    sipDomain: env.BED_DOMAIN,
    mediaPorts: [Number(env.BED_RTP_MIN), Number(env.BED_RTP_MAX)],
    pidFile: path.join(RUN_DIR, 'kamailio.pid'),
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
    /** WebSocket connections opened so far. */
    webSockets: () => Number((/ws_open\s*=\s*(\d+)/.exec(bedSync('kamcmd', 'htable.dump', 'stats')) ?? [])[1] ?? 0),
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
    // " 00:00:05 PJSIP/3000-00000001  ulaw  266  0  0.000  0.000  265  0  0.000  0.000  0.000"
    const m = /^\s*(\d\d:\d\d:\d\d)\s+(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+\S+\s+\S+\s+(\d+)\s+(\d+)/.exec(line);
    if (m) rows.push({ channel: m[2], rxPackets: Number(m[4]), txPackets: Number(m[6]) });
  }
  return rows;
}

function asterisk(env) {
  const log = path.join(RUN_DIR, 'asterisk.log');
  return {
    name: 'asterisk',
    label: 'Asterisk 22.10.1 (Wazo templates)',
    wsUrl: env.BED_AST_WS_URL,
    sipDomain: env.BED_DOMAIN,
    mediaPorts: [Number(env.BED_AST_RTP_MIN), Number(env.BED_AST_RTP_MAX)],
    pidFile: path.join(RUN_DIR, 'asterisk.pid'),
    /**
     * RTP per leg over `seconds`, from Asterisk's own counters: the phone's leg
     * (PJSIP/<line>-…, DTLS-SRTP) and the trunk's (PJSIP/cucm-…). One call at a time on
     * this bed, so the legs up now are that call's. Same shape as rtpengine's:
     * { seconds, legs: [{ protocol, rtpPackets }] } where rtpPackets counts what the
     * broker received from that side.
     */
    async countRtp(_callId, seconds) {
      const before = new Map(channelStats().map((r) => [r.channel, r]));
      await sleep(seconds * 1000);
      const legs = channelStats().map((r) => {
        const b = before.get(r.channel) ?? { rxPackets: 0, txPackets: 0 };
        return {
          tag: r.channel,
          protocol: /^PJSIP\/cucm-/.test(r.channel) ? 'RTP/AVP' : 'UDP/TLS/RTP/SAVPF',
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
    requests(method, from) {
      let text = '';
      try { text = fs.readFileSync(log, 'utf8'); } catch { return 0; }
      const fromRe = from && new RegExp(`^(From|f):[^\\n]*sip:${from}@`, 'mi');
      return text.split('<--- Received SIP request').slice(1)
        .map((block) => block.slice(block.indexOf('--->') + 5, block.indexOf('\n\n')))
        .filter((msg) => msg.startsWith(`${method} `) && (!fromRe || fromRe.test(msg))).length;
    },
    /** WebSocket connections that carried a request so far (distinct source ports). */
    webSockets() {
      let text = '';
      try { text = fs.readFileSync(log, 'utf8'); } catch { return 0; }
      return new Set(text.match(/Received SIP request \(\d+ bytes\) from WS:[\d.]+:\d+/g) ?? []).size;
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
