/*
 * caselist_pg.c -- the PostgreSQL half of the case lists and the search
 * (caselist_store.h; caselist_sqlite.c is its twin: same walks, same
 * answers).
 *
 * Design notes
 *  - A walk is one prepared statement per (index, order, whether dispatch's
 *    tables are there), built once: every condition is in it with its
 *    parameter NULL (or 0) for "any", evaluated in the select list, not in
 *    WHERE -- WHERE holds only what the walk's index answers (its key and
 *    the keyset range), ORDER BY id and a LIMIT, so the planner walks that
 *    index in order and every row examined counts towards the budget, as on
 *    SQLite.  The rows come in chunks (the page's limit first, then twice as
 *    many each time, up to what is left of the budget).  A search finds its
 *    candidates' ids first (text_ids), then reads their rows.
 *  - The btree indexes carry the id after their key (PostgreSQL orders equal
 *    keys by their place in the heap, not by id), so a resident's reports,
 *    a department's cases and a person's tasks are walked in id order
 *    without a sort.
 *  - The text index holds the same terms as SQLite's FTS5 table (caselist.c
 *    makes them): a tsvector made with array_to_tsvector (the terms as
 *    they are, no parser, no dictionary) in caselist_terms, under a GIN
 *    index; the query's terms become a tsquery (prefix terms as ':*').
 *    Core PostgreSQL, no extension.  A GIN index does not give its matches
 *    in id order, and reading all of a common term's matches to sort them
 *    costs with the store (a term in a fifth of 300,000 cases: 100 ms a
 *    page).  So a search first reads the text index in id order from the
 *    cursor, PROBE rows, testing each (a common term has its page there),
 *    and only then asks the GIN index for the rest of the range (a rare
 *    term: few matches to sort).  The planner's estimates (poor for prefix
 *    terms: it read all 300,000 rows for a word no case has) do not choose.
 *  - Which cases are not indexed yet: a trigger puts every new case's id in
 *    caselist_pending in the transaction that inserts the case, and the
 *    indexer (the leader's tick) moves ids from there to caselist_terms in
 *    one transaction.  A mark (SQLite's highest id indexed) would not do
 *    here: several instances take ids from one sequence and commit in any
 *    order, so a case with an id below the mark can commit after it moved.
 *    A text walk takes the pending cases as candidates (their texts are
 *    checked by caselist.c), so a new case is found at once.
 *  - Dispatch's tables (co-handling, whistles) are read for a department's
 *    list only when they are in the database (dispatch on PostgreSQL);
 *    without them a department's cases are the ones it leads.
 */
#include "caselist_store.h"
#include "store_pg.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define TAG "caselist"
#define OPEN_TERMS "state NOT IN ('closed', 'rated', 'voided', 'merged')"

static const char *const caselist_migrations[] = {
    /* 1: indexes for the lists (the id after the key), the text index, the
     * cases waiting for it (every case there at first) */
    "CREATE INDEX caselist_open ON cases(id) WHERE " OPEN_TERMS ";"
    "CREATE INDEX caselist_reporter ON cases(reporter_id, id) WHERE reporter_id IS NOT NULL;"
    "CREATE INDEX caselist_dept ON cases(dept_id, id) WHERE dept_id IS NOT NULL;"
    "CREATE INDEX caselist_assignee ON cases(assignee_id, id) WHERE assignee_id IS NOT NULL;"
    "CREATE INDEX caselist_created ON cases(created_at, id);"
    "CREATE TABLE caselist_terms(case_id bigint PRIMARY KEY, terms tsvector NOT NULL);"
    "CREATE INDEX caselist_terms_gin ON caselist_terms USING gin(terms);"
    "CREATE TABLE caselist_pending(case_id bigint PRIMARY KEY);"
    "CREATE FUNCTION caselist_case_added() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    "  INSERT INTO caselist_pending VALUES(new.id); RETURN NULL; END $$;"
    "CREATE TRIGGER caselist_case_added AFTER INSERT ON cases FOR EACH ROW"
    "  EXECUTE FUNCTION caselist_case_added();"
    "INSERT INTO caselist_pending SELECT id FROM cases;"
    /* dispatch's tables, when dispatch is on PostgreSQL: a department's
     * co-handled and summoned cases */
    "DO $$ BEGIN"
    "  IF to_regclass('case_owner') IS NOT NULL THEN"
    "    CREATE INDEX IF NOT EXISTS caselist_co ON case_owner(dept_id, case_id) WHERE end_at IS NULL; END IF;"
    "  IF to_regclass('whistle_members') IS NOT NULL THEN"
    "    CREATE INDEX IF NOT EXISTS caselist_whistle_dept ON whistle_members(dept_id); END IF;"
    "END $$;",
};

