/*
 * dispatch_sqlite.c -- the tables of automatic dispatch (module "dispatch")
 * and every statement on them: the SQLite table of dispatch_store.h.
 *
 *  duty_lists      each imported/edited version of the responsibility list
 *                  (权责清单) as CSV; exactly one is active.
 *  case_route      the latest routing decision of a case and why (an
 *                  automatic route stores its list version, entry and grid;
 *                  explanation and legal_basis are empty and written out on
 *                  reading; rows of earlier builds and manual routes hold
 *                  their text).
 *  case_owner      ownership intervals: which department owned (lead) or
 *                  co-handled a case from when to when and how it ended
 *                  (evaluation scores a unit only for what it owned).
 *  case_phase      one row per phase a unit worked on (accept, handle,
 *                  verify) with its deadline in working time, approved pause
 *                  time, and the escalation bookkeeping; next_at is when the
 *                  escalation ticker must look at it again (NULL: never);
 *                  the ticker keeps them in memory (dispatch.c); the armed
 *                  open phases are indexed by id (case_phase_open) for its
 *                  loads; level is the overdue level reached (1 超时督办,
 *                  2 领导督办; rows of earlier builds may hold more);
 *                  natural_time marks a limit in natural time.
 *  returns         退单: a department's return with its reason, and the
 *                  dispatcher's decision (upheld / rejected).
 *  whistles,       吹哨报到: summoned departments, their check-in deadline,
 *  whistle_members check-in time, lateness, completion and the caller's rating.
 *  calendar_days   staff corrections of the official calendar (versioned by
 *                  updated_at, audited).
 *  duplicates      a new report linked to an open case (auto-merged or
 *                  suggested) with its score.
 *  case_followers  residents who follow a case (their duplicate was merged).
 *  user_duty       grid workers' on/off duty.
 *
 * Statements are prepared once per connection (store_sqlite_prepare) and
 * their texts bound without copies where the value outlives the step.
 */
#include "dispatch_store.h"
#include "store_sqlite.h"

#include <jansson.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const dispatch_migrations[] = {
    "CREATE TABLE duty_lists(version INTEGER PRIMARY KEY, created_at INTEGER NOT NULL,"
    "  created_by TEXT NOT NULL, note TEXT, csv TEXT NOT NULL, entries INTEGER NOT NULL,"
    "  active INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE case_route(case_id INTEGER PRIMARY KEY, list_version INTEGER, entry_id TEXT,"
    "  category TEXT, scope TEXT, lead_dept TEXT, co_depts TEXT, legal_basis TEXT, grid TEXT,"
    "  located TEXT NOT NULL, manual INTEGER NOT NULL DEFAULT 0, explanation TEXT NOT NULL,"
    "  routed_at INTEGER NOT NULL);"
    "CREATE TABLE case_owner(id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL,"
    "  dept_id INTEGER NOT NULL, role TEXT NOT NULL CHECK(role IN('lead','co')),"
    "  start_at INTEGER NOT NULL, end_at INTEGER, end_reason TEXT);"
    "CREATE INDEX case_owner_case ON case_owner(case_id);"
    "CREATE INDEX case_owner_dept ON case_owner(dept_id, start_at);"
    "CREATE TABLE case_phase(id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL,"
    "  phase TEXT NOT NULL CHECK(phase IN('accept','handle','verify')), dept_id INTEGER,"
    "  user_id INTEGER, start_at INTEGER NOT NULL, deadline_at INTEGER,"
    "  provisional INTEGER NOT NULL DEFAULT 0, end_at INTEGER, end_reason TEXT,"
    "  paused_at INTEGER, paused_ms INTEGER NOT NULL DEFAULT 0,"
    "  reminded_at INTEGER, overdue_at INTEGER, level INTEGER NOT NULL DEFAULT 0, next_at INTEGER);"
    "CREATE INDEX case_phase_case ON case_phase(case_id);"
    "CREATE INDEX case_phase_next ON case_phase(next_at) WHERE next_at IS NOT NULL;"
    "CREATE TABLE returns(id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL, dept_id INTEGER NOT NULL,"
    "  reason_code TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL,"
    "  decision TEXT CHECK(decision IN('upheld','rejected')), decided_at INTEGER,"
    "  decided_by TEXT, note TEXT);"
    "CREATE INDEX returns_case ON returns(case_id);"
    "CREATE TABLE whistles(id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL,"
    "  raised_by INTEGER NOT NULL, raised_at INTEGER NOT NULL, checkin_minutes INTEGER NOT NULL,"
    "  note TEXT, state TEXT NOT NULL DEFAULT 'open' CHECK(state IN('open','done')),"
    "  done_at INTEGER);"
    "CREATE INDEX whistles_case ON whistles(case_id);"
    "CREATE TABLE whistle_members(whistle_id INTEGER NOT NULL, dept_id INTEGER NOT NULL,"
    "  checkin_deadline INTEGER NOT NULL, checked_in_at INTEGER, late INTEGER NOT NULL DEFAULT 0,"
    "  done_at INTEGER, done_note TEXT, rating INTEGER, rated_at INTEGER,"
    "  PRIMARY KEY(whistle_id, dept_id));"
    "CREATE TABLE calendar_days(ymd INTEGER PRIMARY KEY, kind TEXT NOT NULL"
    "  CHECK(kind IN('holiday','workday')), name TEXT, updated_by TEXT NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE TABLE duplicates(case_id INTEGER PRIMARY KEY, original_id INTEGER NOT NULL,"
    "  score REAL NOT NULL, distance_m REAL, auto INTEGER NOT NULL, at INTEGER NOT NULL);"
    "CREATE INDEX duplicates_original ON duplicates(original_id);"
    "CREATE TABLE case_followers(case_id INTEGER NOT NULL, user_id INTEGER NOT NULL,"
    "  PRIMARY KEY(case_id, user_id)) WITHOUT ROWID;"
    "CREATE TABLE user_duty(user_id INTEGER PRIMARY KEY, on_duty INTEGER NOT NULL DEFAULT 1);",
    /* 2: no query reads ownership by department (evaluation reads it by
     * case), and its scattered keys cost every dispatch a page */
    "DROP INDEX IF EXISTS case_owner_dept;",
    /* 3: SQLite checks "x IN (three or more values)" through a temporary
     * index built at every insert (1.8 us; 0.4 for the same test written
     * with OR): case_phase is rebuilt with its CHECK so written */
    "CREATE TABLE case_phase_v3(id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL,"
    "  phase TEXT NOT NULL CHECK(phase = 'accept' OR phase = 'handle' OR phase = 'verify'),"
    "  dept_id INTEGER, user_id INTEGER, start_at INTEGER NOT NULL, deadline_at INTEGER,"
    "  provisional INTEGER NOT NULL DEFAULT 0, end_at INTEGER, end_reason TEXT,"
    "  paused_at INTEGER, paused_ms INTEGER NOT NULL DEFAULT 0,"
    "  reminded_at INTEGER, overdue_at INTEGER, level INTEGER NOT NULL DEFAULT 0, next_at INTEGER);"
    "INSERT INTO case_phase_v3 SELECT * FROM case_phase;"
    "DROP TABLE case_phase;"
    "ALTER TABLE case_phase_v3 RENAME TO case_phase;"
    "CREATE INDEX case_phase_case ON case_phase(case_id);"
    "CREATE INDEX case_phase_next ON case_phase(next_at) WHERE next_at IS NOT NULL;",
    /* 4: the escalation ticker finds due phases in a heap in memory, read
     * from the table at its first tick; the index's keys scattered with the
     * deadlines and cost every dispatch ~2 us */
    "DROP INDEX IF EXISTS case_phase_next;",
    /* 5: what the ticker reads at a load, the armed open phases, by id:
     * the keys come in order, so an insert lands on the index's last page
     * (no cost measured, where next_at's scattered keys cost ~2 us), and a
     * load after another program's write reads the open phases, not every
     * phase ever opened */
    "CREATE INDEX case_phase_open ON case_phase(id) WHERE end_at IS NULL AND next_at IS NOT NULL;",
    /* 6: natural_time: the phase's limit counts natural time (an urgent
     * category), so its reminder falls at 80 % of the natural span; the
     * others' at 80 % of the working time (docs/dispatch.md, Escalation) */
    "ALTER TABLE case_phase ADD COLUMN natural_time INTEGER NOT NULL DEFAULT 0;",
};

