/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — stacked LSTM with PyTorch nn.LSTM semantics.
 *
 * Thread safety: a SeqLstmModel is immutable after creation and may be shared
 * (by reference) between any number of threads and elements. A SeqLstmState
 * (h and c of every layer for one stream) and a SeqLstmWorkspace (scratch for
 * one caller) belong to one thread at a time.
 *
 * Math, per layer l and step t (gate order i, f, g, o as in PyTorch):
 *   gates = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh        ([4H])
 *   i = σ(gates[0:H]) f = σ(gates[H:2H]) g = tanh(gates[2H:3H]) o = σ(gates[3H:4H])
 *   c_t = f ⊙ c_{t-1} + i ⊙ g
 *   h_t = o ⊙ tanh(c_t)           (then h_t = W_hr h_t when proj_size > 0)
 * The input of layer l > 0 is the output h of layer l-1.
 *
 * Tensor names (PyTorch state_dict), with an optional common prefix such as
 * "lstm." or "encoder.rnn.":
 *   weight_ih_l{k} [4H, I or P]  weight_hh_l{k} [4H, P or H]
 *   bias_ih_l{k} [4H], bias_hh_l{k} [4H]  (optional, both or neither)
 *   weight_hr_l{k} [P, H]  (when proj_size P > 0)
 * "*_reverse" tensors (bidirectional) are refused: a streaming encoder has no
 * future context.
 *
 * Determinism: every output element is computed with one fixed order of
 * operations whatever the batch size, the thread count or how the steps are
 * split over calls, so outputs are bitwise identical across all of those.
 * The same holds across the kernel sets (scalar reference, AVX2+FMA,
 * AVX-512, chosen at run time by CPU): they run the same IEEE operations.
 * (The bf16 matmul precision is the exception across kernel sets only: see
 * SEQ_MATMUL_BF16.)
 *
 * Speed: weights are packed once at model creation (transposed, 64-column
 * panels, gates interleaved per 16 hidden units) and optionally stored as
 * bf16/f16 (SeqLstmModelParams.weights_precision), which halves the memory
 * traffic of the memory-bound single-stream case. One forward call runs one GEMM for
 * the input projection of all its steps (fused into the step for T = 1) and
 * one fused GEMV/GEMM + gate-math pass per step and layer. Several streams
 * in one call (B > 1) share every weight load: that is what the batcher
 * (seqenc/batcher.h) exploits across elements. tests/bench/run_lstm_bench.sh
 * measures all of it against ONNX Runtime and PyTorch.
 */
#pragma once

#include <glib.h>
#include <seqenc/export.h>
#include <seqenc/recurrent.h>
#include <seqenc/weights.h>

G_BEGIN_DECLS

#define SEQ_LSTM_ERROR (seq_lstm_error_quark ())
SEQ_API GQuark seq_lstm_error_quark (void);

typedef enum {
  SEQ_LSTM_ERROR_WEIGHTS,       /* tensors missing, ambiguous or inconsistent */
  SEQ_LSTM_ERROR_UNSUPPORTED,   /* e.g. bidirectional weights */
  SEQ_LSTM_ERROR_CONFIG,        /* absurd sizes or conflicting parameters */
  SEQ_LSTM_ERROR_STATE,         /* state blob does not fit this model */
} SeqLstmError;

/* ---- parameters ---------------------------------------------------------- */

/* How a model is built, whatever the weight source. */
typedef struct {
  SeqPrecision weights_precision;   /* storage (INT8: int8 weights and
                                     * activations, recurrent.h); default
                                     * SEQ_PRECISION_F32 */
  SeqMatmulPrecision matmul_precision;      /* default SEQ_MATMUL_F32 */
  const gchar *prefix;          /* tensor-name prefix for the file and weights
                                 * sources, e.g. "lstm." or "encoder.rnn.";
                                 * NULL or "" = auto-detect (an error names the
                                 * candidates when ambiguous); default NULL;
                                 * not used by the random source */
} SeqLstmModelParams;

/* Shape of the built-in seeded model (the random source; no weight file). */
typedef struct {
  guint input_size;             /* I, values per input frame; default 80 */
  guint hidden_size;            /* H; default 256 */
  guint num_layers;             /* L; default 2 */
  guint proj_size;              /* P, 0 = no projection; default 0 */
  gboolean bias;                /* with b_ih and b_hh; default TRUE */
  guint64 seed;                 /* init as PyTorch: U(-1/sqrt(H), 1/sqrt(H)); default 0 */
} SeqLstmRandomParams;

