#!/usr/bin/env bash
# classify.sh -- bench group "classify": jiceng's text classifier against the
# sklearn baseline (TF-IDF char (1,2)-grams + LinearSVC) on the SAME 5 folds of
# the shared labelled set, and the predict rate of both on one core.
#   JICENG_BIN   the jiceng binary;  BENCH_OUT   where the JSON figures go
#   JICENG_SHARED  the shared data (default ../shared)
# Figures: classify_acc_5fold, classify_baseline_acc_5fold,
# classify_macro_f1_5fold, classify_speed_vs_baseline (our texts/s / sklearn's).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${JICENG_BIN:-$PWD/build/jiceng}
OUT=${BENCH_OUT:-$PWD/build/bench/classify.json}
DATA=${JICENG_SHARED:-../shared}/data/taidi2020/labeled_dev.csv
PY=/usr/bin/python3
[ -r "$DATA" ] || { echo "classify bench: cannot read $DATA" >&2; exit 1; }
$PY -c 'import sklearn' 2>/dev/null || { echo "classify bench: needs python3-sklearn (apt-get install -y python3-sklearn)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

"$BIN" classify eval --data "$DATA" --folds 5 --folds-out "$tmp/folds.csv" --json > "$tmp/ours.json"
"$BIN" classify eval --data "$DATA" --folds 5 --algo logreg --json > "$tmp/logreg.json"
taskset -c 0 $PY bench/classify_baseline.py "$DATA" "$tmp/folds.csv" 20 > "$tmp/base.json"
"$BIN" classify train --data "$DATA" --out "$tmp/model" > /dev/null
taskset -c 0 "$BIN" classify predict --model "$tmp/model" --data "$DATA" --repeat 400 --json \
    2> /dev/null > "$tmp/speed.json"

$PY - "$tmp" "$OUT" <<'PY'
import json, sys
d, out = sys.argv[1], sys.argv[2]
ours = json.load(open(d + "/ours.json")); lr = json.load(open(d + "/logreg.json"))
base = json.load(open(d + "/base.json")); speed = json.load(open(d + "/speed.json"))
fig = {"classify_acc_5fold": round(ours["accuracy"], 4),
       "classify_baseline_acc_5fold": round(base["accuracy"], 4),
       "classify_macro_f1_5fold": round(ours["macro_f1"], 4),
       "classify_speed_vs_baseline": round(speed["per_second"] / base["per_second"], 1)}
json.dump(fig, open(out, "w"))
print("%-34s %12s %12s" % ("", "jiceng", "sklearn"))
print("%-34s %12.4f %12.4f" % ("5-fold accuracy (SVM kept)", ours["accuracy"], base["accuracy"]))
print("%-34s %12.4f %12.4f" % ("5-fold macro-F1", ours["macro_f1"], base["macro_f1"]))
print("%-34s %12.4f %12s" % ("5-fold accuracy, logreg (not kept)", lr["accuracy"], ""))
print("%-34s %12.4f %12s" % ("5-fold macro-F1, logreg", lr["macro_f1"], ""))
print("%-34s %12.0f %12.0f" % ("texts/s, one core", speed["per_second"], base["per_second"]))
print("%-34s %12.1f" % ("speed ratio", speed["per_second"] / base["per_second"]))
PY
