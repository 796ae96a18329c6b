#!/usr/bin/env bash
# setup.sh -- install what jiceng needs on Debian 12, idempotently.
#   scripts/setup.sh          build + run (make, make demo)
#   scripts/setup.sh test     plus what the tests use (mosquitto, chromium, postgresql)
#   scripts/setup.sh bench    plus what the benchmarks compare against (nginx, wrk, R)
# Debian packages come from apt-get (sudo when not root); npm packages from `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}

pkgs=(build-essential pkg-config sqlite3 curl ca-certificates
      libh2o-evloop-dev libssl-dev zlib1g-dev libjansson-dev libsodium-dev libsqlite3-dev
      libutf8proc-dev libmosquitto-dev libcsv-dev libxlsxwriter-dev
      mosquitto mosquitto-clients)
case "$mode" in
  test)  pkgs+=(chromium fonts-droid-fallback python3 unzip) ;;
  bench) pkgs+=(chromium python3 unzip nginx-light wrk python3-sklearn r-cran-surveillance) ;;
esac
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm  >/dev/null 2>&1 || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
