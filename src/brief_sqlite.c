/*
 * brief_sqlite.c -- the SQLite half of the brief module (see brief_store.h).
 * No tables of its own: it reads daily_counts and warnings (warning module),
 * cases, audit and their indexes (cases(created_at) and audit(at) from the
 * open311 module's migration, the partial index cases_flags).
 */
#include "brief_store.h"
#include "store_sqlite.h"

#include <string.h>

#define TAG "brief"
/* ?1: an area prefix ('' for all) matched against column X */
#define IN_AREA(x) "(?1 = '' OR (" x " >= ?1 AND " x " < ?1 || 'z'))"
#define OPEN_SQL "state NOT IN('closed','rated','voided','merged')"

static jc_err finish(jc_conn *c, sqlite3_stmt *s, int rc, const char *what) {
    jc_err e = rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), TAG, what);
    sqlite3_reset(s);
    return e;
}

static const char sql_counts[] =
    "SELECT day, area, category, n FROM daily_counts WHERE day >= ?2 AND day <= ?3 AND " IN_AREA("area");

static jc_err bs_counts(jc_conn *c, const char *area, const char *d0, const char *d1,
                       int (*cb)(const char *day, const char *community, const char *category, int64_t n, void *arg),
                       void *arg) {
    sqlite3_stmt *s = store_sqlite_prepare(c, sql_counts);
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, area);
    sq_bind_text(s, 2, d0);
    sq_bind_text(s, 3, d1);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (cb(sq_col_str(s, 0), sq_col_str(s, 1), sq_col_str(s, 2), sqlite3_column_int64(s, 3), arg)) break;
    return finish(c, s, rc, "counts");
}

static const char sql_states[] =
    "SELECT state, count(*) FROM cases WHERE created_at >= ?2 AND created_at < ?3 AND " IN_AREA("area")
    " GROUP BY state";

static jc_err bs_states(jc_conn *c, const char *area, int64_t t0, int64_t t1,
                       int (*cb)(const char *state, int64_t n, void *arg), void *arg) {
    sqlite3_stmt *s = store_sqlite_prepare(c, sql_states);
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, area);
    sqlite3_bind_int64(s, 2, t0);
    sqlite3_bind_int64(s, 3, t1);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (cb(sq_col_str(s, 0), sqlite3_column_int64(s, 1), arg)) break;
    return finish(c, s, rc, "states");
}

static const char sql_closed[] =
    "SELECT count(*) FROM audit a JOIN cases c ON c.id = a.case_id WHERE a.at >= ?2 AND a.at < ?3"
    " AND a.to_state = 'closed' AND a.from_state <> 'closed' AND " IN_AREA("c.area");

static jc_err bs_closed(jc_conn *c, const char *area, int64_t t0, int64_t t1, int64_t *n) {
    sqlite3_stmt *s = store_sqlite_prepare(c, sql_closed);
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, area);
    sqlite3_bind_int64(s, 2, t0);
    sqlite3_bind_int64(s, 3, t1);
    int rc = sqlite3_step(s);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    return finish(c, s, rc, "closed");
}

/* flags != 0 lets SQLite read the partial index cases_flags: only flagged cases */
#define OVERDUE_WHERE "flags != 0 AND (flags & 4) != 0 AND " OPEN_SQL " AND " IN_AREA("area")
static const char sql_overdue[] =
    "SELECT id, created_at, COALESCE(dept_id, 0), COALESCE(deadline_at, 0), title, area, category, escalation"
    " FROM cases WHERE " OVERDUE_WHERE " ORDER BY deadline_at IS NULL, deadline_at, id LIMIT ?2";
static const char sql_overdue_n[] = "SELECT count(*) FROM cases WHERE " OVERDUE_WHERE;
static const char sql_overdue_dept[] =
    "SELECT COALESCE(dept_id, 0), count(*) FROM cases WHERE " OVERDUE_WHERE " GROUP BY 1 ORDER BY 2 DESC, 1";

static jc_err bs_overdue(jc_conn *c, const char *area, int limit, int64_t *total,
                        int (*cb)(const brief_overdue *o, void *arg), void *arg) {
    sqlite3_stmt *s = store_sqlite_prepare(c, sql_overdue_n);
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, area);
    int rc = sqlite3_step(s);
    *total = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    jc_err e = finish(c, s, rc, "overdue count");
    if (e) return e;
    if (!(s = store_sqlite_prepare(c, sql_overdue))) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, area);
    sqlite3_bind_int(s, 2, limit);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        brief_overdue o;
        memset(&o, 0, sizeof o);
        o.id = sqlite3_column_int64(s, 0);
        o.created_ms = sqlite3_column_int64(s, 1);
        o.dept_id = sqlite3_column_int64(s, 2);
        o.deadline_ms = sqlite3_column_int64(s, 3);
        sq_col_copy(s, 4, o.title, sizeof o.title);
        sq_col_copy(s, 5, o.area, sizeof o.area);
        sq_col_copy(s, 6, o.category, sizeof o.category);
        o.escalation = sqlite3_column_int(s, 7);
        if (cb(&o, arg)) break;
    }
    return finish(c, s, rc, "overdue");
}

static jc_err bs_overdue_by_dept(jc_conn *c, const char *area, int (*cb)(int64_t dept_id, int64_t n, void *arg),
                                void *arg) {
    sqlite3_stmt *s = store_sqlite_prepare(c, sql_overdue_dept);
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, area);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (cb(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), arg)) break;
    return finish(c, s, rc, "overdue by dept");
}

static const char sql_warnings[] =
    "SELECT id, category, area, day, state, observed, COALESCE(threshold, 0) FROM warnings"
    " WHERE day >= ?2 AND day <= ?3 AND " IN_AREA("area") " ORDER BY day DESC, id DESC LIMIT ?4";

static jc_err bs_warnings(jc_conn *c, const char *area, const char *d0, const char *d1, int limit,
                         int (*cb)(const brief_warning *w, void *arg), void *arg) {
    sqlite3_stmt *s = store_sqlite_prepare(c, sql_warnings);
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, area);
    sq_bind_text(s, 2, d0);
    sq_bind_text(s, 3, d1);
    sqlite3_bind_int(s, 4, limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        brief_warning w;
        memset(&w, 0, sizeof w);
        w.id = sqlite3_column_int64(s, 0);
        sq_col_copy(s, 1, w.category, sizeof w.category);
        sq_col_copy(s, 2, w.area, sizeof w.area);
        sq_col_copy(s, 3, w.day, sizeof w.day);
        sq_col_copy(s, 4, w.state, sizeof w.state);
        w.observed = sqlite3_column_double(s, 5);
        w.threshold = sqlite3_column_double(s, 6);
        if (cb(&w, arg)) break;
    }
    return finish(c, s, rc, "warnings");
}

/* The SQLite table of brief_store.h's row operations (module_brief's .store). */
const brief_store_ops brief_store_sqlite = {
    .counts = bs_counts,
    .states = bs_states,
    .closed = bs_closed,
    .overdue = bs_overdue,
    .overdue_by_dept = bs_overdue_by_dept,
    .warnings = bs_warnings,
};
