#!/usr/bin/env bash
# demo.sh -- `make demo`: a living street on http://127.0.0.1:8080.
#   First run: creates var/demo.db (a real street, its communities, grids,
#   departments, responsibility list, users of every role; generated base
#   data), serves it, and replays a month of life in accelerated time
#   (jiceng simulate: a day per minute) so the dashboards fill as you watch.
#   Later runs reuse var/demo.db and start in seconds.
# Environment: DEMO_PORT (8080), DEMO_SPEED (1440 = a day a minute),
#   DEMO_DAYS (30), DEMO_SEED (42), DEMO_RESET=1 to start from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${JICENG_BIN:-build/jiceng}
PORT=${DEMO_PORT:-8080}
SPEED=${DEMO_SPEED:-1440}
DAYS=${DEMO_DAYS:-30}
SEED=${DEMO_SEED:-42}
DB=var/demo.db
URL="http://127.0.0.1:$PORT"

mkdir -p var
[ "${DEMO_RESET:-0}" = 1 ] && rm -f "$DB" "$DB-wal" "$DB-shm" var/demo.simulated
fresh=0
if [ ! -f "$DB" ]; then
  fresh=1
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
    "$BIN" people import --db "$DB" --source "$k" --name "$n" "$f" --quiet >/dev/null || echo "demo: $f not imported"
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

if [ $fresh = 0 ] && [ -f var/demo.simulated ]; then
  "$BIN" clock real --db "$DB" >/dev/null   # the month is replayed: run in real time
fi
"$BIN" serve --db "$DB" --listen "127.0.0.1:$PORT" >var/demo-server.log 2>&1 &
srv=$!
for _ in $(seq 1 100); do
  curl -fsS "$URL/healthz" >/dev/null 2>&1 && break
  kill -0 "$srv" 2>/dev/null || { echo "demo: the server did not start, see var/demo-server.log"; tail -5 var/demo-server.log; exit 1; }
  sleep 0.1
done

cat <<EOF

  jiceng demo is serving $URL
  ─────────────────────────────────────────────────────────────────────
  logins (password for all: jiceng-demo)
    dispatcher     街道指挥中心: open 指挥中心 first — the live case board and map
    community1     社区工作人员: 社区云 dashboard (base numbers, open cases, trends)
    worker1..3     网格员: patrol findings, verification
    dept_chengguan 部门 (also dept_shuiwu, dept_xiaofang, ... one per department)
    supervisor     督查: overdue cases and escalations
    resident1/2    居民: report, rate;  admin: users, devices, rules
  ─────────────────────────────────────────────────────────────────────
EOF

if [ ! -f var/demo.simulated ]; then
  echo "  replaying $DAYS days of life at ${SPEED}x (a simulated day every $((86400 / SPEED)) s);"
  echo "  progress in var/demo-simulate.log — the dashboards fill as it runs."
  echo
  "$BIN" simulate --url "$URL" --db "$DB" --days "$DAYS" --speed "$SPEED" --seed "$SEED" --quiet \
    >var/demo-simulate.log 2>&1 &
  sim=$!
  # show the simulator's daily progress lines here too
  tail -n +1 -f var/demo-simulate.log --pid "$sim" 2>/dev/null | grep --line-buffered -E '^(day|simulated|cases|summary)' &
  if wait "$sim"; then touch var/demo.simulated; fi
  sim=
  echo; echo "  the month is replayed; the street keeps running in real time. Ctrl-C to stop."
else
  echo "  (the month was replayed on the first run; the street runs in real time. Ctrl-C to stop.)"
fi
wait "$srv"
