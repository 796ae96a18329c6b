#!/usr/bin/env bash
# bench/scale.sh -- bench group "scale" (issue 17): the cost of interactive
# requests as the store grows, on stores written by `jiceng bench-fill`.
#   scale_<probe>_p99_ms_10k / _1m : p99 of each request (4 connections, DUR s)
#       at SMALL (10,000) and at N (1,000,000) cases; probes: detail, audit (of the
#       newest case), list (the dispatcher's first page), list_deep (a page
#       from a cursor half-way down), community_list, search (q=井盖), stats
#       (the street), stats_community, stats_dept (a department's: dept_chengguan),
#       search_two (q=井盖 缺失: two terms, few cases with both), eval (the
#       month's table); each after the server settled (scale_settle_s_*)  (target < 50)
#   scale_<probe>_cpu_ms_10k / _1m : the server's CPU time per request (from
#       /proc, CPU_N=100 requests one after another): unlike a latency, not
#       moved by other work on a shared machine (on PostgreSQL also
#       scale_<probe>_dbcpu_ms_*_pg: the cluster's processes' CPU meanwhile)
#   scale_growth_max_ratio : the largest p99(N) / p99(SMALL) of those probes,
#       each p99 taken as at least 1 ms (below that the clock's noise is the
#       figure)                                                    (target <= 2)
#   scale_growth_cpu_max_ratio : the same of the CPU per request, each taken
#       as at least 0.5 ms (the clock ticks every 10 ms)           (target <= 2)
#   scale_healthz_p99_ms_busy : /healthz p99 while a whole-chain verification
#       and an export of every case run (scale_healthz_p99_ms_idle: before)
#                                                                   (target < 5)
#       with _wait_ms_per_s (the ms a second its event loop waited, runnable,
#       for a processor) and _load (the 1-minute load) of each
#   scale_start_s, scale_rss_mb : serve's start-up to a healthy answer on the
#       store of N, and its resident memory after the probes
#   scale_bytes_per_case (+ _audit, _cases, _dispatch, _indexes, _text, _eval, _other),
#   scale_bytes_per_audit_entry (the audit table's bytes over its entries)
#   scale_fill_cases_per_s : bench-fill's rate (to N)
#   scale_verify_entries_per_s, scale_blake2b_per_s, scale_verify_vs_blake2b :
#       `jiceng audit verify` on the store of N against BLAKE2b-256 of one
#       entry's size on one core, measured here (a hash per entry is the bound);
#       scale_verify_cpu_us_per_entry: its CPU time (all threads) per entry
#   scale_burst_first_per_s, scale_burst_last_per_s, scale_burst_ratio : a mass
#       event -- the same report at one point over 64 connections for
#       BURST_S s: creates a second in the first 5 s and in the last 5 s
#                                                    (target ratio >= 0.5, >= 5,000/s)
#   scale_soak_first_per_s, scale_soak_last_per_s, scale_soak_ratio,
#       scale_soak_rss_mb : a mixed soak on the store of N -- creates (four
#       reports at random points), the dispatcher's first page and a random
#       case's detail in turn over 32 connections, SOAK_WINDOWS (6) windows of
#       SOAK_WIN (10) s: requests a second in the first and the last window,
#       and the server's memory after it                   (target ratio ~1)
#   scale_loadavg_start, scale_loadavg_end : the machine's load around the group
# SCALE_N (default 1000000) and SCALE_10M=1 (N = 10,000,000, keys _10m) set the
# size; DUR (3) the seconds per probe. bench/run.sh gives this group 3600 s
# (21,600 with SCALE_10M=1).
# SCALE_DB=pg: the same on PostgreSQL -- a temporary cluster of tests/pg.sh
# (PG_FSYNC=on, as bench/pg.sh), under SCALE_PG_DIR (default a new directory in
# $TMPDIR), a database per store; every key above ends in _pg
# (scale_search_p99_ms_1m_pg, scale_fill_cases_per_s_pg), and
# scale_bytes_per_case_pg counts heap, TOAST and indexes (pg_table_size,
# pg_relation_size), the text index (caselist_terms) as _text.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${JICENG_BIN:-$PWD/build/jiceng}
OUT=${BENCH_OUT:-build/bench/scale.json}
mkdir -p "$(dirname "$OUT")"
DUR=${DUR:-3}
SMALL=10000
N=${SCALE_N:-1000000}
[ "${SCALE_10M:-}" = 1 ] && N=10000000
SUF=$(node -e 'const n=+process.argv[1]; console.log(n>=1e6 ? (n/1e6)+"m" : (n/1e3)+"k")' "$N")
BURST_S=${BURST_S:-15}
tmp=$(mktemp -d)
JPID=
PG=; PGURL=; PGDIR=; KS= # KS: the keys' suffix (_pg on PostgreSQL)
if [ "${SCALE_DB:-sqlite}" = pg ]; then
  PG=1; KS=_pg
  PGDIR=${SCALE_PG_DIR:-$(mktemp -d)}
  PGURL=$(PG_FSYNC=on tests/pg.sh start "$PGDIR")
