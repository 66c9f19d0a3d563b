/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqviz: hidden-state frames as a scrolling heatmap video.
 *
 * SECTION:element-seqviz
 * @title: seqviz
 *
 * Consumes float32 `other/tensors` frames (`D:T`, static or flexible: hidden
 * states, features) and produces `video/x-raw, format=RGB` of `width` x
 * (D * `row-height`) pixels: a heatmap that scrolls left by one column per
 * frame, the newest frame at the right edge, one row per value (value 0 at
 * the top), coloured with viridis (computed, see seqenc/heatmap.h). Columns
 * not filled yet are black; NaN values are red.
 *
 * Scale (`scaling`): `fixed` maps [`min`, `max`] onto the colour map;
 * `percentile` (default) maps the `percentile-low` .. `percentile-high`
 * percentiles of the finite values of the last `window` frames (0: the
 * `width` shown), recomputed for every image. Both may change while
 * playing.
 *
 * One video frame is pushed for every `frames-per-image` tensor frames (and
 * one for the frames left at EOS); its PTS is the PTS of the first of them
 * (the buffer's PTS plus the frame's index over the tensor framerate), its
 * duration `frames-per-image` over the framerate. The output framerate is
 * the tensor framerate divided by `frames-per-image`; untimed tensors
 * (framerate 0/1, text) are given the `framerate` property instead, their
 * frames timed from the first buffer's PTS (or 0); when both are 0/1 the
 * video is untimed too (framerate 0/1, the input buffers' PTS). Any RGB
 * consumer reads it: `videoconvert ! autovideosink`, `pngenc`,
 * `videoconvert ! x264enc`.
 *
 * FLUSH_STOP, a new STREAM_START and the `seqenc-reset` event clear the
 * picture (and the percentile window); so does a DISCONT buffer when
 * `reset-on` includes `discont` (not by default: a display should not go
 * blank over a lost packet). New caps with another width start a new
 * picture of the new height. A width change inside a flexible stream without
 * new caps, int32 tensors and malformed buffers are STREAM FORMAT errors.
 * LATENCY adds (`frames-per-image` - 1) frames.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e filesrc location=tests/data/fbank_speech.wav ! \
 *     wavparse ! audioconvert ! audioresample ! \
 *     seqfbank num-mel-bins=80 ! seqposenc ! seqlstm ! \
 *     seqviz width=300 frames-per-image=100 ! videoconvert ! pngenc ! \
 *     multifilesink location=speech-hidden.png
 * ]|
 * (pipelines/viz-speech-png.sh: each image is written over the last, the
 * file keeps the whole utterance.) Live, from the microphone:
 * |[
 * gst-launch-1.0 autoaudiosrc ! audioconvert ! audioresample ! seqfbank ! \
 *     seqlstm ! seqviz ! videoconvert ! autovideosink
 * ]|
 */
#include "gstseqviz.h"
#include "gstseqencelements.h"
#include "gstseqstate.h"
#include "gstseqtensor.h"

#include <gst/video/video.h>
#include <gst/video/gstvideopool.h>

GST_DEBUG_CATEGORY_STATIC (seq_viz_debug);
#define GST_CAT_DEFAULT seq_viz_debug

#define DEFAULT_WIDTH 256
#define DEFAULT_ROW_HEIGHT 1
#define DEFAULT_SCALING SEQ_HEATMAP_SCALING_PERCENTILE
#define DEFAULT_MIN (-1.0f)
#define DEFAULT_MAX 1.0f
#define DEFAULT_PERCENTILE_LOW 2.0
#define DEFAULT_PERCENTILE_HIGH 98.0
#define DEFAULT_WINDOW 0
#define DEFAULT_FRAMES_PER_IMAGE 1
#define DEFAULT_FPS_N 0
#define DEFAULT_FPS_D 1
#define DEFAULT_RESET_ON (GST_SEQ_RESET_ON_FLUSH | \
    GST_SEQ_RESET_ON_STREAM_START | GST_SEQ_RESET_ON_EVENT)

#define MAX_ROW_HEIGHT 64
#define MAX_FRAMES_PER_IMAGE 100000
#define MAX_WINDOW 1000000

enum
{
  PROP_0,
  PROP_WIDTH,
  PROP_ROW_HEIGHT,
  PROP_SCALING,
  PROP_MIN,
  PROP_MAX,
  PROP_PERCENTILE_LOW,
  PROP_PERCENTILE_HIGH,
  PROP_WINDOW,
  PROP_FRAMES_PER_IMAGE,
  PROP_FRAMERATE,
  PROP_RESET_ON,
};

