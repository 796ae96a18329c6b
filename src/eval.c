/*
 * eval.c -- evaluation indicators: the facts of a case, tables per unit with
 * composite scores and grades, drill-down, Excel/CSV export, the `jiceng
 * eval` command and the /api/v1/eval routes.  Loading rows and the
 * incremental counters live in eval_inc.c.  Formulas: docs/eval.md.
 *
 * Design notes
 *  - Fairness is decided per phase and per ownership interval, never per
 *    case: a phase ended by the unit's own return that the dispatcher
 *    upheld, by a reassignment before its deadline, or by voiding/merging
 *    the case is "excused" and counts nowhere; approved pause time
 *    (case_phase.paused_ms) extends the deadline it is judged against.
 *  - Phase end reasons understood (case_phase.end_reason): done, accepted,
 *    handled, verified, feedback, completed (the work was done); returned;
 *    reassigned; rework (a verify that sent it back); voided; merged.
 *    Ownership end reasons (case_owner.end_reason): closed, returned,
 *    reassigned, voided, merged.
 */
#include "eval.h"
#include "eval_store.h"
#include "calendar.h"
#include "cli.h"
#include "http.h"
#include "module.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#define KD (1u << EV_DEPT)
#define KS (1u << EV_STREET)
#define KC (1u << EV_COMMUNITY)
#define KW (1u << EV_WORKER)

const ev_ind_meta eval_ind[IND__COUNT] = {
    {"response", "响应率", EV_RATE, KD | KW},
    {"ontime_accept", "按时签收率", EV_RATE, KD | KW},
    {"resolution", "解决率", EV_RATE, KD | KS | KC},
    {"satisfaction", "满意率", EV_RATE, KD | KS | KC},
    {"ontime_close", "按时办结率", EV_RATE, KD | KS | KC | KW},
    {"ontime_verify", "按时核查率", EV_RATE, KW},
    {"rework", "返工率", EV_RATE, KD},
    {"return", "退单率", EV_RATE, KD},
    {"upheld_returns", "退单成立数", EV_COUNT, KD},
    {"overdue", "超期件数", EV_COUNT, KD | KS | KC | KW},
    {"avg_close_h", "平均办结工时(小时)", EV_AVG, KD | KS | KC},
    {"ontime_dispatch", "按时派遣率", EV_RATE, KS},
    {"accurate_dispatch", "派遣准确率", EV_RATE, KS},
    {"whistle_checkin", "吹哨报到及时率", EV_RATE, KD},
    {"whistle_rating", "吹哨评价均分", EV_AVG, KD},
    {"followup", "回访率", EV_RATE, KS | KC},
};
const char *const eval_kind_name[EV__KINDS] = {"dept", "street", "community", "worker"};
const char *const eval_kind_zh[EV__KINDS] = {"职能部门", "街道", "社区", "网格员"};

/* ---- settings ----------------------------------------------------------------- */

void eval__params_default(eval_params *p);
void eval__params_default(eval_params *p) {
    memset(p, 0, sizeof *p);
    p->w_basic = 0.8;
    p->min_cases = 10;
    p->grade[0] = 90, p->grade[1] = 80, p->grade[2] = 70, p->grade[3] = 60;
    p->dispatch_limit_h = 2;
    p->weight[IND_RESPONSE] = 0.20;
    p->weight[IND_RESOLUTION] = 0.25;
    p->weight[IND_SATISFACTION] = 0.25;
    p->weight[IND_ONTIME_CLOSE] = 0.15;
    p->weight[IND_REWORK] = 0.05;
    p->weight[IND_ONTIME_VERIFY] = 0.15;
    p->weight[IND_ONTIME_DISPATCH] = 0.05;
    p->weight[IND_ACCURATE_DISPATCH] = 0.05;
    p->weight[IND_WHISTLE_CHECKIN] = 0.05;
}

/* ---- periods -------------------------------------------------------------------- */

jc_err eval_period_parse(const char *s, int64_t *t0, int64_t *t1) {
    if (!s) return JC_ERR_INVALID;
    char a[40], b[40];
    size_t n = strlen(s);
    const char *dots = strstr(s, "..");
    if (dots) {
        if (dots - s != 10 || strlen(dots + 2) != 10) return JC_ERR_INVALID;
        snprintf(a, sizeof a, "%.10s", s);
        snprintf(b, sizeof b, "%s", dots + 2);
        int64_t e;
        if (jc_parse_time(a, t0) || jc_parse_time(b, &e) || e < *t0) return JC_ERR_INVALID;
        *t1 = e + 86400000LL;
        return JC_OK;
    }
    int64_t y, m = 0;
    char ys[5];
    if (n != 4 && n != 7) return JC_ERR_INVALID;
    snprintf(ys, sizeof ys, "%.4s", s);
    if (jc_parse_i64(ys, &y) || y < 2000 || y > 2098) return JC_ERR_INVALID;
    if (n == 7) {
        char ms[3] = {s[5], s[6], 0};
        if (s[4] != '-' || jc_parse_i64(ms, &m) || m < 1 || m > 12) return JC_ERR_INVALID;
        snprintf(a, sizeof a, "%04d-%02d-01", (int)y, (int)m);
        snprintf(b, sizeof b, "%04d-%02d-01", (int)(m == 12 ? y + 1 : y), (int)(m == 12 ? 1 : m + 1));
    } else {
        snprintf(a, sizeof a, "%04d-01-01", (int)y);
        snprintf(b, sizeof b, "%04d-01-01", (int)y + 1);
    }
    if (jc_parse_time(a, t0) || jc_parse_time(b, t1)) return JC_ERR_INVALID;
    return JC_OK;
}

/* ---- the facts of one case ------------------------------------------------------- */

static int done_reason(const char *r) {
    return !strcmp(r, "done") || !strcmp(r, "accepted") || !strcmp(r, "handled") ||
           !strcmp(r, "verified") || !strcmp(r, "feedback") || !strcmp(r, "completed");
}

