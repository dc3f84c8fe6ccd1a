// Finesse single sign-on end to end: the built gadget in headless Chromium, inside the
// mock Finesse with its "SSO login" (the agent signed into the fake IdP, Finesse gives a
// bearer token in authToken and no password), on the SIP test bed.
//  * `wazo`: wazo-auth's SAML login in the Wazo stub (/saml/sso, the IdP in a hidden
//    iframe, /saml/acs, POST /token with saml_session_id), registered on the SAML user's
//    WebRTC line; the IdP that refuses to be framed or wants the password: "Sign in to the
//    phone", a window after the click; no domainName: the words name the setting.
//  * `sip`: the administrator's SIP credential service (unit_testing/sso/sip-credentials.mjs)
//    answers the Finesse token with that agent's SIP account; unreachable: retried;
//    no sipCredentialsUrl: the words name the setting; the token in `authorization`
//    (finesse.js 10.6.1's init then throws, or takes a wrong Config.id) changes nothing.
// Runs inside the bed:
//   bash unit_testing/bed/bed.sh exec node --test unit_testing/e2e/sso.test.mjs
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bedRunning, failureContext, inBedNamespace, loadBedEnv, runSipp } from '../bed/lib/bed.mjs';
import { broker } from '../bed/lib/brokers.mjs';
import { LDAP_DOMAIN, startWazoStub } from '../wazo_stub/stub.mjs';
import { startFakeIdp } from '../sso/idp.mjs';
import { startSipCredentials } from '../sso/sip-credentials.mjs';
import { expectText, gadgetFrame, gadgetStorage, inviteTo200Ms, launchBrowser, startMockFinesse, unrealCalls } from './harness.mjs';
import { traceEntries } from './bed-session.mjs';

const CHROMIUM_ARGS = [
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
];
const figures = {};
let env, b, stub, idp, creds, finesse, browser;

/** A new tab whose mock Finesse signs agent<number> in with SSO (`sso` options for setSso). */
const openPages = [];
// Every finesse.js call the gadget made under SSO, for the signature check (last test).
const seen = new Set();
/** Closes a page, first keeping the finesse.js calls its gadget made. */
async function done(p) {
  for (const f of p.isClosed() ? [] : p.frames().filter((fr) => fr.url().includes('/gadgets/ifr'))) {
    for (const call of await f.evaluate(() => finesse.__mockCalls()).catch(() => [])) seen.add(call);
  }
  await p.close().catch(() => {});
}
async function ssoPage(number, sso = {}) {
  const p = await browser.context.newPage();
  openPages.push(p);
  await p.addInitScript(({ password, sso: s }) => {
    if (window.top === window) window.mockFinesseInit = { password, sso: s };
  }, { password: `test-password-${number}`, sso: { on: true, idp: idp.origin, authorization: 'empty', idpSession: true, ...sso } });
  return p;
}

/** Opens agent<number>'s desktop under SSO with gadget `prefs`: {page, frame, t0}. */
async function openSso(number, prefs, sso = {}) {
  const page = await ssoPage(number, sso);
  const t0 = Date.now();
  await page.goto(desktopUrl(number, prefs));
  return { page, frame: await gadgetFrame(page), t0 };
}

function desktopUrl(number, prefs, state = 'READY') {
  return `${finesse.origin}/desktop/?agent=agent${number}&ext=${Number(number) - 1000}&webrtc=${number}&state=${state}&prefs=${encodeURIComponent(prefs)}`;
}
const wazoPrefs = (extra = `&domainName=${LDAP_DOMAIN}`) => `brokerKind=wazo&brokerHost=${stub.host}${extra}`;
const sipPrefs = (extra = `&sipCredentialsUrl=${encodeURIComponent(creds.url)}`) => `brokerKind=sip&wsUrl=${b.wsUrl}&sipDomain=${b.sipDomain}${extra}`;

async function registered(frame, timeoutMs = 20000) {
  await expectText(frame, '.ttec-registration__word', 'Registered', timeoutMs).catch(async (e) => {
    e.message += `\nproblems: ${await frame.$$eval('.ttec-problem', (els) => els.map((el) => el.textContent).join(' | ')).catch(() => '?')}`;
    throw e;
  });
}
const problem = (frame, code) => frame.$eval(`.ttec-problem[data-problem=${code}]`, (e) => e.textContent).catch(() => null);
async function waitForProblem(frame, code, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await problem(frame, code);
    if (text) return text;
    await new Promise((r) => setTimeout(r, 50));
  }
  const all = await frame.$$eval('.ttec-problem', (els) => els.map((el) => `${el.dataset.problem}: ${el.textContent}`).join(' | ')).catch(() => '?');
  throw new Error(`no ${code} problem; the bar shows: ${all}`);
}

