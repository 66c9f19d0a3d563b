/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — scrolling heatmap of frames (see heatmap.h). */
#include "seqenc/heatmap.h"
#include "seqenc/common.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (seq-heatmap-error-quark, seq_heatmap_error);

#define DEFAULT_WIDTH 256
#define DEFAULT_ROW_HEIGHT 1
#define DEFAULT_SCALING SEQ_HEATMAP_SCALING_PERCENTILE
#define DEFAULT_MIN (-1.0f)
#define DEFAULT_MAX 1.0f
#define DEFAULT_PERCENTILE_LOW 2.0
#define DEFAULT_PERCENTILE_HIGH 98.0
#define DEFAULT_WINDOW 0

/* Colour levels, as matplotlib's colormaps (N = 256). */
#define LEVELS 256

/* viridis: uniform cubic B-spline, 20 segments, control values fitted by
 * tests/gen_viridis_fit.py (least squares against matplotlib's 256 colours);
 * max error at the samples R 0.018 G 0.175 B 0.111 (1/255 steps), and the
 * same between them against matplotlib's linear interpolation. */
#define VIRIDIS_SEGMENTS 20
static const double viridis_ctrl[VIRIDIS_SEGMENTS + 3][3] = {
  {0.243483478, -0.052108537, 0.249202436},
  {0.268944331, -0.000808760, 0.331006473},
  {0.282770665, 0.080585269, 0.403264375},
  {0.284441419, 0.143175207, 0.462214587},
  {0.274279970, 0.206478785, 0.505060680},
  {0.254761024, 0.265693425, 0.532026537},
  {0.230285388, 0.322015531, 0.546737650},
  {0.205415541, 0.374194976, 0.553965417},
  {0.183004419, 0.423653881, 0.557349953},
  {0.163442987, 0.471234050, 0.558551755},
  {0.145004622, 0.518182042, 0.557319804},
  {0.127206819, 0.565083970, 0.551982098},
  {0.115260447, 0.612113358, 0.540139378},
  {0.128224717, 0.658825799, 0.519445585},
  {0.179673151, 0.704396434, 0.487987646},
  {0.260075314, 0.747709998, 0.444643169},
  {0.360360629, 0.787506271, 0.388653062},
  {0.475591424, 0.822453590, 0.320258716},
  {0.602292536, 0.851343071, 0.239634064},
  {0.736139533, 0.873588306, 0.151205375},
  {0.869963966, 0.890449473, 0.073289017},
  {0.995388469, 0.905716409, 0.130677176},
  {1.107933139, 0.923651616, 0.270229559},
};

struct _SeqHeatmap
{
  SeqHeatmapParams p;
  guint window;                 /* resolved: frames the percentiles look at */
  guint history;                /* frames kept: max (width, window) */
  float *ring;                  /* [history][dim] */
  float *scratch;               /* [window * dim], the finite values */
  guint8 *line;                 /* one row of pixels, width * 3 */
  guint head;                   /* slot of the next frame */
  guint64 frames;               /* pushed since the last reset */
  guint8 lut[LEVELS][3];
};

void
seq_heatmap_viridis (double t, double rgb[3])
{
  double u, b[4];
  guint s, c, j;

  if (!(t > 0.0))
    t = 0.0;                    /* NaN too */
  if (t > 1.0)
    t = 1.0;
  s = (guint) floor (t * VIRIDIS_SEGMENTS);
  if (s > VIRIDIS_SEGMENTS - 1)
    s = VIRIDIS_SEGMENTS - 1;
  u = t * VIRIDIS_SEGMENTS - s;
  b[0] = (1.0 - u) * (1.0 - u) * (1.0 - u) / 6.0;
  b[1] = (3.0 * u * u * u - 6.0 * u * u + 4.0) / 6.0;
  b[2] = (-3.0 * u * u * u + 3.0 * u * u + 3.0 * u + 1.0) / 6.0;
  b[3] = u * u * u / 6.0;
  for (c = 0; c < 3; c++) {
    double v = 0.0;
    for (j = 0; j < 4; j++)
      v += viridis_ctrl[s + j][c] * b[j];
    rgb[c] = CLAMP (v, 0.0, 1.0);
  }
}

