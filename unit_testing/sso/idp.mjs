// A fake SAML identity provider (IdP) for single sign-on tests, the one Finesse and
// Wazo both trust. Node standard library only; loopback; test passwords only.
//
// In a real deployment the agent signs into Finesse through the company's IdP (via
// Cisco IdS, which then gives Finesse's desktop a bearer token), and the browser keeps
// the IdP's session cookie. Wazo's wazo-auth is another SAML service provider of the
// same IdP, so when the gadget sends the browser there, the IdP answers at once.
// This stand-in plays both roles of that company side:
//
//   POST /idp/login            {user, password, session?} (CORS with credentials): the agent's
//                              Finesse SSO sign-in. Sets the IdP session cookie (unless
//                              session:false) and answers {access_token, token_type, expires_in}:
//                              the bearer token Finesse gives gadgets (as IdS would mint it).
//   POST /idp/logout           ends the IdP session (cookie cleared)
//   GET  /idp/userinfo         Authorization: Bearer <token> -> 200 {sub, ...} | 401: how a service
//                              checks a Finesse SSO token (stands in for Finesse answering
//                              GET /finesse/api/User/<id> with that bearer)
//   GET  /idp/sso?SAMLRequest=&RelayState=   SAML 2.0 HTTP-Redirect binding (DEFLATE + Base64
//                              AuthnRequest). With a session: an auto-posting form to the
//                              request's AssertionConsumerServiceURL (HTTP-POST binding:
//                              SAMLResponse + RelayState) at once. Without: a sign-in form.
//   POST /idp/sso/login        the sign-in form's submit: sets the session, then the auto-post
//   GET  /__idp/stats, POST /__idp/config, POST /__idp/reset   test hooks (no secrets)
//
// Not a real IdP: assertions are unsigned, NameID is the login, one attribute `name`.
import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const IDP_ENTITY_ID = 'https://idp.ttec.example/saml';
const COOKIE = 'ttec_idp';

/** Listens on `host:port` (0 = free); {port, close()} where close also ends open connections. */
export async function listen(server, port = 0, host = '127.0.0.1') {
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, host, resolve); });
  const sockets = new Set();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  return {
    port: server.address().port,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Test passwords: users.conf's, else `test-password-<number>` for agent<number> (the stub's users). */
export function loadPasswords(file = path.join(HERE, '../bed/users.conf')) {
  const out = new Map();
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const [number, password] = raw.trim().split(/\s+/);
    if (number && !number.startsWith('#') && password) out.set(`agent${number}`, password);
  }
  return out;
}

const xmlEscape = (s) => String(s).replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' }[c]));
const attr = (xml, name) => new RegExp(`\\b${name}="([^"]*)"`).exec(xml)?.[1] ?? null;

/** Reads a Redirect-binding SAMLRequest: {id, acs, issuer} or null. */
export function readAuthnRequest(samlRequest) {
  try {
    const xml = inflateRawSync(Buffer.from(samlRequest, 'base64')).toString('utf8');
    if (!/<(\w+:)?AuthnRequest\b/.test(xml)) return null;
    const issuer = /<(?:\w+:)?Issuer[^>]*>([^<]*)</.exec(xml)?.[1] ?? null;
    return { id: attr(xml, 'ID'), acs: attr(xml, 'AssertionConsumerServiceURL'), issuer };
  } catch { return null; }
}

function samlResponse({ inResponseTo, acs, audience, login, failed }) {
  const now = new Date().toISOString();
  const later = new Date(Date.now() + 5 * 60_000).toISOString();
  const status = failed
    ? '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"/></samlp:StatusCode></samlp:Status>'
    : '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>';
  const assertion = failed ? '' : `<saml:Assertion ID="_${randomUUID()}" IssueInstant="${now}" Version="2.0"><saml:Issuer>${IDP_ENTITY_ID}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${xmlEscape(login)}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="${xmlEscape(inResponseTo)}" NotOnOrAfter="${later}" Recipient="${xmlEscape(acs)}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="${now}" NotOnOrAfter="${later}"><saml:AudienceRestriction><saml:Audience>${xmlEscape(audience ?? '')}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="${now}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement><saml:Attribute Name="name"><saml:AttributeValue>${xmlEscape(login)}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>`;
  const xml = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_${randomUUID()}" InResponseTo="${xmlEscape(inResponseTo)}" IssueInstant="${now}" Destination="${xmlEscape(acs)}" Version="2.0"><saml:Issuer>${IDP_ENTITY_ID}</saml:Issuer>${status}${assertion}</samlp:Response>`;
  return Buffer.from(xml).toString('base64');
}

