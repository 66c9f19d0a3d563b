/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — streaming Kaldi-compatible log-mel filterbank (see fbank.h).
 *
 * The FFT is our own (a radix-2 complex FFT of N/2 points and the real
 * split; see rfft_power ()). Everything that depends on the parameters only
 * (window, mel filters, FFT tables) lives in a read-only FbankTables shared
 * by every filterbank of the same shape in the process: with hundreds of
 * live streams each frame then touches one copy of them, which stays in
 * cache, instead of hundreds.
 */
#include "seqenc/fbank.h"
#include "blob.h"
#include "seqenc-private.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* Sizes above these are refused (a frame is computed per shift). */
#define SEQ_FBANK_MAX_FFT (1u << 20)
#define SEQ_FBANK_MAX_BINS 4096u

/* Read-only tables of one shape, shared (see fbank_tables_get ()). */
typedef struct {
  gint ref_count;               /* under tables_lock */
  /* the key: what the tables depend on */
  double sample_rate, blackman_coeff, low_freq, high_freq;
  SeqFbankWindow window_type;
  guint w, n_fft, n_bins;

  float *window;                /* [w] window function */
  guint *mel_first;             /* [bins] first FFT bin of each filter */
  guint *mel_len;               /* [bins] number of FFT bins */
  gsize *mel_off;               /* [bins] offset in mel_w */
  float *mel_w;                 /* concatenated non-zero weights */
  /* FFT of M = n_fft / 2 complex points */
  guint *bitrev;                /* [M] bit-reversed index */
  float *tw_re, *tw_im;         /* [M] stage of half-size h at [h, 2h):
                                 * exp (-i pi j / h), j < h */
  float *rt_re, *rt_im;         /* [M] cos, sin (2 pi k / n_fft) */
} FbankTables;

static GMutex tables_lock;
static GSList *tables_list;     /* of FbankTables, under tables_lock */

struct _SeqFbank {
  SeqFbankParams params;
  FbankTables *tables;
  guint w;                      /* window size, samples */
  guint s;                      /* shift, samples */
  gint pad;                     /* left reach before k*s when !snip_edges */
  guint n_fft;                  /* N */
  guint dim;                    /* output width: stack * base_dim */
  guint base_dim;               /* width of one computed frame */
  guint stack;                  /* computed frames per output frame */
  guint hop;                    /* computed frames between output frames */
  guint n_bins;                 /* num_mel_bins */

  /* from tables (shared, read-only) */
  const float *window;
  const guint *mel_first, *mel_len;
  const gsize *mel_off;
  const float *mel_w;

  float *frame;                 /* [w] scratch: one frame's raw samples */
  float *fft_in;                /* [N] scratch: windowed frame, zero padded */
  float *power;                 /* [N/2] scratch: |X|^2 */
  float *fft_re, *fft_im;       /* [N/2] scratch: the complex FFT */

  /* Stream state */
  float *buf;                   /* [cap] held samples, int16 scale */
  gsize cap;
  guint64 buf_start;            /* absolute index of buf[0] */
  gsize buf_len;
  guint64 n_seen;               /* samples fed */
  guint64 n_done;               /* (stacked) frames output */
  SeqRng rng;
  gboolean have_spare;          /* Box-Muller's second value */
  double spare;
  float *overlap;               /* [(stack - hop) base_dim] the computed frames
                                 * the last output frame shares with the next
                                 * (stack hop < stack only; stream state) */
};

G_DEFINE_QUARK (seq-fbank-error-quark, seq_fbank_error);

SeqFbankParams
seq_fbank_params_default (void)
{
  SeqFbankParams p = {
    .sample_rate = 16000.0,
    .frame_length_ms = 25.0,
    .frame_shift_ms = 10.0,
    .num_mel_bins = 80,
    .low_freq = 20.0,
    .high_freq = 0.0,
    .preemphasis = 0.97,
    .remove_dc_offset = TRUE,
    .window = SEQ_FBANK_WINDOW_POVEY,
    .blackman_coeff = 0.42,
    .use_energy = FALSE,
    .raw_energy = TRUE,
    .energy_floor = 0.0,
    .snip_edges = TRUE,
    .dither = 0.0,
    .dither_seed = 0,
    .stack = 1,
    .stack_hop = 0,
  };
  return p;
}

static double
mel_scale (double f)
{
  return 1127.0 * log (1.0 + f / 700.0);
}

/* Window sizes as torchaudio computes them: int (rate * ms * 0.001). */
static gboolean
frame_samples (double rate, double ms, gint64 * out)
{
  double v = rate * ms * 0.001;
  if (!isfinite (v) || v < 0 || v > (double) G_MAXINT32)
    return FALSE;
  *out = (gint64) v;
  return TRUE;
}

