/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — what the recurrent cells share (see recurrent-common.h), and the
 * cell-neutral precision helpers of recurrent.h. */
#include "recurrent-common.h"
#include "blob.h"
#include "seqenc-private.h"

#include <string.h>

#define CELL_ERR(code, ...) g_set_error (error, cell->domain (), (code), \
    __VA_ARGS__)
#define WERR(...) CELL_ERR (cell->weights_code, __VA_ARGS__)

/* ---- precision (recurrent.h) -------------------------------------------- */

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
  else if (g_ascii_strcasecmp (name, "int8") == 0)
    *out = SEQ_PRECISION_INT8;
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

gboolean
seq_int8_accelerated (void)
{
  return !g_str_equal (seq_kernels_get (SEQ_KERNELS_AUTO)->name_q, "scalar");
}

const gchar *
seq_precision_to_string (SeqPrecision precision)
{
  switch (precision) {
    case SEQ_PRECISION_BF16:
      return "bf16";
    case SEQ_PRECISION_F16:
      return "f16";
    case SEQ_PRECISION_INT8:
      return "int8";
    case SEQ_PRECISION_F32:
    default:
      return "f32";
  }
}

guint32
seq_recurrent_precision_code (SeqPrecision weights, SeqMatmulPrecision matmul)
{
  if (weights == SEQ_PRECISION_INT8)
    return SEQ_RECURRENT_PRECISION_CODE_INT8;
  return matmul == SEQ_MATMUL_BF16 ? SEQ_RECURRENT_PRECISION_CODE_BF16_MATMUL :
      (guint32) weights;
}

SeqKDtype
seq_recurrent_kdtype (guint32 code)
{
  switch (code) {
    case SEQ_PRECISION_BF16:
      return SEQ_KDTYPE_BF16;
    case SEQ_PRECISION_F16:
      return SEQ_KDTYPE_F16;
    case SEQ_RECURRENT_PRECISION_CODE_BF16_MATMUL:
      return SEQ_KDTYPE_BF16_VNNI;
    case SEQ_RECURRENT_PRECISION_CODE_INT8:
      return SEQ_KDTYPE_I8;
    case SEQ_PRECISION_F32:
    default:
      return SEQ_KDTYPE_F32;
  }
}

gboolean
seq_recurrent_precision_validate (const SeqRecurrentCell * cell,
    SeqPrecision weights, SeqMatmulPrecision matmul, GError ** error)
{
  if ((guint) weights > SEQ_PRECISION_INT8
      || (guint) matmul > SEQ_MATMUL_BF16) {
    CELL_ERR (cell->config_code, "unknown %s precision (weights %d, matmul "
        "%d)", cell->name, (int) weights, (int) matmul);
    return FALSE;
  }
  if (weights == SEQ_PRECISION_INT8 && matmul == SEQ_MATMUL_BF16) {
    CELL_ERR (cell->config_code, "int8 weights quantize the activations "
        "too: they need matmul precision f32, not bf16");
    return FALSE;
  }
  if (matmul == SEQ_MATMUL_BF16 && weights == SEQ_PRECISION_F16) {
    CELL_ERR (cell->config_code, "bf16 matmul precision rounds the weights "
        "to bf16: the weights precision must be f32 or bf16, not f16");
    return FALSE;
  }
  return TRUE;
}

guint64
seq_recurrent_hash_u32 (guint64 h, guint32 v)
{
  return seq_fnv64_wide (h, &v, 4);
}

/* ---- sizes and random weights ------------------------------------------- */

