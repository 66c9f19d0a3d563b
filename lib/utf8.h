/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — UTF-8 decoding and White_Space, as the tokenizer modes need
 * them (not installed). Pure functions, thread-safe; a SeqUtf8Carry belongs
 * to one stream.
 *
 * Ill-formed input decodes to U+FFFD for each maximal ill-formed subpart
 * (Unicode 15, section 3.9, "U+FFFD Substitution of Maximal Subparts", the
 * practice of the WHATWG Encoding Standard and of Python's
 * bytes.decode(errors="replace")), so the characters of a stream do not
 * depend on where it was split.
 */
#pragma once

#include <glib.h>
#include <string.h>

G_BEGIN_DECLS

/* Decodes one character at @p (@n >= 1 bytes available). Returns the bytes
 * it takes, or 0 when @p holds a valid but incomplete sequence and more
 * input may follow (@at_end FALSE). Sets *@valid to FALSE for a
 * substitution. */
gsize seq_utf8_next (const guint8 * p, gsize n, gboolean at_end,
    gunichar * c, gboolean * valid);

/* White_Space property: Z* plus U+0009..U+000D and U+0085. */
gboolean seq_unichar_is_white_space (gunichar c);

/* ---- a stream of characters out of a stream of bytes --------------------
 *
 * An incomplete sequence at the end of a call is carried to the next one.
 * bytes[0..n) is that sequence (a valid prefix, n <= 3); bytes[n..4) are
 * what earlier carries left there. All four bytes are part of the tokenizer
 * state blob, so they are kept as they are: reset sets n = 0 only. */
typedef struct {
  guint8 bytes[4];
  guint n;
} SeqUtf8Carry;

/* Receives one decoded character that starts at stream offset @off. */
typedef void (*SeqUtf8CharFunc) (gpointer user_data, gunichar c,
    guint64 off, GArray * ids, GArray * offsets);

/* Decodes @data (@len bytes, the first at stream offset @base) after the
 * carried bytes, calling @func for each character in order. Inline so that
 * each mode gets the loop with its own @func inlined. */
static inline void
seq_utf8_carry_feed (SeqUtf8Carry * u, const guint8 * data, gsize len,
    guint64 base, gboolean at_end, SeqUtf8CharFunc func, gpointer user_data,
    GArray * ids, GArray * offsets)
{
  gsize i = 0;
  gunichar c;
  gboolean valid;

  if (u->n > 0) {
    /* complete the carried sequence with at most 3 new bytes */
    guint8 tmp[8];
    gsize n = u->n, take = MIN (len, 4 - u->n), used;

    memcpy (tmp, u->bytes, u->n);
    memcpy (tmp + n, data, take);
    used = seq_utf8_next (tmp, n + take, at_end, &c, &valid);
    if (used == 0) {
      /* still incomplete: all of data joins the carry */
      memcpy (u->bytes + u->n, data, take);
      u->n += take;
      return;
    }
    /* a valid prefix is part of its maximal subpart: used >= n */
    func (user_data, c, base - u->n, ids, offsets);
    i = used - n;
    u->n = 0;
  }

  while (i < len) {
    const guint8 *p = data + i;
    gsize used;

    if (*p < 0x80) {
      func (user_data, *p, base + i, ids, offsets);
      i++;
      continue;
    }
    used = seq_utf8_next (p, len - i, at_end, &c, &valid);
    if (used == 0) {
      memcpy (u->bytes, p, len - i);
      u->n = len - i;
      return;
    }
    func (user_data, c, base + i, ids, offsets);
    i += used;
  }
}

/* End of the stream at offset @end: a carried, truncated sequence becomes
 * one U+FFFD (and what follows its maximal subpart is decoded too). */
void seq_utf8_carry_finish (SeqUtf8Carry * u, guint64 end,
    SeqUtf8CharFunc func, gpointer user_data, GArray * ids,
    GArray * offsets);

/* Whether @bytes (@n <= 3) is what a carry may hold: a valid prefix of a
 * sequence (a state blob is checked with this). */
gboolean seq_utf8_carry_check (const guint8 * bytes, guint n);

G_END_DECLS
