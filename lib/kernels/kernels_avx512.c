/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — AVX-512F kernels (compiled with -mavx512f -mfma -mf16c,
 * -ffp-contract=off; chosen at run time). Same operations, in the same
 * order, as the scalar reference in kernels.c: one 64-column panel is 4 zmm
 * registers, rows are register-blocked by up to MR = 6 (24 accumulators),
 * and every accumulator runs its own sequential fmadd chain over k. */
#include "kernels.h"
#include "gate_avx512.h"
#include "seqenc-private.h"

#include <immintrin.h>

#define MR 6

static inline __attribute__((always_inline)) __m512
ld_f32 (const void *base, gsize off)
{
  return _mm512_load_ps ((const float *) base + off);
}

static inline __attribute__((always_inline)) __m512
ld_bf16 (const void *base, gsize off)
{
  __m256i v = _mm256_load_si256 ((const __m256i *) ((const guint16 *) base +
          off));
  return _mm512_castsi512_ps (_mm512_slli_epi32 (_mm512_cvtepu16_epi32 (v),
          16));
}

static inline __attribute__((always_inline)) __m512
ld_f16 (const void *base, gsize off)
{
  __m256i v = _mm256_load_si256 ((const __m256i *) ((const guint16 *) base +
          off));
  return _mm512_cvtph_ps (v);
}

/* acc[r][q] for r < mr: init, then fmadd over k of the panel. Writes the
 * 64 results of each row to out + r * ldout. */
#define DEFINE_MICRO(NAME, LOADW)                                            \
static inline __attribute__((always_inline)) void                            \
NAME (const int mr, const float *restrict X, gsize ldx, guint K,             \
    const void *Wp, const float *init, gsize ldi,                   \
    float *out, gsize ldout)                                        \
{                                                                            \
  __m512 acc[MR][4];                                                         \
  _Pragma ("GCC unroll 8")                                                 \
  for (int r = 0; r < mr; r++)                                               \
    _Pragma ("GCC unroll 4")                                               \
    for (int q = 0; q < 4; q++)                                              \
      acc[r][q] = _mm512_loadu_ps (init + r * ldi + 16 * q);                 \
  for (guint k = 0; k < K; k++) {                                            \
    gsize off = (gsize) k * 64;                                              \
    __m512 w0 = LOADW (Wp, off), w1 = LOADW (Wp, off + 16);                  \
    __m512 w2 = LOADW (Wp, off + 32), w3 = LOADW (Wp, off + 48);             \
    _Pragma ("GCC unroll 8")                                               \
    for (int r = 0; r < mr; r++) {                                           \
      __m512 xb = _mm512_set1_ps (X[r * ldx + k]);                           \
      acc[r][0] = _mm512_fmadd_ps (xb, w0, acc[r][0]);                       \
      acc[r][1] = _mm512_fmadd_ps (xb, w1, acc[r][1]);                       \
      acc[r][2] = _mm512_fmadd_ps (xb, w2, acc[r][2]);                       \
      acc[r][3] = _mm512_fmadd_ps (xb, w3, acc[r][3]);                       \
    }                                                                        \
  }                                                                          \
  _Pragma ("GCC unroll 8")                                                 \
  for (int r = 0; r < mr; r++)                                               \
    _Pragma ("GCC unroll 4")                                               \
    for (int q = 0; q < 4; q++)                                              \
      _mm512_storeu_ps (out + r * ldout + 16 * q, acc[r][q]);                \
}

DEFINE_MICRO (micro_f32, ld_f32)
DEFINE_MICRO (micro_bf16, ld_bf16)
DEFINE_MICRO (micro_f16, ld_f16)

#define DISPATCH_MR(MICRO, mr, ...)                                          \
  switch (mr) {                                                              \
    case 6: MICRO (6, __VA_ARGS__); break;                                   \
    case 5: MICRO (5, __VA_ARGS__); break;                                   \
    case 4: MICRO (4, __VA_ARGS__); break;                                   \
    case 3: MICRO (3, __VA_ARGS__); break;                                   \
    case 2: MICRO (2, __VA_ARGS__); break;                                   \
    default: MICRO (1, __VA_ARGS__); break;                                  \
  }

