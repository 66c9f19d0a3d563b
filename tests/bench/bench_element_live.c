/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc benchmark — live capacity through the element path (issue 6).
 *
 *   bench_element_live [streams] [seconds] [hidden] [layers] [precision]
 *                      [max-delay-ms] [n-threads] [max-batch]
 *
 * precision: f32, bf16, f16 (weights-precision) or bf16-matmul
 * (weights-precision=bf16 matmul-precision=bf16).
 *
 * N live 16 kHz sources (audiotestsrc is-live=true, 10 ms buffers), each
 * `seqfbank ! seqlstm batch-group=live` (in 80, default hidden 512, 3
 * layers: the speech config) into a fakesink. Every seqlstm buffer's time
 * inside the element (sink pad to src pad, which includes waiting for its
 * batch) is recorded; after the run the p50/p99/max of that added latency
 * and the frames each stream got are printed (latencies of the first
 * second, the warm-up, are left out). The streams keep up when every
 * stream got (about) 100 frames per second of run and p99 stays bounded.
 * Prints one line "streams N  frames/s F  p50 A ms  p99 B ms  max C ms
 * keeps-up yes|no  cpu U us/frame  csw V+I/frame": after the warm-up second,
 * the process CPU time (user + system) and context switches (voluntary,
 * involuntary) per stream-frame, which is the per-frame overhead of the
 * element path when the model is small.
 *
 * SEQENC_BENCH_BUSY=N adds N busy branches to the same pipeline
 * (videotestsrc pattern=snow ! videoconvert to RGB ! fakesink, not live: each
 * runs as fast as its thread gets a core), the crowded setting of issue 13:
 * the streams then share both cores with other work, and the line also
 * prints the busy branches' video frames per second. With busy branches the
 * cpu figure is the whole process's and no longer per stream-frame.
 */
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "gstseqencelements.h"

/* Per stream; touched only by the stream's streaming thread (the sink and
 * src probes of seqlstm run in it, one output buffer per input buffer),
 * except frames, read atomically by the main thread. Cheap on purpose: the
 * tool's own per-buffer cost lands in the CPU it reports. */
typedef struct
{
  gint64 entered;               /* monotonic us of the buffer inside, or 0 */
  gint frames;                  /* frames out, atomic */
  GArray *latencies;            /* gint64 us, after the warm-up */
} StreamStat;

static gint64 measure_from;     /* monotonic time: after 1 s of warm-up */

static GstPadProbeReturn
sink_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  StreamStat *st = data;

  st->entered = g_get_monotonic_time ();
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
src_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  StreamStat *st = data;
  gint64 now = g_get_monotonic_time ();
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  guint8 word[4];

  /* flexible: header then T x H floats; T is header word 4 */
  if (gst_buffer_extract (buf, 16, word, 4) == 4)
    g_atomic_int_add (&st->frames, (gint) GST_READ_UINT32_LE (word));
  if (st->entered != 0) {
    gint64 d = now - st->entered;
    st->entered = 0;
    if (now >= measure_from)
      g_array_append_val (st->latencies, d);
  }
  return GST_PAD_PROBE_OK;
}

static guint64
total_frames (StreamStat * stats, guint streams)
{
  guint64 total = 0;

  for (guint s = 0; s < streams; s++)
    total += (guint) g_atomic_int_get (&stats[s].frames);
  return total;
}

/* CPU microseconds (user + system) and voluntary and involuntary context
 * switches of the process. */
static void
usage (gint64 * cpu_us, gint64 * vcsw, gint64 * icsw)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  *cpu_us = (gint64) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
      ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
  *vcsw = ru.ru_nvcsw;
  *icsw = ru.ru_nivcsw;
}

static int
cmp64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

/* Buffers the busy branches' sinks have rendered so far (fakesink's
 * last-message is off: count by the sink's position in frames instead). */
static guint64
busy_count (GstElement * pipeline, guint busy)
{
  guint64 total = 0;

  for (guint k = 0; k < busy; k++) {
    gchar *name = g_strdup_printf ("busy%u", k);
    GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), name);
    gint64 pos = 0;
    if (e != NULL && gst_element_query_position (e, GST_FORMAT_TIME, &pos))
      total += (guint64) (pos / (GST_SECOND / 1000));
    gst_clear_object (&e);
    g_free (name);
  }
  return total;
}

