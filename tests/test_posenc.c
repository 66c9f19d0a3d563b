/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — running positional encoding against a closed form, and
 * the learned table against PyTorch (tests/gen_posenc_learned.py). */
#include "seqtest.h"

#include <math.h>
#include <seqenc/posenc.h>
#include <string.h>

/* The reference is the closed form in long double (64-bit mantissa on x86).
 * Our output is f32 (rounding <= 6e-8 for |v| <= 1) of a double angle whose
 * rounding error grows with the position: about 1e9 * 2^-52 = 2.2e-7 rad at
 * position 1e9. 1e-6 bounds both with margin; an f32 angle would be off by
 * whole radians there. */
#define PE_TOL 1e-6

static long double
ref_value (guint64 pos, guint d, SeqPosEncLayout layout, guint j, double base)
{
  guint n = (d + 1) / 2;
  guint i;
  gboolean is_sin;

  if (layout == SEQ_POSENC_LAYOUT_INTERLEAVED) {
    i = j / 2;
    is_sin = (j % 2) == 0;
  } else {
    is_sin = j < n;
    i = is_sin ? j : j - n;
  }
  long double angle = (long double) pos / powl ((long double) base,
      (2.0L * i) / (long double) d);
  return is_sin ? sinl (angle) : cosl (angle);
}

static void
check_position (guint64 pos, guint d, SeqPosEncLayout layout, double base)
{
  float *out = g_new (float, d);
  double max_err = 0;

  seq_posenc_compute (pos, d, layout, base, out);
  for (guint j = 0; j < d; j++) {
    double e = fabs ((double) ((long double) out[j] - ref_value (pos, d,
                layout, j, base)));
    if (e > max_err)
      max_err = e;
  }
  if (max_err > PE_TOL)
    g_printerr ("pos %" G_GUINT64_FORMAT " d %u layout %d: max err %g\n",
        pos, d, layout, max_err);
  CU_ASSERT (max_err <= PE_TOL);
  g_free (out);
}

static void
posenc_matches_closed_form_near_0_1e6_1e9 (void)
{
  const guint64 bases[] = { 0, G_GUINT64_CONSTANT (1000000),
    G_GUINT64_CONSTANT (1000000000), G_GUINT64_CONSTANT (5000000000)
  };
  const guint dims[] = { 1, 2, 7, 64, 80, 255 };

  for (guint b = 0; b < G_N_ELEMENTS (bases); b++)
    for (guint k = 0; k < 5; k++)
      for (guint di = 0; di < G_N_ELEMENTS (dims); di++)
        for (int layout = 0; layout < 2; layout++)
          check_position (bases[b] + k, dims[di], layout, 10000.0);
  check_position (123456789, 32, SEQ_POSENC_LAYOUT_INTERLEAVED, 500.0);
}

static SeqPosEnc *
make (guint frame_dim, SeqPosEncMode mode, guint pe_dim,
    SeqPosEncLayout layout, float scale, guint64 start)
{
  SeqPosEncParams p = seq_posenc_params_default ();
  GError *err = NULL;
  SeqPosEnc *pe;

  p.frame_dim = frame_dim;
  p.mode = mode;
  p.pe_dim = pe_dim;
  p.layout = layout;
  p.scale = scale;
  p.start = start;
  pe = seq_posenc_new (&p, &err);
  CU_ASSERT_PTR_NOT_NULL_FATAL (pe);
  CU_ASSERT_PTR_NULL (err);
  return pe;
}

