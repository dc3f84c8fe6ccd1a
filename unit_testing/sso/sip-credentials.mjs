// A stand-in for the administrator's SIP credential service (the `sip` broker kind
// under Finesse single sign-on; contract in doc/deployment.md, "SIP credentials under
// single sign-on"). Node standard library only; loopback; test accounts only.
//
//   GET /sip-credentials   Authorization: Bearer <the agent's Finesse SSO token>
//     1. the token is checked with the party that issued it (`tokenCheck`: a real service
//        calls Finesse, GET /finesse/api/User/<id> with that bearer, or the IdS/IdP's
//        introspection; here the fake IdP's /idp/userinfo): 401 when it is not valid;
//     2. the agent's id comes from that answer, never from the request;
//     3. that agent's account from the administrator's table: 200
//        {"username","password","number"} with Cache-Control: no-store, or 404.
//   CORS only for the listed Finesse origins (`allowOrigins`), no cookies; nothing is logged.
//   OPTIONS preflight (the Authorization header makes the gadget's GET a CORS preflighted one).
//   GET /__creds/stats, POST /__creds/config {unavailable: N}: test hooks (no secrets).
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listen } from './idp.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * The administrator's table: Finesse agent id -> SIP account. The stand-in derives it from
 * the bed's users.conf ("<number> <password>": agent<number> registers <number>).
 */
export function accountsFromUsersConf(file = path.join(HERE, '../bed/users.conf')) {
  const out = new Map();
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const [number, password] = raw.trim().split(/\s+/);
    if (number && !number.startsWith('#') && password) out.set(`agent${number}`, { username: number, password, number });
  }
  return out;
}

/**
 * Starts the service. Options: port (0 = free), host, tokenCheck (URL answering a valid
 * bearer with {sub}), allowOrigins ([] = none), accounts (Map, default users.conf's).
 * Returns { origin, url, stats(), configure(), close() }.
 */
export async function startSipCredentials(options = {}) {
  const host = options.host ?? '127.0.0.1';
  const accounts = options.accounts ?? accountsFromUsersConf();
  const allow = new Set(options.allowOrigins ?? []);
  const settings = { unavailable: 0, allowAnyOrigin: Boolean(options.allowAnyOrigin) };
  const counters = { requests: 0, preflights: 0, answered: 0, refused: 0, noAccount: 0, unavailableAnswered: 0 };

  const corsOk = (origin) => origin && (settings.allowAnyOrigin || allow.has(origin));
  const json = (req, res, status, body, extra = {}) => {
    const text = JSON.stringify(body);
    const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', Pragma: 'no-cache', ...extra };
    if (corsOk(req.headers.origin)) { headers['Access-Control-Allow-Origin'] = req.headers.origin; headers.Vary = 'Origin'; }
    res.writeHead(status, headers);
    res.end(text);
  };

  async function checkToken(token) {
    try {
      const r = await fetch(options.tokenCheck, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
      if (r.status !== 200) return { status: r.status };
      const body = await r.json();
      return { login: typeof body?.sub === 'string' ? body.sub : null };
    } catch { return { status: 502 }; }
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://creds');
    try {
      if (url.pathname === '/__creds/stats') return json(req, res, 200, { ...counters });
      if (url.pathname === '/__creds/config' && req.method === 'POST') {
        let text = '';
        for await (const c of req) text += c;
        const patch = JSON.parse(text || '{}');
        configure(patch);
        return json(req, res, 200, settings);
      }
      if (url.pathname !== '/sip-credentials') return json(req, res, 404, { error: 'not_found' });
      counters.requests++;
      if (req.method === 'OPTIONS') {
        counters.preflights++;
        const headers = { 'Content-Length': 0, 'Access-Control-Max-Age': '600' };
        if (corsOk(req.headers.origin)) {
          Object.assign(headers, { 'Access-Control-Allow-Origin': req.headers.origin, Vary: 'Origin', 'Access-Control-Allow-Methods': 'GET', 'Access-Control-Allow-Headers': 'Authorization, Accept' });
        }
        res.writeHead(204, headers);
        return res.end();
      }
      if (req.method !== 'GET') return json(req, res, 405, { error: 'method_not_allowed' }, { Allow: 'GET, OPTIONS' });
      if (settings.unavailable > 0) { settings.unavailable--; counters.unavailableAnswered++; return json(req, res, 503, { error: 'unavailable' }, { 'Retry-After': '1' }); }
      const token = /^Bearer\s+(\S+)$/.exec(req.headers.authorization || '')?.[1];
      if (!token) { counters.refused++; return json(req, res, 401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer' }); }
      const checked = await checkToken(token);
      if (checked.status === 502) return json(req, res, 502, { error: 'finesse_unreachable' });
      if (!checked.login) { counters.refused++; return json(req, res, 401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' }); }
      const account = accounts.get(checked.login);
      if (!account) { counters.noAccount++; return json(req, res, 404, { error: 'no_account' }); }
      counters.answered++;
      return json(req, res, 200, { username: account.username, password: account.password, number: account.number });
    } catch (error) {
      if (!res.headersSent) json(req, res, 500, { error: 'server_error' });
      console.error('sip credentials stand-in error:', error?.message);
    }
  });

  function configure(patch = {}) {
    if ('unavailable' in patch) settings.unavailable = Math.max(0, Number(patch.unavailable) || 0);
    if ('allowAnyOrigin' in patch) settings.allowAnyOrigin = Boolean(patch.allowAnyOrigin);
    if (Array.isArray(patch.allowOrigins)) { allow.clear(); for (const o of patch.allowOrigins) allow.add(o); }
  }

  const { port, close } = await listen(server, options.port, host);
  return {
    origin: `http://${host}:${port}`,
    url: `http://${host}:${port}/sip-credentials`,
    port,
    stats: () => ({ ...counters }),
    configure,
    close,
  };
}
