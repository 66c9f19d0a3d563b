/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seqenc — stateful streaming sequence encoders.
 *
 * One include for the whole library. Each component's header opens with its
 * thread-safety contract. Models (weights, vocabularies, tables) are immutable
 * after creation and shareable; every stream owns a small state object with
 * reset (and, where it has one, save/restore).
 *
 * One naming pattern for every component (`x` = lstm, fbank, posenc, ...):
 *
 *   x_params_default ()   a parameter struct filled with the documented
 *                         defaults; x_params_validate () where settings can
 *                         be refused before anything is built
 *   x_new / x_free        heap objects; x_ref / x_unref for shared, immutable
 *                         models; x_new_from_{file,weights,random} for models,
 *                         one constructor per source of weights
 *   x_reset ()            back to t = 0, dropping anything held (what a
 *                         GStreamer FLUSH or a DISCONT does to a stream)
 *   x_state_save ()       the stream state as a versioned, checksummed blob;
 *   x_state_restore ()    restoring refuses a blob of another model or
 *                         parameters (SEQ_X_ERROR_STATE) and changes nothing
 *                         then
 *
 * and one verb per way data goes through:
 *
 *   feed     a piece of a stream of any size goes in; what is complete comes
 *            out, the undecided tail is held (tokenizer: bytes -> ids;
 *            fbank: samples -> frames). Any split gives the same output.
 *   finish   end of stream: outputs everything still held, then resets
 *            (tokenizer, fbank). The CTC decoder's returns its open token
 *            and keeps the frame count instead of resetting, so that a
 *            state saved at EOS resumes without that token twice (ctc).
 *   process  frames in, as many frames out, nothing held; a running state
 *            such as a position advances (posenc).
 *   forward  a model advances per-stream states by n steps: frames in,
 *            hidden states out (lstm, and the batcher across streams); a
 *            stateless model maps n frames (head).
 *
 * Where a component splits a shared model from a per-stream state object
 * (SeqLstmState, SeqTokenizerState) the stream verbs are those of the state:
 * seq_lstm_state_reset (), seq_tokenizer_state_feed (); where the object is
 * itself the stream (SeqFbank, SeqPosEnc) they are the object's:
 * seq_fbank_feed_s16 (), seq_posenc_reset (). Save/restore is x_state_save /
 * x_state_restore either way.
 *
 * There is no separate "flush" verb in the library: a GStreamer FLUSH maps
 * to x_reset () and EOS to x_finish ().
 */
#pragma once

#include <seqenc/export.h>
#include <seqenc/common.h>
#include <seqenc/weights.h>
#include <seqenc/posenc.h>
#include <seqenc/lstm.h>
#include <seqenc/gru.h>
#include <seqenc/batcher.h>
#include <seqenc/embedding.h>
#include <seqenc/tokenizer.h>
#include <seqenc/fbank.h>
#include <seqenc/heatmap.h>
#include <seqenc/head.h>
#include <seqenc/ctc.h>

#define SEQENC_VERSION_STRING "0.1.0"
