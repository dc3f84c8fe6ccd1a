// The gadget against a mock finesse.js that behaves like the real library where the
// gadget can notice (issue 19): finesse.gadget.Config filled at script load or only at
// onConnect (hub at once and 1.5 s late), ClientServices.init rewriting Config (id from
// authorization, password added in clear), REST failures reaching onError, and the
// real library's signatures (../mock_finesse/REAL-SIGNATURES.md); the supervisor's board
// reading agents' call quality from the mock's collector (records posted by the test).
// No SIP bed: a fake SIP-over-WebSocket broker registers the phone.
//   node --test unit_testing/e2e/finesse-real.test.mjs   (after `bash unit_testing/dev/release.sh`)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { WebSocketServer } from 'ws';
import { expectText, freePort, gadgetFrame, gadgetStorage, launchBrowser, ROOT, startMockFinesse, unrealCalls } from './harness.mjs';

const PASSWORD = 'test-password-3000'; // the mock agent's Finesse password
const SELF_LOCK = /another tab or window/;

/**
 * A broker that answers REGISTER 200: without a challenge, or (`password` set) after an
 * MD5 digest challenge whose response it checks against that password (UTF-8, as SIP
 * servers store it), 403 when it does not match.
 */
async function startBroker({ password } = {}) {
  const port = await freePort();
  const server = new WebSocketServer({ host: '127.0.0.1', port, handleProtocols: (p) => (p.has('sip') ? 'sip' : false) });
  const state = { registers: 0, refused: 0 };
  const md5 = (text) => crypto.createHash('md5').update(text, 'utf8').digest('hex');
  const answer = (msg, status, extra = []) => {
    const keep = msg.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
    return [`SIP/2.0 ${status}`, ...keep, ...extra, 'Content-Length: 0', '', ''].join('\r\n');
  };
  server.on('connection', (ws) => ws.on('message', (data) => {
    const msg = String(data);
    if (!msg.startsWith('REGISTER ')) return;
    state.registers += 1;
    const contact = (/^Contact:\s*(.*)$/mi.exec(msg) || [])[1] || '';
    const auth = (/^Authorization:\s*Digest (.*)$/mi.exec(msg) || [])[1];
    if (password !== undefined && !auth) {
      ws.send(answer(msg, '401 Unauthorized', ['WWW-Authenticate: Digest realm="fake.test", nonce="n0nce", qop="auth", algorithm=MD5']));
      return;
    }
    if (password !== undefined) {
      const f = Object.fromEntries([...auth.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)].map((m) => [m[1], m[2] ?? m[3]]));
      const ha1 = md5(`${f.username}:${f.realm}:${password}`);
      const ha2 = md5(`REGISTER:${f.uri}`);
      if (f.response !== md5(`${ha1}:${f.nonce}:${f.nc}:${f.cnonce}:${f.qop}:${ha2}`)) {
        state.refused += 1;
        ws.send(answer(msg, '403 Forbidden'));
        return;
      }
    }
    ws.send(answer(msg, '200 OK', [`Contact: ${contact};expires=600`]));
  }));
  await new Promise((r) => server.once('listening', r));
  return { url: `ws://127.0.0.1:${port}/`, state, close: () => new Promise((r) => { for (const c of server.clients) c.terminate(); server.close(r); }) };
}

let finesse, browser, page, broker;

async function open(query = '', { failures = {}, via = broker, extraPrefs = '' } = {}) {
  const prefs = `brokerKind=sip&wsUrl=${via.url}&sipDomain=fake.test${extraPrefs}`;
  await page.goto(`${finesse.origin}/desktop/mock-finesse/health`);
  await page.evaluate(() => { localStorage.clear(); sessionStorage.clear(); });
  // Failures must be in place before the gadget's first User GET: set them, then reload.
  await page.goto(`${finesse.origin}/desktop/?agent=agent3000&ext=2000&webrtc=3000&state=READY${query}&prefs=${encodeURIComponent(prefs)}`);
  if (Object.keys(failures).length) {
    await page.evaluate((f) => window.mockFinesse.setFailures(f), failures);
    await page.evaluate(() => { window.mockFinesse.clearEvents(); return window.mockFinesse.reloadGadget(); });
  }
  return query.includes('supervisor') ? boardFrame() : gadgetFrame(page);
}

