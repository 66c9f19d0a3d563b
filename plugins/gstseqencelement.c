/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — registration of every element (one line each). */
#include "gstseqencelements.h"

gboolean
gst_seqenc_elements_register (GstPlugin * plugin)
{
  gboolean ok = TRUE;

  ok &= GST_ELEMENT_REGISTER (seqposenc, plugin);
  ok &= GST_ELEMENT_REGISTER (seqlstm, plugin);
  ok &= GST_ELEMENT_REGISTER (seqgru, plugin);
  ok &= GST_ELEMENT_REGISTER (seqnpysink, plugin);
  ok &= GST_ELEMENT_REGISTER (seqfbank, plugin);
  ok &= GST_ELEMENT_REGISTER (seqembed, plugin);
  ok &= GST_ELEMENT_REGISTER (seqtokenizer, plugin);
  ok &= GST_ELEMENT_REGISTER (seqviz, plugin);
  ok &= GST_ELEMENT_REGISTER (seqhead, plugin);
  ok &= GST_ELEMENT_REGISTER (seqctcdecode, plugin);

  return ok;
}
