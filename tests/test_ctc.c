/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — streaming greedy CTC decoder: parity with a PyTorch greedy
 * reference (labels, frame indices, mean posteriors; fixtures from
 * tests/gen_head_ctc_fixtures.py), any chunking, save/restore mid-token,
 * bad input, labels files and metadata. */
#include "seqtest.h"

#include <seqenc/seqenc.h>
#include <glib/gstdio.h>
#include <float.h>
#include <math.h>
#include <string.h>

/* Mean posterior vs the reference: both sum the same f32 values as doubles
 * in frame order; the reference's exp is torch's float64 exp and ours libm's
 * (each within 1 ulp of double), so the means agree to ~1e-15 relative
 * before both are rounded to f32: they may differ by the f32 rounding of a
 * value on a boundary, one ulp of f32 (FLT_EPSILON relative). */
#define CTC_MEAN_REL_TOL FLT_EPSILON

static const char *const fixtures[] = { "runs", "probs", "ties" };

typedef struct {
  SeqWeights *w;
  float *post;                  /* [T][K] */
  guint T, K;
  SeqCtcParams params;
  float *ref;                   /* [N][3] label, start, end */
  float *mean;                  /* [N] */
  guint N;
} Fixture;

static float *
tensor_f32 (SeqWeights * w, const char *name, gsize * n)
{
  const SeqTensorInfo *t = seq_weights_find (w, name);
  float *buf;

  CU_ASSERT_PTR_NOT_NULL_FATAL (t);
  buf = g_new (float, t->n_elements ? t->n_elements : 1);
  CU_ASSERT_TRUE_FATAL (seq_tensor_to_f32 (t, buf, t->n_elements, NULL));
  if (n)
    *n = t->n_elements;
  return buf;
}

static void
fixture_load (Fixture * f, const char *name)
{
  gchar *file = g_strdup_printf ("ctc_%s.safetensors", name);
  gchar *path = seq_test_data_path (file);
  const SeqTensorInfo *t;
  gsize n;

  memset (f, 0, sizeof (*f));
  f->w = seq_weights_open (path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (f->w);
  t = seq_weights_find (f->w, "test.posteriors");
  CU_ASSERT_PTR_NOT_NULL_FATAL (t);
  f->T = (guint) t->shape[0];
  f->K = (guint) t->shape[1];
  f->post = tensor_f32 (f->w, "test.posteriors", NULL);
  f->ref = tensor_f32 (f->w, "test.tokens", &n);
  f->N = (guint) (n / 3);
  f->mean = tensor_f32 (f->w, "test.mean", NULL);
  f->params = seq_ctc_params_default ();
  f->params.n_labels = f->K;
  f->params.blank = (guint) g_ascii_strtoull (seq_weights_get_metadata (f->w,
          "blank"), NULL, 10);
  f->params.input = g_str_equal (seq_weights_get_metadata (f->w, "input"),
      "probs") ? SEQ_CTC_INPUT_PROBS : SEQ_CTC_INPUT_LOG_PROBS;
  g_free (path);
  g_free (file);
}

static void
fixture_clear (Fixture * f)
{
  g_free (f->post);
  g_free (f->ref);
  g_free (f->mean);
  seq_weights_unref (f->w);
}

/* Decodes frames [from, to) of @f in calls of @chunk frames (0: one call),
 * appending the tokens to @out. */
static void
decode_range (SeqCtc * ctc, const Fixture * f, guint from, guint to,
    guint chunk, GArray * out)
{
  SeqCtcToken *tok = g_new (SeqCtcToken, MAX (to - from, 1));

  if (chunk == 0)
    chunk = MAX (to - from, 1);
  for (guint t = from; t < to; t += chunk) {
    guint n = MIN (chunk, to - t);
    gsize got = 0;
    GError *err = NULL;
    CU_ASSERT_TRUE (seq_ctc_feed (ctc, f->post + (gsize) t * f->K, n, tok,
            &got, &err));
    CU_ASSERT_PTR_NULL (err);
    g_clear_error (&err);
    CU_ASSERT (got <= n);
    g_array_append_vals (out, tok, got);
  }
  g_free (tok);
}

static void
finish_into (SeqCtc * ctc, GArray * out)
{
  SeqCtcToken last;

  if (seq_ctc_finish (ctc, &last))
    g_array_append_val (out, last);
}

/* Whole stream in calls of @chunk frames (0: one call) plus finish. */
static GArray *
decode_all (const Fixture * f, guint chunk)
{
  SeqCtc *ctc = seq_ctc_new (&f->params, NULL);
  GArray *out = g_array_new (FALSE, TRUE, sizeof (SeqCtcToken));

  CU_ASSERT_PTR_NOT_NULL_FATAL (ctc);
  decode_range (ctc, f, 0, f->T, chunk, out);
  finish_into (ctc, out);
  seq_ctc_free (ctc);
  return out;
}

/* Field by field (the struct has padding), the mean bitwise. */
static gboolean
tokens_equal (GArray * a, GArray * b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++) {
    const SeqCtcToken *x = &g_array_index (a, SeqCtcToken, i);
    const SeqCtcToken *y = &g_array_index (b, SeqCtcToken, i);
    if (x->label != y->label || x->start != y->start || x->end != y->end
        || memcmp (&x->mean_posterior, &y->mean_posterior, sizeof (float)))
      return FALSE;
  }
  return TRUE;
}

