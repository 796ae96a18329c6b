/*
 * dispatch.c -- automatic dispatch (see dispatch.h for the design).
 *
 * Sections: the routing context; small SQL helpers; phases and owners;
 * locating and routing; the prepare/after hooks; the escalation ticker;
 * importing the responsibility list; JSON for the case view.  The HTTP
 * handlers live in dispatch_api.c.
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
#include "store_sqlite.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the routing context (writer thread only) ------------------------------ */

static struct {
    sqlite3 *db;          /* the connection it was loaded from */
    int64_t generation;
    uint64_t epoch;       /* store_sqlite_epoch when the generation was last read */
    int loaded;
    geo_index *grids;
    duty_list *list;
    int list_version;
    calendar *cal;
    dedup_index *dups;
    dispatch_esc_cfg esc; /* the escalation settings (督办设置) */
    char street[24];      /* where unlocated reports go */
} ctx;

static int64_t generation_of(jc_conn *w) {
    static const char sql[] = "SELECT value FROM meta WHERE key='dispatch.generation'";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return 0;
    int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return v;
}

/* Marks the routing context stale in every process (same transaction). */
static jc_err bump_generation(jc_conn *w) {
    static const char sql[] =
        "INSERT INTO meta(key, value) VALUES('dispatch.generation', '1') ON CONFLICT(key)"
        " DO UPDATE SET value = CAST(value AS INTEGER) + 1";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s || sqlite3_step(s) != SQLITE_DONE) return JC_ERR_DB;
    store_sqlite_touch(w);
    return JC_OK;
}

static void ctx_free(void) {
    geo_index_free(ctx.grids);
    duty_list_free(ctx.list);
    calendar_free(ctx.cal);
    dedup_free(ctx.dups);
    memset(&ctx, 0, sizeof ctx);
}

static jc_err load_grids(sqlite3 *db) {
    jc_err e = geo_index_new(&ctx.grids);
    if (e) return e;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT code, geojson FROM areas WHERE level='grid' AND geojson IS NOT NULL",
                           -1, &s, NULL) != SQLITE_OK)
        return JC_ERR_DB;
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text(s, 0);
        const char *gj = (const char *)sqlite3_column_text(s, 1);
        geo_shape *shape = NULL;
        char err[200];
        if (geo_shape_parse(gj, strlen(gj), &shape, err, sizeof err) != JC_OK) {
            jc_log(JC_LOG_WARN, "grid %s: bad geometry: %s", code, err);
            continue;
        }
        if (geo_index_add(ctx.grids, code, shape) != JC_OK) geo_shape_free(shape);
    }
    sqlite3_finalize(s);
    char err[200];
    if ((e = geo_index_build(ctx.grids, err, sizeof err))) jc_log(JC_LOG_WARN, "grid index: %s", err);
    if (sqlite3_prepare_v2(db, "SELECT code FROM areas WHERE level='street' ORDER BY code LIMIT 1", -1,
                           &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW)
            snprintf(ctx.street, sizeof ctx.street, "%s", sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
    }
    return e;
}

/* Codes of the catalogue, for validating a list. */
typedef struct {
    char **cats, **depts;
    size_t ncats, ndepts;
} codes;

static void codes_free(codes *c) {
    for (size_t i = 0; i < c->ncats; i++) free(c->cats[i]);
    for (size_t i = 0; i < c->ndepts; i++) free(c->depts[i]);
    free(c->cats);
    free(c->depts);
}

static jc_err load_codes(sqlite3 *db, const char *sql, char ***out, size_t *n) {
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) return JC_ERR_DB;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nv = realloc(*out, cap * sizeof *nv);
            if (!nv) { sqlite3_finalize(s); return JC_ERR_NOMEM; }
            *out = nv;
        }
        (*out)[(*n)++] = jc_strdup((const char *)sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    return JC_OK;
}

static jc_err load_known(sqlite3 *db, codes *c, duty_known *k) {
    memset(c, 0, sizeof *c);
    jc_err e;
    if ((e = load_codes(db, "SELECT code FROM categories", &c->cats, &c->ncats)) ||
        (e = load_codes(db, "SELECT code FROM depts", &c->depts, &c->ndepts)))
        return e;
    k->categories = (const char *const *)c->cats;
    k->n_categories = c->ncats;
    k->depts = (const char *const *)c->depts;
    k->n_depts = c->ndepts;
    return JC_OK;
}

static jc_err load_list(sqlite3 *db) {
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT version, csv FROM duty_lists WHERE active=1", -1, &s, NULL) != SQLITE_OK)
        return JC_ERR_DB;
    jc_err e = JC_OK;
    if (sqlite3_step(s) == SQLITE_ROW) {
        ctx.list_version = sqlite3_column_int(s, 0);
        const char *csv = (const char *)sqlite3_column_text(s, 1);
        e = duty_import_csv(csv, (size_t)sqlite3_column_bytes(s, 1), NULL, &ctx.list, NULL);
    } else {
        e = duty_list_new(&ctx.list);
        ctx.list_version = 0;
    }
    sqlite3_finalize(s);
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

static jc_err load_calendar(sqlite3 *db) {
    jc_err e = calendar_new(&ctx.cal);
    if (e) return e;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='dispatch.hours'", -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW) {
            calendar_interval iv[8];
            size_t n = dispatch__parse_hours((const char *)sqlite3_column_text(s, 0), iv, 8);
            if (!n || calendar_set_hours(ctx.cal, iv, n) != JC_OK)
                jc_log(JC_LOG_WARN, "dispatch: ignoring bad working hours in meta");
        }
        sqlite3_finalize(s);
    }
    if (sqlite3_prepare_v2(db, "SELECT ymd, kind, name FROM calendar_days", -1, &s, NULL) != SQLITE_OK)
        return JC_ERR_DB;
    while (sqlite3_step(s) == SQLITE_ROW) {
        int ymd = sqlite3_column_int(s, 0);
        calendar_set what = !strcmp((const char *)sqlite3_column_text(s, 1), "holiday")
                                ? CALENDAR_SET_HOLIDAY : CALENDAR_SET_WORKDAY;
        const char *name = (const char *)sqlite3_column_text(s, 2);
        if (calendar_override(ctx.cal, ymd, what, name ? name : "") != JC_OK)
            jc_log(JC_LOG_WARN, "calendar override %d ignored", ymd);
    }
    sqlite3_finalize(s);
    return JC_OK;
}

