#!/usr/bin/env bash
# The gadget's release build, as uploaded to Finesse: `trunk build --release` with
# Rust's standard library rebuilt for size. Arguments go to trunk.
#
# Why: with the precompiled std, about 20 KB of the gzip wasm is panic machinery:
# every bounds check, unwrap and RefCell borrow carries a message, a source location
# and the formatter behind them. Rebuilt from source (rustup's rust-src component)
# with `-Cpanic=immediate-abort`, a panic is a plain wasm trap and that code is gone
# (224 -> 201 KB gzip). The rebuilt std also takes its `optimize_for_size` feature:
# core's and alloc's smaller variants of sorting, string search and integer
# formatting (-2.5 KB gzip; our inputs are SIP messages and short lists). build-std,
# its features and immediate-abort are unstable cargo/rustc features:
# RUSTC_BOOTSTRAP=1 enables them for this one build of this one pinned toolchain,
# nothing else (tests and `trunk serve` use the ordinary std).
#
# Trade-off: a panic in the shipped gadget is "RuntimeError: unreachable" without
# its message (gadget.xml then tells the agent the phone stopped). Debug builds
# (`trunk serve`) keep the full message. Without rust-src this builds with the
# ordinary std and says so; unit_testing/setup.sh installs rust-src.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=../env.sh
source unit_testing/env.sh
sysroot=$(rustc --print sysroot)
if [[ -f $sysroot/lib/rustlib/src/rust/library/std/Cargo.toml && -z ${TTEC_ORDINARY_STD:-} ]]; then
  export RUSTC_BOOTSTRAP=1
  export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  export CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort"
  export TTEC_STD_BUILD=size
else
  echo "release: building with the ordinary std (no rust-src: rustup component add rust-src); the wasm is about 23 KB gzip larger" >&2
  export TTEC_STD_BUILD=ordinary
fi
# The shipped gadget leaves out the development-only outcalling (Cargo.toml, `outcall`).
exec trunk build --release --no-default-features "$@"