static void
ctc_matches_torch_greedy_reference (void)
{
  for (guint c = 0; c < G_N_ELEMENTS (fixtures); c++) {
    Fixture f;
    GArray *got;
    double worst = 0.0;

    fixture_load (&f, fixtures[c]);
    got = decode_all (&f, 0);
    CU_ASSERT_EQUAL (got->len, f.N);
    CU_ASSERT (f.N > 50);       /* enough tokens to mean something */
    for (guint i = 0; i < MIN (got->len, f.N); i++) {
      const SeqCtcToken *t = &g_array_index (got, SeqCtcToken, i);
      double rel = fabs (t->mean_posterior - f.mean[i]) / f.mean[i];
      CU_ASSERT_EQUAL (t->label, (guint) f.ref[3 * i]);
      CU_ASSERT_EQUAL (t->start, (guint64) f.ref[3 * i + 1]);
      CU_ASSERT_EQUAL (t->end, (guint64) f.ref[3 * i + 2]);
      CU_ASSERT_NOT_EQUAL (t->label, f.params.blank);
      worst = MAX (worst, rel);
    }
    g_printerr ("\n  %s: %u tokens over %u frames of %u classes (blank %u), "
        "mean posterior max rel diff %.3g", fixtures[c], got->len, f.T, f.K,
        f.params.blank, worst);
    CU_ASSERT (worst <= CTC_MEAN_REL_TOL);
    g_array_unref (got);
    fixture_clear (&f);
  }
}

static void
ctc_any_chunking_gives_identical_tokens (void)
{
  static const guint chunks[] = { 1, 2, 3, 5, 17, 64 };

  for (guint c = 0; c < G_N_ELEMENTS (fixtures); c++) {
    Fixture f;
    GArray *whole;

    fixture_load (&f, fixtures[c]);
    whole = decode_all (&f, 0);
    for (guint k = 0; k < G_N_ELEMENTS (chunks); k++) {
      GArray *part = decode_all (&f, chunks[k]);
      CU_ASSERT (tokens_equal (whole, part));
      g_array_unref (part);
    }
    /* irregular splits, zero-frame calls included */
    {
      SeqCtc *ctc = seq_ctc_new (&f.params, NULL);
      GArray *part = g_array_new (FALSE, TRUE, sizeof (SeqCtcToken));
      SeqRng r;
      guint t = 0;
      seq_rng_init (&r, 5 + c);
      while (t < f.T) {
        guint n = MIN ((guint) (seq_rng_next (&r) % 9), f.T - t);
        decode_range (ctc, &f, t, t + n, 0, part);
        t += n;
      }
      finish_into (ctc, part);
      CU_ASSERT (tokens_equal (whole, part));
      g_array_unref (part);
      seq_ctc_free (ctc);
    }
    g_array_unref (whole);
    fixture_clear (&f);
  }
}

