/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — GstSeqRecurrent, base of the stacked recurrent elements.
 * See gstseqrecurrent.h. */
#include "gstseqrecurrent.h"
#include "gstseqbatchgroup.h"

#include <seqenc/batcher.h>

GST_DEBUG_CATEGORY_STATIC (gst_seq_recurrent_debug);
#define GST_CAT_DEFAULT gst_seq_recurrent_debug

#define DEFAULT_MODEL NULL
#define DEFAULT_MODEL_PREFIX NULL
#define DEFAULT_INPUT_SIZE 0
#define DEFAULT_HIDDEN_SIZE 256
#define DEFAULT_NUM_LAYERS 2
#define DEFAULT_SEED 0
#define DEFAULT_OUTPUT SEQ_RECURRENT_OUTPUT_LAST_LAYER
#define DEFAULT_N_THREADS 0     /* automatic: see the property */
#define DEFAULT_PRECISION GST_SEQ_PRECISION_F32
#define DEFAULT_MATMUL_PRECISION GST_SEQ_MATMUL_PRECISION_F32
#define DEFAULT_BATCH_GROUP NULL
#define DEFAULT_MAX_BATCH 64
#define DEFAULT_MAX_DELAY 5
/* Largest sizes accepted for the built-in model: beyond these the weights
 * alone would not fit in memory. */
#define MAX_SIZE 65536
#define MAX_LAYERS 64

/* Valid ranges (the specs admit any value so that these are errors, not
 * GObject warnings that leave the default in force). */
static const GstSeqPropRange recurrent_ranges[] = {
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

typedef struct
{
  /* properties, under the object lock */
  gchar *model_path;
  gchar *model_prefix;
  guint input_size;
  guint hidden_size;
  guint num_layers;
  guint64 seed;
  SeqRecurrentOutput output;
  guint n_threads;
  GstSeqPrecision precision;
  GstSeqMatmulPrecision matmul;
  gchar *batch_group;
  guint max_batch;
  guint max_delay_ms;

  /* READY and up; the pointer under the object lock */
  gpointer model;               /* from the file or the built-in one */
  gboolean model_is_lazy;       /* built-in, created at setup for the width */

  /* streaming thread */
  gpointer state;
  gpointer ws;
  SeqRecurrentOutput cur_output;
  GstSeqBatchGroup *group;      /* when in a batch-group */
  SeqBatcherStream *stream;
} GstSeqRecurrentPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (GstSeqRecurrent, gst_seq_recurrent,
    GST_TYPE_SEQ_FRAME_FILTER, G_ADD_PRIVATE (GstSeqRecurrent)
    GST_DEBUG_CATEGORY_INIT (gst_seq_recurrent_debug, "seqrecurrent", 0,
        "seqenc recurrent element base"));

#define PRIV(self) \
  ((GstSeqRecurrentPrivate *) gst_seq_recurrent_get_instance_private ( \
      GST_SEQ_RECURRENT (self)))
#define IFACE(self) (GST_SEQ_RECURRENT_GET_CLASS (self)->iface)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_SEQ_TENSOR_CAPS_F32));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_SEQ_TENSOR_CAPS_F32));

GType
gst_seq_recurrent_output_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {SEQ_RECURRENT_OUTPUT_LAST_LAYER, "Hidden state of the last layer",
        "last-layer"},
    {SEQ_RECURRENT_OUTPUT_ALL_LAYERS,
        "Hidden states of all layers, layer 0 first", "all-layers"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstSeqRecurrentOutput", values));
  return type;
}

GType
gst_seq_precision_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_SEQ_PRECISION_F32, "32-bit float weights", "f32"},
    {GST_SEQ_PRECISION_BF16, "bfloat16 weights, f32 arithmetic", "bf16"},
    {GST_SEQ_PRECISION_F16, "IEEE half weights, f32 arithmetic", "f16"},
    {GST_SEQ_PRECISION_INT8, "int8 weights and activations, int32 sums",
        "int8"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstSeqPrecision",
            values));
  return type;
}

