/*
 * classify.c -- training, prediction, model files, CSV loading and
 * cross-validation of the text classifier (see classify.h).
 *
 * Design notes.
 *  - A document is the n-gram counts of its title and body (grams never
 *    span the two), plus, when title_ns is set, the title's grams once more
 *    in a namespace of their own: a word in the subject line says more than
 *    the same word deep in a long complaint.
 *  - Only slots seen in training get a row.  A row holds the slot's smoothed
 *    IDF, ln((1+N)/(1+df)) + 1, and one weight per label.  Slots without a
 *    row are dropped before L2 normalisation, as sklearn's vocabulary does.
 *  - At prediction a small open-addressing table maps slot -> row, so the
 *    working set is the rows actually learnt (a few MB), not 2^bits.
 *  - SVM: one-vs-rest, squared hinge, L2-regularised, bias as a constant
 *    feature, solved in the dual by coordinate descent (Hsieh et al. 2008,
 *    liblinear's default solver).  Its "probabilities" are a softmax of
 *    3 x the margins: useful for ranking and a threshold, not calibrated.
 *  - Logistic regression: multinomial, Adagrad, L2 applied to the weights a
 *    sample touches.
 *  - Every random choice comes from splitmix64 seeded by params.seed.
 */
#include "classify.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const unsigned char MAGIC[8] = {'J', 'C', 'C', 'L', 'A', 'S', 'S', 0};
#define CHECKSUM_LEN 32
/* SVM "probabilities" are softmax(SVM_SOFTMAX_SCALE x margin). */
#define SVM_SOFTMAX_SCALE 3.0

struct classify_model {
    classify_params p;
    int K;
    char **labels;
    uint32_t nrows;
    uint32_t *slots; /* nrows */
    float *rows;     /* nrows * (K + 1): idf, then K weights */
    float *bias;     /* K */
    uint32_t *tab;   /* pairs (slot, row + 1); row + 1 == 0 = empty */
    uint32_t tmask;
};

struct classify_scratch {
    text_counter *c;
    text_vec v;
    uint32_t *tcp, *bcp;
    size_t tcap, bcap, tn, bn;
    uint32_t *rowidx; /* per feature of v: row, or UINT32_MAX */
    float *x;         /* per feature: weighted value */
    size_t fcap;
    double *scores;
};

static void msgf(char *msg, size_t sz, const char *fmt, ...) JC_PRINTF(3, 4);
static void msgf(char *msg, size_t sz, const char *fmt, ...) {
    if (!msg || !sz) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sz, fmt, ap);
    va_end(ap);
}

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void shuffle(size_t *a, size_t n, uint64_t *st) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(splitmix64(st) % i);
        size_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

static inline uint32_t slot_hash(uint32_t slot) { return slot * 0x9E3779B1u; }

classify_params classify_params_default(void) {
    classify_params p = {0};
    p.algo = CLASSIFY_SVM;
    p.grams = text_opts_default();
    p.grams.max_n = 2;
    p.title_ns = 1;
    p.sublinear_tf = 0;
    p.body_lead = 200;
    p.C = 10.0;
    p.max_iter = 1000;
    p.epochs = 30;
    p.lr = 0.5;
    p.l2 = 1e-6;
    p.seed = 42;
    p.created_ms = 0;
    return p;
}

classify_cols classify_cols_default(void) {
    classify_cols c = {"留言主题", "留言详情", "一级分类"};
    return c;
}

/* ================================================================ data */

jc_err classify_data_add(classify_data *d, const char *title, const char *text,
                         const char *label) {
    if (!text) return JC_ERR_INVALID;
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 64;
        char **t = realloc(d->title, nc * sizeof *t);
        if (!t) return JC_ERR_NOMEM;
        d->title = t;
        char **x = realloc(d->text, nc * sizeof *x);
        if (!x) return JC_ERR_NOMEM;
        d->text = x;
        char **l = realloc(d->label, nc * sizeof *l);
        if (!l) return JC_ERR_NOMEM;
        d->label = l;
        d->cap = nc;
    }
    char *t = title ? jc_strdup(title) : NULL;
    char *x = jc_strdup(text);
    char *l = label ? jc_strdup(label) : NULL;
    if ((title && !t) || !x || (label && !l)) {
        free(t), free(x), free(l);
        return JC_ERR_NOMEM;
    }
    d->title[d->n] = t;
    d->text[d->n] = x;
    d->label[d->n] = l;
    d->n++;
    return JC_OK;
}

static void data_truncate(classify_data *d, size_t n) {
    while (d->n > n) {
        d->n--;
        free(d->title[d->n]);
        free(d->text[d->n]);
        free(d->label[d->n]);
    }
}

void classify_data_free(classify_data *d) {
    if (!d) return;
    data_truncate(d, 0);
    free(d->title), free(d->text), free(d->label);
    memset(d, 0, sizeof *d);
}

/* ================================================================= CSV */

#define CSV_MAX_FILE ((size_t)1 << 30)
#define CSV_MAX_FIELDS 4096

typedef struct {
    const classify_cols *cols;
    int need_label;
    classify_data *d;
    size_t row;      /* 0 = header */
    int field;       /* index within the row */
    int ci[3];       /* column index of title, text, label (-1 none) */
    char *cur[3];    /* fields of the current row (owned) */
    jc_err err;
    char *msg;
    size_t msgsz;
} csv_ctx;

static void csv_field(void *s, size_t len, void *data) {
    csv_ctx *c = data;
    const char *f = s ? s : "";
    if (c->err) return;
    if (len > TEXT_MAX_BYTES) {
        c->err = JC_ERR_TOOBIG;
        msgf(c->msg, c->msgsz, "row %zu field %d is %zu bytes, over the cap of %zu", c->row,
             c->field + 1, len, TEXT_MAX_BYTES);
        return;
    }
    if (c->field >= CSV_MAX_FIELDS) {
        c->err = JC_ERR_TOOBIG;
        msgf(c->msg, c->msgsz, "row %zu has more than %d fields", c->row, CSV_MAX_FIELDS);
        return;
    }
    if (c->row == 0) {
        if (c->field == 0 && len >= 3 && !memcmp(f, "\xEF\xBB\xBF", 3)) f += 3, len -= 3;
        const char *want[3] = {c->cols->title_col, c->cols->text_col,
                               c->cols->label_col};
        for (int k = 0; k < 3; k++)
            if (want[k] && strlen(want[k]) == len && !memcmp(want[k], f, len) && c->ci[k] < 0)
                c->ci[k] = c->field;
    } else {
        for (int k = 0; k < 3; k++) {
            if (c->ci[k] != c->field) continue;
            if (!jc_utf8_valid(f, len)) {
                c->err = JC_ERR_INVALID;
                msgf(c->msg, c->msgsz, "row %zu field %d is not valid UTF-8", c->row,
                     c->field + 1);
                return;
            }
            char *v = malloc(len + 1);
            if (!v) {
                c->err = JC_ERR_NOMEM;
                return;
            }
            memcpy(v, f, len);
            v[len] = 0;
            free(c->cur[k]);
            c->cur[k] = v;
        }
    }
    c->field++;
}

