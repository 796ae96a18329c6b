#!/usr/bin/env bash
# bench/http.sh -- HTTP throughput of jiceng against nginx on the same machine.
#   http_healthz_vs_nginx : GET /healthz req/s ÷ nginx `return 200` req/s (target ≥ 0.7)
#   case_create_vs_nginx  : durable POST /api/v1/cases req/s ÷ nginx req/s (target ≥ 0.25)
#   case_create_p99_ms    : p99 latency of those creates, 64 connections (target < 50)
#   writer_mean_batch     : cases committed per writer transaction during that run
# wrk with 2 threads and 64 connections, DURATION seconds each (default 8).
# nginx runs before and after jiceng; the higher of its two rates is the reference.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${JICENG_BIN:-$PWD/build/jiceng}
OUT=${BENCH_OUT:-build/bench/http.json}
DUR=${DURATION:-8}
tmp=$(mktemp -d)
cleanup() { [ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null; [ -n "${JPID:-}" ] && kill "$JPID" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
freeport() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

NPORT=$(freeport)
cat > "$tmp/nginx.conf" <<NGX
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 127.0.0.1:$NPORT; location / { return 200 "ok"; } }
}
NGX
rate() { awk '/Requests\/sec/ {print $2}'; }
# nginx is measured before and after jiceng and the higher rate is the
# reference: a burst of other work on the machine during one measurement
# then lowers jiceng's ratios instead of raising them.
nginx_run() {
  nginx -c "$tmp/nginx.conf" -p "$tmp"
  sleep 0.5
  wrk -t2 -c64 -d"${DUR}s" "http://127.0.0.1:$NPORT/" | rate
  kill "$(cat "$tmp/nginx.pid")"; rm -f "$tmp/nginx.pid"
  sleep 0.3
}
nginx_rps=$(nginx_run)

"$BIN" init "$tmp/b.db" >/dev/null
"$BIN" demo --db "$tmp/b.db" >/dev/null
JPORT=$(freeport)
"$BIN" serve --db "$tmp/b.db" --listen "127.0.0.1:$JPORT" --threads 2 > "$tmp/serve.log" 2>&1 &
JPID=$!
for i in $(seq 50); do curl -sf "http://127.0.0.1:$JPORT/healthz" >/dev/null && break; sleep 0.1; done
health_rps=$(wrk -t2 -c64 -d"${DUR}s" "http://127.0.0.1:$JPORT/healthz" | rate)

TOKEN=$(curl -sf -X POST "http://127.0.0.1:$JPORT/api/v1/session" -d '{"name":"dispatcher","password":"jiceng-demo"}' | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')
cat > "$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"井盖松动","body":"人行道上的井盖松动，踩上去会晃。","category":"0201","area":"110101001001001"}'
LUA
metric() { curl -sf "http://127.0.0.1:$JPORT/metrics" | awk -v k="$1" '$1==k {print $2}'; }
b0=$(metric jiceng_writer_batches_total); j0=$(metric jiceng_writer_jobs_total)
wrk -t2 -c64 -d"${DUR}s" --latency -s "$tmp/post.lua" "http://127.0.0.1:$JPORT/api/v1/cases" > "$tmp/create.txt"
b1=$(metric jiceng_writer_batches_total); j1=$(metric jiceng_writer_jobs_total)
create_rps=$(rate < "$tmp/create.txt")

# Created and automatically dispatched: a grid worker's patrol finding at a
# point (bench/patrol.lua, which says how).
PREBUILT=$((DUR * 20000)) # per wrk thread: more than it sends (~11k/s now)
WTOKEN=$(curl -sf -X POST "http://127.0.0.1:$JPORT/api/v1/session" -d '{"name":"worker1","password":"jiceng-demo"}' | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')
wrk -t2 -c64 -d"${DUR}s" --latency -s bench/patrol.lua "http://127.0.0.1:$JPORT/api/v1/cases" -- "$WTOKEN" "$PREBUILT" > "$tmp/patrol.txt"
patrol_rps=$(rate < "$tmp/patrol.txt")
dispatched=$(sqlite3 "$tmp/b.db" "SELECT count(*) FROM cases WHERE source='patrol' AND state='dispatched'")
patrols=$(sqlite3 "$tmp/b.db" "SELECT count(*) FROM cases WHERE source='patrol'")
p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' "$tmp/create.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$tmp/create.txt")
created=$(sqlite3 "$tmp/b.db" "SELECT count(*) FROM cases")
"$BIN" audit verify --db "$tmp/b.db" > "$tmp/verify.txt" || { echo "audit verify FAILED after the bench"; cat "$tmp/verify.txt"; exit 1; }
kill "$JPID" 2>/dev/null; wait "$JPID" 2>/dev/null; JPID=
nginx_after=$(nginx_run)
nginx_rps=$(node -e 'console.log(Math.max(+process.argv[1], +process.argv[2]))' "$nginx_rps" "$nginx_after")

OUT="$OUT" node -e '
const [nginx, health, create, p99, b0, b1, j0, j1, non2xx, created, patrol, patrols, dispatched] = process.argv.slice(1);
const r = {
  http_nginx_rps: +(+nginx).toFixed(0),
  http_healthz_rps: +(+health).toFixed(0),
  http_healthz_vs_nginx: +(health / nginx).toFixed(3),
  case_create_rps: +(+create).toFixed(0),
  case_create_vs_nginx: +(create / nginx).toFixed(3),
  case_create_p99_ms: +(+p99).toFixed(2),
  writer_mean_batch: +((j1 - j0) / Math.max(1, b1 - b0)).toFixed(1),
  dispatch_rps: +(+patrol).toFixed(0),
  dispatch_vs_create: +(patrol / create).toFixed(3),
};
require("fs").writeFileSync(process.env.OUT, JSON.stringify(r) + "\n");
console.log(JSON.stringify(r, null, 1));
console.log(`non-2xx answers during creates: ${non2xx || 0}; cases in the database: ${created}`);
console.log(`patrol findings: ${patrols}, of which dispatched: ${dispatched}`);
' "$nginx_rps" "$health_rps" "$create_rps" "$p99" "$b0" "$b1" "$j0" "$j1" "$non2xx" "$created" "$patrol_rps" "$patrols" "$dispatched"