gboolean
seq_recurrent_check_sizes (const SeqRecurrentCell * cell, guint G, guint I,
    guint H, guint L, guint P, gint code, GError ** error)
{
  gsize O = P ? P : H;
  gsize per_layer = (gsize) G * H * (MAX (I, O) + O) + (gsize) P * H;

  if (I == 0 || H == 0 || L == 0) {
    CELL_ERR (code, "%s sizes must be positive (input %u, hidden %u, layers "
        "%u)", cell->name, I, H, L);
    return FALSE;
  }
  if (I > SEQ_RECURRENT_MAX_WIDTH || H > SEQ_RECURRENT_MAX_WIDTH
      || L > SEQ_RECURRENT_MAX_LAYERS) {
    CELL_ERR (code, "%s sizes too large (input %u, hidden %u, layers %u; "
        "limits %u, %u, %u)", cell->name, I, H, L, SEQ_RECURRENT_MAX_WIDTH,
        SEQ_RECURRENT_MAX_WIDTH, SEQ_RECURRENT_MAX_LAYERS);
    return FALSE;
  }
  if (P >= H) {
    CELL_ERR (code, "%s proj_size %u must be smaller than hidden_size %u "
        "(as in PyTorch)", cell->name, P, H);
    return FALSE;
  }
  if (per_layer > SEQ_RECURRENT_MAX_LAYER_ELEMENTS) {
    CELL_ERR (code, "%s layer too large: %" G_GSIZE_FORMAT " weights (limit %"
        G_GSIZE_FORMAT ")", cell->name, per_layer,
        SEQ_RECURRENT_MAX_LAYER_ELEMENTS);
    return FALSE;
  }
  return TRUE;
}

gboolean
seq_recurrent_random_tensors (const SeqRecurrentCell * cell, SeqRng * rng,
    float bound, const gsize * sizes, guint n, float **out, GError ** error)
{
  for (guint t = 0; t < n; t++) {
    if (sizes[t] == 0)
      continue;
    out[t] = g_try_new (float, sizes[t]);
    if (out[t] == NULL) {
      CELL_ERR (cell->config_code, "%s model too large: out of memory",
          cell->name);
      return FALSE;
    }
    for (gsize i = 0; i < sizes[t]; i++)
      out[t][i] = seq_rng_uniform (rng, -bound, bound);
  }
  return TRUE;
}

void
seq_recurrent_free_tensors (float **bufs, gsize n)
{
  if (bufs == NULL)
    return;
  for (gsize i = 0; i < n; i++)
    g_free (bufs[i]);
  g_free (bufs);
}

/* ---- weight files ------------------------------------------------------- */

gchar *
seq_recurrent_detect_prefix (const SeqRecurrentCell * cell,
    const SeqWeights * w, GError ** error)
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
    WERR ("no %s weights found: no tensor name ends in \"weight_ih_l0\"",
        cell->name);
  } else {
    GString *s = g_string_new (NULL);
    for (guint i = 0; i < cands->len; i++)
      g_string_append_printf (s, "%s\"%s\"", i ? ", " : "",
          (const gchar *) g_ptr_array_index (cands, i));
    WERR ("ambiguous %s weights: %u candidate prefixes (%s); name one "
        "(model-prefix)", cell->name, cands->len, s->str);
    g_string_free (s, TRUE);
  }
  g_ptr_array_unref (cands);
  return result;
}

gboolean
seq_recurrent_has_tensor (const SeqWeights * w, const gchar * prefix,
    const gchar * name)
{
  gchar *full = g_strconcat (prefix, name, NULL);
  gboolean found = seq_weights_find (w, full) != NULL;

  g_free (full);
  return found;
}

float *
seq_recurrent_read_tensor (const SeqRecurrentCell * cell,
    const SeqWeights * w, const gchar * prefix, const gchar * name,
    gboolean required, guint rank, gint64 d0, gint64 d1, gint64 * shape_out,
    GError ** error)
{
  gchar *full = g_strconcat (prefix, name, NULL);
  const SeqTensorInfo *t = seq_weights_find (w, full);
  float *buf = NULL;
  GError *err = NULL;

  if (t == NULL) {
    if (required)
      WERR ("%s tensor \"%s\" is missing", cell->name, full);
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
    WERR ("%s tensor \"%s\" has shape %s, expected %s", cell->name, full,
        have->str, want->str);
    g_string_free (want, TRUE);
    g_string_free (have, TRUE);
    goto done;
  }
  for (guint i = 0; i < rank; i++)
    if (t->shape[i] <= 0
        || t->shape[i] > (gint64) 4 * SEQ_RECURRENT_MAX_WIDTH) {
      WERR ("%s tensor \"%s\" has an unusable dimension %" G_GINT64_FORMAT,
          cell->name, full, t->shape[i]);
      goto done;
    }
  if (shape_out != NULL)
    for (guint i = 0; i < rank; i++)
      shape_out[i] = t->shape[i];
  buf = g_try_new (float, t->n_elements ? t->n_elements : 1);
  if (buf == NULL) {
    WERR ("%s tensor \"%s\" too large", cell->name, full);
    goto done;
  }
  if (!seq_tensor_to_f32 (t, buf, t->n_elements, &err)) {
    WERR ("%s tensor \"%s\": %s", cell->name, full, err->message);
    g_clear_error (&err);
    g_clear_pointer (&buf, g_free);
  }
done:
  g_free (full);
  return buf;
}

