/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — seqfbank through GstHarness. */
#include "seqtest-gst.h"

#include <glib/gstdio.h>
#include <math.h>
#include <seqenc/common.h>
#include <seqenc/fbank.h>

#define S16_CAPS(rate) \
  "audio/x-raw,format=S16LE,channels=1,layout=interleaved,rate=" #rate
#define F32_CAPS(rate) \
  "audio/x-raw,format=F32LE,channels=1,layout=interleaved,rate=" #rate

static gint16 *
signal_s16 (gsize n, guint rate, guint64 seed)
{
  gint16 *x = g_new (gint16, n);
  SeqRng rng;
  seq_rng_init (&rng, seed);
  for (gsize i = 0; i < n; i++) {
    double t = (double) i / rate;
    double v = 7000.0 * sin (2 * G_PI * (200.0 + 900.0 * t) * t)
        + seq_rng_uniform (&rng, -2000.0f, 2000.0f);
    x[i] = (gint16) lrint (v);
  }
  return x;
}

/* Library reference: the whole signal in one call plus the flush. */
static float *
library_frames (const SeqFbankParams * p, const gint16 * x, gsize n,
    gsize * n_frames, guint * dim)
{
  SeqFbank *fb = seq_fbank_new (p, NULL);
  gsize cap;
  float *out;

  CU_ASSERT_PTR_NOT_NULL_FATAL (fb);
  *dim = seq_fbank_dim (fb);
  cap = seq_fbank_frames_pending (fb, n) + 4;
  out = g_new0 (float, cap * *dim);
  *n_frames = seq_fbank_feed_s16 (fb, x, n, out, cap);
  *n_frames += seq_fbank_finish (fb, out + *n_frames * *dim, cap - *n_frames);
  seq_fbank_free (fb);
  return out;
}

static GstBuffer *
s16_buffer (const gint16 * x, gsize n)
{
  return gst_buffer_new_memdup (x, n * sizeof (gint16));
}

/* Pulls every buffer available; appends its frames to @acc (flexible
 * output) and returns how many buffers came. */
static guint
pull_all (GstHarness * h, GArray * acc, gboolean flexible, guint dim)
{
  GstBuffer *b;
  guint count = 0;

  while ((b = gst_harness_try_pull (h)) != NULL) {
    gsize n;
    float *v = seq_test_buffer_values (b, flexible, &n);
    CU_ASSERT_EQUAL (n % dim, 0);
    if (flexible) {
      GstMapInfo map;
      GstSeqTensorType type;
      guint hd, hf;
      gst_buffer_map (b, &map, GST_MAP_READ);
      CU_ASSERT (gst_seq_tensor_header_parse (map.data, map.size, &type, &hd,
              &hf, NULL));
      CU_ASSERT_EQUAL (type, GST_SEQ_TENSOR_TYPE_FLOAT32);
      CU_ASSERT_EQUAL (hd, dim);
      CU_ASSERT_EQUAL (hf, n / dim);
      gst_buffer_unmap (b, &map);
    }
    g_array_append_vals (acc, v, n);
    g_free (v);
    gst_buffer_unref (b);
    count++;
  }
  return count;
}

static GstHarness *
fbank_harness (const char *props, const char *caps)
{
  gchar *launch = g_strdup_printf ("seqfbank %s", props ? props : "");
  GstHarness *h = seq_test_harness (launch);
  g_free (launch);
  if (caps)
    gst_harness_set_src_caps_str (h, caps);
  return h;
}

static void
check_equals_library (const char *props, SeqFbankParams p, gboolean f32)
{
  const gsize n = 3 * 16000 + 77;
  const gsize sizes[] = { 441, 1, 160, 1000, 16000, 3 };
  gint16 *x = signal_s16 (n, 16000, 1);
  GstHarness *h = fbank_harness (props, f32 ? F32_CAPS (16000) :
      S16_CAPS (16000));
  GArray *acc = g_array_new (FALSE, FALSE, sizeof (float));
  gsize n_ref, pos = 0;
  guint dim;
  float *ref = library_frames (&p, x, n, &n_ref, &dim);

  for (guint i = 0; pos < n; i++) {
    gsize m = MIN (sizes[i % G_N_ELEMENTS (sizes)], n - pos);
    GstBuffer *buf;
    if (f32) {
      float *xf = g_new (float, m);
      for (gsize j = 0; j < m; j++)
        xf[j] = x[pos + j] / 32768.0f;
      buf = gst_buffer_new_memdup (xf, m * 4);
      g_free (xf);
    } else {
      buf = s16_buffer (x + pos, m);
    }
    CU_ASSERT_EQUAL_FATAL (gst_harness_push (h, buf), GST_FLOW_OK);
    pos += m;
    pull_all (h, acc, TRUE, dim);
  }
  CU_ASSERT (gst_harness_push_event (h, gst_event_new_eos ()));
  pull_all (h, acc, TRUE, dim);

  CU_ASSERT_EQUAL (acc->len, n_ref * dim);
  if (acc->len == n_ref * dim)
    CU_ASSERT (memcmp (acc->data, ref, n_ref * dim * 4) == 0);
  g_array_free (acc, TRUE);
  g_free (ref);
  g_free (x);
  gst_harness_teardown (h);
}

static void
element_fbank_output_equals_library (void)
{
  SeqFbankParams p = seq_fbank_params_default ();

  check_equals_library (NULL, p, FALSE);
  check_equals_library (NULL, p, TRUE);
  p.snip_edges = FALSE;
  p.use_energy = TRUE;
  p.window = SEQ_FBANK_WINDOW_HAMMING;
  p.num_mel_bins = 40;
  check_equals_library ("snip-edges=false use-energy=true window=hamming "
      "num-mel-bins=40", p, FALSE);
  p = seq_fbank_params_default ();
  p.dither = 2.0;
  p.dither_seed = 42;
  p.low_freq = 100.0;
  p.high_freq = -500.0;
  p.preemphasis = 0.5;
  p.remove_dc_offset = FALSE;
  check_equals_library ("dither=2 dither-seed=42 low-freq=100 high-freq=-500 "
      "preemphasis=0.5 remove-dc-offset=false", p, TRUE);
  p = seq_fbank_params_default ();
  p.stack = 3;
  p.dither = 1.0;
  p.dither_seed = 1;
  p.snip_edges = FALSE;
  check_equals_library ("stack=3 dither=1 dither-seed=1 snip-edges=false", p,
      FALSE);
  p.stack = 9;
  p.stack_hop = 3;
  check_equals_library ("stack=9 stack-hop=3 dither=1 dither-seed=1 "
      "snip-edges=false", p, TRUE);
}


