#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# pipelines/viz-speech-png.sh leaves a picture, not a blank image: 300 x 256,
# the 292 frames of the utterance drawn at the right, the 8 columns left of
# them black, the drawn part varied (tests/check_viz_png.py).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/seqenc-viz-XXXXXX")
trap 'rm -rf "$out"' EXIT
OUT_DIR=$out timeout 120 bash "$here/../pipelines/viz-speech-png.sh" > "$out/log.txt" 2>&1 ||
  { tail -n 20 "$out/log.txt"; echo "0 passed, 1 failed"; exit 1; }
if /usr/bin/python3 "$here/check_viz_png.py" "$out/speech-hidden.png" 300 256 292; then
  echo "1 passed, 0 failed"
else
  echo "0 passed, 1 failed"; exit 1
fi