static void csv_row(int term, void *data) {
    (void)term;
    csv_ctx *c = data;
    if (c->err) return;
    if (c->row == 0) {
        if (c->ci[1] < 0) {
            c->err = JC_ERR_INVALID;
            msgf(c->msg, c->msgsz, "no column named '%s' in the header", c->cols->text_col);
        } else if (c->cols->title_col && c->ci[0] < 0) {
            c->err = JC_ERR_INVALID;
            msgf(c->msg, c->msgsz, "no column named '%s' in the header", c->cols->title_col);
        } else if (c->need_label && (!c->cols->label_col || c->ci[2] < 0)) {
            c->err = JC_ERR_INVALID;
            msgf(c->msg, c->msgsz, "no column named '%s' in the header",
                 c->cols->label_col ? c->cols->label_col : "(none)");
        }
    } else if (c->field == 1 && !c->cur[1] && c->ci[1] != 0) {
        /* an empty line: skip */
    } else {
        if (!c->cur[1]) {
            c->err = JC_ERR_INVALID;
            msgf(c->msg, c->msgsz, "row %zu has %d fields, too few", c->row, c->field);
        } else if (c->need_label && (!c->cur[2] || !c->cur[2][0])) {
            c->err = JC_ERR_INVALID;
            msgf(c->msg, c->msgsz, "row %zu has no label", c->row);
        } else if (c->d->n >= CLASSIFY_MAX_ROWS) {
            c->err = JC_ERR_TOOBIG;
            msgf(c->msg, c->msgsz, "more than %d rows", CLASSIFY_MAX_ROWS);
        } else {
            c->err = classify_data_add(c->d, c->cur[0], c->cur[1],
                                       (c->cur[2] && c->cur[2][0]) ? c->cur[2] : NULL);
        }
    }
    for (int k = 0; k < 3; k++) {
        free(c->cur[k]);
        c->cur[k] = NULL;
    }
    c->row++;
    c->field = 0;
}

jc_err classify_load_csv(const char *path, const classify_cols *cols, int need_label,
                         classify_data *d, char *msg, size_t msgsz) {
    msgf(msg, msgsz, "ok");
    FILE *f = fopen(path, "rb");
    if (!f) {
        msgf(msg, msgsz, "cannot open %s: %s", path, strerror(errno));
        return JC_ERR_IO;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (size_t)st.st_size > CSV_MAX_FILE) {
        fclose(f);
        msgf(msg, msgsz, "%s is larger than %zu bytes", path, CSV_MAX_FILE);
        return JC_ERR_TOOBIG;
    }
    struct csv_parser p;
    if (csv_init(&p, CSV_APPEND_NULL) != 0) {
        fclose(f);
        return JC_ERR_NOMEM;
    }
    csv_ctx c = {.cols = cols, .need_label = need_label, .d = d, .ci = {-1, -1, -1},
                 .msg = msg, .msgsz = msgsz};
    size_t n0 = d->n;
    char buf[65536];
    size_t got;
    while (!c.err && (got = fread(buf, 1, sizeof buf, f)) > 0) {
        if (csv_parse(&p, buf, got, csv_field, csv_row, &c) != got && !c.err) {
            c.err = JC_ERR_INVALID;
            msgf(msg, msgsz, "%s: CSV error near row %zu: %s", path, c.row,
                 csv_strerror(csv_error(&p)));
        }
    }
    if (!c.err && ferror(f)) {
        c.err = JC_ERR_IO;
        msgf(msg, msgsz, "read error on %s", path);
    }
    if (!c.err) csv_fini(&p, csv_field, csv_row, &c);
    if (!c.err && c.row == 0) {
        c.err = JC_ERR_INVALID;
        msgf(msg, msgsz, "%s is empty", path);
    }
    csv_free(&p);
    fclose(f);
    for (int k = 0; k < 3; k++) free(c.cur[k]);
    if (c.err) data_truncate(d, n0);
    return c.err;
}

/* ============================================================ features */

classify_scratch *classify_scratch_new(void) {
    classify_scratch *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->c = text_counter_new();
    s->scores = calloc(CLASSIFY_MAX_LABELS, sizeof *s->scores);
    if (!s->c || !s->scores) {
        classify_scratch_free(s);
        return NULL;
    }
    return s;
}

void classify_scratch_free(classify_scratch *s) {
    if (!s) return;
    text_counter_free(s->c);
    text_vec_free(&s->v);
    free(s->tcp), free(s->bcp), free(s->rowidx), free(s->x), free(s->scores);
    free(s);
}

/* Raw counts of one document into s->v; keeps its code points in s. */
static jc_err doc_counts(const classify_params *p, classify_scratch *s, const char *title,
                         const char *text) {
    jc_err e;
    text_counter_reset(s->c);
    s->tn = s->bn = 0;
    if (title) {
        e = text_codepoints_buf(title, strlen(title), &s->tcp, &s->tcap, &s->tn);
        if (e) return e;
    }
    size_t blen = strlen(text);
    if (blen > TEXT_MAX_BYTES) return JC_ERR_TOOBIG;
    if (p->body_lead > 0) { /* cut at the body_lead-th code point of the input */
        if (!text_utf8_valid(text, blen)) return JC_ERR_INVALID;
        size_t cps = 0, i = 0;
        for (; i < blen; i++)
            if (((unsigned char)text[i] & 0xC0) != 0x80 && cps++ == (size_t)p->body_lead) break;
        blen = i;
    }
    e = text_codepoints_buf(text, blen, &s->bcp, &s->bcap, &s->bn);
    if (e) return e;
    text_opts o = p->grams;
    o.ns = 0;
    if (s->tn && (e = text_counter_add(s->c, s->tcp, s->tn, &o))) return e;
    if ((e = text_counter_add(s->c, s->bcp, s->bn, &o))) return e;
    if (p->title_ns && s->tn) {
        o.ns = 1;
        if ((e = text_counter_add(s->c, s->tcp, s->tn, &o))) return e;
    }
    e = text_counter_vec(s->c, &s->v);
    if (e) return e;
    if (s->v.n == 0) return JC_ERR_INVALID; /* nothing to classify */
    if (s->fcap < s->v.n) {
        size_t nc = s->v.n + 256;
        uint32_t *ri = realloc(s->rowidx, nc * sizeof *ri);
        if (!ri) return JC_ERR_NOMEM;
        s->rowidx = ri;
        float *x = realloc(s->x, nc * sizeof *x);
        if (!x) return JC_ERR_NOMEM;
        s->x = x;
        s->fcap = nc;
    }
    return JC_OK;
}

