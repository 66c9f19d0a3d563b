/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — safetensors weight files (see include/seqenc/weights.h for the
 * byte layout and the checks).
 *
 * Everything read from the file is untrusted: the 64-bit header length, every
 * JSON value, every offset. Sizes are computed with overflow checks and
 * compared against the mapping before any byte of tensor data is touched.
 * Tensor data may be unaligned inside the mapping; it is read with memcpy and
 * converted from little-endian, so the readers work on any host.
 */
#include "seqenc/weights.h"
#include "seqenc-private.h"

#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

/* The reference implementation (huggingface/safetensors) refuses headers
 * above 100 MB; so do we, before asking json-glib to parse anything. */
#define SEQ_WEIGHTS_MAX_HEADER ((guint64) 100000000)
/* json-glib parses recursively; a header of a million '[' would exhaust the
 * stack. A valid header nests 3 deep ({name: {shape: [..]}}). */
#define SEQ_WEIGHTS_MAX_JSON_DEPTH 32

struct _SeqWeights
{
  gint ref_count;
  GBytes *bytes;                /* keeps the mapping (or caller's memory) alive */
  gchar *source;                /* path or "<memory>", for messages */
  GArray *tensors;              /* SeqTensorInfo, sorted by data offset */
  gchar **names;                /* owned names, NULL-terminated */
  GHashTable *by_name;          /* name -> GUINT_TO_POINTER (index + 1) */
  GHashTable *metadata;         /* gchar* -> gchar*, owned */
};

static const struct
{
  const gchar *name;
  SeqDtype dtype;
  gsize size;
} dtype_table[] = {
  {"F32", SEQ_DTYPE_F32, 4},
  {"F16", SEQ_DTYPE_F16, 2},
  {"BF16", SEQ_DTYPE_BF16, 2},
  {"F64", SEQ_DTYPE_F64, 8},
  {"I64", SEQ_DTYPE_I64, 8},
  {"I32", SEQ_DTYPE_I32, 4},
  {"I16", SEQ_DTYPE_I16, 2},
  {"I8", SEQ_DTYPE_I8, 1},
  {"U8", SEQ_DTYPE_U8, 1},
  {"BOOL", SEQ_DTYPE_BOOL, 1},
};

G_DEFINE_QUARK (seq-weights-error-quark, seq_weights_error);

gsize
seq_dtype_size (SeqDtype dtype)
{
  for (guint i = 0; i < G_N_ELEMENTS (dtype_table); i++)
    if (dtype_table[i].dtype == dtype)
      return dtype_table[i].size;
  return 0;
}

const gchar *
seq_dtype_name (SeqDtype dtype)
{
  for (guint i = 0; i < G_N_ELEMENTS (dtype_table); i++)
    if (dtype_table[i].dtype == dtype)
      return dtype_table[i].name;
  return "?";
}

static gboolean
dtype_from_name (const gchar * name, SeqDtype * dtype)
{
  for (guint i = 0; i < G_N_ELEMENTS (dtype_table); i++) {
    if (strcmp (dtype_table[i].name, name) == 0) {
      *dtype = dtype_table[i].dtype;
      return TRUE;
    }
  }
  return FALSE;
}

/* ---- parsing ------------------------------------------------------------- */