const jc_schema schema_dispatch = {"dispatch", dispatch_migrations,
                                   (int)(sizeof dispatch_migrations / sizeof dispatch_migrations[0])};

/* ---- small helpers ----------------------------------------------------------- */

static jc_err failed(jc_conn *c, const char *what) { return sq_fail(store_sqlite_db(c), "dispatch", what); }

/* Steps a statement that writes; resets it. */
static jc_err done(jc_conn *w, sqlite3_stmt *s, const char *what) {
    return sq_step_done(store_sqlite_db(w), s, "dispatch", what);
}

/* Ends a read loop: rc the last step's. */
static jc_err read_end(jc_conn *c, sqlite3_stmt *s, int rc, const char *what) {
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : failed(c, what);
}

/* The first column of a one-row query as an integer (0 when no row). */
static jc_err one_int(jc_conn *c, sqlite3_stmt *s, int64_t *out, const char *what) {
    int rc = sqlite3_step(s);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    return read_end(c, s, rc, what);
}

/* ---- settings and the routing context (written by ui for the escalation) -------- */

static void esc_defaults(dispatch_esc_cfg *out) {
    out->remind_pct = 80;
    out->levels = 2;
    out->leader_after_min = 420;
}

static jc_err sq_esc_get(jc_conn *c, dispatch_esc_cfg *out) {
    static const char sql[] = "SELECT value FROM meta WHERE key='dispatch.escalation'";
    esc_defaults(out);
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        int pct, levels, after;
        if (sscanf(sq_col_str(s, 0), "%d %d %d", &pct, &levels, &after) == 3 && pct >= 1 && pct <= 99 &&
            (levels == 1 || levels == 2) && after >= 0) {
            out->remind_pct = pct;
            out->levels = levels;
            out->leader_after_min = after;
        }
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : JC_ERR_DB;
}

static jc_err sq_esc_put(jc_conn *w, const dispatch_esc_cfg *cfg) {
    static const char sql[] = "INSERT INTO meta(key, value) VALUES('dispatch.escalation', ?)"
                              " ON CONFLICT(key) DO UPDATE SET value=excluded.value";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    char v[48];
    snprintf(v, sizeof v, "%d %d %d", cfg->remind_pct, cfg->levels, cfg->leader_after_min);
    sq_bind_text(s, 1, v);
    return sq_step_done(store_sqlite_db(w), s, "dispatch", "escalation settings");
}

static jc_err sq_generation_bump(jc_conn *w, int64_t *gen) {
    /* CAST of a value that is not a number gives 0, as generation_of reads it */
    static const char sql[] =
        "INSERT INTO meta(key, value) VALUES('dispatch.generation', '1') ON CONFLICT(key) DO UPDATE"
        " SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) RETURNING CAST(value AS INTEGER)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    return one_int(w, s, gen, "generation");
}

