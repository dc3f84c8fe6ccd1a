// Mock Finesse: server, gadget rendering and finesse.js behaviour, without a browser.
// Run: node --test unit_testing/mock_finesse/test/mock_finesse.test.mjs

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs, watchOrigin } from '../server.mjs';
import { parseGadgetSpec, parseXml, inlineJson, SpecError } from '../lib/gadget-spec.mjs';
import { startMockFinesse, FIXTURE_GADGET_DIR, MOCK_FINESSE_DIR } from './browser.mjs';

const PASSWORD = 'test-password-3000';
const AUTH = Buffer.from(`agent3000:${PASSWORD}`).toString('base64');
const GADGET_XML = '/3rdpartygadget/files/TTECPhone/gadget.xml';

function get(url, { method = 'GET' } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

const ifrUrl = (origin, specPath, prefs = '') => `${origin}/gadgets/ifr?mid=0&url=${encodeURIComponent(specPath + prefs)}`;

/** Loads public/mock-core.js (a browser script) into its own context. */
function loadCore() {
  const ctx = vm.createContext({ btoa, TextEncoder, console });
  vm.runInContext(fs.readFileSync(path.join(MOCK_FINESSE_DIR, 'public', 'mock-core.js'), 'utf8'), ctx, { filename: 'mock-core.js' });
  return ctx.MockFinesseCore;
}
const Core = loadCore();

/**
 * A fake gadget iframe: a vm context whose `parent` records postMessage calls and provides
 * the container prefs the desktop page would. `deliver(kind, data)` plays a desktop message.
 */
function fakeGadgetWindow({ search = '', containerPrefs, configAt = 'load', userFinesseAuth = AUTH } = {}) {
  const sent = [];
  // The desktop's session storage (same origin and tab as the gadget's iframe).
  const session = new Map(userFinesseAuth === null ? [] : [['userFinesseAuth', userFinesseAuth]]);
  const sessionStorage = { getItem: (k) => (session.has(k) ? session.get(k) : null), setItem: (k, v) => session.set(k, String(v)) };
  const listeners = [];
  const timers = new Set();
  const parent = {
    postMessage(msg, targetOrigin) { sent.push({ msg: JSON.parse(JSON.stringify(msg)), targetOrigin }); },
    mockFinesseContainer: {
      containerPrefs: () => containerPrefs
        ?? Core.buildContainerPrefs(Core.normaliseIdentity(Core.DEFAULT_IDENTITY, {}), { hostname: 'finesse.test', port: '8445', protocol: 'https:' }),
      configAt: () => configAt,
    },
  };
  const ctx = {
    console: { log() {}, info() {}, warn() {}, error() {}, debug() {} },
    setTimeout: (fn, ms) => { const t = setTimeout(() => { timers.delete(t); fn(); }, ms); timers.add(t); return t; },
    clearTimeout: (t) => { timers.delete(t); clearTimeout(t); },
    location: { search, origin: 'http://127.0.0.1:8083' },
    parent,
    document: { body: { scrollHeight: 77, offsetHeight: 70 }, documentElement: { offsetHeight: 60, scrollHeight: 500 } },
    innerWidth: 600,
    innerHeight: 60,
    addEventListener(type, fn) { if (type === 'message') listeners.push(fn); },
    sessionStorage,
    JSON,
  };
  vm.createContext(ctx);
  ctx.window = ctx;
  return {
    ctx,
    sent,
    run: (code, filename) => vm.runInContext(code, ctx, { filename }),
    json: (expr) => JSON.parse(vm.runInContext(`JSON.stringify(${expr})`, ctx)),
    deliver(kind, data, { source = parent, origin = 'http://127.0.0.1:8083' } = {}) {
      for (const fn of listeners) fn({ data: { mockFinesse: 1, kind, data }, source, origin });
    },
    kinds: () => sent.map((s) => s.msg.kind),
    events: (name) => sent.filter((s) => s.msg.kind === 'event' && (!name || s.msg.data.name === name)).map((s) => s.msg.data),
    last: (kind) => [...sent].reverse().find((s) => s.msg.kind === kind)?.msg.data,
    dispose: () => { for (const t of timers) clearTimeout(t); },
  };
}

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

/** Runs the inline <script>s of a rendered ifr page, in order, inside the fake window. */
function runInlineScripts(win, html, { upTo } = {}) {
  const re = /<script>([\s\S]*?)<\/script>/g;
  let m;
  let n = 0;
  while ((m = re.exec(html))) {
    if (upTo && n >= upTo) break;
    n += 1;
    win.run(m[1], `ifr-inline-${n}.js`);
  }
  return n;
}

describe('mock Finesse server', () => {
  let mock;
  before(async () => { mock = await startMockFinesse({ gadgetDir: FIXTURE_GADGET_DIR }); });
  after(async () => { await mock.close(); });

  test('/desktop/ serves the desktop page with a 600px header column and the QA controls', async () => {
    const r = await get(mock.url);
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/html/);
    assert.match(r.headers['cache-control'], /no-store/);
    assert.match(r.body, /id="gadget-column"[^>]*style="width:600px"/);
    for (const s of ['READY', 'NOT_READY', 'RESERVED', 'TALKING', 'WORK', 'LOGOUT', 'LOGIN']) {
      assert.match(r.body, new RegExp(`data-state="${s}"`), `state button ${s}`);
    }
    for (const id of ['f-id', 'f-first', 'f-last', 'f-ext', 'f-password', 'f-mobile', 'f-mode', 'f-dial', 'f-supervisor', 'f-team-id', 'f-team-name', 'f-prefs']) {
      assert.match(r.body, new RegExp(`<label for="${id}"`), `label for ${id}`);
    }
    assert.match(r.body, /id="f-password" name="password" type="password"/);
    // every asset of the page is under /desktop/ (a dev server proxies only /desktop/ and /gadgets/)
    for (const m of r.body.matchAll(/(?:src|href)="(\/[^"]*)"/g)) assert.match(m[1], /^\/desktop\//, m[1]);
    const root = await get(`${mock.origin}/?agent=x`);
    assert.equal(root.status, 302);
    assert.equal(root.headers.location, '/desktop/?agent=x');
  });

  test('finesse.js, the jQuery stand-in and the mock assets are served as JavaScript', async () => {
    for (const p of ['/desktop/assets/js/finesse.js', '/desktop/assets/js/jquery.min.js', '/desktop/mock-finesse/desktop.js',
      '/desktop/mock-finesse/mock-core.js', '/mock-finesse/desktop.js']) {
      const r = await get(mock.origin + p);
      assert.equal(r.status, 200, p);
      assert.equal(r.headers['content-type'], 'text/javascript; charset=utf-8', p);
    }
    const fj = await get(`${mock.origin}/desktop/assets/js/finesse.js`);
    assert.match(fj.body, /finesse\.restservices\.User = User/);
  });

  test('gadget files come from --gadget-dir with the right MIME types', async () => {
    const cases = {
      'assets/empty.wasm': 'application/wasm',
      'assets/fixture.js': 'text/javascript; charset=utf-8',
      'assets/fixture.css': 'text/css; charset=utf-8',
      'audio-test.wav': 'audio/wav',
      'gadget.xml': 'application/xml; charset=utf-8',
    };
    for (const [file, type] of Object.entries(cases)) {
      const r = await get(`${mock.origin}/3rdpartygadget/files/TTECPhone/${file}`);
      assert.equal(r.status, 200, file);
      assert.equal(r.headers['content-type'], type, file);
      assert.match(r.headers['cache-control'], /no-store/, file);
    }
    const head = await get(`${mock.origin}/3rdpartygadget/files/TTECPhone/assets/empty.wasm`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '8');
    assert.equal(head.body, '');
  });

  test('paths outside the gadget folder are not served', async () => {
    for (const p of ['/3rdpartygadget/files/TTECPhone/..%2f..%2f..%2fserver.mjs', '/3rdpartygadget/files/TTECPhone/../../server.mjs',
      '/3rdpartygadget/files/Other/gadget.xml', '/server.mjs', '/3rdpartygadget/files/TTECPhone/missing.js']) {
      const r = await get(mock.origin + p);
      assert.ok(r.status === 404 || r.status === 400, `${p} -> ${r.status}`);
      assert.doesNotMatch(r.body, /createMockFinesse/);
    }
    const post = await get(`${mock.origin}/desktop/`, { method: 'POST' });
    assert.equal(post.status, 405);
  });

  test('/gadgets/ifr renders the CDATA after the container libraries, with the URL prefs', async () => {
    const r = await get(ifrUrl(mock.origin, GADGET_XML, '?brokerKind=sip&autoAnswerDelayMs=250'));
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/html/);
    assert.match(r.headers['cache-control'], /no-store/);
    const html = r.body;
    assert.ok(html.startsWith('<!DOCTYPE html>'), 'the CDATA DOCTYPE is hoisted to the top');
    assert.equal(html.match(/<!DOCTYPE/gi).length, 1);
    const libs = html.indexOf('gadgets.HubSettings = gadgets.HubSettings ||');
    const finesseJs = html.indexOf('<script src="/desktop/assets/js/finesse.js">');
    const jquery = html.indexOf('<script src="/desktop/assets/js/jquery.min.js">');
    const own = html.indexOf('/3rdpartygadget/files/TTECPhone/assets/fixture.js');
    const onConnect = html.indexOf('gadgets.HubSettings.onConnect = function');
    const runOnLoad = html.indexOf('<script>gadgets.util.runOnLoadHandlers();</script>');
    assert.ok(libs > 0 && libs < jquery && jquery < finesseJs && finesseJs < own && own < onConnect && onConnect < runOnLoad,
      `order: libs ${libs} < jquery ${jquery} < finesse.js ${finesseJs} < own ${own} < onConnect ${onConnect} < runOnLoad ${runOnLoad}`);
    const render = JSON.parse(/window\.__mockFinesseRender = (\{.*\});/.exec(html)[1]);
    assert.deepEqual(render.prefs, { fixtureDefault: 'from-spec', brokerKind: 'sip', autoAnswerDelayMs: '250' });
    assert.equal(render.title, 'TTECPhone fixture');
    assert.ok(render.features.includes('pubsub-2'));
    assert.doesNotMatch(html, /<Module[\s>]|<ModulePrefs|<!\[CDATA\[|\]\]>/);
  });

  test('/gadgets/ifr rejects invalid specs and foreign URLs with a clear 4xx', async () => {
    const cases = [
      ['/3rdpartygadget/files/TTECPhone/test-specs/no-pubsub.xml', 422, /Require feature="pubsub-2"/],
      ['/3rdpartygadget/files/TTECPhone/test-specs/malformed.xml', 400, /not well-formed XML.*<\/Module> does not match <ModulePrefs>/],
      ['/3rdpartygadget/files/TTECPhone/test-specs/url-content.xml', 422, /type="url"/],
      ['/3rdpartygadget/files/TTECPhone/nope.xml', 404, /not found/],
      ['/3rdpartygadget/files/TTECPhone/assets/fixture.css', 400, /must be an \.xml file/],
      ['http://evil.example/3rdpartygadget/files/TTECPhone/gadget.xml', 400, /only renders gadgets from this server/],
    ];
    for (const [spec, status, re] of cases) {
      const r = await get(ifrUrl(mock.origin, spec));
      assert.equal(r.status, status, `${spec}: ${r.body}`);
      assert.match(r.body, re, spec);
      assert.match(r.headers['content-type'], /^text\/plain/);
    }
    const noUrl = await get(`${mock.origin}/gadgets/ifr`);
    assert.equal(noUrl.status, 400);
    assert.match(noUrl.body, /missing the url parameter/);
  });
});