GType
gst_seq_matmul_precision_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_SEQ_MATMUL_PRECISION_F32, "f32 operands (exact products)", "f32"},
    {GST_SEQ_MATMUL_PRECISION_BF16,
        "bf16 operands, f32 sums (AMX tiles where the CPU has them)", "bf16"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstSeqMatmulPrecision", values));
  return type;
}

/* The model settings for the properties (called with the object lock held;
 * the prefix is the caller's to copy). The one place where the precision
 * GEnums map to the library's SeqPrecision / SeqMatmulPrecision: a new
 * value is one case here. */
static GstSeqRecurrentModelSettings
model_settings (GstSeqRecurrentPrivate * priv)
{
  GstSeqRecurrentModelSettings s = { NULL, };

  switch (priv->precision) {
    case GST_SEQ_PRECISION_BF16:
      s.weights_precision = SEQ_PRECISION_BF16;
      break;
    case GST_SEQ_PRECISION_F16:
      s.weights_precision = SEQ_PRECISION_F16;
      break;
    case GST_SEQ_PRECISION_INT8:
      s.weights_precision = SEQ_PRECISION_INT8;
      break;
    case GST_SEQ_PRECISION_F32:
    default:
      s.weights_precision = SEQ_PRECISION_F32;
      break;
  }
  switch (priv->matmul) {
    case GST_SEQ_MATMUL_PRECISION_BF16:
      s.matmul_precision = SEQ_MATMUL_BF16;
      break;
    case GST_SEQ_MATMUL_PRECISION_F32:
    default:
      s.matmul_precision = SEQ_MATMUL_F32;
      break;
  }
  s.input_size = priv->input_size;
  s.hidden_size = priv->hidden_size;
  s.num_layers = priv->num_layers;
  s.seed = priv->seed;
  return s;
}

/* Replaces the model (under the object lock) and drops the old one. */
static void
set_model (GstSeqRecurrent * self, gpointer model)
{
  GstSeqRecurrentPrivate *priv = PRIV (self);
  gpointer old;

  GST_OBJECT_LOCK (self);
  old = priv->model;
  priv->model = model;
  GST_OBJECT_UNLOCK (self);
  if (old != NULL)
    IFACE (self)->model_unref (old);
}

/* Width of the output for the current model or, before the built-in model
 * exists, for the properties. */
static guint
output_width (GstSeqRecurrent * self)
{
  GstSeqRecurrentPrivate *priv = PRIV (self);
  guint w;

  GST_OBJECT_LOCK (self);
  if (priv->model != NULL)
    w = IFACE (self)->output_width (priv->model, priv->output);
  else
    w = priv->hidden_size *
        (priv->output == SEQ_RECURRENT_OUTPUT_ALL_LAYERS ? priv->num_layers :
        1);
  GST_OBJECT_UNLOCK (self);
  return w;
}

static guint
expected_input (GstSeqRecurrent * self)
{
  GstSeqRecurrentPrivate *priv = PRIV (self);
  guint w;

  GST_OBJECT_LOCK (self);
  w = priv->model ? IFACE (self)->input_size (priv->model) : priv->input_size;
  GST_OBJECT_UNLOCK (self);
  return w;
}

static gint
gst_seq_recurrent_out_dim (GstSeqFrameFilter * filter, guint in_dim)
{
  GstSeqRecurrent *self = GST_SEQ_RECURRENT (filter);
  guint want = expected_input (self);

  if (in_dim != 0 && want != 0 && in_dim != want)
    return -1;
  return (gint) output_width (self);
}

static gint
gst_seq_recurrent_in_dim (GstSeqFrameFilter * filter, guint out_dim)
{
  GstSeqRecurrent *self = GST_SEQ_RECURRENT (filter);

  if (out_dim != 0 && out_dim != output_width (self))
    return -1;
  return (gint) expected_input (self);
}

static gpointer
create_builtin (GstSeqRecurrent * self, guint input_size)
{
  GstSeqRecurrentClass *klass = GST_SEQ_RECURRENT_GET_CLASS (self);
  GstSeqRecurrentModelSettings s;
  gpointer model;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  s = model_settings (PRIV (self));
  GST_OBJECT_UNLOCK (self);
  s.input_size = input_size;

  model = klass->new_random (&s, &err);
  if (model == NULL) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, (NULL),
        ("cannot build the built-in model: %s", err->message));
    g_clear_error (&err);
  }
  return model;
}

