/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqtokenizer: UTF-8 text to int32 token ids. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_SEQ_TOKENIZER (gst_seq_tokenizer_get_type ())
G_DECLARE_FINAL_TYPE (GstSeqTokenizer, gst_seq_tokenizer, GST, SEQ_TOKENIZER,
    GstElement)

#define GST_TYPE_SEQ_TOKENIZER_MODE (gst_seq_tokenizer_mode_get_type ())
GType gst_seq_tokenizer_mode_get_type (void);

G_END_DECLS
