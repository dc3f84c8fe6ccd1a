// Shared headless Chromium launcher for the mock Finesse and e2e tests (playwright-core + the
// Debian chromium package; nothing is downloaded).
//
//   import { launchChromium, startMockFinesse } from '../mock_finesse/test/browser.mjs';
//   const { browser, close } = await launchChromium({ extraArgs: ['--use-fake-ui-for-media-stream'] });
//   const mock = await startMockFinesse({ gadgetDir: 'dist' });  // -> { url, port, server, close }

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createMockFinesse } from '../server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const MOCK_FINESSE_DIR = path.resolve(HERE, '..');
export const FIXTURE_GADGET_DIR = path.join(MOCK_FINESSE_DIR, 'fixtures', 'gadget');

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Flags every headless run needs here (root, no GPU, no background traffic). */
export const BASE_CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Media flags for WebRTC tests (fake devices, no permission prompt, loopback ICE without mDNS). */
export const MEDIA_CHROMIUM_ARGS = [
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/**
 * Launches Chromium with a fresh profile. Returns {context, browser, userDataDir, close}.
 * A persistent context is used because --user-data-dir must be given to Playwright that way.
 */
export async function launchChromium({ extraArgs = [], headless = true, viewport = { width: 1280, height: 900 } } = {}) {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install the Debian chromium package (or set CHROMIUM_PATH)`);
  }
  const userDataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'ttecphone-chromium-'));
  const args = [...BASE_CHROMIUM_ARGS.filter((a) => headless || a !== '--headless'), ...extraArgs];
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless,
    args,
    viewport,
  });
  return {
    context,
    browser: context.browser(),
    userDataDir,
    async close() {
      await context.close().catch(() => {});
      await fsp.rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Starts the mock Finesse in-process on a free port (or the given one). */
export async function startMockFinesse({ gadgetDir = FIXTURE_GADGET_DIR, gadgetOrigin = null, gadgetName = 'TTECPhone', port = 0, host = '127.0.0.1' } = {}) {
  const server = createMockFinesse({ gadgetDir: gadgetOrigin ? null : path.resolve(gadgetDir), gadgetOrigin, gadgetName, verbose: false });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actual = server.address().port;
  const origin = `http://${host}:${actual}`;
  return {
    server,
    port: actual,
    origin,
    url: `${origin}/desktop/`,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}