SeqHeatmapParams
seq_heatmap_params_default (void)
{
  SeqHeatmapParams p = {
    .dim = 0,
    .width = DEFAULT_WIDTH,
    .row_height = DEFAULT_ROW_HEIGHT,
    .scaling = DEFAULT_SCALING,
    .min = DEFAULT_MIN,
    .max = DEFAULT_MAX,
    .percentile_low = DEFAULT_PERCENTILE_LOW,
    .percentile_high = DEFAULT_PERCENTILE_HIGH,
    .window = DEFAULT_WINDOW,
  };
  return p;
}

static gboolean
check_scaling (const SeqHeatmapParams * p, GError ** error)
{
  if (p->scaling != SEQ_HEATMAP_SCALING_FIXED
      && p->scaling != SEQ_HEATMAP_SCALING_PERCENTILE) {
    g_set_error (error, SEQ_HEATMAP_ERROR, SEQ_HEATMAP_ERROR_CONFIG,
        "unknown scaling %d", (int) p->scaling);
    return FALSE;
  }
  if (!isfinite (p->min) || !isfinite (p->max) || !(p->min < p->max)) {
    g_set_error (error, SEQ_HEATMAP_ERROR, SEQ_HEATMAP_ERROR_CONFIG,
        "min (%g) must be below max (%g), both finite", p->min, p->max);
    return FALSE;
  }
  if (!(p->percentile_low >= 0.0 && p->percentile_low < p->percentile_high
          && p->percentile_high <= 100.0)) {
    g_set_error (error, SEQ_HEATMAP_ERROR, SEQ_HEATMAP_ERROR_CONFIG,
        "percentiles must satisfy 0 <= low < high <= 100 (low %g, high %g)",
        p->percentile_low, p->percentile_high);
    return FALSE;
  }
  return TRUE;
}

gboolean
seq_heatmap_params_validate (const SeqHeatmapParams * p, GError ** error)
{
  guint history;

  g_return_val_if_fail (p != NULL, FALSE);

  if (p->dim == 0 || p->dim > SEQ_HEATMAP_MAX_SIDE) {
    g_set_error (error, SEQ_HEATMAP_ERROR, SEQ_HEATMAP_ERROR_CONFIG,
        "dim %u is out of range (1 to %u)", p->dim, SEQ_HEATMAP_MAX_SIDE);
    return FALSE;
  }
  if (p->width == 0 || p->width > SEQ_HEATMAP_MAX_SIDE) {
    g_set_error (error, SEQ_HEATMAP_ERROR, SEQ_HEATMAP_ERROR_CONFIG,
        "width %u is out of range (1 to %u)", p->width, SEQ_HEATMAP_MAX_SIDE);
    return FALSE;
  }
  if (p->row_height == 0
      || (guint64) p->dim * p->row_height > SEQ_HEATMAP_MAX_SIDE) {
    g_set_error (error, SEQ_HEATMAP_ERROR, SEQ_HEATMAP_ERROR_CONFIG,
        "row_height %u x dim %u: the image height must be 1 to %u",
        p->row_height, p->dim, SEQ_HEATMAP_MAX_SIDE);
    return FALSE;
  }
  history = MAX (p->width, p->window);
  if ((guint64) history * p->dim > SEQ_HEATMAP_MAX_VALUES) {
    g_set_error (error, SEQ_HEATMAP_ERROR, SEQ_HEATMAP_ERROR_CONFIG,
        "%u frames of %u values are more than the %u values a heatmap "
        "keeps (lower width or window)", history, p->dim,
        SEQ_HEATMAP_MAX_VALUES);
    return FALSE;
  }
  return check_scaling (p, error);
}