static jc_err load_dups(sqlite3 *db) {
    dedup_params p = dedup_params_default();
    p.same_category_only = 1; /* dispatch merges only within a category */
    jc_err e = dedup_new(&p, &ctx.dups);
    if (e) return e;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, title || ' ' || body, lon, lat, created_at, category FROM cases"
                           " WHERE lon IS NOT NULL AND created_at > ? AND state NOT IN"
                           " ('closed','rated','voided','merged') ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK)
        return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, jc_now_ms() - p.window_ms);
    while (sqlite3_step(s) == SQLITE_ROW) {
        jc_err ae = dedup_add(ctx.dups, sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
                              sqlite3_column_double(s, 2), sqlite3_column_double(s, 3),
                              sqlite3_column_int64(s, 4), (const char *)sqlite3_column_text(s, 5));
        (void)ae; /* a text without letters is simply not indexed */
    }
    sqlite3_finalize(s);
    return JC_OK;
}

/* Makes sure the context matches the database behind w (the generation is
 * read again only when the writer's epoch moved: bump_generation, a rollback,
 * another connection's commit). */
static jc_err ctx_ensure(jc_conn *w) {
    sqlite3 *db = store_sqlite_db(w);
    uint64_t epoch = store_sqlite_epoch(w);
    if (epoch && ctx.loaded && ctx.db == db && ctx.epoch == epoch) return JC_OK;
    int64_t gen = generation_of(w);
    if (ctx.loaded && ctx.db == db && ctx.generation == gen) {
        ctx.epoch = epoch;
        return JC_OK;
    }
    ctx_free();
    jc_err e;
    if ((e = load_grids(db)) || (e = load_list(db)) || (e = load_calendar(db)) || (e = load_dups(db)) ||
        (e = dispatch_store_esc_get(w, &ctx.esc))) {
        jc_log(JC_LOG_ERROR, "dispatch: loading the routing context failed: %s", jc_err_code(e));
        ctx_free();
        return e;
    }
    ctx.db = db;
    ctx.generation = gen;
    ctx.loaded = 1;
    ctx.epoch = epoch;
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
 * (store_sqlite_outside: another connection's commit, a failed commit).
 * Every write of next_at on the writer pushes (next_at, id); an entry whose
 * write was rolled back, or that a later write superseded, is stale, and
 * the ticker skips it after reading the row (next_at differs, or the phase
 * ended).  A load reads the armed open phases through the partial index
 * case_phase_open: ~0.3 ms per 1,000 of them when cached, however many
 * phases have ended.  Writer thread only. */
typedef struct {
    int64_t at, id;
} timer_ent;

static struct {
    timer_ent *h;
    size_t n, cap;
    size_t n_loaded; /* entries after the last load: the stale ones since are n - live */
    int loaded;
    sqlite3 *db;
    uint64_t outside;
} tmr;

static int tmr_less(const timer_ent *a, const timer_ent *b) {
    return a->at < b->at || (a->at == b->at && a->id < b->id);
}

static void tmr_down(size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < tmr.n && tmr_less(&tmr.h[l], &tmr.h[m])) m = l;
        if (l + 1 < tmr.n && tmr_less(&tmr.h[l + 1], &tmr.h[m])) m = l + 1;
        if (m == i) return;
        timer_ent t = tmr.h[i];
        tmr.h[i] = tmr.h[m];
        tmr.h[m] = t;
        i = m;
    }
}

/* Adds (at, id); out of memory, the heap is read again at the next tick. */
static void tmr_push(int64_t at, int64_t id) {
    if (!tmr.loaded) return; /* the load reads it from the table */
    if (tmr.n == tmr.cap) {
        size_t cap = tmr.cap ? 2 * tmr.cap : 1024;
        timer_ent *h = realloc(tmr.h, cap * sizeof *h);
        if (!h) {
            tmr.loaded = 0;
            return;
        }
        tmr.h = h, tmr.cap = cap;
    }
    size_t i = tmr.n++;
    tmr.h[i] = (timer_ent){at, id};
    while (i && tmr_less(&tmr.h[i], &tmr.h[(i - 1) / 2])) {
        timer_ent t = tmr.h[i];
        tmr.h[i] = tmr.h[(i - 1) / 2];
        tmr.h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static timer_ent tmr_pop(void) {
    timer_ent top = tmr.h[0];
    tmr.h[0] = tmr.h[--tmr.n];
    tmr_down(0);
    return top;
}

/* Reads the heap from the table (the open phases, by case_phase_open: at
 * the first tick and after the rare events store_sqlite_outside counts). */
static jc_err tmr_load(jc_conn *w) {
    tmr.loaded = 0;
    tmr.n = 0;
    sqlite3_stmt *s = store_sqlite_prepare(
        w, "SELECT next_at, id FROM case_phase WHERE next_at IS NOT NULL AND end_at IS NULL");
    if (!s) return JC_ERR_DB;
    tmr.loaded = 1; /* so that tmr_push adds */
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && tmr.loaded)
        tmr_push(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1));
    sqlite3_reset(s);
    if (rc != SQLITE_DONE || !tmr.loaded) {
        tmr.loaded = 0;
        return rc == SQLITE_DONE ? JC_ERR_NOMEM : JC_ERR_DB;
    }
    tmr.db = store_sqlite_db(w);
    tmr.outside = store_sqlite_outside(w);
    tmr.n_loaded = tmr.n;
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
    int pct = ctx.esc.remind_pct ? ctx.esc.remind_pct : 80;
    int64_t wms = 0, at = 0;
    int prov = 0;
    if (!natural && ctx.cal && calendar_working_ms_between(ctx.cal, start, deadline, &wms) == JC_OK &&
        wms >= 60000 &&
        calendar_add(ctx.cal, start, wms * pct / 100 / 60000, CALENDAR_WORKING_MINUTES, &at, &prov) == JC_OK &&
        at > start && at <= deadline)
        return at;
    return start + span * pct / 100;
}

