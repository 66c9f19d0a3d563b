/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — private kernel layer: the stacked recurrent driver (not
 * installed). One driver for every cell of kernels.h (LSTM, GRU): per
 * layer, the input projection of all the chunk's steps as one GEMM (fused
 * into the step for T = 1), then per step the cell's fused step over its
 * gate panels, split statically over the pool's threads; an optional
 * projection (LSTM proj_size) after each step. Work is split over
 * independent outputs only, so the result does not depend on the thread
 * count or on which thread computes what. */
#pragma once

#include "kernels.h"
#include "pool.h"

G_BEGIN_DECLS

typedef struct {
  guint K_in;                   /* input width of this layer (I or O) */
  SeqPacked wx;                 /* [K_in][G Hp] gate-interleaved */
  SeqPacked wh;                 /* [O][G Hp] gate-interleaved */
  SeqPacked wr;                 /* [H][P] plain, only when P > 0 */
  float *bias;                  /* [G Hp] input-side bias row, packed order
                                 * (LSTM: b_ih + b_hh; GRU: b_ih), zeros if
                                 * none */
  float *bias_h;                /* [G Hp] GRU: b_hh (zeros if none); NULL
                                 * for the LSTM */
} SeqRnnLayer;
/* In bf16 matmul mode (bf16 == TRUE) wx, wh and wr are BF16_VNNI and the
 * layer inputs travel as bf16 rows too: stride ldb (>= Kp of every matrix).
 * In int8 mode (int8 == TRUE) wx and wh are I8 (wr stays F32: the
 * projection runs in f32) and the layer inputs and h travel as u8 rows
 * (seq_quant_row, stride ldq >= Kp of wx and wh) with one scale each. */

typedef struct {
  SeqCellKind cell;
  guint G;                      /* gates: seq_cell_n_gates (cell) */
  guint L, I, H, P, O;          /* layers, input, hidden, proj (0), output */
  guint Hp;                     /* H rounded up to 16 */
  gsize ldo;                    /* stride of h rows: O rounded up to 64 */
  SeqRnnLayer *layers;          /* [L] */
  const float *zeros;           /* >= max (G Hp, ldo) zeros */
  gboolean bf16;                /* bf16 matmul mode */
  gsize ldb;                    /* bf16 row stride: max Kp of I, O, H */
  gboolean int8;                /* int8 mode */
  gsize ldq;                    /* u8 row stride: max i8 Kp of I, O, to 64 */
} SeqRnnNet;

typedef struct {
  guint max_rows;               /* max_steps * max_streams */
  guint max_streams;
  float *pre;                   /* [max_rows + 16][G Hp] */
  float *y[2];                  /* [max_rows][ldo] */
  float *hraw;                  /* [max_streams][Hp] (proj only) */
  float *h0;                    /* [L][max_streams][ldo]: h at chunk start */
  float *c;                     /* [L][max_streams][Hp] (LSTM only) */
  /* bf16 matmul mode only (NULL otherwise), rows + 16 for whole tiles: */
  guint16 *xb;                  /* [max_rows + 16][ldb]: layer-0 input */
  guint16 *yb[2];               /* [max_rows + 16][ldb]: y as bf16 */
  guint16 *hrawb;               /* [max_streams + 16][ldb] (proj only) */
  guint16 *h0b;                 /* [L][max_streams + 16][ldb] */
  /* int8 mode only (NULL otherwise): u8 rows and their scales */
  guint8 *xq;                   /* [max_rows][ldq]: layer-0 input */
  float *xs;                    /* [max_rows] */
  guint8 *yq[2];                /* [max_rows][ldq]: y quantized */
  float *ys[2];                 /* [max_rows] */
  guint8 *h0q;                  /* [L][max_streams][ldq] */
  float *h0s;                   /* [L][max_streams] */
} SeqRnnScratch;

/* Column of gate @q of hidden unit @u in the packed order of a cell with @G
 * gates (packed.h). */
static inline gsize
seq_rnn_gate_col (guint u, guint q, guint G)
{
  return (gsize) (u / SEQ_GROUP) * SEQ_GROUP * G + q * SEQ_GROUP +
      u % SEQ_GROUP;
}

/* Packs a PyTorch gate matrix ([G H][K], gate-major rows) as [K][G Hp]
 * with interleaved gates; a [N][K] matrix (a projection) as plain [K][N].
 * FALSE on allocation failure. */
gboolean seq_rnn_pack_gates (SeqPacked * dst, const float *w, guint K,
    guint H, guint G, SeqKDtype dt);
gboolean seq_rnn_pack_plain (SeqPacked * dst, const float *w, guint N,
    guint K, SeqKDtype dt);
/* Frees the layers of @net (packed matrices, biases, the array). */
void seq_rnn_net_clear (SeqRnnNet * net);