/* An upheld return by dept at a time within [a, b] (b = 0: open). */
static int upheld_by(const ev_case *k, int64_t dept, int64_t a, int64_t b) {
    for (int i = 0; i < k->nrt; i++)
        if (k->rt[i].dept == dept && k->rt[i].upheld && k->rt[i].at >= a && (!b || k->rt[i].at <= b))
            return 1;
    return 0;
}

static int phase_late(const ev_phase *p, int64_t as_of) {
    if (!p->deadline) return 0;
    int64_t end = p->end ? p->end : as_of;
    return end > p->deadline + p->paused;
}

static int phase_excused(const ev_case *k, const ev_phase *p, int64_t as_of) {
    if (!p->end) return 0;
    if (!strcmp(p->reason, "voided") || !strcmp(p->reason, "merged")) return 1;
    if (!strcmp(p->reason, "returned") && p->dept && upheld_by(k, p->dept, p->start, p->end)) return 1;
    if (!strcmp(p->reason, "reassigned") && !phase_late(p, as_of)) return 1;
    return 0;
}

static double work_hours(const struct calendar *cal, int64_t a, int64_t b) {
    int64_t ms;
    if (b <= a) return 0;
    if (!cal || calendar_working_ms_between(cal, a, b, &ms)) ms = b - a;
    return (double)ms / 3.6e6;
}

static void unit_key(char *out, size_t n, ev_kind kind, int64_t id) {
    snprintf(out, n, "%s:%lld", eval_kind_name[kind], (long long)id);
}

void eval__case_facts(const ev_case *k, const eval_params *p, const struct calendar *cal, int64_t as_of,
                      ev_emit emit, void *ctx) {
    char key[48];
    int voided = !strcmp(k->state, "voided") || !strcmp(k->state, "merged");
    /* Phases: departments and the people on them. */
    for (int i = 0; i < k->nph; i++) {
        const ev_phase *ph = &k->ph[i];
        if (phase_excused(k, ph, as_of)) continue;
        int done = ph->end && done_reason(ph->reason);
        int late = phase_late(ph, as_of);
        for (int who = 0; who < 2; who++) {
            int64_t id = who ? ph->user : ph->dept;
            if (!id) continue;
            ev_kind kind = who ? EV_WORKER : EV_DEPT;
            unit_key(key, sizeof key, kind, id);
            if (ph->phase == 'a') {
                if (ph->end || late) emit(ctx, kind, key, IND_RESPONSE, k->id, done && !late, 1);
                if (done) emit(ctx, kind, key, IND_ONTIME_ACCEPT, k->id, !late, 1);
            } else if (ph->phase == 'h') {
                if (done || late) emit(ctx, kind, key, IND_ONTIME_CLOSE, k->id, done && !late, 1);
            } else if (ph->phase == 'v' && kind == EV_WORKER) {
                if (done || late || (ph->end && !strcmp(ph->reason, "rework")))
                    emit(ctx, kind, key, IND_ONTIME_VERIFY, k->id, !late, 1);
            }
            if (late && (ph->phase != 'v' || kind == EV_WORKER)) emit(ctx, kind, key, IND_OVERDUE, k->id, 1, 0);
        }
    }
    /* Per department of the case: returns and rework. */
    int64_t seen[EV_MAX_ROWS];
    int nseen = 0;
    for (int i = 0; i < k->nph && !voided; i++) {
        int64_t d = k->ph[i].dept;
        int dup = 0;
        for (int j = 0; j < nseen; j++) dup |= seen[j] == d;
        if (!d || dup) continue;
        seen[nseen++] = d;
        unit_key(key, sizeof key, EV_DEPT, d);
        int had_accept = 0, upheld = 0, other_returns = 0, handled = 0, rework = 0;
        int64_t first_handle_end = 0;
        for (int j = 0; j < k->nph; j++) {
            const ev_phase *ph = &k->ph[j];
            if (ph->dept != d) continue;
            if (ph->phase == 'a') had_accept = 1;
            if (ph->phase == 'h' && ph->end && done_reason(ph->reason)) {
                handled = 1;
                if (!first_handle_end || ph->end < first_handle_end) first_handle_end = ph->end;
            }
        }
        for (int j = 0; j < k->nrt; j++)
            if (k->rt[j].dept == d) {
                if (k->rt[j].upheld) upheld++;
                else other_returns++;
            }
        if (handled)
            for (int j = 0; j < k->nph; j++)
                if (k->ph[j].phase == 'v' && !strcmp(k->ph[j].reason, "rework") &&
                    k->ph[j].start >= first_handle_end)
                    rework = 1;
        if (had_accept) emit(ctx, EV_DEPT, key, IND_RETURN, k->id, other_returns > 0, 1);
        if (upheld) emit(ctx, EV_DEPT, key, IND_UPHELD_RETURNS, k->id, upheld, 0);
        if (handled) emit(ctx, EV_DEPT, key, IND_REWORK, k->id, rework, 1);
    }
    /* Lead ownership: resolution, satisfaction, time to close. */
    double sat = !strcmp(k->rating, "satisfied") ? 1 : !strcmp(k->rating, "basic") ? p->w_basic : 0;
    int rated = k->rating[0] != 0;
    int64_t close_at = 0, first_owner = 0;
    for (int i = 0; i < k->now; i++) {
        const ev_owner *o = &k->ow[i];
        if (!first_owner || o->start < first_owner) first_owner = o->start;
        if (!o->lead) continue;
        int closed = o->end && !strcmp(o->reason, "closed");
        if (closed && o->end > close_at) close_at = o->end;
        if (o->end && (!strcmp(o->reason, "voided") || !strcmp(o->reason, "merged") ||
                       !strcmp(o->reason, "reassigned") ||
                       (!strcmp(o->reason, "returned") && upheld_by(k, o->dept, o->start, o->end))))
            continue;
        unit_key(key, sizeof key, EV_DEPT, o->dept);
        emit(ctx, EV_DEPT, key, IND_RESOLUTION, k->id, closed, 1);
        if (closed && rated) emit(ctx, EV_DEPT, key, IND_SATISFACTION, k->id, sat, 1);
        if (closed) emit(ctx, EV_DEPT, key, IND_AVG_CLOSE_H, k->id, work_hours(cal, o->start, o->end), 1);
    }
    /* Whistles. */
    for (int i = 0; i < k->nwm; i++) {
        const ev_member *m = &k->wm[i];
        unit_key(key, sizeof key, EV_DEPT, m->dept);
        if (m->checked_in) emit(ctx, EV_DEPT, key, IND_WHISTLE_CHECKIN, k->id, m->checked_in <= m->deadline, 1);
        else if (as_of > m->deadline) emit(ctx, EV_DEPT, key, IND_WHISTLE_CHECKIN, k->id, 0, 1);
        if (m->rating > 0) emit(ctx, EV_DEPT, key, IND_WHISTLE_RATING, k->id, m->rating, 1);
    }
    /* Areas: the community and the street the case lies in. */
    if (voided) return;
    int closed = !strcmp(k->state, "closed") || !strcmp(k->state, "rated");
    int late_any = 0;
    for (int i = 0; i < k->nph; i++)
        if (!phase_excused(k, &k->ph[i], as_of) && phase_late(&k->ph[i], as_of)) late_any = 1;
    if (closed && !close_at)
        for (int i = 0; i < k->nph; i++)
            if (k->ph[i].end > close_at) close_at = k->ph[i].end;
    int upheld_any = 0;
    for (int i = 0; i < k->nrt; i++) upheld_any |= k->rt[i].upheld;
    for (int lv = 0; lv < 2; lv++) {
        size_t len = lv ? 9 : 12;
        if (strlen(k->area) < len) continue;
        ev_kind kind = lv ? EV_STREET : EV_COMMUNITY;
        snprintf(key, sizeof key, "%s:%.*s", eval_kind_name[kind], (int)len, k->area);
        emit(ctx, kind, key, IND_RESOLUTION, k->id, closed, 1);
        if (closed && rated) emit(ctx, kind, key, IND_SATISFACTION, k->id, sat, 1);
        if (!strcmp(k->state, "rated") && !strcmp(k->rating, "unsatisfied"))
            emit(ctx, kind, key, IND_FOLLOWUP, k->id, k->followups_reached > 0, 1);
        if (late_any) emit(ctx, kind, key, IND_OVERDUE, k->id, 1, 0);
        if (closed || late_any) emit(ctx, kind, key, IND_ONTIME_CLOSE, k->id, closed && !late_any, 1);
        if (closed && close_at) emit(ctx, kind, key, IND_AVG_CLOSE_H, k->id, work_hours(cal, k->created, close_at), 1);
        if (kind == EV_STREET) {
            double lim = p->dispatch_limit_h;
            if (first_owner) {
                emit(ctx, kind, key, IND_ONTIME_DISPATCH, k->id, work_hours(cal, k->created, first_owner) <= lim + 1e-9, 1);
                emit(ctx, kind, key, IND_ACCURATE_DISPATCH, k->id, !upheld_any, 1);
            } else if (work_hours(cal, k->created, as_of) > lim) {
                emit(ctx, kind, key, IND_ONTIME_DISPATCH, k->id, 0, 1);
            }
        }
    }
}

