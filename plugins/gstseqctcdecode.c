/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqctcdecode: streaming greedy CTC decoding to text.
 *
 * SECTION:element-seqctcdecode
 * @title: seqctcdecode
 *
 * Consumes per-frame posteriors (`other/tensors, types=float32,
 * dimensions=K:T`, static or flexible; log-probabilities by default, as
 * `seqhead activation=log-softmax` makes them, or probabilities with
 * `input=probs`) and produces the greedy CTC transcription as
 * `text/x-raw, format=utf8`: per frame the best class wins, repeats collapse
 * into one token, the blank separates tokens and is dropped.
 *
 * Each token is its own buffer, sent as soon as it is final (a frame with
 * another label or the blank follows it): its label text, preceded by
 * `separator` for every token but the first since the last reset. Its PTS is
 * the time of the frame where it first won (the PTS of that frame's buffer
 * plus its index in the buffer / framerate), its duration runs to the end of
 * its last frame, and its offsets are its first frame and one past its last
 * (frame indices since the last reset). Each token is also posted on the bus
 * as an element message `seqenc-token` with the fields `label` (string),
 * `label-id` (uint), `start` and `end` (clock times of its first frame and
 * the end of its last), `start-frame`, `end-frame` (guint64, inclusive) and
 * `mean-posterior` (double: its mean probability over its frames).
 *
 * Labels come from the `labels` file (one per line) or else from the
 * `__metadata__` of the `model` safetensors file (`"labels"`: a JSON array of
 * strings); the blank id is the `blank` property, else the model's `"blank"`
 * metadata, else 0. Missing labels, a blank out of range and frames whose K
 * is not the number of labels are errors, as are NaN (or +inf) posteriors
 * (STREAM FORMAT; nothing of that buffer is decoded).
 *
 * Stream events (`reset-on` selects which reset):
 *  - EOS, a new STREAM_START, the `seqenc-reset` event and a DISCONT buffer
 *    end the stream: the open token is sent, then, when at least one token
 *    was sent since the last reset and `newline-at-eos` is set, a buffer
 *    holding "\n"; then decoding restarts at frame 0.
 *  - FLUSH_STOP drops the open token and restarts at frame 0.
 * A reset is skipped while nothing was decoded since the last one, so that
 * a state restored at start survives the first STREAM_START and DISCONT.
 * PAUSED→READY forgets the stream (after saving it), READY→NULL the labels.
 *
 * State persistence: with `state-location`, the decoder state (frame count,
 * the last frame's label, the open token's start and posterior sum) is
 * restored from that file at caps time when it exists, so a stream resumes
 * mid-token, and saved atomically at EOS (after the open token is sent: a
 * resumed stream does not send it again), at stop and every
 * `checkpoint-interval` frames.
 *
 * Latency: a token leaves one frame after its last frame arrives; the
 * LATENCY query adds one frame (1 / framerate) to upstream's. Its PTS is
 * when it started, so it arrives later than its PTS by its length: sinks
 * should not sync on these buffers (`sync=false`, or a filesink).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e filesrc location=tests/data/fbank_speech.wav ! wavparse ! \
 *     audioconvert ! audioresample ! seqfbank ! seqlstm hidden-size=64 ! \
 *     seqhead out-size=11 activation=log-softmax ! \
 *     seqctcdecode labels=tests/data/ctc_digits_labels.txt ! \
 *     filesink location=digits.txt
 * ]|
 */
#include "gstseqctcdecode.h"
#include "gstseqencelements.h"
#include "gstseqstate.h"
#include "gstseqtensor.h"

#include <seqenc/ctc.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (seq_ctc_decode_debug);
#define GST_CAT_DEFAULT seq_ctc_decode_debug

#define DEFAULT_MODEL NULL
#define DEFAULT_LABELS NULL
#define DEFAULT_BLANK -1
#define DEFAULT_INPUT SEQ_CTC_INPUT_LOG_PROBS
#define DEFAULT_SEPARATOR " "
#define DEFAULT_NEWLINE_AT_EOS TRUE

