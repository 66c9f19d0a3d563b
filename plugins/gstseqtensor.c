/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — the tensor wire format shared by every element.
 * See gstseqtensor.h for the caps and the flexible header layout. */
#include "gstseqtensor.h"

#include <string.h>

const gchar *
gst_seq_tensor_type_name (GstSeqTensorType type)
{
  switch (type) {
    case GST_SEQ_TENSOR_TYPE_INT32:
      return "int32";
    case GST_SEQ_TENSOR_TYPE_FLOAT32:
      return "float32";
    default:
      return NULL;
  }
}

gsize
gst_seq_tensor_type_size (GstSeqTensorType type)
{
  switch (type) {
    case GST_SEQ_TENSOR_TYPE_INT32:
    case GST_SEQ_TENSOR_TYPE_FLOAT32:
      return 4;
    default:
      return 0;
  }
}

static GstSeqTensorType
type_from_name (const gchar * s)
{
  if (g_strcmp0 (s, "float32") == 0)
    return GST_SEQ_TENSOR_TYPE_FLOAT32;
  if (g_strcmp0 (s, "int32") == 0)
    return GST_SEQ_TENSOR_TYPE_INT32;
  return GST_SEQ_TENSOR_TYPE_UNKNOWN;
}

/* "D", "D:T" or "D:T:1:1..." -> D, T (T = 1 when absent). FALSE when any
 * part is not a positive integer, a dim beyond the second is not 1, or there
 * are more than GST_SEQ_TENSOR_RANK_LIMIT parts. */
static gboolean
parse_dims (const gchar * s, guint * dim, guint * frames)
{
  gchar **parts;
  guint n, i;
  gboolean ok = TRUE;

  if (s == NULL || *s == '\0')
    return FALSE;
  parts = g_strsplit (s, ":", -1);
  n = g_strv_length (parts);
  if (n == 0 || n > GST_SEQ_TENSOR_RANK_LIMIT)
    ok = FALSE;
  for (i = 0; ok && i < n; i++) {
    guint64 v;
    if (!g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, 1, G_MAXINT32,
            &v, NULL)) {
      ok = FALSE;
      break;
    }
    if (i == 0)
      *dim = (guint) v;
    else if (i == 1)
      *frames = (guint) v;
    else if (v != 1)
      ok = FALSE;
  }
  if (ok && n == 1)
    *frames = 1;
  g_strfreev (parts);
  return ok;
}

gboolean
gst_seq_tensor_caps_parse (const GstCaps * caps, GstSeqTensorCaps * info,
    gchar ** why)
{
  const GstStructure *s;
  const gchar *fmt, *types, *dims;
  gint num = 1;

  memset (info, 0, sizeof (*info));
  info->type = GST_SEQ_TENSOR_TYPE_UNKNOWN;
  info->rate_d = 1;

  if (caps == NULL || gst_caps_get_size (caps) != 1) {
    if (why)
      *why = g_strdup ("caps are empty or not fixed");
    return FALSE;
  }
  s = gst_caps_get_structure (caps, 0);
  if (!gst_structure_has_name (s, "other/tensors")
      && !gst_structure_has_name (s, "other/tensor")) {
    if (why)
      *why = g_strdup_printf ("not tensor caps: %s", gst_structure_get_name (s));
    return FALSE;
  }
  fmt = gst_structure_get_string (s, "format");
  if (fmt == NULL || g_str_equal (fmt, "static"))
    info->format = GST_SEQ_TENSOR_FORMAT_STATIC;
  else if (g_str_equal (fmt, "flexible"))
    info->format = GST_SEQ_TENSOR_FORMAT_FLEXIBLE;
  else {
    if (why)
      *why = g_strdup_printf ("tensor format '%s' is not supported "
          "(static or flexible)", fmt);
    return FALSE;
  }
  if (gst_structure_get_int (s, "num_tensors", &num) && num != 1) {
    if (why)
      *why = g_strdup_printf ("num_tensors=%d; exactly one tensor is supported",
          num);
    return FALSE;
  }
  types = gst_structure_get_string (s, "types");
  if (types == NULL)
    types = gst_structure_get_string (s, "type");
  if (types != NULL) {
    info->type = type_from_name (types);
    if (info->type == GST_SEQ_TENSOR_TYPE_UNKNOWN) {
      if (why)
        *why = g_strdup_printf ("tensor type '%s' is not supported "
            "(float32 or int32)", types);
      return FALSE;
    }
  }
  dims = gst_structure_get_string (s, "dimensions");
  if (dims == NULL)
    dims = gst_structure_get_string (s, "dimension");
  if (dims != NULL) {
    guint d = 0, t = 0;
    if (!parse_dims (dims, &d, &t)) {
      if (why)
        *why = g_strdup_printf ("dimensions '%s' are not D or D:T with "
            "positive integers (write dimensions=(string)%s in gst-launch "
            "lines)", dims, dims);
      return FALSE;
    }
    info->dim = d;
    info->frames = info->format == GST_SEQ_TENSOR_FORMAT_STATIC ? t : 0;
  }
  if (info->format == GST_SEQ_TENSOR_FORMAT_STATIC
      && (info->dim == 0 || info->type == GST_SEQ_TENSOR_TYPE_UNKNOWN)) {
    if (why)
      *why = g_strdup ("static tensor caps need types and dimensions");
    return FALSE;
  }
  if (gst_structure_has_field (s, "framerate")) {
    if (!gst_structure_get_fraction (s, "framerate", &info->rate_n,
            &info->rate_d) || info->rate_n < 0 || info->rate_d <= 0) {
      if (why)
        *why = g_strdup ("framerate is not a fixed non-negative fraction");
      return FALSE;
    }
  }
  return TRUE;
}

