/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqgru: stacked GRU over tensor frames (a
 * GstSeqRecurrent, gstseqrecurrent.h, for the GRU cell). */
#pragma once

#include "gstseqrecurrent.h"

G_BEGIN_DECLS

#define GST_TYPE_SEQ_GRU (gst_seq_gru_get_type ())
G_DECLARE_FINAL_TYPE (GstSeqGru, gst_seq_gru, GST, SEQ_GRU,
    GstSeqRecurrent)

G_END_DECLS