gboolean
seq_fbank_params_validate (const SeqFbankParams * p, GError ** error)
{
  gint64 w = 0, s = 0;
  guint n_fft = 2;
  double nyquist, high;

  g_return_val_if_fail (p != NULL, FALSE);

  if (!isfinite (p->sample_rate) || p->sample_rate <= 0.0
      || p->sample_rate > SEQ_FBANK_MAX_RATE) {
    g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_CONFIG,
        "sample rate %g is outside (0, %d]", p->sample_rate,
        SEQ_FBANK_MAX_RATE);
    return FALSE;
  }
  if (!frame_samples (p->sample_rate, p->frame_length_ms, &w) || w < 2) {
    g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_CONFIG,
        "frame length %g ms at %g Hz gives fewer than 2 samples",
        p->frame_length_ms, p->sample_rate);
    return FALSE;
  }
  if (!frame_samples (p->sample_rate, p->frame_shift_ms, &s) || s < 1) {
    g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_CONFIG,
        "frame shift %g ms at %g Hz gives less than 1 sample",
        p->frame_shift_ms, p->sample_rate);
    return FALSE;
  }
  while ((gint64) n_fft < w && n_fft <= SEQ_FBANK_MAX_FFT)
    n_fft *= 2;
  if (n_fft > SEQ_FBANK_MAX_FFT || s > (gint64) SEQ_FBANK_MAX_FFT) {
    g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_CONFIG,
        "frame length %g ms / shift %g ms too long (at most %u samples)",
        p->frame_length_ms, p->frame_shift_ms, SEQ_FBANK_MAX_FFT);
    return FALSE;
  }
  if (p->num_mel_bins < 3 || p->num_mel_bins > SEQ_FBANK_MAX_BINS) {
    g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_CONFIG,
        "num-mel-bins %u is outside [3, %u]", p->num_mel_bins,
        SEQ_FBANK_MAX_BINS);
    return FALSE;
  }
  nyquist = 0.5 * p->sample_rate;
  high = p->high_freq <= 0.0 ? p->high_freq + nyquist : p->high_freq;
  if (!isfinite (p->low_freq) || !isfinite (high) || p->low_freq < 0.0
      || p->low_freq >= nyquist || high <= 0.0 || high > nyquist
      || p->low_freq >= high) {
    g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_CONFIG,
        "mel range low-freq %g Hz, high-freq %g Hz (= %g Hz) does not fit "
        "in (0, %g Hz] at %g Hz", p->low_freq, p->high_freq, high, nyquist,
        p->sample_rate);
    return FALSE;
  }
  if (!isfinite (p->preemphasis) || p->preemphasis < 0.0
      || p->preemphasis > 1.0) {
    g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_CONFIG,
        "preemphasis %g is outside [0, 1]", p->preemphasis);
    return FALSE;
  }
  if (!isfinite (p->dither) || p->dither < 0.0 || !isfinite (p->energy_floor)
      || p->energy_floor < 0.0 || !isfinite (p->blackman_coeff)) {
    g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_CONFIG,
        "dither %g and energy floor %g must be finite and >= 0",
        p->dither, p->energy_floor);
    return FALSE;
  }
  if (p->stack < 1 || p->stack > SEQ_FBANK_MAX_STACK) {
    g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_CONFIG,
        "stack %u is outside [1, %u]", p->stack, SEQ_FBANK_MAX_STACK);
    return FALSE;
  }
  if (p->stack_hop > p->stack) {
    g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_CONFIG,
        "stack hop %u is larger than the stack %u (frames would be skipped)",
        p->stack_hop, p->stack);
    return FALSE;
  }
  if (p->stack_hop != 0 && p->stack % p->stack_hop != 0) {
    g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_CONFIG,
        "stack %u is not a multiple of the stack hop %u (overlapping stacks "
        "are whole hops of frames)", p->stack, p->stack_hop);
    return FALSE;
  }
  if ((guint) p->window > SEQ_FBANK_WINDOW_BLACKMAN) {
    g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_CONFIG,
        "unknown window type %d", (int) p->window);
    return FALSE;
  }
  return TRUE;
}

static void
fill_window (float *win, guint w, SeqFbankWindow type, double blackman)
{
  double a = 2.0 * G_PI / (double) (w - 1);

  for (guint i = 0; i < w; i++) {
    double v;
    switch (type) {
      case SEQ_FBANK_WINDOW_HANNING:
        v = 0.5 - 0.5 * cos (a * i);
        break;
      case SEQ_FBANK_WINDOW_HAMMING:
        v = 0.54 - 0.46 * cos (a * i);
        break;
      case SEQ_FBANK_WINDOW_RECTANGULAR:
        v = 1.0;
        break;
      case SEQ_FBANK_WINDOW_BLACKMAN:
        v = blackman - 0.5 * cos (a * i) + (0.5 - blackman) * cos (2 * a * i);
        break;
      case SEQ_FBANK_WINDOW_POVEY:
      default:
        v = pow (0.5 - 0.5 * cos (a * i), 0.85);
        break;
    }
    win[i] = (float) v;
  }
}

/* Triangular filters as Kaldi's MelBanks (no VTLN): equal spacing on the mel
 * scale between low and high, num_bins + 2 edges, weights over FFT bins
 * [0, N/2). Only the non-zero run of each filter is kept. */
static gboolean
build_mel (FbankTables * t)
{
  guint half = t->n_fft / 2;
  double nyquist = 0.5 * t->sample_rate;
  double high = t->high_freq <= 0.0 ? t->high_freq + nyquist : t->high_freq;
  double bin_width = t->sample_rate / (double) t->n_fft;
  double mel_low = mel_scale (t->low_freq), mel_high = mel_scale (high);
  double delta = (mel_high - mel_low) / (double) (t->n_bins + 1);
  gsize total = 0;
  double *mel_of_bin = g_new (double, half);

  for (guint j = 0; j < half; j++)
    mel_of_bin[j] = mel_scale (bin_width * j);

  t->mel_first = g_new0 (guint, t->n_bins);
  t->mel_len = g_new0 (guint, t->n_bins);
  t->mel_off = g_new0 (gsize, t->n_bins);

  /* Two passes: extents, then weights. */
  for (int pass = 0; pass < 2; pass++) {
    total = 0;
    for (guint b = 0; b < t->n_bins; b++) {
      double left = mel_low + b * delta;
      double center = mel_low + (b + 1.0) * delta;
      double right = mel_low + (b + 2.0) * delta;
      guint first = half, last = 0;

      for (guint j = 0; j < half; j++) {
        double m = mel_of_bin[j];
        double up = (m - left) / (center - left);
        double down = (right - m) / (right - center);
        double wgt = MIN (up, down);
        if (wgt > 0.0) {
          if (first == half)
            first = j;
          last = j;
          if (pass == 1)
            t->mel_w[total + (j - first)] = (float) wgt;
        }
      }
      if (pass == 0) {
        t->mel_first[b] = first == half ? 0 : first;
        t->mel_len[b] = first == half ? 0 : last - first + 1;
      }
      t->mel_off[b] = total;
      total += t->mel_len[b];
    }
    if (pass == 0)
      t->mel_w = seq_aligned_floats (total);
    if (t->mel_w == NULL) {
      g_free (mel_of_bin);
      return FALSE;
    }
  }
  g_free (mel_of_bin);
  return TRUE;
}

