/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — streaming Kaldi-compatible log-mel filterbank.
 *
 * Thread safety: a SeqFbank holds one stream's state (the sample tail and the
 * dither generator); one thread at a time. Parameters are fixed at creation.
 * Different SeqFbank objects may be used from different threads. What
 * depends on the parameters only (window, mel filters, FFT tables) is
 * computed once and shared, read-only and reference-counted, by all the
 * SeqFbank objects of the same shape in the process (many live streams then
 * keep one copy in cache); creating and freeing objects is thread-safe.
 *
 * Semantics: Kaldi `compute-fbank-feats` (and torchaudio.compliance.kaldi.fbank
 * with energy_floor=0, dither=0, which is what the tests compare against).
 *
 * Samples: Kaldi reads 16-bit PCM as raw integers, so its features are those
 * of samples in int16 range. f32 samples in [-1, 1] are multiplied by 32768
 * (exact in f32) before anything else; s16 samples are used as they are. A
 * f32 stream and the s16 stream it came from give identical frames.
 *
 * Window size w = (int) (rate * frame_length_ms * 0.001) samples, shift
 * s = (int) (rate * frame_shift_ms * 0.001) (torchaudio's expression; Kaldi's
 * is the same product in another order). The FFT size N is w rounded up to a
 * power of two. For each frame, in Kaldi's order:
 *   dither (x += dither * N(0,1)), remove the DC offset (x -= mean (x)),
 *   raw log energy (log max (sum x^2, FLT_EPSILON), floored at
 *   log (energy_floor) when energy_floor > 0), pre-emphasis
 *   (x[i] -= p * x[i-1] for i = w-1..1, x[0] -= p * x[0]), window, zero-pad to
 *   N, |FFT|^2, triangular mel filters on the mel scale 1127 ln (1 + f/700)
 *   over FFT bins [0, N/2), log max (e, FLT_EPSILON).
 * Output frame: [num_mel_bins] log-mel values, preceded by the log energy when
 * use_energy (Kaldi's layout without --htk-compat): width seq_fbank_dim ().
 *
 * Framing and streaming:
 *  - snip_edges = TRUE: frame k covers samples [k s, k s + w); it is output as
 *    soon as sample k s + w - 1 has been fed. At end of stream nothing more
 *    is output (a partial window is dropped, as Kaldi does): after n samples
 *    there are 1 + (n - w) / s frames (0 when n < w).
 *  - snip_edges = FALSE: frame k covers [k s - p, k s - p + w) with
 *    p = w/2 - s/2; sample indices outside [0, n) are reflected
 *    (-1 -> 0, -2 -> 1, n -> n-1, n+1 -> n-2). There are (n + s/2) / s frames.
 *    In streaming, frame k is output as soon as sample k s - p + w - 1 has been
 *    fed (the left reflection only needs samples already held); the last
 *    frames, whose windows reach past the end, come out of seq_fbank_finish().
 * The lookahead (seq_fbank_lookahead ()) is how many samples after a frame's
 * first sample k s must have been fed before frame k is output: w for
 * snip_edges, w - p otherwise. A frame's time is k s samples after the stream
 * start in both modes.
 *
 * Stacking (stack = n > 1; low frame rate, as streaming ASR encoders take it):
 * output frame j is the n computed frames j n .. j n + n - 1 side by side
 * ([n][dim] values), output when the last of them is complete. The hop
 * between output frames is n s samples (seq_fbank_hop ()), output frame j's
 * time is j n s samples, its lookahead (n - 1) s plus the above; at the end
 * of the stream a partial stack is dropped. Each computed frame is the same,
 * bit for bit, as without stacking.
 *
 * Overlapping stacks (stack_hop = h, 1 <= h < n, n a multiple of h): output
 * frame j is computed frames j h .. j h + n - 1, so consecutive output
 * frames share n - h computed frames: right context for a streaming model
 * (stack 9, hop 3: an LSTM step every 30 ms that also sees the 60 ms after
 * its own three frames). The hop between output frames is h s samples,
 * frame j's time j h s, the lookahead as above. Each computed frame is
 * computed once (the shared ones are kept, and saved in the state blob), so
 * dither is drawn once per frame and every value equals the unstacked
 * frame's, bit for bit. At the end of the stream (finish) every complete
 * hop of computed frames starts an output frame: with C computed frames
 * there are C / h output frames (integer division), and the places past
 * the last complete hop (computed frames C / h * h and on) hold copies of
 * the frame at the same place in that hop, so the last steps of a model
 * see the stream's end as a repetition of its last hop. stack_hop 0 means
 * h = n (no overlap).
 *
 * Chunking invariance: any split of the same samples over feed calls gives
 * bitwise identical frames (every frame is computed from the same stored
 * values in one fixed order of operations).
 *
 * Dither: default 0, unlike Kaldi's 1.0. Dither only keeps log() away from
 * zero on digital silence, which the FLT_EPSILON floor already does, and
 * random dither would make features differ run to run. When dither > 0, the
 * noise is Gaussian (Box-Muller over SeqRng, seeded with dither_seed), drawn
 * w values per frame in frame order, so it is deterministic and still chunking
 * invariant; seq_fbank_reset () re-seeds it.
 *
 * Bad input: non-finite f32 samples (NaN, ±Inf) are refused with
 * SEQ_FBANK_ERROR_NON_FINITE before anything of that call is consumed; the
 * state is unchanged and the caller decides (the element posts an error).
 *
 * The hot path (feed, finish) allocates nothing: all scratch is sized at
 * creation and the caller owns the input and output buffers.
 */
#pragma once

#include <glib.h>
#include <seqenc/export.h>

G_BEGIN_DECLS

#define SEQ_FBANK_ERROR (seq_fbank_error_quark ())
SEQ_API GQuark seq_fbank_error_quark (void);

typedef enum {
  SEQ_FBANK_ERROR_CONFIG,       /* invalid or inconsistent parameters */
  SEQ_FBANK_ERROR_NON_FINITE,   /* NaN or Inf among the samples */
  SEQ_FBANK_ERROR_STATE,        /* state blob does not fit these parameters */
} SeqFbankError;

/* Highest sample rate accepted (Hz): beyond the fastest audio interfaces, and
 * it bounds the window and FFT sizes an absurd rate would ask for. */
#define SEQ_FBANK_MAX_RATE 384000

typedef enum {
  SEQ_FBANK_WINDOW_POVEY,       /* Kaldi "povey": hann^0.85 (default) */
  SEQ_FBANK_WINDOW_HANNING,     /* 0.5 - 0.5 cos (2 pi i / (w - 1)) */
  SEQ_FBANK_WINDOW_HAMMING,     /* 0.54 - 0.46 cos (2 pi i / (w - 1)) */
  SEQ_FBANK_WINDOW_RECTANGULAR, /* 1 */
  SEQ_FBANK_WINDOW_BLACKMAN,    /* b - 0.5 cos (a i) + (0.5 - b) cos (2 a i) */
} SeqFbankWindow;

/* Kaldi's option names in brackets. */
typedef struct {
  gdouble sample_rate;          /* Hz [sample-frequency]; default 16000 */
  gdouble frame_length_ms;      /* window length, ms [frame-length]; default 25 */
  gdouble frame_shift_ms;       /* hop, ms [frame-shift]; default 10 */
  guint num_mel_bins;           /* mel filters, >= 3 [num-mel-bins]; default 80
                                 * (Kaldi: 23; 80 is what ASR encoders and
                                 * seqlstm's default input take) */
  gdouble low_freq;             /* Hz, lower edge of the first filter
                                 * [low-freq]; default 20 */
  gdouble high_freq;            /* Hz, upper edge of the last filter; <= 0 is
                                 * an offset from Nyquist [high-freq]; default 0 */
  gdouble preemphasis;          /* coefficient [preemphasis-coefficient];
                                 * default 0.97; 0 = none */
  gboolean remove_dc_offset;    /* subtract each frame's mean
                                 * [remove-dc-offset]; default TRUE */
  SeqFbankWindow window;        /* [window-type]; default POVEY */
  gdouble blackman_coeff;       /* [blackman-coeff]; default 0.42 */
  gboolean use_energy;          /* prepend the log energy [use-energy];
                                 * default FALSE */
  gboolean raw_energy;          /* energy before pre-emphasis and window
                                 * [raw-energy]; default TRUE */
  gdouble energy_floor;         /* floor on the energy, linear; 0 = none
                                 * [energy-floor]; default 0 (torchaudio: 1) */
  gboolean snip_edges;          /* see the header comment [snip-edges];
                                 * default TRUE */
  gdouble dither;               /* Gaussian dither stddev in int16 units
                                 * [dither]; default 0 (Kaldi: 1, see above) */
  guint64 dither_seed;          /* seed of the dither generator; default 0 */
  guint stack;                  /* frames stacked per output frame, 1..
                                 * SEQ_FBANK_MAX_STACK (see above); default 1 */
  guint stack_hop;              /* computed frames between output frames,
                                 * a divisor of stack, 0 = stack (see above);
                                 * default 0 */
} SeqFbankParams;

#define SEQ_FBANK_MAX_STACK 32u

typedef struct _SeqFbank SeqFbank;

SEQ_API SeqFbankParams seq_fbank_params_default (void);

/* Checks @params (sizes, mel range against Nyquist, ...) without creating
 * anything. */
SEQ_API gboolean seq_fbank_params_validate (const SeqFbankParams * params,
    GError ** error);

SEQ_API SeqFbank *seq_fbank_new (const SeqFbankParams * params, GError ** error);
SEQ_API void seq_fbank_free (SeqFbank * fb);
SEQ_API const SeqFbankParams *seq_fbank_get_params (const SeqFbank * fb);

/* Values per output frame: stack * (num_mel_bins (+ 1 with use_energy)). */
SEQ_API guint seq_fbank_dim (const SeqFbank * fb);
/* w, s, N and the lookahead (see above), in samples. */
SEQ_API guint seq_fbank_window_size (const SeqFbank * fb);
SEQ_API guint seq_fbank_window_shift (const SeqFbank * fb);
SEQ_API guint seq_fbank_fft_size (const SeqFbank * fb);
SEQ_API guint seq_fbank_lookahead (const SeqFbank * fb);
/* Samples between output frames: the stack hop (default: the stack) times
 * the window shift. */
SEQ_API guint seq_fbank_hop (const SeqFbank * fb);

/* Back to the start of a stream: no samples, frame 0 next, dither re-seeded. */
SEQ_API void seq_fbank_reset (SeqFbank * fb);
/* Samples fed and frames output since creation or the last reset. */
SEQ_API guint64 seq_fbank_samples_fed (const SeqFbank * fb);
SEQ_API guint64 seq_fbank_frames_done (const SeqFbank * fb);

/* Exact number of frames a feed of @n_samples more samples will output. */
SEQ_API gsize seq_fbank_frames_pending (const SeqFbank * fb, gsize n_samples);

/* Feeds @n_samples samples and writes the frames that became complete to
 * @out ([frames][dim] f32), which must hold @max_frames >=
 * seq_fbank_frames_pending (fb, n_samples) frames. *@n_frames (may be NULL)
 * gets the count. The f32 variant scales by 32768 and fails, consuming
 * nothing, on a non-finite sample. */
SEQ_API gboolean seq_fbank_feed_f32 (SeqFbank * fb, const float *samples,
    gsize n_samples, float *out, gsize max_frames, gsize * n_frames,
    GError ** error);
SEQ_API gsize seq_fbank_feed_s16 (SeqFbank * fb, const gint16 * samples,
    gsize n_samples, float *out, gsize max_frames);

/* End of stream: the number of frames seq_fbank_finish () will output (0 for
 * snip_edges), then the finish itself, which writes them (the last windows
 * reflected at the end) and resets the object for a new stream. */
SEQ_API gsize seq_fbank_finish_pending (const SeqFbank * fb);
SEQ_API gsize seq_fbank_finish (SeqFbank * fb, float *out, gsize max_frames);

/* Serialized stream state (versioned, checksummed; layout next to the writer
 * in lib/fbank.c): counters, the held samples, the dither generator and a
 * fingerprint of the parameters. Restoring a blob written under other
 * parameters fails with SEQ_FBANK_ERROR_STATE and leaves @fb unchanged. */
SEQ_API GBytes *seq_fbank_state_save (const SeqFbank * fb);
SEQ_API gboolean seq_fbank_state_restore (SeqFbank * fb, GBytes * blob, GError ** error);

/* The filter weights of mel bin @bin over FFT bins [0, N/2), into @out
 * (N/2 floats; for tests and tools). */
SEQ_API void seq_fbank_get_mel_filter (const SeqFbank * fb, guint bin, float *out);

G_END_DECLS
