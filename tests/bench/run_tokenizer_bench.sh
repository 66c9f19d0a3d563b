#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Tokenizer benchmark: seqenc bpe / wordpiece vs npm tiktoken (gpt2) and npm
# tokenizers (Hugging Face's Rust core, BertWordPiece) on the same real text
# (the King James Bible from Debian's bible-kjv, 4.4 MB), one thread each, in
# one run. Prints MB/s and the ratios; ids counts and checksums must agree.
#
# usage: tests/bench/run_tokenizer_bench.sh BUILDDIR [ROUNDS] [TEXT]
# needs: tests/fetch-vocab.sh done (vocab files + npm references), node;
#        apt-get install bible-kjv (for the default text)
set -eu
BUILD=${1:?usage: run_tokenizer_bench.sh BUILDDIR [ROUNDS] [TEXT]}
ROUNDS=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
VOCAB=$HERE/../data/vocab
BENCH=$BUILD/tests/bench/bench_tokenizer
TEXT=${3:-}

[ -x "$BENCH" ] || { echo "build first: ninja -C $BUILD tests/bench/bench_tokenizer" >&2; exit 1; }
[ -f "$VOCAB/encoder.json" ] && [ -f "$VOCAB/vocab.txt" ] || "$HERE/../fetch-vocab.sh" >&2
if [ -z "$TEXT" ]; then
  command -v bible >/dev/null 2>&1 || { echo "apt-get install bible-kjv (or pass a TEXT file)" >&2; exit 1; }
  TEXT=$(mktemp "${TMPDIR:-/tmp}/seqenc-kjv-XXXXXX.txt")
  trap 'rm -f "$TEXT"' EXIT
  bible -f "Gen1:1-Rev22:21" > "$TEXT"
fi
export TOKENIZERS_PARALLELISM=false RAYON_NUM_THREADS=1

line() { printf '%s\n' "$1"; }
get() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

for mode in bpe wordpiece; do
  if [ $mode = bpe ]; then
    ours=$("$BENCH" bpe "$VOCAB/encoder.json" "$VOCAB/vocab.bpe" "$TEXT" "$ROUNDS")
  else
    ours=$("$BENCH" wordpiece "$VOCAB/vocab.txt" - "$TEXT" "$ROUNDS")
  fi
  ref=$(node "$HERE/bench_tokenizer_ref.mjs" $mode "$VOCAB" "$TEXT" "$ROUNDS")
  line "$ours"
  line "$ref"
  if [ "$(get "$ours" ids)" != "$(get "$ref" ids)" ] || \
     [ "$(get "$ours" checksum)" != "$(get "$ref" checksum)" ]; then
    echo "MISMATCH: the ids differ from the reference" >&2
    exit 1
  fi
  awk -v m=$mode -v a="$(get "$ours" whole_mbps)" -v c="$(get "$ours" chunk4096_mbps)" \
      -v b="$(get "$ref" whole_mbps)" -v l="$(get "$ref" lines_mbps)" 'BEGIN {
    printf "%s: seqenc %.1f MB/s (4 KiB buffers %.1f MB/s), reference %.1f MB/s: x%.2f (x%.2f streaming)\n",
      m, a, c, b, a / b, c / b
    if (l != "")
      printf "%s: reference line by line (encodeBatch) %.1f MB/s: seqenc x%.2f\n", m, l, a / l }'
done
