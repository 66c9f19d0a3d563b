/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — caps negotiation between real elements in parsed pipelines:
 * every width-fixing property links with static D:1, static D:7 and flexible
 * input; a width mismatch is reported by the element that knows, naming both
 * widths and both elements; an empty stream still carries its width. */
#include "seqtest-gst.h"

#include <glib/gstdio.h>

/* Long enough for a loaded machine; a healthy run takes milliseconds. */
#define PIPELINE_TIMEOUT (20 * GST_SECOND)

typedef struct {
  guint frames;                 /* frames that reached the appsink */
  guint dim;                    /* their width (0 when none came) */
  gchar *error;                 /* message + debug of the first ERROR, or NULL */
  gchar *error_src;             /* name of the element that posted it */
} RunResult;

static void
run_result_clear (RunResult * r)
{
  g_free (r->error);
  g_free (r->error_src);
  memset (r, 0, sizeof (*r));
}

/* Runs "appsrc name=src caps=@caps ! @caps ! @middle ! appsink", pushing
 * @n_buffers buffers of @frames frames of @dim values (float32, or int32 ids
 * 0..9 when @ids), flexible headers when @flexible, then EOS. */
static void
run_pipeline (const gchar * caps, const gchar * middle, gboolean flexible,
    gboolean ids, guint dim, guint frames, guint n_buffers, RunResult * r)
{
  /* the caps twice: on appsrc, and as a filtered link (a capsfilter), which
   * is what queries the next element's caps at link time as gst-launch does */
  gchar *launch = g_strdup_printf ("appsrc name=src format=time caps=\"%s\" "
      "! %s ! %s ! appsink name=sink sync=false wait-on-eos=false", caps, caps,
      middle);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (launch, &err);
  GstElement *src, *sink;
  GstBus *bus;
  GstMessage *msg;
  GstSample *sample = NULL;

  memset (r, 0, sizeof (*r));
  if (pipe == NULL) {
    r->error = g_strdup_printf ("could not build: %s", err->message);
    r->error_src = g_strdup ("parse");
    g_clear_error (&err);
    g_free (launch);
    return;
  }
  g_clear_error (&err);         /* a warning-only parse still builds */
  src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);

  for (guint b = 0; b < n_buffers; b++) {
    gsize n = (gsize) dim * frames;
    gpointer values = g_malloc (n * 4);
    GstBuffer *buf;
    GstFlowReturn fr;

    for (gsize i = 0; i < n; i++) {
      if (ids)
        ((gint32 *) values)[i] = (gint32) ((b * 7 + i) % 10);
      else
        ((float *) values)[i] = (float) ((b * 131 + i) % 17) / 17.0f - 0.5f;
    }
    buf = seq_test_tensor_buffer (flexible, ids ? GST_SEQ_TENSOR_TYPE_INT32 :
        GST_SEQ_TENSOR_TYPE_FLOAT32, dim, frames, values);
    GST_BUFFER_PTS (buf) = b * GST_MSECOND * 10 * frames;
    g_signal_emit_by_name (src, "push-buffer", buf, &fr);
    gst_buffer_unref (buf);
    g_free (values);
    if (fr != GST_FLOW_OK)
      break;
  }
  {
    GstFlowReturn fr;
    g_signal_emit_by_name (src, "end-of-stream", &fr);
  }

  msg = gst_bus_timed_pop_filtered (bus, PIPELINE_TIMEOUT,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  if (msg == NULL) {
    r->error = g_strdup ("timeout: neither EOS nor ERROR");
    r->error_src = g_strdup ("test");
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gchar *dbg = NULL;
    gst_message_parse_error (msg, &err, &dbg);
    r->error = g_strdup_printf ("%s | %s", err->message, dbg ? dbg : "");
    r->error_src = gst_object_get_name (GST_MESSAGE_SRC (msg));
    g_clear_error (&err);
    g_free (dbg);
  }
  if (msg)
    gst_message_unref (msg);

  while (TRUE) {
    GstBuffer *buf;
    GstCaps *scaps;
    GstSeqTensorCaps info;
    GstSeqTensorView view;

    sample = NULL;
    g_signal_emit_by_name (sink, "try-pull-sample", (GstClockTime) 0,
        &sample);
    if (sample == NULL)
      break;
    buf = gst_sample_get_buffer (sample);
    scaps = gst_sample_get_caps (sample);
    if (gst_seq_tensor_caps_parse (scaps, &info, NULL)
        && gst_seq_tensor_view_map (&view, buf, &info, NULL)) {
      r->frames += view.frames;
      r->dim = view.dim;
      gst_seq_tensor_view_unmap (&view);
    }
    gst_sample_unref (sample);
  }

  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (launch);
}

