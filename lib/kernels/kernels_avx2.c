/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — AVX2 + FMA kernels (compiled with -mavx2 -mfma -mf16c,
 * -ffp-contract=off; chosen at run time). Same operations, in the same
 * order, as the scalar reference in kernels.c: a 64-column panel is handled
 * as two halves of 4 ymm registers, rows are register-blocked by up to
 * MR = 3 (12 accumulators), and every accumulator runs its own sequential
 * fmadd chain over k. */
#include "kernels.h"
#include "gatemath.h"

#include <immintrin.h>

#define MR 3

static inline __attribute__((always_inline)) __m256
ld_f32 (const void *base, gsize off)
{
  return _mm256_load_ps ((const float *) base + off);
}

static inline __attribute__((always_inline)) __m256
ld_bf16 (const void *base, gsize off)
{
  __m128i v = _mm_load_si128 ((const __m128i *) ((const guint16 *) base +
          off));
  return _mm256_castsi256_ps (_mm256_slli_epi32 (_mm256_cvtepu16_epi32 (v),
          16));
}

static inline __attribute__((always_inline)) __m256
ld_f16 (const void *base, gsize off)
{
  __m128i v = _mm_load_si128 ((const __m128i *) ((const guint16 *) base +
          off));
  return _mm256_cvtph_ps (v);
}

/* Half panel (32 columns starting at column @c0 of the panel). */
#define DEFINE_MICRO(NAME, LOADW)                                            \
static inline __attribute__((always_inline)) void                            \
NAME (const int mr, const float *restrict X, gsize ldx, guint K,             \
    const void *Wp, guint c0, const float *init, gsize ldi,         \
    float *out, gsize ldout)                                        \
{                                                                            \
  __m256 acc[MR][4];                                                         \
  _Pragma ("GCC unroll 8")                                                 \
  for (int r = 0; r < mr; r++)                                               \
    _Pragma ("GCC unroll 4")                                               \
    for (int q = 0; q < 4; q++)                                              \
      acc[r][q] = _mm256_loadu_ps (init + r * ldi + c0 + 8 * q);             \
  for (guint k = 0; k < K; k++) {                                            \
    gsize off = (gsize) k * 64 + c0;                                         \
    __m256 w0 = LOADW (Wp, off), w1 = LOADW (Wp, off + 8);                   \
    __m256 w2 = LOADW (Wp, off + 16), w3 = LOADW (Wp, off + 24);             \
    _Pragma ("GCC unroll 8")                                               \
    for (int r = 0; r < mr; r++) {                                           \
      __m256 xb = _mm256_set1_ps (X[r * ldx + k]);                           \
      acc[r][0] = _mm256_fmadd_ps (xb, w0, acc[r][0]);                       \
      acc[r][1] = _mm256_fmadd_ps (xb, w1, acc[r][1]);                       \
      acc[r][2] = _mm256_fmadd_ps (xb, w2, acc[r][2]);                       \
      acc[r][3] = _mm256_fmadd_ps (xb, w3, acc[r][3]);                       \
    }                                                                        \
  }                                                                          \
  _Pragma ("GCC unroll 8")                                                 \
  for (int r = 0; r < mr; r++)                                               \
    _Pragma ("GCC unroll 4")                                               \
    for (int q = 0; q < 4; q++)                                              \
      _mm256_storeu_ps (out + r * ldout + c0 + 8 * q, acc[r][q]);            \
}

DEFINE_MICRO (micro_f32, ld_f32)
DEFINE_MICRO (micro_bf16, ld_bf16)
DEFINE_MICRO (micro_f16, ld_f16)

#define DISPATCH_MR(MICRO, mr, ...)                                          \
  switch (mr) {                                                              \
    case 3: MICRO (3, __VA_ARGS__); break;                                   \
    case 2: MICRO (2, __VA_ARGS__); break;                                   \
    default: MICRO (1, __VA_ARGS__); break;                                  \
  }

static void
panel_rows (int mr, const float *X, gsize ldx, const SeqPacked * W, guint p,
    const float *init, gsize ldi, float *out, gsize ldout)
{
  gsize base = (gsize) p * W->K * 64;

  for (guint c0 = 0; c0 < 64; c0 += 32) {
    switch (W->dtype) {
      case SEQ_KDTYPE_BF16:{
        const void *Wp = (const guint16 *) W->data + base;
        DISPATCH_MR (micro_bf16, mr, X, ldx, W->K, Wp, c0, init, ldi, out,
            ldout);
        break;
      }
      case SEQ_KDTYPE_F16:{
        const void *Wp = (const guint16 *) W->data + base;
        DISPATCH_MR (micro_f16, mr, X, ldx, W->K, Wp, c0, init, ldi, out,
            ldout);
        break;
      }
      case SEQ_KDTYPE_F32:
      default:{
        const void *Wp = (const float *) W->data + base;
        DISPATCH_MR (micro_f32, mr, X, ldx, W->K, Wp, c0, init, ldi, out,
            ldout);
        break;
      }
    }
  }
}