#define TOKEN_MESSAGE_NAME "seqenc-token"

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_LABELS,
  PROP_BLANK,
  PROP_INPUT,
  PROP_SEPARATOR,
  PROP_NEWLINE_AT_EOS,
  PROP_RESET_ON,                /* and the keeper's next two: the last */
};

struct _GstSeqCtcDecode
{
  GstElement parent;

  GstPad *sinkpad, *srcpad;

  /* properties, under the object lock */
  gchar *model_path;
  gchar *labels_path;
  gint blank;                   /* -1: the model's, else 0 */
  SeqCtcInput input;
  gchar *separator;
  gboolean newline_at_eos;
  GstSeqStateKeeper keeper;     /* reset-on, state-location, checkpoints */
  GstClockTime latency;         /* one frame, once negotiated */

  /* READY: from open() */
  gchar **labels;
  guint n_labels;
  SeqCtc *ctc;

  /* streaming thread */
  gboolean have_caps;
  gboolean need_restore;        /* first caps since READY→PAUSED */
  GstSeqTensorCaps in;
  GstSegment segment;
  SeqCtcToken *tokens;          /* room for tokens_size tokens */
  gsize tokens_size;
  gboolean have_anchor;         /* anchor_pts is the time of frame anchor_frame */
  GstClockTime anchor_pts;
  guint64 anchor_frame;
  GstClockTime open_time;       /* the open token's start, NONE: unknown */
  guint64 sent;                 /* tokens sent since the last reset */
  gboolean processed;           /* frames decoded since the last reset/restore */
  gboolean dirty;               /* state changed since the last save */
  gboolean failed;              /* an error was posted: send nothing more */
};

G_DEFINE_TYPE (GstSeqCtcDecode, gst_seq_ctc_decode, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (seqctcdecode, "seqctcdecode", GST_RANK_NONE,
    GST_TYPE_SEQ_CTC_DECODE);

#define SRC_CAPS "text/x-raw, format = (string) utf8"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_SEQ_TENSOR_CAPS_F32));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (SRC_CAPS));

GType
gst_seq_ctc_decode_input_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {SEQ_CTC_INPUT_LOG_PROBS, "Log-probabilities (log-softmax output)",
        "log-probs"},
    {SEQ_CTC_INPUT_PROBS, "Probabilities (softmax output)", "probs"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstSeqCtcDecodeInput",
            values));
  return type;
}

/* ---- time line ---- */

/* Time of frame @k (since the last reset), from the anchor: the PTS of the
 * last buffer and the index of its first frame. Untimed input (framerate
 * 0/1): the anchor's PTS. */
static GstClockTime
frame_time (GstSeqCtcDecode * self, guint64 k)
{
  guint64 d;

  if (!self->have_anchor || !GST_CLOCK_TIME_IS_VALID (self->anchor_pts))
    return GST_CLOCK_TIME_NONE;
  if (self->in.rate_n <= 0)
    return self->anchor_pts;
  if (k >= self->anchor_frame)
    return self->anchor_pts + gst_util_uint64_scale (k - self->anchor_frame,
        (guint64) GST_SECOND * self->in.rate_d, self->in.rate_n);
  d = gst_util_uint64_scale (self->anchor_frame - k,
      (guint64) GST_SECOND * self->in.rate_d, self->in.rate_n);
  return self->anchor_pts > d ? self->anchor_pts - d : 0;
}

static void
stream_reset (GstSeqCtcDecode * self)
{
  if (self->ctc)
    seq_ctc_reset (self->ctc);
  self->have_anchor = FALSE;
  self->open_time = GST_CLOCK_TIME_NONE;
  self->sent = 0;
  self->processed = FALSE;
}

/* ---- state file ---- */

/* The keeper's save callback: the decoder state, when it changed since the
 * last save. */
