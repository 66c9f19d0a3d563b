/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqgru: stacked GRU over tensor frames.
 *
 * SECTION:element-seqgru
 * @title: seqgru
 *
 * Consumes float32 frames (`other/tensors, types=float32, dimensions=I:T`,
 * static or flexible) and emits, for every frame, the hidden state of the
 * last layer (`output=last-layer`, width H) or of all layers concatenated
 * (`output=all-layers`, width L*H), with PyTorch `nn.GRU` semantics (gates
 * r, z, n; b_hn inside the reset product). The h of every layer carries
 * over from buffer to buffer: the output does not depend on how frames are
 * split into buffers.
 *
 * The model comes from a safetensors file (`model`, PyTorch state_dict names
 * such as `weight_ih_l0`, with an optional prefix; biases optional) or, when
 * `model` is empty, is built in: seeded PyTorch-style U(-1/sqrt(H),
 * 1/sqrt(H)) weights of `hidden-size` and `num-layers` whose input size is
 * `input-size` or, when 0, the negotiated frame width.
 *
 * FLUSH_STOP, a new STREAM_START, the `seqenc-reset` event and DISCONT
 * buffers (each selectable with `reset-on`) set h back to zero. EOS is
 * forwarded (nothing is held). PAUSED→READY forgets the state, READY→NULL
 * frees the model. With `state-location`, h is restored from that file at
 * start (a state of another model is refused) and saved there atomically at
 * EOS, at stop and every `checkpoint-interval` frames. Alone it adds no
 * latency; in a `batch-group` (shared with other seqgru elements of the
 * same model) up to `max-delay`, which the LATENCY query reports.
 * Non-finite input propagates as in PyTorch. `weights-precision` and
 * `matmul-precision` are those of seqlstm: the two elements run the same
 * kernels.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e filesrc location=README.md ! text/x-raw,format=utf8 ! \
 *     seqtokenizer ! seqembed ! seqposenc ! seqgru hidden-size=256 ! \
 *     seqnpysink location=hidden.npy
 * ]|
 */
#include "gstseqgru.h"
#include "gstseqlstm.h"
#include "gstseqencelements.h"
#include "gstseqbatchgroup.h"

#include <seqenc/batcher.h>
#include <seqenc/gru.h>

GST_DEBUG_CATEGORY_STATIC (seq_gru_debug);
#define GST_CAT_DEFAULT seq_gru_debug

#define DEFAULT_MODEL NULL
#define DEFAULT_MODEL_PREFIX NULL
#define DEFAULT_INPUT_SIZE 0
#define DEFAULT_HIDDEN_SIZE 256
#define DEFAULT_NUM_LAYERS 2
#define DEFAULT_SEED 0
#define DEFAULT_OUTPUT SEQ_LSTM_OUTPUT_LAST_LAYER
#define DEFAULT_N_THREADS 1
#define DEFAULT_PRECISION SEQ_PRECISION_F32
#define DEFAULT_MATMUL_PRECISION GST_SEQ_LSTM_MATMUL_F32
#define DEFAULT_BATCH_GROUP NULL
#define DEFAULT_MAX_BATCH 64
#define DEFAULT_MAX_DELAY 5
/* Largest sizes accepted for the built-in model: beyond these the weights
 * alone would not fit in memory. */
#define MAX_SIZE 65536
#define MAX_LAYERS 64

/* Valid ranges (the specs admit any value so that these are errors, not
 * GObject warnings that leave the default in force). */
static const GstSeqPropRange gru_ranges[] = {
  {"input-size", 0, MAX_SIZE},
  {"hidden-size", 1, MAX_SIZE},
  {"num-layers", 1, MAX_LAYERS},
  {"n-threads", 0, 1024},
  {"max-batch", 1, 4096},
  {"max-delay", 0, 10000},
  {NULL, 0, 0}
};
/* Steps per internal chunk of the workspace (longer buffers are split with
 * identical results). */
#define CHUNK_STEPS 64

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_MODEL_PREFIX,
  PROP_INPUT_SIZE,
  PROP_HIDDEN_SIZE,
  PROP_NUM_LAYERS,
  PROP_SEED,
  PROP_OUTPUT,
  PROP_N_THREADS,
  PROP_WEIGHTS_PRECISION,
  PROP_MATMUL_PRECISION,
  PROP_BATCH_GROUP,
  PROP_MAX_BATCH,
  PROP_MAX_DELAY,
};