static guint64
read_le64 (const guint8 * p)
{
  guint64 v = 0;
  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

/* Maximum nesting of arrays/objects, ignoring brackets inside strings, and
 * the number of ':' at depth 1 (= members of the root object, duplicates
 * included, which json-glib would silently merge). */
static guint
json_scan (const gchar * s, gsize n, guint * n_root_members)
{
  guint depth = 0, max = 0, colons = 0;
  gboolean in_str = FALSE, esc = FALSE;

  for (gsize i = 0; i < n; i++) {
    gchar c = s[i];
    if (in_str) {
      if (esc)
        esc = FALSE;
      else if (c == '\\')
        esc = TRUE;
      else if (c == '"')
        in_str = FALSE;
    } else if (c == '"') {
      in_str = TRUE;
    } else if (c == '[' || c == '{') {
      if (++depth > max)
        max = depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      depth--;
    } else if (c == ':' && depth == 1) {
      colons++;
    }
  }
  *n_root_members = colons;
  return max;
}

/* A JSON integer >= 0 (json-glib keeps integers as gint64). */
static gboolean
node_get_uint (JsonNode * node, guint64 * out)
{
  gint64 v;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  v = json_node_get_int (node);
  if (v < 0)
    return FALSE;
  *out = (guint64) v;
  return TRUE;
}

typedef struct
{
  SeqWeights *w;
  const gchar *src;
  guint64 data_len;
  const guint8 *data;
  GError **error;
  gboolean failed;
} ParseCtx;

static void
ctx_fail (ParseCtx * ctx, gint code, const gchar * fmt, ...) G_GNUC_PRINTF (3,
    4);

static void
ctx_fail (ParseCtx * ctx, gint code, const gchar * fmt, ...)
{
  va_list ap;
  gchar *msg;

  if (ctx->failed)
    return;
  ctx->failed = TRUE;
  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (ctx->error, SEQ_WEIGHTS_ERROR, code, "%s: %s", ctx->src, msg);
  g_free (msg);
}

static void
parse_metadata (ParseCtx * ctx, JsonNode * node)
{
  JsonObject *obj;
  GList *members, *l;

  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    ctx_fail (ctx, SEQ_WEIGHTS_ERROR_FORMAT,
        "\"__metadata__\" is not a JSON object");
    return;
  }
  obj = json_node_get_object (node);
  members = json_object_get_members (obj);
  for (l = members; l != NULL && !ctx->failed; l = l->next) {
    const gchar *key = l->data;
    JsonNode *v = json_object_get_member (obj, key);
    if (!JSON_NODE_HOLDS_VALUE (v) ||
        json_node_get_value_type (v) != G_TYPE_STRING) {
      ctx_fail (ctx, SEQ_WEIGHTS_ERROR_FORMAT,
          "\"__metadata__\" value of key '%s' is not a string", key);
      break;
    }
    g_hash_table_replace (ctx->w->metadata, g_strdup (key),
        g_strdup (json_node_get_string (v)));
  }
  g_list_free (members);
}

