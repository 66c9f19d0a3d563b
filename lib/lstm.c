/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — stacked LSTM with PyTorch nn.LSTM semantics (see lstm.h): the
 * workspace, the forward and the recurrent interface. The model is built in
 * lstm-model.c, the state kept in lstm-state.c.
 *
 * A forward call gathers the streams' h and c into the workspace, runs the
 * recurrent driver of lib/kernels/rnn.h with the LSTM cell over chunks of at
 * most max_steps steps and scatters h and c back; it allocates nothing.
 */
#include "lstm-private.h"
#include "seqenc-private.h"

/* ---- workspace and forward ---------------------------------------------- */

SeqLstmWorkspace *
seq_lstm_workspace_new (const SeqLstmModel * model, guint max_streams,
    guint max_steps, guint n_threads)
{
  SeqLstmWorkspace *ws;
  const SeqRnnNet *net;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (max_streams > 0 && max_steps > 0, NULL);

  net = &model->net;
  ws = g_new0 (SeqLstmWorkspace, 1);
  ws->model = seq_lstm_model_ref ((SeqLstmModel *) model);
  if (!seq_rnn_runner_init (&ws->r, net, max_streams, max_steps, n_threads)) {
    g_warning ("LSTM workspace for %u streams x %u steps is too large",
        max_streams, max_steps);
    seq_lstm_workspace_free (ws);
    return NULL;
  }
  return ws;
}

void
seq_lstm_workspace_free (SeqLstmWorkspace * ws)
{
  if (ws == NULL)
    return;
  seq_rnn_runner_clear (&ws->r);
  seq_lstm_model_unref (ws->model);
  g_free (ws);
}

guint
seq_lstm_workspace_get_n_threads (const SeqLstmWorkspace * ws)
{
  g_return_val_if_fail (ws != NULL, 1);
  return ws->r.n_threads;
}

guint
seq_lstm_workspace_get_max_streams (const SeqLstmWorkspace * ws)
{
  g_return_val_if_fail (ws != NULL, 0);
  return ws->r.max_streams;
}

gboolean
seq_lstm_workspace_set_kernels (SeqLstmWorkspace * ws, SeqLstmKernels kernels,
    GError ** error)
{
  g_return_val_if_fail (ws != NULL, FALSE);
  return seq_recurrent_set_kernels (&seq_lstm_cell, &ws->r, kernels, error);
}

void
seq_lstm_workspace_set_spin_us (SeqLstmWorkspace * ws, guint spin_us)
{
  g_return_if_fail (ws != NULL);
  seq_pool_set_spin_us (ws->r.pool, spin_us);
}

const gchar *
seq_lstm_workspace_get_kernels_name (const SeqLstmWorkspace * ws)
{
  g_return_val_if_fail (ws != NULL, NULL);
  return ws->r.kernels->name;
}

void
seq_lstm_forward (const SeqLstmModel * model, SeqLstmState * const *states,
    guint n_streams, const float *input, guint n_steps, float *output,
    SeqLstmOutput mode, SeqLstmWorkspace * ws)
{
  const SeqRnnNet *net;
  guint L, O, B = n_streams, width;
  gboolean all = mode == SEQ_LSTM_OUTPUT_ALL_LAYERS;

  g_return_if_fail (model != NULL && ws != NULL);
  g_return_if_fail (ws->model == model
      || ws->model->fingerprint == model->fingerprint);
  g_return_if_fail (n_streams <= ws->r.max_streams);
  g_return_if_fail (n_steps == 0 || (states != NULL && input != NULL
          && output != NULL));
  if (n_steps == 0 || n_streams == 0)
    return;

  net = &model->net;
  L = model->L;
  O = model->O;
  width = all ? L * O : O;

  for (guint b = 0; b < B; b++)
    g_return_if_fail (states[b] != NULL && states[b]->model->fingerprint ==
        model->fingerprint);
  seq_recurrent_forward (&ws->r, net, (gpointer const *) states, B, input,
      n_steps, output, width, all);
}

/* ---- the recurrent interface (recurrent.h) ------------------------------ */

SEQ_RECURRENT_DEFINE_IFACE (lstm, SeqLstmState, SeqLstmWorkspace);
