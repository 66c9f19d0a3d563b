#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the libFuzzer harnesses in tests/fuzz/ with clang
# (-fsanitize=fuzzer,address,undefined, outside meson) and runs each for a
# bounded time, printing executions and crashes per target.
#
#   tests/fuzz/run-fuzz.sh [seconds-per-target] [target...]
#
# seconds default 60. Targets: safetensors tensor_header lstm_state gru_state
# vocab_txt bpe tokenizer_stream fbank fbank_state ctc_state (a target whose library source does not exist yet is
# skipped). Environment: FUZZ_BUILD_DIR (default ${TMPDIR:-/tmp}/seqenc-fuzz),
# FUZZ_JOBS (parallel fuzzing jobs per target, default 1), CC (default clang).
# Crash inputs land in $FUZZ_BUILD_DIR/artifacts/<target>/<date>/; the committed seed
# corpus (tests/fuzz/corpus/<target>/) is read, never written.
# Needs: clang, libclang-rt-14-dev (libFuzzer), pkg-config, glib, json-glib,
# gstreamer dev packages. Exit status: 0 when no target crashed, 1 on a crash,
# 2 on a build failure.
set -u

SECS=${1:-60}
[ $# -gt 0 ] && shift
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
B=${FUZZ_BUILD_DIR:-${TMPDIR:-/tmp}/seqenc-fuzz}
CC=${CC:-clang}
JOBS=${FUZZ_JOBS:-1}
mkdir -p "$B"
B=$(cd "$B" && pwd)
cd "$B" || exit 2

SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-std=c11 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE -DG_LOG_DOMAIN=\"seqenc\" -Wno-unknown-pragmas -I$SRC/include -I$SRC/lib -I$SRC/plugins"
GLIB_PKGS="glib-2.0 gobject-2.0 gio-2.0 json-glib-1.0"
GST_PKGS="gstreamer-1.0 gstreamer-base-1.0 gstreamer-audio-1.0"

# sources of the library a target needs (besides its harness)
lib_sources () {
  case "$1" in
    safetensors) echo "$SRC/lib/weights.c" ;;
    tensor_header) echo "$SRC/plugins/gstseqtensor.c" ;;
    lstm_state|gru_state)
      # scalar kernels only (the SIMD, int8 and AMX files need their own -m flags;
      # state restore does not depend on them)
      echo "$SRC/lib/seqenc.c $SRC/lib/weights.c $SRC/lib/recurrent-common.c"
      ls "$SRC/lib/${1%_state}.c" "$SRC/lib/${1%_state}"-*.c 2>/dev/null |
        tr '\n' ' '
      ls "$SRC"/lib/kernels/*.c | grep -v -e '/kernels_avx' -e '/kernels_amx' -e '/kernels_int8' \
        -e '/simd.c' | tr '\n' ' ' ;;
    fbank|fbank_state) echo "$SRC/lib/seqenc.c $SRC/lib/fbank.c" ;;
    ctc_state) echo "$SRC/lib/seqenc.c $SRC/lib/weights.c $SRC/lib/ctc.c" ;;
    vocab_txt|bpe|tokenizer_stream)
      echo "$SRC/lib/seqenc.c $SRC/lib/strtable.c $SRC/lib/utf8.c"
      ls "$SRC"/lib/tokenizer*.c 2>/dev/null | tr '\n' ' ' ;;
  esac
}

pkgs_for () {
  case "$1" in
    tensor_header) echo "$GLIB_PKGS $GST_PKGS" ;;
    *) echo "$GLIB_PKGS" ;;
  esac
}

# extra compiler flags per target
extra_cflags () {
  case "$1" in
    # clang 14 rejects __builtin_cpu_supports ("f16c") (lib/kernels/cpu.c);
    # the fuzzers run the scalar kernels anyway
    lstm_state|gru_state) echo "-ffp-contract=off -D__builtin_cpu_supports(x)=0" ;;
  esac
}

# the library source a target exercises; the target is skipped while that
# file (or the function the harness calls) does not exist yet
key_source () {
  case "$1" in
    safetensors) f="$SRC/lib/weights.c"; fn=seq_weights_new_from_bytes ;;
    tensor_header) f="$SRC/plugins/gstseqtensor.c"; fn=gst_seq_tensor_header_parse ;;
    lstm_state) f="$SRC/lib/lstm-state.c"; fn=seq_lstm_state_restore ;;
    gru_state) f="$SRC/lib/gru.c"; fn=seq_gru_state_restore ;;
    vocab_txt) f="$SRC/lib/tokenizer-wordpiece.c"; fn=seq_wordpiece_new_from_data ;;
    bpe) f="$SRC/lib/tokenizer-bpe-vocab.c"; fn=seq_bpe_new_from_data ;;
    tokenizer_stream) f="$SRC/lib/tokenizer.c"; fn=seq_tokenizer_state_feed ;;
    fbank) f="$SRC/lib/fbank.c"; fn=seq_fbank_feed_f32 ;;
    fbank_state) f="$SRC/lib/fbank.c"; fn=seq_fbank_state_restore ;;
    ctc_state) f="$SRC/lib/ctc.c"; fn=seq_ctc_state_restore ;;
  esac
  if [ -f "$f" ] && grep -q "^$fn (" "$f"; then echo "$f"; fi
}

TARGETS=${*:-"safetensors tensor_header lstm_state gru_state vocab_txt bpe tokenizer_stream fbank fbank_state ctc_state"}
status=0
summary=""

for t in $TARGETS; do
  h="$HERE/fuzz_$t.c"
  k=$(key_source "$t")
  if [ ! -f "$h" ] || [ -z "$k" ] || [ ! -f "$k" ]; then
    summary="$summary
$(printf '%-18s %12s %8s  %s' "$t" "-" "-" "skipped (harness or library source missing)")"
    continue
  fi
  exe="$B/fuzz_$t"
  # shellcheck disable=SC2046
  if ! $CC $SAN $CFLAGS $(extra_cflags "$t") -o "$exe" "$h" $(lib_sources "$t") \
      $(pkg-config --cflags --libs $(pkgs_for "$t")) -lm -pthread >"$B/build_$t.log" 2>&1; then
    cat "$B/build_$t.log" >&2
    summary="$summary
$(printf '%-18s %12s %8s  %s' "$t" "-" "-" "BUILD FAILED ($B/build_$t.log)")"
    status=2
    continue
  fi
  work="$B/corpus/$t"
  art="$B/artifacts/$t/$(date +%Y%m%d-%H%M%S)"
  mkdir -p "$work" "$art"
  seeds=""
  [ -d "$HERE/corpus/$t" ] && seeds="$HERE/corpus/$t"
  # inputs of crashes found before run first
  [ -d "$HERE/regressions/$t" ] && seeds="$seeds $HERE/regressions/$t"
  dict=""
  [ -f "$HERE/$t.dict" ] && dict="-dict=$HERE/$t.dict"
  log="$B/run_$t.log"
  par=""
  [ "$JOBS" -gt 1 ] && par="-jobs=$JOBS -workers=$JOBS"
  # detect_leaks stays on: a leak on any input is a failure too
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$exe" -max_total_time="$SECS" -print_final_stats=1 -timeout=25 \
      -rss_limit_mb=2048 -max_len=65536 $par \
      -artifact_prefix="$art/" $dict "$work" $seeds >"$log" 2>&1
  rc=$?
  # parallel jobs log to fuzz-<n>.log in the current folder
  if [ "$JOBS" -gt 1 ]; then cat fuzz-*.log >>"$log" 2>/dev/null; rm -f fuzz-*.log; fi
  execs=$(grep 'stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
  # crash-, leak-, oom-, timeout- inputs are failures; slow-unit- ones are noted
  crashes=$(ls "$art" 2>/dev/null | grep -v '^slow-unit-' | wc -l)
  slow=$(ls "$art" 2>/dev/null | grep -c '^slow-unit-')
  if [ $rc -ne 0 ] || [ "$crashes" -ne 0 ]; then
    note="CRASH (rc $rc): see $log and $art/"
    status=1
    echo "== $t crashed:"
    grep -m1 -A8 -E 'runtime error|ERROR: AddressSanitizer|ERROR: LeakSanitizer|deadly signal' "$log"
  else
    note="ok"
  fi
  [ "$slow" -ne 0 ] && note="$note, $slow slow input(s) in $art/"
  summary="$summary
$(printf '%-18s %12s %8s  %s' "$t" "$execs" "$crashes" "$note")"
done

echo "== seqenc fuzz summary (${SECS}s per target, build dir $B)"
printf '%-18s %12s %8s  %s\n' target executions crashes result
echo "$summary" | sed '/^$/d'
exit $status