/* ---- tables ------------------------------------------------------------------------- */

typedef struct {
    eval_table *t;
    size_t cap;
    int *slots; /* open addressing: row index + 1 */
    size_t nslots;
    int64_t *last_case; /* per row */
    const eval_params *p;
    const struct calendar *cal;
    int64_t as_of;
    jc_err err;
} agg;

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int agg_grow(agg *a) {
    size_t ns = a->nslots ? a->nslots * 2 : 256;
    int *sl = calloc(ns, sizeof *sl);
    if (!sl) return -1;
    for (size_t i = 0; i < a->t->n; i++) {
        size_t h = hash_str(a->t->rows[i].key) & (ns - 1);
        while (sl[h]) h = (h + 1) & (ns - 1);
        sl[h] = (int)i + 1;
    }
    free(a->slots);
    a->slots = sl;
    a->nslots = ns;
    return 0;
}

static eval_row *agg_row(agg *a, ev_kind kind, const char *key, int64_t case_id) {
    if (a->t->n * 2 >= a->nslots && agg_grow(a)) return NULL;
    size_t h = hash_str(key) & (a->nslots - 1);
    while (a->slots[h]) {
        eval_row *r = &a->t->rows[a->slots[h] - 1];
        if (!strcmp(r->key, key)) {
            if (a->last_case[a->slots[h] - 1] != case_id) {
                a->last_case[a->slots[h] - 1] = case_id;
                r->n++;
            }
            return r;
        }
        h = (h + 1) & (a->nslots - 1);
    }
    if (a->t->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 64;
        eval_row *nr = realloc(a->t->rows, nc * sizeof *nr);
        if (!nr) return NULL;
        a->t->rows = nr;
        int64_t *nl = realloc(a->last_case, nc * sizeof *nl);
        if (!nl) return NULL;
        a->last_case = nl;
        a->cap = nc;
    }
    eval_row *r = &a->t->rows[a->t->n];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    snprintf(r->key, sizeof r->key, "%s", key);
    r->n = 1;
    a->last_case[a->t->n] = case_id;
    a->slots[h] = (int)++a->t->n;
    return r;
}

static void agg_emit(void *ctx, ev_kind kind, const char *key, ev_ind ind, int64_t case_id, double num,
                     double den) {
    agg *a = ctx;
    if (a->err) return;
    eval_row *r = agg_row(a, kind, key, case_id);
    if (!r) {
        a->err = JC_ERR_NOMEM;
        return;
    }
    r->num[ind] += num;
    r->den[ind] += den;
}

static void agg_case(const ev_case *k, void *arg) {
    agg *a = arg;
    a->t->cases++;
    eval__case_facts(k, a->p, a->cal, a->as_of, agg_emit, a);
}

double eval_value(const eval_row *r, ev_ind i) {
    if (eval_ind[i].type == EV_COUNT) return r->num[i];
    return r->den[i] > 0 ? r->num[i] / r->den[i] : NAN;
}