#define PHASE_COLS "id, case_id, start_at, deadline_at, reminded_at, level, natural_time, phase"

static void read_phase(sqlite3_stmt *s, dispatch_phase_row *r, int *phase) {
    r->id = sqlite3_column_int64(s, 0);
    r->case_id = sqlite3_column_int64(s, 1);
    r->start = sqlite3_column_int64(s, 2);
    r->deadline = sqlite3_column_int64(s, 3);
    r->reminded = sqlite3_column_int64(s, 4); /* NULL reads as 0 */
    r->level = sqlite3_column_int(s, 5);
    r->natural = sqlite3_column_int(s, 6);
    if (phase) {
        const char *p = sq_col_str(s, 7);
        *phase = !strcmp(p, "handle") ? 1 : !strcmp(p, "verify") ? 2 : 0;
    }
}

static jc_err sq_due_phase(jc_conn *w, int64_t id, int64_t next_at, dispatch_phase_row *row, int *phase) {
    static const char sql[] = "SELECT " PHASE_COLS " FROM case_phase WHERE id=? AND next_at=? AND end_at IS NULL";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, next_at);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) read_phase(s, row, phase);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW) return JC_OK;
    return rc == SQLITE_DONE ? JC_ERR_NOTFOUND : sq_fail(store_sqlite_db(w), "dispatch", "due phase");
}

static jc_err sq_running_phases(jc_conn *w, int64_t case_id, int64_t phase_id,
                                     int (*fn)(const dispatch_phase_row *row, void *arg), void *arg) {
    static const char by_case[] = "SELECT " PHASE_COLS " FROM case_phase"
                                  " WHERE case_id=? AND end_at IS NULL AND paused_at IS NULL AND deadline_at IS NOT NULL";
    static const char by_id[] = "SELECT " PHASE_COLS " FROM case_phase"
                                " WHERE id=? AND end_at IS NULL AND paused_at IS NULL AND deadline_at IS NOT NULL";
    sqlite3_stmt *s = store_sqlite_prepare(w, phase_id ? by_id : by_case);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, phase_id ? phase_id : case_id);
    /* a case has one or two open phases: read them all before fn writes */
    dispatch_phase_row rows[8];
    int n = 0, rc = SQLITE_DONE;
    while (n < 8 && (rc = sqlite3_step(s)) == SQLITE_ROW) read_phase(s, &rows[n++], NULL);
    if (n < 8 && rc != SQLITE_DONE) {
        sqlite3_reset(s);
        return sq_fail(store_sqlite_db(w), "dispatch", "running phases");
    }
    sqlite3_reset(s);
    for (int i = 0; i < n; i++)
        if (fn(&rows[i], arg)) break;
    return JC_OK;
}

static jc_err sq_phase_next(jc_conn *w, int64_t id, int64_t next_at) {
    static const char sql[] = "UPDATE case_phase SET next_at=? WHERE id=?";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_i64_opt(s, 1, next_at);
    sqlite3_bind_int64(s, 2, id);
    return sq_step_done(store_sqlite_db(w), s, "dispatch", "phase next_at");
}

static jc_err sq_list_csv(jc_conn *c, int v, int *got, char **csv, size_t *len) {
    static const char by_version[] = "SELECT version, csv FROM duty_lists WHERE version=?1";
    static const char active[] = "SELECT version, csv FROM duty_lists WHERE active=1";
    sqlite3_stmt *s = store_sqlite_prepare(c, v ? by_version : active);
    if (!s) return JC_ERR_DB;
    if (v) sqlite3_bind_int(s, 1, v);
    *csv = NULL;
    *len = 0;
    int rc = sqlite3_step(s);
    jc_err e = JC_OK;
    if (rc == SQLITE_ROW) {
        if (got) *got = sqlite3_column_int(s, 0);
        size_t n = (size_t)sqlite3_column_bytes(s, 1);
        *csv = malloc(n + 1);
        if (!*csv) e = JC_ERR_NOMEM;
        else {
            memcpy(*csv, sqlite3_column_text(s, 1) ? (const char *)sqlite3_column_text(s, 1) : "", n);
            (*csv)[n] = 0;
            *len = n;
        }
    }
    jc_err re = read_end(c, s, rc, "list");
    if (re) return free(*csv), *csv = NULL, re;
    return e ? e : rc == SQLITE_ROW ? JC_OK : JC_ERR_NOTFOUND;
}

static jc_err sq_list_insert(jc_conn *w, const char *by, const char *note, const char *csv, size_t len,
                             int64_t entries, int *version) {
    static const char off[] = "UPDATE duty_lists SET active=0 WHERE active=1";
    static const char ins[] =
        "INSERT INTO duty_lists(created_at, created_by, note, csv, entries, active) VALUES(?,?,?,?,?,1)";
    sqlite3_stmt *s = store_sqlite_prepare(w, off);
    jc_err e;
    if (!s) return JC_ERR_DB;
    if ((e = done(w, s, "list off"))) return e;
    if (!(s = store_sqlite_prepare(w, ins))) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, jc_now_ms());
    sq_bind_text(s, 2, by);
    sq_bind_text(s, 3, note);
    sqlite3_bind_text(s, 4, csv, (int)len, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 5, entries);
    if ((e = done(w, s, "list insert"))) return e;
    *version = (int)sqlite3_last_insert_rowid(store_sqlite_db(w));
    return JC_OK;
}

