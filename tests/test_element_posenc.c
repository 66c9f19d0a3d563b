/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — seqposenc through GstHarness. */
#include "seqtest-gst.h"

#include <seqenc/posenc.h>
#include <string.h>

#define D 6

static GstHarness *
posenc_harness (const char *props, const char *format, guint frames)
{
  gchar *launch = g_strdup_printf ("seqposenc %s", props ? props : "");
  gchar *caps = seq_test_caps (format, "float32", D, frames, 100);
  GstHarness *h = gst_harness_new_parse (launch);

  gst_harness_set_src_caps_str (h, caps);
  g_free (launch);
  g_free (caps);
  return h;
}

static float *
ramp (guint n, float offset)
{
  float *v = g_new (float, n);
  for (guint i = 0; i < n; i++)
    v[i] = offset + 0.01f * (float) i;
  return v;
}

/* Pushes @frames frames as one buffer and returns the output values. */
static float *
push_pull (GstHarness * h, gboolean flexible, const float *in, guint frames,
    gboolean discont, gsize * n)
{
  GstBuffer *buf = seq_test_tensor_buffer (flexible, GST_SEQ_TENSOR_TYPE_FLOAT32,
      D, frames, in);
  GstBuffer *out;
  float *v;

  if (discont)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  CU_ASSERT_EQUAL_FATAL (gst_harness_push (h, buf), GST_FLOW_OK);
  out = gst_harness_try_pull (h);
  CU_ASSERT_PTR_NOT_NULL_FATAL (out);
  v = seq_test_buffer_values (out, flexible, n);
  gst_buffer_unref (out);
  return v;
}

static void
element_posenc_output_equals_library (void)
{
  for (int flexible = 0; flexible < 2; flexible++) {
    GstHarness *h = posenc_harness ("start=1000 layout=split scale=0.5",
        flexible ? "flexible" : "static", 4);
    SeqPosEncParams p = seq_posenc_params_default ();
    SeqPosEnc *pe;
    float *in = ramp (D * 12, -1.0f), want[D * 12];
    gsize n;

    p.frame_dim = D;
    p.start = 1000;
    p.layout = SEQ_POSENC_LAYOUT_SPLIT;
    p.scale = 0.5f;
    pe = seq_posenc_new (&p, NULL);
    seq_posenc_process (pe, in, want, 12, NULL);

    for (guint b = 0; b < 3; b++) {
      float *got = push_pull (h, flexible, in + b * 4 * D, 4, FALSE, &n);
      CU_ASSERT_EQUAL (n, 4 * D);
      CU_ASSERT (memcmp (got, want + b * 4 * D, sizeof (float) * 4 * D) == 0);
      g_free (got);
    }
    seq_posenc_free (pe);
    g_free (in);
    gst_harness_teardown (h);
  }
}

static void
element_posenc_concat_negotiates_wider_frames (void)
{
  GstHarness *h = posenc_harness ("mode=concat pe-dim=10", "static", 2);
  float *in = ramp (D * 2, 0.0f);
  GstCaps *caps;
  GstStructure *s;
  gsize n;
  float *got = push_pull (h, FALSE, in, 2, FALSE, &n);

  CU_ASSERT_EQUAL (n, 2 * (D + 10));
  caps = gst_pad_get_current_caps (h->sinkpad);
  s = gst_caps_get_structure (caps, 0);
  CU_ASSERT_STRING_EQUAL (gst_structure_get_string (s, "dimensions"), "16:2");
  CU_ASSERT_STRING_EQUAL (gst_structure_get_string (s, "types"), "float32");
  gst_caps_unref (caps);
  g_free (got);
  g_free (in);
  gst_harness_teardown (h);
}

static void
element_posenc_rejects_int32_caps (void)
{
  GstHarness *h = gst_harness_new_parse ("seqposenc");
  gchar *caps = seq_test_caps ("static", "int32", 1, 4, 0);
  gint32 ids[4] = { 1, 2, 3, 4 };

  gst_harness_set_src_caps_str (h, caps);
  CU_ASSERT_NOT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (FALSE,
              GST_SEQ_TENSOR_TYPE_INT32, 1, 4, ids)), GST_FLOW_OK);
  g_free (caps);
  gst_harness_teardown (h);
}

