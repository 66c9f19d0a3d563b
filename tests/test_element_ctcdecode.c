/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — seqctcdecode through GstHarness: tokens, their texts and
 * timestamps against the PyTorch greedy reference of
 * tests/gen_head_ctc_fixtures.py, the seqenc-token bus message, resets, EOS,
 * state-location resume mid-token, LATENCY, and the errors (missing labels,
 * blank out of range, K != number of labels, NaN posteriors). */
#include "seqtest-gst.h"

#include <seqenc/ctc.h>
#include <seqenc/weights.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdarg.h>

#define RATE 100                /* frames per second in these tests */
#define FRAME (GST_SECOND / RATE)

typedef struct {
  float *post;                  /* [T][K] */
  guint T, K, blank;
  float *ref;                   /* [N][3] label, start, end */
  float *mean;                  /* [N] */
  guint N;
  gchar **labels;
  gchar *path;
} Fixture;

static void
fixture_load (Fixture * f, const char *name)
{
  gchar *file = g_strdup_printf ("ctc_%s.safetensors", name);
  SeqWeights *w;
  const SeqTensorInfo *t;
  gint64 blank;

  f->path = seq_test_data_path (file);
  w = seq_weights_open (f->path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  t = seq_weights_find (w, "test.posteriors");
  f->T = (guint) t->shape[0];
  f->K = (guint) t->shape[1];
  f->post = g_new (float, t->n_elements);
  seq_tensor_to_f32 (t, f->post, t->n_elements, NULL);
  t = seq_weights_find (w, "test.tokens");
  f->N = (guint) t->shape[0];
  f->ref = g_new (float, t->n_elements + 1);
  seq_tensor_to_f32 (t, f->ref, t->n_elements, NULL);
  t = seq_weights_find (w, "test.mean");
  f->mean = g_new (float, t->n_elements + 1);
  seq_tensor_to_f32 (t, f->mean, t->n_elements, NULL);
  f->labels = seq_ctc_labels_from_weights (w, &blank, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (f->labels);
  f->blank = (guint) blank;
  seq_weights_unref (w);
  g_free (file);
}

static void
fixture_clear (Fixture * f)
{
  g_free (f->post);
  g_free (f->ref);
  g_free (f->mean);
  g_strfreev (f->labels);
  g_free (f->path);
}

static GstHarness *
ctc_harness (const char *props, gboolean flexible, guint K, guint frames)
{
  gchar *launch = g_strdup_printf ("seqctcdecode %s", props ? props : "");
  gchar *caps = seq_test_caps (flexible ? "flexible" : "static", "float32", K,
      frames, RATE);
  GstHarness *h = seq_test_harness (launch);

  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
  g_free (launch);
  return h;
}

static GstHarness *
fixture_harness (const Fixture * f, const char *extra, gboolean flexible,
    guint frames)
{
  gchar *props = g_strdup_printf ("model=\"%s\" %s", f->path,
      extra ? extra : "");
  GstHarness *h = ctc_harness (props, flexible, f->K, frames);

  g_free (props);
  return h;
}

/* Pushes frames [from, to) in buffers of @chunk frames, buffer PTS = @base +
 * (its first frame - @from) / RATE. */
static GstFlowReturn
push_frames (GstHarness * h, const Fixture * f, gboolean flexible, guint from,
    guint to, guint chunk, GstClockTime base)
{
  GstFlowReturn ret = GST_FLOW_OK;

  for (guint t = from; t < to && ret == GST_FLOW_OK; t += chunk) {
    guint n = MIN (chunk, to - t);
    GstBuffer *b = seq_test_tensor_buffer (flexible, GST_SEQ_TENSOR_TYPE_FLOAT32,
        f->K, n, f->post + (gsize) t * f->K);
    GST_BUFFER_PTS (b) = base + (t - from) * FRAME;
    GST_BUFFER_DURATION (b) = n * FRAME;
    ret = gst_harness_push (h, b);
  }
  return ret;
}

typedef struct {
  gchar *text;
  GstClockTime pts, duration;
  guint64 offset, offset_end;
} Out;

static void
out_free (gpointer p)
{
  Out *o = p;
  if (o == NULL)
    return;                     /* stolen */
  g_free (o->text);
  g_free (o);
}

/* Every buffer waiting at the harness's sink. */
static GPtrArray *
pull_all (GstHarness * h)
{
  GPtrArray *a = g_ptr_array_new_with_free_func (out_free);
  GstBuffer *b;

  while ((b = gst_harness_try_pull (h)) != NULL) {
    Out *o = g_new0 (Out, 1);
    GstMapInfo map;
    gst_buffer_map (b, &map, GST_MAP_READ);
    o->text = g_strndup ((const gchar *) map.data, map.size);
    gst_buffer_unmap (b, &map);
    o->pts = GST_BUFFER_PTS (b);
    o->duration = GST_BUFFER_DURATION (b);
    o->offset = GST_BUFFER_OFFSET (b);
    o->offset_end = GST_BUFFER_OFFSET_END (b);
    g_ptr_array_add (a, o);
    gst_buffer_unref (b);
  }
  return a;
}

/* The seqenc-token messages on the harness's bus, in order. */
static GPtrArray *
pop_token_messages (GstHarness * h)
{
  GstBus *bus = gst_element_get_bus (h->element);
  GPtrArray *a = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_message_unref);
  GstMessage *m;

  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT)) != NULL) {
    if (gst_message_has_name (m, "seqenc-token"))
      g_ptr_array_add (a, m);
    else
      gst_message_unref (m);
  }
  gst_object_unref (bus);
  return a;
}