static inline uint32_t model_row(const classify_model *m, uint32_t slot) {
    uint32_t p = slot_hash(slot) & m->tmask;
    for (;;) {
        const uint32_t *e = m->tab + 2 * (size_t)p;
        if (!e[1]) return UINT32_MAX;
        if (e[0] == slot) return e[1] - 1;
        p = (p + 1) & m->tmask;
    }
}

static jc_err model_build_table(classify_model *m) {
    uint32_t cap = 16;
    while (cap < m->nrows * 2u + 2) cap <<= 1;
    free(m->tab);
    m->tab = calloc((size_t)cap * 2, sizeof *m->tab);
    if (!m->tab) return JC_ERR_NOMEM;
    m->tmask = cap - 1;
    for (uint32_t r = 0; r < m->nrows; r++) {
        uint32_t p = slot_hash(m->slots[r]) & m->tmask;
        while (m->tab[2 * (size_t)p + 1]) {
            if (m->tab[2 * (size_t)p] == m->slots[r]) return JC_ERR_CORRUPT;
            p = (p + 1) & m->tmask;
        }
        m->tab[2 * (size_t)p] = m->slots[r];
        m->tab[2 * (size_t)p + 1] = r + 1;
    }
    return JC_OK;
}

/* ============================================================ training */

/* A training matrix in compressed rows over the learnt vocabulary. */
typedef struct {
    size_t n;
    size_t *ptr;  /* n + 1 */
    uint32_t *col;
    float *val;
    int *y;
    float *sq;    /* squared norm of each row (1 after normalisation, 0 if empty) */
} csr;

static void csr_free(csr *X) {
    free(X->ptr), free(X->col), free(X->val), free(X->y), free(X->sq);
    memset(X, 0, sizeof *X);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int label_index(char **labels, int K, const char *l) {
    int lo = 0, hi = K - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(labels[mid], l);
        if (!c) return mid;
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

/* Sorted distinct labels of rows idx[0..n). */
static jc_err collect_labels(const classify_data *d, const size_t *idx, size_t n, char ***out,
                             int *K, char *msg, size_t msgsz) {
    char **tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp) return JC_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        tmp[i] = d->label[idx[i]];
        if (!tmp[i]) {
            free(tmp);
            msgf(msg, msgsz, "row %zu has no label", idx[i] + 1);
            return JC_ERR_INVALID;
        }
    }
    qsort(tmp, n, sizeof *tmp, cmp_str);
    int k = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(tmp[i], tmp[i - 1])) tmp[k++] = tmp[i];
    if (k < 2) {
        free(tmp);
        msgf(msg, msgsz, "need at least 2 distinct labels, got %d", k);
        return JC_ERR_INVALID;
    }
    if (k > CLASSIFY_MAX_LABELS) {
        free(tmp);
        msgf(msg, msgsz, "%d labels, more than the cap of %d", k, CLASSIFY_MAX_LABELS);
        return JC_ERR_TOOBIG;
    }
    char **labels = calloc((size_t)k, sizeof *labels);
    if (!labels) {
        free(tmp);
        return JC_ERR_NOMEM;
    }
    for (int i = 0; i < k; i++)
        if (!(labels[i] = jc_strdup(tmp[i]))) {
            for (int j = 0; j < i; j++) free(labels[j]);
            free(labels), free(tmp);
            return JC_ERR_NOMEM;
        }
    free(tmp);
    *out = labels;
    *K = k;
    return JC_OK;
}

/* Weights features of s->v by sublinear TF x IDF and L2-normalises them;
 * rows come from s->rowidx, idf from rows (stride). */
static void weigh(classify_scratch *s, const float *rows, size_t stride, int sublinear) {
    double norm = 0;
    for (size_t j = 0; j < s->v.n; j++) {
        uint32_t r = s->rowidx[j];
        if (r == UINT32_MAX) {
            s->x[j] = 0;
            continue;
        }
        float tf = s->v.f[j].val;
        float v = (sublinear ? 1.0f + logf(tf) : tf) * rows[(size_t)r * stride];
        s->x[j] = v;
        norm += (double)v * v;
    }
    if (norm > 0) {
        float inv = (float)(1.0 / sqrt(norm));
        for (size_t j = 0; j < s->v.n; j++) s->x[j] *= inv;
    }
}

static void svm_train(const csr *X, int K, size_t V, const classify_params *p, float *W,
                      float *bias) {
    size_t n = X->n;
    double *w = calloc(V + 1, sizeof *w);
    double *alpha = calloc(n, sizeof *alpha);
    size_t *perm = malloc((n ? n : 1) * sizeof *perm);
    if (!w || !alpha || !perm) goto out;
    const double diag = 0.5 / p->C; /* squared hinge: D_ii = 1/(2C), no upper bound */
    const double eps = 1e-4;
    for (int k = 0; k < K; k++) {
        uint64_t st = p->seed + (uint64_t)k;
        memset(w, 0, (V + 1) * sizeof *w);
        memset(alpha, 0, n * sizeof *alpha);
        for (size_t i = 0; i < n; i++) perm[i] = i;
        for (int it = 0; it < p->max_iter; it++) {
            shuffle(perm, n, &st);
            double pgmax = -INFINITY, pgmin = INFINITY;
            for (size_t t = 0; t < n; t++) {
                size_t i = perm[t];
                double yi = X->y[i] == k ? 1.0 : -1.0;
                double wx = w[V]; /* bias feature = 1 */
                for (size_t q = X->ptr[i]; q < X->ptr[i + 1]; q++) wx += w[X->col[q]] * X->val[q];
                double G = yi * wx - 1.0 + diag * alpha[i];
                double PG = (alpha[i] == 0 && G > 0) ? 0 : G;
                if (PG > pgmax) pgmax = PG;
                if (PG < pgmin) pgmin = PG;
                if (fabs(PG) > 1e-12) {
                    double QD = X->sq[i] + 1.0 + diag;
                    double old = alpha[i];
                    alpha[i] = fmax(old - G / QD, 0.0);
                    double dlt = (alpha[i] - old) * yi;
                    for (size_t q = X->ptr[i]; q < X->ptr[i + 1]; q++) w[X->col[q]] += dlt * X->val[q];
                    w[V] += dlt;
                }
            }
            if (pgmax - pgmin <= eps) break;
        }
        for (size_t j = 0; j < V; j++) W[j * (size_t)(K + 1) + 1 + (size_t)k] = (float)w[j];
        bias[k] = (float)w[V];
    }
out:
    free(w), free(alpha), free(perm);
}

