/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — stacked LSTM with PyTorch nn.LSTM semantics (see lstm.h).
 *
 * The model keeps every weight matrix packed once at creation for the
 * kernels (lib/kernels/packed.h: transposed to [K][N], panels of the four
 * gates of 16 hidden units, b_ih + b_hh folded into one bias) and runs the
 * recurrent driver of lib/kernels/rnn.h with the LSTM cell. A forward call gathers the streams' h and c into the workspace,
 * runs the chunk driver over chunks of at most max_steps steps and scatters
 * h and c back; it allocates nothing.
 */
#include "seqenc/lstm.h"
#include "blob.h"
#include "seqenc-private.h"
#include "kernels/rnn.h"

#include <math.h>
#include <string.h>

/* Sizes above these are refused as absurd (SEQ_LSTM_ERROR_CONFIG/WEIGHTS). */
#define SEQ_LSTM_MAX_WIDTH (1u << 16)   /* I, H, P */
#define SEQ_LSTM_MAX_LAYERS 64
/* Largest number of weight elements of one layer (4H x (I + O) + P x H). */
#define SEQ_LSTM_MAX_LAYER_ELEMENTS ((gsize) 1 << 30)

struct _SeqLstmModel {
  gint ref_count;
  guint I, H, L, P, O;
  gboolean bias;
  SeqPrecision precision;   /* storage as built */
  SeqMatmulPrecision matmul;
  guint32 precision_code;       /* precision_code (): fingerprint and blob */
  guint64 fingerprint;
  SeqRnnNet net;                /* packed layers for the kernels */
  float *zeros;
};

struct _SeqLstmState {
  SeqLstmModel *model;
  guint64 steps;
  float *h;                     /* [L][O] */
  float *c;                     /* [L][H] */
};

struct _SeqLstmWorkspace {
  SeqLstmModel *model;
  SeqRnnRunner r;               /* scratch, pool, kernels */
};

G_DEFINE_QUARK (seq-lstm-error-quark, seq_lstm_error);

SeqLstmModelParams
seq_lstm_model_params_default (void)
{
  SeqLstmModelParams p = {
    .weights_precision = SEQ_PRECISION_F32,
    .matmul_precision = SEQ_MATMUL_F32,
    .prefix = NULL,
  };
  return p;
}

SeqLstmRandomParams
seq_lstm_random_params_default (void)
{
  SeqLstmRandomParams p = {
    .input_size = 80,
    .hidden_size = 256,
    .num_layers = 2,
    .proj_size = 0,
    .bias = TRUE,
    .seed = 0,
  };
  return p;
}

gboolean
seq_precision_from_string (const gchar * name, SeqPrecision * out)
{
  g_return_val_if_fail (out != NULL, FALSE);
  if (name == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (name, "f32") == 0)
    *out = SEQ_PRECISION_F32;
  else if (g_ascii_strcasecmp (name, "bf16") == 0)
    *out = SEQ_PRECISION_BF16;
  else if (g_ascii_strcasecmp (name, "f16") == 0)
    *out = SEQ_PRECISION_F16;
  else
    return FALSE;
  return TRUE;
}

gboolean
seq_matmul_bf16_accelerated (void)
{
  const gchar *name = seq_kernels_get (SEQ_KERNELS_AUTO)->name;

  return g_str_equal (name, "amx") || g_str_equal (name, "avx512bf16");
}

const gchar *
seq_precision_to_string (SeqPrecision precision)
{
  switch (precision) {
    case SEQ_PRECISION_BF16:
      return "bf16";
    case SEQ_PRECISION_F16:
      return "f16";
    case SEQ_PRECISION_F32:
    default:
      return "f32";
  }
}

/* The precision pair as one code: the storage precision, or 3 for bf16
 * matmul (bf16 weights). It is what the fingerprint hashes and what the state
 * blob records, with the values they had when the pair was one enum. */
#define PRECISION_CODE_BF16_MATMUL 3

static guint32
precision_code (SeqPrecision weights, SeqMatmulPrecision matmul)
{
  return matmul == SEQ_MATMUL_BF16 ? PRECISION_CODE_BF16_MATMUL :
      (guint32) weights;
}

static SeqKDtype
kdtype_of (guint32 code)
{
  switch (code) {
    case SEQ_PRECISION_BF16:
      return SEQ_KDTYPE_BF16;
    case SEQ_PRECISION_F16:
      return SEQ_KDTYPE_F16;
    case PRECISION_CODE_BF16_MATMUL:
      return SEQ_KDTYPE_BF16_VNNI;
    case SEQ_PRECISION_F32:
    default:
      return SEQ_KDTYPE_F32;
  }
}

