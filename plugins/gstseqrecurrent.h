/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — GstSeqRecurrent: base class of the stacked recurrent
 * elements (seqlstm, seqgru), over the library's SeqRecurrentIface
 * (seqenc/recurrent.h).
 *
 * It owns everything the cells share: the properties model, model-prefix,
 * input-size, hidden-size, num-layers, seed, output, n-threads,
 * weights-precision, matmul-precision, batch-group, max-batch and max-delay
 * (refused outside NULL/READY, ranges checked at NULL→READY; reset-on,
 * state-location and checkpoint-interval come from GstSeqFrameFilter); the
 * model (loaded from the file, shared with a running batch group, or built
 * in: seeded random weights, made at NULL→READY when input-size is set, else
 * at caps time for the negotiated width); the width mapping for negotiation;
 * joining and leaving the batch group (gstseqbatchgroup.h); the forward pass
 * (alone, or through the group's batcher); the state's reset, save and
 * restore; and the LATENCY a batch group adds (max-delay).
 *
 * A subclass (one cell) fills the class fields in its class_init, then calls
 * gst_seq_recurrent_class_install_properties (). It adds its element
 * metadata and nothing else (the pad templates are the base's); a
 * cell-only property would be installed after the common ones, with its
 * own set/get_property handing the others to the base's.
 */
#pragma once

#include "gstseqframefilter.h"

#include <seqenc/recurrent.h>

G_BEGIN_DECLS

#define GST_TYPE_SEQ_RECURRENT (gst_seq_recurrent_get_type ())
G_DECLARE_DERIVABLE_TYPE (GstSeqRecurrent, gst_seq_recurrent, GST,
    SEQ_RECURRENT, GstSeqFrameFilter)

/* output: which hidden states flow downstream (SeqRecurrentOutput). */
#define GST_TYPE_SEQ_RECURRENT_OUTPUT (gst_seq_recurrent_output_get_type ())
GType gst_seq_recurrent_output_get_type (void);

/* weights-precision: storage precision of the weights. */
typedef enum {
  GST_SEQ_PRECISION_F32 = 0,
  GST_SEQ_PRECISION_BF16 = 1,
  GST_SEQ_PRECISION_F16 = 2,
  GST_SEQ_PRECISION_INT8 = 3,
} GstSeqPrecision;
#define GST_TYPE_SEQ_PRECISION (gst_seq_precision_get_type ())
GType gst_seq_precision_get_type (void);

/* matmul-precision: operands of the matrix products. */
typedef enum {
  GST_SEQ_MATMUL_PRECISION_F32 = 0,
  GST_SEQ_MATMUL_PRECISION_BF16 = 1,
} GstSeqMatmulPrecision;
#define GST_TYPE_SEQ_MATMUL_PRECISION (gst_seq_matmul_precision_get_type ())
GType gst_seq_matmul_precision_get_type (void);

/* What a model is built with, from the properties (the library's own
 * precisions). */
typedef struct {
  const gchar *prefix;          /* tensor-name prefix; NULL = auto-detect */
  SeqPrecision weights_precision;
  SeqMatmulPrecision matmul_precision;
  /* the built-in model (random source) only: */
  guint input_size;
  guint hidden_size;
  guint num_layers;
  guint64 seed;
} GstSeqRecurrentModelSettings;

struct _GstSeqRecurrentClass
{
  GstSeqFrameFilterClass parent_class;

  /* set in class_init */
  const SeqRecurrentIface *iface;       /* seq_<cell>_recurrent () */
  const gchar *cell_name;       /* "LSTM": in error messages */

  /* Model: refuse settings the cell cannot run (FALSE with @error), and the
   * two sources, a safetensors file and the seeded built-in model (a new
   * reference, or NULL with @error). */
  gboolean (*validate) (const GstSeqRecurrentModelSettings * settings,
      GError ** error);
  gpointer (*new_from_file) (const gchar * path,
      const GstSeqRecurrentModelSettings * settings, GError ** error);
  gpointer (*new_random) (const GstSeqRecurrentModelSettings * settings,
      GError ** error);

  /* Per-stream state of a model: seq_<cell>_state_{new,free,reset,save,
   * restore}. */
  gpointer (*state_new) (gconstpointer model);
  void (*state_free) (gpointer state);
  void (*state_reset) (gpointer state);
  GBytes *(*state_save) (gconstpointer state);
  gboolean (*state_restore) (gpointer state, GBytes * blob, GError ** error);
};

/* Installs the common properties on a subclass, with the base's
 * set/get_property as the subclass's; @torch_name ("nn.LSTM") names the
 * weights in the model property's blurb. Call it at the end of the
 * subclass's class_init. */
void gst_seq_recurrent_class_install_properties (GstSeqRecurrentClass * klass,
    const gchar * torch_name);

G_END_DECLS