/* FFT tables for n_fft = 2M: bit reversal of log2 M bits, the twiddles of
 * every butterfly stage and of the real split, computed in double. */
static gboolean
build_fft (FbankTables * t)
{
  guint M = t->n_fft / 2, bits = 0;

  while ((1u << bits) < M)
    bits++;
  t->bitrev = g_try_new (guint, M);
  t->tw_re = seq_aligned_floats (M);
  t->tw_im = seq_aligned_floats (M);
  t->rt_re = seq_aligned_floats (M);
  t->rt_im = seq_aligned_floats (M);
  if (t->bitrev == NULL || t->tw_re == NULL || t->tw_im == NULL
      || t->rt_re == NULL || t->rt_im == NULL)
    return FALSE;
  for (guint k = 0; k < M; k++) {
    guint r = 0;
    for (guint b = 0; b < bits; b++)
      r |= ((k >> b) & 1u) << (bits - 1 - b);
    t->bitrev[k] = r;
    t->rt_re[k] = (float) cos (2.0 * G_PI * k / (double) t->n_fft);
    t->rt_im[k] = (float) sin (2.0 * G_PI * k / (double) t->n_fft);
  }
  t->tw_re[0] = t->tw_im[0] = 0.0f;     /* unused */
  for (guint h = 1; h < M; h *= 2)
    for (guint j = 0; j < h; j++) {
      t->tw_re[h + j] = (float) cos (G_PI * j / (double) h);
      t->tw_im[h + j] = (float) -sin (G_PI * j / (double) h);
    }
  return TRUE;
}

static void
fbank_tables_free (FbankTables * t)
{
  seq_aligned_free (t->window);
  g_free (t->mel_first);
  g_free (t->mel_len);
  g_free (t->mel_off);
  seq_aligned_free (t->mel_w);
  g_free (t->bitrev);
  seq_aligned_free (t->tw_re);
  seq_aligned_free (t->tw_im);
  seq_aligned_free (t->rt_re);
  seq_aligned_free (t->rt_im);
  g_free (t);
}

/* The shared tables for @p with window @w and FFT size @n_fft, made when
 * first asked for; NULL when out of memory. Release with
 * fbank_tables_unref (). */
static FbankTables *
fbank_tables_get (const SeqFbankParams * p, guint w, guint n_fft)
{
  FbankTables *t = NULL;

  g_mutex_lock (&tables_lock);
  for (GSList * l = tables_list; l != NULL; l = l->next) {
    FbankTables *c = l->data;
    if (c->w == w && c->n_fft == n_fft && c->n_bins == p->num_mel_bins
        && c->window_type == p->window && c->sample_rate == p->sample_rate
        && c->blackman_coeff == p->blackman_coeff
        && c->low_freq == p->low_freq && c->high_freq == p->high_freq) {
      t = c;
      t->ref_count++;
      break;
    }
  }
  if (t == NULL) {
    t = g_new0 (FbankTables, 1);
    t->ref_count = 1;
    t->sample_rate = p->sample_rate;
    t->blackman_coeff = p->blackman_coeff;
    t->low_freq = p->low_freq;
    t->high_freq = p->high_freq;
    t->window_type = p->window;
    t->w = w;
    t->n_fft = n_fft;
    t->n_bins = p->num_mel_bins;
    t->window = seq_aligned_floats (w);
    if (t->window == NULL || !build_mel (t) || !build_fft (t)) {
      fbank_tables_free (t);
      t = NULL;
    } else {
      fill_window (t->window, w, p->window, p->blackman_coeff);
      tables_list = g_slist_prepend (tables_list, t);
    }
  }
  g_mutex_unlock (&tables_lock);
  return t;
}

static void
fbank_tables_unref (FbankTables * t)
{
  gboolean last;

  g_mutex_lock (&tables_lock);
  last = --t->ref_count == 0;
  if (last)
    tables_list = g_slist_remove (tables_list, t);
  g_mutex_unlock (&tables_lock);
  if (last)
    fbank_tables_free (t);
}

SeqFbank *
seq_fbank_new (const SeqFbankParams * params, GError ** error)
{
  SeqFbank *fb;
  gint64 w = 0, s = 0;

  g_return_val_if_fail (params != NULL, NULL);

  if (!seq_fbank_params_validate (params, error))
    return NULL;

  fb = g_new0 (SeqFbank, 1);
  fb->params = *params;
  frame_samples (params->sample_rate, params->frame_length_ms, &w);
  frame_samples (params->sample_rate, params->frame_shift_ms, &s);
  fb->w = (guint) w;
  fb->s = (guint) s;
  fb->pad = params->snip_edges ? 0 : (gint) (fb->w / 2) - (gint) (fb->s / 2);
  fb->n_fft = 2;
  while (fb->n_fft < fb->w)
    fb->n_fft *= 2;
  fb->n_bins = params->num_mel_bins;
  fb->base_dim = fb->n_bins + (params->use_energy ? 1 : 0);
  fb->stack = params->stack;
  fb->hop = params->stack_hop ? params->stack_hop : params->stack;
  fb->dim = fb->stack * fb->base_dim;

  /* Held samples: fewer than 2w + (stack - 1) s stay between output frames
   * (see keep_from ()); the rest is room for new samples. */
  fb->cap = 4 * (gsize) fb->w + (gsize) fb->stack * fb->s;
  fb->buf = seq_aligned_floats (fb->cap);
  if (fb->hop < fb->stack)
    fb->overlap = seq_aligned_floats ((gsize) (fb->stack - fb->hop)
        * fb->base_dim);
  fb->frame = seq_aligned_floats (fb->w);
  fb->fft_in = seq_aligned_floats (fb->n_fft);  /* zero tail stays zero */
  fb->power = seq_aligned_floats (fb->n_fft / 2);
  fb->fft_re = seq_aligned_floats (fb->n_fft / 2);
  fb->fft_im = seq_aligned_floats (fb->n_fft / 2);
  fb->tables = fbank_tables_get (params, fb->w, fb->n_fft);
  if (fb->buf == NULL || fb->frame == NULL || fb->fft_in == NULL
      || fb->power == NULL || fb->fft_re == NULL || fb->fft_im == NULL
      || fb->tables == NULL || (fb->hop < fb->stack && fb->overlap == NULL)) {
    g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_CONFIG,
        "could not allocate the filterbank (window %u, FFT %u)", fb->w,
        fb->n_fft);
    seq_fbank_free (fb);
    return NULL;
  }
  fb->window = fb->tables->window;
  fb->mel_first = fb->tables->mel_first;
  fb->mel_len = fb->tables->mel_len;
  fb->mel_off = fb->tables->mel_off;
  fb->mel_w = fb->tables->mel_w;
  seq_fbank_reset (fb);
  return fb;
}

