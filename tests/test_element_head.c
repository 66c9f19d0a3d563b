/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — seqhead through GstHarness: the library's output (and so
 * PyTorch's, see test_head.c) for any buffer split, caps, the built-in head,
 * and the errors: width mismatch, missing or ambiguous model. */
#include "seqtest-gst.h"

#include <seqenc/head.h>
#include <seqenc/weights.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>

/* vs torch's log_softmax in tests/data/head_basic: the element runs the
 * library, whose bound against torch is test_head.c's HEAD_TORCH_ULPS (64
 * ulp of 1 + max|z|, max|z| about 2 here): 64 * 3 * FLT_EPSILON. */
#define HEAD_TORCH_TOL (64.0 * 3.0 * FLT_EPSILON)

static gchar *
fixture_path (void)
{
  return seq_test_data_path ("head_basic.safetensors");
}

static float *
fixture_tensor (const char *name, gsize * n)
{
  gchar *path = fixture_path ();
  SeqWeights *w = seq_weights_open (path, NULL);
  const SeqTensorInfo *t;
  float *v;

  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  t = seq_weights_find (w, name);
  CU_ASSERT_PTR_NOT_NULL_FATAL (t);
  v = g_new (float, t->n_elements);
  CU_ASSERT_TRUE_FATAL (seq_tensor_to_f32 (t, v, t->n_elements, NULL));
  *n = t->n_elements;
  seq_weights_unref (w);
  g_free (path);
  return v;
}

static GstHarness *
head_harness (const char *props, const char *caps)
{
  gchar *launch = g_strdup_printf ("seqhead %s", props ? props : "");
  GstHarness *h = seq_test_harness (launch);

  gst_harness_set_src_caps_str (h, caps);
  g_free (launch);
  return h;
}

/* Pushes @T frames of width @D in buffers of @chunk frames; returns all
 * output values (width @K). */
static float *
run (GstHarness * h, gboolean flexible, const float *in, guint T, guint D,
    guint chunk, guint K)
{
  float *all = g_new (float, (gsize) T * K);

  for (guint t = 0; t < T; t += chunk) {
    guint n = MIN (chunk, T - t);
    GstBuffer *out;
    gsize nv;
    float *v;
    CU_ASSERT_EQUAL_FATAL (gst_harness_push (h,
            seq_test_tensor_buffer (flexible, GST_SEQ_TENSOR_TYPE_FLOAT32, D, n,
                in + (gsize) t * D)), GST_FLOW_OK);
    out = gst_harness_try_pull (h);
    CU_ASSERT_PTR_NOT_NULL_FATAL (out);
    v = seq_test_buffer_values (out, flexible, &nv);
    CU_ASSERT_EQUAL_FATAL (nv, (gsize) n * K);
    memcpy (all + (gsize) t * K, v, nv * sizeof (float));
    g_free (v);
    gst_buffer_unref (out);
  }
  return all;
}

static void
element_head_output_is_the_librarys_for_any_split (void)
{
  gchar *path = fixture_path ();
  gchar *props = g_strdup_printf ("model=\"%s\" activation=log-softmax", path);
  gsize nx, nw;
  float *x = fixture_tensor ("test.input", &nx);
  float *torch = fixture_tensor ("test.log_softmax", &nw);
  const guint H = 37, K = 11, T = (guint) (nx / 37);
  SeqHead *lib = seq_head_new_from_file (path, NULL, NULL);
  float *want = g_new (float, (gsize) T * K);
  static const guint chunks[] = { 1, 4, 23 };

  CU_ASSERT_EQUAL_FATAL ((gsize) T * K, nw);
  CU_ASSERT_PTR_NOT_NULL_FATAL (lib);
  seq_head_forward (lib, SEQ_HEAD_ACTIVATION_LOG_SOFTMAX, x, want, T);
  CU_ASSERT (seq_test_max_abs_diff (want, torch, nw) <= HEAD_TORCH_TOL);

  for (int flexible = 0; flexible < 2; flexible++) {
    for (guint c = 0; c < G_N_ELEMENTS (chunks); c++) {
      gchar *caps = seq_test_caps (flexible ? "flexible" : "static",
          "float32", H, chunks[c], 100);
      GstHarness *h = head_harness (props, caps);
      float *got;

      /* static caps need every buffer of chunk frames: T = 23 splits
       * evenly by 1 and 23; 4 only in flexible */
      if (!flexible && T % chunks[c] != 0) {
        gst_harness_teardown (h);
        g_free (caps);
        continue;
      }
      got = run (h, flexible, x, T, H, chunks[c], K);
      CU_ASSERT (memcmp (got, want, sizeof (float) * T * K) == 0);
      if (!flexible) {
        GstCaps *oc = gst_pad_get_current_caps (h->sinkpad);
        gchar *dims = g_strdup_printf ("%u:%u", K, chunks[c]);
        CU_ASSERT_STRING_EQUAL (gst_structure_get_string
            (gst_caps_get_structure (oc, 0), "dimensions"), dims);
        g_free (dims);
        gst_caps_unref (oc);
      }
      g_free (got);
      g_free (caps);
      gst_harness_teardown (h);
    }
  }
  seq_head_unref (lib);
  g_free (want);
  g_free (x);
  g_free (torch);
  g_free (props);
  g_free (path);
}

