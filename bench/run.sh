#!/usr/bin/env bash
# run.sh -- runs the benchmark groups (bench/<group>.sh), merges the figures each
# group wrote to build/bench/<group>.json into build/bench.json, prints a table.
#   bench/run.sh            every group
#   bench/run.sh http       one group (make bench ONLY=http)
# A group script gets JICENG_BIN and writes {"key": number, ...} to $BENCH_OUT.
# Figures are ratios against a limit measured in the same run (see docs/bench.md).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh bench
export JICENG_BIN=${JICENG_BIN:-$PWD/build/jiceng}
mkdir -p build/bench
only=${1:-}
status=0
for g in bench/*.sh; do
  name=$(basename "$g" .sh)
  [ "$name" = run ] && continue
  [ -n "$only" ] && [ "$name" != "$only" ] && continue
  echo "== bench group: $name"
  sync # the last group's dirty pages are written now, not during this one's fsyncs
  limit=600
  # scale writes a store of 1 M cases (4-16 min on the shared 2-core machine) and probes it;
  # with SCALE_10M=1 one of 10 M
  [ "$name" = scale ] && limit=$([ "${SCALE_10M:-}" = 1 ] && echo 21600 || echo 3600)
  BENCH_OUT=$PWD/build/bench/$name.json timeout "$limit" bash "$g" || { echo "group $name failed"; status=1; }
done
node -e '
const fs=require("fs"); const out={};
for (const f of fs.readdirSync("build/bench").filter(f=>f.endsWith(".json")).sort())
  Object.assign(out, JSON.parse(fs.readFileSync("build/bench/"+f,"utf8")));
fs.writeFileSync("build/bench.json", JSON.stringify(out,null,1)+"\n");
console.log("\n%s", "key".padEnd(32)+"value");
for (const [k,v] of Object.entries(out)) console.log(k.padEnd(32)+v);
'
exit $status
