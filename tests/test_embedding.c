/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — token embedding (SeqEmbedding). */
#include "seqtest.h"

#include <seqenc/seqenc.h>
#include "seqenc-private.h"     /* seq_f32_to_f16 */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* Statistical bounds for the built-in N(0, 1) table of 1000 x 100 = 1e5
 * values: the sample mean has standard error 1/sqrt(1e5) = 0.0032 and the
 * sample variance about sqrt(2/1e5) = 0.0045; 0.02 is more than 4 standard
 * errors for both, so a correct generator fails with odds below 1e-5, while a
 * uniform or badly scaled one (variance 1/3, or 2) fails for sure. */
#define RANDOM_TABLE_MOMENT_TOLERANCE 0.02

/* Writes a safetensors file holding the given tensors (all of dtype
 * @dtype_name with 2-byte or 4-byte elements) and returns its path. */
typedef struct {
  const char *name;
  gint64 rows, cols;
  const void *data;
} TestTensor;

static gchar *
write_safetensors (const char *file, const char *dtype_name, gsize elsize,
    const TestTensor * tensors, guint n)
{
  GString *hdr = g_string_new ("{");
  GByteArray *body = g_byte_array_new ();
  gchar *dir = seq_test_tmpdir ();
  gchar *path = g_build_filename (dir, file, NULL);
  GError *err = NULL;
  guint64 hlen;
  GByteArray *out = g_byte_array_new ();

  for (guint i = 0; i < n; i++) {
    gsize bytes = (gsize) tensors[i].rows * tensors[i].cols * elsize;
    g_string_append_printf (hdr,
        "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[%" G_GINT64_FORMAT ",%"
        G_GINT64_FORMAT "],\"data_offsets\":[%u,%" G_GSIZE_FORMAT "]}",
        i ? "," : "", tensors[i].name, dtype_name, tensors[i].rows,
        tensors[i].cols, body->len, body->len + bytes);
    g_byte_array_append (body, tensors[i].data, bytes);
  }
  g_string_append_c (hdr, '}');
  while (hdr->len % 8)
    g_string_append_c (hdr, ' ');
  hlen = GUINT64_TO_LE ((guint64) hdr->len);
  g_byte_array_append (out, (const guint8 *) &hlen, 8);
  g_byte_array_append (out, (const guint8 *) hdr->str, hdr->len);
  g_byte_array_append (out, body->data, body->len);
  g_file_set_contents (path, (const gchar *) out->data, out->len, &err);
  g_assert_no_error (err);

  g_byte_array_free (out, TRUE);
  g_byte_array_free (body, TRUE);
  g_string_free (hdr, TRUE);
  g_free (dir);
  return path;
}

static void
embedding_random_is_deterministic_per_seed (void)
{
  GError *err = NULL;
  SeqEmbedding *a = seq_embedding_new_random (50, 16, 7, &err);
  SeqEmbedding *b = seq_embedding_new_random (50, 16, 7, &err);
  SeqEmbedding *c = seq_embedding_new_random (50, 16, 8, &err);
  gint32 ids[50];
  float ra[50 * 16], rb[50 * 16], rc[50 * 16];

  CU_ASSERT_PTR_NOT_NULL_FATAL (a);
  CU_ASSERT_PTR_NOT_NULL_FATAL (b);
  CU_ASSERT_PTR_NOT_NULL_FATAL (c);
  for (int i = 0; i < 50; i++)
    ids[i] = i;
  CU_ASSERT (seq_embedding_lookup (a, ids, 50, ra, NULL));
  CU_ASSERT (seq_embedding_lookup (b, ids, 50, rb, NULL));
  CU_ASSERT (seq_embedding_lookup (c, ids, 50, rc, NULL));
  CU_ASSERT (memcmp (ra, rb, sizeof ra) == 0);
  CU_ASSERT (memcmp (ra, rc, sizeof ra) != 0);
  CU_ASSERT_EQUAL (seq_embedding_vocab_size (a), 50);
  CU_ASSERT_EQUAL (seq_embedding_dim (a), 16);
  seq_embedding_unref (a);
  seq_embedding_unref (b);
  seq_embedding_unref (c);
}