static const GstSeqPropRange viz_ranges[] = {
  {"width", 1, SEQ_HEATMAP_MAX_SIDE},
  {"row-height", 1, MAX_ROW_HEIGHT},
  {"window", 0, MAX_WINDOW},
  {"frames-per-image", 1, MAX_FRAMES_PER_IMAGE},
  {NULL, 0, 0}
};

struct _GstSeqViz
{
  GstElement parent;

  GstPad *sinkpad, *srcpad;

  /* properties, under the object lock */
  guint width;
  guint row_height;
  SeqHeatmapScaling scaling;
  gfloat min, max;
  gdouble percentile_low, percentile_high;
  guint window;
  guint frames_per_image;
  gint fps_n, fps_d;
  guint reset_on;
  gboolean scaling_dirty;       /* a scaling property changed */

  /* streaming thread; set up on READY→PAUSED */
  SeqHeatmapParams params;      /* copied from the properties at start */
  guint per_image;              /* frames-per-image at start */
  gint prop_fps_n, prop_fps_d;  /* framerate at start */
  GstSeqTensorCaps in_caps;
  gboolean have_in_caps;
  SeqHeatmap *hm;               /* for frames of params.dim values */
  gint rate_n, rate_d;          /* tensor frames per second used (0/1: none) */
  GstVideoInfo vinfo;
  GstBufferPool *pool;
  gboolean caps_sent;
  GstSegment segment;
  gboolean segment_pending;     /* the segment is still to be pushed */
  GList *held_events;           /* sticky events waiting for our caps */
  GstClockTime next_pts;        /* timed input: PTS of the next frame */
  GstClockTime untimed_t0;      /* untimed input at `framerate`: frame 0's time */
  guint64 frames_in;            /* frames since the last reset */
  GstClockTime group_pts;       /* PTS of the first frame of the image */
  guint pending;                /* frames in the image being gathered */
  guint64 images_out;           /* images pushed since the last reset */
  gboolean discont;             /* flag the next image DISCONT */
};

G_DEFINE_TYPE (GstSeqViz, gst_seq_viz, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (seqviz, "seqviz", GST_RANK_NONE,
    GST_TYPE_SEQ_VIZ);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_SEQ_TENSOR_CAPS_ANY));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw, format = (string) RGB, "
        "width = (int) [ 1, 32768 ], height = (int) [ 1, 32768 ], "
        "framerate = (fraction) [ 0/1, 2147483647/1 ], "
        "pixel-aspect-ratio = (fraction) 1/1"));

GType
gst_seq_viz_scaling_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {SEQ_HEATMAP_SCALING_FIXED, "Fixed range [min, max]", "fixed"},
    {SEQ_HEATMAP_SCALING_PERCENTILE,
        "Running percentiles of the last window frames", "percentile"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstSeqVizScaling", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ------------------------------------------------------------------------ */
/* settings */

/* The heatmap parameters of the current properties (dim left 0). */
static SeqHeatmapParams
params_from_props (GstSeqViz * self)
{
  SeqHeatmapParams p = seq_heatmap_params_default ();

  GST_OBJECT_LOCK (self);
  p.width = self->width;
  p.row_height = self->row_height;
  p.scaling = self->scaling;
  p.min = self->min;
  p.max = self->max;
  p.percentile_low = self->percentile_low;
  p.percentile_high = self->percentile_high;
  p.window = self->window;
  self->scaling_dirty = FALSE;
  GST_OBJECT_UNLOCK (self);
  return p;
}

/* NULL→READY: every property in range, the heatmap settings consistent. */
static gboolean
check_settings (GstSeqViz * self)
{
  SeqHeatmapParams p;
  GError *err = NULL;

  if (!gst_seq_check_prop_ranges (GST_ELEMENT (self), viz_ranges))
    return FALSE;
  p = params_from_props (self);
  p.dim = 1;
  if (!seq_heatmap_params_validate (&p, &err)) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Invalid seqviz settings: %s.", err->message), (NULL));
    g_clear_error (&err);
    return FALSE;
  }
  return TRUE;
}

/* Scaling properties changed while playing: the next image uses them. */
static void
update_scaling (GstSeqViz * self)
{
  SeqHeatmapParams p;
  GError *err = NULL;
  gboolean dirty;

  GST_OBJECT_LOCK (self);
  dirty = self->scaling_dirty;
  GST_OBJECT_UNLOCK (self);
  if (!dirty)
    return;
  p = params_from_props (self);
  if (!seq_heatmap_set_scaling (self->hm, &p, &err)) {
    GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
        ("Scaling settings ignored: %s.", err->message), (NULL));
    g_clear_error (&err);
    return;
  }
  self->params.scaling = p.scaling;
  self->params.min = p.min;
  self->params.max = p.max;
  self->params.percentile_low = p.percentile_low;
  self->params.percentile_high = p.percentile_high;
}

