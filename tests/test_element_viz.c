/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — seqviz through GstHarness: caps, image count, timestamps,
 * the picture (bitwise the library's rendering, not blank), scaling,
 * resets, bad input. */
#include "seqtest-gst.h"

#include <gst/video/video.h>
#include <math.h>
#include <seqenc/heatmap.h>

#define MS (GST_SECOND / 1000)

static GstHarness *
viz_harness (const char *props, const char *caps)
{
  gchar *launch = g_strdup_printf ("seqviz %s", props ? props : "");
  GstHarness *h = seq_test_harness (launch);

  gst_harness_set_src_caps_str (h, caps);
  g_free (launch);
  return h;
}

/* @frames x @dim values: a different smooth pattern per frame */
static float *
pattern (guint frames, guint dim, guint first)
{
  float *v = g_new (float, (gsize) frames * dim);
  for (guint f = 0; f < frames; f++)
    for (guint d = 0; d < dim; d++)
      v[f * dim + d] = sinf (0.3f * (f + first) + 0.7f * d) * (1.0f + d % 3);
  return v;
}

static GstBuffer *
frames_buffer (gboolean flexible, guint dim, guint frames, const float *v,
    GstClockTime pts)
{
  GstBuffer *b = seq_test_tensor_buffer (flexible, GST_SEQ_TENSOR_TYPE_FLOAT32,
      dim, frames, v);
  GST_BUFFER_PTS (b) = pts;
  return b;
}

static GstVideoInfo
output_info (GstHarness * h)
{
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  GstVideoInfo info;

  gst_video_info_init (&info);
  CU_ASSERT_PTR_NOT_NULL_FATAL (caps);
  CU_ASSERT_FATAL (gst_video_info_from_caps (&info, caps));
  gst_caps_unref (caps);
  return info;
}

/* The image of @buf as tightly packed RGB rows (g_free). */
static guint8 *
image_rgb (GstHarness * h, GstBuffer * buf)
{
  GstVideoInfo info = output_info (h);
  GstVideoFrame frame;
  guint w = GST_VIDEO_INFO_WIDTH (&info), ht = GST_VIDEO_INFO_HEIGHT (&info);
  guint8 *rgb = g_new (guint8, (gsize) w * ht * 3);

  CU_ASSERT_EQUAL_FATAL (GST_VIDEO_INFO_FORMAT (&info), GST_VIDEO_FORMAT_RGB);
  CU_ASSERT_FATAL (gst_video_frame_map (&frame, &info, buf, GST_MAP_READ));
  for (guint y = 0; y < ht; y++)
    memcpy (rgb + (gsize) y * w * 3, (guint8 *)
        GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) + y *
        GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), (gsize) w * 3);
  gst_video_frame_unmap (&frame);
  return rgb;
}

static guint
count_colours (const guint8 * rgb, gsize n_pixels)
{
  GHashTable *seen = g_hash_table_new (NULL, NULL);
  guint n;

  for (gsize i = 0; i < n_pixels; i++)
    g_hash_table_add (seen, GUINT_TO_POINTER (rgb[3 * i] << 16 |
            rgb[3 * i + 1] << 8 | rgb[3 * i + 2]));
  n = g_hash_table_size (seen);
  g_hash_table_unref (seen);
  return n;
}

static guint
count_outputs (GstHarness * h)
{
  guint n = 0;
  GstBuffer *b;

  while ((b = gst_harness_try_pull (h)) != NULL) {
    n++;
    gst_buffer_unref (b);
  }
  return n;
}

static void
assert_one_error (GstHarness * h, GQuark domain, gint code)
{
  GstMessage *msg = seq_test_pop_error (h);
  GError *err = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (msg);
  gst_message_parse_error (msg, &err, NULL);
  CU_ASSERT (g_error_matches (err, domain, code));
  g_clear_error (&err);
  gst_message_unref (msg);
}

/* Output caps: RGB, width = frames shown, height = D x row-height,
 * framerate = tensor rate / frames-per-image; static, flexible with the
 * width in caps, and flexible without it (known at the first buffer). */
