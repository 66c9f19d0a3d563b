/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqtokenizer: UTF-8 text to int32 token ids.
 *
 * SECTION:element-seqtokenizer
 * @title: seqtokenizer
 *
 * Consumes `text/x-raw, format=utf8` in buffers of any size and produces the
 * token ids as `other/tensors, format=flexible, types=int32, dimensions=1`
 * (each buffer's header gives its T), `framerate=0/1` (text is untimed).
 * Modes (see seqenc/tokenizer.h): `bytes` (one id per byte), `chars` (one id
 * per code point), `wordpiece` (BERT, `vocab` = vocab.txt, `lowercase`),
 * `bpe` (GPT-2, `vocab` = encoder.json, `merges` = vocab.bpe; or `vocab` = a
 * Hugging Face tokenizer.json of a byte-level BPE and no `merges`). The ids do not
 * depend on how the text is split into buffers: only the undecided tail (an
 * incomplete UTF-8 sequence, the current word or pre-token) is held back.
 * Invalid UTF-8 reads as U+FFFD per maximal ill-formed subpart; it never
 * fails.
 *
 * A buffer of ids is pushed for every input buffer that completes tokens.
 * Its PTS is the PTS of the input buffer in which its first token began (none
 * when upstream has none); offsets count tokens.
 *
 * Stream semantics (`reset-on` chooses which of these reset):
 * - EOS: the held tail is tokenized and pushed, then EOS is forwarded.
 * - FLUSH_STOP: the held tail is dropped (it belonged to flushed data).
 * - a new STREAM_START, the `seqenc-reset` custom event, a DISCONT buffer:
 *   the held tail is tokenized and pushed first (it ends there), then the
 *   tokenizer starts afresh, then the event/buffer goes on.
 * - PAUSED→READY forgets everything (after saving it, see below); the
 *   vocabulary is loaded on NULL→READY (missing file: RESOURCE NOT_FOUND;
 *   malformed: STREAM FORMAT) and freed on READY→NULL.
 * A reset is skipped while nothing was fed since the last one, so that a
 * state restored at start survives the first STREAM_START and DISCONT.
 *
 * State persistence: with `state-location`, the stream state (the held text
 * and the stream offset; the library's blob) is restored from that file on
 * READY→PAUSED when it exists, and saved atomically at EOS (before the held
 * text is emitted, so that a restart continues the word), at stop and every
 * `checkpoint-interval` tokens (0: EOS and stop only).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e filesrc location=README.md blocksize=777 ! \
 *     text/x-raw,format=utf8 ! \
 *     seqtokenizer mode=bpe vocab=encoder.json merges=vocab.bpe ! \
 *     seqembed vocab-size=50257 dim=64 ! seqposenc ! seqlstm ! \
 *     seqnpysink location=hidden.npy
 * ]|
 * (pipelines/text-bpe.sh; pipelines/text-wordpiece.sh does the same with
 * mode=wordpiece vocab=vocab.txt.)
 */
#include "gstseqtokenizer.h"
#include "gstseqencelements.h"
#include "gstseqstate.h"
#include "gstseqtensor.h"

#include <seqenc/tokenizer.h>

GST_DEBUG_CATEGORY_STATIC (seq_tokenizer_debug);
#define GST_CAT_DEFAULT seq_tokenizer_debug

#define DEFAULT_MODE SEQ_TOKENIZER_MODE_BYTES
#define DEFAULT_VOCAB NULL
#define DEFAULT_MERGES NULL
#define DEFAULT_LOWERCASE TRUE

enum
{
  PROP_0,
  PROP_MODE,
  PROP_VOCAB,
  PROP_MERGES,
  PROP_LOWERCASE,
  PROP_RESET_ON,                /* and the keeper's next two: the last */
};

/* Where an input buffer starts in the stream, and its PTS. */
typedef struct
{
  guint64 offset;
  GstClockTime pts;
} InputMark;

struct _GstSeqTokenizer
{
  GstElement parent;

  GstPad *sinkpad, *srcpad;

  /* properties, under the object lock */
  SeqTokenizerMode mode;
  gchar *vocab;
  gchar *merges;
  gboolean lowercase;
  GstSeqStateKeeper keeper;     /* reset-on, state-location, checkpoints */
  gboolean model_dirty;         /* a model property changed in READY */

  /* READY and up */
  SeqTokenizer *tok;

  /* PAUSED and up, streaming thread */
  SeqTokenizerState *state;
  GArray *ids;                  /* gint32 scratch */
  GArray *offsets;              /* guint64 scratch */
  GArray *marks;                /* InputMark of the buffers still held */
  guint64 tokens_out;           /* ids pushed since the last reset */
  gboolean caps_sent;
  gboolean segment_sent;
  gboolean processed;           /* text fed since the last reset */
  gboolean dirty;               /* state changed since the last save */
  guint64 unticked;             /* tokens pushed, not yet counted by keeper */
};

G_DEFINE_TYPE (GstSeqTokenizer, gst_seq_tokenizer, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (seqtokenizer, "seqtokenizer", GST_RANK_NONE,
    GST_TYPE_SEQ_TOKENIZER);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("text/x-raw, format = (string) utf8"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("other/tensors, format = (string) flexible, "
        "num_tensors = (int) 1, types = (string) int32, "
        "dimensions = (string) 1, framerate = (fraction) 0/1"));

GType
gst_seq_tokenizer_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {SEQ_TOKENIZER_MODE_BYTES, "One id per byte (0-255)", "bytes"},
    {SEQ_TOKENIZER_MODE_CHARS, "One id per Unicode code point", "chars"},
    {SEQ_TOKENIZER_MODE_WORDPIECE, "BERT WordPiece (vocab = vocab.txt)",
        "wordpiece"},
    {SEQ_TOKENIZER_MODE_BPE,
        "GPT-2 byte-level BPE (vocab = encoder.json, merges = vocab.bpe)",
        "bpe"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstSeqTokenizerMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ------------------------------------------------------------------------ */
/* model */

static gboolean
gst_seq_tokenizer_open (GstSeqTokenizer * self)
{
  SeqTokenizerParams params = seq_tokenizer_params_default ();
  gchar *vocab, *merges;
  SeqTokenizer *tok;
  GError *err = NULL;
  gboolean ok = FALSE;

  GST_OBJECT_LOCK (self);
  params.mode = self->mode;
  params.lowercase = self->lowercase;
  vocab = g_strdup (self->vocab);
  merges = g_strdup (self->merges);
  self->model_dirty = FALSE;
  GST_OBJECT_UNLOCK (self);
  params.vocab = vocab;
  params.merges = merges;

  /* files first, for a precise error */
  if (params.mode == SEQ_TOKENIZER_MODE_WORDPIECE
      || params.mode == SEQ_TOKENIZER_MODE_BPE) {
    const gchar *need[2] = { vocab, merges };
    const gchar *what[2] = { "vocab", "merges" };
    /* bpe without merges: vocab is a Hugging Face tokenizer.json */
    guint n_files = params.mode == SEQ_TOKENIZER_MODE_BPE && merges != NULL
        && merges[0] != '\0' ? 2 : 1;
    for (guint i = 0; i < n_files; i++) {
      if (need[i] == NULL || need[i][0] == '\0') {
        GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
            ("Mode %s needs the \"%s\" property.",
                seq_tokenizer_mode_name (params.mode), what[i]), (NULL));
        goto done;
      }
      if (!g_file_test (need[i], G_FILE_TEST_IS_REGULAR)) {
        GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
            ("Tokenizer %s file \"%s\" not found.", what[i], need[i]),
            (NULL));
        goto done;
      }
    }
  }

  tok = seq_tokenizer_new (&params, &err);
  if (tok == NULL) {
    if (g_error_matches (err, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_IO))
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Cannot read the tokenizer vocabulary."), ("%s", err->message));
    else if (g_error_matches (err, SEQ_TOKENIZER_ERROR,
            SEQ_TOKENIZER_ERROR_VOCAB))
      GST_ELEMENT_ERROR (self, STREAM, FORMAT,
          ("Malformed tokenizer vocabulary."), ("%s", err->message));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, (NULL), ("%s",
              err->message));
    g_clear_error (&err);
    goto done;
  }
  GST_INFO_OBJECT (self, "mode %s, %u ids",
      seq_tokenizer_mode_name (params.mode), seq_tokenizer_vocab_size (tok));
  GST_OBJECT_LOCK (self);
  g_clear_pointer (&self->tok, seq_tokenizer_unref);
  self->tok = tok;
  GST_OBJECT_UNLOCK (self);
  ok = TRUE;

done:
  g_free (vocab);
  g_free (merges);
  return ok;
}