static void
posenc_add_and_concat_place_values (void)
{
  const guint fd = 5, pd = 6, T = 4;
  float in[4 * 5], out_add[4 * 5], out_cat[4 * 11], row[6];
  SeqPosEnc *add, *cat;

  for (guint i = 0; i < G_N_ELEMENTS (in); i++)
    in[i] = (float) i * 0.25f - 1.0f;
  for (int layout = 0; layout < 2; layout++) {
    add = make (fd, SEQ_POSENC_MODE_ADD, 0, layout, 2.0f, 1000);
    cat = make (fd, SEQ_POSENC_MODE_CONCAT, pd, layout, 2.0f, 1000);
    CU_ASSERT_EQUAL (seq_posenc_out_dim (add), fd);
    CU_ASSERT_EQUAL (seq_posenc_out_dim (cat), fd + pd);
    seq_posenc_process (add, in, out_add, T, NULL);
    seq_posenc_process (cat, in, out_cat, T, NULL);
    for (guint t = 0; t < T; t++) {
      float prow[5];
      seq_posenc_compute (1000 + t, fd, layout, 10000.0, prow);
      for (guint j = 0; j < fd; j++)
        CU_ASSERT_EQUAL (out_add[t * fd + j], 2.0f * in[t * fd + j] + prow[j]);
      seq_posenc_compute (1000 + t, pd, layout, 10000.0, row);
      for (guint j = 0; j < fd; j++)
        CU_ASSERT_EQUAL (out_cat[t * (fd + pd) + j], 2.0f * in[t * fd + j]);
      CU_ASSERT (memcmp (out_cat + t * (fd + pd) + fd, row,
              sizeof (row)) == 0);
    }
    CU_ASSERT_EQUAL (seq_posenc_get_position (add), 1000 + T);
    seq_posenc_free (add);
    seq_posenc_free (cat);
  }
}

static void
posenc_position_runs_across_calls_bitwise (void)
{
  const guint fd = 33, T = 50;
  float *in = g_new (float, fd * T), *a = g_new (float, fd * T),
      *b = g_new (float, fd * T);
  SeqPosEnc *one = make (fd, SEQ_POSENC_MODE_ADD, 0, 0, 1.0f, 999999990);
  SeqPosEnc *many = make (fd, SEQ_POSENC_MODE_ADD, 0, 0, 1.0f, 999999990);

  for (guint i = 0; i < fd * T; i++)
    in[i] = sinf ((float) i);
  seq_posenc_process (one, in, a, T, NULL);
  for (guint t = 0; t < T;) {
    guint n = MIN (T - t, 1 + t % 7);
    seq_posenc_process (many, in + t * fd, b + t * fd, n, NULL);
    t += n;
  }
  CU_ASSERT (memcmp (a, b, sizeof (float) * fd * T) == 0);
  g_free (in);
  g_free (a);
  g_free (b);
  seq_posenc_free (one);
  seq_posenc_free (many);
}

static void
posenc_reset_returns_to_start (void)
{
  const guint fd = 8;
  float in[8 * 3] = { 0 }, a[8 * 3], b[8 * 3];
  SeqPosEnc *pe = make (fd, SEQ_POSENC_MODE_ADD, 0, 1, 1.0f, 42);

  seq_posenc_process (pe, in, a, 3, NULL);
  seq_posenc_reset (pe);
  CU_ASSERT_EQUAL (seq_posenc_get_position (pe), 42);
  seq_posenc_process (pe, in, b, 3, NULL);
  CU_ASSERT (memcmp (a, b, sizeof (a)) == 0);
  seq_posenc_set_position (pe, 43);
  seq_posenc_process (pe, in, b, 1, NULL);
  CU_ASSERT (memcmp (a + fd, b, sizeof (float) * fd) == 0);
  seq_posenc_free (pe);
}

static void
posenc_rejects_bad_params (void)
{
  SeqPosEncParams p = seq_posenc_params_default ();
  GError *err = NULL;

  CU_ASSERT_PTR_NULL (seq_posenc_new (&p, &err));       /* frame_dim 0 */
  CU_ASSERT (g_error_matches (err, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_CONFIG));
  g_clear_error (&err);
  p.frame_dim = 4;
  p.base = 1.0;
  CU_ASSERT_PTR_NULL (seq_posenc_new (&p, &err));
  CU_ASSERT_PTR_NOT_NULL (err);
  g_clear_error (&err);
  p.base = NAN;
  CU_ASSERT_PTR_NULL (seq_posenc_new (&p, &err));
  g_clear_error (&err);
  p.base = 10000;
  p.mode = SEQ_POSENC_MODE_CONCAT;
  p.pe_dim = 0;
  CU_ASSERT_PTR_NULL (seq_posenc_new (&p, &err));
  g_clear_error (&err);
  p.pe_dim = 1u << 30;
  CU_ASSERT_PTR_NULL (seq_posenc_new (&p, &err));
  g_clear_error (&err);
  p.pe_dim = 4;
  p.scale = INFINITY;
  CU_ASSERT_PTR_NULL (seq_posenc_new (&p, &err));
  g_clear_error (&err);
  seq_posenc_free (NULL);
}

