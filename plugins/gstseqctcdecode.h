/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqctcdecode: streaming greedy CTC decoding to text. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_SEQ_CTC_DECODE (gst_seq_ctc_decode_get_type ())
G_DECLARE_FINAL_TYPE (GstSeqCtcDecode, gst_seq_ctc_decode, GST,
    SEQ_CTC_DECODE, GstElement)

#define GST_TYPE_SEQ_CTC_DECODE_INPUT (gst_seq_ctc_decode_input_get_type ())
GType gst_seq_ctc_decode_input_get_type (void);

G_END_DECLS
