/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — GPT-2 byte-level BPE (not installed): the model from its
 * vocabulary files (tokenizer-bpe-vocab.c, which describes their layouts)
 * and the per-stream encoder (tokenizer-bpe.c). The tokenizer reaches this
 * mode through seq_tokenizer_mode_bpe. */
#pragma once

#include "tokenizer-private.h"

G_BEGIN_DECLS

typedef struct _SeqBpe SeqBpe;
typedef struct _SeqBpeState SeqBpeState;

/* encoder.json + vocab.bpe, or a tokenizer.json when @merges_path is NULL
 * or empty. */
SeqBpe *seq_bpe_load (const gchar * encoder_path, const gchar * merges_path,
    GError ** error);
SeqBpe *seq_bpe_new_from_data (const gchar * encoder_json, gsize encoder_len,
    const gchar * merges, gsize merges_len, GError ** error);
/* Hugging Face tokenizer.json of a byte-level BPE (see
 * tokenizer-bpe-vocab.c). */
SeqBpe *seq_bpe_new_from_tokenizer_json (const gchar * data, gsize len,
    GError ** error);
void seq_bpe_free (SeqBpe * bpe);
guint seq_bpe_vocab_size (const SeqBpe * bpe);
const gchar *seq_bpe_id_to_token (const SeqBpe * bpe, gint32 id);

SeqBpeState *seq_bpe_state_new (const SeqBpe * bpe);
void seq_bpe_state_free (SeqBpeState * bs);
void seq_bpe_state_reset (SeqBpeState * bs);
/* Scans @data (@n bytes, the held bytes, starting at stream offset @off) and
 * emits every pre-token that is decided; returns the bytes consumed. */
gsize seq_bpe_state_scan (SeqBpeState * bs, const guint8 * data, gsize n,
    guint64 off, gboolean at_end, GArray * ids, GArray * offsets);
/* Encodes one pre-token's bytes, for tests: @method 0 as the tokenizer
 * does, 1 always tiktoken's quadratic scan, 2 always the heap (both without
 * the whole-token shortcut and the cache). */
void seq_bpe_encode_piece (SeqBpeState * bs, const guint8 * piece, gsize n,
    guint method, GArray * ids);

G_END_DECLS
