/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — a scrolling heatmap of frames (hidden states) for display.
 *
 * Thread safety: a SeqHeatmap is one display's state; one thread at a time.
 * seq_heatmap_viridis is reentrant.
 *
 * A heatmap keeps the last frames pushed (`dim` values each) and renders the
 * last `width` of them as an RGB image of `width` x (`dim` * `row_height`)
 * pixels: one column per frame, oldest at the left, the newest at the right
 * edge, so the picture scrolls left by one column per frame; one row band
 * per value, value 0 at the top. Columns not filled yet (fewer than `width`
 * frames since creation or reset) are black (SEQ_HEATMAP_EMPTY_RGB).
 *
 * Colour of a value v, with the scale [lo, hi]:
 *   t = (v - lo) / (hi - lo), clamped to [0, 1] (so +Inf is the top colour,
 *   -Inf the bottom one); hi == lo gives t = 0.5 for every finite v;
 *   colour = viridis at t quantized to 256 levels as matplotlib quantizes
 *   (level = min (floor (t * 256), 255), level k = viridis (k / 255));
 *   NaN is SEQ_HEATMAP_NAN_RGB (red: viridis has no red), whatever the scale.
 * viridis (seq_heatmap_viridis) is computed: a uniform cubic B-spline per
 * channel whose control values were fitted to matplotlib's viridis by
 * tests/gen_viridis_fit.py (the largest error is stated there and in
 * lib/heatmap.c, and checked by tests/test_heatmap.c). 8-bit channels are
 * round (255 * c).
 *
 * Scale:
 *   fixed       lo = min, hi = max.
 *   percentile  lo, hi = the percentile_low and percentile_high percentiles
 *               of the finite values of the last `window` frames (fewer
 *               after a reset), with numpy's default definition: sorted
 *               values a[0..n-1], position p / 100 * (n - 1), linear
 *               interpolation between its two neighbours (computed in
 *               double). No finite value yet: lo = hi = 0.
 * The scale is computed when an image is rendered, so the whole picture
 * shares one scale.
 *
 * Cost: a render colours width * dim values (plus, for percentile scaling,
 * two selections over window * dim values); nothing is allocated after
 * seq_heatmap_new.
 */
#pragma once

#include <glib.h>
#include <seqenc/export.h>

G_BEGIN_DECLS

#define SEQ_HEATMAP_ERROR (seq_heatmap_error_quark ())
SEQ_API GQuark seq_heatmap_error_quark (void);

typedef enum {
  SEQ_HEATMAP_ERROR_CONFIG,     /* invalid parameters */
} SeqHeatmapError;

typedef enum {
  SEQ_HEATMAP_SCALING_FIXED,    /* [min, max] */
  SEQ_HEATMAP_SCALING_PERCENTILE,       /* running percentiles over a window */
} SeqHeatmapScaling;

/* Colour of NaN values and of columns not filled yet (R, G, B). */
#define SEQ_HEATMAP_NAN_R 255
#define SEQ_HEATMAP_NAN_G 0
#define SEQ_HEATMAP_NAN_B 0
#define SEQ_HEATMAP_EMPTY_R 0
#define SEQ_HEATMAP_EMPTY_G 0
#define SEQ_HEATMAP_EMPTY_B 0

/* Largest history (window or width) x dim, in values: 2^26 (256 MiB of
 * floats, twice with the percentile scratch). */
#define SEQ_HEATMAP_MAX_VALUES (1u << 26)
/* Largest image side in pixels. */
#define SEQ_HEATMAP_MAX_SIDE 32768u

typedef struct {
  guint dim;                    /* values per frame (rows); no default (must be > 0) */
  guint width;                  /* frames shown (columns); default 256 */
  guint row_height;             /* pixels per row; default 1 */
  SeqHeatmapScaling scaling;    /* default SEQ_HEATMAP_SCALING_PERCENTILE */
  gfloat min;                   /* fixed scaling: value at the bottom colour; default -1 */
  gfloat max;                   /* fixed scaling: value at the top colour (> min); default 1 */
  gdouble percentile_low;       /* percentile scaling: lo, in [0, 100); default 2 */
  gdouble percentile_high;      /* percentile scaling: hi, in (low, 100]; default 98 */
  guint window;                 /* percentile scaling: frames it looks at; 0 = width; default 0 */
} SeqHeatmapParams;

typedef struct _SeqHeatmap SeqHeatmap;

SEQ_API SeqHeatmapParams seq_heatmap_params_default (void);
/* FALSE with SEQ_HEATMAP_ERROR_CONFIG naming the parameter when @params are
 * out of range (dim 0, min >= max, a non-finite bound, percentiles out of
 * order or range, an image side above SEQ_HEATMAP_MAX_SIDE, a history above
 * SEQ_HEATMAP_MAX_VALUES). */
SEQ_API gboolean seq_heatmap_params_validate (const SeqHeatmapParams *
    params, GError ** error);
/* NULL with the error of seq_heatmap_params_validate. */
SEQ_API SeqHeatmap *seq_heatmap_new (const SeqHeatmapParams * params,
    GError ** error);
SEQ_API void seq_heatmap_free (SeqHeatmap * hm);

/* Changes the scaling fields of the parameters (scaling, min, max,
 * percentile_low, percentile_high; the others are ignored) for the next
 * render; FALSE with the error of seq_heatmap_params_validate, nothing
 * changed. */
SEQ_API gboolean seq_heatmap_set_scaling (SeqHeatmap * hm,
    const SeqHeatmapParams * params, GError ** error);

/* Image size in pixels: width, and dim * row_height. */
SEQ_API guint seq_heatmap_image_width (const SeqHeatmap * hm);
SEQ_API guint seq_heatmap_image_height (const SeqHeatmap * hm);

/* Forgets every frame (the picture is empty again). */
SEQ_API void seq_heatmap_reset (SeqHeatmap * hm);
/* Appends @n_frames frames @frames [n][dim] (any values, NaN and Inf
 * included). */
SEQ_API void seq_heatmap_feed (SeqHeatmap * hm, const float *frames,
    gsize n_frames);
/* Frames pushed since creation or the last reset. */
SEQ_API guint64 seq_heatmap_frames (const SeqHeatmap * hm);

/* The scale the next render uses. */
SEQ_API void seq_heatmap_get_scale (SeqHeatmap * hm, float *lo, float *hi);

/* Draws the picture into @pixels: image_height rows of image_width RGB
 * pixels (3 bytes each, R first), rows @stride bytes apart (>= 3 * width). */
SEQ_API void seq_heatmap_render_rgb (SeqHeatmap * hm, guint8 * pixels,
    gsize stride);

/* The computed viridis map at @t in [0, 1] (clamped; NaN gives 0), as
 * channels in [0, 1]. */
SEQ_API void seq_heatmap_viridis (double t, double rgb[3]);

G_END_DECLS
