/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — GstSeqFrameFilter, base of the frames-in, frames-out
 * elements. See gstseqframefilter.h. */
#include "gstseqframefilter.h"
#include "gstseqstate.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_seq_frame_filter_debug);
#define GST_CAT_DEFAULT gst_seq_frame_filter_debug

enum
{
  PROP_0,
  PROP_RESET_ON,                /* and the keeper's next two */
};

typedef struct
{
  GstSeqStateKeeper keeper;     /* reset-on, state-location, checkpoints */

  /* streaming thread only */
  GstSeqTensorCaps in_caps;
  GstSeqTensorCaps out_caps;
  gboolean have_caps;
  gboolean configured;          /* setup() ran for in_caps.dim */
  guint in_dim, out_dim;        /* widths in force, 0 until known */
  guint64 frames_since_reset;
} GstSeqFrameFilterPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (GstSeqFrameFilter, gst_seq_frame_filter,
    GST_TYPE_BASE_TRANSFORM, G_ADD_PRIVATE (GstSeqFrameFilter)
    GST_DEBUG_CATEGORY_INIT (gst_seq_frame_filter_debug, "seqframefilter", 0,
        "seqenc frame filter base"));

#define PRIV(self) \
  ((GstSeqFrameFilterPrivate *) gst_seq_frame_filter_get_instance_private (self))

static void
gst_seq_frame_filter_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSeqFrameFilter *self = GST_SEQ_FRAME_FILTER (object);

  if (gst_seq_refuse_unless_ready (GST_ELEMENT (object), pspec))
    return;
  if (!gst_seq_state_keeper_set_property (&PRIV (self)->keeper, prop_id,
          value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
gst_seq_frame_filter_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstSeqFrameFilter *self = GST_SEQ_FRAME_FILTER (object);

  if (!gst_seq_state_keeper_get_property (&PRIV (self)->keeper, prop_id,
          value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

/* The keeper's save callback: the subclass's blob, once configured. */
static GBytes *
save_blob (gpointer data)
{
  GstSeqFrameFilter *self = data;
  GstSeqFrameFilterClass *klass = GST_SEQ_FRAME_FILTER_GET_CLASS (self);

  if (!PRIV (self)->configured || klass->save_state == NULL)
    return NULL;
  return klass->save_state (self);
}

static gboolean
restore_blob (gpointer self, GBytes * blob, GError ** error)
{
  GstSeqFrameFilterClass *klass = GST_SEQ_FRAME_FILTER_GET_CLASS (self);

  if (klass->restore_state == NULL)
    return TRUE;
  return klass->restore_state (self, blob, error);
}

void
gst_seq_frame_filter_reset (GstSeqFrameFilter * self)
{
  GstSeqFrameFilterClass *klass = GST_SEQ_FRAME_FILTER_GET_CLASS (self);
  GstSeqFrameFilterPrivate *priv = PRIV (self);

  if (priv->frames_since_reset == 0)
    return;
  GST_DEBUG_OBJECT (self, "reset after %" G_GUINT64_FORMAT " frames",
      priv->frames_since_reset);
  if (priv->configured && klass->reset)
    klass->reset (self);
  priv->frames_since_reset = 0;
}

/* Rewrites one caps structure for the other side: types, and the width in
 * dimensions mapped through out_dim/in_dim. FALSE when impossible. */
static gboolean
transform_structure (GstSeqFrameFilter * self, GstPadDirection direction,
    GstStructure * s)
{
  GstSeqFrameFilterClass *klass = GST_SEQ_FRAME_FILTER_GET_CLASS (self);
  GstSeqTensorType type = direction == GST_PAD_SINK ? klass->out_type :
      klass->in_type;
  const gchar *dims = gst_structure_get_string (s, "dimensions");
  guint d = 0;
  gchar *rest = NULL;
  gint mapped;

  gst_structure_set (s, "types", G_TYPE_STRING, gst_seq_tensor_type_name (type),
      NULL);
  gst_structure_remove_field (s, "type");
  gst_structure_remove_field (s, "dimension");

  if (dims != NULL) {
    gchar *end = NULL;
    guint64 v = g_ascii_strtoull (dims, &end, 10);
    if (end != dims && v > 0 && v <= G_MAXINT32) {
      d = (guint) v;
      rest = g_strdup (end);    /* ":T..." or "" */
    }
  }
  mapped = direction == GST_PAD_SINK ?
      (klass->out_dim ? klass->out_dim (self, d) : (gint) d) :
      (klass->in_dim ? klass->in_dim (self, d) : (gint) d);
  if (mapped < 0 && direction == GST_PAD_SRC) {
    g_free (rest);
    return FALSE;
  }
  /* A width is only written where the other side gave one: "D" alone would
   * never intersect a static "D:T", and T is not ours to choose. An
   * impossible input width is let through without dimensions, so that
   * set_caps can say which widths and elements disagree instead of the
   * source reporting a bare not-negotiated. */
  if (mapped > 0 && d > 0) {
    gchar *nd = g_strdup_printf ("%d%s", mapped, rest ? rest : "");
    gst_structure_set (s, "dimensions", G_TYPE_STRING, nd, NULL);
    g_free (nd);
  } else {
    gst_structure_remove_field (s, "dimensions");
  }
  g_free (rest);
  return TRUE;
}

static GstCaps *
gst_seq_frame_filter_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter)
{
  GstSeqFrameFilter *self = GST_SEQ_FRAME_FILTER (trans);
  GstCaps *res = gst_caps_new_empty ();
  guint i, n = gst_caps_get_size (caps);

  for (i = 0; i < n; i++) {
    GstStructure *s = gst_structure_copy (gst_caps_get_structure (caps, i));
    if (transform_structure (self, direction, s))
      gst_caps_append_structure (res, s);
    else
      gst_structure_free (s);
  }
  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, res,
        GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (res);
    res = tmp;
  }
  GST_DEBUG_OBJECT (self, "%s %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
      direction == GST_PAD_SINK ? "sink" : "src", caps, res);
  return res;
}

/* Posts CORE NEGOTIATION: frames of @in_dim values cannot be processed,
 * naming this element, the width it takes and the element upstream that
 * sends them. */
static void
post_width_error (GstSeqFrameFilter * self, guint in_dim)
{
  GstSeqFrameFilterClass *klass = GST_SEQ_FRAME_FILTER_GET_CLASS (self);
  gint want = klass->in_dim ? klass->in_dim (self, 0) : 0;
  gchar *from = gst_seq_tensor_upstream_name (GST_BASE_TRANSFORM_SINK_PAD
      (self));

  if (want > 0)
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("%s takes frames of %d values, but %s sends frames of %u values",
            GST_OBJECT_NAME (self), want, from, in_dim),
        ("input width %u from %s, expected %d", in_dim, from, want));
  else
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("%s cannot process the frames of %u values that %s sends, with "
            "its current settings", GST_OBJECT_NAME (self), in_dim, from),
        ("input width %u from %s", in_dim, from));
  g_free (from);
}

