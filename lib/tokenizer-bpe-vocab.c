/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — GPT-2 byte-level BPE, the vocabulary formats: encoder.json +
 * vocab.bpe, or a Hugging Face tokenizer.json, into the model of
 * tokenizer-bpe-private.h (ranks, the pair table, id spellings).
 *
 * File layouts (both UTF-8 text; tokens are spelled in GPT-2's byte-level
 * alphabet, where each byte 0..255 is one printable character: the printable
 * Latin-1 bytes stand for themselves, the 68 others for U+0100..U+0143 in
 * byte order; see byte_alphabet_init):
 *
 *   vocab.bpe     an optional first line "#version: ..." then one merge per
 *                 line, "LEFT RIGHT" (exactly one ASCII space, a "\r" before
 *                 "\n" tolerated); empty lines are skipped. Merge k (0-based)
 *                 makes the token LEFT+RIGHT of rank 256 + k; the 256 single
 *                 bytes have ranks 0..255 in the alphabet's order. A later
 *                 merge giving the same bytes replaces the rank (as tiktoken).
 *   encoder.json  one JSON object {"token": id, ...} with integer ids in
 *                 [0, 2^26). Every ranked token must be in it; other entries
 *                 (<|endoftext|>) are special tokens, never produced here.
 *   tokenizer.json (instead of both; Hugging Face) an object with
 *                 "model": {"type": "BPE", "vocab": {as encoder.json},
 *                 "merges": ["LEFT RIGHT", ...] or [["LEFT", "RIGHT"], ...]},
 *                 "pre_tokenizer" ByteLevel (use_regex, no add_prefix_space),
 *                 no normalizer; added_tokens are ignored (no special tokens,
 *                 as tiktoken's encode_ordinary). Hugging Face's merge rule
 *                 applies: only listed pairs merge, ranked by their line.
 *
 * Checks: valid JSON object of integers, every character of every token in
 * the alphabet, every merge line of two non-empty parts, fewer than 2^31
 * merges, ranked tokens present in encoder.json. Any failure is a
 * SEQ_TOKENIZER_ERROR_VOCAB naming the line or token.
 */
#include "tokenizer-bpe-private.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* A pair that is listed twice keeps its lowest rank. */
static void
pair_table_insert (SeqBpePairTable * t, guint32 l, guint32 r, guint32 v)
{
  guint64 k = seq_bpe_pair_key (l, r);
  guint s;

  if ((t->n + 1) * 2 > t->n_slots) {
    guint old_n = t->n_slots, ns = old_n ? old_n * 2 : 1 << 16;
    guint64 *ok = t->keys;
    guint32 *ov = t->vals;
    t->keys = g_new0 (guint64, ns);
    t->vals = g_new (guint32, ns);
    t->n_slots = ns;
    for (guint i = 0; i < old_n; i++) {
      if (ok[i] == 0)
        continue;
      s = seq_bpe_pair_hash (ok[i]) & (ns - 1);
      while (t->keys[s] != 0)
        s = (s + 1) & (ns - 1);
      t->keys[s] = ok[i];
      t->vals[s] = ov[i];
    }
    g_free (ok);
    g_free (ov);
  }
  s = seq_bpe_pair_hash (k) & (t->n_slots - 1);
  while (t->keys[s] != 0 && t->keys[s] != k)
    s = (s + 1) & (t->n_slots - 1);
  if (t->keys[s] == 0) {
    t->keys[s] = k;
    t->n++;
    t->vals[s] = v;
  } else if (v < t->vals[s]) {
    t->vals[s] = v;
  }
}

/* GPT-2's bytes_to_unicode(): byte -> code point of its alphabet character,
 * and the rank order of the single bytes (printable first). */
static void
byte_alphabet_init (gunichar byte_char[256], guint8 rank_byte[256])
{
  guint n = 0, extra = 0;

  for (guint b = 0; b < 256; b++) {
    if ((b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae))
      rank_byte[n++] = (guint8) b;
  }
  for (guint b = 0; b < 256; b++)
    byte_char[b] = b;
  for (guint b = 0; b < 256; b++) {
    if ((b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae))
      continue;
    rank_byte[n++] = (guint8) b;
    byte_char[b] = 256 + extra++;
  }
}

/* Decodes a byte-level spelling into bytes; FALSE on a foreign character. */
static gboolean
alphabet_decode (const gint16 * char_byte, const gchar * s, gssize len,
    GByteArray * out)
{
  const gchar *p = s, *end = s + (len < 0 ? (gssize) strlen (s) : len);

  g_byte_array_set_size (out, 0);
  while (p < end) {
    gunichar c = g_utf8_get_char_validated (p, end - p);
    guint8 b;
    if (c == (gunichar) - 1 || c == (gunichar) - 2 || c >= 324
        || char_byte[c] < 0)
      return FALSE;
    b = (guint8) char_byte[c];
    g_byte_array_append (out, &b, 1);
    p = g_utf8_next_char (p);
  }
  return TRUE;
}

/* One merge rule: LEFT and RIGHT spellings (owned), and where it came from. */
typedef struct {
  gchar *left, *right;
  guint line;                   /* 1-based line of vocab.bpe / index + 1 */
} MergeRule;

static void
merge_rule_clear (gpointer p)
{
  MergeRule *m = p;
  g_free (m->left);
  g_free (m->right);
}

static GArray *
merge_rules_new (void)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (MergeRule));
  g_array_set_clear_func (a, merge_rule_clear);
  return a;
}

