/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — seqtokenizer through GstHarness. */
#include "seqtest-gst.h"

#include <seqenc/tokenizer.h>
#include <glib/gstdio.h>

#define TEXT_CAPS "text/x-raw,format=utf8"

static gchar *
vocab_path (const char *name)
{
  gchar *rel = g_build_filename ("vocab", name, NULL);
  gchar *p = seq_test_data_path (rel);
  g_free (rel);
  return p;
}

static gboolean
have_gpt2 (void)
{
  gchar *e = vocab_path ("encoder.json"), *m = vocab_path ("vocab.bpe");
  gboolean ok = g_file_test (e, G_FILE_TEST_IS_REGULAR)
      && g_file_test (m, G_FILE_TEST_IS_REGULAR);
  if (!ok)
    g_printerr ("\n    SKIPPED: GPT-2 vocabulary absent (run "
        "tests/fetch-vocab.sh) ");
  g_free (e);
  g_free (m);
  return ok;
}

static gchar *
bpe_launch (const char *extra)
{
  gchar *e = vocab_path ("encoder.json"), *m = vocab_path ("vocab.bpe");
  gchar *s = g_strdup_printf ("seqtokenizer mode=bpe vocab=\"%s\" "
      "merges=\"%s\" %s", e, m, extra ? extra : "");
  g_free (e);
  g_free (m);
  return s;
}

static GstBuffer *
text_buffer (const void *data, gsize len, GstClockTime pts)
{
  GstBuffer *b = gst_buffer_new_memdup (data, len);
  GST_BUFFER_PTS (b) = pts;
  return b;
}

/* Pulls every buffer available; appends the ids; checks each header. */
static guint
pull_ids (GstHarness * h, GArray * ids, GArray * pts)
{
  GstBuffer *b;
  guint n = 0;

  while ((b = gst_harness_try_pull (h)) != NULL) {
    GstMapInfo map;
    GstSeqTensorType type;
    guint dim, frames;

    gst_buffer_map (b, &map, GST_MAP_READ);
    CU_ASSERT_FATAL (gst_seq_tensor_header_parse (map.data, map.size, &type, &dim,
            &frames, NULL));
    CU_ASSERT_EQUAL (type, GST_SEQ_TENSOR_TYPE_INT32);
    CU_ASSERT_EQUAL (dim, 1);
    CU_ASSERT_EQUAL (map.size, GST_SEQ_TENSOR_HEADER_SIZE + 4 * (gsize) frames);
    g_array_append_vals (ids, map.data + GST_SEQ_TENSOR_HEADER_SIZE, frames);
    if (pts) {
      GstClockTime t = GST_BUFFER_PTS (b);
      g_array_append_val (pts, t);
    }
    gst_buffer_unmap (b, &map);
    gst_buffer_unref (b);
    n++;
  }
  return n;
}

static GArray *
ids_new (void)
{
  return g_array_new (FALSE, FALSE, sizeof (gint32));
}

static void
element_tokenizer_bytes_emits_flexible_int32_ids (void)
{
  GstHarness *h = seq_test_harness ("seqtokenizer");
  GArray *ids = ids_new ();
  GstCaps *caps;
  GstSeqTensorCaps info;
  GstBuffer *b;

  gst_harness_set_src_caps_str (h, TEXT_CAPS);
  CU_ASSERT_EQUAL (gst_harness_push (h, text_buffer ("h\xc3\xa9", 3, 0)),
      GST_FLOW_OK);
  b = gst_harness_try_pull (h);
  CU_ASSERT_PTR_NOT_NULL_FATAL (b);
  CU_ASSERT_EQUAL (GST_BUFFER_OFFSET (b), 0);
  CU_ASSERT_EQUAL (GST_BUFFER_OFFSET_END (b), 3);
  gst_buffer_unref (b);
  caps = gst_pad_get_current_caps (h->sinkpad);
  CU_ASSERT_FATAL (caps != NULL && gst_seq_tensor_caps_parse (caps, &info, NULL));
  CU_ASSERT_EQUAL (info.format, GST_SEQ_TENSOR_FORMAT_FLEXIBLE);
  CU_ASSERT_EQUAL (info.type, GST_SEQ_TENSOR_TYPE_INT32);
  CU_ASSERT_EQUAL (info.dim, 1);
  CU_ASSERT_EQUAL (info.rate_n, 0);
  gst_caps_unref (caps);

  CU_ASSERT_EQUAL (gst_harness_push (h, text_buffer ("\0z", 2, 0)),
      GST_FLOW_OK);
  pull_ids (h, ids, NULL);
  CU_ASSERT_EQUAL_FATAL (ids->len, 2);
  CU_ASSERT_EQUAL (g_array_index (ids, gint32, 0), 0);
  CU_ASSERT_EQUAL (g_array_index (ids, gint32, 1), 'z');
  g_array_unref (ids);
  gst_harness_teardown (h);
}

