#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Spoken digits to text with the shipped model (models/digits/, trained on
# espeak-ng speech by models/digits/recipe.sh): the WAV named by $WAV (any
# rate, mono or not: converted to 16 kHz mono), or with no WAV an example
# synthesized here by espeak-ng ("four one seven"); the recognized digits go
# to $OUT_DIR/digits.txt as one line, e.g. "4 1 7".
# seqfbank takes the front end the model was trained with from the model
# file (model=: its "seqfbank.*" metadata): 80 mel bins, 25 ms windows every
# 10 ms, nine frames side by side in one LSTM step every 30 ms (stack=9
# stack-hop=3: each step sees its own three frames and the six after them,
# 60 ms of right context), and the seeded dither (1.0, seed 1) that keeps
# digital silence off log(0) exactly as in training. Normalization is folded
# into the LSTM's first layer; seqhead gives log-probabilities, seqctcdecode
# emits each digit as soon as it is final. MODEL overrides the model file
# (any model export.py wrote: its front end comes with it).
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
out=${OUT_DIR:-.}
model=${MODEL:-$root/models/digits/digits.safetensors}
wav=${WAV:-}
if [ -z "$wav" ]; then
  wav="$out/example.wav"
  # (not under a preloaded sanitizer runtime: espeak-ng hangs there)
  env -u LD_PRELOAD espeak-ng -v en-us -s 150 -w "$wav" "four one seven"
fi
exec gst-launch-1.0 -q -e \
  filesrc location="$wav" ! wavparse ! audioconvert ! audioresample ! \
  audio/x-raw,rate=16000,channels=1 ! \
  seqfbank model="$model" ! \
  seqlstm model="$model" ! seqhead model="$model" activation=log-softmax ! \
  seqctcdecode model="$model" ! filesink location="$out/digits.txt"