struct _GstSeqGru
{
  GstSeqFrameFilter parent;

  /* properties, under the object lock */
  gchar *model_path;
  gchar *model_prefix;
  guint input_size;
  guint hidden_size;
  guint num_layers;
  guint64 seed;
  SeqRecurrentOutput output;
  guint n_threads;
  SeqPrecision precision;
  GstSeqLstmMatmul matmul;
  gchar *batch_group;
  guint max_batch;
  guint max_delay_ms;

  /* READY and up */
  SeqGruModel *model;          /* from the file or the built-in one */
  gboolean model_is_lazy;       /* built-in, created at setup for the width */

  /* streaming thread */
  SeqGruState *state;
  SeqGruWorkspace *ws;
  SeqRecurrentOutput cur_output;
  GstSeqBatchGroup *group;      /* when in a batch-group */
  SeqBatcherStream *stream;
};

G_DEFINE_TYPE (GstSeqGru, gst_seq_gru, GST_TYPE_SEQ_FRAME_FILTER);
GST_ELEMENT_REGISTER_DEFINE (seqgru, "seqgru", GST_RANK_NONE,
    GST_TYPE_SEQ_GRU);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_SEQ_TENSOR_CAPS_F32));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_SEQ_TENSOR_CAPS_F32));

/* The library's model parameters for the element's settings (called with
 * the object lock held). */
static SeqGruModelParams
model_params (GstSeqGru * self)
{
  SeqGruModelParams mp = seq_gru_model_params_default ();

  mp.weights_precision = self->precision;
  mp.matmul_precision = self->matmul == GST_SEQ_LSTM_MATMUL_BF16 ?
      SEQ_MATMUL_BF16 : SEQ_MATMUL_F32;
  return mp;
}

/* Width of the output for the current model or, before the built-in model
 * exists, for the properties. */
static guint
output_width (GstSeqGru * self)
{
  guint w;

  GST_OBJECT_LOCK (self);
  if (self->model != NULL)
    w = seq_gru_model_output_width (self->model, self->output);
  else
    w = self->hidden_size *
        (self->output == SEQ_LSTM_OUTPUT_ALL_LAYERS ? self->num_layers : 1);
  GST_OBJECT_UNLOCK (self);
  return w;
}

static guint
expected_input (GstSeqGru * self)
{
  guint w;

  GST_OBJECT_LOCK (self);
  w = self->model ? seq_gru_model_input_size (self->model) : self->input_size;
  GST_OBJECT_UNLOCK (self);
  return w;
}

static gint
gst_seq_gru_out_dim (GstSeqFrameFilter * filter, guint in_dim)
{
  GstSeqGru *self = GST_SEQ_GRU (filter);
  guint want = expected_input (self);

  if (in_dim != 0 && want != 0 && in_dim != want)
    return -1;
  return (gint) output_width (self);
}

static gint
gst_seq_gru_in_dim (GstSeqFrameFilter * filter, guint out_dim)
{
  GstSeqGru *self = GST_SEQ_GRU (filter);

  if (out_dim != 0 && out_dim != output_width (self))
    return -1;
  return (gint) expected_input (self);
}

static SeqGruModel *
create_builtin (GstSeqGru * self, guint input_size)
{
  SeqGruRandomParams p = seq_gru_random_params_default ();
  SeqGruModelParams mp;
  SeqGruModel *model;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  p.input_size = input_size;
  p.hidden_size = self->hidden_size;
  p.num_layers = self->num_layers;
  p.seed = self->seed;
  mp = model_params (self);
  GST_OBJECT_UNLOCK (self);

  model = seq_gru_model_new_random (&p, &mp, &err);
  if (model == NULL) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, (NULL),
        ("cannot build the built-in model: %s", err->message));
    g_clear_error (&err);
  }
  return model;
}

