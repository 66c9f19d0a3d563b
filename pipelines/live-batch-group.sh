#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Four live 16 kHz sources, each through seqfbank and a seqlstm of the same
# batch-group: one shared model (in 80, hidden 256, 2 layers), one batched
# step for all four streams per frame, each stream its own hidden states.
set -euo pipefail
out=${OUT_DIR:-.}
waves=(sine square pink-noise white-noise)
branches=()
for i in 0 1 2 3; do
  branches+=(audiotestsrc is-live=true wave=${waves[$i]} freq=$((200 + 100 * i)) \
    samplesperbuffer=160 num-buffers=300 ! \
    audio/x-raw,format=S16LE,rate=16000,channels=1 ! \
    seqfbank ! seqlstm batch-group=asr max-batch=4 max-delay=5 ! \
    seqnpysink location="$out/hidden$i.npy")
done
exec gst-launch-1.0 -e "${branches[@]}"
