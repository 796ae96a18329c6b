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
 *  - The street's and a community's requests read counters per community
 *    without the department (stats_comm, stats_comm_days, migration 2), as
 *    on SQLite: the grid counters in scope were 26,691 rows for the street
 *    at 3 M.  They are kept by the fold, not by the trigger (a writer pays
 *    nothing for them): the same deltas a fold takes into the grid counters
 *    go, summed per community, into the community ones in the same
 *    statement; a read adds the deltas not folded yet, summed the same way.
 *    A department's requests read its range of the grid counters (indexes
 *    by department first, migration 3).
 */
#include "stats_store.h"
#include "store_pg.h"

#include <string.h>

/* overdue, escalated, ownerless of a row X of cases */
#define MARKS(X) "(((" X ".flags & 4) <> 0)::int | ((" X ".escalation > 0)::int << 1) | ((" X ".flags & 1) << 2))"
/* the local (UTC+8) day of a time in ms, as days since 1970-01-01 */
#define DAY(T) "((" T " + 28800000) / 86400000)"

/* a community: the first 12 digits of an area */
#define COMM(A) "substr(" A ", 1, 12)"

/* the deltas into the grid counters and, summed per community, into the
 * community counters: one statement a table, so a delta is counted in both
 * or in neither */
#define FOLD                                                                                                    \
    "WITH d AS (DELETE FROM stats_count_deltas RETURNING *),"                                                   \
    " g AS (INSERT INTO stats_counts(area, dept_id, category, state, marks, n)"                                 \
    "  SELECT area, dept_id, category, state, marks, sum(n) FROM d GROUP BY 1, 2, 3, 4, 5"                      \
    "  ON CONFLICT(area, dept_id, category, state, marks) DO UPDATE SET n = stats_counts.n + excluded.n)"       \
    " INSERT INTO stats_comm(community, category, state, marks, n)"                                             \
    " SELECT " COMM("area") ", category, state, marks, sum(n) FROM d GROUP BY 1, 2, 3, 4"                       \
    " ON CONFLICT(community, category, state, marks) DO UPDATE SET n = stats_comm.n + excluded.n;"              \
    "WITH d AS (DELETE FROM stats_day_deltas RETURNING *),"                                                     \
    " g AS (INSERT INTO stats_days(day, area, dept_id, created, closed)"                                        \
    "  SELECT day, area, dept_id, sum(created), sum(closed) FROM d GROUP BY 1, 2, 3"                            \
    "  ON CONFLICT(day, area, dept_id) DO UPDATE SET created = stats_days.created + excluded.created,"          \
    "  closed = stats_days.closed + excluded.closed)"                                                           \
    " INSERT INTO stats_comm_days(day, community, created, closed)"                                             \
    " SELECT day, " COMM("area") ", sum(created), sum(closed) FROM d GROUP BY 1, 2"                             \
    " ON CONFLICT(day, community) DO UPDATE SET created = stats_comm_days.created + excluded.created,"          \
    " closed = stats_comm_days.closed + excluded.closed;"

/* The community counters summed from the grid counters (not from the
 * deltas: a fold adds those to both). */
#define REBUILD_COMM                                                                                            \
    "DELETE FROM stats_comm; DELETE FROM stats_comm_days;"                                                      \
    "INSERT INTO stats_comm(community, category, state, marks, n)"                                             \
    " SELECT " COMM("area") ", category, state, marks, sum(n) FROM stats_counts GROUP BY 1, 2, 3, 4;"          \
    "INSERT INTO stats_comm_days(day, community, created, closed)"                                             \
    " SELECT day, " COMM("area") ", sum(created), sum(closed) FROM stats_days GROUP BY 1, 2;"

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
    /* 2: the counters per community (the street's and a community's requests) */
    "CREATE TABLE stats_comm(community text COLLATE \"C\" NOT NULL, category text NOT NULL, state text NOT NULL,"
    "  marks integer NOT NULL, n bigint NOT NULL, PRIMARY KEY(community, category, state, marks));"
    "CREATE TABLE stats_comm_days(day bigint NOT NULL, community text COLLATE \"C\" NOT NULL,"
    "  created bigint NOT NULL, closed bigint NOT NULL, PRIMARY KEY(day, community));"
    REBUILD_COMM,
    /* 3: a department's counters, one range each (its requests read them) */
    "CREATE INDEX stats_counts_dept ON stats_counts(dept_id, area);"
    "CREATE INDEX stats_days_dept ON stats_days(dept_id, day);",
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

/* 1 when a scope (area prefix, dept) is read from the community counters:
 * no department and the area a community or wider. */
static int by_community(const char *area, int64_t dept) { return !dept && strlen(area ? area : "") <= 12; }