static jc_err sq_list_versions(jc_conn *c, int (*cb)(const dispatch_list_version *v, void *arg), void *arg) {
    static const char sql[] =
        "SELECT version, created_at, created_by, note, entries, active FROM duty_lists ORDER BY version DESC";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        dispatch_list_version v = {sqlite3_column_int(s, 0), sqlite3_column_int(s, 4), sqlite3_column_int(s, 5),
                                   sqlite3_column_int64(s, 1), sq_col_str(s, 2),
                                   (const char *)sqlite3_column_text(s, 3)};
        if (cb(&v, arg)) break;
    }
    return read_end(c, s, rc, "list versions");
}

static jc_err sq_calendar_days(jc_conn *c, int (*cb)(int ymd, const char *kind, const char *name, void *arg),
                               void *arg) {
    sqlite3_stmt *s = store_sqlite_prepare(c, "SELECT ymd, kind, name FROM calendar_days");
    if (!s) return JC_ERR_DB;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (cb(sqlite3_column_int(s, 0), sq_col_str(s, 1), sq_col_str(s, 2), arg)) break;
    return read_end(c, s, rc, "calendar days");
}

static jc_err sq_calendar_day_put(jc_conn *w, int ymd, const char *kind, const char *name, const char *by,
                                  int64_t at) {
    static const char put[] =
        "INSERT INTO calendar_days(ymd, kind, name, updated_by, updated_at) VALUES(?,?,?,?,?)"
        " ON CONFLICT(ymd) DO UPDATE SET kind=excluded.kind, name=excluded.name,"
        " updated_by=excluded.updated_by, updated_at=excluded.updated_at";
    sqlite3_stmt *s = store_sqlite_prepare(w, put);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int(s, 1, ymd);
    sq_bind_text(s, 2, kind);
    sq_bind_text(s, 3, name);
    sq_bind_text(s, 4, by);
    sqlite3_bind_int64(s, 5, at);
    return done(w, s, "calendar day");
}

static jc_err sq_calendar_day_delete(jc_conn *w, int ymd) {
    sqlite3_stmt *s = store_sqlite_prepare(w, "DELETE FROM calendar_days WHERE ymd=?");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int(s, 1, ymd);
    return done(w, s, "calendar day");
}

static jc_err sq_recent_located(jc_conn *c, int64_t since, int (*cb)(const dispatch_located *r, void *arg),
                                void *arg) {
    /* The window's cases by the index on created_at (open311_cases_created),
     * sorted after: ordered by id (not +id) the plan was a scan of every
     * case in id order, reading each one's text (0.7-0.9 s of CPU at 3 M
     * cases on a server's start-up, growing with the store). */
    static const char sql[] = "SELECT id, title || ' ' || body, lon, lat, created_at, category FROM cases"
                              " WHERE lon IS NOT NULL AND created_at > ? AND state NOT IN"
                              " ('closed','rated','voided','merged') ORDER BY +id";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, since);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        dispatch_located r = {sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 4), sq_col_str(s, 1),
                              sq_col_str(s, 5), sqlite3_column_double(s, 2), sqlite3_column_double(s, 3)};
        if (cb(&r, arg)) break;
    }
    return read_end(c, s, rc, "recent located");
}

static jc_err sq_open_cases(jc_conn *c, int limit,
                            int (*cb)(int64_t id, const char *category, const char *area, int64_t created, void *arg),
                            void *arg) {
    static const char sql[] =
        "SELECT id, category, area, created_at FROM cases WHERE state IN"
        " ('reported','registered','dispatched','accepted','handling','returned','suspended','deferred')"
        " ORDER BY id DESC LIMIT ?";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int(s, 1, limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (cb(sqlite3_column_int64(s, 0), sq_col_str(s, 1), sq_col_str(s, 2), sqlite3_column_int64(s, 3), arg))
            break;
    return read_end(c, s, rc, "open cases");
}

static jc_err sq_category_ownerless(jc_conn *c, int (*cb)(const char *code, const char *name, int64_t n, void *arg),
                                    void *arg) {
    static const char sql[] =
        "SELECT c.code, c.name, (SELECT count(*) FROM cases k WHERE k.category=c.code"
        " AND (k.flags & 1) != 0 AND k.state NOT IN ('closed','rated','voided','merged'))"
        " FROM categories c ORDER BY c.code";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (cb(sq_col_str(s, 0), sq_col_str(s, 1), sqlite3_column_int64(s, 2), arg)) break;
    return read_end(c, s, rc, "ownerless");
}

/* ---- phases ----------------------------------------------------------------------- */

static jc_err sq_armed_phases(jc_conn *w, int (*cb)(int64_t next_at, int64_t id, void *arg), void *arg) {
    sqlite3_stmt *s =
        store_sqlite_prepare(w, "SELECT next_at, id FROM case_phase WHERE next_at IS NOT NULL AND end_at IS NULL");
    if (!s) return JC_ERR_DB;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (cb(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), arg)) break;
    return read_end(w, s, rc, "armed phases");
}

