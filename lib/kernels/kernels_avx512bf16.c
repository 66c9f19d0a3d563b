/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — AVX512-BF16 kernels of the bf16-matmul mode, for CPUs with
 * AVX512_BF16 but no AMX (AMD Zen 4 and later, Intel Cooper Lake). Compiled
 * with -mavx512f -mavx512bf16, chosen at run time. For f32, bf16 and f16
 * weight storage this kernel set runs the AVX-512 kernels.
 *
 * The weights are the AMX tiles of packed.h, read row by row: one tile row
 * (k-pair k2 of a k-block, 16 columns q*16 .. q*16+15) is 16 (even, odd)
 * bf16 pairs, which is exactly the operand of VDPBF16PS: acc[j] +=
 * x[2k2] w[2k2][j] + x[2k2+1] w[2k2+1][j], with the activation pair
 * broadcast as one 32-bit word. Rows are register-blocked by up to MR = 6
 * against a whole panel of G groups (6 G accumulators), as the f32 kernels.
 * Each output row runs the same sequence of VDPBF16PS whatever the batch,
 * the row block, the thread or the chunking: bitwise reproducible within
 * this kernel set; against the scalar reference (an fmaf chain) and AMX it
 * differs by the summation inside each pair (see kernels.h). */
#define SEQ_SIMD_WIDTH 16
#include "simd.h"
#include "kernels.h"
#include "gates.h"

#include <string.h>

#define MR 6
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* acc[r][q] (r < mr, q < G) = init rows, then += rows of A (bf16, stride
 * lda elements, W->Kp of them) x panel p of W; results to out (stride
 * ldout). */
ALWAYS_INLINE void
micro_dp (const int mr, const int G, const guint16 * restrict A, gsize lda,
    const SeqPacked * W, guint p, const float *init, gsize ldi, float *out,
    gsize ldout)
{
  const guint nkb = W->Kp / SEQ_BF16_KBLOCK;
  const guint16 *t = (const guint16 *) W->data + (gsize) p * nkb * G * 512;
  __m512 acc[MR][SEQ_MAX_GROUPS];

  _Pragma ("GCC unroll 6")
  for (int r = 0; r < mr; r++)
    _Pragma ("GCC unroll 4")
    for (int q = 0; q < G; q++)
      acc[r][q] = _mm512_loadu_ps (init + r * ldi + 16 * q);
  for (guint kb = 0; kb < nkb; kb++, t += G * 512) {
    for (guint k2 = 0; k2 < 16; k2++) {
      const guint16 *row = t + k2 * 32;
      __m512bh w[SEQ_MAX_GROUPS];
      gsize kk = (gsize) kb * SEQ_BF16_KBLOCK + 2 * k2;
      _Pragma ("GCC unroll 4")
      for (int q = 0; q < G; q++)
        w[q] = (__m512bh) _mm512_load_si512 (row + q * 512);
      _Pragma ("GCC unroll 6")
      for (int r = 0; r < mr; r++) {
        guint32 pair;
        __m512bh xb;
        memcpy (&pair, A + r * lda + kk, 4);
        xb = (__m512bh) _mm512_set1_epi32 ((int) pair);
        _Pragma ("GCC unroll 4")
        for (int q = 0; q < G; q++)
          acc[r][q] = _mm512_dpbf16_ps (acc[r][q], xb, w[q]);
      }
    }
  }
  _Pragma ("GCC unroll 6")
  for (int r = 0; r < mr; r++)
    _Pragma ("GCC unroll 4")
    for (int q = 0; q < G; q++)
      _mm512_storeu_ps (out + r * ldout + 16 * q, acc[r][q]);
}

#define MICRO_G(mr, ...)                                                     \
  do {                                                                       \
    if (W->groups == 3) micro_dp (mr, 3, __VA_ARGS__);                       \
    else micro_dp (mr, 4, __VA_ARGS__);                                      \
  } while (0)

