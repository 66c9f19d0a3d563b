/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — GstSeqFbankStream, the per-stream front end of seqfbank.
 * See gstseqfbankstream.h. */
#include "gstseqfbankstream.h"

#include <string.h>

/* seqfbank's category (gstseqfbank.c): the stream logs as the element */
GST_DEBUG_CATEGORY_EXTERN (gst_seq_fbank_debug);
#define GST_CAT_DEFAULT gst_seq_fbank_debug

/* Samples converted per step when the input must be copied (unaligned or
 * big-endian memory). */
#define COPY_CHUNK 1024

void
gst_seq_fbank_stream_init (GstSeqFbankStream * s, GstElement * element,
    GstPad * srcpad, GstSeqStateKeeper * keeper)
{
  memset (s, 0, sizeof (*s));
  s->element = element;
  s->srcpad = srcpad;
  s->keeper = keeper;
  gst_seq_fbank_stream_reset (s);
}

void
gst_seq_fbank_stream_clear (GstSeqFbankStream * s)
{
  seq_fbank_free (s->fb);
  s->fb = NULL;
  gst_seq_fbank_stream_reset (s);
}

gboolean
gst_seq_fbank_stream_is_configured (GstSeqFbankStream * s)
{
  return s->fb != NULL;
}

static gboolean
params_equal (const SeqFbankParams * a, const SeqFbankParams * b)
{
  return a->sample_rate == b->sample_rate
      && a->frame_length_ms == b->frame_length_ms
      && a->frame_shift_ms == b->frame_shift_ms
      && a->num_mel_bins == b->num_mel_bins && a->low_freq == b->low_freq
      && a->high_freq == b->high_freq && a->preemphasis == b->preemphasis
      && a->remove_dc_offset == b->remove_dc_offset && a->window == b->window
      && a->blackman_coeff == b->blackman_coeff
      && a->use_energy == b->use_energy && a->raw_energy == b->raw_energy
      && a->energy_floor == b->energy_floor && a->snip_edges == b->snip_edges
      && a->dither == b->dither && a->dither_seed == b->dither_seed
      && a->stack == b->stack && a->stack_hop == b->stack_hop;
}

gboolean
gst_seq_fbank_stream_runs (GstSeqFbankStream * s,
    const SeqFbankParams * params, gboolean is_f32)
{
  return s->fb != NULL && params_equal (params, &s->params)
      && is_f32 == s->is_f32;
}

void
gst_seq_fbank_stream_configure (GstSeqFbankStream * s, SeqFbank * fb,
    const SeqFbankParams * params, gboolean is_f32,
    const GstSeqTensorCaps * out)
{
  /* a new configuration ends the stream under the old one */
  if (s->fb) {
    gst_seq_fbank_stream_drain (s);
    seq_fbank_free (s->fb);
  }
  s->fb = fb;
  s->params = *params;
  s->is_f32 = is_f32;
  s->bps = is_f32 ? 4 : 2;
  s->rate = (gint) params->sample_rate;
  s->shift = seq_fbank_hop (fb);
  s->out = *out;
  gst_seq_fbank_stream_reset (s);
  s->dirty = FALSE;
}

GstClockTime
gst_seq_fbank_stream_latency (GstSeqFbankStream * s)
{
  if (s->fb == NULL)
    return 0;
  return gst_util_uint64_scale_int (seq_fbank_lookahead (s->fb), GST_SECOND,
      s->rate);
}

/* ---- stream state ---- */

void
gst_seq_fbank_stream_reset (GstSeqFbankStream * s)
{
  if (s->fb)
    seq_fbank_reset (s->fb);
  s->need_base = TRUE;
  s->base = GST_CLOCK_TIME_NONE;
  s->base_sample = 0;
  s->next_frame = 0;
  s->carry_len = 0;
  s->processed = FALSE;
}

gboolean
gst_seq_fbank_stream_has_fed (GstSeqFbankStream * s)
{
  return s->processed;
}

GBytes *
gst_seq_fbank_stream_save (GstSeqFbankStream * s)
{
  if (s->fb == NULL || !s->dirty)
    return NULL;
  s->dirty = FALSE;             /* a failed save posts an error anyway */
  return seq_fbank_state_save (s->fb);
}

gboolean
gst_seq_fbank_stream_restore (GstSeqFbankStream * s, GBytes * blob,
    GError ** error)
{
  if (!seq_fbank_state_restore (s->fb, blob, error))
    return FALSE;
  /* the stream continues at the sample and frame it was saved at */
  s->base_sample = seq_fbank_samples_fed (s->fb);
  s->next_frame = seq_fbank_frames_done (s->fb);
  GST_INFO_OBJECT (s->element, "restored at sample %" G_GUINT64_FORMAT
      ", frame %" G_GUINT64_FORMAT, s->base_sample, s->next_frame);
  return TRUE;
}

/* ---- timestamps and output ---- */

/* PTS of frame @k: it starts at stream sample k * shift, and sample
 * base_sample is at s->base (0 unless the stream was restored). Integer
 * math from the stream start: no drift. */