static void
embedding_random_is_standard_normal (void)
{
  const guint V = 1000, D = 100;
  SeqEmbedding *e = seq_embedding_new_random (V, D, 1234, NULL);
  gint32 *ids = g_new (gint32, V);
  float *t = g_new (float, V * D);
  double sum = 0, sum2 = 0, mean, var;
  gsize beyond4 = 0;

  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  for (guint i = 0; i < V; i++)
    ids[i] = i;
  CU_ASSERT_FATAL (seq_embedding_lookup (e, ids, V, t, NULL));
  for (gsize i = 0; i < (gsize) V * D; i++) {
    CU_ASSERT_FATAL (isfinite (t[i]));
    sum += t[i];
    sum2 += (double) t[i] * t[i];
    if (fabs (t[i]) > 4.0)
      beyond4++;
  }
  mean = sum / (V * D);
  var = sum2 / (V * D) - mean * mean;
  CU_ASSERT (fabs (mean) < RANDOM_TABLE_MOMENT_TOLERANCE);
  CU_ASSERT (fabs (var - 1.0) < RANDOM_TABLE_MOMENT_TOLERANCE);
  /* P(|z| > 4) = 6.3e-5: about 6 of 1e5, certainly fewer than 40 */
  CU_ASSERT (beyond4 < 40);
  g_free (ids);
  g_free (t);
  seq_embedding_unref (e);
}

static void
embedding_lookup_copies_rows_in_order (void)
{
  SeqEmbedding *e = seq_embedding_new_random (10, 4, 1, NULL);
  gint32 all[10] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  gint32 ids[5] = { 3, 3, 0, 9, 5 };
  float table[40], out[20];

  CU_ASSERT_FATAL (seq_embedding_lookup (e, all, 10, table, NULL));
  CU_ASSERT_FATAL (seq_embedding_lookup (e, ids, 5, out, NULL));
  for (int i = 0; i < 5; i++)
    CU_ASSERT (memcmp (out + 4 * i, table + 4 * ids[i], 4 * sizeof (float))
        == 0);
  /* zero ids is fine and writes nothing */
  CU_ASSERT (seq_embedding_lookup (e, NULL, 0, NULL, NULL));
  seq_embedding_unref (e);
}

static void
embedding_out_of_range_id_is_an_error (void)
{
  SeqEmbedding *e = seq_embedding_new_random (10, 4, 1, NULL);
  gint32 bad_hi[3] = { 1, 10, 2 };
  gint32 bad_neg[1] = { -1 };
  float out[3 * 4 + 4];
  GError *err = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (out); i++)
    out[i] = 42.0f;
  CU_ASSERT_FALSE (seq_embedding_lookup (e, bad_hi, 3, out, &err));
  CU_ASSERT (g_error_matches (err, SEQ_EMBEDDING_ERROR,
          SEQ_EMBEDDING_ERROR_RANGE));
  CU_ASSERT (err && strstr (err->message, "10") != NULL);
  g_clear_error (&err);
  /* nothing written for the bad id or after it */
  for (guint i = 4; i < G_N_ELEMENTS (out); i++)
    CU_ASSERT_EQUAL (out[i], 42.0f);
  CU_ASSERT_FALSE (seq_embedding_lookup (e, bad_neg, 1, out, &err));
  CU_ASSERT (g_error_matches (err, SEQ_EMBEDDING_ERROR,
          SEQ_EMBEDDING_ERROR_RANGE));
  g_clear_error (&err);
  seq_embedding_unref (e);
}

static void
embedding_absurd_sizes_are_refused (void)
{
  GError *err = NULL;

  CU_ASSERT_PTR_NULL (seq_embedding_new_random (0, 4, 1, &err));
  CU_ASSERT (g_error_matches (err, SEQ_EMBEDDING_ERROR,
          SEQ_EMBEDDING_ERROR_CONFIG));
  g_clear_error (&err);
  CU_ASSERT_PTR_NULL (seq_embedding_new_random (4, 0, 1, &err));
  CU_ASSERT (err != NULL);
  g_clear_error (&err);
  CU_ASSERT_PTR_NULL (seq_embedding_new_random (G_MAXUINT, G_MAXUINT, 1,
          &err));
  CU_ASSERT (g_error_matches (err, SEQ_EMBEDDING_ERROR,
          SEQ_EMBEDDING_ERROR_CONFIG));
  g_clear_error (&err);
  /* NULL unref is a no-op */
  seq_embedding_unref (NULL);
}

static void
embedding_from_file_reads_f32_f16_bf16 (void)
{
  /* values exactly representable in f16 and bf16 */
  const float vals[6] = { 0.5f, -1.25f, 3.0f, 0.0f, -0.125f, 96.0f };
  guint16 h[6], b[6];
  gint32 ids[3] = { 2, 0, 1 };
  float out[6];

  for (int i = 0; i < 6; i++) {
    h[i] = GUINT16_TO_LE (seq_f32_to_f16 (vals[i]));
    b[i] = GUINT16_TO_LE (seq_f32_to_bf16 (vals[i]));
  }

  for (int k = 0; k < 3; k++) {
    const char *dt = k == 0 ? "F32" : k == 1 ? "F16" : "BF16";
    TestTensor t = { "tok_embedding.weight", 3, 2,
      k == 0 ? (const void *) vals : k == 1 ? (const void *) h : (const void *)
          b
    };
    gchar *path = write_safetensors ("emb.safetensors", dt, k ? 2 : 4, &t, 1);
    GError *err = NULL;
    SeqEmbedding *e = seq_embedding_new_from_file (path, NULL, &err);

    CU_ASSERT_PTR_NOT_NULL_FATAL (e);
    g_assert_no_error (err);
    CU_ASSERT_EQUAL (seq_embedding_vocab_size (e), 3);
    CU_ASSERT_EQUAL (seq_embedding_dim (e), 2);
    CU_ASSERT_FATAL (seq_embedding_lookup (e, ids, 3, out, NULL));
    for (int i = 0; i < 3; i++) {
      CU_ASSERT_EQUAL (out[2 * i], vals[2 * ids[i]]);
      CU_ASSERT_EQUAL (out[2 * i + 1], vals[2 * ids[i] + 1]);
    }
    seq_embedding_unref (e);
    g_unlink (path);
    g_free (path);
  }
}

