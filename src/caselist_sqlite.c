/*
 * caselist_sqlite.c -- the SQLite half of the case lists and the search
 * (caselist_store.h): its indexes, the text index, and the walks;
 * caselist_pg.c is its twin on PostgreSQL.
 *
 * Design notes
 *  - A walk's statement is built per request from the walk (the conditions
 *    vary), values bound by name.  The conditions are one expression in the
 *    select list, not in WHERE: WHERE holds only what the chosen index
 *    answers, so that the planner cannot take another index and sort
 *    (GET /api/v1/cases at 1.15 M cases took the area index and sorted every
 *    case in scope: 330 ms), and every row examined counts towards the
 *    budget; a row that does not meet them costs its step, not its columns.
 *  - The text index is contentless (it holds no text, only which case has
 *    which term) without positions (detail=none): the terms are character
 *    bigrams and words that caselist.c makes, separated by spaces (the
 *    ascii tokenizer takes every non-ASCII character as part of a term);
 *    caselist.c checks each candidate's text itself.  Cases' texts never
 *    change after creation, and cases are never deleted: a case is indexed
 *    once.  meta('caselist.indexed') is the highest id indexed; the cases
 *    above it are read from the table by the walk itself.
 *  - A search of one term is one FTS5 statement; of two terms or more, one
 *    statement a term merged here (run_terms), every id stepped counting
 *    towards the budget: FTS5 bounds one term by a rowid range but not an
 *    AND of terms, which read both lists to their end (q=井盖 缺失 at 3 M
 *    cases: 3.17 ms a request, 1.67 ms merged here; docs/scale.md).
 */
#include "caselist_store.h"
#include "store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPEN_TERMS "state <> 'closed' AND state <> 'rated' AND state <> 'voided' AND state <> 'merged'"

static const char *const caselist_migrations[] = {
    /* 1: indexes that match the lists' filters and their order (each with
     * the id last: SQLite appends the rowid to every index), and the text
     * index */
    "CREATE INDEX caselist_open ON cases(id) WHERE " OPEN_TERMS ";"
    "CREATE INDEX caselist_assignee ON cases(assignee_id) WHERE assignee_id IS NOT NULL;"
    "CREATE INDEX caselist_co ON case_owner(dept_id, case_id) WHERE end_at IS NULL;"
    "CREATE INDEX caselist_whistle_dept ON whistle_members(dept_id);"
    "CREATE VIRTUAL TABLE case_fts USING fts5(terms, content='', detail=none, columnsize=0, tokenize='ascii');"
    "INSERT INTO meta(key, value) VALUES('caselist.indexed', '0') ON CONFLICT(key) DO NOTHING;",
};

const jc_schema schema_caselist = {"caselist", caselist_migrations,
                                   (int)(sizeof caselist_migrations / sizeof caselist_migrations[0])};

/* ---- building a walk's statements ---------------------------------------------------- */

static jc_err cond(jc_buf *b, int *n, const char *term) {
    jc_err e = jc_buf_puts(b, (*n)++ ? " AND " : "");
    return e ? e : jc_buf_puts(b, term);
}

/* The walk's conditions as one SQL expression ("1" for none). */
static jc_err conditions(const caselist_walk *w, jc_buf *b) {
    int n = 0;
    jc_err e = jc_buf_puts(b, "(");
    if (!e && w->state) e = cond(b, &n, "state = :state");
    if (!e && w->open_only) e = cond(b, &n, OPEN_TERMS);
    if (!e && w->category) e = cond(b, &n, "category = :cat");
    if (!e && w->group) e = cond(b, &n, "category >= :grp AND category < :grp || 'z'");
    if (!e && w->source) e = cond(b, &n, "source = :src");
    if (!e && w->rating) e = cond(b, &n, "rating = :rating");
    if (!e && w->area_prefix) e = cond(b, &n, "area >= :area AND area < :area || 'z'");
    if (!e && w->dept_id) e = cond(b, &n, "dept_id = :dept");
    if (!e && w->involved_dept)
        e = cond(b, &n,
                 "(dept_id = :inv OR EXISTS (SELECT 1 FROM case_owner o WHERE o.case_id = cases.id"
                 " AND o.dept_id = :inv AND o.end_at IS NULL) OR EXISTS (SELECT 1 FROM whistles wh JOIN"
                 " whistle_members m ON m.whistle_id = wh.id WHERE wh.case_id = cases.id AND m.dept_id = :inv))");
    if (!e && w->reporter_id) e = cond(b, &n, "reporter_id = :rep");
    if (!e && w->assignee_id) e = cond(b, &n, "assignee_id = :asg");
    if (!e && w->flags) e = cond(b, &n, "(flags & :flags) = :flags");
    if (!e && w->escalated) e = cond(b, &n, "escalation > 0");
    if (!e && w->created_lo) e = cond(b, &n, "created_at >= :c0");
    if (!e && w->created_hi) e = cond(b, &n, "created_at < :c1");
    if (!e && !n) e = jc_buf_puts(b, "1");
    return e ? e : jc_buf_puts(b, ")");
}

