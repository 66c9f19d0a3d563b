/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — BERT WordPiece: vocab.txt, BertNormalizer, BertPreTokenizer and
 * greedy longest-match-first WordPiece, one character at a time.
 *
 * vocab.txt layout: UTF-8 text, one token per line, lines end in "\n" (a
 * "\r" before it and any trailing White_Space are trimmed, as Hugging Face's
 * WordPiece::from_file does); the id of a token is its 0-based line number.
 * A final line without "\n" counts; no empty line follows the last "\n". A
 * token listed twice maps to its last line. Continuation pieces start with
 * "##". Checked: valid UTF-8 without NUL, at least one line, fewer than 2^31
 * lines, the unknown token ("[UNK]") present.
 *
 * Per character c of the stream (Hugging Face tokenizers 0.13+, bert.rs):
 *   1. clean: c = 0, U+FFFD or a control character (category C* except \t
 *      \n \r; so \v, \f and U+0085 too) is dropped; White_Space becomes a
 *      word boundary.
 *   2. CJK ideographs (BERT's block list) are words of their own.
 *   3. lowercase mode: canonical decomposition (NFD), nonspacing marks (Mn)
 *      dropped, each remaining character lowercased.
 *   4. split: White_Space ends the word; punctuation (P* or ASCII
 *      punctuation) ends it and is a word of its own; anything else extends
 *      it.
 * A word is WordPiece-encoded when it ends. Nothing ever needs lookahead, so
 * the output cannot depend on how the input is split.
 *
 * Known approximation: NFD's canonical reordering is not applied across the
 * characters of a word; it can only matter for a sequence of non-starter
 * marks that are not Mn (which lowercase mode keeps), none of which occurs in
 * real text we know of.
 */
#include "tokenizer-wordpiece.h"

#include <string.h>

struct _SeqWordPiece
{
  SeqStrTable vocab;            /* token -> id */
  SeqStrTable cont;             /* "##x" tokens by x -> id */
  guint *id_key;                /* [n_ids] key index in vocab of each id */
  guint n_ids;
  gint32 unk_id;
  gboolean lowercase;
  guint max_word_chars;
  gsize max_token_bytes;        /* longest token, "##" excluded */
};

struct _SeqWordPieceState
{
  const SeqWordPiece *wp;
  guint8 *word;                 /* normalized bytes of the current word */
  gsize word_len, word_cap;
  guint word_chars;
  gboolean overlong;            /* more than max_word_chars: [UNK] */
  gint64 word_off;              /* stream offset of its first char, -1 none */
};

/* ASCII classes */
enum
{
  A_DROP = 1,                   /* NUL and control characters */
  A_SPACE = 2,
  A_PUNCT = 3,
  A_WORD = 4,
};

static guint8 ascii_class[128];

static void
init_ascii_class (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    for (int c = 0; c < 128; c++) {
      guint8 k = A_WORD;
      /* \v and \f are White_Space but Cc: cleaning drops them first */
      if (c == '\t' || c == '\n' || c == '\r' || c == ' ')
        k = A_SPACE;
      else if (c < 0x20 || c == 0x7f)
        k = A_DROP;
      else if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64)
          || (c >= 91 && c <= 96) || (c >= 123 && c <= 126))
        k = A_PUNCT;
      ascii_class[c] = k;
    }
    g_once_init_leave (&done, 1);
  }
}

/* ------------------------------------------------------------------------ */
/* model */

static gboolean
is_token_trailing_space (gunichar c)
{
  return seq_unichar_is_white_space (c);
}

