/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc tests — the filterbank features of many audio files in one process,
 * computed exactly as the seqfbank element computes them (the training
 * front end of models/digits/; tests/test_fbank_dump.sh checks it against
 * seqfbank in gst-launch, bitwise).
 *
 * usage: fbank_dump [PROPERTY=VALUE ...] LIST OUT
 *   PROPERTY=VALUE: seqfbank's property names and gst-launch value syntax
 *     (num-mel-bins=80 frame-shift=20 dither=1 dither-seed=1 window=povey
 *     snip-edges=true ...), plus rate=HZ, the sample rate every input must
 *     have (default 16000: the rate the pipeline resamples to; no resampling
 *     here).
 *   LIST: one path per line; a file ending in .wav is a RIFF WAVE file
 *     (PCM, 16-bit, mono), anything else raw S16LE mono samples.
 *   OUT: every file's frames, one after the other, as little-endian f32
 *     [frames][dim]. stdout gets one line per file: "FRAMES DIM PATH".
 *
 * Each file is one stream, as one gst-launch run of seqfbank sees it: the
 * object is reset before it (dither re-seeded, frame 0 next), S16 samples go
 * in as they are (seq_fbank_feed_s16, which is what seqfbank does for S16LE;
 * F32 input would give the same frames), and at end of file the frames EOS
 * implies come from seq_fbank_finish (none with snip-edges=true). The buffer
 * split does not matter (the library is chunking invariant, which its own
 * tests check).
 */
#include <seqenc/fbank.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gboolean
parse_bool (const gchar * v, gboolean * out)
{
  if (!g_ascii_strcasecmp (v, "true") || !g_strcmp0 (v, "1")
      || !g_ascii_strcasecmp (v, "yes")) {
    *out = TRUE;
    return TRUE;
  }
  if (!g_ascii_strcasecmp (v, "false") || !g_strcmp0 (v, "0")
      || !g_ascii_strcasecmp (v, "no")) {
    *out = FALSE;
    return TRUE;
  }
  return FALSE;
}

static gboolean
parse_double (const gchar * v, gdouble * out)
{
  gchar *end;
  *out = g_ascii_strtod (v, &end);
  return end != v && *end == '\0';
}

static gboolean
parse_u64 (const gchar * v, guint64 * out)
{
  gchar *end;
  if (*v == '-')
    return FALSE;
  *out = g_ascii_strtoull (v, &end, 10);
  return end != v && *end == '\0';
}

/* One PROPERTY=VALUE argument into @p. */
static gboolean
set_property (SeqFbankParams * p, const gchar * arg)
{
  static const gchar *windows[] = { "povey", "hanning", "hamming",
    "rectangular", "blackman"
  };
  const gchar *eq = strchr (arg, '=');
  gchar *name;
  const gchar *v;
  gboolean ok = FALSE;
  guint64 u = 0;

  if (eq == NULL)
    return FALSE;
  name = g_strndup (arg, eq - arg);
  v = eq + 1;
  if (!strcmp (name, "num-mel-bins")) {
    ok = parse_u64 (v, &u) && u <= G_MAXUINT;
    p->num_mel_bins = (guint) u;
  } else if (!strcmp (name, "stack")) {
    ok = parse_u64 (v, &u) && u <= G_MAXUINT;
    p->stack = (guint) u;
  } else if (!strcmp (name, "stack-hop")) {
    ok = parse_u64 (v, &u) && u <= G_MAXUINT;
    p->stack_hop = (guint) u;
  } else if (!strcmp (name, "rate"))
    ok = parse_double (v, &p->sample_rate);
  else if (!strcmp (name, "frame-length"))
    ok = parse_double (v, &p->frame_length_ms);
  else if (!strcmp (name, "frame-shift"))
    ok = parse_double (v, &p->frame_shift_ms);
  else if (!strcmp (name, "dither"))
    ok = parse_double (v, &p->dither);
  else if (!strcmp (name, "dither-seed"))
    ok = parse_u64 (v, &p->dither_seed);
  else if (!strcmp (name, "preemphasis"))
    ok = parse_double (v, &p->preemphasis);
  else if (!strcmp (name, "low-freq"))
    ok = parse_double (v, &p->low_freq);
  else if (!strcmp (name, "high-freq"))
    ok = parse_double (v, &p->high_freq);
  else if (!strcmp (name, "energy-floor"))
    ok = parse_double (v, &p->energy_floor);
  else if (!strcmp (name, "use-energy"))
    ok = parse_bool (v, &p->use_energy);
  else if (!strcmp (name, "raw-energy"))
    ok = parse_bool (v, &p->raw_energy);
  else if (!strcmp (name, "snip-edges"))
    ok = parse_bool (v, &p->snip_edges);
  else if (!strcmp (name, "remove-dc-offset"))
    ok = parse_bool (v, &p->remove_dc_offset);
  else if (!strcmp (name, "window")) {
    for (guint i = 0; i < G_N_ELEMENTS (windows); i++)
      if (!strcmp (v, windows[i])) {
        p->window = (SeqFbankWindow) i;
        ok = TRUE;
      }
  }
  g_free (name);
  return ok;
}

static guint32
rd32 (const guint8 * p)
{
  return p[0] | (p[1] << 8) | (p[2] << 16) | ((guint32) p[3] << 24);
}

static guint16
rd16 (const guint8 * p)
{
  return (guint16) (p[0] | (p[1] << 8));
}

/* Finds the samples of a RIFF WAVE file of @len bytes: 16-bit PCM mono at
 * @rate. A data chunk whose size runs past the end of the file (streamed
 * WAVs carry a placeholder) is cut at the end of the file, as wavparse does;
 * a trailing odd byte is dropped. */