static void
element_head_builtin_uses_out_size_seed_and_caps_width (void)
{
  const guint D = 8, K = 5, T = 6;
  gchar *caps = seq_test_caps ("flexible", "float32", D, 0, 50);
  GstHarness *h = head_harness ("out-size=5 seed=3 activation=softmax", caps);
  SeqHeadParams p = seq_head_params_default ();
  SeqHead *lib;
  float in[6 * 8], want[6 * 5], *got;

  for (guint i = 0; i < G_N_ELEMENTS (in); i++)
    in[i] = sinf ((float) i);
  p.in_size = D;
  p.out_size = K;
  p.seed = 3;
  lib = seq_head_new_random (&p, NULL);
  seq_head_forward (lib, SEQ_HEAD_ACTIVATION_SOFTMAX, in, want, T);
  got = run (h, TRUE, in, T, D, 2, K);
  CU_ASSERT (memcmp (got, want, sizeof (want)) == 0);
  g_free (got);
  seq_head_unref (lib);
  gst_harness_teardown (h);
  g_free (caps);
}

static void
element_head_keeps_timestamps_and_passes_nan (void)
{
  gchar *caps = seq_test_caps ("static", "float32", 4, 2, 100);
  GstHarness *h = head_harness ("out-size=3 activation=log-softmax", caps);
  float in[2 * 4] = { 0.5f, NAN, 1, 2, 3, 4, 5, 6 };
  GstBuffer *buf = seq_test_tensor_buffer (FALSE, GST_SEQ_TENSOR_TYPE_FLOAT32, 4,
      2, in), *out;
  float *v;
  gsize n;

  GST_BUFFER_PTS (buf) = 3 * GST_SECOND;
  GST_BUFFER_DURATION (buf) = 20 * GST_MSECOND;
  GST_BUFFER_OFFSET (buf) = 300;
  GST_BUFFER_OFFSET_END (buf) = 302;
  CU_ASSERT_EQUAL (gst_harness_push (h, buf), GST_FLOW_OK);
  out = gst_harness_try_pull (h);
  CU_ASSERT_PTR_NOT_NULL_FATAL (out);
  CU_ASSERT_EQUAL (GST_BUFFER_PTS (out), 3 * GST_SECOND);
  CU_ASSERT_EQUAL (GST_BUFFER_DURATION (out), 20 * GST_MSECOND);
  CU_ASSERT_EQUAL (GST_BUFFER_OFFSET (out), 300);
  CU_ASSERT_EQUAL (GST_BUFFER_OFFSET_END (out), 302);
  v = seq_test_buffer_values (out, FALSE, &n);
  CU_ASSERT_EQUAL (n, 6);
  for (guint k = 0; k < 3; k++) {
    CU_ASSERT (isnan (v[k]));   /* frame 0 had a NaN */
    CU_ASSERT (isfinite (v[3 + k]) && v[3 + k] <= 0.0f);
  }
  g_free (v);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (caps);
}

static void
element_head_width_mismatch_names_both_widths (void)
{
  gchar *path = fixture_path ();
  gchar *props = g_strdup_printf ("model=\"%s\"", path);
  float in[40 * 2] = { 0 };

  for (int flexible = 0; flexible < 2; flexible++) {
    gchar *caps = seq_test_caps (flexible ? "flexible" : "static", "float32",
        40, 2, 100);
    GstHarness *h = head_harness (props, caps);
    GstMessage *msg;
    GError *err = NULL;
    gchar *dbg = NULL;

    CU_ASSERT_NOT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (flexible,
                GST_SEQ_TENSOR_TYPE_FLOAT32, 40, 2, in)), GST_FLOW_OK);
    msg = seq_test_pop_error (h);
    CU_ASSERT_PTR_NOT_NULL_FATAL (msg);
    gst_message_parse_error (msg, &err, &dbg);
    CU_ASSERT (g_error_matches (err, GST_CORE_ERROR,
            GST_CORE_ERROR_NEGOTIATION));
    g_printerr ("\n  (expected) %s | %s", err->message, dbg);
    CU_ASSERT (strstr (err->message, "40") && strstr (err->message, "37"));
    CU_ASSERT (strstr (err->message, "seqhead") != NULL);
    g_clear_error (&err);
    g_free (dbg);
    gst_message_unref (msg);
    gst_harness_teardown (h);
    g_free (caps);
  }
  g_free (props);
  g_free (path);
}

/* A seqhead with properties (name, value string pairs) driven NULL -> READY
 * (which must fail): the error posted, or NULL. */