const jc_schema schema_caselist_pg = {"caselist", caselist_migrations, (int)JC_ARRAY_LEN(caselist_migrations)};

/* ---- the walks' statements ------------------------------------------------------------
 * Parameters, the same in every walk: $1 state, $2 open only, $3 category,
 * $4 group, $5 source, $6 rating, $7 area prefix, $8 dept, $9 involved dept,
 * $10 reporter, $11 assignee, $12 flags, $13 escalated, $14 created from,
 * $15 created before; then $16 lowest id, $17 highest id, $18 rows -- or,
 * in a text walk, $16 the candidates' ids (text_ids). */

#define CONDITIONS_HEAD                                                                                       \
    "COALESCE(($1::text IS NULL OR state = $1) AND (NOT $2::boolean OR " OPEN_TERMS ")"                      \
    " AND ($3::text IS NULL OR category = $3)"                                                                \
    " AND ($4::text IS NULL OR (category COLLATE \"C\" >= $4 AND category COLLATE \"C\" < $4 || 'z'))"         \
    " AND ($5::text IS NULL OR source = $5) AND ($6::text IS NULL OR rating = $6)"                            \
    " AND ($7::text IS NULL OR (area COLLATE \"C\" >= $7 AND area COLLATE \"C\" < $7 || 'z'))"                 \
    " AND ($8::bigint = 0 OR dept_id = $8)"
#define CONDITIONS_TAIL                                                                                       \
    " AND ($10::bigint = 0 OR reporter_id = $10) AND ($11::bigint = 0 OR assignee_id = $11)"                  \
    " AND ($12::integer = 0 OR (flags & $12) = $12) AND (NOT $13::boolean OR escalation > 0)"                 \
    " AND ($14::bigint = 0 OR created_at >= $14) AND ($15::bigint = 0 OR created_at < $15), false)"
/* a department's: led, co-handled while open, summoned by a whistle */
#define INVOLVED_ALL                                                                                          \
    " AND ($9::bigint = 0 OR dept_id = $9 OR EXISTS (SELECT 1 FROM case_owner o WHERE o.case_id = cases.id"   \
    " AND o.dept_id = $9 AND o.end_at IS NULL) OR EXISTS (SELECT 1 FROM whistles wh JOIN whistle_members m"   \
    " ON m.whistle_id = wh.id WHERE wh.case_id = cases.id AND m.dept_id = $9))"
#define INVOLVED_LED " AND ($9::bigint = 0 OR dept_id = $9)"
#define RANGE(col) " AND " col " >= $16 AND " col " <= $17"

enum { KINDS = CL_BY_TEXT + 1 };

/* [kind][asc][dispatch's tables there] */
static char *walk_sql[KINDS][2][2];
static pthread_once_t walk_once = PTHREAD_ONCE_INIT;

