/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqembed: token ids to embedding rows.
 *
 * SECTION:element-seqembed
 * @title: seqembed
 *
 * Consumes int32 token ids (`other/tensors, types=int32, dimensions=1:T`,
 * flexible or static, as seqtokenizer emits) and produces float32 frames
 * `E:T`: row id of a `[vocab, E]` table for every id. The table comes from a
 * safetensors file (`model`; `tensor` names it, or it is found: the single
 * 2-D tensor, or the one named `*embed*.weight`) or, when `model` is empty,
 * is built in: `vocab-size` x `dim` values drawn N(0, 1) from `seed`, as
 * `torch.nn.Embedding` initializes.
 *
 * An id outside [0, vocab) is a STREAM error naming the id (never a read
 * past the table). Stateless: FLUSH, EOS, DISCONT and `seqenc-reset` have
 * nothing to reset. Adds no latency.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e filesrc location=README.md ! text/x-raw,format=utf8 ! \
 *     seqtokenizer ! seqembed dim=128 ! seqnpysink location=emb.npy
 * ]|
 */
#include "gstseqembed.h"
#include "gstseqencelements.h"

#include <seqenc/embedding.h>

GST_DEBUG_CATEGORY_STATIC (gst_seq_embed_debug);
#define GST_CAT_DEFAULT gst_seq_embed_debug

#define DEFAULT_MODEL NULL
#define DEFAULT_TENSOR NULL
#define DEFAULT_VOCAB_SIZE 256
#define DEFAULT_DIM 64
#define DEFAULT_SEED 0
/* The built-in table is vocab x dim floats; refuse more than 2^28 values
 * (1 GiB) rather than fail in the allocator. */
#define MAX_TABLE_VALUES (G_GUINT64_CONSTANT (1) << 28)

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_TENSOR,
  PROP_VOCAB_SIZE,
  PROP_DIM,
  PROP_SEED,
};

struct _GstSeqEmbed
{
  GstSeqFrameFilter parent;

  /* properties, under the object lock */
  gchar *model_path;
  gchar *tensor;
  guint vocab_size;
  guint dim;
  guint64 seed;

  /* READY and up */
  SeqEmbedding *emb;
};

G_DEFINE_TYPE (GstSeqEmbed, gst_seq_embed, GST_TYPE_SEQ_FRAME_FILTER);
GST_ELEMENT_REGISTER_DEFINE (seqembed, "seqembed", GST_RANK_NONE,
    GST_TYPE_SEQ_EMBED);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_SEQ_TENSOR_CAPS_I32));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_SEQ_TENSOR_CAPS_F32));

static guint
table_dim (GstSeqEmbed * self)
{
  guint d;

  GST_OBJECT_LOCK (self);
  d = self->emb ? seq_embedding_dim (self->emb) : self->dim;
  GST_OBJECT_UNLOCK (self);
  return d;
}

static gint
gst_seq_embed_out_dim (GstSeqFrameFilter * filter, guint in_dim)
{
  if (in_dim > 1)
    return -1;                  /* one id per frame */
  return (gint) table_dim (GST_SEQ_EMBED (filter));
}

static gint
gst_seq_embed_in_dim (GstSeqFrameFilter * filter, guint out_dim)
{
  if (out_dim != 0 && out_dim != table_dim (GST_SEQ_EMBED (filter)))
    return -1;
  return 1;
}

static gboolean
gst_seq_embed_open (GstSeqFrameFilter * filter)
{
  GstSeqEmbed *self = GST_SEQ_EMBED (filter);
  gchar *path, *tensor;
  guint vocab, dim;
  guint64 seed;
  SeqEmbedding *emb;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  path = g_strdup (self->model_path);
  tensor = g_strdup (self->tensor);
  vocab = self->vocab_size;
  dim = self->dim;
  seed = self->seed;
  GST_OBJECT_UNLOCK (self);

  if (path != NULL && *path != '\0') {
    if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("Embedding file \"%s\" not found.", path), (NULL));
      goto failed;
    }
    emb = seq_embedding_new_from_file (path, tensor, &err);
    if (emb == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, READ,
          ("Cannot load the embedding table \"%s\".", path),
          ("%s", err->message));
      goto failed;
    }
  } else {
    if ((guint64) vocab * dim > MAX_TABLE_VALUES) {
      GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, (NULL),
          ("a built-in table of %u x %u values is too large", vocab, dim));
      goto failed;
    }
    emb = seq_embedding_new_random (vocab, dim, seed, &err);
    if (emb == NULL) {
      GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, (NULL), ("%s",
              err->message));
      goto failed;
    }
  }
  GST_OBJECT_LOCK (self);
  self->emb = emb;
  GST_OBJECT_UNLOCK (self);
  g_free (path);
  g_free (tensor);
  return TRUE;

failed:
  g_clear_error (&err);
  g_free (path);
  g_free (tensor);
  return FALSE;
}

static void
gst_seq_embed_close (GstSeqFrameFilter * filter)
{
  GstSeqEmbed *self = GST_SEQ_EMBED (filter);
  SeqEmbedding *emb;

  GST_OBJECT_LOCK (self);
  emb = self->emb;
  self->emb = NULL;
  GST_OBJECT_UNLOCK (self);
  g_clear_pointer (&emb, seq_embedding_unref);
}

