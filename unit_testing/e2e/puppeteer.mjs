// Browsers driven by puppeteer-core behind the small part of Playwright's API the suites
// use (so one test body runs in every browser; harness.mjs picks one):
// - Debian's Firefox ESR, over WebDriver BiDi (E2E_BROWSER=firefox);
// - Debian's Chromium over CDP when a test needs a page that can really be hidden
//   (launchBrowser's `hideable`): Playwright keeps every page it drives visible and
//   active, and starts Chromium without background timer throttling, so a hidden
//   Finesse tab cannot be tested with it.
//
// Why puppeteer-core over BiDi: Playwright drives only its own patched Firefox (a binary
// from Microsoft's CDN, which this project may not download); puppeteer-core speaks the
// standard WebDriver BiDi that Firefox ESR 115+ ships, needs no geckodriver, and is on npm.
// puppeteer-core 24.x: 25.x needs Node 22 (Debian 12 has Node 20).
//
// How the suites' Chromium flags map to Firefox prefs (what an agent's Firefox does is kept;
// only what the loopback-only bed and a headless runner need is changed):
//   --allow-loopback-in-peer-connection   -> media.peerconnection.ice.loopback
//   --autoplay-policy=no-user-gesture-required        -> media.autoplay.default 0 (allowed)
//   --autoplay-policy=document-user-activation-required -> media.autoplay.default 1 (blocked)
//   --use-fake-ui-for-media-stream        -> media.navigator.permission.disabled (no prompt)
//   --use-fake-device-for-media-stream    -> media.cubeb.force_mock_context: Firefox's own mock
//                                            audio backend (3 microphones, 2 speakers, with
//                                            real ids, groups and labels once the microphone is
//                                            granted, as on an agent's PC)
//   --disable-features=WebRtcHideLocalIpsWithMdns -> NOT mapped: Firefox keeps hiding host
//                                            addresses behind mDNS names until the page captures,
//                                            as it does for agents (the phone must cope)
//   --deny-permission-prompts, fakeUi: false -> permissions.default.microphone 2 (blocked)
//   --enable-precise-memory-info, --js-flags=--expose-gc -> nothing (Chromium only)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

export const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';

