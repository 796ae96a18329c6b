#!/usr/bin/env bash
# run.sh -- runs each libFuzzer target of fuzz/ (built by `make fuzz` into
# build-fuzz/fuzz/) for FUZZ_SECONDS, starting from its seed corpus
# fuzz/corpus/<target>/ (new inputs go to build-fuzz/corpus/<target>/, not the
# repository), under ASan+UBSan with leak detection.  Prints one line per
# target: executions, executions per second, corpus size, crashes; exits 1 when
# any crashed (the crashing input is kept as build-fuzz/crash-<target>-*).
#   fuzz/run.sh [target ...]      default: every fuzz/fuzz_*.c
#   FUZZ_RUNS=N   stop each target after N executions (then no time limit unless
#                 FUZZ_SECONDS is given too); the issue's goal is 10000000
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${FUZZ_RUNS:-}
if [ -n "$runs" ]; then secs=${FUZZ_SECONDS:-0}; else secs=${FUZZ_SECONDS:-60}; runs=-1; fi
targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
for t in "${targets[@]}"; do
  bin=build-fuzz/fuzz/$t
  [ -x "$bin" ] || { echo "$t: not built (make fuzz)"; failed=1; continue; }
  mkdir -p "build-fuzz/corpus/$t"
  log=build-fuzz/$t.log
  "$bin" -max_total_time="$secs" -runs="$runs" -print_final_stats=1 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="build-fuzz/crash-$t-" "build-fuzz/corpus/$t" "fuzz/corpus/${t#fuzz_}" > "$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
  # the last status line: "#N DONE cov: C ft: F corp: E/Bb ..." (entries/bytes)
  corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -1 | cut -d' ' -f2)
  # libFuzzer's exit codes: 0 done; 72 (-interrupted_exitcode) stopped by a
  # signal (SIGINT, SIGTERM): not a finding, but the run is incomplete; any
  # other non-zero code (77 a crash or sanitizer report, 70 a timeout, an OOM)
  # is a crash, its input kept as the artifact
  crashes=0 what=""
  if [ "$rc" -eq 72 ]; then
    what=" -- stopped by a signal before its end, see $log"; failed=1
  elif [ "$rc" -ne 0 ]; then
    crashes=1 what=" -- see $log"; failed=1
  fi
  printf '%-22s %12s execs %8s/s  corpus %-12s %s crash(es)%s\n' "$t" "${execs:-?}" "${rate:-?}" "${corp:-?}" "$crashes" "$what"
done
exit $failed