/* The statement of a walk by kind in order asc (NULL: out of memory). */
static char *build(int kind, int asc, int dispatch) {
    const char *dir = asc ? "ASC" : "DESC";
    jc_buf b;
    jc_buf_init(&b, 4096);
    jc_err e = jc_buf_puts(&b, "SELECT " STORE_PG_CASE_COLS ", " CONDITIONS_HEAD);
    if (!e) e = jc_buf_puts(&b, dispatch ? INVOLVED_ALL : INVOLVED_LED);
    if (!e) e = jc_buf_puts(&b, CONDITIONS_TAIL);
    if (e) goto out;
    if (kind == CL_BY_TEXT) { /* the rows of the candidates text_ids found ($16) */
        e = jc_buf_printf(&b, " FROM cases WHERE id = ANY($16::bigint[]) ORDER BY id %s", dir);
        goto out;
    }
    if (kind == CL_BY_INVOLVED) {
        /* each part's first ids in order (at most $18 of each), merged,
         * then their rows */
        static const char *const arms[] = {
            "SELECT id FROM cases WHERE dept_id = $9" RANGE("id"),
            "SELECT DISTINCT case_id FROM case_owner WHERE dept_id = $9 AND end_at IS NULL" RANGE("case_id"),
            "SELECT DISTINCT wh.case_id FROM whistle_members m JOIN whistles wh ON wh.id = m.whistle_id"
            " WHERE m.dept_id = $9" RANGE("wh.case_id")};
        e = jc_buf_puts(&b, " FROM (SELECT DISTINCT id FROM (");
        for (int i = 0; i < (dispatch ? 3 : 1) && !e; i++)
            e = jc_buf_printf(&b, "%s(%s ORDER BY 1 %s LIMIT $18)", i ? " UNION ALL " : "", arms[i], dir);
        if (!e) e = jc_buf_printf(&b, ") u ORDER BY id %s LIMIT $18) i JOIN cases USING (id) ORDER BY id %s", dir, dir);
        goto out;
    }
    switch (kind) {
    case CL_BY_REPORTER: e = jc_buf_puts(&b, " FROM cases WHERE reporter_id = $10" RANGE("id")); break;
    case CL_BY_DEPT: e = jc_buf_puts(&b, " FROM cases WHERE dept_id = $8" RANGE("id")); break;
    case CL_BY_ASSIGNEE: e = jc_buf_puts(&b, " FROM cases WHERE assignee_id = $11" RANGE("id")); break;
    case CL_BY_OPEN: e = jc_buf_puts(&b, " FROM cases WHERE " OPEN_TERMS RANGE("id")); break;
    default: e = jc_buf_puts(&b, " FROM cases WHERE TRUE" RANGE("id")); break;
    }
    if (!e) e = jc_buf_printf(&b, " ORDER BY id %s LIMIT $18", dir);
out:
    if (e) {
        jc_buf_free(&b);
        return NULL;
    }
    return jc_buf_take(&b);
}

static void build_all(void) {
    for (int k = 0; k < KINDS; k++)
        for (int a = 0; a < 2; a++)
            for (int d = 0; d < 2; d++) walk_sql[k][a][d] = build(k, a, d);
}

/* 1 when dispatch's tables are in c's database (they stay once there). */
static int has_dispatch(jc_conn *c) {
    static const char sql[] = "SELECT to_regclass('case_owner') IS NOT NULL AND to_regclass('whistles') IS NOT NULL"
                              " AND to_regclass('whistle_members') IS NOT NULL";
    static int seen;
    if (__atomic_load_n(&seen, __ATOMIC_RELAXED)) return 1;
    jc_err e;
    PGresult *r = pg_run(c, sql, NULL, TAG, "dispatch tables", &e);
    int yes = r && PQntuples(r) == 1 && !strcmp(pg_str(r, 0, 0), "t");
    PQclear(r);
    if (yes) __atomic_store_n(&seen, 1, __ATOMIC_RELAXED);
    return yes;
}

/* FTS5's "term" / "term"* (caselist_q_match) as a tsquery: 'term' / 'term':*,
 * joined by &.  JC_ERR_INVALID when m is not of that form. */