static void
element_viz_caps_follow_width_height_and_rate (void)
{
  const char *in_caps[3] = {
    "other/tensors,format=static,num_tensors=1,types=float32,"
        "dimensions=(string)12:3,framerate=100/1",
    "other/tensors,format=flexible,num_tensors=1,types=float32,"
        "dimensions=(string)12,framerate=100/1",
    "other/tensors,format=flexible,num_tensors=1,types=float32,"
        "framerate=100/1",
  };

  for (int i = 0; i < 3; i++) {
    GstHarness *h = viz_harness ("width=33 row-height=2 frames-per-image=4",
        in_caps[i]);
    float *v = pattern (12, 12, 0);
    GstVideoInfo info;
    GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);

    /* the width in caps: the output caps are out before any buffer */
    CU_ASSERT ((caps != NULL) == (i < 2));
    if (caps)
      gst_caps_unref (caps);
    for (guint b = 0; b < 4; b++)
      CU_ASSERT_EQUAL (gst_harness_push (h, frames_buffer (i > 0, 12, 3,
                  v + b * 36, b * 30 * MS)), GST_FLOW_OK);
    info = output_info (h);
    CU_ASSERT_EQUAL (GST_VIDEO_INFO_FORMAT (&info), GST_VIDEO_FORMAT_RGB);
    CU_ASSERT_EQUAL (GST_VIDEO_INFO_WIDTH (&info), 33);
    CU_ASSERT_EQUAL (GST_VIDEO_INFO_HEIGHT (&info), 24);
    CU_ASSERT_EQUAL (GST_VIDEO_INFO_FPS_N (&info), 25);
    CU_ASSERT_EQUAL (GST_VIDEO_INFO_FPS_D (&info), 1);
    CU_ASSERT_EQUAL (GST_VIDEO_INFO_PAR_N (&info), 1);
    CU_ASSERT_EQUAL (count_outputs (h), 3);
    g_free (v);
    gst_harness_teardown (h);
  }
}

/* One image per frame, each stamped with its frame's time (buffer PTS +
 * index / rate), 1/rate long, offsets counting images, the first DISCONT. */
static void
element_viz_one_image_per_frame_with_frame_timestamps (void)
{
  GstHarness *h = viz_harness ("width=16",
      "other/tensors,format=static,num_tensors=1,types=float32,"
      "dimensions=(string)5:4,framerate=100/1");
  float *v = pattern (12, 5, 0);
  guint n = 0;
  GstBuffer *out;

  for (guint b = 0; b < 3; b++)
    CU_ASSERT_EQUAL (gst_harness_push (h, frames_buffer (FALSE, 5, 4,
                v + b * 20, 1000 * MS + b * 40 * MS)), GST_FLOW_OK);
  while ((out = gst_harness_try_pull (h)) != NULL) {
    CU_ASSERT_EQUAL (GST_BUFFER_PTS (out), 1000 * MS + n * 10 * MS);
    CU_ASSERT_EQUAL (GST_BUFFER_DURATION (out), 10 * MS);
    CU_ASSERT_EQUAL (GST_BUFFER_OFFSET (out), n);
    CU_ASSERT_EQUAL (GST_BUFFER_OFFSET_END (out), n + 1);
    CU_ASSERT_EQUAL (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT),
        n == 0);
    gst_buffer_unref (out);
    n++;
  }
  CU_ASSERT_EQUAL (n, 12);
  /* EOS: nothing left over, nothing more */
  CU_ASSERT (gst_harness_push_event (h, gst_event_new_eos ()));
  CU_ASSERT_EQUAL (count_outputs (h), 0);
  g_free (v);
  gst_harness_teardown (h);
}

/* frames-per-image=5 over 12 frames: images after frames 5 and 10, the last
 * 2 frames at EOS; PTS of each image's first frame; buffers without PTS
 * continue from the last one. */