static gboolean
configure (GstSeqFrameFilter * self, guint in_dim)
{
  GstSeqFrameFilterClass *klass = GST_SEQ_FRAME_FILTER_GET_CLASS (self);
  GstSeqFrameFilterPrivate *priv = PRIV (self);
  gint out = klass->out_dim ? klass->out_dim (self, in_dim) : (gint) in_dim;

  if (out <= 0) {
    post_width_error (self, in_dim);
    return FALSE;
  }
  if (priv->out_caps.dim != 0 && priv->out_caps.dim != (guint) out) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("output width %u in caps, but input width %u gives %d",
            priv->out_caps.dim, in_dim, out));
    return FALSE;
  }
  if (klass->teardown && priv->configured)
    klass->teardown (self);
  priv->configured = FALSE;
  if (klass->setup && !klass->setup (self, in_dim, (guint) out))
    return FALSE;
  priv->in_dim = in_dim;
  priv->out_dim = (guint) out;
  priv->configured = TRUE;
  priv->frames_since_reset = 0;
  if (!gst_seq_state_keeper_restore (&priv->keeper)) {
    if (klass->teardown)
      klass->teardown (self);
    priv->configured = FALSE;
    return FALSE;
  }
  GST_INFO_OBJECT (self, "configured for %u -> %u values per frame", in_dim,
      out);
  return TRUE;
}

