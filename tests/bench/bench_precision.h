/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The benchmarks' --precision names: the weight storage precisions, and
 * "bf16-matmul" (bf16 weights and bf16 matmul operands). */
#pragma once

#include <seqenc/lstm.h>

static inline gboolean
bench_precision_parse (const char *name, SeqLstmModelParams * mp)
{
  *mp = seq_lstm_model_params_default ();
  if (g_strcmp0 (name, "bf16-matmul") == 0) {
    mp->weights_precision = SEQ_PRECISION_BF16;
    mp->matmul_precision = SEQ_MATMUL_BF16;
    return TRUE;
  }
  return seq_precision_from_string (name, &mp->weights_precision);
}

static inline const char *
bench_precision_name (const SeqLstmModel * m)
{
  if (seq_lstm_model_get_matmul_precision (m) == SEQ_MATMUL_BF16)
    return "bf16-matmul";
  return seq_precision_to_string (seq_lstm_model_get_weights_precision
      (m));
}