typedef struct {
  const gchar *middle;          /* the elements under test */
  gboolean ids;                 /* int32 ids in (else float32) */
  guint in_dim;
  guint out_dim;
} LinkCase;

/* Issue: "seqlstm input-size=24" after a static 24:1 capsfilter could not
 * link (the width alone, "24", never intersects "24:T"). */
static void
negotiation_width_fixing_properties_link_static_and_flexible (void)
{
  gchar *model = seq_test_data_path ("lstm_two_calls.safetensors");
  gchar *with_model = g_strdup_printf ("seqlstm model=%s", model);
  gchar *posenc_model = g_strdup_printf ("seqposenc ! seqlstm model=%s",
      model);
  const LinkCase cases[] = {
    {"seqlstm input-size=24 hidden-size=16 num-layers=1", FALSE, 24, 16},
    {"seqposenc ! seqlstm input-size=24 hidden-size=16", FALSE, 24, 16},
    {"seqposenc mode=concat pe-dim=8 ! seqlstm input-size=32 hidden-size=8",
        FALSE, 24, 8},
    {with_model, FALSE, 40, 50},
    {posenc_model, FALSE, 40, 50},
    {"seqembed dim=16", TRUE, 1, 16},
    {"seqembed dim=16 ! seqlstm input-size=16 hidden-size=12", TRUE, 1, 12},
    {"seqembed dim=16 ! seqposenc ! seqlstm hidden-size=12", TRUE, 1, 12},
  };
  const struct {
    const char *format;
    guint frames;
  } shapes[] = { {"static", 1}, {"static", 7}, {"flexible", 5} };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    for (guint s = 0; s < G_N_ELEMENTS (shapes); s++) {
      gboolean flexible = g_str_equal (shapes[s].format, "flexible");
      gchar *caps = seq_test_caps (shapes[s].format,
          cases[c].ids ? "int32" : "float32", cases[c].in_dim,
          shapes[s].frames, 0);
      RunResult r;

      run_pipeline (caps, cases[c].middle, flexible, cases[c].ids,
          cases[c].in_dim, shapes[s].frames, 3, &r);
      if (r.error != NULL || r.frames != 3 * shapes[s].frames
          || r.dim != cases[c].out_dim)
        g_printerr ("\n  [%s] after %s: %u frames of %u, error %s: %s\n",
            cases[c].middle, caps, r.frames, r.dim,
            r.error_src ? r.error_src : "-", r.error ? r.error : "-");
      CU_ASSERT_PTR_NULL (r.error);
      CU_ASSERT_EQUAL (r.frames, 3 * shapes[s].frames);
      CU_ASSERT_EQUAL (r.dim, cases[c].out_dim);
      run_result_clear (&r);
      g_free (caps);
    }
  }
  g_free (posenc_model);
  g_free (with_model);
  g_free (model);
}

static gboolean
contains_all (const gchar * text, const gchar * const *words)
{
  for (; *words; words++)
    if (text == NULL || strstr (text, *words) == NULL) {
      g_printerr ("\n  \"%s\" not in: %s\n", *words, text ? text : "(null)");
      return FALSE;
    }
  return TRUE;
}

/* Issue: "seqembed dim=64 ! seqlstm model=<40-input>" said only
 * "not-negotiated" from the source. */