static const GstStructure *
src_caps_structure (GstHarness * h, GstCaps ** keep)
{
  *keep = gst_pad_get_current_caps (h->sinkpad);
  CU_ASSERT_PTR_NOT_NULL_FATAL (*keep);
  return gst_caps_get_structure (*keep, 0);
}

static void
expect_negotiation_error (GstHarness * h)
{
  GstMessage *msg = seq_test_pop_error (h);
  GError *err = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (msg);
  gst_message_parse_error (msg, &err, NULL);
  CU_ASSERT (g_error_matches (err, GST_CORE_ERROR,
          GST_CORE_ERROR_NEGOTIATION));
  g_clear_error (&err);
  gst_message_unref (msg);
}

/* stack=3: 240 values a frame at a third of the frame rate, each frame's
 * PTS and duration on the 30 ms hop, offsets counting stacked frames */
static void
element_fbank_stack_divides_the_frame_rate (void)
{
  const gsize n = 16000 + 555;
  gint16 *x = signal_s16 (n, 16000, 9);
  GstHarness *h = fbank_harness ("stack=3", S16_CAPS (16000));
  const GstClockTime base = 5 * GST_SECOND;
  const GstStructure *st;
  GstCaps *caps;
  GstBuffer *b, *buf = s16_buffer (x, n);
  gint fn, fd;
  guint64 k = 0;

  GST_BUFFER_PTS (buf) = base;
  CU_ASSERT_EQUAL_FATAL (gst_harness_push (h, buf), GST_FLOW_OK);
  st = src_caps_structure (h, &caps);
  CU_ASSERT_STRING_EQUAL (gst_structure_get_string (st, "dimensions"), "240");
  CU_ASSERT (gst_structure_get_fraction (st, "framerate", &fn, &fd));
  CU_ASSERT (fn == 100 && fd == 3);
  gst_caps_unref (caps);
  while ((b = gst_harness_try_pull (h)) != NULL) {
    gsize nv;
    float *v = seq_test_buffer_values (b, TRUE, &nv);
    guint64 t = nv / 240;
    CU_ASSERT_EQUAL (nv % 240, 0);
    CU_ASSERT_EQUAL (GST_BUFFER_OFFSET (b), k);
    CU_ASSERT_EQUAL (GST_BUFFER_PTS (b), base + k * 30 * GST_MSECOND);
    CU_ASSERT_EQUAL (GST_BUFFER_DURATION (b), t * 30 * GST_MSECOND);
    k += t;
    g_free (v);
    gst_buffer_unref (b);
  }
  /* 1 + (n - 400) / 160 frames of 10 ms, stacked by three */
  CU_ASSERT_EQUAL (k, (1 + (n - 400) / 160) / 3);
  g_free (x);
  gst_harness_teardown (h);
}

/* stack=9 stack-hop=3: 720 values a frame every 30 ms, frame j the
 * unstacked frames 3j .. 3j + 8 (dither included: each frame computed
 * once), PTS on the 30 ms hop; at EOS a frame for every complete hop, the
 * frames past the last one copies of it; a hop above the stack is
 * refused */
static void
element_fbank_stack_hop_overlaps_the_stacks (void)
{
  const gsize n = 16000 + 555;
  gint16 *x = signal_s16 (n, 16000, 9);
  SeqFbankParams p = seq_fbank_params_default ();
  GstHarness *h = fbank_harness ("stack=9 stack-hop=3 dither=1 dither-seed=3",
      S16_CAPS (16000));
  const GstStructure *st;
  GstCaps *caps;
  GstBuffer *b;
  GArray *acc = g_array_new (FALSE, FALSE, sizeof (float));
  gsize n1, k, pos;
  guint d1;
  gint fn, fd;
  float *one;

  p.dither = 1.0;
  p.dither_seed = 3;
  one = library_frames (&p, x, n, &n1, &d1);
  for (pos = 0; pos < n; pos += 1234)
    CU_ASSERT_EQUAL (gst_harness_push (h, s16_buffer (x + pos,
                MIN (1234, n - pos))), GST_FLOW_OK);
  CU_ASSERT (gst_harness_push_event (h, gst_event_new_eos ()));
  st = src_caps_structure (h, &caps);
  CU_ASSERT_STRING_EQUAL (gst_structure_get_string (st, "dimensions"), "720");
  CU_ASSERT (gst_structure_get_fraction (st, "framerate", &fn, &fd));
  CU_ASSERT (fn == 100 && fd == 3);
  gst_caps_unref (caps);
  k = 0;
  while ((b = gst_harness_try_pull (h)) != NULL) {
    gsize nv;
    float *v = seq_test_buffer_values (b, TRUE, &nv);
    CU_ASSERT_EQUAL (GST_BUFFER_OFFSET (b), k);
    CU_ASSERT_EQUAL (GST_BUFFER_PTS (b), k * 30 * GST_MSECOND);
    k += nv / 720;
    g_array_append_vals (acc, v, nv);
    g_free (v);
    gst_buffer_unref (b);
  }
  CU_ASSERT_EQUAL (d1, 80);
  CU_ASSERT_EQUAL (k, n1 / 3);
  CU_ASSERT_EQUAL (acc->len, k * 720);
  for (gsize j = 0; j < k && acc->len == k * 720; j++) {
    for (gsize sl = 0; sl < 9; sl++) {
      gsize q = 3 * j + sl, pad = n1 / 3 * 3;
      gsize src = q < pad ? q : pad - 3 + (q - pad) % 3;
      CU_ASSERT (memcmp ((float *) acc->data + (j * 9 + sl) * 80,
              one + src * 80, 80 * 4) == 0);
    }
  }
  g_array_free (acc, TRUE);
  gst_harness_teardown (h);
  g_free (one);

  h = fbank_harness ("stack=3 stack-hop=4", NULL);
  gst_harness_set_src_caps_str (h, S16_CAPS (16000));
  expect_negotiation_error (h);
  gst_harness_teardown (h);
  g_free (x);
}