static int row_cmp(const void *x, const void *y) {
    const eval_row *a = x, *b = y;
    if (a->kind != b->kind) return (int)a->kind - (int)b->kind;
    if (a->small != b->small) return a->small - b->small;
    if (a->score != b->score) return a->score < b->score ? 1 : -1;
    return strcmp(a->key, b->key);
}

static void finish_table(eval_table *t) {
    const eval_params *p = &t->params;
    for (size_t i = 0; i < t->n; i++) {
        eval_row *r = &t->rows[i];
        double sw = 0, s = 0;
        for (int k = 0; k < IND__COUNT; k++) {
            if (eval_ind[k].type != EV_RATE || !(eval_ind[k].kinds & (1u << r->kind)) || r->den[k] <= 0 ||
                p->weight[k] <= 0)
                continue;
            double v = r->num[k] / r->den[k];
            if (k == IND_REWORK || k == IND_RETURN) v = 1 - v;
            s += p->weight[k] * v;
            sw += p->weight[k];
        }
        r->score = sw > 0 ? 100.0 * s / sw : -1;
        r->small = r->n < p->min_cases;
        r->grade[0] = 0;
        if (!r->small && r->score >= 0) {
            const char *g = "E";
            if (r->score >= p->grade[0]) g = "A";
            else if (r->score >= p->grade[1]) g = "B";
            else if (r->score >= p->grade[2]) g = "C";
            else if (r->score >= p->grade[3]) g = "D";
            snprintf(r->grade, sizeof r->grade, "%s", g);
        }
    }
    if (t->n) qsort(t->rows, t->n, sizeof *t->rows, row_cmp); /* rows is NULL when empty */
    int rank = 0;
    ev_kind cur = EV__KINDS;
    for (size_t i = 0; i < t->n; i++) {
        eval_row *r = &t->rows[i];
        if (r->kind != cur) cur = r->kind, rank = 0;
        r->rank = (!r->small && r->score >= 0) ? ++rank : 0;
    }
}

jc_err eval_compute(jc_conn *c, int64_t t0, int64_t t1, int64_t as_of, eval_table **out) {
    eval_table *t = calloc(1, sizeof *t);
    if (!t) return JC_ERR_NOMEM;
    t->t0 = t0, t->t1 = t1, t->as_of = as_of;
    jc_err e = eval_params_load(c, &t->params);
    if (e) {
        free(t);
        return e;
    }
    agg a = {.t = t, .p = &t->params, .cal = eval__calendar(c), .as_of = as_of};
    e = eval__scan(c, t0, t1, 0, agg_case, &a);
    free(a.slots);
    free(a.last_case);
    if (!e) e = a.err;
    if (e) {
        eval_table_free(t);
        return e;
    }
    for (size_t i = 0; i < t->n; i++) eval__unit_name(c, t->rows[i].key, t->rows[i].name, sizeof t->rows[i].name);
    finish_table(t);
    *out = t;
    return JC_OK;
}

/* Adds the rows of src to dst (by key), num, den and n summed. */
static jc_err table_merge(eval_table *dst, const eval_table *src) {
    for (size_t i = 0; i < src->n; i++) {
        const eval_row *s = &src->rows[i];
        eval_row *d = NULL;
        for (size_t j = 0; j < dst->n && !d; j++)
            if (!strcmp(dst->rows[j].key, s->key)) d = &dst->rows[j];
        if (!d) {
            eval_row *nr = realloc(dst->rows, (dst->n + 1) * sizeof *nr);
            if (!nr) return JC_ERR_NOMEM;
            dst->rows = nr;
            d = &dst->rows[dst->n++];
            *d = *s;
            d->score = -1, d->rank = 0, d->grade[0] = 0;
            continue;
        }
        d->n += s->n;
        for (int k = 0; k < IND__COUNT; k++) d->num[k] += s->num[k], d->den[k] += s->den[k];
    }
    dst->cases += src->cases;
    return JC_OK;
}

jc_err eval_range(jc_conn *c, int64_t t0, int64_t t1, int64_t as_of, eval_table **out) {
    if (t1 <= t0) return JC_ERR_INVALID;
    eval_table *t = calloc(1, sizeof *t);
    if (!t) return JC_ERR_NOMEM;
    t->t0 = t0, t->t1 = t1, t->as_of = as_of;
    jc_err e = eval_params_load(c, &t->params);
    char now_month[40];
    jc_fmt_local(as_of, now_month, sizeof now_month);
    now_month[7] = 0;
    for (int64_t at = t0; !e && at < t1;) {
        char month[40];
        int64_t m0, m1;
        jc_fmt_local(at, month, sizeof month);
        month[7] = 0;
        if ((e = eval_period_parse(month, &m0, &m1))) break;
        int64_t seg1 = m1 < t1 ? m1 : t1;
        eval_table *part = NULL;
        /* a whole month that is over: its counters; the current month and
         * the days of a partial one: their cases (the counters of the
         * current month miss what another process wrote until the day's
         * recomputation) */
        if (at == m0 && seg1 == m1 && strcmp(month, now_month) < 0) e = eval_from_counters(c, month, &part);
        else e = eval_compute(c, at, seg1, as_of, &part);
        if (!e) e = table_merge(t, part);
        eval_table_free(part);
        at = seg1;
    }
    if (e) {
        eval_table_free(t);
        return e;
    }
    *out = t;
    return JC_OK;
}

void eval_table_free(eval_table *t) {
    if (!t) return;
    free(t->rows);
    free(t);
}

/* Builds a table from rows already summed (the counters); scores them. */
jc_err eval__table_finish(eval_table *t, jc_conn *c);
jc_err eval__table_finish(eval_table *t, jc_conn *c) {
    jc_err e = eval_params_load(c, &t->params);
    if (e) return e;
    for (size_t i = 0; i < t->n; i++) eval__unit_name(c, t->rows[i].key, t->rows[i].name, sizeof t->rows[i].name);
    finish_table(t);
    return JC_OK;
}

static json_t *num_json(double v) { return isnan(v) ? json_null() : json_real(round(v * 10000) / 10000); }

