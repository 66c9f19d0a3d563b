/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — AVX512-BF16 kernels of the bf16-matmul mode, for CPUs with
 * AVX512_BF16 but no AMX (AMD Zen 4 and later, Intel Cooper Lake). Compiled
 * with -mavx512f -mavx512bf16, chosen at run time. For f32, bf16 and f16
 * weight storage this kernel set runs the AVX-512 kernels.
 *
 * The weights are the AMX tiles of kernels.h, read row by row: one tile row
 * (k-pair k2 of a k-block, 16 columns q*16 .. q*16+15) is 16 (even, odd)
 * bf16 pairs, which is exactly the operand of VDPBF16PS: acc[j] +=
 * x[2k2] w[2k2][j] + x[2k2+1] w[2k2+1][j], with the activation pair
 * broadcast as one 32-bit word. Rows are register-blocked by up to MR = 6
 * against a whole 64-column panel (24 accumulators), as the f32 kernels.
 * Each output row runs the same sequence of VDPBF16PS whatever the batch,
 * the row block, the thread or the chunking: bitwise reproducible within
 * this kernel set; against the scalar reference (an fmaf chain) and AMX it
 * differs by the summation inside each pair (see kernels.h). */
#include "kernels.h"
#include "gate_avx512.h"

#include <immintrin.h>
#include <string.h>

#define MR 6

/* acc[r][q] (r < mr) = init rows, then += rows of A (bf16, stride lda
 * elements, W->Kp of them) x panel p of W; results to out (stride ldout). */
static inline __attribute__((always_inline)) void
micro_dp (const int mr, const guint16 * restrict A, gsize lda,
    const SeqPacked * W, guint p, const float *init, gsize ldi, float *out,
    gsize ldout)
{
  const guint nkb = W->Kp / SEQ_BF16_KBLOCK;
  const guint16 *t = (const guint16 *) W->data + (gsize) p * nkb * 4 * 512;
  __m512 acc[MR][4];

  _Pragma ("GCC unroll 6")
  for (int r = 0; r < mr; r++)
    _Pragma ("GCC unroll 4")
    for (int q = 0; q < 4; q++)
      acc[r][q] = _mm512_loadu_ps (init + r * ldi + 16 * q);
  for (guint kb = 0; kb < nkb; kb++, t += 4 * 512) {
    for (guint k2 = 0; k2 < 16; k2++) {
      const guint16 *row = t + k2 * 32;
      __m512bh w0 = (__m512bh) _mm512_load_si512 (row);
      __m512bh w1 = (__m512bh) _mm512_load_si512 (row + 512);
      __m512bh w2 = (__m512bh) _mm512_load_si512 (row + 1024);
      __m512bh w3 = (__m512bh) _mm512_load_si512 (row + 1536);
      gsize kk = (gsize) kb * SEQ_BF16_KBLOCK + 2 * k2;
      _Pragma ("GCC unroll 6")
      for (int r = 0; r < mr; r++) {
        guint32 pair;
        __m512bh xb;
        memcpy (&pair, A + r * lda + kk, 4);
        xb = (__m512bh) _mm512_set1_epi32 ((int) pair);
        acc[r][0] = _mm512_dpbf16_ps (acc[r][0], xb, w0);
        acc[r][1] = _mm512_dpbf16_ps (acc[r][1], xb, w1);
        acc[r][2] = _mm512_dpbf16_ps (acc[r][2], xb, w2);
        acc[r][3] = _mm512_dpbf16_ps (acc[r][3], xb, w3);
      }
    }
  }
  _Pragma ("GCC unroll 6")
  for (int r = 0; r < mr; r++)
    _Pragma ("GCC unroll 4")
    for (int q = 0; q < 4; q++)
      _mm512_storeu_ps (out + r * ldout + 16 * q, acc[r][q]);
}

static void
panel_rows_dp (int mr, const guint16 * A, gsize lda, const SeqPacked * W,
    guint p, const float *init, gsize ldi, float *out, gsize ldout)
{
  switch (mr) {
    case 6:
      micro_dp (6, A, lda, W, p, init, ldi, out, ldout);
      break;
    case 5:
      micro_dp (5, A, lda, W, p, init, ldi, out, ldout);
      break;
    case 4:
      micro_dp (4, A, lda, W, p, init, ldi, out, ldout);
      break;
    case 3:
      micro_dp (3, A, lda, W, p, init, ldi, out, ldout);
      break;
    case 2:
      micro_dp (2, A, lda, W, p, init, ldi, out, ldout);
      break;
    default:
      micro_dp (1, A, lda, W, p, init, ldi, out, ldout);
      break;
  }
}

static void
gemm_b_dp (const guint16 * X, gsize ldx, guint M, const SeqPacked * W,
    guint p0, guint p1, const float *init, gsize ldi, float *Y, gsize ldy)
{
  for (guint p = p0; p < p1; p++)
    for (guint m = 0; m < M; m += MR)
      panel_rows_dp ((int) MIN (MR, M - m), X + m * ldx, ldx, W, p,
          init + m * ldi + p * 64, ldi, Y + m * ldy + p * 64, ldy);
}

static void
lstm_step_b_dp (const guint16 * X, gsize ldx, const SeqPacked * Wx,
    const guint16 * Hprev, gsize ldh, guint M,
    const SeqPacked * W, guint p0, guint p1, const float *pre, gsize ldp,
    float *C, gsize ldc, float *Hout, gsize ldo, guint16 * Hb, gsize ldb)
{
  float g[MR * 64] __attribute__((aligned (64)));

  for (guint p = p0; p < p1; p++) {
    for (guint m = 0; m < M; m += MR) {
      int mr = (int) MIN (MR, M - m);
      if (X != NULL) {
        panel_rows_dp (mr, X + m * ldx, ldx, Wx, p, pre + m * ldp + p * 64,
            ldp, g, 64);
        panel_rows_dp (mr, Hprev + m * ldh, ldh, W, p, g, 64, g, 64);
      } else {
        panel_rows_dp (mr, Hprev + m * ldh, ldh, W, p,
            pre + m * ldp + p * 64, ldp, g, 64);
      }
      for (int r = 0; r < mr; r++) {
        float *h = Hout + (m + r) * ldo + p * 16;
        gate16_avx512 (g + r * 64, C + (m + r) * ldc + p * 16, h);
        _mm256_storeu_si256 ((__m256i *) (Hb + (m + r) * ldb + p * 16),
            seq_cvt_bf16_512 (_mm512_loadu_ps (h)));
      }
    }
  }
}

const SeqKernels seq_kernels_avx512bf16 = {
  .name = "avx512bf16",
  .gemm = seq_kernel_gemm_avx512,
  .lstm_step = seq_kernel_lstm_step_avx512,
  .gemm_b = gemm_b_dp,
  .lstm_step_b = lstm_step_b_dp,
};
