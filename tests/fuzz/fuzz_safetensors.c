/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer harness: the safetensors reader on arbitrary bytes.
 *
 * Every input must give either a valid SeqWeights whose tensors can all be
 * read (the data pointers stay inside the input) or a GError; never a crash,
 * a leak or undefined behaviour. */
#include <seqenc/weights.h>

#include <stdint.h>
#include <string.h>

static void
quiet_log (const gchar * domain, GLogLevelFlags level, const gchar * msg,
    gpointer data)
{
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static gboolean init = FALSE;
  GBytes *bytes;
  SeqWeights *w;
  GError *err = NULL;

  if (!init) {
    g_log_set_default_handler (quiet_log, NULL);
    init = TRUE;
  }
  /* a private copy so that ASan sees reads past the end of the input */
  bytes = g_bytes_new (data, size);
  w = seq_weights_new_from_bytes (bytes, &err);
  g_bytes_unref (bytes);
  if (w == NULL) {
    if (err == NULL || err->domain != SEQ_WEIGHTS_ERROR || err->message == NULL)
      __builtin_trap ();        /* failure without a proper GError */
    g_error_free (err);
    return 0;
  }
  if (err != NULL)
    __builtin_trap ();
  for (guint i = 0; i < seq_weights_n_tensors (w); i++) {
    const SeqTensorInfo *t = seq_weights_get (w, i);
    const gint64 any[SEQ_WEIGHTS_MAX_RANK] = { -1, -1, -1, -1, -1, -1, -1, -1 };
    float *dst;

    if (seq_weights_find (w, t->name) != t)
      __builtin_trap ();
    if (seq_weights_require (w, t->name, t->rank, any, NULL) != t)
      __builtin_trap ();
    if (t->n_elements > (1u << 20))
      continue;
    dst = g_new (float, t->n_elements ? t->n_elements : 1);
    if (seq_tensor_to_f32 (t, dst, t->n_elements, &err)) {
      /* touch every converted value */
      volatile float sink = 0;
      for (gsize k = 0; k < t->n_elements; k++)
        sink += dst[k];
      (void) sink;
    } else {
      g_clear_error (&err);
    }
    g_free (dst);
  }
  (void) seq_weights_get_metadata (w, "format");
  seq_weights_unref (w);
  return 0;
}
