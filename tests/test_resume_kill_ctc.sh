#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Resume after SIGKILL for seqctcdecode (ARCHITECTURE.md invariant 4): a
# decoder checkpoints its state every 50 frames and is killed with SIGKILL
# mid-stream; a new process restores the checkpoint (often inside a token)
# and decodes the input from the checkpointed frame on. Its tokens must be
# exactly the tokens of the uninterrupted run that became final from that
# frame on, as the greedy CTC reference computed here with numpy says. The
# input puts an open token at every checkpoint frame that only the next frame
# (a blank) makes final: without the restored state it would be lost.
set -euo pipefail
work=$(mktemp -d "${TMPDIR:-/tmp}/seqenc-resume-ctc-XXXXXX")
trap 'rm -rf "$work"' EXIT
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
labels="$root/tests/data/ctc_digits_labels.txt"
K=11 N=2000
/usr/bin/python3 - "$work/in.f32" $K $N <<'PY'
import sys, numpy as np
rng = np.random.default_rng(4321)
K, N = int(sys.argv[2]), int(sys.argv[3])
path = []
while len(path) < N:   # runs of 1-8 frames, blank (0) or a digit
    path += [0 if rng.random() < 0.4 else int(rng.integers(1, K))] * int(rng.integers(1, 9))
path = path[:N]
for m in range(50, N, 50):  # a token is open at every checkpoint frame,
    path[m - 4] = path[m] = 0   # and becomes final only at its first frame
    path[m - 3:m] = [int(rng.integers(1, K))] * 3
x = rng.standard_normal((N, K)).astype(np.float32)
x[np.arange(N), path] += 4.0
x = x - np.log(np.exp(x.astype(np.float64)).sum(1, keepdims=True)).astype(np.float32)
x.astype(np.float32).tofile(sys.argv[1])
PY
caps="other/tensors,format=static,num_tensors=1,types=float32,dimensions=(string)$K:1,framerate=100/1"
run () {  # input, output, extra properties
  timeout 120 gst-launch-1.0 -q -e filesrc location="$1" blocksize=$((K * 4)) ! "$caps" ! \
    seqctcdecode labels="$labels" $3 ! filesink location="$2"
}
run "$work/in.f32" "$work/full.txt" ""

# killed run: 3 ms per frame, killed after ~2 s (well before the end)
(exec gst-launch-1.0 -q -e filesrc location="$work/in.f32" blocksize=$((K * 4)) ! \
  "$caps" ! identity sleep-time=3000 ! \
  seqctcdecode labels="$labels" state-location="$work/ctc.state" \
    checkpoint-interval=50 ! filesink location="$work/part.txt") &
pid=$!
sleep 2
kill -9 $pid 2>/dev/null || { echo "FAIL: pipeline ended before it was killed"; echo "0 passed, 1 failed"; exit 1; }
wait $pid 2>/dev/null || true
if kill -0 $pid 2>/dev/null; then echo "FAIL: the pipeline survived SIGKILL"; echo "0 passed, 1 failed"; exit 1; fi
[ -f "$work/ctc.state" ] || { echo "FAIL: no checkpoint written"; echo "0 passed, 1 failed"; exit 1; }

# the checkpoint's frame count (state blob: u64 little-endian at offset 24)
frames=$(/usr/bin/python3 -c "import struct,sys; print(struct.unpack_from('<Q', open(sys.argv[1],'rb').read(), 24)[0])" "$work/ctc.state")
echo "checkpoint at frame $frames of $N"
if [ "$frames" -le 0 ] || [ "$frames" -ge "$N" ] || [ $((frames % 50)) -ne 0 ]; then
  echo "FAIL: checkpoint at an unexpected frame"; echo "0 passed, 1 failed"; exit 1
fi
tail -c +$((frames * K * 4 + 1)) "$work/in.f32" > "$work/rest.f32"
run "$work/rest.f32" "$work/rest.txt" "state-location=$work/ctc.state"

/usr/bin/python3 - "$work" "$frames" $K "$labels" <<'PY'
import sys, numpy as np
w, s, K = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
labels = open(sys.argv[4]).read().split("\n")
x = np.fromfile(w + "/in.f32", dtype=np.float32).reshape(-1, K)
best = np.argmax(x, axis=1)
toks, t = [], 0           # greedy CTC: (label, start, end), blank 0 dropped
while t < len(best):
    e = t
    while e + 1 < len(best) and best[e + 1] == best[t]:
        e += 1
    if best[t] != 0:
        toks.append((labels[best[t]], t, e))
    t = e + 1
full = open(w + "/full.txt").read()
rest = open(w + "/rest.txt").read()
want_full = " ".join(l for l, _, _ in toks) + "\n"
# final from frame s on: the frame after its end is fed at or after s
want_rest = " ".join(l for l, _, e in toks if e + 1 >= s) + "\n"
open_at = [(l, a, e) for l, a, e in toks if a <= s - 1 <= e]
print("uninterrupted run equals the reference: %s" % (full == want_full))
print("resumed run equals the reference's tokens final from frame %d%s: %s"
      % (s, " (a token open since frame %d)" % open_at[0][1] if open_at else "",
         rest == want_rest))
ok = full == want_full and rest == want_rest and len(open_at) == 1
print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
sys.exit(0 if ok else 1)
PY
