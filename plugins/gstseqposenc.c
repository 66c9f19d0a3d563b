/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqposenc: running positional encoding, sinusoidal or
 * learned.
 *
 * SECTION:element-seqposenc
 * @title: seqposenc
 *
 * Consumes float32 tensor frames (`other/tensors, types=float32,
 * dimensions=D:T`, static or flexible) and produces frames of the same T, with
 * the Transformer's sinusoidal positional encoding added to every frame
 * (`mode=add`, width D) or appended after it (`mode=concat`, width D+pe-dim).
 * The position starts at `start` and keeps running across buffers: one per
 * frame. The angle is computed in double from a 64-bit position, so position
 * 10^9 is as exact as position 10.
 *
 * `mode=learned` adds, and `mode=learned-concat` appends, row p of a learned
 * position table instead: a `[max_len, d]` tensor of the safetensors file
 * `table`, such as BERT's `position_embeddings.weight` or a PyTorch
 * `nn.Embedding(max_len, d)` weight (`table-name` picks the tensor; empty
 * finds it). The position runs on across buffers in the same way. Past the
 * last row, `past-end=error` (default) posts a STREAM FORMAT error naming
 * the position, `past-end=wrap` continues with row p mod max_len. A missing
 * table file is a RESOURCE NOT_FOUND error, a malformed one RESOURCE READ,
 * both at NULL→READY; with `mode=learned` the frames must be d wide (a
 * negotiation error otherwise).
 *
 * FLUSH_STOP, a new STREAM_START, the `seqenc-reset` event and DISCONT
 * buffers (each selectable with `reset-on`) set the position back to `start`.
 * EOS is forwarded (nothing is held). PAUSED→READY forgets the position.
 * With `state-location`, the position is restored from that file at start
 * and saved there at EOS, at stop and every `checkpoint-interval` frames.
 * Adds no latency.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -e filesrc location=README.md ! text/x-raw,format=utf8 ! \
 *     seqtokenizer ! seqembed dim=64 ! seqposenc scale=8 ! \
 *     seqnpysink location=pe.npy
 * ]|
 * |[
 * gst-launch-1.0 -e filesrc location=README.md ! text/x-raw,format=utf8 ! \
 *     seqtokenizer ! seqembed dim=16 ! \
 *     seqposenc mode=learned table=tests/data/posenc_learned.safetensors \
 *     past-end=wrap ! seqnpysink location=pe.npy
 * ]|
 */
#include "gstseqposenc.h"
#include "gstseqframefilter.h"
#include "gstseqencelements.h"

#include <seqenc/posenc.h>

GST_DEBUG_CATEGORY_STATIC (seq_posenc_debug);
#define GST_CAT_DEFAULT seq_posenc_debug

#define DEFAULT_MODE GST_SEQ_POSENC_MODE_ADD
#define DEFAULT_PE_DIM 64
#define DEFAULT_LAYOUT SEQ_POSENC_LAYOUT_INTERLEAVED
#define DEFAULT_BASE 10000.0
#define DEFAULT_SCALE 1.0f
#define DEFAULT_START 0
#define DEFAULT_TABLE NULL
#define DEFAULT_TABLE_NAME NULL
#define DEFAULT_PAST_END SEQ_POSENC_PAST_END_ERROR

enum
{
  PROP_0,
  PROP_MODE,
  PROP_PE_DIM,
  PROP_LAYOUT,
  PROP_BASE,
  PROP_SCALE,
  PROP_START,
  PROP_TABLE,
  PROP_TABLE_NAME,
  PROP_PAST_END,
};

struct _GstSeqPosEnc
{
  GstSeqFrameFilter parent;

  /* properties, under the object lock */
  SeqPosEncParams params;       /* .mode and .table set at setup */
  GstSeqPosEncMode mode;
  gchar *table_path;
  gchar *table_name;

  /* READY and up: the learned table (learned modes) */
  SeqPosEncTable *table;

  /* streaming thread */
  SeqPosEnc *pe;
};