/* One row against np <= 2 consecutive whole panels: 16 accumulators, the
 * panels streamed once each (the single-stream, memory-bound case). */
#define DEFINE_GEMV(NAME, LOADW)                                             \
static inline __attribute__((always_inline)) void                            \
NAME (const int np, const float *restrict x, guint K, const void *Wp,        \
    gsize pstride, const float *init, float *out)                            \
{                                                                            \
  __m256 acc[2][8];                                                          \
  _Pragma ("GCC unroll 2")                                                   \
  for (int q = 0; q < np; q++)                                               \
    _Pragma ("GCC unroll 8")                                                 \
    for (int j = 0; j < 8; j++)                                              \
      acc[q][j] = _mm256_loadu_ps (init + q * 64 + 8 * j);                   \
  for (guint k = 0; k < K; k++) {                                            \
    __m256 xb = _mm256_set1_ps (x[k]);                                       \
    _Pragma ("GCC unroll 2")                                                 \
    for (int q = 0; q < np; q++) {                                           \
      gsize off = q * pstride + (gsize) k * 64;                              \
      _Pragma ("GCC unroll 8")                                               \
      for (int j = 0; j < 8; j++)                                            \
        acc[q][j] = _mm256_fmadd_ps (xb, LOADW (Wp, off + 8 * j), acc[q][j]);\
    }                                                                        \
  }                                                                          \
  _Pragma ("GCC unroll 2")                                                   \
  for (int q = 0; q < np; q++)                                               \
    _Pragma ("GCC unroll 8")                                                 \
    for (int j = 0; j < 8; j++)                                              \
      _mm256_storeu_ps (out + q * 64 + 8 * j, acc[q][j]);                    \
}

DEFINE_GEMV (gemv_f32, ld_f32)
DEFINE_GEMV (gemv_bf16, ld_bf16)
DEFINE_GEMV (gemv_f16, ld_f16)

static void
panels_row1 (int np, const float *x, const SeqPacked * W, guint p,
    const float *init, float *out)
{
  gsize pstride = (gsize) W->K * 64;
  gsize base = (gsize) p * pstride;

  switch (W->dtype) {
    case SEQ_KDTYPE_BF16:{
      const void *Wp = (const guint16 *) W->data + base;
      if (np == 2)
        gemv_bf16 (2, x, W->K, Wp, pstride, init, out);
      else
        gemv_bf16 (1, x, W->K, Wp, pstride, init, out);
      break;
    }
    case SEQ_KDTYPE_F16:{
      const void *Wp = (const guint16 *) W->data + base;
      if (np == 2)
        gemv_f16 (2, x, W->K, Wp, pstride, init, out);
      else
        gemv_f16 (1, x, W->K, Wp, pstride, init, out);
      break;
    }
    case SEQ_KDTYPE_F32:
    default:{
      const void *Wp = (const float *) W->data + base;
      if (np == 2)
        gemv_f32 (2, x, W->K, Wp, pstride, init, out);
      else
        gemv_f32 (1, x, W->K, Wp, pstride, init, out);
      break;
    }
  }
}

static void
gemm_avx2 (const float *X, gsize ldx, guint M, const SeqPacked * W,
    guint p0, guint p1, const float *init, gsize ldi, float *Y, gsize ldy)
{
  if (M == 1) {
    for (guint p = p0; p < p1; p += 2)
      panels_row1 ((int) MIN (2, p1 - p), X, W, p, init + p * 64,
          Y + p * 64);
    return;
  }
  for (guint p = p0; p < p1; p++)
    for (guint m = 0; m < M; m += MR) {
      int mr = (int) MIN (MR, M - m);
      panel_rows (mr, X + m * ldx, ldx, W, p, init + m * ldi + p * 64, ldi,
          Y + m * ldy + p * 64, ldy);
    }
}

/* ---- gate math: gatemath.h, lane for lane the scalar code ---------------- */

static inline __m256
exp256 (__m256 x)
{
  __m256 n, r, p, y, scale;
  __m256i e;

  x = _mm256_min_ps (_mm256_set1_ps (SEQ_EXP_HI), x);
  x = _mm256_max_ps (_mm256_set1_ps (SEQ_EXP_LO), x);
  n = _mm256_round_ps (_mm256_mul_ps (x, _mm256_set1_ps (SEQ_LOG2E)),
      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  r = _mm256_fmadd_ps (n, _mm256_set1_ps (-SEQ_EXP_C1), x);
  r = _mm256_fmadd_ps (n, _mm256_set1_ps (-SEQ_EXP_C2), r);
  p = _mm256_set1_ps (SEQ_EXP_P0);
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (SEQ_EXP_P1));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (SEQ_EXP_P2));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (SEQ_EXP_P3));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (SEQ_EXP_P4));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (SEQ_EXP_P5));
  y = _mm256_fmadd_ps (p, _mm256_mul_ps (r, r), r);
  y = _mm256_add_ps (y, _mm256_set1_ps (1.0f));
  e = _mm256_cvtps_epi32 (n);
  e = _mm256_slli_epi32 (_mm256_add_epi32 (e, _mm256_set1_epi32 (127)), 23);
  scale = _mm256_castsi256_ps (e);
  return _mm256_mul_ps (y, scale);
}