gboolean
seq_lstm_model_params_validate (const SeqLstmModelParams * params,
    GError ** error)
{
  g_return_val_if_fail (params != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  if ((guint) params->weights_precision > SEQ_PRECISION_F16
      || (guint) params->matmul_precision > SEQ_MATMUL_BF16) {
    g_set_error (error, SEQ_LSTM_ERROR, SEQ_LSTM_ERROR_CONFIG,
        "unknown LSTM precision (weights %d, matmul %d)",
        (int) params->weights_precision, (int) params->matmul_precision);
    return FALSE;
  }
  if (params->matmul_precision == SEQ_MATMUL_BF16
      && params->weights_precision == SEQ_PRECISION_F16) {
    g_set_error (error, SEQ_LSTM_ERROR, SEQ_LSTM_ERROR_CONFIG,
        "bf16 matmul precision rounds the weights to bf16: the weights "
        "precision must be f32 or bf16, not f16");
    return FALSE;
  }
  return TRUE;
}

/* @params (NULL = defaults) into @out, validated. */
static gboolean
model_params_check (const SeqLstmModelParams * params,
    SeqLstmModelParams * out, GError ** error)
{
  *out = params ? *params : seq_lstm_model_params_default ();
  return seq_lstm_model_params_validate (out, error);
}

/* ---- model construction ------------------------------------------------- */

/* One layer's tensors in PyTorch layout (row-major, [out][in]). */
typedef struct {
  const float *w_ih;            /* [4H][K_in] */
  const float *w_hh;            /* [4H][O] */
  const float *b_ih;            /* [4H] or NULL */
  const float *b_hh;            /* [4H] or NULL */
  const float *w_hr;            /* [P][H] or NULL */
} LayerSrc;

static void
model_free (SeqLstmModel * m)
{
  seq_rnn_net_clear (&m->net);
  seq_aligned_free (m->zeros);
  g_free (m);
}

static guint64
hash_u32 (guint64 h, guint32 v)
{
  return seq_fnv64_wide (h, &v, 4);
}

/* Takes the PyTorch-layout layers and builds a packed model. */
static SeqLstmModel *
model_build (guint I, guint H, guint L, guint P, gboolean bias,
    const SeqLstmModelParams * mp, const LayerSrc * src, GError ** error)
{
  SeqLstmModel *m = g_new0 (SeqLstmModel, 1);
  guint32 code = precision_code (mp->weights_precision, mp->matmul_precision);
  SeqKDtype dt = kdtype_of (code);
  guint Hp = (H + SEQ_GATE_UNITS - 1) / SEQ_GATE_UNITS * SEQ_GATE_UNITS;
  guint O = P ? P : H;
  gsize ldo = (gsize) (O + SEQ_PANEL - 1) / SEQ_PANEL * SEQ_PANEL;
  guint64 fp = SEQ_FNV64_OFFSET;

  m->ref_count = 1;
  m->I = I;
  m->H = H;
  m->L = L;
  m->P = P;
  m->O = O;
  m->bias = bias;
  m->matmul = mp->matmul_precision;
  m->precision = m->matmul == SEQ_MATMUL_BF16 ? SEQ_PRECISION_BF16 :
      mp->weights_precision;
  m->precision_code = code;
  m->zeros = seq_aligned_floats (MAX ((gsize) 4 * Hp, ldo));
  m->net.layers = g_new0 (SeqRnnLayer, L);
  m->net.cell = SEQ_CELL_LSTM;
  m->net.G = 4;
  m->net.L = L;
  m->net.I = I;
  m->net.H = H;
  m->net.P = P;
  m->net.O = O;
  m->net.Hp = Hp;
  m->net.ldo = ldo;
  m->net.zeros = m->zeros;
  m->net.bf16 = m->matmul == SEQ_MATMUL_BF16;
  m->net.ldb = MAX (MAX (seq_bf16_kp (I), seq_bf16_kp (O)), seq_bf16_kp (H));
  if (m->zeros == NULL)
    goto oom;

  fp = hash_u32 (fp, 0x4c53544d);       /* "LSTM" */
  fp = hash_u32 (fp, I);
  fp = hash_u32 (fp, H);
  fp = hash_u32 (fp, L);
  fp = hash_u32 (fp, P);
  fp = hash_u32 (fp, bias);
  fp = hash_u32 (fp, code);

  for (guint l = 0; l < L; l++) {
    SeqRnnLayer *ly = &m->net.layers[l];
    guint K_in = l == 0 ? I : O;

    ly->K_in = K_in;
    ly->bias = seq_aligned_floats ((gsize) 4 * Hp);
    if (ly->bias == NULL
        || !seq_rnn_pack_gates (&ly->wx, src[l].w_ih, K_in, H, 4, dt)
        || !seq_rnn_pack_gates (&ly->wh, src[l].w_hh, O, H, 4, dt)
        || (P && !seq_rnn_pack_plain (&ly->wr, src[l].w_hr, P, H, dt)))
      goto oom;
    if (bias) {
      for (guint u = 0; u < H; u++)
        for (guint q = 0; q < 4; q++)
          ly->bias[seq_rnn_gate_col (u, q, 4)] = src[l].b_ih[q * H + u] +
              src[l].b_hh[q * H + u];
    }
    fp = seq_fnv64_wide (fp, ly->wx.data, seq_packed_n_bytes (&ly->wx));
    fp = seq_fnv64_wide (fp, ly->wh.data, seq_packed_n_bytes (&ly->wh));
    if (P)
      fp = seq_fnv64_wide (fp, ly->wr.data, seq_packed_n_bytes (&ly->wr));
    fp = seq_fnv64_wide (fp, ly->bias, (gsize) 4 * Hp * sizeof (float));
  }
  m->fingerprint = fp;
  return m;

oom:
  g_set_error (error, SEQ_LSTM_ERROR, SEQ_LSTM_ERROR_CONFIG,
      "LSTM model too large: out of memory (I=%u H=%u L=%u P=%u)", I, H, L,
      P);
  model_free (m);
  return NULL;
}

static gboolean
check_sizes (guint I, guint H, guint L, guint P, GQuark domain, gint code,
    GError ** error)
{
  gsize O = P ? P : H;
  gsize per_layer = (gsize) 4 * H * (MAX (I, O) + O) + (gsize) P * H;

  if (I == 0 || H == 0 || L == 0) {
    g_set_error (error, domain, code,
        "LSTM sizes must be positive (input %u, hidden %u, layers %u)", I, H,
        L);
    return FALSE;
  }
  if (I > SEQ_LSTM_MAX_WIDTH || H > SEQ_LSTM_MAX_WIDTH
      || L > SEQ_LSTM_MAX_LAYERS) {
    g_set_error (error, domain, code,
        "LSTM sizes too large (input %u, hidden %u, layers %u; limits %u, "
        "%u, %u)", I, H, L, SEQ_LSTM_MAX_WIDTH, SEQ_LSTM_MAX_WIDTH,
        SEQ_LSTM_MAX_LAYERS);
    return FALSE;
  }
  if (P >= H) {
    g_set_error (error, domain, code,
        "LSTM proj_size %u must be smaller than hidden_size %u (as in "
        "PyTorch)", P, H);
    return FALSE;
  }
  if (per_layer > SEQ_LSTM_MAX_LAYER_ELEMENTS) {
    g_set_error (error, domain, code,
        "LSTM layer too large: %" G_GSIZE_FORMAT " weights (limit %"
        G_GSIZE_FORMAT ")", per_layer, SEQ_LSTM_MAX_LAYER_ELEMENTS);
    return FALSE;
  }
  return TRUE;
}

SeqLstmModel *
seq_lstm_model_new_random (const SeqLstmRandomParams * shape,
    const SeqLstmModelParams * params, GError ** error)
{
  guint I, H, L, P, O;
  float bound;
  SeqRng rng;
  LayerSrc *src;
  float **bufs;
  SeqLstmModel *m = NULL;
  SeqLstmModelParams mp;

  g_return_val_if_fail (shape != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!model_params_check (params, &mp, error))
    return NULL;
  I = shape->input_size;
  H = shape->hidden_size;
  L = shape->num_layers;
  P = shape->proj_size;
  O = P ? P : H;
  if (!check_sizes (I, H, L, P, SEQ_LSTM_ERROR, SEQ_LSTM_ERROR_CONFIG, error))
    return NULL;

  /* PyTorch's reset_parameters: every parameter U(-1/sqrt(H), 1/sqrt(H)),
   * drawn in the order of its _flat_weights: w_ih, w_hh, b_ih, b_hh, w_hr */
  bound = 1.0f / sqrtf ((float) H);
  seq_rng_init (&rng, shape->seed);
  src = g_new0 (LayerSrc, L);
  bufs = g_new0 (float *, (gsize) L * 5);
  for (guint l = 0; l < L; l++) {
    guint K_in = l == 0 ? I : O;
    gsize sizes[5] = { (gsize) 4 * H * K_in, (gsize) 4 * H * O,
      shape->bias ? (gsize) 4 * H : 0, shape->bias ? (gsize) 4 * H : 0,
      (gsize) P * H
    };
    for (guint t = 0; t < 5; t++) {
      if (sizes[t] == 0)
        continue;
      bufs[l * 5 + t] = g_try_new (float, sizes[t]);
      if (bufs[l * 5 + t] == NULL) {
        g_set_error (error, SEQ_LSTM_ERROR, SEQ_LSTM_ERROR_CONFIG,
            "LSTM model too large: out of memory");
        goto done;
      }
      for (gsize i = 0; i < sizes[t]; i++)
        bufs[l * 5 + t][i] = seq_rng_uniform (&rng, -bound, bound);
    }
    src[l].w_ih = bufs[l * 5];
    src[l].w_hh = bufs[l * 5 + 1];
    src[l].b_ih = bufs[l * 5 + 2];
    src[l].b_hh = bufs[l * 5 + 3];
    src[l].w_hr = bufs[l * 5 + 4];
  }
  m = model_build (I, H, L, P, shape->bias, &mp, src, error);

done:
  for (guint i = 0; i < L * 5; i++)
    g_free (bufs[i]);
  g_free (bufs);
  g_free (src);
  return m;
}


/* ---- loading from a weight file ----------------------------------------- */

#define WERR(...) g_set_error (error, SEQ_LSTM_ERROR, SEQ_LSTM_ERROR_WEIGHTS, \
    __VA_ARGS__)

