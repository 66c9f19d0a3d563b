/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc benchmark — what this machine can do, measured at the start of a
 * benchmark run so that every point is reported as a share of a bound of
 * the machine it ran on, never of a number carried over from another CPU:
 *   - the f32 FMA peak with 512-bit and 256-bit vectors (GFLOP/s, one
 *     thread and N threads): independent FMA chains on registers, enough of
 *     them to cover the FMA latency on every current x86 core;
 *   - the cache-resident read bandwidth (GB/s, N threads) of a buffer of
 *     about half the L2 (the weights of a batched LSTM step stream from L2
 *     or L3; one stream's step reads them once per frame).
 * Prints one JSON object: cpu model, kernel set seqenc chose, the bounds.
 *
 * usage: bench_peak [THREADS] [SECONDS_PER_PROBE]
 */
#include <glib.h>
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <seqenc/lstm.h>

#define CHAINS 12               /* independent FMA chains per thread */

typedef struct {
  double seconds;
  int kind;                     /* 512, 256 or 0 (bandwidth) */
  gsize bytes;
  double result;                /* flops or bytes done */
  float sink;
} Probe;

/* 12 independent chains in named variables (an array of vectors is kept in
 * memory by the compiler, and the probe then measures store forwarding) */
#define CHAINS_DO(OP) OP (0) OP (1) OP (2) OP (3) OP (4) OP (5) OP (6) \
  OP (7) OP (8) OP (9) OP (10) OP (11)

__attribute__((target ("avx512f")))
static double
fma512 (double seconds, float *sink)
{
  const __m512 a = _mm512_set1_ps (0.999999f), b = _mm512_set1_ps (1e-7f);
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * 1e6);
  guint64 iters = 0;
#define DECL(i) __m512 x##i = _mm512_set1_ps ((float) i);
#define STEP(i) x##i = _mm512_fmadd_ps (x##i, a, b);
#define SUM(i) s = _mm512_add_ps (s, x##i);
  CHAINS_DO (DECL)
  __m512 s = _mm512_setzero_ps ();

  while (g_get_monotonic_time () < end) {
    for (int k = 0; k < 1000; k++) {
      CHAINS_DO (STEP)
    }
    iters += 1000;
  }
  CHAINS_DO (SUM)
  *sink = _mm512_reduce_add_ps (s);
  return (double) iters * CHAINS * 16 * 2;
#undef DECL
#undef STEP
#undef SUM
}

__attribute__((target ("avx2,fma")))
static double
fma256 (double seconds, float *sink)
{
  const __m256 a = _mm256_set1_ps (0.999999f), b = _mm256_set1_ps (1e-7f);
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * 1e6);
  guint64 iters = 0;
  float out[8];
#define DECL(i) __m256 x##i = _mm256_set1_ps ((float) i);
#define STEP(i) x##i = _mm256_fmadd_ps (x##i, a, b);
#define SUM(i) s = _mm256_add_ps (s, x##i);
  CHAINS_DO (DECL)
  __m256 s = _mm256_setzero_ps ();

  while (g_get_monotonic_time () < end) {
    for (int k = 0; k < 1000; k++) {
      CHAINS_DO (STEP)
    }
    iters += 1000;
  }
  CHAINS_DO (SUM)
  _mm256_storeu_ps (out, s);
  *sink = out[0];
  return (double) iters * CHAINS * 8 * 2;
#undef DECL
#undef STEP
#undef SUM
}

__attribute__((target ("avx2")))
static double
read_bw (gsize bytes, double seconds, float *sink)
{
  gsize n = bytes / sizeof (float);
  float *buf = g_aligned_alloc0 (n, sizeof (float), 64);
  __m256 s0 = _mm256_setzero_ps (), s1 = s0, s2 = s0, s3 = s0;
  gint64 end;
  guint64 passes = 0;
  float out[8];

  for (gsize i = 0; i < n; i++)
    buf[i] = (float) (i & 7);
  end = g_get_monotonic_time () + (gint64) (seconds * 1e6);
  while (g_get_monotonic_time () < end) {
    for (gsize i = 0; i + 32 <= n; i += 32) {
      s0 = _mm256_add_ps (s0, _mm256_load_ps (buf + i));
      s1 = _mm256_add_ps (s1, _mm256_load_ps (buf + i + 8));
      s2 = _mm256_add_ps (s2, _mm256_load_ps (buf + i + 16));
      s3 = _mm256_add_ps (s3, _mm256_load_ps (buf + i + 24));
    }
    passes++;
  }
  s0 = _mm256_add_ps (_mm256_add_ps (s0, s1), _mm256_add_ps (s2, s3));
  _mm256_storeu_ps (out, s0);
  *sink = out[0];
  g_aligned_free (buf);
  return (double) passes * (double) (n / 32 * 32) * sizeof (float);
}