static void
ctc_save_restore_mid_token_continues_identically (void)
{
  Fixture f;
  GArray *whole;
  guint mid_token_cuts = 0;

  fixture_load (&f, "runs");
  whole = decode_all (&f, 0);
  for (guint cut = 0; cut <= f.T; cut += 7) {
    SeqCtc *a = seq_ctc_new (&f.params, NULL), *b;
    GArray *out = g_array_new (FALSE, TRUE, sizeof (SeqCtcToken));
    GBytes *blob;
    GError *err = NULL;
    SeqCtcToken pend;

    decode_range (a, &f, 0, cut, 0, out);
    if (seq_ctc_get_pending (a, &pend)) {
      mid_token_cuts++;
      CU_ASSERT_EQUAL (pend.end, (guint64) cut - 1);
    }
    blob = seq_ctc_state_save (a);
    CU_ASSERT_EQUAL (g_bytes_get_size (blob), SEQ_CTC_STATE_SIZE);
    seq_ctc_free (a);           /* a new decoder, as in a new process */
    b = seq_ctc_new (&f.params, NULL);
    CU_ASSERT_TRUE (seq_ctc_state_restore (b, blob, &err));
    CU_ASSERT_PTR_NULL (err);
    g_clear_error (&err);
    CU_ASSERT_EQUAL (seq_ctc_get_frames (b), cut);
    decode_range (b, &f, cut, f.T, 3, out);
    finish_into (b, out);
    CU_ASSERT (tokens_equal (whole, out));
    g_array_unref (out);
    g_bytes_unref (blob);
    seq_ctc_free (b);
  }
  g_printerr ("\n  %u of the cuts fell inside a token", mid_token_cuts);
  CU_ASSERT (mid_token_cuts >= 10);
  g_array_unref (whole);
  fixture_clear (&f);
}

/* A state saved after finish (EOS) mid-token and resumed: the token list is
 * the reference's (the finished token is not returned twice); only that
 * token's end and mean are cut at the finish. */
static void
ctc_resume_after_finish_does_not_repeat_the_token (void)
{
  Fixture f;
  GArray *whole;
  guint checked = 0;

  fixture_load (&f, "runs");
  whole = decode_all (&f, 0);
  for (guint cut = 1; cut < f.T; cut += 5) {
    SeqCtc *a = seq_ctc_new (&f.params, NULL), *b;
    GArray *out = g_array_new (FALSE, TRUE, sizeof (SeqCtcToken));
    GBytes *blob;
    SeqCtcToken pend;

    decode_range (a, &f, 0, cut, 0, out);
    if (!seq_ctc_get_pending (a, &pend) || pend.end == pend.start) {
      g_array_unref (out);
      seq_ctc_free (a);
      continue;
    }
    finish_into (a, out);
    CU_ASSERT_FALSE (seq_ctc_get_pending (a, NULL));
    blob = seq_ctc_state_save (a);
    b = seq_ctc_new (&f.params, NULL);
    CU_ASSERT_TRUE (seq_ctc_state_restore (b, blob, NULL));
    decode_range (b, &f, cut, f.T, 0, out);
    finish_into (b, out);
    CU_ASSERT_EQUAL_FATAL (out->len, whole->len);
    for (guint i = 0; i < out->len; i++) {
      const SeqCtcToken *x = &g_array_index (out, SeqCtcToken, i);
      const SeqCtcToken *y = &g_array_index (whole, SeqCtcToken, i);
      CU_ASSERT_EQUAL (x->label, y->label);
      CU_ASSERT_EQUAL (x->start, y->start);
      if (x->start != pend.start)
        CU_ASSERT_EQUAL (x->end, y->end);
    }
    checked++;
    g_array_unref (out);
    g_bytes_unref (blob);
    seq_ctc_free (a);
    seq_ctc_free (b);
  }
  CU_ASSERT (checked >= 10);
  g_array_unref (whole);
  fixture_clear (&f);
}

