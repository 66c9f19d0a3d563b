/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer harness: the flexible tensor header (NNStreamer
 * GstTensorMetaInfo) parser and the buffer view built on it, on arbitrary
 * bytes.
 *
 * Input: byte 0 picks the caps the element negotiated (type unknown / int32 /
 * float32, width from caps or not, static or flexible); the rest is one
 * buffer. Either the view maps with its frames inside the buffer, or a
 * reason is given; never a crash. */
#include "gstseqtensor.h"

#include <stdint.h>
#include <string.h>

static void
quiet_log (const gchar * domain, GLogLevelFlags level, const gchar * msg,
    gpointer data)
{
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static gboolean init = FALSE;
  GstSeqTensorType type;
  guint dim = 0, frames = 0;
  gchar *why = NULL;
  GstSeqTensorCaps caps = { 0 };
  GstSeqTensorView view;
  GstBuffer *buf;
  guint8 sel;

  if (!init) {
    g_log_set_default_handler (quiet_log, NULL);
    gst_init (NULL, NULL);
    init = TRUE;
  }
  if (size < 1)
    return 0;
  sel = data[0];
  data++;
  size--;

  /* the raw parser, on a private copy of exactly @size bytes */
  {
    guint8 *copy = g_memdup2 (data, size);
    if (gst_seq_tensor_header_parse (copy, size, &type, &dim, &frames, &why)) {
      if (why != NULL)
        __builtin_trap ();
      if (type != GST_SEQ_TENSOR_TYPE_INT32 && type != GST_SEQ_TENSOR_TYPE_FLOAT32)
        __builtin_trap ();
    } else {
      if (why == NULL)
        __builtin_trap ();      /* a failure must say why */
      g_free (why);
      why = NULL;
    }
    g_free (copy);
  }

  /* the view an element maps its input through */
  caps.format = (sel & 1) ? GST_SEQ_TENSOR_FORMAT_FLEXIBLE : GST_SEQ_TENSOR_FORMAT_STATIC;
  switch ((sel >> 1) & 3) {
    case 0: caps.type = GST_SEQ_TENSOR_TYPE_UNKNOWN; break;
    case 1: caps.type = GST_SEQ_TENSOR_TYPE_INT32; break;
    default: caps.type = GST_SEQ_TENSOR_TYPE_FLOAT32; break;
  }
  if (caps.format == GST_SEQ_TENSOR_FORMAT_STATIC && caps.type == GST_SEQ_TENSOR_TYPE_UNKNOWN)
    caps.type = GST_SEQ_TENSOR_TYPE_FLOAT32;  /* static caps always carry a type */
  caps.dim = (sel >> 3) & 7;              /* 0 = width not in caps */
  if (caps.format == GST_SEQ_TENSOR_FORMAT_STATIC) {
    if (caps.dim == 0)
      caps.dim = 1;
    caps.frames = (sel >> 6) + 1;
  }
  caps.rate_n = 0;
  caps.rate_d = 1;

  buf = gst_buffer_new_memdup (data, size);
  if (gst_seq_tensor_view_map (&view, buf, &caps, &why)) {
    gsize esize = gst_seq_tensor_type_size (view.type);
    const guint8 *end = view.map.data + view.map.size;
    volatile guint8 sink = 0;
    if (why != NULL)
      __builtin_trap ();
    if (view.data < view.map.data ||
        (gsize) (end - view.data) != (gsize) view.dim * view.frames * esize)
      __builtin_trap ();
    for (const guint8 * p = view.data; p < end; p++)
      sink ^= *p;
    (void) sink;
    gst_seq_tensor_view_unmap (&view);
  } else {
    if (why == NULL)
      __builtin_trap ();
    g_free (why);
  }
  gst_buffer_unref (buf);
  return 0;
}