/* Checks that @outs are the reference tokens [first, first + n) of @f, as
 * texts (separator " " from the first of the stream), PTS (stream frame
 * times from @base), durations and offsets. */
static void
check_tokens (GPtrArray * outs, guint at, const Fixture * f, guint first,
    guint n, guint frame0, GstClockTime base)
{
  CU_ASSERT_FATAL (outs->len >= at + n);
  for (guint i = 0; i < n; i++) {
    const Out *o = g_ptr_array_index (outs, at + i);
    const float *r = f->ref + 3 * (first + i);
    guint64 s = (guint64) r[1] - frame0, e = (guint64) r[2] - frame0;
    gchar *want = g_strdup_printf ("%s%s", first + i > 0 ? " " : "",
        f->labels[(guint) r[0]]);
    CU_ASSERT_STRING_EQUAL (o->text, want);
    CU_ASSERT_EQUAL (o->pts, base + s * FRAME);
    CU_ASSERT_EQUAL (o->duration, (e + 1 - s) * FRAME);
    CU_ASSERT_EQUAL (o->offset, s);
    CU_ASSERT_EQUAL (o->offset_end, e + 1);
    g_free (want);
  }
}

static void
element_ctcdecode_tokens_and_times_match_reference (void)
{
  static const guint chunks[] = { 1, 7, 400 };
  Fixture f;

  fixture_load (&f, "runs");
  for (guint c = 0; c < G_N_ELEMENTS (chunks); c++) {
    GstHarness *h = fixture_harness (&f, NULL, TRUE, 0);
    const GstClockTime base = 5 * GST_SECOND;
    GPtrArray *outs, *msgs;
    GstCaps *caps;

    CU_ASSERT_EQUAL (push_frames (h, &f, TRUE, 0, f.T, chunks[c], base),
        GST_FLOW_OK);
    caps = gst_pad_get_current_caps (h->sinkpad);
    CU_ASSERT_PTR_NOT_NULL_FATAL (caps);
    CU_ASSERT (gst_structure_has_name (gst_caps_get_structure (caps, 0),
            "text/x-raw"));
    CU_ASSERT_STRING_EQUAL (gst_structure_get_string (gst_caps_get_structure
            (caps, 0), "format"), "utf8");
    gst_caps_unref (caps);
    /* the tokens a later frame ended are final before EOS */
    outs = pull_all (h);
    {
      guint final = 0;
      for (guint i = 0; i < f.N; i++)
        final += f.ref[3 * i + 2] < f.T - 1;
      CU_ASSERT (final >= f.N - 1);
      CU_ASSERT_EQUAL (outs->len, final);
    }
    g_ptr_array_unref (outs);
    CU_ASSERT (gst_harness_push_event (h, gst_event_new_eos ()));
    outs = NULL;
    g_ptr_array_unref (pull_all (h));
    gst_harness_teardown (h);

    /* once more, everything at the end */
    h = fixture_harness (&f, NULL, TRUE, 0);
    push_frames (h, &f, TRUE, 0, f.T, chunks[c], base);
    gst_harness_push_event (h, gst_event_new_eos ());
    outs = pull_all (h);
    CU_ASSERT_EQUAL_FATAL (outs->len, f.N + 1);
    check_tokens (outs, 0, &f, 0, f.N, 0, base);
    CU_ASSERT_STRING_EQUAL (((Out *) g_ptr_array_index (outs, f.N))->text,
        "\n");
    CU_ASSERT_EQUAL (((Out *) g_ptr_array_index (outs, f.N))->pts,
        base + f.T * FRAME);

    msgs = pop_token_messages (h);
    CU_ASSERT_EQUAL_FATAL (msgs->len, f.N);
    for (guint i = 0; i < f.N; i++) {
      const GstStructure *s =
          gst_message_get_structure (g_ptr_array_index (msgs, i));
      guint id;
      guint64 sf, ef, st, et;
      gdouble mean;
      CU_ASSERT (gst_structure_get (s, "label-id", G_TYPE_UINT, &id,
              "start-frame", G_TYPE_UINT64, &sf, "end-frame", G_TYPE_UINT64,
              &ef, "start", G_TYPE_UINT64, &st, "end", G_TYPE_UINT64, &et,
              "mean-posterior", G_TYPE_DOUBLE, &mean, NULL));
      CU_ASSERT_EQUAL (id, (guint) f.ref[3 * i]);
      CU_ASSERT_STRING_EQUAL (gst_structure_get_string (s, "label"),
          f.labels[id]);
      CU_ASSERT_EQUAL (sf, (guint64) f.ref[3 * i + 1]);
      CU_ASSERT_EQUAL (ef, (guint64) f.ref[3 * i + 2]);
      CU_ASSERT_EQUAL (st, base + sf * FRAME);
      CU_ASSERT_EQUAL (et, base + (ef + 1) * FRAME);
      /* the library's f32 mean (within one f32 ulp of torch's: test_ctc) */
      CU_ASSERT (fabs (mean - f.mean[i]) <= f.mean[i] * 2.4e-7);
    }
    g_ptr_array_unref (msgs);
    g_ptr_array_unref (outs);
    gst_harness_teardown (h);
  }
  fixture_clear (&f);
}

