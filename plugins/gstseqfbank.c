/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqfbank: audio to Kaldi-compatible log-mel frames.
 *
 * SECTION:element-seqfbank
 * @title: seqfbank
 *
 * Consumes mono `audio/x-raw` (S16LE or F32LE, interleaved, any rate the
 * settings fit: the mel range must lie below Nyquist) and produces the log-mel
 * filterbank features of Kaldi's `compute-fbank-feats` (same option names,
 * same numbers as `torchaudio.compliance.kaldi.fbank` to about 1e-3), as
 * `other/tensors, types=float32, dimensions=M:T` where M = num-mel-bins (+1
 * with use-energy, the log energy first) and `framerate` = 1 / frame-shift
 * (100/1 by default). F32 samples are scaled by 32768 to the int16 range
 * Kaldi works in, so S16 and F32 input give the same features. The sink
 * pad's caps answer lists 16 kHz (Kaldi's default) before the other rates,
 * so `audioresample ! seqfbank` converts to 16 kHz unless told otherwise.
 *
 * Output format: `flexible` (each buffer carries its own T: all the frames
 * that its input buffer completed) unless downstream only accepts `static`,
 * in which case every buffer holds one frame (`dimensions=M:1`). Buffers with
 * no complete frame produce no output.
 *
 * Timestamps: frame k starts at sample k·hop of the stream (hop = shift ×
 * stack-hop, which defaults to the stack); its PTS is the
 * stream start (the PTS of the first buffer after a reset, else the segment
 * start, else 0) plus k·hop/rate, computed from integers, so it stays exact
 * over days of audio whatever the buffer sizes. Duration = the next frame's
 * PTS minus this one; offsets count frames.
 *
 * Latency: frame k is output once sample k·hop + lookahead − 1 is in, with
 * a lookahead of frame-length (snip-edges=true) or frame-length −
 * (frame-length/2 − frame-shift/2) samples (snip-edges=false: 17.5 ms at the
 * defaults), plus (stack − 1) shifts. The LATENCY query adds it to
 * upstream's.
 *
 * Stream events (`reset-on` selects which reset):
 *  - FLUSH_STOP: held samples are discarded, the next frame is frame 0.
 *  - a new STREAM_START, the `seqenc-reset` event, and a DISCONT buffer end
 *    the current stream first: the frames that end of stream implies are
 *    output (with snip-edges=false, the last frames reflected at the end, as
 *    at EOS), then the state restarts at frame 0 with a new stream start
 *    taken from the next buffer. Without `discont` in reset-on, a DISCONT
 *    buffer continues the stream as if the samples were contiguous (the
 *    timestamps keep counting samples and ignore the gap).
 *  - EOS: the last frames are output, then EOS is forwarded.
 *  - PAUSED→READY forgets everything (after saving it, see below).
 * A reset is skipped while nothing was fed since the last one, so that a
 * state restored at start survives the first STREAM_START and DISCONT.
 *
 * State persistence: with `state-location`, the stream state (samples not
 * yet framed, sample and frame counters, dither generator; the library's
 * versioned, checksummed blob) is restored from that file at caps time when
 * it exists: the first sample fed is then stream sample n (the saved count),
 * frame offsets continue, and PTS count from the first buffer's PTS as the
 * time of sample n. It is saved atomically at EOS (before the end-of-stream
 * frames: a restart continues the stream), at stop and every
 * `checkpoint-interval` frames (0: EOS and stop only).
 * Settings are taken at caps time; changing one outside NULL/READY is
 * refused (a warning in the debug log), `reset-on` excepted.
 *
 * Bad input: a NaN or infinite F32 sample is a STREAM FORMAT error (no frame
 * of that buffer is output); a settings/rate combination that does not fit
 * (e.g. high-freq above Nyquist, low-freq >= high-freq, a window of fewer
 * than 2 samples) is a CORE NEGOTIATION error at caps time. A trailing
 * partial sample is kept and completed by the next buffer.
 *
 * Dither is 0 by default (Kaldi: 1) so that features are reproducible; when
 * set, it is seeded (`dither-seed`) and deterministic.
 *
 * Front end from a model: `model` names a safetensors file whose
 * `__metadata__` holds the settings the model was trained with, as
 * `"seqfbank.<property>"` (gst-launch syntax) and `"seqfbank.rate"` (what
 * models/digits/export.py writes). Setting it sets each of those properties
 * at once, so properties written after it on a launch line override it, and
 * restricts the sink caps to the model's rate (an upstream audioresample
 * converts to it). A file that cannot be read, a key that is not a
 * front-end property of seqfbank, or a value that does not parse or is out
 * of range changes nothing and fails the READY→PAUSED transition with a
 * RESOURCE SETTINGS error that says which.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e filesrc location=tests/data/fbank_speech.wav ! wavparse ! \
 *     audioconvert ! audioresample ! seqfbank num-mel-bins=80 ! seqposenc ! \
 *     seqlstm ! seqnpysink location=feats.npy
 * ]|
 */
