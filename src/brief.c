/*
 * brief.c -- statistics for leaders (module "brief"; docs/brief.md):
 *
 *   GET /api/v1/stats/range?from=&to=&area=   any date range, with the
 *       previous period of the same length (环比) and the same dates a year
 *       earlier (同比): cases in, by category, by community, per day, and
 *       三率 -- 受理率 (reports taken up: decided and not voided), 按期办结率
 *       and 满意率 (the evaluation's ontime_close and satisfaction of the
 *       street or community).
 *   GET /api/v1/brief?kind=daily|weekly&date=&area=   the one-page brief of a
 *       street or a community for a day or a week (Monday to Sunday): what
 *       came in, closed, 三率, hot spots, what is overdue now and which
 *       departments are late, early warnings.
 *   GET /api/v1/brief.xlsx?...   the same brief as a workbook.
 *
 * Cost: nothing here reads all cases.  Cases in come from the daily counts
 * (warning module: one row per day, community and category); 受理率 from the
 * cases created in the range (index on created_at); the two evaluation rates
 * from eval_range (counters of whole months, the cases of partial ones);
 * closed from the audit log's entries in the range (index on at); overdue
 * from the flagged cases (partial index); warnings from their small table.
 * The scope is the stats scope: the caller's area, an `area` inside it
 * narrowing it (the street or one community).  The request is checked on the
 * event loop; the figures (a month of cases at most) are gathered on the
 * long-work pool (server.c), like the evaluation of ranges of days.
 */
#include "brief_store.h"
#include "eval.h"
#include "http.h"
#include "module.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

extern const jc_module module_eval; /* its rates are read where it runs */

#define MAX_DAYS 366
#define DAY_MS 86400000LL

/* ---- periods ---------------------------------------------------------------------- */

typedef struct {
    char d0[16], d1[16]; /* first and last local day, inclusive */
    int64_t t0, t1;      /* [t0, t1) UTC ms */
} period;

static jc_err period_of(const char *d0, const char *d1, period *p) {
    char spec[40];
    snprintf(spec, sizeof spec, "%.10s..%.10s", d0, d1);
    jc_err e = eval_period_parse(spec, &p->t0, &p->t1);
    if (e) return e;
    snprintf(p->d0, sizeof p->d0, "%.10s", d0);
    snprintf(p->d1, sizeof p->d1, "%.10s", d1);
    return JC_OK;
}

static void day_of(int64_t ms, char out[16]) {
    char b[40];
    jc_fmt_local(ms, b, sizeof b);
    snprintf(out, 16, "%.10s", b);
}

/* The same dates one year earlier (29 February becomes the 28th); d is a
 * day period_of accepted. */
static void year_before(const char *d, char out[16]) {
    char ys[5] = {d[0], d[1], d[2], d[3], 0};
    int64_t y = 0;
    if (jc_parse_i64(ys, &y)) y = 0;
    int feb29 = !strncmp(d + 5, "02-29", 5);
    snprintf(out, 16, "%04d-%.2s-%s", (int)(y - 1), d + 5, feb29 ? "28" : d + 8);
}

/* now, the period of the same length before it, and a year earlier */
static jc_err periods(const period *now, period *prev, period *ly) {
    int64_t len = now->t1 - now->t0;
    char a[16], b[16];
    day_of(now->t0 - len, a);
    day_of(now->t0 - 1, b);
    jc_err e = period_of(a, b, prev);
    if (e) return e;
    year_before(now->d0, a);
    year_before(now->d1, b);
    return period_of(a, b, ly);
}

/* ---- the figures of one period ------------------------------------------------------ */

typedef struct {
    int64_t intake;              /* cases created (daily counts) */
    int64_t decided, taken;      /* 受理率: decided (not reported any more), taken up (not voided) */
    double close_num, close_den; /* 按期办结率 */
    double sat_num, sat_den;     /* 满意率 */
    int rated;                   /* 0: the evaluation does not run on this backend (module eval left
                                  * out): the two rates are null, "—" where a person reads them */
} figures;

