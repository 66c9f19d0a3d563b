/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — a thin layer over CUnit shared by every test program. */
#pragma once

#include <CUnit/CUnit.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *name;             /* says the behaviour: lstm_state_reset_restores_t0 */
  void (*func) (void);
} SeqTestCase;

/* Runs one suite in CUnit's verbose basic mode; returns the process exit
 * status (non-zero when any assertion or test failed). @cases ends with
 * {NULL, NULL}. */
int seq_test_run (const char *suite, const SeqTestCase * cases);

/* Path of a file in tests/data (from SEQENC_TEST_DATA); g_free it. */
gchar *seq_test_data_path (const char *name);

/* A fresh temporary directory under $SEQENC_TEST_TMPDIR (the build's
 * tests/tmp in the suite; the system's temporary folder otherwise), removed
 * with everything in it when the program exits (SEQENC_TEST_KEEP_TMP=1
 * keeps it for debugging); g_free the result. */
gchar *seq_test_tmpdir (void);

/* Largest |a[i] - b[i]| (NaN if either holds a NaN). */
double seq_test_max_abs_diff (const float *a, const float *b, gsize n);

/* Samples of a 16-bit mono PCM RIFF/WAVE file (at most @max_count), its
 * rate in *@rate and the count in *@count; NULL when unreadable or another
 * format; g_free the result. */
gint16 *seq_test_read_wav_s16 (const char *path, gsize max_count,
    guint * rate, gsize * count);

G_END_DECLS
