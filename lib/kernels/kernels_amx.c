/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — AMX-BF16 kernels of the bf16-matmul mode (compiled with
 * -mamx-tile -mamx-bf16 -mavx512f, chosen at run time when the CPU has AMX
 * and Linux grants the tile state; cpu.c asks for it). For f32, bf16 and
 * f16 weight storage this kernel set runs the AVX-512 kernels.
 *
 * Tiles: tmm0..G-1 accumulate the G gate groups (LSTM i, f, g, o; GRU r, z,
 * n: 16 rows x 16 columns of f32 each) of one panel for 16 activation rows;
 * tmm4 holds 16 activation rows x 32 bf16 (one k-block); tmm5..7 take the
 * weight tiles of the k-block in turn (layout: packed.h). With more than 16
 * rows left and four groups, blocks of 32 rows x 32 columns (two passes per
 * panel) halve the weight-tile loads. Every output row gets the same sequence of tile
 * operations whatever its position in the tile, the row count, the panel
 * range or the thread: hence bitwise reproducible across batch
 * compositions, thread counts and chunkings. After the last k-block the
 * tiles go to a 32 x 64 f32 buffer and the gate math of gates.h (the same
 * as every other kernel set) finishes the step. */
#define SEQ_SIMD_WIDTH 16
#include "simd.h"
#include "kernels.h"
#include "gates.h"

#include <immintrin.h>
#include <string.h>

typedef struct {
  guint8 palette;
  guint8 start_row;
  guint8 reserved[14];
  guint16 colsb[16];
  guint8 rows[16];
} __attribute__((packed)) TileConfig;

/* All eight tiles 64 bytes wide; the accumulators and the activation tiles
 * (tmm0..4) @rows rows, the weight tiles 16 (k pairs). */
static void
tiles_begin (guint rows)
{
  TileConfig cfg __attribute__((aligned (64)));

  memset (&cfg, 0, sizeof (cfg));
  cfg.palette = 1;
  for (int i = 0; i < 8; i++) {
    cfg.rows[i] = i <= 4 ? rows : 16;
    cfg.colsb[i] = 64;
  }
  _tile_loadconfig (&cfg);
}

/* tmm0..G-1 += A (16 rows, stride lda elements) x panel p of W. */
static inline void
tiles_acc_panel (const guint16 * A, gsize lda, const SeqPacked * W, guint p)
{
  const guint G = W->groups;
  guint nkb = W->Kp / SEQ_BF16_KBLOCK;
  const guint16 *t = (const guint16 *) W->data + (gsize) p * nkb * G * 512;
  const gsize stride = lda * sizeof (guint16);

  for (guint kb = 0; kb < nkb; kb++, t += G * 512) {
    _tile_loadd (4, A + (gsize) kb * SEQ_BF16_KBLOCK, stride);
    _tile_loadd (5, t, 64);
    _tile_dpbf16ps (0, 4, 5);
    _tile_loadd (6, t + 512, 64);
    _tile_dpbf16ps (1, 4, 6);
    _tile_loadd (7, t + 1024, 64);
    _tile_dpbf16ps (2, 4, 7);
    if (G == 4) {
      _tile_loadd (5, t + 1536, 64);
      _tile_dpbf16ps (3, 4, 5);
    }
  }
}

/* tmm0..G-1 = the 16 x 16 G f32 block at init (stride ldi floats; 0 = the
 * same row for all 16: a tile load with stride 0). */
static inline void
tiles_init (const float *init, gsize ldi, guint G)
{
  const gsize stride = ldi * sizeof (float);

  _tile_loadd (0, init, stride);
  _tile_loadd (1, init + 16, stride);
  _tile_loadd (2, init + 32, stride);
  if (G == 4)
    _tile_loadd (3, init + 48, stride);
}

/* The 2 x 2 block: 32 rows x 32 columns (half @hf of a panel: gates i, f
 * or g, o). tmm0/1 rows 0-15, tmm2/3 rows 16-31; tmm4/5 the two row tiles,
 * tmm6/7 the two column tiles of a k-block: every weight tile serves 32
 * rows (half the weight traffic of the 16-row block). Each accumulator
 * element sees the same operations as in the 16-row block. */
