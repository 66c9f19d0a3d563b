/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — linear head: parity with PyTorch nn.Linear + softmax /
 * log_softmax / sigmoid (fixtures from tests/gen_head_ctc_fixtures.py),
 * bitwise chunking invariance, prefix detection, bad weights, NaN. */
#include "seqtest.h"

#include <seqenc/seqenc.h>
#include <float.h>
#include <math.h>
#include <string.h>

/* Bounds are relative to the scale of the logits of a case, s = 1 + max|z|
 * (an absolute error on z carries over to log-softmax unchanged, and
 * softmax and sigmoid have derivatives below 1).
 *
 * vs the float64 reference rounded once to f32: seq_head sums in double
 * (products exact, error ~2^-53 relative), rounds the logit to f32 (0.5 ulp
 * of |z|), computes the activation in double and rounds once more (0.5 ulp
 * of |y| <= ulp of s). So at most ~1.5 ulp of s; the bound is 4 ulp. */
#define HEAD_F64_ULPS 4.0
/* vs PyTorch's f32 output: torch sums the H products in f32 (MKL/OpenBLAS
 * order), an error that grows like sqrt(H) ulp of the largest partial sum
 * for random signs and up to H ulp in the worst case; its softmax also runs
 * in f32. H <= 257 in the fixtures: the worst case is 257 ulp of s; measured
 * maxima are printed by the test (1.3 ulp); the bound is 64 ulp. */
#define HEAD_TORCH_ULPS 64.0

static const char *const act_names[] = { "none", "softmax", "log_softmax",
  "sigmoid"
};
static const SeqHeadActivation acts[] = { SEQ_HEAD_ACTIVATION_NONE,
  SEQ_HEAD_ACTIVATION_SOFTMAX, SEQ_HEAD_ACTIVATION_LOG_SOFTMAX,
  SEQ_HEAD_ACTIVATION_SIGMOID
};

static const char *const cases[] = { "basic", "nobias", "wide", "bf16" };

static float *
tensor_f32 (SeqWeights * w, const char *name, gsize * n)
{
  const SeqTensorInfo *t = seq_weights_find (w, name);
  float *buf;

  CU_ASSERT_PTR_NOT_NULL_FATAL (t);
  buf = g_new (float, t->n_elements);
  CU_ASSERT_TRUE_FATAL (seq_tensor_to_f32 (t, buf, t->n_elements, NULL));
  if (n)
    *n = t->n_elements;
  return buf;
}

static SeqWeights *
open_fixture (const char *name)
{
  gchar *file = g_strdup_printf ("head_%s.safetensors", name);
  gchar *path = seq_test_data_path (file);
  GError *err = NULL;
  SeqWeights *w = seq_weights_open (path, &err);

  if (err)
    g_printerr ("\n  %s\n", err->message);
  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  g_free (path);
  g_free (file);
  return w;
}

static void
head_matches_torch_linear_and_activations (void)
{
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    SeqWeights *w = open_fixture (cases[c]);
    GError *err = NULL;
    SeqHead *head = seq_head_new_from_weights (w, NULL, &err);
    gsize nx, nz;
    float *x, *z, *y;
    guint H, K, T;
    double s = 1.0;

    if (err)
      g_printerr ("\n  %s: %s\n", cases[c], err->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL (head);
    CU_ASSERT_STRING_EQUAL (seq_head_get_prefix (head),
        seq_weights_get_metadata (w, "prefix"));
    CU_ASSERT_EQUAL (seq_head_has_bias (head),
        g_str_equal (seq_weights_get_metadata (w, "bias"), "1"));
    H = seq_head_in_size (head);
    K = seq_head_out_size (head);
    x = tensor_f32 (w, "test.input", &nx);
    z = tensor_f32 (w, "test.none_f64", &nz);
    T = (guint) (nx / H);
    CU_ASSERT_EQUAL_FATAL ((gsize) T * H, nx);
    CU_ASSERT_EQUAL_FATAL ((gsize) T * K, nz);
    for (gsize i = 0; i < nz; i++)
      s = MAX (s, 1.0 + fabs (z[i]));
    y = g_new (float, nz);

    for (guint a = 0; a < G_N_ELEMENTS (acts); a++) {
      gchar *n_t = g_strdup_printf ("test.%s", act_names[a]);
      gchar *n_64 = g_strdup_printf ("test.%s_f64", act_names[a]);
      float *want = tensor_f32 (w, n_t, NULL);
      float *want64 = tensor_f32 (w, n_64, NULL);
      double d_t, d_64;

      seq_head_forward (head, acts[a], x, y, T);
      d_t = seq_test_max_abs_diff (y, want, nz);
      d_64 = seq_test_max_abs_diff (y, want64, nz);
      g_printerr ("\n  %s %s (H %u, K %u, scale %.1f): vs torch %.2f ulp, "
          "vs f64 %.2f ulp", cases[c], act_names[a], H, K, s,
          d_t / (s * FLT_EPSILON), d_64 / (s * FLT_EPSILON));
      CU_ASSERT (d_t <= HEAD_TORCH_ULPS * FLT_EPSILON * s);
      CU_ASSERT (d_64 <= HEAD_F64_ULPS * FLT_EPSILON * s);
      g_free (want);
      g_free (want64);
      g_free (n_t);
      g_free (n_64);
    }
    g_free (y);
    g_free (x);
    g_free (z);
    seq_head_unref (head);
    seq_weights_unref (w);
  }
}

