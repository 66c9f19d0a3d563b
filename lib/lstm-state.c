/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — LSTM state: h and c of every layer for one stream, and its
 * versioned blob (the storage and blob code are shared with the GRU,
 * recurrent-common.c; the layout below is the LSTM's own). */
#include "lstm-private.h"

#include <string.h>

/* ---- state -------------------------------------------------------------- */

SeqLstmState *
seq_lstm_state_new (const SeqLstmModel * model)
{
  SeqLstmState *s;

  g_return_val_if_fail (model != NULL, NULL);
  s = g_new0 (SeqLstmState, 1);
  s->model = seq_lstm_model_ref ((SeqLstmModel *) model);
  seq_recurrent_store_init (&s->st, model->L, model->O, model->H);
  return s;
}

void
seq_lstm_state_free (SeqLstmState * state)
{
  if (state == NULL)
    return;
  seq_recurrent_store_clear (&state->st);
  seq_lstm_model_unref (state->model);
  g_free (state);
}

void
seq_lstm_state_reset (SeqLstmState * state)
{
  g_return_if_fail (state != NULL);
  seq_recurrent_store_reset (&state->st);
}

const SeqLstmModel *
seq_lstm_state_get_model (const SeqLstmState * state)
{
  g_return_val_if_fail (state != NULL, NULL);
  return state->model;
}

guint64
seq_lstm_state_get_steps (const SeqLstmState * state)
{
  g_return_val_if_fail (state != NULL, 0);
  return state->st.steps;
}

void
seq_lstm_state_get (const SeqLstmState * state, guint layer,
    gboolean which_h, float *dst)
{
  const SeqLstmModel *m;

  g_return_if_fail (state != NULL && dst != NULL);
  m = state->model;
  g_return_if_fail (layer < m->L);
  if (which_h)
    memcpy (dst, state->st.h + (gsize) layer * m->O, m->O * sizeof (float));
  else
    memcpy (dst, state->st.c + (gsize) layer * m->H, m->H * sizeof (float));
}

void
seq_lstm_state_set (SeqLstmState * state, guint layer, gboolean which_h,
    const float *src)
{
  const SeqLstmModel *m;

  g_return_if_fail (state != NULL && src != NULL);
  m = state->model;
  g_return_if_fail (layer < m->L);
  if (which_h)
    memcpy (state->st.h + (gsize) layer * m->O, src, m->O * sizeof (float));
  else
    memcpy (state->st.c + (gsize) layer * m->H, src, m->H * sizeof (float));
}

/* State blob, all integers and floats little-endian:
 *
 *   offset  size  field
 *   0       8     magic "SEQLSTMS"
 *   8       4     format version (1)
 *   12      4     header size in bytes (64)
 *   16      4     num_layers L
 *   20      4     input_size I
 *   24      4     hidden_size H
 *   28      4     proj_size P
 *   32      4     precision: 0 f32, 1 bf16, 2 f16 weights; 3 bf16 matmul; 4 int8
 *   36      4     reserved (0)
 *   40      8     model fingerprint (seq_lstm_model_get_fingerprint)
 *   48      8     steps since t = 0
 *   56      8     payload size in bytes: 4 * L * (O + H)
 *   64      ...   h of every layer ([L][O] f32), then c ([L][H] f32)
 *   end-4   4     CRC-32 (IEEE 802.3, as zlib's crc32) of every byte before it
 */
static SeqRecurrentBlob
blob_layout (const SeqLstmModel * m)
{
  SeqRecurrentBlob b = {
    .magic = "SEQLSTMS",
    .n_dims = 4,
    .dims = {m->L, m->I, m->H, m->P},
    .dim_names = {"L", "I", "H", "P"},
    .off_precision = 32,
    .off_fingerprint = 40,
    .off_steps = 48,
    .off_payload = 56,
    .precision_code = m->precision_code,
    .fingerprint = m->fingerprint,
  };
  return b;
}

GBytes *
seq_lstm_state_save (const SeqLstmState * state)
{
  SeqRecurrentBlob layout;

  g_return_val_if_fail (state != NULL, NULL);
  layout = blob_layout (state->model);
  return seq_recurrent_blob_save (&layout, &state->st);
}

gboolean
seq_lstm_state_restore (SeqLstmState * state, GBytes * blob, GError ** error)
{
  SeqRecurrentBlob layout;

  g_return_val_if_fail (state != NULL, FALSE);
  g_return_val_if_fail (blob != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  layout = blob_layout (state->model);
  return seq_recurrent_blob_restore (&seq_lstm_cell, &layout, &state->st,
      blob, error);
}