static void
element_posenc_resets_on_flush_event_and_discont (void)
{
  GstHarness *h = posenc_harness (NULL, "flexible", 0);
  float *in = ramp (D * 3, 0.5f);
  float *first, *again;
  gsize n;

  first = push_pull (h, TRUE, in, 3, FALSE, &n);
  /* continuing differs from the start */
  again = push_pull (h, TRUE, in, 3, FALSE, &n);
  CU_ASSERT (memcmp (first, again, sizeof (float) * 3 * D) != 0);
  g_free (again);

  /* flush */
  gst_harness_push_event (h, gst_event_new_flush_start ());
  gst_harness_push_event (h, gst_event_new_flush_stop (TRUE));
  gst_harness_set_src_caps_str (h, "other/tensors,format=flexible,"
      "num_tensors=1,types=float32,dimensions=(string)6,framerate=100/1");
  again = push_pull (h, TRUE, in, 3, FALSE, &n);
  CU_ASSERT (memcmp (first, again, sizeof (float) * 3 * D) == 0);
  g_free (again);

  /* seqenc-reset */
  g_free (push_pull (h, TRUE, in, 3, FALSE, &n));
  CU_ASSERT (gst_harness_push_event (h, gst_seq_reset_event_new ()));
  again = push_pull (h, TRUE, in, 3, FALSE, &n);
  CU_ASSERT (memcmp (first, again, sizeof (float) * 3 * D) == 0);
  g_free (again);

  /* discont */
  g_free (push_pull (h, TRUE, in, 3, FALSE, &n));
  again = push_pull (h, TRUE, in, 3, TRUE, &n);
  CU_ASSERT (memcmp (first, again, sizeof (float) * 3 * D) == 0);
  g_free (again);

  /* reset-on without discont: a DISCONT buffer continues */
  g_object_set (gst_harness_find_element (h, "seqposenc"), "reset-on", 7,
      NULL);
  again = push_pull (h, TRUE, in, 3, TRUE, &n);
  CU_ASSERT (memcmp (first, again, sizeof (float) * 3 * D) != 0);
  g_free (again);

  g_free (first);
  g_free (in);
  gst_harness_teardown (h);
}

static void
element_posenc_bad_flexible_header_is_stream_error (void)
{
  GstHarness *h = posenc_harness (NULL, "flexible", 0);
  GstElement *e = gst_harness_find_element (h, "seqposenc");
  GstBus *bus = gst_bus_new ();
  float in[D] = { 0 };
  GstBuffer *buf = seq_test_tensor_buffer (TRUE, GST_SEQ_TENSOR_TYPE_FLOAT32, D, 1,
      in);
  GstMessage *msg;
  GError *err = NULL;

  gst_element_set_bus (e, bus);
  gst_buffer_memset (buf, 0, 0x11, 4);  /* break the magic */
  CU_ASSERT_EQUAL (gst_harness_push (h, buf), GST_FLOW_ERROR);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  CU_ASSERT_PTR_NOT_NULL_FATAL (msg);
  gst_message_parse_error (msg, &err, NULL);
  CU_ASSERT (g_error_matches (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT));
  g_clear_error (&err);
  gst_message_unref (msg);

  /* truncated: header says 2 frames, 1 present */
  buf = seq_test_tensor_buffer (TRUE, GST_SEQ_TENSOR_TYPE_FLOAT32, D, 1, in);
  {
    GstMapInfo map;
    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    GST_WRITE_UINT32_LE (map.data + 16, 2);
    gst_buffer_unmap (buf, &map);
  }
  CU_ASSERT_EQUAL (gst_harness_push (h, buf), GST_FLOW_ERROR);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  CU_ASSERT_PTR_NOT_NULL (msg);
  if (msg)
    gst_message_unref (msg);

  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  gst_harness_teardown (h);
}