/* Finds the prefix: the text before "weight_ih_l0" in tensor names. */
static gchar *
detect_prefix (const SeqWeights * w, GError ** error)
{
  static const gchar key[] = "weight_ih_l0";
  GPtrArray *cands = g_ptr_array_new_with_free_func (g_free);
  guint n = seq_weights_n_tensors (w);
  gchar *result = NULL;

  for (guint i = 0; i < n; i++) {
    const gchar *name = seq_weights_get (w, i)->name;
    gsize len = strlen (name);
    if (len >= sizeof (key) - 1
        && strcmp (name + len - (sizeof (key) - 1), key) == 0)
      g_ptr_array_add (cands, g_strndup (name, len - (sizeof (key) - 1)));
  }
  if (cands->len == 1) {
    result = g_strdup (g_ptr_array_index (cands, 0));
  } else if (cands->len == 0) {
    WERR ("no LSTM weights found: no tensor name ends in \"weight_ih_l0\"");
  } else {
    GString *s = g_string_new (NULL);
    for (guint i = 0; i < cands->len; i++)
      g_string_append_printf (s, "%s\"%s\"", i ? ", " : "",
          (const gchar *) g_ptr_array_index (cands, i));
    WERR ("ambiguous LSTM weights: %u candidate prefixes (%s); name one "
        "(model-prefix)", cands->len, s->str);
    g_string_free (s, TRUE);
  }
  g_ptr_array_unref (cands);
  return result;
}

/* Reads tensor @prefix@name as f32 [d0][d1] (d1 = 0: rank 1); a dim < 0
 * matches anything and is returned in @shape_out. NULL if absent (no error
 * unless @required). */
