/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — BERT WordPiece (not installed): the vocab.txt model and the
 * per-stream state, one character at a time. The file layout, the checks and
 * the normalisation are described at the top of tokenizer-wordpiece.c; the
 * tokenizer reaches this mode through seq_tokenizer_mode_wordpiece. */
#pragma once

#include "tokenizer-private.h"
#include "strtable.h"
#include "utf8.h"

G_BEGIN_DECLS

typedef struct _SeqWordPiece SeqWordPiece;
typedef struct _SeqWordPieceState SeqWordPieceState;

SeqWordPiece *seq_wordpiece_load (const gchar * vocab_path,
    const gchar * unk_token, gboolean lowercase, guint max_word_chars,
    GError ** error);
SeqWordPiece *seq_wordpiece_new_from_data (const gchar * data, gsize len,
    const gchar * unk_token, gboolean lowercase, guint max_word_chars,
    GError ** error);
void seq_wordpiece_free (SeqWordPiece * wp);
guint seq_wordpiece_vocab_size (const SeqWordPiece * wp);
const gchar *seq_wordpiece_id_to_token (const SeqWordPiece * wp, gint32 id);

SeqWordPieceState *seq_wordpiece_state_new (const SeqWordPiece * wp);
void seq_wordpiece_state_free (SeqWordPieceState * ws);
void seq_wordpiece_state_reset (SeqWordPieceState * ws);
/* Processes one character of the stream that starts at stream offset @off. */
void seq_wordpiece_state_push (SeqWordPieceState * ws, gunichar c,
    guint64 off, GArray * ids, GArray * offsets);
/* Ends the current word, if any. */
void seq_wordpiece_state_flush (SeqWordPieceState * ws, GArray * ids,
    GArray * offsets);
/* Stream offset of the first character of the current word, or -1. */
gint64 seq_wordpiece_state_word_offset (const SeqWordPieceState * ws);
/* Appends the current word to @out / reads it back from @p (@n bytes, all
 * of them); FALSE with SEQ_TOKENIZER_ERROR_STATE when it does not fit. */
void seq_wordpiece_state_save (const SeqWordPieceState * ws, GByteArray * out);
gboolean seq_wordpiece_state_restore (SeqWordPieceState * ws,
    const guint8 * p, gsize n, guint64 fed, GError ** error);

G_END_DECLS