static inline void
tiles_init_2x2 (const float *init, gsize ldi, guint hf)
{
  const gsize stride = ldi * sizeof (float);
  const float *a = init + hf * 32, *b = a + 16 * ldi;

  _tile_loadd (0, a, stride);
  _tile_loadd (1, a + 16, stride);
  _tile_loadd (2, b, stride);
  _tile_loadd (3, b + 16, stride);
}

static inline void
tiles_acc_2x2 (const guint16 * A, gsize lda, const SeqPacked * W, guint p,
    guint hf)
{
  guint nkb = W->Kp / SEQ_BF16_KBLOCK;
  const guint16 *t = (const guint16 *) W->data + (gsize) p * nkb * 4 * 512 +
      hf * 2 * 512;
  const guint16 *A1 = A + 16 * lda;
  const gsize stride = lda * sizeof (guint16);

  for (guint kb = 0; kb < nkb; kb++, t += 4 * 512) {
    _tile_loadd (4, A + (gsize) kb * SEQ_BF16_KBLOCK, stride);
    _tile_loadd (6, t, 64);
    _tile_dpbf16ps (0, 4, 6);
    _tile_loadd (7, t + 512, 64);
    _tile_dpbf16ps (1, 4, 7);
    _tile_loadd (5, A1 + (gsize) kb * SEQ_BF16_KBLOCK, stride);
    _tile_dpbf16ps (2, 5, 6);
    _tile_dpbf16ps (3, 5, 7);
  }
}

/* into g[32][64] */
static inline void
tiles_store_2x2 (float *g, guint hf)
{
  _tile_stored (0, g + hf * 32, 64 * sizeof (float));
  _tile_stored (1, g + hf * 32 + 16, 64 * sizeof (float));
  _tile_stored (2, g + 16 * 64 + hf * 32, 64 * sizeof (float));
  _tile_stored (3, g + 16 * 64 + hf * 32 + 16, 64 * sizeof (float));
}

static inline void
tiles_store (float *g, guint G)
{
  _tile_stored (0, g, 64 * sizeof (float));
  _tile_stored (1, g + 16, 64 * sizeof (float));
  _tile_stored (2, g + 32, 64 * sizeof (float));
  if (G == 4)
    _tile_stored (3, g + 48, 64 * sizeof (float));
}

/* One block of panel p from row m: g[rows][64] = init + A1 W1 (when A1)
 * + A2 W2. 32 rows (two 2 x 2 passes; four groups only) while more than 16
 * are left, else
 * one 16-row pass with tiles of the rows left (the per-row operations are
 * the same, the tile unit does less); *cfg_rows tracks the tile
 * configuration. Returns the rows consumed (32 or 16; the real ones are
 * MIN of that and M - m). */
static inline guint
panel_block (const guint16 * A1, gsize lda1, const SeqPacked * W1,
    const guint16 * A2, gsize lda2, const SeqPacked * W2, guint p, guint m,
    guint M, const float *init, gsize ldi, float *g, guint * cfg_rows)
{
  const guint G = W2->groups;
  guint n = M - m > 16 && G == 4 ? 32 : 16;
  guint want = n == 32 ? 16 : MIN (16, M - m);

  if (want != *cfg_rows)
    tiles_begin (*cfg_rows = want);
  init += m * ldi + p * W2->pw;
  if (n == 32) {
    for (guint hf = 0; hf < 2; hf++) {
      tiles_init_2x2 (init, ldi, hf);
      if (A1 != NULL)
        tiles_acc_2x2 (A1 + m * lda1, lda1, W1, p, hf);
      tiles_acc_2x2 (A2 + m * lda2, lda2, W2, p, hf);
      tiles_store_2x2 (g, hf);
    }
  } else {
    tiles_init (init, ldi, G);
    if (A1 != NULL)
      tiles_acc_panel (A1 + m * lda1, lda1, W1, p);
    tiles_acc_panel (A2 + m * lda2, lda2, W2, p);
    tiles_store (g, G);
  }
  return n;
}