static jc_err sq_phase_insert(jc_conn *w, const dispatch_phase_new *p, int64_t *id) {
    static const char sql[] =
        "INSERT INTO case_phase(case_id, phase, dept_id, user_id, start_at, deadline_at, provisional,"
        " next_at, natural_time) VALUES(?,?,?,?,?,?,?,?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, p->case_id);
    sqlite3_bind_text(s, 2, p->phase, -1, SQLITE_STATIC);
    sq_bind_i64_opt(s, 3, p->dept_id);
    sq_bind_i64_opt(s, 4, p->user_id);
    sqlite3_bind_int64(s, 5, p->start);
    sqlite3_bind_int64(s, 6, p->deadline);
    sqlite3_bind_int(s, 7, p->provisional);
    sqlite3_bind_int64(s, 8, p->next_at);
    sqlite3_bind_int(s, 9, p->natural);
    jc_err e = done(w, s, "phase insert");
    if (!e) *id = sqlite3_last_insert_rowid(store_sqlite_db(w));
    return e;
}

static jc_err sq_phases_close(jc_conn *w, int64_t case_id, const char *phase, int64_t now, const char *reason) {
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
    return done(w, s, "phases close");
}

static jc_err sq_phases_pause(jc_conn *w, int64_t case_id, int64_t now, int pause) {
    static const char sql_pause[] =
        "UPDATE case_phase SET paused_at=?, next_at=NULL WHERE case_id=? AND end_at IS NULL AND paused_at IS NULL";
    static const char sql_resume[] =
        "UPDATE case_phase SET paused_ms = paused_ms + (?1 - paused_at),"
        " deadline_at = deadline_at + (?1 - paused_at),"
        " paused_at = NULL WHERE case_id=?2 AND end_at IS NULL AND paused_at IS NOT NULL";
    sqlite3_stmt *s = store_sqlite_prepare(w, pause ? sql_pause : sql_resume);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, case_id);
    return done(w, s, "phases pause");
}

static jc_err sq_open_deadline(jc_conn *w, int64_t case_id, int64_t *deadline) {
    static const char sql[] =
        "SELECT deadline_at FROM case_phase WHERE case_id=? AND end_at IS NULL ORDER BY id DESC LIMIT 1";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    return one_int(w, s, deadline, "open deadline");
}

static jc_err sq_phases_extend(jc_conn *w, int64_t case_id, int64_t deadline) {
    static const char sql[] =
        "UPDATE case_phase SET deadline_at=?1, provisional=0, reminded_at=NULL, overdue_at=NULL, level=0"
        " WHERE case_id=?2 AND end_at IS NULL";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, deadline);
    sqlite3_bind_int64(s, 2, case_id);
    return done(w, s, "phases extend");
}

static jc_err sq_phase_deadline(jc_conn *w, int64_t id, int64_t deadline, int provisional) {
    static const char sql[] = "UPDATE case_phase SET deadline_at=?1, provisional=?2 WHERE id=?3 AND end_at IS NULL";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, deadline);
    sqlite3_bind_int(s, 2, provisional);
    sqlite3_bind_int64(s, 3, id);
    return done(w, s, "phase deadline");
}

static jc_err sq_phase_step(jc_conn *w, int64_t id, int64_t reminded, int64_t overdue_at, int level, int64_t next_at) {
    static const char sql[] =
        "UPDATE case_phase SET reminded_at=COALESCE(reminded_at, ?2), overdue_at=COALESCE(?3, overdue_at),"
        " level=?4, next_at=?5 WHERE id=?1";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    sq_bind_i64_opt(s, 2, reminded);
    sq_bind_i64_opt(s, 3, overdue_at);
    sqlite3_bind_int(s, 4, level);
    sq_bind_i64_opt(s, 5, next_at);
    return done(w, s, "phase step");
}

static jc_err sq_provisional_phases(jc_conn *w, int limit,
                                    int (*cb)(int64_t id, int64_t case_id, const char *phase, int64_t start, void *arg),
                                    void *arg) {
    static const char sql[] = "SELECT p.id, p.case_id, p.phase, p.start_at FROM case_phase p"
                              " WHERE p.end_at IS NULL AND p.provisional=1 LIMIT ?";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int(s, 1, limit);
    /* rows read before cb writes */
    struct {
        int64_t id, case_id, start;
        char phase[8];
    } rows[256];
    int n = 0, rc = SQLITE_DONE;
    while (n < 256 && n < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        rows[n].id = sqlite3_column_int64(s, 0);
        rows[n].case_id = sqlite3_column_int64(s, 1);
        sq_col_copy(s, 2, rows[n].phase, sizeof rows[n].phase);
        rows[n].start = sqlite3_column_int64(s, 3);
        n++;
    }
    jc_err e = read_end(w, s, rc, "provisional phases");
    for (int i = 0; !e && i < n; i++)
        if (cb(rows[i].id, rows[i].case_id, rows[i].phase, rows[i].start, arg)) break;
    return e;
}

/* ---- owners, routes, returns ----------------------------------------------------- */

static jc_err sq_owners_close(jc_conn *w, int64_t case_id, int64_t now, const char *reason) {
    static const char sql[] = "UPDATE case_owner SET end_at=?, end_reason=? WHERE case_id=? AND end_at IS NULL";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_text(s, 2, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, case_id);
    return done(w, s, "owners close");
}

static jc_err sq_owner_open(jc_conn *w, int64_t case_id, int64_t dept_id, const char *role, int64_t now) {
    static const char sql[] = "INSERT INTO case_owner(case_id, dept_id, role, start_at) VALUES(?,?,?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_int64(s, 2, dept_id);
    sqlite3_bind_text(s, 3, role, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, now);
    return done(w, s, "owner open");
}

