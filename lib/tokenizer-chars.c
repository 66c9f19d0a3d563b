/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — tokenizer mode "chars": each Unicode code point is a token, its
 * id the code point; ill-formed UTF-8 gives U+FFFD per maximal subpart
 * (utf8.h). The state is the carried incomplete sequence. */
#include "tokenizer-private.h"
#include "utf8.h"

static gpointer
chars_load_model (const SeqTokenizerParams * params, GError ** error)
{
  return NULL;
}

static void
chars_free_model (gpointer model)
{
}

static guint
chars_vocab_size (gconstpointer model)
{
  return 0x110000;
}

static gpointer
chars_state_new (gconstpointer model)
{
  return g_new0 (SeqUtf8Carry, 1);
}

static void
chars_state_free (gpointer ms)
{
  g_free (ms);
}

static void
chars_state_reset (gpointer ms)
{
  SeqUtf8Carry *u = ms;
  u->n = 0;
}

static void
char_out (gpointer user_data, gunichar c, guint64 off, GArray * ids,
    GArray * offsets)
{
  seq_tokenizer_emit (ids, offsets, (gint32) c, off);
}

static void
chars_feed (gpointer ms, const guint8 * data, gsize len, guint64 off,
    GArray * ids, GArray * offsets)
{
  seq_utf8_carry_feed (ms, data, len, off, FALSE, char_out, NULL, ids,
      offsets);
}

static void
chars_finish (gpointer ms, guint64 end, GArray * ids, GArray * offsets)
{
  seq_utf8_carry_finish (ms, end, char_out, NULL, ids, offsets);
}

static guint64
chars_offset (gconstpointer ms, guint64 fed)
{
  const SeqUtf8Carry *u = ms;
  return fed - u->n;
}

static void
chars_save_pending (gconstpointer ms, SeqTokenizerPending * pending)
{
  const SeqUtf8Carry *u = ms;
  memcpy (pending->carry, u->bytes, 4);
  pending->n_carry = u->n;
}

static gboolean
chars_restore (gpointer ms, const SeqTokenizerPending * pending,
    const guint8 * p, gsize n, guint64 fed, GError ** error)
{
  SeqUtf8Carry *u = ms;

  if (pending->n_held != 0 || !seq_utf8_carry_check (pending->carry,
          pending->n_carry) || n != 0)
    return seq_tokenizer_state_malformed (error);
  memcpy (u->bytes, pending->carry, 4);
  u->n = pending->n_carry;
  return TRUE;
}

const SeqTokenizerModeClass seq_tokenizer_mode_chars = {
  .load_model = chars_load_model,
  .free_model = chars_free_model,
  .vocab_size = chars_vocab_size,
  .id_to_token = NULL,
  .state_new = chars_state_new,
  .state_free = chars_state_free,
  .state_reset = chars_state_reset,
  .feed = chars_feed,
  .finish = chars_finish,
  .offset = chars_offset,
  .save_pending = chars_save_pending,
  .save = NULL,
  .restore = chars_restore,
};