static void
element_viz_frames_per_image_and_eos_remainder (void)
{
  GstHarness *h = viz_harness ("width=16 frames-per-image=5",
      "other/tensors,format=flexible,num_tensors=1,types=float32,"
      "framerate=20/1");
  float *v = pattern (12, 3, 0);
  GstBuffer *out;
  const GstClockTime want_pts[3] = { 0, 250 * MS, 500 * MS };
  const GstClockTime want_dur[3] = { 250 * MS, 250 * MS, 100 * MS };

  CU_ASSERT_EQUAL (gst_harness_push (h, frames_buffer (TRUE, 3, 7, v, 0)),
      GST_FLOW_OK);
  CU_ASSERT_EQUAL (gst_harness_push (h, frames_buffer (TRUE, 3, 5, v + 21,
              GST_CLOCK_TIME_NONE)), GST_FLOW_OK);
  CU_ASSERT_EQUAL (gst_harness_buffers_in_queue (h), 2);
  CU_ASSERT (gst_harness_push_event (h, gst_event_new_eos ()));
  for (int i = 0; i < 3; i++) {
    out = gst_harness_try_pull (h);
    CU_ASSERT_PTR_NOT_NULL_FATAL (out);
    CU_ASSERT_EQUAL (GST_BUFFER_PTS (out), want_pts[i]);
    CU_ASSERT_EQUAL (GST_BUFFER_DURATION (out), want_dur[i]);
    gst_buffer_unref (out);
  }
  CU_ASSERT_EQUAL (count_outputs (h), 0);
  g_free (v);
  gst_harness_teardown (h);
}

/* Untimed tensors (text): with framerate=25/1 frames are 40 ms apart from
 * the first buffer's PTS and the video is 25/1; without it the video is
 * untimed and each image has its buffer's PTS. */
static void
element_viz_untimed_input_takes_the_framerate_property (void)
{
  const char *caps = "other/tensors,format=flexible,num_tensors=1,"
      "types=float32,dimensions=(string)4,framerate=0/1";
  float *v = pattern (6, 4, 0);

  for (int with_rate = 0; with_rate < 2; with_rate++) {
    GstHarness *h = viz_harness (with_rate ? "width=8 framerate=25/1" :
        "width=8", caps);
    GstVideoInfo info;
    GstBuffer *out;
    guint n = 0;

    CU_ASSERT_EQUAL (gst_harness_push (h, frames_buffer (TRUE, 4, 3, v,
                2 * GST_SECOND)), GST_FLOW_OK);
    CU_ASSERT_EQUAL (gst_harness_push (h, frames_buffer (TRUE, 4, 3, v + 12,
                7 * GST_SECOND)), GST_FLOW_OK);
    info = output_info (h);
    CU_ASSERT_EQUAL (GST_VIDEO_INFO_FPS_N (&info), with_rate ? 25 : 0);
    while ((out = gst_harness_try_pull (h)) != NULL) {
      if (with_rate) {
        CU_ASSERT_EQUAL (GST_BUFFER_PTS (out), 2 * GST_SECOND + n * 40 * MS);
        CU_ASSERT_EQUAL (GST_BUFFER_DURATION (out), 40 * MS);
      } else {
        CU_ASSERT_EQUAL (GST_BUFFER_PTS (out), (n < 3 ? 2 : 7) * GST_SECOND);
        CU_ASSERT_EQUAL (GST_BUFFER_DURATION (out), GST_CLOCK_TIME_NONE);
      }
      gst_buffer_unref (out);
      n++;
    }
    CU_ASSERT_EQUAL (n, 6);
    gst_harness_teardown (h);
  }
  g_free (v);
}

/* The picture is the library's rendering of the same frames, bitwise, at
 * the video's stride (odd width: padded rows); and it is not blank. */
