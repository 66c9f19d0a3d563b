/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — streaming greedy CTC decoding (see ctc.h). */
#include "seqenc/ctc.h"
#include "seqenc-private.h"
#include "blob.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NO_LABEL G_MAXUINT32

struct _SeqCtc {
  SeqCtcParams params;
  guint64 frames;               /* frames fed: index of the next frame */
  guint32 last;                 /* label of the last frame, NO_LABEL at 0 */
  guint64 start;                /* open token's first frame */
  double sum;                   /* open token's posterior sum */
  gboolean returned;            /* open token already returned by finish */
};

G_DEFINE_QUARK (seq-ctc-error-quark, seq_ctc_error);

SeqCtcParams
seq_ctc_params_default (void)
{
  SeqCtcParams p = {
    .n_labels = 0,
    .blank = 0,
    .input = SEQ_CTC_INPUT_LOG_PROBS,
  };
  return p;
}

gboolean
seq_ctc_params_validate (const SeqCtcParams * params, GError ** error)
{
  g_return_val_if_fail (params != NULL, FALSE);
  if (params->n_labels == 0 || params->n_labels > SEQ_CTC_MAX_LABELS) {
    g_set_error (error, SEQ_CTC_ERROR, SEQ_CTC_ERROR_CONFIG,
        "number of labels %u is outside [1, %u]", params->n_labels,
        SEQ_CTC_MAX_LABELS);
    return FALSE;
  }
  if (params->blank >= params->n_labels) {
    g_set_error (error, SEQ_CTC_ERROR, SEQ_CTC_ERROR_CONFIG,
        "blank id %u is out of range: there are %u labels (ids 0 to %u)",
        params->blank, params->n_labels, params->n_labels - 1);
    return FALSE;
  }
  if (params->input != SEQ_CTC_INPUT_LOG_PROBS
      && params->input != SEQ_CTC_INPUT_PROBS) {
    g_set_error (error, SEQ_CTC_ERROR, SEQ_CTC_ERROR_CONFIG,
        "unknown input kind %d", params->input);
    return FALSE;
  }
  return TRUE;
}

SeqCtc *
seq_ctc_new (const SeqCtcParams * params, GError ** error)
{
  SeqCtc *ctc;

  g_return_val_if_fail (params != NULL, NULL);
  if (!seq_ctc_params_validate (params, error))
    return NULL;
  ctc = g_new0 (SeqCtc, 1);
  ctc->params = *params;
  seq_ctc_reset (ctc);
  return ctc;
}

void
seq_ctc_free (SeqCtc * ctc)
{
  g_free (ctc);
}

const SeqCtcParams *
seq_ctc_get_params (const SeqCtc * ctc)
{
  g_return_val_if_fail (ctc != NULL, NULL);
  return &ctc->params;
}

void
seq_ctc_reset (SeqCtc * ctc)
{
  g_return_if_fail (ctc != NULL);
  ctc->frames = 0;
  ctc->last = NO_LABEL;
  ctc->start = 0;
  ctc->sum = 0.0;
  ctc->returned = FALSE;
}

guint64
seq_ctc_get_frames (const SeqCtc * ctc)
{
  g_return_val_if_fail (ctc != NULL, 0);
  return ctc->frames;
}

static gboolean
has_open (const SeqCtc * ctc)
{
  return ctc->last != NO_LABEL && ctc->last != ctc->params.blank
      && !ctc->returned;
}

static void
make_token (const SeqCtc * ctc, SeqCtcToken * token)
{
  guint64 n = ctc->frames - ctc->start;

  token->label = ctc->last;
  token->start = ctc->start;
  token->end = ctc->frames - 1;
  token->mean_posterior = (float) (ctc->sum / (double) n);
}

gboolean
seq_ctc_get_pending (const SeqCtc * ctc, SeqCtcToken * token)
{
  g_return_val_if_fail (ctc != NULL, FALSE);
  if (!has_open (ctc))
    return FALSE;
  if (token != NULL)
    make_token (ctc, token);
  return TRUE;
}

