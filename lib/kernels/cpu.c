/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — CPU feature detection, Linux's permission for AMX tile data,
 * and the choice of kernel set at run time (kernels.h). The build machine
 * is not the user's machine: every SIMD set is compiled in where the
 * compiler can, and picked here by what this CPU and OS support. */
#include "kernels.h"

#include <string.h>

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

#if defined(SEQ_HAVE_KERNELS_AVX512VNNI) \
    || defined(SEQ_HAVE_KERNELS_AVX512VNNI256)
/* AVX512-VNNI (leaf 7 ECX bit 11) with AVX512-BW (leaf 7 EBX bit 30) */
static gboolean
cpu_has_avx512vnni (void)
{
  unsigned int a, b, c, d;

  return __get_cpuid_count (7, 0, &a, &b, &c, &d) && (c & (1u << 11)) != 0
      && (b & (1u << 30)) != 0;
}
#endif

#ifdef SEQ_HAVE_KERNELS_AVXVNNI
/* AVX-VNNI, the VEX form: CPUID leaf 7, sub-leaf 1, EAX bit 4 */
static gboolean
cpu_has_avxvnni (void)
{
  unsigned int a, b, c, d;

  return __get_cpuid_count (7, 1, &a, &b, &c, &d) && (a & (1u << 4)) != 0;
}
#endif

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
base_for (SeqKernelsIsa isa)
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

/* The int8 kernels the set of @isa may run on this CPU (kernels.h). */
static const SeqKernels *
int8_for (SeqKernelsIsa isa)
{
#if defined(SEQ_HAVE_KERNELS_AVX512VNNI)
  if ((isa == SEQ_KERNELS_AVX512 || isa == SEQ_KERNELS_AMX
          || isa == SEQ_KERNELS_AVX512BF16) && cpu_has_avx512vnni ())
    return &seq_kernels_q_avx512vnni;
#endif
#if defined(SEQ_HAVE_KERNELS_AVXVNNI)
  if (isa != SEQ_KERNELS_SCALAR && cpu_has_avxvnni ())
    return &seq_kernels_q_avxvnni;
#endif
#if defined(SEQ_HAVE_KERNELS_INT8AVX2)
  if (isa == SEQ_KERNELS_AVX2 || isa == SEQ_KERNELS_AVX512
      || isa == SEQ_KERNELS_AMX || isa == SEQ_KERNELS_AVX512BF16)
    return &seq_kernels_q_avx2;
#endif
  (void) isa;
  return &seq_kernels_scalar;
}

#define N_ISAS (SEQ_KERNELS_AVX512BF16 + 1)

/* Every set this CPU runs, with its int8 entries filled in, made once. */
static const SeqKernels *
kernels_for (SeqKernelsIsa isa)
{
  static SeqKernels sets[N_ISAS];
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    for (guint i = SEQ_KERNELS_SCALAR; i < N_ISAS; i++) {
      const SeqKernels *base = base_for ((SeqKernelsIsa) i), *q;
      if (base == NULL)
        continue;
      q = int8_for ((SeqKernelsIsa) i);
      sets[i] = *base;
      sets[i].name_q = q->name_q;
      sets[i].gemm_q = q->gemm_q;
      memcpy (sets[i].step_q, q->step_q, sizeof (sets[i].step_q));
    }
    g_once_init_leave (&once, 1);
  }
  if ((guint) isa >= N_ISAS || sets[isa].name == NULL)
    return NULL;
  return &sets[isa];
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
      return kernels_for (SEQ_KERNELS_SCALAR);
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
  return kernels_for (SEQ_KERNELS_SCALAR);
}

const SeqKernels *
seq_kernels_int8_get (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);
  if (g_str_equal (name, "scalar"))
    return &seq_kernels_scalar;
#if defined(SEQ_HAVE_KERNELS_AVX512VNNI)
  if (g_str_equal (name, "avx512vnni") && cpu_has (SEQ_KERNELS_AVX512)
      && cpu_has_avx512vnni ())
    return &seq_kernels_q_avx512vnni;
#endif
#if defined(SEQ_HAVE_KERNELS_AVXVNNI)
  if (g_str_equal (name, "avxvnni") && cpu_has (SEQ_KERNELS_AVX2)
      && cpu_has_avxvnni ())
    return &seq_kernels_q_avxvnni;
#endif
#if defined(SEQ_HAVE_KERNELS_INT8AVX2)
  if (g_str_equal (name, "avx2") && cpu_has (SEQ_KERNELS_AVX2))
    return &seq_kernels_q_avx2;
#endif
#if defined(SEQ_HAVE_KERNELS_AVX512VNNI256)
  /* AVX512-VL is part of every AVX512-VNNI CPU so far; checked anyway */
  if (g_str_equal (name, "avx512vnni-ymm") && cpu_has (SEQ_KERNELS_AVX512)
      && cpu_has_avx512vnni () && __builtin_cpu_supports ("avx512vl"))
    return &seq_kernels_q_avx512vnni256;
#endif
  return NULL;
}