static void
element_posenc_keeps_timestamps (void)
{
  GstHarness *h = posenc_harness (NULL, "static", 2);
  float in[2 * D] = { 0 };
  GstBuffer *buf = seq_test_tensor_buffer (FALSE, GST_SEQ_TENSOR_TYPE_FLOAT32, D,
      2, in), *out;

  GST_BUFFER_PTS (buf) = 5 * GST_SECOND;
  GST_BUFFER_DURATION (buf) = 20 * GST_MSECOND;
  GST_BUFFER_OFFSET (buf) = 500;
  GST_BUFFER_OFFSET_END (buf) = 502;
  CU_ASSERT_EQUAL (gst_harness_push (h, buf), GST_FLOW_OK);
  out = gst_harness_try_pull (h);
  CU_ASSERT_PTR_NOT_NULL_FATAL (out);
  CU_ASSERT_EQUAL (GST_BUFFER_PTS (out), 5 * GST_SECOND);
  CU_ASSERT_EQUAL (GST_BUFFER_DURATION (out), 20 * GST_MSECOND);
  CU_ASSERT_EQUAL (GST_BUFFER_OFFSET (out), 500);
  CU_ASSERT_EQUAL (GST_BUFFER_OFFSET_END (out), 502);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

static void
element_posenc_width_change_midstream_is_stream_error (void)
{
  GstHarness *h = gst_harness_new_parse ("seqposenc");
  float in[8 * 2] = { 0 };
  GstBuffer *out;

  /* flexible caps without a width: it comes from each buffer's header */
  gst_harness_set_src_caps_str (h, "other/tensors,format=flexible,"
      "num_tensors=1,types=float32,framerate=0/1");
  CU_ASSERT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (TRUE,
              GST_SEQ_TENSOR_TYPE_FLOAT32, 8, 2, in)), GST_FLOW_OK);
  out = gst_harness_try_pull (h);
  CU_ASSERT_PTR_NOT_NULL (out);
  gst_clear_buffer (&out);
  CU_ASSERT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (TRUE,
              GST_SEQ_TENSOR_TYPE_FLOAT32, 4, 4, in)), GST_FLOW_ERROR);
  gst_harness_teardown (h);
}

static void
element_posenc_zero_frame_buffer_passes_and_keeps_position (void)
{
  GstHarness *h = posenc_harness (NULL, "flexible", 0);
  float *in = ramp (D * 2, 0.0f), *a, *b;
  GstBuffer *out;
  gsize n;

  a = push_pull (h, TRUE, in, 2, FALSE, &n);
  CU_ASSERT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (TRUE,
              GST_SEQ_TENSOR_TYPE_FLOAT32, D, 0, in)), GST_FLOW_OK);
  out = gst_harness_try_pull (h);
  CU_ASSERT_PTR_NOT_NULL_FATAL (out);
  CU_ASSERT_EQUAL (gst_buffer_get_size (out), GST_SEQ_TENSOR_HEADER_SIZE);
  gst_buffer_unref (out);
  /* the position went on by 2, not 0 or 3 */
  b = push_pull (h, TRUE, in, 2, FALSE, &n);
  {
    SeqPosEncParams p = seq_posenc_params_default ();
    SeqPosEnc *pe;
    float want[D * 4], twice[D * 4];
    p.frame_dim = D;
    pe = seq_posenc_new (&p, NULL);
    memcpy (twice, in, sizeof (float) * D * 2);
    memcpy (twice + D * 2, in, sizeof (float) * D * 2);
    seq_posenc_process (pe, twice, want, 4, NULL);
    CU_ASSERT (memcmp (b, want + D * 2, sizeof (float) * D * 2) == 0);
    seq_posenc_free (pe);
  }
  g_free (a);
  g_free (b);
  g_free (in);
  gst_harness_teardown (h);
}

static void
tensor_caps_parse_refuses_bad_fields (void)
{
  const char *bad[] = {
    "other/tensors,format=static,num_tensors=1,types=float32,"
        "dimensions=(string)4:1,framerate=-1/1",
    "other/tensors,format=static,num_tensors=2,types=float32,"
        "dimensions=(string)4:1,framerate=0/1",
    "other/tensors,format=static,num_tensors=1,types=float64,"
        "dimensions=(string)4:1,framerate=0/1",
    "other/tensors,format=static,num_tensors=1,types=float32,"
        "dimensions=(string)0:1,framerate=0/1",
    "other/tensors,format=static,num_tensors=1,types=float32,"
        "dimensions=(string)4:2:3,framerate=0/1",
    "other/tensors,format=sparse,num_tensors=1,types=float32,"
        "dimensions=(string)4:1,framerate=0/1",
    "other/tensors,format=static,num_tensors=1,types=float32,framerate=0/1",
    "audio/x-raw,format=S16LE",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    GstCaps *caps = gst_caps_from_string (bad[i]);
    GstSeqTensorCaps info;
    gchar *why = NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL (caps);
    CU_ASSERT_FALSE (gst_seq_tensor_caps_parse (caps, &info, &why));
    CU_ASSERT_PTR_NOT_NULL (why);
    g_free (why);
    gst_caps_unref (caps);
  }
}

