/* seqenc tests — CUnit runner and small helpers. */
#include "seqtest.h"

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

gchar *
seq_test_tmpdir (void)
{
  GError *err = NULL;
  gchar *dir = g_dir_make_tmp ("seqenc-test-XXXXXX", &err);
  g_assert_no_error (err);
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
