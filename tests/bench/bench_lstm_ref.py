#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Reference side of the LSTM (and GRU) benchmark (run by run_lstm_bench.sh).

  bench_lstm_ref.py make DIR      writes DIR/{speech,text}.safetensors (nn.LSTM
                                  state_dict, PyTorch's own init, seed 0) and
                                  DIR/{speech,text}.onnx (torch.onnx.export of
                                  the same module: one ONNX LSTM node per layer,
                                  gates reordered iofc by the exporter); the
                                  same for nn.GRU of the same sizes in
                                  DIR/gru_{speech,text}.{safetensors,onnx}
                                  (ONNX GRU nodes, linear_before_reset=1 as
                                  nn.GRU's b_hn inside the reset product)
  bench_lstm_ref.py torch DIR [--threads N] [--seconds S] [--points ...]
                                  [--cell lstm|gru] [--int8 ENGINE]
                                  frames/s of nn.LSTM (nn.GRU) on the same
                                  weights, one JSON object per point; with
                                  --int8 qnnpack|onednn, of the LSTM made int8
                                  by torch.ao.quantization.quantize_dynamic
                                  (per-channel weights: per_channel_dynamic_
                                  qconfig) on that quantized engine

Configs: speech = in 80, hidden 512, 3 layers; text = in 256, hidden 256,
2 layers. Points as in bench_lstm.c (bN_tT: N streams, T frames per call,
state fed back between calls).
"""
import argparse
import json
import os
import struct
import sys
import time

import torch

CONFIGS = {"speech": (80, 512, 3), "text": (256, 256, 2)}
DEFAULT_POINTS = "b1_t1,b1_t100,b64_t1,b256_t1"


def write_safetensors(path, tensors):
    header = {}
    blobs = []
    off = 0
    for name, t in tensors.items():
        raw = t.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    hjson = json.dumps(header, separators=(",", ":")).encode()
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    import numpy as np
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        out[name] = torch.from_numpy(
            np.frombuffer(data[b:e], dtype="<f4").reshape(info["shape"]).copy())
    return out


def make_module(cfg, cell="lstm"):
    I, H, L = CONFIGS[cfg]
    return (torch.nn.GRU if cell == "gru" else torch.nn.LSTM)(I, H, L)


class Stepper(torch.nn.Module):
    """nn.LSTM with explicit state inputs/outputs, for the ONNX export."""

    def __init__(self, lstm):
        super().__init__()
        self.lstm = lstm

    def forward(self, x, h0, c0):
        y, (h, c) = self.lstm(x, (h0, c0))
        return y, h, c


class GruStepper(torch.nn.Module):
    """nn.GRU with explicit state input/output, for the ONNX export."""

    def __init__(self, gru):
        super().__init__()
        self.gru = gru

    def forward(self, x, h0):
        y, h = self.gru(x, h0)
        return y, h


class Parent(torch.nn.Module):
    """quantize_dynamic swaps child modules only: the LSTM as a child."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x, h):
        return self.rnn(x, h)


class Passthrough(torch.nn.Module):
    """Same inputs/outputs as Stepper, almost no work: measures what one
    session.run costs through the Node binding (copies, promise, threads)."""

    def forward(self, x, h0, c0):
        return x * 1.0, h0 * 1.0, c0 * 1.0


def cmd_make(d):
    os.makedirs(d, exist_ok=True)
    for cfg in CONFIGS:
        torch.manual_seed(0)
        lstm = make_module(cfg)
        I, H, L = CONFIGS[cfg]
        write_safetensors(os.path.join(d, cfg + ".safetensors"),
                          {"lstm." + k: v for k, v in lstm.state_dict().items()})
        x = torch.randn(2, 3, I)
        h0 = torch.zeros(L, 3, H)
        c0 = torch.zeros(L, 3, H)
        torch.onnx.export(Stepper(lstm).eval(), (x, h0, c0),
                          os.path.join(d, cfg + ".onnx"),
                          input_names=["x", "h0", "c0"],
                          output_names=["y", "hn", "cn"],
                          dynamic_axes={"x": {0: "T", 1: "B"},
                                        "h0": {1: "B"}, "c0": {1: "B"},
                                        "y": {0: "T", 1: "B"},
                                        "hn": {1: "B"}, "cn": {1: "B"}},
                          opset_version=14)
        torch.manual_seed(0)
        gru = make_module(cfg, "gru")
        write_safetensors(os.path.join(d, "gru_" + cfg + ".safetensors"),
                          {"gru." + k: v for k, v in gru.state_dict().items()})
        torch.onnx.export(GruStepper(gru).eval(), (x, h0),
                          os.path.join(d, "gru_" + cfg + ".onnx"),
                          input_names=["x", "h0"],
                          output_names=["y", "hn"],
                          dynamic_axes={"x": {0: "T", 1: "B"},
                                        "h0": {1: "B"},
                                        "y": {0: "T", 1: "B"},
                                        "hn": {1: "B"}},
                          opset_version=14)
    torch.onnx.export(Passthrough().eval(), (x, h0, c0),
                      os.path.join(d, "passthrough.onnx"),
                      input_names=["x", "h0", "c0"],
                      output_names=["y", "hn", "cn"],
                      dynamic_axes={"x": {0: "T", 1: "B", 2: "I"},
                                    "h0": {0: "L", 1: "B", 2: "H"},
                                    "c0": {0: "L", 1: "B", 2: "H"},
                                    "y": {0: "T", 1: "B", 2: "I"},
                                    "hn": {0: "L", 1: "B", 2: "H"},
                                    "cn": {0: "L", 1: "B", 2: "H"}},
                      opset_version=14)


def cmd_torch(d, threads, seconds, points, cell, int8=None):
    torch.set_num_threads(threads)
    if int8:
        torch.backends.quantized.engine = int8
    prefix = "gru_" if cell == "gru" else ""
    for cfg in CONFIGS:
        I, H, L = CONFIGS[cfg]
        rnn = make_module(cfg, cell)
        sd = read_safetensors(os.path.join(d, prefix + cfg + ".safetensors"))
        rnn.load_state_dict({k[len(cell) + 1:]: v for k, v in sd.items()})
        rnn.eval()
        precision = "f32"
        if int8:
            rnn = torch.ao.quantization.quantize_dynamic(
                Parent(rnn), {type(rnn):
                              torch.ao.quantization.per_channel_dynamic_qconfig},
                dtype=torch.qint8)
            assert "quantized" in type(rnn.rnn).__module__
            precision = "int8-" + int8
        for p in points.split(","):
            B, T = (int(v) for v in p[1:].split("_t"))
            g = torch.Generator().manual_seed(1)
            x = torch.rand(T, B, I, generator=g) * 2 - 1
            h = torch.zeros(L, B, H)
            if cell == "lstm":
                h = (h, torch.zeros(L, B, H))
            with torch.inference_mode():
                t0 = time.perf_counter()
                while time.perf_counter() - t0 < 0.1:
                    y, h = rnn(x, h)
                frames = 0
                calls = 0
                t0 = time.perf_counter()
                while True:
                    for _ in range(10):
                        y, h = rnn(x, h)
                    calls += 10
                    frames += 10 * B * T
                    t1 = time.perf_counter()
                    if t1 - t0 >= seconds:
                        break
            print(json.dumps({"impl": "pytorch", "cell": cell,
                              "tag": "torch %s" % torch.__version__,
                              "config": cfg, "point": p, "precision": precision,
                              "threads": threads, "fps": round(frames / (t1 - t0), 1),
                              "calls": calls}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["make", "torch"])
    ap.add_argument("dir")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--points", default=DEFAULT_POINTS)
    ap.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    ap.add_argument("--int8", choices=["qnnpack", "onednn"], default=None)
    a = ap.parse_args()
    if a.cmd == "make":
        cmd_make(a.dir)
    else:
        cmd_torch(a.dir, a.threads, a.seconds, a.points, a.cell, a.int8)


if __name__ == "__main__":
    sys.exit(main())
