/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — LSTM model: construction from random weights or a weight file
 * (PyTorch nn.LSTM tensor names), packing for the kernels
 * (lib/kernels/packed.h: transposed to [K][N], panels of the four gates of
 * 16 hidden units, b_ih + b_hh folded into one bias) and the model's
 * accessors. The state is in lstm-state.c, the forward in lstm.c.
 */
#include "lstm-private.h"
#include "seqenc-private.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (seq-lstm-error-quark, seq_lstm_error);

const SeqRecurrentCell seq_lstm_cell = {
  .name = "LSTM",
  .a_name = "an LSTM",
  .domain = seq_lstm_error_quark,
  .config_code = SEQ_LSTM_ERROR_CONFIG,
  .weights_code = SEQ_LSTM_ERROR_WEIGHTS,
  .unsupported_code = SEQ_LSTM_ERROR_UNSUPPORTED,
  .state_code = SEQ_LSTM_ERROR_STATE,
};

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
seq_lstm_model_params_validate (const SeqLstmModelParams * params,
    GError ** error)
{
  g_return_val_if_fail (params != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return seq_recurrent_precision_validate (&seq_lstm_cell,
      params->weights_precision, params->matmul_precision, error);
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

/* Takes the PyTorch-layout layers and builds a packed model. */
static SeqLstmModel *
model_build (guint I, guint H, guint L, guint P, gboolean bias,
    const SeqLstmModelParams * mp, const LayerSrc * src, GError ** error)
{
  SeqLstmModel *m = g_new0 (SeqLstmModel, 1);
  guint32 code = seq_recurrent_precision_code (mp->weights_precision,
      mp->matmul_precision);
  SeqKDtype dt = seq_recurrent_kdtype (code);
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

  fp = seq_recurrent_hash_u32 (fp, 0x4c53544d);  /* "LSTM" */
  fp = seq_recurrent_hash_u32 (fp, I);
  fp = seq_recurrent_hash_u32 (fp, H);
  fp = seq_recurrent_hash_u32 (fp, L);
  fp = seq_recurrent_hash_u32 (fp, P);
  fp = seq_recurrent_hash_u32 (fp, bias);
  fp = seq_recurrent_hash_u32 (fp, code);

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
  if (!seq_recurrent_check_sizes (&seq_lstm_cell, 4, I, H, L, P,
          SEQ_LSTM_ERROR_CONFIG, error))
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
    if (!seq_recurrent_random_tensors (&seq_lstm_cell, &rng, bound, sizes,
            5, bufs + l * 5, error))
      goto done;
    src[l].w_ih = bufs[l * 5];
    src[l].w_hh = bufs[l * 5 + 1];
    src[l].b_ih = bufs[l * 5 + 2];
    src[l].b_hh = bufs[l * 5 + 3];
    src[l].w_hr = bufs[l * 5 + 4];
  }
  m = model_build (I, H, L, P, shape->bias, &mp, src, error);

done:
  seq_recurrent_free_tensors (bufs, (gsize) L * 5);
  g_free (src);
  return m;
}


/* ---- loading from a weight file ----------------------------------------- */

#define WERR(...) g_set_error (error, SEQ_LSTM_ERROR, SEQ_LSTM_ERROR_WEIGHTS, \
    __VA_ARGS__)

SeqLstmModel *
seq_lstm_model_new_from_weights (const SeqWeights * weights,
    const SeqLstmModelParams * params, GError ** error)
{
  SeqLstmModelParams mp;
  const gchar *prefix;
  gchar *pre = NULL;
  guint I = 0, H = 0, L = 0, P = 0, O;
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
  } else if ((pre = seq_recurrent_detect_prefix (&seq_lstm_cell, weights,
              error)) == NULL) {
    return NULL;
  }

  L = seq_recurrent_scan_layers (&seq_lstm_cell, weights, pre, FALSE, error);
  if (L == 0)
    goto done;

  /* sizes from layer 0 */
  {
    const SeqTensorInfo *t;
    name = g_strconcat (pre, "weight_ih_l0", NULL);
    t = seq_weights_find (weights, name);
    g_free (name);
    if (t->rank != 2 || t->shape[0] <= 0 || t->shape[0] % 4 != 0
        || t->shape[1] <= 0 || t->shape[0] / 4 > SEQ_RECURRENT_MAX_WIDTH
        || t->shape[1] > SEQ_RECURRENT_MAX_WIDTH) {
      WERR ("LSTM tensor \"%sweight_ih_l0\" must be [4*hidden, input] with "
          "sizes up to %u", pre, SEQ_RECURRENT_MAX_WIDTH);
      goto done;
    }
    H = (guint) (t->shape[0] / 4);
    I = (guint) t->shape[1];
    name = g_strconcat (pre, "weight_hr_l0", NULL);
    t = seq_weights_find (weights, name);
    g_free (name);
    if (t != NULL) {
      if (t->rank != 2 || t->shape[0] <= 0
          || t->shape[0] > SEQ_RECURRENT_MAX_WIDTH) {
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
  if (!seq_recurrent_check_sizes (&seq_lstm_cell, 4, I, H, L, P,
          SEQ_LSTM_ERROR_WEIGHTS, error))
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
    bufs[l * 5] = seq_recurrent_read_tensor (&seq_lstm_cell, weights, pre, nm[0], TRUE, 2, 4 * (gint64) H,
        K_in, shape, error);
    if (bufs[l * 5] != NULL)
      bufs[l * 5 + 1] = seq_recurrent_read_tensor (&seq_lstm_cell, weights, pre, nm[1], TRUE, 2,
          4 * (gint64) H, O, shape, error);
    if (bufs[l * 5 + 1] != NULL && bias) {
      bufs[l * 5 + 2] = seq_recurrent_read_tensor (&seq_lstm_cell, weights, pre, nm[2], TRUE, 1,
          4 * (gint64) H, 0, shape, error);
      if (bufs[l * 5 + 2] != NULL)
        bufs[l * 5 + 3] = seq_recurrent_read_tensor (&seq_lstm_cell, weights, pre, nm[3], TRUE, 1,
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
        bufs[l * 5 + 4] = seq_recurrent_read_tensor (&seq_lstm_cell, weights, pre, nm[4], TRUE, 2, P, H,
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
  seq_recurrent_free_tensors (bufs, (gsize) L * 5);
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