static int state_cb(const char *state, int64_t n, void *arg) {
    figures *f = arg;
    if (strcmp(state, "reported")) f->decided += n;
    if (strcmp(state, "reported") && strcmp(state, "voided")) f->taken += n;
    return 0;
}

/* The evaluation row key of a scope: the street or the community; "" for
 * every street (an administrator without a scope). */
static void unit_of(const char *area, char *out, size_t n) {
    if (strlen(area) >= 12) snprintf(out, n, "community:%.12s", area);
    else if (strlen(area) == 9) snprintf(out, n, "street:%s", area);
    else out[0] = 0;
}

static jc_err figures_of(jc_conn *c, const char *area, const period *p, int64_t intake, figures *f) {
    memset(f, 0, sizeof *f);
    f->intake = intake;
    jc_err e = brief_db_states(c, area, p->t0, p->t1, state_cb, f);
    if (e) return e;
    if (!module_runs_on_conn(&module_eval, c)) return JC_OK;
    f->rated = 1;
    eval_table *t = NULL;
    if ((e = eval_range(c, p->t0, p->t1, jc_now_ms(), &t))) return e;
    char key[48];
    unit_of(area, key, sizeof key);
    for (size_t i = 0; i < t->n; i++) {
        const eval_row *r = &t->rows[i];
        if (key[0] ? strcmp(r->key, key) : r->kind != EV_STREET) continue;
        f->close_num += r->num[IND_ONTIME_CLOSE], f->close_den += r->den[IND_ONTIME_CLOSE];
        f->sat_num += r->num[IND_SATISFACTION], f->sat_den += r->den[IND_SATISFACTION];
    }
    eval_table_free(t);
    return JC_OK;
}

static json_t *figures_json(const figures *f, const period *p) {
    json_t *o = json_pack("{s:s,s:s,s:I}", "from", p->d0, "to", p->d1, "intake", (json_int_t)f->intake);
    json_object_set_new(o, "intake_rate", json_pack("{s:I,s:I}", "num", (json_int_t)f->taken, "den", (json_int_t)f->decided));
    json_object_set_new(o, "ontime_close",
                        f->rated ? json_pack("{s:f,s:f}", "num", f->close_num, "den", f->close_den) : json_null());
    json_object_set_new(o, "satisfaction",
                        f->rated ? json_pack("{s:f,s:f}", "num", f->sat_num, "den", f->sat_den) : json_null());
    return o;
}

/* ---- counts by category, community and day (daily counts) ------------------------------ */

/* one counted key: a category, a community, a (community, category) pair, a day */
typedef struct {
    char key[40];
    int64_t n[3]; /* now, prev, last year */
} tally;
typedef struct {
    tally *v;
    size_t n, cap;
    jc_err e;
} tallies;

static void tally_add(tallies *t, const char *key, int which, int64_t n) {
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->v[i].key, key)) {
            t->v[i].n[which] += n;
            return;
        }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        tally *nv = realloc(t->v, cap * sizeof *nv);
        if (!nv) {
            t->e = JC_ERR_NOMEM;
            return;
        }
        t->v = nv, t->cap = cap;
    }
    tally *x = &t->v[t->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->key, sizeof x->key, "%s", key);
    x->n[which] = n;
}

typedef struct {
    tallies cat, comm, pair, day;
    int64_t total[3];
    int which;
} counts;

static int count_cb(const char *day, const char *community, const char *category, int64_t n, void *arg) {
    counts *c = arg;
    char pair[40];
    c->total[c->which] += n;
    tally_add(&c->cat, category, c->which, n);
    tally_add(&c->comm, community, c->which, n);
    snprintf(pair, sizeof pair, "%s/%s", community, category);
    tally_add(&c->pair, pair, c->which, n);
    if (c->which == 0) tally_add(&c->day, day, 0, n);
    return 0;
}