json_t *eval_table_json(const eval_table *t, int kind) {
    json_t *arr = json_array();
    for (size_t i = 0; i < t->n; i++) {
        const eval_row *r = &t->rows[i];
        if (kind >= 0 && (int)r->kind != kind) continue;
        json_t *inds = json_object();
        for (int k = 0; k < IND__COUNT; k++) {
            if (!(eval_ind[k].kinds & (1u << r->kind))) continue;
            json_object_set_new(inds, eval_ind[k].name,
                                json_pack("{s:o,s:f,s:f}", "value", num_json(eval_value(r, (ev_ind)k)), "num",
                                          r->num[k], "den", r->den[k]));
        }
        json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:b,s:o,s:o,s:o,s:o}", "unit", r->key, "kind",
                              eval_kind_name[r->kind], "name", r->name, "cases", (json_int_t)r->n,
                              "small_sample", r->small, "score", r->score >= 0 ? num_json(r->score) : json_null(),
                              "grade", r->grade[0] ? json_string(r->grade) : json_null(), "rank",
                              r->rank ? json_integer(r->rank) : json_null(), "indicators", inds);
        json_array_append_new(arr, o);
    }
    return arr;
}

/* ---- drill-down ------------------------------------------------------------------------ */

typedef struct {
    const char *unit;
    int ind;
    json_t *arr;
    const eval_params *p;
    const struct calendar *cal;
    int64_t as_of;
} drill;

static void drill_emit(void *ctx, ev_kind kind, const char *key, ev_ind ind, int64_t case_id, double num,
                       double den) {
    (void)kind;
    drill *d = ctx;
    if ((int)ind != d->ind || strcmp(key, d->unit)) return;
    json_array_append_new(d->arr, json_pack("{s:I,s:f,s:f}", "case_id", (json_int_t)case_id, "num", num, "den", den));
}

static void drill_case(const ev_case *k, void *arg) {
    drill *d = arg;
    eval__case_facts(k, d->p, d->cal, d->as_of, drill_emit, d);
}

jc_err eval_drill(jc_conn *c, int64_t t0, int64_t t1, int64_t as_of, const char *unit, const char *indicator,
                  json_t **out) {
    int ind = -1;
    for (int k = 0; k < IND__COUNT; k++)
        if (!strcmp(indicator, eval_ind[k].name)) ind = k;
    const char *colon = strchr(unit, ':');
    int kind_ok = 0;
    for (int k = 0; colon && k < EV__KINDS; k++)
        kind_ok |= (size_t)(colon - unit) == strlen(eval_kind_name[k]) && !strncmp(unit, eval_kind_name[k], colon - unit);
    if (ind < 0 || !kind_ok || strlen(unit) >= 48) return JC_ERR_INVALID;
    eval_params p;
    jc_err e = eval_params_load(c, &p);
    if (e) return e;
    drill d = {unit, ind, json_array(), &p, eval__calendar(c), as_of};
    if ((e = eval__scan(c, t0, t1, 0, drill_case, &d))) {
        json_decref(d.arr);
        return e;
    }
    *out = d.arr;
    return JC_OK;
}

/* ---- export ---------------------------------------------------------------------------- */

static void fmt_period(const eval_table *t, const char *period, char *out, size_t n) {
    char a[40], b[40];
    jc_fmt_local(t->t0, a, sizeof a);
    jc_fmt_local(t->t1 - 1, b, sizeof b);
    snprintf(out, n, "%s 评价结果（%.10s 至 %.10s 受理的案卷）", period, a, b);
}

jc_err eval_export_xlsx(const eval_table *t, const char *period, const char *path) {
    lxw_workbook *wb = workbook_new(path);
    if (!wb) return JC_ERR_IO;
    lxw_format *title = workbook_add_format(wb);
    format_set_bold(title);
    format_set_font_size(title, 14);
    lxw_format *head = workbook_add_format(wb);
    format_set_bold(head);
    format_set_bg_color(head, 0xDDEBF7);
    format_set_border(head, LXW_BORDER_THIN);
    format_set_text_wrap(head);
    lxw_format *pct = workbook_add_format(wb);
    format_set_num_format(pct, "0.0%");
    lxw_format *dec = workbook_add_format(wb);
    format_set_num_format(dec, "0.0");
    char ttl[200];
    fmt_period(t, period, ttl, sizeof ttl);
    for (int kind = 0; kind < EV__KINDS; kind++) {
        lxw_worksheet *ws = workbook_add_worksheet(wb, eval_kind_zh[kind]);
        char sheet_title[260];
        snprintf(sheet_title, sizeof sheet_title, "%s — %s", eval_kind_zh[kind], ttl);
        worksheet_write_string(ws, 0, 0, sheet_title, title);
        lxw_col_t col = 0;
        worksheet_write_string(ws, 1, col++, "排名", head);
        worksheet_write_string(ws, 1, col++, "单位", head);
        worksheet_write_string(ws, 1, col++, "案卷数", head);
        for (int k = 0; k < IND__COUNT; k++)
            if (eval_ind[k].kinds & (1u << kind)) worksheet_write_string(ws, 1, col++, eval_ind[k].zh, head);
        worksheet_write_string(ws, 1, col++, "综合得分", head);
        worksheet_write_string(ws, 1, col++, "等级", head);
        worksheet_write_string(ws, 1, col++, "备注", head);
        worksheet_set_column(ws, 1, 1, 28, NULL);
        worksheet_set_column(ws, 2, col, 12, NULL);
        lxw_row_t row = 2;
        for (size_t i = 0; i < t->n; i++) {
            const eval_row *r = &t->rows[i];
            if ((int)r->kind != kind) continue;
            col = 0;
            if (r->rank) worksheet_write_number(ws, row, col, r->rank, NULL);
            col++;
            worksheet_write_string(ws, row, col++, r->name[0] ? r->name : r->key, NULL);
            worksheet_write_number(ws, row, col++, (double)r->n, NULL);
            for (int k = 0; k < IND__COUNT; k++) {
                if (!(eval_ind[k].kinds & (1u << kind))) continue;
                double v = eval_value(r, (ev_ind)k);
                if (isnan(v)) worksheet_write_string(ws, row, col, "—", NULL);
                else worksheet_write_number(ws, row, col, v, eval_ind[k].type == EV_RATE ? pct
                                                             : eval_ind[k].type == EV_AVG ? dec : NULL);
                col++;
            }
            if (r->score >= 0) worksheet_write_number(ws, row, col, r->score, dec);
            col++;
            worksheet_write_string(ws, row, col++, r->grade[0] ? r->grade : "—", NULL);
            if (r->small) {
                char note[64];
                snprintf(note, sizeof note, "样本不足（少于%d件），不参与排名", t->params.min_cases);
                worksheet_write_string(ws, row, col, note, NULL);
            }
            row++;
        }
    }
    return workbook_close(wb) == LXW_NO_ERROR ? JC_OK : JC_ERR_IO;
}

