/*
 * photo_pg.c -- the PostgreSQL half of the photo module's rows
 * (photo_store.h; photo_sqlite.c is its twin: same rows, same answers).
 * The files are in the photo directory, shared by the instances
 * (docs/postgresql.md, "Photos").
 */
#include "photo_store.h"
#include "store_pg.h"

#include <string.h>

static const char *const photo_migrations[] = {
    /* 1: the photos and their links to cases */
    "CREATE TABLE photos(id TEXT PRIMARY KEY, mime TEXT NOT NULL, ext TEXT NOT NULL,"
    "  size BIGINT NOT NULL, added_by BIGINT, at BIGINT NOT NULL);"
    "CREATE TABLE case_photos(case_id BIGINT NOT NULL, photo_id TEXT NOT NULL,"
    "  added_by BIGINT, at BIGINT NOT NULL, PRIMARY KEY(case_id, photo_id));",
};

const jc_schema schema_photo_pg = {"photo", photo_migrations, (int)JC_ARRAY_LEN(photo_migrations)};

static jc_err pg_insert(jc_conn *w, const photo_row *p) {
    static const char sql[] = "INSERT INTO photos(id, mime, ext, size, added_by, at) VALUES($1,$2,$3,$4,$5,$6)"
                              " ON CONFLICT(id) DO NOTHING";
    pg_params q = {0};
    pgp_text(&q, p->id);
    pgp_text(&q, p->mime);
    pgp_text(&q, p->ext);
    pgp_i64(&q, p->size);
    pgp_i64(&q, p->added_by);
    pgp_i64(&q, p->at_ms);
    return pg_run_done(w, sql, &q, "photo", "insert", NULL);
}

static jc_err pg_get(jc_conn *c, const char *id, photo_row *out) {
    static const char sql[] = "SELECT id, mime, ext, size, coalesce(added_by,0), at FROM photos WHERE id=$1";
    pg_params q = {0};
    pgp_text(&q, id);
    jc_err e;
    PGresult *r = pg_run(c, sql, &q, "photo", "get", &e);
    if (!r) return e;
    if (PQntuples(r) == 0) {
        e = JC_ERR_NOTFOUND;
    } else {
        memset(out, 0, sizeof *out);
        pg_copy(r, 0, 0, out->id, sizeof out->id);
        pg_copy(r, 0, 1, out->mime, sizeof out->mime);
        pg_copy(r, 0, 2, out->ext, sizeof out->ext);
        out->size = pg_i64(r, 0, 3);
        out->added_by = pg_i64(r, 0, 4);
        out->at_ms = pg_i64(r, 0, 5);
    }
    PQclear(r);
    return e;
}

/* ON CONFLICT DO NOTHING rather than a failed statement: a link already
 * there leaves the transaction usable (store_pg.c's rule). */
static jc_err pg_link(jc_conn *w, int64_t case_id, const char *photo_id, int64_t by, int64_t at_ms) {
    static const char sql[] = "INSERT INTO case_photos(case_id, photo_id, added_by, at) VALUES($1,$2,$3,$4)"
                              " ON CONFLICT(case_id, photo_id) DO NOTHING";
    pg_params q = {0};
    pgp_i64(&q, case_id);
    pgp_text(&q, photo_id);
    pgp_i64(&q, by);
    pgp_i64(&q, at_ms);
    int64_t n = 0;
    jc_err e = pg_run_done(w, sql, &q, "photo", "link", &n);
    return e ? e : n ? JC_OK : JC_ERR_CONFLICT;
}

static jc_err pg_case_each(jc_conn *c, int64_t case_id,
                           int (*cb)(const char *photo_id, int64_t by, int64_t at_ms, void *arg), void *arg) {
    static const char sql[] = "SELECT photo_id, coalesce(added_by,0), at FROM case_photos WHERE case_id=$1"
                              " ORDER BY at, photo_id COLLATE \"C\"";
    pg_params q = {0};
    pgp_i64(&q, case_id);
    jc_err e;
    PGresult *r = pg_run(c, sql, &q, "photo", "case list", &e);
    if (!r) return e;
    for (int i = 0, n = PQntuples(r); i < n; i++)
        if (cb(pg_str(r, i, 0), pg_i64(r, i, 1), pg_i64(r, i, 2), arg)) break;
    PQclear(r);
    return JC_OK;
}

const photo_store_ops photo_store_pg = {pg_insert, pg_get, pg_link, pg_case_each};
