/*
 * eval_inc.c -- the incremental counters of evaluation and what they share
 * with eval.c, on either backend (eval_store.h's row operations): the
 * settings, the calendar, the scans of cases, per-case facts (packed) and
 * the per unit and month counters they add to, the monthly recomputation.
 *
 *  eval_config    key -> value settings (w_basic, min_cases, grade.A ...,
 *                 dispatch_limit_h, weight.<indicator>).
 *  eval_facts     the last facts computed for a case (a packed blob), so an
 *                 event applies only the difference to the counters.
 *  eval_counters  per (month, unit, indicator) numerator and denominator;
 *                 indicator -1 counts the unit's cases.
 */
#include "calendar.h"
#include "eval.h"
#include "eval_store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void eval__params_default(eval_params *p);
jc_err eval__table_finish(eval_table *t, jc_conn *c);

/* ---- settings ------------------------------------------------------------------ */

int eval_params_set(eval_params *p, const char *k, double v) {
    if (!strcmp(k, "w_basic")) p->w_basic = v;
    else if (!strcmp(k, "min_cases")) p->min_cases = (int)v;
    else if (!strcmp(k, "dispatch_limit_h")) p->dispatch_limit_h = v;
    else if (!strncmp(k, "grade.", 6) && k[6] >= 'A' && k[6] <= 'D' && !k[7]) p->grade[k[6] - 'A'] = v;
    else if (!strncmp(k, "weight.", 7)) {
        for (int i = 0; i < IND__COUNT; i++)
            if (!strcmp(k + 7, eval_ind[i].name)) {
                p->weight[i] = v;
                return 1;
            }
        return 0;
    } else return 0;
    return 1;
}

static void param_cb(const char *key, double value, void *arg) {
    eval_params_set(arg, key, value); /* unknown keys are ignored */
}

jc_err eval_params_load(jc_conn *c, eval_params *p) {
    eval__params_default(p);
    const eval_store_ops *ops = eval_store(c);
    return ops ? ops->config_each(c, param_cb, p) : JC_ERR_DB;
}

jc_err eval_params_put(jc_conn *w, const char *key, double value) {
    const eval_store_ops *ops = eval_store(w);
    return ops ? ops->config_put(w, key, value) : JC_ERR_DB;
}

/* ---- calendar ----------------------------------------------------------------------- */

static pthread_mutex_t cal_mu = PTHREAD_MUTEX_INITIALIZER;
static calendar *cal_cached;

static void cal_day(int ymd, const char *kind, const char *name, void *arg) {
    if (calendar_override(arg, ymd, kind && !strcmp(kind, "workday") ? CALENDAR_SET_WORKDAY : CALENDAR_SET_HOLIDAY,
                          name))
        jc_log(JC_LOG_WARN, "eval: calendar override %d ignored", ymd);
}

const struct calendar *eval__calendar(jc_conn *c) {
    pthread_mutex_lock(&cal_mu);
    if (!cal_cached && calendar_new(&cal_cached) == JC_OK) {
        /* Staff corrections of the official calendar (dispatch's table). */
        const eval_store_ops *ops = eval_store(c);
        if (ops) (void)ops->calendar_days(c, cal_day, cal_cached);
    }
    pthread_mutex_unlock(&cal_mu);
    return cal_cached;
}

/* ---- loading cases ----------------------------------------------------------------- */

struct eval_inc {
    jc_conn *c;
    const eval_store_ops *ops;
    eval_params p; /* loaded when the handle is opened */
};

jc_err eval_inc_open(jc_conn *w, eval_inc **out) {
    const eval_store_ops *ops = eval_store(w);
    if (!ops) return JC_ERR_DB;
    eval_inc *inc = calloc(1, sizeof *inc);
    if (!inc) return JC_ERR_NOMEM;
    inc->c = w;
    inc->ops = ops;
    jc_err pe = eval_params_load(w, &inc->p);
    if (pe) {
        free(inc);
        return pe;
    }
    *out = inc;
    return JC_OK;
}

void eval_inc_close(eval_inc *inc) { free(inc); }

