// A long shift in miniature (issue 6, item 9): 200 sequential calls in one page,
// auto-answered through Kamailio + rtpengine; zero failures, and the memory
// growth reported (and bounded). The 1,000-call run is the benchmark's.
//   bash unit_testing/bed/bed.sh exec node --test unit_testing/e2e/soak.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { expectSippOk, memory, microphoneOpens, startSession } from './bed-session.mjs';

const CALLS = Number(process.env.SOAK_CALLS || 200);
const BATCH = 50;
let session;

before(async () => { session = await startSession(); });
after(async () => { await session?.close(); });

test(`${CALLS} sequential calls in one page: all answered, memory flat`, async () => {
  const page = await session.browser.context.newPage();
  const { frame } = await session.openPhone(page);
  const samples = [];
  let answered = 0;
  for (let done = 0; done < CALLS; done += BATCH) {
    const calls = Math.min(BATCH, CALLS - done);
    // sipp places the calls one after another (-l 1) and fails unless every one is answered.
    const run = await session.sipp('uac_call.xml', { durationMs: 300, calls, timeoutS: 600 });
    await expectSippOk(run);
    answered += calls;
    samples.push({ calls: answered, ...(await memory(frame)) });
  }
  assert.equal(await microphoneOpens(frame), CALLS, 'one microphone open per call, released after');
  const growthKb = Math.round((samples.at(-1).js - samples[0].js) / 1024);
  const wasmGrowthKb = Math.round((samples.at(-1).wasm - samples[0].wasm) / 1024);
  // Wasm memory only ever grows (pages are never returned): a high-water mark
  // settles early; a leak keeps climbing. Judge the second half of the run.
  const half = samples[Math.floor((samples.length - 1) / 2)];
  const wasmLateGrowthKb = Math.round((samples.at(-1).wasm - half.wasm) / 1024);
  console.log(`# soak: ${answered} calls answered, 0 failed; JS heap ${samples.map((s) => `${s.calls}:${Math.round(s.js / 1024)}KiB`).join(' ')}; wasm ${samples.map((s) => Math.round(s.wasm / 1024)).join('/')} KiB; growth after the first ${BATCH}: JS ${growthKb} KiB, wasm ${wasmGrowthKb} KiB (second half ${wasmLateGrowthKb} KiB)`);
  assert.ok(growthKb < 2048, `JS heap grew ${growthKb} KiB over ${CALLS - BATCH} calls`);
  assert.ok(wasmLateGrowthKb <= 64, `wasm memory still growing: ${wasmLateGrowthKb} KiB over the second half`);
  await page.close();
});
