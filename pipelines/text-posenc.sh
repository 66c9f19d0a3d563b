#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# README's seqposenc example: byte tokens, a 64-wide seeded embedding scaled
# by sqrt(64) and the running positional encoding added, to a .npy.
set -euo pipefail
root=${SEQENC_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
out=${OUT_DIR:-.}
exec gst-launch-1.0 -e \
  filesrc location="$root/README.md" ! text/x-raw,format=utf8 ! \
  seqtokenizer ! seqembed dim=64 ! seqposenc scale=8 ! \
  seqnpysink location="$out/pe.npy"