/* A safetensors file with one tensor and @metadata (JSON members) in the
 * test's temporary directory. */
static gchar *
model_file (const char *name, const char *metadata)
{
  gchar *dir = seq_test_tmpdir ();
  gchar *path = g_build_filename (dir, name, NULL);
  gchar *hdr = g_strdup_printf ("{\"__metadata__\":{%s},\"x\":{\"dtype\":"
      "\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", metadata);
  gsize hl = strlen (hdr);
  guint8 *b = g_malloc0 (8 + hl + 4);
  guint64 le = GUINT64_TO_LE ((guint64) hl);

  memcpy (b, &le, 8);
  memcpy (b + 8, hdr, hl);
  CU_ASSERT_FATAL (g_file_set_contents (path, (const gchar *) b, 8 + hl + 4,
          NULL));
  g_free (b);
  g_free (hdr);
  g_free (dir);
  return path;
}

/* model=: the file's "seqfbank.*" metadata sets the properties (later ones
 * override) and the input rate */
static void
element_fbank_model_sets_the_front_end (void)
{
  gchar *path = model_file ("front.safetensors",
      "\"labels\":\"[]\",\"seqfbank.num-mel-bins\":\"40\","
      "\"seqfbank.stack\":\"9\",\"seqfbank.stack-hop\":\"3\","
      "\"seqfbank.dither\":\"1\",\"seqfbank.window\":\"hamming\","
      "\"seqfbank.snip-edges\":\"false\",\"seqfbank.rate\":\"8000\"");
  gchar *launch = g_strdup_printf ("model=%s", path);
  gchar *launch2 = g_strdup_printf ("model=%s num-mel-bins=23", path);
  gint16 x[4000] = { 0 };
  GstHarness *h = fbank_harness (launch, S16_CAPS (8000));
  GstElement *e = gst_harness_find_element (h, "seqfbank");
  const GstStructure *st;
  GstCaps *caps;
  guint mels, stack, hop;
  gint window;
  gdouble dither;
  gboolean snip;
  gchar *model;

  g_object_get (e, "num-mel-bins", &mels, "stack", &stack, "stack-hop", &hop,
      "dither", &dither, "window", &window, "snip-edges", &snip, "model",
      &model, NULL);
  CU_ASSERT (mels == 40 && stack == 9 && hop == 3 && dither == 1.0);
  CU_ASSERT (window == SEQ_FBANK_WINDOW_HAMMING && !snip);
  CU_ASSERT_STRING_EQUAL (model, path);
  g_free (model);
  /* the sink pad takes the model's rate only */
  {
    GstPad *sink = gst_element_get_static_pad (e, "sink");
    caps = gst_pad_query_caps (sink, NULL);
    gst_object_unref (sink);
  }
  {
    GstCaps *c16 = gst_caps_from_string (S16_CAPS (16000));
    GstCaps *c8 = gst_caps_from_string (S16_CAPS (8000));
    CU_ASSERT_FALSE (gst_caps_can_intersect (caps, c16));
    CU_ASSERT_TRUE (gst_caps_can_intersect (caps, c8));
    gst_caps_unref (c16);
    gst_caps_unref (c8);
  }
  gst_caps_unref (caps);
  gst_object_unref (e);
  CU_ASSERT_EQUAL (gst_harness_push (h, s16_buffer (x, 4000)), GST_FLOW_OK);
  st = src_caps_structure (h, &caps);
  CU_ASSERT_STRING_EQUAL (gst_structure_get_string (st, "dimensions"), "360");
  gst_caps_unref (caps);
  gst_harness_teardown (h);

  /* a later property overrides the model's */
  h = fbank_harness (launch2, NULL);
  e = gst_harness_find_element (h, "seqfbank");
  g_object_get (e, "num-mel-bins", &mels, "stack", &stack, NULL);
  CU_ASSERT (mels == 23 && stack == 9);
  /* another rate is refused (upstream's audioresample converts) */
  {
    GstPad *sink = gst_element_get_static_pad (e, "sink");
    GstCaps *c16 = gst_caps_from_string (S16_CAPS (16000));
    GstCaps *c8 = gst_caps_from_string (S16_CAPS (8000));
    CU_ASSERT_FALSE (gst_pad_query_accept_caps (sink, c16));
    CU_ASSERT_TRUE (gst_pad_query_accept_caps (sink, c8));
    gst_caps_unref (c16);
    gst_caps_unref (c8);
    gst_object_unref (sink);
  }
  gst_object_unref (e);
  gst_harness_teardown (h);

  g_unlink (path);
  g_free (path);
  g_free (launch);
  g_free (launch2);
}

/* A model whose settings cannot be taken changes nothing and fails
 * READY -> PAUSED with a RESOURCE SETTINGS error naming the problem. */