describe('gadget spec parsing', () => {
  test('parseXml handles comments, PIs, entities and CDATA; rejects malformed XML', () => {
    const root = parseXml('<?xml version="1.0"?><!-- c --><a x="1 &amp; 2"><b/>t&lt;<![CDATA[<raw>&]]></a>');
    assert.equal(root.name, 'a');
    assert.equal(root.attrs.x, '1 & 2');
    assert.equal(root.children[0].name, 'b');
    assert.equal(root.children[1].text, 't<');
    assert.equal(root.children[2].cdata, '<raw>&');
    for (const bad of ['<a><b></a>', '<a x=1/>', '<a>&bogus;</a>', '<a></a><b/>', '<a x="1" x="2"/>', '<a>']) {
      assert.throws(() => parseXml(bad), SpecError, bad);
    }
  });

  test('parseGadgetSpec returns the default-view html, features and UserPref defaults', () => {
    const spec = parseGadgetSpec(`<Module><ModulePrefs title="T"><Require feature="pubsub-2"/><Optional feature="x"/></ModulePrefs>
      <UserPref name="a" default_value="1"/><UserPref name="b"/>
      <Content type="html" view="canvas2"><![CDATA[no]]></Content>
      <Content type="html"><![CDATA[<p>yes</p>]]></Content></Module>`);
    assert.equal(spec.title, 'T');
    assert.deepEqual(spec.features, ['pubsub-2']);
    assert.deepEqual(spec.optionalFeatures, ['x']);
    assert.deepEqual(spec.userPrefs, { a: '1', b: '' });
    assert.equal(spec.html, '<p>yes</p>');
    assert.throws(() => parseGadgetSpec('<Gadget/>'), /root element must be <Module>/);
    assert.throws(() => parseGadgetSpec('<Module><Content type="html">x</Content></Module>'), /exactly one <ModulePrefs>/);
    assert.throws(() => parseGadgetSpec('<Module><ModulePrefs><Require feature="pubsub-2"/></ModulePrefs></Module>'), /no <Content>/);
  });

  test('inlineJson cannot break out of a script element', () => {
    const s = inlineJson({ a: '</script><script>alert(1)</script>', b: '<!--' });
    assert.doesNotMatch(s, /<\/script|<!--/);
    assert.deepEqual(JSON.parse(s), { a: '</script><script>alert(1)</script>', b: '<!--' });
  });
});