static gboolean
gst_seq_recurrent_open (GstSeqFrameFilter * filter)
{
  GstSeqRecurrent *self = GST_SEQ_RECURRENT (filter);
  GstSeqRecurrentClass *klass = GST_SEQ_RECURRENT_GET_CLASS (self);
  GstSeqRecurrentPrivate *priv = PRIV (self);
  const SeqRecurrentIface *iface = klass->iface;
  gchar *path, *prefix;
  GstSeqRecurrentModelSettings s;
  gpointer model = NULL;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  path = g_strdup (priv->model_path);
  prefix = g_strdup (priv->model_prefix);
  s = model_settings (priv);
  GST_OBJECT_UNLOCK (self);
  s.prefix = prefix;

  /* refused here, at NULL -> READY, even when the model is built later */
  if (!klass->validate (&s, &err)) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, (NULL), ("%s",
            err->message));
    g_clear_error (&err);
    goto failed;
  }

  /* a running batch group of that name already has the model: share it
   * (setup checks that the settings match) instead of loading it again */
  GST_OBJECT_LOCK (self);
  model = gst_seq_batch_group_ref_model (priv->batch_group, iface);
  GST_OBJECT_UNLOCK (self);

  if (model != NULL) {
    /* shared */
  } else if (path != NULL && *path != '\0') {
    if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("Model file \"%s\" not found.", path), (NULL));
      goto failed;
    }
    model = klass->new_from_file (path, &s, &err);
    if (model == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, READ,
          ("Cannot load the %s model \"%s\".", klass->cell_name, path),
          ("%s", err->message));
      g_clear_error (&err);
      goto failed;
    }
    if (s.input_size != 0 && s.input_size != iface->input_size (model)) {
      GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, (NULL),
          ("input-size=%u but the model \"%s\" takes %u", s.input_size, path,
              iface->input_size (model)));
      goto failed;
    }
  } else if (s.input_size != 0) {
    if ((model = create_builtin (self, s.input_size)) == NULL)
      goto failed;
  }

  if (s.matmul_precision == SEQ_MATMUL_BF16 && !seq_matmul_bf16_accelerated ())
    GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
        ("matmul-precision=bf16 runs on a slow scalar reference here."),
        ("this CPU (or SEQENC_KERNELS) has neither AMX-BF16 tiles nor "
            "AVX512-BF16; matmul-precision=f32 is much faster"));
  if (s.weights_precision == SEQ_PRECISION_INT8 && !seq_int8_accelerated ())
    GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
        ("weights-precision=int8 runs on a slow scalar reference here."),
        ("this CPU (or SEQENC_KERNELS) has neither VNNI dot products nor "
            "AVX2; weights-precision=f32 or bf16 is much faster"));

  GST_OBJECT_LOCK (self);
  priv->model = model;
  priv->model_is_lazy = (model == NULL);
  GST_OBJECT_UNLOCK (self);
  if (model)
    GST_INFO_OBJECT (self, "%s model: %u -> %u (last layer)",
        klass->cell_name, iface->input_size (model),
        iface->output_width (model, SEQ_RECURRENT_OUTPUT_LAST_LAYER));
  g_free (path);
  g_free (prefix);
  return TRUE;

failed:
  if (model != NULL)
    iface->model_unref (model);
  g_free (path);
  g_free (prefix);
  return FALSE;
}

static void
gst_seq_recurrent_close (GstSeqFrameFilter * filter)
{
  set_model (GST_SEQ_RECURRENT (filter), NULL);
}

/* What must match between the members of a batch group. */
static gchar *
group_key (GstSeqRecurrent * self, guint in_dim)
{
  GstSeqRecurrentPrivate *priv = PRIV (self);
  gchar *key;

  GST_OBJECT_LOCK (self);
  key = g_strdup_printf ("model=%s|prefix=%s|in=%u|H=%u|L=%u|seed=%"
      G_GUINT64_FORMAT "|precision=%d|matmul=%d|output=%d|max-batch=%u|"
      "max-delay=%u",
      priv->model_path ? priv->model_path : "", priv->model_prefix ?
      priv->model_prefix : "", in_dim, priv->hidden_size, priv->num_layers,
      priv->seed, priv->precision, priv->matmul, priv->output,
      priv->max_batch, priv->max_delay_ms);
  GST_OBJECT_UNLOCK (self);
  return key;
}

