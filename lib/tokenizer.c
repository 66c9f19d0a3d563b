/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — streaming tokenizers: the model and the per-stream state every
 * mode shares (reference count, bytes fed, the state blob), dispatching to
 * the modes through their SeqTokenizerModeClass (tokenizer-bytes.c,
 * tokenizer-chars.c, tokenizer-wordpiece.c, tokenizer-bpe.c). */
#include "tokenizer-private.h"

#include <string.h>

struct _SeqTokenizer
{
  gint ref_count;
  SeqTokenizerMode mode;
  const SeqTokenizerModeClass *klass;
  gpointer model;               /* the mode's, NULL for bytes and chars */
};

struct _SeqTokenizerState
{
  SeqTokenizer *tok;
  guint64 fed;                  /* bytes fed since start / reset */
  gpointer ms;                  /* the mode's state */
};

G_DEFINE_QUARK (seq-tokenizer-error-quark, seq_tokenizer_error);

/* ------------------------------------------------------------------------ */
/* model */

/* indexed by SeqTokenizerMode */
static const SeqTokenizerModeClass *const mode_classes[] = {
  &seq_tokenizer_mode_bytes,
  &seq_tokenizer_mode_chars,
  &seq_tokenizer_mode_wordpiece,
  &seq_tokenizer_mode_bpe,
};

SeqTokenizerParams
seq_tokenizer_params_default (void)
{
  SeqTokenizerParams p;
  memset (&p, 0, sizeof p);
  p.mode = SEQ_TOKENIZER_MODE_BYTES;
  p.lowercase = TRUE;
  p.unk_token = "[UNK]";
  p.max_word_chars = 100;
  return p;
}

static const gchar *const mode_names[] = { "bytes", "chars", "wordpiece",
  "bpe"
};

const gchar *
seq_tokenizer_mode_name (SeqTokenizerMode mode)
{
  if ((guint) mode < G_N_ELEMENTS (mode_names))
    return mode_names[mode];
  return NULL;
}

gboolean
seq_tokenizer_mode_parse (const gchar * name, SeqTokenizerMode * mode)
{
  for (guint i = 0; name && i < G_N_ELEMENTS (mode_names); i++) {
    if (g_ascii_strcasecmp (name, mode_names[i]) == 0) {
      *mode = (SeqTokenizerMode) i;
      return TRUE;
    }
  }
  return FALSE;
}

SeqTokenizer *
seq_tokenizer_new (const SeqTokenizerParams * params, GError ** error)
{
  SeqTokenizer *tok;
  GError *err = NULL;

  g_return_val_if_fail (params != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((guint) params->mode >= G_N_ELEMENTS (mode_classes)) {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_CONFIG,
        "unknown tokenizer mode %d", (int) params->mode);
    return NULL;
  }
  tok = g_new0 (SeqTokenizer, 1);
  tok->ref_count = 1;
  tok->mode = params->mode;
  tok->klass = mode_classes[params->mode];
  tok->model = tok->klass->load_model (params, &err);
  if (err != NULL) {
    g_propagate_error (error, err);
    g_free (tok);
    return NULL;
  }
  return tok;
}

SeqTokenizer *
seq_tokenizer_ref (SeqTokenizer * tok)
{
  g_return_val_if_fail (tok != NULL, NULL);
  g_atomic_int_inc (&tok->ref_count);
  return tok;
}

void
seq_tokenizer_unref (SeqTokenizer * tok)
{
  if (tok == NULL || !g_atomic_int_dec_and_test (&tok->ref_count))
    return;
  tok->klass->free_model (tok->model);
  g_free (tok);
}

SeqTokenizerMode
seq_tokenizer_get_mode (const SeqTokenizer * tok)
{
  g_return_val_if_fail (tok != NULL, SEQ_TOKENIZER_MODE_BYTES);
  return tok->mode;
}

guint
seq_tokenizer_vocab_size (const SeqTokenizer * tok)
{
  g_return_val_if_fail (tok != NULL, 0);
  return tok->klass->vocab_size (tok->model);
}

const gchar *
seq_tokenizer_id_to_token (const SeqTokenizer * tok, gint32 id)
{
  g_return_val_if_fail (tok != NULL, NULL);
  if (tok->klass->id_to_token == NULL)
    return NULL;
  return tok->klass->id_to_token (tok->model, id);
}

/* ------------------------------------------------------------------------ */
/* state */

SeqTokenizerState *
seq_tokenizer_state_new (SeqTokenizer * tok)
{
  SeqTokenizerState *st;

  g_return_val_if_fail (tok != NULL, NULL);
  st = g_new0 (SeqTokenizerState, 1);
  st->tok = seq_tokenizer_ref (tok);
  st->ms = tok->klass->state_new (tok->model);
  return st;
}

void
seq_tokenizer_state_free (SeqTokenizerState * st)
{
  if (st == NULL)
    return;
  st->tok->klass->state_free (st->ms);
  seq_tokenizer_unref (st->tok);
  g_free (st);
}

void
seq_tokenizer_state_reset (SeqTokenizerState * st)
{
  g_return_if_fail (st != NULL);
  st->fed = 0;
  st->tok->klass->state_reset (st->ms);
}

