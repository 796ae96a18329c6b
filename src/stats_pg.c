/*
 * stats_pg.c -- the PostgreSQL half of the dashboard's figures
 * (stats_store.h): the same counters as stats_sqlite.c, kept by a trigger
 * on the cases table in the transaction that writes a case.
 *
 * Design notes
 *  - Several instances write cases at once here.  A trigger that updated
 *    the counter rows in place would take row locks in the order its
 *    batch's cases came, and two instances' batches could wait on each
 *    other (a deadlock: PostgreSQL aborts one, and with it a batch of
 *    acknowledged-to-be requests).  So the trigger only INSERTs deltas
 *    (+1/-1 rows, no conflicts, no locks between writers), and the leader's
 *    tick folds them into the counters (stats_fold: one statement per table,
 *    DELETE ... RETURNING into an upsert, so a delta is counted once,
 *    whichever instance folds).  Reads add the deltas not folded yet: a
 *    figure is exact at every commit, as on SQLite.
 */
#include "stats_store.h"
#include "store_pg.h"

/* overdue, escalated, ownerless of a row X of cases */
#define MARKS(X) "(((" X ".flags & 4) <> 0)::int | ((" X ".escalation > 0)::int << 1) | ((" X ".flags & 1) << 2))"
/* the local (UTC+8) day of a time in ms, as days since 1970-01-01 */
#define DAY(T) "((" T " + 28800000) / 86400000)"

#define FOLD                                                                                                    \
    "WITH d AS (DELETE FROM stats_count_deltas RETURNING *)"                                                    \
    " INSERT INTO stats_counts(area, dept_id, category, state, marks, n)"                                       \
    " SELECT area, dept_id, category, state, marks, sum(n) FROM d GROUP BY 1, 2, 3, 4, 5"                       \
    " ON CONFLICT(area, dept_id, category, state, marks) DO UPDATE SET n = stats_counts.n + excluded.n;"        \
    "WITH d AS (DELETE FROM stats_day_deltas RETURNING *)"                                                      \
    " INSERT INTO stats_days(day, area, dept_id, created, closed)"                                              \
    " SELECT day, area, dept_id, sum(created), sum(closed) FROM d GROUP BY 1, 2, 3"                             \
    " ON CONFLICT(day, area, dept_id) DO UPDATE SET created = stats_days.created + excluded.created,"           \
    " closed = stats_days.closed + excluded.closed;"

#define REBUILD                                                                                                 \
    "DELETE FROM stats_counts; DELETE FROM stats_days; DELETE FROM stats_count_deltas;"                        \
    "DELETE FROM stats_day_deltas;"                                                                             \
    "INSERT INTO stats_counts(area, dept_id, category, state, marks, n)"                                       \
    " SELECT area, coalesce(dept_id, 0), category, state, " MARKS("cases") ", count(*) FROM cases"             \
    " GROUP BY 1, 2, 3, 4, 5;"                                                                                  \
    "INSERT INTO stats_days(day, area, dept_id, created, closed)"                                               \
    " SELECT " DAY("created_at") ", area, coalesce(dept_id, 0), count(*), 0 FROM cases GROUP BY 1, 2, 3;"      \
    "INSERT INTO stats_days(day, area, dept_id, created, closed)"                                               \
    " SELECT " DAY("a.at") ", c.area, coalesce(c.dept_id, 0), 0, count(*) FROM audit a"                        \
    " JOIN cases c ON c.id = a.case_id WHERE a.to_state = 'closed' AND a.from_state <> 'closed'"               \
    " GROUP BY 1, 2, 3 ON CONFLICT(day, area, dept_id) DO UPDATE SET closed = stats_days.closed + excluded.closed;"

