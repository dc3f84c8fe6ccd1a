// A small, faithful stub of the Wazo endpoints TTECPhone uses (wazo-auth and
// wazo-confd behind Wazo's nginx), for tests and the QA demo. Node standard
// library only. Test-only: loopback, test passwords from the bed's users.conf.
//
//   POST   /api/auth/0.1/token                 Basic login, or refresh_token flow
//   HEAD   /api/auth/0.1/token/{token}         204 valid / 404 unknown or expired
//   GET    /api/auth/0.1/token/{token}         200 {data} / 404
//   DELETE /api/auth/0.1/token/{token}         revoke
//   GET    /api/confd/1.1/users/{uuid}                                  (X-Auth-Token)
//   GET    /api/confd/1.1/users/{uuid}/lines/{id}/associated/endpoints/sip[?view=merged]
//   GET    /api/asterisk/ws  (WebSocket upgrade) proxied to the SIP WebSocket (the bed's
//          Kamailio), as Wazo's nginx proxies it to Asterisk
//   OPTIONS *                                  CORS preflight (the gadget is on the Finesse origin)
//   GET    /__stub/stats, POST /__stub/reset, POST /__stub/config   test hooks (no secrets)
import http from 'node:http';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_USERS_CONF = path.join(HERE, '../bed/users.conf');
const TENANT_UUID = '2c34c282-433e-4bb8-8d56-fec14ff7e1e9';
const XIVO_UUID = 'a1b2c3d4-0000-4000-8000-00000000beef';

/** users.conf "<number> <password>" → Wazo users: login agent<number>, line <number>. */
export function loadUsers(file = DEFAULT_USERS_CONF) {
  const users = [];
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const [number, password] = raw.trim().split(/\s+/);
    if (!number || number.startsWith('#') || !password) continue;
    const n = number.padStart(12, '0').slice(-12);
    users.push({
      login: `agent${number}`,
      // The Finesse agent's password is the Wazo user's password (the gadget logs
      // into Wazo with the Finesse-provided credentials) and, on this bed, also the
      // SIP line's secret (Kamailio knows only users.conf).
      password,
      uuid: `5f1a0000-0000-4000-8000-${n}`,
      firstname: 'Test',
      lastname: `Agent ${number}`,
      lines: [{ id: Number(number), number, sipUsername: number, sipSecret: password, endpointUuid: `e0d1e0d1-0000-4000-8000-${n}` }],
    });
  }
  return users;
}

function isoLocal(ms) { return new Date(ms).toISOString().replace('Z', ''); }

/**
 * Starts the stub. Options: port (0 = free), host, users (array or users.conf path),
 * tokenLifetimeS (caps the granted expiration; short for token-expiry tests),
 * configure({rejectRefresh}) refuses every refresh token (401), like wazo-auth after a restart,
 * configure({rejectLogin}) refuses every Basic login (401 "Authentication Failed", as wazo-auth
 * answers a wrong or changed password),
 * engine ('current' = auth_section_options, 'legacy' = top-level username/secret, before 20.13),
 * wsTarget ('ws://127.0.0.1:8080/' — where /api/asterisk/ws is proxied; none = 502).
 * Returns { origin, port, host, stats(), reset(), configure(opts), tokens(), users, close() }.
 */