#include "gstseqfbank.h"
#include "gstseqfbankstream.h"
#include "gstseqstate.h"
#include "gstseqencelements.h"
#include "gstseqtensor.h"

#include <gst/audio/audio.h>
#include <seqenc/fbank.h>
#include <seqenc/weights.h>

/* shared with the stream front end (gstseqfbankstream.c) */
GST_DEBUG_CATEGORY (gst_seq_fbank_debug);
#define GST_CAT_DEFAULT gst_seq_fbank_debug

#define DEFAULT_NUM_MEL_BINS 80
#define DEFAULT_FRAME_LENGTH 25.0
#define DEFAULT_FRAME_SHIFT 10.0
#define DEFAULT_DITHER 0.0
#define DEFAULT_DITHER_SEED 0
#define DEFAULT_PREEMPHASIS 0.97
#define DEFAULT_WINDOW SEQ_FBANK_WINDOW_POVEY
#define DEFAULT_LOW_FREQ 20.0
#define DEFAULT_HIGH_FREQ 0.0
#define DEFAULT_USE_ENERGY FALSE
#define DEFAULT_RAW_ENERGY TRUE
#define DEFAULT_ENERGY_FLOOR 0.0
#define DEFAULT_SNIP_EDGES TRUE
#define DEFAULT_REMOVE_DC_OFFSET TRUE
#define DEFAULT_STACK 1

enum
{
  PROP_0,
  PROP_NUM_MEL_BINS,
  PROP_FRAME_LENGTH,
  PROP_FRAME_SHIFT,
  PROP_DITHER,
  PROP_DITHER_SEED,
  PROP_PREEMPHASIS,
  PROP_WINDOW,
  PROP_LOW_FREQ,
  PROP_HIGH_FREQ,
  PROP_USE_ENERGY,
  PROP_RAW_ENERGY,
  PROP_ENERGY_FLOOR,
  PROP_SNIP_EDGES,
  PROP_REMOVE_DC_OFFSET,
  PROP_STACK,
  PROP_STACK_HOP,
  PROP_MODEL,
  PROP_RESET_ON,                /* and the keeper's next two */
};

struct _GstSeqFbank
{
  GstElement parent;

  GstPad *sinkpad, *srcpad;

  /* Properties, under the object lock (sample_rate unused). */
  SeqFbankParams props;
  GstSeqStateKeeper keeper;     /* reset-on, state-location, checkpoints */
  GstClockTime latency;         /* lookahead, once negotiated */
  gchar *model;                 /* the model property */
  gint model_rate;              /* its "seqfbank.rate", 0: none (any rate) */
  gchar *model_error;           /* why its settings were not taken, or NULL */

  /* Streaming thread */
  GstSeqFbankStream stream;     /* conversion, framing, timestamps */
  GstSegment segment;
};

G_DEFINE_TYPE (GstSeqFbank, gst_seq_fbank, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (seqfbank, "seqfbank", GST_RANK_NONE,
    GST_TYPE_SEQ_FBANK);

#define SINK_CAPS \
  "audio/x-raw, format = (string) { S16LE, F32LE }, channels = (int) 1, " \
  "layout = (string) interleaved, rate = (int) [ 1, 384000 ]"

#define PREFERRED_CAPS \
  "audio/x-raw, format = (string) { S16LE, F32LE }, channels = (int) 1, " \
  "layout = (string) interleaved, rate = (int) 16000; " SINK_CAPS

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (SINK_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_SEQ_TENSOR_CAPS_F32));

GType
gst_seq_fbank_window_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {SEQ_FBANK_WINDOW_POVEY, "Povey: hann^0.85 (Kaldi's default)", "povey"},
    {SEQ_FBANK_WINDOW_HANNING, "Hann", "hanning"},
    {SEQ_FBANK_WINDOW_HAMMING, "Hamming", "hamming"},
    {SEQ_FBANK_WINDOW_RECTANGULAR, "Rectangular", "rectangular"},
    {SEQ_FBANK_WINDOW_BLACKMAN, "Blackman (blackman-coeff 0.42)", "blackman"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstSeqFbankWindow", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* The keeper's callbacks: the stream's state blob. */
static GBytes *
save_blob (gpointer data)
{
  return gst_seq_fbank_stream_save (&GST_SEQ_FBANK (data)->stream);
}

static gboolean
restore_blob (gpointer data, GBytes * blob, GError ** error)
{
  return gst_seq_fbank_stream_restore (&GST_SEQ_FBANK (data)->stream, blob,
      error);
}

static GstFlowReturn
gst_seq_fbank_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  GstSeqFbank *self = GST_SEQ_FBANK (parent);
  GstFlowReturn ret = GST_FLOW_OK;

  if (!gst_seq_fbank_stream_is_configured (&self->stream))
    goto not_negotiated;

  /* (no reset while nothing was fed since the last one or a restore) */
  if (GST_BUFFER_IS_DISCONT (buffer)
      && gst_seq_state_keeper_resets_on_discont (&self->keeper)
      && gst_seq_fbank_stream_has_fed (&self->stream)) {
    GST_DEBUG_OBJECT (self, "DISCONT: ending the stream and resetting");
    ret = gst_seq_fbank_stream_drain (&self->stream);
  }
  if (ret == GST_FLOW_OK)
    ret = gst_seq_fbank_stream_chain (&self->stream, buffer, &self->segment);
  gst_buffer_unref (buffer);
  return ret;

  /* ERRORS */
not_negotiated:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("audio buffer before caps"));
    gst_buffer_unref (buffer);
    return GST_FLOW_NOT_NEGOTIATED;
  }
}