static GBytes *
save_blob (gpointer data)
{
  GstSeqCtcDecode *self = data;

  if (self->ctc == NULL || !self->dirty)
    return NULL;
  self->dirty = FALSE;          /* a failed save posts an error anyway */
  return seq_ctc_state_save (self->ctc);
}

static gboolean
restore_blob (gpointer data, GBytes * blob, GError ** error)
{
  GstSeqCtcDecode *self = data;

  if (!seq_ctc_state_restore (self->ctc, blob, error))
    return FALSE;
  GST_INFO_OBJECT (self, "restored at frame %" G_GUINT64_FORMAT "%s",
      seq_ctc_get_frames (self->ctc), seq_ctc_get_pending (self->ctc,
          NULL) ? ", inside a token" : "");
  return TRUE;
}


/* ---- output ---- */

static GstFlowReturn
push_text (GstSeqCtcDecode * self, const gchar * sep, const gchar * text,
    GstClockTime pts, GstClockTime duration, guint64 offset,
    guint64 offset_end)
{
  gsize ls = strlen (sep), lt = strlen (text);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, ls + lt, NULL);

  gst_buffer_fill (buf, 0, sep, ls);
  gst_buffer_fill (buf, ls, text, lt);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = duration;
  GST_BUFFER_OFFSET (buf) = offset;
  GST_BUFFER_OFFSET_END (buf) = offset_end;
  return gst_pad_push (self->srcpad, buf);
}

/* Sends @tok (which started at @start) as a buffer and a bus message. */
static GstFlowReturn
send_token (GstSeqCtcDecode * self, const SeqCtcToken * tok,
    GstClockTime start)
{
  GstClockTime end = frame_time (self, tok->end + 1), dur;
  const gchar *label = self->labels[tok->label];
  gchar *sep = NULL;
  GstStructure *s;

  dur = self->in.rate_n > 0 && GST_CLOCK_TIME_IS_VALID (start)
      && GST_CLOCK_TIME_IS_VALID (end) && end >= start ? end - start :
      GST_CLOCK_TIME_NONE;
  if (self->in.rate_n <= 0)
    end = GST_CLOCK_TIME_NONE;
  GST_LOG_OBJECT (self, "token %u \"%s\" frames %" G_GUINT64_FORMAT "-%"
      G_GUINT64_FORMAT " at %" GST_TIME_FORMAT, tok->label, label, tok->start,
      tok->end, GST_TIME_ARGS (start));

  s = gst_structure_new (TOKEN_MESSAGE_NAME,
      "label", G_TYPE_STRING, label,
      "label-id", G_TYPE_UINT, tok->label,
      "start", G_TYPE_UINT64, (guint64) start,
      "end", G_TYPE_UINT64, (guint64) end,
      "start-frame", G_TYPE_UINT64, tok->start,
      "end-frame", G_TYPE_UINT64, tok->end,
      "mean-posterior", G_TYPE_DOUBLE, (gdouble) tok->mean_posterior, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));

  if (self->sent > 0) {
    GST_OBJECT_LOCK (self);
    sep = g_strdup (self->separator ? self->separator : "");
    GST_OBJECT_UNLOCK (self);
  }
  self->sent++;
  {
    GstFlowReturn ret = push_text (self, sep ? sep : "", label, start, dur,
        tok->start, tok->end + 1);
    g_free (sep);
    return ret;
  }
}

/* Start time of @tok, given that frames from @first on belong to the
 * buffer of the anchor. */
static GstClockTime
token_start (GstSeqCtcDecode * self, const SeqCtcToken * tok, guint64 first)
{
  if (tok->start >= first || !GST_CLOCK_TIME_IS_VALID (self->open_time))
    return frame_time (self, tok->start);
  return self->open_time;
}

/* Ends the stream: the open token, the newline, then a reset. With
 * @save, the state is saved between the token and the reset (EOS). */
