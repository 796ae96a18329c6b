#!/usr/bin/env bash
# demo.sh -- `make demo`: seed var/demo.db once (a real street, its grids,
# departments, the responsibility list, users of every role) and serve it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/jiceng
mkdir -p var
if [ ! -f var/demo.db ]; then
  "$BIN" init var/demo.db
  "$BIN" demo --db var/demo.db
fi
echo
echo "  jiceng demo: http://127.0.0.1:8080/"
echo "  logins (password jiceng-demo): dispatcher, dept_chengguan, worker1, community1, resident1, supervisor, admin"
echo "  first click: log in as dispatcher -> 指挥中心 (queue), then 社区云 (dashboard)"
echo
exec "$BIN" serve --db var/demo.db --listen 127.0.0.1:8080