static void
ctc_reset_returns_to_frame_0 (void)
{
  Fixture f;
  GArray *whole, *again;
  SeqCtc *ctc;

  fixture_load (&f, "probs");
  whole = decode_all (&f, 0);
  ctc = seq_ctc_new (&f.params, NULL);
  again = g_array_new (FALSE, TRUE, sizeof (SeqCtcToken));
  decode_range (ctc, &f, 0, f.T / 2, 0, again);
  seq_ctc_reset (ctc);
  CU_ASSERT_EQUAL (seq_ctc_get_frames (ctc), 0);
  CU_ASSERT_FALSE (seq_ctc_get_pending (ctc, NULL));
  g_array_set_size (again, 0);
  decode_range (ctc, &f, 0, f.T, 4, again);
  finish_into (ctc, again);
  CU_ASSERT (tokens_equal (whole, again));
  /* nothing open after finish: a second finish returns nothing */
  {
    SeqCtcToken t;
    CU_ASSERT_FALSE (seq_ctc_finish (ctc, &t));
  }
  g_array_unref (again);
  g_array_unref (whole);
  seq_ctc_free (ctc);
  fixture_clear (&f);
}

static void
ctc_nonfinite_input_is_error_and_consumes_nothing (void)
{
  Fixture f;
  GArray *whole, *out;
  SeqCtc *ctc;
  SeqCtcToken tok[8];
  gsize n = 99;
  GError *err = NULL;
  float bad[5 * 11];
  GBytes *before, *after;

  fixture_load (&f, "runs");
  CU_ASSERT_EQUAL_FATAL (f.K, 11);
  whole = decode_all (&f, 0);
  ctc = seq_ctc_new (&f.params, NULL);
  out = g_array_new (FALSE, TRUE, sizeof (SeqCtcToken));
  decode_range (ctc, &f, 0, 100, 0, out);
  before = seq_ctc_state_save (ctc);

  memcpy (bad, f.post + 100 * 11, sizeof (bad));
  bad[3 * 11 + 4] = NAN;
  CU_ASSERT_FALSE (seq_ctc_feed (ctc, bad, 5, tok, &n, &err));
  CU_ASSERT_EQUAL (n, 0);
  CU_ASSERT (g_error_matches (err, SEQ_CTC_ERROR, SEQ_CTC_ERROR_INPUT));
  if (err) {
    g_printerr ("\n  (expected) %s", err->message);
    CU_ASSERT (strstr (err->message, "frame 3") != NULL);
    CU_ASSERT (strstr (err->message, "stream frame 103") != NULL);
    CU_ASSERT (strstr (err->message, "class 4") != NULL);
  }
  g_clear_error (&err);
  bad[3 * 11 + 4] = INFINITY;
  CU_ASSERT_FALSE (seq_ctc_feed (ctc, bad, 5, tok, &n, &err));
  CU_ASSERT (g_error_matches (err, SEQ_CTC_ERROR, SEQ_CTC_ERROR_INPUT));
  g_clear_error (&err);
  after = seq_ctc_state_save (ctc);
  CU_ASSERT (g_bytes_equal (before, after));

  /* the stream goes on as if the bad buffers never came */
  decode_range (ctc, &f, 100, f.T, 0, out);
  finish_into (ctc, out);
  CU_ASSERT (tokens_equal (whole, out));
  seq_ctc_free (ctc);

  /* -inf is log 0: valid log-probability input, not probability input */
  {
    SeqCtcParams p = seq_ctc_params_default ();
    float row[3] = { -INFINITY, -0.1f, -INFINITY };
    p.n_labels = 3;
    ctc = seq_ctc_new (&p, NULL);
    CU_ASSERT_TRUE (seq_ctc_feed (ctc, row, 1, tok, &n, NULL));
    CU_ASSERT (seq_ctc_get_pending (ctc, &tok[0]));
    CU_ASSERT_EQUAL (tok[0].label, 1);
    seq_ctc_free (ctc);
    p.input = SEQ_CTC_INPUT_PROBS;
    ctc = seq_ctc_new (&p, NULL);
    CU_ASSERT_FALSE (seq_ctc_feed (ctc, row, 1, tok, &n, &err));
    CU_ASSERT (g_error_matches (err, SEQ_CTC_ERROR, SEQ_CTC_ERROR_INPUT));
    g_clear_error (&err);
    seq_ctc_free (ctc);
  }
  g_bytes_unref (before);
  g_bytes_unref (after);
  g_array_unref (out);
  g_array_unref (whole);
  fixture_clear (&f);
}

