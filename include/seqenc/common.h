/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — small pieces shared by every component.
 *
 * Thread safety: everything here is reentrant; a SeqRng is owned by its caller.
 * (The library's private helpers are in lib/seqenc-private.h.)
 */
#pragma once

#include <glib.h>
#include <seqenc/export.h>

G_BEGIN_DECLS

/* Deterministic 64-bit generator (SplitMix64) for the built-in seeded models
 * and tables: the same seed gives the same numbers on every platform. It is
 * not PyTorch's generator; only the distributions match. */
typedef struct {
  guint64 state;                /* advanced by every draw */
} SeqRng;

SEQ_API void seq_rng_init (SeqRng * rng, guint64 seed);
SEQ_API guint64 seq_rng_next (SeqRng * rng);
/* Uniform in [lo, hi), computed from 24 random bits so the f32 result is
 * exact and platform independent. */
SEQ_API float seq_rng_uniform (SeqRng * rng, float lo, float hi);

G_END_DECLS
