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

#include "gstseqtensor.h"

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

/* ---- GstSeqStateKeeper: the reset-on, state-location and
 * checkpoint-interval properties of a stateful element, in one embedded
 * helper (in the style of GstFlowCombiner and GstAdapter).
 *
 * The element embeds a GstSeqStateKeeper, installs the three properties in
 * class_init with gst_seq_state_keeper_install_properties (three
 * consecutive property ids, reset-on first), initialises it in instance_init
 * with its save/restore callbacks, forwards set/get_property to it, and then
 * calls:
 *   - gst_seq_state_keeper_wants_reset () for events and DISCONT buffers;
 *   - gst_seq_state_keeper_restore () when its stream state is set up;
 *   - gst_seq_state_keeper_tick () with every unit of output (frames,
 *     tokens), which saves every checkpoint-interval units;
 *   - gst_seq_state_keeper_save () at EOS and at stop.
 * The properties are read under the object lock; the rest runs in the
 * streaming thread (or at state changes, when it is stopped). */

/* The element's state blob, or NULL when there is nothing to save now (not
 * configured yet, nothing changed since the last save). */
typedef GBytes *(*GstSeqStateSaveFunc) (gpointer user_data);

typedef struct {
  /*< private >*/
  GstElement *element;
  GstSeqStateSaveFunc save;
  GstSeqStateRestoreFunc restore;
  gpointer user_data;
  guint first_prop_id;
  guint reset_on;               /* GstSeqResetOn flags, object lock */
  gchar *location;              /* object lock */
  guint64 interval;             /* units between saves, object lock */
  guint64 since_checkpoint;     /* units since the last save */
} GstSeqStateKeeper;

/* Installs reset-on (@first_prop_id), state-location (+1) and
 * checkpoint-interval (+2). @unit names what is counted ("frames",
 * "tokens") in the blurb. */
void gst_seq_state_keeper_install_properties (GObjectClass * klass,
    guint first_prop_id, const gchar * unit);
void gst_seq_state_keeper_init (GstSeqStateKeeper * keeper,
    GstElement * element, guint first_prop_id, GstSeqStateSaveFunc save,
    GstSeqStateRestoreFunc restore, gpointer user_data);
void gst_seq_state_keeper_clear (GstSeqStateKeeper * keeper);
/* TRUE when @prop_id is one of the keeper's (and it was handled). */
gboolean gst_seq_state_keeper_set_property (GstSeqStateKeeper * keeper,
    guint prop_id, const GValue * value);
gboolean gst_seq_state_keeper_get_property (GstSeqStateKeeper * keeper,
    guint prop_id, GValue * value);

guint gst_seq_state_keeper_get_reset_on (GstSeqStateKeeper * keeper);
/* Whether @event asks for a reset under reset-on. */
gboolean gst_seq_state_keeper_wants_reset (GstSeqStateKeeper * keeper,
    GstEvent * event);
/* Whether a buffer flagged DISCONT resets under reset-on. */
gboolean gst_seq_state_keeper_resets_on_discont (GstSeqStateKeeper * keeper);

/* Restores from state-location, when set and the file exists (see
 * gst_seq_state_file_restore); restarts the checkpoint count. */
gboolean gst_seq_state_keeper_restore (GstSeqStateKeeper * keeper);
/* Saves to state-location, when set and there is a blob; restarts the
 * checkpoint count on success. */
gboolean gst_seq_state_keeper_save (GstSeqStateKeeper * keeper);
/* Counts @n units of output; saves when checkpoint-interval is reached.
 * FALSE when that save failed (the error is posted). */
gboolean gst_seq_state_keeper_tick (GstSeqStateKeeper * keeper, guint64 n);

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
