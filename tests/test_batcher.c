/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — cross-stream LSTM batcher: bitwise identity with running
 * alone, batches formed by max-batch and by max-delay, joining and leaving,
 * shutdown with requests pending. No assertion depends on wall-clock time
 * (delays only decide how fast a test finishes, never what it checks). */
#include "seqtest.h"

#include <seqenc/seqenc.h>
#include <seqenc/batcher.h>
#include <stdio.h>
#include <string.h>

#define I_SIZE 12
#define H_SIZE 40

static SeqLstmModel *
make_model (void)
{
  SeqLstmRandomParams p = seq_lstm_random_params_default ();
  p.input_size = I_SIZE;
  p.hidden_size = H_SIZE;
  p.num_layers = 2;
  p.seed = 99;
  return seq_lstm_model_new_random (&p, NULL, NULL);
}

static guint64
n_calls (SeqBatcher * b)
{
  SeqBatcherStats st;
  seq_batcher_get_stats (b, &st);
  return st.n_calls;
}

static guint
max_streams (SeqBatcher * b)
{
  SeqBatcherStats st;
  seq_batcher_get_stats (b, &st);
  return st.max_streams;
}

static void
fill (float *x, gsize n, guint64 seed)
{
  SeqRng r;
  seq_rng_init (&r, seed);
  for (gsize i = 0; i < n; i++)
    x[i] = seq_rng_uniform (&r, -1.5f, 1.5f);
}

/* One stream's run through the batcher, in chunks of varying size. */
typedef struct {
  SeqBatcher *batcher;
  SeqLstmModel *model;
  guint n_frames;
  guint64 seed;
  guint join_delay_us;          /* sleep before joining */
  float *x, *y;
  gboolean ok;
  GBytes *blob;                 /* its state after leaving */
} StreamJob;

static gpointer
stream_thread (gpointer data)
{
  StreamJob *j = data;
  SeqLstmState *st = seq_lstm_state_new (j->model);
  SeqBatcherStream *s;
  SeqRng r;
  guint t = 0;

  g_usleep (j->join_delay_us);
  s = seq_batcher_join (j->batcher, st);
  seq_rng_init (&r, j->seed + 1000);
  j->ok = TRUE;
  while (t < j->n_frames) {
    guint n = 1 + (guint) (seq_rng_next (&r) % 7);
    n = MIN (n, j->n_frames - t);
    j->ok &= seq_batcher_forward (s, j->x + (gsize) t * I_SIZE, n,
        j->y + (gsize) t * H_SIZE, NULL);
    t += n;
  }
  seq_batcher_leave (s);
  j->blob = seq_lstm_state_save (st);
  seq_lstm_state_free (st);
  return NULL;
}

/* The finished job's outputs, and the state it left with, are those of
 * its frames run alone (@ws: a workspace of its model); frees its
 * buffers. */
static void
stream_job_matches_alone (StreamJob * j, SeqLstmWorkspace * ws)
{
  SeqLstmState *st = seq_lstm_state_new (j->model);
  float *alone = g_new (float, (gsize) j->n_frames * H_SIZE);
  GBytes *blob;

  CU_ASSERT_TRUE (j->ok);
  seq_lstm_forward (j->model, &st, 1, j->x, j->n_frames, alone,
      SEQ_LSTM_OUTPUT_LAST_LAYER, ws);
  CU_ASSERT (memcmp (alone, j->y, (gsize) j->n_frames * H_SIZE *
          sizeof (float)) == 0);
  blob = seq_lstm_state_save (st);
  CU_ASSERT (g_bytes_equal (blob, j->blob));
  g_bytes_unref (blob);
  g_bytes_unref (j->blob);
  seq_lstm_state_free (st);
  g_free (alone);
  g_free (j->x);
  g_free (j->y);
}

