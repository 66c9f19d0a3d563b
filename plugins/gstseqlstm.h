/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqlstm: stacked LSTM over tensor frames. */
#pragma once

#include "gstseqframefilter.h"

G_BEGIN_DECLS

#define GST_TYPE_SEQ_LSTM (gst_seq_lstm_get_type ())
G_DECLARE_FINAL_TYPE (GstSeqLstm, gst_seq_lstm, GST, SEQ_LSTM,
    GstSeqFrameFilter)

#define GST_TYPE_SEQ_LSTM_OUTPUT (gst_seq_lstm_output_get_type ())
GType gst_seq_lstm_output_get_type (void);
#define GST_TYPE_SEQ_LSTM_PRECISION (gst_seq_lstm_precision_get_type ())
GType gst_seq_lstm_precision_get_type (void);

/* matmul-precision: operands of the matrix products */
typedef enum {
  GST_SEQ_LSTM_MATMUL_F32 = 0,
  GST_SEQ_LSTM_MATMUL_BF16 = 1,
} GstSeqLstmMatmul;
#define GST_TYPE_SEQ_LSTM_MATMUL (gst_seq_lstm_matmul_get_type ())
GType gst_seq_lstm_matmul_get_type (void);

G_END_DECLS