static void
head_any_chunking_is_bitwise_identical (void)
{
  static const guint splits[] = { 1, 2, 3, 7 };
  SeqWeights *w = open_fixture ("wide");
  SeqHead *head = seq_head_new_from_weights (w, "model.ctc_head.", NULL);
  guint H, K, T;
  gsize nx;
  float *x, *all, *part;

  CU_ASSERT_PTR_NOT_NULL_FATAL (head);
  H = seq_head_in_size (head);
  K = seq_head_out_size (head);
  x = tensor_f32 (w, "test.input", &nx);
  T = (guint) (nx / H);
  all = g_new (float, (gsize) T * K);
  part = g_new (float, (gsize) T * K);
  for (guint a = 0; a < G_N_ELEMENTS (acts); a++) {
    seq_head_forward (head, acts[a], x, all, T);
    for (guint s = 0; s < G_N_ELEMENTS (splits); s++) {
      memset (part, 0xff, sizeof (float) * T * K);
      for (guint t = 0; t < T; t += splits[s]) {
        guint n = MIN (splits[s], T - t);
        seq_head_forward (head, acts[a], x + (gsize) t * H,
            part + (gsize) t * K, n);
      }
      CU_ASSERT (memcmp (all, part, sizeof (float) * T * K) == 0);
    }
  }
  /* zero frames: nothing written */
  seq_head_forward (head, SEQ_HEAD_ACTIVATION_NONE, NULL, NULL, 0);
  g_free (all);
  g_free (part);
  g_free (x);
  seq_head_unref (head);
  seq_weights_unref (w);
}

static void
expect_weights_error (SeqWeights * w, const char *prefix, const char *needle1,
    const char *needle2)
{
  GError *err = NULL;
  SeqHead *head = seq_head_new_from_weights (w, prefix, &err);

  CU_ASSERT_PTR_NULL (head);
  seq_head_unref (head);
  CU_ASSERT_PTR_NOT_NULL_FATAL (err);
  if (needle1 && !strstr (err->message, needle1))
    CU_FAIL ("error message lacks the first name");
  if (needle2 && !strstr (err->message, needle2))
    CU_FAIL ("error message lacks the second name");
  g_printerr ("\n  (expected) %s", err->message);
  g_error_free (err);
}

