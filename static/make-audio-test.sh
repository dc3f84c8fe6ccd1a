#!/bin/sh
# Regenerates static/audio-test.wav: a spoken sentence between two short tones,
# 8 kHz mono 16-bit (small, and what a telephone line carries). Needs Debian's
# espeak-ng and sox. The result is committed; the build only copies it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
espeak-ng -v en-us -s 150 -w "$tmp/speech.wav" \
  "This is the T T E C phone audio test. If you can hear this, your speaker works."
sox -n -r 8000 -c 1 -b 16 "$tmp/tone.wav" synth 0.25 sine 880 vol 0.4 fade 0.02 0.25 0.05
sox -n -r 8000 -c 1 -b 16 "$tmp/gap.wav" trim 0 0.2
sox "$tmp/speech.wav" -r 8000 -c 1 -b 16 "$tmp/speech8k.wav" norm -3
sox "$tmp/tone.wav" "$tmp/gap.wav" "$tmp/speech8k.wav" "$tmp/gap.wav" "$tmp/tone.wav" "$here/audio-test.wav"
echo "wrote $here/audio-test.wav"