static GstClockTime
frame_pts (GstSeqFbankStream * s, guint64 k)
{
  guint64 t = k * s->shift, d;

  if (!GST_CLOCK_TIME_IS_VALID (s->base))
    return GST_CLOCK_TIME_NONE;
  if (t >= s->base_sample)
    return s->base + gst_util_uint64_scale_int (t - s->base_sample,
        GST_SECOND, s->rate);
  d = gst_util_uint64_scale_int (s->base_sample - t, GST_SECOND, s->rate);
  return s->base > d ? s->base - d : 0;
}

/* Takes the stream start from @buffer (else the segment start, else 0)
 * when a new stream begins. */
static void
take_base (GstSeqFbankStream * s, GstBuffer * buffer,
    const GstSegment * segment)
{
  if (!s->need_base)
    return;
  if (GST_BUFFER_PTS_IS_VALID (buffer))
    s->base = GST_BUFFER_PTS (buffer);
  else if (segment->format == GST_FORMAT_TIME)
    s->base = segment->start;
  else
    s->base = 0;
  s->need_base = FALSE;
  GST_DEBUG_OBJECT (s->element, "stream start at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (s->base));
}

/* Timestamps @buf's @n frames and pushes them: as one buffer (flexible) or
 * one buffer per frame (static). */
static GstFlowReturn
push_frames (GstSeqFbankStream * s, GstBuffer * buf, guint n)
{
  guint64 k = s->next_frame;
  GstFlowReturn ret;

  s->next_frame += n;
  if (s->out.format == GST_SEQ_TENSOR_FORMAT_FLEXIBLE) {
    GstClockTime t0 = frame_pts (s, k), t1 = frame_pts (s, k + n);
    GST_BUFFER_PTS (buf) = t0;
    GST_BUFFER_DURATION (buf) = GST_CLOCK_TIME_IS_VALID (t0) ? t1 - t0 :
        GST_CLOCK_TIME_NONE;
    GST_BUFFER_OFFSET (buf) = k;
    GST_BUFFER_OFFSET_END (buf) = k + n;
    ret = gst_pad_push (s->srcpad, buf);
  } else {
    GstBufferList *list = gst_buffer_list_new_sized (n);
    gsize bytes = (gsize) s->out.dim * sizeof (float);
    for (guint i = 0; i < n; i++) {
      GstBuffer *one = gst_buffer_copy_region (buf, GST_BUFFER_COPY_MEMORY,
          i * bytes, bytes);
      GstClockTime t0 = frame_pts (s, k + i), t1 = frame_pts (s, k + i + 1);
      GST_BUFFER_PTS (one) = t0;
      GST_BUFFER_DURATION (one) = GST_CLOCK_TIME_IS_VALID (t0) ? t1 - t0 :
          GST_CLOCK_TIME_NONE;
      GST_BUFFER_OFFSET (one) = k + i;
      GST_BUFFER_OFFSET_END (one) = k + i + 1;
      gst_buffer_list_add (list, one);
    }
    gst_buffer_unref (buf);
    ret = gst_pad_push_list (s->srcpad, list);
  }
  return ret;
}

/* Output buffer for @n frames; *@out is where the frames go. */
static GstBuffer *
new_output (GstSeqFbankStream * s, guint n, GstMapInfo * map, float **out)
{
  guint8 *data = NULL;
  GstBuffer *buf;
  GstSeqTensorCaps c = s->out;

  /* static output is split into one-frame buffers afterwards */
  c.frames = n;
  buf = gst_seq_tensor_buffer_new (&c, n, map, &data);
  *out = (float *) data;
  return buf;
}

GstFlowReturn
gst_seq_fbank_stream_drain (GstSeqFbankStream * s)
{
  GstFlowReturn ret = GST_FLOW_OK;
  gsize n;

  if (s->fb == NULL)
    return GST_FLOW_OK;
  if (s->carry_len)
    GST_DEBUG_OBJECT (s->element, "dropping %u bytes of a partial sample",
        s->carry_len);
  n = seq_fbank_finish_pending (s->fb);
  if (n > 0) {
    GstMapInfo map;
    float *out;
    GstBuffer *buf = new_output (s, (guint) n, &map, &out);
    if (buf == NULL) {
      GST_ELEMENT_ERROR (s->element, RESOURCE, FAILED, (NULL),
          ("could not allocate %" G_GSIZE_FORMAT " frames", n));
      gst_seq_fbank_stream_reset (s);
      return GST_FLOW_ERROR;
    }
    seq_fbank_finish (s->fb, out, n);
    gst_buffer_unmap (buf, &map);
    GST_DEBUG_OBJECT (s->element, "drained %" G_GSIZE_FORMAT " frames", n);
    ret = push_frames (s, buf, (guint) n);
  }
  gst_seq_fbank_stream_reset (s);
  return ret;
}

/* ---- input ---- */

/* Feeds @n samples in little-endian @s->bps-byte units, writing the frames
 * to @out (room for @max frames). Converts through an aligned copy when the
 * memory is unaligned or the host big-endian. FALSE with @error on a
 * non-finite sample. */
static gboolean
feed (GstSeqFbankStream * s, const guint8 * data, gsize n, float *out,
    gsize max, GError ** error)
{
  gboolean direct = G_BYTE_ORDER == G_LITTLE_ENDIAN
      && ((guintptr) data % s->bps) == 0;
  gsize done = 0, written = 0;

  if (direct) {
    if (s->is_f32)
      return seq_fbank_feed_f32 (s->fb, (const float *) data, n, out, max,
          NULL, error);
    seq_fbank_feed_s16 (s->fb, (const gint16 *) data, n, out, max);
    return TRUE;
  }
  while (done < n) {
    gsize m = MIN (n - done, COPY_CHUNK), pending, got = 0;
    union
    {
      float f[COPY_CHUNK];
      gint16 s[COPY_CHUNK];
    } tmp;
    const guint8 *p = data + done * s->bps;

    pending = seq_fbank_frames_pending (s->fb, m);
    if (s->is_f32) {
      for (gsize i = 0; i < m; i++) {
        guint32 v;
        memcpy (&v, p + 4 * i, 4);      /* no unaligned loads */
        v = GUINT32_FROM_LE (v);
        memcpy (&tmp.f[i], &v, 4);
      }
      if (!seq_fbank_feed_f32 (s->fb, tmp.f, m, out + written * s->out.dim,
              pending, &got, error))
        return FALSE;
    } else {
      for (gsize i = 0; i < m; i++) {
        guint16 v;
        memcpy (&v, p + 2 * i, 2);
        tmp.s[i] = (gint16) GUINT16_FROM_LE (v);
      }
      got = seq_fbank_feed_s16 (s->fb, tmp.s, m, out + written * s->out.dim,
          pending);
    }
    written += got;
    done += m;
  }
  g_assert (written <= max);
  return TRUE;
}

/* Feeds @n whole samples and pushes the frames they complete. */
static GstFlowReturn
process (GstSeqFbankStream * s, const guint8 * data, gsize n)
{
  gsize pending;
  GstBuffer *buf = NULL;
  GstMapInfo map;
  float *out = NULL;
  GError *err = NULL;

  if (n == 0)
    return GST_FLOW_OK;
  pending = seq_fbank_frames_pending (s->fb, n);
  if (pending > 0) {
    buf = new_output (s, (guint) pending, &map, &out);
    if (buf == NULL)
      goto no_memory;
  }
  if (!feed (s, data, n, out, pending, &err))
    goto bad_samples;
  s->processed = TRUE;
  s->dirty = TRUE;
  if (buf != NULL) {
    GstFlowReturn ret;

    gst_buffer_unmap (buf, &map);
    ret = push_frames (s, buf, (guint) pending);
    if (ret == GST_FLOW_OK && !gst_seq_state_keeper_tick (s->keeper, pending))
      ret = GST_FLOW_ERROR;
    return ret;
  }
  return GST_FLOW_OK;

  /* ERRORS */
no_memory:
  {
    GST_ELEMENT_ERROR (s->element, RESOURCE, FAILED, (NULL),
        ("could not allocate %" G_GSIZE_FORMAT " frames", pending));
    return GST_FLOW_ERROR;
  }
bad_samples:
  {
    if (buf) {
      gst_buffer_unmap (buf, &map);
      gst_buffer_unref (buf);
    }
    GST_ELEMENT_ERROR (s->element, STREAM, FORMAT,
        ("Audio samples are not finite numbers."), ("%s", err->message));
    g_error_free (err);
    return GST_FLOW_ERROR;
  }
}

GstFlowReturn
gst_seq_fbank_stream_chain (GstSeqFbankStream * s, GstBuffer * buffer,
    const GstSegment * segment)
{
  GstFlowReturn ret = GST_FLOW_OK;
  GstMapInfo map;
  const guint8 *data;
  gsize size;

  take_base (s, buffer, segment);
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    goto map_failed;
  data = map.data;
  size = map.size;

  /* complete a partial sample left by the previous buffer */
  if (s->carry_len > 0) {
    guint need = MIN (s->bps - s->carry_len, size);
    memcpy (s->carry + s->carry_len, data, need);
    s->carry_len += need;
    data += need;
    size -= need;
    if (s->carry_len == s->bps) {
      s->carry_len = 0;
      ret = process (s, s->carry, 1);
    }
  }
  if (ret == GST_FLOW_OK)
    ret = process (s, data, size / s->bps);
  if (ret == GST_FLOW_OK && size % s->bps) {
    s->carry_len = size % s->bps;
    memcpy (s->carry, data + size - s->carry_len, s->carry_len);
  }
  gst_buffer_unmap (buffer, &map);
  return ret;

  /* ERRORS */
map_failed:
  {
    GST_ELEMENT_ERROR (s->element, RESOURCE, READ, (NULL),
        ("could not map the input buffer"));
    return GST_FLOW_ERROR;
  }
}
