#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A WAV file through the speech path: 22.05 kHz espeak-ng speech
# (tests/data/fbank_speech.wav, made by tests/gen_fbank_golden.py
# --speech-wav), resampled to 16 kHz (seqfbank asks for 16 kHz first in
# negotiation), 80 Kaldi log-mel bins every 10 ms, running positional
# encoding, seeded 2-layer LSTM of 256; hidden states to a .npy of shape
# (T, 256), T = 1 + (n - 400) / 160 for n samples at 16 kHz (292 here).
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
out=${OUT_DIR:-.}
exec gst-launch-1.0 -e \
  filesrc location="$root/tests/data/fbank_speech.wav" ! wavparse ! \
  audioconvert ! audioresample ! \
  seqfbank num-mel-bins=80 ! seqposenc ! seqlstm ! \
  seqnpysink location="$out/feats.npy"