static GstFlowReturn
drain (GstSeqCtcDecode * self, gboolean save)
{
  GstFlowReturn ret = GST_FLOW_OK;
  SeqCtcToken tok;
  gboolean newline;

  if (self->ctc == NULL)
    return GST_FLOW_OK;
  /* after an error (ours, or a fatal flow from downstream) the stream is
   * over: nothing more is sent */
  if (self->failed
      || gst_pad_get_last_flow_return (self->srcpad) < GST_FLOW_EOS) {
    GST_DEBUG_OBJECT (self, "not draining after a failure");
    stream_reset (self);
    return GST_FLOW_OK;
  }
  if (seq_ctc_finish (self->ctc, &tok)) {
    ret = send_token (self, &tok, token_start (self, &tok,
            self->anchor_frame));
    self->dirty = TRUE;
  }
  if (save)
    gst_seq_state_keeper_save (&self->keeper);
  GST_OBJECT_LOCK (self);
  newline = self->newline_at_eos;
  GST_OBJECT_UNLOCK (self);
  if (ret == GST_FLOW_OK && newline && self->sent > 0) {
    guint64 n = seq_ctc_get_frames (self->ctc);
    ret = push_text (self, "", "\n", frame_time (self, n), 0, n, n);
  }
  stream_reset (self);
  return ret;
}

/* ---- streaming ---- */

static GstFlowReturn
gst_seq_ctc_decode_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstSeqCtcDecode *self = GST_SEQ_CTC_DECODE (parent);
  GstFlowReturn ret = GST_FLOW_OK;
  GstSeqTensorView view;
  SeqCtcToken open;
  GError *err = NULL;
  gchar *why = NULL;
  guint64 first;
  GstClockTime pts;
  gsize n = 0;
  guint dim, frames;
  gboolean ok;

  if (!self->have_caps || self->ctc == NULL)
    goto not_negotiated;

  if (GST_BUFFER_IS_DISCONT (buf)
      && gst_seq_state_keeper_resets_on_discont (&self->keeper)
      && self->processed) {
    GST_DEBUG_OBJECT (self, "DISCONT: ending the stream and resetting");
    ret = drain (self, FALSE);
    if (ret != GST_FLOW_OK)
      goto done;
  }

  if (!gst_seq_tensor_view_map (&view, buf, &self->in, &why))
    goto bad_buffer;
  dim = view.dim;
  frames = view.frames;
  if (dim != self->n_labels) {
    gst_seq_tensor_view_unmap (&view);
    goto wrong_width;
  }

  /* the time line: this buffer's PTS is the time of its first frame */
  first = seq_ctc_get_frames (self->ctc);
  pts = GST_BUFFER_PTS (buf);
  if (!GST_CLOCK_TIME_IS_VALID (pts)) {
    if (self->have_anchor)
      pts = frame_time (self, first);
    else if (self->segment.format == GST_FORMAT_TIME)
      pts = self->segment.start;
    else
      pts = 0;
  }
  self->have_anchor = TRUE;
  self->anchor_pts = pts;
  self->anchor_frame = first;
  /* a token open in a restored state started before the first buffer */
  if (!GST_CLOCK_TIME_IS_VALID (self->open_time)
      && seq_ctc_get_pending (self->ctc, &open))
    self->open_time = frame_time (self, open.start);

  if (frames > self->tokens_size) {
    self->tokens = g_renew (SeqCtcToken, self->tokens, frames);
    self->tokens_size = frames;
  }
  ok = seq_ctc_feed (self->ctc, (const float *) view.data, frames,
      self->tokens, &n, &err);
  gst_seq_tensor_view_unmap (&view);
  if (!ok)
    goto bad_posteriors;
  if (frames > 0) {
    self->processed = TRUE;
    self->dirty = TRUE;
  }

  for (gsize i = 0; i < n && ret == GST_FLOW_OK; i++)
    ret = send_token (self, &self->tokens[i], token_start (self,
            &self->tokens[i], first));
  /* the token open now: its start time, if it started in this buffer */
  if (seq_ctc_get_pending (self->ctc, &open) && open.start >= first)
    self->open_time = frame_time (self, open.start);

  if (ret == GST_FLOW_OK
      && !gst_seq_state_keeper_tick (&self->keeper, frames)) {
    self->failed = TRUE;
    ret = GST_FLOW_ERROR;
  }

