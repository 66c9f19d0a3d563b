/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — private kernel layer: the kernel vtable and its run-time
 * dispatch (not installed). Layout of the weights: packed.h. Gate math:
 * gates.h. The thread pool: pool.h. The stacked recurrent driver: rnn.h.
 *
 * Determinism contract of every kernel (scalar and SIMD alike): output
 * element (m, n) of a product is
 *
 *   acc = init[m][n];  for k = 0 .. K-1:  acc = fmaf (X[m][k], W[k][n], acc)
 *
 * in exactly that order, whatever the row range, panel range, thread or ISA;
 * the gate math runs the same fixed sequence of IEEE operations in scalar
 * and SIMD code. Hence bitwise equal results across ISAs, thread counts,
 * batch compositions and T chunkings.
 *
 * bf16 matmul (weights SEQ_KDTYPE_BF16_VNNI, activations bf16 rows of Kp
 * elements): AMX sums each tile's 32 products with its own internal order
 * and rounding, and VDPBF16PS sums pairs, which is not an fmaf chain; so
 * those kernel sets are bitwise reproducible for any thread count, batch
 * composition and chunking (every output row is computed by the same
 * operations), but differ from the scalar reference of this mode (an fmaf
 * chain over k) by rounding only: tests/test_lstm.c bounds that difference.
 *
 * int8 (weights SEQ_KDTYPE_I8, activations u8 rows made by seq_quant_row):
 * output (m, n) is
 *
 *   acc = sum_k u8[m][k] q[k][n] - comp[n]      (int32, exact in any order)
 *   Y[m][n] = fmaf ((float) acc, xs[m] * scale[n], init[m][n])
 *
 * Every integer is exact, so every kernel set (scalar, AVX512-VNNI,
 * AVX-VNNI) gives bitwise the same outputs, for any thread count, batch
 * composition and chunking.
 */
#pragma once

#include "packed.h"

G_BEGIN_DECLS

/* The recurrent cells the kernels have a fused step for. */
typedef enum {
  SEQ_CELL_LSTM = 0,            /* 4 gates i, f, g, o; state h, c */
  SEQ_CELL_GRU = 1,             /* 3 gates r, z, n; state h */
  SEQ_N_CELLS
} SeqCellKind;

/* Gates per hidden unit (= groups per panel of its gate matrices). */
static inline guint
seq_cell_n_gates (SeqCellKind cell)
{
  return cell == SEQ_CELL_GRU ? 3 : 4;
}

/* Products over packed panels [p0, p1) of W, rows m in [0, M):
 *   Y[m][p*pw + j] = init[m][p*pw + j] + sum_k X[m][k] W[k][p*pw + j]
 * (fixed fmaf chain); @ldi may be 0 (one init row for all m). gemv is the
 * M = 1 case (several panels streamed at once). The _b form takes bf16
 * activation rows of W->Kp elements (W packed SEQ_KDTYPE_BF16_VNNI); rows
 * up to the next multiple of 16 past M must be readable (their results are
 * dropped). */
typedef void (*SeqGemmFunc) (const float *X, gsize ldx, guint M,
    const SeqPacked * W, guint p0, guint p1, const float *init, gsize ldi,
    float *Y, gsize ldy);
typedef void (*SeqGemvFunc) (const float *x, const SeqPacked * W, guint p0,
    guint p1, const float *init, float *y);
typedef void (*SeqGemmBFunc) (const guint16 *X, gsize ldx, guint M,
    const SeqPacked * W, guint p0, guint p1, const float *init, gsize ldi,
    float *Y, gsize ldy);
/* int8: @X u8 rows of W->Kp elements (seq_quant_row), @xs their scales. */
typedef void (*SeqGemmQFunc) (const guint8 *X, gsize ldx, const float *xs,
    guint M, const SeqPacked * W, guint p0, guint p1, const float *init,
    gsize ldi, float *Y, gsize ldy);

