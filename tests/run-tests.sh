#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The README's test command: installs what is needed, builds seqenc in
# build/ and runs the whole test suite. The last line is the summary
# "N passed, N failed" over every CUnit test case and pipeline.
#   extra meson options may be given as arguments, e.g. -Dopenmp=disabled
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
builddir=${SEQENC_BUILDDIR:-$root/build}
SEQENC_SETUP_TESTS=1 bash "$root/tests/setup-deps.sh" || { echo "0 passed, 1 failed"; exit 1; }
if [ -f "$builddir/build.ninja" ]; then
  meson setup --reconfigure "$builddir" "$root" "$@" >/dev/null || exit 1
else
  meson setup "$builddir" "$root" "$@" || { echo "0 passed, 1 failed"; exit 1; }
fi
if ! ninja -C "$builddir"; then
  echo "build failed"; echo "0 passed, 1 failed"; exit 1
fi
meson test -C "$builddir" --print-errorlogs --num-processes 2
status=$?
/usr/bin/python3 "$root/tests/summarize.py" "$builddir/meson-logs/testlog.json"
sum=$?
[ $status -eq 0 ] && [ $sum -eq 0 ]
