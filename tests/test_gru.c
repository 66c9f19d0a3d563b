/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — stacked GRU: parity with PyTorch nn.GRU (fixtures from
 * tests/gen_gru_fixtures.py), bitwise invariances (T chunking, threads,
 * batch composition, kernel sets), the batcher, state reset/save/restore,
 * bad weights. */
#include "seqtest.h"

#include <seqenc/seqenc.h>
#include <math.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

/* Max abs error vs PyTorch f32 nn.GRU (ARCHITECTURE.md invariant 3): one
 * fmaf chain per output and the Cephes-style exp of the LSTM kernels
 * against torch's BLAS and libm. Measured 1.3e-7 (printed below). */
#define GRU_PARITY_TOL 1e-5
/* bf16 matmul vs its PyTorch reference (same bf16 operands, exact sums):
 * the f32 summation order and, rarely, an h landing on the other side of a
 * bf16 rounding boundary (then one operand moves by 2^-9 of itself).
 * Measured 1.85e-5 on the all_layers fixture on every kernel set, 6e-6 on
 * deep_3l, ~1e-7 elsewhere; the LSTM's bound (tests/test_lstm.c). */
#define GRU_BF16MM_TOL 3e-5
/* AVX512-BF16 / AMX vs the scalar bf16-matmul reference over 30 steps:
 * summation inside each bf16 pair (VDPBF16PS) or tile; as the LSTM's. */
#define GRU_BF16MM_KERNELS_TOL 2e-4

static const SeqLstmKernels all_kernels[] = {
  SEQ_LSTM_KERNELS_SCALAR, SEQ_LSTM_KERNELS_AVX2, SEQ_LSTM_KERNELS_AVX512,
  SEQ_LSTM_KERNELS_AMX, SEQ_LSTM_KERNELS_AVX512_BF16,
};

static const char *const fixtures[] = {
  "gru_basic.safetensors", "gru_nobias_2l.safetensors",
  "gru_deep_3l.safetensors", "gru_all_layers.safetensors",
  "gru_two_calls.safetensors",
};

/* ---- helpers ------------------------------------------------------------ */

static float *
tensor_f32 (SeqWeights * w, const char *name)
{
  const SeqTensorInfo *t = seq_weights_find (w, name);
  float *buf;

  CU_ASSERT_PTR_NOT_NULL_FATAL (t);
  buf = g_new (float, t->n_elements);
  CU_ASSERT_TRUE_FATAL (seq_tensor_to_f32 (t, buf, t->n_elements, NULL));
  return buf;
}

static void
random_fill (float *x, gsize n, guint64 seed, float scale)
{
  SeqRng r;
  seq_rng_init (&r, seed);
  for (gsize i = 0; i < n; i++)
    x[i] = seq_rng_uniform (&r, -scale, scale);
}

static SeqGruModelParams
bf16mm_params (gboolean bf16mm)
{
  SeqGruModelParams mp = seq_gru_model_params_default ();

  if (bf16mm)
    mp.matmul_precision = SEQ_MATMUL_BF16;
  return mp;
}

