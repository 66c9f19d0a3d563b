/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — UTF-8 decoding and White_Space (see utf8.h). */
#include "utf8.h"

gsize
seq_utf8_next (const guint8 * p, gsize n, gboolean at_end, gunichar * c,
    gboolean * valid)
{
  guint8 b0 = p[0];
  guint need;
  guint8 lo = 0x80, hi = 0xbf;  /* range of the second byte */
  gunichar v;

  if (b0 < 0x80) {
    *c = b0;
    *valid = TRUE;
    return 1;
  }
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    need = 1;
    v = b0 & 0x1f;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    need = 2;
    v = b0 & 0x0f;
    if (b0 == 0xe0)
      lo = 0xa0;
    else if (b0 == 0xed)
      hi = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    need = 3;
    v = b0 & 0x07;
    if (b0 == 0xf0)
      lo = 0x90;
    else if (b0 == 0xf4)
      hi = 0x8f;
  } else {
    *c = 0xfffd;
    *valid = FALSE;
    return 1;
  }

  for (guint i = 1; i <= need; i++) {
    guint8 b;
    if (i >= n) {
      if (!at_end)
        return 0;
      *c = 0xfffd;
      *valid = FALSE;
      return i;
    }
    b = p[i];
    if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf)) {
      *c = 0xfffd;
      *valid = FALSE;
      return i;
    }
    v = (v << 6) | (b & 0x3f);
  }
  *c = v;
  *valid = TRUE;
  return need + 1;
}

gboolean
seq_unichar_is_white_space (gunichar c)
{
  if (c < 0x80)
    return c == ' ' || (c >= 0x09 && c <= 0x0d);
  if (c == 0x85)
    return TRUE;
  switch (g_unichar_type (c)) {
    case G_UNICODE_SPACE_SEPARATOR:
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
      return TRUE;
    default:
      return FALSE;
  }
}

void
seq_utf8_carry_finish (SeqUtf8Carry * u, guint64 end, SeqUtf8CharFunc func,
    gpointer user_data, GArray * ids, GArray * offsets)
{
  gunichar c;
  gboolean valid;
  gsize used, n_rest;
  guint8 rest[4];

  if (u->n == 0)
    return;
  /* a truncated sequence at the end: one U+FFFD */
  used = seq_utf8_next (u->bytes, u->n, TRUE, &c, &valid);
  n_rest = u->n - used;
  memcpy (rest, u->bytes + used, n_rest);
  func (user_data, c, end - u->n, ids, offsets);
  u->n = 0;
  if (n_rest > 0)
    seq_utf8_carry_feed (u, rest, n_rest, end - n_rest, TRUE, func,
        user_data, ids, offsets);
}

gboolean
seq_utf8_carry_check (const guint8 * bytes, guint n)
{
  gunichar c;
  gboolean valid;

  return n <= 3 && (n == 0 || seq_utf8_next (bytes, n, FALSE, &c,
          &valid) == 0);
}