static void
element_ctcdecode_static_caps_and_probs_input (void)
{
  Fixture f;
  GstHarness *h;
  GPtrArray *outs, *msgs;

  fixture_load (&f, "probs");       /* probabilities, blank 3 */
  CU_ASSERT_EQUAL (f.T % 10, 0);
  h = fixture_harness (&f, "input=probs", FALSE, 10);
  CU_ASSERT_EQUAL (push_frames (h, &f, FALSE, 0, f.T, 10, 0), GST_FLOW_OK);
  gst_harness_push_event (h, gst_event_new_eos ());
  outs = pull_all (h);
  CU_ASSERT_EQUAL_FATAL (outs->len, f.N + 1);
  check_tokens (outs, 0, &f, 0, f.N, 0, 0);
  msgs = pop_token_messages (h);
  CU_ASSERT_EQUAL_FATAL (msgs->len, f.N);
  for (guint i = 0; i < f.N; i++) {
    gdouble mean;
    gst_structure_get_double (gst_message_get_structure (g_ptr_array_index
            (msgs, i)), "mean-posterior", &mean);
    CU_ASSERT (fabs (mean - f.mean[i]) <= f.mean[i] * 2.4e-7);
  }
  g_ptr_array_unref (msgs);
  g_ptr_array_unref (outs);
  gst_harness_teardown (h);
  fixture_clear (&f);
}

/* A frame inside reference token @i (not its first). */
static guint
mid_token_frame (const Fixture * f, guint * i)
{
  for (guint k = 10; k < f->N; k++) {
    if (f->ref[3 * k + 2] > f->ref[3 * k + 1]) {
      *i = k;
      return (guint) f->ref[3 * k + 1] + 1;
    }
  }
  CU_FAIL ("no token longer than one frame");
  return 0;
}

static void
element_ctcdecode_reset_event_and_discont_end_the_stream (void)
{
  Fixture f;
  guint k, cut;

  fixture_load (&f, "runs");
  cut = mid_token_frame (&f, &k);
  for (int how = 0; how < 3; how++) {
    GstHarness *h = fixture_harness (&f, NULL, TRUE, 0);
    GPtrArray *outs;
    guint n_after;

    push_frames (h, &f, TRUE, 0, cut, 4, 0);
    if (how == 0) {
      CU_ASSERT (gst_harness_push_event (h, gst_seq_reset_event_new ()));
    } else if (how == 1) {
      CU_ASSERT (gst_harness_push_event (h,
              gst_event_new_stream_start ("second")));
    }
    if (how == 2) {
      /* the same frames again, the first buffer flagged DISCONT */
      GstBuffer *b = seq_test_tensor_buffer (TRUE, GST_SEQ_TENSOR_TYPE_FLOAT32,
          f.K, cut, f.post);
      GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
      GST_BUFFER_PTS (b) = 0;
      CU_ASSERT_EQUAL (gst_harness_push (h, b), GST_FLOW_OK);
    } else {
      push_frames (h, &f, TRUE, 0, cut, 4, 0);
    }
    gst_harness_push_event (h, gst_event_new_eos ());
    outs = pull_all (h);
    /* tokens 0..k (k cut short, sent at the reset), "\n", the same tokens
     * again from frame 0 with no leading separator, "\n" */
    n_after = k + 1;
    CU_ASSERT_EQUAL_FATAL (outs->len, 2 * (k + 2));
    check_tokens (outs, 0, &f, 0, k, 0, 0);
    {
      gchar *want = g_strdup_printf (" %s", f.labels[(guint) f.ref[3 * k]]);
      CU_ASSERT_STRING_EQUAL (((Out *) g_ptr_array_index (outs, k))->text,
          want);
      CU_ASSERT_STRING_EQUAL (((Out *) g_ptr_array_index (outs,
                  2 * k + 2))->text, want);
      g_free (want);
    }
    CU_ASSERT_EQUAL (((Out *) g_ptr_array_index (outs, k))->offset_end, cut);
    CU_ASSERT_STRING_EQUAL (((Out *) g_ptr_array_index (outs, k + 1))->text,
        "\n");
    check_tokens (outs, k + 2, &f, 0, k, 0, 0);
    CU_ASSERT_EQUAL (((Out *) g_ptr_array_index (outs,
                k + 2 + k))->offset_end, cut);
    CU_ASSERT_EQUAL (outs->len, k + 2 + n_after + 1);
    g_ptr_array_unref (outs);
    gst_harness_teardown (h);
  }
  fixture_clear (&f);
}

