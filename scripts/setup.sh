#!/usr/bin/env bash
# setup.sh -- install what jiceng needs on Debian 12, idempotently.
#   scripts/setup.sh [run]    build + run (make, make demo)
#   scripts/setup.sh test     plus what the tests start (make test, make asan)
#   scripts/setup.sh bench    plus what the benchmarks compare against (make bench)
#   scripts/setup.sh fuzz     the test set plus clang and libFuzzer (make fuzz)
#   scripts/setup.sh --programs   print the program table below (scripts/check_programs.mjs reads it)
# Debian packages come from apt-get (sudo when not root); npm packages from `npm ci`.
# A check run by `make test` (scripts/check_programs.mjs) fails when a test or a
# benchmark starts a program that is neither in this table nor in an Essential package.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}

# Libraries and tools the build needs.
pkgs=(build-essential pkg-config ca-certificates
      libh2o-evloop-dev libssl-dev zlib1g-dev libjansson-dev libsodium-dev libsqlite3-dev
      libutf8proc-dev libmosquitto-dev libcsv-dev libxlsxwriter-dev libcurl4-openssl-dev libzip-dev libexpat1-dev libpq-dev)

# Every program the product, its tests or its benchmarks start:
#   program  Debian package  the first mode that installs it
programs=(
  "sqlite3        sqlite3               run"
  "curl           curl                  run"
  "mosquitto      mosquitto             run"
  "mosquitto_pub  mosquitto-clients     run"
  "mosquitto_sub  mosquitto-clients     run"
  "node           nodejs                run"
  "npm            npm                   run"
  "cc             build-essential       run"
  "pkg-config     pkg-config            run"
  "chromium       chromium              test"
  "unzip          unzip                 test"
  "pdftotext      poppler-utils         test"
  "pdfinfo        poppler-utils         test"
  "python3        python3               test"
  "initdb         postgresql            test"
  "pg_ctl         postgresql            test"
  "psql           postgresql-client     test"
  "pg_config      libpq-dev             test"
  "runuser        util-linux            test"
  "systemd-analyze systemd              test"
  "mount          mount                 test"
  "umount         mount                 test"
  "setpriv        util-linux            test"
  "strace         strace                test"
  "openssl        openssl               test"
  "bc             bc                    bench"
  "nginx          nginx-light           test"
  "wrk            wrk                   bench"
  "time           time                  bench"
  "Rscript        r-cran-surveillance   bench"
  "clang          clang                 fuzz"
)
# Packages a mode needs that start no program of their own.
case "$mode" in
  test)  pkgs+=(fonts-droid-fallback) ;;
  bench) pkgs+=(fonts-droid-fallback python3-sklearn) ;;
  fuzz)  pkgs+=(libclang-rt-14-dev) ;;  # libFuzzer and the sanitizers' runtimes for clang 14
esac

if [ "$mode" = --programs ]; then printf '%s\n' "${programs[@]}"; exit 0; fi
case "$mode" in run|test|bench|fuzz) ;; *) echo "setup.sh: unknown mode '$mode' (run, test, bench, fuzz, --programs)" >&2; exit 2 ;; esac

rank() { case $1 in run) echo 0 ;; test) echo 1 ;; bench) echo 2 ;; esac; }
for row in "${programs[@]}"; do
  read -r prog pkg need <<<"$row"
  # fuzz is the test set plus its own rows
  if [ "$need" = fuzz ]; then [ "$mode" = fuzz ] && pkgs+=("$pkg"); continue; fi
  # node and npm may come from elsewhere (nodesource, nvm): keep a working one.
  case $prog in node|npm) command -v "$prog" >/dev/null 2>&1 && continue ;; esac
  m=$mode; [ "$m" = fuzz ] && m=test
  if [ "$(rank "$need")" -le "$(rank "$m")" ]; then pkgs+=("$pkg"); fi
done

missing=()
for p in $(printf '%s\n' "${pkgs[@]}" | sort -u); do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "setup: installing Debian packages: ${missing[*]}"
  t0=$(date +%s)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "setup: installed ${#missing[@]} packages in $(( $(date +%s) - t0 )) s"
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.package-lock.json
fi
