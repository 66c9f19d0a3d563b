/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — cross-stream batching of LSTM steps (see batcher.h).
 *
 * One worker thread per batcher. Requests (one per stream at most, embedded
 * in the stream, linked into a GQueue without allocating) wait in arrival
 * order. The worker takes up to max_batch of them from the head when enough
 * are waiting or the head's deadline has passed, gathers their next frames
 * into [T][B][I], runs seq_lstm_forward once, scatters the outputs and wakes
 * the requests that are complete. Unfinished requests keep their place at
 * the head.
 *
 * Wake-ups are what a live stream pays for per frame, so there are as few
 * as possible: the worker waits on work_cond under the batcher mutex and is
 * signalled only when a request changes what it waits for (the queue was
 * empty: it sleeps without a deadline; or the queue reached max_batch); any
 * other arrival is seen when its deadline, the oldest request's, passes.
 * A caller sleeps on its own stream's GCond and GMutex, and the worker wakes
 * the completed streams after releasing the batcher mutex (and signals each
 * after releasing that stream's), so that a woken caller does not have to
 * wait for (and be woken again by) a mutex the worker holds. Leaving waits
 * until the worker is done signalling.
 */
#include "seqenc/batcher.h"
#include "seqenc-private.h"

#include <string.h>

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
  gboolean done;                /* under the stream's done_lock */
  gboolean failed;
} Request;

struct _SeqLstmBatcherStream {
  SeqLstmBatcher *batcher;
  SeqLstmState *state;
  GMutex done_lock;             /* guards req.done; the caller sleeps on */
  GCond done_cond;              /* done_cond until the worker sets it */
  Request req;
  gboolean in_flight;
};

struct _SeqLstmBatcher {
  gint ref_count;
  SeqLstmModel *model;
  SeqLstmBatcherParams p;
  guint I, W;

  GMutex lock;
  GCond work_cond;
  gboolean worker_idle;         /* waiting without deadline (empty queue) */
  gboolean waking;              /* worker is waking streams without the lock */
  guint leaving;                /* streams waiting in leave for !waking */
  GCond waking_done;
  GThread *thread;
  gboolean shutdown;
  GQueue queue;                 /* of Request (links embedded) */

  /* worker-only scratch, sized at creation */
  SeqLstmWorkspace *ws;
  float *in;                    /* [max_steps][max_batch][I] */
  float *out;                   /* [max_steps][max_batch][W] */
  SeqLstmState **states;        /* [max_batch] */
  SeqLstmBatcherStream **taken; /* [max_batch] */
  SeqLstmBatcherStream **wake;  /* [max_batch] completed, to be woken */

  guint64 n_calls, n_frames;
  guint max_seen;
};

G_DEFINE_QUARK (seq-lstm-batcher-error-quark, seq_lstm_batcher_error);

SeqLstmBatcherParams
seq_lstm_batcher_params_default (void)
{
  SeqLstmBatcherParams p = {
    .max_batch = 64,
    .max_delay_us = 5000,
    .max_steps = 16,
    .n_threads = 0,
    .output = SEQ_LSTM_OUTPUT_LAST_LAYER,
  };
  return p;
}

static void
run_batch (SeqLstmBatcher * b, guint n_take, guint T)
{
  const guint I = b->I, W = b->W;

  for (guint i = 0; i < n_take; i++) {
    Request *r = &b->taken[i]->req;
    b->states[i] = b->taken[i]->state;
    for (guint t = 0; t < T; t++)
      memcpy (b->in + ((gsize) t * n_take + i) * I,
          r->input + (gsize) (r->pos + t) * I, I * sizeof (float));
  }
  seq_lstm_forward (b->model, b->states, n_take, b->in, T, b->out,
      b->p.output, b->ws);
  for (guint i = 0; i < n_take; i++) {
    Request *r = &b->taken[i]->req;
    for (guint t = 0; t < T; t++)
      memcpy (r->output + (gsize) (r->pos + t) * W,
          b->out + ((gsize) t * n_take + i) * W, W * sizeof (float));
  }
}

/* Wakes the caller of @s, whose request is finished (removed from the
 * queue). Called without the batcher mutex, with b->waking set: the caller
 * may return as soon as done is set, but cannot leave (free @s) until the
 * worker clears b->waking, so signalling after the unlock is safe, and a
 * woken caller does not find the lock still held. */
static void
wake_stream (SeqLstmBatcherStream * s)
{
  g_mutex_lock (&s->done_lock);
  s->req.done = TRUE;
  g_mutex_unlock (&s->done_lock);
  g_cond_signal (&s->done_cond);
}

/* Wakes @n streams of b->wake without the batcher mutex (held on entry and
 * on return). */
static void
wake_streams (SeqLstmBatcher * b, guint n)
{
  b->waking = TRUE;
  g_mutex_unlock (&b->lock);
  for (guint i = 0; i < n; i++)
    wake_stream (b->wake[i]);
  g_mutex_lock (&b->lock);
  b->waking = FALSE;
  if (b->leaving > 0)
    g_cond_broadcast (&b->waking_done);
}

