/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — the int8 kernels (kernels.h; weights SEQ_KDTYPE_I8, packed.h)
 * on VPDPBUSD, one source built three times and chosen at run time
 * (cpu.c):
 *
 *   SEQ_SIMD_WIDTH 16, -mavx512vnni -mavx512bw: AVX512-VNNI (EVEX, zmm),
 *     Intel Cascade Lake and later, AMD Zen 4 and later;
 *   SEQ_SIMD_WIDTH 8, -mavxvnni: AVX-VNNI (VEX, ymm), Intel Alder Lake and
 *     later without AVX-512;
 *   SEQ_SIMD_WIDTH 8 with SEQ_INT8_AVX2, -mavx2: CPUs without VNNI, the
 *     same exact sums from VPMADDWD on the bytes widened to int16 (each
 *     pair sum of u8 x s8 products fits in int32 exactly), then VPHADDD;
 *
 * and, for the tests only, a fourth time: SEQ_SIMD_WIDTH 8 with
 * SEQ_INT8_EVEX256 (-mavx512vnni -mavx512vl), the AVX-VNNI code with the
 * EVEX encoding of the same instruction, so that the width-8 code runs on
 * CPUs that have AVX512-VNNI but not AVX-VNNI (AMD Zen 4).
 *
 * VPDPBUSD multiplies 4 unsigned bytes (the activations, q + 128) by 4
 * signed bytes (the weights) and adds the 4 products to an int32 lane:
 * per k-quad, one 32-bit activation word broadcast against one 64-byte
 * (16-column) weight vector per 16 columns. Subtracting comp[n] = 128 sum_k
 * q[k][n] gives the exact signed dot product; so every output is the same
 * integer as the scalar reference computes (scalar.c), dequantized with the
 * same f32 operations: bitwise equal results. Rows are register-blocked by
 * MR against one panel; a single row (one stream, memory-bound) streams NP
 * panels at once.
 */
#include "simd.h"
#include "kernels.h"
#include "gates.h"

#include <string.h>

#define ALWAYS_INLINE_DECL static inline __attribute__((always_inline))

/* acc += VPDPBUSD (x, w), as inline assembly: with the intrinsics GCC 12
 * copies every accumulator through another register and the stack on
 * each use (measured: half the speed). Same instruction, same bits. */
ALWAYS_INLINE_DECL SeqVi
dpbusd (SeqVi acc, SeqVi x, SeqVi w)
{
#if defined(SEQ_INT8_AVX2)
  /* x: the 4 activation bytes as int16, repeated (XBCAST); w: 8 columns x
   * 4 k. Per 128-bit half the sums come out as columns 0 1 4 5 | 2 3 6 7
   * (VPHADDD's order); ACC_FIX puts them back at the end. */
  __m256i lo = _mm256_cvtepi8_epi16 (_mm256_castsi256_si128 (w));
  __m256i hi = _mm256_cvtepi8_epi16 (_mm256_extracti128_si256 (w, 1));
  acc = _mm256_add_epi32 (acc, _mm256_hadd_epi32 (_mm256_madd_epi16 (lo, x),
          _mm256_madd_epi16 (hi, x)));
#elif SEQ_SIMD_WIDTH == 16 || defined(SEQ_INT8_EVEX256)
  __asm__ ("vpdpbusd %2, %1, %0":"+v" (acc):"v" (x), "v" (w));
#else
  __asm__ ("%{vex%} vpdpbusd %2, %1, %0":"+x" (acc):"x" (x), "x" (w));
#endif
  return acc;
}

#define DPBUSD(acc, x, w) dpbusd (acc, x, w)
#if defined(SEQ_INT8_AVX2)
/* the activation word's 4 bytes, widened to int16, in every 64-bit lane */
#define XBCAST(quad) _mm256_cvtepu8_epi16 (_mm_set1_epi32 (quad))
#define ACC_FIX(a) _mm256_permute4x64_epi64 (a, 0xd8)
#else
#define XBCAST(quad) seq_vi_set1 (quad)
#define ACC_FIX(a) (a)
#endif

#if SEQ_SIMD_WIDTH == 16
#define MR 6
#define NP 4
#define Q_SUFFIX(name) name##_avx512vnni
#define Q_NAME "avx512vnni"
#else
#define MR 1                    /* 16 ymm: 8 accumulators per panel */
#define NP 1
#if defined(SEQ_INT8_EVEX256)
#define Q_SUFFIX(name) name##_avx512vnni256
#define Q_NAME "avx512vnni-ymm"
#elif defined(SEQ_INT8_AVX2)
#define Q_SUFFIX(name) name##_avx2
#define Q_NAME "avx2"
#else
#define Q_SUFFIX(name) name##_avxvnni
#define Q_NAME "avxvnni"
#endif
#endif

#define VQ (SEQ_VL * SEQ_I8_KQUAD)      /* weight bytes per vector */
#define BUF_ROWS (MR > NP ? MR : NP)
/* accumulators: mr x np panels, with mr = 1 or np = 1 (a small array, so
 * that the compiler keeps it in registers) */
