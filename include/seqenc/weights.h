/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — safetensors weight files.
 *
 * Thread safety: a SeqWeights is immutable after seq_weights_open() returns and
 * may be read from any number of threads.
 *
 * Byte layout of a .safetensors file (every offset and length below is checked
 * against the file before use):
 *
 *   bytes [0, 8)          N: header length, unsigned 64-bit little-endian
 *   bytes [8, 8 + N)      UTF-8 JSON object:
 *                           "name": {"dtype": "F32"|"F16"|"BF16"|...,
 *                                    "shape": [d0, d1, ...],
 *                                    "data_offsets": [begin, end]}
 *                           "__metadata__": {"key": "string", ...}   (optional)
 *   bytes [8 + N, EOF)    data region; a tensor's bytes are
 *                         [8 + N + begin, 8 + N + end), row-major, little-endian.
 *
 * Checks: N fits in the file; the header is a JSON object; every tensor has a
 * known dtype, a shape of rank <= SEQ_WEIGHTS_MAX_RANK with non-negative dims,
 * and 0 <= begin <= end <= data length with end - begin = prod(shape) * size of
 * dtype; tensors do not overlap. F32, F16 and BF16 are readable as f32; other
 * dtypes are listed but refused by the f32 readers.
 *
 * Also refused (SEQ_WEIGHTS_ERROR_FORMAT unless noted): a header over 100 MB
 * (the reference implementation's limit), holding a NUL byte or nesting
 * deeper than 32; a tensor name given twice; "__metadata__" values that are
 * not strings; a dtype string safetensors does not define or seqenc cannot
 * size (e.g. "F8_E4M3", "U16"): SEQ_WEIGHTS_ERROR_DTYPE. Holes between
 * tensors are allowed. Every message names the file (or "<memory>"), the
 * tensor and the offending values. The mapping must not be truncated by
 * another process while open (that would be SIGBUS, as with any mmap).
 */
#pragma once

#include <glib.h>
#include <seqenc/export.h>

G_BEGIN_DECLS

#define SEQ_WEIGHTS_MAX_RANK 8

#define SEQ_WEIGHTS_ERROR (seq_weights_error_quark ())
SEQ_API GQuark seq_weights_error_quark (void);

typedef enum {
  SEQ_WEIGHTS_ERROR_IO,         /* file could not be opened or mapped */
  SEQ_WEIGHTS_ERROR_FORMAT,     /* malformed header, offsets or sizes */
  SEQ_WEIGHTS_ERROR_DTYPE,      /* dtype not supported for this use */
  SEQ_WEIGHTS_ERROR_SHAPE,      /* shape not what the caller needs */
  SEQ_WEIGHTS_ERROR_NOT_FOUND,  /* no tensor of that name */
} SeqWeightsError;

typedef enum {
  SEQ_DTYPE_F32,
  SEQ_DTYPE_F16,
  SEQ_DTYPE_BF16,
  SEQ_DTYPE_F64,
  SEQ_DTYPE_I64,
  SEQ_DTYPE_I32,
  SEQ_DTYPE_I16,
  SEQ_DTYPE_I8,
  SEQ_DTYPE_U8,
  SEQ_DTYPE_BOOL,
} SeqDtype;

/* One tensor of a file: a plain descriptor pointing into the mapping. Valid
 * as long as the SeqWeights it came from. */
typedef struct {
  const gchar *name;                     /* tensor name, NUL-terminated */
  SeqDtype dtype;                        /* storage type */
  guint rank;                            /* number of dims, 0..SEQ_WEIGHTS_MAX_RANK */
  gint64 shape[SEQ_WEIGHTS_MAX_RANK];    /* dims, outermost first (PyTorch order) */
  gsize n_elements;                      /* product of shape (1 for rank 0) */
  const guint8 *data;                    /* first byte, inside the mapping */
  gsize n_bytes;                         /* n_elements * seq_dtype_size (dtype) */
} SeqTensorInfo;

typedef struct _SeqWeights SeqWeights;

/* Bytes per element of a dtype. */
SEQ_API gsize seq_dtype_size (SeqDtype dtype);
/* Canonical safetensors name: "F32", "BF16", ... */
SEQ_API const gchar *seq_dtype_name (SeqDtype dtype);

/* Opens and validates a file (mmap). NULL and @error on failure. */
SEQ_API SeqWeights *seq_weights_open (const gchar * path, GError ** error);
/* The same from memory; @bytes is referenced, not copied. */
SEQ_API SeqWeights *seq_weights_new_from_bytes (GBytes * bytes, GError ** error);
SEQ_API SeqWeights *seq_weights_ref (SeqWeights * weights);
SEQ_API void seq_weights_unref (SeqWeights * weights);

SEQ_API guint seq_weights_n_tensors (const SeqWeights * weights);
/* Tensors in file order of their data offsets. */
SEQ_API const SeqTensorInfo *seq_weights_get (const SeqWeights * weights, guint index);
/* NULL when absent (no error set: absence is often normal). */
SEQ_API const SeqTensorInfo *seq_weights_find (const SeqWeights * weights,
    const gchar * name);
/* Value of a "__metadata__" key, or NULL. */
SEQ_API const gchar *seq_weights_get_metadata (const SeqWeights * weights,
    const gchar * key);
/* The "__metadata__" keys, sorted (strcmp), NULL-terminated; g_strfreev (). */
SEQ_API gchar **seq_weights_list_metadata (const SeqWeights * weights);

/* Converts @tensor (F32, F16 or BF16) to f32 into @dst of @n_dst elements,
 * which must equal tensor->n_elements. FALSE and @error otherwise. */
SEQ_API gboolean seq_tensor_to_f32 (const SeqTensorInfo * tensor, float *dst,
    gsize n_dst, GError ** error);

/* Finds @name and checks its rank and dims (a dim < 0 in @shape matches any
 * size). FALSE with SEQ_WEIGHTS_ERROR_NOT_FOUND or _SHAPE otherwise. */
SEQ_API const SeqTensorInfo *seq_weights_require (const SeqWeights * weights,
    const gchar * name, guint rank, const gint64 * shape, GError ** error);

G_END_DECLS