/* The keyset and the id range on col as one lower and one upper bound
 * (SQLite takes one bound of each side for a range and checks the others
 * row by row: "id < :after AND id <= :hi" walked down from :after). */
static jc_err keyset(const char *col, jc_buf *b) {
    return jc_buf_printf(b, " AND %s >= :lo AND %s <= :hi", col, col);
}

/* The bounds keyset() binds: after (exclusive, as the walk goes) and the
 * walk's id range. */
static void bounds(const caselist_walk *w, int64_t after, int64_t *lo, int64_t *hi) {
    *lo = w->id_lo > 0 ? w->id_lo : 0;
    *hi = w->id_hi > 0 ? w->id_hi : INT64_MAX;
    if (w->asc && after >= *lo) *lo = after + 1;
    if (!w->asc && after <= *hi) *hi = after - 1;
}

enum { PART_SCAN, PART_IDS, PART_ROW };

/* The statement of one part of a walk: PART_SCAN reads rows by an index
 * (for CL_BY_TEXT: the cases above the indexed mark), PART_IDS the ids of
 * an id walk (involved, text), PART_ROW one row by id. */
static jc_err walk_sql(const caselist_walk *w, int part, jc_buf *b) {
    const char *dir = w->asc ? "ASC" : "DESC";
    jc_err e = JC_OK;
    if (part == PART_IDS && w->by == CL_BY_INVOLVED) {
        static const char *const arms[] = {
            "SELECT id FROM cases INDEXED BY cases_dept WHERE dept_id = :inv",
            " UNION SELECT case_id FROM case_owner INDEXED BY caselist_co WHERE dept_id = :inv AND end_at IS NULL",
            (" UNION SELECT wh.case_id FROM whistle_members m JOIN whistles wh ON wh.id = m.whistle_id"
             " WHERE m.dept_id = :inv")};
        static const char *const cols[] = {"id", "case_id", "wh.case_id"};
        for (int i = 0; i < 3 && !e; i++) {
            e = jc_buf_puts(b, arms[i]);
            if (!e) e = keyset(cols[i], b);
        }
        return e ? e : jc_buf_printf(b, " ORDER BY 1 %s", dir);
    }
    if (part == PART_IDS) { /* CL_BY_TEXT: the indexed part */
        e = jc_buf_puts(b, "SELECT rowid FROM case_fts WHERE case_fts MATCH :match");
        if (!e) e = keyset("rowid", b);
        return e ? e : jc_buf_printf(b, " ORDER BY rowid %s", dir);
    }
    e = jc_buf_puts(b, "SELECT " STORE_CASE_COLS ", ");
    if (!e) e = conditions(w, b);
    if (e) return e;
    if (part == PART_ROW) return jc_buf_puts(b, " FROM cases WHERE id = :id");
    switch (w->by) {
    case CL_BY_REPORTER: e = jc_buf_puts(b, " FROM cases INDEXED BY cases_reporter WHERE reporter_id = :rep"); break;
    case CL_BY_DEPT: e = jc_buf_puts(b, " FROM cases INDEXED BY cases_dept WHERE dept_id = :dept"); break;
    case CL_BY_ASSIGNEE: e = jc_buf_puts(b, " FROM cases INDEXED BY caselist_assignee WHERE assignee_id = :asg"); break;
    case CL_BY_OPEN: e = jc_buf_puts(b, " FROM cases INDEXED BY caselist_open WHERE " OPEN_TERMS); break;
    default: e = jc_buf_puts(b, " FROM cases WHERE 1"); break;
    }
    if (!e) e = keyset("id", b);
    return e ? e : jc_buf_printf(b, " ORDER BY id %s", dir);
}

