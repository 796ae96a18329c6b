/*
 * photo_sqlite.c -- the SQLite half of the photo module's rows
 * (photo_store.h; photo_pg.c is its PostgreSQL twin).
 */
#include "photo_store.h"
#include "store_sqlite.h"

#include <stdio.h>
#include <string.h>

static const char *const photo_migrations[] = {
    "CREATE TABLE photos(id TEXT PRIMARY KEY, mime TEXT NOT NULL, ext TEXT NOT NULL,"
    "  size INTEGER NOT NULL, added_by INTEGER, at INTEGER NOT NULL);"
    "CREATE TABLE case_photos(case_id INTEGER NOT NULL, photo_id TEXT NOT NULL,"
    "  added_by INTEGER, at INTEGER NOT NULL, PRIMARY KEY(case_id, photo_id)) WITHOUT ROWID;",
};

const jc_schema schema_photo = {"photo", photo_migrations,
                                (int)(sizeof photo_migrations / sizeof photo_migrations[0])};

static jc_err sq_insert(jc_conn *w, const photo_row *p) {
    sqlite3_stmt *s;
    jc_err e = sq_prepare(store_sqlite_db(w),
                          "INSERT INTO photos(id, mime, ext, size, added_by, at) VALUES(?,?,?,?,?,?)"
                          " ON CONFLICT(id) DO NOTHING", &s);
    if (e) return e;
    sqlite3_bind_text(s, 1, p->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, p->mime, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, p->ext, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 4, p->size);
    sqlite3_bind_int64(s, 5, p->added_by);
    sqlite3_bind_int64(s, 6, p->at_ms);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? JC_OK : JC_ERR_DB;
}

static jc_err sq_get(jc_conn *c, const char *id, photo_row *out) {
    sqlite3_stmt *s;
    jc_err e = sq_prepare(store_sqlite_db(c),
                          "SELECT id, mime, ext, size, coalesce(added_by,0), at FROM photos WHERE id=?", &s);
    if (e) return e;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    e = rc == SQLITE_ROW ? JC_OK : rc == SQLITE_DONE ? JC_ERR_NOTFOUND : JC_ERR_DB;
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        sq_col_copy(s, 0, out->id, sizeof out->id);
        sq_col_copy(s, 1, out->mime, sizeof out->mime);
        sq_col_copy(s, 2, out->ext, sizeof out->ext);
        out->size = sqlite3_column_int64(s, 3);
        out->added_by = sqlite3_column_int64(s, 4);
        out->at_ms = sqlite3_column_int64(s, 5);
    }
    sqlite3_finalize(s);
    return e;
}

static jc_err sq_link(jc_conn *w, int64_t case_id, const char *photo_id, int64_t by, int64_t at_ms) {
    sqlite3_stmt *s;
    jc_err e = sq_prepare(store_sqlite_db(w),
                          "INSERT INTO case_photos(case_id, photo_id, added_by, at) VALUES(?,?,?,?)", &s);
    if (e) return e;
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_text(s, 2, photo_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, by);
    sqlite3_bind_int64(s, 4, at_ms);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) return JC_ERR_CONFLICT;
    return rc == SQLITE_DONE ? JC_OK : JC_ERR_DB;
}

static jc_err sq_case_each(jc_conn *c, int64_t case_id,
                       int (*cb)(const char *photo_id, int64_t by, int64_t at_ms, void *arg), void *arg) {
    sqlite3_stmt *s;
    jc_err e = sq_prepare(store_sqlite_db(c),
                          "SELECT photo_id, coalesce(added_by,0), at FROM case_photos WHERE case_id=?"
                          " ORDER BY at, photo_id", &s);
    if (e) return e;
    sqlite3_bind_int64(s, 1, case_id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (cb((const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1),
               sqlite3_column_int64(s, 2), arg))
            break;
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : JC_ERR_DB;
}

const photo_store_ops photo_store_sqlite = {sq_insert, sq_get, sq_link, sq_case_each};