/* Allocates @s for @net (zeroed bf16 rows: the columns past the real ones
 * stay 0). FALSE when too large; seq_rnn_scratch_clear frees either way. */
gboolean seq_rnn_scratch_init (SeqRnnScratch * s, const SeqRnnNet * net,
    guint max_streams, guint max_steps);
void seq_rnn_scratch_clear (SeqRnnScratch * s);

/* Where a run finds the state of its B streams at t = 0 and leaves it after
 * the last step: h of stream b in layer l is the row h + (l ls + b) ldo (O
 * columns used), c (LSTM; NULL for the GRU) the row c + (l ls + b) Hp (H
 * used). The scratch's own rows (states gathered from their objects:
 * seq_rnn_scratch_states) have ls = B; the runner's resident slots
 * (seq_rnn_runner_slot_states) have ls = their capacity. */
typedef struct {
  float *h;
  float *c;
  gsize ls;                     /* rows from one layer to the next */
} SeqRnnStates;

/* The scratch's h0 and c rows for a batch of B streams (ls = B). */
static inline SeqRnnStates
seq_rnn_scratch_states (const SeqRnnScratch * s, guint B)
{
  SeqRnnStates st = { s->h0, s->c, B };
  return st;
}

/* Advances B streams by T steps (T * B <= max_rows). @x: [T][B][I] rows of
 * stride @ldx. @out: [T][B] rows of stride @ldout; layer l written at column
 * l * O when @all_layers, else only the last layer at column 0. The rows of
 * @st are read as the state at t = 0 and hold the state after step T - 1 on
 * return. */
void seq_rnn_run_chunk (const SeqKernels * k, SeqPool * pool,
    const SeqRnnNet * net, SeqRnnScratch * s, const SeqRnnStates * st,
    guint B, guint T, const float *x, gsize ldx, float *out, gsize ldout,
    gboolean all_layers);

/* ---- a workspace's engine, shared by every cell ------------------------- */

/* Threads at most per workspace. */
#define SEQ_RNN_MAX_THREADS 256

/* What a cell's workspace owns: the scratch, the thread pool, the kernel
 * set and the resident slots; the cell file adds its model reference.
 *
 * Resident slots hold the h (and c) of streams that live in the workspace
 * between calls (a batcher's members, batcher.h): slot i is row i of every
 * layer of slot_h [L][n_slots][ldo] and slot_c [L][n_slots][Hp], so that a
 * batch of streams in consecutive slots runs on them in place. */
typedef struct {
  guint max_streams;
  guint max_steps;
  guint n_threads;
  const SeqKernels *kernels;
  SeqPool *pool;
  SeqRnnScratch s;
  guint n_slots;                /* capacity, 0 until reserved */
  float *slot_h;
  float *slot_c;                /* LSTM only */
} SeqRnnRunner;

/* @n_threads 0 = all cores (at most SEQ_RNN_MAX_THREADS). FALSE when the
 * scratch would be too large; seq_rnn_runner_clear frees either way. */
gboolean seq_rnn_runner_init (SeqRnnRunner * r, const SeqRnnNet * net,
    guint max_streams, guint max_steps, guint n_threads);
void seq_rnn_runner_clear (SeqRnnRunner * r);
/* FALSE (the runner keeps its kernels) when @isa is not built in or not
 * supported by this CPU. */
gboolean seq_rnn_runner_set_isa (SeqRnnRunner * r, SeqKernelsIsa isa);
/* @n_steps steps of B streams (B <= max_streams) in chunks of at most
 * max_rows rows: @x [n_steps][B][I], @out [n_steps][B][width]; the state
 * at t = 0 is in the rows of @st (the scratch's or the slots') and is the
 * state after the last step on return. */
void seq_rnn_runner_forward (SeqRnnRunner * r, const SeqRnnNet * net,
    const SeqRnnStates * st, guint B, const float *x, guint n_steps,
    float *out, guint width, gboolean all_layers);

/* Grows the resident slots to at least @n_slots (zeroed; the slots held
 * keep their values). Not while a forward runs on @r. FALSE (the slots
 * unchanged) when too large. */
gboolean seq_rnn_runner_reserve_slots (SeqRnnRunner * r,
    const SeqRnnNet * net, guint n_slots);

/* The resident rows from slot @first on (ls = the capacity). */
static inline SeqRnnStates
seq_rnn_runner_slot_states (const SeqRnnRunner * r, const SeqRnnNet * net,
    guint first)
{
  SeqRnnStates st = { r->slot_h + (gsize) first * net->ldo,
    r->slot_c != NULL ? r->slot_c + (gsize) first * net->Hp : NULL,
    r->n_slots
  };
  return st;
}

G_END_DECLS
