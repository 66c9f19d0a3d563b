/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — private: what the recurrent cells (lstm-*.c, gru.c) share.
 *
 * Loading (precision codes, size limits, prefix detection, reading a tensor
 * as f32, the layer scan of a weight file), the per-stream state storage and
 * its versioned blob, and the gather/forward/scatter around the recurrent
 * driver of lib/kernels/rnn.h. Nothing here is exported: each cell words
 * its errors through its own SeqRecurrentCell (name, error domain, codes).
 */
#pragma once

#include "seqenc/lstm.h"         /* SeqLstmKernels */
#include "seqenc/recurrent.h"
#include "seqenc/weights.h"
#include "kernels/rnn.h"

#include <glib.h>

G_BEGIN_DECLS

/* Sizes above these are refused as absurd (the cell's CONFIG/WEIGHTS). */
#define SEQ_RECURRENT_MAX_WIDTH (1u << 16)      /* I, H, P */
#define SEQ_RECURRENT_MAX_LAYERS 64
/* Largest number of weight elements of one layer (G H x (I + O) + P x H). */
#define SEQ_RECURRENT_MAX_LAYER_ELEMENTS ((gsize) 1 << 30)

/* The precision pair as one code: the storage precision, or 3 for bf16
 * matmul (bf16 weights). It is what the fingerprints hash and what the state
 * blobs record, with the values they had when the pair was one enum. */
#define SEQ_RECURRENT_PRECISION_CODE_BF16_MATMUL 3
/* ... and 4 for int8 weights (SEQ_PRECISION_INT8) */
#define SEQ_RECURRENT_PRECISION_CODE_INT8 4

/* How a cell's errors are worded and filed. */
typedef struct {
  const gchar *name;            /* "LSTM" */
  const gchar *a_name;          /* "an LSTM" */
  GQuark (*domain) (void);
  gint config_code;
  gint weights_code;
  gint unsupported_code;
  gint state_code;
} SeqRecurrentCell;

guint32 seq_recurrent_precision_code (SeqPrecision weights,
    SeqMatmulPrecision matmul);
SeqKDtype seq_recurrent_kdtype (guint32 precision_code);
gboolean seq_recurrent_precision_validate (const SeqRecurrentCell * cell,
    SeqPrecision weights, SeqMatmulPrecision matmul, GError ** error);

guint64 seq_recurrent_hash_u32 (guint64 h, guint32 v);

/* G gates, P = 0 without projection; the error in the cell's domain with
 * @code (its CONFIG or WEIGHTS). */
gboolean seq_recurrent_check_sizes (const SeqRecurrentCell * cell, guint G,
    guint I, guint H, guint L, guint P, gint code, GError ** error);

/* U(-bound, bound) into @n fresh tensors of @sizes elements (0: NULL), drawn
 * in order; FALSE (CONFIG error) when out of memory. */
gboolean seq_recurrent_random_tensors (const SeqRecurrentCell * cell,
    SeqRng * rng, float bound, const gsize * sizes, guint n, float **out,
    GError ** error);
void seq_recurrent_free_tensors (float **bufs, gsize n);

/* ---- weight files ------------------------------------------------------- */

/* The text before "weight_ih_l0" in the tensor names (one candidate only). */
gchar *seq_recurrent_detect_prefix (const SeqRecurrentCell * cell,
    const SeqWeights * w, GError ** error);
gboolean seq_recurrent_has_tensor (const SeqWeights * w, const gchar * prefix,
    const gchar * name);
/* Tensor @prefix@name as f32 [d0][d1] (rank 1: d1 unused); a dim < 0
 * matches anything and is returned in @shape_out (may be NULL). NULL if
 * absent (no error unless @required) or unusable. */
float *seq_recurrent_read_tensor (const SeqRecurrentCell * cell,
    const SeqWeights * w, const gchar * prefix, const gchar * name,
    gboolean required, guint rank, gint64 d0, gint64 d1, gint64 * shape_out,
    GError ** error);
/* Refuses bidirectional weights and, with @refuse_projection, weight_hr
 * tensors; counts the layers (weight_ih_l0, _l1, ...) and refuses a tensor of
 * a layer beyond them. The layer count, or 0 with @error. */
guint seq_recurrent_scan_layers (const SeqRecurrentCell * cell,
    const SeqWeights * w, const gchar * prefix, gboolean refuse_projection,
    GError ** error);

/* ---- state -------------------------------------------------------------- */

/* The state of one stream: h [L][O], and c [L][H] for a cell that has one.
 * It is the first member of each cell's state struct, so that the shared
 * gather/scatter can reach it from the cell's state pointers. */