static void bind_text(sqlite3_stmt *s, const char *name, const char *v) {
    int i = sqlite3_bind_parameter_index(s, name);
    if (i && v) sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static void bind_i64(sqlite3_stmt *s, const char *name, int64_t v) {
    int i = sqlite3_bind_parameter_index(s, name);
    if (i) sqlite3_bind_int64(s, i, v);
}

/* Binds every parameter of w that s names; after as given. */
static void bind_walk(sqlite3_stmt *s, const caselist_walk *w, int64_t after) {
    bind_text(s, ":state", w->state);
    bind_text(s, ":cat", w->category);
    bind_text(s, ":grp", w->group);
    bind_text(s, ":src", w->source);
    bind_text(s, ":rating", w->rating);
    bind_text(s, ":area", w->area_prefix);
    bind_text(s, ":match", w->match);
    bind_i64(s, ":dept", w->dept_id);
    bind_i64(s, ":inv", w->involved_dept);
    bind_i64(s, ":rep", w->reporter_id);
    bind_i64(s, ":asg", w->assignee_id);
    bind_i64(s, ":flags", (int64_t)w->flags);
    bind_i64(s, ":c0", w->created_lo);
    bind_i64(s, ":c1", w->created_hi);
    int64_t lo, hi;
    bounds(w, after, &lo, &hi);
    bind_i64(s, ":lo", lo);
    bind_i64(s, ":hi", hi);
}

static jc_err prepare_part(sqlite3 *db, const caselist_walk *w, int part, sqlite3_stmt **out) {
    jc_buf b;
    jc_buf_init(&b, 1024);
    jc_err e = walk_sql(w, part, &b);
    if (!e && sqlite3_prepare_v2(db, b.data, -1, out, NULL) != SQLITE_OK) {
        /* a malformed MATCH expression fails at the step, not here */
        e = sq_fail(db, "caselist", b.data);
    }
    jc_buf_free(&b);
    return e;
}

/* ---- walking ------------------------------------------------------------------------- */

typedef struct {
    const caselist_walk *w;
    caselist_row_fn fn;
    void *arg;
    caselist_result *r;
    int stop; /* limit or budget reached */
} walk_ctx;

/* One examined row of s (selected as STORE_CASE_COLS then the conditions):
 * counts it, hands it to fn when it meets them; -1 on error. */
static int examine(walk_ctx *x, sqlite3_stmt *s) {
    x->r->examined++;
    x->r->stopped_at = sqlite3_column_int64(s, 0);
    if (sqlite3_column_int(s, 25)) {
        jc_case k;
        store_sqlite_case_row(s, &k);
        int t = x->fn(&k, x->arg);
        case_clear(&k);
        if (t < 0) return -1;
        x->r->taken += t;
    }
    if (x->r->taken >= x->w->limit || x->r->examined >= x->w->budget) x->stop = 1;
    return 0;
}

/* Steps a scan statement to its end or the stop. */
static jc_err run_scan(sqlite3 *db, sqlite3_stmt *s, walk_ctx *x) {
    int rc = SQLITE_DONE;
    while (!x->stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
        if (examine(x, s)) return JC_ERR_INTERNAL;
    if (x->stop) return JC_OK;
    return rc == SQLITE_DONE ? JC_OK : sq_fail(db, "caselist", "walk");
}

/* Steps an id statement, reading each id's row with row. */
static jc_err run_ids(sqlite3 *db, sqlite3_stmt *ids, sqlite3_stmt *row, walk_ctx *x) {
    int rc = SQLITE_DONE;
    while (!x->stop && (rc = sqlite3_step(ids)) == SQLITE_ROW) {
        sqlite3_reset(row);
        sqlite3_bind_int64(row, sqlite3_bind_parameter_index(row, ":id"), sqlite3_column_int64(ids, 0));
        int rr = sqlite3_step(row);
        if (rr == SQLITE_ROW) {
            if (examine(x, row)) return JC_ERR_INTERNAL;
        } else if (rr != SQLITE_DONE) {
            return sq_fail(db, "caselist", "walk row");
        }
    }
    if (x->stop) return JC_OK;
    if (rc == SQLITE_DONE) return JC_OK;
    /* a MATCH expression FTS5 cannot parse */
    return rc == SQLITE_ERROR && strstr(sqlite3_errmsg(db), "fts5") ? JC_ERR_INVALID : sq_fail(db, "caselist", "walk ids");
}

/* A text walk of two terms or more over the indexed cases: one statement
 * per term walks that term's matches alone in the walk's order (FTS5
 * bounds a single term by a rowid range, lazily, but not an AND of terms:
 * `MATCH 'aa bb' AND rowid BETWEEN ..` read the rarer term's whole list,
 * 0.9 ms at 1 M cases whatever the range), and the lists are merged here:
 * the cursors behind the furthest one step on until all stand on one id,
 * a candidate, whose row is examined.  Every id stepped counts towards
 * the budget, so two common terms that rarely meet cost a bounded page:
 * at the budget the walk stops just before the furthest cursor (every id
 * before it is settled: in no list that was read past it, or examined),
 * and the next page goes on from there. */
#define TERM_SQL "SELECT rowid FROM case_fts WHERE case_fts MATCH ?1 AND rowid >= ?2 AND rowid <= ?3 ORDER BY rowid "

static int match_terms(const char *m) {
    int n = 0;
    for (const char *p = m; *p;) {
        while (*p == ' ') p++;
        if (!*p) break;
        n++;
        while (*p && *p != ' ') p++;
    }
    return n;
}

static jc_err run_terms(sqlite3 *db, const caselist_walk *w, int64_t after, sqlite3_stmt *row, walk_ctx *x) {
    int n = match_terms(w->match), ended = 0;
    sqlite3_stmt **s = calloc((size_t)n, sizeof *s);
    int64_t *cur = calloc((size_t)n, sizeof *cur);
    jc_err e = s && cur ? JC_OK : JC_ERR_NOMEM;
    int64_t lo, hi;
    bounds(w, after, &lo, &hi);
    const char *p = w->match;
    for (int i = 0; i < n && !e; i++) {
        while (*p == ' ') p++;
        const char *t = p;
        while (*p && *p != ' ') p++;
        if (sqlite3_prepare_v2(db, w->asc ? TERM_SQL "ASC" : TERM_SQL "DESC", -1, &s[i], NULL) != SQLITE_OK) {
            e = sq_fail(db, "caselist", "walk term");
            break;
        }
        sqlite3_bind_text(s[i], 1, t, (int)(p - t), SQLITE_TRANSIENT);
        sqlite3_bind_int64(s[i], 2, lo);
        sqlite3_bind_int64(s[i], 3, hi);
    }
    /* steps cursor i: its next id in cur[i], or ended */
#define STEP(i)                                                            \
    do {                                                                   \
        int rc_ = sqlite3_step(s[i]);                                      \
        x->r->examined++;                                                  \
        if (rc_ == SQLITE_ROW) cur[i] = sqlite3_column_int64(s[i], 0);     \
        else if (rc_ == SQLITE_DONE) ended = 1;                            \
        else e = rc_ == SQLITE_ERROR && strstr(sqlite3_errmsg(db), "fts5") \
                     ? JC_ERR_INVALID                                      \
                     : sq_fail(db, "caselist", "walk term");               \
    } while (0)
    for (int i = 0; i < n && !e && !ended; i++) STEP(i);
    while (!e && !ended && !x->stop) {
        /* the furthest cursor in the walk's order */
        int64_t far = cur[0];
        for (int i = 1; i < n; i++)
            if (w->asc ? cur[i] > far : cur[i] < far) far = cur[i];
        int all = 1;
        for (int i = 0; i < n; i++) all &= cur[i] == far;
        if (all) {
            sqlite3_reset(row);
            sqlite3_bind_int64(row, sqlite3_bind_parameter_index(row, ":id"), far);
            int rr = sqlite3_step(row);
            if (rr == SQLITE_ROW) {
                if (examine(x, row)) e = JC_ERR_INTERNAL;
            } else if (rr != SQLITE_DONE) {
                e = sq_fail(db, "caselist", "walk row");
            }
            for (int i = 0; i < n && !e && !ended && !x->stop; i++) STEP(i);
        } else {
            for (int i = 0; i < n && !e && !ended; i++)
                if (cur[i] != far) STEP(i);
        }
        if (!e && !ended && !x->stop && x->r->examined >= w->budget) {
            /* stop just before the furthest cursor: it is not settled yet */
            far = cur[0];
            for (int i = 1; i < n; i++)
                if (w->asc ? cur[i] > far : cur[i] < far) far = cur[i];
            x->r->stopped_at = w->asc ? far - 1 : far + 1;
            x->stop = 1;
        }
    }
#undef STEP
    for (int i = 0; s && i < n; i++) sqlite3_finalize(s[i]);
    free(s);
    free(cur);
    return e;
}

/* The highest case id the text index holds (the cases above it are not
 * indexed yet). */
static jc_err indexed_mark(jc_conn *c, int64_t *upto) {
    static const char sql[] = "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'caselist.indexed'";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    int rc = sqlite3_step(s);
    *upto = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), "caselist", "indexed");
}

