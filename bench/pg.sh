#!/usr/bin/env bash
# pg.sh -- bench group "pg": case creation at the store's interface on PostgreSQL
# against SQLite on the same machine (bench/bench_pg.c: 32 clients, each one job at a
# time, acknowledged after commit), group commit against one transaction per job, and
# two stores (two instances) on one database against one. PostgreSQL is a temporary
# cluster from tests/pg.sh with fsync on, as SQLite syncs its WAL. Writes
# pg_case_create_vs_sqlite, pg_group_commit_vs_single, pg_two_instances_vs_one and the
# absolute rates and p99 latencies to $BENCH_OUT.  Then over HTTP, `jiceng serve` on
# each backend in turn (the demo street, 2 serving threads, wrk -t2 -c64): grid
# workers' patrol findings, each located, routed and dispatched in its request
# (bench/patrol.lua) -- pg_dispatch_vs_sqlite, their rates and p99s.
#   PG_BENCH_SECONDS (default 4) per run, three rounds, PG_BENCH_CLIENTS (default 32);
#   PG_DISPATCH_SECONDS (default 8) per backend over HTTP
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

# Dispatch over HTTP on each backend (the same binary, client and machine).
BIN=${JICENG_BIN:-$PWD/build/jiceng}
DUR=${PG_DISPATCH_SECONDS:-8}
freeport() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
# patrol DB: serves DB, sends patrol findings for DUR s; prints "rate p99_ms"
patrol() {
  local db=$1 port pid tok
  "$BIN" init "$db" >/dev/null && "$BIN" demo --db "$db" >/dev/null
  port=$(freeport)
  "$BIN" serve --db "$db" --listen "127.0.0.1:$port" --threads 2 > "$tmp/serve.log" 2>&1 &
  pid=$!
  for i in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  tok=$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/session" -d '{"name":"worker1","password":"jiceng-demo"}' | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')
  wrk -t2 -c64 -d"${DUR}s" --latency -s bench/patrol.lua "http://127.0.0.1:$port/api/v1/cases" -- "$tok" $((DUR * 20000)) > "$tmp/patrol.txt"
  kill "$pid"; wait "$pid" || true
  "$BIN" audit verify --db "$db" > "$tmp/verify.txt" || { echo "audit verify FAILED after the bench on $db" >&2; cat "$tmp/verify.txt" >&2; exit 1; }
  awk '/Requests\/sec/ {r=$2} $1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; p=v} END {print r, p}' "$tmp/patrol.txt"
}
psql "$url" -qAtX -c 'CREATE DATABASE dispatch'
patrol "$tmp/dispatch.db" > "$tmp/sq.txt"
patrol "${url%/*}/dispatch" > "$tmp/pg.txt"
read -r sq_rate sq_p99 < "$tmp/sq.txt"
read -r pg_rate pg_p99 < "$tmp/pg.txt"
sq_disp=$(sqlite3 "$tmp/dispatch.db" "SELECT count(*) FROM cases WHERE source='patrol' AND state='dispatched'")
pg_disp=$(psql "${url%/*}/dispatch" -qAtX -c "SELECT count(*) FROM cases WHERE source='patrol' AND state='dispatched'")
node -e '
const fs = require("fs"); const [f, sr, sp, pr, pp, sd, pd] = process.argv.slice(1); const o = JSON.parse(fs.readFileSync(f, "utf8"));
o.pg_dispatch_vs_sqlite = +(pr / sr).toFixed(3);
o.pg_dispatch_per_s = +(+pr).toFixed(0); o.pg_dispatch_p99_ms = +(+pp).toFixed(2);
o.sqlite_dispatch_per_s = +(+sr).toFixed(0); o.sqlite_dispatch_p99_ms = +(+sp).toFixed(2);
fs.writeFileSync(f, JSON.stringify(o) + "\n");
console.log(JSON.stringify(o));
console.log(`patrol findings dispatched: ${sd} on SQLite, ${pd} on PostgreSQL`);' "$out" "$sq_rate" "$sq_p99" "$pg_rate" "$pg_p99" "$sq_disp" "$pg_disp"
