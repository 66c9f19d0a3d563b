#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Demo: the README's text through the whole encoder on built-in models
# (bytes tokenizer, seeded embedding table, running positional encoding,
# seeded 2-layer LSTM of 256), hidden states to a .npy of shape (T, 256).
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
out=${OUT_DIR:-.}
exec gst-launch-1.0 -e \
  filesrc location="$root/README.md" ! text/x-raw,format=utf8 ! \
  seqtokenizer ! seqembed ! seqposenc ! seqlstm ! \
  seqnpysink location="$out/hidden.npy"
