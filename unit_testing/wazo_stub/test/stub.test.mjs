// The Wazo stub answers as Wazo documents (no browser, no bed needed).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startWazoStub } from '../stub.mjs';

const basic = (login, password) => `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
let stub;

async function login(extra = {}, auth = basic('agent3000', 'test-password-3000')) {
  return fetch(`${stub.origin}/api/auth/0.1/token`, {
    method: 'POST',
    headers: { Authorization: auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ backend: 'wazo_user', expiration: 3600, access_type: 'offline', client_id: 'ttecphone', ...extra }),
  });
}

describe('wazo stub', () => {
  before(async () => { stub = await startWazoStub({ port: 0 }); });
  after(async () => { await stub?.close(); });

  test('users come from the bed users.conf: agent3000 / line 3000', () => {
    const agent = stub.users.find((u) => u.login === 'agent3000');
    assert.ok(agent);
    assert.equal(agent.lines[0].sipUsername, '3000');
    assert.equal(agent.lines[0].sipSecret, 'test-password-3000');
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
    const { data } = await res.json();
    for (const k of ['token', 'refresh_token', 'session_uuid', 'expires_at', 'utc_expires_at', 'issued_at', 'auth_id']) assert.ok(data[k], k);
    assert.equal(data.metadata.uuid, stub.users[0].uuid);
    assert.ok(data.metadata.tenant_uuid);
    const lifetime = Date.parse(`${data.utc_expires_at}Z`) - Date.parse(`${data.utc_issued_at}Z`);
    assert.equal(lifetime, 3600 * 1000);
    const bad = await login({}, basic('agent3000', 'agent3000'));
    assert.equal(bad.status, 401);
    assert.deepEqual((await bad.json()).reason, ['Authentication Failed']);
    assert.equal((await login({}, 'Bearer nope')).status, 401);
    assert.equal(stub.stats().logins, 1);
    assert.equal(stub.stats().loginFailures, 2);
  });

  test('HEAD checks, refresh issues a new token, DELETE revokes', async () => {
    stub.reset();
    const { data } = await (await login()).json();
    const head = (t) => fetch(`${stub.origin}/api/auth/0.1/token/${t}`, { method: 'HEAD' });
    assert.equal((await head(data.token)).status, 204);
    assert.equal((await head('00000000-0000-4000-8000-000000000000')).status, 404);
    const refreshed = await fetch(`${stub.origin}/api/auth/0.1/token`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ backend: 'wazo_user', expiration: 3600, refresh_token: data.refresh_token, client_id: 'ttecphone' }),
    });
    assert.equal(refreshed.status, 200);
    const next = (await refreshed.json()).data;
    assert.notEqual(next.token, data.token);
    const wrongClient = await fetch(`${stub.origin}/api/auth/0.1/token`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ backend: 'wazo_user', refresh_token: data.refresh_token, client_id: 'other' }),
    });
    assert.equal(wrongClient.status, 401);
    const del = await fetch(`${stub.origin}/api/auth/0.1/token/${next.token}`, { method: 'DELETE', headers: { 'X-Auth-Token': next.token } });
    assert.equal(del.status, 200);
    assert.equal((await head(next.token)).status, 404);
    const s = stub.stats();
    assert.deepEqual([s.heads, s.headsValid, s.refreshes, s.refreshFailures, s.deletes], [3, 1, 1, 1, 1]);
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
    const { data } = await (await login()).json();
    assert.equal(Date.parse(`${data.utc_expires_at}Z`) - Date.parse(`${data.utc_issued_at}Z`), 1000);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await fetch(`${stub.origin}/api/auth/0.1/token/${data.token}`, { method: 'HEAD' })).status, 404);
    stub.configure({ tokenLifetimeS: null });
  });

  test('confd: the user and its SIP endpoint, both credential shapes; other users and no token are 401', async () => {
    const { data } = await (await login()).json();
    const get = (p, token = data.token) => fetch(`${stub.origin}/api/confd/1.1/${p}`, { headers: token ? { 'X-Auth-Token': token } : {} });
    const user = await (await get(`users/${data.metadata.uuid}`)).json();
    assert.equal(user.uuid, data.metadata.uuid);
    assert.equal(user.lines[0].id, 3000);
    assert.equal(user.lines[0].extensions[0].exten, '3000');
    const endpoint = await (await get(`users/${user.uuid}/lines/3000/associated/endpoints/sip?view=merged`)).json();
    assert.deepEqual(endpoint.auth_section_options, [['username', '3000'], ['password', 'test-password-3000']]);
    assert.ok(endpoint.endpoint_section_options.some(([k, v]) => k === 'webrtc' && v === 'yes'));
    stub.configure({ engine: 'legacy' });
    const legacy = await (await get(`users/${user.uuid}/lines/3000/associated/endpoints/sip?view=merged`)).json();
    assert.equal(legacy.username, '3000');
    assert.equal(legacy.secret, 'test-password-3000');
    stub.configure({ engine: 'current' });
    assert.equal((await get(`users/${user.uuid}`, null)).status, 401);
    const other = stub.users.find((u) => u.login === 'agent3001');
    assert.equal((await get(`users/${other.uuid}`)).status, 401);
    assert.equal((await get(`users/${user.uuid}/lines/9/associated/endpoints/sip`)).status, 404);
  });

  test('unavailable: the next requests get 503, then it recovers', async () => {
    stub.configure({ unavailable: 2 });
    assert.equal((await login()).status, 503);
    assert.equal((await login()).status, 503);
    assert.equal((await login()).status, 200);
  });

  test('/api/asterisk/ws is proxied to the SIP WebSocket with the handshake intact', async () => {
    const seen = [];
    const upstream = net.createServer((s) => {
      s.once('data', (d) => {
        seen.push(String(d));
        s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: sip\r\n\r\n');
        s.on('data', (more) => s.write(more)); // echo frames
      });
    });
    await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
    stub.configure({});
    const proxied = await startWazoStub({ port: 0, wsTarget: `ws://127.0.0.1:${upstream.address().port}/` });
    try {
      const reply = await new Promise((resolve, reject) => {
        const c = net.connect(proxied.port, '127.0.0.1', () => {
          c.write('GET /api/asterisk/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n');
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
      assert.match(seen[0], /^GET \/ HTTP\/1.1\r\n/);
      assert.match(seen[0], /Sec-WebSocket-Protocol: sip/);
      assert.equal(proxied.stats().wsUpgrades, 1);
    } finally {
      await proxied.close();
      upstream.close();
    }
  });
});