static gpointer
run_probe (gpointer data)
{
  Probe *p = data;

  if (p->kind == 512)
    p->result = fma512 (p->seconds, &p->sink);
  else if (p->kind == 256)
    p->result = fma256 (p->seconds, &p->sink);
  else
    p->result = read_bw (p->bytes, p->seconds, &p->sink);
  return NULL;
}

/* Runs @threads copies of a probe at once; the summed rate per second. */
static double
measure (int kind, gsize bytes, int threads, double seconds)
{
  Probe *p = g_new0 (Probe, threads);
  GThread **t = g_new0 (GThread *, threads);
  double total = 0;

  for (int i = 0; i < threads; i++) {
    p[i].kind = kind;
    p[i].bytes = bytes;
    p[i].seconds = seconds;
    t[i] = g_thread_new ("probe", run_probe, &p[i]);
  }
  for (int i = 0; i < threads; i++) {
    g_thread_join (t[i]);
    total += p[i].result;
  }
  g_free (t);
  g_free (p);
  return total / seconds;
}

static gchar *
cpu_model (void)
{
  gchar *text = NULL, *model = NULL;

  if (g_file_get_contents ("/proc/cpuinfo", &text, NULL, NULL)) {
    gchar **lines = g_strsplit (text, "\n", -1);
    for (gchar ** l = lines; *l && model == NULL; l++)
      if (g_str_has_prefix (*l, "model name")) {
        const gchar *c = strchr (*l, ':');
        model = g_strstrip (g_strdup (c ? c + 1 : *l));
      }
    g_strfreev (lines);
    g_free (text);
  }
  return model ? model : g_strdup ("unknown");
}

static gsize
l2_bytes (void)
{
  gchar *text = NULL;
  gsize kb = 1024;

  if (g_file_get_contents ("/sys/devices/system/cpu/cpu0/cache/index2/size",
          &text, NULL, NULL)) {
    kb = g_ascii_strtoull (text, NULL, 10);
    if (strchr (text, 'M'))
      kb *= 1024;
    g_free (text);
  }
  return kb * 1024;
}

int
main (int argc, char **argv)
{
  int threads = argc > 1 ? atoi (argv[1]) : 2;
  double secs = argc > 2 ? g_ascii_strtod (argv[2], NULL) : 0.5;
  gboolean has512 = __builtin_cpu_supports ("avx512f");
  gboolean has256 = __builtin_cpu_supports ("avx2")
      && __builtin_cpu_supports ("fma");
  double f512_1 = 0, f512_n = 0, f256_1 = 0, f256_n = 0, bw = 0, bw1 = 0;
  gsize l2 = l2_bytes ();
  gchar *model = cpu_model ();
  const gchar *kernels = "unknown";
  SeqLstmRandomParams lp = seq_lstm_random_params_default ();
  SeqLstmModel *m;

  if (threads < 1)
    threads = 1;
  lp.input_size = 8;
  lp.hidden_size = 16;
  lp.num_layers = 1;
  m = seq_lstm_model_new_random (&lp, NULL, NULL);
  if (m) {
    SeqLstmWorkspace *ws = seq_lstm_workspace_new (m, 1, 1, 1);
    if (ws) {
      kernels = g_intern_string (seq_lstm_workspace_get_kernels_name (ws));
      seq_lstm_workspace_free (ws);
    }
    seq_lstm_model_unref (m);
  }

  /* best of three short tries each: the machine is shared */
  for (int r = 0; r < 3; r++) {
    if (has512) {
      f512_1 = MAX (f512_1, measure (512, 0, 1, secs));
      f512_n = MAX (f512_n, measure (512, 0, threads, secs));
    }
    if (has256) {
      f256_1 = MAX (f256_1, measure (256, 0, 1, secs));
      f256_n = MAX (f256_n, measure (256, 0, threads, secs));
      bw1 = MAX (bw1, measure (0, l2 / 2, 1, secs));
      bw = MAX (bw, measure (0, l2 / 2, threads, secs));
    }
  }
  printf ("{\"cpu\": \"%s\", \"threads\": %d, \"kernels\": \"%s\", "
      "\"fma512_gflops_1t\": %.1f, \"fma512_gflops\": %.1f, "
      "\"fma256_gflops_1t\": %.1f, \"fma256_gflops\": %.1f, "
      "\"l2_read_gbs_1t\": %.1f, \"l2_read_gbs\": %.1f, \"l2_bytes\": %"
      G_GSIZE_FORMAT "}\n", model, threads, kernels, f512_1 / 1e9,
      f512_n / 1e9, f256_1 / 1e9, f256_n / 1e9, bw1 / 1e9, bw / 1e9, l2);
  g_free (model);
  return 0;
}
