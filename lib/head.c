/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — linear output head (see head.h). Built with -ffp-contract=off
 * (lib/meson.build). */
#include "seqenc/head.h"
#include "seqenc-private.h"

#include <math.h>
#include <string.h>

struct _SeqHead {
  gint ref_count;
  guint in_size;                /* H */
  guint out_size;               /* K */
  gboolean has_bias;
  gchar *prefix;
  float *weight;                /* [K][H], 64-byte aligned */
  float *bias;                  /* [K] (zeros without a bias) */
};

G_DEFINE_QUARK (seq-head-error-quark, seq_head_error);

#define WERR(...) g_set_error (error, SEQ_HEAD_ERROR, SEQ_HEAD_ERROR_WEIGHTS, \
    __VA_ARGS__)

SeqHeadParams
seq_head_params_default (void)
{
  SeqHeadParams p = {
    .in_size = 256,
    .out_size = 11,
    .bias = TRUE,
    .seed = 0,
  };
  return p;
}

static gboolean
check_sizes (guint in_size, guint out_size, GError ** error)
{
  gsize n;

  if (in_size == 0 || in_size > SEQ_HEAD_MAX_SIZE || out_size == 0
      || out_size > SEQ_HEAD_MAX_SIZE
      || !seq_size_mul (in_size, out_size, &n)) {
    g_set_error (error, SEQ_HEAD_ERROR, SEQ_HEAD_ERROR_CONFIG,
        "head of %u outputs x %u inputs is outside [1, %u] x [1, %u]",
        out_size, in_size, SEQ_HEAD_MAX_SIZE, SEQ_HEAD_MAX_SIZE);
    return FALSE;
  }
  return TRUE;
}

gboolean
seq_head_params_validate (const SeqHeadParams * params, GError ** error)
{
  g_return_val_if_fail (params != NULL, FALSE);
  return check_sizes (params->in_size, params->out_size, error);
}

/* A head of K x H with zeroed weight and bias, or NULL (allocation). */
static SeqHead *
head_alloc (guint in_size, guint out_size, GError ** error)
{
  SeqHead *h;
  gsize n = (gsize) in_size * out_size;

  if (!check_sizes (in_size, out_size, error))
    return NULL;
  h = g_new0 (SeqHead, 1);
  h->ref_count = 1;
  h->in_size = in_size;
  h->out_size = out_size;
  h->prefix = g_strdup ("");
  h->weight = seq_aligned_floats (n);
  h->bias = seq_aligned_floats (out_size);
  if (h->weight == NULL || h->bias == NULL) {
    g_set_error (error, SEQ_HEAD_ERROR, SEQ_HEAD_ERROR_CONFIG,
        "cannot allocate a head of %u x %u", out_size, in_size);
    seq_head_unref (h);
    return NULL;
  }
  return h;
}

SeqHead *
seq_head_new_random (const SeqHeadParams * params, GError ** error)
{
  SeqHead *h;
  SeqRng rng;
  float bound;
  gsize n;

  g_return_val_if_fail (params != NULL, NULL);
  if ((h = head_alloc (params->in_size, params->out_size, error)) == NULL)
    return NULL;
  /* nn.Linear.reset_parameters: kaiming_uniform(a=sqrt(5)) on W and the
   * bias both come to U(-1/sqrt(fan_in), 1/sqrt(fan_in)) */
  bound = (float) (1.0 / sqrt ((double) params->in_size));
  seq_rng_init (&rng, params->seed);
  n = (gsize) params->in_size * params->out_size;
  for (gsize i = 0; i < n; i++)
    h->weight[i] = seq_rng_uniform (&rng, -bound, bound);
  h->has_bias = params->bias;
  if (params->bias)
    for (guint k = 0; k < params->out_size; k++)
      h->bias[k] = seq_rng_uniform (&rng, -bound, bound);
  return h;
}

static gboolean
name_is_candidate (const SeqTensorInfo * t)
{
  return t->rank == 2 && g_str_has_suffix (t->name, "weight");
}

/* The prefix: the text before "weight" of the only rank-2 tensor whose name
 * ends in "weight". */