static SeqGruModel *
random_model (guint I, guint H, guint L, gboolean bias, guint64 seed,
    SeqPrecision wp, gboolean bf16mm)
{
  SeqGruRandomParams p = seq_gru_random_params_default ();
  SeqGruModelParams mp = bf16mm_params (bf16mm);
  SeqGruModel *m;

  mp.weights_precision = wp;
  p.input_size = I;
  p.hidden_size = H;
  p.num_layers = L;
  p.bias = bias;
  p.seed = seed;
  m = seq_gru_model_new_random (&p, &mp, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (m);
  return m;
}

static gboolean
kernels_available (SeqGruModel * m, SeqLstmKernels k)
{
  SeqGruWorkspace *ws = seq_gru_workspace_new (m, 1, 1, 1);
  gboolean ok = seq_gru_workspace_set_kernels (ws, k, NULL);
  seq_gru_workspace_free (ws);
  return ok;
}

/* T steps of B fresh streams in calls of @split steps (0 = all at once) */
static float *
run_split (SeqGruModel * m, guint B, guint T, const float *x, guint split,
    guint n_threads, guint max_steps, SeqLstmKernels kern,
    SeqRecurrentOutput mode)
{
  guint I = seq_gru_model_input_size (m);
  guint W = seq_gru_model_output_width (m, mode);
  SeqGruWorkspace *ws = seq_gru_workspace_new (m, B, max_steps, n_threads);
  SeqGruState **st = g_new0 (SeqGruState *, B);
  float *y = g_new0 (float, (gsize) T * B * W);

  CU_ASSERT_PTR_NOT_NULL_FATAL (ws);
  CU_ASSERT_TRUE_FATAL (seq_gru_workspace_set_kernels (ws, kern, NULL));
  for (guint b = 0; b < B; b++)
    st[b] = seq_gru_state_new (m);
  if (split == 0)
    split = T;
  for (guint t = 0; t < T; t += split) {
    guint n = MIN (split, T - t);
    seq_gru_forward (m, st, B, x + (gsize) t * B * I, n,
        y + (gsize) t * B * W, mode, ws);
  }
  for (guint b = 0; b < B; b++)
    seq_gru_state_free (st[b]);
  g_free (st);
  seq_gru_workspace_free (ws);
  return y;
}

/* ---- parity with PyTorch ------------------------------------------------ */

static double
check_fixture_with (const char *file, SeqLstmKernels kern, gboolean bf16mm)
{
  gchar *path = seq_test_data_path (file);
  SeqWeights *w = seq_weights_open (path, NULL);
  SeqGruModelParams mp = bf16mm_params (bf16mm);
  GError *err = NULL;
  SeqGruModel *m;
  SeqGruWorkspace *ws;
  SeqGruState **st;
  const SeqTensorInfo *ti;
  float *x, *h0, *ref, *hn, *y, *tmp;
  guint T, B, I, L, H, W, t1;
  SeqRecurrentOutput mode;
  double maxd, d;

  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  /* prefix auto-detected ("gru.", "encoder.rnn." and "") */
  m = seq_gru_model_new_from_weights (w, &mp, &err);
  if (m == NULL)
    fprintf (stderr, "%s: %s\n", file, err->message);
  CU_ASSERT_PTR_NOT_NULL_FATAL (m);
  ti = seq_weights_find (w, "test.input");
  CU_ASSERT_PTR_NOT_NULL_FATAL (ti);
  T = (guint) ti->shape[0];
  B = (guint) ti->shape[1];
  I = (guint) ti->shape[2];
  L = seq_gru_model_num_layers (m);
  H = seq_gru_model_hidden_size (m);
  CU_ASSERT_EQUAL (I, seq_gru_model_input_size (m));
  t1 = (guint) atoi (seq_weights_get_metadata (w, "t1"));
  mode = g_str_equal (seq_weights_get_metadata (w, "all_layers"), "1") ?
      SEQ_RECURRENT_OUTPUT_ALL_LAYERS : SEQ_RECURRENT_OUTPUT_LAST_LAYER;
  W = seq_gru_model_output_width (m, mode);

  x = tensor_f32 (w, "test.input");
  h0 = tensor_f32 (w, "test.h0");
  ref = tensor_f32 (w, "test.output");
  hn = tensor_f32 (w, "test.h_n");
  y = g_new0 (float, (gsize) T * B * W);
  tmp = g_new0 (float, H);

  ws = seq_gru_workspace_new (m, B, T, 2);
  CU_ASSERT_TRUE_FATAL (seq_gru_workspace_set_kernels (ws, kern, NULL));
  st = g_new0 (SeqGruState *, B);
  for (guint b = 0; b < B; b++) {
    st[b] = seq_gru_state_new (m);
    for (guint l = 0; l < L; l++)
      seq_gru_state_set (st[b], l, h0 + ((gsize) l * B + b) * H);
  }
  if (t1 > 0) {
    seq_gru_forward (m, st, B, x, t1, y, mode, ws);
    seq_gru_forward (m, st, B, x + (gsize) t1 * B * I, T - t1,
        y + (gsize) t1 * B * W, mode, ws);
  } else {
    seq_gru_forward (m, st, B, x, T, y, mode, ws);
  }
  CU_ASSERT_EQUAL (seq_gru_state_get_steps (st[0]), T);

  maxd = seq_test_max_abs_diff (y, ref, (gsize) T * B * W);
  for (guint b = 0; b < B; b++)
    for (guint l = 0; l < L; l++) {
      seq_gru_state_get (st[b], l, tmp);
      d = seq_test_max_abs_diff (tmp, hn + ((gsize) l * B + b) * H, H);
      maxd = isnan (d) || d > maxd ? d : maxd;
    }

  for (guint b = 0; b < B; b++)
    seq_gru_state_free (st[b]);
  g_free (st);
  seq_gru_workspace_free (ws);
  g_free (x);
  g_free (h0);
  g_free (ref);
  g_free (hn);
  g_free (y);
  g_free (tmp);
  seq_gru_model_unref (m);
  seq_weights_unref (w);
  g_free (path);
  return maxd;
}

static void
check_fixture_all_kernels (const char *file, gboolean bf16mm, double tol)
{
  SeqGruModel *probe = random_model (4, 4, 1, TRUE, 0,
      SEQ_PRECISION_F32, FALSE);

  for (guint k = 0; k < G_N_ELEMENTS (all_kernels); k++) {
    double d;
    if (!kernels_available (probe, all_kernels[k]))
      continue;
    d = check_fixture_with (file, all_kernels[k], bf16mm);
    printf ("  %s kernels %d: max|err| vs PyTorch%s = %.3g\n", file,
        all_kernels[k], bf16mm ? " (bf16 matmul reference)" : "", d);
    CU_ASSERT (d <= tol);
  }
  seq_gru_model_unref (probe);
}

static void
test_matches_pytorch (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixtures); i++)
    check_fixture_all_kernels (fixtures[i], FALSE, GRU_PARITY_TOL);
}

