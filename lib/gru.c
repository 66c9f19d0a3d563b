/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — stacked GRU with PyTorch nn.GRU semantics (see gru.h).
 *
 * The cell file of the GRU: it loads the tensors, packs them for the kernel
 * layer (lib/kernels/packed.h: panels of the three gates r, z, n of 16
 * hidden units; b_ih is the input projection's bias row, b_hh the
 * recurrent chain's, kept apart because b_hn sits inside the reset
 * product) and runs the recurrent driver of lib/kernels/rnn.h with the GRU
 * cell. A forward call gathers the streams' h into the workspace, runs the
 * driver over chunks of at most max_steps steps and scatters h back; it
 * allocates nothing.
 */
#include "seqenc/gru.h"
#include "blob.h"
#include "seqenc-private.h"
#include "kernels/rnn.h"

#include <math.h>
#include <string.h>

#define N_GATES 3

/* Sizes above these are refused as absurd (SEQ_GRU_ERROR_CONFIG/WEIGHTS). */
#define SEQ_GRU_MAX_WIDTH (1u << 16)    /* I, H */
#define SEQ_GRU_MAX_LAYERS 64
/* Largest number of weight elements of one layer (3H x (I + H)). */
#define SEQ_GRU_MAX_LAYER_ELEMENTS ((gsize) 1 << 30)

struct _SeqGruModel {
  gint ref_count;
  guint I, H, L;
  gboolean bias;
  SeqPrecision precision;   /* storage as built */
  SeqMatmulPrecision matmul;
  guint32 precision_code;       /* 0 f32, 1 bf16, 2 f16 weights, 3 bf16 matmul */
  guint64 fingerprint;
  SeqRnnNet net;                /* packed layers for the kernels */
  float *zeros;
};

struct _SeqGruState {
  SeqGruModel *model;
  guint64 steps;
  float *h;                     /* [L][H] */
};

struct _SeqGruWorkspace {
  SeqGruModel *model;
  SeqRnnRunner r;               /* scratch, pool, kernels */
};

G_DEFINE_QUARK (seq-gru-error-quark, seq_gru_error);

#define WERR(...) g_set_error (error, SEQ_GRU_ERROR, SEQ_GRU_ERROR_WEIGHTS, \
    __VA_ARGS__)

/* ---- parameters ---------------------------------------------------------- */

SeqGruModelParams
seq_gru_model_params_default (void)
{
  SeqGruModelParams p = {
    .weights_precision = SEQ_PRECISION_F32,
    .matmul_precision = SEQ_MATMUL_F32,
    .prefix = NULL,
  };
  return p;
}

SeqGruRandomParams
seq_gru_random_params_default (void)
{
  SeqGruRandomParams p = {
    .input_size = 80,
    .hidden_size = 256,
    .num_layers = 2,
    .bias = TRUE,
    .seed = 0,
  };
  return p;
}