static gchar *
detect_prefix (const SeqWeights * w, GError ** error)
{
  GPtrArray *cands = g_ptr_array_new ();
  guint n = seq_weights_n_tensors (w);
  gchar *result = NULL;

  for (guint i = 0; i < n; i++) {
    const SeqTensorInfo *t = seq_weights_get (w, i);
    if (name_is_candidate (t))
      g_ptr_array_add (cands, (gpointer) t->name);
  }
  if (cands->len == 1) {
    const gchar *name = g_ptr_array_index (cands, 0);
    result = g_strndup (name, strlen (name) - strlen ("weight"));
  } else if (cands->len == 0) {
    WERR ("no linear head weights found: no rank-2 tensor name ends in "
        "\"weight\"");
  } else {
    GString *s = g_string_new (NULL);
    for (guint i = 0; i < cands->len; i++)
      g_string_append_printf (s, "%s\"%s\"", i ? ", " : "",
          (const gchar *) g_ptr_array_index (cands, i));
    WERR ("ambiguous linear head weights: %u rank-2 tensors end in "
        "\"weight\" (%s); name the prefix (model-prefix)", cands->len,
        s->str);
    g_string_free (s, TRUE);
  }
  g_ptr_array_unref (cands);
  return result;
}

SeqHead *
seq_head_new_from_weights (const SeqWeights * weights, const gchar * prefix,
    GError ** error)
{
  const SeqTensorInfo *tw, *tb;
  gchar *pre, *wname, *bname;
  SeqHead *h = NULL;
  guint in_size, out_size;

  g_return_val_if_fail (weights != NULL, NULL);

  if (prefix != NULL && prefix[0] != '\0')
    pre = g_strdup (prefix);
  else if ((pre = detect_prefix (weights, error)) == NULL)
    return NULL;
  wname = g_strconcat (pre, "weight", NULL);
  bname = g_strconcat (pre, "bias", NULL);

  tw = seq_weights_find (weights, wname);
  if (tw == NULL) {
    WERR ("no linear head weight \"%s\" in the file", wname);
    goto done;
  }
  if (tw->rank != 2 || tw->shape[0] <= 0 || tw->shape[1] <= 0
      || tw->shape[0] > SEQ_HEAD_MAX_SIZE || tw->shape[1] > SEQ_HEAD_MAX_SIZE) {
    GString *shape = g_string_new (NULL);
    for (guint i = 0; i < tw->rank; i++)
      g_string_append_printf (shape, "%s%" G_GINT64_FORMAT, i ? ", " : "",
          tw->shape[i]);
    WERR ("\"%s\" must be a non-empty [out, in] matrix of at most %u x %u "
        "(it has rank %u, shape [%s])", wname, SEQ_HEAD_MAX_SIZE,
        SEQ_HEAD_MAX_SIZE, tw->rank, shape->str);
    g_string_free (shape, TRUE);
    goto done;
  }
  out_size = (guint) tw->shape[0];
  in_size = (guint) tw->shape[1];
  tb = seq_weights_find (weights, bname);
  if (tb != NULL && (tb->rank != 1 || tb->shape[0] != tw->shape[0])) {
    WERR ("\"%s\" must have shape [%u] to match \"%s\" [%u, %u] (rank %u, "
        "first dim %" G_GINT64_FORMAT ")", bname, out_size, wname, out_size,
        in_size, tb->rank, tb->rank > 0 ? tb->shape[0] : 0);
    goto done;
  }
  if ((h = head_alloc (in_size, out_size, error)) == NULL)
    goto done;
  if (!seq_tensor_to_f32 (tw, h->weight, (gsize) in_size * out_size, error)
      || (tb != NULL && !seq_tensor_to_f32 (tb, h->bias, out_size, error))) {
    g_clear_pointer (&h, seq_head_unref);
    goto done;
  }
  h->has_bias = tb != NULL;
  g_free (h->prefix);
  h->prefix = pre;
  pre = NULL;

done:
  g_free (pre);
  g_free (wname);
  g_free (bname);
  return h;
}

SeqHead *
seq_head_new_from_file (const gchar * path, const gchar * prefix,
    GError ** error)
{
  SeqWeights *w;
  SeqHead *h;

  g_return_val_if_fail (path != NULL, NULL);
  if ((w = seq_weights_open (path, error)) == NULL)
    return NULL;
  h = seq_head_new_from_weights (w, prefix, error);
  seq_weights_unref (w);
  return h;
}

SeqHead *
seq_head_ref (SeqHead * head)
{
  g_return_val_if_fail (head != NULL, NULL);
  g_atomic_int_inc (&head->ref_count);
  return head;
}

