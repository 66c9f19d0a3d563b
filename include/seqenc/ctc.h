/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — streaming greedy CTC decoding.
 *
 * Thread safety: a SeqCtc holds one stream's decoding state; one thread at a
 * time. Parameters are fixed at creation. The label loaders are reentrant.
 *
 * Greedy (best-path) CTC, as torchaudio's and most CTC recipes' greedy
 * decoder: per frame t the label a_t = argmax_k x[t][k] (the lowest k among
 * equal maxima, as torch.argmax); runs of the same label collapse into one
 * token; blank runs are dropped. So "a a - a b b" (with - the blank) gives the
 * tokens a, a, b. Streaming: a token is final, and returned, as soon as a
 * frame with another label (or the blank) follows it; seq_ctc_finish()
 * returns the token still open at the end of the input.
 *
 * Each token carries its label id, the index of the frame where it first
 * won (start), the index of the last frame it won (end, inclusive) and its
 * mean posterior: the mean over frames start..end of its probability,
 * exp(x[t][label]) for log-probabilities or x[t][label] for probabilities,
 * summed in double in frame order (so independent of how the frames are
 * split into calls). Frame indices count from 0 at creation or the last
 * seq_ctc_reset().
 *
 * Input: frames [T][K] of f32 log-probabilities (any log-softmax output;
 * -inf is log 0 and allowed) or probabilities (taken as they are). A NaN, a
 * +inf, or a -inf in probability input is an error (SEQ_CTC_ERROR_INPUT)
 * that names the frame and class; the call then consumes nothing and the
 * state is unchanged.
 */
#pragma once

#include <glib.h>
#include <seqenc/export.h>
#include <seqenc/weights.h>

G_BEGIN_DECLS

#define SEQ_CTC_ERROR (seq_ctc_error_quark ())
SEQ_API GQuark seq_ctc_error_quark (void);

typedef enum {
  SEQ_CTC_ERROR_CONFIG,         /* invalid parameters */
  SEQ_CTC_ERROR_INPUT,          /* non-finite posteriors */
  SEQ_CTC_ERROR_STATE,          /* state blob does not fit */
  SEQ_CTC_ERROR_LABELS,         /* labels file or metadata unusable */
} SeqCtcError;

typedef enum {
  SEQ_CTC_INPUT_LOG_PROBS,      /* log-probabilities (log-softmax output) */
  SEQ_CTC_INPUT_PROBS,          /* probabilities (softmax output) */
} SeqCtcInput;

typedef struct {
  guint n_labels;               /* K, values per frame, blank included; no
                                 * default (must be > 0) */
  guint blank;                  /* id of the blank, < n_labels; default 0 */
  SeqCtcInput input;            /* default SEQ_CTC_INPUT_LOG_PROBS */
} SeqCtcParams;

/* One decoded token. */
typedef struct {
  guint label;                  /* class id, never the blank */
  guint64 start;                /* frame index where it first won */
  guint64 end;                  /* index of the last frame it won (>= start) */
  float mean_posterior;         /* mean probability over start..end, [0, 1]
                                 * for normalized input */
} SeqCtcToken;

typedef struct _SeqCtc SeqCtc;

/* Largest n_labels accepted. */
#define SEQ_CTC_MAX_LABELS (1u << 24)

SEQ_API SeqCtcParams seq_ctc_params_default (void);
/* FALSE and SEQ_CTC_ERROR_CONFIG when n_labels is 0 or above
 * SEQ_CTC_MAX_LABELS, the blank is not a label id, or the input kind is
 * unknown. seq_ctc_new runs it. */
SEQ_API gboolean seq_ctc_params_validate (const SeqCtcParams * params,
    GError ** error);
SEQ_API SeqCtc *seq_ctc_new (const SeqCtcParams * params, GError ** error);
SEQ_API void seq_ctc_free (SeqCtc * ctc);
SEQ_API const SeqCtcParams *seq_ctc_get_params (const SeqCtc * ctc);

/* Back to frame 0 with no open token. */
SEQ_API void seq_ctc_reset (SeqCtc * ctc);
/* Frames fed since creation or the last reset (the index of the next). */
SEQ_API guint64 seq_ctc_get_frames (const SeqCtc * ctc);
/* The token still open (the label of the last frame, not yet returned), if
 * any: its start and the mean posterior so far, end = last frame. */
SEQ_API gboolean seq_ctc_get_pending (const SeqCtc * ctc, SeqCtcToken * token);

/* Decodes @n_frames frames @frames [n_frames][n_labels]. The tokens that
 * become final are written to @tokens, which must have room for @n_frames
 * tokens (each frame ends at most one), and counted in *@n_tokens. FALSE
 * with @error on non-finite input (nothing consumed, *@n_tokens = 0).
 * Allocates nothing. */
SEQ_API gboolean seq_ctc_feed (SeqCtc * ctc, const float *frames, gsize n_frames,
    SeqCtcToken * tokens, gsize * n_tokens, GError ** error);

/* End of input: returns the open token in @token (TRUE) or FALSE when there
 * is none. Unlike the other components' finish, it does not reset: the
 * state keeps its frame count and the last label, with the token marked as
 * returned, so that a state saved after finish (at EOS) resumes the same
 * stream without returning that token twice (more frames of its label
 * extend no new token). seq_ctc_reset() starts a new stream. */
SEQ_API gboolean seq_ctc_finish (SeqCtc * ctc, SeqCtcToken * token);

/* State blob, little-endian:
 *   0   4  magic "SQCT"        4   4  version (1)
 *   8   4  n_labels           12   4  blank
 *  16   4  input              20   4  label of the last frame
 *                                      (0xffffffff: no frame yet)
 *  24   8  frames fed (index of the next frame)
 *  32   8  start of the open token (0 when none)
 *  40   8  posterior sum of the open token (IEEE double)
 *  48   4  open token already returned by finish (0 / 1)
 *  52   4  reserved (0)       56   4  CRC-32 of bytes 0..55
 * Restoring fails with SEQ_CTC_ERROR_STATE when the blob is truncated,
 * corrupted, of another version, written with other parameters, or
 * inconsistent (a label >= n_labels, a start after the last frame). */
#define SEQ_CTC_STATE_SIZE 60
SEQ_API GBytes *seq_ctc_state_save (const SeqCtc * ctc);
SEQ_API gboolean seq_ctc_state_restore (SeqCtc * ctc, GBytes * blob,
    GError ** error);

/* Labels (index = class id) as a NULL-terminated UTF-8 string vector
 * (g_strfreev it):
 *  - from a text file, one label per line (LF or CRLF; the newline after the
 *    last line is optional; empty lines are empty labels), at most
 *    SEQ_CTC_MAX_LABELS lines of valid UTF-8 with no NUL byte;
 *  - from a weight file's "__metadata__": "labels" holds a JSON array of
 *    strings. When @blank is not NULL it receives the "blank" entry (a
 *    decimal id) or -1 when there is none.
 * Errors (SEQ_CTC_ERROR_LABELS, or the GFileError of a file that cannot be
 * read) name the file, the line or the entry. */
SEQ_API gchar **seq_ctc_labels_load_file (const gchar * path, GError ** error);
SEQ_API gchar **seq_ctc_labels_from_weights (const SeqWeights * weights,
    gint64 * blank, GError ** error);

G_END_DECLS
