/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — cross-stream batching of recurrent steps (see batcher.h).
 *
 * One worker thread per batcher. Requests (one per stream at most, embedded
 * in the stream, linked into a GQueue without allocating) wait in arrival
 * order. The worker takes up to max_batch of them from the head when enough
 * are waiting or the head's deadline has passed, gathers their next frames
 * into [T][B][I], runs the cell's forward once, scatters the outputs and wakes
 * the requests that are complete. Unfinished requests keep their place at
 * the head.
 *
 * When to step. A step runs when max_batch requests wait, when the oldest
 * has waited max_delay, or as soon as every stream that has joined is
 * waiting: a stream has at most one request in flight (forward is
 * synchronous), so then nothing more can arrive before the deadline and
 * waiting for it would only idle the cores. Under load the batch therefore
 * grows to the number of live streams by itself. And a request that came
 * while the previous step ran does not wait for max_delay either: it has
 * waited a step already, so the next step starts as soon as the last one
 * ends, with what came meanwhile (streams whose frames arrive at spread
 * phases: at 70 % of the batched kernel's throughput this took the frames
 * later than the stream's next one from 15 % to under 1 %, README).
 *
 * Wake-ups are what a live stream pays for per frame, so there are as few
 * as possible: the worker waits on work_cond under the batcher mutex and is
 * signalled only when a request changes what it waits for (the queue was
 * empty: it sleeps without a deadline; the queue reached max_batch; every
 * member is now waiting); any other arrival is seen when its deadline, the
 * oldest request's, passes. The callers of a step are woken all at once,
 * with one system call, after the worker has released the batcher mutex
 * (wake_word_*): on Linux they sleep on one futex word of the batcher with
 * the bit of the step they expect to be in (the step after the one running
 * when they queued: step number mod 32), and the worker wakes the bits of
 * the requests it completed, so a step's callers wake together and the
 * others sleep on. (Woken one by one, with a mutex and condition per
 * stream, they cost the worker a system call and usually a preemption each,
 * 15-17 us per stream on a 2-core Zen 4 (shared/notes), while the cores
 * waited for the next step; a broadcast on a condition made every caller
 * contend for its mutex.) A caller that was deferred past its step wakes
 * once early, finds its request not done and sleeps again. Elsewhere one
 * condition of the batcher is broadcast and every caller looks. The
 * completion flag is set under the batcher mutex; after that the worker
 * touches only the batcher, so a caller may return and leave at once.
 *
 * Resident states (batcher.h). With a cell that has slots (recurrent.h),
 * a stream's h and c move into a slot of the worker's workspace at its
 * first step and stay there until it leaves. Only the worker changes the
 * slots' layout (assigns, grows, moves), under the batcher mutex and
 * between steps: before each step it closes the holes left by streams that
 * left (moving the last slot into each), gives the taken streams that have
 * none the next free slots, and orders the taken streams by slot when
 * their slots are consecutive (the whole membership, under load; most of
 * it after a few swaps, prepare_slots), so that the step runs on the slots
 * in place. Slot bookkeeping allocates only when the membership outgrows
 * it (doubling), never in a steady state. The owners' sync/load and leave
 * copy their own slot under the mutex: a slot of a stream that is not in
 * flight is in no step, so this never waits for one. If the slots cannot
 * grow (memory), every stream goes back to its state object and the
 * batcher gathers states as a cell without slots.
 */
#include "seqenc/batcher.h"
#include "seqenc-private.h"

#include <string.h>

/* SEQ_BATCHER_PORTABLE_WAKE: the fallback on Linux too (the no-OpenMP test
 * build uses it, tests/run-sanitizers.sh) */
#if defined (__linux__) && !defined (SEQ_BATCHER_PORTABLE_WAKE)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#define HAVE_FUTEX 1
#endif

#define MAX_BATCH_LIMIT 4096
#define MAX_STEPS_LIMIT 4096
#define MAX_DELAY_LIMIT_US (G_GUINT64_CONSTANT (3600) * G_USEC_PER_SEC)

typedef struct {
  GList link;                   /* in batcher->queue; data = this request */
  const float *input;
  float *output;
  guint n_steps;
  guint pos;                    /* frames done */
  gint64 t_enqueue;             /* monotonic us */
  guint32 wake_bit;             /* of the step expected to run it */
  gint done;                    /* atomic; set under the batcher mutex */
  gboolean failed;
} Request;

#define NO_SLOT G_MAXUINT

struct _SeqBatcherStream {
  SeqBatcher *batcher;
  gpointer state;
  guint slot;                   /* resident slot, or NO_SLOT: the state
                                 * object holds h and c (batcher mutex) */
  Request req;
  gboolean in_flight;
};

struct _SeqBatcher {
  gint ref_count;
  const SeqRecurrentIface *iface;
  gpointer model;
  SeqBatcherParams p;
  guint I, W;

  GMutex lock;
  GCond work_cond;
  gboolean worker_idle;         /* waiting without deadline (empty queue) */
  guint n_members;              /* streams joined and not left */
  guint64 n_started;            /* steps started */
  gint wake_word;               /* futex: bumped at every wake-up */
#ifndef HAVE_FUTEX
  GMutex wake_lock;
  GCond wake_cond;
#endif
  GThread *thread;
  gboolean shutdown;
  GQueue queue;                 /* of Request (links embedded) */

  /* resident states, under the lock; layout changed by the worker only */
  gboolean resident;            /* the cell has slots and they could grow */
  SeqBatcherStream **members;   /* [members_cap]: stream of each slot
                                 * below n_slots, NULL = hole (it left) */
  guint members_cap;
  guint n_slots;
  guint n_holes;

  /* worker-only scratch, sized at creation */
  gpointer ws;
  float *in;                    /* [max_steps][max_batch][I] */
  float *out;                   /* [max_steps][max_batch][W] */
  gpointer *states;             /* [max_batch] */
  guint *slots;                 /* [max_batch] the taken streams' slots */
  SeqBatcherStream **taken; /* [max_batch] */
  SeqBatcherStream **order; /* [max_batch] taken, by slot */

  SeqBatcherStats stats;
  gint64 last_step_end;         /* monotonic us; worker only (under lock) */
};

G_DEFINE_QUARK (seq-batcher-error-quark, seq_batcher_error);

SeqBatcherParams
seq_batcher_params_default (void)
{
  SeqBatcherParams p = {
    .max_batch = 64,
    .max_delay_us = 5000,
    .max_steps = 16,
    .n_threads = 0,
    .output = SEQ_RECURRENT_OUTPUT_LAST_LAYER,
  };
  return p;
}

/* Gives every state held in a slot back to its state object and gathers
 * from the objects from now on (the slots could not grow). Worker, under the
 * lock, no step running. */
static void
evict_all (SeqBatcher * b)
{
  for (guint i = 0; i < b->n_slots; i++) {
    SeqBatcherStream *s = b->members[i];
    if (s != NULL) {
      b->iface->slot_store (b->ws, i, s->state);
      s->slot = NO_SLOT;
    }
  }
  b->n_slots = b->n_holes = 0;
  b->resident = FALSE;
}

/* Room for @n slots (members and workspace). FALSE when they cannot grow. */
static gboolean
reserve_slots (SeqBatcher * b, guint n)
{
  guint cap = b->members_cap;

  if (n <= cap)
    return TRUE;
  while (cap < n && cap < G_MAXUINT / 2)
    cap = MAX (16u, cap * 2);
  if (cap < n || !b->iface->workspace_reserve_slots (b->ws, cap))
    return FALSE;
  b->members = g_renew (SeqBatcherStream *, b->members, cap);
  b->members_cap = cap;
  return TRUE;
}

/* A slot for @s at the end, its state loaded. FALSE when the slots cannot
 * grow. One more slot than the members is kept for swap_slots. */
static gboolean
assign_slot (SeqBatcher * b, SeqBatcherStream * s)
{
  if (!reserve_slots (b, b->n_slots + 2))
    return FALSE;
  s->slot = b->n_slots++;
  b->members[s->slot] = s;
  b->iface->slot_load (b->ws, s->slot, s->state);
  return TRUE;
}

/* Exchanges the states in slots @i and @j (through the spare slot past the
 * last) and their streams. */
static void
swap_slots (SeqBatcher * b, guint i, guint j)
{
  SeqBatcherStream *si = b->members[i], *sj = b->members[j];
  guint spare = b->n_slots;

  b->iface->slot_move (b->ws, spare, i);
  b->iface->slot_move (b->ws, i, j);
  b->iface->slot_move (b->ws, j, spare);
  b->members[i] = sj;
  b->members[j] = si;
  si->slot = j;
  sj->slot = i;
}

/* Fills the holes left by streams that left with the last slots. */
static void
compact_slots (SeqBatcher * b)
{
  guint hole = 0;

  while (b->n_holes > 0) {
    SeqBatcherStream *last;
    while (b->n_slots > 0 && b->members[b->n_slots - 1] == NULL) {
      b->n_slots--;
      b->n_holes--;
    }
    if (b->n_holes == 0)
      break;
    while (b->members[hole] != NULL)
      hole++;
    last = b->members[--b->n_slots];
    b->iface->slot_move (b->ws, hole, b->n_slots);
    last->slot = hole;
    b->members[hole] = last;
    b->n_holes--;
  }
}

/* Most swaps (of three state copies each, under the batcher mutex) made to
 * bring one step's streams into consecutive slots. */
#define MAX_SWAPS 32

/* b->order[k] = the taken stream in slot @lo + k; FALSE when the @n taken
 * streams' slots are not lo .. lo + n - 1. */
static gboolean
order_from (SeqBatcher * b, guint n, guint lo)
{
  gboolean consecutive = TRUE;

  memset (b->order, 0, n * sizeof (SeqBatcherStream *));
  for (guint i = 0; i < n; i++) {
    guint k = b->taken[i]->slot - lo;
    if (k >= n || b->order[k] != NULL)
      consecutive = FALSE;
    else
      b->order[k] = b->taken[i];
  }
  return consecutive;
}

/* Before a step of the @n taken streams (worker, under the lock): slots
 * for all of them, in slot order, b->slots filled.
 *
 * The step runs in place when their slots are consecutive. A step of every
 * member is; a step of most members (a few were late) is made so by
 * swapping the few taken streams beyond slot n with streams not taken below
 * it, when that copies fewer states than gathering and scattering the
 * step's (3 copies per swap against 2 per stream, which the step's threads
 * share). The swaps last: streams that keep arriving together stay
 * together. */
static void
prepare_slots (SeqBatcher * b, guint n)
{
  guint lo = NO_SLOT, misplaced = 0;
  gboolean consecutive;

  compact_slots (b);
  for (guint i = 0; i < n; i++) {
    if (b->taken[i]->slot == NO_SLOT && !assign_slot (b, b->taken[i])) {
      g_warning ("batcher: no memory for %u resident states; gathering "
          "states from now on", b->n_slots + 1);
      evict_all (b);
      return;
    }
    lo = MIN (lo, b->taken[i]->slot);
    misplaced += b->taken[i]->slot >= n;
  }
  consecutive = order_from (b, n, lo);
  if (!consecutive && 3 * misplaced <= n && misplaced <= MAX_SWAPS) {
    guint free = 0;
    order_from (b, n, 0);       /* those already below n */
    for (guint i = 0; i < n; i++) {
      SeqBatcherStream *t = b->taken[i];
      if (t->slot < n)
        continue;
      while (b->order[free] != NULL)
        free++;
      swap_slots (b, free, t->slot);
      b->order[free] = t;
    }
    consecutive = TRUE;
  }
  if (consecutive)
    memcpy (b->taken, b->order, n * sizeof (SeqBatcherStream *));
  for (guint i = 0; i < n; i++)
    b->slots[i] = b->taken[i]->slot;
}

/* One batched step of the @n_take taken streams, @T frames each. TRUE when
 * it ran on the resident states in place. */
static gboolean
run_batch (SeqBatcher * b, gboolean resident, guint n_take, guint T)
{
  const guint I = b->I, W = b->W;
  gboolean in_place = FALSE;

  for (guint i = 0; i < n_take; i++) {
    Request *r = &b->taken[i]->req;
    b->states[i] = b->taken[i]->state;
    for (guint t = 0; t < T; t++)
      memcpy (b->in + ((gsize) t * n_take + i) * I,
          r->input + (gsize) (r->pos + t) * I, I * sizeof (float));
  }
  if (resident)
    in_place = b->iface->forward_slots (b->model, b->states, b->slots,
        n_take, b->in, T, b->out, b->p.output, b->ws);
  else
    b->iface->forward (b->model, b->states, n_take, b->in, T, b->out,
        b->p.output, b->ws);
  for (guint i = 0; i < n_take; i++) {
    Request *r = &b->taken[i]->req;
    for (guint t = 0; t < T; t++)
      memcpy (r->output + (gsize) (r->pos + t) * W,
          b->out + ((gsize) t * n_take + i) * W, W * sizeof (float));
  }
  return in_place;
}

/* Sleeps until the worker has completed @r. */
static void
wake_word_wait (SeqBatcher * b, Request * r)
{
#ifdef HAVE_FUTEX
  for (;;) {
    gint word = g_atomic_int_get (&b->wake_word);
    if (g_atomic_int_get (&r->done))
      return;
    /* returns at once if the word moved since it was read (a wake-up in
     * between), when woken, or on a signal: the loop looks again */
    syscall (SYS_futex, &b->wake_word, FUTEX_WAIT_BITSET_PRIVATE, word,
        NULL, NULL, r->wake_bit);
  }
#else
  g_mutex_lock (&b->wake_lock);
  while (!g_atomic_int_get (&r->done))
    g_cond_wait (&b->wake_cond, &b->wake_lock);
  g_mutex_unlock (&b->wake_lock);
#endif
}

/* Wakes the callers sleeping on the bits of @mask, whose requests are done
 * (their done flags set). Called without the batcher mutex, which the
 * woken callers take at once to queue their next request. */
static void
wake_word_wake (SeqBatcher * b, guint32 mask)
{
#ifdef HAVE_FUTEX
  g_atomic_int_inc (&b->wake_word);
  syscall (SYS_futex, &b->wake_word, FUTEX_WAKE_BITSET_PRIVATE, G_MAXINT,
      NULL, NULL, mask);
#else
  (void) mask;
  g_mutex_lock (&b->wake_lock);
  g_cond_broadcast (&b->wake_cond);
  g_mutex_unlock (&b->wake_lock);
#endif
}

/* Marks @r finished (the batcher mutex held, @r unlinked from the queue):
 * from here its caller may return. Returns its wake bit. */
static guint32
complete (Request * r, gboolean failed)
{
  r->failed = failed;
  g_atomic_int_set (&r->done, TRUE);
  return r->wake_bit;
}

static gpointer
worker_main (gpointer data)
{
  SeqBatcher *b = data;
  guint32 mask;

  g_mutex_lock (&b->lock);
  while (!b->shutdown) {
    guint n = b->queue.length, n_take, T;
    gboolean resident, in_place;
    GList *l;

    if (n == 0) {
      b->worker_idle = TRUE;
      g_cond_wait (&b->work_cond, &b->lock);
      b->worker_idle = FALSE;
      continue;
    }
    if (n < b->p.max_batch && n < b->n_members) {
      Request *oldest = b->queue.head->data;
      gint64 deadline = oldest->t_enqueue + (gint64) b->p.max_delay_us;
      /* a request that came while the last step ran has waited a step
       * already: step now (the batch is what came meanwhile) */
      if (oldest->t_enqueue > b->last_step_end
          && g_get_monotonic_time () < deadline) {
        g_cond_wait_until (&b->work_cond, &b->lock, deadline);
        continue;
      }
    }

    /* take the oldest n_take requests; T = frames all of them still have */
    n_take = MIN (n, b->p.max_batch);
    T = b->p.max_steps;
    l = b->queue.head;
    for (guint i = 0; i < n_take; i++, l = l->next) {
      Request *r = l->data;
      b->taken[i] = (SeqBatcherStream *) ((guint8 *) r -
          G_STRUCT_OFFSET (SeqBatcherStream, req));
      T = MIN (T, r->n_steps - r->pos);
    }

    if (b->resident)
      prepare_slots (b, n_take);
    resident = b->resident;
    b->n_started++;             /* later requests expect the next step */

    /* the taken requests stay queued (their callers sleep until done, and
     * only this thread removes entries), so compute without the lock */
    g_mutex_unlock (&b->lock);
    in_place = run_batch (b, resident, n_take, T);
    g_mutex_lock (&b->lock);
    b->last_step_end = g_get_monotonic_time ();

    b->stats.n_calls++;
    b->stats.n_frames += (guint64) n_take * T;
    b->stats.max_streams = MAX (b->stats.max_streams, n_take);
    b->stats.n_in_place += in_place;
    mask = 0;
    for (guint i = 0; i < n_take; i++) {
      Request *r = &b->taken[i]->req;
      r->pos += T;
      if (r->pos == r->n_steps) {
        g_queue_unlink (&b->queue, &r->link);
        mask |= complete (r, FALSE);
      }
    }
    if (mask != 0) {
      g_mutex_unlock (&b->lock);
      wake_word_wake (b, mask);
      g_mutex_lock (&b->lock);
    }
  }

  /* shut down: fail what is still waiting */
  mask = 0;
  while (b->queue.head != NULL) {
    Request *r = b->queue.head->data;
    g_queue_unlink (&b->queue, &r->link);
    mask |= complete (r, TRUE);
  }
  g_mutex_unlock (&b->lock);
  if (mask != 0)
    wake_word_wake (b, mask);
  return NULL;
}

static void
batcher_free (SeqBatcher * b)
{
  if (b->ws != NULL)
    b->iface->workspace_free (b->ws);
  seq_aligned_free (b->in);
  seq_aligned_free (b->out);
  g_free (b->states);
  g_free (b->slots);
  g_free (b->members);
  g_free (b->order);
  g_free (b->taken);
  g_mutex_clear (&b->lock);
  g_cond_clear (&b->work_cond);
#ifndef HAVE_FUTEX
  g_mutex_clear (&b->wake_lock);
  g_cond_clear (&b->wake_cond);
#endif
  b->iface->model_unref (b->model);
  g_free (b);
}

SeqBatcher *
seq_batcher_new (const SeqRecurrentIface * iface, gpointer model,
    const SeqBatcherParams * params, GError ** error)
{
  SeqBatcherParams p;
  SeqBatcher *b;
  gsize n_in, n_out;

  g_return_val_if_fail (iface != NULL && model != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  p = params ? *params : seq_batcher_params_default ();
  if (p.max_batch == 0 || p.max_batch > MAX_BATCH_LIMIT || p.max_steps == 0
      || p.max_steps > MAX_STEPS_LIMIT || p.max_delay_us > MAX_DELAY_LIMIT_US
      || p.n_threads > 1024) {
    g_set_error (error, SEQ_BATCHER_ERROR,
        SEQ_BATCHER_ERROR_CONFIG,
        "batcher parameters out of range (max-batch %u: 1..%u, max-steps %u: "
        "1..%u, max-delay %" G_GUINT64_FORMAT " us: <= 1 h, threads %u)",
        p.max_batch, MAX_BATCH_LIMIT, p.max_steps, MAX_STEPS_LIMIT,
        p.max_delay_us, p.n_threads);
    return NULL;
  }

  b = g_new0 (SeqBatcher, 1);
  b->ref_count = 1;
  b->iface = iface;
  b->model = iface->model_ref (model);
  b->p = p;
  b->I = iface->input_size (model);
  b->W = iface->output_width (model, p.output);
  g_mutex_init (&b->lock);
  g_cond_init (&b->work_cond);
#ifndef HAVE_FUTEX
  g_mutex_init (&b->wake_lock);
  g_cond_init (&b->wake_cond);
#endif
  g_queue_init (&b->queue);
  b->ws = iface->workspace_new (model, p.max_batch, p.max_steps,
      p.n_threads);
  b->states = g_new0 (gpointer, p.max_batch);
  b->slots = g_new0 (guint, p.max_batch);
  b->taken = g_new0 (SeqBatcherStream *, p.max_batch);
  b->order = g_new0 (SeqBatcherStream *, p.max_batch);
  b->resident = iface->workspace_reserve_slots != NULL
      && iface->slot_load != NULL && iface->slot_store != NULL
      && iface->slot_move != NULL && iface->forward_slots != NULL;
  n_in = (gsize) p.max_batch * p.max_steps * b->I;
  n_out = (gsize) p.max_batch * p.max_steps * b->W;
  b->in = seq_aligned_floats (n_in);
  b->out = seq_aligned_floats (n_out);
  if (b->ws == NULL || b->in == NULL || b->out == NULL) {
    g_set_error (error, SEQ_BATCHER_ERROR,
        SEQ_BATCHER_ERROR_CONFIG,
        "batcher scratch for %u streams x %u steps is too large",
        p.max_batch, p.max_steps);
    batcher_free (b);
    return NULL;
  }
  b->thread = g_thread_try_new ("seqenc-batch", worker_main, b, error);
  if (b->thread == NULL) {
    batcher_free (b);
    return NULL;
  }
  return b;
}

SeqBatcher *
seq_batcher_ref (SeqBatcher * batcher)
{
  g_return_val_if_fail (batcher != NULL, NULL);
  g_atomic_int_inc (&batcher->ref_count);
  return batcher;
}

void
seq_batcher_shutdown (SeqBatcher * batcher)
{
  GThread *t;

  g_return_if_fail (batcher != NULL);
  g_mutex_lock (&batcher->lock);
  batcher->shutdown = TRUE;
  t = batcher->thread;
  batcher->thread = NULL;
  g_cond_broadcast (&batcher->work_cond);
  g_mutex_unlock (&batcher->lock);
  if (t != NULL)
    g_thread_join (t);
}

void
seq_batcher_unref (SeqBatcher * batcher)
{
  if (batcher == NULL)
    return;
  if (g_atomic_int_dec_and_test (&batcher->ref_count)) {
    seq_batcher_shutdown (batcher);
    batcher_free (batcher);
  }
}

gpointer
seq_batcher_get_model (SeqBatcher * batcher)
{
  g_return_val_if_fail (batcher != NULL, NULL);
  return batcher->model;
}

const SeqRecurrentIface *
seq_batcher_get_iface (SeqBatcher * batcher)
{
  g_return_val_if_fail (batcher != NULL, NULL);
  return batcher->iface;
}

guint
seq_batcher_get_output_width (SeqBatcher * batcher)
{
  g_return_val_if_fail (batcher != NULL, 0);
  return batcher->W;
}

SeqBatcherStream *
seq_batcher_join (SeqBatcher * batcher, gpointer state)
{
  SeqBatcherStream *s;

  g_return_val_if_fail (batcher != NULL, NULL);
  g_return_val_if_fail (state != NULL, NULL);
  g_return_val_if_fail (batcher->iface->fingerprint (batcher->iface->
          state_get_model (state)) ==
      batcher->iface->fingerprint (batcher->model), NULL);

  s = g_new0 (SeqBatcherStream, 1);
  s->batcher = seq_batcher_ref (batcher);
  s->state = state;
  s->slot = NO_SLOT;
  s->req.link.data = &s->req;
  g_mutex_lock (&batcher->lock);
  batcher->n_members++;
  g_mutex_unlock (&batcher->lock);
  return s;
}

void
seq_batcher_leave (SeqBatcherStream * stream)
{
  SeqBatcher *b;

  if (stream == NULL)
    return;
  g_return_if_fail (!stream->in_flight);
  b = stream->batcher;
  g_mutex_lock (&b->lock);
  b->n_members--;
  /* our slot is in no step (we are not in flight): back into the state
   * object; the worker closes the hole before its next step */
  if (stream->slot != NO_SLOT) {
    b->iface->slot_store (b->ws, stream->slot, stream->state);
    b->members[stream->slot] = NULL;
    b->n_holes++;
  }
  /* the others may all be waiting now */
  if (b->queue.length > 0 && b->queue.length >= b->n_members)
    g_cond_signal (&b->work_cond);
  g_mutex_unlock (&b->lock);
  seq_batcher_unref (stream->batcher);
  g_free (stream);
}

/* The stream's resident h and c into its state object, or (@load) back. */
static void
stream_copy_state (SeqBatcherStream * stream, gboolean load)
{
  SeqBatcher *b;

  g_return_if_fail (stream != NULL);
  g_return_if_fail (!stream->in_flight);
  b = stream->batcher;
  g_mutex_lock (&b->lock);
  if (stream->slot != NO_SLOT && load)
    b->iface->slot_load (b->ws, stream->slot, stream->state);
  else if (stream->slot != NO_SLOT)
    b->iface->slot_store (b->ws, stream->slot, stream->state);
  g_mutex_unlock (&b->lock);
}

void
seq_batcher_stream_sync_state (SeqBatcherStream * stream)
{
  stream_copy_state (stream, FALSE);
}

void
seq_batcher_stream_load_state (SeqBatcherStream * stream)
{
  stream_copy_state (stream, TRUE);
}

gboolean
seq_batcher_forward (SeqBatcherStream * stream, const float *input,
    guint n_steps, float *output, GError ** error)
{
  SeqBatcher *b;
  gboolean ok;

  g_return_val_if_fail (stream != NULL, FALSE);
  g_return_val_if_fail (n_steps == 0 || (input != NULL && output != NULL),
      FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (!stream->in_flight, FALSE);

  b = stream->batcher;
  if (n_steps == 0)
    return TRUE;

  g_mutex_lock (&b->lock);
  if (b->shutdown) {
    g_mutex_unlock (&b->lock);
    g_set_error (error, SEQ_BATCHER_ERROR,
        SEQ_BATCHER_ERROR_SHUTDOWN, "batcher is shut down");
    return FALSE;
  }
  stream->in_flight = TRUE;
  stream->req.input = input;
  stream->req.output = output;
  stream->req.n_steps = n_steps;
  stream->req.pos = 0;
  stream->req.done = FALSE;     /* no one else looks at it while unqueued */
  stream->req.failed = FALSE;
  stream->req.t_enqueue = g_get_monotonic_time ();
  stream->req.wake_bit = 1u << (b->n_started % 32);
  g_queue_push_tail_link (&b->queue, &stream->req.link);
  /* wake the worker only when this changes what it waits for: an empty
   * queue (no deadline), a full batch, or every member waiting; otherwise
   * the oldest request's deadline, which this one does not move, wakes it */
  if (b->worker_idle || b->queue.length == b->p.max_batch
      || b->queue.length == b->n_members)
    g_cond_signal (&b->work_cond);
  g_mutex_unlock (&b->lock);

  wake_word_wait (b, &stream->req);
  ok = !stream->req.failed;
  stream->in_flight = FALSE;

  if (!ok)
    g_set_error (error, SEQ_BATCHER_ERROR,
        SEQ_BATCHER_ERROR_SHUTDOWN,
        "batcher shut down before the request ran (%u of %u frames "
        "done)", stream->req.pos, n_steps);
  return ok;
}

void
seq_batcher_get_stats (SeqBatcher * batcher, SeqBatcherStats * stats)
{
  g_return_if_fail (batcher != NULL && stats != NULL);
  g_mutex_lock (&batcher->lock);
  *stats = batcher->stats;
  g_mutex_unlock (&batcher->lock);
}