static gboolean
gst_seq_gru_open (GstSeqFrameFilter * filter)
{
  GstSeqGru *self = GST_SEQ_GRU (filter);
  gchar *path, *prefix;
  guint input_size;
  SeqGruModelParams mp;
  SeqGruModel *model = NULL;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  path = g_strdup (self->model_path);
  prefix = g_strdup (self->model_prefix);
  input_size = self->input_size;
  mp = model_params (self);
  GST_OBJECT_UNLOCK (self);
  mp.prefix = prefix;

  /* refused here, at NULL -> READY, even when the model is built later */
  if (!seq_gru_model_params_validate (&mp, &err)) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, (NULL), ("%s",
            err->message));
    g_clear_error (&err);
    goto failed;
  }

  /* a running batch group of that name already has the model: share it
   * (setup checks that the settings match) instead of loading it again */
  GST_OBJECT_LOCK (self);
  model = gst_seq_batch_group_ref_model (self->batch_group,
      seq_gru_recurrent ());
  GST_OBJECT_UNLOCK (self);

  if (model != NULL) {
    /* shared */
  } else if (path != NULL && *path != '\0') {
    if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("Model file \"%s\" not found.", path), (NULL));
      goto failed;
    }
    model = seq_gru_model_new_from_file (path, &mp, &err);
    if (model == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, READ,
          ("Cannot load the GRU model \"%s\".", path), ("%s", err->message));
      g_clear_error (&err);
      goto failed;
    }
    if (input_size != 0 && input_size != seq_gru_model_input_size (model)) {
      GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, (NULL),
          ("input-size=%u but the model \"%s\" takes %u", input_size, path,
              seq_gru_model_input_size (model)));
      goto failed;
    }
  } else if (input_size != 0) {
    if ((model = create_builtin (self, input_size)) == NULL)
      goto failed;
  }

  if (mp.matmul_precision == SEQ_MATMUL_BF16
      && !seq_matmul_bf16_accelerated ())
    GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
        ("matmul-precision=bf16 runs on a slow scalar reference here."),
        ("this CPU (or SEQENC_KERNELS) has neither AMX-BF16 tiles nor "
            "AVX512-BF16; matmul-precision=f32 is much faster"));

  GST_OBJECT_LOCK (self);
  self->model = model;
  self->model_is_lazy = (model == NULL);
  GST_OBJECT_UNLOCK (self);
  if (model)
    GST_INFO_OBJECT (self, "model: %u -> %u x %u layers",
        seq_gru_model_input_size (model), seq_gru_model_hidden_size (model),
        seq_gru_model_num_layers (model));
  g_free (path);
  g_free (prefix);
  return TRUE;

failed:
  g_clear_pointer (&model, seq_gru_model_unref);
  g_free (path);
  g_free (prefix);
  return FALSE;
}

static void
gst_seq_gru_close (GstSeqFrameFilter * filter)
{
  GstSeqGru *self = GST_SEQ_GRU (filter);
  SeqGruModel *model;

  GST_OBJECT_LOCK (self);
  model = self->model;
  self->model = NULL;
  GST_OBJECT_UNLOCK (self);
  g_clear_pointer (&model, seq_gru_model_unref);
}

/* What must match between the members of a batch group. */
static gchar *
group_key (GstSeqGru * self, guint in_dim)
{
  gchar *key;

  GST_OBJECT_LOCK (self);
  key = g_strdup_printf ("model=%s|prefix=%s|in=%u|H=%u|L=%u|seed=%"
      G_GUINT64_FORMAT "|precision=%d|matmul=%d|output=%d|max-batch=%u|"
      "max-delay=%u",
      self->model_path ? self->model_path : "", self->model_prefix ?
      self->model_prefix : "", in_dim, self->hidden_size, self->num_layers,
      self->seed, self->precision, self->matmul, self->output, self->max_batch,
      self->max_delay_ms);
  GST_OBJECT_UNLOCK (self);
  return key;
}

typedef struct
{
  GstSeqGru *self;
  guint in_dim;
} BuiltinArgs;

static gpointer
make_builtin (gpointer data)
{
  BuiltinArgs *a = data;

  return create_builtin (a->self, a->in_dim);
}

/* Joins (creating when first) the batch group @name with our model. On
 * success the element's model is the group's. */
