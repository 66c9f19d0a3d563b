/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqposenc: running positional encoding, sinusoidal or
 * learned. */
#pragma once

#include "gstseqframefilter.h"

G_BEGIN_DECLS

#define GST_TYPE_SEQ_POSENC (gst_seq_posenc_get_type ())
G_DECLARE_FINAL_TYPE (GstSeqPosEnc, gst_seq_posenc, GST, SEQ_POSENC,
    GstSeqFrameFilter)

/* mode: what is encoded and how it joins the frame */
typedef enum {
  GST_SEQ_POSENC_MODE_ADD = 0,          /* sinusoid added */
  GST_SEQ_POSENC_MODE_CONCAT = 1,       /* sinusoid appended */
  GST_SEQ_POSENC_MODE_LEARNED = 2,      /* learned table row added */
  GST_SEQ_POSENC_MODE_LEARNED_CONCAT = 3,       /* learned table row appended */
} GstSeqPosEncMode;
#define GST_TYPE_SEQ_POSENC_MODE (gst_seq_posenc_mode_get_type ())
GType gst_seq_posenc_mode_get_type (void);
#define GST_TYPE_SEQ_POSENC_LAYOUT (gst_seq_posenc_layout_get_type ())
GType gst_seq_posenc_layout_get_type (void);
#define GST_TYPE_SEQ_POSENC_PAST_END (gst_seq_posenc_past_end_get_type ())
GType gst_seq_posenc_past_end_get_type (void);

G_END_DECLS
