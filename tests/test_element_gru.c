/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — seqgru through GstHarness. */
#include "seqtest-gst.h"

#include <glib/gstdio.h>
#include <math.h>
#include <seqenc/gru.h>

#define I 10
#define H 12
#define L 2

/* Max abs error vs PyTorch nn.GRU: tests/test_gru.c's bound. */
#define GRU_PARITY_TOL 1e-5

static GstHarness *
gru_harness (const char *props, const char *format, guint frames)
{
  gchar *launch = g_strdup_printf ("seqgru hidden-size=%d num-layers=%d "
      "seed=7 %s", H, L, props ? props : "");
  gchar *caps = seq_test_caps (format, "float32", I, frames, 100);
  GstHarness *h = gst_harness_new_parse (launch);

  gst_harness_set_src_caps_str (h, caps);
  g_free (launch);
  g_free (caps);
  return h;
}

static float *
test_signal (guint frames)
{
  float *v = g_new (float, frames * I);
  for (guint i = 0; i < frames * I; i++)
    v[i] = sinf (0.37f * (float) i);
  return v;
}

/* Reference: the library on the same built-in model, all frames at once. */
static float *
library_output_prec (guint frames, SeqRecurrentOutput mode, guint * width,
    SeqMatmulPrecision matmul)
{
  SeqGruRandomParams p = seq_gru_random_params_default ();
  SeqGruModelParams mp = seq_gru_model_params_default ();
  SeqGruModel *m;
  SeqGruState *s;
  SeqGruWorkspace *ws;
  float *in = test_signal (frames), *out;

  p.input_size = I;
  p.hidden_size = H;
  p.num_layers = L;
  p.seed = 7;
  mp.matmul_precision = matmul;
  m = seq_gru_model_new_random (&p, &mp, NULL);
  g_assert (m != NULL);
  *width = seq_gru_model_output_width (m, mode);
  s = seq_gru_state_new (m);
  ws = seq_gru_workspace_new (m, 1, 16, 1);
  out = g_new (float, (gsize) frames * *width);
  seq_gru_forward (m, &s, 1, in, frames, out, mode, ws);
  seq_gru_workspace_free (ws);
  seq_gru_state_free (s);
  seq_gru_model_unref (m);
  g_free (in);
  return out;
}

static float *
library_output (guint frames, SeqRecurrentOutput mode, guint * width)
{
  return library_output_prec (frames, mode, width, SEQ_MATMUL_F32);
}

/* Pushes @frames frames of width @dim in buffers of @chunk frames; returns
 * all output. */
static float *
run_dim (GstHarness * h, gboolean flexible, const float *in, guint dim,
    guint frames, guint chunk, guint width)
{
  float *all = g_new (float, (gsize) frames * width);

  for (guint t = 0; t < frames;) {
    guint n = MIN (chunk, frames - t);
    GstBuffer *out;
    float *v;
    gsize nv;

    CU_ASSERT_EQUAL_FATAL (gst_harness_push (h, seq_test_tensor_buffer
            (flexible, GST_SEQ_TENSOR_TYPE_FLOAT32, dim, n, in + (gsize) t * dim)),
        GST_FLOW_OK);
    out = gst_harness_try_pull (h);
    CU_ASSERT_PTR_NOT_NULL_FATAL (out);
    v = seq_test_buffer_values (out, flexible, &nv);
    CU_ASSERT_EQUAL_FATAL (nv, (gsize) n * width);
    memcpy (all + (gsize) t * width, v, nv * sizeof (float));
    g_free (v);
    gst_buffer_unref (out);
    t += n;
  }
  return all;
}

static float *
run (GstHarness * h, gboolean flexible, const float *in, guint frames,
    guint chunk, guint width)
{
  return run_dim (h, flexible, in, I, frames, chunk, width);
}

static void
element_gru_output_equals_library_for_any_buffering (void)
{
  const guint T = 23;
  guint width;
  float *want = library_output (T, SEQ_RECURRENT_OUTPUT_LAST_LAYER, &width);
  float *in = test_signal (T);
  const guint chunks[] = { 1, 5, 23 };

  CU_ASSERT_EQUAL (width, H);
  for (guint c = 0; c < G_N_ELEMENTS (chunks); c++) {
    GstHarness *h = gru_harness (NULL, "flexible", 0);
    float *got = run (h, TRUE, in, T, chunks[c], width);
    CU_ASSERT (memcmp (got, want, sizeof (float) * T * width) == 0);
    g_free (got);
    gst_harness_teardown (h);
  }
  /* static caps, 1 frame per buffer, all layers */
  {
    float *want_all = library_output (T, SEQ_RECURRENT_OUTPUT_ALL_LAYERS,
        &width);
    GstHarness *h = gru_harness ("output=all-layers", "static", 1);
    float *got = run (h, FALSE, in, T, 1, width);
    CU_ASSERT_EQUAL (width, L * H);
    CU_ASSERT (memcmp (got, want_all, sizeof (float) * T * width) == 0);
    g_free (got);
    g_free (want_all);
    gst_harness_teardown (h);
  }
  g_free (want);
  g_free (in);
}

