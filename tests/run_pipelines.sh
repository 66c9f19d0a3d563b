#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs every pipelines/*.sh to EOS: each must exit 0 within its time limit and
# leave at least one non-empty output file in its OUT_DIR.
set -u
dir=${1:?usage: run_pipelines.sh PIPELINES_DIR}
# no microphone or display here: live scripts use their synthetic stand-in
export SEQENC_NO_DEVICES=${SEQENC_NO_DEVICES:-1}
export SEQENC_SOURCE_ROOT=${SEQENC_SOURCE_ROOT:-$(cd "$dir/.." && pwd)}
passed=0 failed=0
for p in "$dir"/*.sh; do
  name=$(basename "$p" .sh)
  out=$(mktemp -d "${TMPDIR:-/tmp}/seqenc-pipeline-$name-XXXXXX")
  if OUT_DIR=$out timeout 300 bash "$p" >"$out/log.txt" 2>&1; then
    if find "$out" -type f ! -name log.txt -size +0 | grep -q .; then
      echo "PASS $name"; passed=$((passed + 1)); rm -rf "$out"; continue
    fi
    echo "FAIL $name: no output file"
  else
    echo "FAIL $name: exit status $?"
  fi
  tail -n 30 "$out/log.txt"
  failed=$((failed + 1))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