static jc_err sq_route_save(jc_conn *w, const dispatch_route_row *r) {
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
    sqlite3_bind_int64(s, 1, r->case_id);
    sqlite3_bind_int(s, 2, r->list_version);
    if (r->entry_id) {
        sqlite3_bind_text(s, 3, r->entry_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, r->scope, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 6, r->lead_dept, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 7, r->co_depts ? r->co_depts : "", -1, SQLITE_STATIC);
        /* the legal basis, as the explanation, is written out on reading */
        sqlite3_bind_text(s, 8, "", 0, SQLITE_STATIC);
    }
    sqlite3_bind_text(s, 4, r->category, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, r->grid, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 10, r->located, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 11, r->manual);
    sqlite3_bind_text(s, 12, r->explanation ? r->explanation : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 13, r->routed_at);
    return done(w, s, "route");
}

static jc_err sq_pick_worker(jc_conn *w, const char *area, int64_t *user_id) {
    static const char sql[] =
        "SELECT u.id FROM users u LEFT JOIN user_duty d ON d.user_id = u.id"
        " WHERE u.role='grid_worker' AND u.disabled=0 AND COALESCE(d.on_duty,1)=1"
        " AND ? LIKE u.area || '%'"
        " ORDER BY length(u.area) DESC,"
        " (SELECT count(*) FROM cases c WHERE c.assignee_id = u.id AND c.state='feedback'), u.id LIMIT 1";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, area, -1, SQLITE_TRANSIENT);
    return one_int(w, s, user_id, "pick worker");
}

static jc_err sq_return_insert(jc_conn *w, int64_t case_id, int64_t dept_id, const char *code, const char *reason,
                               int64_t at) {
    static const char sql[] = "INSERT INTO returns(case_id, dept_id, reason_code, reason, at) VALUES(?,?,?,?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_int64(s, 2, dept_id);
    sq_bind_text(s, 3, code);
    sq_bind_text(s, 4, reason);
    sqlite3_bind_int64(s, 5, at);
    return done(w, s, "return");
}

static jc_err sq_return_decide(jc_conn *w, int64_t case_id, const char *decision, const char *by, const char *note,
                               int64_t at) {
    static const char sql[] =
        "UPDATE returns SET decision=?, decided_at=?, decided_by=?, note=? WHERE case_id=? AND decision IS NULL";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, decision, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, at);
    sq_bind_text(s, 3, by);
    sq_bind_text(s, 4, note);
    sqlite3_bind_int64(s, 5, case_id);
    return done(w, s, "return decision");
}

static jc_err sq_return_last_dept(jc_conn *w, int64_t case_id, int64_t *dept_id) {
    sqlite3_stmt *s = store_sqlite_prepare(w, "SELECT dept_id FROM returns WHERE case_id=? ORDER BY id DESC LIMIT 1");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    return one_int(w, s, dept_id, "last return");
}

static jc_err sq_duplicate_insert(jc_conn *w, int64_t case_id, int64_t original_id, double score, double distance_m,
                                  int automatic, int64_t at) {
    static const char sql[] =
        "INSERT INTO duplicates(case_id, original_id, score, distance_m, auto, at) VALUES(?,?,?,?,?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_int64(s, 2, original_id);
    sqlite3_bind_double(s, 3, score);
    sqlite3_bind_double(s, 4, distance_m);
    sqlite3_bind_int(s, 5, automatic);
    sqlite3_bind_int64(s, 6, at);
    return done(w, s, "duplicate");
}

static jc_err sq_follower_add(jc_conn *w, int64_t case_id, int64_t user_id) {
    sqlite3_stmt *s = store_sqlite_prepare(w, "INSERT OR IGNORE INTO case_followers(case_id, user_id) VALUES(?,?)");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_int64(s, 2, user_id);
    return done(w, s, "follower");
}

static jc_err sq_dept_involved(jc_conn *c, int64_t case_id, int64_t dept_id, int *yes) {
    static const char sql[] =
        "SELECT 1 FROM case_owner WHERE case_id=?1 AND dept_id=?2 AND end_at IS NULL"
        " UNION ALL SELECT 1 FROM whistles wh JOIN whistle_members m ON m.whistle_id=wh.id"
        " WHERE wh.case_id=?1 AND m.dept_id=?2 LIMIT 1";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_int64(s, 2, dept_id);
    int64_t v;
    jc_err e = one_int(c, s, &v, "dept involved");
    *yes = v != 0;
    return e;
}

static jc_err sq_follows(jc_conn *c, int64_t case_id, int64_t user_id, int *yes) {
    sqlite3_stmt *s = store_sqlite_prepare(c, "SELECT 1 FROM case_followers WHERE case_id=? AND user_id=?");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_int64(s, 2, user_id);
    int64_t v;
    jc_err e = one_int(c, s, &v, "follows");
    *yes = v != 0;
    return e;
}

static jc_err sq_user_duty_put(jc_conn *w, int64_t user_id, int on_duty) {
    static const char sql[] = "INSERT INTO user_duty(user_id, on_duty) VALUES(?,?)"
                              " ON CONFLICT(user_id) DO UPDATE SET on_duty=excluded.on_duty";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int(s, 2, on_duty);
    return done(w, s, "duty");
}

/* ---- whistles -------------------------------------------------------------------- */

static jc_err sq_whistle_insert(jc_conn *w, int64_t case_id, int64_t by, int64_t at, int minutes, const char *note,
                                int64_t *id) {
    static const char sql[] =
        "INSERT INTO whistles(case_id, raised_by, raised_at, checkin_minutes, note) VALUES(?,?,?,?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_int64(s, 2, by);
    sqlite3_bind_int64(s, 3, at);
    sqlite3_bind_int(s, 4, minutes);
    sq_bind_text(s, 5, note);
    jc_err e = done(w, s, "whistle");
    if (!e) *id = sqlite3_last_insert_rowid(store_sqlite_db(w));
    return e;
}

