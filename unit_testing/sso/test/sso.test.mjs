// The single sign-on stand-ins without a browser: the fake IdP, the Wazo stub's SAML
// login (wazo-auth's /saml/sso, /saml/acs and POST /token with saml_session_id, as
// wazo-platform/wazo-auth serves them), and the SIP credential service.
//   node --test unit_testing/sso/test/
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeIdp } from '../idp.mjs';
import { startSipCredentials } from '../sip-credentials.mjs';
import { LDAP_DOMAIN, startWazoStub } from '../../wazo_stub/stub.mjs';

const REDIRECT = 'http://127.0.0.1:9/3rdpartygadget/files/TTECPhone/sso.html';
let idp, stub, creds;

before(async () => {
  idp = await startFakeIdp();
  stub = await startWazoStub({ samlIdp: idp.origin });
  creds = await startSipCredentials({ tokenCheck: `${idp.origin}/idp/userinfo`, allowOrigins: ['http://127.0.0.1:8083'] });
});
after(async () => { await creds?.close(); await stub?.close(); await idp?.close(); });

const post = (url, body, headers = {}) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body), redirect: 'manual' });

/** The Finesse SSO sign-in at the IdP: {cookie, token}. */
async function idpLogin(user = 'agent3007', { session = true } = {}) {
  const r = await post(`${idp.origin}/idp/login`, { user, password: `test-password-${user.slice(5)}`, session });
  assert.equal(r.status, 200);
  const cookie = (r.headers.get('set-cookie') || '').split(';')[0];
  return { cookie, token: (await r.json()).access_token };
}

