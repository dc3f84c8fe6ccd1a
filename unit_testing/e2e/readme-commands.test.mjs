// README.md's shell commands, as written, in a new login shell right after the
// setup (unit_testing/setup.sh, which run.sh runs first): `env -i` with HOME and
// the login PATH only, then `bash -lc`, so nothing of this test's environment
// leaks in (no `source unit_testing/env.sh`, no tools/node_modules/.bin, no
// TRUNK_SKIP_VERSION_CHECK). Every command the README shows is listed in
// DECISIONS below: run here, or why not (and then at least that the script puts
// the project's tools on PATH itself). A new command in the README fails this
// test until it has a decision.
//
// Run here: the tools a new shell finds, `cargo test -p ttecphone-sip`,
// `trunk build --release` and `trunk serve` (probed over HTTP at the README's
// own URLs for the gadget and the mock Finesse, then stopped: nothing left on
// 8080 or 8083). The two trunk commands build into their own dist and cargo
// target directories under target/readme-commands/ (TRUNK_BUILD_DIST,
// CARGO_TARGET_DIR): dist/ and target/'s wasm are the shipped build the other
// suites test, and other builds may be running in this working tree.
//
//   node --test unit_testing/e2e/readme-commands.test.mjs   (after bash unit_testing/setup.sh)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './harness.mjs';

const README = path.join(ROOT, 'README.md');
const WORK = path.join(ROOT, 'target/readme-commands');
// What a login starts from (login.defs' ENV_SUPATH / ENV_PATH); the login shell's
// profile (/etc/profile, ~/.profile) makes the rest, as in a new terminal.
const LOGIN_PATH = process.getuid?.() === 0
  ? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  : '/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games';
const ISOLATED = { CARGO_TARGET_DIR: path.join(WORK, 'cargo') };

const sh = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