static void softmax(const double *s, int K, double *pr) {
    double mx = s[0];
    for (int k = 1; k < K; k++) mx = fmax(mx, s[k]);
    double z = 0;
    for (int k = 0; k < K; k++) z += (pr[k] = exp(s[k] - mx));
    for (int k = 0; k < K; k++) pr[k] /= z;
}

static jc_err logreg_train(const csr *X, int K, size_t V, const classify_params *p, float *W,
                           float *bias) {
    size_t n = X->n, stride = (size_t)K + 1;
    float *G = calloc(V * (size_t)K, sizeof *G);
    double *gb = calloc((size_t)K, sizeof *gb);
    double *sc = calloc((size_t)K, sizeof *sc), *pr = calloc((size_t)K, sizeof *pr);
    size_t *perm = malloc((n ? n : 1) * sizeof *perm);
    jc_err e = JC_ERR_NOMEM;
    if (!G || !gb || !sc || !pr || !perm) goto out;
    uint64_t st = p->seed;
    for (size_t i = 0; i < n; i++) perm[i] = i;
    for (int ep = 0; ep < p->epochs; ep++) {
        shuffle(perm, n, &st);
        for (size_t t = 0; t < n; t++) {
            size_t i = perm[t];
            for (int k = 0; k < K; k++) sc[k] = bias[k];
            for (size_t q = X->ptr[i]; q < X->ptr[i + 1]; q++) {
                const float *row = W + X->col[q] * stride + 1;
                for (int k = 0; k < K; k++) sc[k] += row[k] * X->val[q];
            }
            softmax(sc, K, pr);
            for (int k = 0; k < K; k++) {
                double g = pr[k] - (X->y[i] == k);
                gb[k] += g * g;
                bias[k] -= (float)(p->lr * g / (sqrt(gb[k]) + 1e-8));
            }
            for (size_t q = X->ptr[i]; q < X->ptr[i + 1]; q++) {
                float *row = W + X->col[q] * stride + 1;
                float *gr = G + X->col[q] * (size_t)K;
                for (int k = 0; k < K; k++) {
                    double g = (pr[k] - (X->y[i] == k)) * X->val[q] + p->l2 * row[k];
                    gr[k] += (float)(g * g);
                    row[k] -= (float)(p->lr * g / (sqrt(gr[k]) + 1e-8));
                }
            }
        }
    }
    e = JC_OK;
out:
    free(G), free(gb), free(sc), free(pr), free(perm);
    return e;
}

static int valid_params(const classify_params *p) {
    const text_opts *o = &p->grams;
    return (p->algo == CLASSIFY_SVM || p->algo == CLASSIFY_LOGREG) && o->min_n >= 1 &&
           o->max_n <= 4 && o->min_n <= o->max_n && o->bits >= 12 && o->bits <= 24 &&
           (p->sublinear_tf == 0 || p->sublinear_tf == 1) && (p->title_ns == 0 || p->title_ns == 1) &&
           (o->fold_digits == 0 || o->fold_digits == 1) && p->body_lead >= 0 &&
           p->C > 0 && p->max_iter > 0 && p->epochs > 0 && p->lr > 0 && p->l2 >= 0;
}

