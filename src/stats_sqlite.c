/*
 * stats_sqlite.c -- the dashboard's counts in SQL (stats_store.h).
 */
#include "stats_store.h"
#include "store_sqlite.h"

#include <stdio.h>

#define OPEN_SQL "state NOT IN('closed','rated','voided','merged')"
/* The scope of the caller, as bound parameters: ?1 area prefix ('' any),
 * ?2 department (0 any), ?3 reporter (0 any). */
#define SCOPE_SQL                                                                       \
    "(?1 = '' OR (area >= ?1 AND area < ?1 || 'z')) AND (?2 = 0 OR dept_id = ?2) AND " \
    "(?3 = 0 OR reporter_id = ?3)"

static sqlite3_stmt *scoped(jc_conn *c, const char *sql, const stats_scope *sc) {
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return NULL;
    sqlite3_bind_text(s, 1, sc->area, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, sc->dept);
    sqlite3_bind_int64(s, 3, sc->reporter);
    return s;
}

/* Ends a read loop: JC_OK when it ran out of rows or cb stopped it. */
static jc_err done(jc_conn *c, sqlite3_stmt *s, int rc) {
    sqlite3_reset(s);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? JC_OK : sq_fail(store_sqlite_db(c), "stats", "read");
}

static jc_err sq_stats_by_state(jc_conn *c, const stats_scope *sc, int (*cb)(const char *state, int64_t n, void *arg),
                            void *arg) {
    static const char sql[] = "SELECT state, count(*) FROM cases WHERE " SCOPE_SQL " GROUP BY state";
    sqlite3_stmt *s = scoped(c, sql, sc);
    if (!s) return JC_ERR_DB;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (sqlite3_column_text(s, 0) && cb((const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1), arg))
            break;
    return done(c, s, rc);
}

static jc_err sq_stats_totals(jc_conn *c, const stats_scope *sc, stats_totals *out) {
    static const char sql[] =
        "SELECT count(*), coalesce(sum(" OPEN_SQL "),0),"
        " coalesce(sum(" OPEN_SQL " AND (flags & 4) != 0),0),"
        " coalesce(sum(" OPEN_SQL " AND escalation > 0),0),"
        " coalesce(sum(" OPEN_SQL " AND (flags & 1) != 0),0)"
        " FROM cases WHERE " SCOPE_SQL;
    *out = (stats_totals){0};
    sqlite3_stmt *s = scoped(c, sql, sc);
    if (!s) return JC_ERR_DB;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        out->total = sqlite3_column_int64(s, 0);
        out->open = sqlite3_column_int64(s, 1);
        out->overdue = sqlite3_column_int64(s, 2);
        out->escalated = sqlite3_column_int64(s, 3);
        out->ownerless = sqlite3_column_int64(s, 4);
    }
    return done(c, s, rc);
}

static jc_err groups(jc_conn *c, const char *sql, const stats_scope *sc, int with_overdue,
                     int (*cb)(const stats_group *g, void *arg), void *arg) {
    sqlite3_stmt *s = scoped(c, sql, sc);
    if (!s) return JC_ERR_DB;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        stats_group g = {(const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
                         sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3),
                         with_overdue ? sqlite3_column_int64(s, 4) : 0};
        if (!g.key) g.key = "";
        if (cb(&g, arg)) break;
    }
    return done(c, s, rc);
}

static jc_err sq_stats_by_category(jc_conn *c, const stats_scope *sc, int (*cb)(const stats_group *g, void *arg),
                               void *arg) {
    static const char sql[] =
        "SELECT c.category, k.name, count(*), coalesce(sum(" OPEN_SQL "),0)"
        " FROM cases c LEFT JOIN categories k ON k.code = c.category"
        " WHERE " SCOPE_SQL " GROUP BY c.category ORDER BY c.category";
    return groups(c, sql, sc, 0, cb, arg);
}

static jc_err sq_stats_by_community(jc_conn *c, const stats_scope *sc, int (*cb)(const stats_group *g, void *arg),
                                void *arg) {
    static const char sql[] =
        "SELECT substr(c.area,1,12) AS comm, a.name, count(*), coalesce(sum(" OPEN_SQL "),0),"
        " coalesce(sum(" OPEN_SQL " AND (flags & 4) != 0),0)"
        " FROM cases c LEFT JOIN areas a ON a.code = substr(c.area,1,12)"
        " WHERE " SCOPE_SQL " GROUP BY comm ORDER BY comm";
    return groups(c, sql, sc, 1, cb, arg);
}

static jc_err sq_stats_per_day(jc_conn *c, const stats_scope *sc, int64_t from_ms, int closed,
                           int (*cb)(const char *day, int64_t n, void *arg), void *arg) {
    static const char created[] =
        "SELECT date((created_at + 28800000) / 1000, 'unixepoch') AS d, count(*) FROM cases"
        " WHERE " SCOPE_SQL " AND created_at >= ?4 GROUP BY d";
    static const char closings[] =
        "SELECT date((a.at + 28800000) / 1000, 'unixepoch') AS d, count(*) FROM audit a"
        " JOIN cases c ON c.id = a.case_id"
        " WHERE a.to_state = 'closed' AND a.from_state <> 'closed' AND a.at >= ?4 AND " SCOPE_SQL
        " GROUP BY d";
    sqlite3_stmt *s = scoped(c, closed ? closings : created, sc);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 4, from_ms);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (sqlite3_column_text(s, 0) && cb((const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1), arg))
            break;
    return done(c, s, rc);
}

const stats_store_ops stats_store_sqlite = {
    .by_state = sq_stats_by_state,
    .totals = sq_stats_totals,
    .by_category = sq_stats_by_category,
    .by_community = sq_stats_by_community,
    .per_day = sq_stats_per_day,
};
