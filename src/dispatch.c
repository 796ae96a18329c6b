/*
 * dispatch.c -- automatic dispatch (see dispatch.h for the design).
 *
 * Sections: the routing context; phases and owners; locating and routing;
 * the prepare/after hooks; the escalation ticker; importing the
 * responsibility list; JSON for the case view.  The HTTP handlers live in
 * dispatch_api.c; every row is read and written through dispatch_store.h
 * (dispatch_sqlite.c).
 */
#include "dispatch.h"
#include "dispatch_store.h"
#include "reason.h"
#include "audit.h"
#include "auth.h"
#include "calendar.h"
#include "dedup.h"
#include "duty.h"
#include "geo.h"
#include "store.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the routing context (writer thread only) ------------------------------
 * One per store, kept on its writer (store_writer_state, which asserts that
 * it runs there) and freed with the store; ctx_ensure points the writer
 * thread's `ctx` (and the escalation timer's `tmr`) at the store's own at
 * the start of every entry on the writer, so two stores in one process
 * (tests, bench-fill) never share a context. */

typedef struct {
    jc_conn *db;          /* the connection it was loaded from */
    int64_t generation;
    uint64_t epoch;       /* store_epoch when the generation was last read */
    int loaded;
    geo_index *grids;
    duty_list *list;
    int list_version;
    calendar *cal;
    dedup_index *dups;
    dispatch_esc_cfg esc; /* the escalation settings (督办设置) */
    char street[24];      /* where unlocated reports go */
} route_ctx;
static _Thread_local route_ctx *ctx; /* the store's, on its writer thread (ctx_ensure) */
static const char ctx_key;           /* its address names the store's block */

/* The escalation timer's heap (below). */
typedef struct {
    int64_t at, id;
} timer_ent;

typedef struct {
    timer_ent *h;
    size_t n, cap;
    size_t n_loaded; /* entries after the last load: the stale ones since are n - live */
    int loaded;
    jc_conn *db;
    uint64_t outside;
} timer_heap;
static _Thread_local timer_heap *tmr; /* the store's, on its writer thread (ctx_ensure) */
static const char tmr_key;

static void tmr_block_free(void *p) { free(((timer_heap *)p)->h); }

static int64_t generation_of(jc_conn *w) {
    char v[32];
    int64_t g = 0;
    if (store_meta_get(w, "dispatch.generation", v, sizeof v) || jc_parse_i64(v, &g)) return 0;
    return g;
}

/* Marks the routing context stale in every process (same transaction). */
static jc_err bump_generation(jc_conn *w) {
    int64_t g;
    jc_err e = dispatch_store(w)->generation_bump(w, &g);
    if (e) return e;
    store_touch(w);
    return JC_OK;
}

static void ctx_clear(route_ctx *c) {
    geo_index_free(c->grids);
    duty_list_free(c->list);
    calendar_free(c->cal);
    dedup_free(c->dups);
    memset(c, 0, sizeof *c);
}

static void ctx_block_free(void *p) { ctx_clear(p); }

static void ctx_free(void) { ctx_clear(ctx); }

/* The grid index and the street unlocated reports go to, from the areas. */
static int add_area(const jc_area *a, void *arg) {
    (void)arg;
    if (!strcmp(a->level, "grid") && a->geojson) {
        geo_shape *shape = NULL;
        char err[200];
        if (geo_shape_parse(a->geojson, strlen(a->geojson), &shape, err, sizeof err) != JC_OK) {
            jc_log(JC_LOG_WARN, "grid %s: bad geometry: %s", a->code, err);
            return 0;
        }
        if (geo_index_add(ctx->grids, a->code, shape) != JC_OK) geo_shape_free(shape);
    } else if (!strcmp(a->level, "street") && (!ctx->street[0] || strcmp(a->code, ctx->street) < 0)) {
        snprintf(ctx->street, sizeof ctx->street, "%s", a->code);
    }
    return 0;
}

static jc_err load_grids(jc_conn *w) {
    jc_err e = geo_index_new(&ctx->grids);
    if (e || (e = store_area_each(w, add_area, NULL))) return e;
    char err[200];
    if ((e = geo_index_build(ctx->grids, err, sizeof err))) jc_log(JC_LOG_WARN, "grid index: %s", err);
    return e;
}

/* Codes of the catalogue, for validating a list. */
typedef struct {
    char **v;
    size_t n, cap;
    jc_err e;
} code_list;

typedef struct {
    code_list cats, depts;
} codes;

static void codes_free(codes *c) {
    for (size_t i = 0; i < c->cats.n; i++) free(c->cats.v[i]);
    for (size_t i = 0; i < c->depts.n; i++) free(c->depts.v[i]);
    free(c->cats.v);
    free(c->depts.v);
}

static int code_add(code_list *l, const char *code) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **nv = realloc(l->v, cap * sizeof *nv);
        if (!nv) return l->e = JC_ERR_NOMEM, 1;
        l->v = nv, l->cap = cap;
    }
    if (!(l->v[l->n] = jc_strdup(code))) return l->e = JC_ERR_NOMEM, 1;
    l->n++;
    return 0;
}
static int add_cat(const jc_category *k, void *arg) { return code_add(arg, k->code); }
static int add_dept(const jc_dept *d, void *arg) { return code_add(arg, d->code); }

static jc_err load_known(jc_conn *w, codes *c, duty_known *k) {
    memset(c, 0, sizeof *c);
    jc_err e;
    if ((e = store_category_each(w, add_cat, &c->cats)) || (e = c->cats.e) ||
        (e = store_dept_each(w, add_dept, &c->depts)) || (e = c->depts.e))
        return e;
    k->categories = (const char *const *)c->cats.v;
    k->n_categories = c->cats.n;
    k->depts = (const char *const *)c->depts.v;
    k->n_depts = c->depts.n;
    return JC_OK;
}

static jc_err load_list(jc_conn *w) {
    char *csv = NULL;
    size_t len = 0;
    jc_err e = dispatch_store(w)->list_csv(w, 0, &ctx->list_version, &csv, &len);
    if (e == JC_OK) {
        e = duty_import_csv(csv, len, NULL, &ctx->list, NULL);
    } else if (e == JC_ERR_NOTFOUND) {
        e = duty_list_new(&ctx->list);
        ctx->list_version = 0;
    }
    free(csv);
    return e;
}

/* Parses meta('dispatch.hours'), "540-720,810-1050" (minutes after local
 * midnight), into iv; returns the count, 0 when absent or malformed. */
size_t dispatch__parse_hours(const char *v, calendar_interval *iv, size_t max) {
    size_t n = 0;
    while (v && *v && n < max) {
        int a, b, used = 0;
        if (sscanf(v, "%d-%d%n", &a, &b, &used) != 2) return 0;
        iv[n].start_min = a;
        iv[n].end_min = b;
        n++;
        v += used;
        if (*v == ',') v++;
        else if (*v) return 0;
    }
    return n;
}

