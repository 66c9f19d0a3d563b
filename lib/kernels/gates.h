/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — the gate math of every recurrent cell, once: the scalar reference
 * and, where simd.h is included first, the same operations on SIMD vectors
 * (lane for lane the scalar code, so every kernel set computes the same
 * bits).
 *
 *   exp (x):  x clamped to [SEQ_EXP_LO, SEQ_EXP_HI] (NaN passes);
 *             n = rint (x * log2 e);  r = fmaf (n, -C1, x);  r = fmaf (n, -C2, r)
 *             p = P0; p = fmaf (p, r, P1) ... fmaf (p, r, P5)   (Cephes expf)
 *             y = fmaf (p, r * r, r) + 1;  exp = y * 2^n
 *   sigmoid (x) = 1 / (1 + exp (-x))
 *   tanh (x)    = 2 / (1 + exp (-2 x)) - 1
 *
 * Accuracy, against double libm over x in [-20, 20] in steps of 1e-5: exp
 * within 0.99 ulp (relative 8.3e-8), sigmoid within 8.9e-8 absolute, tanh
 * within 1.8e-7 absolute.
 *
 * Cells, per hidden unit (the gate values of 16 units come from one panel,
 * packed.h; gate q of unit j at g[q * 16 + j]):
 *
 *   LSTM (gates i, f, g, o; g = x W_ih + b_ih + b_hh + h W_hh, one chain):
 *     c = fmaf (σ(f), c, σ(i) * tanh (g));  h = σ(o) * tanh (c)
 *   GRU (gates r, z, n; gx = x W_ih + b_ih and gh = h W_hh + b_hh, two
 *        chains, as PyTorch keeps b_hn inside the reset product):
 *     r = σ(gx_r + gh_r);  z = σ(gx_z + gh_z);  n = tanh (fmaf (r, gh_n, gx_n))
 *     h = fmaf (z, h_prev - n, n)            (= (1 - z) n + z h_prev)
 */
#pragma once

#include <glib.h>
#include <math.h>
#include <string.h>

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

/* ---- scalar ------------------------------------------------------------- */

static inline float
seq_exp_scalar (float x)
{
  float n, r, p, y, scale;
  gint32 e;
  guint32 bits;

  x = x > SEQ_EXP_HI ? SEQ_EXP_HI : x;
  x = x < SEQ_EXP_LO ? SEQ_EXP_LO : x;
  n = rintf (x * SEQ_LOG2E);
  r = fmaf (n, -SEQ_EXP_C1, x);
  r = fmaf (n, -SEQ_EXP_C2, r);
  p = SEQ_EXP_P0;
  p = fmaf (p, r, SEQ_EXP_P1);
  p = fmaf (p, r, SEQ_EXP_P2);
  p = fmaf (p, r, SEQ_EXP_P3);
  p = fmaf (p, r, SEQ_EXP_P4);
  p = fmaf (p, r, SEQ_EXP_P5);
  y = fmaf (p, r * r, r);
  y = y + 1.0f;
  e = isnan (n) ? 0 : (gint32) n;
  bits = (guint32) (e + 127) << 23;
  memcpy (&scale, &bits, 4);
  return y * scale;
}

static inline float
seq_sigmoid_scalar (float x)
{
  return 1.0f / (1.0f + seq_exp_scalar (0.0f - x));
}

static inline float
seq_tanh_scalar (float x)
{
  return 2.0f / (1.0f + seq_exp_scalar (-2.0f * x)) - 1.0f;
}

/* 16 units of an LSTM from the 64 gate values of one panel; c in place. */
static inline void
seq_lstm_gates_scalar (const float *g, float *c, float *h)
{
  for (guint j = 0; j < 16; j++) {
    float ig = seq_sigmoid_scalar (g[j]);
    float fg = seq_sigmoid_scalar (g[16 + j]);
    float gg = seq_tanh_scalar (g[32 + j]);
    float og = seq_sigmoid_scalar (g[48 + j]);
    float cn = fmaf (fg, c[j], ig * gg);
    c[j] = cn;
    h[j] = og * seq_tanh_scalar (cn);
  }
}

/* 16 units of a GRU from the 48 + 48 values gx, gh of one panel. */
static inline void
seq_gru_gates_scalar (const float *gx, const float *gh, const float *hprev,
    float *h)
{
  for (guint j = 0; j < 16; j++) {
    float r = seq_sigmoid_scalar (gx[j] + gh[j]);
    float z = seq_sigmoid_scalar (gx[16 + j] + gh[16 + j]);
    float n = seq_tanh_scalar (fmaf (r, gh[32 + j], gx[32 + j]));
    h[j] = fmaf (z, hprev[j] - n, n);
  }
}

