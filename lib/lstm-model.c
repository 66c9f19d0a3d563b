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

/* A layer's tensors in PyTorch layout (row-major, [out][in]), in this order
 * in the model builder's [L][N_TENSORS] array. */
enum {
  T_W_IH,                       /* [4H][K_in] */
  T_W_HH,                       /* [4H][O] */
  T_B_IH,                       /* [4H] or NULL */
  T_B_HH,                       /* [4H] or NULL */
  T_W_HR,                       /* [P][H] or NULL */
  N_TENSORS
};

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
    const SeqLstmModelParams * mp, float *const *t, GError ** error)
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
  m->net.int8 = dt == SEQ_KDTYPE_I8;
  m->net.ldq = (MAX (seq_i8_kp (I), seq_i8_kp (O)) + 63) / 64 * 64;
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
    float *const *lt = t + (gsize) l * N_TENSORS;
    guint K_in = l == 0 ? I : O;

    ly->K_in = K_in;
    ly->bias = seq_aligned_floats ((gsize) 4 * Hp);
    if (ly->bias == NULL
        || !seq_rnn_pack_gates (&ly->wx, lt[T_W_IH], K_in, H, 4, dt)
        || !seq_rnn_pack_gates (&ly->wh, lt[T_W_HH], O, H, 4, dt)
        || (P && !seq_rnn_pack_plain (&ly->wr, lt[T_W_HR], P, H,
                dt == SEQ_KDTYPE_I8 ? SEQ_KDTYPE_F32 : dt)))
      goto oom;
    if (bias) {
      for (guint u = 0; u < H; u++)
        for (guint q = 0; q < 4; q++)
          ly->bias[seq_rnn_gate_col (u, q, 4)] = lt[T_B_IH][q * H + u] +
              lt[T_B_HH][q * H + u];
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
  bufs = g_new0 (float *, (gsize) L * N_TENSORS);
  for (guint l = 0; l < L; l++) {
    guint K_in = l == 0 ? I : O;
    gsize sizes[N_TENSORS] = { (gsize) 4 * H * K_in, (gsize) 4 * H * O,
      shape->bias ? (gsize) 4 * H : 0, shape->bias ? (gsize) 4 * H : 0,
      (gsize) P * H
    };
    if (!seq_recurrent_random_tensors (&seq_lstm_cell, &rng, bound, sizes,
            N_TENSORS, bufs + l * N_TENSORS, error))
      goto done;
  }
  m = model_build (I, H, L, P, shape->bias, &mp, bufs, error);

done:
  seq_recurrent_free_tensors (bufs, (gsize) L * N_TENSORS);
  return m;
}

/* ---- loading from a weight file ----------------------------------------- */

#define WERR(...) g_set_error (error, SEQ_LSTM_ERROR, SEQ_LSTM_ERROR_WEIGHTS, \
    __VA_ARGS__)

/* A required tensor @pre@name of the given shape, as f32. */
static float *
read_tensor (const SeqWeights * w, const gchar * pre, const gchar * name,
    guint rank, gint64 d0, gint64 d1, GError ** error)
{
  return seq_recurrent_read_tensor (&seq_lstm_cell, w, pre, name, TRUE, rank,
      d0, d1, NULL, error);
}

SeqLstmModel *
seq_lstm_model_new_from_weights (const SeqWeights * weights,
    const SeqLstmModelParams * params, GError ** error)
{
  SeqLstmModelParams mp;
  const gchar *prefix;
  gchar *pre = NULL;
  guint I = 0, H = 0, L = 0, P = 0, O;
  gboolean bias;
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

  bufs = g_new0 (float *, (gsize) L * N_TENSORS);
  for (guint l = 0; l < L; l++) {
    guint K_in = l == 0 ? I : O;
    float **lb = bufs + (gsize) l * N_TENSORS;
    gint64 G4H = 4 * (gint64) H;
    gchar *nm[N_TENSORS];

    nm[T_W_IH] = g_strdup_printf ("weight_ih_l%u", l);
    nm[T_W_HH] = g_strdup_printf ("weight_hh_l%u", l);
    nm[T_B_IH] = g_strdup_printf ("bias_ih_l%u", l);
    nm[T_B_HH] = g_strdup_printf ("bias_hh_l%u", l);
    nm[T_W_HR] = g_strdup_printf ("weight_hr_l%u", l);
    lb[T_W_IH] = read_tensor (weights, pre, nm[T_W_IH], 2, G4H, K_in, error);
    if (lb[T_W_IH] != NULL)
      lb[T_W_HH] = read_tensor (weights, pre, nm[T_W_HH], 2, G4H, O, error);
    if (lb[T_W_HH] != NULL && bias) {
      lb[T_B_IH] = read_tensor (weights, pre, nm[T_B_IH], 1, G4H, 0, error);
      if (lb[T_B_IH] != NULL)
        lb[T_B_HH] = read_tensor (weights, pre, nm[T_B_HH], 1, G4H, 0,
            error);
    } else if (lb[T_W_HH] != NULL) {
      /* no biases: none may appear in any layer */
      for (guint i = T_B_IH; i <= T_B_HH; i++) {
        gchar *full = g_strconcat (pre, nm[i], NULL);
        if (seq_weights_find (weights, full) != NULL
            && (error == NULL || *error == NULL))
          WERR ("LSTM tensor \"%s\" present but \"%sbias_ih_l0\" is not: "
              "biases must be given for both directions of every layer or "
              "not at all", full, pre);
        g_free (full);
      }
    }
    if ((error == NULL || *error == NULL) && lb[T_W_HH] != NULL
        && (!bias || lb[T_B_HH] != NULL)) {
      gchar *full = g_strconcat (pre, nm[T_W_HR], NULL);
      if (P)
        lb[T_W_HR] = read_tensor (weights, pre, nm[T_W_HR], 2, P, H, error);
      else if (seq_weights_find (weights, full) != NULL)
        WERR ("LSTM tensor \"%s\" present but layer 0 has no projection",
            full);
      g_free (full);
    }
    for (guint i = 0; i < N_TENSORS; i++)
      g_free (nm[i]);
    if (lb[T_W_IH] == NULL || lb[T_W_HH] == NULL
        || (bias && (lb[T_B_IH] == NULL || lb[T_B_HH] == NULL))
        || (P && lb[T_W_HR] == NULL)
        || (error != NULL && *error != NULL)) {
      if (error != NULL && *error == NULL)
        WERR ("LSTM layer %u: inconsistent tensors", l);
      goto done;
    }
  }
  m = model_build (I, H, L, P, bias, &mp, bufs, error);

done:
  seq_recurrent_free_tensors (bufs, (gsize) L * N_TENSORS);
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