static void counts_free(counts *c) {
    free(c->cat.v);
    free(c->comm.v);
    free(c->pair.v);
    free(c->day.v);
}

static int by_now_desc(const void *a, const void *b) {
    const tally *x = a, *y = b;
    if (x->n[0] != y->n[0]) return x->n[0] < y->n[0] ? 1 : -1;
    return strcmp(x->key, y->key);
}
static int by_key(const void *a, const void *b) { return strcmp(((const tally *)a)->key, ((const tally *)b)->key); }
/* hot spots: the largest rise over the previous period, then the most */
static int by_rise(const void *a, const void *b) {
    const tally *x = a, *y = b;
    int64_t rx = x->n[0] - x->n[1], ry = y->n[0] - y->n[1];
    if (rx != ry) return rx < ry ? 1 : -1;
    return by_now_desc(a, b);
}

static json_t *tally_json(tallies *t, const char *name, size_t limit, int (*cmp)(const void *, const void *)) {
    if (t->n) qsort(t->v, t->n, sizeof *t->v, cmp); /* v is NULL when empty */
    json_t *a = json_array();
    for (size_t i = 0; i < t->n && i < limit; i++) {
        if (!t->v[i].n[0] && cmp != by_key) continue;
        json_t *o = json_pack("{s:I,s:I,s:I}", "n", (json_int_t)t->v[i].n[0], "prev", (json_int_t)t->v[i].n[1],
                              "last_year", (json_int_t)t->v[i].n[2]);
        const char *slash = strchr(t->v[i].key, '/');
        if (slash && !strcmp(name, "pair")) {
            json_object_set_new(o, "area", json_stringn(t->v[i].key, (size_t)(slash - t->v[i].key)));
            json_object_set_new(o, "category", json_string(slash + 1));
        } else {
            json_object_set_new(o, name, json_string(t->v[i].key));
        }
        json_array_append_new(a, o);
    }
    return a;
}

/* ---- the request: scope, periods, everything counted ----------------------------------- */

typedef struct {
    char area[24];
    period p[3]; /* now, prev, last year */
    counts cnt;
    figures f[3];
} job;

/* The scope of the caller (as GET /api/v1/stats): -1 after answering. */
static int read_area(jc_req *r, char *area, size_t n) {
    char a[32] = "";
    http_query(r, "area", a, sizeof a);
    for (const char *p = a; *p; p++)
        if (*p < '0' || *p > '9') {
            http_reply_error(r, JC_ERR_INVALID, "area must be a code (digits)");
            return -1;
        }
    if (a[0] && strlen(a) != 9 && strlen(a) != 12) {
        http_reply_error(r, JC_ERR_INVALID, "area must be a street (9 digits) or a community (12 digits)");
        return -1;
    }
    const char *mine = r->user.area;
    if (mine[0] && (!a[0] || strncmp(a, mine, strlen(mine)))) snprintf(a, sizeof a, "%.12s", mine);
    snprintf(area, n, "%s", a);
    return 0;
}

static jc_err count_all(jc_conn *c, job *j, int with_figures) {
    jc_err e = JC_OK;
    for (int w = 0; w < 3 && !e; w++) {
        j->cnt.which = w;
        e = brief_db_counts(c, j->area, j->p[w].d0, j->p[w].d1, count_cb, &j->cnt);
        if (!e) e = j->cnt.cat.e ? j->cnt.cat.e : j->cnt.comm.e ? j->cnt.comm.e : j->cnt.pair.e ? j->cnt.pair.e : j->cnt.day.e;
        if (!e && with_figures) e = figures_of(c, j->area, &j->p[w], j->cnt.total[w], &j->f[w]);
    }
    return e;
}