#define NACC (BUF_ROWS * SEQ_PANEL / SEQ_VL)
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Rows [0, mr) of @X (u8, stride @ldx, scales @xs) against panels
 * [p, p + np) of @W: the exact dot products, then
 * out = fmaf ((float) acc, xs * scale, init). Panel q of row r is at
 * r * ld + q * pw in @init and @out. */
ALWAYS_INLINE void
micro_q (const int mr, const int np, const int G, const guint8 * restrict X,
    gsize ldx, const float *xs, const SeqPacked * W, guint p,
    const float *init, gsize ldi, float *out, gsize ldout)
{
  const int nv = G * SEQ_GROUP / SEQ_VL;
  const gsize pw = (gsize) G * SEQ_GROUP;
  const gsize pstride = (gsize) W->Kp * pw;
  const guint nkq = W->Kp / SEQ_I8_KQUAD;
  const gint8 *w0 = (const gint8 *) W->data + p * pstride;
  const int na = np * nv;        /* accumulators per row */
  SeqVi acc[NACC];

  _Pragma ("GCC unroll 24")
  for (int i = 0; i < mr * na; i++)
    acc[i] = seq_vi_zero ();
  for (guint kq = 0; kq < nkq; kq++) {
    const gint8 *wk = w0 + (gsize) kq * pw * SEQ_I8_KQUAD;
    SeqVi xb[MR];
    _Pragma ("GCC unroll 8")
    for (int r = 0; r < mr; r++) {
      gint32 quad;
      memcpy (&quad, X + r * ldx + kq * SEQ_I8_KQUAD, 4);
      xb[r] = XBCAST (quad);
    }
    _Pragma ("GCC unroll 4")
    for (int q = 0; q < np; q++) {
      _Pragma ("GCC unroll 8")
      for (int v = 0; v < nv; v++) {
        SeqVi w = seq_vi_load (wk + q * pstride + v * VQ);
        _Pragma ("GCC unroll 8")
        for (int r = 0; r < mr; r++)
          acc[r * na + q * nv + v] = DPBUSD (acc[r * na + q * nv + v],
              xb[r], w);
      }
    }
  }
  _Pragma ("GCC unroll 4")
  for (int q = 0; q < np; q++) {
    _Pragma ("GCC unroll 8")
    for (int v = 0; v < nv; v++) {
      gsize col = (p + q) * pw + v * SEQ_VL, o = q * pw + v * SEQ_VL;
      SeqVi comp = seq_vi_loadu (W->comp + col);
      SeqVf ws = seq_vf_loadu (W->scale + col);
      _Pragma ("GCC unroll 8")
      for (int r = 0; r < mr; r++) {
        SeqVf f = seq_vi_to_vf (seq_vi_sub (ACC_FIX (acc[r * na + q * nv +
                    v]), comp));
        SeqVf sc = seq_vf_mul (seq_vf_set1 (xs[r]), ws);
        seq_vf_storeu (out + r * ldout + o, seq_vf_fmadd (f, sc,
                seq_vf_loadu (init + r * ldi + o)));
      }
    }
  }
}

#define MICRO_G(mr, np, ...)                                                 \
  do {                                                                       \
    if (W->groups == 3) micro_q (mr, np, 3, __VA_ARGS__);                    \
    else micro_q (mr, np, 4, __VA_ARGS__);                                   \
  } while (0)

/* Rows [0, mr) of panel p. */
static void
rows_q (int mr, const guint8 * X, gsize ldx, const float *xs,
    const SeqPacked * W, guint p, const float *init, gsize ldi, float *out,
    gsize ldout)
{
  switch (mr) {
#if MR > 1
    case 6:
      MICRO_G (6, 1, X, ldx, xs, W, p, init, ldi, out, ldout);
      break;
    case 5:
      MICRO_G (5, 1, X, ldx, xs, W, p, init, ldi, out, ldout);
      break;
    case 4:
      MICRO_G (4, 1, X, ldx, xs, W, p, init, ldi, out, ldout);
      break;
    case 3:
      MICRO_G (3, 1, X, ldx, xs, W, p, init, ldi, out, ldout);
      break;
    case 2:
      MICRO_G (2, 1, X, ldx, xs, W, p, init, ldi, out, ldout);
      break;
#endif
    default:
      MICRO_G (1, 1, X, ldx, xs, W, p, init, ldi, out, ldout);
      break;
  }
}

/* One row against panels [p, p + np), np <= NP. */
static void
panels_q1 (int np, const guint8 * x, const float *xs, const SeqPacked * W,
    guint p, const float *init, float *out)
{
  switch (np) {
#if NP > 1
    case 4:
      MICRO_G (1, 4, x, 0, xs, W, p, init, 0, out, 0);
      break;
    case 3:
      MICRO_G (1, 3, x, 0, xs, W, p, init, 0, out, 0);
      break;
    case 2:
      MICRO_G (1, 2, x, 0, xs, W, p, init, 0, out, 0);
      break;
#endif
    default:
      MICRO_G (1, 1, x, 0, xs, W, p, init, 0, out, 0);
      break;
  }
}