/* ------------------------------------------------------------------------ */
/* output */

static void
gst_seq_viz_reset (GstSeqViz * self)
{
  if (self->hm)
    seq_heatmap_reset (self->hm);
  self->next_pts = GST_CLOCK_TIME_NONE;
  self->untimed_t0 = GST_CLOCK_TIME_NONE;
  self->frames_in = 0;
  self->group_pts = GST_CLOCK_TIME_NONE;
  self->pending = 0;
  self->images_out = 0;
  self->discont = TRUE;
}

static void
push_held_events (GstSeqViz * self)
{
  GList *events = g_list_reverse (self->held_events), *l;

  self->held_events = NULL;
  for (l = events; l; l = l->next)
    gst_pad_push_event (self->srcpad, l->data);
  g_list_free (events);
}

/* CAPS are out: SEGMENT, then the events that waited for them. */
static void
push_segment (GstSeqViz * self)
{
  if (self->segment_pending) {
    self->segment_pending = FALSE;
    gst_pad_push_event (self->srcpad, gst_event_new_segment (&self->segment));
  }
  push_held_events (self);
}

/* A buffer pool for images of self->vinfo: downstream's when it offers
 * one, else a video buffer pool of our own. */
static gboolean
decide_allocation (GstSeqViz * self, GstCaps * caps)
{
  GstQuery *query = gst_query_new_allocation (caps, TRUE);
  GstBufferPool *pool = NULL;
  GstStructure *config;
  guint size = 0, min = 0, max = 0;
  gboolean ok = TRUE;

  if (!gst_pad_peer_query (self->srcpad, query))
    GST_DEBUG_OBJECT (self, "downstream answered no ALLOCATION query");
  if (gst_query_get_n_allocation_pools (query) > 0)
    gst_query_parse_nth_allocation_pool (query, 0, &pool, &size, &min, &max);
  if (pool == NULL)
    pool = gst_video_buffer_pool_new ();
  size = MAX (size, (guint) GST_VIDEO_INFO_SIZE (&self->vinfo));

  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_set_params (config, caps, size, min, max);
  if (gst_query_find_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL))
    gst_buffer_pool_config_add_option (config,
        GST_BUFFER_POOL_OPTION_VIDEO_META);
  if (!gst_buffer_pool_set_config (pool, config)) {
    /* the pool may have changed the settings: take them if they fit */
    config = gst_buffer_pool_get_config (pool);
    if (!gst_buffer_pool_config_validate_params (config, caps, size, min,
            max)) {
      gst_structure_free (config);
      ok = FALSE;
    } else if (!gst_buffer_pool_set_config (pool, config)) {
      ok = FALSE;
    }
  }
  if (ok && !gst_buffer_pool_set_active (pool, TRUE))
    ok = FALSE;
  gst_query_unref (query);
  if (!ok) {
    gst_object_unref (pool);
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, (NULL),
        ("could not set up a buffer pool for %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  if (self->pool) {
    gst_buffer_pool_set_active (self->pool, FALSE);
    gst_object_unref (self->pool);
  }
  self->pool = pool;
  return TRUE;
}

/* Output caps for the current heatmap and rate, then a pool for them. */
static gboolean
negotiate (GstSeqViz * self)
{
  GstCaps *caps;
  gint out_n = 0, out_d = 1;
  gboolean ok;

  if (self->rate_n > 0
      && !gst_util_fraction_multiply (self->rate_n, self->rate_d, 1,
          (gint) self->per_image, &out_n, &out_d)) {
    out_n = 0;
    out_d = 1;
  }
  gst_video_info_set_format (&self->vinfo, GST_VIDEO_FORMAT_RGB,
      seq_heatmap_image_width (self->hm), seq_heatmap_image_height (self->hm));
  GST_VIDEO_INFO_FPS_N (&self->vinfo) = out_n;
  GST_VIDEO_INFO_FPS_D (&self->vinfo) = out_d;
  GST_VIDEO_INFO_PAR_N (&self->vinfo) = 1;
  GST_VIDEO_INFO_PAR_D (&self->vinfo) = 1;
  caps = gst_video_info_to_caps (&self->vinfo);
  ok = gst_pad_set_caps (self->srcpad, caps);
  if (!ok) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("%s refused %" GST_PTR_FORMAT, "downstream", caps));
  } else {
    GST_INFO_OBJECT (self, "output %" GST_PTR_FORMAT, caps);
    ok = decide_allocation (self, caps);
  }
  gst_caps_unref (caps);
  self->caps_sent = ok;
  if (ok)
    push_segment (self);
  return ok;
}