/* When an overdue phase goes to level 2 (领导督办). */
static int64_t leader_at(int64_t deadline) {
    int64_t at = 0;
    int prov = 0;
    if (ctx.cal &&
        calendar_add(ctx.cal, deadline, ctx.esc.leader_after_min, CALENDAR_WORKING_MINUTES, &at, &prov) == JC_OK)
        return at;
    return deadline + (int64_t)ctx.esc.leader_after_min * 60000;
}

/* When the timer must look at a running phase again; 0: never. */
static int64_t phase_next(const dispatch_phase_row *p) {
    if (p->level >= ctx.esc.levels) return 0;
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
    if ((rc->e = dispatch_store_phase_next(rc->w, p->id, next))) return 1;
    if (next) tmr_push(next, p->id);
    return 0;
}

/* Sets when the running phases of a case (or phase phase_id) are next due
 * after their deadline, reminder or level changed. */
static jc_err rearm(jc_conn *w, int64_t case_id, int64_t phase_id) {
    rearm_ctx rc = {w, JC_OK};
    jc_err e = dispatch_store_running_phases(w, case_id, phase_id, rearm_one, &rc);
    return e ? e : rc.e;
}

/* ---- phases and owners ------------------------------------------------------- */

static const char *const phase_names[] = {"accept", "handle", "verify"};

/* Closes the open phase rows of a case (all phases when phase is NULL). */
static jc_err close_phases(jc_conn *w, int64_t case_id, const char *phase, int64_t now, const char *reason) {
    static const char sql_all[] =
        "UPDATE case_phase SET end_at=?, end_reason=?, next_at=NULL,"
        " paused_ms = paused_ms + CASE WHEN paused_at IS NULL THEN 0 ELSE ? - paused_at END,"
        " paused_at=NULL WHERE case_id=? AND end_at IS NULL";
    static const char sql_one[] =
        "UPDATE case_phase SET end_at=?, end_reason=?, next_at=NULL,"
        " paused_ms = paused_ms + CASE WHEN paused_at IS NULL THEN 0 ELSE ? - paused_at END,"
        " paused_at=NULL WHERE case_id=? AND end_at IS NULL AND phase=?";
    sqlite3_stmt *s = store_sqlite_prepare(w, phase ? sql_one : sql_all);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_text(s, 2, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now);
    sqlite3_bind_int64(s, 4, case_id);
    if (phase) sqlite3_bind_text(s, 5, phase, -1, SQLITE_STATIC);
    return sqlite3_step(s) == SQLITE_DONE ? JC_OK : JC_ERR_DB;
}

/* The time limit of a phase for a case: the routing entry's, else the
 * category's default in working hours (natural hours for urgent ones). */
static void phase_limit(jc_conn *w, const jc_case *k, int phase, duty_limit *out) {
    const duty_entry *en = NULL;
    if (ctx.list && duty_match(ctx.list, k->category, k->area, &en) == JC_OK) {
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
    if (calendar_add(ctx.cal, now, lim.amount, lim.unit, &deadline, &provisional) != JC_OK)
        deadline = now + lim.amount * 3600 * 1000;
    int natural = lim.unit == CALENDAR_NATURAL_HOURS || lim.unit == CALENDAR_NATURAL_MINUTES;
    static const char sql[] =
        "INSERT INTO case_phase(case_id, phase, dept_id, user_id, start_at, deadline_at, provisional,"
        " next_at, natural_time) VALUES(?,?,?,?,?,?,?,?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, k->id);
    sqlite3_bind_text(s, 2, phase_names[phase], -1, SQLITE_STATIC);
    if (phase == DUTY_VERIFY || !k->dept_id) sqlite3_bind_null(s, 3);
    else sqlite3_bind_int64(s, 3, k->dept_id);
    if (k->assignee_id && phase == DUTY_VERIFY) sqlite3_bind_int64(s, 4, k->assignee_id);
    else sqlite3_bind_null(s, 4);
    sqlite3_bind_int64(s, 5, now);
    sqlite3_bind_int64(s, 6, deadline);
    sqlite3_bind_int(s, 7, provisional);
    int64_t next = remind_at(now, deadline, natural);
    sqlite3_bind_int64(s, 8, next);
    sqlite3_bind_int(s, 9, natural);
    if (sqlite3_step(s) != SQLITE_DONE) return JC_ERR_DB;
    tmr_push(next, sqlite3_last_insert_rowid(store_sqlite_db(w)));
    k->deadline_ms = deadline;
    k->flags &= ~(unsigned)(CASE_F_OVERDUE | CASE_F_REMINDED);
    return JC_OK;
}

static jc_err pause_phases(jc_conn *w, int64_t case_id, int64_t now, int pause) {
    static const char sql_pause[] =
        "UPDATE case_phase SET paused_at=?, next_at=NULL WHERE case_id=? AND end_at IS NULL AND paused_at IS NULL";
    /* Resuming moves the deadline by the paused time (approved by the street,
     * so it never counts as overdue) and re-arms the ticker. */
    static const char sql_resume[] =
        "UPDATE case_phase SET paused_ms = paused_ms + (?1 - paused_at),"
        " deadline_at = deadline_at + (?1 - paused_at),"
        " paused_at = NULL WHERE case_id=?2 AND end_at IS NULL AND paused_at IS NOT NULL";
    sqlite3_stmt *s = store_sqlite_prepare(w, pause ? sql_pause : sql_resume);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, case_id);
    if (sqlite3_step(s) != SQLITE_DONE) return JC_ERR_DB;
    return pause ? JC_OK : rearm(w, case_id, 0);
}

