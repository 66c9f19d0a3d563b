/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — property values: an absurd value is an error at start
 * naming the property and its valid range (not a GObject warning that leaves
 * the default in force), and a property that takes effect only at READY is
 * refused while the element runs, the same way on every element. */
#include "seqtest-gst.h"

typedef struct {
  const gchar *factory;
  const gchar *prop;
  guint64 value;
} BadValue;

static void
properties_out_of_range_refused_at_start_naming_the_range (void)
{
  const BadValue cases[] = {
    {"seqlstm", "hidden-size", 0},
    {"seqlstm", "num-layers", 65},
    {"seqlstm", "num-layers", 1000000000},
    {"seqlstm", "input-size", 70000},
    {"seqlstm", "n-threads", 5000},
    {"seqlstm", "max-batch", 0},
    {"seqlstm", "max-delay", 20000},
    {"seqgru", "hidden-size", 0},
    {"seqgru", "num-layers", 65},
    {"seqgru", "input-size", 70000},
    {"seqgru", "max-batch", 0},
    {"seqembed", "dim", 0},
    {"seqembed", "vocab-size", 0},
    {"seqposenc", "pe-dim", 0},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstElement *e = gst_element_factory_make (cases[i].factory, NULL);
    GstBus *bus = gst_bus_new ();
    GstMessage *msg;
    GError *err = NULL;
    gchar *want = g_strdup_printf ("%s=%" G_GUINT64_FORMAT " is out of range",
        cases[i].prop, cases[i].value);
    guint v = (guint) cases[i].value;

    gst_element_set_bus (e, bus);
    g_object_set (e, cases[i].prop, v, NULL);
    CU_ASSERT_EQUAL (gst_element_set_state (e, GST_STATE_READY),
        GST_STATE_CHANGE_FAILURE);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    CU_ASSERT_PTR_NOT_NULL (msg);
    if (msg) {
      gst_message_parse_error (msg, &err, NULL);
      CU_ASSERT_TRUE (g_error_matches (err, GST_LIBRARY_ERROR,
              GST_LIBRARY_ERROR_SETTINGS));
      CU_ASSERT_PTR_NOT_NULL (strstr (err->message, want));
      if (strstr (err->message, want) == NULL)
        g_printerr ("\n  %s: %s\n", cases[i].factory, err->message);
      g_clear_error (&err);
      gst_message_unref (msg);
    }
    gst_element_set_state (e, GST_STATE_NULL);
    gst_object_unref (bus);
    gst_object_unref (e);
    g_free (want);
  }
}

typedef struct {
  const gchar *launch;          /* the element under test is named "e" */
  const gchar *prop;
  const gchar *new_value;
} ReadyOnly;

static void
properties_ready_only_refused_while_playing (void)
{
  const ReadyOnly cases[] = {
    {"seqlstm name=e hidden-size=8", "hidden-size", "16"},
    {"seqlstm name=e hidden-size=8", "model", "x.safetensors"},
    {"seqlstm name=e hidden-size=8", "state-location", "x.state"},
    {"seqgru name=e hidden-size=8", "hidden-size", "16"},
    {"seqgru name=e hidden-size=8", "model", "x.safetensors"},
    {"seqposenc name=e", "table", "y.safetensors"},
    {"seqposenc name=e", "past-end", "wrap"},
    {"seqembed name=e dim=8", "dim", "16"},
    {"seqposenc name=e", "pe-dim", "16"},
    {"seqposenc name=e", "state-location", "x.state"},
    {"seqfbank name=e", "num-mel-bins", "40"},
    {"seqtokenizer name=e", "mode", "chars"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstHarness *h = gst_harness_new_parse (cases[i].launch);
    GstElement *e = gst_bin_get_by_name (GST_BIN (h->element), "e");
    GValue before = G_VALUE_INIT, after = G_VALUE_INIT;
    GParamSpec *ps;
    gchar *a, *b;

    if (e == NULL)              /* a single-element parse is the element */
      e = gst_object_ref (h->element);
    ps = g_object_class_find_property (G_OBJECT_GET_CLASS (e),
        cases[i].prop);
    CU_ASSERT_PTR_NOT_NULL_FATAL (ps);
    CU_ASSERT_TRUE (ps->flags & GST_PARAM_MUTABLE_READY);
    gst_harness_play (h);
    g_value_init (&before, ps->value_type);
    g_value_init (&after, ps->value_type);
    g_object_get_property (G_OBJECT (e), cases[i].prop, &before);
    gst_util_set_object_arg (G_OBJECT (e), cases[i].prop, cases[i].new_value);
    g_object_get_property (G_OBJECT (e), cases[i].prop, &after);
    a = g_strdup_value_contents (&before);
    b = g_strdup_value_contents (&after);
    CU_ASSERT_STRING_EQUAL (a, b);
    if (strcmp (a, b) != 0)
      g_printerr ("\n  %s: %s changed from %s to %s while playing\n",
          cases[i].launch, cases[i].prop, a, b);
    g_free (a);
    g_free (b);
    g_value_unset (&before);
    g_value_unset (&after);
    gst_object_unref (e);
    gst_harness_teardown (h);
  }
}

int
main (int argc, char **argv)
{
  const SeqTestCase cases[] = {
    {"properties_out_of_range_refused_at_start_naming_the_range",
        properties_out_of_range_refused_at_start_naming_the_range},
    {"properties_ready_only_refused_while_playing",
        properties_ready_only_refused_while_playing},
    {NULL, NULL}
  };

  seq_test_gst_init ();
  return seq_test_run ("element_properties", cases);
}
