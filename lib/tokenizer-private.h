/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — tokenizer internals shared by lib/tokenizer*.c (not installed). */
#pragma once

#include "seqenc/tokenizer.h"

G_BEGIN_DECLS

/* ---- byte-string -> value hash table (open addressing, immutable after
 * building). Keys are arbitrary bytes (NUL allowed), stored in one blob. */
typedef struct {
  guint8 *blob;                 /* all key bytes */
  gsize blob_len, blob_cap;
  guint32 *key_off;             /* [n] offset of key i in blob */
  guint32 *key_len;             /* [n] */
  gint32 *value;                /* [n] */
  guint n, cap_keys;
  guint32 *slots;               /* [n_slots] index + 1, 0 = empty */
  guint n_slots;                /* power of two */
} SeqStrTable;

void seq_str_table_init (SeqStrTable * t);
void seq_str_table_clear (SeqStrTable * t);
/* Adds or replaces; returns the key index. FALSE-like G_MAXUINT when the
 * table would exceed its 32-bit limits. */
guint seq_str_table_insert (SeqStrTable * t, const guint8 * key, gsize len,
    gint32 value);
/* Key index or -1. */
gint seq_str_table_find (const SeqStrTable * t, const guint8 * key, gsize len);
static inline const guint8 *
seq_str_table_key (const SeqStrTable * t, guint i, gsize * len)
{
  *len = t->key_len[i];
  return t->blob + t->key_off[i];
}

/* ---- UTF-8 decoding with U+FFFD for each maximal ill-formed subpart.
 * Decodes one character at @p (@n bytes available). Returns the bytes it
 * takes, or 0 when @p holds a valid but incomplete sequence and more input
 * may follow (@at_end FALSE). Sets *@valid to FALSE for a substitution. */
gsize seq_utf8_next (const guint8 * p, gsize n, gboolean at_end,
    gunichar * c, gboolean * valid);

/* White_Space property: Z* plus U+0009..U+000D and U+0085. */
gboolean seq_unichar_is_white_space (gunichar c);

/* ---- models of the vocabulary modes (tokenizer-wordpiece.c,
 * tokenizer-bpe.c) */
typedef struct _SeqWordPiece SeqWordPiece;
typedef struct _SeqBpe SeqBpe;
typedef struct _SeqWordPieceState SeqWordPieceState;
typedef struct _SeqBpeState SeqBpeState;

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

/* encoder.json + vocab.bpe, or a tokenizer.json when @merges_path is NULL
 * or empty. */
SeqBpe *seq_bpe_load (const gchar * encoder_path, const gchar * merges_path,
    GError ** error);
SeqBpe *seq_bpe_new_from_data (const gchar * encoder_json, gsize encoder_len,
    const gchar * merges, gsize merges_len, GError ** error);
/* Hugging Face tokenizer.json of a byte-level BPE (see tokenizer-bpe.c). */
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
