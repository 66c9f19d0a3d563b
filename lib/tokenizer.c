/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — streaming tokenizers: model, per-stream state, bytes and chars
 * modes, UTF-8 decoding and the byte-string table shared by the vocabulary
 * modes (tokenizer-wordpiece.c, tokenizer-bpe.c). */
#include "tokenizer-private.h"

#include <string.h>

struct _SeqTokenizer
{
  gint ref_count;
  SeqTokenizerMode mode;
  SeqWordPiece *wp;
  SeqBpe *bpe;
};

struct _SeqTokenizerState
{
  SeqTokenizer *tok;
  guint64 fed;                  /* bytes fed since start / reset */
  /* chars, wordpiece: an incomplete UTF-8 sequence carried to the next call */
  guint8 carry[4];
  guint n_carry;
  /* bpe: raw bytes of the undecided pre-token(s), from stream offset fed - held->len */
  GByteArray *held;
  SeqWordPieceState *wp;
  SeqBpeState *bpe;
};

G_DEFINE_QUARK (seq-tokenizer-error-quark, seq_tokenizer_error);

/* ------------------------------------------------------------------------ */
/* byte-string table */

void
seq_str_table_init (SeqStrTable * t)
{
  memset (t, 0, sizeof *t);
}

void
seq_str_table_clear (SeqStrTable * t)
{
  g_free (t->blob);
  g_free (t->key_off);
  g_free (t->key_len);
  g_free (t->value);
  g_free (t->slots);
  memset (t, 0, sizeof *t);
}

static inline guint32
str_hash (const guint8 * p, gsize n)
{
  /* FNV-1a, then a final avalanche so that low bits are usable */
  guint32 h = 2166136261u;
  for (gsize i = 0; i < n; i++) {
    h ^= p[i];
    h *= 16777619u;
  }
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  return h;
}

static gint
str_table_lookup_slot (const SeqStrTable * t, const guint8 * key, gsize len,
    guint * slot_out)
{
  guint mask = t->n_slots - 1;
  guint s = str_hash (key, len) & mask;

  for (;;) {
    guint32 v = t->slots[s];
    if (v == 0) {
      *slot_out = s;
      return -1;
    }
    v--;
    if (t->key_len[v] == len && memcmp (t->blob + t->key_off[v], key, len) == 0) {
      *slot_out = s;
      return (gint) v;
    }
    s = (s + 1) & mask;
  }
}

static void
str_table_rehash (SeqStrTable * t, guint n_slots)
{
  g_free (t->slots);
  t->slots = g_new0 (guint32, n_slots);
  t->n_slots = n_slots;
  for (guint i = 0; i < t->n; i++) {
    guint s = str_hash (t->blob + t->key_off[i], t->key_len[i]) & (n_slots - 1);
    while (t->slots[s] != 0)
      s = (s + 1) & (n_slots - 1);
    t->slots[s] = i + 1;
  }
}

guint
seq_str_table_insert (SeqStrTable * t, const guint8 * key, gsize len,
    gint32 value)
{
  guint slot;
  gint found;

  if (len > G_MAXUINT32 / 2 || t->blob_len + len > G_MAXUINT32 / 2
      || t->n >= G_MAXUINT32 / 4)
    return G_MAXUINT;
  if (t->n_slots == 0)
    str_table_rehash (t, 1024);
  else if ((t->n + 1) * 2 > t->n_slots)
    str_table_rehash (t, t->n_slots * 2);

  found = str_table_lookup_slot (t, key, len, &slot);
  if (found >= 0) {
    t->value[found] = value;
    return (guint) found;
  }
  if (t->n == t->cap_keys) {
    t->cap_keys = t->cap_keys ? t->cap_keys * 2 : 1024;
    t->key_off = g_renew (guint32, t->key_off, t->cap_keys);
    t->key_len = g_renew (guint32, t->key_len, t->cap_keys);
    t->value = g_renew (gint32, t->value, t->cap_keys);
  }
  if (t->blob_len + len + 1 > t->blob_cap) {
    t->blob_cap = MAX (t->blob_cap * 2, t->blob_len + len + 1);
    t->blob_cap = MAX (t->blob_cap, 4096);
    t->blob = g_realloc (t->blob, t->blob_cap);
  }
  if (len)
    memcpy (t->blob + t->blob_len, key, len);
  t->blob[t->blob_len + len] = 0;       /* keys read as C strings too */
  t->key_off[t->n] = (guint32) t->blob_len;
  t->key_len[t->n] = (guint32) len;
  t->value[t->n] = value;
  t->blob_len += len + 1;
  t->slots[slot] = t->n + 1;
  return t->n++;
}

gint
seq_str_table_find (const SeqStrTable * t, const guint8 * key, gsize len)
{
  guint slot;
  if (t->n_slots == 0)
    return -1;
  return str_table_lookup_slot (t, key, len, &slot);
}