G_DEFINE_TYPE (GstSeqPosEnc, gst_seq_posenc, GST_TYPE_SEQ_FRAME_FILTER);
GST_ELEMENT_REGISTER_DEFINE (seqposenc, "seqposenc", GST_RANK_NONE,
    GST_TYPE_SEQ_POSENC);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_SEQ_TENSOR_CAPS_F32));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_SEQ_TENSOR_CAPS_F32));

GType
gst_seq_posenc_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_SEQ_POSENC_MODE_ADD, "Add the sinusoidal encoding to the frame",
        "add"},
    {GST_SEQ_POSENC_MODE_CONCAT,
        "Append pe-dim sinusoidal encoding values to the frame", "concat"},
    {GST_SEQ_POSENC_MODE_LEARNED, "Add the learned table's row to the frame",
        "learned"},
    {GST_SEQ_POSENC_MODE_LEARNED_CONCAT,
        "Append the learned table's row to the frame", "learned-concat"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstSeqPosEncMode",
            values));
  return type;
}

GType
gst_seq_posenc_layout_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {SEQ_POSENC_LAYOUT_INTERLEAVED, "sin, cos, sin, cos, ...", "interleaved"},
    {SEQ_POSENC_LAYOUT_SPLIT, "All sines, then all cosines", "split"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstSeqPosEncLayout",
            values));
  return type;
}

GType
gst_seq_posenc_past_end_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {SEQ_POSENC_PAST_END_ERROR, "Stream error past the table's last row",
        "error"},
    {SEQ_POSENC_PAST_END_WRAP, "Row position mod max_len", "wrap"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstSeqPosEncPastEnd",
            values));
  return type;
}

static gboolean
mode_is_learned (GstSeqPosEncMode mode)
{
  return mode == GST_SEQ_POSENC_MODE_LEARNED
      || mode == GST_SEQ_POSENC_MODE_LEARNED_CONCAT;
}

/* The library's parameters for the properties and, in a learned mode, the
 * table (not a new reference). */
static SeqPosEncParams
get_params (GstSeqPosEnc * self)
{
  SeqPosEncParams p;

  GST_OBJECT_LOCK (self);
  p = self->params;
  p.mode = self->mode == GST_SEQ_POSENC_MODE_ADD
      || self->mode == GST_SEQ_POSENC_MODE_LEARNED ? SEQ_POSENC_MODE_ADD :
      SEQ_POSENC_MODE_CONCAT;
  p.table = mode_is_learned (self->mode) ? self->table : NULL;
  if (p.table != NULL)
    p.pe_dim = seq_posenc_table_get_dim (p.table);
  GST_OBJECT_UNLOCK (self);
  return p;
}

static gint
gst_seq_posenc_out_dim (GstSeqFrameFilter * filter, guint in_dim)
{
  SeqPosEncParams p = get_params (GST_SEQ_POSENC (filter));

  if (in_dim == 0)
    return 0;
  /* learned add: the frames must be as wide as the table */
  if (p.table != NULL && p.mode == SEQ_POSENC_MODE_ADD && in_dim != p.pe_dim)
    return -1;
  return p.mode == SEQ_POSENC_MODE_ADD ? (gint) in_dim :
      (gint) (in_dim + p.pe_dim);
}

static gint
gst_seq_posenc_in_dim (GstSeqFrameFilter * filter, guint out_dim)
{
  SeqPosEncParams p = get_params (GST_SEQ_POSENC (filter));

  if (p.table != NULL && p.mode == SEQ_POSENC_MODE_ADD)
    return out_dim == 0 || out_dim == p.pe_dim ? (gint) p.pe_dim : -1;
  if (out_dim == 0 || p.mode == SEQ_POSENC_MODE_ADD)
    return (gint) out_dim;
  return out_dim > p.pe_dim ? (gint) (out_dim - p.pe_dim) : -1;
}