fi
cleanup() {
  [ -n "$JPID" ] && kill "$JPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"
  if [ -n "$PG" ]; then tests/pg.sh stop "$PGDIR"; fi
}
trap cleanup EXIT
# store NAME -> the store's address: a file in $tmp, or a new database of the cluster
store() {
  if [ -n "$PG" ]; then psql "$PGURL" -qAtX -c "CREATE DATABASE $1" >&2; echo "${PGURL%/*}/$1"
  else echo "$tmp/$1.db"; fi
}
# q DB SQL -> the answer of one query (sqlite3 or psql, '|' between columns)
q() { if [ -n "$PG" ]; then psql "$1" -qAtX -c "$2"; else sqlite3 "$1" "$2"; fi; }
freeport() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
res="$tmp/res.txt"; : > "$res"
put() { echo "$1$KS $2" >> "$res"; echo "  $1$KS = $2"; }
ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms/,"",v); print v+0 } else if (v ~ /s$/) { sub(/s/,"",v); print v*1000 } else print -1 }'; }

# the machine's 1-minute load when the group starts and ends (others' work on a shared
# machine moves every latency here)
put scale_loadavg_start "$(cut -d' ' -f1 /proc/loadavg)"

# ---- the stores ---------------------------------------------------------
fill() { # fill DB CASES -> seconds
  "$BIN" init "$1" >/dev/null
  "$BIN" demo --db "$1" >/dev/null
  local t0 t1
  t0=$(date +%s.%N)
  "$BIN" bench-fill --db "$1" --cases "$2" >"$tmp/fill.txt" 2>&1 || { cat "$tmp/fill.txt"; exit 1; }
  t1=$(date +%s.%N)
  tail -1 "$tmp/fill.txt" >&2
  node -e 'console.log((+process.argv[2] - +process.argv[1]).toFixed(1))' "$t0" "$t1"
}
SMALL_DB=$(store small)
BIG_DB=$(store big)
echo "filling $SMALL cases"
fill "$SMALL_DB" "$SMALL" >/dev/null
echo "filling $N cases"
fill_s=$(fill "$BIG_DB" "$N")
put scale_fill_cases_per_s "$(node -e 'console.log(Math.round(+process.argv[1] / +process.argv[2]))' "$N" "$fill_s")"

