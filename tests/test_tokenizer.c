/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — streaming tokenizers (SeqTokenizer).
 *
 * Golden ids come from tests/gen_tokenizer_golden.mjs (npm tiktoken "gpt2",
 * npm tokenizers' BertWordPiece pipeline, WHATWG UTF-8 decoding) on the
 * corpus tests/data/tok_corpus.bin; the vocabulary files come from
 * tests/fetch-vocab.sh. Tests that need them say so and skip when they are
 * absent.
 *
 * Beyond the corpus, tests/check_tokenizer_codepoints.sh compares every code
 * point (1112063 of them, in "a<c>b ") with the references: bpe matches
 * tiktoken on all of them; wordpiece differs from Hugging Face tokenizers on
 * 824, all code points assigned or recategorized after Unicode 8 (e.g.
 * U+061D, U+08D4..U+08E2, U+0C77): tokenizers classifies with the 2016
 * tables of the unicode_categories crate, seqenc with GLib's Unicode 15. The
 * BERT goldens therefore leave the code point sweep record out.
 */
#include "seqtest.h"
#include "tokenizer-bpe.h"

#include <seqenc/seqenc.h>
#include <glib/gstdio.h>
#include <string.h>

/* Random splits per record and mode in the chunking tests. */
#define SPLITS_PER_RECORD 12

typedef struct {
  GPtrArray *records;           /* GBytes */
} Corpus;

static Corpus corpus;

static void
load_corpus (void)
{
  gchar *path, *data;
  gsize len;
  GError *err = NULL;
  gsize start = 0;

  if (corpus.records)
    return;
  path = seq_test_data_path ("tok_corpus.bin");
  g_file_get_contents (path, &data, &len, &err);
  g_assert_no_error (err);
  corpus.records = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  for (gsize i = 0; i <= len; i++) {
    if (i == len || data[i] == 0x1e) {
      g_ptr_array_add (corpus.records, g_bytes_new (data + start, i - start));
      start = i + 1;
    }
  }
  g_free (data);
  g_free (path);
}

static void
array_unref0 (gpointer a)
{
  if (a)
    g_array_unref (a);
}

/* Golden lines: one GArray of gint32 per record, NULL for "-" (none). */
static GPtrArray *
load_golden (const char *name)
{
  gchar *path = seq_test_data_path (name);
  gchar *data;
  gchar **lines;
  GPtrArray *out = g_ptr_array_new_with_free_func (array_unref0);
  GError *err = NULL;

  g_file_get_contents (path, &data, NULL, &err);
  g_assert_no_error (err);
  lines = g_strsplit (data, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    GArray *a;
    gchar **toks;
    if (lines[i + 1] == NULL && lines[i][0] == '\0')
      break;                    /* after the last newline */
    if (g_str_equal (lines[i], "-")) {
      g_ptr_array_add (out, NULL);
      continue;
    }
    a = g_array_new (FALSE, FALSE, sizeof (gint32));
    toks = g_strsplit (lines[i], " ", -1);
    for (guint k = 0; toks[k] != NULL; k++) {
      gint32 v;
      if (toks[k][0] == '\0')
        continue;
      v = (gint32) g_ascii_strtoll (toks[k], NULL, 10);
      g_array_append_val (a, v);
    }
    g_strfreev (toks);
    g_ptr_array_add (out, a);
  }
  g_strfreev (lines);
  g_free (data);
  g_free (path);
  return out;
}

static gchar *
vocab_path (const char *name)
{
  gchar *rel = g_build_filename ("vocab", name, NULL);
  gchar *p = seq_test_data_path (rel);
  g_free (rel);
  return p;
}

static gboolean
have_vocab (const char *name)
{
  gchar *p = vocab_path (name);
  gboolean ok = g_file_test (p, G_FILE_TEST_IS_REGULAR);
  if (!ok)
    g_printerr ("\n    SKIPPED: %s is absent (run tests/fetch-vocab.sh) ", p);
  g_free (p);
  return ok;
}

static SeqTokenizer *
make_tokenizer (SeqTokenizerMode mode, gboolean lowercase)
{
  SeqTokenizerParams p = seq_tokenizer_params_default ();
  gchar *v = NULL, *m = NULL;
  SeqTokenizer *tok;
  GError *err = NULL;

  p.mode = mode;
  p.lowercase = lowercase;
  if (mode == SEQ_TOKENIZER_MODE_WORDPIECE) {
    v = vocab_path ("vocab.txt");
  } else if (mode == SEQ_TOKENIZER_MODE_BPE) {
    v = vocab_path ("encoder.json");
    m = vocab_path ("vocab.bpe");
  }
  p.vocab = v;
  p.merges = m;
  tok = seq_tokenizer_new (&p, &err);
  g_assert_no_error (err);
  g_free (v);
  g_free (m);
  return tok;
}

static GArray *
ids_new (void)
{
  return g_array_new (FALSE, FALSE, sizeof (gint32));
}

static gboolean
ids_equal (GArray * a, GArray * b)
{
  return a->len == b->len && (a->len == 0 || memcmp (a->data, b->data,
          a->len * sizeof (gint32)) == 0);
}

/* Encodes @data in pieces cut at random points (some of 1 byte). */
static GArray *
encode_split (SeqTokenizerState * st, const guint8 * data, gsize len,
    GRand * rand, GArray * offsets)
{
  GArray *ids = ids_new ();
  gsize pos = 0;

  while (pos < len) {
    gsize n = g_rand_int_range (rand, 0, 4) == 0 ? 1 :
        (gsize) g_rand_int_range (rand, 0, (gint) MIN (len - pos, 64) + 1);
    n = MIN (n, len - pos);
    seq_tokenizer_state_feed (st, data + pos, n, ids, offsets);
    pos += n;
  }
  seq_tokenizer_state_finish (st, ids, offsets);
  return ids;
}

static guint
check_golden (SeqTokenizer * tok, const char *golden_name, gboolean split)
{
  GPtrArray *golden = load_golden (golden_name);
  SeqTokenizerState *st = seq_tokenizer_state_new (tok);
  GRand *rand = g_rand_new_with_seed (20240601);
  guint compared = 0, n_ids = 0;

  load_corpus ();
  CU_ASSERT_EQUAL_FATAL (golden->len, corpus.records->len);
  for (guint r = 0; r < corpus.records->len; r++) {
    GBytes *rec = g_ptr_array_index (corpus.records, r);
    GArray *want = g_ptr_array_index (golden, r);
    gsize len;
    const guint8 *data = g_bytes_get_data (rec, &len);
    GArray *got = ids_new ();

    if (want == NULL) {
      g_array_unref (got);
      continue;
    }
    seq_tokenizer_state_feed (st, data, len, got, NULL);
    seq_tokenizer_state_finish (st, got, NULL);
    if (!ids_equal (got, want)) {
      g_printerr ("\n    %s record %u: %u ids, golden %u", golden_name, r,
          got->len, want->len);
      for (guint i = 0; i < MIN (got->len, want->len); i++) {
        if (g_array_index (got, gint32, i) != g_array_index (want, gint32, i)) {
          g_printerr (", first difference at %u: %d vs %d", i,
              g_array_index (got, gint32, i), g_array_index (want, gint32, i));
          break;
        }
      }
    }
    CU_ASSERT (ids_equal (got, want));
    n_ids += want->len;
    compared++;
    g_array_unref (got);

    for (guint k = 0; split && k < SPLITS_PER_RECORD; k++) {
      GArray *s = encode_split (st, data, len, rand, NULL);
      CU_ASSERT (ids_equal (s, want));
      g_array_unref (s);
    }
  }
  g_printerr ("\n    %s: %u texts, %u ids ", golden_name, compared, n_ids);
  seq_tokenizer_state_free (st);
  g_rand_free (rand);
  g_ptr_array_unref (golden);
  return compared;
}

/* ------------------------------------------------------------------------ */

static void
tokenizer_bytes_gives_one_id_per_byte (void)
{
  SeqTokenizer *tok = make_tokenizer (SEQ_TOKENIZER_MODE_BYTES, TRUE);
  const guint8 text[] = { 'h', 0, 0xff, 0xc3, 0xa9 };
  GArray *ids = ids_new (), *off = g_array_new (FALSE, FALSE, 8);
  SeqTokenizerState *st = seq_tokenizer_state_new (tok);

  CU_ASSERT_EQUAL (seq_tokenizer_vocab_size (tok), 256);
  CU_ASSERT_EQUAL (seq_tokenizer_state_feed (st, text, 5, ids, off), 5);
  for (guint i = 0; i < 5; i++) {
    CU_ASSERT_EQUAL (g_array_index (ids, gint32, i), text[i]);
    CU_ASSERT_EQUAL (g_array_index (off, guint64, i), i);
  }
  CU_ASSERT_EQUAL (seq_tokenizer_state_held (st), 0);
  CU_ASSERT_EQUAL (seq_tokenizer_state_finish (st, ids, off), 0);
  seq_tokenizer_state_free (st);
  g_array_unref (ids);
  g_array_unref (off);
  seq_tokenizer_unref (tok);
}

static void
tokenizer_chars_match_whatwg_decoding (void)
{
  SeqTokenizer *tok = make_tokenizer (SEQ_TOKENIZER_MODE_CHARS, TRUE);
  CU_ASSERT (check_golden (tok, "tok_golden_chars.txt", TRUE) > 50);
  seq_tokenizer_unref (tok);
}

static void
tokenizer_chars_replace_each_maximal_subpart (void)
{
  SeqTokenizer *tok = make_tokenizer (SEQ_TOKENIZER_MODE_CHARS, TRUE);
  /* ED A0 80: ED's second byte must be 80..9F, so three subparts */
  const guint8 text[] = { 0xed, 0xa0, 0x80, 'a', 0xf0, 0x9f, 0x98 };
  const gint32 want[] = { 0xfffd, 0xfffd, 0xfffd, 'a', 0xfffd };
  GArray *ids = ids_new ();

  seq_tokenizer_encode (tok, text, sizeof text, ids);
  CU_ASSERT_EQUAL (ids->len, G_N_ELEMENTS (want));
  CU_ASSERT (ids->len == G_N_ELEMENTS (want)
      && memcmp (ids->data, want, sizeof want) == 0);
  g_array_unref (ids);
  seq_tokenizer_unref (tok);
}

static void
tokenizer_bpe_matches_tiktoken_gpt2 (void)
{
  SeqTokenizer *tok;

  if (!have_vocab ("encoder.json") || !have_vocab ("vocab.bpe"))
    return;
  tok = make_tokenizer (SEQ_TOKENIZER_MODE_BPE, TRUE);
  CU_ASSERT_EQUAL (seq_tokenizer_vocab_size (tok), 50257);
  CU_ASSERT (check_golden (tok, "tok_golden_gpt2.txt", TRUE) > 50);
  seq_tokenizer_unref (tok);
}

static void
tokenizer_wordpiece_matches_hf_bert_uncased (void)
{
  SeqTokenizer *tok;

  if (!have_vocab ("vocab.txt"))
    return;
  tok = make_tokenizer (SEQ_TOKENIZER_MODE_WORDPIECE, TRUE);
  CU_ASSERT_EQUAL (seq_tokenizer_vocab_size (tok), 30522);
  CU_ASSERT_STRING_EQUAL (seq_tokenizer_id_to_token (tok, 100), "[UNK]");
  CU_ASSERT (check_golden (tok, "tok_golden_bert_uncased.txt", TRUE) > 50);
  seq_tokenizer_unref (tok);
}

static void
tokenizer_wordpiece_matches_hf_bert_cased_pipeline (void)
{
  SeqTokenizer *tok;

  if (!have_vocab ("vocab.txt"))
    return;
  tok = make_tokenizer (SEQ_TOKENIZER_MODE_WORDPIECE, FALSE);
  CU_ASSERT (check_golden (tok, "tok_golden_bert_cased.txt", TRUE) > 50);
  seq_tokenizer_unref (tok);
}

/* gpt-tokenizer's data/TestPlans.txt: "EncodingName: r50k_base", "Sample:
 * <text>", "Encoded: [ids]" blocks (r50k_base has GPT-2's ranks). */
static void
tokenizer_bpe_passes_gpt_tokenizer_test_plans (void)
{
  SeqTokenizer *tok;
  gchar *path, *data;
  gchar **lines;
  guint cases = 0;

  if (!have_vocab ("TestPlans.txt") || !have_vocab ("encoder.json"))
    return;
  tok = make_tokenizer (SEQ_TOKENIZER_MODE_BPE, TRUE);
  path = vocab_path ("TestPlans.txt");
  CU_ASSERT_FATAL (g_file_get_contents (path, &data, NULL, NULL));
  lines = g_strsplit (data, "\n", -1);
  for (guint i = 0; lines[i] && lines[i + 1] && lines[i + 2]; i++) {
    const gchar *sample, *enc;
    GArray *want = ids_new (), *got = ids_new ();
    gchar **toks;

    if (!g_str_equal (lines[i], "EncodingName: r50k_base")
        || !g_str_has_prefix (lines[i + 1], "Sample: ")
        || !g_str_has_prefix (lines[i + 2], "Encoded: [")) {
      g_array_unref (want);
      g_array_unref (got);
      continue;
    }
    sample = lines[i + 1] + strlen ("Sample: ");
    enc = lines[i + 2] + strlen ("Encoded: [");
    toks = g_strsplit_set (enc, ", ]", -1);
    for (guint k = 0; toks[k]; k++) {
      if (toks[k][0] != '\0') {
        gint32 v = (gint32) g_ascii_strtoll (toks[k], NULL, 10);
        g_array_append_val (want, v);
      }
    }
    g_strfreev (toks);
    seq_tokenizer_encode (tok, (const guint8 *) sample, strlen (sample), got);
    if (!ids_equal (got, want))
      g_printerr ("\n    TestPlans case %u differs: \"%s\"", cases, sample);
    CU_ASSERT (ids_equal (got, want));
    cases++;
    g_array_unref (want);
    g_array_unref (got);
  }
  g_printerr ("\n    TestPlans.txt: %u r50k_base cases ", cases);
  CU_ASSERT_EQUAL (cases, 64);
  g_strfreev (lines);
  g_free (data);
  g_free (path);
  seq_tokenizer_unref (tok);
}

static void
tokenizer_offsets_point_at_the_start_of_each_piece (void)
{
  SeqTokenizer *tok;
  const char *text = "Hello  world's\n\nend";
  GArray *ids = ids_new (), *off = g_array_new (FALSE, FALSE, 8);
  SeqTokenizerState *st;
  GRand *rand = g_rand_new_with_seed (3);
  GArray *off2 = g_array_new (FALSE, FALSE, 8), *ids2;

  if (!have_vocab ("encoder.json"))
    return;
  tok = make_tokenizer (SEQ_TOKENIZER_MODE_BPE, TRUE);
  st = seq_tokenizer_state_new (tok);
  seq_tokenizer_state_feed (st, (const guint8 *) text, strlen (text), ids,
      off);
  seq_tokenizer_state_finish (st, ids, off);
  /* "Hello" " " " world" "'s" "\n" "\n" "end": \s+(?!\S) leaves the last \n */
  {
    const guint64 want[7] = { 0, 5, 6, 12, 14, 15, 16 };
    CU_ASSERT_EQUAL_FATAL (off->len, 7);
    for (guint i = 0; i < 7; i++)
      CU_ASSERT_EQUAL (g_array_index (off, guint64, i), want[i]);
  }
  /* the same offsets whatever the split */
  ids2 = encode_split (st, (const guint8 *) text, strlen (text), rand, off2);
  CU_ASSERT (off2->len == off->len && memcmp (off2->data, off->data,
          off->len * 8) == 0);
  g_array_unref (ids2);
  g_array_unref (off2);
  g_rand_free (rand);
  seq_tokenizer_state_free (st);
  g_array_unref (ids);
  g_array_unref (off);
  seq_tokenizer_unref (tok);
}

static void
tokenizer_holds_back_only_the_undecided_tail (void)
{
  GArray *ids = ids_new ();
  SeqTokenizer *tok;
  SeqTokenizerState *st;

  /* chars: an incomplete UTF-8 sequence */
  tok = make_tokenizer (SEQ_TOKENIZER_MODE_CHARS, TRUE);
  st = seq_tokenizer_state_new (tok);
  CU_ASSERT_EQUAL (seq_tokenizer_state_feed (st, (const guint8 *) "a\xe4\xbd",
          3, ids, NULL), 1);
  CU_ASSERT_EQUAL (seq_tokenizer_state_held (st), 2);
  CU_ASSERT_EQUAL (seq_tokenizer_state_offset (st), 1);
  CU_ASSERT_EQUAL (seq_tokenizer_state_feed (st, (const guint8 *) "\xa0", 1,
          ids, NULL), 1);
  CU_ASSERT_EQUAL (g_array_index (ids, gint32, 1), 0x4f60);
  CU_ASSERT_EQUAL (seq_tokenizer_state_held (st), 0);
  /* reset forgets what is held */
  seq_tokenizer_state_feed (st, (const guint8 *) "\xe4", 1, ids, NULL);
  seq_tokenizer_state_reset (st);
  CU_ASSERT_EQUAL (seq_tokenizer_state_held (st), 0);
  CU_ASSERT_EQUAL (seq_tokenizer_state_finish (st, ids, NULL), 0);
  seq_tokenizer_state_free (st);
  seq_tokenizer_unref (tok);

  if (have_vocab ("encoder.json") && have_vocab ("vocab.txt")) {
    /* bpe: the last pre-token and a whitespace run */
    tok = make_tokenizer (SEQ_TOKENIZER_MODE_BPE, TRUE);
    st = seq_tokenizer_state_new (tok);
    g_array_set_size (ids, 0);
    seq_tokenizer_state_feed (st, (const guint8 *) "Hello wor", 9, ids, NULL);
    CU_ASSERT_EQUAL (ids->len, 1);      /* "Hello" */
    CU_ASSERT_EQUAL (seq_tokenizer_state_held (st), 4);
    seq_tokenizer_state_feed (st, (const guint8 *) "ld   ", 5, ids, NULL);
    CU_ASSERT_EQUAL (ids->len, 2);      /* " world" */
    CU_ASSERT_EQUAL (seq_tokenizer_state_held (st), 3);
    seq_tokenizer_state_finish (st, ids, NULL);
    CU_ASSERT_EQUAL (ids->len, 5);      /* "   " at the end: 3 x " " */
    seq_tokenizer_state_free (st);
    seq_tokenizer_unref (tok);

    /* wordpiece: the current word only */
    tok = make_tokenizer (SEQ_TOKENIZER_MODE_WORDPIECE, TRUE);
    st = seq_tokenizer_state_new (tok);
    g_array_set_size (ids, 0);
    seq_tokenizer_state_feed (st, (const guint8 *) "hello, wor", 10, ids,
        NULL);
    CU_ASSERT_EQUAL (ids->len, 2);      /* hello , */
    CU_ASSERT_EQUAL (seq_tokenizer_state_held (st), 3);
    CU_ASSERT_EQUAL (seq_tokenizer_state_offset (st), 7);
    seq_tokenizer_state_free (st);
    seq_tokenizer_unref (tok);
  }
  g_array_unref (ids);
}

static void
tokenizer_bpe_heap_merge_equals_tiktoken_scan (void)
{
  SeqTokenizer *tok;
  SeqBpe *bpe;
  SeqBpeState *bs;
  GRand *rand = g_rand_new_with_seed (77);
  gchar *ej, *mg, *pe, *pm;
  gsize el, ml;

  if (!have_vocab ("encoder.json"))
    return;
  tok = make_tokenizer (SEQ_TOKENIZER_MODE_BPE, TRUE);
  pe = vocab_path ("encoder.json");
  pm = vocab_path ("vocab.bpe");
  g_file_get_contents (pe, &ej, &el, NULL);
  g_file_get_contents (pm, &mg, &ml, NULL);
  bpe = seq_bpe_new_from_data (ej, el, mg, ml, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (bpe);
  bs = seq_bpe_state_new (bpe);

  for (guint t = 0; t < 300; t++) {
    guint8 piece[400];
    gsize n = g_rand_int_range (rand, 1, sizeof piece);
    GArray *a = ids_new (), *b = ids_new ();
    /* letters, spaces and high bytes: many merges, some impossible pairs */
    for (gsize i = 0; i < n; i++) {
      guint k = g_rand_int_range (rand, 0, 10);
      piece[i] = k < 7 ? 'a' + g_rand_int_range (rand, 0, 8) : k < 8 ? ' ' :
          (guint8) g_rand_int_range (rand, 128, 256);
    }
    seq_bpe_encode_piece (bs, piece, n, 1, a);
    seq_bpe_encode_piece (bs, piece, n, 2, b);
    CU_ASSERT (ids_equal (a, b));
    g_array_unref (a);
    g_array_unref (b);
  }
  seq_bpe_state_free (bs);
  seq_bpe_free (bpe);
  g_rand_free (rand);
  g_free (ej);
  g_free (mg);
  g_free (pe);
  g_free (pm);
  seq_tokenizer_unref (tok);
}

/* Arbitrary bytes (NUL, invalid UTF-8, everything) never crash, and split
 * anywhere they still give the same ids. */
static void
tokenizer_arbitrary_bytes_never_crash_and_split_invariantly (void)
{
  GRand *rand = g_rand_new_with_seed (99);
  SeqTokenizerMode modes[4] = { SEQ_TOKENIZER_MODE_BYTES,
    SEQ_TOKENIZER_MODE_CHARS, SEQ_TOKENIZER_MODE_WORDPIECE,
    SEQ_TOKENIZER_MODE_BPE
  };
  for (guint m = 0; m < 4; m++) {
    SeqTokenizer *tok;
    SeqTokenizerState *st;

    if (m == 2 && !have_vocab ("vocab.txt"))
      continue;
    if (m == 3 && !have_vocab ("encoder.json"))
      continue;
    tok = make_tokenizer (modes[m], TRUE);
    st = seq_tokenizer_state_new (tok);
    for (guint t = 0; t < 200; t++) {
      guint8 buf[300];
      gsize n = g_rand_int_range (rand, 0, sizeof buf);
      GArray *whole = ids_new (), *split;
      guint vocab = seq_tokenizer_vocab_size (tok);

      for (gsize i = 0; i < n; i++) {
        guint k = g_rand_int_range (rand, 0, 6);
        /* bias to interesting bytes */
        buf[i] = k == 0 ? 0 : k == 1 ? ' ' : k == 2 ? '\'' : k == 3 ?
            (guint8) g_rand_int_range (rand, 0x80, 0x100) :
            (guint8) g_rand_int_range (rand, 0, 0x100);
      }
      seq_tokenizer_state_feed (st, buf, n, whole, NULL);
      seq_tokenizer_state_finish (st, whole, NULL);
      for (guint i = 0; i < whole->len; i++) {
        gint32 id = g_array_index (whole, gint32, i);
        CU_ASSERT (id >= 0 && (guint) id < vocab);
      }
      split = encode_split (st, buf, n, rand, NULL);
      CU_ASSERT (ids_equal (whole, split));
      g_array_unref (whole);
      g_array_unref (split);
    }
    seq_tokenizer_state_free (st);
    seq_tokenizer_unref (tok);
  }
  g_rand_free (rand);
}

/* A long run without separators fed one byte at a time finishes (the scan
 * resumes where it stopped, the merge is O(n log n)) and equals the one-shot
 * result. */
static void
tokenizer_long_unbroken_run_byte_by_byte_equals_one_shot (void)
{
  const gsize n = 200000;
  guint8 *text = g_malloc (n);
  SeqTokenizer *tok;
  SeqTokenizerState *st;
  GArray *a = ids_new (), *b = ids_new ();

  if (!have_vocab ("encoder.json")) {
    g_free (text);
    return;
  }
  for (gsize i = 0; i < n; i++)
    text[i] = "abcdefgh"[(i * 7 + i / 3) % 8];  /* letters only: one pre-token */
  tok = make_tokenizer (SEQ_TOKENIZER_MODE_BPE, TRUE);
  st = seq_tokenizer_state_new (tok);
  for (gsize i = 0; i < n; i++)
    seq_tokenizer_state_feed (st, text + i, 1, a, NULL);
  CU_ASSERT_EQUAL (a->len, 0);
  CU_ASSERT_EQUAL (seq_tokenizer_state_held (st), n);
  seq_tokenizer_state_finish (st, a, NULL);
  seq_tokenizer_encode (tok, text, n, b);
  CU_ASSERT (a->len > 0 && ids_equal (a, b));
  seq_tokenizer_state_free (st);
  seq_tokenizer_unref (tok);

  /* whitespace run, same story */
  memset (text, ' ', n);
  text[n - 1] = 'x';
  g_array_set_size (a, 0);
  g_array_set_size (b, 0);
  tok = make_tokenizer (SEQ_TOKENIZER_MODE_BPE, TRUE);
  st = seq_tokenizer_state_new (tok);
  for (gsize i = 0; i < n; i++)
    seq_tokenizer_state_feed (st, text + i, 1, a, NULL);
  seq_tokenizer_state_finish (st, a, NULL);
  seq_tokenizer_encode (tok, text, n, b);
  CU_ASSERT (a->len > 0 && ids_equal (a, b));
  seq_tokenizer_state_free (st);
  seq_tokenizer_unref (tok);

  if (have_vocab ("vocab.txt")) {
    /* wordpiece: one endless word is one [UNK] and is not kept */
    for (gsize i = 0; i < n; i++)
      text[i] = 'q';
    g_array_set_size (a, 0);
    tok = make_tokenizer (SEQ_TOKENIZER_MODE_WORDPIECE, TRUE);
    st = seq_tokenizer_state_new (tok);
    for (gsize i = 0; i < n; i++)
      seq_tokenizer_state_feed (st, text + i, 1, a, NULL);
    seq_tokenizer_state_finish (st, a, NULL);
    CU_ASSERT_EQUAL (a->len, 1);
    CU_ASSERT_EQUAL (g_array_index (a, gint32, 0), 100);
    seq_tokenizer_state_free (st);
    seq_tokenizer_unref (tok);
  }
  g_array_unref (a);
  g_array_unref (b);
  g_free (text);
}

/* The 256 byte-level characters as JSON members "c":id with ids 0..255 in
 * GPT-2's rank order, each followed by a comma. */
static void
append_alphabet_vocab (GString * enc)
{
  guint n = 0;
  for (guint pass = 0; pass < 2; pass++) {
    guint extra = 0;
    for (guint b = 0; b < 256; b++) {
      gboolean printable = (b >= '!' && b <= '~') || (b >= 0xa1
          && b <= 0xac) || b >= 0xae;
      gunichar c;
      gchar u[8];
      gint l;
      if (!printable)
        extra++;
      if (printable != (pass == 0))
        continue;
      c = printable ? b : 255 + extra;
      l = g_unichar_to_utf8 (c, u);
      u[l] = 0;
      if (c == '"' || c == '\\')
        g_string_append_printf (enc, "\"\\%s\":%u,", u, n++);
      else
        g_string_append_printf (enc, "\"%s\":%u,", u, n++);
    }
  }
}

static gchar *
write_tmp (const char *dir, const char *name, const char *data, gssize len)
{
  gchar *p = g_build_filename (dir, name, NULL);
  g_file_set_contents (p, data, len, NULL);
  return p;
}

static void
expect_error (SeqTokenizerMode mode, const gchar * vocab, const gchar * merges,
    gint code)
{
  SeqTokenizerParams p = seq_tokenizer_params_default ();
  GError *err = NULL;
  SeqTokenizer *tok;

  p.mode = mode;
  p.vocab = vocab;
  p.merges = merges;
  tok = seq_tokenizer_new (&p, &err);
  CU_ASSERT_PTR_NULL (tok);
  CU_ASSERT (g_error_matches (err, SEQ_TOKENIZER_ERROR, code));
  if (err && !g_error_matches (err, SEQ_TOKENIZER_ERROR, code))
    g_printerr ("\n    unexpected error: %s", err->message);
  g_clear_error (&err);
  seq_tokenizer_unref (tok);
}

static void
tokenizer_malformed_vocabularies_are_clean_errors (void)
{
  gchar *dir = seq_test_tmpdir ();
  gchar *ok_txt = write_tmp (dir, "ok.txt", "[PAD]\n[UNK]\nhello\n##s\n", -1);
  gchar *no_unk = write_tmp (dir, "nounk.txt", "[PAD]\nhello\n", -1);
  gchar *empty = write_tmp (dir, "empty.txt", "", 0);
  gchar *bad_utf8 = write_tmp (dir, "bad.txt", "[UNK]\n\xff\xfe\n", -1);
  gchar *nul = write_tmp (dir, "nul.txt", "[UNK]\na\0b\n", 10);
  /* a small valid BPE pair: merges "a b" -> "ab" */
  GString *enc = g_string_new ("{");
  gchar *enc_ok, *merges_ok, *merges_bad, *merges_alpha, *enc_missing,
      *enc_notobj, *enc_badval, *enc_neg, *enc_json, *merges_unknown;
  SeqTokenizerParams p = seq_tokenizer_params_default ();
  SeqTokenizer *tok;
  GError *err = NULL;
  GArray *ids = ids_new ();

  append_alphabet_vocab (enc);
  {
    gchar *base = g_strdup (enc->str);
    g_string_append (enc, "\"ab\":256,\"<|endoftext|>\":257}");
    enc_ok = write_tmp (dir, "enc.json", enc->str, -1);
    g_string_assign (enc, base);
    g_string_append (enc, "\"zz\":256}");
    enc_missing = write_tmp (dir, "enc_missing.json", enc->str, -1);
    g_string_assign (enc, base);
    g_string_append (enc, "\"ab\":\"x\"}");
    enc_badval = write_tmp (dir, "enc_badval.json", enc->str, -1);
    g_string_assign (enc, base);
    g_string_append (enc, "\"ab\":-4}");
    enc_neg = write_tmp (dir, "enc_neg.json", enc->str, -1);
    g_free (base);
  }
  enc_notobj = write_tmp (dir, "enc_arr.json", "[1, 2, 3]", -1);
  enc_json = write_tmp (dir, "enc_bad.json", "{\"a\": 1,", -1);
  merges_ok = write_tmp (dir, "m.bpe", "#version: 0.2\na b\n", -1);
  merges_bad = write_tmp (dir, "m_bad.bpe", "#version: 0.2\na b c\n", -1);
  merges_alpha = write_tmp (dir, "m_alpha.bpe", "a \xe2\x82\xac\n", -1);
  merges_unknown = write_tmp (dir, "m_unk.bpe", "a b\nab c\n", -1);

  /* the valid ones load and work */
  p.mode = SEQ_TOKENIZER_MODE_WORDPIECE;
  p.vocab = ok_txt;
  tok = seq_tokenizer_new (&p, &err);
  g_assert_no_error (err);
  seq_tokenizer_encode (tok, (const guint8 *) "Hellos HELLO x", 14, ids);
  CU_ASSERT_EQUAL (ids->len, 4);        /* hello ##s, hello, [UNK] */
  CU_ASSERT (ids->len == 4 && g_array_index (ids, gint32, 0) == 2
      && g_array_index (ids, gint32, 1) == 3
      && g_array_index (ids, gint32, 2) == 2
      && g_array_index (ids, gint32, 3) == 1);
  seq_tokenizer_unref (tok);
  p.mode = SEQ_TOKENIZER_MODE_BPE;
  p.vocab = enc_ok;
  p.merges = merges_ok;
  tok = seq_tokenizer_new (&p, &err);
  g_assert_no_error (err);
  CU_ASSERT_PTR_NOT_NULL (tok);
  g_array_set_size (ids, 0);
  seq_tokenizer_encode (tok, (const guint8 *) "ab", 2, ids);
  CU_ASSERT (ids->len == 1 && g_array_index (ids, gint32, 0) == 256);
  seq_tokenizer_unref (tok);

  expect_error (SEQ_TOKENIZER_MODE_WORDPIECE, NULL, NULL,
      SEQ_TOKENIZER_ERROR_CONFIG);
  expect_error (SEQ_TOKENIZER_MODE_WORDPIECE, "/nonexistent/vocab.txt", NULL,
      SEQ_TOKENIZER_ERROR_IO);
  expect_error (SEQ_TOKENIZER_MODE_WORDPIECE, no_unk, NULL,
      SEQ_TOKENIZER_ERROR_VOCAB);
  expect_error (SEQ_TOKENIZER_MODE_WORDPIECE, empty, NULL,
      SEQ_TOKENIZER_ERROR_VOCAB);
  expect_error (SEQ_TOKENIZER_MODE_WORDPIECE, bad_utf8, NULL,
      SEQ_TOKENIZER_ERROR_VOCAB);
  expect_error (SEQ_TOKENIZER_MODE_WORDPIECE, nul, NULL,
      SEQ_TOKENIZER_ERROR_VOCAB);
  expect_error (SEQ_TOKENIZER_MODE_BPE, NULL, merges_ok,
      SEQ_TOKENIZER_ERROR_CONFIG);
  /* without merges the vocabulary is read as a tokenizer.json */
  expect_error (SEQ_TOKENIZER_MODE_BPE, enc_ok, NULL,
      SEQ_TOKENIZER_ERROR_VOCAB);
  expect_error (SEQ_TOKENIZER_MODE_BPE, "/nonexistent/e.json", merges_ok,
      SEQ_TOKENIZER_ERROR_IO);
  expect_error (SEQ_TOKENIZER_MODE_BPE, enc_missing, merges_ok,
      SEQ_TOKENIZER_ERROR_VOCAB);
  expect_error (SEQ_TOKENIZER_MODE_BPE, enc_badval, merges_ok,
      SEQ_TOKENIZER_ERROR_VOCAB);
  expect_error (SEQ_TOKENIZER_MODE_BPE, enc_neg, merges_ok,
      SEQ_TOKENIZER_ERROR_VOCAB);
  expect_error (SEQ_TOKENIZER_MODE_BPE, enc_notobj, merges_ok,
      SEQ_TOKENIZER_ERROR_VOCAB);
  expect_error (SEQ_TOKENIZER_MODE_BPE, enc_json, merges_ok,
      SEQ_TOKENIZER_ERROR_VOCAB);
  expect_error (SEQ_TOKENIZER_MODE_BPE, enc_ok, merges_bad,
      SEQ_TOKENIZER_ERROR_VOCAB);
  expect_error (SEQ_TOKENIZER_MODE_BPE, enc_ok, merges_alpha,
      SEQ_TOKENIZER_ERROR_VOCAB);
  expect_error (SEQ_TOKENIZER_MODE_BPE, enc_ok, merges_unknown,
      SEQ_TOKENIZER_ERROR_VOCAB);

  g_array_unref (ids);
  g_string_free (enc, TRUE);
  for (gchar ** f = (gchar *[]) { ok_txt, no_unk, empty, bad_utf8, nul,
          enc_ok, merges_ok, merges_bad, merges_alpha, enc_missing,
          enc_notobj, enc_badval, enc_neg, enc_json, merges_unknown, NULL };
      *f; f++) {
    g_unlink (*f);
    g_free (*f);
  }
  g_rmdir (dir);
  g_free (dir);
}

static void
tokenizer_bpe_tokenizer_json_matches_hf_tokenizers (void)
{
  SeqTokenizerParams p = seq_tokenizer_params_default ();
  gchar *v;
  SeqTokenizer *tok;
  GError *err = NULL;

  if (!have_vocab ("gpt2-tokenizer.json"))
    return;
  v = vocab_path ("gpt2-tokenizer.json");
  p.mode = SEQ_TOKENIZER_MODE_BPE;
  p.vocab = v;
  tok = seq_tokenizer_new (&p, &err);
  g_assert_no_error (err);
  CU_ASSERT_EQUAL (seq_tokenizer_vocab_size (tok), 50257);
  CU_ASSERT (check_golden (tok, "tok_golden_gpt2_hf.txt", TRUE) > 50);
  seq_tokenizer_unref (tok);
  g_free (v);
}

/* Merges "b c", "a b", "ab c": "abc" is a token, but after b+c no listed
 * pair joins a and bc. tiktoken's rule (any two parts whose concatenation is
 * a token) gives [abc]; Hugging Face's (listed pairs only) stops at
 * [a, bc] (npm tokenizers 0.23 gives [64, 256] on this tokenizer.json). */
static void
tokenizer_bpe_tokenizer_json_merges_only_listed_pairs (void)
{
  gchar *dir = seq_test_tmpdir ();
  GString *vocab = g_string_new ("{");
  GString *tj = g_string_new (NULL);
  gchar *enc_path, *merges_path, *tj_path;
  SeqTokenizerParams p = seq_tokenizer_params_default ();
  SeqTokenizer *tok;
  GArray *ids = ids_new ();
  GError *err = NULL;

  append_alphabet_vocab (vocab);
  g_string_append (vocab, "\"bc\":256,\"ab\":257,\"abc\":258}");
  enc_path = write_tmp (dir, "enc.json", vocab->str, -1);
  merges_path = write_tmp (dir, "m.bpe", "#version: 0.2\nb c\na b\nab c\n", -1);
  g_string_printf (tj, "{\"added_tokens\":[],\"normalizer\":null,"
      "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,"
      "\"trim_offsets\":true,\"use_regex\":true},\"model\":{\"type\":\"BPE\","
      "\"dropout\":null,\"vocab\":%s,\"merges\":[[\"b\",\"c\"],\"a b\",\"ab c\"]}}",
      vocab->str);
  tj_path = write_tmp (dir, "tokenizer.json", tj->str, -1);

  p.mode = SEQ_TOKENIZER_MODE_BPE;
  p.vocab = enc_path;
  p.merges = merges_path;
  tok = seq_tokenizer_new (&p, &err);
  g_assert_no_error (err);
  seq_tokenizer_encode (tok, (const guint8 *) "abc", 3, ids);
  CU_ASSERT (ids->len == 1 && g_array_index (ids, gint32, 0) == 258);
  seq_tokenizer_unref (tok);

  p.vocab = tj_path;
  p.merges = NULL;
  tok = seq_tokenizer_new (&p, &err);
  g_assert_no_error (err);
  g_array_set_size (ids, 0);
  seq_tokenizer_encode (tok, (const guint8 *) "abc", 3, ids);
  CU_ASSERT (ids->len == 2 && g_array_index (ids, gint32, 0) == 'a' - '!'
      && g_array_index (ids, gint32, 1) == 256);
  seq_tokenizer_unref (tok);

  /* what a tokenizer.json must be */
  {
    const char *bad[] = {
      "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{}}}",
      "{\"normalizer\":{\"type\":\"NFC\"},\"pre_tokenizer\":{\"type\":"
          "\"ByteLevel\"},\"model\":{\"type\":\"BPE\",\"vocab\":%s,"
          "\"merges\":[]}}",
      "{\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true},"
          "\"model\":{\"type\":\"BPE\",\"vocab\":%s,\"merges\":[]}}",
      "{\"pre_tokenizer\":{\"type\":\"Whitespace\"},"
          "\"model\":{\"type\":\"BPE\",\"vocab\":%s,\"merges\":[]}}",
      "{\"pre_tokenizer\":{\"type\":\"ByteLevel\"},"
          "\"model\":{\"type\":\"BPE\",\"vocab\":%s,\"merges\":{}}}",
      "{\"pre_tokenizer\":{\"type\":\"ByteLevel\"},"
          "\"model\":{\"type\":\"BPE\",\"vocab\":%s,\"merges\":[\"abc\"]}}",
      "{\"pre_tokenizer\":{\"type\":\"ByteLevel\"},"
          "\"model\":{\"type\":\"BPE\",\"vocab\":%s,\"merges\":[[\"a\",1]]}}",
      "{\"pre_tokenizer\":{\"type\":\"ByteLevel\"},"
          "\"model\":{\"type\":\"BPE\",\"vocab\":%s,\"merges\":[\"ab c\","
          "\"a b\"],\"dropout\":0.1}}",
      "[]",
      /* non-string / non-boolean members (found by fuzzing) */
      "{\"pre_tokenizer\":{\"type\":null},"
          "\"model\":{\"type\":\"BPE\",\"vocab\":%s,\"merges\":[]}}",
      "{\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"use_regex\":7},"
          "\"model\":{\"type\":5,\"vocab\":%s,\"merges\":[]}}",
      "{\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"use_regex\":\"yes\"},"
          "\"model\":{\"type\":\"BPE\",\"vocab\":%s,\"merges\":[]}}",
    };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
      gchar *text = g_strdup_printf (bad[i], vocab->str);
      gchar *path = write_tmp (dir, "bad.json", text, -1);
      expect_error (SEQ_TOKENIZER_MODE_BPE, path, NULL,
          SEQ_TOKENIZER_ERROR_VOCAB);
      g_unlink (path);
      g_free (path);
      g_free (text);
    }
  }

  g_array_unref (ids);
  g_unlink (enc_path);
  g_unlink (merges_path);
  g_unlink (tj_path);
  g_rmdir (dir);
  g_free (enc_path);
  g_free (merges_path);
  g_free (tj_path);
  g_free (dir);
  g_string_free (vocab, TRUE);
  g_string_free (tj, TRUE);
}

/* For every mode and corpus record: feed a random prefix, save, drop the
 * state, restore into a fresh one (of a fresh tokenizer), feed the rest:
 * the ids equal the uninterrupted run. */
static void
tokenizer_state_save_restore_continues_exactly (void)
{
  GRand *rand = g_rand_new_with_seed (11);
  SeqTokenizerMode modes[4] = { SEQ_TOKENIZER_MODE_BYTES,
    SEQ_TOKENIZER_MODE_CHARS, SEQ_TOKENIZER_MODE_WORDPIECE,
    SEQ_TOKENIZER_MODE_BPE
  };

  load_corpus ();
  for (guint m = 0; m < 4; m++) {
    SeqTokenizer *tok;
    guint checked = 0;

    if (m == 2 && !have_vocab ("vocab.txt"))
      continue;
    if (m == 3 && !have_vocab ("encoder.json"))
      continue;
    tok = make_tokenizer (modes[m], TRUE);
    for (guint r = 0; r < corpus.records->len; r++) {
      gsize len;
      const guint8 *data = g_bytes_get_data (g_ptr_array_index
          (corpus.records, r), &len);
      GArray *want = ids_new (), *got = ids_new ();
      SeqTokenizerState *a = seq_tokenizer_state_new (tok), *b;
      SeqTokenizer *tok2 = make_tokenizer (modes[m], TRUE);
      gsize cut = len ? (gsize) g_rand_int_range (rand, 0, (gint) len + 1) : 0;
      GBytes *blob;
      GError *err = NULL;

      seq_tokenizer_encode (tok, data, len, want);
      seq_tokenizer_state_feed (a, data, cut, got, NULL);
      blob = seq_tokenizer_state_save (a);
      seq_tokenizer_state_free (a);
      b = seq_tokenizer_state_new (tok2);
      CU_ASSERT (seq_tokenizer_state_restore (b, blob, &err));
      g_assert_no_error (err);
      CU_ASSERT_EQUAL (seq_tokenizer_state_offset (b) +
          seq_tokenizer_state_held (b), cut);
      seq_tokenizer_state_feed (b, data + cut, len - cut, got, NULL);
      seq_tokenizer_state_finish (b, got, NULL);
      CU_ASSERT (ids_equal (got, want));
      checked++;
      g_bytes_unref (blob);
      seq_tokenizer_state_free (b);
      seq_tokenizer_unref (tok2);
      g_array_unref (want);
      g_array_unref (got);
    }
    CU_ASSERT (checked > 50);
    seq_tokenizer_unref (tok);
  }
  g_rand_free (rand);
}

/* Blobs of another mode, truncated, or with any single byte changed are
 * refused or, where the change leaves a consistent state, accepted; never a
 * crash, and a refused restore leaves the state as it was. */
static void
tokenizer_malformed_state_blobs_are_refused (void)
{
  SeqTokenizer *chars = make_tokenizer (SEQ_TOKENIZER_MODE_CHARS, TRUE);
  SeqTokenizer *bytes = make_tokenizer (SEQ_TOKENIZER_MODE_BYTES, TRUE);
  SeqTokenizer *wp = have_vocab ("vocab.txt") ?
      make_tokenizer (SEQ_TOKENIZER_MODE_WORDPIECE, TRUE) : NULL;
  SeqTokenizer *toks[2] = { chars, wp };
  GError *err = NULL;

  for (guint t = 0; t < 2; t++) {
    SeqTokenizerState *st, *other;
    GBytes *blob;
    const guint8 *p;
    gsize n;

    if (toks[t] == NULL)
      continue;
    st = seq_tokenizer_state_new (toks[t]);
    {
      GArray *ids = ids_new ();
      seq_tokenizer_state_feed (st, (const guint8 *) "hello wor\xe4\xbd", 11,
          ids, NULL);
      g_array_unref (ids);
    }
    blob = seq_tokenizer_state_save (st);
    p = g_bytes_get_data (blob, &n);

    /* another mode */
    other = seq_tokenizer_state_new (bytes);
    CU_ASSERT_FALSE (seq_tokenizer_state_restore (other, blob, &err));
    CU_ASSERT (g_error_matches (err, SEQ_TOKENIZER_ERROR,
            SEQ_TOKENIZER_ERROR_STATE));
    g_clear_error (&err);
    seq_tokenizer_state_free (other);

    /* truncations and single-byte changes */
    for (gsize k = 0; k < n; k++) {
      GBytes *cut = g_bytes_new (p, k);
      guint8 *flip = g_memdup2 (p, n);
      GBytes *fb;
      SeqTokenizerState *x = seq_tokenizer_state_new (toks[t]);
      GArray *ids = ids_new ();

      CU_ASSERT_FALSE (seq_tokenizer_state_restore (x, cut, &err));
      CU_ASSERT (err != NULL);
      g_clear_error (&err);
      CU_ASSERT_EQUAL (seq_tokenizer_state_held (x), 0);
      flip[k] ^= 0x5a;
      fb = g_bytes_new_take (flip, n);
      if (!seq_tokenizer_state_restore (x, fb, &err))
        g_clear_error (&err);
      seq_tokenizer_state_feed (x, (const guint8 *) "\xa0ld", 3, ids, NULL);
      seq_tokenizer_state_finish (x, ids, NULL);
      g_bytes_unref (cut);
      g_bytes_unref (fb);
      g_array_unref (ids);
      seq_tokenizer_state_free (x);
    }
    g_bytes_unref (blob);
    seq_tokenizer_state_free (st);
  }
  seq_tokenizer_unref (chars);
  seq_tokenizer_unref (bytes);
  seq_tokenizer_unref (wp);
}

static void
tokenizer_modes_parse_and_name (void)
{
  SeqTokenizerMode m;

  CU_ASSERT (seq_tokenizer_mode_parse ("bpe", &m)
      && m == SEQ_TOKENIZER_MODE_BPE);
  CU_ASSERT (seq_tokenizer_mode_parse ("WordPiece", &m)
      && m == SEQ_TOKENIZER_MODE_WORDPIECE);
  CU_ASSERT_FALSE (seq_tokenizer_mode_parse ("sentencepiece", &m));
  CU_ASSERT_STRING_EQUAL (seq_tokenizer_mode_name (SEQ_TOKENIZER_MODE_CHARS),
      "chars");
  seq_tokenizer_unref (NULL);
  seq_tokenizer_state_free (NULL);
}

int
main (void)
{
  static const SeqTestCase cases[] = {
    {"tokenizer_bytes_gives_one_id_per_byte",
        tokenizer_bytes_gives_one_id_per_byte},
    {"tokenizer_chars_match_whatwg_decoding",
        tokenizer_chars_match_whatwg_decoding},
    {"tokenizer_chars_replace_each_maximal_subpart",
        tokenizer_chars_replace_each_maximal_subpart},
    {"tokenizer_bpe_matches_tiktoken_gpt2",
        tokenizer_bpe_matches_tiktoken_gpt2},
    {"tokenizer_bpe_passes_gpt_tokenizer_test_plans",
        tokenizer_bpe_passes_gpt_tokenizer_test_plans},
    {"tokenizer_wordpiece_matches_hf_bert_uncased",
        tokenizer_wordpiece_matches_hf_bert_uncased},
    {"tokenizer_wordpiece_matches_hf_bert_cased_pipeline",
        tokenizer_wordpiece_matches_hf_bert_cased_pipeline},
    {"tokenizer_offsets_point_at_the_start_of_each_piece",
        tokenizer_offsets_point_at_the_start_of_each_piece},
    {"tokenizer_holds_back_only_the_undecided_tail",
        tokenizer_holds_back_only_the_undecided_tail},
    {"tokenizer_bpe_heap_merge_equals_tiktoken_scan",
        tokenizer_bpe_heap_merge_equals_tiktoken_scan},
    {"tokenizer_arbitrary_bytes_never_crash_and_split_invariantly",
        tokenizer_arbitrary_bytes_never_crash_and_split_invariantly},
    {"tokenizer_long_unbroken_run_byte_by_byte_equals_one_shot",
        tokenizer_long_unbroken_run_byte_by_byte_equals_one_shot},
    {"tokenizer_malformed_vocabularies_are_clean_errors",
        tokenizer_malformed_vocabularies_are_clean_errors},
    {"tokenizer_bpe_tokenizer_json_matches_hf_tokenizers",
        tokenizer_bpe_tokenizer_json_matches_hf_tokenizers},
    {"tokenizer_bpe_tokenizer_json_merges_only_listed_pairs",
        tokenizer_bpe_tokenizer_json_merges_only_listed_pairs},
    {"tokenizer_state_save_restore_continues_exactly",
        tokenizer_state_save_restore_continues_exactly},
    {"tokenizer_malformed_state_blobs_are_refused",
        tokenizer_malformed_state_blobs_are_refused},
    {"tokenizer_modes_parse_and_name", tokenizer_modes_parse_and_name},
    {NULL, NULL}
  };
  int rc = seq_test_run ("tokenizer", cases);
  if (corpus.records)
    g_ptr_array_unref (corpus.records);
  return rc;
}
