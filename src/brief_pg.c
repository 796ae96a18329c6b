/*
 * brief_pg.c -- the PostgreSQL half of the brief module (see brief_store.h):
 * brief_sqlite.c's reads, the same rows.  No tables of its own: it reads
 * daily_counts and warnings (warning_pg.c), cases and audit.  Prefixes of
 * area codes compare COLLATE "C" (SQLite's byte order, whatever the
 * database's locale).
 */
#include "brief_store.h"
#include "store_pg.h"

#include <string.h>

#define TAG "brief"
/* $1: an area prefix ('' for all) matched against column x */
#define IN_AREA(x) "($1 = '' OR (" x " COLLATE \"C\" >= $1 AND " x " COLLATE \"C\" < $1 || 'z'))"
#define OPEN_SQL "state NOT IN('closed','rated','voided','merged')"

static jc_err bp_counts(jc_conn *c, const char *area, const char *d0, const char *d1, brief_count_fn cb, void *arg) {
    static const char sql[] =
        "SELECT day, area, category, n FROM daily_counts WHERE day >= $2 AND day <= $3 AND " IN_AREA("area");
    pg_params p = {0};
    pgp_text_empty(&p, area);
    pgp_text(&p, d0);
    pgp_text(&p, d1);
    jc_err e;
    PGresult *r = pg_run(c, sql, &p, TAG, "counts", &e);
    if (!r) return e;
    for (int i = 0, n = PQntuples(r); i < n; i++)
        if (cb(pg_str(r, i, 0), pg_str(r, i, 1), pg_str(r, i, 2), pg_i64(r, i, 3), arg)) break;
    PQclear(r);
    return JC_OK;
}

static jc_err bp_states(jc_conn *c, const char *area, int64_t t0, int64_t t1,
                        int (*cb)(const char *state, int64_t n, void *arg), void *arg) {
    static const char sql[] = "SELECT state, count(*) FROM cases WHERE created_at >= $2 AND created_at < $3 AND "
                              IN_AREA("area") " GROUP BY state";
    pg_params p = {0};
    pgp_text_empty(&p, area);
    pgp_i64(&p, t0);
    pgp_i64(&p, t1);
    jc_err e;
    PGresult *r = pg_run(c, sql, &p, TAG, "states", &e);
    if (!r) return e;
    for (int i = 0, n = PQntuples(r); i < n; i++)
        if (cb(pg_str(r, i, 0), pg_i64(r, i, 1), arg)) break;
    PQclear(r);
    return JC_OK;
}

/* The first column of the first row of sql over (area, t0, t1) or (area). */
static jc_err one_count(jc_conn *c, const char *sql, const pg_params *p, const char *what, int64_t *n) {
    jc_err e;
    *n = 0;
    PGresult *r = pg_run(c, sql, p, TAG, what, &e);
    if (!r) return e;
    if (PQntuples(r)) *n = pg_i64(r, 0, 0);
    PQclear(r);
    return JC_OK;
}

static jc_err bp_closed(jc_conn *c, const char *area, int64_t t0, int64_t t1, int64_t *n) {
    static const char sql[] =
        "SELECT count(*) FROM audit a JOIN cases c ON c.id = a.case_id WHERE a.at >= $2 AND a.at < $3"
        " AND a.to_state = 'closed' AND a.from_state <> 'closed' AND " IN_AREA("c.area");
    pg_params p = {0};
    pgp_text_empty(&p, area);
    pgp_i64(&p, t0);
    pgp_i64(&p, t1);
    return one_count(c, sql, &p, "closed", n);
}

#define OVERDUE_WHERE "flags <> 0 AND (flags & 4) <> 0 AND " OPEN_SQL " AND " IN_AREA("area")

