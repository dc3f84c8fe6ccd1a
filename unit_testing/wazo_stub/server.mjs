#!/usr/bin/env node
// Runs the Wazo stub (see stub.mjs and README.md) until Ctrl-C.
//   node unit_testing/wazo_stub/server.mjs [--port 0] [--host 127.0.0.1] [--users FILE]
//        [--token-lifetime-s N] [--engine current|legacy] [--ws-target ws://127.0.0.1:8080/]
//        [--max-sessions 100] [--ws-read-timeout-s 188] [--saml-idp URL | --with-idp]
// --with-idp also starts the fake SAML IdP (unit_testing/sso/idp.mjs) and serves wazo-auth's
// SAML login for the domain ttec.example with it (Finesse SSO with domainName=ttec.example).
// Without --ws-target, the running bed's Kamailio WebSocket (bed/run/ports.env) is used.
// The SIP accounts of its lines: node unit_testing/wazo_stub/accounts.mjs
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWazoStub } from './stub.mjs';
import { startFakeIdp } from '../sso/idp.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
if (args.includes('--help')) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 10).join('\n'));
  process.exit(0);
}
function bedWsUrl() {
  const runDir = process.env.BED_RUN_DIR ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '../bed/run');
  const file = path.join(runDir, 'ports.env');
  if (!existsSync(file)) return null;
  return /^BED_WS_URL=(.*)$/m.exec(readFileSync(file, 'utf8'))?.[1] ?? null;
}
const idp = args.includes('--with-idp') ? await startFakeIdp() : null;
const stub = await startWazoStub({
  samlIdp: opt('saml-idp', undefined) ?? idp?.origin,
  port: Number(opt('port', '0')),
  host: opt('host', '127.0.0.1'),
  users: opt('users', undefined),
  tokenLifetimeS: opt('token-lifetime-s', undefined) ? Number(opt('token-lifetime-s')) : undefined,
  engine: opt('engine', 'current'),
  wsTarget: opt('ws-target', undefined) ?? bedWsUrl(),
  maxUserConcurrentSessions: opt('max-sessions', undefined) ? Number(opt('max-sessions')) : undefined,
  wsReadTimeoutS: opt('ws-read-timeout-s', undefined) ? Number(opt('ws-read-timeout-s')) : undefined,
});
console.log(`wazo stub: ${stub.origin} (brokerKind=wazo&brokerHost=${stub.host}); users: ${stub.users.map((u) => u.login).join(', ')}`);
if (idp) console.log(`fake IdP: ${idp.origin} (mock Finesse SSO login: IdP origin ${idp.origin}; gadget: domainName=ttec.example)`);
const stop = () => Promise.all([stub.close(), idp?.close()]).then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