SeqWordPiece *
seq_wordpiece_new_from_data (const gchar * data, gsize len,
    const gchar * unk_token, gboolean lowercase, guint max_word_chars,
    GError ** error)
{
  SeqWordPiece *wp;
  const gchar *end = data + len, *p = data, *bad;
  guint line = 0;
  GArray *id_key;

  init_ascii_class ();
  if (!g_utf8_validate_len (data, len, &bad)) {
    guint lineno = 1;
    for (const gchar * q = data; q < bad; q++)
      lineno += *q == '\n';
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
        "vocab.txt: invalid UTF-8 or NUL byte on line %u", lineno);
    return NULL;
  }
  if (len == 0) {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
        "vocab.txt is empty");
    return NULL;
  }

  wp = g_new0 (SeqWordPiece, 1);
  seq_str_table_init (&wp->vocab);
  seq_str_table_init (&wp->cont);
  wp->lowercase = lowercase;
  wp->max_word_chars = max_word_chars ? max_word_chars : 100;
  id_key = g_array_new (FALSE, FALSE, sizeof (guint));

  while (p < end) {
    const gchar *nl = memchr (p, '\n', end - p);
    const gchar *e = nl ? nl : end;
    guint k;

    /* trim trailing White_Space (Rust's str::trim_end) */
    while (e > p) {
      const gchar *prev = g_utf8_find_prev_char (p, e);
      if (prev == NULL)
        prev = p;
      if (!is_token_trailing_space (g_utf8_get_char (prev)))
        break;
      e = prev;
    }
    if (line >= (guint) G_MAXINT32) {
      g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
          "vocab.txt has too many lines");
      goto fail;
    }
    k = seq_str_table_insert (&wp->vocab, (const guint8 *) p, e - p,
        (gint32) line);
    if (k == G_MAXUINT) {
      g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
          "vocab.txt is too large");
      goto fail;
    }
    g_array_append_val (id_key, k);
    if (e - p > 2 && p[0] == '#' && p[1] == '#') {
      seq_str_table_insert (&wp->cont, (const guint8 *) p + 2, e - p - 2,
          (gint32) line);
      wp->max_token_bytes = MAX (wp->max_token_bytes, (gsize) (e - p - 2));
    } else {
      wp->max_token_bytes = MAX (wp->max_token_bytes, (gsize) (e - p));
    }
    line++;
    p = nl ? nl + 1 : end;
  }

  wp->n_ids = id_key->len;
  wp->id_key = (guint *) g_array_free (id_key, FALSE);
  id_key = NULL;

  {
    gint k = seq_str_table_find (&wp->vocab, (const guint8 *) unk_token,
        strlen (unk_token));
    if (k < 0) {
      g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
          "vocab.txt has no unknown token \"%s\"", unk_token);
      goto fail;
    }
    wp->unk_id = wp->vocab.value[k];
  }
  return wp;

fail:
  if (id_key)
    g_array_free (id_key, TRUE);
  seq_wordpiece_free (wp);
  return NULL;
}

SeqWordPiece *
seq_wordpiece_load (const gchar * vocab_path, const gchar * unk_token,
    gboolean lowercase, guint max_word_chars, GError ** error)
{
  gchar *data = NULL;
  gsize len = 0;
  GError *err = NULL;
  SeqWordPiece *wp;

  if (!g_file_get_contents (vocab_path, &data, &len, &err)) {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_IO,
        "cannot read vocab.txt: %s", err->message);
    g_clear_error (&err);
    return NULL;
  }
  wp = seq_wordpiece_new_from_data (data, len, unk_token, lowercase,
      max_word_chars, error);
  g_free (data);
  return wp;
}

void
seq_wordpiece_free (SeqWordPiece * wp)
{
  if (wp == NULL)
    return;
  seq_str_table_clear (&wp->vocab);
  seq_str_table_clear (&wp->cont);
  g_free (wp->id_key);
  g_free (wp);
}

guint
seq_wordpiece_vocab_size (const SeqWordPiece * wp)
{
  return wp->n_ids;
}

const gchar *
seq_wordpiece_id_to_token (const SeqWordPiece * wp, gint32 id)
{
  gsize len;
  if (id < 0 || (guint) id >= wp->n_ids)
    return NULL;
  return (const gchar *) seq_str_table_key (&wp->vocab, wp->id_key[id], &len);
}

/* ------------------------------------------------------------------------ */
/* state */

SeqWordPieceState *
seq_wordpiece_state_new (const SeqWordPiece * wp)
{
  SeqWordPieceState *ws = g_new0 (SeqWordPieceState, 1);

  ws->wp = wp;
  /* a word keeps at most max_word_chars characters of <= 4 bytes each */
  ws->word_cap = (gsize) wp->max_word_chars * 4 + 8;
  ws->word = g_malloc (ws->word_cap);
  ws->word_off = -1;
  return ws;
}

void
seq_wordpiece_state_free (SeqWordPieceState * ws)
{
  if (ws == NULL)
    return;
  g_free (ws->word);
  g_free (ws);
}

void
seq_wordpiece_state_reset (SeqWordPieceState * ws)
{
  ws->word_len = 0;
  ws->word_chars = 0;
  ws->overlong = FALSE;
  ws->word_off = -1;
}

