// "Place a test call" for the QA panel: the mock Finesse plays CUCM and calls the
// agent's WebRTC number through the local broker (the SIP test bed's Kamailio +
// rtpengine), with sipp and the bed's scenarios (unit_testing/bed/sipp/), which
// play the bed's spoken PCMU prompt (30 s) as the caller's audio.
//
// Only active when the server was started with --bed-env <run/ports.env> (the
// demo and `trunk serve` next to a running demo bed do that).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Reads a bed's ports.env into an object (numbers converted), or throws with a plain message. */
export function readBedEnv(file) {
  if (!existsSync(file)) throw new Error(`no local broker: ${file} does not exist (start the local broker: bash unit_testing/demo.sh, or demo.sh --broker-only next to trunk serve)`);
  const env = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_0-9]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  for (const k of ['BED_SIP_PORT', 'BED_WS_PORT', 'BED_NG_PORT', 'BED_RTP_MIN', 'BED_RTP_MAX']) {
    if (env[k] !== undefined) env[k] = Number(env[k]);
  }
  if (!env.BED_IP || !env.BED_SIP_PORT || !env.BED_WS_URL) throw new Error(`${file} is not a bed ports.env`);
  return env;
}

/** The gadget prefs that point it at this bed (what the demo puts in the desktop URL). */
export function brokerPrefs(env) {
  return `brokerKind=sip&wsUrl=${env.BED_WS_URL}&sipDomain=${env.BED_DOMAIN || env.BED_IP}`;
}

const NUMBER = /^[0-9]{1,15}$/;
const CALLER = /^\+?[0-9A-Za-z*#._-]{1,32}$/;

/**
 * Validates a test-call request (JSON from the QA panel). Returns
 * { ok: true, call: { to, callerId, hangupAfterS, holdResume, cancelBeforeAnswer } }
 * or { ok: false, error } with a plain-words message.
 */
export function parseTestCall(body) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: false, error: 'expected a JSON object' };
  const to = String(body.to ?? '').trim();
  if (!NUMBER.test(to)) return { ok: false, error: 'the number to call must be 1 to 15 digits (the agent\'s WebRTC number)' };
  const callerId = String(body.callerId ?? '0611223344').trim();
  if (!CALLER.test(callerId)) return { ok: false, error: 'the caller id must be 1 to 32 letters, digits or + * # . _ -' };
  const hangupAfterS = body.hangupAfterS === undefined || body.hangupAfterS === '' ? 10 : Number(body.hangupAfterS);
  if (!Number.isInteger(hangupAfterS) || hangupAfterS < 0 || hangupAfterS > 3600) {
    return { ok: false, error: 'hang up after must be a whole number of seconds, 0 to 3600 (0 = wait for the agent to hang up)' };
  }
  const holdResume = body.holdResume === true;
  const cancelBeforeAnswer = body.cancelBeforeAnswer === true;
  if (holdResume && cancelBeforeAnswer) return { ok: false, error: 'choose either hold/resume or cancel before answer, not both' };
  if (holdResume && hangupAfterS < 3) return { ok: false, error: 'hold/resume needs at least 3 s before the hang-up' };
  return { ok: true, call: { to, callerId, hangupAfterS, holdResume, cancelBeforeAnswer } };
}

/** Which sipp scenario plays a request, and its -d (ms). */
export function scenarioFor(call) {
  if (call.cancelBeforeAnswer) {
    // Rings for hangupAfterS (at least 1 s), then CANCELs; an answer fails the scenario.
    return { scenario: 'uac_cancel.xml', durationMs: Math.max(1, call.hangupAfterS) * 1000, meaning: 'cancel before answer' };
  }
  if (call.holdResume) {
    // Three phases of equal length: talk, hold (re-INVITE sendonly), talk again (sendrecv), then BYE.
    return { scenario: 'uac_hold_resume.xml', durationMs: Math.round((call.hangupAfterS * 1000) / 3), meaning: 'hold and resume midway' };
  }
  if (call.hangupAfterS === 0) return { scenario: 'uac_wait_bye.xml', durationMs: 1000, meaning: 'waits for the agent to hang up' };
  return { scenario: 'uac_call.xml', durationMs: call.hangupAfterS * 1000, meaning: `hangs up after ${call.hangupAfterS} s` };
}

const OUTCOME = {
  'uac_call.xml': 'answered, played audio, hung up',
  'uac_wait_bye.xml': 'answered; the agent hung up',
  'uac_hold_resume.xml': 'answered, held, resumed, hung up',
  'uac_cancel.xml': 'rang and was cancelled before any answer',
};

/**
 * Test calls of one server: start(), get(id), list(), stopAll(). `bedEnvFile` is read at
 * each call, so a bed started after the mock is found.
 */
export function createTestCalls({ bedEnvFile, log = () => {} }) {
  const calls = new Map();
  let seq = 0;
  let lib;
  async function bedLib(env) {
    // bed.mjs reads BED_RUN_DIR once, at import: point it at the bed's own run dir.
    if (!lib) {
      process.env.BED_RUN_DIR = env.BED_RUN_DIR || path.dirname(bedEnvFile);
      lib = await import('../../bed/lib/bed.mjs');
    }
    return lib;
  }
  function view(c) {
    const { child: _child, run: _run, ...rest } = c;
    return rest;
  }
  return {
    async start(call) {
      const env = readBedEnv(bedEnvFile);
      const { runSipp } = await bedLib(env);
      const plan = scenarioFor(call);
      seq += 1;
      const id = String(seq);
      const run = await runSipp(plan.scenario, {
        service: call.to, caller: call.callerId, durationMs: plan.durationMs, env,
        timeoutS: Math.max(60, call.hangupAfterS * 2 + 60),
      });
      const entry = {
        id, ...call, scenario: plan.scenario, plan: plan.meaning, callId: run.callId(1),
        state: 'running', summary: `calling ${call.to} from ${call.callerId} (${plan.meaning})`, startedAt: new Date().toISOString(),
        run,
      };
      calls.set(id, entry);
      log(`test call ${id}: ${plan.scenario} to ${call.to}`);
      run.done.then(({ code, signal }) => {
        entry.code = code;
        if (code === 0) {
          entry.state = 'ok';
          entry.summary = `test call to ${call.to}: ${OUTCOME[plan.scenario]}`;
        } else {
          entry.state = 'failed';
          entry.summary = signal
            ? `test call to ${call.to} stopped (${signal})`
            : `test call to ${call.to} did not go as scripted (sipp exit ${code}): ${hint(plan.scenario)}`;
        }
        log(`test call ${id}: ${entry.state} (${code ?? signal})`);
        while (calls.size > 50) calls.delete(calls.keys().next().value);
      });
      return view(entry);
    },
    get(id) { const c = calls.get(id); return c && view(c); },
    list() { return [...calls.values()].map(view); },
    /** Stops every sipp still running (server shutdown). */
    async stopAll() {
      const running = [...calls.values()].filter((c) => c.state === 'running');
      for (const c of running) c.run.child.kill('SIGTERM');
      await Promise.all(running.map((c) => c.run.done));
    },
  };
}

function hint(scenario) {
  if (scenario === 'uac_cancel.xml') return 'the call was answered before the cancel; give the gadget an auto-answer delay (autoAnswerDelayMs) or a state that does not answer';
  return 'is the agent registered and in a state that answers (Reserved, Ready, Talking)? See the bed\'s run dir for sipp traces';
}