/* The whole corpus record by record, cut into random buffers, gives the
 * library's one-shot ids (which test_tokenizer checks against the
 * references). */
static void
element_tokenizer_ids_do_not_depend_on_buffer_splits (void)
{
  gchar *launch, *path = seq_test_data_path ("tok_corpus.bin");
  gchar *data;
  gsize len;
  SeqTokenizerParams p = seq_tokenizer_params_default ();
  gchar *e = vocab_path ("encoder.json"), *m = vocab_path ("vocab.bpe");
  SeqTokenizer *tok;
  GRand *rand = g_rand_new_with_seed (5);
  GstHarness *h;
  GArray *want = ids_new (), *got = ids_new ();
  gboolean bpe = have_gpt2 ();

  p.mode = bpe ? SEQ_TOKENIZER_MODE_BPE : SEQ_TOKENIZER_MODE_CHARS;
  p.vocab = e;
  p.merges = m;
  tok = seq_tokenizer_new (&p, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (tok);
  CU_ASSERT_FATAL (g_file_get_contents (path, &data, &len, NULL));
  seq_tokenizer_encode (tok, (const guint8 *) data, len, want);

  launch = bpe ? bpe_launch (NULL) : g_strdup ("seqtokenizer mode=chars");
  h = seq_test_harness (launch);
  gst_harness_set_src_caps_str (h, TEXT_CAPS);
  for (gsize pos = 0; pos < len;) {
    gsize n = MIN (len - pos, (gsize) g_rand_int_range (rand, 1, 200));
    CU_ASSERT_EQUAL (gst_harness_push (h, text_buffer (data + pos, n,
                GST_CLOCK_TIME_NONE)), GST_FLOW_OK);
    pos += n;
    pull_ids (h, got, NULL);
  }
  CU_ASSERT (gst_harness_push_event (h, gst_event_new_eos ()));
  pull_ids (h, got, NULL);
  CU_ASSERT_EQUAL (got->len, want->len);
  CU_ASSERT (got->len == want->len && memcmp (got->data, want->data,
          4 * got->len) == 0);

  gst_harness_teardown (h);
  g_free (launch);
  g_array_unref (want);
  g_array_unref (got);
  g_rand_free (rand);
  seq_tokenizer_unref (tok);
  g_free (data);
  g_free (path);
  g_free (e);
  g_free (m);
}

static void
element_tokenizer_eos_emits_the_held_word_then_eos (void)
{
  gchar *launch;
  GstHarness *h;
  GArray *ids = ids_new ();
  GstEvent *ev;
  gboolean saw_eos = FALSE;

  if (!have_gpt2 ())
    return;
  launch = bpe_launch (NULL);
  h = seq_test_harness (launch);
  gst_harness_set_src_caps_str (h, TEXT_CAPS);
  gst_harness_push (h, text_buffer ("Hello wor", 9, 0));
  CU_ASSERT_EQUAL (pull_ids (h, ids, NULL), 1);
  CU_ASSERT_EQUAL (ids->len, 1);        /* Hello */
  CU_ASSERT (gst_harness_push_event (h, gst_event_new_eos ()));
  CU_ASSERT_EQUAL (pull_ids (h, ids, NULL), 1);
  CU_ASSERT (ids->len >= 2);            /* " wor" */
  while ((ev = gst_harness_try_pull_event (h)) != NULL) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS)
      saw_eos = TRUE;
    gst_event_unref (ev);
  }
  CU_ASSERT (saw_eos);
  gst_harness_teardown (h);
  g_free (launch);
  g_array_unref (ids);
}