static void
ctc_rejects_bad_params (void)
{
  SeqCtcParams p = seq_ctc_params_default ();
  GError *err = NULL;

  CU_ASSERT_PTR_NULL (seq_ctc_new (&p, &err));  /* n_labels 0 */
  CU_ASSERT (g_error_matches (err, SEQ_CTC_ERROR, SEQ_CTC_ERROR_CONFIG));
  g_clear_error (&err);
  p.n_labels = 11;
  p.blank = 11;
  CU_ASSERT_FALSE (seq_ctc_params_validate (&p, NULL));
  CU_ASSERT_PTR_NULL (seq_ctc_new (&p, &err));
  CU_ASSERT (g_error_matches (err, SEQ_CTC_ERROR, SEQ_CTC_ERROR_CONFIG));
  if (err) {
    g_printerr ("\n  (expected) %s", err->message);
    CU_ASSERT (strstr (err->message, "11") && strstr (err->message, "0 to 10"));
  }
  g_clear_error (&err);
  p.blank = 10;
  CU_ASSERT_TRUE (seq_ctc_params_validate (&p, NULL));
  p.input = 7;
  CU_ASSERT_PTR_NULL (seq_ctc_new (&p, &err));
  CU_ASSERT (g_error_matches (err, SEQ_CTC_ERROR, SEQ_CTC_ERROR_CONFIG));
  g_clear_error (&err);
  seq_ctc_free (NULL);
}

