/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — what every recurrent model (lstm.h, gru.h) offers to code that
 * drives any of them, such as the cross-stream batcher (batcher.h).
 *
 * Thread safety: the interface is a constant table; its functions have the
 * contracts of the cell's own functions they stand for (a model is
 * immutable and shareable, a state and a workspace belong to one thread at
 * a time).
 *
 * Each cell returns its table from seq_<cell>_recurrent (). The model, state
 * and workspace pointers are the cell's own types (SeqLstmModel,
 * SeqLstmState, SeqLstmWorkspace; SeqGruModel, ...), passed as gpointer.
 */
#pragma once

#include <glib.h>
#include <seqenc/export.h>

G_BEGIN_DECLS

/* Which hidden states a forward call writes for each step and stream (the
 * same for every stacked cell). */
typedef enum {
  SEQ_RECURRENT_OUTPUT_LAST_LAYER,      /* out width = output size */
  SEQ_RECURRENT_OUTPUT_ALL_LAYERS,      /* out width = L * output size, layer 0 first */
} SeqRecurrentOutput;

typedef struct {
  const gchar *name;            /* "lstm", "gru" */
  gpointer (*model_ref) (gpointer model);
  void (*model_unref) (gpointer model);
  guint (*input_size) (gconstpointer model);
  guint (*output_width) (gconstpointer model, SeqRecurrentOutput mode);
  /* equal fingerprints = the same numbers out (seq_<cell>_model_get_fingerprint) */
  guint64 (*fingerprint) (gconstpointer model);
  /* the model a state belongs to */
  gconstpointer (*state_get_model) (gconstpointer state);
  gpointer (*workspace_new) (gconstpointer model, guint max_streams,
      guint max_steps, guint n_threads);
  void (*workspace_free) (gpointer ws);
  /* seq_<cell>_forward */
  void (*forward) (gconstpointer model, gpointer const *states,
      guint n_streams, const float *input, guint n_steps, float *output,
      SeqRecurrentOutput mode, gpointer ws);
} SeqRecurrentIface;

G_END_DECLS