static inline __m256
sigmoid256 (__m256 x)
{
  __m256 one = _mm256_set1_ps (1.0f);
  __m256 e = exp256 (_mm256_sub_ps (_mm256_setzero_ps (), x));
  return _mm256_div_ps (one, _mm256_add_ps (one, e));
}

static inline __m256
tanh256 (__m256 x)
{
  __m256 one = _mm256_set1_ps (1.0f);
  __m256 e = exp256 (_mm256_mul_ps (_mm256_set1_ps (-2.0f), x));
  return _mm256_sub_ps (_mm256_div_ps (_mm256_set1_ps (2.0f),
          _mm256_add_ps (one, e)), one);
}

static void
lstm_step_avx2 (const float *X, gsize ldx, const SeqPacked * Wx,
    const float *Hprev, gsize ldh, guint M,
    const SeqPacked * W, guint p0, guint p1, const float *pre, gsize ldp,
    float *C, gsize ldc, float *Hout, gsize ldo)
{
  float g[MR * 64] __attribute__((aligned (64)));

  if (M == 1) {
    for (guint p = p0; p < p1; p += 2) {
      int np = (int) MIN (2, p1 - p);
      if (X != NULL) {
        panels_row1 (np, X, Wx, p, pre + p * 64, g);
        panels_row1 (np, Hprev, W, p, g, g);
      } else {
        panels_row1 (np, Hprev, W, p, pre + p * 64, g);
      }
      for (int q = 0; q < np; q++) {
        for (int h8 = 0; h8 < 16; h8 += 8) {
          float *c = C + (p + q) * 16 + h8;
          float *h = Hout + (p + q) * 16 + h8;
          const float *gr = g + q * 64 + h8;
          __m256 ig = sigmoid256 (_mm256_load_ps (gr));
          __m256 fg = sigmoid256 (_mm256_load_ps (gr + 16));
          __m256 gg = tanh256 (_mm256_load_ps (gr + 32));
          __m256 og = sigmoid256 (_mm256_load_ps (gr + 48));
          __m256 cn = _mm256_fmadd_ps (fg, _mm256_loadu_ps (c),
              _mm256_mul_ps (ig, gg));
          _mm256_storeu_ps (c, cn);
          _mm256_storeu_ps (h, _mm256_mul_ps (og, tanh256 (cn)));
        }
      }
    }
    return;
  }

  for (guint p = p0; p < p1; p++)
    for (guint m = 0; m < M; m += MR) {
      int mr = (int) MIN (MR, M - m);
      if (X != NULL) {
        panel_rows (mr, X + m * ldx, ldx, Wx, p, pre + m * ldp + p * 64,
            ldp, g, 64);
        panel_rows (mr, Hprev + m * ldh, ldh, W, p, g, 64, g, 64);
      } else {
        panel_rows (mr, Hprev + m * ldh, ldh, W, p, pre + m * ldp + p * 64,
            ldp, g, 64);
      }
      for (int r = 0; r < mr; r++) {
        for (int h8 = 0; h8 < 16; h8 += 8) {
          float *c = C + (m + r) * ldc + p * 16 + h8;
          float *h = Hout + (m + r) * ldo + p * 16 + h8;
          const float *gr = g + r * 64 + h8;
          __m256 ig = sigmoid256 (_mm256_load_ps (gr));
          __m256 fg = sigmoid256 (_mm256_load_ps (gr + 16));
          __m256 gg = tanh256 (_mm256_load_ps (gr + 32));
          __m256 og = sigmoid256 (_mm256_load_ps (gr + 48));
          __m256 cn = _mm256_fmadd_ps (fg, _mm256_loadu_ps (c),
              _mm256_mul_ps (ig, gg));
          _mm256_storeu_ps (c, cn);
          _mm256_storeu_ps (h, _mm256_mul_ps (og, tanh256 (cn)));
        }
      }
    }
}

const SeqKernels seq_kernels_avx2 = {
  .name = "avx2",
  .gemm = gemm_avx2,
  .lstm_step = lstm_step_avx2,
  .gemm_b = seq_kernel_gemm_b_scalar,
  .lstm_step_b = seq_kernel_lstm_step_b_scalar,
};
