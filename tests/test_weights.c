/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — safetensors reader and half-precision conversions.
 *
 * Golden values come from tests/gen_weights_fixtures.py (PyTorch's own
 * .float(), .half() and .bfloat16()); every float comparison is bitwise.
 * Malformed files are built in memory (or written to a temporary folder when
 * the open path itself is under test).
 */
#include "seqtest.h"

#include <seqenc/weights.h>
#include "seqenc-private.h"     /* the f16/bf16 conversions */

#include <seqenc/common.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------- */

static guint32
bits_of (float f)
{
  guint32 u;
  memcpy (&u, &f, 4);
  return u;
}

static float
float_of (guint32 u)
{
  float f;
  memcpy (&f, &u, 4);
  return f;
}

/* A safetensors image: 8-byte LE @hlen (header length as stated), @json,
 * then @data_len bytes of data (bytes i = i & 0xff). */
static GBytes *
make_file_with_len (guint64 hlen, const char *json, gsize data_len)
{
  gsize jl = strlen (json);
  guint8 *buf = g_malloc (8 + jl + data_len);
  for (int i = 0; i < 8; i++)
    buf[i] = (guint8) (hlen >> (8 * i));
  memcpy (buf + 8, json, jl);
  for (gsize i = 0; i < data_len; i++)
    buf[8 + jl + i] = (guint8) i;
  return g_bytes_new_take (buf, 8 + jl + data_len);
}

static GBytes *
make_file (const char *json, gsize data_len)
{
  return make_file_with_len (strlen (json), json, data_len);
}

/* Parses @bytes, expects failure with @code and @needle in the message. */
static void
expect_error (GBytes * bytes, gint code, const char *needle)
{
  GError *err = NULL;
  SeqWeights *w = seq_weights_new_from_bytes (bytes, &err);

  CU_ASSERT_PTR_NULL (w);
  CU_ASSERT_PTR_NOT_NULL_FATAL (err);
  CU_ASSERT_EQUAL (err->domain, SEQ_WEIGHTS_ERROR);
  CU_ASSERT_EQUAL (err->code, code);
  if (needle != NULL && strstr (err->message, needle) == NULL) {
    g_printerr ("\n  message \"%s\" lacks \"%s\"\n", err->message, needle);
    CU_FAIL ("error message does not say what is wrong");
  }
  g_error_free (err);
  seq_weights_unref (w);
  g_bytes_unref (bytes);
}

static SeqWeights *
open_valid (void)
{
  GError *err = NULL;
  gchar *path = seq_test_data_path ("weights_valid.safetensors");
  SeqWeights *w = seq_weights_open (path, &err);
  if (err)
    g_printerr ("\n  %s\n", err->message);
  CU_ASSERT_PTR_NULL (err);
  g_free (path);
  return w;
}

/* ---- valid file ---------------------------------------------------------- */