static int add_override(int ymd, const char *kind, const char *name, void *arg) {
    (void)arg;
    calendar_set what = !strcmp(kind, "holiday") ? CALENDAR_SET_HOLIDAY : CALENDAR_SET_WORKDAY;
    if (calendar_override(ctx->cal, ymd, what, name) != JC_OK) jc_log(JC_LOG_WARN, "calendar override %d ignored", ymd);
    return 0;
}

static jc_err load_calendar(jc_conn *w) {
    jc_err e = calendar_new(&ctx->cal);
    if (e) return e;
    char v[256];
    if (store_meta_get(w, "dispatch.hours", v, sizeof v) == JC_OK) {
        calendar_interval iv[8];
        size_t n = dispatch__parse_hours(v, iv, 8);
        if (!n || calendar_set_hours(ctx->cal, iv, n) != JC_OK)
            jc_log(JC_LOG_WARN, "dispatch: ignoring bad working hours in meta");
    }
    return dispatch_store(w)->calendar_days(w, add_override, NULL);
}

static int add_dup(const dispatch_located *r, void *arg) {
    (void)arg;
    jc_err ae = dedup_add(ctx->dups, r->id, r->text, r->lon, r->lat, r->created, r->category);
    (void)ae; /* a text without letters is simply not indexed */
    return 0;
}

static jc_err load_dups(jc_conn *w) {
    dedup_params p = dedup_params_default();
    p.same_category_only = 1; /* dispatch merges only within a category */
    jc_err e = dedup_new(&p, &ctx->dups);
    if (e) return e;
    return dispatch_store(w)->recent_located(w, jc_now_ms() - p.window_ms, add_dup, NULL);
}

/* Makes sure the context matches the database behind w (the generation is
 * read again only when the writer's epoch moved: bump_generation, a rollback,
 * another connection's commit). */
static jc_err ctx_ensure(jc_conn *w) {
    ctx = store_writer_state(w, &ctx_key, sizeof *ctx, ctx_block_free);
    tmr = store_writer_state(w, &tmr_key, sizeof *tmr, tmr_block_free);
    if (!ctx || !tmr) return JC_ERR_NOMEM;
    jc_conn *db = w;
    uint64_t epoch = store_epoch(w);
    if (epoch && ctx->loaded && ctx->db == db && ctx->epoch == epoch) return JC_OK;
    int64_t gen = generation_of(w);
    if (ctx->loaded && ctx->db == db && ctx->generation == gen) {
        ctx->epoch = epoch;
        return JC_OK;
    }
    ctx_free();
    jc_err e;
    if ((e = load_grids(w)) || (e = load_list(w)) || (e = load_calendar(w)) || (e = load_dups(w)) ||
        (e = dispatch_store(w)->esc_get(w, &ctx->esc))) {
        jc_log(JC_LOG_ERROR, "dispatch: loading the routing context failed: %s", jc_err_code(e));
        ctx_free();
        return e;
    }
    ctx->db = db;
    ctx->generation = gen;
    ctx->loaded = 1;
    ctx->epoch = epoch;
    return JC_OK;
}

/* ---- the escalation timer ------------------------------------------------------
 * When an open phase is next due (its 80 % reminder, its deadline, each
 * further escalation level) is case_phase.next_at.  The ticker finds the due
 * ones in a min-heap of (next_at, phase id) kept in memory: an index on
 * next_at, whose keys scatter with the deadlines, cost every dispatch ~2 us
 * and a page of its own per batch.  The heap is read from the table at the
 * first tick (so after a restart overdue phases are found again) and again
 * whenever the table may hold what the heap was not told
 * (store_outside: another connection's commit, a failed commit).
 * Every write of next_at on the writer pushes (next_at, id); an entry whose
 * write was rolled back, or that a later write superseded, is stale, and
 * the ticker skips it after reading the row (next_at differs, or the phase
 * ended).  A load reads the armed open phases through the partial index
 * case_phase_open: ~0.3 ms per 1,000 of them when cached, however many
 * phases have ended.  Writer thread only: one heap per store (timer_heap,
 * kept beside the routing context). */
/* (timer_ent and timer_heap are declared beside the routing context.) */

static int tmr_less(const timer_ent *a, const timer_ent *b) {
    return a->at < b->at || (a->at == b->at && a->id < b->id);
}

static void tmr_down(size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < tmr->n && tmr_less(&tmr->h[l], &tmr->h[m])) m = l;
        if (l + 1 < tmr->n && tmr_less(&tmr->h[l + 1], &tmr->h[m])) m = l + 1;
        if (m == i) return;
        timer_ent t = tmr->h[i];
        tmr->h[i] = tmr->h[m];
        tmr->h[m] = t;
        i = m;
    }
}