static float *
read_tensor (const SeqWeights * w, const gchar * prefix, const gchar * name,
    gboolean required, guint rank, gint64 d0, gint64 d1, gint64 * shape_out,
    GError ** error)
{
  gchar *full = g_strconcat (prefix, name, NULL);
  const SeqTensorInfo *t = seq_weights_find (w, full);
  float *buf = NULL;
  GError *err = NULL;

  if (t == NULL) {
    if (required)
      WERR ("LSTM tensor \"%s\" is missing", full);
    goto done;
  }
  if (t->rank != rank || (d0 >= 0 && t->shape[0] != d0)
      || (rank > 1 && d1 >= 0 && t->shape[1] != d1)) {
    GString *want = g_string_new ("[");
    GString *have = g_string_new ("[");
    g_string_append_printf (want, d0 >= 0 ? "%" G_GINT64_FORMAT : "*", d0);
    if (rank > 1)
      g_string_append_printf (want, d1 >= 0 ? ", %" G_GINT64_FORMAT : ", *",
          d1);
    for (guint i = 0; i < t->rank; i++)
      g_string_append_printf (have, "%s%" G_GINT64_FORMAT, i ? ", " : "",
          t->shape[i]);
    g_string_append_c (want, ']');
    g_string_append_c (have, ']');
    WERR ("LSTM tensor \"%s\" has shape %s, expected %s", full, have->str,
        want->str);
    g_string_free (want, TRUE);
    g_string_free (have, TRUE);
    goto done;
  }
  for (guint i = 0; i < rank; i++)
    if (t->shape[i] <= 0 || t->shape[i] > (gint64) 4 * SEQ_LSTM_MAX_WIDTH) {
      WERR ("LSTM tensor \"%s\" has an unusable dimension %" G_GINT64_FORMAT,
          full, t->shape[i]);
      goto done;
    }
  if (shape_out != NULL)
    for (guint i = 0; i < rank; i++)
      shape_out[i] = t->shape[i];
  buf = g_try_new (float, t->n_elements ? t->n_elements : 1);
  if (buf == NULL) {
    WERR ("LSTM tensor \"%s\" too large", full);
    goto done;
  }
  if (!seq_tensor_to_f32 (t, buf, t->n_elements, &err)) {
    WERR ("LSTM tensor \"%s\": %s", full, err->message);
    g_clear_error (&err);
    g_free (buf);
    buf = NULL;
  }
done:
  g_free (full);
  return buf;
}