/* ------------------------------------------------------------------------ */
/* UTF-8 */

gsize
seq_utf8_next (const guint8 * p, gsize n, gboolean at_end, gunichar * c,
    gboolean * valid)
{
  guint8 b0 = p[0];
  guint need;
  guint8 lo = 0x80, hi = 0xbf;  /* range of the second byte */
  gunichar v;

  if (b0 < 0x80) {
    *c = b0;
    *valid = TRUE;
    return 1;
  }
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    need = 1;
    v = b0 & 0x1f;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    need = 2;
    v = b0 & 0x0f;
    if (b0 == 0xe0)
      lo = 0xa0;
    else if (b0 == 0xed)
      hi = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    need = 3;
    v = b0 & 0x07;
    if (b0 == 0xf0)
      lo = 0x90;
    else if (b0 == 0xf4)
      hi = 0x8f;
  } else {
    *c = 0xfffd;
    *valid = FALSE;
    return 1;
  }

  for (guint i = 1; i <= need; i++) {
    guint8 b;
    if (i >= n) {
      if (!at_end)
        return 0;
      *c = 0xfffd;
      *valid = FALSE;
      return i;
    }
    b = p[i];
    if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf)) {
      *c = 0xfffd;
      *valid = FALSE;
      return i;
    }
    v = (v << 6) | (b & 0x3f);
  }
  *c = v;
  *valid = TRUE;
  return need + 1;
}

gboolean
seq_unichar_is_white_space (gunichar c)
{
  if (c < 0x80)
    return c == ' ' || (c >= 0x09 && c <= 0x0d);
  if (c == 0x85)
    return TRUE;
  switch (g_unichar_type (c)) {
    case G_UNICODE_SPACE_SEPARATOR:
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
      return TRUE;
    default:
      return FALSE;
  }
}

/* ------------------------------------------------------------------------ */
/* model */

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

  g_return_val_if_fail (params != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  tok = g_new0 (SeqTokenizer, 1);
  tok->ref_count = 1;
  tok->mode = params->mode;

  switch (params->mode) {
    case SEQ_TOKENIZER_MODE_BYTES:
    case SEQ_TOKENIZER_MODE_CHARS:
      break;
    case SEQ_TOKENIZER_MODE_WORDPIECE:
      if (params->max_word_chars > 65536) {
        g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_CONFIG,
            "max_word_chars %u is above 65536", params->max_word_chars);
        goto fail;
      }
      if (params->vocab == NULL || params->vocab[0] == '\0') {
        g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_CONFIG,
            "mode wordpiece needs a vocabulary file (vocab.txt)");
        goto fail;
      }
      tok->wp = seq_wordpiece_load (params->vocab,
          params->unk_token ? params->unk_token : "[UNK]", params->lowercase,
          params->max_word_chars, error);
      if (tok->wp == NULL)
        goto fail;
      break;
    case SEQ_TOKENIZER_MODE_BPE:
      if (params->vocab == NULL || params->vocab[0] == '\0') {
        g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_CONFIG,
            "mode bpe needs a vocabulary (encoder.json with vocab.bpe as "
            "merges, or a tokenizer.json)");
        goto fail;
      }
      tok->bpe = seq_bpe_load (params->vocab, params->merges, error);
      if (tok->bpe == NULL)
        goto fail;
      break;
    default:
      g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_CONFIG,
          "unknown tokenizer mode %d", (int) params->mode);
      goto fail;
  }
  return tok;

fail:
  g_free (tok);
  return NULL;
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
  seq_wordpiece_free (tok->wp);
  seq_bpe_free (tok->bpe);
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
  switch (tok->mode) {
    case SEQ_TOKENIZER_MODE_BYTES:
      return 256;
    case SEQ_TOKENIZER_MODE_CHARS:
      return 0x110000;
    case SEQ_TOKENIZER_MODE_WORDPIECE:
      return seq_wordpiece_vocab_size (tok->wp);
    case SEQ_TOKENIZER_MODE_BPE:
      return seq_bpe_vocab_size (tok->bpe);
  }
  return 0;
}

const gchar *
seq_tokenizer_id_to_token (const SeqTokenizer * tok, gint32 id)
{
  g_return_val_if_fail (tok != NULL, NULL);
  if (tok->wp)
    return seq_wordpiece_id_to_token (tok->wp, id);
  if (tok->bpe)
    return seq_bpe_id_to_token (tok->bpe, id);
  return NULL;
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
  st->held = g_byte_array_sized_new (256);
  if (tok->wp)
    st->wp = seq_wordpiece_state_new (tok->wp);
  if (tok->bpe)
    st->bpe = seq_bpe_state_new (tok->bpe);
  return st;
}