void
seq_fbank_free (SeqFbank * fb)
{
  if (fb == NULL)
    return;
  if (fb->tables)
    fbank_tables_unref (fb->tables);
  seq_aligned_free (fb->buf);
  seq_aligned_free (fb->overlap);
  seq_aligned_free (fb->frame);
  seq_aligned_free (fb->fft_in);
  seq_aligned_free (fb->power);
  seq_aligned_free (fb->fft_re);
  seq_aligned_free (fb->fft_im);
  g_free (fb);
}

const SeqFbankParams *
seq_fbank_get_params (const SeqFbank * fb)
{
  g_return_val_if_fail (fb != NULL, NULL);
  return &fb->params;
}

guint
seq_fbank_dim (const SeqFbank * fb)
{
  g_return_val_if_fail (fb != NULL, 0);
  return fb->dim;
}

guint
seq_fbank_window_size (const SeqFbank * fb)
{
  g_return_val_if_fail (fb != NULL, 0);
  return fb->w;
}

guint
seq_fbank_window_shift (const SeqFbank * fb)
{
  g_return_val_if_fail (fb != NULL, 0);
  return fb->s;
}

guint
seq_fbank_hop (const SeqFbank * fb)
{
  g_return_val_if_fail (fb != NULL, 0);
  return fb->hop * fb->s;
}

guint
seq_fbank_fft_size (const SeqFbank * fb)
{
  g_return_val_if_fail (fb != NULL, 0);
  return fb->n_fft;
}

guint
seq_fbank_lookahead (const SeqFbank * fb)
{
  g_return_val_if_fail (fb != NULL, 0);
  return (guint) ((gint) fb->w - fb->pad) + (fb->stack - 1) * fb->s;
}

void
seq_fbank_reset (SeqFbank * fb)
{
  g_return_if_fail (fb != NULL);
  fb->buf_start = 0;
  fb->buf_len = 0;
  fb->n_seen = 0;
  fb->n_done = 0;
  seq_rng_init (&fb->rng, fb->params.dither_seed);
  fb->have_spare = FALSE;
  fb->spare = 0.0;
}

guint64
seq_fbank_samples_fed (const SeqFbank * fb)
{
  g_return_val_if_fail (fb != NULL, 0);
  return fb->n_seen;
}

guint64
seq_fbank_frames_done (const SeqFbank * fb)
{
  g_return_val_if_fail (fb != NULL, 0);
  return fb->n_done;
}

/* Frame indices below are those of computed (unstacked) frames, except
 * n_done and the results of frames_ready () and frames_total (), which count
 * output frames: output frame j is computed frames [j hop, j hop + stack). */

/* First absolute sample index (may be negative) of computed frame @k. */
static inline gint64
frame_start (const SeqFbank * fb, guint64 k)
{
  return (gint64) k *(gint64) fb->s - fb->pad;
}

/* Output frames made of @computed frames: the j with j hop + stack <= it. */
static inline guint64
stacks_of (const SeqFbank * fb, guint64 computed)
{
  return computed < fb->stack ? 0 : (computed - fb->stack) / fb->hop + 1;
}

/* Output frames whose computed frames' windows all lie in [., total): ready
 * in streaming. */
static guint64
frames_ready (const SeqFbank * fb, guint64 total)
{
  gint64 t = (gint64) total + fb->pad - (gint64) fb->w;
  if (t < 0)
    return 0;
  return stacks_of (fb, (guint64) t / fb->s + 1);
}

/* Computed frames of a stream of @total samples (after the finish). */
static guint64
computed_total (const SeqFbank * fb, guint64 total)
{
  gint64 t;

  if (!fb->params.snip_edges)
    return (total + fb->s / 2) / fb->s;
  t = (gint64) total + fb->pad - (gint64) fb->w;
  return t < 0 ? 0 : (guint64) t / fb->s + 1;
}

/* Output frames of a stream of @total samples (after the finish). Without
 * overlap a partial stack at the end is dropped, as a partial window is.
 * With overlapping stacks (hop < stack, stack a multiple of it), every
 * complete hop of frames starts an output frame, and the stacks that run
 * past the last complete hop are completed with copies of that hop
 * (pad_from () and output_frame ()): a streaming model's last steps get
 * their right context from the stream's end, as in training. */
static guint64
frames_total (const SeqFbank * fb, guint64 total)
{
  guint64 c = computed_total (fb, total);

  return fb->hop < fb->stack ? c / fb->hop : stacks_of (fb, c);
}

/* The first computed frame that is padding at the finish: past the last
 * complete hop (no frame is padding before the finish). */
static guint64
pad_from (const SeqFbank * fb, guint64 total)
{
  return computed_total (fb, total) / fb->hop * fb->hop;
}

/* The first computed frame that output frame @j computes (the ones before
 * it, shared with frame j - 1, come from fb->overlap). */
static inline guint64
first_new (const SeqFbank * fb, guint64 j)
{
  return j == 0 ? 0 : (j - 1) * fb->hop + fb->stack;
}

/* Oldest sample any output frame >= @j can need, with a margin of w so that
 * the reflection at the end of the stream stays inside what is held. */