static gboolean
wav_samples (const guint8 * d, gsize len, gdouble rate, gsize * off,
    gsize * n, GError ** error)
{
  gsize pos = 12;
  gboolean have_fmt = FALSE;

  if (len < 12 || memcmp (d, "RIFF", 4) || memcmp (d + 8, "WAVE", 4))
    goto not_wav;
  while (pos + 8 <= len) {
    guint32 size = rd32 (d + pos + 4);
    gsize body = pos + 8;
    if (!memcmp (d + pos, "fmt ", 4)) {
      guint16 fmt, ch, bits;
      guint32 r;
      if (size < 16 || body + 16 > len)
        goto bad;
      fmt = rd16 (d + body);
      ch = rd16 (d + body + 2);
      r = rd32 (d + body + 4);
      bits = rd16 (d + body + 14);
      if ((fmt != 1 && fmt != 0xfffe) || ch != 1 || bits != 16) {
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
            "not 16-bit PCM mono (format %u, %u channels, %u bits)", fmt, ch,
            bits);
        return FALSE;
      }
      if (r != rate) {
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
            "sample rate %u, expected %g (resample first)", r, rate);
        return FALSE;
      }
      have_fmt = TRUE;
    } else if (!memcmp (d + pos, "data", 4)) {
      if (!have_fmt)
        goto bad;
      *off = body;
      *n = (MIN ((gsize) size, len - body)) / 2;
      return TRUE;
    }
    if (size > len - body)
      goto bad;
    pos = body + size + (size & 1);
  }
bad:
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
      "malformed WAV (no fmt chunk before the data chunk, or a chunk past "
      "the end of the file)");
  return FALSE;
not_wav:
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "not a RIFF WAVE file");
  return FALSE;
}

int
main (int argc, char **argv)
{
  SeqFbankParams p = seq_fbank_params_default ();
  SeqFbank *fb;
  GError *err = NULL;
  gchar *list, **paths;
  FILE *out;
  float *frames = NULL;
  gsize cap = 0;
  gint16 *tmp = NULL;
  gsize tmp_cap = 0;
  int first_file = 1, rc = 0;
  guint dim;

  while (first_file < argc && strchr (argv[first_file], '=') != NULL) {
    if (!set_property (&p, argv[first_file])) {
      fprintf (stderr, "fbank_dump: bad setting '%s'\n", argv[first_file]);
      return 2;
    }
    first_file++;
  }
  if (argc - first_file != 2) {
    fprintf (stderr, "usage: %s [PROPERTY=VALUE ...] LIST OUT\n", argv[0]);
    return 2;
  }
  fb = seq_fbank_new (&p, &err);
  if (fb == NULL) {
    fprintf (stderr, "fbank_dump: %s\n", err->message);
    return 2;
  }
  dim = seq_fbank_dim (fb);
  if (!g_file_get_contents (argv[first_file], &list, NULL, &err)) {
    fprintf (stderr, "fbank_dump: %s\n", err->message);
    return 1;
  }
  out = fopen (argv[first_file + 1], "wb");
  if (out == NULL) {
    fprintf (stderr, "fbank_dump: cannot write %s\n", argv[first_file + 1]);
    return 1;
  }
  paths = g_strsplit (list, "\n", -1);
  for (gchar ** path = paths; *path && rc == 0; path++) {
    gchar *data;
    gsize len, off = 0, n, nf, got;
    const gint16 *samples;

    g_strstrip (*path);
    if (**path == '\0')
      continue;
    if (!g_file_get_contents (*path, &data, &len, &err)) {
      fprintf (stderr, "fbank_dump: %s\n", err->message);
      rc = 1;
      break;
    }
    if (g_str_has_suffix (*path, ".wav")) {
      if (!wav_samples ((const guint8 *) data, len, p.sample_rate, &off, &n,
              &err)) {
        fprintf (stderr, "fbank_dump: %s: %s\n", *path, err->message);
        g_free (data);
        rc = 1;
        break;
      }
    } else {
      n = len / 2;
    }
    /* little-endian samples, aligned: copy them out of the file bytes */
    if (n > tmp_cap) {
      tmp_cap = n;
      tmp = g_realloc_n (tmp, tmp_cap, sizeof (gint16));
    }
    for (gsize i = 0; i < n; i++)
      tmp[i] = (gint16) rd16 ((const guint8 *) data + off + 2 * i);
    samples = tmp;
    g_free (data);

    seq_fbank_reset (fb);
    nf = seq_fbank_frames_pending (fb, n);
    if (nf + 64 > cap) {
      cap = nf + 64;
      frames = g_realloc_n (frames, cap, (gsize) dim * sizeof (float));
    }
    got = seq_fbank_feed_s16 (fb, samples, n, frames, nf);
    /* end of stream: what seqfbank's drain outputs at EOS */
    nf = seq_fbank_finish_pending (fb);
    if (got + nf > cap) {
      cap = got + nf;
      frames = g_realloc_n (frames, cap, (gsize) dim * sizeof (float));
    }
    got += seq_fbank_finish (fb, frames + got * dim, nf);
    if (G_BYTE_ORDER != G_LITTLE_ENDIAN) {
      guint32 *w = (guint32 *) frames;
      for (gsize i = 0; i < got * dim; i++)
        w[i] = GUINT32_TO_LE (w[i]);
    }
    if (fwrite (frames, sizeof (float) * dim, got, out) != got) {
      fprintf (stderr, "fbank_dump: write error\n");
      rc = 1;
      break;
    }
    printf ("%" G_GSIZE_FORMAT " %u %s\n", got, dim, *path);
  }
  if (fclose (out) != 0)
    rc = 1;
  g_strfreev (paths);
  g_free (list);
  g_free (frames);
  g_free (tmp);
  g_clear_error (&err);
  seq_fbank_free (fb);
  return rc;
}
