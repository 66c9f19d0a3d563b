#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Reproduces models/digits/digits.safetensors: data (espeak-ng + sox, seed
# DATA_SEED), features (tests/fbank_dump: libseqenc's filterbank with
# seqfbank's calls), training (python3-torch, CTC), export (normalization
# folded into LSTM layer 0, settings and labels in __metadata__), evaluation
# (EVAL.md's numbers; PocketSphinx side by side when installed).
# Installs nothing beyond Debian packages (tests/setup-deps.sh with
# SEQENC_SETUP_EXTRA=1 has them all). Everything is written under $WORK
# (default build/digits) except the model, train.log and eval.json.
#   bash models/digits/recipe.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/models/digits
work=${WORK:-$root/build/digits}
DATA_SEED=${DATA_SEED:-12}
TRAIN_UTTS=${TRAIN_UTTS:-8000}
EVAL_UTTS=${EVAL_UTTS:-300}
EPOCHS=${EPOCHS:-26}      # one run: SortaGrad epoch, warm-up, cosine
SYNTH_ACCENTS=${SYNTH_ACCENTS:-200}  # espeak-ng language files made from the training accents
py=/usr/bin/python3   # Debian's python3-torch

for tool in espeak-ng sox; do
  command -v $tool >/dev/null || { echo "recipe: $tool missing (SEQENC_SETUP_EXTRA=1 bash tests/setup-deps.sh)" >&2; exit 1; }
done
$py -c 'import torch' || { echo "recipe: python3-torch missing" >&2; exit 1; }

# fbank_dump: the training front end (built with the project)
if [ ! -x "$root/build/tests/fbank_dump" ]; then
  [ -d "$root/build" ] || meson setup "$root/build"
  ninja -C "$root/build" tests/fbank_dump
fi
fbank_dump=$root/build/tests/fbank_dump

mkdir -p "$work"
start=$(date +%s)
echo "recipe: data -> $work/data (seed $DATA_SEED, $TRAIN_UTTS train, $EVAL_UTTS eval)"
$py "$here/make_data.py" --out "$work/data" --seed "$DATA_SEED" \
  --train "$TRAIN_UTTS" --eval "$EVAL_UTTS" --jobs "${JOBS:-3}" \
  --synth-accents "$SYNTH_ACCENTS"
echo "recipe: data done in $(( $(date +%s) - start )) s"

# single-threaded: on a shared 2-core machine torch's second OpenMP thread
# cost more than it gave (measured); DIGITS_THREADS overrides
$py "$here/train.py" --data "$work/data" --fbank-dump "$fbank_dump" \
  --out "$work/ckpt.pt" --epochs "$EPOCHS" --dev 200 --hidden 224 \
  --layers 2 --batch 32 --lr 2e-3 --warmup 200 \
  --specaug-from 5 --frame-length 25 --frame-shift 10 --stack 3 \
  --seed "$DATA_SEED" | tee "$here/train.log"
echo "recipe: training done at $(( $(date +%s) - start )) s"

$py "$here/export.py" "$work/ckpt.pt" "$here/digits.safetensors" \
  --data-seed "$DATA_SEED"

ps=()
command -v pocketsphinx_batch >/dev/null && ps=(--pocketsphinx)
gst=()
gst-inspect-1.0 seqctcdecode >/dev/null 2>&1 && gst=(--gst)
$py "$here/evaluate.py" --model "$here/digits.safetensors" --data "$work/data" \
  --fbank-dump "$fbank_dump" "${ps[@]}" "${gst[@]}" --json "$here/eval.json" \
  --markdown "$work/eval-table.md" >/dev/null
# the bound of tests/test_digits_model.sh
bash "$root/tests/digits_suite_set.sh" "$work/suite"
$py "$here/evaluate.py" --model "$here/digits.safetensors" --data "$work/data" \
  --fbank-dump "$fbank_dump" --suite "$work/suite" \
  --suite-out "$here/suite_reference.tsv"
echo "recipe: done in $(( $(date +%s) - start )) s; numbers in $here/eval.json"
