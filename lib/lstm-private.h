/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — private: the LSTM's structs, shared by lstm-model.c (construction
 * and loading), lstm-state.c (per-stream state and its blob) and lstm.c
 * (workspace, forward, the recurrent interface). */
#pragma once

#include "seqenc/lstm.h"
#include "recurrent-common.h"
#include "kernels/rnn.h"

G_BEGIN_DECLS

struct _SeqLstmModel {
  gint ref_count;
  guint I, H, L, P, O;
  gboolean bias;
  SeqPrecision precision;       /* storage as built */
  SeqMatmulPrecision matmul;
  guint32 precision_code;       /* seq_recurrent_precision_code () */
  guint64 fingerprint;
  SeqRnnNet net;                /* packed layers for the kernels */
  float *zeros;
};

struct _SeqLstmState {
  SeqRecurrentStore st;         /* first: h [L][O], c [L][H], steps */
  SeqLstmModel *model;
};

struct _SeqLstmWorkspace {
  SeqLstmModel *model;
  SeqRnnRunner r;               /* scratch, pool, kernels */
};

/* How the shared helpers word and file the LSTM's errors. */
extern const SeqRecurrentCell seq_lstm_cell;

G_END_DECLS