static void
posenc_state_blob_roundtrip_and_refusals (void)
{
  SeqPosEnc *a = make (8, SEQ_POSENC_MODE_ADD, 0, 0, 1.0f, 7);
  SeqPosEnc *b = make (8, SEQ_POSENC_MODE_ADD, 0, 0, 1.0f, 0);
  SeqPosEnc *other = make (9, SEQ_POSENC_MODE_ADD, 0, 0, 1.0f, 7);
  float in[8 * 5] = { 0 }, x[8 * 2], y[8 * 2];
  GBytes *blob;
  GError *err = NULL;
  guint8 *bad;
  gsize n;

  seq_posenc_process (a, in, in, 5, NULL);
  blob = seq_posenc_state_save (a);
  CU_ASSERT (seq_posenc_state_restore (b, blob, &err));
  CU_ASSERT_PTR_NULL (err);
  CU_ASSERT_EQUAL (seq_posenc_get_position (b), 12);
  seq_posenc_process (a, in, x, 2, NULL);
  seq_posenc_process (b, in, y, 2, NULL);
  CU_ASSERT (memcmp (x, y, sizeof (x)) == 0);

  CU_ASSERT_FALSE (seq_posenc_state_restore (other, blob, &err));
  CU_ASSERT (g_error_matches (err, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_STATE));
  g_clear_error (&err);

  {
    gconstpointer data = g_bytes_get_data (blob, &n);
    bad = g_memdup2 (data, n);
  }
  bad[50] ^= 1;                 /* position bit: checksum must catch it */
  {
    GBytes *corrupt = g_bytes_new_take (bad, n);
    CU_ASSERT_FALSE (seq_posenc_state_restore (b, corrupt, &err));
    CU_ASSERT_PTR_NOT_NULL (err);
    g_clear_error (&err);
    g_bytes_unref (corrupt);
  }
  {
    GBytes *shortb = g_bytes_new_from_bytes (blob, 0, n - 1);
    CU_ASSERT_FALSE (seq_posenc_state_restore (b, shortb, &err));
    g_clear_error (&err);
    g_bytes_unref (shortb);
  }
  g_bytes_unref (blob);
  seq_posenc_free (a);
  seq_posenc_free (b);
  seq_posenc_free (other);
}

/* ---- learned table (tests/gen_posenc_learned.py) ------------------------ */

static float *
tensor_of (SeqWeights * w, const char *name, gsize * n)
{
  const SeqTensorInfo *t = seq_weights_find (w, name);
  float *v;

  CU_ASSERT_PTR_NOT_NULL_FATAL (t);
  v = g_new (float, t->n_elements);
  CU_ASSERT_TRUE_FATAL (seq_tensor_to_f32 (t, v, t->n_elements, NULL));
  if (n)
    *n = t->n_elements;
  return v;
}

static SeqPosEnc *
make_learned (SeqPosEncTable * tb, SeqPosEncMode mode, SeqPosEncPastEnd pe,
    guint64 start)
{
  SeqPosEncParams p = seq_posenc_params_default ();
  GError *err = NULL;
  SeqPosEnc *enc;

  p.frame_dim = 16;
  p.mode = mode;
  p.table = tb;
  p.past_end = pe;
  p.start = start;
  enc = seq_posenc_new (&p, &err);
  if (enc == NULL)
    g_printerr ("%s\n", err->message);
  CU_ASSERT_PTR_NOT_NULL_FATAL (enc);
  return enc;
}

