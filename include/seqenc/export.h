/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — the export macro of the public API.
 *
 * libseqenc is built with hidden symbol visibility: only declarations marked
 * SEQ_API are exported from the shared library; everything else (kernels,
 * thread pool, tokenizer internals) stays private to it. Tests and fuzzers
 * that need the internals link the internal static library instead
 * (lib/meson.build).
 */
#pragma once

#if defined(_WIN32) || defined(__CYGWIN__)
#  ifdef SEQ_BUILDING_LIBRARY
#    define SEQ_API __declspec(dllexport) extern
#  else
#    define SEQ_API __declspec(dllimport) extern
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define SEQ_API __attribute__ ((visibility ("default"))) extern
#else
#  define SEQ_API extern
#endif