SeqLstmModel *
seq_lstm_model_new_from_weights (const SeqWeights * weights,
    const SeqLstmModelParams * params, GError ** error)
{
  SeqLstmModelParams mp;
  const gchar *prefix;
  gchar *pre = NULL;
  guint n, I = 0, H = 0, L = 0, P = 0, O;
  gboolean bias;
  gint64 shape[2];
  LayerSrc *src = NULL;
  float **bufs = NULL;
  SeqLstmModel *m = NULL;
  gchar *name;

  g_return_val_if_fail (weights != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!model_params_check (params, &mp, error))
    return NULL;
  prefix = mp.prefix;
  if (prefix != NULL && prefix[0] != '\0') {
    pre = g_strdup (prefix);
  } else if ((pre = detect_prefix (weights, error)) == NULL) {
    return NULL;
  }

  /* bidirectional: refused */
  n = seq_weights_n_tensors (weights);
  for (guint i = 0; i < n; i++) {
    const gchar *tn = seq_weights_get (weights, i)->name;
    if (g_str_has_prefix (tn, pre) && g_str_has_suffix (tn, "_reverse")) {
      g_set_error (error, SEQ_LSTM_ERROR, SEQ_LSTM_ERROR_UNSUPPORTED,
          "bidirectional LSTM weights (\"%s\") are not supported: a "
          "streaming encoder has no future context to run the reverse "
          "direction on", tn);
      goto done;
    }
  }

  /* layer count */
  for (L = 0; L <= SEQ_LSTM_MAX_LAYERS; L++) {
    name = g_strdup_printf ("%sweight_ih_l%u", pre, L);
    gboolean found = seq_weights_find (weights, name) != NULL;
    g_free (name);
    if (!found)
      break;
  }
  if (L == 0) {
    WERR ("LSTM tensor \"%sweight_ih_l0\" is missing", pre);
    goto done;
  }
  if (L > SEQ_LSTM_MAX_LAYERS) {
    WERR ("too many LSTM layers (limit %u)", SEQ_LSTM_MAX_LAYERS);
    goto done;
  }
  /* a layer's tensor beyond the last weight_ih: inconsistent file */
  for (guint i = 0; i < n; i++) {
    const gchar *tn = seq_weights_get (weights, i)->name;
    const gchar *rest, *lpos;
    guint64 k;
    gchar *end;

    if (!g_str_has_prefix (tn, pre))
      continue;
    rest = tn + strlen (pre);
    if (!(g_str_has_prefix (rest, "weight_") || g_str_has_prefix (rest,
                "bias_")) || (lpos = strstr (rest, "_l")) == NULL)
      continue;
    k = g_ascii_strtoull (lpos + 2, &end, 10);
    if (end != lpos + 2 && *end == '\0' && k >= L) {
      WERR ("LSTM tensor \"%s\" belongs to layer %" G_GUINT64_FORMAT
          " but \"%sweight_ih_l%" G_GUINT64_FORMAT "\" is missing", tn, k,
          pre, (guint64) L);
      goto done;
    }
  }

  /* sizes from layer 0 */
  {
    const SeqTensorInfo *t;
    name = g_strconcat (pre, "weight_ih_l0", NULL);
    t = seq_weights_find (weights, name);
    g_free (name);
    if (t->rank != 2 || t->shape[0] <= 0 || t->shape[0] % 4 != 0
        || t->shape[1] <= 0 || t->shape[0] / 4 > SEQ_LSTM_MAX_WIDTH
        || t->shape[1] > SEQ_LSTM_MAX_WIDTH) {
      WERR ("LSTM tensor \"%sweight_ih_l0\" must be [4*hidden, input] with "
          "sizes up to %u", pre, SEQ_LSTM_MAX_WIDTH);
      goto done;
    }
    H = (guint) (t->shape[0] / 4);
    I = (guint) t->shape[1];
    name = g_strconcat (pre, "weight_hr_l0", NULL);
    t = seq_weights_find (weights, name);
    g_free (name);
    if (t != NULL) {
      if (t->rank != 2 || t->shape[0] <= 0
          || t->shape[0] > SEQ_LSTM_MAX_WIDTH) {
        WERR ("LSTM tensor \"%sweight_hr_l0\" must be [proj, hidden]", pre);
        goto done;
      }
      P = (guint) t->shape[0];
    }
    name = g_strconcat (pre, "bias_ih_l0", NULL);
    bias = seq_weights_find (weights, name) != NULL;
    g_free (name);
  }
  O = P ? P : H;
  if (!check_sizes (I, H, L, P, SEQ_LSTM_ERROR, SEQ_LSTM_ERROR_WEIGHTS, error))
    goto done;

  src = g_new0 (LayerSrc, L);
  bufs = g_new0 (float *, (gsize) L * 5);
  for (guint l = 0; l < L; l++) {
    guint K_in = l == 0 ? I : O;
    gchar *nm[5];
    nm[0] = g_strdup_printf ("weight_ih_l%u", l);
    nm[1] = g_strdup_printf ("weight_hh_l%u", l);
    nm[2] = g_strdup_printf ("bias_ih_l%u", l);
    nm[3] = g_strdup_printf ("bias_hh_l%u", l);
    nm[4] = g_strdup_printf ("weight_hr_l%u", l);
    bufs[l * 5] = read_tensor (weights, pre, nm[0], TRUE, 2, 4 * (gint64) H,
        K_in, shape, error);
    if (bufs[l * 5] != NULL)
      bufs[l * 5 + 1] = read_tensor (weights, pre, nm[1], TRUE, 2,
          4 * (gint64) H, O, shape, error);
    if (bufs[l * 5 + 1] != NULL && bias) {
      bufs[l * 5 + 2] = read_tensor (weights, pre, nm[2], TRUE, 1,
          4 * (gint64) H, 0, shape, error);
      if (bufs[l * 5 + 2] != NULL)
        bufs[l * 5 + 3] = read_tensor (weights, pre, nm[3], TRUE, 1,
            4 * (gint64) H, 0, shape, error);
    } else if (bufs[l * 5 + 1] != NULL) {
      /* no biases: none may appear in any layer */
      for (guint i = 2; i < 4; i++) {
        gchar *full = g_strconcat (pre, nm[i], NULL);
        if (seq_weights_find (weights, full) != NULL
            && (error == NULL || *error == NULL))
          WERR ("LSTM tensor \"%s\" present but \"%sbias_ih_l0\" is not: "
              "biases must be given for both directions of every layer or "
              "not at all", full, pre);
        g_free (full);
      }
    }
    if ((error == NULL || *error == NULL) && bufs[l * 5 + 1] != NULL
        && (!bias || bufs[l * 5 + 3] != NULL)) {
      gchar *full = g_strconcat (pre, nm[4], NULL);
      if (P)
        bufs[l * 5 + 4] = read_tensor (weights, pre, nm[4], TRUE, 2, P, H,
            shape, error);
      else if (seq_weights_find (weights, full) != NULL)
        WERR ("LSTM tensor \"%s\" present but layer 0 has no projection",
            full);
      g_free (full);
    }
    for (guint i = 0; i < 5; i++)
      g_free (nm[i]);
    if (bufs[l * 5] == NULL || bufs[l * 5 + 1] == NULL
        || (bias && (bufs[l * 5 + 2] == NULL || bufs[l * 5 + 3] == NULL))
        || (P && bufs[l * 5 + 4] == NULL)
        || (error != NULL && *error != NULL)) {
      if (error != NULL && *error == NULL)
        WERR ("LSTM layer %u: inconsistent tensors", l);
      goto done;
    }
    src[l].w_ih = bufs[l * 5];
    src[l].w_hh = bufs[l * 5 + 1];
    src[l].b_ih = bufs[l * 5 + 2];
    src[l].b_hh = bufs[l * 5 + 3];
    src[l].w_hr = bufs[l * 5 + 4];
  }
  m = model_build (I, H, L, P, bias, &mp, src, error);

done:
  if (bufs != NULL) {
    for (guint i = 0; i < L * 5; i++)
      g_free (bufs[i]);
    g_free (bufs);
  }
  g_free (src);
  g_free (pre);
  return m;
}

SeqLstmModel *
seq_lstm_model_new_from_file (const gchar * path,
    const SeqLstmModelParams * params, GError ** error)
{
  SeqWeights *w;
  SeqLstmModel *m;
  SeqLstmModelParams mp;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  /* settings first: a conflict is reported whatever the file holds */
  if (!model_params_check (params, &mp, error))
    return NULL;
  w = seq_weights_open (path, error);
  if (w == NULL)
    return NULL;
  m = seq_lstm_model_new_from_weights (w, params, error);
  seq_weights_unref (w);
  return m;
}

SeqLstmModel *
seq_lstm_model_ref (SeqLstmModel * model)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_atomic_int_inc (&model->ref_count);
  return model;
}

void
seq_lstm_model_unref (SeqLstmModel * model)
{
  if (model == NULL)
    return;
  if (g_atomic_int_dec_and_test (&model->ref_count))
    model_free (model);
}

guint
seq_lstm_model_input_size (const SeqLstmModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->I;
}

guint
seq_lstm_model_hidden_size (const SeqLstmModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->H;
}

guint
seq_lstm_model_num_layers (const SeqLstmModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->L;
}

guint
seq_lstm_model_proj_size (const SeqLstmModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->P;
}

guint
seq_lstm_model_output_size (const SeqLstmModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->O;
}

guint
seq_lstm_model_output_width (const SeqLstmModel * model, SeqLstmOutput mode)
{
  g_return_val_if_fail (model != NULL, 0);
  return mode == SEQ_LSTM_OUTPUT_ALL_LAYERS ? model->L * model->O : model->O;
}