jc_err eval_export_csv(const eval_table *t, jc_buf *b) {
    jc_err e = jc_buf_puts(b, "\xEF\xBB\xBF" "类型,单位代码,单位,排名,案卷数");
    for (int k = 0; !e && k < IND__COUNT; k++) e = jc_buf_printf(b, ",%s", eval_ind[k].zh);
    if (!e) e = jc_buf_puts(b, ",综合得分,等级,样本不足\n");
    for (size_t i = 0; !e && i < t->n; i++) {
        const eval_row *r = &t->rows[i];
        e = jc_buf_printf(b, "%s,%s,\"%s\",%s%d,%lld", eval_kind_zh[r->kind], r->key, r->name, "", r->rank,
                          (long long)r->n);
        for (int k = 0; !e && k < IND__COUNT; k++) {
            double v = eval_value(r, (ev_ind)k);
            if (!(eval_ind[k].kinds & (1u << r->kind)) || isnan(v)) e = jc_buf_puts(b, ",");
            else if (eval_ind[k].type == EV_RATE) e = jc_buf_printf(b, ",%.1f%%", 100 * v);
            else if (eval_ind[k].type == EV_AVG) e = jc_buf_printf(b, ",%.1f", v);
            else e = jc_buf_printf(b, ",%.0f", v);
        }
        if (!e) {
            if (r->score >= 0) e = jc_buf_printf(b, ",%.1f,%s,%s\n", r->score, r->grade, r->small ? "是" : "");
            else e = jc_buf_printf(b, ",,,%s\n", r->small ? "是" : "");
        }
    }
    return e;
}

/* ---- CLI ----------------------------------------------------------------------------------- */

typedef struct {
    const char *month;
    int64_t as_of;
} recompute_arg;

static jc_err run_recompute(jc_conn *w, void *arg) {
    recompute_arg *a = arg;
    return eval_recompute_month(w, a->month, a->as_of);
}

static int cmd_evaluation(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng eval --db DB --period P [--format csv|xlsx|json] [--out FILE] [--as-of TIME]\n"
        "                   [--recompute]\n"
        "Evaluates departments, streets, communities and grid workers on the cases created\n"
        "in period P (2026-10, 2026, or 2026-10-01..2026-10-15; Asia/Shanghai).\n"
        "  --format   csv (default, to stdout or FILE), xlsx (needs --out), json\n"
        "  --as-of    judge open phases as of this time (default now)\n"
        "  --recompute  also rebuild the stored monthly counters (P must be a month)\n"
        "Formulas: docs/eval.md.\n";
    if (cli_wants_help(argc, argv)) return fputs(help, stdout), JC_EXIT_OK;
    const char *db = NULL, *period = NULL, *format = "csv", *outp = NULL, *asof_s = NULL;
    int recompute = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--recompute")) {
            recompute = 1;
            continue;
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return cli_usage_error("eval", "option %s needs a value", a);
        i++;
        if (!strcmp(a, "--db")) db = v;
        else if (!strcmp(a, "--period")) period = v;
        else if (!strcmp(a, "--format")) format = v;
        else if (!strcmp(a, "--out")) outp = v;
        else if (!strcmp(a, "--as-of")) asof_s = v;
        else return cli_usage_error("eval", "unexpected argument '%s'", a);
    }
    if (!db || !period) return cli_usage_error("eval", "need --db DB and --period P");
    if (strcmp(format, "csv") && strcmp(format, "xlsx") && strcmp(format, "json"))
        return cli_usage_error("eval", "--format must be csv, xlsx or json");
    if (!strcmp(format, "xlsx") && !outp) return cli_usage_error("eval", "--format xlsx needs --out FILE.xlsx");
    int64_t t0, t1, as_of = jc_now_ms();
    if (eval_period_parse(period, &t0, &t1)) return cli_usage_error("eval", "bad period '%s'", period);
    if (asof_s && jc_parse_time(asof_s, &as_of)) return cli_usage_error("eval", "bad --as-of '%s'", asof_s);
    jc_store *st = NULL;
    jc_conn *c = NULL;
    int version;
    if (store_open(db, &st) || store_migrate(st, &version) || store_conn_open(st, &c)) {
        fprintf(stderr, "jiceng eval: cannot open %s\n", db);
        store_close(st);
        return JC_EXIT_FAIL;
    }
    int rc = JC_EXIT_OK;
    if (recompute) {
        if (strlen(period) != 7) {
            rc = cli_usage_error("eval", "--recompute needs a month period");
            goto out;
        }
        recompute_arg arg = {period, as_of};
        jc_err e = store_exec(st, run_recompute, &arg);
        if (e) {
            fprintf(stderr, "jiceng eval: recomputation failed: %s\n", jc_err_code(e));
            rc = JC_EXIT_FAIL;
            goto out;
        }
        fprintf(stderr, "jiceng eval: counters of %s rebuilt\n", period);
    }
    eval_table *t = NULL;
    jc_err e = eval_compute(c, t0, t1, as_of, &t);
    if (e) {
        fprintf(stderr, "jiceng eval: %s\n", jc_err_code(e));
        rc = JC_EXIT_FAIL;
        goto out;
    }
    if (!strcmp(format, "xlsx")) {
        if ((e = eval_export_xlsx(t, period, outp))) {
            fprintf(stderr, "jiceng eval: cannot write %s\n", outp);
            rc = JC_EXIT_FAIL;
        } else {
            printf("wrote %s: %zu units, %lld cases\n", outp, t->n, (long long)t->cases);
        }
    } else {
        jc_buf b;
        jc_buf_init(&b, 0);
        char *txt = NULL;
        if (!strcmp(format, "json")) {
            json_t *o = json_pack("{s:s,s:I,s:o}", "period", period, "cases", (json_int_t)t->cases, "rows",
                                  eval_table_json(t, -1));
            txt = json_dumps(o, JSON_INDENT(1));
            json_decref(o);
        } else if (!eval_export_csv(t, &b)) {
            txt = jc_buf_take(&b);
        }
        jc_buf_free(&b);
        FILE *f = outp ? fopen(outp, "wb") : stdout;
        if (!txt || !f || fputs(txt, f) < 0) rc = JC_EXIT_FAIL;
        if (f && f != stdout) fclose(f);
        free(txt);
    }
    eval_table_free(t);