SeqHeatmap *
seq_heatmap_new (const SeqHeatmapParams * params, GError ** error)
{
  SeqHeatmap *hm;
  guint k;

  if (!seq_heatmap_params_validate (params, error))
    return NULL;
  hm = g_new0 (SeqHeatmap, 1);
  hm->p = *params;
  hm->window = params->window ? params->window : params->width;
  hm->history = MAX (params->width, hm->window);
  hm->ring = g_new0 (float, (gsize) hm->history * params->dim);
  hm->scratch = g_new (float, (gsize) hm->window * params->dim);
  hm->line = g_new (guint8, (gsize) params->width * 3);
  for (k = 0; k < LEVELS; k++) {
    double rgb[3];
    seq_heatmap_viridis ((double) k / (LEVELS - 1), rgb);
    for (guint c = 0; c < 3; c++)
      hm->lut[k][c] = (guint8) lround (255.0 * rgb[c]);
  }
  return hm;
}

void
seq_heatmap_free (SeqHeatmap * hm)
{
  if (hm == NULL)
    return;
  g_free (hm->ring);
  g_free (hm->scratch);
  g_free (hm->line);
  g_free (hm);
}

gboolean
seq_heatmap_set_scaling (SeqHeatmap * hm, const SeqHeatmapParams * params,
    GError ** error)
{
  g_return_val_if_fail (hm != NULL && params != NULL, FALSE);

  if (!check_scaling (params, error))
    return FALSE;
  hm->p.scaling = params->scaling;
  hm->p.min = params->min;
  hm->p.max = params->max;
  hm->p.percentile_low = params->percentile_low;
  hm->p.percentile_high = params->percentile_high;
  return TRUE;
}

guint
seq_heatmap_image_width (const SeqHeatmap * hm)
{
  return hm->p.width;
}

guint
seq_heatmap_image_height (const SeqHeatmap * hm)
{
  return hm->p.dim * hm->p.row_height;
}

void
seq_heatmap_reset (SeqHeatmap * hm)
{
  hm->head = 0;
  hm->frames = 0;
}

guint64
seq_heatmap_frames (const SeqHeatmap * hm)
{
  return hm->frames;
}

void
seq_heatmap_feed (SeqHeatmap * hm, const float *frames, gsize n_frames)
{
  gsize dim = hm->p.dim;

  /* only the last history frames can be seen */
  if (n_frames > hm->history) {
    frames += (n_frames - hm->history) * dim;
    hm->frames += n_frames - hm->history;
    n_frames = hm->history;
  }
  while (n_frames > 0) {
    gsize run = MIN (n_frames, (gsize) (hm->history - hm->head));
    memcpy (hm->ring + (gsize) hm->head * dim, frames, run * dim *
        sizeof (float));
    frames += run * dim;
    n_frames -= run;
    hm->frames += run;
    hm->head = (hm->head + run) % hm->history;
  }
}

/* Slot of the frame @age frames before the newest (age < history). */
static inline guint
slot_of (const SeqHeatmap * hm, guint age)
{
  return (hm->head + hm->history - 1 - age) % hm->history;
}