static jc_err to_tsquery(const char *m, jc_buf *b) {
    const char *p = m;
    int n = 0;
    jc_err e = JC_OK;
    while (!e && *p) {
        if (*p == ' ') {
            p++;
            continue;
        }
        if (*p++ != '"') return JC_ERR_INVALID;
        e = jc_buf_puts(b, n++ ? " & '" : "'");
        size_t len = 0;
        for (; !e; p++) {
            if (!*p) return JC_ERR_INVALID;
            if (*p == '"' && p[1] != '"') break;
            if (*p == '"') p++; /* "" is a quote */
            if (*p == '\'' || *p == '\\') e = jc_buf_append(b, p, 1); /* doubled in a tsquery's quotes */
            if (!e) e = jc_buf_append(b, p, 1);
            len++;
        }
        if (e) break;
        if (!len) return JC_ERR_INVALID;
        p++; /* the closing quote */
        int prefix = *p == '*';
        if (prefix) p++;
        if (*p && *p != ' ') return JC_ERR_INVALID;
        e = jc_buf_puts(b, prefix ? "':*" : "'");
    }
    if (!e && !n) return JC_ERR_INVALID;
    return e;
}

/* The parameters $1..$15 of w (its conditions). */
static void params_walk(pg_params *p, const caselist_walk *w) {
    pgp_text(p, w->state);
    pgp_text(p, w->open_only ? "true" : "false");
    pgp_text(p, w->category);
    pgp_text(p, w->group);
    pgp_text(p, w->source);
    pgp_text(p, w->rating);
    pgp_text(p, w->area_prefix);
    pgp_i64(p, w->dept_id);
    pgp_i64(p, w->involved_dept);
    pgp_i64(p, w->reporter_id);
    pgp_i64(p, w->assignee_id);
    pgp_i64(p, (int64_t)w->flags);
    pgp_text(p, w->escalated ? "true" : "false");
    pgp_i64(p, w->created_lo);
    pgp_i64(p, w->created_hi);
}

/* The id bounds of the rest of w after `after` (exclusive, as the walk
 * goes), as caselist_sqlite.c's bounds(). */
static void bounds(const caselist_walk *w, int64_t after, int64_t *lo, int64_t *hi) {
    *lo = w->id_lo > 0 ? w->id_lo : 0;
    *hi = w->id_hi > 0 ? w->id_hi : INT64_MAX;
    if (w->asc && after >= *lo) *lo = after + 1;
    if (!w->asc && after <= *hi) *hi = after - 1;
}

#define CHUNK_MAX 2000 /* rows read at once */
#define PROBE 4096     /* rows of the text index read in id order before its GIN index is asked */

/* The text index's statements: [asc] */
static const char *const probe_sql[2] = {
    "SELECT case_id, terms @@ $1::tsquery FROM caselist_terms WHERE case_id >= $2 AND case_id <= $3"
    " ORDER BY case_id DESC LIMIT $4",
    "SELECT case_id, terms @@ $1::tsquery FROM caselist_terms WHERE case_id >= $2 AND case_id <= $3"
    " ORDER BY case_id ASC LIMIT $4"};
/* by the GIN index (case_id + 0: not by the primary key in order), sorted */
static const char *const rare_sql[2] = {
    "SELECT case_id FROM caselist_terms WHERE terms @@ $1::tsquery AND case_id >= $2 AND case_id <= $3"
    " ORDER BY case_id + 0 DESC LIMIT $4",
    "SELECT case_id FROM caselist_terms WHERE terms @@ $1::tsquery AND case_id >= $2 AND case_id <= $3"
    " ORDER BY case_id + 0 ASC LIMIT $4"};
static const char *const pending_sql[2] = {
    "SELECT case_id FROM caselist_pending WHERE case_id >= $1 AND case_id <= $2 ORDER BY case_id DESC LIMIT $3",
    "SELECT case_id FROM caselist_pending WHERE case_id >= $1 AND case_id <= $2 ORDER BY case_id ASC LIMIT $3"};

/* Runs one of the id statements above, appending the ids of its column 0
 * to ids (*n of cap), and, with match, only the rows whose column 1 is
 * true; *rows the rows read, *last the last id read. */
