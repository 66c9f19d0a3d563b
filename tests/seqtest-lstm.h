/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — helpers of the LSTM test programs (test_lstm.c,
 * test_lstm_int8.c): a fixture tensor as f32, seeded uniform inputs, and a
 * run of fresh streams in calls of a given length. */
#pragma once

#include "seqtest.h"

#include <seqenc/seqenc.h>

static inline float *
tensor_f32 (SeqWeights * w, const char *name, gsize * n)
{
  const SeqTensorInfo *t = seq_weights_find (w, name);
  GError *err = NULL;
  float *buf;

  CU_ASSERT_PTR_NOT_NULL_FATAL (t);
  buf = g_new (float, t->n_elements);
  CU_ASSERT_TRUE_FATAL (seq_tensor_to_f32 (t, buf, t->n_elements, &err));
  if (n)
    *n = t->n_elements;
  return buf;
}

static inline void
random_fill (float *x, gsize n, guint64 seed, float scale)
{
  SeqRng r;
  seq_rng_init (&r, seed);
  for (gsize i = 0; i < n; i++)
    x[i] = seq_rng_uniform (&r, -scale, scale);
}

/* Runs @T steps of B streams (fresh states) in calls of @split steps (0 =
 * all at once); returns the output, states freed. */
static inline float *
run_split (SeqLstmModel * m, guint B, guint T, const float *x, guint split,
    guint n_threads, guint max_steps, SeqLstmKernels kern, SeqLstmOutput mode)
{
  guint I = seq_lstm_model_input_size (m);
  guint W = seq_lstm_model_output_width (m, mode);
  SeqLstmWorkspace *ws = seq_lstm_workspace_new (m, B, max_steps, n_threads);
  SeqLstmState **st = g_new0 (SeqLstmState *, B);
  float *y = g_new0 (float, (gsize) T * B * W);

  CU_ASSERT_PTR_NOT_NULL_FATAL (ws);
  CU_ASSERT_TRUE_FATAL (seq_lstm_workspace_set_kernels (ws, kern, NULL));
  for (guint b = 0; b < B; b++)
    st[b] = seq_lstm_state_new (m);
  if (split == 0)
    split = T;
  for (guint t = 0; t < T; t += split) {
    guint n = MIN (split, T - t);
    seq_lstm_forward (m, st, B, x + (gsize) t * B * I, n,
        y + (gsize) t * B * W, mode, ws);
  }
  for (guint b = 0; b < B; b++)
    seq_lstm_state_free (st[b]);
  g_free (st);
  seq_lstm_workspace_free (ws);
  return y;
}