void
seq_tokenizer_state_free (SeqTokenizerState * st)
{
  if (st == NULL)
    return;
  seq_wordpiece_state_free (st->wp);
  seq_bpe_state_free (st->bpe);
  g_byte_array_free (st->held, TRUE);
  seq_tokenizer_unref (st->tok);
  g_free (st);
}

void
seq_tokenizer_state_reset (SeqTokenizerState * st)
{
  g_return_if_fail (st != NULL);
  st->fed = 0;
  st->n_carry = 0;
  g_byte_array_set_size (st->held, 0);
  if (st->wp)
    seq_wordpiece_state_reset (st->wp);
  if (st->bpe)
    seq_bpe_state_reset (st->bpe);
}

static inline void
emit (GArray * ids, GArray * offsets, gint32 id, guint64 off)
{
  g_array_append_val (ids, id);
  if (offsets)
    g_array_append_val (offsets, off);
}

/* One decoded character of the chars / wordpiece modes. */
static inline void
char_out (SeqTokenizerState * st, gunichar c, guint64 off, GArray * ids,
    GArray * offsets)
{
  if (st->wp)
    seq_wordpiece_state_push (st->wp, c, off, ids, offsets);
  else
    emit (ids, offsets, (gint32) c, off);
}

/* chars and wordpiece: decode characters, carrying an incomplete sequence. */
static void
feed_chars (SeqTokenizerState * st, const guint8 * data, gsize len,
    gboolean at_end, GArray * ids, GArray * offsets)
{
  gsize i = 0;
  gunichar c;
  gboolean valid;
  guint64 base = st->fed;       /* stream offset of data[0] */

  if (st->n_carry > 0) {
    /* complete the carried sequence with at most 3 new bytes */
    guint8 tmp[8];
    gsize n = st->n_carry, take = MIN (len, 4 - st->n_carry), used;

    memcpy (tmp, st->carry, st->n_carry);
    memcpy (tmp + n, data, take);
    used = seq_utf8_next (tmp, n + take, at_end, &c, &valid);
    if (used == 0) {
      /* still incomplete: all of data joins the carry */
      memcpy (st->carry + st->n_carry, data, take);
      st->n_carry += take;
      return;
    }
    /* a valid prefix is part of its maximal subpart: used >= n */
    char_out (st, c, base - st->n_carry, ids, offsets);
    i = used - n;
    st->n_carry = 0;
  }

  while (i < len) {
    const guint8 *p = data + i;
    gsize used;

    if (*p < 0x80) {
      char_out (st, *p, base + i, ids, offsets);
      i++;
      continue;
    }
    used = seq_utf8_next (p, len - i, at_end, &c, &valid);
    if (used == 0) {
      memcpy (st->carry, p, len - i);
      st->n_carry = len - i;
      return;
    }
    char_out (st, c, base + i, ids, offsets);
    i += used;
  }
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
  switch (st->tok->mode) {
    case SEQ_TOKENIZER_MODE_BYTES:
      for (gsize i = 0; i < len; i++)
        emit (ids, offsets, data[i], st->fed + i);
      break;
    case SEQ_TOKENIZER_MODE_CHARS:
    case SEQ_TOKENIZER_MODE_WORDPIECE:
      if (len > 0)
        feed_chars (st, data, len, FALSE, ids, offsets);
      break;
    case SEQ_TOKENIZER_MODE_BPE:{
      gsize used;
      if (len == 0)
        break;
      g_byte_array_append (st->held, data, len);
      used = seq_bpe_state_scan (st->bpe, st->held->data, st->held->len,
          st->fed + len - st->held->len, FALSE, ids, offsets);
      if (used > 0)
        g_byte_array_remove_range (st->held, 0, used);
      break;
    }
  }
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
  switch (st->tok->mode) {
    case SEQ_TOKENIZER_MODE_BYTES:
      break;
    case SEQ_TOKENIZER_MODE_CHARS:
    case SEQ_TOKENIZER_MODE_WORDPIECE:
      if (st->n_carry > 0) {
        /* a truncated sequence at the end: one U+FFFD */
        gunichar c;
        gboolean valid;
        gsize used = seq_utf8_next (st->carry, st->n_carry, TRUE, &c, &valid);
        guint64 off = st->fed - st->n_carry;
        guint8 rest[4];
        gsize n_rest = st->n_carry - used;

        memcpy (rest, st->carry + used, n_rest);
        st->n_carry = 0;
        char_out (st, c, off, ids, offsets);
        if (n_rest > 0) {
          st->fed -= n_rest;
          feed_chars (st, rest, n_rest, TRUE, ids, offsets);
          st->fed += n_rest;
        }
      }
      if (st->wp)
        seq_wordpiece_state_flush (st->wp, ids, offsets);
      break;
    case SEQ_TOKENIZER_MODE_BPE:
      if (st->held->len > 0)
        seq_bpe_state_scan (st->bpe, st->held->data, st->held->len,
            st->fed - st->held->len, TRUE, ids, offsets);
      break;
  }
  seq_tokenizer_state_reset (st);
  return ids->len - before;
}