/** The browser leg: IdP (with the cookie), its auto-posted form to the ACS; the ACS answer. */
async function browserLeg(location, cookie) {
  const page = await fetch(location, { headers: cookie ? { Cookie: cookie } : {} });
  const html = await page.text();
  const form = /<form method="post" action="([^"]+)">/.exec(html);
  if (!form || !/name="SAMLResponse"/.test(html)) return { prompted: /Company sign-in/.test(html), html };
  const field = (n) => /name="([^"]+)" value="([^"]*)"/g;
  const values = Object.fromEntries([...html.matchAll(field())].map((m) => [m[1], m[2].replace(/&amp;/g, '&')]));
  const acs = await fetch(form[1], { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(values), redirect: 'manual' });
  return { acs };
}

describe('wazo-auth SAML login in the Wazo stub, with the fake IdP', () => {
  test('an agent with an IdP session signs in without a prompt; the SAML session id is spent', async () => {
    const { cookie } = await idpLogin();
    const sso = await post(`${stub.origin}/api/auth/0.1/saml/sso`, { redirect_url: REDIRECT, domain: LDAP_DOMAIN });
    assert.equal(sso.status, 200);
    const { location, saml_session_id: sid } = await sso.json();
    assert.ok(location.startsWith(`${idp.origin}/idp/sso?SAMLRequest=`) && location.includes('&RelayState='), location);
    assert.ok(!location.includes(sid), 'the session id is not in the IdP URL');
    // Before the IdP answered: no login yet.
    const early = await post(`${stub.origin}/api/auth/0.1/token`, { saml_session_id: sid, access_type: 'offline', client_id: 'ttecphone' });
    assert.equal(early.status, 401);
    const { acs } = await browserLeg(location, cookie);
    assert.equal(acs.status, 302);
    assert.equal(acs.headers.get('location'), REDIRECT);
    const token = await post(`${stub.origin}/api/auth/0.1/token`, { backend: 'wazo_user', expiration: 3600, saml_session_id: sid, access_type: 'offline', client_id: 'ttecphone' });
    assert.equal(token.status, 200);
    const data = (await token.json()).data;
    assert.ok(data.token && data.refresh_token);
    assert.equal(data.metadata.uuid, stub.users.find((u) => u.login === 'agent3007').uuid);
    const again = await post(`${stub.origin}/api/auth/0.1/token`, { saml_session_id: sid, access_type: 'offline', client_id: 'ttecphone' });
    assert.equal(again.status, 401, 'one token per SAML login');
    assert.equal(idp.stats().silentAnswers >= 1, true);
  });

  test('without an IdP session the IdP asks for the password; a refusing IdP lands with login_failure_code', async () => {
    const sso = await (await post(`${stub.origin}/api/auth/0.1/saml/sso`, { redirect_url: REDIRECT, domain: LDAP_DOMAIN })).json();
    const leg = await browserLeg(sso.location, null);
    assert.equal(leg.prompted, true);
    const { cookie } = await idpLogin();
    idp.configure({ refuse: true });
    try {
      const sso2 = await (await post(`${stub.origin}/api/auth/0.1/saml/sso`, { redirect_url: REDIRECT, domain: LDAP_DOMAIN })).json();
      const { acs } = await browserLeg(sso2.location, cookie);
      assert.equal(acs.status, 302);
      assert.equal(acs.headers.get('location'), `${REDIRECT}?login_failure_code=500`);
      const t = await post(`${stub.origin}/api/auth/0.1/token`, { saml_session_id: sso2.saml_session_id, access_type: 'offline', client_id: 'ttecphone' });
      assert.equal(t.status, 401);
    } finally { idp.configure({ refuse: false }); }
  });

  test('a native user asserted by the IdP is refused (authentication method), Basic for a SAML user too', async () => {
    const { cookie } = await idpLogin('agent3000');
    const sso = await (await post(`${stub.origin}/api/auth/0.1/saml/sso`, { redirect_url: REDIRECT, domain: LDAP_DOMAIN })).json();
    const { acs } = await browserLeg(sso.location, cookie);
    assert.equal(acs.status, 302);
    const t = await post(`${stub.origin}/api/auth/0.1/token`, { saml_session_id: sso.saml_session_id, access_type: 'offline', client_id: 'ttecphone' });
    assert.equal(t.status, 401);
    const basic = await post(`${stub.origin}/api/auth/0.1/token`, { access_type: 'offline', client_id: 'ttecphone' },
      { Authorization: `Basic ${Buffer.from('agent3007:test-password-3007').toString('base64')}` });
    assert.equal(basic.status, 401);
  });

  test('errors as wazo-auth answers them', async () => {
    const body = async (r) => { const j = await r.json(); delete j.timestamp; return [r.status, j]; };
    assert.deepEqual(await body(await post(`${stub.origin}/api/auth/0.1/saml/sso`, { domain: LDAP_DOMAIN })),
      [400, { message: 'redirect_url', error_id: 'invalid-data', details: {}, resource: 'saml' }]);
    assert.deepEqual(await body(await post(`${stub.origin}/api/auth/0.1/saml/sso`, { redirect_url: REDIRECT, domain: 'notadomain' })),
      [400, { message: 'domain', error_id: 'invalid-data', details: {}, resource: 'saml' }]);
    assert.deepEqual(await body(await post(`${stub.origin}/api/auth/0.1/saml/sso`, { redirect_url: REDIRECT, domain: 'unknown.com' })),
      [500, { message: 'SAML client for domain not found or failed', error_id: 'configuration-error', details: { domain: 'unknown.com' }, resource: 'saml' }]);
    const acs = (form) => fetch(`${stub.origin}/api/auth/0.1/saml/acs`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form), redirect: 'manual' });
    assert.deepEqual(await body(await acs({ SAMLResponse: 'x' })),
      [400, { message: 'RelayState and/or SAMLResponse', error_id: 'invalid-data', details: {}, resource: 'saml' }]);
    assert.deepEqual(await body(await acs({ SAMLResponse: 'x', RelayState: 'nope' })),
      [404, { message: 'SAML processing failed', error_id: 'processing-error', details: { error: 'Context not found' }, resource: 'saml' }]);
  });
});

describe('the SIP credential service stand-in', () => {
  const get = (token, origin) => fetch(creds.url, { headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(origin ? { Origin: origin } : {}) } });

  test('answers only the token owner\'s own account, never cached', async () => {
    const { token } = await idpLogin('agent3001', { session: false });
    const r = await get(token, 'http://127.0.0.1:8083');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.headers.get('access-control-allow-origin'), 'http://127.0.0.1:8083');
    assert.deepEqual(await r.json(), { username: '3001', password: 'test-password-3001', number: '3001' });
  });

  test('no token, a token Finesse does not know, an unknown origin, no account', async () => {
    assert.equal((await get(null)).status, 401);
    assert.equal((await get('forged-token')).status, 401);
    const { token } = await idpLogin('agent3001', { session: false });
    const other = await get(token, 'http://evil.example');
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    const { token: t9 } = await idpLogin('agent3999', { session: false });
    assert.equal((await get(t9)).status, 404);
    creds.configure({ unavailable: 1 });
    assert.equal((await get(token)).status, 503);
    assert.equal((await get(token)).status, 200);
    const s = creds.stats();
    assert.ok(s.answered >= 2 && s.refused >= 2 && s.noAccount >= 1, JSON.stringify(s));
  });
});
