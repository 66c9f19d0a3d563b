/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — the LSTM gate math in AVX-512F, lane for lane the scalar code of
 * kernels.c (constants and operation order: gatemath.h), and the f32 ->
 * bf16 rounding of the bf16-matmul kernels. Included by the
 * kernel files built with -mavx512f (kernels_avx512.c, kernels_amx.c). */
#pragma once

#include "gatemath.h"

#include <immintrin.h>

static inline __m512
exp512 (__m512 x)
{
  __m512 n, r, p, y, scale;
  __m512i e;

  /* min/max with the constant first: a NaN x passes through, as in
   * the scalar "x > HI ? HI : x" */
  x = _mm512_min_ps (_mm512_set1_ps (SEQ_EXP_HI), x);
  x = _mm512_max_ps (_mm512_set1_ps (SEQ_EXP_LO), x);
  n = _mm512_roundscale_ps (_mm512_mul_ps (x, _mm512_set1_ps (SEQ_LOG2E)),
      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  r = _mm512_fmadd_ps (n, _mm512_set1_ps (-SEQ_EXP_C1), x);
  r = _mm512_fmadd_ps (n, _mm512_set1_ps (-SEQ_EXP_C2), r);
  p = _mm512_set1_ps (SEQ_EXP_P0);
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (SEQ_EXP_P1));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (SEQ_EXP_P2));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (SEQ_EXP_P3));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (SEQ_EXP_P4));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (SEQ_EXP_P5));
  y = _mm512_fmadd_ps (p, _mm512_mul_ps (r, r), r);
  y = _mm512_add_ps (y, _mm512_set1_ps (1.0f));
  e = _mm512_cvtps_epi32 (n);
  e = _mm512_slli_epi32 (_mm512_add_epi32 (e, _mm512_set1_epi32 (127)), 23);
  scale = _mm512_castsi512_ps (e);
  return _mm512_mul_ps (y, scale);
}

static inline __m512
sigmoid512 (__m512 x)
{
  __m512 one = _mm512_set1_ps (1.0f);
  __m512 e = exp512 (_mm512_sub_ps (_mm512_setzero_ps (), x));
  return _mm512_div_ps (one, _mm512_add_ps (one, e));
}

static inline __m512
tanh512 (__m512 x)
{
  __m512 one = _mm512_set1_ps (1.0f);
  __m512 e = exp512 (_mm512_mul_ps (_mm512_set1_ps (-2.0f), x));
  return _mm512_sub_ps (_mm512_div_ps (_mm512_set1_ps (2.0f),
          _mm512_add_ps (one, e)), one);
}

/* 16 hidden units: g holds the 4 x 16 gate values (i, f, g, o) of one
 * panel; c is updated in place, h written. */
static inline void
gate16_avx512 (const float *g, float *c, float *h)
{
  __m512 ig = sigmoid512 (_mm512_load_ps (g));
  __m512 fg = sigmoid512 (_mm512_load_ps (g + 16));
  __m512 gg = tanh512 (_mm512_load_ps (g + 32));
  __m512 og = sigmoid512 (_mm512_load_ps (g + 48));
  __m512 cn = _mm512_fmadd_ps (fg, _mm512_loadu_ps (c),
      _mm512_mul_ps (ig, gg));
  _mm512_storeu_ps (c, cn);
  _mm512_storeu_ps (h, _mm512_mul_ps (og, tanh512 (cn)));
}

/* f32 -> bf16, round to nearest even, NaN kept quiet NaN: lane for lane
 * seq_f32_to_bf16. */
static inline __m256i
seq_cvt_bf16_512 (__m512 v)
{
  const __m512i u = _mm512_castps_si512 (v);
  const __m512i hi = _mm512_srli_epi32 (u, 16);
  __m512i r = _mm512_add_epi32 (u, _mm512_add_epi32 (_mm512_set1_epi32
          (0x7fff), _mm512_and_si512 (hi, _mm512_set1_epi32 (1))));
  __mmask16 nan = _mm512_cmpgt_epu32_mask (_mm512_and_si512 (u,
          _mm512_set1_epi32 (0x7fffffff)), _mm512_set1_epi32 (0x7f800000));

  r = _mm512_srli_epi32 (r, 16);
  r = _mm512_mask_mov_epi32 (r, nan, _mm512_or_si512 (hi,
          _mm512_set1_epi32 (0x40)));
  return _mm512_cvtepi32_epi16 (r);
}
