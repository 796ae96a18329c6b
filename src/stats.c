/*
 * stats.c -- the dashboard's figures: GET /api/v1/stats?area=<prefix>&days=30.
 *
 * One read-only endpoint that answers, for the caller's scope, the counts a
 * dashboard needs: cases by state, by category (open and total), by
 * community (open, overdue, total), created and closed per local day over a
 * window, the open / overdue / escalated / ownerless totals, active sensor
 * alarms and open warnings.
 *
 * Design note: the scope is computed exactly as GET /api/v1/cases computes
 * it (caselist.c): residents see their own reports, department staff the
 * cases their department leads (its list also shows those it co-handles or
 * was summoned to: docs/dispatch.md), the admin everything, every other
 * role its area (an `area` query narrows
 * inside it, an area outside it is replaced by the caller's own).  "Open"
 * is the case list's `state=open` (not closed, rated, voided or merged);
 * "overdue", "escalated" and "ownerless" count OPEN cases with that mark,
 * i.e. `state=open&overdue=1` ... of the list.  So every number here equals
 * the length of the corresponding listing (tests/integration/50-judgement
 * checks that).  The window (`days`) applies only to the per-day series.
 *
 * Cost: the numbers come from counters the database keeps as cases are
 * written (stats_sqlite.c), not from the cases: a request reads a row per
 * combination of area, department, category, state and marks that occurs,
 * and the days of its window, whatever the store's size; a resident's
 * numbers from their own cases.  Closed per day counts a case where it was
 * when it closed.  The street's and a community's requests read counters
 * per community (at 1 M cases, bench-fill: 1,872 rows for the street, not
 * the 24,054 per grid and department); a street's or wider, since, those
 * per community by state and marks and per street by category (411 rows
 * at 3 M, not 2,480), a department's (no area) its own per category and
 * per community (250 rows at 3 M, not 2,927 grid rows): stats_count.only
 * says which figures such a row counts in.  Buckets are found by hash,
 * not by a walk of those seen.
 */
#include "stats_store.h"
#include "http.h"
#include "sensor.h"
#include "warning.h"

extern const jc_module module_sensor, module_warning; /* read where they run */

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL
#define TZ_MS 28800000LL

typedef struct {
    char code[24];
    const char *name; /* in the names table, or NULL */
    int64_t total, open, overdue;
} stats_bucket;

#define MAX_BUCKETS 1024
#define MAX_NAMES 4096
#define HASH_SLOTS 2048

typedef struct {
    const char *area; /* the scope's area ("" any) */
    int64_t by_state[ST__COUNT];
    int64_t total, open, overdue, escalated, ownerless;
    stats_bucket cats[MAX_BUCKETS], comms[MAX_BUCKETS];
    int ncats, ncomms;
    uint16_t cat_hash[HASH_SLOTS], comm_hash[HASH_SLOTS];
    int64_t d0, ndays;
    int64_t created[367], closed[367];
    struct { int area; char code[24]; char *name; } names[MAX_NAMES];
    int nnames;
} stats_acc;

static int has_prefix(const char *s, const char *p) { return *p && !strncmp(s, p, strlen(p)); }

static int is_open(int st) { return st != ST_CLOSED && st != ST_RATED && st != ST_VOIDED && st != ST_MERGED; }

/* The bucket of code in b (n of them), added when new; hash is a table of
 * bucket indexes + 1 (0 empty) of HASH_SLOTS: a request visits a bucket
 * per counter row, thousands of times. */
static stats_bucket *bucket(stats_bucket *b, int *n, uint16_t *hash, const char *code) {
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)code; *p; p++) h = (h ^ *p) * 16777619u;
    for (uint32_t i = h % HASH_SLOTS;; i = (i + 1) % HASH_SLOTS) {
        if (!hash[i]) {
            if (*n == MAX_BUCKETS) return NULL;
            stats_bucket *x = &b[(*n)++];
            memset(x, 0, sizeof *x);
            snprintf(x->code, sizeof x->code, "%s", code);
            hash[i] = (uint16_t)*n;
            return x;
        }
        if (!strcmp(b[hash[i] - 1].code, code)) return &b[hash[i] - 1];
    }
}

/* The state of a name: state_parse remembered per thread in 32 slots keyed
 * by the name's length and two of its bytes (checked with one strcmp), as
 * a request parses the same dozen names once per counter row. */
static int state_of(const char *s) {
    static _Thread_local struct { char key[16]; int st; } memo[32];
    size_t len = strlen(s);
    unsigned k = (unsigned)(len * 7 + (unsigned char)s[0] * 3 + (len > 2 ? (unsigned char)s[2] : 0)) % 32;
    if (len < sizeof memo[k].key && !strcmp(memo[k].key, s)) return memo[k].st;
    int st = state_parse(s);
    if (len < sizeof memo[k].key) {
        memcpy(memo[k].key, s, len + 1);
        memo[k].st = st;
    }
    return st;
}