done:
  gst_buffer_unref (buf);
  return ret;

  /* ERRORS */
not_negotiated:
  {
    self->failed = TRUE;
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("tensor buffer before caps"));
    gst_buffer_unref (buf);
    return GST_FLOW_NOT_NEGOTIATED;
  }
bad_buffer:
  {
    self->failed = TRUE;
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, (NULL), ("%s", why));
    g_free (why);
    gst_buffer_unref (buf);
    return GST_FLOW_ERROR;
  }
wrong_width:
  {
    self->failed = TRUE;
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Frames of %u posteriors do not fit the %u labels.", dim,
            self->n_labels), ("each frame must hold one value per label "
            "(the blank included); got %u values per frame", dim));
    gst_buffer_unref (buf);
    return GST_FLOW_ERROR;
  }
bad_posteriors:
  {
    self->failed = TRUE;
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Posteriors are not finite numbers."), ("%s", err->message));
    g_clear_error (&err);
    gst_buffer_unref (buf);
    return GST_FLOW_ERROR;
  }
}

static gboolean
gst_seq_ctc_decode_set_caps (GstSeqCtcDecode * self, GstCaps * caps)
{
  GstSeqTensorCaps in;
  gchar *why = NULL;
  GstCaps *out;

  if (self->ctc == NULL)
    goto no_labels;
  if (!gst_seq_tensor_caps_parse (caps, &in, &why))
    goto bad_caps;
  if (in.type == GST_SEQ_TENSOR_TYPE_UNKNOWN)
    in.type = GST_SEQ_TENSOR_TYPE_FLOAT32;
  if (in.type != GST_SEQ_TENSOR_TYPE_FLOAT32) {
    why = g_strdup ("float32 posteriors expected");
    goto bad_caps;
  }
  if (in.dim != 0 && in.dim != self->n_labels)
    goto wrong_width;

  self->in = in;
  self->have_caps = TRUE;
  if (self->need_restore) {
    self->need_restore = FALSE;
    if (!gst_seq_state_keeper_restore (&self->keeper))
      return FALSE;
    self->have_anchor = FALSE;
    self->open_time = GST_CLOCK_TIME_NONE;
    self->processed = FALSE;
    self->dirty = FALSE;
  }

  GST_OBJECT_LOCK (self);
  self->latency = in.rate_n > 0 ? gst_util_uint64_scale_int (GST_SECOND,
      in.rate_d, in.rate_n) : 0;
  GST_OBJECT_UNLOCK (self);
  out = gst_caps_from_string (SRC_CAPS);
  gst_pad_set_caps (self->srcpad, out);
  gst_caps_unref (out);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_latency (GST_OBJECT (self)));
  return TRUE;

  /* ERRORS */
no_labels:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("caps before the labels were loaded"));
    return FALSE;
  }
bad_caps:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("unsupported caps %" GST_PTR_FORMAT ": %s", caps, why));
    g_free (why);
    return FALSE;
  }
wrong_width:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Frames of %u posteriors do not fit the %u labels.", in.dim,
            self->n_labels), ("caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
}

