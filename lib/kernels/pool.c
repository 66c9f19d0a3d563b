/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — a small fork/join thread pool with bounded spinning (pool.h).
 *
 * Why not OpenMP here: libgomp fixes its waiting policy once per process from
 * the environment (OMP_WAIT_POLICY, GOMP_SPINCOUNT) and, by default, spins
 * ~300k iterations without yielding at every barrier. On a machine whose
 * cores are shared with other work (a GStreamer pipeline, a CI box) a
 * spinning thread holds the core that the thread it waits for needs; a
 * library cannot set the policy for its host process. The README ("Threads")
 * has the measurements behind this choice and behind the default spin.
 *
 * This pool spins for at most spin_us microseconds, calling sched_yield ()
 * between checks so that a waiting thread gives its core to whoever is
 * runnable, then sleeps on a futex (GCond). The spin budget is per workspace
 * (seq_lstm_workspace_set_spin_us); the default keeps most of the gain of
 * spinning for back-to-back steps at a small CPU cost for live streams.
 *
 * Work split stays what it was: static ranges of independent outputs, one
 * fixed operation order per output, so results do not depend on it.
 *
 * OpenMP backend: in a build with OpenMP (-Dopenmp=enabled/auto), setting
 * SEQENC_THREADS=openmp runs the same jobs in `#pragma omp parallel
 * num_threads(n)` regions with `#pragma omp barrier`, for hosts that tune
 * libgomp themselves (OMP_WAIT_POLICY=passive). Results are bitwise the same
 * (tests/meson.build runs the LSTM tests under both backends).
 */
#include "pool.h"

#include <sched.h>
#ifdef SEQ_HAVE_OPENMP
#include <omp.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause ()
#else
#define CPU_RELAX() do { } while (0)
#endif

struct _SeqPool {
  guint n_threads;              /* including the caller */
  gboolean use_openmp;          /* SEQENC_THREADS=openmp in an OpenMP build */
  GThread **workers;            /* [n_threads - 1] */
  guint spin_us;

  GMutex lock;
  GCond cond;                   /* new job, barrier release, job done */
  gint n_sleeping;              /* threads waiting on cond (under lock) */

  /* job */
  SeqPoolFunc func;
  gpointer data;
  gint gen;                     /* bumped for each job (atomic) */
  gint remaining;               /* workers still running the job (atomic) */
  gboolean quit;

  /* barrier */
  gint bar_count;               /* arrived (atomic) */
  gint bar_sense;               /* flips at each release (atomic) */
};

/* Waits until *addr != old: spins (with yields) for the budget, then
 * sleeps on the pool's cond. */
static void
wait_change (SeqPool * pool, gint * addr, gint old)
{
  gint64 end = 0;
  guint i = 0;

  if (pool->spin_us > 0) {
    end = g_get_monotonic_time () + pool->spin_us;
    for (;;) {
      for (int r = 0; r < 32; r++) {
        if (g_atomic_int_get (addr) != old)
          return;
        CPU_RELAX ();
      }
      sched_yield ();
      if ((++i & 7) == 0 && g_get_monotonic_time () >= end)
        break;
    }
  }
  g_mutex_lock (&pool->lock);
  pool->n_sleeping++;
  while (g_atomic_int_get (addr) == old)
    g_cond_wait (&pool->cond, &pool->lock);
  pool->n_sleeping--;
  g_mutex_unlock (&pool->lock);
}

static void
wake_all (SeqPool * pool)
{
  g_mutex_lock (&pool->lock);
  if (pool->n_sleeping > 0)
    g_cond_broadcast (&pool->cond);
  g_mutex_unlock (&pool->lock);
}

typedef struct {
  SeqPool *pool;
  guint tid;
} WorkerArg;

static gpointer
worker_main (gpointer data)
{
  WorkerArg *a = data;
  SeqPool *pool = a->pool;
  guint tid = a->tid;
  gint seen = 0;

  g_free (a);
  for (;;) {
    wait_change (pool, &pool->gen, seen);
    seen = g_atomic_int_get (&pool->gen);
    if (g_atomic_int_get (&pool->quit))
      break;
    pool->func (pool->data, tid, pool->n_threads, pool);
    if (g_atomic_int_dec_and_test (&pool->remaining))
      wake_all (pool);
  }
  return NULL;
}