static void
element_viz_image_is_the_library_rendering_and_not_blank (void)
{
  const guint dim = 9, width = 13, n = 20;
  GstHarness *h = viz_harness ("width=13 row-height=3 scaling=percentile "
      "percentile-low=5 percentile-high=95 window=7",
      "other/tensors,format=static,num_tensors=1,types=float32,"
      "dimensions=(string)9:5,framerate=50/1");
  SeqHeatmapParams p = seq_heatmap_params_default ();
  float *v = pattern (n, dim, 0);
  SeqHeatmap *hm;
  guint8 *want = g_new (guint8, (gsize) width * 3 * dim * 3), *got = NULL;
  GstBuffer *out = NULL, *b;
  double mean = 0, var = 0;

  p.dim = dim;
  p.width = width;
  p.row_height = 3;
  p.percentile_low = 5;
  p.percentile_high = 95;
  p.window = 7;
  hm = seq_heatmap_new (&p, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (hm);
  seq_heatmap_feed (hm, v, n);
  seq_heatmap_render_rgb (hm, want, (gsize) width * 3);

  for (guint i = 0; i < n / 5; i++)
    CU_ASSERT_EQUAL (gst_harness_push (h, frames_buffer (FALSE, dim, 5,
                v + i * 5 * dim, i * 100 * MS)), GST_FLOW_OK);
  while ((b = gst_harness_try_pull (h)) != NULL) {
    if (out)
      gst_buffer_unref (out);
    out = b;
  }
  CU_ASSERT_PTR_NOT_NULL_FATAL (out);
  got = image_rgb (h, out);
  CU_ASSERT (memcmp (got, want, (gsize) width * 3 * dim * 3) == 0);
  for (gsize i = 0; i < (gsize) width * 3 * dim * 3; i++)
    mean += got[i];
  mean /= width * 3 * dim * 3;
  for (gsize i = 0; i < (gsize) width * 3 * dim * 3; i++)
    var += (got[i] - mean) * (got[i] - mean);
  var /= width * 3 * dim * 3;
  CU_ASSERT (var > 100.0);
  CU_ASSERT (count_colours (got, (gsize) width * dim * 3) > 20);

  gst_buffer_unref (out);
  g_free (got);
  g_free (want);
  g_free (v);
  seq_heatmap_free (hm);
  gst_harness_teardown (h);
}

/* Values far outside [-1, 1]: fixed scaling draws one colour, percentile
 * scaling spreads them over the map; scaling may change while playing. */
static void
element_viz_percentile_scaling_spreads_what_fixed_saturates (void)
{
  GstHarness *h = viz_harness ("width=10 scaling=fixed",
      "other/tensors,format=static,num_tensors=1,types=float32,"
      "dimensions=(string)6:10,framerate=100/1");
  float v[60];
  GstBuffer *b, *last = NULL;
  GstElement *viz;
  guint8 *rgb;

  for (int i = 0; i < 60; i++)
    v[i] = 40.0f + 0.1f * i;
  CU_ASSERT_EQUAL (gst_harness_push (h, frames_buffer (FALSE, 6, 10, v, 0)),
      GST_FLOW_OK);
  while ((b = gst_harness_try_pull (h)) != NULL) {
    gst_clear_buffer (&last);
    last = b;
  }
  rgb = image_rgb (h, last);
  CU_ASSERT_EQUAL (count_colours (rgb, 60), 1);
  g_free (rgb);
  gst_clear_buffer (&last);

  viz = gst_harness_find_element (h, "seqviz");
  CU_ASSERT_PTR_NOT_NULL_FATAL (viz);
  g_object_set (viz, "scaling", SEQ_HEATMAP_SCALING_PERCENTILE, NULL);
  gst_object_unref (viz);
  CU_ASSERT_EQUAL (gst_harness_push (h, frames_buffer (FALSE, 6, 10, v,
              100 * MS)), GST_FLOW_OK);
  while ((b = gst_harness_try_pull (h)) != NULL) {
    gst_clear_buffer (&last);
    last = b;
  }
  rgb = image_rgb (h, last);
  CU_ASSERT (count_colours (rgb, 60) > 30);
  g_free (rgb);
  gst_clear_buffer (&last);
  gst_harness_teardown (h);
}

/* NaN frames: red pixels where the NaN values are, the rest drawn, the flow
 * goes on; a NaN does not spoil the percentiles. */
static void
element_viz_nan_frames_are_red_and_do_not_stop_the_stream (void)
{
  GstHarness *h = viz_harness ("width=4",
      "other/tensors,format=static,num_tensors=1,types=float32,"
      "dimensions=(string)3:1,framerate=100/1");
  const float frames[4][3] = {
    {0.1f, 0.2f, 0.3f}, {NAN, NAN, NAN}, {INFINITY, -0.5f, NAN},
    {0.4f, -INFINITY, 0.0f}
  };
  GstBuffer *b, *last = NULL;
  guint8 *rgb;
  guint red = 0;

  for (int f = 0; f < 4; f++)
    CU_ASSERT_EQUAL (gst_harness_push (h, frames_buffer (FALSE, 3, 1,
                frames[f], f * 10 * MS)), GST_FLOW_OK);
  CU_ASSERT_EQUAL (gst_harness_buffers_in_queue (h), 4);
  while ((b = gst_harness_try_pull (h)) != NULL) {
    gst_clear_buffer (&last);
    last = b;
  }
  rgb = image_rgb (h, last);
  for (int y = 0; y < 3; y++)
    for (int x = 0; x < 4; x++) {
      const guint8 *px = rgb + (y * 4 + x) * 3;
      gboolean is_red = px[0] == SEQ_HEATMAP_NAN_R
          && px[1] == SEQ_HEATMAP_NAN_G && px[2] == SEQ_HEATMAP_NAN_B;
      CU_ASSERT_EQUAL (is_red, isnan (frames[x][y]));
      red += is_red;
    }
  CU_ASSERT_EQUAL (red, 4);
  CU_ASSERT (count_colours (rgb, 12) >= 4);
  g_free (rgb);
  gst_clear_buffer (&last);
  CU_ASSERT_PTR_NULL (seq_test_pop_error (h));
  gst_harness_teardown (h);
}

/* Number of black (never filled) columns in the image of @buf. */
static guint
empty_columns (GstHarness * h, GstBuffer * buf)
{
  GstVideoInfo info = output_info (h);
  guint8 *rgb = image_rgb (h, buf);
  guint w = GST_VIDEO_INFO_WIDTH (&info), n = 0;

  for (guint x = 0; x < w; x++)
    n += rgb[3 * x] == 0 && rgb[3 * x + 1] == 0 && rgb[3 * x + 2] == 0;
  g_free (rgb);
  return n;
}

/* seqenc-reset, FLUSH and a new STREAM_START start a new picture (one
 * filled column after one frame, DISCONT); a DISCONT buffer does only with
 * reset-on including discont. */
static void
element_viz_resets_clear_the_picture (void)
{
  enum
  { RESET_EVENT, FLUSH, STREAM_START, DISCONT_DEFAULT, DISCONT_SELECTED };
  for (int how = RESET_EVENT; how <= DISCONT_SELECTED; how++) {
    GstHarness *h = viz_harness (how == DISCONT_SELECTED ?
        "width=8 reset-on=flush+stream-start+event+discont" : "width=8",
        "other/tensors,format=static,num_tensors=1,types=float32,"
        "dimensions=(string)2:1,framerate=100/1");
    float *v = pattern (6, 2, 0);
    GstBuffer *b, *out;
    gboolean resets = how != DISCONT_DEFAULT;

    for (int f = 0; f < 5; f++)
      CU_ASSERT_EQUAL (gst_harness_push (h, frames_buffer (FALSE, 2, 1,
                  v + 2 * f, f * 10 * MS)), GST_FLOW_OK);
    count_outputs (h);
    switch (how) {
      case RESET_EVENT:
        CU_ASSERT (gst_harness_push_event (h, gst_seq_reset_event_new ()));
        break;
      case FLUSH:
        CU_ASSERT (gst_harness_push_event (h, gst_event_new_flush_start ()));
        CU_ASSERT (gst_harness_push_event (h,
                gst_event_new_flush_stop (TRUE)));
        {
          GstSegment seg;
          gst_segment_init (&seg, GST_FORMAT_TIME);
          CU_ASSERT (gst_harness_push_event (h, gst_event_new_segment (&seg)));
        }
        break;
      case STREAM_START:
        CU_ASSERT (gst_harness_push_event (h,
                gst_event_new_stream_start ("second")));
        break;
      default:
        break;
    }
    b = frames_buffer (FALSE, 2, 1, v + 10, 50 * MS);
    if (how >= DISCONT_DEFAULT)
      GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
    CU_ASSERT_EQUAL (gst_harness_push (h, b), GST_FLOW_OK);
    out = gst_harness_try_pull (h);
    CU_ASSERT_PTR_NOT_NULL_FATAL (out);
    CU_ASSERT_EQUAL (empty_columns (h, out), resets ? 7 : 2);
    CU_ASSERT_EQUAL (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT),
        resets);
    CU_ASSERT_EQUAL (GST_BUFFER_OFFSET (out), resets ? 0 : 5);
    gst_buffer_unref (out);
    g_free (v);
    gst_harness_teardown (h);
  }
}

