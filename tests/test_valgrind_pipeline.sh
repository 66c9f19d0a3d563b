#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The text, speech, seqviz and CTC pipelines under valgrind memcheck: no
# invalid access
# and no definitely lost block (GLib/GStreamer's one-time global allocations
# are "still reachable" or "possibly lost", which memcheck reports without
# failing). The element instances are created, run to EOS and freed by
# gst-launch, so a leak per element or per buffer shows as definitely lost.
set -uo pipefail
command -v valgrind >/dev/null || { echo "valgrind missing: run tests/setup-deps.sh"; echo "0 passed, 1 failed"; exit 1; }
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
work=$(mktemp -d "${TMPDIR:-/tmp}/seqenc-valgrind-XXXXXX")
trap 'rm -rf "$work"' EXIT
head -c 3000 "$root/README.md" > "$work/in.txt"
passed=0 failed=0
check () {  # name, pipeline...
  local name=$1; shift
  if G_SLICE=always-malloc G_DEBUG=gc-friendly valgrind -q --suppressions="$root/tests/valgrind.supp" --leak-check=full \
      --errors-for-leak-kinds=definite --show-leak-kinds=definite \
      --error-exitcode=99 gst-launch-1.0 -q -e "$@" > "$work/$name.log" 2>&1; then
    echo "PASS $name"; passed=$((passed + 1))
  else
    echo "FAIL $name"; tail -n 40 "$work/$name.log"; failed=$((failed + 1))
  fi
}
check text filesrc location="$work/in.txt" blocksize=500 ! text/x-raw,format=utf8 ! \
  seqtokenizer ! seqembed dim=32 ! seqposenc ! seqlstm hidden-size=32 ! \
  seqnpysink location="$work/h.npy"
check speech audiotestsrc num-buffers=50 samplesperbuffer=160 ! \
  audio/x-raw,format=S16LE,rate=16000,channels=1 ! seqfbank ! seqposenc ! \
  seqlstm hidden-size=32 batch-group=vg ! seqnpysink location="$work/s.npy"
check viz audiotestsrc num-buffers=30 samplesperbuffer=160 ! \
  audio/x-raw,format=S16LE,rate=16000,channels=1 ! seqfbank ! \
  seqlstm hidden-size=16 ! seqviz width=20 frames-per-image=3 ! \
  videoconvert ! fakesink
# the digits chain on one model file (seqhead, seqctcdecode with a
# checkpointed state, labels from the metadata)
model="$root/tests/data/head_ctc_contract.safetensors"
check ctc audiotestsrc num-buffers=50 samplesperbuffer=160 wave=pink-noise ! \
  audio/x-raw,format=S16LE,rate=16000,channels=1 ! seqfbank num-mel-bins=20 ! \
  seqlstm model="$model" ! seqhead model="$model" activation=log-softmax ! \
  seqctcdecode model="$model" state-location="$work/ctc.state" \
    checkpoint-interval=10 ! filesink location="$work/ctc.txt"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
