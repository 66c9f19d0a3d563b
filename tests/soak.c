/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc soak: many streams through seqposenc and seqlstm (one batch-group),
 * repeated NULL -> PLAYING -> NULL cycles with a flushing seek in every
 * cycle, resident memory measured after every cycle.
 *
 *   soak [streams] [cycles] [frames-per-stream-per-cycle]
 *
 * Defaults (the short form run by `meson test`): 8 streams, 4 cycles,
 * 100000 frames. Each stream is `fakesrc` zeros framed as static 4:1000
 * tensors, a positional encoding that starts at 2^32 - 1000 (so positions
 * cross 2^32 in the first buffer), and a tiny seqlstm (hidden 8) of the
 * batch-group "soak". Passes when every cycle reaches EOS without an error
 * and the RSS after the last cycle is within RSS_GROWTH_LIMIT of the RSS after
 * the first (warm-up) cycle. Prints frames, cycles and RSS as it goes.
 */
#include <gst/gst.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gstseqencelements.h"

/* Allowed RSS growth from the end of the warm-up cycle to the end of the
 * last: allocator noise of a few pages per stream, not per frame. A leak of
 * one buffer per frame would exceed it by orders of magnitude. */
#define RSS_GROWTH_LIMIT (4 * 1024 * 1024)
#define FRAMES_PER_BUFFER 1000

static long
rss_bytes (void)
{
  long pages = 0, resident = 0;
  FILE *f = fopen ("/proc/self/statm", "r");

  if (f == NULL)
    return -1;
  if (fscanf (f, "%ld %ld", &pages, &resident) != 2)
    resident = -1;
  fclose (f);
  return resident * sysconf (_SC_PAGESIZE);
}

static gboolean
run_cycle (GstElement * pipeline, guint cycle)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  gboolean ok = FALSE, seeked = FALSE;

  if (gst_element_set_state (pipeline, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE)
    goto done;
  /* wait for preroll, then flush-seek back to the start once: every stream's
   * state must reset and run again */
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_ASYNC_DONE | GST_MESSAGE_ERROR);
  if (msg == NULL || GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    if (msg) {
      GError *err = NULL;
      gst_message_parse_error (msg, &err, NULL);
      fprintf (stderr, "cycle %u: error %s\n", cycle, err->message);
      g_clear_error (&err);
      gst_message_unref (msg);
    }
    goto done;
  }
  gst_message_unref (msg);
  seeked = gst_element_seek_simple (pipeline, GST_FORMAT_BYTES,
      GST_SEEK_FLAG_FLUSH, 0);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 600 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS)
    ok = TRUE;
  else if (msg != NULL) {
    GError *err = NULL;
    gst_message_parse_error (msg, &err, NULL);
    fprintf (stderr, "cycle %u: error %s\n", cycle, err->message);
    g_clear_error (&err);
  } else {
    fprintf (stderr, "cycle %u: no EOS within 600 s\n", cycle);
  }
  if (msg)
    gst_message_unref (msg);
done:
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  if (!seeked)
    fprintf (stderr, "cycle %u: (flushing seek not handled by the source)\n",
        cycle);
  return ok;
}

int
main (int argc, char **argv)
{
  guint streams = argc > 1 ? (guint) atoi (argv[1]) : 8;
  guint cycles = argc > 2 ? (guint) atoi (argv[2]) : 4;
  guint64 frames = argc > 3 ? g_ascii_strtoull (argv[3], NULL, 10) : 100000;
  guint64 buffers = (frames + FRAMES_PER_BUFFER - 1) / FRAMES_PER_BUFFER;
  GString *desc = g_string_new (NULL);
  GstElement *pipeline;
  GError *err = NULL;
  long rss_warm = 0, rss = 0;
  gboolean ok = TRUE;
  guint c;

  gst_init (&argc, &argv);
  gst_seqenc_elements_register (NULL);

  for (guint s = 0; s < streams; s++)
    g_string_append_printf (desc, "fakesrc num-buffers=%" G_GUINT64_FORMAT
        " sizetype=fixed sizemax=%d filltype=zero ! "
        "other/tensors,format=static,num_tensors=1,types=float32,"
        "dimensions=(string)4:%d,framerate=100/1 ! "
        "seqposenc start=4294966296 ! "
        "seqlstm hidden-size=8 num-layers=1 batch-group=soak max-batch=%u "
        "max-delay=1 ! fakesink sync=false ", buffers,
        4 * 4 * FRAMES_PER_BUFFER, FRAMES_PER_BUFFER, streams);
  pipeline = gst_parse_launch (desc->str, &err);
  g_string_free (desc, TRUE);
  if (pipeline == NULL) {
    fprintf (stderr, "cannot build the soak pipeline: %s\n", err->message);
    printf ("0 passed, 1 failed\n");
    return 1;
  }

  printf ("soak: %u streams x %u cycles x %" G_GUINT64_FORMAT
      " frames (%" G_GUINT64_FORMAT " frames per stream in all)\n", streams,
      cycles, buffers * FRAMES_PER_BUFFER,
      buffers * FRAMES_PER_BUFFER * cycles);
  for (c = 0; c < cycles && ok; c++) {
    gint64 t0 = g_get_monotonic_time ();
    ok = run_cycle (pipeline, c);
    rss = rss_bytes ();
    if (c == 0)
      rss_warm = rss;
    printf ("cycle %u: %s in %.1f s, RSS %.1f MiB\n", c, ok ? "EOS" : "FAILED",
        (g_get_monotonic_time () - t0) / 1e6, rss / 1048576.0);
    fflush (stdout);
  }
  if (ok && rss - rss_warm > RSS_GROWTH_LIMIT) {
    printf ("RSS grew by %.1f MiB after warm-up (limit %.1f MiB)\n",
        (rss - rss_warm) / 1048576.0, RSS_GROWTH_LIMIT / 1048576.0);
    ok = FALSE;
  } else if (ok) {
    printf ("RSS after warm-up %.1f MiB, after the last cycle %.1f MiB\n",
        rss_warm / 1048576.0, rss / 1048576.0);
  }
  gst_object_unref (pipeline);
  printf ("%d passed, %d failed\n", ok ? 1 : 0, ok ? 0 : 1);
  return ok ? 0 : 1;
}
