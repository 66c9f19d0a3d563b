/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqhead: linear output head over tensor frames.
 *
 * SECTION:element-seqhead
 * @title: seqhead
 *
 * Consumes float32 frames (`other/tensors, types=float32, dimensions=H:T`,
 * static or flexible) and produces, for every frame h, `y = W h + b` with an
 * optional `activation` (`none`, `softmax`, `log-softmax`, `sigmoid`), as
 * `dimensions=K:T` of the same format, T and timestamps: PyTorch's
 * `nn.Linear` followed by `torch.softmax` / `log_softmax` / `sigmoid`. Each
 * frame is computed alone in one fixed order, so the output does not depend
 * on how frames are split into buffers.
 *
 * The head comes from a safetensors file (`model`, PyTorch `nn.Linear`
 * names `<prefix>weight` [K, H] and an optional `<prefix>bias` [K]; the
 * prefix is detected when `model-prefix` is empty: the only rank-2 tensor
 * whose name ends in "weight") or, when `model` is empty, is built in:
 * seeded nn.Linear-style U(-1/sqrt(H), 1/sqrt(H)) weights with `out-size`
 * outputs and H = the negotiated frame width. Frames of another width than
 * the file's H are a CORE NEGOTIATION error that names both widths and
 * the element that sends them. `out-size` outside 1 to 2^20 is a LIBRARY
 * SETTINGS error at start.
 *
 * It has no stream state: FLUSH, STREAM_START, `seqenc-reset`, DISCONT and
 * EOS pass through, and `state-location` has nothing to save. READY→NULL
 * frees the model. Adds no latency. A NaN in a frame propagates to its
 * outputs (a whole NaN row with softmax and log-softmax), as in PyTorch;
 * seqctcdecode downstream reports it.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e filesrc location=tests/data/fbank_speech.wav ! wavparse ! \
 *     audioconvert ! audioresample ! seqfbank ! seqlstm hidden-size=64 ! \
 *     seqhead out-size=11 activation=log-softmax ! seqnpysink location=logp.npy
 * ]|
 */
#include "gstseqhead.h"
#include "gstseqencelements.h"

#include <seqenc/head.h>

GST_DEBUG_CATEGORY_STATIC (seq_head_debug);
#define GST_CAT_DEFAULT seq_head_debug

#define DEFAULT_MODEL NULL
#define DEFAULT_MODEL_PREFIX NULL
#define DEFAULT_ACTIVATION SEQ_HEAD_ACTIVATION_NONE
#define DEFAULT_OUT_SIZE 11
#define DEFAULT_SEED 0

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_MODEL_PREFIX,
  PROP_ACTIVATION,
  PROP_OUT_SIZE,
  PROP_SEED,
};

struct _GstSeqHead
{
  GstSeqFrameFilter parent;

  /* properties, under the object lock */
  gchar *model_path;
  gchar *model_prefix;
  SeqHeadActivation activation;
  guint out_size;
  guint64 seed;

  /* the model, under the object lock (caps queries read its sizes); set at
   * NULL→READY from the file, or at setup for the built-in head */
  SeqHead *head;
  gboolean from_file;
};

G_DEFINE_TYPE (GstSeqHead, gst_seq_head, GST_TYPE_SEQ_FRAME_FILTER);
GST_ELEMENT_REGISTER_DEFINE (seqhead, "seqhead", GST_RANK_NONE,
    GST_TYPE_SEQ_HEAD);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_SEQ_TENSOR_CAPS_F32));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_SEQ_TENSOR_CAPS_F32));

GType
gst_seq_head_activation_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {SEQ_HEAD_ACTIVATION_NONE, "The logits W h + b", "none"},
    {SEQ_HEAD_ACTIVATION_SOFTMAX, "Softmax over the outputs", "softmax"},
    {SEQ_HEAD_ACTIVATION_LOG_SOFTMAX, "Log-softmax over the outputs",
        "log-softmax"},
    {SEQ_HEAD_ACTIVATION_SIGMOID, "Sigmoid of each output", "sigmoid"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstSeqHeadActivation",
            values));
  return type;
}

/* The file's H (0 for the built-in head: any width) and K. */
static void
get_sizes (GstSeqHead * self, guint * in_size, guint * out_size)
{
  GST_OBJECT_LOCK (self);
  if (self->head != NULL && self->from_file) {
    *in_size = seq_head_in_size (self->head);
    *out_size = seq_head_out_size (self->head);
  } else {
    *in_size = 0;
    *out_size = self->out_size;
  }
  GST_OBJECT_UNLOCK (self);
}

/* A width the file's head does not take is impossible (-1): the base class
 * then reports it naming both widths and both elements. */
static gint
gst_seq_head_out_dim (GstSeqFrameFilter * filter, guint in_dim)
{
  guint h, k;

  get_sizes (GST_SEQ_HEAD (filter), &h, &k);
  if (in_dim != 0 && h != 0 && in_dim != h)
    return -1;
  return (gint) k;
}