static void
gst_seq_tokenizer_close (GstSeqTokenizer * self)
{
  SeqTokenizer *tok;

  GST_OBJECT_LOCK (self);
  tok = self->tok;
  self->tok = NULL;
  GST_OBJECT_UNLOCK (self);
  g_clear_pointer (&tok, seq_tokenizer_unref);
}

/* ------------------------------------------------------------------------ */
/* streaming */

static void
gst_seq_tokenizer_forget (GstSeqTokenizer * self)
{
  if (self->state)
    seq_tokenizer_state_reset (self->state);
  if (self->marks)
    g_array_set_size (self->marks, 0);
  self->tokens_out = 0;
  self->processed = FALSE;
}

/* The keeper's save callback: the state as of now, when it changed since
 * the last save. */
static GBytes *
save_blob (gpointer data)
{
  GstSeqTokenizer *self = data;

  if (self->state == NULL || !self->dirty)
    return NULL;
  self->dirty = FALSE;          /* a failed save posts an error anyway */
  return seq_tokenizer_state_save (self->state);
}

static gboolean
restore_blob (gpointer data, GBytes * blob, GError ** error)
{
  GstSeqTokenizer *self = data;

  if (!seq_tokenizer_state_restore (self->state, blob, error))
    return FALSE;
  GST_INFO_OBJECT (self, "restored at stream offset %" G_GUINT64_FORMAT
      " with %" G_GSIZE_FORMAT " bytes held",
      seq_tokenizer_state_offset (self->state),
      seq_tokenizer_state_held (self->state));
  return TRUE;
}