/* ---- learned table (tests/gen_posenc_learned.py) ------------------------ */

#define LD 16                   /* the table's width */

static float *
fixture_tensor (SeqWeights * w, const char *name)
{
  const SeqTensorInfo *t = seq_weights_find (w, name);
  float *v;

  CU_ASSERT_PTR_NOT_NULL_FATAL (t);
  v = g_new (float, t->n_elements);
  CU_ASSERT_TRUE_FATAL (seq_tensor_to_f32 (t, v, t->n_elements, NULL));
  return v;
}

static GstHarness *
learned_harness (const char *props)
{
  gchar *path = seq_test_data_path ("posenc_learned.safetensors");
  gchar *launch = g_strdup_printf ("seqposenc table=\"%s\" %s", path, props);
  gchar *caps = seq_test_caps ("flexible", "float32", LD, 0, 100);
  GstHarness *h = seq_test_harness (launch);

  gst_harness_set_src_caps_str (h, caps);
  g_free (launch);
  g_free (caps);
  g_free (path);
  return h;
}

/* 30 frames in buffers of @chunk through @h; output width @width */
static float *
learned_run (GstHarness * h, const float *in, guint chunk, guint width)
{
  float *all = g_new (float, 30 * width);

  for (guint t = 0; t < 30; t += chunk) {
    guint n = MIN (chunk, 30 - t);
    GstBuffer *out;
    float *v;
    gsize nv;
    CU_ASSERT_EQUAL_FATAL (gst_harness_push (h, seq_test_tensor_buffer (TRUE,
                GST_SEQ_TENSOR_TYPE_FLOAT32, LD, n, in + t * LD)), GST_FLOW_OK);
    out = gst_harness_try_pull (h);
    CU_ASSERT_PTR_NOT_NULL_FATAL (out);
    v = seq_test_buffer_values (out, TRUE, &nv);
    CU_ASSERT_EQUAL_FATAL (nv, (gsize) n * width);
    memcpy (all + t * width, v, nv * sizeof (float));
    g_free (v);
    gst_buffer_unref (out);
  }
  return all;
}

/* mode=learned / learned-concat with past-end=wrap: torch's x + table[p mod
 * 12] and cat (x, table[p mod 12]), bitwise, the position running on
 * across buffers */
static void
element_posenc_learned_matches_torch_across_buffers (void)
{
  gchar *path = seq_test_data_path ("posenc_learned.safetensors");
  SeqWeights *w = seq_weights_open (path, NULL);
  float *x = fixture_tensor (w, "test.input");
  float *add = fixture_tensor (w, "test.add_wrap");
  float *cat = fixture_tensor (w, "test.concat_wrap");
  const guint chunks[] = { 1, 7, 30 };

  for (guint c = 0; c < G_N_ELEMENTS (chunks); c++) {
    GstHarness *h = learned_harness ("mode=learned past-end=wrap");
    float *got = learned_run (h, x, chunks[c], LD);
    CU_ASSERT (memcmp (got, add, 30 * LD * sizeof (float)) == 0);
    g_free (got);
    gst_harness_teardown (h);
    h = learned_harness ("mode=learned-concat past-end=wrap");
    got = learned_run (h, x, chunks[c], 2 * LD);
    CU_ASSERT (memcmp (got, cat, 30 * 2 * LD * sizeof (float)) == 0);
    g_free (got);
    gst_harness_teardown (h);
  }
  g_free (x);
  g_free (add);
  g_free (cat);
  seq_weights_unref (w);
  g_free (path);
}

/* past-end=error: the buffer that reaches position 12 (of a 12-row table)
 * is a STREAM FORMAT error naming it */
