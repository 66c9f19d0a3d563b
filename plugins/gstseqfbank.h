/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqfbank: audio to Kaldi-compatible log-mel frames. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_SEQ_FBANK (gst_seq_fbank_get_type ())
G_DECLARE_FINAL_TYPE (GstSeqFbank, gst_seq_fbank, GST, SEQ_FBANK, GstElement)

#define GST_TYPE_SEQ_FBANK_WINDOW (gst_seq_fbank_window_get_type ())
GType gst_seq_fbank_window_get_type (void);

G_END_DECLS
