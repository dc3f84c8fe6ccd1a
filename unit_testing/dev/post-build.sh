#!/bin/sh
# Trunk post_build hook: checks the staged dist/ has exactly the shape that is
# uploaded to /files/TTECPhone/ on Finesse, and prints the payload sizes.
set -eu
dir=${TRUNK_STAGING_DIR:?run by trunk}
fail() { echo "post-build: $*" >&2; exit 1; }
for f in gadget.xml gadget.html audio-test.wav sso.html assets/ttecphone.js assets/ttecphone_bg.wasm assets/gadget.css; do
  [ -f "$dir/$f" ] || fail "missing dist/$f"
done
# gadget.xml may name only Finesse's own scripts and our own files.
grep -o '\(src\|href\)="[^"]*"' "$dir/gadget.xml" | sed 's/^[a-z]*="//; s/"$//' | while read -r url; do
  case "$url" in
    /desktop/assets/js/finesse.js|/desktop/assets/js/jquery.min.js) ;;
    /3rdpartygadget/files/TTECPhone/*) [ -f "$dir/${url#/3rdpartygadget/files/TTECPhone/}" ] || fail "gadget.xml names $url, which the build did not produce" ;;
    *) fail "gadget.xml loads $url: only Finesse's scripts and /3rdpartygadget/files/TTECPhone/ files are allowed" ;;
  esac
done
if grep -Eq '(src|href)="(https?:)?//' "$dir/gadget.html"; then fail "gadget.html loads a remote URL"; fi
if [ "${TRUNK_PROFILE:-}" = release ]; then
  node "$(dirname "$0")/short-imports.mjs" "$dir" || fail "could not shorten the wasm's import names"
  node "$(dirname "$0")/minify.mjs" "$dir" || fail "could not minify the JS glue"
fi
node "$(dirname "$0")/csp.mjs" "$dir/gadget.html" "${TRUNK_SOURCE_DIR:-.}" || fail "could not add the Content-Security-Policy"
size() { wc -c < "$1" | tr -d ' '; }
gz() { gzip -9 -c "$1" | wc -c | tr -d ' '; }
wasm="$dir/assets/ttecphone_bg.wasm"; js="$dir/assets/ttecphone.js"; css="$dir/assets/gadget.css"; xml="$dir/gadget.xml"
total=$(( $(gz "$wasm") + $(gz "$js") + $(gz "$css") + $(gz "$xml") ))
echo "post-build (${TRUNK_PROFILE:-?}, std: ${TTEC_STD_BUILD:-ordinary}): wasm $(size "$wasm") B raw, $(gz "$wasm") B gzip; js $(size "$js") B raw, $(gz "$js") B gzip; gadget total $total B gzip (without audio-test.wav)"