static void
weights_valid_file_matches_torch_float_conversion_bitwise (void)
{
  SeqWeights *w = open_valid ();
  gchar *path = seq_test_data_path ("weights_expected.txt");
  gchar *text = NULL;
  gchar **lines;
  guint checked = 0;

  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  CU_ASSERT_FATAL (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (gchar ** l = lines; *l != NULL; l++) {
    gchar name[64];
    guint idx, bits;
    const SeqTensorInfo *t;
    float *vals;

    if (**l == '#' || **l == '\0')
      continue;
    CU_ASSERT_FATAL (sscanf (*l, "%63s %u %x", name, &idx, &bits) == 3);
    t = seq_weights_find (w, name);
    CU_ASSERT_PTR_NOT_NULL_FATAL (t);
    CU_ASSERT_FATAL (idx < t->n_elements);
    vals = g_new (float, t->n_elements);
    CU_ASSERT_FATAL (seq_tensor_to_f32 (t, vals, t->n_elements, NULL));
    if (bits_of (vals[idx]) != bits) {
      g_printerr ("\n  %s[%u]: got %08x, torch %08x\n", name, idx,
          bits_of (vals[idx]), bits);
      CU_FAIL ("value differs from torch's .float()");
    }
    g_free (vals);
    checked++;
  }
  CU_ASSERT (checked >= 40);
  g_strfreev (lines);
  g_free (text);
  g_free (path);
  seq_weights_unref (w);
}

static void
weights_tensors_listed_in_data_offset_order (void)
{
  static const char *order[] = { "layer.weight", "f16_edge", "scalar", "ids",
    "f32_edge", "empty", "bf16_edge"
  };
  SeqWeights *w = open_valid ();

  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  CU_ASSERT_EQUAL_FATAL (seq_weights_n_tensors (w), G_N_ELEMENTS (order));
  for (guint i = 0; i < G_N_ELEMENTS (order); i++) {
    const SeqTensorInfo *t = seq_weights_get (w, i);
    CU_ASSERT_STRING_EQUAL (t->name, order[i]);
    CU_ASSERT_PTR_EQUAL (seq_weights_find (w, order[i]), t);
  }
  seq_weights_unref (w);
}

static void
weights_shapes_dtypes_and_sizes_reported (void)
{
  SeqWeights *w = open_valid ();
  const SeqTensorInfo *t;

  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  t = seq_weights_find (w, "bf16_edge");
  CU_ASSERT_EQUAL (t->dtype, SEQ_DTYPE_BF16);
  CU_ASSERT_EQUAL (t->rank, 3);
  CU_ASSERT_EQUAL (t->shape[0], 4);
  CU_ASSERT_EQUAL (t->shape[1], 2);
  CU_ASSERT_EQUAL (t->shape[2], 2);
  CU_ASSERT_EQUAL (t->n_elements, 16);
  CU_ASSERT_EQUAL (t->n_bytes, 32);

  t = seq_weights_find (w, "scalar");
  CU_ASSERT_EQUAL (t->rank, 0);
  CU_ASSERT_EQUAL (t->n_elements, 1);
  {
    float v = 0;
    CU_ASSERT (seq_tensor_to_f32 (t, &v, 1, NULL));
    CU_ASSERT_EQUAL (v, 2.5f);
  }

  t = seq_weights_find (w, "empty");
  CU_ASSERT_EQUAL (t->rank, 2);
  CU_ASSERT_EQUAL (t->shape[0], 0);
  CU_ASSERT_EQUAL (t->n_elements, 0);
  CU_ASSERT_EQUAL (t->n_bytes, 0);
  CU_ASSERT (seq_tensor_to_f32 (t, NULL, 0, NULL));

  CU_ASSERT_EQUAL (seq_dtype_size (SEQ_DTYPE_F32), 4);
  CU_ASSERT_EQUAL (seq_dtype_size (SEQ_DTYPE_BF16), 2);
  CU_ASSERT_EQUAL (seq_dtype_size (SEQ_DTYPE_I64), 8);
  CU_ASSERT_STRING_EQUAL (seq_dtype_name (SEQ_DTYPE_F16), "F16");
  seq_weights_unref (w);
}

static void
weights_metadata_strings_read (void)
{
  SeqWeights *w = open_valid ();

  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  CU_ASSERT_STRING_EQUAL (seq_weights_get_metadata (w, "format"), "pt");
  CU_ASSERT_STRING_EQUAL (seq_weights_get_metadata (w, "unicode"),
      "caf\xc3\xa9 \xe2\x9c\x93");
  CU_ASSERT_PTR_NULL (seq_weights_get_metadata (w, "absent"));
  CU_ASSERT_PTR_NULL (seq_weights_find (w, "__metadata__"));
  {
    gchar **keys = seq_weights_list_metadata (w);
    CU_ASSERT_EQUAL_FATAL (g_strv_length (keys), 3);
    CU_ASSERT_STRING_EQUAL (keys[0], "format");
    CU_ASSERT_STRING_EQUAL (keys[1], "producer");
    CU_ASSERT_STRING_EQUAL (keys[2], "unicode");
    g_strfreev (keys);
  }
  seq_weights_unref (w);
}

static void
weights_find_absent_returns_null_and_require_says_not_found (void)
{
  SeqWeights *w = open_valid ();
  GError *err = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  CU_ASSERT_PTR_NULL (seq_weights_find (w, "nope"));
  CU_ASSERT_PTR_NULL (seq_weights_require (w, "nope", 0, NULL, &err));
  CU_ASSERT (g_error_matches (err, SEQ_WEIGHTS_ERROR,
          SEQ_WEIGHTS_ERROR_NOT_FOUND));
  CU_ASSERT_PTR_NOT_NULL (err && strstr (err->message, "nope"));
  g_clear_error (&err);
  seq_weights_unref (w);
}

static void
weights_require_checks_rank_and_dims (void)
{
  SeqWeights *w = open_valid ();
  GError *err = NULL;
  const gint64 ok[] = { 5, 7 }, any[] = { -1, 7 }, bad[] = { 5, 8 };

  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  CU_ASSERT_PTR_EQUAL (seq_weights_require (w, "layer.weight", 2, ok, NULL),
      seq_weights_find (w, "layer.weight"));
  CU_ASSERT_PTR_NOT_NULL (seq_weights_require (w, "layer.weight", 2, any,
          NULL));
  CU_ASSERT_PTR_NULL (seq_weights_require (w, "layer.weight", 2, bad, &err));
  CU_ASSERT (g_error_matches (err, SEQ_WEIGHTS_ERROR, SEQ_WEIGHTS_ERROR_SHAPE));
  CU_ASSERT_PTR_NOT_NULL (err && strstr (err->message, "[5, 7]"));
  g_clear_error (&err);
  CU_ASSERT_PTR_NULL (seq_weights_require (w, "layer.weight", 1, ok, &err));
  CU_ASSERT (g_error_matches (err, SEQ_WEIGHTS_ERROR, SEQ_WEIGHTS_ERROR_SHAPE));
  g_clear_error (&err);
  seq_weights_unref (w);
}

static void
weights_non_float_dtype_listed_but_to_f32_refused (void)
{
  SeqWeights *w = open_valid ();
  GError *err = NULL;
  const SeqTensorInfo *t;
  float dst[3];

  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  t = seq_weights_find (w, "ids");
  CU_ASSERT_PTR_NOT_NULL_FATAL (t);
  CU_ASSERT_EQUAL (t->dtype, SEQ_DTYPE_I64);
  CU_ASSERT_FALSE (seq_tensor_to_f32 (t, dst, 3, &err));
  CU_ASSERT (g_error_matches (err, SEQ_WEIGHTS_ERROR, SEQ_WEIGHTS_ERROR_DTYPE));
  CU_ASSERT_PTR_NOT_NULL (err && strstr (err->message, "I64"));
  g_clear_error (&err);
  seq_weights_unref (w);
}

static void
weights_to_f32_wrong_destination_size_refused (void)
{
  SeqWeights *w = open_valid ();
  GError *err = NULL;
  float dst[64];

  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  CU_ASSERT_FALSE (seq_tensor_to_f32 (seq_weights_find (w, "f32_edge"), dst,
          11, &err));
  CU_ASSERT (g_error_matches (err, SEQ_WEIGHTS_ERROR, SEQ_WEIGHTS_ERROR_SHAPE));
  g_clear_error (&err);
  seq_weights_unref (w);
}

static void
weights_unaligned_little_endian_data_read (void)
{
  /* F32 at odd offset 1, F16 at offset 5, BF16 at 7: data bytes are i & 0xff */
  GBytes *b = make_file ("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
      "\"data_offsets\":[1,5]},\"h\":{\"dtype\":\"F16\",\"shape\":[1],"
      "\"data_offsets\":[5,7]},\"b\":{\"dtype\":\"BF16\",\"shape\":[],"
      "\"data_offsets\":[7,9]}}", 9);
  SeqWeights *w = seq_weights_new_from_bytes (b, NULL);
  float v;

  g_bytes_unref (b);            /* the weights keep their own reference */
  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  CU_ASSERT (seq_tensor_to_f32 (seq_weights_find (w, "a"), &v, 1, NULL));
  CU_ASSERT_EQUAL (bits_of (v), 0x04030201u);
  CU_ASSERT (seq_tensor_to_f32 (seq_weights_find (w, "h"), &v, 1, NULL));
  CU_ASSERT_EQUAL (bits_of (v), bits_of (seq_f16_to_f32 (0x0605)));
  CU_ASSERT (seq_tensor_to_f32 (seq_weights_find (w, "b"), &v, 1, NULL));
  CU_ASSERT_EQUAL (bits_of (v), 0x08070000u);
  seq_weights_unref (w);
}

static void
weights_ref_outlives_unref_of_first_owner (void)
{
  SeqWeights *w = open_valid ();
  SeqWeights *w2;
  float v;

  CU_ASSERT_PTR_NOT_NULL_FATAL (w);
  w2 = seq_weights_ref (w);
  seq_weights_unref (w);
  CU_ASSERT (seq_tensor_to_f32 (seq_weights_find (w2, "scalar"), &v, 1,
          NULL));
  CU_ASSERT_EQUAL (v, 2.5f);
  seq_weights_unref (w2);
  seq_weights_unref (NULL);
}

/* ---- malformed input: each a clean GError ------------------------------- */

#define T1 "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}"

static void
weights_truncated_file_shorter_than_length_field_refused (void)
{
  static const guint8 five[5] = { 1, 0, 0, 0, 0 };
  expect_error (g_bytes_new_static (five, 5), SEQ_WEIGHTS_ERROR_FORMAT,
      "too short");
  expect_error (g_bytes_new_static (five, 0), SEQ_WEIGHTS_ERROR_FORMAT,
      "too short");
}

static void
weights_header_length_past_eof_refused (void)
{
  expect_error (make_file_with_len (200, T1 "}", 8),
      SEQ_WEIGHTS_ERROR_FORMAT, "past the end");
}

static void
weights_huge_header_length_refused (void)
{
  expect_error (make_file_with_len (G_GUINT64_CONSTANT (1) << 63, T1 "}", 8),
      SEQ_WEIGHTS_ERROR_FORMAT, "past the end");
  expect_error (make_file_with_len (G_MAXUINT64, T1 "}", 8),
      SEQ_WEIGHTS_ERROR_FORMAT, "past the end");
}

static void
weights_non_json_header_refused (void)
{
  expect_error (make_file ("{this is not json}", 0),
      SEQ_WEIGHTS_ERROR_FORMAT, "not valid JSON");
  expect_error (make_file (T1, 8), SEQ_WEIGHTS_ERROR_FORMAT, "JSON");
  expect_error (make_file ("{\"\xff\xfe\":1}", 0), SEQ_WEIGHTS_ERROR_FORMAT,
      NULL);
}

static void
weights_json_array_header_refused (void)
{
  expect_error (make_file ("[1, 2, 3]", 0), SEQ_WEIGHTS_ERROR_FORMAT,
      "not a JSON object");
  expect_error (make_file ("\"str\"", 0), SEQ_WEIGHTS_ERROR_FORMAT,
      "not a JSON object");
}

static void
weights_deeply_nested_header_refused (void)
{
  GString *s = g_string_new ("{\"t\":");
  for (int i = 0; i < 100000; i++)
    g_string_append_c (s, '[');
  expect_error (make_file (s->str, 0), SEQ_WEIGHTS_ERROR_FORMAT, "nests");
  g_string_free (s, TRUE);
}

static void
weights_missing_fields_refused (void)
{
  expect_error (make_file ("{\"t\":{\"shape\":[2],\"data_offsets\":[0,8]}}",
          8), SEQ_WEIGHTS_ERROR_FORMAT, "'t': no \"dtype\"");
  expect_error (make_file ("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}",
          8), SEQ_WEIGHTS_ERROR_FORMAT, "'t': no \"shape\"");
  expect_error (make_file ("{\"t\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8),
      SEQ_WEIGHTS_ERROR_FORMAT, "'t': no \"data_offsets\"");
  expect_error (make_file ("{\"t\":[1]}", 8), SEQ_WEIGHTS_ERROR_FORMAT,
      "not a JSON object");
}

static void
weights_wrongly_typed_fields_refused (void)
{
  expect_error (make_file ("{\"t\":{\"dtype\":7,\"shape\":[2],"
          "\"data_offsets\":[0,8]}}", 8), SEQ_WEIGHTS_ERROR_FORMAT, "dtype");
  expect_error (make_file ("{\"t\":{\"dtype\":\"F32\",\"shape\":2,"
          "\"data_offsets\":[0,8]}}", 8), SEQ_WEIGHTS_ERROR_FORMAT, "shape");
  expect_error (make_file ("{\"t\":{\"dtype\":\"F32\",\"shape\":[2.0],"
          "\"data_offsets\":[0,8]}}", 8), SEQ_WEIGHTS_ERROR_FORMAT, "dim 0");
  expect_error (make_file ("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],"
          "\"data_offsets\":[0]}}", 8), SEQ_WEIGHTS_ERROR_FORMAT,
      "two non-negative");
  expect_error (make_file ("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],"
          "\"data_offsets\":[-8,0]}}", 8), SEQ_WEIGHTS_ERROR_FORMAT,
      "two non-negative");
  expect_error (make_file ("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],"
          "\"data_offsets\":[\"0\",8]}}", 8), SEQ_WEIGHTS_ERROR_FORMAT,
      "two non-negative");
}

static void
weights_offsets_outside_data_refused (void)
{
  expect_error (make_file ("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],"
          "\"data_offsets\":[4,12]}}", 8), SEQ_WEIGHTS_ERROR_FORMAT,
      "'t': data_offsets [4, 12] outside the data region of 8 bytes");
  expect_error (make_file ("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],"
          "\"data_offsets\":[9223372036854775800,9223372036854775807]}}", 8),
      SEQ_WEIGHTS_ERROR_FORMAT, "outside the data region");
}

static void
weights_end_before_begin_refused (void)
{
  expect_error (make_file ("{\"t\":{\"dtype\":\"F32\",\"shape\":[0],"
          "\"data_offsets\":[8,0]}}", 8), SEQ_WEIGHTS_ERROR_FORMAT,
      "end before begin");
}

static void
weights_wrong_byte_count_refused (void)
{
  expect_error (make_file ("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],"
          "\"data_offsets\":[0,8]}}", 16), SEQ_WEIGHTS_ERROR_FORMAT,
      "'t': data_offsets [0, 8] hold 8 bytes but F32 shape needs 12");
  expect_error (make_file ("{\"t\":{\"dtype\":\"BF16\",\"shape\":[2,2],"
          "\"data_offsets\":[0,16]}}", 16), SEQ_WEIGHTS_ERROR_FORMAT,
      "needs 8");
}

static void
weights_unknown_dtype_refused_with_dtype_error (void)
{
  expect_error (make_file ("{\"t\":{\"dtype\":\"Q4_K\",\"shape\":[2],"
          "\"data_offsets\":[0,8]}}", 8), SEQ_WEIGHTS_ERROR_DTYPE,
      "'t': unknown or unsupported dtype \"Q4_K\"");
}

static void
weights_overlapping_tensors_refused (void)
{
  expect_error (make_file ("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
          "\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F16\",\"shape\":[2],"
          "\"data_offsets\":[6,10]}}", 16), SEQ_WEIGHTS_ERROR_FORMAT,
      "overlap");
  /* the same range twice */
  expect_error (make_file ("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
          "\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"I64\",\"shape\":[1],"
          "\"data_offsets\":[0,8]}}", 8), SEQ_WEIGHTS_ERROR_FORMAT,
      "overlap");
}

static void
weights_duplicate_tensor_names_refused (void)
{
  expect_error (make_file ("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
          "\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
          "\"data_offsets\":[4,8]}}", 8), SEQ_WEIGHTS_ERROR_FORMAT,
      "more than once");
}

static void
weights_header_with_nul_byte_refused (void)
{
  static const guint8 img[] = { 4, 0, 0, 0, 0, 0, 0, 0, '{', 0, '}', ' ' };
  expect_error (g_bytes_new_static (img, sizeof img),
      SEQ_WEIGHTS_ERROR_FORMAT, "NUL");
}

static void
weights_adjacent_and_empty_tensors_accepted (void)
{
  GBytes *b = make_file ("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
      "\"data_offsets\":[0,8]},\"e\":{\"dtype\":\"F32\",\"shape\":[0,5],"
      "\"data_offsets\":[4,4]},\"b\":{\"dtype\":\"F16\",\"shape\":[2],"
      "\"data_offsets\":[8,12]}}", 12);
  GError *err = NULL;
  SeqWeights *w = seq_weights_new_from_bytes (b, &err);

  CU_ASSERT_PTR_NULL (err);
  CU_ASSERT_PTR_NOT_NULL (w);
  if (w)
    CU_ASSERT_EQUAL (seq_weights_n_tensors (w), 3);
  g_clear_error (&err);
  seq_weights_unref (w);
  g_bytes_unref (b);
}

static void
weights_negative_dim_refused (void)
{
  expect_error (make_file ("{\"t\":{\"dtype\":\"F32\",\"shape\":[-2],"
          "\"data_offsets\":[0,8]}}", 8), SEQ_WEIGHTS_ERROR_FORMAT,
      "'t': shape dim 0 is not a non-negative integer");
}

static void
weights_rank_above_max_refused (void)
{
  expect_error (make_file ("{\"t\":{\"dtype\":\"F32\","
          "\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4),
      SEQ_WEIGHTS_ERROR_FORMAT, "rank 9");
}

static void
weights_shape_product_overflow_refused (void)
{
  /* 2^32 * 2^32 elements: the product overflows 64 bits */
  expect_error (make_file ("{\"t\":{\"dtype\":\"F32\","
          "\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8),
      SEQ_WEIGHTS_ERROR_FORMAT, "overflows");
  /* 2^62 elements fit, their F32 byte size does not */
  expect_error (make_file ("{\"t\":{\"dtype\":\"F32\","
          "\"shape\":[4611686018427387904],\"data_offsets\":[0,8]}}", 8),
      SEQ_WEIGHTS_ERROR_FORMAT, "overflows");
}

static void
weights_bad_metadata_refused (void)
{
  expect_error (make_file ("{\"__metadata__\":{\"k\":1}}", 0),
      SEQ_WEIGHTS_ERROR_FORMAT, "'k' is not a string");
  expect_error (make_file ("{\"__metadata__\":[\"k\"]}", 0),
      SEQ_WEIGHTS_ERROR_FORMAT, "not a JSON object");
}

static void
weights_missing_file_gives_io_error (void)
{
  GError *err = NULL;
  gchar *dir = seq_test_tmpdir ();
  gchar *path = g_build_filename (dir, "absent.safetensors", NULL);

  CU_ASSERT_PTR_NULL (seq_weights_open (path, &err));
  CU_ASSERT (g_error_matches (err, SEQ_WEIGHTS_ERROR, SEQ_WEIGHTS_ERROR_IO));
  CU_ASSERT_PTR_NOT_NULL (err && strstr (err->message, "absent.safetensors"));
  g_clear_error (&err);
  /* a directory is not a weight file either */
  CU_ASSERT_PTR_NULL (seq_weights_open (dir, &err));
  CU_ASSERT_PTR_NOT_NULL (err);
  g_clear_error (&err);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

static void
weights_truncated_files_on_disk_refused (void)
{
  GError *err = NULL;
  gchar *dir = seq_test_tmpdir ();
  gchar *path = g_build_filename (dir, "cut.safetensors", NULL);
  gchar *valid = seq_test_data_path ("weights_valid.safetensors");
  gchar *contents;
  gsize len;

  CU_ASSERT_FATAL (g_file_get_contents (valid, &contents, &len, NULL));
  /* cut inside the length field, inside the header, inside the data */
  const gsize cuts[] = { 0, 3, 7, 8, 100, len - 1 };
  for (guint i = 0; i < G_N_ELEMENTS (cuts); i++) {
    SeqWeights *w;
    CU_ASSERT_FATAL (g_file_set_contents (path, contents, cuts[i], NULL));
    w = seq_weights_open (path, &err);
    CU_ASSERT_PTR_NULL (w);
    CU_ASSERT (g_error_matches (err, SEQ_WEIGHTS_ERROR,
            SEQ_WEIGHTS_ERROR_FORMAT));
    /* messages name the file */
    CU_ASSERT_PTR_NOT_NULL (err && strstr (err->message, "cut.safetensors"));
    g_clear_error (&err);
    seq_weights_unref (w);
  }
  /* and the untouched copy opens */
  CU_ASSERT_FATAL (g_file_set_contents (path, contents, len, NULL));
  {
    SeqWeights *w = seq_weights_open (path, &err);
    CU_ASSERT_PTR_NOT_NULL (w);
    seq_weights_unref (w);
  }
  g_unlink (path);
  g_rmdir (dir);
  g_free (contents);
  g_free (valid);
  g_free (path);
  g_free (dir);
}

/* ---- half-precision helpers ---------------------------------------------- */

static gboolean
is_nan_f16 (guint16 h)
{
  return (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu) != 0;
}

static gboolean
is_nan_bf16 (guint16 b)
{
  return (b & 0x7f80u) == 0x7f80u && (b & 0x7fu) != 0;
}

/* The NaN rule of lib/seqenc-private.h for f32 -> f16 / bf16: sign kept,
 * the leading payload bits kept, quiet bit set. */
static guint16
nan_rule_f16 (guint32 f)
{
  return (guint16) (((f >> 16) & 0x8000u) | 0x7e00u | ((f >> 13) & 0x3ffu));
}

static guint16
nan_rule_bf16 (guint32 f)
{
  return (guint16) ((f >> 16) | 0x40u);
}

static void
f32_to_f16_and_bf16_round_like_torch (void)
{
  gchar *path = seq_test_data_path ("weights_convert.txt");
  gchar *text = NULL;
  gchar **lines;
  guint n = 0, n_nan = 0, n_sub = 0, bad = 0;

  CU_ASSERT_FATAL (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (gchar ** l = lines; *l != NULL; l++) {
    guint f, h, b;
    float x;
    if (**l == '#' || **l == '\0')
      continue;
    CU_ASSERT_FATAL (sscanf (*l, "%x %x %x", &f, &h, &b) == 3);
    x = float_of (f);
    n++;
    if (isnan (x)) {
      /* torch's NaN bits differ between its code paths (0x7fc0, 0xffff):
       * torch says NaN, the bits follow the documented rule */
      n_nan++;
      if (!is_nan_f16 (h) || !is_nan_bf16 (b)
          || seq_f32_to_f16 (x) != nan_rule_f16 (f)
          || seq_f32_to_bf16 (x) != nan_rule_bf16 (f))
        bad++;
      continue;
    }
    if ((f & 0x7f800000u) == 0 && (f & 0x7fffffu) != 0)
      n_sub++;
    if (seq_f32_to_f16 (x) != h || seq_f32_to_bf16 (x) != b) {
      if (bad < 5)
        g_printerr ("\n  %08x: f16 %04x (torch %04x) bf16 %04x (torch %04x)",
            f, seq_f32_to_f16 (x), h, seq_f32_to_bf16 (x), b);
      bad++;
    }
  }
  CU_ASSERT (n > 3000);
  /* the file holds the classes this test is about */
  CU_ASSERT (n_nan >= 3);
  CU_ASSERT (n_sub >= 8);
  CU_ASSERT_EQUAL (bad, 0);
  g_strfreev (lines);
  g_free (text);
  g_free (path);
}

/* f16 / bf16 -> f32 as torch .float() widens them, bit for bit: inf, NaN
 * with its payload (quieted for f16, kept as is for bf16), subnormals. */
static void
f16_and_bf16_widen_like_torch_nan_payloads_included (void)
{
  gchar *path = seq_test_data_path ("half_convert.txt");
  gchar *text = NULL;
  gchar **lines;
  guint n_f16 = 0, n_bf16 = 0, n_nan = 0, bad = 0;

  CU_ASSERT_FATAL (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (gchar ** l = lines; *l != NULL; l++) {
    char kind[8];
    guint p, w;
    gboolean f16;
    guint32 got;
    if (**l == '#' || **l == '\0')
      continue;
    CU_ASSERT_FATAL (sscanf (*l, "%7s %x %x", kind, &p, &w) == 3);
    f16 = strcmp (kind, "f16") == 0;
    if (f16)
      n_f16++;
    else
      n_bf16++;
    if (f16 ? is_nan_f16 (p) : is_nan_bf16 (p))
      n_nan++;
    got = bits_of (f16 ? seq_f16_to_f32 (p) : seq_bf16_to_f32 (p));
    if (got != w) {
      if (bad < 5)
        g_printerr ("\n  %s %04x: %08x (torch %08x)", kind, p, got, w);
      bad++;
    }
  }
  CU_ASSERT (n_f16 > 80);
  CU_ASSERT (n_bf16 > 80);
  CU_ASSERT (n_nan > 60);
  CU_ASSERT_EQUAL (bad, 0);
  g_strfreev (lines);
  g_free (text);
  g_free (path);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HAVE_X86_REFERENCE 1
#include <immintrin.h>

static __attribute__ ((target ("f16c"))) guint16
hw_f32_to_f16 (float f)
{
  return (guint16) _cvtss_sh (f, _MM_FROUND_TO_NEAREST_INT);
}

static __attribute__ ((target ("f16c"))) float
hw_f16_to_f32 (guint16 h)
{
  return _cvtsh_ss (h);
}

static __attribute__ ((target ("avx512bf16,avx512f,avx2"))) guint16
hw_f32_to_bf16 (float f)
{
  guint16 out[16];
  __m256bh r = _mm512_cvtneps_pbh (_mm512_set1_ps (f));
  _mm256_storeu_si256 ((__m256i *) out, (__m256i) r);
  return out[0];
}
#endif

/* The conversions against the x86 instructions that define them (IEEE 754
 * convertFormat), where this CPU has them: F16C both ways over every f16
 * pattern and 2^20 f32 patterns (NaNs of every payload, subnormals, random
 * bits); AVX512-BF16 for f32 -> bf16 except on f32 subnormals, which that
 * instruction flushes to zero (the kernels keep them, as PyTorch does). */
static void
f16_and_bf16_conversions_match_x86_instructions (void)
{
#ifdef HAVE_X86_REFERENCE
  gboolean f16c = __builtin_cpu_supports ("f16c");
  gboolean bf16 = __builtin_cpu_supports ("avx512bf16");
  guint bad = 0;
  SeqRng rng;

  if (f16c) {
    for (guint i = 0; i < 65536; i++) {
      if (bits_of (seq_f16_to_f32 ((guint16) i)) !=
          bits_of (hw_f16_to_f32 ((guint16) i)))
        bad++;
    }
  }
  seq_rng_init (&rng, 11);
  for (guint i = 0; i < (1u << 20); i++) {
    guint32 u = (guint32) seq_rng_next (&rng);
    float x;
    switch (i & 3) {
      case 0:                  /* NaN (or inf), any payload and sign */
        u |= 0x7f800000u;
        break;
      case 1:                  /* f32 subnormal */
        u &= 0x807fffffu;
        break;
      case 2:                  /* around the f16 range */
        u = (u & 0x83ffffffu) | 0x30000000u | ((u >> 3) & 0x0c000000u);
        break;
      default:
        break;
    }
    x = float_of (u);
    if (f16c && seq_f32_to_f16 (x) != hw_f32_to_f16 (x)) {
      if (bad < 5)
        g_printerr ("\n  f16 %08x: %04x (F16C %04x)", u, seq_f32_to_f16 (x),
            hw_f32_to_f16 (x));
      bad++;
    }
    if (bf16 && (u & 0x7f800000u) != 0
        && seq_f32_to_bf16 (x) != hw_f32_to_bf16 (x)) {
      if (bad < 5)
        g_printerr ("\n  bf16 %08x: %04x (VCVTNEPS2BF16 %04x)", u,
            seq_f32_to_bf16 (x), hw_f32_to_bf16 (x));
      bad++;
    }
  }
  printf ("  x86 reference: F16C %s, AVX512-BF16 %s\n",
      f16c ? "compared" : "absent (not compared)",
      bf16 ? "compared" : "absent (not compared)");
  CU_ASSERT_EQUAL (bad, 0);
#else
  printf ("  no x86 reference in this build (not compared)\n");
#endif
}

static void
f16_and_bf16_to_f32_round_trip_every_pattern (void)
{
  /* Widening is exact, so narrowing it back must give the same pattern for
   * every non-NaN half; NaNs stay NaN. */
  guint bad = 0;
  for (guint i = 0; i < 65536; i++) {
    guint16 p = (guint16) i;
    float h = seq_f16_to_f32 (p), b = seq_bf16_to_f32 (p);
    if (is_nan_f16 (p) ? !isnan (h) : seq_f32_to_f16 (h) != p)
      bad++;
    if (is_nan_bf16 (p) ? !isnan (b) : seq_f32_to_bf16 (b) != p)
      bad++;
  }
  CU_ASSERT_EQUAL (bad, 0);
  /* a few exact values */
  CU_ASSERT_EQUAL (seq_f16_to_f32 (0x0001), ldexpf (1.0f, -24));
  CU_ASSERT_EQUAL (seq_f16_to_f32 (0x7bff), 65504.0f);
  CU_ASSERT_EQUAL (seq_f16_to_f32 (0xfc00), -INFINITY);
  CU_ASSERT_EQUAL (seq_bf16_to_f32 (0x3f80), 1.0f);
}

int
main (void)
{
  static const SeqTestCase cases[] = {
    {"weights_valid_file_matches_torch_float_conversion_bitwise",
        weights_valid_file_matches_torch_float_conversion_bitwise},
    {"weights_tensors_listed_in_data_offset_order",
        weights_tensors_listed_in_data_offset_order},
    {"weights_shapes_dtypes_and_sizes_reported",
        weights_shapes_dtypes_and_sizes_reported},
    {"weights_metadata_strings_read", weights_metadata_strings_read},
    {"weights_find_absent_returns_null_and_require_says_not_found",
        weights_find_absent_returns_null_and_require_says_not_found},
    {"weights_require_checks_rank_and_dims",
        weights_require_checks_rank_and_dims},
    {"weights_non_float_dtype_listed_but_to_f32_refused",
        weights_non_float_dtype_listed_but_to_f32_refused},
    {"weights_to_f32_wrong_destination_size_refused",
        weights_to_f32_wrong_destination_size_refused},
    {"weights_unaligned_little_endian_data_read",
        weights_unaligned_little_endian_data_read},
    {"weights_ref_outlives_unref_of_first_owner",
        weights_ref_outlives_unref_of_first_owner},
    {"weights_truncated_file_shorter_than_length_field_refused",
        weights_truncated_file_shorter_than_length_field_refused},
    {"weights_header_length_past_eof_refused",
        weights_header_length_past_eof_refused},
    {"weights_huge_header_length_refused", weights_huge_header_length_refused},
    {"weights_non_json_header_refused", weights_non_json_header_refused},
    {"weights_json_array_header_refused", weights_json_array_header_refused},
    {"weights_deeply_nested_header_refused",
        weights_deeply_nested_header_refused},
    {"weights_missing_fields_refused", weights_missing_fields_refused},
    {"weights_wrongly_typed_fields_refused",
        weights_wrongly_typed_fields_refused},
    {"weights_offsets_outside_data_refused",
        weights_offsets_outside_data_refused},
    {"weights_end_before_begin_refused", weights_end_before_begin_refused},
    {"weights_wrong_byte_count_refused", weights_wrong_byte_count_refused},
    {"weights_unknown_dtype_refused_with_dtype_error",
        weights_unknown_dtype_refused_with_dtype_error},
    {"weights_overlapping_tensors_refused",
        weights_overlapping_tensors_refused},
    {"weights_duplicate_tensor_names_refused",
        weights_duplicate_tensor_names_refused},
    {"weights_header_with_nul_byte_refused",
        weights_header_with_nul_byte_refused},
    {"weights_adjacent_and_empty_tensors_accepted",
        weights_adjacent_and_empty_tensors_accepted},
    {"weights_negative_dim_refused", weights_negative_dim_refused},
    {"weights_rank_above_max_refused", weights_rank_above_max_refused},
    {"weights_shape_product_overflow_refused",
        weights_shape_product_overflow_refused},
    {"weights_bad_metadata_refused", weights_bad_metadata_refused},
    {"weights_missing_file_gives_io_error",
        weights_missing_file_gives_io_error},
    {"weights_truncated_files_on_disk_refused",
        weights_truncated_files_on_disk_refused},
    {"f32_to_f16_and_bf16_round_like_torch",
        f32_to_f16_and_bf16_round_like_torch},
    {"f16_and_bf16_to_f32_round_trip_every_pattern",
        f16_and_bf16_to_f32_round_trip_every_pattern},
    {"f16_and_bf16_widen_like_torch_nan_payloads_included",
        f16_and_bf16_widen_like_torch_nan_payloads_included},
    {"f16_and_bf16_conversions_match_x86_instructions",
        f16_and_bf16_conversions_match_x86_instructions},
    {NULL, NULL}
  };
  return seq_test_run ("weights", cases);
}
