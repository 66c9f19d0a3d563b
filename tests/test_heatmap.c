/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — heatmap: the computed viridis against matplotlib's, the
 * value-to-colour mapping, scrolling, fixed and percentile scaling (against
 * numpy.percentile), NaN/Inf, parameter checks. Golden data:
 * tests/gen_viridis_fit.py. */
#include "seqtest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <seqenc/heatmap.h>

/* Largest error of the fitted spline against matplotlib's viridis, per
 * channel in [0, 1]: gen_viridis_fit.py reports 0.175/255 (green) at the
 * samples and between them; 0.2/255 leaves room for printing the control
 * values with 9 digits. */
#define VIRIDIS_FIT_TOL (0.2 / 255.0)
/* An 8-bit channel is round (255 c): at most half a step plus the fit error
 * from 255 * matplotlib. */
#define BYTE_TOL (0.5 + 255.0 * VIRIDIS_FIT_TOL)
/* numpy computes the percentile in double and the golden file holds it
 * rounded to float32; so does the library: they agree to float32 rounding
 * of the same double, allow one float32 step. */
#define PERCENTILE_REL_TOL 1.2e-7

static double viridis_ref[256][3];
static gboolean have_ref;

static void
load_viridis_ref (void)
{
  gchar *path = seq_test_data_path ("viridis_matplotlib.txt");
  FILE *f = fopen (path, "r");
  int k;

  CU_ASSERT_PTR_NOT_NULL_FATAL (f);
  for (k = 0; k < 256; k++)
    CU_ASSERT_EQUAL_FATAL (fscanf (f, "%lf %lf %lf", &viridis_ref[k][0],
            &viridis_ref[k][1], &viridis_ref[k][2]), 3);
  fclose (f);
  g_free (path);
  have_ref = TRUE;
}

/* Is the pixel @px the 8-bit colour of matplotlib's level @level? */
static gboolean
is_level_colour (const guint8 * px, guint level)
{
  if (!have_ref)
    load_viridis_ref ();
  for (int c = 0; c < 3; c++)
    if (fabs (px[c] - 255.0 * viridis_ref[level][c]) > BYTE_TOL)
      return FALSE;
  return TRUE;
}

static gboolean
is_rgb (const guint8 * px, guint8 r, guint8 g, guint8 b)
{
  return px[0] == r && px[1] == g && px[2] == b;
}