/* Frames of @dim values at the input rate: a heatmap for them and the
 * output caps (a new picture when either changes). */
static gboolean
configure (GstSeqViz * self, guint dim)
{
  gint rate_n = self->in_caps.rate_n, rate_d = self->in_caps.rate_d;
  GError *err = NULL;
  SeqHeatmap *hm;

  if (rate_n <= 0) {
    rate_n = self->prop_fps_n;
    rate_d = self->prop_fps_d;
  }
  if (self->hm != NULL && self->params.dim == dim && self->rate_n == rate_n
      && self->rate_d == rate_d && self->caps_sent)
    return TRUE;

  if (self->hm == NULL || self->params.dim != dim) {
    self->params.dim = dim;
    hm = seq_heatmap_new (&self->params, &err);
    if (hm == NULL) {
      GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
          ("Cannot draw frames of %u values: %s.", dim, err->message),
          (NULL));
      g_clear_error (&err);
      self->params.dim = 0;
      return FALSE;
    }
    seq_heatmap_free (self->hm);
    self->hm = hm;
    gst_seq_viz_reset (self);
  }
  self->rate_n = rate_n;
  self->rate_d = rate_d;
  return negotiate (self);
}

/* Duration of @n tensor frames (NONE when untimed). */
static GstClockTime
frames_duration (GstSeqViz * self, guint64 n)
{
  if (self->rate_n <= 0)
    return GST_CLOCK_TIME_NONE;
  return gst_util_uint64_scale (n, GST_SECOND * (guint64) self->rate_d,
      (guint64) self->rate_n);
}

static GstFlowReturn
push_image (GstSeqViz * self)
{
  GstBuffer *out = NULL;
  GstVideoFrame frame;
  GstFlowReturn ret;

  if (gst_pad_check_reconfigure (self->srcpad) && !negotiate (self)) {
    gst_pad_mark_reconfigure (self->srcpad);
    return GST_PAD_IS_FLUSHING (self->srcpad) ? GST_FLOW_FLUSHING :
        GST_FLOW_NOT_NEGOTIATED;
  }
  update_scaling (self);

  ret = gst_buffer_pool_acquire_buffer (self->pool, &out, NULL);
  if (ret != GST_FLOW_OK) {
    GST_DEBUG_OBJECT (self, "no buffer from the pool: %s",
        gst_flow_get_name (ret));
    return ret;
  }
  if (!gst_video_frame_map (&frame, &self->vinfo, out, GST_MAP_WRITE)) {
    gst_buffer_unref (out);
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, (NULL),
        ("could not map an output image"));
    return GST_FLOW_ERROR;
  }
  seq_heatmap_render_rgb (self->hm, GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
      GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0));
  gst_video_frame_unmap (&frame);

  GST_BUFFER_PTS (out) = self->group_pts;
  GST_BUFFER_DTS (out) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (out) = frames_duration (self, self->pending);
  GST_BUFFER_OFFSET (out) = self->images_out;
  GST_BUFFER_OFFSET_END (out) = self->images_out + 1;
  if (self->discont) {
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DISCONT);
    self->discont = FALSE;
  }
  self->images_out++;
  self->pending = 0;
  self->group_pts = GST_CLOCK_TIME_NONE;
  GST_LOG_OBJECT (self, "image %" G_GUINT64_FORMAT " pts %" GST_TIME_FORMAT,
      self->images_out - 1, GST_TIME_ARGS (GST_BUFFER_PTS (out)));
  return gst_pad_push (self->srcpad, out);
}

/* PTS of the frame @i of a buffer whose PTS is @pts. */
static GstClockTime
frame_pts (GstSeqViz * self, GstClockTime pts, guint i)
{
  if (self->rate_n <= 0)
    return pts;                 /* untimed: the buffer's own time */
  if (self->in_caps.rate_n <= 0) {
    /* untimed frames at the framerate property, from the first buffer */
    if (!GST_CLOCK_TIME_IS_VALID (self->untimed_t0))
      self->untimed_t0 = GST_CLOCK_TIME_IS_VALID (pts) ? pts : 0;
    return self->untimed_t0 + frames_duration (self, self->frames_in + i);
  }
  if (GST_CLOCK_TIME_IS_VALID (pts))
    return pts + frames_duration (self, i);
  if (GST_CLOCK_TIME_IS_VALID (self->next_pts))
    return self->next_pts + frames_duration (self, i);
  return GST_CLOCK_TIME_NONE;
}