jc_err eval__scan(jc_conn *c, int64_t t0, int64_t t1, int64_t only_id,
                  void (*cb)(const ev_case *k, void *arg), void *arg) {
    const eval_store_ops *ops = eval_store(c);
    return ops ? ops->scan(c, t0, t1, only_id, NULL, 0, cb, arg) : JC_ERR_DB;
}

jc_err eval__unit_name(jc_conn *c, const char *key, char *out, size_t outsz) {
    out[0] = 0;
    if (!strchr(key, ':')) return JC_ERR_INVALID;
    const eval_store_ops *ops = eval_store(c);
    return ops ? ops->unit_name(c, key, out, outsz) : JC_ERR_DB;
}

/* ---- facts of a case, packed ------------------------------------------------------- */

typedef struct {
    uint8_t kind;
    int8_t ind; /* -1: the unit's case count */
    char key[46];
    double num, den;
} packed_fact;

#define MAX_FACTS 256
typedef struct {
    packed_fact f[MAX_FACTS];
    int n;
} fact_set;

static void set_add(fact_set *fs, ev_kind kind, const char *key, int ind, double num, double den) {
    for (int i = 0; i < fs->n; i++)
        if (fs->f[i].ind == ind && !strcmp(fs->f[i].key, key)) {
            fs->f[i].num += num;
            fs->f[i].den += den;
            return;
        }
    if (fs->n == MAX_FACTS) return;
    packed_fact *f = &fs->f[fs->n++];
    memset(f, 0, sizeof *f);
    f->kind = (uint8_t)kind;
    f->ind = (int8_t)ind;
    snprintf(f->key, sizeof f->key, "%s", key);
    f->num = num;
    f->den = den;
}

/* The stored form of a fact set (eval_facts.facts): the byte FACTS_V3, then
 * per fact its kind, indicator, a byte saying how num and den are written,
 * the key: its length and bytes the first time, later the byte 0x80 | k for
 * the k-th distinct key of the blob, then num and den where they are not 0,
 * 1 or -1 (8 bytes each).  A dispatched case's facts name its department,
 * community and street 4-8 times each: ~170 bytes where FACTS_V2 (every key
 * spelled out, still read) took ~370 and the first form (the packed_fact
 * array itself, still read) 576 and more. */
#define FACTS_V2 0xFE
#define FACTS_V3 0xFD
#define FACTS_KEY_REF 0x80
#define FACTS_MAX_KEYS 128
#define FACTS_MAX_BYTES (1 + MAX_FACTS * (4 + sizeof ((packed_fact *)0)->key + 16))
_Static_assert(EVAL_FACTS_MAX >= FACTS_MAX_BYTES, "eval.h's EVAL_FACTS_MAX holds a packed fact set");

static unsigned value_code(double v) { return v == 0 ? 0 : v == 1 ? 1 : v == -1 ? 2 : 3; }

static size_t facts_pack(const fact_set *fs, unsigned char *out) {
    size_t n = 0;
    int keys[FACTS_MAX_KEYS], nkeys = 0; /* the facts whose key was spelled out */
    out[n++] = FACTS_V3;
    for (int i = 0; i < fs->n; i++) {
        const packed_fact *f = &fs->f[i];
        size_t kl = strnlen(f->key, sizeof f->key - 1);
        unsigned cn = value_code(f->num), cd = value_code(f->den);
        out[n++] = f->kind;
        out[n++] = (unsigned char)f->ind;
        out[n++] = (unsigned char)(cn | cd << 2);
        int ref = -1;
        for (int k = 0; k < nkeys && ref < 0; k++)
            if (!strcmp(fs->f[keys[k]].key, f->key)) ref = k;
        if (ref >= 0) {
            out[n++] = (unsigned char)(FACTS_KEY_REF | ref);
        } else {
            if (nkeys < FACTS_MAX_KEYS) keys[nkeys++] = i;
            out[n++] = (unsigned char)kl;
            memcpy(out + n, f->key, kl);
            n += kl;
        }
        if (cn == 3) memcpy(out + n, &f->num, 8), n += 8;
        if (cd == 3) memcpy(out + n, &f->den, 8), n += 8;
    }
    return n;
}