/* ---- SIMD (simd.h included first) --------------------------------------- */

#ifdef SEQ_VL

static inline __attribute__((always_inline)) SeqVf
seq_vexp (SeqVf x)
{
  SeqVf n, r, p, y;
  SeqVi e;

  /* min/max with the constant first: a NaN x passes through, as in the
   * scalar "x > HI ? HI : x" */
  x = seq_vf_min (seq_vf_set1 (SEQ_EXP_HI), x);
  x = seq_vf_max (seq_vf_set1 (SEQ_EXP_LO), x);
  n = seq_vf_rint (seq_vf_mul (x, seq_vf_set1 (SEQ_LOG2E)));
  r = seq_vf_fmadd (n, seq_vf_set1 (-SEQ_EXP_C1), x);
  r = seq_vf_fmadd (n, seq_vf_set1 (-SEQ_EXP_C2), r);
  p = seq_vf_set1 (SEQ_EXP_P0);
  p = seq_vf_fmadd (p, r, seq_vf_set1 (SEQ_EXP_P1));
  p = seq_vf_fmadd (p, r, seq_vf_set1 (SEQ_EXP_P2));
  p = seq_vf_fmadd (p, r, seq_vf_set1 (SEQ_EXP_P3));
  p = seq_vf_fmadd (p, r, seq_vf_set1 (SEQ_EXP_P4));
  p = seq_vf_fmadd (p, r, seq_vf_set1 (SEQ_EXP_P5));
  y = seq_vf_fmadd (p, seq_vf_mul (r, r), r);
  y = seq_vf_add (y, seq_vf_set1 (1.0f));
  e = seq_vf_to_vi (n);
  e = seq_vi_slli (seq_vi_add (e, seq_vi_set1 (127)), 23);
  return seq_vf_mul (y, seq_vi_as_vf (e));
}

static inline __attribute__((always_inline)) SeqVf
seq_vsigmoid (SeqVf x)
{
  SeqVf one = seq_vf_set1 (1.0f);
  SeqVf e = seq_vexp (seq_vf_sub (seq_vf_zero (), x));
  return seq_vf_div (one, seq_vf_add (one, e));
}

static inline __attribute__((always_inline)) SeqVf
seq_vtanh (SeqVf x)
{
  SeqVf one = seq_vf_set1 (1.0f);
  SeqVf e = seq_vexp (seq_vf_mul (seq_vf_set1 (-2.0f), x));
  return seq_vf_sub (seq_vf_div (seq_vf_set1 (2.0f), seq_vf_add (one, e)),
      one);
}

static inline __attribute__((always_inline)) void
seq_lstm_gates_v (const float *g, float *c, float *h)
{
  for (int j = 0; j < 16; j += SEQ_VL) {
    SeqVf ig = seq_vsigmoid (seq_vf_loadu (g + j));
    SeqVf fg = seq_vsigmoid (seq_vf_loadu (g + 16 + j));
    SeqVf gg = seq_vtanh (seq_vf_loadu (g + 32 + j));
    SeqVf og = seq_vsigmoid (seq_vf_loadu (g + 48 + j));
    SeqVf cn = seq_vf_fmadd (fg, seq_vf_loadu (c + j), seq_vf_mul (ig, gg));
    seq_vf_storeu (c + j, cn);
    seq_vf_storeu (h + j, seq_vf_mul (og, seq_vtanh (cn)));
  }
}

static inline __attribute__((always_inline)) void
seq_gru_gates_v (const float *gx, const float *gh, const float *hprev,
    float *h)
{
  for (int j = 0; j < 16; j += SEQ_VL) {
    SeqVf r = seq_vsigmoid (seq_vf_add (seq_vf_loadu (gx + j),
            seq_vf_loadu (gh + j)));
    SeqVf z = seq_vsigmoid (seq_vf_add (seq_vf_loadu (gx + 16 + j),
            seq_vf_loadu (gh + 16 + j)));
    SeqVf n = seq_vtanh (seq_vf_fmadd (r, seq_vf_loadu (gh + 32 + j),
            seq_vf_loadu (gx + 32 + j)));
    seq_vf_storeu (h + j, seq_vf_fmadd (z, seq_vf_sub (seq_vf_loadu (hprev +
                    j), n), n));
  }
}

#endif /* SEQ_VL */