/* Rows [m, m + mr) of panel p into out (stride ldout), init (stride ldi). */
static void
panel_rows (int mr, const float *X, gsize ldx, const SeqPacked * W, guint p,
    const float *init, gsize ldi, float *out, gsize ldout)
{
  gsize base = (gsize) p * W->K * 64;

  switch (W->dtype) {
    case SEQ_KDTYPE_BF16:{
      const void *Wp = (const guint16 *) W->data + base;
      DISPATCH_MR (micro_bf16, mr, X, ldx, W->K, Wp, init, ldi, out, ldout);
      break;
    }
    case SEQ_KDTYPE_F16:{
      const void *Wp = (const guint16 *) W->data + base;
      DISPATCH_MR (micro_f16, mr, X, ldx, W->K, Wp, init, ldi, out, ldout);
      break;
    }
    case SEQ_KDTYPE_F32:
    default:{
      const void *Wp = (const float *) W->data + base;
      DISPATCH_MR (micro_f32, mr, X, ldx, W->K, Wp, init, ldi, out, ldout);
      break;
    }
  }
}

/* One row against np <= 4 consecutive panels at once: 16 accumulators and
 * np independent weight streams (more memory-level parallelism for the
 * memory-bound single-stream case). Per output the same fmadd chain. */
#define DEFINE_GEMV(NAME, LOADW)                                             \
static inline __attribute__((always_inline)) void                            \
NAME (const int np, const float *restrict x, guint K, const void *Wp,        \
    gsize pstride, const float *init, float *out)                            \
{                                                                            \
  __m512 acc[4][4];                                                          \
  _Pragma ("GCC unroll 4")                                                   \
  for (int q = 0; q < np; q++)                                               \
    _Pragma ("GCC unroll 4")                                                 \
    for (int j = 0; j < 4; j++)                                              \
      acc[q][j] = _mm512_loadu_ps (init + q * 64 + 16 * j);                  \
  for (guint k = 0; k < K; k++) {                                            \
    __m512 xb = _mm512_set1_ps (x[k]);                                       \
    _Pragma ("GCC unroll 4")                                                 \
    for (int q = 0; q < np; q++) {                                           \
      gsize off = q * pstride + (gsize) k * 64;                              \
      acc[q][0] = _mm512_fmadd_ps (xb, LOADW (Wp, off), acc[q][0]);          \
      acc[q][1] = _mm512_fmadd_ps (xb, LOADW (Wp, off + 16), acc[q][1]);     \
      acc[q][2] = _mm512_fmadd_ps (xb, LOADW (Wp, off + 32), acc[q][2]);     \
      acc[q][3] = _mm512_fmadd_ps (xb, LOADW (Wp, off + 48), acc[q][3]);     \
    }                                                                        \
  }                                                                          \
  _Pragma ("GCC unroll 4")                                                   \
  for (int q = 0; q < np; q++)                                               \
    _Pragma ("GCC unroll 4")                                                 \
    for (int j = 0; j < 4; j++)                                              \
      _mm512_storeu_ps (out + q * 64 + 16 * j, acc[q][j]);                   \
}

DEFINE_GEMV (gemv_f32, ld_f32)
DEFINE_GEMV (gemv_bf16, ld_bf16)
DEFINE_GEMV (gemv_f16, ld_f16)

#define DISPATCH_NP(GEMV, np, ...)                                           \
  switch (np) {                                                              \
    case 4: GEMV (4, __VA_ARGS__); break;                                    \
    case 3: GEMV (3, __VA_ARGS__); break;                                    \
    case 2: GEMV (2, __VA_ARGS__); break;                                    \
    default: GEMV (1, __VA_ARGS__); break;                                   \
  }

/* Row x against panels [p, p + np): init and out hold 64 floats per panel,
 * consecutive. */