static jc_err sq_whistle_member_insert(jc_conn *w, int64_t whistle_id, int64_t dept_id, int64_t checkin_deadline) {
    static const char sql[] = "INSERT INTO whistle_members(whistle_id, dept_id, checkin_deadline) VALUES(?,?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, whistle_id);
    sqlite3_bind_int64(s, 2, dept_id);
    sqlite3_bind_int64(s, 3, checkin_deadline);
    return done(w, s, "whistle member");
}

static jc_err sq_whistle_get(jc_conn *c, int64_t id, int64_t *case_id, int *open) {
    sqlite3_stmt *s = store_sqlite_prepare(c, "SELECT case_id, state FROM whistles WHERE id=?");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *case_id = sqlite3_column_int64(s, 0);
        *open = !strcmp(sq_col_str(s, 1), "open");
    }
    jc_err e = read_end(c, s, rc, "whistle");
    return e ? e : rc == SQLITE_ROW ? JC_OK : JC_ERR_NOTFOUND;
}

static jc_err sq_whistle_checkin(jc_conn *w, int64_t whistle_id, int64_t dept_id, int64_t now, int finish,
                                 const char *note, int *changed, int *late) {
    static const char chk[] =
        "UPDATE whistle_members SET checked_in_at=?1, late = (?1 > checkin_deadline)"
        " WHERE whistle_id=?2 AND dept_id=?3 AND checked_in_at IS NULL";
    static const char fin[] =
        "UPDATE whistle_members SET done_at=?1, done_note=?4, checked_in_at=COALESCE(checked_in_at, ?1),"
        " late = CASE WHEN checked_in_at IS NULL THEN (?1 > checkin_deadline) ELSE late END"
        " WHERE whistle_id=?2 AND dept_id=?3 AND done_at IS NULL";
    static const char late_q[] = "SELECT late FROM whistle_members WHERE whistle_id=? AND dept_id=?";
    sqlite3_stmt *s = store_sqlite_prepare(w, finish ? fin : chk);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, whistle_id);
    sqlite3_bind_int64(s, 3, dept_id);
    if (finish) sq_bind_text(s, 4, note);
    jc_err e = done(w, s, "checkin");
    if (e) return e;
    *changed = sqlite3_changes(store_sqlite_db(w)) != 0;
    if (!(s = store_sqlite_prepare(w, late_q))) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, whistle_id);
    sqlite3_bind_int64(s, 2, dept_id);
    int64_t v;
    e = one_int(w, s, &v, "late");
    *late = (int)v;
    return e;
}

static jc_err sq_whistle_left(jc_conn *w, int64_t whistle_id, int *left) {
    sqlite3_stmt *s =
        store_sqlite_prepare(w, "SELECT count(*) FROM whistle_members WHERE whistle_id=? AND done_at IS NULL");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, whistle_id);
    int64_t v;
    jc_err e = one_int(w, s, &v, "whistle left");
    *left = (int)v;
    return e;
}

static jc_err sq_whistle_done(jc_conn *w, int64_t whistle_id, int64_t at) {
    sqlite3_stmt *s = store_sqlite_prepare(w, "UPDATE whistles SET state='done', done_at=? WHERE id=?");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, at);
    sqlite3_bind_int64(s, 2, whistle_id);
    return done(w, s, "whistle done");
}

static jc_err sq_whistles_open(jc_conn *c, int64_t case_id, int *n) {
    sqlite3_stmt *s = store_sqlite_prepare(c, "SELECT count(*) FROM whistles WHERE case_id=? AND state='open'");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    int64_t v;
    jc_err e = one_int(c, s, &v, "open whistles");
    *n = (int)v;
    return e;
}

static jc_err sq_whistle_members_open(jc_conn *c, int64_t case_id, int *n) {
    static const char sql[] =
        "SELECT count(*) FROM whistles wh JOIN whistle_members m ON m.whistle_id = wh.id"
        " WHERE wh.case_id=? AND wh.state='open' AND m.done_at IS NULL";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    int64_t v;
    jc_err e = one_int(c, s, &v, "open members");
    *n = (int)v;
    return e;
}

static jc_err sq_whistle_rate(jc_conn *w, int64_t whistle_id, int64_t dept_id, int rating, int64_t at, int *changed) {
    static const char sql[] =
        "UPDATE whistle_members SET rating=?, rated_at=? WHERE whistle_id=? AND dept_id=? AND done_at IS NOT NULL";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int(s, 1, rating);
    sqlite3_bind_int64(s, 2, at);
    sqlite3_bind_int64(s, 3, whistle_id);
    sqlite3_bind_int64(s, 4, dept_id);
    jc_err e = done(w, s, "whistle rate");
    if (!e) *changed = sqlite3_changes(store_sqlite_db(w)) != 0;
    return e;
}

static jc_err sq_late_checkins(jc_conn *w, int64_t now, int limit,
                               int (*cb)(int64_t whistle_id, int64_t dept_id, int64_t case_id, void *arg), void *arg) {
    static const char sql[] =
        "SELECT m.whistle_id, m.dept_id, wh.case_id FROM whistle_members m JOIN whistles wh ON wh.id=m.whistle_id"
        " WHERE wh.state='open' AND m.checked_in_at IS NULL AND m.late=0 AND m.checkin_deadline <= ? LIMIT ?";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int(s, 2, limit < 200 ? limit : 200);
    /* rows read before cb writes */
    struct {
        int64_t wid, dept, case_id;
    } rows[200];
    int n = 0, rc = SQLITE_DONE;
    while (n < 200 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        rows[n].wid = sqlite3_column_int64(s, 0);
        rows[n].dept = sqlite3_column_int64(s, 1);
        rows[n].case_id = sqlite3_column_int64(s, 2);
        n++;
    }
    jc_err e = read_end(w, s, rc, "late check-ins");
    for (int i = 0; !e && i < n; i++)
        if (cb(rows[i].wid, rows[i].dept, rows[i].case_id, arg)) break;
    return e;
}