GstCaps *
gst_seq_tensor_caps_build (const GstSeqTensorCaps * info)
{
  GstCaps *caps;
  const gchar *type = gst_seq_tensor_type_name (info->type);

  caps = gst_caps_new_simple ("other/tensors",
      "format", G_TYPE_STRING,
      info->format == GST_SEQ_TENSOR_FORMAT_FLEXIBLE ? "flexible" : "static",
      "num_tensors", G_TYPE_INT, 1,
      "framerate", GST_TYPE_FRACTION, info->rate_n,
      info->rate_d > 0 ? info->rate_d : 1, NULL);
  if (type != NULL)
    gst_caps_set_simple (caps, "types", G_TYPE_STRING, type, NULL);
  if (info->dim > 0) {
    gchar *dims = info->format == GST_SEQ_TENSOR_FORMAT_STATIC ?
        g_strdup_printf ("%u:%u", info->dim, MAX (info->frames, 1)) :
        g_strdup_printf ("%u", info->dim);
    gst_caps_set_simple (caps, "dimensions", G_TYPE_STRING, dims, NULL);
    g_free (dims);
  }
  return caps;
}

static inline guint32
rd32 (const guint8 * p)
{
  return GST_READ_UINT32_LE (p);
}

void
gst_seq_tensor_header_write (guint8 * hdr, GstSeqTensorType type, guint dim,
    guint frames)
{
  memset (hdr, 0, GST_SEQ_TENSOR_HEADER_SIZE);
  GST_WRITE_UINT32_LE (hdr + 0, GST_SEQ_TENSOR_MAGIC);
  GST_WRITE_UINT32_LE (hdr + 4, GST_SEQ_TENSOR_VERSION);
  GST_WRITE_UINT32_LE (hdr + 8, (guint32) type);
  GST_WRITE_UINT32_LE (hdr + 12, dim);
  GST_WRITE_UINT32_LE (hdr + 16, frames);
  /* dims [2..15] stay 0: rank 2. A buffer of 0 frames has rank 1 then,
   * which the parser reads back as 0 frames of width dim. */
  GST_WRITE_UINT32_LE (hdr + 12 + 4 * GST_SEQ_TENSOR_RANK_LIMIT,
      GST_SEQ_TENSOR_FORMAT_STATIC);
  GST_WRITE_UINT32_LE (hdr + 16 + 4 * GST_SEQ_TENSOR_RANK_LIMIT, 4u);
}