static jc_err sq_walk(jc_conn *c, const caselist_walk *w, caselist_row_fn fn, void *arg,
                           caselist_result *out) {
    memset(out, 0, sizeof *out);
    sqlite3 *db = store_sqlite_db(c);
    walk_ctx x = {w, fn, arg, out, 0};
    int64_t after = w->after ? w->after : w->asc ? 0 : INT64_MAX;
    sqlite3_stmt *scan = NULL, *ids = NULL, *row = NULL;
    jc_err e = JC_OK;
    if (w->by == CL_BY_INVOLVED || w->by == CL_BY_TEXT) {
        if ((e = prepare_part(db, w, PART_IDS, &ids)) || (e = prepare_part(db, w, PART_ROW, &row))) goto out;
        bind_walk(row, w, after);
    }
    if (w->by == CL_BY_INVOLVED) {
        bind_walk(ids, w, after);
        e = run_ids(db, ids, row, &x);
    } else if (w->by == CL_BY_TEXT) {
        /* the cases above the indexed mark are read from the table: first
         * newest first, last oldest first; the keyset goes across both */
        int64_t upto;
        if ((e = indexed_mark(c, &upto)) || (e = prepare_part(db, w, PART_SCAN, &scan))) goto out;
        caselist_walk above = *w, below = *w;
        if (above.id_lo <= upto) above.id_lo = upto + 1;
        if (!below.id_hi || below.id_hi > upto) below.id_hi = upto;
        int any_above = !above.id_hi || above.id_lo <= above.id_hi, any_below = upto > 0 && below.id_lo <= below.id_hi;
        bind_walk(scan, &above, after);
        bind_walk(ids, &below, after);
        for (int part = 0; part < 2 && !e && !x.stop; part++) {
            if ((part == 0) == !w->asc) e = any_above ? run_scan(db, scan, &x) : JC_OK;
            else if (!any_below) e = JC_OK;
            else if (match_terms(w->match) > 1) e = run_terms(db, &below, after, row, &x);
            else e = run_ids(db, ids, row, &x);
        }
    } else {
        if ((e = prepare_part(db, w, PART_SCAN, &scan))) goto out;
        bind_walk(scan, w, after);
        e = run_scan(db, scan, &x);
    }
    out->more = x.stop;
out:
    sqlite3_finalize(scan);
    sqlite3_finalize(ids);
    sqlite3_finalize(row);
    return e;
}

