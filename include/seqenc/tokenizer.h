/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — streaming tokenizers: UTF-8 text -> token ids.
 *
 * Thread safety: a SeqTokenizer (mode + vocabulary) is immutable after
 * creation and may be shared (by reference) between any number of threads. A
 * SeqTokenizerState holds one stream's undecided input and belongs to one
 * thread at a time.
 *
 * Streaming: feed any bytes in any pieces; every call appends the ids of the
 * tokens that are complete, i.e. that no further input could change. Only the
 * undecided tail is held back: an incomplete UTF-8 sequence, the current word
 * (wordpiece) or pre-token (bpe), a whitespace run whose split depends on the
 * next character. seq_tokenizer_state_finish() ends the stream and emits what
 * is held. The ids never depend on how the text was split into calls.
 *
 * Modes:
 *   bytes      one id per byte, 0..255. Nothing is ever held.
 *   chars      one id per Unicode code point (the code point itself).
 *   wordpiece  BERT: BertNormalizer (drop NUL, U+FFFD and control characters,
 *              whitespace to ' ', spaces around CJK ideographs, and with
 *              lowercase: NFD, drop nonspacing marks, lowercase), split on
 *              whitespace and punctuation, then greedy longest-match-first
 *              WordPiece with "##" continuations; words over 100 characters
 *              and words with an unmatchable rest become [UNK]. Matches
 *              Hugging Face tokenizers' BertWordPiece / BertTokenizer.
 *   bpe        GPT-2 byte-level BPE: the GPT-2 pre-tokenization pattern
 *              's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *              then lowest-rank-first merges over the bytes of each
 *              pre-token, a pre-token that is itself a token being taken
 *              whole. Matches tiktoken's "gpt2" encoding (no special tokens).
 *              From a Hugging Face tokenizer.json (ByteLevel BPE) instead,
 *              only the listed merges apply, as in tokenizers (the same ids
 *              for GPT-2).
 *
 * Invalid UTF-8 (all modes but bytes): each maximal ill-formed subsequence
 * (Unicode ch. 3 "U+FFFD substitution of maximal subparts", as WHATWG and
 * Python's errors="replace" do) stands for one U+FFFD. So chars gives id
 * 0xFFFD, bpe encodes the bytes EF BF BD, wordpiece drops it (BERT's cleaning
 * removes U+FFFD). NUL bytes are ordinary characters (U+0000; wordpiece drops
 * them). Neither ever fails.
 *
 * Unicode properties come from GLib (g_unichar_type,
 * g_unichar_fully_decompose, g_unichar_tolower; Unicode 15 in GLib 2.74):
 * \p{L} = L*, \p{N} = N*, \s = White_Space (Z* plus U+0009..U+000D and
 * U+0085), punctuation = P* plus ASCII punctuation, control (wordpiece) = Cc,
 * Cf, Co, Cs except \t \n \r (unassigned code points are kept, as Hugging
 * Face does). bpe matches tiktoken on every code point; wordpiece differs
 * from Hugging Face tokenizers on the 824 code points assigned or
 * recategorized after Unicode 8, whose old tables tokenizers still uses.
 *
 * Memory: what is held is one pre-token or word; a stream that never ends a
 * word (megabytes without a separator) is held until it does, as the
 * reference would need the whole of it too. bpe merges run in O(n log n) on
 * long pre-tokens; wordpiece keeps only the length of a word once it is
 * longer than 100 characters (it can only be [UNK]).
 */
#pragma once

#include <glib.h>
#include <seqenc/export.h>

G_BEGIN_DECLS

#define SEQ_TOKENIZER_ERROR (seq_tokenizer_error_quark ())
SEQ_API GQuark seq_tokenizer_error_quark (void);

typedef enum {
  SEQ_TOKENIZER_ERROR_IO,       /* a vocabulary file could not be read */
  SEQ_TOKENIZER_ERROR_VOCAB,    /* malformed vocab.txt / encoder.json / vocab.bpe */
  SEQ_TOKENIZER_ERROR_CONFIG,   /* missing files for the mode, bad parameters */
  SEQ_TOKENIZER_ERROR_STATE,    /* a saved state that does not fit */
} SeqTokenizerError;

typedef enum {
  SEQ_TOKENIZER_MODE_BYTES,
  SEQ_TOKENIZER_MODE_CHARS,
  SEQ_TOKENIZER_MODE_WORDPIECE,
  SEQ_TOKENIZER_MODE_BPE,
} SeqTokenizerMode;

typedef struct {
  SeqTokenizerMode mode;        /* default SEQ_TOKENIZER_MODE_BYTES */
  const gchar *vocab;           /* wordpiece: vocab.txt; bpe: encoder.json, or a
                                 * Hugging Face tokenizer.json when merges is
                                 * NULL; default NULL */
  const gchar *merges;          /* bpe: vocab.bpe; default NULL */
  gboolean lowercase;           /* wordpiece: lowercase + strip accents; default TRUE */
  const gchar *unk_token;       /* wordpiece: default "[UNK]" */
  guint max_word_chars;         /* wordpiece: longer words are [UNK]; default 100,
                                 * at most 65536 */
} SeqTokenizerParams;

typedef struct _SeqTokenizer SeqTokenizer;
typedef struct _SeqTokenizerState SeqTokenizerState;

SEQ_API SeqTokenizerParams seq_tokenizer_params_default (void);
/* Loads the vocabulary files of the mode. NULL and @error on failure. */
SEQ_API SeqTokenizer *seq_tokenizer_new (const SeqTokenizerParams * params,
    GError ** error);
SEQ_API SeqTokenizer *seq_tokenizer_ref (SeqTokenizer * tok);
SEQ_API void seq_tokenizer_unref (SeqTokenizer * tok);

SEQ_API SeqTokenizerMode seq_tokenizer_get_mode (const SeqTokenizer * tok);
/* Number of possible ids: 256 (bytes), 0x110000 (chars), the vocabulary
 * size otherwise (largest id + 1). */
SEQ_API guint seq_tokenizer_vocab_size (const SeqTokenizer * tok);
/* The token string of @id as stored in the vocabulary file (bpe: the
 * byte-level string of encoder.json), or NULL (bytes, chars, unknown id). */
SEQ_API const gchar *seq_tokenizer_id_to_token (const SeqTokenizer * tok, gint32 id);
/* "bytes", "chars", "wordpiece", "bpe"; parse returns FALSE when unknown. */
SEQ_API const gchar *seq_tokenizer_mode_name (SeqTokenizerMode mode);
SEQ_API gboolean seq_tokenizer_mode_parse (const gchar * name,
    SeqTokenizerMode * mode);

SEQ_API SeqTokenizerState *seq_tokenizer_state_new (SeqTokenizer * tok);
SEQ_API void seq_tokenizer_state_free (SeqTokenizerState * st);
/* Forgets what is held; the stream restarts at offset 0. */
SEQ_API void seq_tokenizer_state_reset (SeqTokenizerState * st);

/* Feeds @len bytes. Appends the ids (gint32) of every token now complete to
 * @ids and, when @offsets is not NULL, for each id the stream offset (guint64,
 * bytes fed since the start or the last reset) of the first input byte of the
 * word or pre-token it came from. Returns the number of ids appended. */
SEQ_API gsize seq_tokenizer_state_feed (SeqTokenizerState * st, const guint8 * data,
    gsize len, GArray * ids, GArray * offsets);
/* End of stream: appends the ids of everything held, then resets. */
SEQ_API gsize seq_tokenizer_state_finish (SeqTokenizerState * st, GArray * ids,
    GArray * offsets);
/* Bytes fed and not yet covered by an emitted token. */
SEQ_API gsize seq_tokenizer_state_held (const SeqTokenizerState * st);
/* Stream offset of the first held byte (= bytes fed when nothing is held). */
SEQ_API guint64 seq_tokenizer_state_offset (const SeqTokenizerState * st);

/* Save / restore one stream's state as a small blob: the stream offset and
 * what is held (raw bytes; for wordpiece the normalized current word). A
 * state restored and fed the rest of the text gives exactly the ids of an
 * uninterrupted run. Restore refuses with SEQ_TOKENIZER_ERROR_STATE, leaving
 * @st unchanged, a malformed blob or one of another mode (or, for
 * wordpiece, another lowercase / max_word_chars setting). */
SEQ_API GBytes *seq_tokenizer_state_save (const SeqTokenizerState * st);
SEQ_API gboolean seq_tokenizer_state_restore (SeqTokenizerState * st, GBytes * blob,
    GError ** error);

/* One-shot convenience: the ids of a whole text (feed + finish) into @ids. */
SEQ_API gsize seq_tokenizer_encode (SeqTokenizer * tok, const guint8 * data,
    gsize len, GArray * ids);

G_END_DECLS
