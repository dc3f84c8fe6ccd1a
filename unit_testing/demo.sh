#!/usr/bin/env bash
# The QA demo: installs what is missing, builds the gadget, and serves it
# inside the mock Finesse desktop. Prints the URL; Ctrl-C stops everything
# this script started.
#
#   bash unit_testing/demo.sh            # http://127.0.0.1:8083/desktop/
#   DEMO_PORT=9000 bash unit_testing/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash unit_testing/setup.sh
# shellcheck source=env.sh
source unit_testing/env.sh
port=${DEMO_PORT:-8083}

trunk build --release

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "demo stopped"
}
trap cleanup INT TERM EXIT

node unit_testing/mock_finesse/server.mjs --port "$port" --gadget-dir dist &
pids+=($!)

cat <<MSG

  TTECPhone demo
  Mock Finesse desktop with the gadget:  http://127.0.0.1:$port/desktop/
  Change the agent state in the QA panel and watch the gadget follow it.
  Press Ctrl-C to stop.

MSG
wait