static void
panel_rows_dp (int mr, const guint16 * A, gsize lda, const SeqPacked * W,
    guint p, const float *init, gsize ldi, float *out, gsize ldout)
{
  switch (mr) {
    case 6:
      MICRO_G (6, A, lda, W, p, init, ldi, out, ldout);
      break;
    case 5:
      MICRO_G (5, A, lda, W, p, init, ldi, out, ldout);
      break;
    case 4:
      MICRO_G (4, A, lda, W, p, init, ldi, out, ldout);
      break;
    case 3:
      MICRO_G (3, A, lda, W, p, init, ldi, out, ldout);
      break;
    case 2:
      MICRO_G (2, A, lda, W, p, init, ldi, out, ldout);
      break;
    default:
      MICRO_G (1, A, lda, W, p, init, ldi, out, ldout);
      break;
  }
}

static void
gemm_b_dp (const guint16 * X, gsize ldx, guint M, const SeqPacked * W,
    guint p0, guint p1, const float *init, gsize ldi, float *Y, gsize ldy)
{
  const guint pw = W->pw;

  for (guint p = p0; p < p1; p++)
    for (guint m = 0; m < M; m += MR)
      panel_rows_dp ((int) MIN (MR, M - m), X + m * ldx, ldx, W, p,
          init + m * ldi + p * pw, ldi, Y + m * ldy + p * pw, ldy);
}

ALWAYS_INLINE void
step_b_dp (const SeqStepArgs * a, guint M, guint p0, guint p1,
    const SeqCellKind cell)
{
  const guint pw = a->wh->pw;
  float gx[MR * SEQ_PANEL] __attribute__((aligned (64)));
  float gh[MR * SEQ_PANEL] __attribute__((aligned (64)));

  for (guint p = p0; p < p1; p++) {
    for (guint m = 0; m < M; m += MR) {
      int mr = (int) MIN (MR, M - m);
      const float *gxr = a->pre + m * a->ldp + p * pw;
      gsize ldgx = a->ldp;
      if (a->xb != NULL) {
        panel_rows_dp (mr, a->xb + m * a->ldx, a->ldx, a->wx, p, gxr,
            a->ldp, gx, SEQ_PANEL);
        gxr = gx;
        ldgx = SEQ_PANEL;
      }
      if (cell == SEQ_CELL_LSTM)
        panel_rows_dp (mr, a->hb + m * a->ldhb, a->ldhb, a->wh, p, gxr, ldgx,
            gh, SEQ_PANEL);
      else
        panel_rows_dp (mr, a->hb + m * a->ldhb, a->ldhb, a->wh, p,
            a->bh + p * pw, 0, gh, SEQ_PANEL);
      for (int r = 0; r < mr; r++) {
        float *h = a->hout + (m + r) * a->ldo + p * SEQ_GROUP;
        if (cell == SEQ_CELL_LSTM)
          seq_lstm_gates_v (gh + r * SEQ_PANEL,
              a->c + (m + r) * a->ldc + p * SEQ_GROUP, h);
        else
          seq_gru_gates_v (gxr + r * ldgx, gh + r * SEQ_PANEL,
              a->h + (m + r) * a->ldh + p * SEQ_GROUP, h);
        _mm256_storeu_si256 ((__m256i *) (a->hout_b + (m + r) * a->ldob +
                p * SEQ_GROUP), seq_vf_to_bf16 (_mm512_loadu_ps (h)));
      }
    }
  }
}

static void
lstm_step_b_dp (const SeqStepArgs * a, guint M, guint p0, guint p1)
{
  step_b_dp (a, M, p0, p1, SEQ_CELL_LSTM);
}

static void
gru_step_b_dp (const SeqStepArgs * a, guint M, guint p0, guint p1)
{
  step_b_dp (a, M, p0, p1, SEQ_CELL_GRU);
}

const SeqKernels seq_kernels_avx512bf16 = {
  .name = "avx512bf16",
  .gemm = seq_kernel_gemm_avx512,
  .gemv = seq_kernel_gemv_avx512,
  .gemm_b = gemm_b_dp,
  .step = {
        [SEQ_CELL_LSTM] = seq_kernel_lstm_step_avx512,
        [SEQ_CELL_GRU] = seq_kernel_gru_step_avx512,
      },
  .step_b = {
        [SEQ_CELL_LSTM] = lstm_step_b_dp,
        [SEQ_CELL_GRU] = gru_step_b_dp,
      },
};
