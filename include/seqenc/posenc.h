/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — running positional encoding: sinusoidal, or rows of a learned
 * position table.
 *
 * Thread safety: a SeqPosEnc holds one stream's position; one thread at a
 * time. Parameters are fixed at creation. A SeqPosEncTable is immutable and
 * may be shared (by reference) between any number of threads and streams.
 *
 * For PE width d, frequency index i in [0, ceil(d/2)) and integer position p:
 *   angle(p, i) = p / base^(2i/d)           (computed in double from a 64-bit p)
 *   interleaved: pe[2i] = sin(angle), pe[2i+1] = cos(angle)
 *   split:       pe[i]  = sin(angle), pe[ceil(d/2) + i] = cos(angle)
 * With odd d the last frequency has a sine and no cosine.
 *
 * Learned (params.table set): pe = row p of a [max_len, d] table, as BERT's
 * position_embeddings or a PyTorch nn.Embedding(max_len, d). Past the last
 * row, params.past_end decides: ERROR (seq_posenc_process fails, naming the
 * position) or WRAP (row p mod max_len).
 *
 * mode add:    out[j] = scale * in[j] + pe[j]            (d = frame width)
 * mode concat: out = [scale * in, pe]                    (d = pe_dim, or the
 *                                                         table's d)
 * The position advances by one per frame and keeps running across calls.
 */
#pragma once

#include <glib.h>
#include <seqenc/export.h>
#include <seqenc/weights.h>

G_BEGIN_DECLS

#define SEQ_POSENC_ERROR (seq_posenc_error_quark ())
SEQ_API GQuark seq_posenc_error_quark (void);

typedef enum {
  SEQ_POSENC_ERROR_CONFIG,      /* invalid parameters */
  SEQ_POSENC_ERROR_STATE,       /* state blob does not fit */
  SEQ_POSENC_ERROR_TABLE,       /* learned table missing or not [max_len, d] */
  SEQ_POSENC_ERROR_RANGE,       /* position past the learned table (ERROR) */
} SeqPosEncError;

typedef enum {
  SEQ_POSENC_MODE_ADD,          /* PE added to the frame */
  SEQ_POSENC_MODE_CONCAT,       /* PE appended after the frame */
} SeqPosEncMode;

typedef enum {
  SEQ_POSENC_LAYOUT_INTERLEAVED,        /* sin, cos, sin, cos, ... */
  SEQ_POSENC_LAYOUT_SPLIT,              /* all sines, then all cosines */
} SeqPosEncLayout;

/* What a learned table does past its last row. */
typedef enum {
  SEQ_POSENC_PAST_END_ERROR,    /* SEQ_POSENC_ERROR_RANGE naming the position */
  SEQ_POSENC_PAST_END_WRAP,     /* row = position mod max_len */
} SeqPosEncPastEnd;

/* A learned position table, [max_len][d] f32 (converted from F32, F16 or
 * BF16 at load). */
typedef struct _SeqPosEncTable SeqPosEncTable;

/* The 2-D tensor @name of a safetensors file; @name NULL or "" = the one
 * tensor whose name ends in "position_embeddings.weight" (BERT) or, failing
 * that, the file's only 2-D tensor (nn.Embedding's "weight"); an error
 * names the candidates when ambiguous. NULL and SEQ_POSENC_ERROR_TABLE (or
 * SEQ_WEIGHTS_ERROR for an unreadable file) on failure. */
SEQ_API SeqPosEncTable *seq_posenc_table_new_from_weights (const SeqWeights * weights,
    const gchar * name, GError ** error);
SEQ_API SeqPosEncTable *seq_posenc_table_new_from_file (const gchar * path,
    const gchar * name, GError ** error);
SEQ_API SeqPosEncTable *seq_posenc_table_ref (SeqPosEncTable * table);
SEQ_API void seq_posenc_table_unref (SeqPosEncTable * table);
SEQ_API guint seq_posenc_table_get_max_len (const SeqPosEncTable * table);
SEQ_API guint seq_posenc_table_get_dim (const SeqPosEncTable * table);

typedef struct {
  guint frame_dim;              /* values per input frame; no default (must be > 0) */
  SeqPosEncMode mode;           /* default SEQ_POSENC_MODE_ADD */
  guint pe_dim;                 /* PE width in concat mode; default 64; ignored for add */
  SeqPosEncLayout layout;       /* default SEQ_POSENC_LAYOUT_INTERLEAVED */
  gdouble base;                 /* wavelength base, > 1; default 10000 */
  gfloat scale;                 /* factor on the input frame; default 1 */
  guint64 start;                /* position of the first frame; default 0 */
  SeqPosEncTable *table;        /* learned rows instead of the sinusoid
                                 * (referenced by seq_posenc_new; add: its d
                                 * must be frame_dim; concat: pe_dim is
                                 * ignored); default NULL = sinusoidal */
  SeqPosEncPastEnd past_end;    /* learned table only; default ERROR */
} SeqPosEncParams;

typedef struct _SeqPosEnc SeqPosEnc;

SEQ_API SeqPosEncParams seq_posenc_params_default (void);
SEQ_API SeqPosEnc *seq_posenc_new (const SeqPosEncParams * params, GError ** error);
SEQ_API void seq_posenc_free (SeqPosEnc * pe);

/* Output frame width: frame_dim (add) or frame_dim + pe_dim (concat). */
SEQ_API guint seq_posenc_out_dim (const SeqPosEnc * pe);
/* Back to params->start. */
SEQ_API void seq_posenc_reset (SeqPosEnc * pe);
SEQ_API guint64 seq_posenc_get_position (const SeqPosEnc * pe);
SEQ_API void seq_posenc_set_position (SeqPosEnc * pe, guint64 position);

/* State blob: the position, with the parameters it belongs to. Layout,
 * little-endian:
 *   0   4  magic "SQPE"        4   4  version (1)
 *   8   4  frame_dim          12   4  mode
 *  16   4  pe_dim (0 in add)  20   4  layout; learned: 2 + past_end
 *  24   8  base (IEEE double); learned: max_len (u32), CRC-32 of the table
 *  32   4  scale (IEEE float) 36   4  reserved (0)
 *  40   8  start              48   8  position
 *  56   4  CRC-32 of bytes 0..55
 * Restoring fails with SEQ_POSENC_ERROR_STATE when the blob is truncated,
 * corrupted, of another version, or written with other parameters (start
 * may differ: the position is what counts). */
#define SEQ_POSENC_STATE_SIZE 60
SEQ_API GBytes *seq_posenc_state_save (const SeqPosEnc * pe);
SEQ_API gboolean seq_posenc_state_restore (SeqPosEnc * pe, GBytes * blob,
    GError ** error);

/* Encodes @n_frames frames: @in [n][frame_dim], @out [n][out_dim] (may alias
 * @in in add mode). Advances the position by @n_frames. With a learned
 * table and past_end ERROR, a frame whose position has no row fails:
 * FALSE and SEQ_POSENC_ERROR_RANGE naming it; the frames before it are
 * written and the position stays at it. */
SEQ_API gboolean seq_posenc_process (SeqPosEnc * pe, const float *in, float *out,
    gsize n_frames, GError ** error);

/* The PE values alone for one position, width @d, into @out (for tests and
 * tools). */
SEQ_API void seq_posenc_compute (guint64 position, guint d, SeqPosEncLayout layout,
    gdouble base, float *out);

G_END_DECLS