guint
seq_recurrent_scan_layers (const SeqRecurrentCell * cell,
    const SeqWeights * w, const gchar * prefix, gboolean refuse_projection,
    GError ** error)
{
  guint n = seq_weights_n_tensors (w), L = 0;

  for (guint i = 0; i < n; i++) {
    const gchar *tn = seq_weights_get (w, i)->name;
    if (g_str_has_prefix (tn, prefix) && g_str_has_suffix (tn, "_reverse")) {
      CELL_ERR (cell->unsupported_code, "bidirectional %s weights (\"%s\") "
          "are not supported: a streaming encoder has no future context to "
          "run the reverse direction on", cell->name, tn);
      return 0;
    }
  }

  for (L = 0; L <= SEQ_RECURRENT_MAX_LAYERS; L++) {
    gchar *name = g_strdup_printf ("weight_ih_l%u", L);
    gboolean found = seq_recurrent_has_tensor (w, prefix, name);
    g_free (name);
    if (!found)
      break;
  }
  if (L == 0) {
    WERR ("%s tensor \"%sweight_ih_l0\" is missing", cell->name, prefix);
    return 0;
  }
  if (L > SEQ_RECURRENT_MAX_LAYERS) {
    WERR ("too many %s layers (limit %u)", cell->name,
        SEQ_RECURRENT_MAX_LAYERS);
    return 0;
  }
  /* a layer's tensor beyond the last weight_ih: inconsistent file */
  for (guint i = 0; i < n; i++) {
    const gchar *tn = seq_weights_get (w, i)->name;
    const gchar *rest, *lpos;
    guint64 k;
    gchar *end;

    if (!g_str_has_prefix (tn, prefix))
      continue;
    rest = tn + strlen (prefix);
    if (refuse_projection && g_str_has_prefix (rest, "weight_hr_l")) {
      WERR ("%s weights have no projection: \"%s\" looks like an LSTM "
          "tensor", cell->name, tn);
      return 0;
    }
    if (!(g_str_has_prefix (rest, "weight_") || g_str_has_prefix (rest,
                "bias_")) || (lpos = strstr (rest, "_l")) == NULL)
      continue;
    k = g_ascii_strtoull (lpos + 2, &end, 10);
    if (end != lpos + 2 && *end == '\0' && k >= L) {
      WERR ("%s tensor \"%s\" belongs to layer %" G_GUINT64_FORMAT " but \"%s"
          "weight_ih_l%u\" is missing", cell->name, tn, k, prefix, L);
      return 0;
    }
  }
  return L;
}

/* ---- state -------------------------------------------------------------- */

void
seq_recurrent_store_init (SeqRecurrentStore * st, guint L, guint O, guint H)
{
  st->L = L;
  st->O = O;
  st->H = H;
  st->steps = 0;
  st->h = g_new0 (float, (gsize) L * O);
  st->c = H ? g_new0 (float, (gsize) L * H) : NULL;
}

void
seq_recurrent_store_clear (SeqRecurrentStore * st)
{
  g_clear_pointer (&st->h, g_free);
  g_clear_pointer (&st->c, g_free);
}

void
seq_recurrent_store_reset (SeqRecurrentStore * st)
{
  memset (st->h, 0, (gsize) st->L * st->O * sizeof (float));
  if (st->c != NULL)
    memset (st->c, 0, (gsize) st->L * st->H * sizeof (float));
  st->steps = 0;
}

#define BLOB_VERSION 1
#define BLOB_HEADER 64

