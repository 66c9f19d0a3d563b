#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A live source through the speech path: 5 s of audiotestsrc noise at
# 16 kHz in 10 ms buffers, paced by the clock (is-live=true), through
# seqfbank ! seqposenc ! seqlstm into a .npy. The pipeline runs in real
# time; it keeps up when it finishes in about 5 s with every frame present
# (about 500 x 256 in hidden.npy) and no "dropped"/"too late" warnings.
set -euo pipefail
out=${OUT_DIR:-.}
exec gst-launch-1.0 -e \
  audiotestsrc is-live=true wave=pink-noise samplesperbuffer=160 \
    num-buffers=500 ! \
  audio/x-raw,format=S16LE,rate=16000,channels=1 ! \
  seqfbank ! seqposenc ! seqlstm ! \
  seqnpysink location="$out/hidden.npy"
