/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — the kernels' thread pool (lib/kernels/pool.c): every
 * thread runs each job once, and, when one of its threads keeps the others
 * waiting (as a thread preempted by other work does), the pool runs the
 * following jobs on the caller alone; SEQENC_POOL_ADAPT=0 never does. The
 * "late" thread sleeps 20 ms while the caller has nothing to do: whatever
 * the machine's load, the caller then waits for most of the job, so no
 * assertion depends on how fast anything runs. */
#include "seqtest.h"
#include "kernels/pool.h"

typedef struct {
  gint calls[4];                /* by tid (atomic) */
  gint solo;                    /* jobs that ran with n_threads 1 */
  guint late_tid;               /* this tid sleeps in every job; 0 = none */
} Job;

static void
job_func (gpointer data, guint tid, guint nt, SeqPool * pool)
{
  Job *j = data;

  g_atomic_int_inc (&j->calls[tid]);
  if (nt == 1)
    g_atomic_int_inc (&j->solo);
  if (j->late_tid != 0 && tid == j->late_tid)
    g_usleep (20000);
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
  Job j = { {0}, 0, 0 };

  g_setenv ("SEQENC_POOL_ADAPT", "0", TRUE);
  run_jobs (&j, 3, 50);
  g_unsetenv ("SEQENC_POOL_ADAPT");
  for (guint t = 0; t < 3; t++)
    CU_ASSERT_EQUAL (j.calls[t], 50);
  CU_ASSERT_EQUAL (j.solo, 0);
}

static void
test_late_thread_makes_jobs_run_alone (void)
{
  Job j = { {0}, 0, 1 };

  g_unsetenv ("SEQENC_POOL_ADAPT");
  run_jobs (&j, 2, 40);
  /* the caller ran all 40; the late thread at most the few jobs before
   * the running mean crossed the threshold and the probes after 16 and
   * 32 solo jobs */
  CU_ASSERT_EQUAL (j.calls[0], 40);
  CU_ASSERT (j.solo >= 30);
  CU_ASSERT_EQUAL (j.calls[1] + j.solo, 40);
}

static void
test_adaptation_can_be_turned_off (void)
{
  Job j = { {0}, 0, 1 };

  g_setenv ("SEQENC_POOL_ADAPT", "0", TRUE);
  run_jobs (&j, 2, 10);
  g_unsetenv ("SEQENC_POOL_ADAPT");
  CU_ASSERT_EQUAL (j.calls[0], 10);
  CU_ASSERT_EQUAL (j.calls[1], 10);
  CU_ASSERT_EQUAL (j.solo, 0);
}

int
main (void)
{
  const SeqTestCase tests[] = {
    {"pool_every_thread_runs_each_job", test_every_thread_runs_each_job},
    {"pool_late_thread_makes_jobs_run_alone",
        test_late_thread_makes_jobs_run_alone},
    {"pool_adaptation_can_be_turned_off", test_adaptation_can_be_turned_off},
    {NULL, NULL}
  };
  return seq_test_run ("pool", tests);
}
