#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# fbank benchmark: real-time factor (audio seconds per wall second, one
# core) of seqenc's log-mel filterbank (the library path seqfbank runs) and
# of torchaudio.compliance.kaldi.fbank, on the same audio in the same run,
# same options (16 kHz, 25/10 ms, 80 bins, povey, dither 0). The machine is
# shared and noisy: the two are measured in alternating rounds and each keeps
# its best round; compare the ratios.
#
# usage: tests/bench/run_fbank_bench.sh BUILDDIR [ROUNDS] [SECONDS_PER_POINT]
#   audio: /usr/share/sounds/linphone/hello16000.wav (Debian linphone-common)
#   tiled to 60 s, else tests/data/fbank_speech.wav (22.05 kHz).
#   SEQENC_BENCH_ELEMENT=1 also times the element in gst-launch-1.0 (needs
#   GST_PLUGIN_PATH to hold BUILDDIR/plugins).
set -eu

BUILD=${1:?usage: run_fbank_bench.sh BUILDDIR [ROUNDS] [SECONDS]}
ROUNDS=${2:-3}
SECS=${3:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
BENCH="$BUILD/tests/bench/bench_fbank"
DATA="$BUILD/fbank-bench"
OUT="$DATA/results.jsonl"
WAV=/usr/share/sounds/linphone/hello16000.wav
[ -f "$WAV" ] || WAV="$HERE/../data/fbank_speech.wav"

[ -x "$BENCH" ] || { echo "build first: ninja -C $BUILD tests/bench/bench_fbank" >&2; exit 1; }
mkdir -p "$DATA"
RATE=$($PY "$HERE/bench_fbank_ref.py" make "$WAV" "$DATA/audio.s16" 60)
echo "audio: $WAV tiled to 60 s at $RATE Hz" >&2

: > "$OUT"
r=1
while [ $r -le "$ROUNDS" ]; do
  echo "round $r/$ROUNDS" >&2
  "$BENCH" "$DATA/audio.s16" "$RATE" --seconds "$SECS" --chunk 160,441,0 >> "$OUT"
  $PY "$HERE/bench_fbank_ref.py" torch "$DATA/audio.s16" "$RATE" --threads 1 \
    --seconds "$SECS" >> "$OUT"
  $PY "$HERE/bench_fbank_ref.py" torch "$DATA/audio.s16" "$RATE" --threads 2 \
    --seconds "$SECS" >> "$OUT"
  r=$((r + 1))
done
if [ "${SEQENC_BENCH_ELEMENT:-0}" = 1 ]; then
  $PY "$HERE/bench_fbank_ref.py" element "$DATA/audio.wav" "$RATE" 60 >> "$OUT"
fi

$PY - "$OUT" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
best = {}
for r in rows:
    k = (r["impl"], r["tag"], r["chunk"])
    if k not in best or r["rtf"] > best[k]["rtf"]:
        best[k] = r
def label(k):
    impl, tag, chunk = k
    if impl == "seqenc":
        return "seqenc, 1 thread, %s" % ("whole signal per call" if chunk == 0
                                         else "%d samples per call" % chunk)
    if impl == "torchaudio":
        return "torchaudio kaldi.fbank, %s, whole signal" % tag
    return "%s (%s)" % (impl, tag)
ref = best.get(("torchaudio", "threads=1", 0))
print("%-52s %10s %9s %8s %s" % ("implementation", "x realtime", "frames/s",
                                  "us/frame", "ratio to torchaudio 1 thread"))
for k in sorted(best, key=lambda k: -best[k]["rtf"]):
    r = best[k]
    ratio = "%.1fx" % (r["rtf"] / ref["rtf"]) if ref else "-"
    print("%-52s %10.0f %9s %8s %s" % (label(k), r["rtf"], r.get("fps", "-"),
          r.get("us_per_frame", "-"), ratio))
print("audio %.0f s at %d Hz, 80 mel bins; best of the rounds" %
      (rows[0]["audio_s"], rows[0]["rate"]))
PYEOF
