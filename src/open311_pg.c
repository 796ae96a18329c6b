/*
 * open311_pg.c -- the PostgreSQL half of the Open311 module's rows
 * (open311_store.h; open311_sqlite.c is its twin: same rows, same answers).
 * Every statement is a constant (pg_run prepares each once per connection):
 * the list's filters are parameters, the service codes one text array.
 */
#include "open311_store.h"
#include "store_pg.h"

#include <string.h>

static const char *const open311_migrations[] = {
    "CREATE TABLE open311_keys(key_hash TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    "  user_id BIGINT NOT NULL, created_at BIGINT NOT NULL,"
    "  disabled INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE open311_requests(case_id BIGINT PRIMARY KEY, token TEXT NOT NULL UNIQUE,"
    "  client TEXT NOT NULL, email TEXT, first_name TEXT, last_name TEXT, device_id TEXT,"
    "  account_id TEXT, created_at BIGINT NOT NULL);"
    "CREATE INDEX open311_cases_created ON cases(created_at);"
    "CREATE INDEX open311_audit_at ON audit(at);",
};

const jc_schema schema_open311_pg = {"open311", open311_migrations, (int)JC_ARRAY_LEN(open311_migrations)};

#define KEY_COLUMNS "key_hash, name, user_id, created_at, disabled"

static void key_of(const PGresult *r, int i, o311_key *k) {
    memset(k, 0, sizeof *k);
    pg_copy(r, i, 0, k->key_hash, sizeof k->key_hash);
    pg_copy(r, i, 1, k->name, sizeof k->name);
    k->user_id = pg_i64(r, i, 2);
    k->created_ms = pg_i64(r, i, 3);
    k->disabled = (int)pg_i64(r, i, 4);
}

static jc_err pg_key_get(jc_conn *c, const char *key_hash, o311_key *out) {
    static const char sql[] = "SELECT " KEY_COLUMNS " FROM open311_keys WHERE key_hash=$1";
    pg_params p = {0};
    pgp_text(&p, key_hash);
    jc_err e;
    PGresult *r = pg_run(c, sql, &p, "open311", "key get", &e);
    if (!r) return e;
    if (PQntuples(r) == 0) e = JC_ERR_NOTFOUND;
    else key_of(r, 0, out);
    PQclear(r);
    return e;
}

/* ON CONFLICT DO NOTHING: a taken hash or name leaves the transaction usable. */
static jc_err pg_key_insert(jc_conn *w, const o311_key *k) {
    static const char sql[] = "INSERT INTO open311_keys(" KEY_COLUMNS ") VALUES($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING";
    pg_params p = {0};
    pgp_text(&p, k->key_hash);
    pgp_text(&p, k->name);
    pgp_i64(&p, k->user_id);
    pgp_i64(&p, k->created_ms);
    pgp_i64(&p, k->disabled);
    int64_t n = 0;
    jc_err e = pg_run_done(w, sql, &p, "open311", "key insert", &n);
    return e ? e : n ? JC_OK : JC_ERR_CONFLICT;
}

static jc_err pg_key_disable(jc_conn *w, const char *name) {
    static const char sql[] = "UPDATE open311_keys SET disabled=1 WHERE name=$1";
    pg_params p = {0};
    pgp_text(&p, name);
    int64_t n = 0;
    jc_err e = pg_run_done(w, sql, &p, "open311", "key disable", &n);
    return e ? e : n ? JC_OK : JC_ERR_NOTFOUND;
}

static jc_err pg_key_each(jc_conn *c, int (*cb)(const o311_key *k, void *arg), void *arg) {
    static const char sql[] = "SELECT " KEY_COLUMNS " FROM open311_keys ORDER BY created_at, name COLLATE \"C\"";
    pg_params p = {0};
    jc_err e;
    PGresult *r = pg_run(c, sql, &p, "open311", "key list", &e);
    if (!r) return e;
    for (int i = 0, n = PQntuples(r); i < n; i++) {
        o311_key k;
        key_of(r, i, &k);
        if (cb(&k, arg)) break;
    }
    PQclear(r);
    return JC_OK;
}

static jc_err pg_request_insert(jc_conn *w, const o311_request_row *q) {
    static const char sql[] = "INSERT INTO open311_requests(case_id, token, client, email, first_name,"
                              " last_name, device_id, account_id, created_at) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9)";
    pg_params p = {0};
    pgp_i64(&p, q->case_id);
    pgp_text(&p, q->token);
    pgp_text(&p, q->client);
    pgp_text_opt(&p, q->email);
    pgp_text_opt(&p, q->first_name);
    pgp_text_opt(&p, q->last_name);
    pgp_text_opt(&p, q->device_id);
    pgp_text_opt(&p, q->account_id);
    pgp_i64(&p, q->created_ms);
    return pg_run_done(w, sql, &p, "open311", "request insert", NULL);
}

