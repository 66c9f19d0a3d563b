/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc benchmark — frames/s of the library's LSTM path (seq_lstm_forward,
 * what seqlstm runs) or, with --cell gru, its GRU path (seq_gru_forward,
 * what seqgru runs) on a weight file, for the points of issue 6:
 *   b1_t1    1 stream, one frame per call, state fed back (live stepping)
 *   b1_t100  1 stream, 100 frames per call
 *   b64_t1   64 streams, one frame each per call (one batched step)
 *   b256_t1  256 streams, one frame each per call
 * Prints one JSON object per point on stdout (run_lstm_bench.sh collects them
 * next to PyTorch and ONNX Runtime measured in the same run).
 *
 * usage: bench_lstm WEIGHTS.safetensors CONFIG [--threads N]
 *            [--precision f32|bf16|f16|bf16-matmul|int8] [--seconds S] [--points a,b,..]
 *            [--tag TEXT] [--kernels auto|scalar|avx2|avx512|avx512bf16|amx]
 *            [--cell lstm|gru]
 * --points error: instead of timing, print the output error of the
 * --precision storage against f32 (200 frames, one stream).
 */
#include <seqenc/seqenc.h>
#include "bench_precision.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static double
now_s (void)
{
  return (double) g_get_monotonic_time () / 1e6;
}

