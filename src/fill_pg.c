/*
 * fill_pg.c -- the PostgreSQL table of `jiceng bench-fill` (fill_store.h;
 * fill_sqlite.c is its twin: the same rows).
 *  - Audit entries go through the store's own append (store_pg.c): the
 *    writer keeps a batch's entries and chains them at its end under the
 *    chain's lock with one COPY, so the seq and hashes the generator
 *    computed are replaced by the same ones (or by later ones if another
 *    instance appended meanwhile: the chain stays one).
 *  - The other rows of a chunk -- cases (with the ids bench-fill reserved),
 *    routes, owners, phases, returns and evaluation facts -- are kept here as
 *    lines of COPY's text format, built from the same parameters the
 *    statements of the product take (so the same text reaches the server),
 *    and written at the chunk's end (flush) with one COPY a table, cases
 *    first.  A statement a row cost a round trip each, ~7 a case: 800 cases/s
 *    at 1 M (docs/scale.md).  The buffers are this file's (one writer thread
 *    fills at a time); a flush empties them whatever its outcome.
 *  - A case's id is taken by bench-fill with one nextval and the next ones
 *    are used in order: bulk_end moves the sequence past the highest id, so
 *    that the next case created anywhere takes a free one.
 *  - Bulk mode (a store smaller than what comes) sets the secondary indexes
 *    of the tables it writes and the counting triggers of cases aside, as
 *    on SQLite, and builds them again at the end (BULK_TABLES below); it
 *    turns synchronous_commit off for the writer's session while it fills
 *    -- a crash then loses the last commits, and a fill that fails is
 *    started again on a new database anyway.
 */
#include "fill_store.h"
#include "chain.h"
#include "store_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- rows kept as COPY lines ------------------------------------------------ */

typedef struct {
    const char *copy; /* the COPY statement */
    const char *what; /* for the log */
    jc_buf b;
    size_t rows;
} copy_table;

enum { T_CASES, T_ROUTE, T_OWNER, T_PHASE, T_RETURN, T_FACTS, T__N };

/* in the order they are written: cases before the rows that name them */
static copy_table tables[T__N] = {
    [T_CASES] = {"COPY cases(title, body, category, source, state, area, lon, lat, address, reporter_id, phone,"
                 " dept_id, priority, deadline_at, held_from, merged_into, escalation, rating, extra, created_at,"
                 " updated_at, version, flags, assignee_id, id) FROM STDIN", "cases", {0}, 0},
    [T_ROUTE] = {"COPY case_route(case_id, list_version, entry_id, category, scope, lead_dept, co_depts,"
                 " legal_basis, grid, located, manual, explanation, routed_at) FROM STDIN", "routes", {0}, 0},
    [T_OWNER] = {"COPY case_owner(case_id, dept_id, role, start_at, end_at, end_reason) FROM STDIN", "owners", {0}, 0},
    [T_PHASE] = {"COPY case_phase(case_id, phase, dept_id, user_id, start_at, deadline_at, end_at,"
                 " end_reason, reminded_at, overdue_at, level, next_at) FROM STDIN", "phases", {0}, 0},
    [T_RETURN] = {"COPY returns(case_id, dept_id, reason_code, reason, at, decision, decided_at, decided_by)"
                  " FROM STDIN", "returns", {0}, 0},
    [T_FACTS] = {"COPY eval_facts(case_id, month, facts) FROM STDIN", "evaluation facts", {0}, 0},
};

/* Appends p's values to table t as one line of COPY's text format: NULL as
 * \N, backslash, newline, carriage return and tab escaped. */
static jc_err line(copy_table *t, const pg_params *p) {
    jc_buf *b = &t->b;
    jc_err e = JC_OK;
    for (int i = 0; i < p->n && !e; i++) {
        const char *v = p->v[i];
        if (!v) {
            e = jc_buf_append(b, "\\N", 2);
        } else {
            const char *run = v;
            for (const char *c = v; !e; c++) {
                const char *esc = *c == '\\' ? "\\\\" : *c == '\n' ? "\\n" : *c == '\r' ? "\\r" : *c == '\t' ? "\\t" : NULL;
                if (!esc && *c) continue;
                if (c > run) e = jc_buf_append(b, run, (size_t)(c - run));
                if (!*c) break;
                if (!e) e = jc_buf_append(b, esc, 2);
                run = c + 1;
            }
        }
        if (!e) e = jc_buf_append(b, i + 1 < p->n ? "\t" : "\n", 1);
    }
    if (!e) t->rows++;
    return e;
}