/** A supervisor's gadget renders the team board, not the agent's bar. */
async function boardFrame() {
  for (let i = 0; i < 200; i++) {
    for (const frame of page.frames()) {
      if (frame.url().includes('/gadgets/ifr') && await frame.$('.ttec-registration__word').catch(() => null)) return frame;
    }
    await page.waitForTimeout(50);
  }
  throw new Error('the supervisor gadget did not render');
}

const problem = async (frame, code, timeout = 10000) => {
  const sel = `[data-problem=${code}]`;
  await frame.waitForSelector(sel, { timeout });
  return frame.$eval(sel, (e) => ({
    title: e.querySelector('.ttec-problem__title').textContent,
    next: e.querySelector('.ttec-problem__next').textContent,
  }));
};

const events = (name) => page.evaluate((n) => window.mockFinesse.getEvents(n), name);

/** Everything the gadget's page holds that a leaked secret could be in. */
async function gadgetText(frame) {
  const stores = await gadgetStorage(frame);
  return (await frame.content()) + stores;
}

describe('the gadget and a finesse.js that behaves like the real one', () => {
  before(async () => {
    finesse = await startMockFinesse();
    broker = await startBroker();
    browser = await launchBrowser();
    page = await browser.context.newPage();
  });

  after(async () => {
    await browser?.close();
    await broker?.close();
    await finesse?.stop();
  });

  for (const [name, query] of [
    ['Config at script load', ''],
    ['Config only at onConnect, hub at once', '&configAt=onConnect'],
    ['Config only at onConnect, hub 1.5 s late', '&configAt=onConnect&hubDelayMs=1500'],
  ]) {
    test(`${name}: the phone registers and never locks itself out`, async () => {
      const frame = await open(query);
      await expectText(frame, '.ttec-registration__word', 'Registered', 10000);
      const bar = await frame.$eval('body', (e) => e.textContent);
      assert.doesNotMatch(bar, SELF_LOCK);
      // The agent loaded through ClientServices.init, which rewrote Config (password added).
      await frame.waitForFunction(() => finesse.gadget.Config.password !== undefined, null, { timeout: 5000 });
      const init = (await events('ClientServices.init'))[0];
      assert.equal(init.detail.config.password, '[redacted]', 'init added Config.password');
      assert.ok((await events('User.onLoad')).length >= 1, 'the User loaded');
      if (query) assert.equal((await events('finesse.gadget.Config.filled')).length, 1, 'Config was empty until onConnect');
      // Still registered a moment later, and the lock is this tab's.
      await page.waitForTimeout(500);
      await expectText(frame, '.ttec-registration__word', 'Registered');
      const locks = await frame.evaluate(async () => (await navigator.locks.query()).held.map((l) => l.name));
      assert.deepEqual(locks, ['ttecphone-agent-agent3000']);
    });
  }

  test('Config.password (added by ClientServices.init) never reaches the DOM, the trace or storage', async () => {
    const frame = await open('&configAt=onConnect');
    await expectText(frame, '.ttec-registration__word', 'Registered', 10000);
    await frame.waitForFunction(() => finesse.gadget.Config.password !== undefined, null, { timeout: 5000 });
    assert.equal(await frame.evaluate(() => finesse.gadget.Config.password), PASSWORD, 'the mock rewrote Config as finesse.js does');
    await frame.click('.ttec-tool--diagnostics');
    await frame.waitForSelector('.ttec-trace__entry');
    const text = await gadgetText(frame);
    const auth = await frame.evaluate(() => finesse.gadget.Config.authorization);
    for (const secret of [PASSWORD, auth]) assert.ok(!text.includes(secret), 'a secret in the DOM, trace or storage');
    assert.deepEqual(await events('secret-leak'), []);
  });

  test('User GET 500: the bar names Finesse, retries, and recovers once Finesse answers', async () => {
    const frame = await open('', { failures: { userGet: 500 } });
    const shown = await problem(frame, 'finesse');
    assert.equal(shown.title, 'Finesse did not load your agent details (HTTP 500).');
    assert.match(shown.next, /^Retrying in [1-5] s; if it lasts, sign out of Finesse and in again\.$/);
    await page.evaluate(() => window.mockFinesse.setFailures({ userGet: null }));
    await frame.waitForSelector('[data-problem=finesse]', { state: 'detached', timeout: 8000 });
    assert.ok((await events('User.onLoad')).length >= 1, 'the User loaded on the retry');
    const gets = (await events()).filter((e) => e.name.startsWith('REST GET /finesse/api/User/'));
    assert.deepEqual(gets.map((e) => e.detail.status), [500, 200]);
  });

  test('User GET 401: sign in again, and no retry loop', async () => {
    const frame = await open('', { failures: { userGet: 401 } });
    const shown = await problem(frame, 'finesse-sign-in');
    assert.equal(shown.title, 'Finesse no longer accepts your sign-in (HTTP 401), so it did not load your agent details.');
    assert.equal(shown.next, 'Sign out of Finesse and sign in again.');
    await page.waitForTimeout(6000); // past the first retry's time
    const gets = (await events()).filter((e) => e.name.startsWith('REST GET /finesse/api/User/'));
    assert.equal(gets.length, 1, 'asked once');
    await frame.click('.ttec-tool--diagnostics');
    const trace = await frame.$eval('.ttec-trace', (e) => e.textContent);
    assert.match(trace, /Finesse: the User GET failed \(HTTP 401, try 1 of 7\); not asking again/);
  });

  test('ClientServices.init refusing Config (an SSO-like opaque authorization): the bar names Finesse', async () => {
    const frame = await open('', { failures: { init: true } });
    const shown = await problem(frame, 'finesse');
    assert.equal(shown.title, 'Finesse did not start its services for the phone.');
    assert.equal(shown.next, 'Reload Finesse; if it happens again, tell your supervisor.');
    assert.equal((await events('User.new')).length, 0, 'no User without ClientServices');
    await page.evaluate(() => window.mockFinesse.setFailures({ init: false }));
  });

  test('supervisor: a failing team subscription is named, and the team loads when it stops', async () => {
    const frame = await open('&supervisor=true&agent=supervisor3900&mobile=0&ext=2900', { failures: { team: 500 } });
    const shown = await problem(frame, 'finesse');
    assert.equal(shown.title, 'Finesse did not load your team (HTTP 500).');
    await page.evaluate(() => window.mockFinesse.setFailures({ team: null }));
    await frame.waitForSelector('[data-problem=finesse]', { state: 'detached', timeout: 8000 });
  });

  test('supervisor: the team members\' subscription refused ("Not connected", no HTTP status) is named, and the team loads once it is accepted', async () => {
    const frame = await open('&supervisor=true&agent=supervisor3900&mobile=0&ext=2900', { failures: { subscribe: true } });
    const shown = await problem(frame, 'finesse');
    assert.equal(shown.title, 'Finesse did not load your team.');
    const refused = await events('Users.onError');
    assert.ok(refused.length >= 1 && refused.every((e) => e.detail.errorType === 'Not connected'), JSON.stringify(refused));
    await page.evaluate(() => window.mockFinesse.setFailures({ subscribe: false }));
    await frame.waitForSelector('.ttec-board__row[data-agent=agent3001]', { timeout: 10000 });
    await frame.waitForSelector('[data-problem=finesse]', { state: 'detached', timeout: 2000 });
  });

  test('supervisor: an agent added to the team and removed again is followed within 2 s', async () => {
    const frame = await open('&supervisor=true&agent=supervisor3900&mobile=0&ext=2900');
    await frame.waitForSelector('.ttec-board__row[data-agent=agent3001]', { timeout: 10000 });
    const row = '.ttec-board__row[data-agent=agent3003]';
    const t0 = Date.now();
    await page.evaluate(() => window.mockFinesse.setTeam('agent3001:Alice Agent:3001,agent3002:Bob Agent:3002,agent3003:Carol Agent:3003'));
    await frame.waitForSelector(row, { timeout: 2000 });
    assert.match(await frame.$eval(row, (e) => e.textContent), /Carol Agent/);
    await page.evaluate(() => window.mockFinesse.setTeam('agent3001:Alice Agent:3001,agent3002:Bob Agent:3002'));
    await frame.waitForSelector(row, { state: 'detached', timeout: 2000 });
    assert.ok(Date.now() - t0 < 4000);
    assert.equal((await frame.$$('.ttec-board__row')).length, 2);
  });

  test('supervisor of two teams: the board shows the agents of both (one Team object each, one roster)', async () => {
    await open('&supervisor=true&agent=supervisor3900&mobile=0&ext=2900');
    await page.evaluate(() => window.mockFinesse.clearEvents());
    await page.evaluate(() => window.mockFinesse.setOtherTeams([{ id: '7', name: 'Team Seven', agents: 'agent3004:Dana Agent:3004,agent3005:Eve Agent:3005' }]));
    const frame = await boardFrame();
    for (const id of ['agent3001', 'agent3002', 'agent3004', 'agent3005']) {
      await frame.waitForSelector(`.ttec-board__row[data-agent=${id}]`, { timeout: 10000 });
    }
    assert.equal((await frame.$$('.ttec-board__row')).length, 4);
    assert.match(await frame.$eval('.ttec-board__row[data-agent=agent3004]', (e) => e.textContent), /Dana Agent/);
    const teams = (await events('Team.new')).map((e) => String(e.detail.id)).sort();
    assert.deepEqual(teams, ['1', '7']);
  });

  test('supervisor: agents\' live call quality from the collector\'s /live endpoint, a badge while a call is live, nothing after its final record', async () => {
    const collector = `${finesse.origin}/mock-finesse/qa/quality-collector`;
    const frame = await open('&supervisor=true&agent=supervisor3900&mobile=0&ext=2900', { extraPrefs: `&qualityCollector=${collector}` });
    await frame.waitForSelector('.ttec-board__row[data-agent=agent3001]', { timeout: 10000 });
    assert.equal(await frame.$('.ttec-board__quality'), null, 'no badge without a call');
    const post = (record) => fetch(collector, { method: 'POST', headers: { 'Content-Type': 'text/plain;charset=UTF-8' }, body: JSON.stringify({
      schema: 'ttecphone.call-quality/1', callId: 'e2e-1@pc', line: 'u7xk2', number: '3001', intervalS: 30, durationS: 30,
      mosNow: 3.4, mosMin: 3.3, warningNow: 'network-loss', callerNumber: '0611223344', ...record,
    }) });
    assert.equal((await post({ final: false })).status, 204);
    const badge = '.ttec-board__row[data-agent=agent3001] .ttec-board__quality';
    await frame.waitForSelector(badge, { timeout: 7000 }); // the board asks every 5 s
    assert.equal(await frame.$eval(badge, (b) => b.textContent.trim()), '3.4 poor !');
    assert.match(await frame.$eval(badge, (b) => b.getAttribute('aria-label')), /^Call quality poor, MOS 3\.4: the agent's network is losing audio; measured \d+ s ago$/);
    assert.equal(await frame.$('.ttec-board__row[data-agent=agent3002] .ttec-board__quality'), null);
    assert.ok(!(await frame.content()).includes('0611223344'), 'the caller\'s number never reaches the board');
    assert.equal((await post({ final: true })).status, 204);
    await frame.waitForSelector(badge, { state: 'detached', timeout: 7000 });
  });

  test('supervisor: a collector that cannot be read is said in words, with the next try', async () => {
    const frame = await open('&supervisor=true&agent=supervisor3900&mobile=0&ext=2900',
      { extraPrefs: `&qualityCollector=${finesse.origin}/mock-finesse/qa/no-such-collector` });
    const notice = '.ttec-board__quality-notice .ttec-notice__text';
    await frame.waitForSelector(notice, { timeout: 7000 });
    assert.match(await frame.$eval(notice, (n) => n.textContent),
      /^Agents' call quality is not shown: the call quality collector answered HTTP 404\. Trying again in 10 s; if it lasts, tell your administrator\.$/);
    assert.equal(await frame.$eval('.ttec-board__quality-notice', (n) => n.getAttribute('role')), 'status');
  });

  test('a non-ASCII password: encoded one byte per character as finesse.js does, decoded the same way, digest right', async (t) => {
    const secret = 'pässwörd-3000';
    const checking = await startBroker({ password: secret });
    const p2 = await browser.context.newPage();
    t.after(async () => { await p2.close(); await checking.close(); });
    await p2.addInitScript((password) => { if (window.top === window) window.mockFinesseInit = { password }; }, secret);
    const saved = page;
    page = p2;
    try {
      const frame = await open('', { via: checking });
      // What finesse.js would put in Config: Base64 of the Latin-1 bytes ("ä" is E4, not C3 A4).
      const auth = await frame.evaluate(() => finesse.gadget.Config.authorization);
      assert.equal(auth, Buffer.from(`agent3000:${secret}`, 'latin1').toString('base64'));
      await expectText(frame, '.ttec-registration__word', 'Registered', 10000);
      assert.equal(checking.state.refused, 0, 'the digest used the password as the agent typed it');
    } finally {
      page = saved;
    }
  });

  test('failover: the bar says so, the phone stays registered, and the state is re-read when Finesse is back', async () => {
    const frame = await open();
    await expectText(frame, '.ttec-registration__word', 'Registered', 10000);
    await page.evaluate(() => window.mockFinesse.clearEvents());
    await page.evaluate(() => window.mockFinesse.setFailover(true));
    const shown = await problem(frame, 'finesse-failover', 2000);
    assert.equal(shown.title, 'Finesse lost its server and is switching to the other one.');
    assert.match(shown.next, /last Finesse state allows, for up to 2 minutes/);
    // Muted while failing over: a state change does not reach the gadget.
    await page.evaluate(() => window.mockFinesse.setState('NOT_READY'));
    await page.waitForTimeout(300);
    assert.deepEqual(await events('User.onChange'), []);
    await expectText(frame, '.ttec-registration__word', 'Registered');
    await page.evaluate(() => window.mockFinesse.setFailover(false));
    await frame.waitForSelector('[data-problem=finesse-failover]', { state: 'detached', timeout: 2000 });
    const changes = await events('User.onChange');
    assert.equal(changes.at(-1)?.detail.state, 'NOT_READY', 're-read on recovery');
    await frame.click('.ttec-tool--diagnostics');
    const trace = await frame.$eval('.ttec-trace', (e) => e.textContent);
    assert.match(trace, /Finesse: disconnected \(failover\)[\s\S]*Finesse: connected again/);
  });

  test('the gadget calls only functions and options the real finesse.js has', async () => {
    const seen = new Set();
    for (const query of ['', '&configAt=onConnect', '&supervisor=true&agent=supervisor3900&mobile=0&ext=2900']) {
      const frame = await open(query);
      await expectText(frame, '.ttec-registration__word', 'Registered', 10000);
      if (query.includes('supervisor')) await frame.waitForSelector('.ttec-board', { timeout: 5000 });
      await page.waitForTimeout(500);
      for (const call of await frame.evaluate(() => finesse.__mockCalls())) seen.add(call);
    }
    assert.deepEqual(unrealCalls(seen), [], `calls seen: ${[...seen].join('; ')}`);
    for (const expected of ['ClientServices.init', 'ClientServices.registerOnDisconnectHandler', 'ClientServices.registerOnConnectHandler',
      'new User {id,onChange,onError,onLoad}', 'User.getSupervisedTeams',
      'new Team {id,onError,onLoad}', 'Team.getUsers {onCollectionAdd,onCollectionDelete,onError,onLoad}', 'Users.getCollection']) {
      assert.ok(seen.has(expected), `the gadget was expected to call ${expected}; seen: ${[...seen].join('; ')}`);
    }
  });
});