typedef struct
{
  GstSeqRecurrent *self;
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
join_group (GstSeqRecurrent * self, const gchar * name, guint in_dim)
{
  GstSeqRecurrentPrivate *priv = PRIV (self);
  gchar *key = group_key (self, in_dim);
  SeqBatcherParams bp = seq_batcher_params_default ();
  BuiltinArgs args = { self, in_dim };
  gpointer shared = NULL;

  GST_OBJECT_LOCK (self);
  bp.max_batch = priv->max_batch;
  bp.max_delay_us = (guint64) priv->max_delay_ms * 1000;
  bp.n_threads = priv->n_threads;
  bp.output = priv->output;
  GST_OBJECT_UNLOCK (self);
  priv->group = gst_seq_batch_group_join (GST_ELEMENT (self), name, key,
      IFACE (self), &bp, priv->model, make_builtin, &args, &shared);
  g_free (key);
  if (priv->group == NULL)
    return FALSE;
  set_model (self, shared);
  return TRUE;
}

static void
leave_group (GstSeqRecurrent * self)
{
  GstSeqRecurrentPrivate *priv = PRIV (self);

  gst_seq_batch_group_leave (priv->group, priv->stream, GST_ELEMENT (self));
  priv->stream = NULL;
  priv->group = NULL;
}

/* Frees the per-stream state and workspace. */
static void
free_stream (GstSeqRecurrent * self)
{
  GstSeqRecurrentPrivate *priv = PRIV (self);

  if (priv->state != NULL)
    GST_SEQ_RECURRENT_GET_CLASS (self)->state_free (priv->state);
  if (priv->ws != NULL)
    IFACE (self)->workspace_free (priv->ws);
  priv->state = NULL;
  priv->ws = NULL;
}

static void
gst_seq_recurrent_teardown (GstSeqFrameFilter * filter)
{
  GstSeqRecurrent *self = GST_SEQ_RECURRENT (filter);

  leave_group (self);
  free_stream (self);
  if (PRIV (self)->model_is_lazy)
    set_model (self, NULL);
}

static gboolean
gst_seq_recurrent_setup (GstSeqFrameFilter * filter, guint in_dim,
    guint out_dim)
{
  GstSeqRecurrent *self = GST_SEQ_RECURRENT (filter);
  GstSeqRecurrentClass *klass = GST_SEQ_RECURRENT_GET_CLASS (self);
  GstSeqRecurrentPrivate *priv = PRIV (self);
  const SeqRecurrentIface *iface = klass->iface;
  guint n_threads;
  gchar *group;
  gboolean joined;

  GST_OBJECT_LOCK (self);
  group = g_strdup (priv->batch_group);
  GST_OBJECT_UNLOCK (self);
  joined = group == NULL || *group == '\0' || join_group (self, group, in_dim);
  g_free (group);
  if (!joined)
    return FALSE;
  if (priv->model == NULL) {
    gpointer model = create_builtin (self, in_dim);
    if (model == NULL)
      return FALSE;
    set_model (self, model);
  }
  if (iface->input_size (priv->model) != in_dim) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("frames of width %u, but the model takes %u", in_dim,
            iface->input_size (priv->model)));
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  priv->cur_output = priv->output;
  n_threads = priv->n_threads;
  GST_OBJECT_UNLOCK (self);
  if (iface->output_width (priv->model, priv->cur_output) != out_dim) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("output width %u negotiated, the model gives %u", out_dim,
            iface->output_width (priv->model, priv->cur_output)));
    return FALSE;
  }
  priv->state = klass->state_new (priv->model);
  if (priv->group != NULL) {
    priv->stream =
        seq_batcher_join (gst_seq_batch_group_get_batcher (priv->group),
        priv->state);
    return TRUE;
  }
  /* alone, automatic is one thread: a buffer's job is small and comes
   * once per buffer, so a second thread mostly waits to be woken (README,
   * "Threads": measured) */
  priv->ws = iface->workspace_new (priv->model, 1, CHUNK_STEPS,
      n_threads == 0 ? 1 : n_threads);
  GST_DEBUG_OBJECT (self, "running alone on %u kernel threads",
      n_threads == 0 ? 1 : n_threads);
  if (priv->state == NULL || priv->ws == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT, (NULL),
        ("cannot allocate the %s state", klass->cell_name));
    return FALSE;
  }
  return TRUE;
}

