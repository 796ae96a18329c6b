/*
 * admin_sqlite.c -- the SQLite half of the admin module (see
 * admin_store.h; admin_pg.c is its PostgreSQL twin).  It has no tables of
 * its own: it updates the core users table and reads the core audit table
 * (newest first by seq within the window admin.c chooses; a case filter
 * uses the audit_case index).
 */
#include "admin_store.h"
#include "store_sqlite.h"

#include <stdio.h>
#include <string.h>

#define TAG "admin"

static const char sql_user_update[] =
    "UPDATE users SET display=?, role=?, area=?, dept_id=?, phone=?, disabled=? WHERE id=?";

static jc_err sq_user_update(jc_conn *w, const jc_user *u) {
    sqlite3_stmt *s = store_sqlite_prepare(w, sql_user_update);
    if (!s) return JC_ERR_DB;
    sq_bind_text_opt(s, 1, u->display);
    sq_bind_text(s, 2, role_name(u->role));
    sq_bind_text_opt(s, 3, u->area);
    sq_bind_i64_opt(s, 4, u->dept_id);
    sq_bind_text_opt(s, 5, u->phone);
    sqlite3_bind_int(s, 6, u->disabled ? 1 : 0);
    sqlite3_bind_int64(s, 7, u->id);
    jc_err e = sq_step_done(store_sqlite_db(w), s, TAG, "user update");
    if (!e && sqlite3_changes(store_sqlite_db(w)) == 0) return JC_ERR_NOTFOUND;
    return e;
}

/* A hash column as hex: 32 bytes (current rows) or hex text (older ones). */
static void hash_hex(sqlite3_stmt *s, int i, char out[65]) {
    if (sqlite3_column_type(s, i) == SQLITE_BLOB && sqlite3_column_bytes(s, i) == 32)
        jc_hex(sqlite3_column_blob(s, i), 32, out);
    else if (sqlite3_column_type(s, i) == SQLITE_BLOB && sqlite3_column_bytes(s, i) == 0)
        out[0] = 0;
    else
        sq_col_copy(s, i, out, 65);
}

static const char sql_audit[] =
    "SELECT a.seq, COALESCE(a.case_id, 0), a.at, COALESCE(a.actor_id, 0), a.actor, a.role, a.action,"
    " a.from_state, a.to_state, a.reason, a.payload_hash, a.state_hash, " SQ_AUDIT_PREV_HASH ", a.hash,"
    " c.id, c.area, c.created_at, COALESCE(u.display, '')"
    " FROM audit a LEFT JOIN cases c ON c.id = a.case_id LEFT JOIN users u ON u.id = a.actor_id"
    " WHERE a.seq < ?1 AND a.seq >= ?2"
    " AND (?3 IS NULL OR a.actor = ?3) AND (?4 IS NULL OR a.action = ?4)"
    " AND (?6 = 0 OR a.at >= ?6) AND (?7 = 0 OR a.at < ?7)"
    " AND (?8 = '' OR substr(c.area, 1, length(?8)) = ?8)"
    " ORDER BY a.seq DESC LIMIT ?9";
static const char sql_audit_case[] =
    "SELECT a.seq, COALESCE(a.case_id, 0), a.at, COALESCE(a.actor_id, 0), a.actor, a.role, a.action,"
    " a.from_state, a.to_state, a.reason, a.payload_hash, a.state_hash, " SQ_AUDIT_PREV_HASH ", a.hash,"
    " c.id, c.area, c.created_at, COALESCE(u.display, '')"
    " FROM audit a LEFT JOIN cases c ON c.id = a.case_id LEFT JOIN users u ON u.id = a.actor_id"
    " WHERE a.case_id = ?5 AND a.seq < ?1 AND a.seq >= ?2"
    " AND (?3 IS NULL OR a.actor = ?3) AND (?4 IS NULL OR a.action = ?4)"
    " AND (?6 = 0 OR a.at >= ?6) AND (?7 = 0 OR a.at < ?7)"
    " AND (?8 = '' OR substr(c.area, 1, length(?8)) = ?8)"
    " ORDER BY a.seq DESC LIMIT ?9";

static jc_err sq_audit_head(jc_conn *c, int64_t *seq) {
    static const char sql[] = "SELECT COALESCE(max(seq), 0) FROM audit";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    int rc = sqlite3_step(s);
    *seq = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? JC_OK : sq_fail(store_sqlite_db(c), TAG, "audit head");
}

/* (the index on audit(at) is open311's migration 1) */
static int64_t sq_audit_seq_at(jc_conn *c, int64_t at, int before) {
    static const char sql_before[] = "SELECT seq FROM audit WHERE at < ? ORDER BY at DESC LIMIT 1";
    static const char sql_after[] = "SELECT seq FROM audit WHERE at >= ? ORDER BY at LIMIT 1";
    sqlite3_stmt *s = store_sqlite_prepare(c, before ? sql_before : sql_after);
    if (!s) return 0;
    sqlite3_bind_int64(s, 1, at);
    int64_t seq = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return seq;
}

static jc_err sq_audit_rows(jc_conn *c, const admin_audit_filter *f, int64_t before, int64_t from_seq,
                            admin_audit_fn cb, void *arg, int *count, int64_t *last) {
    sqlite3_stmt *s = store_sqlite_prepare(c, f->case_id ? sql_audit_case : sql_audit);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, before);
    sqlite3_bind_int64(s, 2, from_seq);
    sq_bind_text_opt(s, 3, f->actor);
    sq_bind_text_opt(s, 4, f->action);
    sqlite3_bind_int64(s, 5, f->case_id);
    sqlite3_bind_int64(s, 6, f->from_ms);
    sqlite3_bind_int64(s, 7, f->to_ms);
    sq_bind_text_empty(s, 8, f->area_prefix);
    sqlite3_bind_int(s, 9, f->limit);
    int rc, n = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        jc_audit e;
        memset(&e, 0, sizeof e);
        e.seq = sqlite3_column_int64(s, 0);
        e.case_id = sqlite3_column_int64(s, 1);
        e.at_ms = sqlite3_column_int64(s, 2);
        e.actor_id = sqlite3_column_int64(s, 3);
        sq_col_copy(s, 4, e.actor, sizeof e.actor);
        sq_col_copy(s, 5, e.role, sizeof e.role);
        sq_col_copy(s, 6, e.action, sizeof e.action);
        sq_col_copy(s, 7, e.from_state, sizeof e.from_state);
        sq_col_copy(s, 8, e.to_state, sizeof e.to_state);
        e.reason = sqlite3_column_type(s, 9) == SQLITE_NULL ? NULL : (char *)sqlite3_column_text(s, 9);
        hash_hex(s, 10, e.payload_hash);
        hash_hex(s, 11, e.state_hash);
        hash_hex(s, 12, e.prev_hash);
        hash_hex(s, 13, e.hash);
        jc_case k;
        memset(&k, 0, sizeof k);
        int has_case = sqlite3_column_type(s, 14) != SQLITE_NULL;
        if (has_case) {
            k.id = sqlite3_column_int64(s, 14);
            sq_col_copy(s, 15, k.area, sizeof k.area);
            k.created_ms = sqlite3_column_int64(s, 16);
        }
        *last = e.seq;
        n++;
        if (cb(&e, has_case ? &k : NULL, sq_col_str(s, 17), arg)) break;
    }
    jc_err e = rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), TAG, "audit");
    sqlite3_reset(s);
    *count = n;
    return e;
}

const admin_store_ops admin_store_sqlite = {sq_user_update, sq_audit_head, sq_audit_seq_at, sq_audit_rows};
