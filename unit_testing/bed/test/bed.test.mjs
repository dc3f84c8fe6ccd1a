// Proves the test bed itself, before the gadget exists: a scripted WebSocket UA
// registers with digest auth and takes calls that sipp ("CUCM") places through
// Kamailio + rtpengine. Run inside the bed's namespace:  npm test  (= bed.sh exec node --test)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import dgram from 'node:dgram';
import net from 'node:net';
import {
  RUN_DIR, users, loadBedEnv, bedRunning, startBed, stopBed, inBedNamespace, runSipp,
  failureContext, bedProcesses, bedSh,
} from '../lib/bed.mjs';
import { WsSipClient } from '../lib/ws-sip-client.mjs';
import { broker } from '../lib/brokers.mjs';
import { webrtcAnswer, WebrtcAnswerer, plainRtpAnswer, sdpMediaLine, sdpAttrs, parseChallenge, digestAuthorization } from '../lib/sip.mjs';
import { query, legCounters, countRtp } from '../lib/rtpengine.mjs';
import { RtpEcho } from '../lib/rtp-echo.mjs';

const PW = users();
let env;
let startedHere = false;
const figures = {};
const clients = [];

before(async () => {
  if (await bedRunning()) {
    env = loadBedEnv();
  } else {
    const r = await startBed();
    startedHere = true;
    env = r.env;
    figures.bedStartMs = Math.round(r.ms);
  }
  assert.ok(inBedNamespace(env),
    `the bed runs in network namespace "${env.BED_NETNS}" but this test does not: run it as ` +
    '`./bed.sh exec node --test test/` (npm test does that)');
});

after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  if (startedHere && (await bedRunning())) await stopBed();
  console.log(`# bed figures: ${JSON.stringify(figures)}`);
});

function newClient(user, opts = {}) {
  const trace = [];
  const c = new WsSipClient({ url: env.BED_WS_URL, user, password: PW[user], domain: env.BED_DOMAIN, trace: (l) => trace.push(l), ...opts });
  c.traceLines = trace;
  clients.push(c);
  return c;
}

/** Run `fn`; on failure append the client's SIP trace, sipp's traces and daemon logs. */
async function withContext(ctx, fn) {
  try {
    return await fn();
  } catch (e) {
    const trace = (ctx.clients ?? []).flatMap((c) => c.traceLines.slice(-12)).join('\n');
    e.message += `\n===== WS client trace (last messages) =====\n${trace}\n${failureContext(ctx.sipp)}`;
    throw e;
  } finally {
    if (ctx.sipp && ctx.sipp.child.exitCode === null) ctx.sipp.child.kill('SIGKILL');
  }
}

async function registered(user, opts) {
  const c = newClient(user, opts);
  await c.connect();
  const res = await c.register();
  assert.equal(res.status, 200, `REGISTER ${user}: ${res.status} ${res.reason}`);
  return c;
}

function canBind(proto, port) {
  return new Promise((resolve) => {
    if (proto === 'udp') {
      const s = dgram.createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, env.BED_IP, () => s.close(() => resolve(true)));
    } else {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, env.BED_IP, () => srv.close(() => resolve(true)));
    }
  });
}

/**
 * The next INVITE on the WebSocket, failing at once (with sipp's reason) if sipp
 * exits before it arrives rather than after a long timeout.
 */
async function expectInvite(c, sipp, { timeoutMs = 5000 } = {}) {
  let waiting = true;
  const invite = c.waitForRequest('INVITE', { timeoutMs });
  invite.catch(() => {});
  const sippGone = sipp.done.then((r) => {
    if (waiting) throw new Error(`sipp exited (code ${r.code}) before the INVITE reached the WebSocket`);
    return new Promise(() => {});
  });
  sippGone.catch(() => {});
  try {
    return await Promise.race([invite, sippGone]);
  } finally {
    waiting = false;
  }
}

