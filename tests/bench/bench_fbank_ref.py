#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Reference side of the fbank benchmark (run_fbank_bench.sh).

  bench_fbank_ref.py make WAV OUT.s16 SECONDS
      tiles the 16-bit mono WAV to SECONDS of headerless int16 (both sides
      read this file) and the same as OUT.wav; prints its rate.
  bench_fbank_ref.py element OUT.wav RATE SECONDS
      real-time factor of the seqfbank element in gst-launch-1.0.
  bench_fbank_ref.py torch AUDIO.s16 RATE [--threads N] [--seconds S]
      real-time factor of torchaudio.compliance.kaldi.fbank on the whole
      signal (its only mode: it is not streaming), the same options as
      seqenc's defaults (80 bins, dither 0, energy_floor 0), repeated for at
      least S seconds; one JSON line.
"""
import json
import sys
import time
import wave

import numpy as np


def make(wav, out, seconds):
    with wave.open(wav, "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    n = int(seconds * rate)
    reps = -(-n // len(x))
    y = np.tile(x, reps)[:n].astype("<i2")
    y.tofile(out)
    with wave.open(out[:-4] + ".wav", "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(y.tobytes())
    print(rate)


def bench_torch(path, rate, threads, seconds):
    import torch
    import torchaudio
    import torchaudio.compliance.kaldi as kaldi
    torch.set_num_threads(threads)
    x = np.fromfile(path, dtype="<i2").astype(np.float32)
    wav = torch.from_numpy(x).unsqueeze(0)
    kw = dict(sample_frequency=float(rate), num_mel_bins=80, dither=0.0,
              energy_floor=0.0)
    with torch.inference_mode():
        feats = kaldi.fbank(wav, **kw)  # warm-up
        t0 = time.perf_counter()
        passes = 0
        while True:
            feats = kaldi.fbank(wav, **kw)
            passes += 1
            t1 = time.perf_counter()
            if t1 - t0 >= seconds:
                break
    audio_s = len(x) / rate
    frames = feats.shape[0] * passes
    print(json.dumps({"impl": "torchaudio", "tag": "threads=%d" % threads,
                      "chunk": 0, "rate": rate, "mel_bins": 80,
                      "audio_s": round(audio_s, 3), "passes": passes,
                      "rtf": round(passes * audio_s / (t1 - t0), 1),
                      "fps": round(frames / (t1 - t0)),
                      "us_per_frame": round((t1 - t0) * 1e6 / frames, 3),
                      "versions": "torch %s, torchaudio %s" % (
                          torch.__version__, torchaudio.__version__)}))


def bench_element(wav, rate, audio_s):
    """The element in a pipeline, parsing included (an upper bound on its
    cost): gst-launch-1.0 filesrc ! wavparse ! seqfbank ! fakesink."""
    import subprocess
    cmd = ["gst-launch-1.0", "-q", "filesrc", "location=" + wav, "!", "wavparse", "!",
           "seqfbank", "!", "fakesink"]
    base = ["gst-launch-1.0", "-q", "filesrc", "location=" + wav, "!", "wavparse", "!",
            "fakesink"]
    times = {}
    for name, c in (("pipeline", cmd), ("baseline", base)):
        best = None
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(c, check=True)
            t = time.perf_counter() - t0
            best = t if best is None else min(best, t)
        times[name] = best
    print(json.dumps({"impl": "seqfbank element", "tag": "gst-launch, parsing included",
                      "chunk": -1, "rate": rate, "mel_bins": 80, "audio_s": audio_s,
                      "passes": 1, "rtf": round(audio_s / times["pipeline"], 1),
                      "baseline_s": round(times["baseline"], 3),
                      "pipeline_s": round(times["pipeline"], 3)}))


def main():
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3], float(sys.argv[4]))
        return
    if sys.argv[1] == "element":
        bench_element(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
        return
    path, rate = sys.argv[2], int(sys.argv[3])
    threads, seconds = 1, 1.0
    args = sys.argv[4:]
    for i in range(0, len(args) - 1, 2):
        if args[i] == "--threads":
            threads = int(args[i + 1])
        elif args[i] == "--seconds":
            seconds = float(args[i + 1])
    bench_torch(path, rate, threads, seconds)


if __name__ == "__main__":
    main()
