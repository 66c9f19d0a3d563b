#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the whole project in fresh build folders and runs `meson test` in each:
#
#   asan-ubsan  -Db_sanitize=address,undefined -Db_lundef=false, UBSan errors
#               fatal (-fno-sanitize-recover=undefined). The library suite
#               ("lib") and the fuzz replays ("fuzz") run with LeakSanitizer on (suppressions:
#               tests/lsan.supp); the GStreamer suites run with
#               detect_leaks=0 (GLib/GStreamer keep global allocations), and
#               the pipeline suite preloads the ASan runtime so that the
#               uninstrumented gst-launch-1.0 can load the instrumented plugin.
#   no-openmp   -Dopenmp=disabled, and the batcher's portable wake-up (one
#               GCond broadcast instead of the Linux futex:
#               -DSEQ_BATCHER_PORTABLE_WAKE), so that both are tested
#
#   tests/run-sanitizers.sh [config...]     (default: asan-ubsan no-openmp)
#
# Environment: SANITIZE_BUILD_BASE (default ${TMPDIR:-/tmp}/seqenc-sanitize),
# NINJA_JOBS (default 2), MESON_TEST_ARGS (extra `meson test` arguments),
# SANITIZE_TIMEOUT_MULTIPLIER (meson test timeout multiplier, default 2).
# Non-interactive; prints a summary and exits non-zero when a configure,
# build or test failed. Uses the default C compiler (gcc): the ASan runtime
# preloaded for the pipelines is `cc -print-file-name=libasan.so`.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
BASE=${SANITIZE_BUILD_BASE:-${TMPDIR:-/tmp}/seqenc-sanitize}
JOBS=${NINJA_JOBS:-2}
CONFIGS=${*:-"asan-ubsan no-openmp"}
mkdir -p "$BASE"

status=0
summary=""

note () {
  summary="$summary
$(printf '%-12s %-28s %s' "$1" "$2" "$3")"
}

# meson test, recording "suite: ok N fail M" for the summary
run_tests () {
  cfg=$1
  label=$2
  shift 2
  log="$BASE/$cfg.logs/test-$label.log"
  # shellcheck disable=SC2086
  meson test -C "$BASE/$cfg" --print-errorlogs --timeout-multiplier "${SANITIZE_TIMEOUT_MULTIPLIER:-2}" \
      ${MESON_TEST_ARGS:-} "$@" >"$log" 2>&1
  rc=$?
  ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  tmo=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  if [ $rc -ne 0 ]; then
    status=1
    bad=$(grep -E '^ *[0-9]+/[0-9]+ .*(FAIL|TIMEOUT|ERROR)' "$log" |
        sed 's/^ *[0-9]*\/[0-9]* *//; s/  */ /g' | sort -u | tr '\n' ';')
    note "$cfg" "test $label" "FAILED: ok ${ok:-0} fail ${fail:-?} timeout ${tmo:-0} [$bad] ($log)"
  else
    note "$cfg" "test $label" "ok ${ok:-0}"
  fi
}

for cfg in $CONFIGS; do
  dir="$BASE/$cfg"
  case "$cfg" in
    asan-ubsan)
      opts="-Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=undefined" ;;
    no-openmp)
      opts="-Dopenmp=disabled -Dc_args=-DSEQ_BATCHER_PORTABLE_WAKE" ;;
    *)
      echo "unknown configuration $cfg" >&2
      exit 2 ;;
  esac
  rm -rf "$dir"
  mkdir -p "$dir.logs"
  # shellcheck disable=SC2086
  if ! meson setup "$dir" "$SRC" $opts >"$dir.logs/setup.log" 2>&1; then
    tail -n 20 "$dir.logs/setup.log"
    note "$cfg" "configure" "FAILED ($dir.logs/setup.log)"
    status=1
    continue
  fi
  if ! ninja -C "$dir" -j "$JOBS" >"$dir.logs/build.log" 2>&1; then
    grep -E 'error|FAILED' "$dir.logs/build.log" | head -n 20
    note "$cfg" "build" "FAILED ($dir.logs/build.log)"
    status=1
    continue
  fi
  note "$cfg" "build" "ok"

  case "$cfg" in
    asan-ubsan)
      asan_lib=$(${CC:-cc} -print-file-name=libasan.so)
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
      export UBSAN_OPTIONS
      # pure library tests: leaks are errors
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
      LSAN_OPTIONS=suppressions=$HERE/lsan.supp:print_suppressions=0 \
        run_tests "$cfg" lib --suite lib
      # fuzz seeds and crash reproducers replayed (tests/fuzz/meson.build)
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
      LSAN_OPTIONS=suppressions=$HERE/lsan.supp:print_suppressions=0 \
        run_tests "$cfg" fuzz --suite fuzz
      # GStreamer element tests: GStreamer keeps global allocations
      ASAN_OPTIONS=detect_leaks=0 run_tests "$cfg" elements --suite elements
      # pipelines run the system gst-launch-1.0: preload the ASan runtime.
      # The soak test asserts flat RSS, which ASan's default 256 MB quarantine
      # of freed memory defeats; a 16 MB quarantine still catches
      # use-after-free of recent allocations.
      if [ -f "$asan_lib" ]; then
        ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0:quarantine_size_mb=16 \
        LD_PRELOAD=$asan_lib run_tests "$cfg" pipelines --suite pipelines
      else
        note "$cfg" "test pipelines" "skipped (no libasan.so found)"
      fi
      # anything not in those suites
      ASAN_OPTIONS=detect_leaks=0 run_tests "$cfg" other \
        --no-suite lib --no-suite fuzz --no-suite elements --no-suite pipelines
      ;;
    *)
      run_tests "$cfg" all
      ;;
  esac
done

echo "== seqenc sanitizer / no-OpenMP summary (build folders under $BASE)"
echo "$summary" | sed '/^$/d'
[ $status -eq 0 ] && echo "ALL OK" || echo "FAILURES (see the logs named above)"
exit $status
