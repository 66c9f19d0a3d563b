/* seqenc — stateful streaming sequence encoders.
 *
 * One include for the whole library. Each component's header opens with its
 * thread-safety contract. Models (weights, vocabularies, tables) are immutable
 * after creation and shareable; every stream owns a small state object with
 * reset (and, where it has one, save/restore).
 */
#pragma once

#include <seqenc/common.h>
#include <seqenc/weights.h>
#include <seqenc/posenc.h>
#include <seqenc/lstm.h>
#include <seqenc/batcher.h>
#include <seqenc/embedding.h>
#include <seqenc/tokenizer.h>
#include <seqenc/fbank.h>

#define SEQENC_VERSION_STRING "0.1.0"
