#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the safetensors reader's fixtures into tests/data (run from anywhere):

  weights_valid.safetensors   F32, F16, BF16 tensors holding edge values
                              (subnormals, +-inf, NaN, max), a scalar, an
                              empty tensor, an I64 tensor and __metadata__,
                              written with struct+json exactly as the
                              safetensors format specifies.
  weights_expected.txt        for every float tensor, the f32 bit patterns
                              PyTorch's own `.float()` gives: "name index bits"
  weights_convert.txt         f32 -> f16 and f32 -> bf16 as PyTorch's
                              `.half()` / `.bfloat16()` round them:
                              "f32bits f16bits bf16bits" (numpy's float16
                              agrees with every non-NaN f16 here: asserted)
  half_convert.txt            f16 -> f32 and bf16 -> f32 as PyTorch's
                              `.float()` widens them, NaN payloads included:
                              "f16|bf16 bits f32bits"; every inf/NaN pattern
                              with a short payload or a long one, subnormals,
                              and random normals

Reference: Debian python3-torch (1.13). Usage: /usr/bin/python3 gen_weights_fixtures.py
"""
import json
import os
import struct

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")


def f16_from_bits(bits):
    return torch.from_numpy(np.array(bits, dtype=np.uint16).view(np.int16)).view(torch.float16)


def bf16_from_bits(bits):
    return torch.from_numpy(np.array(bits, dtype=np.uint16).view(np.int16)).view(torch.bfloat16)


def raw_bytes(t):
    """Little-endian raw bytes of a tensor (the machine is LE; assert it)."""
    assert np.little_endian
    if t.dtype in (torch.float16, torch.bfloat16):
        return t.contiguous().view(torch.int16).numpy().tobytes()
    return t.contiguous().numpy().tobytes()


DTYPE_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}


def write_safetensors(path, tensors, metadata, order):
    """tensors: name -> torch tensor. order: names in data order (header key
    order is deliberately different, sorted by name, to test that the reader
    lists tensors by data offset)."""
    header = {}
    blobs = []
    off = 0
    for name in order:
        b = raw_bytes(tensors[name])
        header[name] = {"dtype": DTYPE_NAMES[tensors[name].dtype],
                        "shape": list(tensors[name].shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header = dict(sorted(header.items()))
    header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)  # the format pads the header with spaces to 8
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    f32_edge = torch.tensor([0.0, -0.0, 1.0, -1.5, 3.4028234663852886e38, -3.4028234663852886e38,
                             1.401298464324817e-45,    # smallest subnormal
                             1.1754942106924411e-38,   # largest subnormal
                             float("inf"), float("-inf"), float("nan"), 3.14159265],
                            dtype=torch.float32).reshape(3, 4)
    f16_edge = f16_from_bits([
        0x0000, 0x8000,  # +-0
        0x0001, 0x8001,  # smallest subnormal 2^-24
        0x03ff,          # largest subnormal
        0x0400,          # smallest normal 2^-14
        0x3c00, 0x3555,  # 1, ~1/3
        0x7bff, 0xfbff,  # +-65504 (max)
        0x7c00, 0xfc00,  # +-inf
        0x7e00, 0xfe00,  # quiet NaN, both signs
        0x7c01, 0x7d55,  # signalling NaNs with payloads
    ]).reshape(2, 8)
    bf16_edge = bf16_from_bits([
        0x0000, 0x8000,  # +-0
        0x0001, 0x807f,  # subnormals
        0x0080,          # smallest normal
        0x3f80, 0xbfc0,  # 1, -1.5
        0x7f7f, 0xff7f,  # +-max (3.39e38)
        0x7f80, 0xff80,  # +-inf
        0x7fc0, 0xffc1,  # quiet NaNs
        0x7f81,          # signalling NaN
        0x4049, 0x3eaa,  # ~3.14, ~1/3
    ]).reshape(4, 2, 2)
    scalar = torch.tensor(2.5, dtype=torch.float32)
    empty = torch.zeros((0, 3), dtype=torch.float32)
    ids = torch.tensor([1, -2, 3], dtype=torch.int64)
    rng = torch.Generator().manual_seed(1234)
    weight = torch.randn(5, 7, generator=rng, dtype=torch.float32).to(torch.float16)

    tensors = {"f32_edge": f32_edge, "f16_edge": f16_edge, "bf16_edge": bf16_edge,
               "scalar": scalar, "empty": empty, "ids": ids, "layer.weight": weight}
    order = ["layer.weight", "f16_edge", "scalar", "ids", "f32_edge", "empty", "bf16_edge"]
    metadata = {"format": "pt", "producer": "tests/gen_weights_fixtures.py", "unicode": "caf\u00e9 \u2713"}
    write_safetensors(os.path.join(DATA, "weights_valid.safetensors"), tensors, metadata, order)

    with open(os.path.join(DATA, "weights_expected.txt"), "w") as f:
        f.write("# tensor index f32-bits-from-torch-.float()  (gen_weights_fixtures.py)\n")
        for name in ["f32_edge", "f16_edge", "bf16_edge", "scalar", "layer.weight"]:
            bits = tensors[name].float().reshape(-1).numpy().view(np.uint32)
            for i, b in enumerate(bits):
                f.write("%s %d %08x\n" % (name, i, b))

    # f32 -> f16 / bf16 rounding: edge cases plus random bit patterns
    edge = np.array([0.0, -0.0, 1.0, 65504.0, 65519.99, 65520.0, -65520.0, 1e10,
                     2.0 ** -24, 2.0 ** -25, 2.0 ** -25 * 1.0000001, 2.0 ** -26, 3 * 2.0 ** -26,
                     2.0 ** -14, 2.0 ** -14 * (1 - 2.0 ** -11), 6.1e-5,
                     1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11,   # f16 ties: to even down / up
                     1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8,     # bf16 ties
                     3.3895313892515355e38, 3.4028234663852886e38, 1.401298464324817e-45,
                     float("inf"), float("-inf"), float("nan")], dtype=np.float32)
    # f32 subnormals (bf16 keeps them: ties, carries into the smallest
    # normal) and the bf16 overflow edge, by bit pattern
    edge_bits = np.array([0x00000001, 0x00008000, 0x00018000, 0x00017fff,
                          0x007fffff, 0x007f8000, 0x807f7fff, 0x80000001,
                          0x7f7f7fff, 0x7f7f8000, 0x7f7fffff, 0xff7f8000,
                          0x00400000, 0x80400001], dtype=np.uint32)
    edge = np.concatenate([edge, edge_bits.view(np.float32)])
    gen = np.random.default_rng(20240601)
    rand_bits = gen.integers(0, 2 ** 32, size=1500, dtype=np.uint64).astype(np.uint32)
    # also values in the f16 range, where rounding is most exercised
    rand_small = (gen.standard_normal(1500) * np.exp2(gen.integers(-26, 17, 1500))).astype(np.float32)
    vals = np.concatenate([edge, rand_bits.view(np.float32), rand_small])
    x = torch.from_numpy(vals)
    h = x.half().view(torch.int16).numpy().view(np.uint16)
    b = x.bfloat16().view(torch.int16).numpy().view(np.uint16)
    # a second reference for f16: numpy (its NaN payloads differ, see
    # lib/seqenc-private.h)
    finite = ~np.isnan(vals)
    with np.errstate(over="ignore"):
        np_h = vals.astype(np.float16).view(np.uint16)
    assert (np_h[finite] == h[finite]).all()
    with open(os.path.join(DATA, "weights_convert.txt"), "w") as f:
        f.write("# f32-bits f16-bits bf16-bits from torch .half() / .bfloat16()  (gen_weights_fixtures.py)\n")
        for v, hh, bb in zip(vals.view(np.uint32), h, b):
            f.write("%08x %04x %04x\n" % (v, hh, bb))

    # f16 / bf16 -> f32: every inf/NaN pattern with a payload of the lowest
    # or highest bits only, then random ones; subnormals; random normals
    gen = np.random.default_rng(20261203)
    rows = []
    for kind, exp_mask, mant_bits, view in (("f16", 0x7c00, 10, torch.float16),
                                            ("bf16", 0x7f80, 7, torch.bfloat16)):
        top = 1 << (mant_bits - 1)
        mants = sorted({0, 1, 2, 3, top - 1, top, top + 1, (1 << mant_bits) - 1,
                        (1 << mant_bits) - 2} |
                       set(int(m) for m in gen.integers(1, 1 << mant_bits, 24)))
        pats = [sign | exp_mask | m for sign in (0, 0x8000) for m in mants]
        pats += [sign | m for sign in (0, 0x8000) for m in (1, 2, top - 1, top, (1 << mant_bits) - 1)]
        pats += [int(p) for p in gen.integers(0, 1 << 16, 40)]
        bits = np.array(pats, dtype=np.uint16)
        wide = torch.from_numpy(bits.view(np.int16)).view(view).float().numpy().view(np.uint32)
        rows += [(kind, int(p), int(w)) for p, w in zip(bits, wide)]
    with open(os.path.join(DATA, "half_convert.txt"), "w") as f:
        f.write("# kind half-bits f32-bits from torch .float()  (gen_weights_fixtures.py)\n")
        for kind, p, w in rows:
            f.write("%s %04x %08x\n" % (kind, p, w))


if __name__ == "__main__":
    main()
