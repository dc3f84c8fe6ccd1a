// The Wazo stub answers as wazo-auth, wazo-confd and Wazo's nginx do (no browser, no bed needed).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  LDAP_DOMAIN, MAX_USER_CONCURRENT_SESSIONS, TENANT_UUID, loadUsers, sipAccounts, sipSecretFor, sipUsernameFor, startWazoStub,
} from '../stub.mjs';

const ACCOUNTS_CLI = fileURLToPath(new URL('../accounts.mjs', import.meta.url));
const basic = (login, password) => `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
const agent = (n) => basic(`agent${n}`, `test-password-${n}`);
let stub;

function postToken(body, auth) {
  return fetch(`${stub.origin}/api/auth/0.1/token`, {
    method: 'POST',
    headers: { ...(auth ? { Authorization: auth } : {}), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}
const login = (extra = {}, auth = agent(3000)) => postToken({ backend: 'wazo_user', expiration: 3600, access_type: 'offline', client_id: 'ttecphone', ...extra }, auth);
const refresh = (refreshToken, extra = {}) => postToken({ backend: 'wazo_user', expiration: 3600, refresh_token: refreshToken, client_id: 'ttecphone', ...extra });
const revoke = (token) => fetch(`${stub.origin}/api/auth/0.1/token/${token}`, { method: 'DELETE', headers: { 'X-Auth-Token': token } });
const userOf = (login) => stub.users.find((u) => u.login === login);

async function session(n = 3000) {
  const res = await login({}, agent(n));
  assert.equal(res.status, 200);
  return (await res.json()).data;
}
function confd(data) {
  return (p) => fetch(`${stub.origin}/api/confd/1.1/${p}`, { headers: data ? { 'X-Auth-Token': data.token } : {} });
}

/** A raw WebSocket handshake to the stub; resolves with what came back (and the socket). */
function handshake(port, { path = '/api/asterisk/ws', protocol = 'sip' } = {}) {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => {
      c.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${protocol === null ? '' : `Sec-WebSocket-Protocol: ${protocol}\r\n`}\r\n`);
    });
    let got = '';
    c.on('data', (d) => { got += d; if (got.includes('\r\n\r\n')) resolve({ reply: got, socket: c }); });
    c.on('error', reject);
    c.on('close', () => resolve({ reply: got, socket: c }));
  });
}

