#!/usr/bin/env bash
# run.sh -- runs every test: the C unit-test binaries, then the integration and
# browser tests (node --test, each file starts its own real server, broker, browser).
# Prints one closing line "N passed, N failed"; exits 1 when anything failed.
#   JICENG_BIN       the jiceng binary under test (build/jiceng)
#   JICENG_UNIT_DIR  where the unit-test binaries are (build/tests)
#   TESTS=pattern    run only the integration files whose name contains pattern
#   JICENG_TEST_PG   a PostgreSQL cluster's URL to use; by default one is started for the
#                    run (tests/pg.sh, a temporary directory) and stopped at its end;
#                    the files listed below run a second time with their servers on it
#   JICENG_SANITIZER_REPORTS  a directory where the sanitizers write their reports
#                    (make asan: log_path in ASAN_OPTIONS/UBSAN_OPTIONS): every report
#                    any process of the run left there -- a server's leaks at its exit
#                    too, which no test sees -- counts as a failure
#   JICENG_TEST_LOCK  a lock file (default /tmp/jiceng-tests.lock): whole-suite runs on one
#                    machine take turns, since two at once starve each other's timed
#                    waits on 2 cores; JICENG_TEST_LOCK= (empty) runs without it.
set -uo pipefail
cd "$(dirname "$0")/.."
lock=${JICENG_TEST_LOCK-/tmp/jiceng-tests.lock}
if [ -n "$lock" ] && [ -z "${TESTS:-}" ] && command -v flock >/dev/null; then
  exec 9>>"$lock"
  flock -n 9 || { echo "run.sh: waiting for another test run on this machine ($lock)"; flock 9; }
fi
export JICENG_BIN=${JICENG_BIN:-$PWD/build/jiceng}
unit_dir=${JICENG_UNIT_DIR:-$PWD/build/tests}
passed=0; failed=0; skipped=0; failures=
log=$(mktemp -d)

# One temporary PostgreSQL cluster for the run: the PostgreSQL backend's unit tests
# and the integration files' PostgreSQL databases (one each) live in it.
if [ -z "${JICENG_TEST_PG:-}" ]; then
  # up to three tries, each in a new directory: a start failed twice on the shared
  # machine for a reason its logs did not keep (pg.sh prints them: kept in $log)
  for try in 1 2 3; do
    pgdir=$(mktemp -d "${TMPDIR:-/tmp}/jiceng-pg-XXXXXX")
    trap 'tests/pg.sh stop "$pgdir"; rm -rf "$log"' EXIT
    if JICENG_TEST_PG=$(tests/pg.sh start "$pgdir" 2>"$log/pg-start-$try.err"); then
      export JICENG_TEST_PG
      break
    fi
    echo "tests/pg.sh start failed (try $try of 3):"; cat "$log/pg-start-$try.err"
    tests/pg.sh stop "$pgdir"; unset JICENG_TEST_PG
  done
  [ -n "${JICENG_TEST_PG:-}" ] || { echo "FAIL PostgreSQL did not start (tests/pg.sh)"; failed=$((failed + 1)); }
fi

for t in "$unit_dir"/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  "$t" > "$log/$name.out" 2>&1
  rc=$?
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log/$name.out" | tail -1)
  p=$(echo "$line" | awk '{print $1}'); f=$(echo "$line" | awk '{print $3}')
  [ -z "$p" ] && { p=0; f=1; }
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$f" -ne 0 ]; then echo "FAIL unit/$name"; grep -v '^ok ' "$log/$name.out" | tail -30; else echo "ok   unit/$name ($p)"; fi
done

# run_node NAME FILES...: one node --test run, its counts added to the totals.
run_node() {
  local name=$1; shift
  node --test --test-concurrency=1 --test-reporter=tap "$@" > "$log/$name.tap" 2>&1
  local rc=$? p f s
  p=$(grep -E '^# pass [0-9]+' "$log/$name.tap" | tail -1 | awk '{print $3}')
  f=$(grep -E '^# fail [0-9]+' "$log/$name.tap" | tail -1 | awk '{print $3}')
  s=$(grep -E '^# skipped [0-9]+' "$log/$name.tap" | tail -1 | awk '{print $3}')
  p=${p:-0}; f=${f:-0}; s=${s:-0}
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  if [ "$f" -ne 0 ]; then
    # each failing test (at any depth) with the first lines of its report
    echo "FAIL $name:"
    awk '/^ *not ok /{p=1; n=0} p{print; n++; if ($0 ~ /^ *\.\.\.$/ || n > 30) p=0}' "$log/$name.tap" | head -200
    failures+=$(grep -E '^ *not ok ' "$log/$name.tap" | sed -E "s/^ *not ok [0-9]+ - /$name: /" | head -20)$'\n'
    cp "$log/$name.tap" "${TMPDIR:-/tmp}/jiceng-last-$name.tap" 2>/dev/null
  fi
  echo "$name: $p passed, $f failed, $s skipped ($# files)"
}

files=()
for f in tests/integration/*.test.mjs; do
  [ -f "$f" ] || continue
  [ -n "${TESTS:-}" ] && [[ "$f" != *"$TESTS"* ]] && continue
  files+=("$f")
done
((${#files[@]})) && run_node integration "${files[@]}"

# The second pass: the files whose every test holds on PostgreSQL too, again with
# each server on a new database of the run's cluster (lib.mjs, JICENG_TEST_DB=pg).
# A file joins when the modules it uses have their PostgreSQL half (docs/postgresql.md).
pg_files=()
for f in $(sed -e 's/#.*//' -e '/^ *$/d' <<'EOF'
01-session
02-case-loop
03-hostile
05-durability
06-dispatch
06-dispatch-lists
07-designer
08-events
09-cookie
0b-escalation
0e-caselist
0e-mqtt-kill
0f-eval
20-open311
21-photos
30-sensors
40-worklist
41-eval-tables
4c-base
50-judgement
60-notify
61-admin
62-hands
63-brief
64-attach
70-ui
71-dashboard
72-access
73-whistle
74-designer
75-alarms
76-queue
77-warnings
78-worklist
79-classify
7a-photos
7b-metoo
7c-designer-categories
7d-live
7e-designer-settings
7f-tiles
7g-escalation
7g-messages
7h-admin
7i-print
7i-trust
7j-hands
7k-brief
7l-search
7m-pages
7z-walk
80-simulate
90-people
90-security
91-http
91-people-ui
92-login
92-people-privacy
93-authz
94-fill
a3-signals
a5-tls
EOF
); do
  f=tests/integration/$f.test.mjs
  [ -n "${TESTS:-}" ] && [[ "$f" != *"$TESTS"* ]] && continue
  pg_files+=("$f")
done
((${#pg_files[@]})) && [ -n "${JICENG_TEST_PG:-}" ] && JICENG_TEST_DB=pg run_node integration-pg "${pg_files[@]}"
rm -rf "$log"
if [ -n "${JICENG_SANITIZER_REPORTS:-}" ]; then
  for r in "$JICENG_SANITIZER_REPORTS"/*; do
    [ -f "$r" ] || continue
    failed=$((failed + 1))
    echo "FAIL sanitizer report $r:"; grep -E '^(SUMMARY|==[0-9]+==ERROR)|runtime error' "$r" | head -5
  done
fi
if [ "$skipped" -ne 0 ]; then echo "skipped tests are failures here: $skipped skipped"; failed=$((failed + skipped)); fi
# the names again at the very end, where a truncated log still shows them
[ -n "${failures:-}" ] && { echo "failed tests:"; echo "${failures%$'\n'}" | sed 's/^/  /'; }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