static guint64
keep_from (const SeqFbank * fb, guint64 j)
{
  gint64 v = frame_start (fb, first_new (fb, j)) - (gint64) fb->w;
  return v < 0 ? 0 : (guint64) v;
}

gsize
seq_fbank_frames_pending (const SeqFbank * fb, gsize n_samples)
{
  g_return_val_if_fail (fb != NULL, 0);
  return (gsize) (frames_ready (fb, fb->n_seen + n_samples) - fb->n_done);
}

gsize
seq_fbank_finish_pending (const SeqFbank * fb)
{
  guint64 m;

  g_return_val_if_fail (fb != NULL, 0);
  m = frames_total (fb, fb->n_seen);
  return m > fb->n_done ? (gsize) (m - fb->n_done) : 0;
}

static double
gauss (SeqFbank * fb)
{
  double u1, u2, r;

  if (fb->have_spare) {
    fb->have_spare = FALSE;
    return fb->spare;
  }
  /* u1 in (0, 1], u2 in [0, 1), 53 bits each */
  u1 = ((seq_rng_next (&fb->rng) >> 11) + 1) * (1.0 / 9007199254740992.0);
  u2 = (seq_rng_next (&fb->rng) >> 11) * (1.0 / 9007199254740992.0);
  r = sqrt (-2.0 * log (u1));
  fb->spare = r * sin (2.0 * G_PI * u2);
  fb->have_spare = TRUE;
  return r * cos (2.0 * G_PI * u2);
}

static float
log_floored (double e)
{
  return logf (MAX ((float) e, FLT_EPSILON));
}

/* Sums in double over 8 interleaved partial sums (a fixed order: the same
 * on every call, so results stay bitwise reproducible; 8 independent chains
 * instead of one long dependency chain). */
static double
sum8 (const float *restrict x, guint n, gboolean squares)
{
  double acc[8] = { 0, };
  guint i = 0;

  if (squares) {
    for (; i + 8 <= n; i += 8)
      for (guint j = 0; j < 8; j++)
        acc[j] += (double) x[i + j] * x[i + j];
    for (; i < n; i++)
      acc[0] += (double) x[i] * x[i];
  } else {
    for (; i + 8 <= n; i += 8)
      for (guint j = 0; j < 8; j++)
        acc[j] += x[i + j];
    for (; i < n; i++)
      acc[0] += x[i];
  }
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) +
      (acc[3] + acc[7]));
}

static float
log_energy (const SeqFbank * fb, const float *x, guint n)
{
  double e = sum8 (x, n, TRUE);
  float le;

  le = log_floored (e);
  if (fb->params.energy_floor > 0.0)
    le = MAX (le, (float) log (fb->params.energy_floor));
  return le;
}

/* |X[k]|^2, k < N/2, of the real @y[N] (N = n_fft): the complex FFT of
 * z[m] = y[2m] + i y[2m+1] (M = N/2 points, radix-2 decimation in time on
 * split real and imaginary arrays: every stage's inner loop is contiguous
 * and vectorizes), then X[k] = E[k] + exp (-2 pi i k / N) O[k] with E, O the
 * spectra of the even and odd samples, taken from Z[k] and Z[M-k]. One fixed
 * sequence of float operations, without reassociation: the same result on
 * every machine. Unscaled, as kissfft's forward transform. */
static void
rfft_power (const FbankTables * t, const float *restrict y,
    float *restrict re, float *restrict im, float *restrict power)
{
  const guint M = t->n_fft / 2;

  for (guint k = 0; k < M; k++) {
    guint m = t->bitrev[k];
    re[k] = y[2 * m];
    im[k] = y[2 * m + 1];
  }
  /* half-size 1 and 2 (twiddles 1 and -i) as radix-4 butterflies */
  if (M >= 4) {
    for (guint b = 0; b < M; b += 4) {
      float r0 = re[b] + re[b + 1], i0 = im[b] + im[b + 1];
      float r1 = re[b] - re[b + 1], i1 = im[b] - im[b + 1];
      float r2 = re[b + 2] + re[b + 3], i2 = im[b + 2] + im[b + 3];
      float r3 = re[b + 2] - re[b + 3], i3 = im[b + 2] - im[b + 3];
      re[b] = r0 + r2;
      im[b] = i0 + i2;
      re[b + 2] = r0 - r2;
      im[b + 2] = i0 - i2;
      /* (r3 + i i3) * -i = i3 - i r3 */
      re[b + 1] = r1 + i3;
      im[b + 1] = i1 - r3;
      re[b + 3] = r1 - i3;
      im[b + 3] = i1 + r3;
    }
  } else if (M == 2) {
    float r0 = re[0], i0 = im[0];
    re[0] = r0 + re[1];
    im[0] = i0 + im[1];
    re[1] = r0 - re[1];
    im[1] = i0 - im[1];
  }
  for (guint h = 4; h < M; h *= 2) {
    const float *restrict wr = t->tw_re + h, *restrict wi = t->tw_im + h;
    for (guint b = 0; b < M; b += 2 * h) {
      float *restrict ar = re + b, *restrict ai = im + b;
      float *restrict br = re + b + h, *restrict bi = im + b + h;
      for (guint j = 0; j < h; j++) {
        float tr = wr[j] * br[j] - wi[j] * bi[j];
        float ti = wr[j] * bi[j] + wi[j] * br[j];
        br[j] = ar[j] - tr;
        bi[j] = ai[j] - ti;
        ar[j] = ar[j] + tr;
        ai[j] = ai[j] + ti;
      }
    }
  }
  /* X[0] = Re Z[0] + Im Z[0] (real) */
  power[0] = (re[0] + im[0]) * (re[0] + im[0]);
  for (guint k = 1; k < M; k++) {
    float ar = re[k], ai = im[k], br = re[M - k], bi = im[M - k];
    float er = 0.5f * (ar + br), ei = 0.5f * (ai - bi);
    float orr = 0.5f * (ai + bi), oi = 0.5f * (br - ar);
    float c = t->rt_re[k], s = t->rt_im[k];
    float xr = er + (c * orr + s * oi), xi = ei + (c * oi - s * orr);
    power[k] = xr * xr + xi * xi;
  }
}

