/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — scalar reference kernels, weight packing, precision conversions
 * and run-time CPU dispatch. See kernels.h for the layout and the
 * determinism contract that the SIMD files (kernels_avx2.c,
 * kernels_avx512.c) follow operation for operation. */
#include "kernels.h"
#include "gatemath.h"
#include "seqenc-private.h"

#include <math.h>
#include <string.h>

/* ---- packing ------------------------------------------------------------ */

static gsize
dtype_size (SeqKDtype d)
{
  return d == SEQ_KDTYPE_F32 ? 4 : 2;
}

/* Offset of element (k, n) in the BF16_VNNI layout (kernels.h). */
static inline gsize
vnni_off (const SeqPacked * p, guint k, guint n)
{
  guint nkb = p->Kp / SEQ_BF16_KBLOCK;
  guint pi = n / SEQ_PANEL, q = (n % SEQ_PANEL) / 16, j = n % 16;
  guint kb = k / SEQ_BF16_KBLOCK, k2 = (k % SEQ_BF16_KBLOCK) / 2, e = k % 2;

  return (((gsize) pi * nkb + kb) * 4 + q) * 512 + k2 * 32 + j * 2 + e;
}

static gboolean
packed_init_vnni (SeqPacked * p, const float *dense, guint K, guint N)
{
  guint np = (N + SEQ_PANEL - 1) / SEQ_PANEL;
  guint Kp = seq_bf16_kp (K);
  gsize Np = (gsize) np * SEQ_PANEL, n_el;

  if (!seq_size_mul (Np, Kp ? Kp : SEQ_BF16_KBLOCK, &n_el))
    return FALSE;
  p->data = seq_aligned_floats ((n_el + 1) / 2);
  if (p->data == NULL)
    return FALSE;
  memset (p->data, 0, n_el * 2);
  p->K = K;
  p->Kp = Kp;
  p->N = N;
  p->n_panels = np;
  p->dtype = SEQ_KDTYPE_BF16_VNNI;
  for (guint k = 0; k < K; k++)
    for (gsize n = 0; n < Np; n++)
      ((guint16 *) p->data)[vnni_off (p, k, (guint) n)] =
          seq_f32_to_bf16 (dense[(gsize) k * Np + n]);
  return TRUE;
}

gboolean
seq_packed_init (SeqPacked * p, const float *dense, guint K, guint N,
    SeqKDtype dtype)
{
  if (dtype == SEQ_KDTYPE_BF16_VNNI) {
    memset (p, 0, sizeof (*p));
    return packed_init_vnni (p, dense, K, N);
  }

  guint np = (N + SEQ_PANEL - 1) / SEQ_PANEL;
  gsize Np = (gsize) np * SEQ_PANEL;
  gsize n_el, n_floats;

  memset (p, 0, sizeof (*p));
  if (!seq_size_mul (Np, K ? K : 1, &n_el))
    return FALSE;
  n_floats = dtype == SEQ_KDTYPE_F32 ? n_el : (n_el + 1) / 2;
  p->data = seq_aligned_floats (n_floats);
  if (p->data == NULL)
    return FALSE;
  p->K = K;
  p->Kp = K;
  p->N = N;
  p->n_panels = np;
  p->dtype = dtype;

  for (guint pi = 0; pi < np; pi++) {
    for (guint k = 0; k < K; k++) {
      const float *src = dense + (gsize) k * Np + (gsize) pi * SEQ_PANEL;
      gsize off = ((gsize) pi * K + k) * SEQ_PANEL;
      switch (dtype) {
        case SEQ_KDTYPE_F32:
          memcpy ((float *) p->data + off, src, SEQ_PANEL * sizeof (float));
          break;
        case SEQ_KDTYPE_BF16:
          for (guint j = 0; j < SEQ_PANEL; j++)
            ((guint16 *) p->data)[off + j] = seq_f32_to_bf16 (src[j]);
          break;
        case SEQ_KDTYPE_F16:
          for (guint j = 0; j < SEQ_PANEL; j++)
            ((guint16 *) p->data)[off + j] = seq_f32_to_f16 (src[j]);
          break;
        case SEQ_KDTYPE_BF16_VNNI:
          break;                /* packed_init_vnni */
      }
    }
  }
  return TRUE;
}

void
seq_packed_clear (SeqPacked * p)
{
  if (p == NULL)
    return;
  seq_aligned_free (p->data);
  memset (p, 0, sizeof (*p));
}

