// The QA demo end to end, as a QA would use it, on the HOST (not in the bed's
// namespace): `unit_testing/demo.sh` starts the local broker (bed in loopback
// mode, media on the host's own address), serves the mock Finesse, and prints
// the URL. Headless Chromium is started WITHOUT --allow-loopback-in-peer-connection
// (like a desktop browser, it offers its real interface addresses), places a
// test call from the QA panel with the keyboard, and the call is answered with
// RTP both ways. Then SIGINT (Ctrl-C) must leave nothing of the demo running.
//
//   node --test unit_testing/e2e/demo.test.mjs     (as root; dist/ built)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countRtp } from '../bed/lib/rtpengine.mjs';
import { expectText, freePort, gadgetFrame, launchBrowser, ROOT } from './harness.mjs';

const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttec-demo-run-'));
const figures = {};
let demo, url, out = '', browser, page, ports;

/** Every process whose command line names this demo's run dir or port (kamailio, rtpengine, sipp, node). */
function demoProcesses() {
  const found = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmd;
    try { cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim(); } catch { continue; }
    if (Number(pid) === process.pid) continue;
    const mine = cmd.includes(runDir) || cmd.includes(`--port ${ports.web} `);
    if (mine && /\b(kamailio|rtpengine|sipp|node|bash|sleep)\b/.test(cmd)) found.push(`${pid}: ${cmd}`);
  }
  return found;
}

/** Random-ish ports away from the defaults, so this test never meets a running demo or another bed. */
async function pickPorts() {
  const base = 20000 + 200 * Math.floor(Math.random() * 40);
  return {
    web: await freePort(), ws: await freePort(), sip: base + 101, ng: base + 103, rtpMin: base + 110, rtpMax: base + 190,
  };
}

describe('the QA demo (demo.sh) with the local broker', () => {
  before(async () => {
    assert.ok(fs.existsSync(path.join(ROOT, 'dist/gadget.xml')), 'dist/ is not built: bash unit_testing/dev/release.sh');
    ports = await pickPorts();
    const t0 = Date.now();
    demo = spawn('bash', ['unit_testing/demo.sh'], {
      cwd: ROOT,
      detached: true, // its own process group: SIGINT to the group is what Ctrl-C in a terminal does
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env, DEMO_NO_BUILD: '1', DEMO_PORT: String(ports.web), BED_RUN_DIR: runDir,
        BED_SIP_PORT: String(ports.sip), BED_WS_PORT: String(ports.ws), BED_NG_PORT: String(ports.ng),
        BED_RTP_MIN: String(ports.rtpMin), BED_RTP_MAX: String(ports.rtpMax),
      },
    });
    demo.stdout.on('data', (d) => { out += d; });
    demo.stderr.on('data', (d) => { out += d; });
    const deadline = Date.now() + 120000;
    while (!url && Date.now() < deadline) {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/desktop\/\?\S+)/.exec(out);
      if (m) url = m[1];
      if (demo.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(url, `demo.sh printed no URL:\n${out}`);
    figures.demoToUrlMs = Date.now() - t0;
    browser = await launchBrowser(['--autoplay-policy=no-user-gesture-required']);
    page = await browser.context.newPage();
  });

  after(async () => {
    await browser?.close();
    if (demo && demo.exitCode === null) { try { process.kill(-demo.pid, 'SIGKILL'); } catch { /* gone */ } }
    console.log(`# demo figures: ${JSON.stringify(figures)}`);
  });

  test('the printed URL shows the gadget registered on the local broker; media is on a non-loopback address', async () => {
    const env = fs.readFileSync(path.join(runDir, 'ports.env'), 'utf8');
    const mediaIp = /^BED_MEDIA_IP=(.*)$/m.exec(env)[1];
    assert.match(env, /^BED_MODE=loopback$/m);
    assert.notEqual(mediaIp, '127.0.0.1', 'this machine has a non-loopback address; the demo must relay media on it');
    await page.goto(url);
    const frame = await gadgetFrame(page);
    await expectText(frame, '.ttec-registration__word', 'Registered', 15000);
  });

  test('"Place a test call" with the keyboard: answered, RTP both ways through DTLS-SRTP, ends as scripted', async () => {
    const frame = await gadgetFrame(page);
    await page.focus('#t-caller');
    await page.fill('#t-caller', '0699887766');
    await page.fill('#t-hangup', '6');
    await page.focus('#test-call-place');
    const t0 = Date.now();
    await page.keyboard.press('Enter');
    await expectText(page, '#test-call-status', /^calling 3000 from 0699887766/, 5000);
    await expectText(frame, '.ttec-call__caller', /0699887766/, 10000);
    figures.placeToAnsweredMs = Date.now() - t0;
    const call = await (await fetch(new URL('/mock-finesse/qa/test-call/1', url))).json();
    assert.equal(call.scenario, 'uac_call.xml');
    const rtp = await countRtp({ port: ports.ng }, call.callId, 2);
    assert.equal(rtp.legs.length, 2, JSON.stringify(rtp));
    for (const leg of rtp.legs) assert.ok(leg.rtpPackets > 20, `too little RTP from the ${leg.protocol} leg: ${JSON.stringify(rtp)}`);
    figures.rtpPacketsIn2s = rtp.legs.map((l) => `${l.protocol}:${l.rtpPackets}`);
    await expectText(page, '#test-call-status', 'Done: test call to 3000: answered, played audio, hung up', 15000);
    await expectText(frame, '[aria-live=polite]', 'Call ended: the caller hung up.', 5000);
  });

  test('bad input in the panel gets a plain answer, no call', async () => {
    await page.fill('#t-to', '30a0');
    await page.click('#test-call-place');
    await expectText(page, '#test-call-status', /^Test call not placed: the number to call must be 1 to 15 digits/, 5000);
    await page.fill('#t-to', '3000');
  });

  test('Ctrl-C (SIGINT) stops everything the demo started', async () => {
    // A test call still running at Ctrl-C must go too.
    await page.evaluate(() => window.mockFinesse.placeTestCall({ to: '3000', callerId: '0611223344', hangupAfterS: 0 }));
    const frame = await gadgetFrame(page);
    await expectText(frame, '.ttec-call__caller', /0611223344/, 10000);
    assert.ok(demoProcesses().some((p) => /sipp/.test(p)), 'the test call (sipp) is not running');
    const t0 = Date.now();
    process.kill(-demo.pid, 'SIGINT');
    const code = await new Promise((resolve) => {
      if (demo.exitCode !== null) resolve(demo.exitCode);
      demo.once('exit', (c) => resolve(c));
    });
    figures.ctrlCToStoppedMs = Date.now() - t0;
    assert.match(out, /demo stopped/);
    assert.ok(code === 0 || code === 130, `demo.sh exited ${code}`);
    // The bed removes its pid files only after its daemons are gone.
    let left = demoProcesses();
    for (let i = 0; i < 20 && left.length; i++) { await new Promise((r) => setTimeout(r, 100)); left = demoProcesses(); }
    assert.deepEqual(left, [], `left running after Ctrl-C:\n${left.join('\n')}`);
    assert.ok(!fs.existsSync(path.join(runDir, 'ports.env')), 'the bed still claims to run');
  });
});