/* New caps with another width: a new picture of the new height. */
static void
element_viz_new_caps_with_another_width_renegotiate (void)
{
  GstHarness *h = viz_harness ("width=8",
      "other/tensors,format=static,num_tensors=1,types=float32,"
      "dimensions=(string)4:1,framerate=100/1");
  float *v = pattern (2, 6, 0);
  GstVideoInfo info;
  GstBuffer *out;

  CU_ASSERT_EQUAL (gst_harness_push (h, frames_buffer (FALSE, 4, 1, v, 0)),
      GST_FLOW_OK);
  info = output_info (h);
  CU_ASSERT_EQUAL (GST_VIDEO_INFO_HEIGHT (&info), 4);
  count_outputs (h);
  gst_harness_set_src_caps_str (h, "other/tensors,format=static,"
      "num_tensors=1,types=float32,dimensions=(string)6:1,framerate=100/1");
  CU_ASSERT_EQUAL (gst_harness_push (h, frames_buffer (FALSE, 6, 1, v,
              10 * MS)), GST_FLOW_OK);
  info = output_info (h);
  CU_ASSERT_EQUAL (GST_VIDEO_INFO_HEIGHT (&info), 6);
  out = gst_harness_try_pull (h);
  CU_ASSERT_PTR_NOT_NULL_FATAL (out);
  CU_ASSERT_EQUAL (empty_columns (h, out), 7);
  gst_buffer_unref (out);
  g_free (v);
  gst_harness_teardown (h);
}

