/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — stacked GRU with PyTorch nn.GRU semantics.
 *
 * Thread safety: a SeqGruModel is immutable after creation and may be shared
 * (by reference) between any number of threads and elements. A SeqGruState
 * (h of every layer for one stream) and a SeqGruWorkspace (scratch for one
 * caller) belong to one thread at a time.
 *
 * Math, per layer l and step t (gate order r, z, n as in PyTorch):
 *   r = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
 *   z = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
 *   n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t-1} + b_hn))
 *   h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
 * b_hn stays inside the reset product, as in PyTorch (and unlike the
 * original paper). The input of layer l > 0 is h of layer l-1.
 *
 * Tensor names (PyTorch state_dict), with an optional common prefix such as
 * "gru." or "encoder.rnn.":
 *   weight_ih_l{k} [3H, I or H]  weight_hh_l{k} [3H, H]
 *   bias_ih_l{k} [3H], bias_hh_l{k} [3H]  (optional, both or neither)
 * "*_reverse" tensors (bidirectional) are refused: a streaming encoder has no
 * future context. An LSTM's tensors (same names, 4H rows) are refused by
 * their shapes.
 *
 * Precisions, kernels, output modes and determinism are those of the LSTM
 * (lstm.h, whose enums this header uses): both cells run the same kernel
 * layer (lib/kernels). Every output element is computed with one fixed
 * order of operations whatever the batch size, the thread count, the kernel
 * set (for f32 matmul) or how the steps are split over calls.
 */
#pragma once

#include <glib.h>
#include <seqenc/export.h>
#include <seqenc/lstm.h>
#include <seqenc/recurrent.h>
#include <seqenc/weights.h>

G_BEGIN_DECLS

#define SEQ_GRU_ERROR (seq_gru_error_quark ())
SEQ_API GQuark seq_gru_error_quark (void);

typedef enum {
  SEQ_GRU_ERROR_WEIGHTS,        /* tensors missing, ambiguous or inconsistent */
  SEQ_GRU_ERROR_UNSUPPORTED,    /* e.g. bidirectional weights */
  SEQ_GRU_ERROR_CONFIG,         /* absurd sizes or conflicting parameters */
  SEQ_GRU_ERROR_STATE,          /* state blob does not fit this model */
} SeqGruError;

/* ---- parameters ---------------------------------------------------------- */

/* How a model is built, whatever the weight source. */
typedef struct {
  SeqPrecision weights_precision;   /* storage; default SEQ_PRECISION_F32 */
  SeqMatmulPrecision matmul_precision;      /* default SEQ_MATMUL_F32;
                                                 * BF16 needs F32 or BF16
                                                 * weights */
  const gchar *prefix;          /* tensor-name prefix for the file and weights
                                 * sources, e.g. "gru."; NULL or "" =
                                 * auto-detect (an error names the candidates
                                 * when ambiguous); default NULL */
} SeqGruModelParams;

/* Shape of the built-in seeded model (the random source). */
typedef struct {
  guint input_size;             /* I, values per input frame; default 80 */
  guint hidden_size;            /* H; default 256 */
  guint num_layers;             /* L; default 2 */
  gboolean bias;                /* with b_ih and b_hh; default TRUE */
  guint64 seed;                 /* init as PyTorch: U(-1/sqrt(H), 1/sqrt(H)); default 0 */
} SeqGruRandomParams;

SEQ_API SeqGruModelParams seq_gru_model_params_default (void);
/* FALSE and SEQ_GRU_ERROR_CONFIG for a value out of range, or f16 or int8
 * weights with SEQ_MATMUL_BF16. Every constructor runs it. */
SEQ_API gboolean seq_gru_model_params_validate (const SeqGruModelParams *
    params, GError ** error);
SEQ_API SeqGruRandomParams seq_gru_random_params_default (void);

/* ---- model --------------------------------------------------------------- */

typedef struct _SeqGruModel SeqGruModel;

/* One constructor per weight source. @params: NULL = the defaults. Sizes are
 * inferred from the tensor shapes and cross-checked (file, weights) or taken
 * from @shape (random). NULL and @error (SEQ_GRU_ERROR, or SEQ_WEIGHTS_ERROR
 * for an unreadable file) on failure. */
SEQ_API SeqGruModel *seq_gru_model_new_from_file (const gchar * path,
    const SeqGruModelParams * params, GError ** error);
SEQ_API SeqGruModel *seq_gru_model_new_from_weights (const SeqWeights *
    weights, const SeqGruModelParams * params, GError ** error);
/* Built-in model: deterministic seeded weights. */
SEQ_API SeqGruModel *seq_gru_model_new_random (const SeqGruRandomParams *
    shape, const SeqGruModelParams * params, GError ** error);
