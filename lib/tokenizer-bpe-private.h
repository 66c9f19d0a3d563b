/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — byte-level BPE internals shared by its files (not installed):
 * the model, built from the vocabulary formats by tokenizer-bpe-vocab.c and
 * read by the encoder in tokenizer-bpe.c. */
#pragma once

#include "tokenizer-bpe.h"
#include "strtable.h"

G_BEGIN_DECLS

#define SEQ_BPE_RANK_NONE G_MAXUINT32

/* ---- pair table: (left rank, right rank) -> merged rank; built by
 * tokenizer-bpe-vocab.c, read by the encoder */

typedef struct {
  guint64 *keys;                /* (l + 1) << 32 | (r + 1); 0 empty */
  guint32 *vals;
  guint n, n_slots;
} SeqBpePairTable;

static inline guint64
seq_bpe_pair_key (guint32 l, guint32 r)
{
  return ((guint64) (l + 1) << 32) | (guint64) (r + 1);
}

static inline guint
seq_bpe_pair_hash (guint64 k)
{
  k ^= k >> 33;
  k *= G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
  k ^= k >> 33;
  return (guint) k;
}

static inline guint32
seq_bpe_pair_find (const SeqBpePairTable * t, guint32 l, guint32 r)
{
  guint64 k = seq_bpe_pair_key (l, r);
  guint s = seq_bpe_pair_hash (k) & (t->n_slots - 1);

  for (;;) {
    guint64 x = t->keys[s];
    if (x == k)
      return t->vals[s];
    if (x == 0)
      return SEQ_BPE_RANK_NONE;
    s = (s + 1) & (t->n_slots - 1);
  }
}

/* ---- model (immutable after bpe_build) */

struct _SeqBpe
{
  SeqStrTable ranks;            /* token bytes -> rank */
  gint32 *rank_id;              /* [n_ranks] id in encoder.json, -1 unused */
  guint n_ranks;
  SeqBpePairTable pairs;
  gchar **id_token;             /* [vocab_size] encoder.json spelling or NULL */
  guint vocab_size;
  gboolean listed_only;         /* merge listed pairs only (Hugging Face) */
  gboolean whole_first;         /* a pre-token that is a token is taken whole */
  guint32 byte_rank[256];
};

G_END_DECLS
