#!/usr/bin/env bash
# demo.sh -- `make demo`: a living street on http://127.0.0.1:8080.
#   First run: creates var/demo.db (a real street, its communities, grids,
#   departments, responsibility list, work list, users of every role;
#   generated base data), serves it, and replays the month up to now at full
#   speed (jiceng simulate --live: about half a minute), where the platform
#   clock hands over to real time without a jump; the street then keeps
#   living in real time (reports, patrols, departments at work, tasks pushed
#   to communities) until Ctrl-C.  Later runs reuse var/demo.db, serve at
#   once and keep it living from now on.
# Environment: DEMO_PORT (8080), DEMO_SPEED (100000, the replay's clock),
#   DEMO_DAYS (30), DEMO_SEED (42), DEMO_LIVE_RATE (1: a street's usual pace
#   in real time; 10 makes it busier for a watcher, and the early warnings
#   then flag the day's ten-fold counts, as they should),
#   DEMO_RESET=1 to start from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${JICENG_BIN:-build/jiceng}
PORT=${DEMO_PORT:-8080}
SPEED=${DEMO_SPEED:-100000}
DAYS=${DEMO_DAYS:-30}
SEED=${DEMO_SEED:-42}
RATE=${DEMO_LIVE_RATE:-1}
DB=var/demo.db
URL="http://127.0.0.1:$PORT"
t0=$(date +%s.%N)
since() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }'; }

mkdir -p var
[ "${DEMO_RESET:-0}" = 1 ] && rm -f "$DB" "$DB-wal" "$DB-shm" var/demo.simulated
if [ ! -f "$DB" ]; then
  rm -f var/demo.simulated
  "$BIN" init "$DB" >/dev/null
  "$BIN" demo --db "$DB"
  if "$BIN" base --help >/dev/null 2>&1; then
    "$BIN" base seed --db "$DB" --seed "$SEED" || echo "demo: base data not seeded (continuing)"
  fi
  # departments' tables (generated, fictional) through the import pipeline: 一人一档
  "$BIN" people generate --db "$DB" --out var/demo-people --persons 3000 --layout other --seed "$SEED" >/dev/null
  for f in var/demo-people/source_*; do
    k=${f##*/source_}; k=${k%%.*}
    case $k in jiaoyu) n=区教委学籍名册 ;; laoling) n=老龄服务对象台账 ;; yibao) n=医保参保人员名册 ;;
               tuiyi) n=退役军人信息采集表 ;; fuyou) n=妇幼保健档案 ;; *) n=住建房屋住户台账 ;; esac
    # under the department's name for the table, as a clerk would have saved it (一人一档 lists the file)
    mv "$f" "var/demo-people/$n.${f##*.}"
    "$BIN" people import --db "$DB" --source "$k" --name "$n" "var/demo-people/$n.${f##*.}" --quiet >/dev/null ||
      echo "demo: $f not imported"
  done
fi

srv=; sim=
cleanup() {
  trap - INT TERM EXIT
  [ -n "$sim" ] && kill "$sim" 2>/dev/null && wait "$sim" 2>/dev/null || true
  [ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null || true
  echo; echo "demo: stopped (the street stays in $DB; DEMO_RESET=1 make demo starts over)"
}
trap cleanup INT TERM EXIT

# A run stopped hard may have left a replay's clock: real time from here.
[ -f var/demo.simulated ] && "$BIN" clock real --db "$DB" >/dev/null
"$BIN" serve --db "$DB" --listen "127.0.0.1:$PORT" >var/demo-server.log 2>&1 &
srv=$!
for _ in $(seq 1 100); do
  curl -fsS "$URL/healthz" >/dev/null 2>&1 && break
  kill -0 "$srv" 2>/dev/null || { echo "demo: the server did not start, see var/demo-server.log"; tail -5 var/demo-server.log; exit 1; }
  sleep 0.1
done

if [ ! -f var/demo.simulated ]; then
  echo "  replaying the last $DAYS days of the street at full speed (progress in var/demo-simulate.log) ..."
  rm -f var/demo-simulate.log # a previous run's "caught up" must not end the wait below
  "$BIN" simulate --url "$URL" --db "$DB" --days "$DAYS" --speed "$SPEED" --seed "$SEED" --live --live-rate "$RATE" \
    --quiet >var/demo-simulate.log 2>&1 &
  sim=$!
  # wait until the replay has met real time (the simulator says so), then go on living
  until grep -q '^caught up with real time' var/demo-simulate.log 2>/dev/null; do
    kill -0 "$sim" 2>/dev/null || { echo "demo: the simulator stopped, see var/demo-simulate.log"; tail -5 var/demo-simulate.log; exit 1; }
    sleep 0.5
  done
  touch var/demo.simulated
  ready="the month is there after $(since) s; the street now lives in real time"
else
  "$BIN" simulate --url "$URL" --db "$DB" --start "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --days "$DAYS" --seed "$SEED" \
    --live --live-rate "$RATE" --quiet >var/demo-simulate.log 2>&1 &
  sim=$!
  ready="serving the street replayed on the first run; it keeps living in real time"
fi

cat <<EOF

  jiceng demo is serving $URL — $ready
  ─────────────────────────────────────────────────────────────────────
  logins (password for all: jiceng-demo)
    dispatcher     街道指挥中心: 案件调度 (the queue) → a case → 派单依据 and 留痕已验证; 社区云
    community1     社区工作人员: 社区云 of the community, 核查任务, 事项准入, 减负台账
    worker1..3     网格员: 核查任务 (verification), 巡查上报 (patrol finding)
    dept_chengguan 职能部门: 部门收件箱 (also dept_shuiwu, dept_xiaofang, ... one per department)
    supervisor     督查: 案件调度 with the 超期 and 督办 chips
    resident1/2    居民: 我要反映, 我的诉求
    admin          系统管理员: 系统管理 (users, devices, Open311 keys, webhooks), 审计日志, 基层设计
  ─────────────────────────────────────────────────────────────────────
  Ctrl-C stops the street (it stays in $DB).
EOF
wait "$srv"
