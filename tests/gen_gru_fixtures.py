#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Golden fixtures for tests/test_gru.c, computed with PyTorch nn.GRU.

Each tests/data/gru_<case>.safetensors holds
  - the model's state_dict under a prefix ("gru.", "encoder.rnn." or none),
    exactly as torch names it (weight_ih_l0, weight_hh_l0, bias_ih_l0, ...);
  - test.input  [T, B, I]   the frames (time-major, as the C API);
  - test.h0     [L, B, H]   initial state (zeros or random);
  - test.output [T, B, W]   PyTorch's output; W = H, or L*H for the
                            all-layers case (layer outputs concatenated,
                            computed by running the layers one by one);
  - test.h_n    [L, B, H]   final state.
Metadata: prefix, t1 (the first call's length when the reference itself ran
the sequence as two calls with the state carried over; 0 otherwise),
all_layers ("0"/"1").

Beside each case, tests/data/gru_<case>_bf16mm.safetensors holds the same
weights, input and initial state with the reference of the bf16 matmul
precision: both operands of every matrix product rounded to bf16 (torch's
.to(torch.bfloat16)), the products summed exactly (float64) with the bias
before one rounding to f32 (gi = b_ih + x W_ih, gh = b_hh + h W_hh), gate
math and state in f32 with torch's sigmoid/tanh, as nn.GRU combines them.

safetensors is written by hand (as tests/gen_lstm_fixtures.py does).

Run: /usr/bin/python3 tests/gen_gru_fixtures.py [outdir]
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_lstm_fixtures import write_safetensors  # noqa: E402


def layer_outputs(gru, x, h0):
    """Runs the layers of @gru one at a time; returns [per-layer outputs]."""
    outs = []
    inp = x
    for k in range(gru.num_layers):
        single = torch.nn.GRU(inp.shape[-1], gru.hidden_size, 1,
                              bias=gru.bias)
        sd = {}
        for n in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]:
            src = getattr(gru, "%s_l%d" % (n, k), None)
            if src is not None:
                sd["%s_l0" % n] = src
        single.load_state_dict(sd)
        y, _ = single(inp, h0[k:k + 1])
        outs.append(y)
        inp = y
    return outs


def bf16mm_reference(gru, x, h0):
    """The bf16-matmul GRU (see the module doc): per-layer outputs, h_n."""
    def bf(t):
        return t.to(torch.bfloat16).to(torch.float64)

    L, H = gru.num_layers, gru.hidden_size
    h = [h0[k].clone() for k in range(L)]
    outs = [[] for _ in range(L)]
    for t in range(x.shape[0]):
        inp = x[t]
        for k in range(L):
            w_ih = bf(getattr(gru, "weight_ih_l%d" % k))
            w_hh = bf(getattr(gru, "weight_hh_l%d" % k))
            if gru.bias:
                b_ih = getattr(gru, "bias_ih_l%d" % k).to(torch.float64)
                b_hh = getattr(gru, "bias_hh_l%d" % k).to(torch.float64)
            else:
                b_ih = b_hh = torch.zeros(3 * H, dtype=torch.float64)
            gi = (b_ih + bf(inp) @ w_ih.T).to(torch.float32)
            gh = (b_hh + bf(h[k]) @ w_hh.T).to(torch.float32)
            i_r, i_z, i_n = gi.split(H, -1)
            h_r, h_z, h_n = gh.split(H, -1)
            r = torch.sigmoid(i_r + h_r)
            z = torch.sigmoid(i_z + h_z)
            n = torch.tanh(i_n + r * h_n)
            h[k] = (1 - z) * n + z * h[k]
            outs[k].append(h[k])
            inp = h[k]
    outs = [torch.stack(o, 0) for o in outs]
    return outs, torch.stack(h, 0)


def make_case(name, I, H, L, T, B, bias=True, prefix="gru.", t1=0,
              all_layers=False, random_state=False, outdir="."):
    torch.manual_seed(len(name) * 7919 + I)  # fixed per case
    gru = torch.nn.GRU(I, H, L, bias=bias)
    x = torch.randn(T, B, I)
    h0 = torch.randn(L, B, H) * 0.5 if random_state else torch.zeros(L, B, H)
    with torch.no_grad():
        if t1:
            y1, h1 = gru(x[:t1], h0)
            y2, hn = gru(x[t1:], h1)
            y = torch.cat([y1, y2], 0)
        else:
            y, hn = gru(x, h0)
        if all_layers:
            outs = layer_outputs(gru, x, h0)
            assert torch.allclose(outs[-1], y, atol=1e-6)
            y = torch.cat(outs, -1)
    tensors = {}
    for k, v in gru.state_dict().items():
        tensors[prefix + k] = v
    tensors["test.input"] = x
    tensors["test.h0"] = h0
    tensors["test.output"] = y
    tensors["test.h_n"] = hn
    meta = {"prefix": prefix, "t1": str(t1),
            "all_layers": "1" if all_layers else "0",
            "generator": "tests/gen_gru_fixtures.py, torch %s" %
            torch.__version__}
    write_safetensors(os.path.join(outdir, "gru_%s.safetensors" % name),
                      tensors, meta)

    with torch.no_grad():
        outs, hn = bf16mm_reference(gru, x, h0)
    tensors["test.output"] = torch.cat(outs, -1) if all_layers else outs[-1]
    tensors["test.h_n"] = hn
    meta["reference"] = "bf16-matmul: bf16 operands, exact sums, f32 gates"
    write_safetensors(os.path.join(outdir, "gru_%s_bf16mm.safetensors" %
                                   name), tensors, meta)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "data")
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)
    # odd sizes, one layer, prefix "gru."
    make_case("basic", I=5, H=7, L=1, T=9, B=3, outdir=outdir)
    # no bias, two layers, no prefix at all
    make_case("nobias_2l", I=13, H=20, L=2, T=11, B=2, bias=False, prefix="",
              outdir=outdir)
    # three layers, deep prefix, non-zero initial state, H not a multiple
    # of 16
    make_case("deep_3l", I=8, H=33, L=3, T=10, B=2, prefix="encoder.rnn.",
              random_state=True, outdir=outdir)
    # all-layers output
    make_case("all_layers", I=16, H=64, L=3, T=12, B=4, all_layers=True,
              outdir=outdir)
    # the reference itself ran two calls with the state carried across
    make_case("two_calls", I=40, H=50, L=2, T=13, B=2, t1=6, outdir=outdir)


if __name__ == "__main__":
    main()