/* In a batch-group the batcher keeps h and c while we are a member (see
 * batcher.h, "Resident states"): the state object is synced before it is
 * read and loaded back after it is changed. These run in the streaming
 * thread or with it stopped, never during our forward call. */
static void
gst_seq_recurrent_reset (GstSeqFrameFilter * filter)
{
  GstSeqRecurrentPrivate *priv = PRIV (filter);

  GST_SEQ_RECURRENT_GET_CLASS (filter)->state_reset (priv->state);
  if (priv->stream != NULL)
    seq_batcher_stream_load_state (priv->stream);
}

static GBytes *
gst_seq_recurrent_save_state (GstSeqFrameFilter * filter)
{
  GstSeqRecurrentPrivate *priv = PRIV (filter);

  if (priv->stream != NULL)
    seq_batcher_stream_sync_state (priv->stream);
  return GST_SEQ_RECURRENT_GET_CLASS (filter)->state_save (priv->state);
}

static gboolean
gst_seq_recurrent_restore_state (GstSeqFrameFilter * filter, GBytes * blob,
    GError ** error)
{
  GstSeqRecurrentPrivate *priv = PRIV (filter);
  gboolean ok;

  /* a refused blob leaves the state as it was: synced first, so that
   * loading it back is right either way */
  if (priv->stream != NULL)
    seq_batcher_stream_sync_state (priv->stream);
  ok = GST_SEQ_RECURRENT_GET_CLASS (filter)->state_restore (priv->state,
      blob, error);
  if (priv->stream != NULL)
    seq_batcher_stream_load_state (priv->stream);
  return ok;
}

static GstFlowReturn
gst_seq_recurrent_process (GstSeqFrameFilter * filter, const guint8 * in,
    guint8 * out, guint frames)
{
  GstSeqRecurrentPrivate *priv = PRIV (filter);
  GError *err = NULL;

  if (priv->stream != NULL) {
    if (!seq_batcher_forward (priv->stream, (const float *) in, frames,
            (float *) out, &err)) {
      GST_ELEMENT_ERROR (filter, LIBRARY, FAILED, (NULL),
          ("batch-group step failed: %s", err->message));
      g_clear_error (&err);
      return GST_FLOW_ERROR;
    }
    return GST_FLOW_OK;
  }
  IFACE (filter)->forward (priv->model, &priv->state, 1, (const float *) in,
      frames, (float *) out, priv->cur_output, priv->ws);
  return GST_FLOW_OK;
}

/* LATENCY: a batch-group member may wait up to max-delay for its batch. */
static gboolean
gst_seq_recurrent_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  GstSeqRecurrentPrivate *priv = PRIV (trans);
  gboolean ret =
      GST_BASE_TRANSFORM_CLASS (gst_seq_recurrent_parent_class)->query (trans,
      direction, query);

  if (ret && direction == GST_PAD_SRC
      && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gboolean live;
    GstClockTime min, max, delay = 0;

    GST_OBJECT_LOCK (trans);
    if (priv->batch_group != NULL && *priv->batch_group != '\0')
      delay = priv->max_delay_ms * GST_MSECOND;
    GST_OBJECT_UNLOCK (trans);
    gst_query_parse_latency (query, &live, &min, &max);
    min += delay;
    if (GST_CLOCK_TIME_IS_VALID (max))
      max += delay;
    gst_query_set_latency (query, live, min, max);
  }
  return ret;
}