static void
gemm_b_amx (const guint16 * X, gsize ldx, guint M, const SeqPacked * W,
    guint p0, guint p1, const float *init, gsize ldi, float *Y, gsize ldy)
{
  float g[32 * 64] __attribute__((aligned (64)));
  guint cfg_rows = 0;

  for (guint p = p0; p < p1; p++) {
    for (guint m = 0, n; m < M; m += n) {
      n = panel_block (NULL, 0, NULL, X, ldx, W, p, m, M, init, ldi, g,
          &cfg_rows);
      for (guint r = 0; r < MIN (n, M - m); r++)
        memcpy (Y + (m + r) * ldy + p * W->pw, g + r * 64,
            W->pw * sizeof (float));
    }
  }
  if (cfg_rows != 0)
    _tile_release ();
}

/* The fused step (kernels.h). LSTM: one tile chain over x Wx and h Wh;
 * GRU: x Wx (when fused) and h Wh in two blocks of the same rows. */
static inline void
step_b_amx (const SeqStepArgs * a, guint M, guint p0, guint p1,
    const SeqCellKind cell)
{
  float gx[32 * 64] __attribute__((aligned (64)));
  float gh[32 * 64] __attribute__((aligned (64)));
  const guint pw = a->wh->pw;
  guint cfg_rows = 0;

  for (guint p = p0; p < p1; p++) {
    for (guint m = 0, n; m < M; m += n) {
      const float *gxr = a->pre + m * a->ldp + p * pw;
      gsize ldgx = a->ldp;

      if (cell == SEQ_CELL_LSTM) {
        n = panel_block (a->xb, a->ldx, a->wx, a->hb, a->ldhb, a->wh, p, m,
            M, a->pre, a->ldp, gh, &cfg_rows);
      } else {
        if (a->xb != NULL) {
          panel_block (NULL, 0, NULL, a->xb, a->ldx, a->wx, p, m, M, a->pre,
              a->ldp, gx, &cfg_rows);
          gxr = gx;
          ldgx = 64;
        }
        n = panel_block (NULL, 0, NULL, a->hb, a->ldhb, a->wh, p, m, M,
            a->bh, 0, gh, &cfg_rows);
      }
      for (guint r = 0; r < MIN (n, M - m); r++) {
        float *h = a->hout + (m + r) * a->ldo + p * SEQ_GROUP;
        if (cell == SEQ_CELL_LSTM)
          seq_lstm_gates_v (gh + r * 64, a->c + (m + r) * a->ldc +
              p * SEQ_GROUP, h);
        else
          seq_gru_gates_v (gxr + r * ldgx, gh + r * 64,
              a->h + (m + r) * a->ldh + p * SEQ_GROUP, h);
        _mm256_storeu_si256 ((__m256i *) (a->hout_b + (m + r) * a->ldob +
                p * SEQ_GROUP), seq_vf_to_bf16 (_mm512_loadu_ps (h)));
      }
    }
  }
  if (cfg_rows != 0)
    _tile_release ();
}

static void
lstm_step_b_amx (const SeqStepArgs * a, guint M, guint p0, guint p1)
{
  step_b_amx (a, M, p0, p1, SEQ_CELL_LSTM);
}

static void
gru_step_b_amx (const SeqStepArgs * a, guint M, guint p0, guint p1)
{
  step_b_amx (a, M, p0, p1, SEQ_CELL_GRU);
}

const SeqKernels seq_kernels_amx = {
  .name = "amx",
  .gemm = seq_kernel_gemm_avx512,
  .gemv = seq_kernel_gemv_avx512,
  .gemm_b = gemm_b_amx,
  .step = {
        [SEQ_CELL_LSTM] = seq_kernel_lstm_step_avx512,
        [SEQ_CELL_GRU] = seq_kernel_gru_step_avx512,
      },
  .step_b = {
        [SEQ_CELL_LSTM] = lstm_step_b_amx,
        [SEQ_CELL_GRU] = gru_step_b_amx,
      },
};
