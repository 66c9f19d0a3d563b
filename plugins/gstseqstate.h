/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — the state-location file shared by every stateful element.
 *
 * A state file holds one state blob of the library (versioned and
 * checksummed by its component). It is written atomically: a temporary file
 * in the same folder, fsync, then rename over the old one, so a crash leaves
 * either the previous or the new checkpoint, never a torn one.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Writes @blob to @location. On failure posts RESOURCE WRITE on @element and
 * returns FALSE; a failure after a failure (the save at EOS, at stop) is
 * only logged, so that one unwritable location is one error. */
gboolean gst_seq_state_file_save (GstElement * element,
    const gchar * location, GBytes * blob);

/* Reads @location and hands the blob to @restore. Returns TRUE when the file
 * does not exist (nothing to restore) or @restore accepted it; otherwise
 * posts RESOURCE READ (unreadable) or STREAM WRONG_TYPE (@restore refused it,
 * with its message) and returns FALSE. */
typedef gboolean (*GstSeqStateRestoreFunc) (gpointer user_data, GBytes * blob,
    GError ** error);
gboolean gst_seq_state_file_restore (GstElement * element,
    const gchar * location, GstSeqStateRestoreFunc restore,
    gpointer user_data);

/* The element's string property @location copied under the object lock,
 * NULL when unset or empty. */
gchar *gst_seq_state_dup_location (GstElement * element,
    gchar * const *location);

/* One rule for every element: a property whose spec says it takes effect
 * only in NULL or READY (GST_PARAM_MUTABLE_READY) is refused above READY,
 * with a warning in the debug log; returns TRUE when refused (the caller's
 * set_property returns at once). Call it first in set_property. */
gboolean gst_seq_refuse_unless_ready (GstElement * element,
    const GParamSpec * pspec);

/* The valid range of an integer property whose GParamSpec admits every
 * value of its type, so that an absurd value (hidden-size=0) reaches the
 * element and is refused with an error at start instead of a GObject
 * warning that leaves the default in force. */
typedef struct {
  const gchar *name;            /* property name; NULL ends a table */
  guint64 min, max;
} GstSeqPropRange;

/* Checks the current values of @ranges' properties (guint, gint, guint64 or
 * gint64); posts LIBRARY SETTINGS naming the first out-of-range one with its
 * valid range and returns FALSE. */
gboolean gst_seq_check_prop_ranges (GstElement * element,
    const GstSeqPropRange * ranges);

G_END_DECLS
