/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqposenc: running sinusoidal positional encoding. */
#pragma once

#include "gstseqframefilter.h"

G_BEGIN_DECLS

#define GST_TYPE_SEQ_POSENC (gst_seq_posenc_get_type ())
G_DECLARE_FINAL_TYPE (GstSeqPosEnc, gst_seq_posenc, GST, SEQ_POSENC,
    GstSeqFrameFilter)

#define GST_TYPE_SEQ_POSENC_MODE (gst_seq_posenc_mode_get_type ())
GType gst_seq_posenc_mode_get_type (void);
#define GST_TYPE_SEQ_POSENC_LAYOUT (gst_seq_posenc_layout_get_type ())
GType gst_seq_posenc_layout_get_type (void);

G_END_DECLS
