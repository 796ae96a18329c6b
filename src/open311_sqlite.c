/*
 * open311_sqlite.c -- the SQLite half of the Open311 module's rows: its
 * tables and the queries the GeoReport endpoints need (open311_store.h;
 * open311_pg.c is its PostgreSQL twin).
 */
#include "open311_store.h"
#include "store_sqlite.h"

#include <stdio.h>
#include <string.h>

static const char *const open311_migrations[] = {
    "CREATE TABLE open311_keys(key_hash TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    "  user_id INTEGER NOT NULL, created_at INTEGER NOT NULL,"
    "  disabled INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE open311_requests(case_id INTEGER PRIMARY KEY, token TEXT NOT NULL UNIQUE,"
    "  client TEXT NOT NULL, email TEXT, first_name TEXT, last_name TEXT, device_id TEXT,"
    "  account_id TEXT, created_at INTEGER NOT NULL);"
    "CREATE INDEX open311_cases_created ON cases(created_at);"
    "CREATE INDEX open311_audit_at ON audit(at);",
};

const jc_schema schema_open311 = {"open311", open311_migrations,
                                  (int)(sizeof open311_migrations / sizeof open311_migrations[0])};

static void read_key(sqlite3_stmt *s, o311_key *k) {
    memset(k, 0, sizeof *k);
    sq_col_copy(s, 0, k->key_hash, sizeof k->key_hash);
    sq_col_copy(s, 1, k->name, sizeof k->name);
    k->user_id = sqlite3_column_int64(s, 2);
    k->created_ms = sqlite3_column_int64(s, 3);
    k->disabled = sqlite3_column_int(s, 4);
}

static jc_err sq_key_get(jc_conn *c, const char *key_hash, o311_key *out) {
    sqlite3_stmt *s;
    jc_err e = sq_prepare(store_sqlite_db(c),
                          "SELECT key_hash, name, user_id, created_at, disabled FROM open311_keys"
                          " WHERE key_hash=?", &s);
    if (e) return e;
    sqlite3_bind_text(s, 1, key_hash, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    e = rc == SQLITE_ROW ? JC_OK : rc == SQLITE_DONE ? JC_ERR_NOTFOUND : JC_ERR_DB;
    if (rc == SQLITE_ROW) read_key(s, out);
    sqlite3_finalize(s);
    return e;
}

static jc_err sq_key_insert(jc_conn *w, const o311_key *k) {
    sqlite3_stmt *s;
    jc_err e = sq_prepare(store_sqlite_db(w),
                          "INSERT INTO open311_keys(key_hash, name, user_id, created_at, disabled)"
                          " VALUES(?,?,?,?,?)", &s);
    if (e) return e;
    sqlite3_bind_text(s, 1, k->key_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, k->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, k->user_id);
    sqlite3_bind_int64(s, 4, k->created_ms);
    sqlite3_bind_int(s, 5, k->disabled);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) return JC_ERR_CONFLICT;
    return rc == SQLITE_DONE ? JC_OK : JC_ERR_DB;
}

static jc_err sq_key_disable(jc_conn *w, const char *name) {
    sqlite3_stmt *s;
    jc_err e = sq_prepare(store_sqlite_db(w), "UPDATE open311_keys SET disabled=1 WHERE name=?", &s);
    if (e) return e;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return JC_ERR_DB;
    return sqlite3_changes(store_sqlite_db(w)) ? JC_OK : JC_ERR_NOTFOUND;
}

static jc_err sq_key_each(jc_conn *c, int (*cb)(const o311_key *k, void *arg), void *arg) {
    sqlite3_stmt *s;
    jc_err e = sq_prepare(store_sqlite_db(c),
                          "SELECT key_hash, name, user_id, created_at, disabled FROM open311_keys"
                          " ORDER BY created_at, name", &s);
    if (e) return e;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        o311_key k;
        read_key(s, &k);
        if (cb(&k, arg)) break;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : JC_ERR_DB;
}

static jc_err sq_request_insert(jc_conn *w, const o311_request_row *r) {
    sqlite3_stmt *s;
    jc_err e = sq_prepare(store_sqlite_db(w),
                          "INSERT INTO open311_requests(case_id, token, client, email, first_name,"
                          " last_name, device_id, account_id, created_at) VALUES(?,?,?,?,?,?,?,?,?)", &s);
    if (e) return e;
    sqlite3_bind_int64(s, 1, r->case_id);
    sqlite3_bind_text(s, 2, r->token, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, r->client, -1, SQLITE_TRANSIENT);
    sq_bind_text_opt(s, 4, r->email);
    sq_bind_text_opt(s, 5, r->first_name);
    sq_bind_text_opt(s, 6, r->last_name);
    sq_bind_text_opt(s, 7, r->device_id);
    sq_bind_text_opt(s, 8, r->account_id);
    sqlite3_bind_int64(s, 9, r->created_ms);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? JC_OK : JC_ERR_DB;
}