static void
head_prefix_detection_skips_lstm_and_refuses_ambiguity (void)
{
  SeqWeights *basic = open_fixture ("basic");
  SeqWeights *amb = open_fixture ("ambiguous");
  SeqHead *head;

  /* basic: "lstm.weight_ih_l0" is rank 2 but not a "...weight" name */
  head = seq_head_new_from_weights (basic, "", NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (head);
  CU_ASSERT_STRING_EQUAL (seq_head_get_prefix (head), "head.");
  CU_ASSERT_EQUAL (seq_head_in_size (head), 37);
  CU_ASSERT_EQUAL (seq_head_out_size (head), 11);
  seq_head_unref (head);
  expect_weights_error (basic, "nothere.", "nothere.weight", NULL);

  /* two candidates: the error names both; the prefix decides */
  expect_weights_error (amb, NULL, "embed.weight", "head.weight");
  head = seq_head_new_from_weights (amb, "head.", NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (head);
  CU_ASSERT_EQUAL (seq_head_in_size (head), 4);
  CU_ASSERT_EQUAL (seq_head_out_size (head), 3);
  CU_ASSERT (seq_head_has_bias (head));
  seq_head_unref (head);
  /* embed.weight is a matrix too, without a bias: usable as a head */
  head = seq_head_new_from_weights (amb, "embed.", NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (head);
  CU_ASSERT_FALSE (seq_head_has_bias (head));
  seq_head_unref (head);

  seq_weights_unref (basic);
  seq_weights_unref (amb);
}

/* A safetensors file in memory: @header JSON, @data_len zero bytes. */
static SeqWeights *
memory_file (const char *header, gsize data_len)
{
  gsize hl = strlen (header);
  guint8 *b = g_malloc0 (8 + hl + data_len);
  GError *err = NULL;
  SeqWeights *w;
  guint64 le = GUINT64_TO_LE ((guint64) hl);

  memcpy (b, &le, 8);
  memcpy (b + 8, header, hl);
  w = seq_weights_new_from_bytes (g_bytes_new_take (b, 8 + hl + data_len),
      &err);
  if (err)
    g_printerr ("\n  %s\n", err->message);
  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  return w;
}

static void
head_bad_weights_are_errors (void)
{
  SeqWeights *w;

  /* no candidate at all */
  w = memory_file ("{\"x.weight\":{\"dtype\":\"F32\",\"shape\":[4],"
      "\"data_offsets\":[0,16]}}", 16);
  expect_weights_error (w, NULL, "no linear head", NULL);
  /* named but rank 1 */
  expect_weights_error (w, "x.", "x.weight", "rank 1");
  seq_weights_unref (w);

  /* bias of the wrong length */
  w = memory_file ("{\"h.weight\":{\"dtype\":\"F32\",\"shape\":[3,2],"
      "\"data_offsets\":[0,24]},\"h.bias\":{\"dtype\":\"F32\",\"shape\":[2],"
      "\"data_offsets\":[24,32]}}", 32);
  expect_weights_error (w, NULL, "h.bias", "[3]");
  seq_weights_unref (w);

  /* integer weights */
  w = memory_file ("{\"h.weight\":{\"dtype\":\"I32\",\"shape\":[3,2],"
      "\"data_offsets\":[0,24]}}", 24);
  expect_weights_error (w, NULL, "h.weight", NULL);
  seq_weights_unref (w);

  /* empty matrix */
  w = memory_file ("{\"h.weight\":{\"dtype\":\"F32\",\"shape\":[0,2],"
      "\"data_offsets\":[0,0]}}", 0);
  expect_weights_error (w, NULL, "h.weight", NULL);
  seq_weights_unref (w);

  /* missing file */
  {
    GError *err = NULL;
    CU_ASSERT_PTR_NULL (seq_head_new_from_file ("/nonexistent/h.safetensors",
            NULL, &err));
    CU_ASSERT (g_error_matches (err, SEQ_WEIGHTS_ERROR, SEQ_WEIGHTS_ERROR_IO));
    g_clear_error (&err);
  }
}

static void
head_builtin_is_seeded_and_in_linear_bounds (void)
{
  SeqHeadParams p = seq_head_params_default ();
  SeqHead *a, *b, *c;
  GError *err = NULL;
  float x[2 * 9], ya[2 * 5], yb[2 * 5], yc[2 * 5];

  p.in_size = 9;
  p.out_size = 5;
  p.seed = 42;
  a = seq_head_new_random (&p, NULL);
  b = seq_head_new_random (&p, NULL);
  p.seed = 43;
  c = seq_head_new_random (&p, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (a);
  CU_ASSERT_PTR_NOT_NULL_FATAL (b);
  CU_ASSERT_PTR_NOT_NULL_FATAL (c);
  for (guint i = 0; i < G_N_ELEMENTS (x); i++)
    x[i] = (float) i * 0.25f - 2.0f;
  seq_head_forward (a, SEQ_HEAD_ACTIVATION_NONE, x, ya, 2);
  seq_head_forward (b, SEQ_HEAD_ACTIVATION_NONE, x, yb, 2);
  seq_head_forward (c, SEQ_HEAD_ACTIVATION_NONE, x, yc, 2);
  CU_ASSERT (memcmp (ya, yb, sizeof (ya)) == 0);
  CU_ASSERT (memcmp (ya, yc, sizeof (ya)) != 0);
  /* a one-hot input reads one weight column plus the bias: each is in
   * U(-1/sqrt(9), 1/sqrt(9)), so their sum is within 2/3 */
  memset (x, 0, sizeof (x));
  x[4] = 1.0f;
  seq_head_forward (a, SEQ_HEAD_ACTIVATION_NONE, x, ya, 1);
  for (guint k = 0; k < 5; k++)
    CU_ASSERT (fabsf (ya[k]) <= 2.0f / 3.0f);
  seq_head_unref (a);
  seq_head_unref (b);
  seq_head_unref (c);

  CU_ASSERT_TRUE (seq_head_params_validate (&p, NULL));
  p.in_size = 0;
  CU_ASSERT_FALSE (seq_head_params_validate (&p, NULL));
  CU_ASSERT_PTR_NULL (seq_head_new_random (&p, &err));
  CU_ASSERT (g_error_matches (err, SEQ_HEAD_ERROR, SEQ_HEAD_ERROR_CONFIG));
  g_clear_error (&err);
  p.in_size = 4;
  p.out_size = SEQ_HEAD_MAX_SIZE + 1;
  CU_ASSERT_PTR_NULL (seq_head_new_random (&p, &err));
  CU_ASSERT (g_error_matches (err, SEQ_HEAD_ERROR, SEQ_HEAD_ERROR_CONFIG));
  g_clear_error (&err);
  seq_head_unref (NULL);
}

static void
head_softmax_is_stable_for_huge_logits (void)
{
  SeqHeadParams p = seq_head_params_default ();
  SeqHead *head;
  enum { H = 16, K = 7 };
  float x[H], y[K];

  p.in_size = H;
  p.out_size = K;
  head = seq_head_new_random (&p, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (head);
  /* logits of order 1e4: exp overflows f32 and double without the max
   * subtraction */
  for (guint j = 0; j < H; j++)
    x[j] = (j % 2 ? 1e5f : -1e5f) * (float) (j + 1);
  seq_head_forward (head, SEQ_HEAD_ACTIVATION_NONE, x, y, 1);
  {
    float m = 0.0f;
    for (guint k = 0; k < K; k++)
      m = MAX (m, fabsf (y[k]));
    CU_ASSERT (m > 1000.0f);
  }
  seq_head_forward (head, SEQ_HEAD_ACTIVATION_SOFTMAX, x, y, 1);
  {
    double sum = 0.0;
    for (guint k = 0; k < K; k++) {
      CU_ASSERT (isfinite (y[k]) && y[k] >= 0.0f && y[k] <= 1.0f);
      sum += y[k];
    }
    CU_ASSERT (fabs (sum - 1.0) <= K * FLT_EPSILON);
  }
  seq_head_forward (head, SEQ_HEAD_ACTIVATION_LOG_SOFTMAX, x, y, 1);
  {
    gboolean has_zero = FALSE;
    for (guint k = 0; k < K; k++) {
      CU_ASSERT (isfinite (y[k]) && y[k] <= 0.0f);
      has_zero |= y[k] == 0.0f;
    }
    CU_ASSERT (has_zero);       /* the max class: log 1 */
  }
  seq_head_forward (head, SEQ_HEAD_ACTIVATION_SIGMOID, x, y, 1);
  for (guint k = 0; k < K; k++)
    CU_ASSERT (y[k] == 0.0f || y[k] == 1.0f);
  seq_head_unref (head);
}

static void
head_nan_input_propagates_without_crash (void)
{
  SeqHeadParams p = seq_head_params_default ();
  SeqHead *head;
  enum { H = 5, K = 4 };
  float x[2 * H], y[2 * K];

  p.in_size = H;
  p.out_size = K;
  head = seq_head_new_random (&p, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (head);
  for (guint j = 0; j < 2 * H; j++)
    x[j] = 0.1f * (float) j;
  x[2] = NAN;                   /* frame 0 only */
  for (guint a = 0; a < G_N_ELEMENTS (acts); a++) {
    seq_head_forward (head, acts[a], x, y, 2);
    for (guint k = 0; k < K; k++) {
      CU_ASSERT (isnan (y[k]));
      CU_ASSERT (isfinite (y[K + k]));  /* frame 1 is untouched */
    }
  }
  x[2] = INFINITY;
  seq_head_forward (head, SEQ_HEAD_ACTIVATION_LOG_SOFTMAX, x, y, 2);
  for (guint k = 0; k < K; k++)
    CU_ASSERT (!isfinite (y[k]));
  seq_head_unref (head);
}

int
main (void)
{
  static const SeqTestCase tests[] = {
    {"head_matches_torch_linear_and_activations",
        head_matches_torch_linear_and_activations},
    {"head_any_chunking_is_bitwise_identical",
        head_any_chunking_is_bitwise_identical},
    {"head_prefix_detection_skips_lstm_and_refuses_ambiguity",
        head_prefix_detection_skips_lstm_and_refuses_ambiguity},
    {"head_bad_weights_are_errors", head_bad_weights_are_errors},
    {"head_builtin_is_seeded_and_in_linear_bounds",
        head_builtin_is_seeded_and_in_linear_bounds},
    {"head_softmax_is_stable_for_huge_logits",
        head_softmax_is_stable_for_huge_logits},
    {"head_nan_input_propagates_without_crash",
        head_nan_input_propagates_without_crash},
    {NULL, NULL}
  };

  return seq_test_run ("head", tests);
}
