/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — the scalar reference kernels: the operations every SIMD kernel
 * set (simd.c, kernels_amx.c, kernels_avx512bf16.c) reproduces. Layout:
 * packed.h; determinism contract: kernels.h; gate math: gates.h. */
#include "kernels.h"
#include "gates.h"

#include <math.h>

static inline float
load_w (const SeqPacked * W, gsize off)
{
  switch (W->dtype) {
    case SEQ_KDTYPE_BF16:
      return seq_bf16_to_f32 (((const guint16 *) W->data)[off]);
    case SEQ_KDTYPE_F16:
      return seq_f16_to_f32 (((const guint16 *) W->data)[off]);
    case SEQ_KDTYPE_F32:
    default:
      return ((const float *) W->data)[off];
  }
}

/* One panel, one row: acc[j] = init[j]; acc[j] = fmaf (x[k], w[k][j], acc[j]) */
static void
panel_row (const float *restrict x, const SeqPacked * W, guint p,
    const float *init, float *acc)
{
  const guint pw = W->pw;
  gsize base = (gsize) p * W->K * pw;

  if (acc != init)
    for (guint j = 0; j < pw; j++)
      acc[j] = init[j];
  for (guint k = 0; k < W->K; k++) {
    float xk = x[k];
    gsize off = base + (gsize) k * pw;
    for (guint j = 0; j < pw; j++)
      acc[j] = fmaf (xk, load_w (W, off + j), acc[j]);
  }
}

/* One panel, one bf16 row against a BF16_VNNI matrix: the fmaf chain over
 * k = 0 .. K-1 (the zero padding past K is not visited). */
static void
panel_row_b (const guint16 *restrict x, const SeqPacked * W, guint p,
    const float *init, float *acc)
{
  const guint16 *w = W->data;
  const guint G = W->groups;
  guint nkb = W->Kp / SEQ_BF16_KBLOCK;

  if (acc != init)
    for (guint j = 0; j < W->pw; j++)
      acc[j] = init[j];
  for (guint k = 0; k < W->K; k++) {
    float xk = seq_bf16_to_f32 (x[k]);
    guint kb = k / SEQ_BF16_KBLOCK, k2 = (k % SEQ_BF16_KBLOCK) / 2;
    for (guint q = 0; q < G; q++) {
      const guint16 *t = w + (((gsize) p * nkb + kb) * G + q) * 512 +
          k2 * 32 + k % 2;
      for (guint j = 0; j < 16; j++)
        acc[q * 16 + j] = fmaf (xk, seq_bf16_to_f32 (t[2 * j]),
            acc[q * 16 + j]);
    }
  }
}

/* One panel, one int8 row (kernels.h): the exact integer dot product of
 * every column, then one fmaf into init. */
static void
panel_row_q (const guint8 *restrict x, float xs, const SeqPacked * W,
    guint p, const float *init, float *acc)
{
  const guint pw = W->pw, nkq = W->Kp / SEQ_I8_KQUAD;
  const gint8 *w = (const gint8 *) W->data + (gsize) p * W->Kp * pw;
  gint64 dot[SEQ_PANEL];

  for (guint j = 0; j < pw; j++)
    dot[j] = 0;
  for (guint kq = 0; kq < nkq; kq++) {
    const guint8 *xk = x + kq * SEQ_I8_KQUAD;
    const gint8 *wk = w + (gsize) kq * pw * SEQ_I8_KQUAD;
    for (guint j = 0; j < pw; j++)
      for (guint e = 0; e < SEQ_I8_KQUAD; e++)
        dot[j] += (gint32) xk[e] * wk[j * SEQ_I8_KQUAD + e];
  }
  for (guint j = 0; j < pw; j++) {
    gint32 a = (gint32) (dot[j] - W->comp[p * pw + j]);
    acc[j] = fmaf ((float) a, xs * W->scale[p * pw + j], init[j]);
  }
}

static void
gemm_scalar (const float *X, gsize ldx, guint M, const SeqPacked * W,
    guint p0, guint p1, const float *init, gsize ldi, float *Y, gsize ldy)
{
  const guint pw = W->pw;

  for (guint p = p0; p < p1; p++)
    for (guint m = 0; m < M; m++)
      panel_row (X + m * ldx, W, p, init + m * ldi + p * pw,
          Y + m * ldy + p * pw);
}

static void
gemv_scalar (const float *x, const SeqPacked * W, guint p0, guint p1,
    const float *init, float *y)
{
  gemm_scalar (x, 0, 1, W, p0, p1, init, 0, y, 0);
}

void
seq_kernel_gemm_b_scalar (const guint16 *X, gsize ldx, guint M,
    const SeqPacked * W, guint p0, guint p1, const float *init, gsize ldi,
    float *Y, gsize ldy)
{
  const guint pw = W->pw;

  for (guint p = p0; p < p1; p++)
    for (guint m = 0; m < M; m++)
      panel_row_b (X + m * ldx, W, p, init + m * ldi + p * pw,
          Y + m * ldy + p * pw);
}

void
seq_kernel_gemm_q_scalar (const guint8 *X, gsize ldx, const float *xs,
    guint M, const SeqPacked * W, guint p0, guint p1, const float *init,
    gsize ldi, float *Y, gsize ldy)
{
  const guint pw = W->pw;

  for (guint p = p0; p < p1; p++)
    for (guint m = 0; m < M; m++)
      panel_row_q (X + m * ldx, xs[m], W, p, init + m * ldi + p * pw,
          Y + m * ldy + p * pw);
}

