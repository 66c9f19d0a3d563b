/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — private kernel layer (not installed).
 *
 * Weight layout ("packed"): a matrix used as Y = X W with W of K rows (the
 * reduction) and N columns (the outputs) is stored as panels of
 * SEQ_PANEL = 64 columns, each panel K x 64 contiguous, panel after panel:
 *
 *   data[p][k][j] = W[k][p * 64 + j]      (N padded to a multiple of 64 with 0)
 *
 * so a kernel streams through a panel linearly and vectorizes over the 64
 * output columns. Elements are f32, bf16 or f16 (storage only: converted to
 * f32 exactly on load, then f32 arithmetic).
 *
 * Determinism contract of every kernel (scalar and SIMD alike): output
 * element (m, n) is
 *
 *   acc = init[m][n];  for k = 0 .. K-1:  acc = fmaf (X[m][k], W[k][n], acc)
 *
 * in exactly that order, whatever the row range, panel range, thread or ISA.
 * The gate math (lstm_step) uses the same fixed sequence of IEEE operations
 * in scalar and SIMD code (see seq_gate_* in kernels.c). Hence bitwise equal
 * results across ISAs, thread counts, batch compositions and T chunkings.
 *
 * LSTM gate columns are interleaved so that one panel holds the four gates
 * of 16 hidden units: panel p, column q * 16 + j (q = 0 i, 1 f, 2 g, 3 o) is
 * PyTorch row q * H + p * 16 + j. The thread that computes a panel applies
 * the gate math for its 16 units right away (fused step).
 *
 * bf16 matmul (SEQ_KDTYPE_BF16_VNNI, the model precision "bf16-matmul"):
 * both operands of every matrix product are bf16 and the products are summed
 * in f32, as AMX TDPBF16PS does (and as PyTorch's "medium" float32 matmul
 * precision). The weights are packed for AMX: K rounded up to Kp, a multiple
 * of 32; per panel p, k-block kb (32 rows of W) and 16-column group q, one
 * 1 KiB tile of 16 rows x 16 column pairs ("VNNI" order):
 *
 *   data[((p * nkb + kb) * 4 + q) * 512 + k2 * 32 + j * 2 + e]
 *       = bf16 (W[kb * 32 + 2 * k2 + e][p * 64 + q * 16 + j])   (0 beyond K)
 *
 * The activations (the A operand) are bf16 rows of Kp elements (zeros past
 * K), made from the f32 values by round-to-nearest-even (seq_f32_to_bf16).
 * Determinism: AMX sums each tile's 32 products with its own internal order
 * and rounding, which is not an fmaf chain; so the AMX kernels are bitwise
 * reproducible for any thread count, batch composition and chunking (every
 * output row is computed by the same tile operations), but they differ from
 * the scalar reference of this mode (an fmaf chain over k) by rounding only:
 * tests/test_lstm.c bounds that difference.
 */
#pragma once

#include <glib.h>
#include "seqenc-private.h"

G_BEGIN_DECLS

#define SEQ_PANEL 64            /* columns per panel */
#define SEQ_GATE_UNITS 16       /* hidden units per gate panel */

typedef enum {
  SEQ_KDTYPE_F32 = 0,
  SEQ_KDTYPE_BF16 = 1,
  SEQ_KDTYPE_F16 = 2,
  SEQ_KDTYPE_BF16_VNNI = 3,     /* bf16 matmul: AMX tile layout, see above */
} SeqKDtype;

#define SEQ_BF16_KBLOCK 32      /* k rows per AMX tile (bf16 pairs x 16) */
#define SEQ_BF16_ROWS 16        /* activation rows per AMX tile */

/* K rounded up to a whole number of k-blocks. */
static inline guint
seq_bf16_kp (guint K)
{
  return (K + SEQ_BF16_KBLOCK - 1) / SEQ_BF16_KBLOCK * SEQ_BF16_KBLOCK;
}

typedef struct {
  guint K;                      /* rows (reduction length) */
  guint N;                      /* real columns */
  guint n_panels;               /* ceil (N / 64) */
  guint Kp;                     /* K, or for BF16_VNNI K rounded up to 32 */
  SeqKDtype dtype;              /* element storage type */
  gpointer data;                /* 64-byte aligned, n_panels * K * 64 elements */
} SeqPacked;

/* Packs @dense ([K][Np] f32, row-major, Np = n_panels * 64, columns already
 * in packed order) into @p with storage @dtype. FALSE on allocation failure. */
