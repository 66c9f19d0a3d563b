#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# README's seqnpysink example: the token ids themselves (int32) to a .npy.
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
out=${OUT_DIR:-.}
exec gst-launch-1.0 -e \
  filesrc location="$root/README.md" ! text/x-raw,format=utf8 ! \
  seqtokenizer ! seqnpysink location="$out/ids.npy"