static gint
gst_seq_head_in_dim (GstSeqFrameFilter * filter, guint out_dim)
{
  guint h, k;

  get_sizes (GST_SEQ_HEAD (filter), &h, &k);
  if (out_dim != 0 && out_dim != k)
    return -1;
  return (gint) h;
}

static gboolean
gst_seq_head_open (GstSeqFrameFilter * filter)
{
  GstSeqHead *self = GST_SEQ_HEAD (filter);
  gchar *path, *prefix;
  SeqHead *head;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  path = g_strdup (self->model_path);
  prefix = g_strdup (self->model_prefix);
  GST_OBJECT_UNLOCK (self);

  if (path == NULL || *path == '\0') {
    g_free (path);
    g_free (prefix);
    return TRUE;                /* built-in, made at setup for the width */
  }
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Model file \"%s\" not found.", path), (NULL));
    goto failed;
  }
  head = seq_head_new_from_file (path, prefix, &err);
  if (head == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("Cannot load the linear head from \"%s\".", path),
        ("%s", err->message));
    g_clear_error (&err);
    goto failed;
  }
  GST_INFO_OBJECT (self, "head \"%s\" from %s: %u -> %u%s",
      seq_head_get_prefix (head), path, seq_head_in_size (head),
      seq_head_out_size (head), seq_head_has_bias (head) ? "" : " (no bias)");
  GST_OBJECT_LOCK (self);
  self->head = head;
  self->from_file = TRUE;
  GST_OBJECT_UNLOCK (self);
  g_free (path);
  g_free (prefix);
  return TRUE;

failed:
  g_free (path);
  g_free (prefix);
  return FALSE;
}

static void
gst_seq_head_close (GstSeqFrameFilter * filter)
{
  GstSeqHead *self = GST_SEQ_HEAD (filter);
  SeqHead *head;

  GST_OBJECT_LOCK (self);
  head = self->head;
  self->head = NULL;
  self->from_file = FALSE;
  GST_OBJECT_UNLOCK (self);
  seq_head_unref (head);
}

static gboolean
gst_seq_head_setup (GstSeqFrameFilter * filter, guint in_dim, guint out_dim)
{
  GstSeqHead *self = GST_SEQ_HEAD (filter);
  SeqHead *head, *old = NULL;
  gboolean from_file;
  gchar *path;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  from_file = self->from_file;
  head = from_file ? seq_head_ref (self->head) : NULL;
  path = g_strdup (self->model_path);
  GST_OBJECT_UNLOCK (self);

  if (!from_file) {
    SeqHeadParams p = seq_head_params_default ();
    GST_OBJECT_LOCK (self);
    p.in_size = in_dim;
    p.out_size = self->out_size;
    p.seed = self->seed;
    GST_OBJECT_UNLOCK (self);
    head = seq_head_new_random (&p, &err);
    if (head == NULL)
      goto bad_builtin;
    GST_OBJECT_LOCK (self);
    old = self->head;
    self->head = seq_head_ref (head);
    GST_OBJECT_UNLOCK (self);
    seq_head_unref (old);
  }
  if (seq_head_in_size (head) != in_dim)
    goto wrong_width;
  if (seq_head_out_size (head) != out_dim)
    goto wrong_out;
  seq_head_unref (head);
  g_free (path);
  return TRUE;

  /* ERRORS */
bad_builtin:
  {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, (NULL),
        ("cannot build the built-in head: %s", err->message));
    g_clear_error (&err);
    g_free (path);
    return FALSE;
  }
wrong_width:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Frames of width %u do not fit the head, which takes %u.", in_dim,
            seq_head_in_size (head)),
        ("input frames have %u values, but the weight \"%sweight\" of \"%s\" "
            "is [%u, %u] (outputs, inputs)", in_dim,
            seq_head_get_prefix (head), path, seq_head_out_size (head),
            seq_head_in_size (head)));
    seq_head_unref (head);
    g_free (path);
    return FALSE;
  }
wrong_out:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("output width %u negotiated, the head gives %u", out_dim,
            seq_head_out_size (head)));
    seq_head_unref (head);
    g_free (path);
    return FALSE;
  }
}

static GstFlowReturn
gst_seq_head_process (GstSeqFrameFilter * filter, const guint8 * in,
    guint8 * out, guint frames)
{
  GstSeqHead *self = GST_SEQ_HEAD (filter);
  SeqHeadActivation act;
  SeqHead *head;

  /* the head is replaced only at setup and close, both outside streaming:
   * no reference needed here */
  GST_OBJECT_LOCK (self);
  act = self->activation;
  head = self->head;
  GST_OBJECT_UNLOCK (self);
  seq_head_forward (head, act, (const float *) in, (float *) out, frames);
  return GST_FLOW_OK;
}

/* Valid ranges (the specs admit any value so that these are errors). */
static const GstSeqPropRange head_ranges[] = {
  {"out-size", 1, SEQ_HEAD_MAX_SIZE},
  {NULL, 0, 0}
};