gint64
seq_wordpiece_state_word_offset (const SeqWordPieceState * ws)
{
  return ws->word_off;
}

/* Greedy longest-match-first over the word's bytes. */
static void
encode_word (const SeqWordPiece * wp, const guint8 * w, gsize n,
    guint64 off, GArray * ids, GArray * offsets)
{
  guint before = ids->len;
  gsize start = 0;

  while (start < n) {
    const SeqStrTable *table = start == 0 ? &wp->vocab : &wp->cont;
    gsize end = MIN (n, start + wp->max_token_bytes);
    gint found = -1;

    /* back to a character boundary */
    while (end < n && end > start && (w[end] & 0xc0) == 0x80)
      end--;
    while (end > start) {
      found = seq_str_table_find (table, w + start, end - start);
      if (found >= 0)
        break;
      do
        end--;
      while (end > start && (w[end] & 0xc0) == 0x80);
    }
    if (found < 0) {
      g_array_set_size (ids, before);
      if (offsets)
        g_array_set_size (offsets, before);
      seq_tokenizer_emit (ids, offsets, wp->unk_id, off);
      return;
    }
    seq_tokenizer_emit (ids, offsets, table->value[found], off);
    start = end;
  }
}

static void
end_word (SeqWordPieceState * ws, GArray * ids, GArray * offsets)
{
  if (ws->word_off < 0)
    return;
  if (ws->overlong)
    seq_tokenizer_emit (ids, offsets, ws->wp->unk_id,
        (guint64) ws->word_off);
  else
    encode_word (ws->wp, ws->word, ws->word_len, (guint64) ws->word_off, ids,
        offsets);
  seq_wordpiece_state_reset (ws);
}

static inline void
word_append (SeqWordPieceState * ws, gunichar c, guint64 off)
{
  if (ws->word_off < 0)
    ws->word_off = (gint64) off;
  if (ws->overlong)
    return;
  if (++ws->word_chars > ws->wp->max_word_chars) {
    ws->overlong = TRUE;
    return;
  }
  if (c < 0x80)
    ws->word[ws->word_len++] = (guint8) c;
  else
    ws->word_len += g_unichar_to_utf8 (c, (gchar *) ws->word + ws->word_len);
}

static inline gboolean
is_punct (gunichar c)
{
  if (c < 0x80)
    return ascii_class[c] == A_PUNCT;
  switch (g_unichar_type (c)) {
    case G_UNICODE_CONNECT_PUNCTUATION:
    case G_UNICODE_DASH_PUNCTUATION:
    case G_UNICODE_CLOSE_PUNCTUATION:
    case G_UNICODE_FINAL_PUNCTUATION:
    case G_UNICODE_INITIAL_PUNCTUATION:
    case G_UNICODE_OTHER_PUNCTUATION:
    case G_UNICODE_OPEN_PUNCTUATION:
      return TRUE;
    default:
      return FALSE;
  }
}

static inline gboolean
is_control (gunichar c)
{
  switch (g_unichar_type (c)) {
    case G_UNICODE_CONTROL:
    case G_UNICODE_FORMAT:
    case G_UNICODE_PRIVATE_USE:
    case G_UNICODE_SURROGATE:
      return TRUE;
    default:
      return FALSE;
  }
}

/* BERT's "Chinese character" blocks (tokenization.py _is_chinese_char). */
static inline gboolean
is_cjk (gunichar c)
{
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF)
      || (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F)
      || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF)
      || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* Step 4 for one normalized character. */
static inline void
split_char (SeqWordPieceState * ws, gunichar c, guint64 off, GArray * ids,
    GArray * offsets)
{
  if (seq_unichar_is_white_space (c)) {
    end_word (ws, ids, offsets);
  } else if (is_punct (c)) {
    end_word (ws, ids, offsets);
    word_append (ws, c, off);
    end_word (ws, ids, offsets);
  } else {
    word_append (ws, c, off);
  }
}