describe('MockFinesseCore (desktop logic)', () => {
  test('defaults are the test agent, and the query string configures the desktop', () => {
    const d = Core.desktopConfigFromQuery('');
    assert.equal(d.identity.id, 'agent3000');
    assert.equal(d.identity.password, PASSWORD);
    assert.equal(d.state, 'NOT_READY');
    const c = Core.desktopConfigFromQuery('?agent=agent3001&ext=1001&webrtc=3001&state=ready&mode=nailed_connection&supervisor=1&mobile=0&prefs=brokerKind%3Dsip%26x%3D1&password=leak');
    assert.equal(c.identity.id, 'agent3001');
    assert.equal(c.identity.extension, '1001');
    assert.equal(c.identity.mobileAgentDialNumber, '3001');
    assert.equal(c.identity.mobileAgentMode, 'NAILED_CONNECTION');
    assert.equal(c.identity.supervisor, true);
    assert.equal(c.identity.mobileAgent, false);
    assert.equal(c.state, 'READY');
    assert.deepEqual({ ...c.prefs }, { brokerKind: 'sip', x: '1' });
    assert.equal(c.identity.password, PASSWORD, 'the password is never taken from the URL');
    assert.equal(c.ignoredPassword, true);
    assert.throws(() => Core.desktopConfigFromQuery('?state=BOGUS'), /unknown initial state/);
    assert.throws(() => Core.desktopConfigFromQuery('?mode=SOMETIMES'), /CALL_BY_CALL or NAILED_CONNECTION/);
  });

  test('User data and container prefs have the Finesse shapes', () => {
    const id = Core.normaliseIdentity(Core.DEFAULT_IDENTITY, { supervisor: true });
    const u = Core.buildUserData(id, { state: 'TALKING', pendingState: 'NOT_READY' });
    assert.equal(u.loginId, 'agent3000');
    assert.equal(u.state, 'TALKING');
    assert.equal(u.pendingState, 'NOT_READY');
    assert.deepEqual([...u.roles.role], ['Agent', 'Supervisor']);
    assert.deepEqual({ ...u.mobileAgent }, { mode: 'CALL_BY_CALL', dialNumber: '3000' });
    assert.equal(u.teams.Team.id, '1', 'one team: an object, as finesse.js converts one <Team>');
    const notMobile = Core.buildUserData(Core.normaliseIdentity(id, { mobileAgent: false, supervisor: false }), {});
    assert.equal(notMobile.mobileAgent, undefined);
    assert.equal(notMobile.roles.role, 'Agent', 'one role: a string, not an array');
    assert.equal(notMobile.pendingState, null, 'an empty element is null');
    assert.equal(notMobile.teams, undefined);
    const prefs = Core.buildContainerPrefs(id, { hostname: 'fin.example', port: '8445', protocol: 'https:' });
    assert.equal(prefs.authorization, undefined, 'finesse.js takes it from the desktop\'s session storage');
    assert.equal(prefs.host, 'fin.example');
    assert.equal(prefs.hostPort, '8445');
    assert.equal(prefs.scheme, 'https');
    assert.equal(prefs.mobileAgentDialNumber, '3000');
    // One byte per character, as finesse.js's b64Encode: "é" is E9, not UTF-8's C3 A9.
    assert.equal(Core.authorizationFor({ id: 'é', password: 'ü' }), Buffer.from('é:ü', 'latin1').toString('base64'));
    assert.equal(Core.authorizationFor({ id: 'a', password: '€' }), Buffer.from('a:€').toString('base64'), 'beyond U+00FF: UTF-8 (unverified)');
  });

  test('redactSecrets finds and replaces the password and the authorization', () => {
    const secrets = Core.secretsFor(Core.DEFAULT_IDENTITY);
    const r = Core.redactSecrets(`login with ${PASSWORD}; Authorization: Basic ${AUTH}; config ${AUTH}`, secrets);
    assert.doesNotMatch(r.text, new RegExp(PASSWORD));
    assert.doesNotMatch(r.text, new RegExp(AUTH.replace(/[+/=]/g, '\\$&')));
    assert.deepEqual([...r.leaked].sort(), ['Basic authorization header', 'authorization', 'password']);
    assert.deepEqual([...Core.redactSecrets('nothing here', secrets).leaked], []);
  });
});

describe('MockFinesseCore: supervisor and team roster', () => {
  test('?supervisor=true alone is the bed supervisor 3900 with agents 3001 and 3002', () => {
    const c = Core.desktopConfigFromQuery('?supervisor=true');
    assert.equal(c.identity.id, 'supervisor3900');
    assert.equal(c.identity.extension, '2900');
    assert.equal(c.identity.password, 'test-password-3900');
    assert.equal(c.identity.mobileAgent, false);
    assert.equal(c.identity.supervisor, true);
    assert.deepEqual(JSON.parse(JSON.stringify(c.team.map((m) => [m.id, m.firstName, m.mobileAgentDialNumber, m.extension, m.state]))),
      [['agent3001', 'Alice', '3001', '2001', 'NOT_READY'], ['agent3002', 'Bob', '3002', '2002', 'NOT_READY']]);
    // An agent (no supervisor role) has no team; an explicit agent id keeps the agent defaults.
    assert.deepEqual([...Core.desktopConfigFromQuery('').team], []);
    assert.equal(Core.desktopConfigFromQuery('?agent=sup1&supervisor=1').identity.password, PASSWORD);
  });

  test('team= is a roster when it lists members, else the team id', () => {
    const c = Core.desktopConfigFromQuery('?supervisor=1&team=agent3003:Carol%20Ng:3003:1003:ready,x:Y:3009');
    assert.equal(c.identity.teamId, '1', 'a roster does not become the team id');
    assert.deepEqual(JSON.parse(JSON.stringify(c.team)), [
      { id: 'agent3003', firstName: 'Carol', lastName: 'Ng', extension: '1003', mobileAgentDialNumber: '3003', state: 'READY' },
      { id: 'x', firstName: 'Y', lastName: '', extension: '2009', mobileAgentDialNumber: '3009', state: 'NOT_READY' }]);
    assert.equal(Core.desktopConfigFromQuery('?team=7').identity.teamId, '7');
    assert.equal(Core.desktopConfigFromQuery('?team=7&roster=a:A:3001').team[0].id, 'a');
    assert.throws(() => Core.desktopConfigFromQuery('?team=a:b'), /id:Name:dialNumber/);
    assert.throws(() => Core.parseTeamSpec('a:A:3001:BOGUS_STATE_1:LOGIN'), /unknown Finesse state/);
    assert.throws(() => Core.normaliseTeam([{ id: 'a' }, { id: 'a' }]), /listed twice/);
    assert.throws(() => Core.normaliseTeam([{ name: 'nobody' }]), /needs an id/);
    assert.throws(() => Core.normaliseTeam('a'), /array/);
  });

  test('the XML shapes: empty is null, once is a scalar, several an array', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(Core.xmlShaped({ a: '', b: ['x'], c: ['x', 'y'], d: { e: [{ f: '' }] }, g: undefined, h: 0 }))),
      { a: null, b: 'x', c: ['x', 'y'], d: { e: { f: null } }, h: 0 });
  });

  test('team Users have the User resource shape; mobile agents carry their dial number', () => {
    const [a, b] = Core.normaliseTeam([{ id: 'agent3001', name: 'Alice', mobileAgentDialNumber: '3001', state: 'talking' },
      { id: 'agent1005', firstName: 'Dan', extension: '1005' }]);
    const ua = Core.buildTeamUserData(a, { id: '1', name: 'Team One' });
    assert.equal(ua.loginId, 'agent3001');
    assert.equal(ua.state, 'TALKING');
    assert.equal(ua.extension, '2001');
    assert.deepEqual({ ...ua.mobileAgent }, { mode: 'CALL_BY_CALL', dialNumber: '3001' });
    assert.equal(ua.teamId, '1');
    const ub = Core.buildTeamUserData(b, {});
    assert.equal(ub.mobileAgent, undefined);
    assert.equal(ub.extension, '1005');
    assert.ok(!('password' in ua) && !('password' in ub));
  });
});

