/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqembed: token ids to embedding rows. */
#pragma once

#include "gstseqframefilter.h"

G_BEGIN_DECLS

#define GST_TYPE_SEQ_EMBED (gst_seq_embed_get_type ())
G_DECLARE_FINAL_TYPE (GstSeqEmbed, gst_seq_embed, GST, SEQ_EMBED,
    GstSeqFrameFilter)

G_END_DECLS