/* Empties the kept lines (a chunk's table is some MB: a cap of 1 GiB). */
static void tables_clear(void) {
    for (int i = 0; i < T__N; i++) {
        jc_buf_free(&tables[i].b);
        jc_buf_init(&tables[i].b, (size_t)1 << 30);
        tables[i].rows = 0;
    }
}

/* One table's kept lines with one COPY. */
static jc_err copy_out(jc_conn *w, copy_table *t) {
    PGconn *pg = store_pg_raw(w);
    PGresult *r = PQexec(pg, t->copy);
    jc_err e = JC_OK;
    int copying = PQresultStatus(r) == PGRES_COPY_IN;
    if (!copying) {
        jc_log(JC_LOG_ERROR, "fill: copy of %s: %s", t->what, PQresultErrorMessage(r));
        e = JC_ERR_DB;
    }
    PQclear(r);
    if (!copying) return e;
    /* PQputCopyData takes an int: a chunk's table is some MB, sent in parts */
    for (size_t off = 0; off < t->b.len && !e; off += 1 << 20) {
        size_t n = t->b.len - off < (1u << 20) ? t->b.len - off : 1u << 20;
        if (PQputCopyData(pg, t->b.data + off, (int)n) != 1) e = JC_ERR_DB;
    }
    if (PQputCopyEnd(pg, e ? "not sent" : NULL) != 1) e = JC_ERR_DB;
    while ((r = PQgetResult(pg))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && !e) {
            jc_log(JC_LOG_ERROR, "fill: copy of %s: %s", t->what, PQresultErrorMessage(r));
            e = JC_ERR_DB;
        }
        PQclear(r);
    }
    if (e == JC_ERR_DB && PQstatus(pg) != CONNECTION_OK) jc_log(JC_LOG_ERROR, "fill: copy of %s: %s", t->what, PQerrorMessage(pg));
    return e;
}

static jc_err pg_flush(jc_conn *w) {
    jc_err e = JC_OK;
    for (int i = 0; i < T__N && !e; i++)
        if (tables[i].rows) e = copy_out(w, &tables[i]);
    tables_clear();
    return e;
}

static jc_err pg_active_list(jc_conn *c, int *version, char **csv) {
    static const char sql[] = "SELECT version, csv FROM duty_lists WHERE active=1 ORDER BY version DESC LIMIT 1";
    *version = 0;
    *csv = NULL;
    jc_err e;
    PGresult *r = pg_run(c, sql, NULL, "fill", "active list", &e);
    if (!r) return e;
    if (PQntuples(r)) {
        *version = (int)pg_i64(r, 0, 0);
        if (!(*csv = pg_dup(r, 0, 1))) e = JC_ERR_NOMEM;
    }
    PQclear(r);
    return e;
}

static jc_err pg_audit_tail(jc_conn *c, int64_t *seq, char hash[65]) {
    static const char sql[] = "SELECT seq, encode(hash, 'hex') FROM audit ORDER BY seq DESC LIMIT 1";
    *seq = 0;
    chain_genesis(hash);
    jc_err e;
    PGresult *r = pg_run(c, sql, NULL, "fill", "audit tail", &e);
    if (!r) return e;
    if (PQntuples(r)) {
        *seq = pg_i64(r, 0, 0);
        pg_copy(r, 0, 1, hash, 65);
    }
    PQclear(r);
    return JC_OK;
}

static jc_err pg_audit(jc_conn *w, const jc_audit *e) {
    jc_audit a = *e; /* the append assigns seq and hashes in its copy */
    return store_audit_append(w, &a);
}

static jc_err pg_route(jc_conn *w, const fill_route *r) {
    (void)w;
    pg_params p = {0};
    pgp_i64(&p, r->case_id);
    pgp_i64(&p, r->list_version);
    pgp_text(&p, r->entry_id);
    pgp_text(&p, r->category);
    pgp_text(&p, r->scope);
    pgp_text(&p, r->lead_dept);
    pgp_text(&p, r->co_depts);
    pgp_text(&p, r->manual ? NULL : "");
    pgp_text(&p, r->grid);
    pgp_text_empty(&p, r->located);
    pgp_i64(&p, r->manual);
    pgp_text_empty(&p, r->explanation);
    pgp_i64(&p, r->routed_at);
    return line(&tables[T_ROUTE], &p);
}

