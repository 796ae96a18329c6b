/*
 * followup_sqlite.c -- the SQLite half of the followup module (see
 * followup_store.h; followup_pg.c is its PostgreSQL twin).
 *
 *  case_followups  one row per call back: the case, when, who, the result
 *                  and the note.  The evaluation reads it (eval_sqlite.c) to
 *                  count the follow-up rate (回访率).
 */
#include "followup_store.h"
#include "store_sqlite.h"

#include <string.h>

static const char *const followup_migrations[] = {
    "CREATE TABLE case_followups(id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL, at INTEGER NOT NULL,"
    "  by_id INTEGER, by_name TEXT NOT NULL,"
    "  result TEXT NOT NULL CHECK(result = 'satisfied' OR result = 'basic' OR result = 'unsatisfied'"
    "    OR result = 'unreachable'),"
    "  note TEXT);"
    "CREATE INDEX case_followups_case ON case_followups(case_id);",
};

const jc_schema schema_followup = {"followup", followup_migrations,
                                   (int)(sizeof followup_migrations / sizeof followup_migrations[0])};

static const char sql_insert[] =
    "INSERT INTO case_followups(case_id, at, by_id, by_name, result, note) VALUES(?,?,?,?,?,?)";

static jc_err sq_insert(jc_conn *w, followup_row *f) {
    sqlite3_stmt *s = store_sqlite_prepare(w, sql_insert);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, f->case_id);
    sqlite3_bind_int64(s, 2, f->at_ms);
    sq_bind_i64_opt(s, 3, f->by_id);
    sq_bind_text(s, 4, f->by);
    sq_bind_text(s, 5, f->result);
    sq_bind_text_opt(s, 6, f->note);
    jc_err e = sq_step_done(store_sqlite_db(w), s, "followup", "insert");
    if (!e) f->id = sqlite3_last_insert_rowid(store_sqlite_db(w));
    return e;
}

static const char sql_each[] =
    "SELECT id, case_id, at, COALESCE(by_id, 0), by_name, result, COALESCE(note, '') FROM case_followups"
    " WHERE case_id = ? ORDER BY at, id";

static jc_err sq_each(jc_conn *c, int64_t case_id, int (*cb)(const followup_row *f, void *arg), void *arg) {
    sqlite3_stmt *s = store_sqlite_prepare(c, sql_each);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        followup_row f;
        memset(&f, 0, sizeof f);
        f.id = sqlite3_column_int64(s, 0);
        f.case_id = sqlite3_column_int64(s, 1);
        f.at_ms = sqlite3_column_int64(s, 2);
        f.by_id = sqlite3_column_int64(s, 3);
        sq_col_copy(s, 4, f.by, sizeof f.by);
        sq_col_copy(s, 5, f.result, sizeof f.result);
        sq_col_copy(s, 6, f.note, sizeof f.note);
        if (cb(&f, arg)) break;
    }
    jc_err e = rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), "followup", "list");
    sqlite3_reset(s);
    return e;
}

const followup_store_ops followup_store_sqlite = {sq_insert, sq_each};
