// The bed's presence service (issue 8, supervisor board): a WebSocket UA (the
// supervisor, 3900) SUBSCRIBEs to an agent's "dialog" (RFC 4235) and "reg"
// (RFC 3680) packages; Kamailio's presence modules NOTIFY as the agent
// registers, is called by sipp, answers, and the call ends.
// Set BED_CAPTURE_DIR to write the NOTIFYs seen (the SIP core's test corpus).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { bedRunning, failureContext, loadBedEnv, runSipp, startBed, stopBed, users } from '../lib/bed.mjs';
import { WsSipClient } from '../lib/ws-sip-client.mjs';
import { branch, digestAuthorization, parseChallenge, plainRtpAnswer, serialize, SipMessage, token } from '../lib/sip.mjs';

let env, startedHere = false;
const capture = process.env.BED_CAPTURE_DIR;

/** SUBSCRIBE out of dialog (with the 407 challenge answered) or, given `dialog`, a refresh. */
async function subscribe(ua, target, event, { expires = 120, dialog } = {}) {
  const callId = dialog?.callId ?? `${token(8)}@${ua.viaHost}`;
  const fromTag = dialog?.fromTag ?? token(5);
  let cseq = dialog ? dialog.cseq + 1 : 1;
  const uri = `sip:${target}@${ua.domain}`;
  const build = (auth) => {
    const br = branch();
    const h = [
      ['Via', ua._via(br)], ['Max-Forwards', '70'],
      ...(dialog?.routes ?? []).map((r) => ['Route', r]),
      ['To', dialog ? `<${uri}>;tag=${dialog.toTag}` : `<${uri}>`],
      ['From', `<sip:${ua.user}@${ua.domain}>;tag=${fromTag}`],
      ['Call-ID', callId], ['CSeq', `${cseq} SUBSCRIBE`],
      ['Contact', `<${ua.contactUri}>`], ['Event', event],
      ['Accept', event === 'dialog' ? 'application/dialog-info+xml' : 'application/reginfo+xml'],
      ['Expires', String(expires)],
    ];
    if (auth) h.push(['Proxy-Authorization', auth]);
    return { msg: new SipMessage({ method: 'SUBSCRIBE', uri: dialog?.target ?? uri, headers: h }), br };
  };
  let { msg, br } = build();
  ua.send(msg);
  let res = await ua.waitForResponse(br);
  if (res.status === 407) {
    cseq += 1;
    const challenge = parseChallenge(res.get('proxy-authenticate'));
    ({ msg, br } = build(digestAuthorization({ challenge, method: 'SUBSCRIBE', uri, username: ua.user, password: ua.password })));
    msg.headers.find((h) => h[0] === 'CSeq')[1] = `${cseq} SUBSCRIBE`;
    ua.send(msg);
    res = await ua.waitForResponse(br);
  }
  const toTag = /;\s*tag=([^;>\s]+)/.exec(res.get('to') ?? '')?.[1];
  return { res, dialog: { callId, fromTag, toTag, cseq, routes: res.all('record-route').reverse(), target: uri } };
}

/** Next NOTIFY for this subscription; answered 200; returns {msg, state, body}. */
async function nextNotify(ua, callId, what, timeoutMs = 4000) {
  const n = await ua.waitFor((m) => m.method === 'NOTIFY' && m.callId === callId, { timeoutMs, what });
  ua.reply(n, 200, 'OK');
  if (capture) {
    fs.mkdirSync(capture, { recursive: true });
    const file = path.join(capture, `kamailio_notify_${what.replace(/[^a-z0-9]+/gi, '_')}.sip`);
    fs.writeFileSync(file, serialize(n));
  }
  return { msg: n, state: n.get('subscription-state'), body: n.body ?? '' };
}

