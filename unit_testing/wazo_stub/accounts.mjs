#!/usr/bin/env node
// The SIP accounts of the Wazo stub's lines, for the SIP test bed to create in its broker
// (Kamailio or Asterisk) so the gadget's `wazo` kind can register with what confd gives it.
//   node unit_testing/wazo_stub/accounts.mjs [--users FILE] [--webrtc] [--json]
// Prints one line per SIP line, users in order, lines in confd's order:
//   <sip username> <sip password> <extension> <webrtc|desk>
// (`--webrtc`: WebRTC lines only; `--json`: sipAccounts() as JSON.) Test-only secrets.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadUsers, sipAccounts } from './stub.mjs';

const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 7).join('\n'));
  process.exit(0);
}
const i = args.indexOf('--users');
const file = i >= 0 ? args[i + 1] : undefined;
const accounts = sipAccounts(loadUsers(file)).filter((a) => a.webrtc || !args.includes('--webrtc'));
if (args.includes('--json')) console.log(JSON.stringify(accounts, null, 2));
else for (const a of accounts) console.log(`${a.username} ${a.password} ${a.extension} ${a.webrtc ? 'webrtc' : 'desk'}`);