static gboolean
gst_seq_tokenizer_ensure_caps (GstSeqTokenizer * self)
{
  GstSeqTensorCaps info = { 0, };
  GstCaps *caps;
  gboolean ok;

  if (self->caps_sent && !gst_pad_check_reconfigure (self->srcpad))
    return TRUE;
  info.format = GST_SEQ_TENSOR_FORMAT_FLEXIBLE;
  info.type = GST_SEQ_TENSOR_TYPE_INT32;
  info.dim = 1;
  info.frames = 0;
  info.rate_n = 0;
  info.rate_d = 1;
  caps = gst_seq_tensor_caps_build (&info);
  ok = gst_pad_set_caps (self->srcpad, caps);
  gst_caps_unref (caps);
  if (!ok) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("downstream refused int32 token tensors"));
    return FALSE;
  }
  self->caps_sent = TRUE;
  return TRUE;
}

static void
gst_seq_tokenizer_ensure_segment (GstSeqTokenizer * self)
{
  GstSegment seg;

  if (self->segment_sent)
    return;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_pad_push_event (self->srcpad, gst_event_new_segment (&seg));
  self->segment_sent = TRUE;
}

/* PTS of the input buffer holding stream offset @off. */
static GstClockTime
pts_at (GstSeqTokenizer * self, guint64 off)
{
  GstClockTime pts = GST_CLOCK_TIME_NONE;

  for (guint i = 0; i < self->marks->len; i++) {
    InputMark *m = &g_array_index (self->marks, InputMark, i);
    if (m->offset > off)
      break;
    pts = m->pts;
  }
  return pts;
}

/* Drops the marks of input buffers that hold nothing any more. */
static void
trim_marks (GstSeqTokenizer * self)
{
  guint64 held_from = seq_tokenizer_state_offset (self->state);
  guint drop = 0;

  while (drop + 1 < self->marks->len &&
      g_array_index (self->marks, InputMark, drop + 1).offset <= held_from)
    drop++;
  if (drop > 0)
    g_array_remove_range (self->marks, 0, drop);
}

/* Pushes the ids gathered in self->ids (and clears them). */
static GstFlowReturn
push_ids (GstSeqTokenizer * self)
{
  GstSeqTensorCaps info = { 0, };
  GstBuffer *buf;
  GstMapInfo map;
  guint8 *data;
  guint n = self->ids->len;
  GstFlowReturn ret;

  if (n == 0)
    return GST_FLOW_OK;
  if (!gst_seq_tokenizer_ensure_caps (self))
    return GST_FLOW_NOT_NEGOTIATED;
  gst_seq_tokenizer_ensure_segment (self);

  info.format = GST_SEQ_TENSOR_FORMAT_FLEXIBLE;
  info.type = GST_SEQ_TENSOR_TYPE_INT32;
  info.dim = 1;
  buf = gst_seq_tensor_buffer_new (&info, n, &map, &data);
  if (buf == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, (NULL),
        ("cannot allocate a buffer of %u token ids", n));
    return GST_FLOW_ERROR;
  }
  memcpy (data, self->ids->data, (gsize) n * sizeof (gint32));
  gst_buffer_unmap (buf, &map);

  GST_BUFFER_PTS (buf) = pts_at (self,
      g_array_index (self->offsets, guint64, 0));
  GST_BUFFER_OFFSET (buf) = self->tokens_out;
  GST_BUFFER_OFFSET_END (buf) = self->tokens_out + n;
  if (self->tokens_out == 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  self->tokens_out += n;
  self->unticked += n;
  g_array_set_size (self->ids, 0);
  g_array_set_size (self->offsets, 0);

  GST_LOG_OBJECT (self, "pushing %u ids, pts %" GST_TIME_FORMAT, n,
      GST_TIME_ARGS (GST_BUFFER_PTS (buf)));
  ret = gst_pad_push (self->srcpad, buf);
  return ret;
}