/* A gap in the PTS (no DISCONT): a token keeps the PTS of the buffer where
 * it started; tokens that start after the gap carry the new time line. */
static void
element_ctcdecode_token_pts_is_from_its_first_frames_buffer (void)
{
  Fixture f;
  guint k, cut;
  GstHarness *h;
  GPtrArray *outs;
  const GstClockTime gap = 3 * GST_SECOND;

  fixture_load (&f, "runs");
  cut = mid_token_frame (&f, &k);
  h = fixture_harness (&f, NULL, TRUE, 0);
  push_frames (h, &f, TRUE, 0, cut, 5, 0);
  push_frames (h, &f, TRUE, cut, f.T, 5, cut * FRAME + gap);
  gst_harness_push_event (h, gst_event_new_eos ());
  outs = pull_all (h);
  CU_ASSERT_EQUAL_FATAL (outs->len, f.N + 1);
  check_tokens (outs, 0, &f, 0, k, 0, 0);
  {
    const Out *o = g_ptr_array_index (outs, k);
    guint64 s = (guint64) f.ref[3 * k + 1], e = (guint64) f.ref[3 * k + 2];
    CU_ASSERT_EQUAL (o->pts, s * FRAME);
    /* it ends after the gap: its duration spans it */
    CU_ASSERT_EQUAL (o->duration, (e + 1) * FRAME + gap - s * FRAME);
  }
  for (guint i = k + 1; i < f.N; i++) {
    const Out *o = g_ptr_array_index (outs, i);
    CU_ASSERT_EQUAL (o->pts, (guint64) f.ref[3 * i + 1] * FRAME + gap);
  }
  g_ptr_array_unref (outs);
  gst_harness_teardown (h);
  fixture_clear (&f);
}

static void
element_ctcdecode_flush_drops_the_open_token (void)
{
  Fixture f;
  guint k, cut;
  GstHarness *h;
  GPtrArray *outs;

  fixture_load (&f, "runs");
  cut = mid_token_frame (&f, &k);
  h = fixture_harness (&f, NULL, TRUE, 0);
  push_frames (h, &f, TRUE, 0, cut, 5, 0);
  gst_harness_push_event (h, gst_event_new_flush_start ());
  gst_harness_push_event (h, gst_event_new_flush_stop (TRUE));
  {
    gchar *caps = seq_test_caps ("flexible", "float32", f.K, 0, RATE);
    gst_harness_set_src_caps_str (h, caps);
    g_free (caps);
  }
  outs = pull_all (h);
  CU_ASSERT_EQUAL (outs->len, k);       /* the final ones only */
  g_ptr_array_unref (outs);
  push_frames (h, &f, TRUE, 0, f.T, 9, 0);
  gst_harness_push_event (h, gst_event_new_eos ());
  outs = pull_all (h);
  CU_ASSERT_EQUAL_FATAL (outs->len, f.N + 1);
  check_tokens (outs, 0, &f, 0, f.N, 0, 0);     /* from frame 0 again */
  g_ptr_array_unref (outs);
  gst_harness_teardown (h);
  fixture_clear (&f);
}