static void
Q_SUFFIX (gemm_q) (const guint8 * X, gsize ldx, const float *xs, guint M,
    const SeqPacked * W, guint p0, guint p1, const float *init, gsize ldi,
    float *Y, gsize ldy)
{
  const guint pw = W->pw;

  if (M == 1) {
    for (guint p = p0; p < p1; p += NP)
      panels_q1 ((int) MIN (NP, p1 - p), X, xs, W, p, init + p * pw,
          Y + p * pw);
    return;
  }
  for (guint p = p0; p < p1; p++)
    for (guint m = 0; m < M; m += MR)
      rows_q ((int) MIN (MR, M - m), X + m * ldx, ldx, xs + m, W, p,
          init + m * ldi + p * pw, ldi, Y + m * ldy + p * pw, ldy);
}

/* The fused step of kernels.h in int8, gate math of gates.h. */
ALWAYS_INLINE void
step_q (const SeqStepArgs * a, guint M, guint p0, guint p1,
    const SeqCellKind cell)
{
  const guint pw = a->wh->pw;
  float gx[BUF_ROWS * SEQ_PANEL] __attribute__((aligned (64)));
  float gh[BUF_ROWS * SEQ_PANEL] __attribute__((aligned (64)));

  if (M == 1) {
    for (guint p = p0; p < p1; p += NP) {
      int np = (int) MIN (NP, p1 - p);
      const float *gxr = a->pre + p * pw;
      if (a->xq != NULL) {
        panels_q1 (np, a->xq, a->xs, a->wx, p, gxr, gx);
        gxr = gx;
      }
      if (cell == SEQ_CELL_LSTM) {
        panels_q1 (np, a->hq, a->hs, a->wh, p, gxr, gh);
        for (int q = 0; q < np; q++)
          seq_lstm_gates_v (gh + q * pw, a->c + (p + q) * SEQ_GROUP,
              a->hout + (p + q) * SEQ_GROUP);
      } else {
        panels_q1 (np, a->hq, a->hs, a->wh, p, a->bh + p * pw, gh);
        for (int q = 0; q < np; q++)
          seq_gru_gates_v (gxr + q * pw, gh + q * pw,
              a->h + (p + q) * SEQ_GROUP, a->hout + (p + q) * SEQ_GROUP);
      }
    }
    return;
  }

  for (guint p = p0; p < p1; p++) {
    for (guint m = 0; m < M; m += MR) {
      int mr = (int) MIN (MR, M - m);
      const float *gxr = a->pre + m * a->ldp + p * pw;
      gsize ldgx = a->ldp;
      if (a->xq != NULL) {
        rows_q (mr, a->xq + m * a->ldx, a->ldx, a->xs + m, a->wx, p, gxr,
            a->ldp, gx, SEQ_PANEL);
        gxr = gx;
        ldgx = SEQ_PANEL;
      }
      if (cell == SEQ_CELL_LSTM) {
        rows_q (mr, a->hq + m * a->ldhq, a->ldhq, a->hs + m, a->wh, p, gxr,
            ldgx, gh, SEQ_PANEL);
        for (int r = 0; r < mr; r++)
          seq_lstm_gates_v (gh + r * SEQ_PANEL,
              a->c + (m + r) * a->ldc + p * SEQ_GROUP,
              a->hout + (m + r) * a->ldo + p * SEQ_GROUP);
      } else {
        rows_q (mr, a->hq + m * a->ldhq, a->ldhq, a->hs + m, a->wh, p,
            a->bh + p * pw, 0, gh, SEQ_PANEL);
        for (int r = 0; r < mr; r++)
          seq_gru_gates_v (gxr + r * ldgx, gh + r * SEQ_PANEL,
              a->h + (m + r) * a->ldh + p * SEQ_GROUP,
              a->hout + (m + r) * a->ldo + p * SEQ_GROUP);
      }
    }
  }
}

static void
Q_SUFFIX (lstm_step_q) (const SeqStepArgs * a, guint M, guint p0, guint p1)
{
  step_q (a, M, p0, p1, SEQ_CELL_LSTM);
}

static void
Q_SUFFIX (gru_step_q) (const SeqStepArgs * a, guint M, guint p0, guint p1)
{
  step_q (a, M, p0, p1, SEQ_CELL_GRU);
}

const SeqKernels Q_SUFFIX (seq_kernels_q) = {
  .name = Q_NAME,
  .name_q = Q_NAME,
  .gemm_q = Q_SUFFIX (gemm_q),
  .step_q = {
        [SEQ_CELL_LSTM] = Q_SUFFIX (lstm_step_q),
        [SEQ_CELL_GRU] = Q_SUFFIX (gru_step_q),
      },
};