/* Picks flexible unless downstream only takes static (then T = 1). */
static GstCaps *
choose_output (GstSeqFbank * self, GstSeqTensorCaps * c)
{
  GstCaps *peer = gst_pad_peer_query_caps (self->srcpad, NULL);
  GstCaps *chosen = NULL;

  for (int i = 0; i < 2 && chosen == NULL; i++) {
    GstCaps *cand;
    c->format = i == 0 ? GST_SEQ_TENSOR_FORMAT_FLEXIBLE : GST_SEQ_TENSOR_FORMAT_STATIC;
    c->frames = i == 0 ? 0 : 1;
    cand = gst_seq_tensor_caps_build (c);
    if (peer == NULL || gst_caps_can_intersect (peer, cand))
      chosen = cand;
    else
      gst_caps_unref (cand);
  }
  if (peer)
    gst_caps_unref (peer);
  return chosen;
}

static gboolean
gst_seq_fbank_set_caps (GstSeqFbank * self, GstCaps * caps)
{
  GstAudioInfo info;
  SeqFbankParams p;
  SeqFbank *fb = NULL;
  GstSeqTensorCaps c = { 0, };
  GstCaps *outcaps = NULL;
  GError *err = NULL;
  gboolean is_f32;
  guint64 g, a, b;
  gint model_rate;

  if (!gst_audio_info_from_caps (&info, caps) || info.channels != 1)
    goto bad_caps;
  is_f32 = GST_AUDIO_INFO_FORMAT (&info) == GST_AUDIO_FORMAT_F32LE;
  if (!is_f32 && GST_AUDIO_INFO_FORMAT (&info) != GST_AUDIO_FORMAT_S16LE)
    goto bad_caps;

  GST_OBJECT_LOCK (self);
  p = self->props;
  model_rate = self->model_rate;
  GST_OBJECT_UNLOCK (self);
  p.sample_rate = GST_AUDIO_INFO_RATE (&info);
  if (model_rate > 0 && GST_AUDIO_INFO_RATE (&info) != model_rate)
    goto wrong_rate;

  /* same settings and rate: keep the stream going */
  if (gst_seq_fbank_stream_runs (&self->stream, &p, is_f32))
    return TRUE;

  fb = seq_fbank_new (&p, &err);
  if (fb == NULL)
    goto bad_settings;

  c.type = GST_SEQ_TENSOR_TYPE_FLOAT32;
  c.dim = seq_fbank_dim (fb);
  /* framerate = rate / hop (the shift, times the stack hop), reduced */
  a = (guint64) GST_AUDIO_INFO_RATE (&info);
  b = seq_fbank_hop (fb);
  {
    guint64 x = a, y = b;
    while (y != 0) {
      guint64 t = x % y;
      x = y;
      y = t;
    }
    g = x;
  }
  c.rate_n = (gint) (a / g);
  c.rate_d = (gint) (b / g);
  outcaps = choose_output (self, &c);
  if (outcaps == NULL)
    goto no_output;

  gst_seq_fbank_stream_configure (&self->stream, fb, &p, is_f32, &c);
  if (!gst_seq_state_keeper_restore (&self->keeper)) {
    gst_seq_fbank_stream_clear (&self->stream);
    gst_caps_unref (outcaps);
    return FALSE;
  }

  GST_OBJECT_LOCK (self);
  self->latency = gst_seq_fbank_stream_latency (&self->stream);
  GST_OBJECT_UNLOCK (self);

  GST_DEBUG_OBJECT (self, "%d Hz %s: window %u, shift %u, stack %u, FFT %u, "
      "out %" GST_PTR_FORMAT, GST_AUDIO_INFO_RATE (&info),
      is_f32 ? "F32" : "S16", seq_fbank_window_size (fb),
      seq_fbank_window_shift (fb), p.stack, seq_fbank_fft_size (fb), outcaps);
  gst_pad_set_caps (self->srcpad, outcaps);
  gst_caps_unref (outcaps);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_latency (GST_OBJECT (self)));
  return TRUE;

  /* ERRORS */
