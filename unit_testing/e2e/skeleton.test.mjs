// The walking skeleton end to end: the release build's dist/ has Finesse's
// shape, and the gadget, rendered from dist/gadget.xml by the mock Finesse in
// headless Chromium, follows the agent's identity and Finesse state.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DIST, expectText, gadgetFrame, launchBrowser, startMockFinesse } from './harness.mjs';

describe('dist/ is what Finesse gets', () => {
  const files = () => {
    const out = [];
    const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).forEach((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p); else out.push(path.relative(DIST, p));
    });
    walk(DIST);
    return out.sort();
  };

  test('exactly the files uploaded to /files/TTECPhone/, no index.html, no mock', () => {
    assert.deepEqual(files(), [
      'assets/gadget.css', 'assets/ttecphone.js', 'assets/ttecphone_bg.wasm',
      'audio-test.wav', 'gadget.html', 'gadget.xml', 'sso.html',
    ]);
  });

  test('gadget.xml is a Finesse gadget spec loading only Finesse scripts and local files', () => {
    const xml = fs.readFileSync(path.join(DIST, 'gadget.xml'), 'utf8');
    assert.match(xml, /<Module>[\s\S]*<ModulePrefs [^>]*title="TTECPhone"/);
    assert.match(xml, /<Require feature="pubsub-2"\/>/);
    assert.match(xml, /<Content type="html">\s*<!\[CDATA\[[\s\S]*\]\]>\s*<\/Content>/);
    assert.match(xml, /gadgets\.HubSettings\.onConnect\s*=\s*function/);
    // Attributes, and the paths the inline scripts fetch or import (config.json and the
    // wasm are requested by the first script, the app by an async module; the release
    // build minifies these scripts).
    const urls = [...xml.matchAll(/(?:src|href)="([^"]+)"/g), ...xml.matchAll(/(?:from\s*|=\s*)"(\/[^"]*)"/g)].map((m) => m[1]);
    assert.ok(urls.length >= 5, `found ${urls}`);
    for (const url of urls) {
      assert.ok(
        url === '/desktop/assets/js/finesse.js' || url === '/desktop/assets/js/jquery.min.js'
          || url.startsWith('/3rdpartygadget/files/TTECPhone/'),
        `gadget.xml loads ${url}`,
      );
      if (url.startsWith('/3rdpartygadget/')) {
        assert.ok(fs.existsSync(path.join(DIST, url.slice('/3rdpartygadget/files/TTECPhone/'.length))), `${url} exists`);
      }
    }
  });

  test('no remote URL in the HTML the gadget ships', () => {
    for (const name of ['gadget.html', 'gadget.xml']) {
      const html = fs.readFileSync(path.join(DIST, name), 'utf8');
      assert.doesNotMatch(html, /(?:src|href)="(?:https?:)?\/\//, name);
    }
  });

  test("the glue asks V8 to compile it as it loads (the first call's answer path is compiled already)", () => {
    const glue = fs.readFileSync(path.join(DIST, 'assets/ttecphone.js'), 'utf8');
    // V8's explicit compile hint must be the file's first line to count.
    assert.ok(glue.startsWith('//# allFunctionsCalledOnLoad\n'), glue.slice(0, 40));
  });

  test('the wasm is optimised (wasm-opt ran: no name section, small)', () => {
    const wasm = fs.readFileSync(path.join(DIST, 'assets/ttecphone_bg.wasm'));
    assert.equal(wasm.subarray(0, 4).toString('hex'), '0061736d');
    const module = new WebAssembly.Module(wasm);
    assert.equal(WebAssembly.Module.customSections(module, 'name').length, 0, 'name section stripped by wasm-opt');
    assert.ok(wasm.length < 600 * 1024, `wasm is ${wasm.length} bytes`);
  });
});

