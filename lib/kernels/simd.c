/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — the SIMD kernels, one source for AVX2 + FMA and AVX-512F.
 * meson builds it twice, with -DSEQ_SIMD_WIDTH=8 (-mavx2 -mfma -mf16c) and
 * -DSEQ_SIMD_WIDTH=16 (-mavx512f), and -ffp-contract=off; seq_kernels_get
 * picks one at run time. Written against the vector operations of simd.h,
 * and the same operations, in the same order, as the scalar reference
 * (scalar.c): every output runs its own sequential fmadd chain over k.
 *
 * A panel of G groups (packed.h) is covered by passes of G vectors (one
 * pass at width 16, two at width 8); rows are register-blocked by up to MR
 * (MR x G accumulators). With one row (the single-stream, memory-bound
 * case) up to GEMV_NP consecutive panels are streamed at once. */
#include "simd.h"
#include "kernels.h"
#include "gates.h"
#include "seqenc-private.h"

#if SEQ_SIMD_WIDTH == 16
#define MR 6
#define GEMV_NP 4
#define SEQ_SIMD_SUFFIX(name) name##_avx512
#else
#define MR 3
#define GEMV_NP 2
#define SEQ_SIMD_SUFFIX(name) name##_avx2
#endif

#define NPASS (SEQ_GROUP / SEQ_VL)      /* passes per panel */
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* VL weights at element @off of panel data @Wp, as f32 */
ALWAYS_INLINE SeqVf
ld_w (const int dt, const void *Wp, gsize off)
{
  if (dt == SEQ_KDTYPE_BF16)
    return seq_vf_load_bf16 ((const guint16 *) Wp + off);
  if (dt == SEQ_KDTYPE_F16)
    return seq_vf_load_f16 ((const guint16 *) Wp + off);
  return seq_vf_load ((const float *) Wp + off);
}

/* Rows [0, mr) x the G vectors of one pass (columns [c0, c0 + G VL) of a
 * panel of width 16 G): init, then the fmadd chain over k. */
ALWAYS_INLINE void
micro (const int mr, const int G, const int dt, const float *restrict X,
    gsize ldx, guint K, const void *Wp, guint c0, const float *init,
    gsize ldi, float *out, gsize ldout)
{
  const gsize pw = (gsize) SEQ_GROUP * G;
  SeqVf acc[MR][SEQ_MAX_GROUPS];

  _Pragma ("GCC unroll 8")
  for (int r = 0; r < mr; r++)
    _Pragma ("GCC unroll 4")
    for (int q = 0; q < G; q++)
      acc[r][q] = seq_vf_loadu (init + r * ldi + c0 + SEQ_VL * q);
  for (guint k = 0; k < K; k++) {
    gsize off = (gsize) k * pw + c0;
    SeqVf w[SEQ_MAX_GROUPS];
    _Pragma ("GCC unroll 4")
    for (int q = 0; q < G; q++)
      w[q] = ld_w (dt, Wp, off + SEQ_VL * q);
    _Pragma ("GCC unroll 8")
    for (int r = 0; r < mr; r++) {
      SeqVf xb = seq_vf_set1 (X[r * ldx + k]);
      _Pragma ("GCC unroll 4")
      for (int q = 0; q < G; q++)
        acc[r][q] = seq_vf_fmadd (xb, w[q], acc[r][q]);
    }
  }
  _Pragma ("GCC unroll 8")
  for (int r = 0; r < mr; r++)
    _Pragma ("GCC unroll 4")
    for (int q = 0; q < G; q++)
      seq_vf_storeu (out + r * ldout + c0 + SEQ_VL * q, acc[r][q]);
}

#define MICRO_G(mr, dt, ...)                                                 \
  do {                                                                       \
    if (G == 3) micro (mr, 3, dt, __VA_ARGS__);                              \
    else micro (mr, 4, dt, __VA_ARGS__);                                     \
  } while (0)

#define MICRO_DT(mr, ...)                                                    \
  do {                                                                       \
    switch (W->dtype) {                                                      \
      case SEQ_KDTYPE_BF16: MICRO_G (mr, SEQ_KDTYPE_BF16, __VA_ARGS__); break;\
      case SEQ_KDTYPE_F16: MICRO_G (mr, SEQ_KDTYPE_F16, __VA_ARGS__); break; \
      default: MICRO_G (mr, SEQ_KDTYPE_F32, __VA_ARGS__); break;             \
    }                                                                        \
  } while (0)