/* vocab.bpe text -> rules */
static gboolean
parse_merges_text (const gchar * merges, gsize merges_len, GArray * rules,
    GError ** error)
{
  const gchar *p = merges, *end = merges + merges_len;
  guint line = 0;

  if (!g_utf8_validate_len (merges, merges_len, NULL)) {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
        "vocab.bpe is not valid UTF-8 (or holds a NUL byte)");
    return FALSE;
  }
  while (p < end) {
    const gchar *nl = memchr (p, '\n', end - p);
    const gchar *e = nl ? nl : end, *sp;
    MergeRule m;

    line++;
    if (e > p && e[-1] == '\r')
      e--;
    if (e == p || (line == 1 && e - p >= 8
            && memcmp (p, "#version", 8) == 0)) {
      p = nl ? nl + 1 : end;
      continue;
    }
    sp = memchr (p, ' ', e - p);
    if (sp == NULL || sp == p || sp + 1 == e || memchr (sp + 1, ' ',
            e - sp - 1) != NULL) {
      g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
          "vocab.bpe line %u is not \"LEFT RIGHT\"", line);
      return FALSE;
    }
    m.left = g_strndup (p, sp - p);
    m.right = g_strndup (sp + 1, e - sp - 1);
    m.line = line;
    g_array_append_val (rules, m);
    p = nl ? nl + 1 : end;
  }
  return TRUE;
}

/* tokenizer.json model.merges -> rules: "LEFT RIGHT" strings (tokenizers
 * < 0.20) or ["LEFT", "RIGHT"] pairs. */
static gboolean
parse_merges_json (JsonArray * arr, GArray * rules, GError ** error)
{
  guint n = json_array_get_length (arr);

  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element (arr, i);
    MergeRule m = { NULL, NULL, i + 1 };

    if (JSON_NODE_HOLDS_VALUE (node)
        && json_node_get_value_type (node) == G_TYPE_STRING) {
      const gchar *s = json_node_get_string (node);
      const gchar *sp = strchr (s, ' ');
      if (sp != NULL && sp != s && sp[1] != '\0' && strchr (sp + 1,
              ' ') == NULL) {
        m.left = g_strndup (s, sp - s);
        m.right = g_strdup (sp + 1);
      }
    } else if (JSON_NODE_HOLDS_ARRAY (node)
        && json_array_get_length (json_node_get_array (node)) == 2) {
      JsonArray *pair = json_node_get_array (node);
      JsonNode *a = json_array_get_element (pair, 0);
      JsonNode *b = json_array_get_element (pair, 1);
      if (JSON_NODE_HOLDS_VALUE (a) && JSON_NODE_HOLDS_VALUE (b)
          && json_node_get_value_type (a) == G_TYPE_STRING
          && json_node_get_value_type (b) == G_TYPE_STRING
          && json_node_get_string (a)[0] != '\0'
          && json_node_get_string (b)[0] != '\0') {
        m.left = g_strdup (json_node_get_string (a));
        m.right = g_strdup (json_node_get_string (b));
      }
    }
    if (m.left == NULL) {
      g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
          "tokenizer.json: merge %u is neither \"LEFT RIGHT\" nor "
          "[\"LEFT\", \"RIGHT\"]", i);
      return FALSE;
    }
    g_array_append_val (rules, m);
  }
  return TRUE;
}