/* Adds (at, id); out of memory, the heap is read again at the next tick. */
static void tmr_push(int64_t at, int64_t id) {
    if (!tmr->loaded) return; /* the load reads it from the table */
    if (tmr->n == tmr->cap) {
        size_t cap = tmr->cap ? 2 * tmr->cap : 1024;
        timer_ent *h = realloc(tmr->h, cap * sizeof *h);
        if (!h) {
            tmr->loaded = 0;
            return;
        }
        tmr->h = h, tmr->cap = cap;
    }
    size_t i = tmr->n++;
    tmr->h[i] = (timer_ent){at, id};
    while (i && tmr_less(&tmr->h[i], &tmr->h[(i - 1) / 2])) {
        timer_ent t = tmr->h[i];
        tmr->h[i] = tmr->h[(i - 1) / 2];
        tmr->h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static timer_ent tmr_pop(void) {
    timer_ent top = tmr->h[0];
    tmr->h[0] = tmr->h[--tmr->n];
    tmr_down(0);
    return top;
}

static int load_one(int64_t at, int64_t id, void *arg) {
    (void)arg;
    tmr_push(at, id);
    return !tmr->loaded; /* out of memory: stop */
}

/* Reads the heap from the table (the open phases, by case_phase_open: at
 * the first tick and after the rare events store_outside counts). */
static jc_err tmr_load(jc_conn *w) {
    tmr->loaded = 0;
    tmr->n = 0;
    tmr->loaded = 1; /* so that tmr_push adds */
    jc_err e = dispatch_store(w)->armed_phases(w, load_one, NULL);
    if (e || !tmr->loaded) {
        tmr->loaded = 0;
        return e ? e : JC_ERR_NOMEM;
    }
    tmr->db = w;
    tmr->outside = store_outside(w);
    tmr->n_loaded = tmr->n;
    return JC_OK;
}

/* ---- when a phase is next due ---------------------------------------------------
 * A phase raises at most one entry per step (docs/dispatch.md, Escalation):
 * the reminder (临期) when remind_pct of its time limit is used, 超时督办
 * (level 1) at its deadline and, when the settings have two levels, 领导督办
 * (level 2) leader_after_min working minutes after the deadline; then
 * nothing more.  The reminder counts working time for a limit in working
 * time, natural time for an urgent category's; the leader's interval is
 * always working time.  A phase found late (the server was down) goes
 * straight to the step due now, in one entry. */

/* The instant remind_pct of the time from start to deadline is used. */
static int64_t remind_at(int64_t start, int64_t deadline, int natural) {
    int64_t span = deadline - start;
    if (span <= 0) return deadline;
    int pct = ctx->esc.remind_pct ? ctx->esc.remind_pct : 80;
    int64_t wms = 0, at = 0;
    int prov = 0;
    if (!natural && ctx->cal && calendar_working_ms_between(ctx->cal, start, deadline, &wms) == JC_OK &&
        wms >= 60000 &&
        calendar_add(ctx->cal, start, wms * pct / 100 / 60000, CALENDAR_WORKING_MINUTES, &at, &prov) == JC_OK &&
        at > start && at <= deadline)
        return at;
    return start + span * pct / 100;
}

/* When an overdue phase goes to level 2 (领导督办). */
static int64_t leader_at(int64_t deadline) {
    int64_t at = 0;
    int prov = 0;
    if (ctx->cal &&
        calendar_add(ctx->cal, deadline, ctx->esc.leader_after_min, CALENDAR_WORKING_MINUTES, &at, &prov) == JC_OK)
        return at;
    return deadline + (int64_t)ctx->esc.leader_after_min * 60000;
}

/* When the timer must look at a running phase again; 0: never. */
static int64_t phase_next(const dispatch_phase_row *p) {
    if (p->level >= ctx->esc.levels) return 0;
    if (p->level == 0) return p->reminded ? p->deadline : remind_at(p->start, p->deadline, p->natural);
    return leader_at(p->deadline);
}

typedef struct {
    jc_conn *w;
    jc_err e;
} rearm_ctx;

static int rearm_one(const dispatch_phase_row *p, void *arg) {
    rearm_ctx *rc = arg;
    int64_t next = phase_next(p);
    if ((rc->e = dispatch_store(rc->w)->phase_next(rc->w, p->id, next))) return 1;
    if (next) tmr_push(next, p->id);
    return 0;
}

/* Sets when the running phases of a case (or phase phase_id) are next due
 * after their deadline, reminder or level changed. */
static jc_err rearm(jc_conn *w, int64_t case_id, int64_t phase_id) {
    rearm_ctx rc = {w, JC_OK};
    jc_err e = dispatch_store(w)->running_phases(w, case_id, phase_id, rearm_one, &rc);
    return e ? e : rc.e;
}

/* ---- phases and owners ------------------------------------------------------- */

static const char *const phase_names[] = {"accept", "handle", "verify"};

/* Closes the open phase rows of a case (all phases when phase is NULL). */
static jc_err close_phases(jc_conn *w, int64_t case_id, const char *phase, int64_t now, const char *reason) {
    return dispatch_store(w)->phases_close(w, case_id, phase, now, reason);
}

/* The time limit of a phase for a case: the routing entry's, else the
 * category's default in working hours (natural hours for urgent ones). */
static void phase_limit(jc_conn *w, const jc_case *k, int phase, duty_limit *out) {
    const duty_entry *en = NULL;
    if (ctx->list && duty_match(ctx->list, k->category, k->area, &en) == JC_OK) {
        *out = en->limit[phase];
        return;
    }
    jc_category cat;
    double h = phase == DUTY_ACCEPT ? 2 : phase == DUTY_HANDLE ? 24 : 8;
    int urgent = 0;
    if (store_category_get(w, k->category, &cat) == JC_OK) {
        h = phase == DUTY_ACCEPT ? cat.accept_h : phase == DUTY_HANDLE ? cat.handle_h : cat.verify_h;
        urgent = cat.urgent;
        category_clear(&cat);
    }
    out->amount = (int64_t)llround(h * 60);
    out->unit = urgent ? CALENDAR_NATURAL_MINUTES : CALENDAR_WORKING_MINUTES;
}

/* Opens a phase row and sets the case's current deadline. */
static jc_err open_phase(jc_conn *w, jc_case *k, int phase, int64_t now) {
    duty_limit lim;
    phase_limit(w, k, phase, &lim);
    int64_t deadline = 0;
    int provisional = 0;
    if (calendar_add(ctx->cal, now, lim.amount, lim.unit, &deadline, &provisional) != JC_OK)
        deadline = now + lim.amount * 3600 * 1000;
    int natural = lim.unit == CALENDAR_NATURAL_HOURS || lim.unit == CALENDAR_NATURAL_MINUTES;
    dispatch_phase_new p = {.case_id = k->id,
                            .phase = phase_names[phase],
                            .dept_id = phase == DUTY_VERIFY ? 0 : k->dept_id,
                            .user_id = phase == DUTY_VERIFY ? k->assignee_id : 0,
                            .start = now,
                            .deadline = deadline,
                            .next_at = remind_at(now, deadline, natural),
                            .provisional = provisional,
                            .natural = natural};
    int64_t id;
    jc_err e = dispatch_store(w)->phase_insert(w, &p, &id);
    if (e) return e;
    tmr_push(p.next_at, id);
    k->deadline_ms = deadline;
    k->flags &= ~(unsigned)(CASE_F_OVERDUE | CASE_F_REMINDED);
    return JC_OK;
}

static jc_err pause_phases(jc_conn *w, int64_t case_id, int64_t now, int pause) {
    /* Resuming moves the deadline by the paused time (approved by the street,
     * so it never counts as overdue) and re-arms the ticker. */
    jc_err e = dispatch_store(w)->phases_pause(w, case_id, now, pause);
    if (e) return e;
    return pause ? JC_OK : rearm(w, case_id, 0);
}

static int64_t open_phase_deadline(jc_conn *w, int64_t case_id) {
    int64_t d = 0;
    return dispatch_store(w)->open_deadline(w, case_id, &d) ? 0 : d;
}

/* An extension is a new time limit: its reminder and levels start over. */
static jc_err set_phase_deadline(jc_conn *w, int64_t case_id, int64_t deadline) {
    jc_err e = dispatch_store(w)->phases_extend(w, case_id, deadline);
    return e ? e : rearm(w, case_id, 0);
}

jc_err dispatch__phase_deadline(jc_conn *w, int64_t id, int64_t deadline, int provisional) {
    jc_err e = dispatch_store(w)->phase_deadline(w, id, deadline, provisional);
    return e ? e : rearm(w, 0, id); /* a paused phase stays unarmed until resumed */
}

static jc_err close_owners(jc_conn *w, int64_t case_id, int64_t now, const char *reason) {
    return dispatch_store(w)->owners_close(w, case_id, now, reason);
}

static jc_err open_owner(jc_conn *w, int64_t case_id, int64_t dept_id, const char *role, int64_t now) {
    return dispatch_store(w)->owner_open(w, case_id, dept_id, role, now);
}

/* ---- locating and routing ---------------------------------------------------- */

static jc_err save_route(jc_conn *w, const jc_case *k, const duty_entry *en, int manual, const char *located,
                         const char *explanation) {
    char co[DUTY_MAX_CO * (DUTY_MAX_CODE + 1) + 1] = "";
    size_t co_len = 0;
    if (en)
        for (size_t i = 0; i < en->n_co && i < DUTY_MAX_CO; i++) {
            /* each code is at most DUTY_MAX_CODE bytes and a separator: fits */
            size_t n = strnlen(en->co_depts[i], DUTY_MAX_CODE);
            if (i) co[co_len++] = '|';
            memcpy(co + co_len, en->co_depts[i], n);
            co_len += n;
            co[co_len] = 0;
        }
    dispatch_route_row r = {.case_id = k->id,
                            .list_version = ctx->list_version,
                            .entry_id = en ? en->id : NULL,
                            .scope = en ? en->scope : NULL,
                            .lead_dept = en ? en->lead_dept : NULL,
                            .co_depts = en ? co : NULL,
                            .category = k->category,
                            .grid = k->area,
                            .located = located,
                            .explanation = explanation,
                            .manual = manual,
                            .routed_at = jc_now_ms()};
    return dispatch_store(w)->route_save(w, &r);
}

static const char *located_of(const jc_case *k) {
    if (k->flags & CASE_F_UNLOCATED) return "unlocated: the point is outside every grid";
    if (k->has_point) return "point in grid polygon";
    return "area given by the reporter";
}

/* Routes k by the active list: sets dept_id, opens owners (lead + co),
 * stores the route (list version, entry, grid; its explanation is written
 * out on reading).  JC_ERR_NOTFOUND: no entry. */
static jc_err route_case(jc_conn *w, jc_case *k, int64_t now, jc_case_err *why) {
    const duty_entry *en = NULL;
    /* the explanation is not stored: it follows from the list version, the
     * category and the grid, and is written out on reading (route_explain) */
    jc_err e = duty_match(ctx->list, k->category, k->area, &en);
    if (e == JC_ERR_NOTFOUND) {
        snprintf(why->message, sizeof why->message,
                 "no responsibility-list entry for category %s in %s: ownerless (无主)", k->category, k->area);
        jc_err se = save_route(w, k, NULL, 0, located_of(k), "");
        return se ? se : JC_ERR_NOTFOUND;
    }
    if (e) return e;
    jc_dept d;
    if ((e = store_dept_by_code(w, en->lead_dept, &d))) {
        snprintf(why->message, sizeof why->message, "the list names department %s, unknown now", en->lead_dept);
        return e == JC_ERR_NOTFOUND ? JC_ERR_CONFLICT : e;
    }
    k->dept_id = d.id;
    /* a report not stored yet (k->unsaved: registered in its own request)
     * has no owners to close */
    if ((!k->unsaved && (e = close_owners(w, k->id, now, "reassigned"))) ||
        (e = open_owner(w, k->id, d.id, "lead", now)))
        return e;
    for (size_t i = 0; i < en->n_co; i++) {
        jc_dept cd;
        if (store_dept_by_code(w, en->co_depts[i], &cd) == JC_OK && (e = open_owner(w, k->id, cd.id, "co", now)))
            return e;
    }
    return save_route(w, k, en, 0, located_of(k), "");
}

static jc_err manual_route(jc_conn *w, jc_case *k, int64_t dept_id, const jc_user *actor, int64_t now,
                           jc_case_err *why) {
    jc_dept d;
    jc_err e = store_dept_get(w, dept_id, &d);
    if (e == JC_ERR_NOTFOUND) {
        snprintf(why->message, sizeof why->message, "unknown department %lld", (long long)dept_id);
        return JC_ERR_INVALID;
    }
    if (e) return e;
    k->dept_id = d.id;
    if ((e = close_owners(w, k->id, now, "reassigned")) || (e = open_owner(w, k->id, d.id, "lead", now)))
        return e;
    /* a code the reader's UI words ("街道指挥中心人工派遣至…"); routes of
     * earlier builds hold a bilingual sentence */
    char ex[200];
    reason_buf b;
    reason_begin(&b, ex, sizeof ex, "manual_dispatch");
    reason_str(&b, "dept", d.code);
    reason_str(&b, "by_role", role_name(actor->role));
    return save_route(w, k, NULL, 1, located_of(k), reason_end(&b));
}

/* Picks the grid worker for a verification: on duty, in the case's grid
 * (or the longest scope containing it), with the fewest open tasks. */
static int64_t pick_worker(jc_conn *w, const jc_case *k) {
    int64_t id = 0;
    return dispatch_store(w)->pick_worker(w, k->area, &id) ? 0 : id;
}

static int open_whistle_members(jc_conn *w, int64_t case_id) {
    int n = 0;
    return dispatch_store(w)->whistle_members_open(w, case_id, &n) ? 0 : n;
}

static jc_err decide_return(jc_conn *w, int64_t case_id, const char *decision, const jc_user *actor,
                            const char *note, int64_t now) {
    return dispatch_store(w)->return_decide(w, case_id, decision, actor->name, note, now);
}

/* ---- the hooks (case.h) ---------------------------------------------------------
 * prepare routes, opens and closes phases and owners, and asks for the
 * chained action (the automatic dispatch after registration, a merge into a
 * duplicate's original); after records the duplicate.  What prepare found
 * for after is the module's scratch. */

typedef struct {
    int64_t merge_into;   /* auto-merge the new case into this one */
    int64_t suggest_of;   /* record a suggested duplicate of this case */
    double dup_score, dup_dist;
} dispatch_scratch;
_Static_assert(sizeof(dispatch_scratch) <= CASE_HOOK_SCRATCH, "dispatch's scratch must fit the case loop's");

/* The automatic dispatch of the row this action leaves, which stores it. */
static void chain_dispatch(case_plan *plan) {
    plan->chain = 1;
    plan->chain_stores = 1;
    plan->chain_action = ACT_DISPATCH;
    plan->chain_on_row = 1;
    snprintf(plan->chain_actor, sizeof plan->chain_actor, "dispatch");
    plan->chain_args = (jc_action_args){.note = "{\"code\":\"auto_dispatch\"}"};
}

static jc_err prepare_create(jc_conn *w, jc_case *k, case_plan *cp, dispatch_scratch *plan) {
    if (k->has_point && ctx->grids) {
        const char *code = NULL;
        if (geo_index_locate(ctx->grids, k->lon, k->lat, &code) == JC_OK) {
            snprintf(k->area, sizeof k->area, "%s", code);
        } else {
            k->flags |= CASE_F_UNLOCATED;
            if (ctx->street[0] && strlen(k->area) < 15) snprintf(k->area, sizeof k->area, "%s", ctx->street);
        }
    }
    if (k->has_point && ctx->dups) {
        dedup_match m[4];
        size_t n = 0;
        jc_buf text;
        jc_buf_init(&text, 1 << 20);
        if (jc_buf_puts(&text, k->title ? k->title : "") == JC_OK && jc_buf_puts(&text, " ") == JC_OK &&
            jc_buf_puts(&text, k->body ? k->body : "") == JC_OK &&
            dedup_query(ctx->dups, text.data, k->lon, k->lat, k->created_ms, k->category, m, 4, &n) == JC_OK) {
            for (size_t i = 0; i < n; i++) {
                if (m[i].same_category != 1) continue;
                jc_case o;
                if (store_case_get(w, m[i].id, &o) != JC_OK) continue;
                int open = o.state != ST_CLOSED && o.state != ST_RATED && o.state != ST_VOIDED && o.state != ST_MERGED;
                /* the row is the report the index holds, not a later case
                 * that took the id of one whose job was rolled back */
                int same = o.has_point && llabs(o.created_ms - k->created_ms) == m[i].dt_ms &&
                           dedup_distance_m(k->lon, k->lat, o.lon, o.lat) == m[i].dist_m;
                case_clear(&o);
                if (!open || !same) continue;
                if (m[i].verdict == DEDUP_MERGE) {
                    plan->merge_into = m[i].id;
                    /* merged once stored: the reason is written after */
                    cp->chain = 1;
                    cp->chain_action = ACT_MERGE;
                    cp->chain_on_row = 0;
                    snprintf(cp->chain_actor, sizeof cp->chain_actor, "dedup");
                    cp->chain_args = (jc_action_args){.target_id = m[i].id};
                } else {
                    plan->suggest_of = m[i].id, k->flags |= CASE_F_DUPLICATE;
                }
                plan->dup_score = m[i].score;
                plan->dup_dist = m[i].dist_m;
                break;
            }
        }
        jc_buf_free(&text);
    }
    (void)w;
    return JC_OK;
}

static jc_err dispatch_prepare(jc_conn *w, const jc_user *actor, jc_case *k, int a, jc_state from,
                               const jc_action_args *args, case_plan *plan, void *scratch, jc_case_err *why) {
    if (a == CASE_TOUCH) return JC_OK;
    jc_err e = ctx_ensure(w);
    if (e) return e;
    if (a == CASE_CREATE) return prepare_create(w, k, plan, scratch);
    int64_t now = k->updated_ms ? k->updated_ms : jc_now_ms();
    switch ((jc_action)a) {
    case ACT_REGISTER: {
        /* Route now if the list covers it; otherwise the case waits, 无主. */
        const duty_entry *en;
        if (duty_match(ctx->list, k->category, k->area, &en) == JC_OK) {
            chain_dispatch(plan);
            k->flags &= ~(unsigned)CASE_F_OWNERLESS;
        } else {
            k->flags |= CASE_F_OWNERLESS;
            jc_case_err ig;
            e = route_case(w, k, now, &ig); /* stores the route that found no entry */
            if (e && e != JC_ERR_NOTFOUND) return e;
        }
        return JC_OK;
    }
    case ACT_DISPATCH:
        if (from == ST_RETURNED) {
            if ((e = decide_return(w, k->id, "upheld", actor, "re-routed", now))) return e;
            if ((e = close_owners(w, k->id, now, "returned"))) return e;
        }
        if (args->dept_id > 0) e = manual_route(w, k, args->dept_id, actor, now, why);
        else if ((e = route_case(w, k, now, why)) == JC_ERR_NOTFOUND) e = JC_ERR_CONFLICT;
        if (e) return e;
        k->flags &= ~(unsigned)CASE_F_OWNERLESS;
        return open_phase(w, k, DUTY_ACCEPT, now);
    case ACT_ACCEPT:
        if ((e = close_phases(w, k->id, "accept", now, "done"))) return e;
        return open_phase(w, k, DUTY_HANDLE, now);
    case ACT_FEEDBACK:
        if ((e = close_phases(w, k->id, "handle", now, "done"))) return e;
        k->assignee_id = pick_worker(w, k);
        return open_phase(w, k, DUTY_VERIFY, now);
    case ACT_REWORK:
        if ((e = close_phases(w, k->id, "verify", now, "rework"))) return e;
        k->assignee_id = 0;
        return open_phase(w, k, DUTY_HANDLE, now);
    case ACT_VERIFY:
        k->assignee_id = 0;
        k->flags &= ~(unsigned)(CASE_F_OVERDUE | CASE_F_REMINDED);
        return close_phases(w, k->id, "verify", now, "done");
    case ACT_CLOSE: {
        int n = open_whistle_members(w, k->id);
        if (n) {
            snprintf(why->message, sizeof why->message,
                     "a whistle is open: %d summoned department(s) have not finished", n);
            return JC_ERR_CONFLICT;
        }
        return close_owners(w, k->id, now, "closed");
    }
    case ACT_RETURN: {
        if ((e = dispatch_store(w)->return_insert(w, k->id, k->dept_id,
                                                  args->reason_code ? args->reason_code : "not_our_duty",
                                                  args->reason, now)))
            return e;
        k->deadline_ms = 0;
        return close_phases(w, k->id, NULL, now, "returned");
    }
    case ACT_UPHOLD:
        if ((e = decide_return(w, k->id, "upheld", actor, args->reason ? args->reason : args->note, now)) ||
            (e = close_owners(w, k->id, now, "returned")))
            return e;
        k->dept_id = 0;
        /* route again when the (maybe corrected) list now names someone else */
        {
            const duty_entry *en;
            if (duty_match(ctx->list, k->category, k->area, &en) == JC_OK) {
                jc_dept d;
                int64_t old = 0;
                if (store_dept_by_code(w, en->lead_dept, &d) == JC_OK) {
                    if (dispatch_store(w)->return_last_dept(w, k->id, &old)) old = 0;
                    if (d.id != old) chain_dispatch(plan);
                    else k->flags |= CASE_F_OWNERLESS;
                }
            } else {
                k->flags |= CASE_F_OWNERLESS;
            }
        }
        return JC_OK;
    case ACT_REJECT:
        if ((e = decide_return(w, k->id, "rejected", actor, args->reason, now))) return e;
        return open_phase(w, k, DUTY_ACCEPT, now);
    case ACT_SUSPEND:
    case ACT_DEFER:
        return pause_phases(w, k->id, now, 1);
    case ACT_RESUME:
        if ((e = pause_phases(w, k->id, now, 0))) return e;
        k->deadline_ms = open_phase_deadline(w, k->id);
        return JC_OK;
    case ACT_EXTEND:
        k->flags &= ~(unsigned)(CASE_F_OVERDUE | CASE_F_REMINDED);
        return set_phase_deadline(w, k->id, args->deadline_ms);
    case ACT_VOID:
    case ACT_MERGE:
        if ((e = close_phases(w, k->id, NULL, now, a == ACT_VOID ? "voided" : "merged"))) return e;
        k->deadline_ms = 0;
        return close_owners(w, k->id, now, a == ACT_VOID ? "voided" : "merged");
    case ACT_REOPEN:
        k->dept_id = 0;
        return JC_OK;
    case ACT_ESCALATE:
        /* the timer's 超时督办: overdue, no longer "due soon" */
        if (actor->role == ROLE_SYSTEM)
            k->flags = (k->flags | CASE_F_OVERDUE) & ~(unsigned)CASE_F_REMINDED;
        return JC_OK;
    case ACT_REDISPATCH: /* 改派: the phases and the ownership end as a reassignment (not the department's fault) */
        if (args->dept_id == k->dept_id) {
            snprintf(why->message, sizeof why->message, "the case is already with department %lld", (long long)k->dept_id);
            return JC_ERR_CONFLICT;
        }
        if ((e = close_phases(w, k->id, NULL, now, "reassigned")) ||
            (e = manual_route(w, k, args->dept_id, actor, now, why)))
            return e;
        k->flags &= ~(unsigned)(CASE_F_OVERDUE | CASE_F_REMINDED | CASE_F_OWNERLESS);
        return open_phase(w, k, DUTY_ACCEPT, now);
    case ACT_RECALL: /* 撤回: back to the dispatcher before anyone accepted it */
        if ((e = close_phases(w, k->id, NULL, now, "reassigned")) || (e = close_owners(w, k->id, now, "reassigned")))
            return e;
        k->dept_id = 0;
        k->deadline_ms = 0;
        k->flags &= ~(unsigned)(CASE_F_OVERDUE | CASE_F_REMINDED);
        return JC_OK;
    case ACT_REMIND:
        if (!(k->flags & CASE_F_OVERDUE)) k->flags |= CASE_F_REMINDED;
        return JC_OK;
    default:
        return JC_OK;
    }
}

static jc_err dispatch_after(jc_conn *w, const jc_user *actor, const jc_case *k, int a, case_plan *cp,
                             void *scratch, jc_case_err *why) {
    (void)actor, (void)why;
    if (a != CASE_CREATE) return JC_OK; /* the chained dispatch was asked for by prepare */
    const dispatch_scratch *plan = scratch;
    jc_err e;
    /* a report merged into an open case is not indexed: the case it joined
     * stands for the cluster, so a mass event (hundreds of the same report
     * at one spot) keeps one entry there, not one per report that each new
     * one would be compared with */
    if (ctx->dups && k->has_point && !plan->merge_into) {
        jc_buf text;
        jc_buf_init(&text, 1 << 20);
        if (jc_buf_puts(&text, k->title ? k->title : "") == JC_OK && jc_buf_puts(&text, " ") == JC_OK &&
            jc_buf_puts(&text, k->body ? k->body : "") == JC_OK) {
            jc_err ae = dedup_add(ctx->dups, k->id, text.data, k->lon, k->lat, k->created_ms, k->category);
            (void)ae;
        }
        jc_buf_free(&text);
    }
    int64_t orig = plan->merge_into ? plan->merge_into : plan->suggest_of;
    if (orig && (e = dispatch_store(w)->duplicate_insert(w, k->id, orig, plan->dup_score, plan->dup_dist,
                                                         plan->merge_into != 0, jc_now_ms())))
        return e;
    if (plan->merge_into) {
        /* the reporter follows the original from now on */
        if ((e = dispatch_store(w)->follower_add(w, plan->merge_into, k->reporter_id))) return e;
        char no[40] = "", score[16];
        jc_case orig_row;
        if (store_case_get(w, plan->merge_into, &orig_row) == JC_OK) {
            case_number(&orig_row, no, sizeof no);
            case_clear(&orig_row);
        }
        snprintf(score, sizeof score, "%.2f", plan->dup_score);
        reason_buf rb;
        reason_begin(&rb, cp->chain_text, sizeof cp->chain_text, "dup_merge");
        reason_int(&rb, "case_id", plan->merge_into);
        if (no[0]) reason_str(&rb, "no", no);
        reason_str(&rb, "score", score);
        reason_int(&rb, "m", (int64_t)llround(plan->dup_dist));
        cp->chain_args.reason = reason_end(&rb); /* the merge case.c runs next */
    }
    return JC_OK;
}

static int dispatch_visible(jc_conn *c, const jc_user *u, const jc_case *k) {
    if (u->role == ROLE_DEPT_STAFF && u->dept_id) return dispatch_dept_involved(c, k->id, u->dept_id);
    if (u->role == ROLE_RESIDENT) return dispatch_follows(c, k->id, u->id);
    return 0;
}

/* Dispatch's part in the case loop, named in its row (dispatch_api.c). */
const case_hooks dispatch__case_hooks = {
    .prepare = dispatch_prepare,
    .after = dispatch_after,
    .visible = dispatch_visible,
};

int dispatch_dept_involved(jc_conn *c, int64_t case_id, int64_t dept_id) {
    int yes = 0;
    return dispatch_store(c)->dept_involved(c, case_id, dept_id, &yes) ? 0 : yes;
}

int dispatch_follows(jc_conn *c, int64_t case_id, int64_t user_id) {
    int yes = 0;
    return dispatch_store(c)->follows(c, case_id, user_id, &yes) ? 0 : yes;
}

/* ---- the escalation ticker ----------------------------------------------------- */

/* A member late to check in: marked, and noted on the case. */
typedef struct {
    jc_conn *w;
    jc_user sys;
    jc_err e;
} late_ctx;

static int mark_late(int64_t wid, int64_t dept, int64_t case_id, void *arg) {
    late_ctx *x = arg;
    jc_conn *w = x->w;
    if ((x->e = dispatch_store(w)->checkin_mark_late(w, wid, dept))) return 1;
    jc_case k;
    if (store_case_get(w, case_id, &k) == JC_OK) {
        char note[200]; /* a department's name is under 128 bytes */
        jc_dept dd;
        reason_buf rb;
        reason_begin(&rb, note, sizeof note, "checkin_late");
        reason_int(&rb, "whistle", wid);
        reason_str(&rb, "dept", store_dept_get(w, dept, &dd) == JC_OK ? dd.code : NULL);
        reason_end(&rb);
        x->e = case_audit_note(w, &x->sys, &k, "checkin_late", note);
        case_clear(&k);
    }
    return x->e != JC_OK;
}

jc_err dispatch_tick(jc_conn *w, int64_t now) {
    jc_err e = ctx_ensure(w);
    if (e) return e;
    /* read again also when the heap has doubled since (and by 100k):
     * superseded entries stay until they come due, and a load drops them */
    if (!tmr->loaded || tmr->db != w || tmr->outside != store_outside(w) ||
        tmr->n > 2 * tmr->n_loaded + 100000) {
        if ((e = tmr_load(w))) return e;
    }
    /* the due phases, earliest first, up to 200 a tick (stale entries
     * skipped: see the escalation timer above) */
    struct due {
        dispatch_phase_row p;
        int phase; /* index into phase_names */
    } due[200];
    int n = 0;
    while (n < 200 && tmr->n && tmr->h[0].at <= now) {
        timer_ent t = tmr_pop();
        e = dispatch_store(w)->due_phase(w, t.id, t.at, &due[n].p, &due[n].phase);
        if (e == JC_OK) n++;
        else if (e != JC_ERR_NOTFOUND) {
            tmr->loaded = 0; /* t is off the heap: read it again next time */
            return e;
        }
    }
    jc_user sys;
    auth_system_actor(&sys, "timer");
    for (int i = 0; i < n; i++) {
        dispatch_phase_row *p = &due[i].p;
        const char *phase = phase_names[due[i].phase];
        int act = -1; /* no entry: only re-armed (or disarmed) */
        int level = p->level;
        int64_t next = 0, overdue_at = 0, reminded = p->reminded;
        char note[200];
        if (level >= ctx->esc.levels) {
            next = 0; /* every level reached (or a row of an earlier build): never again */
        } else if (now < p->deadline) {
            if (!p->reminded) {
                act = ACT_REMIND;
                reminded = now;
                char dl[40];
                jc_fmt_utc(p->deadline, dl, sizeof dl);
                snprintf(note, sizeof note, "{\"code\":\"remind\",\"phase\":\"%s\",\"pct\":%d,\"deadline\":\"%s\"}",
                         phase, ctx->esc.remind_pct, dl);
            }
            next = p->deadline;
        } else {
            /* overdue: the level due now, in one entry even when the server
             * was down past several steps */
            int64_t lead = leader_at(p->deadline);
            int target = ctx->esc.levels >= 2 && now >= lead ? 2 : 1;
            if (target > level) {
                act = ACT_ESCALATE;
                level = target;
                overdue_at = now;
                snprintf(note, sizeof note, "{\"code\":\"overdue\",\"phase\":\"%s\",\"level\":%d}", phase, level);
            }
            next = level < ctx->esc.levels ? lead : 0;
        }
        if ((e = dispatch_store(w)->phase_step(w, p->id, reminded, overdue_at, level, next))) {
            tmr->loaded = 0; /* the due ones are off the heap: read it again */
            return e;
        }
        if (next) tmr_push(next, p->id);
        if (act < 0) continue;
        jc_action_args args = {.note = note};
        jc_case out;
        jc_case_err why;
        e = case_act(w, &sys, p->case_id, (jc_action)act, &args, &out, &why);
        if (e == JC_OK) case_clear(&out);
        else jc_log(JC_LOG_WARN, "escalation of case %lld: %s", (long long)p->case_id, why.message);
    }
    /* whistles: late check-ins */
    late_ctx lc = {w, sys, JC_OK};
    if ((e = dispatch_store(w)->late_checkins(w, now, 200, mark_late, &lc))) return e;
    return lc.e;
}

/* ---- importing the list ----------------------------------------------------------- */

jc_err dispatch_import_list(jc_conn *w, const jc_user *actor, const char *csv, size_t len,
                            const char *note, int *version, jc_buf *errors) {
    codes c;
    duty_known known;
    jc_err e = load_known(w, &c, &known);
    duty_list *list = NULL;
    if (!e) e = duty_import_csv(csv, len, &known, &list, errors);
    codes_free(&c);
    if (e) return e;
    size_t n = duty_list_count(list);
    duty_list_free(list);
    if ((e = dispatch_store(w)->list_insert(w, actor->name, note, csv, len, (int64_t)n, version))) return e;
    char why[160];
    reason_buf b;
    reason_begin(&b, why, sizeof why, "duty_import");
    reason_int(&b, "version", *version);
    reason_int(&b, "entries", (int64_t)n);
    if ((e = auth_audit(w, actor, "duty_import", reason_end(&b)))) return e;
    return bump_generation(w);
}

jc_err dispatch_invalidate(jc_conn *w) { return bump_generation(w); }

/* Who an open case would go to under the new list, against the active one. */
typedef struct {
    const duty_list *nl;
    json_t *changed;
    int64_t checked, nchanged;
} preview_ctx;

static int preview_one(int64_t id, const char *cat, const char *area, int64_t created, void *arg) {
    preview_ctx *x = arg;
    const duty_entry *a = NULL, *b = NULL;
    int ha = duty_match(ctx->list, cat, area, &a) == JC_OK, hb = duty_match(x->nl, cat, area, &b) == JC_OK;
    x->checked++;
    const char *from = ha ? a->lead_dept : NULL, *to = hb ? b->lead_dept : NULL;
    if ((!from && !to) || (from && to && !strcmp(from, to))) return 0;
    x->nchanged++;
    if (json_array_size(x->changed) >= 500) return 0;
    jc_case k = {.id = id, .created_ms = created};
    char no[40];
    case_number(&k, no, sizeof no);
    json_t *o = json_pack("{s:I,s:s,s:s,s:s}", "case_id", (json_int_t)k.id, "no", no, "category", cat, "area", area);
    json_object_set_new(o, "from", from ? json_string(from) : json_null());
    json_object_set_new(o, "to", to ? json_string(to) : json_null());
    json_array_append_new(x->changed, o);
    return 0;
}

jc_err dispatch_preview_list(jc_conn *w, const char *csv, size_t len, json_t **out, jc_buf *errors) {
    jc_err e = ctx_ensure(w);
    if (e) return e;
    codes c;
    duty_known known;
    duty_list *nl = NULL;
    e = load_known(w, &c, &known);
    if (!e) e = duty_import_csv(csv, len, &known, &nl, errors);
    codes_free(&c);
    if (e) return e;
    preview_ctx x = {nl, json_array(), 0, 0};
    if ((e = dispatch_store(w)->open_cases(w, 20000, preview_one, &x))) {
        json_decref(x.changed);
        duty_list_free(nl);
        return e;
    }
    json_t *changed = x.changed;
    int64_t checked = x.checked, nchanged = x.nchanged;
    *out = json_pack("{s:I,s:I,s:I,s:o}", "entries", (json_int_t)duty_list_count(nl), "checked", (json_int_t)checked,
                     "changed_count", (json_int_t)nchanged, "changed", changed);
    duty_list_free(nl);
    return JC_OK;
}

json_t *dispatch__steps_json(const duty_list *l, const char *category, const char *grid) {
    static const char *const levels[] = {"community", "street", "district"};
    duty_step st[3];
    size_t ns = 0;
    if (duty_explain_steps(l, category, grid, st, &ns, NULL) == JC_ERR_INVALID) return NULL;
    json_t *a = json_array();
    for (size_t i = 0; i < ns; i++)
        json_array_append_new(a, json_pack("{s:s,s:s,s:s?,s:s?,s:b}", "level", levels[st[i].level], "scope", st[i].scope,
                                           "entry", st[i].entry ? st[i].entry->id : NULL, "lead",
                                           st[i].entry ? st[i].entry->lead_dept : NULL, "applies", st[i].applies));
    return a;
}

/* Re-exported for dispatch_api.c. */
jc_err dispatch__ensure(jc_conn *w) { return ctx_ensure(w); }
jc_err dispatch__bump(jc_conn *w) { return bump_generation(w); }
const duty_list *dispatch__list(int *version) {
    if (version) *version = ctx->list_version;
    return ctx->list;
}
calendar *dispatch__calendar(void) { return ctx->cal; }
geo_index *dispatch__grids(void) { return ctx->grids; }

/* ---- the case view --------------------------------------------------------------- */

/* Lists by version, for explanations written out on reading: a route
 * stores its list version, and a stored version never changes.  A few are
 * kept, for all threads, under kept_mu. */
static struct {
    int version; /* 0: the slot is free */
    duty_list *list;
    uint64_t used;
} kept_lists[4];
static uint64_t kept_clock;
static pthread_mutex_t kept_mu = PTHREAD_MUTEX_INITIALIZER;

/* The list of version v (kept_mu held); NULL when it cannot be read. */
static const duty_list *kept_list(jc_conn *c, int v) {
    int slot = 0;
    for (int i = 0; i < (int)JC_ARRAY_LEN(kept_lists); i++) {
        if (kept_lists[i].version == v) {
            kept_lists[i].used = ++kept_clock;
            return kept_lists[i].list;
        }
        if (kept_lists[i].used < kept_lists[slot].used) slot = i;
    }
    duty_list *l = NULL;
    char *csv = NULL;
    size_t len = 0;
    jc_err e = v ? dispatch_store(c)->list_csv(c, v, NULL, &csv, &len) : JC_ERR_NOTFOUND;
    if (e == JC_OK) e = duty_import_csv(csv, len, NULL, &l, NULL);
    else if (e == JC_ERR_NOTFOUND) e = duty_list_new(&l); /* version 0: no list was imported yet */
    free(csv);
    if (e) return NULL;
    duty_list_free(kept_lists[slot].list);
    kept_lists[slot].version = v;
    kept_lists[slot].list = l;
    kept_lists[slot].used = ++kept_clock;
    return l;
}

/* Writes the explanation and the legal basis of an automatic route (stored
 * empty: they follow from the list version, the category and the grid)
 * into its view r. */
static void route_explain(jc_conn *c, json_t *r) {
    const char *ex = json_string_value(json_object_get(r, "explanation"));
    if (!ex || *ex || json_integer_value(json_object_get(r, "manual"))) return;
    const char *cat = json_string_value(json_object_get(r, "category"));
    const char *grid = json_string_value(json_object_get(r, "grid"));
    jc_buf b;
    jc_buf_init(&b, 1024);
    pthread_mutex_lock(&kept_mu);
    const duty_list *l = kept_list(c, (int)json_integer_value(json_object_get(r, "list_version")));
    const duty_entry *en = NULL;
    jc_err e = l && cat && grid ? duty_explain(l, cat, grid, &en, &b) : JC_ERR_INVALID;
    if (e == JC_OK && en && en->legal_basis)
        json_object_set_new(r, "legal_basis", json_string(en->legal_basis));
    /* the same as data, for the reader's language: each scope checked */
    json_t *steps = l && cat && grid ? dispatch__steps_json(l, cat, grid) : NULL;
    if (steps) json_object_set_new(r, "steps", steps);
    pthread_mutex_unlock(&kept_mu);
    if ((e == JC_OK || e == JC_ERR_NOTFOUND) && b.data)
        json_object_set_new(r, "explanation", json_string(b.data));
    jc_buf_free(&b);
}

jc_err dispatch_case_json(jc_conn *c, int64_t id, json_t *o) {
    if (!module_runs_on_conn(&module_dispatch, c)) return JC_OK; /* no routing on this backend yet */
    dispatch_view v = {0};
    jc_err ve = dispatch_store(c)->case_view(c, id, &v);
    if (ve) return ve;
    json_t *route = v.route;
    json_t *r0 = json_array_get(route, 0);
    if (r0) route_explain(c, r0);
    json_object_set_new(o, "route", r0 ? json_incref(r0) : json_null());
    json_decref(route);
    json_object_set_new(o, "phases", v.phases);
    json_object_set_new(o, "owners", v.owners);
    json_object_set_new(o, "returns", v.returns);
    json_object_set_new(o, "whistles", v.whistles);
    /* case numbers, not ids, for the reader */
    json_t *dups = v.duplicates, *d;
    size_t i;
    json_array_foreach(dups, i, d) {
        static const char *const keys[][3] = {{"case_id", "case_created", "case_no"},
                                              {"original_id", "original_created", "original_no"}};
        for (int j = 0; j < 2; j++) {
            /* created_at as the store keeps it: milliseconds (it was read
             * as a string, so no number was ever given), or a time's text */
            json_t *t = json_object_get(d, keys[j][1]);
            const char *at = json_string_value(t);
            int64_t ms = 0;
            jc_case k = {.id = json_integer_value(json_object_get(d, keys[j][0]))};
            int have = json_is_integer(t) ? (ms = json_integer_value(t)) > 0 : at && jc_parse_time(at, &ms) == JC_OK;
            if (have && k.id > 0) {
                k.created_ms = ms;
                char no[40];
                case_number(&k, no, sizeof no);
                json_object_set_new(d, keys[j][2], json_string(no));
            }
            json_object_del(d, keys[j][1]);
        }
    }
    json_object_set_new(o, "duplicates", dups);
    return JC_OK;
}