gsize
seq_packed_n_bytes (const SeqPacked * p)
{
  return (gsize) p->n_panels * p->Kp * SEQ_PANEL * dtype_size (p->dtype);
}

/* ---- scalar reference kernels ------------------------------------------- */

static inline float
load_w (const SeqPacked * W, gsize off)
{
  switch (W->dtype) {
    case SEQ_KDTYPE_BF16:
      return seq_bf16_to_f32 (((const guint16 *) W->data)[off]);
    case SEQ_KDTYPE_F16:
      return seq_f16_to_f32 (((const guint16 *) W->data)[off]);
    case SEQ_KDTYPE_F32:
    default:
      return ((const float *) W->data)[off];
  }
}

/* One panel, one row: acc[j] = init[j]; acc[j] = fmaf (x[k], w[k][j], acc[j]) */
static void
panel_row_scalar (const float *restrict x, const SeqPacked * W, guint p,
    const float *init, float *acc)
{
  gsize base = (gsize) p * W->K * SEQ_PANEL;

  if (acc != init)
    for (guint j = 0; j < SEQ_PANEL; j++)
      acc[j] = init[j];
  for (guint k = 0; k < W->K; k++) {
    float xk = x[k];
    gsize off = base + (gsize) k * SEQ_PANEL;
    for (guint j = 0; j < SEQ_PANEL; j++)
      acc[j] = fmaf (xk, load_w (W, off + j), acc[j]);
  }
}

static void
gemm_scalar (const float *X, gsize ldx, guint M, const SeqPacked * W,
    guint p0, guint p1, const float *init, gsize ldi, float *Y, gsize ldy)
{
  for (guint p = p0; p < p1; p++)
    for (guint m = 0; m < M; m++)
      panel_row_scalar (X + m * ldx, W, p, init + m * ldi + p * SEQ_PANEL,
          Y + m * ldy + p * SEQ_PANEL);
}

static inline float
seq_exp_scalar (float x)
{
  float n, r, p, y, scale;
  gint32 e;
  guint32 bits;

  x = x > SEQ_EXP_HI ? SEQ_EXP_HI : x;
  x = x < SEQ_EXP_LO ? SEQ_EXP_LO : x;
  n = rintf (x * SEQ_LOG2E);
  r = fmaf (n, -SEQ_EXP_C1, x);
  r = fmaf (n, -SEQ_EXP_C2, r);
  p = SEQ_EXP_P0;
  p = fmaf (p, r, SEQ_EXP_P1);
  p = fmaf (p, r, SEQ_EXP_P2);
  p = fmaf (p, r, SEQ_EXP_P3);
  p = fmaf (p, r, SEQ_EXP_P4);
  p = fmaf (p, r, SEQ_EXP_P5);
  y = fmaf (p, r * r, r);
  y = y + 1.0f;
  e = isnan (n) ? 0 : (gint32) n;
  bits = (guint32) (e + 127) << 23;
  memcpy (&scale, &bits, 4);
  return y * scale;
}

static inline float
seq_sigmoid_scalar (float x)
{
  return 1.0f / (1.0f + seq_exp_scalar (0.0f - x));
}

static inline float
seq_tanh_scalar (float x)
{
  return 2.0f / (1.0f + seq_exp_scalar (-2.0f * x)) - 1.0f;
}

/* Gate math of 16 units from the 64 gate values of one panel. */
static inline void
gate_math_scalar (const float *g, float *c, float *h)
{
  for (guint j = 0; j < SEQ_GATE_UNITS; j++) {
    float ig = seq_sigmoid_scalar (g[j]);
    float fg = seq_sigmoid_scalar (g[SEQ_GATE_UNITS + j]);
    float gg = seq_tanh_scalar (g[2 * SEQ_GATE_UNITS + j]);
    float og = seq_sigmoid_scalar (g[3 * SEQ_GATE_UNITS + j]);
    float cn = fmaf (fg, c[j], ig * gg);
    c[j] = cn;
    h[j] = og * seq_tanh_scalar (cn);
  }
}

static void
lstm_step_scalar (const float *X, gsize ldx, const SeqPacked * Wx,
    const float *Hprev, gsize ldh, guint M,
    const SeqPacked * W, guint p0, guint p1, const float *pre, gsize ldp,
    float *C, gsize ldc, float *Hout, gsize ldo)
{
  float g[SEQ_PANEL];

  for (guint p = p0; p < p1; p++) {
    for (guint m = 0; m < M; m++) {
      float *c = C + m * ldc + p * SEQ_GATE_UNITS;
      float *h = Hout + m * ldo + p * SEQ_GATE_UNITS;

      if (X != NULL) {
        panel_row_scalar (X + m * ldx, Wx, p, pre + m * ldp + p * SEQ_PANEL,
            g);
        panel_row_scalar (Hprev + m * ldh, W, p, g, g);
      } else {
        panel_row_scalar (Hprev + m * ldh, W, p,
            pre + m * ldp + p * SEQ_PANEL, g);
      }
      gate_math_scalar (g, c, h);
    }
  }
}

