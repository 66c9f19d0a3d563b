#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The shipped spoken-digit model reaches, through the real pipeline
# (pipelines/digits.sh: seqfbank ! seqlstm ! seqhead ! seqctcdecode), the
# accuracy its reference evaluation reports on the suite's fixed set
# (tests/digits_suite_set.sh: 12 strings, 42 digits, held-out espeak-ng
# voices). The bound is models/digits/suite_reference.tsv, written by
# `models/digits/evaluate.py --suite` (PyTorch greedy CTC on fbank_dump
# features of the same audio): the pipeline may make at most SLACK more digit
# errors than PyTorch did (a near-tie argmax may flip between PyTorch's and
# seqenc's f32 arithmetic). A broken chain (front-end mismatch, state bug,
# wrong labels) makes most digits wrong and fails.
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:?}
ref=$root/models/digits/suite_reference.tsv
# one digit: a near-tie frame may decode differently in another f32 order
SLACK=1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/seqenc-digits-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

bash "$root/tests/digits_suite_set.sh" "$tmp/set"
errors=0 digits=0
while IFS=$'\t' read -r f want; do
  mkdir -p "$tmp/out"
  rm -f "$tmp/out/digits.txt"
  WAV="$tmp/set/$f" OUT_DIR="$tmp/out" bash "$root/pipelines/digits.sh"
  got=$(cat "$tmp/out/digits.txt")
  e=$(python3 - "$want" "$got" <<'PY'
import sys
a, b = sys.argv[1].split(), sys.argv[2].split()
d = list(range(len(b) + 1))
for i in range(1, len(a) + 1):
    prev, d[0] = d[0], i
    for j in range(1, len(b) + 1):
        prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] != b[j - 1]))
print(d[len(b)])
PY
)
  echo "$f: want '$want' got '$got' ($e errors)"
  errors=$((errors + e))
  digits=$((digits + $(echo "$want" | wc -w)))
done < "$tmp/set/list.tsv"

read -r ref_errors ref_digits < <(sed -n 's/^# errors \([0-9]*\) digits \([0-9]*\).*/\1 \2/p' "$ref")
echo "pipeline: $errors errors / $digits digits; reference (PyTorch): $ref_errors / $ref_digits"
[ "$digits" -eq "$ref_digits" ] || { echo "FAIL: the set differs from the reference's"; exit 1; }
[ "$errors" -le $((ref_errors + SLACK)) ] || { echo "FAIL: above the bound"; exit 1; }
echo "PASS"