/** The messages sipp received, split out of its -trace_msg file. */
function sippReceived(sipp) {
  const text = readFileSync(sipp.files.messages, 'utf8');
  return text.split(/-{10,}.*\n/).filter((b) => /message received/.test(b) || /^\s*SIP\/2\.0 /m.test(b));
}

test('(a) REGISTER over WebSocket with digest auth, RFC 5626 contacts, wrong password refused', async () => {
  const ctx = { clients: [] };
  await withContext(ctx, async () => {
    const tab1 = newClient('3001');
    ctx.clients.push(tab1);
    await tab1.connect(); // connect() rejects unless the server picked subprotocol "sip"
    assert.equal(tab1.ws.protocol, 'sip');
    const t0 = performance.now();
    const ok = await tab1.register({ expires: 120 });
    figures.registerMs = Math.round(performance.now() - t0);
    assert.equal(tab1.lastChallengeCount, 1, 'the first REGISTER must be challenged');
    assert.equal(ok.status, 200, `${ok.status} ${ok.reason}`);
    const contacts = ok.all('contact');
    const mine = contacts.find((c) => c.includes(tab1.instanceId));
    assert.ok(mine, `200 OK must echo our contact; got ${JSON.stringify(contacts)}`);
    assert.match(mine, /reg-id=1/);
    assert.match(mine, /;ob[;>]/);
    assert.match(mine, /expires=(\d+)/);
    assert.ok(Number(/expires=(\d+)/.exec(mine)[1]) <= 120);

    // A second tab (its own instance id) adds a contact; re-registering tab 1 with
    // the same instance replaces its contact instead of leaving a stale one.
    const tab2 = newClient('3001');
    ctx.clients.push(tab2);
    await tab2.connect();
    assert.equal((await tab2.register()).status, 200);
    const again = await tab1.register({ expires: 120 });
    assert.equal(again.status, 200);
    const instances = again.all('contact').map((c) => /\+sip\.instance="<([^>]+)>"/.exec(c)?.[1]).sort();
    assert.deepEqual(instances, [tab1.instanceId, tab2.instanceId].sort());

    // Wrong password: the answer to the challenge is refused with a fresh 401.
    const bad = newClient('3002');
    ctx.clients.push(bad);
    await bad.connect();
    const refused = await bad.register({ password: 'not-the-password' });
    assert.equal(refused.status, 401, `wrong password gave ${refused.status}`);
    assert.equal(bad.lastChallengeCount, 1);
    // ...and valid credentials of one agent cannot register another agent's number.
    const imp = newClient('3002');
    ctx.clients.push(imp);
    await imp.connect();
    const first = imp.buildRegister();
    imp.send(first.msg);
    const challenge = parseChallenge((await imp.waitForResponse(first.br)).get('www-authenticate'));
    const authorization = digestAuthorization({ challenge, method: 'REGISTER', uri: `sip:${env.BED_DOMAIN}`, username: '3003', password: PW['3003'] });
    const second = imp.buildRegister({ authorization });
    imp.send(second.msg);
    assert.equal((await imp.waitForResponse(second.br)).status, 403, 'auth user 3003 registering 3002');

    // Requests the WebSocket side originates (not REGISTER) need proxy auth.
    const opt = imp.buildRegister();
    opt.msg.method = 'OPTIONS';
    opt.msg.uri = `sip:3000@${env.BED_DOMAIN}`;
    opt.msg.headers = opt.msg.headers.map(([k, v]) => [k, k === 'CSeq' ? v.replace('REGISTER', 'OPTIONS') : k === 'To' ? `<sip:3000@${env.BED_DOMAIN}>` : v]);
    imp.send(opt.msg);
    assert.equal((await imp.waitForResponse(opt.br)).status, 407);

    // Unregister tab 2: only tab 1 is left.
    const un = await tab2.unregister();
    assert.equal(un.status, 200);
    assert.ok(!un.all('contact').some((c) => c.includes(tab2.instanceId)));

    // Secrets never reach a log: no test password in Kamailio's or rtpengine's log.
    for (const f of ['kamailio.log', 'rtpengine.log']) {
      const log = readFileSync(join(RUN_DIR, f), 'utf8');
      for (const pw of Object.values(PW)) assert.ok(!log.includes(pw), `${f} contains a password`);
      assert.ok(!/Digest\s+username=/i.test(log), `${f} contains an Authorization header`);
    }
    await Promise.all([tab1.unregister(), bad.close(), imp.close()]);
  });
});