# ---- a server on a store --------------------------------------------------
serve() { # serve DB -> sets PORT U JPID, prints start-up seconds
  PORT=$(freeport)
  U=http://127.0.0.1:$PORT
  local t0 t1
  t0=$(date +%s.%N)
  "$BIN" serve --db "$1" --listen "127.0.0.1:$PORT" --threads 2 > "$tmp/serve.log" 2>&1 &
  JPID=$!
  for i in $(seq 600); do curl -sf "$U/healthz" >/dev/null && break; sleep 0.1; done
  t1=$(date +%s.%N)
  START_S=$(node -e 'console.log((+process.argv[2] - +process.argv[1]).toFixed(2))' "$t0" "$t1")
}
stop() { kill "$JPID" 2>/dev/null; wait "$JPID" 2>/dev/null || true; JPID=; }
tok() { curl -sf -X POST "$U/api/v1/session" -d "{\"name\":\"$1\",\"password\":\"jiceng-demo\"}" | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/'; }
p99() { # p99 TOKEN PATH -> ms
  printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$1" > "$tmp/h.lua"
  local r v bad
  r=$(wrk -t1 -c4 -d"${DUR}s" --latency -s "$tmp/h.lua" "$U$2" 2>&1)
  bad=$(echo "$r" | awk '/Non-2xx/ {print $NF}')
  [ -n "$bad" ] && { echo "non-2xx answers for $2: $bad" >&2; echo -1; return; }
  v=$(echo "$r" | awk '$1=="99%" {print $2}')
  ms "$v"
}
# pgcpu -> the CPU ticks of the cluster's processes so far (the postmaster's children: the
# server's connections' backends, autovacuum, the checkpointer); 0 on SQLite
pgcpu() {
  [ -n "$PG" ] || { echo 0; return; }
  local pm; pm=$(head -1 "$PGDIR/data/postmaster.pid")
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v pm="$pm" '$1 == pm || $4 == pm {s += $14 + $15} END {print s + 0}'
}
DBCPU="$tmp/dbcpu.txt"
cpu() { # cpu TOKEN PATH -> the server's CPU ms per request over CPU_N sequential requests
  # (on PostgreSQL the cluster's, the database's work for them, into $DBCPU)
  local c0 c1 d0 d1
  c0=$(awk '{print $14 + $15}' /proc/"$JPID"/stat); d0=$(pgcpu)
  for _ in $(seq "$CPU_N"); do curl -s -o /dev/null -H "Authorization: Bearer $1" "$U$2"; done
  c1=$(awk '{print $14 + $15}' /proc/"$JPID"/stat); d1=$(pgcpu)
  node -e 'console.log(((+process.argv[2] - +process.argv[1]) * 1000 / +process.argv[3] / +process.argv[4]).toFixed(2))' "$d0" "$d1" "$(getconf CLK_TCK)" "$CPU_N" > "$DBCPU"
  node -e 'console.log(((+process.argv[2] - +process.argv[1]) * 1000 / +process.argv[3] / +process.argv[4]).toFixed(2))' "$c0" "$c1" "$(getconf CLK_TCK)" "$CPU_N"
}
CPU_N=${CPU_N:-100}
settle() { # settle -> seconds until the server's CPU stays put for 2 s (at most 240 s)
  # A server's first ticks load what its leader keeps in memory (dispatch's recent located
  # cases for duplicates: 0.7-0.9 s of CPU at 3 M cases, reading the store cold); probes
  # taken meanwhile measure that work, not theirs (the 382 ms p99 of a community's stats at
  # 10 M in session 11 was such a figure: its CPU per request at 3 M is 0.45 ms).
  local t0 prev=-1 cur
  t0=$(date +%s.%N)
  for _ in $(seq 120); do
    cur=$(awk '{print $14 + $15}' /proc/"$JPID"/stat)
    [ "$cur" = "$prev" ] && break
    prev=$cur; sleep 2
  done
  node -e 'console.log((Date.now() / 1000 - +process.argv[1]).toFixed(1))' "$t0"
}
probes() { # probes DB SUFFIX
  serve "$1"
  put "scale_settle_s_$2" "$(settle)"
  local D C S newest mid name who path
  D=$(tok dispatcher); C=$(tok community1); S=$(tok dept_chengguan)
  newest=$(q "$1" "SELECT max(id) FROM cases")
  mid=$((newest / 2))
  while read -r name who path; do
    case $who in C) who=$C ;; S) who=$S ;; *) who=$D ;; esac
    curl -s -o /dev/null -H "Authorization: Bearer $who" "$U$path" # the page cache holds what a running server would
    put "scale_${name}_p99_ms_$2" "$(p99 "$who" "$path")"
    put "scale_${name}_cpu_ms_$2" "$(cpu "$who" "$path")"
    [ -z "$PG" ] || put "scale_${name}_dbcpu_ms_$2" "$(cat "$DBCPU")"
  done <<PROBES
detail D /api/v1/cases/$newest
audit D /api/v1/cases/$newest/audit
list D /api/v1/cases?limit=50
list_deep D /api/v1/cases?limit=50&cursor=$mid
community_list C /api/v1/cases?limit=50
search D /api/v1/cases?limit=50&q=%E4%BA%95%E7%9B%96
stats D /api/v1/stats
stats_community C /api/v1/stats
stats_dept S /api/v1/stats
search_two D /api/v1/cases?limit=50&q=%E4%BA%95%E7%9B%96%20%E7%BC%BA%E5%A4%B1
eval D /api/v1/eval
PROBES
}
probes "$SMALL_DB" 10k
stop
probes "$BIG_DB" "$SUF"
put scale_start_s "$START_S"