bad_caps:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("unsupported audio caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
bad_settings:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("The filterbank settings do not fit audio at %d Hz.",
            GST_AUDIO_INFO_RATE (&info)), ("%s", err->message));
    g_error_free (err);
    return FALSE;
  }
wrong_rate:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("The model was trained on audio at %d Hz, the stream is at %d Hz.",
            model_rate, GST_AUDIO_INFO_RATE (&info)),
        ("put audioresample before seqfbank (model %s)", self->model));
    return FALSE;
  }
no_output:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("downstream accepts neither flexible nor static float32 tensors "
            "of width %u", c.dim));
    seq_fbank_free (fb);
    return FALSE;
  }
}

static gboolean
gst_seq_fbank_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstSeqFbank *self = GST_SEQ_FBANK (parent);
  guint reset_on = gst_seq_state_keeper_get_reset_on (&self->keeper);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
    {
      GstCaps *caps;
      gboolean ok;
      gst_event_parse_caps (event, &caps);
      ok = gst_seq_fbank_set_caps (self, caps);
      gst_event_unref (event);
      return ok;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &self->segment);
      if (self->segment.format != GST_FORMAT_TIME) {
        GstSegment seg;
        gst_segment_init (&seg, GST_FORMAT_TIME);
        gst_event_unref (event);
        event = gst_event_new_segment (&seg);
      }
      break;
    case GST_EVENT_EOS:
      /* the state as of the last sample, so that a restart continues the
       * stream; then the frames EOS implies */
      gst_seq_state_keeper_save (&self->keeper);
      gst_seq_fbank_stream_drain (&self->stream);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
      if (gst_seq_event_wants_reset (event, reset_on)
          && gst_seq_fbank_stream_has_fed (&self->stream))
        gst_seq_fbank_stream_reset (&self->stream);
      break;
    case GST_EVENT_STREAM_START:
    case GST_EVENT_CUSTOM_DOWNSTREAM:
      if (gst_seq_event_wants_reset (event, reset_on)
          && gst_seq_fbank_stream_has_fed (&self->stream)) {
        GST_DEBUG_OBJECT (self, "%s: ending the stream and resetting",
            GST_EVENT_TYPE_NAME (event));
        gst_seq_fbank_stream_drain (&self->stream);
      }
      break;
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

/* Any rate is accepted, 16 kHz (Kaldi's default) first, so that an upstream
 * audioresample converts to it unless told otherwise; with a model, only the
 * model's rate. */
static gboolean
gst_seq_fbank_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_CAPS) {
    GstSeqFbank *self = GST_SEQ_FBANK (parent);
    GstCaps *filter, *caps;
    gint rate;

    GST_OBJECT_LOCK (self);
    rate = self->model_rate;
    GST_OBJECT_UNLOCK (self);
    caps = gst_caps_from_string (PREFERRED_CAPS);
    if (rate > 0) {
      gst_caps_unref (caps);
      caps = gst_caps_from_string (SINK_CAPS);
      gst_caps_set_simple (caps, "rate", G_TYPE_INT, rate, NULL);
    }

    gst_query_parse_caps (query, &filter);
    if (filter) {
      GstCaps *tmp = gst_caps_intersect_full (caps, filter,
          GST_CAPS_INTERSECT_FIRST);
      gst_caps_unref (caps);
      caps = tmp;
    }
    gst_query_set_caps_result (query, caps);
    gst_caps_unref (caps);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

static gboolean
gst_seq_fbank_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstSeqFbank *self = GST_SEQ_FBANK (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:
    {
      gboolean live;
      GstClockTime min, max, ours;
      if (!gst_pad_peer_query (self->sinkpad, query))
        return FALSE;
      gst_query_parse_latency (query, &live, &min, &max);
      GST_OBJECT_LOCK (self);
      ours = self->latency;
      GST_OBJECT_UNLOCK (self);
      min += ours;
      if (GST_CLOCK_TIME_IS_VALID (max))
        max += ours;
      GST_DEBUG_OBJECT (self, "latency: ours %" GST_TIME_FORMAT ", total min %"
          GST_TIME_FORMAT, GST_TIME_ARGS (ours), GST_TIME_ARGS (min));
      gst_query_set_latency (query, live, min, max);
      return TRUE;
    }
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

static GstStateChangeReturn
gst_seq_fbank_change_state (GstElement * element, GstStateChange transition)
{
  GstSeqFbank *self = GST_SEQ_FBANK (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    gchar *why = NULL, *model = NULL;
    GST_OBJECT_LOCK (self);
    if (self->model_error) {
      why = g_strdup (self->model_error);
      model = g_strdup (self->model);
    }
    GST_OBJECT_UNLOCK (self);
    if (why) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Could not take the front-end settings of model \"%s\".", model),
          ("%s", why));
      g_free (why);
      g_free (model);
      return GST_STATE_CHANGE_FAILURE;
    }
    gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
  }

  ret = GST_ELEMENT_CLASS (gst_seq_fbank_parent_class)->change_state (element,
      transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    gst_seq_state_keeper_save (&self->keeper);
    gst_seq_fbank_stream_clear (&self->stream);
    GST_OBJECT_LOCK (self);
    self->latency = 0;
    GST_OBJECT_UNLOCK (self);
  }
  return ret;
}

