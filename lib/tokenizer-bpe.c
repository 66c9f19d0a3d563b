/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — GPT-2 byte-level BPE, the encoder: per-stream state, tiktoken's
 * merge rule and the tokenizer mode "bpe". The vocabulary formats are in
 * tokenizer-bpe-vocab.c, the pre-tokenizer in tokenizer-gpt2.c.
 *
 * Merging (tiktoken's byte_pair_merge): a pre-token that is a token is taken
 * whole; otherwise start from its bytes and repeatedly merge the adjacent
 * pair whose concatenation is the token of lowest rank, leftmost first, until
 * no adjacent concatenation is a token. A pair table (left rank, right rank)
 * -> rank, built once from every split of every token, makes each step one
 * integer lookup. Pre-tokens of up to LINEAR_MAX bytes use the quadratic scan
 * of tiktoken; longer ones a heap (O(n log n)); both give the same result.
 */
#include "tokenizer-bpe-private.h"
#include "tokenizer-gpt2.h"
#include "utf8.h"
#include "seqenc-private.h"

#include <string.h>

#define LINEAR_MAX 64
/* Per-state cache of encoded pre-tokens (direct mapped). */
#define CACHE_SLOTS 4096
#define CACHE_KEY_MAX 23
#define CACHE_IDS_MAX 8

/* ------------------------------------------------------------------------ */
/* state */

typedef struct {
  guint32 hash;                 /* 0 = empty */
  guint8 key_len, n_ids;
  guint8 key[CACHE_KEY_MAX];
  gint32 ids[CACHE_IDS_MAX];
} CacheEntry;

typedef struct {
  guint32 rank;
  guint32 left;                 /* part index (= byte offset of its start) */
  guint32 ver_l, ver_r;
} HeapItem;

struct _SeqBpeState
{
  const SeqBpe *bpe;
  /* merge scratch, grown to the longest pre-token seen */
  guint32 *tok, *pr;
  guint32 *next, *prev, *ver;
  HeapItem *heap;
  gsize cap;
  GByteArray *fixed;            /* a pre-token with U+FFFD substituted */
  CacheEntry *cache;
  SeqGpt2Hint hint;             /* of the undecided first pre-token */
};

SeqBpeState *
seq_bpe_state_new (const SeqBpe * bpe)
{
  SeqBpeState *bs = g_new0 (SeqBpeState, 1);
  bs->bpe = bpe;
  bs->fixed = g_byte_array_new ();
  bs->cache = g_new0 (CacheEntry, CACHE_SLOTS);
  return bs;
}

void
seq_bpe_state_free (SeqBpeState * bs)
{
  if (bs == NULL)
    return;
  g_free (bs->tok);
  g_free (bs->pr);
  g_free (bs->next);
  g_free (bs->prev);
  g_free (bs->ver);
  g_free (bs->heap);
  g_free (bs->cache);
  g_byte_array_free (bs->fixed, TRUE);
  g_free (bs);
}

void
seq_bpe_state_reset (SeqBpeState * bs)
{
  memset (&bs->hint, 0, sizeof bs->hint);
}

static void
ensure_scratch (SeqBpeState * bs, gsize n)
{
  if (n <= bs->cap)
    return;
  bs->cap = MAX (n, MAX (bs->cap * 2, 256));
  bs->tok = g_renew (guint32, bs->tok, bs->cap);
  bs->pr = g_renew (guint32, bs->pr, bs->cap);
  bs->next = g_renew (guint32, bs->next, bs->cap);
  bs->prev = g_renew (guint32, bs->prev, bs->cap);
  bs->ver = g_renew (guint32, bs->ver, bs->cap);
  bs->heap = g_renew (HeapItem, bs->heap, 3 * bs->cap);
}

/* tiktoken's loop: the parts in tok[0..m), pair ranks in pr. */
static guint
merge_linear (SeqBpeState * bs, const guint8 * piece, gsize n)
{
  const SeqBpe *bpe = bs->bpe;
  guint32 *tok = bs->tok, *pr = bs->pr;
  gsize m = n;

  for (gsize i = 0; i < n; i++)
    tok[i] = bpe->byte_rank[piece[i]];
  for (gsize i = 0; i + 1 < n; i++)
    pr[i] = seq_bpe_pair_find (&bpe->pairs, tok[i], tok[i + 1]);
  pr[n - 1] = SEQ_BPE_RANK_NONE;

  for (;;) {
    guint32 best = SEQ_BPE_RANK_NONE;
    gsize bi = 0;
    for (gsize i = 0; i + 1 < m; i++) {
      if (pr[i] < best) {
        best = pr[i];
        bi = i;
      }
    }
    if (best == SEQ_BPE_RANK_NONE)
      break;
    tok[bi] = best;
    memmove (tok + bi + 1, tok + bi + 2, (m - bi - 2) * sizeof (guint32));
    memmove (pr + bi + 1, pr + bi + 2, (m - bi - 2) * sizeof (guint32));
    m--;
    pr[bi] = bi + 1 < m ? seq_bpe_pair_find (&bpe->pairs, tok[bi],
        tok[bi + 1]) : SEQ_BPE_RANK_NONE;
    if (bi > 0)
      pr[bi - 1] = seq_bpe_pair_find (&bpe->pairs, tok[bi - 1], tok[bi]);
  }
  return (guint) m;
}

static inline gboolean
heap_less (const HeapItem * a, const HeapItem * b)
{
  return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

static void
heap_push (HeapItem * h, gsize * n, HeapItem it)
{
  gsize i = (*n)++;
  while (i > 0) {
    gsize parent = (i - 1) / 2;
    if (!heap_less (&it, &h[parent]))
      break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = it;
}

static HeapItem
heap_pop (HeapItem * h, gsize * n)
{
  HeapItem top = h[0], last = h[--(*n)];
  gsize i = 0;
  for (;;) {
    gsize c = 2 * i + 1;
    if (c >= *n)
      break;
    if (c + 1 < *n && heap_less (&h[c + 1], &h[c]))
      c++;
    if (!heap_less (&h[c], &last))
      break;
    h[i] = h[c];
    i = c;
  }
  if (*n > 0)
    h[i] = last;
  return top;
}

/* The same merges with a linked list of parts and a min-heap of candidate
 * pairs ordered by (rank, position): O(n log n) for long pre-tokens. Parts
 * are identified by the byte offset where they start. A stale item (either part changed since) is skipped. Writes the final
 * parts' ranks to tok[0..m). Pushes: at most n - 1 at first and 2 per
 * merge, so the heap holds fewer than 3n items. */
static guint
merge_heap (SeqBpeState * bs, const guint8 * piece, gsize n)
{
  const SeqBpe *bpe = bs->bpe;
  guint32 *tok = bs->tok, *next = bs->next, *prev = bs->prev, *ver = bs->ver;
  HeapItem *heap = bs->heap;
  gsize hn = 0, m = 0;
  guint32 i;

  for (gsize k = 0; k < n; k++) {
    tok[k] = bpe->byte_rank[piece[k]];
    next[k] = (guint32) k + 1;
    prev[k] = k ? (guint32) k - 1 : SEQ_BPE_RANK_NONE;
    ver[k] = 0;
  }
  for (gsize k = 0; k + 1 < n; k++) {
    guint32 r = seq_bpe_pair_find (&bpe->pairs, tok[k], tok[k + 1]);
    if (r != SEQ_BPE_RANK_NONE) {
      HeapItem it = { r, (guint32) k, 0, 0 };
      heap_push (heap, &hn, it);
    }
  }
  while (hn > 0) {
    HeapItem it = heap_pop (heap, &hn);
    guint32 l = it.left, r = next[l];
    if (ver[l] != it.ver_l || r >= n || ver[r] != it.ver_r
        || ver[l] == SEQ_BPE_RANK_NONE)
      continue;
    /* merge l and r into l */
    tok[l] = it.rank;
    ver[l]++;
    ver[r] = SEQ_BPE_RANK_NONE;         /* dead */
    next[l] = next[r];
    if (next[l] < n)
      prev[next[l]] = l;
    if (prev[l] != SEQ_BPE_RANK_NONE) {
      guint32 p = prev[l];
      guint32 pr = seq_bpe_pair_find (&bpe->pairs, tok[p], tok[l]);
      if (pr != SEQ_BPE_RANK_NONE) {
        HeapItem a = { pr, p, ver[p], ver[l] };
        heap_push (heap, &hn, a);
      }
    }
    if (next[l] < n) {
      guint32 q = next[l];
      guint32 nr = seq_bpe_pair_find (&bpe->pairs, tok[l], tok[q]);
      if (nr != SEQ_BPE_RANK_NONE) {
        HeapItem a = { nr, l, ver[l], ver[q] };
        heap_push (heap, &hn, a);
      }
    }
  }
  /* gather */
  for (i = 0; i < n; i = next[i])
    tok[m++] = tok[i];
  return (guint) m;
}

/* Encodes one pre-token (valid UTF-8 or any bytes) and appends its ids. */
static void
encode_piece (SeqBpeState * bs, const guint8 * piece, gsize n, guint64 off,
    GArray * ids, GArray * offsets, gboolean use_cache)
{
  const SeqBpe *bpe = bs->bpe;
  CacheEntry *ce = NULL;
  guint32 h = 0;
  guint m;
  gint whole;

  if (n == 0)
    return;
  if (use_cache && n <= CACHE_KEY_MAX) {
    h = seq_fnv1a32 (SEQ_FNV32_OFFSET, piece, n) | 1;     /* 0: empty */
    ce = &bs->cache[(h >> 7) & (CACHE_SLOTS - 1)];
    if (ce->hash == h && ce->key_len == n && memcmp (ce->key, piece, n) == 0) {
      g_array_append_vals (ids, ce->ids, ce->n_ids);
      if (offsets)
        for (guint i = 0; i < ce->n_ids; i++)
          g_array_append_val (offsets, off);
      return;
    }
  }

  whole = bpe->whole_first || n == 1 ?
      seq_str_table_find (&bpe->ranks, piece, n) : -1;
  if (whole >= 0) {
    ensure_scratch (bs, 1);
    bs->tok[0] = (guint32) bpe->ranks.value[whole];
    m = 1;
  } else {
    ensure_scratch (bs, n);
    m = n <= LINEAR_MAX ? merge_linear (bs, piece, n) :
        merge_heap (bs, piece, n);
  }

  for (guint i = 0; i < m; i++) {
    gint32 id = bpe->rank_id[bs->tok[i]];
    g_array_append_val (ids, id);
    if (offsets)
      g_array_append_val (offsets, off);
  }
  if (ce != NULL && m <= CACHE_IDS_MAX) {
    ce->hash = h;
    ce->key_len = (guint8) n;
    memcpy (ce->key, piece, n);
    ce->n_ids = (guint8) m;
    for (guint i = 0; i < m; i++)
      ce->ids[i] = bpe->rank_id[bs->tok[i]];
  }
}

void
seq_bpe_encode_piece (SeqBpeState * bs, const guint8 * piece, gsize n,
    guint method, GArray * ids)
{
  guint m;

  if (method == 0 || n == 0) {
    encode_piece (bs, piece, n, 0, ids, NULL, FALSE);
    return;
  }
  ensure_scratch (bs, n);
  m = method == 1 ? merge_linear (bs, piece, n) : merge_heap (bs, piece, n);
  for (guint i = 0; i < m; i++) {
    gint32 id = bs->bpe->rank_id[bs->tok[i]];
    g_array_append_val (ids, id);
  }
}

gsize
seq_bpe_state_scan (SeqBpeState * bs, const guint8 * data, gsize n,
    guint64 off, gboolean at_end, GArray * ids, GArray * offsets)
{
  gsize pos = 0;

  seq_gpt2_init ();
  while (pos < n) {
    gsize end = seq_gpt2_pretoken_end (&bs->hint, data, n, pos, at_end);
    const guint8 *piece = data + pos;
    gsize len;

    if (end == 0)
      break;
    len = end - pos;
    if (!g_utf8_validate_len ((const gchar *) piece, len, NULL)) {
      /* substitute U+FFFD for each maximal ill-formed subpart */
      gsize i = 0;
      g_byte_array_set_size (bs->fixed, 0);
      while (i < len) {
        gunichar c;
        gboolean valid;
        gsize l = seq_utf8_next (piece + i, len - i, TRUE, &c, &valid);
        if (valid)
          g_byte_array_append (bs->fixed, piece + i, l);
        else
          g_byte_array_append (bs->fixed, (const guint8 *) "\xef\xbf\xbd", 3);
        i += l;
      }
      encode_piece (bs, bs->fixed->data, bs->fixed->len, off + pos, ids,
          offsets, TRUE);
    } else {
      encode_piece (bs, piece, len, off + pos, ids, offsets, TRUE);
    }
    pos = end;
    memset (&bs->hint, 0, sizeof bs->hint);
  }
  return pos;
}

/* ------------------------------------------------------------------------ */
/* the tokenizer mode "bpe": the raw bytes of the undecided pre-token(s) are
 * held until the scanner decides them */

typedef struct {
  GByteArray *held;             /* from stream offset fed - held->len */
  SeqBpeState *bs;
} BpeMode;

static gpointer
bpe_load_model (const SeqTokenizerParams * params, GError ** error)
{
  if (params->vocab == NULL || params->vocab[0] == '\0') {
    g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_CONFIG,
        "mode bpe needs a vocabulary (encoder.json with vocab.bpe as "
        "merges, or a tokenizer.json)");
    return NULL;
  }
  return seq_bpe_load (params->vocab, params->merges, error);
}

static void
bpe_free_model (gpointer model)
{
  seq_bpe_free (model);
}

static guint
bpe_vocab_size (gconstpointer model)
{
  return seq_bpe_vocab_size (model);
}

static const gchar *
bpe_id_to_token (gconstpointer model, gint32 id)
{
  return seq_bpe_id_to_token (model, id);
}

static gpointer
bpe_mode_state_new (gconstpointer model)
{
  BpeMode *m = g_new0 (BpeMode, 1);
  m->held = g_byte_array_sized_new (256);
  m->bs = seq_bpe_state_new (model);
  return m;
}

static void
bpe_mode_state_free (gpointer ms)
{
  BpeMode *m = ms;
  seq_bpe_state_free (m->bs);
  g_byte_array_free (m->held, TRUE);
  g_free (m);
}

static void
bpe_mode_state_reset (gpointer ms)
{
  BpeMode *m = ms;
  g_byte_array_set_size (m->held, 0);
  seq_bpe_state_reset (m->bs);
}

static void
bpe_feed (gpointer ms, const guint8 * data, gsize len, guint64 off,
    GArray * ids, GArray * offsets)
{
  BpeMode *m = ms;
  gsize used;

  g_byte_array_append (m->held, data, len);
  used = seq_bpe_state_scan (m->bs, m->held->data, m->held->len,
      off + len - m->held->len, FALSE, ids, offsets);
  if (used > 0)
    g_byte_array_remove_range (m->held, 0, used);
}

static void
bpe_finish (gpointer ms, guint64 end, GArray * ids, GArray * offsets)
{
  BpeMode *m = ms;

  if (m->held->len > 0)
    seq_bpe_state_scan (m->bs, m->held->data, m->held->len,
        end - m->held->len, TRUE, ids, offsets);
}

static guint64
bpe_offset (gconstpointer ms, guint64 fed)
{
  const BpeMode *m = ms;
  return fed - m->held->len;
}

static void
bpe_save_pending (gconstpointer ms, SeqTokenizerPending * pending)
{
  const BpeMode *m = ms;
  pending->held = m->held->data;
  pending->n_held = m->held->len;
}

static gboolean
bpe_restore (gpointer ms, const SeqTokenizerPending * pending,
    const guint8 * p, gsize n, guint64 fed, GError ** error)
{
  BpeMode *m = ms;

  if (pending->n_carry != 0 || n != 0 || pending->n_held > G_MAXUINT)
    return seq_tokenizer_state_malformed (error);
  g_byte_array_set_size (m->held, 0);
  g_byte_array_append (m->held, pending->held, (guint) pending->n_held);
  seq_bpe_state_reset (m->bs);
  return TRUE;
}

const SeqTokenizerModeClass seq_tokenizer_mode_bpe = {
  .load_model = bpe_load_model,
  .free_model = bpe_free_model,
  .vocab_size = bpe_vocab_size,
  .id_to_token = bpe_id_to_token,
  .state_new = bpe_mode_state_new,
  .state_free = bpe_mode_state_free,
  .state_reset = bpe_mode_state_reset,
  .feed = bpe_feed,
  .finish = bpe_finish,
  .offset = bpe_offset,
  .save_pending = bpe_save_pending,
  .save = NULL,
  .restore = bpe_restore,
};