static jc_err read_ids(jc_conn *c, const char *sql, const pg_params *p, int match, int64_t *ids, int *n, int cap,
                       int *rows, int64_t *last) {
    jc_err e;
    PGresult *r = pg_run(c, sql, p, TAG, "text ids", &e);
    if (!r) return e;
    *rows = PQntuples(r);
    for (int i = 0; i < *rows; i++) {
        *last = pg_i64(r, i, 0);
        if ((!match || !strcmp(pg_str(r, i, 1), "t")) && *n < cap) ids[(*n)++] = *last;
    }
    PQclear(r);
    return JC_OK;
}

/* The first `want` candidates of a text walk in [lo, hi], in its order:
 * the text index's matches -- read in id order for PROBE rows (a common
 * term has its matches there), then the rest of the range by the GIN
 * index (a rare term: few matches to sort) -- and the cases not indexed
 * yet, merged.  The planner's estimate of a term (poor for prefixes) does
 * not choose the way. *n < want: the range has no more. */
static jc_err text_ids(jc_conn *c, int asc, const char *tsq, int64_t lo, int64_t hi, int want, int64_t *ids,
                       int *n) {
    *n = 0;
    int64_t *t = malloc(2 * (size_t)want * sizeof *t);
    if (!t) return JC_ERR_NOMEM;
    int64_t *pend = t + want, last = 0;
    int tn = 0, pn = 0, rows = 0;
    pg_params p = {0};
    pgp_text(&p, tsq);
    pgp_i64(&p, lo);
    pgp_i64(&p, hi);
    pgp_i64(&p, PROBE);
    jc_err e = read_ids(c, probe_sql[asc], &p, 1, t, &tn, want, &rows, &last);
    if (!e && tn < want && rows == PROBE && (asc ? last < hi : last > lo)) {
        p.n = 1;
        pgp_i64(&p, asc ? last + 1 : lo);
        pgp_i64(&p, asc ? hi : last - 1);
        pgp_i64(&p, want - tn);
        e = read_ids(c, rare_sql[asc], &p, 0, t, &tn, want, &rows, &last);
    }
    if (!e) {
        p.n = 0;
        pgp_i64(&p, lo);
        pgp_i64(&p, hi);
        pgp_i64(&p, want);
        e = read_ids(c, pending_sql[asc], &p, 0, pend, &pn, want, &rows, &last);
    }
    /* merged in the walk's order (an id is never in both: the indexer
     * moves it in one transaction) */
    for (int i = 0, j = 0; !e && *n < want && (i < tn || j < pn);) {
        int from_t = j >= pn || (i < tn && (asc ? t[i] < pend[j] : t[i] > pend[j]));
        ids[(*n)++] = from_t ? t[i++] : pend[j++];
    }
    free(t);
    return e;
}

/* The next chunk's rows of a text walk (want candidates from [lo, hi]):
 * *r the rows, *ended when the range has no more candidates. */
static PGresult *text_rows(jc_conn *c, const caselist_walk *w, const char *sql, const char *tsq, int64_t lo,
                           int64_t hi, int want, int *ended, jc_err *e) {
    int64_t *ids = malloc((size_t)want * sizeof *ids);
    int n = 0;
    *e = ids ? text_ids(c, w->asc, tsq, lo, hi, want, ids, &n) : JC_ERR_NOMEM;
    jc_buf a;
    jc_buf_init(&a, 0);
    if (!*e) *e = jc_buf_puts(&a, "{");
    for (int i = 0; i < n && !*e; i++) *e = jc_buf_printf(&a, i ? ",%lld" : "%lld", (long long)ids[i]);
    if (!*e) *e = jc_buf_puts(&a, "}");
    free(ids);
    *ended = n < want;
    PGresult *r = NULL;
    if (!*e) {
        pg_params p = {0};
        params_walk(&p, w);
        pgp_text(&p, a.data);
        r = pg_run(c, sql, &p, TAG, "walk", e);
    }
    jc_buf_free(&a);
    return r;
}

