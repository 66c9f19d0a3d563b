/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — token embedding: ids -> rows of a [vocab, dim] table.
 *
 * The table is always held as f32 rows (converted once at creation from F16
 * or BF16 files); a lookup is a bounds-checked row copy.
 */
#include "seqenc/embedding.h"
#include "seqenc-private.h"

#include <math.h>
#include <string.h>

/* Largest table we agree to build: 2^31 values (8 GiB of f32). Beyond that
 * the parameters are taken as a mistake rather than a wish. */
#define SEQ_EMBEDDING_MAX_VALUES (G_GUINT64_CONSTANT (1) << 31)

struct _SeqEmbedding
{
  gint ref_count;
  guint vocab_size;
  guint dim;
  float *table;                 /* [vocab_size][dim], 64-byte aligned */
};

G_DEFINE_QUARK (seq-embedding-error-quark, seq_embedding_error);

static SeqEmbedding *
embedding_alloc (guint vocab_size, guint dim, GError ** error)
{
  SeqEmbedding *emb;
  gsize n;

  if (vocab_size == 0 || dim == 0) {
    g_set_error (error, SEQ_EMBEDDING_ERROR, SEQ_EMBEDDING_ERROR_CONFIG,
        "embedding table must not be empty (vocab %u, dim %u)", vocab_size,
        dim);
    return NULL;
  }
  if (!seq_size_mul (vocab_size, dim, &n) || n > SEQ_EMBEDDING_MAX_VALUES) {
    g_set_error (error, SEQ_EMBEDDING_ERROR, SEQ_EMBEDDING_ERROR_CONFIG,
        "embedding table of %u x %u values is too large", vocab_size, dim);
    return NULL;
  }

  emb = g_new0 (SeqEmbedding, 1);
  emb->ref_count = 1;
  emb->vocab_size = vocab_size;
  emb->dim = dim;
  emb->table = seq_aligned_floats (n);
  if (emb->table == NULL) {
    g_free (emb);
    g_set_error (error, SEQ_EMBEDDING_ERROR, SEQ_EMBEDDING_ERROR_CONFIG,
        "cannot allocate an embedding table of %u x %u values", vocab_size,
        dim);
    return NULL;
  }
  return emb;
}

SeqEmbedding *
seq_embedding_new_random (guint vocab_size, guint dim, guint64 seed,
    GError ** error)
{
  SeqEmbedding *emb;
  SeqRng rng;
  gsize n;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  emb = embedding_alloc (vocab_size, dim, error);
  if (emb == NULL)
    return NULL;

  /* Box-Muller: each pair of uniforms gives two normals. u1 is taken in
   * (0, 1] so that log (u1) is finite. Computed in double, rounded once. */
  n = (gsize) vocab_size * dim;
  seq_rng_init (&rng, seed);
  for (gsize i = 0; i < n; i += 2) {
    double u1 = 1.0 - (double) seq_rng_uniform (&rng, 0.0f, 1.0f);
    double u2 = (double) seq_rng_uniform (&rng, 0.0f, 1.0f);
    double r = sqrt (-2.0 * log (u1));
    double a = 2.0 * G_PI * u2;

    emb->table[i] = (float) (r * cos (a));
    if (i + 1 < n)
      emb->table[i + 1] = (float) (r * sin (a));
  }
  return emb;
}

static gboolean
name_is_embedding (const gchar * name, const gchar * what)
{
  return g_str_has_suffix (name, ".weight") && strstr (name, what) != NULL;
}

/* The auto choice: the single 2-D tensor, else the single 2-D one whose name
 * contains "embedding" and ends in ".weight", else "embed". */
static const SeqTensorInfo *
find_auto (const SeqWeights * weights, GError ** error)
{
  static const gchar *const patterns[] = { NULL, "embedding", "embed" };
  guint n = seq_weights_n_tensors (weights);

  for (guint p = 0; p < G_N_ELEMENTS (patterns); p++) {
    const SeqTensorInfo *found = NULL;
    guint count = 0;

    for (guint i = 0; i < n; i++) {
      const SeqTensorInfo *t = seq_weights_get (weights, i);
      if (t == NULL || t->rank != 2)
        continue;
      if (patterns[p] != NULL && !name_is_embedding (t->name, patterns[p]))
        continue;
      found = t;
      count++;
    }
    if (count == 1)
      return found;
    if (count > 1 && patterns[p] != NULL) {
      g_set_error (error, SEQ_EMBEDDING_ERROR, SEQ_EMBEDDING_ERROR_WEIGHTS,
          "%u tensors match \"*%s*.weight\": name the embedding tensor",
          count, patterns[p]);
      return NULL;
    }
  }
  g_set_error (error, SEQ_EMBEDDING_ERROR, SEQ_EMBEDDING_ERROR_WEIGHTS,
      "no embedding tensor found: the file has no single 2-D tensor and none "
      "named \"*embedding*.weight\" or \"*embed*.weight\"");
  return NULL;
}