static gboolean
gst_seq_ctc_decode_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstSeqCtcDecode *self = GST_SEQ_CTC_DECODE (parent);
  guint reset_on = gst_seq_state_keeper_get_reset_on (&self->keeper);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
    {
      GstCaps *caps;
      gboolean ok;
      gst_event_parse_caps (event, &caps);
      ok = gst_seq_ctc_decode_set_caps (self, caps);
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
      drain (self, TRUE);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
      self->failed = FALSE;
      if (gst_seq_event_wants_reset (event, reset_on) && self->processed) {
        GST_DEBUG_OBJECT (self, "FLUSH_STOP: dropping the open token");
        stream_reset (self);
      }
      break;
    case GST_EVENT_STREAM_START:
    case GST_EVENT_CUSTOM_DOWNSTREAM:
      if (gst_seq_event_wants_reset (event, reset_on) && self->processed) {
        GST_DEBUG_OBJECT (self, "%s: ending the stream and resetting",
            GST_EVENT_TYPE_NAME (event));
        drain (self, FALSE);
      }
      break;
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_seq_ctc_decode_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  GstSeqCtcDecode *self = GST_SEQ_CTC_DECODE (parent);

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

/* ---- READY: labels and decoder ---- */

static gboolean
gst_seq_ctc_decode_open (GstSeqCtcDecode * self)
{
  gchar *model, *labels_path;
  SeqWeights *w = NULL;
  gchar **labels = NULL;
  gint64 model_blank = -1;
  SeqCtcParams p = seq_ctc_params_default ();
  GError *err = NULL;
  gint blank;

  GST_OBJECT_LOCK (self);
  model = g_strdup (self->model_path);
  labels_path = g_strdup (self->labels_path);
  blank = self->blank;
  p.input = self->input;
  GST_OBJECT_UNLOCK (self);

  if (model != NULL && *model != '\0') {
    if (!g_file_test (model, G_FILE_TEST_IS_REGULAR)) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("Model file \"%s\" not found.", model), (NULL));
      goto failed;
    }
    if ((w = seq_weights_open (model, &err)) == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, READ,
          ("Cannot read the model \"%s\".", model), ("%s", err->message));
      goto failed;
    }
  }
  if (labels_path != NULL && *labels_path != '\0') {
    if (!g_file_test (labels_path, G_FILE_TEST_IS_REGULAR)) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("Labels file \"%s\" not found.", labels_path), (NULL));
      goto failed;
    }
    if ((labels = seq_ctc_labels_load_file (labels_path, &err)) == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, READ,
          ("Cannot read the labels file \"%s\".", labels_path),
          ("%s", err->message));
      goto failed;
    }
    /* the model may still give the blank */
    if (w != NULL) {
      gchar **unused = seq_ctc_labels_from_weights (w, &model_blank, NULL);
      g_strfreev (unused);
    }
  } else if (w != NULL) {
    if ((labels = seq_ctc_labels_from_weights (w, &model_blank, &err)) ==
        NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, READ,
          ("The model \"%s\" has no usable labels.", model),
          ("%s; give them with the labels property (one per line)",
              err->message));
      goto failed;
    }
  } else {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("No labels: set the labels property (a file, one label per line) "
            "or model (a safetensors file with \"labels\" metadata)."),
        (NULL));
    goto failed;
  }

  if (blank < -1) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("blank=%d is out of range: valid values are -1 (the model's, else "
            "0) and the label ids.", blank), (NULL));
    goto failed;
  }
  p.n_labels = g_strv_length (labels);
  p.blank = blank >= 0 ? (guint) blank : model_blank >= 0 ?
      (guint) model_blank : 0;
  if ((self->ctc = seq_ctc_new (&p, &err)) == NULL) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Blank id %u does not fit the %u labels.", p.blank, p.n_labels),
        ("%s", err->message));
    goto failed;
  }
  self->labels = labels;
  self->n_labels = p.n_labels;
  GST_INFO_OBJECT (self, "%u labels, blank %u (\"%s\")", p.n_labels, p.blank,
      labels[p.blank]);
  seq_weights_unref (w);
  g_free (model);
  g_free (labels_path);
  return TRUE;

failed:
  g_clear_error (&err);
  g_strfreev (labels);
  seq_weights_unref (w);
  g_free (model);
  g_free (labels_path);
  return FALSE;
}

static void
gst_seq_ctc_decode_close (GstSeqCtcDecode * self)
{
  g_clear_pointer (&self->ctc, seq_ctc_free);
  g_clear_pointer (&self->labels, g_strfreev);
  self->n_labels = 0;
}