static jc_err pg_counts(jc_conn *c, const char *area, int64_t dept, stats_count_fn fn, void *arg) {
    static const char comm[] =
        "SELECT community, 0, category, state, marks, sum(n), 0 FROM"
        " (SELECT * FROM stats_comm UNION ALL"
        "  SELECT " COMM("area") ", category, state, marks, n FROM stats_count_deltas) s"
        " WHERE starts_with(community, $1) GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) > 0";
    static const char sql[] =
        "SELECT area, dept_id, category, state, marks, sum(n), 0 FROM"
        " (SELECT * FROM stats_counts UNION ALL SELECT * FROM stats_count_deltas) s"
        " WHERE starts_with(area, $1) AND ($2 = 0 OR dept_id = $2) GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) > 0";
    /* a department's: its range of stats_counts_dept (the form above, with
     * its "$2 = 0 OR", is planned as a scan of every counter) */
    static const char by_dept[] =
        "SELECT area, dept_id, category, state, marks, sum(n), 0 FROM"
        " (SELECT * FROM stats_counts UNION ALL SELECT * FROM stats_count_deltas) s"
        " WHERE dept_id = $2 AND starts_with(area, $1) GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) > 0";
    pg_params p = {0};
    pgp_text_empty(&p, area);
    if (by_community(area, dept)) return counts_of(c, comm, &p, fn, arg);
    pgp_i64(&p, dept);
    return counts_of(c, dept ? by_dept : sql, &p, fn, arg);
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
    static const char comm[] =
        "SELECT day, sum(created), sum(closed) FROM"
        " (SELECT * FROM stats_comm_days UNION ALL"
        "  SELECT day, " COMM("area") ", created, closed FROM stats_day_deltas) s"
        " WHERE day >= $2 AND day <= $3 AND starts_with(community, $1) GROUP BY day";
    static const char sql[] =
        "SELECT day, sum(created), sum(closed) FROM"
        " (SELECT * FROM stats_days UNION ALL SELECT * FROM stats_day_deltas) s"
        " WHERE day >= $2 AND day <= $3 AND starts_with(area, $1) AND ($4 = 0 OR dept_id = $4) GROUP BY day";
    static const char by_dept[] =
        "SELECT day, sum(created), sum(closed) FROM"
        " (SELECT * FROM stats_days UNION ALL SELECT * FROM stats_day_deltas) s"
        " WHERE dept_id = $4 AND day >= $2 AND day <= $3 AND starts_with(area, $1) GROUP BY day";
    pg_params p = {0};
    pgp_text_empty(&p, area);
    pgp_i64(&p, d0);
    pgp_i64(&p, d1);
    if (by_community(area, dept)) return days_of(c, comm, &p, fn, arg);
    pgp_i64(&p, dept);
    return days_of(c, dept ? by_dept : sql, &p, fn, arg);
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

static jc_err pg_rebuild(jc_conn *w) { return run_script(w, REBUILD REBUILD_COMM, "rebuild"); }

static jc_err pg_fold(jc_conn *w) { return run_script(w, FOLD, "fold"); }

/* Sends b's lines (COPY's text format) with copy on w. */
static jc_err copy_in(jc_conn *w, const char *copy, const jc_buf *b) {
    PGconn *pg = store_pg_raw(w);
    PGresult *r = PQexec(pg, copy);
    int copying = PQresultStatus(r) == PGRES_COPY_IN;
    if (!copying) jc_log(JC_LOG_ERROR, "stats: add: %s", PQresultErrorMessage(r));
    PQclear(r);
    if (!copying) return JC_ERR_DB;
    jc_err e = JC_OK;
    for (size_t off = 0; off < b->len && !e; off += 1 << 20) {
        size_t n = b->len - off < (1u << 20) ? b->len - off : 1u << 20;
        if (PQputCopyData(pg, b->data + off, (int)n) != 1) e = JC_ERR_DB;
    }
    if (PQputCopyEnd(pg, e ? "not sent" : NULL) != 1) e = JC_ERR_DB;
    while ((r = PQgetResult(pg))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && !e) {
            jc_log(JC_LOG_ERROR, "stats: add: %s", PQresultErrorMessage(r));
            e = JC_ERR_DB;
        }
        PQclear(r);
    }
    return e;
}

/* A text field of a COPY line: the areas, codes and states counted hold no
 * tab, newline or backslash (codes of digits and letters); one that did is
 * refused rather than escaped. */
static jc_err copy_text(jc_buf *b, const char *v, const char *end) {
    if (strpbrk(v, "\t\n\r\\")) return JC_ERR_INVALID;
    jc_err e = jc_buf_puts(b, v);
    return e ? e : jc_buf_puts(b, end);
}

/* stats_store_ops.add: as deltas, as the trigger writes them (no locks
 * between writers; fold takes them in), with one COPY a table (bench-fill's
 * counters at 1 M: a statement a row was a round trip each). */
static jc_err pg_add(jc_conn *w, const stats_count *counts, size_t ncounts, const stats_day_add *days, size_t ndays) {
    jc_buf b;
    jc_buf_init(&b, (size_t)1 << 30);
    jc_err e = JC_OK;
    for (size_t i = 0; i < ncounts && !e; i++) {
        const stats_count *k = &counts[i];
        if (!(e = copy_text(&b, k->area, "\t")) &&
            !(e = jc_buf_printf(&b, "%lld\t", (long long)k->dept_id)) && !(e = copy_text(&b, k->category, "\t")) &&
            !(e = copy_text(&b, k->state, "\t")))
            e = jc_buf_printf(&b, "%d\t%lld\n", k->marks, (long long)k->n);
    }
    if (!e && b.len) e = copy_in(w, "COPY stats_count_deltas(area, dept_id, category, state, marks, n) FROM STDIN", &b);
    b.len = 0;
    for (size_t i = 0; i < ndays && !e; i++) {
        const stats_day_add *d = &days[i];
        if (!(e = jc_buf_printf(&b, "%lld\t", (long long)d->day)) && !(e = copy_text(&b, d->area, "\t")))
            e = jc_buf_printf(&b, "%lld\t%lld\t%lld\n", (long long)d->dept_id, (long long)d->created,
                              (long long)d->closed);
    }
    if (!e && b.len) e = copy_in(w, "COPY stats_day_deltas(day, area, dept_id, created, closed) FROM STDIN", &b);
    jc_buf_free(&b);
    return e;
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