/* Trains on rows idx[0..n) of d. */
static jc_err train_idx(const classify_data *d, const size_t *idx, size_t n,
                        const classify_params *p, classify_model **out, char *msg,
                        size_t msgsz) {
    if (!valid_params(p)) {
        msgf(msg, msgsz, "invalid training parameters");
        return JC_ERR_INVALID;
    }
    classify_model *m = calloc(1, sizeof *m);
    classify_scratch *s = classify_scratch_new();
    csr X = {0};
    uint32_t *vtab = NULL, *df = NULL, *slots = NULL, **docslots = NULL;
    size_t *doclen = NULL;
    jc_err e = JC_ERR_NOMEM;
    if (!m || !s) goto fail;
    m->p = *p;
    m->p.created_ms = p->created_ms ? p->created_ms : jc_now_ms();
    e = collect_labels(d, idx, n, &m->labels, &m->K, msg, msgsz);
    if (e) goto fail;
    int K = m->K;
    size_t stride = (size_t)K + 1;

    /* Pass 1: raw counts of every document, vocabulary and document frequency. */
    e = JC_ERR_NOMEM;
    docslots = calloc(n, sizeof *docslots);
    doclen = calloc(n, sizeof *doclen);
    X.n = n;
    X.ptr = calloc(n + 1, sizeof *X.ptr);
    X.y = calloc(n ? n : 1, sizeof *X.y);
    X.sq = calloc(n ? n : 1, sizeof *X.sq);
    size_t vcap = 1 << 16, V = 0;
    vtab = calloc(vcap, sizeof *vtab);
    size_t scap = vcap / 2;
    slots = malloc(scap * sizeof *slots);
    df = calloc(scap, sizeof *df);
    if (!docslots || !doclen || !X.ptr || !X.y || !X.sq || !vtab || !slots || !df) goto fail;
    size_t nnz = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = idx[i];
        X.y[i] = label_index(m->labels, K, d->label[r]);
        e = doc_counts(p, s, d->title[r], d->text[r]);
        if (e) {
            msgf(msg, msgsz, "row %zu: %s", r + 1,
                 e == JC_ERR_TOOBIG ? "text over the size cap"
                                    : "invalid text (bad UTF-8, or no letters at all)");
            goto fail;
        }
        e = JC_ERR_NOMEM;
        docslots[i] = malloc((s->v.n ? s->v.n : 1) * 2 * sizeof(uint32_t));
        if (!docslots[i]) goto fail;
        doclen[i] = s->v.n;
        nnz += s->v.n;
        for (size_t j = 0; j < s->v.n; j++) {
            uint32_t slot = s->v.f[j].slot;
            if (V * 2 >= vcap) { /* grow the vocabulary table */
                size_t nc = vcap * 2;
                uint32_t *nt = calloc(nc, sizeof *nt);
                uint32_t *ns = realloc(slots, nc / 2 * sizeof *ns);
                if (ns) slots = ns;
                uint32_t *nd = realloc(df, nc / 2 * sizeof *nd);
                if (nd) df = nd;
                if (!nt || !ns || !nd) {
                    free(nt);
                    goto fail;
                }
                for (size_t v = 0; v < V; v++) {
                    uint32_t q = slot_hash(slots[v]) & (uint32_t)(nc - 1);
                    while (nt[q]) q = (q + 1) & (uint32_t)(nc - 1);
                    nt[q] = (uint32_t)v + 1;
                }
                free(vtab);
                vtab = nt;
                vcap = nc;
            }
            uint32_t q = slot_hash(slot) & (uint32_t)(vcap - 1);
            while (vtab[q] && slots[vtab[q] - 1] != slot) q = (q + 1) & (uint32_t)(vcap - 1);
            if (!vtab[q]) {
                slots[V] = slot;
                df[V] = 0;
                vtab[q] = (uint32_t)(++V);
            }
            uint32_t col = vtab[q] - 1;
            df[col]++;
            docslots[i][2 * j] = col;
            memcpy(&docslots[i][2 * j + 1], &s->v.f[j].val, sizeof(float));
        }
    }

    /* The model rows: idf, weights. */
    m->nrows = (uint32_t)V;
    m->slots = malloc((V ? V : 1) * sizeof *m->slots);
    m->rows = calloc((V ? V : 1) * stride, sizeof *m->rows);
    m->bias = calloc((size_t)K, sizeof *m->bias);
    X.col = malloc((nnz ? nnz : 1) * sizeof *X.col);
    X.val = malloc((nnz ? nnz : 1) * sizeof *X.val);
    if (!m->slots || !m->rows || !m->bias || !X.col || !X.val) goto fail;
    memcpy(m->slots, slots, V * sizeof *slots);
    for (size_t v = 0; v < V; v++)
        m->rows[v * stride] = (float)(log((1.0 + (double)n) / (1.0 + df[v])) + 1.0);

    /* Pass 2: weighted, normalised rows (sorted by column for locality). */
    size_t q = 0;
    for (size_t i = 0; i < n; i++) {
        X.ptr[i] = q;
        double norm = 0;
        for (size_t j = 0; j < doclen[i]; j++) {
            uint32_t col = docslots[i][2 * j];
            float cnt;
            memcpy(&cnt, &docslots[i][2 * j + 1], sizeof cnt);
            float v = (p->sublinear_tf ? 1.0f + logf(cnt) : cnt) * m->rows[col * stride];
            X.col[q + j] = col;
            X.val[q + j] = v;
            norm += (double)v * v;
        }
        float inv = norm > 0 ? (float)(1.0 / sqrt(norm)) : 0;
        for (size_t j = 0; j < doclen[i]; j++) X.val[q + j] *= inv;
        X.sq[i] = norm > 0 ? 1.0f : 0.0f;
        q += doclen[i];
        free(docslots[i]);
        docslots[i] = NULL;
    }
    X.ptr[n] = q;

    if (p->algo == CLASSIFY_SVM) svm_train(&X, K, V, p, m->rows, m->bias);
    else if ((e = logreg_train(&X, K, V, p, m->rows, m->bias))) goto fail;
    if ((e = model_build_table(m))) goto fail;
    csr_free(&X);
    free(vtab), free(df), free(slots), free(docslots), free(doclen);
    classify_scratch_free(s);
    *out = m;
    return JC_OK;
fail:
    if (docslots)
        for (size_t i = 0; i < n; i++) free(docslots[i]);
    csr_free(&X);
    free(vtab), free(df), free(slots), free(docslots), free(doclen);
    classify_scratch_free(s);
    classify_free(m);
    if (e == JC_ERR_NOMEM) msgf(msg, msgsz, "out of memory");
    return e;
}

jc_err classify_train(const classify_data *d, const classify_params *p, classify_model **out,
                      char *msg, size_t msgsz) {
    size_t *idx = malloc((d->n ? d->n : 1) * sizeof *idx);
    if (!idx) return JC_ERR_NOMEM;
    for (size_t i = 0; i < d->n; i++) idx[i] = i;
    jc_err e = train_idx(d, idx, d->n, p, out, msg, msgsz);
    free(idx);
    return e;
}

void classify_free(classify_model *m) {
    if (!m) return;
    if (m->labels)
        for (int i = 0; i < m->K; i++) free(m->labels[i]);
    free(m->labels), free(m->slots), free(m->rows), free(m->bias), free(m->tab);
    free(m);
}

int classify_nlabels(const classify_model *m) { return m->K; }
const char *classify_label(const classify_model *m, int i) {
    return (i >= 0 && i < m->K) ? m->labels[i] : NULL;
}
int classify_bits(const classify_model *m) { return m->p.grams.bits; }
int64_t classify_created_ms(const classify_model *m) { return m->p.created_ms; }

/* ========================================================== prediction */

typedef struct {
    classify_gram *g;
    const uint32_t *slots; /* the chosen slots, parallel to g */
    int n;
    const text_opts *o;
} explain_ctx;

static void explain_gram(void *vctx, uint32_t slot, const uint32_t *cp, int len) {
    explain_ctx *x = vctx;
    for (int i = 0; i < x->n; i++)
        if (x->slots[i] == slot && !x->g[i].text[0])
            text_cp_to_utf8(cp, len, x->g[i].text, sizeof x->g[i].text);
}

static void explain(const classify_model *m, classify_scratch *s, int top, int want,
                    classify_pred *out) {
    size_t stride = (size_t)m->K + 1;
    uint32_t slots[CLASSIFY_MAX_GRAMS];
    classify_gram *g = out->grams;
    int n = 0;
    for (size_t j = 0; j < s->v.n; j++) {
        uint32_t r = s->rowidx[j];
        if (r == UINT32_MAX) continue;
        double c = (double)s->x[j] * m->rows[r * stride + 1 + (size_t)top];
        if (c <= 0) continue;
        if (n == want && c <= g[n - 1].weight) continue;
        int pos = n < want ? n++ : n - 1;
        while (pos > 0 && g[pos - 1].weight < c) {
            g[pos] = g[pos - 1];
            slots[pos] = slots[pos - 1];
            pos--;
        }
        g[pos].weight = c;
        g[pos].text[0] = 0;
        slots[pos] = s->v.f[j].slot;
    }
    text_opts o = m->p.grams;
    explain_ctx x = {g, slots, n, &o};
    o.ns = 0;
    if (s->tn) text_grams_cp(s->tcp, s->tn, &o, explain_gram, &x);
    text_grams_cp(s->bcp, s->bn, &o, explain_gram, &x);
    if (m->p.title_ns && s->tn) {
        o.ns = 1;
        text_grams_cp(s->tcp, s->tn, &o, explain_gram, &x);
    }
    /* The same gram may appear twice (title namespace): merge by text. */
    int k = 0;
    for (int i = 0; i < n; i++) {
        int dup = -1;
        for (int j = 0; j < k; j++)
            if (!strcmp(g[j].text, g[i].text)) dup = j;
        if (dup >= 0) g[dup].weight += g[i].weight;
        else g[k++] = g[i];
    }
    out->ngrams = k;
}

