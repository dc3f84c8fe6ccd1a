// A small, faithful stub of the Wazo endpoints TTECPhone uses (wazo-auth and
// wazo-confd behind Wazo's nginx), for tests and the QA demo. Node standard
// library only. Test-only: loopback, test passwords from the bed's users.conf
// and the stub's own test users (STUB_USERS).
//
//   POST   /api/auth/0.1/token                 Basic login (native or LDAP), SAML (saml_session_id), or refresh_token flow
//   POST   /api/auth/0.1/saml/sso              SAML login context: {location (the IdP), saml_session_id}
//   POST   /api/auth/0.1/saml/acs              the IdP's SAMLResponse (HTTP-POST binding) -> 302 to redirect_url
//   HEAD   /api/auth/0.1/token/{token}         204 valid / 404 unknown or expired
//   GET    /api/auth/0.1/token/{token}         200 {data} / 404
//   DELETE /api/auth/0.1/token/{token}         revoke
//   GET    /api/confd/1.1/users/{uuid}                                  (X-Auth-Token)
//   GET    /api/confd/1.1/users/{uuid}/lines/{id|main}/associated/endpoints/sip[?view=merged]
//   GET    /api/asterisk/ws  (WebSocket upgrade, subprotocol exactly `sip`, else 403) proxied to
//          the SIP WebSocket (the bed's Kamailio or Asterisk), as Wazo's nginx proxies it to Asterisk
//   OPTIONS *                                  CORS preflight (the gadget is on the Finesse origin)
//   GET    /__stub/stats, POST /__stub/reset, POST /__stub/config   test hooks (no secrets)
import http from 'node:http';
import net from 'node:net';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { IDP_ENTITY_ID } from '../sso/idp.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_USERS_CONF = path.join(HERE, '../bed/users.conf');
export const TENANT_UUID = '2c34c282-433e-4bb8-8d56-fec14ff7e1e9';
const TENANT_SLUG = 'ttec';
/** The tenant's domain name: LDAP users log in with `domain_name` set to it. */
export const LDAP_DOMAIN = 'ttec.example';
const XIVO_UUID = 'a1b2c3d4-0000-4000-8000-00000000beef';
/** wazo-auth's default `max_user_concurrent_sessions` (wazo_auth/config.py). */
export const MAX_USER_CONCURRENT_SESSIONS = 100;
/** nginx `proxy_read_timeout` on /api/asterisk/ws (xivo-config etc/nginx/locations/https-available/asterisk). */
export const WS_READ_TIMEOUT_S = 188;
const TEN_YEARS_S = 3600 * 24 * 365 * 10;

/**
 * Test users beside users.conf's, each showing one way real Wazo users differ from the
 * simple case. `lines` in confd's order: `webrtc` (global + webrtc templates), `desk`
 * (a desk phone: the global template only, no `webrtc=yes`), `sccp`, `custom`.
 */
export const STUB_USERS = [
  // A desk phone listed before the WebRTC line, both on the same extension (and an
  // SCCP line first of all): the gadget must register on the WebRTC line.
  { number: '3004', lastname: 'Desk First', lines: ['sccp', 'desk', 'webrtc'] },
  // No WebRTC line at all: a desk phone and a custom (non-SIP) line.
  { number: '3005', lastname: 'No WebRTC', lines: ['desk', 'custom'] },
  // Backed by the tenant's LDAP directory: logs in only with `domain_name` (401 without).
  { number: '3006', lastname: 'Directory', authentication: 'ldap', lines: ['webrtc'] },
  // Signs in only through the tenant's SAML IdP (authentication_method `saml`): the SSO agent.
  { number: '3007', lastname: 'Single Sign-On', authentication: 'saml', lines: ['webrtc'] },
];
/** wazo_auth/schemas.py DOMAIN_RE (the SAML login's `domain`). */
const DOMAIN_RE = /^(?=.{1,253}\.?$)(?:(?!(-|_)|[^.]+_)[A-Za-z0-9-_]{1,}(?<!-)(?:\.|$)){2,63}$/;

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** `length` random-looking [a-z0-9] characters (a letter first), fixed by `seed`. */
function derived(seed, length) {
  const bytes = createHash('sha256').update(seed).digest();
  let out = '';
  for (let i = 0; out.length < length; i++) out += ALNUM[bytes[i % bytes.length] % (out ? 36 : 26)];
  return out;
}

/**
 * The SIP username of a line, like Wazo's (8 random-looking characters, e.g. `t05179qh`,
 * never the extension), fixed by the extension and the line's kind so the bed can create
 * the same accounts (see sipAccounts()).
 */