static void
negotiation_width_mismatch_names_both_widths_and_elements (void)
{
  gchar *model = seq_test_data_path ("lstm_two_calls.safetensors");
  gchar *middle;
  gchar *caps;
  RunResult r;

  /* seqembed dim=64 into a 40-input model */
  middle = g_strdup_printf ("seqembed name=emb dim=64 ! seqlstm name=enc "
      "model=%s", model);
  caps = seq_test_caps ("flexible", "int32", 1, 4, 0);
  run_pipeline (caps, middle, TRUE, TRUE, 1, 4, 2, &r);
  CU_ASSERT_STRING_EQUAL (r.error_src, "enc");
  {
    const gchar *w[] = { "enc", "emb", "64", "40", NULL };
    CU_ASSERT_TRUE (contains_all (r.error, w));
  }
  CU_ASSERT_EQUAL (r.frames, 0);
  run_result_clear (&r);
  g_free (caps);
  g_free (middle);

  /* static frames of 24 through a capsfilter and a queue into
   * input-size=20: the source is named, not what passes the frames on */
  caps = seq_test_caps ("static", "float32", 24, 1, 0);
  run_pipeline (caps, "queue ! seqlstm name=enc input-size=20",
      FALSE, FALSE, 24, 1, 2, &r);
  CU_ASSERT_STRING_EQUAL (r.error_src, "enc");
  {
    const gchar *w[] = { "enc", "src", "24", "20", NULL };
    CU_ASSERT_TRUE (contains_all (r.error, w));
  }
  run_result_clear (&r);
  g_free (caps);

  /* three values per frame into seqembed, which takes one id per frame */
  caps = seq_test_caps ("static", "int32", 3, 2, 0);
  run_pipeline (caps, "seqembed name=emb dim=8", FALSE, TRUE, 3, 2, 1, &r);
  CU_ASSERT_STRING_EQUAL (r.error_src, "emb");
  {
    const gchar *w[] = { "emb", "src", "3", "1 values", NULL };
    CU_ASSERT_TRUE (contains_all (r.error, w));
  }
  run_result_clear (&r);
  g_free (caps);
  g_free (model);
}

/* Issue: an empty text wrote a .npy of shape (0, 0). */
static void
negotiation_empty_stream_writes_zero_rows_of_known_width (void)
{
  gchar *dir = seq_test_tmpdir ();
  gchar *empty = g_build_filename (dir, "empty.txt", NULL);
  gchar *npy = g_build_filename (dir, "out.npy", NULL);
  gchar *launch, *contents = NULL;
  gsize len = 0;
  GstElement *pipe;
  GstBus *bus;
  GstMessage *msg;

  g_file_set_contents (empty, "", 0, NULL);
  launch = g_strdup_printf ("filesrc location=%s ! text/x-raw,format=utf8 ! "
      "seqtokenizer ! seqembed dim=24 ! seqposenc ! seqnpysink location=%s",
      empty, npy);
  pipe = gst_parse_launch (launch, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (pipe);
  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, PIPELINE_TIMEOUT,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  CU_ASSERT_PTR_NOT_NULL (msg);
  if (msg) {
    CU_ASSERT_EQUAL (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
    gst_message_unref (msg);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  /* the .npy header (binary magic and version, then the dict) */
  CU_ASSERT_TRUE (g_file_get_contents (npy, &contents, &len, NULL));
  CU_ASSERT_PTR_NOT_NULL (contents ? memmem (contents, len,
          "'shape': (0, 24)", 16) : NULL);
  g_free (contents);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  g_free (launch);
  g_free (npy);
  g_free (empty);
  g_free (dir);
}

int
main (int argc, char **argv)
{
  const SeqTestCase cases[] = {
    {"negotiation_width_fixing_properties_link_static_and_flexible",
        negotiation_width_fixing_properties_link_static_and_flexible},
    {"negotiation_width_mismatch_names_both_widths_and_elements",
        negotiation_width_mismatch_names_both_widths_and_elements},
    {"negotiation_empty_stream_writes_zero_rows_of_known_width",
        negotiation_empty_stream_writes_zero_rows_of_known_width},
    {NULL, NULL}
  };

  seq_test_gst_init ();
  return seq_test_run ("element_negotiation", cases);
}