gboolean
seq_gru_model_params_validate (const SeqGruModelParams * params,
    GError ** error)
{
  g_return_val_if_fail (params != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  if ((guint) params->weights_precision > SEQ_PRECISION_F16
      || (guint) params->matmul_precision > SEQ_MATMUL_BF16) {
    g_set_error (error, SEQ_GRU_ERROR, SEQ_GRU_ERROR_CONFIG,
        "unknown GRU precision (weights %d, matmul %d)",
        (int) params->weights_precision, (int) params->matmul_precision);
    return FALSE;
  }
  if (params->matmul_precision == SEQ_MATMUL_BF16
      && params->weights_precision == SEQ_PRECISION_F16) {
    g_set_error (error, SEQ_GRU_ERROR, SEQ_GRU_ERROR_CONFIG,
        "bf16 matmul precision rounds the weights to bf16: the weights "
        "precision must be f32 or bf16, not f16");
    return FALSE;
  }
  return TRUE;
}

static SeqKDtype
kdtype_of (const SeqGruModelParams * p)
{
  if (p->matmul_precision == SEQ_MATMUL_BF16)
    return SEQ_KDTYPE_BF16_VNNI;
  switch (p->weights_precision) {
    case SEQ_PRECISION_BF16:
      return SEQ_KDTYPE_BF16;
    case SEQ_PRECISION_F16:
      return SEQ_KDTYPE_F16;
    case SEQ_PRECISION_F32:
    default:
      return SEQ_KDTYPE_F32;
  }
}

/* ---- model construction ------------------------------------------------- */

/* One layer's tensors in PyTorch layout (row-major, [out][in]). */
typedef struct {
  const float *w_ih;            /* [3H][K_in] */
  const float *w_hh;            /* [3H][H] */
  const float *b_ih;            /* [3H] or NULL */
  const float *b_hh;            /* [3H] or NULL */
} LayerSrc;

static void
model_free (SeqGruModel * m)
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

/* b (3H, PyTorch order) into @dst (packed order); zeros when NULL */
static void
pack_bias (float *dst, const float *b, guint H)
{
  if (b == NULL)
    return;
  for (guint u = 0; u < H; u++)
    for (guint q = 0; q < N_GATES; q++)
      dst[seq_rnn_gate_col (u, q, N_GATES)] = b[q * H + u];
}

static SeqGruModel *
model_build (guint I, guint H, guint L, gboolean bias,
    const SeqGruModelParams * mp, const LayerSrc * src, GError ** error)
{
  SeqGruModel *m = g_new0 (SeqGruModel, 1);
  SeqKDtype dt = kdtype_of (mp);
  guint Hp = (H + SEQ_GROUP - 1) / SEQ_GROUP * SEQ_GROUP;
  gsize ldo = (gsize) (H + SEQ_PANEL - 1) / SEQ_PANEL * SEQ_PANEL;
  gsize ldg = (gsize) N_GATES * Hp;
  guint64 fp = SEQ_FNV64_OFFSET;

  m->ref_count = 1;
  m->I = I;
  m->H = H;
  m->L = L;
  m->bias = bias;
  m->matmul = mp->matmul_precision;
  m->precision = m->matmul == SEQ_MATMUL_BF16 ? SEQ_PRECISION_BF16 :
      mp->weights_precision;
  m->precision_code = m->matmul == SEQ_MATMUL_BF16 ? 3 :
      (guint32) mp->weights_precision;
  m->zeros = seq_aligned_floats (MAX (ldg, ldo));
  m->net.layers = g_new0 (SeqRnnLayer, L);
  m->net.cell = SEQ_CELL_GRU;
  m->net.G = N_GATES;
  m->net.L = L;
  m->net.I = I;
  m->net.H = H;
  m->net.P = 0;
  m->net.O = H;
  m->net.Hp = Hp;
  m->net.ldo = ldo;
  m->net.zeros = m->zeros;
  m->net.bf16 = m->matmul == SEQ_MATMUL_BF16;
  m->net.ldb = MAX (seq_bf16_kp (I), seq_bf16_kp (H));
  if (m->zeros == NULL)
    goto oom;

  fp = hash_u32 (fp, 0x47525520);       /* "GRU " */
  fp = hash_u32 (fp, I);
  fp = hash_u32 (fp, H);
  fp = hash_u32 (fp, L);
  fp = hash_u32 (fp, bias);
  fp = hash_u32 (fp, m->precision_code);

  for (guint l = 0; l < L; l++) {
    SeqRnnLayer *ly = &m->net.layers[l];
    guint K_in = l == 0 ? I : H;

    ly->K_in = K_in;
    ly->bias = seq_aligned_floats (ldg);
    ly->bias_h = seq_aligned_floats (ldg);
    if (ly->bias == NULL || ly->bias_h == NULL
        || !seq_rnn_pack_gates (&ly->wx, src[l].w_ih, K_in, H, N_GATES, dt)
        || !seq_rnn_pack_gates (&ly->wh, src[l].w_hh, H, H, N_GATES, dt))
      goto oom;
    pack_bias (ly->bias, src[l].b_ih, H);
    pack_bias (ly->bias_h, src[l].b_hh, H);
    fp = seq_fnv64_wide (fp, ly->wx.data, seq_packed_n_bytes (&ly->wx));
    fp = seq_fnv64_wide (fp, ly->wh.data, seq_packed_n_bytes (&ly->wh));
    fp = seq_fnv64_wide (fp, ly->bias, ldg * sizeof (float));
    fp = seq_fnv64_wide (fp, ly->bias_h, ldg * sizeof (float));
  }
  m->fingerprint = fp;
  return m;

oom:
  g_set_error (error, SEQ_GRU_ERROR, SEQ_GRU_ERROR_CONFIG,
      "GRU model too large: out of memory (I=%u H=%u L=%u)", I, H, L);
  model_free (m);
  return NULL;
}

static gboolean
check_sizes (guint I, guint H, guint L, gint code, GError ** error)
{
  gsize per_layer = (gsize) N_GATES * H * ((gsize) MAX (I, H) + H);

  if (I == 0 || H == 0 || L == 0) {
    g_set_error (error, SEQ_GRU_ERROR, code,
        "GRU sizes must be positive (input %u, hidden %u, layers %u)", I, H,
        L);
    return FALSE;
  }
  if (I > SEQ_GRU_MAX_WIDTH || H > SEQ_GRU_MAX_WIDTH
      || L > SEQ_GRU_MAX_LAYERS) {
    g_set_error (error, SEQ_GRU_ERROR, code,
        "GRU sizes too large (input %u, hidden %u, layers %u; limits %u, "
        "%u, %u)", I, H, L, SEQ_GRU_MAX_WIDTH, SEQ_GRU_MAX_WIDTH,
        SEQ_GRU_MAX_LAYERS);
    return FALSE;
  }
  if (per_layer > SEQ_GRU_MAX_LAYER_ELEMENTS) {
    g_set_error (error, SEQ_GRU_ERROR, code,
        "GRU layer too large: %" G_GSIZE_FORMAT " weights (limit %"
        G_GSIZE_FORMAT ")", per_layer, SEQ_GRU_MAX_LAYER_ELEMENTS);
    return FALSE;
  }
  return TRUE;
}

SeqGruModel *
seq_gru_model_new_random (const SeqGruRandomParams * shape,
    const SeqGruModelParams * params, GError ** error)
{
  SeqGruModelParams mp;
  guint I, H, L;
  float bound;
  SeqRng rng;
  LayerSrc *src;
  float **bufs;
  SeqGruModel *m = NULL;

  g_return_val_if_fail (shape != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  mp = params ? *params : seq_gru_model_params_default ();
  if (!seq_gru_model_params_validate (&mp, error))
    return NULL;
  I = shape->input_size;
  H = shape->hidden_size;
  L = shape->num_layers;
  if (!check_sizes (I, H, L, SEQ_GRU_ERROR_CONFIG, error))
    return NULL;

  /* PyTorch's reset_parameters: every parameter U(-1/sqrt(H), 1/sqrt(H)),
   * drawn in the order of its _flat_weights: w_ih, w_hh, b_ih, b_hh */
  bound = 1.0f / sqrtf ((float) H);
  seq_rng_init (&rng, shape->seed);
  src = g_new0 (LayerSrc, L);
  bufs = g_new0 (float *, (gsize) L * 4);
  for (guint l = 0; l < L; l++) {
    guint K_in = l == 0 ? I : H;
    gsize sizes[4] = { (gsize) N_GATES * H * K_in, (gsize) N_GATES * H * H,
      shape->bias ? (gsize) N_GATES * H : 0,
      shape->bias ? (gsize) N_GATES * H : 0
    };
    for (guint t = 0; t < 4; t++) {
      if (sizes[t] == 0)
        continue;
      bufs[l * 4 + t] = g_try_new (float, sizes[t]);
      if (bufs[l * 4 + t] == NULL) {
        g_set_error (error, SEQ_GRU_ERROR, SEQ_GRU_ERROR_CONFIG,
            "GRU model too large: out of memory");
        goto done;
      }
      for (gsize i = 0; i < sizes[t]; i++)
        bufs[l * 4 + t][i] = seq_rng_uniform (&rng, -bound, bound);
    }
    src[l].w_ih = bufs[l * 4];
    src[l].w_hh = bufs[l * 4 + 1];
    src[l].b_ih = bufs[l * 4 + 2];
    src[l].b_hh = bufs[l * 4 + 3];
  }
  m = model_build (I, H, L, shape->bias, &mp, src, error);

done:
  for (guint i = 0; i < L * 4; i++)
    g_free (bufs[i]);
  g_free (bufs);
  g_free (src);
  return m;
}

/* ---- loading from a weight file ----------------------------------------- */

/* Finds the prefix: the text before "weight_ih_l0" in tensor names. */
static gchar *
detect_prefix (const SeqWeights * w, GError ** error)
{
  static const gchar key[] = "weight_ih_l0";
  const gsize klen = sizeof (key) - 1;
  GPtrArray *cands = g_ptr_array_new_with_free_func (g_free);
  guint n = seq_weights_n_tensors (w);
  gchar *result = NULL;

  for (guint i = 0; i < n; i++) {
    const gchar *name = seq_weights_get (w, i)->name;
    gsize len = strlen (name);
    if (len >= klen && strcmp (name + len - klen, key) == 0)
      g_ptr_array_add (cands, g_strndup (name, len - klen));
  }
  if (cands->len == 1) {
    result = g_strdup (g_ptr_array_index (cands, 0));
  } else if (cands->len == 0) {
    WERR ("no GRU weights found: no tensor name ends in \"weight_ih_l0\"");
  } else {
    GString *s = g_string_new (NULL);
    for (guint i = 0; i < cands->len; i++)
      g_string_append_printf (s, "%s\"%s\"", i ? ", " : "",
          (const gchar *) g_ptr_array_index (cands, i));
    WERR ("ambiguous GRU weights: %u candidate prefixes (%s); name one "
        "(model-prefix)", cands->len, s->str);
    g_string_free (s, TRUE);
  }
  g_ptr_array_unref (cands);
  return result;
}

/* Tensor @pre@name@l as f32, which must have the shape [d0] (d1 == 0) or
 * [d0][d1]. NULL and @error when absent or of another shape. */
static float *
read_tensor (const SeqWeights * w, const gchar * pre, const gchar * name,
    guint l, gint64 d0, gint64 d1, GError ** error)
{
  gchar *full = g_strdup_printf ("%s%s%u", pre, name, l);
  const SeqTensorInfo *t = seq_weights_find (w, full);
  guint rank = d1 ? 2 : 1;
  float *buf = NULL;
  GError *err = NULL;

  if (t == NULL) {
    WERR ("GRU tensor \"%s\" is missing", full);
  } else if (t->rank != rank || t->shape[0] != d0
      || (rank == 2 && t->shape[1] != d1)) {
    GString *have = g_string_new (NULL);
    for (guint i = 0; i < t->rank; i++)
      g_string_append_printf (have, "%s%" G_GINT64_FORMAT, i ? ", " : "",
          t->shape[i]);
    if (rank == 2)
      WERR ("GRU tensor \"%s\" has shape [%s], expected [%" G_GINT64_FORMAT
          ", %" G_GINT64_FORMAT "]", full, have->str, d0, d1);
    else
      WERR ("GRU tensor \"%s\" has shape [%s], expected [%" G_GINT64_FORMAT
          "]", full, have->str, d0);
    g_string_free (have, TRUE);
  } else if ((buf = g_try_new (float, t->n_elements ? t->n_elements : 1))
      == NULL) {
    WERR ("GRU tensor \"%s\" too large", full);
  } else if (!seq_tensor_to_f32 (t, buf, t->n_elements, &err)) {
    WERR ("GRU tensor \"%s\": %s", full, err->message);
    g_clear_error (&err);
    g_clear_pointer (&buf, g_free);
  }
  g_free (full);
  return buf;
}

static gboolean
has_tensor (const SeqWeights * w, const gchar * pre, const gchar * name,
    guint l)
{
  gchar *full = g_strdup_printf ("%s%s%u", pre, name, l);
  gboolean found = seq_weights_find (w, full) != NULL;
  g_free (full);
  return found;
}

SeqGruModel *
seq_gru_model_new_from_weights (const SeqWeights * weights,
    const SeqGruModelParams * params, GError ** error)
{
  SeqGruModelParams mp;
  gchar *pre = NULL;
  guint n, I = 0, H = 0, L = 0;
  gboolean bias;
  const SeqTensorInfo *t;
  LayerSrc *src = NULL;
  float **bufs = NULL;
  SeqGruModel *m = NULL;

  g_return_val_if_fail (weights != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  mp = params ? *params : seq_gru_model_params_default ();
  if (!seq_gru_model_params_validate (&mp, error))
    return NULL;
  if (mp.prefix != NULL && mp.prefix[0] != '\0')
    pre = g_strdup (mp.prefix);
  else if ((pre = detect_prefix (weights, error)) == NULL)
    return NULL;

  n = seq_weights_n_tensors (weights);
  for (guint i = 0; i < n; i++) {
    const gchar *tn = seq_weights_get (weights, i)->name;
    if (g_str_has_prefix (tn, pre) && g_str_has_suffix (tn, "_reverse")) {
      g_set_error (error, SEQ_GRU_ERROR, SEQ_GRU_ERROR_UNSUPPORTED,
          "bidirectional GRU weights (\"%s\") are not supported: a "
          "streaming encoder has no future context to run the reverse "
          "direction on", tn);
      goto done;
    }
  }

  while (L <= SEQ_GRU_MAX_LAYERS && has_tensor (weights, pre, "weight_ih_l",
          L))
    L++;
  if (L == 0) {
    WERR ("GRU tensor \"%sweight_ih_l0\" is missing", pre);
    goto done;
  }
  if (L > SEQ_GRU_MAX_LAYERS) {
    WERR ("too many GRU layers (limit %u)", SEQ_GRU_MAX_LAYERS);
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
    if (g_str_has_prefix (rest, "weight_hr_l")) {
      WERR ("GRU weights have no projection: \"%s\" looks like an LSTM "
          "tensor", tn);
      goto done;
    }
    if (!(g_str_has_prefix (rest, "weight_") || g_str_has_prefix (rest,
                "bias_")) || (lpos = strstr (rest, "_l")) == NULL)
      continue;
    k = g_ascii_strtoull (lpos + 2, &end, 10);
    if (end != lpos + 2 && *end == '\0' && k >= L) {
      WERR ("GRU tensor \"%s\" belongs to layer %" G_GUINT64_FORMAT
          " but \"%sweight_ih_l%u\" is missing", tn, k, pre, L);
      goto done;
    }
  }

  /* sizes: H from weight_hh_l0 [3H, H], I from weight_ih_l0 [3H, I] */
  {
    gchar *name = g_strconcat (pre, "weight_hh_l0", NULL);
    t = seq_weights_find (weights, name);
    g_free (name);
  }
  if (t == NULL) {
    WERR ("GRU tensor \"%sweight_hh_l0\" is missing", pre);
    goto done;
  }
  if (t->rank != 2 || t->shape[1] <= 0 || t->shape[1] > SEQ_GRU_MAX_WIDTH
      || t->shape[0] != N_GATES * t->shape[1]) {
    WERR ("GRU tensor \"%sweight_hh_l0\" must be [3*hidden, hidden]%s", pre,
        t->rank == 2 && t->shape[0] == 4 * t->shape[1] ?
        " (this is [4*hidden, hidden]: LSTM weights?)" : "");
    goto done;
  }
  H = (guint) t->shape[1];
  {
    gchar *name = g_strconcat (pre, "weight_ih_l0", NULL);
    t = seq_weights_find (weights, name);
    g_free (name);
  }
  if (t->rank != 2 || t->shape[0] != (gint64) N_GATES * H
      || t->shape[1] <= 0 || t->shape[1] > SEQ_GRU_MAX_WIDTH) {
    WERR ("GRU tensor \"%sweight_ih_l0\" must be [3*hidden = %u, input]", pre,
        N_GATES * H);
    goto done;
  }
  I = (guint) t->shape[1];
  bias = has_tensor (weights, pre, "bias_ih_l", 0);
  if (!check_sizes (I, H, L, SEQ_GRU_ERROR_WEIGHTS, error))
    goto done;

  src = g_new0 (LayerSrc, L);
  bufs = g_new0 (float *, (gsize) L * 4);
  for (guint l = 0; l < L; l++) {
    gint64 G3H = (gint64) N_GATES * H;
    if ((bufs[l * 4] = read_tensor (weights, pre, "weight_ih_l", l, G3H,
                l == 0 ? I : H, error)) == NULL
        || (bufs[l * 4 + 1] = read_tensor (weights, pre, "weight_hh_l", l,
                G3H, H, error)) == NULL)
      goto done;
    if (bias) {
      if ((bufs[l * 4 + 2] = read_tensor (weights, pre, "bias_ih_l", l, G3H,
                  0, error)) == NULL
          || (bufs[l * 4 + 3] = read_tensor (weights, pre, "bias_hh_l", l,
                  G3H, 0, error)) == NULL)
        goto done;
    } else if (has_tensor (weights, pre, "bias_ih_l", l)
        || has_tensor (weights, pre, "bias_hh_l", l)) {
      WERR ("GRU layer %u has a bias but \"%sbias_ih_l0\" is missing: "
          "biases must be given for both directions of every layer or not "
          "at all", l, pre);
      goto done;
    }
    src[l].w_ih = bufs[l * 4];
    src[l].w_hh = bufs[l * 4 + 1];
    src[l].b_ih = bufs[l * 4 + 2];
    src[l].b_hh = bufs[l * 4 + 3];
  }
  m = model_build (I, H, L, bias, &mp, src, error);

done:
  if (bufs != NULL) {
    for (guint i = 0; i < L * 4; i++)
      g_free (bufs[i]);
    g_free (bufs);
  }
  g_free (src);
  g_free (pre);
  return m;
}

SeqGruModel *
seq_gru_model_new_from_file (const gchar * path,
    const SeqGruModelParams * params, GError ** error)
{
  SeqWeights *w;
  SeqGruModel *m;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  w = seq_weights_open (path, error);
  if (w == NULL)
    return NULL;
  m = seq_gru_model_new_from_weights (w, params, error);
  seq_weights_unref (w);
  return m;
}

SeqGruModel *
seq_gru_model_ref (SeqGruModel * model)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_atomic_int_inc (&model->ref_count);
  return model;
}

void
seq_gru_model_unref (SeqGruModel * model)
{
  if (model == NULL)
    return;
  if (g_atomic_int_dec_and_test (&model->ref_count))
    model_free (model);
}

guint
seq_gru_model_input_size (const SeqGruModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->I;
}

guint
seq_gru_model_hidden_size (const SeqGruModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->H;
}

guint
seq_gru_model_num_layers (const SeqGruModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->L;
}

guint
seq_gru_model_output_width (const SeqGruModel * model,
    SeqRecurrentOutput mode)
{
  g_return_val_if_fail (model != NULL, 0);
  return mode == SEQ_RECURRENT_OUTPUT_ALL_LAYERS ? model->L * model->H :
      model->H;
}

SeqPrecision
seq_gru_model_get_weights_precision (const SeqGruModel * model)
{
  g_return_val_if_fail (model != NULL, SEQ_PRECISION_F32);
  return model->precision;
}

SeqMatmulPrecision
seq_gru_model_get_matmul_precision (const SeqGruModel * model)
{
  g_return_val_if_fail (model != NULL, SEQ_MATMUL_F32);
  return model->matmul;
}

gboolean
seq_gru_model_has_bias (const SeqGruModel * model)
{
  g_return_val_if_fail (model != NULL, FALSE);
  return model->bias;
}

guint64
seq_gru_model_get_fingerprint (const SeqGruModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->fingerprint;
}

/* ---- state -------------------------------------------------------------- */

SeqGruState *
seq_gru_state_new (const SeqGruModel * model)
{
  SeqGruState *s;

  g_return_val_if_fail (model != NULL, NULL);
  s = g_new0 (SeqGruState, 1);
  s->model = seq_gru_model_ref ((SeqGruModel *) model);
  s->h = g_new0 (float, (gsize) model->L * model->H);
  return s;
}

void
seq_gru_state_free (SeqGruState * state)
{
  if (state == NULL)
    return;
  g_free (state->h);
  seq_gru_model_unref (state->model);
  g_free (state);
}

const SeqGruModel *
seq_gru_state_get_model (const SeqGruState * state)
{
  g_return_val_if_fail (state != NULL, NULL);
  return state->model;
}

void
seq_gru_state_reset (SeqGruState * state)
{
  g_return_if_fail (state != NULL);
  memset (state->h, 0, (gsize) state->model->L * state->model->H *
      sizeof (float));
  state->steps = 0;
}

guint64
seq_gru_state_get_steps (const SeqGruState * state)
{
  g_return_val_if_fail (state != NULL, 0);
  return state->steps;
}

void
seq_gru_state_get (const SeqGruState * state, guint layer, float *dst)
{
  g_return_if_fail (state != NULL && dst != NULL);
  g_return_if_fail (layer < state->model->L);
  memcpy (dst, state->h + (gsize) layer * state->model->H,
      state->model->H * sizeof (float));
}

void
seq_gru_state_set (SeqGruState * state, guint layer, const float *src)
{
  g_return_if_fail (state != NULL && src != NULL);
  g_return_if_fail (layer < state->model->L);
  memcpy (state->h + (gsize) layer * state->model->H, src,
      state->model->H * sizeof (float));
}

/* State blob, all integers and floats little-endian:
 *
 *   offset  size  field
 *   0       8     magic "SEQGRUST"
 *   8       4     format version (1)
 *   12      4     header size in bytes (64)
 *   16      4     num_layers L
 *   20      4     input_size I
 *   24      4     hidden_size H
 *   28      4     precision: 0 f32, 1 bf16, 2 f16 weights; 3 bf16 matmul
 *   32      8     model fingerprint (seq_gru_model_get_fingerprint)
 *   40      8     steps since t = 0
 *   48      8     payload size in bytes: 4 * L * H
 *   56      8     reserved (0)
 *   64      ...   h of every layer ([L][H] f32)
 *   end-4   4     CRC-32 (IEEE 802.3, as zlib's crc32) of every byte before it
 */
#define BLOB_MAGIC "SEQGRUST"
#define BLOB_VERSION 1
#define BLOB_HEADER 64

GBytes *
seq_gru_state_save (const SeqGruState * state)
{
  const SeqGruModel *m;
  gsize nh, total;
  guint8 *b;

  g_return_val_if_fail (state != NULL, NULL);
  m = state->model;
  nh = (gsize) m->L * m->H;
  total = BLOB_HEADER + nh * 4 + 4;
  b = g_malloc0 (total);
  memcpy (b, BLOB_MAGIC, 8);
  put_u32 (b + 8, BLOB_VERSION);
  put_u32 (b + 12, BLOB_HEADER);
  put_u32 (b + 16, m->L);
  put_u32 (b + 20, m->I);
  put_u32 (b + 24, m->H);
  put_u32 (b + 28, m->precision_code);
  put_u64 (b + 32, m->fingerprint);
  put_u64 (b + 40, state->steps);
  put_u64 (b + 48, nh * 4);
  for (gsize i = 0; i < nh; i++) {
    guint32 u;
    memcpy (&u, &state->h[i], 4);
    put_u32 (b + BLOB_HEADER + 4 * i, u);
  }
  put_u32 (b + total - 4, seq_crc32 (b, total - 4));
  return g_bytes_new_take (b, total);
}

#define SERR(...) g_set_error (error, SEQ_GRU_ERROR, SEQ_GRU_ERROR_STATE, \
    __VA_ARGS__)

gboolean
seq_gru_state_restore (SeqGruState * state, GBytes * blob, GError ** error)
{
  const SeqGruModel *m;
  const guint8 *b;
  gsize n, nh;

  g_return_val_if_fail (state != NULL, FALSE);
  g_return_val_if_fail (blob != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  m = state->model;
  b = g_bytes_get_data (blob, &n);
  nh = (gsize) m->L * m->H;

  if (n < BLOB_HEADER + 4 || memcmp (b, BLOB_MAGIC, 8) != 0) {
    SERR ("not a GRU state blob (bad magic or only %" G_GSIZE_FORMAT
        " bytes)", n);
    return FALSE;
  }
  if (get_u32 (b + 8) != BLOB_VERSION || get_u32 (b + 12) != BLOB_HEADER) {
    SERR ("GRU state blob version %u is not supported (expected %u)",
        get_u32 (b + 8), BLOB_VERSION);
    return FALSE;
  }
  if (get_u64 (b + 48) != nh * 4 || n != BLOB_HEADER + nh * 4 + 4) {
    SERR ("GRU state blob is truncated or does not fit this model (%"
        G_GSIZE_FORMAT " bytes, expected %" G_GSIZE_FORMAT ")", n,
        (gsize) (BLOB_HEADER + nh * 4 + 4));
    return FALSE;
  }
  if (seq_crc32 (b, n - 4) != get_u32 (b + n - 4)) {
    SERR ("GRU state blob is corrupted (checksum mismatch)");
    return FALSE;
  }
  if (get_u32 (b + 16) != m->L || get_u32 (b + 20) != m->I
      || get_u32 (b + 24) != m->H) {
    SERR ("GRU state blob is for a model of other sizes (L=%u I=%u H=%u; "
        "this model L=%u I=%u H=%u)", get_u32 (b + 16), get_u32 (b + 20),
        get_u32 (b + 24), m->L, m->I, m->H);
    return FALSE;
  }
  if (get_u64 (b + 32) != m->fingerprint
      || get_u32 (b + 28) != m->precision_code) {
    SERR ("GRU state blob was written for another model (fingerprint "
        "%016" G_GINT64_MODIFIER "x, this model %016" G_GINT64_MODIFIER "x)",
        get_u64 (b + 32), m->fingerprint);
    return FALSE;
  }
  for (gsize i = 0; i < nh; i++) {
    guint32 u = get_u32 (b + BLOB_HEADER + 4 * i);
    memcpy (&state->h[i], &u, 4);
  }
  state->steps = get_u64 (b + 40);
  return TRUE;
}

/* ---- workspace and forward ---------------------------------------------- */

SeqGruWorkspace *
seq_gru_workspace_new (const SeqGruModel * model, guint max_streams,
    guint max_steps, guint n_threads)
{
  SeqGruWorkspace *ws;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (max_streams > 0 && max_steps > 0, NULL);

  ws = g_new0 (SeqGruWorkspace, 1);
  ws->model = seq_gru_model_ref ((SeqGruModel *) model);
  if (!seq_rnn_runner_init (&ws->r, &model->net, max_streams, max_steps,
          n_threads)) {
    g_warning ("GRU workspace for %u streams x %u steps is too large",
        max_streams, max_steps);
    seq_gru_workspace_free (ws);
    return NULL;
  }
  return ws;
}

void
seq_gru_workspace_free (SeqGruWorkspace * ws)
{
  if (ws == NULL)
    return;
  seq_rnn_runner_clear (&ws->r);
  seq_gru_model_unref (ws->model);
  g_free (ws);
}

guint
seq_gru_workspace_get_n_threads (const SeqGruWorkspace * ws)
{
  g_return_val_if_fail (ws != NULL, 1);
  return ws->r.n_threads;
}

guint
seq_gru_workspace_get_max_streams (const SeqGruWorkspace * ws)
{
  g_return_val_if_fail (ws != NULL, 0);
  return ws->r.max_streams;
}

gboolean
seq_gru_workspace_set_kernels (SeqGruWorkspace * ws, SeqLstmKernels kernels,
    GError ** error)
{
  static const SeqKernelsIsa isa_of[] = {
    [SEQ_LSTM_KERNELS_AUTO] = SEQ_KERNELS_AUTO,
    [SEQ_LSTM_KERNELS_SCALAR] = SEQ_KERNELS_SCALAR,
    [SEQ_LSTM_KERNELS_AVX2] = SEQ_KERNELS_AVX2,
    [SEQ_LSTM_KERNELS_AVX512] = SEQ_KERNELS_AVX512,
    [SEQ_LSTM_KERNELS_AMX] = SEQ_KERNELS_AMX,
    [SEQ_LSTM_KERNELS_AVX512_BF16] = SEQ_KERNELS_AVX512BF16,
  };
  g_return_val_if_fail (ws != NULL, FALSE);
  if ((guint) kernels >= G_N_ELEMENTS (isa_of)
      || !seq_rnn_runner_set_isa (&ws->r, isa_of[kernels])) {
    g_set_error (error, SEQ_GRU_ERROR, SEQ_GRU_ERROR_UNSUPPORTED,
        "these GRU kernels are not built in or not supported by this CPU");
    return FALSE;
  }
  return TRUE;
}

const gchar *
seq_gru_workspace_get_kernels_name (const SeqGruWorkspace * ws)
{
  g_return_val_if_fail (ws != NULL, NULL);
  return ws->r.kernels->name;
}

void
seq_gru_workspace_set_spin_us (SeqGruWorkspace * ws, guint spin_us)
{
  g_return_if_fail (ws != NULL);
  seq_pool_set_spin_us (ws->r.pool, spin_us);
}

/* h of B streams between their states and the workspace's [L][B] rows */
static void
state_copy (SeqGruWorkspace * ws, SeqGruState * const *states, guint B,
    gboolean in)
{
  const SeqGruModel *m = ws->model;
  const gsize ldo = m->net.ldo;

  for (guint b = 0; b < B; b++)
    for (guint l = 0; l < m->L; l++) {
      float *h = ws->r.s.h0 + ((gsize) l * B + b) * ldo;
      float *sh = states[b]->h + (gsize) l * m->H;
      if (in)
        memcpy (h, sh, m->H * sizeof (float));
      else
        memcpy (sh, h, m->H * sizeof (float));
    }
}

void
seq_gru_forward (const SeqGruModel * model, SeqGruState * const *states,
    guint n_streams, const float *input, guint n_steps, float *output,
    SeqRecurrentOutput mode, SeqGruWorkspace * ws)
{
  const guint B = n_streams;
  gboolean all = mode == SEQ_RECURRENT_OUTPUT_ALL_LAYERS;
  guint width;

  g_return_if_fail (model != NULL && ws != NULL);
  g_return_if_fail (ws->model == model
      || ws->model->fingerprint == model->fingerprint);
  g_return_if_fail (n_streams <= ws->r.max_streams);
  g_return_if_fail (n_steps == 0 || (states != NULL && input != NULL
          && output != NULL));
  if (n_steps == 0 || n_streams == 0)
    return;
  for (guint b = 0; b < B; b++)
    g_return_if_fail (states[b] != NULL && states[b]->model->fingerprint ==
        model->fingerprint);

  width = all ? model->L * model->H : model->H;
  state_copy (ws, states, B, TRUE);
  seq_rnn_runner_forward (&ws->r, &model->net, B, input, n_steps, output,
      width, all);
  state_copy (ws, states, B, FALSE);
  for (guint b = 0; b < B; b++)
    states[b]->steps += n_steps;
}

/* ---- the recurrent interface (recurrent.h) ------------------------------ */

static gpointer
iface_model_ref (gpointer model)
{
  return seq_gru_model_ref (model);
}

static void
iface_model_unref (gpointer model)
{
  seq_gru_model_unref (model);
}

static guint
iface_input_size (gconstpointer model)
{
  return seq_gru_model_input_size (model);
}

static guint
iface_output_width (gconstpointer model, SeqRecurrentOutput mode)
{
  return seq_gru_model_output_width (model, mode);
}

static guint64
iface_fingerprint (gconstpointer model)
{
  return seq_gru_model_get_fingerprint (model);
}

static gconstpointer
iface_state_get_model (gconstpointer state)
{
  return seq_gru_state_get_model (state);
}

static gpointer
iface_workspace_new (gconstpointer model, guint max_streams, guint max_steps,
    guint n_threads)
{
  return seq_gru_workspace_new (model, max_streams, max_steps, n_threads);
}

static void
iface_workspace_free (gpointer ws)
{
  seq_gru_workspace_free (ws);
}

static void
iface_forward (gconstpointer model, gpointer const *states, guint n_streams,
    const float *input, guint n_steps, float *output, SeqRecurrentOutput mode,
    gpointer ws)
{
  seq_gru_forward (model, (SeqGruState * const *) states, n_streams, input,
      n_steps, output, mode, ws);
}

static const SeqRecurrentIface gru_iface = {
  .name = "gru",
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
seq_gru_recurrent (void)
{
  return &gru_iface;
}