/* First frame/class holding a value the input kind does not allow. */
static gboolean
check_finite (const SeqCtc * ctc, const float *x, gsize n_frames,
    GError ** error)
{
  guint K = ctc->params.n_labels;
  gboolean log_probs = ctc->params.input == SEQ_CTC_INPUT_LOG_PROBS;

  for (gsize t = 0; t < n_frames; t++) {
    const float *row = x + t * K;
    for (guint k = 0; k < K; k++) {
      float v = row[k];
      if (isfinite (v) || (log_probs && v < 0.0f && isinf (v)))
        continue;
      g_set_error (error, SEQ_CTC_ERROR, SEQ_CTC_ERROR_INPUT,
          "%s posterior %g at frame %" G_GUINT64_FORMAT " (stream frame %"
          G_GUINT64_FORMAT "), class %u: posteriors must be finite%s",
          log_probs ? "log" : "probability", (double) v, (guint64) t,
          ctc->frames + t, k, log_probs ? " or -inf" : "");
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
seq_ctc_feed (SeqCtc * ctc, const float *frames, gsize n_frames,
    SeqCtcToken * tokens, gsize * n_tokens, GError ** error)
{
  guint K;
  guint32 blank;
  gboolean log_probs;
  gsize n = 0;

  g_return_val_if_fail (ctc != NULL && n_tokens != NULL, FALSE);
  g_return_val_if_fail (n_frames == 0 || (frames != NULL && tokens != NULL),
      FALSE);

  *n_tokens = 0;
  if (!check_finite (ctc, frames, n_frames, error))
    return FALSE;

  K = ctc->params.n_labels;
  blank = ctc->params.blank;
  log_probs = ctc->params.input == SEQ_CTC_INPUT_LOG_PROBS;
  for (gsize t = 0; t < n_frames; t++) {
    const float *row = frames + t * K;
    guint32 best = 0;
    double p;

    for (guint k = 1; k < K; k++)
      if (row[k] > row[best])
        best = k;
    p = log_probs ? exp ((double) row[best]) : (double) row[best];

    if (best == ctc->last) {
      if (best != blank)
        ctc->sum += p;
    } else {
      if (has_open (ctc))
        make_token (ctc, &tokens[n++]);
      ctc->last = best;
      ctc->start = ctc->frames;
      ctc->sum = best != blank ? p : 0.0;
      ctc->returned = FALSE;
    }
    ctc->frames++;
  }
  *n_tokens = n;
  return TRUE;
}

gboolean
seq_ctc_finish (SeqCtc * ctc, SeqCtcToken * token)
{
  g_return_val_if_fail (ctc != NULL && token != NULL, FALSE);
  if (!has_open (ctc))
    return FALSE;
  make_token (ctc, token);
  ctc->returned = TRUE;
  return TRUE;
}

#define CTC_MAGIC 0x54435153u   /* "SQCT" little-endian */
#define CTC_VERSION 1u

GBytes *
seq_ctc_state_save (const SeqCtc * ctc)
{
  guint8 *b;
  guint64 sum_bits;

  g_return_val_if_fail (ctc != NULL, NULL);
  b = g_malloc0 (SEQ_CTC_STATE_SIZE);
  memcpy (&sum_bits, &ctc->sum, 8);
  put_u32 (b + 0, CTC_MAGIC);
  put_u32 (b + 4, CTC_VERSION);
  put_u32 (b + 8, ctc->params.n_labels);
  put_u32 (b + 12, ctc->params.blank);
  put_u32 (b + 16, (guint32) ctc->params.input);
  put_u32 (b + 20, ctc->last);
  put_u64 (b + 24, ctc->frames);
  put_u64 (b + 32, ctc->start);
  put_u64 (b + 40, sum_bits);
  put_u32 (b + 48, ctc->returned ? 1 : 0);
  put_u32 (b + 52, 0);
  put_u32 (b + 56, seq_crc32 (b, 56));
  return g_bytes_new_take (b, SEQ_CTC_STATE_SIZE);
}

/* Frame counts above this are refused in a blob: 2^53 frames (exact in a
 * double) are 2.8 million years at 100 frames/s, and a count near 2^64
 * would wrap while decoding. */
#define CTC_MAX_FRAMES (G_GUINT64_CONSTANT (1) << 53)

gboolean
seq_ctc_state_restore (SeqCtc * ctc, GBytes * blob, GError ** error)
{
  const guint8 *b;
  gsize n;
  guint32 last, returned;
  guint64 frames, start, sum_bits;
  double sum;

  g_return_val_if_fail (ctc != NULL && blob != NULL, FALSE);
  b = g_bytes_get_data (blob, &n);
  if (n != SEQ_CTC_STATE_SIZE || get_u32 (b) != CTC_MAGIC) {
    g_set_error (error, SEQ_CTC_ERROR, SEQ_CTC_ERROR_STATE,
        "not a CTC decoder state blob (%" G_GSIZE_FORMAT " bytes)", n);
    return FALSE;
  }
  if (get_u32 (b + 56) != seq_crc32 (b, 56)) {
    g_set_error (error, SEQ_CTC_ERROR, SEQ_CTC_ERROR_STATE,
        "CTC decoder state blob is corrupted (checksum mismatch)");
    return FALSE;
  }
  if (get_u32 (b + 4) != CTC_VERSION) {
    g_set_error (error, SEQ_CTC_ERROR, SEQ_CTC_ERROR_STATE,
        "CTC decoder state blob version %u, expected %u", get_u32 (b + 4),
        CTC_VERSION);
    return FALSE;
  }
  if (get_u32 (b + 8) != ctc->params.n_labels
      || get_u32 (b + 12) != ctc->params.blank
      || get_u32 (b + 16) != (guint32) ctc->params.input) {
    g_set_error (error, SEQ_CTC_ERROR, SEQ_CTC_ERROR_STATE,
        "CTC decoder state blob was written with other parameters (%u "
        "labels, blank %u, input %u; this decoder: %u, %u, %u)",
        get_u32 (b + 8), get_u32 (b + 12), get_u32 (b + 16),
        ctc->params.n_labels, ctc->params.blank, (guint) ctc->params.input);
    return FALSE;
  }
  last = get_u32 (b + 20);
  frames = get_u64 (b + 24);
  start = get_u64 (b + 32);
  sum_bits = get_u64 (b + 40);
  returned = get_u32 (b + 48);
  memcpy (&sum, &sum_bits, 8);
  if ((last != NO_LABEL && last >= ctc->params.n_labels)
      || (last == NO_LABEL) != (frames == 0)
      || (last != NO_LABEL && start >= frames) || returned > 1
      || frames > CTC_MAX_FRAMES
      || !isfinite (sum) || sum < 0.0 || get_u32 (b + 52) != 0) {
    g_set_error (error, SEQ_CTC_ERROR, SEQ_CTC_ERROR_STATE,
        "CTC decoder state blob is inconsistent (last label %u, %"
        G_GUINT64_FORMAT " frames, token start %" G_GUINT64_FORMAT ")",
        last, frames, start);
    return FALSE;
  }
  ctc->last = last;
  ctc->frames = frames;
  ctc->start = start;
  ctc->sum = sum;
  ctc->returned = returned == 1;
  return TRUE;
}

/* ---- labels ------------------------------------------------------------ */

gchar **
seq_ctc_labels_load_file (const gchar * path, GError ** error)
{
  gchar *text = NULL;
  gsize len = 0;
  GPtrArray *labels;
  const gchar *p, *end;
  guint line = 0;

  g_return_val_if_fail (path != NULL, NULL);
  if (!g_file_get_contents (path, &text, &len, error))
    return NULL;
  if (memchr (text, '\0', len) != NULL) {
    g_set_error (error, SEQ_CTC_ERROR, SEQ_CTC_ERROR_LABELS,
        "labels file \"%s\" holds a NUL byte: not a text file", path);
    g_free (text);
    return NULL;
  }
  labels = g_ptr_array_new_with_free_func (g_free);
  p = text;
  end = text + len;
  while (p < end) {
    const gchar *nl = memchr (p, '\n', end - p);
    const gchar *stop = nl ? nl : end;
    gsize n = stop - p;
    line++;
    if (n > 0 && p[n - 1] == '\r')
      n--;
    if (!g_utf8_validate_len (p, n, NULL)) {
      g_set_error (error, SEQ_CTC_ERROR, SEQ_CTC_ERROR_LABELS,
          "labels file \"%s\", line %u: not valid UTF-8", path, line);
      goto failed;
    }
    if (labels->len >= SEQ_CTC_MAX_LABELS) {
      g_set_error (error, SEQ_CTC_ERROR, SEQ_CTC_ERROR_LABELS,
          "labels file \"%s\" has more than %u labels", path,
          SEQ_CTC_MAX_LABELS);
      goto failed;
    }
    g_ptr_array_add (labels, g_strndup (p, n));
    p = nl ? nl + 1 : end;
  }
  if (labels->len == 0) {
    g_set_error (error, SEQ_CTC_ERROR, SEQ_CTC_ERROR_LABELS,
        "labels file \"%s\" is empty", path);
    goto failed;
  }
  g_free (text);
  g_ptr_array_add (labels, NULL);
  return (gchar **) g_ptr_array_free (labels, FALSE);

failed:
  g_ptr_array_unref (labels);
  g_free (text);
  return NULL;
}

gchar **
seq_ctc_labels_from_weights (const SeqWeights * weights, gint64 * blank,
    GError ** error)
{
  const gchar *json, *b;
  JsonParser *parser;
  JsonNode *root;
  JsonArray *arr;
  GPtrArray *labels = NULL;
  GError *err = NULL;
  guint n;

  g_return_val_if_fail (weights != NULL, NULL);

  if (blank != NULL) {
    *blank = -1;
    b = seq_weights_get_metadata (weights, "blank");
    if (b != NULL) {
      guint64 v;
      if (!g_ascii_string_to_unsigned (b, 10, 0, SEQ_CTC_MAX_LABELS, &v,
              NULL)) {
        g_set_error (error, SEQ_CTC_ERROR, SEQ_CTC_ERROR_LABELS,
            "metadata \"blank\" is \"%s\", not a decimal label id", b);
        return NULL;
      }
      *blank = (gint64) v;
    }
  }

  json = seq_weights_get_metadata (weights, "labels");
  if (json == NULL) {
    g_set_error (error, SEQ_CTC_ERROR, SEQ_CTC_ERROR_LABELS,
        "the weight file has no \"labels\" metadata");
    return NULL;
  }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, json, -1, &err)) {
    g_set_error (error, SEQ_CTC_ERROR, SEQ_CTC_ERROR_LABELS,
        "metadata \"labels\" is not JSON: %s", err->message);
    g_error_free (err);
    goto done;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root)) {
    g_set_error (error, SEQ_CTC_ERROR, SEQ_CTC_ERROR_LABELS,
        "metadata \"labels\" is not a JSON array of strings");
    goto done;
  }
  arr = json_node_get_array (root);
  n = json_array_get_length (arr);
  if (n == 0 || n > SEQ_CTC_MAX_LABELS) {
    g_set_error (error, SEQ_CTC_ERROR, SEQ_CTC_ERROR_LABELS,
        "metadata \"labels\" has %u entries, expected 1 to %u", n,
        SEQ_CTC_MAX_LABELS);
    goto done;
  }
  labels = g_ptr_array_new_full (n + 1, g_free);
  for (guint i = 0; i < n; i++) {
    JsonNode *e = json_array_get_element (arr, i);
    if (!JSON_NODE_HOLDS_VALUE (e)
        || json_node_get_value_type (e) != G_TYPE_STRING) {
      g_set_error (error, SEQ_CTC_ERROR, SEQ_CTC_ERROR_LABELS,
          "metadata \"labels\" entry %u is not a string", i);
      g_clear_pointer (&labels, g_ptr_array_unref);
      goto done;
    }
    g_ptr_array_add (labels, g_strdup (json_node_get_string (e)));
  }
  g_ptr_array_add (labels, NULL);

done:
  g_object_unref (parser);
  return labels ? (gchar **) g_ptr_array_free (labels, FALSE) : NULL;
}
