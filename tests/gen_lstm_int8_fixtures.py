#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Golden fixture for the int8 LSTM (tests/test_lstm_int8.c): a numpy
reference of exactly the quantization scheme of SEQ_PRECISION_INT8
(include/seqenc/recurrent.h, lib/kernels/packed.h, lib/kernels/kernels.h):

  weights, per row n of W_ih / W_hh (one gate of one hidden unit):
      s_w[n] = max_k |W[n][k]| / 127                       (f32)
      q_w[n][k] = clip (rint (W[n][k] / s_w[n]), -127, 127)  (0 if s_w = 0)
  activations, per row (one stream's x_t, or h_{t-1}, of one layer):
      s_a = max_k |a[k]| / 127;  q_a[k] = clip (rint (a[k] / s_a), -127, 127)
  gates = fmaf (acc_hh, s_h * s_whh, fmaf (acc_ih, s_x * s_wih, b_ih + b_hh))
      with acc = the exact integer dot product q_a . q_w[n]
  then the f32 gate math of lib/kernels/gates.h (Cephes-style exp), c and h
  in f32.

numpy has no fmaf: a * b + c is computed in float64 (a * b is exact there)
and rounded once to f32, which equals fmaf except in rare double-rounding
cases; the C output is compared with a tolerance of a few f32 ulps of the
gate values (test_lstm_int8.c says how much).

The model is PyTorch nn.LSTM's default initialisation (torch.manual_seed),
so the weights look like a real model's; the inputs are N(0, 1) frames of
3 streams with a random initial state. Layer sizes that are not multiples
of 16 or of 4 exercise the padding.

Output: tests/data/lstm_int8.safetensors, the state_dict under "lstm." and
test.input [T, B, I], test.h0 / test.c0 [L, B, H], test.output [T, B, H]
(last layer), test.h_n / test.c_n; and tests/data/gru_int8.safetensors, the
same for an nn.GRU under "gru." (no c), whose int8 step is, with b_ih and
b_hh in their own products as PyTorch keeps b_hn inside the reset product:
  gx = fmaf (acc_ih, s_x * s_wih, b_ih);  gh = fmaf (acc_hh, s_h * s_whh, b_hh)
  r = sigmoid (gx_r + gh_r);  z = sigmoid (gx_z + gh_z)
  n = tanh (fmaf (r, gh_n, gx_n));  h = fmaf (z, h - n, n)

Run: /usr/bin/python3 tests/gen_lstm_int8_fixtures.py [outdir]
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_lstm_fixtures import write_safetensors  # noqa: E402

F = np.float32

# gates.h constants
EXP_HI = F(88.3762626647949)
EXP_LO = F(-87.3365447505531)
LOG2E = F(1.44269504088896341)
C1 = F(0.693359375)
C2 = F(-2.12194440e-4)
P = [F(1.9875691500E-4), F(1.3981999507E-3), F(8.3334519073E-3),
     F(4.1665795894E-2), F(1.6666665459E-1), F(5.0000001201E-1)]


def fmaf(a, b, c):
    """f32 fused multiply-add: exact product in float64, one rounding."""
    return (np.asarray(a, np.float64) * np.asarray(b, np.float64)
            + np.asarray(c, np.float64)).astype(F)


def exp_f(x):
    x = np.minimum(np.maximum(x.astype(F), EXP_LO), EXP_HI)
    n = np.rint((x * LOG2E).astype(F)).astype(F)
    r = fmaf(n, -C1, x)
    r = fmaf(n, -C2, r)
    p = np.full_like(r, P[0])
    for c in P[1:]:
        p = fmaf(p, r, c)
    y = fmaf(p, (r * r).astype(F), r)
    y = (y + F(1)).astype(F)
    return (y * np.ldexp(F(1), n.astype(np.int32)).astype(F)).astype(F)


def sigmoid_f(x):
    return (F(1) / (F(1) + exp_f((F(0) - x).astype(F)))).astype(F)


def tanh_f(x):
    return (F(2) / (F(1) + exp_f((F(-2) * x).astype(F))) - F(1)).astype(F)


def quant_weight(w):
    """[N][K] f32 -> (q int64 [N][K], s f32 [N])"""
    s = (np.abs(w).max(axis=1) / F(127)).astype(F)
    q = np.zeros(w.shape, np.int64)
    nz = s > 0
    q[nz] = np.clip(np.rint((w[nz] / s[nz, None]).astype(F)), -127, 127)
    return q, s


def quant_rows(a):
    """[M][K] f32 -> (q int64 [M][K], s f32 [M])"""
    return quant_weight(a)


def qlinear(a, qw, sw, init):
    """init + dequantized (a W^T) as the kernels compute it"""
    qa, sa = quant_rows(a)
    acc = (qa @ qw.T).astype(np.int32).astype(F)        # exact integers
    scale = (sa[:, None] * sw[None, :]).astype(F)
    return fmaf(acc, scale, init)


def lstm_int8(params, x, h0, c0):
    """params: per layer (w_ih, w_hh, b_ih, b_hh) as f32 numpy;
    x [T][B][I]; h0, c0 [L][B][H]. Returns (out [T][B][H], h_n, c_n)."""
    T, B, _ = x.shape
    L = len(params)
    H = h0.shape[2]
    h = h0.copy()
    c = c0.copy()
    inp = x
    for l, (w_ih, w_hh, b_ih, b_hh) in enumerate(params):
        qih, sih = quant_weight(w_ih)
        qhh, shh = quant_weight(w_hh)
        bias = (b_ih + b_hh).astype(F)
        out = np.zeros((T, B, H), F)
        for t in range(T):
            gx = qlinear(inp[t], qih, sih, np.broadcast_to(bias, (B, 4 * H)))
            g = qlinear(h[l], qhh, shh, gx)
            i = sigmoid_f(g[:, 0:H])
            f = sigmoid_f(g[:, H:2 * H])
            gg = tanh_f(g[:, 2 * H:3 * H])
            o = sigmoid_f(g[:, 3 * H:4 * H])
            c[l] = fmaf(f, c[l], (i * gg).astype(F))
            h[l] = (o * tanh_f(c[l])).astype(F)
            out[t] = h[l]
        inp = out
    return inp, h, c


def gru_int8(params, x, h0):
    """params: per layer (w_ih, w_hh, b_ih, b_hh); x [T][B][I]; h0 [L][B][H].
    Returns (out [T][B][H], h_n)."""
    T, B, _ = x.shape
    H = h0.shape[2]
    h = h0.copy()
    inp = x
    for l, (w_ih, w_hh, b_ih, b_hh) in enumerate(params):
        qih, sih = quant_weight(w_ih)
        qhh, shh = quant_weight(w_hh)
        out = np.zeros((T, B, H), F)
        for t in range(T):
            gx = qlinear(inp[t], qih, sih, np.broadcast_to(b_ih, (B, 3 * H)))
            gh = qlinear(h[l], qhh, shh, np.broadcast_to(b_hh, (B, 3 * H)))
            r = sigmoid_f((gx[:, 0:H] + gh[:, 0:H]).astype(F))
            z = sigmoid_f((gx[:, H:2 * H] + gh[:, H:2 * H]).astype(F))
            n = tanh_f(fmaf(r, gh[:, 2 * H:], gx[:, 2 * H:]))
            h[l] = fmaf(z, (h[l] - n).astype(F), n)
            out[t] = h[l]
        inp = out
    return inp, h


def make_gru(outdir):
    I, H, L, T, B = 19, 36, 2, 10, 2
    torch.manual_seed(1314)
    gru = torch.nn.GRU(I, H, num_layers=L)
    x = torch.randn(T, B, I)
    h0 = torch.randn(L, B, H) * 0.5
    sd = {k: v.detach().numpy().astype(F) for k, v in
          gru.state_dict().items()}
    params = [(sd["weight_ih_l%d" % l], sd["weight_hh_l%d" % l],
               sd["bias_ih_l%d" % l], sd["bias_hh_l%d" % l])
              for l in range(L)]
    out, hn = gru_int8(params, x.numpy().astype(F), h0.numpy().astype(F))
    with torch.no_grad():
        ref, _ = gru(x, h0)
    rel = np.sqrt(np.mean((out - ref.numpy()) ** 2) /
                  np.mean(ref.numpy() ** 2))
    print("GRU int8 reference vs f32 nn.GRU: relative RMS %.4f" % rel)
    tensors = {"gru." + k: v for k, v in gru.state_dict().items()}
    tensors["test.input"] = x
    tensors["test.h0"] = h0
    tensors["test.output"] = torch.from_numpy(out)
    tensors["test.h_n"] = torch.from_numpy(hn)
    write_safetensors(os.path.join(outdir, "gru_int8.safetensors"), tensors,
                      {"prefix": "gru.", "generator":
                       "tests/gen_lstm_int8_fixtures.py"})


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "data")
    I, H, L, T, B = 21, 40, 2, 12, 3
    torch.manual_seed(1313)
    lstm = torch.nn.LSTM(I, H, num_layers=L)
    x = torch.randn(T, B, I)
    h0 = torch.randn(L, B, H) * 0.5
    c0 = torch.randn(L, B, H) * 0.5
    sd = {k: v.detach().numpy().astype(F) for k, v in
          lstm.state_dict().items()}
    params = [(sd["weight_ih_l%d" % l], sd["weight_hh_l%d" % l],
               sd["bias_ih_l%d" % l], sd["bias_hh_l%d" % l])
              for l in range(L)]
    out, hn, cn = lstm_int8(params, x.numpy().astype(F),
                            h0.numpy().astype(F), c0.numpy().astype(F))
    with torch.no_grad():
        ref, _ = lstm(x, (h0, c0))
    rel = np.sqrt(np.mean((out - ref.numpy()) ** 2) /
                  np.mean(ref.numpy() ** 2))
    print("int8 reference vs f32 nn.LSTM: relative RMS %.4f" % rel)
    tensors = {"lstm." + k: v for k, v in lstm.state_dict().items()}
    tensors["test.input"] = x
    tensors["test.h0"] = h0
    tensors["test.c0"] = c0
    tensors["test.output"] = torch.from_numpy(out)
    tensors["test.h_n"] = torch.from_numpy(hn)
    tensors["test.c_n"] = torch.from_numpy(cn)
    write_safetensors(os.path.join(outdir, "lstm_int8.safetensors"), tensors,
                      {"prefix": "lstm.", "generator":
                       "tests/gen_lstm_int8_fixtures.py"})
    make_gru(outdir)


if __name__ == "__main__":
    main()
