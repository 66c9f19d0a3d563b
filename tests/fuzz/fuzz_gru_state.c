/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer harness: the GRU state blob loader (seq_gru_state_restore) on
 * arbitrary bytes.
 *
 * Input: byte 0 is a selector, the rest the blob.
 *   bit 0: model without biases (L=2 I=3 H=5) instead of with them
 *   bit 1: write this model's sizes, precision and fingerprint into the
 *          blob's header (so mutations reach the payload and CRC checks)
 *   bit 2: recompute the trailing CRC-32 (so mutations get past it)
 * A restore either fails with SEQ_GRU_ERROR_STATE or succeeds; a forward
 * step then runs on the restored state, whatever values it holds (NaN/Inf
 * included). Never a crash. */
#include <seqenc/gru.h>

#include <stdint.h>
#include <string.h>

static void
quiet_log (const gchar * domain, GLogLevelFlags level, const gchar * msg,
    gpointer data)
{
}

static guint32
crc32_ieee (const guint8 * p, gsize n)
{
  guint32 crc = 0xffffffffu;
  for (gsize i = 0; i < n; i++) {
    crc ^= p[i];
    for (int b = 0; b < 8; b++)
      crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

static void
put_u32 (guint8 * p, guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static void
put_u64 (guint8 * p, guint64 v)
{
  for (int i = 0; i < 8; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static SeqGruModel *models[2];
static SeqGruState *states[2];
static SeqGruWorkspace *workspaces[2];

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static gboolean init = FALSE;
  guint8 sel, *blob;
  GBytes *bytes;
  GError *err = NULL;
  SeqGruModel *m;
  SeqGruState *st;

  if (!init) {
    SeqGruRandomParams p = seq_gru_random_params_default ();
    g_log_set_default_handler (quiet_log, NULL);
    p.num_layers = 2;
    p.input_size = 3;
    p.hidden_size = 5;
    for (int k = 0; k < 2; k++) {
      p.bias = k == 0;
      p.seed = 7 + k;
      models[k] = seq_gru_model_new_random (&p, NULL, NULL);
      if (models[k] == NULL)
        __builtin_trap ();
      states[k] = seq_gru_state_new (models[k]);
      workspaces[k] = seq_gru_workspace_new (models[k], 1, 4, 1);
    }
    init = TRUE;
  }
  if (size < 1)
    return 0;
  sel = data[0];
  data++;
  size--;
  m = models[sel & 1];
  st = states[sel & 1];

  blob = g_memdup2 (data, size);
  if ((sel & 2) && size >= 48) {
    put_u32 (blob + 16, seq_gru_model_num_layers (m));
    put_u32 (blob + 20, seq_gru_model_input_size (m));
    put_u32 (blob + 24, seq_gru_model_hidden_size (m));
    put_u32 (blob + 28, seq_gru_model_get_weights_precision (m));
    put_u64 (blob + 32, seq_gru_model_get_fingerprint (m));
  }
  if ((sel & 4) && size >= 4)
    put_u32 (blob + size - 4, crc32_ieee (blob, size - 4));
  bytes = g_bytes_new_take (blob, size);

  seq_gru_state_reset (st);
  if (seq_gru_state_restore (st, bytes, &err)) {
    float x[3] = { 0.5f, -1.0f, 2.0f }, y[2 * 5];
    SeqGruState *one[1] = { st };
    GBytes *again;
    if (err != NULL)
      __builtin_trap ();
    seq_gru_forward (m, one, 1, x, 1, y, SEQ_RECURRENT_OUTPUT_ALL_LAYERS,
        workspaces[sel & 1]);
    /* a restored state saves again without trouble */
    again = seq_gru_state_save (st);
    g_bytes_unref (again);
  } else {
    if (err == NULL || err->domain != SEQ_GRU_ERROR)
      __builtin_trap ();
    g_error_free (err);
  }
  g_bytes_unref (bytes);
  return 0;
}