# /healthz while a whole-chain verification and an export of every case run
printf '' > "$tmp/none.lua"
hz() { wrk -t1 -c2 -d"$1s" --latency "$U/healthz" 2>&1 | awk '$1=="99%" {print $2}'; }
# the server's threads' run and run-queue times (/proc/PID/task/*/schedstat, ns)
sched() { for t in /proc/"$JPID"/task/*; do echo "$(basename "$t") $(cut -d' ' -f1,2 "$t"/schedstat)"; done | sort; }
# hzw KEY SECS: /healthz p99 as KEY, and KEY's _wait twin: the ms a second that the thread
# which served it (the one that ran the most) spent runnable but waiting for a processor,
# with the load beside it. /healthz touches no lock and no store: its tail is that wait.
hzw() {
  local s0 s1 p
  s0=$(sched); p=$(hz "$2"); s1=$(sched)
  put "$1" "$(ms "$p")"
  put "${1/p99_ms/wait_ms_per_s}" "$(join <(echo "$s0") <(echo "$s1") | awk -v S="$2" '{r=$4-$2; if (r>best) {best=r; w=$5-$3}} END {printf "%.0f", w/1e6/S}')"
  put "${1/p99_ms/load}" "$(cut -d' ' -f1 /proc/loadavg)"
}
hzw scale_healthz_p99_ms_idle "$DUR"
D=$(tok dispatcher)
curl -s -o /dev/null -H "Authorization: Bearer $D" "$U/api/v1/audit/verify" &
VP=$!
curl -s -o /dev/null -H "Authorization: Bearer $D" "$U/api/v1/cases/export.xlsx" &
XP=$!
sleep 0.5
hzw scale_healthz_p99_ms_busy $((DUR * 3))
running=$(curl -s -H "Authorization: Bearer $D" "$U/api/v1/jobs")
echo "  long work while measured: $running"
wait "$VP" "$XP" 2>/dev/null || true # the soak starts when the long work is done
put scale_rss_mb "$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/"$JPID"/status)"

# a mixed soak on the store of N: creates, the first page and a case's detail in turn
# over 32 connections, SOAK_WINDOWS windows of SOAK_WIN s back to back
newest=$(q "$BIG_DB" "SELECT max(id) FROM cases")
cat > "$tmp/soak.lua" <<LUA
local n, ids = 0, $newest
local texts = { {"0502", "自来水管漏水", "楼下自来水管一直在漏水，地面湿滑"}, {"0201", "井盖缺失", "路口的井盖不见了，很危险"},
  {"0104", "垃圾没有清运", "小区门口的垃圾桶满了两天没人清运"}, {"0202", "路灯不亮", "这段路的路灯晚上不亮"} }
local hdr = { ["Authorization"] = "Bearer $D", ["Content-Type"] = "application/json" }
function setup(thread) thread:set("seed", math.random(1, 1000000)) end
function init() math.randomseed(seed) end
function request()
  n = n + 1
  local k = n % 3
  if k == 0 then
    local t = texts[math.random(#texts)]
    local body = string.format('{"title":"%s","body":"%s","category":"%s","lon":%.5f,"lat":%.5f,"source":"hotline"}',
      t[2], t[3], t[1], 116.395 + math.random() * 0.02, 39.905 + math.random() * 0.015)
    return wrk.format("POST", "/api/v1/cases", hdr, body)
  elseif k == 1 then
    return wrk.format("GET", "/api/v1/cases?limit=50", hdr)
  end
  return wrk.format("GET", "/api/v1/cases/" .. math.random(1, ids), hdr)
end
LUA
SOAK_WIN=${SOAK_WIN:-10}
SOAK_WINDOWS=${SOAK_WINDOWS:-6}
: > "$tmp/soak_rates.txt"
for w in $(seq "$SOAK_WINDOWS"); do
  r=$(wrk -t2 -c32 -d"${SOAK_WIN}s" --latency -s "$tmp/soak.lua" "$U" 2>&1)
  bad=$(echo "$r" | awk '/Non-2xx/ {print $NF}')
  [ -n "$bad" ] && { echo "soak: non-2xx answers: $bad"; echo "$r"; exit 1; }
  echo "$r" | awk '/Requests\/sec/ {print $2}' >> "$tmp/soak_rates.txt"
  echo "  soak window $w: $(tail -1 "$tmp/soak_rates.txt") req/s, p99 $(echo "$r" | awk '$1=="99%" {print $2}')"
done
put scale_soak_first_per_s "$(head -1 "$tmp/soak_rates.txt" | awk '{printf "%.0f", $1}')"
put scale_soak_last_per_s "$(tail -1 "$tmp/soak_rates.txt" | awk '{printf "%.0f", $1}')"
put scale_soak_ratio "$(node -e 'const r=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(Number); console.log((r[r.length-1]/r[0]).toFixed(3))' "$tmp/soak_rates.txt")"
put scale_soak_rss_mb "$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/"$JPID"/status)"
stop

# ---- bytes per case -------------------------------------------------------------
cases=$(q "$BIG_DB" "SELECT count(*) FROM cases")
audit_entries=$(q "$BIG_DB" "SELECT count(*) FROM audit")
if [ -n "$PG" ]; then
  # a table's heap with its TOAST, an index on its own (the names as SQLite's groups
  # take them; the text index's table and its GIN index as case_fts)
  psql "$BIG_DB" -qAtX -c "VACUUM" -c "SELECT CASE WHEN c.relname LIKE 'caselist_terms%' THEN 'case_fts' ELSE c.relname END,
      CASE c.relkind WHEN 'i' THEN pg_relation_size(c.oid) ELSE pg_table_size(c.oid) END
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i', 'm')" > "$tmp/dbstat.txt"
else
  sqlite3 "$BIG_DB" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
  sqlite3 "$BIG_DB" "SELECT name, sum(pgsize) FROM dbstat GROUP BY name" > "$tmp/dbstat.txt"
fi
node -e '
const fs = require("fs"), [file, cases, out, entries, ks = ""] = process.argv.slice(1);
const g = { audit: 0, cases: 0, dispatch: 0, indexes: 0, text: 0, eval: 0, other: 0 };
const disp = /^(case_route|case_owner|case_phase|returns|whistle|duplicates|case_followers)/;
for (const l of fs.readFileSync(file, "utf8").split("\n").filter(Boolean)) {
  const [name, bytes] = l.split("|"); const b = +bytes;
  if (name === "audit") g.audit += b;
  else if (name === "cases") g.cases += b;
  else if (name.startsWith("case_fts")) g.text += b;
  else if (name.startsWith("eval_")) g.eval += b;
  else if (disp.test(name) && !/_case$|_open$|_dept$|caselist/.test(name)) g.dispatch += b;
  else if (/^(sqlite_autoindex|cases_|audit_|open311_cases|open311_audit|caselist_|case_phase_|case_owner_|returns_|whistles_|duplicates_)/.test(name)) g.indexes += b;
  else g.other += b;
}
const total = Object.values(g).reduce((a, x) => a + x, 0);
const lines = [`scale_bytes_per_case${ks} ${Math.round(total / cases)}`];
for (const [k, v] of Object.entries(g)) lines.push(`scale_bytes_per_case_${k}${ks} ${Math.round(v / cases)}`);
lines.push(`scale_bytes_per_audit_entry${ks} ${Math.round(g.audit / entries)}`);
fs.appendFileSync(out, lines.join("\n") + "\n");
console.log("  " + lines.join("\n  "));
' "$tmp/dbstat.txt" "$cases" "$res" "$audit_entries" "$KS"

# ---- the audit chain's verification against BLAKE2b --------------------------------
t0=$(date +%s.%N)
/usr/bin/time -f "%U %S" -o "$tmp/verify.cpu" "$BIN" audit verify --db "$BIG_DB" > "$tmp/verify.txt" || { echo "audit verify FAILED"; cat "$tmp/verify.txt"; exit 1; }
t1=$(date +%s.%N)
entries=$(sed 's/^ok: \([0-9]*\) entries.*/\1/' "$tmp/verify.txt")
put scale_verify_entries_per_s "$(node -e 'console.log(Math.round(+process.argv[1] / (+process.argv[3] - +process.argv[2])))' "$entries" "$t0" "$t1")"
# its CPU time (every thread) per entry: unlike the rate, not moved by others' work
put scale_verify_cpu_us_per_entry "$(awk -v n="$entries" '{printf "%.2f", ($1 + $2) * 1e6 / n}' "$tmp/verify.cpu")"
# one entry as hashed: 13 fields with 8-byte lengths; texts and three 64-hex hashes
# (octet_length on PostgreSQL: SQLite's length of a number is its digits, of a text its characters)
if [ -n "$PG" ]; then
  esize=$(q "$BIG_DB" "SELECT CAST(avg(15 + 13*8 + length(seq::text) + length(coalesce(case_id::text,'')) + length(at::text) + length(coalesce(actor_id::text,'')) + length(actor) + length(role) + length(action) + length(coalesce(from_state,'')) + length(coalesce(to_state,'')) + length(coalesce(reason,'')) + 64*3) AS INTEGER) FROM (SELECT * FROM audit ORDER BY seq DESC LIMIT 100000) a")
else
esize=$(sqlite3 "$BIG_DB" "SELECT CAST(avg(15 + 13*8 + length(seq) + length(coalesce(case_id,'')) + length(at) + length(coalesce(actor_id,'')) + length(actor) + length(role) + length(action) + length(coalesce(from_state,'')) + length(coalesce(to_state,'')) + length(coalesce(reason,'')) + 64*3) AS INTEGER) FROM (SELECT * FROM audit ORDER BY seq DESC LIMIT 100000)")
fi
cc -std=c11 -D_GNU_SOURCE -O2 -o "$tmp/bench_blake2b" bench/bench_blake2b.c $(pkg-config --cflags --libs libsodium)
bound=$("$tmp/bench_blake2b" "$esize" 2)
put scale_blake2b_per_s "$bound"
put scale_verify_vs_blake2b "$(node -e 'console.log((+process.argv[1] / +process.argv[2]).toFixed(3))' "$(awk -v k="scale_verify_entries_per_s$KS" '$1==k {print $2}' "$res")" "$bound")"

# ---- a mass event -------------------------------------------------------------------
BURST_DB=$(store burst)
"$BIN" init "$BURST_DB" >/dev/null
"$BIN" demo --db "$BURST_DB" >/dev/null
serve "$BURST_DB"
R=$(tok dispatcher)
cat > "$tmp/burst.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $R"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"自来水管爆裂","body":"路口的自来水管爆裂了，水漫到了人行道上，请尽快抢修","category":"0502","lon":116.4045,"lat":39.9128,"source":"hotline"}'
LUA
wrk -t2 -c64 -d"${BURST_S}s" -s "$tmp/burst.lua" "$U/api/v1/cases" > "$tmp/burst.txt" 2>&1
stop
q "$BURST_DB" "WITH t AS (SELECT created_at c, state FROM cases WHERE title='自来水管爆裂'),
  m AS (SELECT min(c) a, max(c) b FROM t)
  SELECT count(*), (SELECT count(*) FROM t WHERE state='merged'), (b - a) / 1000.0,
         (SELECT count(*) FROM t, m WHERE c < a + 5000) / 5.0, (SELECT count(*) FROM t, m WHERE c > b - 5000) / 5.0 FROM t, m${PG:+ GROUP BY a, b}" | tr '|' ' ' > "$tmp/burst.txt"
