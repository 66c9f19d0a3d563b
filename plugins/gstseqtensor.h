/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — the tensor wire format shared by every element.
 *
 * NNStreamer's other/tensors caps, one tensor per buffer:
 *
 *   other/tensors, format=(string){static,flexible}, num_tensors=(int)1,
 *                  types=(string){float32,int32}, dimensions=(string)D:T,
 *                  framerate=(fraction)R
 *
 * `dimensions` is innermost first: D values per frame, T frames per buffer,
 * so a buffer is a C array x[T][D]. In `static` format every buffer holds
 * exactly D*T values. In `flexible` format every memory starts with the
 * 128-byte GstTensorMetaInfo header (below) that gives its own dims, so T may
 * change per buffer; flexible caps carry `dimensions=D` (or D:T, T ignored)
 * when the width is known, or no dimensions at all.
 *
 * Flexible header, little-endian u32 words (NNStreamer 2.x):
 *   [0] magic 0xfeedcced  [1] version 0xde001000  [2] type (int32=0, float32=7)
 *   [3..18] dims, innermost first, the first 0 ends the rank
 *   [19] format (0 static, 1 flexible, 2 sparse)  [20] media type (4 = tensor)
 *   zeros to byte 128; the data follows at byte 128.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_SEQ_TENSOR_HEADER_SIZE 128
#define GST_SEQ_TENSOR_MAGIC 0xfeedccedu
#define GST_SEQ_TENSOR_VERSION 0xde001000u
#define GST_SEQ_TENSOR_RANK_LIMIT 16

/* Caps of every tensor pad: the template caps of our elements. */
#define GST_SEQ_TENSOR_CAPS_ANY \
  "other/tensors, format = (string) { static, flexible }, num_tensors = (int) 1, " \
  "framerate = (fraction) [ 0/1, 2147483647/1 ]"
#define GST_SEQ_TENSOR_CAPS_F32 \
  "other/tensors, format = (string) { static, flexible }, num_tensors = (int) 1, " \
  "types = (string) float32, framerate = (fraction) [ 0/1, 2147483647/1 ]"
#define GST_SEQ_TENSOR_CAPS_I32 \
  "other/tensors, format = (string) { static, flexible }, num_tensors = (int) 1, " \
  "types = (string) int32, framerate = (fraction) [ 0/1, 2147483647/1 ]"

typedef enum {
  GST_SEQ_TENSOR_FORMAT_STATIC = 0,
  GST_SEQ_TENSOR_FORMAT_FLEXIBLE = 1,
} GstSeqTensorFormat;

/* NNStreamer tensor type codes (only the two we carry are named). */
typedef enum {
  GST_SEQ_TENSOR_TYPE_INT32 = 0,
  GST_SEQ_TENSOR_TYPE_FLOAT32 = 7,
  GST_SEQ_TENSOR_TYPE_UNKNOWN = -1,
} GstSeqTensorType;

/* What a fixed tensor caps says. */
typedef struct {
  GstSeqTensorFormat format;
  GstSeqTensorType type;           /* UNKNOWN when absent (flexible only) */
  guint dim;                    /* D, values per frame; 0 = not in caps (flexible) */
  guint frames;                 /* T per buffer for static; 0 for flexible */
  gint rate_n, rate_d;          /* frames per second; 0/1 = untimed */
} GstSeqTensorCaps;

/* Parses fixed caps. FALSE (with a reason in @why, may be NULL) when they are
 * not tensor caps we can carry. */
gboolean gst_seq_tensor_caps_parse (const GstCaps * caps, GstSeqTensorCaps * info,
    gchar ** why);
/* Builds fixed caps from @info (dims "D:T" for static, "D" for flexible). */
GstCaps *gst_seq_tensor_caps_build (const GstSeqTensorCaps * info);
/* "float32" / "int32" / NULL */
const gchar *gst_seq_tensor_type_name (GstSeqTensorType type);
gsize gst_seq_tensor_type_size (GstSeqTensorType type);

/* A mapped input buffer: a view of its frames. */
typedef struct {
  GstBuffer *buffer;
  GstMapInfo map;
  const guint8 *data;           /* first value */
  guint dim;                    /* D */
  guint frames;                 /* T (may be 0) */
  GstSeqTensorType type;
} GstSeqTensorView;

/* Maps @buf according to @caps (static: size must be D*T*elsize; flexible:
 * header checked: magic, type, rank, dims, size). FALSE with a human reason
 * in @why (to be posted as STREAM FORMAT error) on any mismatch; nothing to
 * unmap then. */
gboolean gst_seq_tensor_view_map (GstSeqTensorView * view, GstBuffer * buf,
    const GstSeqTensorCaps * caps, gchar ** why);
void gst_seq_tensor_view_unmap (GstSeqTensorView * view);

/* Allocates an output buffer for @frames frames of width caps->dim in the
 * format of @caps (writing the flexible header when flexible), and maps it
 * writable; *@data points at the first value. Unmap with gst_buffer_unmap. */
GstBuffer *gst_seq_tensor_buffer_new (const GstSeqTensorCaps * caps, guint frames,
    GstMapInfo * map, guint8 ** data);

/* Writes / parses one flexible header (@hdr is GST_SEQ_TENSOR_HEADER_SIZE bytes).
 * Parse returns FALSE with @why on bad magic, version, type, rank or dims. */
void gst_seq_tensor_header_write (guint8 * hdr, GstSeqTensorType type, guint dim,
    guint frames);
gboolean gst_seq_tensor_header_parse (const guint8 * hdr, gsize size,
    GstSeqTensorType * type, guint * dim, guint * frames, gchar ** why);

/* The name of the element that feeds @sinkpad, looking through capsfilters,
 * queues and identity elements ("capsfilter0" alone says little), or
 * "upstream" when unlinked. Free with g_free. */
gchar *gst_seq_tensor_upstream_name (GstPad * sinkpad);

/* The custom downstream event that resets stream state: a serialized custom
 * downstream event whose structure is named "seqenc-reset". */
#define GST_SEQ_RESET_EVENT_NAME "seqenc-reset"
GstEvent *gst_seq_reset_event_new (void);
gboolean gst_seq_event_is_reset (GstEvent * event);

/* reset-on flags shared by every stateful element. */
typedef enum {
  GST_SEQ_RESET_ON_FLUSH = (1 << 0),        /* FLUSH_STOP */
  GST_SEQ_RESET_ON_STREAM_START = (1 << 1), /* a new STREAM_START */
  GST_SEQ_RESET_ON_EVENT = (1 << 2),        /* the seqenc-reset custom event */
  GST_SEQ_RESET_ON_DISCONT = (1 << 3),      /* a buffer flagged DISCONT */
} GstSeqResetOn;
#define GST_SEQ_RESET_ON_DEFAULT (GST_SEQ_RESET_ON_FLUSH | GST_SEQ_RESET_ON_STREAM_START | \
    GST_SEQ_RESET_ON_EVENT | GST_SEQ_RESET_ON_DISCONT)
GType gst_seq_reset_on_get_type (void);
#define GST_TYPE_SEQ_RESET_ON (gst_seq_reset_on_get_type ())

/* Decides whether @event asks for a reset under @flags (the caller still
 * forwards the event). */
gboolean gst_seq_event_wants_reset (GstEvent * event, guint flags);

G_END_DECLS
