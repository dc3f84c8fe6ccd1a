#!/usr/bin/env node
// Readiness probe used by `bed.sh start`: Kamailio must answer an OPTIONS on its UDP
// listener *and* over a real WebSocket (subprotocol "sip"). Exit 0 when both answer 200.
// `probe.mjs asterisk`: the same for Asterisk (its trunk port, from the trunk's address,
// and its /ws WebSocket); any response counts (it may challenge an unknown sender).
const asterisk = process.argv[2] === 'asterisk';
import dgram from 'node:dgram';
import { loadBedEnv } from '../lib/bed.mjs';
import { WsSipClient } from '../lib/ws-sip-client.mjs';
import { SipMessage, serialize, parse, branch, token } from '../lib/sip.mjs';

const env = loadBedEnv();
if (!env) { console.error('no run/ports.env'); process.exit(2); }

function optionsUdp() {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => { s.close(); reject(new Error('UDP OPTIONS: no answer')); }, 1000);
    s.on('message', (buf) => {
      clearTimeout(timer);
      s.close();
      const res = parse(buf.toString());
      res.status === 200 || (asterisk && res.status) ? resolve(res) : reject(new Error(`UDP OPTIONS: ${res.status}`));
    });
    const from = asterisk ? env.BED_TRUNK_IP : env.BED_IP;
    const to = asterisk ? Number(env.BED_AST_SIP_PORT) : env.BED_SIP_PORT;
    s.bind(0, from, () => {
      const { port } = s.address();
      const msg = new SipMessage({
        method: 'OPTIONS', uri: `sip:${env.BED_IP}:${to}`,
        headers: [['Via', `SIP/2.0/UDP ${from}:${port};rport;branch=${branch()}`], ['Max-Forwards', '70'],
          ['From', `<sip:probe@${from}>;tag=${token(4)}`], ['To', `<sip:${env.BED_IP}>`],
          ['Call-ID', `probe-${token(8)}`], ['CSeq', '1 OPTIONS']],
      });
      s.send(serialize(msg), to, env.BED_IP);
    });
  });
}

async function optionsWs() {
  const c = new WsSipClient({ url: asterisk ? env.BED_AST_WS_URL : env.BED_WS_URL, user: 'probe', password: '' });
  await c.connect({ timeoutMs: 1000 });
  try {
    const br = branch();
    c.send(new SipMessage({
      method: 'OPTIONS', uri: `sip:${env.BED_IP}`,
      headers: [['Via', `SIP/2.0/WS ${c.viaHost};branch=${br}`], ['Max-Forwards', '70'],
        ['From', `<sip:probe@${env.BED_IP}>;tag=${token(4)}`], ['To', `<sip:${env.BED_IP}>`],
        ['Call-ID', `probe-${token(8)}`], ['CSeq', '1 OPTIONS']],
    }));
    const res = await c.waitForResponse(br, { timeoutMs: 1000 });
    if (res.status !== 200 && !(asterisk && res.status)) throw new Error(`WS OPTIONS: ${res.status}`);
  } finally {
    await c.close();
  }
}

try {
  await optionsUdp();
  await optionsWs();
  process.exit(0);
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