static GstEvent *
time_segment_event (void)
{
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  return gst_event_new_segment (&seg);
}

/* chars mode: "\xe4\xbd" is held until "\xa0" completes it to U+4F60; a
 * reset in between makes both halves U+FFFD. */
static void
check_split_sequence (const char *launch, int how, gboolean expect_reset)
{
  GstHarness *h = seq_test_harness (launch);
  GArray *ids = ids_new ();
  GstBuffer *second;

  gst_harness_set_src_caps_str (h, TEXT_CAPS);
  gst_harness_push (h, text_buffer ("\xe4\xbd", 2, 0));
  CU_ASSERT_EQUAL (pull_ids (h, ids, NULL), 0);
  second = text_buffer ("\xa0", 1, GST_SECOND);
  switch (how) {
    case 0:                    /* flush */
      CU_ASSERT (gst_harness_push_event (h, gst_event_new_flush_start ()));
      CU_ASSERT (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
      CU_ASSERT (gst_harness_push_event (h, time_segment_event ()));
      break;
    case 1:                    /* seqenc-reset */
      CU_ASSERT (gst_harness_push_event (h, gst_seq_reset_event_new ()));
      break;
    case 2:                    /* DISCONT */
      GST_BUFFER_FLAG_SET (second, GST_BUFFER_FLAG_DISCONT);
      break;
  }
  gst_harness_push (h, second);
  CU_ASSERT (gst_harness_push_event (h, gst_event_new_eos ()));
  pull_ids (h, ids, NULL);
  if (!expect_reset) {
    CU_ASSERT (ids->len == 1 && g_array_index (ids, gint32, 0) == 0x4f60);
  } else if (how == 0) {
    /* flushed: the held half is dropped, the rest is one U+FFFD */
    CU_ASSERT (ids->len == 1 && g_array_index (ids, gint32, 0) == 0xfffd);
  } else {
    /* ended: the held half is emitted as U+FFFD, then the rest */
    CU_ASSERT (ids->len == 2 && g_array_index (ids, gint32, 0) == 0xfffd
        && g_array_index (ids, gint32, 1) == 0xfffd);
  }
  g_array_unref (ids);
  gst_harness_teardown (h);
}

static void
element_tokenizer_flush_drops_the_held_text (void)
{
  check_split_sequence ("seqtokenizer mode=chars", 0, TRUE);
  check_split_sequence ("seqtokenizer mode=chars reset-on=event+discont", 0,
      FALSE);
}

static void
element_tokenizer_reset_event_ends_the_held_text_and_restarts (void)
{
  check_split_sequence ("seqtokenizer mode=chars", 1, TRUE);
  check_split_sequence ("seqtokenizer mode=chars reset-on=flush+discont", 1,
      FALSE);
}

static void
element_tokenizer_discont_buffer_restarts_unless_told_otherwise (void)
{
  check_split_sequence ("seqtokenizer mode=chars", 2, TRUE);
  check_split_sequence ("seqtokenizer mode=chars reset-on=flush+event", 2,
      FALSE);
}

static void
element_tokenizer_pts_is_that_of_the_first_tokens_input (void)
{
  gchar *launch;
  GstHarness *h;
  GArray *ids = ids_new ();
  GArray *pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));

  if (!have_gpt2 ())
    return;
  launch = bpe_launch (NULL);
  h = seq_test_harness (launch);
  gst_harness_set_src_caps_str (h, TEXT_CAPS);
  gst_harness_push (h, text_buffer ("Hello wor", 9, 1 * GST_SECOND));
  gst_harness_push (h, text_buffer ("ld foo", 6, 2 * GST_SECOND));
  gst_harness_push_event (h, gst_event_new_eos ());
  CU_ASSERT_EQUAL (pull_ids (h, ids, pts), 3);
  CU_ASSERT_EQUAL_FATAL (pts->len, 3);
  /* "Hello" | " world" began in the first buffer | " foo" in the second */
  CU_ASSERT_EQUAL (g_array_index (pts, GstClockTime, 0), 1 * GST_SECOND);
  CU_ASSERT_EQUAL (g_array_index (pts, GstClockTime, 1), 1 * GST_SECOND);
  CU_ASSERT_EQUAL (g_array_index (pts, GstClockTime, 2), 2 * GST_SECOND);
  gst_harness_teardown (h);
  g_free (launch);
  g_array_unref (ids);
  g_array_unref (pts);
}

