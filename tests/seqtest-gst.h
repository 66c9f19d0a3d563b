/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — helpers for element tests with GstHarness. */
#pragma once

#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <string.h>

#include "gstseqencelements.h"
#include "gstseqtensor.h"
#include "seqtest.h"

/* gst_init and static registration of every seqenc element. */
static inline void
seq_test_gst_init (void)
{
  gst_init (NULL, NULL);
  gst_seqenc_elements_register (NULL);
}

/* Tensor caps as a string, e.g. seq_test_caps ("static", "float32", 8, 4, 100). */
static inline gchar *
seq_test_caps (const char *format, const char *type, guint dim, guint frames,
    gint rate)
{
  if (g_str_equal (format, "flexible"))
    return g_strdup_printf ("other/tensors,format=flexible,num_tensors=1,"
        "types=%s,dimensions=(string)%u,framerate=%d/1", type, dim, rate);
  return g_strdup_printf ("other/tensors,format=static,num_tensors=1,"
      "types=%s,dimensions=(string)%u:%u,framerate=%d/1", type, dim, frames,
      rate);
}

/* A buffer of @frames x @dim values (4 bytes each), flexible header first
 * when @flexible. */
static inline GstBuffer *
seq_test_tensor_buffer (gboolean flexible, GstSeqTensorType type, guint dim,
    guint frames, const void *values)
{
  gsize hdr = flexible ? GST_SEQ_TENSOR_HEADER_SIZE : 0;
  gsize bytes = (gsize) dim * frames * 4;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, hdr + bytes, NULL);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  if (flexible)
    gst_seq_tensor_header_write (map.data, type, dim, frames);
  memcpy (map.data + hdr, values, bytes);
  gst_buffer_unmap (buf, &map);
  return buf;
}

/* Copies the values of a tensor buffer (skipping a flexible header) into a
 * new array; *@n_values gets their count (4 bytes each). */
static inline gpointer
seq_test_buffer_values (GstBuffer * buf, gboolean flexible, gsize * n_values)
{
  GstMapInfo map;
  gsize hdr = flexible ? GST_SEQ_TENSOR_HEADER_SIZE : 0;
  gpointer out;

  gst_buffer_map (buf, &map, GST_MAP_READ);
  g_assert (map.size >= hdr);
  *n_values = (map.size - hdr) / 4;
  out = g_memdup2 (map.data + hdr, map.size - hdr);
  gst_buffer_unmap (buf, &map);
  return out;
}

/* Pops the first ERROR message from the harness's bus, or NULL. */
static inline GstMessage *
seq_test_pop_error (GstHarness * h)
{
  GstBus *bus = gst_element_get_bus (h->element);
  GstMessage *msg = NULL;

  if (bus == NULL) {
    bus = gst_bus_new ();
    gst_element_set_bus (h->element, bus);
  }
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  gst_object_unref (bus);
  return msg;
}

/* A harness on @launch with its own bus so ERROR messages can be read. */
static inline GstHarness *
seq_test_harness (const char *launch)
{
  GstHarness *h = gst_harness_new_parse (launch);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  gst_object_unref (bus);
  return h;
}
