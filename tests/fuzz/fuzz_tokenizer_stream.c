/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer harness: the streaming tokenizer on arbitrary bytes, checking
 * chunking invariance as it goes.
 *
 * Input: byte 0 picks the mode (bytes, chars, wordpiece with and without
 * lowercase, bpe) from small built-in vocabularies; byte 1 seeds the chunk
 * sizes; the rest is the text. The ids of the text fed in random pieces
 * (then finish) must equal the one-shot encoding, every id must lie in
 * [0, vocab size), offsets must be non-decreasing and inside the text.
 * A mode whose vocabulary cannot be built (its code not written yet) is
 * skipped. */
#include <seqenc/tokenizer.h>

#include <glib/gstdio.h>
#include <stdint.h>
#include <string.h>

static void
quiet_log (const gchar * domain, GLogLevelFlags level, const gchar * msg,
    gpointer data)
{
}

#define N_TOK 5
static SeqTokenizer *toks[N_TOK];

static const char vocab_txt[] =
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\nquick\nbrown\nfox\n##es\n##s\nhello\n"
    "he\n##llo\nw\n##or\n##ld\n,\n.\n!\n'\ncafe\n##\xc3\xa9\n\xe4\xb8\xad\n"
    "a\nb\nc\n##a\n##b\n##c\n1\n##2\n";
/* GPT-2 byte-level strings: \u0120 is the space */
static const char encoder_json[] =
    "{\"!\": 0, \"a\": 1, \"b\": 2, \"c\": 3, \"h\": 4, \"e\": 5, \"t\": 6, "
    "\"\\u0120\": 7, \"\\u0120t\": 8, \"he\": 9, \"\\u0120the\": 10, "
    "\"ab\": 11, \"abc\": 12, \"\\u010a\": 13, \"'\": 14, \"s\": 15, "
    "\"'s\": 16, \"1\": 17, \"2\": 18, \"12\": 19}";
static const char vocab_bpe[] =
    "#version: 0.2\n\xc4\xa0 t\nh e\n\xc4\xa0t he\na b\nab c\n' s\n1 2\n";

static void
init_tokenizers (void)
{
  gchar *dir = g_dir_make_tmp ("seqenc-fuzz-tok-XXXXXX", NULL);
  gchar *v = g_build_filename (dir, "vocab.txt", NULL);
  gchar *e = g_build_filename (dir, "encoder.json", NULL);
  gchar *m = g_build_filename (dir, "vocab.bpe", NULL);
  SeqTokenizerParams p;

  g_file_set_contents (v, vocab_txt, -1, NULL);
  g_file_set_contents (e, encoder_json, -1, NULL);
  g_file_set_contents (m, vocab_bpe, -1, NULL);
  for (int k = 0; k < N_TOK; k++) {
    p = seq_tokenizer_params_default ();
    switch (k) {
      case 0: p.mode = SEQ_TOKENIZER_MODE_BYTES; break;
      case 1: p.mode = SEQ_TOKENIZER_MODE_CHARS; break;
      case 2: case 3:
        p.mode = SEQ_TOKENIZER_MODE_WORDPIECE;
        p.vocab = v;
        p.lowercase = k == 2;
        p.max_word_chars = 12;
        break;
      default:
        p.mode = SEQ_TOKENIZER_MODE_BPE;
        p.vocab = e;
        p.merges = m;
        break;
    }
    toks[k] = seq_tokenizer_new (&p, NULL);
  }
  g_unlink (v);
  g_unlink (e);
  g_unlink (m);
  g_rmdir (dir);
  g_free (v);
  g_free (e);
  g_free (m);
  g_free (dir);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static gboolean init = FALSE;
  SeqTokenizer *tok;
  SeqTokenizerState *st;
  GArray *once, *ids, *offs;
  guint32 rng;
  gsize pos = 0;
  guint vocab;

  if (!init) {
    g_log_set_default_handler (quiet_log, NULL);
    init_tokenizers ();
    init = TRUE;
  }
  if (size < 2)
    return 0;
  tok = toks[data[0] % N_TOK];
  rng = data[1] * 2654435761u + 1;
  data += 2;
  size -= 2;
  if (tok == NULL)
    return 0;
  vocab = seq_tokenizer_vocab_size (tok);

  once = g_array_new (FALSE, FALSE, sizeof (gint32));
  ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  offs = g_array_new (FALSE, FALSE, sizeof (guint64));
  seq_tokenizer_encode (tok, data, size, once);

  st = seq_tokenizer_state_new (tok);
  while (pos < size) {
    gsize n;
    guint8 *piece;
    rng = rng * 1103515245u + 12345u;
    n = MIN (size - pos, (gsize) ((rng >> 16) % 17));
    /* a private copy so that reads past a piece are caught */
    piece = g_memdup2 (data + pos, n);
    seq_tokenizer_state_feed (st, piece, n, ids, offs);
    g_free (piece);
    pos += n;
    if (seq_tokenizer_state_held (st) > pos)
      __builtin_trap ();
    if (seq_tokenizer_state_offset (st) > pos)
      __builtin_trap ();
  }
  seq_tokenizer_state_finish (st, ids, offs);
  if (seq_tokenizer_state_held (st) != 0)
    __builtin_trap ();

  if (ids->len != once->len || offs->len != ids->len)
    __builtin_trap ();          /* chunking changed the number of tokens */
  if (ids->len > 0
      && memcmp (ids->data, once->data, ids->len * sizeof (gint32)) != 0)
    __builtin_trap ();          /* chunking changed the ids */
  for (guint i = 0; i < ids->len; i++) {
    gint32 id = g_array_index (ids, gint32, i);
    guint64 off = g_array_index (offs, guint64, i);
    if (id < 0 || (guint) id >= vocab)
      __builtin_trap ();
    if (off >= size || (i > 0 && off < g_array_index (offs, guint64, i - 1)))
      __builtin_trap ();
    (void) seq_tokenizer_id_to_token (tok, id);
  }
  seq_tokenizer_state_free (st);
  g_array_free (once, TRUE);
  g_array_free (ids, TRUE);
  g_array_free (offs, TRUE);
  return 0;
}