SeqEmbedding *
seq_embedding_new_from_weights (const SeqWeights * weights,
    const gchar * tensor_name, GError ** error)
{
  const SeqTensorInfo *t;
  SeqEmbedding *emb;
  GError *err = NULL;

  g_return_val_if_fail (weights != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (tensor_name != NULL && tensor_name[0] != '\0') {
    t = seq_weights_find (weights, tensor_name);
    if (t == NULL) {
      g_set_error (error, SEQ_EMBEDDING_ERROR, SEQ_EMBEDDING_ERROR_WEIGHTS,
          "no tensor named \"%s\" in the weight file", tensor_name);
      return NULL;
    }
  } else {
    t = find_auto (weights, error);
    if (t == NULL)
      return NULL;
  }

  if (t->rank != 2) {
    g_set_error (error, SEQ_EMBEDDING_ERROR, SEQ_EMBEDDING_ERROR_WEIGHTS,
        "embedding tensor \"%s\" has rank %u, expected 2 ([vocab, dim])",
        t->name, t->rank);
    return NULL;
  }
  if (t->shape[0] <= 0 || t->shape[1] <= 0 || t->shape[0] > G_MAXUINT
      || t->shape[1] > G_MAXUINT) {
    g_set_error (error, SEQ_EMBEDDING_ERROR, SEQ_EMBEDDING_ERROR_WEIGHTS,
        "embedding tensor \"%s\" has unusable shape [%" G_GINT64_FORMAT
        ", %" G_GINT64_FORMAT "]", t->name, t->shape[0], t->shape[1]);
    return NULL;
  }

  emb = embedding_alloc ((guint) t->shape[0], (guint) t->shape[1], error);
  if (emb == NULL)
    return NULL;
  if (!seq_tensor_to_f32 (t, emb->table, t->n_elements, &err)) {
    g_set_error (error, SEQ_EMBEDDING_ERROR, SEQ_EMBEDDING_ERROR_WEIGHTS,
        "embedding tensor \"%s\": %s", t->name, err->message);
    g_clear_error (&err);
    seq_embedding_unref (emb);
    return NULL;
  }
  return emb;
}

SeqEmbedding *
seq_embedding_new_from_file (const gchar * path, const gchar * tensor_name,
    GError ** error)
{
  SeqWeights *w;
  SeqEmbedding *emb;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  w = seq_weights_open (path, error);
  if (w == NULL)
    return NULL;
  emb = seq_embedding_new_from_weights (w, tensor_name, error);
  seq_weights_unref (w);
  return emb;
}

SeqEmbedding *
seq_embedding_ref (SeqEmbedding * emb)
{
  g_return_val_if_fail (emb != NULL, NULL);
  g_atomic_int_inc (&emb->ref_count);
  return emb;
}

void
seq_embedding_unref (SeqEmbedding * emb)
{
  if (emb == NULL)
    return;
  if (!g_atomic_int_dec_and_test (&emb->ref_count))
    return;
  seq_aligned_free (emb->table);
  g_free (emb);
}

guint
seq_embedding_vocab_size (const SeqEmbedding * emb)
{
  g_return_val_if_fail (emb != NULL, 0);
  return emb->vocab_size;
}

guint
seq_embedding_dim (const SeqEmbedding * emb)
{
  g_return_val_if_fail (emb != NULL, 0);
  return emb->dim;
}

gboolean
seq_embedding_lookup (const SeqEmbedding * emb, const gint32 * ids,
    gsize n_ids, float *out, GError ** error)
{
  g_return_val_if_fail (emb != NULL, FALSE);
  g_return_val_if_fail (ids != NULL || n_ids == 0, FALSE);
  g_return_val_if_fail (out != NULL || n_ids == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (gsize i = 0; i < n_ids; i++) {
    gint32 id = ids[i];

    if (id < 0 || (guint32) id >= emb->vocab_size) {
      g_set_error (error, SEQ_EMBEDDING_ERROR, SEQ_EMBEDDING_ERROR_RANGE,
          "token id %" G_GINT32_FORMAT " at index %" G_GSIZE_FORMAT
          " is outside the embedding table [0, %u)", id, i, emb->vocab_size);
      return FALSE;
    }
    memcpy (out + i * emb->dim, emb->table + (gsize) id * emb->dim,
        emb->dim * sizeof (float));
  }
  return TRUE;
}