/* Rows [0, mr) of panel p into out (stride ldout) from init (stride ldi). */
static void
panel_rows (int mr, const float *X, gsize ldx, const SeqPacked * W, guint p,
    const float *init, gsize ldi, float *out, gsize ldout)
{
  const guint G = W->groups;
  const gsize base = (gsize) p * W->K * W->pw;
  const void *Wp = W->dtype == SEQ_KDTYPE_F32 ?
      (const void *) ((const float *) W->data + base) :
      (const void *) ((const guint16 *) W->data + base);

  for (guint pass = 0; pass < NPASS; pass++) {
    guint c0 = pass * G * SEQ_VL;
    switch (mr) {
#if MR > 3
      case 6:
        MICRO_DT (6, X, ldx, W->K, Wp, c0, init, ldi, out, ldout);
        break;
      case 5:
        MICRO_DT (5, X, ldx, W->K, Wp, c0, init, ldi, out, ldout);
        break;
      case 4:
        MICRO_DT (4, X, ldx, W->K, Wp, c0, init, ldi, out, ldout);
        break;
#endif
      case 3:
        MICRO_DT (3, X, ldx, W->K, Wp, c0, init, ldi, out, ldout);
        break;
      case 2:
        MICRO_DT (2, X, ldx, W->K, Wp, c0, init, ldi, out, ldout);
        break;
      default:
        MICRO_DT (1, X, ldx, W->K, Wp, c0, init, ldi, out, ldout);
        break;
    }
  }
}

/* One row against np <= GEMV_NP consecutive whole panels: np weight
 * streams at once (memory-level parallelism); per output the same fmadd
 * chain. init and out hold pw floats per panel, consecutive. */
ALWAYS_INLINE void
gemv_np (const int np, const int G, const int dt, const float *restrict x,
    guint K, const void *Wp, gsize pstride, const float *init, float *out)
{
  const int nj = SEQ_GROUP * G / SEQ_VL, pw = SEQ_GROUP * G;
  SeqVf acc[GEMV_NP][SEQ_GROUP * SEQ_MAX_GROUPS / SEQ_VL];

  _Pragma ("GCC unroll 4")
  for (int q = 0; q < np; q++)
    _Pragma ("GCC unroll 8")
    for (int j = 0; j < nj; j++)
      acc[q][j] = seq_vf_loadu (init + q * pw + SEQ_VL * j);
  for (guint k = 0; k < K; k++) {
    SeqVf xb = seq_vf_set1 (x[k]);
    _Pragma ("GCC unroll 4")
    for (int q = 0; q < np; q++) {
      gsize off = q * pstride + (gsize) k * pw;
      _Pragma ("GCC unroll 8")
      for (int j = 0; j < nj; j++)
        acc[q][j] = seq_vf_fmadd (xb, ld_w (dt, Wp, off + SEQ_VL * j),
            acc[q][j]);
    }
  }
  _Pragma ("GCC unroll 4")
  for (int q = 0; q < np; q++)
    _Pragma ("GCC unroll 8")
    for (int j = 0; j < nj; j++)
      seq_vf_storeu (out + q * pw + SEQ_VL * j, acc[q][j]);
}

#define GEMV_G(np, dt, ...)                                                  \
  do {                                                                       \
    if (G == 3) gemv_np (np, 3, dt, __VA_ARGS__);                            \
    else gemv_np (np, 4, dt, __VA_ARGS__);                                   \
  } while (0)

#define GEMV_DT(np, ...)                                                     \
  do {                                                                       \
    switch (W->dtype) {                                                      \
      case SEQ_KDTYPE_BF16: GEMV_G (np, SEQ_KDTYPE_BF16, __VA_ARGS__); break;\
      case SEQ_KDTYPE_F16: GEMV_G (np, SEQ_KDTYPE_F16, __VA_ARGS__); break;  \
      default: GEMV_G (np, SEQ_KDTYPE_F32, __VA_ARGS__); break;              \
    }                                                                        \
  } while (0)

/* Row x against panels [p, p + np) */
static void
panels_row1 (int np, const float *x, const SeqPacked * W, guint p,
    const float *init, float *out)
{
  const guint G = W->groups;
  const gsize pstride = (gsize) W->K * W->pw, base = (gsize) p * pstride;
  const void *Wp = W->dtype == SEQ_KDTYPE_F32 ?
      (const void *) ((const float *) W->data + base) :
      (const void *) ((const guint16 *) W->data + base);

  switch (np) {
#if GEMV_NP > 2
    case 4:
      GEMV_DT (4, x, W->K, Wp, pstride, init, out);
      break;
    case 3:
      GEMV_DT (3, x, W->K, Wp, pstride, init, out);
      break;
#endif
    case 2:
      GEMV_DT (2, x, W->K, Wp, pstride, init, out);
      break;
    default:
      GEMV_DT (1, x, W->K, Wp, pstride, init, out);
      break;
  }
}