static void
gst_seq_recurrent_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSeqRecurrentPrivate *priv = PRIV (object);

  if (gst_seq_refuse_unless_ready (GST_ELEMENT (object), pspec))
    return;
  GST_OBJECT_LOCK (object);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (priv->model_path);
      priv->model_path = g_value_dup_string (value);
      break;
    case PROP_MODEL_PREFIX:
      g_free (priv->model_prefix);
      priv->model_prefix = g_value_dup_string (value);
      break;
    case PROP_INPUT_SIZE:
      priv->input_size = g_value_get_uint (value);
      break;
    case PROP_HIDDEN_SIZE:
      priv->hidden_size = g_value_get_uint (value);
      break;
    case PROP_NUM_LAYERS:
      priv->num_layers = g_value_get_uint (value);
      break;
    case PROP_SEED:
      priv->seed = g_value_get_uint64 (value);
      break;
    case PROP_OUTPUT:
      priv->output = g_value_get_enum (value);
      break;
    case PROP_N_THREADS:
      priv->n_threads = g_value_get_uint (value);
      break;
    case PROP_MATMUL_PRECISION:
      priv->matmul = g_value_get_enum (value);
      break;
    case PROP_WEIGHTS_PRECISION:
      priv->precision = g_value_get_enum (value);
      break;
    case PROP_BATCH_GROUP:
      g_free (priv->batch_group);
      priv->batch_group = g_value_dup_string (value);
      break;
    case PROP_MAX_BATCH:
      priv->max_batch = g_value_get_uint (value);
      break;
    case PROP_MAX_DELAY:
      priv->max_delay_ms = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (object);
}

static void
gst_seq_recurrent_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstSeqRecurrentPrivate *priv = PRIV (object);

  GST_OBJECT_LOCK (object);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, priv->model_path);
      break;
    case PROP_MODEL_PREFIX:
      g_value_set_string (value, priv->model_prefix);
      break;
    case PROP_INPUT_SIZE:
      g_value_set_uint (value, priv->input_size);
      break;
    case PROP_HIDDEN_SIZE:
      g_value_set_uint (value, priv->hidden_size);
      break;
    case PROP_NUM_LAYERS:
      g_value_set_uint (value, priv->num_layers);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, priv->seed);
      break;
    case PROP_OUTPUT:
      g_value_set_enum (value, priv->output);
      break;
    case PROP_N_THREADS:
      g_value_set_uint (value, priv->n_threads);
      break;
    case PROP_MATMUL_PRECISION:
      g_value_set_enum (value, priv->matmul);
      break;
    case PROP_WEIGHTS_PRECISION:
      g_value_set_enum (value, priv->precision);
      break;
    case PROP_BATCH_GROUP:
      g_value_set_string (value, priv->batch_group);
      break;
    case PROP_MAX_BATCH:
      g_value_set_uint (value, priv->max_batch);
      break;
    case PROP_MAX_DELAY:
      g_value_set_uint (value, priv->max_delay_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (object);
}

static void
gst_seq_recurrent_finalize (GObject * object)
{
  GstSeqRecurrent *self = GST_SEQ_RECURRENT (object);
  GstSeqRecurrentPrivate *priv = PRIV (self);

  free_stream (self);
  set_model (self, NULL);
  g_free (priv->model_path);
  g_free (priv->model_prefix);
  g_free (priv->batch_group);
  G_OBJECT_CLASS (gst_seq_recurrent_parent_class)->finalize (object);
}