jc_err classify_predict(const classify_model *m, classify_scratch *scratch, const char *title,
                        const char *text, int k, int ngrams, classify_pred *out) {
    if (!m || !text || !out || k < 1 || k > CLASSIFY_MAX_TOP || ngrams < 0) return JC_ERR_INVALID;
    if (ngrams > CLASSIFY_MAX_GRAMS) ngrams = CLASSIFY_MAX_GRAMS;
    classify_scratch *s = scratch ? scratch : classify_scratch_new();
    if (!s) return JC_ERR_NOMEM;
    jc_err e = doc_counts(&m->p, s, title, text);
    if (e) goto out;
    size_t stride = (size_t)m->K + 1;
    for (size_t j = 0; j < s->v.n; j++) { /* look ahead: the table does not fit L1 */
        if (j + 8 < s->v.n)
            __builtin_prefetch(m->tab + 2 * (size_t)(slot_hash(s->v.f[j + 8].slot) & m->tmask));
        s->rowidx[j] = model_row(m, s->v.f[j].slot);
    }
    weigh(s, m->rows, stride, m->p.sublinear_tf);
    double *sc = s->scores;
    int K = m->K;
    for (int c = 0; c < K; c++) sc[c] = m->bias[c];
    for (size_t j = 0; j < s->v.n; j++) {
        uint32_t r = s->rowidx[j];
        if (r == UINT32_MAX) continue;
        const float *row = m->rows + r * stride + 1;
        float x = s->x[j];
        for (int c = 0; c < K; c++) sc[c] += (double)(row[c] * x);
    }
    double pr[CLASSIFY_MAX_LABELS];
    if (m->p.algo == CLASSIFY_SVM) /* margins live in about [-1, 1]: sharpen */
        for (int c = 0; c < K; c++) sc[c] *= SVM_SOFTMAX_SCALE;
    softmax(sc, K, pr);
    if (k > K) k = K;
    memset(out, 0, sizeof *out);
    for (int t = 0; t < k; t++) { /* selection: k is small */
        int best = -1;
        for (int c = 0; c < K; c++) {
            int taken = 0;
            for (int u = 0; u < t; u++) taken |= out->top[u].label == c;
            if (!taken && (best < 0 || pr[c] > pr[best])) best = c;
        }
        out->top[t].label = best;
        out->top[t].prob = pr[best];
    }
    out->ntop = k;
    if (ngrams) explain(m, s, out->top[0].label, ngrams, out);
out:
    if (s != scratch) classify_scratch_free(s);
    return e;
}

int classify_needs_human(const classify_pred *p, double threshold) {
    return p->ntop < 1 || p->top[0].prob < threshold;
}

/* ========================================================== model file */

static jc_err put(jc_buf *b, const void *p, size_t n) { return jc_buf_append(b, p, n); }
static jc_err put_u32(jc_buf *b, uint32_t v) {
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    return put(b, c, 4);
}
static jc_err put_u64(jc_buf *b, uint64_t v) {
    jc_err e = put_u32(b, (uint32_t)v);
    return e ? e : put_u32(b, (uint32_t)(v >> 32));
}
static jc_err put_f32(jc_buf *b, float f) {
    uint32_t v;
    memcpy(&v, &f, 4);
    return put_u32(b, v);
}

jc_err classify_serialize(const classify_model *m, unsigned char **buf, size_t *len) {
    jc_buf b;
    jc_buf_init(&b, CLASSIFY_MAX_FILE);
    const classify_params *p = &m->p;
    jc_err e = put(&b, MAGIC, sizeof MAGIC);
    uint32_t hdr[] = {CLASSIFY_FORMAT_VERSION, (uint32_t)p->algo, (uint32_t)p->grams.min_n,
                      (uint32_t)p->grams.max_n, (uint32_t)p->grams.bits,
                      (uint32_t)p->grams.fold_digits, (uint32_t)p->title_ns,
                      (uint32_t)p->sublinear_tf, (uint32_t)p->body_lead};
    for (size_t i = 0; !e && i < JC_ARRAY_LEN(hdr); i++) e = put_u32(&b, hdr[i]);
    if (!e) e = put_u64(&b, (uint64_t)p->created_ms);
    if (!e) e = put_u32(&b, (uint32_t)m->K);
    for (int i = 0; !e && i < m->K; i++) {
        size_t l = strlen(m->labels[i]);
        e = put_u32(&b, (uint32_t)l);
        if (!e) e = put(&b, m->labels[i], l);
    }
    if (!e) e = put_u32(&b, m->nrows);
    size_t stride = (size_t)m->K + 1;
    for (uint32_t r = 0; !e && r < m->nrows; r++) {
        e = put_u32(&b, m->slots[r]);
        for (size_t k = 0; !e && k < stride; k++) e = put_f32(&b, m->rows[r * stride + k]);
    }
    for (int k = 0; !e && k < m->K; k++) e = put_f32(&b, m->bias[k]);
    unsigned char sum[CHECKSUM_LEN];
    if (!e) {
        if (sodium_init() < 0) e = JC_ERR_INTERNAL;
        else {
            crypto_generichash(sum, sizeof sum, (const unsigned char *)b.data, b.len, NULL, 0);
            e = put(&b, sum, sizeof sum);
        }
    }
    if (e) {
        jc_buf_free(&b);
        return e;
    }
    *len = b.len;
    *buf = (unsigned char *)jc_buf_take(&b);
    return JC_OK;
}

jc_err classify_save(const classify_model *m, const char *path) {
    unsigned char *buf = NULL;
    size_t len = 0;
    jc_err e = classify_serialize(m, &buf, &len);
    if (e) return e;
    jc_buf tmp;
    jc_buf_init(&tmp, 4096);
    if ((e = jc_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid()))) {
        free(buf);
        return e;
    }
    FILE *f = fopen(tmp.data, "wb");
    e = JC_ERR_IO;
    if (f) {
        int ok = fwrite(buf, 1, len, f) == len;
        ok &= fflush(f) == 0;
        ok &= fsync(fileno(f)) == 0;
        ok &= fclose(f) == 0;
        if (ok && rename(tmp.data, path) == 0) e = JC_OK;
        else unlink(tmp.data);
    }
    jc_buf_free(&tmp);
    free(buf);
    return e;
}

