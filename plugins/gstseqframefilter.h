/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — GstSeqFrameFilter: base class of the frames-in, frames-out
 * elements (seqembed, seqposenc, seqhead; seqlstm and seqgru through
 * GstSeqRecurrent, gstseqrecurrent.h).
 *
 * It owns everything they share: tensor caps negotiation (widths mapped
 * through the subclass's out_dim/in_dim, format and framerate kept, static T
 * kept), input validation (static size, flexible header), output allocation in
 * the input's format, timestamps and offsets copied (frames map 1:1), the
 * reset-on property and the resets it asks for (FLUSH_STOP, STREAM_START,
 * seqenc-reset, DISCONT), PAUSED→READY forgetting state, NULL↔READY opening
 * and closing the model, and the state-location / checkpoint-interval
 * properties of subclasses that implement save_state/restore_state: the state
 * is restored from that file when the stream is set up, and saved
 * atomically (temporary file, fsync, rename) at EOS, at stop and every
 * checkpoint-interval frames. A reset is skipped while nothing was processed since
 * the last one, so that a state restored at start survives the first
 * STREAM_START and DISCONT.
 */
#pragma once

#include <gst/base/gstbasetransform.h>
#include "gstseqtensor.h"
#include "gstseqstate.h"

G_BEGIN_DECLS

#define GST_TYPE_SEQ_FRAME_FILTER (gst_seq_frame_filter_get_type ())
G_DECLARE_DERIVABLE_TYPE (GstSeqFrameFilter, gst_seq_frame_filter, GST,
    SEQ_FRAME_FILTER, GstBaseTransform)

struct _GstSeqFrameFilterClass
{
  GstBaseTransformClass parent_class;

  /* set in class_init */
  GstSeqTensorType in_type;
  GstSeqTensorType out_type;
  /* valid ranges of integer properties whose specs admit any value,
   * checked at NULL→READY before open (see gstseqstate.h); may be NULL */
  const GstSeqPropRange *prop_ranges;

  /* NULL→READY: load the model (post GST_ELEMENT_ERROR and return FALSE on
   * failure). READY→NULL: free it. Both optional. */
  gboolean (*open) (GstSeqFrameFilter * self);
  void (*close) (GstSeqFrameFilter * self);

  /* Width mapping for negotiation: output width for input width @in_dim
   * (0 = not known yet), and input width for output width @out_dim. Return
   * 0 for "not known / any" and -1 for "impossible". */
  gint (*out_dim) (GstSeqFrameFilter * self, guint in_dim);
  gint (*in_dim) (GstSeqFrameFilter * self, guint out_dim);

  /* Widths known: create the per-stream state for @in_dim → @out_dim frames.
   * Post GST_ELEMENT_ERROR and return FALSE on failure. */
  gboolean (*setup) (GstSeqFrameFilter * self, guint in_dim, guint out_dim);
  /* Back to t = 0. */
  void (*reset) (GstSeqFrameFilter * self);
  /* PAUSED→READY: forget the per-stream state. */
  void (*teardown) (GstSeqFrameFilter * self);

  /* Optional state persistence (the state-location property): a blob of
   * the per-stream state, and restoring one (FALSE with @error when it does
   * not fit). Called only while configured. */
  GBytes *(*save_state) (GstSeqFrameFilter * self);
  gboolean (*restore_state) (GstSeqFrameFilter * self, GBytes * blob,
      GError ** error);

  /* @frames frames: @in [frames][in_dim] of in_type, @out [frames][out_dim]
   * of out_type. Post GST_ELEMENT_ERROR on failure. */
  GstFlowReturn (*process) (GstSeqFrameFilter * self, const guint8 * in,
      guint8 * out, guint frames);
};

/* Resets now (used by subclasses for their own triggers). */
void gst_seq_frame_filter_reset (GstSeqFrameFilter * self);

G_END_DECLS
