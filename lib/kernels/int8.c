/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — int8 weights (SEQ_KDTYPE_I8): the per-column quantization and
 * packing of packed.h, and the per-row quantization of the activations
 * (kernels.h), shared by every kernel set so that all of them see the same
 * integers. tests/gen_lstm_int8_fixtures.py is the numpy reference of both.
 */
#include "kernels.h"
#include "seqenc-private.h"

#include <math.h>
#include <string.h>

#define QMAX 127.0f

/* rint (v / s) clamped to [-127, 127]; s > 0 and finite. */
static inline gint32
quant_one (float v, float s)
{
  float r = rintf (v / s);

  r = r > QMAX ? QMAX : r;
  r = r < -QMAX ? -QMAX : r;
  return (gint32) r;
}

gboolean
seq_packed_init_i8 (SeqPacked * p, const float *dense, guint K, guint N)
{
  const guint pw = p->pw;
  guint np = (N + pw - 1) / pw;
  guint Kp = seq_i8_kp (K);
  guint nkq = Kp / SEQ_I8_KQUAD;
  gsize cols = (gsize) np * pw, n_w, n_bytes;
  gint8 *w;
  float *scale;
  gint32 *comp;

  /* weights, then cols floats and cols int32 (n_w is a multiple of 64:
   * pw is 48 or 64, Kp a multiple of 4) */
  if (!seq_size_mul (cols, Kp ? Kp : SEQ_I8_KQUAD, &n_w)
      || !seq_size_mul (cols, 8, &n_bytes) || n_w > G_MAXSIZE - n_bytes)
    return FALSE;
  n_bytes += n_w;
  p->data = seq_aligned_floats (n_bytes / 4);
  if (p->data == NULL)
    return FALSE;
  w = p->data;
  scale = (float *) ((guint8 *) p->data + n_w);
  comp = (gint32 *) (scale + cols);
  p->K = K;
  p->Kp = Kp;
  p->N = N;
  p->n_panels = np;
  p->dtype = SEQ_KDTYPE_I8;
  p->scale = scale;
  p->comp = comp;

  for (gsize n = 0; n < cols; n++) {
    guint pi = (guint) (n / pw), j = (guint) (n % pw);
    float maxabs = 0.0f, s;
    gboolean finite = TRUE;
    gint32 sum = 0;

    for (guint k = 0; k < K; k++) {
      float a = fabsf (dense[(gsize) k * cols + n]);
      finite = finite && isfinite (a);
      maxabs = a > maxabs ? a : maxabs;
    }
    s = maxabs / QMAX;
    scale[n] = s;
    if (finite && s > 0.0f) {
      for (guint k = 0; k < K; k++) {
        gint32 q = quant_one (dense[(gsize) k * cols + n], s);
        w[(((gsize) pi * nkq + k / SEQ_I8_KQUAD) * pw + j) * SEQ_I8_KQUAD +
            k % SEQ_I8_KQUAD] = (gint8) q;
        sum += q;
      }
    } else if (!finite) {
      /* a non-finite weight: the whole column gives NaN, as in f32 */
      scale[n] = NAN;
    }
    comp[n] = 128 * sum;
  }
  return TRUE;
}

float
seq_quant_row (const float *x, guint n, guint8 * q)
{
  float maxabs = 0.0f, s;
  gboolean finite = TRUE;
  guint k;

  for (k = 0; k < n; k++) {
    float a = fabsf (x[k]);
    finite = finite && isfinite (a);
    maxabs = a > maxabs ? a : maxabs;
  }
  s = maxabs / QMAX;
  if (!finite || !(s > 0.0f)) {
    /* zeros (or an underflowing row): q = 0; NaN / Inf: q = 0 and a NaN
     * scale, so that the products are NaN as in f32 (NaN in, NaN out) */
    memset (q, 128, seq_i8_kp (n));
    return finite ? 0.0f : NAN;
  }
  for (k = 0; k < n; k++)
    q[k] = (guint8) (quant_one (x[k], s) + 128);
  for (; k < seq_i8_kp (n); k++)
    q[k] = 128;
  return s;
}
