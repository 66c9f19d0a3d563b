/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — private helpers shared by the library's files, not exported:
 * aligned kernel rows, checked sizes, CRC-32, FNV-1a, and the one set of
 * f16/bf16 conversions (weights, kernels and tests all use these).
 */
#pragma once

#include <glib.h>
#include <string.h>
#include <seqenc/common.h>

G_BEGIN_DECLS

/* Allocation of 64-byte aligned, zeroed float arrays for kernel rows.
 * seq_aligned_free (NULL) is a no-op. Returns NULL only for absurd sizes. */
float *seq_aligned_floats (gsize n);
void seq_aligned_free (gpointer p);

/* CRC-32 (IEEE 802.3, the same as zlib's crc32) of @n bytes: the checksum
 * of every state blob. */
guint32 seq_crc32 (const guint8 * data, gsize n);

/* Checked size arithmetic: FALSE on overflow. */
gboolean seq_size_mul (gsize a, gsize b, gsize * out);

/* ---- FNV-1a ---------------------------------------------------------------
 *
 * The one byte-string hash of the library (Fowler-Noll-Vo, variant 1a:
 * xor the byte, then multiply by the prime). Start from the offset basis
 * and chain calls to hash pieces one after another. The 32-bit form is the
 * checksum of fbank state blobs and, with a mix on top, the hash of the
 * tokenizer's tables; the 64-bit form is fbank's parameter fingerprint,
 * its wide variant the LSTM model's.
 * The bits are part of the state-blob format: do not change them.
 */
#define SEQ_FNV32_OFFSET 0x811c9dc5u    /* 2166136261 */
#define SEQ_FNV32_PRIME 0x01000193u     /* 16777619 */
#define SEQ_FNV64_OFFSET G_GUINT64_CONSTANT (0xcbf29ce484222325)
#define SEQ_FNV64_PRIME G_GUINT64_CONSTANT (0x100000001b3)

static inline guint32
seq_fnv1a32 (guint32 h, const void *data, gsize n)
{
  const guint8 *p = data;
  for (gsize i = 0; i < n; i++) {
    h ^= p[i];
    h *= SEQ_FNV32_PRIME;
  }
  return h;
}

static inline guint64
seq_fnv1a64 (guint64 h, const void *data, gsize n)
{
  const guint8 *p = data;
  for (gsize i = 0; i < n; i++) {
    h ^= p[i];
    h *= SEQ_FNV64_PRIME;
  }
  return h;
}

/* The 64-bit form over large buffers (model weights): 8 bytes at a time,
 * each word read in host order, multiplied and folded (h ^= h >> 29), the
 * tail byte by byte as above. Not FNV-1a's bits: the LSTM model
 * fingerprint (its state blobs) is made with it. */
static inline guint64
seq_fnv64_wide (guint64 h, const void *data, gsize n)
{
  const guint8 *p = data;
  gsize i = 0;

  for (; i + 8 <= n; i += 8) {
    guint64 w;
    memcpy (&w, p + i, 8);
    h = (h ^ w) * SEQ_FNV64_PRIME;
    h ^= h >> 29;
  }
  return seq_fnv1a64 (h, p + i, n - i);
}

/* ---- f16 / bf16 <-> f32 -------------------------------------------------
 *
 * Finite values and infinities: widening is exact; narrowing rounds to
 * nearest, ties to even, overflows to ±inf and keeps subnormals (no flush
 * to zero). This is what PyTorch's .half() / .bfloat16() / .float() and
 * numpy's float16 give, bit for bit (tests/test_weights.c checks it against
 * tests/data/weights_convert.txt and half_convert.txt from
 * tests/gen_weights_fixtures.py).
 *
 * NaN: stays a NaN with its sign; narrowing keeps the leading payload bits
 * that fit, f16 <-> f32 conversions set the quiet bit, bf16 -> f32 is the
 * plain bit extension. This is IEEE 754 convertFormat as x86 computes it
 * (F16C VCVTPS2PH / VCVTPH2PS, AVX512-BF16 VCVTNEPS2BF16, and the SIMD
 * kernels lane for lane: lib/kernels/gate_avx512.h), which the test compares
 * with the instructions where the CPU has them. PyTorch has no single rule
 * here (f32 -> bf16 gives 0x7fc0 on its scalar path, 0xffff on its AVX2
 * path; f32 -> f16 gives 0x7e00 with the sign), so no NaN payload can match
 * it everywhere.
 */