/* ---- scalar bf16-matmul reference --------------------------------------- */

/* One panel, one bf16 row against a BF16_VNNI matrix: the fmaf chain over
 * k = 0 .. K-1 (the zero padding past K is not visited). */
static void
panel_row_b_scalar (const guint16 *restrict x, const SeqPacked * W, guint p,
    const float *init, float *acc)
{
  const guint16 *w = W->data;
  guint nkb = W->Kp / SEQ_BF16_KBLOCK;

  if (acc != init)
    for (guint j = 0; j < SEQ_PANEL; j++)
      acc[j] = init[j];
  for (guint k = 0; k < W->K; k++) {
    float xk = seq_bf16_to_f32 (x[k]);
    guint kb = k / SEQ_BF16_KBLOCK, k2 = (k % SEQ_BF16_KBLOCK) / 2;
    for (guint q = 0; q < 4; q++) {
      const guint16 *t = w + (((gsize) p * nkb + kb) * 4 + q) * 512 +
          k2 * 32 + k % 2;
      for (guint j = 0; j < 16; j++)
        acc[q * 16 + j] = fmaf (xk, seq_bf16_to_f32 (t[2 * j]),
            acc[q * 16 + j]);
    }
  }
}

void
seq_kernel_gemm_b_scalar (const guint16 *X, gsize ldx, guint M,
    const SeqPacked * W, guint p0, guint p1, const float *init, gsize ldi,
    float *Y, gsize ldy)
{
  for (guint p = p0; p < p1; p++)
    for (guint m = 0; m < M; m++)
      panel_row_b_scalar (X + m * ldx, W, p, init + m * ldi + p * SEQ_PANEL,
          Y + m * ldy + p * SEQ_PANEL);
}

void
seq_kernel_lstm_step_b_scalar (const guint16 *X, gsize ldx,
    const SeqPacked * Wx, const guint16 *Hprev, gsize ldh, guint M,
    const SeqPacked * W, guint p0, guint p1, const float *pre, gsize ldp,
    float *C, gsize ldc, float *Hout, gsize ldo, guint16 *Hb, gsize ldb)
{
  float g[SEQ_PANEL];

  for (guint p = p0; p < p1; p++) {
    for (guint m = 0; m < M; m++) {
      float *c = C + m * ldc + p * SEQ_GATE_UNITS;
      float *h = Hout + m * ldo + p * SEQ_GATE_UNITS;

      if (X != NULL) {
        panel_row_b_scalar (X + m * ldx, Wx, p, pre + m * ldp + p * SEQ_PANEL,
            g);
        panel_row_b_scalar (Hprev + m * ldh, W, p, g, g);
      } else {
        panel_row_b_scalar (Hprev + m * ldh, W, p,
            pre + m * ldp + p * SEQ_PANEL, g);
      }
      gate_math_scalar (g, c, h);
      for (guint j = 0; j < SEQ_GATE_UNITS; j++)
        Hb[m * ldb + p * SEQ_GATE_UNITS + j] = seq_f32_to_bf16 (h[j]);
    }
  }
}

const SeqKernels seq_kernels_scalar = {
  .name = "scalar",
  .gemm = gemm_scalar,
  .lstm_step = lstm_step_scalar,
  .gemm_b = seq_kernel_gemm_b_scalar,
  .lstm_step_b = seq_kernel_lstm_step_b_scalar,
};

/* ---- dispatch ----------------------------------------------------------- */

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

#include <sys/syscall.h>
#include <unistd.h>

/* AMX-TILE and AMX-BF16 from CPUID leaf 7, their state enabled by the OS
 * (XCR0 bits 17, 18), and Linux's permission for the 8 KiB of tile data
 * (arch_prctl ARCH_REQ_XCOMP_PERM, once per process: without it the first
 * tile instruction kills the process). */