SeqPrecision
seq_lstm_model_get_weights_precision (const SeqLstmModel * model)
{
  g_return_val_if_fail (model != NULL, SEQ_PRECISION_F32);
  return model->precision;
}

SeqMatmulPrecision
seq_lstm_model_get_matmul_precision (const SeqLstmModel * model)
{
  g_return_val_if_fail (model != NULL, SEQ_MATMUL_F32);
  return model->matmul;
}

gboolean
seq_lstm_model_has_bias (const SeqLstmModel * model)
{
  g_return_val_if_fail (model != NULL, FALSE);
  return model->bias;
}

guint64
seq_lstm_model_get_fingerprint (const SeqLstmModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->fingerprint;
}

/* ---- state -------------------------------------------------------------- */

SeqLstmState *
seq_lstm_state_new (const SeqLstmModel * model)
{
  SeqLstmState *s;

  g_return_val_if_fail (model != NULL, NULL);
  s = g_new0 (SeqLstmState, 1);
  s->model = seq_lstm_model_ref ((SeqLstmModel *) model);
  s->h = g_new0 (float, (gsize) model->L * model->O);
  s->c = g_new0 (float, (gsize) model->L * model->H);
  return s;
}

void
seq_lstm_state_free (SeqLstmState * state)
{
  if (state == NULL)
    return;
  g_free (state->h);
  g_free (state->c);
  seq_lstm_model_unref (state->model);
  g_free (state);
}

void
seq_lstm_state_reset (SeqLstmState * state)
{
  g_return_if_fail (state != NULL);
  memset (state->h, 0, (gsize) state->model->L * state->model->O *
      sizeof (float));
  memset (state->c, 0, (gsize) state->model->L * state->model->H *
      sizeof (float));
  state->steps = 0;
}

const SeqLstmModel *
seq_lstm_state_get_model (const SeqLstmState * state)
{
  g_return_val_if_fail (state != NULL, NULL);
  return state->model;
}

guint64
seq_lstm_state_get_steps (const SeqLstmState * state)
{
  g_return_val_if_fail (state != NULL, 0);
  return state->steps;
}

void
seq_lstm_state_get (const SeqLstmState * state, guint layer,
    gboolean which_h, float *dst)
{
  const SeqLstmModel *m;

  g_return_if_fail (state != NULL && dst != NULL);
  m = state->model;
  g_return_if_fail (layer < m->L);
  if (which_h)
    memcpy (dst, state->h + (gsize) layer * m->O, m->O * sizeof (float));
  else
    memcpy (dst, state->c + (gsize) layer * m->H, m->H * sizeof (float));
}

void
seq_lstm_state_set (SeqLstmState * state, guint layer, gboolean which_h,
    const float *src)
{
  const SeqLstmModel *m;

  g_return_if_fail (state != NULL && src != NULL);
  m = state->model;
  g_return_if_fail (layer < m->L);
  if (which_h)
    memcpy (state->h + (gsize) layer * m->O, src, m->O * sizeof (float));
  else
    memcpy (state->c + (gsize) layer * m->H, src, m->H * sizeof (float));
}

/* State blob, all integers and floats little-endian:
 *
 *   offset  size  field
 *   0       8     magic "SEQLSTMS"
 *   8       4     format version (1)
 *   12      4     header size in bytes (64)
 *   16      4     num_layers L
 *   20      4     input_size I
 *   24      4     hidden_size H
 *   28      4     proj_size P
 *   32      4     precision: 0 f32, 1 bf16, 2 f16 weights; 3 bf16 matmul
 *   36      4     reserved (0)
 *   40      8     model fingerprint (seq_lstm_model_get_fingerprint)
 *   48      8     steps since t = 0
 *   56      8     payload size in bytes: 4 * L * (O + H)
 *   64      ...   h of every layer ([L][O] f32), then c ([L][H] f32)
 *   end-4   4     CRC-32 (IEEE 802.3, as zlib's crc32) of every byte before it
 */
#define BLOB_MAGIC "SEQLSTMS"
#define BLOB_VERSION 1
#define BLOB_HEADER 64

GBytes *
seq_lstm_state_save (const SeqLstmState * state)
{
  const SeqLstmModel *m;
  gsize nh, nc, payload, total;
  guint8 *b;

  g_return_val_if_fail (state != NULL, NULL);
  m = state->model;
  nh = (gsize) m->L * m->O;
  nc = (gsize) m->L * m->H;
  payload = (nh + nc) * 4;
  total = BLOB_HEADER + payload + 4;
  b = g_malloc0 (total);
  memcpy (b, BLOB_MAGIC, 8);
  put_u32 (b + 8, BLOB_VERSION);
  put_u32 (b + 12, BLOB_HEADER);
  put_u32 (b + 16, m->L);
  put_u32 (b + 20, m->I);
  put_u32 (b + 24, m->H);
  put_u32 (b + 28, m->P);
  put_u32 (b + 32, m->precision_code);
  put_u64 (b + 40, m->fingerprint);
  put_u64 (b + 48, state->steps);
  put_u64 (b + 56, payload);
  for (gsize i = 0; i < nh; i++) {
    guint32 u;
    memcpy (&u, &state->h[i], 4);
    put_u32 (b + BLOB_HEADER + 4 * i, u);
  }
  for (gsize i = 0; i < nc; i++) {
    guint32 u;
    memcpy (&u, &state->c[i], 4);
    put_u32 (b + BLOB_HEADER + 4 * (nh + i), u);
  }
  put_u32 (b + total - 4, seq_crc32 (b, total - 4));
  return g_bytes_new_take (b, total);
}

#define SERR(...) g_set_error (error, SEQ_LSTM_ERROR, SEQ_LSTM_ERROR_STATE, \
    __VA_ARGS__)

