/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — seqlstm: stacked LSTM over tensor frames.
 *
 * SECTION:element-seqlstm
 * @title: seqlstm
 *
 * Consumes float32 frames (`other/tensors, types=float32, dimensions=I:T`,
 * static or flexible) and emits, for every frame, the hidden state of the
 * last layer (`output=last-layer`, width H, or P with a projection) or of all
 * layers concatenated (`output=all-layers`, width L*H), with PyTorch
 * `nn.LSTM` semantics. The h and c of every layer carry over from buffer to
 * buffer: the output does not depend on how frames are split into buffers.
 *
 * The model comes from a safetensors file (`model`, PyTorch state_dict names
 * such as `weight_ih_l0`, with an optional prefix) or, when `model` is empty,
 * is built in: seeded PyTorch-style U(-1/sqrt(H), 1/sqrt(H)) weights of
 * `hidden-size` and `num-layers` whose input size is `input-size` or, when 0,
 * the negotiated frame width.
 *
 * FLUSH_STOP, a new STREAM_START, the `seqenc-reset` event and DISCONT
 * buffers (each selectable with `reset-on`) set h and c back to zero. EOS is
 * forwarded (nothing is held). PAUSED→READY forgets the state, READY→NULL
 * frees the model. With `state-location`, h and c are restored from that
 * file at start (a state of another model is refused) and saved there
 * atomically at EOS, at stop and every `checkpoint-interval` frames.
 * Alone it adds no latency; in a `batch-group` up to `max-delay` (which the
 * LATENCY query reports). Non-finite input propagates as in PyTorch (NaN
 * in, NaN out, until the next reset). `weights-precision` stores the
 * weights in 16 bits, or in 8 with `int8` (activations quantized per row at
 * run time, int32 sums); `matmul-precision=bf16` also rounds the activations
 * to bf16 before every matrix product (f32 sums; AMX tiles where the CPU has
 * them), several times faster with many streams in a batch-group.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e filesrc location=README.md ! text/x-raw,format=utf8 ! \
 *     seqtokenizer ! seqembed ! seqposenc ! seqlstm hidden-size=256 ! \
 *     seqnpysink location=hidden.npy
 * ]|
 */
#include "gstseqlstm.h"
#include "gstseqencelements.h"

#include <seqenc/lstm.h>

GST_DEBUG_CATEGORY_STATIC (seq_lstm_debug);
#define GST_CAT_DEFAULT seq_lstm_debug

struct _GstSeqLstm
{
  GstSeqRecurrent parent;
};

G_DEFINE_TYPE (GstSeqLstm, gst_seq_lstm, GST_TYPE_SEQ_RECURRENT);
GST_ELEMENT_REGISTER_DEFINE (seqlstm, "seqlstm", GST_RANK_NONE,
    GST_TYPE_SEQ_LSTM);

/* ---- the cell, as GstSeqRecurrent asks for it ---- */

static SeqLstmModelParams
model_params (const GstSeqRecurrentModelSettings * s)
{
  SeqLstmModelParams mp = seq_lstm_model_params_default ();

  mp.weights_precision = s->weights_precision;
  mp.matmul_precision = s->matmul_precision;
  mp.prefix = s->prefix;
  return mp;
}

static gboolean
lstm_validate (const GstSeqRecurrentModelSettings * s, GError ** error)
{
  SeqLstmModelParams mp = model_params (s);

  return seq_lstm_model_params_validate (&mp, error);
}

static gpointer
lstm_new_from_file (const gchar * path, const GstSeqRecurrentModelSettings * s,
    GError ** error)
{
  SeqLstmModelParams mp = model_params (s);

  return seq_lstm_model_new_from_file (path, &mp, error);
}

static gpointer
lstm_new_random (const GstSeqRecurrentModelSettings * s, GError ** error)
{
  SeqLstmRandomParams p = seq_lstm_random_params_default ();
  SeqLstmModelParams mp = model_params (s);

  p.input_size = s->input_size;
  p.hidden_size = s->hidden_size;
  p.num_layers = s->num_layers;
  p.seed = s->seed;
  return seq_lstm_model_new_random (&p, &mp, error);
}

static void
gst_seq_lstm_class_init (GstSeqLstmClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstSeqRecurrentClass *rclass = GST_SEQ_RECURRENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (seq_lstm_debug, "seqlstm", 0, "seqenc LSTM");

  gst_element_class_set_static_metadata (element_class,
      "Stacked LSTM encoder", "Filter/Tensor",
      "Runs a stateful stacked LSTM (PyTorch nn.LSTM semantics) over tensor "
      "frames", "seqenc developers");

  rclass->iface = seq_lstm_recurrent ();
  rclass->cell_name = "LSTM";
  rclass->validate = lstm_validate;
  rclass->new_from_file = lstm_new_from_file;
  rclass->new_random = lstm_new_random;
  /* the state functions take the cell's own pointer types (GLib's
   * GDestroyNotify idiom) */
  rclass->state_new = (gpointer (*)(gconstpointer)) seq_lstm_state_new;
  rclass->state_free = (void (*)(gpointer)) seq_lstm_state_free;
  rclass->state_reset = (void (*)(gpointer)) seq_lstm_state_reset;
  rclass->state_save = (GBytes * (*)(gconstpointer)) seq_lstm_state_save;
  rclass->state_restore = (gboolean (*)(gpointer, GBytes *, GError **))
      seq_lstm_state_restore;
  gst_seq_recurrent_class_install_properties (rclass, "nn.LSTM");
}

static void
gst_seq_lstm_init (GstSeqLstm * self)
{
}
