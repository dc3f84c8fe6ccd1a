#!/bin/sh
# Trunk pre_build hook. Under `trunk serve` only, make sure the mock Finesse
# runs on 127.0.0.1:8083 (Trunk.toml proxies /desktop/ and /gadgets/ to it),
# fetching the gadget from Trunk's own server. It exits by itself when
# `trunk serve` stops. `trunk build` never starts it: the mock is not shipped.
set -eu
case "$(tr '\0' ' ' < "/proc/$PPID/cmdline" 2>/dev/null || true)" in
  *" serve"*) ;;
  *) exit 0 ;;
esac
if node -e "require('net').connect(8083,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))"; then
  exit 0
fi
mkdir -p target
# --bed-env: the local broker of `bash unit_testing/demo.sh --broker-only`
# (test calls, and the desktop's default prefs point the gadget at it).
nohup node unit_testing/mock_finesse/server.mjs --port 8083 \
  --gadget-origin http://127.0.0.1:8080 --exit-when-origin-gone \
  --bed-env unit_testing/bed/run-demo/ports.env \
  > target/mock-finesse.log 2>&1 &
echo "mock Finesse: http://127.0.0.1:8080/desktop/ (log: target/mock-finesse.log)"