static jc_err pg_walk(jc_conn *c, const caselist_walk *w, caselist_row_fn fn, void *arg, caselist_result *out) {
    memset(out, 0, sizeof *out);
    pthread_once(&walk_once, build_all);
    int kind = w->by >= 0 && w->by < KINDS ? w->by : CL_BY_ID;
    const char *sql = walk_sql[kind][w->asc ? 1 : 0][has_dispatch(c)];
    if (!sql) return JC_ERR_NOMEM;
    jc_buf tsq;
    jc_buf_init(&tsq, 0);
    jc_err e = JC_OK;
    if (kind == CL_BY_TEXT && (e = to_tsquery(w->match ? w->match : "", &tsq))) goto done;
    int64_t after = w->after ? w->after : w->asc ? 0 : INT64_MAX;
    int chunk = w->limit > 0 ? w->limit : 1, stop = 0;
    while (!stop) {
        int want = w->budget - out->examined < chunk ? w->budget - out->examined : chunk;
        int64_t lo, hi;
        bounds(w, after, &lo, &hi);
        if (want <= 0 || lo > hi) break;
        PGresult *r;
        int ended = 0;
        if (kind == CL_BY_TEXT) {
            r = text_rows(c, w, sql, tsq.data, lo, hi, want, &ended, &e);
        } else {
            pg_params p = {0};
            params_walk(&p, w);
            pgp_i64(&p, lo);
            pgp_i64(&p, hi);
            pgp_i64(&p, want);
            r = pg_run(c, sql, &p, TAG, "walk", &e);
        }
        if (!r) break;
        int rows = PQntuples(r);
        if (kind != CL_BY_TEXT) ended = rows < want;
        for (int i = 0; i < rows && !stop; i++) {
            out->examined++;
            out->stopped_at = after = pg_i64(r, i, 0);
            if (!strcmp(pg_str(r, i, 25), "t")) {
                jc_case k;
                store_pg_case_row(r, i, &k);
                int t = fn(&k, arg);
                case_clear(&k);
                if (t < 0) e = JC_ERR_INTERNAL, stop = 1;
                else out->taken += t;
            }
            if (out->taken >= w->limit || out->examined >= w->budget) stop = 1;
        }
        PQclear(r);
        if (e) break;
        if (stop) out->more = 1;
        if (ended) break;
        chunk = chunk * 2 < CHUNK_MAX ? chunk * 2 : CHUNK_MAX;
    }
done:
    jc_buf_free(&tsq);
    return e;
}

static jc_err pg_plan(jc_conn *c, const caselist_walk *w, jc_buf *b) {
    pthread_once(&walk_once, build_all);
    int kind = w->by >= 0 && w->by < KINDS ? w->by : CL_BY_ID;
    /* a text walk: its search by the GIN index (the probe and the rows by
     * id are by primary keys) */
    const char *sql = kind == CL_BY_TEXT ? rare_sql[w->asc ? 1 : 0] : walk_sql[kind][w->asc ? 1 : 0][has_dispatch(c)];
    if (!sql) return JC_ERR_NOMEM;
    jc_buf q, tsq;
    jc_buf_init(&q, 4096);
    jc_buf_init(&tsq, 0);
    /* a plan for these values (as the walk's first executions get) */
    jc_err e = kind == CL_BY_TEXT ? to_tsquery(w->match ? w->match : "", &tsq) : JC_OK;
    if (!e) e = jc_buf_puts(&q, "EXPLAIN ");
    if (!e) e = jc_buf_puts(&q, sql);
    PGresult *r = NULL;
    if (!e) {
        pg_params p = {0};
        int64_t lo, hi;
        bounds(w, w->after ? w->after : w->asc ? 0 : INT64_MAX, &lo, &hi);
        if (kind == CL_BY_TEXT) pgp_text(&p, tsq.data);
        else params_walk(&p, w);
        pgp_i64(&p, lo);
        pgp_i64(&p, hi);
        pgp_i64(&p, w->limit);
        r = PQexecParams(store_pg_raw(c), q.data, p.n, NULL, p.v, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            jc_log(JC_LOG_ERROR, "caselist: plan: %s", PQerrorMessage(store_pg_raw(c)));
            e = JC_ERR_DB;
        }
    }
    for (int i = 0; !e && i < PQntuples(r); i++) e = jc_buf_printf(b, "%s\n", pg_str(r, i, 0));
    PQclear(r);
    jc_buf_free(&q);
    jc_buf_free(&tsq);
    return e;
}