static void
element_ctcdecode_eos_newline_only_after_tokens (void)
{
  Fixture f;
  GstHarness *h;
  GPtrArray *outs;
  float blank_frames[3 * 11];

  fixture_load (&f, "runs");
  CU_ASSERT_EQUAL_FATAL (f.blank, 0);
  /* only blanks: no token, no newline */
  for (guint t = 0; t < 3; t++)
    for (guint k = 0; k < 11; k++)
      blank_frames[t * 11 + k] = k == 0 ? -0.01f : -5.0f;
  h = fixture_harness (&f, NULL, TRUE, 0);
  gst_harness_push (h, seq_test_tensor_buffer (TRUE, GST_SEQ_TENSOR_TYPE_FLOAT32,
          11, 3, blank_frames));
  gst_harness_push_event (h, gst_event_new_eos ());
  outs = pull_all (h);
  CU_ASSERT_EQUAL (outs->len, 0);
  g_ptr_array_unref (outs);
  gst_harness_teardown (h);

  /* newline-at-eos=false, separator "," */
  h = fixture_harness (&f, "newline-at-eos=false separator=,", TRUE, 0);
  push_frames (h, &f, TRUE, 0, f.T, 50, 0);
  gst_harness_push_event (h, gst_event_new_eos ());
  outs = pull_all (h);
  CU_ASSERT_EQUAL_FATAL (outs->len, f.N);
  {
    gchar *want = g_strdup_printf (",%s", f.labels[(guint) f.ref[3]]);
    CU_ASSERT_STRING_EQUAL (((Out *) g_ptr_array_index (outs, 1))->text,
        want);
    g_free (want);
  }
  g_ptr_array_unref (outs);
  gst_harness_teardown (h);
  fixture_clear (&f);
}

/* Tokens of a run split over two elements sharing @state: frames [0, cut)
 * in the first (ended by teardown, or by EOS when @eos), [cut, T) in the
 * second. Returns every buffer of both, newlines dropped. */
static GPtrArray *
two_runs (const Fixture * f, const char *state, guint cut, gboolean eos)
{
  gchar *props = g_strdup_printf ("state-location=\"%s\"", state);
  GstHarness *h = fixture_harness (f, props, TRUE, 0);
  GPtrArray *all = g_ptr_array_new_with_free_func (out_free), *o;

  push_frames (h, f, TRUE, 0, cut, 6, 0);
  if (eos)
    gst_harness_push_event (h, gst_event_new_eos ());
  o = pull_all (h);
  gst_harness_teardown (h);     /* PAUSED -> READY saves */
  for (guint i = 0; i < o->len; i++)
    if (!g_str_equal (((Out *) g_ptr_array_index (o, i))->text, "\n"))
      g_ptr_array_add (all, g_steal_pointer (&o->pdata[i]));
  g_ptr_array_unref (o);

  h = fixture_harness (f, props, TRUE, 0);
  push_frames (h, f, TRUE, cut, f->T, 6, cut * FRAME);
  gst_harness_push_event (h, gst_event_new_eos ());
  o = pull_all (h);
  gst_harness_teardown (h);
  for (guint i = 0; i < o->len; i++)
    if (!g_str_equal (((Out *) g_ptr_array_index (o, i))->text, "\n"))
      g_ptr_array_add (all, g_steal_pointer (&o->pdata[i]));
  g_ptr_array_unref (o);
  g_free (props);
  return all;
}