static json_t *common_json(job *j) {
    json_t *o = json_object();
    json_object_set_new(o, "area", j->area[0] ? json_string(j->area) : json_null());
    json_object_set_new(o, "from", json_string(j->p[0].d0));
    json_object_set_new(o, "to", json_string(j->p[0].d1));
    json_object_set_new(o, "days", json_integer((j->p[0].t1 - j->p[0].t0 + DAY_MS / 2) / DAY_MS));
    json_object_set_new(o, "now", figures_json(&j->f[0], &j->p[0]));
    json_object_set_new(o, "prev", figures_json(&j->f[1], &j->p[1]));
    json_object_set_new(o, "last_year", figures_json(&j->f[2], &j->p[2]));
    json_object_set_new(o, "by_category", tally_json(&j->cnt.cat, "category", 12, by_now_desc));
    return o;
}

/* On the long-work pool (d->db its connection): the range's figures. */
static jc_err range_prepare(jc_deferred *d) {
    job *j = d->data;
    jc_err e = count_all(d->db, j, 1);
    if (e) {
        snprintf(d->message, sizeof d->message, "statistics failed");
        return e;
    }
    json_t *o = common_json(j);
    json_object_set_new(o, "by_community", tally_json(&j->cnt.comm, "area", 200, by_key));
    json_object_set_new(o, "per_day", tally_json(&j->cnt.day, "day", MAX_DAYS + 1, by_key));
    d->status = 200;
    d->body = o;
    return JC_OK;
}

static void job_free(void *p) {
    job *j = p;
    if (j) counts_free(&j->cnt);
    free(j);
}

/* The figures may read a month of cases (the current month's evaluation):
 * they run on the long-work pool, not on the event loop. */
static void defer_long(jc_req *r, jc_err (*prepare)(jc_deferred *), void *data, void (*free_data)(void *),
                       const char *what) {
    jc_deferred *d = http_deferred_new(r);
    if (!d) {
        free_data(data);
        return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    }
    d->data = data;
    d->free_data = free_data;
    d->prepare = prepare;
    d->long_work = 1;
    d->what = what;
    http_defer(r, d);
}

static void h_range(jc_req *r) {
    char from[16] = "", to[16] = "";
    job *j = calloc(1, sizeof *j);
    if (!j) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    if (read_area(r, j->area, sizeof j->area) < 0) return free(j);
    if (!http_query(r, "from", from, sizeof from) || !http_query(r, "to", to, sizeof to) ||
        period_of(from, to, &j->p[0])) {
        free(j);
        return http_reply_error(r, JC_ERR_INVALID, "give from and to as YYYY-MM-DD, from not after to");
    }
    if (j->p[0].t1 - j->p[0].t0 > MAX_DAYS * DAY_MS) {
        free(j);
        return http_reply_error(r, JC_ERR_INVALID, "a range is at most %d days", MAX_DAYS);
    }
    if (periods(&j->p[0], &j->p[1], &j->p[2])) {
        free(j);
        return http_reply_error(r, JC_ERR_INVALID, "the range cannot be compared");
    }
    defer_long(r, range_prepare, j, job_free, "stats_range");
}

/* ---- the brief ------------------------------------------------------------------------- */

typedef struct {
    job j;
    const char *kind;
    int64_t closed[2];
    json_t *overdue, *late, *warnings;
    int64_t overdue_total;
} brief;

static int overdue_cb(const brief_overdue *o, void *arg) {
    brief *b = arg;
    jc_case k = {.id = o->id, .created_ms = o->created_ms};
    char no[40], dl[40];
    case_number(&k, no, sizeof no);
    jc_fmt_utc(o->deadline_ms, dl, sizeof dl);
    json_t *x = json_pack("{s:I,s:s,s:s,s:s,s:s,s:i}", "id", (json_int_t)o->id, "no", no, "title", o->title, "area",
                          o->area, "category", o->category, "escalation", o->escalation);
    json_object_set_new(x, "dept_id", o->dept_id ? json_integer(o->dept_id) : json_null());
    json_object_set_new(x, "deadline", o->deadline_ms ? json_string(dl) : json_null());
    json_array_append_new(b->overdue, x);
    return 0;
}

