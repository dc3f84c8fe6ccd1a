#!/usr/bin/env node
// rtpengine ng control from the shell (inside the bed: `bed.sh exec node bin/ng.mjs ...`):
//   ng.mjs ping | list | query CALL-ID | count CALL-ID SECONDS
// `count` prints per-leg RTP packets received by rtpengine over SECONDS, as JSON.
import { loadBedEnv } from '../lib/bed.mjs';
import { ping, list, query, countRtp } from '../lib/rtpengine.mjs';

const env = loadBedEnv();
const ng = { host: env?.BED_IP ?? '127.0.0.1', port: Number(process.env.BED_NG_PORT ?? env?.BED_NG_PORT ?? 2223) };
const [cmd, a, b] = process.argv.slice(2);
try {
  let r;
  if (cmd === 'ping') r = await ping(ng, { timeoutMs: 500 });
  else if (cmd === 'list') r = await list(ng);
  else if (cmd === 'query' && a) r = await query(ng, a);
  else if (cmd === 'count' && a) r = await countRtp(ng, a, Number(b ?? 3));
  else { console.error('usage: ng.mjs ping | list | query CALL-ID | count CALL-ID SECONDS'); process.exit(2); }
  console.log(JSON.stringify(r, null, 2));
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
