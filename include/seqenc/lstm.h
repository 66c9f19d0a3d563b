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
 * (The bf16-matmul precision on AMX tiles is the exception across kernel
 * sets only: see SEQ_LSTM_PRECISION_BF16_MATMUL.)
 *
 * Speed: weights are packed once at model creation (transposed, 64-column
 * panels, gates interleaved per 16 hidden units) and optionally stored as
 * bf16/f16 (seq_lstm_model_new_*_full), which halves the memory traffic of
 * the memory-bound single-stream case. One forward call runs one GEMM for
 * the input projection of all its steps (fused into the step for T = 1) and
 * one fused GEMV/GEMM + gate-math pass per step and layer. Several streams
 * in one call (B > 1) share every weight load: that is what the batcher
 * (seqenc/batcher.h) exploits across elements. tests/bench/run_lstm_bench.sh
 * measures all of it against ONNX Runtime and PyTorch.
 */
#pragma once

#include <glib.h>
#include <seqenc/weights.h>

G_BEGIN_DECLS

#define SEQ_LSTM_ERROR (seq_lstm_error_quark ())
GQuark seq_lstm_error_quark (void);

typedef enum {
  SEQ_LSTM_ERROR_WEIGHTS,       /* tensors missing, ambiguous or inconsistent */
  SEQ_LSTM_ERROR_UNSUPPORTED,   /* e.g. bidirectional weights */
  SEQ_LSTM_ERROR_CONFIG,        /* absurd sizes in parameters */
  SEQ_LSTM_ERROR_STATE,         /* state blob does not fit this model */
} SeqLstmError;

/* Parameters of the built-in seeded model (no weight file). */
typedef struct {
  guint input_size;             /* I, values per input frame; default 80 */
  guint hidden_size;            /* H; default 256 */
  guint num_layers;             /* L; default 2 */
  guint proj_size;              /* P, 0 = no projection; default 0 */
  gboolean bias;                /* with b_ih and b_hh; default TRUE */
  guint64 seed;                 /* init as PyTorch: U(-1/sqrt(H), 1/sqrt(H)); default 0 */
} SeqLstmParams;

/* Which hidden states a forward call writes for each step and stream. */
typedef enum {
  SEQ_LSTM_OUTPUT_LAST_LAYER,   /* out width = output size (P or H) */
  SEQ_LSTM_OUTPUT_ALL_LAYERS,   /* out width = L * output size, layer 0 first */
} SeqLstmOutput;

typedef struct _SeqLstmModel SeqLstmModel;
typedef struct _SeqLstmState SeqLstmState;
typedef struct _SeqLstmWorkspace SeqLstmWorkspace;

SeqLstmParams seq_lstm_params_default (void);

/* Built-in model: deterministic seeded weights. */
SeqLstmModel *seq_lstm_model_new_random (const SeqLstmParams * params,
    GError ** error);
/* From tensors of a weight file. @prefix: NULL or "" = auto-detect (an error
 * names the candidates when ambiguous); otherwise the exact prefix, e.g.
 * "lstm.". Sizes are inferred from the shapes and cross-checked. */
SeqLstmModel *seq_lstm_model_new_from_weights (const SeqWeights * weights,
    const gchar * prefix, GError ** error);
SeqLstmModel *seq_lstm_model_new_from_file (const gchar * path,
    const gchar * prefix, GError ** error);
SeqLstmModel *seq_lstm_model_ref (SeqLstmModel * model);
void seq_lstm_model_unref (SeqLstmModel * model);

guint seq_lstm_model_input_size (const SeqLstmModel * model);
guint seq_lstm_model_hidden_size (const SeqLstmModel * model);
guint seq_lstm_model_num_layers (const SeqLstmModel * model);
guint seq_lstm_model_proj_size (const SeqLstmModel * model);
/* Width of one layer's output: proj_size if > 0, else hidden_size. */
guint seq_lstm_model_output_size (const SeqLstmModel * model);
/* Width written per step and stream for @mode. */
guint seq_lstm_model_output_width (const SeqLstmModel * model,
    SeqLstmOutput mode);

/* Per-stream state: h and c of every layer, zero at t = 0. */
SeqLstmState *seq_lstm_state_new (const SeqLstmModel * model);
void seq_lstm_state_free (SeqLstmState * state);
/* Back to t = 0 (zeros). */
void seq_lstm_state_reset (SeqLstmState * state);
/* Number of steps advanced since creation or the last reset. */
guint64 seq_lstm_state_get_steps (const SeqLstmState * state);
/* Copies h (@which_h = TRUE) or c of layer @layer, width output size resp.
 * hidden size, into @dst. */
void seq_lstm_state_get (const SeqLstmState * state, guint layer,
    gboolean which_h, float *dst);
/* Sets h or c of @layer (as PyTorch's h0/c0) */
void seq_lstm_state_set (SeqLstmState * state, guint layer, gboolean which_h,
    const float *src);

/* Serialized state (versioned, checksummed; the layout is documented in
 * lib/lstm.c next to the writer): h and c of every layer, the step count, and
 * a fingerprint of the model (sizes and a hash of the weights). Restoring a
 * blob written for another model fails with SEQ_LSTM_ERROR_STATE. */
GBytes *seq_lstm_state_save (const SeqLstmState * state);
gboolean seq_lstm_state_restore (SeqLstmState * state, GBytes * blob,
    GError ** error);

/* Scratch for one caller: sized for up to @max_streams streams and
 * @max_steps steps per internal chunk (longer calls are split, with identical
 * results). @n_threads: 0 = all available cores; 1 = no threading. The
 * workspace owns n_threads - 1 worker threads (sleeping when idle). */