/* The model from a vocabulary object {"token": id} and merge rules.
 * @listed_only: Hugging Face's rule (only listed pairs merge, no whole
 * pre-token shortcut) instead of tiktoken's. */
static SeqBpe *
bpe_build (JsonObject * vocab, GArray * rules, gboolean listed_only,
    const gchar * what, GError ** error)
{
  SeqBpe *bpe = g_new0 (SeqBpe, 1);
  gunichar byte_char[256];
  guint8 rank_byte[256];
  gint16 char_byte[324];
  GByteArray *lb = g_byte_array_new (), *rb = g_byte_array_new ();
  JsonObjectIter iter;
  const gchar *member;
  JsonNode *value;
  SeqStrTable enc;              /* vocabulary: bytes -> id */
  guint rank;
  gint64 max_id = -1;

  seq_str_table_init (&bpe->ranks);
  seq_str_table_init (&enc);
  bpe->listed_only = listed_only;
  bpe->whole_first = !listed_only;
  byte_alphabet_init (byte_char, rank_byte);
  for (guint i = 0; i < G_N_ELEMENTS (char_byte); i++)
    char_byte[i] = -1;
  for (guint b = 0; b < 256; b++)
    char_byte[byte_char[b]] = (gint16) b;

  /* single bytes: ranks 0..255; merge k: rank 256 + k */
  for (guint r = 0; r < 256; r++)
    seq_str_table_insert (&bpe->ranks, &rank_byte[r], 1, (gint32) r);
  if (rules->len >= (guint) G_MAXINT32 - 256) {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
        "%s has too many merges", what);
    goto fail;
  }
  rank = 256;
  for (guint k = 0; k < rules->len; k++) {
    MergeRule *m = &g_array_index (rules, MergeRule, k);
    if (!alphabet_decode (char_byte, m->left, -1, lb)
        || !alphabet_decode (char_byte, m->right, -1, rb)) {
      g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
          "%s merge %u has a character outside the byte-level alphabet",
          what, m->line);
      goto fail;
    }
    g_byte_array_append (lb, rb->data, rb->len);
    if (seq_str_table_insert (&bpe->ranks, lb->data, lb->len,
            (gint32) rank) == G_MAXUINT) {
      g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
          "%s is too large", what);
      goto fail;
    }
    rank++;
  }
  bpe->n_ranks = rank;

  /* vocabulary */
  json_object_iter_init (&iter, vocab);
  while (json_object_iter_next (&iter, &member, &value)) {
    gint64 id;
    if (!JSON_NODE_HOLDS_VALUE (value)
        || json_node_get_value_type (value) != G_TYPE_INT64
        || (id = json_node_get_int (value)) < 0 || id >= G_MAXINT32) {
      g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
          "%s: the id of \"%s\" is not an integer in [0, 2^31)", what,
          member);
      goto fail;
    }
    max_id = MAX (max_id, id);
  }
  if (max_id < 0) {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
        "%s: the vocabulary is empty", what);
    goto fail;
  }
  if (max_id >= (1 << 26)) {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
        "%s: id %" G_GINT64_FORMAT " is implausibly large", what, max_id);
    goto fail;
  }
  bpe->vocab_size = (guint) max_id + 1;
  bpe->id_token = g_new0 (gchar *, bpe->vocab_size);
  json_object_iter_init (&iter, vocab);
  while (json_object_iter_next (&iter, &member, &value)) {
    gint64 id = json_node_get_int (value);
    g_free (bpe->id_token[id]);
    bpe->id_token[id] = g_strdup (member);
    /* special tokens like <|endoftext|> decode too (ASCII) but are never
     * ranked; a token outside the alphabet is an error */
    if (!alphabet_decode (char_byte, member, -1, lb)) {
      g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
          "%s: token \"%s\" has a character outside the byte-level "
          "alphabet", what, member);
      goto fail;
    }
    seq_str_table_insert (&enc, lb->data, lb->len, (gint32) id);
  }

  /* rank -> id */
  bpe->rank_id = g_new (gint32, bpe->n_ranks);
  for (guint r = 0; r < bpe->n_ranks; r++)
    bpe->rank_id[r] = -1;
  for (guint k = 0; k < bpe->ranks.n; k++) {
    gsize len;
    const guint8 *key = seq_str_table_key (&bpe->ranks, k, &len);
    gint e = seq_str_table_find (&enc, key, len);
    if (e < 0) {
      GString *s = g_string_new (NULL);
      for (gsize i = 0; i < len; i++)
        g_string_append_unichar (s, byte_char[key[i]]);
      g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
          "%s: merged token \"%s\" is missing from the vocabulary", what,
          s->str);
      g_string_free (s, TRUE);
      goto fail;
    }
    bpe->rank_id[bpe->ranks.value[k]] = enc.value[e];
  }
  for (guint b = 0; b < 256; b++) {
    guint8 byte = (guint8) b;
    bpe->byte_rank[b] = (guint32)
        bpe->ranks.value[seq_str_table_find (&bpe->ranks, &byte, 1)];
  }

  if (!listed_only) {
    /* tiktoken: every split of every token into two tokens */
    for (guint k = 0; k < bpe->ranks.n; k++) {
      gsize len;
      const guint8 *key = seq_str_table_key (&bpe->ranks, k, &len);
      for (gsize s = 1; s < len; s++) {
        gint l = seq_str_table_find (&bpe->ranks, key, s);
        gint r = seq_str_table_find (&bpe->ranks, key + s, len - s);
        if (l >= 0 && r >= 0)
          pair_table_insert (&bpe->pairs, (guint32) bpe->ranks.value[l],
              (guint32) bpe->ranks.value[r], (guint32) bpe->ranks.value[k]);
      }
    }
  } else {
    /* Hugging Face: the listed pairs only; both sides must be tokens */
    for (guint k = 0; k < rules->len; k++) {
      MergeRule *m = &g_array_index (rules, MergeRule, k);
      gint l, r, c;
      alphabet_decode (char_byte, m->left, -1, lb);
      alphabet_decode (char_byte, m->right, -1, rb);
      l = seq_str_table_find (&bpe->ranks, lb->data, lb->len);
      r = seq_str_table_find (&bpe->ranks, rb->data, rb->len);
      if (l < 0 || r < 0) {
        g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
            "%s merge %u joins a part that is not a token", what, m->line);
        goto fail;
      }
      g_byte_array_append (lb, rb->data, rb->len);
      c = seq_str_table_find (&bpe->ranks, lb->data, lb->len);
      pair_table_insert (&bpe->pairs, (guint32) bpe->ranks.value[l],
          (guint32) bpe->ranks.value[r], (guint32) bpe->ranks.value[c]);
    }
  }
  if (bpe->pairs.n_slots == 0)
    pair_table_insert (&bpe->pairs, SEQ_BPE_RANK_NONE - 1, SEQ_BPE_RANK_NONE - 1,
        SEQ_BPE_RANK_NONE);             /* never matches: keeps lookups simple */

  seq_str_table_clear (&enc);
  g_byte_array_free (lb, TRUE);
  g_byte_array_free (rb, TRUE);
  return bpe;

