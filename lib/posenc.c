/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — running positional encoding, sinusoidal or learned (see
 * posenc.h). */
#include "seqenc/posenc.h"
#include "seqenc-private.h"
#include "seqenc/weights.h"
#include "blob.h"

#include <math.h>
#include <string.h>

/* Widths above this are refused: a PE row is recomputed per frame. */
#define SEQ_POSENC_MAX_DIM (1u << 20)

struct _SeqPosEnc {
  SeqPosEncParams params;
  guint pe_width;               /* d: frame_dim (add) or pe_dim (concat) */
  guint out_dim;
  guint64 position;             /* next frame's position */
  double *inv_freq;             /* [ceil(d/2)]: base^(-2i/d) */
  float *pe;                    /* [d] scratch for one frame */
};

struct _SeqPosEncTable {
  gint ref_count;
  guint max_len, d;
  guint32 crc;                  /* of the f32 rows: part of the state blob */
  float *rows;                  /* [max_len][d] */
};

G_DEFINE_QUARK (seq-posenc-error-quark, seq_posenc_error);

/* ---- learned tables ----------------------------------------------------- */

#define TERR(...) g_set_error (error, SEQ_POSENC_ERROR, \
    SEQ_POSENC_ERROR_TABLE, __VA_ARGS__)

/* The tensor for @name, or the auto-detected one (posenc.h). */
static const SeqTensorInfo *
find_table (const SeqWeights * w, const gchar * name, GError ** error)
{
  static const gchar bert[] = "position_embeddings.weight";
  const SeqTensorInfo *found = NULL, *only2d = NULL;
  guint n = seq_weights_n_tensors (w), n_bert = 0, n_2d = 0;

  if (name != NULL && *name != '\0') {
    found = seq_weights_find (w, name);
    if (found == NULL)
      TERR ("no tensor \"%s\" in the position table file", name);
    return found;
  }
  for (guint i = 0; i < n; i++) {
    const SeqTensorInfo *t = seq_weights_get (w, i);
    if (g_str_has_suffix (t->name, bert)) {
      found = t;
      n_bert++;
    }
    if (t->rank == 2) {
      only2d = t;
      n_2d++;
    }
  }
  if (n_bert == 1)
    return found;
  if (n_bert == 0 && n_2d == 1)
    return only2d;
  {
    GString *s = g_string_new (NULL);
    for (guint i = 0; i < n; i++) {
      const SeqTensorInfo *t = seq_weights_get (w, i);
      if (t->rank == 2 && (n_bert == 0 || g_str_has_suffix (t->name, bert)))
        g_string_append_printf (s, "%s\"%s\"", s->len ? ", " : "", t->name);
    }
    TERR ("cannot tell which tensor is the position table (%s); name one",
        s->len ? s->str : "no 2-D tensor");
    g_string_free (s, TRUE);
  }
  return NULL;
}