static gboolean
parse_tensor (ParseCtx * ctx, const gchar * name, JsonNode * node,
    SeqTensorInfo * t, guint64 * begin_out, guint64 * end_out)
{
  JsonObject *obj;
  JsonNode *n;
  JsonArray *arr;
  const gchar *dtype_name;
  guint64 begin, end, len;
  gsize count = 1, bytes;

  memset (t, 0, sizeof *t);
  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    ctx_fail (ctx, SEQ_WEIGHTS_ERROR_FORMAT,
        "tensor '%s': entry is not a JSON object", name);
    return FALSE;
  }
  obj = json_node_get_object (node);

  /* dtype */
  n = json_object_get_member (obj, "dtype");
  if (n == NULL) {
    ctx_fail (ctx, SEQ_WEIGHTS_ERROR_FORMAT, "tensor '%s': no \"dtype\"", name);
    return FALSE;
  }
  if (!JSON_NODE_HOLDS_VALUE (n) ||
      json_node_get_value_type (n) != G_TYPE_STRING) {
    ctx_fail (ctx, SEQ_WEIGHTS_ERROR_FORMAT,
        "tensor '%s': \"dtype\" is not a string", name);
    return FALSE;
  }
  dtype_name = json_node_get_string (n);
  if (!dtype_from_name (dtype_name, &t->dtype)) {
    ctx_fail (ctx, SEQ_WEIGHTS_ERROR_DTYPE,
        "tensor '%s': unknown or unsupported dtype \"%s\" (known: F32, F16, "
        "BF16, F64, I64, I32, I16, I8, U8, BOOL)", name, dtype_name);
    return FALSE;
  }

  /* shape */
  n = json_object_get_member (obj, "shape");
  if (n == NULL) {
    ctx_fail (ctx, SEQ_WEIGHTS_ERROR_FORMAT, "tensor '%s': no \"shape\"", name);
    return FALSE;
  }
  if (!JSON_NODE_HOLDS_ARRAY (n)) {
    ctx_fail (ctx, SEQ_WEIGHTS_ERROR_FORMAT,
        "tensor '%s': \"shape\" is not an array", name);
    return FALSE;
  }
  arr = json_node_get_array (n);
  if (json_array_get_length (arr) > SEQ_WEIGHTS_MAX_RANK) {
    ctx_fail (ctx, SEQ_WEIGHTS_ERROR_FORMAT,
        "tensor '%s': rank %u exceeds the maximum of %d", name,
        json_array_get_length (arr), SEQ_WEIGHTS_MAX_RANK);
    return FALSE;
  }
  t->rank = json_array_get_length (arr);
  for (guint i = 0; i < t->rank; i++) {
    guint64 d;
    if (!node_get_uint (json_array_get_element (arr, i), &d) ||
        d > G_MAXINT64) {
      ctx_fail (ctx, SEQ_WEIGHTS_ERROR_FORMAT,
          "tensor '%s': shape dim %u is not a non-negative integer", name, i);
      return FALSE;
    }
    t->shape[i] = (gint64) d;
    if (d > G_MAXSIZE || !g_size_checked_mul (&count, count, (gsize) d)) {
      ctx_fail (ctx, SEQ_WEIGHTS_ERROR_FORMAT,
          "tensor '%s': element count of the shape overflows", name);
      return FALSE;
    }
  }
  t->n_elements = count;
  if (!g_size_checked_mul (&bytes, count, seq_dtype_size (t->dtype))) {
    ctx_fail (ctx, SEQ_WEIGHTS_ERROR_FORMAT,
        "tensor '%s': byte size of the shape overflows", name);
    return FALSE;
  }

  /* data_offsets */
  n = json_object_get_member (obj, "data_offsets");
  if (n == NULL) {
    ctx_fail (ctx, SEQ_WEIGHTS_ERROR_FORMAT,
        "tensor '%s': no \"data_offsets\"", name);
    return FALSE;
  }
  if (!JSON_NODE_HOLDS_ARRAY (n) ||
      json_array_get_length (json_node_get_array (n)) != 2 ||
      !node_get_uint (json_array_get_element (json_node_get_array (n), 0),
          &begin) ||
      !node_get_uint (json_array_get_element (json_node_get_array (n), 1),
          &end)) {
    ctx_fail (ctx, SEQ_WEIGHTS_ERROR_FORMAT,
        "tensor '%s': \"data_offsets\" is not two non-negative integers",
        name);
    return FALSE;
  }
  if (end < begin) {
    ctx_fail (ctx, SEQ_WEIGHTS_ERROR_FORMAT,
        "tensor '%s': data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
        "] end before begin", name, begin, end);
    return FALSE;
  }
  if (end > ctx->data_len) {
    ctx_fail (ctx, SEQ_WEIGHTS_ERROR_FORMAT,
        "tensor '%s': data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
        "] outside the data region of %" G_GUINT64_FORMAT " bytes", name,
        begin, end, ctx->data_len);
    return FALSE;
  }
  len = end - begin;
  if (len != (guint64) bytes) {
    ctx_fail (ctx, SEQ_WEIGHTS_ERROR_FORMAT,
        "tensor '%s': data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
        "] hold %" G_GUINT64_FORMAT " bytes but %s shape needs %"
        G_GSIZE_FORMAT, name, begin, end, len, seq_dtype_name (t->dtype),
        bytes);
    return FALSE;
  }
  t->n_bytes = bytes;
  t->data = ctx->data + begin;
  *begin_out = begin;
  *end_out = end;
  return TRUE;
}

typedef struct
{
  SeqTensorInfo info;
  guint64 begin, end;
} TensorEntry;

static gint
entry_cmp (gconstpointer a, gconstpointer b)
{
  const TensorEntry *x = a, *y = b;
  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end)
    return x->end < y->end ? -1 : 1;
  return strcmp (x->info.name, y->info.name);
}

static void
weights_free (SeqWeights * w)
{
  if (w->tensors)
    g_array_unref (w->tensors);
  g_strfreev (w->names);
  if (w->by_name)
    g_hash_table_unref (w->by_name);
  if (w->metadata)
    g_hash_table_unref (w->metadata);
  if (w->bytes)
    g_bytes_unref (w->bytes);
  g_free (w->source);
  g_free (w);
}