static jc_err pg_owner(jc_conn *w, int64_t case_id, int64_t dept_id, int lead, int64_t start_at, int64_t end_at,
                       const char *end_reason) {
    (void)w;
    pg_params p = {0};
    pgp_i64(&p, case_id);
    pgp_i64(&p, dept_id);
    pgp_text(&p, lead ? "lead" : "co");
    pgp_i64(&p, start_at);
    pgp_i64_opt(&p, end_at);
    pgp_text(&p, end_reason);
    return line(&tables[T_OWNER], &p);
}

static jc_err pg_phase(jc_conn *w, const fill_phase *ph) {
    (void)w;
    pg_params p = {0};
    pgp_i64(&p, ph->case_id);
    pgp_text(&p, ph->phase == 'a' ? "accept" : ph->phase == 'h' ? "handle" : "verify");
    pgp_i64_opt(&p, ph->dept_id);
    pgp_i64_opt(&p, ph->user_id);
    pgp_i64(&p, ph->start_at);
    pgp_i64_opt(&p, ph->deadline_at);
    pgp_i64_opt(&p, ph->end_at);
    pgp_text(&p, ph->end_reason);
    pgp_i64_opt(&p, ph->reminded_at);
    pgp_i64_opt(&p, ph->overdue_at);
    pgp_i64(&p, ph->level);
    pgp_i64_opt(&p, ph->next_at);
    return line(&tables[T_PHASE], &p);
}

static jc_err pg_return(jc_conn *w, int64_t case_id, int64_t dept_id, const char *reason, int64_t at,
                        int64_t decided_at, const char *decided_by) {
    (void)w;
    pg_params p = {0};
    pgp_i64(&p, case_id);
    pgp_i64(&p, dept_id);
    pgp_text(&p, "not_our_duty");
    pgp_text_empty(&p, reason);
    pgp_i64(&p, at);
    pgp_text(&p, "upheld");
    pgp_i64(&p, decided_at);
    pgp_text_empty(&p, decided_by);
    return line(&tables[T_RETURN], &p);
}

/* A case row with its id, its fields as store_pg.c's insert gives them. */
static jc_err pg_case_row(jc_conn *w, const jc_case *k) {
    (void)w;
    pg_params p = {0};
    pgp_text_empty(&p, k->title);
    pgp_text_empty(&p, k->body);
    pgp_text_empty(&p, k->category);
    pgp_text_empty(&p, k->source);
    pgp_text_empty(&p, state_name(k->state));
    pgp_text_empty(&p, k->area);
    if (k->has_point) {
        pgp_double(&p, k->lon);
        pgp_double(&p, k->lat);
    } else {
        pgp_text(&p, NULL);
        pgp_text(&p, NULL);
    }
    pgp_text_opt(&p, k->address);
    pgp_i64_opt(&p, k->reporter_id);
    pgp_text_opt(&p, k->phone);
    pgp_i64_opt(&p, k->dept_id);
    pgp_i64(&p, k->priority);
    pgp_i64_opt(&p, k->deadline_ms);
    pgp_text_opt(&p, k->held_from < ST__COUNT ? state_name(k->held_from) : NULL);
    pgp_i64_opt(&p, k->merged_into);
    pgp_i64(&p, k->escalation);
    pgp_text_opt(&p, k->rating);
    pgp_text_opt(&p, k->extra);
    pgp_i64(&p, k->created_ms);
    pgp_i64(&p, k->updated_ms);
    pgp_i64(&p, k->version ? k->version : 1);
    pgp_i64(&p, (int64_t)k->flags);
    pgp_i64_opt(&p, k->assignee_id);
    pgp_i64(&p, k->id);
    return line(&tables[T_CASES], &p);
}

/* A new case's evaluation facts (eval_pg.c's row: the bytes as bytea). */
static jc_err pg_facts(jc_conn *w, int64_t case_id, const char *month, const unsigned char *b, size_t len) {
    static const char digits[] = "0123456789abcdef";
    (void)w;
    char *hex = malloc(2 * len + 3);
    if (!hex) return JC_ERR_NOMEM;
    hex[0] = '\\', hex[1] = 'x';
    for (size_t i = 0; i < len; i++) hex[2 + 2 * i] = digits[b[i] >> 4], hex[3 + 2 * i] = digits[b[i] & 15];
    hex[2 + 2 * len] = 0;
    pg_params p = {0};
    pgp_i64(&p, case_id);
    pgp_text(&p, month);
    pgp_text(&p, hex);
    jc_err e = line(&tables[T_FACTS], &p);
    free(hex);
    return e;
}

/* What the bulk sets aside: the secondary indexes (those that back no
 * constraint: the primary keys stay, the audit chain's tail and the text
 * index's queue read by them) of the tables the fill writes, and the
 * counting triggers of cases (the dashboard's deltas: fill.c counts every
 * case itself when something was set aside).  The other triggers of cases
 * -- the text index's and the warnings' queues -- stay: the fill needs
 * their rows. */
