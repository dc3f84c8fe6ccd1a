#!/usr/bin/env bash
# TTECPhone's whole test suite: the standalone suite that must pass before any
# merge. Installs what is missing (unit_testing/setup.sh), then runs every
# suite, even after a failure, and ends with one line: "N passed, M failed"
# (tests counted across all suites). Exit status 0 only if everything passed.
#
#   bash unit_testing/run.sh            # everything
#   bash unit_testing/run.sh native docs  # only suites whose name contains a word
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash unit_testing/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
# shellcheck source=env.sh
source unit_testing/env.sh
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
export CARGO_TERM_COLOR=never

logs="$root/target/test-logs"
mkdir -p "$logs"
total_pass=0 total_fail=0 failed_suites=() failures=
started=$(date +%s)

# Adds up the counts a runner printed: cargo's "test result: ok. N passed; M failed",
# node:test's "# pass N" / "# fail M", and the plain "N passed, M failed".
count() {
  local file=$1 p=0 f=0
  while read -r a b; do p=$((p + a)); f=$((f + b)); done < <(
    sed -nE 's/^test result: [a-zA-Z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/p;
             s/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' "$file"
    grep -E '^# (pass|fail) [0-9]+' "$file" | awk '/# pass/{p+=$3} /# fail/{f+=$3} END{if (NR) print p+0, f+0}'
  )
  echo "$p $f"
}

