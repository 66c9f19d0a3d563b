/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — the stacked recurrent driver over one chunk of steps (rnn.h),
 * for every cell of kernels.h. Work is split over independent outputs only
 * (groups of gate-column panels x blocks of rows), statically by thread
 * index; each output element is computed by one kernel call with the fixed
 * operation order of kernels.h, so the result does not depend on the thread
 * count or on which thread computes what. Threads come from a SeqPool
 * (pool.c) and meet at seq_pool_barrier () where a step needs the previous
 * one complete. */
#include "rnn.h"
#include "seqenc-private.h"

#include <string.h>

/* Rows per work item (a multiple of every micro-kernel's row block). */
#define ROWS_PER_ITEM 96

typedef struct {
  const SeqKernels *k;
  const SeqRnnNet *net;
  SeqRnnScratch *s;
  const SeqRnnStates *st;
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
 * operands (k->gemm_b, k->step_b): the layer inputs and h travel as
 * bf16 rows (stride ldb, zeros past the real columns from the workspace's
 * zeroed allocation) beside their f32 values. Layer 0's input and the
 * chunk-start h are converted here, every later h by the step kernel that
 * makes it (or, with a projection, right after its gemm by the thread that
 * owns those columns). Those kernels read activation rows in tiles of 16:
 * rows past the current ones are read and their results dropped; the
 * workspace allocates 16 spare rows for that.
 *
 * In the int8 mode (net->int8) the products take u8 rows with a scale each
 * (k->gemm_q, k->step_q; kernels.h). A row's scale depends on the whole
 * row, which several threads compute, so h is quantized in a pass of its
 * own after each step (rows split over the threads, then a barrier): into
 * yq, where the next step finds it as h and the next layer as its input.
 * Layer 0's input and the chunk-start h are quantized first. */
static void
chunk_body (gpointer data, guint tid, guint nt, SeqPool * pool)
{
  const Chunk *c = data;
  const SeqKernels *k = c->k;
  const SeqRnnNet *net = c->net;
  SeqRnnScratch *s = c->s;
  const gboolean bf = net->bf16, q = net->int8;
  const guint L = net->L, Hp = net->Hp, O = net->O, B = c->B, T = c->T;
  const gsize ldo = net->ldo, ldg = (gsize) net->G * Hp, ldb = net->ldb;
  const gsize ldq = net->ldq, ls = c->st->ls;
  const gsize h0b_stride = (gsize) (s->max_streams + 16) * ldb;
  const guint rows = T * B;
  const guint n_rb_all = (rows + ROWS_PER_ITEM - 1) / ROWS_PER_ITEM;
  const guint n_rb_b = (B + ROWS_PER_ITEM - 1) / ROWS_PER_ITEM;
  const guint gate_panels = Hp / SEQ_GROUP;
  const SeqStepFunc step = bf ? k->step_b[net->cell] :
      q ? k->step_q[net->cell] : k->step[net->cell];
  const guint proj_panels = net->P ? (net->P + 63) / 64 : 0;
  /* panels per item: with few rows, several panels per item give the
   * kernels several weight streams at once (memory-level parallelism) */
  const guint ppi = B <= 2 ? 4 : 1;
  const guint gate_groups = (gate_panels + ppi - 1) / ppi;
  const guint proj_groups = (proj_panels + ppi - 1) / ppi;
  const float *lin = c->x;
  gsize ldin = c->ldx;
  const guint16 *linb = s->xb;
  const guint8 *linq = s->xq;
  const float *lins = s->xs;
  guint i0, i1;

  if (bf) {
    my_range (rows, tid, nt, &i0, &i1);
    rows_to_bf16 (c->x + (gsize) i0 * c->ldx, c->ldx, i1 - i0, 0, net->I,
        s->xb + (gsize) i0 * ldb, ldb);
    my_range (L * B, tid, nt, &i0, &i1);
    for (guint i = i0; i < i1; i++)
      rows_to_bf16 (c->st->h + ((i / B) * ls + i % B) * ldo, ldo, 1, 0, O,
          s->h0b + (i / B) * h0b_stride + (gsize) (i % B) * ldb, ldb);
    seq_pool_barrier (pool);
  }
  if (q) {
    my_range (rows, tid, nt, &i0, &i1);
    for (guint r = i0; r < i1; r++)
      s->xs[r] = seq_quant_row (c->x + (gsize) r * c->ldx, net->I,
          s->xq + (gsize) r * ldq);
    my_range (L * B, tid, nt, &i0, &i1);
    for (guint i = i0; i < i1; i++)
      s->h0s[i] = seq_quant_row (c->st->h + ((i / B) * ls + i % B) * ldo, O,
          s->h0q + (gsize) i * ldq);
    seq_pool_barrier (pool);
  }

  for (guint l = 0; l < L; l++) {
    const SeqRnnLayer *ly = &net->layers[l];
    float *y = s->y[l & 1];
    guint16 *yb = bf ? s->yb[l & 1] : NULL;
    float *h0 = c->st->h + l * ls * ldo;
    const guint16 *h0b = bf ? s->h0b + l * h0b_stride : NULL;
    float *cst = c->st->c != NULL ? c->st->c + l * ls * Hp : NULL;
    guint8 *yq = q ? s->yq[l & 1] : NULL;
    float *ys = q ? s->ys[l & 1] : NULL;
    const guint8 *h0q = q ? s->h0q + (gsize) l * B * ldq : NULL;
    const float *h0s = q ? s->h0s + (gsize) l * B : NULL;

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
        else if (q)
          k->gemm_q (linq + m0 * ldq, ldq, lins + m0, m1 - m0, &ly->wx, p0,
              p1, ly->bias, 0, s->pre + m0 * ldg, ldg);
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
      const guint8 *hprevq = q ? (t == 0 ? h0q :
          yq + (gsize) (t - 1) * B * ldq) : NULL;
      const float *hprevs = q ? (t == 0 ? h0s : ys + (gsize) (t - 1) * B) :
          NULL;
      float *hout = net->P ? s->hraw : yt;
      guint16 *houtb = net->P ? s->hrawb : ytb;
      gsize ldhout = net->P ? Hp : ldo;

      my_range (gate_groups * n_rb_b, tid, nt, &i0, &i1);
      for (guint it = i0; it < i1; it++) {
        guint p0, p1, m0, m1;
        SeqStepArgs a = { 0 };
        item_range (it, n_rb_b, B, ppi, gate_panels, &p0, &p1, &m0, &m1);
        /* T = 1: the chain starts at the bias, X W_ih is fused in */
        if (T == 1) {
          a.x = bf ? NULL : lin + m0 * ldin;
          a.xb = bf ? linb + m0 * ldb : NULL;
          a.xq = q ? linq + m0 * ldq : NULL;
          a.xs = q ? lins + m0 : NULL;
          a.pre = ly->bias;
          a.ldp = 0;
        } else {
          a.pre = s->pre + ((gsize) t * B + m0) * ldg;
          a.ldp = ldg;
        }
        a.ldx = bf ? ldb : q ? ldq : ldin;
        a.hq = q ? hprevq + m0 * ldq : NULL;
        a.hs = q ? hprevs + m0 : NULL;
        a.ldhq = ldq;
        a.wx = &ly->wx;
        a.h = hprev + m0 * ldo;
        a.ldh = ldo;
        a.hb = bf ? hprevb + m0 * ldb : NULL;
        a.ldhb = ldb;
        a.wh = &ly->wh;
        a.bh = ly->bias_h;
        a.c = cst != NULL ? cst + m0 * Hp : NULL;
        a.ldc = Hp;
        a.hout = hout + m0 * ldhout;
        a.ldo = ldhout;
        a.hout_b = bf ? houtb + m0 * ldb : NULL;
        a.ldob = ldb;
        step (&a, m1 - m0, p0, p1);
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
      /* int8: h quantized for the next step and the next layer (not
       * needed after the last step of the last layer) */
      if (q && (l < L - 1 || t < T - 1)) {
        my_range (B, tid, nt, &i0, &i1);
        for (guint b = i0; b < i1; b++)
          ys[(gsize) t * B + b] = seq_quant_row (yt + (gsize) b * ldo, O,
              yq + ((gsize) t * B + b) * ldq);
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
    linq = yq;
    lins = ys;
  }
}

void
seq_rnn_run_chunk (const SeqKernels * k, SeqPool * pool,
    const SeqRnnNet * net, SeqRnnScratch * s, const SeqRnnStates * st,
    guint B, guint T, const float *x, gsize ldx, float *out, gsize ldout,
    gboolean all_layers)
{
  Chunk c = { k, net, s, st, B, T, x, ldx, out, ldout, all_layers };

  if (T == 0 || B == 0)
    return;
  seq_pool_run (pool, chunk_body, &c);
}

/* ---- scratch ------------------------------------------------------------ */

/* Upper bound of one scratch array, elements (the workspace is refused
 * beyond: ~4 GiB of f32). */
#define SEQ_RNN_MAX_SCRATCH ((gsize) 1 << 30)

static float *
scratch_alloc (gsize a, gsize b, gboolean * ok)
{
  gsize n;
  float *p;
  if (!*ok || !seq_size_mul (a, b, &n) || n > SEQ_RNN_MAX_SCRATCH) {
    *ok = FALSE;
    return NULL;
  }
  p = seq_aligned_floats (n);
  if (p == NULL)
    *ok = FALSE;
  return p;
}

/* a x b bf16, zeroed: the columns past the real ones stay 0 */
static guint16 *
scratch_alloc_b (gsize a, gsize b, gboolean * ok)
{
  float *p = scratch_alloc (a, (b + 1) / 2, ok);

  if (p != NULL)
    memset (p, 0, a * ((b + 1) / 2) * sizeof (float));
  return (guint16 *) p;
}

/* a x b bytes, zeroed */
static guint8 *
scratch_alloc_q (gsize a, gsize b, gboolean * ok)
{
  float *p = scratch_alloc (a, (b + 3) / 4, ok);

  if (p != NULL)
    memset (p, 0, a * ((b + 3) / 4) * sizeof (float));
  return (guint8 *) p;
}

gboolean
seq_rnn_scratch_init (SeqRnnScratch * s, const SeqRnnNet * net,
    guint max_streams, guint max_steps)
{
  gboolean ok = TRUE;
  gsize rows;

  memset (s, 0, sizeof (*s));
  if (!seq_size_mul (max_streams, max_steps, &rows) || rows > G_MAXUINT) {
    ok = FALSE;
    rows = 0;
  }
  s->max_rows = (guint) rows;
  s->max_streams = max_streams;
  /* 16 spare rows: the bf16 kernels read activations in tiles of 16 rows */
  s->pre = scratch_alloc (rows + 16, (gsize) net->G * net->Hp, &ok);
  if (net->bf16) {
    s->xb = scratch_alloc_b (rows + 16, net->ldb, &ok);
    s->yb[0] = scratch_alloc_b (rows + 16, net->ldb, &ok);
    s->yb[1] = scratch_alloc_b (rows + 16, net->ldb, &ok);
    s->hrawb = scratch_alloc_b ((gsize) max_streams + 16, net->ldb, &ok);
    s->h0b = scratch_alloc_b ((gsize) net->L * (max_streams + 16), net->ldb,
        &ok);
  }
  if (net->int8) {
    s->xq = scratch_alloc_q (rows, net->ldq, &ok);
    s->xs = scratch_alloc (rows, 1, &ok);
    s->yq[0] = scratch_alloc_q (rows, net->ldq, &ok);
    s->yq[1] = scratch_alloc_q (rows, net->ldq, &ok);
    s->ys[0] = scratch_alloc (rows, 1, &ok);
    s->ys[1] = scratch_alloc (rows, 1, &ok);
    s->h0q = scratch_alloc_q ((gsize) net->L * max_streams, net->ldq, &ok);
    s->h0s = scratch_alloc ((gsize) net->L * max_streams, 1, &ok);
  }
  s->y[0] = scratch_alloc (rows, net->ldo, &ok);
  s->y[1] = scratch_alloc (rows, net->ldo, &ok);
  s->hraw = scratch_alloc (max_streams, net->Hp, &ok);
  s->h0 = scratch_alloc ((gsize) net->L * max_streams, net->ldo, &ok);
  if (net->cell == SEQ_CELL_LSTM)
    s->c = scratch_alloc ((gsize) net->L * max_streams, net->Hp, &ok);
  return ok;
}

void
seq_rnn_scratch_clear (SeqRnnScratch * s)
{
  seq_aligned_free (s->pre);
  seq_aligned_free (s->y[0]);
  seq_aligned_free (s->y[1]);
  seq_aligned_free (s->hraw);
  seq_aligned_free (s->h0);
  seq_aligned_free (s->c);
  seq_aligned_free (s->xb);
  seq_aligned_free (s->yb[0]);
  seq_aligned_free (s->yb[1]);
  seq_aligned_free (s->hrawb);
  seq_aligned_free (s->h0b);
  seq_aligned_free (s->xq);
  seq_aligned_free (s->xs);
  seq_aligned_free (s->yq[0]);
  seq_aligned_free (s->yq[1]);
  seq_aligned_free (s->ys[0]);
  seq_aligned_free (s->ys[1]);
  seq_aligned_free (s->h0q);
  seq_aligned_free (s->h0s);
  memset (s, 0, sizeof (*s));
}

/* ---- packing ------------------------------------------------------------ */

gboolean
seq_rnn_pack_gates (SeqPacked * dst, const float *w, guint K, guint H,
    guint G, SeqKDtype dt)
{
  guint Hp = (H + SEQ_GROUP - 1) / SEQ_GROUP * SEQ_GROUP;
  gsize Np = (gsize) G * Hp;
  float *dense = seq_aligned_floats ((gsize) K * Np + 1);
  gboolean ok;

  if (dense == NULL)
    return FALSE;
  for (guint u = 0; u < H; u++) {
    for (guint q = 0; q < G; q++) {
      gsize col = seq_rnn_gate_col (u, q, G);
      const float *row = w + ((gsize) q * H + u) * K;
      for (guint k = 0; k < K; k++)
        dense[(gsize) k * Np + col] = row[k];
    }
  }
  ok = seq_packed_init (dst, dense, K, (guint) Np, G, dt);
  seq_aligned_free (dense);
  return ok;
}

gboolean
seq_rnn_pack_plain (SeqPacked * dst, const float *w, guint N, guint K,
    SeqKDtype dt)
{
  gsize Np = (gsize) ((N + SEQ_PANEL - 1) / SEQ_PANEL) * SEQ_PANEL;
  float *dense = seq_aligned_floats ((gsize) K * Np + 1);
  gboolean ok;

  if (dense == NULL)
    return FALSE;
  for (guint n = 0; n < N; n++)
    for (guint k = 0; k < K; k++)
      dense[(gsize) k * Np + n] = w[(gsize) n * K + k];
  ok = seq_packed_init (dst, dense, K, N, SEQ_PANEL / SEQ_GROUP, dt);
  seq_aligned_free (dense);
  return ok;
}

void
seq_rnn_net_clear (SeqRnnNet * net)
{
  if (net->layers != NULL) {
    for (guint l = 0; l < net->L; l++) {
      SeqRnnLayer *ly = &net->layers[l];
      seq_packed_clear (&ly->wx);
      seq_packed_clear (&ly->wh);
      seq_packed_clear (&ly->wr);
      seq_aligned_free (ly->bias);
      seq_aligned_free (ly->bias_h);
    }
    g_free (net->layers);
    net->layers = NULL;
  }
}

/* ---- the runner --------------------------------------------------------- */

gboolean
seq_rnn_runner_init (SeqRnnRunner * r, const SeqRnnNet * net,
    guint max_streams, guint max_steps, guint n_threads)
{
  memset (r, 0, sizeof (*r));
  r->max_streams = max_streams;
  r->max_steps = max_steps;
  r->n_threads = n_threads == 0 ? seq_pool_default_threads () : n_threads;
  r->n_threads = MIN (r->n_threads, SEQ_RNN_MAX_THREADS);
  r->kernels = seq_kernels_get (SEQ_KERNELS_AUTO);
  if (!seq_rnn_scratch_init (&r->s, net, max_streams, max_steps))
    return FALSE;
  r->pool = seq_pool_new (r->n_threads);
  r->n_threads = seq_pool_n_threads (r->pool);
  return TRUE;
}

void
seq_rnn_runner_clear (SeqRnnRunner * r)
{
  seq_pool_free (r->pool);
  seq_rnn_scratch_clear (&r->s);
  seq_aligned_free (r->slot_h);
  seq_aligned_free (r->slot_c);
  memset (r, 0, sizeof (*r));
}

/* @rows rows of width @w per layer, @L layers, from [L][old_n] to
 * [L][new_n] (the rest zeroed) */
static void
slots_copy (float *dst, const float *src, guint L, guint old_n, guint new_n,
    gsize w)
{
  memset (dst, 0, (gsize) L * new_n * w * sizeof (float));
  for (guint l = 0; l < L && src != NULL; l++)
    memcpy (dst + (gsize) l * new_n * w, src + (gsize) l * old_n * w,
        (gsize) old_n * w * sizeof (float));
}

gboolean
seq_rnn_runner_reserve_slots (SeqRnnRunner * r, const SeqRnnNet * net,
    guint n_slots)
{
  gboolean ok = TRUE, lstm = net->cell == SEQ_CELL_LSTM;
  guint n;
  float *h, *c = NULL;

  if (n_slots <= r->n_slots)
    return TRUE;
  /* doubling: joins are rare, but many come at once at start */
  n = MAX (n_slots, MIN (G_MAXUINT / 2, MAX (16u, r->n_slots)) * 2);
  h = scratch_alloc ((gsize) net->L * n, net->ldo, &ok);
  if (lstm)
    c = scratch_alloc ((gsize) net->L * n, net->Hp, &ok);
  if (!ok) {
    seq_aligned_free (h);
    seq_aligned_free (c);
    return FALSE;
  }
  slots_copy (h, r->slot_h, net->L, r->n_slots, n, net->ldo);
  if (lstm)
    slots_copy (c, r->slot_c, net->L, r->n_slots, n, net->Hp);
  seq_aligned_free (r->slot_h);
  seq_aligned_free (r->slot_c);
  r->slot_h = h;
  r->slot_c = c;
  r->n_slots = n;
  return TRUE;
}

gboolean
seq_rnn_runner_set_isa (SeqRnnRunner * r, SeqKernelsIsa isa)
{
  const SeqKernels *k = seq_kernels_get (isa);

  if (k == NULL)
    return FALSE;
  r->kernels = k;
  return TRUE;
}

void
seq_rnn_runner_forward (SeqRnnRunner * r, const SeqRnnNet * net,
    const SeqRnnStates * st, guint B, const float *x, guint n_steps,
    float *out, guint width, gboolean all_layers)
{
  guint chunk = MAX (1u, r->s.max_rows / B);

  chunk = MIN (chunk, r->max_steps * (r->max_streams / B));
  for (guint t0 = 0; t0 < n_steps; t0 += chunk) {
    guint T = MIN (chunk, n_steps - t0);
    seq_rnn_run_chunk (r->kernels, r->pool, net, &r->s, st, B, T,
        x + (gsize) t0 * B * net->I, net->I, out + (gsize) t0 * B * width,
        width, all_layers);
  }
}