static void
test_bf16_matmul_matches_pytorch_reference (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixtures); i++) {
    gchar *f = g_strdup (fixtures[i]);
    gchar *bf = g_strdup_printf ("%.*s_bf16mm.safetensors",
        (int) (strlen (f) - strlen (".safetensors")), f);
    check_fixture_all_kernels (bf, TRUE, GRU_BF16MM_TOL);
    g_free (bf);
    g_free (f);
  }
}

/* ---- invariances -------------------------------------------------------- */

static void
test_output_bitwise_invariant_to_time_chunking (void)
{
  /* odd sizes: H not a multiple of 16, three layers */
  SeqGruModel *m = random_model (11, 37, 3, TRUE, 5, SEQ_PRECISION_F32,
      FALSE);
  const guint B = 3, T = 23;
  float *x = g_new (float, (gsize) T * B * 11);
  float *ref;
  guint splits[] = { 1, 2, 5, 7, 22 };

  random_fill (x, (gsize) T * B * 11, 3, 1.5f);
  ref = run_split (m, B, T, x, 0, 2, T, SEQ_LSTM_KERNELS_AUTO,
      SEQ_RECURRENT_OUTPUT_ALL_LAYERS);
  for (guint i = 0; i < G_N_ELEMENTS (splits); i++) {
    /* max_steps 4: long calls are split inside the library too */
    float *y = run_split (m, B, T, x, splits[i], 2, 4,
        SEQ_LSTM_KERNELS_AUTO, SEQ_RECURRENT_OUTPUT_ALL_LAYERS);
    CU_ASSERT (memcmp (y, ref, (gsize) T * B * 3 * 37 * 4) == 0);
    g_free (y);
  }
  g_free (ref);
  g_free (x);
  seq_gru_model_unref (m);
}

static void
test_output_bitwise_invariant_to_thread_count (void)
{
  SeqGruModel *m = random_model (20, 100, 2, TRUE, 9, SEQ_PRECISION_F32,
      FALSE);
  const guint B = 9, T = 6;
  float *x = g_new (float, (gsize) T * B * 20);
  float *ref;

  random_fill (x, (gsize) T * B * 20, 4, 1.0f);
  ref = run_split (m, B, T, x, 0, 1, T, SEQ_LSTM_KERNELS_AUTO,
      SEQ_RECURRENT_OUTPUT_LAST_LAYER);
  for (guint n = 2; n <= 5; n++) {
    float *y = run_split (m, B, T, x, 0, n, T, SEQ_LSTM_KERNELS_AUTO,
        SEQ_RECURRENT_OUTPUT_LAST_LAYER);
    CU_ASSERT (memcmp (y, ref, (gsize) T * B * 100 * 4) == 0);
    g_free (y);
  }
  g_free (ref);
  g_free (x);
  seq_gru_model_unref (m);
}

/* stream 0 alone, then with B - 1 others: the same bits (f32 and bf16
 * matmul) */