static void
element_ctcdecode_state_location_resumes_mid_token (void)
{
  Fixture f;
  gchar *dir = seq_test_tmpdir ();
  gchar *state = g_build_filename (dir, "ctc.state", NULL);
  guint k, cut;
  GPtrArray *all;

  fixture_load (&f, "runs");
  cut = mid_token_frame (&f, &k);

  /* stopped mid-token: the token continues in the second run, whole */
  g_unlink (state);
  all = two_runs (&f, state, cut, FALSE);
  CU_ASSERT_EQUAL_FATAL (all->len, f.N);
  for (guint i = 0; i < f.N; i++) {
    Out *o = g_ptr_array_index (all, i);
    /* the first token of the second run has no separator before it */
    const char *text = i == k ? o->text : o->text + (i > 0);
    CU_ASSERT_STRING_EQUAL (text, f.labels[(guint) f.ref[3 * i]]);
    CU_ASSERT_EQUAL (o->offset, (guint64) f.ref[3 * i + 1]);
    CU_ASSERT_EQUAL (o->offset_end, (guint64) f.ref[3 * i + 2] + 1);
    /* times: the second run's PTS continue the first's */
    CU_ASSERT_EQUAL (o->pts, (guint64) f.ref[3 * i + 1] * FRAME);
  }
  g_ptr_array_unref (all);

  /* EOS mid-token: the token is sent then, and not again after resuming */
  g_unlink (state);
  all = two_runs (&f, state, cut, TRUE);
  CU_ASSERT_EQUAL_FATAL (all->len, f.N);
  for (guint i = 0; i < f.N; i++) {
    Out *o = g_ptr_array_index (all, i);
    CU_ASSERT_EQUAL (o->offset, (guint64) f.ref[3 * i + 1]);
    if (i == k) {
      CU_ASSERT_EQUAL (o->offset_end, cut);     /* cut short at EOS */
    }
  }
  g_ptr_array_unref (all);

  /* a state of other labels is refused */
  {
    gchar *props = g_strdup_printf ("state-location=\"%s\" blank=2", state);
    GstHarness *h = fixture_harness (&f, props, TRUE, 0);
    GstMessage *msg = seq_test_pop_error (h);
    GError *err = NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL (msg);
    gst_message_parse_error (msg, &err, NULL);
    CU_ASSERT (g_error_matches (err, GST_STREAM_ERROR,
            GST_STREAM_ERROR_WRONG_TYPE));
    g_clear_error (&err);
    gst_message_unref (msg);
    gst_harness_teardown (h);
    g_free (props);
  }

  /* checkpoint-interval: saved while streaming */
  {
    gchar *props = g_strdup_printf ("state-location=\"%s\" "
        "checkpoint-interval=20", state);
    GstHarness *h;
    g_unlink (state);
    h = fixture_harness (&f, props, TRUE, 0);
    push_frames (h, &f, TRUE, 0, 25, 5, 0);
    CU_ASSERT (g_file_test (state, G_FILE_TEST_EXISTS));
    gst_harness_teardown (h);
    g_free (props);
  }
  g_unlink (state);
  g_rmdir (dir);
  g_free (state);
  g_free (dir);
  fixture_clear (&f);
}

static void
element_ctcdecode_latency_is_one_frame (void)
{
  Fixture f;
  GstHarness *h;

  fixture_load (&f, "runs");
  h = fixture_harness (&f, NULL, TRUE, 0);
  gst_harness_set_upstream_latency (h, 30 * GST_MSECOND);
  push_frames (h, &f, TRUE, 0, 4, 4, 0);
  CU_ASSERT_EQUAL (gst_harness_query_latency (h), 30 * GST_MSECOND + FRAME);
  gst_harness_teardown (h);
  fixture_clear (&f);
}

/* The digits contract's chain on one model file: seqlstm, seqhead and
 * seqctcdecode each take their part of tests/data/head_ctc_contract (LSTM
 * under "lstm.", head under "head.", labels and blank in the metadata) and
 * give torch's tokens. Mean posteriors: seqlstm is within 1e-5 of torch per
 * hidden value (test_lstm.c); through the head (|W| row sums <= 24 * 8 /
 * sqrt(24) ~ 39) a logit moves by at most 3.9e-4, a log-softmax value by
 * twice that, a posterior by a factor exp(7.8e-4): 1e-3 relative. */
#define CHAIN_MEAN_REL_TOL 1e-3

