#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The viridis colour map of lib/heatmap.c, fitted here, and the golden data
of tests/test_heatmap.c, from the references (matplotlib's viridis, numpy's
percentile).

Run: /usr/bin/python3 tests/gen_viridis_fit.py [OUT_DIR]
     (default OUT_DIR: tests/data; needs python3-matplotlib, python3-numpy)

The fit: each of R, G, B as a uniform cubic B-spline over t in [0, 1] with
SEGMENTS segments (SEGMENTS + 3 control values), least squares against the
256 colours of matplotlib's viridis (sample k at t = k / 255). A cubic
B-spline is C2 and each segment is a cubic in the local coordinate u:
  colour(t) = sum_j P[s + j] * b_j(u),  s = min(floor(t * S), S - 1),
  u = t * S - s,
  b_0 = (1 - u)^3 / 6,  b_1 = (3u^3 - 6u^2 + 4) / 6,
  b_2 = (-3u^3 + 3u^2 + 3u + 1) / 6,  b_3 = u^3 / 6.
It prints the control values as the C block of lib/heatmap.c and the
largest error against matplotlib per channel (in 8-bit steps, 1/255).

Writes:
  OUT_DIR/viridis_matplotlib.txt  256 lines "r g b" (matplotlib's viridis
                                  as floats, %.9g): the reference the C
                                  map is tested against.
  OUT_DIR/heatmap_percentile.txt  windows of random float32 values (fixed
                                  seed, some NaN/Inf) and numpy.percentile
                                  (method "linear", the default, in float64)
                                  of their finite values at a few (low,
                                  high) pairs, rounded to float32.
"""
import os
import sys

import numpy as np
from matplotlib import colormaps

SEGMENTS = 20


def basis(t, segments):
    s = np.minimum(np.floor(t * segments), segments - 1).astype(int)
    u = t * segments - s
    b = np.stack([(1 - u) ** 3 / 6, (3 * u ** 3 - 6 * u ** 2 + 4) / 6,
                  (-3 * u ** 3 + 3 * u ** 2 + 3 * u + 1) / 6, u ** 3 / 6], 1)
    m = np.zeros((len(t), segments + 3))
    for j in range(4):
        m[np.arange(len(t)), s + j] = b[:, j]
    return m


def fit(ref):
    t = np.linspace(0.0, 1.0, len(ref))
    m = basis(t, SEGMENTS)
    ctrl, *_ = np.linalg.lstsq(m, ref, rcond=None)
    err = np.abs(m @ ctrl - ref).max(0)
    # between the samples too: the spline against matplotlib's own linear
    # interpolation of its samples, on a fine grid
    tf = np.linspace(0.0, 1.0, 255 * 16 + 1)
    lin = np.stack([np.interp(tf, t, ref[:, c]) for c in range(3)], 1)
    err_fine = np.abs(basis(tf, SEGMENTS) @ ctrl - lin).max(0)
    return ctrl, err, err_fine


PAIRS = ((0.0, 100.0), (2.0, 98.0), (25.0, 75.0), (10.0, 10.5))


def percentile_cases(rng):
    cases = []
    for n_frames, dim in ((1, 1), (1, 7), (3, 5), (16, 33), (24, 40)):
        v = (rng.standard_normal(n_frames * dim) * 3 + 0.5).astype(np.float32)
        if n_frames * dim >= 15:
            v[rng.choice(len(v), 3, replace=False)] = [np.nan, np.inf, -np.inf]
        finite = v[np.isfinite(v)].astype(np.float64)
        expect = [(lo, hi, np.float32(np.percentile(finite, lo)),
                   np.float32(np.percentile(finite, hi))) for lo, hi in PAIRS]
        cases.append((n_frames, dim, expect, v))
    return cases


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "data")
    ref = np.asarray(colormaps["viridis"].colors, dtype=np.float64)
    assert ref.shape == (256, 3)
    ctrl, err, err_fine = fit(ref)

    with open(os.path.join(out, "viridis_matplotlib.txt"), "w") as f:
        for r, g, b in ref:
            f.write("%.9g %.9g %.9g\n" % (r, g, b))

    rng = np.random.default_rng(20261203)
    with open(os.path.join(out, "heatmap_percentile.txt"), "w") as f:
        f.write("# per window: a line 'frames dim' then %d lines 'low high "
                "p_low p_high', then a line of frames*dim float32 values\n"
                % len(PAIRS))
        for n_frames, dim, expect, v in percentile_cases(rng):
            f.write("%d %d\n" % (n_frames, dim))
            for lo, hi, plo, phi in expect:
                f.write("%.9g %.9g %.9g %.9g\n" % (lo, hi, plo, phi))
            f.write(" ".join("%.9g" % x for x in v) + "\n")

    print("/* viridis: uniform cubic B-spline, %d segments, control values "
          "fitted by" % SEGMENTS)
    print(" * tests/gen_viridis_fit.py (least squares against matplotlib's "
          "256 colours);")
    print(" * max error at the samples R %.3f G %.3f B %.3f (1/255 steps) */"
          % tuple(err * 255))
    print("#define VIRIDIS_SEGMENTS %d" % SEGMENTS)
    print("static const double viridis_ctrl[VIRIDIS_SEGMENTS + 3][3] = {")
    for r, g, b in ctrl:
        print("  {%.9f, %.9f, %.9f}," % (r, g, b))
    print("};")
    print("max error at matplotlib's 256 samples, in 1/255 steps: "
          "R %.3f G %.3f B %.3f" % tuple(err * 255), file=sys.stderr)
    print("max error against their linear interpolation (fine grid): "
          "R %.3f G %.3f B %.3f" % tuple(err_fine * 255), file=sys.stderr)


if __name__ == "__main__":
    main()
