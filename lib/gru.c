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
#include "recurrent-common.h"
#include "seqenc-private.h"
#include "kernels/rnn.h"

#include <math.h>
#include <string.h>

#define N_GATES 3

struct _SeqGruModel {
  gint ref_count;
  guint I, H, L;
  gboolean bias;
  SeqPrecision precision;   /* storage as built */
  SeqMatmulPrecision matmul;
  guint32 precision_code;       /* as the blob (below) */
  guint64 fingerprint;
  SeqRnnNet net;                /* packed layers for the kernels */
  float *zeros;
};

struct _SeqGruState {
  SeqRecurrentStore st;         /* first: h [L][H], steps */
  SeqGruModel *model;
};

struct _SeqGruWorkspace {
  SeqGruModel *model;
  SeqRnnRunner r;               /* scratch, pool, kernels */
};

G_DEFINE_QUARK (seq-gru-error-quark, seq_gru_error);

static const SeqRecurrentCell seq_gru_cell = {
  .name = "GRU",
  .a_name = "a GRU",
  .domain = seq_gru_error_quark,
  .config_code = SEQ_GRU_ERROR_CONFIG,
  .weights_code = SEQ_GRU_ERROR_WEIGHTS,
  .unsupported_code = SEQ_GRU_ERROR_UNSUPPORTED,
  .state_code = SEQ_GRU_ERROR_STATE,
};

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
  return seq_recurrent_precision_validate (&seq_gru_cell,
      params->weights_precision, params->matmul_precision, error);
}

/* ---- model construction ------------------------------------------------- */

/* A layer's tensors in PyTorch layout (row-major, [out][in]), in this order
 * in the model builder's [L][N_TENSORS] array. */
enum {
  T_W_IH,                       /* [3H][K_in] */
  T_W_HH,                       /* [3H][H] */
  T_B_IH,                       /* [3H] or NULL */
  T_B_HH,                       /* [3H] or NULL */
  N_TENSORS
};

