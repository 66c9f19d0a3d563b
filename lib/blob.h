/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — private: little-endian fields of the versioned state blobs
 * (recurrent-common.c, posenc.c, fbank.c). Unaligned-safe. */
#pragma once

#include <glib.h>
#include <string.h>

static inline void
put_u32 (guint8 * p, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (p, &v, 4);
}

static inline void
put_u64 (guint8 * p, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, 8);
}

static inline guint32
get_u32 (const guint8 * p)
{
  guint32 v;
  memcpy (&v, p, 4);
  return GUINT32_FROM_LE (v);
}

static inline guint64
get_u64 (const guint8 * p)
{
  guint64 v;
  memcpy (&v, p, 8);
  return GUINT64_FROM_LE (v);
}
