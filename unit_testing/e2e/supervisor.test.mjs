// Supervisor preview end to end (issue 8): a supervisor's gadget (bed user 3900, preview
// mode: never answers, never opens the microphone) and two agents' gadgets (3001, 3002),
// each in its own mock Finesse desktop, all registered to the bed's Kamailio with its
// presence modules. The supervisor's team board must follow each agent's phone
// offline -> idle (the agent's gadget registers) -> in call (sipp calls the agent) ->
// idle (sipp hangs up) -> offline (the agent closes the page), each within 2 s.
// Runs inside the bed's network namespace:
//   bash unit_testing/bed/bed.sh exec node --test unit_testing/e2e/supervisor.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  expectSippOk, expectText, failureContext, microphoneOpens, startSession,
} from './bed-session.mjs';

const WITHIN_MS = 2000;
const AGENTS = [
  { id: 'agent3001', name: 'Alice', number: '3001' },
  { id: 'agent3002', name: 'Bob', number: '3002' },
];
const figures = {};
let session, supervisorPage, board;

/** The board row's phone state (data-phone: unknown, offline, idle, ringing, in-call, on-hold). */
const phoneOf = (agent) => board.$eval(`.ttec-board__row[data-agent="${agent.id}"]`, (r) => r.getAttribute('data-phone'))
  .catch(() => 'missing');

/** Waits until the board shows `state` for `agent`; resolves the ms it took from `since`. */
async function boardShows(agent, state, since, within = WITHIN_MS) {
  const deadline = since + within;
  let seen;
  for (;;) {
    seen = await phoneOf(agent);
    if (seen === state) return Date.now() - since;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const rows = await board.$$eval('.ttec-board__row', (rs) => rs.map((r) => `${r.getAttribute('data-agent')}=${r.getAttribute('data-phone')}`));
  assert.fail(`the board shows ${agent.id} as ${seen}, not ${state}, ${within} ms after the change (rows: ${rows.join(', ')})`);
}

/** The supervisor's gadget frame once its team board rendered (preview has no agent bar). */
async function boardFrame(page, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (frame.url().includes('/gadgets/ifr') && await frame.$('.ttec-board').catch(() => null)) return frame;
    }
    await page.waitForTimeout(50);
  }
  throw new Error('the supervisor\'s gadget did not render its team board');
}

function supervisorUrl() {
  const { env, finesse } = session;
  const team = AGENTS.map((a) => `${a.id}:${a.name}:${a.number}`).join(',');
  // Extension 2900 through the default webrtcNumberRule (+1000) gives the SIP identity 3900.
  const prefs = `brokerKind=sip&wsUrl=${env.BED_WS_URL}&sipDomain=${env.BED_DOMAIN}`;
  return `${finesse.origin}/desktop/?supervisor=true&state=NOT_READY&team=${encodeURIComponent(team)}`
    + `&prefs=${encodeURIComponent(prefs)}`;
}

describe('supervisor preview: the team board follows the agents\' phones', () => {
  before(async () => {
    session = await startSession();
    supervisorPage = await session.browser.context.newPage();
  });

  after(async () => {
    await session?.close();
    console.log(`# supervisor figures: ${JSON.stringify(figures)}`);
  });

  test('the supervisor registers 3900 in preview and sees both agents offline', async () => {
    const t0 = Date.now();
    await supervisorPage.goto(supervisorUrl());
    board = await boardFrame(supervisorPage);
    await expectText(board, '.ttec-board__title', /preview: this phone takes no calls/, 5000);
    await expectText(board, '.ttec-registration__word', 'Registered', 15000);
    await expectText(board, '.ttec-registration__number', '3900');
    figures.supervisorRegisteredMs = Date.now() - t0;
    assert.equal(await board.$('.ttec-bar'), null, 'preview shows the board, not the agent\'s bar');
    assert.equal(await board.$('.ttec-registration__detail'), null, 'no "Ready to receive calls." on a preview line');
    for (const agent of AGENTS) {
      await expectText(board, `.ttec-board__row[data-agent="${agent.id}"] .ttec-board__number`, agent.number, 5000);
      await boardShows(agent, 'offline', Date.now(), 5000);
    }
    figures.boardOfflineMs = Date.now() - t0;
  });

  test('each agent: offline -> idle -> in call -> idle -> offline, each within 2 s', async () => {
    const pages = [];
    for (const agent of AGENTS) {
      const page = await session.browser.context.newPage();
      pages.push(page);
      const { frame } = await session.openPhone(page, { number: agent.number, state: 'READY', password: `test-password-${agent.number}` });
      figures[`${agent.number}.idleMs`] = await boardShows(agent, 'idle', Date.now());
      agent.page = page;
      agent.frame = frame;
    }
    for (const agent of AGENTS) {
      const other = AGENTS.find((a) => a !== agent);
      const run = await session.sipp('uac_call.xml', { service: agent.number, durationMs: 3000 });
      try {
        // The call is answered at once (auto-answer); the board must show it within 2 s.
        await expectText(agent.frame, '.ttec-call__caller', /0611223344/, 10000);
        figures[`${agent.number}.inCallMs`] = await boardShows(agent, 'in-call', Date.now());
        assert.equal(await phoneOf(other), 'idle', `${other.id} is not in this call`);
        await expectSippOk(run);
        figures[`${agent.number}.idleAfterByeMs`] = await boardShows(agent, 'idle', Date.now());
      } catch (e) {
        e.message += `\n${failureContext(run)}`;
        throw e;
      }
    }
    for (const agent of AGENTS) {
      // Closing the page un-REGISTERs the agent's phone.
      await agent.page.close({ runBeforeUnload: true });
      figures[`${agent.number}.offlineMs`] = await boardShows(agent, 'offline', Date.now());
    }
  });

  test('the board shows the agents\' Finesse states from the team roster', async () => {
    const [alice] = AGENTS;
    await supervisorPage.evaluate((id) => window.mockFinesse.setTeamMember(id, { state: 'TALKING' }), alice.id);
    await expectText(board, `.ttec-board__row[data-agent="${alice.id}"] .ttec-board__finesse`, 'Talking', WITHIN_MS);
  });

  test('the supervisor never opened the microphone nor answered', async () => {
    assert.equal(await microphoneOpens(board), 0, 'getUserMedia was called in the supervisor\'s gadget');
    assert.equal(await board.$('.ttec-call'), null, 'the supervisor\'s gadget shows no call');
  });
});
