#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# seqhead's example (its SECTION block): speech to 80-bin fbank, a seeded
# 64-unit LSTM and a seeded 11-way linear head with log-softmax, to a .npy
# of per-frame log-probabilities. (The trained digits model replaces the
# seeded LSTM and head with model=models/digits/digits.safetensors.)
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
out=${OUT_DIR:-.}
exec gst-launch-1.0 -e \
  filesrc location="$root/tests/data/fbank_speech.wav" ! wavparse ! \
  audioconvert ! audioresample ! seqfbank ! seqlstm hidden-size=64 ! \
  seqhead out-size=11 activation=log-softmax ! \
  seqnpysink location="$out/logp.npy"