#ifdef SEQ_HAVE_OPENMP
/* TRUE when pools made now run their jobs on OpenMP's runtime
 * (SEQENC_THREADS=openmp in this OpenMP build). */
static gboolean
uses_openmp (void)
{
  return g_strcmp0 (g_getenv ("SEQENC_THREADS"), "openmp") == 0;
}
#endif

guint
seq_pool_default_threads (void)
{
#ifdef SEQ_HAVE_OPENMP
  if (uses_openmp ())
    return (guint) MAX (1, omp_get_max_threads ());
#endif
  return MAX (1, g_get_num_processors ());
}

SeqPool *
seq_pool_new (guint n_threads)
{
  SeqPool *pool = g_new0 (SeqPool, 1);
  const gchar *env = g_getenv ("SEQENC_SPIN_US");

  pool->n_threads = MAX (1, n_threads);
  pool->spin_us = env ? (guint) g_ascii_strtoull (env, NULL, 10) :
      SEQ_POOL_DEFAULT_SPIN_US;
  g_mutex_init (&pool->lock);
  g_cond_init (&pool->cond);
  pool->workers = g_new0 (GThread *, pool->n_threads);
#ifdef SEQ_HAVE_OPENMP
  pool->use_openmp = uses_openmp ();
  if (pool->use_openmp)
    return pool;                /* OpenMP's runtime owns the threads */
#endif
  for (guint t = 1; t < pool->n_threads; t++) {
    WorkerArg *a = g_new (WorkerArg, 1);
    a->pool = pool;
    a->tid = t;
    pool->workers[t - 1] = g_thread_try_new ("seqenc-pool", worker_main, a,
        NULL);
    if (pool->workers[t - 1] == NULL) {
      /* run with the threads we got */
      g_free (a);
      pool->n_threads = t;
      break;
    }
  }
  return pool;
}

void
seq_pool_free (SeqPool * pool)
{
  if (pool == NULL)
    return;
  if (pool->use_openmp)
    pool->n_threads = 1;        /* no workers of ours to join */
  g_atomic_int_set (&pool->quit, 1);
  g_mutex_lock (&pool->lock);
  g_atomic_int_inc (&pool->gen);
  g_cond_broadcast (&pool->cond);
  g_mutex_unlock (&pool->lock);
  for (guint t = 1; t < pool->n_threads; t++)
    g_thread_join (pool->workers[t - 1]);
  g_free (pool->workers);
  g_mutex_clear (&pool->lock);
  g_cond_clear (&pool->cond);
  g_free (pool);
}

guint
seq_pool_n_threads (const SeqPool * pool)
{
  return pool ? pool->n_threads : 1;
}

void
seq_pool_set_spin_us (SeqPool * pool, guint spin_us)
{
  pool->spin_us = spin_us;
}

void
seq_pool_run (SeqPool * pool, SeqPoolFunc func, gpointer data)
{
  if (pool == NULL || pool->n_threads == 1) {
    func (data, 0, 1, pool);
    return;
  }
#ifdef SEQ_HAVE_OPENMP
  if (pool->use_openmp) {
    /* the team may be smaller than asked for: the split follows its size */
#pragma omp parallel num_threads(pool->n_threads)
    func (data, (guint) omp_get_thread_num (), (guint) omp_get_num_threads (),
        pool);
    return;
  }
#endif
  pool->func = func;
  pool->data = data;
  g_atomic_int_set (&pool->remaining, (gint) pool->n_threads - 1);
  g_atomic_int_inc (&pool->gen);        /* publishes func/data */
  wake_all (pool);
  func (data, 0, pool->n_threads, pool);
  for (;;) {
    gint r = g_atomic_int_get (&pool->remaining);
    if (r == 0)
      break;
    wait_change (pool, &pool->remaining, r);
  }
}

void
seq_pool_barrier (SeqPool * pool)
{
  gint sense;

  if (pool == NULL || pool->n_threads == 1)
    return;
#ifdef SEQ_HAVE_OPENMP
  if (pool->use_openmp) {
#pragma omp barrier
    return;
  }
#endif
  sense = g_atomic_int_get (&pool->bar_sense);
  if (g_atomic_int_add (&pool->bar_count, 1) == (gint) pool->n_threads - 1) {
    g_atomic_int_set (&pool->bar_count, 0);
    g_atomic_int_set (&pool->bar_sense, sense + 1);
    wake_all (pool);
  } else {
    wait_change (pool, &pool->bar_sense, sense);
  }
}