static jc_err pg_token_case(jc_conn *c, const char *token, int64_t *case_id) {
    static const char sql[] = "SELECT case_id FROM open311_requests WHERE token=$1";
    pg_params p = {0};
    pgp_text(&p, token);
    jc_err e;
    PGresult *r = pg_run(c, sql, &p, "open311", "token", &e);
    if (!r) return e;
    if (PQntuples(r) == 0) e = JC_ERR_NOTFOUND;
    else *case_id = pg_i64(r, 0, 0);
    PQclear(r);
    return e;
}

/* codes as a PostgreSQL array literal ({"a","b"}, each element quoted, its
 * backslashes and quotes escaped) into out; JC_ERR_TOOBIG past outsz. */
static jc_err codes_array(const char *const *codes, int ncodes, char *out, size_t outsz) {
    size_t o = 0;
    if (outsz < 3) return JC_ERR_TOOBIG;
    out[o++] = '{';
    for (int i = 0; i < ncodes && i < O311_MAX_CODES; i++) {
        if (i) out[o++] = ',';
        out[o++] = '"';
        for (const char *q = codes[i]; *q; q++) {
            if (o + 4 >= outsz) return JC_ERR_TOOBIG;
            if (*q == '"' || *q == '\\') out[o++] = '\\';
            out[o++] = *q;
        }
        if (o + 3 >= outsz) return JC_ERR_TOOBIG;
        out[o++] = '"';
    }
    out[o++] = '}';
    out[o] = 0;
    return JC_OK;
}

#define CLOSED_STATES "('closed','rated','voided','merged')"

static jc_err pg_case_ids(jc_conn *c, int64_t from_ms, int64_t to_ms, const char *const *codes, int ncodes,
                          int status_mask, int limit, int64_t *ids, int *n) {
    static const char sql[] =
        "SELECT id FROM cases WHERE created_at BETWEEN $1 AND $2 AND source NOT IN ('sensor','warning')"
        " AND ($3::int NOT IN (1, 2) OR ($3::int = 1) = (state NOT IN " CLOSED_STATES "))"
        " AND (cardinality($4::text[]) = 0 OR category = ANY($4::text[]))"
        " ORDER BY created_at DESC, id DESC LIMIT $5";
    char arr[4096];
    jc_err e = codes_array(codes, ncodes, arr, sizeof arr);
    if (e) return e;
    pg_params p = {0};
    pgp_i64(&p, from_ms);
    pgp_i64(&p, to_ms);
    pgp_i64(&p, status_mask);
    pgp_text(&p, arr);
    pgp_i64(&p, limit);
    PGresult *r = pg_run(c, sql, &p, "open311", "case ids", &e);
    if (!r) return e;
    int k = 0;
    for (int i = 0, rows = PQntuples(r); i < rows && k < limit; i++) ids[k++] = pg_i64(r, i, 0);
    PQclear(r);
    *n = k;
    return JC_OK;
}

static jc_err pg_updates_each(jc_conn *c, int64_t from_ms, int64_t to_ms, int limit,
                              int (*cb)(const o311_update *u, void *arg), void *arg) {
    static const char sql[] = "SELECT a.seq, a.case_id, k.created_at, a.at, a.action,"
                              " coalesce(a.from_state,''), coalesce(a.to_state,'') FROM audit a"
                              " JOIN cases k ON k.id = a.case_id"
                              " WHERE a.at BETWEEN $1 AND $2 AND k.source NOT IN ('sensor','warning')"
                              /* only what changed a request's state (as open311_sqlite.c) */
                              " AND coalesce(a.from_state,'') <> coalesce(a.to_state,'')"
                              " ORDER BY a.seq LIMIT $3";
    pg_params p = {0};
    pgp_i64(&p, from_ms);
    pgp_i64(&p, to_ms);
    pgp_i64(&p, limit);
    jc_err e;
    PGresult *r = pg_run(c, sql, &p, "open311", "updates", &e);
    if (!r) return e;
    for (int i = 0, rows = PQntuples(r); i < rows; i++) {
        o311_update u = {pg_i64(r, i, 0), pg_i64(r, i, 1), pg_i64(r, i, 2),       pg_i64(r, i, 3),
                         pg_str(r, i, 4), pg_str(r, i, 5), pg_str(r, i, 6)};
        if (cb(&u, arg)) break;
    }
    PQclear(r);
    return JC_OK;
}

const open311_store_ops open311_store_pg = {pg_key_get,  pg_key_insert,     pg_key_disable, pg_key_each,
                                            pg_request_insert, pg_token_case, pg_case_ids,   pg_updates_each};
