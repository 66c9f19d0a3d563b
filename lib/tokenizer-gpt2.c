/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — GPT-2's pre-tokenizer as a streaming scanner (see
 * tokenizer-gpt2.h). Classes as the regex engine sees them: \p{L} the L*
 * categories, \p{N} the N* ones, \s White_Space (utf8.h). */
#include "tokenizer-gpt2.h"
#include "utf8.h"

/* The pre-token alternatives by the class of a character. */
enum
{
  C_NEED = 0,                   /* more input needed to decode */
  C_END,                        /* end of text */
  C_L,                          /* \p{L} */
  C_N,                          /* \p{N} */
  C_WS,                         /* \s */
  C_O,                          /* anything else */
};

static guint8 ascii_cls[128];

void
seq_gpt2_init (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done)) {
    for (int c = 0; c < 128; c++) {
      guint8 k = C_O;
      if (g_ascii_isalpha (c))
        k = C_L;
      else if (g_ascii_isdigit (c))
        k = C_N;
      else if (c == ' ' || (c >= 0x09 && c <= 0x0d))
        k = C_WS;
      ascii_cls[c] = k;
    }
    g_once_init_leave (&done, 1);
  }
}

static inline guint
uni_class (gunichar c)
{
  if (seq_unichar_is_white_space (c))
    return C_WS;
  switch (g_unichar_type (c)) {
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER:
    case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_UPPERCASE_LETTER:
      return C_L;
    case G_UNICODE_DECIMAL_NUMBER:
    case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER:
      return C_N;
    default:
      return C_O;
  }
}

/* Class and length of the character at @pos. */
static inline guint
char_at (const guint8 * d, gsize n, gsize pos, gboolean at_end,
    gunichar * c, gsize * len)
{
  gboolean valid;

  if (pos >= n)
    return at_end ? C_END : C_NEED;
  if (d[pos] < 0x80) {
    *c = d[pos];
    *len = 1;
    return ascii_cls[d[pos]];
  }
  *len = seq_utf8_next (d + pos, n - pos, at_end, c, &valid);
  if (*len == 0)
    return C_NEED;
  return uni_class (*c);
}

gsize
seq_gpt2_pretoken_end (SeqGpt2Hint * hint, const guint8 * d, gsize n,
    gsize pos, gboolean at_end)
{
  gunichar c0, c1, c2;
  gsize l0, l1, l2, p, q, last;
  guint k0, k1, k2, run;

  k0 = char_at (d, n, pos, at_end, &c0, &l0);
  if (k0 == C_NEED)
    return 0;

  if (c0 == '\'') {
    k1 = char_at (d, n, pos + 1, at_end, &c1, &l1);
    if (k1 == C_NEED)
      return 0;
    if (k1 != C_END) {
      if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd')
        return pos + 2;
      if (c1 == 'r' || c1 == 'v' || c1 == 'l') {
        k2 = char_at (d, n, pos + 2, at_end, &c2, &l2);
        if (k2 == C_NEED)
          return 0;
        if (k2 != C_END && ((c1 == 'r' && c2 == 'e') || (c1 == 'v'
                    && c2 == 'e') || (c1 == 'l' && c2 == 'l')))
          return pos + 3;
      }
    }
  }

  p = pos;
  run = k0;
  if (c0 == ' ') {
    k1 = char_at (d, n, pos + 1, at_end, &c1, &l1);
    if (k1 == C_NEED)
      return 0;
    if (k1 == C_L || k1 == C_N || k1 == C_O) {
      run = k1;
      p = pos + 1;
    }
  }

  if (run != C_WS) {
    /* ` ?X+`: the run of class X from p */
    q = p;
    if (pos == 0 && hint->q > q)
      q = hint->q;
    for (;;) {
      gunichar c;
      gsize l;
      guint k = char_at (d, n, q, at_end, &c, &l);
      if (k == C_NEED) {
        if (pos == 0)
          hint->q = q;
        return 0;
      }
      if (k != run)
        return q;
      q += l;
    }
  }

  /* whitespace: `\s+(?!\S)` then `\s+` */
  q = pos;
  last = pos;
  if (pos == 0 && hint->q > q) {
    q = hint->q;
    last = hint->last;
  }
  for (;;) {
    gunichar c;
    gsize l;
    guint k = char_at (d, n, q, at_end, &c, &l);
    if (k == C_NEED) {
      if (pos == 0) {
        hint->q = q;
        hint->last = last;
      }
      return 0;
    }
    if (k == C_END)
      return q;
    if (k != C_WS)
      break;
    last = q;
    q += l;
  }
  return last > pos ? last : q;
}