static void
element_fbank_model_errors_are_clear (void)
{
  const struct {
    const char *metadata, *says;
  } cases[] = {
    {"\"seqfbank.num-mel-bins\":\"40\",\"seqfbank.foo\":\"1\"",
        "not a front-end property"},
    {"\"seqfbank.num-mel-bins\":\"40\",\"seqfbank.stack\":\"abc\"",
        "not a valid value"},
    {"\"seqfbank.num-mel-bins\":\"40\",\"seqfbank.stack\":\"99\"",
        "not a valid value"},
    {"\"seqfbank.num-mel-bins\":\"40\",\"seqfbank.state-location\":"
        "\"/tmp/x\"", "not a front-end property"},
    {"\"seqfbank.num-mel-bins\":\"40\",\"seqfbank.rate\":\"0\"",
        "not a rate"},
    {NULL, "open"},             /* no such file */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *path = cases[i].metadata ? model_file ("bad.safetensors",
        cases[i].metadata) : g_strdup ("/nonexistent/model.safetensors");
    GstElement *pipe = gst_pipeline_new (NULL);
    GstElement *e = gst_element_factory_make ("seqfbank", NULL);
    GstBus *bus = gst_element_get_bus (pipe);
    GstMessage *msg;
    GError *err = NULL;
    gchar *dbg = NULL;
    guint mels;

    gst_bin_add (GST_BIN (pipe), e);
    g_object_set (e, "model", path, NULL);
    g_object_get (e, "num-mel-bins", &mels, NULL);
    CU_ASSERT_EQUAL (mels, 80);   /* nothing taken */
    CU_ASSERT_EQUAL (gst_element_set_state (pipe, GST_STATE_PAUSED),
        GST_STATE_CHANGE_FAILURE);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    CU_ASSERT_PTR_NOT_NULL_FATAL (msg);
    gst_message_parse_error (msg, &err, &dbg);
    CU_ASSERT (g_error_matches (err, GST_RESOURCE_ERROR,
            GST_RESOURCE_ERROR_SETTINGS));
    CU_ASSERT (dbg != NULL && strstr (dbg, cases[i].says) != NULL);
    if (dbg == NULL || strstr (dbg, cases[i].says) == NULL)
      g_printerr ("\n  case %u: %s\n", i, dbg ? dbg : "(no debug)");
    g_clear_error (&err);
    g_free (dbg);
    gst_message_unref (msg);
    gst_element_set_state (pipe, GST_STATE_NULL);
    gst_object_unref (bus);
    gst_object_unref (pipe);
    if (cases[i].metadata)
      g_unlink (path);
    g_free (path);
  }
}

static void
element_fbank_caps_accepted_and_rejected (void)
{
  gint16 x[800] = { 0 };
  GstHarness *h;
  GstCaps *caps;
  const GstStructure *s;
  gint n, d;

  /* default: 80 x T flexible at 100 frames/s */
  h = fbank_harness (NULL, S16_CAPS (16000));
  CU_ASSERT_EQUAL (gst_harness_push (h, s16_buffer (x, 800)), GST_FLOW_OK);
  s = src_caps_structure (h, &caps);
  CU_ASSERT_STRING_EQUAL (gst_structure_get_string (s, "format"), "flexible");
  CU_ASSERT_STRING_EQUAL (gst_structure_get_string (s, "types"), "float32");
  CU_ASSERT_STRING_EQUAL (gst_structure_get_string (s, "dimensions"), "80");
  CU_ASSERT (gst_structure_get_fraction (s, "framerate", &n, &d));
  CU_ASSERT (n == 100 && d == 1);
  gst_caps_unref (caps);
  gst_harness_teardown (h);

  /* 8 kHz F32, energy, 23 bins; 22.05 kHz gives a reduced fraction */
  h = fbank_harness ("num-mel-bins=23 use-energy=true", F32_CAPS (8000));
  {
    float xf[400] = { 0 };
    CU_ASSERT_EQUAL (gst_harness_push (h, gst_buffer_new_memdup (xf, 1600)),
        GST_FLOW_OK);
  }
  s = src_caps_structure (h, &caps);
  CU_ASSERT_STRING_EQUAL (gst_structure_get_string (s, "dimensions"), "24");
  gst_caps_unref (caps);
  gst_harness_teardown (h);

  h = fbank_harness (NULL, S16_CAPS (22050));
  CU_ASSERT_EQUAL (gst_harness_push (h, s16_buffer (x, 800)), GST_FLOW_OK);
  s = src_caps_structure (h, &caps);
  CU_ASSERT (gst_structure_get_fraction (s, "framerate", &n, &d));
  CU_ASSERT (n == 2205 && d == 22);      /* 22050 / 220 */
  gst_caps_unref (caps);
  gst_harness_teardown (h);

  /* mel range above Nyquist at 8 kHz: CORE NEGOTIATION error */
  h = fbank_harness ("high-freq=7000", NULL);
  gst_harness_set_src_caps_str (h, S16_CAPS (8000));
  expect_negotiation_error (h);
  CU_ASSERT_NOT_EQUAL (gst_harness_push (h, s16_buffer (x, 800)),
      GST_FLOW_OK);
  gst_harness_teardown (h);

  /* the same settings at 16 kHz are fine */
  h = fbank_harness ("high-freq=7000", S16_CAPS (16000));
  CU_ASSERT_EQUAL (gst_harness_push (h, s16_buffer (x, 800)), GST_FLOW_OK);
  CU_ASSERT_PTR_NULL (seq_test_pop_error (h));
  gst_harness_teardown (h);

  /* a window of 1 sample */
  h = fbank_harness ("frame-length=0.05", NULL);
  gst_harness_set_src_caps_str (h, S16_CAPS (16000));
  expect_negotiation_error (h);
  gst_harness_teardown (h);

  /* stereo and U8 are not accepted */
  h = fbank_harness (NULL, NULL);
  gst_harness_set_src_caps_str (h,
      "audio/x-raw,format=S16LE,channels=2,layout=interleaved,rate=16000,"
      "channel-mask=(bitmask)0x3");
  CU_ASSERT_NOT_EQUAL (gst_harness_push (h, s16_buffer (x, 800)),
      GST_FLOW_OK);
  gst_harness_teardown (h);
  h = fbank_harness (NULL, NULL);
  gst_harness_set_src_caps_str (h,
      "audio/x-raw,format=U8,channels=1,layout=interleaved,rate=16000");
  CU_ASSERT_NOT_EQUAL (gst_harness_push (h, s16_buffer (x, 800)),
      GST_FLOW_OK);
  gst_harness_teardown (h);
}

