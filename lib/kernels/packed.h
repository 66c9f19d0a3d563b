/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — private kernel layer: the packed weight layout (not installed).
 *
 * A matrix used as Y = X W, with W of K rows (the reduction) and N columns
 * (the outputs), is stored as panels of G groups of 16 columns (panel width
 * 16 G: 64 for the LSTM's four gates and for plain matrices, 48 for the
 * GRU's three), each panel K x 16 G contiguous, panel after panel:
 *
 *   data[p][k][j] = W[k][p * 16 G + j]      (N padded with 0 to whole panels)
 *
 * so a kernel streams through a panel linearly and vectorizes over its
 * columns. Elements are f32, bf16 or f16 (storage only: converted to f32
 * exactly on load, then f32 arithmetic).
 *
 * Recurrent cells interleave their gate columns so that one panel holds the
 * G gates of 16 hidden units: panel p, column q * 16 + j is gate q of unit
 * p * 16 + j (PyTorch row q * H + p * 16 + j). The thread that computes a
 * panel applies the cell's gate math to its 16 units right away (the fused
 * step of kernels.h).
 *
 * bf16 matmul (SEQ_KDTYPE_BF16_VNNI): both operands of every matrix product
 * are bf16 and the products are summed in f32, as AMX TDPBF16PS does (and
 * PyTorch's "medium" float32 matmul precision). K is rounded up to Kp, a
 * multiple of 32; per panel p, k-block kb (32 rows of W) and 16-column group
 * q, one 1 KiB tile of 16 rows x 16 column pairs ("VNNI" order):
 *
 *   data[((p * nkb + kb) * G + q) * 512 + k2 * 32 + j * 2 + e]
 *       = bf16 (W[kb * 32 + 2 * k2 + e][p * 16 G + q * 16 + j])   (0 beyond K)
 *
 * The activations (the A operand) are bf16 rows of Kp elements (zeros past
 * K), made from the f32 values by round-to-nearest-even (seq_f32_to_bf16,
 * lib/seqenc-private.h).
 *
 * int8 weights (SEQ_KDTYPE_I8), as PyTorch's dynamic quantization and ONNX
 * Runtime's DynamicQuantizeLSTM: every column n (one gate of one hidden
 * unit: one row of PyTorch's W_ih / W_hh) has its own symmetric scale
 *
 *   s[n] = max_k |W[k][n]| / 127        q[k][n] = rint (W[k][n] / s[n])
 *
 * (f32 arithmetic, round to nearest even, clamped to [-127, 127]; a column
 * of zeros has s = 0 and q = 0). K is rounded up to Kp, a multiple of 4
 * (q = 0 past K); per panel p, k-quad kq and column j of the panel, the 4
 * consecutive k of that column ("VNNI" order: 16 columns of one k-quad are
 * one 64-byte VPDPBUSD operand):
 *
 *   data[((p * nkq + kq) * pw + j) * 4 + e] = q[kq * 4 + e][p * pw + j]
 *
 * The same allocation then holds, per real-or-padding column n < n_panels
 * pw, the scale s[n] (f32, at W->scale) and comp[n] = 128 sum_k q[k][n]
 * (int32, at W->comp), so seq_packed_n_bytes and a fingerprint cover them.
 * Activations are quantized per row at run time (seq_quant_row, kernels.h)
 * and stored as u8 = q + 128: sum_k u8[k] q[k][n] - comp[n] is the exact
 * integer dot product of the signed values.
 */
#pragma once

#include <glib.h>
#include "seqenc-private.h"

G_BEGIN_DECLS

#define SEQ_GROUP 16            /* columns per group = hidden units per panel */
#define SEQ_MAX_GROUPS 4        /* groups per panel at most */
#define SEQ_PANEL 64            /* columns of a plain (G = 4) panel; the
                                 * widest panel */
#define SEQ_GATE_UNITS SEQ_GROUP

typedef enum {
  SEQ_KDTYPE_F32 = 0,
  SEQ_KDTYPE_BF16 = 1,
  SEQ_KDTYPE_F16 = 2,
  SEQ_KDTYPE_BF16_VNNI = 3,     /* bf16 matmul: AMX tile layout, see above */
  SEQ_KDTYPE_I8 = 4,            /* int8 per-column symmetric, see above */
} SeqKDtype;

#define SEQ_I8_KQUAD 4          /* k rows per VPDPBUSD group */

/* K rounded up to a whole number of k-quads. */
static inline guint
seq_i8_kp (guint K)
{
  return (K + SEQ_I8_KQUAD - 1) / SEQ_I8_KQUAD * SEQ_I8_KQUAD;
}

#define SEQ_BF16_KBLOCK 32      /* k rows per AMX tile (bf16 pairs x 16) */
#define SEQ_BF16_ROWS 16        /* activation rows per AMX tile */

/* K rounded up to a whole number of k-blocks. */
static inline guint
seq_bf16_kp (guint K)
{
  return (K + SEQ_BF16_KBLOCK - 1) / SEQ_BF16_KBLOCK * SEQ_BF16_KBLOCK;
}

typedef struct {
  guint K;                      /* rows (reduction length) */
  guint N;                      /* real columns */
  guint groups;                 /* G: 16-column groups per panel, 3 or 4 */
  guint pw;                     /* panel width, 16 G */
  guint n_panels;               /* ceil (N / pw) */
  guint Kp;                     /* K; BF16_VNNI: K rounded up to 32; I8: to 4 */
  SeqKDtype dtype;              /* element storage type */
  gpointer data;                /* 64-byte aligned, n_panels * Kp * pw elements
                                 * (I8: then scale and comp) */
  const float *scale;           /* I8 only: [n_panels * pw] column scales */
  const gint32 *comp;           /* I8 only: [n_panels * pw] 128 sum_k q */
} SeqPacked;

/* Packs @dense ([K][Np] f32, row-major, Np = n_panels * 16 @groups, columns
 * already in packed order) into @p with storage @dtype. FALSE on allocation
 * failure. */
gboolean seq_packed_init (SeqPacked * p, const float *dense, guint K,
    guint N, guint groups, SeqKDtype dtype);
void seq_packed_clear (SeqPacked * p);
/* The SEQ_KDTYPE_I8 case of seq_packed_init (int8.c), with p->groups and
 * p->pw set. */
gboolean seq_packed_init_i8 (SeqPacked * p, const float *dense, guint K,
    guint N);
/* Bytes of the packed data (for fingerprints). */
gsize seq_packed_n_bytes (const SeqPacked * p);

G_END_DECLS
