/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — weight packing for the kernel layer. The layout is specified in
 * packed.h; the f32 <-> bf16 / f16 conversions are lib/seqenc-private.h's. */
#include "packed.h"
#include "seqenc-private.h"

#include <string.h>

/* ---- packing ------------------------------------------------------------ */

static gsize
dtype_size (SeqKDtype d)
{
  return d == SEQ_KDTYPE_F32 ? 4 : d == SEQ_KDTYPE_I8 ? 1 : 2;
}

/* Offset of element (k, n) in the BF16_VNNI layout (kernels.h). */
static inline gsize
vnni_off (const SeqPacked * p, guint k, guint n)
{
  guint nkb = p->Kp / SEQ_BF16_KBLOCK;
  guint pi = n / p->pw, q = (n % p->pw) / 16, j = n % 16;
  guint kb = k / SEQ_BF16_KBLOCK, k2 = (k % SEQ_BF16_KBLOCK) / 2, e = k % 2;

  return (((gsize) pi * nkb + kb) * p->groups + q) * 512 + k2 * 32 + j * 2 +
      e;
}

static gboolean
packed_init_vnni (SeqPacked * p, const float *dense, guint K, guint N)
{
  guint np = (N + p->pw - 1) / p->pw;
  guint Kp = seq_bf16_kp (K);
  gsize Np = (gsize) np * p->pw, n_el;

  if (!seq_size_mul (Np, Kp ? Kp : SEQ_BF16_KBLOCK, &n_el))
    return FALSE;
  p->data = seq_aligned_floats ((n_el + 1) / 2);
  if (p->data == NULL)
    return FALSE;
  memset (p->data, 0, n_el * 2);
  p->K = K;
  p->Kp = Kp;
  p->N = N;
  p->n_panels = np;
  p->dtype = SEQ_KDTYPE_BF16_VNNI;
  for (guint k = 0; k < K; k++)
    for (gsize n = 0; n < Np; n++)
      ((guint16 *) p->data)[vnni_off (p, k, (guint) n)] =
          seq_f32_to_bf16 (dense[(gsize) k * Np + n]);
  return TRUE;
}

gboolean
seq_packed_init (SeqPacked * p, const float *dense, guint K, guint N,
    guint groups, SeqKDtype dtype)
{
  guint pw = groups * SEQ_GROUP;
  guint np = (N + pw - 1) / pw;
  gsize Np = (gsize) np * pw;
  gsize n_el, n_floats;

  g_return_val_if_fail (groups >= 1 && groups <= SEQ_MAX_GROUPS, FALSE);
  memset (p, 0, sizeof (*p));
  p->groups = groups;
  p->pw = pw;
  if (dtype == SEQ_KDTYPE_BF16_VNNI)
    return packed_init_vnni (p, dense, K, N);
  if (dtype == SEQ_KDTYPE_I8)
    return seq_packed_init_i8 (p, dense, K, N);

  if (!seq_size_mul (Np, K ? K : 1, &n_el))
    return FALSE;
  n_floats = dtype == SEQ_KDTYPE_F32 ? n_el : (n_el + 1) / 2;
  p->data = seq_aligned_floats (n_floats);
  if (p->data == NULL)
    return FALSE;
  p->K = K;
  p->Kp = K;
  p->N = N;
  p->n_panels = np;
  p->dtype = dtype;

  for (guint pi = 0; pi < np; pi++) {
    for (guint k = 0; k < K; k++) {
      const float *src = dense + (gsize) k * Np + (gsize) pi * pw;
      gsize off = ((gsize) pi * K + k) * pw;
      switch (dtype) {
        case SEQ_KDTYPE_F32:
          memcpy ((float *) p->data + off, src, pw * sizeof (float));
          break;
        case SEQ_KDTYPE_BF16:
          for (guint j = 0; j < pw; j++)
            ((guint16 *) p->data)[off + j] = seq_f32_to_bf16 (src[j]);
          break;
        case SEQ_KDTYPE_F16:
          for (guint j = 0; j < pw; j++)
            ((guint16 *) p->data)[off + j] = seq_f32_to_f16 (src[j]);
          break;
        case SEQ_KDTYPE_BF16_VNNI:
        case SEQ_KDTYPE_I8:
          break;                /* packed_init_vnni, seq_packed_init_i8 */
      }
    }
  }
  return TRUE;
}

void
seq_packed_clear (SeqPacked * p)
{
  if (p == NULL)
    return;
  seq_aligned_free (p->data);
  memset (p, 0, sizeof (*p));
}

gsize
seq_packed_n_bytes (const SeqPacked * p)
{
  gsize cols = (gsize) p->n_panels * p->pw;

  /* I8: the weights, then a scale and a comp word per column */
  return cols * p->Kp * dtype_size (p->dtype) +
      (p->dtype == SEQ_KDTYPE_I8 ? cols * 8 : 0);
}