static void
element_fbank_sink_caps_prefer_16khz_but_take_any_rate (void)
{
  GstElement *e = gst_element_factory_make ("seqfbank", NULL);
  GstPad *sink = gst_element_get_static_pad (e, "sink");
  GstCaps *caps = gst_pad_query_caps (sink, NULL);
  GstCaps *c8k = gst_caps_from_string (S16_CAPS (8000));
  gint rate = 0;

  CU_ASSERT (gst_caps_get_size (caps) >= 2);
  CU_ASSERT (gst_structure_get_int (gst_caps_get_structure (caps, 0), "rate",
          &rate));
  CU_ASSERT_EQUAL (rate, 16000);
  CU_ASSERT (gst_caps_can_intersect (caps, c8k));
  gst_caps_unref (c8k);
  gst_caps_unref (caps);
  gst_object_unref (sink);
  gst_object_unref (e);
}

static void
element_fbank_static_output_when_downstream_requires_it (void)
{
  const gsize n = 16000;
  gint16 *x = signal_s16 (n, 16000, 2);
  SeqFbankParams p = seq_fbank_params_default ();
  GstHarness *h = fbank_harness (NULL, NULL);
  GArray *acc = g_array_new (FALSE, FALSE, sizeof (float));
  GstCaps *caps;
  const GstStructure *s;
  gsize n_ref;
  guint dim, buffers;
  float *ref = library_frames (&p, x, n, &n_ref, &dim);

  gst_harness_set_sink_caps_str (h, "other/tensors,format=static");
  gst_harness_set_src_caps_str (h, S16_CAPS (16000));
  CU_ASSERT_EQUAL (gst_harness_push (h, s16_buffer (x, n)), GST_FLOW_OK);
  s = src_caps_structure (h, &caps);
  CU_ASSERT_STRING_EQUAL (gst_structure_get_string (s, "format"), "static");
  CU_ASSERT_STRING_EQUAL (gst_structure_get_string (s, "dimensions"), "80:1");
  gst_caps_unref (caps);
  buffers = pull_all (h, acc, FALSE, dim);
  CU_ASSERT_EQUAL (buffers, n_ref);     /* one frame per buffer */
  CU_ASSERT_EQUAL (acc->len, n_ref * dim);
  if (acc->len == n_ref * dim)
    CU_ASSERT (memcmp (acc->data, ref, n_ref * dim * 4) == 0);
  g_array_free (acc, TRUE);
  g_free (ref);
  g_free (x);
  gst_harness_teardown (h);
}

/* Frame k of a stream starting at @base: base + k * shift / rate seconds,
 * from integers. */
static GstClockTime
expected_pts (GstClockTime base, guint64 k, guint shift, guint rate)
{
  return base + gst_util_uint64_scale (k, (guint64) shift * GST_SECOND, rate);
}

static void
element_fbank_timestamps_are_exact_from_the_stream_start (void)
{
  /* 22.05 kHz: a 10 ms shift is 220 samples = 9977324.26... ns, so any
   * per-frame rounding would drift; buffers of 1000 samples carry rounded
   * PTS of their own */
  const guint rate = 22050, shift = 220, chunk = 1000;
  const GstClockTime base = 10 * 3600 * GST_SECOND + 123;
  const gsize n = 90 * rate;    /* 90 s */
  gint16 *x = signal_s16 (n, rate, 3);
  GstHarness *h = fbank_harness (NULL, S16_CAPS (22050));
  GstBuffer *b;
  guint64 k = 0;
  GstClockTime last_end = base;

  for (gsize pos = 0; pos < n; pos += chunk) {
    GstBuffer *buf = s16_buffer (x + pos, MIN (chunk, n - pos));
    GST_BUFFER_PTS (buf) = base + gst_util_uint64_scale (pos, GST_SECOND,
        rate);
    CU_ASSERT_EQUAL_FATAL (gst_harness_push (h, buf), GST_FLOW_OK);
    while ((b = gst_harness_try_pull (h)) != NULL) {
      gsize nv;
      float *v = seq_test_buffer_values (b, TRUE, &nv);
      guint64 t = nv / 80;
      CU_ASSERT_EQUAL (GST_BUFFER_OFFSET (b), k);
      CU_ASSERT_EQUAL (GST_BUFFER_OFFSET_END (b), k + t);
      CU_ASSERT_EQUAL (GST_BUFFER_PTS (b), expected_pts (base, k, shift,
              rate));
      CU_ASSERT_EQUAL (GST_BUFFER_PTS (b), last_end);   /* contiguous */
      CU_ASSERT_EQUAL (GST_BUFFER_PTS (b) + GST_BUFFER_DURATION (b),
          expected_pts (base, k + t, shift, rate));
      last_end = GST_BUFFER_PTS (b) + GST_BUFFER_DURATION (b);
      k += t;
      g_free (v);
      gst_buffer_unref (b);
    }
  }
  CU_ASSERT_EQUAL (k, 1 + (n - 551) / shift);   /* window 551 samples */
  g_free (x);
  gst_harness_teardown (h);
}

