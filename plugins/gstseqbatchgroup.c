/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — the batch groups of the recurrent elements (see
 * gstseqbatchgroup.h): name -> group, under one lock. */
#include "gstseqbatchgroup.h"

GST_DEBUG_CATEGORY_STATIC (seq_batch_group_debug);
#define GST_CAT_DEFAULT seq_batch_group_debug

struct _GstSeqBatchGroup
{
  gchar *name;
  gchar *key;                   /* cell, model and batching settings */
  const SeqRecurrentIface *iface;
  SeqBatcher *batcher;          /* holds the model */
  guint users;
};

static GMutex groups_lock;
static GHashTable *groups;      /* gchar* name -> GstSeqBatchGroup* */

static void
debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (seq_batch_group_debug, "seqbatchgroup", 0,
        "seqenc batch groups");
    g_once_init_leave (&done, 1);
  }
}

gpointer
gst_seq_batch_group_ref_model (const gchar * name,
    const SeqRecurrentIface * iface)
{
  GstSeqBatchGroup *g;
  gpointer model = NULL;

  g_return_val_if_fail (iface != NULL, NULL);
  if (name == NULL || *name == '\0')
    return NULL;
  g_mutex_lock (&groups_lock);
  g = groups ? g_hash_table_lookup (groups, name) : NULL;
  if (g != NULL && g->iface == iface)
    model = iface->model_ref (seq_batcher_get_model (g->batcher));
  g_mutex_unlock (&groups_lock);
  return model;
}

GstSeqBatchGroup *
gst_seq_batch_group_join (GstElement * element, const gchar * name,
    const gchar * key, const SeqRecurrentIface * iface,
    const SeqBatcherParams * params, gpointer model,
    GstSeqBatchGroupModelFunc make_model, gpointer user_data,
    gpointer * shared)
{
  gchar *full_key;
  GstSeqBatchGroup *g;
  GError *err = NULL;

  g_return_val_if_fail (name != NULL && key != NULL && iface != NULL, NULL);
  g_return_val_if_fail (shared != NULL, NULL);
  debug_init ();

  full_key = g_strdup_printf ("cell=%s|%s", iface->name, key);
  g_mutex_lock (&groups_lock);
  if (groups == NULL)
    groups = g_hash_table_new (g_str_hash, g_str_equal);
  g = g_hash_table_lookup (groups, name);
  if (g != NULL && !g_str_equal (g->key, full_key)) {
    g_mutex_unlock (&groups_lock);
    GST_ELEMENT_ERROR (element, LIBRARY, SETTINGS, (NULL),
        ("batch-group \"%s\" already runs with other settings (%s); this "
            "element has %s", name, g->key, full_key));
    g_free (full_key);
    return NULL;
  }
  if (g == NULL) {
    gpointer own = model ? iface->model_ref (model) : NULL;
    SeqBatcher *b;

    /* first member: its model (a built-in one is built only here, once
     * per group, not by every member) */
    if (own == NULL && (own = make_model (user_data)) == NULL) {
      g_mutex_unlock (&groups_lock);
      g_free (full_key);
      return NULL;
    }
    b = seq_batcher_new (iface, own, params, &err);
    iface->model_unref (own);
    if (b == NULL) {
      g_mutex_unlock (&groups_lock);
      GST_ELEMENT_ERROR (element, LIBRARY, SETTINGS, (NULL),
          ("cannot create batch-group \"%s\": %s", name, err->message));
      g_clear_error (&err);
      g_free (full_key);
      return NULL;
    }
    g = g_new0 (GstSeqBatchGroup, 1);
    g->name = g_strdup (name);
    g->key = full_key;
    g->iface = iface;
    g->batcher = b;
    g_hash_table_insert (groups, g->name, g);
    GST_INFO_OBJECT (element, "created batch-group %s (%s)", name,
        iface->name);
  } else {
    g_free (full_key);
  }
  g->users++;
  *shared = iface->model_ref (seq_batcher_get_model (g->batcher));
  g_mutex_unlock (&groups_lock);
  return g;
}

void
gst_seq_batch_group_leave (GstSeqBatchGroup * g, SeqBatcherStream * stream,
    GstElement * element)
{
  SeqBatcher *last = NULL;

  if (g == NULL)
    return;
  seq_batcher_leave (stream);
  g_mutex_lock (&groups_lock);
  if (--g->users == 0) {
    SeqBatcherStats st;
    seq_batcher_get_stats (g->batcher, &st);
    GST_INFO_OBJECT (element, "batch-group %s done: %" G_GUINT64_FORMAT
        " batched steps (%" G_GUINT64_FORMAT " on resident states in place), %"
        G_GUINT64_FORMAT " stream-frames (%.1f per step), widest %u streams",
        g->name, st.n_calls, st.n_in_place, st.n_frames,
        st.n_calls ? (double) st.n_frames / st.n_calls : 0.0, st.max_streams);
    g_hash_table_remove (groups, g->name);
    last = g->batcher;
    g_free (g->name);
    g_free (g->key);
    g_free (g);
  }
  g_mutex_unlock (&groups_lock);
  /* the last unref joins the worker: outside the lock */
  g_clear_pointer (&last, seq_batcher_unref);
}

SeqBatcher *
gst_seq_batch_group_get_batcher (GstSeqBatchGroup * group)
{
  g_return_val_if_fail (group != NULL, NULL);
  return group->batcher;
}