static inline guint32
seq_f32_bits (float f)
{
  guint32 u;
  memcpy (&u, &f, sizeof u);
  return u;
}

static inline float
seq_f32_from_bits (guint32 u)
{
  float f;
  memcpy (&f, &u, sizeof f);
  return f;
}

static inline float
seq_bf16_to_f32 (guint16 b)
{
  /* bf16 is the upper half of an f32 */
  return seq_f32_from_bits ((guint32) b << 16);
}

static inline float
seq_f16_to_f32 (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000u) << 16;
  guint32 exp = (h >> 10) & 0x1fu;
  guint32 mant = h & 0x3ffu;
  guint32 bits;

  if (exp == 0x1f) {
    /* inf, or NaN: payload kept, quieted */
    bits = sign | 0x7f800000u | (mant << 13);
    if (mant != 0)
      bits |= 0x00400000u;
  } else if (exp != 0) {
    /* normal: rebias 15 -> 127 */
    bits = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;                /* ±0 */
  } else {
    /* subnormal: mant * 2^-24, normalised (exact in f32) */
    guint32 e = 113u;           /* exponent of 2^-14 in f32 bias */
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      e--;
    }
    bits = sign | (e << 23) | ((mant & 0x3ffu) << 13);
  }
  return seq_f32_from_bits (bits);
}

static inline guint16
seq_f32_to_bf16 (float f)
{
  guint32 u = seq_f32_bits (f);

  /* NaN: sign and the top 7 payload bits, quiet bit set */
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return (guint16) ((u >> 16) | 0x40u);
  /* round to nearest, ties to even; overflows correctly to inf */
  return (guint16) ((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

static inline guint16
seq_f32_to_f16 (float f)
{
  guint32 u = seq_f32_bits (f);
  guint16 sign = (guint16) ((u >> 16) & 0x8000u);
  guint32 a = u & 0x7fffffffu;

  if (a > 0x7f800000u) {
    /* NaN: sign and the top 10 payload bits, quiet bit set */
    return sign | 0x7e00u | (guint16) ((a >> 13) & 0x3ffu);
  }
  if (a >= 0x477ff000u) {
    /* >= 65520 (the midpoint between 65504 and 2^16) rounds to inf; inf */
    return sign | 0x7c00u;
  }
  if (a < 0x38800000u) {
    /* below 2^-14: subnormal half or zero. Value = a * 2^-24 in half ulps;
     * shift the full significand into place with round-to-nearest-even. */
    guint32 e = a >> 23;
    guint32 m, shift, r, halfway, rem;

    if (e < 102)                /* < 2^-25: rounds to ±0 (2^-25 is a tie -> 0) */
      return sign;
    m = (a & 0x7fffffu) | 0x800000u;
    /* half subnormal value = m * 2^(e-127-23) / 2^-24 = m >> (126 - e) */
    shift = 126u - e;           /* 14 .. 24 */
    r = m >> shift;
    rem = m & ((1u << shift) - 1u);
    halfway = 1u << (shift - 1u);
    if (rem > halfway || (rem == halfway && (r & 1u)))
      r++;
    return sign | (guint16) r;  /* r may carry into the smallest normal: fine */
  }
  /* normal: rebias 127 -> 15 and round the 13 dropped bits to nearest even;
   * a carry into the exponent is correct (up to inf, excluded above) */
  a += ((guint32) (15 - 127) << 23) + 0xfffu + ((a >> 13) & 1u);
  return sign | (guint16) (a >> 13);
}

G_END_DECLS
