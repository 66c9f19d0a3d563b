/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — tokenizer internals (not installed): the table through which
 * tokenizer.c drives a mode. Dependencies run one way: tokenizer.c -> the
 * modes (tokenizer-bytes.c, -chars.c, -wordpiece.c, -bpe.c) -> their helpers
 * (strtable.h, utf8.h, tokenizer-gpt2.h); nothing calls back up. */
#pragma once

#include "seqenc/tokenizer.h"

G_BEGIN_DECLS

/* ---- one tokenizer mode ---------------------------------------------------
 *
 * tokenizer.c owns what every mode shares (the reference count, the byte
 * count of the stream, the state blob's header) and calls the mode through
 * this table; a mode never calls back into tokenizer.c. The table is chosen
 * once, in seq_tokenizer_new (); the pointers are never NULL unless said.
 *
 * A mode's model is immutable after load_model; its state belongs to one
 * stream. Offsets are byte offsets in the stream since start or reset.
 */

/* The raw bytes a state has not decided yet, as the blob header stores
 * them: an incomplete UTF-8 sequence (chars, wordpiece) or the bytes of the
 * undecided pre-tokens (bpe). */
typedef struct {
  guint8 carry[4];              /* carry[0..n_carry) pending; all 4 saved */
  guint n_carry;                /* <= 3 */
  const guint8 *held;           /* [n_held] */
  gsize n_held;
} SeqTokenizerPending;

typedef struct {
  /* The model from @params (mode already checked); NULL with an error.
   * NULL for a mode without a model (which then returns NULL without an
   * error: check the error, not the pointer). */
  gpointer (*load_model) (const SeqTokenizerParams * params, GError ** error);
  void (*free_model) (gpointer model);
  guint (*vocab_size) (gconstpointer model);
  /* NULL when the mode has no spellings */
  const gchar *(*id_to_token) (gconstpointer model, gint32 id);

  gpointer (*state_new) (gconstpointer model);
  void (*state_free) (gpointer ms);
  void (*state_reset) (gpointer ms);
  /* @data (@len >= 1 bytes) starts at stream offset @off. */
  void (*feed) (gpointer ms, const guint8 * data, gsize len, guint64 off,
      GArray * ids, GArray * offsets);
  /* End of stream at offset @end: emit what is held (the state is reset
   * afterwards by the caller). */
  void (*finish) (gpointer ms, guint64 end, GArray * ids, GArray * offsets);
  /* Stream offset of the first byte not yet tokenized, given @fed bytes
   * fed. */
  guint64 (*offset) (gconstpointer ms, guint64 fed);

  /* The header's pending bytes; then the mode's own part of the blob,
   * appended after them (NULL: none). */
  void (*save_pending) (gconstpointer ms, SeqTokenizerPending * pending);
  void (*save) (gconstpointer ms, GByteArray * out);
  /* Checks and takes @pending (already checked: n_carry <= 3, n_carry and
   * n_held <= @fed) and the mode's part @p (@n bytes, all of them). FALSE
   * with SEQ_TOKENIZER_ERROR_STATE when they do not fit. */
  gboolean (*restore) (gpointer ms, const SeqTokenizerPending * pending,
      const guint8 * p, gsize n, guint64 fed, GError ** error);
} SeqTokenizerModeClass;

extern const SeqTokenizerModeClass seq_tokenizer_mode_bytes;
extern const SeqTokenizerModeClass seq_tokenizer_mode_chars;
extern const SeqTokenizerModeClass seq_tokenizer_mode_wordpiece;
extern const SeqTokenizerModeClass seq_tokenizer_mode_bpe;

/* The error of a blob that does not fit, for the modes' restore. */
static inline gboolean
seq_tokenizer_state_malformed (GError ** error)
{
  g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_STATE,
      "saved tokenizer state is malformed");
  return FALSE;
}

static inline void
seq_tokenizer_emit (GArray * ids, GArray * offsets, gint32 id, guint64 off)
{
  g_array_append_val (ids, id);
  if (offsets)
    g_array_append_val (offsets, off);
}

G_END_DECLS
