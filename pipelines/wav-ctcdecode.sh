#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# seqctcdecode's example (its SECTION block): the chain of wav-head.sh, then
# greedy CTC decoding with the digit labels of tests/data (blank 0) to a text
# file, one line per stream. The seeded LSTM and head are untrained, so the
# "digits" are arbitrary; the trained model gives real ones (digits.sh).
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
out=${OUT_DIR:-.}
timeout 120 gst-launch-1.0 -e \
  filesrc location="$root/tests/data/fbank_speech.wav" ! wavparse ! \
  audioconvert ! audioresample ! seqfbank ! seqlstm hidden-size=64 ! \
  seqhead out-size=11 activation=log-softmax ! \
  seqctcdecode labels="$root/tests/data/ctc_digits_labels.txt" ! \
  filesink location="$out/digits.txt"
# one line of space-separated labels, newline-terminated
grep -qxE '[0-9]( [0-9])*' "$out/digits.txt"