static GstFlowReturn
gst_seq_viz_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstSeqViz *self = GST_SEQ_VIZ (parent);
  GstFlowReturn ret = GST_FLOW_OK;
  GstSeqTensorView view;
  gchar *why = NULL;
  guint reset_on, i;
  GstClockTime pts = GST_BUFFER_PTS (buf);

  if (!self->have_in_caps) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("received a buffer before caps"));
    gst_buffer_unref (buf);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  GST_OBJECT_LOCK (self);
  reset_on = self->reset_on;
  GST_OBJECT_UNLOCK (self);
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT)
      && (reset_on & GST_SEQ_RESET_ON_DISCONT) && self->frames_in > 0) {
    GST_DEBUG_OBJECT (self, "DISCONT: a new picture");
    gst_seq_viz_reset (self);
  }

  if (!gst_seq_tensor_view_map (&view, buf, &self->in_caps, &why))
    goto bad_buffer;
  if (view.type != GST_SEQ_TENSOR_TYPE_FLOAT32) {
    why = g_strdup_printf ("%s tensors cannot be drawn: seqviz takes float32",
        gst_seq_tensor_type_name (view.type));
    goto bad_view;
  }
  if (view.frames == 0)
    goto done;
  if (self->hm != NULL && view.dim != self->params.dim) {
    why = g_strdup_printf ("frames of %u values after frames of %u without "
        "new caps: one picture has one height", view.dim, self->params.dim);
    goto bad_view;
  }
  if ((self->hm == NULL || !self->caps_sent) && !configure (self, view.dim)) {
    ret = GST_FLOW_NOT_NEGOTIATED;
    goto done;
  }

  for (i = 0; i < view.frames && ret == GST_FLOW_OK;) {
    guint take = MIN (view.frames - i, self->per_image - self->pending);

    if (self->pending == 0)
      self->group_pts = frame_pts (self, pts, i);
    seq_heatmap_feed (self->hm, (const float *) view.data + (gsize) i *
        view.dim, take);
    self->pending += take;
    i += take;
    if (self->pending == self->per_image)
      ret = push_image (self);
  }
  if (self->rate_n > 0 && self->in_caps.rate_n > 0) {
    GstClockTime first = GST_CLOCK_TIME_IS_VALID (pts) ? pts : self->next_pts;
    if (GST_CLOCK_TIME_IS_VALID (first))
      self->next_pts = first + frames_duration (self, view.frames);
  }
  self->frames_in += view.frames;

done:
  gst_seq_tensor_view_unmap (&view);
  gst_buffer_unref (buf);
  return ret;

  /* ERRORS */
bad_view:
  gst_seq_tensor_view_unmap (&view);
bad_buffer:
  {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, (NULL), ("%s", why));
    g_free (why);
    gst_buffer_unref (buf);
    return GST_FLOW_ERROR;
  }
}

static gboolean
gst_seq_viz_set_in_caps (GstSeqViz * self, GstCaps * caps)
{
  GstSeqTensorCaps info;
  gchar *why = NULL;

  if (!gst_seq_tensor_caps_parse (caps, &info, &why)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("unsupported caps %" GST_PTR_FORMAT ": %s", caps, why));
    g_free (why);
    return FALSE;
  }
  if (info.type == GST_SEQ_TENSOR_TYPE_INT32) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("%s tensors cannot be drawn: seqviz takes float32",
            gst_seq_tensor_type_name (info.type)));
    return FALSE;
  }
  self->in_caps = info;
  self->have_in_caps = TRUE;
  /* width known: a picture of that height now (a new one if it changed) */
  if (info.dim > 0)
    return configure (self, info.dim);
  /* flexible without a width: the first buffer tells it; a picture of
   * another height than the current one starts then */
  if (self->hm != NULL)
    return configure (self, self->params.dim);
  return TRUE;
}

