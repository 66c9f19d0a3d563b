#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# seqlstm on a PyTorch-exported safetensors file (tests/data/lstm_two_calls:
# an nn.LSTM(40, 50) saved with the prefix "lstm.", found automatically),
# states checkpointed to a file every 100 frames and at EOS.
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
out=${OUT_DIR:-.}
exec gst-launch-1.0 -e \
  filesrc location="$root/README.md" ! text/x-raw,format=utf8 ! \
  seqtokenizer ! seqembed dim=40 ! seqposenc ! \
  seqlstm model="$root/tests/data/lstm_two_calls.safetensors" \
    state-location="$out/lstm.state" checkpoint-interval=100 ! \
  seqnpysink location="$out/hidden.npy"