static void
model_free (SeqGruModel * m)
{
  seq_rnn_net_clear (&m->net);
  seq_aligned_free (m->zeros);
  g_free (m);
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
    const SeqGruModelParams * mp, float *const *t, GError ** error)
{
  SeqGruModel *m = g_new0 (SeqGruModel, 1);
  guint32 code = seq_recurrent_precision_code (mp->weights_precision,
      mp->matmul_precision);
  SeqKDtype dt = seq_recurrent_kdtype (code);
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
  m->precision_code = code;
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
  m->net.int8 = dt == SEQ_KDTYPE_I8;
  m->net.ldq = (MAX (seq_i8_kp (I), seq_i8_kp (H)) + 63) / 64 * 64;
  if (m->zeros == NULL)
    goto oom;

  fp = seq_recurrent_hash_u32 (fp, 0x47525520);  /* "GRU " */
  fp = seq_recurrent_hash_u32 (fp, I);
  fp = seq_recurrent_hash_u32 (fp, H);
  fp = seq_recurrent_hash_u32 (fp, L);
  fp = seq_recurrent_hash_u32 (fp, bias);
  fp = seq_recurrent_hash_u32 (fp, m->precision_code);

  for (guint l = 0; l < L; l++) {
    SeqRnnLayer *ly = &m->net.layers[l];
    float *const *lt = t + (gsize) l * N_TENSORS;
    guint K_in = l == 0 ? I : H;

    ly->K_in = K_in;
    ly->bias = seq_aligned_floats (ldg);
    ly->bias_h = seq_aligned_floats (ldg);
    if (ly->bias == NULL || ly->bias_h == NULL
        || !seq_rnn_pack_gates (&ly->wx, lt[T_W_IH], K_in, H, N_GATES, dt)
        || !seq_rnn_pack_gates (&ly->wh, lt[T_W_HH], H, H, N_GATES, dt))
      goto oom;
    pack_bias (ly->bias, lt[T_B_IH], H);
    pack_bias (ly->bias_h, lt[T_B_HH], H);
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

SeqGruModel *
seq_gru_model_new_random (const SeqGruRandomParams * shape,
    const SeqGruModelParams * params, GError ** error)
{
  SeqGruModelParams mp;
  guint I, H, L;
  float bound;
  SeqRng rng;
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
  if (!seq_recurrent_check_sizes (&seq_gru_cell, N_GATES, I, H, L, 0,
          SEQ_GRU_ERROR_CONFIG, error))
    return NULL;

  /* PyTorch's reset_parameters: every parameter U(-1/sqrt(H), 1/sqrt(H)),
   * drawn in the order of its _flat_weights: w_ih, w_hh, b_ih, b_hh */
  bound = 1.0f / sqrtf ((float) H);
  seq_rng_init (&rng, shape->seed);
  bufs = g_new0 (float *, (gsize) L * N_TENSORS);
  for (guint l = 0; l < L; l++) {
    guint K_in = l == 0 ? I : H;
    gsize sizes[N_TENSORS] = { (gsize) N_GATES * H * K_in, (gsize) N_GATES * H * H,
      shape->bias ? (gsize) N_GATES * H : 0,
      shape->bias ? (gsize) N_GATES * H : 0
    };
    if (!seq_recurrent_random_tensors (&seq_gru_cell, &rng, bound, sizes,
            N_TENSORS, bufs + l * N_TENSORS, error))
      goto done;
  }
  m = model_build (I, H, L, shape->bias, &mp, bufs, error);

done:
  seq_recurrent_free_tensors (bufs, (gsize) L * N_TENSORS);
  return m;
}

/* ---- loading from a weight file ----------------------------------------- */

/* Tensor @pre@name@l as f32, which must have the shape [d0] (d1 == 0) or
 * [d0][d1]. NULL and @error when absent or of another shape. */
static float *
read_tensor (const SeqWeights * w, const gchar * pre, const gchar * name,
    guint l, gint64 d0, gint64 d1, GError ** error)
{
  gchar *nm = g_strdup_printf ("%s%u", name, l);
  float *buf = seq_recurrent_read_tensor (&seq_gru_cell, w, pre, nm, TRUE,
      d1 ? 2 : 1, d0, d1, NULL, error);

  g_free (nm);
  return buf;
}

static gboolean
has_tensor (const SeqWeights * w, const gchar * pre, const gchar * name,
    guint l)
{
  gchar *nm = g_strdup_printf ("%s%u", name, l);
  gboolean found = seq_recurrent_has_tensor (w, pre, nm);

  g_free (nm);
  return found;
}

SeqGruModel *
seq_gru_model_new_from_weights (const SeqWeights * weights,
    const SeqGruModelParams * params, GError ** error)
{
  SeqGruModelParams mp;
  gchar *pre = NULL;
  guint I = 0, H = 0, L = 0;
  gboolean bias;
  const SeqTensorInfo *t;
  float **bufs = NULL;
  SeqGruModel *m = NULL;

  g_return_val_if_fail (weights != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  mp = params ? *params : seq_gru_model_params_default ();
  if (!seq_gru_model_params_validate (&mp, error))
    return NULL;
  if (mp.prefix != NULL && mp.prefix[0] != '\0')
    pre = g_strdup (mp.prefix);
  else if ((pre = seq_recurrent_detect_prefix (&seq_gru_cell, weights,
              error)) == NULL)
    return NULL;

  L = seq_recurrent_scan_layers (&seq_gru_cell, weights, pre, TRUE, error);
  if (L == 0)
    goto done;

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
  if (t->rank != 2 || t->shape[1] <= 0 || t->shape[1] > SEQ_RECURRENT_MAX_WIDTH
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
      || t->shape[1] <= 0 || t->shape[1] > SEQ_RECURRENT_MAX_WIDTH) {
    WERR ("GRU tensor \"%sweight_ih_l0\" must be [3*hidden = %u, input]", pre,
        N_GATES * H);
    goto done;
  }
  I = (guint) t->shape[1];
  bias = has_tensor (weights, pre, "bias_ih_l", 0);
  if (!seq_recurrent_check_sizes (&seq_gru_cell, N_GATES, I, H, L, 0,
          SEQ_GRU_ERROR_WEIGHTS, error))
    goto done;

  bufs = g_new0 (float *, (gsize) L * N_TENSORS);
  for (guint l = 0; l < L; l++) {
    gint64 G3H = (gint64) N_GATES * H;
    float **lb = bufs + (gsize) l * N_TENSORS;

    if ((lb[T_W_IH] = read_tensor (weights, pre, "weight_ih_l", l, G3H,
                l == 0 ? I : H, error)) == NULL
        || (lb[T_W_HH] = read_tensor (weights, pre, "weight_hh_l", l, G3H,
                H, error)) == NULL)
      goto done;
    if (bias) {
      if ((lb[T_B_IH] = read_tensor (weights, pre, "bias_ih_l", l, G3H, 0,
                  error)) == NULL
          || (lb[T_B_HH] = read_tensor (weights, pre, "bias_hh_l", l, G3H,
                  0, error)) == NULL)
        goto done;
    } else if (has_tensor (weights, pre, "bias_ih_l", l)
        || has_tensor (weights, pre, "bias_hh_l", l)) {
      WERR ("GRU layer %u has a bias but \"%sbias_ih_l0\" is missing: "
          "biases must be given for both directions of every layer or not "
          "at all", l, pre);
      goto done;
    }
  }
  m = model_build (I, H, L, bias, &mp, bufs, error);

done:
  seq_recurrent_free_tensors (bufs, (gsize) L * N_TENSORS);
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
  seq_recurrent_store_init (&s->st, model->L, model->H, 0);
  return s;
}

void
seq_gru_state_free (SeqGruState * state)
{
  if (state == NULL)
    return;
  seq_recurrent_store_clear (&state->st);
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
  seq_recurrent_store_reset (&state->st);
}

guint64
seq_gru_state_get_steps (const SeqGruState * state)
{
  g_return_val_if_fail (state != NULL, 0);
  return state->st.steps;
}

void
seq_gru_state_get (const SeqGruState * state, guint layer, float *dst)
{
  g_return_if_fail (state != NULL && dst != NULL);
  g_return_if_fail (layer < state->model->L);
  memcpy (dst, state->st.h + (gsize) layer * state->model->H,
      state->model->H * sizeof (float));
}

void
seq_gru_state_set (SeqGruState * state, guint layer, const float *src)
{
  g_return_if_fail (state != NULL && src != NULL);
  g_return_if_fail (layer < state->model->L);
  memcpy (state->st.h + (gsize) layer * state->model->H, src,
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
 *   28      4     precision: 0 f32, 1 bf16, 2 f16 weights; 3 bf16 matmul; 4 int8
 *   32      8     model fingerprint (seq_gru_model_get_fingerprint)
 *   40      8     steps since t = 0
 *   48      8     payload size in bytes: 4 * L * H
 *   56      8     reserved (0)
 *   64      ...   h of every layer ([L][H] f32)
 *   end-4   4     CRC-32 (IEEE 802.3, as zlib's crc32) of every byte before it
 */
static SeqRecurrentBlob
blob_layout (const SeqGruModel * m)
{
  SeqRecurrentBlob b = {
    .magic = "SEQGRUST",
    .n_dims = 3,
    .dims = {m->L, m->I, m->H},
    .dim_names = {"L", "I", "H"},
    .off_precision = 28,
    .off_fingerprint = 32,
    .off_steps = 40,
    .off_payload = 48,
    .precision_code = m->precision_code,
    .fingerprint = m->fingerprint,
  };
  return b;
}

GBytes *
seq_gru_state_save (const SeqGruState * state)
{
  SeqRecurrentBlob layout;

  g_return_val_if_fail (state != NULL, NULL);
  layout = blob_layout (state->model);
  return seq_recurrent_blob_save (&layout, &state->st);
}

gboolean
seq_gru_state_restore (SeqGruState * state, GBytes * blob, GError ** error)
{
  SeqRecurrentBlob layout;

  g_return_val_if_fail (state != NULL, FALSE);
  g_return_val_if_fail (blob != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  layout = blob_layout (state->model);
  return seq_recurrent_blob_restore (&seq_gru_cell, &layout, &state->st,
      blob, error);
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
  g_return_val_if_fail (ws != NULL, FALSE);
  return seq_recurrent_set_kernels (&seq_gru_cell, &ws->r, kernels, error);
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
  seq_recurrent_forward (&ws->r, &model->net, (gpointer const *) states, B,
      input, n_steps, output, width, all);
}

/* ---- the recurrent interface (recurrent.h) ------------------------------ */

SEQ_RECURRENT_DEFINE_IFACE (gru, SeqGruState, SeqGruWorkspace);