export function sipUsernameFor(extension, kind = 'webrtc') {
  return derived(`ttecphone-wazo-stub:sip-username:${kind}:${extension}`, 8);
}

/** The SIP secret of a line: not the user's login password (as on Wazo), fixed like the username. */
export function sipSecretFor(extension, kind = 'webrtc') {
  return derived(`ttecphone-wazo-stub:sip-secret:${kind}:${extension}`, 16);
}

function makeUser({ number, password, firstname = 'Test', lastname, authentication = 'native', lines }, nextLineId) {
  const n = number.padStart(12, '0').slice(-12);
  return {
    login: `agent${number}`,
    // The Finesse agent's password is the Wazo user's password: the gadget logs into
    // Wazo with what Finesse gives it (for an LDAP user, the directory's password).
    password: password ?? `test-password-${number}`,
    uuid: `5f1a0000-0000-4000-8000-${n}`,
    firstname,
    lastname,
    email: `agent${number}@${LDAP_DOMAIN}`,
    authentication,
    lines: lines.map((kind) => {
      const id = nextLineId();
      const extension = kind === 'sccp' ? `2${number.slice(1)}` : number;
      const line = { id, kind, extension, protocol: kind === 'webrtc' || kind === 'desk' ? 'sip' : kind };
      if (line.protocol === 'sip') {
        line.sipUsername = sipUsernameFor(extension, kind);
        line.sipSecret = sipSecretFor(extension, kind);
        line.endpointUuid = `e0d1e0d1-0000-4000-8000-${String(id).padStart(12, '0')}`;
      }
      return line;
    }),
  };
}

/**
 * users.conf "<number> <password>" → Wazo users: login agent<number> with that password, one
 * WebRTC line on extension <number> (line ids are confd's own, not the extension); then
 * STUB_USERS (passwords test-password-<number>).
 */
export function loadUsers(file = DEFAULT_USERS_CONF, { stubUsers = true } = {}) {
  let lineId = 0;
  const nextLineId = () => ++lineId;
  const users = [];
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const [number, password] = raw.trim().split(/\s+/);
    if (!number || number.startsWith('#') || !password) continue;
    users.push(makeUser({ number, password, lastname: `Agent ${number}`, lines: ['webrtc'] }, nextLineId));
  }
  for (const spec of stubUsers ? STUB_USERS : []) {
    if (users.some((u) => u.login === `agent${spec.number}`)) throw new Error(`${file} already has ${spec.number}, a Wazo stub test user`);
    users.push(makeUser(spec, nextLineId));
  }
  const names = users.flatMap((u) => u.lines.filter((l) => l.sipUsername).map((l) => l.sipUsername));
  if (new Set(names).size !== names.length) throw new Error('two SIP lines got the same username');
  return users;
}

/**
 * Every SIP line's account, for the SIP test bed to create in its broker (Kamailio or
 * Asterisk): [{ username, password, extension, webrtc, login }], users in order, lines in
 * confd's order. `webrtc: false` is a desk phone's line (never registered by the gadget).
 */
export function sipAccounts(users = loadUsers()) {
  return users.flatMap((u) => u.lines.filter((l) => l.protocol === 'sip').map((l) => ({
    username: l.sipUsername, password: l.sipSecret, extension: l.extension, webrtc: l.kind === 'webrtc', login: u.login,
  })));
}

function isoLocal(ms) { return new Date(ms).toISOString().replace('Z', ''); }

// The SIP templates Wazo generates per tenant (wazo-confd plugins/event_handlers/service.py):
// a line's merged view is global ⊕ webrtc (WebRTC lines) ⊕ its own options, last value wins.
const GLOBAL_TEMPLATE = {
  uuid: 'b5a7c8f2-0000-4000-8000-000000000001', label: 'global',
  aor: [['maximum_expiration', '3600'], ['default_expiration', '120'], ['minimum_expiration', '60'], ['qualify_frequency', '60'], ['remove_existing', 'true'], ['max_contacts', '1']],
  endpoint: [['rtp_timeout', '7200'], ['allow_transfer', 'yes'], ['use_ptime', 'yes'], ['callerid', 'wazo'], ['direct_media', 'no'], ['dtmf_mode', 'rfc4733'], ['language', 'en_US'], ['inband_progress', 'no'], ['rtp_timeout_hold', '0'], ['timers_sess_expires', '600'], ['timers_min_se', '90'], ['trust_id_inbound', 'no'], ['allow_subscribe', 'yes'], ['allow', '!all,ulaw'], ['set_var', 'TIMEOUT(absolute)=36000'], ['notify_early_inuse_ringing', 'yes']],
};
const WEBRTC_TEMPLATE = {
  uuid: 'b5a7c8f2-0000-4000-8000-000000000002', label: 'webrtc',
  aor: [['remove_existing', 'false'], ['max_contacts', '10']],
  endpoint: [['webrtc', 'yes'], ['dtls_auto_generate_cert', 'yes'], ['allow', '!all,opus,g722,alaw,ulaw,vp9,vp8,h264'], ['max_video_streams', '25'], ['max_audio_streams', '1'], ['timers', 'always'], ['timers_sess_expires', '300'], ['timers_min_se', '90']],
};