export async function startWazoStub(options = {}) {
  const host = options.host ?? '127.0.0.1';
  const users = Array.isArray(options.users) ? options.users : loadUsers(options.users);
  const settings = {
    tokenLifetimeS: options.tokenLifetimeS ?? null,
    engine: options.engine ?? 'current',
    wsTarget: options.wsTarget ?? null,
    // Answer the next N API requests with 503 (broker "unreachable" for retry tests).
    unavailable: 0,
    // Refuse every refresh token (as wazo-auth does after a restart or a revoked session).
    rejectRefresh: false,
    // Refuse every Basic login, as wazo-auth does once the user's password changed.
    rejectLogin: false,
  };
  const tokens = new Map(); // token -> session
  const refreshTokens = new Map(); // refresh token -> { user, clientId }
  let counters;
  const reset = () => {
    counters = {
      requests: 0, preflights: 0, tokenPosts: 0, logins: 0, loginFailures: 0, refreshes: 0, refreshFailures: 0,
      heads: 0, headsValid: 0, tokenGets: 0, deletes: 0, confdUsers: 0, confdEndpoints: 0,
      confdUnauthorized: 0, wsUpgrades: 0, unavailableAnswered: 0,
    };
  };
  reset();

  const byLogin = (login) => users.find((u) => u.login === login);
  const byUuid = (uuid) => users.find((u) => u.uuid === uuid);

  function cors(req, res) {
    // Wazo's services allow any origin (the token, not cookies, authenticates).
    res.setHeader('Access-Control-Allow-Origin', req.headers.origin || '*');
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Type, Content-Length');
  }
  function send(res, status, body) {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
    res.end(res.req.method === 'HEAD' ? undefined : text);
  }
  const authFailed = (res) => send(res, 401, { reason: ['Authentication Failed'], timestamp: [Date.now() / 1000], status_code: 401 });
  const unauthorized = (res, token) => send(res, 401, {
    message: 'Unauthorized', error_id: 'unauthorized', details: { invalid_token: token ? 'redacted' : null }, timestamp: Date.now() / 1000,
  });
  const notFound = (res, resource) => send(res, 404, { message: `Resource Not Found - ${resource}`, error_id: 'not-found', resource, details: {}, timestamp: Date.now() / 1000 });

  function liveSession(token) {
    const session = token && tokens.get(token);
    if (!session) return null;
    if (session.expiresAt <= Date.now()) { tokens.delete(token); return null; }
    return session;
  }

  function issue(user, { expiration, accessType, clientId, refreshToken, remote, userAgent }) {
    const requested = Number.isFinite(expiration) && expiration > 0 ? Math.floor(expiration) : 7200;
    const lifetime = settings.tokenLifetimeS ? Math.min(requested, settings.tokenLifetimeS) : requested;
    const issuedAt = Date.now();
    const expiresAt = issuedAt + lifetime * 1000;
    const token = randomUUID();
    const session = { token, user, expiresAt, sessionUuid: randomUUID(), clientId };
    tokens.set(token, session);
    let refresh = refreshToken ?? null;
    if (!refresh && accessType === 'offline' && clientId) {
      // One refresh token per user and client_id, as wazo-auth keeps it.
      refresh = [...refreshTokens].find(([, r]) => r.user === user && r.clientId === clientId)?.[0] ?? null;
      if (!refresh) { refresh = randomUUID(); refreshTokens.set(refresh, { user, clientId }); }
    }
    const metadata = { uuid: user.uuid, tenant_uuid: TENANT_UUID, auth_id: user.uuid, pbx_user_uuid: user.uuid, xivo_uuid: XIVO_UUID, purpose: 'user', admin: false };
    return {
      data: {
        token, refresh_token: refresh, session_uuid: session.sessionUuid,
        expires_at: isoLocal(expiresAt), utc_expires_at: isoLocal(expiresAt),
        issued_at: isoLocal(issuedAt), utc_issued_at: isoLocal(issuedAt),
        auth_id: user.uuid, pbx_user_uuid: user.uuid, xivo_uuid: XIVO_UUID,
        acl: ['confd.users.me.read', `confd.users.${user.uuid}.#`, 'auth.users.me.#'],
        metadata, user_agent: userAgent || '', remote_addr: remote || '',
      },
    };
  }

  async function readJson(req) {
    const chunks = [];
    let size = 0;
    for await (const c of req) { size += c.length; if (size > 65536) throw new Error('too large'); chunks.push(c); }
    const text = Buffer.concat(chunks).toString('utf8');
    return text ? JSON.parse(text) : {};
  }

  function basic(req) {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/.exec(req.headers.authorization || '');
    if (!m) return null;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    return i < 0 ? null : { login: decoded.slice(0, i), password: decoded.slice(i + 1) };
  }

  async function postToken(req, res) {
    let body;
    try { body = await readJson(req); } catch { return send(res, 400, { reason: ['Invalid JSON body'], status_code: 400 }); }
    counters.tokenPosts++;
    const options = { expiration: body.expiration, accessType: body.access_type, clientId: body.client_id, remote: req.socket.remoteAddress, userAgent: req.headers['user-agent'] };
    if (body.refresh_token !== undefined) {
      const entry = refreshTokens.get(body.refresh_token);
      if (!entry || entry.clientId !== body.client_id || settings.rejectRefresh) { counters.refreshFailures++; return authFailed(res); }
      counters.refreshes++;
      return send(res, 200, issue(entry.user, { ...options, refreshToken: body.refresh_token }));
    }
    const creds = basic(req);
    const user = creds && byLogin(creds.login);
    if ((body.backend ?? 'wazo_user') !== 'wazo_user' || !user || user.password !== creds.password || settings.rejectLogin) {
      counters.loginFailures++;
      return authFailed(res);
    }
    counters.logins++;
    return send(res, 200, issue(user, options));
  }

  function userBody(user) {
    return {
      uuid: user.uuid, id: Number(user.lines[0]?.number ?? 0), tenant_uuid: TENANT_UUID,
      firstname: user.firstname, lastname: user.lastname, email: null, timezone: null, language: null,
      description: null, caller_id: `"${user.firstname} ${user.lastname}"`, outgoing_caller_id: 'default',
      mobile_phone_number: null, username: user.login, userfield: null, call_transfer_enabled: false,
      dtmf_hangup_enabled: false, call_record_outgoing_internal_enabled: false, online_call_record_enabled: false,
      supervision_enabled: true, ring_seconds: 30, simultaneous_calls: 5, call_permission_password: null,
      subscription_type: 0, created_at: '2026-01-01T00:00:00+00:00', enabled: true,
      lines: user.lines.map((l) => ({
        id: l.id, name: l.sipUsername,
        endpoint_sip: { id: l.id, uuid: l.endpointUuid, label: `line ${l.number}`, name: l.sipUsername, auth_section_options: [['username', l.sipUsername]] },
        endpoint_sccp: null, endpoint_custom: null,
        extensions: [{ id: l.id, exten: l.number, context: 'default' }],
      })),
      groups: [], incalls: [], voicemail: null, agent: null, switchboards: [], queues: [],
      fallbacks: {}, forwards: {}, services: {}, call_pickup_target_users: [], func_keys: {},
    };
  }

  function endpointBody(line, merged) {
    const base = { uuid: line.endpointUuid, tenant_uuid: TENANT_UUID, name: line.sipUsername, label: `line ${line.number}`, asterisk_id: null, templates: [{ uuid: 'b5a7c8f2-0000-4000-8000-000000000001', label: 'webrtc' }], transport: { uuid: 'c0ffee00-0000-4000-8000-000000000001' }, context: { id: 1 }, line: { id: line.id }, trunk: null };
    if (settings.engine === 'legacy') {
      // Before engine 20.13 (chan_sip era): top-level credentials.
      return { id: line.id, tenant_uuid: TENANT_UUID, username: line.sipUsername, secret: line.sipSecret, type: 'friend', host: 'dynamic', options: [['webrtc', 'yes']], line: { id: line.id } };
    }
    const auth = [['username', line.sipUsername], ['password', line.sipSecret]];
    const endpoint = [['webrtc', 'yes'], ['max_audio_streams', '1'], ['timers', 'always'], ['timers_sess_expires', '300']];
    const aor = [['max_contacts', '10'], ['remove_existing', 'false'], ['qualify_frequency', '60']];
    return merged
      ? { ...base, aor_section_options: aor, auth_section_options: auth, endpoint_section_options: endpoint, identify_section_options: [], registration_section_options: [], registration_outbound_auth_section_options: [], outbound_auth_section_options: [] }
      : { ...base, aor_section_options: [], auth_section_options: auth, endpoint_section_options: [], identify_section_options: [] };
  }

  function confd(req, res, url) {
    const token = req.headers['x-auth-token'];
    const session = liveSession(token);
    const parts = url.pathname.split('/').filter(Boolean).slice(3); // after api/confd/1.1
    if (!session) { counters.confdUnauthorized++; return unauthorized(res, token); }
    if (parts[0] !== 'users' || !parts[1]) return notFound(res, 'path');
    const user = byUuid(parts[1]);
    // A user token may read only its own user (ACL confd.users.me / its uuid).
    if (!user) return notFound(res, 'user');
    if (user !== session.user) { counters.confdUnauthorized++; return unauthorized(res, token); }
    if (parts.length === 2) { counters.confdUsers++; return send(res, 200, userBody(user)); }
    if (parts.length === 7 && parts[2] === 'lines' && parts[4] === 'associated' && parts[5] === 'endpoints' && parts[6] === 'sip') {
      const line = user.lines.find((l) => String(l.id) === parts[3]);
      if (!line) return notFound(res, 'line');
      counters.confdEndpoints++;
      return send(res, 200, endpointBody(line, url.searchParams.get('view') === 'merged'));
    }
    return notFound(res, 'path');
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://stub');
    cors(req, res);
    try {
      if (url.pathname.startsWith('/__stub/')) return hooks(req, res, url);
      counters.requests++;
      if (req.method === 'OPTIONS') {
        counters.preflights++;
        res.writeHead(204, {
          'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, HEAD, OPTIONS',
          'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept, X-Auth-Token, Wazo-Tenant',
          'Access-Control-Max-Age': '600',
          'Content-Length': 0,
        });
        return res.end();
      }
      if (settings.unavailable > 0) {
        settings.unavailable--;
        counters.unavailableAnswered++;
        return send(res, 503, { message: 'Service Unavailable', error_id: 'service-unavailable' });
      }
      if (url.pathname === '/api/auth/0.1/token' && req.method === 'POST') return await postToken(req, res);
      const tokenPath = /^\/api\/auth\/0\.1\/token\/([^/]+)$/.exec(url.pathname);
      if (tokenPath) {
        const token = decodeURIComponent(tokenPath[1]);
        if (req.method === 'HEAD' || req.method === 'GET') {
          if (req.method === 'HEAD') counters.heads++; else counters.tokenGets++;
          const session = liveSession(token);
          if (!session) return send(res, 404, { reason: ['No such token'], status_code: 404 });
          if (req.method === 'HEAD') { counters.headsValid++; res.writeHead(204); return res.end(); }
          return send(res, 200, { data: { token, utc_expires_at: isoLocal(session.expiresAt), auth_id: session.user.uuid, metadata: { uuid: session.user.uuid, tenant_uuid: TENANT_UUID } } });
        }
        if (req.method === 'DELETE') {
          counters.deletes++;
          tokens.delete(token);
          return send(res, 200, { data: { message: 'success' } });
        }
        return send(res, 405, { reason: ['Method Not Allowed'], status_code: 405 });
      }
      if (url.pathname.startsWith('/api/confd/1.1/') && req.method === 'GET') return confd(req, res, url);
      return notFound(res, 'path');
    } catch (error) {
      if (!res.headersSent) send(res, 500, { message: 'Internal Server Error', error_id: 'internal' });
      console.error('wazo stub error:', error?.message);
    }
  });

  async function hooks(req, res, url) {
    if (url.pathname === '/__stub/stats' && req.method === 'GET') return send(res, 200, stats());
    if (url.pathname === '/__stub/reset' && req.method === 'POST') { reset(); return send(res, 200, stats()); }
    if (url.pathname === '/__stub/config' && req.method === 'POST') {
      let body;
      try { body = await readJson(req); } catch { return send(res, 400, { error: 'JSON body expected' }); }
      configure(body);
      return send(res, 200, { ...settings, wsTarget: settings.wsTarget });
    }
    return notFound(res, 'hook');
  }

  function configure(patch = {}) {
    if ('tokenLifetimeS' in patch) settings.tokenLifetimeS = patch.tokenLifetimeS ? Number(patch.tokenLifetimeS) : null;
    if ('engine' in patch) settings.engine = patch.engine === 'legacy' ? 'legacy' : 'current';
    if ('unavailable' in patch) settings.unavailable = Math.max(0, Number(patch.unavailable) || 0);
    if ('rejectRefresh' in patch) settings.rejectRefresh = Boolean(patch.rejectRefresh);
    if ('rejectLogin' in patch) settings.rejectLogin = Boolean(patch.rejectLogin);
    if ('expireAll' in patch && patch.expireAll) for (const s of tokens.values()) s.expiresAt = 0;
  }

  function stats() {
    const now = Date.now();
    const live = [...tokens.values()].filter((s) => s.expiresAt > now);
    return { ...counters, liveTokens: live.length, liveTokenUsers: live.map((s) => s.user.login).sort() };
  }

  // /api/asterisk/ws → the SIP WebSocket: the handshake is forwarded byte for byte
  // (path rewritten), then both directions are piped (Wazo's nginx does this for Asterisk).
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url, 'http://stub');
    if (url.pathname !== '/api/asterisk/ws' || !settings.wsTarget) {
      socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    counters.wsUpgrades++;
    const target = new URL(settings.wsTarget);
    const upstream = net.connect(Number(target.port || 80), target.hostname, () => {
      const lines = [`GET ${target.pathname || '/'} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i];
        lines.push(`${name}: ${name.toLowerCase() === 'host' ? target.host : req.rawHeaders[i + 1]}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head?.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    const close = () => { socket.destroy(); upstream.destroy(); };
    upstream.on('error', close);
    socket.on('error', close);
    upstream.on('close', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address();
  const sockets = new Set();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  return {
    origin: `http://${host}:${port}`,
    host: `${host}:${port}`,
    port,
    users,
    stats,
    reset,
    configure,
    /** Live tokens' users (never the tokens themselves). */
    liveTokenUsers: () => stats().liveTokenUsers,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
