#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Text to hidden states with BERT's tokenizer: the tokenizer test corpus
# (many languages, code, emoji, control characters, invalid UTF-8) in
# 333-byte buffers, bert-base-uncased WordPiece (vocab.txt from
# tests/fetch-vocab.sh), a seeded 30522 x 64 embedding table, the running
# positional encoding and a seeded 2-layer LSTM of 256, to a .npy (T, 256).
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
out=${OUT_DIR:-.}
vocab=$root/tests/data/vocab/vocab.txt
[ -f "$vocab" ] || { echo "$vocab is missing: run tests/fetch-vocab.sh" >&2; exit 1; }
exec gst-launch-1.0 -e \
  filesrc location="$root/tests/data/tok_corpus.bin" blocksize=333 ! \
  text/x-raw,format=utf8 ! \
  seqtokenizer mode=wordpiece vocab="$vocab" lowercase=true ! \
  seqembed vocab-size=30522 dim=64 ! seqposenc ! seqlstm ! \
  seqnpysink location="$out/hidden.npy"
