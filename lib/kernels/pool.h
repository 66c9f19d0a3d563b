/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — private kernel layer: a small fork/join thread pool with
 * bounded, yielding spin (pool.c says why it is not OpenMP's runtime by
 * default, and how to choose that one). Not installed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Microseconds a waiting pool thread spins (yielding the core between
 * checks) before it sleeps. */
#define SEQ_POOL_DEFAULT_SPIN_US 50

typedef struct _SeqPool SeqPool;
typedef void (*SeqPoolFunc) (gpointer data, guint tid, guint n_threads,
    SeqPool * pool);

/* Threads of "one per core" (n_threads 0): with OpenMP running the jobs,
 * omp_get_max_threads () (so OMP_NUM_THREADS is honoured); otherwise the
 * cores this process may use. */
guint seq_pool_default_threads (void);

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

G_END_DECLS