static gboolean
join_group (GstSeqGru * self, const gchar * name, guint in_dim)
{
  gchar *key = group_key (self, in_dim);
  SeqBatcherParams bp = seq_batcher_params_default ();
  BuiltinArgs args = { self, in_dim };
  SeqGruModel *shared = NULL, *old;

  GST_OBJECT_LOCK (self);
  bp.max_batch = self->max_batch;
  bp.max_delay_us = (guint64) self->max_delay_ms * 1000;
  bp.n_threads = self->n_threads;
  bp.output = self->output;
  GST_OBJECT_UNLOCK (self);
  self->group = gst_seq_batch_group_join (GST_ELEMENT (self), name, key,
      seq_gru_recurrent (), &bp, self->model, make_builtin, &args,
      (gpointer *) & shared);
  g_free (key);
  if (self->group == NULL)
    return FALSE;
  GST_OBJECT_LOCK (self);
  old = self->model;
  self->model = shared;
  GST_OBJECT_UNLOCK (self);
  g_clear_pointer (&old, seq_gru_model_unref);
  return TRUE;
}

static void
leave_group (GstSeqGru * self)
{
  gst_seq_batch_group_leave (self->group, self->stream, GST_ELEMENT (self));
  self->stream = NULL;
  self->group = NULL;
}

static void
gst_seq_gru_teardown (GstSeqFrameFilter * filter)
{
  GstSeqGru *self = GST_SEQ_GRU (filter);

  leave_group (self);
  g_clear_pointer (&self->state, seq_gru_state_free);
  g_clear_pointer (&self->ws, seq_gru_workspace_free);
  if (self->model_is_lazy) {
    SeqGruModel *model;
    GST_OBJECT_LOCK (self);
    model = self->model;
    self->model = NULL;
    GST_OBJECT_UNLOCK (self);
    g_clear_pointer (&model, seq_gru_model_unref);
  }
}

static gboolean
gst_seq_gru_setup (GstSeqFrameFilter * filter, guint in_dim, guint out_dim)
{
  GstSeqGru *self = GST_SEQ_GRU (filter);
  guint n_threads;
  gchar *group;

  GST_OBJECT_LOCK (self);
  group = g_strdup (self->batch_group);
  GST_OBJECT_UNLOCK (self);
  if (group != NULL && *group != '\0' && !join_group (self, group, in_dim)) {
    g_free (group);
    return FALSE;
  }
  if (self->model == NULL) {
    SeqGruModel *model = create_builtin (self, in_dim);
    if (model == NULL)
      return FALSE;
    GST_OBJECT_LOCK (self);
    self->model = model;
    GST_OBJECT_UNLOCK (self);
  }
  if (seq_gru_model_input_size (self->model) != in_dim) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("frames of width %u, but the model takes %u", in_dim,
            seq_gru_model_input_size (self->model)));
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  self->cur_output = self->output;
  n_threads = self->n_threads;
  GST_OBJECT_UNLOCK (self);
  if (seq_gru_model_output_width (self->model, self->cur_output) != out_dim) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("output width %u negotiated, the model gives %u", out_dim,
            seq_gru_model_output_width (self->model, self->cur_output)));
    return FALSE;
  }
  if (self->group != NULL) {
    g_free (group);
    self->state = seq_gru_state_new (self->model);
    self->stream =
        seq_batcher_join (gst_seq_batch_group_get_batcher (self->group),
        self->state);
    return TRUE;
  }
  g_free (group);
  self->state = seq_gru_state_new (self->model);
  self->ws = seq_gru_workspace_new (self->model, 1, CHUNK_STEPS, n_threads);
  if (self->state == NULL || self->ws == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT, (NULL),
        ("cannot allocate the GRU state"));
    return FALSE;
  }
  return TRUE;
}

static void
gst_seq_gru_reset (GstSeqFrameFilter * filter)
{
  GstSeqGru *self = GST_SEQ_GRU (filter);

  seq_gru_state_reset (self->state);
}

static GBytes *
gst_seq_gru_save_state (GstSeqFrameFilter * filter)
{
  return seq_gru_state_save (GST_SEQ_GRU (filter)->state);
}

static gboolean
gst_seq_gru_restore_state (GstSeqFrameFilter * filter, GBytes * blob,
    GError ** error)
{
  return seq_gru_state_restore (GST_SEQ_GRU (filter)->state, blob, error);
}

static GstFlowReturn
gst_seq_gru_process (GstSeqFrameFilter * filter, const guint8 * in,
    guint8 * out, guint frames)
{
  GstSeqGru *self = GST_SEQ_GRU (filter);
  GError *err = NULL;

  if (self->stream != NULL) {
    if (!seq_batcher_forward (self->stream, (const float *) in, frames,
            (float *) out, &err)) {
      GST_ELEMENT_ERROR (self, LIBRARY, FAILED, (NULL),
          ("batch-group step failed: %s", err->message));
      g_clear_error (&err);
      return GST_FLOW_ERROR;
    }
    return GST_FLOW_OK;
  }
  seq_gru_forward (self->model, &self->state, 1, (const float *) in, frames,
      (float *) out, self->cur_output, self->ws);
  return GST_FLOW_OK;
}