test('(b) sipp calls 3000: WebRTC offer on the WebSocket, answer, ACK, BYE from CUCM', async () => {
  const ctx = { clients: [] };
  await withContext(ctx, async () => {
    const c = await registered('3000');
    ctx.clients.push(c);
    const sipp = (ctx.sipp = await runSipp('uac_call.xml', { service: '3000', durationMs: 2500 }));
    const t0 = performance.now();
    const inv = await expectInvite(c, sipp);
    figures.inviteArrivalMs = Math.round(performance.now() - t0);
    assert.equal(inv.callId, sipp.callId(1));
    assert.match(inv.get('content-type'), /application\/sdp/);
    // rtpengine rewrote CUCM's plain RTP/AVP offer into the WebRTC profile.
    const sdp = inv.body;
    assert.match(sdpMediaLine(sdp), /^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 0 101$/, sdp);
    assert.equal(sdpAttrs(sdp, 'fingerprint').length, 1, 'a=fingerprint');
    assert.match(sdpAttrs(sdp, 'fingerprint')[0], /^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.ok(sdpAttrs(sdp, 'ice-ufrag')[0], 'a=ice-ufrag');
    assert.ok(sdpAttrs(sdp, 'ice-pwd')[0], 'a=ice-pwd');
    assert.ok(sdp.includes('a=rtcp-mux'), 'a=rtcp-mux');
    // DTLS=passive: rtpengine never takes the client role. In an offer it still
    // writes actpass (RFC 5763 5: the offerer must), and the browser answers active.
    assert.equal(sdpAttrs(sdp, 'setup').length, 1);
    assert.match(sdpAttrs(sdp, 'setup')[0], /^(actpass|passive)$/);
    assert.ok(sdpAttrs(sdp, 'mid').length === 1, 'a=mid (generate-mid)');
    assert.ok(!/a=crypto:/.test(sdp), 'no SDES keys toward the browser');
    const cands = sdpAttrs(sdp, 'candidate');
    assert.ok(cands.length >= 1 && cands.every((l) => l.includes(' 127.0.0.1 ')), `candidates on loopback only: ${cands}`);
    assert.match(sdp, /^c=IN IP4 127\.0\.0\.1$/m);
    // The WS leg's Record-Route lets our in-dialog requests find Kamailio again.
    assert.ok(inv.all('record-route').length >= 1);

    c.reply(inv, 180, 'Ringing');
    c.reply(inv, 200, 'OK', { body: webrtcAnswer(sdp) });
    const ack = await c.waitForRequest('ACK', { callId: inv.callId, timeoutMs: 3000 });
    assert.equal(ack.cseq.seq, inv.cseq.seq);

    // While the call is up: rtpengine has both legs; CUCM's leg sends RTP (sipp's pcap).
    const q = legCounters(await query({ host: env.BED_IP, port: env.BED_NG_PORT }, inv.callId));
    assert.equal(q.length, 2, `two call legs in rtpengine: ${JSON.stringify(q)}`);

    const bye = await c.waitForRequest('BYE', { callId: inv.callId, timeoutMs: 8000 });
    c.reply(bye, 200, 'OK');
    const r = await sipp.done;
    assert.equal(r.code, 0, `sipp exit ${r.code}`);
    // What CUCM got back: plain RTP/AVP, no ICE, no DTLS.
    const ok200 = sippReceived(sipp).find((m) => /SIP\/2\.0 200 OK/.test(m) && /CSeq:\s*\d+ INVITE/i.test(m));
    assert.ok(ok200, 'sipp trace has the 200 OK');
    assert.match(ok200, /m=audio \d+ RTP\/AVP 0/);
    assert.doesNotMatch(ok200, /a=(ice-ufrag|fingerprint|candidate|rtcp-mux)/);
    assert.match(ok200, /c=IN IP4 127\.0\.0\.1/);
    figures.callSippMs = Math.round(r.ms);
  });
});

test('(c) CANCEL before answer: the client sees CANCEL, answers 200 + 487, no 200 to the INVITE', async () => {
  const ctx = { clients: [] };
  await withContext(ctx, async () => {
    const c = await registered('3000');
    ctx.clients.push(c);
    const sent = [];
    const origSend = c.sendRaw.bind(c);
    c.sendRaw = (t) => { sent.push(t); origSend(t); };
    const sipp = (ctx.sipp = await runSipp('uac_cancel.xml', { service: '3000', durationMs: 800 }));
    const inv = await expectInvite(c, ctx.sipp);
    c.reply(inv, 180, 'Ringing');
    const cancel = await c.waitForRequest('CANCEL', { callId: inv.callId, timeoutMs: 4000 });
    assert.equal(cancel.branch, inv.branch, 'CANCEL matches the INVITE transaction');
    c.reply(cancel, 200, 'OK');
    c.reply(inv, 487, 'Request Terminated');
    const ack = await c.waitForRequest('ACK', { callId: inv.callId, timeoutMs: 3000 });
    assert.equal(ack.branch, inv.branch, 'hop-by-hop ACK for the 487');
    const r = await sipp.done;
    assert.equal(r.code, 0, `sipp exit ${r.code}`);
    assert.ok(!sent.some((t) => /^SIP\/2\.0 200 [^\r]*\r\n[\s\S]*CSeq: \d+ INVITE/m.test(t)), 'never a 200 to the INVITE');
    // failure_route freed the media session.
    const q = await query({ host: env.BED_IP, port: env.BED_NG_PORT }, inv.callId);
    assert.equal(q.result, 'error', `rtpengine still has the cancelled call: ${JSON.stringify(q).slice(0, 200)}`);
  });
});

test('(d) rejection: the agent answers 480, and an unregistered number gets 480 from Kamailio', async () => {
  const ctx = { clients: [] };
  await withContext(ctx, async () => {
    const c = await registered('3002');
    ctx.clients.push(c);
    ctx.sipp = await runSipp('uac_expect_reject.xml', { service: '3002' });
    const inv = await expectInvite(c, ctx.sipp);
    c.reply(inv, 480, 'Temporarily Unavailable');
    const ack = await c.waitForRequest('ACK', { callId: inv.callId, timeoutMs: 3000 });
    assert.equal(ack.branch, inv.branch);
    let r = await ctx.sipp.done;
    assert.equal(r.code, 0, `sipp exit ${r.code} (agent's 480)`);
    const q = await query({ host: env.BED_IP, port: env.BED_NG_PORT }, inv.callId);
    assert.equal(q.result, 'error', 'rtpengine session deleted after the 480');

    // 3003 is not registered by anyone.
    ctx.sipp = await runSipp('uac_expect_reject.xml', { service: '3003' });
    r = await ctx.sipp.done;
    assert.equal(r.code, 0, `sipp exit ${r.code} (unregistered 3003)`);
  });
});

test('(d2) the reject scenario really fails when the agent answers instead', async () => {
  // Guards the guard: uac_expect_reject.xml must really fail when the call is answered.
  const ctx = { clients: [] };
  await withContext(ctx, async () => {
    const c = await registered('3002');
    ctx.clients.push(c);
    ctx.sipp = await runSipp('uac_expect_reject.xml', { service: '3002', timeoutS: 6 });
    const inv = await expectInvite(c, ctx.sipp);
    c.reply(inv, 200, 'OK', { body: webrtcAnswer(inv.body) });
    const r = await ctx.sipp.done;
    assert.notEqual(r.code, 0, 'sipp must report the unexpected 200 as a failed call');
  });
});

test('(g) hold / resume re-INVITEs from CUCM reach the WebSocket UA as WebRTC offers', async () => {
  const ctx = { clients: [] };
  await withContext(ctx, async () => {
    const c = await registered('3000');
    ctx.clients.push(c);
    ctx.sipp = await runSipp('uac_hold_resume.xml', { service: '3000', durationMs: 700 });
    const inv = await expectInvite(c, ctx.sipp);
    const dlgTag = c.tagFor(inv);
    const media = new WebrtcAnswerer();
    c.reply(inv, 200, 'OK', { body: media.answer(inv.body) });
    await c.waitForRequest('ACK', { callId: inv.callId });
    const dirs = [];
    for (const expected of ['sendonly', 'sendrecv']) {
      const re = await c.waitForRequest('INVITE', { callId: inv.callId, timeoutMs: 5000 });
      assert.equal(/;\s*tag=([^;\s]+)/.exec(re.get('to'))[1], dlgTag, 're-INVITE is in our dialog');
      assert.match(sdpMediaLine(re.body), /UDP\/TLS\/RTP\/SAVPF/);
      const dir = ['sendonly', 'recvonly', 'sendrecv', 'inactive'].find((d) => re.body.includes(`a=${d}`)) ?? 'sendrecv';
      dirs.push(dir);
      assert.equal(dir, expected);
      const answer = media.answer(re.body, { direction: expected === 'sendonly' ? 'recvonly' : 'sendrecv' });
      c.reply(re, 200, 'OK', { body: answer });
      await c.waitForRequest('ACK', { callId: inv.callId, timeoutMs: 3000 });
    }
    const bye = await c.waitForRequest('BYE', { callId: inv.callId, timeoutMs: 5000 });
    c.reply(bye, 200, 'OK');
    const r = await ctx.sipp.done;
    assert.equal(r.code, 0, `sipp exit ${r.code}`);
    // CUCM saw its hold answered recvonly, translated back to plain RTP/AVP.
    const oks = sippReceived(ctx.sipp).filter((m) => /SIP\/2\.0 200 OK/.test(m) && /CSeq:\s*\d+ INVITE/i.test(m));
    assert.ok(oks.length >= 3, `three 200 OKs to INVITEs, got ${oks.length}`);
    assert.match(oks[1], /a=recvonly/);
    for (const ok of oks) assert.match(ok, /RTP\/AVP/);
  });
});

test('(h) the agent hangs up: BYE from the WebSocket side is loose-routed to CUCM', async () => {
  const ctx = { clients: [] };
  await withContext(ctx, async () => {
    const c = await registered('3001');
    ctx.clients.push(c);
    ctx.sipp = await runSipp('uac_wait_bye.xml', { service: '3001', timeoutS: 15 });
    const inv = await expectInvite(c, ctx.sipp);
    c.reply(inv, 200, 'OK', { body: webrtcAnswer(inv.body) });
    await c.waitForRequest('ACK', { callId: inv.callId });
    const dialog = c.dialogFromInvite(inv);
    const { br } = c.requestInDialog(dialog, 'BYE');
    const res = await c.waitForResponse(br, { timeoutMs: 3000 });
    assert.equal(res.status, 200, `BYE answered ${res.status}`);
    const r = await ctx.sipp.done;
    assert.equal(r.code, 0, `sipp exit ${r.code}`);
    const q = await query({ host: env.BED_IP, port: env.BED_NG_PORT }, inv.callId);
    assert.equal(q.result, 'error', 'rtpengine session deleted by the BYE');
  });
});

test('(i) two tabs registered: the INVITE forks to both, the loser gets CANCEL', async () => {
  const ctx = { clients: [] };
  await withContext(ctx, async () => {
    const tab1 = await registered('3001');
    const tab2 = await registered('3001');
    ctx.clients.push(tab1, tab2);
    ctx.sipp = await runSipp('uac_call.xml', { service: '3001', durationMs: 1000 });
    const [inv1, inv2] = await Promise.all([expectInvite(tab1, ctx.sipp), expectInvite(tab2, ctx.sipp)]);
    assert.equal(inv1.callId, inv2.callId);
    assert.notEqual(inv1.branch, inv2.branch, 'one branch per contact');
    for (const inv of [inv1, inv2]) assert.match(sdpMediaLine(inv.body), /UDP\/TLS\/RTP\/SAVPF/);
    tab2.reply(inv2, 180, 'Ringing');
    tab1.reply(inv1, 200, 'OK', { body: webrtcAnswer(inv1.body) });
    const cancel = await tab2.waitForRequest('CANCEL', { callId: inv2.callId, timeoutMs: 3000 });
    tab2.reply(cancel, 200, 'OK');
    tab2.reply(inv2, 487, 'Request Terminated');
    await tab1.waitForRequest('ACK', { callId: inv1.callId });
    const bye = await tab1.waitForRequest('BYE', { callId: inv1.callId, timeoutMs: 5000 });
    tab1.reply(bye, 200, 'OK');
    const r = await ctx.sipp.done;
    assert.equal(r.code, 0, `sipp exit ${r.code}`);
    await Promise.all([tab1.unregister(), tab2.unregister()]);
  });
});

test('(f) RTP is counted both ways through rtpengine (plain-RTP answer + echo socket)', async () => {
  // The WebSocket client has no DTLS, so for this measurement it answers with plain
  // RTP/AVP and echoes what it receives: rtpengine then relays sipp's pcap to the
  // echo and the echo back to sipp. The same countRtp() serves the browser tests.
  const ctx = { clients: [] };
  await withContext(ctx, async () => {
    const c = await registered('3003');
    ctx.clients.push(c);
    const echo = await RtpEcho.open(env.BED_IP);
    try {
      ctx.sipp = await runSipp('uac_call.xml', { service: '3003', durationMs: 4000 });
      const inv = await expectInvite(c, ctx.sipp);
      c.reply(inv, 200, 'OK', { body: plainRtpAnswer({ ip: env.BED_IP, port: echo.port }) });
      await c.waitForRequest('ACK', { callId: inv.callId });
      await new Promise((r) => setTimeout(r, 300));
      const counted = await countRtp({ host: env.BED_IP, port: env.BED_NG_PORT }, inv.callId, 2);
      const fromTag = /;\s*tag=([^;\s]+)/.exec(inv.get('from'))[1];
      const cucm = counted.legs.find((l) => l.tag === fromTag);
      const agent = counted.legs.find((l) => l.tag !== fromTag);
      figures.rtp2s = { fromCucm: cucm?.rtpPackets, fromAgent: agent?.rtpPackets, echoed: echo.received };
      assert.ok(cucm && agent, `legs: ${JSON.stringify(counted.legs)}`);
      // 2 s of 20 ms packets = 100; allow scheduling slack, but both must flow.
      assert.ok(cucm.rtpPackets >= 60, `CUCM -> rtpengine packets: ${cucm.rtpPackets}`);
      assert.ok(agent.rtpPackets >= 60, `agent -> rtpengine packets: ${agent.rtpPackets}`);
      assert.ok(echo.received >= 60, `rtpengine -> agent packets: ${echo.received}`);
      const bye = await c.waitForRequest('BYE', { callId: inv.callId, timeoutMs: 8000 });
      c.reply(bye, 200, 'OK');
      const r = await ctx.sipp.done;
      assert.equal(r.code, 0, `sipp exit ${r.code}`);
    } finally {
      await echo.close();
    }
  });
});

test('(k) a WebSocket that goes without un-REGISTERing takes its contact along, as Asterisk does; a second tab\'s stays', async () => {
  // A closing Firefox tab or a crashed browser may never send its un-REGISTER. Asterisk
  // deletes a contact that came over a WebSocket when that transport shuts down
  // (res_pjsip_registrar.c, transport monitor); the bed's Kamailio does the same
  // (event_route[websocket:closed]), so the team board's "offline" does not wait for expiry.
  const ctx = { clients: [] };
  await withContext(ctx, async () => {
    const kamailio = broker('kamailio');
    await kamailio.clearContacts('3001');
    const [tab1, tab2] = [await registered('3001'), await registered('3001')];
    ctx.clients.push(tab1, tab2);
    assert.equal(kamailio.contactsOf('3001'), 2);
    const until = async (want, what) => {
      const t0 = Date.now();
      while (kamailio.contactsOf('3001') !== want) {
        assert.ok(Date.now() - t0 < 3000, `${what}: ${kamailio.contactsOf('3001')} contacts after 3 s, want ${want}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return Date.now() - t0;
    };
    tab1.kill(); // TCP gone: no un-REGISTER, no close frame
    figures.contactGoneAfterKillMs = await until(1, 'socket killed');
    const cut = new Promise((resolve) => tab2.once('close', resolve));
    tab2.ws.close(1001); // a close frame, still no un-REGISTER
    await cut;
    figures.contactGoneAfterCloseMs = await until(0, 'socket closed');
  });
});

test('(j) fault injection: Kamailio stopped and started again, the WebSocket drops and re-registers', async () => {
  const ctx = { clients: [] };
  await withContext(ctx, async () => {
    const c = await registered('3000');
    ctx.clients.push(c);
    const closed = new Promise((resolve) => c.once('close', resolve));
    let r = await bedSh(['sip-stop']);
    assert.equal(r.code, 0, r.stderr);
    const { code } = await closed;
    assert.ok(code === 1006 || code === 1001 || code === 1000, `close code ${code}`);
    r = await bedSh(['sip-start']);
    assert.equal(r.code, 0, r.stderr);
    const again = newClient('3000', { instanceId: c.instanceId });
    ctx.clients.push(again);
    await again.connect();
    assert.equal((await again.register()).status, 200);
    await again.unregister();
  });
});

test('(e) the bed stops cleanly: no process and no listener left behind', async () => {
  for (const c of clients) await c.close().catch(() => {});
  const before = bedProcesses();
  assert.ok(before.length >= 2, `kamailio and rtpengine were running: ${JSON.stringify(before)}`);
  const wasRunningBefore = !startedHere;
  const t0 = performance.now();
  await stopBed();
  figures.bedStopMs = Math.round(performance.now() - t0);
  const left = bedProcesses();
  assert.deepEqual(left, [], `processes left: ${JSON.stringify(left)}`);
  for (const { pid } of before) assert.ok(!existsSync(`/proc/${pid}`) || /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')), `pid ${pid} still exists`);
  assert.ok(!existsSync(join(RUN_DIR, 'ports.env')), 'ports.env removed');
  assert.notEqual((await bedSh(['status'])).code, 0, 'status reports stopped');
  // The SIP and WebSocket ports can be bound again (nothing listens any more).
  assert.ok(await canBind('udp', env.BED_SIP_PORT), `udp/${env.BED_SIP_PORT} still taken`);
  assert.ok(await canBind('tcp', env.BED_WS_PORT), `tcp/${env.BED_WS_PORT} still taken`);
  if (wasRunningBefore) {
    // Leave things as found: the bed was up before this test file ran.
    await startBed();
  }
}, { timeout: 30000 });