/* One frame from fb->frame[0..w) (the raw samples) into @out. */
static void
compute_frame (SeqFbank * fb, float *out)
{
  const SeqFbankParams *p = &fb->params;
  float *restrict x = fb->frame;
  float *restrict y = fb->fft_in;
  const float *restrict win = fb->window;
  guint w = fb->w, i;
  float energy = 0.0f;

  if (p->dither > 0.0) {
    for (i = 0; i < w; i++)
      x[i] += (float) (p->dither * gauss (fb));
  }
  if (p->remove_dc_offset) {
    float mean = (float) (sum8 (x, w, FALSE) / w);
    for (i = 0; i < w; i++)
      x[i] -= mean;
  }
  if (p->use_energy && p->raw_energy)
    energy = log_energy (fb, x, w);
  /* pre-emphasis (x[i] - c x[i-1], x[0] - c x[0]) and window in one pass
   * into the FFT input, whose tail [w, N) stays zero */
  if (p->preemphasis != 0.0) {
    float c = (float) p->preemphasis;
    y[0] = (x[0] - c * x[0]) * win[0];
    for (i = 1; i < w; i++)
      y[i] = (x[i] - c * x[i - 1]) * win[i];
  } else {
    for (i = 0; i < w; i++)
      y[i] = x[i] * win[i];
  }
  if (p->use_energy && !p->raw_energy)
    energy = log_energy (fb, y, w);

  rfft_power (fb->tables, y, fb->fft_re, fb->fft_im, fb->power);

  if (p->use_energy)
    *out++ = energy;
  for (guint b = 0; b < fb->n_bins; b++) {
    const float *restrict wt = fb->mel_w + fb->mel_off[b];
    const float *restrict pw = fb->power + fb->mel_first[b];
    guint n = fb->mel_len[b], j = 0;
    /* 4 partial sums in a fixed order (see sum8 ()) */
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
    for (; j + 4 <= n; j += 4) {
      a0 += (double) wt[j] * pw[j];
      a1 += (double) wt[j + 1] * pw[j + 1];
      a2 += (double) wt[j + 2] * pw[j + 2];
      a3 += (double) wt[j + 3] * pw[j + 3];
    }
    for (; j < n; j++)
      a0 += (double) wt[j] * pw[j];
    out[b] = log_floored ((a0 + a2) + (a1 + a3));
  }
}

/* Copies frame @k's w samples (reflected at 0 and, when @total > 0, at
 * @total) into fb->frame. */
static void
gather (SeqFbank * fb, guint64 k, guint64 total)
{
  gint64 start = frame_start (fb, k);
  gint64 n = (gint64) total;

  if (start >= (gint64) fb->buf_start
      && start + fb->w <= (gint64) (fb->buf_start + fb->buf_len)) {
    memcpy (fb->frame, fb->buf + (start - (gint64) fb->buf_start),
        fb->w * sizeof (float));
    return;
  }
  for (guint i = 0; i < fb->w; i++) {
    gint64 idx = start + i;
    /* Kaldi's reflection, repeated for pathologically short streams */
    while (idx < 0 || idx >= n) {
      if (idx < 0)
        idx = -idx - 1;
      else
        idx = 2 * n - 1 - idx;
    }
    idx -= (gint64) fb->buf_start;
    /* keep_from () guarantees 0 <= idx < buf_len; clamp anyway */
    idx = CLAMP (idx, 0, (gint64) fb->buf_len - 1);
    fb->frame[i] = fb->buf[idx];
  }
}

/* Computes output frame n_done (its stack of computed frames, in order: the
 * dither is drawn in computed-frame order whatever the stack) into @out;
 * @total as for gather (). With a stack hop below the stack, the frames it
 * shares with the previous output frame are copied, not computed again:
 * every computed frame is computed once, so dither is drawn once per frame
 * and the values equal the unstacked frames'. Computed frames from @pad
 * on (the finish of overlapping stacks: see frames_total ()) are copies of
 * the frame at the same place in the last complete hop, which this output
 * frame holds already. */
static void
output_frame (SeqFbank * fb, guint64 total, guint64 pad, float *out)
{
  guint first = 0, shared = fb->stack - fb->hop;
  guint64 base = fb->n_done * fb->hop;

  if (shared > 0 && fb->n_done > 0) {
    memcpy (out, fb->overlap, (gsize) shared * fb->base_dim * sizeof (float));
    first = shared;
  }
  for (guint j = first; j < fb->stack; j++) {
    if (base + j >= pad) {
      guint64 src = pad - fb->hop + (base + j - pad) % fb->hop;
      memcpy (out + (gsize) j * fb->base_dim,
          out + (gsize) (src - base) * fb->base_dim,
          fb->base_dim * sizeof (float));
      continue;
    }
    gather (fb, base + j, total);
    compute_frame (fb, out + j * fb->base_dim);
  }
  if (shared > 0)
    memcpy (fb->overlap, out + (gsize) fb->hop * fb->base_dim,
        (gsize) shared * fb->base_dim * sizeof (float));
  fb->n_done++;
}

/* Drops samples no future frame needs. */
static void
compact (SeqFbank * fb)
{
  guint64 keep = keep_from (fb, fb->n_done);
  gsize drop;

  if (keep <= fb->buf_start)
    return;
  drop = (gsize) MIN (keep - fb->buf_start, (guint64) fb->buf_len);
  memmove (fb->buf, fb->buf + drop, (fb->buf_len - drop) * sizeof (float));
  fb->buf_len -= drop;
  fb->buf_start += drop;
}

/* Appends up to @n samples (converted by @conv) and outputs ready frames;
 * the caller checked the output room. */