gboolean
gst_seq_tensor_header_parse (const guint8 * hdr, gsize size, GstSeqTensorType * type,
    guint * dim, guint * frames, gchar ** why)
{
  guint32 magic, t, fmt, d[GST_SEQ_TENSOR_RANK_LIMIT];
  guint rank = 0, i;

  if (size < GST_SEQ_TENSOR_HEADER_SIZE) {
    if (why)
      *why = g_strdup_printf ("flexible tensor memory of %" G_GSIZE_FORMAT
          " bytes is shorter than its %d-byte header", size,
          GST_SEQ_TENSOR_HEADER_SIZE);
    return FALSE;
  }
  magic = rd32 (hdr);
  if (magic != GST_SEQ_TENSOR_MAGIC) {
    if (why)
      *why = g_strdup_printf ("flexible tensor header has magic 0x%08x, "
          "expected 0x%08x", magic, GST_SEQ_TENSOR_MAGIC);
    return FALSE;
  }
  /* The version word's high bits identify the header generation; NNStreamer
   * writes 0xde001000 and checks only the magic, as we do. */
  t = rd32 (hdr + 8);
  if (t != GST_SEQ_TENSOR_TYPE_INT32 && t != GST_SEQ_TENSOR_TYPE_FLOAT32) {
    if (why)
      *why = g_strdup_printf ("flexible tensor type %u is not supported "
          "(int32=0 or float32=7)", t);
    return FALSE;
  }
  for (i = 0; i < GST_SEQ_TENSOR_RANK_LIMIT; i++)
    d[i] = rd32 (hdr + 12 + 4 * i);
  while (rank < GST_SEQ_TENSOR_RANK_LIMIT && d[rank] != 0)
    rank++;
  for (i = rank; i < GST_SEQ_TENSOR_RANK_LIMIT; i++) {
    if (d[i] != 0) {
      if (why)
        *why = g_strdup ("flexible tensor header has a dimension after the "
            "terminating 0");
      return FALSE;
    }
  }
  for (i = 2; i < rank; i++) {
    if (d[i] != 1) {
      if (why)
        *why = g_strdup_printf ("flexible tensor dimension %u is %u; only "
            "D:T tensors (further dims 1) are supported", i, d[i]);
      return FALSE;
    }
  }
  if (rank == 0 || d[0] > G_MAXINT32 || (rank > 1 && d[1] > G_MAXINT32)) {
    if (why)
      *why = g_strdup ("flexible tensor header has no or absurd dimensions");
    return FALSE;
  }
  fmt = rd32 (hdr + 12 + 4 * GST_SEQ_TENSOR_RANK_LIMIT);
  if (fmt == 2) {
    if (why)
      *why = g_strdup ("sparse tensors are not supported");
    return FALSE;
  }
  *type = (GstSeqTensorType) t;
  *dim = d[0];
  *frames = rank > 1 ? d[1] : (size > GST_SEQ_TENSOR_HEADER_SIZE ? 1 : 0);
  return TRUE;
}

gboolean
gst_seq_tensor_view_map (GstSeqTensorView * view, GstBuffer * buf,
    const GstSeqTensorCaps * caps, gchar ** why)
{
  gsize esize, payload, need;
  guint dim = caps->dim, frames = caps->frames;
  GstSeqTensorType type = caps->type;
  const guint8 *data;

  memset (view, 0, sizeof (*view));
  if (!gst_buffer_map (buf, &view->map, GST_MAP_READ)) {
    if (why)
      *why = g_strdup ("could not map the input buffer");
    return FALSE;
  }
  data = view->map.data;
  payload = view->map.size;

  if (caps->format == GST_SEQ_TENSOR_FORMAT_FLEXIBLE) {
    GstSeqTensorType htype;
    guint hdim, hframes;
    if (!gst_seq_tensor_header_parse (data, payload, &htype, &hdim, &hframes, why))
      goto fail;
    if (type != GST_SEQ_TENSOR_TYPE_UNKNOWN && htype != type) {
      if (why)
        *why = g_strdup_printf ("flexible header type %s differs from caps "
            "type %s", gst_seq_tensor_type_name (htype),
            gst_seq_tensor_type_name (type));
      goto fail;
    }
    if (dim != 0 && hdim != dim) {
      if (why)
        *why = g_strdup_printf ("flexible header width %u differs from caps "
            "width %u", hdim, dim);
      goto fail;
    }
    type = htype;
    dim = hdim;
    frames = hframes;
    data += GST_SEQ_TENSOR_HEADER_SIZE;
    payload -= GST_SEQ_TENSOR_HEADER_SIZE;
  }
  esize = gst_seq_tensor_type_size (type);
  if (esize == 0 || !g_size_checked_mul (&need, (gsize) dim, frames) ||
      !g_size_checked_mul (&need, need, esize) || need != payload) {
    if (why)
      *why = g_strdup_printf ("tensor buffer holds %" G_GSIZE_FORMAT
          " bytes of data, expected %u x %u values of %" G_GSIZE_FORMAT
          " bytes", payload, frames, dim, esize);
    goto fail;
  }
  view->buffer = buf;
  view->data = data;
  view->dim = dim;
  view->frames = frames;
  view->type = type;
  return TRUE;

fail:
  gst_buffer_unmap (buf, &view->map);
  memset (view, 0, sizeof (*view));
  return FALSE;
}

