#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# gst-launch-1.0 exits after every element's mid-stream error, run after run,
# when the pipeline's sink does not wait for preroll (async=false), as the
# README advises for pipelines that may fail early. Each run is bounded by
# `timeout`; a run that hangs (exit 124) or exits 0 fails the test.
# (With the default async sinks gst-launch 1.22 itself can lose the quit of
# an error posted before its main loop runs and wait forever: see
# tests/test_error_paths.c and shared/notes/gst-launch-error-race.md.)
set -uo pipefail
runs=${1:-100}
work=$(mktemp -d "${TMPDIR:-/tmp}/seqenc-launch-XXXXXX")
trap 'rm -rf "$work"' EXIT
printf 'ab\xe2\x98\x83\xc3\xa9 snow and more text' > "$work/snow.txt"
/usr/bin/python3 - "$work" <<'PY'
import struct, sys, math
w = sys.argv[1]
open(w + "/frames.f32", "wb").write(struct.pack("<%df" % (8 * 4 * 3 + 5), *[(i % 13) * 0.1 for i in range(8 * 4 * 3 + 5)]))
s = [0.3 * math.sin(i * 0.05) for i in range(160 * 8)]
s[160 * 3 + 17] = float("nan")
open(w + "/nan.f32", "wb").write(struct.pack("<%df" % len(s), *s))
PY
static='other/tensors,format=static,num_tensors=1,types=(string)float32,dimensions=(string)8:4,framerate=100/1'
passed=0 failed=0
check () {  # name, expected text, pipeline...
  local name=$1 want=$2; shift 2
  local hung=0 bad=0 rc
  for i in $(seq 1 "$runs"); do
    timeout 20 gst-launch-1.0 "$@" > "$work/out.txt" 2>&1; rc=$?
    if [ $rc -eq 124 ]; then hung=$((hung + 1))
    elif [ $rc -eq 0 ] || ! grep -q "$want" "$work/out.txt"; then
      bad=$((bad + 1)); [ $bad -eq 1 ] && tail -n 8 "$work/out.txt"
    fi
  done
  if [ $hung -eq 0 ] && [ $bad -eq 0 ]; then
    echo "PASS $name ($runs runs)"; passed=$((passed + 1))
  else
    echo "FAIL $name: $hung of $runs hung, $bad without the error"; failed=$((failed + 1))
  fi
}
check embed "outside the embedding table" filesrc location="$work/snow.txt" blocksize=6 ! \
  text/x-raw,format=utf8 ! seqtokenizer mode=chars ! seqembed ! fakesink async=false
check posenc "expected 4 x 8 values" filesrc location="$work/frames.f32" blocksize=128 ! \
  "$static" ! seqposenc ! fakesink async=false
check lstm "expected 4 x 8 values" filesrc location="$work/frames.f32" blocksize=128 ! \
  "$static" ! seqlstm hidden-size=8 ! fakesink async=false
check viz "expected 4 x 8 values" filesrc location="$work/frames.f32" blocksize=128 ! \
  "$static" ! seqviz width=16 ! fakesink async=false
check fbank "NaN\|infinite\|not finite\|non-finite" filesrc location="$work/nan.f32" blocksize=640 ! \
  audio/x-raw,format=F32LE,rate=16000,channels=1,layout=interleaved ! seqfbank ! fakesink async=false
check tokenizer "Could not save the stream state" filesrc location="$work/snow.txt" blocksize=4 ! \
  text/x-raw,format=utf8 ! seqtokenizer state-location="$work/no-such-dir/s" checkpoint-interval=2 ! \
  seqnpysink async=false location="$work/ids.npy"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
