#!/usr/bin/env bash
# The suite's load generator smoke run (unit_testing/run.sh), on the running bed with
# its own users 3001-3003 (the same password rule as the generated ones): ramp,
# digest registration, CRLF keep-alives every 5 s for a 12 s hold, and a 3 s call step
# of 2 calls/s answered by the agents' cores. Asserts no failure, nothing about speed.
# Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source unit_testing/env.sh
cargo build -q --release -p ttecphone-loadgen || { echo "0 passed, 1 failed"; exit 1; }
source unit_testing/bed/run/ports.env
rc=0
bash unit_testing/bed/bed.sh exec target/release/ttecphone-loadgen --first 3001 --agents 3 \
  --url "$BED_WS_URL" --domain "$BED_DOMAIN" --sip "$BED_IP:$BED_SIP_PORT" --work-dir "$BED_RUN_DIR" \
  --expires 60 --keepalive-s 5 --hold-s 12 --call-rates 2 --step-s 3 --call-fraction 1 --talk-ms 200 || rc=$?
# Leave no contact behind for whatever runs next against the bed.
for n in 3001 3002 3003; do bash unit_testing/bed/bed.sh kamcmd ul.rm location "s:$n" >/dev/null 2>&1 || true; done
if ((rc == 0)); then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $rc
