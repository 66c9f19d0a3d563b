/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — byte-string -> value hash table (see strtable.h). */
#include "strtable.h"

#include "seqenc-private.h"

#include <string.h>

void
seq_str_table_init (SeqStrTable * t)
{
  memset (t, 0, sizeof *t);
}

void
seq_str_table_clear (SeqStrTable * t)
{
  g_free (t->blob);
  g_free (t->key_off);
  g_free (t->key_len);
  g_free (t->value);
  g_free (t->slots);
  memset (t, 0, sizeof *t);
}

static inline guint32
str_hash (const guint8 * p, gsize n)
{
  /* FNV-1a, then a final avalanche so that low bits are usable */
  guint32 h = seq_fnv1a32 (SEQ_FNV32_OFFSET, p, n);
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  return h;
}

static gint
str_table_lookup_slot (const SeqStrTable * t, const guint8 * key, gsize len,
    guint * slot_out)
{
  guint mask = t->n_slots - 1;
  guint s = str_hash (key, len) & mask;

  for (;;) {
    guint32 v = t->slots[s];
    if (v == 0) {
      *slot_out = s;
      return -1;
    }
    v--;
    if (t->key_len[v] == len && memcmp (t->blob + t->key_off[v], key, len) == 0) {
      *slot_out = s;
      return (gint) v;
    }
    s = (s + 1) & mask;
  }
}

static void
str_table_rehash (SeqStrTable * t, guint n_slots)
{
  g_free (t->slots);
  t->slots = g_new0 (guint32, n_slots);
  t->n_slots = n_slots;
  for (guint i = 0; i < t->n; i++) {
    guint s = str_hash (t->blob + t->key_off[i], t->key_len[i]) & (n_slots - 1);
    while (t->slots[s] != 0)
      s = (s + 1) & (n_slots - 1);
    t->slots[s] = i + 1;
  }
}

guint
seq_str_table_insert (SeqStrTable * t, const guint8 * key, gsize len,
    gint32 value)
{
  guint slot;
  gint found;

  if (len > G_MAXUINT32 / 2 || t->blob_len + len > G_MAXUINT32 / 2
      || t->n >= G_MAXUINT32 / 4)
    return G_MAXUINT;
  if (t->n_slots == 0)
    str_table_rehash (t, 1024);
  else if ((t->n + 1) * 2 > t->n_slots)
    str_table_rehash (t, t->n_slots * 2);

  found = str_table_lookup_slot (t, key, len, &slot);
  if (found >= 0) {
    t->value[found] = value;
    return (guint) found;
  }
  if (t->n == t->cap_keys) {
    t->cap_keys = t->cap_keys ? t->cap_keys * 2 : 1024;
    t->key_off = g_renew (guint32, t->key_off, t->cap_keys);
    t->key_len = g_renew (guint32, t->key_len, t->cap_keys);
    t->value = g_renew (gint32, t->value, t->cap_keys);
  }
  if (t->blob_len + len + 1 > t->blob_cap) {
    t->blob_cap = MAX (t->blob_cap * 2, t->blob_len + len + 1);
    t->blob_cap = MAX (t->blob_cap, 4096);
    t->blob = g_realloc (t->blob, t->blob_cap);
  }
  if (len)
    memcpy (t->blob + t->blob_len, key, len);
  t->blob[t->blob_len + len] = 0;       /* keys read as C strings too */
  t->key_off[t->n] = (guint32) t->blob_len;
  t->key_len[t->n] = (guint32) len;
  t->value[t->n] = value;
  t->blob_len += len + 1;
  t->slots[slot] = t->n + 1;
  return t->n++;
}

gint
seq_str_table_find (const SeqStrTable * t, const guint8 * key, gsize len)
{
  guint slot;
  if (t->n_slots == 0)
    return -1;
  return str_table_lookup_slot (t, key, len, &slot);
}