fail:
  seq_str_table_clear (&enc);
  g_byte_array_free (lb, TRUE);
  g_byte_array_free (rb, TRUE);
  seq_bpe_free (bpe);
  return NULL;
}

static JsonParser *
parse_json_object (const gchar * data, gsize len, const gchar * what,
    JsonObject ** obj, GError ** error)
{
  JsonParser *parser = json_parser_new_immutable ();
  GError *err = NULL;
  JsonNode *root;

  if (!json_parser_load_from_data (parser, data, len, &err)) {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
        "%s: %s", what, err->message);
    g_clear_error (&err);
    g_object_unref (parser);
    return NULL;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
        "%s is not a JSON object", what);
    g_object_unref (parser);
    return NULL;
  }
  *obj = json_node_get_object (root);
  return parser;
}

SeqBpe *
seq_bpe_new_from_data (const gchar * encoder_json, gsize encoder_len,
    const gchar * merges, gsize merges_len, GError ** error)
{
  JsonParser *parser;
  JsonObject *obj;
  GArray *rules;
  SeqBpe *bpe = NULL;

  parser = parse_json_object (encoder_json, encoder_len, "encoder.json", &obj,
      error);
  if (parser == NULL)
    return NULL;
  rules = merge_rules_new ();
  if (parse_merges_text (merges, merges_len, rules, error))
    bpe = bpe_build (obj, rules, FALSE, "vocab.bpe/encoder.json", error);
  g_array_unref (rules);
  g_object_unref (parser);
  return bpe;
}

