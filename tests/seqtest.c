/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — CUnit runner and small helpers. */
#include "seqtest.h"

#include <string.h>

#include <glib/gstdio.h>
#include <stdlib.h>

#include <CUnit/Basic.h>
#include <math.h>

int
seq_test_run (const char *suite_name, const SeqTestCase * cases)
{
  CU_pSuite suite;
  unsigned int failures;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 2;
  suite = CU_add_suite (suite_name, NULL, NULL);
  if (suite == NULL) {
    CU_cleanup_registry ();
    return 2;
  }
  for (const SeqTestCase * c = cases; c->name != NULL; c++) {
    if (CU_add_test (suite, c->name, c->func) == NULL) {
      CU_cleanup_registry ();
      return 2;
    }
  }
  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();
  failures = CU_get_number_of_failures () + CU_get_number_of_tests_failed ();
  CU_cleanup_registry ();
  return failures == 0 ? 0 : 1;
}

gchar *
seq_test_data_path (const char *name)
{
  const char *dir = g_getenv ("SEQENC_TEST_DATA");
  return g_build_filename (dir ? dir : "tests/data", name, NULL);
}

/* Every directory seq_test_tmpdir made, removed with its contents at exit. */
static GPtrArray *tmpdirs;

static void
remove_tree (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (dir != NULL) {
    while ((name = g_dir_read_name (dir)) != NULL) {
      gchar *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR)
          && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_remove (child);
      g_free (child);
    }
    g_dir_close (dir);
  }
  g_rmdir (path);
}

static void
remove_tmpdirs (void)
{
  if (tmpdirs == NULL || g_getenv ("SEQENC_TEST_KEEP_TMP") != NULL)
    return;
  for (guint i = 0; i < tmpdirs->len; i++)
    remove_tree (g_ptr_array_index (tmpdirs, i));
  g_ptr_array_free (tmpdirs, TRUE);
  tmpdirs = NULL;
}

gchar *
seq_test_tmpdir (void)
{
  const char *base = g_getenv ("SEQENC_TEST_TMPDIR");
  gchar *tmpl, *dir;

  if (base == NULL || *base == '\0')
    base = g_get_tmp_dir ();
  g_mkdir_with_parents (base, 0700);
  tmpl = g_build_filename (base, "seqenc-test-XXXXXX", NULL);
  dir = g_mkdtemp (tmpl);
  if (dir == NULL)
    g_error ("cannot make a temporary directory under %s", base);
  if (tmpdirs == NULL) {
    tmpdirs = g_ptr_array_new_with_free_func (g_free);
    atexit (remove_tmpdirs);
  }
  g_ptr_array_add (tmpdirs, g_strdup (dir));
  return dir;
}

double
seq_test_max_abs_diff (const float *a, const float *b, gsize n)
{
  double m = 0.0;
  for (gsize i = 0; i < n; i++) {
    double d = fabs ((double) a[i] - (double) b[i]);
    if (isnan (d))
      return NAN;
    if (d > m)
      m = d;
  }
  return m;
}

gint16 *
seq_test_read_wav_s16 (const char *path, gsize max_count, guint * rate, gsize * count)
{
  gchar *data = NULL;
  gsize len = 0, pos = 12;
  gint16 *out = NULL;
  guint16 channels = 0, bits = 0;

  if (!g_file_get_contents (path, &data, &len, NULL))
    return NULL;
  if (len < 12 || memcmp (data, "RIFF", 4) || memcmp (data + 8, "WAVE", 4))
    goto done;
  while (pos + 8 <= len) {
    guint32 sz;
    memcpy (&sz, data + pos + 4, 4);
    sz = GUINT32_FROM_LE (sz);
    if (!memcmp (data + pos, "fmt ", 4) && sz >= 16 && pos + 8 + 16 <= len) {
      guint32 r;
      memcpy (&channels, data + pos + 10, 2);
      memcpy (&r, data + pos + 12, 4);
      memcpy (&bits, data + pos + 22, 2);
      *rate = GUINT32_FROM_LE (r);
    } else if (!memcmp (data + pos, "data", 4)) {
      gsize n = MIN ((gsize) sz, len - pos - 8) / 2;
      if (channels != 1 || bits != 16)
        goto done;
      n = MIN (n, max_count);
      out = g_new (gint16, n);
      for (gsize i = 0; i < n; i++) {
        guint16 v;
        memcpy (&v, data + pos + 8 + 2 * i, 2);
        out[i] = (gint16) GUINT16_FROM_LE (v);
      }
      *count = n;
      goto done;
    }
    pos += 8 + sz + (sz & 1);
  }
done:
  g_free (data);
  return out;
}