static jc_err sq_plan(jc_conn *c, const caselist_walk *w, jc_buf *b) {
    sqlite3 *db = store_sqlite_db(c);
    int parts[2] = {PART_SCAN, -1};
    if (w->by == CL_BY_INVOLVED) parts[0] = PART_IDS;
    if (w->by == CL_BY_TEXT) parts[1] = PART_IDS;
    jc_err e = JC_OK;
    for (int p = 0; p < 2 && parts[p] >= 0 && !e; p++) {
        jc_buf q;
        jc_buf_init(&q, 1024);
        e = jc_buf_puts(&q, "EXPLAIN QUERY PLAN ");
        if (!e) e = walk_sql(w, parts[p], &q);
        sqlite3_stmt *s = NULL;
        if (!e && sqlite3_prepare_v2(db, q.data, -1, &s, NULL) != SQLITE_OK) e = sq_fail(db, "caselist", q.data);
        jc_buf_free(&q);
        while (!e && sqlite3_step(s) == SQLITE_ROW) e = jc_buf_printf(b, "%s\n", sq_col_str(s, 3));
        sqlite3_finalize(s);
    }
    return e;
}

static jc_err sq_id_range(jc_conn *c, int64_t t0, int64_t t1, int64_t *lo, int64_t *hi) {
    /* by the index on created_at (open311_cases_created): two seeks */
    static const char first[] = "SELECT id FROM cases WHERE created_at >= ?1 ORDER BY created_at, id LIMIT 1";
    static const char last[] = "SELECT id FROM cases WHERE created_at < ?1 ORDER BY created_at DESC, id DESC LIMIT 1";
    *lo = 1;
    *hi = 0;
    sqlite3_stmt *s = store_sqlite_prepare(c, first);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, t0);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *lo = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), "caselist", "id range");
    if (!(s = store_sqlite_prepare(c, last))) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, t1);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *hi = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), "caselist", "id range");
}