gsize
seq_tokenizer_state_feed (SeqTokenizerState * st, const guint8 * data,
    gsize len, GArray * ids, GArray * offsets)
{
  guint before;

  g_return_val_if_fail (st != NULL, 0);
  g_return_val_if_fail (ids != NULL, 0);
  g_return_val_if_fail (data != NULL || len == 0, 0);

  before = ids->len;
  if (len > 0)
    st->tok->klass->feed (st->ms, data, len, st->fed, ids, offsets);
  st->fed += len;
  return ids->len - before;
}

gsize
seq_tokenizer_state_finish (SeqTokenizerState * st, GArray * ids,
    GArray * offsets)
{
  guint before;

  g_return_val_if_fail (st != NULL, 0);
  g_return_val_if_fail (ids != NULL, 0);

  before = ids->len;
  st->tok->klass->finish (st->ms, st->fed, ids, offsets);
  seq_tokenizer_state_reset (st);
  return ids->len - before;
}

guint64
seq_tokenizer_state_offset (const SeqTokenizerState * st)
{
  g_return_val_if_fail (st != NULL, 0);
  return st->tok->klass->offset (st->ms, st->fed);
}

gsize
seq_tokenizer_state_held (const SeqTokenizerState * st)
{
  g_return_val_if_fail (st != NULL, 0);
  return (gsize) (st->fed - seq_tokenizer_state_offset (st));
}

/* Blob: "SQTK", u32 version 1, u32 mode, u64 fed, u8 n_carry, 4 carry
 * bytes, u64 held length, held bytes, then the mode's part (wordpiece: see
 * seq_wordpiece_state_save). Little-endian. */
#define STATE_MAGIC "SQTK"
#define STATE_HEADER 33

GBytes *
seq_tokenizer_state_save (const SeqTokenizerState * st)
{
  const SeqTokenizerModeClass *klass;
  SeqTokenizerPending pending;
  GByteArray *out;
  guint8 h[STATE_HEADER];
  guint32 v;
  guint64 q;

  g_return_val_if_fail (st != NULL, NULL);
  klass = st->tok->klass;
  memset (&pending, 0, sizeof pending);
  klass->save_pending (st->ms, &pending);
  out = g_byte_array_new ();
  memcpy (h, STATE_MAGIC, 4);
  v = GUINT32_TO_LE (1);
  memcpy (h + 4, &v, 4);
  v = GUINT32_TO_LE ((guint32) st->tok->mode);
  memcpy (h + 8, &v, 4);
  q = GUINT64_TO_LE (st->fed);
  memcpy (h + 12, &q, 8);
  h[20] = (guint8) pending.n_carry;
  memcpy (h + 21, pending.carry, 4);
  q = GUINT64_TO_LE ((guint64) pending.n_held);
  memcpy (h + 25, &q, 8);
  g_byte_array_append (out, h, STATE_HEADER);
  if (pending.n_held > 0)
    g_byte_array_append (out, pending.held, pending.n_held);
  if (klass->save)
    klass->save (st->ms, out);
  return g_byte_array_free_to_bytes (out);
}

gboolean
seq_tokenizer_state_restore (SeqTokenizerState * st, GBytes * blob,
    GError ** error)
{
  SeqTokenizerPending pending;
  gsize n;
  const guint8 *p;
  guint32 version, mode;
  guint64 fed, held;

  g_return_val_if_fail (st != NULL, FALSE);
  g_return_val_if_fail (blob != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  p = g_bytes_get_data (blob, &n);
  if (n < STATE_HEADER || memcmp (p, STATE_MAGIC, 4) != 0)
    return seq_tokenizer_state_malformed (error);
  memcpy (&version, p + 4, 4);
  memcpy (&mode, p + 8, 4);
  memcpy (&fed, p + 12, 8);
  memcpy (&held, p + 25, 8);
  version = GUINT32_FROM_LE (version);
  mode = GUINT32_FROM_LE (mode);
  fed = GUINT64_FROM_LE (fed);
  held = GUINT64_FROM_LE (held);
  if (version != 1)
    return seq_tokenizer_state_malformed (error);
  if (mode != (guint32) st->tok->mode) {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_STATE,
        "saved tokenizer state is of mode %s, this tokenizer is %s",
        mode < G_N_ELEMENTS (mode_names) ? mode_names[mode] : "unknown",
        seq_tokenizer_mode_name (st->tok->mode));
    return FALSE;
  }
  pending.n_carry = p[20];
  memcpy (pending.carry, p + 21, 4);
  pending.held = p + STATE_HEADER;
  if (held > n - STATE_HEADER || held > fed || pending.n_carry > 3
      || pending.n_carry > fed)
    return seq_tokenizer_state_malformed (error);
  pending.n_held = (gsize) held;
  if (!st->tok->klass->restore (st->ms, &pending, p + STATE_HEADER + held,
          n - STATE_HEADER - held, fed, error))
    return FALSE;
  st->fed = fed;
  return TRUE;
}

gsize
seq_tokenizer_encode (SeqTokenizer * tok, const guint8 * data, gsize len,
    GArray * ids)
{
  SeqTokenizerState *st;
  gsize n;

  g_return_val_if_fail (tok != NULL, 0);
  st = seq_tokenizer_state_new (tok);
  n = seq_tokenizer_state_feed (st, data, len, ids, NULL);
  n += seq_tokenizer_state_finish (st, ids, NULL);
  seq_tokenizer_state_free (st);
  return n;
}