/** `command` in a new login shell at the repository root; env: the only variables besides HOME and PATH. */
function cleanShell(command, env = {}, options = {}) {
  const vars = Object.entries({ HOME: os.homedir(), PATH: LOGIN_PATH, ...env }).map(([k, v]) => `${k}=${v}`);
  return spawn('env', ['-i', ...vars, 'bash', '-lc', `cd ${sh(ROOT)} && ${command}`], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/** Runs `command` to its end; resolves {code, out}. */
function runClean(command, env, timeoutMs) {
  return new Promise((resolve) => {
    const child = cleanShell(command, env, { detached: true });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { out += `\n[killed after ${timeoutMs} ms]`; try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

const tail = (text, n = 4000) => (text.length > n ? `…${text.slice(-n)}` : text);

/**
 * Every shell command README.md shows: each line of a ```bash (sh, shell) block
 * without its comment, and each `inline code` span that starts with a command word,
 * with the line it is first on.
 */
function readmeCommands(markdown) {
  const found = new Map();
  const add = (command, line) => { if (command && !found.has(command)) found.set(command, line); };
  const commandWord = /^(?:[A-Z][A-Z0-9_]*=\S*\s+)*(?:bash|sh|source|\.|trunk|cargo|rustup|node|npm|npx|python3?)\s+\S/;
  let fence = null;
  markdown.split('\n').forEach((text, i) => {
    const f = /^\s{0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(text);
    if (f && !fence) { fence = { mark: f[1], lang: f[2].toLowerCase() }; return; }
    if (f && fence && f[1][0] === fence.mark[0] && f[1].length >= fence.mark.length && !f[2]) { fence = null; return; }
    if (fence) {
      if (['bash', 'sh', 'shell'].includes(fence.lang)) add(text.replace(/(^|\s)#.*$/, '').trim(), i + 1);
      return;
    }
    for (const m of text.matchAll(/`([^`\n]+)`/g)) if (commandWord.test(m[1].trim())) add(m[1].trim(), i + 1);
  });
  return found;
}

// The scripts that are not run here must not depend on the shell they are started
// from: each puts the project's tools on PATH itself.
const SOURCES_ENV = /^\s*source unit_testing\/env\.sh\s*$/m;
const NOT_RUN = {
  'bash unit_testing/demo.sh': ['runs the QA demo (setup, build, a broker on the host) until Ctrl-C; the suite "e2e: demo" runs it', 'unit_testing/demo.sh'],
  'bash unit_testing/demo.sh --broker-only': ['starts the demo\'s broker on the host until Ctrl-C; the suite "e2e: demo" runs the demo', 'unit_testing/demo.sh'],
  'bash unit_testing/run.sh': ['the whole suite, which runs this test', 'unit_testing/run.sh'],
  'bash unit_testing/run.sh native docs': ['the suites it selects (native tests, docs check) run in the whole suite, which runs this test', 'unit_testing/run.sh'],
  'bash unit_testing/dev/release.sh': ['rebuilds dist/ (std rebuilt for size, minutes), the build the other suites test; the suite "build: trunk release" runs it', 'unit_testing/dev/release.sh'],
  'bash unit_testing/setup.sh': ['installs packages (apt, cargo, npm); run.sh runs it before every suite, and the first test here checks what it leaves for a new shell', null],
  'node unit_testing/e2e/screenshots.mjs': ['rewrites doc/screenshots/; the suite "screenshots" runs it', null],
  'bash unit_testing/bench/run.sh': ['starts the SIP bed and runs for about 9 minutes; the suite "bench: smoke" runs the benchmark on the bed', 'unit_testing/bench/run.sh'],
  'BENCH_BROKER=asterisk bash unit_testing/bench/run.sh': ['the same on the bed\'s Asterisk', 'unit_testing/bench/run.sh'],
  'BENCH_CONFIG_AT=onConnect bash unit_testing/bench/run.sh': ['the same with Config filled only at onConnect', 'unit_testing/bench/run.sh'],
  'bash unit_testing/loadgen/run.sh': ['starts the SIP bed with 2,000 users and loads it for minutes; the suite "loadgen: smoke" runs a small load', 'unit_testing/loadgen/run.sh'],
  'cargo deny': ['named, not a command line; the suite "dependencies" runs `cargo deny check`, and the first test here runs `cargo deny --version`', null],
};
const RUN_HERE = new Set(['trunk build --release', 'trunk serve', 'cargo test -p ttecphone-sip']);

const trunkTools = () => {
  const toml = fs.readFileSync(path.join(ROOT, 'Trunk.toml'), 'utf8');
  const tools = /^\[tools\]\n([\s\S]*?)(?:^\[|(?![\s\S]))/m.exec(toml)?.[1] ?? '';
  return Object.fromEntries([...tools.matchAll(/^(\w+)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1], m[2]]));
};

const listening = (port) => new Promise((resolve) => {
  const socket = net.connect(port, '127.0.0.1');
  socket.once('connect', () => { socket.destroy(); resolve(true); });
  socket.once('error', () => resolve(false));
});

describe("README.md's commands in a new shell", () => {
  const commands = readmeCommands(fs.readFileSync(README, 'utf8'));

  before(() => fs.mkdirSync(WORK, { recursive: true }));

  test('every command the README shows is run here or has a reason not to be', (t) => {
    assert.ok(commands.has('trunk build --release') && commands.has('trunk serve'), [...commands.keys()].join('\n'));
    const undecided = [...commands].filter(([c]) => !RUN_HERE.has(c) && !NOT_RUN[c]).map(([c, line]) => `README.md:${line}: ${c}`);
    assert.deepEqual(undecided, [], 'new commands in the README: run them in this test, or add them to NOT_RUN with the reason');
    for (const [command, [, script]] of Object.entries(NOT_RUN)) {
      if (!commands.has(command) || !script) continue;
      assert.match(fs.readFileSync(path.join(ROOT, script), 'utf8'), SOURCES_ENV, `${script} (\`${command}\`) must source unit_testing/env.sh itself`);
    }
    for (const [command, [why]] of Object.entries(NOT_RUN)) if (commands.has(command)) t.diagnostic(`not run: ${command}: ${why}`);
  });

  test('a new shell finds trunk and the exact tools Trunk.toml names, without env.sh', async () => {
    const { code, out } = await runClean([
      'echo "PATH=$PATH"', 'echo "SKIP=${TRUNK_SKIP_VERSION_CHECK-unset}"',
      'for t in trunk cargo node wasm-bindgen wasm-opt; do echo "$t at $(command -v $t)"; done',
      'trunk --version', 'wasm-bindgen --version', 'wasm-opt --version', 'echo', 'cargo deny --version',
    ].join('; '), {}, 30000);
    assert.equal(code, 0, out);
    assert.doesNotMatch(/^PATH=(.*)$/m.exec(out)[1], /unit_testing/, 'the clean shell has the project\'s PATH: the test would prove nothing');
    assert.match(out, /^SKIP=unset$/m);
    for (const t of ['trunk', 'cargo', 'node', 'wasm-bindgen', 'wasm-opt']) assert.match(out, new RegExp(`^${t} at /\\S+$`, 'm'), `${t} not found:\n${out}`);
    const tools = trunkTools();
    assert.ok(tools.wasm_bindgen && tools.wasm_opt, JSON.stringify(tools));
    assert.match(out, new RegExp(`^wasm-bindgen ${tools.wasm_bindgen.replace(/\./g, '\\.')}$`, 'm'), `Trunk.toml wants wasm-bindgen ${tools.wasm_bindgen}:\n${out}`);
    // Trunk reads the third word of `wasm-opt --version` as version_<it>.
    assert.equal(`version_${/^wasm-opt version (\S+)/m.exec(out)?.[1]}`, tools.wasm_opt, `Trunk.toml wants wasm-opt ${tools.wasm_opt}:\n${out}`);
    assert.match(out, /^cargo-deny /m);
  });

  test('cargo test -p ttecphone-sip', { timeout: 600000 }, async () => {
    const { code, out } = await runClean('cargo test -p ttecphone-sip', {}, 590000);
    assert.equal(code, 0, tail(out));
    assert.match(out, /^test result: ok\. [1-9]\d* passed; 0 failed/m, tail(out));
  });

  describe('trunk build --release', () => {
    const dist = path.join(WORK, 'dist-build');
    after(() => fs.rmSync(dist, { recursive: true, force: true }));

    test('builds the gadget with wasm-opt, offline, in a new shell', { timeout: 900000 }, async () => {
      fs.rmSync(dist, { recursive: true, force: true });
      const { code, out } = await runClean('trunk build --release', { ...ISOLATED, TRUNK_BUILD_DIST: dist }, 890000);
      assert.equal(code, 0, tail(out));
      for (const f of ['gadget.html', 'gadget.xml', 'audio-test.wav', 'sso.html', 'assets/ttecphone.js', 'assets/ttecphone_bg.wasm', 'assets/gadget.css']) {
        assert.ok(fs.existsSync(path.join(dist, f)), `${f} missing:\n${tail(out)}`);
      }
      const wasm = fs.readFileSync(path.join(dist, 'assets/ttecphone_bg.wasm'));
      assert.equal(WebAssembly.Module.customSections(new WebAssembly.Module(wasm), 'name').length, 0, 'wasm-opt did not run (name section kept)');
      assert.match(out, /post-build \(release/, tail(out));
    });
  });

  describe('trunk serve', () => {
    const dist = path.join(WORK, 'dist-serve');
    let trunk;
    let out = '';

    after(async () => {
      if (trunk && trunk.exitCode === null) {
        try { process.kill(-trunk.pid, 'SIGTERM'); } catch { /* gone */ }
        await new Promise((r) => { trunk.once('close', r); setTimeout(r, 20000); });
      }
      fs.rmSync(dist, { recursive: true, force: true });
    });

    test('serves the gadget and the mock Finesse at the README\'s URLs, and stops with nothing left', { timeout: 900000 }, async () => {
      // The README's addresses for `trunk serve` (Trunk.toml [serve], the mock Finesse on 8083 behind it).
      const urls = [...new Set([...fs.readFileSync(README, 'utf8').matchAll(/`(http:\/\/127\.0\.0\.1:8080\/[^`\s]*)`/g)].map((m) => m[1]))];
      const gadgetUrl = urls.find((u) => u.includes('/3rdpartygadget/files/TTECPhone/'));
      const desktopUrl = urls.find((u) => /\/desktop\/$/.test(u));
      assert.ok(gadgetUrl && desktopUrl, `the README's trunk serve URLs: ${urls}`);
      for (const port of [8080, 8083]) {
        assert.equal(await listening(port), false, `127.0.0.1:${port} is taken (a trunk serve or demo running?): the README's trunk serve needs it`);
      }

      trunk = cleanShell('trunk serve', { ...ISOLATED, TRUNK_BUILD_DIST: dist }, { detached: true });
      trunk.stdout.on('data', (d) => { out += d; });
      trunk.stderr.on('data', (d) => { out += d; });
      // Up once the first build is in place (a cold build takes minutes), then each URL once.
      const base = gadgetUrl.replace(/[^/]*$/, '');
      const deadline = Date.now() + 840000;
      for (;;) {
        if (trunk.exitCode !== null) assert.fail(`trunk serve exited ${trunk.exitCode}:\n${tail(out)}`);
        const res = await fetch(`${base}gadget.xml`).catch(() => null);
        if (res?.ok) break;
        if (Date.now() > deadline) assert.fail(`trunk serve did not serve ${base}gadget.xml:\n${tail(out)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      assert.doesNotMatch(out, /unable to download|couldn't find/i);
      for (const url of urls) {
        const res = await fetch(url);
        const body = await res.text();
        assert.equal(res.status, 200, `${url}: ${res.status}`);
        if (url === gadgetUrl) assert.match(body, /<div id="ttecphone"/, `${url} is not the gadget`);
        if (url === desktopUrl) assert.match(body, /<title>Mock Finesse/, `${url} is not the mock Finesse`);
      }

      process.kill(-trunk.pid, 'SIGTERM');
      await new Promise((r) => { if (trunk.exitCode !== null) r(); else trunk.once('close', r); });
      for (const port of [8080, 8083]) {
        let up = true;
        for (let i = 0; i < 40 && up; i++) {
          up = await listening(port);
          if (up) await new Promise((r) => setTimeout(r, 500));
        }
        assert.equal(up, false, `127.0.0.1:${port} still answers after trunk serve stopped`);
      }
    });
  });
});