/* ---- bf16/f16 weights with many rows: convert the panel once ------------
 * With many rows the kernel is compute-bound and converting every weight
 * load costs issue slots; so a bf16/f16 panel is converted (exactly) to f32
 * once into a per-thread buffer and the f32 micro-kernel runs on it. Same
 * values, same operations: the same bits. The buffer is allocated on a
 * thread's first use (or when a larger panel comes) and freed at thread
 * exit, so the steady state allocates nothing. */
#define CONVERT_MIN_ROWS (2 * MR)

typedef struct {
  gsize cap;                    /* floats */
  float *buf;
} ConvBuf;

static void
conv_buf_free (gpointer p)
{
  ConvBuf *c = p;
  seq_aligned_free (c->buf);
  g_free (c);
}

static GPrivate conv_key = G_PRIVATE_INIT (conv_buf_free);

static float *
conv_buffer (gsize n)
{
  ConvBuf *c = g_private_get (&conv_key);

  if (c == NULL) {
    c = g_new0 (ConvBuf, 1);
    g_private_set (&conv_key, c);
  }
  if (c->cap < n) {
    seq_aligned_free (c->buf);
    c->buf = seq_aligned_floats (n);
    c->cap = c->buf ? n : 0;
  }
  return c->buf;
}

/* Panel p of W as a one-panel f32 matrix in @buf (K * pw floats). */
static const SeqPacked *
panel_f32_view (const SeqPacked * W, guint p, float *buf, SeqPacked * view)
{
  const guint pw = W->pw;
  const guint16 *src = (const guint16 *) W->data + (gsize) p * W->K * pw;

  for (guint k = 0; k < W->K; k++) {
    gsize off = (gsize) k * pw;
    for (guint j = 0; j < pw; j += SEQ_VL)
      seq_vf_store (buf + off + j, W->dtype == SEQ_KDTYPE_BF16 ?
          seq_vf_load_bf16 (src + off + j) : seq_vf_load_f16 (src + off +
              j));
  }
  *view = *W;
  view->N = pw;
  view->n_panels = 1;
  view->Kp = W->K;
  view->dtype = SEQ_KDTYPE_F32;
  view->data = buf;
  return view;
}

void
SEQ_SIMD_SUFFIX (seq_kernel_gemv) (const float *x, const SeqPacked * W,
    guint p0, guint p1, const float *init, float *y)
{
  for (guint p = p0; p < p1; p += GEMV_NP)
    panels_row1 ((int) MIN (GEMV_NP, p1 - p), x, W, p, init + p * W->pw,
        y + p * W->pw);
}

void
SEQ_SIMD_SUFFIX (seq_kernel_gemm) (const float *X, gsize ldx, guint M,
    const SeqPacked * W, guint p0, guint p1, const float *init, gsize ldi,
    float *Y, gsize ldy)
{
  const guint pw = W->pw;

  if (M == 1) {
    SEQ_SIMD_SUFFIX (seq_kernel_gemv) (X, W, p0, p1, init, Y);
    return;
  }
  for (guint p = p0; p < p1; p++) {
    const SeqPacked *Wv = W;
    guint pv = p;
    SeqPacked view;
    float *buf;

    if (W->dtype != SEQ_KDTYPE_F32 && M >= CONVERT_MIN_ROWS
        && (buf = conv_buffer ((gsize) W->K * pw)) != NULL) {
      Wv = panel_f32_view (W, p, buf, &view);
      pv = 0;
    }
    for (guint m = 0; m < M; m += MR) {
      int mr = (int) MIN (MR, M - m);
      panel_rows (mr, X + m * ldx, ldx, Wv, pv, init + m * ldi + p * pw, ldi,
          Y + m * ldy + p * pw, ldy);
    }
  }
}

/* ---- fused recurrent step (kernels.h), gate math of gates.h ------------- */

