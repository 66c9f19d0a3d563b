/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — the state-location file. See gstseqstate.h. */
#include "gstseqstate.h"

GST_DEBUG_CATEGORY_STATIC (gst_seq_state_debug);
#define GST_CAT_DEFAULT gst_seq_state_debug

static void
init_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_seq_state_debug, "seqstate", 0,
        "seqenc state files");
    g_once_init_leave (&done, 1);
  }
}

/* Set on an element whose last save failed (its error is posted once, not
 * again at EOS and at stop); cleared by a successful save or a restore. */
#define SAVE_FAILED_KEY "gst-seq-state-save-failed"

gboolean
gst_seq_state_file_save (GstElement * element, const gchar * location,
    GBytes * blob)
{
  GError *err = NULL;

  init_debug ();
  if (!g_file_set_contents_full (location, g_bytes_get_data (blob, NULL),
          g_bytes_get_size (blob), G_FILE_SET_CONTENTS_CONSISTENT |
          G_FILE_SET_CONTENTS_DURABLE, 0644, &err)) {
    if (g_object_get_data (G_OBJECT (element), SAVE_FAILED_KEY) == NULL)
      GST_ELEMENT_ERROR (element, RESOURCE, WRITE,
          ("Could not save the stream state to \"%s\".", location),
          ("%s", err->message));
    else
      GST_WARNING_OBJECT (element, "saving the state to %s failed again: %s",
          location, err->message);
    g_object_set_data (G_OBJECT (element), SAVE_FAILED_KEY,
        GINT_TO_POINTER (1));
    g_clear_error (&err);
    return FALSE;
  }
  g_object_set_data (G_OBJECT (element), SAVE_FAILED_KEY, NULL);
  GST_DEBUG_OBJECT (element, "state saved to %s (%" G_GSIZE_FORMAT " bytes)",
      location, g_bytes_get_size (blob));
  return TRUE;
}

gboolean
gst_seq_state_file_restore (GstElement * element, const gchar * location,
    GstSeqStateRestoreFunc restore, gpointer user_data)
{
  gchar *data = NULL;
  gsize len = 0;
  GBytes *blob;
  GError *err = NULL;
  gboolean ok;

  init_debug ();
  g_object_set_data (G_OBJECT (element), SAVE_FAILED_KEY, NULL);
  if (!g_file_get_contents (location, &data, &len, &err)) {
    if (g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
      GST_INFO_OBJECT (element, "no state at %s yet: starting at t = 0",
          location);
      g_clear_error (&err);
      return TRUE;
    }
    GST_ELEMENT_ERROR (element, RESOURCE, READ,
        ("Could not read the stream state \"%s\".", location),
        ("%s", err->message));
    g_clear_error (&err);
    return FALSE;
  }
  blob = g_bytes_new_take (data, len);
  ok = restore (user_data, blob, &err);
  if (!ok) {
    GST_ELEMENT_ERROR (element, STREAM, WRONG_TYPE,
        ("The stream state \"%s\" does not fit this element.", location),
        ("%s", err ? err->message : "refused"));
    g_clear_error (&err);
  } else {
    GST_INFO_OBJECT (element, "state restored from %s", location);
  }
  g_bytes_unref (blob);
  return ok;
}

gchar *
gst_seq_state_dup_location (GstElement * element, gchar * const *location)
{
  gchar *loc;

  GST_OBJECT_LOCK (element);
  loc = g_strdup (*location);
  GST_OBJECT_UNLOCK (element);
  if (loc != NULL && *loc == '\0')
    g_clear_pointer (&loc, g_free);
  return loc;
}

gboolean
gst_seq_refuse_unless_ready (GstElement * element, const GParamSpec * pspec)
{
  GstState state;

  if (!(pspec->flags & GST_PARAM_MUTABLE_READY))
    return FALSE;
  GST_OBJECT_LOCK (element);
  state = MAX (GST_STATE (element), GST_STATE_PENDING (element));
  GST_OBJECT_UNLOCK (element);
  if (state <= GST_STATE_READY)
    return FALSE;
  init_debug ();
  GST_WARNING_OBJECT (element, "'%s' can only be changed in NULL or READY; "
      "ignored", pspec->name);
  return TRUE;
}

gboolean
gst_seq_check_prop_ranges (GstElement * element,
    const GstSeqPropRange * ranges)
{
  for (; ranges && ranges->name; ranges++) {
    GParamSpec *ps = g_object_class_find_property (G_OBJECT_GET_CLASS
        (element), ranges->name);
    GValue v = G_VALUE_INIT;
    gboolean neg = FALSE;
    guint64 x = 0;

    g_return_val_if_fail (ps != NULL, FALSE);
    g_value_init (&v, ps->value_type);
    g_object_get_property (G_OBJECT (element), ranges->name, &v);
    if (G_VALUE_HOLDS_UINT (&v))
      x = g_value_get_uint (&v);
    else if (G_VALUE_HOLDS_UINT64 (&v))
      x = g_value_get_uint64 (&v);
    else if (G_VALUE_HOLDS_INT (&v)) {
      neg = g_value_get_int (&v) < 0;
      x = neg ? 0 : (guint64) g_value_get_int (&v);
    } else if (G_VALUE_HOLDS_INT64 (&v)) {
      neg = g_value_get_int64 (&v) < 0;
      x = neg ? 0 : (guint64) g_value_get_int64 (&v);
    } else
      g_return_val_if_reached (FALSE);
    g_value_unset (&v);
    if (neg || x < ranges->min || x > ranges->max) {
      GST_ELEMENT_ERROR (element, LIBRARY, SETTINGS,
          ("%s=%s%" G_GUINT64_FORMAT " is out of range: valid values are %"
              G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT ".", ranges->name,
              neg ? "-" : "", x, ranges->min, ranges->max), (NULL));
      return FALSE;
    }
  }
  return TRUE;
}
