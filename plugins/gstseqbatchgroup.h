/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — the batch groups of the recurrent elements (seqlstm,
 * seqgru): the one process-wide registry of the plugin. Elements that name
 * the same group (with the same cell, model and settings) share one model
 * and one SeqBatcher (seqenc/batcher.h), which runs their frames in
 * batched steps.
 *
 * Thread safety: every function may be called from any thread; the registry
 * has its own lock. A GstSeqBatchGroup handle belongs to the element that
 * joined. */
#pragma once

#include <gst/gst.h>
#include <seqenc/batcher.h>

G_BEGIN_DECLS

typedef struct _GstSeqBatchGroup GstSeqBatchGroup;

/* Builds the group's model when the first member has none yet (a built-in
 * model made for the negotiated width): a new reference, or NULL with an
 * element error posted. */
typedef gpointer (*GstSeqBatchGroupModelFunc) (gpointer user_data);

/* A new reference to the model of the running group @name when it runs
 * @iface's cell, else NULL (the element then loads its own). */
gpointer gst_seq_batch_group_ref_model (const gchar * name,
    const SeqRecurrentIface * iface);

/* Joins the group @name, creating it (and its batcher, with @params) when
 * it does not run yet. @key: the settings that must match between members
 * (the cell is added to it). @model: the element's model, or NULL to have
 * @make_model build it (once per group). On success *@shared is a new
 * reference to the group's model, which the element uses from then on.
 * NULL with an element error posted on @element when the group runs other
 * settings or cannot be created. */
GstSeqBatchGroup *gst_seq_batch_group_join (GstElement * element,
    const gchar * name, const gchar * key, const SeqRecurrentIface * iface,
    const SeqBatcherParams * params, gpointer model,
    GstSeqBatchGroupModelFunc make_model, gpointer user_data,
    gpointer * shared);
/* Leaves @stream (NULL: none) and the group; the last member shuts the
 * group down. NULL @group: no-op. */
void gst_seq_batch_group_leave (GstSeqBatchGroup * group,
    SeqBatcherStream * stream, GstElement * element);
SeqBatcher *gst_seq_batch_group_get_batcher (GstSeqBatchGroup * group);

G_END_DECLS