/* Tokenizes what is held, pushes it and starts afresh. Unless @always,
 * nothing happens while no text was fed since the last reset (a restored
 * state survives the first STREAM_START or DISCONT). */
static GstFlowReturn
gst_seq_tokenizer_drain (GstSeqTokenizer * self, gboolean always)
{
  GstFlowReturn ret;

  if (self->state == NULL || (!always && !self->processed))
    return GST_FLOW_OK;
  seq_tokenizer_state_finish (self->state, self->ids, self->offsets);
  ret = push_ids (self);
  gst_seq_tokenizer_forget (self);
  return ret;
}

static GstFlowReturn
gst_seq_tokenizer_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstSeqTokenizer *self = GST_SEQ_TOKENIZER (parent);
  GstMapInfo map;
  GstFlowReturn ret = GST_FLOW_OK;
  InputMark mark;

  if (self->state == NULL) {
    gst_buffer_unref (buf);
    return GST_FLOW_FLUSHING;
  }

  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT)
      && gst_seq_state_keeper_resets_on_discont (&self->keeper)) {
    GST_DEBUG_OBJECT (self, "DISCONT: ending the held text, restarting");
    ret = gst_seq_tokenizer_drain (self, FALSE);
    if (ret != GST_FLOW_OK)
      goto done;
  }

  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL),
        ("could not map the text buffer"));
    ret = GST_FLOW_ERROR;
    goto done;
  }
  mark.offset = seq_tokenizer_state_offset (self->state) +
      seq_tokenizer_state_held (self->state);
  mark.pts = GST_BUFFER_PTS (buf);
  if (map.size > 0)
    g_array_append_val (self->marks, mark);
  seq_tokenizer_state_feed (self->state, map.data, map.size, self->ids,
      self->offsets);
  gst_buffer_unmap (buf, &map);
  if (map.size > 0)
    self->processed = self->dirty = TRUE;

  ret = push_ids (self);
  trim_marks (self);
  if (ret == GST_FLOW_OK
      && !gst_seq_state_keeper_tick (&self->keeper, self->unticked))
    ret = GST_FLOW_ERROR;
  self->unticked = 0;

done:
  gst_buffer_unref (buf);
  return ret;
}