/* The fused step of kernels.h in int8, row by row. */
static inline void
step_q_scalar (const SeqStepArgs * a, guint M, guint p0, guint p1,
    SeqCellKind cell)
{
  const guint pw = a->wh->pw;
  float gx[SEQ_PANEL], gh[SEQ_PANEL];

  for (guint p = p0; p < p1; p++) {
    for (guint m = 0; m < M; m++) {
      const float *gxr = a->pre + m * a->ldp + p * pw;
      const guint8 *hq = a->hq + m * a->ldhq;
      float *h = a->hout + m * a->ldo + p * SEQ_GROUP;

      if (a->xq != NULL) {
        panel_row_q (a->xq + m * a->ldx, a->xs[m], a->wx, p, gxr, gx);
        gxr = gx;
      }
      if (cell == SEQ_CELL_LSTM) {
        panel_row_q (hq, a->hs[m], a->wh, p, gxr, gh);
        seq_lstm_gates_scalar (gh, a->c + m * a->ldc + p * SEQ_GROUP, h);
      } else {
        panel_row_q (hq, a->hs[m], a->wh, p, a->bh + p * pw, gh);
        seq_gru_gates_scalar (gxr, gh, a->h + m * a->ldh + p * SEQ_GROUP, h);
      }
    }
  }
}

void
seq_kernel_lstm_step_q_scalar (const SeqStepArgs * a, guint M, guint p0,
    guint p1)
{
  step_q_scalar (a, M, p0, p1, SEQ_CELL_LSTM);
}

void
seq_kernel_gru_step_q_scalar (const SeqStepArgs * a, guint M, guint p0,
    guint p1)
{
  step_q_scalar (a, M, p0, p1, SEQ_CELL_GRU);
}

/* The fused step of kernels.h, row by row. @bf: bf16 activations. */
static inline void
step_scalar (const SeqStepArgs * a, guint M, guint p0, guint p1,
    SeqCellKind cell, gboolean bf)
{
  const guint pw = a->wh->pw;
  float gx[SEQ_PANEL], gh[SEQ_PANEL];

  for (guint p = p0; p < p1; p++) {
    for (guint m = 0; m < M; m++) {
      const float *pre = a->pre + m * a->ldp + p * pw;
      const float *gxr = pre;
      float *h = a->hout + m * a->ldo + p * SEQ_GROUP;

      if (bf ? a->xb != NULL : a->x != NULL) {
        if (bf)
          panel_row_b (a->xb + m * a->ldx, a->wx, p, pre, gx);
        else
          panel_row (a->x + m * a->ldx, a->wx, p, pre, gx);
        gxr = gx;
      }
      if (cell == SEQ_CELL_LSTM) {
        /* one chain: input part, then h Wh */
        if (bf)
          panel_row_b (a->hb + m * a->ldhb, a->wh, p, gxr, gh);
        else
          panel_row (a->h + m * a->ldh, a->wh, p, gxr, gh);
        seq_lstm_gates_scalar (gh, a->c + m * a->ldc + p * SEQ_GROUP, h);
      } else {
        /* GRU: its own chain from b_hh */
        if (bf)
          panel_row_b (a->hb + m * a->ldhb, a->wh, p, a->bh + p * pw, gh);
        else
          panel_row (a->h + m * a->ldh, a->wh, p, a->bh + p * pw, gh);
        seq_gru_gates_scalar (gxr, gh, a->h + m * a->ldh + p * SEQ_GROUP, h);
      }
      if (bf)
        for (guint j = 0; j < SEQ_GROUP; j++)
          a->hout_b[m * a->ldob + p * SEQ_GROUP + j] = seq_f32_to_bf16 (h[j]);
    }
  }
}

static void
lstm_step_scalar (const SeqStepArgs * a, guint M, guint p0, guint p1)
{
  step_scalar (a, M, p0, p1, SEQ_CELL_LSTM, FALSE);
}

static void
gru_step_scalar (const SeqStepArgs * a, guint M, guint p0, guint p1)
{
  step_scalar (a, M, p0, p1, SEQ_CELL_GRU, FALSE);
}

void
seq_kernel_lstm_step_b_scalar (const SeqStepArgs * a, guint M, guint p0,
    guint p1)
{
  step_scalar (a, M, p0, p1, SEQ_CELL_LSTM, TRUE);
}

void
seq_kernel_gru_step_b_scalar (const SeqStepArgs * a, guint M, guint p0,
    guint p1)
{
  step_scalar (a, M, p0, p1, SEQ_CELL_GRU, TRUE);
}

const SeqKernels seq_kernels_scalar = {
  .name = "scalar",
  .gemm = gemm_scalar,
  .gemv = gemv_scalar,
  .gemm_b = seq_kernel_gemm_b_scalar,
  .step = {
        [SEQ_CELL_LSTM] = lstm_step_scalar,
        [SEQ_CELL_GRU] = gru_step_scalar,
      },
  .step_b = {
        [SEQ_CELL_LSTM] = seq_kernel_lstm_step_b_scalar,
        [SEQ_CELL_GRU] = seq_kernel_gru_step_b_scalar,
      },
  .name_q = "scalar",
  .gemm_q = seq_kernel_gemm_q_scalar,
  .step_q = {
        [SEQ_CELL_LSTM] = seq_kernel_lstm_step_q_scalar,
        [SEQ_CELL_GRU] = seq_kernel_gru_step_q_scalar,
      },
};