static void add_day(stats_acc *a, int64_t day, int64_t created, int64_t closed) {
    if (day < a->d0 || day >= a->d0 + a->ndays) return;
    a->created[day - a->d0] += created;
    a->closed[day - a->d0] += closed;
}

static void day_cb(int64_t day, int64_t created, int64_t closed, void *arg) { add_day(arg, day, created, closed); }

/* A row's figures (stats_count.only says which: a department's counters
 * come as rows per category and rows per community, stats_sqlite.c). */
static int count_cb(const stats_count *c, void *arg) {
    stats_acc *a = arg;
    if (a->area[0] && strncmp(c->area, a->area, strlen(a->area))) return 0; /* a case read directly */
    int st = state_of(c->state);
    int open = st >= 0 && is_open(st);
    int figs = c->only ? c->only : STATS_FIG_STATE | STATS_FIG_CAT | STATS_FIG_COMM;
    if (figs & STATS_FIG_STATE) {
        if (st >= 0) a->by_state[st] += c->n;
        a->total += c->n;
        if (open) {
            a->open += c->n;
            if (c->marks & STATS_OVERDUE) a->overdue += c->n;
            if (c->marks & STATS_ESCALATED) a->escalated += c->n;
            if (c->marks & STATS_OWNERLESS) a->ownerless += c->n;
        }
    }
    if (figs & STATS_FIG_CAT) {
        stats_bucket *k = bucket(a->cats, &a->ncats, a->cat_hash, c->category);
        if (k) k->total += c->n, k->open += open ? c->n : 0;
    }
    if (figs & STATS_FIG_COMM) {
        char comm[16];
        size_t al = strnlen(c->area, 12);
        memcpy(comm, c->area, al);
        comm[al] = 0;
        stats_bucket *m = bucket(a->comms, &a->ncomms, a->comm_hash, comm);
        if (m) {
            m->total += c->n;
            m->open += open ? c->n : 0;
            m->overdue += open && (c->marks & STATS_OVERDUE) ? c->n : 0;
        }
    }
    if (c->created_day) add_day(a, c->created_day, c->n, 0); /* a case read directly */
    return 0;
}

static void name_cb(int area, const char *code, const char *name, void *arg) {
    stats_acc *a = arg;
    if (a->nnames == MAX_NAMES) return;
    a->names[a->nnames].area = area;
    snprintf(a->names[a->nnames].code, sizeof a->names[a->nnames].code, "%s", code);
    a->names[a->nnames].name = jc_strdup(name);
    a->nnames++;
}

static const char *name_of(const stats_acc *a, int area, const char *code) {
    for (int i = 0; i < a->nnames; i++)
        if (a->names[i].area == area && !strcmp(a->names[i].code, code)) return a->names[i].name;
    return NULL;
}

static int cmp_bucket(const void *x, const void *y) {
    return strcmp(((const stats_bucket *)x)->code, ((const stats_bucket *)y)->code);
}

/* Local (Asia/Shanghai) date "YYYY-MM-DD" of local day d. */
static void day_text(int64_t d, char out[16]) {
    char buf[40];
    jc_fmt_local(d * DAY_MS - TZ_MS, buf, sizeof buf);
    snprintf(out, 16, "%.10s", buf);
}

typedef struct {
    char area[32];
    int64_t dept, reporter;
} stats_scope;

