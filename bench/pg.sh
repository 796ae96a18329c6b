#!/usr/bin/env bash
# pg.sh -- bench group "pg": case creation at the store's interface on PostgreSQL
# against SQLite on the same machine (bench/bench_pg.c: 32 clients, each one job at a
# time, acknowledged after commit), group commit against one transaction per job, and
# two stores (two instances) on one database against one. PostgreSQL is a temporary
# cluster from tests/pg.sh with fsync on, as SQLite syncs its WAL. Writes
# pg_case_create_vs_sqlite, pg_group_commit_vs_single, pg_two_instances_vs_one and the
# absolute rates and p99 latencies to $BENCH_OUT.
#   PG_BENCH_SECONDS (default 4) per run, three rounds, PG_BENCH_CLIENTS (default 32)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-$PWD/build/bench/pg.json}
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d)
pgdir=$(mktemp -d)
trap 'tests/pg.sh stop "$pgdir"; rm -rf "$tmp"' EXIT
# the objects of today's sources (a file renamed since leaves a stale .o behind)
objs="$(for f in src/*.c; do b=$(basename "$f" .c); [ "$b" = main ] || echo "build/obj/$b.o"; done)
  build/obj/calendar_data.o build/obj/people_hanzi.o"
cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Isrc $(pkg-config --cflags libpq) \
   -o "$tmp/bench_pg" bench/bench_pg.c $objs \
   $(pkg-config --libs $(sed -n 's/^PKGS *:= *//p' Makefile)) \
   -lcsv -lpthread -lm
url=$(PG_FSYNC=on tests/pg.sh start "$pgdir")
psql "$url" -qAtX -c 'CREATE DATABASE bench'
"$tmp/bench_pg" "$out" "$tmp/bench.db" "${url%/*}/bench" "${PG_BENCH_SECONDS:-4}" "${PG_BENCH_CLIENTS:-32}"
# Bytes per row as stored (heap + indexes + TOAST), for docs/scale.md's extrapolation.
sizes=$(psql "${url%/*}/bench" -qAtX -F ' ' -c "VACUUM ANALYZE" -c "
  SELECT (pg_total_relation_size('cases') / greatest(count(*), 1))::int FROM cases;" -c "
  SELECT (pg_total_relation_size('audit') / greatest(count(*), 1))::int FROM audit;")
set -- $sizes
node -e '
const fs = require("fs"); const f = process.argv[1]; const o = JSON.parse(fs.readFileSync(f, "utf8"));
o.pg_case_row_bytes = +process.argv[2]; o.pg_audit_row_bytes = +process.argv[3];
fs.writeFileSync(f, JSON.stringify(o) + "\n"); console.log(JSON.stringify(o));' "$out" "$1" "$2"
