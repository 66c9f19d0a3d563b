/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — seqembed through GstHarness. */
#include "seqtest-gst.h"

#include <seqenc/embedding.h>

static void
element_embed_rows_equal_library_table (void)
{
  GstHarness *h = gst_harness_new_parse ("seqembed vocab-size=50 dim=9 seed=3");
  SeqEmbedding *emb = seq_embedding_new_random (50, 9, 3, NULL);
  gint32 ids[5] = { 0, 49, 7, 7, 13 };
  float want[5 * 9];
  GstBuffer *out;
  float *got;
  gsize n;

  CU_ASSERT_PTR_NOT_NULL_FATAL (emb);
  CU_ASSERT (seq_embedding_lookup (emb, ids, 5, want, NULL));
  gst_harness_set_src_caps_str (h, "other/tensors,format=flexible,"
      "num_tensors=1,types=int32,dimensions=(string)1,framerate=0/1");
  CU_ASSERT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (TRUE,
              GST_SEQ_TENSOR_TYPE_INT32, 1, 5, ids)), GST_FLOW_OK);
  out = gst_harness_try_pull (h);
  CU_ASSERT_PTR_NOT_NULL_FATAL (out);
  got = seq_test_buffer_values (out, TRUE, &n);
  CU_ASSERT_EQUAL (n, 5 * 9);
  CU_ASSERT (memcmp (got, want, sizeof (want)) == 0);
  g_free (got);
  gst_buffer_unref (out);
  seq_embedding_unref (emb);
  gst_harness_teardown (h);
}

static void
element_embed_out_of_range_id_is_stream_error (void)
{
  GstHarness *h = gst_harness_new_parse ("seqembed vocab-size=10 dim=4");
  GstElement *e = gst_harness_find_element (h, "seqembed");
  GstBus *bus = gst_bus_new ();
  gint32 ids[3] = { 1, 10, 2 };
  GstMessage *msg;
  GError *err = NULL;

  gst_element_set_bus (e, bus);
  gst_harness_set_src_caps_str (h, "other/tensors,format=static,"
      "num_tensors=1,types=int32,dimensions=(string)1:3,framerate=0/1");
  CU_ASSERT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (FALSE,
              GST_SEQ_TENSOR_TYPE_INT32, 1, 3, ids)), GST_FLOW_ERROR);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  CU_ASSERT_PTR_NOT_NULL_FATAL (msg);
  gst_message_parse_error (msg, &err, NULL);
  CU_ASSERT (g_error_matches (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT));
  g_clear_error (&err);
  gst_message_unref (msg);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  gst_harness_teardown (h);
}

static void
element_embed_rejects_float_input (void)
{
  GstHarness *h = gst_harness_new_parse ("seqembed");
  float v[2] = { 0 };

  gst_harness_set_src_caps_str (h, "other/tensors,format=static,"
      "num_tensors=1,types=float32,dimensions=(string)1:2,framerate=0/1");
  CU_ASSERT_NOT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (FALSE,
              GST_SEQ_TENSOR_TYPE_FLOAT32, 1, 2, v)), GST_FLOW_OK);
  gst_harness_teardown (h);
}

int
main (void)
{
  static const SeqTestCase cases[] = {
    {"element_embed_rows_equal_library_table",
        element_embed_rows_equal_library_table},
    {"element_embed_out_of_range_id_is_stream_error",
        element_embed_out_of_range_id_is_stream_error},
    {"element_embed_rejects_float_input", element_embed_rejects_float_input},
    {NULL, NULL}
  };
  seq_test_gst_init ();
  return seq_test_run ("element_embed", cases);
}