static const char *const stats_migrations[] = {
    /* 1: counters, the deltas the trigger adds, the trigger; filled from the cases and the log */
    "CREATE TABLE stats_counts(area text COLLATE \"C\" NOT NULL, dept_id bigint NOT NULL, category text NOT NULL,"
    "  state text NOT NULL, marks integer NOT NULL, n bigint NOT NULL,"
    "  PRIMARY KEY(area, dept_id, category, state, marks));"
    "CREATE TABLE stats_days(day bigint NOT NULL, area text COLLATE \"C\" NOT NULL, dept_id bigint NOT NULL,"
    "  created bigint NOT NULL, closed bigint NOT NULL, PRIMARY KEY(day, area, dept_id));"
    "CREATE TABLE stats_count_deltas(area text COLLATE \"C\" NOT NULL, dept_id bigint NOT NULL,"
    "  category text NOT NULL, state text NOT NULL, marks integer NOT NULL, n bigint NOT NULL);"
    "CREATE TABLE stats_day_deltas(day bigint NOT NULL, area text COLLATE \"C\" NOT NULL, dept_id bigint NOT NULL,"
    "  created bigint NOT NULL, closed bigint NOT NULL);"
    "CREATE FUNCTION stats_case_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    "  IF TG_OP = 'UPDATE' THEN"
    "    IF old.state IS NOT DISTINCT FROM new.state AND old.area IS NOT DISTINCT FROM new.area"
    "       AND old.dept_id IS NOT DISTINCT FROM new.dept_id AND old.category IS NOT DISTINCT FROM new.category"
    "       AND " MARKS("old") " = " MARKS("new") " THEN RETURN NULL; END IF;"
    "    INSERT INTO stats_count_deltas VALUES(old.area, coalesce(old.dept_id, 0), old.category, old.state,"
    "      " MARKS("old") ", -1);"
    "    IF old.area IS DISTINCT FROM new.area OR old.dept_id IS DISTINCT FROM new.dept_id THEN"
    "      INSERT INTO stats_day_deltas VALUES(" DAY("old.created_at") ", old.area, coalesce(old.dept_id, 0), -1, 0),"
    "        (" DAY("new.created_at") ", new.area, coalesce(new.dept_id, 0), 1, 0);"
    "    END IF;"
    "    IF new.state = 'closed' AND old.state IS DISTINCT FROM 'closed' THEN"
    "      INSERT INTO stats_day_deltas VALUES(" DAY("new.updated_at") ", new.area, coalesce(new.dept_id, 0), 0, 1);"
    "    END IF;"
    "  ELSE"
    "    INSERT INTO stats_day_deltas VALUES(" DAY("new.created_at") ", new.area, coalesce(new.dept_id, 0), 1, 0);"
    "  END IF;"
    "  INSERT INTO stats_count_deltas VALUES(new.area, coalesce(new.dept_id, 0), new.category, new.state,"
    "    " MARKS("new") ", 1);"
    "  RETURN NULL;"
    " END $$;"
    "CREATE TRIGGER stats_case_insert AFTER INSERT ON cases FOR EACH ROW EXECUTE FUNCTION stats_case_changed();"
    "CREATE TRIGGER stats_case_update AFTER UPDATE ON cases FOR EACH ROW EXECUTE FUNCTION stats_case_changed();"
    REBUILD,
};

const jc_schema schema_stats_pg = {"stats", stats_migrations, (int)JC_ARRAY_LEN(stats_migrations)};

/* Calls fn for each (area, dept_id, category, state, marks, n, created_day) row of r. */
static void each_count(const PGresult *r, stats_count_fn fn, void *arg) {
    for (int i = 0, n = PQntuples(r); i < n; i++) {
        stats_count k = {pg_str(r, i, 0),         pg_str(r, i, 2),        pg_str(r, i, 3), pg_i64(r, i, 1),
                         (int)pg_i64(r, i, 4), pg_i64(r, i, 5), pg_i64(r, i, 6)};
        if (fn(&k, arg)) break;
    }
}

static jc_err counts_of(jc_conn *c, const char *sql, pg_params *p, stats_count_fn fn, void *arg) {
    jc_err e;
    PGresult *r = pg_run(c, sql, p, "stats", "counts", &e);
    if (!r) return e;
    each_count(r, fn, arg);
    PQclear(r);
    return JC_OK;
}

static jc_err pg_counts(jc_conn *c, const char *area, int64_t dept, stats_count_fn fn, void *arg) {
    static const char sql[] =
        "SELECT area, dept_id, category, state, marks, sum(n), 0 FROM"
        " (SELECT * FROM stats_counts UNION ALL SELECT * FROM stats_count_deltas) s"
        " WHERE starts_with(area, $1) AND ($2 = 0 OR dept_id = $2) GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) > 0";
    pg_params p = {0};
    pgp_text_empty(&p, area);
    pgp_i64(&p, dept);
    return counts_of(c, sql, &p, fn, arg);
}

static jc_err pg_direct(jc_conn *c, int64_t reporter, stats_count_fn fn, void *arg) {
    static const char sql[] = "SELECT area, coalesce(dept_id, 0), category, state, " MARKS("cases") ", 1, "
                              DAY("created_at") " FROM cases WHERE reporter_id = $1";
    pg_params p = {0};
    pgp_i64(&p, reporter);
    return counts_of(c, sql, &p, fn, arg);
}

static jc_err days_of(jc_conn *c, const char *sql, pg_params *p, stats_day_fn fn, void *arg) {
    jc_err e;
    PGresult *r = pg_run(c, sql, p, "stats", "days", &e);
    if (!r) return e;
    for (int i = 0, n = PQntuples(r); i < n; i++) fn(pg_i64(r, i, 0), pg_i64(r, i, 1), pg_i64(r, i, 2), arg);
    PQclear(r);
    return JC_OK;
}

