#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The speech example read from Python: pipelines/appsink_numpy.py (PyGObject
# appsink) pulls the hidden states (flexible other/tensors, 128-byte
# NNStreamer header per buffer) into numpy and writes hidden.npz with
# `frames` (292, 256) float32 and `pts` (ns per frame). Needs python3-gi,
# gir1.2-gstreamer-1.0, gir1.2-gst-plugins-base-1.0
# (SEQENC_SETUP_TESTS=1 bash tests/setup-deps.sh).
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
out=${OUT_DIR:-.}
exec /usr/bin/python3 "$root/pipelines/appsink_numpy.py" -o "$out/hidden.npz" \
  "filesrc location=$root/tests/data/fbank_speech.wav ! wavparse !
   audioconvert ! audioresample !
   seqfbank num-mel-bins=80 ! seqposenc ! seqlstm"
