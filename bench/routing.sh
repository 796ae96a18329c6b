#!/usr/bin/env bash
# routing.sh -- bench group "routing": dispatch routing decisions per second on
# one core (locate the grid + match the responsibility list + working-time
# deadline) over a generated district of 5,250 grids and 4,110 list entries.
# Compiles bench/bench_routing.c against the real modules and freshly generated
# calendar data; writes {"routing_per_s": N} to $BENCH_OUT (target >= 1,000,000).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-$PWD/build/bench/routing.json}
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node scripts/gen_calendar.mjs "$tmp/calendar_data.c"
cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Isrc -o "$tmp/bench_routing" \
   bench/bench_routing.c src/geo.c src/calendar.c src/duty.c src/util.c "$tmp/calendar_data.c" \
   $(pkg-config --cflags --libs jansson) -lcsv -lm
pin=()
command -v taskset >/dev/null 2>&1 && pin=(taskset -c 0)
"${pin[@]}" "$tmp/bench_routing" "$out"