static void
gst_seq_head_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSeqHead *self = GST_SEQ_HEAD (object);

  if (gst_seq_refuse_unless_ready (GST_ELEMENT (object), pspec))
    return;
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model_path);
      self->model_path = g_value_dup_string (value);
      break;
    case PROP_MODEL_PREFIX:
      g_free (self->model_prefix);
      self->model_prefix = g_value_dup_string (value);
      break;
    case PROP_ACTIVATION:
      self->activation = g_value_get_enum (value);
      break;
    case PROP_OUT_SIZE:
      self->out_size = g_value_get_uint (value);
      break;
    case PROP_SEED:
      self->seed = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_seq_head_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstSeqHead *self = GST_SEQ_HEAD (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_path);
      break;
    case PROP_MODEL_PREFIX:
      g_value_set_string (value, self->model_prefix);
      break;
    case PROP_ACTIVATION:
      g_value_set_enum (value, self->activation);
      break;
    case PROP_OUT_SIZE:
      g_value_set_uint (value, self->out_size);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, self->seed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_seq_head_finalize (GObject * object)
{
  GstSeqHead *self = GST_SEQ_HEAD (object);

  seq_head_unref (self->head);
  g_free (self->model_path);
  g_free (self->model_prefix);
  G_OBJECT_CLASS (gst_seq_head_parent_class)->finalize (object);
}

static void
gst_seq_head_class_init (GstSeqHeadClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstSeqFrameFilterClass *filter_class = GST_SEQ_FRAME_FILTER_CLASS (klass);
  GParamFlags model = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  GST_DEBUG_CATEGORY_INIT (seq_head_debug, "seqhead", 0,
      "seqenc linear head");

  gobject_class->set_property = gst_seq_head_set_property;
  gobject_class->get_property = gst_seq_head_get_property;
  gobject_class->finalize = gst_seq_head_finalize;

  /**
   * GstSeqHead:model:
   *
   * Path of a .safetensors file with PyTorch nn.Linear weights
   * (`<prefix>weight` [K, H], optional `<prefix>bias` [K]); empty for the
   * built-in seeded head.
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model", "Safetensors file of nn.Linear "
          "weights (empty: built-in seeded head)", DEFAULT_MODEL, model));
  /**
   * GstSeqHead:model-prefix:
   *
   * Prefix of the tensor names, e.g. "head." for `head.weight`; empty to
   * detect it (the only rank-2 tensor whose name ends in "weight"; an error
   * lists the candidates when there are several).
   */
  g_object_class_install_property (gobject_class, PROP_MODEL_PREFIX,
      g_param_spec_string ("model-prefix", "Model prefix",
          "Prefix of the tensor names (empty: auto-detect)",
          DEFAULT_MODEL_PREFIX, model));
  /**
   * GstSeqHead:activation:
   *
   * Applied to the K outputs of each frame: `log-softmax` for
   * seqctcdecode, `softmax` for probabilities, `sigmoid` for independent
   * scores. May change while playing (from the next buffer on).
   */
  g_object_class_install_property (gobject_class, PROP_ACTIVATION,
      g_param_spec_enum ("activation", "Activation",
          "Function applied to the outputs of each frame",
          GST_TYPE_SEQ_HEAD_ACTIVATION, DEFAULT_ACTIVATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstSeqHead:out-size:
   *
   * Number of outputs K of the built-in head (ignored with `model`).
   */
  g_object_class_install_property (gobject_class, PROP_OUT_SIZE,
      g_param_spec_uint ("out-size", "Output size",
          "Outputs of the built-in head (1 to 1048576)", 0, G_MAXUINT,
          DEFAULT_OUT_SIZE, model));
  /**
   * GstSeqHead:seed:
   *
   * Seed of the built-in head's weights (ignored with `model`).
   */
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_uint64 ("seed", "Seed", "Seed of the built-in head", 0,
          G_MAXUINT64, DEFAULT_SEED, model));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Linear head", "Filter/Tensor",
      "Linear layer (PyTorch nn.Linear) with softmax, log-softmax or sigmoid "
      "over tensor frames", "seqenc developers");

  filter_class->in_type = GST_SEQ_TENSOR_TYPE_FLOAT32;
  filter_class->out_type = GST_SEQ_TENSOR_TYPE_FLOAT32;
  filter_class->prop_ranges = head_ranges;
  filter_class->open = GST_DEBUG_FUNCPTR (gst_seq_head_open);
  filter_class->close = GST_DEBUG_FUNCPTR (gst_seq_head_close);
  filter_class->out_dim = GST_DEBUG_FUNCPTR (gst_seq_head_out_dim);
  filter_class->in_dim = GST_DEBUG_FUNCPTR (gst_seq_head_in_dim);
  filter_class->setup = GST_DEBUG_FUNCPTR (gst_seq_head_setup);
  filter_class->process = GST_DEBUG_FUNCPTR (gst_seq_head_process);

  gst_type_mark_as_plugin_api (GST_TYPE_SEQ_HEAD_ACTIVATION, 0);
}

static void
gst_seq_head_init (GstSeqHead * self)
{
  self->activation = DEFAULT_ACTIVATION;
  self->out_size = DEFAULT_OUT_SIZE;
  self->seed = DEFAULT_SEED;
}
