#!/usr/bin/env bash
# people.sh -- bench group "people": linking departments' person tables.
#   JICENG_BIN   the jiceng binary;  BENCH_OUT   where the JSON figures go
#   JICENG_SHARED  the shared data (default ../shared)
# Figures:
#   er_dev_f1, er_dev_precision, er_dev_recall   the six er-dev tables imported in turn
#       with the proposed mappings (anchor: same-ID linking, F1 0.912)
#   er_gen_f1                  a generated ~140k-record set of the same six departments
#   er_records_per_s           its records imported and linked per second (six imports in
#                              turn, each linking what it brings), wall time
#   er_140k_seconds            that wall time (target < 10 s)
#   er_140k_cpu_seconds        the CPU time (user + system) it took: on a machine shared with
#                              other work the wall time is the CPU time plus waiting for a core
#   er_peak_rss_mb             the largest resident size of one import
#   er_other_f1                generated tables of other departments' layouts
#   febrl4_f1, febrl3_f1       FEBRL 4a+4b (two sources) and FEBRL 3 (one, duplicates)
# Splink and dedupe (Python) do not install here: neither is in Debian, and PyPI is not
# reachable; npm's "dedupe" is an array utility.  The anchor is naive same-ID linking.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${JICENG_BIN:-$PWD/build/jiceng}
OUT=${BENCH_OUT:-$PWD/build/bench/people.json}
SHARED=${JICENG_SHARED:-../shared}
PY=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

"$BIN" people generate --out "$tmp/gen" --persons 56000 --layout dev --seed 5 > /dev/null
"$BIN" people generate --out "$tmp/other" --persons 5000 --layout other --seed 6 > /dev/null

$PY - "$BIN" "$SHARED" "$tmp" "$OUT" <<'PY'
import csv, json, os, re, resource, subprocess, sys, time
binp, shared, tmp, out = sys.argv[1:5]
score_py = os.path.join(shared, "data/er-dev/score.py")

def run(args):
    return subprocess.run([binp] + args, check=True, capture_output=True, text=True).stdout

def import_dir(d, db, maps=None):
    subprocess.run([binp, "init", db], check=True, capture_output=True)
    files = sorted(f for f in os.listdir(d) if f.startswith("source_"))
    t0 = time.monotonic()
    for f in files:
        key = re.sub(r"\..*$", "", f[len("source_"):])
        extra = ["--map", maps[key]] if maps and key in maps else []
        run(["people", "import", "--db", db, "--source", key, os.path.join(d, f), "--quiet"] + extra)
    return time.monotonic() - t0

def score(truth, db):
    pred = db + ".links.csv"
    with open(pred, "w") as fh:
        fh.write(run(["people", "export", "--db", db, "--links"]))
    r = subprocess.run([sys.executable, score_py, truth, pred, "--json"], check=True, capture_output=True, text=True)
    return json.loads(r.stdout)

fig = {}
erdev = os.path.join(shared, "data/er-dev")
s = score(os.path.join(erdev, "truth.csv"), (import_dir(erdev, tmp + "/dev.db"), tmp + "/dev.db")[1])
fig.update(er_dev_f1=round(s["f1"], 4), er_dev_precision=round(s["precision"], 4), er_dev_recall=round(s["recall"], 4))

gen = tmp + "/gen"
records = sum(max(0, sum(1 for _ in open(os.path.join(gen, f), encoding="utf-8-sig")) - 1)
              for f in os.listdir(gen) if f.startswith("source_"))
ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
secs = import_dir(gen, tmp + "/gen.db")
ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
rss = ru1.ru_maxrss / 1024.0
s = score(os.path.join(gen, "truth.csv"), tmp + "/gen.db")
fig.update(er_gen_f1=round(s["f1"], 4), er_records_per_s=round(records / secs), er_140k_seconds=round(secs, 2),
           er_140k_cpu_seconds=round(cpu, 2), er_gen_records=records, er_peak_rss_mb=round(rss, 1))

s = score(os.path.join(tmp, "other/truth.csv"), (import_dir(tmp + "/other", tmp + "/other.db"), tmp + "/other.db")[1])
fig.update(er_other_f1=round(s["f1"], 4))

# FEBRL: rec-N-org and rec-N-dup-k are one person
febrl = os.path.join(shared, "data/febrl")
fmap = "given_name=name,surname=name,soc_sec_id=id_number,date_of_birth=birth_date,street_number=address,address_1=address,postcode=attr"
def febrl_run(name, files):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    truth = {}
    for key, f in files:
        rows = list(csv.reader(open(os.path.join(febrl, f), encoding="utf-8")))
        with open(os.path.join(d, "source_%s.csv" % key), "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([c.strip() for c in rows[0]])
            for r in rows[1:]:
                r = [c.strip() for c in r]
                w.writerow(r)
                pid = r[0].split("-")[1]
                truth.setdefault(pid, {}).setdefault(key, []).append(r[0])
    keys = [k for k, _ in files]
    with open(os.path.join(d, "truth.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["person_id"] + keys)
        for pid, m in truth.items():
            w.writerow([pid] + ["|".join(m.get(k, [])) for k in keys])
    db = os.path.join(tmp, name + ".db")
    import_dir(d, db, {k: fmap for k in keys})
    return score(os.path.join(d, "truth.csv"), db)
fig["febrl4_f1"] = round(febrl_run("febrl4", [("a", "dataset4a.csv"), ("b", "dataset4b.csv")])["f1"], 4)
fig["febrl3_f1"] = round(febrl_run("febrl3", [("f3", "dataset3.csv")])["f1"], 4)

json.dump(fig, open(out, "w"))
for k, v in fig.items():
    print("%-22s %s" % (k, v))
PY