static int value_read(unsigned code, const unsigned char *p, size_t len, size_t *at, double *v) {
    static const double known[3] = {0, 1, -1};
    if (code < 3) {
        *v = known[code];
        return 0;
    }
    if (*at + 8 > len) return -1;
    memcpy(v, p + *at, 8);
    *at += 8;
    return 0;
}

/* fs from a stored blob of either form; -1 (fs empty) when it is not one. */
static int facts_unpack(const unsigned char *p, size_t len, fact_set *fs) {
    fs->n = 0;
    if (!p || !len) return 0;
    if (p[0] != FACTS_V2 && p[0] != FACTS_V3) {
        if (len % sizeof(packed_fact) || len > sizeof fs->f) return -1;
        memcpy(fs->f, p, len);
        fs->n = (int)(len / sizeof(packed_fact));
        return 0;
    }
    int refs = p[0] == FACTS_V3, keys[FACTS_MAX_KEYS], nkeys = 0;
    for (size_t at = 1; at < len;) {
        if (fs->n == MAX_FACTS || at + 4 > len) goto bad;
        packed_fact *f = &fs->f[fs->n];
        memset(f, 0, sizeof *f);
        f->kind = p[at];
        f->ind = (int8_t)p[at + 1];
        unsigned codes = p[at + 2];
        size_t kl = p[at + 3];
        at += 4;
        if (refs && kl & FACTS_KEY_REF) {
            if ((int)(kl & ~FACTS_KEY_REF) >= nkeys) goto bad;
            memcpy(f->key, fs->f[keys[kl & ~FACTS_KEY_REF]].key, sizeof f->key);
        } else {
            if (kl >= sizeof f->key || at + kl > len) goto bad;
            memcpy(f->key, p + at, kl);
            at += kl;
            if (refs && nkeys < FACTS_MAX_KEYS) keys[nkeys++] = fs->n;
        }
        if (value_read(codes & 3, p, len, &at, &f->num) || value_read(codes >> 2 & 3, p, len, &at, &f->den))
            goto bad;
        fs->n++;
    }
    return 0;
bad:
    fs->n = 0;
    return -1;
}

static void set_emit(void *ctx, ev_kind kind, const char *key, ev_ind ind, int64_t case_id, double num,
                     double den) {
    (void)case_id;
    fact_set *fs = ctx;
    set_add(fs, kind, key, -1, 0, 0); /* makes the unit's case count row exist */
    set_add(fs, kind, key, (int)ind, num, den);
}

static void set_finish(fact_set *fs) {
    for (int i = 0; i < fs->n; i++)
        if (fs->f[i].ind == -1) fs->f[i].num = 1;
}

typedef struct {
    eval_params p;
    const struct calendar *cal;
    int64_t as_of;
    fact_set fs;
    int found;
    int64_t created;
} one_case;

static void one_cb(const ev_case *k, void *arg) {
    one_case *o = arg;
    o->found = 1;
    o->created = k->created;
    eval__case_facts(k, &o->p, o->cal, o->as_of, set_emit, &o->fs);
    set_finish(&o->fs);
}

static void month_of(int64_t ms, char out[8]) {
    char b[40];
    jc_fmt_local(ms, b, sizeof b);
    snprintf(out, 8, "%.7s", b);
}

/* Counter changes of a batch of cases, summed by (month, unit, indicator)
 * and written once at the end: a batch of cases of the same units touches
 * each counter row once. */
#define AGG_CAP 1024
typedef struct {
    char month[8];
    packed_fact f;
    int used;
} agg_slot;
typedef struct {
    agg_slot s[AGG_CAP];
    int n;
} agg;

static jc_err counter_write(eval_inc *inc, const char *month, const packed_fact *f) {
    return inc->ops->counter_add(inc->c, month, f->key, f->ind, f->num, f->den);
}