guint64
seq_tokenizer_state_offset (const SeqTokenizerState * st)
{
  g_return_val_if_fail (st != NULL, 0);
  switch (st->tok->mode) {
    case SEQ_TOKENIZER_MODE_BYTES:
      return st->fed;
    case SEQ_TOKENIZER_MODE_CHARS:
      return st->fed - st->n_carry;
    case SEQ_TOKENIZER_MODE_WORDPIECE:{
      gint64 w = seq_wordpiece_state_word_offset (st->wp);
      return w >= 0 ? (guint64) w : st->fed - st->n_carry;
    }
    case SEQ_TOKENIZER_MODE_BPE:
      return st->fed - st->held->len;
  }
  return st->fed;
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
  GByteArray *out;
  guint8 h[STATE_HEADER];
  guint32 v;
  guint64 q;

  g_return_val_if_fail (st != NULL, NULL);
  out = g_byte_array_new ();
  memcpy (h, STATE_MAGIC, 4);
  v = GUINT32_TO_LE (1);
  memcpy (h + 4, &v, 4);
  v = GUINT32_TO_LE ((guint32) st->tok->mode);
  memcpy (h + 8, &v, 4);
  q = GUINT64_TO_LE (st->fed);
  memcpy (h + 12, &q, 8);
  h[20] = (guint8) st->n_carry;
  memcpy (h + 21, st->carry, 4);
  q = GUINT64_TO_LE ((guint64) st->held->len);
  memcpy (h + 25, &q, 8);
  g_byte_array_append (out, h, STATE_HEADER);
  g_byte_array_append (out, st->held->data, st->held->len);
  if (st->wp)
    seq_wordpiece_state_save (st->wp, out);
  return g_byte_array_free_to_bytes (out);
}

gboolean
seq_tokenizer_state_restore (SeqTokenizerState * st, GBytes * blob,
    GError ** error)
{
  gsize n;
  const guint8 *p;
  guint32 version, mode;
  guint64 fed, held;
  guint n_carry;

  g_return_val_if_fail (st != NULL, FALSE);
  g_return_val_if_fail (blob != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  p = g_bytes_get_data (blob, &n);
  if (n < STATE_HEADER || memcmp (p, STATE_MAGIC, 4) != 0)
    goto bad;
  memcpy (&version, p + 4, 4);
  memcpy (&mode, p + 8, 4);
  memcpy (&fed, p + 12, 8);
  memcpy (&held, p + 25, 8);
  version = GUINT32_FROM_LE (version);
  mode = GUINT32_FROM_LE (mode);
  fed = GUINT64_FROM_LE (fed);
  held = GUINT64_FROM_LE (held);
  n_carry = p[20];
  if (version != 1)
    goto bad;
  if (mode != (guint32) st->tok->mode) {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_STATE,
        "saved tokenizer state is of mode %s, this tokenizer is %s",
        mode < 4 ? mode_names[mode] : "unknown",
        seq_tokenizer_mode_name (st->tok->mode));
    return FALSE;
  }
  if (held > n - STATE_HEADER || held > fed || n_carry > 3 || n_carry > fed)
    goto bad;
  /* mode invariants: only bpe holds raw bytes; a carry is a valid but
   * incomplete UTF-8 prefix (chars, wordpiece) */
  if (st->tok->mode == SEQ_TOKENIZER_MODE_BPE) {
    if (n_carry != 0 || n != STATE_HEADER + held)
      goto bad;
  } else {
    gunichar c;
    gboolean valid;
    if (held != 0 || (n_carry > 0 && (st->tok->mode ==
                SEQ_TOKENIZER_MODE_BYTES
                || seq_utf8_next (p + 21, n_carry, FALSE, &c, &valid) != 0)))
      goto bad;
    if (st->wp == NULL && n != STATE_HEADER)
      goto bad;
  }
  if (st->wp && !seq_wordpiece_state_restore (st->wp, p + STATE_HEADER,
          n - STATE_HEADER, fed, error))
    return FALSE;

  st->fed = fed;
  st->n_carry = n_carry;
  memcpy (st->carry, p + 21, 4);
  g_byte_array_set_size (st->held, 0);
  g_byte_array_append (st->held, p + STATE_HEADER, (guint) held);
  if (st->bpe)
    seq_bpe_state_reset (st->bpe);
  return TRUE;

bad:
  g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_STATE,
      "saved tokenizer state is malformed");
  return FALSE;
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
