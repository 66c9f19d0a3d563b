/* seqenc — BERT WordPiece (placeholder until the mode lands). */
#include "tokenizer-private.h"

SeqWordPiece *
seq_wordpiece_load (const gchar * vocab_path, const gchar * unk_token,
    gboolean lowercase, guint max_word_chars, GError ** error)
{
  g_set_error (error, SEQ_TOKENIZER_ERROR, SEQ_TOKENIZER_ERROR_CONFIG,
      "mode wordpiece is not implemented yet");
  return NULL;
}

void seq_wordpiece_free (SeqWordPiece * wp) { }
guint seq_wordpiece_vocab_size (const SeqWordPiece * wp) { return 0; }
const gchar *seq_wordpiece_id_to_token (const SeqWordPiece * wp, gint32 id) { return NULL; }
SeqWordPieceState *seq_wordpiece_state_new (const SeqWordPiece * wp) { return NULL; }
void seq_wordpiece_state_free (SeqWordPieceState * ws) { }
void seq_wordpiece_state_reset (SeqWordPieceState * ws) { }
void seq_wordpiece_state_push (SeqWordPieceState * ws, gunichar c, guint64 off, GArray * ids, GArray * offsets) { }
void seq_wordpiece_state_flush (SeqWordPieceState * ws, GArray * ids, GArray * offsets) { }
gint64 seq_wordpiece_state_word_offset (const SeqWordPieceState * ws) { return -1; }