/* CRC-32 (zlib's) of @n bytes: the blob's checksum, recomputed here. */
static guint32
crc32_ieee (const guint8 * p, gsize n)
{
  guint32 crc = 0xffffffffu;
  for (gsize i = 0; i < n; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

/* @blob with byte @at set to @v and, when @fix_crc, the checksum fixed. */
static GBytes *
patched (GBytes * blob, gsize at, guint8 v, gboolean fix_crc)
{
  gsize n;
  guint8 *b = g_bytes_unref_to_data (g_bytes_ref (blob), &n);

  b[at] = v;
  if (fix_crc) {
    guint32 crc = GUINT32_TO_LE (crc32_ieee (b, 56));
    memcpy (b + 56, &crc, 4);
  }
  return g_bytes_new_take (b, n);
}

static void
expect_state_error (SeqCtc * ctc, GBytes * blob, const char *needle)
{
  GError *err = NULL;

  CU_ASSERT_FALSE (seq_ctc_state_restore (ctc, blob, &err));
  CU_ASSERT (g_error_matches (err, SEQ_CTC_ERROR, SEQ_CTC_ERROR_STATE));
  if (err && needle && !strstr (err->message, needle)) {
    g_printerr ("\n  \"%s\" lacks \"%s\"", err->message, needle);
    CU_FAIL ("state error does not say what is wrong");
  }
  g_clear_error (&err);
  g_bytes_unref (blob);
}

static void
ctc_state_blob_refusals (void)
{
  SeqCtcParams p = seq_ctc_params_default ();
  SeqCtc *ctc, *other;
  GBytes *blob, *b;
  float x[2 * 4] = { -1, -0.1f, -3, -3, -1, -0.2f, -3, -3 };
  SeqCtcToken tok[2];
  gsize n;

  p.n_labels = 4;
  ctc = seq_ctc_new (&p, NULL);
  CU_ASSERT_TRUE (seq_ctc_feed (ctc, x, 2, tok, &n, NULL));
  blob = seq_ctc_state_save (ctc);

  b = g_bytes_new_from_bytes (blob, 0, SEQ_CTC_STATE_SIZE - 1);
  expect_state_error (ctc, b, "not a CTC");
  expect_state_error (ctc, patched (blob, 30, 0x5a, FALSE), "corrupted");
  expect_state_error (ctc, patched (blob, 4, 2, TRUE), "version");
  /* last label 9 of 4 */
  expect_state_error (ctc, patched (blob, 20, 9, TRUE), "inconsistent");
  /* token start after the last frame */
  expect_state_error (ctc, patched (blob, 32, 5, TRUE), "inconsistent");

  p.blank = 3;
  other = seq_ctc_new (&p, NULL);
  expect_state_error (other, g_bytes_ref (blob), "other parameters");
  seq_ctc_free (other);

  /* a refused blob leaves the state alone */
  {
    GBytes *now = seq_ctc_state_save (ctc);
    CU_ASSERT (g_bytes_equal (now, blob));
    g_bytes_unref (now);
  }
  g_bytes_unref (blob);
  seq_ctc_free (ctc);
}

static gchar *
write_tmp (const char *name, const char *data, gssize len)
{
  gchar *dir = seq_test_tmpdir ();
  gchar *path = g_build_filename (dir, name, NULL);

  CU_ASSERT_TRUE (g_file_set_contents (path, data, len, NULL));
  g_free (dir);
  return path;
}

static void
expect_labels_error (const char *name, const char *data, gssize len,
    const char *needle)
{
  gchar *path = write_tmp (name, data, len);
  GError *err = NULL;
  gchar **l = seq_ctc_labels_load_file (path, &err);

  CU_ASSERT_PTR_NULL (l);
  g_strfreev (l);
  CU_ASSERT (g_error_matches (err, SEQ_CTC_ERROR, SEQ_CTC_ERROR_LABELS));
  if (err && !strstr (err->message, needle))
    CU_FAIL ("labels error does not say what is wrong");
  g_clear_error (&err);
  g_unlink (path);
  g_free (path);
}

static void
ctc_labels_file_lines_and_errors (void)
{
  gchar *path = write_tmp ("l1.txt", "<blank>\r\nzero\n\nd\xc3\xa9ux", -1);
  GError *err = NULL;
  gchar **l = seq_ctc_labels_load_file (path, &err);

  CU_ASSERT_PTR_NOT_NULL_FATAL (l);
  CU_ASSERT_EQUAL (g_strv_length (l), 4);
  CU_ASSERT_STRING_EQUAL (l[0], "<blank>");
  CU_ASSERT_STRING_EQUAL (l[1], "zero");
  CU_ASSERT_STRING_EQUAL (l[2], "");
  CU_ASSERT_STRING_EQUAL (l[3], "d\xc3\xa9ux");
  g_strfreev (l);
  g_free (path);

  path = write_tmp ("l2.txt", "a\nb\n", -1);    /* final newline optional */
  l = seq_ctc_labels_load_file (path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (l);
  CU_ASSERT_EQUAL (g_strv_length (l), 2);
  g_strfreev (l);
  g_free (path);

  expect_labels_error ("l3.txt", "a\nb\xff\n", -1, "line 2");
  expect_labels_error ("l4.txt", "", 0, "empty");
  expect_labels_error ("l5.txt", "a\0b\n", 4, "NUL");
  CU_ASSERT_PTR_NULL (seq_ctc_labels_load_file ("/nonexistent/labels.txt",
          &err));
  CU_ASSERT (g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT));
  g_clear_error (&err);
}

/* A safetensors file in memory with one tiny tensor and @metadata (JSON
 * object members, already escaped). */
static SeqWeights *
with_metadata (const char *metadata)
{
  gchar *hdr = g_strdup_printf ("{\"__metadata__\":{%s},\"x\":{\"dtype\":"
      "\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", metadata);
  gsize hl = strlen (hdr);
  guint8 *b = g_malloc0 (8 + hl + 4);
  guint64 le = GUINT64_TO_LE ((guint64) hl);
  SeqWeights *w;

  memcpy (b, &le, 8);
  memcpy (b + 8, hdr, hl);
  w = seq_weights_new_from_bytes (g_bytes_new_take (b, 8 + hl + 4), NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  g_free (hdr);
  return w;
}

static void
expect_metadata_error (const char *metadata, const char *needle)
{
  SeqWeights *w = with_metadata (metadata);
  GError *err = NULL;
  gint64 blank;
  gchar **l = seq_ctc_labels_from_weights (w, &blank, &err);

  CU_ASSERT_PTR_NULL (l);
  g_strfreev (l);
  CU_ASSERT (g_error_matches (err, SEQ_CTC_ERROR, SEQ_CTC_ERROR_LABELS));
  if (err && !strstr (err->message, needle)) {
    g_printerr ("\n  \"%s\" lacks \"%s\"", err->message, needle);
    CU_FAIL ("metadata error does not say what is wrong");
  }
  g_clear_error (&err);
  seq_weights_unref (w);
}

static void
ctc_labels_from_metadata_and_errors (void)
{
  Fixture f;
  gint64 blank = -5;
  gchar **l;
  SeqWeights *w;

  fixture_load (&f, "ties");
  l = seq_ctc_labels_from_weights (f.w, &blank, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (l);
  CU_ASSERT_EQUAL (g_strv_length (l), f.K);
  CU_ASSERT_STRING_EQUAL (l[0], "_");
  CU_ASSERT_STRING_EQUAL (l[4], "\xc3\xa9");
  CU_ASSERT_EQUAL (blank, 0);
  g_strfreev (l);
  fixture_clear (&f);

  /* no "blank": -1 */
  w = with_metadata ("\"labels\":\"[\\\"a\\\",\\\"b\\\"]\"");
  l = seq_ctc_labels_from_weights (w, &blank, NULL);
  CU_ASSERT_PTR_NOT_NULL (l);
  CU_ASSERT_EQUAL (blank, -1);
  g_strfreev (l);
  seq_weights_unref (w);

  expect_metadata_error ("\"blank\":\"0\"", "no \"labels\"");
  expect_metadata_error ("\"labels\":\"[\\\"a\\\",\"", "not JSON");
  expect_metadata_error ("\"labels\":\"{}\"", "array");
  expect_metadata_error ("\"labels\":\"[]\"", "0 entries");
  expect_metadata_error ("\"labels\":\"[\\\"a\\\",3]\"", "entry 1");
  expect_metadata_error ("\"labels\":\"[\\\"a\\\"]\",\"blank\":\"x1\"",
      "x1");
}

int
main (void)
{
  static const SeqTestCase tests[] = {
    {"ctc_matches_torch_greedy_reference",
        ctc_matches_torch_greedy_reference},
    {"ctc_any_chunking_gives_identical_tokens",
        ctc_any_chunking_gives_identical_tokens},
    {"ctc_save_restore_mid_token_continues_identically",
        ctc_save_restore_mid_token_continues_identically},
    {"ctc_resume_after_finish_does_not_repeat_the_token",
        ctc_resume_after_finish_does_not_repeat_the_token},
    {"ctc_reset_returns_to_frame_0", ctc_reset_returns_to_frame_0},
    {"ctc_nonfinite_input_is_error_and_consumes_nothing",
        ctc_nonfinite_input_is_error_and_consumes_nothing},
    {"ctc_rejects_bad_params", ctc_rejects_bad_params},
    {"ctc_state_blob_refusals", ctc_state_blob_refusals},
    {"ctc_labels_file_lines_and_errors", ctc_labels_file_lines_and_errors},
    {"ctc_labels_from_metadata_and_errors",
        ctc_labels_from_metadata_and_errors},
    {NULL, NULL}
  };

  return seq_test_run ("ctc", tests);
}