typedef struct {
    const unsigned char *p;
    size_t n, off;
    int bad;
} reader;

static uint32_t get_u32(reader *r) {
    if (r->bad || r->n - r->off < 4) {
        r->bad = 1;
        return 0;
    }
    const unsigned char *c = r->p + r->off;
    r->off += 4;
    return (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
}
static float get_f32(reader *r) {
    uint32_t v = get_u32(r);
    float f;
    memcpy(&f, &v, 4);
    if (!isfinite(f)) r->bad = 1;
    return f;
}

jc_err classify_deserialize(const unsigned char *buf, size_t len, classify_model **out, char *msg,
                            size_t msgsz) {
    if (len < sizeof MAGIC + 4 || memcmp(buf, MAGIC, sizeof MAGIC)) {
        msgf(msg, msgsz, "not a jiceng classifier model (bad magic)");
        return JC_ERR_CORRUPT;
    }
    reader r = {buf, len, sizeof MAGIC, 0};
    uint32_t ver = get_u32(&r);
    if (ver != CLASSIFY_FORMAT_VERSION) {
        msgf(msg, msgsz, "model format version %u, this build reads version %d: retrain it", ver,
             CLASSIFY_FORMAT_VERSION);
        return JC_ERR_CORRUPT;
    }
    if (len < r.off + CHECKSUM_LEN) {
        msgf(msg, msgsz, "model file truncated");
        return JC_ERR_CORRUPT;
    }
    if (sodium_init() < 0) return JC_ERR_INTERNAL;
    unsigned char sum[CHECKSUM_LEN];
    crypto_generichash(sum, sizeof sum, buf, len - CHECKSUM_LEN, NULL, 0);
    if (sodium_memcmp(sum, buf + len - CHECKSUM_LEN, CHECKSUM_LEN) != 0) {
        msgf(msg, msgsz, "model checksum mismatch: the file is truncated or altered");
        return JC_ERR_CORRUPT;
    }
    r.n = len - CHECKSUM_LEN;
    classify_model *m = calloc(1, sizeof *m);
    if (!m) return JC_ERR_NOMEM;
    classify_params *p = &m->p;
    *p = classify_params_default();
    p->algo = (classify_algo)get_u32(&r);
    p->grams.min_n = (int)get_u32(&r);
    p->grams.max_n = (int)get_u32(&r);
    p->grams.bits = (int)get_u32(&r);
    p->grams.fold_digits = (int)get_u32(&r);
    p->title_ns = (int)get_u32(&r);
    p->sublinear_tf = (int)get_u32(&r);
    p->body_lead = (int)get_u32(&r);
    uint64_t lo = get_u32(&r), hi = get_u32(&r);
    p->created_ms = (int64_t)(lo | hi << 32);
    uint32_t K = get_u32(&r);
    jc_err e = JC_ERR_CORRUPT;
    if (r.bad || !valid_params(p) || K < 2 || K > CLASSIFY_MAX_LABELS) goto bad;
    m->K = (int)K;
    if (!(m->labels = calloc(K, sizeof *m->labels))) goto nomem;
    for (uint32_t i = 0; i < K; i++) {
        uint32_t l = get_u32(&r);
        if (r.bad || l > r.n - r.off || l > 4096) goto bad;
        if (!(m->labels[i] = malloc(l + 1))) goto nomem;
        memcpy(m->labels[i], r.p + r.off, l);
        m->labels[i][l] = 0;
        r.off += l;
        if (!jc_utf8_valid(m->labels[i], l)) goto bad;
    }
    m->nrows = get_u32(&r);
    size_t stride = (size_t)K + 1;
    if (r.bad || m->nrows > (1u << p->grams.bits) ||
        (size_t)m->nrows * (4 + 4 * stride) > r.n - r.off)
        goto bad;
    m->slots = malloc((m->nrows ? m->nrows : 1) * sizeof *m->slots);
    m->rows = malloc((m->nrows ? m->nrows : 1) * stride * sizeof *m->rows);
    m->bias = malloc(K * sizeof *m->bias);
    if (!m->slots || !m->rows || !m->bias) goto nomem;
    for (uint32_t i = 0; i < m->nrows; i++) {
        m->slots[i] = get_u32(&r);
        if (m->slots[i] >> p->grams.bits) r.bad = 1;
        for (size_t k = 0; k < stride; k++) m->rows[i * stride + k] = get_f32(&r);
    }
    for (uint32_t k = 0; k < K; k++) m->bias[k] = get_f32(&r);
    if (r.bad || r.off != r.n) goto bad;
    e = model_build_table(m);
    if (e == JC_ERR_CORRUPT) goto bad;
    if (e) goto nomem;
    *out = m;
    return JC_OK;
bad:
    msgf(msg, msgsz, "model file is malformed");
    classify_free(m);
    return JC_ERR_CORRUPT;
nomem:
    msgf(msg, msgsz, "out of memory");
    classify_free(m);
    return JC_ERR_NOMEM;
}

jc_err classify_load(const char *path, classify_model **out, char *msg, size_t msgsz) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        msgf(msg, msgsz, "cannot open %s: %s", path, strerror(errno));
        return JC_ERR_IO;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        msgf(msg, msgsz, "cannot stat %s", path);
        return JC_ERR_IO;
    }
    if ((size_t)st.st_size > CLASSIFY_MAX_FILE) {
        fclose(f);
        msgf(msg, msgsz, "%s is larger than %zu bytes", path, CLASSIFY_MAX_FILE);
        return JC_ERR_TOOBIG;
    }
    size_t len = (size_t)st.st_size;
    unsigned char *buf = malloc(len ? len : 1);
    if (!buf) {
        fclose(f);
        return JC_ERR_NOMEM;
    }
    size_t got = fread(buf, 1, len, f);
    fclose(f);
    if (got != len) {
        free(buf);
        msgf(msg, msgsz, "read error on %s", path);
        return JC_ERR_IO;
    }
    jc_err e = classify_deserialize(buf, len, out, msg, msgsz);
    free(buf);
    return e;
}

/* ========================================================== evaluation */

void classify_report_free(classify_report *r) {
    if (!r) return;
    if (r->labels)
        for (int i = 0; i < r->nlabels; i++) free(r->labels[i]);
    free(r->labels), free(r->precision), free(r->recall), free(r->f1), free(r->support);
    memset(r, 0, sizeof *r);
}