static jc_err sq_unindexed(jc_conn *c, int64_t *n) {
    static const char sql[] = "SELECT count(*) FROM cases WHERE id > ?1";
    int64_t upto;
    jc_err e = indexed_mark(c, &upto);
    sqlite3_stmt *s = e ? NULL : store_sqlite_prepare(c, sql);
    if (!e && !s) e = JC_ERR_DB;
    if (e) return e;
    sqlite3_bind_int64(s, 1, upto);
    int rc = sqlite3_step(s);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? JC_OK : sq_fail(store_sqlite_db(c), "caselist", "unindexed");
}

static jc_err sq_index(jc_conn *w, int max, caselist_terms_fn fn, int *done) {
    static const char sel[] = "SELECT " STORE_CASE_COLS " FROM cases WHERE id > ?1 ORDER BY id LIMIT ?2";
    static const char ins[] = "INSERT INTO case_fts(rowid, terms) VALUES(?1, ?2)";
    static const char mark[] = "UPDATE meta SET value = ?1 WHERE key = 'caselist.indexed'";
    *done = 0;
    int64_t upto;
    jc_err e = indexed_mark(w, &upto);
    if (e) return e;
    sqlite3 *db = store_sqlite_db(w);
    sqlite3_stmt *s = store_sqlite_prepare(w, sel);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, upto);
    sqlite3_bind_int(s, 2, max);
    jc_buf b;
    jc_buf_init(&b, 4096);
    int rc = SQLITE_DONE;
    while (!e && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        jc_case k;
        store_sqlite_case_row(s, &k);
        b.len = 0;
        e = fn(&k, &b);
        sqlite3_stmt *i = e ? NULL : store_sqlite_prepare(w, ins);
        if (!e && !i) e = JC_ERR_DB;
        if (!e) {
            sqlite3_bind_int64(i, 1, k.id);
            sqlite3_bind_text(i, 2, b.data ? b.data : "", (int)b.len, SQLITE_STATIC);
            e = sq_step_done(db, i, "caselist", "index");
        }
        if (!e) upto = k.id, (*done)++;
        case_clear(&k);
    }
    if (!e && rc != SQLITE_DONE && rc != SQLITE_ROW) e = sq_fail(db, "caselist", "index read");
    sqlite3_reset(s);
    jc_buf_free(&b);
    if (!e && *done) {
        sqlite3_stmt *m = store_sqlite_prepare(w, mark);
        if (!m) return JC_ERR_DB;
        sqlite3_bind_int64(m, 1, upto);
        e = sq_step_done(db, m, "caselist", "index mark");
    }
    return e;
}

const caselist_store_ops caselist_store_sqlite = {sq_walk, sq_plan, sq_id_range, sq_unindexed, sq_index};
