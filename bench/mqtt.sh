#!/usr/bin/env bash
# mqtt.sh -- bench group "mqtt": sensor readings over MQTT (QoS 1) into jiceng
# with 100,000 registered devices, against mosquitto_sub receiving the same
# publisher's messages in the same run on the same broker.
#   mqtt_vs_mosquitto_sub  readings stored+evaluated per second by jiceng ÷
#                          messages per second received by mosquitto_sub alone
#                          (target >= 0.8)
#   mqtt_readings_per_s, mosquitto_sub_per_s   the two rates
#   alarm_case_p99_ms      reading received -> its alarm's case committed, p99
#                          over the alarms raised during the run (target < 100)
# Broker: Debian mosquitto with max_queued_messages 0, persistence false.
# Env: N (messages, default 200000), DEVICES (default 100000), WITH_TS=1
# (each reading carries its own "ts", so jiceng's check for readings received
# again -- table sensor_seen -- runs on every one; without it, it runs on none),
# BENCH_DB (a postgresql:// URL of an empty database to run jiceng on PostgreSQL
# instead of a temporary SQLite file; docs/sensors.md "Several instances").
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-$PWD/build/bench/mqtt.json}
BIN=${JICENG_BIN:-$PWD/build/jiceng}
N=${N:-200000}
DEVICES=${DEVICES:-100000}
EVERY=${EVERY:-500}
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -n "${KEEP_LOG:-}" ] && cp "$tmp/serve.log" "$KEEP_LOG"; rm -rf "$tmp"; }
trap cleanup EXIT
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$tmp/pub" bench/bench_mqtt_pub.c -lmosquitto
port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
now() { date +%s.%N; }

bport=$(port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n' "$bport" > "$tmp/mosquitto.conf"
mosquitto -c "$tmp/mosquitto.conf" > "$tmp/mosquitto.log" 2>&1 & pids+=($!)
for _ in $(seq 50); do mosquitto_pub -p "$bport" -t probe -m x 2>/dev/null && break; sleep 0.1; done

db=${BENCH_DB:-$tmp/bench.db}
"$BIN" init "$db" > /dev/null
"$BIN" demo --db "$db" > /dev/null
node -e '
const grids=[]; for (const c of ["001","002","005","006","007"]) for (const g of ["001","002","003","004"]) grids.push("110101001"+c+g);
const n=+process.argv[1]; const rows=["id,type,grid,heartbeat_s"];
for (let i=0;i<n;i++) rows.push(`dev-${String(i).padStart(6,"0")},smoke,${grids[i%grids.length]},86400`);
require("fs").writeFileSync(process.argv[2], rows.join("\n")+"\n");' "$DEVICES" "$tmp/devices.csv"
t0=$(now)
"$BIN" device import --db "$db" "$tmp/devices.csv"
echo "import: $(echo "$(now) - $t0" | bc) s"

# Phase 1: mosquitto_sub alone.
mosquitto_sub -p "$bport" -q 1 -t 'jiceng/v1/readings/#' -C "$N" > /dev/null & sub=$!; pids+=($sub)
sleep 0.5
t0=$(now)
"$tmp/pub" "$bport" "$N" "$DEVICES" "$EVERY" > /dev/null
wait "$sub"
t1=$(now)
sub_rate=$(echo "$N / ($t1 - $t0)" | bc -l)
echo "mosquitto_sub: $N in $(echo "$t1 - $t0" | bc) s"

# Phase 2: jiceng alone.
hport=$(port)
JICENG_SENSOR_MANUAL_TICK=1 "$BIN" serve --db "$db" --listen "127.0.0.1:$hport" --threads 2 \
  --mqtt "mqtt://127.0.0.1:$bport" --mqtt-client-id bench-jiceng > "$tmp/serve.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$hport/healthz" > /dev/null && break; sleep 0.1; done
# Let one-off start-up work on the writer finish (other modules' first ticks,
# the classifier's training) so that the run measures steady ingestion.
sleep 3
readings() { curl -s "http://127.0.0.1:$hport/api/v1/sensor/stats" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(j.readings+j.rejected_total)})'; }
t0=$(now)
"$tmp/pub" "$bport" "$N" "$DEVICES" "$EVERY" > /dev/null
while [ "$(readings)" -lt "$N" ]; do sleep 0.02; done
t1=$(now)
jc_rate=$(echo "$N / ($t1 - $t0)" | bc -l)
echo "jiceng: $N in $(echo "$t1 - $t0" | bc) s"
curl -s "http://127.0.0.1:$hport/api/v1/sensor/stats" > "$tmp/stats.json"
cat "$tmp/stats.json"; echo
node -e '
const s=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
const jc=+process.argv[2], sub=+process.argv[3];
const o={mqtt_vs_mosquitto_sub:+(jc/sub).toFixed(3), mqtt_readings_per_s:Math.round(jc), mosquitto_sub_per_s:Math.round(sub),
  alarm_case_p99_ms:+s.alarm_case_latency.p99_ms.toFixed(2), mqtt_rejected:s.rejected_total};
require("fs").writeFileSync(process.argv[4], JSON.stringify(o)+"\n"); console.log(JSON.stringify(o));' "$tmp/stats.json" "$jc_rate" "$sub_rate" "$out"