static gboolean
gst_seq_frame_filter_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstSeqFrameFilter *self = GST_SEQ_FRAME_FILTER (trans);
  GstSeqFrameFilterClass *klass = GST_SEQ_FRAME_FILTER_GET_CLASS (self);
  GstSeqFrameFilterPrivate *priv = PRIV (self);
  GstSeqTensorCaps in, out;
  gchar *why = NULL;

  if (!gst_seq_tensor_caps_parse (incaps, &in, &why))
    goto bad_caps;
  /* the input width first: an impossible one was let through transform_caps
   * without dimensions so that it is reported here, by name */
  if (in.dim != 0 && klass->out_dim && klass->out_dim (self, in.dim) <= 0) {
    post_width_error (self, in.dim);
    return FALSE;
  }
  if (!gst_seq_tensor_caps_parse (outcaps, &out, &why))
    goto bad_caps;
  if (in.type == GST_SEQ_TENSOR_TYPE_UNKNOWN)
    in.type = klass->in_type;
  if (out.type == GST_SEQ_TENSOR_TYPE_UNKNOWN)
    out.type = klass->out_type;
  if (in.type != klass->in_type || out.type != klass->out_type) {
    why = g_strdup_printf ("expected %s in and %s out",
        gst_seq_tensor_type_name (klass->in_type),
        gst_seq_tensor_type_name (klass->out_type));
    goto bad_caps;
  }
  if (in.format != out.format || in.frames != out.frames) {
    why = g_strdup ("input and output must have the same format and frames "
        "per buffer");
    goto bad_caps;
  }

  /* commit only now */
  priv->in_caps = in;
  priv->out_caps = out;
  priv->have_caps = TRUE;

  if (in.dim != 0) {
    if (priv->configured && priv->in_dim == in.dim)
      return TRUE;              /* e.g. a framerate change: keep the state */
    return configure (self, in.dim);
  }
  if (priv->configured && klass->teardown)
    klass->teardown (self);
  priv->configured = FALSE;     /* flexible without width: at first buffer */
  return TRUE;

  /* ERRORS */
bad_caps:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("unsupported caps %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT ": %s",
            incaps, outcaps, why));
    g_free (why);
    return FALSE;
  }
}

static GstFlowReturn
gst_seq_frame_filter_prepare_output_buffer (GstBaseTransform * trans,
    GstBuffer * inbuf, GstBuffer ** outbuf)
{
  GstSeqFrameFilter *self = GST_SEQ_FRAME_FILTER (trans);
  GstSeqFrameFilterClass *klass = GST_SEQ_FRAME_FILTER_GET_CLASS (self);
  GstSeqFrameFilterPrivate *priv = PRIV (self);
  GstSeqTensorView view;
  GstSeqTensorCaps oc;
  GstMapInfo omap;
  guint8 *odata;
  gchar *why = NULL;
  GstFlowReturn ret = GST_FLOW_OK;
  guint frames;

  if (!priv->have_caps)
    goto not_negotiated;
  if (!gst_seq_tensor_view_map (&view, inbuf, &priv->in_caps, &why))
    goto bad_buffer;

  if (!priv->configured || view.dim != priv->in_dim) {
    if (priv->configured) {
      gst_seq_tensor_view_unmap (&view);
      why = g_strdup_printf ("frame width changed from %u to %u mid-stream",
          priv->in_dim, view.dim);
      goto bad_buffer;
    }
    if (!configure (self, view.dim)) {
      gst_seq_tensor_view_unmap (&view);
      return GST_FLOW_NOT_NEGOTIATED;
    }
  }

  if (GST_BUFFER_IS_DISCONT (inbuf)
      && gst_seq_state_keeper_resets_on_discont (&priv->keeper))
    gst_seq_frame_filter_reset (self);

  oc = priv->out_caps;
  oc.dim = priv->out_dim;
  oc.type = klass->out_type;
  *outbuf = gst_seq_tensor_buffer_new (&oc, view.frames, &omap, &odata);
  if (*outbuf == NULL) {
    gst_seq_tensor_view_unmap (&view);
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT, (NULL),
        ("could not allocate an output buffer of %u frames", view.frames));
    return GST_FLOW_ERROR;
  }
  frames = view.frames;
  ret = klass->process (self, view.data, odata, frames);
  priv->frames_since_reset += frames;
  gst_buffer_unmap (*outbuf, &omap);
  gst_seq_tensor_view_unmap (&view);

  gst_buffer_copy_into (*outbuf, inbuf,
      GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  if (ret == GST_FLOW_OK
      && !gst_seq_state_keeper_tick (&priv->keeper, frames))
    ret = GST_FLOW_ERROR;
  if (ret != GST_FLOW_OK)
    gst_clear_buffer (outbuf);
  return ret;

  /* ERRORS */
not_negotiated:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("received a buffer before caps"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
bad_buffer:
  {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, (NULL), ("%s", why));
    g_free (why);
    return GST_FLOW_ERROR;
  }
}

/* The work is done in prepare_output_buffer (it needs the input's frame
 * count to size the output); nothing is left to do here. */
