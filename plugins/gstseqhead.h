/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqhead: linear output head over tensor frames. */
#pragma once

#include "gstseqframefilter.h"

G_BEGIN_DECLS

#define GST_TYPE_SEQ_HEAD (gst_seq_head_get_type ())
G_DECLARE_FINAL_TYPE (GstSeqHead, gst_seq_head, GST, SEQ_HEAD,
    GstSeqFrameFilter)

#define GST_TYPE_SEQ_HEAD_ACTIVATION (gst_seq_head_activation_get_type ())
GType gst_seq_head_activation_get_type (void);

G_END_DECLS
