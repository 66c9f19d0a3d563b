#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# README's seqembed example: byte tokens to rows of a seeded 256 x 128 table.
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
out=${OUT_DIR:-.}
exec gst-launch-1.0 -e \
  filesrc location="$root/README.md" ! text/x-raw,format=utf8 ! \
  seqtokenizer ! seqembed dim=128 ! seqnpysink location="$out/emb.npy"