static gboolean
gst_seq_viz_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstSeqViz *self = GST_SEQ_VIZ (parent);
  guint reset_on;

  GST_OBJECT_LOCK (self);
  reset_on = self->reset_on;
  GST_OBJECT_UNLOCK (self);

  if (gst_seq_event_wants_reset (event, reset_on)) {
    GST_DEBUG_OBJECT (self, "%s: a new picture", GST_EVENT_TYPE_NAME (event));
    gst_seq_viz_reset (self);
  }

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gboolean ok;

      gst_event_parse_caps (event, &caps);
      ok = gst_seq_viz_set_in_caps (self, caps);
      gst_event_unref (event);
      return ok;
    }
    case GST_EVENT_SEGMENT:{
      const GstSegment *in;

      gst_event_parse_segment (event, &in);
      if (in->format == GST_FORMAT_TIME) {
        gst_segment_copy_into (in, &self->segment);
      } else {
        GST_DEBUG_OBJECT (self, "%s segment: a TIME segment from 0 instead",
            gst_format_get_name (in->format));
        gst_segment_init (&self->segment, GST_FORMAT_TIME);
      }
      self->segment_pending = TRUE;
      gst_event_unref (event);
      if (self->caps_sent)
        push_segment (self);
      return TRUE;
    }
    case GST_EVENT_EOS:
      /* the frames of an unfinished image */
      if (self->pending > 0 && self->caps_sent
          && gst_pad_get_last_flow_return (self->srcpad) == GST_FLOW_OK)
        push_image (self);
      /* an empty stream of a known width still tells its caps */
      if (!self->caps_sent && self->have_in_caps && self->in_caps.dim > 0)
        configure (self, self->in_caps.dim);
      if (self->caps_sent)
        push_segment (self);
      return gst_pad_push_event (self->srcpad, event);
    case GST_EVENT_GAP:
      if (!self->caps_sent) {
        gst_event_unref (event);
        return TRUE;
      }
      return gst_pad_push_event (self->srcpad, event);
    case GST_EVENT_STREAM_START:
      return gst_pad_push_event (self->srcpad, event);
    default:
      /* sticky events (tags...) go after our caps and segment */
      if (GST_EVENT_IS_STICKY (event) && !self->caps_sent) {
        self->held_events = g_list_prepend (self->held_events, event);
        return TRUE;
      }
      return gst_pad_event_default (pad, parent, event);
  }
}

