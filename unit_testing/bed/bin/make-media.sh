#!/usr/bin/env bash
# Generates sipp/media/pcmu-prompt.pcap (or [SECONDS [FILE]]): ~30 s of G.711 µ-law RTP that sipp's
# play_pcap_audio replays as "CUCM" audio. Speech (espeak-ng + sox) when available,
# otherwise a generated 440 Hz beep. Output is gitignored and regenerated on demand.
set -euo pipefail
BED_DIR=$(cd "$(dirname "$0")/.." && pwd)
OUT_DIR="$BED_DIR/sipp/media"
SECONDS_WANTED=${1:-30}
OUT=${2:-$OUT_DIR/pcmu-prompt.pcap}   # another file for a longer prompt (e2e/longrun.test.mjs)
mkdir -p "$OUT_DIR"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if command -v espeak-ng >/dev/null && command -v sox >/dev/null; then
  espeak-ng -v en-us -s 150 -w "$tmp/speech.wav" \
    "This is the T T E C phone test bed. You are hearing the caller. One, two, three, four, five." 
  # Resample to 8 kHz mono, pad with 1 s of silence, repeat, trim to the wanted length,
  # and store as raw µ-law (exactly the PCMU payload bytes).
  sox "$tmp/speech.wav" -r 8000 -c 1 "$tmp/speech8k.wav" pad 0 1
  sox "$tmp/speech8k.wav" "$tmp/long.wav" repeat $((SECONDS_WANTED / 6 + 1))
  sox "$tmp/long.wav" -t raw -e mu-law -b 8 -r 8000 -c 1 "$tmp/audio.ul" trim 0 "$SECONDS_WANTED"
  node -e '
    import("'"$BED_DIR"'/lib/pcap.mjs").then(({ writePcap }) => {
      const fs = require("node:fs");
      const n = writePcap(process.argv[1], fs.readFileSync(process.argv[2]));
      console.log(`wrote ${process.argv[1]}: ${n} RTP packets (speech)`);
    });' "$OUT" "$tmp/audio.ul"
else
  node -e '
    import("'"$BED_DIR"'/lib/pcap.mjs").then(({ writePcap, toneUlaw }) => {
      const n = writePcap(process.argv[1], toneUlaw(Number(process.argv[2])));
      console.log(`wrote ${process.argv[1]}: ${n} RTP packets (tone; espeak-ng/sox not installed)`);
    });' "$OUT" "$SECONDS_WANTED"
fi