describe('wazo stub', () => {
  before(async () => { stub = await startWazoStub({ port: 0 }); });
  after(async () => { await stub?.close(); });

  test('users.conf users plus the stub\'s test users; SIP usernames and secrets like real ones, not the extension or the login password', () => {
    const a3000 = userOf('agent3000');
    assert.equal(a3000.password, 'test-password-3000');
    assert.equal(a3000.lines.length, 1);
    const line = a3000.lines[0];
    assert.equal(line.extension, '3000');
    assert.notEqual(String(line.id), '3000', 'line ids are confd\'s own, not the extension');
    assert.match(line.sipUsername, /^[a-z][a-z0-9]{7}$/);
    assert.notEqual(line.sipUsername, '3000');
    assert.equal(line.sipUsername, sipUsernameFor('3000'), 'fixed by the extension: the bed can create it');
    assert.equal(line.sipSecret, sipSecretFor('3000'));
    assert.notEqual(line.sipSecret, a3000.password, 'the SIP secret is not the login password');
    assert.deepEqual(userOf('agent3004').lines.map((l) => l.kind), ['sccp', 'desk', 'webrtc']);
    assert.deepEqual(userOf('agent3005').lines.map((l) => l.kind), ['desk', 'custom']);
    assert.equal(userOf('agent3006').authentication, 'ldap');
    for (const u of loadUsers()) assert.ok(u.lines.length > 0);
  });

  test('sipAccounts() and accounts.mjs give the bed every SIP line: username, password, extension, webrtc|desk', async () => {
    const accounts = sipAccounts(stub.users);
    const sipLines = stub.users.flatMap((u) => u.lines.filter((l) => l.protocol === 'sip'));
    assert.equal(accounts.length, sipLines.length, 'SCCP and custom lines have no SIP account');
    assert.deepEqual(accounts.find((a) => a.login === 'agent3000'), { username: sipUsernameFor('3000'), password: sipSecretFor('3000'), extension: '3000', webrtc: true, login: 'agent3000' });
    assert.deepEqual(accounts.filter((a) => a.extension === '3004').map((a) => a.webrtc), [false, true]);
    const out = await new Promise((resolve, reject) => execFile(process.execPath, [ACCOUNTS_CLI], (e, stdout) => (e ? reject(e) : resolve(stdout))));
    const lines = out.trim().split('\n');
    assert.equal(lines.length, accounts.length);
    assert.equal(lines[0], `${accounts[0].username} ${accounts[0].password} 3000 webrtc`);
    assert.ok(lines.includes(`${sipUsernameFor('3004', 'desk')} ${sipSecretFor('3004', 'desk')} 3004 desk`));
    const webrtcOnly = await new Promise((resolve, reject) => execFile(process.execPath, [ACCOUNTS_CLI, '--webrtc', '--json'], (e, stdout) => (e ? reject(e) : resolve(stdout))));
    assert.deepEqual(JSON.parse(webrtcOnly), accounts.filter((a) => a.webrtc));
  });

  test('CORS preflight from another origin allows the headers the gadget sends', async () => {
    const res = await fetch(`${stub.origin}/api/auth/0.1/token`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://127.0.0.1:9999', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://127.0.0.1:9999');
    const allowed = res.headers.get('access-control-allow-headers').toLowerCase();
    for (const h of ['authorization', 'content-type', 'x-auth-token']) assert.ok(allowed.includes(h), h);
    assert.match(res.headers.get('access-control-allow-methods'), /DELETE/);
    assert.match(res.headers.get('access-control-allow-methods'), /HEAD/);
  });

  test('login: token response shaped like wazo-auth; wrong password is 401', async () => {
    stub.reset();
    const res = await login();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('wazo-sessions-revoked'), '0');
    const { data } = await res.json();
    for (const k of ['token', 'refresh_token', 'session_uuid', 'expires_at', 'utc_expires_at', 'issued_at', 'auth_id']) assert.ok(data[k], k);
    assert.equal(data.metadata.uuid, userOf('agent3000').uuid);
    assert.equal(data.metadata.tenant_uuid, TENANT_UUID);
    const lifetime = Date.parse(`${data.utc_expires_at}Z`) - Date.parse(`${data.utc_issued_at}Z`);
    assert.equal(lifetime, 3600 * 1000);
    const bad = await login({}, basic('agent3000', 'agent3000'));
    assert.equal(bad.status, 401);
    assert.deepEqual((await bad.json()).reason, ['Authentication Failed']);
    assert.equal((await login({}, 'Bearer nope')).status, 401);
    assert.equal(stub.stats().logins, 1);
    assert.equal(stub.stats().loginFailures, 2);
    const online = await postToken({ backend: 'wazo_user', expiration: 60 }, agent(3000));
    assert.equal(online.status, 200);
    assert.equal((await online.json()).data.refresh_token, undefined, 'no refresh token without access_type offline');
  });

  test('400 for what wazo-auth\'s TokenRequestSchema refuses, before any credential check', async () => {
    stub.reset();
    const cases = [
      [{ access_type: 'offline' }, /"client_id" must be specified when using "access_type" is "offline"/],
      [{ access_type: 'offline', client_id: 'ttecphone', refresh_token: 'x' }, /cannot use the "access_type" "offline" with a refresh token/],
      [{ domain_name: LDAP_DOMAIN, tenant_id: TENANT_UUID }, /"tenant_id" and "domain_name" must be mutually exclusive/],
      [{ refresh_token: 'x' }, /"client_id" must be specified when using a "refresh_token"/],
      [{ expiration: 0 }, /expiration/],
      [{ expiration: '3600' }, /Not a valid integer/],
      [{ access_type: 'forever' }, /Must be one of: online, offline/],
    ];
    for (const [body, reason] of cases) {
      const res = await postToken({ backend: 'wazo_user', ...body }, agent(3000));
      assert.equal(res.status, 400, JSON.stringify(body));
      const answer = await res.json();
      assert.equal(answer.status_code, 400);
      assert.match(answer.reason[0], reason);
    }
    const s = stub.stats();
    assert.deepEqual([s.badRequests, s.logins, s.loginFailures, s.tokenPosts], [cases.length, 0, 0, cases.length]);
    // access_type online (the default) with a refresh token is a plain refresh.
    const { refresh_token: rt } = await session();
    assert.equal((await refresh(rt, { access_type: 'online' })).status, 200);
  });

  test('HEAD checks; a refresh answers a new token without refresh_token; DELETE revokes', async () => {
    stub.reset();
    const data = await session();
    const head = (t) => fetch(`${stub.origin}/api/auth/0.1/token/${t}`, { method: 'HEAD' });
    assert.equal((await head(data.token)).status, 204);
    assert.equal((await head('00000000-0000-4000-8000-000000000000')).status, 404);
    const refreshed = await refresh(data.refresh_token);
    assert.equal(refreshed.status, 200);
    const next = (await refreshed.json()).data;
    assert.notEqual(next.token, data.token);
    assert.ok(!('refresh_token' in next), 'wazo-auth answers a refresh without refresh_token');
    assert.equal(next.metadata.uuid, data.metadata.uuid);
    assert.equal((await refresh(data.refresh_token, { client_id: 'other' })).status, 401);
    assert.equal((await refresh('no-such-refresh-token')).status, 401);
    assert.equal((await revoke(next.token)).status, 200);
    assert.equal((await head(next.token)).status, 404);
    const again = await session();
    assert.equal(again.refresh_token, data.refresh_token, 'one refresh token per user and client_id');
    const s = stub.stats();
    assert.deepEqual([s.heads, s.headsValid, s.refreshes, s.refreshFailures, s.deletes], [3, 1, 1, 2, 1]);
  });

  test('429 once the user has max_user_concurrent_sessions live sessions (default 100), for logins and refreshes', async () => {
    const shared = stub;
    const fresh = await startWazoStub({ port: 0 });
    try {
      stub = fresh;
      assert.equal(MAX_USER_CONCURRENT_SESSIONS, 100);
      for (let i = 0; i < 100; i++) assert.equal((await login()).status, 200, `session ${i + 1}`);
      const refused = await login();
      assert.equal(refused.status, 429);
      const body = await refused.json();
      assert.equal(body.status_code, 429);
      assert.match(body.reason[0], new RegExp(`User ${userOf('agent3000').uuid} has exceeded the maximum number of active sessions`));
      assert.equal((await login({}, agent(3001))).status, 200, 'per user');
      stub.configure({ maxUserConcurrentSessions: 2 });
      stub.configure({ expireAll: true });
      const first = await session();
      await session();
      assert.equal((await refresh(first.refresh_token)).status, 429, 'a refresh opens a session too');
      assert.equal((await login({}, basic('agent3000', 'wrong'))).status, 401, 'credentials are checked first');
      assert.equal((await revoke(first.token)).status, 200);
      assert.equal((await login()).status, 200, 'a revoked session frees its place');
      assert.equal(stub.stats().tooManySessions, 2);
      stub.configure({ maxUserConcurrentSessions: null });
    } finally {
      // Back to the suite's stub (which `after` closes); a new one here was never closed
      // and kept the test process alive.
      await fresh.close();
      stub = shared;
    }
  });

  test('an LDAP user logs in only with the tenant\'s domain_name (or tenant_id); a native user never through LDAP', async () => {
    stub.reset();
    const ldap = agent(3006);
    assert.equal((await login({}, ldap)).status, 401, 'LDAP user without domain_name');
    const ok = await login({ domain_name: LDAP_DOMAIN }, ldap);
    assert.equal(ok.status, 200);
    const data = (await ok.json()).data;
    assert.equal(data.metadata.uuid, userOf('agent3006').uuid);
    assert.equal((await login({ tenant_id: TENANT_UUID }, ldap)).status, 200, 'tenant_id (deprecated) works too');
    assert.equal((await login({ domain_name: 'other.example' }, ldap)).status, 401, 'unknown domain');
    assert.equal((await login({ domain_name: LDAP_DOMAIN }, basic('agent3006', 'wrong'))).status, 401);
    assert.equal((await login({ domain_name: LDAP_DOMAIN })).status, 401, 'agent3000 is not in the directory');
    assert.equal((await refresh(data.refresh_token)).status, 200, 'a refresh needs no domain_name');
    const s = stub.stats();
    assert.deepEqual([s.logins, s.ldapLogins, s.loginFailures, s.refreshes], [2, 2, 4, 1]);
  });

  test('rejectLogin refuses a right password with wazo-auth\'s 401 until it is switched off; tokenPosts counts every POST /token', async () => {
    stub.reset();
    stub.configure({ rejectLogin: true });
    try {
      const refused = await login();
      assert.equal(refused.status, 401);
      assert.deepEqual((await refused.json()).reason, ['Authentication Failed']);
    } finally {
      stub.configure({ rejectLogin: false });
    }
    assert.equal((await login()).status, 200);
    const s = stub.stats();
    assert.deepEqual([s.tokenPosts, s.logins, s.loginFailures], [2, 1, 1]);
  });

  test('short token lifetimes expire', async () => {
    stub.configure({ tokenLifetimeS: 1 });
    const data = await session();
    assert.equal(Date.parse(`${data.utc_expires_at}Z`) - Date.parse(`${data.utc_issued_at}Z`), 1000);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await fetch(`${stub.origin}/api/auth/0.1/token/${data.token}`, { method: 'HEAD' })).status, 404);
    stub.configure({ tokenLifetimeS: null });
  });

  test('confd: the user\'s lines as LineListSchema lists them; other users and no token are 401', async () => {
    const data = await session();
    const get = confd(data);
    const user = await (await get(`users/${data.metadata.uuid}`)).json();
    assert.equal(user.uuid, data.metadata.uuid);
    const [line] = user.lines;
    const own = userOf('agent3000').lines[0];
    assert.equal(line.id, own.id);
    assert.deepEqual(line.extensions.map((e) => [e.exten, e.context]), [['3000', 'default']]);
    assert.equal(line.endpoint_sip.name, own.sipUsername);
    assert.deepEqual(line.endpoint_sip.auth_section_options, [['username', own.sipUsername]], 'the username only, never the password');
    assert.equal(line.endpoint_sccp, null);
    assert.equal(line.endpoint_custom, null);
    assert.equal(line.is_webrtc, true);
    assert.equal((await get(`users/${user.uuid}`.replace(data.metadata.uuid, userOf('agent3001').uuid))).status, 401);
    assert.equal((await confd(null)(`users/${user.uuid}`)).status, 401);
    const d4 = await session(3004);
    const lines = (await (await confd(d4)(`users/${d4.metadata.uuid}`)).json()).lines;
    assert.deepEqual(lines.map((l) => [Boolean(l.endpoint_sccp), Boolean(l.endpoint_sip), l.is_webrtc, l.extensions[0].exten]),
      [[true, false, false, '2004'], [false, true, false, '3004'], [false, true, true, '3004']], 'SCCP, then the desk phone, then WebRTC');
    const d5 = await session(3005);
    const lines5 = (await (await confd(d5)(`users/${d5.metadata.uuid}`)).json()).lines;
    assert.equal(lines5[1].endpoint_custom.interface, 'dahdi/i1/3005');
    stub.configure({ lineIsWebrtc: false });
    assert.ok(!('is_webrtc' in (await (await get(`users/${user.uuid}`)).json()).lines[0]), 'older confd: no is_webrtc');
    stub.configure({ lineIsWebrtc: true });
  });

  test('confd: the merged SIP endpoint lists the templates\' options as [[key, value]]; desk phones have no webrtc=yes; non-SIP lines are 404', async () => {
    stub.reset();
    const d4 = await session(3004);
    const get = confd(d4);
    const [sccp, desk, webrtc] = userOf('agent3004').lines;
    const endpoint = (id, view = '?view=merged') => get(`users/${d4.metadata.uuid}/lines/${id}/associated/endpoints/sip${view}`);
    const option = (list, key) => list.find(([k]) => k === key)?.[1];

    const w = await (await endpoint(webrtc.id)).json();
    assert.deepEqual(w.auth_section_options, [['username', webrtc.sipUsername], ['password', webrtc.sipSecret]]);
    assert.equal(option(w.endpoint_section_options, 'webrtc'), 'yes');
    assert.equal(option(w.endpoint_section_options, 'timers_sess_expires'), '300', 'the webrtc template overrides the global one');
    assert.equal(option(w.aor_section_options, 'max_contacts'), '10');
    assert.equal(option(w.aor_section_options, 'remove_existing'), 'false');
    assert.equal(w.endpoint_section_options.filter(([k]) => k === 'allow').length, 1, 'one value per key');
    assert.deepEqual(w.templates.map((t) => t.label), ['webrtc']);
    for (const pair of w.endpoint_section_options) assert.ok(Array.isArray(pair) && pair.length === 2 && pair.every((x) => typeof x === 'string'));

    const d = await (await endpoint(desk.id)).json();
    assert.equal(option(d.endpoint_section_options, 'webrtc'), undefined, 'a desk phone line has no webrtc option');
    assert.equal(option(d.aor_section_options, 'max_contacts'), '1');
    assert.deepEqual(d.auth_section_options, [['username', desk.sipUsername], ['password', desk.sipSecret]]);

    const plain = await (await endpoint(webrtc.id, '')).json();
    assert.equal(option(plain.endpoint_section_options, 'webrtc'), undefined, 'without view=merged: its own options only');

    const none = await endpoint(sccp.id);
    assert.equal(none.status, 404);
    assert.equal(await none.json(), 'Resource Not Found.');
    assert.equal((await endpoint('main')).status, 404, '`main` is the first line: SCCP here');
    assert.equal((await endpoint(9999)).status, 404);
    assert.equal((await endpoint(userOf('agent3000').lines[0].id)).status, 404, 'another user\'s line');
    assert.equal((await endpoint(webrtc.id, '?view=full')).status, 400);
    const d5 = await session(3005);
    const custom = userOf('agent3005').lines[1];
    assert.equal((await confd(d5)(`users/${d5.metadata.uuid}/lines/${custom.id}/associated/endpoints/sip?view=merged`)).status, 404);
    assert.deepEqual(stub.stats().confdEndpointLines, [webrtc.id, desk.id, webrtc.id, sccp.id, 'main', '9999', userOf('agent3000').lines[0].id, custom.id].map(String));

    stub.configure({ engine: 'legacy' });
    const legacy = await (await endpoint(webrtc.id)).json();
    assert.equal(legacy.username, webrtc.sipUsername);
    assert.equal(legacy.secret, webrtc.sipSecret);
    assert.deepEqual(legacy.options, [['webrtc', 'yes']]);
    assert.deepEqual((await (await endpoint(desk.id)).json()).options, []);
    stub.configure({ engine: 'current' });
  });

  test('unavailable: the next requests get 503, then it recovers', async () => {
    stub.configure({ unavailable: 2 });
    assert.equal((await login()).status, 503);
    assert.equal((await login()).status, 503);
    assert.equal((await login()).status, 200);
  });

  test('/api/asterisk/ws: 403 without exactly the `sip` subprotocol, as Wazo\'s nginx', async () => {
    stub.reset();
    const proxied = await startWazoStub({ port: 0, wsTarget: 'ws://127.0.0.1:9/ws' });
    try {
      for (const protocol of [null, 'sip, other', 'SIP', 'sips']) {
        const { reply, socket } = await handshake(proxied.port, { protocol });
        socket.destroy();
        assert.match(reply, /^HTTP\/1.1 403 /, String(protocol));
      }
      const { reply, socket } = await handshake(proxied.port, { path: '/api/other/ws' });
      socket.destroy();
      assert.match(reply, /^HTTP\/1.1 404 /);
      const plain = await fetch(`${proxied.origin}/api/asterisk/ws`);
      assert.equal(plain.status, 403, 'a plain GET without the subprotocol too');
      assert.deepEqual([proxied.stats().wsRefused, proxied.stats().wsUpgrades], [5, 0]);
    } finally {
      await proxied.close();
    }
  });

  test('/api/asterisk/ws is proxied to the target\'s path (Asterisk serves /ws) with the handshake intact, and closed when the target stays silent', async () => {
    const seen = [];
    const upstream = net.createServer((s) => {
      s.once('data', (d) => {
        seen.push(String(d));
        s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: sip\r\n\r\n');
        s.on('data', (more) => s.write(more)); // echo frames
      });
    });
    await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
    const proxied = await startWazoStub({ port: 0, wsTarget: `ws://127.0.0.1:${upstream.address().port}/ws` });
    try {
      const reply = await new Promise((resolve, reject) => {
        const c = net.connect(proxied.port, '127.0.0.1', () => {
          c.write('GET /api/asterisk/ws?instance=1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n');
        });
        let got = '';
        c.on('data', (d) => {
          got += d;
          if (got.includes('\r\n\r\n') && !got.includes('ping')) c.write('ping');
          if (got.endsWith('ping')) { c.end(); resolve(got); }
        });
        c.on('error', reject);
      });
      assert.match(reply, /^HTTP\/1.1 101/);
      assert.match(seen[0], /^GET \/ws\?instance=1 HTTP\/1.1\r\n/, 'the path rewritten to the target\'s, the query kept');
      assert.match(seen[0], new RegExp(`\r\nHost: 127.0.0.1:${upstream.address().port}\r\n`));
      assert.match(seen[0], /Sec-WebSocket-Protocol: sip/);
      assert.equal(proxied.stats().wsUpgrades, 1);

      // proxy_read_timeout: the target sends nothing for that long → the socket closes.
      proxied.configure({ wsReadTimeoutS: 0.3 });
      const t0 = Date.now();
      const { reply: again, socket } = await handshake(proxied.port);
      assert.match(again, /^HTTP\/1.1 101/);
      await new Promise((resolve) => socket.on('close', resolve));
      assert.ok(Date.now() - t0 >= 250, 'closed after the read timeout, not at once');
      assert.equal(proxied.stats().wsReadTimeouts, 1);
    } finally {
      await proxied.close();
      upstream.close();
    }
  });
});