static GstFlowReturn
gst_seq_embed_process (GstSeqFrameFilter * filter, const guint8 * in,
    guint8 * out, guint frames)
{
  GstSeqEmbed *self = GST_SEQ_EMBED (filter);
  GError *err = NULL;

  if (!seq_embedding_lookup (self->emb, (const gint32 *) in, frames,
          (float *) out, &err)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, (NULL), ("%s", err->message));
    g_clear_error (&err);
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

/* Valid ranges (the specs admit any value so that these are errors). */
static const GstSeqPropRange embed_ranges[] = {
  {"vocab-size", 1, G_MAXINT32},
  {"dim", 1, 1 << 20},
  {NULL, 0, 0}
};

static void
gst_seq_embed_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSeqEmbed *self = GST_SEQ_EMBED (object);

  if (gst_seq_refuse_unless_ready (GST_ELEMENT (object), pspec))
    return;
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model_path);
      self->model_path = g_value_dup_string (value);
      break;
    case PROP_TENSOR:
      g_free (self->tensor);
      self->tensor = g_value_dup_string (value);
      break;
    case PROP_VOCAB_SIZE:
      self->vocab_size = g_value_get_uint (value);
      break;
    case PROP_DIM:
      self->dim = g_value_get_uint (value);
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
gst_seq_embed_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstSeqEmbed *self = GST_SEQ_EMBED (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_path);
      break;
    case PROP_TENSOR:
      g_value_set_string (value, self->tensor);
      break;
    case PROP_VOCAB_SIZE:
      g_value_set_uint (value, self->vocab_size);
      break;
    case PROP_DIM:
      g_value_set_uint (value, self->dim);
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
gst_seq_embed_finalize (GObject * object)
{
  GstSeqEmbed *self = GST_SEQ_EMBED (object);

  g_clear_pointer (&self->emb, seq_embedding_unref);
  g_free (self->model_path);
  g_free (self->tensor);
  G_OBJECT_CLASS (gst_seq_embed_parent_class)->finalize (object);
}

static void
gst_seq_embed_class_init (GstSeqEmbedClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstSeqFrameFilterClass *filter_class = GST_SEQ_FRAME_FILTER_CLASS (klass);
  GParamFlags model = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  GST_DEBUG_CATEGORY_INIT (gst_seq_embed_debug, "seqembed", 0,
      "seqenc token embedding");

  gobject_class->set_property = gst_seq_embed_set_property;
  gobject_class->get_property = gst_seq_embed_get_property;
  gobject_class->finalize = gst_seq_embed_finalize;

  /**
   * GstSeqEmbed:model:
   *
   * Safetensors file holding the [vocab, dim] table; empty for the built-in
   * seeded table.
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model", "Safetensors file with the "
          "embedding table (empty: built-in seeded table)", DEFAULT_MODEL,
          model));
  /**
   * GstSeqEmbed:tensor:
   *
   * Name of the table in the file; empty to find it.
   */
  g_object_class_install_property (gobject_class, PROP_TENSOR,
      g_param_spec_string ("tensor", "Tensor", "Tensor name of the table "
          "(empty: the single 2-D tensor or *embed*.weight)", DEFAULT_TENSOR,
          model));
  /**
   * GstSeqEmbed:vocab-size:
   *
   * Rows of the built-in table (256 covers seqtokenizer mode=bytes).
   */
  g_object_class_install_property (gobject_class, PROP_VOCAB_SIZE,
      g_param_spec_uint ("vocab-size", "Vocabulary size",
          "Rows of the built-in table (1 to 2147483647)", 0, G_MAXUINT,
          DEFAULT_VOCAB_SIZE, model));
  /**
   * GstSeqEmbed:dim:
   *
   * Width of the built-in table's rows.
   */
  g_object_class_install_property (gobject_class, PROP_DIM,
      g_param_spec_uint ("dim", "Dimension",
          "Width of the built-in table (1 to 1048576)", 0, G_MAXUINT,
          DEFAULT_DIM, model));
  /**
   * GstSeqEmbed:seed:
   *
   * Seed of the built-in table.
   */
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_uint64 ("seed", "Seed", "Seed of the built-in table", 0,
          G_MAXUINT64, DEFAULT_SEED, model));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Token embedding", "Filter/Tensor",
      "Maps int32 token ids to rows of an embedding table",
      "seqenc developers");

  filter_class->in_type = GST_SEQ_TENSOR_TYPE_INT32;
  filter_class->out_type = GST_SEQ_TENSOR_TYPE_FLOAT32;
  filter_class->open = GST_DEBUG_FUNCPTR (gst_seq_embed_open);
  filter_class->prop_ranges = embed_ranges;
  filter_class->close = GST_DEBUG_FUNCPTR (gst_seq_embed_close);
  filter_class->out_dim = GST_DEBUG_FUNCPTR (gst_seq_embed_out_dim);
  filter_class->in_dim = GST_DEBUG_FUNCPTR (gst_seq_embed_in_dim);
  filter_class->process = GST_DEBUG_FUNCPTR (gst_seq_embed_process);
}

static void
gst_seq_embed_init (GstSeqEmbed * self)
{
  self->vocab_size = DEFAULT_VOCAB_SIZE;
  self->dim = DEFAULT_DIM;
  self->seed = DEFAULT_SEED;
}
