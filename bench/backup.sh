#!/usr/bin/env bash
# bench/backup.sh -- what an online backup costs the server's writes, against
# the same server without one, in the same run (docs/operations.md, "Backups").
#   backup_create_rate_ratio : durable creates/s while backups run one after another ÷ without (target ≥ 0.5)
#   backup_create_p99_ratio  : p99 latency of those creates, with ÷ without (target ≤ 3)
#   backup_seconds           : one backup (copy and check) of the store
#   backup_store_mib         : the store's size (demo + bench-fill CASES cases)
# The store: the demo street and CASES (default 20000) cases from jiceng
# bench-fill.  wrk with 2 threads and 32 connections, DURATION seconds each
# (default 8), creates first without, then with `jiceng backup` running in a
# loop (a second between two: names are per second) under nice (10) and
# ionice (idle), as the systemd timer runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${JICENG_BIN:-$PWD/build/jiceng}
OUT=${BENCH_OUT:-build/bench/backup.json}
DUR=${DURATION:-8}
CASES=${CASES:-20000}
tmp=$(mktemp -d)
cleanup() { [ -n "${LOOP:-}" ] && kill "$LOOP" 2>/dev/null; [ -n "${JPID:-}" ] && kill "$JPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
freeport() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
rate() { awk '/Requests\/sec/ {print $2}' "$1"; }
p99() { awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' "$1"; }

"$BIN" init "$tmp/b.db" >/dev/null
"$BIN" demo --db "$tmp/b.db" >/dev/null
"$BIN" bench-fill --db "$tmp/b.db" --cases "$CASES" >/dev/null
mib=$(du -m "$tmp/b.db" | cut -f1)
t0=$(date +%s.%N)
"$BIN" backup --db "$tmp/b.db" "$tmp/one.db" --no-config >/dev/null
t1=$(date +%s.%N)
rm -f "$tmp/one.db"

JPORT=$(freeport)
"$BIN" serve --db "$tmp/b.db" --listen "127.0.0.1:$JPORT" --threads 2 --no-config > "$tmp/serve.log" 2>&1 &
JPID=$!
for i in $(seq 100); do curl -sf "http://127.0.0.1:$JPORT/healthz" >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -sf -X POST "http://127.0.0.1:$JPORT/api/v1/session" -d '{"name":"dispatcher","password":"jiceng-demo"}' | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')
cat > "$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"井盖松动","body":"人行道上的井盖松动，踩上去会晃。","category":"0201","area":"110101001001001"}'
LUA
wrk -t2 -c32 -d"${DUR}s" --latency -s "$tmp/post.lua" "http://127.0.0.1:$JPORT/api/v1/cases" > "$tmp/without.txt"
mkdir "$tmp/bk"
( while :; do nice ionice -c3 "$BIN" backup --db "$tmp/b.db" "$tmp/bk/" --keep 1 --no-config >/dev/null 2>&1 || true; sleep 1; done ) &
LOOP=$!
sleep 0.5
wrk -t2 -c32 -d"${DUR}s" --latency -s "$tmp/post.lua" "http://127.0.0.1:$JPORT/api/v1/cases" > "$tmp/with.txt"
kill "$LOOP"; wait "$LOOP" 2>/dev/null || true; LOOP=

OUT="$OUT" node -e '
const [rw, rb, pw, pb, secs, mib] = process.argv.slice(1).map(Number);
const r = {
  backup_create_rate_ratio: +(rb / rw).toFixed(3),
  backup_create_p99_ratio: +(pb / pw).toFixed(3),
  backup_seconds: +secs.toFixed(2),
  backup_store_mib: mib,
};
require("fs").writeFileSync(process.env.OUT, JSON.stringify(r) + "\n");
console.log(`creates: ${rw}/s (p99 ${pw} ms) without a backup, ${rb}/s (p99 ${pb} ms) with backups back to back; one backup of ${mib} MiB: ${secs.toFixed(2)} s`);
' "$(rate "$tmp/without.txt")" "$(rate "$tmp/with.txt")" "$(p99 "$tmp/without.txt")" "$(p99 "$tmp/with.txt")" "$(echo "$t1 - $t0" | bc)" "$mib"
