// The QA panel's test-call requests: validation (plain-words errors) and the sipp plan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brokerPrefs, parseTestCall, readBedEnv, scenarioFor } from '../lib/test-call.mjs';

test('defaults: caller 0611223344, hang up after 10 s, plain call', () => {
  const r = parseTestCall({ to: '3000' });
  assert.deepEqual(r, { ok: true, call: { to: '3000', callerId: '0611223344', hangupAfterS: 10, holdResume: false, cancelBeforeAnswer: false } });
  assert.deepEqual(scenarioFor(r.call), { scenario: 'uac_call.xml', durationMs: 10000, meaning: 'hangs up after 10 s' });
});

test('each choice picks its scenario', () => {
  const plan = (b) => scenarioFor(parseTestCall({ to: '3001', ...b }).call);
  assert.equal(plan({ hangupAfterS: 0 }).scenario, 'uac_wait_bye.xml');
  assert.deepEqual(plan({ hangupAfterS: 9, holdResume: true }), { scenario: 'uac_hold_resume.xml', durationMs: 3000, meaning: 'hold and resume midway' });
  assert.deepEqual(plan({ hangupAfterS: 4, cancelBeforeAnswer: true }), { scenario: 'uac_cancel.xml', durationMs: 4000, meaning: 'cancel before answer' });
  assert.equal(plan({ hangupAfterS: 0, cancelBeforeAnswer: true }).durationMs, 1000);
});

test('bad input gets a plain-words error, never a call', () => {
  const bad = [
    [null, /JSON object/], [[], /JSON object/], [{}, /1 to 15 digits/], [{ to: '30a0' }, /1 to 15 digits/],
    [{ to: '3000', callerId: 'x y' }, /caller id/], [{ to: '3000', callerId: '"; rm -rf' }, /caller id/],
    [{ to: '3000', hangupAfterS: -1 }, /whole number/], [{ to: '3000', hangupAfterS: 1.5 }, /whole number/],
    [{ to: '3000', hangupAfterS: 'ten' }, /whole number/],
    [{ to: '3000', holdResume: true, cancelBeforeAnswer: true }, /either/],
    [{ to: '3000', holdResume: true, hangupAfterS: 2 }, /at least 3 s/],
  ];
  for (const [body, re] of bad) {
    const r = parseTestCall(body);
    assert.equal(r.ok, false, JSON.stringify(body));
    assert.match(r.error, re);
  }
});

test('readBedEnv: a missing file names the command that starts the broker; prefs point at the bed', () => {
  assert.throws(() => readBedEnv('/nonexistent/ports.env'), /demo\.sh/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttec-env-'));
  const f = path.join(dir, 'ports.env');
  fs.writeFileSync(f, '# comment\nBED_IP=127.0.0.1\nBED_SIP_PORT=5080\nBED_WS_URL=ws://127.0.0.1:8088/\nBED_DOMAIN=127.0.0.1\n');
  const env = readBedEnv(f);
  assert.equal(env.BED_SIP_PORT, 5080);
  assert.equal(brokerPrefs(env), 'brokerKind=sip&wsUrl=ws://127.0.0.1:8088/&sipDomain=127.0.0.1');
  fs.writeFileSync(f, 'nothing=here\n');
  assert.throws(() => readBedEnv(f), /not a bed ports\.env/);
  fs.rmSync(dir, { recursive: true });
});
