#!/usr/bin/env bash
# eval.sh -- bench group "eval": 1,000,000 cases over a year generated into a temp
# DB (bench/bench_eval.c); full monthly recomputation (eval_month_s, target < 5 s),
# incremental update per case event (eval_incr_us, target < 50 us), and a raw SQLite
# pass over the same month as the reference (eval_scan_s, eval_month_vs_scan).
# Links the objects `make` built (build/obj). EVAL_CASES overrides the size.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-$PWD/build/bench/eval.json}
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make --no-print-directory -s all >/dev/null
objs=$(ls build/obj/*.o | grep -v '/main\.o$')
# the libraries are the Makefile's own list (PKGS): a hand-kept copy here missed libpq,
# openssl, libzip ... as the objects grew, and the group stopped linking
cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Isrc $(pkg-config --cflags libpq) -o "$tmp/bench_eval" bench/bench_eval.c $objs \
   $(pkg-config --libs $(sed -n 's/^PKGS *:= *//p' Makefile)) -lcsv -lpthread -lm
"$tmp/bench_eval" "$tmp" "$out" "${EVAL_CASES:-1000000}"