/* Typed member reads that never warn: the string, or NULL when absent or of
 * another type. */
static const gchar *
member_string (JsonObject * o, const gchar * name)
{
  JsonNode *n = json_object_get_member (o, name);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n)
      || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

/* 1 true, 0 false or absent or null, -1 of another type. */
static gint
member_bool (JsonObject * o, const gchar * name)
{
  JsonNode *n = json_object_get_member (o, name);
  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return 0;
  if (!JSON_NODE_HOLDS_VALUE (n)
      || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    return -1;
  return json_node_get_boolean (n) ? 1 : 0;
}

/* A ByteLevel pre-tokenizer we reproduce: use_regex true (or absent),
 * add_prefix_space false (or absent). */
static gboolean
check_byte_level (JsonObject * pt, GError ** error)
{
  const gchar *type = member_string (pt, "type");

  if (g_strcmp0 (type, "Sequence") == 0
      && json_object_has_member (pt, "pretokenizers")
      && JSON_NODE_HOLDS_ARRAY (json_object_get_member (pt,
              "pretokenizers"))) {
    JsonArray *a = json_object_get_array_member (pt, "pretokenizers");
    if (json_array_get_length (a) == 1
        && JSON_NODE_HOLDS_OBJECT (json_array_get_element (a, 0)))
      return check_byte_level (json_array_get_object_element (a, 0), error);
  } else if (g_strcmp0 (type, "ByteLevel") == 0) {
    if (member_bool (pt, "add_prefix_space") != 0) {
      g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
          "tokenizer.json: ByteLevel with add_prefix_space is not supported");
      return FALSE;
    }
    if (json_object_has_member (pt, "use_regex")
        && member_bool (pt, "use_regex") != 1) {
      g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
          "tokenizer.json: ByteLevel without use_regex is not supported");
      return FALSE;
    }
    return TRUE;
  }
  g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
      "tokenizer.json: the pre-tokenizer is not GPT-2's ByteLevel");
  return FALSE;
}

