/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqnpysink: tensors to one NumPy .npy file.
 *
 * SECTION:element-seqnpysink
 * @title: seqnpysink
 *
 * Consumes `other/tensors` (float32 or int32, `D:T`, static or flexible) and
 * writes every frame to one NumPy `.npy` file (format 1.0) of shape
 * `(T_total, D)`, dtype `<f4` or `<i4`, so that `numpy.load` reads the whole
 * stream. The header is written with a placeholder shape at start and
 * rewritten at EOS (and at stop, so an interrupted pipeline still leaves a
 * valid file of the frames written so far).
 *
 * A width or type change mid-stream is a STREAM error: one file holds one
 * array. FLUSH and `seqenc-reset` do not truncate the file.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e filesrc location=README.md ! text/x-raw,format=utf8 ! \
 *     seqtokenizer ! seqembed ! seqposenc ! seqlstm ! \
 *     seqnpysink location=hidden.npy
 * ]|
 */
#include "gstseqnpysink.h"
#include "gstseqencelements.h"
#include "gstseqtensor.h"
#include "gstseqstate.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_seq_npysink_debug);
#define GST_CAT_DEFAULT gst_seq_npysink_debug

#define DEFAULT_LOCATION NULL
/* Bytes before the data: magic, version, header length, the header dict
 * padded with spaces and a newline. 128 keeps the data 64-byte aligned as
 * NumPy prefers and holds any (T, D) of 64-bit numbers. */
#define NPY_PREAMBLE 128

enum
{
  PROP_0,
  PROP_LOCATION,
};

struct _GstSeqNpySink
{
  GstBaseSink parent;

  gchar *location;              /* under the object lock */

  FILE *file;
  gchar *path;                  /* the file being written */
  GstSeqTensorCaps caps;
  gboolean have_caps;
  GstSeqTensorType type;           /* fixed by the first buffer */
  guint dim;                    /* fixed by the first buffer (or caps) */
  guint64 frames;               /* written so far */
};

G_DEFINE_TYPE (GstSeqNpySink, gst_seq_npy_sink, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE (seqnpysink, "seqnpysink", GST_RANK_NONE,
    GST_TYPE_SEQ_NPY_SINK);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_SEQ_TENSOR_CAPS_ANY));

static gboolean
write_header (GstSeqNpySink * self)
{
  gchar dict[NPY_PREAMBLE];
  guint8 pre[NPY_PREAMBLE];
  gint n;
  const gchar *descr = self->type == GST_SEQ_TENSOR_TYPE_INT32 ? "<i4" : "<f4";

  n = g_snprintf (dict, sizeof (dict),
      "{'descr': '%s', 'fortran_order': False, 'shape': (%" G_GUINT64_FORMAT
      ", %u), }", descr, self->frames, self->dim);
  if (n < 0 || n > NPY_PREAMBLE - 11)
    return FALSE;
  memset (pre, ' ', sizeof (pre));
  memcpy (pre, "\x93NUMPY\x01\x00", 8);
  pre[8] = (NPY_PREAMBLE - 10) & 0xff;
  pre[9] = (NPY_PREAMBLE - 10) >> 8;
  memcpy (pre + 10, dict, n);
  pre[NPY_PREAMBLE - 1] = '\n';

  if (fseek (self->file, 0, SEEK_SET) != 0
      || fwrite (pre, 1, sizeof (pre), self->file) != sizeof (pre)
      || fseek (self->file, 0, SEEK_END) != 0 || fflush (self->file) != 0)
    return FALSE;
  return TRUE;
}

static gboolean
gst_seq_npy_sink_start (GstBaseSink * sink)
{
  GstSeqNpySink *self = GST_SEQ_NPY_SINK (sink);

  GST_OBJECT_LOCK (self);
  self->path = g_strdup (self->location);
  GST_OBJECT_UNLOCK (self);

  if (self->path == NULL || *self->path == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No file name specified for writing."), (NULL));
    return FALSE;
  }
  self->file = g_fopen (self->path, "wb");
  if (self->file == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not open file \"%s\" for writing.", self->path),
        GST_ERROR_SYSTEM);
    return FALSE;
  }
  self->frames = 0;
  self->dim = 0;
  self->type = GST_SEQ_TENSOR_TYPE_FLOAT32;
  self->have_caps = FALSE;
  if (!write_header (self)) {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("Could not write to file \"%s\".", self->path), GST_ERROR_SYSTEM);
    return FALSE;
  }
  return TRUE;
}

static gboolean
finish (GstSeqNpySink * self)
{
  gboolean ok;

  if (self->file == NULL)
    return TRUE;
  ok = write_header (self);
  if (fclose (self->file) != 0)
    ok = FALSE;
  self->file = NULL;
  if (!ok)
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("Could not write to file \"%s\".", self->path), GST_ERROR_SYSTEM);
  else
    GST_INFO_OBJECT (self, "wrote %" G_GUINT64_FORMAT " x %u to %s",
        self->frames, self->dim, self->path);
  return ok;
}

static gboolean
gst_seq_npy_sink_stop (GstBaseSink * sink)
{
  GstSeqNpySink *self = GST_SEQ_NPY_SINK (sink);
  gboolean ok = finish (self);

  g_clear_pointer (&self->path, g_free);
  return ok;
}