/** The agent signs into the fake IdP's form in the window the gadget opened. */
async function signInAtIdp(win) {
  await win.waitForSelector('input[name=user]');
  await win.fill('input[name=user]', 'agent3007');
  await win.fill('input[name=password]', 'test-password-3007');
  await win.click('button[type=submit]');
}

async function waitUntil(what, predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Nothing secret in the gadget's DOM, trace, storages or the mock's event log. */
async function noSecrets(page, frame, secrets) {
  const dom = await frame.content();
  const trace = (await traceEntries(frame)).map((e) => e.text).join('\n');
  assert.ok(trace.length > 0, 'the trace was read');
  const stores = await gadgetStorage(frame);
  const urls = page.frames().map((f) => f.url()).join(' ');
  for (const [name, value] of Object.entries(secrets)) {
    assert.ok(value && value.length >= 4, name);
    assert.ok(!dom.includes(value), `${name} in the DOM`);
    assert.ok(!trace.includes(value), `${name} in the trace`);
    assert.ok(!urls.includes(value), `${name} in a URL`);
    assert.ok(!JSON.stringify({ ...(await frame.evaluate(() => ({ ...localStorage }))) }).includes(value), `${name} in localStorage`);
    // The wazo session (token, refresh token) lives in sessionStorage by design (README, `wazo` kind).
    if (!/^wazo /.test(name)) assert.ok(!stores.includes(value), `${name} in storage`);
  }
  assert.deepEqual(await page.evaluate(() => window.mockFinesse.getEvents('secret-leak')), []);
}
const gadgetToken = (frame) => frame.evaluate(() => new gadgets.Prefs().getString('authToken'));

describe('Finesse single sign-on (fake IdP, Wazo stub SAML, SIP credential service; Kamailio + rtpengine)', () => {
  before(async () => {
    assert.ok(await bedRunning(), 'the SIP test bed is not running: `bash unit_testing/bed/bed.sh start`');
    env = loadBedEnv();
    assert.ok(inBedNamespace(env), 'run this inside the bed: bash unit_testing/bed/bed.sh exec node --test …');
    b = broker(undefined, env);
    idp = await startFakeIdp();
    stub = await startWazoStub({ port: 0, wsTarget: b.wsUrl, samlIdp: idp.origin });
    finesse = await startMockFinesse();
    creds = await startSipCredentials({ tokenCheck: `${idp.origin}/idp/userinfo`, allowOrigins: [finesse.origin] });
    for (const user of [stub.users.find((u) => u.login === 'agent3007').lines[0].sipUsername, '3001']) await b.clearContacts(user);
    browser = await launchBrowser(CHROMIUM_ARGS);
  });

  // A page left open by a failed test would hold the agent's tab lock for the next one.
  afterEach(async () => {
    for (const p of openPages.splice(0)) await done(p);
  });

  after(async () => {
    await browser?.close();
    await finesse?.stop();
    await creds?.close();
    await stub?.close();
    await idp?.close();
    console.log(`# sso figures: ${JSON.stringify(figures)}`);
  });

  const samlLine = () => stub.users.find((u) => u.login === 'agent3007').lines[0].sipUsername;

  test('wazo: signs in through the SAML flow without a prompt (hidden iframe), registers and answers a call', async () => {
    stub.reset(); idp.reset();
    const { page, frame, t0 } = await openSso('3007', wazoPrefs());
    await registered(frame);
    figures.wazoSsoLoadToRegisteredMs = Date.now() - t0;
    const s = stub.stats();
    assert.equal(s.samlSso, 1, JSON.stringify(s));
    assert.equal(s.samlAcs, 1);
    assert.equal(s.samlLogins, 1);
    assert.equal(s.loginFailures, 0);
    assert.equal(s.confdEndpoints, 1);
    const i = idp.stats();
    assert.equal(i.silentAnswers, 1, JSON.stringify(i));
    assert.equal(i.prompts, 0, 'the IdP asked for nothing');
    assert.equal(await frame.$('.ttec-sso-frame'), null, 'the hidden iframe is gone');
    assert.ok(b.contactsOf(samlLine()) >= 1, 'registered on the SAML user\'s WebRTC line');
    // finesse.js (10.6.1 as the mock plays it) rewrote the empty authorization; the User loaded anyway.
    await expectText(frame, '.ttec-autoanswer__status', /^(?![\s\S]*while unknown$)./, 10000);
    const run = await runSipp('uac_call.xml', { service: '3007', env, broker: b, durationMs: 600 });
    const result = await run.done;
    assert.equal(result.code, 0, `sipp exited ${result.code}\n${failureContext(run)}`);
    figures.wazoSsoInviteTo200Ms = inviteTo200Ms(run);
    const cached = JSON.parse(await frame.evaluate(() => sessionStorage.getItem('ttecphone.wazo-session')));
    await noSecrets(page, frame, { 'SSO token': await gadgetToken(frame), 'wazo token': cached.token, 'wazo refresh token': cached.refreshToken });
    await b.clearContacts(samlLine());
  });

  test('wazo: a refused refresh falls back to one fresh SAML login, silently; the phone stays registered', async () => {
    stub.configure({ tokenLifetimeS: 5, rejectRefresh: true });
    try {
      const { frame } = await openSso('3007', wazoPrefs());
      await registered(frame);
      const cached = async () => JSON.parse(await frame.evaluate(() => sessionStorage.getItem('ttecphone.wazo-session')));
      const first = await cached();
      stub.reset(); idp.reset();
      await waitUntil('a refused refresh at the stub', () => stub.stats().refreshFailures >= 1, 8000);
      await waitUntil('a fresh SAML login', () => stub.stats().samlLogins >= 1, 12000);
      await waitUntil('the new token cached', async () => (await cached()).token !== first.token, 3000);
      assert.equal(stub.stats().samlLogins, 1, 'exactly one fresh login per refused refresh');
      assert.equal(idp.stats().prompts, 0, 'without a prompt');
      assert.equal(await frame.$('.ttec-sso-frame'), null, 'the hidden iframe is gone');
      await expectText(frame, '.ttec-registration__word', 'Registered', 1000);
    } finally {
      stub.configure({ tokenLifetimeS: null, rejectRefresh: false });
    }
    await b.clearContacts(samlLine());
  });

  test('wazo: a renewal the company sign-in page answers only with the agent there: "Sign in to the phone", still registered; the click signs in in a window', async () => {
    stub.configure({ tokenLifetimeS: 5, rejectRefresh: true });
    try {
      const { page, frame } = await openSso('3007', wazoPrefs());
      await registered(frame);
      stub.reset(); idp.reset();
      idp.configure({ endSessions: true }); // the agent's session at the IdP ends
      const t0 = Date.now();
      const text = await waitForProblem(frame, 'session-sign-in', 30000);
      figures.wazoRenewalNeedsAgentShownMs = Date.now() - t0;
      assert.match(text, /sign in with your company account once more/);
      assert.match(text, /Calls still come in for now\. Click “Sign in to the phone”\./);
      assert.ok(idp.stats().prompts >= 1, 'the hidden iframe met the sign-in form');
      await expectText(frame, '.ttec-registration__word', 'Registered', 1000);
      const popup = page.waitForEvent('popup');
      const t1 = Date.now();
      await frame.click('.ttec-problem[data-problem=session-sign-in] .ttec-problem__action');
      await signInAtIdp(await popup);
      await frame.waitForSelector('.ttec-problem[data-problem=session-sign-in]', { state: 'detached', timeout: 10000 });
      figures.wazoRenewalClickToRenewedMs = Date.now() - t1;
      assert.equal(idp.stats().promptLogins, 1);
      await expectText(frame, '.ttec-registration__word', 'Registered', 1000);
    } finally {
      stub.configure({ tokenLifetimeS: null, rejectRefresh: false });
    }
    await b.clearContacts(samlLine());
  });

  test('wazo: an IdP that refuses to be framed: "Sign in to the phone", the click opens its window, which answers and closes', async () => {
    idp.configure({ frameable: false });
    try {
      stub.reset(); idp.reset();
      const page = await ssoPage('3007');
      await page.goto(desktopUrl('3007', wazoPrefs()));
      const frame = await gadgetFrame(page);
      const text = await waitForProblem(frame, 'sso-sign-in', 20000);
      assert.match(text, /sign in with your company account/);
      assert.match(text, /Click “Sign in to the phone”/);
      const popup = page.waitForEvent('popup');
      const t0 = Date.now();
      await frame.click('.ttec-problem[data-problem=sso-sign-in] .ttec-problem__action');
      const win = await popup;
      await registered(frame);
      figures.wazoSsoClickToRegisteredMs = Date.now() - t0;
      await win.waitForEvent('close', { timeout: 5000 }).catch(() => {});
      assert.ok(win.isClosed(), 'the gadget closed the sign-in window');
      const i = idp.stats();
      assert.equal(i.prompts, 0, JSON.stringify(i));
      assert.ok(i.silentAnswers >= 1);
      assert.equal(stub.stats().samlLogins, 1);
      await b.clearContacts(samlLine());
    } finally { idp.configure({ frameable: true }); }
  });

  test('wazo: no IdP session in this browser: the IdP asks the agent in the window; signed in, registered', async () => {
    stub.reset(); idp.reset();
    idp.configure({ endSessions: true }); // the earlier tests' IdP cookie no longer counts
    const { page, frame } = await openSso('3007', wazoPrefs(), { idpSession: false });
    await waitForProblem(frame, 'sso-sign-in', 20000);
    assert.equal(idp.stats().prompts, 1, 'the hidden iframe met the sign-in form');
    const popup = page.waitForEvent('popup');
    await frame.click('.ttec-problem[data-problem=sso-sign-in] .ttec-problem__action');
    await signInAtIdp(await popup);
    await registered(frame);
    assert.equal(idp.stats().promptLogins, 1);
    assert.equal(stub.stats().samlLogins, 1);
    await b.clearContacts(samlLine());
  });

  test('wazo: the IdP refusing, or Wazo refusing the asserted user: plain words, one next step, not retried', async () => {
    idp.configure({ refuse: true });
    try {
      stub.reset();
      const { frame } = await openSso('3007', wazoPrefs());
      const text = await waitForProblem(frame, 'sso-refused', 20000);
      assert.match(text, /Your company sign-in did not let the phone in: Wazo did not accept the answer of your company sign-in \(code 500\)/);
      assert.match(text, /Sign out of Finesse and sign in again/);
      assert.equal(stub.stats().samlAcsFailures, 1);
    } finally { idp.configure({ refuse: false }); }
    // agent3000 is one of Wazo's own users (not `saml`): the IdP vouches for it, wazo-auth says 401.
    const { frame } = await openSso('3000', wazoPrefs());
    const text = await waitForProblem(frame, 'sso-refused', 20000);
    assert.match(text, /is your Wazo user set to sign in with SAML\?/);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(stub.stats().samlSso, 2, 'not retried');
  });

  test('wazo without domainName: plain words naming the setting, nothing asked of the broker', async () => {
    stub.reset();
    const { page, frame } = await openSso('3007', wazoPrefs(''));
    const text = await waitForProblem(frame, 'sso-no-password');
    assert.match(text, /single sign-on/);
    assert.match(text, /domainName/);
    assert.equal(stub.stats().tokenPosts + stub.stats().samlSso, 0);
  });

  test('sip: registers with the credentials of the administrator\'s service', async () => {
    const before = creds.stats();
    const { page, frame, t0 } = await openSso('3001', sipPrefs());
    await registered(frame);
    figures.sipSsoLoadToRegisteredMs = Date.now() - t0;
    const after = creds.stats();
    assert.equal(after.answered - before.answered, 1, JSON.stringify(after));
    assert.ok(b.contactsOf('3001') >= 1);
    await noSecrets(page, frame, { 'SSO token': await gadgetToken(frame), 'SIP password': 'test-password-3001' });
    await b.clearContacts('3001');
  });

  test('sip: the token handed over in authorization too (init throws on an opaque one, takes a wrong id from a JWT): still registered', async () => {
    for (const authorization of ['token', 'jwt']) {
      const { page, frame } = await openSso('3001', sipPrefs(), { authorization });
      await registered(frame);
      await noSecrets(page, frame, { 'SSO token': await gadgetToken(frame) });
      await done(page);
      await b.clearContacts('3001');
    }
  });

  test('sip: the credential service unavailable is retried with backoff, then registered', async () => {
    creds.configure({ unavailable: 2 });
    const before = creds.stats();
    const { page, frame, t0 } = await openSso('3001', sipPrefs());
    await registered(frame);
    figures.sipSsoTwoRetriesToRegisteredMs = Date.now() - t0;
    assert.equal(creds.stats().unavailableAnswered - before.unavailableAnswered, 2);
    await b.clearContacts('3001');
  });

  test('sip without sipCredentialsUrl: plain words naming the setting, nothing registered', async () => {
    const { page, frame } = await openSso('3001', sipPrefs(''));
    const text = await waitForProblem(frame, 'sso-no-password');
    assert.match(text, /sipCredentialsUrl/);
    assert.equal(b.contactsOf('3001'), 0);
  });

  test('under SSO the gadget calls only functions and options the real finesse.js has', () => {
    assert.ok(seen.has('ClientServices.init'), `seen: ${[...seen].join('; ')}`);
    assert.deepEqual(unrealCalls(seen), [], `calls seen: ${[...seen].join('; ')}`);
  });
});