static void
check_streams_match_alone (const SeqRecurrentIface * iface, guint n_streams,
    guint max_batch, guint64 delay)
{
  SeqLstmModel *m = make_model ();
  SeqBatcherParams bp = seq_batcher_params_default ();
  SeqBatcher *b;
  StreamJob *jobs = g_new0 (StreamJob, n_streams);
  GThread **th = g_new0 (GThread *, n_streams);
  SeqLstmWorkspace *ws = seq_lstm_workspace_new (m, 1, 64, 1);
  SeqBatcherStats bst;
  guint64 total = 0;

  bp.max_batch = max_batch;
  bp.max_delay_us = delay;
  bp.max_steps = 5;
  bp.n_threads = 2;
  b = seq_batcher_new (iface, m, &bp, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (b);

  for (guint i = 0; i < n_streams; i++) {
    StreamJob *j = &jobs[i];
    j->batcher = b;
    j->model = m;
    j->n_frames = 5 + 9 * i % 41;       /* different lengths */
    j->seed = i + 1;
    j->join_delay_us = (i % 3) * 2000;  /* join at different times */
    j->x = g_new (float, (gsize) j->n_frames * I_SIZE);
    j->y = g_new0 (float, (gsize) j->n_frames * H_SIZE);
    fill (j->x, (gsize) j->n_frames * I_SIZE, j->seed);
    total += j->n_frames;
    th[i] = g_thread_new ("stream", stream_thread, j);
  }
  for (guint i = 0; i < n_streams; i++)
    g_thread_join (th[i]);

  for (guint i = 0; i < n_streams; i++)
    stream_job_matches_alone (&jobs[i], ws);
  seq_batcher_get_stats (b, &bst);
  CU_ASSERT_EQUAL (bst.n_frames, total);
  CU_ASSERT (bst.max_streams <= max_batch);
  CU_ASSERT (bst.n_calls >= (total + (guint64) max_batch * 5 - 1) /
      ((guint64) max_batch * 5));
  seq_batcher_unref (b);
  seq_lstm_workspace_free (ws);
  seq_lstm_model_unref (m);
  g_free (jobs);
  g_free (th);
}

static void
test_batched_output_bitwise_equals_alone (void)
{
  const SeqRecurrentIface *lstm = seq_lstm_recurrent ();

  check_streams_match_alone (lstm, 7, 4, 1000);
  check_streams_match_alone (lstm, 12, 64, 200);
  check_streams_match_alone (lstm, 5, 1, 0);
}

/* A cell without slots (the interface's slot functions NULL): the batcher
 * hands forward the state objects every step. */
static void
test_cell_without_slots_is_gathered (void)
{
  SeqRecurrentIface plain = *seq_lstm_recurrent ();

  plain.workspace_reserve_slots = NULL;
  plain.slot_load = NULL;
  plain.slot_store = NULL;
  plain.slot_move = NULL;
  plain.forward_slots = NULL;
  check_streams_match_alone (&plain, 7, 4, 1000);
  check_streams_match_alone (&plain, 12, 64, 200);
}

/* Slots that cannot grow past the first reservation (as when memory runs
 * out): the batcher gives every state back to its object and gathers from
 * then on, without a difference in any bit. */
static gboolean
reserve_at_most_16 (gpointer ws, guint n_slots)
{
  return n_slots <= 16
      && seq_lstm_recurrent ()->workspace_reserve_slots (ws, n_slots);
}

static void
test_slots_that_cannot_grow_fall_back_to_gathering (void)
{
  SeqRecurrentIface small = *seq_lstm_recurrent ();

  small.workspace_reserve_slots = reserve_at_most_16;
  check_streams_match_alone (&small, 24, 64, 200);
  check_streams_match_alone (&small, 20, 8, 1000);
}

typedef struct {
  SeqBatcherStream *s;
  float x[I_SIZE];
  float y[H_SIZE];
  gboolean ok;
  GError *err;
} OneShot;

static gpointer
one_shot_thread (gpointer data)
{
  OneShot *o = data;
  o->ok = seq_batcher_forward (o->s, o->x, 1, o->y, &o->err);
  return NULL;
}

static void
test_full_batch_runs_without_waiting_for_max_delay (void)
{
  SeqLstmModel *m = make_model ();
  SeqBatcherParams bp = seq_batcher_params_default ();
  SeqBatcher *b;
  SeqLstmState *st[4], *idle_st;
  SeqBatcherStream *idle;
  OneShot o[4];
  GThread *th[4];
  guint64 calls;
  guint maxseen;

  /* a delay far longer than the test timeout, and a fifth member that never
   * submits (so not every member is waiting): only a full batch can run */
  bp.max_batch = 4;
  bp.max_delay_us = G_GUINT64_CONSTANT (3000) * G_USEC_PER_SEC;
  b = seq_batcher_new (seq_lstm_recurrent (), m, &bp, NULL);
  idle_st = seq_lstm_state_new (m);
  idle = seq_batcher_join (b, idle_st);
  for (guint i = 0; i < 4; i++) {
    st[i] = seq_lstm_state_new (m);
    o[i].s = seq_batcher_join (b, st[i]);
    o[i].err = NULL;
    fill (o[i].x, I_SIZE, 50 + i);
  }
  for (guint i = 0; i < 4; i++)
    th[i] = g_thread_new ("one", one_shot_thread, &o[i]);
  for (guint i = 0; i < 4; i++) {
    g_thread_join (th[i]);
    CU_ASSERT_TRUE (o[i].ok);
    seq_batcher_leave (o[i].s);
    seq_lstm_state_free (st[i]);
  }
  calls = n_calls (b);
  maxseen = max_streams (b);
  CU_ASSERT_EQUAL (calls, 1);
  CU_ASSERT_EQUAL (maxseen, 4);
  seq_batcher_leave (idle);
  seq_lstm_state_free (idle_st);
  seq_batcher_unref (b);
  seq_lstm_model_unref (m);
}

/* A stream has one request in flight at most: once every member waits,
 * nothing can arrive before the deadline, so the step runs at once (the
 * batch is all of them, below max-batch); and when a member that was not
 * waiting leaves, the others run. */
static void
test_steps_when_every_member_waits (void)
{
  SeqLstmModel *m = make_model ();
  SeqBatcherParams bp = seq_batcher_params_default ();
  SeqBatcher *b;
  SeqLstmState *st[3], *late_st;
  SeqBatcherStream *late;
  OneShot o[3];
  GThread *th[3];
  guint64 calls;
  guint maxseen;

  bp.max_batch = 16;
  bp.max_delay_us = G_GUINT64_CONSTANT (3000) * G_USEC_PER_SEC;
  b = seq_batcher_new (seq_lstm_recurrent (), m, &bp, NULL);
  for (guint i = 0; i < 3; i++) {
    st[i] = seq_lstm_state_new (m);
    o[i].s = seq_batcher_join (b, st[i]);
    o[i].err = NULL;
    fill (o[i].x, I_SIZE, 70 + i);
  }
  for (guint i = 0; i < 3; i++)
    th[i] = g_thread_new ("one", one_shot_thread, &o[i]);
  for (guint i = 0; i < 3; i++) {
    g_thread_join (th[i]);
    CU_ASSERT_TRUE (o[i].ok);
  }
  calls = n_calls (b);
  maxseen = max_streams (b);
  CU_ASSERT_EQUAL (calls, 1);
  CU_ASSERT_EQUAL (maxseen, 3);

  /* a fourth member joins and never submits: the three wait for it ... */
  late_st = seq_lstm_state_new (m);
  late = seq_batcher_join (b, late_st);
  for (guint i = 0; i < 3; i++)
    th[i] = g_thread_new ("one", one_shot_thread, &o[i]);
  g_usleep (20000);
  calls = n_calls (b);
  CU_ASSERT_EQUAL (calls, 1);
  /* ... until it leaves */
  seq_batcher_leave (late);
  for (guint i = 0; i < 3; i++) {
    g_thread_join (th[i]);
    CU_ASSERT_TRUE (o[i].ok);
    seq_batcher_leave (o[i].s);
    CU_ASSERT_EQUAL (seq_lstm_state_get_steps (st[i]), 2);
    seq_lstm_state_free (st[i]);
  }
  calls = n_calls (b);
  CU_ASSERT_EQUAL (calls, 2);
  seq_lstm_state_free (late_st);
  seq_batcher_unref (b);
  seq_lstm_model_unref (m);
}

typedef struct {
  SeqBatcherStream *s;
  const float *x;
  float *y;
  guint n;
  gboolean ok;
} LongJob;

static gpointer
long_thread (gpointer data)
{
  LongJob *l = data;
  l->ok = seq_batcher_forward (l->s, l->x, l->n, l->y, NULL);
  return NULL;
}

typedef struct {
  OneShot one;
  SeqBatcher *b;
  guint64 calls_before;         /* steps run when it submitted */
} LateShot;

static gpointer
late_shot_thread (gpointer data)
{
  LateShot *o = data;
  o->calls_before = n_calls (o->b);
  return one_shot_thread (&o->one);
}

/* A request that arrives while steps run has waited for them: when they end
 * it runs at once, without its max-delay (far longer than the test
 * timeout). Two long requests fill max-batch 2 and run one frame per step
 * for many steps; a third arrives meanwhile and is alone when they end; a
 * fourth member never submits, so neither a full batch nor "every member
 * waits" can start it. */
static void
test_request_that_came_during_a_step_does_not_wait (void)
{
  const guint N = 30000;
  SeqLstmModel *m = make_model ();
  SeqBatcherParams bp = seq_batcher_params_default ();
  SeqBatcher *b;
  SeqLstmState *st[2], *c_st, *idle_st;
  SeqBatcherStream *idle;
  float *x = g_new (float, (gsize) N * I_SIZE);
  LongJob l[2];
  GThread *th[2], *c_th;
  LateShot c;
  guint64 calls = 0;

  bp.max_batch = 2;
  bp.max_steps = 1;
  bp.max_delay_us = G_GUINT64_CONSTANT (3000) * G_USEC_PER_SEC;
  b = seq_batcher_new (seq_lstm_recurrent (), m, &bp, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (b);
  fill (x, (gsize) N * I_SIZE, 5);
  idle_st = seq_lstm_state_new (m);
  idle = seq_batcher_join (b, idle_st);
  c_st = seq_lstm_state_new (m);
  c.b = b;
  c.one.s = seq_batcher_join (b, c_st);
  c.one.err = NULL;
  fill (c.one.x, I_SIZE, 6);
  for (guint i = 0; i < 2; i++) {
    st[i] = seq_lstm_state_new (m);
    l[i].s = seq_batcher_join (b, st[i]);
    l[i].x = x;
    l[i].y = g_new (float, (gsize) N * H_SIZE);
    l[i].n = N;
    th[i] = g_thread_new ("long", long_thread, &l[i]);
  }
  /* submit while the long requests are being stepped */
  while (calls == 0) {
    g_usleep (100);
    calls = n_calls (b);
  }
  c_th = g_thread_new ("late", late_shot_thread, &c);
  for (guint i = 0; i < 2; i++) {
    g_thread_join (th[i]);
    CU_ASSERT_TRUE (l[i].ok);
    CU_ASSERT_EQUAL (seq_lstm_state_get_steps (st[i]), N);
  }
  g_thread_join (c_th);
  /* it came before the long ones ended (else this test proves nothing) */
  CU_ASSERT (c.calls_before < N);
  CU_ASSERT_TRUE (c.one.ok);
  CU_ASSERT_EQUAL (seq_lstm_state_get_steps (c_st), 1);

  for (guint i = 0; i < 2; i++) {
    seq_batcher_leave (l[i].s);
    seq_lstm_state_free (st[i]);
    g_free (l[i].y);
  }
  seq_batcher_leave (c.one.s);
  seq_batcher_leave (idle);
  seq_lstm_state_free (c_st);
  seq_lstm_state_free (idle_st);
  seq_batcher_unref (b);
  seq_lstm_model_unref (m);
  g_free (x);
}

static void
test_partial_batch_runs_after_max_delay (void)
{
  SeqLstmModel *m = make_model ();
  SeqBatcherParams bp = seq_batcher_params_default ();
  SeqBatcher *b;
  SeqLstmState *st = seq_lstm_state_new (m);
  SeqBatcherStream *s;
  float x[3 * I_SIZE], y[3 * H_SIZE];
  guint64 calls;

  bp.max_batch = 16;
  bp.max_delay_us = 2000;
  b = seq_batcher_new (seq_lstm_recurrent (), m, &bp, NULL);
  s = seq_batcher_join (b, st);
  fill (x, 3 * I_SIZE, 7);
  CU_ASSERT_TRUE (seq_batcher_forward (s, x, 3, y, NULL));
  CU_ASSERT_EQUAL (seq_lstm_state_get_steps (st), 3);
  calls = n_calls (b);
  CU_ASSERT_EQUAL (calls, 1);   /* 3 frames of one stream: one call */
  seq_batcher_leave (s);
  seq_batcher_unref (b);
  seq_lstm_state_free (st);
  seq_lstm_model_unref (m);
}

static void
test_shutdown_fails_pending_requests_cleanly (void)
{
  SeqLstmModel *m = make_model ();
  SeqBatcherParams bp = seq_batcher_params_default ();
  SeqBatcher *b;
  SeqLstmState *st[2], *idle_st;
  SeqBatcherStream *idle;
  OneShot o[2];
  GThread *th[2];
  GError *err = NULL;

  bp.max_batch = 8;
  bp.max_delay_us = G_GUINT64_CONSTANT (3000) * G_USEC_PER_SEC;
  b = seq_batcher_new (seq_lstm_recurrent (), m, &bp, NULL);
  /* a member that never submits, so that the two cannot run either */
  idle_st = seq_lstm_state_new (m);
  idle = seq_batcher_join (b, idle_st);
  for (guint i = 0; i < 2; i++) {
    st[i] = seq_lstm_state_new (m);
    o[i].s = seq_batcher_join (b, st[i]);
    o[i].err = NULL;
    fill (o[i].x, I_SIZE, 60 + i);
    th[i] = g_thread_new ("one", one_shot_thread, &o[i]);
  }
  /* whether or not the requests are queued yet, none can run (2 < 8 and the
   * delay is ~forever): shutdown must fail both and unblock their threads */
  g_usleep (20000);
  seq_batcher_shutdown (b);
  for (guint i = 0; i < 2; i++) {
    g_thread_join (th[i]);
    CU_ASSERT_FALSE (o[i].ok);
    CU_ASSERT (g_error_matches (o[i].err, SEQ_BATCHER_ERROR,
            SEQ_BATCHER_ERROR_SHUTDOWN));
    g_clear_error (&o[i].err);
    CU_ASSERT_EQUAL (seq_lstm_state_get_steps (st[i]), 0);
  }
  /* later calls fail at once */
  CU_ASSERT_FALSE (seq_batcher_forward (o[0].s, o[0].x, 1, o[0].y,
          &err));
  CU_ASSERT (g_error_matches (err, SEQ_BATCHER_ERROR,
          SEQ_BATCHER_ERROR_SHUTDOWN));
  g_clear_error (&err);
  seq_batcher_shutdown (b);        /* idempotent */
  for (guint i = 0; i < 2; i++) {
    seq_batcher_leave (o[i].s);
    seq_lstm_state_free (st[i]);
  }
  seq_batcher_leave (idle);
  seq_lstm_state_free (idle_st);
  seq_batcher_unref (b);
  seq_lstm_model_unref (m);
}

static void
test_absurd_params_refused (void)
{
  SeqLstmModel *m = make_model ();
  SeqBatcherParams bp = seq_batcher_params_default ();
  GError *err = NULL;

  bp.max_batch = 0;
  CU_ASSERT_PTR_NULL (seq_batcher_new (seq_lstm_recurrent (), m, &bp, &err));
  CU_ASSERT (g_error_matches (err, SEQ_BATCHER_ERROR,
          SEQ_BATCHER_ERROR_CONFIG));
  g_clear_error (&err);
  bp = seq_batcher_params_default ();
  bp.max_steps = 1u << 30;
  CU_ASSERT_PTR_NULL (seq_batcher_new (seq_lstm_recurrent (), m, &bp, &err));
  CU_ASSERT_PTR_NOT_NULL (err);
  g_clear_error (&err);
  seq_lstm_model_unref (m);
}

static void
test_unref_without_streams_stops_worker (void)
{
  SeqLstmModel *m = make_model ();
  for (int i = 0; i < 20; i++) {
    SeqBatcher *b = seq_batcher_new (seq_lstm_recurrent (), m, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL (b);
    CU_ASSERT_EQUAL (seq_batcher_get_output_width (b), H_SIZE);
    seq_batcher_unref (b);
  }
  seq_lstm_model_unref (m);
}

/* ---- resident states ------------------------------------------------------
 *
 * Members' h and c live in the batcher's slots while they are members. The
 * tests below give every member a solo twin run alone with the cell's
 * forward, do to both the same operations (steps, reset, save/restore, a
 * late join with a restored state, leaving), and compare the outputs of
 * every step and the state blobs bitwise. They run each cell and precision
 * whose driver indexing the slots change (f32, int8, bf16 matmul, a
 * projection, the GRU without c). */

/* What the scenario needs of a cell, over its typed API. */
typedef struct {
  const gchar *name;
  const SeqRecurrentIface *iface;
  gpointer model;
  gpointer (*state_new) (gpointer model);
  void (*state_free) (gpointer state);
  void (*state_reset) (gpointer state);
  GBytes *(*state_save) (gpointer state);
  gboolean (*state_restore) (gpointer state, GBytes * blob);
} Cell;

/* cell_state_new, _free, _reset, _save, _restore over seq_@cell_state_* */
#define CELL_STATE_FUNCS(cell)                                                \
static gpointer                                                               \
cell##_state_new (gpointer m)                                                 \
{                                                                             \
  return seq_##cell##_state_new (m);                                          \
}                                                                             \
static void                                                                   \
cell##_state_free (gpointer st)                                               \
{                                                                             \
  seq_##cell##_state_free (st);                                               \
}                                                                             \
static void                                                                   \
cell##_state_reset (gpointer st)                                              \
{                                                                             \
  seq_##cell##_state_reset (st);                                              \
}                                                                             \
static GBytes *                                                               \
cell##_state_save (gpointer st)                                               \
{                                                                             \
  return seq_##cell##_state_save (st);                                        \
}                                                                             \
static gboolean                                                               \
cell##_state_restore (gpointer st, GBytes * blob)                             \
{                                                                             \
  return seq_##cell##_state_restore (st, blob, NULL);                         \
}

CELL_STATE_FUNCS (lstm)
CELL_STATE_FUNCS (gru)

static Cell
lstm_cell (const gchar * name, SeqPrecision wp, SeqMatmulPrecision mp,
    guint proj)
{
  SeqLstmRandomParams p = seq_lstm_random_params_default ();
  SeqLstmModelParams params = seq_lstm_model_params_default ();
  Cell c = { name, seq_lstm_recurrent (), NULL, lstm_state_new,
    lstm_state_free, lstm_state_reset, lstm_state_save, lstm_state_restore
  };

  p.input_size = I_SIZE;
  p.hidden_size = H_SIZE;
  p.num_layers = 3;
  p.proj_size = proj;
  p.seed = 31;
  params.weights_precision = wp;
  params.matmul_precision = mp;
  c.model = seq_lstm_model_new_random (&p, &params, NULL);
  return c;
}

static Cell
gru_cell (void)
{
  SeqGruRandomParams p = seq_gru_random_params_default ();
  Cell c = { "gru f32", seq_gru_recurrent (), NULL, gru_state_new,
    gru_state_free, gru_state_reset, gru_state_save, gru_state_restore
  };

  p.input_size = I_SIZE;
  p.hidden_size = H_SIZE;
  p.num_layers = 3;
  p.seed = 32;
  c.model = seq_gru_model_new_random (&p, NULL, NULL);
  return c;
}

#define MAX_FRAMES 64           /* per member and scenario */

/* A batcher member and its solo twin. */
typedef struct {
  const Cell *cell;
  gpointer state, solo;
  SeqBatcherStream *s;
  float *x;                     /* [MAX_FRAMES][I] */
  guint pos;                    /* next frame */
  guint n;                      /* frames of this round */
  float *y;                     /* [MAX_FRAMES][W] */
  gboolean ok;
} Member;

static void
member_init (Member * mb, const Cell * cell, guint64 seed)
{
  guint W = cell->iface->output_width (cell->model,
      SEQ_RECURRENT_OUTPUT_LAST_LAYER);

  memset (mb, 0, sizeof (*mb));
  mb->cell = cell;
  mb->state = cell->state_new (cell->model);
  mb->solo = cell->state_new (cell->model);
  mb->x = g_new (float, MAX_FRAMES * I_SIZE);
  mb->y = g_new0 (float, (gsize) MAX_FRAMES * W);
  fill (mb->x, MAX_FRAMES * I_SIZE, seed);
}

static void
member_clear (Member * mb)
{
  mb->cell->state_free (mb->state);
  mb->cell->state_free (mb->solo);
  g_free (mb->x);
  g_free (mb->y);
}

/* The member's state object (synced) and its twin's save the same blob. */
static gboolean
member_state_matches (Member * mb)
{
  GBytes *a, *b;
  gboolean same;

  if (mb->s != NULL)
    seq_batcher_stream_sync_state (mb->s);
  a = mb->cell->state_save (mb->state);
  b = mb->cell->state_save (mb->solo);
  same = g_bytes_equal (a, b);
  g_bytes_unref (a);
  g_bytes_unref (b);
  return same;
}

static gpointer
member_forward_thread (gpointer data)
{
  Member *mb = data;
  guint W = mb->cell->iface->output_width (mb->cell->model,
      SEQ_RECURRENT_OUTPUT_LAST_LAYER);

  mb->ok = seq_batcher_forward (mb->s, mb->x + (gsize) mb->pos * I_SIZE,
      mb->n, mb->y + (gsize) mb->pos * W, NULL);
  return NULL;
}

/* Every member of @mbs (NULL entries skipped) submits @n frames at once;
 * each one's outputs must equal its twin's, run alone. */
static void
round_matches_alone (Member ** mbs, guint n_mbs, guint n, gpointer ws)
{
  GThread *th[8];
  const Cell *cell = NULL;
  guint W = 0;
  float *want = NULL;

  g_assert (n_mbs <= G_N_ELEMENTS (th));
  for (guint i = 0; i < n_mbs; i++)
    if (mbs[i] != NULL) {
      mbs[i]->n = n;
      th[i] = g_thread_new ("member", member_forward_thread, mbs[i]);
    }
  for (guint i = 0; i < n_mbs; i++) {
    Member *mb = mbs[i];
    if (mb == NULL)
      continue;
    g_thread_join (th[i]);
    CU_ASSERT_TRUE (mb->ok);
    if (cell == NULL) {
      cell = mb->cell;
      W = cell->iface->output_width (cell->model,
          SEQ_RECURRENT_OUTPUT_LAST_LAYER);
      want = g_new (float, (gsize) n * W);
    }
    g_assert (mb->pos + n <= MAX_FRAMES);
    cell->iface->forward (cell->model, &mb->solo, 1,
        mb->x + (gsize) mb->pos * I_SIZE, n, want,
        SEQ_RECURRENT_OUTPUT_LAST_LAYER, ws);
    CU_ASSERT (memcmp (want, mb->y + (gsize) mb->pos * W,
            (gsize) n * W * sizeof (float)) == 0);
    mb->pos += n;
  }
  g_free (want);
}

/* Membership changes between rounds in which every member submits. With
 * max-batch 8 (and a max-delay longer than the test timeout) a step is
 * every member, their slots consecutive from 0; with max-batch 1 a step is
 * one stream, in place at its own slot: both run every step on the slots
 * in place. With max-batch 2 a step's pair may be in place or gathered;
 * with max-batch 3 three of the four members are in place after swapping
 * the one beyond slot 2 with the one left out. Whatever joined, left,
 * reset and restored in between is where it should be:
 *   A B C D join, three rounds (slots by first arrival, then reordered);
 *   A synced mid-stream; B leaves (its state object up to date) and D's
 *   slot moves into its hole; C is reset; D saved, stepped and restored;
 *   E joins late from a restored (non-zero) state; all leave. */
static void
check_resident_scenario (const Cell * cell, guint max_batch)
{
  SeqBatcherParams bp = seq_batcher_params_default ();
  SeqBatcher *b;
  SeqBatcherStats st;
  gpointer ws = cell->iface->workspace_new (cell->model, 1, 64, 1);
  Member A, B, C, D, E;
  Member *all[5] = { &A, &B, &C, &D, &E };
  GBytes *blob;

  CU_ASSERT_PTR_NOT_NULL_FATAL (cell->model);
  bp.max_batch = max_batch;
  /* below the member count a late request can be alone and waits for
   * max-delay, as the other members may come: then short (it decides
   * nothing checked) */
  bp.max_delay_us = max_batch == 2 || max_batch == 3 ? 1000 :
      G_GUINT64_CONSTANT (3000) * G_USEC_PER_SEC;
  bp.max_steps = 2;             /* a round of 3 frames takes two steps */
  bp.n_threads = 2;
  b = seq_batcher_new (cell->iface, cell->model, &bp, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (b);
  for (guint i = 0; i < 5; i++)
    member_init (all[i], cell, 200 + i);
  for (guint i = 0; i < 4; i++)
    all[i]->s = seq_batcher_join (b, all[i]->state);

  {
    Member *r[4] = { &A, &B, &C, &D };
    round_matches_alone (r, 4, 1, ws);
    round_matches_alone (r, 4, 3, ws);
    round_matches_alone (r, 4, 2, ws);
  }
  CU_ASSERT_TRUE (member_state_matches (&A));

  /* B leaves from slot 1 or 2 (the order of the first arrivals) */
  seq_batcher_leave (B.s);
  B.s = NULL;
  CU_ASSERT_TRUE (member_state_matches (&B));
  {
    Member *r[3] = { &A, &C, &D };
    round_matches_alone (r, 3, 2, ws);

    cell->state_reset (C.state);
    seq_batcher_stream_load_state (C.s);
    cell->state_reset (C.solo);
    round_matches_alone (r, 3, 3, ws);
    CU_ASSERT_TRUE (member_state_matches (&C));

    seq_batcher_stream_sync_state (D.s);
    blob = cell->state_save (D.state);
    round_matches_alone (r, 3, 2, ws);
    seq_batcher_stream_sync_state (D.s);
    CU_ASSERT_TRUE (cell->state_restore (D.state, blob));
    seq_batcher_stream_load_state (D.s);
    CU_ASSERT_TRUE (cell->state_restore (D.solo, blob));
    g_bytes_unref (blob);
    round_matches_alone (r, 3, 1, ws);
  }

  /* E starts from A's state as it is now */
  blob = cell->state_save (A.solo);
  CU_ASSERT_TRUE (cell->state_restore (E.state, blob));
  CU_ASSERT_TRUE (cell->state_restore (E.solo, blob));
  g_bytes_unref (blob);
  E.s = seq_batcher_join (b, E.state);
  {
    Member *r[4] = { &A, &C, &D, &E };
    round_matches_alone (r, 4, 2, ws);
    round_matches_alone (r, 4, 3, ws);
  }

  seq_batcher_get_stats (b, &st);
  if (max_batch == 8 || max_batch == 1)
    CU_ASSERT_EQUAL (st.n_in_place, st.n_calls);
  CU_ASSERT_EQUAL (st.max_streams, MIN (max_batch, 4));
  for (guint i = 0; i < 5; i++) {
    Member *mb = all[i];
    if (mb->s != NULL) {
      seq_batcher_leave (mb->s);
      mb->s = NULL;
    }
    CU_ASSERT_TRUE (member_state_matches (mb));
    member_clear (mb);
  }
  seq_batcher_unref (b);
  cell->iface->workspace_free (ws);
}

static void
test_resident_states_follow_joins_leaves_resets_and_restores (void)
{
  Cell cells[] = {
    lstm_cell ("lstm f32", SEQ_PRECISION_F32, SEQ_MATMUL_F32, 0),
    lstm_cell ("lstm f32 proj", SEQ_PRECISION_F32, SEQ_MATMUL_F32, 7),
    lstm_cell ("lstm int8", SEQ_PRECISION_INT8, SEQ_MATMUL_F32, 0),
    lstm_cell ("lstm bf16 matmul", SEQ_PRECISION_BF16, SEQ_MATMUL_BF16, 0),
    gru_cell (),
  };

  static const guint max_batch[] = { 8, 1, 2, 3 };

  for (guint i = 0; i < G_N_ELEMENTS (cells); i++) {
    for (guint k = 0; k < G_N_ELEMENTS (max_batch); k++) {
      printf ("  %s, max-batch %u\n", cells[i].name, max_batch[k]);
      check_resident_scenario (&cells[i], max_batch[k]);
    }
    cells[i].iface->model_unref (cells[i].model);
  }
}

/* One member resets, saves and restores between its own steps while three
 * others step all the time beside it (short max-delay, pairs and triples in
 * any order: in place and gathered); everyone's outputs and states stay
 * those of running alone. */
static void
test_member_reset_saved_restored_while_others_step (void)
{
  const guint n_busy = 3;
  Cell cell = { "lstm", seq_lstm_recurrent (), make_model (), lstm_state_new,
    lstm_state_free, lstm_state_reset, lstm_state_save, lstm_state_restore
  };
  SeqBatcherParams bp = seq_batcher_params_default ();
  SeqLstmWorkspace *ws = seq_lstm_workspace_new (cell.model, 1, 64, 1);
  StreamJob busy[3];
  GThread *th[3];
  SeqBatcher *b;
  Member me, *r[1] = { &me };
  GBytes *saved = NULL;

  bp.max_batch = 3;
  bp.max_delay_us = 300;
  bp.max_steps = 3;
  bp.n_threads = 2;
  b = seq_batcher_new (cell.iface, cell.model, &bp, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (b);
  member_init (&me, &cell, 77);
  me.s = seq_batcher_join (b, me.state);
  for (guint i = 0; i < n_busy; i++) {
    StreamJob *j = &busy[i];
    memset (j, 0, sizeof (*j));
    j->batcher = b;
    j->model = cell.model;
    j->n_frames = 400;
    j->seed = 300 + i;
    j->x = g_new (float, (gsize) j->n_frames * I_SIZE);
    j->y = g_new0 (float, (gsize) j->n_frames * H_SIZE);
    fill (j->x, (gsize) j->n_frames * I_SIZE, j->seed);
    th[i] = g_thread_new ("busy", stream_thread, j);
  }

  for (guint k = 0; me.pos + 1 + k % 4 <= MAX_FRAMES; k++) {
    round_matches_alone (r, 1, 1 + k % 4, ws);
    if (k % 3 == 1) {
      g_clear_pointer (&saved, g_bytes_unref);
      seq_batcher_stream_sync_state (me.s);
      saved = cell.state_save (me.state);
    }
    if (k % 5 == 4 && saved != NULL) {
      seq_batcher_stream_sync_state (me.s);
      CU_ASSERT_TRUE (cell.state_restore (me.state, saved));
      seq_batcher_stream_load_state (me.s);
      CU_ASSERT_TRUE (cell.state_restore (me.solo, saved));
    }
    if (k % 7 == 6) {
      cell.state_reset (me.state);
      seq_batcher_stream_load_state (me.s);
      cell.state_reset (me.solo);
    }
    CU_ASSERT_TRUE (member_state_matches (&me));
  }
  g_clear_pointer (&saved, g_bytes_unref);
  seq_batcher_leave (me.s);
  me.s = NULL;
  CU_ASSERT_TRUE (member_state_matches (&me));
  member_clear (&me);

  for (guint i = 0; i < n_busy; i++) {
    g_thread_join (th[i]);
    stream_job_matches_alone (&busy[i], ws);
  }
  seq_batcher_unref (b);
  seq_lstm_workspace_free (ws);
  seq_lstm_model_unref (cell.model);
}

int
main (void)
{
  static const SeqTestCase cases[] = {
    {"batcher_output_bitwise_equals_stream_alone",
        test_batched_output_bitwise_equals_alone},
    {"batcher_full_batch_runs_without_waiting_for_max_delay",
        test_full_batch_runs_without_waiting_for_max_delay},
    {"batcher_steps_when_every_member_waits",
        test_steps_when_every_member_waits},
    {"batcher_request_that_came_during_a_step_does_not_wait",
        test_request_that_came_during_a_step_does_not_wait},
    {"batcher_partial_batch_runs_after_max_delay",
        test_partial_batch_runs_after_max_delay},
    {"batcher_shutdown_fails_pending_requests_cleanly",
        test_shutdown_fails_pending_requests_cleanly},
    {"batcher_absurd_params_refused", test_absurd_params_refused},
    {"batcher_unref_without_streams_stops_worker",
        test_unref_without_streams_stops_worker},
    {"batcher_cell_without_slots_is_gathered",
        test_cell_without_slots_is_gathered},
    {"batcher_slots_that_cannot_grow_fall_back_to_gathering",
        test_slots_that_cannot_grow_fall_back_to_gathering},
    {"batcher_resident_states_follow_joins_leaves_resets_and_restores",
        test_resident_states_follow_joins_leaves_resets_and_restores},
    {"batcher_member_reset_saved_restored_while_others_step",
        test_member_reset_saved_restored_while_others_step},
    {NULL, NULL}
  };
  return seq_test_run ("batcher", cases);
}
