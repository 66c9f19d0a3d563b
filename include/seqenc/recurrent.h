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

/* ---- precisions (every recurrent cell) ---------------------------------- */

/* Storage precision of the weights inside a model. Arithmetic is f32
 * (weights are converted exactly to f32 on load into registers); BF16/F16
 * halve the memory traffic at the cost of rounding the weights once at model
 * creation (measured effect on outputs: tests/test_lstm.c, tests/test_gru.c and README).
 *
 * SEQ_PRECISION_INT8 is dynamic quantization as PyTorch's
 * quantize_dynamic and ONNX Runtime's DynamicQuantizeLSTM: every row of
 * W_ih and W_hh (one gate of one hidden unit; 4 gates in the LSTM, 3 in
 * the GRU) is stored as int8 with its
 * own symmetric scale (max |row| / 127); at run time each input row x and
 * each h (per stream, per step) is quantized the same way with its own
 * scale, the products are summed exactly in int32 and dequantized to f32
 * before the bias and the gate math; c, h and the gate math stay f32, and
 * a projection (proj_size) stays f32. Needs SEQ_MATMUL_F32. Bitwise identical
 * for any kernel set (scalar, AVX2, AVX512-VNNI, AVX-VNNI), thread count,
 * chunking and batch composition. Error vs f32: tests/test_lstm_int8.c
 * (both cells) and README. */
typedef enum {
  SEQ_PRECISION_F32,
  SEQ_PRECISION_BF16,
  SEQ_PRECISION_F16,
  SEQ_PRECISION_INT8,
} SeqPrecision;

/* Precision of the operands of the matrix products.
 * SEQ_MATMUL_BF16 stores the weights as bf16 AND rounds the activations
 * (x, h) to bf16 before every matrix product; the products are summed in f32
 * and the gate math and the state (c, h) stay f32. This is PyTorch's "medium"
 * float32 matmul precision (torch.set_float32_matmul_precision) and what
 * Intel AMX computes: on CPUs with AMX-BF16 the products run on AMX tiles,
 * with AVX512-BF16 on VDPBF16PS, elsewhere on the scalar reference (slow).
 * Outputs differ from f32 by the bf16 rounding (measured: tests/test_lstm.c, tests/test_gru.c
 * and README). The determinism of this mode holds per kernel set: bitwise
 * identical for any thread count, chunking and batch composition on one
 * machine; the AMX and the scalar kernels differ by f32 summation order only.
 * It needs weights_precision F32 or BF16 (the weights are rounded to bf16
 * either way); F16 weights are refused with SEQ_<CELL>_ERROR_CONFIG. */
typedef enum {
  SEQ_MATMUL_F32,
  SEQ_MATMUL_BF16,
} SeqMatmulPrecision;

/* "f32", "bf16", "f16", "int8" <-> SeqPrecision. FALSE for an unknown name. */
SEQ_API gboolean seq_precision_from_string (const gchar * name,
    SeqPrecision * out);
SEQ_API const gchar *seq_precision_to_string (SeqPrecision precision);

/* TRUE when workspaces made now run SEQ_MATMUL_BF16 on AMX tiles or
 * AVX512-BF16 dot products (CPU and OS support them; SEQENC_KERNELS not
 * forcing others); FALSE when that precision would run on the slow scalar
 * reference. */
SEQ_API gboolean seq_matmul_bf16_accelerated (void);

/* TRUE when workspaces made now run SEQ_PRECISION_INT8 on SIMD integer
 * dot products (AVX512-VNNI, AVX-VNNI, or AVX2's VPMADDWD: slower than f32
 * with many streams); FALSE when it would run on the exact but slow scalar
 * reference. */
SEQ_API gboolean seq_int8_accelerated (void);

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

  /* Resident states (the cells of seqenc have them; a cell may leave all
   * five NULL, and then a driver such as the batcher hands forward the
   * state objects every time). A workspace can hold the h (and c) of
   * streams that live in it between calls, in numbered slots laid out as
   * its forward runs on them, so that a forward over streams in
   * consecutive slots copies no state at all. Slots may be read and
   * written (load, store) while a forward_slots that does not use them
   * runs on the workspace; reserve and move must not overlap any forward.
   * Grows the slots to at least @n_slots (the held ones keep their
   * values; new ones are zero); FALSE, nothing changed, when too large: */
  gboolean (*workspace_reserve_slots) (gpointer ws, guint n_slots);
  /* @state's h (and c) into @slot; @slot's into @state (its h and c only:
   * its step count is kept by forward_slots); @src's onto @dst: */
  void (*slot_load) (gpointer ws, guint slot, gconstpointer state);
  void (*slot_store) (gpointer ws, guint slot, gpointer state);
  void (*slot_move) (gpointer ws, guint dst, guint src);
  /* As forward, but stream b's h (and c) are those of slot @slots[b], not
   * of @states[b] (whose step count advances by @n_steps). Output is
   * bitwise that of forward. TRUE when the slots were consecutive
   * (slots[b] = slots[0] + b) and it ran on them in place; FALSE when it
   * gathered and scattered them (or did nothing: no streams or steps). */
  gboolean (*forward_slots) (gconstpointer model, gpointer const *states,
      const guint * slots, guint n_streams, const float *input,
      guint n_steps, float *output, SeqRecurrentOutput mode, gpointer ws);
} SeqRecurrentIface;

G_END_DECLS
