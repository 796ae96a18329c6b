#!/usr/bin/env bash
# pg.sh -- a temporary PostgreSQL cluster (Debian's postgresql package) for the tests
# and the benchmarks: initdb in a new directory, a server on a free loopback port,
# stopped and removed after.
#   tests/pg.sh start DIR    creates DIR/data, starts the server, prints its URL:
#                            postgresql://jiceng@127.0.0.1:PORT/postgres
#                            (superuser jiceng, trust on loopback only)
#   tests/pg.sh stop DIR     stops the server (immediate) and removes DIR
#   PG_FSYNC=on              keep fsync on (benchmarks); the tests turn it off, since
#                            they kill jiceng, never the machine (synchronous_commit
#                            stays on either way, so COMMIT still waits for the WAL
#                            write, only not for the disk)
# As root (CI), initdb and the server run as the unprivileged user `postgres` that the
# postgresql package creates: PostgreSQL refuses to run as root.
set -euo pipefail
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: tests/pg.sh start|stop DIR" >&2; exit 2; }

bindir=$(pg_config --bindir 2>/dev/null || true)
if [ ! -x "$bindir/initdb" ]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
fi
[ -x "$bindir/initdb" ] || { echo "pg.sh: no initdb (scripts/setup.sh test installs postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  as_owner "$bindir/initdb" -D "$dir/data" -U jiceng -A trust -E UTF8 --locale=C.UTF-8 \
    --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  fsync=${PG_FSYNC:-off}
  # A free port: try a few at random (the server's own bind is the real check).
  for try in 1 2 3 4 5 6 7 8; do
    port=$((20000 + RANDOM % 30000))
    if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
         -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir
             -c fsync=$fsync -c full_page_writes=$fsync -c max_connections=300
             -c shared_buffers=128MB" >/dev/null 2>&1; then
      echo "postgresql://jiceng@127.0.0.1:$port/postgres"
      exit 0
    fi
    # another port whatever the reason (a port taken is the usual one; a start that
    # failed once for no reason shown in the log was seen under load): the log of
    # each failed try is kept and printed at the end
    cat "$dir/server.log" >> "$dir/failed-starts.log" 2>/dev/null
    rm -f "$dir/server.log"
  done
  cat "$dir/failed-starts.log" >&2 2>/dev/null
  echo "pg.sh: the server did not start" >&2
  exit 1
  ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: tests/pg.sh start|stop DIR" >&2; exit 2 ;;
esac