void
seq_head_unref (SeqHead * head)
{
  if (head == NULL || !g_atomic_int_dec_and_test (&head->ref_count))
    return;
  seq_aligned_free (head->weight);
  seq_aligned_free (head->bias);
  g_free (head->prefix);
  g_free (head);
}

guint
seq_head_in_size (const SeqHead * head)
{
  g_return_val_if_fail (head != NULL, 0);
  return head->in_size;
}

guint
seq_head_out_size (const SeqHead * head)
{
  g_return_val_if_fail (head != NULL, 0);
  return head->out_size;
}

gboolean
seq_head_has_bias (const SeqHead * head)
{
  g_return_val_if_fail (head != NULL, FALSE);
  return head->has_bias;
}

const gchar *
seq_head_get_prefix (const SeqHead * head)
{
  g_return_val_if_fail (head != NULL, NULL);
  return head->prefix;
}

const gchar *
seq_head_activation_name (SeqHeadActivation activation)
{
  switch (activation) {
    case SEQ_HEAD_ACTIVATION_NONE:
      return "none";
    case SEQ_HEAD_ACTIVATION_SOFTMAX:
      return "softmax";
    case SEQ_HEAD_ACTIVATION_LOG_SOFTMAX:
      return "log-softmax";
    case SEQ_HEAD_ACTIVATION_SIGMOID:
      return "sigmoid";
  }
  return NULL;
}

/* sum_j w[j] x[j] in double: the products are exact, the sum has four
 * interleaved partial sums in a fixed order. */
static double
dot (const float *restrict w, const float *restrict x, guint n)
{
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  guint j = 0;

  for (; j + 4 <= n; j += 4) {
    s0 += (double) w[j] * (double) x[j];
    s1 += (double) w[j + 1] * (double) x[j + 1];
    s2 += (double) w[j + 2] * (double) x[j + 2];
    s3 += (double) w[j + 3] * (double) x[j + 3];
  }
  for (guint r = 0; j < n; j++, r++) {
    double p = (double) w[j] * (double) x[j];
    if (r == 0)
      s0 += p;
    else if (r == 1)
      s1 += p;
    else
      s2 += p;
  }
  return (s0 + s1) + (s2 + s3);
}

/* Largest value, NaN if any value is NaN (so that NaN propagates through
 * the softmax instead of being skipped as fmax would). */
static float
row_max (const float *z, guint n)
{
  float m = z[0];

  for (guint k = 1; k < n && !isnan (m); k++)
    if (!(z[k] <= m))
      m = z[k];
  return m;
}

static void
activate (SeqHeadActivation act, float *y, guint n)
{
  switch (act) {
    case SEQ_HEAD_ACTIVATION_NONE:
      break;
    case SEQ_HEAD_ACTIVATION_SIGMOID:
      for (guint k = 0; k < n; k++)
        y[k] = (float) (1.0 / (1.0 + exp (-(double) y[k])));
      break;
    case SEQ_HEAD_ACTIVATION_SOFTMAX:
    case SEQ_HEAD_ACTIVATION_LOG_SOFTMAX:{
      double m = row_max (y, n), sum = 0.0;
      for (guint k = 0; k < n; k++)
        sum += exp ((double) y[k] - m);
      if (act == SEQ_HEAD_ACTIVATION_SOFTMAX) {
        for (guint k = 0; k < n; k++)
          y[k] = (float) (exp ((double) y[k] - m) / sum);
      } else {
        double lse = m + log (sum);
        for (guint k = 0; k < n; k++)
          y[k] = (float) ((double) y[k] - lse);
      }
      break;
    }
  }
}

void
seq_head_forward (const SeqHead * head, SeqHeadActivation activation,
    const float *in, float *out, gsize n_frames)
{
  guint H, K;

  g_return_if_fail (head != NULL);
  g_return_if_fail (n_frames == 0 || (in != NULL && out != NULL));
  g_return_if_fail (seq_head_activation_name (activation) != NULL);

  H = head->in_size;
  K = head->out_size;
  for (gsize t = 0; t < n_frames; t++) {
    const float *x = in + t * H;
    float *y = out + t * K;
    for (guint k = 0; k < K; k++)
      y[k] = (float) (dot (head->weight + (gsize) k * H, x, H)
          + (double) head->bias[k]);
    activate (activation, y, K);
  }
}
