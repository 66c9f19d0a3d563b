#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Text to hidden states with GPT-2's tokenizer: the README read in 777-byte
# buffers (splits fall inside words and UTF-8 sequences; the ids do not
# change), GPT-2 byte-level BPE (the vocabulary from tests/fetch-vocab.sh),
# a seeded 50257 x 64 embedding table, the running positional encoding and a
# seeded 2-layer LSTM of 256, hidden states to a .npy of shape (T, 256).
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
out=${OUT_DIR:-.}
vocab=$root/tests/data/vocab
for f in encoder.json vocab.bpe; do
  [ -f "$vocab/$f" ] || { echo "$vocab/$f is missing: run tests/fetch-vocab.sh" >&2; exit 1; }
done
exec gst-launch-1.0 -e \
  filesrc location="$root/README.md" blocksize=777 ! text/x-raw,format=utf8 ! \
  seqtokenizer mode=bpe vocab="$vocab/encoder.json" merges="$vocab/vocab.bpe" ! \
  seqembed vocab-size=50257 dim=64 ! seqposenc ! seqlstm ! \
  seqnpysink location="$out/hidden.npy"