/* CPU time of the process (every thread, user + system), seconds. */
static double
cpu_s (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* One cell's model behind its SeqRecurrentIface, for the timing loop. */
typedef struct {
  const SeqRecurrentIface *iface;
  gpointer model;
  gboolean gru;
  const char *precision;        /* its --precision name */
  double flops;                 /* per frame */
} Net;

static gboolean
net_set_kernels (const Net * n, gpointer ws, SeqLstmKernels kern)
{
  return n->gru ? seq_gru_workspace_set_kernels (ws, kern, NULL) :
      seq_lstm_workspace_set_kernels (ws, kern, NULL);
}

static const char *
net_kernels_name (const Net * n, gpointer ws)
{
  return n->gru ? seq_gru_workspace_get_kernels_name (ws) :
      seq_lstm_workspace_get_kernels_name (ws);
}

static gpointer
net_state_new (const Net * n)
{
  return n->gru ? (gpointer) seq_gru_state_new (n->model) :
      (gpointer) seq_lstm_state_new (n->model);
}

static void
net_state_free (const Net * n, gpointer st)
{
  if (n->gru)
    seq_gru_state_free (st);
  else
    seq_lstm_state_free (st);
}

static void
run_point (const Net * n, const char *config, const char *point,
    guint B, guint T, guint threads, double seconds, SeqLstmKernels kern,
    const char *tag)
{
  const SeqRecurrentIface *r = n->iface;
  guint I = r->input_size (n->model);
  guint O = r->output_width (n->model, SEQ_RECURRENT_OUTPUT_LAST_LAYER);
  gpointer ws = r->workspace_new (n->model, B, T, threads);
  gpointer *st = g_new0 (gpointer, B);
  float *x = g_new (float, (gsize) T * B * I);
  float *y = g_new (float, (gsize) T * B * O);
  SeqRng rng;
  guint64 frames = 0, calls = 0;
  double t0, t1, c0;

  if (ws == NULL || !net_set_kernels (n, ws, kern)) {
    fprintf (stderr, "cannot make a workspace for %s\n", point);
    exit (1);
  }
  seq_rng_init (&rng, 1);
  for (gsize i = 0; i < (gsize) T * B * I; i++)
    x[i] = seq_rng_uniform (&rng, -1.0f, 1.0f);
  for (guint b = 0; b < B; b++)
    st[b] = net_state_new (n);

  /* warm-up: a few calls, at least 0.1 s */
  t0 = now_s ();
  while (now_s () - t0 < 0.1)
    r->forward (n->model, st, B, x, T, y, SEQ_RECURRENT_OUTPUT_LAST_LAYER,
        ws);

  t0 = now_s ();
  c0 = cpu_s ();
  do {
    for (int i = 0; i < 10; i++)
      r->forward (n->model, st, B, x, T, y, SEQ_RECURRENT_OUTPUT_LAST_LAYER,
          ws);
    calls += 10;
    frames += (guint64) 10 * B * T;
    t1 = now_s ();
  } while (t1 - t0 < seconds);

  printf ("{\"impl\": \"seqenc\", \"cell\": \"%s\", \"tag\": \"%s\", "
      "\"config\": \"%s\", \"point\": \"%s\", \"precision\": \"%s\", "
      "\"kernels\": \"%s\", \"threads\": %u, \"fps\": %.1f, "
      "\"gflops\": %.2f, \"cpu_us_per_frame\": %.2f, \"calls\": %"
      G_GUINT64_FORMAT ", \"check\": %.6g}\n", r->name, tag, config, point,
      n->precision, net_kernels_name (n, ws), threads, frames / (t1 - t0),
      frames * n->flops / (t1 - t0) / 1e9, (cpu_s () - c0) * 1e6 / frames,
      calls, y[0]);
  fflush (stdout);

  for (guint b = 0; b < B; b++)
    net_state_free (n, st[b]);
  g_free (st);
  g_free (x);
  g_free (y);
  r->workspace_free (ws);
}

/* multiply-adds per frame, x 2: G H (K_in + O) per layer, + P H with proj */
static double
flops_per_frame (guint G, guint I, guint H, guint L, guint P)
{
  double f = 0;

  for (guint l = 0; l < L; l++) {
    guint K_in = l == 0 ? I : (P ? P : H);
    f += 2.0 * G * H * (K_in + (P ? P : H)) + 2.0 * P * H;
  }
  return f;
}

/* Output error of reduced-precision weight storage against f32 on the same
 * file: 200 frames of 1 stream, inputs U(-1, 1), last layer. */
static void
precision_error (const char *path, const char *config,
    const SeqLstmModelParams * mp)
{
  const guint T = 200;
  SeqLstmModel *ref = seq_lstm_model_new_from_file (path, NULL, NULL);
  SeqLstmModel *low = seq_lstm_model_new_from_file (path, mp, NULL);
  guint I = seq_lstm_model_input_size (ref), O = seq_lstm_model_output_size (ref);
  float *x = g_new (float, (gsize) T * I);
  float *y0 = g_new (float, (gsize) T * O), *y1 = g_new (float, (gsize) T * O);
  SeqLstmWorkspace *w0 = seq_lstm_workspace_new (ref, 1, T, 1);
  SeqLstmWorkspace *w1 = seq_lstm_workspace_new (low, 1, T, 1);
  SeqLstmState *s0 = seq_lstm_state_new (ref), *s1 = seq_lstm_state_new (low);
  double maxd = 0, sum = 0, maxref = 0;
  SeqRng rng;

  seq_rng_init (&rng, 3);
  for (gsize i = 0; i < (gsize) T * I; i++)
    x[i] = seq_rng_uniform (&rng, -1.0f, 1.0f);
  seq_lstm_forward (ref, &s0, 1, x, T, y0, SEQ_LSTM_OUTPUT_LAST_LAYER, w0);
  seq_lstm_forward (low, &s1, 1, x, T, y1, SEQ_LSTM_OUTPUT_LAST_LAYER, w1);
  for (gsize i = 0; i < (gsize) T * O; i++) {
    double d = fabs ((double) y0[i] - y1[i]);
    maxd = MAX (maxd, d);
    sum += d;
    maxref = MAX (maxref, fabs (y0[i]));
  }
  printf ("{\"impl\": \"seqenc\", \"config\": \"%s\", \"precision\": "
      "\"%s\", \"max_abs_err_vs_f32\": %.3g, \"mean_abs_err_vs_f32\": %.3g, "
      "\"max_abs_output\": %.3g, \"frames\": %u}\n", config,
      bench_precision_name (low), maxd, sum / ((double) T * O),
      maxref, T);
  seq_lstm_state_free (s0);
  seq_lstm_state_free (s1);
  seq_lstm_workspace_free (w0);
  seq_lstm_workspace_free (w1);
  seq_lstm_model_unref (ref);
  seq_lstm_model_unref (low);
  g_free (x);
  g_free (y0);
  g_free (y1);
}

int
main (int argc, char **argv)
{
  const char *path, *config, *prec_s = "f32", *points = "b1_t1,b1_t100,"
      "b64_t1,b256_t1", *tag = "", *kern_s = "auto";
  guint threads = 2;
  double seconds = 1.0;
  SeqLstmModelParams mp;
  SeqLstmKernels kern = SEQ_LSTM_KERNELS_AUTO;
  GError *err = NULL;
  SeqLstmModel *m;
  gchar **pts;
  gboolean gru = FALSE;
  Net net = { 0 };

  if (argc < 3) {
    fprintf (stderr, "usage: %s WEIGHTS CONFIG [--threads N] [--precision "
        "f32|bf16|f16|bf16-matmul|int8] [--seconds S] [--points b1_t1,...] [--tag T] "
        "[--kernels auto|scalar|avx2|avx512|amx] [--cell lstm|gru]\n", argv[0]);
    return 2;
  }
  path = argv[1];
  config = argv[2];
  for (int i = 3; i + 1 < argc; i += 2) {
    if (!strcmp (argv[i], "--threads"))
      threads = (guint) atoi (argv[i + 1]);
    else if (!strcmp (argv[i], "--precision"))
      prec_s = argv[i + 1];
    else if (!strcmp (argv[i], "--seconds"))
      seconds = atof (argv[i + 1]);
    else if (!strcmp (argv[i], "--points"))
      points = argv[i + 1];
    else if (!strcmp (argv[i], "--tag"))
      tag = argv[i + 1];
    else if (!strcmp (argv[i], "--kernels"))
      kern_s = argv[i + 1];
    else if (!strcmp (argv[i], "--cell"))
      gru = !strcmp (argv[i + 1], "gru");
  }
  if (!bench_precision_parse (prec_s, &mp)) {
    fprintf (stderr, "unknown precision %s\n", prec_s);
    return 2;
  }
  if (!strcmp (kern_s, "scalar"))
    kern = SEQ_LSTM_KERNELS_SCALAR;
  else if (!strcmp (kern_s, "avx2"))
    kern = SEQ_LSTM_KERNELS_AVX2;
  else if (!strcmp (kern_s, "avx512"))
    kern = SEQ_LSTM_KERNELS_AVX512;
  else if (!strcmp (kern_s, "amx"))
    kern = SEQ_LSTM_KERNELS_AMX;
  else if (!strcmp (kern_s, "avx512bf16"))
    kern = SEQ_LSTM_KERNELS_AVX512_BF16;

  if (g_strcmp0 (points, "error") == 0) {
    precision_error (path, config, &mp);
    return 0;
  }
  if (gru) {
    SeqGruModelParams gp = seq_gru_model_params_default ();
    SeqGruModel *g;
    gp.weights_precision = mp.weights_precision;
    gp.matmul_precision = mp.matmul_precision;
    if ((g = seq_gru_model_new_from_file (path, &gp, &err)) == NULL) {
      fprintf (stderr, "%s: %s\n", path, err->message);
      return 1;
    }
    net.iface = seq_gru_recurrent ();
    net.model = g;
    net.gru = TRUE;
    net.flops = flops_per_frame (3, seq_gru_model_input_size (g),
        seq_gru_model_hidden_size (g), seq_gru_model_num_layers (g), 0);
  } else {
    if ((m = seq_lstm_model_new_from_file (path, &mp, &err)) == NULL) {
      fprintf (stderr, "%s: %s\n", path, err->message);
      return 1;
    }
    net.iface = seq_lstm_recurrent ();
    net.model = m;
    net.flops = flops_per_frame (4, seq_lstm_model_input_size (m),
        seq_lstm_model_hidden_size (m), seq_lstm_model_num_layers (m),
        seq_lstm_model_proj_size (m));
  }
  net.precision = prec_s;
  pts = g_strsplit (points, ",", -1);
  for (gchar ** p = pts; *p; p++) {
    guint B = 1, T = 1;
    if (sscanf (*p, "b%u_t%u", &B, &T) != 2 || B == 0 || T == 0) {
      fprintf (stderr, "bad point %s\n", *p);
      continue;
    }
    run_point (&net, config, *p, B, T, threads, seconds, kern, tag);
  }
  g_strfreev (pts);
  net.iface->model_unref (net.model);
  return 0;
}
