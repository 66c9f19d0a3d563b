/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — the few vector operations the SIMD kernels are written against
 * (as ggml's simd-mappings): one kernel source (simd.c) over AVX2 + FMA
 * (SEQ_SIMD_WIDTH 8) or AVX-512F (SEQ_SIMD_WIDTH 16). Every operation is a
 * single IEEE operation per lane, so the same source computes the same bits
 * at either width. Include after defining SEQ_SIMD_WIDTH, in a file built
 * with the matching -m flags. */
#pragma once

#include <immintrin.h>
#include <glib.h>

#if SEQ_SIMD_WIDTH == 16

#define SEQ_VL 16
typedef __m512 SeqVf;
typedef __m512i SeqVi;
#define seq_vf_load(p) _mm512_load_ps (p)
#define seq_vf_loadu(p) _mm512_loadu_ps (p)
#define seq_vf_store(p, v) _mm512_store_ps (p, v)
#define seq_vf_storeu(p, v) _mm512_storeu_ps (p, v)
#define seq_vf_set1(x) _mm512_set1_ps (x)
#define seq_vf_zero() _mm512_setzero_ps ()
#define seq_vf_add(a, b) _mm512_add_ps (a, b)
#define seq_vf_sub(a, b) _mm512_sub_ps (a, b)
#define seq_vf_mul(a, b) _mm512_mul_ps (a, b)
#define seq_vf_div(a, b) _mm512_div_ps (a, b)
#define seq_vf_min(a, b) _mm512_min_ps (a, b)
#define seq_vf_max(a, b) _mm512_max_ps (a, b)
#define seq_vf_fmadd(a, b, c) _mm512_fmadd_ps (a, b, c)
#define seq_vf_rint(x) _mm512_roundscale_ps (x, \
    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define seq_vf_to_vi(x) _mm512_cvtps_epi32 (x)
#define seq_vi_as_vf(x) _mm512_castsi512_ps (x)
#define seq_vi_set1(x) _mm512_set1_epi32 (x)
#define seq_vi_add(a, b) _mm512_add_epi32 (a, b)
#define seq_vi_slli(a, n) _mm512_slli_epi32 (a, n)
#define seq_vi_zero() _mm512_setzero_si512 ()
#define seq_vi_load(p) _mm512_load_si512 ((const void *) (p))
#define seq_vi_loadu(p) _mm512_loadu_si512 ((const void *) (p))
#define seq_vi_sub(a, b) _mm512_sub_epi32 (a, b)
#define seq_vi_to_vf(x) _mm512_cvtepi32_ps (x)

/* SEQ_VL bf16 / f16 values at p (aligned) as f32 (exact) */
static inline __attribute__((always_inline)) SeqVf
seq_vf_load_bf16 (const guint16 * p)
{
  __m256i v = _mm256_load_si256 ((const __m256i *) p);
  return _mm512_castsi512_ps (_mm512_slli_epi32 (_mm512_cvtepu16_epi32 (v),
          16));
}

static inline __attribute__((always_inline)) SeqVf
seq_vf_load_f16 (const guint16 * p)
{
  return _mm512_cvtph_ps (_mm256_load_si256 ((const __m256i *) p));
}

#elif SEQ_SIMD_WIDTH == 8

#define SEQ_VL 8
typedef __m256 SeqVf;
typedef __m256i SeqVi;
#define seq_vf_load(p) _mm256_load_ps (p)
#define seq_vf_loadu(p) _mm256_loadu_ps (p)
#define seq_vf_store(p, v) _mm256_store_ps (p, v)
#define seq_vf_storeu(p, v) _mm256_storeu_ps (p, v)
#define seq_vf_set1(x) _mm256_set1_ps (x)
#define seq_vf_zero() _mm256_setzero_ps ()
#define seq_vf_add(a, b) _mm256_add_ps (a, b)
#define seq_vf_sub(a, b) _mm256_sub_ps (a, b)
#define seq_vf_mul(a, b) _mm256_mul_ps (a, b)
#define seq_vf_div(a, b) _mm256_div_ps (a, b)
#define seq_vf_min(a, b) _mm256_min_ps (a, b)
#define seq_vf_max(a, b) _mm256_max_ps (a, b)
#define seq_vf_fmadd(a, b, c) _mm256_fmadd_ps (a, b, c)
#define seq_vf_rint(x) _mm256_round_ps (x, \
    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define seq_vf_to_vi(x) _mm256_cvtps_epi32 (x)
#define seq_vi_as_vf(x) _mm256_castsi256_ps (x)
#define seq_vi_set1(x) _mm256_set1_epi32 (x)
#define seq_vi_add(a, b) _mm256_add_epi32 (a, b)
#define seq_vi_slli(a, n) _mm256_slli_epi32 (a, n)
#define seq_vi_zero() _mm256_setzero_si256 ()
#define seq_vi_load(p) _mm256_load_si256 ((const __m256i *) (p))
#define seq_vi_loadu(p) _mm256_loadu_si256 ((const __m256i *) (p))
#define seq_vi_sub(a, b) _mm256_sub_epi32 (a, b)
#define seq_vi_to_vf(x) _mm256_cvtepi32_ps (x)

static inline __attribute__((always_inline)) SeqVf
seq_vf_load_bf16 (const guint16 * p)
{
  __m128i v = _mm_load_si128 ((const __m128i *) p);
  return _mm256_castsi256_ps (_mm256_slli_epi32 (_mm256_cvtepu16_epi32 (v),
          16));
}

static inline __attribute__((always_inline)) SeqVf
seq_vf_load_f16 (const guint16 * p)
{
  return _mm256_cvtph_ps (_mm_load_si128 ((const __m128i *) p));
}

#else
#error "SEQ_SIMD_WIDTH must be 8 (AVX2) or 16 (AVX-512)"
#endif

#if SEQ_SIMD_WIDTH == 16
/* f32 -> bf16 of 16 lanes, round to nearest even, NaN kept quiet NaN: lane
 * for lane seq_f32_to_bf16 (the bf16-matmul kernels' h output). */
static inline __m256i
seq_vf_to_bf16 (__m512 v)
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
#endif
