#!/usr/bin/python3
# classify_baseline.py -- the sklearn baseline of bench/classify.sh (a bench
# file, not product): TF-IDF over character (1,2)-grams of title + text, a
# LinearSVC (defaults), on the SAME folds jiceng used (a 'row,fold' CSV written
# by `jiceng classify eval --folds-out`).  Also the baseline's predict rate on
# one core: vectorise + predict of every text, texts already in memory.
# Prints one JSON object.
import csv, json, sys, time
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC
from sklearn.metrics import accuracy_score, f1_score

data, folds_path = sys.argv[1], sys.argv[2]
repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 5
rows = list(csv.DictReader(open(data, encoding='utf-8-sig', newline='')))
X = [r['留言主题'] + '\n' + r['留言详情'] for r in rows]
y = [r['一级分类'] for r in rows]
fold = {}
for r in csv.DictReader(open(folds_path, newline='')):
    fold[int(r['row'])] = int(r['fold'])
assert len(fold) == len(rows), (len(fold), len(rows))
k = max(fold.values()) + 1

def model():
    return TfidfVectorizer(analyzer='char', ngram_range=(1, 2)), LinearSVC()

truth, pred = [], []
for f in range(k):
    tr = [i for i in range(len(rows)) if fold[i] != f]
    te = [i for i in range(len(rows)) if fold[i] == f]
    vec, clf = model()
    clf.fit(vec.fit_transform([X[i] for i in tr]), [y[i] for i in tr])
    pred += list(clf.predict(vec.transform([X[i] for i in te])))
    truth += [y[i] for i in te]

vec, clf = model()
clf.fit(vec.fit_transform(X), y)
t0 = time.perf_counter()
n = 0
for _ in range(repeat):
    clf.predict(vec.transform(X))
    n += len(X)
secs = time.perf_counter() - t0
print(json.dumps({"accuracy": accuracy_score(truth, pred),
                  "macro_f1": f1_score(truth, pred, average='macro'),
                  "texts": n, "seconds": secs, "per_second": n / secs}))