static gboolean
gst_seq_tokenizer_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstSeqTokenizer *self = GST_SEQ_TOKENIZER (parent);
  guint reset_on = gst_seq_state_keeper_get_reset_on (&self->keeper);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      const GstStructure *s;
      const gchar *fmt;

      gst_event_parse_caps (event, &caps);
      s = gst_caps_get_structure (caps, 0);
      fmt = gst_structure_get_string (s, "format");
      if (!gst_structure_has_name (s, "text/x-raw") || (fmt != NULL
              && g_strcmp0 (fmt, "utf8") != 0)) {
        GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
            ("unsupported text caps %" GST_PTR_FORMAT " (utf8 only)", caps));
        gst_event_unref (event);
        return FALSE;
      }
      gst_event_unref (event);
      return gst_seq_tokenizer_ensure_caps (self);
    }
    case GST_EVENT_SEGMENT:{
      const GstSegment *in;

      /* text segments are often in BYTES: downstream gets a TIME segment */
      gst_event_parse_segment (event, &in);
      /* CAPS before SEGMENT, even when upstream sent no caps (a bare
       * filesrc): our output caps do not depend on the input's */
      if (!gst_seq_tokenizer_ensure_caps (self)) {
        gst_event_unref (event);
        return FALSE;
      }
      if (in->format == GST_FORMAT_TIME) {
        self->segment_sent = TRUE;
        return gst_pad_push_event (self->srcpad, event);
      }
      gst_event_unref (event);
      self->segment_sent = FALSE;
      gst_seq_tokenizer_ensure_segment (self);
      return TRUE;
    }
    case GST_EVENT_FLUSH_STOP:
      if ((reset_on & GST_SEQ_RESET_ON_FLUSH) && self->processed)
        gst_seq_tokenizer_forget (self);
      self->segment_sent = FALSE;
      return gst_pad_push_event (self->srcpad, event);
    case GST_EVENT_EOS:
      /* the state as of the last byte, so that a restart continues the
       * word; then what EOS implies */
      gst_seq_state_keeper_save (&self->keeper);
      /* after a fatal downstream flow nothing more is pushed: the held
       * tail (perhaps half a UTF-8 character, U+FFFD once finished)
       * would only make downstream post a second, misleading error */
      if (gst_pad_get_last_flow_return (self->srcpad) == GST_FLOW_OK)
        gst_seq_tokenizer_drain (self, TRUE);
      /* an empty stream still tells downstream what it would have
       * carried (a .npy of shape (0, D), not (0, 0)) */
      if (gst_seq_tokenizer_ensure_caps (self))
        gst_seq_tokenizer_ensure_segment (self);
      return gst_pad_push_event (self->srcpad, event);
    case GST_EVENT_STREAM_START:
    case GST_EVENT_CUSTOM_DOWNSTREAM:
      if (gst_seq_event_wants_reset (event, reset_on)) {
        GST_DEBUG_OBJECT (self, "%s: ending the held text, restarting",
            GST_EVENT_TYPE_NAME (event));
        gst_seq_tokenizer_drain (self, FALSE);
      }
      return gst_pad_push_event (self->srcpad, event);
    default:
      return gst_pad_event_default (pad, parent, event);
  }
}

static GstStateChangeReturn
gst_seq_tokenizer_change_state (GstElement * element,
    GstStateChange transition)
{
  GstSeqTokenizer *self = GST_SEQ_TOKENIZER (element);
  GstStateChangeReturn ret;
  gboolean dirty;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!gst_seq_tokenizer_open (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      GST_OBJECT_LOCK (self);
      dirty = self->model_dirty;
      GST_OBJECT_UNLOCK (self);
      if (dirty && !gst_seq_tokenizer_open (self))
        return GST_STATE_CHANGE_FAILURE;
      self->state = seq_tokenizer_state_new (self->tok);
      self->ids = g_array_sized_new (FALSE, FALSE, sizeof (gint32), 4096);
      self->offsets = g_array_sized_new (FALSE, FALSE, sizeof (guint64),
          4096);
      self->marks = g_array_new (FALSE, FALSE, sizeof (InputMark));
      self->tokens_out = 0;
      self->caps_sent = FALSE;
      self->segment_sent = FALSE;
      self->processed = FALSE;
      self->dirty = FALSE;
      self->unticked = 0;
      if (!gst_seq_state_keeper_restore (&self->keeper))
        return GST_STATE_CHANGE_FAILURE;
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_seq_tokenizer_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      gst_seq_state_keeper_save (&self->keeper);
      g_clear_pointer (&self->state, seq_tokenizer_state_free);
      g_clear_pointer (&self->ids, g_array_unref);
      g_clear_pointer (&self->offsets, g_array_unref);
      g_clear_pointer (&self->marks, g_array_unref);
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      gst_seq_tokenizer_close (self);
      break;
    default:
      break;
  }
  return ret;
}

/* ------------------------------------------------------------------------ */
/* properties */

static gboolean
model_property_settable (GstSeqTokenizer * self, GParamSpec * pspec)
{
  /* under the object lock */
  if (GST_STATE (self) > GST_STATE_READY) {
    GST_WARNING_OBJECT (self, "property \"%s\" can only change in NULL or "
        "READY", pspec->name);
    return FALSE;
  }
  self->model_dirty = TRUE;
  return TRUE;
}