describe('finesse.js and the gadget container in a fake iframe', () => {
  let mock;
  let finesseJs;
  let ifrHtml;
  before(async () => {
    mock = await startMockFinesse({ gadgetDir: FIXTURE_GADGET_DIR });
    finesseJs = (await get(`${mock.origin}/desktop/assets/js/finesse.js`)).body;
    ifrHtml = (await get(ifrUrl(mock.origin, GADGET_XML, '?brokerKind=sip'))).body;
  });
  after(async () => { await mock.close(); });

  /**
   * The rendered page's render data + container libs, then finesse.js (as the CDATA loads
   * it); `connected` (default) then runs the load handlers and has the container
   * acknowledge the hub, as before a gadget's onConnect.
   */
  function bootGadget({ connected = true, ...opts } = {}) {
    const win = fakeGadgetWindow(opts);
    assert.equal(runInlineScripts(win, ifrHtml, { upTo: 2 }), 2);
    win.run(finesseJs, 'finesse.js');
    if (connected) {
      win.run('gadgets.util.runOnLoadHandlers()');
      win.deliver('hub.connected', {});
    }
    return win;
  }

  test('gadgets.Prefs merges container prefs, URL prefs and spec defaults; Config is built from them', () => {
    const win = bootGadget();
    const prefs = win.run('new gadgets.Prefs()');
    assert.equal(prefs.getString('brokerKind'), 'sip');
    assert.equal(prefs.getString('fixtureDefault'), 'from-spec');
    assert.equal(prefs.getString('missing'), '');
    assert.equal(prefs.getInt('clientDriftInMillis'), 0);
    const cfg = win.run('finesse.gadget.Config');
    assert.equal(cfg.id, 'agent3000');
    assert.equal(cfg.authorization, AUTH);
    assert.equal(cfg.extension, '1000');
    assert.equal(cfg.host, 'finesse.test');
    assert.equal(cfg.hostPort, '8445');
    assert.equal(cfg.scheme, 'https');
    assert.equal(cfg.restHost, 'localhost');
    assert.equal(cfg.mobileAgentMode, 'CALL_BY_CALL');
    assert.equal(cfg.mobileAgentDialNumber, '3000');
    assert.equal(cfg.clientDriftInMillis, 0);
    assert.equal(typeof cfg.locale, 'string');
    const render = win.events('gadget.render')[0];
    assert.ok(!render.detail.prefNames.includes('authorization'), 'the container gives no authorization');
    assert.deepEqual(win.events('gadgets.Prefs.set').map((e) => e.detail.name), ['authorization'], 'finesse.js sets it at load');
    assert.ok(!JSON.stringify(win.sent).includes(AUTH), 'no pref value is posted to the desktop');
    win.dispose();
  });

  test('authorization comes from the desktop\'s session storage (userFinesseAuth), as finesse.js 10.5+ takes it; none there is ""', () => {
    const other = Buffer.from('agent3000:another').toString('base64');
    const win = bootGadget({ userFinesseAuth: other, containerPrefs: { id: 'agent3000', authorization: AUTH, host: 'h', restHost: 'r' } });
    assert.equal(win.run('finesse.gadget.Config.authorization'), other, 'session storage wins over the container');
    assert.equal(win.run('new gadgets.Prefs().getString("authorization")'), other);
    win.dispose();
    const none = bootGadget({ userFinesseAuth: null });
    assert.equal(none.run('finesse.gadget.Config.authorization'), '');
    none.dispose();
  });

  test('ClientServices.init before the hub connected throws as the OpenAjax hub does, is inited all the same, and never reports failover', () => {
    const win = bootGadget({ connected: false });
    assert.throws(() => win.run('finesse.clientservices.ClientServices.init(finesse.gadget.Config)'), /OpenAjax.hub.Error.Disconnected/);
    assert.equal(win.run('finesse.clientservices.ClientServices.isInited()'), true);
    assert.equal(win.run('finesse.gadget.Config.password'), PASSWORD, 'Config was rewritten before the throw');
    win.run('var downs = 0; finesse.clientservices.ClientServices.registerOnDisconnectHandler(function () { downs += 1; });');
    // A User made before the hub connected: logged and swallowed, no request, no callback.
    win.run('var errs = 0; new finesse.restservices.User({ id: "agent3000", onError: function () { errs += 1; } });');
    assert.match(win.events('User.constructorError').pop().detail.message, /OpenAjax.hub.Error.Disconnected/);
    assert.equal(win.last('user.get'), undefined);
    win.run('gadgets.util.runOnLoadHandlers()');
    win.deliver('hub.connected', {});
    win.run('finesse.clientservices.ClientServices.init(finesse.gadget.Config)'); // a no-op now
    win.deliver('failover', { active: true });
    assert.equal(win.run('downs'), 0, 'the connection state was never subscribed to');
    assert.equal(win.run('errs'), 0);
    win.dispose();
    const ok = bootGadget();
    ok.run('finesse.clientservices.ClientServices.init(finesse.gadget.Config); var downs = 0; finesse.clientservices.ClientServices.registerOnDisconnectHandler(function () { downs += 1; });');
    ok.deliver('failover', { active: true });
    assert.equal(ok.run('downs'), 1);
    ok.dispose();
  });

  test('onConnect runs after runOnLoadHandlers and the container acknowledges the hub', async () => {
    const win = bootGadget({ connected: false });
    win.run('var connected = 0; gadgets.HubSettings.onConnect = function (hub) { connected += 1; window.hubArg = hub; };');
    win.run('gadgets.util.runOnLoadHandlers()');
    assert.deepEqual(win.last('hub.connect'), { onConnect: true });
    assert.equal(win.run('connected'), 0, 'not before the container answers');
    win.deliver('hub.connected', {}, { source: {} }); // from a stranger: ignored
    assert.equal(win.run('connected'), 0);
    win.deliver('hub.connected', {});
    assert.equal(win.run('connected'), 1);
    assert.equal(win.run('hubArg === gadgets.Hub && gadgets.Hub.isConnected()'), true);
    win.deliver('hub.connected', {});
    assert.equal(win.run('connected'), 1, 'onConnect is called once');
    win.dispose();
  });

  test('an onConnect set after the load handlers ran is never called (as with the real hub)', () => {
    const win = bootGadget({ connected: false });
    win.run('gadgets.util.runOnLoadHandlers(); var late = 0; gadgets.HubSettings.onConnect = function () { late += 1; };');
    assert.deepEqual(win.last('hub.connect'), { onConnect: false });
    win.deliver('hub.connected', {});
    assert.equal(win.run('late'), 0);
    assert.deepEqual(win.events('hub.connected').map((e) => e.detail), [{ onConnect: false }]);
    win.dispose();
  });

  test('adjustHeight and setTitle ask the desktop to resize and retitle', () => {
    const win = bootGadget();
    win.run('gadgets.window.adjustHeight(123)');
    assert.deepEqual(win.last('adjustHeight'), { height: 123, requested: '123' });
    win.run('gadgets.window.adjustHeight()');
    assert.deepEqual(win.last('adjustHeight'), { height: 77, requested: null });
    win.run('gadgets.window.setTitle("Phone")');
    assert.deepEqual(win.last('setTitle'), { title: 'Phone' });
    win.dispose();
  });

  test('User needs ClientServices.init; ClientServices.init never posts the authorization', () => {
    const win = bootGadget();
    // finesse.js logs a constructor's problem and swallows it (no exception, no callback).
    win.run('new finesse.restservices.User({id: "agent3000"})');
    assert.match(win.events('User.constructorError')[0].detail.message, /ClientServices needs to be initialized/);
    win.run('finesse.clientservices.ClientServices.init(finesse.gadget.Config)');
    assert.equal(win.run('finesse.clientservices.ClientServices.isInited()'), true);
    const init = win.events('ClientServices.init')[0];
    assert.equal(init.detail.config.authorization, '[redacted]');
    assert.equal(init.detail.config.id, 'agent3000');
    assert.ok(!JSON.stringify(win.sent).includes(AUTH));
    assert.ok(!JSON.stringify(win.sent).includes(PASSWORD));
    win.dispose();
  });

  test('ClientServices.init validates and rewrites Config as finesse.js does (id from authorization, password added)', () => {
    const win = bootGadget();
    win.run('finesse.gadget.Config.id = "someone-else"; finesse.clientservices.ClientServices.init(finesse.gadget.Config)');
    assert.equal(win.run('finesse.gadget.Config.id'), 'agent3000', 'Config.id comes from authorization');
    assert.equal(win.run('finesse.gadget.Config.password'), PASSWORD, 'the password is added in clear text');
    assert.equal(win.events('ClientServices.init')[0].detail.config.password, '[redacted]');
    win.dispose();
    const bad = bootGadget();
    bad.run('finesse.gadget.Config.authorization = "bm9jb2xvbg=="'); // "nocolon"
    assert.throws(() => bad.run('finesse.clientservices.ClientServices.init(finesse.gadget.Config)'), /invalid authorization/);
    bad.dispose();
    const empty = bootGadget();
    empty.run('finesse.gadget.Config.authorization = ""; finesse.clientservices.ClientServices.init(finesse.gadget.Config)');
    assert.equal(empty.run('finesse.gadget.Config.password'), 'undefined', 'as 10.6.1: Base64 of "<id>:undefined"');
    assert.equal(empty.run('finesse.gadget.Config.authorization'), Buffer.from('agent3000:undefined').toString('base64'));
    empty.dispose();
  });

  test('configAt=onConnect: Config stays empty until the hub connects, then the same object is filled', async () => {
    const win = fakeGadgetWindow({ configAt: 'onConnect' });
    assert.equal(runInlineScripts(win, ifrHtml, { upTo: 2 }), 2);
    win.run(finesseJs, 'finesse.js');
    win.run('var before = finesse.gadget.Config; var seen = null; gadgets.HubSettings.onConnect = function () { seen = finesse.gadget.Config.id; };');
    assert.deepEqual(win.json('finesse.gadget.Config'), {});
    win.run('gadgets.util.runOnLoadHandlers()');
    win.deliver('hub.connected', {});
    assert.equal(win.run('seen'), 'agent3000', 'filled before the gadget\'s onConnect runs');
    assert.equal(win.run('before === finesse.gadget.Config'), true);
    assert.equal(win.events('finesse.gadget.Config.filled').length, 1);
    win.dispose();
  });

  test('User: onLoad is asynchronous with the desktop data; getters follow finesse.js', async () => {
    const win = bootGadget();
    win.run(`finesse.clientservices.ClientServices.init(finesse.gadget.Config);
      var loads = []; var changes = [];
      var user = new finesse.restservices.User({ id: finesse.gadget.Config.id,
        onLoad: function (u) { loads.push(u === user ? 'same' : 'other'); },
        onChange: function (u) { changes.push(u.getState()); } });`);
    const reqGet = win.last('user.get');
    assert.equal(reqGet.id, 'agent3000');
    assert.equal(win.run('loads.length'), 0);
    assert.throws(() => win.run('user.getState()'), /not loaded yet/);
    const identity = Core.normaliseIdentity(Core.DEFAULT_IDENTITY, {});
    win.deliver('user.data', { reqId: reqGet.reqId, status: 200, data: Core.buildUserData(identity, { state: 'NOT_READY' }) });
    assert.deepEqual(win.json('loads'), ['same']);
    const got = win.run(`({ id: user.getId(), state: user.getState(), pending: user.getPendingState(), first: user.getFirstName(),
      last: user.getLastName(), ext: user.getExtension(), team: user.getTeamId(), teamName: user.getTeamName(),
      sup: user.hasSupervisorRole(), agent: user.hasAgentRole(), mobile: user.isMobileAgent(), mode: user.getMobileAgentMode(),
      dial: user.getMobileAgentDialNumber(), data: user.getData().loginId, teams: user.getSupervisedTeams().length })`);
    assert.deepEqual(JSON.parse(JSON.stringify(got)), { id: 'agent3000', state: 'NOT_READY', pending: '', first: 'Test', last: 'Agent', ext: '1000', team: '1',
      teamName: 'Team One', sup: false, agent: true, mobile: true, mode: 'CALL_BY_CALL', dial: '3000', data: 'agent3000', teams: 0 });
    assert.equal(win.run('finesse.restservices.User.States.NOT_READY'), 'NOT_READY');
    assert.deepEqual(Object.keys(win.run('finesse.restservices.User.States')).sort(),
      ['HOLD', 'LOGIN', 'LOGOUT', 'NOT_READY', 'READY', 'RESERVED', 'RESERVED_OUTBOUND', 'RESERVED_OUTBOUND_PREVIEW', 'TALKING', 'WORK', 'WORK_READY']);

    // change notifications: onChange and addHandler('change') get the same User object
    win.run('var viaAdd = []; user.addHandler("change", function (u) { viaAdd.push(u === user && u.getState()); });');
    win.deliver('user.update', { data: Core.buildUserData(identity, { state: 'READY' }) });
    assert.deepEqual(win.json('changes'), ['READY']);
    assert.deepEqual(win.json('viaAdd'), ['READY']);
    win.deliver('user.update', { data: Core.buildUserData(Core.normaliseIdentity(identity, { id: 'someone-else' }), { state: 'TALKING' }) });
    assert.deepEqual(win.json('changes'), ['READY'], 'updates for another user are ignored');
    win.deliver('user.update', { data: Core.buildUserData(Core.normaliseIdentity(identity, { mobileAgent: false, supervisor: true }), { state: 'LOGOUT' }) });
    assert.deepEqual(win.json('changes'), ['READY', 'LOGOUT']);
    assert.equal(win.run('user.isMobileAgent()'), false);
    assert.equal(win.run('user.getMobileAgentDialNumber()'), null);
    assert.equal(win.run('user.hasSupervisorRole()'), true);

    // a 'load' handler added after load still fires (asynchronously)
    win.run('var lateLoad = 0; user.addHandler("load", function () { lateLoad += 1; });');
    assert.equal(win.run('lateLoad'), 0);
    await tick();
    assert.equal(win.run('lateLoad'), 1);
    const names = win.events().map((e) => e.name);
    assert.ok(names.includes('User.new') && names.includes('User.onLoad') && names.includes('User.onChange'), names.join());
    win.dispose();
  });

  test('User: an error answer calls onError, not onLoad', () => {
    const win = bootGadget();
    win.run(`finesse.clientservices.ClientServices.init(finesse.gadget.Config);
      var errs = []; var loaded = 0;
      new finesse.restservices.User({ id: "agent9999", onLoad: function () { loaded += 1; }, onError: function (e) { errs.push(e.status); } });`);
    win.deliver('user.data', { reqId: win.last('user.get').reqId, status: 401, errorType: 'Unauthorized' });
    assert.deepEqual(win.json('errs'), [401]);
    assert.equal(win.run('loaded'), 0);
    win.dispose();
  });

  test('User.setState sends a request and reports the REST outcome', () => {
    const win = bootGadget();
    win.run(`finesse.clientservices.ClientServices.init(finesse.gadget.Config);
      var user = new finesse.restservices.User({ id: "agent3000" }); var out = [];`);
    win.deliver('user.data', { reqId: win.last('user.get').reqId, status: 200, data: Core.buildUserData(Core.DEFAULT_IDENTITY, {}) });
    win.run('user.setState(finesse.restservices.User.States.READY, null, { success: function (r) { out.push(r.status); }, error: function (r) { out.push("e" + r.status); } })');
    const req = win.last('user.setState');
    assert.equal(req.state, 'READY');
    win.deliver('rest.response', { reqId: req.reqId, status: 202 });
    win.run('user.setState("TALKING", null, { success: function (r) { out.push(r.status); }, error: function (r) { out.push("e" + r.status); } })');
    win.deliver('rest.response', { reqId: win.last('user.setState').reqId, status: 400 });
    assert.deepEqual(win.json('out'), [202, 'e400']);
    win.dispose();
  });

  test('getDialogs keeps the finesse.js collection shape and notifies adds and deletes', () => {
    const win = bootGadget();
    win.run(`finesse.clientservices.ClientServices.init(finesse.gadget.Config);
      var user = new finesse.restservices.User({ id: "agent3000" }); var log = [];`);
    win.deliver('user.data', { reqId: win.last('user.get').reqId, status: 200, data: Core.buildUserData(Core.DEFAULT_IDENTITY, {}) });
    win.run(`var dialogs = user.getDialogs({
      onCollectionAdd: function (d) { log.push("add " + d.getId() + " " + d.getState() + " " + d.getFromAddress() + ">" + d.getToAddress() + " " + d.getMediaProperties().DNIS); },
      onCollectionDelete: function (d) { log.push("del " + d.getId() + " " + d.getState()); },
      onLoad: function (c) { log.push("load " + c.length); } });`);
    assert.equal(win.run('user.getDialogs() === dialogs'), true, 'one collection per user');
    win.deliver('dialogs.data', { reqId: win.last('dialogs.get').reqId, dialogs: [] });
    const d = { id: '10001', state: 'ALERTING', fromAddress: '5551234567', toAddress: '1000', mediaProperties: { DNIS: '1000', callvariables: { CallVariable: [{ name: 'callVariable1', value: 'x' }] } }, participants: { Participant: [] } };
    win.deliver('dialog.add', { data: d });
    assert.equal(win.run('dialogs.getCollection()["10001"].getMediaProperties().callVariable1'), 'x');
    win.deliver('dialog.delete', { data: { ...d, state: 'DROPPED' } });
    assert.deepEqual(win.json('log'), ['load 0', 'add 10001 ALERTING 5551234567>1000 1000', 'del 10001 DROPPED']);
    assert.equal(win.run('Object.keys(dialogs.getCollection()).length'), 0);
    win.dispose();
  });

  test('Team: getSupervisedTeams -> new Team -> getUsers -> getCollection, with User change handlers', async () => {
    const win = bootGadget();
    const sup = Core.normaliseIdentity(Core.SUPERVISOR_IDENTITY, {});
    const team = Core.parseTeamSpec(Core.DEFAULT_TEAM_SPEC).map((m) => ({ ...m, stateChangeTime: '2026-01-01T00:00:00.000Z' }));
    const teamInfo = { id: '1', name: 'Team One' };
    const users = (members) => members.map((m) => Core.buildTeamUserData(m, teamInfo));
    win.run(`finesse.clientservices.ClientServices.init(finesse.gadget.Config);
      var log = []; var users = null; var teamObj = null;
      var me = new finesse.restservices.User({ id: "supervisor3900", onLoad: function (u) {
        u.getSupervisedTeams().forEach(function (t) {
          teamObj = new finesse.restservices.Team({ id: t.id, onLoad: function (team) {
            log.push("team " + team.getId() + " " + team.getName());
            team.getUsers({
              onLoad: function (c) {
                users = c;
                var col = c.getCollection();
                Object.keys(col).forEach(function (id) {
                  var u = col[id];
                  log.push("user " + u.getId() + " " + u.getFirstName() + " " + u.getExtension() + " " + u.getMobileAgentDialNumber() + " " + u.getState());
                  u.addHandler("change", function (x) { log.push("change " + x.getId() + " " + x.getState()); });
                });
              },
              onCollectionAdd: function (u) { log.push("add " + u.getId()); },
              onCollectionDelete: function (u) { log.push("del " + u.getId()); } });
          } });
        });
      } });`);
    win.deliver('user.data', { reqId: win.last('user.get').reqId, status: 200, data: Core.buildUserData(sup, {}) });
    assert.equal(win.last('team.get').id, '1');
    assert.throws(() => win.run('teamObj.getUsers()'), /not loaded yet/);
    const teamData = { id: '1', name: 'Team One', uri: '/finesse/api/Team/1', users: { User: users(team) } };
    win.deliver('team.data', { reqId: win.last('team.get').reqId, status: 200, data: teamData });
    // getUsers: the node subscription round trip, then the members from GET Team/1.
    const gets = () => win.sent.filter((m) => m.msg.kind === 'team.get').length;
    assert.equal(gets(), 1);
    assert.equal(win.last('node.subscribe').node, '/finesse/api/Team/1/Users');
    win.deliver('node.subscribed', { reqId: win.last('node.subscribe').reqId, error: null });
    assert.equal(gets(), 2);
    win.deliver('team.data', { reqId: win.last('team.get').reqId, status: 200, data: teamData });
    assert.equal(win.run('teamObj.getUsers() === users'), true, 'one Users collection per team');
    assert.equal(win.run('users.length'), 2);
    // A roster update: one state change, another team's update ignored, then an add and a delete.
    win.deliver('team.users.update', { teamId: '1', users: users([{ ...team[0], state: 'READY' }, team[1]]) });
    win.deliver('team.users.update', { teamId: '1', users: users([{ ...team[0], state: 'READY' }, team[1]]) });
    win.deliver('team.users.update', { teamId: '2', users: [] });
    const carol = { ...Core.normaliseTeamMember({ id: 'agent3003', name: 'Carol', mobileAgentDialNumber: '3003' }), stateChangeTime: team[0].stateChangeTime };
    win.deliver('team.users.update', { teamId: '1', users: users([{ ...team[0], state: 'READY' }, carol]) });
    assert.deepEqual(win.json('log'), ['team 1 Team One',
      'user agent3001 Alice 2001 3001 NOT_READY', 'user agent3002 Bob 2002 3002 NOT_READY',
      'change agent3001 READY', 'add agent3003', 'del agent3002']);
    assert.deepEqual(win.json('Object.keys(users.getCollection()).sort()'), ['agent3001', 'agent3003']);
    win.dispose();
  });

  test('Team members: a refused node subscription reaches onError as the desktop answered it (no status), and no GET follows; one member is an object', () => {
    const win = bootGadget();
    win.run(`finesse.clientservices.ClientServices.init(finesse.gadget.Config); var out = []; var team;
      new finesse.restservices.Team({ id: "1", onLoad: function (t) { team = t; } });`);
    win.deliver('team.data', { reqId: win.last('team.get').reqId, status: 200, data: { id: '1', name: 'One', users: null } });
    win.run('team.getUsers({ onLoad: function (c) { out.push("load " + c.length); }, onError: function (e) { out.push(JSON.stringify(e)); } })');
    win.deliver('node.subscribed', { reqId: win.last('node.subscribe').reqId, error: { errorType: 'Not connected', errorMessage: 'Cannot subscribe without connection.' } });
    assert.deepEqual(win.json('out'), [JSON.stringify({ error: { errorType: 'Not connected', errorMessage: 'Cannot subscribe without connection.' } })]);
    assert.equal(win.sent.filter((m) => m.msg.kind === 'team.get').length, 1);
    win.dispose();
    const one = bootGadget();
    one.run(`finesse.clientservices.ClientServices.init(finesse.gadget.Config); var out = []; var team;
      new finesse.restservices.Team({ id: "1", onLoad: function (t) { team = t; } });`);
    one.deliver('team.data', { reqId: one.last('team.get').reqId, status: 200, data: { id: '1', name: 'One' } });
    one.run('team.getUsers({ onLoad: function (c) { out.push(Object.keys(c.getCollection()).join()); } })');
    one.deliver('node.subscribed', { reqId: one.last('node.subscribe').reqId, error: null });
    const alice = Core.buildTeamUserData(Core.normaliseTeamMember({ id: 'agent3001', name: 'Alice', mobileAgentDialNumber: '3001' }), { id: '1', name: 'One' });
    one.deliver('team.data', { reqId: one.last('team.get').reqId, status: 200, data: { id: '1', name: 'One', users: { User: alice } } });
    assert.deepEqual(one.json('out'), ['agent3001']);
    one.dispose();
  });

  test('Team: a refused team (not its supervisor) calls onError, never onLoad', () => {
    const win = bootGadget();
    win.run(`finesse.clientservices.ClientServices.init(finesse.gadget.Config); var out = [];
      new finesse.restservices.Team({ id: "9", onLoad: function () { out.push("load"); }, onError: function (e) { out.push(e.status); } });`);
    win.run('new finesse.restservices.Team({})'); // logged and swallowed, as finesse.js does
    assert.match(win.events('Team.constructorError').pop().detail.message, /options.id is required/);
    win.deliver('team.data', { reqId: win.last('team.get').reqId, status: 403, errorType: 'Forbidden' });
    assert.deepEqual(win.json('out'), [403]);
    win.dispose();
  });

  test('ContainerServices: init returns the service, ACTIVE_TAB handlers fire once per activation', () => {
    const win = bootGadget();
    win.run(`var cs = finesse.containerservices.ContainerServices.init(); var tabs = 0;
      cs.addHandler(finesse.containerservices.ContainerServices.Topics.ACTIVE_TAB, function () { tabs += 1; });`);
    assert.equal(win.run('finesse.containerservices.ContainerServices.Topics.ACTIVE_TAB'), 'finesse.containerservices.activeTab');
    assert.equal(win.run('cs === finesse.containerservices.ContainerServices'), true);
    assert.deepEqual(win.last('cs.request'), { type: 'ActiveTabReq' });
    assert.equal(win.run('tabs'), 0);
    win.deliver('activeTab', {});
    win.deliver('activeTab', {});
    assert.equal(win.run('tabs'), 1);
    assert.equal(win.run('cs.tabVisible()'), true);
    assert.throws(() => win.run('cs.addHandler("x", 42)'), /addHandler\(\)/);
    win.dispose();
  });

  test('messages from other origins are ignored', () => {
    const win = bootGadget();
    win.run('finesse.clientservices.ClientServices.init(finesse.gadget.Config); var n = 0; new finesse.restservices.User({ id: "agent3000", onLoad: function () { n += 1; } });');
    const reqId = win.last('user.get').reqId;
    win.deliver('user.data', { reqId, status: 200, data: Core.buildUserData(Core.DEFAULT_IDENTITY, {}) }, { origin: 'http://evil.example' });
    assert.equal(win.run('n'), 0);
    win.deliver('user.data', { reqId, status: 200, data: Core.buildUserData(Core.DEFAULT_IDENTITY, {}) });
    assert.equal(win.run('n'), 1);
    win.dispose();
  });
});

