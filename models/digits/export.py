#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes models/digits/digits.safetensors from a train.py checkpoint, per
the contract between the recipe and the seqhead/seqctcdecode elements:

- LSTM tensors with nn.LSTM names under "lstm.", the head with nn.Linear
  names under "head.", all F32;
- the global feature normalization folded into LSTM layer 0: with the
  whitening matrix M of train.py (identity without --whiten),
  W' = (W_ih M) / std (per input column), b' = b_ih - (W_ih M) (mean / std);
- __metadata__: labels (JSON array), blank, every seqfbank setting the model
  was trained with ("seqfbank.<property>", gst-launch syntax, and
  "seqfbank.rate"), the recipe, the data seed and the normalization.
- a --lookahead K checkpoint (step t reads its n-frame stack and the next
  K stacks) becomes seqfbank stack=(K + 1) n stack-hop=n: the same values
  side by side, so layer 0 takes them unchanged (the statistics repeat).

usage: export.py CKPT OUT [--data-seed N]
"""
import argparse
import json
import struct

import torch


def save_safetensors(tensors, metadata, path):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().to(torch.float32)
        data = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    h = json.dumps(header, sort_keys=True).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def folded_tensors(ck):
    """The state dict with the normalization folded into layer 0 (float64
    arithmetic, rounded once to f32)."""
    sd = {k: v.clone() for k, v in ck["model"].items()}
    reps = ck.get("lookahead", 0) + 1
    mean = torch.tensor(ck["mean"], dtype=torch.float64).repeat(reps)
    std = torch.tensor(ck["std"], dtype=torch.float64).repeat(reps)
    w = sd["lstm.weight_ih_l0"].double()
    b = sd["lstm.bias_ih_l0"].double()
    if ck.get("whiten") is not None:
        # the network saw M (x - mean) / std: fold M into W first
        w = w @ torch.tensor(ck["whiten"], dtype=torch.float64)
    sd["lstm.weight_ih_l0"] = (w / std[None, :]).float()
    sd["lstm.bias_ih_l0"] = (b - w @ (mean / std)).float()
    return sd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("out")
    ap.add_argument("--data-seed", type=int, required=True)
    a = ap.parse_args()
    ck = torch.load(a.ckpt)
    look = ck.get("lookahead", 0)
    if look and ck.get("whiten") is not None:
        raise SystemExit("%s: --lookahead with --whiten is not supported "
                         "(the whitening would act per stack)" % a.ckpt)
    fbank = dict(ck["fbank"])
    if look:
        n = int(fbank.get("stack", "1"))
        fbank["stack"] = str((look + 1) * n)
        fbank["stack-hop"] = str(n)
    sd = folded_tensors(ck)
    meta = {
        "labels": json.dumps(ck["labels"]),
        "blank": str(ck["blank"]),
        "seqenc.recipe": "models/digits/recipe.sh",
        "seqenc.data-seed": str(a.data_seed),
        "seqenc.normalization": "folded-into-lstm-layer0" if ck.get("whiten") is None
        else "folded-into-lstm-layer0 (global mean, std, ZCA whitening)",
        "seqenc.architecture": "seqfbank ! seqlstm (%d x %d) ! seqhead "
        "activation=log-softmax ! seqctcdecode" % (ck["layers"], ck["hidden"]),
        "seqenc.epochs": str(ck["epochs_done"]),
        "seqenc.train-seed": str(ck["args"]["seed"]),
    }
    if look:
        meta["seqenc.lookahead"] = str(look)
    for k, v in fbank.items():
        meta["seqfbank." + k] = v
    save_safetensors(sd, meta, a.out)
    print("wrote %s: %s" % (a.out, ", ".join("%s %s" % (k, list(v.shape))
                                              for k, v in sd.items())))


if __name__ == "__main__":
    main()
