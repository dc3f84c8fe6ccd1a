// Mock Finesse in headless Chromium with the fixture gadget (prints the finesse User's state).
// Run: node --test unit_testing/mock_finesse/test/browser.test.mjs   (needs /usr/bin/chromium)

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, startMockFinesse, FIXTURE_GADGET_DIR } from './browser.mjs';

const PASSWORD = 'test-password-3000';
const AUTH = Buffer.from(`agent3000:${PASSWORD}`).toString('base64');

describe('mock Finesse desktop in Chromium', () => {
  let mock;
  let chrome;
  let page;
  const pageErrors = [];

  before(async () => {
    mock = await startMockFinesse({ gadgetDir: FIXTURE_GADGET_DIR });
    chrome = await launchChromium();
    page = await chrome.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });
  after(async () => {
    await chrome?.close();
    await mock?.close();
  });

  const gadget = () => page.frameLocator('#gadget-frame');
  const gadgetFrame = () => page.frame({ name: 'gadget-frame' });
  const gadgetState = async (expected) => {
    await gadget().locator('#state').filter({ hasText: new RegExp(`^${expected}$`) }).waitFor({ timeout: 10000 });
    return gadget().locator('#state').textContent();
  };
  const frameHeight = () => page.evaluate(() => document.getElementById('gadget-frame').getBoundingClientRect().height);

  test('the gadget loads in the 600px header column with the test agent and the URL prefs', async () => {
    await page.goto(`${mock.url}?prefs=brokerKind%3Dsip`);
    assert.equal(await gadgetState('NOT_READY'), 'NOT_READY');
    assert.equal(await gadget().locator('#who').textContent(),
      'agent3000 Test Agent ext 1000 mobile=true mode=CALL_BY_CALL dial=3000 supervisor=false team=1/Team One');
    assert.equal(await gadget().locator('#prefs').textContent(), 'brokerKind=sip fixtureDefault=from-spec');
    const box = await page.locator('#gadget-frame').boundingBox();
    assert.equal(Math.round(box.width), 600);
    const header = await page.locator('header.finesse-header').boundingBox();
    assert.ok(box.y >= header.y && box.y + box.height <= header.y + header.height, 'the iframe sits inside the header');
    const names = (await page.evaluate(() => mockFinesse.getEvents())).map((e) => e.name);
    for (const n of ['gadget.render', 'hub.connect', 'ClientServices.init', 'User.new', 'User.onLoad', 'gadgets.window.adjustHeight', 'gadgets.window.setTitle']) {
      assert.ok(names.includes(n), `event ${n} in ${names.join(', ')}`);
    }
    assert.ok(names.indexOf('hub.connect') < names.indexOf('ClientServices.init'), 'the gadget starts from onConnect');
  });

  test('a state button changes the state the gadget sees, through its change handler', async () => {
    await page.getByRole('button', { name: 'Ready', exact: true }).click();
    assert.equal(await gadgetState('READY'), 'READY');
    assert.equal(await gadget().locator('#changes').textContent(), 'changes: 1');
    assert.equal(await page.getByRole('button', { name: 'Ready', exact: true }).getAttribute('aria-pressed'), 'true');
    assert.equal(await page.getByRole('button', { name: 'Not Ready', exact: true }).getAttribute('aria-pressed'), 'false');
    assert.equal(await page.locator('#voice-state-label').textContent(), 'Ready');
    const change = await page.evaluate(() => mockFinesse.getEvents('User.onChange'));
    assert.deepEqual(change.map((e) => e.detail.state), ['READY']);

    // keyboard: focus a state button and press Enter
    await page.locator('#state-buttons button[data-state="TALKING"]').focus();
    await page.keyboard.press('Enter');
    assert.equal(await gadgetState('TALKING'), 'TALKING');

    // the hook does the same, with a pending state
    await page.evaluate(() => mockFinesse.setState('TALKING', { pendingState: 'NOT_READY' }));
    await gadget().locator('#pending').filter({ hasText: '(pending NOT_READY)' }).waitFor({ timeout: 5000 });
    await page.evaluate(() => mockFinesse.setState('LOGOUT'));
    assert.equal(await gadgetState('LOGOUT'), 'LOGOUT');
    assert.equal(await gadget().locator('#changes').textContent(), 'changes: 4');
  });

  test('adjustHeight resizes the gadget iframe', async () => {
    const before = await frameHeight();
    assert.equal(before, await page.evaluate(() => mockFinesse.getGadgetHeight()));
    await gadgetFrame().evaluate(() => window.fixture.grow(12));
    await page.waitForFunction((h) => document.getElementById('gadget-frame').getBoundingClientRect().height > h + 100, before);
    const after = await frameHeight();
    const docHeight = await gadgetFrame().evaluate(() => document.body.scrollHeight);
    assert.equal(after, docHeight, 'the iframe is as tall as the gadget document');
    assert.equal(after, await page.evaluate(() => mockFinesse.getGadgetHeight()));
    await gadgetFrame().evaluate(() => gadgets.window.adjustHeight(42));
    await page.waitForFunction(() => document.getElementById('gadget-frame').getBoundingClientRect().height === 42);
    const heights = (await page.evaluate(() => mockFinesse.getEvents('gadgets.window.adjustHeight'))).map((e) => e.detail.height);
    assert.equal(heights[heights.length - 1], 42);
    assert.ok(heights.includes(after));
  });

  test('LOGIN reloads the gadget, which starts again NOT_READY', async () => {
    await page.getByRole('button', { name: 'Login', exact: true }).click();
    assert.equal(await gadgetState('NOT_READY'), 'NOT_READY');
    assert.equal(await gadget().locator('#changes').textContent(), 'changes: 0', 'a fresh gadget');
    const loads = await page.evaluate(() => mockFinesse.getEvents('gadget.load'));
    assert.equal(loads[loads.length - 1].detail.reason, 'login');
  });

  test('changing the identity in the panel reloads the gadget with the new agent', async () => {
    await page.getByLabel('Dial number (WebRTC number)').fill('3005');
    await page.getByLabel('Supervisor role').check();
    await page.getByLabel('Mode').selectOption('NAILED_CONNECTION');
    await page.getByRole('button', { name: 'Apply and reload gadget' }).click();
    await gadget().locator('#who').filter({ hasText: 'dial=3005' }).waitFor({ timeout: 10000 });
    assert.equal(await gadget().locator('#who').textContent(),
      'agent3000 Test Agent ext 1000 mobile=true mode=NAILED_CONNECTION dial=3005 supervisor=true team=1/Team One');
    await page.evaluate(() => mockFinesse.setUser({ mobileAgent: false, supervisor: false, id: 'agent3009' }));
    await gadget().locator('#who').filter({ hasText: 'agent3009' }).waitFor({ timeout: 10000 });
    assert.match(await gadget().locator('#who').textContent(), /^agent3009 .* mobile=false mode=null dial=null supervisor=false/);
    const user = await page.evaluate(() => mockFinesse.getUser());
    assert.equal(user.id, 'agent3009');
    assert.equal(user.password, undefined);
    assert.equal(user.hasPassword, true);
  });

  test('the query string opens a ready configuration', async () => {
    await page.goto(`${mock.url}?agent=agent3001&ext=1001&webrtc=3001&state=READY&first=Ann&last=Lee`);
    assert.equal(await gadgetState('READY'), 'READY');
    assert.equal(await gadget().locator('#who').textContent(),
      'agent3001 Ann Lee ext 1001 mobile=true mode=CALL_BY_CALL dial=3001 supervisor=false team=1/Team One');
    assert.equal(await page.getByLabel('Agent ID', { exact: true }).inputValue(), 'agent3001');
  });

  test('secrets stay out of the DOM and the logs; a gadget that logs one is flagged', async () => {
    await page.goto(mock.url);
    await gadgetState('NOT_READY');
    const html = await page.evaluate(() => document.documentElement.outerHTML);
    assert.ok(!html.includes(PASSWORD) && !html.includes(AUTH), 'no secret in the desktop DOM (the password input value is a property, not markup)');
    assert.equal(await page.getByLabel('Password').inputValue(), PASSWORD);
    assert.equal(await page.getByLabel('Password').getAttribute('type'), 'password');
    let events = JSON.stringify(await page.evaluate(() => mockFinesse.getEvents()));
    assert.ok(!events.includes(PASSWORD) && !events.includes(AUTH));
    assert.deepEqual(await page.evaluate(() => mockFinesse.getEvents('secret-leak')), []);

    await gadgetFrame().evaluate((pw) => console.log('bad gadget logs', pw, 'Basic ' + finesse.gadget.Config.authorization), PASSWORD);
    await page.waitForFunction(() => mockFinesse.getEvents('secret-leak').length > 0);
    const leak = await page.evaluate(() => mockFinesse.getEvents('secret-leak'));
    assert.equal(leak[0].detail.in, 'console.log');
    assert.deepEqual([...leak[0].detail.secrets].sort(), ['Basic authorization header', 'password']);
    const consoleLines = JSON.stringify(await page.evaluate(() => mockFinesse.getConsole()));
    assert.ok(!consoleLines.includes(PASSWORD) && !consoleLines.includes(AUTH));
    assert.match(consoleLines, /\[REDACTED password\]/);
    events = await page.locator('#event-log').textContent();
    assert.ok(!events.includes(PASSWORD) && !events.includes(AUTH));
  });

  test('dialogs from the panel reach the gadget collection', async () => {
    await gadgetFrame().evaluate(() => {
      window.dialogLog = [];
      fixture.user().getDialogs({
        onCollectionAdd: (d) => window.dialogLog.push(`add ${d.getState()} ${d.getFromAddress()}`),
        onCollectionDelete: (d) => window.dialogLog.push(`del ${d.getState()}`),
      });
    });
    await page.getByLabel('From (caller)').fill('5550001');
    await page.getByRole('button', { name: 'Add dialog' }).click();
    await page.getByRole('button', { name: 'Drop last dialog' }).click();
    await gadgetFrame().waitForFunction(() => window.dialogLog.length === 2);
    assert.deepEqual(await gadgetFrame().evaluate(() => window.dialogLog), ['add ALERTING 5550001', 'del DROPPED']);
  });

  test('no page errors', () => {
    assert.deepEqual(pageErrors, []);
  });
});
