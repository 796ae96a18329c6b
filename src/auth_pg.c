/*
 * auth_pg.c -- module "auth" on PostgreSQL: the login-throttling table
 * behind auth_store.h (the policy is in auth.c; auth_sqlite.c is the SQLite
 * twin, same rows, same answers).
 */
#include "auth_store.h"
#include "store_pg.h"

#include <string.h>

static const char *const auth_migrations[] = {
    /* 1: failed logins per account name and per client address */
    "CREATE TABLE login_throttle(key TEXT PRIMARY KEY, failures INTEGER NOT NULL,"
    "  last_at BIGINT NOT NULL, locked_until BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX login_throttle_last ON login_throttle(last_at);",
};

const jc_schema schema_auth_pg = {"auth", auth_migrations, (int)JC_ARRAY_LEN(auth_migrations)};

#define COLUMNS "key, failures, last_at, locked_until"

static void row_of(const PGresult *r, int i, auth_throttle_row *out) {
    memset(out, 0, sizeof *out);
    pg_copy(r, i, 0, out->key, sizeof out->key);
    out->failures = (int)pg_i64(r, i, 1);
    out->last_at = pg_i64(r, i, 2);
    out->locked_until = pg_i64(r, i, 3);
}

static jc_err pg_get(jc_conn *c, const char *key, auth_throttle_row *out) {
    static const char sql[] = "SELECT " COLUMNS " FROM login_throttle WHERE key=$1";
    pg_params p = {0};
    pgp_text(&p, key);
    jc_err e;
    PGresult *r = pg_run(c, sql, &p, "auth", "throttle get", &e);
    if (!r) return e;
    if (PQntuples(r) == 0) e = JC_ERR_NOTFOUND;
    else row_of(r, 0, out);
    PQclear(r);
    return e;
}

static jc_err pg_put(jc_conn *w, const auth_throttle_row *row, int64_t forget_before) {
    static const char forget[] = "DELETE FROM login_throttle WHERE last_at < $1 AND locked_until < $2";
    static const char put[] = "INSERT INTO login_throttle(" COLUMNS ") VALUES($1,$2,$3,$4)"
                              " ON CONFLICT(key) DO UPDATE SET failures=excluded.failures,"
                              " last_at=excluded.last_at, locked_until=excluded.locked_until";
    pg_params p = {0};
    pgp_i64(&p, forget_before);
    pgp_i64(&p, row->last_at);
    jc_err e = pg_run_done(w, forget, &p, "auth", "throttle forget", NULL);
    if (e) return e;
    pg_params q = {0};
    pgp_text(&q, row->key);
    pgp_i64(&q, row->failures);
    pgp_i64(&q, row->last_at);
    pgp_i64(&q, row->locked_until);
    return pg_run_done(w, put, &q, "auth", "throttle put", NULL);
}

static jc_err pg_delete(jc_conn *w, const char *key) {
    static const char sql[] = "DELETE FROM login_throttle WHERE key=$1";
    pg_params p = {0};
    pgp_text(&p, key);
    int64_t n = 0;
    jc_err e = pg_run_done(w, sql, &p, "auth", "throttle delete", &n);
    return e ? e : n ? JC_OK : JC_ERR_NOTFOUND;
}

static jc_err pg_each(jc_conn *c, int (*cb)(const auth_throttle_row *row, void *arg), void *arg) {
    static const char sql[] = "SELECT " COLUMNS " FROM login_throttle ORDER BY last_at DESC LIMIT 1000";
    pg_params p = {0};
    jc_err e;
    PGresult *r = pg_run(c, sql, &p, "auth", "throttle list", &e);
    if (!r) return e;
    for (int i = 0, n = PQntuples(r); i < n; i++) {
        auth_throttle_row row;
        row_of(r, i, &row);
        if (cb(&row, arg)) break;
    }
    PQclear(r);
    return JC_OK;
}

const auth_store_ops auth_store_pg = {pg_get, pg_put, pg_delete, pg_each};
