#!/usr/bin/env bash
# Broker capacity run: starts the SIP test bed with LOADGEN_AGENTS generated users
# (numbers 4000.., password test-password-<number>) and a wide RTP port range, then
# runs the load generator inside the bed's namespace. Arguments go to the generator
# (see `ttecphone-loadgen --help`); defaults: 2000 agents, 60 s expiry, 150 s hold,
# call steps 10,20,40 calls/s to a tenth of the agents. Figures: doc/capacity.md.
#   bash unit_testing/loadgen/run.sh
#   LOADGEN_AGENTS=500 bash unit_testing/loadgen/run.sh --hold-s 60 --call-rates 5
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
# shellcheck source=../env.sh
source unit_testing/env.sh
agents=${LOADGEN_AGENTS:-2000}
first=4000
cargo build -q --release -p ttecphone-loadgen
# A socket per agent, here and in Kamailio (which inherits the limit).
want=$((agents * 2 + 1024)) hard=$(ulimit -Hn)
[[ $hard == unlimited || $hard -ge $want ]] || want=$hard
ulimit -n "$want"
bed=unit_testing/bed/bed.sh
started=
if bash "$bed" status >/dev/null 2>&1; then
  have=$(sed -n 's/^BED_EXTRA_USERS=//p' unit_testing/bed/run/ports.env)
  if [[ $have != "$first:"* || ${have#*:} -lt $agents ]]; then
    echo "loadgen: the bed runs without $agents generated users (BED_EXTRA_USERS=$have): stop it first (bash $bed stop)" >&2
    exit 1
  fi
else
  BED_EXTRA_USERS=$first:$agents BED_RTP_MIN=${BED_RTP_MIN:-30000} BED_RTP_MAX=${BED_RTP_MAX:-39999} bash "$bed" start
  started=1
fi
stop_bed() { if [[ -n $started ]]; then bash "$bed" stop >/dev/null 2>&1 || true; fi; }
trap stop_bed EXIT
source unit_testing/bed/run/ports.env
args=(--agents "$agents" --first "$first" --url "$BED_WS_URL" --domain "$BED_DOMAIN"
      --sip "$BED_IP:$BED_SIP_PORT" --kamailio-pid "$(cat "$BED_RUN_DIR/kamailio.pid")"
      --rtpengine-pid "$(cat "$BED_RUN_DIR/rtpengine.pid")"
      --work-dir "$BED_RUN_DIR" --expires 60 --hold-s 150 --call-rates 10,20,40 --step-s 20)
rc=0
bash "$bed" exec "$root/target/release/ttecphone-loadgen" "${args[@]}" "$@" || rc=$?
echo "loadgen: Kamailio shared memory: $(bash "$bed" kamcmd core.shmmem 2>/dev/null | tr -s ' \n\t' ' ')"
echo "loadgen: Kamailio counters: $(bash "$bed" kamcmd htable.dump stats 2>/dev/null | tr -s ' \n\t' ' ' | head -c 600)"
exit $rc