/* ---- properties ---- */

/* The properties a model's metadata may set: the front end, not the stream
 * handling (reset-on, state-location, checkpoint-interval). */
static const gchar *const front_end_properties[] = {
  "num-mel-bins", "frame-length", "frame-shift", "dither", "dither-seed",
  "preemphasis", "window", "low-freq", "high-freq", "use-energy",
  "raw-energy", "energy-floor", "snip-edges", "remove-dc-offset", "stack",
  "stack-hop", NULL
};

/* Reads @path's "seqfbank.*" metadata into @names/@values (parsed and
 * range-checked) and *@rate; FALSE and @error on the first problem. */
static gboolean
read_model_settings (GstSeqFbank * self, const gchar * path, GPtrArray * names,
    GArray * values, gint * rate, GError ** error)
{
  SeqWeights *w = seq_weights_open (path, error);
  gchar **keys;
  gboolean ok = TRUE;

  if (w == NULL)
    return FALSE;
  keys = seq_weights_list_metadata (w);
  for (gchar ** k = keys; ok && *k != NULL; k++) {
    const gchar *name = *k + strlen ("seqfbank."), *str;
    GParamSpec *pspec;
    GValue v = G_VALUE_INIT;

    if (!g_str_has_prefix (*k, "seqfbank."))
      continue;
    str = seq_weights_get_metadata (w, *k);
    if (strcmp (name, "rate") == 0) {
      gchar *end = NULL;
      gint64 r = g_ascii_strtoll (str, &end, 10);
      if (end == str || *end != '\0' || r < 1 || r > SEQ_FBANK_MAX_RATE) {
        g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
            "metadata seqfbank.rate=\"%s\" is not a rate in [1, %d] Hz",
            str, SEQ_FBANK_MAX_RATE);
        ok = FALSE;
      }
      *rate = (gint) r;
      continue;
    }
    pspec = g_strv_contains (front_end_properties, name) ?
        g_object_class_find_property (G_OBJECT_GET_CLASS (self), name) : NULL;
    if (pspec == NULL) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
          "metadata %s: \"%s\" is not a front-end property of seqfbank",
          *k, name);
      ok = FALSE;
      break;
    }
    g_value_init (&v, pspec->value_type);
    if (!gst_value_deserialize (&v, str) || g_param_value_validate (pspec,
            &v)) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
          "metadata %s=\"%s\" is not a valid value of seqfbank's %s", *k,
          str, name);
      g_value_unset (&v);
      ok = FALSE;
      break;
    }
    g_ptr_array_add (names, g_strdup (name));
    g_array_append_val (values, v);
  }
  g_strfreev (keys);
  seq_weights_unref (w);
  return ok;
}

/* model=: every "seqfbank.*" setting of the file at once, or none. */
static void
gst_seq_fbank_take_model (GstSeqFbank * self, const gchar * path)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GArray *values = g_array_new (FALSE, TRUE, sizeof (GValue));
  GError *err = NULL;
  gint rate = 0;

  g_array_set_clear_func (values, (GDestroyNotify) g_value_unset);
  if (path != NULL && *path != '\0'
      && read_model_settings (self, path, names, values, &rate, &err)) {
    for (guint i = 0; i < names->len; i++) {
      GST_DEBUG_OBJECT (self, "model %s: %s", path,
          (const gchar *) g_ptr_array_index (names, i));
      g_object_set_property (G_OBJECT (self), g_ptr_array_index (names, i),
          &g_array_index (values, GValue, i));
    }
  }
  if (err)
    GST_WARNING_OBJECT (self, "model %s: %s", path, err->message);
  GST_OBJECT_LOCK (self);
  g_free (self->model);
  self->model = g_strdup (path);
  self->model_rate = err ? 0 : rate;
  g_free (self->model_error);
  self->model_error = err ? g_strdup (err->message) : NULL;
  GST_OBJECT_UNLOCK (self);
  g_clear_error (&err);
  g_ptr_array_unref (names);
  g_array_unref (values);
}