/**
 * Starts the IdP. Options: port (0 = free), host, passwords (Map login -> password),
 * tokenLifetimeS (3600). configure({frameable, refuse, promptAlways}) later.
 * Returns { origin, host, port, stats(), reset(), configure(), isValidToken(t), close() }.
 */
export async function startFakeIdp(options = {}) {
  const host = options.host ?? '127.0.0.1';
  const passwords = options.passwords ?? loadPasswords();
  const checkPassword = (login, password) => Boolean(login) && typeof password === 'string' && password !== ''
    && (passwords.get(login) ?? (/^agent\d+$/.test(login) ? `test-password-${login.slice(5)}` : null)) === password;
  const settings = {
    // Real IdPs (ADFS, Entra ID, Okta) usually refuse to be framed: false sends
    // X-Frame-Options: DENY and frame-ancestors 'none' on the IdP's pages.
    frameable: options.frameable ?? true,
    // Answer every SAML request with a failure status (AuthnFailed).
    refuse: false,
    // Ask for the password even with a session (as an IdP demanding re-authentication).
    promptAlways: false,
  };
  const sessions = new Map(); // cookie value -> login
  const tokens = new Map(); // access token -> { login, expiresAt }
  let counters;
  const reset = () => { counters = { logins: 0, loginFailures: 0, userinfo: 0, userinfoRefused: 0, ssoRequests: 0, silentAnswers: 0, prompts: 0, promptLogins: 0, refusals: 0, badRequests: 0 }; };
  reset();

  const cookieOf = (req) => /(?:^|;\s*)ttec_idp=([^;]+)/.exec(req.headers.cookie || '')?.[1] ?? null;
  const sessionLogin = (req) => sessions.get(cookieOf(req)) ?? null;
  const newSession = (res, login) => {
    const sid = randomBytes(18).toString('base64url');
    sessions.set(sid, login);
    res.setHeader('Set-Cookie', `${COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Lax`);
  };
  const cors = (req, res) => {
    if (req.headers.origin) {
      res.setHeader('Access-Control-Allow-Origin', req.headers.origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
  };
  const json = (res, status, body) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
    res.end(text);
  };
  const page = (res, status, title, body) => {
    const headers = { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' };
    if (!settings.frameable) { headers['X-Frame-Options'] = 'DENY'; headers['Content-Security-Policy'] = "frame-ancestors 'none'"; }
    res.writeHead(status, headers);
    res.end(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${xmlEscape(title)}</title></head><body>${body}</body></html>`);
  };
  const readBody = async (req) => {
    const chunks = [];
    let size = 0;
    for await (const c of req) { size += c.length; if (size > 262144) throw new Error('too large'); chunks.push(c); }
    return Buffer.concat(chunks).toString('utf8');
  };
  /** The auto-posting form of the HTTP-POST binding, back to the SP's ACS. */
  const postBack = (res, request, relayState, login) => {
    const failed = settings.refuse;
    if (failed) counters.refusals++;
    const response = samlResponse({ inResponseTo: request.id, acs: request.acs, audience: request.issuer, login, failed });
    page(res, 200, 'Signing in…', `<form method="post" action="${xmlEscape(request.acs)}"><input type="hidden" name="SAMLResponse" value="${response}"><input type="hidden" name="RelayState" value="${xmlEscape(relayState)}"><noscript><button type="submit">Continue</button></noscript></form><script>document.forms[0].submit();</script>`);
  };
  const signInForm = (res, samlRequest, relayState, error) => {
    counters.prompts++;
    page(res, 200, 'Company sign-in', `<h1>Company sign-in</h1>${error ? `<p role="alert">${xmlEscape(error)}</p>` : ''}<form method="post" action="/idp/sso/login"><input type="hidden" name="SAMLRequest" value="${xmlEscape(samlRequest)}"><input type="hidden" name="RelayState" value="${xmlEscape(relayState)}"><label>User <input name="user" autocomplete="username"></label><label>Password <input name="password" type="password" autocomplete="current-password"></label><button type="submit">Sign in</button></form>`);
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://idp');
    cors(req, res);
    try {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS', 'Access-Control-Allow-Headers': 'Authorization, Content-Type', 'Content-Length': 0 });
        return res.end();
      }
      if (url.pathname === '/__idp/stats') return json(res, 200, { ...counters, sessions: sessions.size, liveTokens: [...tokens.values()].filter((t) => t.expiresAt > Date.now()).length });
      if (url.pathname === '/__idp/reset' && req.method === 'POST') { reset(); return json(res, 200, counters); }
      if (url.pathname === '/__idp/config' && req.method === 'POST') { configure(JSON.parse((await readBody(req)) || '{}')); return json(res, 200, settings); }
      if (url.pathname === '/idp/login' && req.method === 'POST') {
        let body;
        try { body = JSON.parse(await readBody(req)); } catch { counters.badRequests++; return json(res, 400, { error: 'invalid_request' }); }
        if (!checkPassword(body?.user, body?.password)) { counters.loginFailures++; return json(res, 401, { error: 'invalid_grant' }); }
        counters.logins++;
        if (body.session !== false) newSession(res, body.user);
        const token = randomBytes(32).toString('base64url');
        const lifetime = options.tokenLifetimeS ?? 3600;
        tokens.set(token, { login: body.user, expiresAt: Date.now() + lifetime * 1000 });
        return json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: lifetime });
      }
      if (url.pathname === '/idp/logout' && req.method === 'POST') {
        sessions.delete(cookieOf(req));
        res.setHeader('Set-Cookie', `${COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`);
        return json(res, 200, { ok: true });
      }
      if (url.pathname === '/idp/userinfo' && req.method === 'GET') {
        counters.userinfo++;
        const token = /^Bearer\s+(\S+)$/.exec(req.headers.authorization || '')?.[1];
        const entry = token && tokens.get(token);
        if (!entry || entry.expiresAt <= Date.now()) { counters.userinfoRefused++; res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"'); return json(res, 401, { error: 'invalid_token' }); }
        return json(res, 200, { sub: entry.login });
      }
      if (url.pathname === '/idp/sso' && req.method === 'GET') {
        counters.ssoRequests++;
        const samlRequest = url.searchParams.get('SAMLRequest') ?? '';
        const relayState = url.searchParams.get('RelayState') ?? '';
        const request = readAuthnRequest(samlRequest);
        if (!request?.id || !request.acs) { counters.badRequests++; return page(res, 400, 'Bad request', '<p>Not a SAML AuthnRequest.</p>'); }
        const login = sessionLogin(req);
        if (login && !settings.promptAlways) { counters.silentAnswers++; return postBack(res, request, relayState, login); }
        return signInForm(res, samlRequest, relayState);
      }
      if (url.pathname === '/idp/sso/login' && req.method === 'POST') {
        const form = new URLSearchParams(await readBody(req));
        const request = readAuthnRequest(form.get('SAMLRequest') ?? '');
        if (!request?.id || !request.acs) { counters.badRequests++; return page(res, 400, 'Bad request', '<p>Not a SAML AuthnRequest.</p>'); }
        if (!checkPassword(form.get('user'), form.get('password'))) {
          counters.loginFailures++;
          return signInForm(res, form.get('SAMLRequest'), form.get('RelayState') ?? '', 'Wrong user or password.');
        }
        counters.promptLogins++;
        newSession(res, form.get('user'));
        return postBack(res, request, form.get('RelayState') ?? '', form.get('user'));
      }
      return json(res, 404, { error: 'not_found' });
    } catch (error) {
      if (!res.headersSent) json(res, 500, { error: 'server_error' });
      console.error('fake idp error:', error?.message);
    }
  });

  function configure(patch = {}) {
    for (const k of ['frameable', 'refuse', 'promptAlways']) if (k in patch) settings[k] = Boolean(patch[k]);
    if (patch.endSessions) sessions.clear();
  }

  const { port, close } = await listen(server, options.port, host);
  return {
    origin: `http://${host}:${port}`,
    host: `${host}:${port}`,
    port,
    entityId: IDP_ENTITY_ID,
    stats: () => ({ ...counters, sessions: sessions.size }),
    reset,
    configure,
    /** The login a token belongs to, or null (for in-process checks). */
    tokenLogin: (token) => { const e = tokens.get(token); return e && e.expiresAt > Date.now() ? e.login : null; },
    close,
  };
}