static GstStateChangeReturn
gst_seq_ctc_decode_change_state (GstElement * element,
    GstStateChange transition)
{
  GstSeqCtcDecode *self = GST_SEQ_CTC_DECODE (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!gst_seq_ctc_decode_open (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
      self->need_restore = TRUE;
      self->failed = FALSE;
      self->dirty = FALSE;
      stream_reset (self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_seq_ctc_decode_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    if (transition == GST_STATE_CHANGE_NULL_TO_READY)
      gst_seq_ctc_decode_close (self);
    return ret;
  }

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      gst_seq_state_keeper_save (&self->keeper);
      stream_reset (self);
      self->have_caps = FALSE;
      g_clear_pointer (&self->tokens, g_free);
      self->tokens_size = 0;
      GST_OBJECT_LOCK (self);
      self->latency = 0;
      GST_OBJECT_UNLOCK (self);
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      gst_seq_ctc_decode_close (self);
      break;
    default:
      break;
  }
  return ret;
}

/* ---- properties ---- */

static void
gst_seq_ctc_decode_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSeqCtcDecode *self = GST_SEQ_CTC_DECODE (object);

  if (gst_seq_refuse_unless_ready (GST_ELEMENT (object), pspec)
      || gst_seq_state_keeper_set_property (&self->keeper, prop_id, value))
    return;
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model_path);
      self->model_path = g_value_dup_string (value);
      break;
    case PROP_LABELS:
      g_free (self->labels_path);
      self->labels_path = g_value_dup_string (value);
      break;
    case PROP_BLANK:
      self->blank = g_value_get_int (value);
      break;
    case PROP_INPUT:
      self->input = g_value_get_enum (value);
      break;
    case PROP_SEPARATOR:
      g_free (self->separator);
      self->separator = g_value_dup_string (value);
      break;
    case PROP_NEWLINE_AT_EOS:
      self->newline_at_eos = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_seq_ctc_decode_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstSeqCtcDecode *self = GST_SEQ_CTC_DECODE (object);

  if (gst_seq_state_keeper_get_property (&self->keeper, prop_id, value))
    return;
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_path);
      break;
    case PROP_LABELS:
      g_value_set_string (value, self->labels_path);
      break;
    case PROP_BLANK:
      g_value_set_int (value, self->blank);
      break;
    case PROP_INPUT:
      g_value_set_enum (value, self->input);
      break;
    case PROP_SEPARATOR:
      g_value_set_string (value, self->separator);
      break;
    case PROP_NEWLINE_AT_EOS:
      g_value_set_boolean (value, self->newline_at_eos);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_seq_ctc_decode_finalize (GObject * object)
{
  GstSeqCtcDecode *self = GST_SEQ_CTC_DECODE (object);

  gst_seq_ctc_decode_close (self);
  g_free (self->tokens);
  g_free (self->model_path);
  g_free (self->labels_path);
  g_free (self->separator);
  gst_seq_state_keeper_clear (&self->keeper);
  G_OBJECT_CLASS (gst_seq_ctc_decode_parent_class)->finalize (object);
}