static void
floats_put (guint8 * dst, const float *src, gsize n)
{
  for (gsize i = 0; i < n; i++) {
    guint32 u;
    memcpy (&u, &src[i], 4);
    put_u32 (dst + 4 * i, u);
  }
}

static void
floats_get (float *dst, const guint8 * src, gsize n)
{
  for (gsize i = 0; i < n; i++) {
    guint32 u = get_u32 (src + 4 * i);
    memcpy (&dst[i], &u, 4);
  }
}

GBytes *
seq_recurrent_blob_save (const SeqRecurrentBlob * layout,
    const SeqRecurrentStore * st)
{
  gsize nh = (gsize) st->L * st->O, nc = (gsize) st->L * st->H;
  gsize payload = (nh + nc) * 4, total = BLOB_HEADER + payload + 4;
  guint8 *b = g_malloc0 (total);

  memcpy (b, layout->magic, 8);
  put_u32 (b + 8, BLOB_VERSION);
  put_u32 (b + 12, BLOB_HEADER);
  for (guint i = 0; i < layout->n_dims; i++)
    put_u32 (b + 16 + 4 * i, layout->dims[i]);
  put_u32 (b + layout->off_precision, layout->precision_code);
  put_u64 (b + layout->off_fingerprint, layout->fingerprint);
  put_u64 (b + layout->off_steps, st->steps);
  put_u64 (b + layout->off_payload, payload);
  floats_put (b + BLOB_HEADER, st->h, nh);
  if (nc)
    floats_put (b + BLOB_HEADER + 4 * nh, st->c, nc);
  put_u32 (b + total - 4, seq_crc32 (b, total - 4));
  return g_bytes_new_take (b, total);
}

static gchar *
dims_string (const SeqRecurrentBlob * layout, const guint8 * b)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < layout->n_dims; i++)
    g_string_append_printf (s, "%s%s=%u", i ? " " : "",
        layout->dim_names[i],
        b != NULL ? get_u32 (b + 16 + 4 * i) : layout->dims[i]);
  return g_string_free (s, FALSE);
}

#define SERR(...) CELL_ERR (cell->state_code, __VA_ARGS__)

gboolean
seq_recurrent_blob_restore (const SeqRecurrentCell * cell,
    const SeqRecurrentBlob * layout, SeqRecurrentStore * st, GBytes * blob,
    GError ** error)
{
  gsize n, nh = (gsize) st->L * st->O, nc = (gsize) st->L * st->H;
  gsize payload = (nh + nc) * 4;
  const guint8 *b = g_bytes_get_data (blob, &n);

  if (n < BLOB_HEADER + 4 || memcmp (b, layout->magic, 8) != 0) {
    SERR ("not %s state blob (bad magic or only %" G_GSIZE_FORMAT " bytes)",
        cell->a_name, n);
    return FALSE;
  }
  if (get_u32 (b + 8) != BLOB_VERSION || get_u32 (b + 12) != BLOB_HEADER) {
    SERR ("%s state blob version %u is not supported (expected %u)",
        cell->name, get_u32 (b + 8), BLOB_VERSION);
    return FALSE;
  }
  if (get_u64 (b + layout->off_payload) != payload
      || n != BLOB_HEADER + payload + 4) {
    SERR ("%s state blob is truncated or does not fit this model (%"
        G_GSIZE_FORMAT " bytes, expected %" G_GSIZE_FORMAT ")", cell->name,
        n, (gsize) (BLOB_HEADER + payload + 4));
    return FALSE;
  }
  if (seq_crc32 (b, n - 4) != get_u32 (b + n - 4)) {
    SERR ("%s state blob is corrupted (checksum mismatch)", cell->name);
    return FALSE;
  }
  for (guint i = 0; i < layout->n_dims; i++)
    if (get_u32 (b + 16 + 4 * i) != layout->dims[i]) {
      gchar *have = dims_string (layout, b), *want = dims_string (layout,
          NULL);
      SERR ("%s state blob is for a model of other sizes (%s; this model %s)",
          cell->name, have, want);
      g_free (have);
      g_free (want);
      return FALSE;
    }
  if (get_u64 (b + layout->off_fingerprint) != layout->fingerprint
      || get_u32 (b + layout->off_precision) != layout->precision_code) {
    SERR ("%s state blob was written for another model (fingerprint %016"
        G_GINT64_MODIFIER "x, this model %016" G_GINT64_MODIFIER "x)",
        cell->name, get_u64 (b + layout->off_fingerprint),
        layout->fingerprint);
    return FALSE;
  }
  floats_get (st->h, b + BLOB_HEADER, nh);
  if (nc)
    floats_get (st->c, b + BLOB_HEADER + 4 * nh, nc);
  st->steps = get_u64 (b + layout->off_steps);
  return TRUE;
}