#define FEED_LOOP(CONVERT) \
  G_STMT_START { \
    gsize i = 0; \
    while (i < n_samples) { \
      gsize room = fb->cap - fb->buf_len, take; \
      guint64 ready; \
      if (room < MIN (n_samples - i, (gsize) fb->w)) { \
        compact (fb); \
        room = fb->cap - fb->buf_len; \
      } \
      take = MIN (n_samples - i, room); \
      for (gsize j = 0; j < take; j++) \
        fb->buf[fb->buf_len + j] = CONVERT (samples[i + j]); \
      fb->buf_len += take; \
      fb->n_seen += take; \
      i += take; \
      ready = frames_ready (fb, fb->n_seen); \
      while (fb->n_done < ready) { \
        output_frame (fb, fb->n_seen, G_MAXUINT64, out + written * fb->dim); \
        written++; \
      } \
    } \
  } G_STMT_END

#define CONV_F32(v) ((v) * 32768.0f)
#define CONV_S16(v) ((float) (v))

gboolean
seq_fbank_feed_f32 (SeqFbank * fb, const float *samples, gsize n_samples,
    float *out, gsize max_frames, gsize * n_frames, GError ** error)
{
  gsize written = 0;

  if (n_frames)
    *n_frames = 0;
  g_return_val_if_fail (fb != NULL, FALSE);
  g_return_val_if_fail (samples != NULL || n_samples == 0, FALSE);
  g_return_val_if_fail (max_frames >= seq_fbank_frames_pending (fb,
          n_samples), FALSE);
  g_return_val_if_fail (out != NULL || max_frames == 0, FALSE);

  for (gsize i = 0; i < n_samples; i++) {
    if (!isfinite (samples[i])) {
      g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_NON_FINITE,
          "sample %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " is %s "
          "(stream sample %" G_GUINT64_FORMAT ")", i, n_samples,
          isnan (samples[i]) ? "NaN" : "infinite", fb->n_seen + i);
      return FALSE;
    }
  }
  FEED_LOOP (CONV_F32);
  if (n_frames)
    *n_frames = written;
  return TRUE;
}

gsize
seq_fbank_feed_s16 (SeqFbank * fb, const gint16 * samples, gsize n_samples,
    float *out, gsize max_frames)
{
  gsize written = 0;

  g_return_val_if_fail (fb != NULL, 0);
  g_return_val_if_fail (samples != NULL || n_samples == 0, 0);
  g_return_val_if_fail (max_frames >= seq_fbank_frames_pending (fb,
          n_samples), 0);
  g_return_val_if_fail (out != NULL || max_frames == 0, 0);

  FEED_LOOP (CONV_S16);
  return written;
}

gsize
seq_fbank_finish (SeqFbank * fb, float *out, gsize max_frames)
{
  gsize pending, written = 0;
  guint64 total, pad;

  g_return_val_if_fail (fb != NULL, 0);
  pending = seq_fbank_finish_pending (fb);
  g_return_val_if_fail (max_frames >= pending, 0);
  g_return_val_if_fail (out != NULL || pending == 0, 0);

  total = fb->n_seen;
  pad = fb->hop < fb->stack ? pad_from (fb, total) : G_MAXUINT64;
  for (gsize f = 0; f < pending; f++) {
    output_frame (fb, total, pad, out + written * fb->dim);
    written++;
  }
  seq_fbank_reset (fb);
  return written;
}

void
seq_fbank_get_mel_filter (const SeqFbank * fb, guint bin, float *out)
{
  g_return_if_fail (fb != NULL && out != NULL);
  g_return_if_fail (bin < fb->n_bins);

  memset (out, 0, fb->n_fft / 2 * sizeof (float));
  memcpy (out + fb->mel_first[bin], fb->mel_w + fb->mel_off[bin],
      fb->mel_len[bin] * sizeof (float));
}

/* ---- State blob ----
 *
 * Little-endian, version 1:
 *   [0]  u32 magic "SQFB" (0x42465153)   [4]  u32 version = 1
 *   [8]  u64 fingerprint of the parameters (FNV-1a 64 over every field)
 *   [16] u64 samples fed                 [24] u64 frames output
 *   [32] u64 dither generator state      [40] u32 has spare Gaussian
 *   [44] u32 number of held samples H    [48] f64 spare Gaussian
 *   [56] H f32 held samples: absolute indices [keep_from, samples fed)
 *   [56 + 4H] V f32 the overlap: the computed frames the last output frame
 *        shares with the next, V = (stack - stack hop) * its width when the
 *        stack hop is below the stack and a frame was output, else V = 0
 *   [56 + 4H + 4V] u32 FNV-1a 32 checksum of every byte before it
 * The held samples start at keep_from (frames output), so the blob does not
 * depend on how the stream was split into feed calls. (The overlap section
 * came with the stack hop; blobs without one are laid out as before.)
 */
#define FBANK_MAGIC 0x42465153u
#define FBANK_VERSION 1u
#define FBANK_HEADER 56u

/* Floats in the blob's overlap section after @n_done output frames. */
static gsize
overlap_len (const SeqFbank * fb, guint64 n_done)
{
  if (fb->hop == fb->stack || n_done == 0)
    return 0;
  return (gsize) (fb->stack - fb->hop) * fb->base_dim;
}

static guint64
fnv_u64 (guint64 h, guint64 v)
{
  v = GUINT64_TO_LE (v);
  return seq_fnv1a64 (h, &v, sizeof v);
}

static guint64
fnv_f64 (guint64 h, double d)
{
  guint64 v;
  memcpy (&v, &d, sizeof v);
  return fnv_u64 (h, v);
}