gboolean seq_packed_init (SeqPacked * p, const float *dense, guint K,
    guint N, SeqKDtype dtype);
void seq_packed_clear (SeqPacked * p);
/* Bytes of the packed data (for fingerprints). */
gsize seq_packed_n_bytes (const SeqPacked * p);

/* One ISA's kernels. Rows m in [0, M); panels p in [p0, p1). */
typedef struct {
  const char *name;             /* "scalar", "avx2", "avx512" */
  /* Y[m][p*64 + j] = init[m][p*64 + j] + sum_k X[m][k] W[k][p*64 + j]
   * (fixed fmaf chain). @ldi may be 0 (one init row for all m). */
  void (*gemm) (const float *X, gsize ldx, guint M, const SeqPacked * W,
      guint p0, guint p1, const float *init, gsize ldi, float *Y, gsize ldy);
  /* Fused LSTM step over gate panels [p0, p1): gates = pre + Hprev W, then
   * for units u = p*16 + j: c = f*c + i*g (as fmaf (f, c, i*g)),
   * h = o * tanh (c), written to C[m][u] and Hout[m][u].
   * With @X != NULL the input projection is fused too: the chain starts at
   * pre (then the bias row, ldp = 0), runs over X Wx, then over Hprev W:
   * the same operations as a separate gemm into pre, so the same bits. */
  void (*lstm_step) (const float *X, gsize ldx, const SeqPacked * Wx,
      const float *Hprev, gsize ldh, guint M,
      const SeqPacked * W, guint p0, guint p1, const float *pre, gsize ldp,
      float *C, gsize ldc, float *Hout, gsize ldo);
  /* bf16 matmul (W packed SEQ_KDTYPE_BF16_VNNI): as gemm and lstm_step, with
   * bf16 activation rows of W->Kp elements (strides in elements). Rows up to
   * the next multiple of 16 past M must be readable (their results are
   * dropped). lstm_step_b also writes h as bf16 to Hb (stride ldb, the Kp
   * columns past the hidden units left alone). */
  void (*gemm_b) (const guint16 *X, gsize ldx, guint M, const SeqPacked * W,
      guint p0, guint p1, const float *init, gsize ldi, float *Y, gsize ldy);
  void (*lstm_step_b) (const guint16 *X, gsize ldx, const SeqPacked * Wx,
      const guint16 *Hprev, gsize ldh, guint M,
      const SeqPacked * W, guint p0, guint p1, const float *pre, gsize ldp,
      float *C, gsize ldc, float *Hout, gsize ldo, guint16 *Hb, gsize ldb);
} SeqKernels;

/* The scalar bf16-matmul reference (an fmaf chain over k, as the f32
 * kernels), also what the non-AMX kernel sets run in that mode. */
void seq_kernel_gemm_b_scalar (const guint16 *X, gsize ldx, guint M,
    const SeqPacked * W, guint p0, guint p1, const float *init, gsize ldi,
    float *Y, gsize ldy);
void seq_kernel_lstm_step_b_scalar (const guint16 *X, gsize ldx,
    const SeqPacked * Wx, const guint16 *Hprev, gsize ldh, guint M,
    const SeqPacked * W, guint p0, guint p1, const float *pre, gsize ldp,
    float *C, gsize ldc, float *Hout, gsize ldo, guint16 *Hb, gsize ldb);

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
 * AUTO picks the best supported one: amx, avx512bf16, avx512, avx2, scalar
 * (SEQENC_KERNELS=scalar|avx2|avx512|avx512bf16|amx in the environment
 * overrides it). */
const SeqKernels *seq_kernels_get (SeqKernelsIsa isa);

extern const SeqKernels seq_kernels_scalar;
#ifdef SEQ_HAVE_KERNELS_AVX2
extern const SeqKernels seq_kernels_avx2;
#endif
#ifdef SEQ_HAVE_KERNELS_AVX512
extern const SeqKernels seq_kernels_avx512;
/* Its f32/bf16/f16-storage kernels, which the AMX set runs too. */
void seq_kernel_gemm_avx512 (const float *X, gsize ldx, guint M,
    const SeqPacked * W, guint p0, guint p1, const float *init, gsize ldi,
    float *Y, gsize ldy);
