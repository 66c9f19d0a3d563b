/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — byte-string -> value hash table (not installed).
 *
 * Open addressing with linear probing, built once and then only read (a
 * model's vocabulary). Keys are arbitrary bytes (NUL allowed), stored one
 * after another in one blob, each followed by a NUL so that a key also reads
 * as a C string. Key i keeps its index for the table's life: an index is a
 * stable handle (seq_str_table_key). Not thread-safe while building;
 * concurrent finds on a built table are.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint8 *blob;                 /* all key bytes */
  gsize blob_len, blob_cap;
  guint32 *key_off;             /* [n] offset of key i in blob */
  guint32 *key_len;             /* [n] */
  gint32 *value;                /* [n] */
  guint n, cap_keys;
  guint32 *slots;               /* [n_slots] index + 1, 0 = empty */
  guint n_slots;                /* power of two */
} SeqStrTable;

void seq_str_table_init (SeqStrTable * t);
void seq_str_table_clear (SeqStrTable * t);
/* Adds or replaces; returns the key index, or G_MAXUINT when the table
 * would exceed its 32-bit limits. */
guint seq_str_table_insert (SeqStrTable * t, const guint8 * key, gsize len,
    gint32 value);
/* Key index or -1. */
gint seq_str_table_find (const SeqStrTable * t, const guint8 * key, gsize len);

static inline const guint8 *
seq_str_table_key (const SeqStrTable * t, guint i, gsize * len)
{
  *len = t->key_len[i];
  return t->blob + t->key_off[i];
}

G_END_DECLS