gboolean
seq_lstm_state_restore (SeqLstmState * state, GBytes * blob, GError ** error)
{
  const SeqLstmModel *m;
  const guint8 *b;
  gsize n, nh, nc, payload;

  g_return_val_if_fail (state != NULL, FALSE);
  g_return_val_if_fail (blob != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  m = state->model;
  b = g_bytes_get_data (blob, &n);
  nh = (gsize) m->L * m->O;
  nc = (gsize) m->L * m->H;
  payload = (nh + nc) * 4;

  if (n < BLOB_HEADER + 4 || memcmp (b, BLOB_MAGIC, 8) != 0) {
    SERR ("not an LSTM state blob (bad magic or only %" G_GSIZE_FORMAT
        " bytes)", n);
    return FALSE;
  }
  if (get_u32 (b + 8) != BLOB_VERSION || get_u32 (b + 12) != BLOB_HEADER) {
    SERR ("LSTM state blob version %u is not supported (expected %u)",
        get_u32 (b + 8), BLOB_VERSION);
    return FALSE;
  }
  if (get_u64 (b + 56) != payload || n != BLOB_HEADER + payload + 4) {
    SERR ("LSTM state blob is truncated or does not fit this model (%"
        G_GSIZE_FORMAT " bytes, expected %" G_GSIZE_FORMAT ")", n,
        (gsize) (BLOB_HEADER + payload + 4));
    return FALSE;
  }
  if (seq_crc32 (b, n - 4) != get_u32 (b + n - 4)) {
    SERR ("LSTM state blob is corrupted (checksum mismatch)");
    return FALSE;
  }
  if (get_u32 (b + 16) != m->L || get_u32 (b + 20) != m->I
      || get_u32 (b + 24) != m->H || get_u32 (b + 28) != m->P) {
    SERR ("LSTM state blob is for a model of other sizes (L=%u I=%u H=%u "
        "P=%u; this model L=%u I=%u H=%u P=%u)", get_u32 (b + 16),
        get_u32 (b + 20), get_u32 (b + 24), get_u32 (b + 28), m->L, m->I,
        m->H, m->P);
    return FALSE;
  }
  if (get_u64 (b + 40) != m->fingerprint
      || get_u32 (b + 32) != m->precision_code) {
    SERR ("LSTM state blob was written for another model (fingerprint "
        "%016" G_GINT64_MODIFIER "x, this model %016" G_GINT64_MODIFIER "x)",
        get_u64 (b + 40), m->fingerprint);
    return FALSE;
  }
  for (gsize i = 0; i < nh; i++) {
    guint32 u = get_u32 (b + BLOB_HEADER + 4 * i);
    memcpy (&state->h[i], &u, 4);
  }
  for (gsize i = 0; i < nc; i++) {
    guint32 u = get_u32 (b + BLOB_HEADER + 4 * (nh + i));
    memcpy (&state->c[i], &u, 4);
  }
  state->steps = get_u64 (b + 48);
  return TRUE;
}

/* ---- workspace and forward ---------------------------------------------- */

SeqLstmWorkspace *
seq_lstm_workspace_new (const SeqLstmModel * model, guint max_streams,
    guint max_steps, guint n_threads)
{
  SeqLstmWorkspace *ws;
  const SeqRnnNet *net;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (max_streams > 0 && max_steps > 0, NULL);

  net = &model->net;
  ws = g_new0 (SeqLstmWorkspace, 1);
  ws->model = seq_lstm_model_ref ((SeqLstmModel *) model);
  if (!seq_rnn_runner_init (&ws->r, net, max_streams, max_steps, n_threads)) {
    g_warning ("LSTM workspace for %u streams x %u steps is too large",
        max_streams, max_steps);
    seq_lstm_workspace_free (ws);
    return NULL;
  }
  return ws;
}

void
seq_lstm_workspace_free (SeqLstmWorkspace * ws)
{
  if (ws == NULL)
    return;
  seq_rnn_runner_clear (&ws->r);
  seq_lstm_model_unref (ws->model);
  g_free (ws);
}

guint
seq_lstm_workspace_get_n_threads (const SeqLstmWorkspace * ws)
{
  g_return_val_if_fail (ws != NULL, 1);
  return ws->r.n_threads;
}

guint
seq_lstm_workspace_get_max_streams (const SeqLstmWorkspace * ws)
{
  g_return_val_if_fail (ws != NULL, 0);
  return ws->r.max_streams;
}

gboolean
seq_lstm_workspace_set_kernels (SeqLstmWorkspace * ws, SeqLstmKernels kernels,
    GError ** error)
{
  SeqKernelsIsa isa;

  g_return_val_if_fail (ws != NULL, FALSE);
  switch (kernels) {
    case SEQ_LSTM_KERNELS_SCALAR:
      isa = SEQ_KERNELS_SCALAR;
      break;
    case SEQ_LSTM_KERNELS_AVX2:
      isa = SEQ_KERNELS_AVX2;
      break;
    case SEQ_LSTM_KERNELS_AVX512:
      isa = SEQ_KERNELS_AVX512;
      break;
    case SEQ_LSTM_KERNELS_AMX:
      isa = SEQ_KERNELS_AMX;
      break;
    case SEQ_LSTM_KERNELS_AVX512_BF16:
      isa = SEQ_KERNELS_AVX512BF16;
      break;
    case SEQ_LSTM_KERNELS_AUTO:
    default:
      isa = SEQ_KERNELS_AUTO;
      break;
  }
  if (!seq_rnn_runner_set_isa (&ws->r, isa)) {
    g_set_error (error, SEQ_LSTM_ERROR, SEQ_LSTM_ERROR_UNSUPPORTED,
        "these LSTM kernels are not built in or not supported by this CPU");
    return FALSE;
  }
  return TRUE;
}

void
seq_lstm_workspace_set_spin_us (SeqLstmWorkspace * ws, guint spin_us)
{
  g_return_if_fail (ws != NULL);
  seq_pool_set_spin_us (ws->r.pool, spin_us);
}

const gchar *
seq_lstm_workspace_get_kernels_name (const SeqLstmWorkspace * ws)
{
  g_return_val_if_fail (ws != NULL, NULL);
  return ws->r.kernels->name;
}

/* h and c of B streams between their states and the workspace's [L][B]
 * rows (@in: into the workspace). With many streams the copies (24 KiB per
 * stream for the speech model, each way) are split over the pool's
 * threads. */
typedef struct {
  SeqLstmWorkspace *ws;
  const SeqLstmModel *model;
  SeqLstmState *const *states;
  guint B;
  gboolean in;
} StateCopy;

static void
state_copy_range (const StateCopy * sc, guint b0, guint b1)
{
  const SeqLstmModel *m = sc->model;
  SeqRnnScratch *s = &sc->ws->r.s;
  const guint L = m->L, O = m->O, H = m->H, Hp = m->net.Hp, B = sc->B;
  const gsize ldo = m->net.ldo;

  for (guint b = b0; b < b1; b++) {
    SeqLstmState *st = sc->states[b];
    for (guint l = 0; l < L; l++) {
      float *h = s->h0 + ((gsize) l * B + b) * ldo;
      float *c = s->c + ((gsize) l * B + b) * Hp;
      if (sc->in) {
        memcpy (h, st->h + (gsize) l * O, O * sizeof (float));
        memcpy (c, st->c + (gsize) l * H, H * sizeof (float));
      } else {
        memcpy (st->h + (gsize) l * O, h, O * sizeof (float));
        memcpy (st->c + (gsize) l * H, c, H * sizeof (float));
      }
    }
  }
}

static void
state_copy_job (gpointer data, guint tid, guint nt, SeqPool * pool)
{
  const StateCopy *sc = data;

  (void) pool;
  state_copy_range (sc, (guint) ((guint64) sc->B * tid / nt),
      (guint) ((guint64) sc->B * (tid + 1) / nt));
}

#define STATE_COPY_PARALLEL_MIN 16      /* streams */

static void
state_copy (SeqLstmWorkspace * ws, const SeqLstmModel * model,
    SeqLstmState * const *states, guint B, gboolean in)
{
  StateCopy sc = { ws, model, states, B, in };

  if (B >= STATE_COPY_PARALLEL_MIN && ws->r.n_threads > 1)
    seq_pool_run (ws->r.pool, state_copy_job, &sc);
  else
    state_copy_range (&sc, 0, B);
}

void
seq_lstm_forward (const SeqLstmModel * model, SeqLstmState * const *states,
    guint n_streams, const float *input, guint n_steps, float *output,
    SeqLstmOutput mode, SeqLstmWorkspace * ws)
{
  const SeqRnnNet *net;
  guint L, O, B = n_streams, width;
  gboolean all = mode == SEQ_LSTM_OUTPUT_ALL_LAYERS;

  g_return_if_fail (model != NULL && ws != NULL);
  g_return_if_fail (ws->model == model
      || ws->model->fingerprint == model->fingerprint);
  g_return_if_fail (n_streams <= ws->r.max_streams);
  g_return_if_fail (n_steps == 0 || (states != NULL && input != NULL
          && output != NULL));
  if (n_steps == 0 || n_streams == 0)
    return;

  net = &model->net;
  L = model->L;
  O = model->O;
  width = all ? L * O : O;

  for (guint b = 0; b < B; b++)
    g_return_if_fail (states[b] != NULL && states[b]->model->fingerprint ==
        model->fingerprint);
  state_copy (ws, model, states, B, TRUE);

  seq_rnn_runner_forward (&ws->r, net, B, input, n_steps, output, width,
      all);

  state_copy (ws, model, states, B, FALSE);
  for (guint b = 0; b < B; b++)
    states[b]->steps += n_steps;
}

/* ---- the recurrent interface (recurrent.h) ------------------------------ */

static gpointer
iface_model_ref (gpointer model)
{
  return seq_lstm_model_ref (model);
}

static void
iface_model_unref (gpointer model)
{
  seq_lstm_model_unref (model);
}

static guint
iface_input_size (gconstpointer model)
{
  return seq_lstm_model_input_size (model);
}

static guint
iface_output_width (gconstpointer model, SeqRecurrentOutput mode)
{
  return seq_lstm_model_output_width (model, mode);
}

static guint64
iface_fingerprint (gconstpointer model)
{
  return seq_lstm_model_get_fingerprint (model);
}

static gconstpointer
iface_state_get_model (gconstpointer state)
{
  return seq_lstm_state_get_model (state);
}

static gpointer
iface_workspace_new (gconstpointer model, guint max_streams, guint max_steps,
    guint n_threads)
{
  return seq_lstm_workspace_new (model, max_streams, max_steps, n_threads);
}

static void
iface_workspace_free (gpointer ws)
{
  seq_lstm_workspace_free (ws);
}

static void
iface_forward (gconstpointer model, gpointer const *states, guint n_streams,
    const float *input, guint n_steps, float *output, SeqRecurrentOutput mode,
    gpointer ws)
{
  seq_lstm_forward (model, (SeqLstmState * const *) states, n_streams, input,
      n_steps, output, mode, ws);
}

static const SeqRecurrentIface lstm_iface = {
  .name = "lstm",
  .model_ref = iface_model_ref,
  .model_unref = iface_model_unref,
  .input_size = iface_input_size,
  .output_width = iface_output_width,
  .fingerprint = iface_fingerprint,
  .state_get_model = iface_state_get_model,
  .workspace_new = iface_workspace_new,
  .workspace_free = iface_workspace_free,
  .forward = iface_forward,
};

const SeqRecurrentIface *
seq_lstm_recurrent (void)
{
  return &lstm_iface;
}
