/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — prints the ids of each record of a file, for comparisons
 * with the reference tokenizers (tests/check_tokenizer_codepoints.sh).
 *
 * usage: tok_dump MODE VOCAB MERGES FILE [CHUNK] [cased]
 *   Records are separated by the byte 0x1e; each is tokenized alone (fed in
 *   CHUNK-byte buffers when CHUNK > 0) and printed as one line of ids.
 */
#include <seqenc/tokenizer.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main (int argc, char **argv)
{
  SeqTokenizerParams p = seq_tokenizer_params_default ();
  GError *err = NULL;
  SeqTokenizer *tok;
  SeqTokenizerState *st;
  GArray *ids;
  gchar *data;
  gsize len, chunk;
  const gchar *rec, *end;

  if (argc < 5 || !seq_tokenizer_mode_parse (argv[1], &p.mode)) {
    fprintf (stderr, "usage: %s MODE VOCAB MERGES FILE [CHUNK] [cased]\n",
        argv[0]);
    return 2;
  }
  p.vocab = argv[2];
  p.merges = argv[3];
  chunk = argc > 5 ? (gsize) atol (argv[5]) : 0;
  if (argc > 6 && g_str_equal (argv[6], "cased"))
    p.lowercase = FALSE;
  tok = seq_tokenizer_new (&p, &err);
  if (tok == NULL || !g_file_get_contents (argv[4], &data, &len, &err)) {
    fprintf (stderr, "%s\n", err->message);
    return 1;
  }
  st = seq_tokenizer_state_new (tok);
  ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  rec = data;
  end = data + len;
  for (;;) {
    const gchar *q = memchr (rec, 0x1e, end - rec);
    gsize n;
    if (q == NULL)
      q = end;
    n = q - rec;
    g_array_set_size (ids, 0);
    for (gsize pos = 0; pos < n;) {
      gsize k = chunk ? MIN (chunk, n - pos) : n - pos;
      seq_tokenizer_state_feed (st, (const guint8 *) rec + pos, k, ids, NULL);
      pos += k;
    }
    seq_tokenizer_state_finish (st, ids, NULL);
    for (guint i = 0; i < ids->len; i++)
      printf ("%s%d", i ? " " : "", g_array_index (ids, gint32, i));
    printf ("\n");
    if (q == end)
      break;
    rec = q + 1;
  }
  g_array_unref (ids);
  seq_tokenizer_state_free (st);
  seq_tokenizer_unref (tok);
  g_free (data);
  return 0;
}
