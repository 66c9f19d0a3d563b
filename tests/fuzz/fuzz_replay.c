/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Replays fuzz inputs through a libFuzzer harness without libFuzzer, so that
 * `meson test` (suite "fuzz", any compiler, and under the sanitizers in
 * tests/run-sanitizers.sh) runs every seed and every regression input.
 *
 *   fuzz_replay_<target> DIR_OR_FILE...
 *
 * A harness signals a broken invariant with __builtin_trap (); memory errors
 * show under ASan. Exit 0 when every input ran. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static guint n_run;

static gint
cmp_paths (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar * const *) a, *(const gchar * const *) b);
}

static void
run_file (const gchar * path)
{
  gchar *data = NULL;
  gsize len = 0;
  GError *err = NULL;

  if (!g_file_get_contents (path, &data, &len, &err)) {
    fprintf (stderr, "cannot read %s: %s\n", path, err->message);
    g_error_free (err);
    return;
  }
  /* an exactly-sized copy, as libFuzzer gives */
  {
    guint8 *copy = g_malloc (len ? len : 1);
    memcpy (copy, data, len);
    LLVMFuzzerTestOneInput (copy, len);
    g_free (copy);
  }
  g_free (data);
  n_run++;
}

int
main (int argc, char **argv)
{
  for (int i = 1; i < argc; i++) {
    GDir *dir;
    const gchar *name;
    GPtrArray *names;

    if (!g_file_test (argv[i], G_FILE_TEST_IS_DIR)) {
      if (g_file_test (argv[i], G_FILE_TEST_EXISTS))
        run_file (argv[i]);
      continue;
    }
    dir = g_dir_open (argv[i], 0, NULL);
    if (dir == NULL)
      continue;
    names = g_ptr_array_new_with_free_func (g_free);
    while ((name = g_dir_read_name (dir)) != NULL)
      g_ptr_array_add (names, g_build_filename (argv[i], name, NULL));
    g_dir_close (dir);
    /* a stable order */
    g_ptr_array_sort (names, cmp_paths);
    for (guint k = 0; k < names->len; k++) {
      const gchar *p = g_ptr_array_index (names, k);
      fprintf (stderr, "%s\n", p);
      run_file (p);
    }
    g_ptr_array_unref (names);
  }
  printf ("%u inputs replayed without a crash\n", n_run);
  return n_run > 0 ? 0 : 77;    /* 77: nothing to replay = skipped */
}
