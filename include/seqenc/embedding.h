/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — token embedding: ids -> rows of a [vocab, dim] table.
 *
 * Thread safety: a SeqEmbedding is immutable after creation and may be shared
 * (by reference) between threads; lookups are reentrant.
 *
 * Policy for ids outside [0, vocab): seq_embedding_lookup() fails with
 * SEQ_EMBEDDING_ERROR_RANGE naming the id and its index, and writes nothing
 * past the table (rows before the bad id may have been written).
 */
#pragma once

#include <glib.h>
#include <seqenc/export.h>
#include <seqenc/weights.h>

G_BEGIN_DECLS

#define SEQ_EMBEDDING_ERROR (seq_embedding_error_quark ())
SEQ_API GQuark seq_embedding_error_quark (void);

typedef enum {
  SEQ_EMBEDDING_ERROR_WEIGHTS,  /* no suitable tensor, or ambiguous */
  SEQ_EMBEDDING_ERROR_CONFIG,   /* absurd sizes */
  SEQ_EMBEDDING_ERROR_RANGE,    /* an id outside [0, vocab) */
} SeqEmbeddingError;

typedef struct _SeqEmbedding SeqEmbedding;

/* Built-in table: every value ~ N(0, 1) as torch.nn.Embedding's init, drawn
 * from a SeqRng seeded with @seed (Box-Muller over seq_rng_uniform). */
SEQ_API SeqEmbedding *seq_embedding_new_random (guint vocab_size, guint dim,
    guint64 seed, GError ** error);
/* From a weight file tensor: @tensor_name, or NULL/"" = auto (the single 2-D
 * tensor of the file, else the single one named "*embedding*.weight" or
 * "*embed*.weight"). F32/F16/BF16 stored; kept as f32. */
SEQ_API SeqEmbedding *seq_embedding_new_from_weights (const SeqWeights * weights,
    const gchar * tensor_name, GError ** error);
SEQ_API SeqEmbedding *seq_embedding_new_from_file (const gchar * path,
    const gchar * tensor_name, GError ** error);
SEQ_API SeqEmbedding *seq_embedding_ref (SeqEmbedding * emb);
SEQ_API void seq_embedding_unref (SeqEmbedding * emb);

SEQ_API guint seq_embedding_vocab_size (const SeqEmbedding * emb);
SEQ_API guint seq_embedding_dim (const SeqEmbedding * emb);

/* @out [n_ids][dim]. FALSE with SEQ_EMBEDDING_ERROR_RANGE on a bad id. */
SEQ_API gboolean seq_embedding_lookup (const SeqEmbedding * emb, const gint32 * ids,
    gsize n_ids, float *out, GError ** error);

G_END_DECLS