static void
check_alone_and_batched (gboolean bf16mm)
{
  SeqGruModel *m = random_model (24, 50, 2, TRUE, 2, SEQ_PRECISION_F32,
      bf16mm);
  const guint B = 19, T = 5, I = 24, H = 50;
  float *xb = g_new (float, (gsize) T * B * I);
  float *x1 = g_new (float, (gsize) T * I);
  float *y1, *yb;

  random_fill (xb, (gsize) T * B * I, 8, 2.0f);
  for (guint t = 0; t < T; t++)
    memcpy (x1 + (gsize) t * I, xb + (gsize) t * B * I, I * sizeof (float));
  y1 = run_split (m, 1, T, x1, 0, 2, T, SEQ_LSTM_KERNELS_AUTO,
      SEQ_RECURRENT_OUTPUT_LAST_LAYER);
  yb = run_split (m, B, T, xb, 0, 2, T, SEQ_LSTM_KERNELS_AUTO,
      SEQ_RECURRENT_OUTPUT_LAST_LAYER);
  for (guint t = 0; t < T; t++)
    CU_ASSERT (memcmp (y1 + (gsize) t * H, yb + (gsize) t * B * H,
            H * sizeof (float)) == 0);
  g_free (y1);
  g_free (yb);
  g_free (x1);
  g_free (xb);
  seq_gru_model_unref (m);
}

static void
test_stream_output_same_alone_and_batched (void)
{
  check_alone_and_batched (FALSE);
  check_alone_and_batched (TRUE);
}

/* every SIMD kernel set gives the scalar reference's bits (f32 matmul, any
 * weight storage), with one stream (GEMV path) and many (GEMM path) */
static void
test_simd_kernels_bitwise_equal_scalar_reference (void)
{
  const SeqPrecision precs[] = { SEQ_PRECISION_F32,
    SEQ_PRECISION_BF16, SEQ_PRECISION_F16
  };
  const guint Bs[] = { 1, 2, 14 };

  for (guint pi = 0; pi < G_N_ELEMENTS (precs); pi++) {
    SeqGruModel *m = random_model (19, 70, 2, TRUE, pi, precs[pi], FALSE);
    for (guint bi = 0; bi < G_N_ELEMENTS (Bs); bi++) {
      const guint B = Bs[bi], T = 4;
      float *x = g_new (float, (gsize) T * B * 19);
      float *ref;
      random_fill (x, (gsize) T * B * 19, 10 + B, 1.5f);
      ref = run_split (m, B, T, x, 2, 2, T, SEQ_LSTM_KERNELS_SCALAR,
          SEQ_RECURRENT_OUTPUT_ALL_LAYERS);
      for (guint k = 1; k < G_N_ELEMENTS (all_kernels); k++) {
        float *y;
        if (!kernels_available (m, all_kernels[k]))
          continue;
        y = run_split (m, B, T, x, 2, 2, T, all_kernels[k],
            SEQ_RECURRENT_OUTPUT_ALL_LAYERS);
        CU_ASSERT (memcmp (y, ref, (gsize) T * B * 2 * 70 * 4) == 0);
        g_free (y);
      }
      g_free (ref);
      g_free (x);
    }
    seq_gru_model_unref (m);
  }
}

static void
test_bf16_matmul_kernels_close_to_scalar_reference (void)
{
  SeqGruModel *m = random_model (40, 45, 2, TRUE, 3, SEQ_PRECISION_F32,
      TRUE);
  const SeqLstmKernels fast[] = { SEQ_LSTM_KERNELS_AMX,
    SEQ_LSTM_KERNELS_AVX512_BF16
  };
  const guint B = 19, T = 30;
  float *x = g_new (float, (gsize) T * B * 40);
  float *ref;

  random_fill (x, (gsize) T * B * 40, 12, 2.0f);
  ref = run_split (m, B, T, x, 0, 2, T, SEQ_LSTM_KERNELS_SCALAR,
      SEQ_RECURRENT_OUTPUT_LAST_LAYER);
  for (guint k = 0; k < G_N_ELEMENTS (fast); k++) {
    float *y, *y1;
    double d;
    if (!kernels_available (m, fast[k]))
      continue;
    y = run_split (m, B, T, x, 0, 2, T, fast[k],
        SEQ_RECURRENT_OUTPUT_LAST_LAYER);
    d = seq_test_max_abs_diff (y, ref, (gsize) T * B * 45);
    printf ("  bf16 matmul kernels %d vs scalar reference: %.3g\n", fast[k],
        d);
    CU_ASSERT (d <= GRU_BF16MM_KERNELS_TOL);
    /* bitwise reproducible within the set: other split, other threads */
    y1 = run_split (m, B, T, x, 7, 3, T, fast[k],
        SEQ_RECURRENT_OUTPUT_LAST_LAYER);
    CU_ASSERT (memcmp (y, y1, (gsize) T * B * 45 * 4) == 0);
    g_free (y1);
    g_free (y);
  }
  g_free (ref);
  g_free (x);
  seq_gru_model_unref (m);
}