ALWAYS_INLINE void
step_simd (const SeqStepArgs * a, guint M, guint p0, guint p1,
    const SeqCellKind cell)
{
  const guint pw = a->wh->pw;
  float gx[MR * SEQ_PANEL] __attribute__((aligned (64)));
  float gh[MR * SEQ_PANEL] __attribute__((aligned (64)));

  if (M == 1) {
    for (guint p = p0; p < p1; p += GEMV_NP) {
      int np = (int) MIN (GEMV_NP, p1 - p);
      const float *gxr = a->pre + p * pw;
      if (a->x != NULL) {
        panels_row1 (np, a->x, a->wx, p, gxr, gx);
        gxr = gx;
      }
      if (cell == SEQ_CELL_LSTM) {
        panels_row1 (np, a->h, a->wh, p, gxr, gh);
        for (int q = 0; q < np; q++)
          seq_lstm_gates_v (gh + q * pw, a->c + (p + q) * SEQ_GROUP,
              a->hout + (p + q) * SEQ_GROUP);
      } else {
        panels_row1 (np, a->h, a->wh, p, a->bh + p * pw, gh);
        for (int q = 0; q < np; q++)
          seq_gru_gates_v (gxr + q * pw, gh + q * pw,
              a->h + (p + q) * SEQ_GROUP, a->hout + (p + q) * SEQ_GROUP);
      }
    }
    return;
  }

  for (guint p = p0; p < p1; p++) {
    const SeqPacked *Wxv = a->wx, *Whv = a->wh;
    guint pxv = p, phv = p;
    SeqPacked xview, hview;
    float *buf;

    if (a->wh->dtype != SEQ_KDTYPE_F32 && M >= CONVERT_MIN_ROWS
        && (buf = conv_buffer ((gsize) ((a->x ? a->wx->K : 0) + a->wh->K)
                * pw)) != NULL) {
      Whv = panel_f32_view (a->wh, p, buf, &hview);
      phv = 0;
      if (a->x != NULL) {
        Wxv = panel_f32_view (a->wx, p, buf + (gsize) a->wh->K * pw, &xview);
        pxv = 0;
      }
    }
    for (guint m = 0; m < M; m += MR) {
      int mr = (int) MIN (MR, M - m);
      const float *gxr = a->pre + m * a->ldp + p * pw;
      gsize ldgx = a->ldp;
      if (a->x != NULL) {
        panel_rows (mr, a->x + m * a->ldx, a->ldx, Wxv, pxv, gxr, a->ldp, gx,
            SEQ_PANEL);
        gxr = gx;
        ldgx = SEQ_PANEL;
      }
      if (cell == SEQ_CELL_LSTM) {
        panel_rows (mr, a->h + m * a->ldh, a->ldh, Whv, phv, gxr, ldgx, gh,
            SEQ_PANEL);
        for (int r = 0; r < mr; r++)
          seq_lstm_gates_v (gh + r * SEQ_PANEL,
              a->c + (m + r) * a->ldc + p * SEQ_GROUP,
              a->hout + (m + r) * a->ldo + p * SEQ_GROUP);
      } else {
        panel_rows (mr, a->h + m * a->ldh, a->ldh, Whv, phv, a->bh + p * pw,
            0, gh, SEQ_PANEL);
        for (int r = 0; r < mr; r++)
          seq_gru_gates_v (gxr + r * ldgx, gh + r * SEQ_PANEL,
              a->h + (m + r) * a->ldh + p * SEQ_GROUP,
              a->hout + (m + r) * a->ldo + p * SEQ_GROUP);
      }
    }
  }
}

void
SEQ_SIMD_SUFFIX (seq_kernel_lstm_step) (const SeqStepArgs * a, guint M,
    guint p0, guint p1)
{
  step_simd (a, M, p0, p1, SEQ_CELL_LSTM);
}

void
SEQ_SIMD_SUFFIX (seq_kernel_gru_step) (const SeqStepArgs * a, guint M,
    guint p0, guint p1)
{
  step_simd (a, M, p0, p1, SEQ_CELL_GRU);
}

const SeqKernels SEQ_SIMD_SUFFIX (seq_kernels) = {
#if SEQ_SIMD_WIDTH == 16
  .name = "avx512",
#else
  .name = "avx2",
#endif
  .gemm = SEQ_SIMD_SUFFIX (seq_kernel_gemm),
  .gemv = SEQ_SIMD_SUFFIX (seq_kernel_gemv),
  .gemm_b = seq_kernel_gemm_b_scalar,
  .step = {
        [SEQ_CELL_LSTM] = SEQ_SIMD_SUFFIX (seq_kernel_lstm_step),
        [SEQ_CELL_GRU] = SEQ_SIMD_SUFFIX (seq_kernel_gru_step),
      },
  .step_b = {
        [SEQ_CELL_LSTM] = seq_kernel_lstm_step_b_scalar,
        [SEQ_CELL_GRU] = seq_kernel_gru_step_b_scalar,
      },
};
