/*
 * auth_sqlite.c -- module "auth": the login-throttling table behind
 * auth_store.h (the policy is in auth.c).
 */
#include "auth_store.h"
#include "store.h"
#include "store_sqlite.h"

#include <sqlite3.h>
#include <string.h>

static const char *const auth_migrations[] = {
    /* 1: failed logins per account name and per client address */
    "CREATE TABLE login_throttle(key TEXT PRIMARY KEY, failures INTEGER NOT NULL,"
    "  last_at INTEGER NOT NULL, locked_until INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX login_throttle_last ON login_throttle(last_at);",
};

const jc_schema schema_auth = {"auth", auth_migrations, (int)JC_ARRAY_LEN(auth_migrations)};

static void row_of(sqlite3_stmt *s, auth_throttle_row *out) {
    memset(out, 0, sizeof *out);
    sq_col_copy(s, 0, out->key, sizeof out->key);
    out->failures = sqlite3_column_int(s, 1);
    out->last_at = sqlite3_column_int64(s, 2);
    out->locked_until = sqlite3_column_int64(s, 3);
}

static jc_err sqlite_get(jc_conn *c, const char *key, auth_throttle_row *out) {
    static const char sql[] = "SELECT key, failures, last_at, locked_until FROM login_throttle WHERE key=?";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, key);
    int rc = sqlite3_step(s);
    jc_err e = rc == SQLITE_ROW ? JC_OK : rc == SQLITE_DONE ? JC_ERR_NOTFOUND : sq_fail(store_sqlite_db(c), "auth", "throttle get");
    if (rc == SQLITE_ROW) row_of(s, out);
    sqlite3_reset(s);
    return e;
}

static jc_err sqlite_put(jc_conn *w, const auth_throttle_row *row, int64_t forget_before) {
    static const char forget[] = "DELETE FROM login_throttle WHERE last_at < ? AND locked_until < ?";
    static const char put[] = "INSERT INTO login_throttle(key, failures, last_at, locked_until) VALUES(?,?,?,?)"
                              " ON CONFLICT(key) DO UPDATE SET failures=excluded.failures,"
                              " last_at=excluded.last_at, locked_until=excluded.locked_until";
    sqlite3_stmt *s = store_sqlite_prepare(w, forget);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, forget_before);
    sqlite3_bind_int64(s, 2, row->last_at);
    jc_err e = sq_step_done(store_sqlite_db(w), s, "auth", "throttle forget");
    if (e) return e;
    if (!(s = store_sqlite_prepare(w, put))) return JC_ERR_DB;
    sq_bind_text(s, 1, row->key);
    sqlite3_bind_int(s, 2, row->failures);
    sqlite3_bind_int64(s, 3, row->last_at);
    sqlite3_bind_int64(s, 4, row->locked_until);
    return sq_step_done(store_sqlite_db(w), s, "auth", "throttle put");
}

static jc_err sqlite_delete(jc_conn *w, const char *key) {
    static const char sql[] = "DELETE FROM login_throttle WHERE key=?";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, key);
    jc_err e = sq_step_done(store_sqlite_db(w), s, "auth", "throttle delete");
    if (!e && sqlite3_changes(store_sqlite_db(w)) == 0) e = JC_ERR_NOTFOUND;
    return e;
}

static jc_err sqlite_each(jc_conn *c, int (*cb)(const auth_throttle_row *row, void *arg), void *arg) {
    static const char sql[] = "SELECT key, failures, last_at, locked_until FROM login_throttle"
                              " ORDER BY last_at DESC LIMIT 1000";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        auth_throttle_row row;
        row_of(s, &row);
        if (cb(&row, arg)) break;
    }
    jc_err e = rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), "auth", "throttle list");
    sqlite3_reset(s);
    return e;
}

const auth_store_ops auth_store_sqlite = {sqlite_get, sqlite_put, sqlite_delete, sqlite_each};
