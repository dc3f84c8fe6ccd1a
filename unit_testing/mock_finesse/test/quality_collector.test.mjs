// The reference call quality collector (tools/quality-collector.mjs), which the mock
// Finesse serves too: the latest record per phone, the staleness bound, the live
// endpoint's JSON (no Call-ID, no caller number), CORS, bad input. A fake clock: no waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createCollector, LIVE_SCHEMA, staleAfterS, startCollector } from '../../../tools/quality-collector.mjs';

const record = (over = {}) => ({
  schema: 'ttecphone.call-quality/1', final: false, callId: 'a84b@pc33', line: 'u7xk2', number: '3001',
  startedAt: 1, sentAt: 2, durationS: 30, mosMin: 3.3, mosAvg: 3.9, mosNow: 3.4, lossPct: 12.5,
  sentLossMaxPct: 14.1, jitterAvgMs: 5, jitterMaxMs: 9, rttAvgMs: 1, rttMaxMs: 2, codec: 'PCMU',
  localCandidate: 'host', remoteCandidate: 'host', iceRestarts: 0, warningNow: 'network-loss',
  warnings: ['network-loss'], intervalS: 30, callerNumber: '0611223344', ...over,
});

test('the live endpoint shows the latest record of each phone in a call, and nothing once it ended or went stale', () => {
  let now = 1_000_000;
  const c = createCollector({ now: () => now });
  assert.equal(staleAfterS(30), 70);
  assert.equal(c.take(record({ mosNow: 4.4 }), 'text/plain'), null);
  now += 10_000;
  assert.equal(c.take(record()), null);
  assert.equal(c.take(record({ number: '3002', line: '3002', intervalS: 10, warningNow: null, mosNow: 4.3 })), null);
  now += 2_000;
  const live = c.live();
  assert.equal(live.schema, LIVE_SCHEMA);
  assert.equal(live.staleAfterS, 70);
  assert.deepEqual(live.lines, [
    { number: '3001', line: 'u7xk2', ageS: 2, durationS: 30, mosNow: 3.4, mosMin: 3.3, mosAvg: 3.9, lossPct: 12.5,
      sentLossMaxPct: 14.1, jitterMaxMs: 9, rttMaxMs: 2, warningNow: 'network-loss', intervalS: 30 },
    { number: '3002', line: '3002', ageS: 2, durationS: 30, mosNow: 4.3, mosMin: 3.3, mosAvg: 3.9, lossPct: 12.5,
      sentLossMaxPct: 14.1, jitterMaxMs: 9, rttMaxMs: 2, warningNow: null, intervalS: 10 },
  ]);
  const text = JSON.stringify(live);
  for (const secret of ['0611223344', 'callerNumber', 'a84b@pc33', 'callId']) assert.ok(!text.includes(secret), `${secret} on the live endpoint`);
  // 3002 sends every 10 s: gone after 30 s without a record; 3001 (30 s) stays until 70 s.
  now += 29_000;
  assert.deepEqual(c.live().lines.map((l) => l.number), ['3001']);
  now += 40_000; // 3001's record is 71 s old
  assert.deepEqual(c.live().lines, []);
  // A final record ends the line at once, and a late interim record of that call does not bring it back.
  c.take(record());
  assert.equal(c.live().lines.length, 1);
  c.take(record({ final: true }));
  assert.deepEqual(c.live().lines, []);
  c.take(record());
  assert.deepEqual(c.live().lines, [], 'a late record of an ended call');
  c.take(record({ callId: 'next@pc33' }));
  assert.equal(c.live().lines.length, 1, 'the next call is live');
  // Records without `number` (gadgets before it) are keyed by their line.
  const { number, ...old } = record({ line: '3005', intervalS: undefined });
  c.take(old);
  assert.ok(c.live().lines.some((l) => l.number === '3005' && l.line === '3005'));
});

test('bad records are refused with a reason and change nothing', () => {
  const c = createCollector();
  assert.match(c.take([]), /not a JSON object/);
  assert.match(c.take(null), /not a JSON object/);
  assert.match(c.take({ ...record(), schema: 'other/1' }), /schema/);
  assert.match(c.take(record({ number: '', line: 7 })), /no number or line/);
  assert.deepEqual(c.live().lines, []);
  assert.equal(c.records.length, 0);
});

async function request(port, method, path, { body, origin } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, method, path, headers: origin ? { Origin: origin } : {} }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('over HTTP: records by POST, the live endpoint by GET with CORS for the allowed origins only', async () => {
  const { server } = startCollector({ path: '/ttecphone', allowOrigin: ['https://finesse-a.example.com'], maxLines: 100 });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  try {
    let r = await request(port, 'POST', '/ttecphone', { body: JSON.stringify(record()) });
    assert.equal(r.status, 204);
    r = await request(port, 'POST', '/ttecphone', { body: '{not json' });
    assert.equal(r.status, 400);
    r = await request(port, 'POST', '/ttecphone', { body: 'x'.repeat(20000) });
    assert.equal(r.status, 413);
    r = await request(port, 'GET', '/ttecphone/live', { origin: 'https://finesse-a.example.com' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], 'https://finesse-a.example.com');
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.match(r.headers['content-type'], /^application\/json/);
    const live = JSON.parse(r.text);
    assert.deepEqual(live.lines.map((l) => [l.number, l.mosNow]), [['3001', 3.4]]);
    r = await request(port, 'GET', '/ttecphone/live', { origin: 'https://evil.example.com' });
    assert.equal(r.headers['access-control-allow-origin'], undefined, 'another origin may not read it');
    r = await request(port, 'GET', '/ttecphone', {});
    assert.equal(r.status, 405, 'the records themselves are not listed');
    r = await request(port, 'GET', '/elsewhere/live', {});
    assert.equal(r.status, 404);
  } finally {
    server.close();
  }
});