#define BULK_TABLES "'cases','audit','case_route','case_owner','case_phase','returns','eval_facts'"

struct fill_bulk {
    int n;
    char **sql; /* CREATE statements as the catalog gives them back */
};

static void bulk_free(fill_bulk *b) {
    if (!b) return;
    for (int i = 0; i < b->n; i++) free(b->sql[i]);
    free(b->sql);
    free(b);
}

/* Runs sql (no parameters: DDL of the catalog's making) on w. */
static jc_err exec_ddl(jc_conn *w, const char *sql) {
    PGresult *r = PQexec(store_pg_raw(w), sql);
    jc_err e = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK ? JC_OK : JC_ERR_DB;
    if (e) jc_log(JC_LOG_ERROR, "fill: bulk: %s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    return e;
}

static jc_err pg_bulk_begin(jc_conn *w, int drop, fill_bulk **out) {
    static const char sync[] = "SELECT set_config('synchronous_commit', 'off', false)";
    static const char aside[] =
        "SELECT pg_get_indexdef(i.indexrelid), 'DROP INDEX ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname)"
        " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = current_schema() AND t.relname IN (" BULK_TABLES ")"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
        " UNION ALL"
        " SELECT pg_get_triggerdef(g.oid), 'DROP TRIGGER ' || quote_ident(g.tgname) || ' ON ' || quote_ident(t.relname)"
        " FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid JOIN pg_proc f ON f.oid = g.tgfoid"
        " JOIN pg_namespace n ON n.oid = t.relnamespace"
        " WHERE n.nspname = current_schema() AND t.relname = 'cases' AND NOT g.tgisinternal"
        " AND f.proname = 'stats_case_changed'";
    *out = NULL;
    tables_clear();
    jc_err e;
    PGresult *r = pg_run(w, sync, NULL, "fill", "bulk", &e);
    if (!r) return e;
    PQclear(r);
    if (!drop) return JC_OK;
    if (!(r = pg_run(w, aside, NULL, "fill", "bulk: the indexes", &e))) return e;
    fill_bulk *b = calloc(1, sizeof *b);
    int n = PQntuples(r);
    if (b && n && !(b->sql = calloc((size_t)n, sizeof *b->sql))) {
        free(b);
        b = NULL;
    }
    for (int i = 0; b && i < n; i++)
        if ((b->sql[i] = pg_dup(r, i, 0))) b->n++;
    e = !b || b->n < n ? JC_ERR_NOMEM : JC_OK;
    for (int i = 0; !e && i < n; i++) e = exec_ddl(w, pg_str(r, i, 1));
    PQclear(r);
    if (e) {
        bulk_free(b);
        return e;
    }
    *out = b;
    return JC_OK;
}

static jc_err pg_bulk_end(jc_conn *w, fill_bulk *b) {
    static const char seq[] =
        "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))";
    static const char sync[] = "SELECT set_config('synchronous_commit', 'on', false)";
    jc_err e = JC_OK;
    if (b) {
        /* the index builds sort in memory up to this (the default: 64 MB) */
        e = exec_ddl(w, "SET maintenance_work_mem = '512MB'");
        for (int i = 0; !e && i < b->n; i++) e = exec_ddl(w, b->sql[i]);
        if (!e) e = exec_ddl(w, "RESET maintenance_work_mem");
        /* the planner's statistics of what was written (autovacuum's
         * analyze would come a minute later, the first requests planned
         * on the empty tables' figures) */
        if (!e) e = exec_ddl(w, "ANALYZE cases, audit, case_route, case_owner, case_phase, returns, eval_facts");
    }
    bulk_free(b);
    if (e) return e;
    PGresult *r = pg_run(w, seq, NULL, "fill", "case ids", &e);
    if (!r) return e;
    PQclear(r);
    if (!(r = pg_run(w, sync, NULL, "fill", "bulk end", &e))) return e;
    PQclear(r);
    return JC_OK;
}

const fill_store_ops fill_store_pg = {
    .active_list = pg_active_list,
    .audit_tail = pg_audit_tail,
    .audit = pg_audit,
    .route = pg_route,
    .owner = pg_owner,
    .phase = pg_phase,
    .ret = pg_return,
    .bulk_begin = pg_bulk_begin,
    .bulk_end = pg_bulk_end,
    .case_row = pg_case_row,
    .facts = pg_facts,
    .flush = pg_flush,
};