SEQ_API SeqLstmModelParams seq_lstm_model_params_default (void);
/* FALSE and SEQ_LSTM_ERROR_CONFIG for a value out of range, or f16 or
 * int8 weights with SEQ_MATMUL_BF16. Every constructor runs it; call it to refuse
 * the settings before a model is built. */
SEQ_API gboolean seq_lstm_model_params_validate (const SeqLstmModelParams *
    params, GError ** error);
SEQ_API SeqLstmRandomParams seq_lstm_random_params_default (void);

/* ---- model --------------------------------------------------------------- */

typedef struct _SeqLstmModel SeqLstmModel;

/* One constructor per weight source. @params: NULL = the defaults. Sizes are
 * inferred from the tensor shapes and cross-checked (file, weights) or taken
 * from @shape (random). NULL and @error (SEQ_LSTM_ERROR, or
 * SEQ_WEIGHTS_ERROR for an unreadable file) on failure. */
SEQ_API SeqLstmModel *seq_lstm_model_new_from_file (const gchar * path,
    const SeqLstmModelParams * params, GError ** error);
SEQ_API SeqLstmModel *seq_lstm_model_new_from_weights (const SeqWeights *
    weights, const SeqLstmModelParams * params, GError ** error);
/* Built-in model: deterministic seeded weights. */
SEQ_API SeqLstmModel *seq_lstm_model_new_random (const SeqLstmRandomParams *
    shape, const SeqLstmModelParams * params, GError ** error);
SEQ_API SeqLstmModel *seq_lstm_model_ref (SeqLstmModel * model);
SEQ_API void seq_lstm_model_unref (SeqLstmModel * model);

SEQ_API guint seq_lstm_model_input_size (const SeqLstmModel * model);
SEQ_API guint seq_lstm_model_hidden_size (const SeqLstmModel * model);
SEQ_API guint seq_lstm_model_num_layers (const SeqLstmModel * model);
SEQ_API guint seq_lstm_model_proj_size (const SeqLstmModel * model);
/* Width of one layer's output: proj_size if > 0, else hidden_size. */
SEQ_API guint seq_lstm_model_output_size (const SeqLstmModel * model);

/* Which hidden states a forward call writes for each step and stream
 * (recurrent.h): LAST_LAYER, out width = output size (P or H); ALL_LAYERS,
 * out width = L * output size, layer 0 first. */
typedef SeqRecurrentOutput SeqLstmOutput;
#define SEQ_LSTM_OUTPUT_LAST_LAYER SEQ_RECURRENT_OUTPUT_LAST_LAYER
#define SEQ_LSTM_OUTPUT_ALL_LAYERS SEQ_RECURRENT_OUTPUT_ALL_LAYERS

/* Width written per step and stream for @mode. */
SEQ_API guint seq_lstm_model_output_width (const SeqLstmModel * model,
    SeqLstmOutput mode);
/* The storage precision of the weights as built: BF16 for a model with
 * SEQ_MATMUL_BF16 (its weights are rounded to bf16). */
SEQ_API SeqPrecision seq_lstm_model_get_weights_precision (const
    SeqLstmModel * model);
SEQ_API SeqMatmulPrecision seq_lstm_model_get_matmul_precision (const
    SeqLstmModel * model);
SEQ_API gboolean seq_lstm_model_has_bias (const SeqLstmModel * model);
/* 64-bit hash of the sizes, the precisions and the stored weights; equal
 * fingerprints = same numbers out. Part of every state blob. */
SEQ_API guint64 seq_lstm_model_get_fingerprint (const SeqLstmModel * model);

/* ---- state --------------------------------------------------------------- */

typedef struct _SeqLstmState SeqLstmState;

/* Per-stream state: h and c of every layer, zero at t = 0. */
SEQ_API SeqLstmState *seq_lstm_state_new (const SeqLstmModel * model);
SEQ_API void seq_lstm_state_free (SeqLstmState * state);
/* The model a state belongs to (not a new reference). */
SEQ_API const SeqLstmModel *seq_lstm_state_get_model (const SeqLstmState *
    state);
/* Back to t = 0 (zeros). */
SEQ_API void seq_lstm_state_reset (SeqLstmState * state);
/* Number of steps advanced since creation or the last reset. */
SEQ_API guint64 seq_lstm_state_get_steps (const SeqLstmState * state);
/* Copies h (@which_h = TRUE) or c of layer @layer, width output size resp.
 * hidden size, into @dst. */