static int64_t open_phase_deadline(jc_conn *w, int64_t case_id) {
    static const char sql[] =
        "SELECT deadline_at FROM case_phase WHERE case_id=? AND end_at IS NULL ORDER BY id DESC LIMIT 1";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return 0;
    sqlite3_bind_int64(s, 1, case_id);
    int64_t d = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return d;
}

/* An extension is a new time limit: its reminder and levels start over. */
static jc_err set_phase_deadline(jc_conn *w, int64_t case_id, int64_t deadline) {
    static const char sql[] =
        "UPDATE case_phase SET deadline_at=?1, provisional=0, reminded_at=NULL, overdue_at=NULL, level=0"
        " WHERE case_id=?2 AND end_at IS NULL";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, deadline);
    sqlite3_bind_int64(s, 2, case_id);
    if (sqlite3_step(s) != SQLITE_DONE) return JC_ERR_DB;
    return rearm(w, case_id, 0);
}

jc_err dispatch__phase_deadline(jc_conn *w, int64_t id, int64_t deadline, int provisional) {
    static const char sql[] = "UPDATE case_phase SET deadline_at=?1, provisional=?2 WHERE id=?3 AND end_at IS NULL";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, deadline);
    sqlite3_bind_int(s, 2, provisional);
    sqlite3_bind_int64(s, 3, id);
    if (sqlite3_step(s) != SQLITE_DONE) return JC_ERR_DB;
    return rearm(w, 0, id); /* a paused phase stays unarmed until resumed */
}

static jc_err close_owners(jc_conn *w, int64_t case_id, int64_t now, const char *reason) {
    static const char sql[] = "UPDATE case_owner SET end_at=?, end_reason=? WHERE case_id=? AND end_at IS NULL";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_text(s, 2, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, case_id);
    return sqlite3_step(s) == SQLITE_DONE ? JC_OK : JC_ERR_DB;
}

static jc_err open_owner(jc_conn *w, int64_t case_id, int64_t dept_id, const char *role, int64_t now) {
    static const char sql[] = "INSERT INTO case_owner(case_id, dept_id, role, start_at) VALUES(?,?,?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_int64(s, 2, dept_id);
    sqlite3_bind_text(s, 3, role, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, now);
    return sqlite3_step(s) == SQLITE_DONE ? JC_OK : JC_ERR_DB;
}

/* ---- locating and routing ---------------------------------------------------- */

static jc_err save_route(jc_conn *w, const jc_case *k, const duty_entry *en, int manual, const char *located,
                         const char *explanation) {
    static const char sql[] =
        "INSERT INTO case_route(case_id, list_version, entry_id, category, scope, lead_dept, co_depts,"
        " legal_basis, grid, located, manual, explanation, routed_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT(case_id) DO UPDATE SET list_version=excluded.list_version,"
        " entry_id=excluded.entry_id, category=excluded.category, scope=excluded.scope,"
        " lead_dept=excluded.lead_dept, co_depts=excluded.co_depts, legal_basis=excluded.legal_basis,"
        " grid=excluded.grid, located=excluded.located, manual=excluded.manual,"
        " explanation=excluded.explanation, routed_at=excluded.routed_at";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    /* bound without copies: everything outlives the step below */
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
    sqlite3_bind_int64(s, 1, k->id);
    sqlite3_bind_int(s, 2, ctx.list_version);
    if (en) {
        sqlite3_bind_text(s, 3, en->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, en->scope, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 6, en->lead_dept, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 7, co, -1, SQLITE_STATIC);
        /* the legal basis, as the explanation, is written out on reading */
        sqlite3_bind_text(s, 8, "", 0, SQLITE_STATIC);
    }
    sqlite3_bind_text(s, 4, k->category, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, k->area, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 10, located, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 11, manual);
    sqlite3_bind_text(s, 12, explanation, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 13, jc_now_ms());
    return sqlite3_step(s) == SQLITE_DONE ? JC_OK : JC_ERR_DB;
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
    jc_err e = duty_match(ctx.list, k->category, k->area, &en);
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
    static const char sql[] =
        "SELECT u.id FROM users u LEFT JOIN user_duty d ON d.user_id = u.id"
        " WHERE u.role='grid_worker' AND u.disabled=0 AND COALESCE(d.on_duty,1)=1"
        " AND ? LIKE u.area || '%'"
        " ORDER BY length(u.area) DESC,"
        " (SELECT count(*) FROM cases c WHERE c.assignee_id = u.id AND c.state='feedback'), u.id LIMIT 1";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return 0;
    sqlite3_bind_text(s, 1, k->area, -1, SQLITE_TRANSIENT);
    int64_t id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return id;
}

static int open_whistle_members(jc_conn *w, int64_t case_id) {
    static const char sql[] =
        "SELECT count(*) FROM whistles wh JOIN whistle_members m ON m.whistle_id = wh.id"
        " WHERE wh.case_id=? AND wh.state='open' AND m.done_at IS NULL";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return 0;
    sqlite3_bind_int64(s, 1, case_id);
    int n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
    sqlite3_reset(s);
    return n;
}

static jc_err decide_return(jc_conn *w, int64_t case_id, const char *decision, const jc_user *actor,
                            const char *note, int64_t now) {
    static const char sql[] =
        "UPDATE returns SET decision=?, decided_at=?, decided_by=?, note=? WHERE case_id=? AND decision IS NULL";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, decision, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, now);
    sqlite3_bind_text(s, 3, actor->name, -1, SQLITE_TRANSIENT);
    if (note) sqlite3_bind_text(s, 4, note, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 5, case_id);
    return sqlite3_step(s) == SQLITE_DONE ? JC_OK : JC_ERR_DB;
}

/* ---- the hooks ---------------------------------------------------------------- */

