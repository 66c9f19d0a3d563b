/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer harness: the BERT vocab.txt parser (seq_wordpiece_new_from_data)
 * on arbitrary bytes, then WordPiece encoding with the vocabulary it built.
 *
 * Input: byte 0 flags (bit 0 lowercase, bits 1-7 max word chars), bytes 1-2
 * the vocabulary length L (little-endian), then L bytes of vocab.txt, then
 * text to encode. A vocabulary either loads or fails with
 * SEQ_TOKENIZER_ERROR; encoding gives ids inside the vocabulary. */
#include "tokenizer-wordpiece.h"

#include <stdint.h>
#include <string.h>

static void
quiet_log (const gchar * domain, GLogLevelFlags level, const gchar * msg,
    gpointer data)
{
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static gboolean init = FALSE;
  gsize vlen;
  gchar *vocab;
  SeqWordPiece *wp;
  GError *err = NULL;

  if (!init) {
    g_log_set_default_handler (quiet_log, NULL);
    init = TRUE;
  }
  if (size < 3)
    return 0;
  vlen = MIN ((gsize) (data[1] | (data[2] << 8)), size - 3);
  /* exactly vlen bytes (never NULL, as g_file_get_contents never gives) */
  vocab = g_malloc (MAX (vlen, 1));
  memcpy (vocab, data + 3, vlen);
  wp = seq_wordpiece_new_from_data (vocab, vlen, "[UNK]", data[0] & 1,
      data[0] >> 1, &err);
  g_free (vocab);
  if (wp == NULL) {
    if (err == NULL || err->domain != SEQ_TOKENIZER_ERROR)
      __builtin_trap ();
    g_error_free (err);
    return 0;
  }
  {
    const guint8 *text = data + 3 + vlen;
    gsize n = size - 3 - vlen, i = 0;
    guint n_ids = seq_wordpiece_vocab_size (wp);
    SeqWordPieceState *ws = seq_wordpiece_state_new (wp);
    GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));
    GArray *offs = g_array_new (FALSE, FALSE, sizeof (guint64));

    while (i < n) {
      gunichar c;
      gboolean valid;
      gsize used = seq_utf8_next (text + i, n - i, TRUE, &c, &valid);
      if (used == 0 || used > n - i)
        __builtin_trap ();
      seq_wordpiece_state_push (ws, c, i, ids, offs);
      i += used;
    }
    seq_wordpiece_state_flush (ws, ids, offs);
    for (guint k = 0; k < ids->len; k++) {
      gint32 id = g_array_index (ids, gint32, k);
      if (id < 0 || (guint) id >= n_ids)
        __builtin_trap ();
      (void) seq_wordpiece_id_to_token (wp, id);
    }
    g_array_free (ids, TRUE);
    g_array_free (offs, TRUE);
    seq_wordpiece_state_free (ws);
  }
  seq_wordpiece_free (wp);
  return 0;
}