void seq_kernel_lstm_step_avx512 (const float *X, gsize ldx,
    const SeqPacked * Wx, const float *Hprev, gsize ldh, guint M,
    const SeqPacked * W, guint p0, guint p1, const float *pre, gsize ldp,
    float *C, gsize ldc, float *Hout, gsize ldo);
#endif
#ifdef SEQ_HAVE_KERNELS_AMX
extern const SeqKernels seq_kernels_amx;
#endif
#ifdef SEQ_HAVE_KERNELS_AVX512BF16
extern const SeqKernels seq_kernels_avx512bf16;
#endif

/* ---- Thread pool (pool.c): fork/join with bounded, yielding spin -------- */

/* Microseconds a waiting pool thread spins (yielding the core between
 * checks) before it sleeps; see pool.c for the measurements behind it. */
#define SEQ_POOL_DEFAULT_SPIN_US 50

typedef struct _SeqPool SeqPool;
typedef void (*SeqPoolFunc) (gpointer data, guint tid, guint n_threads,
    SeqPool * pool);

/* @n_threads counts the caller: n_threads - 1 workers are started. The
 * environment variable SEQENC_SPIN_US overrides the spin budget. */
SeqPool *seq_pool_new (guint n_threads);
void seq_pool_free (SeqPool * pool);
guint seq_pool_n_threads (const SeqPool * pool);
void seq_pool_set_spin_us (SeqPool * pool, guint spin_us);
/* Runs @func on every thread of the pool (the caller is tid 0) and returns
 * when all have returned. One caller at a time. */
void seq_pool_run (SeqPool * pool, SeqPoolFunc func, gpointer data);
/* All threads of the running job meet here. */
void seq_pool_barrier (SeqPool * pool);

/* ---- Stacked LSTM driver -------------------------------------------------- */

typedef struct {
  guint K_in;                   /* input width of this layer (I or O) */
  SeqPacked wx;                 /* [K_in][4Hp] gate-interleaved */
  SeqPacked wh;                 /* [O][4Hp] gate-interleaved */
  SeqPacked wr;                 /* [H][P] plain, only when P > 0 */
  float *bias;                  /* [4Hp] b_ih + b_hh interleaved (zeros if none) */
} SeqLstmLayerK;
/* In bf16 matmul mode (bf16 == TRUE) wx, wh and wr are BF16_VNNI and the
 * layer inputs travel as bf16 rows too: stride ldb (>= Kp of every matrix). */

typedef struct {
  guint L, I, H, P, O;          /* layers, input, hidden, proj (0), output */
  guint Hp;                     /* H rounded up to 16 */
  gsize ldo;                    /* stride of h rows: O rounded up to 64 */
  SeqLstmLayerK *layers;        /* [L] */
  const float *zeros;           /* >= max (4Hp, ldo) zeros */
  gboolean bf16;                /* bf16 matmul mode */
  gsize ldb;                    /* bf16 row stride: max Kp of I, O, H */
} SeqLstmNet;

typedef struct {
  guint max_rows;               /* max_steps * max_streams */
  guint max_streams;
  float *pre;                   /* [max_rows][4Hp] */
  float *y[2];                  /* [max_rows][ldo] */
  float *hraw;                  /* [max_streams][Hp] (proj only) */
  float *h0;                    /* [L][max_streams][ldo]: h at chunk start */
  float *c;                     /* [L][max_streams][Hp] */
  /* bf16 matmul mode only (NULL otherwise), rows + 16 for whole tiles: */
  guint16 *xb;                  /* [max_rows + 16][ldb]: layer-0 input */
  guint16 *yb[2];               /* [max_rows + 16][ldb]: y as bf16 */
  guint16 *hrawb;               /* [max_streams + 16][ldb] (proj only) */
  guint16 *h0b;                 /* [L][max_streams + 16][ldb] */
} SeqLstmScratch;

/* Advances B streams by T steps (T * B <= max_rows). @x: [T][B][I] rows of
 * stride @ldx. @out: [T][B] rows of stride @ldout; layer l written at column
 * l * O when @all_layers, else only the last layer at column 0. h0 and c
 * are read as the state at t = 0 and hold the state after step T - 1 on
 * return. */
void seq_lstm_run_chunk (const SeqKernels * k, SeqPool * pool,
    const SeqLstmNet * net, SeqLstmScratch * s, guint B, guint T,
    const float *x, gsize ldx, float *out, gsize ldout, gboolean all_layers);

/* Cores available to this process. */
guint seq_kernels_max_threads (void);

G_END_DECLS
