/*
 * attach_pg.c -- the PostgreSQL half of the attach module (see
 * attach_store.h; attach_sqlite.c is its twin: same rows, same answers).
 * The documents' bytes are files beside the photos (attach.h), in the
 * directory the instances share (docs/postgresql.md, "Photos").
 */
#include "attach_store.h"
#include "store_pg.h"

#include <string.h>

static const char *const attach_migrations[] = {
    "CREATE TABLE attachments(id TEXT PRIMARY KEY, mime TEXT NOT NULL, ext TEXT NOT NULL, name TEXT NOT NULL,"
    "  size BIGINT NOT NULL, added_by BIGINT, at BIGINT NOT NULL);"
    "CREATE TABLE case_attachments(case_id BIGINT NOT NULL, attachment_id TEXT NOT NULL, name TEXT NOT NULL,"
    "  added_by BIGINT, at BIGINT NOT NULL, PRIMARY KEY(case_id, attachment_id));"
    "CREATE INDEX case_attachments_doc ON case_attachments(attachment_id);"
    /* everyone who uploaded the bytes (the first is in attachments.added_by) */
    "CREATE TABLE attachment_owners(attachment_id TEXT NOT NULL, user_id BIGINT NOT NULL,"
    "  PRIMARY KEY(attachment_id, user_id));",
};

const jc_schema schema_attach_pg = {"attach", attach_migrations, (int)JC_ARRAY_LEN(attach_migrations)};

#define TAG "attach"

static jc_err pg_insert(jc_conn *w, const attach_row *a) {
    static const char sql[] = "INSERT INTO attachments(id, mime, ext, name, size, added_by, at)"
                              " VALUES($1,$2,$3,$4,$5,$6,$7) ON CONFLICT(id) DO NOTHING";
    pg_params p = {0};
    pgp_text(&p, a->id);
    pgp_text(&p, a->mime);
    pgp_text(&p, a->ext);
    pgp_text(&p, a->name);
    pgp_i64(&p, a->size);
    pgp_i64_opt(&p, a->added_by);
    pgp_i64(&p, a->at_ms);
    return pg_run_done(w, sql, &p, TAG, "insert", NULL);
}

static jc_err pg_own(jc_conn *w, const char *id, int64_t user_id) {
    static const char sql[] = "INSERT INTO attachment_owners(attachment_id, user_id) VALUES($1,$2) ON CONFLICT DO NOTHING";
    pg_params p = {0};
    pgp_text(&p, id);
    pgp_i64(&p, user_id);
    return pg_run_done(w, sql, &p, TAG, "own", NULL);
}

static int pg_owns(jc_conn *c, const char *id, int64_t user_id) {
    static const char sql[] = "SELECT 1 FROM attachment_owners WHERE attachment_id = $1 AND user_id = $2";
    pg_params p = {0};
    pgp_text(&p, id);
    pgp_i64(&p, user_id);
    jc_err e;
    PGresult *r = pg_run(c, sql, &p, TAG, "owns", &e);
    if (!r) return 0;
    int yes = PQntuples(r) > 0;
    PQclear(r);
    return yes;
}

static void row_of(const PGresult *r, int i, attach_row *a) {
    memset(a, 0, sizeof *a);
    pg_copy(r, i, 0, a->id, sizeof a->id);
    pg_copy(r, i, 1, a->mime, sizeof a->mime);
    pg_copy(r, i, 2, a->ext, sizeof a->ext);
    pg_copy(r, i, 3, a->name, sizeof a->name);
    a->size = pg_i64(r, i, 4);
    a->added_by = pg_i64(r, i, 5);
    a->at_ms = pg_i64(r, i, 6);
}

static jc_err pg_get(jc_conn *c, const char *id, attach_row *out) {
    static const char sql[] = "SELECT id, mime, ext, name, size, COALESCE(added_by, 0), at FROM attachments WHERE id = $1";
    pg_params p = {0};
    pgp_text(&p, id);
    jc_err e;
    PGresult *r = pg_run(c, sql, &p, TAG, "get", &e);
    if (!r) return e;
    if (PQntuples(r) == 0) e = JC_ERR_NOTFOUND;
    else row_of(r, 0, out);
    PQclear(r);
    return e;
}

/* ON CONFLICT DO NOTHING: a link already there leaves the transaction usable. */
static jc_err pg_link(jc_conn *w, int64_t case_id, const char *id, const char *name, int64_t by, int64_t at_ms) {
    static const char sql[] = "INSERT INTO case_attachments(case_id, attachment_id, name, added_by, at)"
                              " VALUES($1,$2,$3,$4,$5) ON CONFLICT(case_id, attachment_id) DO NOTHING";
    pg_params p = {0};
    pgp_i64(&p, case_id);
    pgp_text(&p, id);
    pgp_text(&p, name);
    pgp_i64_opt(&p, by);
    pgp_i64(&p, at_ms);
    int64_t n = 0;
    jc_err e = pg_run_done(w, sql, &p, TAG, "link", &n);
    return e ? e : n ? JC_OK : JC_ERR_CONFLICT;
}

static jc_err pg_case_each(jc_conn *c, int64_t case_id, int (*cb)(const attach_row *a, void *arg), void *arg) {
    static const char sql[] =
        "SELECT a.id, a.mime, a.ext, l.name, a.size, COALESCE(l.added_by, 0), l.at FROM case_attachments l"
        " JOIN attachments a ON a.id = l.attachment_id WHERE l.case_id = $1 ORDER BY l.at, a.id COLLATE \"C\"";
    pg_params p = {0};
    pgp_i64(&p, case_id);
    jc_err e;
    PGresult *r = pg_run(c, sql, &p, TAG, "list", &e);
    if (!r) return e;
    for (int i = 0, n = PQntuples(r); i < n; i++) {
        attach_row a;
        row_of(r, i, &a);
        if (cb(&a, arg)) break;
    }
    PQclear(r);
    return JC_OK;
}

static jc_err pg_cases_of(jc_conn *c, const char *id, int64_t *out, int max, int *n) {
    static const char sql[] = "SELECT case_id FROM case_attachments WHERE attachment_id = $1 ORDER BY case_id";
    *n = 0;
    pg_params p = {0};
    pgp_text(&p, id);
    jc_err e;
    PGresult *r = pg_run(c, sql, &p, TAG, "cases of", &e);
    if (!r) return e;
    for (int i = 0, rows = PQntuples(r); i < rows && *n < max; i++) out[(*n)++] = pg_i64(r, i, 0);
    PQclear(r);
    return JC_OK;
}

const attach_store_ops attach_store_pg = {pg_insert, pg_own, pg_owns, pg_get, pg_link, pg_case_each, pg_cases_of};
