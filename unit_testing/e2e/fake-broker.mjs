// A minimal SIP-over-WebSocket "broker" for the gadget's error paths (no
// Kamailio needed): it answers REGISTER with a digest challenge and then 200
// (or a refusal), and can drop the socket on demand. Loopback only.
import { WebSocketServer } from '../bed/node_modules/ws/wrapper.mjs';
import { freePort } from './harness.mjs';

function header(msg, name) {
  const m = msg.match(new RegExp(`^${name}:\\s*(.*)$`, 'mi'));
  return m ? m[1].trim() : '';
}

function response(req, status, reason, extra = []) {
  const to = header(req, 'To');
  return [
    `SIP/2.0 ${status} ${reason}`,
    ...req.match(/^Via:.*$/gmi),
    `From: ${header(req, 'From')}`,
    `To: ${/;tag=/.test(to) ? to : `${to};tag=fb${status}`}`,
    `Call-ID: ${header(req, 'Call-ID')}`,
    `CSeq: ${header(req, 'CSeq')}`,
    ...extra,
    'Content-Length: 0',
    '', '',
  ].join('\r\n');
}

/**
 * @param {object} o
 * @param {'ok'|'forbidden'} [o.register]  how REGISTER ends once authenticated
 * @param {number} [o.port]  listen on this port (a broker started again where it was)
 * @returns {Promise<{url, port, registers: string[], refusedAt: number[], connections: number, drop(): void, close(): Promise<void>}>}
 */
export async function startFakeBroker({ register = 'ok', port: wanted } = {}) {
  const port = wanted || await freePort();
  const server = new WebSocketServer({
    host: '127.0.0.1', port,
    handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
  });
  const state = { registers: [], refusedAt: [], connections: 0, sockets: new Set() };
  server.on('connection', (ws) => {
    state.connections += 1;
    state.sockets.add(ws);
    ws.on('close', () => state.sockets.delete(ws));
    ws.on('message', (data) => {
      const msg = String(data);
      if (!msg.startsWith('REGISTER ')) return;
      state.registers.push(msg);
      if (!/^Authorization:/mi.test(msg)) {
        ws.send(response(msg, 401, 'Unauthorized',
          ['WWW-Authenticate: Digest realm="fake.test", nonce="fakenonce1", qop="auth", algorithm=MD5']));
      } else if (register === 'forbidden') {
        ws.send(response(msg, 403, 'Forbidden'));
        state.refusedAt.push(Date.now());
      } else {
        const expires = /^Expires:\s*0\s*$/mi.test(msg) ? 0 : 600;
        ws.send(response(msg, 200, 'OK', [`Contact: ${header(msg, 'Contact')};expires=${expires}`]));
      }
    });
  });
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `ws://127.0.0.1:${port}/`,
    port,
    /** When each authenticated REGISTER was refused (Date.now()). */
    get refusedAt() { return state.refusedAt; },
    get registers() { return state.registers; },
    get connections() { return state.connections; },
    /** Drops every connection without a close handshake (like a network loss). */
    drop() { for (const ws of state.sockets) ws.terminate(); },
    close() {
      for (const ws of state.sockets) ws.terminate();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