static GstMessage *
ready_error (const char *first, ...)
{
  GstElement *e = gst_element_factory_make ("seqhead", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  va_list ap;

  gst_element_set_bus (e, bus);
  va_start (ap, first);
  for (const char *name = first; name != NULL; name = va_arg (ap, const char *))
    gst_util_set_object_arg (G_OBJECT (e), name, va_arg (ap, const char *));
  va_end (ap);
  CU_ASSERT_EQUAL (gst_element_set_state (e, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  return msg;
}

static void
check_error (GstMessage * msg, GQuark domain, gint code, const char *needle)
{
  GError *err = NULL;
  gchar *dbg = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (msg);
  gst_message_parse_error (msg, &err, &dbg);
  CU_ASSERT (g_error_matches (err, domain, code));
  g_printerr ("\n  (expected) %s | %s", err->message, dbg ? dbg : "");
  if (needle && !strstr (err->message, needle) && !(dbg
          && strstr (dbg, needle)))
    CU_FAIL ("error does not say what is wrong");
  g_clear_error (&err);
  g_free (dbg);
  gst_message_unref (msg);
}

static void
element_head_bad_models_are_errors_at_ready (void)
{
  gchar *amb = seq_test_data_path ("head_ambiguous.safetensors");
  gchar *lstm = seq_test_data_path ("lstm_basic.safetensors");
  GstElement *e;

  check_error (ready_error ("model", "/nonexistent/head.safetensors", NULL),
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND, "nonexistent");
  check_error (ready_error ("model", amb, NULL), GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_READ, "embed.weight");
  /* an LSTM file has no nn.Linear head */
  check_error (ready_error ("model", lstm, NULL), GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_READ, "no linear head");
  check_error (ready_error ("model", amb, "model-prefix", "nope.", NULL),
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, "nope.weight");

  check_error (ready_error ("out-size", "0", NULL), GST_LIBRARY_ERROR,
      GST_LIBRARY_ERROR_SETTINGS, "out-size=0 is out of range");

  /* the prefix resolves the ambiguity */
  e = gst_element_factory_make ("seqhead", NULL);
  g_object_set (e, "model", amb, "model-prefix", "head.", NULL);
  CU_ASSERT_EQUAL (gst_element_set_state (e, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_object_unref (e);
  g_free (amb);
  g_free (lstm);
}

/* model, model-prefix, out-size and seed take effect at READY: refused
 * while playing; activation may change (from the next buffer on). */
static void
element_head_ready_only_properties_refused_while_playing (void)
{
  gchar *caps = seq_test_caps ("static", "float32", 4, 1, 100);
  GstHarness *h = head_harness ("out-size=3", caps);
  GstElement *e = gst_harness_find_element (h, "seqhead");
  float in[4] = { 1, 2, 3, 4 }, *v;
  guint k;
  gchar *model;
  gint act;
  GstBuffer *out;
  gsize n;

  CU_ASSERT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (FALSE,
              GST_SEQ_TENSOR_TYPE_FLOAT32, 4, 1, in)), GST_FLOW_OK);
  out = gst_harness_try_pull (h);
  gst_clear_buffer (&out);
  g_object_set (e, "out-size", 7, "model", "x.safetensors", NULL);
  g_object_get (e, "out-size", &k, "model", &model, NULL);
  CU_ASSERT_EQUAL (k, 3);
  CU_ASSERT_PTR_NULL (model);
  g_free (model);
  gst_util_set_object_arg (G_OBJECT (e), "activation", "softmax");
  g_object_get (e, "activation", &act, NULL);
  CU_ASSERT_EQUAL (act, SEQ_HEAD_ACTIVATION_SOFTMAX);
  CU_ASSERT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (FALSE,
              GST_SEQ_TENSOR_TYPE_FLOAT32, 4, 1, in)), GST_FLOW_OK);
  out = gst_harness_try_pull (h);
  CU_ASSERT_PTR_NOT_NULL_FATAL (out);
  v = seq_test_buffer_values (out, FALSE, &n);
  CU_ASSERT_EQUAL (n, 3);
  CU_ASSERT (fabsf (v[0] + v[1] + v[2] - 1.0f) < 1e-6f);
  g_free (v);
  gst_buffer_unref (out);
  gst_object_unref (e);
  gst_harness_teardown (h);
  g_free (caps);
}

int
main (void)
{
  static const SeqTestCase cases[] = {
    {"element_head_output_is_the_librarys_for_any_split",
        element_head_output_is_the_librarys_for_any_split},
    {"element_head_builtin_uses_out_size_seed_and_caps_width",
        element_head_builtin_uses_out_size_seed_and_caps_width},
    {"element_head_keeps_timestamps_and_passes_nan",
        element_head_keeps_timestamps_and_passes_nan},
    {"element_head_width_mismatch_names_both_widths",
        element_head_width_mismatch_names_both_widths},
    {"element_head_bad_models_are_errors_at_ready",
        element_head_bad_models_are_errors_at_ready},
    {"element_head_ready_only_properties_refused_while_playing",
        element_head_ready_only_properties_refused_while_playing},
    {NULL, NULL}
  };

  seq_test_gst_init ();
  return seq_test_run ("element_head", cases);
}