SeqPosEncTable *
seq_posenc_table_new_from_weights (const SeqWeights * weights,
    const gchar * name, GError ** error)
{
  const SeqTensorInfo *t;
  SeqPosEncTable *tb;
  GError *err = NULL;

  g_return_val_if_fail (weights != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((t = find_table (weights, name, error)) == NULL)
    return NULL;
  if (t->rank != 2 || t->shape[0] <= 0 || t->shape[1] <= 0
      || t->shape[0] > G_MAXINT32 || t->shape[1] > SEQ_POSENC_MAX_DIM) {
    GString *have = g_string_new (NULL);
    for (guint i = 0; i < t->rank; i++)
      g_string_append_printf (have, "%s%" G_GINT64_FORMAT, i ? ", " : "",
          t->shape[i]);
    TERR ("position table \"%s\" has shape [%s], expected [max_len, d] "
        "with d up to %u", t->name, have->str, SEQ_POSENC_MAX_DIM);
    g_string_free (have, TRUE);
    return NULL;
  }
  tb = g_new0 (SeqPosEncTable, 1);
  tb->ref_count = 1;
  tb->max_len = (guint) t->shape[0];
  tb->d = (guint) t->shape[1];
  tb->rows = g_try_new (float, t->n_elements);
  if (tb->rows == NULL) {
    TERR ("position table \"%s\" too large", t->name);
    seq_posenc_table_unref (tb);
    return NULL;
  }
  if (!seq_tensor_to_f32 (t, tb->rows, t->n_elements, &err)) {
    TERR ("position table \"%s\": %s", t->name, err->message);
    g_clear_error (&err);
    seq_posenc_table_unref (tb);
    return NULL;
  }
  tb->crc = seq_crc32 ((const guint8 *) tb->rows, t->n_elements *
      sizeof (float));
  return tb;
}

SeqPosEncTable *
seq_posenc_table_new_from_file (const gchar * path, const gchar * name,
    GError ** error)
{
  SeqWeights *w;
  SeqPosEncTable *tb;

  g_return_val_if_fail (path != NULL, NULL);
  if ((w = seq_weights_open (path, error)) == NULL)
    return NULL;
  tb = seq_posenc_table_new_from_weights (w, name, error);
  seq_weights_unref (w);
  return tb;
}

SeqPosEncTable *
seq_posenc_table_ref (SeqPosEncTable * table)
{
  g_return_val_if_fail (table != NULL, NULL);
  g_atomic_int_inc (&table->ref_count);
  return table;
}

void
seq_posenc_table_unref (SeqPosEncTable * table)
{
  if (table == NULL || !g_atomic_int_dec_and_test (&table->ref_count))
    return;
  g_free (table->rows);
  g_free (table);
}

guint
seq_posenc_table_get_max_len (const SeqPosEncTable * table)
{
  g_return_val_if_fail (table != NULL, 0);
  return table->max_len;
}

guint
seq_posenc_table_get_dim (const SeqPosEncTable * table)
{
  g_return_val_if_fail (table != NULL, 0);
  return table->d;
}

/* ---- the encoder -------------------------------------------------------- */

SeqPosEncParams
seq_posenc_params_default (void)
{
  SeqPosEncParams p = {
    .frame_dim = 0,
    .mode = SEQ_POSENC_MODE_ADD,
    .pe_dim = 64,
    .layout = SEQ_POSENC_LAYOUT_INTERLEAVED,
    .base = 10000.0,
    .scale = 1.0f,
    .start = 0,
    .table = NULL,
    .past_end = SEQ_POSENC_PAST_END_ERROR,
  };
  return p;
}

static void
fill_inv_freq (double *inv_freq, guint d, double base)
{
  guint n = (d + 1) / 2;
  for (guint i = 0; i < n; i++)
    inv_freq[i] = pow (base, -(2.0 * i) / (double) d);
}

/* pe for one position: the angle is (double) p * inv_freq[i]; p < 2^53 is
 * exact in double, so position 10^9 is as exact as position 10. */
static void
compute_row (guint64 position, guint d, SeqPosEncLayout layout,
    const double *inv_freq, float *out)
{
  guint n = (d + 1) / 2;
  double p = (double) position;

  for (guint i = 0; i < n; i++) {
    double a = p * inv_freq[i];
    double s = sin (a), c = cos (a);
    if (layout == SEQ_POSENC_LAYOUT_INTERLEAVED) {
      out[2 * i] = (float) s;
      if (2 * i + 1 < d)
        out[2 * i + 1] = (float) c;
    } else {
      out[i] = (float) s;
      if (n + i < d)
        out[n + i] = (float) c;
    }
  }
}

SeqPosEnc *
seq_posenc_new (const SeqPosEncParams * params, GError ** error)
{
  SeqPosEnc *pe;
  guint d;

  g_return_val_if_fail (params != NULL, NULL);

  if (params->frame_dim == 0 || params->frame_dim > SEQ_POSENC_MAX_DIM) {
    g_set_error (error, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_CONFIG,
        "frame width %u is outside [1, %u]", params->frame_dim,
        SEQ_POSENC_MAX_DIM);
    return NULL;
  }
  if (params->mode != SEQ_POSENC_MODE_ADD
      && params->mode != SEQ_POSENC_MODE_CONCAT) {
    g_set_error (error, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_CONFIG,
        "unknown mode %d", params->mode);
    return NULL;
  }
  if (params->layout != SEQ_POSENC_LAYOUT_INTERLEAVED
      && params->layout != SEQ_POSENC_LAYOUT_SPLIT) {
    g_set_error (error, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_CONFIG,
        "unknown layout %d", params->layout);
    return NULL;
  }
  if (params->mode == SEQ_POSENC_MODE_CONCAT && params->table == NULL
      && (params->pe_dim == 0 || params->pe_dim > SEQ_POSENC_MAX_DIM)) {
    g_set_error (error, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_CONFIG,
        "concat PE width %u is outside [1, %u]", params->pe_dim,
        SEQ_POSENC_MAX_DIM);
    return NULL;
  }
  if (params->table != NULL) {
    guint want = params->mode == SEQ_POSENC_MODE_ADD ? params->frame_dim :
        params->table->d;
    if (params->table->d != want) {
      g_set_error (error, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_CONFIG,
          "the learned position table is %u wide, the frames %u: in add "
          "mode they must match", params->table->d, params->frame_dim);
      return NULL;
    }
    if (params->past_end != SEQ_POSENC_PAST_END_ERROR
        && params->past_end != SEQ_POSENC_PAST_END_WRAP) {
      g_set_error (error, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_CONFIG,
          "unknown past-end behaviour %d", params->past_end);
      return NULL;
    }
  } else if (!(params->base > 1.0) || !isfinite (params->base)) {
    g_set_error (error, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_CONFIG,
        "base %g must be a finite number > 1", params->base);
    return NULL;
  }
  if (!isfinite (params->scale)) {
    g_set_error (error, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_CONFIG,
        "scale must be finite");
    return NULL;
  }

  d = params->mode == SEQ_POSENC_MODE_ADD ? params->frame_dim :
      params->table != NULL ? params->table->d : params->pe_dim;
  pe = g_new0 (SeqPosEnc, 1);
  pe->params = *params;
  if (params->table != NULL) {
    pe->params.table = seq_posenc_table_ref (params->table);
    pe->params.pe_dim = d;
  }
  pe->pe_width = d;
  pe->out_dim = params->mode == SEQ_POSENC_MODE_ADD ? params->frame_dim :
      params->frame_dim + d;
  pe->position = params->start;
  pe->inv_freq = g_new (double, (d + 1) / 2);
  pe->pe = seq_aligned_floats (d);
  fill_inv_freq (pe->inv_freq, d, params->base);
  return pe;
}

void
seq_posenc_free (SeqPosEnc * pe)
{
  if (pe == NULL)
    return;
  g_free (pe->inv_freq);
  seq_aligned_free (pe->pe);
  seq_posenc_table_unref (pe->params.table);
  g_free (pe);
}

guint
seq_posenc_out_dim (const SeqPosEnc * pe)
{
  g_return_val_if_fail (pe != NULL, 0);
  return pe->out_dim;
}

void
seq_posenc_reset (SeqPosEnc * pe)
{
  g_return_if_fail (pe != NULL);
  pe->position = pe->params.start;
}

guint64
seq_posenc_get_position (const SeqPosEnc * pe)
{
  g_return_val_if_fail (pe != NULL, 0);
  return pe->position;
}

void
seq_posenc_set_position (SeqPosEnc * pe, guint64 position)
{
  g_return_if_fail (pe != NULL);
  pe->position = position;
}

gboolean
seq_posenc_process (SeqPosEnc * pe, const float *in, float *out,
    gsize n_frames, GError ** error)
{
  const SeqPosEncTable *tb;
  guint fd, d;
  float scale;

  g_return_val_if_fail (pe != NULL, FALSE);
  g_return_val_if_fail (n_frames == 0 || (in != NULL && out != NULL), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  fd = pe->params.frame_dim;
  d = pe->pe_width;
  scale = pe->params.scale;
  tb = pe->params.table;

  for (gsize t = 0; t < n_frames; t++) {
    const float *x = in + t * fd;
    const float *row = pe->pe;
    if (tb == NULL) {
      compute_row (pe->position, d, pe->params.layout, pe->inv_freq, pe->pe);
    } else if (pe->position < tb->max_len) {
      row = tb->rows + (gsize) pe->position * d;
    } else if (pe->params.past_end == SEQ_POSENC_PAST_END_WRAP) {
      row = tb->rows + (gsize) (pe->position % tb->max_len) * d;
    } else {
      g_set_error (error, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_RANGE,
          "position %" G_GUINT64_FORMAT " is past the end of the learned "
          "position table (max_len %u; past-end=wrap would wrap around)",
          pe->position, tb->max_len);
      return FALSE;
    }
    if (pe->params.mode == SEQ_POSENC_MODE_ADD) {
      float *y = out + t * fd;
      for (guint j = 0; j < fd; j++)
        y[j] = scale * x[j] + row[j];
    } else {
      /* out rows are wider than in rows: concat may not alias */
      float *y = out + t * pe->out_dim;
      for (guint j = 0; j < fd; j++)
        y[j] = scale * x[j];
      memcpy (y + fd, row, d * sizeof (float));
    }
    pe->position++;
  }
  return TRUE;
}

void
seq_posenc_compute (guint64 position, guint d, SeqPosEncLayout layout,
    gdouble base, float *out)
{
  double *inv_freq;

  g_return_if_fail (d > 0 && out != NULL && base > 1.0);
  inv_freq = g_new (double, (d + 1) / 2);
  fill_inv_freq (inv_freq, d, base);
  compute_row (position, d, layout, inv_freq, out);
  g_free (inv_freq);
}

#define POSENC_MAGIC 0x45505153u        /* "SQPE" little-endian */
#define POSENC_VERSION 1u

GBytes *
seq_posenc_state_save (const SeqPosEnc * pe)
{
  guint8 *b;
  const SeqPosEncParams *p;
  guint64 base_bits;
  guint32 scale_bits;

  g_return_val_if_fail (pe != NULL, NULL);
  p = &pe->params;
  b = g_malloc0 (SEQ_POSENC_STATE_SIZE);
  memcpy (&base_bits, &p->base, 8);
  memcpy (&scale_bits, &p->scale, 4);
  put_u32 (b + 0, POSENC_MAGIC);
  put_u32 (b + 4, POSENC_VERSION);
  put_u32 (b + 8, p->frame_dim);
  put_u32 (b + 12, (guint32) p->mode);
  put_u32 (b + 16, p->mode == SEQ_POSENC_MODE_CONCAT ? p->pe_dim : 0);
  if (p->table != NULL) {
    put_u32 (b + 20, 2 + (guint32) p->past_end);
    put_u32 (b + 24, p->table->max_len);
    put_u32 (b + 28, p->table->crc);
  } else {
    put_u32 (b + 20, (guint32) p->layout);
    put_u64 (b + 24, base_bits);
  }
  put_u32 (b + 32, scale_bits);
  put_u64 (b + 40, p->start);
  put_u64 (b + 48, pe->position);
  put_u32 (b + 56, seq_crc32 (b, 56));
  return g_bytes_new_take (b, SEQ_POSENC_STATE_SIZE);
}

gboolean
seq_posenc_state_restore (SeqPosEnc * pe, GBytes * blob, GError ** error)
{
  const guint8 *b;
  gsize n;
  GBytes *mine;
  gboolean same;

  g_return_val_if_fail (pe != NULL && blob != NULL, FALSE);
  b = g_bytes_get_data (blob, &n);
  if (n != SEQ_POSENC_STATE_SIZE || get_u32 (b) != POSENC_MAGIC) {
    g_set_error (error, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_STATE,
        "not a positional-encoding state blob (%" G_GSIZE_FORMAT " bytes)", n);
    return FALSE;
  }
  if (get_u32 (b + 56) != seq_crc32 (b, 56)) {
    g_set_error (error, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_STATE,
        "positional-encoding state blob is corrupted (checksum mismatch)");
    return FALSE;
  }
  if (get_u32 (b + 4) != POSENC_VERSION) {
    g_set_error (error, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_STATE,
        "positional-encoding state blob version %u, expected %u",
        get_u32 (b + 4), POSENC_VERSION);
    return FALSE;
  }
  /* the parameters (all but start and position) must be ours */
  mine = seq_posenc_state_save (pe);
  same = memcmp ((const guint8 *) g_bytes_get_data (mine, NULL) + 8, b + 8,
      32) == 0;
  g_bytes_unref (mine);
  if (!same) {
    g_set_error (error, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_STATE,
        "positional-encoding state blob was written with other parameters "
        "(width %u, mode %u, pe-dim %u, layout %u)", get_u32 (b + 8),
        get_u32 (b + 12), get_u32 (b + 16), get_u32 (b + 20));
    return FALSE;
  }
  pe->position = get_u64 (b + 48);
  return TRUE;
}
