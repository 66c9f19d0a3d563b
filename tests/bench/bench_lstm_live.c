/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc benchmark — live capacity of the LSTM batcher (library level of a
 * seqlstm batch-group): N concurrent live streams, each a thread that gets
 * one frame every 1/rate s (100 frames/s = a 10 ms speech hop) at its own
 * phase and submits it with seq_batcher_forward (T = 1). The added
 * latency of a frame is the time from its arrival (its due time) to the
 * return of the call. Prints, per N, p50/p99/max latency and the share of
 * frames that came back after the next frame was due (the stream falls
 * behind), and the CPU time the process used per wall second (cpu = 1.0 is
 * one core busy: what the threads cost the rest of the machine).
 *
 * usage: bench_lstm_live WEIGHTS.safetensors [--streams 100,200,300]
 *          [--seconds S] [--rate FPS] [--max-delay-us US] [--threads N]
 *          [--precision f32|bf16|f16]
 */
#include <seqenc/seqenc.h>
#include "bench_precision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct {
  SeqBatcher *b;
  SeqLstmModel *m;
  gint64 start, end, period, phase;
  gint64 *lat;                  /* us, one per frame */
  guint n_lat, cap;
  guint late;
  gboolean ok;
} Live;

static gpointer
live_thread (gpointer data)
{
  Live *l = data;
  guint I = seq_lstm_model_input_size (l->m);
  guint W = seq_batcher_get_output_width (l->b);
  SeqLstmState *st = seq_lstm_state_new (l->m);
  SeqBatcherStream *s = seq_batcher_join (l->b, st);
  float *x = g_new0 (float, I), *y = g_new0 (float, W);
  gint64 due = l->start + l->phase;
  SeqRng r;

  seq_rng_init (&r, (guint64) l->phase);
  l->ok = TRUE;
  while (due < l->end && l->n_lat < l->cap) {
    gint64 now = g_get_monotonic_time (), done;
    if (due > now)
      g_usleep ((gulong) (due - now));
    for (guint i = 0; i < I; i++)
      x[i] = seq_rng_uniform (&r, -1.0f, 1.0f);
    if (!seq_batcher_forward (s, x, 1, y, NULL)) {
      l->ok = FALSE;
      break;
    }
    done = g_get_monotonic_time ();
    l->lat[l->n_lat++] = done - due;
    if (done > due + l->period)
      l->late++;
    due += l->period;
  }
  seq_batcher_leave (s);
  seq_lstm_state_free (st);
  g_free (x);
  g_free (y);
  return NULL;
}