static void
gst_seq_tokenizer_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSeqTokenizer *self = GST_SEQ_TOKENIZER (object);

  if (prop_id >= PROP_RESET_ON) {
    if (!gst_seq_refuse_unless_ready (GST_ELEMENT (object), pspec)
        && !gst_seq_state_keeper_set_property (&self->keeper, prop_id, value))
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODE:
      if (model_property_settable (self, pspec))
        self->mode = g_value_get_enum (value);
      break;
    case PROP_VOCAB:
      if (model_property_settable (self, pspec)) {
        g_free (self->vocab);
        self->vocab = g_value_dup_string (value);
      }
      break;
    case PROP_MERGES:
      if (model_property_settable (self, pspec)) {
        g_free (self->merges);
        self->merges = g_value_dup_string (value);
      }
      break;
    case PROP_LOWERCASE:
      if (model_property_settable (self, pspec))
        self->lowercase = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_seq_tokenizer_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstSeqTokenizer *self = GST_SEQ_TOKENIZER (object);

  if (gst_seq_state_keeper_get_property (&self->keeper, prop_id, value))
    return;
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_VOCAB:
      g_value_set_string (value, self->vocab);
      break;
    case PROP_MERGES:
      g_value_set_string (value, self->merges);
      break;
    case PROP_LOWERCASE:
      g_value_set_boolean (value, self->lowercase);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_seq_tokenizer_finalize (GObject * object)
{
  GstSeqTokenizer *self = GST_SEQ_TOKENIZER (object);

  g_clear_pointer (&self->state, seq_tokenizer_state_free);
  g_clear_pointer (&self->ids, g_array_unref);
  g_clear_pointer (&self->offsets, g_array_unref);
  g_clear_pointer (&self->marks, g_array_unref);
  g_clear_pointer (&self->tok, seq_tokenizer_unref);
  g_free (self->vocab);
  g_free (self->merges);
  gst_seq_state_keeper_clear (&self->keeper);
  G_OBJECT_CLASS (gst_seq_tokenizer_parent_class)->finalize (object);
}

static void
gst_seq_tokenizer_class_init (GstSeqTokenizerClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GParamFlags model = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  GST_DEBUG_CATEGORY_INIT (seq_tokenizer_debug, "seqtokenizer", 0,
      "seqenc streaming tokenizer");

  gobject_class->set_property = gst_seq_tokenizer_set_property;
  gobject_class->get_property = gst_seq_tokenizer_get_property;
  gobject_class->finalize = gst_seq_tokenizer_finalize;

  /**
   * GstSeqTokenizer:mode:
   *
   * How text becomes ids: bytes, chars, wordpiece or bpe.
   */
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode", "Tokenization mode",
          GST_TYPE_SEQ_TOKENIZER_MODE, DEFAULT_MODE, model));
  /**
   * GstSeqTokenizer:vocab:
   *
   * Vocabulary file: BERT vocab.txt (wordpiece), GPT-2 encoder.json (bpe,
   * with merges) or a Hugging Face tokenizer.json (bpe, without merges).
   */
  g_object_class_install_property (gobject_class, PROP_VOCAB,
      g_param_spec_string ("vocab", "Vocabulary",
          "vocab.txt (wordpiece), encoder.json or tokenizer.json (bpe)",
          DEFAULT_VOCAB,
          model));
  /**
   * GstSeqTokenizer:merges:
   *
   * GPT-2 merges file vocab.bpe (bpe with encoder.json only).
   */
  g_object_class_install_property (gobject_class, PROP_MERGES,
      g_param_spec_string ("merges", "Merges", "vocab.bpe (bpe)",
          DEFAULT_MERGES, model));
  /**
   * GstSeqTokenizer:lowercase:
   *
   * wordpiece: lowercase and strip accents (uncased BERT models).
   */
  g_object_class_install_property (gobject_class, PROP_LOWERCASE,
      g_param_spec_boolean ("lowercase", "Lowercase",
          "wordpiece: lowercase and strip accents (uncased models)",
          DEFAULT_LOWERCASE, model));
  /* reset-on: which stream events end the held text and restart the
   * tokenizer. state-location: the held text and the stream offset,
   * restored at start and saved at EOS, at stop and every
   * checkpoint-interval tokens. See gstseqstate.h. */
  gst_seq_state_keeper_install_properties (gobject_class, PROP_RESET_ON,
      "tokens");

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Streaming tokenizer", "Filter/Converter/Text",
      "Turns UTF-8 text into int32 token ids (bytes, code points, BERT "
      "WordPiece, GPT-2 BPE), independent of buffer boundaries",
      "seqenc developers");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_seq_tokenizer_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_SEQ_TOKENIZER_MODE, 0);
}

static void
gst_seq_tokenizer_init (GstSeqTokenizer * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_seq_tokenizer_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_seq_tokenizer_sink_event));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->mode = DEFAULT_MODE;
  self->vocab = g_strdup (DEFAULT_VOCAB);
  self->merges = g_strdup (DEFAULT_MERGES);
  self->lowercase = DEFAULT_LOWERCASE;
  gst_seq_state_keeper_init (&self->keeper, GST_ELEMENT (self),
      PROP_RESET_ON, save_blob, restore_blob, self);
}