static void
panels_row1 (int np, const float *x, const SeqPacked * W, guint p,
    const float *init, float *out)
{
  gsize pstride = (gsize) W->K * 64;
  gsize base = (gsize) p * pstride;

  switch (W->dtype) {
    case SEQ_KDTYPE_BF16:{
      const void *Wp = (const guint16 *) W->data + base;
      DISPATCH_NP (gemv_bf16, np, x, W->K, Wp, pstride, init, out);
      break;
    }
    case SEQ_KDTYPE_F16:{
      const void *Wp = (const guint16 *) W->data + base;
      DISPATCH_NP (gemv_f16, np, x, W->K, Wp, pstride, init, out);
      break;
    }
    case SEQ_KDTYPE_F32:
    default:{
      const void *Wp = (const float *) W->data + base;
      DISPATCH_NP (gemv_f32, np, x, W->K, Wp, pstride, init, out);
      break;
    }
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

/* Panel p of W as a one-panel f32 matrix in @buf (K * 64 floats). */
static const SeqPacked *
panel_f32_view (const SeqPacked * W, guint p, float *buf, SeqPacked * view)
{
  gsize base = (gsize) p * W->K * 64;
  const void *src = (const guint16 *) W->data + base;

  for (guint k = 0; k < W->K; k++) {
    gsize off = (gsize) k * 64;
    for (int j = 0; j < 64; j += 16)
      _mm512_store_ps (buf + off + j, W->dtype == SEQ_KDTYPE_BF16 ?
          ld_bf16 (src, off + j) : ld_f16 (src, off + j));
  }
  view->K = W->K;
  view->N = 64;
  view->n_panels = 1;
  view->dtype = SEQ_KDTYPE_F32;
  view->data = buf;
  return view;
}

void
seq_kernel_gemm_avx512 (const float *X, gsize ldx, guint M, const SeqPacked * W,
    guint p0, guint p1, const float *init, gsize ldi, float *Y, gsize ldy)
{
  if (M == 1) {
    for (guint p = p0; p < p1; p += 4)
      panels_row1 ((int) MIN (4, p1 - p), X, W, p, init + p * 64,
          Y + p * 64);
    return;
  }
  for (guint p = p0; p < p1; p++) {
    const SeqPacked *Wv = W;
    guint pv = p;
    SeqPacked view;
    float *buf;

    if (W->dtype != SEQ_KDTYPE_F32 && M >= CONVERT_MIN_ROWS
        && (buf = conv_buffer ((gsize) W->K * 64)) != NULL) {
      Wv = panel_f32_view (W, p, buf, &view);
      pv = 0;
    }
    for (guint m = 0; m < M; m += MR) {
      int mr = (int) MIN (MR, M - m);
      panel_rows (mr, X + m * ldx, ldx, Wv, pv, init + m * ldi + p * 64, ldi,
          Y + m * ldy + p * 64, ldy);
    }
  }
}

void
seq_kernel_lstm_step_avx512 (const float *X, gsize ldx, const SeqPacked * Wx,
    const float *Hprev, gsize ldh, guint M,
    const SeqPacked * W, guint p0, guint p1, const float *pre, gsize ldp,
    float *C, gsize ldc, float *Hout, gsize ldo)
{
  float g[MR * 64] __attribute__((aligned (64)));

  if (M == 1) {
    for (guint p = p0; p < p1; p += 4) {
      int np = (int) MIN (4, p1 - p);
      if (X != NULL) {
        panels_row1 (np, X, Wx, p, pre + p * 64, g);
        panels_row1 (np, Hprev, W, p, g, g);
      } else {
        panels_row1 (np, Hprev, W, p, pre + p * 64, g);
      }
      for (int q = 0; q < np; q++)
        gate16_avx512 (g + q * 64, C + (p + q) * 16, Hout + (p + q) * 16);
    }
    return;
  }

  for (guint p = p0; p < p1; p++) {
    const SeqPacked *Wxv = Wx, *Whv = W;
    guint pxv = p, phv = p;
    SeqPacked xview, hview;
    float *buf;

    if (W->dtype != SEQ_KDTYPE_F32 && M >= CONVERT_MIN_ROWS
        && (buf = conv_buffer ((gsize) ((X ? Wx->K : 0) + W->K) * 64))
        != NULL) {
      Whv = panel_f32_view (W, p, buf, &hview);
      phv = 0;
      if (X != NULL) {
        Wxv = panel_f32_view (Wx, p, buf + (gsize) W->K * 64, &xview);
        pxv = 0;
      }
    }
    for (guint m = 0; m < M; m += MR) {
      int mr = (int) MIN (MR, M - m);
      if (X != NULL) {
        panel_rows (mr, X + m * ldx, ldx, Wxv, pxv, pre + m * ldp + p * 64,
            ldp, g, 64);
        panel_rows (mr, Hprev + m * ldh, ldh, Whv, phv, g, 64, g, 64);
      } else {
        panel_rows (mr, Hprev + m * ldh, ldh, Whv, phv,
            pre + m * ldp + p * 64, ldp, g, 64);
      }
      for (int r = 0; r < mr; r++)
        gate16_avx512 (g + r * 64, C + (m + r) * ldc + p * 16,
            Hout + (m + r) * ldo + p * 16);
    }
  }
}

const SeqKernels seq_kernels_avx512 = {
  .name = "avx512",
  .gemm = seq_kernel_gemm_avx512,
  .lstm_step = seq_kernel_lstm_step_avx512,
  .gemm_b = seq_kernel_gemm_b_scalar,
  .lstm_step_b = seq_kernel_lstm_step_b_scalar,
};
