#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# LSTM benchmark: seqenc (library path of seqlstm) vs ONNX Runtime vs PyTorch
# nn.LSTM, same weights, same machine, one run; then the same for the GRU
# (seqgru's path vs ONNX Runtime's GRU vs nn.GRU, same sizes). The machine is shared and
# noisy, so the implementations are measured in alternating rounds and each
# point keeps its best round; compare the ratios, not the absolute numbers.
#
# usage: tests/bench/run_lstm_bench.sh BUILDDIR [ROUNDS] [SECONDS_PER_POINT]
#   env: SEQENC_BENCH_LIVE=1 also runs the live-capacity tests, f32 and
#        bf16-matmul: the library batcher (bench_lstm_live: 100..400 streams
#        of 100 frames/s, latency p50/p99) and the element path
#        (bench_element_live: 200..400 live sources ! seqfbank ! seqlstm),
#        SEQENC_BENCH_THREADS (2), SEQENC_ORT_DIR (where onnxruntime-node is
#        or gets installed with npm; default ~/.cache/seqenc-bench/ort),
#        SEQENC_FMA_PEAK_GFLOPS (overrides the f32 FMA peak that
#        bench_peak measures on this machine at the start, for %peak)
set -eu

BUILD=${1:?usage: run_lstm_bench.sh BUILDDIR [ROUNDS] [SECONDS]}
ROUNDS=${2:-3}
SECS=${3:-1}
THREADS=${SEQENC_BENCH_THREADS:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
BENCH="$BUILD/tests/bench/bench_lstm"
DATA="$BUILD/lstm-bench"
OUT="$DATA/results.jsonl"
ORT_DIR=${SEQENC_ORT_DIR:-$HOME/.cache/seqenc-bench/ort}

[ -x "$BENCH" ] || { echo "build first: ninja -C $BUILD tests/bench/bench_lstm" >&2; exit 1; }
mkdir -p "$DATA"
if [ ! -f "$DATA/text.onnx" ] || [ ! -f "$DATA/gru_text.onnx" ]; then
  echo "making weights (PyTorch init, seed 0) and ONNX exports in $DATA" >&2
  $PY "$HERE/bench_lstm_ref.py" make "$DATA" 2>/dev/null
fi

HAVE_ORT=0
if command -v node >/dev/null 2>&1; then
  if [ ! -d "$ORT_DIR/node_modules/onnxruntime-node" ]; then
    echo "installing onnxruntime-node into $ORT_DIR (npm)" >&2
    mkdir -p "$ORT_DIR"
    # --ignore-scripts: the CPU library ships in the package; the install
    # script only fetches optional GPU providers.
    npm install --silent --ignore-scripts --prefix "$ORT_DIR" \
      onnxruntime-node@1.30.0 >&2 || true
  fi
  [ -d "$ORT_DIR/node_modules/onnxruntime-node" ] && HAVE_ORT=1
fi
[ $HAVE_ORT = 1 ] || echo "ONNX Runtime not available: its columns stay empty" >&2

# the machine's own bounds, measured now: CPU, kernel set, f32 FMA peak
# (512- and 256-bit), L2-resident read bandwidth
"$BUILD/tests/bench/bench_peak" "$THREADS" 0.5 > "$DATA/peak.json"
echo "machine: $(cat "$DATA/peak.json")" >&2
: > "$OUT"
r=1
while [ $r -le "$ROUNDS" ]; do
  echo "round $r/$ROUNDS" >&2
  echo "{\"round\": $r}" >> "$OUT"
  for cfg in speech text; do
    # default: idle workers poll (yielding) for 50 us, then sleep
    "$BENCH" "$DATA/$cfg.safetensors" $cfg \
      --threads "$THREADS" --seconds "$SECS" --tag "f32" >> "$OUT"
    SEQENC_SPIN_US=0 "$BENCH" "$DATA/$cfg.safetensors" $cfg \
      --threads "$THREADS" --seconds "$SECS" --tag "f32 nospin" >> "$OUT"
    "$BENCH" "$DATA/$cfg.safetensors" $cfg \
      --threads "$THREADS" --seconds "$SECS" --precision bf16 \
      --tag "bf16" >> "$OUT"
    "$BENCH" "$DATA/$cfg.safetensors" $cfg \
      --threads "$THREADS" --seconds "$SECS" --precision f16 \
      --tag "f16" >> "$OUT"
    # bf16 operands, f32 sums (AMX tiles on CPUs that have them)
    "$BENCH" "$DATA/$cfg.safetensors" $cfg \
      --threads "$THREADS" --seconds "$SECS" --precision bf16-matmul \
      --tag "bf16mm" >> "$OUT"
    # int8 weights and activations, int32 sums (VNNI where the CPU has it)
    "$BENCH" "$DATA/$cfg.safetensors" $cfg \
      --threads "$THREADS" --seconds "$SECS" --precision int8 \
      --tag "int8" >> "$OUT"
    # the GRU on the same kernels
    "$BENCH" "$DATA/gru_$cfg.safetensors" $cfg --cell gru \
      --threads "$THREADS" --seconds "$SECS" --tag "f32" >> "$OUT"
    "$BENCH" "$DATA/gru_$cfg.safetensors" $cfg --cell gru \
      --threads "$THREADS" --seconds "$SECS" --precision bf16-matmul \
      --tag "bf16mm" >> "$OUT"
  done
  if [ $HAVE_ORT = 1 ]; then
    NODE_PATH="$ORT_DIR/node_modules" node "$HERE/bench_lstm_ort.js" "$DATA" \
      "$THREADS" "$SECS" 0 b1_t1,b1_t100,b64_t1,b256_t1 lstm,gru >> "$OUT"
    NODE_PATH="$ORT_DIR/node_modules" node "$HERE/bench_lstm_ort.js" "$DATA" \
      "$THREADS" "$SECS" 1 b1_t1,b1_t100,b64_t1,b256_t1 lstm,gru >> "$OUT"
  fi
  # PyTorch's best setting here: passive OpenMP waiting (its spinning
  # threads starve OpenBLAS's own threads: 7x slower at 64 streams)
  for cell in lstm gru; do
    OMP_WAIT_POLICY=passive $PY "$HERE/bench_lstm_ref.py" torch "$DATA" \
      --threads "$THREADS" --seconds "$SECS" --cell $cell >> "$OUT"
  done
  # PyTorch's dynamically quantized LSTM (int8), if this torch runs it
  for eng in onednn qnnpack; do
    OMP_WAIT_POLICY=passive $PY "$HERE/bench_lstm_ref.py" torch "$DATA" \
      --threads "$THREADS" --seconds "$SECS" --int8 $eng 2>/dev/null \
      >> "$OUT" || echo "PyTorch int8 ($eng) did not run" >&2
  done
  r=$((r + 1))
done

$PY - "$OUT" "$DATA/peak.json" <<'EOF'
import json, os, sys
rows = []
rnd = 0
for l in open(sys.argv[1]):
    if not l.strip().startswith("{"):
        continue
    r = json.loads(l)
    if "round" in r:
        rnd = r["round"]
        continue
    r["_round"] = rnd
    if r.get("cell", "lstm") == "lstm":
        rows.append(r)
machine = json.load(open(sys.argv[2]))
peak = float(os.environ.get("SEQENC_FMA_PEAK_GFLOPS", 0)) or max(
    machine["fma512_gflops"], machine["fma256_gflops"])
print("CPU %s, kernel set %s, %d threads: f32 FMA peak %.0f GFLOP/s "
      "(512-bit %.0f, 256-bit %.0f, measured now), L2 read %.0f GB/s"
      % (machine["cpu"], machine["kernels"], machine["threads"], peak,
         machine["fma512_gflops"], machine["fma256_gflops"],
         machine["l2_read_gbs"]))
CFG = {"speech": (80, 512, 3), "text": (256, 256, 2)}
def label(r):
    if r["impl"] == "seqenc":
        return "seqenc " + r["tag"]
    if r["impl"] == "onnxruntime":
        return "ORT spin" if "spinning on" in r["tag"] else "ORT"
    if r.get("precision", "f32") != "f32":
        return "PyTorch " + r["precision"]
    return "PyTorch"
best = {}
ovh = {}
per_round = {}
for r in rows:
    k = (label(r), r["config"], r["point"])
    best[k] = max(best.get(k, 0.0), r["fps"])
    kr = k + (r["_round"],)
    per_round[kr] = max(per_round.get(kr, 0.0), r["fps"])
    if "overhead_us_per_call" in r:
        kk = (r["config"], r["point"])
        ovh[kk] = min(ovh.get(kk, 1e18), r["overhead_us_per_call"])
def ort_capi(cfg, p, fps):
    """ORT without the Node binding's per-call cost (pass-through model)."""
    o = ovh.get((cfg, p))
    if not fps or o is None:
        return 0.0
    B, T = (int(v) for v in p[1:].split("_t"))
    per_call = B * T / fps - o * 1e-6
    return B * T / per_call if per_call > 0 else 0.0
cols = ["ORT", "ORT spin", "ORT C-API est", "PyTorch", "seqenc f32",
        "seqenc f32 nospin", "seqenc bf16", "seqenc f16", "seqenc bf16mm"]
def flops(cfg):
    I, H, L = CFG[cfg]
    return sum(2 * 4 * H * ((I if l == 0 else H) + H) for l in range(L))
def median_ratio(a, cfg, p):
    """Median over rounds of a / (better ORT) measured in the same round."""
    rs = []
    for rr in sorted({r["_round"] for r in rows}):
        x = per_round.get((a, cfg, p, rr), 0.0)
        o = max(per_round.get(("ORT", cfg, p, rr), 0.0),
                per_round.get(("ORT spin", cfg, p, rr), 0.0))
        if x and o:
            rs.append(x / o)
    rs.sort()
    if not rs:
        return "    -"
    m = rs[len(rs) // 2] if len(rs) % 2 else (rs[len(rs) // 2 - 1] + rs[len(rs) // 2]) / 2
    return "%5.2fx" % m
def fmt(v):
    return "%9.0f" % v if v else "        -"
def ratio(a, b):
    return "%5.2fx" % (a / b) if a and b else "    -"
print("frames/s, best of the rounds, %s threads (higher is better)" %
      os.environ.get("SEQENC_BENCH_THREADS", "2"))
names = {"seqenc f32": "f32", "seqenc f32 nospin": "f32-nospin",
         "seqenc bf16": "bf16", "seqenc f16": "f16", "seqenc bf16mm": "bf16-mm",
         "ORT C-API est": "ORT-CAPI~"}
print("%-7s %-8s" % ("config", "point") + "".join("%11s" % names.get(c, c)
      for c in cols) + "  f32/ORT nospin/ORT bf16/ORT mm/ORT f32/CAPI~ f32/torch  f32/ORT(med) bf16/ORT(med) mm/ORT(med)  f32 GFLOP/s (%peak)  bf16-mm GFLOP/s")
for cfg in ["speech", "text"]:
    for p in ["b1_t1", "b1_t100", "b64_t1", "b256_t1"]:
        v = {c: best.get((c, cfg, p), 0.0) for c in cols}
        ort = max(v["ORT"], v["ORT spin"])      # the better ORT setting
        v["ORT C-API est"] = ort_capi(cfg, p, ort)
        gf = v["seqenc f32"] * flops(cfg) / 1e9
        print("%-7s %-8s" % (cfg, p) + "".join("  " + fmt(v[c]) for c in cols)
              + "   " + ratio(v["seqenc f32"], ort) + "    " +
              ratio(v["seqenc f32 nospin"], ort) + "   " +
              ratio(v["seqenc bf16"], ort) + "   " +
              ratio(v["seqenc bf16mm"], ort) + "   " +
              ratio(v["seqenc f32"], v["ORT C-API est"]) + "    " +
              ratio(v["seqenc f32"], v["PyTorch"]) + "       " +
              median_ratio("seqenc f32", cfg, p) + "        " +
              median_ratio("seqenc bf16", cfg, p) + "       " +
              median_ratio("seqenc bf16mm", cfg, p) +
              "    %6.1f (%2.0f%%)" % (gf, 100 * gf / peak) +
              "    %8.1f" % (v["seqenc bf16mm"] * flops(cfg) / 1e9))
print()
print("int8 (weights-precision=int8), frames/s, best of the rounds; targets: "
      "one stream >= 1.5x bf16 weights, 64/256 streams >= 1.3x bf16-matmul")
cpu = {}
for r in rows:
    if r.get("cpu_us_per_frame"):
        k = (label(r), r["config"], r["point"])
        cpu[k] = min(cpu.get(k, 1e18), r["cpu_us_per_frame"])
def cpu_ratio(a, b, cfg, p):
    """CPU time per frame of b over a's (best rounds): steadier than
    frames/s on a shared machine"""
    x, y = cpu.get((a, cfg, p)), cpu.get((b, cfg, p))
    return "%5.2fx" % (y / x) if x and y else "    -"
print("%-7s %-8s %9s %9s %9s %12s %12s  %10s %10s  %9s %9s" % ("config",
      "point", "bf16", "bf16-mm", "int8", "torch-int8", "(engine)",
      "int8/bf16", "int8/mm", "cpu:/bf16", "cpu:/mm"))
for cfg in ["speech", "text"]:
    for p in ["b1_t1", "b1_t100", "b64_t1", "b256_t1"]:
        v = {c: best.get((c, cfg, p), 0.0) for c in
             ["seqenc bf16", "seqenc bf16mm", "seqenc int8",
              "PyTorch int8-onednn", "PyTorch int8-qnnpack"]}
        tq, eng = max((v["PyTorch int8-onednn"], "onednn"),
                      (v["PyTorch int8-qnnpack"], "qnnpack"))
        print("%-7s %-8s %s %s %s    %s %12s  %10s %10s  %9s %9s" % (cfg,
              p, fmt(v["seqenc bf16"]), fmt(v["seqenc bf16mm"]),
              fmt(v["seqenc int8"]), fmt(tq), eng if tq else "-",
              ratio(v["seqenc int8"], v["seqenc bf16"]),
              ratio(v["seqenc int8"], v["seqenc bf16mm"]),
              cpu_ratio("seqenc int8", "seqenc bf16", cfg, p),
              cpu_ratio("seqenc int8", "seqenc bf16mm", cfg, p)))
print("cpu: = CPU time per frame of bf16 (bf16-mm) over int8's, the best "
      "round of each")
print("(med) = median over the rounds of the ratio within each round (the "
      "others compare the best round of each column)")
print("ratios are to the better of the two ORT settings at each point; "
      "ORT-CAPI~ = that ORT minus the binding's own per-call time (a "
      "pass-through model with the same tensors), an estimate of ORT's C API")
print("columns: ORT = onnxruntime-node %s, intra-op spinning off/on; seqenc "
      "f32 = default (idle workers poll 50 us, yielding, then sleep), nospin = "
      "SEQENC_SPIN_US=0; bf16/f16 = weight storage, f32 math; bf16-mm = "
      "matmul-precision bf16 (bf16 weights and activations, f32 sums: AMX "
      "tiles where the CPU has them; %%peak is of the f32 FMA peak)" % "1.30.0")
EOF

$PY - "$OUT" <<'EOF'
import json, sys
best = {}
for l in open(sys.argv[1]):
    if not l.strip().startswith("{"):
        continue
    r = json.loads(l)
    if r.get("cell") != "gru":
        continue
    name = {"seqenc": "seqenc " + r.get("tag", ""), "onnxruntime": "ORT",
            "pytorch": "PyTorch"}[r["impl"]]
    k = (name, r["config"], r["point"])
    best[k] = max(best.get(k, 0.0), r["fps"])
cols = ["ORT", "PyTorch", "seqenc f32", "seqenc bf16mm"]
def ratio(a, b):
    return "%8.2fx" % (a / b) if a and b else "        -"
print()
print("GRU (nn.GRU, the same sizes), frames/s, best of the rounds; ORT = the "
      "better of its two spinning settings")
print("%-7s %-8s" % ("config", "point") + "".join("%11s" % c.replace(
      "seqenc ", "") for c in cols) + "   f32/ORT f32/torch   mm/ORT")
for cfg in ["speech", "text"]:
    for p in ["b1_t1", "b1_t100", "b64_t1", "b256_t1"]:
        v = {c: best.get((c, cfg, p), 0.0) for c in cols}
        print("%-7s %-8s" % (cfg, p) + "".join(
              "  %9.0f" % v[c] if v[c] else "          -" for c in cols) +
              ratio(v["seqenc f32"], v["ORT"]) +
              ratio(v["seqenc f32"], v["PyTorch"]) +
              ratio(v["seqenc bf16mm"], v["ORT"]))
EOF

echo "reduced precisions, output error vs f32 (200 frames, 1 stream):"
for cfg in speech text; do
  for p in bf16 f16 bf16-matmul int8; do
    "$BENCH" "$DATA/$cfg.safetensors" $cfg --points error --precision $p
  done
done | $PY -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    print("  %-6s %-11s max |err| %.2g, mean %.2g (outputs up to %.2g)" % (
          r["config"], r["precision"], r["max_abs_err_vs_f32"],
          r["mean_abs_err_vs_f32"], r["max_abs_output"]))
'

if [ "${SEQENC_BENCH_LIVE:-0}" = 1 ]; then
  for prec in f32 bf16-matmul; do
    echo "live capacity, library batcher (speech $prec, 100 frames/s per stream, max-delay 4 ms):"
    "$BUILD/tests/bench/bench_lstm_live" "$DATA/speech.safetensors" \
      --streams 100,200,300,400 --seconds 5 --threads "$THREADS" \
      --max-delay-us 4000 --precision $prec | $PY -c '
import json, sys
print("%8s %9s %8s %8s %8s %7s %10s %6s" % ("streams", "frames/s", "p50 ms",
      "p99 ms", "max ms", "late%", "mean batch", "cpu"))
for l in sys.stdin:
    r = json.loads(l)
    print("%8d %9.0f %8.2f %8.2f %8.2f %7.2f %10.1f %6.2f" % (r["streams"],
          r["fps"], r["p50_ms"], r["p99_ms"], r["max_ms"], r["late_pct"],
          r["mean_batch"], r["cpu"]))
'
  done
  # the issue's target: live sources through the elements (audiotestsrc !
  # seqfbank ! seqlstm batch-group), the built-in speech-sized model
  echo "live capacity through the elements (speech 80/512/3, max-delay 5 ms):"
  for prec in f32 bf16-matmul; do
    for n in 200 300 400; do
      "$BUILD/tests/bench/bench_element_live" $n 10 512 3 $prec 5 | tail -n 1
    done
  done
fi