/* Step 3 then 4. */
static void
normalize_split (SeqWordPieceState * ws, gunichar c, guint64 off,
    GArray * ids, GArray * offsets)
{
  gunichar d[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
  gsize n;

  if (!ws->wp->lowercase) {
    split_char (ws, c, off, ids, offsets);
    return;
  }
  n = g_unichar_fully_decompose (c, FALSE, d, G_N_ELEMENTS (d));
  for (gsize i = 0; i < n; i++) {
    if (g_unichar_type (d[i]) == G_UNICODE_NON_SPACING_MARK)
      continue;
    split_char (ws, g_unichar_tolower (d[i]), off, ids, offsets);
  }
}

void
seq_wordpiece_state_push (SeqWordPieceState * ws, gunichar c, guint64 off,
    GArray * ids, GArray * offsets)
{
  if (c < 0x80) {
    switch (ascii_class[c]) {
      case A_DROP:
        return;
      case A_SPACE:
        end_word (ws, ids, offsets);
        return;
      case A_PUNCT:
        end_word (ws, ids, offsets);
        word_append (ws, c, off);
        end_word (ws, ids, offsets);
        return;
      default:
        word_append (ws, ws->wp->lowercase ? (gunichar) g_ascii_tolower ((gchar) c) : c,
            off);
        return;
    }
  }

  /* 1. clean */
  if (c == 0xfffd || is_control (c))
    return;                     /* U+0085 too: Cc, though White_Space */
  if (seq_unichar_is_white_space (c)) {
    end_word (ws, ids, offsets);
    return;
  }
  /* 2. CJK */
  if (is_cjk (c)) {
    end_word (ws, ids, offsets);
    normalize_split (ws, c, off, ids, offsets);
    end_word (ws, ids, offsets);
    return;
  }
  normalize_split (ws, c, off, ids, offsets);
}

void
seq_wordpiece_state_flush (SeqWordPieceState * ws, GArray * ids,
    GArray * offsets)
{
  end_word (ws, ids, offsets);
}

/* Blob: u8 lowercase, u32 max_word_chars, i64 word_off, u32 word_chars,
 * u8 overlong, u32 word_len, word bytes (little-endian). */
void
seq_wordpiece_state_save (const SeqWordPieceState * ws, GByteArray * out)
{
  guint8 h[26];
  guint32 v;
  guint64 o = (guint64) ws->word_off;

  h[0] = ws->wp->lowercase ? 1 : 0;
  v = GUINT32_TO_LE (ws->wp->max_word_chars);
  memcpy (h + 1, &v, 4);
  o = GUINT64_TO_LE (o);
  memcpy (h + 5, &o, 8);
  v = GUINT32_TO_LE (ws->word_chars);
  memcpy (h + 13, &v, 4);
  h[17] = ws->overlong ? 1 : 0;
  v = GUINT32_TO_LE ((guint32) ws->word_len);
  memcpy (h + 18, &v, 4);
  g_byte_array_append (out, h, 22);
  g_byte_array_append (out, ws->word, ws->word_len);
}

gboolean
seq_wordpiece_state_restore (SeqWordPieceState * ws, const guint8 * p,
    gsize n, guint64 fed, GError ** error)
{
  guint32 max_chars, chars, len;
  guint64 o;
  gint64 off;

  if (n < 22)
    goto bad;
  memcpy (&max_chars, p + 1, 4);
  memcpy (&o, p + 5, 8);
  memcpy (&chars, p + 13, 4);
  memcpy (&len, p + 18, 4);
  max_chars = GUINT32_FROM_LE (max_chars);
  off = (gint64) GUINT64_FROM_LE (o);
  chars = GUINT32_FROM_LE (chars);
  len = GUINT32_FROM_LE (len);
  if ((p[0] != 0) != (ws->wp->lowercase != FALSE)
      || max_chars != ws->wp->max_word_chars) {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_STATE,
        "saved wordpiece state was made with other settings (lowercase, "
        "max word length)");
    return FALSE;
  }
  if (p[17] > 1 || n != 22 + (gsize) len || len > ws->word_cap - 4
      || chars > max_chars + 1 || (off < 0 && (len != 0 || chars != 0
              || off != -1)) || (off >= 0 && (guint64) off > fed)
      || (p[17] == 0 && chars != (guint32) g_utf8_strlen ((const gchar *) p
              + 22, len))
      || !g_utf8_validate_len ((const gchar *) p + 22, len, NULL))
    goto bad;
  memcpy (ws->word, p + 22, len);
  ws->word_len = len;
  ws->word_chars = chars;
  ws->overlong = p[17] != 0;
  ws->word_off = off;
  return TRUE;

bad:
  g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_STATE,
      "saved wordpiece state is malformed");
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* the tokenizer mode "wordpiece": characters decoded with a carry, each
 * pushed through the state above */

typedef struct {
  SeqUtf8Carry carry;
  SeqWordPieceState *ws;
} WordPieceMode;

