#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Exhaustive Unicode check against the references: every code point
# U+0000..U+10FFFF (surrogates and U+001E excepted) in the context "a<c>b ",
# in records of 2048, tokenized by seqenc (tok_dump) and by npm tiktoken /
# npm tokenizers (tests/ref/encode.mjs); prints how many code points give
# different ids, and lists the first ones. Not part of `meson test` (needs
# node and the npm references); run after tests/fetch-vocab.sh:
#   tests/check_tokenizer_codepoints.sh BUILDDIR
set -eu
BUILD=${1:?usage: check_tokenizer_codepoints.sh BUILDDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
V=$HERE/data/vocab
DUMP=$BUILD/tests/tok_dump
W=$(mktemp -d "${TMPDIR:-/tmp}/seqenc-cp-XXXXXX")
trap 'rm -rf "$W"' EXIT

node -e '
const fs = require("fs");
const recs = []; let cur = [];
const single = [];
for (let c = 0; c < 0x110000; c++) {
  if ((c >= 0xd800 && c <= 0xdfff) || c === 0x1e) continue;
  cur.push("a" + String.fromCodePoint(c) + "b ");
  if (cur.length === 2048) { recs.push(cur.join("")); cur = []; }
}
recs.push(cur.join(""));
fs.writeFileSync(process.argv[1], recs.join("\x1e"));
' "$W/all.txt"

dump() {
  case $1 in
    bpe) "$DUMP" bpe "$V/encoder.json" "$V/vocab.bpe" "$2" ;;
    wordpiece) "$DUMP" wordpiece "$V/vocab.txt" - "$2" ;;
    wordpiece-cased) "$DUMP" wordpiece "$V/vocab.txt" - "$2" 0 cased ;;
  esac
}

for mode in bpe wordpiece wordpiece-cased; do
  dump $mode "$W/all.txt" > "$W/me"
  node "$HERE/ref/encode.mjs" $mode "$V" "$W/all.txt" > "$W/ref"
  # per code point for the records that differ
  node -e '
const fs = require("fs");
const [all, me, ref, out] = process.argv.slice(1);
const recs = fs.readFileSync(all, "utf8").split("\x1e");
const a = fs.readFileSync(me, "utf8").split("\n"), b = fs.readFileSync(ref, "utf8").split("\n");
const cps = [];
recs.forEach((r, i) => { if (a[i] !== b[i]) for (const p of r.split(" ")) if (p) cps.push(p); });
fs.writeFileSync(out, cps.join("\x1e"));
' "$W/all.txt" "$W/me" "$W/ref" "$W/cps.txt"
  if [ -s "$W/cps.txt" ]; then
    dump $mode "$W/cps.txt" > "$W/me1"
    node "$HERE/ref/encode.mjs" $mode "$V" "$W/cps.txt" > "$W/ref1"
    node -e '
const fs = require("fs");
const [cps, me, ref, mode] = process.argv.slice(1);
const c = fs.readFileSync(cps, "utf8").split("\x1e");
const a = fs.readFileSync(me, "utf8").split("\n"), b = fs.readFileSync(ref, "utf8").split("\n");
const bad = c.filter((_, i) => a[i] !== b[i]);
console.log(`${mode}: ${bad.length} of 1112063 code points differ`);
for (const s of bad.slice(0, 20)) {
  const cp = s.codePointAt(1);
  console.log("  U+" + cp.toString(16).toUpperCase().padStart(4, "0"));
}
if (bad.length > 20) console.log("  ...");
' "$W/cps.txt" "$W/me1" "$W/ref1" $mode
  else
    echo "$mode: 0 of 1112063 code points differ"
  fi
done
