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
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SEQ_PANEL 64            /* columns per panel */
#define SEQ_GATE_UNITS 16       /* hidden units per gate panel */

typedef enum {
  SEQ_KDTYPE_F32 = 0,
  SEQ_KDTYPE_BF16 = 1,
  SEQ_KDTYPE_F16 = 2,
} SeqKDtype;

typedef struct {
  guint K;                      /* rows (reduction length) */
  guint N;                      /* real columns */
  guint n_panels;               /* ceil (N / 64) */
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
/* Element (k, n) converted to f32. */
float seq_packed_get (const SeqPacked * p, guint k, guint n);

/* f32 -> bf16 / f16, round to nearest even (NaN kept NaN). */
guint16 seq_kernel_f32_to_bf16 (float f);
guint16 seq_kernel_f32_to_f16 (float f);
float seq_kernel_bf16_to_f32 (guint16 b);
float seq_kernel_f16_to_f32 (guint16 h);

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
} SeqKernels;

typedef enum {
  SEQ_KERNELS_AUTO = 0,
  SEQ_KERNELS_SCALAR = 1,
  SEQ_KERNELS_AVX2 = 2,
  SEQ_KERNELS_AVX512 = 3,
} SeqKernelsIsa;

/* The kernels for @isa, NULL when not built in or not supported by this CPU.
 * AUTO picks the best supported one (SEQENC_KERNELS=scalar|avx2|avx512 in
 * the environment overrides it). */
const SeqKernels *seq_kernels_get (SeqKernelsIsa isa);

extern const SeqKernels seq_kernels_scalar;
#ifdef SEQ_HAVE_KERNELS_AVX2
extern const SeqKernels seq_kernels_avx2;
#endif
#ifdef SEQ_HAVE_KERNELS_AVX512
extern const SeqKernels seq_kernels_avx512;
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

typedef struct {
  guint L, I, H, P, O;          /* layers, input, hidden, proj (0), output */
  guint Hp;                     /* H rounded up to 16 */
  gsize ldo;                    /* stride of h rows: O rounded up to 64 */
  SeqLstmLayerK *layers;        /* [L] */
  const float *zeros;           /* >= max (4Hp, ldo) zeros */
} SeqLstmNet;

typedef struct {
  guint max_rows;               /* max_steps * max_streams */
  float *pre;                   /* [max_rows][4Hp] */
  float *y[2];                  /* [max_rows][ldo] */
  float *hraw;                  /* [max_streams][Hp] (proj only) */
  float *h0;                    /* [L][max_streams][ldo]: h at chunk start */
  float *c;                     /* [L][max_streams][Hp] */
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