describe('the gadget inside the mock Finesse', () => {
  let finesse, browser, page;
  const remoteRequests = [];
  // The sip kind with a loopback broker nobody listens on: the config is valid,
  // the phone has nowhere to register, so it keeps retrying with backoff.
  const prefs = encodeURIComponent('brokerKind=sip&wsUrl=ws://127.0.0.1:9/ws');

  before(async () => {
    finesse = await startMockFinesse();
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('request', (req) => {
      const url = new URL(req.url());
      // data: and blob: URLs are the page's own memory (the generated answer tone, the autoplay probe).
      if (!['127.0.0.1', 'localhost'].includes(url.hostname) && !['data:', 'blob:'].includes(url.protocol)) remoteRequests.push(req.url());
    });
  });
  after(async () => {
    await browser?.close();
    await finesse?.stop();
  });

  const open = async (query) => {
    await page.goto(`${finesse.origin}/desktop/?${query}&prefs=${prefs}`);
    return gadgetFrame(page);
  };

  test('a mobile agent in NOT_READY: WebRTC number shown, auto-answer paused', async () => {
    const frame = await open('agent=agent3000&ext=2000&webrtc=3000&state=NOT_READY');
    await expectText(frame, '.ttec-registration__number', '3000');
    await expectText(frame, '.ttec-autoanswer__status', 'Auto-answer paused while Not ready');
    await expectText(frame, '.ttec-registration__word', 'Reconnecting');
    // Never registered since the page loaded: the broker is unreachable (issue 5 wording).
    await expectText(frame, '[data-problem=broker-unreachable] .ttec-problem__title', 'Cannot reach the phone system.');
    await expectText(frame, '[data-problem=broker-unreachable] .ttec-problem__next',
      /^Retrying (in \d+ s|now)\. If this lasts, check your network or VPN, then tell your supervisor\.$/);
    assert.equal(await frame.$eval('[data-problem=broker-unreachable]', (e) => e.title),
      'the connection to the phone system was lost, code 1006');
  });

  test('changing the agent state in the mock changes what the gadget shows', async () => {
    const frame = await gadgetFrame(page);
    await page.evaluate(() => window.mockFinesse.setState('RESERVED'));
    await expectText(frame, '.ttec-autoanswer__status', 'Auto-answer on');
    await page.evaluate(() => window.mockFinesse.setState('WORK'));
    await expectText(frame, '.ttec-autoanswer__status', 'Auto-answer paused while Work');
    await page.evaluate(() => window.mockFinesse.setState('LOGOUT'));
    await expectText(frame, '.ttec-registration__word', 'Unregistered');
    await expectText(frame, '.ttec-registration__detail', 'Logged out of Finesse.');
  });

  test('without a dial number the WebRTC number follows the extension rule (+1000)', async () => {
    const frame = await open('agent=agent3001&ext=2001&webrtc=&state=READY');
    await expectText(frame, '.ttec-registration__number', '3001');
  });

  test('a non-mobile agent is told so and registers nothing', async () => {
    const frame = await open('agent=agent9&ext=2009&mobile=false&state=READY');
    await expectText(frame, '.ttec-registration__word', 'Unregistered');
    await expectText(frame, '[data-problem=not-webrtc-agent] .ttec-problem__title',
      'You are not signed in as a WebRTC agent, so the phone is off.');
  });

  test('an invalid setting in the gadget URL is shown naming its key', async () => {
    await page.goto(`${finesse.origin}/desktop/?state=READY&prefs=${encodeURIComponent('brokerKind=sip&wsUrl=ws://127.0.0.1:9/ws&autoAnswerDelayMs=soon')}`);
    const frame = await gadgetFrame(page);
    await expectText(frame, '[data-problem=config-invalid] .ttec-problem__title',
      /^The phone is not set up correctly: autoAnswerDelayMs must be a whole number/);
    await expectText(frame, '.ttec-registration__word', 'Error');
  });

  test('gadget.html carries a strict CSP and runs under it with no violation: every panel, the devices, the audio test, the gallery', async () => {
    const html = fs.readFileSync(path.join(DIST, 'gadget.html'), 'utf8');
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.ok(csp, 'no CSP meta in gadget.html');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval' 'sha256-/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|\*/);
    assert.match(csp, /connect-src 'self' https:\/\/wazo\.example\.com wss:\/\/wazo\.example\.com/);

    // Every violation, as the page's own securitypolicyviolation event (CSP3: fired for
    // each violation, style-src-attr included), and as the browser's console message.
    const violations = [];
    const logged = [];
    const standalone = await browser.context.newPage();
    standalone.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) logged.push(m.text()); });
    await standalone.exposeFunction('__ttecCspViolation', (v) => violations.push(v));
    await standalone.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => window.__ttecCspViolation(
        `${e.effectiveDirective}: ${e.blockedURI || '?'} (${e.sourceFile || location.href}:${e.lineNumber}) ${e.sample}`));
    });
    const gadget = `${finesse.origin}/3rdpartygadget/files/TTECPhone/gadget.html`;
    // None so far (the events are queued as tasks: let them run first).
    const noViolation = async (step) => {
      await standalone.waitForTimeout(300);
      assert.deepEqual([...violations, ...logged], [], `CSP violations ${step}`);
    };
    try {
      await standalone.goto(gadget);
      await expectText(standalone.mainFrame(), '.ttec-registration__detail', /^Finesse is not available/);
      await noViolation('at start');

      // Every panel the bar offers, each opened and used, then closed.
      const tools = await standalone.$$eval('.ttec-btn--tool', (bs) => bs.map((b) => [...b.classList].find((c) => c.startsWith('ttec-tool--'))));
      for (const needed of ['ttec-tool--settings', 'ttec-tool--diagnostics']) assert.ok(tools.includes(needed), `${needed} in ${tools}`);
      for (const tool of tools) {
        await standalone.click(`.${tool}`);
        await standalone.waitForSelector('.ttec-panel');
        await noViolation(`opening ${tool}`);
        if (tool === 'ttec-tool--settings') {
          // The audio test with the level meter moving (Chromium's fake microphone beeps).
          await standalone.click('.ttec-audiotest__button');
          await expectText(standalone.mainFrame(), '.ttec-audiotest__button', 'Stop test');
          let level = 0;
          for (let i = 0; i < 100 && level === 0; i++) {
            level = await standalone.$eval('meter.ttec-meter', (m) => m.value);
            if (level === 0) await standalone.waitForTimeout(50);
          }
          assert.ok(level > 0, 'the level meter never moved');
          await noViolation('with the audio test running');
          await standalone.click('.ttec-audiotest__button');
          await expectText(standalone.mainFrame(), '.ttec-audiotest__button', 'Test audio');
          // The devices: every microphone and speaker listed once the microphone was allowed.
          for (const kind of ['microphone', 'speaker']) {
            const select = `.ttec-select--${kind}`;
            if (await standalone.$eval(select, (s) => s.disabled)) continue;
            const values = await standalone.$$eval(`${select} option`, (os) => os.map((o) => o.value));
            assert.ok(values.length > 1, `${kind}s listed: ${values}`);
            for (const value of [...values.slice(1), values[0]]) await standalone.selectOption(select, value);
          }
        }
        if (tool === 'ttec-tool--diagnostics') {
          await standalone.click('.ttec-diagnostics__copy');
          await standalone.click('.ttec-diagnostics__download');
        }
        await noViolation(`using ${tool}`);
        await standalone.click('.ttec-panel__close');
        await standalone.waitForSelector('.ttec-panel', { state: 'detached' });
        await noViolation(`closing ${tool}`);
      }

      // The gallery renders every state of the bar, the team board included.
      await standalone.goto('about:blank');
      await standalone.goto(`${gadget}#gallery`);
      await standalone.waitForFunction(() => document.querySelectorAll('.ttec-gallery__item').length >= 19);
      await noViolation('in the gallery');

      // The check itself can fail: an inline style attribute is reported at once.
      await standalone.evaluate(() => document.body.setAttribute('style', 'outline: 1px solid red'));
      for (let i = 0; i < 40 && violations.length === 0; i++) await standalone.waitForTimeout(50);
      assert.match(violations.join('\n'), /^style-src-attr: inline/);
    } finally {
      await standalone.close();
    }
  });

  test('the gadget asked for nothing outside this machine', () => {
    assert.deepEqual(remoteRequests, []);
  });
});
