/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqgru: stacked GRU over tensor frames.
 *
 * SECTION:element-seqgru
 * @title: seqgru
 *
 * Consumes float32 frames (`other/tensors, types=float32, dimensions=I:T`,
 * static or flexible) and emits, for every frame, the hidden state of the
 * last layer (`output=last-layer`, width H) or of all layers concatenated
 * (`output=all-layers`, width L*H), with PyTorch `nn.GRU` semantics (gates
 * r, z, n; b_hn inside the reset product). The h of every layer carries
 * over from buffer to buffer: the output does not depend on how frames are
 * split into buffers.
 *
 * The model comes from a safetensors file (`model`, PyTorch state_dict names
 * such as `weight_ih_l0`, with an optional prefix; biases optional) or, when
 * `model` is empty, is built in: seeded PyTorch-style U(-1/sqrt(H),
 * 1/sqrt(H)) weights of `hidden-size` and `num-layers` whose input size is
 * `input-size` or, when 0, the negotiated frame width.
 *
 * FLUSH_STOP, a new STREAM_START, the `seqenc-reset` event and DISCONT
 * buffers (each selectable with `reset-on`) set h back to zero. EOS is
 * forwarded (nothing is held). PAUSED→READY forgets the state, READY→NULL
 * frees the model. With `state-location`, h is restored from that file at
 * start (a state of another model is refused) and saved there atomically at
 * EOS, at stop and every `checkpoint-interval` frames. Alone it adds no
 * latency; in a `batch-group` (shared with other seqgru elements of the
 * same model) up to `max-delay`, which the LATENCY query reports.
 * Non-finite input propagates as in PyTorch. `weights-precision` and
 * `matmul-precision` are those of seqlstm: the two elements run the same
 * kernels.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e filesrc location=README.md ! text/x-raw,format=utf8 ! \
 *     seqtokenizer ! seqembed ! seqposenc ! seqgru hidden-size=256 ! \
 *     seqnpysink location=hidden.npy
 * ]|
 */
#include "gstseqgru.h"
#include "gstseqencelements.h"

#include <seqenc/gru.h>

GST_DEBUG_CATEGORY_STATIC (seq_gru_debug);
#define GST_CAT_DEFAULT seq_gru_debug

struct _GstSeqGru
{
  GstSeqRecurrent parent;
};

G_DEFINE_TYPE (GstSeqGru, gst_seq_gru, GST_TYPE_SEQ_RECURRENT);
GST_ELEMENT_REGISTER_DEFINE (seqgru, "seqgru", GST_RANK_NONE,
    GST_TYPE_SEQ_GRU);

/* ---- the cell, as GstSeqRecurrent asks for it ---- */

static SeqGruModelParams
model_params (const GstSeqRecurrentModelSettings * s)
{
  SeqGruModelParams mp = seq_gru_model_params_default ();

  mp.weights_precision = s->weights_precision;
  mp.matmul_precision = s->matmul_precision;
  mp.prefix = s->prefix;
  return mp;
}

static gboolean
gru_validate (const GstSeqRecurrentModelSettings * s, GError ** error)
{
  SeqGruModelParams mp = model_params (s);

  return seq_gru_model_params_validate (&mp, error);
}

static gpointer
gru_new_from_file (const gchar * path, const GstSeqRecurrentModelSettings * s,
    GError ** error)
{
  SeqGruModelParams mp = model_params (s);

  return seq_gru_model_new_from_file (path, &mp, error);
}

static gpointer
gru_new_random (const GstSeqRecurrentModelSettings * s, GError ** error)
{
  SeqGruRandomParams p = seq_gru_random_params_default ();
  SeqGruModelParams mp = model_params (s);

  p.input_size = s->input_size;
  p.hidden_size = s->hidden_size;
  p.num_layers = s->num_layers;
  p.seed = s->seed;
  return seq_gru_model_new_random (&p, &mp, error);
}

static void
gst_seq_gru_class_init (GstSeqGruClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstSeqRecurrentClass *rclass = GST_SEQ_RECURRENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (seq_gru_debug, "seqgru", 0, "seqenc GRU");

  gst_element_class_set_static_metadata (element_class,
      "Stacked GRU encoder", "Filter/Tensor",
      "Runs a stateful stacked GRU (PyTorch nn.GRU semantics) over tensor "
      "frames", "seqenc developers");

  rclass->iface = seq_gru_recurrent ();
  rclass->cell_name = "GRU";
  rclass->validate = gru_validate;
  rclass->new_from_file = gru_new_from_file;
  rclass->new_random = gru_new_random;
  /* the state functions take the cell's own pointer types (GLib's
   * GDestroyNotify idiom) */
  rclass->state_new = (gpointer (*)(gconstpointer)) seq_gru_state_new;
  rclass->state_free = (void (*)(gpointer)) seq_gru_state_free;
  rclass->state_reset = (void (*)(gpointer)) seq_gru_state_reset;
  rclass->state_save = (GBytes * (*)(gconstpointer)) seq_gru_state_save;
  rclass->state_restore = (gboolean (*)(gpointer, GBytes *, GError **))
      seq_gru_state_restore;
  gst_seq_recurrent_class_install_properties (rclass, "nn.GRU");
}

static void
gst_seq_gru_init (GstSeqGru * self)
{
}
