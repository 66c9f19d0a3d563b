/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqgru: stacked GRU over tensor frames. Its output,
 * weights-precision and matmul-precision properties take seqlstm's enum
 * types (gstseqlstm.h). */
#pragma once

#include "gstseqframefilter.h"

G_BEGIN_DECLS

#define GST_TYPE_SEQ_GRU (gst_seq_gru_get_type ())
G_DECLARE_FINAL_TYPE (GstSeqGru, gst_seq_gru, GST, SEQ_GRU,
    GstSeqFrameFilter)

G_END_DECLS
