/* seqenc — small pieces shared by every component.
 *
 * Thread safety: everything here is reentrant; a SeqRng is owned by its caller.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Deterministic 64-bit generator (SplitMix64) for the built-in seeded models
 * and tables: the same seed gives the same numbers on every platform. It is
 * not PyTorch's generator; only the distributions match. */
typedef struct {
  guint64 state;                /* advanced by every draw */
} SeqRng;

void seq_rng_init (SeqRng * rng, guint64 seed);
guint64 seq_rng_next (SeqRng * rng);
/* Uniform in [lo, hi), computed from 24 random bits so the f32 result is
 * exact and platform independent. */
float seq_rng_uniform (SeqRng * rng, float lo, float hi);

/* Allocation of 64-byte aligned, zeroed float arrays for kernel rows.
 * seq_aligned_free (NULL) is a no-op. Returns NULL only for absurd sizes. */
float *seq_aligned_floats (gsize n);
void seq_aligned_free (gpointer p);

/* CRC-32 (IEEE 802.3, the same as zlib's crc32) of @n bytes: the checksum
 * of every state blob. */
guint32 seq_crc32 (const guint8 * data, gsize n);

/* Checked size arithmetic: FALSE on overflow. */
gboolean seq_size_mul (gsize a, gsize b, gsize * out);

G_END_DECLS