typedef struct {
  guint L, O, H;                /* H = 0: no c */
  guint64 steps;
  float *h;
  float *c;
} SeqRecurrentStore;

void seq_recurrent_store_init (SeqRecurrentStore * st, guint L, guint O,
    guint H);
void seq_recurrent_store_clear (SeqRecurrentStore * st);
void seq_recurrent_store_reset (SeqRecurrentStore * st);

/* A cell's state blob layout, and the model values it records and checks:
 * the magic at 0, version 1 at 8, header size 64 at 12, @n_dims u32 sizes
 * from 16, then the precision code, fingerprint, steps and payload size at
 * the given offsets; the payload (h, then c, f32) at 64, CRC-32 last. */
typedef struct {
  const gchar *magic;           /* 8 bytes */
  guint n_dims;
  guint32 dims[4];
  const gchar *dim_names[4];
  gsize off_precision, off_fingerprint, off_steps, off_payload;
  guint32 precision_code;
  guint64 fingerprint;
} SeqRecurrentBlob;

GBytes *seq_recurrent_blob_save (const SeqRecurrentBlob * layout,
    const SeqRecurrentStore * st);
gboolean seq_recurrent_blob_restore (const SeqRecurrentCell * cell,
    const SeqRecurrentBlob * layout, SeqRecurrentStore * st, GBytes * blob,
    GError ** error);

/* ---- workspace and forward ---------------------------------------------- */

gboolean seq_recurrent_set_kernels (const SeqRecurrentCell * cell,
    SeqRnnRunner * r, SeqLstmKernels kernels, GError ** error);

/* Gathers the streams' states (each starting with a SeqRecurrentStore) into
 * the runner, runs the driver, scatters them back, counts the steps. */
void seq_recurrent_forward (SeqRnnRunner * r, const SeqRnnNet * net,
    gpointer const *states, guint n_streams, const float *input,
    guint n_steps, float *output, guint width, gboolean all);

/* ---- resident slots (recurrent.h: the iface's slot functions) ----------- */

/* A store's h (and c) into / out of slot @slot of the runner
 * (seq_rnn_runner_reserve_slots), and one slot onto another. */
void seq_recurrent_slot_load (SeqRnnRunner * r, const SeqRnnNet * net,
    guint slot, const SeqRecurrentStore * st);
void seq_recurrent_slot_store (SeqRnnRunner * r, const SeqRnnNet * net,
    guint slot, SeqRecurrentStore * st);
void seq_recurrent_slot_move (SeqRnnRunner * r, const SeqRnnNet * net,
    guint dst, guint src);
/* As seq_recurrent_forward, with stream b's h (and c) in slot @slots[b]
 * instead of its state (whose step count advances): in place when the
 * slots are consecutive (TRUE), else gathered into the scratch and
 * scattered back (FALSE). */
gboolean seq_recurrent_forward_slots (SeqRnnRunner * r,
    const SeqRnnNet * net, gpointer const *states, const guint * slots,
    guint n_streams, const float *input, guint n_steps, float *output,
    guint width, gboolean all);

/* Defines the cell's SeqRecurrentIface (recurrent.h) and its accessor
 * seq_@cell_recurrent () over the cell's typed API: seq_@cell_model_ref,
 * _unref, _input_size, _output_width, _get_fingerprint,
 * seq_@cell_state_get_model, seq_@cell_workspace_new, _free and
 * seq_@cell_forward (whose states are @State pointers); and the resident
 * slots over the shared helpers above, on the cell's @Workspace (its
 * runner r and model->net) and @State (its store st). */
