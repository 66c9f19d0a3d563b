/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — GPT-2's pre-tokenizer as a streaming scanner (not installed).
 *
 * GPT-2 splits text into pre-tokens with the regular expression
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * seq_gpt2_pretoken_end () finds where the pre-token that starts at a
 * position ends, or says that more input is needed to decide it. Pure
 * functions; a SeqGpt2Hint belongs to one stream.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Where the scan of the undecided first pre-token stopped, so that the next
 * call with more bytes resumes there instead of rescanning (a long run of
 * letters or spaces fed byte by byte stays linear). Zero it when that
 * pre-token is decided or the stream restarts. */
typedef struct {
  gsize q, last;
} SeqGpt2Hint;

/* Builds the ASCII class table once; call before seq_gpt2_pretoken_end. */
void seq_gpt2_init (void);

/* End of the pre-token that starts at @pos of @d (@n bytes, all of them
 * UTF-8 or not: ill-formed bytes count as "other"), or 0 when undecided
 * (@at_end FALSE and the pre-token may go on). @hint is read and written
 * only when @pos is 0. */
gsize seq_gpt2_pretoken_end (SeqGpt2Hint * hint, const guint8 * d, gsize n,
    gsize pos, gboolean at_end);

G_END_DECLS