suite() {
  local name=$1; shift
  if ((${#filters[@]})); then
    local hit=
    for word in "${filters[@]}"; do [[ $name == *"$word"* ]] && hit=1; done
    [[ -n $hit ]] || return 0
  fi
  local log="$logs/${name//[^a-zA-Z0-9]/_}.log" t0=$(date +%s)
  printf '\n=== %s\n' "$name"
  "$@" > "$log" 2>&1
  local status=$?
  read -r p f < <(count "$log")
  if ((status != 0 && f == 0)); then f=1; fi   # a suite that died counts as a failure
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
  if ((status == 0)); then
    grep -E '^(test result:|# (pass|fail)|[0-9]+ passed, )|post-build|fuzz|figures' "$log" | sed 's/^/  /'
    printf '  ok: %s tests passed (%ss)\n' "$p" "$(( $(date +%s) - t0 ))"
  else
    failed_suites+=("$name")
    tail -60 "$log" | sed 's/^/  | /'
    printf '  FAILED (exit %s, %s failed; full log: %s)\n' "$status" "$f" "${log#"$root"/}"
    local why; why=$(awk -f unit_testing/tools/failures.awk "$log" | head -40)
    printf '%s\n' "$why"
    failures+="$(printf '\n  %s:\n%s' "$name" "$why")"
  fi
}
filters=("$@")

suite "native: sip core"           cargo test -p ttecphone-sip
suite "native: store and config"   cargo test -p ttecphone-components --test store
suite "native: json reader"        cargo test -p ttecphone-components --test json
suite "native: diagnostics redaction" cargo test -p ttecphone-components --test diagnostics
suite "native: wazo line choice"   cargo test -p ttecphone-components --test wazo
suite "native: single sign-on (Finesse credentials, SAML, credential service)" cargo test -p ttecphone-components --test sso
suite "native: call quality"      cargo test -p ttecphone-components --test quality
suite "native: the board's call quality (collector's live endpoint)" cargo test -p ttecphone-components --test team_quality
suite "native: routing follows the phone" cargo test -p ttecphone-components --test routing
suite "browser: components"        cargo test -p ttecphone-components --target wasm32-unknown-unknown --test render
suite "browser: components in firefox" env -u CHROMEDRIVER GECKODRIVER="$HOME/.cargo/bin/geckodriver" cargo test -p ttecphone-components --target wasm32-unknown-unknown --test render
suite "build: trunk release"       bash unit_testing/dev/release.sh
suite "docs and layout"            python3 unit_testing/docs/check_docs.py
suite "dependencies: licences, bans" cargo deny --log-level error check licenses bans sources
suite "node: mock finesse"         node --test unit_testing/mock_finesse/test/
suite "node: wazo stub"            node --test unit_testing/wazo_stub/test/
suite "node: single sign-on stand-ins (fake IdP, Wazo SAML, SIP credential service)" node --test unit_testing/sso/test/
suite "e2e: gadget in mock finesse" node --test unit_testing/e2e/skeleton.test.mjs
suite "e2e: finesse.js as the real one behaves (start-up orders, onError, signatures)" node --test unit_testing/e2e/finesse-real.test.mjs
suite "e2e: hostile broker"        node --test unit_testing/e2e/hostile.test.mjs
suite "e2e: trunk serve (QA live reload)" node --test unit_testing/e2e/trunk-serve.test.mjs
# The README's commands as written, in a new login shell without env.sh (trunk build --release, trunk serve, ...).
suite "e2e: README commands in a new shell" node --test unit_testing/e2e/readme-commands.test.mjs
# The QA demo runs its own broker on the host (loopback mode, other ports), outside the namespace.
suite "e2e: demo"                  node --test unit_testing/e2e/demo.test.mjs
suite "e2e: agent bar (errors, devices, audio test, diagnostics)" node --test unit_testing/e2e/gadget.test.mjs
suite "e2e: routing follows the phone (Not Ready while it cannot answer)" node --test unit_testing/e2e/routing.test.mjs
# The agent-facing suites again in Firefox ESR (the same test bodies: E2E_BROWSER picks the browser, e2e/puppeteer.mjs).
suite "e2e: gadget in mock finesse, in firefox" env E2E_BROWSER=firefox node --test unit_testing/e2e/skeleton.test.mjs
suite "e2e: agent bar, in firefox"  env E2E_BROWSER=firefox node --test unit_testing/e2e/gadget.test.mjs
suite "e2e: routing follows the phone, in firefox" env E2E_BROWSER=firefox node --test unit_testing/e2e/routing.test.mjs
suite "screenshots: every state at 600px (regenerates doc/screenshots)" node unit_testing/e2e/screenshots.mjs
# The SIP test bed (Kamailio + rtpengine in a network namespace) for the suites below.
bed=unit_testing/bed/bed.sh
bed_started=
if ! bash "$bed" status >/dev/null 2>&1; then
  if bash "$bed" start > "$logs/bed-start.log" 2>&1; then bed_started=1; else cat "$logs/bed-start.log"; fi
fi
stop_bed() { if [[ -n $bed_started ]]; then bash "$bed" stop >/dev/null 2>&1 || true; fi; }
trap stop_bed EXIT
suite "e2e: sip test bed"          bash "$bed" exec node --test --test-concurrency=1 unit_testing/bed/test/
suite "e2e: calls"                 bash "$bed" exec node --test unit_testing/e2e/calls.test.mjs
suite "e2e: early answer (calls)"   bash "$bed" exec node --test unit_testing/e2e/early-answer.test.mjs
suite "e2e: start-up socket, stopped phone" bash "$bed" exec node --test unit_testing/e2e/startup.test.mjs
suite "e2e: wazo broker"           bash "$bed" exec node --test unit_testing/e2e/wazo.test.mjs
suite "e2e: single sign-on (wazo SAML through the stub and a fake IdP, sip credential service)" bash "$bed" exec node --test unit_testing/e2e/sso.test.mjs
suite "e2e: resilience"            bash "$bed" exec node --test unit_testing/e2e/resilience.test.mjs
suite "e2e: soak 200 calls"        bash "$bed" exec node --test unit_testing/e2e/soak.test.mjs
suite "e2e: calls from the bar (mute, tone, devices, QA answer)" bash "$bed" exec node --test unit_testing/e2e/bar-calls.test.mjs
suite "e2e: supervisor board"      bash "$bed" exec node --test unit_testing/e2e/supervisor.test.mjs
suite "e2e: call quality under loss" bash "$bed" exec node --test unit_testing/e2e/quality.test.mjs
suite "e2e: background tab (hidden 150 s, throttled)" bash "$bed" exec node --test unit_testing/e2e/background.test.mjs
suite "e2e: calls, in firefox"      env E2E_BROWSER=firefox bash "$bed" exec node --test unit_testing/e2e/calls.test.mjs
suite "e2e: start-up, in firefox"   env E2E_BROWSER=firefox bash "$bed" exec node --test unit_testing/e2e/startup.test.mjs
suite "e2e: calls from the bar, in firefox" env E2E_BROWSER=firefox bash "$bed" exec node --test unit_testing/e2e/bar-calls.test.mjs
suite "e2e: resilience, in firefox" env E2E_BROWSER=firefox bash "$bed" exec node --test unit_testing/e2e/resilience.test.mjs
suite "e2e: call quality under loss, in firefox" env E2E_BROWSER=firefox bash "$bed" exec node --test unit_testing/e2e/quality.test.mjs
suite "e2e: background tab, in firefox" env E2E_BROWSER=firefox BACKGROUND_HIDDEN_S=60 bash "$bed" exec node --test unit_testing/e2e/background.test.mjs
suite "e2e: supervisor board, in firefox" env E2E_BROWSER=firefox bash "$bed" exec node --test unit_testing/e2e/supervisor.test.mjs
suite "e2e: single sign-on, in firefox" env E2E_BROWSER=firefox bash "$bed" exec node --test unit_testing/e2e/sso.test.mjs
# The same call, resilience and wazo-kind tests against a real Asterisk 22.10.1 set up as Wazo
# sets it up (the bed runs it beside Kamailio; unit_testing/bed/lib/brokers.mjs), and the long run
# only a real broker judges: 10 minutes idle, a 6-minute call through two session refreshes.
suite "e2e: calls on asterisk"      env E2E_BROKER=asterisk bash "$bed" exec node --test unit_testing/e2e/calls.test.mjs
suite "e2e: resilience on asterisk" env E2E_BROKER=asterisk bash "$bed" exec node --test unit_testing/e2e/resilience.test.mjs
suite "e2e: wazo broker on asterisk (the stub's nginx proxy to Asterisk)" env E2E_BROKER=asterisk bash "$bed" exec node --test unit_testing/e2e/wazo.test.mjs
suite "e2e: single sign-on on asterisk" env E2E_BROKER=asterisk bash "$bed" exec node --test unit_testing/e2e/sso.test.mjs
suite "e2e: long run on asterisk (10 min idle, 6 min call)" env E2E_BROKER=asterisk bash "$bed" exec node --test unit_testing/e2e/longrun.test.mjs
suite "e2e: call quality under loss on asterisk" env E2E_BROKER=asterisk bash "$bed" exec node --test unit_testing/e2e/quality.test.mjs
suite "e2e: calls on asterisk, in firefox" env E2E_BROWSER=firefox E2E_BROKER=asterisk bash "$bed" exec node --test unit_testing/e2e/calls.test.mjs
suite "e2e: supervisor board on asterisk" env E2E_BROKER=asterisk bash "$bed" exec node --test unit_testing/e2e/supervisor.test.mjs
# Benchmark and load generator smoke runs: they must produce figures without failures;
# no speed is asserted (the real runs: unit_testing/bench/run.sh, unit_testing/loadgen/run.sh).
suite "bench: smoke"               bash -c 'node unit_testing/bench/build-refs.mjs && BENCH_SMOKE=1 BENCH_LOADS=2 BENCH_CALLS=2 BENCH_STUN_CALLS=1 BENCH_FW_CALLS=1 BENCH_SOAK=3 BENCH_MIC_LOADS=1 bash unit_testing/bed/bed.sh exec node unit_testing/bench/bench.mjs'
# The same on Asterisk, without the firewall row (no separate case there: README, Performance).
suite "bench: smoke on asterisk"   bash -c 'BENCH_BROKER=asterisk BENCH_SMOKE=1 BENCH_LOADS=2 BENCH_CALLS=2 BENCH_STUN_CALLS=1 BENCH_FW_CALLS=0 BENCH_SOAK=3 BENCH_MIC_LOADS=1 bash unit_testing/bed/bed.sh exec node unit_testing/bench/bench.mjs'
suite "loadgen: smoke"             bash unit_testing/loadgen/smoke.sh

[[ -n $failures ]] && printf '\nwhat failed:%s\n' "$failures"
printf '\nsuites failed: %s; %s s in all\n' "${failed_suites[*]:-none}" "$(( $(date +%s) - started ))"
echo "$total_pass passed, $total_fail failed"
((total_fail == 0 && ${#failed_suites[@]} == 0))