static SeqWeights *
weights_parse (GBytes * bytes, const gchar * source, GError ** error)
{
  SeqWeights *w;
  ParseCtx ctx = { 0 };
  const guint8 *buf;
  gsize size;
  guint64 hlen;
  JsonParser *parser = NULL;
  JsonNode *root;
  JsonObject *obj;
  GList *members = NULL, *l;
  GArray *entries = NULL;
  GError *jerr = NULL;
  guint i, n_root_members = 0;

  w = g_new0 (SeqWeights, 1);
  w->ref_count = 1;
  w->bytes = g_bytes_ref (bytes);
  w->source = g_strdup (source);
  w->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  w->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  ctx.w = w;
  ctx.src = w->source;
  ctx.error = error;

  buf = g_bytes_get_data (bytes, &size);
  if (size < 8) {
    ctx_fail (&ctx, SEQ_WEIGHTS_ERROR_FORMAT,
        "file is %" G_GSIZE_FORMAT " bytes, too short for the 8-byte header "
        "length", size);
    goto fail;
  }
  hlen = read_le64 (buf);
  if (hlen > (guint64) (size - 8)) {
    ctx_fail (&ctx, SEQ_WEIGHTS_ERROR_FORMAT,
        "header length %" G_GUINT64_FORMAT " runs past the end of the file (%"
        G_GSIZE_FORMAT " bytes after the length field)", hlen, size - 8);
    goto fail;
  }
  if (hlen > SEQ_WEIGHTS_MAX_HEADER) {
    ctx_fail (&ctx, SEQ_WEIGHTS_ERROR_FORMAT,
        "header length %" G_GUINT64_FORMAT " exceeds the limit of %"
        G_GUINT64_FORMAT " bytes", hlen, SEQ_WEIGHTS_MAX_HEADER);
    goto fail;
  }
  if (hlen < 2) {
    ctx_fail (&ctx, SEQ_WEIGHTS_ERROR_FORMAT,
        "header length %" G_GUINT64_FORMAT " is too small for a JSON object",
        hlen);
    goto fail;
  }
  ctx.data = buf + 8 + hlen;
  ctx.data_len = (guint64) size - 8 - hlen;

  if (memchr (buf + 8, '\0', hlen) != NULL) {
    ctx_fail (&ctx, SEQ_WEIGHTS_ERROR_FORMAT, "header holds a NUL byte");
    goto fail;
  }
  if (json_scan ((const gchar *) buf + 8, hlen, &n_root_members) >
      SEQ_WEIGHTS_MAX_JSON_DEPTH) {
    ctx_fail (&ctx, SEQ_WEIGHTS_ERROR_FORMAT,
        "header nests deeper than %d levels", SEQ_WEIGHTS_MAX_JSON_DEPTH);
    goto fail;
  }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, (const gchar *) buf + 8,
          (gssize) hlen, &jerr)) {
    ctx_fail (&ctx, SEQ_WEIGHTS_ERROR_FORMAT, "header is not valid JSON: %s",
        jerr->message);
    g_clear_error (&jerr);
    goto fail;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    ctx_fail (&ctx, SEQ_WEIGHTS_ERROR_FORMAT, "header is not a JSON object");
    goto fail;
  }
  obj = json_node_get_object (root);
  if (n_root_members != json_object_get_size (obj)) {
    ctx_fail (&ctx, SEQ_WEIGHTS_ERROR_FORMAT,
        "header names a tensor more than once (%u entries, %u distinct names)",
        n_root_members, json_object_get_size (obj));
    goto fail;
  }

  entries = g_array_new (FALSE, TRUE, sizeof (TensorEntry));
  members = json_object_get_members (obj);
  for (l = members; l != NULL; l = l->next) {
    const gchar *name = l->data;
    JsonNode *node = json_object_get_member (obj, name);
    TensorEntry e;

    if (strcmp (name, "__metadata__") == 0) {
      parse_metadata (&ctx, node);
      if (ctx.failed)
        goto fail;
      continue;
    }
    if (!parse_tensor (&ctx, name, node, &e.info, &e.begin, &e.end))
      goto fail;
    e.info.name = name;         /* replaced by an owned copy below */
    g_array_append_val (entries, e);
  }

  g_array_sort (entries, entry_cmp);
  {
    guint64 max_end = 0;
    const gchar *max_name = NULL;
    guint64 max_begin = 0;
    for (i = 0; i < entries->len; i++) {
      TensorEntry *e = &g_array_index (entries, TensorEntry, i);
      if (e->end == e->begin)
        continue;               /* empty tensors overlap nothing */
      if (max_name != NULL && e->begin < max_end) {
        ctx_fail (&ctx, SEQ_WEIGHTS_ERROR_FORMAT,
            "tensors '%s' [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
            ") and '%s' [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
            ") overlap", max_name, max_begin, max_end, e->info.name,
            e->begin, e->end);
        goto fail;
      }
      max_end = e->end;
      max_begin = e->begin;
      max_name = e->info.name;
    }
  }

  w->names = g_new0 (gchar *, entries->len + 1);
  w->tensors = g_array_sized_new (FALSE, TRUE, sizeof (SeqTensorInfo),
      entries->len);
  for (i = 0; i < entries->len; i++) {
    TensorEntry *e = &g_array_index (entries, TensorEntry, i);
    w->names[i] = g_strdup (e->info.name);
    e->info.name = w->names[i];
    g_array_append_val (w->tensors, e->info);
    g_hash_table_insert (w->by_name, w->names[i], GUINT_TO_POINTER (i + 1));
  }

  g_list_free (members);
  g_array_unref (entries);
  g_object_unref (parser);
  return w;