static jc_err bp_overdue(jc_conn *c, const char *area, int limit, int64_t *total,
                         int (*cb)(const brief_overdue *o, void *arg), void *arg) {
    static const char sql_n[] = "SELECT count(*) FROM cases WHERE " OVERDUE_WHERE;
    static const char sql[] =
        "SELECT id, created_at, coalesce(dept_id, 0), coalesce(deadline_at, 0), title, area, category, escalation"
        " FROM cases WHERE " OVERDUE_WHERE " ORDER BY deadline_at IS NULL, deadline_at, id LIMIT $2";
    pg_params p = {0};
    pgp_text_empty(&p, area);
    jc_err e = one_count(c, sql_n, &p, "overdue count", total);
    if (e) return e;
    pgp_i64(&p, limit);
    PGresult *r = pg_run(c, sql, &p, TAG, "overdue", &e);
    if (!r) return e;
    for (int i = 0, n = PQntuples(r); i < n; i++) {
        brief_overdue o;
        memset(&o, 0, sizeof o);
        o.id = pg_i64(r, i, 0);
        o.created_ms = pg_i64(r, i, 1);
        o.dept_id = pg_i64(r, i, 2);
        o.deadline_ms = pg_i64(r, i, 3);
        pg_copy(r, i, 4, o.title, sizeof o.title);
        pg_copy(r, i, 5, o.area, sizeof o.area);
        pg_copy(r, i, 6, o.category, sizeof o.category);
        o.escalation = (int)pg_i64(r, i, 7);
        if (cb(&o, arg)) break;
    }
    PQclear(r);
    return JC_OK;
}

static jc_err bp_overdue_by_dept(jc_conn *c, const char *area, int (*cb)(int64_t dept_id, int64_t n, void *arg),
                                 void *arg) {
    static const char sql[] =
        "SELECT coalesce(dept_id, 0), count(*) FROM cases WHERE " OVERDUE_WHERE " GROUP BY 1 ORDER BY 2 DESC, 1";
    pg_params p = {0};
    pgp_text_empty(&p, area);
    jc_err e;
    PGresult *r = pg_run(c, sql, &p, TAG, "overdue by dept", &e);
    if (!r) return e;
    for (int i = 0, n = PQntuples(r); i < n; i++)
        if (cb(pg_i64(r, i, 0), pg_i64(r, i, 1), arg)) break;
    PQclear(r);
    return JC_OK;
}

static jc_err bp_warnings(jc_conn *c, const char *area, const char *d0, const char *d1, int limit,
                          int (*cb)(const brief_warning *w, void *arg), void *arg) {
    static const char sql[] =
        "SELECT id, category, area, day, state, observed, coalesce(threshold, 0) FROM warnings"
        " WHERE day >= $2 AND day <= $3 AND " IN_AREA("area") " ORDER BY day DESC, id DESC LIMIT $4";
    pg_params p = {0};
    pgp_text_empty(&p, area);
    pgp_text(&p, d0);
    pgp_text(&p, d1);
    pgp_i64(&p, limit);
    jc_err e;
    PGresult *r = pg_run(c, sql, &p, TAG, "warnings", &e);
    if (!r) return e;
    for (int i = 0, n = PQntuples(r); i < n; i++) {
        brief_warning w;
        memset(&w, 0, sizeof w);
        w.id = pg_i64(r, i, 0);
        pg_copy(r, i, 1, w.category, sizeof w.category);
        pg_copy(r, i, 2, w.area, sizeof w.area);
        pg_copy(r, i, 3, w.day, sizeof w.day);
        pg_copy(r, i, 4, w.state, sizeof w.state);
        w.observed = pg_double(r, i, 5);
        w.threshold = pg_double(r, i, 6);
        if (cb(&w, arg)) break;
    }
    PQclear(r);
    return JC_OK;
}

/* The PostgreSQL table of brief_store.h's row operations (module_brief's .store). */
const brief_store_ops brief_store_pg = {
    .counts = bp_counts,
    .states = bp_states,
    .closed = bp_closed,
    .overdue = bp_overdue,
    .overdue_by_dept = bp_overdue_by_dept,
    .warnings = bp_warnings,
};
