#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# seqgru on a PyTorch-exported safetensors file (tests/data/gru_two_calls:
# an nn.GRU(40, 50, 2) saved with the prefix "gru.", found automatically),
# its state checkpointed to a file every 100 frames and at EOS.
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
out=${OUT_DIR:-.}
exec gst-launch-1.0 -e \
  filesrc location="$root/README.md" ! text/x-raw,format=utf8 ! \
  seqtokenizer ! seqembed dim=40 ! seqposenc ! \
  seqgru model="$root/tests/data/gru_two_calls.safetensors" \
    state-location="$out/gru.state" checkpoint-interval=100 ! \
  seqnpysink location="$out/hidden.npy"