fail:
  g_list_free (members);
  if (entries)
    g_array_unref (entries);
  if (parser)
    g_object_unref (parser);
  weights_free (w);
  return NULL;
}

/* ---- public API ---------------------------------------------------------- */

SeqWeights *
seq_weights_open (const gchar * path, GError ** error)
{
  GMappedFile *mf;
  GBytes *bytes;
  SeqWeights *w;
  GError *err = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  mf = g_mapped_file_new (path, FALSE, &err);
  if (mf == NULL) {
    g_set_error (error, SEQ_WEIGHTS_ERROR, SEQ_WEIGHTS_ERROR_IO,
        "cannot open weights: %s", err->message);
    g_error_free (err);
    return NULL;
  }
  bytes = g_mapped_file_get_bytes (mf);
  g_mapped_file_unref (mf);
  w = weights_parse (bytes, path, error);
  g_bytes_unref (bytes);
  return w;
}

SeqWeights *
seq_weights_new_from_bytes (GBytes * bytes, GError ** error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return weights_parse (bytes, "<memory>", error);
}

SeqWeights *
seq_weights_ref (SeqWeights * weights)
{
  g_return_val_if_fail (weights != NULL, NULL);
  g_atomic_int_inc (&weights->ref_count);
  return weights;
}

void
seq_weights_unref (SeqWeights * weights)
{
  if (weights == NULL)
    return;
  if (g_atomic_int_dec_and_test (&weights->ref_count))
    weights_free (weights);
}

guint
seq_weights_n_tensors (const SeqWeights * weights)
{
  g_return_val_if_fail (weights != NULL, 0);
  return weights->tensors->len;
}

const SeqTensorInfo *
seq_weights_get (const SeqWeights * weights, guint index)
{
  g_return_val_if_fail (weights != NULL, NULL);
  g_return_val_if_fail (index < weights->tensors->len, NULL);
  return &g_array_index (weights->tensors, SeqTensorInfo, index);
}