static jc_err prepare_create(jc_conn *w, jc_case *k, dispatch_plan *plan) {
    if (k->has_point && ctx.grids) {
        const char *code = NULL;
        if (geo_index_locate(ctx.grids, k->lon, k->lat, &code) == JC_OK) {
            snprintf(k->area, sizeof k->area, "%s", code);
        } else {
            k->flags |= CASE_F_UNLOCATED;
            if (ctx.street[0] && strlen(k->area) < 15) snprintf(k->area, sizeof k->area, "%s", ctx.street);
        }
    }
    if (k->has_point && ctx.dups) {
        dedup_match m[4];
        size_t n = 0;
        jc_buf text;
        jc_buf_init(&text, 1 << 20);
        if (jc_buf_puts(&text, k->title ? k->title : "") == JC_OK && jc_buf_puts(&text, " ") == JC_OK &&
            jc_buf_puts(&text, k->body ? k->body : "") == JC_OK &&
            dedup_query(ctx.dups, text.data, k->lon, k->lat, k->created_ms, k->category, m, 4, &n) == JC_OK) {
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
                if (m[i].verdict == DEDUP_MERGE) plan->merge_into = m[i].id;
                else plan->suggest_of = m[i].id, k->flags |= CASE_F_DUPLICATE;
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

jc_err dispatch_prepare(jc_conn *w, const jc_user *actor, jc_case *k, int a, jc_state from,
                        const jc_action_args *args, dispatch_plan *plan, jc_case_err *why) {
    jc_err e = ctx_ensure(w);
    if (e) return e;
    if (a == ACT__COUNT) return prepare_create(w, k, plan);
    int64_t now = k->updated_ms ? k->updated_ms : jc_now_ms();
    switch ((jc_action)a) {
    case ACT_REGISTER: {
        /* Route now if the list covers it; otherwise the case waits, 无主. */
        const duty_entry *en;
        if (duty_match(ctx.list, k->category, k->area, &en) == JC_OK) {
            plan->route_after = 1;
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
        static const char sql[] =
            "INSERT INTO returns(case_id, dept_id, reason_code, reason, at) VALUES(?,?,?,?,?)";
        sqlite3_stmt *s = store_sqlite_prepare(w, sql);
        if (!s) return JC_ERR_DB;
        sqlite3_bind_int64(s, 1, k->id);
        sqlite3_bind_int64(s, 2, k->dept_id);
        sqlite3_bind_text(s, 3, args->reason_code ? args->reason_code : "not_our_duty", -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 4, args->reason, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 5, now);
        if (sqlite3_step(s) != SQLITE_DONE) return JC_ERR_DB;
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
            if (duty_match(ctx.list, k->category, k->area, &en) == JC_OK) {
                jc_dept d;
                jc_dept old = {0};
                if (store_dept_by_code(w, en->lead_dept, &d) == JC_OK) {
                    static const char sql[] =
                        "SELECT dept_id FROM returns WHERE case_id=? ORDER BY id DESC LIMIT 1";
                    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
                    if (s) {
                        sqlite3_bind_int64(s, 1, k->id);
                        if (sqlite3_step(s) == SQLITE_ROW) old.id = sqlite3_column_int64(s, 0);
                        sqlite3_reset(s);
                    }
                    if (d.id != old.id) plan->route_after = 1;
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
    case ACT_REMIND:
        if (!(k->flags & CASE_F_OVERDUE)) k->flags |= CASE_F_REMINDED;
        return JC_OK;
    default:
        return JC_OK;
    }
}

/* Hands the row a chained action left to the caller (plan->after), or
 * frees it. */
static void keep_after(const dispatch_plan *plan, jc_case *out) {
    if (plan->after) {
        case_clear(plan->after);
        *plan->after = *out;
    } else {
        case_clear(out);
    }
}

jc_err dispatch_after(jc_conn *w, const jc_user *actor, const jc_case *k, int a,
                      const dispatch_plan *plan, jc_case_err *why) {
    (void)actor;
    jc_err e;
    if (a == ACT__COUNT) {
        /* a report merged into an open case is not indexed: the case it
         * joined stands for the cluster, so a mass event (hundreds of the
         * same report at one spot) keeps one entry there, not one per
         * report that each new one would be compared with */
        if (ctx.dups && k->has_point && !plan->merge_into) {
            jc_buf text;
            jc_buf_init(&text, 1 << 20);
            if (jc_buf_puts(&text, k->title ? k->title : "") == JC_OK && jc_buf_puts(&text, " ") == JC_OK &&
                jc_buf_puts(&text, k->body ? k->body : "") == JC_OK) {
                jc_err ae = dedup_add(ctx.dups, k->id, text.data, k->lon, k->lat, k->created_ms, k->category);
                (void)ae;
            }
            jc_buf_free(&text);
        }
        int64_t orig = plan->merge_into ? plan->merge_into : plan->suggest_of;
        if (orig) {
            static const char sql[] =
                "INSERT INTO duplicates(case_id, original_id, score, distance_m, auto, at) VALUES(?,?,?,?,?,?)";
            sqlite3_stmt *s = store_sqlite_prepare(w, sql);
            if (!s) return JC_ERR_DB;
            sqlite3_bind_int64(s, 1, k->id);
            sqlite3_bind_int64(s, 2, orig);
            sqlite3_bind_double(s, 3, plan->dup_score);
            sqlite3_bind_double(s, 4, plan->dup_dist);
            sqlite3_bind_int(s, 5, plan->merge_into != 0);
            sqlite3_bind_int64(s, 6, jc_now_ms());
            if (sqlite3_step(s) != SQLITE_DONE) return JC_ERR_DB;
        }
        if (plan->merge_into) {
            /* the reporter follows the original from now on */
            static const char fsql[] = "INSERT OR IGNORE INTO case_followers(case_id, user_id) VALUES(?,?)";
            sqlite3_stmt *s = store_sqlite_prepare(w, fsql);
            if (!s) return JC_ERR_DB;
            sqlite3_bind_int64(s, 1, plan->merge_into);
            sqlite3_bind_int64(s, 2, k->reporter_id);
            if (sqlite3_step(s) != SQLITE_DONE) return JC_ERR_DB;
            jc_user sys;
            auth_system_actor(&sys, "dedup");
            char reason[200], no[40] = "", score[16];
            jc_case orig;
            if (store_case_get(w, plan->merge_into, &orig) == JC_OK) {
                case_number(&orig, no, sizeof no);
                case_clear(&orig);
            }
            snprintf(score, sizeof score, "%.2f", plan->dup_score);
            reason_buf rb;
            reason_begin(&rb, reason, sizeof reason, "dup_merge");
            reason_int(&rb, "case_id", plan->merge_into);
            if (no[0]) reason_str(&rb, "no", no);
            reason_str(&rb, "score", score);
            reason_int(&rb, "m", (int64_t)llround(plan->dup_dist));
            reason_end(&rb);
            jc_action_args ma = {.target_id = plan->merge_into, .reason = reason};
            jc_case out;
            if ((e = case_act(w, &sys, k->id, ACT_MERGE, &ma, &out, why))) return e;
            keep_after(plan, &out);
        }
        return JC_OK;
    }
    if (plan->route_after) {
        jc_user sys;
        auth_system_actor(&sys, "dispatch");
        jc_action_args da = {.note = "{\"code\":\"auto_dispatch\"}"};
        jc_case out;
        /* k is the row as the action before left it, not stored yet: the
         * dispatch stores it (case_act_row) */
        e = case_act_row(w, &sys, k, ACT_DISPATCH, &da, &out, why);
        if (e) return e;
        keep_after(plan, &out);
    }
    return JC_OK;
}

int dispatch_dept_involved(jc_conn *c, int64_t case_id, int64_t dept_id) {
    static const char sql[] =
        "SELECT 1 FROM case_owner WHERE case_id=?1 AND dept_id=?2 AND end_at IS NULL"
        " UNION ALL SELECT 1 FROM whistles wh JOIN whistle_members m ON m.whistle_id=wh.id"
        " WHERE wh.case_id=?1 AND m.dept_id=?2 LIMIT 1";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return 0;
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_int64(s, 2, dept_id);
    int yes = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_reset(s);
    return yes;
}

int dispatch_follows(jc_conn *c, int64_t case_id, int64_t user_id) {
    static const char sql[] = "SELECT 1 FROM case_followers WHERE case_id=? AND user_id=?";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return 0;
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_int64(s, 2, user_id);
    int yes = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_reset(s);
    return yes;
}

/* ---- the escalation ticker ----------------------------------------------------- */

jc_err dispatch_tick(jc_conn *w, int64_t now) {
    static const char upd_sql[] =
        "UPDATE case_phase SET reminded_at=COALESCE(reminded_at, ?2), overdue_at=COALESCE(?3, overdue_at),"
        " level=?4, next_at=?5 WHERE id=?1";
    jc_err e = ctx_ensure(w);
    if (e) return e;
    /* read again also when the heap has doubled since (and by 100k):
     * superseded entries stay until they come due, and a load drops them */
    if (!tmr.loaded || tmr.db != store_sqlite_db(w) || tmr.outside != store_sqlite_outside(w) ||
        tmr.n > 2 * tmr.n_loaded + 100000) {
        if ((e = tmr_load(w))) return e;
    }
    /* the due phases, earliest first, up to 200 a tick (stale entries
     * skipped: see the escalation timer above) */
    struct due {
        dispatch_phase_row p;
        int phase; /* index into phase_names */
    } due[200];
    int n = 0;
    while (n < 200 && tmr.n && tmr.h[0].at <= now) {
        timer_ent t = tmr_pop();
        e = dispatch_store_due_phase(w, t.id, t.at, &due[n].p, &due[n].phase);
        if (e == JC_OK) n++;
        else if (e != JC_ERR_NOTFOUND) {
            tmr.loaded = 0; /* t is off the heap: read it again next time */
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
        if (level >= ctx.esc.levels) {
            next = 0; /* every level reached (or a row of an earlier build): never again */
        } else if (now < p->deadline) {
            if (!p->reminded) {
                act = ACT_REMIND;
                reminded = now;
                char dl[40];
                jc_fmt_utc(p->deadline, dl, sizeof dl);
                snprintf(note, sizeof note, "{\"code\":\"remind\",\"phase\":\"%s\",\"pct\":%d,\"deadline\":\"%s\"}",
                         phase, ctx.esc.remind_pct, dl);
            }
            next = p->deadline;
        } else {
            /* overdue: the level due now, in one entry even when the server
             * was down past several steps */
            int64_t lead = leader_at(p->deadline);
            int target = ctx.esc.levels >= 2 && now >= lead ? 2 : 1;
            if (target > level) {
                act = ACT_ESCALATE;
                level = target;
                overdue_at = now;
                snprintf(note, sizeof note, "{\"code\":\"overdue\",\"phase\":\"%s\",\"level\":%d}", phase, level);
            }
            next = level < ctx.esc.levels ? lead : 0;
        }
        sqlite3_stmt *u = store_sqlite_prepare(w, upd_sql);
        if (!u) {
            tmr.loaded = 0;
            return JC_ERR_DB;
        }
        sqlite3_bind_int64(u, 1, p->id);
        sq_bind_i64_opt(u, 2, reminded);
        sq_bind_i64_opt(u, 3, overdue_at);
        sqlite3_bind_int(u, 4, level);
        sq_bind_i64_opt(u, 5, next);
        if (sqlite3_step(u) != SQLITE_DONE) {
            sqlite3_reset(u);
            tmr.loaded = 0; /* the due ones are off the heap: read it again */
            return JC_ERR_DB;
        }
        sqlite3_reset(u);
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
    sqlite3_stmt *s;
    static const char late_sql[] =
        "SELECT m.whistle_id, m.dept_id, wh.case_id FROM whistle_members m JOIN whistles wh ON wh.id=m.whistle_id"
        " WHERE wh.state='open' AND m.checked_in_at IS NULL AND m.late=0 AND m.checkin_deadline <= ? LIMIT 200";
    static const char mark_sql[] = "UPDATE whistle_members SET late=1 WHERE whistle_id=? AND dept_id=?";
    s = store_sqlite_prepare(w, late_sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, now);
    struct { int64_t wid, dept, case_id; } late[200];
    int nl = 0;
    while (nl < 200 && sqlite3_step(s) == SQLITE_ROW) {
        late[nl].wid = sqlite3_column_int64(s, 0);
        late[nl].dept = sqlite3_column_int64(s, 1);
        late[nl].case_id = sqlite3_column_int64(s, 2);
        nl++;
    }
    sqlite3_reset(s);
    for (int i = 0; i < nl; i++) {
        sqlite3_stmt *u = store_sqlite_prepare(w, mark_sql);
        if (!u) return JC_ERR_DB;
        sqlite3_bind_int64(u, 1, late[i].wid);
        sqlite3_bind_int64(u, 2, late[i].dept);
        if (sqlite3_step(u) != SQLITE_DONE) return JC_ERR_DB;
        jc_case k;
        if (store_case_get(w, late[i].case_id, &k) == JC_OK) {
            char note[200]; /* a department's name is under 128 bytes */
            jc_dept dd;
            reason_buf rb;
            reason_begin(&rb, note, sizeof note, "checkin_late");
            reason_int(&rb, "whistle", late[i].wid);
            reason_str(&rb, "dept", store_dept_get(w, late[i].dept, &dd) == JC_OK ? dd.code : NULL);
            reason_end(&rb);
            e = case_audit_note(w, &sys, &k, "checkin_late", note);
            case_clear(&k);
            if (e) return e;
        }
    }
    return JC_OK;
}

/* ---- importing the list ----------------------------------------------------------- */

jc_err dispatch_import_list(jc_conn *w, const jc_user *actor, const char *csv, size_t len,
                            const char *note, int *version, jc_buf *errors) {
    codes c;
    duty_known known;
    sqlite3 *db = store_sqlite_db(w);
    jc_err e = load_known(db, &c, &known);
    duty_list *list = NULL;
    if (!e) e = duty_import_csv(csv, len, &known, &list, errors);
    codes_free(&c);
    if (e) return e;
    size_t n = duty_list_count(list);
    duty_list_free(list);
    static const char off[] = "UPDATE duty_lists SET active=0 WHERE active=1";
    static const char ins[] =
        "INSERT INTO duty_lists(created_at, created_by, note, csv, entries, active) VALUES(?,?,?,?,?,1)";
    sqlite3_stmt *s = store_sqlite_prepare(w, off);
    if (!s || sqlite3_step(s) != SQLITE_DONE) return JC_ERR_DB;
    s = store_sqlite_prepare(w, ins);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, jc_now_ms());
    sqlite3_bind_text(s, 2, actor->name, -1, SQLITE_TRANSIENT);
    if (note) sqlite3_bind_text(s, 3, note, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, csv, (int)len, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 5, (int64_t)n);
    if (sqlite3_step(s) != SQLITE_DONE) return JC_ERR_DB;
    *version = (int)sqlite3_last_insert_rowid(db);
    char why[160];
    snprintf(why, sizeof why, "responsibility list version %d, %zu entries", *version, n);
    if ((e = auth_audit(w, actor, "duty_import", why))) return e;
    return bump_generation(w);
}

jc_err dispatch_invalidate(jc_conn *w) { return bump_generation(w); }

jc_err dispatch_preview_list(jc_conn *w, const char *csv, size_t len, json_t **out, jc_buf *errors) {
    jc_err e = ctx_ensure(w);
    if (e) return e;
    codes c;
    duty_known known;
    duty_list *nl = NULL;
    e = load_known(store_sqlite_db(w), &c, &known);
    if (!e) e = duty_import_csv(csv, len, &known, &nl, errors);
    codes_free(&c);
    if (e) return e;
    static const char sql[] =
        "SELECT id, category, area, created_at FROM cases WHERE state IN"
        " ('reported','registered','dispatched','accepted','handling','returned','suspended','deferred')"
        " ORDER BY id DESC LIMIT 20000";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) {
        duty_list_free(nl);
        return JC_ERR_DB;
    }
    json_t *changed = json_array();
    int64_t checked = 0, nchanged = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *cat = (const char *)sqlite3_column_text(s, 1), *area = (const char *)sqlite3_column_text(s, 2);
        const duty_entry *a = NULL, *b = NULL;
        int ha = duty_match(ctx.list, cat, area, &a) == JC_OK, hb = duty_match(nl, cat, area, &b) == JC_OK;
        checked++;
        const char *from = ha ? a->lead_dept : NULL, *to = hb ? b->lead_dept : NULL;
        if ((!from && !to) || (from && to && !strcmp(from, to))) continue;
        nchanged++;
        if (json_array_size(changed) >= 500) continue;
        jc_case k = {.id = sqlite3_column_int64(s, 0), .created_ms = sqlite3_column_int64(s, 3)};
        char no[40];
        case_number(&k, no, sizeof no);
        json_t *o = json_pack("{s:I,s:s,s:s,s:s}", "case_id", (json_int_t)k.id, "no", no, "category", cat, "area", area);
        json_object_set_new(o, "from", from ? json_string(from) : json_null());
        json_object_set_new(o, "to", to ? json_string(to) : json_null());
        json_array_append_new(changed, o);
    }
    sqlite3_reset(s);
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
    if (version) *version = ctx.list_version;
    return ctx.list;
}
calendar *dispatch__calendar(void) { return ctx.cal; }
geo_index *dispatch__grids(void) { return ctx.grids; }

/* ---- the case view --------------------------------------------------------------- */

static json_t *col_json(sqlite3_stmt *s, int i) {
    switch (sqlite3_column_type(s, i)) {
    case SQLITE_NULL: return json_null();
    case SQLITE_INTEGER: return json_integer(sqlite3_column_int64(s, i));
    case SQLITE_FLOAT: return json_real(sqlite3_column_double(s, i));
    default: return json_string((const char *)sqlite3_column_text(s, i));
    }
}

/* Runs sql with case id bound to ?1; each row becomes an object whose keys are
 * the column names; *_at columns become ISO times. */
static json_t *rows_json(jc_conn *c, const char *sql, int64_t id) {
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    json_t *arr = json_array();
    if (!s) return arr;
    sqlite3_bind_int64(s, 1, id);
    while (sqlite3_step(s) == SQLITE_ROW) {
        json_t *o = json_object();
        for (int i = 0; i < sqlite3_column_count(s); i++) {
            const char *name = sqlite3_column_name(s, i);
            size_t nl = strlen(name);
            if (nl > 3 && !strcmp(name + nl - 3, "_at") && sqlite3_column_type(s, i) == SQLITE_INTEGER) {
                char ts[40];
                jc_fmt_utc(sqlite3_column_int64(s, i), ts, sizeof ts);
                json_object_set_new(o, name, json_string(ts));
            } else {
                json_object_set_new(o, name, col_json(s, i));
            }
        }
        json_array_append_new(arr, o);
    }
    sqlite3_reset(s);
    return arr;
}

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
    sqlite3_stmt *s = store_sqlite_prepare(c, "SELECT csv FROM duty_lists WHERE version=?1");
    if (!s) return NULL;
    sqlite3_bind_int(s, 1, v);
    jc_err e = sqlite3_step(s) == SQLITE_ROW
                   ? duty_import_csv((const char *)sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0),
                                     NULL, &l, NULL)
                   : duty_list_new(&l); /* version 0: no list was imported yet */
    sqlite3_reset(s);
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
    static const char route_sql[] =
        "SELECT list_version, entry_id, category, scope, lead_dept, co_depts, legal_basis, grid, located,"
        " manual, explanation, routed_at FROM case_route WHERE case_id=?1";
    /* user: the display name of the one assigned (a verifying grid worker) */
    static const char phase_sql[] =
        "SELECT p.phase, p.dept_id, d.name AS dept, p.user_id, u.display AS user, p.start_at, p.deadline_at,"
        " p.provisional, p.end_at, p.end_reason, p.paused_ms, p.reminded_at, p.overdue_at, p.level"
        " FROM case_phase p LEFT JOIN depts d ON d.id=p.dept_id LEFT JOIN users u ON u.id=p.user_id"
        " WHERE p.case_id=?1 ORDER BY p.id";
    static const char owner_sql[] =
        "SELECT o.dept_id, d.code, d.name, o.role, o.start_at, o.end_at, o.end_reason FROM case_owner o"
        " JOIN depts d ON d.id=o.dept_id WHERE o.case_id=?1 ORDER BY o.id";
    static const char ret_sql[] =
        "SELECT r.id, r.dept_id, d.name AS dept, r.reason_code, r.reason, r.at, r.decision, r.decided_at,"
        " r.decided_by, r.note FROM returns r JOIN depts d ON d.id=r.dept_id WHERE r.case_id=?1 ORDER BY r.id";
    static const char wh_sql[] =
        "SELECT wh.id, wh.raised_at, wh.checkin_minutes, wh.note, wh.state, wh.done_at,"
        " (SELECT json_group_array(json_object('dept_id', m.dept_id, 'dept', d.name, 'checkin_deadline',"
        "  m.checkin_deadline, 'checked_in_at', m.checked_in_at, 'late', m.late, 'done_at', m.done_at,"
        "  'done_note', m.done_note, 'rating', m.rating)) FROM whistle_members m JOIN depts d ON d.id=m.dept_id"
        "  WHERE m.whistle_id=wh.id) AS members FROM whistles wh WHERE wh.case_id=?1 ORDER BY wh.id";
    static const char dup_sql[] =
        "SELECT x.case_id, x.original_id, x.score, x.distance_m, x.auto, x.at, a.created_at AS case_created,"
        " b.created_at AS original_created FROM duplicates x LEFT JOIN cases a ON a.id=x.case_id"
        " LEFT JOIN cases b ON b.id=x.original_id WHERE x.case_id=?1 OR x.original_id=?1 ORDER BY x.case_id";
    json_t *route = rows_json(c, route_sql, id);
    json_t *r0 = json_array_get(route, 0);
    if (r0) route_explain(c, r0);
    json_object_set_new(o, "route", r0 ? json_incref(r0) : json_null());
    json_decref(route);
    json_object_set_new(o, "phases", rows_json(c, phase_sql, id));
    json_object_set_new(o, "owners", rows_json(c, owner_sql, id));
    json_object_set_new(o, "returns", rows_json(c, ret_sql, id));
    json_t *wh = rows_json(c, wh_sql, id);
    size_t i;
    json_t *v;
    json_array_foreach(wh, i, v) {
        json_t *m = json_object_get(v, "members");
        if (json_is_string(m)) json_object_set_new(v, "members", json_loads(json_string_value(m), 0, NULL));
    }
    json_object_set_new(o, "whistles", wh);
    /* case numbers, not ids, for the reader */
    json_t *dups = rows_json(c, dup_sql, id);
    json_array_foreach(dups, i, v) {
        static const char *const keys[][3] = {{"case_id", "case_created", "case_no"},
                                              {"original_id", "original_created", "original_no"}};
        for (int j = 0; j < 2; j++) {
            const char *at = json_string_value(json_object_get(v, keys[j][1]));
            int64_t ms = 0;
            jc_case k = {.id = json_integer_value(json_object_get(v, keys[j][0]))};
            if (at && jc_parse_time(at, &ms) == JC_OK) {
                k.created_ms = ms;
                char no[40];
                case_number(&k, no, sizeof no);
                json_object_set_new(v, keys[j][2], json_string(no));
            }
            json_object_del(v, keys[j][1]);
        }
    }
    json_object_set_new(o, "duplicates", dups);
    return JC_OK;
}
