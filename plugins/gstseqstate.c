/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — the state-location file. See gstseqstate.h. */
#include "gstseqstate.h"

#include <string.h>

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

/* ---- GstSeqStateKeeper ---- */

#define DEFAULT_RESET_ON GST_SEQ_RESET_ON_DEFAULT

void
gst_seq_state_keeper_install_properties (GObjectClass * klass,
    guint first_prop_id, const gchar * unit)
{
  gchar *blurb = g_strdup_printf ("Save the state every this many %s "
      "(0: at EOS and stop only)", unit);

  /* reset-on: which stream events reset the element's state to t = 0:
   * FLUSH_STOP, a new STREAM_START, the seqenc-reset custom downstream
   * event, buffers flagged DISCONT. */
  g_object_class_install_property (klass, first_prop_id,
      g_param_spec_flags ("reset-on", "Reset on",
          "Events that reset the stream state", GST_TYPE_SEQ_RESET_ON,
          DEFAULT_RESET_ON, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /* state-location: restored from it when the stream starts, if it exists;
   * saved atomically at EOS, at stop and every checkpoint-interval units;
   * a state of another model or other settings is refused. */
  g_object_class_install_property (klass, first_prop_id + 1,
      g_param_spec_string ("state-location", "State location",
          "File the stream state is restored from and saved to", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /* checkpoint-interval: a crash loses at most this many units of state. */
  g_object_class_install_property (klass, first_prop_id + 2,
      g_param_spec_uint64 ("checkpoint-interval", "Checkpoint interval",
          g_intern_string (blurb), 0, G_MAXUINT64, 0, G_PARAM_READWRITE |
          G_PARAM_STATIC_NAME | G_PARAM_STATIC_NICK |
          GST_PARAM_MUTABLE_PLAYING));
  g_free (blurb);
}

void
gst_seq_state_keeper_init (GstSeqStateKeeper * keeper, GstElement * element,
    guint first_prop_id, GstSeqStateSaveFunc save,
    GstSeqStateRestoreFunc restore, gpointer user_data)
{
  memset (keeper, 0, sizeof (*keeper));
  keeper->element = element;
  keeper->first_prop_id = first_prop_id;
  keeper->save = save;
  keeper->restore = restore;
  keeper->user_data = user_data;
  keeper->reset_on = DEFAULT_RESET_ON;
}

void
gst_seq_state_keeper_clear (GstSeqStateKeeper * keeper)
{
  g_clear_pointer (&keeper->location, g_free);
}

gboolean
gst_seq_state_keeper_set_property (GstSeqStateKeeper * k, guint prop_id,
    const GValue * value)
{
  if (prop_id < k->first_prop_id || prop_id > k->first_prop_id + 2)
    return FALSE;
  GST_OBJECT_LOCK (k->element);
  if (prop_id == k->first_prop_id)
    k->reset_on = g_value_get_flags (value);
  else if (prop_id == k->first_prop_id + 1) {
    g_free (k->location);
    k->location = g_value_dup_string (value);
  } else
    k->interval = g_value_get_uint64 (value);
  GST_OBJECT_UNLOCK (k->element);
  return TRUE;
}

gboolean
gst_seq_state_keeper_get_property (GstSeqStateKeeper * k, guint prop_id,
    GValue * value)
{
  if (prop_id < k->first_prop_id || prop_id > k->first_prop_id + 2)
    return FALSE;
  GST_OBJECT_LOCK (k->element);
  if (prop_id == k->first_prop_id)
    g_value_set_flags (value, k->reset_on);
  else if (prop_id == k->first_prop_id + 1)
    g_value_set_string (value, k->location);
  else
    g_value_set_uint64 (value, k->interval);
  GST_OBJECT_UNLOCK (k->element);
  return TRUE;
}

guint
gst_seq_state_keeper_get_reset_on (GstSeqStateKeeper * k)
{
  guint flags;

  GST_OBJECT_LOCK (k->element);
  flags = k->reset_on;
  GST_OBJECT_UNLOCK (k->element);
  return flags;
}

gboolean
gst_seq_state_keeper_wants_reset (GstSeqStateKeeper * k, GstEvent * event)
{
  return gst_seq_event_wants_reset (event,
      gst_seq_state_keeper_get_reset_on (k));
}

gboolean
gst_seq_state_keeper_resets_on_discont (GstSeqStateKeeper * k)
{
  return (gst_seq_state_keeper_get_reset_on (k) & GST_SEQ_RESET_ON_DISCONT)
      != 0;
}

/* state-location copied under the object lock; NULL when unset or empty */
static gchar *
dup_location (GstSeqStateKeeper * k)
{
  gchar *loc;

  GST_OBJECT_LOCK (k->element);
  loc = k->location && *k->location ? g_strdup (k->location) : NULL;
  GST_OBJECT_UNLOCK (k->element);
  return loc;
}

gboolean
gst_seq_state_keeper_restore (GstSeqStateKeeper * k)
{
  gchar *loc;
  gboolean ok = TRUE;

  k->since_checkpoint = 0;
  if (k->restore == NULL || (loc = dup_location (k)) == NULL)
    return TRUE;
  ok = gst_seq_state_file_restore (k->element, loc, k->restore, k->user_data);
  g_free (loc);
  return ok;
}

gboolean
gst_seq_state_keeper_save (GstSeqStateKeeper * k)
{
  gchar *loc;
  GBytes *blob;
  gboolean ok;

  if (k->save == NULL || (loc = dup_location (k)) == NULL)
    return TRUE;
  blob = k->save (k->user_data);
  if (blob == NULL) {
    g_free (loc);
    return TRUE;
  }
  ok = gst_seq_state_file_save (k->element, loc, blob);
  if (ok)
    k->since_checkpoint = 0;
  g_bytes_unref (blob);
  g_free (loc);
  return ok;
}

gboolean
gst_seq_state_keeper_tick (GstSeqStateKeeper * k, guint64 n)
{
  guint64 interval;

  k->since_checkpoint += n;
  GST_OBJECT_LOCK (k->element);
  interval = k->interval;
  GST_OBJECT_UNLOCK (k->element);
  if (interval == 0 || k->since_checkpoint < interval)
    return TRUE;
  return gst_seq_state_keeper_save (k);
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