int
main (int argc, char **argv)
{
  guint streams = argc > 1 ? (guint) atoi (argv[1]) : 64;
  guint seconds = argc > 2 ? (guint) atoi (argv[2]) : 10;
  guint hidden = argc > 3 ? (guint) atoi (argv[3]) : 512;
  guint layers = argc > 4 ? (guint) atoi (argv[4]) : 3;
  const char *precision = argc > 5 ? argv[5] : "f32";
  guint max_delay = argc > 6 ? (guint) atoi (argv[6]) : 5;
  guint n_threads = argc > 7 ? (guint) atoi (argv[7]) : 0;
  guint max_batch = argc > 8 ? (guint) atoi (argv[8]) : 0;
  GString *desc = g_string_new (NULL);
  StreamStat *stats;
  GstElement *pipeline;
  GError *err = NULL;
  GstBus *bus;
  GstMessage *msg;
  guint64 min_frames = G_MAXUINT64, total = 0;
  GArray *latencies;
  gint64 *v, cpu0, cpu1, vcsw0, vcsw1, icsw0, icsw1;
  guint64 frames0, frames1;
  guint n;
  double p50, p99, pmax, fps, wf;
  gboolean keeps_up;
  guint busy;
  guint64 busy_frames0 = 0, busy_frames1 = 0;
  const char *weights = precision, *matmul = "f32";

  if (g_str_equal (precision, "bf16-matmul")) {
    weights = "bf16";
    matmul = "bf16";
  }
  gst_init (&argc, &argv);
  gst_seqenc_elements_register (NULL);

  for (guint s = 0; s < streams; s++)
    g_string_append_printf (desc, "audiotestsrc is-live=true wave=pink-noise "
        "samplesperbuffer=160 ! audio/x-raw,format=S16LE,rate=16000,"
        "channels=1 ! seqfbank ! seqlstm name=lstm%u batch-group=live "
        "hidden-size=%u num-layers=%u weights-precision=%s "
        "matmul-precision=%s max-batch=%u max-delay=%u n-threads=%u ! "
        "fakesink sync=false ", s, hidden, layers, weights, matmul,
        max_batch ? max_batch : streams, max_delay, n_threads);
  busy = g_getenv ("SEQENC_BENCH_BUSY") ?
      (guint) atoi (g_getenv ("SEQENC_BENCH_BUSY")) : 0;
  for (guint k = 0; k < busy; k++)
    g_string_append_printf (desc, "videotestsrc pattern=snow ! "
        "video/x-raw,width=640,height=360,framerate=1000/1 ! videoconvert ! "
        "video/x-raw,format=RGB ! fakesink name=busy%u sync=false ", k);
  pipeline = gst_parse_launch (desc->str, &err);
  g_string_free (desc, TRUE);
  if (pipeline == NULL) {
    fprintf (stderr, "pipeline: %s\n", err->message);
    return 1;
  }
  stats = g_new0 (StreamStat, streams);
  for (guint s = 0; s < streams; s++) {
    gchar *name = g_strdup_printf ("lstm%u", s);
    GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), name);
    GstPad *sink = gst_element_get_static_pad (e, "sink");
    GstPad *src = gst_element_get_static_pad (e, "src");
    stats[s].latencies = g_array_sized_new (FALSE, FALSE, sizeof (gint64),
        100 * seconds);
    gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, sink_probe, &stats[s],
        NULL);
    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, src_probe, &stats[s],
        NULL);
    gst_object_unref (sink);
    gst_object_unref (src);
    gst_object_unref (e);
    g_free (name);
  }

  bus = gst_element_get_bus (pipeline);
  measure_from = g_get_monotonic_time () + G_USEC_PER_SEC;
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  /* warm-up second, then the measured window */
  msg = gst_bus_timed_pop_filtered (bus, GST_SECOND, GST_MESSAGE_ERROR);
  usage (&cpu0, &vcsw0, &icsw0);
  frames0 = total_frames (stats, streams);
  busy_frames0 = busy_count (pipeline, busy);
  if (msg == NULL && seconds > 1)
    msg = gst_bus_timed_pop_filtered (bus, (seconds - 1) * GST_SECOND,
        GST_MESSAGE_ERROR);
  usage (&cpu1, &vcsw1, &icsw1);
  frames1 = total_frames (stats, streams);
  busy_frames1 = busy_count (pipeline, busy);
  if (msg != NULL) {
    gst_message_parse_error (msg, &err, NULL);
    fprintf (stderr, "error: %s\n", err->message);
    return 1;
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);

  latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint s = 0; s < streams; s++) {
    guint64 f = (guint) g_atomic_int_get (&stats[s].frames);
    min_frames = MIN (min_frames, f);
    total += f;
    g_array_append_vals (latencies, stats[s].latencies->data,
        stats[s].latencies->len);
    g_array_free (stats[s].latencies, TRUE);
  }
  g_array_sort (latencies, cmp64);
  v = (gint64 *) latencies->data;
  n = latencies->len;
  /* percentiles of buffers that left after the first second (warm-up:
   * model creation, threads starting) */
  p50 = n ? v[n / 2] / 1000.0 : 0;
  p99 = n ? v[(gsize) (n * 0.99)] / 1000.0 : 0;
  pmax = n ? v[n - 1] / 1000.0 : 0;
  fps = (double) total / seconds;
  /* 100 frames/s per stream; allow the first 0.5 s of startup */
  wf = frames1 > frames0 ? (double) (frames1 - frames0) : 1.0;
  keeps_up = min_frames >= (guint64) (100 * (seconds - 0.5) - 2);
  printf ("streams %u  frames/s %.0f (min per stream %.1f/s)  p50 %.2f ms  "
      "p99 %.2f ms  max %.2f ms  keeps-up %s  cpu %.2f us/frame  "
      "csw %.2f+%.2f/frame  [hidden %u, layers %u, %s, max-delay %u ms, "
      "n-threads %u]\n", streams, fps, (double) min_frames / seconds, p50,
      p99, pmax, keeps_up ? "yes" : "no", (double) (cpu1 - cpu0) / wf,
      (double) (vcsw1 - vcsw0) / wf, (double) (icsw1 - icsw0) / wf, hidden,
      layers, precision, max_delay, n_threads);
  if (busy > 0)
    printf ("busy branches %u  video frames/s %.1f\n", busy,
        (double) (busy_frames1 - busy_frames0) / (seconds - 1));
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return 0;
}