static int late_cb(int64_t dept_id, int64_t n, void *arg) {
    brief *b = arg;
    json_t *x = json_pack("{s:I}", "overdue", (json_int_t)n);
    json_object_set_new(x, "dept_id", dept_id ? json_integer(dept_id) : json_null());
    json_array_append_new(b->late, x);
    return 0;
}

static int warning_cb(const brief_warning *w, void *arg) {
    brief *b = arg;
    json_array_append_new(b->warnings, json_pack("{s:I,s:s,s:s,s:s,s:s,s:f,s:f}", "id", (json_int_t)w->id, "category",
                                                 w->category, "area", w->area, "day", w->day, "state", w->state,
                                                 "observed", w->observed, "threshold", w->threshold));
    return 0;
}

static void brief_free(brief *b) {
    if (!b) return;
    counts_free(&b->j.cnt);
    json_decref(b->overdue);
    json_decref(b->late);
    json_decref(b->warnings);
    free(b);
}

/* Reads the request (kind, date, area) into a new brief with its periods;
 * NULL after answering. */
static brief *brief_parse(jc_req *r) {
    char kind[16] = "daily", date[16] = "";
    http_query(r, "kind", kind, sizeof kind);
    if (strcmp(kind, "daily") && strcmp(kind, "weekly")) {
        http_reply_error(r, JC_ERR_INVALID, "kind must be daily or weekly");
        return NULL;
    }
    if (!http_query(r, "date", date, sizeof date)) day_of(jc_now_ms(), date);
    brief *b = calloc(1, sizeof *b);
    if (!b) {
        http_reply_error(r, JC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    b->kind = kind[0] == 'd' ? "daily" : "weekly";
    b->overdue = json_array(), b->late = json_array(), b->warnings = json_array();
    if (read_area(r, b->j.area, sizeof b->j.area) < 0) {
        brief_free(b);
        return NULL;
    }
    period day;
    if (period_of(date, date, &day)) {
        brief_free(b);
        http_reply_error(r, JC_ERR_INVALID, "date must be YYYY-MM-DD");
        return NULL;
    }
    jc_err e = JC_OK;
    if (b->kind[0] == 'd') {
        b->j.p[0] = day;
    } else {
        /* Monday to Sunday of the week holding the date (1970-01-01 was a Thursday) */
        int64_t local_day = (day.t0 + 8 * 3600000LL) / DAY_MS;
        int64_t monday = day.t0 - ((local_day + 3) % 7) * DAY_MS;
        char a[16], z[16];
        day_of(monday, a);
        day_of(monday + 6 * DAY_MS, z);
        e = period_of(a, z, &b->j.p[0]);
    }
    if (!e) e = periods(&b->j.p[0], &b->j.p[1], &b->j.p[2]);
    if (e) {
        brief_free(b);
        http_reply_error(r, JC_ERR_INVALID, "date must be YYYY-MM-DD");
        return NULL;
    }
    return b;
}

/* Gathers everything the brief says, reading through c. */
static jc_err brief_gather(jc_conn *c, brief *b) {
    jc_err e = count_all(c, &b->j, 1);
    for (int w = 0; w < 2 && !e; w++) e = brief_db_closed(c, b->j.area, b->j.p[w].t0, b->j.p[w].t1, &b->closed[w]);
    if (!e) e = brief_db_overdue(c, b->j.area, 10, &b->overdue_total, overdue_cb, b);
    if (!e) e = brief_db_overdue_by_dept(c, b->j.area, late_cb, b);
    if (!e) e = brief_db_warnings(c, b->j.area, b->j.p[0].d0, b->j.p[0].d1, 10, warning_cb, b);
    return e;
}

static void brief_free_void(void *p) { brief_free(p); }

static jc_err brief_prepare(jc_deferred *d) {
    brief *b = d->data;
    jc_err e = brief_gather(d->db, b);
    if (e) {
        snprintf(d->message, sizeof d->message, "the brief failed");
        return e;
    }
    json_t *o = common_json(&b->j);
    json_object_set_new(o, "kind", json_string(b->kind));
    json_object_set_new(o, "closed", json_pack("{s:I,s:I}", "now", (json_int_t)b->closed[0], "prev", (json_int_t)b->closed[1]));
    json_object_set_new(o, "hotspots", tally_json(&b->j.cnt.pair, "pair", 5, by_rise));
    json_object_set_new(o, "overdue", json_pack("{s:I,s:O}", "total", (json_int_t)b->overdue_total, "cases", b->overdue));
    json_object_set_new(o, "late_depts", json_incref(b->late));
    json_object_set_new(o, "warnings", json_incref(b->warnings));
    d->status = 200;
    d->body = o;
    return JC_OK;
}

static void h_brief(jc_req *r) {
    brief *b = brief_parse(r);
    if (b) defer_long(r, brief_prepare, b, brief_free_void, "brief");
}

/* ---- the brief as a workbook ---------------------------------------------------------------- */

static const char *pct(double num, double den, char *buf, size_t n) {
    if (den <= 0) snprintf(buf, n, "—");
    else snprintf(buf, n, "%.1f%%", 100.0 * num / den);
    return buf;
}

static const char *dept_name(jc_conn *c, int64_t id, char *buf, size_t n) {
    jc_dept d;
    if (id && store_dept_get(c, id, &d) == JC_OK) snprintf(buf, n, "%s", d.name);
    else snprintf(buf, n, "%s", id ? "?" : "（未派遣）");
    return buf;
}

static const char *area_name(jc_conn *c, const char *code, char *buf, size_t n) {
    jc_area a;
    if (code[0] && store_area_get(c, code, &a) == JC_OK) {
        snprintf(buf, n, "%s", a.name);
        area_clear(&a);
    } else {
        snprintf(buf, n, "%s", code[0] ? code : "全部街道");
    }
    return buf;
}

static const char *category_name(jc_conn *c, const char *code, char *buf, size_t n) {
    jc_category k;
    if (store_category_get(c, code, &k) == JC_OK) {
        snprintf(buf, n, "%s", k.name);
        category_clear(&k);
    } else {
        snprintf(buf, n, "%s", code);
    }
    return buf;
}

/* Writes the brief to path as one sheet, the sections one under another. */
static jc_err brief_xlsx(jc_conn *c, brief *b, const char *path) {
    lxw_workbook *wb = workbook_new(path);
    if (!wb) return JC_ERR_IO;
    lxw_worksheet *ws = workbook_add_worksheet(wb, "简报");
    lxw_format *title = workbook_add_format(wb), *head = workbook_add_format(wb);
    format_set_bold(title);
    format_set_font_size(title, 14);
    format_set_bold(head);
    format_set_bg_color(head, 0xEEEEEE);
    worksheet_set_column(ws, 0, 0, 28, NULL);
    worksheet_set_column(ws, 1, 5, 16, NULL);
    char buf[300], a[160], x[64], y[64], z[64];
    int row = 0;
    snprintf(buf, sizeof buf, "%s%s（%s 至 %s）", area_name(c, b->j.area, a, sizeof a),
             b->kind[0] == 'd' ? "工作日报" : "工作周报", b->j.p[0].d0, b->j.p[0].d1);
    worksheet_write_string(ws, row++, 0, buf, title);
    row++;
    static const char *const h1[] = {"指标", "本期", "上期（环比）", "去年同期（同比）"};
    for (int i = 0; i < 4; i++) worksheet_write_string(ws, row, (lxw_col_t)i, h1[i], head);
    row++;
    const figures *f = b->j.f;
    worksheet_write_string(ws, row, 0, "来件数", NULL);
    for (int w = 0; w < 3; w++) worksheet_write_number(ws, row, (lxw_col_t)(w + 1), (double)f[w].intake, NULL);
    row++;
    worksheet_write_string(ws, row, 0, "办结数", NULL);
    for (int w = 0; w < 2; w++) worksheet_write_number(ws, row, (lxw_col_t)(w + 1), (double)b->closed[w], NULL);
    row++;
    worksheet_write_string(ws, row, 0, "受理率", NULL);
    for (int w = 0; w < 3; w++)
        worksheet_write_string(ws, row, (lxw_col_t)(w + 1), pct((double)f[w].taken, (double)f[w].decided, x, sizeof x), NULL);
    row++;
    worksheet_write_string(ws, row, 0, "按期办结率", NULL);
    for (int w = 0; w < 3; w++)
        worksheet_write_string(ws, row, (lxw_col_t)(w + 1), pct(f[w].close_num, f[w].close_den, x, sizeof x), NULL);
    row++;
    worksheet_write_string(ws, row, 0, "满意率", NULL);
    for (int w = 0; w < 3; w++)
        worksheet_write_string(ws, row, (lxw_col_t)(w + 1), pct(f[w].sat_num, f[w].sat_den, x, sizeof x), NULL);
    row += 2;
    worksheet_write_string(ws, row++, 0, "来件分类", title);
    for (int i = 0; i < 4; i++) worksheet_write_string(ws, row, (lxw_col_t)i, h1[i], head);
    worksheet_write_string(ws, row++, 0, "类别", head);
    if (b->j.cnt.cat.n) qsort(b->j.cnt.cat.v, b->j.cnt.cat.n, sizeof *b->j.cnt.cat.v, by_now_desc);
    for (size_t i = 0; i < b->j.cnt.cat.n && i < 12; i++) {
        const tally *t = &b->j.cnt.cat.v[i];
        if (!t->n[0]) continue;
        worksheet_write_string(ws, row, 0, category_name(c, t->key, a, sizeof a), NULL);
        for (int w = 0; w < 3; w++) worksheet_write_number(ws, row, (lxw_col_t)(w + 1), (double)t->n[w], NULL);
        row++;
    }
    row++;
    worksheet_write_string(ws, row++, 0, "热点（社区·类别，较上期增加最多）", title);
    if (b->j.cnt.pair.n) qsort(b->j.cnt.pair.v, b->j.cnt.pair.n, sizeof *b->j.cnt.pair.v, by_rise);
    for (size_t i = 0; i < b->j.cnt.pair.n && i < 5; i++) {
        const tally *t = &b->j.cnt.pair.v[i];
        if (!t->n[0]) continue;
        char comm[24];
        snprintf(comm, sizeof comm, "%.*s", (int)strcspn(t->key, "/"), t->key);
        snprintf(buf, sizeof buf, "%s · %s", area_name(c, comm, x, sizeof x), category_name(c, strchr(t->key, '/') + 1, y, sizeof y));
        worksheet_write_string(ws, row, 0, buf, NULL);
        worksheet_write_number(ws, row, 1, (double)t->n[0], NULL);
        worksheet_write_number(ws, row, 2, (double)t->n[1], NULL);
        row++;
    }
    row++;
    snprintf(buf, sizeof buf, "超期未办结（共 %lld 件）", (long long)b->overdue_total);
    worksheet_write_string(ws, row++, 0, buf, title);
    static const char *const h2[] = {"案件编号", "标题", "承办部门", "期限", "督办次数"};
    for (int i = 0; i < 5; i++) worksheet_write_string(ws, row, (lxw_col_t)i, h2[i], head);
    row++;
    size_t i;
    json_t *v;
    json_array_foreach(b->overdue, i, v) {
        worksheet_write_string(ws, row, 0, json_string_value(json_object_get(v, "no")), NULL);
        worksheet_write_string(ws, row, 1, json_string_value(json_object_get(v, "title")), NULL);
        worksheet_write_string(ws, row, 2, dept_name(c, json_integer_value(json_object_get(v, "dept_id")), a, sizeof a), NULL);
        const char *dl = json_string_value(json_object_get(v, "deadline"));
        int64_t ms = 0;
        if (dl && jc_parse_time(dl, &ms) == JC_OK) jc_fmt_local(ms, z, sizeof z);
        worksheet_write_string(ws, row, 3, dl ? z : "—", NULL);
        worksheet_write_number(ws, row, 4, (double)json_integer_value(json_object_get(v, "escalation")), NULL);
        row++;
    }
    row++;
    worksheet_write_string(ws, row++, 0, "部门超期情况（当前）", title);
    json_array_foreach(b->late, i, v) {
        worksheet_write_string(ws, row, 0, dept_name(c, json_integer_value(json_object_get(v, "dept_id")), a, sizeof a), NULL);
        worksheet_write_number(ws, row, 1, (double)json_integer_value(json_object_get(v, "overdue")), NULL);
        row++;
    }
    row++;
    worksheet_write_string(ws, row++, 0, "预警", title);
    json_array_foreach(b->warnings, i, v) {
        snprintf(buf, sizeof buf, "%s · %s · %s", json_string_value(json_object_get(v, "day")),
                 area_name(c, json_string_value(json_object_get(v, "area")), x, sizeof x),
                 category_name(c, json_string_value(json_object_get(v, "category")), y, sizeof y));
        worksheet_write_string(ws, row, 0, buf, NULL);
        worksheet_write_number(ws, row, 1, json_real_value(json_object_get(v, "observed")), NULL);
        worksheet_write_number(ws, row, 2, json_real_value(json_object_get(v, "threshold")), NULL);
        row++;
    }
    return workbook_close(wb) == LXW_NO_ERROR ? JC_OK : JC_ERR_IO;
}

static jc_err xlsx_prepare(jc_deferred *d) {
    brief *b = d->data;
    jc_err e = brief_gather(d->db, b);
    char path[] = "/tmp/jiceng-brief-XXXXXX";
    int fd = e ? -1 : mkstemp(path);
    if (!e && fd < 0) e = JC_ERR_IO;
    if (fd >= 0) close(fd);
    if (!e) e = brief_xlsx(d->db, b, path);
    jc_buf out;
    jc_buf_init(&out, 16u << 20);
    if (!e) e = jc_buf_read_file(&out, path);
    if (fd >= 0) unlink(path);
    if (!e && !out.len) e = JC_ERR_IO;
    if (e) {
        jc_buf_free(&out);
        snprintf(d->message, sizeof d->message, "the workbook could not be written");
        return e;
    }
    d->status = 200;
    d->raw_len = out.len;
    d->raw = jc_buf_take(&out);
    snprintf(d->raw_type, sizeof d->raw_type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    return JC_OK;
}

static void h_brief_xlsx(jc_req *r) {
    brief *b = brief_parse(r);
    if (b) defer_long(r, xlsx_prepare, b, brief_free_void, "brief_xlsx");
}

#define LEADERS (ROLE_BIT(ROLE_DISPATCHER) | ROLE_BIT(ROLE_SUPERVISOR) | ROLE_BIT(ROLE_COMMUNITY_STAFF) | ROLE_BIT(ROLE_ADMIN))

static const jc_route brief_routes[] = {
    {"GET", "/api/v1/stats/range", h_range, LEADERS, NULL},
    {"GET", "/api/v1/brief", h_brief, LEADERS, NULL},
    {"GET", "/api/v1/brief.xlsx", h_brief_xlsx, LEADERS, NULL},
};

static const jc_route_table brief_table = {brief_routes, JC_ARRAY_LEN(brief_routes)};

/* The brief module's row (src/modules.c): no tables of its own, its reads
 * are the other modules' tables (its row operations per backend). */
const jc_module module_brief = {
    .name = "brief",
    .store = {[JC_STORE_SQLITE] = &brief_store_sqlite, [JC_STORE_PG] = &brief_store_pg},
    .routes = {&brief_table},
};