static inline void
swap_f (float *a, gssize i, gssize j)
{
  float t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/* The @k-th smallest of @a [0, n) (all finite), partially reordering @a so
 * that every value after index k is >= it (Hoare partition, median of
 * three: no quadratic case on sorted or constant input). */
static float
select_kth (float *a, gssize n, gssize k)
{
  gssize lo = 0, hi = n - 1;

  while (hi > lo) {
    gssize mid = lo + (hi - lo) / 2, i, j;
    float pivot;

    if (a[mid] < a[lo])
      swap_f (a, mid, lo);
    if (a[hi] < a[lo])
      swap_f (a, hi, lo);
    if (a[hi] < a[mid])
      swap_f (a, hi, mid);
    pivot = a[mid];
    i = lo;
    j = hi;
    while (i <= j) {
      while (a[i] < pivot)
        i++;
      while (a[j] > pivot)
        j--;
      if (i <= j) {
        swap_f (a, i, j);
        i++;
        j--;
      }
    }
    /* [lo, j] <= pivot, (j, i) == pivot, [i, hi] >= pivot */
    if (k <= j)
      hi = j;
    else if (k >= i)
      lo = i;
    else
      break;
  }
  return a[k];
}

/* numpy.percentile (method "linear") of @a [0, n), n > 0, all finite. */
static float
percentile (float *a, gssize n, double p)
{
  double pos = p / 100.0 * (double) (n - 1);
  gssize k = (gssize) floor (pos);
  double frac = pos - (double) k, lo, hi, d;

  if (k >= n - 1)
    return select_kth (a, n, n - 1);
  lo = select_kth (a, n, k);
  if (frac == 0.0)
    return (float) lo;
  /* the next order statistic: the smallest value after k */
  hi = a[k + 1];
  for (gssize i = k + 2; i < n; i++)
    if (a[i] < hi)
      hi = a[i];
  /* numpy's _lerp: from the nearer end */
  d = hi - lo;
  return (float) (frac >= 0.5 ? hi - d * (1.0 - frac) : lo + d * frac);
}

void
seq_heatmap_get_scale (SeqHeatmap * hm, float *lo, float *hi)
{
  guint n_frames, f;
  gsize dim = hm->p.dim, n = 0;

  if (hm->p.scaling == SEQ_HEATMAP_SCALING_FIXED) {
    *lo = hm->p.min;
    *hi = hm->p.max;
    return;
  }
  n_frames = (guint) MIN (hm->frames, (guint64) hm->window);
  for (f = 0; f < n_frames; f++) {
    const float *x = hm->ring + (gsize) slot_of (hm, f) * dim;
    for (gsize i = 0; i < dim; i++)
      if (isfinite (x[i]))
        hm->scratch[n++] = x[i];
  }
  if (n == 0) {
    *lo = *hi = 0.0f;
    return;
  }
  *lo = percentile (hm->scratch, (gssize) n, hm->p.percentile_low);
  *hi = percentile (hm->scratch, (gssize) n, hm->p.percentile_high);
}

void
seq_heatmap_render_rgb (SeqHeatmap * hm, guint8 * pixels, gsize stride)
{
  static const guint8 nan_rgb[3] = { SEQ_HEATMAP_NAN_R, SEQ_HEATMAP_NAN_G,
    SEQ_HEATMAP_NAN_B
  };
  static const guint8 empty_rgb[3] = { SEQ_HEATMAP_EMPTY_R,
    SEQ_HEATMAP_EMPTY_G, SEQ_HEATMAP_EMPTY_B
  };
  guint width = hm->p.width, dim = hm->p.dim, rh = hm->p.row_height;
  guint empty, x, r, k;
  float lo, hi;
  double scale;

  g_return_if_fail (stride >= (gsize) width * 3);

  seq_heatmap_get_scale (hm, &lo, &hi);
  /* levels per unit of value; 0: every finite value in the middle */
  scale = hi > lo ? LEVELS / ((double) hi - (double) lo) : 0.0;
  empty = hm->frames < width ? width - (guint) hm->frames : 0;

  for (r = 0; r < dim; r++) {
    guint8 *out = hm->line;

    for (x = 0; x < empty; x++, out += 3)
      memcpy (out, empty_rgb, 3);
    for (; x < width; x++, out += 3) {
      float v = hm->ring[(gsize) slot_of (hm, width - 1 - x) * dim + r];
      guint level;

      if (isnan (v)) {
        memcpy (out, nan_rgb, 3);
        continue;
      }
      if (scale == 0.0) {
        level = LEVELS / 2;
      } else {
        double t = ((double) v - lo) * scale;
        level = !(t > 0.0) ? 0 : t >= LEVELS - 1 ? LEVELS - 1 : (guint) t;
      }
      memcpy (out, hm->lut[level], 3);
    }
    for (k = 0; k < rh; k++)
      memcpy (pixels + ((gsize) r * rh + k) * stride, hm->line,
          (gsize) width * 3);
  }
}