SEQ_API void seq_lstm_state_get (const SeqLstmState * state, guint layer,
    gboolean which_h, float *dst);
/* Sets h or c of @layer (as PyTorch's h0/c0) */
SEQ_API void seq_lstm_state_set (SeqLstmState * state, guint layer,
    gboolean which_h, const float *src);

/* Serialized state (versioned, checksummed; the layout is documented in
 * lib/lstm-state.c next to the writer): h and c of every layer, the step
 * count, and a fingerprint of the model (sizes, precisions and a hash of the
 * weights). Restoring a blob written for another model fails with
 * SEQ_LSTM_ERROR_STATE. */
SEQ_API GBytes *seq_lstm_state_save (const SeqLstmState * state);
SEQ_API gboolean seq_lstm_state_restore (SeqLstmState * state, GBytes * blob,
    GError ** error);

/* ---- workspace ----------------------------------------------------------- */

typedef struct _SeqLstmWorkspace SeqLstmWorkspace;

/* Scratch for one caller: sized for up to @max_streams streams and
 * @max_steps steps per internal chunk (longer calls are split, with identical
 * results). @n_threads: 0 = all available cores; 1 = no threading. The
 * workspace owns n_threads - 1 worker threads (sleeping when idle). */
SEQ_API SeqLstmWorkspace *seq_lstm_workspace_new (const SeqLstmModel * model,
    guint max_streams, guint max_steps, guint n_threads);
SEQ_API void seq_lstm_workspace_free (SeqLstmWorkspace * ws);
SEQ_API guint seq_lstm_workspace_get_n_threads (const SeqLstmWorkspace * ws);
SEQ_API guint seq_lstm_workspace_get_max_streams (const SeqLstmWorkspace * ws);

/* Which kernels a workspace runs. AUTO = the best this CPU supports (the
 * environment variable SEQENC_KERNELS=scalar|avx2|avx512|avx512bf16|amx
 * overrides it). For SEQ_MATMUL_F32 all of them give bitwise-identical
 * results; SCALAR is the reference. AMX and AVX512_BF16 = the AVX-512
 * kernels plus, for SEQ_MATMUL_BF16, AMX tiles resp. VDPBF16PS (the
 * other sets run that precision on the scalar reference). */
typedef enum {
  SEQ_LSTM_KERNELS_AUTO,
  SEQ_LSTM_KERNELS_SCALAR,
  SEQ_LSTM_KERNELS_AVX2,
  SEQ_LSTM_KERNELS_AVX512,
  SEQ_LSTM_KERNELS_AMX,
  SEQ_LSTM_KERNELS_AVX512_BF16,
} SeqLstmKernels;

/* FALSE and SEQ_LSTM_ERROR_UNSUPPORTED when @kernels is not built in or the
 * CPU lacks the instructions (the workspace keeps its kernels then). */
SEQ_API gboolean seq_lstm_workspace_set_kernels (SeqLstmWorkspace * ws,
    SeqLstmKernels kernels, GError ** error);
/* "scalar", "avx2", "avx512", "avx512bf16" or "amx". */
SEQ_API const gchar *seq_lstm_workspace_get_kernels_name (const
    SeqLstmWorkspace * ws);
/* How long (microseconds) an idle worker thread of this workspace keeps
 * polling for the next step, yielding its core between polls, before it
 * sleeps. Default 50 (environment SEQENC_SPIN_US overrides the default);
 * 0 = sleep at once (lowest CPU use, a few microseconds more per step).
 * Results do not depend on it. */
SEQ_API void seq_lstm_workspace_set_spin_us (SeqLstmWorkspace * ws,
    guint spin_us);

/* ---- forward ------------------------------------------------------------- */

/* Advances @n_streams states by @n_steps frames.
 *   @input:  [n_steps][n_streams][input_size] f32
 *   @output: [n_steps][n_streams][output_width (mode)] f32
 * For one stream this is the wire layout x[T][D]. Allocates nothing.
 * Non-finite input propagates as in PyTorch (NaN in, NaN out). */
SEQ_API void seq_lstm_forward (const SeqLstmModel * model,
    SeqLstmState * const *states, guint n_streams, const float *input,
    guint n_steps, float *output, SeqLstmOutput mode, SeqLstmWorkspace * ws);

/* The LSTM as a SeqRecurrentIface (recurrent.h), for the batcher. */
SEQ_API const SeqRecurrentIface *seq_lstm_recurrent (void);

G_END_DECLS