/** confd's MergedEndpointSIPSchema: the sections' options in order, a later key replacing an earlier one. */
function merge(...lists) {
  const acc = new Map();
  for (const list of lists) for (const [k, v] of list) acc.set(k, v);
  return [...acc];
}

/**
 * Starts the stub. Options: port (0 = free), host, users (array or users.conf path),
 * tokenLifetimeS (caps the granted expiration; short for token-expiry tests),
 * engine ('current' = auth_section_options, 'legacy' = top-level username/secret, before 20.13),
 * wsTarget ('ws://127.0.0.1:8080/' or Asterisk's 'ws://127.0.0.1:8088/ws' — where /api/asterisk/ws
 * is proxied, the path rewritten to the target's; none = 502), maxUserConcurrentSessions
 * (default 100), wsReadTimeoutS (default 188; 0 = off). Later changes: configure() (see README).
 * Returns { origin, port, host, users, stats(), reset(), configure(opts), liveTokenUsers(), close() }.
 */
export async function startWazoStub(options = {}) {
  const host = options.host ?? '127.0.0.1';
  const users = Array.isArray(options.users) ? options.users : loadUsers(options.users);
  const settings = {
    tokenLifetimeS: options.tokenLifetimeS ?? null,
    engine: options.engine ?? 'current',
    wsTarget: options.wsTarget ?? null,
    maxUserConcurrentSessions: options.maxUserConcurrentSessions ?? MAX_USER_CONCURRENT_SESSIONS,
    wsReadTimeoutS: options.wsReadTimeoutS ?? WS_READ_TIMEOUT_S,
    // confd ≥ 26.x lists `is_webrtc` on each of the user's lines; older confd does not.
    lineIsWebrtc: options.lineIsWebrtc ?? true,
    // Answer the next N API requests with 503 (broker "unreachable" for retry tests).
    unavailable: 0,
    // Refuse every refresh token (as wazo-auth does after a restart or a revoked session).
    rejectRefresh: false,
    // Refuse every Basic login, as wazo-auth does once the user's password changed.
    rejectLogin: false,
    // The tenant's SAML IdP (its origin, e.g. unit_testing/sso/idp.mjs): with it the tenant's
    // domain (LDAP_DOMAIN) has a SAML config; without, /saml/sso answers 500 configuration-error.
    samlIdp: options.samlIdp ?? null,
  };
  // SAML sessions (wazo-auth's saml_session table): request id -> context.
  const samlSessions = new Map();
  const tokens = new Map(); // token -> session
  const refreshTokens = new Map(); // refresh token -> { user, clientId }
  const wsSockets = new Set();
  let counters;
  const reset = () => {
    counters = {
      requests: 0, preflights: 0, tokenPosts: 0, logins: 0, ldapLogins: 0, loginFailures: 0, refreshes: 0, refreshFailures: 0,
      badRequests: 0, tooManySessions: 0,
      heads: 0, headsValid: 0, tokenGets: 0, deletes: 0, confdUsers: 0, confdEndpoints: 0, confdEndpointLines: [],
      confdUnauthorized: 0, wsUpgrades: 0, wsRefused: 0, wsReadTimeouts: 0, unavailableAnswered: 0,
      samlSso: 0, samlAcs: 0, samlAcsFailures: 0, samlLogins: 0,
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
  function send(res, status, body, headers = {}) {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', ...headers });
    res.end(res.req.method === 'HEAD' ? undefined : text);
  }
  // wazo-auth's http._error: {reason: [msg], timestamp: [t], status_code}.
  const authError = (res, status, message) => send(res, status, { reason: [message], timestamp: [Date.now() / 1000], status_code: status });
  const authFailed = (res) => authError(res, 401, 'Authentication Failed');
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
  const liveSessionsOf = (user) => [...tokens.values()].filter((s) => s.user === user && s.expiresAt > Date.now()).length;

  function issue(user, { expiration, accessType, clientId, remote, userAgent }) {
    const requested = expiration ?? 7200;
    const lifetime = settings.tokenLifetimeS ? Math.min(requested, settings.tokenLifetimeS) : requested;
    const issuedAt = Date.now();
    const expiresAt = issuedAt + lifetime * 1000;
    const token = randomUUID();
    const session = { token, user, expiresAt, sessionUuid: randomUUID(), clientId };
    tokens.set(token, session);
    let refresh = null;
    if (accessType === 'offline') {
      // One refresh token per user and client_id: a second offline login gets the same one back.
      refresh = [...refreshTokens].find(([, r]) => r.user === user && r.clientId === clientId)?.[0] ?? null;
      if (!refresh) { refresh = randomUUID(); refreshTokens.set(refresh, { user, clientId }); }
    }
    const metadata = { uuid: user.uuid, tenant_uuid: TENANT_UUID, auth_id: user.uuid, pbx_user_uuid: user.uuid, xivo_uuid: XIVO_UUID, purpose: 'user', admin: false };
    const data = {
      token, session_uuid: session.sessionUuid,
      expires_at: isoLocal(expiresAt), utc_expires_at: isoLocal(expiresAt),
      issued_at: isoLocal(issuedAt), utc_issued_at: isoLocal(issuedAt),
      auth_id: user.uuid, xivo_user_uuid: user.uuid, xivo_uuid: XIVO_UUID,
      acl: ['confd.users.me.read', `confd.users.${user.uuid}.#`, 'auth.users.me.#'],
      metadata, user_agent: userAgent || '', remote_addr: remote || '',
    };
    // Token.to_dict(): `refresh_token` only when one was created (offline), never on a refresh.
    if (refresh) data.refresh_token = refresh;
    return { data };
  }

  async function readJson(req) {
    const chunks = [];
    let size = 0;
    for await (const c of req) { size += c.length; if (size > 65536) throw new Error('too large'); chunks.push(c); }
    const text = Buffer.concat(chunks).toString('utf8');
    return text ? JSON.parse(text) : {};
  }

  async function readText(req) {
    const chunks = [];
    let size = 0;
    for await (const c of req) { size += c.length; if (size > 262144) throw new Error('too large'); chunks.push(c); }
    return Buffer.concat(chunks).toString('utf8');
  }
  /** The origin the browser used to reach the stub (its Host header), as nginx's STACK_URL. */
  const publicOrigin = (req) => `http://${req.headers.host || `${host}:${server.address().port}`}`;

  function basic(req) {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/.exec(req.headers.authorization || '');
    if (!m) return null;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    return i < 0 ? null : { login: decoded.slice(0, i), password: decoded.slice(i + 1) };
  }

  /** TokenRequestSchema (wazo_auth/plugins/http/tokens/schemas.py): the messages of a 400, or null. */
  function schemaErrors(body) {
    const fields = {};
    const text = (k) => body[k] !== undefined && typeof body[k] !== 'string' && (fields[k] = ['Not a valid string.']);
    for (const k of ['backend', 'client_id', 'refresh_token', 'tenant_id', 'domain_name', 'saml_session_id']) text(k);
    if (body.expiration !== undefined && !(Number.isInteger(body.expiration) && body.expiration >= 1 && body.expiration <= TEN_YEARS_S)) {
      fields.expiration = [Number.isInteger(body.expiration) ? `Must be greater than or equal to 1 and less than or equal to ${TEN_YEARS_S}.` : 'Not a valid integer.'];
    }
    if (body.access_type !== undefined && !['online', 'offline'].includes(body.access_type)) fields.access_type = ['Must be one of: online, offline.'];
    if (typeof body.client_id === 'string' && (body.client_id.length < 1 || body.client_id.length > 1024)) fields.client_id = ['Length must be between 1 and 1024.'];
    if (Object.keys(fields).length) return fields;
    const schema = [];
    if (body.access_type === 'offline') {
      if (body.refresh_token) schema.push('cannot use the "access_type" "offline" with a refresh token');
      else if (!body.client_id) schema.push('"client_id" must be specified when using "access_type" is "offline"');
    }
    if (body.tenant_id && body.domain_name) schema.push('"tenant_id" and "domain_name" must be mutually exclusive');
    if (body.refresh_token && !body.client_id) schema.push('"client_id" must be specified when using a "refresh_token"');
    return schema.length ? { _schema: schema } : null;
  }
  // http.py answers `str(e.messages)`: a Python dict's repr.
  const pyRepr = (messages) => `{${Object.entries(messages).map(([k, v]) => `'${k}': [${v.map((m) => `'${m}'`).join(', ')}]`).join(', ')}}`;

  /** The tenant named by `domain_name` (its domain) or `tenant_id` (uuid or slug), if any. */
  const tenantOf = (body) => (body.domain_name ? body.domain_name === LDAP_DOMAIN : [TENANT_UUID, TENANT_SLUG].includes(body.tenant_id));

  async function postToken(req, res) {
    let body;
    counters.tokenPosts++;
    try { body = await readJson(req); } catch { counters.badRequests++; return authError(res, 400, 'Invalid JSON body'); }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) { counters.badRequests++; return authError(res, 400, "{'_schema': ['Invalid input type.']}"); }
    const errors = schemaErrors(body);
    if (errors) { counters.badRequests++; return authError(res, 400, pyRepr(errors)); }
    const options = { expiration: body.expiration, accessType: body.access_type, clientId: body.client_id, remote: req.socket.remoteAddress, userAgent: req.headers['user-agent'] };
    let user;
    let samlUsed = null;
    // wazo-auth tries the refresh token first (plugins/idp/refresh_token.py: refresh_token + client_id).
    if (body.refresh_token && body.client_id) {
      const entry = refreshTokens.get(body.refresh_token);
      if (!entry || entry.clientId !== body.client_id || settings.rejectRefresh) { counters.refreshFailures++; return authFailed(res); }
      user = entry.user;
    } else if ('saml_session_id' in body) {
      // plugins/idp/saml.py (priority 1): the login the IdP asserted for this SAML session; none
      // yet (the IdP has not answered) or unknown = NoMatchingSAMLSession -> 401. Then
      // services/authentication.py: the user's authentication method must be `saml`.
      const ctx = [...samlSessions.values()].find((c) => c.samlSessionId === body.saml_session_id);
      const found = ctx?.login ? byLogin(ctx.login) : null;
      if (!found || found.authentication !== 'saml') { counters.loginFailures++; return authFailed(res); }
      user = found;
      samlUsed = ctx;
    } else {
      const creds = basic(req);
      const ldap = Boolean(body.domain_name || body.tenant_id);
      const found = creds && byLogin(creds.login);
      // With `domain_name`/`tenant_id` the LDAP idp plugin takes the login (plugins/idp/ldap.py): the
      // password is checked against the tenant's directory, which holds only the LDAP users. Without,
      // the native idp does, and refuses users whose authentication method is not native
      // (services/authentication.py: UnauthorizedAuthenticationMethod). Either way: 401.
      const ok = creds && found && (body.backend ?? 'wazo_user') === 'wazo_user' && !settings.rejectLogin
        && (ldap ? tenantOf(body) && found.authentication === 'ldap' : found.authentication === 'native')
        && found.password === creds.password;
      if (!ok) { counters.loginFailures++; return authFailed(res); }
      user = found;
    }
    // services/token.py new_token: a user at max_user_concurrent_sessions gets 429 (logins and refreshes).
    if (liveSessionsOf(user) >= settings.maxUserConcurrentSessions) {
      counters.tooManySessions++;
      return authError(res, 429, `User ${user.uuid} has exceeded the maximum number of active sessions`);
    }
    if (body.refresh_token) counters.refreshes++;
    else { counters.logins++; if (user.authentication === 'ldap') counters.ldapLogins++; if (samlUsed) counters.samlLogins++; }
    const issued = issue(user, options);
    // tokens/http.py: with a refresh token, the SAML session id is spent (one token per SAML login).
    if (samlUsed && issued.data.refresh_token) { samlUsed.refreshToken = issued.data.refresh_token; samlUsed.samlSessionId = 'token-already-used'; }
    return send(res, 200, issued, { 'Wazo-Sessions-Revoked': '0' });
  }

  // wazo-auth's APIException body (xivo.rest_api_helpers): {message, error_id, details, resource, timestamp}.
  const apiError = (res, status, message, errorId, details = {}) => send(res, status, { message, error_id: errorId, details, resource: 'saml', timestamp: Date.now() / 1000 });

  /** plugins/http/saml SAMLSSO.post + services/saml.py prepare_redirect_response. */
  async function samlSso(req, res) {
    counters.samlSso++;
    let body;
    try { body = await readJson(req); } catch { return apiError(res, 400, 'redirect_url', 'invalid-data'); }
    // SAMLSSOSchema: redirect_url a string of length >= 1, domain matching DOMAIN_RE (the first bad field named).
    if (typeof body?.redirect_url !== 'string' || body.redirect_url.length < 1) return apiError(res, 400, 'redirect_url', 'invalid-data');
    if (typeof body.domain !== 'string' || !DOMAIN_RE.test(body.domain)) return apiError(res, 400, 'domain', 'invalid-data');
    // No SAML client for that domain: SAMLConfigurationError.
    if (!settings.samlIdp || body.domain !== LDAP_DOMAIN) {
      return apiError(res, 500, 'SAML client for domain not found or failed', 'configuration-error', { domain: body.domain });
    }
    const samlSessionId = randomBytes(16).toString('base64url'); // secrets.token_urlsafe(16)
    const relayState = createHash('sha256').update(samlSessionId).digest('base64url') + '='; // urlsafe_b64encode(sha256)
    const requestId = `id-${randomBytes(16).toString('hex')}`;
    const acs = `${publicOrigin(req)}/api/auth/0.1/saml/acs`;
    const authnRequest = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${requestId}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${settings.samlIdp}/idp/sso" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" AssertionConsumerServiceURL="${acs}"><saml:Issuer>${publicOrigin(req)}/api/auth/0.1/saml</saml:Issuer></samlp:AuthnRequest>`;
    const samlRequest = deflateRawSync(Buffer.from(authnRequest)).toString('base64');
    samlSessions.set(requestId, { requestId, samlSessionId, redirectUrl: body.redirect_url, domain: body.domain, relayState, login: null, startTime: Date.now() });
    const location = `${settings.samlIdp}/idp/sso?${new URLSearchParams({ SAMLRequest: samlRequest, RelayState: relayState })}`;
    // Flask-RESTful answers the returned dict with 200 (api.yml documents 201).
    return send(res, 200, { location, saml_session_id: samlSessionId });
  }

  /** plugins/http/saml SAMLACS.post + services/saml.py process_auth_response. */
  async function samlAcs(req, res) {
    counters.samlAcs++;
    let form;
    try { form = new URLSearchParams(await readText(req)); } catch { form = new URLSearchParams(); }
    const relayState = form.get('RelayState');
    const samlResponse = form.get('SAMLResponse');
    if (relayState === null || samlResponse === null) return apiError(res, 400, 'RelayState and/or SAMLResponse', 'invalid-data');
    const ctx = [...samlSessions.values()].find((c) => c.relayState === relayState);
    if (!ctx) { counters.samlAcsFailures++; return apiError(res, 404, 'SAML processing failed', 'processing-error', { error: 'Context not found' }); }
    const fail = () => {
      counters.samlAcsFailures++;
      samlSessions.delete(ctx.requestId);
      res.writeHead(302, { Location: `${ctx.redirectUrl}?login_failure_code=500`, 'Content-Length': 0 });
      return res.end();
    };
    let xml;
    try { xml = Buffer.from(samlResponse, 'base64').toString('utf8'); } catch { return fail(); }
    const inResponseTo = /<(?:\w+:)?Response\b[^>]*\bInResponseTo="([^"]*)"/.exec(xml)?.[1];
    const issuer = /<(?:\w+:)?Issuer[^>]*>([^<]*)</.exec(xml)?.[1];
    const success = /StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/.test(xml);
    const name = /<(?:\w+:)?Attribute Name="name"[^>]*>\s*<(?:\w+:)?AttributeValue[^>]*>([^<]*)</.exec(xml)?.[1];
    // pysaml2 checks the response answers an outstanding request of this SP and comes from the IdP.
    if (!success || !name || inResponseTo !== ctx.requestId || issuer !== IDP_ENTITY_ID) return fail();
    ctx.login = name;
    res.writeHead(302, { Location: ctx.redirectUrl, 'Content-Length': 0 });
    return res.end();
  }

  function lineBody(line, user) {
    const links = (kind, id) => [{ rel: kind, href: `https://wazo.example/api/confd/1.1/${kind}/${id}` }];
    const body = {
      id: line.id, tenant_uuid: TENANT_UUID, name: line.sipUsername ?? `${line.kind}${line.id}`, protocol: line.protocol,
      context: 'default', position: 1, device_slot: 1, device_id: null, provisioning_extension: String(100000 + line.id),
      provisioning_code: String(100000 + line.id), caller_id_name: `${user.firstname} ${user.lastname}`, caller_id_num: line.extension,
      registrar: 'default', links: links('lines', line.id), application: null,
      // LineListSchema: the SIP endpoint's uuid, label, name and auth username only.
      endpoint_sip: line.protocol === 'sip'
        ? { uuid: line.endpointUuid, label: `${line.kind === 'desk' ? 'desk phone' : 'webrtc'} ${line.extension}`, name: line.sipUsername, auth_section_options: [['username', line.sipUsername]], links: links('endpoints/sip', line.endpointUuid) }
        : null,
      endpoint_sccp: line.protocol === 'sccp' ? { id: line.id, links: links('endpoints/sccp', line.id) } : null,
      endpoint_custom: line.protocol === 'custom' ? { id: line.id, interface: `dahdi/i1/${line.extension}`, links: links('endpoints/custom', line.id) } : null,
      extensions: [{ id: line.id, exten: line.extension, context: 'default', links: links('extensions', line.id) }],
      users: [{ uuid: user.uuid, firstname: user.firstname, lastname: user.lastname }],
    };
    if (settings.lineIsWebrtc && settings.engine !== 'legacy') body.is_webrtc = line.kind === 'webrtc';
    return body;
  }

  function userBody(user) {
    return {
      uuid: user.uuid, id: Number(user.lines[0]?.extension ?? 0), tenant_uuid: TENANT_UUID,
      firstname: user.firstname, lastname: user.lastname, email: user.email, timezone: null, language: null,
      description: null, caller_id: `"${user.firstname} ${user.lastname}"`, outgoing_caller_id: 'default',
      mobile_phone_number: null, username: user.login, userfield: null, call_transfer_enabled: false,
      dtmf_hangup_enabled: false, call_record_outgoing_internal_enabled: false, online_call_record_enabled: false,
      supervision_enabled: true, ring_seconds: 30, simultaneous_calls: 5, call_permission_password: null,
      subscription_type: 0, created_at: '2026-01-01T00:00:00+00:00', enabled: true,
      lines: user.lines.map((l) => lineBody(l, user)),
      groups: [], incalls: [], voicemail: null, agent: null, switchboards: [], queues: [],
      fallbacks: {}, forwards: {}, services: {}, call_pickup_target_users: [], func_keys: {},
    };
  }

  function endpointBody(line, merged) {
    const webrtc = line.kind === 'webrtc';
    if (settings.engine === 'legacy') {
      // Before engine 20.13 (chan_sip era): top-level credentials and one `options` list.
      return { id: line.id, tenant_uuid: TENANT_UUID, username: line.sipUsername, secret: line.sipSecret, type: 'friend', host: 'dynamic', options: webrtc ? [['webrtc', 'yes']] : [], line: { id: line.id } };
    }
    const templates = webrtc ? [WEBRTC_TEMPLATE] : [GLOBAL_TEMPLATE];
    const own = {
      aor: [],
      auth: [['username', line.sipUsername], ['password', line.sipSecret]],
      endpoint: [['callerid', `"Agent ${line.extension}" <${line.extension}>`]],
    };
    const base = {
      uuid: line.endpointUuid, tenant_uuid: TENANT_UUID, name: line.sipUsername, label: line.kind === 'desk' ? `desk phone ${line.extension}` : `webrtc ${line.extension}`,
      asterisk_id: null, templates: templates.map(({ uuid, label }) => ({ uuid, label })),
      transport: { uuid: webrtc ? 'c0ffee00-0000-4000-8000-000000000002' : 'c0ffee00-0000-4000-8000-000000000001', name: webrtc ? 'transport-wss' : 'transport-udp' },
      context: { id: 1, name: 'default' }, line: { id: line.id }, trunk: null,
      identify_section_options: [], registration_section_options: [], registration_outbound_auth_section_options: [], outbound_auth_section_options: [],
    };
    if (!merged) return { ...base, aor_section_options: own.aor, auth_section_options: own.auth, endpoint_section_options: own.endpoint };
    // The webrtc template includes the global one.
    const chain = webrtc ? [GLOBAL_TEMPLATE, WEBRTC_TEMPLATE] : [GLOBAL_TEMPLATE];
    return {
      ...base,
      aor_section_options: merge(...chain.map((t) => t.aor), own.aor),
      auth_section_options: merge(own.auth),
      endpoint_section_options: merge(...chain.map((t) => t.endpoint), own.endpoint),
    };
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
      const view = url.searchParams.get('view');
      if (view !== null && view !== 'merged') return send(res, 400, [`Input Error - view: ['Must be one of: merged.']`]);
      counters.confdEndpoints++;
      counters.confdEndpointLines.push(parts[3]);
      // plugins/user_line_associated/resource.py: `main` is the first line; a line that is not
      // the user's, or has no SIP endpoint (SCCP, custom), is 404 'Resource Not Found.'.
      const line = parts[3] === 'main' ? user.lines[0] : user.lines.find((l) => String(l.id) === parts[3]);
      if (!line || line.protocol !== 'sip') return send(res, 404, 'Resource Not Found.');
      return send(res, 200, endpointBody(line, view === 'merged'));
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
          'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept, X-Auth-Token, Wazo-Tenant, Wazo-Session-Type',
          'Access-Control-Max-Age': '600',
          'Content-Length': 0,
        });
        return res.end();
      }
      if (url.pathname === '/api/asterisk/ws') {
        // nginx: 403 unless `Sec-WebSocket-Protocol: sip`; a plain GET reaches Asterisk, which wants an upgrade.
        if (req.headers['sec-websocket-protocol'] !== 'sip') { counters.wsRefused++; res.writeHead(403, { 'Content-Length': 0 }); return res.end(); }
        res.writeHead(426, { 'Content-Length': 0, Connection: 'close' });
        return res.end();
      }
      if (settings.unavailable > 0) {
        settings.unavailable--;
        counters.unavailableAnswered++;
        return send(res, 503, { message: 'Service Unavailable', error_id: 'service-unavailable' });
      }
      if (url.pathname === '/api/auth/0.1/token' && req.method === 'POST') return await postToken(req, res);
      if (url.pathname === '/api/auth/0.1/saml/sso' && req.method === 'POST') return await samlSso(req, res);
      if (url.pathname === '/api/auth/0.1/saml/acs' && req.method === 'POST') return await samlAcs(req, res);
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
      return send(res, 200, { ...settings });
    }
    return notFound(res, 'hook');
  }

  function configure(patch = {}) {
    if ('tokenLifetimeS' in patch) settings.tokenLifetimeS = patch.tokenLifetimeS ? Number(patch.tokenLifetimeS) : null;
    if ('engine' in patch) settings.engine = patch.engine === 'legacy' ? 'legacy' : 'current';
    if ('wsTarget' in patch) settings.wsTarget = patch.wsTarget || null;
    if ('maxUserConcurrentSessions' in patch) {
      settings.maxUserConcurrentSessions = patch.maxUserConcurrentSessions == null ? MAX_USER_CONCURRENT_SESSIONS : Math.max(0, Number(patch.maxUserConcurrentSessions) || 0);
    }
    if ('wsReadTimeoutS' in patch) settings.wsReadTimeoutS = Math.max(0, Number(patch.wsReadTimeoutS) || 0);
    if ('lineIsWebrtc' in patch) settings.lineIsWebrtc = Boolean(patch.lineIsWebrtc);
    if ('unavailable' in patch) settings.unavailable = Math.max(0, Number(patch.unavailable) || 0);
    if ('rejectRefresh' in patch) settings.rejectRefresh = Boolean(patch.rejectRefresh);
    if ('rejectLogin' in patch) settings.rejectLogin = Boolean(patch.rejectLogin);
    if ('samlIdp' in patch) settings.samlIdp = patch.samlIdp || null;
    if ('expireAll' in patch && patch.expireAll) for (const s of tokens.values()) s.expiresAt = 0;
  }

  function stats() {
    const now = Date.now();
    const live = [...tokens.values()].filter((s) => s.expiresAt > now);
    return { ...counters, confdEndpointLines: [...counters.confdEndpointLines], liveTokens: live.length, liveTokenUsers: live.map((s) => s.user.login).sort() };
  }

  // /api/asterisk/ws → the SIP WebSocket, as Wazo's nginx does it for Asterisk
  // (`location = /api/asterisk/ws`: 403 unless `Sec-WebSocket-Protocol` is exactly `sip`;
  // `proxy_pass http://127.0.0.1:5039/ws`: the path becomes the target's, the query is kept;
  // `proxy_read_timeout 188s`: closed when the target sends nothing for that long). The
  // handshake is forwarded byte for byte otherwise, then both directions are piped.
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url, 'http://stub');
    const refuse = (status) => socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    if (url.pathname !== '/api/asterisk/ws') return refuse('404 Not Found');
    if (req.headers['sec-websocket-protocol'] !== 'sip') { counters.wsRefused++; return refuse('403 Forbidden'); }
    if (!settings.wsTarget) return refuse('502 Bad Gateway');
    counters.wsUpgrades++;
    const target = new URL(settings.wsTarget);
    const upstream = net.connect(Number(target.port || 80), target.hostname, () => {
      const lines = [`GET ${target.pathname || '/'}${url.search} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i];
        lines.push(`${name}: ${name.toLowerCase() === 'host' ? target.host : req.rawHeaders[i + 1]}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head?.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    wsSockets.add(socket);
    let idle = null;
    const armIdle = () => {
      clearTimeout(idle);
      if (settings.wsReadTimeoutS > 0) idle = setTimeout(() => { counters.wsReadTimeouts++; close(); }, settings.wsReadTimeoutS * 1000);
    };
    const close = () => { clearTimeout(idle); wsSockets.delete(socket); socket.destroy(); upstream.destroy(); };
    armIdle();
    upstream.on('data', armIdle);
    upstream.on('error', close);
    socket.on('error', close);
    upstream.on('close', close);
    socket.on('close', close);
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
      for (const s of wsSockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