/* ---- workspace and forward ---------------------------------------------- */

gboolean
seq_recurrent_set_kernels (const SeqRecurrentCell * cell, SeqRnnRunner * r,
    SeqLstmKernels kernels, GError ** error)
{
  static const SeqKernelsIsa isa_of[] = {
    [SEQ_LSTM_KERNELS_AUTO] = SEQ_KERNELS_AUTO,
    [SEQ_LSTM_KERNELS_SCALAR] = SEQ_KERNELS_SCALAR,
    [SEQ_LSTM_KERNELS_AVX2] = SEQ_KERNELS_AVX2,
    [SEQ_LSTM_KERNELS_AVX512] = SEQ_KERNELS_AVX512,
    [SEQ_LSTM_KERNELS_AMX] = SEQ_KERNELS_AMX,
    [SEQ_LSTM_KERNELS_AVX512_BF16] = SEQ_KERNELS_AVX512BF16,
  };

  if ((guint) kernels >= G_N_ELEMENTS (isa_of)
      || !seq_rnn_runner_set_isa (r, isa_of[kernels])) {
    CELL_ERR (cell->unsupported_code, "these %s kernels are not built in or "
        "not supported by this CPU", cell->name);
    return FALSE;
  }
  return TRUE;
}

/* h (and c) of B streams between the runner's scratch rows [L][B] and
 * either their state objects (@states) or their resident slots (@slots);
 * @in: into the scratch. With many streams the copies (24 KiB per stream
 * for the speech LSTM, each way) are split over the pool's threads. */
typedef struct {
  SeqRnnRunner *r;
  const SeqRnnNet *net;
  gpointer const *states;
  const guint *slots;
  guint B;
  gboolean in;
} StateCopy;