/* NULL -> READY: the learned table, in a learned mode */
static gboolean
gst_seq_posenc_open (GstSeqFrameFilter * filter)
{
  GstSeqPosEnc *self = GST_SEQ_POSENC (filter);
  gchar *path, *name;
  gboolean learned;
  SeqPosEncTable *table = NULL;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  learned = mode_is_learned (self->mode);
  path = g_strdup (self->table_path);
  name = g_strdup (self->table_name);
  GST_OBJECT_UNLOCK (self);

  if (!learned)
    goto done;
  if (path == NULL || *path == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("mode=learned needs a position table file (table)."), (NULL));
    goto failed;
  }
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Position table file \"%s\" not found.", path), (NULL));
    goto failed;
  }
  table = seq_posenc_table_new_from_file (path, name, &err);
  if (table == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("Cannot load the position table \"%s\".", path), ("%s",
            err->message));
    g_clear_error (&err);
    goto failed;
  }
  GST_INFO_OBJECT (self, "learned position table: %u positions x %u",
      seq_posenc_table_get_max_len (table), seq_posenc_table_get_dim (table));

done:
  GST_OBJECT_LOCK (self);
  self->table = table;
  GST_OBJECT_UNLOCK (self);
  g_free (path);
  g_free (name);
  return TRUE;

failed:
  g_free (path);
  g_free (name);
  return FALSE;
}

static void
gst_seq_posenc_close (GstSeqFrameFilter * filter)
{
  GstSeqPosEnc *self = GST_SEQ_POSENC (filter);
  SeqPosEncTable *table;

  GST_OBJECT_LOCK (self);
  table = self->table;
  self->table = NULL;
  GST_OBJECT_UNLOCK (self);
  g_clear_pointer (&table, seq_posenc_table_unref);
}

static gboolean
gst_seq_posenc_setup (GstSeqFrameFilter * filter, guint in_dim, guint out_dim)
{
  GstSeqPosEnc *self = GST_SEQ_POSENC (filter);
  SeqPosEncParams p = get_params (self);
  GError *err = NULL;

  p.frame_dim = in_dim;
  g_clear_pointer (&self->pe, seq_posenc_free);
  self->pe = seq_posenc_new (&p, &err);    /* references the table */
  if (self->pe == NULL) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, (NULL), ("%s", err->message));
    g_clear_error (&err);
    return FALSE;
  }
  return TRUE;
}

static void
gst_seq_posenc_reset (GstSeqFrameFilter * filter)
{
  GstSeqPosEnc *self = GST_SEQ_POSENC (filter);

  seq_posenc_reset (self->pe);
}

static void
gst_seq_posenc_teardown (GstSeqFrameFilter * filter)
{
  GstSeqPosEnc *self = GST_SEQ_POSENC (filter);

  g_clear_pointer (&self->pe, seq_posenc_free);
}

static GBytes *
gst_seq_posenc_save_state (GstSeqFrameFilter * filter)
{
  return seq_posenc_state_save (GST_SEQ_POSENC (filter)->pe);
}

static gboolean
gst_seq_posenc_restore_state (GstSeqFrameFilter * filter, GBytes * blob,
    GError ** error)
{
  return seq_posenc_state_restore (GST_SEQ_POSENC (filter)->pe, blob, error);
}