static gboolean
gst_seq_viz_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstSeqViz *self = GST_SEQ_VIZ (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:{
      GstClockTime min, max, add;
      gboolean live;

      if (!gst_pad_peer_query (self->sinkpad, query))
        return FALSE;
      gst_query_parse_latency (query, &live, &min, &max);
      /* an image waits for frames-per-image frames */
      add = self->per_image > 1 ? frames_duration (self, self->per_image - 1)
          : 0;
      if (GST_CLOCK_TIME_IS_VALID (add)) {
        min += add;
        if (GST_CLOCK_TIME_IS_VALID (max))
          max += add;
      }
      gst_query_set_latency (query, live, min, max);
      return TRUE;
    }
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

static GstStateChangeReturn
gst_seq_viz_change_state (GstElement * element, GstStateChange transition)
{
  GstSeqViz *self = GST_SEQ_VIZ (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!check_settings (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!check_settings (self))
        return GST_STATE_CHANGE_FAILURE;
      self->params = params_from_props (self);
      GST_OBJECT_LOCK (self);
      self->per_image = self->frames_per_image;
      self->prop_fps_n = self->fps_n;
      self->prop_fps_d = self->fps_d;
      GST_OBJECT_UNLOCK (self);
      self->have_in_caps = FALSE;
      self->caps_sent = FALSE;
      self->rate_n = 0;
      self->rate_d = 1;
      gst_segment_init (&self->segment, GST_FORMAT_TIME);
      self->segment_pending = TRUE;
      gst_seq_viz_reset (self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_seq_viz_parent_class)->change_state (element,
      transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      g_clear_pointer (&self->hm, seq_heatmap_free);
      self->params.dim = 0;
      if (self->pool) {
        gst_buffer_pool_set_active (self->pool, FALSE);
        gst_clear_object (&self->pool);
      }
      g_list_free_full (self->held_events, (GDestroyNotify) gst_event_unref);
      self->held_events = NULL;
      self->have_in_caps = FALSE;
      self->caps_sent = FALSE;
      break;
    default:
      break;
  }
  return ret;
}

/* ------------------------------------------------------------------------ */
/* properties */

static void
gst_seq_viz_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSeqViz *self = GST_SEQ_VIZ (object);

  if (gst_seq_refuse_unless_ready (GST_ELEMENT (object), pspec))
    return;
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_WIDTH:
      self->width = g_value_get_uint (value);
      break;
    case PROP_ROW_HEIGHT:
      self->row_height = g_value_get_uint (value);
      break;
    case PROP_SCALING:
      self->scaling = g_value_get_enum (value);
      self->scaling_dirty = TRUE;
      break;
    case PROP_MIN:
      self->min = g_value_get_float (value);
      self->scaling_dirty = TRUE;
      break;
    case PROP_MAX:
      self->max = g_value_get_float (value);
      self->scaling_dirty = TRUE;
      break;
    case PROP_PERCENTILE_LOW:
      self->percentile_low = g_value_get_double (value);
      self->scaling_dirty = TRUE;
      break;
    case PROP_PERCENTILE_HIGH:
      self->percentile_high = g_value_get_double (value);
      self->scaling_dirty = TRUE;
      break;
    case PROP_WINDOW:
      self->window = g_value_get_uint (value);
      break;
    case PROP_FRAMES_PER_IMAGE:
      self->frames_per_image = g_value_get_uint (value);
      break;
    case PROP_FRAMERATE:
      self->fps_n = gst_value_get_fraction_numerator (value);
      self->fps_d = gst_value_get_fraction_denominator (value);
      break;
    case PROP_RESET_ON:
      self->reset_on = g_value_get_flags (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_seq_viz_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstSeqViz *self = GST_SEQ_VIZ (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_WIDTH:
      g_value_set_uint (value, self->width);
      break;
    case PROP_ROW_HEIGHT:
      g_value_set_uint (value, self->row_height);
      break;
    case PROP_SCALING:
      g_value_set_enum (value, self->scaling);
      break;
    case PROP_MIN:
      g_value_set_float (value, self->min);
      break;
    case PROP_MAX:
      g_value_set_float (value, self->max);
      break;
    case PROP_PERCENTILE_LOW:
      g_value_set_double (value, self->percentile_low);
      break;
    case PROP_PERCENTILE_HIGH:
      g_value_set_double (value, self->percentile_high);
      break;
    case PROP_WINDOW:
      g_value_set_uint (value, self->window);
      break;
    case PROP_FRAMES_PER_IMAGE:
      g_value_set_uint (value, self->frames_per_image);
      break;
    case PROP_FRAMERATE:
      gst_value_set_fraction (value, self->fps_n, self->fps_d);
      break;
    case PROP_RESET_ON:
      g_value_set_flags (value, self->reset_on);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_seq_viz_finalize (GObject * object)
{
  GstSeqViz *self = GST_SEQ_VIZ (object);

  seq_heatmap_free (self->hm);
  if (self->pool) {
    gst_buffer_pool_set_active (self->pool, FALSE);
    gst_object_unref (self->pool);
  }
  g_list_free_full (self->held_events, (GDestroyNotify) gst_event_unref);
  G_OBJECT_CLASS (gst_seq_viz_parent_class)->finalize (object);
}

static void
gst_seq_viz_class_init (GstSeqVizClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GParamFlags ready = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;
  GParamFlags playing = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING;

  GST_DEBUG_CATEGORY_INIT (seq_viz_debug, "seqviz", 0,
      "seqenc heatmap video of tensor frames");

  gobject_class->set_property = gst_seq_viz_set_property;
  gobject_class->get_property = gst_seq_viz_get_property;
  gobject_class->finalize = gst_seq_viz_finalize;

  /**
   * GstSeqViz:width:
   *
   * Frames shown: the image width in pixels, one column per frame.
   */
  g_object_class_install_property (gobject_class, PROP_WIDTH,
      g_param_spec_uint ("width", "Width",
          "Frames shown, one pixel column each (1 to 32768)", 0, G_MAXUINT,
          DEFAULT_WIDTH, ready));
  /**
   * GstSeqViz:row-height:
   *
   * Pixels per value: the image height is the frame width times this.
   */
  g_object_class_install_property (gobject_class, PROP_ROW_HEIGHT,
      g_param_spec_uint ("row-height", "Row height",
          "Pixel rows per value (1 to 64; height = frame width x this)", 0,
          G_MAXUINT, DEFAULT_ROW_HEIGHT, ready));
  /**
   * GstSeqViz:scaling:
   *
   * How values map to colours: a fixed [min, max] or running percentiles.
   */
  g_object_class_install_property (gobject_class, PROP_SCALING,
      g_param_spec_enum ("scaling", "Scaling",
          "Value range of the colour map: fixed [min, max] or running "
          "percentiles", GST_TYPE_SEQ_VIZ_SCALING, DEFAULT_SCALING, playing));
  /**
   * GstSeqViz:min:
   *
   * scaling=fixed: the value drawn with the first colour (below: clamped).
   */
  g_object_class_install_property (gobject_class, PROP_MIN,
      g_param_spec_float ("min", "Minimum",
          "scaling=fixed: value at the bottom of the colour map (< max)",
          -G_MAXFLOAT, G_MAXFLOAT, DEFAULT_MIN, playing));
  /**
   * GstSeqViz:max:
   *
   * scaling=fixed: the value drawn with the last colour (above: clamped).
   */
  g_object_class_install_property (gobject_class, PROP_MAX,
      g_param_spec_float ("max", "Maximum",
          "scaling=fixed: value at the top of the colour map (> min)",
          -G_MAXFLOAT, G_MAXFLOAT, DEFAULT_MAX, playing));
  /**
   * GstSeqViz:percentile-low:
   *
   * scaling=percentile: this percentile of the window gets the first
   * colour.
   */
  g_object_class_install_property (gobject_class, PROP_PERCENTILE_LOW,
      g_param_spec_double ("percentile-low", "Low percentile",
          "scaling=percentile: percentile at the bottom of the colour map "
          "(0 to 100, < percentile-high)", -G_MAXDOUBLE, G_MAXDOUBLE,
          DEFAULT_PERCENTILE_LOW, playing));
  /**
   * GstSeqViz:percentile-high:
   *
   * scaling=percentile: this percentile of the window gets the last colour.
   */
  g_object_class_install_property (gobject_class, PROP_PERCENTILE_HIGH,
      g_param_spec_double ("percentile-high", "High percentile",
          "scaling=percentile: percentile at the top of the colour map "
          "(0 to 100, > percentile-low)", -G_MAXDOUBLE, G_MAXDOUBLE,
          DEFAULT_PERCENTILE_HIGH, playing));
  /**
   * GstSeqViz:window:
   *
   * scaling=percentile: the percentiles are of the last this many frames
   * (0: the frames shown).
   */
  g_object_class_install_property (gobject_class, PROP_WINDOW,
      g_param_spec_uint ("window", "Window",
          "scaling=percentile: frames the percentiles look at (0 to 1000000; "
          "0 = width)", 0, G_MAXUINT, DEFAULT_WINDOW, ready));
  /**
   * GstSeqViz:frames-per-image:
   *
   * One video frame for every this many tensor frames.
   */
  g_object_class_install_property (gobject_class, PROP_FRAMES_PER_IMAGE,
      g_param_spec_uint ("frames-per-image", "Frames per image",
          "Tensor frames per video frame (1 to 100000)", 0, G_MAXUINT,
          DEFAULT_FRAMES_PER_IMAGE, ready));
  /**
   * GstSeqViz:framerate:
   *
   * Tensor frames per second assumed for untimed input (framerate 0/1,
   * e.g. text); 0/1 leaves such a video untimed.
   */
  g_object_class_install_property (gobject_class, PROP_FRAMERATE,
      gst_param_spec_fraction ("framerate", "Framerate",
          "Frames per second given to untimed tensors (text); 0/1: none",
          0, 1, G_MAXINT, 1, DEFAULT_FPS_N, DEFAULT_FPS_D, ready));
  /**
   * GstSeqViz:reset-on:
   *
   * Which stream events start a new (empty) picture.
   */
  g_object_class_install_property (gobject_class, PROP_RESET_ON,
      g_param_spec_flags ("reset-on", "Reset on",
          "Stream events that clear the picture", GST_TYPE_SEQ_RESET_ON,
          DEFAULT_RESET_ON, playing));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Tensor heatmap", "Visualization/Video/Tensor",
      "Draws float32 tensor frames (hidden states) as a scrolling viridis "
      "heatmap video, one column per frame", "seqenc developers");

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_seq_viz_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_SEQ_VIZ_SCALING, 0);
}

static void
gst_seq_viz_init (GstSeqViz * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_seq_viz_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_seq_viz_sink_event));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_seq_viz_src_query));
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->width = DEFAULT_WIDTH;
  self->row_height = DEFAULT_ROW_HEIGHT;
  self->scaling = DEFAULT_SCALING;
  self->min = DEFAULT_MIN;
  self->max = DEFAULT_MAX;
  self->percentile_low = DEFAULT_PERCENTILE_LOW;
  self->percentile_high = DEFAULT_PERCENTILE_HIGH;
  self->window = DEFAULT_WINDOW;
  self->frames_per_image = DEFAULT_FRAMES_PER_IMAGE;
  self->fps_n = DEFAULT_FPS_N;
  self->fps_d = DEFAULT_FPS_D;
  self->reset_on = DEFAULT_RESET_ON;
  self->per_image = DEFAULT_FRAMES_PER_IMAGE;
}