SeqBpe *
seq_bpe_new_from_tokenizer_json (const gchar * data, gsize len,
    GError ** error)
{
  JsonParser *parser;
  JsonObject *root, *model;
  JsonNode *n;
  GArray *rules = NULL;
  SeqBpe *bpe = NULL;
  gboolean ignore_merges = FALSE;

  parser = parse_json_object (data, len, "tokenizer.json", &root, error);
  if (parser == NULL)
    return NULL;
  n = json_object_get_member (root, "model");
  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n)
      || g_strcmp0 (member_string (json_node_get_object (n), "type"),
          "BPE") != 0) {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
        "tokenizer.json: the model is not a BPE model");
    goto done;
  }
  model = json_node_get_object (n);
  n = json_object_get_member (root, "normalizer");
  if (n != NULL && !JSON_NODE_HOLDS_NULL (n)) {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
        "tokenizer.json: normalizers are not supported (byte-level BPE has "
        "none)");
    goto done;
  }
  n = json_object_get_member (root, "pre_tokenizer");
  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n)) {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
        "tokenizer.json: no pre_tokenizer (ByteLevel expected)");
    goto done;
  }
  if (!check_byte_level (json_node_get_object (n), error))
    goto done;
  {
    JsonNode *d = json_object_get_member (model, "dropout");
    JsonNode *p = json_object_get_member (model, "continuing_subword_prefix");
    JsonNode *q = json_object_get_member (model, "end_of_word_suffix");
    if ((d && !JSON_NODE_HOLDS_NULL (d)) || (p && !JSON_NODE_HOLDS_NULL (p))
        || (q && !JSON_NODE_HOLDS_NULL (q))
        || member_bool (model, "byte_fallback") != 0
        || member_bool (model, "ignore_merges") < 0) {
      g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
          "tokenizer.json: BPE dropout, byte_fallback, subword prefixes or "
          "suffixes are not supported (GPT-2 style byte-level BPE only)");
      goto done;
    }
    ignore_merges = member_bool (model, "ignore_merges") == 1;
  }
  n = json_object_get_member (model, "vocab");
  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n)) {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
        "tokenizer.json: model.vocab is not an object");
    goto done;
  }
  {
    JsonNode *m = json_object_get_member (model, "merges");
    if (m == NULL || !JSON_NODE_HOLDS_ARRAY (m)) {
      g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_VOCAB,
          "tokenizer.json: model.merges is not an array");
      goto done;
    }
    rules = merge_rules_new ();
    if (!parse_merges_json (json_node_get_array (m), rules, error))
      goto done;
  }
  bpe = bpe_build (json_node_get_object (n), rules, TRUE, "tokenizer.json",
      error);
  if (bpe != NULL)
    bpe->whole_first = ignore_merges;

done:
  if (rules)
    g_array_unref (rules);
  g_object_unref (parser);
  return bpe;
}

SeqBpe *
seq_bpe_load (const gchar * encoder_path, const gchar * merges_path,
    GError ** error)
{
  gchar *ej = NULL, *mg = NULL;
  gsize ej_len = 0, mg_len = 0;
  GError *err = NULL;
  SeqBpe *bpe = NULL;

  if (!g_file_get_contents (encoder_path, &ej, &ej_len, &err)
      || (merges_path != NULL && merges_path[0] != '\0'
          && !g_file_get_contents (merges_path, &mg, &mg_len, &err))) {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_IO,
        "cannot read the BPE vocabulary: %s", err->message);
    g_clear_error (&err);
    goto done;
  }
  if (mg == NULL)
    bpe = seq_bpe_new_from_tokenizer_json (ej, ej_len, error);
  else
    bpe = seq_bpe_new_from_data (ej, ej_len, mg, mg_len, error);

done:
  g_free (ej);
  g_free (mg);
  return bpe;
}

void
seq_bpe_free (SeqBpe * bpe)
{
  if (bpe == NULL)
    return;
  seq_str_table_clear (&bpe->ranks);
  g_free (bpe->rank_id);
  g_free (bpe->pairs.keys);
  g_free (bpe->pairs.vals);
  if (bpe->id_token) {
    for (guint i = 0; i < bpe->vocab_size; i++)
      g_free (bpe->id_token[i]);
    g_free (bpe->id_token);
  }
  g_free (bpe);
}

guint
seq_bpe_vocab_size (const SeqBpe * bpe)
{
  return bpe->vocab_size;
}

const gchar *
seq_bpe_id_to_token (const SeqBpe * bpe, gint32 id)
{
  if (id < 0 || (guint) id >= bpe->vocab_size)
    return NULL;
  return bpe->id_token[id];
}
