/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — the kernels' thread pool (lib/kernels/pool.c): every
 * thread runs each job once, each with the pool's thread count, and the
 * barrier holds every thread until all have arrived (one thread sleeps
 * before it; no assertion depends on how fast anything runs). */
#include "seqtest.h"
#include "kernels/pool.h"

typedef struct {
  gint calls[4];                /* by tid (atomic) */
  gint solo;                    /* jobs that ran with n_threads 1 */
  guint late_tid;               /* this tid sleeps before the barrier; 0 = none */
  gint arrived;                 /* threads past the sleep of this job (atomic) */
  gint early;                   /* threads that left the barrier too soon */
} Job;

static void
job_func (gpointer data, guint tid, guint nt, SeqPool * pool)
{
  Job *j = data;

  g_atomic_int_inc (&j->calls[tid]);
  if (nt == 1)
    g_atomic_int_inc (&j->solo);
  if (j->late_tid != 0 && tid == j->late_tid)
    g_usleep (2000);
  g_atomic_int_inc (&j->arrived);
  seq_pool_barrier (pool);
  if (g_atomic_int_get (&j->arrived) % nt != 0)
    g_atomic_int_inc (&j->early);
  seq_pool_barrier (pool);
}

static void
run_jobs (Job * j, guint n_threads, guint n_jobs)
{
  SeqPool *pool = seq_pool_new (n_threads);

  CU_ASSERT_EQUAL_FATAL (seq_pool_n_threads (pool), n_threads);
  for (guint i = 0; i < n_jobs; i++)
    seq_pool_run (pool, job_func, j);
  seq_pool_free (pool);
}

static void
test_every_thread_runs_each_job (void)
{
  Job j = { {0}, 0, 2, 0, 0 };

  run_jobs (&j, 3, 50);
  for (guint t = 0; t < 3; t++)
    CU_ASSERT_EQUAL (j.calls[t], 50);
  CU_ASSERT_EQUAL (j.solo, 0);
  CU_ASSERT_EQUAL (j.early, 0);
}

int
main (void)
{
  const SeqTestCase tests[] = {
    {"pool_every_thread_runs_each_job", test_every_thread_runs_each_job},
    {NULL, NULL}
  };
  return seq_test_run ("pool", tests);
}