static jc_err sq_token_case(jc_conn *c, const char *token, int64_t *case_id) {
    sqlite3_stmt *s;
    jc_err e = sq_prepare(store_sqlite_db(c), "SELECT case_id FROM open311_requests WHERE token=?", &s);
    if (e) return e;
    sqlite3_bind_text(s, 1, token, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    e = rc == SQLITE_ROW ? JC_OK : rc == SQLITE_DONE ? JC_ERR_NOTFOUND : JC_ERR_DB;
    if (rc == SQLITE_ROW) *case_id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return e;
}

#define CLOSED_STATES "('closed','rated','voided','merged')"

static jc_err sq_case_ids(jc_conn *c, int64_t from_ms, int64_t to_ms, const char *const *codes,
                     int ncodes, int status_mask, int limit, int64_t *ids, int *n) {
    char sql[1024];
    int off = snprintf(sql, sizeof sql,
                       "SELECT id FROM cases WHERE created_at BETWEEN ? AND ?"
                       " AND source NOT IN ('sensor','warning')");
    if (status_mask == 1) off += snprintf(sql + off, sizeof sql - (size_t)off, " AND state NOT IN " CLOSED_STATES);
    if (status_mask == 2) off += snprintf(sql + off, sizeof sql - (size_t)off, " AND state IN " CLOSED_STATES);
    if (ncodes > 0) {
        off += snprintf(sql + off, sizeof sql - (size_t)off, " AND category IN (");
        for (int i = 0; i < ncodes && i < O311_MAX_CODES; i++)
            off += snprintf(sql + off, sizeof sql - (size_t)off, "%s?", i ? "," : "");
        off += snprintf(sql + off, sizeof sql - (size_t)off, ")");
    }
    snprintf(sql + off, sizeof sql - (size_t)off, " ORDER BY created_at DESC, id DESC LIMIT ?");
    sqlite3_stmt *s;
    jc_err e = sq_prepare(store_sqlite_db(c), sql, &s);
    if (e) return e;
    int b = 1;
    sqlite3_bind_int64(s, b++, from_ms);
    sqlite3_bind_int64(s, b++, to_ms);
    for (int i = 0; i < ncodes && i < O311_MAX_CODES; i++) sqlite3_bind_text(s, b++, codes[i], -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, b, limit);
    int rc, k = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && k < limit) ids[k++] = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    *n = k;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : JC_ERR_DB;
}

static jc_err sq_updates_each(jc_conn *c, int64_t from_ms, int64_t to_ms, int limit,
                         int (*cb)(const o311_update *u, void *arg), void *arg) {
    sqlite3_stmt *s;
    jc_err e = sq_prepare(store_sqlite_db(c),
                          "SELECT a.seq, a.case_id, k.created_at, a.at, a.action,"
                          " coalesce(a.from_state,''), coalesce(a.to_state,'') FROM audit a"
                          " JOIN cases k ON k.id = a.case_id"
                          " WHERE a.at BETWEEN ? AND ? AND k.source NOT IN ('sensor','warning')"
                          /* only what changed a request's state: notes such as
                           * read_contact (staff looked at the reporter's phone)
                           * are internal (issue 18) */
                          " AND coalesce(a.from_state,'') <> coalesce(a.to_state,'')"
                          " ORDER BY a.seq LIMIT ?", &s);
    if (e) return e;
    sqlite3_bind_int64(s, 1, from_ms);
    sqlite3_bind_int64(s, 2, to_ms);
    sqlite3_bind_int(s, 3, limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        o311_update u = {sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                         sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3),
                         (const char *)sqlite3_column_text(s, 4), (const char *)sqlite3_column_text(s, 5),
                         (const char *)sqlite3_column_text(s, 6)};
        if (cb(&u, arg)) break;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : JC_ERR_DB;
}

const open311_store_ops open311_store_sqlite = {sq_key_get,        sq_key_insert, sq_key_disable,
                                                sq_key_each,       sq_request_insert, sq_token_case,
                                                sq_case_ids,       sq_updates_each};