static gpointer
worker_main (gpointer data)
{
  SeqLstmBatcher *b = data;

  g_mutex_lock (&b->lock);
  while (!b->shutdown) {
    guint n = b->queue.length, n_take, n_wake, T;
    GList *l;

    if (n == 0) {
      b->worker_idle = TRUE;
      g_cond_wait (&b->work_cond, &b->lock);
      b->worker_idle = FALSE;
      continue;
    }
    if (n < b->p.max_batch) {
      Request *oldest = b->queue.head->data;
      gint64 deadline = oldest->t_enqueue + (gint64) b->p.max_delay_us;
      if (g_get_monotonic_time () < deadline) {
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
      b->taken[i] = (SeqLstmBatcherStream *) ((guint8 *) r -
          G_STRUCT_OFFSET (SeqLstmBatcherStream, req));
      T = MIN (T, r->n_steps - r->pos);
    }

    /* the taken requests stay queued (their callers sleep until done, and
     * only this thread removes entries), so compute without the lock */
    g_mutex_unlock (&b->lock);
    run_batch (b, n_take, T);
    g_mutex_lock (&b->lock);

    b->n_calls++;
    b->n_frames += (guint64) n_take * T;
    b->max_seen = MAX (b->max_seen, n_take);
    n_wake = 0;
    for (guint i = 0; i < n_take; i++) {
      SeqLstmBatcherStream *s = b->taken[i];
      s->req.pos += T;
      if (s->req.pos == s->req.n_steps) {
        g_queue_unlink (&b->queue, &s->req.link);
        b->wake[n_wake++] = s;
      }
    }
    if (n_wake > 0)
      wake_streams (b, n_wake);
  }

  /* shut down: fail what is still waiting */
  while (b->queue.head != NULL) {
    guint n_wake = 0;
    while (b->queue.head != NULL && n_wake < b->p.max_batch) {
      GList *l = b->queue.head;
      Request *r = l->data;
      g_queue_unlink (&b->queue, l);
      r->failed = TRUE;
      b->wake[n_wake++] = (SeqLstmBatcherStream *) ((guint8 *) r -
          G_STRUCT_OFFSET (SeqLstmBatcherStream, req));
    }
    wake_streams (b, n_wake);
  }
  g_mutex_unlock (&b->lock);
  return NULL;
}

static void
batcher_free (SeqLstmBatcher * b)
{
  seq_lstm_workspace_free (b->ws);
  seq_aligned_free (b->in);
  seq_aligned_free (b->out);
  g_free (b->states);
  g_free (b->taken);
  g_free (b->wake);
  g_mutex_clear (&b->lock);
  g_cond_clear (&b->work_cond);
  g_cond_clear (&b->waking_done);
  seq_lstm_model_unref (b->model);
  g_free (b);
}

SeqLstmBatcher *
seq_lstm_batcher_new (SeqLstmModel * model,
    const SeqLstmBatcherParams * params, GError ** error)
{
  SeqLstmBatcherParams p;
  SeqLstmBatcher *b;
  gsize n_in, n_out;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  p = params ? *params : seq_lstm_batcher_params_default ();
  if (p.max_batch == 0 || p.max_batch > MAX_BATCH_LIMIT || p.max_steps == 0
      || p.max_steps > MAX_STEPS_LIMIT || p.max_delay_us > MAX_DELAY_LIMIT_US
      || p.n_threads > 1024) {
    g_set_error (error, SEQ_LSTM_BATCHER_ERROR,
        SEQ_LSTM_BATCHER_ERROR_CONFIG,
        "batcher parameters out of range (max-batch %u: 1..%u, max-steps %u: "
        "1..%u, max-delay %" G_GUINT64_FORMAT " us: <= 1 h, threads %u)",
        p.max_batch, MAX_BATCH_LIMIT, p.max_steps, MAX_STEPS_LIMIT,
        p.max_delay_us, p.n_threads);
    return NULL;
  }

  b = g_new0 (SeqLstmBatcher, 1);
  b->ref_count = 1;
  b->model = seq_lstm_model_ref (model);
  b->p = p;
  b->I = seq_lstm_model_input_size (model);
  b->W = seq_lstm_model_output_width (model, p.output);
  g_mutex_init (&b->lock);
  g_cond_init (&b->work_cond);
  g_cond_init (&b->waking_done);
  g_queue_init (&b->queue);
  b->ws = seq_lstm_workspace_new (model, p.max_batch, p.max_steps,
      p.n_threads);
  b->states = g_new0 (SeqLstmState *, p.max_batch);
  b->taken = g_new0 (SeqLstmBatcherStream *, p.max_batch);
  b->wake = g_new0 (SeqLstmBatcherStream *, p.max_batch);
  n_in = (gsize) p.max_batch * p.max_steps * b->I;
  n_out = (gsize) p.max_batch * p.max_steps * b->W;
  b->in = seq_aligned_floats (n_in);
  b->out = seq_aligned_floats (n_out);
  if (b->ws == NULL || b->in == NULL || b->out == NULL) {
    g_set_error (error, SEQ_LSTM_BATCHER_ERROR,
        SEQ_LSTM_BATCHER_ERROR_CONFIG,
        "batcher scratch for %u streams x %u steps is too large",
        p.max_batch, p.max_steps);
    batcher_free (b);
    return NULL;
  }
  b->thread = g_thread_try_new ("seqlstm-batch", worker_main, b, error);
  if (b->thread == NULL) {
    batcher_free (b);
    return NULL;
  }
  return b;
}

SeqLstmBatcher *
seq_lstm_batcher_ref (SeqLstmBatcher * batcher)
{
  g_return_val_if_fail (batcher != NULL, NULL);
  g_atomic_int_inc (&batcher->ref_count);
  return batcher;
}

void
seq_lstm_batcher_shutdown (SeqLstmBatcher * batcher)
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
seq_lstm_batcher_unref (SeqLstmBatcher * batcher)
{
  if (batcher == NULL)
    return;
  if (g_atomic_int_dec_and_test (&batcher->ref_count)) {
    seq_lstm_batcher_shutdown (batcher);
    batcher_free (batcher);
  }
}

SeqLstmModel *
seq_lstm_batcher_get_model (SeqLstmBatcher * batcher)
{
  g_return_val_if_fail (batcher != NULL, NULL);
  return batcher->model;
}

guint
seq_lstm_batcher_get_output_width (SeqLstmBatcher * batcher)
{
  g_return_val_if_fail (batcher != NULL, 0);
  return batcher->W;
}

SeqLstmBatcherStream *
seq_lstm_batcher_join (SeqLstmBatcher * batcher, SeqLstmState * state)
{
  SeqLstmBatcherStream *s;

  g_return_val_if_fail (batcher != NULL, NULL);
  g_return_val_if_fail (state != NULL, NULL);
  g_return_val_if_fail (seq_lstm_model_get_fingerprint
      (seq_lstm_state_get_model (state)) ==
      seq_lstm_model_get_fingerprint (batcher->model), NULL);

  s = g_new0 (SeqLstmBatcherStream, 1);
  s->batcher = seq_lstm_batcher_ref (batcher);
  s->state = state;
  g_mutex_init (&s->done_lock);
  g_cond_init (&s->done_cond);
  s->req.link.data = &s->req;
  return s;
}

void
seq_lstm_batcher_leave (SeqLstmBatcherStream * stream)
{
  SeqLstmBatcher *b;

  if (stream == NULL)
    return;
  g_return_if_fail (!stream->in_flight);
  /* the worker may still be about to signal our done_cond */
  b = stream->batcher;
  g_mutex_lock (&b->lock);
  b->leaving++;
  while (b->waking)
    g_cond_wait (&b->waking_done, &b->lock);
  b->leaving--;
  g_mutex_unlock (&b->lock);
  g_cond_clear (&stream->done_cond);
  g_mutex_clear (&stream->done_lock);
  seq_lstm_batcher_unref (stream->batcher);
  g_free (stream);
}

gboolean
seq_lstm_batcher_forward (SeqLstmBatcherStream * stream, const float *input,
    guint n_steps, float *output, GError ** error)
{
  SeqLstmBatcher *b;
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
    g_set_error (error, SEQ_LSTM_BATCHER_ERROR,
        SEQ_LSTM_BATCHER_ERROR_SHUTDOWN, "LSTM batcher is shut down");
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
  g_queue_push_tail_link (&b->queue, &stream->req.link);
  /* wake the worker only when this changes what it waits for: an empty
   * queue (no deadline) or a full batch; otherwise the oldest request's
   * deadline, which this one does not move, wakes it */
  if (b->worker_idle || b->queue.length == b->p.max_batch)
    g_cond_signal (&b->work_cond);
  g_mutex_unlock (&b->lock);

  g_mutex_lock (&stream->done_lock);
  while (!stream->req.done)
    g_cond_wait (&stream->done_cond, &stream->done_lock);
  g_mutex_unlock (&stream->done_lock);
  ok = !stream->req.failed;
  stream->in_flight = FALSE;

  if (!ok)
    g_set_error (error, SEQ_LSTM_BATCHER_ERROR,
        SEQ_LSTM_BATCHER_ERROR_SHUTDOWN,
        "LSTM batcher shut down before the request ran (%u of %u frames "
        "done)", stream->req.pos, n_steps);
  return ok;
}

void
seq_lstm_batcher_get_stats (SeqLstmBatcher * batcher, guint64 * n_calls,
    guint64 * n_frames, guint * max_streams_seen)
{
  g_return_if_fail (batcher != NULL);
  g_mutex_lock (&batcher->lock);
  if (n_calls)
    *n_calls = batcher->n_calls;
  if (n_frames)
    *n_frames = batcher->n_frames;
  if (max_streams_seen)
    *max_streams_seen = batcher->max_seen;
  g_mutex_unlock (&batcher->lock);
}
