/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — constants of the LSTM gate math, shared by the scalar reference
 * and the SIMD kernels so that all of them run the same IEEE operations.
 *
 *   exp (x):  x clamped to [SEQ_EXP_LO, SEQ_EXP_HI] (NaN passes);
 *             n = rint (x * log2 e);  r = fmaf (n, -C1, x);  r = fmaf (n, -C2, r)
 *             p = P0; p = fmaf (p, r, P1) ... fmaf (p, r, P5)   (Cephes expf)
 *             y = fmaf (p, r * r, r) + 1;  exp = y * 2^n
 *   sigmoid (x) = 1 / (1 + exp (-x))
 *   tanh (x)    = 2 / (1 + exp (-2 x)) - 1
 *
 * Accuracy, measured against double libm over x in [-20, 20] in steps of
 * 1e-5: exp within 0.99 ulp (relative 8.3e-8), sigmoid within 8.9e-8
 * absolute, tanh within 1.8e-7 absolute.
 */
#pragma once

#define SEQ_EXP_HI 88.3762626647949f
#define SEQ_EXP_LO (-87.3365447505531f)
#define SEQ_LOG2E 1.44269504088896341f
#define SEQ_EXP_C1 0.693359375f
#define SEQ_EXP_C2 (-2.12194440e-4f)
#define SEQ_EXP_P0 1.9875691500E-4f
#define SEQ_EXP_P1 1.3981999507E-3f
#define SEQ_EXP_P2 8.3334519073E-3f
#define SEQ_EXP_P3 4.1665795894E-2f
#define SEQ_EXP_P4 1.6666665459E-1f
#define SEQ_EXP_P5 5.0000001201E-1f