static void
test_nan_input_gives_nan_output (void)
{
  SeqGruModel *m = random_model (3, 5, 1, TRUE, 1, SEQ_PRECISION_F32,
      FALSE);
  float x[6] = { 0.1f, NAN, 0.3f, 0.1f, 0.2f, 0.3f }, y[10];
  float *out = run_split (m, 1, 2, x, 0, 1, 2, SEQ_LSTM_KERNELS_AUTO,
      SEQ_RECURRENT_OUTPUT_LAST_LAYER);

  memcpy (y, out, sizeof (y));
  for (guint i = 0; i < 10; i++)
    CU_ASSERT (isnan (y[i]));
  g_free (out);
  seq_gru_model_unref (m);
}

/* ---- the batcher -------------------------------------------------------- */

typedef struct {
  SeqBatcher *b;
  SeqGruModel *m;
  const float *x;
  float *y;
  guint T;
} Streamer;

static gpointer
streamer (gpointer data)
{
  Streamer *s = data;
  SeqGruState *st = seq_gru_state_new (s->m);
  SeqBatcherStream *bs = seq_batcher_join (s->b, st);
  guint I = seq_gru_model_input_size (s->m), H = seq_gru_model_hidden_size
      (s->m);

  /* uneven calls: 1, 2, 3, ... frames */
  for (guint t = 0, n = 1; t < s->T; t += n, n++) {
    n = MIN (n, s->T - t);
    CU_ASSERT (seq_batcher_forward (bs, s->x + (gsize) t * I, n,
            s->y + (gsize) t * H, NULL));
  }
  seq_batcher_leave (bs);
  seq_gru_state_free (st);
  return NULL;
}

