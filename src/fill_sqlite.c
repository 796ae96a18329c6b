/*
 * fill_sqlite.c -- the SQLite table of `jiceng bench-fill` (fill_store.h;
 * fill_pg.c is its PostgreSQL twin): inserts the audit entries (as
 * store_sqlite.c's append stores them: hashes as 32-byte blobs) and, into
 * the dispatch tables (dispatch_sqlite.c), the rows a generated case has
 * when it reaches its last state; the bulk mode sets the indexes and
 * triggers of those tables aside while they fill.
 */
#include "fill_store.h"
#include "store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static jc_err sq_active_list(jc_conn *c, int *version, char **csv) {
    static const char sql[] = "SELECT version, csv FROM duty_lists WHERE active=1 ORDER BY version DESC LIMIT 1";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    *version = 0;
    *csv = NULL;
    int rc = sqlite3_step(s);
    jc_err e = JC_OK;
    if (rc == SQLITE_ROW) {
        *version = sqlite3_column_int(s, 0);
        if (!(*csv = sq_col_dup(s, 1))) e = JC_ERR_NOMEM;
    } else if (rc != SQLITE_DONE) {
        e = sq_fail(store_sqlite_db(c), "fill", "active list");
    }
    sqlite3_reset(s);
    return e;
}

static void bind_time(sqlite3_stmt *s, int i, int64_t v) { sq_bind_i64_opt(s, i, v); }

static jc_err sq_route(jc_conn *w, const fill_route *r) {
    static const char sql[] =
        "INSERT INTO case_route(case_id, list_version, entry_id, category, scope, lead_dept, co_depts,"
        " legal_basis, grid, located, manual, explanation, routed_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, r->case_id);
    sqlite3_bind_int(s, 2, r->list_version);
    sq_bind_text(s, 3, r->entry_id);
    sq_bind_text(s, 4, r->category);
    sq_bind_text(s, 5, r->scope);
    sq_bind_text(s, 6, r->lead_dept);
    sq_bind_text(s, 7, r->co_depts);
    sq_bind_text(s, 8, r->manual ? NULL : "");
    sq_bind_text(s, 9, r->grid);
    sq_bind_text_empty(s, 10, r->located);
    sqlite3_bind_int(s, 11, r->manual);
    sq_bind_text_empty(s, 12, r->explanation);
    sqlite3_bind_int64(s, 13, r->routed_at);
    return sq_step_done(store_sqlite_db(w), s, "fill", "route");
}

static jc_err sq_owner(jc_conn *w, int64_t case_id, int64_t dept_id, int lead, int64_t start_at,
                       int64_t end_at, const char *end_reason) {
    static const char sql[] =
        "INSERT INTO case_owner(case_id, dept_id, role, start_at, end_at, end_reason) VALUES(?,?,?,?,?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_int64(s, 2, dept_id);
    sqlite3_bind_text(s, 3, lead ? "lead" : "co", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, start_at);
    bind_time(s, 5, end_at);
    sq_bind_text(s, 6, end_reason);
    return sq_step_done(store_sqlite_db(w), s, "fill", "owner");
}

static jc_err sq_phase(jc_conn *w, const fill_phase *p) {
    static const char sql[] =
        "INSERT INTO case_phase(case_id, phase, dept_id, user_id, start_at, deadline_at, end_at,"
        " end_reason, reminded_at, overdue_at, level, next_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    const char *name = p->phase == 'a' ? "accept" : p->phase == 'h' ? "handle" : "verify";
    sqlite3_bind_int64(s, 1, p->case_id);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    sq_bind_i64_opt(s, 3, p->dept_id);
    sq_bind_i64_opt(s, 4, p->user_id);
    sqlite3_bind_int64(s, 5, p->start_at);
    bind_time(s, 6, p->deadline_at);
    bind_time(s, 7, p->end_at);
    sq_bind_text(s, 8, p->end_reason);
    bind_time(s, 9, p->reminded_at);
    bind_time(s, 10, p->overdue_at);
    sqlite3_bind_int(s, 11, p->level);
    bind_time(s, 12, p->next_at);
    return sq_step_done(store_sqlite_db(w), s, "fill", "phase");
}

static jc_err sq_return(jc_conn *w, int64_t case_id, int64_t dept_id, const char *reason, int64_t at,
                        int64_t decided_at, const char *decided_by) {
    static const char sql[] =
        "INSERT INTO returns(case_id, dept_id, reason_code, reason, at, decision, decided_at, decided_by)"
        " VALUES(?,?,'not_our_duty',?,?,'upheld',?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_int64(s, 2, dept_id);
    sq_bind_text_empty(s, 3, reason);
    sqlite3_bind_int64(s, 4, at);
    sqlite3_bind_int64(s, 5, decided_at);
    sq_bind_text_empty(s, 6, decided_by);
    return sq_step_done(store_sqlite_db(w), s, "fill", "return");
}

