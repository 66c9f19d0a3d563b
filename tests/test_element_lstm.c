/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — seqlstm through GstHarness. */
#include "seqtest-gst.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdarg.h>
#include <seqenc/lstm.h>

#define I 10
#define H 12
#define L 2

static GstHarness *
lstm_harness (const char *props, const char *format, guint frames)
{
  gchar *launch = g_strdup_printf ("seqlstm hidden-size=%d num-layers=%d "
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

/* Reference: the library on the same built-in model, built with @mp, all
 * frames at once. */
static float *
library_output_params (guint frames, SeqLstmOutput mode, guint * width,
    const SeqLstmModelParams * mp)
{
  SeqLstmRandomParams p = seq_lstm_random_params_default ();
  SeqLstmModel *m;
  SeqLstmState *s;
  SeqLstmWorkspace *ws;
  float *in = test_signal (frames), *out;

  p.input_size = I;
  p.hidden_size = H;
  p.num_layers = L;
  p.seed = 7;
  m = seq_lstm_model_new_random (&p, mp, NULL);
  g_assert (m != NULL);
  *width = seq_lstm_model_output_width (m, mode);
  s = seq_lstm_state_new (m);
  ws = seq_lstm_workspace_new (m, 1, 16, 1);
  out = g_new (float, (gsize) frames * *width);
  seq_lstm_forward (m, &s, 1, in, frames, out, mode, ws);
  seq_lstm_workspace_free (ws);
  seq_lstm_state_free (s);
  seq_lstm_model_unref (m);
  g_free (in);
  return out;
}

static float *
library_output_prec (guint frames, SeqLstmOutput mode, guint * width,
    SeqMatmulPrecision matmul)
{
  SeqLstmModelParams mp = seq_lstm_model_params_default ();

  mp.matmul_precision = matmul;
  return library_output_params (frames, mode, width, &mp);
}

static float *
library_output (guint frames, SeqLstmOutput mode, guint * width)
{
  return library_output_prec (frames, mode, width, SEQ_MATMUL_F32);
}

/* Pushes @frames frames in buffers of @chunk frames; returns all output. */
static float *
run (GstHarness * h, gboolean flexible, const float *in, guint frames,
    guint chunk, guint width)
{
  float *all = g_new (float, (gsize) frames * width);
  guint t = 0;

  while (t < frames) {
    guint n = MIN (chunk, frames - t);
    GstBuffer *out;
    float *v;
    gsize nv;

    CU_ASSERT_EQUAL_FATAL (gst_harness_push (h, seq_test_tensor_buffer
            (flexible, GST_SEQ_TENSOR_TYPE_FLOAT32, I, n, in + (gsize) t * I)),
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

static void
element_lstm_output_equals_library_for_any_buffering (void)
{
  const guint T = 23;
  guint width;
  float *want = library_output (T, SEQ_LSTM_OUTPUT_LAST_LAYER, &width);
  float *in = test_signal (T);
  const guint chunks[] = { 1, 5, 23 };

  CU_ASSERT_EQUAL (width, H);
  for (guint c = 0; c < G_N_ELEMENTS (chunks); c++) {
    GstHarness *h = lstm_harness (NULL, "flexible", 0);
    float *got = run (h, TRUE, in, T, chunks[c], width);
    CU_ASSERT (memcmp (got, want, sizeof (float) * T * width) == 0);
    g_free (got);
    gst_harness_teardown (h);
  }
  /* static caps, 1 frame per buffer, all layers */
  {
    float *want_all = library_output (T, SEQ_LSTM_OUTPUT_ALL_LAYERS, &width);
    GstHarness *h = lstm_harness ("output=all-layers", "static", 1);
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

/* The element alone, with the NULL-terminated property name / value
 * string pairs set, driven NULL -> READY (which must fail): returns the
 * error message posted, or NULL. */
static GstMessage *
ready_error_props (const char *first, ...)
{
  GstElement *e = gst_element_factory_make ("seqlstm", NULL);
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

static GstMessage *
ready_error (const char *model)
{
  return ready_error_props ("model", model, NULL);
}

/* matmul-precision=bf16 runs the library's bf16-matmul precision (the
 * library's tests compare that with PyTorch); f16 weights with it are a
 * settings error. */
static void
element_lstm_matmul_precision_bf16 (void)
{
  const guint T = 23;
  guint width;
  float *want = library_output_prec (T, SEQ_LSTM_OUTPUT_LAST_LAYER, &width,
      SEQ_MATMUL_BF16);
  float *f32 = library_output (T, SEQ_LSTM_OUTPUT_LAST_LAYER, &width);
  float *in = test_signal (T);
  const guint chunks[] = { 1, 23 };
  GstHarness *h;
  GstMessage *msg;
  GError *err = NULL;

  /* the mode really changes the numbers */
  CU_ASSERT (memcmp (want, f32, sizeof (float) * T * width) != 0);
  for (guint c = 0; c < G_N_ELEMENTS (chunks); c++) {
    float *got;
    h = lstm_harness ("matmul-precision=bf16", "flexible", 0);
    got = run (h, TRUE, in, T, chunks[c], width);
    CU_ASSERT (memcmp (got, want, sizeof (float) * T * width) == 0);
    g_free (got);
    gst_harness_teardown (h);
  }
  /* the contradiction is refused at NULL -> READY, with a message */
  msg = ready_error_props ("matmul-precision", "bf16", "weights-precision",
      "f16", NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (msg);
  gst_message_parse_error (msg, &err, NULL);
  CU_ASSERT (g_error_matches (err, GST_LIBRARY_ERROR,
          GST_LIBRARY_ERROR_SETTINGS));
  g_clear_error (&err);
  gst_message_unref (msg);
  g_free (want);
  g_free (f32);
  g_free (in);
}

/* weights-precision=bf16 / f16 build the library's model of that storage
 * precision (the property's values map to SeqPrecision one to one): the
 * element's output equals the library's bitwise, and differs from f32. */
static void
element_lstm_weights_precision_runs_the_library_precision (void)
{
  const guint T = 23;
  static const struct
  {
    const char *nick;
    SeqPrecision precision;
  } cases[] = {
    {"f32", SEQ_PRECISION_F32},
    {"bf16", SEQ_PRECISION_BF16},
    {"f16", SEQ_PRECISION_F16},
  };
  guint width;
  float *f32 = library_output (T, SEQ_LSTM_OUTPUT_LAST_LAYER, &width);
  float *in = test_signal (T);

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    SeqLstmModelParams mp = seq_lstm_model_params_default ();
    gchar *props = g_strdup_printf ("weights-precision=%s", cases[c].nick);
    GstHarness *h = lstm_harness (props, "flexible", 0);
    float *want, *got;

    mp.weights_precision = cases[c].precision;
    want = library_output_params (T, SEQ_LSTM_OUTPUT_LAST_LAYER, &width, &mp);
    got = run (h, TRUE, in, T, 5, width);
    CU_ASSERT (memcmp (got, want, sizeof (float) * T * width) == 0);
    /* the precision really changes the numbers */
    CU_ASSERT ((cases[c].precision == SEQ_PRECISION_F32) ==
        (memcmp (want, f32, sizeof (float) * T * width) == 0));
    g_free (got);
    g_free (want);
    g_free (props);
    gst_harness_teardown (h);
  }
  g_free (f32);
  g_free (in);
}

static void
element_lstm_flush_restarts_and_reuse_after_null (void)
{
  const guint T = 6;
  guint width;
  float *want = library_output (T, SEQ_LSTM_OUTPUT_LAST_LAYER, &width);
  float *in = test_signal (T);
  GstHarness *h = lstm_harness (NULL, "flexible", 0);
  GstElement *e = gst_harness_find_element (h, "seqlstm");
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

  /* NULL -> PLAYING again: same output from t = 0 */
  CU_ASSERT_EQUAL (gst_element_set_state (e, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  CU_ASSERT_NOT_EQUAL (gst_element_set_state (e, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
  gst_harness_set_src_caps_str (h, "other/tensors,format=flexible,"
      "num_tensors=1,types=float32,dimensions=(string)10,framerate=100/1");
  got = run (h, TRUE, in, T, T, width);
  CU_ASSERT (memcmp (got, want, sizeof (float) * T * width) == 0);
  g_free (got);

  gst_object_unref (e);
  g_free (want);
  g_free (in);
  gst_harness_teardown (h);
}

static void
element_lstm_rejects_width_mismatch (void)
{
  GstHarness *h = lstm_harness ("input-size=11", "static", 1);
  float in[I] = { 0 };

  CU_ASSERT_NOT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (FALSE,
              GST_SEQ_TENSOR_TYPE_FLOAT32, I, 1, in)), GST_FLOW_OK);
  gst_harness_teardown (h);
}


static void
element_lstm_missing_or_malformed_model_posts_error (void)
{
  gchar *dir = seq_test_tmpdir ();
  gchar *bad = g_build_filename (dir, "bad.safetensors", NULL);
  gchar *missing = g_build_filename (dir, "missing.safetensors", NULL);
  GstMessage *msg;
  GError *err = NULL;

  msg = ready_error (missing);
  CU_ASSERT_PTR_NOT_NULL_FATAL (msg);
  gst_message_parse_error (msg, &err, NULL);
  CU_ASSERT (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND));
  g_clear_error (&err);
  gst_message_unref (msg);

  /* header length far past the end of the file */
  g_file_set_contents (bad, "\xff\xff\xff\x00\x00\x00\x00\x00{}", 10, NULL);
  msg = ready_error (bad);
  CU_ASSERT_PTR_NOT_NULL_FATAL (msg);
  gst_message_parse_error (msg, &err, NULL);
  CU_ASSERT (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_READ));
  g_clear_error (&err);
  gst_message_unref (msg);

  /* valid file, no LSTM tensors in it */
  g_file_set_contents (bad, "\x02\x00\x00\x00\x00\x00\x00\x00{}", 10, NULL);
  msg = ready_error (bad);
  CU_ASSERT_PTR_NOT_NULL (msg);
  if (msg)
    gst_message_unref (msg);

  g_unlink (bad);
  g_rmdir (dir);
  g_free (bad);
  g_free (missing);
  g_free (dir);
}

static void
element_lstm_eos_is_forwarded (void)
{
  GstHarness *h = lstm_harness (NULL, "flexible", 0);
  float *in = test_signal (2);
  GstEvent *ev;
  gboolean saw_eos = FALSE;

  g_free (run (h, TRUE, in, 2, 2, H));
  CU_ASSERT (gst_harness_push_event (h, gst_event_new_eos ()));
  while ((ev = gst_harness_try_pull_event (h)) != NULL) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS)
      saw_eos = TRUE;
    gst_event_unref (ev);
  }
  CU_ASSERT (saw_eos);
  g_free (in);
  gst_harness_teardown (h);
}

static void
element_lstm_state_location_resumes_bitwise (void)
{
  const guint T = 10;
  guint width;
  float *want = library_output (T, SEQ_LSTM_OUTPUT_LAST_LAYER, &width);
  float *in = test_signal (T);
  gchar *dir = seq_test_tmpdir ();
  gchar *state = g_build_filename (dir, "lstm.state", NULL);
  gchar *props = g_strdup_printf ("state-location=\"%s\"", state);
  GstHarness *h;
  float *got;
  GstMessage *msg;

  /* first run: 4 frames then EOS saves the state */
  h = lstm_harness (props, "flexible", 0);
  got = run (h, TRUE, in, 4, 4, width);
  CU_ASSERT (memcmp (got, want, sizeof (float) * 4 * width) == 0);
  g_free (got);
  CU_ASSERT (gst_harness_push_event (h, gst_event_new_eos ()));
  gst_harness_teardown (h);
  CU_ASSERT (g_file_test (state, G_FILE_TEST_IS_REGULAR));

  /* second run, a new element: continues at frame 4, with a DISCONT first
   * buffer that must not wipe the restored state */
  h = lstm_harness (props, "flexible", 0);
  {
    GstBuffer *buf = seq_test_tensor_buffer (TRUE, GST_SEQ_TENSOR_TYPE_FLOAT32, I,
        T - 4, in + 4 * I), *out;
    gsize nv;
    float *v;
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    CU_ASSERT_EQUAL_FATAL (gst_harness_push (h, buf), GST_FLOW_OK);
    out = gst_harness_try_pull (h);
    CU_ASSERT_PTR_NOT_NULL_FATAL (out);
    v = seq_test_buffer_values (out, TRUE, &nv);
    CU_ASSERT_EQUAL (nv, (T - 4) * width);
    CU_ASSERT (memcmp (v, want + 4 * width, nv * sizeof (float)) == 0);
    g_free (v);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);

  /* a state of another model is refused with an error */
  {
    gchar *launch = g_strdup_printf ("seqlstm hidden-size=%d num-layers=1 "
        "seed=7 %s", H + 1, props);
    gchar *caps = seq_test_caps ("flexible", "float32", I, 0, 100);
    GstBus *bus = gst_bus_new ();
    GstElement *e;
    h = gst_harness_new_parse (launch);
    e = gst_harness_find_element (h, "seqlstm");
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

static void
element_lstm_nan_propagates_until_reset (void)
{
  GstHarness *h = lstm_harness (NULL, "flexible", 0);
  float *in = test_signal (3), *got, *again;
  guint width = H;

  in[I + 2] = NAN;              /* frame 1 */
  got = run (h, TRUE, in, 3, 3, width);
  for (guint j = 0; j < width; j++) {
    CU_ASSERT (isfinite (got[j]));      /* frame 0 */
    CU_ASSERT (isnan (got[width + j])); /* frame 1 and on */
    CU_ASSERT (isnan (got[2 * width + j]));
  }
  CU_ASSERT (gst_harness_push_event (h, gst_seq_reset_event_new ()));
  in[I + 2] = 0.5f;
  again = run (h, TRUE, in, 3, 3, width);
  for (guint j = 0; j < 3 * width; j++)
    CU_ASSERT (isfinite (again[j]));
  g_free (got);
  g_free (again);
  g_free (in);
  gst_harness_teardown (h);
}

typedef struct
{
  guint frames;
  guint chunk;
  float *got;
  const char *props;            /* NULL: group g1 */
} GroupStream;

static gpointer
group_stream_thread (gpointer data)
{
  GroupStream *gs = data;
  GstHarness *h = lstm_harness (gs->props ? gs->props :
      "batch-group=g1 max-batch=3 max-delay=2", "flexible", 0);
  float *in = test_signal (gs->frames);

  gs->got = run (h, TRUE, in, gs->frames, gs->chunk, H);
  gst_harness_teardown (h);
  g_free (in);
  return NULL;
}

static void
element_lstm_batch_group_streams_equal_alone (void)
{
  GroupStream gs[3] = { {40, 1, NULL}, {17, 3, NULL}, {55, 8, NULL} };
  GThread *th[3];
  guint width;
  float *want = library_output (55, SEQ_LSTM_OUTPUT_LAST_LAYER, &width);

  for (guint i = 0; i < 3; i++)
    th[i] = g_thread_new ("stream", group_stream_thread, &gs[i]);
  for (guint i = 0; i < 3; i++) {
    g_thread_join (th[i]);
    CU_ASSERT_PTR_NOT_NULL_FATAL (gs[i].got);
    /* every stream starts at t = 0 with the same input: its output is the
     * alone output's prefix, bitwise */
    CU_ASSERT (memcmp (gs[i].got, want,
            sizeof (float) * gs[i].frames * width) == 0);
    g_free (gs[i].got);
  }
  g_free (want);
}

/* A member of the group that sends NaN and then fails (a corrupt buffer:
 * STREAM FORMAT, then torn down) while the others run: they neither stall
 * nor change by a bit. */
static gpointer
failing_member_thread (gpointer data)
{
  GstHarness *h = lstm_harness ("batch-group=g3 max-batch=2 max-delay=2",
      "flexible", 0);
  float *in = test_signal (5);
  GstBuffer *bad;

  in[I + 1] = NAN;              /* its frame 1 poisons its own rows only */
  g_free (run (h, TRUE, in, 3, 1, H));
  bad = seq_test_tensor_buffer (TRUE, GST_SEQ_TENSOR_TYPE_FLOAT32, I, 2, in);
  gst_buffer_memset (bad, 0, 0x00, 4);  /* no magic */
  *(GstFlowReturn *) data = gst_harness_push (h, bad);
  gst_harness_teardown (h);
  g_free (in);
  return NULL;
}

static void
element_lstm_batch_group_survives_a_failing_member (void)
{
  GroupStream good = { 60, 2, NULL };
  GstFlowReturn bad_ret = GST_FLOW_OK;
  GThread *b;
  guint width;
  float *want = library_output (60, SEQ_LSTM_OUTPUT_LAST_LAYER, &width);
  GstHarness *h;
  float *in = test_signal (60);

  /* the good stream runs in this thread; the failing one beside it */
  b = g_thread_new ("bad", failing_member_thread, &bad_ret);
  h = lstm_harness ("batch-group=g3 max-batch=2 max-delay=2", "flexible", 0);
  good.got = run (h, TRUE, in, good.frames, good.chunk, H);
  g_thread_join (b);
  CU_ASSERT_EQUAL (bad_ret, GST_FLOW_ERROR);
  CU_ASSERT (memcmp (good.got, want, sizeof (float) * 60 * width) == 0);
  /* and it goes on after the other left */
  g_free (good.got);
  good.got = run (h, TRUE, in, 4, 4, H);
  CU_ASSERT_PTR_NOT_NULL (good.got);
  g_free (good.got);
  gst_harness_teardown (h);
  g_free (in);
  g_free (want);
}

/* Members of one group must share one model: an element joining a running
 * group with another model is refused (this fails if groups are ignored). */
static void
element_lstm_batch_group_refuses_another_model (void)
{
  GstHarness *first = lstm_harness ("batch-group=g4", "flexible", 0);
  float *in = test_signal (2);
  GstHarness *other;
  GstElement *e;
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;

  g_free (run (first, TRUE, in, 2, 2, H));      /* the group now runs */
  other = gst_harness_new_parse ("seqlstm hidden-size=5 batch-group=g4");
  e = gst_harness_find_element (other, "seqlstm");
  gst_element_set_bus (e, bus);
  {
    gchar *caps = seq_test_caps ("flexible", "float32", I, 0, 100);
    gst_harness_set_src_caps_str (other, caps);
    g_free (caps);
  }
  CU_ASSERT_NOT_EQUAL (gst_harness_push (other, seq_test_tensor_buffer (TRUE,
              GST_SEQ_TENSOR_TYPE_FLOAT32, I, 1, in)), GST_FLOW_OK);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  CU_ASSERT_PTR_NOT_NULL (msg);
  if (msg)
    gst_message_unref (msg);
  gst_element_set_bus (e, NULL);
  gst_object_unref (e);
  gst_object_unref (bus);
  gst_harness_teardown (other);
  /* the running member is unaffected */
  g_free (run (first, TRUE, in, 2, 1, H));
  gst_harness_teardown (first);
  g_free (in);
}

static void
element_lstm_batch_group_reports_max_delay_latency (void)
{
  GstHarness *h = lstm_harness ("batch-group=g2 max-delay=7", "flexible", 0);
  GstQuery *q = gst_query_new_latency ();
  GstElement *e = gst_harness_find_element (h, "seqlstm");
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

/* In a batch-group the batcher keeps each member's h and c while it is a
 * member (batcher.h): a seqenc-reset of one member mid-stream restarts it
 * at t = 0, bitwise, while two others step beside it unchanged. */
#define G6 "batch-group=g6 max-batch=3 max-delay=2"

/* Joins the two busy members of a test and checks their outputs against
 * @want, the alone output. */
static void
busy_members_match_alone (GThread ** th, GroupStream * busy,
    const float *want, guint width)
{
  for (guint i = 0; i < 2; i++) {
    g_thread_join (th[i]);
    CU_ASSERT_PTR_NOT_NULL_FATAL (busy[i].got);
    CU_ASSERT (memcmp (busy[i].got, want,
            sizeof (float) * busy[i].frames * width) == 0);
    g_free (busy[i].got);
  }
}

static void
element_lstm_batch_group_member_resets_mid_stream (void)
{
  GroupStream busy[2] = { {90, 1, NULL, G6}, {70, 3, NULL, G6} };
  GThread *th[2];
  guint width;
  float *want = library_output (90, SEQ_LSTM_OUTPUT_LAST_LAYER, &width);
  float *in = test_signal (30), *got;
  GstHarness *h = lstm_harness (G6, "flexible", 0);

  for (guint i = 0; i < 2; i++)
    th[i] = g_thread_new ("busy", group_stream_thread, &busy[i]);
  got = run (h, TRUE, in, 30, 2, H);
  CU_ASSERT (memcmp (got, want, sizeof (float) * 30 * width) == 0);
  g_free (got);
  CU_ASSERT (gst_harness_push_event (h, gst_seq_reset_event_new ()));
  got = run (h, TRUE, in, 20, 4, H);
  CU_ASSERT (memcmp (got, want, sizeof (float) * 20 * width) == 0);
  g_free (got);
  gst_harness_teardown (h);
  busy_members_match_alone (th, busy, want, width);
  g_free (in);
  g_free (want);
}

/* A group member with state-location saves at EOS what the batcher holds,
 * and a new member restores it and continues bitwise, while two others
 * step in the group all along. */
static void
element_lstm_batch_group_state_location_resumes_bitwise (void)
{
  const guint T = 40;
  GroupStream busy[2] = { {120, 1, NULL, G6}, {100, 2, NULL, G6} };
  GThread *th[2];
  guint width;
  float *want = library_output (120, SEQ_LSTM_OUTPUT_LAST_LAYER, &width);
  float *in = test_signal (T), *got;
  gchar *dir = seq_test_tmpdir ();
  gchar *state = g_build_filename (dir, "lstm.state", NULL);
  gchar *props = g_strdup_printf (G6 " state-location=\"%s\"", state);
  GstHarness *h;

  for (guint i = 0; i < 2; i++)
    th[i] = g_thread_new ("busy", group_stream_thread, &busy[i]);
  h = lstm_harness (props, "flexible", 0);
  got = run (h, TRUE, in, 15, 3, H);
  CU_ASSERT (memcmp (got, want, sizeof (float) * 15 * width) == 0);
  g_free (got);
  CU_ASSERT (gst_harness_push_event (h, gst_event_new_eos ()));
  gst_harness_teardown (h);
  CU_ASSERT (g_file_test (state, G_FILE_TEST_IS_REGULAR));

  h = lstm_harness (props, "flexible", 0);
  got = run (h, TRUE, in + 15 * I, T - 15, 5, H);
  CU_ASSERT (memcmp (got, want + 15 * width,
          sizeof (float) * (T - 15) * width) == 0);
  g_free (got);
  gst_harness_teardown (h);
  busy_members_match_alone (th, busy, want, width);
  g_unlink (state);
  g_rmdir (dir);
  g_free (state);
  g_free (props);
  g_free (dir);
  g_free (in);
  g_free (want);
}

int
main (void)
{
  static const SeqTestCase cases[] = {
    {"element_lstm_output_equals_library_for_any_buffering",
        element_lstm_output_equals_library_for_any_buffering},
    {"element_lstm_matmul_precision_bf16",
        element_lstm_matmul_precision_bf16},
    {"element_lstm_weights_precision_runs_the_library_precision",
        element_lstm_weights_precision_runs_the_library_precision},
    {"element_lstm_flush_restarts_and_reuse_after_null",
        element_lstm_flush_restarts_and_reuse_after_null},
    {"element_lstm_rejects_width_mismatch",
        element_lstm_rejects_width_mismatch},
    {"element_lstm_missing_or_malformed_model_posts_error",
        element_lstm_missing_or_malformed_model_posts_error},
    {"element_lstm_eos_is_forwarded", element_lstm_eos_is_forwarded},
    {"element_lstm_state_location_resumes_bitwise",
        element_lstm_state_location_resumes_bitwise},
    {"element_lstm_nan_propagates_until_reset",
        element_lstm_nan_propagates_until_reset},
    {"element_lstm_batch_group_streams_equal_alone",
        element_lstm_batch_group_streams_equal_alone},
    {"element_lstm_batch_group_survives_a_failing_member",
        element_lstm_batch_group_survives_a_failing_member},
    {"element_lstm_batch_group_refuses_another_model",
        element_lstm_batch_group_refuses_another_model},
    {"element_lstm_batch_group_reports_max_delay_latency",
        element_lstm_batch_group_reports_max_delay_latency},
    {"element_lstm_batch_group_member_resets_mid_stream",
        element_lstm_batch_group_member_resets_mid_stream},
    {"element_lstm_batch_group_state_location_resumes_bitwise",
        element_lstm_batch_group_state_location_resumes_bitwise},
    {NULL, NULL}
  };
  seq_test_gst_init ();
  return seq_test_run ("element_lstm", cases);
}
