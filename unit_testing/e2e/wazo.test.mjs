// The `wazo` broker kind end to end: the built gadget in headless Chromium,
// inside the mock Finesse, logging into the Wazo stub (wazo-auth + confd) with
// the Finesse credentials, registering over the stub's /api/asterisk/ws (proxied
// to the bed's broker, as Wazo's nginx proxies it to Asterisk) on the line's SIP
// username, token reuse on reload, LOGOUT, wrong password, microphone failures, and
// the users unlike the simple case: a desk phone listed before the WebRTC line, no
// WebRTC line, an LDAP user (domainName), too many sessions (429). The bed must have
// the stub's SIP accounts (unit_testing/wazo_stub/accounts.mjs). Runs inside the bed:
//   bash unit_testing/bed/bed.sh exec node --test unit_testing/e2e/wazo.test.mjs
//   E2E_BROKER=asterisk bash unit_testing/bed/bed.sh exec node --test unit_testing/e2e/wazo.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bedRunning, failureContext, inBedNamespace, loadBedEnv, runSipp } from '../bed/lib/bed.mjs';
import { broker } from '../bed/lib/brokers.mjs';
import { LDAP_DOMAIN, startWazoStub } from '../wazo_stub/stub.mjs';
import { expectText, gadgetFrame, inviteTo200Ms, launchBrowser, median, startMockFinesse } from './harness.mjs';

const SESSION_KEY = 'ttecphone.wazo-session';
const CHROMIUM_ARGS = [
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
];
const figures = {};
let env, b, stub, finesse, browser, page;

/** The mock desktop for agent<number> (WebRTC number <number>), with extra gadget prefs. */
function desktopUrl(state = 'READY', { number = '3000', ext = '2000', prefs = '' } = {}) {
  const all = `brokerKind=wazo&brokerHost=${stub.host}${prefs ? `&${prefs}` : ''}`;
  return `${finesse.origin}/desktop/?agent=agent${number}&ext=${ext}&webrtc=${number}&state=${state}&prefs=${encodeURIComponent(all)}`;
}

/** A new tab (its own sessionStorage) whose mock Finesse signs in as agent<number>. */
async function agentPage(number) {
  const p = await browser.context.newPage();
  await p.addInitScript((password) => { window.mockFinesseInit = { password }; }, `test-password-${number}`);
  return p;
}

/** Loads the desktop; resolves with the gadget's frame once its bar rendered. */
async function loadGadget(onPage, state, options) {
  await onPage.goto(desktopUrl(state, options));
  return gadgetFrame(onPage);
}

async function openGadget(onPage = page, state = 'READY', options = {}) {
  const t0 = Date.now();
  const frame = await loadGadget(onPage, state, options);
  await expectText(frame, '.ttec-registration__word', 'Registered', 15000)
    .catch(async (e) => {
      e.message += `\ndetail: ${await frame.$eval('.ttec-registration__detail', (el) => el.textContent).catch(() => '?')}`;
      throw e;
    });
  return { frame, registeredMs: Date.now() - t0 };
}

/** The stub's line of `login` of that kind (`webrtc`, `desk`): its SIP username names its AOR. */
const lineOf = (login, kind = 'webrtc') => stub.users.find((u) => u.login === login).lines.find((l) => l.kind === kind);
const problemText = (frame, code, part) => frame.$eval(`.ttec-problem[data-problem=${code}] .ttec-problem__${part}`, (e) => e.textContent);
const cachedSession = (frame) => frame.evaluate((key) => sessionStorage.getItem(key), SESSION_KEY);
const localStorageText = (frame) => frame.evaluate(() => JSON.stringify({ ...localStorage }));
const microphoneOpens = (frame) => frame.evaluate(() => window.__ttecGetUserMediaCalls ?? 0);

async function countGetUserMedia(context) {
  await context.addInitScript(() => {
    window.__ttecGetUserMediaCalls = 0;
    const md = navigator.mediaDevices;
    if (md && md.getUserMedia) {
      const original = md.getUserMedia.bind(md);
      md.getUserMedia = (constraints) => { window.__ttecGetUserMediaCalls += 1; return original(constraints); };
    }
  });
}