static void
gst_seq_ctc_decode_class_init (GstSeqCtcDecodeClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags ready = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;
  const GParamFlags playing = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING;

  GST_DEBUG_CATEGORY_INIT (seq_ctc_decode_debug, "seqctcdecode", 0,
      "seqenc greedy CTC decoder");

  gobject_class->set_property = gst_seq_ctc_decode_set_property;
  gobject_class->get_property = gst_seq_ctc_decode_get_property;
  gobject_class->finalize = gst_seq_ctc_decode_finalize;

  /**
   * GstSeqCtcDecode:model:
   *
   * A safetensors file whose `__metadata__` holds `"labels"` (a JSON array
   * of the K label strings, index = class id) and optionally `"blank"` (a
   * decimal id): the model file the head came from.
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Safetensors file with \"labels\" (and \"blank\") metadata",
          DEFAULT_MODEL, ready));
  /**
   * GstSeqCtcDecode:labels:
   *
   * A UTF-8 text file with one label per line (line n = class id n, the
   * blank's line included); takes precedence over the model's labels.
   */
  g_object_class_install_property (gobject_class, PROP_LABELS,
      g_param_spec_string ("labels", "Labels",
          "Text file with one label per line (overrides the model's)",
          DEFAULT_LABELS, ready));
  /**
   * GstSeqCtcDecode:blank:
   *
   * Class id of the CTC blank; -1: the model's `"blank"` metadata, else 0.
   * An id that is not one of the labels' (or below -1) is a LIBRARY
   * SETTINGS error at start.
   */
  g_object_class_install_property (gobject_class, PROP_BLANK,
      g_param_spec_int ("blank", "Blank",
          "Class id of the blank (-1: the model's, else 0)", G_MININT,
          G_MAXINT, DEFAULT_BLANK, ready));
  /**
   * GstSeqCtcDecode:input:
   *
   * What the frames hold: `log-probs` (log-softmax output; -inf is log 0)
   * or `probs` (softmax output). It only changes the mean posterior
   * reported: the argmax is the same.
   */
  g_object_class_install_property (gobject_class, PROP_INPUT,
      g_param_spec_enum ("input", "Input", "Log-probabilities or "
          "probabilities", GST_TYPE_SEQ_CTC_DECODE_INPUT, DEFAULT_INPUT,
          ready));
  /**
   * GstSeqCtcDecode:separator:
   *
   * Text put before every token but the first since the last reset.
   */
  g_object_class_install_property (gobject_class, PROP_SEPARATOR,
      g_param_spec_string ("separator", "Separator",
          "Text before every token but the first of a stream",
          DEFAULT_SEPARATOR, playing));
  /**
   * GstSeqCtcDecode:newline-at-eos:
   *
   * At the end of a stream (EOS, STREAM_START, seqenc-reset, DISCONT) in
   * which at least one token was sent, send one more buffer with "\n".
   */
  g_object_class_install_property (gobject_class, PROP_NEWLINE_AT_EOS,
      g_param_spec_boolean ("newline-at-eos", "Newline at EOS",
          "End every stream that had tokens with a newline",
          DEFAULT_NEWLINE_AT_EOS, playing));
  /* reset-on: which stream events end the stream (send the open token)
   * and restart decoding at frame 0 (FLUSH_STOP drops the open token).
   * state-location: the decoder state (frame count, last label, the open
   * token); when it exists at caps time decoding continues from it, inside
   * a token if one was open. Saved at EOS (after the open token was sent,
   * which a resumed stream then does not send again), at stop and every
   * checkpoint-interval frames; a state of other labels, blank or input is
   * refused (STREAM WRONG_TYPE). See gstseqstate.h. */
  gst_seq_state_keeper_install_properties (gobject_class, PROP_RESET_ON,
      "frames");

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Greedy CTC decoder", "Converter/Tensor/Text",
      "Streaming greedy CTC decoding of per-frame posteriors into timed "
      "text tokens", "seqenc developers");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_seq_ctc_decode_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_SEQ_CTC_DECODE_INPUT, 0);
}

static void
gst_seq_ctc_decode_init (GstSeqCtcDecode * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_seq_ctc_decode_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_seq_ctc_decode_sink_event));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_seq_ctc_decode_src_query));
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->blank = DEFAULT_BLANK;
  self->input = DEFAULT_INPUT;
  self->separator = g_strdup (DEFAULT_SEPARATOR);
  self->newline_at_eos = DEFAULT_NEWLINE_AT_EOS;
  gst_seq_state_keeper_init (&self->keeper, GST_ELEMENT (self),
      PROP_RESET_ON, save_blob, restore_blob, self);
  self->open_time = GST_CLOCK_TIME_NONE;
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
}