static guint64
params_fingerprint (const SeqFbankParams * p)
{
  guint64 h = SEQ_FNV64_OFFSET;
  h = fnv_f64 (h, p->sample_rate);
  h = fnv_f64 (h, p->frame_length_ms);
  h = fnv_f64 (h, p->frame_shift_ms);
  h = fnv_u64 (h, p->num_mel_bins);
  h = fnv_f64 (h, p->low_freq);
  h = fnv_f64 (h, p->high_freq);
  h = fnv_f64 (h, p->preemphasis);
  h = fnv_u64 (h, p->remove_dc_offset ? 1 : 0);
  h = fnv_u64 (h, (guint64) p->window);
  h = fnv_f64 (h, p->blackman_coeff);
  h = fnv_u64 (h, p->use_energy ? 1 : 0);
  h = fnv_u64 (h, p->raw_energy ? 1 : 0);
  h = fnv_f64 (h, p->energy_floor);
  h = fnv_u64 (h, p->snip_edges ? 1 : 0);
  h = fnv_f64 (h, p->dither);
  h = fnv_u64 (h, p->dither_seed);
  /* (hashed only when used: blobs written before stacking existed, all
   * with stack 1, keep their fingerprint) */
  if (p->stack != 1)
    h = fnv_u64 (h, p->stack);
  /* likewise the stack hop, when it differs from the stack */
  if (p->stack_hop != 0 && p->stack_hop != p->stack)
    h = fnv_u64 (h, 0x10000u | p->stack_hop);
  return h;
}

GBytes *
seq_fbank_state_save (const SeqFbank * fb)
{
  guint64 keep, spare_bits;
  gsize held, size, n_overlap;
  const float *src;
  guint8 *blob;

  g_return_val_if_fail (fb != NULL, NULL);

  keep = MAX (keep_from (fb, fb->n_done), fb->buf_start);
  held = (gsize) (fb->n_seen - keep);
  src = fb->buf + (keep - fb->buf_start);
  n_overlap = overlap_len (fb, fb->n_done);
  size = FBANK_HEADER + 4 * held + 4 * n_overlap + 4;
  blob = g_malloc (size);

  put_u32 (blob, FBANK_MAGIC);
  put_u32 (blob + 4, FBANK_VERSION);
  put_u64 (blob + 8, params_fingerprint (&fb->params));
  put_u64 (blob + 16, fb->n_seen);
  put_u64 (blob + 24, fb->n_done);
  put_u64 (blob + 32, fb->rng.state);
  put_u32 (blob + 40, fb->have_spare ? 1 : 0);
  put_u32 (blob + 44, (guint32) held);
  memcpy (&spare_bits, &fb->spare, 8);
  put_u64 (blob + 48, spare_bits);
  for (gsize i = 0; i < held; i++) {
    guint32 bits;
    memcpy (&bits, &src[i], 4);
    put_u32 (blob + FBANK_HEADER + 4 * i, bits);
  }
  for (gsize i = 0; i < n_overlap; i++) {
    guint32 bits;
    memcpy (&bits, &fb->overlap[i], 4);
    put_u32 (blob + FBANK_HEADER + 4 * (held + i), bits);
  }
  put_u32 (blob + size - 4, seq_fnv1a32 (SEQ_FNV32_OFFSET, blob, size - 4));
  return g_bytes_new_take (blob, size);
}

gboolean
seq_fbank_state_restore (SeqFbank * fb, GBytes * bytes, GError ** error)
{
  const guint8 *p;
  gsize size, held, n_overlap;
  guint64 n_seen, n_done, keep, spare_bits;

  g_return_val_if_fail (fb != NULL, FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);

  p = g_bytes_get_data (bytes, &size);
  if (size < FBANK_HEADER + 4 || get_u32 (p) != FBANK_MAGIC) {
    g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_STATE,
        "not an fbank state blob (%" G_GSIZE_FORMAT " bytes)", size);
    return FALSE;
  }
  if (get_u32 (p + 4) != FBANK_VERSION) {
    g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_STATE,
        "fbank state blob version %u, expected %u", get_u32 (p + 4),
        FBANK_VERSION);
    return FALSE;
  }
  held = get_u32 (p + 44);
  n_overlap = overlap_len (fb, get_u64 (p + 24));
  if (held > fb->cap || size != FBANK_HEADER + 4 * held + 4 * n_overlap + 4
      || get_u32 (p + size - 4) != seq_fnv1a32 (SEQ_FNV32_OFFSET, p,
          size - 4)) {
    g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_STATE,
        "fbank state blob is truncated or corrupt");
    return FALSE;
  }
  if (get_u64 (p + 8) != params_fingerprint (&fb->params)) {
    g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_STATE,
        "fbank state blob was written with other parameters");
    return FALSE;
  }
  n_seen = get_u64 (p + 16);
  n_done = get_u64 (p + 24);
  /* bound the counts before any sample arithmetic on them (a lying blob
   * must not overflow frame_start): 2^62 samples are 9 million years */
  if (n_seen > (G_GUINT64_CONSTANT (1) << 62)
      || n_done > (G_GUINT64_CONSTANT (1) << 62) / fb->s / fb->stack) {
    g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_STATE,
        "fbank state blob has absurd counts (%" G_GUINT64_FORMAT " samples, %"
        G_GUINT64_FORMAT " frames)", n_seen, n_done);
    return FALSE;
  }
  keep = keep_from (fb, n_done);
  if (n_done != frames_ready (fb, n_seen) || n_seen < keep
      || n_seen - keep != held || held > fb->cap) {
    g_set_error (error, SEQ_FBANK_ERROR, SEQ_FBANK_ERROR_STATE,
        "fbank state blob is inconsistent (%" G_GUINT64_FORMAT " samples, %"
        G_GUINT64_FORMAT " frames, %" G_GSIZE_FORMAT " held)", n_seen,
        n_done, held);
    return FALSE;
  }

  fb->n_seen = n_seen;
  fb->n_done = n_done;
  fb->rng.state = get_u64 (p + 32);
  fb->have_spare = get_u32 (p + 40) != 0;
  spare_bits = get_u64 (p + 48);
  memcpy (&fb->spare, &spare_bits, 8);
  fb->buf_start = keep;
  fb->buf_len = held;
  for (gsize i = 0; i < held; i++) {
    guint32 bits = get_u32 (p + FBANK_HEADER + 4 * i);
    memcpy (&fb->buf[i], &bits, 4);
  }
  for (gsize i = 0; i < n_overlap; i++) {
    guint32 bits = get_u32 (p + FBANK_HEADER + 4 * (held + i));
    memcpy (&fb->overlap[i], &bits, 4);
  }
  return TRUE;
}
