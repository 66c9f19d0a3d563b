/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — cross-stream batching of the steps of any recurrent model (an
 * LSTM, a GRU: whatever offers a SeqRecurrentIface, recurrent.h).
 *
 * Thread safety: every function may be called from any thread. A
 * SeqBatcher is shared by all the streams (elements) that use one model;
 * a SeqBatcherStream belongs to one thread at a time (the one that calls
 * seq_batcher_forward on it).
 *
 * How it works: each stream's thread calls seq_batcher_forward() with
 * its next frames and blocks. A worker thread owned by the batcher runs one
 * batched, multi-threaded step (the cell's forward over all taken streams)
 * as soon as one of these holds:
 *   - max_batch streams are waiting;
 *   - max_delay_us has passed since the oldest waiting request arrived;
 *   - every stream that has joined is waiting;
 *   - the oldest waiting request arrived while the previous step ran;
 * taking at most max_batch requests, oldest first. A request of T frames is
 * served over several batched steps (as many frames per step as every taken
 * request still has, up to max_steps); the call returns when all its frames
 * are done, with the outputs written to the caller's buffer and the stream's
 * state advanced. Nobody busy-waits: the worker sleeps on a GCond (with a
 * deadline while a partial batch waits) and callers sleep until their step
 * is done (on Linux on one futex, the callers of a step woken together by
 * one system call).
 *
 * Output is bitwise identical to running the stream alone with the cell's
 * forward (seq_lstm_forward, seq_gru_forward: the kernels compute every
 * output element with one fixed sequence of operations whatever the batch),
 * so batching is purely a scheduling decision. Streams may join and leave
 * at any time. Added latency
 * per request is at most max_delay_us plus the batched steps it takes part
 * in; answer LATENCY queries with at least max_delay_us.
 *
 * Resident states. While a stream is a member, its h (and c) live in the
 * batcher, in a slot of memory laid out as the batched step runs on it
 * (from the stream's first step until it leaves; with a cell whose
 * interface has the slot functions, recurrent.h). Slots are kept compact
 * (0 .. number of resident members - 1) and a step's streams are ordered by
 * slot, so that a step over every member, the usual batch under load, runs
 * on the slots in place and copies no state; other batches gather their
 * streams' slots into the step and scatter them back. The state object is
 * therefore not updated by forward calls (its step count is): between two
 * forward calls of the stream, seq_batcher_stream_sync_state () brings it
 * up to date (before reading or saving it) and
 * seq_batcher_stream_load_state () makes the stream go on from it (after
 * resetting or restoring it); leaving brings it up to date too.
 *
 * Typical use in an element (one batcher per batch-group and model):
 *
 *   batcher = seq_batcher_new (seq_lstm_recurrent (), model, &params, &error);
 *   stream  = seq_batcher_join (batcher, state);        // per element
 *   ...streaming thread:
 *   if (!seq_batcher_forward (stream, in, T, out, &error)) -> error/flushing
 *   ...between forward calls of this stream:
 *   reset:   seq_lstm_state_reset (state);
 *            seq_batcher_stream_load_state (stream);
 *   save:    seq_batcher_stream_sync_state (stream);
 *            blob = seq_lstm_state_save (state);
 *   restore: seq_batcher_stream_sync_state (stream);   // if it may fail
 *            seq_lstm_state_restore (state, blob, &error);
 *            seq_batcher_stream_load_state (stream);
 *   seq_batcher_leave (stream);        // the state is up to date again
 *   seq_batcher_unref (batcher);       // last unref shuts the worker down
 *
 * seq_batcher_shutdown() makes every waiting and every later forward call
 * fail with SEQ_BATCHER_ERROR_SHUTDOWN (for example to unblock streaming
 * threads on a state change); frames already computed stay computed.
 */
#pragma once

#include <glib.h>
#include <seqenc/export.h>
#include <seqenc/recurrent.h>

G_BEGIN_DECLS

#define SEQ_BATCHER_ERROR (seq_batcher_error_quark ())
SEQ_API GQuark seq_batcher_error_quark (void);

typedef enum {
  SEQ_BATCHER_ERROR_SHUTDOWN,      /* batcher shut down: request not run */
  SEQ_BATCHER_ERROR_CONFIG,        /* absurd parameters */
} SeqBatcherError;

typedef struct {
  guint max_batch;              /* streams per batched step, 1..4096; default 64 */
  guint64 max_delay_us;         /* longest wait of a partial batch, in
                                 * microseconds, counted from the oldest
                                 * waiting request; default 5000 (5 ms) */
  guint max_steps;              /* frames per stream in one batched call,
                                 * 1..4096 (longer requests take several);
                                 * default 16 */
  guint n_threads;              /* threads of a batched step, 0 = all cores;
                                 * default 0 */
  SeqRecurrentOutput output;    /* what each forward call writes; default
                                 * SEQ_RECURRENT_OUTPUT_LAST_LAYER */
} SeqBatcherParams;

typedef struct _SeqBatcher SeqBatcher;
typedef struct _SeqBatcherStream SeqBatcherStream;

SEQ_API SeqBatcherParams seq_batcher_params_default (void);

/* Starts the worker thread. @model (a model of @iface's cell: a
 * SeqLstmModel with seq_lstm_recurrent (), a SeqGruModel with
 * seq_gru_recurrent ()) is referenced. NULL and @error
 * (SEQ_BATCHER_ERROR_CONFIG) on absurd parameters. */
SEQ_API SeqBatcher *seq_batcher_new (const SeqRecurrentIface * iface,
    gpointer model, const SeqBatcherParams * params, GError ** error);
SEQ_API SeqBatcher *seq_batcher_ref (SeqBatcher * batcher);
/* The last unref shuts down (as seq_batcher_shutdown), joins the worker
 * and frees. Streams keep a reference: leave them first. */
SEQ_API void seq_batcher_unref (SeqBatcher * batcher);
/* Fails all waiting and later forward calls; returns once the worker has
 * finished its current step. Idempotent. */
SEQ_API void seq_batcher_shutdown (SeqBatcher * batcher);

/* The model (not a new reference) and its interface. */
SEQ_API gpointer seq_batcher_get_model (SeqBatcher * batcher);
SEQ_API const SeqRecurrentIface *seq_batcher_get_iface (SeqBatcher *
    batcher);
/* Width of each output frame (depends on params.output). */
SEQ_API guint seq_batcher_get_output_width (SeqBatcher * batcher);

/* Adds a stream that starts from @state (a state of the batcher's model,
 * of its cell's type; the caller keeps owning it and must keep it alive
 * until seq_batcher_leave: its step count advances with every forward
 * call, its h and c only when synced, see "Resident states"). */
SEQ_API SeqBatcherStream *seq_batcher_join (SeqBatcher * batcher,
    gpointer state);
/* Removes and frees @stream (NULL: no-op), leaving its state object up to
 * date. Must not be called while a forward call of this stream is in
 * progress. */
SEQ_API void seq_batcher_leave (SeqBatcherStream * stream);

/* Between forward calls of @stream (from the thread that makes them):
 * sync_state copies the stream's current h and c into its state object;
 * load_state makes the stream continue from its state object as it is now
 * (after a reset or a restore). Both copy at most one state (none while
 * the stream has not run yet) and never wait for a batched step. */
SEQ_API void seq_batcher_stream_sync_state (SeqBatcherStream * stream);
SEQ_API void seq_batcher_stream_load_state (SeqBatcherStream * stream);

/* Advances @stream by @n_steps frames, blocking until they are done.
 *   @input:  [n_steps][input_size] f32 (the wire layout x[T][D])
 *   @output: [n_steps][output width] f32
 * FALSE and SEQ_BATCHER_ERROR_SHUTDOWN if the batcher was shut down
 * before all frames ran (the stream's state then holds the frames that did
 * run; reset it before reuse). n_steps = 0 returns TRUE at once. */
SEQ_API gboolean seq_batcher_forward (SeqBatcherStream * stream,
    const float *input, guint n_steps, float *output, GError ** error);

/* Counters since the batcher's creation. */
typedef struct {
  guint64 n_calls;              /* batched steps run */
  guint64 n_frames;             /* stream-frames computed */
  guint max_streams;            /* most streams served by one step */
  guint64 n_in_place;           /* steps that ran on the resident states in
                                 * place (no state copied) */
} SeqBatcherStats;

SEQ_API void seq_batcher_get_stats (SeqBatcher * batcher,
    SeqBatcherStats * stats);

G_END_DECLS
