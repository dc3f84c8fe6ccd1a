#!/usr/bin/env bash
# The benchmark in one command: TTECPhone vs. JsSIP vs. SIP.js on the SIP test bed.
#   bash unit_testing/bench/run.sh                 # full run (about 9 min here)
#   BENCH_LOADS=2 BENCH_CALLS=2 BENCH_STUN_CALLS=1 BENCH_FW_CALLS=1 BENCH_SOAK=3 BENCH_MIC_LOADS=1 bash unit_testing/bench/run.sh   # smoke
#   BENCH_BROKER=asterisk bash unit_testing/bench/run.sh   # through the bed's Asterisk (Wazo's templates)
# BENCH_BROKER=kamailio|asterisk [kamailio] picks the bed's broker (bench.mjs, bed/lib/brokers.mjs);
# asterisk needs a bed with Asterisk installed (unit_testing/bed/install.sh).
# Builds dist/ when missing (unit_testing/dev/release.sh), installs the benchmark's npm
# packages, bundles the reference pages, starts the bed when it is not running
# (and stops it again), and runs bench.mjs inside the bed's network namespace.
# Set BED_NETNS to use a namespace of your own. Figures: see README "Performance".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
# shellcheck source=../env.sh
source unit_testing/env.sh
if [[ ! -f dist/gadget.xml || ${BENCH_REBUILD:-} == 1 ]]; then
  bash unit_testing/dev/release.sh
fi
if [[ ! -d $here/node_modules/jssip || $here/package-lock.json -nt $here/node_modules/.package-lock.json ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
node "$here/build-refs.mjs"
bed=unit_testing/bed/bed.sh
started=
if ! bash "$bed" status >/dev/null 2>&1; then
  bash "$bed" start
  started=1
fi
stop_bed() { if [[ -n $started ]]; then bash "$bed" stop >/dev/null 2>&1 || true; fi; }
trap stop_bed EXIT
export BENCH_BROKER=${BENCH_BROKER:-kamailio}
echo "bench: broker $BENCH_BROKER"
bash "$bed" exec node "$here/bench.mjs"
