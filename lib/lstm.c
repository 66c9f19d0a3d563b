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

static gpointer
iface_model_ref (gpointer model)
{
  return seq_lstm_model_ref (model);
}

static void
iface_model_unref (gpointer model)
{
  seq_lstm_model_unref (model);
}

static guint
iface_input_size (gconstpointer model)
{
  return seq_lstm_model_input_size (model);
}

static guint
iface_output_width (gconstpointer model, SeqRecurrentOutput mode)
{
  return seq_lstm_model_output_width (model, mode);
}

static guint64
iface_fingerprint (gconstpointer model)
{
  return seq_lstm_model_get_fingerprint (model);
}

static gconstpointer
iface_state_get_model (gconstpointer state)
{
  return seq_lstm_state_get_model (state);
}

static gpointer
iface_workspace_new (gconstpointer model, guint max_streams, guint max_steps,
    guint n_threads)
{
  return seq_lstm_workspace_new (model, max_streams, max_steps, n_threads);
}

static void
iface_workspace_free (gpointer ws)
{
  seq_lstm_workspace_free (ws);
}

static void
iface_forward (gconstpointer model, gpointer const *states, guint n_streams,
    const float *input, guint n_steps, float *output, SeqRecurrentOutput mode,
    gpointer ws)
{
  seq_lstm_forward (model, (SeqLstmState * const *) states, n_streams, input,
      n_steps, output, mode, ws);
}

static const SeqRecurrentIface lstm_iface = {
  .name = "lstm",
  .model_ref = iface_model_ref,
  .model_unref = iface_model_unref,
  .input_size = iface_input_size,
  .output_width = iface_output_width,
  .fingerprint = iface_fingerprint,
  .state_get_model = iface_state_get_model,
  .workspace_new = iface_workspace_new,
  .workspace_free = iface_workspace_free,
  .forward = iface_forward,
};

const SeqRecurrentIface *
seq_lstm_recurrent (void)
{
  return &lstm_iface;
}