static void
element_fbank_stream_start_comes_from_segment_without_pts (void)
{
  gint16 *x = signal_s16 (4000, 16000, 4);
  GstHarness *h = fbank_harness (NULL, NULL);
  GstSegment seg;
  GstBuffer *b;

  gst_harness_set_caps_str (h, S16_CAPS (16000), "other/tensors");
  /* set_caps_str pushed a segment at 0; push one at 5 s */
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.start = 5 * GST_SECOND;
  seg.time = 5 * GST_SECOND;
  CU_ASSERT (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  CU_ASSERT_EQUAL (gst_harness_push (h, s16_buffer (x, 4000)), GST_FLOW_OK);
  b = gst_harness_try_pull (h);
  CU_ASSERT_PTR_NOT_NULL_FATAL (b);
  CU_ASSERT_EQUAL (GST_BUFFER_PTS (b), 5 * GST_SECOND);
  gst_buffer_unref (b);
  g_free (x);
  gst_harness_teardown (h);
}

/* Pushes @x in two halves around @between (an event or a flag on the second
 * half) and returns the frames of the second half. */
static GArray *
second_half_frames (const char *props, GstEvent * between,
    gboolean discont, const gint16 * x, gsize n, guint dim)
{
  GstHarness *h = fbank_harness (props, S16_CAPS (16000));
  GArray *acc = g_array_new (FALSE, FALSE, sizeof (float));
  GstBuffer *second;

  CU_ASSERT_EQUAL (gst_harness_push (h, s16_buffer (x, n / 2)), GST_FLOW_OK);
  {
    GstBuffer *b;
    while ((b = gst_harness_try_pull (h)) != NULL)
      gst_buffer_unref (b);
  }
  if (between && GST_EVENT_TYPE (between) == GST_EVENT_FLUSH_STOP)
    CU_ASSERT (gst_harness_push_event (h, gst_event_new_flush_start ()));
  if (between)
    CU_ASSERT (gst_harness_push_event (h, between));
  /* after a flush, GstPad wants a new segment */
  if (between && GST_EVENT_TYPE (between) == GST_EVENT_FLUSH_STOP) {
    GstSegment seg;
    gst_segment_init (&seg, GST_FORMAT_TIME);
    CU_ASSERT (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  }
  second = s16_buffer (x + n / 2, n - n / 2);
  if (discont)
    GST_BUFFER_FLAG_SET (second, GST_BUFFER_FLAG_DISCONT);
  CU_ASSERT_EQUAL (gst_harness_push (h, second), GST_FLOW_OK);
  CU_ASSERT (gst_harness_push_event (h, gst_event_new_eos ()));
  pull_all (h, acc, TRUE, dim);
  gst_harness_teardown (h);
  return acc;
}

static void
element_fbank_flush_discont_and_reset_event_restart_the_stream (void)
{
  const gsize n = 16000;
  gint16 *x = signal_s16 (n, 16000, 5);
  SeqFbankParams p = seq_fbank_params_default ();
  gsize n_fresh, n_cont;
  guint dim;
  /* what the second half gives as a stream of its own */
  float *fresh = library_frames (&p, x + n / 2, n - n / 2, &n_fresh, &dim);
  /* and as the continuation of the first half */
  float *whole = library_frames (&p, x, n, &n_cont, &dim);
  gsize first = 1 + (n / 2 - 400) / 160;
  GArray *a;

  a = second_half_frames (NULL, gst_event_new_flush_stop (TRUE), FALSE, x, n,
      dim);
  CU_ASSERT_EQUAL (a->len, n_fresh * dim);
  if (a->len == n_fresh * dim)
    CU_ASSERT (memcmp (a->data, fresh, a->len * 4) == 0);
  g_array_free (a, TRUE);

  a = second_half_frames (NULL, gst_seq_reset_event_new (), FALSE, x, n, dim);
  CU_ASSERT_EQUAL (a->len, n_fresh * dim);
  if (a->len == n_fresh * dim)
    CU_ASSERT (memcmp (a->data, fresh, a->len * 4) == 0);
  g_array_free (a, TRUE);

  a = second_half_frames (NULL, NULL, TRUE, x, n, dim);
  CU_ASSERT_EQUAL (a->len, n_fresh * dim);
  if (a->len == n_fresh * dim)
    CU_ASSERT (memcmp (a->data, fresh, a->len * 4) == 0);
  g_array_free (a, TRUE);

  /* reset-on without discont: the stream continues across the DISCONT */
  a = second_half_frames ("reset-on=flush+stream-start+event", NULL, TRUE, x,
      n, dim);
  CU_ASSERT_EQUAL (a->len, (n_cont - first) * dim);
  if (a->len == (n_cont - first) * dim)
    CU_ASSERT (memcmp (a->data, whole + first * dim, a->len * 4) == 0);
  g_array_free (a, TRUE);

  /* reset-on=0: even a flush keeps the stream */
  a = second_half_frames ("reset-on=0", gst_event_new_flush_stop (TRUE),
      TRUE, x, n, dim);
  CU_ASSERT_EQUAL (a->len, (n_cont - first) * dim);
  g_array_free (a, TRUE);

  g_free (fresh);
  g_free (whole);
  g_free (x);
}

static void
element_fbank_eos_outputs_the_reflected_last_frames (void)
{
  const gsize n = 16000 + 100;
  gint16 *x = signal_s16 (n, 16000, 6);
  GstHarness *h = fbank_harness ("snip-edges=false", S16_CAPS (16000));
  GArray *acc = g_array_new (FALSE, FALSE, sizeof (float));
  guint64 before;

  CU_ASSERT_EQUAL (gst_harness_push (h, s16_buffer (x, n)), GST_FLOW_OK);
  pull_all (h, acc, TRUE, 80);
  before = acc->len / 80;
  /* streaming: frames whose window ends inside the audio */
  CU_ASSERT_EQUAL (before, (n + 120 - 400) / 160 + 1);
  CU_ASSERT (gst_harness_push_event (h, gst_event_new_eos ()));
  pull_all (h, acc, TRUE, 80);
  CU_ASSERT_EQUAL (acc->len / 80, (n + 80) / 160);
  CU_ASSERT (acc->len / 80 > before);
  g_array_free (acc, TRUE);
  g_free (x);
  gst_harness_teardown (h);
}

static void
element_fbank_refuses_non_finite_samples (void)
{
  float xf[1600];
  GstHarness *h = fbank_harness (NULL, F32_CAPS (16000));
  GstMessage *msg;
  GError *err = NULL;

  for (guint i = 0; i < 1600; i++)
    xf[i] = 0.25f * sinf (i * 0.1f);
  xf[700] = NAN;
  CU_ASSERT_EQUAL (gst_harness_push (h, gst_buffer_new_memdup (xf,
              sizeof xf)), GST_FLOW_ERROR);
  CU_ASSERT_PTR_NULL (gst_harness_try_pull (h));
  msg = seq_test_pop_error (h);
  CU_ASSERT_PTR_NOT_NULL_FATAL (msg);
  gst_message_parse_error (msg, &err, NULL);
  CU_ASSERT (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FORMAT));
  g_clear_error (&err);
  gst_message_unref (msg);
  gst_harness_teardown (h);
}

static void
element_fbank_partial_samples_are_carried_over (void)
{
  const gsize n = 8000;
  gint16 *x = signal_s16 (n, 16000, 7);
  float *xf = g_new (float, n);
  SeqFbankParams p = seq_fbank_params_default ();
  gsize n_ref;
  guint dim;
  float *ref = library_frames (&p, x, n, &n_ref, &dim);

  for (gsize i = 0; i < n; i++)
    xf[i] = x[i] / 32768.0f;
  for (int f32 = 0; f32 < 2; f32++) {
    GstHarness *h = fbank_harness (NULL, f32 ? F32_CAPS (16000) :
        S16_CAPS (16000));
    GArray *acc = g_array_new (FALSE, FALSE, sizeof (float));
    const guint8 *bytes = f32 ? (const guint8 *) xf : (const guint8 *) x;
    gsize total = n * (f32 ? 4 : 2), pos = 0;

    /* 333-byte buffers: samples split across buffers, and the samples after
     * a completed partial one start at unaligned addresses */
    while (pos < total) {
      gsize m = MIN (333, total - pos);
      CU_ASSERT_EQUAL (gst_harness_push (h, gst_buffer_new_memdup (bytes +
                  pos, m)), GST_FLOW_OK);
      pos += m;
    }
    CU_ASSERT (gst_harness_push_event (h, gst_event_new_eos ()));
    pull_all (h, acc, TRUE, dim);
    CU_ASSERT_EQUAL (acc->len, n_ref * dim);
    if (acc->len == n_ref * dim)
      CU_ASSERT (memcmp (acc->data, ref, acc->len * 4) == 0);
    g_array_free (acc, TRUE);
    gst_harness_teardown (h);
  }
  g_free (ref);
  g_free (xf);
  g_free (x);
}

static void
element_fbank_latency_query_reports_the_lookahead (void)
{
  const struct {
    const char *props;
    GstClockTime want;
  } cases[] = {
    {NULL, 25 * GST_MSECOND},
    {"snip-edges=false", 17500 * GST_USECOND},
    {"frame-length=50", 50 * GST_MSECOND},
    {"stack=3", 45 * GST_MSECOND},
    {"stack=9 stack-hop=3", 105 * GST_MSECOND},
  };
  gint16 x[800] = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstHarness *h = fbank_harness (cases[i].props, S16_CAPS (16000));
    gst_harness_set_upstream_latency (h, 5 * GST_MSECOND);
    CU_ASSERT_EQUAL (gst_harness_push (h, s16_buffer (x, 800)), GST_FLOW_OK);
    CU_ASSERT_EQUAL (gst_harness_query_latency (h),
        5 * GST_MSECOND + cases[i].want);
    gst_harness_teardown (h);
  }
}

