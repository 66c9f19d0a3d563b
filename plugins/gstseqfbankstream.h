/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — GstSeqFbankStream: the per-stream front end of seqfbank
 * (gstseqfbank.c), an embedded helper in the style of GstAdapter.
 *
 * It owns the data path of one audio stream: input conversion (S16LE or
 * F32LE samples at any alignment and on any host byte order, a partial
 * sample carried to the next buffer), framing (the library's SeqFbank: the
 * frames that each input buffer completes, those that the end of the stream
 * implies), timestamps (the stream start, frame k's PTS from integer sample
 * counts, durations, offsets counting frames), output (a flexible buffer per
 * step, or one-frame buffers for static output, pushed on the source pad)
 * and its state blob. The element keeps what is not per stream: pads,
 * caps negotiation, events, queries, properties and the state-location
 * helper, whose checkpoint count the stream ticks with every frame pushed.
 *
 * Thread safety: the streaming thread's, or the element's at state changes
 * when that thread is stopped.
 */
#pragma once

#include <gst/gst.h>
#include <seqenc/fbank.h>

#include "gstseqstate.h"
#include "gstseqtensor.h"

G_BEGIN_DECLS

typedef struct {
  /*< private >*/
  GstElement *element;          /* errors and the debug log */
  GstPad *srcpad;               /* where the frames go */
  GstSeqStateKeeper *keeper;    /* ticked with every frame pushed */

  SeqFbank *fb;                 /* NULL until configured */
  SeqFbankParams params;        /* what fb was made with (and the rate) */
  gboolean is_f32;
  guint bps;                    /* bytes per sample */
  gint rate;                    /* samples per second */
  guint shift;                  /* samples between output frames (hop) */
  GstSeqTensorCaps out;         /* negotiated output */
  GstClockTime base;            /* time of sample base_sample */
  gboolean need_base;           /* base is taken from the next buffer */
  guint64 base_sample;          /* stream sample at base (restored streams) */
  guint64 next_frame;           /* index of the next frame output */
  gboolean processed;           /* samples fed since the last reset/restore */
  gboolean dirty;               /* state changed since the last save */
  guint8 carry[4];              /* a partial sample */
  guint carry_len;
} GstSeqFbankStream;

void gst_seq_fbank_stream_init (GstSeqFbankStream * stream,
    GstElement * element, GstPad * srcpad, GstSeqStateKeeper * keeper);
/* Frees the filterbank: unconfigured, at t = 0. */
void gst_seq_fbank_stream_clear (GstSeqFbankStream * stream);

/* TRUE when a filterbank runs (caps were accepted). */
gboolean gst_seq_fbank_stream_is_configured (GstSeqFbankStream * stream);
/* TRUE when it runs @params (sample rate included) on @is_f32 samples. */
gboolean gst_seq_fbank_stream_runs (GstSeqFbankStream * stream,
    const SeqFbankParams * params, gboolean is_f32);
/* Takes @fb, made with @params, for @is_f32 samples and @out frames. A
 * stream that ran under other settings is ended first (drained under its
 * own caps). The new stream starts at t = 0, not dirty. */
void gst_seq_fbank_stream_configure (GstSeqFbankStream * stream,
    SeqFbank * fb, const SeqFbankParams * params, gboolean is_f32,
    const GstSeqTensorCaps * out);
/* The lookahead in time: frame k is complete once sample k·shift +
 * lookahead − 1 is in. */
GstClockTime gst_seq_fbank_stream_latency (GstSeqFbankStream * stream);

/* Back to t = 0 (held samples dropped, the next buffer gives the stream
 * start). */
void gst_seq_fbank_stream_reset (GstSeqFbankStream * stream);
/* TRUE when samples were fed since the last reset or restore. */
gboolean gst_seq_fbank_stream_has_fed (GstSeqFbankStream * stream);
/* Ends the stream: pushes the frames its end implies, then resets. */
GstFlowReturn gst_seq_fbank_stream_drain (GstSeqFbankStream * stream);
/* Feeds @buffer (not taken) and pushes the frames it completes; @segment
 * gives the stream start when @buffer has no PTS. Posts the element error
 * (STREAM FORMAT for non-finite samples) and returns GST_FLOW_ERROR on
 * failure. */
GstFlowReturn gst_seq_fbank_stream_chain (GstSeqFbankStream * stream,
    GstBuffer * buffer, const GstSegment * segment);

/* The state blob as of now, or NULL when unconfigured or unchanged since the
 * last save. */
GBytes *gst_seq_fbank_stream_save (GstSeqFbankStream * stream);
/* Continues the stream from @blob: the next sample fed is the saved sample
 * count, frames continue at the saved index. FALSE with @error when the
 * blob does not fit these settings. */
gboolean gst_seq_fbank_stream_restore (GstSeqFbankStream * stream,
    GBytes * blob, GError ** error);

G_END_DECLS
