/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — shared helpers: seeded generator, aligned allocation. */
#include "seqenc-private.h"

#include <stdlib.h>
#include <string.h>

void
seq_rng_init (SeqRng * rng, guint64 seed)
{
  g_return_if_fail (rng != NULL);
  rng->state = seed;
}

guint64
seq_rng_next (SeqRng * rng)
{
  guint64 z = (rng->state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

float
seq_rng_uniform (SeqRng * rng, float lo, float hi)
{
  /* 24 bits: exactly representable in f32 */
  float u = (float) (seq_rng_next (rng) >> 40) * (1.0f / 16777216.0f);
  return lo + (hi - lo) * u;
}

gboolean
seq_size_mul (gsize a, gsize b, gsize * out)
{
  return g_size_checked_mul (out, a, b);
}

float *
seq_aligned_floats (gsize n)
{
  gsize bytes;
  void *p = NULL;

  if (!seq_size_mul (n ? n : 1, sizeof (float), &bytes))
    return NULL;
  bytes = (bytes + 63) & ~(gsize) 63;
  if (bytes == 0 || posix_memalign (&p, 64, bytes) != 0)
    return NULL;
  memset (p, 0, bytes);
  return p;
}

void
seq_aligned_free (gpointer p)
{
  free (p);
}

guint32
seq_crc32 (const guint8 * p, gsize n)
{
  guint32 crc = 0xffffffffu;

  for (gsize i = 0; i < n; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}