out:
    store_conn_close(c);
    store_close(st);
    return rc;
}

/* ---- HTTP ------------------------------------------------------------------------------- */

#define R(x) ROLE_BIT(ROLE_##x)

static int read_period(jc_req *r, int64_t *t0, int64_t *t1, char *period, size_t psz) {
    if (!http_query(r, "period", period, psz)) {
        char now[40];
        jc_fmt_local(jc_now_ms(), now, sizeof now);
        snprintf(period, psz, "%.7s", now);
    }
    if (eval_period_parse(period, t0, t1)) {
        http_reply_error(r, JC_ERR_INVALID, "period must be YYYY-MM, YYYY or YYYY-MM-DD..YYYY-MM-DD");
        return -1;
    }
    return 0;
}

/* Adds the rows of month table m into acc (rows matched by unit). */
static jc_err merge_rows(eval_table *acc, const eval_table *m) {
    for (size_t i = 0; i < m->n; i++) {
        const eval_row *x = &m->rows[i];
        eval_row *y = NULL;
        for (size_t j = 0; j < acc->n && !y; j++)
            if (!strcmp(acc->rows[j].key, x->key)) y = &acc->rows[j];
        if (!y) {
            eval_row *nr = realloc(acc->rows, (acc->n + 1) * sizeof *nr);
            if (!nr) return JC_ERR_NOMEM;
            acc->rows = nr;
            y = &acc->rows[acc->n++];
            memset(y, 0, sizeof *y);
            snprintf(y->key, sizeof y->key, "%s", x->key);
            y->kind = x->kind;
        }
        y->n += x->n;
        for (int k = 0; k < IND__COUNT; k++) y->num[k] += x->num[k], y->den[k] += x->den[k];
    }
    return JC_OK;
}

/* The table of a period for the page and the workbook: a month from its
 * counters, a year from its months' (kept current by the ticker within a
 * second of each case's change, and recomputed once a (simulated) day for
 * the current month: docs/eval.md), anything else computed from its cases
 * (a cost that grows with the period's length, not the store's). */
static jc_err period_table(jc_conn *c, const char *period, int64_t t0, int64_t t1, eval_table **out) {
    size_t len = strlen(period);
    if (len != 7 && len != 4) return eval_compute(c, t0, t1, jc_now_ms(), out);
    eval_table *t = NULL;
    jc_err e = JC_OK;
    if (len == 7) {
        e = eval_from_counters(c, period, &t);
        /* no counters (the ticker has not counted the month yet): from
         * its cases, as for a range of days */
        if (!e && !t->n) {
            eval_table_free(t);
            return eval_compute(c, t0, t1, jc_now_ms(), out);
        }
    } else if (!(t = calloc(1, sizeof *t))) {
        e = JC_ERR_NOMEM;
    } else {
        for (int m = 1; m <= 12 && !e; m++) {
            char month[8];
            snprintf(month, sizeof month, "%.4s-%02d", period, m);
            eval_table *mt;
            if (!(e = eval_from_counters(c, month, &mt))) {
                e = merge_rows(t, mt);
                eval_table_free(mt);
            }
        }
        if (!e) e = eval__table_finish(t, c);
    }
    if (e) {
        eval_table_free(t);
        return e;
    }
    t->t0 = t0, t->t1 = t1, t->as_of = jc_now_ms();
    /* a case counts once in its street */
    t->cases = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->rows[i].kind == EV_STREET) t->cases += t->rows[i].n;
    *out = t;
    return JC_OK;
}

/* A table's request, for the long-work pool: a range of days is computed
 * from its cases (and the workbook always built) there, off the event
 * loops; a month or a year is read from counters on the loop. */
typedef struct {
    char period[40];
    int64_t t0, t1;
    int kind, xlsx;
} eval_job;

static jc_err eval_job_json(jc_conn *c, const eval_job *j, json_t **out) {
    eval_table *t;
    jc_err e = period_table(c, j->period, j->t0, j->t1, &t);
    if (e) return e;
    *out = json_pack("{s:s,s:I,s:i,s:o}", "period", j->period, "cases", (json_int_t)t->cases, "min_cases",
                     t->params.min_cases, "rows", eval_table_json(t, j->kind));
    eval_table_free(t);
    return JC_OK;
}

static jc_err eval_job_xlsx(jc_conn *c, const eval_job *j, jc_buf *b) {
    eval_table *t;
    jc_err e = period_table(c, j->period, j->t0, j->t1, &t);
    if (e) return e;
    char path[] = "/tmp/jiceng-eval-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        eval_table_free(t);
        return JC_ERR_IO;
    }
    close(fd);
    e = eval_export_xlsx(t, j->period, path);
    eval_table_free(t);
    FILE *f = e ? NULL : fopen(path, "rb");
    char chunk[16384];
    size_t n;
    while (f && !e && (n = fread(chunk, 1, sizeof chunk, f)) > 0) e = jc_buf_append(b, chunk, n);
    if (f) fclose(f);
    unlink(path);
    return e ? e : b->len ? JC_OK : JC_ERR_IO;
}

