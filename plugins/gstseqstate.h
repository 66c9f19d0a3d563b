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

G_END_DECLS
