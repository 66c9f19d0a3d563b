/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer harness: the CTC decoder state blob loader
 * (seq_ctc_state_restore).
 *
 * Input: byte 0 selector (bit 0: start from a genuine blob saved after
 * decoding some frames and XOR the input into it, instead of taking the
 * input as the blob; bit 1: recompute the trailing CRC-32 so that mutations
 * get past it; bit 2: finish before saving), byte 1 how many frames to decode
 * before saving, then the blob bytes (or the XOR mask). A restore either
 * fails with SEQ_CTC_ERROR_STATE and leaves the state alone, or succeeds,
 * after which decoding and finishing must give sane tokens (labels in range
 * and not the blank, start <= end < frames fed). Never a crash. */
#include <seqenc/ctc.h>

#include <stdint.h>
#include <string.h>

#define K 5
#define BLANK 1
#define FRAMES 64

/* CRC-32 (zlib's), as the blob's trailer */
static guint32
crc32_ieee (const guint8 * p, gsize n)
{
  guint32 crc = 0xffffffffu;
  for (gsize i = 0; i < n; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

static void
check_token (const SeqCtc * ctc, const SeqCtcToken * t)
{
  if (t->label >= K || t->label == BLANK || t->start > t->end
      || t->end >= seq_ctc_get_frames (ctc))
    __builtin_trap ();
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static SeqCtc *ctc = NULL;
  static float frames[FRAMES * K];
  SeqCtcToken tokens[FRAMES], last;
  GBytes *blob, *before, *after;
  guint8 *b;
  gsize n, got;
  GError *err = NULL;
  guint8 sel;
  guint n_feed;

  if (ctc == NULL) {
    SeqCtcParams p = seq_ctc_params_default ();
    p.n_labels = K;
    p.blank = BLANK;
    ctc = seq_ctc_new (&p, NULL);
    if (ctc == NULL)
      __builtin_trap ();
    /* runs of labels and blanks */
    for (guint t = 0; t < FRAMES; t++)
      for (guint k = 0; k < K; k++)
        frames[t * K + k] = k == (t / 3) % K ? -0.05f : -3.0f - (float) k;
  }
  if (size < 2)
    return 0;
  sel = data[0];
  n_feed = data[1] % FRAMES;
  data += 2;
  size -= 2;

  seq_ctc_reset (ctc);
  if (sel & 1) {
    GBytes *saved;
    const guint8 *sp;
    gsize sn;
    if (!seq_ctc_feed (ctc, frames, n_feed, tokens, &got, NULL))
      __builtin_trap ();
    if (sel & 4)
      seq_ctc_finish (ctc, &last);
    saved = seq_ctc_state_save (ctc);
    sp = g_bytes_get_data (saved, &sn);
    n = sn;
    b = g_malloc (MAX (n, 1));
    memcpy (b, sp, n);
    for (gsize i = 0; i < n && i < size; i++)
      b[i] ^= data[i];
    g_bytes_unref (saved);
    seq_ctc_reset (ctc);
  } else {
    n = size;
    b = g_malloc (MAX (n, 1));
    memcpy (b, data, n);
  }
  if ((sel & 2) && n >= 4) {
    guint32 crc = GUINT32_TO_LE (crc32_ieee (b, n - 4));
    memcpy (b + n - 4, &crc, 4);
  }
  blob = g_bytes_new_take (b, n);
  before = seq_ctc_state_save (ctc);
  if (seq_ctc_state_restore (ctc, blob, &err)) {
    if (err != NULL)
      __builtin_trap ();
    if (!seq_ctc_feed (ctc, frames, FRAMES, tokens, &got, NULL)
        || got > FRAMES)
      __builtin_trap ();
    for (gsize i = 0; i < got; i++)
      check_token (ctc, &tokens[i]);
    if (seq_ctc_finish (ctc, &last))
      check_token (ctc, &last);
  } else {
    if (err == NULL || !g_error_matches (err, SEQ_CTC_ERROR,
            SEQ_CTC_ERROR_STATE))
      __builtin_trap ();
    g_error_free (err);
    after = seq_ctc_state_save (ctc);
    if (!g_bytes_equal (before, after))
      __builtin_trap ();        /* a refused blob changed the state */
    g_bytes_unref (after);
  }
  g_bytes_unref (before);
  g_bytes_unref (blob);
  return 0;
}
