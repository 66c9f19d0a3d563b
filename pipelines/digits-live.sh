#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Live spoken digits: the default microphone (autoaudiosrc) through the
# shipped model; each digit is printed on stdout as soon as seqctcdecode
# knows it is final (a blank or another digit followed it), and the same
# text goes to $OUT_DIR/digits-live.txt. Stop with Ctrl-C (-e: the open
# digit is still printed). Where there is no microphone (the test suite sets
# SEQENC_NO_DEVICES=1), espeak-ng's "nine eight seven" is played in real time
# instead (identity sync=true paces it by the clock as a microphone would).
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
out=${OUT_DIR:-.}
model=${MODEL:-$root/models/digits/digits.safetensors}
if [ "${SEQENC_NO_DEVICES:-0}" = 1 ]; then
  env -u LD_PRELOAD espeak-ng -v en-us -s 150 -w "$out/live.wav" "nine eight seven"
  src=(filesrc location="$out/live.wav" ! wavparse ! identity sync=true)
else
  src=(autoaudiosrc)
fi
exec gst-launch-1.0 -q -e "${src[@]}" ! audioconvert ! audioresample ! \
  audio/x-raw,rate=16000,channels=1 ! \
  seqfbank model="$model" ! \
  seqlstm model="$model" ! seqhead model="$model" activation=log-softmax ! \
  seqctcdecode model="$model" ! tee name=t ! queue ! fdsink fd=1 sync=false \
  t. ! queue ! filesink location="$out/digits-live.txt"
