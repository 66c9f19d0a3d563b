/* seqenc — GPT-2 byte-level BPE (placeholder until the mode lands). */
#include "tokenizer-private.h"

SeqBpe *
seq_bpe_load (const gchar * encoder_path, const gchar * merges_path,
    GError ** error)
{
  g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_CONFIG,
      "mode bpe is not implemented yet");
  return NULL;
}

void seq_bpe_free (SeqBpe * bpe) { }
guint seq_bpe_vocab_size (const SeqBpe * bpe) { return 0; }
const gchar *seq_bpe_id_to_token (const SeqBpe * bpe, gint32 id) { return NULL; }
SeqBpeState *seq_bpe_state_new (const SeqBpe * bpe) { return NULL; }
void seq_bpe_state_free (SeqBpeState * bs) { }
void seq_bpe_state_reset (SeqBpeState * bs) { }
gsize seq_bpe_state_scan (SeqBpeState * bs, const guint8 * data, gsize n, guint64 off, gboolean at_end, GArray * ids, GArray * offsets) { return 0; }
