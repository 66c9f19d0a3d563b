/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc benchmark — real-time factor of the log-mel filterbank (the library
 * path seqfbank runs), one thread, on raw 16-bit mono audio.
 *
 * usage: bench_fbank AUDIO.s16 RATE [--seconds S] [--chunk N[,N...]]
 *            [--mel-bins M] [--tag TEXT]
 * AUDIO.s16 is headerless little-endian int16 (run_fbank_bench.sh makes it
 * from a WAV). For every chunk size (samples per feed call; 0 = the whole
 * signal in one call) the whole signal is run through a fresh stream
 * repeatedly for at least S seconds; prints one JSON object per chunk size:
 * audio seconds per wall second (the real-time factor), frames per second
 * and microseconds per frame.
 */
#include <seqenc/seqenc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double
now_s (void)
{
  return (double) g_get_monotonic_time () / 1e6;
}

int
main (int argc, char **argv)
{
  gchar *data = NULL;
  gsize len = 0, n;
  gint16 *x;
  guint rate;
  double seconds = 1.0;
  const char *chunks = "160,0", *tag = "";
  guint mel = 80;
  gchar **parts;
  SeqFbankParams p = seq_fbank_params_default ();
  SeqFbank *fb;
  GError *err = NULL;
  float *out;
  gsize cap;

  if (argc < 3) {
    fprintf (stderr, "usage: bench_fbank AUDIO.s16 RATE [--seconds S] "
        "[--chunk N,..] [--mel-bins M] [--tag TEXT]\n");
    return 2;
  }
  rate = (guint) atoi (argv[2]);
  for (int i = 3; i + 1 < argc; i += 2) {
    if (!strcmp (argv[i], "--seconds"))
      seconds = atof (argv[i + 1]);
    else if (!strcmp (argv[i], "--chunk"))
      chunks = argv[i + 1];
    else if (!strcmp (argv[i], "--mel-bins"))
      mel = (guint) atoi (argv[i + 1]);
    else if (!strcmp (argv[i], "--tag"))
      tag = argv[i + 1];
  }
  if (!g_file_get_contents (argv[1], &data, &len, &err)) {
    fprintf (stderr, "%s\n", err->message);
    return 1;
  }
  n = len / 2;
  x = g_new (gint16, n);
  for (gsize i = 0; i < n; i++) {
    guint16 v;
    memcpy (&v, data + 2 * i, 2);
    x[i] = (gint16) GUINT16_FROM_LE (v);
  }
  g_free (data);

  p.sample_rate = rate;
  p.num_mel_bins = mel;
  fb = seq_fbank_new (&p, &err);
  if (fb == NULL) {
    fprintf (stderr, "%s\n", err->message);
    return 1;
  }
  cap = seq_fbank_frames_pending (fb, n) + 2;
  out = g_new (float, cap * seq_fbank_dim (fb));

  parts = g_strsplit (chunks, ",", -1);
  for (guint c = 0; parts[c]; c++) {
    gsize chunk = (gsize) g_ascii_strtoull (parts[c], NULL, 10);
    guint64 frames = 0, passes = 0;
    double t0, t1;
    float checksum = 0.0f;

    if (chunk == 0)
      chunk = n;
    /* warm-up pass */
    seq_fbank_reset (fb);
    seq_fbank_feed_s16 (fb, x, n, out, cap);
    t0 = now_s ();
    do {
      gsize done = 0;
      seq_fbank_reset (fb);
      for (gsize i = 0; i < n; i += chunk) {
        gsize m = MIN (chunk, n - i);
        done += seq_fbank_feed_s16 (fb, x + i, m, out + done *
            seq_fbank_dim (fb), cap - done);
      }
      frames += done;
      checksum += out[0];
      passes++;
      t1 = now_s ();
    } while (t1 - t0 < seconds);

    printf ("{\"impl\": \"seqenc\", \"tag\": \"%s\", \"chunk\": %"
        G_GSIZE_FORMAT ", \"rate\": %u, \"mel_bins\": %u, \"audio_s\": %.3f, "
        "\"passes\": %" G_GUINT64_FORMAT ", \"rtf\": %.1f, \"fps\": %.0f, "
        "\"us_per_frame\": %.3f, \"checksum\": %g}\n", tag,
        chunk == n ? (gsize) 0 : chunk, rate, mel, (double) n / rate, passes,
        passes * ((double) n / rate) / (t1 - t0), frames / (t1 - t0),
        (t1 - t0) * 1e6 / frames, checksum);
    fflush (stdout);
  }
  g_strfreev (parts);
  g_free (out);
  g_free (x);
  seq_fbank_free (fb);
  return 0;
}
