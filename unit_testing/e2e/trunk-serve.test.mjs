// QA's live-reload loop: `trunk serve` builds the gadget, starts the mock
// Finesse behind its proxy (Trunk.toml hooks), and the gadget renders inside
// it at http://127.0.0.1:8080/desktop/. When trunk stops, the mock goes too.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { gadgetFrame, launchBrowser, ROOT } from './harness.mjs';

let trunk;
const log = [];
after(() => { if (trunk && trunk.exitCode === null) trunk.kill('SIGTERM'); });

async function up(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (trunk.exitCode !== null) throw new Error(`trunk serve exited ${trunk.exitCode}:\n${log.join('').slice(-3000)}`);
    try { if ((await fetch(url)).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} not up within ${timeoutMs} ms:\n${log.join('').slice(-3000)}`);
}

async function down(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try { await fetch(url); } catch { return true; }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

test('trunk serve brings up the gadget inside the mock Finesse, and takes the mock down with it', async () => {
  // Its own output directory: the suite's other tests use the release build in dist/.
  trunk = spawn('trunk', ['serve', '--dist', 'target/trunk-serve-dist'], { cwd: ROOT, env: { ...process.env, TRUNK_SKIP_VERSION_CHECK: 'true' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  trunk.stdout.on('data', (d) => log.push(String(d)));
  trunk.stderr.on('data', (d) => log.push(String(d)));
  await up('http://127.0.0.1:8080/desktop/', 300000);
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await page.goto('http://127.0.0.1:8080/desktop/?state=NOT_READY');
    const frame = await gadgetFrame(page, 30000);
    assert.match(await frame.$eval('.ttec-bar', (e) => e.innerText), /3000/);
  } finally {
    await browser.close();
  }
  process.kill(-trunk.pid, 'SIGTERM');
  assert.ok(await down('http://127.0.0.1:8083/desktop/', 20000), 'the mock Finesse outlived trunk serve');
});
