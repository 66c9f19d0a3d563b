/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc benchmark — streaming tokenizer throughput (one thread).
 *
 * usage: bench_tokenizer MODE VOCAB MERGES TEXT [ROUNDS] [CHUNK]
 *   MODE bpe|wordpiece; MERGES is ignored for wordpiece ("-").
 * Prints one line: mode, bytes, ids, an FNV-1a checksum of the ids (to check
 * that the reference did the same work), the model load time and the best
 * encode time over ROUNDS (default 5) for the whole text in one feed and for
 * the text fed in CHUNK-byte buffers (default 4096), as MB/s (10^6 bytes).
 * Run through tests/bench/run_tokenizer_bench.sh, which times npm tiktoken
 * and npm tokenizers on the same text in the same run.
 */
#include <seqenc/tokenizer.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static guint32
checksum (const GArray * ids)
{
  guint32 h = 2166136261u;
  for (guint i = 0; i < ids->len; i++) {
    guint32 v = (guint32) g_array_index (ids, gint32, i);
    for (int k = 0; k < 4; k++) {
      h ^= (v >> (8 * k)) & 0xff;
      h *= 16777619u;
    }
  }
  return h;
}

static double
run (SeqTokenizerState * st, const guint8 * data, gsize len, gsize chunk,
    GArray * ids)
{
  gint64 t0, t1;

  g_array_set_size (ids, 0);
  t0 = g_get_monotonic_time ();
  for (gsize pos = 0; pos < len; pos += chunk)
    seq_tokenizer_state_feed (st, data + pos, MIN (chunk, len - pos), ids,
        NULL);
  seq_tokenizer_state_finish (st, ids, NULL);
  t1 = g_get_monotonic_time ();
  return (t1 - t0) / 1e6;
}

int
main (int argc, char **argv)
{
  SeqTokenizerParams p = seq_tokenizer_params_default ();
  SeqTokenizer *tok;
  SeqTokenizerState *st;
  GError *err = NULL;
  gchar *data;
  gsize len, chunk;
  int rounds;
  gint64 t0, t1;
  double best_whole = 1e30, best_chunk = 1e30;
  GArray *ids = g_array_sized_new (FALSE, FALSE, sizeof (gint32), 1 << 20);
  guint n_ids, sum;

  if (argc < 5 || !seq_tokenizer_mode_parse (argv[1], &p.mode)) {
    fprintf (stderr, "usage: %s bpe|wordpiece VOCAB MERGES TEXT [ROUNDS] "
        "[CHUNK]\n", argv[0]);
    return 2;
  }
  rounds = argc > 5 ? atoi (argv[5]) : 5;
  chunk = argc > 6 ? (gsize) atol (argv[6]) : 4096;
  p.vocab = argv[2];
  p.merges = argv[3];
  if (!g_file_get_contents (argv[4], &data, &len, &err)) {
    fprintf (stderr, "%s\n", err->message);
    return 1;
  }
  t0 = g_get_monotonic_time ();
  tok = seq_tokenizer_new (&p, &err);
  t1 = g_get_monotonic_time ();
  if (tok == NULL) {
    fprintf (stderr, "%s\n", err->message);
    return 1;
  }
  st = seq_tokenizer_state_new (tok);
  for (int r = 0; r < rounds; r++) {
    best_whole = MIN (best_whole, run (st, (const guint8 *) data, len, len,
            ids));
    best_chunk = MIN (best_chunk, run (st, (const guint8 *) data, len, chunk,
            ids));
  }
  n_ids = ids->len;
  sum = checksum (ids);
  run (st, (const guint8 *) data, len, len, ids);
  if (ids->len != n_ids || checksum (ids) != sum) {
    fprintf (stderr, "chunked and whole runs differ\n");
    return 1;
  }
  printf ("seqenc %s bytes=%" G_GSIZE_FORMAT " ids=%u checksum=%08x "
      "load_s=%.3f whole_mbps=%.2f chunk%" G_GSIZE_FORMAT "_mbps=%.2f\n",
      argv[1], len, n_ids, sum, (t1 - t0) / 1e6, len / best_whole / 1e6,
      chunk, len / best_chunk / 1e6);

  seq_tokenizer_state_free (st);
  seq_tokenizer_unref (tok);
  g_array_unref (ids);
  g_free (data);
  return 0;
}