SEQ_API SeqGruModel *seq_gru_model_ref (SeqGruModel * model);
SEQ_API void seq_gru_model_unref (SeqGruModel * model);

SEQ_API guint seq_gru_model_input_size (const SeqGruModel * model);
SEQ_API guint seq_gru_model_hidden_size (const SeqGruModel * model);
SEQ_API guint seq_gru_model_num_layers (const SeqGruModel * model);
/* Width written per step and stream for @mode: H, or L * H. */
SEQ_API guint seq_gru_model_output_width (const SeqGruModel * model,
    SeqRecurrentOutput mode);
/* BF16 for a model with SEQ_MATMUL_BF16 (its weights are bf16). */
SEQ_API SeqPrecision seq_gru_model_get_weights_precision (const
    SeqGruModel * model);
SEQ_API SeqMatmulPrecision seq_gru_model_get_matmul_precision (const
    SeqGruModel * model);
SEQ_API gboolean seq_gru_model_has_bias (const SeqGruModel * model);
/* 64-bit hash of the sizes, the precisions and the stored weights; equal
 * fingerprints = same numbers out. Part of every state blob. */
SEQ_API guint64 seq_gru_model_get_fingerprint (const SeqGruModel * model);

/* ---- state --------------------------------------------------------------- */

typedef struct _SeqGruState SeqGruState;

/* Per-stream state: h of every layer, zero at t = 0. */
SEQ_API SeqGruState *seq_gru_state_new (const SeqGruModel * model);
SEQ_API void seq_gru_state_free (SeqGruState * state);
SEQ_API const SeqGruModel *seq_gru_state_get_model (const SeqGruState *
    state);
/* Back to t = 0 (zeros). */
SEQ_API void seq_gru_state_reset (SeqGruState * state);
/* Number of steps advanced since creation or the last reset. */
SEQ_API guint64 seq_gru_state_get_steps (const SeqGruState * state);
/* Copies h of @layer (H values) into @dst / sets it (as PyTorch's h0). */
SEQ_API void seq_gru_state_get (const SeqGruState * state, guint layer,
    float *dst);
SEQ_API void seq_gru_state_set (SeqGruState * state, guint layer,
    const float *src);

/* Serialized state (versioned, checksummed; layout in lib/gru.c next to the
 * writer): h of every layer, the step count and the model's fingerprint.
 * Restoring a blob written for another model fails with
 * SEQ_GRU_ERROR_STATE and changes nothing. */
SEQ_API GBytes *seq_gru_state_save (const SeqGruState * state);
SEQ_API gboolean seq_gru_state_restore (SeqGruState * state, GBytes * blob,
    GError ** error);

/* ---- workspace ----------------------------------------------------------- */

typedef struct _SeqGruWorkspace SeqGruWorkspace;

/* Scratch for one caller, as seq_lstm_workspace_new: up to @max_streams
 * streams and @max_steps steps per internal chunk; @n_threads 0 = all
 * cores. */
SEQ_API SeqGruWorkspace *seq_gru_workspace_new (const SeqGruModel * model,
    guint max_streams, guint max_steps, guint n_threads);
SEQ_API void seq_gru_workspace_free (SeqGruWorkspace * ws);
SEQ_API guint seq_gru_workspace_get_n_threads (const SeqGruWorkspace * ws);
SEQ_API guint seq_gru_workspace_get_max_streams (const SeqGruWorkspace * ws);
/* As seq_lstm_workspace_set_kernels / _get_kernels_name / _set_spin_us. */
SEQ_API gboolean seq_gru_workspace_set_kernels (SeqGruWorkspace * ws,
    SeqLstmKernels kernels, GError ** error);
SEQ_API const gchar *seq_gru_workspace_get_kernels_name (const
    SeqGruWorkspace * ws);
SEQ_API void seq_gru_workspace_set_spin_us (SeqGruWorkspace * ws,
    guint spin_us);

/* ---- forward ------------------------------------------------------------- */

/* Advances @n_streams states by @n_steps frames.
 *   @input:  [n_steps][n_streams][input_size] f32
 *   @output: [n_steps][n_streams][output_width (mode)] f32
 * Allocates nothing. NaN in, NaN out, as in PyTorch. */
SEQ_API void seq_gru_forward (const SeqGruModel * model,
    SeqGruState * const *states, guint n_streams, const float *input,
    guint n_steps, float *output, SeqRecurrentOutput mode,
    SeqGruWorkspace * ws);

/* The GRU as a SeqRecurrentIface (recurrent.h), for the batcher. */
SEQ_API const SeqRecurrentIface *seq_gru_recurrent (void);

G_END_DECLS
