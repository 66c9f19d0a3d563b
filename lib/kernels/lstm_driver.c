/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — stacked LSTM driver over one chunk of steps. Work is split over
 * independent outputs only (groups of gate-column panels x blocks of rows),
 * statically by thread index; each output element is computed by one kernel
 * call with the fixed operation order of kernels.h, so the result does not
 * depend on the thread count or on which thread computes what. Threads come
 * from a SeqPool (pool.c) and meet at seq_pool_barrier () where a step needs
 * the previous one complete. */
#include "kernels.h"

#include <string.h>

/* Rows per work item (a multiple of every micro-kernel's row block). */
#define ROWS_PER_ITEM 96

guint
seq_kernels_max_threads (void)
{
  return MAX (1, g_get_num_processors ());
}

typedef struct {
  const SeqKernels *k;
  const SeqLstmNet *net;
  SeqLstmScratch *s;
  guint B, T;
  const float *x;
  gsize ldx;
  float *out;
  gsize ldout;
  gboolean all_layers;
} Chunk;

/* This thread's share [*i0, *i1) of n items. */
static inline void
my_range (guint n, guint tid, guint nt, guint * i0, guint * i1)
{
  *i0 = (guint) ((guint64) n * tid / nt);
  *i1 = (guint) ((guint64) n * (tid + 1) / nt);
}

/* Items are (panel group, row block) pairs, group-major so that a thread's
 * consecutive items stream consecutive panels. */
static inline void
item_range (guint item, guint n_rb, guint M, guint ppi, guint n_panels,
    guint * p0, guint * p1, guint * m0, guint * m1)
{
  guint rb = item % n_rb;
  *p0 = (item / n_rb) * ppi;
  *p1 = MIN (n_panels, *p0 + ppi);
  *m0 = rb * ROWS_PER_ITEM;
  *m1 = MIN (M, *m0 + ROWS_PER_ITEM);
}

/* Columns [n0, n1) of @n_rows f32 rows to bf16 (round to nearest even). */
static void
rows_to_bf16 (const float *src, gsize lds, guint n_rows, guint n0, guint n1,
    guint16 * dst, gsize ldd)
{
  for (guint r = 0; r < n_rows; r++)
    for (guint n = n0; n < n1; n++)
      dst[r * ldd + n] = seq_f32_to_bf16 (src[r * lds + n]);
}

/* One chunk: layer after layer, the input projection of all T steps as one
 * GEMM (fused into the step when T = 1), then the steps.
 *
 * In the bf16-matmul mode (net->bf16) every matrix product takes bf16
 * operands (k->gemm_b, k->lstm_step_b): the layer inputs and h travel as
 * bf16 rows (stride ldb, zeros past the real columns from the workspace's
 * zeroed allocation) beside their f32 values. Layer 0's input and the
 * chunk-start h are converted here, every later h by the step kernel that
 * makes it (or, with a projection, right after its gemm by the thread that
 * owns those columns). Those kernels read activation rows in tiles of 16:
 * rows past the current ones are read and their results dropped; the
 * workspace allocates 16 spare rows for that. */