void
gst_seq_recurrent_class_install_properties (GstSeqRecurrentClass * klass,
    const gchar * torch_name)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GParamFlags model = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;
  gchar *blurb;

  /* GObject dispatches a property to the class that installed it, and does
   * not inherit set/get_property: the subclass's are the base's */
  gobject_class->set_property = gst_seq_recurrent_set_property;
  gobject_class->get_property = gst_seq_recurrent_get_property;

  /**
   * GstSeqRecurrent:model:
   *
   * Path of a .safetensors file with PyTorch weights of the cell (nn.LSTM,
   * nn.GRU); empty for the built-in seeded model.
   */
  blurb = g_strdup_printf ("Safetensors file of %s weights (empty: built-in "
      "seeded model)", torch_name);
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model", blurb, DEFAULT_MODEL,
          (model & ~G_PARAM_STATIC_BLURB)));
  g_free (blurb);
  /**
   * GstSeqRecurrent:model-prefix:
   *
   * Prefix of the tensor names in the file, e.g. "lstm." or "encoder.rnn.";
   * empty to detect it (an error lists the candidates when ambiguous).
   */
  g_object_class_install_property (gobject_class, PROP_MODEL_PREFIX,
      g_param_spec_string ("model-prefix", "Model prefix",
          "Prefix of the tensor names (empty: auto-detect)",
          DEFAULT_MODEL_PREFIX, model));
  /**
   * GstSeqRecurrent:input-size:
   *
   * Values per input frame; 0 = the negotiated width (built-in model) or
   * the model's (file). A file model of another input size is an error.
   */
  g_object_class_install_property (gobject_class, PROP_INPUT_SIZE,
      g_param_spec_uint ("input-size", "Input size",
          "Values per input frame (0: from caps or the model; at most 65536)",
          0, G_MAXUINT, DEFAULT_INPUT_SIZE, model));
  /**
   * GstSeqRecurrent:hidden-size:
   *
   * Hidden size H of the built-in model.
   */
  g_object_class_install_property (gobject_class, PROP_HIDDEN_SIZE,
      g_param_spec_uint ("hidden-size", "Hidden size",
          "Hidden size of the built-in model (1 to 65536)", 0, G_MAXUINT,
          DEFAULT_HIDDEN_SIZE, model));
  /**
   * GstSeqRecurrent:num-layers:
   *
   * Number of stacked layers of the built-in model.
   */
  g_object_class_install_property (gobject_class, PROP_NUM_LAYERS,
      g_param_spec_uint ("num-layers", "Layers",
          "Stacked layers of the built-in model (1 to 64)", 0, G_MAXUINT,
          DEFAULT_NUM_LAYERS, model));
  /**
   * GstSeqRecurrent:seed:
   *
   * Seed of the built-in model's weights.
   */
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_uint64 ("seed", "Seed", "Seed of the built-in model", 0,
          G_MAXUINT64, DEFAULT_SEED, model));
  /**
   * GstSeqRecurrent:output:
   *
   * `last-layer`: the last layer's hidden state per frame;
   * `all-layers`: every layer's, concatenated, layer 0 first.
   */
  g_object_class_install_property (gobject_class, PROP_OUTPUT,
      g_param_spec_enum ("output", "Output", "Which hidden states to emit",
          GST_TYPE_SEQ_RECURRENT_OUTPUT, DEFAULT_OUTPUT, model));
  /**
   * GstSeqRecurrent:n-threads:
   *
   * Threads of the kernels. 0 (default) is automatic: one thread for an
   * element alone, one per core for a `batch-group` (OMP_NUM_THREADS when
   * SEQENC_THREADS=openmp runs the kernels), as measured on a 2-core Zen 4
   * (README, "Threads"): alone, with 10 ms buffers, one thread had the
   * lower median latency and 1.45x the frames/s of two; a batch-group of 96
   * live streams ran 1.3x the frames/s on two. The output is bitwise the
   * same for any value.
   */
  g_object_class_install_property (gobject_class, PROP_N_THREADS,
      g_param_spec_uint ("n-threads", "Threads",
          "Kernel threads (0: automatic, 1 alone and one per core in a batch-group; at most 1024)", 0, G_MAXUINT,
          DEFAULT_N_THREADS, model));
  /**
   * GstSeqRecurrent:weights-precision:
   *
   * Storage precision of the weights: `f32`, or `bf16` / `f16` (half the
   * memory traffic; weights rounded once at load, arithmetic stays f32), or
   * `int8`: PyTorch-style dynamic quantization (one symmetric scale per
   * weight row, each input and h row quantized at run time, exact int32
   * sums on AVX512-VNNI / AVX-VNNI / AVX2; gate math and state in f32),
   * a quarter of the f32 bytes; outputs move by about 1 % RMS (README).
   */
  g_object_class_install_property (gobject_class, PROP_WEIGHTS_PRECISION,
      g_param_spec_enum ("weights-precision", "Weights precision",
          "Storage precision of the weights (f32 arithmetic)",
          GST_TYPE_SEQ_PRECISION, DEFAULT_PRECISION, model));
  /**
   * GstSeqRecurrent:matmul-precision:
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
          GST_TYPE_SEQ_MATMUL_PRECISION, DEFAULT_MATMUL_PRECISION, model));
  /**
   * GstSeqRecurrent:batch-group:
   *
   * Name of a batch group of this process: elements of the same cell naming
   * the same group (with the same model and settings) share one model and
   * run their frames in one batched step. Empty: run alone.
   */
  g_object_class_install_property (gobject_class, PROP_BATCH_GROUP,
      g_param_spec_string ("batch-group", "Batch group",
          "Share one model and batched steps with the elements of this group",
          DEFAULT_BATCH_GROUP, model));
  /**
   * GstSeqRecurrent:max-batch:
   *
   * A batch-group step runs as soon as this many streams wait.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_BATCH,
      g_param_spec_uint ("max-batch", "Max batch",
          "Streams per batched step of a batch-group (1 to 4096)", 0,
          G_MAXUINT, DEFAULT_MAX_BATCH, model));
  /**
   * GstSeqRecurrent:max-delay:
   *
   * Longest wait (ms) of a partial batch; also added to the LATENCY the
   * element reports in a batch-group.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_DELAY,
      g_param_spec_uint ("max-delay", "Max delay",
          "Longest wait of a partial batch, in milliseconds (at most 10000)",
          0, G_MAXUINT, DEFAULT_MAX_DELAY, model));
}

static void
gst_seq_recurrent_class_init (GstSeqRecurrentClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstSeqFrameFilterClass *filter_class = GST_SEQ_FRAME_FILTER_CLASS (klass);

  gobject_class->finalize = gst_seq_recurrent_finalize;

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  GST_BASE_TRANSFORM_CLASS (klass)->query =
      GST_DEBUG_FUNCPTR (gst_seq_recurrent_query);

  filter_class->in_type = GST_SEQ_TENSOR_TYPE_FLOAT32;
  filter_class->out_type = GST_SEQ_TENSOR_TYPE_FLOAT32;
  filter_class->prop_ranges = recurrent_ranges;
  filter_class->open = GST_DEBUG_FUNCPTR (gst_seq_recurrent_open);
  filter_class->close = GST_DEBUG_FUNCPTR (gst_seq_recurrent_close);
  filter_class->out_dim = GST_DEBUG_FUNCPTR (gst_seq_recurrent_out_dim);
  filter_class->in_dim = GST_DEBUG_FUNCPTR (gst_seq_recurrent_in_dim);
  filter_class->setup = GST_DEBUG_FUNCPTR (gst_seq_recurrent_setup);
  filter_class->reset = GST_DEBUG_FUNCPTR (gst_seq_recurrent_reset);
  filter_class->teardown = GST_DEBUG_FUNCPTR (gst_seq_recurrent_teardown);
  filter_class->process = GST_DEBUG_FUNCPTR (gst_seq_recurrent_process);
  filter_class->save_state = GST_DEBUG_FUNCPTR (gst_seq_recurrent_save_state);
  filter_class->restore_state =
      GST_DEBUG_FUNCPTR (gst_seq_recurrent_restore_state);

  gst_type_mark_as_plugin_api (GST_TYPE_SEQ_RECURRENT_OUTPUT, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_SEQ_PRECISION, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_SEQ_MATMUL_PRECISION, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_SEQ_RECURRENT, 0);
}

static void
gst_seq_recurrent_init (GstSeqRecurrent * self)
{
  GstSeqRecurrentPrivate *priv = PRIV (self);

  priv->input_size = DEFAULT_INPUT_SIZE;
  priv->hidden_size = DEFAULT_HIDDEN_SIZE;
  priv->num_layers = DEFAULT_NUM_LAYERS;
  priv->seed = DEFAULT_SEED;
  priv->output = DEFAULT_OUTPUT;
  priv->n_threads = DEFAULT_N_THREADS;
  priv->precision = DEFAULT_PRECISION;
  priv->matmul = DEFAULT_MATMUL_PRECISION;
  priv->max_batch = DEFAULT_MAX_BATCH;
  priv->max_delay_ms = DEFAULT_MAX_DELAY;
}
