/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — seqnpysink through GstHarness. */
#include "seqtest-gst.h"

#include <glib/gstdio.h>

/* Runs seqnpysink on @nbuf buffers of @frames x @dim floats (value = index)
 * and returns the file's bytes. */
static gchar *
write_npy (gboolean flexible, guint dim, guint frames, guint nbuf,
    gsize * len, gchar ** path_out)
{
  gchar *dir = seq_test_tmpdir ();
  gchar *path = g_build_filename (dir, "out.npy", NULL);
  gchar *launch = g_strdup_printf ("seqnpysink location=\"%s\"", path);
  gchar *caps = seq_test_caps (flexible ? "flexible" : "static", "float32",
      dim, frames, 100);
  GstHarness *h = gst_harness_new_parse (launch);
  float *v = g_new (float, dim * frames);
  gchar *data = NULL;

  gst_harness_set_src_caps_str (h, caps);
  for (guint b = 0; b < nbuf; b++) {
    for (guint i = 0; i < dim * frames; i++)
      v[i] = (float) (b * dim * frames + i);
    CU_ASSERT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (flexible,
                GST_SEQ_TENSOR_TYPE_FLOAT32, dim, frames, v)), GST_FLOW_OK);
  }
  CU_ASSERT (gst_harness_push_event (h, gst_event_new_eos ()));
  gst_harness_teardown (h);
  CU_ASSERT (g_file_get_contents (path, &data, len, NULL));
  *path_out = path;
  g_free (v);
  g_free (caps);
  g_free (launch);
  g_free (dir);
  return data;
}

static void
element_npysink_writes_numpy_header_and_all_frames (void)
{
  for (int flexible = 0; flexible < 2; flexible++) {
    gsize len = 0;
    gchar *path;
    gchar *data = write_npy (flexible, 7, 3, 5, &len, &path);
    guint16 hlen;
    gchar *header;

    CU_ASSERT_PTR_NOT_NULL_FATAL (data);
    CU_ASSERT_EQUAL_FATAL (len, 128 + 7 * 3 * 5 * 4);
    CU_ASSERT (memcmp (data, "\x93NUMPY\x01\x00", 8) == 0);
    hlen = GST_READ_UINT16_LE (data + 8);
    CU_ASSERT_EQUAL (10 + hlen, 128);
    header = g_strndup (data + 10, hlen);
    CU_ASSERT_PTR_NOT_NULL (strstr (header, "'descr': '<f4'"));
    CU_ASSERT_PTR_NOT_NULL (strstr (header, "'shape': (15, 7)"));
    CU_ASSERT_PTR_NOT_NULL (strstr (header, "'fortran_order': False"));
    CU_ASSERT_EQUAL (header[hlen - 1], '\n');
    for (guint i = 0; i < 7 * 15; i++) {
      float f;
      memcpy (&f, data + 128 + 4 * i, 4);
      CU_ASSERT_EQUAL (f, (float) i);
    }
    g_free (header);
    g_free (data);
    g_unlink (path);
    g_free (path);
  }
}

static void
element_npysink_width_change_is_error (void)
{
  gchar *dir = seq_test_tmpdir ();
  gchar *path = g_build_filename (dir, "w.npy", NULL);
  gchar *launch = g_strdup_printf ("seqnpysink location=\"%s\"", path);
  GstHarness *h = gst_harness_new_parse (launch);
  float v[8] = { 0 };

  gst_harness_set_src_caps_str (h, "other/tensors,format=flexible,"
      "num_tensors=1,types=float32,framerate=0/1");
  CU_ASSERT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (TRUE,
              GST_SEQ_TENSOR_TYPE_FLOAT32, 4, 2, v)), GST_FLOW_OK);
  CU_ASSERT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (TRUE,
              GST_SEQ_TENSOR_TYPE_FLOAT32, 2, 4, v)), GST_FLOW_ERROR);
  gst_harness_teardown (h);
  g_unlink (path);
  g_free (path);
  g_free (launch);
  g_free (dir);
}

static void
element_npysink_unwritable_location_fails_to_start (void)
{
  GstElement *e = gst_element_factory_make ("seqnpysink", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;

  gst_element_set_bus (e, bus);
  g_object_set (e, "location", "/nonexistent-dir/x.npy", NULL);
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
}

int
main (void)
{
  static const SeqTestCase cases[] = {
    {"element_npysink_writes_numpy_header_and_all_frames",
        element_npysink_writes_numpy_header_and_all_frames},
    {"element_npysink_width_change_is_error",
        element_npysink_width_change_is_error},
    {"element_npysink_unwritable_location_fails_to_start",
        element_npysink_unwritable_location_fails_to_start},
    {NULL, NULL}
  };
  seq_test_gst_init ();
  return seq_test_run ("element_npysink", cases);
}