/* A weight file written by PyTorch (tests/gen_gru_fixtures.py): stream 0
 * of the fixture through the element matches nn.GRU's output. */
static void
element_gru_model_file_matches_pytorch (void)
{
  gchar *path = seq_test_data_path ("gru_basic.safetensors");
  SeqWeights *w = seq_weights_open (path, NULL);
  const SeqTensorInfo *ti;
  guint T, B, FI, FH;
  float *x, *ref, *x0, *ref0, *got;
  gchar *launch, *caps;
  GstHarness *h;

  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  ti = seq_weights_find (w, "test.input");
  T = (guint) ti->shape[0];
  B = (guint) ti->shape[1];
  FI = (guint) ti->shape[2];
  FH = (guint) seq_weights_find (w, "test.output")->shape[2];
  x = g_new (float, ti->n_elements);
  ref = g_new (float, (gsize) T * B * FH);
  CU_ASSERT_TRUE_FATAL (seq_tensor_to_f32 (ti, x, ti->n_elements, NULL));
  CU_ASSERT_TRUE_FATAL (seq_tensor_to_f32 (seq_weights_find (w,
              "test.output"), ref, (gsize) T * B * FH, NULL));
  x0 = g_new (float, (gsize) T * FI);
  ref0 = g_new (float, (gsize) T * FH);
  for (guint t = 0; t < T; t++) {
    memcpy (x0 + t * FI, x + (gsize) t * B * FI, FI * sizeof (float));
    memcpy (ref0 + t * FH, ref + (gsize) t * B * FH, FH * sizeof (float));
  }
  launch = g_strdup_printf ("seqgru model=\"%s\" model-prefix=gru.", path);
  caps = seq_test_caps ("flexible", "float32", FI, 0, 100);
  h = gst_harness_new_parse (launch);
  gst_harness_set_src_caps_str (h, caps);
  got = run_dim (h, TRUE, x0, FI, T, 4, FH);
  CU_ASSERT (seq_test_max_abs_diff (got, ref0, (gsize) T * FH) <=
      GRU_PARITY_TOL);
  gst_harness_teardown (h);
  g_free (got);
  g_free (launch);
  g_free (caps);
  g_free (x);
  g_free (ref);
  g_free (x0);
  g_free (ref0);
  seq_weights_unref (w);
  g_free (path);
}

static void
element_gru_matmul_precision_bf16 (void)
{
  const guint T = 23;
  guint width;
  float *want = library_output_prec (T, SEQ_RECURRENT_OUTPUT_LAST_LAYER,
      &width, SEQ_MATMUL_BF16);
  float *f32 = library_output (T, SEQ_RECURRENT_OUTPUT_LAST_LAYER, &width);
  float *in = test_signal (T), *got;
  GstHarness *h = gru_harness ("matmul-precision=bf16", "flexible", 0);

  /* the mode really changes the numbers */
  CU_ASSERT (memcmp (want, f32, sizeof (float) * T * width) != 0);
  got = run (h, TRUE, in, T, 3, width);
  CU_ASSERT (memcmp (got, want, sizeof (float) * T * width) == 0);
  g_free (got);
  gst_harness_teardown (h);
  g_free (want);
  g_free (f32);
  g_free (in);
}

static void
element_gru_flush_restarts (void)
{
  const guint T = 6;
  guint width;
  float *want = library_output (T, SEQ_RECURRENT_OUTPUT_LAST_LAYER, &width);
  float *in = test_signal (T);
  GstHarness *h = gru_harness (NULL, "flexible", 0);
  float *got = run (h, TRUE, in, T, 2, width);

  CU_ASSERT (memcmp (got, want, sizeof (float) * T * width) == 0);
  g_free (got);
  gst_harness_push_event (h, gst_event_new_flush_start ());
  gst_harness_push_event (h, gst_event_new_flush_stop (TRUE));
  gst_harness_set_src_caps_str (h, "other/tensors,format=flexible,"
      "num_tensors=1,types=float32,dimensions=(string)10,framerate=100/1");
  got = run (h, TRUE, in, T, 3, width);
  CU_ASSERT (memcmp (got, want, sizeof (float) * T * width) == 0);
  g_free (got);
  g_free (want);
  g_free (in);
  gst_harness_teardown (h);
}

