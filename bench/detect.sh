#!/usr/bin/env bash
# detect.sh -- bench group "detect": series points per second evaluated by the
# EARS C1/C2/C3 detectors (src/detect.c) on one core, against R's
# surveillance::earsC on the same series in the same run.
#   writes {"detector_points_per_s": N, "detector_vs_r": ratio} to $BENCH_OUT
#   N        points evaluated per second by C, C1+C2+C3 together (taskset -c 0)
#   ratio    C points/s divided by R earsC points/s (C1+C2+C3, same series)
# Env: BENCH_OUT (default build/bench/detect.json), DETECT_BENCH_N (200000).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-$PWD/build/bench/detect.json}
n=${DETECT_BENCH_N:-200000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p build/bench "$(dirname "$out")"

pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Isrc -o "$work/bench_detect" \
   bench/bench_detect.c src/detect.c src/dist.c src/util.c -lcsv -lm
"$work/bench_detect" gen "$n" 42 > "$work/series.csv"

read -r c1 c2 c3 c_all < <("${pin[@]}" "$work/bench_detect" run "$work/series.csv" 1.0)

if ! Rscript -e 'suppressMessages(library(surveillance))' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y r-cran-surveillance >/dev/null; fi
fi
r_all=$("${pin[@]}" Rscript -e '
suppressMessages(library(surveillance))
x <- read.csv(commandArgs(TRUE)[1])$count
s <- sts(observed = x, frequency = 52)
pts <- 0; el <- 0
for (m in c("C1", "C2", "C3")) {
  t <- system.time(r <- earsC(s, control = list(method = m, alpha = 0.001)))[["elapsed"]]
  pts <- pts + nrow(r); el <- el + t
}
cat(sprintf("%.0f\n", pts / el))' "$work/series.csv")

ratio=$(awk -v c="$c_all" -v r="$r_all" 'BEGIN { printf "%.1f", c / r }')
printf '{"detector_points_per_s": %s, "detector_vs_r": %s}\n' "$c_all" "$ratio" > "$out"

printf '%-34s %14s\n' "series points evaluated per second" "($n points)"
printf '  %-32s %14s\n' "C EARS C1 (1 core)" "$c1" "C EARS C2" "$c2" "C EARS C3" "$c3" \
       "C C1+C2+C3" "$c_all" "R earsC C1+C2+C3" "$r_all" "ratio C / R" "$ratio"
