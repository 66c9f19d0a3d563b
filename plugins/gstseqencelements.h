/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc plugin — every element's registration, one line each. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

GST_ELEMENT_REGISTER_DECLARE (seqposenc);
GST_ELEMENT_REGISTER_DECLARE (seqlstm);
GST_ELEMENT_REGISTER_DECLARE (seqgru);
GST_ELEMENT_REGISTER_DECLARE (seqnpysink);
GST_ELEMENT_REGISTER_DECLARE (seqfbank);
GST_ELEMENT_REGISTER_DECLARE (seqembed);
GST_ELEMENT_REGISTER_DECLARE (seqtokenizer);
GST_ELEMENT_REGISTER_DECLARE (seqviz);
GST_ELEMENT_REGISTER_DECLARE (seqhead);
GST_ELEMENT_REGISTER_DECLARE (seqctcdecode);

/* Registers every element of the plugin into @plugin (NULL: statically, as
 * the tests do). */
gboolean gst_seqenc_elements_register (GstPlugin * plugin);

G_END_DECLS