#define SEQ_RECURRENT_DEFINE_IFACE(cell, State, Workspace)                    \
static gpointer                                                               \
cell##_iface_model_ref (gpointer model)                                       \
{                                                                             \
  return seq_##cell##_model_ref (model);                                      \
}                                                                             \
static void                                                                   \
cell##_iface_model_unref (gpointer model)                                     \
{                                                                             \
  seq_##cell##_model_unref (model);                                           \
}                                                                             \
static guint                                                                  \
cell##_iface_input_size (gconstpointer model)                                 \
{                                                                             \
  return seq_##cell##_model_input_size (model);                               \
}                                                                             \
static guint                                                                  \
cell##_iface_output_width (gconstpointer model, SeqRecurrentOutput mode)      \
{                                                                             \
  return seq_##cell##_model_output_width (model, mode);                       \
}                                                                             \
static guint64                                                                \
cell##_iface_fingerprint (gconstpointer model)                                \
{                                                                             \
  return seq_##cell##_model_get_fingerprint (model);                          \
}                                                                             \
static gconstpointer                                                          \
cell##_iface_state_get_model (gconstpointer state)                            \
{                                                                             \
  return seq_##cell##_state_get_model (state);                                \
}                                                                             \
static gpointer                                                               \
cell##_iface_workspace_new (gconstpointer model, guint max_streams,           \
    guint max_steps, guint n_threads)                                         \
{                                                                             \
  return seq_##cell##_workspace_new (model, max_streams, max_steps,           \
      n_threads);                                                             \
}                                                                             \
static void                                                                   \
cell##_iface_workspace_free (gpointer ws)                                     \
{                                                                             \
  seq_##cell##_workspace_free (ws);                                           \
}                                                                             \
static void                                                                   \
cell##_iface_forward (gconstpointer model, gpointer const *states,            \
    guint n_streams, const float *input, guint n_steps, float *output,        \
    SeqRecurrentOutput mode, gpointer ws)                                     \
{                                                                             \
  seq_##cell##_forward (model, (State * const *) states, n_streams, input,    \
      n_steps, output, mode, ws);                                             \
}                                                                             \
static gboolean                                                               \
cell##_iface_workspace_reserve_slots (gpointer ws, guint n_slots)             \
{                                                                             \
  Workspace *w = ws;                                                          \
  return seq_rnn_runner_reserve_slots (&w->r, &w->model->net, n_slots);       \
}                                                                             \
static void                                                                   \
cell##_iface_slot_load (gpointer ws, guint slot, gconstpointer state)         \
{                                                                             \
  Workspace *w = ws;                                                          \
  seq_recurrent_slot_load (&w->r, &w->model->net, slot,                       \
      &((const State *) state)->st);                                          \
}                                                                             \
static void                                                                   \
cell##_iface_slot_store (gpointer ws, guint slot, gpointer state)             \
{                                                                             \
  Workspace *w = ws;                                                          \
  seq_recurrent_slot_store (&w->r, &w->model->net, slot,                      \
      &((State *) state)->st);                                                \
}                                                                             \
static void                                                                   \
cell##_iface_slot_move (gpointer ws, guint dst, guint src)                    \
{                                                                             \
  Workspace *w = ws;                                                          \
  seq_recurrent_slot_move (&w->r, &w->model->net, dst, src);                  \
}                                                                             \
static gboolean                                                               \
cell##_iface_forward_slots (gconstpointer model, gpointer const *states,      \
    const guint *slots, guint n_streams, const float *input, guint n_steps,   \
    float *output, SeqRecurrentOutput mode, gpointer ws)                      \
{                                                                             \
  Workspace *w = ws;                                                          \
  g_return_val_if_fail (w->model->fingerprint ==                              \
      seq_##cell##_model_get_fingerprint (model), FALSE);                     \
  g_return_val_if_fail (n_streams <= w->r.max_streams, FALSE);                \
  if (n_steps == 0 || n_streams == 0)                                         \
    return FALSE;                                                             \
  return seq_recurrent_forward_slots (&w->r, &w->model->net, states, slots,   \
      n_streams, input, n_steps, output,                                      \
      seq_##cell##_model_output_width (model, mode),                          \
      mode == SEQ_RECURRENT_OUTPUT_ALL_LAYERS);                               \
}                                                                             \
static const SeqRecurrentIface cell##_iface = {                               \
  .name = #cell,                                                              \
  .model_ref = cell##_iface_model_ref,                                        \
  .model_unref = cell##_iface_model_unref,                                    \
  .input_size = cell##_iface_input_size,                                      \
  .output_width = cell##_iface_output_width,                                  \
  .fingerprint = cell##_iface_fingerprint,                                    \
  .state_get_model = cell##_iface_state_get_model,                            \
  .workspace_new = cell##_iface_workspace_new,                                \
  .workspace_free = cell##_iface_workspace_free,                              \
  .forward = cell##_iface_forward,                                            \
  .workspace_reserve_slots = cell##_iface_workspace_reserve_slots,            \
  .slot_load = cell##_iface_slot_load,                                        \
  .slot_store = cell##_iface_slot_store,                                      \
  .slot_move = cell##_iface_slot_move,                                        \
  .forward_slots = cell##_iface_forward_slots,                                \
};                                                                            \
const SeqRecurrentIface *                                                     \
seq_##cell##_recurrent (void)                                                 \
{                                                                             \
  return &cell##_iface;                                                       \
}

G_END_DECLS