void
gst_seq_tensor_view_unmap (GstSeqTensorView * view)
{
  if (view->buffer != NULL)
    gst_buffer_unmap (view->buffer, &view->map);
  memset (view, 0, sizeof (*view));
}

GstBuffer *
gst_seq_tensor_buffer_new (const GstSeqTensorCaps * caps, guint frames,
    GstMapInfo * map, guint8 ** data)
{
  gsize esize = gst_seq_tensor_type_size (caps->type);
  gsize bytes, hdr = caps->format == GST_SEQ_TENSOR_FORMAT_FLEXIBLE ?
      GST_SEQ_TENSOR_HEADER_SIZE : 0;
  GstBuffer *buf;

  g_return_val_if_fail (esize > 0 && caps->dim > 0, NULL);
  if (!g_size_checked_mul (&bytes, (gsize) caps->dim, frames) ||
      !g_size_checked_mul (&bytes, bytes, esize) ||
      !g_size_checked_add (&bytes, bytes, hdr))
    return NULL;
  buf = gst_buffer_new_allocate (NULL, bytes, NULL);
  if (buf == NULL)
    return NULL;
  if (!gst_buffer_map (buf, map, GST_MAP_WRITE)) {
    gst_buffer_unref (buf);
    return NULL;
  }
  if (hdr > 0)
    gst_seq_tensor_header_write (map->data, caps->type, caps->dim, frames);
  *data = map->data + hdr;
  return buf;
}

GstEvent *
gst_seq_reset_event_new (void)
{
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
      gst_structure_new_empty (GST_SEQ_RESET_EVENT_NAME));
}

gboolean
gst_seq_event_is_reset (GstEvent * event)
{
  return GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM
      && gst_event_has_name (event, GST_SEQ_RESET_EVENT_NAME);
}

gboolean
gst_seq_event_wants_reset (GstEvent * event, guint flags)
{
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_STOP:
      return (flags & GST_SEQ_RESET_ON_FLUSH) != 0;
    case GST_EVENT_STREAM_START:
      return (flags & GST_SEQ_RESET_ON_STREAM_START) != 0;
    case GST_EVENT_CUSTOM_DOWNSTREAM:
      return (flags & GST_SEQ_RESET_ON_EVENT) != 0 && gst_seq_event_is_reset (event);
    default:
      return FALSE;
  }
}

GType
gst_seq_reset_on_get_type (void)
{
  static GType type = 0;
  static const GFlagsValue values[] = {
    {GST_SEQ_RESET_ON_FLUSH, "Reset on FLUSH_STOP", "flush"},
    {GST_SEQ_RESET_ON_STREAM_START, "Reset on a new STREAM_START", "stream-start"},
    {GST_SEQ_RESET_ON_EVENT, "Reset on the seqenc-reset custom event", "event"},
    {GST_SEQ_RESET_ON_DISCONT, "Reset on a DISCONT buffer", "discont"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_flags_register_static ("GstSeqResetOn", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

gchar *
gst_seq_tensor_upstream_name (GstPad * sinkpad)
{
  GstPad *peer = gst_pad_get_peer (sinkpad);
  guint hops;

  for (hops = 0; peer != NULL && hops < 32; hops++) {
    GstElement *el = gst_pad_get_parent_element (peer);
    GstElementFactory *f = el ? gst_element_get_factory (el) : NULL;
    const gchar *fname = f ? GST_OBJECT_NAME (f) : "";
    GstPad *through = NULL;
    gchar *name;

    gst_object_unref (peer);
    peer = NULL;
    if (el == NULL)
      break;
    if (g_strcmp0 (fname, "capsfilter") == 0
        || g_strcmp0 (fname, "queue") == 0 || g_strcmp0 (fname, "queue2") == 0
        || g_strcmp0 (fname, "identity") == 0)
      through = gst_element_get_static_pad (el, "sink");
    if (through == NULL) {
      name = gst_object_get_name (GST_OBJECT (el));
      gst_object_unref (el);
      return name;
    }
    peer = gst_pad_get_peer (through);
    gst_object_unref (through);
    gst_object_unref (el);
  }
  if (peer)
    gst_object_unref (peer);
  return g_strdup ("upstream");
}
