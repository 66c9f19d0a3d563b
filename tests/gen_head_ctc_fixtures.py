#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Golden fixtures for tests/test_head.c and tests/test_ctc.c, from PyTorch.

Head (tests/data/head_<case>.safetensors): an nn.Linear(H, K) state_dict
under a prefix ("head.", "model.ctc_head." or none), exactly as torch names
it (<prefix>weight [K, H], <prefix>bias [K] unless bias=False), plus
  test.input        [T, H]  the frames
  test.none         [T, K]  nn.Linear output (f32, torch's CPU kernels)
  test.softmax      [T, K]  torch.softmax(linear(x), -1)
  test.log_softmax  [T, K]  torch.log_softmax(linear(x), -1)
  test.sigmoid      [T, K]  torch.sigmoid(linear(x))
  test.<act>_f64    [T, K]  the same computed in float64 from the same f32
                            weights and input, rounded once to f32 (what
                            seq_head computes up to the rounding of the
                            logits to f32 before the activation)
Cases: odd shapes, with and without bias, a prefix, a decoy rank-2 LSTM
tensor that the prefix detection must skip, large logits (softmax
stability), weights stored as BF16 (the reference uses the bf16-rounded
weights), and an ambiguous file (two rank-2 "*weight" tensors).

CTC (tests/data/ctc_<case>.safetensors): random posteriors and the greedy
CTC reference computed with torch: best = argmax over classes (first index
among equal maxima), runs = torch.unique_consecutive(best), blank runs
dropped; every remaining run is a token with its label, first frame, last
frame (inclusive) and mean posterior over the run (probability space,
float64, then f32).
  test.posteriors   [T, K]  log-probabilities or probabilities (metadata)
  test.tokens       [N, 3]  label, start, end (exact integers in f32)
  test.mean         [N]     mean posterior
Metadata: "blank", "input" ("log-probs" or "probs"), and "labels" (a JSON
array of K strings) so that the same files test the metadata reader.

Contract (tests/data/head_ctc_contract.safetensors): a file shaped as the
digits model (nn.LSTM(20, 24, 2) under "lstm.", nn.Linear(24, 11) under
"head.", "labels" and "blank" metadata), input frames test.input [T, 20] and
the greedy tokens of torch's LSTM -> Linear -> log_softmax chain
(test.tokens, test.mean), for seqlstm ! seqhead ! seqctcdecode end to end.

safetensors is written by hand (8-byte LE header length, JSON header, raw
little-endian data) since the safetensors package is not installed.

Run: /usr/bin/python3 tests/gen_head_ctc_fixtures.py [outdir]
"""
import json
import os
import struct
import sys

import numpy as np
import torch


def write_safetensors(path, tensors, metadata):
    """tensors: name -> (torch tensor, dtype "F32" or "BF16")."""
    header = {"__metadata__": metadata} if metadata else {}
    blobs = []
    off = 0
    for name, (t, dtype) in tensors.items():
        t = t.detach().contiguous()
        if dtype == "F32":
            raw = t.to(torch.float32).numpy().astype("<f4").tobytes()
        elif dtype == "BF16":
            raw = t.to(torch.bfloat16).view(torch.int16).numpy() \
                .astype("<i2").tobytes()
        else:
            raise ValueError(dtype)
        header[name] = {"dtype": dtype, "shape": list(t.shape),
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


ACTS = {
    "none": lambda z: z,
    "softmax": lambda z: torch.softmax(z, -1),
    "log_softmax": lambda z: torch.log_softmax(z, -1),
    "sigmoid": torch.sigmoid,
}


def head_case(outdir, name, H, K, T, bias, prefix, seed, scale=1.0,
              bf16=False, decoy=False):
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    lin = torch.nn.Linear(H, K, bias=bias)
    if bf16:
        with torch.no_grad():
            lin.weight.copy_(lin.weight.to(torch.bfloat16).to(torch.float32))
            if bias:
                lin.bias.copy_(lin.bias.to(torch.bfloat16).to(torch.float32))
    x = torch.randn(T, H, generator=g) * scale
    tensors = {}
    if decoy:
        # an LSTM's rank-2 weight: not a candidate ("weight_ih_l0")
        tensors["lstm.weight_ih_l0"] = (torch.randn(4 * 3, H, generator=g),
                                        "F32")
    wdt = "BF16" if bf16 else "F32"
    tensors[prefix + "weight"] = (lin.weight, wdt)
    if bias:
        tensors[prefix + "bias"] = (lin.bias, wdt)
    tensors["test.input"] = (x, "F32")
    with torch.no_grad():
        z = lin(x)
        z64 = x.double() @ lin.weight.double().t()
        if bias:
            z64 = z64 + lin.bias.double()
        for a, f in ACTS.items():
            tensors["test." + a] = (f(z), "F32")
            tensors["test." + a + "_f64"] = (f(z64).float(), "F32")
    write_safetensors(os.path.join(outdir, "head_%s.safetensors" % name),
                      tensors, {"prefix": prefix, "bias": str(int(bias))})


def head_ambiguous(outdir):
    torch.manual_seed(7)
    emb = torch.nn.Embedding(6, 4)
    lin = torch.nn.Linear(4, 3)
    write_safetensors(os.path.join(outdir, "head_ambiguous.safetensors"),
                      {"embed.weight": (emb.weight, "F32"),
                       "head.weight": (lin.weight, "F32"),
                       "head.bias": (lin.bias, "F32")}, None)


def greedy_ctc(post, blank, log_probs):
    """The reference: argmax, collapse repeats, drop blanks."""
    best = torch.argmax(post, dim=-1)
    # torch.argmax returns the first index among equal maxima; check it
    assert np.array_equal(best.numpy(), np.argmax(post.numpy(), axis=-1))
    labels, counts = torch.unique_consecutive(best, return_counts=True)
    prob = post.double().exp() if log_probs else post.double()
    tokens, means = [], []
    start = 0
    for lab, cnt in zip(labels.tolist(), counts.tolist()):
        end = start + cnt - 1
        if lab != blank:
            tokens.append([lab, start, end])
            means.append(prob[start:end + 1, lab].mean().item())
        start += cnt
    return tokens, means


def path_logits(g, T, K, blank, min_run, max_run, p_blank, noise):
    """Logits favouring a random path of label runs and blank gaps, with
    repeats of the same label separated by short blanks."""
    path = []
    prev = None
    while len(path) < T:
        if torch.rand(1, generator=g).item() < p_blank:
            lab = blank
        elif prev not in (None, blank) and \
                torch.rand(1, generator=g).item() < 0.2:
            lab = prev          # same label again: needs a blank between
            path += [blank]
        else:
            lab = int(torch.randint(0, K, (1,), generator=g).item())
        n = int(torch.randint(min_run, max_run + 1, (1,), generator=g))
        path += [lab] * n
        prev = lab
    path = torch.tensor(path[:T])
    logits = torch.randn(T, K, generator=g) * noise
    logits[torch.arange(T), path] += 4.0
    return logits


def ctc_case(outdir, name, post, blank, log_probs, labels):
    tokens, means = greedy_ctc(post, blank, log_probs)
    t = torch.tensor(tokens, dtype=torch.float64).reshape(-1, 3)
    assert t.numel() == 0 or t.max().item() < 2 ** 24
    write_safetensors(
        os.path.join(outdir, "ctc_%s.safetensors" % name),
        {"test.posteriors": (post, "F32"),
         "test.tokens": (t.float(), "F32"),
         "test.mean": (torch.tensor(means, dtype=torch.float64).float(),
                       "F32")},
        {"blank": str(blank), "input": "log-probs" if log_probs else "probs",
         "labels": json.dumps(labels, ensure_ascii=False)})
    return len(tokens)


def contract_case(outdir):
    """A model file shaped as models/digits/digits.safetensors (see
    /work/notes' digits contract): nn.LSTM under "lstm.", nn.Linear under
    "head.", "labels" and "blank" metadata; with input frames and the torch
    chain's greedy tokens, so that seqlstm ! seqhead ! seqctcdecode reading
    one file can be checked end to end. The seed is chosen so that every
    frame's best class leads the second by more than CONTRACT_MARGIN (the
    LSTM's 1e-5 parity bound cannot flip an argmax)."""
    CONTRACT_MARGIN = 1e-3
    digits = ["<blank>"] + [str(d) for d in range(10)]
    for seed in range(100, 200):
        torch.manual_seed(seed)
        lstm = torch.nn.LSTM(20, 24, 2)
        head = torch.nn.Linear(24, 11)
        with torch.no_grad():
            head.weight *= 8.0      # a trained head's confidence
            # segments of 3-12 frames around random vectors, as phones
            segs, n = [], 0
            while n < 300:
                ln = int(torch.randint(3, 13, (1,)))
                segs.append(torch.randn(1, 20).repeat(ln, 1) * 3.0
                            + torch.randn(ln, 20) * 0.3)
                n += ln
            x = torch.cat(segs)[:300].unsqueeze(1)
            h, _ = lstm(x)
            logp = torch.log_softmax(head(h[:, 0]), -1)
        top = torch.topk(logp, 2, dim=-1).values
        if (top[:, 0] - top[:, 1]).min().item() > CONTRACT_MARGIN:
            break
    else:
        raise RuntimeError("no seed gives clear argmax margins")
    tokens, means = greedy_ctc(logp, 0, True)
    tensors = {"lstm." + k: (v, "F32") for k, v in lstm.state_dict().items()}
    tensors.update({"head." + k: (v, "F32")
                    for k, v in head.state_dict().items()})
    tensors["test.input"] = (x[:, 0], "F32")
    tensors["test.tokens"] = (torch.tensor(tokens, dtype=torch.float32)
                              .reshape(-1, 3), "F32")
    tensors["test.mean"] = (torch.tensor(means, dtype=torch.float32), "F32")
    write_safetensors(os.path.join(outdir, "head_ctc_contract.safetensors"),
                      tensors, {"labels": json.dumps(digits), "blank": "0",
                                "seqenc.recipe": "tests/gen_head_ctc_fixtures.py",
                                "seed": str(seed)})
    return len(tokens)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "data")
    torch.set_num_threads(1)

    head_case(outdir, "basic", H=37, K=11, T=23, bias=True, prefix="head.",
              seed=1, decoy=True)
    head_case(outdir, "nobias", H=5, K=3, T=7, bias=False, prefix="",
              seed=2)
    head_case(outdir, "wide", H=257, K=13, T=9, bias=True,
              prefix="model.ctc_head.", seed=3, scale=30.0)
    head_case(outdir, "bf16", H=64, K=11, T=5, bias=True, prefix="head.",
              seed=4, bf16=True)
    head_ambiguous(outdir)

    digits = ["<blank>"] + [str(d) for d in range(10)]
    g = torch.Generator().manual_seed(11)
    # log-probabilities along a path of runs, blank 0, digits labels
    n1 = ctc_case(outdir, "runs", torch.log_softmax(
        path_logits(g, 400, 11, 0, 1, 6, 0.4, 1.0), -1), 0, True, digits)
    # probabilities, nearly uniform: many one-frame tokens; blank 3
    n2 = ctc_case(outdir, "probs", torch.softmax(
        torch.randn(300, 7, generator=g), -1), 3, False,
        ["a", "b", "c", "<b>", "e", "f", "g"])
    # quantized log-probabilities: frames with equal maxima (ties)
    q = torch.log_softmax(torch.randn(200, 5, generator=g), -1)
    q = torch.round(q * 2.0) / 2.0
    n3 = ctc_case(outdir, "ties", q, 0, True, ["_", "x", "y", "z", "é"])
    n4 = contract_case(outdir)
    print("head: 4 cases + ambiguous; ctc tokens: %d, %d, %d; contract "
          "chain tokens: %d" % (n1, n2, n3, n4))


if __name__ == "__main__":
    main()
