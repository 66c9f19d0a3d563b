#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# seqposenc's learned mode (its second SECTION example): byte tokens, a
# 16-wide seeded embedding, plus row p mod 12 of a learned position table
# (tests/data/posenc_learned.safetensors: BERT-style
# position_embeddings.weight [12, 16], found by its name), to a .npy.
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
out=${OUT_DIR:-.}
exec gst-launch-1.0 -e \
  filesrc location="$root/README.md" ! text/x-raw,format=utf8 ! \
  seqtokenizer ! seqembed dim=16 ! \
  seqposenc mode=learned table="$root/tests/data/posenc_learned.safetensors" \
    past-end=wrap ! \
  seqnpysink location="$out/pe.npy"
