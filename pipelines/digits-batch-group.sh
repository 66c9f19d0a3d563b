#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Many live speech streams through one shared digits model: N (default 8)
# live sources, each paced in real time (identity sync=true, as microphones
# or network streams would be), each with its own seqfbank and a seqlstm of
# one batch-group (one model in memory, one batched step for the frames of
# every stream that waits), each with its own head and decoder writing
# $OUT_DIR/digits<i>.txt. The sources are espeak-ng utterances of different
# digit strings; put autoaudiosrc, udpsrc ! rtpL16depay, ... in their place.
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
out=${OUT_DIR:-.}
model=${MODEL:-$root/models/digits/digits.safetensors}
n=${STREAMS:-8}
words=(zero one two three four five six seven eight nine)
branches=()
for i in $(seq 0 $((n - 1))); do
  text="${words[$((i % 10))]} ${words[$(((i + 3) % 10))]} ${words[$(((i + 7) % 10))]}"
  env -u LD_PRELOAD espeak-ng -v en-us -s 150 -w "$out/in$i.wav" "$text"
  branches+=(filesrc location="$out/in$i.wav" ! wavparse ! identity sync=true ! \
    audioconvert ! audioresample ! audio/x-raw,rate=16000,channels=1 ! \
    seqfbank model="$model" ! \
    seqlstm model="$model" batch-group=digits max-batch="$n" max-delay=10 ! \
    seqhead model="$model" activation=log-softmax ! \
    seqctcdecode model="$model" ! filesink location="$out/digits$i.txt")
done
gst-launch-1.0 -q -e "${branches[@]}"
for i in $(seq 0 $((n - 1))); do printf 'stream %d: %s' "$i" "$(cat "$out/digits$i.txt")"; echo; done