static void
element_ctcdecode_contract_chain_from_one_model_file_matches_torch (void)
{
  gchar *path = seq_test_data_path ("head_ctc_contract.safetensors");
  gchar *launch = g_strdup_printf ("seqlstm model=\"%s\" ! seqhead "
      "model=\"%s\" activation=log-softmax ! seqctcdecode model=\"%s\"",
      path, path, path);
  SeqWeights *w = seq_weights_open (path, NULL);
  const SeqTensorInfo *ti, *tt;
  float *x, *ref, *mean;
  guint T, N, I = 20;
  GstHarness *h;
  GPtrArray *outs, *msgs;
  gchar **labels;
  double worst = 0.0;

  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  ti = seq_weights_find (w, "test.input");
  tt = seq_weights_find (w, "test.tokens");
  CU_ASSERT_PTR_NOT_NULL_FATAL (ti);
  CU_ASSERT_PTR_NOT_NULL_FATAL (tt);
  T = (guint) ti->shape[0];
  N = (guint) tt->shape[0];
  x = g_new (float, ti->n_elements);
  ref = g_new (float, tt->n_elements);
  mean = g_new (float, N);
  seq_tensor_to_f32 (ti, x, ti->n_elements, NULL);
  seq_tensor_to_f32 (tt, ref, tt->n_elements, NULL);
  seq_tensor_to_f32 (seq_weights_find (w, "test.mean"), mean, N, NULL);
  labels = seq_ctc_labels_from_weights (w, NULL, NULL);
  CU_ASSERT (N >= 20);

  h = seq_test_harness (launch);
  {
    gchar *caps = seq_test_caps ("flexible", "float32", I, 0, RATE);
    gst_harness_set_src_caps_str (h, caps);
    g_free (caps);
  }
  for (guint t = 0; t < T; t += 7) {
    guint n = MIN (7, T - t);
    GstBuffer *b = seq_test_tensor_buffer (TRUE, GST_SEQ_TENSOR_TYPE_FLOAT32, I,
        n, x + (gsize) t * I);
    GST_BUFFER_PTS (b) = t * FRAME;
    CU_ASSERT_EQUAL (gst_harness_push (h, b), GST_FLOW_OK);
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  outs = pull_all (h);
  msgs = pop_token_messages (h);
  CU_ASSERT_EQUAL_FATAL (outs->len, N + 1);
  CU_ASSERT_EQUAL_FATAL (msgs->len, N);
  for (guint i = 0; i < N; i++) {
    const Out *o = g_ptr_array_index (outs, i);
    gchar *want = g_strdup_printf ("%s%s", i ? " " : "",
        labels[(guint) ref[3 * i]]);
    gdouble m;
    CU_ASSERT_STRING_EQUAL (o->text, want);
    CU_ASSERT_EQUAL (o->offset, (guint64) ref[3 * i + 1]);
    CU_ASSERT_EQUAL (o->offset_end, (guint64) ref[3 * i + 2] + 1);
    CU_ASSERT_EQUAL (o->pts, (guint64) ref[3 * i + 1] * FRAME);
    gst_structure_get_double (gst_message_get_structure (g_ptr_array_index
            (msgs, i)), "mean-posterior", &m);
    CU_ASSERT (fabs (m - mean[i]) <= CHAIN_MEAN_REL_TOL * mean[i]);
    worst = MAX (worst, fabs (m - mean[i]) / mean[i]);
    g_free (want);
  }
  g_printerr ("\n  %u tokens as torch's; mean posterior max rel diff %.3g",
      N, worst);
  g_ptr_array_unref (msgs);
  g_ptr_array_unref (outs);
  gst_harness_teardown (h);
  g_strfreev (labels);
  g_free (x);
  g_free (ref);
  g_free (mean);
  seq_weights_unref (w);
  g_free (launch);
  g_free (path);
}

/* A seqctcdecode with properties (name, value string pairs) driven NULL ->
 * READY (which must fail): the error posted, or NULL. */
static GstMessage *
ready_error (const char *first, ...)
{
  GstElement *e = gst_element_factory_make ("seqctcdecode", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  va_list ap;

  gst_element_set_bus (e, bus);
  va_start (ap, first);
  for (const char *name = first; name != NULL; name = va_arg (ap, const char *))
    gst_util_set_object_arg (G_OBJECT (e), name, va_arg (ap, const char *));
  va_end (ap);
  CU_ASSERT_EQUAL (gst_element_set_state (e, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  return msg;
}

static void
check_error (GstMessage * msg, GQuark domain, gint code, const char *needle1,
    const char *needle2)
{
  GError *err = NULL;
  gchar *dbg = NULL, *all;

  CU_ASSERT_PTR_NOT_NULL_FATAL (msg);
  gst_message_parse_error (msg, &err, &dbg);
  CU_ASSERT (g_error_matches (err, domain, code));
  all = g_strdup_printf ("%s | %s", err->message, dbg ? dbg : "");
  g_printerr ("\n  (expected) %s", all);
  if ((needle1 && !strstr (all, needle1)) || (needle2
          && !strstr (all, needle2)))
    CU_FAIL ("error does not say what is wrong");
  g_free (all);
  g_clear_error (&err);
  g_free (dbg);
  gst_message_unref (msg);
}

static void
element_ctcdecode_bad_settings_are_errors_at_ready (void)
{
  gchar *labels = seq_test_data_path ("ctc_digits_labels.txt");
  gchar *nolabels = seq_test_data_path ("head_basic.safetensors");

  check_error (ready_error (NULL), GST_LIBRARY_ERROR,
      GST_LIBRARY_ERROR_SETTINGS, "No labels", NULL);
  check_error (ready_error ("labels", labels, "blank", "11", NULL),
      GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS, "11 labels",
      "0 to 10");
  check_error (ready_error ("labels", labels, "blank", "-2", NULL),
      GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS, "blank=-2", NULL);
  check_error (ready_error ("labels", "/nonexistent/labels.txt", NULL),
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND, "nonexistent", NULL);
  check_error (ready_error ("model", "/nonexistent/m.safetensors", NULL),
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND, "nonexistent", NULL);
  check_error (ready_error ("model", nolabels, NULL), GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_READ, "\"labels\"", NULL);
  g_free (labels);
  g_free (nolabels);
}

static void
element_ctcdecode_wrong_width_and_nan_are_errors (void)
{
  gchar *labels = seq_test_data_path ("ctc_digits_labels.txt");
  gchar *props = g_strdup_printf ("labels=\"%s\"", labels);
  float frames[4 * 11];
  GstHarness *h;

  for (guint i = 0; i < G_N_ELEMENTS (frames); i++)
    frames[i] = -(float) (i % 11) - 0.5f;

  /* static caps of 7 values per frame: refused at caps time */
  h = ctc_harness (props, FALSE, 7, 4);
  CU_ASSERT_NOT_EQUAL (gst_harness_push (h,
          seq_test_tensor_buffer (FALSE, GST_SEQ_TENSOR_TYPE_FLOAT32, 7, 4,
              frames)), GST_FLOW_OK);
  check_error (seq_test_pop_error (h), GST_CORE_ERROR,
      GST_CORE_ERROR_NEGOTIATION, "7 posteriors", "11 labels");
  gst_harness_teardown (h);

  /* flexible caps without a width: refused at the buffer */
  {
    gchar *launch = g_strdup_printf ("seqctcdecode %s", props);
    h = seq_test_harness (launch);
    g_free (launch);
  }
  gst_harness_set_src_caps_str (h, "other/tensors,format=flexible,"
      "num_tensors=1,types=float32,framerate=100/1");
  CU_ASSERT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (TRUE,
              GST_SEQ_TENSOR_TYPE_FLOAT32, 7, 4, frames)), GST_FLOW_ERROR);
  check_error (seq_test_pop_error (h), GST_STREAM_ERROR,
      GST_STREAM_ERROR_FORMAT, "7 posteriors", "11 labels");
  gst_harness_teardown (h);

  /* NaN posteriors: stream error naming the frame and class; nothing of
   * that buffer is decoded */
  h = ctc_harness (props, TRUE, 11, 0);
  {
    /* a token of class 3 is open when the bad buffer comes */
    float three[2 * 11];
    for (guint i = 0; i < G_N_ELEMENTS (three); i++)
      three[i] = i % 11 == 3 ? -0.1f : -4.0f;
    CU_ASSERT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (TRUE,
                GST_SEQ_TENSOR_TYPE_FLOAT32, 11, 2, three)), GST_FLOW_OK);
  }
  frames[2 * 11 + 5] = NAN;
  CU_ASSERT_EQUAL (gst_harness_push (h, seq_test_tensor_buffer (TRUE,
              GST_SEQ_TENSOR_TYPE_FLOAT32, 11, 4, frames)), GST_FLOW_ERROR);
  check_error (seq_test_pop_error (h), GST_STREAM_ERROR,
      GST_STREAM_ERROR_FORMAT, "frame 2", "class 5");
  {
    GPtrArray *outs;
    /* the EOS that follows the failure sends nothing, not even the open
     * token */
    gst_harness_push_event (h, gst_event_new_eos ());
    outs = pull_all (h);
    CU_ASSERT_EQUAL (outs->len, 0);
    g_ptr_array_unref (outs);
  }
  gst_harness_teardown (h);
  g_free (props);
  g_free (labels);
}