static jc_err pg_days(jc_conn *c, const char *area, int64_t dept, int64_t d0, int64_t d1, stats_day_fn fn, void *arg) {
    static const char sql[] =
        "SELECT day, sum(created), sum(closed) FROM"
        " (SELECT * FROM stats_days UNION ALL SELECT * FROM stats_day_deltas) s"
        " WHERE day >= $2 AND day <= $3 AND starts_with(area, $1) AND ($4 = 0 OR dept_id = $4) GROUP BY day";
    pg_params p = {0};
    pgp_text_empty(&p, area);
    pgp_i64(&p, d0);
    pgp_i64(&p, d1);
    pgp_i64(&p, dept);
    return days_of(c, sql, &p, fn, arg);
}

static jc_err pg_reporter_closed(jc_conn *c, int64_t reporter, int64_t d0, int64_t d1, stats_day_fn fn, void *arg) {
    static const char sql[] =
        "SELECT " DAY("a.at") ", 0, count(*) FROM cases c JOIN audit a ON a.case_id = c.id"
        " WHERE c.reporter_id = $1 AND a.to_state = 'closed' AND a.from_state <> 'closed'"
        " AND " DAY("a.at") " BETWEEN $2 AND $3 GROUP BY 1";
    pg_params p = {0};
    pgp_i64(&p, reporter);
    pgp_i64(&p, d0);
    pgp_i64(&p, d1);
    return days_of(c, sql, &p, fn, arg);
}

static jc_err pg_names(jc_conn *c, void (*fn)(int area, const char *code, const char *name, void *arg), void *arg) {
    static const char sql[] =
        "SELECT 0, code, name FROM categories UNION ALL SELECT 1, code, name FROM areas WHERE level = 'community'";
    jc_err e;
    PGresult *r = pg_run(c, sql, NULL, "stats", "names", &e);
    if (!r) return e;
    for (int i = 0, n = PQntuples(r); i < n; i++) fn((int)pg_i64(r, i, 0), pg_str(r, i, 1), pg_str(r, i, 2), arg);
    PQclear(r);
    return JC_OK;
}

/* Runs the statements of sql (no parameters, no rows) on the writer. */
static jc_err run_script(jc_conn *w, const char *sql, const char *what) {
    PGresult *r = PQexec(store_pg_raw(w), sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        jc_log(JC_LOG_ERROR, "stats: %s: %s", what, r ? PQresultErrorMessage(r) : "no result");
    PQclear(r);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? JC_OK : JC_ERR_DB;
}

static jc_err pg_rebuild(jc_conn *w) { return run_script(w, REBUILD, "rebuild"); }

static jc_err pg_fold(jc_conn *w) { return run_script(w, FOLD, "fold"); }

/* stats_store_ops.add: as deltas, as the trigger writes them (no locks
 * between writers; fold takes them in). */
static jc_err pg_add(jc_conn *w, const stats_count *counts, size_t ncounts, const stats_day_add *days, size_t ndays) {
    static const char count_sql[] = "INSERT INTO stats_count_deltas VALUES($1, $2, $3, $4, $5, $6)";
    static const char day_sql[] = "INSERT INTO stats_day_deltas VALUES($1, $2, $3, $4, $5)";
    for (size_t i = 0; i < ncounts; i++) {
        pg_params p = {0};
        pgp_text(&p, counts[i].area);
        pgp_i64(&p, counts[i].dept_id);
        pgp_text(&p, counts[i].category);
        pgp_text(&p, counts[i].state);
        pgp_i64(&p, counts[i].marks);
        pgp_i64(&p, counts[i].n);
        jc_err e = pg_run_done(w, count_sql, &p, "stats", "add", NULL);
        if (e) return e;
    }
    for (size_t i = 0; i < ndays; i++) {
        pg_params p = {0};
        pgp_i64(&p, days[i].day);
        pgp_text(&p, days[i].area);
        pgp_i64(&p, days[i].dept_id);
        pgp_i64(&p, days[i].created);
        pgp_i64(&p, days[i].closed);
        jc_err e = pg_run_done(w, day_sql, &p, "stats", "add", NULL);
        if (e) return e;
    }
    return JC_OK;
}

const stats_store_ops stats_store_pg = {
    .counts = pg_counts,
    .direct = pg_direct,
    .days = pg_days,
    .reporter_closed = pg_reporter_closed,
    .names = pg_names,
    .rebuild = pg_rebuild,
    .add = pg_add,
    .fold = pg_fold,
};