static SeqHeatmap *
fixed_heatmap (guint dim, guint width, float min, float max)
{
  SeqHeatmapParams p = seq_heatmap_params_default ();
  SeqHeatmap *hm;

  p.dim = dim;
  p.width = width;
  p.scaling = SEQ_HEATMAP_SCALING_FIXED;
  p.min = min;
  p.max = max;
  hm = seq_heatmap_new (&p, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (hm);
  return hm;
}

static void
heatmap_viridis_matches_matplotlib_within_fit_error (void)
{
  double worst = 0.0;

  load_viridis_ref ();
  /* at matplotlib's samples (k / 255) and half way between them, against
   * its linear interpolation */
  for (int k = 0; k < 511; k++) {
    double rgb[3], t = k / 510.0;
    seq_heatmap_viridis (t, rgb);
    for (int c = 0; c < 3; c++) {
      double ref = k % 2 == 0 ? viridis_ref[k / 2][c] :
          0.5 * (viridis_ref[k / 2][c] + viridis_ref[k / 2 + 1][c]);
      worst = MAX (worst, fabs (rgb[c] - ref));
    }
  }
  CU_ASSERT (worst <= VIRIDIS_FIT_TOL);
  if (worst > VIRIDIS_FIT_TOL)
    fprintf (stderr, "\n  viridis max error %.3f / 255\n", worst * 255);

  /* out of range and NaN are clamped: the end colours */
  {
    double a[3], b[3];
    seq_heatmap_viridis (-3.0, a);
    seq_heatmap_viridis (0.0, b);
    CU_ASSERT (memcmp (a, b, sizeof (a)) == 0);
    seq_heatmap_viridis (NAN, a);
    CU_ASSERT (memcmp (a, b, sizeof (a)) == 0);
    seq_heatmap_viridis (7.0, a);
    seq_heatmap_viridis (1.0, b);
    CU_ASSERT (memcmp (a, b, sizeof (a)) == 0);
  }
}

/* 256 frames at the centres of the 256 levels of [-1, 1]: column k has
 * matplotlib's colour k (and the frames scroll in order). */
static void
heatmap_fixed_scale_colours_are_matplotlib_levels (void)
{
  SeqHeatmap *hm = fixed_heatmap (1, 256, -1.0f, 1.0f);
  guint8 img[256 * 3];
  guint bad = 0;

  for (int k = 0; k < 256; k++) {
    float v = -1.0f + 2.0f * (k + 0.5f) / 256.0f;
    seq_heatmap_feed (hm, &v, 1);
  }
  seq_heatmap_render_rgb (hm, img, sizeof (img));
  for (int k = 0; k < 256; k++)
    bad += !is_level_colour (img + 3 * k, k);
  CU_ASSERT_EQUAL (bad, 0);
  seq_heatmap_free (hm);
}

static void
heatmap_fixed_scale_clamps_and_colours_nan_and_inf (void)
{
  const float v[8] = { -1.0f, 1.0f, -5.0f, 9.0f, INFINITY, -INFINITY, NAN,
    0.999f
  };
  SeqHeatmap *hm = fixed_heatmap (1, 8, -1.0f, 1.0f);
  guint8 img[8 * 3];

  seq_heatmap_feed (hm, v, 8);
  seq_heatmap_render_rgb (hm, img, sizeof (img));
  CU_ASSERT (is_level_colour (img + 0, 0));
  CU_ASSERT (is_level_colour (img + 3, 255));
  CU_ASSERT (is_level_colour (img + 6, 0));
  CU_ASSERT (is_level_colour (img + 9, 255));
  CU_ASSERT (is_level_colour (img + 12, 255));
  CU_ASSERT (is_level_colour (img + 15, 0));
  CU_ASSERT (is_rgb (img + 18, SEQ_HEATMAP_NAN_R, SEQ_HEATMAP_NAN_G,
          SEQ_HEATMAP_NAN_B));
  CU_ASSERT (is_level_colour (img + 21, 255));
  /* the two ends of viridis really differ (dark purple, yellow) */
  CU_ASSERT (img[0] < 100 && img[3] > 200);
  seq_heatmap_free (hm);
}

/* width 4, dim 2, row_height 3 into a padded stride: the newest frame at
 * the right, unfilled columns black, rows repeated, padding untouched. */
static void
heatmap_scrolls_left_newest_at_right_edge (void)
{
  SeqHeatmapParams p = seq_heatmap_params_default ();
  /* frame f: row 0 at level 40 * f, row 1 at level 255 - 40 * f */
  const gsize stride = 4 * 3 + 5;
  guint8 img[6 * (4 * 3 + 5)];
  SeqHeatmap *hm;

  p.dim = 2;
  p.width = 4;
  p.row_height = 3;
  p.scaling = SEQ_HEATMAP_SCALING_FIXED;
  p.min = 0.0f;
  p.max = 256.0f;
  hm = seq_heatmap_new (&p, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (hm);
  CU_ASSERT_EQUAL (seq_heatmap_image_width (hm), 4);
  CU_ASSERT_EQUAL (seq_heatmap_image_height (hm), 6);

  for (guint f = 0; f < 6; f++) {
    float frame[2] = { 40.0f * f + 0.5f, 255.0f - 40.0f * f + 0.5f };
    seq_heatmap_feed (hm, frame, 1);
    memset (img, 0xAB, sizeof (img));
    seq_heatmap_render_rgb (hm, img, stride);
    CU_ASSERT_EQUAL (seq_heatmap_frames (hm), f + 1);
    for (guint y = 0; y < 6; y++) {
      guint row = y / 3;
      for (guint x = 0; x < 4; x++) {
        const guint8 *px = img + y * stride + 3 * x;
        /* column x shows frame f - (3 - x) */
        gint shown = (gint) f - (3 - (gint) x);
        if (shown < 0) {
          CU_ASSERT (is_rgb (px, SEQ_HEATMAP_EMPTY_R, SEQ_HEATMAP_EMPTY_G,
                  SEQ_HEATMAP_EMPTY_B));
        } else {
          CU_ASSERT (is_level_colour (px, row == 0 ? 40 * shown :
                  255 - 40 * shown));
        }
      }
      for (gsize b = 12; b < stride; b++)
        CU_ASSERT_EQUAL (img[y * stride + b], 0xAB);
    }
  }
  seq_heatmap_free (hm);
}

/* Any split of the frames into push calls draws the same picture, also
 * when one call brings more frames than the history holds. */
static void
heatmap_push_chunking_gives_the_same_picture (void)
{
  const guint dim = 5, width = 7, n = 40;
  float *x = g_new (float, n * dim);
  SeqHeatmapParams p = seq_heatmap_params_default ();
  guint8 a[7 * 3 * 5], b[7 * 3 * 5];
  SeqHeatmap *one, *split;

  for (guint i = 0; i < n * dim; i++)
    x[i] = sinf (0.37f * i) * (1.0f + i % 3);
  p.dim = dim;
  p.width = width;
  p.window = 11;
  one = seq_heatmap_new (&p, NULL);
  split = seq_heatmap_new (&p, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (one);
  CU_ASSERT_PTR_NOT_NULL_FATAL (split);
  seq_heatmap_feed (one, x, n);
  for (guint i = 0, step = 1; i < n; i += step, step = step % 4 + 1)
    seq_heatmap_feed (split, x + i * dim, MIN (step, n - i));
  CU_ASSERT_EQUAL (seq_heatmap_frames (one), n);
  CU_ASSERT_EQUAL (seq_heatmap_frames (split), n);
  seq_heatmap_render_rgb (one, a, width * 3);
  seq_heatmap_render_rgb (split, b, width * 3);
  CU_ASSERT (memcmp (a, b, sizeof (a)) == 0);
  seq_heatmap_free (one);
  seq_heatmap_free (split);
  g_free (x);
}

static void
heatmap_percentile_scale_matches_numpy (void)
{
  gchar *path = seq_test_data_path ("heatmap_percentile.txt");
  FILE *f = fopen (path, "r");
  char line[256];
  guint frames, dim, cases = 0, bad = 0;

  CU_ASSERT_PTR_NOT_NULL_FATAL (f);
  CU_ASSERT_PTR_NOT_NULL_FATAL (fgets (line, sizeof (line), f));
  while (fscanf (f, "%u %u", &frames, &dim) == 2) {
    double pl[4], ph[4];
    float el[4], eh[4];
    float *v = g_new (float, (gsize) frames * dim);

    for (int j = 0; j < 4; j++)
      CU_ASSERT_EQUAL_FATAL (fscanf (f, "%lf %lf %f %f", &pl[j], &ph[j],
              &el[j], &eh[j]), 4);
    for (guint i = 0; i < frames * dim; i++) {
      char tok[64];
      CU_ASSERT_EQUAL_FATAL (fscanf (f, "%63s", tok), 1);
      /* strtof reads "nan", "inf", "-inf" */
      v[i] = strtof (tok, NULL);
    }
    for (int j = 0; j < 4; j++) {
      SeqHeatmapParams p = seq_heatmap_params_default ();
      SeqHeatmap *hm;
      float lo, hi;

      p.dim = dim;
      p.width = frames;
      p.percentile_low = pl[j];
      p.percentile_high = ph[j];
      hm = seq_heatmap_new (&p, NULL);
      CU_ASSERT_PTR_NOT_NULL_FATAL (hm);
      seq_heatmap_feed (hm, v, frames);
      seq_heatmap_get_scale (hm, &lo, &hi);
      if (fabsf (lo - el[j]) > PERCENTILE_REL_TOL * MAX (1.0f, fabsf (el[j]))
          || fabsf (hi - eh[j]) > PERCENTILE_REL_TOL * MAX (1.0f,
              fabsf (eh[j]))) {
        fprintf (stderr, "\n  %ux%u p(%g, %g): got (%.9g, %.9g), numpy "
            "(%.9g, %.9g)\n", frames, dim, pl[j], ph[j], lo, hi, el[j],
            eh[j]);
        bad++;
      }
      cases++;
      seq_heatmap_free (hm);
    }
    g_free (v);
  }
  fclose (f);
  g_free (path);
  CU_ASSERT_EQUAL (cases, 20);
  CU_ASSERT_EQUAL (bad, 0);
}

static int
cmp_float (const void *a, const void *b)
{
  float x = *(const float *) a, y = *(const float *) b;
  return (x > y) - (x < y);
}

/* The selection against a full sort with numpy's formula, on inputs that
 * trouble quickselects: sorted, reversed, constant, few distinct values. */
static void
heatmap_percentile_selection_agrees_with_sorting (void)
{
  const guint n = 301;
  float *v = g_new (float, n), *s = g_new (float, n);
  guint bad = 0;

  for (int kind = 0; kind < 5; kind++) {
    for (guint i = 0; i < n; i++) {
      switch (kind) {
        case 0:
          v[i] = (float) i;
          break;
        case 1:
          v[i] = (float) (n - i);
          break;
        case 2:
          v[i] = 2.5f;
          break;
        case 3:
          v[i] = (float) ((i * 7919) % 3);
          break;
        default:
          v[i] = sinf (i * 1.7f) * 100.0f;
          break;
      }
    }
    memcpy (s, v, n * sizeof (float));
    qsort (s, n, sizeof (float), cmp_float);
    for (double p = 0.0; p <= 100.0; p += 3.125) {
      SeqHeatmapParams hp = seq_heatmap_params_default ();
      SeqHeatmap *hm;
      double pos = p / 100.0 * (n - 1), fr;
      guint k = (guint) floor (pos);
      float lo, hi, want;

      fr = pos - k;
      want = k + 1 < n ? (float) (fr >= 0.5 ? s[k + 1] - (s[k + 1] -
              (double) s[k]) * (1.0 - fr) : s[k] + (s[k + 1] -
              (double) s[k]) * fr) : s[k];
      hp.dim = 1;
      hp.width = n;
      hp.percentile_low = p;
      hp.percentile_high = 100.0;
      if (p == 100.0)
        hp.percentile_low = 0.0;
      hm = seq_heatmap_new (&hp, NULL);
      CU_ASSERT_PTR_NOT_NULL_FATAL (hm);
      seq_heatmap_feed (hm, v, n);
      seq_heatmap_get_scale (hm, &lo, &hi);
      if (p == 100.0 ? (lo != s[0] || hi != s[n - 1]) : lo != want)
        bad++;
      seq_heatmap_free (hm);
    }
  }
  CU_ASSERT_EQUAL (bad, 0);
  g_free (v);
  g_free (s);
}

/* Percentiles look at the last `window` frames only, and at the finite
 * values only; a reset forgets everything. */
static void
heatmap_percentile_window_and_reset (void)
{
  SeqHeatmapParams p = seq_heatmap_params_default ();
  SeqHeatmap *hm;
  float lo, hi, frame[3];
  guint8 img[5 * 3 * 3];

  p.dim = 3;
  p.width = 5;
  p.window = 2;
  p.percentile_low = 0.0;
  p.percentile_high = 100.0;
  hm = seq_heatmap_new (&p, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (hm);

  seq_heatmap_get_scale (hm, &lo, &hi);
  CU_ASSERT (lo == 0.0f && hi == 0.0f);
  for (int f = 0; f < 4; f++) {
    frame[0] = 1000.0f * (f == 0);
    frame[1] = (float) f;
    frame[2] = f == 3 ? NAN : -(float) f;
    seq_heatmap_feed (hm, frame, 1);
  }
  /* frames 2 and 3: {0, 2, -2, 0, 3, NaN} */
  seq_heatmap_get_scale (hm, &lo, &hi);
  CU_ASSERT_EQUAL (lo, -2.0f);
  CU_ASSERT_EQUAL (hi, 3.0f);

  /* all NaN in the window: no finite value, lo = hi = 0 */
  frame[0] = frame[1] = frame[2] = NAN;
  seq_heatmap_feed (hm, frame, 1);
  seq_heatmap_feed (hm, frame, 1);
  seq_heatmap_get_scale (hm, &lo, &hi);
  CU_ASSERT (lo == 0.0f && hi == 0.0f);
  seq_heatmap_render_rgb (hm, img, 5 * 3);
  /* the newest column is NaN red, the oldest shown (frame 1) finite:
   * lo == hi puts it in the middle of the map */
  CU_ASSERT (is_rgb (img + 3 * 4, SEQ_HEATMAP_NAN_R, SEQ_HEATMAP_NAN_G,
          SEQ_HEATMAP_NAN_B));
  CU_ASSERT (is_level_colour (img, 128));

  seq_heatmap_reset (hm);
  CU_ASSERT_EQUAL (seq_heatmap_frames (hm), 0);
  seq_heatmap_render_rgb (hm, img, 5 * 3);
  for (guint i = 0; i < sizeof (img); i += 3)
    CU_ASSERT (is_rgb (img + i, SEQ_HEATMAP_EMPTY_R, SEQ_HEATMAP_EMPTY_G,
            SEQ_HEATMAP_EMPTY_B));
  seq_heatmap_free (hm);
}

/* Constant input: every value in the middle of the map, not at an end. */
static void
heatmap_constant_input_is_mid_colour (void)
{
  SeqHeatmapParams p = seq_heatmap_params_default ();
  float v[4 * 2] = { 3, 3, 3, 3, 3, 3, 3, 3 };
  guint8 img[4 * 3 * 2];
  SeqHeatmap *hm;

  p.dim = 2;
  p.width = 4;
  hm = seq_heatmap_new (&p, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (hm);
  seq_heatmap_feed (hm, v, 4);
  seq_heatmap_render_rgb (hm, img, 4 * 3);
  for (guint i = 0; i < sizeof (img); i += 3)
    CU_ASSERT (is_level_colour (img + i, 128));
  seq_heatmap_free (hm);
}

/* Percentile scaling spreads the data over the map: with [2, 98] a ramp
 * uses both ends and the middle. */
static void
heatmap_percentile_scale_spreads_a_ramp (void)
{
  SeqHeatmapParams p = seq_heatmap_params_default ();
  float v[100];
  guint8 img[100 * 3];
  SeqHeatmap *hm;

  for (int i = 0; i < 100; i++)
    v[i] = 50.0f + 0.01f * i;   /* far outside the fixed [-1, 1] */
  p.dim = 1;
  p.width = 100;
  hm = seq_heatmap_new (&p, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (hm);
  seq_heatmap_feed (hm, v, 100);
  seq_heatmap_render_rgb (hm, img, sizeof (img));
  CU_ASSERT (is_level_colour (img, 0));
  CU_ASSERT (is_level_colour (img + 3 * 99, 255));
  CU_ASSERT (!is_level_colour (img + 3 * 50, 0)
      && !is_level_colour (img + 3 * 50, 255));

  /* the same frames under fixed [-1, 1]: all at the top */
  p.scaling = SEQ_HEATMAP_SCALING_FIXED;
  CU_ASSERT (seq_heatmap_set_scaling (hm, &p, NULL));
  seq_heatmap_render_rgb (hm, img, sizeof (img));
  CU_ASSERT (is_level_colour (img + 3 * 50, 255));
  seq_heatmap_free (hm);
}

static void
heatmap_bad_params_are_config_errors (void)
{
  struct
  {
    const char *what;
    guint dim, width, row_height, window;
    SeqHeatmapScaling scaling;
    float min, max;
    double plo, phi;
  } bad[] = {
    {"dim 0", 0, 8, 1, 0, SEQ_HEATMAP_SCALING_FIXED, -1, 1, 2, 98},
    {"width 0", 4, 0, 1, 0, SEQ_HEATMAP_SCALING_FIXED, -1, 1, 2, 98},
    {"row_height 0", 4, 8, 0, 0, SEQ_HEATMAP_SCALING_FIXED, -1, 1, 2, 98},
    {"height overflow", 40000, 8, 1, 0, SEQ_HEATMAP_SCALING_FIXED, -1, 1, 2,
        98},
    {"height x row_height", 1024, 8, 64, 0, SEQ_HEATMAP_SCALING_FIXED, -1, 1,
        2, 98},
    {"width too wide", 4, 40000, 1, 0, SEQ_HEATMAP_SCALING_FIXED, -1, 1, 2,
        98},
    {"history too big", 32768, 8, 1, 4096, SEQ_HEATMAP_SCALING_FIXED, -1, 1,
        2, 98},
    {"min = max", 4, 8, 1, 0, SEQ_HEATMAP_SCALING_FIXED, 1, 1, 2, 98},
    {"min > max", 4, 8, 1, 0, SEQ_HEATMAP_SCALING_FIXED, 2, 1, 2, 98},
    {"NaN min", 4, 8, 1, 0, SEQ_HEATMAP_SCALING_FIXED, NAN, 1, 2, 98},
    {"infinite max", 4, 8, 1, 0, SEQ_HEATMAP_SCALING_FIXED, -1, INFINITY, 2,
        98},
    {"low = high", 4, 8, 1, 0, SEQ_HEATMAP_SCALING_PERCENTILE, -1, 1, 50, 50},
    {"low > high", 4, 8, 1, 0, SEQ_HEATMAP_SCALING_PERCENTILE, -1, 1, 60, 40},
    {"negative low", 4, 8, 1, 0, SEQ_HEATMAP_SCALING_PERCENTILE, -1, 1, -1,
        98},
    {"high above 100", 4, 8, 1, 0, SEQ_HEATMAP_SCALING_PERCENTILE, -1, 1, 2,
        101},
    {"NaN percentile", 4, 8, 1, 0, SEQ_HEATMAP_SCALING_PERCENTILE, -1, 1, NAN,
        98},
    {"unknown scaling", 4, 8, 1, 0, (SeqHeatmapScaling) 7, -1, 1, 2, 98},
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    SeqHeatmapParams p = seq_heatmap_params_default ();
    GError *err = NULL;
    SeqHeatmap *hm;

    p.dim = bad[i].dim;
    p.width = bad[i].width;
    p.row_height = bad[i].row_height;
    p.window = bad[i].window;
    p.scaling = bad[i].scaling;
    p.min = bad[i].min;
    p.max = bad[i].max;
    p.percentile_low = bad[i].plo;
    p.percentile_high = bad[i].phi;
    hm = seq_heatmap_new (&p, &err);
    CU_ASSERT_PTR_NULL (hm);
    CU_ASSERT (g_error_matches (err, SEQ_HEATMAP_ERROR,
            SEQ_HEATMAP_ERROR_CONFIG));
    if (hm != NULL)
      fprintf (stderr, "\n  accepted: %s\n", bad[i].what);
    seq_heatmap_free (hm);
    g_clear_error (&err);
  }

  /* set_scaling refuses the same and keeps the old scale */
  {
    SeqHeatmap *hm = fixed_heatmap (2, 4, -1.0f, 1.0f);
    SeqHeatmapParams p = seq_heatmap_params_default ();
    GError *err = NULL;
    float lo, hi;

    p.scaling = SEQ_HEATMAP_SCALING_FIXED;
    p.min = 5.0f;
    p.max = 5.0f;
    CU_ASSERT_FALSE (seq_heatmap_set_scaling (hm, &p, &err));
    CU_ASSERT (g_error_matches (err, SEQ_HEATMAP_ERROR,
            SEQ_HEATMAP_ERROR_CONFIG));
    g_clear_error (&err);
    seq_heatmap_get_scale (hm, &lo, &hi);
    CU_ASSERT (lo == -1.0f && hi == 1.0f);
    seq_heatmap_free (hm);
  }
}

int
main (void)
{
  static const SeqTestCase cases[] = {
    {"heatmap_viridis_matches_matplotlib_within_fit_error",
        heatmap_viridis_matches_matplotlib_within_fit_error},
    {"heatmap_fixed_scale_colours_are_matplotlib_levels",
        heatmap_fixed_scale_colours_are_matplotlib_levels},
    {"heatmap_fixed_scale_clamps_and_colours_nan_and_inf",
        heatmap_fixed_scale_clamps_and_colours_nan_and_inf},
    {"heatmap_scrolls_left_newest_at_right_edge",
        heatmap_scrolls_left_newest_at_right_edge},
    {"heatmap_push_chunking_gives_the_same_picture",
        heatmap_push_chunking_gives_the_same_picture},
    {"heatmap_percentile_scale_matches_numpy",
        heatmap_percentile_scale_matches_numpy},
    {"heatmap_percentile_selection_agrees_with_sorting",
        heatmap_percentile_selection_agrees_with_sorting},
    {"heatmap_percentile_window_and_reset",
        heatmap_percentile_window_and_reset},
    {"heatmap_constant_input_is_mid_colour",
        heatmap_constant_input_is_mid_colour},
    {"heatmap_percentile_scale_spreads_a_ramp",
        heatmap_percentile_scale_spreads_a_ramp},
    {"heatmap_bad_params_are_config_errors",
        heatmap_bad_params_are_config_errors},
    {NULL, NULL}
  };
  return seq_test_run ("heatmap", cases);
}