read -r bn bmerged bspan bfirst blast < "$tmp/burst.txt"
echo "  $bn reports in $bspan s, $bmerged merged into the first"
put scale_burst_first_per_s "$(printf '%.0f' "$bfirst")"
put scale_burst_last_per_s "$(printf '%.0f' "$blast")"
put scale_burst_ratio "$(node -e 'console.log((+process.argv[2] / +process.argv[1]).toFixed(3))' "$bfirst" "$blast")"
"$BIN" audit verify --db "$BURST_DB" > /dev/null || { echo "audit verify FAILED after the burst"; exit 1; }

put scale_loadavg_end "$(cut -d' ' -f1 /proc/loadavg)"

# ---- the figures ------------------------------------------------------------------
node -e '
const fs = require("fs"), [file, out, suf, ks] = process.argv.slice(1);
const r = {};
for (const l of fs.readFileSync(file, "utf8").split("\n").filter(Boolean)) { const [k, v] = l.split(" "); r[k] = +v; }
const growth = (key, floor) => {
  let worst = 0, which = "";
  for (const p of ["detail", "audit", "list", "list_deep", "community_list", "search", "search_two", "stats", "stats_community", "stats_dept", "eval"]) {
    const a = r[`scale_${p}_${key}_10k${ks}`], b = r[`scale_${p}_${key}_${suf}${ks}`];
    if (!(a > 0) || !(b > 0)) continue;
    const ratio = Math.max(b, floor) / Math.max(a, floor);
    if (ratio > worst) worst = ratio, which = p;
  }
  return [+worst.toFixed(2), which];
};
const [g, gw] = growth("p99_ms", 1), [c, cw] = growth("cpu_ms", 0.5);
r[`scale_growth_max_ratio${ks}`] = g;
r[`scale_growth_cpu_max_ratio${ks}`] = c;
fs.writeFileSync(out, JSON.stringify(r) + "\n");
console.log(`scale_growth_max_ratio${ks} ${g} (${gw})\nscale_growth_cpu_max_ratio${ks} ${c} (${cw})`);
' "$res" "$OUT" "$SUF" "$KS"