/* The element alone with one property set, NULL -> READY (must fail): the
 * error posted. */
static GstMessage *
ready_error (const char *prop, const char *value)
{
  GstElement *e = gst_element_factory_make ("seqgru", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;

  gst_element_set_bus (e, bus);
  gst_util_set_object_arg (G_OBJECT (e), prop, value);
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
expect_ready_error (const char *prop, const char *value, GQuark domain,
    gint code)
{
  GstMessage *msg = ready_error (prop, value);
  GError *err = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (msg);
  gst_message_parse_error (msg, &err, NULL);
  CU_ASSERT (g_error_matches (err, domain, code));
  g_clear_error (&err);
  gst_message_unref (msg);
}

static void
element_gru_missing_or_lstm_model_posts_error (void)
{
  gchar *lstm = seq_test_data_path ("lstm_basic.safetensors");

  expect_ready_error ("model", "/nonexistent/gru.safetensors",
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND);
  /* an LSTM's weights: same tensor names, 4H rows, refused */
  expect_ready_error ("model", lstm, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_READ);
  g_free (lstm);
}

static void
element_gru_state_location_resumes_bitwise (void)
{
  const guint T = 10;
  guint width;
  float *want = library_output (T, SEQ_RECURRENT_OUTPUT_LAST_LAYER, &width);
  float *in = test_signal (T);
  gchar *dir = seq_test_tmpdir ();
  gchar *state = g_build_filename (dir, "gru.state", NULL);
  gchar *props = g_strdup_printf ("state-location=\"%s\"", state);
  GstHarness *h;
  float *got;

  /* first run: 4 frames then EOS saves the state */
  h = gru_harness (props, "flexible", 0);
  got = run (h, TRUE, in, 4, 4, width);
  CU_ASSERT (memcmp (got, want, sizeof (float) * 4 * width) == 0);
  g_free (got);
  CU_ASSERT (gst_harness_push_event (h, gst_event_new_eos ()));
  gst_harness_teardown (h);
  CU_ASSERT (g_file_test (state, G_FILE_TEST_IS_REGULAR));

  /* second run, a new element: continues at frame 4 */
  h = gru_harness (props, "flexible", 0);
  got = run (h, TRUE, in + 4 * I, T - 4, 3, width);
  CU_ASSERT (memcmp (got, want + 4 * width, sizeof (float) * (T - 4) *
          width) == 0);
  g_free (got);
  gst_harness_teardown (h);

  /* a state of another model is refused with an error */
  {
    gchar *launch = g_strdup_printf ("seqgru hidden-size=%d num-layers=1 "
        "seed=7 %s", H + 1, props);
    gchar *caps = seq_test_caps ("flexible", "float32", I, 0, 100);
    GstBus *bus = gst_bus_new ();
    GstElement *e;
    GstMessage *msg;
    h = gst_harness_new_parse (launch);
    e = gst_harness_find_element (h, "seqgru");
    gst_element_set_bus (e, bus);
    gst_harness_set_src_caps_str (h, caps);
    CU_ASSERT_NOT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (TRUE,
                GST_SEQ_TENSOR_TYPE_FLOAT32, I, 1, in)), GST_FLOW_OK);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    CU_ASSERT_PTR_NOT_NULL (msg);
    if (msg)
      gst_message_unref (msg);
    gst_element_set_bus (e, NULL);
    gst_object_unref (e);
    gst_object_unref (bus);
    gst_harness_teardown (h);
    g_free (launch);
    g_free (caps);
  }

  g_unlink (state);
  g_rmdir (dir);
  g_free (state);
  g_free (props);
  g_free (dir);
  g_free (want);
  g_free (in);
}

typedef struct
{
  guint frames;
  guint chunk;
  float *got;
} GroupStream;

static gpointer
group_stream_thread (gpointer data)
{
  GroupStream *gs = data;
  GstHarness *h = gru_harness ("batch-group=gru1 max-batch=3 max-delay=2",
      "flexible", 0);
  float *in = test_signal (gs->frames);

  gs->got = run (h, TRUE, in, gs->frames, gs->chunk, H);
  gst_harness_teardown (h);
  g_free (in);
  return NULL;
}

