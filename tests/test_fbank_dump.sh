#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The digits recipe's training front end is seqfbank's, bitwise: one WAV
# (tests/data/fbank_speech.wav, espeak-ng speech, resampled to 16 kHz by
# audioresample) through tests/fbank_dump with the shipped model's seqfbank.*
# settings, and through gst-launch ... ! seqfbank <same settings> !
# seqnpysink, and through seqfbank model=<the model>: the f32 frames must be
# the same bytes. Also checks that pipelines/digits.sh runs seqfbank
# model="$model" (the settings from the model file, none of its own).
# usage: test_fbank_dump.sh FBANK_DUMP (the built tests/fbank_dump)
# env: SEQENC_SOURCE_ROOT,
#      DIGITS_MODEL (default models/digits/digits.safetensors)
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:?}
dump=${1:-${FBANK_DUMP:?usage: test_fbank_dump.sh FBANK_DUMP}}
model=${DIGITS_MODEL:-$root/models/digits/digits.safetensors}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/seqenc-fbank-dump-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

settings=$(python3 "$root/tests/digits_settings.py" "$model")
props=$(python3 "$root/tests/digits_settings.py" "$model" --no-rate)
rate=$(printf '%s\n' $settings | sed -n 's/^rate=//p')
echo "settings: $settings"

gst-launch-1.0 -q filesrc location="$root/tests/data/fbank_speech.wav" ! \
  wavparse ! audioconvert ! audioresample ! \
  audio/x-raw,format=S16LE,rate="$rate",channels=1 ! wavenc ! \
  filesink location="$tmp/speech.wav"

echo "$tmp/speech.wav" > "$tmp/list"
# shellcheck disable=SC2086
"$dump" $settings "$tmp/list" "$tmp/dump.f32" > "$tmp/index"
read -r frames dim _ < "$tmp/index"
# shellcheck disable=SC2086
gst-launch-1.0 -q filesrc location="$tmp/speech.wav" ! wavparse ! \
  audioconvert ! audioresample ! audio/x-raw,rate="$rate",channels=1 ! \
  seqfbank $props ! seqnpysink location="$tmp/gst.npy"

bytes=$(stat -c %s "$tmp/dump.f32")
echo "fbank_dump: $frames frames x $dim ($bytes bytes)"
[ "$frames" -gt 50 ] || { echo "FAIL: too few frames"; exit 1; }
[ "$bytes" -eq $((frames * dim * 4)) ] || { echo "FAIL: size"; exit 1; }
python3 - "$tmp/gst.npy" "$frames" "$dim" <<'PY'
import ast, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<H", b[8:10])[0]
h = ast.literal_eval(b[10:10 + n].decode())
want = (int(sys.argv[2]), int(sys.argv[3]))
print("seqfbank: shape", h["shape"], h["descr"])
sys.exit(0 if h["shape"] == want and h["descr"] == "<f4" else "FAIL: shape")
PY
tail -c "$bytes" "$tmp/gst.npy" > "$tmp/gst.f32"
if ! cmp "$tmp/dump.f32" "$tmp/gst.f32"; then
  echo "FAIL: fbank_dump and seqfbank differ"
  exit 1
fi
echo "PASS: $frames frames bitwise identical"

# seqfbank model=<the model> takes the same settings from its metadata
gst-launch-1.0 -q filesrc location="$tmp/speech.wav" ! wavparse ! \
  audioconvert ! audioresample ! seqfbank model="$model" ! \
  seqnpysink location="$tmp/gst-model.npy"
tail -c "$bytes" "$tmp/gst-model.npy" > "$tmp/gst-model.f32"
if ! cmp "$tmp/dump.f32" "$tmp/gst-model.f32" || \
   [ "$(stat -c %s "$tmp/gst-model.npy")" != "$(stat -c %s "$tmp/gst.npy")" ]; then
  echo "FAIL: seqfbank model=... differs from its settings written out"
  exit 1
fi
echo "PASS: seqfbank model=$(basename "$model") gives the same bytes"

# pipelines/digits.sh takes its front end from the model file, nothing else
line=$(grep -v '^ *#' "$root/pipelines/digits.sh" | tr -d '\\\n' | \
  grep -o 'seqfbank [^!]*!')
case "$line" in
  'seqfbank model="$model" !') ;;
  *) echo "FAIL: pipelines/digits.sh's seqfbank is not model=\"\$model\": $line"; exit 1 ;;
esac
echo "PASS: pipelines/digits.sh runs seqfbank model=\"\$model\""