async function waitFor(what, predicate, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('wazo broker kind (Wazo stub + Kamailio + rtpengine)', () => {
  before(async () => {
    assert.ok(await bedRunning(), 'the SIP test bed is not running: `bash unit_testing/bed/bed.sh start`');
    env = loadBedEnv();
    assert.ok(inBedNamespace(env), 'run this inside the bed: bash unit_testing/bed/bed.sh exec node --test …');
    b = broker(undefined, env);
    stub = await startWazoStub({ port: 0, wsTarget: b.wsUrl });
    // Contacts other suites may have left for the lines would take (or fail) our calls.
    for (const login of ['agent3000', 'agent3004']) await b.clearContacts(lineOf(login).sipUsername);
    finesse = await startMockFinesse();
    browser = await launchBrowser(CHROMIUM_ARGS);
    await countGetUserMedia(browser.context);
    page = await browser.context.newPage();
  });

  after(async () => {
    await browser?.close();
    await finesse?.stop();
    await stub?.close();
    console.log(`# wazo figures: ${JSON.stringify(figures)}`);
  });

  test('page load -> Registered: one login with the Finesse credentials, the SIP line from confd', async () => {
    stub.reset();
    const registersAs3000 = b.requests('REGISTER', '3000'); // other suites register 3000 with the `sip` kind
    const { frame, registeredMs } = await openGadget();
    figures.loadToRegisteredMsFirstLogin = registeredMs;
    const s = stub.stats();
    assert.equal(s.logins, 1, JSON.stringify(s));
    assert.equal(s.loginFailures, 0);
    assert.equal(s.heads, 0, 'nothing cached yet: no token check');
    assert.equal(s.confdUsers, 1);
    assert.equal(s.confdEndpoints, 1);
    assert.ok(s.preflights >= 1, 'the broker is another origin: CORS preflight expected');
    assert.ok(s.wsUpgrades >= 1, 'registered over the stub /api/asterisk/ws');
    assert.equal(s.wsRefused, 0, 'the gadget asks for the `sip` subprotocol, as Wazo\'s nginx requires');
    // The AOR is the line's SIP username (random, like Wazo's), not the WebRTC number.
    const { sipUsername } = lineOf('agent3000');
    assert.notEqual(sipUsername, '3000');
    assert.ok(b.contactsOf(sipUsername) >= 1, `no contact for ${sipUsername} at the broker`);
    assert.equal(b.requests('REGISTER', '3000'), registersAs3000, 'a REGISTER from the extension');
    assert.match(await frame.$eval('.ttec-registration__number', (e) => e.textContent), /3000/, 'the bar shows the WebRTC number');
    const cached = JSON.parse(await cachedSession(frame));
    assert.equal(cached.login, 'agent3000');
    assert.equal(cached.userUuid, stub.users.find((u) => u.login === 'agent3000').uuid);
    assert.ok(cached.token && cached.refreshToken);
    assert.ok(cached.expiresAt > Date.now() + 3500 * 1000, 'expiry on the browser clock, about an hour ahead');
    const local = await localStorageText(frame);
    assert.ok(!local.includes(cached.token) && !local.includes(cached.refreshToken), 'no token in localStorage');
    assert.ok(!(await frame.content()).includes(cached.token), 'no token in the DOM');
    assert.deepEqual(await page.evaluate(() => window.mockFinesse.getEvents('secret-leak')), []);
  });

  test('reload reuses the cached token: one HEAD, no second login', async () => {
    stub.reset();
    const loads = [];
    for (let i = 0; i < 3; i++) loads.push((await openGadget()).registeredMs);
    figures.loadToRegisteredMsReusedTokenMedian = median(loads);
    const s = stub.stats();
    assert.equal(s.logins, 0, `a reload logged in again: ${JSON.stringify(s)}`);
    assert.equal(s.heads, 3, 'one token check per load');
    assert.equal(s.headsValid, 3);
    assert.equal(s.confdEndpoints, 3);
  });

  test('calls through the wazo kind are auto-answered (INVITE -> 200 OK at the broker side)', async () => {
    const { frame } = await openGadget(page, 'READY');
    const times = [];
    for (let i = 0; i < 5; i++) {
      const run = await runSipp('uac_call.xml', { service: '3000', env, broker: b, durationMs: 600, caller: `06998877${String(i).padStart(2, '0')}` });
      const result = await run.done;
      assert.equal(result.code, 0, `sipp exited ${result.code}\n${failureContext(run)}`);
      const ms = inviteTo200Ms(run);
      if (ms !== undefined) times.push(ms);
      await expectText(frame, '[aria-live=polite]', 'Call ended: the caller hung up.', 5000);
    }
    assert.equal(times.length, 5);
    figures.inviteTo200MsMedianWazo = Math.round(median(times) * 10) / 10;
  });

  test('Finesse LOGOUT: un-REGISTER, token DELETEd at the broker and gone from sessionStorage', async () => {
    const { frame } = await openGadget();
    const { sipUsername } = lineOf('agent3000');
    assert.ok(b.contactsOf(sipUsername) >= 1, 'registered at the broker before LOGOUT');
    stub.reset();
    await page.evaluate(() => window.mockFinesse.setState('LOGOUT'));
    await expectText(frame, '.ttec-registration__detail', 'Logged out of Finesse.', 5000);
    await waitFor('DELETE at the stub', () => stub.stats().deletes === 1);
    assert.equal(await cachedSession(frame), null, 'token still cached after LOGOUT');
    assert.deepEqual(stub.liveTokenUsers(), [], 'a token is still live at the broker');
    await waitFor('the contact to leave the broker', async () => b.contactsOf(sipUsername) === 0);
  });

  test('wrong password: AuthFailed in plain words, no retry storm', async () => {
    stub.reset();
    await page.evaluate(() => window.mockFinesse.setUser({ password: 'not-the-password', state: 'READY' }));
    const reloaded = await gadgetFrame(page);
    await expectText(reloaded, '.ttec-registration__word', 'Error', 10000);
    await expectText(reloaded, '.ttec-problem[data-problem=broker-credentials] .ttec-problem__title', /refused your Finesse user name and password/, 3000);
    await new Promise((r) => setTimeout(r, 2000));
    const s = stub.stats();
    assert.equal(s.loginFailures, 1, `retried a refused login: ${JSON.stringify(s)}`);
    assert.equal(s.logins, 0);
    assert.equal(await cachedSession(reloaded), null);
    await page.goto('about:blank'); // nothing of this browser stays registered
  });

  test('the token is refreshed before it expires, and the old one revoked', async () => {
    stub.configure({ tokenLifetimeS: 5 });
    const fresh = await browser.context.newPage(); // a new tab: its own sessionStorage
    try {
      const { frame } = await openGadget(fresh);
      const first = JSON.parse(await cachedSession(frame));
      stub.reset();
      await waitFor('a refresh at the stub', () => stub.stats().refreshes >= 1, 8000);
      await waitFor('the old token revoked', () => stub.stats().deletes >= 1, 3000);
      const second = JSON.parse(await cachedSession(frame));
      assert.notEqual(second.token, first.token, 'the cached token was not replaced');
      assert.equal(stub.stats().logins, 0, 'refreshed by refresh token, not a new login');
      assert.deepEqual(stub.liveTokenUsers(), ['agent3000'], 'exactly one live token');
      await expectText(frame, '.ttec-registration__word', 'Registered', 1000);
      await fresh.goto('about:blank');
    } finally {
      stub.configure({ tokenLifetimeS: null });
      await fresh.close();
    }
  });

  test('a refused refresh falls back to one fresh login with the Finesse credentials; the phone stays registered', async () => {
    stub.configure({ tokenLifetimeS: 5, rejectRefresh: true });
    const fresh = await browser.context.newPage();
    try {
      const { frame } = await openGadget(fresh);
      const first = JSON.parse(await cachedSession(frame));
      stub.reset();
      await waitFor('a refused refresh at the stub', () => stub.stats().refreshFailures >= 1, 8000);
      await waitFor('a fresh login', () => stub.stats().logins >= 1, 3000);
      // The stub counts the login when it answers; the gadget caches the token a moment later.
      await waitFor('the new token cached', async () => JSON.parse(await cachedSession(frame)).token !== first.token, 3000);
      assert.equal(stub.stats().logins, 1, 'exactly one fresh login per refused refresh');
      await expectText(frame, '.ttec-registration__word', 'Registered', 1000);
      await fresh.goto('about:blank');
    } finally {
      stub.configure({ tokenLifetimeS: null, rejectRefresh: false });
      await fresh.close();
    }
  });

  test('a refused refresh and a refused fresh login: a clear error, at most 3 POST /token a minute, cleared once the login works again', async () => {
    stub.configure({ tokenLifetimeS: 5 });
    const fresh = await browser.context.newPage();
    try {
      const { frame } = await openGadget(fresh);
      const { sipUsername } = lineOf('agent3000');
      // The password changed at the broker (and the refresh token died with the old session).
      stub.configure({ rejectRefresh: true, rejectLogin: true });
      stub.reset();
      await waitFor('a refused refresh at the stub', () => stub.stats().refreshFailures >= 1, 8000);
      const t0 = Date.now();
      const problem = '.ttec-problem[data-problem=session-refused]';
      await expectText(frame, `${problem} .ttec-problem__title`,
        'The phone system refused to renew your session, and a fresh sign-in failed (the Wazo broker refused your Finesse user name and password).', 5000);
      figures.refusedRenewalShownMs = Date.now() - t0;
      assert.match(await frame.$eval(`${problem} .ttec-problem__next`, (e) => e.textContent), /sign out of Finesse and sign in again/);
      assert.equal(await frame.$eval(problem, (e) => e.getAttribute('role')), 'alert');
      let s = stub.stats();
      assert.deepEqual([s.refreshFailures, s.loginFailures, s.logins], [1, 1, 0], `one refused refresh, then one refused login: ${JSON.stringify(s)}`);
      // The SIP registration does not hang on the token: still registered, at the gadget and the broker.
      await expectText(frame, '.ttec-registration__word', 'Registered', 1000);
      assert.ok(b.contactsOf(sipUsername) >= 1, 'the contact left the broker');
      // No hammering: nothing more for the next 20 s (the retry waits 30-35 s).
      await new Promise((r) => setTimeout(r, 20000));
      s = stub.stats();
      assert.equal(s.tokenPosts, 2, `POST /token while refused: ${JSON.stringify(s)}`);
      await expectText(frame, '.ttec-registration__word', 'Registered', 1000);
      assert.ok(b.contactsOf(sipUsername) >= 1, 'the contact left the broker while the session was refused');
      // The password is fixed at the broker: the next try signs in and the problem goes.
      stub.configure({ rejectRefresh: false, rejectLogin: false, tokenLifetimeS: null });
      await waitFor('the problem to clear', async () => !(await frame.$(problem)), 20000);
      const recoveredMs = Date.now() - t0;
      figures.refusedRenewalRetryRecoveredMs = recoveredMs;
      s = stub.stats();
      figures.tokenPostsUntilRecovery = s.tokenPosts;
      assert.equal(s.logins, 1, `one successful login: ${JSON.stringify(s)}`);
      assert.ok(recoveredMs < 60000, `recovered within the minute (${recoveredMs} ms)`);
      assert.ok(s.tokenPosts <= 3, `at most 3 POST /token a minute: ${s.tokenPosts} in ${recoveredMs} ms`);
      const cached = JSON.parse(await cachedSession(frame));
      assert.ok(cached.expiresAt > Date.now() + 3500 * 1000, 'the renewed token is the new, hour-long one');
      await expectText(frame, '.ttec-registration__word', 'Registered', 1000);
      await fresh.goto('about:blank');
    } finally {
      stub.configure({ tokenLifetimeS: null, rejectRefresh: false, rejectLogin: false });
      await fresh.close();
    }
  });

  for (const [name, options, kind, text, endText] of [
    ['microphone denied', { fakeUi: false }, 'microphone-denied', /^The browser blocks the microphone/, 'Call not answered: the microphone is blocked.'],
    ['no microphone', { fakeDevices: false }, 'no-microphone', /^No microphone found/, 'Call not answered: no microphone found.'],
  ]) {
    test(`${name}: the call is rejected with 480 and the agent is told what to do`, async () => {
      const other = await launchBrowser([...CHROMIUM_ARGS, ...(options.fakeUi === false ? ['--deny-permission-prompts'] : [])], options);
      try {
        await countGetUserMedia(other.context);
        const otherPage = await other.context.newPage();
        const consoleLines = [];
        otherPage.on('console', (m) => consoleLines.push(m.text()));
        const { frame } = await openGadget(otherPage);
        const run = await runSipp('uac_expect_reject.xml', { service: '3000', env, broker: b, durationMs: 1000 });
        const result = await run.done;
        assert.equal(result.code, 0, `expected a 480: sipp exited ${result.code}\n${failureContext(run)}`);
        assert.equal(await microphoneOpens(frame), 1, 'the microphone was tried once');
        const problem = `.ttec-problem[data-problem=${kind}]`;
        await expectText(frame, `${problem} .ttec-problem__title`, text, 5000);
        assert.equal(await frame.$eval(problem, (e) => e.getAttribute('role')), 'alert');
        assert.match(await frame.$eval(`${problem} .ttec-problem__next`, (e) => e.textContent), /\S/, 'one next step');
        await expectText(frame, '[aria-live=polite]', endText, 3000).catch(async (e) => {
          e.message += `\nbar: ${await frame.$eval('.ttec-bar', (el) => el.innerText)}\nconsole: ${consoleLines.join('\n')}`;
          throw e;
        });
        await expectText(frame, '.ttec-registration__word', 'Registered', 1000);
        await otherPage.goto('about:blank');
      } finally {
        await other.close();
      }
    });
  }
  test('a desk phone line listed before the WebRTC line: the phone registers on the WebRTC line, one endpoint request, and answers calls', async () => {
    // agent3004: an SCCP line, a desk phone's SIP line on 3004, then the WebRTC line on 3004.
    const desk = lineOf('agent3004', 'desk');
    const webrtc = lineOf('agent3004');
    const tab = await agentPage('3004');
    try {
      stub.reset();
      const { frame } = await openGadget(tab, 'READY', { number: '3004', ext: '2004' });
      let s = stub.stats();
      assert.deepEqual(s.confdEndpointLines, [String(webrtc.id)], 'confd marks is_webrtc: only the WebRTC line is read');
      assert.ok(b.contactsOf(webrtc.sipUsername) >= 1, 'registered on the WebRTC line');
      assert.equal(b.contactsOf(desk.sipUsername), 0, 'never on the desk phone\'s line');
      assert.equal(b.requests('REGISTER', desk.sipUsername), 0);
      const run = await runSipp('uac_call.xml', { service: '3004', env, broker: b, durationMs: 600 });
      const result = await run.done;
      assert.equal(result.code, 0, `sipp exited ${result.code}\n${failureContext(run)}`);
      await expectText(frame, '[aria-live=polite]', 'Call ended: the caller hung up.', 5000);

      // An older confd (no is_webrtc): the desk phone on the number is read first, then passed over.
      stub.configure({ lineIsWebrtc: false });
      stub.reset();
      await openGadget(tab, 'READY', { number: '3004', ext: '2004' }); // every sign-in reads the lines again
      s = stub.stats();
      assert.deepEqual(s.confdEndpointLines, [String(desk.id), String(webrtc.id)], 'the SCCP line is never asked for');
      assert.equal(b.contactsOf(desk.sipUsername), 0, 'never on the desk phone\'s line');
      assert.ok(b.contactsOf(webrtc.sipUsername) >= 1);
      await tab.goto('about:blank');
    } finally {
      stub.configure({ lineIsWebrtc: true });
      await tab.close();
    }
  });

  test('a user without a WebRTC line: plain words with one next step, nothing registered, no retry', async () => {
    // agent3005: a desk phone's SIP line and a custom line, both on 3005.
    const tab = await agentPage('3005');
    try {
      stub.reset();
      const frame = await loadGadget(tab, 'READY', { number: '3005', ext: '2005' });
      await expectText(frame, '.ttec-problem[data-problem=no-webrtc-line] .ttec-problem__title',
        'Your Wazo user has no WebRTC line, so the phone cannot sign in.', 10000);
      assert.equal(await problemText(frame, 'no-webrtc-line', 'next'), 'Ask your administrator to add a WebRTC line to your Wazo user.');
      await expectText(frame, '.ttec-registration__word', 'Error', 1000);
      await new Promise((r) => setTimeout(r, 2000));
      const s = stub.stats();
      assert.deepEqual([s.logins, s.confdUsers, s.confdEndpoints], [1, 1, 1], `one login, one user, one endpoint (the desk line): ${JSON.stringify(s)}`);
      const desk = lineOf('agent3005', 'desk');
      assert.equal(b.contactsOf(desk.sipUsername), 0);
      assert.equal(b.requests('REGISTER', desk.sipUsername), 0, 'never registers on a desk phone\'s line');
      await tab.goto('about:blank');
    } finally {
      await tab.close();
    }
  });

  test('an LDAP-backed user: refused without domainName (the words name the setting), registered with it', async () => {
    const tab = await agentPage('3006');
    try {
      stub.reset();
      const refused = await loadGadget(tab, 'READY', { number: '3006', ext: '2006' });
      await expectText(refused, '.ttec-problem[data-problem=broker-credentials] .ttec-problem__title', /domainName/, 10000);
      let s = stub.stats();
      assert.deepEqual([s.loginFailures, s.logins], [1, 0], JSON.stringify(s));
      stub.reset();
      const { frame } = await openGadget(tab, 'READY', { number: '3006', ext: '2006', prefs: `domainName=${LDAP_DOMAIN}` });
      s = stub.stats();
      assert.deepEqual([s.logins, s.ldapLogins, s.loginFailures], [1, 1, 0], JSON.stringify(s));
      assert.ok(b.contactsOf(lineOf('agent3006').sipUsername) >= 1);
      assert.ok(JSON.parse(await cachedSession(frame)).refreshToken, 'an offline session, refreshed without domain_name');
      await tab.goto('about:blank');
    } finally {
      await tab.close();
    }
  });

  test('wazo-auth 429 (the user already has max_user_concurrent_sessions): its own words, not retried', async () => {
    stub.configure({ maxUserConcurrentSessions: 1 });
    const tab = await agentPage('3001');
    let otherToken;
    try {
      // Another application holds the user's only session.
      const other = await fetch(`${stub.origin}/api/auth/0.1/token`, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from('agent3001:test-password-3001').toString('base64')}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ backend: 'wazo_user', expiration: 600 }),
      });
      assert.equal(other.status, 200);
      otherToken = (await other.json()).data.token;
      stub.reset();
      const frame = await loadGadget(tab, 'READY', { number: '3001', ext: '2001' });
      await expectText(frame, '.ttec-problem[data-problem=too-many-sessions] .ttec-problem__title',
        'Too many open sessions for your Wazo user, so the phone cannot sign in.', 10000);
      assert.equal(await problemText(frame, 'too-many-sessions', 'next'),
        'Close the phone in other tabs, then reload Finesse; if it happens again, ask your administrator.');
      await new Promise((r) => setTimeout(r, 2000));
      const s = stub.stats();
      assert.deepEqual([s.tokenPosts, s.tooManySessions, s.logins], [1, 1, 0], `no retry storm: ${JSON.stringify(s)}`);
      await tab.goto('about:blank');
    } finally {
      stub.configure({ maxUserConcurrentSessions: null });
      if (otherToken) await fetch(`${stub.origin}/api/auth/0.1/token/${otherToken}`, { method: 'DELETE' });
      await tab.close();
    }
  });
});