static jc_err sq_checkin_mark_late(jc_conn *w, int64_t whistle_id, int64_t dept_id) {
    sqlite3_stmt *s = store_sqlite_prepare(w, "UPDATE whistle_members SET late=1 WHERE whistle_id=? AND dept_id=?");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, whistle_id);
    sqlite3_bind_int64(s, 2, dept_id);
    return done(w, s, "late");
}

static jc_err sq_whistles_list(jc_conn *c, const char *state, int64_t now,
                               int (*cb)(const dispatch_whistle_row *r, void *arg), void *arg) {
    static const char sql[] =
        "SELECT wh.id, wh.case_id, wh.raised_at, wh.checkin_minutes, wh.note, wh.state,"
        " c.title, c.area,"
        " (SELECT json_group_array(json_object('dept_id', m.dept_id, 'dept', d.name,"
        "  'checkin_deadline', m.checkin_deadline, 'checked_in_at', m.checked_in_at,"
        "  'late', m.late OR (m.checked_in_at IS NULL AND m.checkin_deadline < ?2),"
        "  'done_at', m.done_at, 'rating', m.rating))"
        "  FROM whistle_members m JOIN depts d ON d.id=m.dept_id WHERE m.whistle_id=wh.id)"
        " , c.created_at FROM whistles wh JOIN cases c ON c.id=wh.case_id"
        " WHERE (?1 = '' OR wh.state = ?1) ORDER BY wh.id DESC LIMIT 200";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, state, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, now);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        dispatch_whistle_row r = {sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
                                  sqlite3_column_int64(s, 9), sqlite3_column_int(s, 3), sq_col_str(s, 4),
                                  sq_col_str(s, 5), sq_col_str(s, 6), sq_col_str(s, 7), sq_col_str(s, 8)};
        if (cb(&r, arg)) break;
    }
    return read_end(c, s, rc, "whistles");
}

/* ---- a case's view ----------------------------------------------------------------- */

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

static jc_err sq_case_view(jc_conn *c, int64_t id, dispatch_view *out) {
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
    out->route = rows_json(c, route_sql, id);
    out->phases = rows_json(c, phase_sql, id);
    out->owners = rows_json(c, owner_sql, id);
    out->returns = rows_json(c, ret_sql, id);
    out->whistles = rows_json(c, wh_sql, id);
    /* members come as JSON text: objects */
    size_t i;
    json_t *v;
    json_array_foreach(out->whistles, i, v) {
        json_t *m = json_object_get(v, "members");
        if (json_is_string(m)) json_object_set_new(v, "members", json_loads(json_string_value(m), 0, NULL));
    }
    out->duplicates = rows_json(c, dup_sql, id);
    return JC_OK;
}

/* ---- the backend's table --------------------------------------------------------------- */

const dispatch_store_ops dispatch_store_sqlite = {
    .esc_get = sq_esc_get,
    .esc_put = sq_esc_put,
    .generation_bump = sq_generation_bump,
    .list_csv = sq_list_csv,
    .list_insert = sq_list_insert,
    .list_versions = sq_list_versions,
    .calendar_days = sq_calendar_days,
    .calendar_day_put = sq_calendar_day_put,
    .calendar_day_delete = sq_calendar_day_delete,
    .recent_located = sq_recent_located,
    .open_cases = sq_open_cases,
    .category_ownerless = sq_category_ownerless,
    .armed_phases = sq_armed_phases,
    .due_phase = sq_due_phase,
    .running_phases = sq_running_phases,
    .phase_next = sq_phase_next,
    .phase_insert = sq_phase_insert,
    .phases_close = sq_phases_close,
    .phases_pause = sq_phases_pause,
    .open_deadline = sq_open_deadline,
    .phases_extend = sq_phases_extend,
    .phase_deadline = sq_phase_deadline,
    .phase_step = sq_phase_step,
    .provisional_phases = sq_provisional_phases,
    .owners_close = sq_owners_close,
    .owner_open = sq_owner_open,
    .route_save = sq_route_save,
    .pick_worker = sq_pick_worker,
    .return_insert = sq_return_insert,
    .return_decide = sq_return_decide,
    .return_last_dept = sq_return_last_dept,
    .duplicate_insert = sq_duplicate_insert,
    .follower_add = sq_follower_add,
    .dept_involved = sq_dept_involved,
    .follows = sq_follows,
    .user_duty_put = sq_user_duty_put,
    .whistle_insert = sq_whistle_insert,
    .whistle_member_insert = sq_whistle_member_insert,
    .whistle_get = sq_whistle_get,
    .whistle_checkin = sq_whistle_checkin,
    .whistle_left = sq_whistle_left,
    .whistle_done = sq_whistle_done,
    .whistles_open = sq_whistles_open,
    .whistle_members_open = sq_whistle_members_open,
    .whistle_rate = sq_whistle_rate,
    .late_checkins = sq_late_checkins,
    .checkin_mark_late = sq_checkin_mark_late,
    .whistles_list = sq_whistles_list,
    .case_view = sq_case_view,
};