/* Quantizes the @n values of @x symmetrically for the int8 kernels:
 * s = max |x| / 127 (f32), q[k] = rint (x[k] / s) + 128 as u8 (round to
 * nearest even, clamped to [1, 255]), q = 128 from n up to seq_i8_kp (n).
 * Returns s; 0 for a row of zeros (all q = 128); NaN when a value is not
 * finite (all q = 128: the products are then NaN). */
float seq_quant_row (const float *x, guint n, guint8 * q);

/* One fused recurrent step over the gate panels [p0, p1) (16 hidden units
 * each) of rows [0, M): the products, then the cell's gate math (gates.h)
 * for those units. Strides in elements.
 *
 * Input part: with @x (resp. @xb) != NULL the input projection is fused:
 * the chain starts at @pre (the bias row, ldp = 0) and runs over x Wx;
 * else @pre holds the finished input projection rows (x W_ih + b). Either
 * way the same operations as a separate gemm into pre, so the same bits.
 *
 * Recurrent part: LSTM: the chain goes on over h Wh into the same
 * accumulators. GRU: its own chain from @bh (b_hh, one row) over h Wh.
 *
 * f32 mode reads @x and @h; bf16-matmul mode (the step_b entries) reads
 * @xb and @hb (bf16 rows of Kp elements) and also writes h as bf16 to
 * @hout_b (the columns past the hidden units left alone). The GRU also
 * reads @h (f32) for h_prev in both modes. */
typedef struct {
  const float *x;
  const guint16 *xb;
  gsize ldx;
  const SeqPacked *wx;
  const float *pre;
  gsize ldp;
  const float *h;
  const guint16 *hb;
  gsize ldh, ldhb;
  const SeqPacked *wh;
  const float *bh;              /* GRU: b_hh in packed order */
  float *c;                     /* LSTM: cell state, updated in place */
  gsize ldc;
  float *hout;
  gsize ldo;
  guint16 *hout_b;              /* bf16 mode */
  gsize ldob;
  /* int8 mode (the step_q entries): @xq / @hq u8 rows (seq_quant_row) with
   * their scales @xs / @hs (one per row); @xq NULL when @pre holds the
   * input projection; @xq's stride is @ldx. */
  const guint8 *xq;
  const float *xs;
  const guint8 *hq;
  const float *hs;
  gsize ldhq;
} SeqStepArgs;

typedef void (*SeqStepFunc) (const SeqStepArgs * a, guint M, guint p0,
    guint p1);

/* One ISA's kernels. */
typedef struct {
  const char *name;             /* "scalar", "avx2", "avx512", ... */
  SeqGemmFunc gemm;
  SeqGemvFunc gemv;
  SeqGemmBFunc gemm_b;          /* bf16 matmul */
  SeqStepFunc step[SEQ_N_CELLS];        /* fused step per cell, f32 */
  SeqStepFunc step_b[SEQ_N_CELLS];      /* same, bf16 matmul */
  const char *name_q;           /* the int8 kernels: "scalar",
                                 * "avx512vnni", "avxvnni", "avx2" */
  SeqGemmQFunc gemm_q;          /* int8 */
  SeqStepFunc step_q[SEQ_N_CELLS];      /* same, int8 */
} SeqKernels;

typedef enum {
  SEQ_KERNELS_AUTO = 0,
  SEQ_KERNELS_SCALAR = 1,
  SEQ_KERNELS_AVX2 = 2,
  SEQ_KERNELS_AVX512 = 3,
  SEQ_KERNELS_AMX = 4,          /* AVX-512 plus AMX-BF16 for bf16 matmul */
  SEQ_KERNELS_AVX512BF16 = 5,   /* AVX-512 plus VDPBF16PS for bf16 matmul */
} SeqKernelsIsa;

/* The kernels for @isa, NULL when not built in or not supported by this CPU
 * (AMX also needs the kernel's permission for tile data, asked for once).
 * The int8 entries of a set are the best int8 kernels that set's
 * instructions allow on this CPU: AVX512-VNNI for the AVX-512 sets where
 * the CPU has AVX512-VNNI and AVX512-BW, else AVX-VNNI where it has that,
 * else AVX2 (VPMADDWD) for the AVX2 and AVX-512 sets, else the scalar
 * reference; all give the same bits. AMX-INT8 is not used.
 * AUTO picks the best supported one: amx, avx512bf16, avx512, avx2, scalar
 * (SEQENC_KERNELS=scalar|avx2|avx512|avx512bf16|amx in the environment
 * overrides it). */