static GError *
open_error (const char *mode, const char *vocab, const char *merges)
{
  GstElement *e = gst_element_factory_make ("seqtokenizer", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;

  gst_util_set_object_arg (G_OBJECT (e), "mode", mode);
  g_object_set (e, "vocab", vocab, "merges", merges, NULL);
  gst_element_set_bus (e, bus);
  CU_ASSERT_EQUAL (gst_element_set_state (e, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (msg) {
    gst_message_parse_error (msg, &err, NULL);
    gst_message_unref (msg);
  }
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  return err;
}

static void
element_tokenizer_missing_or_malformed_vocab_fails_to_start (void)
{
  gchar *dir = seq_test_tmpdir ();
  gchar *bad = g_build_filename (dir, "vocab.txt", NULL);
  GError *err;

  g_file_set_contents (bad, "[PAD]\nno unknown token here\n", -1, NULL);
  err = open_error ("bpe", "/nonexistent/encoder.json", "/nonexistent/m");
  CU_ASSERT (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND));
  g_clear_error (&err);
  err = open_error ("wordpiece", NULL, NULL);
  CU_ASSERT (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS));
  g_clear_error (&err);
  err = open_error ("wordpiece", bad, NULL);
  CU_ASSERT (g_error_matches (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT));
  g_clear_error (&err);
  g_unlink (bad);
  g_rmdir (dir);
  g_free (bad);
  g_free (dir);
}

static void
element_tokenizer_refuses_non_utf8_text (void)
{
  GstHarness *h = seq_test_harness ("seqtokenizer");
  GstCaps *caps = gst_caps_from_string ("text/x-raw,format=pango-markup");

  /* the sticky caps event is refused by the sink pad, so data is not
   * negotiated */
  gst_harness_push_event (h, gst_event_new_stream_start ("s"));
  gst_harness_push_event (h, gst_event_new_caps (caps));
  gst_harness_push_event (h, time_segment_event ());
  CU_ASSERT_EQUAL (gst_harness_push (h, text_buffer ("x", 1, 0)),
      GST_FLOW_NOT_NEGOTIATED);
  CU_ASSERT_PTR_NULL (gst_harness_try_pull (h));
  gst_caps_unref (caps);
  gst_harness_teardown (h);
}

static void
element_tokenizer_model_properties_are_fixed_while_running (void)
{
  GstHarness *h = seq_test_harness ("seqtokenizer mode=chars");
  GstElement *e = gst_harness_find_element (h, "seqtokenizer");
  gint mode = -1;

  gst_harness_set_src_caps_str (h, TEXT_CAPS);
  gst_harness_push (h, text_buffer ("a", 1, 0));
  gst_util_set_object_arg (G_OBJECT (e), "mode", "bytes");
  g_object_get (e, "mode", &mode, NULL);
  CU_ASSERT_EQUAL (mode, SEQ_TOKENIZER_MODE_CHARS);
  gst_object_unref (e);
  gst_harness_teardown (h);
}

/* Stop mid-word, start again from the state file: the ids continue as if
 * the text had never been interrupted. */
static void
element_tokenizer_state_location_resumes_mid_word (void)
{
  gchar *dir = seq_test_tmpdir ();
  gchar *loc = g_build_filename (dir, "tok.state", NULL);
  gchar *launch = g_strdup_printf ("seqtokenizer mode=chars "
      "state-location=\"%s\"", loc);
  const char *text = "ab\xe4\xbd\xa0" "c";
  GArray *ids = ids_new (), *want = ids_new ();
  SeqTokenizerParams p = seq_tokenizer_params_default ();
  SeqTokenizer *tok;
  GstHarness *h;

  p.mode = SEQ_TOKENIZER_MODE_CHARS;
  tok = seq_tokenizer_new (&p, NULL);
  seq_tokenizer_encode (tok, (const guint8 *) text, strlen (text), want);
  seq_tokenizer_unref (tok);

  /* first run: "ab" and half of U+4F60, then stop (saves) */
  h = seq_test_harness (launch);
  gst_harness_set_src_caps_str (h, TEXT_CAPS);
  gst_harness_push (h, text_buffer (text, 3, 0));
  pull_ids (h, ids, NULL);
  CU_ASSERT_EQUAL (ids->len, 2);
  gst_harness_teardown (h);
  CU_ASSERT (g_file_test (loc, G_FILE_TEST_IS_REGULAR));

  /* second run: the rest; the first STREAM_START does not reset */
  h = seq_test_harness (launch);
  gst_harness_set_src_caps_str (h, TEXT_CAPS);
  gst_harness_push (h, text_buffer (text + 3, strlen (text) - 3, 0));
  gst_harness_push_event (h, gst_event_new_eos ());
  pull_ids (h, ids, NULL);
  CU_ASSERT_EQUAL (ids->len, want->len);
  CU_ASSERT (ids->len == want->len && memcmp (ids->data, want->data,
          4 * want->len) == 0);
  gst_harness_teardown (h);

  /* a state file of another mode is refused at start */
  {
    gchar *l2 = g_strdup_printf ("seqtokenizer mode=bytes "
        "state-location=\"%s\"", loc);
    GstElement *e = gst_parse_launch (l2, NULL);
    GstBus *bus = gst_bus_new ();
    GstMessage *msg;
    gst_element_set_bus (e, bus);
    CU_ASSERT_EQUAL (gst_element_set_state (e, GST_STATE_PAUSED),
        GST_STATE_CHANGE_FAILURE);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    CU_ASSERT_PTR_NOT_NULL (msg);
    if (msg)
      gst_message_unref (msg);
    gst_element_set_state (e, GST_STATE_NULL);
    gst_element_set_bus (e, NULL);
    gst_object_unref (bus);
    gst_object_unref (e);
    g_free (l2);
  }

  g_unlink (loc);
  g_rmdir (dir);
  g_free (loc);
  g_free (dir);
  g_free (launch);
  g_array_unref (ids);
  g_array_unref (want);
}

int
main (void)
{
  static const SeqTestCase cases[] = {
    {"element_tokenizer_bytes_emits_flexible_int32_ids",
        element_tokenizer_bytes_emits_flexible_int32_ids},
    {"element_tokenizer_ids_do_not_depend_on_buffer_splits",
        element_tokenizer_ids_do_not_depend_on_buffer_splits},
    {"element_tokenizer_eos_emits_the_held_word_then_eos",
        element_tokenizer_eos_emits_the_held_word_then_eos},
    {"element_tokenizer_flush_drops_the_held_text",
        element_tokenizer_flush_drops_the_held_text},
    {"element_tokenizer_reset_event_ends_the_held_text_and_restarts",
        element_tokenizer_reset_event_ends_the_held_text_and_restarts},
    {"element_tokenizer_discont_buffer_restarts_unless_told_otherwise",
        element_tokenizer_discont_buffer_restarts_unless_told_otherwise},
    {"element_tokenizer_pts_is_that_of_the_first_tokens_input",
        element_tokenizer_pts_is_that_of_the_first_tokens_input},
    {"element_tokenizer_missing_or_malformed_vocab_fails_to_start",
        element_tokenizer_missing_or_malformed_vocab_fails_to_start},
    {"element_tokenizer_refuses_non_utf8_text",
        element_tokenizer_refuses_non_utf8_text},
    {"element_tokenizer_model_properties_are_fixed_while_running",
        element_tokenizer_model_properties_are_fixed_while_running},
    {"element_tokenizer_state_location_resumes_mid_word",
        element_tokenizer_state_location_resumes_mid_word},
    {NULL, NULL}
  };
  seq_test_gst_init ();
  return seq_test_run ("element_tokenizer", cases);
}