static void
gst_seq_fbank_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSeqFbank *self = GST_SEQ_FBANK (object);
  SeqFbankParams *p = &self->props;

  if (gst_seq_refuse_unless_ready (GST_ELEMENT (object), pspec)
      || gst_seq_state_keeper_set_property (&self->keeper, prop_id, value))
    return;
  if (prop_id == PROP_MODEL) {
    gst_seq_fbank_take_model (self, g_value_get_string (value));
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_NUM_MEL_BINS:
      p->num_mel_bins = g_value_get_uint (value);
      break;
    case PROP_FRAME_LENGTH:
      p->frame_length_ms = g_value_get_double (value);
      break;
    case PROP_FRAME_SHIFT:
      p->frame_shift_ms = g_value_get_double (value);
      break;
    case PROP_DITHER:
      p->dither = g_value_get_double (value);
      break;
    case PROP_DITHER_SEED:
      p->dither_seed = g_value_get_uint64 (value);
      break;
    case PROP_PREEMPHASIS:
      p->preemphasis = g_value_get_double (value);
      break;
    case PROP_WINDOW:
      p->window = g_value_get_enum (value);
      break;
    case PROP_LOW_FREQ:
      p->low_freq = g_value_get_double (value);
      break;
    case PROP_HIGH_FREQ:
      p->high_freq = g_value_get_double (value);
      break;
    case PROP_USE_ENERGY:
      p->use_energy = g_value_get_boolean (value);
      break;
    case PROP_RAW_ENERGY:
      p->raw_energy = g_value_get_boolean (value);
      break;
    case PROP_ENERGY_FLOOR:
      p->energy_floor = g_value_get_double (value);
      break;
    case PROP_SNIP_EDGES:
      p->snip_edges = g_value_get_boolean (value);
      break;
    case PROP_REMOVE_DC_OFFSET:
      p->remove_dc_offset = g_value_get_boolean (value);
      break;
    case PROP_STACK:
      p->stack = g_value_get_uint (value);
      break;
    case PROP_STACK_HOP:
      p->stack_hop = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_seq_fbank_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstSeqFbank *self = GST_SEQ_FBANK (object);
  const SeqFbankParams *p = &self->props;

  if (gst_seq_state_keeper_get_property (&self->keeper, prop_id, value))
    return;
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_NUM_MEL_BINS:
      g_value_set_uint (value, p->num_mel_bins);
      break;
    case PROP_FRAME_LENGTH:
      g_value_set_double (value, p->frame_length_ms);
      break;
    case PROP_FRAME_SHIFT:
      g_value_set_double (value, p->frame_shift_ms);
      break;
    case PROP_DITHER:
      g_value_set_double (value, p->dither);
      break;
    case PROP_DITHER_SEED:
      g_value_set_uint64 (value, p->dither_seed);
      break;
    case PROP_PREEMPHASIS:
      g_value_set_double (value, p->preemphasis);
      break;
    case PROP_WINDOW:
      g_value_set_enum (value, p->window);
      break;
    case PROP_LOW_FREQ:
      g_value_set_double (value, p->low_freq);
      break;
    case PROP_HIGH_FREQ:
      g_value_set_double (value, p->high_freq);
      break;
    case PROP_USE_ENERGY:
      g_value_set_boolean (value, p->use_energy);
      break;
    case PROP_RAW_ENERGY:
      g_value_set_boolean (value, p->raw_energy);
      break;
    case PROP_ENERGY_FLOOR:
      g_value_set_double (value, p->energy_floor);
      break;
    case PROP_SNIP_EDGES:
      g_value_set_boolean (value, p->snip_edges);
      break;
    case PROP_REMOVE_DC_OFFSET:
      g_value_set_boolean (value, p->remove_dc_offset);
      break;
    case PROP_STACK:
      g_value_set_uint (value, p->stack);
      break;
    case PROP_STACK_HOP:
      g_value_set_uint (value, p->stack_hop);
      break;
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_seq_fbank_finalize (GObject * object)
{
  GstSeqFbank *self = GST_SEQ_FBANK (object);

  gst_seq_fbank_stream_clear (&self->stream);
  gst_seq_state_keeper_clear (&self->keeper);
  g_free (self->model);
  g_free (self->model_error);
  G_OBJECT_CLASS (gst_seq_fbank_parent_class)->finalize (object);
}

static void
gst_seq_fbank_class_init (GstSeqFbankClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags shape = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  GST_DEBUG_CATEGORY_INIT (gst_seq_fbank_debug, "seqfbank", 0,
      "seqenc Kaldi log-mel filterbank");

  gobject_class->set_property = gst_seq_fbank_set_property;
  gobject_class->get_property = gst_seq_fbank_get_property;
  gobject_class->finalize = gst_seq_fbank_finalize;

  /**
   * GstSeqFbank:num-mel-bins:
   *
   * Number of triangular mel filters (output width, +1 with use-energy).
   * Kaldi's default is 23; 80 is what current ASR encoders take.
   */
  g_object_class_install_property (gobject_class, PROP_NUM_MEL_BINS,
      g_param_spec_uint ("num-mel-bins", "Mel bins",
          "Number of triangular mel filters", 3, 4096, DEFAULT_NUM_MEL_BINS,
          shape));
  /**
   * GstSeqFbank:frame-length:
   *
   * Window length in milliseconds (samples = (int) (rate * ms / 1000)).
   */
  g_object_class_install_property (gobject_class, PROP_FRAME_LENGTH,
      g_param_spec_double ("frame-length", "Frame length",
          "Window length in milliseconds", 0.0, 10000.0, DEFAULT_FRAME_LENGTH,
          shape));
  /**
   * GstSeqFbank:frame-shift:
   *
   * Hop between frames in milliseconds; framerate = rate / shift samples.
   */
  g_object_class_install_property (gobject_class, PROP_FRAME_SHIFT,
      g_param_spec_double ("frame-shift", "Frame shift",
          "Hop between frames in milliseconds", 0.0, 10000.0,
          DEFAULT_FRAME_SHIFT, shape));
  /**
   * GstSeqFbank:dither:
   *
   * Standard deviation of Gaussian dither in int16 units; 0 (the default,
   * Kaldi's is 1) keeps features reproducible. Seeded by dither-seed.
   */
  g_object_class_install_property (gobject_class, PROP_DITHER,
      g_param_spec_double ("dither", "Dither",
          "Gaussian dither stddev in int16 units (0 = none)", 0.0, 32768.0,
          DEFAULT_DITHER, shape));
  /**
   * GstSeqFbank:dither-seed:
   *
   * Seed of the dither generator; every stream (after each reset) replays
   * the same noise.
   */
  g_object_class_install_property (gobject_class, PROP_DITHER_SEED,
      g_param_spec_uint64 ("dither-seed", "Dither seed",
          "Seed of the deterministic dither generator", 0, G_MAXUINT64,
          DEFAULT_DITHER_SEED, shape));
  /**
   * GstSeqFbank:preemphasis:
   *
   * Pre-emphasis coefficient (Kaldi's preemphasis-coefficient), per frame.
   */
  g_object_class_install_property (gobject_class, PROP_PREEMPHASIS,
      g_param_spec_double ("preemphasis", "Pre-emphasis",
          "Pre-emphasis coefficient (0 = none)", 0.0, 1.0, DEFAULT_PREEMPHASIS,
          shape));
  /**
   * GstSeqFbank:window:
   *
   * Window function (Kaldi's window-type).
   */
  g_object_class_install_property (gobject_class, PROP_WINDOW,
      g_param_spec_enum ("window", "Window", "Window function",
          GST_TYPE_SEQ_FBANK_WINDOW, DEFAULT_WINDOW, shape));
  /**
   * GstSeqFbank:low-freq:
   *
   * Lower edge of the first mel filter, Hz.
   */
  g_object_class_install_property (gobject_class, PROP_LOW_FREQ,
      g_param_spec_double ("low-freq", "Low frequency",
          "Lower edge of the mel filters in Hz", 0.0, G_MAXDOUBLE,
          DEFAULT_LOW_FREQ, shape));
  /**
   * GstSeqFbank:high-freq:
   *
   * Upper edge of the last mel filter, Hz; 0 = Nyquist, negative = offset
   * below Nyquist.
   */
  g_object_class_install_property (gobject_class, PROP_HIGH_FREQ,
      g_param_spec_double ("high-freq", "High frequency",
          "Upper edge of the mel filters in Hz (<= 0: offset from Nyquist)",
          -G_MAXDOUBLE, G_MAXDOUBLE, DEFAULT_HIGH_FREQ, shape));
  /**
   * GstSeqFbank:use-energy:
   *
   * Prepend the log energy of the frame (output width num-mel-bins + 1).
   */
  g_object_class_install_property (gobject_class, PROP_USE_ENERGY,
      g_param_spec_boolean ("use-energy", "Use energy",
          "Prepend the frame's log energy", DEFAULT_USE_ENERGY, shape));
  /**
   * GstSeqFbank:raw-energy:
   *
   * Take the energy before pre-emphasis and window (Kaldi's default).
   */
  g_object_class_install_property (gobject_class, PROP_RAW_ENERGY,
      g_param_spec_boolean ("raw-energy", "Raw energy",
          "Energy before pre-emphasis and window", DEFAULT_RAW_ENERGY, shape));
  /**
   * GstSeqFbank:energy-floor:
   *
   * Floor on the energy (linear); 0 = none (Kaldi's default; torchaudio's
   * is 1).
   */
  g_object_class_install_property (gobject_class, PROP_ENERGY_FLOOR,
      g_param_spec_double ("energy-floor", "Energy floor",
          "Floor on the frame energy (0 = none)", 0.0, G_MAXDOUBLE,
          DEFAULT_ENERGY_FLOOR, shape));
  /**
   * GstSeqFbank:snip-edges:
   *
   * TRUE: only frames that fit in the audio (1 + (n - w) / s). FALSE:
   * (n + s/2) / s frames with the audio reflected at both ends, the last
   * ones output at EOS.
   */
  g_object_class_install_property (gobject_class, PROP_SNIP_EDGES,
      g_param_spec_boolean ("snip-edges", "Snip edges",
          "Only frames that fit in the audio (else reflect at the ends)",
          DEFAULT_SNIP_EDGES, shape));
  /**
   * GstSeqFbank:remove-dc-offset:
   *
   * Subtract each frame's mean before anything else.
   */
  g_object_class_install_property (gobject_class, PROP_REMOVE_DC_OFFSET,
      g_param_spec_boolean ("remove-dc-offset", "Remove DC offset",
          "Subtract each frame's mean", DEFAULT_REMOVE_DC_OFFSET, shape));
  /**
   * GstSeqFbank:stack:
   *
   * Frames stacked into one output frame (low frame rate, as streaming
   * speech encoders take it): output frame j holds frames j·stack ..
   * j·stack + stack − 1 side by side (stack × num-mel-bins values, each
   * frame bit-identical to the unstacked one) and is output when the last
   * of them is complete, so the frame rate is divided by stack and the
   * latency grows by (stack − 1) shifts. A partial stack at the end of a
   * stream is dropped, as a partial window is.
   */
  g_object_class_install_property (gobject_class, PROP_STACK,
      g_param_spec_uint ("stack", "Stack",
          "Frames stacked per output frame (frame rate / stack)", 1,
          SEQ_FBANK_MAX_STACK, DEFAULT_STACK, shape));
  /**
   * GstSeqFbank:stack-hop:
   *
   * Frames between consecutive output frames when stacking; 0 (the
   * default) means the stack itself (no overlap). Below the stack, the
   * stacks overlap: output frame j holds frames j·stack-hop ..
   * j·stack-hop + stack − 1, which gives a streaming model right context
   * (stack=9 stack-hop=3: a step every 3 frames that also sees the 6
   * frames after its own 3). The frame rate is divided by stack-hop, the
   * latency is that of the stack. Each frame is computed once (dither
   * drawn once) and the shared frames are part of the saved state. At the
   * end of the stream every complete hop of frames starts an output frame,
   * the places past the last complete hop holding copies of its frames.
   * The stack must be a multiple of it, checked at caps time (a
   * NEGOTIATION error otherwise, as for a hop larger than the stack).
   */
  g_object_class_install_property (gobject_class, PROP_STACK_HOP,
      g_param_spec_uint ("stack-hop", "Stack hop",
          "Frames between output frames when stacking (0 = stack; below "
          "stack, stacks overlap)", 0, SEQ_FBANK_MAX_STACK, 0, shape));
  /**
   * GstSeqFbank:model:
   *
   * A safetensors file whose `__metadata__` holds the front-end settings a
   * model was trained with (`"seqfbank.<property>"` and `"seqfbank.rate"`):
   * setting it sets those properties (later ones on a launch line override
   * them) and restricts the input to the model's rate. See the element
   * description for the errors.
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Safetensors file whose \"seqfbank.*\" metadata sets the front end "
          "(and the input rate)", NULL, shape));
  /* reset-on: which stream events end the stream and restart at frame 0.
   * state-location: the samples not yet framed, the counters and the
   * dither generator. When it exists at caps time the stream continues from
   * it: the next sample fed is stream sample n (the count saved) and frames
   * continue at the saved index. Saved at EOS (before the end-of-stream
   * frames, so that a restart continues the stream), at stop and every
   * checkpoint-interval frames; a state saved under other settings or rate
   * is refused (STREAM WRONG_TYPE). See gstseqstate.h. */
  gst_seq_state_keeper_install_properties (gobject_class, PROP_RESET_ON,
      "frames");

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Kaldi log-mel filterbank", "Filter/Converter/Audio/Tensor",
      "Streaming Kaldi-compatible log-mel filterbank features of mono audio",
      "seqenc developers");

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_seq_fbank_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_SEQ_FBANK_WINDOW, 0);
}

static void
gst_seq_fbank_init (GstSeqFbank * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_seq_fbank_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_seq_fbank_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_seq_fbank_sink_query));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_seq_fbank_src_query));
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->props = seq_fbank_params_default ();
  self->props.num_mel_bins = DEFAULT_NUM_MEL_BINS;
  gst_seq_state_keeper_init (&self->keeper, GST_ELEMENT (self),
      PROP_RESET_ON, save_blob, restore_blob, self);
  gst_seq_fbank_stream_init (&self->stream, GST_ELEMENT (self), self->srcpad,
      &self->keeper);
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
}