static SeqPosEncTable *
learned_table (SeqWeights ** w)
{
  gchar *path = seq_test_data_path ("posenc_learned.safetensors");
  SeqPosEncTable *tb;

  *w = seq_weights_open (path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (*w);
  /* auto-detected by its BERT name, beside a decoy 2-D tensor */
  tb = seq_posenc_table_new_from_weights (*w, NULL, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (tb);
  CU_ASSERT_EQUAL (seq_posenc_table_get_max_len (tb), 12);
  CU_ASSERT_EQUAL (seq_posenc_table_get_dim (tb), 16);
  g_free (path);
  return tb;
}

/* x + table[p mod 12] and cat (x, table[p mod 12]) as torch computes them,
 * bitwise (one f32 addition, or a copy), for any split into calls */
static void
posenc_learned_matches_torch_and_wraps (void)
{
  SeqWeights *w;
  SeqPosEncTable *tb = learned_table (&w);
  float *x = tensor_of (w, "test.input", NULL);
  float *add = tensor_of (w, "test.add_wrap", NULL);
  float *cat = tensor_of (w, "test.concat_wrap", NULL);
  float out[30 * 32];
  const guint splits[] = { 1, 7, 30 };

  for (guint s = 0; s < G_N_ELEMENTS (splits); s++) {
    SeqPosEnc *a = make_learned (tb, SEQ_POSENC_MODE_ADD,
        SEQ_POSENC_PAST_END_WRAP, 0);
    SeqPosEnc *c = make_learned (tb, SEQ_POSENC_MODE_CONCAT,
        SEQ_POSENC_PAST_END_WRAP, 0);
    CU_ASSERT_EQUAL (seq_posenc_out_dim (c), 32);
    for (guint t = 0; t < 30; t += splits[s]) {
      guint n = MIN (splits[s], 30 - t);
      CU_ASSERT (seq_posenc_process (a, x + t * 16, out + t * 16, n, NULL));
    }
    CU_ASSERT (memcmp (out, add, 30 * 16 * sizeof (float)) == 0);
    for (guint t = 0; t < 30; t += splits[s]) {
      guint n = MIN (splits[s], 30 - t);
      CU_ASSERT (seq_posenc_process (c, x + t * 16, out + t * 32, n, NULL));
    }
    CU_ASSERT (memcmp (out, cat, 30 * 32 * sizeof (float)) == 0);
    seq_posenc_free (a);
    seq_posenc_free (c);
  }
  g_free (x);
  g_free (add);
  g_free (cat);
  seq_posenc_table_unref (tb);
  seq_weights_unref (w);
}

static void
posenc_learned_past_end_error_names_position (void)
{
  SeqWeights *w;
  SeqPosEncTable *tb = learned_table (&w);
  float *x = tensor_of (w, "test.input", NULL);
  float *want = tensor_of (w, "test.add_start5", NULL);
  float out[10 * 16];
  SeqPosEnc *a = make_learned (tb, SEQ_POSENC_MODE_ADD,
      SEQ_POSENC_PAST_END_ERROR, 5);
  GError *err = NULL;

  /* positions 5..11 are rows, 12 is not: the 7 frames before it are
   * written, then the error names 12 */
  CU_ASSERT_FALSE (seq_posenc_process (a, x, out, 10, &err));
  CU_ASSERT (g_error_matches (err, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_RANGE));
  CU_ASSERT (err != NULL && strstr (err->message, "position 12") != NULL);
  g_clear_error (&err);
  CU_ASSERT (memcmp (out, want, 7 * 16 * sizeof (float)) == 0);
  CU_ASSERT_EQUAL (seq_posenc_get_position (a), 12);
  /* and stays refused; a reset starts again */
  CU_ASSERT_FALSE (seq_posenc_process (a, x, out, 1, &err));
  g_clear_error (&err);
  seq_posenc_reset (a);
  CU_ASSERT (seq_posenc_process (a, x, out, 7, NULL));
  CU_ASSERT (memcmp (out, want, 7 * 16 * sizeof (float)) == 0);
  seq_posenc_free (a);
  g_free (x);
  g_free (want);
  seq_posenc_table_unref (tb);
  seq_weights_unref (w);
}

/* A safetensors file in memory: F32 tensors "name" of the given shapes. */
static SeqWeights *
fake_weights (const char *const *names, const gint64 (*shapes)[2], guint n)
{
  GString *h = g_string_new ("{");
  gsize off = 0;
  guint64 le;
  GByteArray *b = g_byte_array_new ();
  guint8 *z;

  for (guint i = 0; i < n; i++) {
    gsize cnt = (gsize) shapes[i][0] * (shapes[i][1] ? shapes[i][1] : 1);
    g_string_append_printf (h, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%"
        G_GINT64_FORMAT, i ? "," : "", names[i], shapes[i][0]);
    if (shapes[i][1])
      g_string_append_printf (h, ",%" G_GINT64_FORMAT, shapes[i][1]);
    g_string_append_printf (h, "],\"data_offsets\":[%" G_GSIZE_FORMAT ",%"
        G_GSIZE_FORMAT "]}", off, off + cnt * 4);
    off += cnt * 4;
  }
  g_string_append_c (h, '}');
  le = GUINT64_TO_LE ((guint64) h->len);
  g_byte_array_append (b, (const guint8 *) &le, 8);
  g_byte_array_append (b, (const guint8 *) h->str, h->len);
  z = g_malloc0 (off + 1);
  g_byte_array_append (b, z, off);
  g_free (z);
  g_string_free (h, TRUE);
  return seq_weights_new_from_bytes (g_byte_array_free_to_bytes (b), NULL);
}

static void
expect_table_error (SeqWeights * w, const char *name, const char *needle)
{
  GError *err = NULL;

  CU_ASSERT_PTR_NULL (seq_posenc_table_new_from_weights (w, name, &err));
  CU_ASSERT (g_error_matches (err, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_TABLE));
  if (err != NULL && strstr (err->message, needle) == NULL)
    g_printerr ("\"%s\" lacks \"%s\"\n", err->message, needle);
  CU_ASSERT (err != NULL && strstr (err->message, needle) != NULL);
  g_clear_error (&err);
}

static void
posenc_learned_table_detection_and_refusals (void)
{
  gchar *path = seq_test_data_path ("posenc_embedding.safetensors");
  SeqPosEncTable *tb = seq_posenc_table_new_from_file (path, NULL, NULL);
  SeqPosEncParams p = seq_posenc_params_default ();
  static const char *const two[] = { "a.weight", "b.weight", "c.bias" };
  static const gint64 two_shapes[][2] = { {4, 3}, {5, 3}, {3, 0} };
  SeqWeights *w = fake_weights (two, two_shapes, 3);
  GError *err = NULL;

  /* nn.Embedding(8, 6)'s "weight", the only 2-D tensor of its file */
  CU_ASSERT_PTR_NOT_NULL_FATAL (tb);
  CU_ASSERT_EQUAL (seq_posenc_table_get_max_len (tb), 8);
  CU_ASSERT_EQUAL (seq_posenc_table_get_dim (tb), 6);
  /* add mode needs frames as wide as the table */
  p.frame_dim = 5;
  p.table = tb;
  CU_ASSERT_PTR_NULL (seq_posenc_new (&p, &err));
  CU_ASSERT (g_error_matches (err, SEQ_POSENC_ERROR,
          SEQ_POSENC_ERROR_CONFIG));
  g_clear_error (&err);
  seq_posenc_table_unref (tb);

  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  expect_table_error (w, NULL, "\"a.weight\", \"b.weight\"");
  expect_table_error (w, "missing", "no tensor \"missing\"");
  expect_table_error (w, "c.bias", "expected [max_len, d]");
  tb = seq_posenc_table_new_from_weights (w, "b.weight", NULL);
  CU_ASSERT_PTR_NOT_NULL (tb);
  seq_posenc_table_unref (tb);
  seq_weights_unref (w);
  g_free (path);
}

static void
posenc_learned_state_blob_refuses_other_table_or_past_end (void)
{
  SeqWeights *w;
  SeqPosEncTable *tb = learned_table (&w);
  SeqPosEncTable *other = seq_posenc_table_new_from_weights (w,
      "bert.embeddings.word_embeddings.weight", NULL);
  float *x = tensor_of (w, "test.input", NULL);
  float *want = tensor_of (w, "test.add_wrap", NULL);
  float out[30 * 16];
  SeqPosEnc *a = make_learned (tb, SEQ_POSENC_MODE_ADD,
      SEQ_POSENC_PAST_END_WRAP, 0);
  SeqPosEnc *b = make_learned (tb, SEQ_POSENC_MODE_ADD,
      SEQ_POSENC_PAST_END_WRAP, 0);
  SeqPosEnc *err_mode = make_learned (tb, SEQ_POSENC_MODE_ADD,
      SEQ_POSENC_PAST_END_ERROR, 0);
  SeqPosEnc *o = make_learned (other, SEQ_POSENC_MODE_ADD,
      SEQ_POSENC_PAST_END_WRAP, 0);
  SeqPosEnc *sin = make (16, SEQ_POSENC_MODE_ADD, 0, 0, 1.0f, 0);
  GBytes *blob;
  GError *err = NULL;

  CU_ASSERT (seq_posenc_process (a, x, out, 17, NULL));
  blob = seq_posenc_state_save (a);
  CU_ASSERT (seq_posenc_state_restore (b, blob, &err));
  CU_ASSERT (seq_posenc_process (b, x + 17 * 16, out + 17 * 16, 13, NULL));
  CU_ASSERT (memcmp (out, want, sizeof (out)) == 0);
  CU_ASSERT_FALSE (seq_posenc_state_restore (err_mode, blob, &err));
  g_clear_error (&err);
  CU_ASSERT_FALSE (seq_posenc_state_restore (o, blob, &err));
  g_clear_error (&err);
  CU_ASSERT_FALSE (seq_posenc_state_restore (sin, blob, &err));
  CU_ASSERT (g_error_matches (err, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_STATE));
  g_clear_error (&err);
  g_bytes_unref (blob);
  seq_posenc_free (a);
  seq_posenc_free (b);
  seq_posenc_free (err_mode);
  seq_posenc_free (o);
  seq_posenc_free (sin);
  g_free (x);
  g_free (want);
  seq_posenc_table_unref (tb);
  seq_posenc_table_unref (other);
  seq_weights_unref (w);
}

int
main (void)
{
  static const SeqTestCase cases[] = {
    {"posenc_matches_closed_form_near_0_1e6_1e9",
        posenc_matches_closed_form_near_0_1e6_1e9},
    {"posenc_add_and_concat_place_values", posenc_add_and_concat_place_values},
    {"posenc_position_runs_across_calls_bitwise",
        posenc_position_runs_across_calls_bitwise},
    {"posenc_reset_returns_to_start", posenc_reset_returns_to_start},
    {"posenc_rejects_bad_params", posenc_rejects_bad_params},
    {"posenc_state_blob_roundtrip_and_refusals",
        posenc_state_blob_roundtrip_and_refusals},
    {"posenc_learned_matches_torch_and_wraps",
        posenc_learned_matches_torch_and_wraps},
    {"posenc_learned_past_end_error_names_position",
        posenc_learned_past_end_error_names_position},
    {"posenc_learned_table_detection_and_refusals",
        posenc_learned_table_detection_and_refusals},
    {"posenc_learned_state_blob_refuses_other_table_or_past_end",
        posenc_learned_state_blob_refuses_other_table_or_past_end},
    {NULL, NULL}
  };
  return seq_test_run ("posenc", cases);
}
