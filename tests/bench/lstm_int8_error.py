#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The error of int8 LSTMs against f32 on real speech features, side by
side: seqenc's SEQ_PRECISION_INT8 (its numpy reference,
tests/gen_lstm_int8_fixtures.py, which the C output matches bitwise in
tests/test_lstm_int8.c) and PyTorch's dynamic quantization
(torch.ao.quantization.quantize_dynamic) on each quantized engine Debian's
torch 1.13 has (qnnpack, onednn), with the default qconfig (per-tensor
weights) and the per-channel one.

Model: models/digits/digits.safetensors (trained; its layer 0 takes stack x
80 values).
Features: torchaudio's Kaldi fbank of tests/data/fbank_speech.wav (espeak-ng
speech, 22.05 kHz) with the settings of tests/test_lstm_int8.c: 80 bins from
20 Hz to 8 kHz, 25 / 10 ms, no dither, stacked as the model's front end
(its "seqfbank.stack" and "seqfbank.stack-hop" metadata: frames j hop ..
j hop + stack - 1 side by side). The metric is the test's: relative
RMS difference sqrt (sum (y - y32)^2 / sum y32^2) over both layers' outputs
(the layers are run one by one, each quantized layer feeding the next).

quantize_dynamic only swaps child modules, so each nn.LSTM is wrapped in a
parent module. Run: /usr/bin/python3 tests/bench/lstm_int8_error.py
"""
import os
import sys

import numpy as np
import torch
import torchaudio

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from gen_lstm_int8_fixtures import lstm_int8  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lstm_ref import read_safetensors  # noqa: E402


class Wrap(torch.nn.Module):
    def __init__(self, lstm):
        super().__init__()
        self.lstm = lstm

    def forward(self, x):
        return self.lstm(x)[0]


def layers(sd, L):
    out = []
    for l in range(L):
        w_ih = sd["lstm.weight_ih_l%d" % l]
        m = torch.nn.LSTM(w_ih.shape[1], w_ih.shape[0] // 4)
        m.load_state_dict({k + "_l0": torch.from_numpy(sd["lstm.%s_l%d" %
                                                          (k, l)].copy())
                           for k in ["weight_ih", "weight_hh", "bias_ih",
                                     "bias_hh"]})
        out.append(Wrap(m).eval())
    return out


def run(mods, x):
    ys = []
    with torch.no_grad():
        for m in mods:
            x = m(x)
            ys.append(x)
    return torch.cat(ys, dim=-1).numpy()


def stack_hop(path):
    """The model's "seqfbank.stack-hop" metadata, 0 when absent."""
    import json
    import struct
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        meta = json.loads(f.read(n)).get("__metadata__", {})
    return int(meta.get("seqfbank.stack-hop", "0"))


def rel_rms(y, ref):
    return float(np.sqrt(np.sum((y - ref) ** 2) / np.sum(ref ** 2)))


def main():
    torch.set_num_threads(1)
    sd = {k: v.numpy() for k, v in read_safetensors(
        os.path.join(ROOT, "models", "digits", "digits.safetensors")).items()}
    L = 2
    wav, rate = torchaudio.load(os.path.join(ROOT, "tests", "data",
                                             "fbank_speech.wav"))
    feats = torchaudio.compliance.kaldi.fbank(
        wav * 32768, sample_frequency=rate, num_mel_bins=80,
        frame_length=25, frame_shift=10, dither=0.0, high_freq=8000,
        low_freq=20)
    stack = sd["lstm.weight_ih_l0"].shape[1] // 80
    hop = stack_hop(os.path.join(ROOT, "models", "digits",
                                 "digits.safetensors")) or stack
    n = (len(feats) - stack) // hop + 1
    feats = torch.stack([feats[j * hop:j * hop + stack].reshape(-1)
                         for j in range(n)])
    x = feats.unsqueeze(1)                  # [T, 1, stack x 80]
    y32 = run(layers(sd, L), x)
    print("digits model, %d frames of espeak-ng speech; relative RMS "
          "difference vs f32 over both layers' outputs:" % x.shape[0])

    params = [(sd["lstm.weight_ih_l%d" % l], sd["lstm.weight_hh_l%d" % l],
               sd["lstm.bias_ih_l%d" % l], sd["lstm.bias_hh_l%d" % l])
              for l in range(L)]
    H = params[0][1].shape[1]
    zeros = np.zeros((L, 1, H), np.float32)
    outs = []
    inp = x.numpy().astype(np.float32)
    for l in range(L):
        y, _, _ = lstm_int8([params[l]], inp, zeros[:1], zeros[:1])
        outs.append(y)
        inp = y
    ours = np.concatenate(outs, axis=-1)
    print("  %-44s %.4f (%.2f %%)" % ("seqenc int8 (per-row w, per-row x/h)",
                                      rel_rms(ours, y32),
                                      100 * rel_rms(ours, y32)))
    qconfigs = [("default qconfig (per-tensor w)", None),
                ("per_channel_dynamic_qconfig",
                 torch.ao.quantization.per_channel_dynamic_qconfig)]
    for eng in torch.backends.quantized.supported_engines:
        if eng == "none":
            continue
        torch.backends.quantized.engine = eng
        for qname, qc in qconfigs:
            try:
                spec = {torch.nn.LSTM: qc} if qc is not None else \
                    {torch.nn.LSTM}
                mods = [torch.ao.quantization.quantize_dynamic(
                    m, spec, dtype=torch.qint8) for m in layers(sd, L)]
                assert all("quantized" in type(m.lstm).__module__
                           for m in mods)
                y = run(mods, x)
                r = rel_rms(y, y32)
                print("  %-44s %.4f (%.2f %%)" % ("PyTorch %s, %s" %
                                                  (eng, qname), r, 100 * r))
            except Exception as e:          # report, do not hide
                print("  PyTorch %s, %s: failed: %s" % (eng, qname, e))


if __name__ == "__main__":
    main()