static jc_err agg_flush(eval_inc *inc, agg *a) {
    jc_err e = JC_OK;
    for (int i = 0; i < AGG_CAP; i++) {
        agg_slot *sl = &a->s[i];
        if (!sl->used) continue;
        if (!e && (sl->f.num != 0 || sl->f.den != 0)) e = counter_write(inc, sl->month, &sl->f);
        sl->used = 0;
    }
    a->n = 0;
    return e;
}

static jc_err counter_add(eval_inc *inc, agg *a, const char *month, const packed_fact *f, double sign) {
    uint64_t h = 1469598103934665603ULL;
    for (const char *c = month; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    for (const char *c = f->key; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    h = (h ^ (uint8_t)f->ind) * 1099511628211ULL;
    for (size_t i = h & (AGG_CAP - 1);; i = (i + 1) & (AGG_CAP - 1)) {
        agg_slot *sl = &a->s[i];
        if (!sl->used) {
            if (a->n * 4 >= AGG_CAP * 3) {
                jc_err e = agg_flush(inc, a);
                if (e) return e;
                return counter_add(inc, a, month, f, sign);
            }
            sl->used = 1;
            a->n++;
            snprintf(sl->month, sizeof sl->month, "%s", month);
            sl->f = *f;
            sl->f.num = sign * f->num;
            sl->f.den = sign * f->den;
            return JC_OK;
        }
        if (sl->f.ind == f->ind && !strcmp(sl->month, month) && !strcmp(sl->f.key, f->key)) {
            sl->f.num += sign * f->num;
            sl->f.den += sign * f->den;
            return JC_OK;
        }
    }
}

/* Stores the facts of case_id (packed) for month. */
static jc_err facts_put(eval_inc *inc, int64_t case_id, const char *month, const fact_set *fs) {
    static __thread unsigned char packed[FACTS_MAX_BYTES];
    return inc->ops->facts_put(inc->c, case_id, month, packed, facts_pack(fs, packed));
}

/* Applies the facts of one case (o: as found by a scan, o->found = 0 when
 * the case is gone) against its stored facts. */
static jc_err apply_case(eval_inc *inc, agg *a, int64_t case_id, const one_case *o) {
    static __thread fact_set old;
    old.n = 0;
    char month[8] = "";
    static __thread unsigned char stored[FACTS_MAX_BYTES];
    size_t len = 0;
    jc_err e = inc->ops->facts_get(inc->c, case_id, month, stored, sizeof stored, &len);
    if (e) return e;
    if (len) facts_unpack(stored, len, &old);
    if (!o->found) {
        /* The case is gone: take its facts out. */
        for (int i = 0; i < old.n; i++)
            if ((e = counter_add(inc, a, month, &old.f[i], -1))) return e;
        return JC_OK;
    }
    char newmonth[8];
    month_of(o->created, newmonth);
    /* Apply the difference. */
    for (int i = 0; i < o->fs.n; i++) {
        packed_fact d = o->fs.f[i];
        for (int j = 0; j < old.n; j++)
            if (old.f[j].ind == d.ind && !strcmp(old.f[j].key, d.key)) {
                d.num -= old.f[j].num;
                d.den -= old.f[j].den;
                break;
            }
        if ((d.num != 0 || d.den != 0) && (e = counter_add(inc, a, newmonth, &d, 1))) return e;
    }
    for (int j = 0; j < old.n; j++) {
        int still = 0;
        for (int i = 0; i < o->fs.n && !still; i++)
            still = old.f[j].ind == o->fs.f[i].ind && !strcmp(old.f[j].key, o->fs.f[i].key);
        if (!still && (e = counter_add(inc, a, newmonth, &old.f[j], -1))) return e;
    }
    return facts_put(inc, case_id, newmonth, &o->fs);
}

jc_err eval_inc_event(eval_inc *inc, int64_t case_id, int64_t now_ms) {
    return eval_inc_events(inc, &case_id, 1, now_ms);
}

/* The batch of eval_inc_events: the cases of a scan are applied as the
 * scan delivers them. */
typedef struct {
    eval_inc *inc;
    agg *a;
    one_case *o;
    const int64_t *ids;
    size_t n;
    unsigned char *seen;
    size_t pos; /* cursor into ids */
    jc_err e;
} batch;

static void batch_cb(const ev_case *k, void *arg) {
    batch *b = arg;
    if (b->e) return;
    /* the scan delivers only the asked ids, in increasing order */
    while (b->pos < b->n && b->ids[b->pos] < k->id) b->pos++;
    if (b->pos < b->n && b->ids[b->pos] == k->id) b->seen[b->pos] = 1;
    one_case *o = b->o;
    o->fs.n = 0;
    one_cb(k, o);
    b->e = apply_case(b->inc, b->a, k->id, o);
}

static int cmp_i64(const void *x, const void *y) {
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

jc_err eval_inc_events(eval_inc *inc, int64_t *ids, size_t n, int64_t now_ms) {
    if (!n) return JC_OK;
    qsort(ids, n, sizeof *ids, cmp_i64);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (!u || ids[u - 1] != ids[i]) ids[u++] = ids[i];
    n = u;
    static __thread one_case o;
    static __thread agg a;
    static __thread unsigned char seen[4096];
    o.as_of = now_ms;
    o.cal = eval__calendar(inc->c);
    o.p = inc->p;
    jc_err e = JC_OK;
    /* Runs of ids close together are read with one range scan per table;
     * a lone id costs the same as before. */
    for (size_t i = 0; i < n && !e;) {
        size_t j = i + 1;
        while (j < n && j - i < sizeof seen && ids[j] - ids[i] <= (int64_t)(8 * (j - i + 1))) j++;
        memset(seen, 0, j - i);
        batch b = {.inc = inc, .a = &a, .o = &o, .ids = ids + i, .n = j - i, .seen = seen};
        e = inc->ops->scan(inc->c, 0, 0, 0, ids + i, j - i, batch_cb, &b);
        if (!e) e = b.e;
        for (size_t k = 0; k < j - i && !e; k++)
            if (!seen[k]) {
                o.fs.n = 0;
                o.found = 0;
                e = apply_case(inc, &a, ids[i + k], &o);
            }
        i = j;
    }
    jc_err fe = agg_flush(inc, &a);
    return e ? e : fe;
}

jc_err eval_on_event(jc_conn *w, int64_t case_id, int64_t now_ms) {
    eval_inc *inc;
    jc_err e = eval_inc_open(w, &inc);
    if (e) return e;
    e = eval_inc_event(inc, case_id, now_ms);
    eval_inc_close(inc);
    return e;
}

/* ---- monthly recomputation ---------------------------------------------------------- */

typedef struct {
    eval_inc *inc;
    eval_params p;
    const struct calendar *cal;
    int64_t as_of;
    const char *month;
    fact_set fs;
    /* month totals, summed in memory and written once */
    packed_fact *tot;
    size_t ntot, cap;
    int *slots;
    size_t nslots;
    jc_err err;
} recompute_ctx;

static uint64_t fhash(const char *key, int ind) {
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)(ind + 7);
    for (; *key; key++) h = (h ^ (unsigned char)*key) * 1099511628211ULL;
    return h;
}

static int tot_add(recompute_ctx *r, const packed_fact *f) {
    if (r->ntot * 2 >= r->nslots) {
        size_t ns = r->nslots ? r->nslots * 2 : 1024;
        int *sl = calloc(ns, sizeof *sl);
        if (!sl) return -1;
        for (size_t i = 0; i < r->ntot; i++) {
            size_t h = fhash(r->tot[i].key, r->tot[i].ind) & (ns - 1);
            while (sl[h]) h = (h + 1) & (ns - 1);
            sl[h] = (int)i + 1;
        }
        free(r->slots);
        r->slots = sl;
        r->nslots = ns;
    }
    size_t h = fhash(f->key, f->ind) & (r->nslots - 1);
    while (r->slots[h]) {
        packed_fact *t = &r->tot[r->slots[h] - 1];
        if (t->ind == f->ind && !strcmp(t->key, f->key)) {
            t->num += f->num;
            t->den += f->den;
            return 0;
        }
        h = (h + 1) & (r->nslots - 1);
    }
    if (r->ntot == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 1024;
        packed_fact *nt = realloc(r->tot, nc * sizeof *nt);
        if (!nt) return -1;
        r->tot = nt;
        r->cap = nc;
    }
    r->tot[r->ntot] = *f;
    r->slots[h] = (int)++r->ntot;
    return 0;
}

static void recompute_cb(const ev_case *k, void *arg) {
    recompute_ctx *r = arg;
    if (r->err) return;
    r->fs.n = 0;
    eval__case_facts(k, &r->p, r->cal, r->as_of, set_emit, &r->fs);
    set_finish(&r->fs);
    for (int i = 0; i < r->fs.n; i++)
        if (tot_add(r, &r->fs.f[i])) {
            r->err = JC_ERR_NOMEM;
            return;
        }
    jc_err e = facts_put(r->inc, k->id, r->month, &r->fs);
    if (e) r->err = e;
}

/* ---- a recomputation fed case by case (eval.h's eval_acc) ---------------------------- */

struct eval_acc {
    eval_params p;
    const struct calendar *cal;
    int64_t as_of;
    recompute_ctx *m; /* one per month, its totals */
    char (*month)[8];
    size_t nm;
};

jc_err eval_acc_open(jc_conn *c, int64_t as_of, eval_acc **out) {
    eval_acc *a = calloc(1, sizeof *a);
    if (!a) return JC_ERR_NOMEM;
    jc_err e = eval_params_load(c, &a->p);
    if (e) {
        free(a);
        return e;
    }
    a->cal = eval__calendar(c);
    a->as_of = as_of;
    *out = a;
    return JC_OK;
}

void eval_acc_free(eval_acc *a) {
    if (!a) return;
    for (size_t i = 0; i < a->nm; i++) free(a->m[i].tot), free(a->m[i].slots);
    free(a->m);
    free(a->month);
    free(a);
}

/* month's totals in a (made when new); NULL out of memory. */
static recompute_ctx *acc_month(eval_acc *a, const char *month) {
    for (size_t i = 0; i < a->nm; i++)
        if (!strcmp(a->month[i], month)) return &a->m[i];
    recompute_ctx *m = realloc(a->m, (a->nm + 1) * sizeof *m);
    if (!m) return NULL;
    a->m = m;
    char(*mo)[8] = realloc(a->month, (a->nm + 1) * sizeof *mo);
    if (!mo) return NULL;
    a->month = mo;
    memset(&a->m[a->nm], 0, sizeof a->m[a->nm]);
    snprintf(a->month[a->nm], sizeof a->month[a->nm], "%s", month);
    return &a->m[a->nm++];
}

size_t eval_acc_facts(const eval_acc *a, const ev_case *k, unsigned char *out, char month[8]) {
    static __thread fact_set fs;
    fs.n = 0;
    eval__case_facts(k, &a->p, a->cal, a->as_of, set_emit, &fs);
    set_finish(&fs);
    month_of(k->created, month);
    return facts_pack(&fs, out);
}

jc_err eval_acc_add(eval_acc *a, const char *month, const unsigned char *facts, size_t len) {
    static __thread fact_set fs;
    recompute_ctx *m = acc_month(a, month);
    if (!m) return JC_ERR_NOMEM;
    if (facts_unpack(facts, len, &fs)) return JC_ERR_INVALID;
    for (int i = 0; i < fs.n; i++)
        if (tot_add(m, &fs.f[i])) return JC_ERR_NOMEM;
    return JC_OK;
}

/* The recomputation of a month's cases as they are in the store, their
 * facts written and their totals summed into r (r->inc and r->as_of set). */
static jc_err month_scan(jc_conn *w, recompute_ctx *r, const char *month) {
    int64_t t0, t1;
    if (!month || strlen(month) != 7 || eval_period_parse(month, &t0, &t1)) return JC_ERR_INVALID;
    const eval_store_ops *ops = eval_store(w);
    if (!ops) return JC_ERR_DB;
    jc_err e = ops->month_clear(w, month);
    if (e) return e;
    r->cal = eval__calendar(w);
    r->month = month;
    if (!(e = eval_params_load(w, &r->p))) e = ops->scan(w, t0, t1, 0, NULL, 0, recompute_cb, r);
    return e ? e : r->err;
}

jc_err eval_acc_month(eval_acc *a, jc_conn *w, const char *month) {
    recompute_ctx *m = acc_month(a, month);
    if (!m) return JC_ERR_NOMEM;
    jc_err e = eval_inc_open(w, &m->inc);
    if (e) return e;
    m->as_of = a->as_of;
    e = month_scan(w, m, a->month[m - a->m]);
    eval_inc_close(m->inc);
    m->inc = NULL;
    return e;
}

jc_err eval_acc_write(eval_acc *a, jc_conn *w) {
    eval_inc *inc = NULL;
    jc_err e = eval_inc_open(w, &inc);
    for (size_t i = 0; !e && i < a->nm; i++)
        for (size_t j = 0; !e && j < a->m[i].ntot; j++) e = counter_write(inc, a->month[i], &a->m[i].tot[j]);
    eval_inc_close(inc);
    return e;
}

jc_err eval_recompute_month(jc_conn *w, const char *month, int64_t as_of) {
    static recompute_ctx r; /* the writer is one thread; fact_set is large */
    memset(&r, 0, sizeof r);
    jc_err e = eval_inc_open(w, &r.inc);
    if (e) return e;
    r.as_of = as_of;
    e = month_scan(w, &r, month);
    for (size_t i = 0; !e && i < r.ntot; i++) e = counter_write(r.inc, month, &r.tot[i]);
    eval_inc_close(r.inc);
    free(r.tot);
    free(r.slots);
    return e;
}

jc_err eval_counters_present(jc_conn *c, const char *month, int *yes) {
    const eval_store_ops *ops = eval_store(c);
    *yes = 0;
    return ops ? ops->counters_present(c, month, yes) : JC_ERR_DB;
}

/* eval_from_counters' rows, one per unit (the counters come ordered by unit). */
typedef struct {
    eval_table *t;
    size_t cap;
    int oom;
} counters_ctx;

static int counter_row(const char *unit, int ind, double num, double den, void *arg) {
    counters_ctx *x = arg;
    eval_table *t = x->t;
    if (!t->n || strcmp(t->rows[t->n - 1].key, unit)) {
        if (t->n == x->cap) {
            size_t cap = x->cap ? x->cap * 2 : 64;
            eval_row *nr = realloc(t->rows, cap * sizeof *nr);
            if (!nr) return x->oom = 1;
            t->rows = nr;
            x->cap = cap;
        }
        eval_row *r = &t->rows[t->n++];
        memset(r, 0, sizeof *r);
        snprintf(r->key, sizeof r->key, "%s", unit);
        for (int k = 0; k < EV__KINDS; k++)
            if (!strncmp(unit, eval_kind_name[k], strlen(eval_kind_name[k])) && unit[strlen(eval_kind_name[k])] == ':')
                r->kind = (ev_kind)k;
    }
    eval_row *r = &t->rows[t->n - 1];
    if (ind == -1) r->n = (int64_t)(num + 0.5);
    else if (ind >= 0 && ind < IND__COUNT) {
        r->num[ind] = num;
        r->den[ind] = den;
    }
    return 0;
}

jc_err eval_from_counters(jc_conn *c, const char *month, eval_table **out) {
    int64_t t0, t1;
    if (!month || strlen(month) != 7 || eval_period_parse(month, &t0, &t1)) return JC_ERR_INVALID;
    const eval_store_ops *ops = eval_store(c);
    if (!ops) return JC_ERR_DB;
    eval_table *t = calloc(1, sizeof *t);
    if (!t) return JC_ERR_NOMEM;
    t->t0 = t0, t->t1 = t1, t->as_of = jc_now_ms();
    counters_ctx x = {t, 0, 0};
    jc_err e = ops->counters_each(c, month, counter_row, &x);
    if (!e && x.oom) e = JC_ERR_NOMEM;
    if (!e) e = eval__table_finish(t, c);
    if (e) {
        eval_table_free(t);
        return e;
    }
    *out = t;
    return JC_OK;
}