const SeqTensorInfo *
seq_weights_find (const SeqWeights * weights, const gchar * name)
{
  guint idx;

  g_return_val_if_fail (weights != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  idx = GPOINTER_TO_UINT (g_hash_table_lookup (weights->by_name, name));
  if (idx == 0)
    return NULL;
  return &g_array_index (weights->tensors, SeqTensorInfo, idx - 1);
}

const gchar *
seq_weights_get_metadata (const SeqWeights * weights, const gchar * key)
{
  g_return_val_if_fail (weights != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);
  return g_hash_table_lookup (weights->metadata, key);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

gchar **
seq_weights_list_metadata (const SeqWeights * weights)
{
  guint n = 0;
  gchar **keys;

  g_return_val_if_fail (weights != NULL, NULL);
  keys = (gchar **) g_hash_table_get_keys_as_array (weights->metadata, &n);
  for (guint i = 0; i < n; i++)
    keys[i] = g_strdup (keys[i]);
  qsort (keys, n, sizeof (gchar *), compare_strings);
  return keys;
}

gboolean
seq_tensor_to_f32 (const SeqTensorInfo * tensor, float *dst, gsize n_dst,
    GError ** error)
{
  const guint8 *p;
  gsize n;

  g_return_val_if_fail (tensor != NULL, FALSE);
  g_return_val_if_fail (dst != NULL || n_dst == 0, FALSE);

  n = tensor->n_elements;
  if (tensor->dtype != SEQ_DTYPE_F32 && tensor->dtype != SEQ_DTYPE_F16 &&
      tensor->dtype != SEQ_DTYPE_BF16) {
    g_set_error (error, SEQ_WEIGHTS_ERROR, SEQ_WEIGHTS_ERROR_DTYPE,
        "tensor '%s': dtype %s cannot be read as float32 (F32, F16 or BF16 "
        "needed)", tensor->name, seq_dtype_name (tensor->dtype));
    return FALSE;
  }
  if (n_dst != n) {
    g_set_error (error, SEQ_WEIGHTS_ERROR, SEQ_WEIGHTS_ERROR_SHAPE,
        "tensor '%s': holds %" G_GSIZE_FORMAT " elements, destination has %"
        G_GSIZE_FORMAT, tensor->name, n, n_dst);
    return FALSE;
  }
  p = tensor->data;
  switch (tensor->dtype) {
    case SEQ_DTYPE_F32:
      for (gsize i = 0; i < n; i++) {
        guint32 u;
        memcpy (&u, p + 4 * i, 4);
        dst[i] = seq_f32_from_bits (GUINT32_FROM_LE (u));
      }
      break;
    case SEQ_DTYPE_F16:
      for (gsize i = 0; i < n; i++) {
        guint16 u;
        memcpy (&u, p + 2 * i, 2);
        dst[i] = seq_f16_to_f32 (GUINT16_FROM_LE (u));
      }
      break;
    case SEQ_DTYPE_BF16:
      for (gsize i = 0; i < n; i++) {
        guint16 u;
        memcpy (&u, p + 2 * i, 2);
        dst[i] = seq_bf16_to_f32 (GUINT16_FROM_LE (u));
      }
      break;
    default:
      g_assert_not_reached ();
  }
  return TRUE;
}

static gchar *
shape_to_string (guint rank, const gint64 * shape)
{
  GString *s = g_string_new ("[");
  for (guint i = 0; i < rank; i++) {
    if (i)
      g_string_append (s, ", ");
    if (shape[i] < 0)
      g_string_append_c (s, '*');
    else
      g_string_append_printf (s, "%" G_GINT64_FORMAT, shape[i]);
  }
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

const SeqTensorInfo *
seq_weights_require (const SeqWeights * weights, const gchar * name,
    guint rank, const gint64 * shape, GError ** error)
{
  const SeqTensorInfo *t;
  gboolean ok;

  g_return_val_if_fail (weights != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (shape != NULL || rank == 0, NULL);

  t = seq_weights_find (weights, name);
  if (t == NULL) {
    g_set_error (error, SEQ_WEIGHTS_ERROR, SEQ_WEIGHTS_ERROR_NOT_FOUND,
        "%s: no tensor named '%s'", weights->source, name);
    return NULL;
  }
  ok = t->rank == rank;
  for (guint i = 0; ok && i < rank; i++)
    if (shape[i] >= 0 && shape[i] != t->shape[i])
      ok = FALSE;
  if (!ok) {
    gchar *want = shape_to_string (rank, shape);
    gchar *have = shape_to_string (t->rank, t->shape);
    g_set_error (error, SEQ_WEIGHTS_ERROR, SEQ_WEIGHTS_ERROR_SHAPE,
        "%s: tensor '%s' has shape %s, expected %s", weights->source, name,
        have, want);
    g_free (want);
    g_free (have);
    return NULL;
  }
  return t;
}