static jc_err stats_build(jc_conn *c, const stats_scope *sc, int days, json_t *o) {
    const stats_store_ops *db = stats_store(c);
    if (!db) return JC_ERR_UNAVAILABLE;
    stats_acc *a = calloc(1, sizeof *a);
    if (!a) return JC_ERR_NOMEM;
    int64_t today = (jc_now_ms() + TZ_MS) / DAY_MS;
    a->area = sc->area;
    a->ndays = days;
    a->d0 = today - days + 1;
    jc_err e;
    if (sc->reporter) {
        e = db->direct(c, sc->reporter, count_cb, a);
        if (!e) e = db->reporter_closed(c, sc->reporter, a->d0, today, day_cb, a);
    } else {
        e = db->counts(c, sc->area, sc->dept, count_cb, a);
        if (!e) e = db->days(c, sc->area, sc->dept, a->d0, today, day_cb, a);
    }
    if (!e) e = db->names(c, name_cb, a);
    int64_t alarms = 0, warns = 0;
    /* alarms and warnings: by area only (they have no department/reporter) */
    /* (none where their modules do not run: module.h) */
    if (!e && !sc->dept && !sc->reporter && module_runs_on_conn(&module_sensor, c))
        e = sensor_alarms_active(c, sc->area, &alarms);
    if (!e && !sc->dept && !sc->reporter && module_runs_on_conn(&module_warning, c))
        e = warning_open_count(c, sc->area, &warns);
    if (!e) {
        json_t *bs = json_object();
        for (int i = 0; i < ST__COUNT; i++) json_object_set_new(bs, state_name((jc_state)i), json_integer(a->by_state[i]));
        json_object_set_new(o, "by_state", bs);
        json_object_set_new(o, "totals",
                            json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "total", (json_int_t)a->total, "open",
                                      (json_int_t)a->open, "overdue", (json_int_t)a->overdue, "escalated",
                                      (json_int_t)a->escalated, "ownerless", (json_int_t)a->ownerless,
                                      "alarms_active", (json_int_t)alarms, "warnings_open", (json_int_t)warns));
        qsort(a->cats, (size_t)a->ncats, sizeof *a->cats, cmp_bucket);
        qsort(a->comms, (size_t)a->ncomms, sizeof *a->comms, cmp_bucket);
        json_t *cats = json_array(), *comms = json_array(), *per = json_array();
        for (int i = 0; i < a->ncats; i++)
            json_array_append_new(cats, json_pack("{s:s,s:s?,s:I,s:I}", "category", a->cats[i].code, "name",
                                                  name_of(a, 0, a->cats[i].code), "total", (json_int_t)a->cats[i].total,
                                                  "open", (json_int_t)a->cats[i].open));
        for (int i = 0; i < a->ncomms; i++)
            json_array_append_new(comms, json_pack("{s:s,s:s?,s:I,s:I,s:I}", "area", a->comms[i].code, "name",
                                                   name_of(a, 1, a->comms[i].code), "total",
                                                   (json_int_t)a->comms[i].total, "open", (json_int_t)a->comms[i].open,
                                                   "overdue", (json_int_t)a->comms[i].overdue));
        for (int64_t i = 0; i < a->ndays; i++) {
            char d[16];
            day_text(a->d0 + i, d);
            json_array_append_new(per, json_pack("{s:s,s:I,s:I}", "day", d, "created", (json_int_t)a->created[i],
                                                 "closed", (json_int_t)a->closed[i]));
        }
        json_object_set_new(o, "by_category", cats);
        json_object_set_new(o, "by_community", comms);
        json_object_set_new(o, "per_day", per);
        char f[16], t[16];
        day_text(a->d0, f);
        day_text(today, t);
        json_object_set_new(o, "from", json_string(f));
        json_object_set_new(o, "to", json_string(t));
    }
    for (int i = 0; i < a->nnames; i++) free(a->names[i].name);
    free(a);
    return e;
}

static void h_stats(jc_req *r) {
    char area[32] = "", tmp[32];
    int64_t days = 30;
    if (http_query(r, "days", tmp, sizeof tmp) && (jc_parse_i64(tmp, &days) || days < 1 || days > 366))
        return http_reply_error(r, JC_ERR_INVALID, "days must be 1..366");
    http_query(r, "area", area, sizeof area);
    for (const char *p = area; *p; p++)
        if (*p < '0' || *p > '9') return http_reply_error(r, JC_ERR_INVALID, "area must be a code (digits)");
    stats_scope sc = {{0}, 0, 0};
    const jc_user *u = &r->user;
    switch (u->role) {
    case ROLE_RESIDENT: sc.reporter = u->id; break;
    case ROLE_DEPT_STAFF: sc.dept = u->dept_id ? u->dept_id : -1; break;
    case ROLE_ADMIN: break;
    default:
        if (!area[0] || !has_prefix(area, u->area)) snprintf(area, sizeof area, "%s", u->area);
        break;
    }
    snprintf(sc.area, sizeof sc.area, "%s", area);
    json_t *o = json_object();
    json_object_set_new(o, "area", sc.area[0] ? json_string(sc.area) : json_null());
    json_object_set_new(o, "days", json_integer(days));
    jc_err e = stats_build(r->db, &sc, (int)days, o);
    if (e) {
        json_decref(o);
        return http_reply_error(r, e, "statistics failed");
    }
    http_reply_json(r, 200, o);
}

static const jc_route stats_routes[] = {
    {"GET", "/api/v1/stats", h_stats, ACCESS_USER, NULL},
};

static const jc_route_table stats_table = {stats_routes, JC_ARRAY_LEN(stats_routes)};

jc_err stats_rebuild(jc_conn *w) {
    const stats_store_ops *db = stats_store(w);
    return db ? db->rebuild(w) : JC_ERR_UNAVAILABLE;
}

/* The leader's tick: what was counted since goes into the counters, where
 * the backend counts that way (stats_pg.c). */
static jc_err stats_tick(jc_conn *w, int64_t now_ms) {
    (void)now_ms;
    const stats_store_ops *db = stats_store(w);
    return db && db->fold ? db->fold(w) : JC_OK;
}

/* The stats module's row (src/modules.c). */
const jc_module module_stats = {
    .name = "stats",
    .schema = {[JC_STORE_SQLITE] = &schema_stats, [JC_STORE_PG] = &schema_stats_pg},
    .store = {[JC_STORE_SQLITE] = &stats_store_sqlite, [JC_STORE_PG] = &stats_store_pg},
    .routes = {&stats_table},
    .tick = stats_tick,
};