static gboolean
cpu_amx_ready (void)
{
  static gsize once = 0;
  static gboolean ready = FALSE;

  if (g_once_init_enter (&once)) {
    unsigned int a, b, c, d;
    gboolean ok = __get_cpuid_count (7, 0, &a, &b, &c, &d)
        && (d & (1u << 24)) && (d & (1u << 22));
    if (ok) {
      unsigned int lo, hi;
      __get_cpuid (1, &a, &b, &c, &d);
      ok = (c & bit_OSXSAVE) != 0;
      if (ok) {
        __asm__ volatile ("xgetbv":"=a" (lo), "=d" (hi):"c" (0));
        ok = (lo & (3u << 17)) == (3u << 17);
      }
    }
#ifdef SYS_arch_prctl
    /* ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18 */
    ok = ok && syscall (SYS_arch_prctl, 0x1023, 18) == 0;
#else
    ok = FALSE;
#endif
    ready = ok;
    g_once_init_leave (&once, 1);
  }
  return ready;
}

/* AVX512_BF16: CPUID leaf 7, sub-leaf 1, EAX bit 5 */
static gboolean
cpu_has_avx512bf16 (void)
{
  unsigned int a, b, c, d;

  return __get_cpuid_count (7, 1, &a, &b, &c, &d) && (a & (1u << 5)) != 0;
}

/* F16C from CPUID leaf 1 (clang's __builtin_cpu_supports has no "f16c") */
static gboolean
cpu_has_f16c (void)
{
  unsigned int a, b, c, d;

  return __get_cpuid (1, &a, &b, &c, &d) && (c & bit_F16C) != 0;
}
#endif

static gboolean
cpu_has (SeqKernelsIsa isa)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init ();
  switch (isa) {
    case SEQ_KERNELS_AVX2:
      return __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma")
          && cpu_has_f16c ();
    case SEQ_KERNELS_AVX512:
      return __builtin_cpu_supports ("avx512f");
    case SEQ_KERNELS_AMX:
      return __builtin_cpu_supports ("avx512f") && cpu_amx_ready ();
    case SEQ_KERNELS_AVX512BF16:
      return __builtin_cpu_supports ("avx512f") && cpu_has_avx512bf16 ();
    default:
      return isa == SEQ_KERNELS_SCALAR;
  }
#else
  return isa == SEQ_KERNELS_SCALAR;
#endif
}

static const SeqKernels *
kernels_for (SeqKernelsIsa isa)
{
  switch (isa) {
    case SEQ_KERNELS_SCALAR:
      return &seq_kernels_scalar;
#ifdef SEQ_HAVE_KERNELS_AVX2
    case SEQ_KERNELS_AVX2:
      return cpu_has (isa) ? &seq_kernels_avx2 : NULL;
#endif
#ifdef SEQ_HAVE_KERNELS_AVX512
    case SEQ_KERNELS_AVX512:
      return cpu_has (isa) ? &seq_kernels_avx512 : NULL;
#endif
#ifdef SEQ_HAVE_KERNELS_AMX
    case SEQ_KERNELS_AMX:
      return cpu_has (isa) ? &seq_kernels_amx : NULL;
#endif
#ifdef SEQ_HAVE_KERNELS_AVX512BF16
    case SEQ_KERNELS_AVX512BF16:
      return cpu_has (isa) ? &seq_kernels_avx512bf16 : NULL;
#endif
    default:
      return NULL;
  }
}

const SeqKernels *
seq_kernels_get (SeqKernelsIsa isa)
{
  const gchar *env;
  const SeqKernels *k;

  if (isa != SEQ_KERNELS_AUTO)
    return kernels_for (isa);

  env = g_getenv ("SEQENC_KERNELS");
  if (env != NULL) {
    if (g_str_equal (env, "scalar"))
      return &seq_kernels_scalar;
    if (g_str_equal (env, "avx2") && (k = kernels_for (SEQ_KERNELS_AVX2)))
      return k;
    if (g_str_equal (env, "avx512") && (k = kernels_for (SEQ_KERNELS_AVX512)))
      return k;
    if (g_str_equal (env, "amx") && (k = kernels_for (SEQ_KERNELS_AMX)))
      return k;
    if (g_str_equal (env, "avx512bf16")
        && (k = kernels_for (SEQ_KERNELS_AVX512BF16)))
      return k;
  }
  if ((k = kernels_for (SEQ_KERNELS_AMX)) != NULL)
    return k;
  if ((k = kernels_for (SEQ_KERNELS_AVX512BF16)) != NULL)
    return k;
  if ((k = kernels_for (SEQ_KERNELS_AVX512)) != NULL)
    return k;
  if ((k = kernels_for (SEQ_KERNELS_AVX2)) != NULL)
    return k;
  return &seq_kernels_scalar;
}