/* How far a case's time can be out of id order: several instances take ids
 * from one sequence and times from their own clocks. */
#define SKEW_MS 60000

static jc_err pg_id_range(jc_conn *c, int64_t t0, int64_t t1, int64_t *lo, int64_t *hi) {
    /* by the index on (created_at, id): two seeks, each SKEW_MS further
     * out (the walk's conditions on created_at decide) */
    if (t0 > SKEW_MS) t0 -= SKEW_MS;
    else t0 = 0;
    if (t1 < INT64_MAX - SKEW_MS) t1 += SKEW_MS;
    static const char first[] = "SELECT id FROM cases WHERE created_at >= $1 ORDER BY created_at, id LIMIT 1";
    static const char last[] = "SELECT id FROM cases WHERE created_at < $1 ORDER BY created_at DESC, id DESC LIMIT 1";
    *lo = 1;
    *hi = 0;
    pg_params p = {0};
    pgp_i64(&p, t0);
    jc_err e;
    PGresult *r = pg_run(c, first, &p, TAG, "id range", &e);
    if (!r) return e;
    int any = PQntuples(r) > 0;
    if (any) *lo = pg_i64(r, 0, 0);
    PQclear(r);
    if (!any) return JC_OK;
    p.n = 0;
    pgp_i64(&p, t1);
    if (!(r = pg_run(c, last, &p, TAG, "id range", &e))) return e;
    if (PQntuples(r) > 0) *hi = pg_i64(r, 0, 0);
    PQclear(r);
    return JC_OK;
}

static jc_err pg_unindexed(jc_conn *c, int64_t *n) {
    static const char sql[] = "SELECT count(*) FROM caselist_pending";
    jc_err e;
    PGresult *r = pg_run(c, sql, NULL, TAG, "unindexed", &e);
    if (!r) return e;
    *n = pg_i64(r, 0, 0);
    PQclear(r);
    return JC_OK;
}

static jc_err pg_index(jc_conn *w, int max, caselist_terms_fn fn, int *done) {
    /* the pending cases, oldest first; each one's terms in and its id out
     * in this transaction (SKIP LOCKED: an instance that indexes at the same
     * time, a leader that has just lost the lock, takes others) */
    static const char sel[] = "SELECT " STORE_PG_CASE_COLS " FROM cases WHERE id IN (SELECT case_id FROM"
                              " caselist_pending ORDER BY case_id LIMIT $1 FOR UPDATE SKIP LOCKED) ORDER BY id";
    static const char ins[] = "INSERT INTO caselist_terms(case_id, terms)"
                              " VALUES($1, array_to_tsvector(array_remove(string_to_array($2, ' '), '')))"
                              " ON CONFLICT(case_id) DO NOTHING";
    static const char del[] = "DELETE FROM caselist_pending WHERE case_id = $1";
    *done = 0;
    pg_params p = {0};
    pgp_i64(&p, max);
    jc_err e;
    PGresult *r = pg_run(w, sel, &p, TAG, "index read", &e);
    if (!r) return e;
    jc_buf b;
    jc_buf_init(&b, 4096);
    for (int i = 0, n = PQntuples(r); !e && i < n; i++) {
        jc_case k;
        store_pg_case_row(r, i, &k);
        b.len = 0;
        e = fn(&k, &b);
        if (!e) {
            pg_params q = {0};
            pgp_i64(&q, k.id);
            pgp_text(&q, b.len ? b.data : "");
            e = pg_run_done(w, ins, &q, TAG, "index", NULL);
            q.n = 1;
            if (!e) e = pg_run_done(w, del, &q, TAG, "index done", NULL);
        }
        if (!e) (*done)++;
        case_clear(&k);
    }
    PQclear(r);
    jc_buf_free(&b);
    return e;
}

const caselist_store_ops caselist_store_pg = {pg_walk, pg_plan, pg_id_range, pg_unindexed, pg_index};