static void
embedding_auto_choice_follows_names (void)
{
  const float a[4] = { 1, 2, 3, 4 }, bb[6] = { 5, 6, 7, 8, 9, 10 };
  GError *err = NULL;
  SeqEmbedding *e;
  gchar *path;

  /* two 2-D tensors, one named *embedding*.weight: that one */
  {
    TestTensor t[2] = { {"lstm.weight_ih_l0", 2, 2, a},
    {"encoder.embedding.weight", 3, 2, bb}
    };
    path = write_safetensors ("two.safetensors", "F32", 4, t, 2);
    e = seq_embedding_new_from_file (path, NULL, &err);
    g_assert_no_error (err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (e);
    CU_ASSERT_EQUAL (seq_embedding_vocab_size (e), 3);
    seq_embedding_unref (e);
    /* an explicit name wins */
    e = seq_embedding_new_from_file (path, "lstm.weight_ih_l0", &err);
    g_assert_no_error (err);
    CU_ASSERT_EQUAL (seq_embedding_vocab_size (e), 2);
    seq_embedding_unref (e);
    /* a missing name is an error */
    e = seq_embedding_new_from_file (path, "nope", &err);
    CU_ASSERT_PTR_NULL (e);
    CU_ASSERT (g_error_matches (err, SEQ_EMBEDDING_ERROR,
            SEQ_EMBEDDING_ERROR_WEIGHTS));
    g_clear_error (&err);
    g_unlink (path);
    g_free (path);
  }
  /* two 2-D tensors, no embedding name: ambiguous */
  {
    TestTensor t[2] = { {"a.weight", 2, 2, a}, {"b.weight", 3, 2, bb} };
    path = write_safetensors ("amb.safetensors", "F32", 4, t, 2);
    e = seq_embedding_new_from_file (path, NULL, &err);
    CU_ASSERT_PTR_NULL (e);
    CU_ASSERT (g_error_matches (err, SEQ_EMBEDDING_ERROR,
            SEQ_EMBEDDING_ERROR_WEIGHTS));
    g_clear_error (&err);
    g_unlink (path);
    g_free (path);
  }
}

static void
embedding_missing_or_bad_file_is_an_error (void)
{
  GError *err = NULL;
  gchar *dir = seq_test_tmpdir ();
  gchar *path = g_build_filename (dir, "junk.safetensors", NULL);

  CU_ASSERT_PTR_NULL (seq_embedding_new_from_file ("/nonexistent/x", NULL,
          &err));
  CU_ASSERT (err != NULL);
  g_clear_error (&err);
  g_file_set_contents (path, "\x05\0\0\0\0\0\0\0{]", 10, NULL);
  CU_ASSERT_PTR_NULL (seq_embedding_new_from_file (path, NULL, &err));
  CU_ASSERT (err != NULL);
  g_clear_error (&err);
  g_unlink (path);
  g_free (path);
  g_free (dir);
}

int
main (void)
{
  static const SeqTestCase cases[] = {
    {"embedding_random_is_deterministic_per_seed",
        embedding_random_is_deterministic_per_seed},
    {"embedding_random_is_standard_normal",
        embedding_random_is_standard_normal},
    {"embedding_lookup_copies_rows_in_order",
        embedding_lookup_copies_rows_in_order},
    {"embedding_out_of_range_id_is_an_error",
        embedding_out_of_range_id_is_an_error},
    {"embedding_absurd_sizes_are_refused",
        embedding_absurd_sizes_are_refused},
    {"embedding_from_file_reads_f32_f16_bf16",
        embedding_from_file_reads_f32_f16_bf16},
    {"embedding_auto_choice_follows_names",
        embedding_auto_choice_follows_names},
    {"embedding_missing_or_bad_file_is_an_error",
        embedding_missing_or_bad_file_is_an_error},
    {NULL, NULL}
  };
  return seq_test_run ("embedding", cases);
}