static jc_err eval_prepare(jc_deferred *d) {
    const eval_job *j = d->data;
    jc_err e;
    if (j->xlsx) {
        jc_buf b;
        jc_buf_init(&b, 64u << 20);
        if ((e = eval_job_xlsx(d->db, j, &b))) {
            jc_buf_free(&b);
            snprintf(d->message, sizeof d->message, "the workbook could not be written");
            return e;
        }
        d->raw_len = b.len;
        d->raw = jc_buf_take(&b);
        snprintf(d->raw_type, sizeof d->raw_type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    } else if ((e = eval_job_json(d->db, j, &d->body))) {
        snprintf(d->message, sizeof d->message, "evaluation failed");
        return e;
    }
    d->status = 200;
    return JC_OK;
}

static void eval_answer(jc_req *r, eval_job *j) {
    if (!j->xlsx && (strlen(j->period) == 7 || strlen(j->period) == 4)) {
        json_t *o;
        jc_err e = eval_job_json(r->db, j, &o);
        free(j);
        if (e) return http_reply_error(r, e, "evaluation failed");
        return http_reply_json(r, 200, o);
    }
    jc_deferred *d = http_deferred_new(r);
    if (!d) {
        free(j);
        return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    }
    d->data = j;
    d->free_data = free;
    d->prepare = eval_prepare;
    d->long_work = 1;
    d->what = j->xlsx ? "eval_export" : "eval_days";
    http_defer(r, d);
}

static void h_eval(jc_req *r) {
    char unit[24] = "";
    eval_job *j = calloc(1, sizeof *j);
    if (!j) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    if (read_period(r, &j->t0, &j->t1, j->period, sizeof j->period)) return free(j);
    j->kind = -1;
    if (http_query(r, "unit", unit, sizeof unit)) {
        for (int k = 0; k < EV__KINDS; k++)
            if (!strcmp(unit, eval_kind_name[k])) j->kind = k;
        if (j->kind < 0) {
            free(j);
            return http_reply_error(r, JC_ERR_INVALID, "unit must be dept, street, community or worker");
        }
    }
    eval_answer(r, j);
}

static void h_eval_cases(jc_req *r) {
    char period[40], unit[48] = "", ind[32] = "";
    int64_t t0, t1;
    if (read_period(r, &t0, &t1, period, sizeof period)) return;
    if (!http_query(r, "unit", unit, sizeof unit) || !http_query(r, "indicator", ind, sizeof ind))
        return http_reply_error(r, JC_ERR_INVALID, "give unit (e.g. dept:3) and indicator (e.g. response)");
    /* Departments and communities drill into their own figures only. */
    char own[48] = "";
    if (r->user.role == ROLE_DEPT_STAFF) snprintf(own, sizeof own, "dept:%lld", (long long)r->user.dept_id);
    if (r->user.role == ROLE_COMMUNITY_STAFF) snprintf(own, sizeof own, "community:%s", r->user.area);
    if (own[0] && strcmp(own, unit)) return http_reply_error(r, JC_ERR_DENIED, "you may drill into %s only", own);
    json_t *a;
    jc_err e = eval_drill(r->db, t0, t1, jc_now_ms(), unit, ind, &a);
    if (e == JC_ERR_INVALID) return http_reply_error(r, e, "unknown unit kind or indicator");
    if (e) return http_reply_error(r, e, "drill-down failed");
    json_t *ids = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        json_array_append(ids, json_object_get(v, "case_id"));
        /* the case number and title a person reads (the id stays for links) */
        jc_case k;
        if (store_case_get(r->db, json_integer_value(json_object_get(v, "case_id")), &k) == JC_OK) {
            char no[40];
            case_number(&k, no, sizeof no);
            json_object_set_new(v, "no", json_string(no));
            json_object_set_new(v, "title", json_string(k.title ? k.title : ""));
            case_clear(&k);
        }
    }
    http_reply_json(r, 200, json_pack("{s:s,s:s,s:s,s:o,s:o}", "period", period, "unit", unit, "indicator", ind,
                                      "case_ids", ids, "facts", a));
}

/* The tables as leaders expect them, an .xlsx download (street staff). */
static void h_eval_xlsx(jc_req *r) {
    eval_job *j = calloc(1, sizeof *j);
    if (!j) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    if (read_period(r, &j->t0, &j->t1, j->period, sizeof j->period)) return free(j);
    j->kind = -1;
    j->xlsx = 1;
    eval_answer(r, j);
}

static const jc_route eval_routes[] = {
    {"GET", "/api/v1/eval/export.xlsx", h_eval_xlsx, R(DISPATCHER) | R(SUPERVISOR) | R(ADMIN), NULL},
    {"GET", "/api/v1/eval", h_eval,
     R(DISPATCHER) | R(SUPERVISOR) | R(ADMIN) | R(DEPT_STAFF) | R(COMMUNITY_STAFF), NULL},
    {"GET", "/api/v1/eval/cases", h_eval_cases,
     R(DISPATCHER) | R(SUPERVISOR) | R(ADMIN) | R(DEPT_STAFF) | R(COMMUNITY_STAFF), NULL},
};

static const jc_route_table eval_route_table = {eval_routes, JC_ARRAY_LEN(eval_routes)};

/* The eval module's row (src/modules.c). */
const jc_module module_eval = {
    .name = "eval",
    .schema = {[JC_STORE_SQLITE] = &schema_eval, [JC_STORE_PG] = &schema_eval_pg},
    .store = {[JC_STORE_SQLITE] = &eval_store_sqlite, [JC_STORE_PG] = &eval_store_pg},
    .routes = {&eval_route_table, &eval__config_routes},
    .tick = eval_hook_tick,
    .case_hooks = &eval__case_hooks,
    .commands = {{"eval", cmd_evaluation, "evaluation tables (三率, GB/T 30428 indicators), CSV or Excel"}},
};
