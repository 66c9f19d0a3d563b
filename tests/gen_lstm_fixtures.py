#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Golden fixtures for tests/test_lstm.c, computed with PyTorch nn.LSTM.

Each tests/data/lstm_<case>.safetensors holds
  - the model's state_dict under a prefix ("lstm.", "encoder.rnn." or none),
    exactly as torch names it (weight_ih_l0, ..., weight_hr_l0 with proj_size);
  - test.input  [T, B, I]        the frames (time-major, as the C API);
  - test.h0, test.c0 [L, B, O/H] initial state (zeros or random);
  - test.output [T, B, W]        PyTorch's output; W = O, or L*O for the
                                 all-layers case (layer outputs concatenated,
                                 computed by running the layers one by one);
  - test.h_n, test.c_n           final states.
Metadata: prefix, t1 (the first call's length when the reference itself ran
the sequence as two calls with the state carried over; 0 otherwise),
all_layers ("0"/"1").

Beside each case, tests/data/lstm_<case>_bf16mm.safetensors holds the same
weights, input and initial state with the reference of the "bf16-matmul"
precision: the same LSTM with both operands of every matrix product rounded
to bf16 (round to nearest even, torch's .to(torch.bfloat16)) and the
products summed exactly (float64) before one rounding to f32; biases
(b_ih + b_hh summed in f32), gate math and state in f32 with torch's
sigmoid/tanh. That is the math of torch.set_float32_matmul_precision
("medium") and of AMX TDPBF16PS, up to the order of the f32 sums.

safetensors is written by hand (8-byte LE header length, JSON header, raw
little-endian data) since the safetensors package is not installed.

Run: /usr/bin/python3 tests/gen_lstm_fixtures.py [outdir]
"""
import json
import os
import struct
import sys

import torch


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs = []
    off = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().to(torch.float32)
        raw = t.numpy().astype("<f4").tobytes()
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


def layer_outputs(lstm, x, h0, c0):
    """Runs the layers of @lstm one at a time; returns [per-layer outputs]."""
    outs = []
    inp = x
    for k in range(lstm.num_layers):
        single = torch.nn.LSTM(inp.shape[-1], lstm.hidden_size, 1,
                               bias=lstm.bias, proj_size=lstm.proj_size)
        sd = {}
        for n in ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"]:
            src = getattr(lstm, "%s_l%d" % (n, k), None)
            if src is not None:
                sd["%s_l0" % n] = src
        single.load_state_dict(sd)
        y, _ = single(inp, (h0[k:k + 1], c0[k:k + 1]))
        outs.append(y)
        inp = y
    return outs


def bf16mm_reference(lstm, x, h0, c0, t1=0):
    """The bf16-matmul LSTM (see the module doc): returns y, h_n, c_n and the
    per-layer outputs."""
    def bf(t):
        return t.to(torch.bfloat16).to(torch.float64)

    L, H, P = lstm.num_layers, lstm.hidden_size, lstm.proj_size
    T = x.shape[0]
    h = [h0[k].clone() for k in range(L)]
    c = [c0[k].clone() for k in range(L)]
    outs = [[] for _ in range(L)]
    for t in range(T):
        inp = x[t]
        for k in range(L):
            w_ih = bf(getattr(lstm, "weight_ih_l%d" % k))
            w_hh = bf(getattr(lstm, "weight_hh_l%d" % k))
            if lstm.bias:
                b = (getattr(lstm, "bias_ih_l%d" % k) +
                     getattr(lstm, "bias_hh_l%d" % k)).to(torch.float64)
            else:
                b = torch.zeros(4 * H, dtype=torch.float64)
            g = (b + bf(inp) @ w_ih.T + bf(h[k]) @ w_hh.T).to(torch.float32)
            i, f, gg, o = g.split(H, -1)
            i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)
            gg = torch.tanh(gg)
            c[k] = f * c[k] + i * gg
            hk = o * torch.tanh(c[k])
            if P:
                w_hr = bf(getattr(lstm, "weight_hr_l%d" % k))
                hk = (bf(hk) @ w_hr.T).to(torch.float32)
            h[k] = hk
            outs[k].append(hk)
            inp = hk
    outs = [torch.stack(o, 0) for o in outs]
    return outs[-1], torch.stack(h, 0), torch.stack(c, 0), outs


def make_case(name, I, H, L, T, B, bias=True, proj=0, prefix="lstm.",
              t1=0, all_layers=False, random_state=False, outdir="."):
    torch.manual_seed(len(name) * 1009 + I)  # fixed per case
    lstm = torch.nn.LSTM(I, H, L, bias=bias, proj_size=proj)
    O = proj if proj else H
    x = torch.randn(T, B, I)
    if random_state:
        h0 = torch.randn(L, B, O) * 0.5
        c0 = torch.randn(L, B, H) * 0.5
    else:
        h0 = torch.zeros(L, B, O)
        c0 = torch.zeros(L, B, H)
    with torch.no_grad():
        if t1:
            y1, (h1, c1) = lstm(x[:t1], (h0, c0))
            y2, (hn, cn) = lstm(x[t1:], (h1, c1))
            y = torch.cat([y1, y2], 0)
        else:
            y, (hn, cn) = lstm(x, (h0, c0))
        if all_layers:
            outs = layer_outputs(lstm, x, h0, c0)
            assert torch.allclose(outs[-1], y, atol=1e-6)
            y = torch.cat(outs, -1)
    tensors = {}
    for k, v in lstm.state_dict().items():
        tensors[prefix + k] = v
    tensors["test.input"] = x
    tensors["test.h0"] = h0
    tensors["test.c0"] = c0
    tensors["test.output"] = y
    tensors["test.h_n"] = hn
    tensors["test.c_n"] = cn
    meta = {"prefix": prefix, "t1": str(t1),
            "all_layers": "1" if all_layers else "0",
            "generator": "tests/gen_lstm_fixtures.py, torch %s" % torch.__version__}
    write_safetensors(os.path.join(outdir, "lstm_%s.safetensors" % name),
                      tensors, meta)

    with torch.no_grad():
        y, hn, cn, outs = bf16mm_reference(lstm, x, h0, c0)
    if all_layers:
        y = torch.cat(outs, -1)
    tensors["test.output"] = y
    tensors["test.h_n"] = hn
    tensors["test.c_n"] = cn
    meta["reference"] = "bf16-matmul: bf16 operands, exact sums, f32 gates"
    write_safetensors(os.path.join(outdir, "lstm_%s_bf16mm.safetensors" %
                                   name), tensors, meta)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "data")
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)
    # odd sizes, one layer, prefix "lstm."
    make_case("basic", I=5, H=7, L=1, T=9, B=3, outdir=outdir)
    # no bias, two layers, no prefix at all
    make_case("nobias_2l", I=13, H=20, L=2, T=11, B=2, bias=False, prefix="",
              outdir=outdir)
    # projection, three layers, deep prefix, non-zero initial state
    make_case("proj_3l", I=8, H=33, L=3, T=10, B=2, proj=17,
              prefix="encoder.rnn.", random_state=True, outdir=outdir)
    # all-layers output
    make_case("all_layers", I=16, H=64, L=3, T=12, B=4, all_layers=True,
              outdir=outdir)
    # the reference itself ran two calls with the state carried across
    make_case("two_calls", I=40, H=50, L=2, T=13, B=2, t1=6, outdir=outdir)


if __name__ == "__main__":
    main()