describe('--gadget-origin mode (trunk serve)', () => {
  let origin;
  let originUrl;
  let mock;
  before(async () => {
    origin = http.createServer((req, res) => {
      const p = req.url.split('?')[0];
      if (p === '/3rdpartygadget/files/TTECPhone/gadget.xml') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end(fs.readFileSync(path.join(FIXTURE_GADGET_DIR, 'gadget.xml')));
      } else if (p === '/3rdpartygadget/files/TTECPhone/assets/app_bg.wasm') {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        res.end(Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
      } else {
        res.writeHead(404);
        res.end('nope');
      }
    });
    await new Promise((r) => origin.listen(0, '127.0.0.1', r));
    originUrl = `http://127.0.0.1:${origin.address().port}`;
    mock = await startMockFinesse({ gadgetOrigin: originUrl });
  });
  after(async () => {
    await mock.close();
    await new Promise((r) => { origin.closeAllConnections?.(); origin.close(r); });
  });

  test('gadget files are proxied with corrected MIME types, and ifr renders from the origin', async () => {
    const wasm = await get(`${mock.origin}/3rdpartygadget/files/TTECPhone/assets/app_bg.wasm`);
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers['content-type'], 'application/wasm');
    assert.equal((await get(`${mock.origin}/3rdpartygadget/files/TTECPhone/missing.js`)).status, 404);
    const ifr = await get(ifrUrl(mock.origin, GADGET_XML, '?brokerKind=wazo'));
    assert.equal(ifr.status, 200);
    assert.match(ifr.body, /"brokerKind":"wazo"/);
    assert.match(ifr.body, /fixture\.init\(\)/);
  });

  test('watchOrigin reports the origin gone after it stops answering', async () => {
    const o2 = http.createServer((req, res) => res.end('ok'));
    await new Promise((r) => o2.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${o2.address().port}`;
    let gone = null;
    const t = watchOrigin(url, (seen) => { gone = seen; }, { intervalMs: 40, failuresToExit: 2 });
    await tick(150);
    assert.equal(gone, null, 'still answering');
    await new Promise((r) => { o2.closeAllConnections?.(); o2.close(r); });
    for (let i = 0; i < 50 && gone === null; i += 1) await tick(40);
    clearInterval(t);
    assert.equal(gone, true);
  });

  test('the CLI prints its URL and --exit-when-origin-gone ends it when the origin stops', async () => {
    const o3 = http.createServer((req, res) => res.end('ok'));
    await new Promise((r) => o3.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${o3.address().port}`;
    const child = spawn(process.execPath, [path.join(MOCK_FINESSE_DIR, 'server.mjs'), '--port', '0', '--gadget-origin', url, '--exit-when-origin-gone'],
      { env: { ...process.env, MOCK_FINESSE_POLL_MS: '100' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { out += c; });
    const exited = new Promise((r) => child.on('exit', (code) => r(code)));
    for (let i = 0; i < 100 && !/Mock Finesse: http:\/\/127\.0\.0\.1:\d+\/desktop\//.test(out); i += 1) await tick(50);
    assert.match(out, /Mock Finesse: http:\/\/127\.0\.0\.1:\d+\/desktop\/ {2}\(gadget proxied from http:\/\/127\.0\.0\.1:\d+\)/);
    await tick(300);
    assert.equal(child.exitCode, null, 'keeps running while the origin answers');
    await new Promise((r) => { o3.closeAllConnections?.(); o3.close(r); });
    const code = await Promise.race([exited, tick(5000).then(() => 'timeout')]);
    if (code === 'timeout') child.kill();
    assert.equal(code, 0, out);
    assert.match(out, /stopped answering; exiting/);
  });
});

describe('command line', () => {
  test('parseArgs: defaults, values and errors', () => {
    const d = parseArgs([]);
    assert.equal(d.port, 8083);
    assert.equal(d.host, '127.0.0.1');
    assert.equal(d.gadgetName, 'TTECPhone');
    const o = parseArgs(['--port=9000', '--gadget-origin', 'http://127.0.0.1:8080/x', '--exit-when-origin-gone']);
    assert.equal(o.port, 9000);
    assert.equal(o.gadgetOrigin, 'http://127.0.0.1:8080');
    assert.equal(o.exitWhenOriginGone, true);
    assert.equal(parseArgs(['--gadget-dir', 'dist']).gadgetDir, path.resolve('dist'));
    assert.throws(() => parseArgs(['--gadget-dir', 'a', '--gadget-origin', 'http://x']), /either/);
    assert.throws(() => parseArgs(['--exit-when-origin-gone']), /needs --gadget-origin/);
    assert.throws(() => parseArgs(['--port', 'x']), /--port/);
    assert.throws(() => parseArgs(['--bogus']), /unknown option/);
    assert.throws(() => parseArgs(['--gadget-name', '../x']), /plain folder name/);
    assert.throws(() => parseArgs(['--gadget-origin', 'https://x']), /http:\/\//);
  });

  test('a second instance on the same port reports the running one and exits 0', async () => {
    const mock = await startMockFinesse({ gadgetDir: FIXTURE_GADGET_DIR });
    try {
      const child = spawn(process.execPath, [path.join(MOCK_FINESSE_DIR, 'server.mjs'), '--port', String(mock.port), '--gadget-dir', FIXTURE_GADGET_DIR],
        { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c) => { out += c; });
      const code = await new Promise((r) => child.on('exit', r));
      assert.equal(code, 0);
      assert.match(out, /already running/);
    } finally {
      await mock.close();
    }
  });
});

// Keep the fixture honest: it is what the browser test renders.
test('the fixture gadget.xml is a valid Finesse spec loading finesse.js and local files only', () => {
  const spec = parseGadgetSpec(fs.readFileSync(path.join(FIXTURE_GADGET_DIR, 'gadget.xml'), 'utf8'));
  assert.ok(spec.features.includes('pubsub-2'));
  const srcs = [...spec.html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(srcs.length >= 3);
  for (const s of srcs) assert.match(s, /^\/(desktop\/assets\/js\/|3rdpartygadget\/files\/TTECPhone\/)/, s);
});

const here = fileURLToPath(import.meta.url);
assert.ok(here.endsWith('mock_finesse.test.mjs'));
