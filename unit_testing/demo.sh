#!/usr/bin/env bash
# The QA demo: installs what is missing, starts the local broker (the SIP test
# bed: Kamailio + rtpengine, on this machine), builds the gadget, and serves it
# inside the mock Finesse desktop, preconfigured for that broker, with a QA panel
# that places test calls. Prints the URL; Ctrl-C stops everything this script
# started (broker, mock Finesse, test calls) and leaves nothing running.
#
#   bash unit_testing/demo.sh                 # http://127.0.0.1:8083/desktop/
#   bash unit_testing/demo.sh --broker-only   # just the broker, for `trunk serve`
#   DEMO_PORT=9000 bash unit_testing/demo.sh
#
# The broker runs on the host (BED_MODE=loopback) so the QA's own browser can
# reach it: SIP over WebSocket on ws://127.0.0.1:$BED_WS_PORT/, and media on the
# host's own address (BED_MEDIA_IP, the source address of the default route),
# because a desktop browser offers ICE candidates on its real interfaces, never on
# loopback. Ports (override via the environment): BED_SIP_PORT 5080,
# BED_WS_PORT 8088, BED_NG_PORT 2243, BED_RTP_MIN..MAX 32000..32199.
# DEMO_NO_BUILD=1 skips setup and the build when dist/ is already built (tests).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
broker_only=
case ${1:-} in
  --broker-only) broker_only=1 ;;
  "") ;;
  *) echo "usage: demo.sh [--broker-only]" >&2; exit 2 ;;
esac

if [[ -z ${DEMO_NO_BUILD:-} || ! -f dist/gadget.xml ]]; then
  bash unit_testing/setup.sh
fi
# shellcheck source=env.sh
source unit_testing/env.sh
port=${DEMO_PORT:-8083}

export BED_MODE=loopback
export BED_RUN_DIR=${BED_RUN_DIR:-$root/unit_testing/bed/run-demo}
export BED_SIP_PORT=${BED_SIP_PORT:-5080}
export BED_WS_PORT=${BED_WS_PORT:-8088}
export BED_NG_PORT=${BED_NG_PORT:-2243}
export BED_RTP_MIN=${BED_RTP_MIN:-32000}
export BED_RTP_MAX=${BED_RTP_MAX:-32199}
if [[ -z ${BED_MEDIA_IP:-} ]]; then
  # The address this host uses toward the outside: what a desktop browser's ICE
  # host candidate has. No route at all: loopback (then only a browser started
  # with --allow-loopback-in-peer-connection gets audio).
  BED_MEDIA_IP=$(ip -4 route get 192.0.2.1 2>/dev/null | sed -nE 's/.* src ([0-9.]+).*/\1/p' | head -1)
  if [[ -z $BED_MEDIA_IP ]]; then
    BED_MEDIA_IP=127.0.0.1
    echo "demo: no non-loopback IPv4 address; media on 127.0.0.1 (a normal browser will get no audio)" >&2
  fi
fi
export BED_MEDIA_IP
bed=unit_testing/bed/bed.sh

pids=()
bed_started=
cleanup() {
  trap - INT TERM EXIT
  # The mock Finesse stops its test calls (sipp) before it exits.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ -n $bed_started ]] && bash "$bed" stop >/dev/null 2>&1 || true
  echo "demo stopped"
}
trap cleanup INT TERM EXIT

bed_started=1
bash "$bed" start
# shellcheck disable=SC1091
source "$BED_RUN_DIR/ports.env"
prefs="brokerKind=sip&wsUrl=$BED_WS_URL&sipDomain=$BED_DOMAIN"
query="agent=agent3000&ext=2000&webrtc=3000&state=RESERVED&prefs=$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$prefs")"

if [[ -n $broker_only ]]; then
  cat <<MSG

  TTECPhone local broker (for trunk serve)
  SIP over WebSocket: $BED_WS_URL   users 3000-3003, 3900 (unit_testing/bed/users.conf)
  Run \`trunk serve\` in another shell (its mock Finesse finds this broker), then open
    http://127.0.0.1:8080/desktop/?$query
  Press Ctrl-C to stop the broker.

MSG
  # `sleep` in the background so the trap runs at once on Ctrl-C.
  sleep infinity & pids+=($!)
  wait
  exit 0
fi

[[ -n ${DEMO_NO_BUILD:-} && -f dist/gadget.xml ]] || bash unit_testing/dev/release.sh

node unit_testing/mock_finesse/server.mjs --port "$port" --gadget-dir dist --bed-env "$BED_RUN_DIR/ports.env" &
pids+=($!)
for _ in $(seq 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/mock-finesse/health" 2>/dev/null && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "demo: the mock Finesse did not start" >&2; exit 1; }
  sleep 0.1
done

cat <<MSG

  TTECPhone demo
  Mock Finesse desktop with the gadget:  http://127.0.0.1:$port/desktop/?$query
  The gadget registers 3000 on the local broker ($BED_WS_URL, media on $BED_MEDIA_IP).
  In the QA panel: change the agent state, or "Place a test call" (caller id,
  hang-up time, hold/resume, cancel before answer) and hear it in the gadget.
  Press Ctrl-C to stop.

MSG
wait
