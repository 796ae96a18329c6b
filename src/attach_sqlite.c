/*
 * attach_sqlite.c -- the SQLite half of the attach module (see
 * attach_store.h; attach_pg.c is its PostgreSQL twin).
 *
 *  attachments       one row per stored document: its SHA-256 id, type,
 *                    size, the name it was uploaded under, who and when.
 *  case_attachments  which document belongs to which case, under which
 *                    name, linked by whom and when.
 *  attachment_owners who uploaded a document (the same bytes may come from
 *                    several people): only they may link it to a case.
 */
#include "attach_store.h"
#include "store_sqlite.h"

#include <string.h>

static const char *const attach_migrations[] = {
    "CREATE TABLE attachments(id TEXT PRIMARY KEY, mime TEXT NOT NULL, ext TEXT NOT NULL, name TEXT NOT NULL,"
    "  size INTEGER NOT NULL, added_by INTEGER, at INTEGER NOT NULL);"
    "CREATE TABLE case_attachments(case_id INTEGER NOT NULL, attachment_id TEXT NOT NULL, name TEXT NOT NULL,"
    "  added_by INTEGER, at INTEGER NOT NULL, PRIMARY KEY(case_id, attachment_id)) WITHOUT ROWID;"
    "CREATE INDEX case_attachments_doc ON case_attachments(attachment_id);"
    /* everyone who uploaded the bytes (the first is in attachments.added_by) */
    "CREATE TABLE attachment_owners(attachment_id TEXT NOT NULL, user_id INTEGER NOT NULL,"
    "  PRIMARY KEY(attachment_id, user_id)) WITHOUT ROWID;",
};

const jc_schema schema_attach = {"attach", attach_migrations,
                                 (int)(sizeof attach_migrations / sizeof attach_migrations[0])};

#define TAG "attach"

static const char sql_insert[] =
    "INSERT INTO attachments(id, mime, ext, name, size, added_by, at) VALUES(?,?,?,?,?,?,?)"
    " ON CONFLICT(id) DO NOTHING";

static jc_err sq_insert(jc_conn *w, const attach_row *a) {
    sqlite3_stmt *s = store_sqlite_prepare(w, sql_insert);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, a->id);
    sq_bind_text(s, 2, a->mime);
    sq_bind_text(s, 3, a->ext);
    sq_bind_text(s, 4, a->name);
    sqlite3_bind_int64(s, 5, a->size);
    sq_bind_i64_opt(s, 6, a->added_by);
    sqlite3_bind_int64(s, 7, a->at_ms);
    return sq_step_done(store_sqlite_db(w), s, TAG, "insert");
}

static const char sql_own[] = "INSERT INTO attachment_owners(attachment_id, user_id) VALUES(?,?) ON CONFLICT DO NOTHING";
static const char sql_owns[] = "SELECT 1 FROM attachment_owners WHERE attachment_id = ? AND user_id = ?";

static jc_err sq_own(jc_conn *w, const char *id, int64_t user_id) {
    sqlite3_stmt *s = store_sqlite_prepare(w, sql_own);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, id);
    sqlite3_bind_int64(s, 2, user_id);
    return sq_step_done(store_sqlite_db(w), s, TAG, "own");
}

static int sq_owns(jc_conn *c, const char *id, int64_t user_id) {
    sqlite3_stmt *s = store_sqlite_prepare(c, sql_owns);
    if (!s) return 0;
    sq_bind_text(s, 1, id);
    sqlite3_bind_int64(s, 2, user_id);
    int yes = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_reset(s);
    return yes;
}

static void row_from(sqlite3_stmt *s, attach_row *a) {
    memset(a, 0, sizeof *a);
    sq_col_copy(s, 0, a->id, sizeof a->id);
    sq_col_copy(s, 1, a->mime, sizeof a->mime);
    sq_col_copy(s, 2, a->ext, sizeof a->ext);
    sq_col_copy(s, 3, a->name, sizeof a->name);
    a->size = sqlite3_column_int64(s, 4);
    a->added_by = sqlite3_column_int64(s, 5);
    a->at_ms = sqlite3_column_int64(s, 6);
}

static const char sql_get[] =
    "SELECT id, mime, ext, name, size, COALESCE(added_by, 0), at FROM attachments WHERE id = ?";

static jc_err sq_get(jc_conn *c, const char *id, attach_row *out) {
    sqlite3_stmt *s = store_sqlite_prepare(c, sql_get);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) row_from(s, out);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW) return JC_OK;
    return rc == SQLITE_DONE ? JC_ERR_NOTFOUND : sq_fail(store_sqlite_db(c), TAG, "get");
}

static const char sql_link[] =
    "INSERT INTO case_attachments(case_id, attachment_id, name, added_by, at) VALUES(?,?,?,?,?)";

static jc_err sq_link(jc_conn *w, int64_t case_id, const char *id, const char *name, int64_t by, int64_t at_ms) {
    sqlite3_stmt *s = store_sqlite_prepare(w, sql_link);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    sq_bind_text(s, 2, id);
    sq_bind_text(s, 3, name);
    sq_bind_i64_opt(s, 4, by);
    sqlite3_bind_int64(s, 5, at_ms);
    return sq_step_done(store_sqlite_db(w), s, TAG, "link");
}

static const char sql_case_each[] =
    "SELECT a.id, a.mime, a.ext, l.name, a.size, COALESCE(l.added_by, 0), l.at FROM case_attachments l"
    " JOIN attachments a ON a.id = l.attachment_id WHERE l.case_id = ? ORDER BY l.at, a.id";

static jc_err sq_case_each(jc_conn *c, int64_t case_id, int (*cb)(const attach_row *a, void *arg), void *arg) {
    sqlite3_stmt *s = store_sqlite_prepare(c, sql_case_each);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        attach_row a;
        row_from(s, &a);
        if (cb(&a, arg)) break;
    }
    jc_err e = rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), TAG, "list");
    sqlite3_reset(s);
    return e;
}

static const char sql_cases_of[] = "SELECT case_id FROM case_attachments WHERE attachment_id = ? ORDER BY case_id";

static jc_err sq_cases_of(jc_conn *c, const char *id, int64_t *out, int max, int *n) {
    *n = 0;
    sqlite3_stmt *s = store_sqlite_prepare(c, sql_cases_of);
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (*n < max) out[(*n)++] = sqlite3_column_int64(s, 0);
    jc_err e = rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), TAG, "cases of");
    sqlite3_reset(s);
    return e;
}

const attach_store_ops attach_store_sqlite = {sq_insert, sq_own, sq_owns, sq_get, sq_link, sq_case_each, sq_cases_of};