/* LATENCY: a batch-group member may wait up to max-delay for its batch. */
static gboolean
gst_seq_gru_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  GstSeqGru *self = GST_SEQ_GRU (trans);
  gboolean ret = GST_BASE_TRANSFORM_CLASS (gst_seq_gru_parent_class)->query
      (trans, direction, query);

  if (ret && direction == GST_PAD_SRC
      && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gboolean live;
    GstClockTime min, max, delay = 0;

    GST_OBJECT_LOCK (self);
    if (self->batch_group != NULL && *self->batch_group != '\0')
      delay = self->max_delay_ms * GST_MSECOND;
    GST_OBJECT_UNLOCK (self);
    gst_query_parse_latency (query, &live, &min, &max);
    min += delay;
    if (GST_CLOCK_TIME_IS_VALID (max))
      max += delay;
    gst_query_set_latency (query, live, min, max);
  }
  return ret;
}

static void
gst_seq_gru_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSeqGru *self = GST_SEQ_GRU (object);

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
    case PROP_INPUT_SIZE:
      self->input_size = g_value_get_uint (value);
      break;
    case PROP_HIDDEN_SIZE:
      self->hidden_size = g_value_get_uint (value);
      break;
    case PROP_NUM_LAYERS:
      self->num_layers = g_value_get_uint (value);
      break;
    case PROP_SEED:
      self->seed = g_value_get_uint64 (value);
      break;
    case PROP_OUTPUT:
      self->output = g_value_get_enum (value);
      break;
    case PROP_N_THREADS:
      self->n_threads = g_value_get_uint (value);
      break;
    case PROP_MATMUL_PRECISION:
      self->matmul = g_value_get_enum (value);
      break;
    case PROP_WEIGHTS_PRECISION:
      self->precision = g_value_get_enum (value);
      break;
    case PROP_BATCH_GROUP:
      g_free (self->batch_group);
      self->batch_group = g_value_dup_string (value);
      break;
    case PROP_MAX_BATCH:
      self->max_batch = g_value_get_uint (value);
      break;
    case PROP_MAX_DELAY:
      self->max_delay_ms = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_seq_gru_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstSeqGru *self = GST_SEQ_GRU (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_path);
      break;
    case PROP_MODEL_PREFIX:
      g_value_set_string (value, self->model_prefix);
      break;
    case PROP_INPUT_SIZE:
      g_value_set_uint (value, self->input_size);
      break;
    case PROP_HIDDEN_SIZE:
      g_value_set_uint (value, self->hidden_size);
      break;
    case PROP_NUM_LAYERS:
      g_value_set_uint (value, self->num_layers);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, self->seed);
      break;
    case PROP_OUTPUT:
      g_value_set_enum (value, self->output);
      break;
    case PROP_N_THREADS:
      g_value_set_uint (value, self->n_threads);
      break;
    case PROP_MATMUL_PRECISION:
      g_value_set_enum (value, self->matmul);
      break;
    case PROP_WEIGHTS_PRECISION:
      g_value_set_enum (value, self->precision);
      break;
    case PROP_BATCH_GROUP:
      g_value_set_string (value, self->batch_group);
      break;
    case PROP_MAX_BATCH:
      g_value_set_uint (value, self->max_batch);
      break;
    case PROP_MAX_DELAY:
      g_value_set_uint (value, self->max_delay_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_seq_gru_finalize (GObject * object)
{
  GstSeqGru *self = GST_SEQ_GRU (object);

  g_clear_pointer (&self->state, seq_gru_state_free);
  g_clear_pointer (&self->ws, seq_gru_workspace_free);
  g_clear_pointer (&self->model, seq_gru_model_unref);
  g_free (self->model_path);
  g_free (self->model_prefix);
  g_free (self->batch_group);
  G_OBJECT_CLASS (gst_seq_gru_parent_class)->finalize (object);
}

static void
gst_seq_gru_class_init (GstSeqGruClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstSeqFrameFilterClass *filter_class = GST_SEQ_FRAME_FILTER_CLASS (klass);
  GParamFlags model = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  GST_DEBUG_CATEGORY_INIT (seq_gru_debug, "seqgru", 0, "seqenc GRU");

  gobject_class->set_property = gst_seq_gru_set_property;
  gobject_class->get_property = gst_seq_gru_get_property;
  gobject_class->finalize = gst_seq_gru_finalize;

  /**
   * GstSeqGru:model:
   *
   * Path of a .safetensors file with PyTorch nn.GRU weights; empty for the
   * built-in seeded model.
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model", "Safetensors file of nn.GRU "
          "weights (empty: built-in seeded model)", DEFAULT_MODEL, model));
  /**
   * GstSeqGru:model-prefix:
   *
   * Prefix of the tensor names in the file, e.g. "gru." or "encoder.rnn.";
   * empty to detect it (an error lists the candidates when ambiguous).
   */
  g_object_class_install_property (gobject_class, PROP_MODEL_PREFIX,
      g_param_spec_string ("model-prefix", "Model prefix",
          "Prefix of the tensor names (empty: auto-detect)",
          DEFAULT_MODEL_PREFIX, model));
  /**
   * GstSeqGru:input-size:
   *
   * Values per input frame; 0 = the negotiated width (built-in model) or
   * the model's (file). A file model of another input size is an error.
   */
  g_object_class_install_property (gobject_class, PROP_INPUT_SIZE,
      g_param_spec_uint ("input-size", "Input size",
          "Values per input frame (0: from caps or the model; at most 65536)",
          0, G_MAXUINT, DEFAULT_INPUT_SIZE, model));
  /**
   * GstSeqGru:hidden-size:
   *
   * Hidden size H of the built-in model.
   */
  g_object_class_install_property (gobject_class, PROP_HIDDEN_SIZE,
      g_param_spec_uint ("hidden-size", "Hidden size",
          "Hidden size of the built-in model (1 to 65536)", 0, G_MAXUINT,
          DEFAULT_HIDDEN_SIZE, model));
  /**
   * GstSeqGru:num-layers:
   *
   * Number of stacked layers of the built-in model.
   */
  g_object_class_install_property (gobject_class, PROP_NUM_LAYERS,
      g_param_spec_uint ("num-layers", "Layers",
          "Stacked layers of the built-in model (1 to 64)", 0, G_MAXUINT,
          DEFAULT_NUM_LAYERS, model));
  /**
   * GstSeqGru:seed:
   *
   * Seed of the built-in model's weights.
   */
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_uint64 ("seed", "Seed", "Seed of the built-in model", 0,
          G_MAXUINT64, DEFAULT_SEED, model));
  /**
   * GstSeqGru:output:
   *
   * `last-layer`: the last layer's hidden state per frame;
   * `all-layers`: every layer's, concatenated, layer 0 first.
   */
  g_object_class_install_property (gobject_class, PROP_OUTPUT,
      g_param_spec_enum ("output", "Output", "Which hidden states to emit",
          GST_TYPE_SEQ_LSTM_OUTPUT, DEFAULT_OUTPUT, model));
  /**
   * GstSeqGru:n-threads:
   *
   * Threads of the kernels (0: one per core). The output is bitwise the same
   * for any value.
   */
  g_object_class_install_property (gobject_class, PROP_N_THREADS,
      g_param_spec_uint ("n-threads", "Threads",
          "Kernel threads (0: one per core; at most 1024)", 0, G_MAXUINT,
          DEFAULT_N_THREADS, model));

  /**
   * GstSeqGru:weights-precision:
   *
   * Storage precision of the weights: `f32`, or `bf16` / `f16` (half the
   * memory traffic; weights rounded once at load, arithmetic stays f32).
   */
  g_object_class_install_property (gobject_class, PROP_WEIGHTS_PRECISION,
      g_param_spec_enum ("weights-precision", "Weights precision",
          "Storage precision of the weights (f32 arithmetic)",
          GST_TYPE_SEQ_LSTM_PRECISION, DEFAULT_PRECISION, model));
  /**
   * GstSeqGru:matmul-precision:
   *
   * Precision of the operands of the matrix products. `f32` (default):
   * exact products, outputs within 1e-5 of PyTorch. `bf16`: weights AND
   * activations rounded to bf16, products summed in f32, gate math and
   * state in f32 (PyTorch's "medium" float32 matmul precision). On CPUs
   * with AMX-BF16 the products run on AMX tiles, several times faster with
   * many streams in a batch-group; on CPUs with AVX512-BF16 only (AMD Zen
   * 4) on VDPBF16PS; elsewhere on a slow scalar reference (with a
   * warning).
   * Outputs move by about 1e-3 (measured: README). Needs weights-precision
   * f32 or bf16 (the weights are stored as bf16 either way).
   */
  g_object_class_install_property (gobject_class, PROP_MATMUL_PRECISION,
      g_param_spec_enum ("matmul-precision", "Matmul precision",
          "Operand precision of the matrix products (f32 sums)",
          GST_TYPE_SEQ_LSTM_MATMUL, DEFAULT_MATMUL_PRECISION, model));
  /**
   * GstSeqGru:batch-group:
   *
   * Name of a batch group of this process: seqgru elements naming the
   * same group (with the same model and settings) share one model and run
   * their frames in one batched step. Empty: run alone.
   */
  g_object_class_install_property (gobject_class, PROP_BATCH_GROUP,
      g_param_spec_string ("batch-group", "Batch group",
          "Share one model and batched steps with the elements of this group",
          DEFAULT_BATCH_GROUP, model));
  /**
   * GstSeqGru:max-batch:
   *
   * A batch-group step runs as soon as this many streams wait.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_BATCH,
      g_param_spec_uint ("max-batch", "Max batch",
          "Streams per batched step of a batch-group (1 to 4096)", 0,
          G_MAXUINT, DEFAULT_MAX_BATCH, model));
  /**
   * GstSeqGru:max-delay:
   *
   * Longest wait (ms) of a partial batch; also added to the LATENCY the
   * element reports in a batch-group.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_DELAY,
      g_param_spec_uint ("max-delay", "Max delay",
          "Longest wait of a partial batch, in milliseconds (at most 10000)",
          0, G_MAXUINT, DEFAULT_MAX_DELAY, model));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Stacked GRU encoder", "Filter/Tensor",
      "Runs a stateful stacked GRU (PyTorch nn.GRU semantics) over tensor "
      "frames", "seqenc developers");

  GST_BASE_TRANSFORM_CLASS (klass)->query =
      GST_DEBUG_FUNCPTR (gst_seq_gru_query);

  filter_class->in_type = GST_SEQ_TENSOR_TYPE_FLOAT32;
  filter_class->out_type = GST_SEQ_TENSOR_TYPE_FLOAT32;
  filter_class->open = GST_DEBUG_FUNCPTR (gst_seq_gru_open);
  filter_class->prop_ranges = gru_ranges;
  filter_class->close = GST_DEBUG_FUNCPTR (gst_seq_gru_close);
  filter_class->out_dim = GST_DEBUG_FUNCPTR (gst_seq_gru_out_dim);
  filter_class->in_dim = GST_DEBUG_FUNCPTR (gst_seq_gru_in_dim);
  filter_class->setup = GST_DEBUG_FUNCPTR (gst_seq_gru_setup);
  filter_class->reset = GST_DEBUG_FUNCPTR (gst_seq_gru_reset);
  filter_class->teardown = GST_DEBUG_FUNCPTR (gst_seq_gru_teardown);
  filter_class->process = GST_DEBUG_FUNCPTR (gst_seq_gru_process);
  filter_class->save_state = GST_DEBUG_FUNCPTR (gst_seq_gru_save_state);
  filter_class->restore_state = GST_DEBUG_FUNCPTR (gst_seq_gru_restore_state);

}

static void
gst_seq_gru_init (GstSeqGru * self)
{
  self->input_size = DEFAULT_INPUT_SIZE;
  self->hidden_size = DEFAULT_HIDDEN_SIZE;
  self->num_layers = DEFAULT_NUM_LAYERS;
  self->seed = DEFAULT_SEED;
  self->output = DEFAULT_OUTPUT;
  self->n_threads = DEFAULT_N_THREADS;
  self->precision = DEFAULT_PRECISION;
  self->matmul = DEFAULT_MATMUL_PRECISION;
  self->max_batch = DEFAULT_MAX_BATCH;
  self->max_delay_ms = DEFAULT_MAX_DELAY;
}