static void
test_batcher_output_equals_alone (void)
{
  SeqGruModel *m = random_model (12, 40, 2, TRUE, 21, SEQ_PRECISION_F32,
      FALSE);
  SeqBatcherParams bp = seq_batcher_params_default ();
  const guint N = 5, T = 17, I = 12, H = 40;
  Streamer s[5];
  GThread *th[5];
  SeqBatcher *b;

  bp.max_batch = 3;
  bp.max_delay_us = 1000;
  bp.max_steps = 4;
  bp.n_threads = 2;
  b = seq_batcher_new (seq_gru_recurrent (), m, &bp, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (b);
  CU_ASSERT_EQUAL (seq_batcher_get_output_width (b), H);
  for (guint i = 0; i < N; i++) {
    float *x = g_new (float, (gsize) T * I);
    random_fill (x, (gsize) T * I, 100 + i, 1.0f);
    s[i] = (Streamer) { b, m, x, g_new0 (float, (gsize) T * H), T};
    th[i] = g_thread_new ("gru-stream", streamer, &s[i]);
  }
  for (guint i = 0; i < N; i++) {
    float *alone;
    g_thread_join (th[i]);
    alone = run_split (m, 1, T, s[i].x, 0, 1, T, SEQ_LSTM_KERNELS_AUTO,
        SEQ_RECURRENT_OUTPUT_LAST_LAYER);
    CU_ASSERT (memcmp (alone, s[i].y, (gsize) T * H * 4) == 0);
    g_free (alone);
    g_free ((float *) s[i].x);
    g_free (s[i].y);
  }
  seq_batcher_unref (b);
  seq_gru_model_unref (m);
}

/* ---- state -------------------------------------------------------------- */

static void
test_state_reset_restores_t0 (void)
{
  SeqGruModel *m = random_model (6, 18, 2, TRUE, 4, SEQ_PRECISION_F32,
      FALSE);
  SeqGruWorkspace *ws = seq_gru_workspace_new (m, 1, 8, 1);
  SeqGruState *st = seq_gru_state_new (m);
  float x[8 * 6], y0[8 * 18], y1[8 * 18];

  random_fill (x, G_N_ELEMENTS (x), 6, 1.0f);
  seq_gru_forward (m, &st, 1, x, 8, y0, SEQ_RECURRENT_OUTPUT_LAST_LAYER, ws);
  seq_gru_state_reset (st);
  CU_ASSERT_EQUAL (seq_gru_state_get_steps (st), 0);
  seq_gru_forward (m, &st, 1, x, 8, y1, SEQ_RECURRENT_OUTPUT_LAST_LAYER, ws);
  CU_ASSERT (memcmp (y0, y1, sizeof (y0)) == 0);
  seq_gru_state_free (st);
  seq_gru_workspace_free (ws);
  seq_gru_model_unref (m);
}

static void
test_state_save_restore_continues_bitwise (void)
{
  SeqGruModel *m = random_model (7, 21, 2, TRUE, 8, SEQ_PRECISION_F32,
      FALSE);
  SeqGruModel *other = random_model (7, 21, 2, TRUE, 9,
      SEQ_PRECISION_F32, FALSE);
  SeqGruWorkspace *ws = seq_gru_workspace_new (m, 1, 16, 1);
  SeqGruState *a = seq_gru_state_new (m), *b = seq_gru_state_new (m);
  SeqGruState *o = seq_gru_state_new (other);
  float x[16 * 7], ya[16 * 21], yb[8 * 21];
  GBytes *blob, *bad;
  GError *err = NULL;
  guint8 *raw;
  gsize n;

  random_fill (x, G_N_ELEMENTS (x), 7, 1.0f);
  seq_gru_forward (m, &a, 1, x, 16, ya, SEQ_RECURRENT_OUTPUT_LAST_LAYER, ws);
  seq_gru_state_reset (a);
  seq_gru_forward (m, &a, 1, x, 8, yb, SEQ_RECURRENT_OUTPUT_LAST_LAYER, ws);
  blob = seq_gru_state_save (a);
  CU_ASSERT_TRUE (seq_gru_state_restore (b, blob, &err));
  CU_ASSERT_EQUAL (seq_gru_state_get_steps (b), 8);
  seq_gru_forward (m, &b, 1, x + 8 * 7, 8, yb,
      SEQ_RECURRENT_OUTPUT_LAST_LAYER, ws);
  CU_ASSERT (memcmp (yb, ya + 8 * 21, sizeof (yb)) == 0);

  /* another model's state, a corrupted byte, a truncated blob: refused */
  CU_ASSERT_FALSE (seq_gru_state_restore (o, blob, &err));
  CU_ASSERT (g_error_matches (err, SEQ_GRU_ERROR, SEQ_GRU_ERROR_STATE));
  g_clear_error (&err);
  {
    gconstpointer data = g_bytes_get_data (blob, &n);
    raw = g_memdup2 (data, n);
  }
  raw[70] ^= 1;
  bad = g_bytes_new_take (raw, n);
  CU_ASSERT_FALSE (seq_gru_state_restore (b, bad, &err));
  CU_ASSERT (g_error_matches (err, SEQ_GRU_ERROR, SEQ_GRU_ERROR_STATE));
  g_clear_error (&err);
  g_bytes_unref (bad);
  bad = g_bytes_new_from_bytes (blob, 0, n - 5);
  CU_ASSERT_FALSE (seq_gru_state_restore (b, bad, &err));
  g_clear_error (&err);
  g_bytes_unref (bad);

  g_bytes_unref (blob);
  seq_gru_state_free (a);
  seq_gru_state_free (b);
  seq_gru_state_free (o);
  seq_gru_workspace_free (ws);
  seq_gru_model_unref (m);
  seq_gru_model_unref (other);
}

static void
test_f16_weights_with_bf16_matmul_refused (void)
{
  SeqGruRandomParams p = seq_gru_random_params_default ();
  SeqGruModelParams mp = bf16mm_params (TRUE);
  GError *err = NULL;

  mp.weights_precision = SEQ_PRECISION_F16;
  CU_ASSERT_PTR_NULL (seq_gru_model_new_random (&p, &mp, &err));
  CU_ASSERT (g_error_matches (err, SEQ_GRU_ERROR, SEQ_GRU_ERROR_CONFIG));
  g_clear_error (&err);
  p = seq_gru_random_params_default ();
  p.hidden_size = 0;
  CU_ASSERT_PTR_NULL (seq_gru_model_new_random (&p, NULL, &err));
  CU_ASSERT (g_error_matches (err, SEQ_GRU_ERROR, SEQ_GRU_ERROR_CONFIG));
  g_clear_error (&err);
}

/* ---- bad weight files (built in memory) --------------------------------- */

typedef struct {
  const char *name;
  gint64 d0, d1;                /* d1 = 0: rank 1 */
} FakeTensor;

static SeqWeights *
fake_weights (const FakeTensor * t, guint n)
{
  GString *h = g_string_new ("{");
  gsize off = 0;
  GByteArray *b = g_byte_array_new ();
  guint64 le;
  SeqWeights *w;
  guint8 *z;

  for (guint i = 0; i < n; i++) {
    gsize cnt = (gsize) t[i].d0 * (t[i].d1 ? t[i].d1 : 1);
    g_string_append_printf (h, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%"
        G_GINT64_FORMAT, i ? "," : "", t[i].name, t[i].d0);
    if (t[i].d1)
      g_string_append_printf (h, ",%" G_GINT64_FORMAT, t[i].d1);
    g_string_append_printf (h, "],\"data_offsets\":[%" G_GSIZE_FORMAT ",%"
        G_GSIZE_FORMAT "]}", off, off + cnt * 4);
    off += cnt * 4;
  }
  g_string_append_c (h, '}');
  le = GUINT64_TO_LE ((guint64) h->len);
  g_byte_array_append (b, (const guint8 *) &le, 8);
  g_byte_array_append (b, (const guint8 *) h->str, h->len);
  z = g_malloc0 (off + 1);
  g_byte_array_append (b, z, off);
  g_free (z);
  g_string_free (h, TRUE);
  w = seq_weights_new_from_bytes (g_byte_array_free_to_bytes (b), NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  return w;
}

static void
expect_load_fails (const FakeTensor * t, guint n, gint code,
    const char *must_contain)
{
  SeqWeights *w = fake_weights (t, n);
  GError *err = NULL;
  SeqGruModel *m = seq_gru_model_new_from_weights (w, NULL, &err);

  CU_ASSERT_PTR_NULL (m);
  CU_ASSERT (g_error_matches (err, SEQ_GRU_ERROR, code));
  if (err != NULL && strstr (err->message, must_contain) == NULL)
    fprintf (stderr, "error \"%s\" lacks \"%s\"\n", err->message,
        must_contain);
  CU_ASSERT (err != NULL && strstr (err->message, must_contain) != NULL);
  g_clear_error (&err);
  seq_gru_model_unref (m);
  seq_weights_unref (w);
}

static void
test_good_fake_weights_load (void)
{
  FakeTensor t[] = {
    {"rnn.weight_ih_l0", 24, 5}, {"rnn.weight_hh_l0", 24, 8},
    {"rnn.bias_ih_l0", 24, 0}, {"rnn.bias_hh_l0", 24, 0},
    {"rnn.weight_ih_l1", 24, 8}, {"rnn.weight_hh_l1", 24, 8},
    {"rnn.bias_ih_l1", 24, 0}, {"rnn.bias_hh_l1", 24, 0},
    {"head.weight", 3, 8},
  };
  SeqWeights *w = fake_weights (t, G_N_ELEMENTS (t));
  SeqGruModelParams mp = seq_gru_model_params_default ();
  GError *err = NULL;
  SeqGruModel *m = seq_gru_model_new_from_weights (w, NULL, &err);

  CU_ASSERT_PTR_NOT_NULL_FATAL (m);
  CU_ASSERT_EQUAL (seq_gru_model_input_size (m), 5);
  CU_ASSERT_EQUAL (seq_gru_model_hidden_size (m), 8);
  CU_ASSERT_EQUAL (seq_gru_model_num_layers (m), 2);
  CU_ASSERT_TRUE (seq_gru_model_has_bias (m));
  seq_gru_model_unref (m);
  mp.prefix = "gru.";
  m = seq_gru_model_new_from_weights (w, &mp, &err);
  CU_ASSERT_PTR_NULL (m);
  CU_ASSERT (err != NULL && strstr (err->message, "gru.weight_ih_l0"));
  g_clear_error (&err);
  seq_weights_unref (w);
}

static void
test_bad_weights_give_errors (void)
{
  FakeTensor lstm[] = {
    {"weight_ih_l0", 32, 5}, {"weight_hh_l0", 32, 8},
  };
  FakeTensor bad_ih[] = {
    {"weight_ih_l0", 21, 5}, {"weight_hh_l0", 24, 8},
  };
  FakeTensor missing_hh[] = {
    {"weight_ih_l0", 24, 5},
  };
  FakeTensor half_bias[] = {
    {"weight_ih_l0", 24, 5}, {"weight_hh_l0", 24, 8}, {"bias_ih_l0", 24, 0},
  };
  FakeTensor bias_later[] = {
    {"weight_ih_l0", 24, 5}, {"weight_hh_l0", 24, 8},
    {"weight_ih_l1", 24, 8}, {"weight_hh_l1", 24, 8}, {"bias_hh_l1", 24, 0},
  };
  FakeTensor bidir[] = {
    {"weight_ih_l0", 24, 5}, {"weight_hh_l0", 24, 8},
    {"weight_ih_l0_reverse", 24, 5}, {"weight_hh_l0_reverse", 24, 8},
  };
  FakeTensor gap[] = {
    {"weight_ih_l0", 24, 5}, {"weight_hh_l0", 24, 8},
    {"weight_hh_l2", 24, 8},
  };
  FakeTensor two[] = {
    {"a.weight_ih_l0", 24, 5}, {"a.weight_hh_l0", 24, 8},
    {"b.weight_ih_l0", 24, 5}, {"b.weight_hh_l0", 24, 8},
  };
  FakeTensor wrong_l1[] = {
    {"weight_ih_l0", 24, 5}, {"weight_hh_l0", 24, 8},
    {"weight_ih_l1", 24, 5}, {"weight_hh_l1", 24, 8},
  };

  expect_load_fails (lstm, G_N_ELEMENTS (lstm), SEQ_GRU_ERROR_WEIGHTS,
      "LSTM weights?");
  expect_load_fails (bad_ih, G_N_ELEMENTS (bad_ih), SEQ_GRU_ERROR_WEIGHTS,
      "weight_ih_l0");
  expect_load_fails (missing_hh, G_N_ELEMENTS (missing_hh),
      SEQ_GRU_ERROR_WEIGHTS, "weight_hh_l0\" is missing");
  expect_load_fails (half_bias, G_N_ELEMENTS (half_bias),
      SEQ_GRU_ERROR_WEIGHTS, "bias_hh_l0\" is missing");
  expect_load_fails (bias_later, G_N_ELEMENTS (bias_later),
      SEQ_GRU_ERROR_WEIGHTS, "both directions");
  expect_load_fails (bidir, G_N_ELEMENTS (bidir), SEQ_GRU_ERROR_UNSUPPORTED,
      "bidirectional");
  expect_load_fails (gap, G_N_ELEMENTS (gap), SEQ_GRU_ERROR_WEIGHTS,
      "belongs to layer 2");
  expect_load_fails (two, G_N_ELEMENTS (two), SEQ_GRU_ERROR_WEIGHTS,
      "ambiguous");
  expect_load_fails (wrong_l1, G_N_ELEMENTS (wrong_l1),
      SEQ_GRU_ERROR_WEIGHTS, "weight_ih_l1\" has shape [24, 5]");
}

static void
test_missing_file_gives_error (void)
{
  GError *err = NULL;

  CU_ASSERT_PTR_NULL (seq_gru_model_new_from_file ("/nonexistent/gru.st",
          NULL, &err));
  CU_ASSERT_PTR_NOT_NULL (err);
  g_clear_error (&err);
}

int
main (void)
{
  static const SeqTestCase cases[] = {
    {"gru_matches_pytorch_odd_shapes_no_bias_prefixes_all_layers",
        test_matches_pytorch},
    {"gru_bf16_matmul_matches_pytorch_reference",
        test_bf16_matmul_matches_pytorch_reference},
    {"gru_output_bitwise_invariant_to_time_chunking",
        test_output_bitwise_invariant_to_time_chunking},
    {"gru_output_bitwise_invariant_to_thread_count",
        test_output_bitwise_invariant_to_thread_count},
    {"gru_stream_output_same_alone_and_batched",
        test_stream_output_same_alone_and_batched},
    {"gru_simd_kernels_bitwise_equal_scalar_reference",
        test_simd_kernels_bitwise_equal_scalar_reference},
    {"gru_bf16_matmul_kernels_close_to_scalar_reference",
        test_bf16_matmul_kernels_close_to_scalar_reference},
    {"gru_nan_input_gives_nan_output", test_nan_input_gives_nan_output},
    {"gru_batcher_output_equals_running_alone",
        test_batcher_output_equals_alone},
    {"gru_state_reset_restores_t0", test_state_reset_restores_t0},
    {"gru_state_save_restore_continues_bitwise",
        test_state_save_restore_continues_bitwise},
    {"gru_f16_weights_with_bf16_matmul_and_absurd_sizes_refused",
        test_f16_weights_with_bf16_matmul_refused},
    {"gru_good_weights_load_with_auto_prefix", test_good_fake_weights_load},
    {"gru_bad_weights_give_errors", test_bad_weights_give_errors},
    {"gru_missing_file_gives_error", test_missing_file_gives_error},
    {NULL, NULL}
  };
  return seq_test_run ("gru", cases);
}
