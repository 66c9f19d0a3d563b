/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — entry point. */
#include "gstseqencelements.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  return gst_seqenc_elements_register (plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, seqenc,
    "Stateful streaming sequence encoders: tokenizers, log-mel filterbank, "
    "positional encoding, stacked LSTM, linear head, greedy CTC decoding",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
