// The silent STUN server on a second test host, for the benchmark and timeline.mjs.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const STUN = { bedIp: '10.203.0.1', stunIp: '10.203.0.2', port: 3478 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A veth pair joins the bed's namespace (10.203.0.1/30, the browser's host) to a
 * namespace of its own (10.203.0.2/30) where a UDP socket on 3478 swallows every
 * STUN request and never answers. Nothing leaves the machine.
 */
export async function startSilentStun(bedNetns) {
  const ns = `${bedNetns}-stun`;
  const sh = (...a) => execFileSync('ip', a, { stdio: ['ignore', 'ignore', 'pipe'] });
  stopSilentStun(ns);
  sh('netns', 'add', ns);
  sh('link', 'add', 'ttecb0', 'type', 'veth', 'peer', 'name', 'ttecs0', 'netns', ns);
  sh('addr', 'add', `${STUN.bedIp}/30`, 'dev', 'ttecb0');
  sh('link', 'set', 'ttecb0', 'up');
  sh('-n', ns, 'link', 'set', 'lo', 'up');
  sh('-n', ns, 'addr', 'add', `${STUN.stunIp}/30`, 'dev', 'ttecs0');
  sh('-n', ns, 'link', 'set', 'ttecs0', 'up');
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, path.join(HERE, 'silent-stun.mjs'), STUN.stunIp, String(STUN.port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let received = 0;
  let ready;
  const up = new Promise((r) => { ready = r; });
  child.stdout.on('data', (d) => {
    for (const line of String(d).split('\n')) {
      if (line.startsWith('listening')) ready();
      const m = /^received (\d+)/.exec(line);
      if (m) received = Number(m[1]);
    }
  });
  await Promise.race([up, sleep(5000).then(() => { throw new Error('silent STUN server did not start'); })]);
  return {
    url: `stun:${STUN.stunIp}:${STUN.port}`,
    received: () => received,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      stopSilentStun(ns);
    },
  };
}
function stopSilentStun(ns) {
  try { execFileSync('ip', ['link', 'del', 'ttecb0'], { stdio: 'ignore' }); } catch { /* absent */ }
  try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* absent */ }
}