const SeqKernels *seq_kernels_get (SeqKernelsIsa isa);

/* The scalar bf16-matmul reference (an fmaf chain over k, as the f32
 * kernels), also what the kernel sets without bf16 arithmetic run in that
 * mode. */
void seq_kernel_gemm_b_scalar (const guint16 *X, gsize ldx, guint M,
    const SeqPacked * W, guint p0, guint p1, const float *init, gsize ldi,
    float *Y, gsize ldy);
void seq_kernel_lstm_step_b_scalar (const SeqStepArgs * a, guint M, guint p0,
    guint p1);
void seq_kernel_gru_step_b_scalar (const SeqStepArgs * a, guint M, guint p0,
    guint p1);
/* The scalar int8 reference (kernels.h's formula, row by row). */
void seq_kernel_gemm_q_scalar (const guint8 *X, gsize ldx, const float *xs,
    guint M, const SeqPacked * W, guint p0, guint p1, const float *init,
    gsize ldi, float *Y, gsize ldy);
void seq_kernel_lstm_step_q_scalar (const SeqStepArgs * a, guint M, guint p0,
    guint p1);
void seq_kernel_gru_step_q_scalar (const SeqStepArgs * a, guint M, guint p0,
    guint p1);

/* The kernel sets (scalar.c, simd.c, kernels_amx.c, kernels_avx512bf16.c) */
extern const SeqKernels seq_kernels_scalar;
#ifdef SEQ_HAVE_KERNELS_AVX2
extern const SeqKernels seq_kernels_avx2;
#endif
#ifdef SEQ_HAVE_KERNELS_AVX512
extern const SeqKernels seq_kernels_avx512;
/* Its f32-activation kernels, which the AMX and AVX512-BF16 sets run too. */
void seq_kernel_gemm_avx512 (const float *X, gsize ldx, guint M,
    const SeqPacked * W, guint p0, guint p1, const float *init, gsize ldi,
    float *Y, gsize ldy);
void seq_kernel_gemv_avx512 (const float *x, const SeqPacked * W, guint p0,
    guint p1, const float *init, float *y);
void seq_kernel_lstm_step_avx512 (const SeqStepArgs * a, guint M, guint p0,
    guint p1);
void seq_kernel_gru_step_avx512 (const SeqStepArgs * a, guint M, guint p0,
    guint p1);
#endif
#ifdef SEQ_HAVE_KERNELS_AMX
extern const SeqKernels seq_kernels_amx;
#endif
#ifdef SEQ_HAVE_KERNELS_AVX512BF16
extern const SeqKernels seq_kernels_avx512bf16;
#endif
/* The int8 kernels (kernels_int8.c, built per ISA); only their gemm_q,
 * step_q and name_q are set. */
#ifdef SEQ_HAVE_KERNELS_AVX512VNNI
extern const SeqKernels seq_kernels_q_avx512vnni;
#endif
#ifdef SEQ_HAVE_KERNELS_AVXVNNI
extern const SeqKernels seq_kernels_q_avxvnni;
#endif
#ifdef SEQ_HAVE_KERNELS_AVX512VNNI256
extern const SeqKernels seq_kernels_q_avx512vnni256;
#endif
#ifdef SEQ_HAVE_KERNELS_INT8AVX2
extern const SeqKernels seq_kernels_q_avx2;
#endif

/* The int8 kernels by name_q ("scalar", "avx512vnni", "avxvnni", "avx2",
 * "avx512vnni-ymm": the AVX-VNNI code in the EVEX encoding, which only the
 * tests use), NULL when not built in or not supported by this CPU. */
const SeqKernels *seq_kernels_int8_get (const char *name);

G_END_DECLS