void classify_folds(size_t n, int k, uint64_t seed, int *folds) {
    size_t *perm = malloc((n ? n : 1) * sizeof *perm);
    if (!perm) { /* fall back to a plain round robin */
        for (size_t i = 0; i < n; i++) folds[i] = (int)(i % (size_t)k);
        return;
    }
    for (size_t i = 0; i < n; i++) perm[i] = i;
    uint64_t st = seed;
    shuffle(perm, n, &st);
    for (size_t i = 0; i < n; i++) folds[perm[i]] = (int)(i % (size_t)k);
    free(perm);
}

/* Accumulates true/predicted label pairs (indices into rep labels). */
typedef struct {
    size_t *tp, *fp, *fn;
} tally;

static void report_finish(classify_report *r, const tally *t) {
    double sum = 0;
    int used = 0;
    for (int i = 0; i < r->nlabels; i++) {
        double p = t->tp[i] + t->fp[i] ? (double)t->tp[i] / (double)(t->tp[i] + t->fp[i]) : 0;
        double c = t->tp[i] + t->fn[i] ? (double)t->tp[i] / (double)(t->tp[i] + t->fn[i]) : 0;
        r->precision[i] = p;
        r->recall[i] = c;
        r->f1[i] = p + c > 0 ? 2 * p * c / (p + c) : 0;
        r->support[i] = t->tp[i] + t->fn[i];
        if (t->tp[i] + t->fp[i] + t->fn[i]) {
            sum += r->f1[i];
            used++;
        }
    }
    r->accuracy = r->n ? (double)r->correct / (double)r->n : 0;
    r->macro_f1 = used ? sum / used : 0;
}

/* Sets up r with the sorted distinct labels of the labelled rows of a and b. */
static jc_err report_init(classify_report *r, const classify_data *a, const classify_data *b,
                          tally *t) {
    memset(r, 0, sizeof *r);
    size_t n = a->n + (b ? b->n : 0), m = 0;
    char **tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp) return JC_ERR_NOMEM;
    for (size_t i = 0; i < a->n; i++)
        if (a->label[i]) tmp[m++] = a->label[i];
    for (size_t i = 0; b && i < b->n; i++)
        if (b->label[i]) tmp[m++] = b->label[i];
    qsort(tmp, m, sizeof *tmp, cmp_str);
    int k = 0;
    for (size_t i = 0; i < m; i++)
        if (i == 0 || strcmp(tmp[i], tmp[i - 1])) tmp[k++] = tmp[i];
    r->nlabels = k;
    r->labels = calloc((size_t)(k ? k : 1), sizeof *r->labels);
    r->precision = calloc((size_t)(k ? k : 1), sizeof(double));
    r->recall = calloc((size_t)(k ? k : 1), sizeof(double));
    r->f1 = calloc((size_t)(k ? k : 1), sizeof(double));
    r->support = calloc((size_t)(k ? k : 1), sizeof(size_t));
    t->tp = calloc((size_t)(k ? k : 1), sizeof(size_t));
    t->fp = calloc((size_t)(k ? k : 1), sizeof(size_t));
    t->fn = calloc((size_t)(k ? k : 1), sizeof(size_t));
    jc_err e = (r->labels && r->precision && r->recall && r->f1 && r->support && t->tp && t->fp &&
                t->fn)
                   ? JC_OK
                   : JC_ERR_NOMEM;
    for (int i = 0; !e && i < k; i++)
        if (!(r->labels[i] = jc_strdup(tmp[i]))) e = JC_ERR_NOMEM;
    free(tmp);
    return e;
}

static void tally_free(tally *t) { free(t->tp), free(t->fp), free(t->fn); }

/* Scores rows idx[0..n) of d with m into r/t. */
static jc_err score_rows(const classify_model *m, const classify_data *d, const size_t *idx,
                         size_t n, classify_report *r, tally *t, char *msg, size_t msgsz) {
    classify_scratch *s = classify_scratch_new();
    if (!s) return JC_ERR_NOMEM;
    jc_err e = JC_OK;
    for (size_t i = 0; i < n && !e; i++) {
        size_t row = idx ? idx[i] : i;
        if (!d->label[row]) continue;
        classify_pred pr;
        e = classify_predict(m, s, d->title[row], d->text[row], 1, 0, &pr);
        if (e) {
            msgf(msg, msgsz, "row %zu: cannot classify (%s)", row + 1, jc_err_code(e));
            break;
        }
        int truth = label_index(r->labels, r->nlabels, d->label[row]);
        int pred = label_index(r->labels, r->nlabels, classify_label(m, pr.top[0].label));
        r->n++;
        if (truth == pred) {
            r->correct++;
            t->tp[truth]++;
        } else {
            t->fn[truth]++;
            if (pred >= 0) t->fp[pred]++;
        }
    }
    classify_scratch_free(s);
    return e;
}

jc_err classify_eval_folds(const classify_data *d, const classify_params *p, int k,
                           const int *folds, classify_report *r, char *msg, size_t msgsz) {
    if (k < 2 || (size_t)k > d->n) {
        msgf(msg, msgsz, "need 2 <= folds <= rows (%zu)", d->n);
        return JC_ERR_INVALID;
    }
    int *own = NULL;
    if (!folds) {
        if (!(own = malloc(d->n * sizeof *own))) return JC_ERR_NOMEM;
        classify_folds(d->n, k, p->seed, own);
        folds = own;
    }
    tally t = {0};
    size_t *tr = malloc(d->n * sizeof *tr), *te = malloc(d->n * sizeof *te);
    jc_err e = (tr && te) ? report_init(r, d, NULL, &t) : JC_ERR_NOMEM;
    for (int f = 0; f < k && !e; f++) {
        size_t ntr = 0, nte = 0;
        for (size_t i = 0; i < d->n; i++) {
            if (!d->label[i]) continue;
            if (folds[i] == f) te[nte++] = i;
            else tr[ntr++] = i;
        }
        classify_model *m = NULL;
        e = train_idx(d, tr, ntr, p, &m, msg, msgsz);
        if (!e) e = score_rows(m, d, te, nte, r, &t, msg, msgsz);
        classify_free(m);
    }
    if (!e) report_finish(r, &t);
    else classify_report_free(r);
    tally_free(&t);
    free(tr), free(te), free(own);
    return e;
}

jc_err classify_eval_split(const classify_data *train, const classify_data *test,
                           const classify_params *p, classify_report *r, char *msg,
                           size_t msgsz) {
    tally t = {0};
    jc_err e = report_init(r, train, test, &t);
    classify_model *m = NULL;
    if (!e) e = classify_train(train, p, &m, msg, msgsz);
    if (!e) e = score_rows(m, test, NULL, test->n, r, &t, msg, msgsz);
    classify_free(m);
    if (!e) report_finish(r, &t);
    else classify_report_free(r);
    tally_free(&t);
    return e;
}