static void
element_fbank_shape_properties_refused_while_playing (void)
{
  GstHarness *h = fbank_harness (NULL, S16_CAPS (16000));
  GstElement *e = gst_harness_find_element (h, "seqfbank");
  guint bins, reset_on;

  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  g_object_set (e, "num-mel-bins", 40, "reset-on", 0, NULL);
  g_object_get (e, "num-mel-bins", &bins, "reset-on", &reset_on, NULL);
  CU_ASSERT_EQUAL (bins, 80);   /* refused: the harness is PLAYING */
  CU_ASSERT_EQUAL (reset_on, 0);        /* allowed */

  gst_element_set_state (h->element, GST_STATE_NULL);
  g_object_set (e, "num-mel-bins", 40, NULL);
  g_object_get (e, "num-mel-bins", &bins, NULL);
  CU_ASSERT_EQUAL (bins, 40);
  gst_object_unref (e);
  gst_harness_teardown (h);
}

static guint64
blob_u64 (const gchar * path, gsize offset)
{
  gchar *data = NULL;
  gsize len = 0;
  guint64 v = 0;

  CU_ASSERT_FATAL (g_file_get_contents (path, &data, &len, NULL));
  CU_ASSERT_FATAL (len >= offset + 8);
  memcpy (&v, data + offset, 8);
  g_free (data);
  return GUINT64_FROM_LE (v);
}

/* A checkpoint taken mid-stream (as a crash would leave it: the file is
 * copied before the element stops), then a new element restored from it and
 * fed the rest of the audio from the saved sample on: its frames are those
 * of the uninterrupted stream from the saved frame on, with continuing
 * offsets. */
