/*
 * fill_sqlite.c -- the SQLite half of `jiceng bench-fill` (fill_store.h):
 * inserts into the dispatch tables (dispatch_sqlite.c) the rows a generated
 * case has when it reaches its last state.
 */
#include "fill_store.h"
#include "store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

jc_err fill_store_active_list(jc_conn *c, int *version, char **csv) {
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

jc_err fill_store_route(jc_conn *w, const fill_route *r) {
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

jc_err fill_store_owner(jc_conn *w, int64_t case_id, int64_t dept_id, int lead, int64_t start_at,
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

jc_err fill_store_phase(jc_conn *w, const fill_phase *p) {
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

jc_err fill_store_return(jc_conn *w, int64_t case_id, int64_t dept_id, const char *reason, int64_t at,
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

void fill_store_cache(jc_conn *w, int mib) {
    char sql[64];
    /* a negative cache_size is in KiB; SQLite's default is -2000 */
    snprintf(sql, sizeof sql, "PRAGMA cache_size=%d", mib > 0 ? -1024 * mib : -2000);
    sq_exec(store_sqlite_db(w), "fill", sql);
}
