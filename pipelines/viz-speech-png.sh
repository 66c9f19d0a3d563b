#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The speech example (pipelines/wav-fbank.sh: espeak-ng speech, 80 log-mel
# bins every 10 ms, running positional encoding, seeded 2-layer LSTM of 256)
# drawn by seqviz: one column per frame, one row per hidden unit, viridis.
# width=300 holds the whole utterance (292 frames; the 8 columns at the left
# stay black); an image every 100 frames and the rest at EOS, each written
# over the last, so the PNG left is the whole utterance (300 x 256).
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
out=${OUT_DIR:-.}
exec gst-launch-1.0 -e \
  filesrc location="$root/tests/data/fbank_speech.wav" ! wavparse ! \
  audioconvert ! audioresample ! \
  seqfbank num-mel-bins=80 ! seqposenc ! seqlstm ! \
  seqviz width=300 frames-per-image=100 ! videoconvert ! pngenc ! \
  multifilesink location="$out/speech-hidden.png"