static int
cmp_i64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  const char *path, *streams_s = "100,200,300,400", *prec_s = "f32";
  double seconds = 5.0, rate = 100.0;
  guint64 max_delay = 4000;
  guint threads = 2;
  SeqLstmModelParams mp;
  GError *err = NULL;
  SeqLstmModel *m;
  gchar **ns;

  if (argc < 2) {
    fprintf (stderr, "usage: %s WEIGHTS [--streams a,b] [--seconds S] "
        "[--rate FPS] [--max-delay-us US] [--threads N] [--precision P]\n",
        argv[0]);
    return 2;
  }
  path = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!strcmp (argv[i], "--streams"))
      streams_s = argv[i + 1];
    else if (!strcmp (argv[i], "--seconds"))
      seconds = atof (argv[i + 1]);
    else if (!strcmp (argv[i], "--rate"))
      rate = atof (argv[i + 1]);
    else if (!strcmp (argv[i], "--max-delay-us"))
      max_delay = g_ascii_strtoull (argv[i + 1], NULL, 10);
    else if (!strcmp (argv[i], "--threads"))
      threads = (guint) atoi (argv[i + 1]);
    else if (!strcmp (argv[i], "--precision"))
      prec_s = argv[i + 1];
  }
  if (!bench_precision_parse (prec_s, &mp))
    return 2;
  m = seq_lstm_model_new_from_file (path, &mp, &err);
  if (m == NULL) {
    fprintf (stderr, "%s\n", err->message);
    return 1;
  }

  ns = g_strsplit (streams_s, ",", -1);
  for (gchar ** p = ns; *p; p++) {
    guint n = (guint) atoi (*p), total = 0, late = 0;
    SeqBatcherParams bp = seq_batcher_params_default ();
    SeqBatcher *b;
    Live *lv = g_new0 (Live, n);
    GThread **th = g_new0 (GThread *, n);
    gint64 *all, period = (gint64) (1e6 / rate);
    SeqBatcherStats bst;
    guint64 calls, frames;
    gboolean ok = TRUE;

    bp.max_batch = MAX (1, n);
    bp.max_delay_us = max_delay;
    bp.max_steps = 1;
    bp.n_threads = threads;
    b = seq_batcher_new (seq_lstm_recurrent (), m, &bp, &err);
    if (b == NULL) {
      fprintf (stderr, "%s\n", err->message);
      return 1;
    }
    for (guint i = 0; i < n; i++) {
      lv[i].b = b;
      lv[i].m = m;
      lv[i].period = period;
      lv[i].phase = period * i / n;
      lv[i].cap = (guint) (seconds * rate) + 2;
      lv[i].lat = g_new (gint64, lv[i].cap);
    }
    struct rusage ru0, ru1;
    double cpu;
    gint64 wall0 = g_get_monotonic_time ();
    getrusage (RUSAGE_SELF, &ru0);
    {
      gint64 start = g_get_monotonic_time () + 200000;
      for (guint i = 0; i < n; i++) {
        lv[i].start = start;
        lv[i].end = start + (gint64) (seconds * 1e6);
        th[i] = g_thread_new ("live", live_thread, &lv[i]);
      }
    }
    for (guint i = 0; i < n; i++) {
      g_thread_join (th[i]);
      total += lv[i].n_lat;
      late += lv[i].late;
      ok &= lv[i].ok;
    }
    getrusage (RUSAGE_SELF, &ru1);
    cpu = ((ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
        (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
        1e-6 * ((ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) +
            (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec))) /
        ((g_get_monotonic_time () - wall0) / 1e6);
    all = g_new (gint64, MAX (1, total));
    total = 0;
    for (guint i = 0; i < n; i++) {
      memcpy (all + total, lv[i].lat, lv[i].n_lat * sizeof (gint64));
      total += lv[i].n_lat;
      g_free (lv[i].lat);
    }
    qsort (all, total, sizeof (gint64), cmp_i64);
    seq_batcher_get_stats (b, &bst);
    calls = bst.n_calls;
    frames = bst.n_frames;
    printf ("{\"impl\": \"seqenc batcher\", \"streams\": %u, \"rate\": %.0f, "
        "\"max_delay_us\": %" G_GUINT64_FORMAT ", \"precision\": \"%s\", "
        "\"frames\": %u, \"fps\": %.0f, \"p50_ms\": %.2f, \"p99_ms\": %.2f, "
        "\"max_ms\": %.2f, \"late_pct\": %.2f, \"mean_batch\": %.1f, "
        "\"in_place_pct\": %.1f, \"cpu\": %.3f, \"ok\": %s}\n", n, rate, max_delay, prec_s, total,
        total / seconds, total ? all[total / 2] / 1e3 : 0.0,
        total ? all[(gsize) (total * 0.99)] / 1e3 : 0.0,
        total ? all[total - 1] / 1e3 : 0.0,
        total ? 100.0 * late / total : 0.0,
        calls ? (double) frames / calls : 0.0,
        calls ? 100.0 * bst.n_in_place / calls : 0.0, cpu,
        ok ? "true" : "false");
    fflush (stdout);
    g_free (all);
    g_free (lv);
    g_free (th);
    seq_batcher_unref (b);
  }
  g_strfreev (ns);
  seq_lstm_model_unref (m);
  return 0;
}
