/* seqenc — the LSTM gate math in AVX-512F, lane for lane the scalar code of
 * kernels.c (constants and operation order: gatemath.h). Included by the
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