static gboolean
gst_seq_npy_sink_set_caps (GstBaseSink * sink, GstCaps * caps)
{
  GstSeqNpySink *self = GST_SEQ_NPY_SINK (sink);
  GstSeqTensorCaps info;
  gchar *why = NULL;

  if (!gst_seq_tensor_caps_parse (caps, &info, &why)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("unsupported caps %" GST_PTR_FORMAT ": %s", caps, why));
    g_free (why);
    return FALSE;
  }
  if (self->frames > 0 && ((info.dim != 0 && info.dim != self->dim)
          || (info.type != GST_SEQ_TENSOR_TYPE_UNKNOWN
              && info.type != self->type))) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("caps %" GST_PTR_FORMAT " change the width or type of the array "
            "being written (%u values of %s)", caps, self->dim,
            gst_seq_tensor_type_name (self->type)));
    return FALSE;
  }
  self->caps = info;
  self->have_caps = TRUE;
  if (self->frames == 0) {
    if (info.dim)
      self->dim = info.dim;
    if (info.type != GST_SEQ_TENSOR_TYPE_UNKNOWN)
      self->type = info.type;
  }
  return TRUE;
}

static GstFlowReturn
gst_seq_npy_sink_render (GstBaseSink * sink, GstBuffer * buf)
{
  GstSeqNpySink *self = GST_SEQ_NPY_SINK (sink);
  GstSeqTensorView view;
  gchar *why = NULL;
  gsize bytes;

  if (!self->have_caps) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("received a buffer before caps"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (!gst_seq_tensor_view_map (&view, buf, &self->caps, &why))
    goto bad_buffer;
  if (self->frames > 0 && (view.dim != self->dim || view.type != self->type)) {
    why = g_strdup_printf ("buffer of %u values of %s per frame after %u of "
        "%s: one file holds one array", view.dim,
        gst_seq_tensor_type_name (view.type), self->dim,
        gst_seq_tensor_type_name (self->type));
    gst_seq_tensor_view_unmap (&view);
    goto bad_buffer;
  }
  self->dim = view.dim;
  self->type = view.type;
  bytes = (gsize) view.frames * view.dim * gst_seq_tensor_type_size (view.type);
  if (bytes > 0 && fwrite (view.data, 1, bytes, self->file) != bytes) {
    gst_seq_tensor_view_unmap (&view);
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("Could not write to file \"%s\".", self->path), GST_ERROR_SYSTEM);
    return GST_FLOW_ERROR;
  }
  self->frames += view.frames;
  gst_seq_tensor_view_unmap (&view);
  return GST_FLOW_OK;

  /* ERRORS */
bad_buffer:
  {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, (NULL), ("%s", why));
    g_free (why);
    return GST_FLOW_ERROR;
  }
}

static gboolean
gst_seq_npy_sink_event (GstBaseSink * sink, GstEvent * event)
{
  GstSeqNpySink *self = GST_SEQ_NPY_SINK (sink);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->file != NULL) {
    if (!write_header (self)) {
      GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
          ("Could not write to file \"%s\".", self->path), GST_ERROR_SYSTEM);
      gst_event_unref (event);
      return FALSE;
    }
  }
  return GST_BASE_SINK_CLASS (gst_seq_npy_sink_parent_class)->event (sink,
      event);
}

static void
gst_seq_npy_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSeqNpySink *self = GST_SEQ_NPY_SINK (object);

  if (gst_seq_refuse_unless_ready (GST_ELEMENT (object), pspec))
    return;
  switch (prop_id) {
    case PROP_LOCATION:
      GST_OBJECT_LOCK (self);
      g_free (self->location);
      self->location = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_seq_npy_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstSeqNpySink *self = GST_SEQ_NPY_SINK (object);

  switch (prop_id) {
    case PROP_LOCATION:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->location);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_seq_npy_sink_finalize (GObject * object)
{
  GstSeqNpySink *self = GST_SEQ_NPY_SINK (object);

  if (self->file)
    fclose (self->file);
  g_free (self->path);
  g_free (self->location);
  G_OBJECT_CLASS (gst_seq_npy_sink_parent_class)->finalize (object);
}

static void
gst_seq_npy_sink_class_init (GstSeqNpySinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *sink_class = GST_BASE_SINK_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_seq_npysink_debug, "seqnpysink", 0,
      "seqenc .npy writer");

  gobject_class->set_property = gst_seq_npy_sink_set_property;
  gobject_class->get_property = gst_seq_npy_sink_get_property;
  gobject_class->finalize = gst_seq_npy_sink_finalize;

  /**
   * GstSeqNpySink:location:
   *
   * Path of the .npy file to write (replaced if it exists).
   */
  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location", "Path of the .npy file",
          DEFAULT_LOCATION, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "NumPy .npy sink", "Sink/File/Tensor",
      "Writes tensor frames to one NumPy .npy file of shape (frames, width)",
      "seqenc developers");

  sink_class->start = GST_DEBUG_FUNCPTR (gst_seq_npy_sink_start);
  sink_class->stop = GST_DEBUG_FUNCPTR (gst_seq_npy_sink_stop);
  sink_class->set_caps = GST_DEBUG_FUNCPTR (gst_seq_npy_sink_set_caps);
  sink_class->render = GST_DEBUG_FUNCPTR (gst_seq_npy_sink_render);
  sink_class->event = GST_DEBUG_FUNCPTR (gst_seq_npy_sink_event);
}

static void
gst_seq_npy_sink_init (GstSeqNpySink * self)
{
  /* a file writer: no clock sync, as filesink */
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
}
