/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer harness: the streaming filterbank on arbitrary samples and
 * parameters, checking chunking invariance.
 *
 * Input: byte 0 picks parameters (bits 0-2 from a table of small
 * configurations; bit 3 snip_edges; bit 4 use_energy; bit 5 s16 samples
 * instead of f32; bit 6: the next 24 bytes are raw parameter values instead
 * (frame length/shift ms, mel bins, low/high freq as doubles/ints, which
 * must be refused cleanly when absurd); bit 7: stack 2 + (byte 1 mod 31),
 * up to the largest, with stack hop (byte 1 / 31) mod (stack + 1), 0 being
 * the stack itself); byte 1 seeds the chunk sizes; the
 * rest are little-endian samples. The frames from random chunks (then flush)
 * must equal those of one call, bitwise; NaN/Inf samples give
 * SEQ_FBANK_ERROR_NON_FINITE. Never a crash. */
#include <seqenc/fbank.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

static void
quiet_log (const gchar * domain, GLogLevelFlags level, const gchar * msg,
    gpointer data)
{
}

static const struct
{
  double rate, len_ms, shift_ms;
  guint mels;
  SeqFbankWindow window;
} configs[8] = {
  {16000, 25, 10, 80, SEQ_FBANK_WINDOW_POVEY},
  {8000, 2, 1, 3, SEQ_FBANK_WINDOW_HANNING},
  {1000, 8, 3, 5, SEQ_FBANK_WINDOW_HAMMING},
  {16000, 1, 1, 4, SEQ_FBANK_WINDOW_RECTANGULAR},
  {22050, 3, 0.5, 10, SEQ_FBANK_WINDOW_BLACKMAN},
  {4000, 5, 5, 6, SEQ_FBANK_WINDOW_POVEY},
  {16000, 4, 2.5, 23, SEQ_FBANK_WINDOW_POVEY},
  {100, 50, 20, 3, SEQ_FBANK_WINDOW_HANNING},
};

/* Feeds all samples (f32 or s16) in pieces; returns frames in *out (g_free),
 * or -1 when a feed failed (NaN/Inf). */
static gssize
run (SeqFbank * fb, const guint8 * s, gsize n, gboolean s16, guint8 seed,
    gboolean chunked, float **out)
{
  guint dim = seq_fbank_dim (fb);
  gsize esize = s16 ? 2 : 4, total = 0, pos = 0;
  guint32 rng = seed * 2654435761u + 1;
  GArray *frames = g_array_new (FALSE, FALSE, sizeof (float));
  gboolean failed = FALSE;

  while (pos < n && !failed) {
    gsize k = n - pos, got = 0, cap;
    float *buf;
    if (chunked) {
      rng = rng * 1103515245u + 12345u;
      k = MIN (k, (gsize) ((rng >> 16) % 700));
    }
    cap = seq_fbank_frames_pending (fb, k);
    buf = g_new (float, (cap ? cap : 1) * dim);
    if (s16) {
      gint16 *tmp = g_new (gint16, k ? k : 1);
      memcpy (tmp, s + pos * esize, k * esize);
      got = seq_fbank_feed_s16 (fb, tmp, k, buf, cap);
      g_free (tmp);
    } else {
      float *tmp = g_new (float, k ? k : 1);
      GError *err = NULL;
      memcpy (tmp, s + pos * esize, k * esize);
      if (!seq_fbank_feed_f32 (fb, tmp, k, buf, cap, &got, &err)) {
        if (err == NULL || !g_error_matches (err, SEQ_FBANK_ERROR,
                SEQ_FBANK_ERROR_NON_FINITE))
          __builtin_trap ();
        g_error_free (err);
        failed = TRUE;
      }
      g_free (tmp);
    }
    if (got > cap)
      __builtin_trap ();
    g_array_append_vals (frames, buf, got * dim);
    total += got;
    g_free (buf);
    pos += k;
  }
  if (!failed) {
    gsize cap = seq_fbank_finish_pending (fb), got;
    float *buf = g_new (float, (cap ? cap : 1) * dim);
    got = seq_fbank_finish (fb, buf, cap);
    if (got > cap)
      __builtin_trap ();
    g_array_append_vals (frames, buf, got * dim);
    total += got;
    g_free (buf);
  }
  seq_fbank_reset (fb);
  *out = (float *) g_array_free (frames, FALSE);
  return failed ? -1 : (gssize) total;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static gboolean init = FALSE;
  SeqFbankParams p;
  SeqFbank *fb;
  GError *err = NULL;
  guint8 sel, seed;
  gboolean s16;
  float *a = NULL, *b = NULL;
  gssize na, nb;

  if (!init) {
    g_log_set_default_handler (quiet_log, NULL);
    init = TRUE;
  }
  if (size < 2)
    return 0;
  sel = data[0];
  seed = data[1];
  data += 2;
  size -= 2;
  s16 = (sel & 0x20) != 0;

  p = seq_fbank_params_default ();
  p.sample_rate = configs[sel & 7].rate;
  p.frame_length_ms = configs[sel & 7].len_ms;
  p.frame_shift_ms = configs[sel & 7].shift_ms;
  p.num_mel_bins = configs[sel & 7].mels;
  p.window = configs[sel & 7].window;
  p.high_freq = 0;
  p.low_freq = MIN (20.0, p.sample_rate / 8);
  p.snip_edges = (sel & 0x08) != 0;
  p.use_energy = (sel & 0x10) != 0;
  if (sel & 0x80) {
    p.stack = 2 + seed % (SEQ_FBANK_MAX_STACK - 1);
    p.stack_hop = (seed / 31) % (p.stack + 1);
  }
  if ((sel & 0x40) && size >= 24) {
    double len_ms, shift_ms;
    guint32 mels, rate;
    memcpy (&len_ms, data, 8);
    memcpy (&shift_ms, data + 8, 8);
    memcpy (&mels, data + 16, 4);
    memcpy (&rate, data + 20, 4);
    p.frame_length_ms = len_ms;
    p.frame_shift_ms = shift_ms;
    p.num_mel_bins = mels;
    p.sample_rate = rate;
    data += 24;
    size -= 24;
  }
  fb = seq_fbank_new (&p, &err);
  if (fb == NULL) {
    if (err == NULL || err->domain != SEQ_FBANK_ERROR)
      __builtin_trap ();
    g_error_free (err);
    return 0;
  }
  /* keep the work per input bounded */
  if ((gsize) seq_fbank_window_size (fb) > (1u << 16)) {
    seq_fbank_free (fb);
    return 0;
  }
  size -= size % (s16 ? 2 : 4);
  na = run (fb, data, size / (s16 ? 2 : 4), s16, seed, FALSE, &a);
  nb = run (fb, data, size / (s16 ? 2 : 4), s16, seed, TRUE, &b);
  if (na != nb)
    __builtin_trap ();          /* chunking changed the frame count */
  if (na > 0 && memcmp (a, b, (gsize) na * seq_fbank_dim (fb) *
          sizeof (float)) != 0)
    __builtin_trap ();          /* chunking changed the frames */
  g_free (a);
  g_free (b);
  seq_fbank_free (fb);
  return 0;
}
