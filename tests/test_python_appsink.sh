#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Python client (pipelines/appsink_numpy.py, PyGObject appsink) reads
# the same arrays as seqnpysink writes for the same pipeline, bitwise:
# flexible and static float32 hidden states of the speech example, static
# D:T buffers with T = 4, flexible int32 token ids. Per-frame PTS of the
# speech frames are k x 10 ms. A pipeline error ends the client with exit
# status 1 and the element's message (bounded by timeout: no hang).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
client="$root/pipelines/appsink_numpy.py"
work=$(mktemp -d "${TMPDIR:-/tmp}/seqenc-pyappsink-XXXXXX")
trap 'rm -rf "$work"' EXIT

/usr/bin/python3 - "$work/frames.f32" <<'PY'
import sys
import numpy as np
# 24 frames of 8 values, some structure
x = np.sin(np.arange(24 * 8, dtype=np.float32) * 0.37).astype("<f4")
x.tofile(sys.argv[1])
PY

speech="filesrc location=$root/tests/data/fbank_speech.wav ! wavparse ! audioconvert ! audioresample ! seqfbank num-mel-bins=80"
static8='other/tensors,format=static,num_tensors=1,types=(string)float32,dimensions=(string)8:4,framerate=100/1'
passed=0 failed=0

# name, pts check (speech|none), pipeline head (no sink)
check () {
  local name=$1 pts=$2 head=$3
  # shellcheck disable=SC2086
  if ! timeout 120 gst-launch-1.0 -q $head ! seqnpysink location="$work/$name.npy" \
      > "$work/$name.launch.log" 2>&1; then
    echo "FAIL $name: gst-launch with seqnpysink"; tail -n 5 "$work/$name.launch.log"
    failed=$((failed + 1)); return
  fi
  if ! timeout 120 /usr/bin/python3 "$client" -o "$work/$name.npz" "$head" \
      > "$work/$name.py.log" 2>&1; then
    echo "FAIL $name: appsink_numpy.py"; tail -n 5 "$work/$name.py.log"
    failed=$((failed + 1)); return
  fi
  if /usr/bin/python3 - "$work/$name.npy" "$work/$name.npz" "$pts" <<'PY'
import sys
import numpy as np
ref = np.load(sys.argv[1])
z = np.load(sys.argv[2])
got, pts = z["frames"], z["pts"]

def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()

# the comparison itself can tell a difference: one flipped bit is caught
if ref.size:
    bad = ref.copy()
    bad.view(np.uint8).reshape(-1)[ref.nbytes // 2] ^= 1
    assert not same(bad, got), "comparison blind to a flipped bit"
ok = same(ref, got) and ref.shape[0] > 0 and len(pts) == got.shape[0]
if sys.argv[3] == "speech":
    ok = ok and np.array_equal(pts, np.arange(len(pts), dtype=np.int64) * 10_000_000)
print("  %s: seqnpysink %s %s, appsink %s %s, pts %s..%s -> %s" % (
    sys.argv[2].rsplit("/", 1)[-1], ref.shape, ref.dtype, got.shape,
    got.dtype, pts[:1], pts[-1:], "equal" if ok else "DIFFERENT"))
sys.exit(0 if ok else 1)
PY
  then
    echo "PASS $name"; passed=$((passed + 1))
  else
    echo "FAIL $name"; failed=$((failed + 1))
  fi
}

check speech_flexible speech "$speech ! seqposenc ! seqlstm ! other/tensors,format=flexible"
check speech_static speech "$speech ! other/tensors,format=static ! seqposenc ! seqlstm ! other/tensors,format=static"
check static_d8_t4 none "filesrc location=$work/frames.f32 blocksize=128 ! $static8 ! seqposenc ! seqlstm hidden-size=8 ! other/tensors,format=static,dimensions=(string)8:4"
check ids_flexible_int32 none "filesrc location=$root/README.md ! text/x-raw,format=utf8 ! seqtokenizer mode=chars ! other/tensors,format=flexible"

# a pipeline error: exit status 1 with the element's message
printf 'snow \xe2\x98\x83 and more' > "$work/snow.txt"
timeout 60 /usr/bin/python3 "$client" -o "$work/err.npz" \
  "filesrc location=$work/snow.txt ! text/x-raw,format=utf8 ! seqtokenizer mode=chars ! seqembed" \
  > "$work/err.log" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "outside the embedding table" "$work/err.log" && [ ! -e "$work/err.npz" ]; then
  echo "PASS error_exits_with_message"; passed=$((passed + 1))
else
  echo "FAIL error_exits_with_message: exit $rc"; cat "$work/err.log"; failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