SeqLstmWorkspace *seq_lstm_workspace_new (const SeqLstmModel * model,
    guint max_streams, guint max_steps, guint n_threads);
void seq_lstm_workspace_free (SeqLstmWorkspace * ws);
guint seq_lstm_workspace_get_n_threads (const SeqLstmWorkspace * ws);

/* Advances @n_streams states by @n_steps frames.
 *   @input:  [n_steps][n_streams][input_size] f32
 *   @output: [n_steps][n_streams][output_width (mode)] f32
 * For one stream this is the wire layout x[T][D]. Allocates nothing.
 * Non-finite input propagates as in PyTorch (NaN in, NaN out). */
void seq_lstm_forward (const SeqLstmModel * model, SeqLstmState * const *states,
    guint n_streams, const float *input, guint n_steps, float *output,
    SeqLstmOutput mode, SeqLstmWorkspace * ws);

/* ---- Additions: weight storage precision, kernel choice, identity ---- */

/* Storage precision of the weights inside a model. Arithmetic is always f32
 * (weights are converted exactly to f32 on load into registers); BF16/F16
 * halve the memory traffic at the cost of rounding the weights once at model
 * creation (measured effect on outputs: see tests/test_lstm.c). */
typedef enum {
  SEQ_LSTM_PRECISION_F32,
  SEQ_LSTM_PRECISION_BF16,
  SEQ_LSTM_PRECISION_F16,
  SEQ_LSTM_PRECISION_BF16_MATMUL,
} SeqLstmPrecision;
/* SEQ_LSTM_PRECISION_BF16_MATMUL is not storage only: weights are stored as
 * bf16 AND the activations (x, h) are rounded to bf16 before every matrix
 * product; the products are summed in f32 and the gate math and the state
 * (c, h) stay f32. This is PyTorch's "medium" float32 matmul precision
 * (torch.set_float32_matmul_precision) and what Intel AMX computes: on CPUs
 * with AMX-BF16 the products run on AMX tiles (several times the f32 FMA
 * throughput), elsewhere on the scalar reference (slow). Outputs differ
 * from f32 by the bf16 rounding (measured: tests/test_lstm.c and README).
 * The determinism of this mode holds per kernel set: bitwise identical for
 * any thread count, chunking and batch composition on one machine; the AMX
 * and the scalar kernels differ by f32 summation order only. */

/* TRUE when workspaces made now run SEQ_LSTM_PRECISION_BF16_MATMUL on AMX
 * tiles or AVX512-BF16 dot products (CPU and OS support them;
 * SEQENC_KERNELS not forcing others); FALSE when that precision would run
 * on the slow scalar reference. */
gboolean seq_lstm_bf16_matmul_accelerated (void);

/* "f32", "bf16", "f16", "bf16-matmul" <-> enum. FALSE for an unknown name. */
gboolean seq_lstm_precision_from_string (const gchar * name,
    SeqLstmPrecision * out);
const gchar *seq_lstm_precision_to_string (SeqLstmPrecision precision);

/* As the functions above, with a storage precision. */
SeqLstmModel *seq_lstm_model_new_random_full (const SeqLstmParams * params,
    SeqLstmPrecision precision, GError ** error);
SeqLstmModel *seq_lstm_model_new_from_weights_full (const SeqWeights * weights,
    const gchar * prefix, SeqLstmPrecision precision, GError ** error);
SeqLstmModel *seq_lstm_model_new_from_file_full (const gchar * path,
    const gchar * prefix, SeqLstmPrecision precision, GError ** error);
SeqLstmPrecision seq_lstm_model_get_precision (const SeqLstmModel * model);
gboolean seq_lstm_model_has_bias (const SeqLstmModel * model);
/* 64-bit hash of the sizes, the precision and the stored weights; equal
 * fingerprints = same numbers out. Part of every state blob. */
guint64 seq_lstm_model_get_fingerprint (const SeqLstmModel * model);

/* Which kernels a workspace runs. AUTO = the best this CPU supports (the
 * environment variable SEQENC_KERNELS=scalar|avx2|avx512|avx512bf16|amx
 * overrides it). For f32/bf16/f16 storage all of them give bitwise-identical
 * results; SCALAR is the reference. AMX and AVX512_BF16 = the AVX-512
 * kernels plus, for SEQ_LSTM_PRECISION_BF16_MATMUL, AMX tiles resp.
 * VDPBF16PS (the other sets run that precision on the scalar reference). */
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
gboolean seq_lstm_workspace_set_kernels (SeqLstmWorkspace * ws,
    SeqLstmKernels kernels, GError ** error);
/* "scalar", "avx2", "avx512", "avx512bf16" or "amx". */
const gchar *seq_lstm_workspace_get_kernels_name (const SeqLstmWorkspace * ws);
guint seq_lstm_workspace_get_max_streams (const SeqLstmWorkspace * ws);
/* How long (microseconds) an idle worker thread of this workspace keeps
 * polling for the next step, yielding its core between polls, before it
 * sleeps. Default 50 (environment SEQENC_SPIN_US overrides the default);
 * 0 = sleep at once (lowest CPU use, ~5-10 us more per step). Results do
 * not depend on it. */
void seq_lstm_workspace_set_spin_us (SeqLstmWorkspace * ws, guint spin_us);
/* The model a state belongs to (not a new reference). */
const SeqLstmModel *seq_lstm_state_get_model (const SeqLstmState * state);

G_END_DECLS
