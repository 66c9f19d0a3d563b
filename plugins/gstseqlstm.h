/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqlstm: stacked LSTM over tensor frames (a
 * GstSeqRecurrent, gstseqrecurrent.h, for the LSTM cell). */
#pragma once

#include "gstseqrecurrent.h"

G_BEGIN_DECLS

#define GST_TYPE_SEQ_LSTM (gst_seq_lstm_get_type ())
G_DECLARE_FINAL_TYPE (GstSeqLstm, gst_seq_lstm, GST, SEQ_LSTM,
    GstSeqRecurrent)

G_END_DECLS
