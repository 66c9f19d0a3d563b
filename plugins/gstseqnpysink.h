/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqnpysink: tensors to one NumPy .npy file. */
#pragma once

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define GST_TYPE_SEQ_NPY_SINK (gst_seq_npy_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstSeqNpySink, gst_seq_npy_sink, GST, SEQ_NPY_SINK,
    GstBaseSink)

G_END_DECLS
