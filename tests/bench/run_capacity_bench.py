#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Live capacity, thread runtime and n-threads, measured in one run on this
machine (issue 13, goals 2, 4 and 5). Every number is a ratio to something
measured in the same run: nothing is carried over from another CPU.

1. Capacity bound: the batched kernel (bench_lstm, speech 80/512/3, B=256,
   T=1), f32 and bf16-matmul: C = its frames/s / 100 = the streams of
   100 frames/s that the machine could carry if batching were free.
2. Library batcher (bench_lstm_live): streams at 70/85/100 % of C; kept up
   = at most 1 % of frames late and p99 added latency at most 20 ms.
3. Element path (bench_element_live: live audiotestsrc ! seqfbank ! seqlstm
   batch-group ! fakesink): streams at 60/75/90 % of C; CPU per frame beside
   the batched kernel's own CPU per frame at the same batch size.
4. Thread runtime: the pool, OpenMP (libgomp's default waiting) and OpenMP
   with OMP_WAIT_POLICY=passive, in the live element setting (75 % of C)
   and crowded (a few streams plus one busy video branch in the same
   pipeline, SEQENC_BENCH_BUSY).
5. n-threads 1 vs 2: one element alone (one live stream: latency; one
   non-live stream: frames/s), the batch-group at 75 % of C, and crowded.

usage: tests/bench/run_capacity_bench.py BUILDDIR [--seconds S] [--quick]
  needs BUILDDIR/lstm-bench/speech.safetensors (run_lstm_bench.sh or
  bench_lstm_ref.py make BUILDDIR/lstm-bench writes it)
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time


def run(cmd, env=None, timeout=600):
    e = dict(os.environ)
    e.update(env or {})
    r = subprocess.run(cmd, env=e, capture_output=True, text=True,
                       timeout=timeout)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        raise SystemExit("failed: %s" % " ".join(cmd))
    return r.stdout


def kernel_fps(a, batch, prec, threads):
    out = run([a.bench_lstm, a.weights, "speech", "--threads", str(threads),
               "--seconds", "1", "--precision", prec,
               "--points", "b%d_t1" % batch])
    r = [json.loads(l) for l in out.splitlines() if l.startswith("{")][-1]
    return r["fps"], r["kernels"], r["cpu_us_per_frame"]


def batcher(a, streams, prec, threads=2):
    out = run([a.bench_lstm_live, a.weights, "--streams", str(streams),
               "--seconds", str(a.seconds), "--threads", str(threads),
               "--max-delay-us", "4000", "--precision", prec])
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")][-1]


ELEM = re.compile(r"streams (\d+)\s+frames/s (\d+) \(min per stream ([\d.]+)/s\)"
                  r"\s+p50 ([\d.]+) ms\s+p99 ([\d.]+) ms\s+max ([\d.]+) ms\s+"
                  r"keeps-up (\w+)\s+cpu ([\d.]+) us/frame")
BUSY = re.compile(r"video frames/s ([\d.]+)")


def element(a, streams, prec="f32", threads=2, env=None, max_batch=256):
    out = run([a.bench_element_live, str(streams), str(a.seconds), "512", "3",
               prec, "4", str(threads), str(max_batch)], env=env)
    m = ELEM.search(out)
    if m is None:
        raise SystemExit("unexpected output: " + out)
    b = BUSY.search(out)
    return {"streams": int(m[1]), "fps": int(m[2]), "min_fps": float(m[3]),
            "p50": float(m[4]), "p99": float(m[5]), "max": float(m[6]),
            "keeps_up": m[7] == "yes", "cpu_us": float(m[8]),
            "busy_fps": float(b[1]) if b else None}


def one_file_stream(a, threads, env=None, frames=3000):
    """One non-live element: frames/s of audiotestsrc ! seqfbank ! seqlstm
    (1 frame per buffer as a live source sends them), the process's start
    (plugin loading, the built-in model's seeded weights) measured with 1
    buffer and taken off."""
    e = {"GST_PLUGIN_PATH_1_0": a.plugins, "GST_REGISTRY_1_0":
         os.path.join(a.build, "capacity-registry.bin")}
    e.update(env or {})

    def timed(n):
        desc = ("audiotestsrc num-buffers=%d samplesperbuffer=160 "
                "wave=pink-noise ! audio/x-raw,format=S16LE,rate=16000,"
                "channels=1 ! seqfbank ! seqlstm hidden-size=512 num-layers=3 "
                "n-threads=%d ! fakesink sync=false" % (n, threads))
        t0 = time.time()
        run(["gst-launch-1.0", "-q"] + desc.split(), env=e)
        return time.time() - t0
    start = min(timed(1), timed(1))
    return (frames - 1) / max(1e-3, timed(frames) - start)


def busy_env(extra=None):
    e = {"SEQENC_BENCH_BUSY": "1"}
    e.update(extra or {})
    return e


RUNTIMES = [("pool", {}),
            ("OpenMP (default wait)", {"SEQENC_THREADS": "openmp"}),
            ("OpenMP passive", {"SEQENC_THREADS": "openmp",
                                "OMP_WAIT_POLICY": "passive"})]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--seconds", type=int, default=6)
    ap.add_argument("--crowded-streams", type=int, default=20)
    ap.add_argument("--json", help="also write every measurement here")
    ap.add_argument("--quick", action="store_true",
                    help="sections 1-3 only (the bound, the library batcher, "
                    "the element path)")
    a = ap.parse_args()
    a.build = os.path.abspath(a.build)
    a.bench_lstm = os.path.join(a.build, "tests/bench/bench_lstm")
    a.bench_lstm_live = os.path.join(a.build, "tests/bench/bench_lstm_live")
    a.bench_element_live = os.path.join(a.build, "tests/bench/bench_element_live")
    a.weights = os.path.join(a.build, "lstm-bench/speech.safetensors")
    a.plugins = os.path.join(a.build, "plugins")
    if not os.path.exists(a.weights):
        raise SystemExit("no %s: /usr/bin/python3 tests/bench/bench_lstm_ref.py "
                         "make %s/lstm-bench" % (a.weights, a.build))
    cpu = run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"]).strip()
    res = {"cpu": cpu, "nproc": os.cpu_count()}
    print("CPU: %s, %d cores; every row measured in this run" % (cpu, os.cpu_count()))

    # 1. the bound
    for prec in ["f32", "bf16-matmul"]:
        fps, ks, _ = kernel_fps(a, 256, prec, 2)
        res["kernel_b256_" + prec] = fps
        print("batched kernel %s B=256 (2 threads, %s): %.0f frames/s = %d "
              "streams of 100 frames/s" % (prec, ks, fps, fps / 100))

    # 2. library batcher
    print("\n| library batcher | streams | % of B=256 | late % | p99 ms | mean batch | kept up |")
    print("|---|---|---|---|---|---|---|")
    for prec in ["f32", "bf16-matmul"]:
        C = res["kernel_b256_" + prec] / 100
        for f in [0.70, 0.85, 1.00]:
            n = int(C * f)
            r = batcher(a, n, prec)
            ok = r["late_pct"] <= 1.0 and r["p99_ms"] <= 20.0
            res.setdefault("batcher", []).append(dict(r, precision=prec, frac=f))
            print("| %s | %d | %d %% | %.2f | %.1f | %.1f | %s |" % (
                prec, n, round(100 * f), r["late_pct"], r["p99_ms"],
                r["mean_batch"], "yes" if ok else "no"))

    # 3. element path, f32
    C = res["kernel_b256_f32"] / 100
    print("\n| element path f32 | streams | % of B=256 | frames/s | p99 ms | kept up "
          "| CPU us/frame | kernel CPU us/frame at that batch | ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for f in [0.60, 0.75, 0.90]:
        n = int(C * f)
        r = element(a, n)
        _, _, kcpu = kernel_fps(a, n, "f32", 2)
        res.setdefault("element", []).append(dict(r, frac=f, kernel_cpu_us=kcpu))
        print("| f32 | %d | %d %% | %d | %.1f | %s | %.0f | %.0f | %.2f |" % (
            n, round(100 * f), r["fps"], r["p99"], "yes" if r["keeps_up"] else "no",
            r["cpu_us"], kcpu, r["cpu_us"] / kcpu))

    if a.quick:
        write_json(a, res)
        return

    # 4. runtimes
    n = int(C * 0.75)
    print("\n| runtime | live: %d streams frames/s | p99 ms | kept up | CPU us/frame "
          "| crowded: %d streams + busy branch, min frames/s per stream | p99 ms "
          "| busy video frames/s |" % (n, a.crowded_streams))
    print("|---|---|---|---|---|---|---|---|")
    for name, env in RUNTIMES:
        r = element(a, n, env=env)
        c = element(a, a.crowded_streams, env=busy_env(env))
        res.setdefault("runtime", []).append({"runtime": name, "live": r, "crowded": c})
        print("| %s | %d | %.1f | %s | %.0f | %.1f | %.1f | %.0f |" % (
            name, r["fps"], r["p99"], "yes" if r["keeps_up"] else "no",
            r["cpu_us"], c["min_fps"], c["p99"], c["busy_fps"]))

    # 5. n-threads
    print("\n| n-threads | one live stream p50 / p99 ms | one file stream frames/s "
          "| crowded file stream frames/s | batch-group %d streams: frames/s, p99 ms, kept up "
          "| crowded %d streams: min frames/s per stream, p99 ms |" % (n, a.crowded_streams))
    print("|---|---|---|---|---|---|")
    for nt in [1, 2]:
        one = element(a, 1, threads=nt, max_batch=1)
        ff = one_file_stream(a, nt)
        busy = subprocess.Popen(["gst-launch-1.0", "-q", "videotestsrc",
                                 "pattern=snow", "!", "video/x-raw,width=640,height=360",
                                 "!", "videoconvert", "!", "video/x-raw,format=RGB",
                                 "!", "fakesink", "sync=false"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            fc = one_file_stream(a, nt)
        finally:
            busy.kill()
            busy.wait()
        g = element(a, n, threads=nt)
        c = element(a, a.crowded_streams, threads=nt, env=busy_env())
        res.setdefault("n_threads", []).append({"n_threads": nt, "one_live": one,
                                                "file_fps": ff, "file_fps_crowded": fc,
                                                "group": g, "crowded": c})
        print("| %d | %.2f / %.2f | %.0f | %.0f | %d, %.1f, %s | %.1f, %.1f |" % (
            nt, one["p50"], one["p99"], ff, fc, g["fps"], g["p99"],
            "yes" if g["keeps_up"] else "no", c["min_fps"], c["p99"]))
    write_json(a, res)


def write_json(a, res):
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