/** Firefox prefs for the suites' Chromium `args` and harness options. */
export function firefoxPrefs(args, { fakeUi = true, fakeDevices = true } = {}, downloads = undefined) {
  const prefs = {
    // Downloads saved without a dialog into the profile's own folder (waitForEvent('download')).
    ...(downloads ? {
      'browser.download.folderList': 2,
      'browser.download.dir': downloads,
      'browser.download.useDownloadDir': true,
      'browser.download.always_ask_before_handling_new_types': false,
    } : {}),
    // A headless runner without a sound card: Firefox's mock audio backend plays and records.
    'media.cubeb.force_mock_context': fakeDevices,
    'media.navigator.streams.fake': false,
    // No first-run pages, updates or telemetry in a test profile.
    'browser.shell.checkDefaultBrowser': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'app.update.enabled': false,
  };
  if (fakeUi && !args.includes('--deny-permission-prompts')) prefs['media.navigator.permission.disabled'] = true;
  else prefs['permissions.default.microphone'] = 2;
  for (const arg of args) {
    if (arg === '--allow-loopback-in-peer-connection') prefs['media.peerconnection.ice.loopback'] = true;
    if (arg === '--autoplay-policy=no-user-gesture-required') prefs['media.autoplay.default'] = 0;
    if (arg === '--autoplay-policy=document-user-activation-required') prefs['media.autoplay.default'] = 1;
  }
  return prefs;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Playwright's waitForSelector `state` as puppeteer's options. */
const waitOptions = ({ state, timeout } = {}) => ({
  ...(timeout !== undefined ? { timeout } : {}),
  ...(state === 'detached' || state === 'hidden' ? { hidden: true } : {}),
  ...(state === 'visible' ? { visible: true } : {}),
});

/** Playwright's frame methods on a puppeteer frame (clicks and selects wait for the element, as Playwright's do). */
function frameLike(frame) {
  const extra = {
    click: (selector) => frame.locator(selector).click(),
    waitForSelector: (selector, options) => frame.waitForSelector(selector, waitOptions(options)),
    async selectOption(selector, value) {
      await frame.waitForSelector(selector);
      return frame.select(selector, ...[value].flat());
    },
    async fill(selector, value) {
      await frame.waitForSelector(selector);
      await frame.$eval(selector, (e, v) => {
        e.value = v;
        e.dispatchEvent(new Event('input', { bubbles: true }));
        e.dispatchEvent(new Event('change', { bubbles: true }));
      }, value);
    },
    waitForTimeout: sleep,
  };
  return wrap(frame, extra);
}

const wrapped = new WeakMap();
function wrap(target, extra) {
  if (wrapped.has(target)) return wrapped.get(target);
  const proxy = new Proxy(target, {
    get(t, key) {
      if (key in extra) return extra[key];
      const value = t[key];
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
  wrapped.set(target, proxy);
  return proxy;
}

/** Playwright's `download` event, as the next complete file in the profile's download folder. */
async function nextDownload(dir, timeoutMs = 10000) {
  const before = new Set(fs.readdirSync(dir));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // Firefox creates the file empty first, then writes a .part beside it and moves it over.
    const files = fs.readdirSync(dir);
    const name = files.find((f) => !before.has(f) && !f.endsWith('.part'));
    if (name && !files.some((f) => f.endsWith('.part')) && fs.statSync(path.join(dir, name)).size > 0) {
      return { suggestedFilename: () => name, path: async () => path.join(dir, name) };
    }
    await sleep(50);
  }
  throw new Error(`no download within ${timeoutMs} ms`);
}

function pageLike(page, downloads) {
  const main = frameLike(page.mainFrame());
  return wrap(page, {
    click: main.click,
    waitForSelector: main.waitForSelector,
    selectOption: main.selectOption,
    fill: main.fill,
    waitForTimeout: sleep,
    mainFrame: () => main,
    frames: () => page.frames().map(frameLike),
    addInitScript: (script, arg) => page.evaluateOnNewDocument(script, arg),
    setViewportSize: ({ width, height }) => page.setViewport({ width, height }),
    waitForEvent(event, { timeout = 30000 } = {}) {
      if (event === 'download') return nextDownload(downloads);
      if (event !== 'popup' && event !== 'close') throw new Error(`puppeteer.mjs: waitForEvent('${event}') is not mapped`);
      // A window the page opens (as Playwright's, a page like this one), or this page closing.
      // Over WebDriver BiDi a window opened from an iframe comes as a new target only.
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeout} ms`)), timeout);
        if (event === 'close') {
          page.once('close', () => { clearTimeout(timer); resolve(); });
          return;
        }
        const browser = page.browser();
        browser.on('targetcreated', async function opened(target) {
          const popup = target.type() === 'page' ? await target.page() : null;
          if (!popup) return;
          browser.off('targetcreated', opened);
          clearTimeout(timer);
          resolve(pageLike(popup, downloads));
        });
      });
    },
  });
}

/** `browser` (puppeteer's) with a fresh profile; `context` offers newPage/addInitScript/close like Playwright's. */
async function launchPuppeteer(name, userDataDir, downloads, launchOptions) {
  const browser = await puppeteer.launch({ headless: true, userDataDir, defaultViewport: { width: 1280, height: 800 }, ...launchOptions });
  const initScripts = [];
  const pages = [];
  const context = {
    async newPage() {
      const page = await browser.newPage();
      for (const [script, arg] of initScripts) await page.evaluateOnNewDocument(script, arg);
      pages.push(page);
      return pageLike(page, downloads);
    },
    async addInitScript(script, arg) {
      initScripts.push([script, arg]);
      for (const page of pages) await page.evaluateOnNewDocument(script, arg);
    },
    pages: () => pages.filter((p) => !p.isClosed()).map((p) => pageLike(p, downloads)),
    async close() { await browser.close(); },
  };
  return {
    name,
    context,
    async close() {
      await browser.close().catch(() => {});
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** A Firefox ESR with a fresh profile. */
export async function launchFirefox(args = [], options = {}) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttec-firefox-'));
  const downloads = path.join(userDataDir, 'downloads');
  fs.mkdirSync(downloads);
  return launchPuppeteer('firefox', userDataDir, downloads, {
    browser: 'firefox',
    executablePath: FIREFOX,
    extraPrefsFirefox: firefoxPrefs(args, options, downloads),
  });
}

/** Chrome's switches that keep a hidden page running at full speed: left out, as in an agent's browser. */
const BACKGROUND_SWITCHES = ['--disable-background-timer-throttling', '--disable-backgrounding-occluded-windows', '--disable-renderer-backgrounding'];

/** Chromium whose pages are hidden when another page is in front, and throttled as in an agent's browser. */
export async function launchHideableChromium(args = []) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttec-chromium-'));
  return launchPuppeteer('chromium', userDataDir, undefined, {
    browser: 'chrome',
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    ignoreDefaultArgs: BACKGROUND_SWITCHES,
    args,
  });
}