static void
state_copy_range (const StateCopy * sc, guint b0, guint b1)
{
  SeqRnnRunner *r = sc->r;
  SeqRnnScratch *s = &r->s;
  const guint L = sc->net->L, O = sc->net->O, H = sc->net->H;
  const guint Hp = sc->net->Hp, B = sc->B;
  const gsize ldo = sc->net->ldo;

  for (guint b = b0; b < b1; b++) {
    for (guint l = 0; l < L; l++) {
      float *h = s->h0 + ((gsize) l * B + b) * ldo;
      float *c = s->c ? s->c + ((gsize) l * B + b) * Hp : NULL;
      float *oh, *oc;
      if (sc->states != NULL) {
        SeqRecurrentStore *st = sc->states[b];
        oh = st->h + (gsize) l * O;
        oc = st->c ? st->c + (gsize) l * H : NULL;
      } else {
        gsize row = (gsize) l * r->n_slots + sc->slots[b];
        oh = r->slot_h + row * ldo;
        oc = r->slot_c ? r->slot_c + row * Hp : NULL;
      }
      if (sc->in) {
        memcpy (h, oh, O * sizeof (float));
        if (c)
          memcpy (c, oc, H * sizeof (float));
      } else {
        memcpy (oh, h, O * sizeof (float));
        if (c)
          memcpy (oc, c, H * sizeof (float));
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
state_copy (SeqRnnRunner * r, const SeqRnnNet * net, gpointer const *states,
    const guint * slots, guint B, gboolean in)
{
  StateCopy sc = { r, net, states, slots, B, in };

  if (B >= STATE_COPY_PARALLEL_MIN && r->n_threads > 1)
    seq_pool_run (r->pool, state_copy_job, &sc);
  else
    state_copy_range (&sc, 0, B);
}

void
seq_recurrent_forward (SeqRnnRunner * r, const SeqRnnNet * net,
    gpointer const *states, guint n_streams, const float *input,
    guint n_steps, float *output, guint width, gboolean all)
{
  SeqRnnStates rows = seq_rnn_scratch_states (&r->s, n_streams);

  state_copy (r, net, states, NULL, n_streams, TRUE);
  seq_rnn_runner_forward (r, net, &rows, n_streams, input, n_steps, output,
      width, all);
  state_copy (r, net, states, NULL, n_streams, FALSE);
  for (guint b = 0; b < n_streams; b++)
    ((SeqRecurrentStore *) states[b])->steps += n_steps;
}

/* ---- resident slots ----------------------------------------------------- */

/* One slot's rows <-> a store (@to_slot: into the slot). */
static void
slot_copy (SeqRnnRunner * r, const SeqRnnNet * net, guint slot,
    SeqRecurrentStore * st, gboolean to_slot)
{
  for (guint l = 0; l < net->L; l++) {
    gsize row = (gsize) l * r->n_slots + slot;
    float *h = r->slot_h + row * net->ldo, *sh = st->h + (gsize) l * net->O;
    if (to_slot)
      memcpy (h, sh, net->O * sizeof (float));
    else
      memcpy (sh, h, net->O * sizeof (float));
    if (r->slot_c != NULL && st->c != NULL) {
      float *c = r->slot_c + row * net->Hp, *sc = st->c + (gsize) l * net->H;
      if (to_slot)
        memcpy (c, sc, net->H * sizeof (float));
      else
        memcpy (sc, c, net->H * sizeof (float));
    }
  }
}

void
seq_recurrent_slot_load (SeqRnnRunner * r, const SeqRnnNet * net, guint slot,
    const SeqRecurrentStore * st)
{
  g_return_if_fail (slot < r->n_slots);
  slot_copy (r, net, slot, (SeqRecurrentStore *) st, TRUE);
}

void
seq_recurrent_slot_store (SeqRnnRunner * r, const SeqRnnNet * net,
    guint slot, SeqRecurrentStore * st)
{
  g_return_if_fail (slot < r->n_slots);
  slot_copy (r, net, slot, st, FALSE);
}

void
seq_recurrent_slot_move (SeqRnnRunner * r, const SeqRnnNet * net, guint dst,
    guint src)
{
  g_return_if_fail (dst < r->n_slots && src < r->n_slots);
  if (dst == src)
    return;
  for (guint l = 0; l < net->L; l++) {
    gsize d = (gsize) l * r->n_slots + dst, s = (gsize) l * r->n_slots + src;
    memcpy (r->slot_h + d * net->ldo, r->slot_h + s * net->ldo,
        net->O * sizeof (float));
    if (r->slot_c != NULL)
      memcpy (r->slot_c + d * net->Hp, r->slot_c + s * net->Hp,
          net->H * sizeof (float));
  }
}

gboolean
seq_recurrent_forward_slots (SeqRnnRunner * r, const SeqRnnNet * net,
    gpointer const *states, const guint * slots, guint n_streams,
    const float *input, guint n_steps, float *output, guint width,
    gboolean all)
{
  gboolean in_place = TRUE;
  SeqRnnStates rows;

  for (guint b = 0; b < n_streams; b++) {
    g_return_val_if_fail (slots[b] < r->n_slots, FALSE);
    if (slots[b] != slots[0] + b)
      in_place = FALSE;
  }
  if (in_place) {
    rows = seq_rnn_runner_slot_states (r, net, slots[0]);
    seq_rnn_runner_forward (r, net, &rows, n_streams, input, n_steps,
        output, width, all);
  } else {
    rows = seq_rnn_scratch_states (&r->s, n_streams);
    state_copy (r, net, NULL, slots, n_streams, TRUE);
    seq_rnn_runner_forward (r, net, &rows, n_streams, input, n_steps,
        output, width, all);
    state_copy (r, net, NULL, slots, n_streams, FALSE);
  }
  for (guint b = 0; b < n_streams; b++)
    ((SeqRecurrentStore *) states[b])->steps += n_steps;
  return in_place;
}
