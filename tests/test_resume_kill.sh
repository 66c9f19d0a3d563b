#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Resume after SIGKILL (ARCHITECTURE.md invariant 4): a pipeline checkpoints
# its LSTM state every 50 frames and is killed with SIGKILL mid-stream; a new
# process restores the checkpoint and runs on the input from the
# checkpointed frame on. Its output must be bitwise identical to the
# uninterrupted run's frames from that position on.
set -euo pipefail
work=$(mktemp -d "${TMPDIR:-/tmp}/seqenc-resume-XXXXXX")
trap 'rm -rf "$work"' EXIT
D=16 N=2000
/usr/bin/python3 - "$work/in.f32" $D $N <<'PY'
import sys, numpy as np
rng = np.random.default_rng(1234)
rng.standard_normal((int(sys.argv[3]), int(sys.argv[2])), dtype=np.float32).tofile(sys.argv[1])
PY
caps="other/tensors,format=static,num_tensors=1,types=float32,dimensions=(string)$D:1,framerate=100/1"
run () {  # input, output, extra elements/properties
  gst-launch-1.0 -q -e filesrc location="$1" blocksize=$((D * 4)) ! "$caps" ! $3 \
    seqlstm hidden-size=24 num-layers=2 seed=5 $4 ! seqnpysink location="$2"
}
run "$work/in.f32" "$work/full.npy" "" ""

# killed run: 3 ms per frame, killed after ~2 s (well before the end). The
# subshell execs gst-launch so that $! is gst-launch itself, not a shell
# around it (killing only the shell would leave it running and writing).
(exec gst-launch-1.0 -q -e filesrc location="$work/in.f32" blocksize=$((D * 4)) ! \
  "$caps" ! identity sleep-time=3000 ! \
  seqlstm hidden-size=24 num-layers=2 seed=5 state-location="$work/lstm.state" \
    checkpoint-interval=50 ! seqnpysink location="$work/part.npy") &
pid=$!
sleep 2
kill -9 $pid 2>/dev/null || { echo "FAIL: pipeline ended before it was killed"; echo "0 passed, 1 failed"; exit 1; }
wait $pid 2>/dev/null || true
if kill -0 $pid 2>/dev/null; then echo "FAIL: the pipeline survived SIGKILL"; echo "0 passed, 1 failed"; exit 1; fi
[ -f "$work/lstm.state" ] || { echo "FAIL: no checkpoint written"; echo "0 passed, 1 failed"; exit 1; }

# the checkpoint's step count (state blob: u64 little-endian at offset 48)
steps=$(/usr/bin/python3 -c "import struct,sys; print(struct.unpack_from('<Q', open(sys.argv[1],'rb').read(), 48)[0])" "$work/lstm.state")
echo "checkpoint at frame $steps of $N"
if [ "$steps" -le 0 ] || [ "$steps" -ge "$N" ] || [ $((steps % 50)) -ne 0 ]; then
  echo "FAIL: checkpoint at an unexpected frame"; echo "0 passed, 1 failed"; exit 1
fi
tail -c +$((steps * D * 4 + 1)) "$work/in.f32" > "$work/rest.f32"
run "$work/rest.f32" "$work/rest.npy" "" "state-location=$work/lstm.state"

/usr/bin/python3 - "$work" "$steps" <<'PY'
import sys, numpy as np
w, s = sys.argv[1], int(sys.argv[2])
full, rest = np.load(w + "/full.npy"), np.load(w + "/rest.npy")
ok = rest.shape == full[s:].shape and full[s:].tobytes() == rest.tobytes()
print("resumed output bitwise identical from frame %d: %s" % (s, ok))
print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
sys.exit(0 if ok else 1)
PY
