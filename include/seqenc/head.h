/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — linear output head: y = W h + b, then an activation.
 *
 * Thread safety: a SeqHead is immutable after creation and may be shared (by
 * reference) between any number of threads and elements. It has no
 * per-stream state: seq_head_forward() reads the model and writes only the
 * caller's output buffer, so any number of threads may call it at once.
 *
 * Math, for every frame h (width in_size H) and output k (out_size K):
 *   z[k] = sum_j W[k][j] h[j] + b[k]            (b = 0 without a bias)
 *   none:        y = z
 *   softmax:     y[k] = exp(z[k] - m) / sum_i exp(z[i] - m),  m = max_i z[i]
 *   log-softmax: y[k] = z[k] - m - log (sum_i exp(z[i] - m))
 *   sigmoid:     y[k] = 1 / (1 + exp(-z[k]))
 * (PyTorch: nn.Linear, then torch.softmax / log_softmax / sigmoid on dim -1.)
 *
 * Determinism: each product W[k][j] h[j] is exact in double; the sum over j
 * runs in double in one fixed order (4 interleaved partial sums j mod 4,
 * combined as (s0 + s1) + (s2 + s3)), and the activations are computed in
 * double from the f32 logits before one rounding to f32. Every frame is
 * computed alone with the same code, so outputs do not depend on how frames
 * are split into calls (bitwise), and the file is built with
 * -ffp-contract=off so that no compiler fuses operations differently on
 * another machine.
 *
 * Non-finite input propagates (as in PyTorch): a NaN in h gives NaN logits
 * and, with softmax or log-softmax, a whole NaN row; an infinite logit gives
 * NaN rows in softmax and log-softmax (inf - inf). Nothing crashes.
 *
 * Tensor names (PyTorch nn.Linear state_dict) with a prefix such as "head.":
 *   <prefix>weight [K, H]   (rank 2)
 *   <prefix>bias   [K]      (optional)
 * With no prefix given, the prefix is detected: the only rank-2 tensor whose
 * name ends in "weight" (so "lstm.weight_ih_l0" is not one). Zero or several
 * candidates is an error that lists them; the prefix then decides. F32, F16
 * and BF16 tensors are read (converted to f32 once).
 */
#pragma once

#include <glib.h>
#include <seqenc/export.h>
#include <seqenc/weights.h>

G_BEGIN_DECLS

#define SEQ_HEAD_ERROR (seq_head_error_quark ())
SEQ_API GQuark seq_head_error_quark (void);

typedef enum {
  SEQ_HEAD_ERROR_WEIGHTS,       /* tensors missing, ambiguous or misshapen */
  SEQ_HEAD_ERROR_CONFIG,        /* absurd sizes in parameters */
} SeqHeadError;

typedef enum {
  SEQ_HEAD_ACTIVATION_NONE,     /* the logits z */
  SEQ_HEAD_ACTIVATION_SOFTMAX,  /* probabilities over the K outputs */
  SEQ_HEAD_ACTIVATION_LOG_SOFTMAX,      /* log-probabilities (CTC decoding) */
  SEQ_HEAD_ACTIVATION_SIGMOID,  /* independent probabilities */
} SeqHeadActivation;

/* Parameters of the built-in seeded head (no weight file). */
typedef struct {
  guint in_size;                /* H, values per input frame; default 256 */
  guint out_size;               /* K, values per output frame; default 11 */
  gboolean bias;                /* with b; default TRUE */
  guint64 seed;                 /* init as nn.Linear: W, b ~ U(-1/sqrt(H),
                                 * 1/sqrt(H)) from SeqRng; default 0 */
} SeqHeadParams;

/* Largest in_size and out_size accepted (each). */
#define SEQ_HEAD_MAX_SIZE (1u << 20)

typedef struct _SeqHead SeqHead;

SEQ_API SeqHeadParams seq_head_params_default (void);

/* FALSE and SEQ_HEAD_ERROR_CONFIG when a size is 0 or above
 * SEQ_HEAD_MAX_SIZE. seq_head_new_random runs it. */
SEQ_API gboolean seq_head_params_validate (const SeqHeadParams * params,
    GError ** error);
/* Built-in head: deterministic seeded weights. */
SEQ_API SeqHead *seq_head_new_random (const SeqHeadParams * params, GError ** error);
/* From tensors of a weight file. @prefix: NULL or "" = auto-detect (see
 * above); otherwise the exact prefix, e.g. "head.". */
SEQ_API SeqHead *seq_head_new_from_weights (const SeqWeights * weights,
    const gchar * prefix, GError ** error);
SEQ_API SeqHead *seq_head_new_from_file (const gchar * path, const gchar * prefix,
    GError ** error);
SEQ_API SeqHead *seq_head_ref (SeqHead * head);
/* seq_head_unref (NULL) is a no-op. */
SEQ_API void seq_head_unref (SeqHead * head);

SEQ_API guint seq_head_in_size (const SeqHead * head);
SEQ_API guint seq_head_out_size (const SeqHead * head);
SEQ_API gboolean seq_head_has_bias (const SeqHead * head);
/* The tensor-name prefix the weights were read with ("" for the built-in
 * head or unprefixed names). */
SEQ_API const gchar *seq_head_get_prefix (const SeqHead * head);

/* "none", "softmax", "log-softmax", "sigmoid" (NULL when out of range). */
SEQ_API const gchar *seq_head_activation_name (SeqHeadActivation activation);

/* @n_frames frames: @in [n_frames][in_size] f32 -> @out [n_frames][out_size]
 * f32 with @activation. @in and @out must not overlap. Allocates nothing. */
SEQ_API void seq_head_forward (const SeqHead * head, SeqHeadActivation activation,
    const float *in, float *out, gsize n_frames);

G_END_DECLS