/* Bad buffers are STREAM FORMAT errors: a flexible width change without
 * caps, int32 frames, a wrong static size, a bad flexible header. */
static void
element_viz_bad_buffers_are_stream_errors (void)
{
  const char *flex = "other/tensors,format=flexible,num_tensors=1,"
      "framerate=100/1";
  float v[16] = { 0 };

  for (int what = 0; what < 4; what++) {
    GstHarness *h = viz_harness ("width=8", what == 2 ?
        "other/tensors,format=static,num_tensors=1,types=float32,"
        "dimensions=(string)4:2,framerate=100/1" : flex);
    GstBuffer *bad = NULL;

    switch (what) {
      case 0:
        CU_ASSERT_EQUAL (gst_harness_push (h, frames_buffer (TRUE, 4, 2, v,
                    0)), GST_FLOW_OK);
        bad = frames_buffer (TRUE, 2, 4, v, 10 * MS);
        break;
      case 1:
        bad = seq_test_tensor_buffer (TRUE, GST_SEQ_TENSOR_TYPE_INT32, 4, 2, v);
        break;
      case 2:
        bad = frames_buffer (FALSE, 4, 3, v, 0);
        break;
      default:{
        GstMapInfo map;
        bad = frames_buffer (TRUE, 4, 2, v, 0);
        gst_buffer_map (bad, &map, GST_MAP_WRITE);
        map.data[0] ^= 0xff;    /* magic */
        gst_buffer_unmap (bad, &map);
        break;
      }
    }
    CU_ASSERT_EQUAL (gst_harness_push (h, bad), GST_FLOW_ERROR);
    assert_one_error (h, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT);
    gst_harness_teardown (h);
  }
}

/* Settings that cannot work are refused at start with LIBRARY SETTINGS
 * naming them, not at the first frame. */