static void
element_fbank_state_location_resumes_the_stream (void)
{
  const gsize n = 2 * 16000 + 123;
  gint16 *x = signal_s16 (n, 16000, 8);
  SeqFbankParams p = seq_fbank_params_default ();
  gchar *dir = seq_test_tmpdir ();
  gchar *loc = g_build_filename (dir, "fbank.state", NULL);
  gchar *ckpt = g_build_filename (dir, "checkpoint.state", NULL);
  gchar *props = g_strdup_printf ("state-location=%s checkpoint-interval=10",
      loc);
  gchar *props2 = g_strdup_printf ("state-location=%s", ckpt);
  gchar *props3 = g_strdup_printf ("state-location=%s num-mel-bins=40", ckpt);
  gchar *data = NULL;
  gsize len, n_ref, pos;
  guint dim;
  float *ref = library_frames (&p, x, n, &n_ref, &dim);
  guint64 seen, done;
  GstHarness *h;
  GArray *acc = g_array_new (FALSE, FALSE, sizeof (float));
  GstBuffer *b;
  gboolean first = TRUE;

  /* first run: 7000 samples in 441-sample buffers, checkpoints every 10
   * frames */
  h = fbank_harness (props, S16_CAPS (16000));
  for (pos = 0; pos < 7000; pos += 441)
    CU_ASSERT_EQUAL (gst_harness_push (h, s16_buffer (x + pos,
                MIN (441, 7000 - pos))), GST_FLOW_OK);
  CU_ASSERT_FATAL (g_file_get_contents (loc, &data, &len, NULL));
  CU_ASSERT_FATAL (g_file_set_contents (ckpt, data, len, NULL));
  g_free (data);
  gst_harness_teardown (h);
  seen = blob_u64 (ckpt, 16);
  done = blob_u64 (ckpt, 24);
  CU_ASSERT (seen > 0 && seen < 7000);  /* a mid-stream checkpoint */
  CU_ASSERT_EQUAL (done, 1 + (seen - 400) / 160);
  /* the stop saved the state as of the last sample */
  CU_ASSERT_EQUAL (blob_u64 (loc, 16), 7000);

  /* second run from the checkpoint and the rest of the audio */
  h = fbank_harness (props2, S16_CAPS (16000));
  for (pos = seen; pos < n; pos += 1000) {
    GstBuffer *buf = s16_buffer (x + pos, MIN (1000, n - pos));
    if (pos == seen)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    CU_ASSERT_EQUAL (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  CU_ASSERT (gst_harness_push_event (h, gst_event_new_eos ()));
  while ((b = gst_harness_try_pull (h)) != NULL) {
    gsize nv;
    float *v = seq_test_buffer_values (b, TRUE, &nv);
    if (first)
      CU_ASSERT_EQUAL (GST_BUFFER_OFFSET (b), done);
    first = FALSE;
    g_array_append_vals (acc, v, nv);
    g_free (v);
    gst_buffer_unref (b);
  }
  gst_harness_teardown (h);
  CU_ASSERT_EQUAL (acc->len, (n_ref - done) * dim);
  if (acc->len == (n_ref - done) * dim)
    CU_ASSERT (memcmp (acc->data, ref + done * dim, acc->len * 4) == 0);
  /* EOS saved the state at the end of the audio */
  CU_ASSERT_EQUAL (blob_u64 (ckpt, 16), n);

  /* a state saved under other settings is refused */
  h = fbank_harness (props3, NULL);
  gst_harness_set_src_caps_str (h, S16_CAPS (16000));
  {
    GstMessage *msg = seq_test_pop_error (h);
    GError *err = NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL (msg);
    gst_message_parse_error (msg, &err, NULL);
    CU_ASSERT (g_error_matches (err, GST_STREAM_ERROR,
            GST_STREAM_ERROR_WRONG_TYPE));
    g_clear_error (&err);
    gst_message_unref (msg);
  }
  gst_harness_teardown (h);

  g_array_free (acc, TRUE);
  g_free (ref);
  g_free (x);
  g_unlink (loc);
  g_unlink (ckpt);
  g_rmdir (dir);
  g_free (props);
  g_free (props2);
  g_free (props3);
  g_free (loc);
  g_free (ckpt);
  g_free (dir);
}

int
main (void)
{
  static const SeqTestCase cases[] = {
    {"element_fbank_output_equals_library",
        element_fbank_output_equals_library},
    {"element_fbank_caps_accepted_and_rejected",
        element_fbank_caps_accepted_and_rejected},
    {"element_fbank_sink_caps_prefer_16khz_but_take_any_rate",
        element_fbank_sink_caps_prefer_16khz_but_take_any_rate},
    {"element_fbank_static_output_when_downstream_requires_it",
        element_fbank_static_output_when_downstream_requires_it},
    {"element_fbank_timestamps_are_exact_from_the_stream_start",
        element_fbank_timestamps_are_exact_from_the_stream_start},
    {"element_fbank_stream_start_comes_from_segment_without_pts",
        element_fbank_stream_start_comes_from_segment_without_pts},
    {"element_fbank_flush_discont_and_reset_event_restart_the_stream",
        element_fbank_flush_discont_and_reset_event_restart_the_stream},
    {"element_fbank_eos_outputs_the_reflected_last_frames",
        element_fbank_eos_outputs_the_reflected_last_frames},
    {"element_fbank_refuses_non_finite_samples",
        element_fbank_refuses_non_finite_samples},
    {"element_fbank_partial_samples_are_carried_over",
        element_fbank_partial_samples_are_carried_over},
    {"element_fbank_stack_divides_the_frame_rate",
        element_fbank_stack_divides_the_frame_rate},
    {"element_fbank_stack_hop_overlaps_the_stacks",
        element_fbank_stack_hop_overlaps_the_stacks},
    {"element_fbank_model_sets_the_front_end",
        element_fbank_model_sets_the_front_end},
    {"element_fbank_model_errors_are_clear",
        element_fbank_model_errors_are_clear},
    {"element_fbank_latency_query_reports_the_lookahead",
        element_fbank_latency_query_reports_the_lookahead},
    {"element_fbank_shape_properties_refused_while_playing",
        element_fbank_shape_properties_refused_while_playing},
    {"element_fbank_state_location_resumes_the_stream",
        element_fbank_state_location_resumes_the_stream},
    {NULL, NULL}
  };

  /* Only the statically registered elements are used: no registry scan.
   * (A scan of the build's plugin folder in this process, as with the suite's
   * GST_REGISTRY_FORK=no, would load libgstseqenc.so and a second copy of
   * every element type, which hangs in type registration.) */
  g_setenv ("GST_REGISTRY_UPDATE", "no", TRUE);
  {
    gchar *dir = seq_test_tmpdir ();
    gchar *reg = g_build_filename (dir, "registry.bin", NULL);
    g_setenv ("GST_REGISTRY_1_0", reg, TRUE);
    g_free (reg);
    g_free (dir);
  }
  seq_test_gst_init ();
  return seq_test_run ("element_fbank", cases);
}
