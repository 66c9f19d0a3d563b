/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — running sinusoidal positional encoding (see posenc.h). */
#include "seqenc/posenc.h"
#include "seqenc-private.h"
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

G_DEFINE_QUARK (seq-posenc-error-quark, seq_posenc_error);

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
  if (params->mode == SEQ_POSENC_MODE_CONCAT
      && (params->pe_dim == 0 || params->pe_dim > SEQ_POSENC_MAX_DIM)) {
    g_set_error (error, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_CONFIG,
        "concat PE width %u is outside [1, %u]", params->pe_dim,
        SEQ_POSENC_MAX_DIM);
    return NULL;
  }
  if (!(params->base > 1.0) || !isfinite (params->base)) {
    g_set_error (error, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_CONFIG,
        "base %g must be a finite number > 1", params->base);
    return NULL;
  }
  if (!isfinite (params->scale)) {
    g_set_error (error, SEQ_POSENC_ERROR, SEQ_POSENC_ERROR_CONFIG,
        "scale must be finite");
    return NULL;
  }

  d = params->mode == SEQ_POSENC_MODE_ADD ? params->frame_dim : params->pe_dim;
  pe = g_new0 (SeqPosEnc, 1);
  pe->params = *params;
  pe->pe_width = d;
  pe->out_dim = params->mode == SEQ_POSENC_MODE_ADD ? params->frame_dim :
      params->frame_dim + params->pe_dim;
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

void
seq_posenc_process (SeqPosEnc * pe, const float *in, float *out,
    gsize n_frames)
{
  guint fd, d;
  float scale;

  g_return_if_fail (pe != NULL);
  g_return_if_fail (n_frames == 0 || (in != NULL && out != NULL));

  fd = pe->params.frame_dim;
  d = pe->pe_width;
  scale = pe->params.scale;

  for (gsize t = 0; t < n_frames; t++) {
    const float *x = in + t * fd;
    compute_row (pe->position, d, pe->params.layout, pe->inv_freq, pe->pe);
    if (pe->params.mode == SEQ_POSENC_MODE_ADD) {
      float *y = out + t * fd;
      for (guint j = 0; j < fd; j++)
        y[j] = scale * x[j] + pe->pe[j];
    } else {
      /* out rows are wider than in rows: concat may not alias */
      float *y = out + t * pe->out_dim;
      for (guint j = 0; j < fd; j++)
        y[j] = scale * x[j];
      memcpy (y + fd, pe->pe, d * sizeof (float));
    }
    pe->position++;
  }
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
  put_u32 (b + 20, (guint32) p->layout);
  put_u64 (b + 24, base_bits);
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