describe('presence: dialog and reg packages for the supervisor board', () => {
  before(async () => {
    if (!(await bedRunning())) { await startBed(); startedHere = true; }
    env = loadBedEnv();
  });
  after(async () => { if (startedHere) await stopBed(); });

  test('supervisor sees agent 3001: offline -> registered, idle -> early -> confirmed -> terminated', async () => {
    const pw = users();
    const sup = new WsSipClient({ url: env.BED_WS_URL, user: '3900', password: pw['3900'], domain: env.BED_DOMAIN });
    const agent = new WsSipClient({ url: env.BED_WS_URL, user: '3001', password: pw['3001'], domain: env.BED_DOMAIN });
    await sup.connect();
    await agent.connect();
    let run;
    try {
      assert.equal((await sup.register()).status, 200);
      const reg = await subscribe(sup, '3001', 'reg');
      assert.equal(reg.res.status, 200, `SUBSCRIBE reg: ${reg.res.status}`);
      assert.match(reg.res.get('expires') ?? '', /^\d+$/);
      const reg0 = await nextNotify(sup, reg.dialog.callId, 'reg initial');
      assert.match(reg0.state, /^active/);
      assert.doesNotMatch(reg0.body, /state="active"/, 'agent not registered yet');
      const dlg = await subscribe(sup, '3001', 'dialog');
      assert.equal(dlg.res.status, 200);
      const d0 = await nextNotify(sup, dlg.dialog.callId, 'dialog initial');
      // Nothing published for 3001 yet: Kamailio sends an empty body (no dialogs = idle).
      assert.doesNotMatch(d0.body, /<dialog /);

      assert.equal((await agent.register()).status, 200);
      const reg1 = await nextNotify(sup, reg.dialog.callId, 'reg registered');
      assert.match(reg1.body, /<registration [^>]*state="active"/);

      run = await runSipp('uac_call.xml', { service: '3001', durationMs: 800, env });
      const invite = await agent.waitForRequest('INVITE', { timeoutMs: 5000 });
      agent.reply(invite, 180, 'Ringing');
      const early = await nextNotify(sup, dlg.dialog.callId, 'dialog early');
      assert.match(early.body, /<state>(trying|proceeding|early)<\/state>/i); // Kamailio writes "Trying"
      agent.reply(invite, 200, 'OK', { body: plainRtpAnswer({ port: 40000 + Math.floor(Math.random() * 1000) * 2 }) });
      let confirmed;
      for (let i = 0; i < 4 && !confirmed; i++) {
        const n = await nextNotify(sup, dlg.dialog.callId, `dialog after answer ${i}`);
        if (/<state>confirmed<\/state>/i.test(n.body)) confirmed = n;
      }
      assert.ok(confirmed, 'no confirmed dialog NOTIFY');
      const bye = await agent.waitForRequest('BYE', { timeoutMs: 8000 });
      agent.reply(bye, 200, 'OK');
      let ended;
      for (let i = 0; i < 4 && !ended; i++) {
        const n = await nextNotify(sup, dlg.dialog.callId, `dialog after bye ${i}`);
        if (/<state>terminated<\/state>/i.test(n.body) || !/<dialog /.test(n.body)) ended = n;
      }
      assert.ok(ended, 'no terminated dialog NOTIFY');
      assert.equal((await run.done).code, 0, failureContext(run));

      // Refresh in dialog, then unsubscribe: Subscription-State terminated.
      const refreshed = await subscribe(sup, '3001', 'dialog', { dialog: dlg.dialog, expires: 60 });
      assert.equal(refreshed.res.status, 200);
      await nextNotify(sup, dlg.dialog.callId, 'dialog refresh');
      const gone = await subscribe(sup, '3001', 'dialog', { dialog: refreshed.dialog, expires: 0 });
      assert.equal(gone.res.status, 200);
      const last = await nextNotify(sup, dlg.dialog.callId, 'dialog unsubscribed');
      assert.match(last.state, /^terminated/);

      assert.equal((await agent.unregister()).status, 200);
      const reg2 = await nextNotify(sup, reg.dialog.callId, 'reg unregistered');
      assert.doesNotMatch(reg2.body, /<contact [^>]*state="active"/);
    } catch (e) {
      e.message += `\n${failureContext(run)}`;
      throw e;
    } finally {
      // Leave no registration behind for the next test (usrloc outlives the WebSocket).
      if (!agent.closed) await agent.unregister().catch(() => {});
      if (!sup.closed) await sup.unregister().catch(() => {});
      await sup.close();
      await agent.close();
    }
  });

  test('SUBSCRIBE to an unknown event package: 489; from WebSocket without credentials: 407', async () => {
    const sup = new WsSipClient({ url: env.BED_WS_URL, user: '3900', password: users()['3900'], domain: env.BED_DOMAIN });
    await sup.connect();
    try {
      const br = branch();
      sup.send(new SipMessage({ method: 'SUBSCRIBE', uri: `sip:3000@${env.BED_DOMAIN}`, headers: [
        ['Via', sup._via(br)], ['Max-Forwards', '70'], ['To', `<sip:3000@${env.BED_DOMAIN}>`],
        ['From', `<sip:3900@${env.BED_DOMAIN}>;tag=${token(4)}`], ['Call-ID', token(8)], ['CSeq', '1 SUBSCRIBE'],
        ['Contact', `<${sup.contactUri}>`], ['Event', 'presence'], ['Expires', '60'],
      ] }));
      assert.equal((await sup.waitForResponse(br)).status, 489);
      const { res } = await (async () => {
        const b2 = branch();
        sup.send(new SipMessage({ method: 'SUBSCRIBE', uri: `sip:3000@${env.BED_DOMAIN}`, headers: [
          ['Via', sup._via(b2)], ['Max-Forwards', '70'], ['To', `<sip:3000@${env.BED_DOMAIN}>`],
          ['From', `<sip:3900@${env.BED_DOMAIN}>;tag=${token(4)}`], ['Call-ID', token(8)], ['CSeq', '1 SUBSCRIBE'],
          ['Contact', `<${sup.contactUri}>`], ['Event', 'dialog'], ['Expires', '60'],
        ] }));
        return { res: await sup.waitForResponse(b2) };
      })();
      assert.equal(res.status, 407);
    } finally {
      await sup.close();
    }
  });
});