static jc_err sq_audit_tail(jc_conn *c, int64_t *seq, char hash[65]) { return store_sqlite_audit_tail(c, seq, hash); }

static jc_err sq_audit(jc_conn *w, const jc_audit *e) { return store_sqlite_audit_insert(w, e); }

/* the tables a fill writes: their secondary indexes and triggers are set
 * aside during the bulk (a b-tree built once from sorted keys instead of
 * one random insert per row; the dashboard's counters that the triggers of
 * cases keep are counted by the generator instead, fill.c) */
#define BULK_TABLES "'cases','audit','case_route','case_owner','case_phase','returns'"
#define BULK_CACHE_MIB 512

struct fill_bulk {
    int n;
    char **sql;   /* CREATE statements as sqlite_master keeps them */
};

static void bulk_free(fill_bulk *b) {
    if (!b) return;
    for (int i = 0; i < b->n; i++) free(b->sql[i]);
    free(b->sql);
    free(b);
}

static jc_err sq_bulk_begin(jc_conn *w, int drop, fill_bulk **out) {
    sqlite3 *db = store_sqlite_db(w);
    char sql[64];
    /* a negative cache_size is in KiB */
    snprintf(sql, sizeof sql, "PRAGMA cache_size=%d", -1024 * BULK_CACHE_MIB);
    sq_exec(db, "fill", sql);
    *out = NULL;
    if (!drop) return JC_OK;
    fill_bulk *b = calloc(1, sizeof *b);
    if (!b) return JC_ERR_NOMEM;
    sqlite3_stmt *s = store_sqlite_prepare(
        w, "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index','trigger') AND sql IS NOT NULL"
           " AND tbl_name IN (" BULK_TABLES ") ORDER BY type, name");
    if (!s) {
        free(b);
        return JC_ERR_DB;
    }
    jc_err e = JC_OK;
    char (*drops)[160] = NULL;
    int rc;
    while (!e && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        char **sq = realloc(b->sql, (size_t)(b->n + 1) * sizeof *sq);
        char(*dr)[160] = realloc(drops, (size_t)(b->n + 1) * sizeof *dr);
        if (sq) b->sql = sq;
        if (dr) drops = dr;
        if (!sq || !dr || !(b->sql[b->n] = sq_col_dup(s, 2))) {
            e = JC_ERR_NOMEM;
            break;
        }
        /* names come from sqlite_master: quoted as identifiers */
        char *q = sqlite3_mprintf("DROP %s \"%w\"", (const char *)sqlite3_column_text(s, 0),
                                  (const char *)sqlite3_column_text(s, 1));
        if (!q) {
            free(b->sql[b->n]);
            e = JC_ERR_NOMEM;
            break;
        }
        snprintf(drops[b->n], sizeof drops[b->n], "%s", q);
        sqlite3_free(q);
        b->n++;
    }
    if (!e && rc != SQLITE_DONE) e = sq_fail(db, "fill", "bulk: the indexes");
    sqlite3_reset(s);
    for (int i = 0; !e && i < b->n; i++)
        if (sq_exec(db, "fill", drops[i]) != SQLITE_OK) e = JC_ERR_DB;
    free(drops);
    if (e) {
        bulk_free(b);
        return e;
    }
    *out = b;
    return JC_OK;
}

static jc_err sq_bulk_end(jc_conn *w, fill_bulk *b) {
    sqlite3 *db = store_sqlite_db(w);
    jc_err e = JC_OK;
    /* a helper thread for the sorts of CREATE INDEX (the keys of each index
     * are sorted in parallel runs): the 14 indexes of a 1 M-case store built
     * in 15.4 s instead of 20.5 s, the same CPU (10 s), load ~6, 2026-12-07 */
    sq_exec(db, "fill", "PRAGMA threads=2");
    for (int i = 0; b && !e && i < b->n; i++)
        if (sq_exec(db, "fill", b->sql[i]) != SQLITE_OK) e = JC_ERR_DB;
    bulk_free(b);
    sq_exec(db, "fill", "PRAGMA threads=0");
    /* SQLite's default cache (-2000: 2,000 KiB) */
    sq_exec(db, "fill", "PRAGMA cache_size=-2000");
    return e;
}

const fill_store_ops fill_store_sqlite = {
    .active_list = sq_active_list,
    .audit_tail = sq_audit_tail,
    .audit = sq_audit,
    .route = sq_route,
    .owner = sq_owner,
    .phase = sq_phase,
    .ret = sq_return,
    .bulk_begin = sq_bulk_begin,
    .bulk_end = sq_bulk_end,
};