static void
element_viz_bad_settings_refused_at_start (void)
{
  const char *bad[] = {
    "scaling=fixed min=2 max=1",
    "percentile-low=60 percentile-high=40",
    "percentile-high=150",
    "width=0",
    "width=100000",
    "row-height=0",
    "frames-per-image=0",
    NULL
  };

  for (int i = 0; bad[i]; i++) {
    gchar *launch = g_strdup_printf ("seqviz %s", bad[i]);
    GError *perr = NULL;
    GstElement *e = gst_parse_launch (launch, &perr);
    GstBus *bus = gst_bus_new ();
    GstMessage *msg;

    CU_ASSERT_PTR_NOT_NULL_FATAL (e);
    gst_element_set_bus (e, bus);
    CU_ASSERT_EQUAL (gst_element_set_state (e, GST_STATE_READY),
        GST_STATE_CHANGE_FAILURE);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    CU_ASSERT_PTR_NOT_NULL (msg);
    if (msg) {
      GError *err = NULL;
      gst_message_parse_error (msg, &err, NULL);
      CU_ASSERT (g_error_matches (err, GST_LIBRARY_ERROR,
              GST_LIBRARY_ERROR_SETTINGS));
      g_clear_error (&err);
      gst_message_unref (msg);
    }
    gst_element_set_state (e, GST_STATE_NULL);
    gst_element_set_bus (e, NULL);
    gst_object_unref (bus);
    gst_object_unref (e);
    g_clear_error (&perr);
    g_free (launch);
  }
}

/* LATENCY: (frames-per-image - 1) frames more than upstream's. */
static void
element_viz_latency_adds_the_frames_an_image_waits_for (void)
{
  GstHarness *h = viz_harness ("width=8 frames-per-image=5",
      "other/tensors,format=static,num_tensors=1,types=float32,"
      "dimensions=(string)2:1,framerate=100/1");
  float v[2] = { 0, 1 };
  GstQuery *q = gst_query_new_latency ();
  GstClockTime min, max;
  gboolean live;

  CU_ASSERT_EQUAL (gst_harness_push (h, frames_buffer (FALSE, 2, 1, v, 0)),
      GST_FLOW_OK);
  CU_ASSERT (gst_pad_peer_query (h->sinkpad, q));
  gst_query_parse_latency (q, &live, &min, &max);
  CU_ASSERT_EQUAL (min, 40 * MS);
  gst_query_unref (q);
  gst_harness_teardown (h);
}

int
main (void)
{
  static const SeqTestCase cases[] = {
    {"element_viz_caps_follow_width_height_and_rate",
        element_viz_caps_follow_width_height_and_rate},
    {"element_viz_one_image_per_frame_with_frame_timestamps",
        element_viz_one_image_per_frame_with_frame_timestamps},
    {"element_viz_frames_per_image_and_eos_remainder",
        element_viz_frames_per_image_and_eos_remainder},
    {"element_viz_untimed_input_takes_the_framerate_property",
        element_viz_untimed_input_takes_the_framerate_property},
    {"element_viz_image_is_the_library_rendering_and_not_blank",
        element_viz_image_is_the_library_rendering_and_not_blank},
    {"element_viz_percentile_scaling_spreads_what_fixed_saturates",
        element_viz_percentile_scaling_spreads_what_fixed_saturates},
    {"element_viz_nan_frames_are_red_and_do_not_stop_the_stream",
        element_viz_nan_frames_are_red_and_do_not_stop_the_stream},
    {"element_viz_resets_clear_the_picture",
        element_viz_resets_clear_the_picture},
    {"element_viz_new_caps_with_another_width_renegotiate",
        element_viz_new_caps_with_another_width_renegotiate},
    {"element_viz_bad_buffers_are_stream_errors",
        element_viz_bad_buffers_are_stream_errors},
    {"element_viz_bad_settings_refused_at_start",
        element_viz_bad_settings_refused_at_start},
    {"element_viz_latency_adds_the_frames_an_image_waits_for",
        element_viz_latency_adds_the_frames_an_image_waits_for},
    {NULL, NULL}
  };
  seq_test_gst_init ();
  return seq_test_run ("element_viz", cases);
}