static GstFlowReturn
gst_seq_frame_filter_transform (GstBaseTransform * trans, GstBuffer * inbuf,
    GstBuffer * outbuf)
{
  return GST_FLOW_OK;
}

static gboolean
gst_seq_frame_filter_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstSeqFrameFilter *self = GST_SEQ_FRAME_FILTER (trans);

  if (gst_seq_state_keeper_wants_reset (&PRIV (self)->keeper, event))
    gst_seq_frame_filter_reset (self);
  else if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
    gst_seq_state_keeper_save (&PRIV (self)->keeper);
  return GST_BASE_TRANSFORM_CLASS (gst_seq_frame_filter_parent_class)->sink_event
      (trans, event);
}

static gboolean
gst_seq_frame_filter_stop (GstBaseTransform * trans)
{
  GstSeqFrameFilter *self = GST_SEQ_FRAME_FILTER (trans);
  GstSeqFrameFilterClass *klass = GST_SEQ_FRAME_FILTER_GET_CLASS (self);
  GstSeqFrameFilterPrivate *priv = PRIV (self);

  gst_seq_state_keeper_save (&priv->keeper);
  if (priv->configured && klass->teardown)
    klass->teardown (self);
  priv->configured = FALSE;
  priv->have_caps = FALSE;
  priv->in_dim = priv->out_dim = 0;
  priv->frames_since_reset = 0;
  memset (&priv->in_caps, 0, sizeof (priv->in_caps));
  memset (&priv->out_caps, 0, sizeof (priv->out_caps));
  return TRUE;
}

static GstStateChangeReturn
gst_seq_frame_filter_change_state (GstElement * element,
    GstStateChange transition)
{
  GstSeqFrameFilter *self = GST_SEQ_FRAME_FILTER (element);
  GstSeqFrameFilterClass *klass = GST_SEQ_FRAME_FILTER_GET_CLASS (self);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_NULL_TO_READY
      && (!gst_seq_check_prop_ranges (element, klass->prop_ranges)
          || (klass->open && !klass->open (self))))
    return GST_STATE_CHANGE_FAILURE;

  ret = GST_ELEMENT_CLASS (gst_seq_frame_filter_parent_class)->change_state
      (element, transition);

  if ((transition == GST_STATE_CHANGE_READY_TO_NULL
          || (transition == GST_STATE_CHANGE_NULL_TO_READY
              && ret == GST_STATE_CHANGE_FAILURE)) && klass->close)
    klass->close (self);
  return ret;
}

static void gst_seq_frame_filter_finalize (GObject * object);

static void
gst_seq_frame_filter_class_init (GstSeqFrameFilterClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  gobject_class->set_property = gst_seq_frame_filter_set_property;
  gobject_class->get_property = gst_seq_frame_filter_get_property;
  gobject_class->finalize = gst_seq_frame_filter_finalize;

  /* reset-on, state-location (elements with save_state/restore_state:
   * seqposenc, seqlstm...), checkpoint-interval: see gstseqstate.h */
  gst_seq_state_keeper_install_properties (gobject_class, PROP_RESET_ON,
      "frames");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_seq_frame_filter_change_state);
  trans_class->transform_caps =
      GST_DEBUG_FUNCPTR (gst_seq_frame_filter_transform_caps);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_seq_frame_filter_set_caps);
  trans_class->prepare_output_buffer =
      GST_DEBUG_FUNCPTR (gst_seq_frame_filter_prepare_output_buffer);
  trans_class->transform = GST_DEBUG_FUNCPTR (gst_seq_frame_filter_transform);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_seq_frame_filter_sink_event);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_seq_frame_filter_stop);
  trans_class->passthrough_on_same_caps = FALSE;
  trans_class->transform_ip_on_passthrough = FALSE;

  klass->in_type = GST_SEQ_TENSOR_TYPE_FLOAT32;
  klass->out_type = GST_SEQ_TENSOR_TYPE_FLOAT32;

  gst_type_mark_as_plugin_api (GST_TYPE_SEQ_RESET_ON, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_SEQ_FRAME_FILTER, 0);
}

static void
gst_seq_frame_filter_init (GstSeqFrameFilter * self)
{
  gst_seq_state_keeper_init (&PRIV (self)->keeper, GST_ELEMENT (self),
      PROP_RESET_ON, save_blob, restore_blob, self);
}

static void
gst_seq_frame_filter_finalize (GObject * object)
{
  gst_seq_state_keeper_clear (&PRIV (GST_SEQ_FRAME_FILTER (object))->keeper);
  G_OBJECT_CLASS (gst_seq_frame_filter_parent_class)->finalize (object);
}