static void
element_posenc_learned_past_end_is_stream_error (void)
{
  GstHarness *h = learned_harness ("mode=learned");
  float in[5 * LD] = { 0 };
  GstMessage *msg;
  GError *err = NULL;
  gchar *dbg = NULL;

  for (guint i = 0; i < 2; i++) {
    GstBuffer *out;
    CU_ASSERT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (TRUE,
                GST_SEQ_TENSOR_TYPE_FLOAT32, LD, 5, in)), GST_FLOW_OK);
    out = gst_harness_try_pull (h);
    CU_ASSERT_PTR_NOT_NULL (out);
    if (out)
      gst_buffer_unref (out);
  }
  /* positions 10..14 */
  CU_ASSERT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (TRUE,
              GST_SEQ_TENSOR_TYPE_FLOAT32, LD, 5, in)), GST_FLOW_ERROR);
  msg = seq_test_pop_error (h);
  CU_ASSERT_PTR_NOT_NULL_FATAL (msg);
  gst_message_parse_error (msg, &err, &dbg);
  CU_ASSERT (g_error_matches (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT));
  CU_ASSERT (dbg != NULL && strstr (dbg, "position 12") != NULL);
  g_clear_error (&err);
  g_free (dbg);
  gst_message_unref (msg);
  gst_harness_teardown (h);
}

static void
element_posenc_learned_table_errors (void)
{
  GstElement *e;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;
  const char *tables[] = { "/nonexistent/table.safetensors", NULL };

  /* a missing file, or none: RESOURCE NOT_FOUND at NULL -> READY */
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++) {
    e = gst_element_factory_make ("seqposenc", NULL);
    bus = gst_bus_new ();
    gst_element_set_bus (e, bus);
    gst_util_set_object_arg (G_OBJECT (e), "mode", "learned");
    if (tables[i])
      g_object_set (e, "table", tables[i], NULL);
    CU_ASSERT_EQUAL (gst_element_set_state (e, GST_STATE_READY),
        GST_STATE_CHANGE_FAILURE);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    CU_ASSERT_PTR_NOT_NULL_FATAL (msg);
    gst_message_parse_error (msg, &err, NULL);
    CU_ASSERT (g_error_matches (err, GST_RESOURCE_ERROR,
            GST_RESOURCE_ERROR_NOT_FOUND));
    g_clear_error (&err);
    gst_message_unref (msg);
    gst_element_set_state (e, GST_STATE_NULL);
    gst_element_set_bus (e, NULL);
    gst_object_unref (bus);
    gst_object_unref (e);
  }
  /* frames of another width than the table: not negotiated */
  {
    gchar *path = seq_test_data_path ("posenc_learned.safetensors");
    gchar *launch = g_strdup_printf ("seqposenc mode=learned table=\"%s\"",
        path);
    GstHarness *h = gst_harness_new_parse (launch);
    float in[D] = { 0 };
    gst_harness_set_src_caps_str (h, "other/tensors,format=flexible,"
        "num_tensors=1,types=float32,dimensions=(string)6,framerate=100/1");
    CU_ASSERT_NOT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (TRUE,
                GST_SEQ_TENSOR_TYPE_FLOAT32, D, 1, in)), GST_FLOW_OK);
    gst_harness_teardown (h);
    g_free (launch);
    g_free (path);
  }
}

int
main (void)
{
  static const SeqTestCase cases[] = {
    {"element_posenc_output_equals_library",
        element_posenc_output_equals_library},
    {"element_posenc_concat_negotiates_wider_frames",
        element_posenc_concat_negotiates_wider_frames},
    {"element_posenc_rejects_int32_caps", element_posenc_rejects_int32_caps},
    {"element_posenc_resets_on_flush_event_and_discont",
        element_posenc_resets_on_flush_event_and_discont},
    {"element_posenc_bad_flexible_header_is_stream_error",
        element_posenc_bad_flexible_header_is_stream_error},
    {"element_posenc_keeps_timestamps", element_posenc_keeps_timestamps},
    {"element_posenc_width_change_midstream_is_stream_error",
        element_posenc_width_change_midstream_is_stream_error},
    {"element_posenc_zero_frame_buffer_passes_and_keeps_position",
        element_posenc_zero_frame_buffer_passes_and_keeps_position},
    {"tensor_caps_parse_refuses_bad_fields",
        tensor_caps_parse_refuses_bad_fields},
    {"element_posenc_learned_matches_torch_across_buffers",
        element_posenc_learned_matches_torch_across_buffers},
    {"element_posenc_learned_past_end_is_stream_error",
        element_posenc_learned_past_end_is_stream_error},
    {"element_posenc_learned_table_errors",
        element_posenc_learned_table_errors},
    {NULL, NULL}
  };
  seq_test_gst_init ();
  return seq_test_run ("element_posenc", cases);
}
