/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqviz: hidden-state frames as a scrolling heatmap video. */
#pragma once

#include <gst/gst.h>
#include <seqenc/heatmap.h>

G_BEGIN_DECLS

#define GST_TYPE_SEQ_VIZ (gst_seq_viz_get_type ())
G_DECLARE_FINAL_TYPE (GstSeqViz, gst_seq_viz, GST, SEQ_VIZ, GstElement)

#define GST_TYPE_SEQ_VIZ_SCALING (gst_seq_viz_scaling_get_type ())
GType gst_seq_viz_scaling_get_type (void);

G_END_DECLS