static gpointer
wordpiece_load_model (const SeqTokenizerParams * params, GError ** error)
{
  if (params->max_word_chars > 65536) {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_CONFIG,
        "max_word_chars %u is above 65536", params->max_word_chars);
    return NULL;
  }
  if (params->vocab == NULL || params->vocab[0] == '\0') {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_CONFIG,
        "mode wordpiece needs a vocabulary file (vocab.txt)");
    return NULL;
  }
  return seq_wordpiece_load (params->vocab,
      params->unk_token ? params->unk_token : "[UNK]", params->lowercase,
      params->max_word_chars, error);
}

static void
wordpiece_free_model (gpointer model)
{
  seq_wordpiece_free (model);
}

static guint
wordpiece_vocab_size (gconstpointer model)
{
  return seq_wordpiece_vocab_size (model);
}

static const gchar *
wordpiece_id_to_token (gconstpointer model, gint32 id)
{
  return seq_wordpiece_id_to_token (model, id);
}

static gpointer
wordpiece_mode_state_new (gconstpointer model)
{
  WordPieceMode *m = g_new0 (WordPieceMode, 1);
  m->ws = seq_wordpiece_state_new (model);
  return m;
}

static void
wordpiece_mode_state_free (gpointer ms)
{
  WordPieceMode *m = ms;
  seq_wordpiece_state_free (m->ws);
  g_free (m);
}

static void
wordpiece_mode_state_reset (gpointer ms)
{
  WordPieceMode *m = ms;
  m->carry.n = 0;
  seq_wordpiece_state_reset (m->ws);
}

static void
wordpiece_char (gpointer user_data, gunichar c, guint64 off, GArray * ids,
    GArray * offsets)
{
  seq_wordpiece_state_push (user_data, c, off, ids, offsets);
}

static void
wordpiece_feed (gpointer ms, const guint8 * data, gsize len, guint64 off,
    GArray * ids, GArray * offsets)
{
  WordPieceMode *m = ms;
  seq_utf8_carry_feed (&m->carry, data, len, off, FALSE, wordpiece_char,
      m->ws, ids, offsets);
}

static void
wordpiece_finish (gpointer ms, guint64 end, GArray * ids, GArray * offsets)
{
  WordPieceMode *m = ms;
  seq_utf8_carry_finish (&m->carry, end, wordpiece_char, m->ws, ids, offsets);
  seq_wordpiece_state_flush (m->ws, ids, offsets);
}

static guint64
wordpiece_offset (gconstpointer ms, guint64 fed)
{
  const WordPieceMode *m = ms;
  gint64 w = seq_wordpiece_state_word_offset (m->ws);
  return w >= 0 ? (guint64) w : fed - m->carry.n;
}

static void
wordpiece_save_pending (gconstpointer ms, SeqTokenizerPending * pending)
{
  const WordPieceMode *m = ms;
  memcpy (pending->carry, m->carry.bytes, 4);
  pending->n_carry = m->carry.n;
}

static void
wordpiece_save (gconstpointer ms, GByteArray * out)
{
  const WordPieceMode *m = ms;
  seq_wordpiece_state_save (m->ws, out);
}

static gboolean
wordpiece_restore (gpointer ms, const SeqTokenizerPending * pending,
    const guint8 * p, gsize n, guint64 fed, GError ** error)
{
  WordPieceMode *m = ms;

  if (pending->n_held != 0 || !seq_utf8_carry_check (pending->carry,
          pending->n_carry))
    return seq_tokenizer_state_malformed (error);
  if (!seq_wordpiece_state_restore (m->ws, p, n, fed, error))
    return FALSE;
  memcpy (m->carry.bytes, pending->carry, 4);
  m->carry.n = pending->n_carry;
  return TRUE;
}

const SeqTokenizerModeClass seq_tokenizer_mode_wordpiece = {
  .load_model = wordpiece_load_model,
  .free_model = wordpiece_free_model,
  .vocab_size = wordpiece_vocab_size,
  .id_to_token = wordpiece_id_to_token,
  .state_new = wordpiece_mode_state_new,
  .state_free = wordpiece_mode_state_free,
  .state_reset = wordpiece_mode_state_reset,
  .feed = wordpiece_feed,
  .finish = wordpiece_finish,
  .offset = wordpiece_offset,
  .save_pending = wordpiece_save_pending,
  .save = wordpiece_save,
  .restore = wordpiece_restore,
};