int
main (void)
{
  static const SeqTestCase cases[] = {
    {"element_ctcdecode_tokens_and_times_match_reference",
        element_ctcdecode_tokens_and_times_match_reference},
    {"element_ctcdecode_static_caps_and_probs_input",
        element_ctcdecode_static_caps_and_probs_input},
    {"element_ctcdecode_reset_event_and_discont_end_the_stream",
        element_ctcdecode_reset_event_and_discont_end_the_stream},
    {"element_ctcdecode_token_pts_is_from_its_first_frames_buffer",
        element_ctcdecode_token_pts_is_from_its_first_frames_buffer},
    {"element_ctcdecode_flush_drops_the_open_token",
        element_ctcdecode_flush_drops_the_open_token},
    {"element_ctcdecode_eos_newline_only_after_tokens",
        element_ctcdecode_eos_newline_only_after_tokens},
    {"element_ctcdecode_state_location_resumes_mid_token",
        element_ctcdecode_state_location_resumes_mid_token},
    {"element_ctcdecode_contract_chain_from_one_model_file_matches_torch",
        element_ctcdecode_contract_chain_from_one_model_file_matches_torch},
    {"element_ctcdecode_latency_is_one_frame",
        element_ctcdecode_latency_is_one_frame},
    {"element_ctcdecode_bad_settings_are_errors_at_ready",
        element_ctcdecode_bad_settings_are_errors_at_ready},
    {"element_ctcdecode_wrong_width_and_nan_are_errors",
        element_ctcdecode_wrong_width_and_nan_are_errors},
    {NULL, NULL}
  };

  seq_test_gst_init ();
  return seq_test_run ("element_ctcdecode", cases);
}