static void
chunk_body (gpointer data, guint tid, guint nt, SeqPool * pool)
{
  const Chunk *c = data;
  const SeqKernels *k = c->k;
  const SeqLstmNet *net = c->net;
  SeqLstmScratch *s = c->s;
  const gboolean bf = net->bf16;
  const guint L = net->L, Hp = net->Hp, O = net->O, B = c->B, T = c->T;
  const gsize ldo = net->ldo, ldg = (gsize) 4 * Hp, ldb = net->ldb;
  const gsize h0b_stride = (gsize) (s->max_streams + 16) * ldb;
  const guint rows = T * B;
  const guint n_rb_all = (rows + ROWS_PER_ITEM - 1) / ROWS_PER_ITEM;
  const guint n_rb_b = (B + ROWS_PER_ITEM - 1) / ROWS_PER_ITEM;
  const guint gate_panels = (4 * Hp) / 64;
  const guint proj_panels = net->P ? (net->P + 63) / 64 : 0;
  /* panels per item: with few rows, several panels per item give the
   * kernels several weight streams at once (memory-level parallelism) */
  const guint ppi = B <= 2 ? 4 : 1;
  const guint gate_groups = (gate_panels + ppi - 1) / ppi;
  const guint proj_groups = (proj_panels + ppi - 1) / ppi;
  const float *lin = c->x;
  gsize ldin = c->ldx;
  const guint16 *linb = s->xb;
  guint i0, i1;

  if (bf) {
    my_range (rows, tid, nt, &i0, &i1);
    rows_to_bf16 (c->x + (gsize) i0 * c->ldx, c->ldx, i1 - i0, 0, net->I,
        s->xb + (gsize) i0 * ldb, ldb);
    my_range (L * B, tid, nt, &i0, &i1);
    for (guint i = i0; i < i1; i++)
      rows_to_bf16 (s->h0 + (gsize) i * ldo, ldo, 1, 0, O,
          s->h0b + (i / B) * h0b_stride + (gsize) (i % B) * ldb, ldb);
    seq_pool_barrier (pool);
  }

  for (guint l = 0; l < L; l++) {
    const SeqLstmLayerK *ly = &net->layers[l];
    float *y = s->y[l & 1];
    guint16 *yb = bf ? s->yb[l & 1] : NULL;
    float *h0 = s->h0 + (gsize) l * B * ldo;
    const guint16 *h0b = bf ? s->h0b + l * h0b_stride : NULL;
    float *cst = s->c + (gsize) l * B * Hp;

    /* input projection of all T steps: pre = X W_ih + b (one GEMM); for
     * T = 1 it is fused into the step instead (same operations, one
     * barrier less) */
    if (T > 1) {
      my_range (gate_panels * n_rb_all, tid, nt, &i0, &i1);
      for (guint it = i0; it < i1; it++) {
        guint p0, p1, m0, m1;
        item_range (it, n_rb_all, rows, 1, gate_panels, &p0, &p1, &m0, &m1);
        if (bf)
          k->gemm_b (linb + m0 * ldb, ldb, m1 - m0, &ly->wx, p0, p1,
              ly->bias, 0, s->pre + m0 * ldg, ldg);
        else
          k->gemm (lin + m0 * ldin, ldin, m1 - m0, &ly->wx, p0, p1,
              ly->bias, 0, s->pre + m0 * ldg, ldg);
      }
      seq_pool_barrier (pool);
    }

    for (guint t = 0; t < T; t++) {
      const float *hprev = t == 0 ? h0 : y + (gsize) (t - 1) * B * ldo;
      const guint16 *hprevb = bf ? (t == 0 ? h0b :
          yb + (gsize) (t - 1) * B * ldb) : NULL;
      float *yt = y + (gsize) t * B * ldo;
      guint16 *ytb = bf ? yb + (gsize) t * B * ldb : NULL;
      float *hout = net->P ? s->hraw : yt;
      guint16 *houtb = net->P ? s->hrawb : ytb;
      gsize ldhout = net->P ? Hp : ldo;

      my_range (gate_groups * n_rb_b, tid, nt, &i0, &i1);
      for (guint it = i0; it < i1; it++) {
        guint p0, p1, m0, m1;
        const float *pre;
        gsize ldp = T == 1 ? 0 : ldg;
        item_range (it, n_rb_b, B, ppi, gate_panels, &p0, &p1, &m0, &m1);
        /* T = 1: the chain starts at the bias, X W_ih is fused in */
        pre = T == 1 ? ly->bias : s->pre + ((gsize) t * B + m0) * ldg;
        if (bf)
          k->lstm_step_b (T == 1 ? linb + m0 * ldb : NULL, ldb, &ly->wx,
              hprevb + m0 * ldb, ldb, m1 - m0, &ly->wh, p0, p1, pre, ldp,
              cst + m0 * Hp, Hp, hout + m0 * ldhout, ldhout,
              houtb + m0 * ldb, ldb);
        else
          k->lstm_step (T == 1 ? lin + m0 * ldin : NULL, ldin, &ly->wx,
              hprev + m0 * ldo, ldo, m1 - m0, &ly->wh, p0, p1, pre, ldp,
              cst + m0 * Hp, Hp, hout + m0 * ldhout, ldhout);
      }
      seq_pool_barrier (pool);
      if (net->P) {
        my_range (proj_groups * n_rb_b, tid, nt, &i0, &i1);
        for (guint it = i0; it < i1; it++) {
          guint p0, p1, m0, m1;
          item_range (it, n_rb_b, B, ppi, proj_panels, &p0, &p1, &m0, &m1);
          if (bf) {
            k->gemm_b (s->hrawb + m0 * ldb, ldb, m1 - m0, &ly->wr, p0, p1,
                net->zeros, 0, yt + m0 * ldo, ldo);
            rows_to_bf16 (yt + m0 * ldo, ldo, m1 - m0, p0 * 64,
                MIN (p1 * 64, O), ytb + m0 * ldb, ldb);
          } else {
            k->gemm (s->hraw + m0 * Hp, Hp, m1 - m0, &ly->wr, p0, p1,
                net->zeros, 0, yt + m0 * ldo, ldo);
          }
        }
        seq_pool_barrier (pool);
      }
    }

    /* outputs and h at the end of the chunk. No barrier after: the next
     * writer of this y buffer is layer l + 2, behind at least one more
     * barrier (or the end of the job); the next layer reads y (yb), all
     * written before the last step's barrier. */
    my_range (rows, tid, nt, &i0, &i1);
    for (guint r = i0; r < i1; r++) {
      if (c->all_layers || l == L - 1)
        memcpy (c->out + (gsize) r * c->ldout +
            (c->all_layers ? (gsize) l * O : 0), y + (gsize) r * ldo,
            O * sizeof (float));
      if (r >= (T - 1) * B)
        memcpy (h0 + (gsize) (r - (T - 1) * B) * ldo, y + (gsize) r * ldo,
            ldo * sizeof (float));
    }

    lin = y;
    ldin = ldo;
    linb = yb;
  }
}

void
seq_lstm_run_chunk (const SeqKernels * k, SeqPool * pool,
    const SeqLstmNet * net, SeqLstmScratch * s, guint B, guint T,
    const float *x, gsize ldx, float *out, gsize ldout, gboolean all_layers)
{
  Chunk c = { k, net, s, B, T, x, ldx, out, ldout, all_layers };

  if (T == 0 || B == 0)
    return;
  seq_pool_run (pool, chunk_body, &c);
}
