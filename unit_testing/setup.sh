#!/usr/bin/env bash
# Installs everything TTECPhone needs on a fresh Debian 12 machine, and
# nothing twice: every step checks first. Used by demo.sh and run.sh.
# Tools come only from package registries (Debian, crates.io, npm).
#
#   bash unit_testing/setup.sh          # everything
#   SETUP_SKIP_APT=1 bash ...           # skip Debian packages (already there)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
log() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
start=$(date +%s)

# --- Debian packages ---------------------------------------------------------
# The browsers for tests and the demo (Chromium, which Edge is built on, and Firefox ESR,
# the agents' other Finesse browser); the SIP test bed's packages are installed by
# unit_testing/bed/install.sh below (one owner each).
apt_packages=(chromium chromium-driver firefox-esr gzip)
if [[ -z "${SETUP_SKIP_APT:-}" ]]; then
  missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "apt: installing ${missing[*]}"
    # Don't let package scripts start system daemons on our test ports.
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" \
      > /tmp/ttec-apt.log 2>&1 || { tail -30 /tmp/ttec-apt.log; exit 1; }
  else
    log "apt: all ${#apt_packages[@]} packages present"
  fi
  # Kamailio, rtpengine, sipp (+ the bed's npm packages and its generated media).
  bash unit_testing/bed/install.sh | sed 's/^/  /'
fi

# --- Rust toolchain pieces -----------------------------------------------------
export PATH="$HOME/.cargo/bin:$PATH"
# The bed's delay-and-jitter tool (unit_testing/bed/netdelay; a no-op once built).
cargo build -q --release --locked --manifest-path unit_testing/bed/netdelay/Cargo.toml \
  || { echo "setup: could not build unit_testing/bed/netdelay" >&2; exit 1; }
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup: adding wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
# The standard library's sources: the release build rebuilds std for size (unit_testing/dev/release.sh).
if ! rustup component list --installed | grep -q '^rust-src'; then
  log "rustup: adding rust-src"
  rustup component add rust-src
fi

# wasm-bindgen CLI at exactly the version in Cargo.lock (trunk and the test runner need the match).
wbg_version=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
[[ -n "$wbg_version" ]] || { echo "setup: no wasm-bindgen in Cargo.lock" >&2; exit 1; }
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wbg_version" ]]; then
  log "cargo: installing wasm-bindgen-cli $wbg_version (2-3 min)"
  # Not --locked: its lockfile wants a crate version the registry no longer has.
  cargo install -q wasm-bindgen-cli --version "$wbg_version" --force
fi

trunk_version=0.21.14   # newer trunk needs a newer rustc than this machine's
if [[ "$(trunk --version 2>/dev/null)" != "trunk $trunk_version" ]]; then
  log "cargo: installing trunk $trunk_version (about 7 min)"
  cargo install -q --locked trunk --version "$trunk_version" --force
fi

# Licence / ban / source policy checker (deny.toml), from crates.io.
deny_version=0.20.2
if [[ "$(cargo deny --version 2>/dev/null)" != "cargo-deny $deny_version" ]]; then
  log "cargo: installing cargo-deny $deny_version (about 3 min)"
  cargo install -q --locked cargo-deny --version "$deny_version" --force
fi

# WebDriver for Firefox: the wasm component tests run in Firefox ESR too (the e2e
# suites drive Firefox over WebDriver BiDi with puppeteer-core and need no driver).
gecko_version=0.37.1
if [[ "$(geckodriver --version 2>/dev/null | head -1)" != "geckodriver $gecko_version"* ]]; then
  log "cargo: installing geckodriver $gecko_version (about 3 min)"
  cargo install -q --locked geckodriver --version "$gecko_version" --force
fi

# --- npm packages ----------------------------------------------------------------
npm_install() {  # dir: install from its lock file unless node_modules matches it
  local dir=$1
  [[ -f "$dir/package.json" ]] || return 0
  if [[ ! -d "$dir/node_modules" || "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
    log "npm: installing in ${dir#"$root"/}"
    if [[ -f "$dir/package-lock.json" ]]; then
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    else
      (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
    fi
  fi
}
for dir in unit_testing/tools unit_testing/mock_finesse unit_testing/e2e unit_testing/bench; do
  npm_install "$root/$dir"
done

# --- wasm-opt where Trunk finds it -------------------------------------------------
# Trunk looks for wasm-opt on PATH only (Trunk.toml's `offline`: it never downloads),
# and the README's `trunk build --release` / `trunk serve` run in a plain new shell,
# without unit_testing/env.sh. So the pinned wasm-opt (npm's binaryen above) is linked
# into cargo's bin directory, beside the trunk and wasm-bindgen cargo installed there:
# wherever a shell finds trunk, it finds this wasm-opt too (a login shell has
# ~/.cargo/bin on PATH through ~/.cargo/env). Re-linked only when missing or another version.
cargo_bin=${CARGO_HOME:-$HOME/.cargo}/bin
opt_want=$(sed -nE 's/^wasm_opt *= *"version_([0-9]+)".*/\1/p' Trunk.toml)
opt_src=$root/unit_testing/tools/node_modules/binaryen/bin/wasm-opt
opt_version() { "$1" --version 2>/dev/null | awk '{print $3; exit}'; }
[[ -n $opt_want ]] || { echo "setup: no wasm_opt = \"version_N\" in Trunk.toml [tools]" >&2; exit 1; }
[[ "$(opt_version "$opt_src")" == "$opt_want" ]] \
  || { echo "setup: $opt_src is not wasm-opt version $opt_want (Trunk.toml): fix unit_testing/tools/package.json" >&2; exit 1; }
if [[ "$(opt_version "$cargo_bin/wasm-opt")" != "$opt_want" ]]; then
  log "linking wasm-opt $opt_want into ${cargo_bin/#"$HOME"/\~} (where trunk finds it)"
  mkdir -p "$cargo_bin"
  ln -sfn "$opt_src" "$cargo_bin/wasm-opt"
fi

# Fetch crates once so trunk's offline build finds them, the standard library's own
# dependencies included: the release build rebuilds std (unit_testing/dev/release.sh),
# and on a machine whose cargo cache never held them it fails offline without this.
cargo fetch -q
RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort cargo fetch -q --target wasm32-unknown-unknown

log "ready in $(( $(date +%s) - start )) s"