static void
element_gru_batch_group_streams_equal_alone (void)
{
  GroupStream gs[3] = { {40, 1, NULL}, {17, 3, NULL}, {55, 8, NULL} };
  GThread *th[3];
  guint width;
  float *want = library_output (55, SEQ_RECURRENT_OUTPUT_LAST_LAYER, &width);

  for (guint i = 0; i < 3; i++)
    th[i] = g_thread_new ("stream", group_stream_thread, &gs[i]);
  for (guint i = 0; i < 3; i++) {
    g_thread_join (th[i]);
    CU_ASSERT_PTR_NOT_NULL_FATAL (gs[i].got);
    CU_ASSERT (memcmp (gs[i].got, want,
            sizeof (float) * gs[i].frames * width) == 0);
    g_free (gs[i].got);
  }
  g_free (want);
}

/* A seqgru naming the group of a running seqlstm is refused (one group,
 * one cell and model). */
static void
element_gru_batch_group_refuses_an_lstm_group (void)
{
  gchar *caps = seq_test_caps ("flexible", "float32", I, 0, 100);
  GstHarness *lstm = gst_harness_new_parse ("seqlstm hidden-size=12 "
      "num-layers=2 seed=7 batch-group=mixed");
  GstHarness *gru;
  GstElement *e;
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  float *in = test_signal (2);

  gst_harness_set_src_caps_str (lstm, caps);
  g_free (run (lstm, TRUE, in, 2, 2, H));       /* the group now runs */
  gru = gru_harness ("batch-group=mixed", "flexible", 0);
  e = gst_harness_find_element (gru, "seqgru");
  gst_element_set_bus (e, bus);
  CU_ASSERT_NOT_EQUAL (gst_harness_push (gru, seq_test_tensor_buffer (TRUE,
              GST_SEQ_TENSOR_TYPE_FLOAT32, I, 1, in)), GST_FLOW_OK);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  CU_ASSERT_PTR_NOT_NULL (msg);
  if (msg)
    gst_message_unref (msg);
  gst_element_set_bus (e, NULL);
  gst_object_unref (e);
  gst_object_unref (bus);
  gst_harness_teardown (gru);
  /* the running member is unaffected */
  g_free (run (lstm, TRUE, in, 2, 1, H));
  gst_harness_teardown (lstm);
  g_free (in);
  g_free (caps);
}

static void
element_gru_batch_group_reports_max_delay_latency (void)
{
  GstHarness *h = gru_harness ("batch-group=gru2 max-delay=7", "flexible", 0);
  GstQuery *q = gst_query_new_latency ();
  GstElement *e = gst_harness_find_element (h, "seqgru");
  GstPad *src = gst_element_get_static_pad (e, "src");
  gboolean live;
  GstClockTime min, max;

  gst_harness_set_upstream_latency (h, 3 * GST_MSECOND);
  CU_ASSERT (gst_pad_query (src, q));
  gst_query_parse_latency (q, &live, &min, &max);
  CU_ASSERT_EQUAL (min, 10 * GST_MSECOND);
  gst_query_unref (q);
  gst_object_unref (src);
  gst_object_unref (e);
  gst_harness_teardown (h);
}

int
main (void)
{
  static const SeqTestCase cases[] = {
    {"element_gru_output_equals_library_for_any_buffering",
        element_gru_output_equals_library_for_any_buffering},
    {"element_gru_model_file_matches_pytorch",
        element_gru_model_file_matches_pytorch},
    {"element_gru_matmul_precision_bf16", element_gru_matmul_precision_bf16},
    {"element_gru_flush_restarts", element_gru_flush_restarts},
    {"element_gru_missing_or_lstm_model_posts_error",
        element_gru_missing_or_lstm_model_posts_error},
    {"element_gru_state_location_resumes_bitwise",
        element_gru_state_location_resumes_bitwise},
    {"element_gru_batch_group_streams_equal_alone",
        element_gru_batch_group_streams_equal_alone},
    {"element_gru_batch_group_refuses_an_lstm_group",
        element_gru_batch_group_refuses_an_lstm_group},
    {"element_gru_batch_group_reports_max_delay_latency",
        element_gru_batch_group_reports_max_delay_latency},
    {NULL, NULL}
  };
  seq_test_gst_init ();
  return seq_test_run ("element_gru", cases);
}
