/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — tokenizer mode "bytes": each byte is a token, its id the byte's
 * value (0..255). No model, no state: nothing is ever held. */
#include "tokenizer-private.h"

static gpointer
bytes_load_model (const SeqTokenizerParams * params, GError ** error)
{
  return NULL;
}

static void
bytes_free_model (gpointer model)
{
}

static guint
bytes_vocab_size (gconstpointer model)
{
  return 256;
}

static gpointer
bytes_state_new (gconstpointer model)
{
  return NULL;
}

static void
bytes_state_free (gpointer ms)
{
}

static void
bytes_state_reset (gpointer ms)
{
}

static void
bytes_feed (gpointer ms, const guint8 * data, gsize len, guint64 off,
    GArray * ids, GArray * offsets)
{
  for (gsize i = 0; i < len; i++)
    seq_tokenizer_emit (ids, offsets, data[i], off + i);
}

static void
bytes_finish (gpointer ms, guint64 end, GArray * ids, GArray * offsets)
{
}

static guint64
bytes_offset (gconstpointer ms, guint64 fed)
{
  return fed;
}

static void
bytes_save_pending (gconstpointer ms, SeqTokenizerPending * pending)
{
}

static gboolean
bytes_restore (gpointer ms, const SeqTokenizerPending * pending,
    const guint8 * p, gsize n, guint64 fed, GError ** error)
{
  if (pending->n_held != 0 || pending->n_carry != 0 || n != 0)
    return seq_tokenizer_state_malformed (error);
  return TRUE;
}

const SeqTokenizerModeClass seq_tokenizer_mode_bytes = {
  .load_model = bytes_load_model,
  .free_model = bytes_free_model,
  .vocab_size = bytes_vocab_size,
  .id_to_token = NULL,
  .state_new = bytes_state_new,
  .state_free = bytes_state_free,
  .state_reset = bytes_state_reset,
  .feed = bytes_feed,
  .finish = bytes_finish,
  .offset = bytes_offset,
  .save_pending = bytes_save_pending,
  .save = NULL,
  .restore = bytes_restore,
};