static GstFlowReturn
gst_seq_posenc_process (GstSeqFrameFilter * filter, const guint8 * in,
    guint8 * out, guint frames)
{
  GstSeqPosEnc *self = GST_SEQ_POSENC (filter);
  GError *err = NULL;

  if (!seq_posenc_process (self->pe, (const float *) in, (float *) out,
          frames, &err)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, (NULL), ("%s", err->message));
    g_clear_error (&err);
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

/* Valid ranges (the specs admit any value so that these are errors). */
static const GstSeqPropRange posenc_ranges[] = {
  {"pe-dim", 1, 1 << 20},
  {NULL, 0, 0}
};

static void
gst_seq_posenc_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSeqPosEnc *self = GST_SEQ_POSENC (object);

  if (gst_seq_refuse_unless_ready (GST_ELEMENT (object), pspec))
    return;
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_TABLE:
      g_free (self->table_path);
      self->table_path = g_value_dup_string (value);
      break;
    case PROP_TABLE_NAME:
      g_free (self->table_name);
      self->table_name = g_value_dup_string (value);
      break;
    case PROP_PAST_END:
      self->params.past_end = g_value_get_enum (value);
      break;
    case PROP_PE_DIM:
      self->params.pe_dim = g_value_get_uint (value);
      break;
    case PROP_LAYOUT:
      self->params.layout = g_value_get_enum (value);
      break;
    case PROP_BASE:
      self->params.base = g_value_get_double (value);
      break;
    case PROP_SCALE:
      self->params.scale = g_value_get_float (value);
      break;
    case PROP_START:
      self->params.start = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_seq_posenc_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstSeqPosEnc *self = GST_SEQ_POSENC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_TABLE:
      g_value_set_string (value, self->table_path);
      break;
    case PROP_TABLE_NAME:
      g_value_set_string (value, self->table_name);
      break;
    case PROP_PAST_END:
      g_value_set_enum (value, self->params.past_end);
      break;
    case PROP_PE_DIM:
      g_value_set_uint (value, self->params.pe_dim);
      break;
    case PROP_LAYOUT:
      g_value_set_enum (value, self->params.layout);
      break;
    case PROP_BASE:
      g_value_set_double (value, self->params.base);
      break;
    case PROP_SCALE:
      g_value_set_float (value, self->params.scale);
      break;
    case PROP_START:
      g_value_set_uint64 (value, self->params.start);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_seq_posenc_finalize (GObject * object)
{
  GstSeqPosEnc *self = GST_SEQ_POSENC (object);

  g_clear_pointer (&self->pe, seq_posenc_free);
  g_clear_pointer (&self->table, seq_posenc_table_unref);
  g_free (self->table_path);
  g_free (self->table_name);
  G_OBJECT_CLASS (gst_seq_posenc_parent_class)->finalize (object);
}

static void
gst_seq_posenc_class_init (GstSeqPosEncClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstSeqFrameFilterClass *filter_class = GST_SEQ_FRAME_FILTER_CLASS (klass);
  GParamFlags shape = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  GST_DEBUG_CATEGORY_INIT (seq_posenc_debug, "seqposenc", 0,
      "seqenc positional encoding");

  gobject_class->set_property = gst_seq_posenc_set_property;
  gobject_class->get_property = gst_seq_posenc_get_property;
  gobject_class->finalize = gst_seq_posenc_finalize;

  /**
   * GstSeqPosEnc:mode:
   *
   * `add`: the sinusoidal encoding is added to each frame (output width =
   * input width). `concat`: `pe-dim` sinusoidal values are appended after
   * the frame. `learned` / `learned-concat`: the same with row p of the
   * learned table (`table`; width d, which `add` needs the frames to have).
   */
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode", "Add or concatenate the encoding",
          GST_TYPE_SEQ_POSENC_MODE, DEFAULT_MODE, shape));
  /**
   * GstSeqPosEnc:pe-dim:
   *
   * Width of the appended encoding in `concat` mode.
   */
  g_object_class_install_property (gobject_class, PROP_PE_DIM,
      g_param_spec_uint ("pe-dim", "PE width",
          "Encoding width in concat mode (1 to 1048576)", 0, G_MAXUINT,
          DEFAULT_PE_DIM, shape));
  /**
   * GstSeqPosEnc:layout:
   *
   * `interleaved`: sin, cos, sin, cos (the Transformer paper). `split`: the
   * same frequencies, all sines first, then all cosines.
   */
  g_object_class_install_property (gobject_class, PROP_LAYOUT,
      g_param_spec_enum ("layout", "Layout", "Order of sines and cosines",
          GST_TYPE_SEQ_POSENC_LAYOUT, DEFAULT_LAYOUT, shape));
  /**
   * GstSeqPosEnc:base:
   *
   * Wavelength base: angle = pos / base^(2i/d).
   */
  g_object_class_install_property (gobject_class, PROP_BASE,
      g_param_spec_double ("base", "Base", "Wavelength base (> 1)",
          1.000001, G_MAXDOUBLE, DEFAULT_BASE, shape));
  /**
   * GstSeqPosEnc:scale:
   *
   * Factor on the input frame before the encoding is added, e.g. sqrt(d)
   * for embeddings.
   */
  g_object_class_install_property (gobject_class, PROP_SCALE,
      g_param_spec_float ("scale", "Scale", "Factor on the input frame",
          -G_MAXFLOAT, G_MAXFLOAT, DEFAULT_SCALE, shape));
  /**
   * GstSeqPosEnc:start:
   *
   * Position of the first frame, and the position a reset returns to.
   */
  g_object_class_install_property (gobject_class, PROP_START,
      g_param_spec_uint64 ("start", "Start", "Position of the first frame",
          0, G_GUINT64_CONSTANT (1) << 53, DEFAULT_START, shape));

  /**
   * GstSeqPosEnc:table:
   *
   * Safetensors file holding the learned position table ([max_len, d]) of
   * the learned modes.
   */
  g_object_class_install_property (gobject_class, PROP_TABLE,
      g_param_spec_string ("table", "Table",
          "Safetensors file of the learned position table (learned modes)",
          DEFAULT_TABLE, shape));
  /**
   * GstSeqPosEnc:table-name:
   *
   * Name of the table's tensor in the file; empty: the one ending in
   * "position_embeddings.weight", else the file's only 2-D tensor.
   */
  g_object_class_install_property (gobject_class, PROP_TABLE_NAME,
      g_param_spec_string ("table-name", "Table name",
          "Tensor of the learned table (empty: auto-detect)",
          DEFAULT_TABLE_NAME, shape));
  /**
   * GstSeqPosEnc:past-end:
   *
   * Learned modes, past the table's last row: `error` (a STREAM FORMAT
   * error naming the position) or `wrap` (row position mod max_len).
   */
  g_object_class_install_property (gobject_class, PROP_PAST_END,
      g_param_spec_enum ("past-end", "Past end",
          "What a learned table does past its last row",
          GST_TYPE_SEQ_POSENC_PAST_END, DEFAULT_PAST_END, shape));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Positional encoding", "Filter/Tensor",
      "Adds or appends a running positional encoding (sinusoidal or a "
      "learned table) to tensor frames", "seqenc developers");

  filter_class->in_type = GST_SEQ_TENSOR_TYPE_FLOAT32;
  filter_class->out_type = GST_SEQ_TENSOR_TYPE_FLOAT32;
  filter_class->open = GST_DEBUG_FUNCPTR (gst_seq_posenc_open);
  filter_class->close = GST_DEBUG_FUNCPTR (gst_seq_posenc_close);
  filter_class->out_dim = GST_DEBUG_FUNCPTR (gst_seq_posenc_out_dim);
  filter_class->prop_ranges = posenc_ranges;
  filter_class->in_dim = GST_DEBUG_FUNCPTR (gst_seq_posenc_in_dim);
  filter_class->setup = GST_DEBUG_FUNCPTR (gst_seq_posenc_setup);
  filter_class->reset = GST_DEBUG_FUNCPTR (gst_seq_posenc_reset);
  filter_class->teardown = GST_DEBUG_FUNCPTR (gst_seq_posenc_teardown);
  filter_class->process = GST_DEBUG_FUNCPTR (gst_seq_posenc_process);
  filter_class->save_state = GST_DEBUG_FUNCPTR (gst_seq_posenc_save_state);
  filter_class->restore_state =
      GST_DEBUG_FUNCPTR (gst_seq_posenc_restore_state);

  gst_type_mark_as_plugin_api (GST_TYPE_SEQ_POSENC_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_SEQ_POSENC_LAYOUT, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_SEQ_POSENC_PAST_END, 0);
}

static void
gst_seq_posenc_init (GstSeqPosEnc * self)
{
  self->params = seq_posenc_params_default ();
  self->mode = DEFAULT_MODE;
}
