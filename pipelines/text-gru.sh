#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# seqgru's SECTION example: byte tokens, a seeded embedding, the running
# positional encoding and the built-in stacked GRU, hidden states to a .npy.
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
out=${OUT_DIR:-.}
exec gst-launch-1.0 -e \
  filesrc location="$root/README.md" ! text/x-raw,format=utf8 ! \
  seqtokenizer ! seqembed ! seqposenc ! seqgru hidden-size=256 ! \
  seqnpysink location="$out/hidden.npy"
