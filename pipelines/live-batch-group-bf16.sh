#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Eight live 16 kHz sources into one batch-group of speech-sized LSTMs (in 80,
# hidden 512, 3 layers) whose matrix products take bf16 operands
# (matmul-precision=bf16: AMX tiles where the CPU has them, AVX512-BF16 dot
# products where it has those; elsewhere the element warns and runs a slow
# scalar reference).
set -euo pipefail
out=${OUT_DIR:-.}
waves=(sine square pink-noise white-noise)
branches=()
for i in $(seq 0 7); do
  branches+=(audiotestsrc is-live=true wave=${waves[$((i % 4))]} \
    freq=$((200 + 50 * i)) samplesperbuffer=160 num-buffers=300 ! \
    audio/x-raw,format=S16LE,rate=16000,channels=1 ! \
    seqfbank ! seqlstm batch-group=asr hidden-size=512 num-layers=3 \
    matmul-precision=bf16 max-batch=8 max-delay=5 ! \
    seqnpysink location="$out/hidden$i.npy")
done
exec gst-launch-1.0 -e "${branches[@]}"
