/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer harness: the fbank state blob loader (seq_fbank_state_restore).
 *
 * Input: byte 0 selector (bit 0: start from a genuine blob saved after
 * feeding some samples and XOR the input into it, instead of taking the
 * input as the blob; bit 1: recompute the trailing FNV-1a checksum so that
 * mutations get past it; bit 2: a filterbank with overlapping stacks, stack 3
 * and stack hop 1, whose blob has the overlap section), bytes 1-2 how many samples to feed before saving,
 * then the blob bytes (or the XOR mask). A restore either fails with
 * SEQ_FBANK_ERROR_STATE or succeeds, after which feeding and flushing must
 * work. Never a crash. */
#include <seqenc/fbank.h>

#include <stdint.h>
#include <string.h>

static void
quiet_log (const gchar * domain, GLogLevelFlags level, const gchar * msg,
    gpointer data)
{
}

static guint32
fnv32 (const guint8 * p, gsize n)
{
  guint32 h = 0x811c9dc5u;
  for (gsize i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x01000193u;
  }
  return h;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static SeqFbank *fbs[2] = { NULL, NULL };
  static float *out = NULL;
  SeqFbank *fb;
  static gint16 samples[4096];
  GBytes *blob;
  guint8 *b;
  gsize n;
  GError *err = NULL;
  guint8 sel;
  guint n_feed;

  if (fbs[0] == NULL) {
    SeqFbankParams p = seq_fbank_params_default ();
    g_log_set_default_handler (quiet_log, NULL);
    p.num_mel_bins = 10;
    p.dither = 1.0;             /* the generator state is part of the blob */
    fbs[0] = seq_fbank_new (&p, NULL);
    p.stack = 3;
    p.stack_hop = 1;
    fbs[1] = seq_fbank_new (&p, NULL);
    if (fbs[0] == NULL || fbs[1] == NULL)
      __builtin_trap ();
    out = g_new (float, 64 * seq_fbank_dim (fbs[1]));
    for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
      samples[i] = (gint16) ((i * 7919u) % 2001u) - 1000;
  }
  if (size < 3)
    return 0;
  sel = data[0];
  fb = fbs[(sel >> 2) & 1];
  n_feed = (data[1] | (data[2] << 8)) % G_N_ELEMENTS (samples);
  data += 3;
  size -= 3;

  seq_fbank_reset (fb);
  if (sel & 1) {
    GBytes *saved;
    const guint8 *sp;
    gsize sn;
    seq_fbank_feed_s16 (fb, samples, MIN (n_feed, 640u), out, 64);
    saved = seq_fbank_state_save (fb);
    sp = g_bytes_get_data (saved, &sn);
    n = sn;
    b = g_malloc (MAX (n, 1));
    memcpy (b, sp, n);
    for (gsize i = 0; i < n && i < size; i++)
      b[i] ^= data[i];
    g_bytes_unref (saved);
    seq_fbank_reset (fb);
  } else {
    n = size;
    b = g_malloc (MAX (n, 1));
    memcpy (b, data, n);
  }
  if ((sel & 2) && n >= 4) {
    guint32 h = fnv32 (b, n - 4);
    for (int i = 0; i < 4; i++)
      b[n - 4 + i] = (guint8) (h >> (8 * i));
  }
  blob = g_bytes_new_take (b, n);
  if (seq_fbank_state_restore (fb, blob, &err)) {
    gsize got;
    if (err != NULL)
      __builtin_trap ();
    got = seq_fbank_feed_s16 (fb, samples, 400, out, 64);
    (void) got;
    while (seq_fbank_finish_pending (fb) > 64)
      __builtin_trap ();        /* a restored state cannot hold more */
    seq_fbank_finish (fb, out, 64);
  } else {
    if (err == NULL || !g_error_matches (err, SEQ_FBANK_ERROR,
            SEQ_FBANK_ERROR_STATE))
      __builtin_trap ();
    g_error_free (err);
  }
  g_bytes_unref (blob);
  return 0;
}
