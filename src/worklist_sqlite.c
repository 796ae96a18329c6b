/*
 * worklist_sqlite.c -- the SQLite half of the work list module: its tables,
 * list versions, the rows of a submitted task (the admission decision is
 * worklist.c's), data requests answered from the store, the community task
 * lifecycle and the burden figures.
 *
 * Design notes
 *  - A decision is stored once with the list version it was made against;
 *    an exception changes the decision to "exception" and records who and
 *    why, never erasing the refusal reason.
 *  - Each community of a task has its own row (task_targets) whose status is
 *    received -> done, refused (not delivered) or answered (the platform
 *    answered from the store).  Burden counts these rows.
 *  - Answerable fields: a C table maps a field to the SQL that computes it
 *    for one community from tables the platform already holds; the table
 *    answerable_fields lists which are switched on (staff may delete rows).
 */
#include "store_sqlite.h"
#include "auth.h"
#include "worklist_store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const worklist_migrations[] = {
    "CREATE TABLE worklist_versions(version INTEGER PRIMARY KEY, created_at INTEGER NOT NULL,"
    "  created_by TEXT NOT NULL, note TEXT, items INTEGER NOT NULL, active INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE worklist_items(version INTEGER NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK(kind IN('duty','assist','resourced')), basis TEXT NOT NULL,"
    "  depts TEXT NOT NULL, PRIMARY KEY(version, code)) WITHOUT ROWID;"
    "CREATE TABLE tasks(id INTEGER PRIMARY KEY, title TEXT NOT NULL, kind TEXT NOT NULL,"
    "  item TEXT NOT NULL, sender_id INTEGER NOT NULL, sender TEXT NOT NULL, sender_role TEXT NOT NULL,"
    "  dept_code TEXT NOT NULL, deadline_at INTEGER, attachments TEXT, fields TEXT, resources TEXT,"
    "  created_at INTEGER NOT NULL, list_version INTEGER NOT NULL, decision TEXT NOT NULL"
    "  CHECK(decision IN('admitted','refused','exception','answered_from_store')),"
    "  reason TEXT NOT NULL, exception_by TEXT, exception_reason TEXT, exception_at INTEGER, answer TEXT);"
    "CREATE INDEX tasks_created ON tasks(created_at);"
    "CREATE INDEX tasks_dept ON tasks(dept_code, created_at);"
    "CREATE TABLE task_targets(task_id INTEGER NOT NULL, community TEXT NOT NULL, status TEXT NOT NULL"
    "  CHECK(status IN('received','done','refused','answered')), done_at INTEGER, done_by TEXT,"
    "  PRIMARY KEY(task_id, community)) WITHOUT ROWID;"
    "CREATE INDEX task_targets_comm ON task_targets(community, task_id);"
    "CREATE TABLE answerable_fields(field TEXT PRIMARY KEY, description TEXT NOT NULL);"
    "INSERT INTO answerable_fields VALUES"
    "  ('cases_total','案卷总数（全部时间）'),('open_cases','在办案卷数'),"
    "  ('closed_cases','已结案卷数'),('cases_by_category','各类别案卷数'),"
    "  ('population','常住人口'),('households','户数'),('elders_living_alone','独居老人数'),"
    "  ('houses','房屋数'),('organisations','单位数');"
    "CREATE TABLE base_counts(area TEXT NOT NULL, field TEXT NOT NULL, value REAL NOT NULL,"
    "  as_of INTEGER NOT NULL, PRIMARY KEY(area, field, as_of)) WITHOUT ROWID;"
    "CREATE TABLE worklist_config(key TEXT PRIMARY KEY, value REAL NOT NULL, updated_by TEXT,"
    "  updated_at INTEGER);",
    /* 2: base_counts with its key columns first: Debian's SQLite 3.40.1
     * reports "NULL value in base_counts.value" for every row of a WITHOUT
     * ROWID table whose NOT NULL column precedes a key column, so PRAGMA
     * integrity_check failed on a healthy database */
    "CREATE TABLE base_counts_v2(area TEXT NOT NULL, field TEXT NOT NULL, as_of INTEGER NOT NULL,"
    "  value REAL NOT NULL, PRIMARY KEY(area, field, as_of)) WITHOUT ROWID;"
    "INSERT INTO base_counts_v2(area, field, as_of, value) SELECT area, field, as_of, value FROM base_counts;"
    "DROP TABLE base_counts;"
    "ALTER TABLE base_counts_v2 RENAME TO base_counts;",
    /* 3: people with a disability and students, counted from the departments'
     * data (module people writes them to base_counts after each link) */
    "INSERT OR IGNORE INTO answerable_fields VALUES ('disabled','残疾人数'),('students','在校学生数');",
};

const jc_schema schema_worklist = {"worklist", worklist_migrations,
                                   (int)(sizeof worklist_migrations / sizeof worklist_migrations[0])};

/* ---- small SQL helpers ---------------------------------------------------- */

static json_t *col_json_str(sqlite3_stmt *s, int i) {
    return sqlite3_column_type(s, i) == SQLITE_NULL ? json_null() : json_string(sq_col_str(s, i));
}

static json_t *time_json(int64_t ms) {
    if (!ms) return json_null();
    char b[40];
    jc_fmt_utc(ms, b, sizeof b);
    return json_string(b);
}

/* Runs a statement that returns no rows and finalizes it. */
static jc_err step_fin(sqlite3 *db, sqlite3_stmt *s, const char *what) {
    jc_err e = sq_step_done(db, s, "worklist", what);
    sqlite3_finalize(s);
    return e;
}

/* ---- versions ------------------------------------------------------------- */

static jc_err sq_active_version(jc_conn *c, int64_t *version) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, "SELECT version FROM worklist_versions WHERE active=1", &s);
    if (e) return e;
    *version = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    return JC_OK;
}

static int sq_dept_known(jc_conn *c, const char *code) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    if (sq_prepare(db, "SELECT 1 FROM depts WHERE code=?", &s)) return 0;
    sq_bind_text(s, 1, code);
    int ok = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return ok;
}

static jc_err sq_version_insert(jc_conn *w, const char *by, const char *note, const wl_item *items, size_t n,
                                int64_t now_ms, int64_t *version, char *msg, size_t msz) {
    sqlite3 *db = store_sqlite_db(w);
    sqlite3_stmt *s;
    jc_err e;
    if ((e = sq_prepare(db, "UPDATE worklist_versions SET active=0 WHERE active=1", &s)) ||
        (e = step_fin(db, s, "deactivate")))
        return e;
    if ((e = sq_prepare(db, "INSERT INTO worklist_versions(created_at, created_by, note, items, active)"
                            " VALUES(?,?,?,?,1)", &s)))
        return e;
    sqlite3_bind_int64(s, 1, now_ms);
    sq_bind_text(s, 2, by);
    sq_bind_text_opt(s, 3, note);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)n);
    if ((e = step_fin(db, s, "insert version"))) return e;
    int64_t v = sqlite3_last_insert_rowid(db);
    if ((e = sq_prepare(db, "INSERT INTO worklist_items(version, code, name, kind, basis, depts)"
                            " VALUES(?,?,?,?,?,?)", &s)))
        return e;
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, v);
        sq_bind_text(s, 2, items[i].code);
        sq_bind_text(s, 3, items[i].name);
        sq_bind_text(s, 4, items[i].kind);
        sq_bind_text(s, 5, items[i].basis);
        sq_bind_text(s, 6, items[i].depts);
        int rc = sqlite3_step(s);
        if (rc != SQLITE_DONE) {
            sqlite3_finalize(s);
            snprintf(msg, msz, rc == SQLITE_CONSTRAINT ? "item %s: duplicate code or bad kind"
                                                       : "item %s: storage error", items[i].code);
            return rc == SQLITE_CONSTRAINT ? JC_ERR_INVALID : JC_ERR_DB;
        }
    }
    sqlite3_finalize(s);
    *version = v;
    return JC_OK;
}

static int sq_item_get(jc_conn *c, int64_t v, const char *code, wl_item *it) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    if (sq_prepare(db, "SELECT code, name, kind, basis, depts FROM worklist_items WHERE version=? AND code=?",
                   &s))
        return -1;
    sqlite3_bind_int64(s, 1, v);
    sq_bind_text(s, 2, code);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        sq_col_copy(s, 0, it->code, sizeof it->code);
        sq_col_copy(s, 1, it->name, sizeof it->name);
        sq_col_copy(s, 2, it->kind, sizeof it->kind);
        sq_col_copy(s, 3, it->basis, sizeof it->basis);
        sq_col_copy(s, 4, it->depts, sizeof it->depts);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

/* ---- answerable fields ---------------------------------------------------- */

/* field -> SQL over existing tables; ?1 is the community code (a prefix of
 * cases.area).  Scalar queries return one number; "grouped" ones return
 * (key, count) rows answered as an object. */
static const struct {
    const char *field;
    int grouped;
    const char *sql;
} answer_sql[] = {
    {"cases_total", 0, "SELECT count(*) FROM cases WHERE substr(area,1,length(?1))=?1"},
    {"open_cases", 0,
     "SELECT count(*) FROM cases WHERE substr(area,1,length(?1))=?1 AND state NOT IN"
     "('closed','rated','voided','merged')"},
    {"closed_cases", 0,
     "SELECT count(*) FROM cases WHERE substr(area,1,length(?1))=?1 AND state IN('closed','rated')"},
    {"cases_by_category", 1,
     "SELECT category, count(*) FROM cases WHERE substr(area,1,length(?1))=?1 GROUP BY category"
     " ORDER BY category"},
    /* Base data (a later issue imports it): the latest count of the area. */
    {"population", 0, "SELECT value FROM base_counts WHERE area=?1 AND field='population' ORDER BY as_of DESC LIMIT 1"},
    {"households", 0, "SELECT value FROM base_counts WHERE area=?1 AND field='households' ORDER BY as_of DESC LIMIT 1"},
    {"elders_living_alone", 0, "SELECT value FROM base_counts WHERE area=?1 AND field='elders_living_alone' ORDER BY as_of DESC LIMIT 1"},
    {"houses", 0, "SELECT value FROM base_counts WHERE area=?1 AND field='houses' ORDER BY as_of DESC LIMIT 1"},
    {"organisations", 0, "SELECT value FROM base_counts WHERE area=?1 AND field='organisations' ORDER BY as_of DESC LIMIT 1"},
    {"disabled", 0, "SELECT value FROM base_counts WHERE area=?1 AND field='disabled' ORDER BY as_of DESC LIMIT 1"},
    {"students", 0, "SELECT value FROM base_counts WHERE area=?1 AND field='students' ORDER BY as_of DESC LIMIT 1"},
};

static int answer_index(const char *field) {
    for (size_t i = 0; i < JC_ARRAY_LEN(answer_sql); i++)
        if (!strcmp(answer_sql[i].field, field)) return (int)i;
    return -1;
}

static int sq_field_answerable(jc_conn *c, const char *field) {
    if (answer_index(field) < 0) return 0;
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    if (sq_prepare(db, "SELECT 1 FROM answerable_fields WHERE field=?", &s)) return 0;
    sq_bind_text(s, 1, field);
    int ok = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    if (!ok) return 0;
    /* A base-data field is answerable only when the store holds it. */
    if (strstr(answer_sql[answer_index(field)].sql, "base_counts")) {
        if (sq_prepare(db, "SELECT 1 FROM base_counts WHERE field=? LIMIT 1", &s)) return 0;
        sq_bind_text(s, 1, field);
        ok = sqlite3_step(s) == SQLITE_ROW;
        sqlite3_finalize(s);
    }
    return ok;
}

static jc_err sq_answer_field(jc_conn *c, const char *field, const char *community, json_t **out) {
    int i = answer_index(field);
    if (i < 0) return JC_ERR_NOTFOUND;
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, answer_sql[i].sql, &s);
    if (e) return e;
    sq_bind_text(s, 1, community);
    json_t *v;
    if (answer_sql[i].grouped) {
        v = json_object();
        while (sqlite3_step(s) == SQLITE_ROW)
            json_object_set_new(v, sq_col_str(s, 0), json_integer(sqlite3_column_int64(s, 1)));
    } else if (sqlite3_step(s) == SQLITE_ROW) {
        double d = sqlite3_column_double(s, 0);
        v = d == (double)(int64_t)d ? json_integer((json_int_t)d) : json_real(d);
    } else {
        v = json_null();
    }
    sqlite3_finalize(s);
    *out = v;
    return JC_OK;
}

static jc_err sq_fields_each(jc_conn *c, int (*cb)(const char *field, const char *description, void *arg),
                             void *arg) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, "SELECT field, description FROM answerable_fields ORDER BY field", &s);
    if (e) return e;
    while (sqlite3_step(s) == SQLITE_ROW)
        if (cb(sq_col_str(s, 0), sq_col_str(s, 1), arg)) break;
    sqlite3_finalize(s);
    return JC_OK;
}

/* ---- config ------------------------------------------------------------------ */

static jc_err sq_config_get(jc_conn *c, const char *key, double dflt, double *out) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, "SELECT value FROM worklist_config WHERE key=?", &s);
    if (e) return e;
    sq_bind_text(s, 1, key);
    *out = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_double(s, 0) : dflt;
    sqlite3_finalize(s);
    return JC_OK;
}

static jc_err sq_config_put(jc_conn *w, const char *key, double value, const char *by, int64_t at_ms) {
    sqlite3 *db = store_sqlite_db(w);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, "INSERT INTO worklist_config(key, value, updated_by, updated_at) VALUES(?,?,?,?)"
                              " ON CONFLICT(key) DO UPDATE SET value=excluded.value,"
                              " updated_by=excluded.updated_by, updated_at=excluded.updated_at", &s);
    if (e) return e;
    sq_bind_text(s, 1, key);
    sqlite3_bind_double(s, 2, value);
    sq_bind_text(s, 3, by);
    sqlite3_bind_int64(s, 4, at_ms);
    return step_fin(db, s, "config");
}

/* ---- tasks --------------------------------------------------------------------- */

static jc_err sq_task_json(jc_conn *c, int64_t id, json_t **out) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db,
                          "SELECT t.id, t.title, t.kind, t.item, t.sender, t.sender_role, t.dept_code,"
                          " t.deadline_at, t.attachments, t.fields, t.resources, t.created_at,"
                          " t.list_version, t.decision, t.reason, t.exception_by, t.exception_reason,"
                          " t.exception_at, t.answer, i.name, i.kind"
                          " FROM tasks t LEFT JOIN worklist_items i ON i.version=t.list_version AND i.code=t.item"
                          " WHERE t.id=?", &s);
    if (e) return e;
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        return JC_ERR_NOTFOUND;
    }
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(sqlite3_column_int64(s, 0)));
    json_object_set_new(o, "title", json_string(sq_col_str(s, 1)));
    json_object_set_new(o, "kind", json_string(sq_col_str(s, 2)));
    json_object_set_new(o, "item", json_string(sq_col_str(s, 3)));
    json_object_set_new(o, "item_name", col_json_str(s, 19));
    json_object_set_new(o, "item_kind", col_json_str(s, 20));
    json_object_set_new(o, "sender", json_string(sq_col_str(s, 4)));
    json_object_set_new(o, "sender_role", json_string(sq_col_str(s, 5)));
    json_object_set_new(o, "dept", json_string(sq_col_str(s, 6)));
    json_object_set_new(o, "deadline", time_json(sqlite3_column_int64(s, 7)));
    json_t *a = sqlite3_column_type(s, 8) == SQLITE_NULL ? NULL : json_loads(sq_col_str(s, 8), 0, NULL);
    json_object_set_new(o, "attachments", a ? a : json_array());
    json_t *f = sqlite3_column_type(s, 9) == SQLITE_NULL ? NULL : json_loads(sq_col_str(s, 9), 0, NULL);
    json_object_set_new(o, "fields", f ? f : json_array());
    json_object_set_new(o, "resources", col_json_str(s, 10));
    json_object_set_new(o, "created_at", time_json(sqlite3_column_int64(s, 11)));
    json_object_set_new(o, "list_version", json_integer(sqlite3_column_int64(s, 12)));
    json_object_set_new(o, "decision", json_string(sq_col_str(s, 13)));
    json_object_set_new(o, "reason", json_string(sq_col_str(s, 14)));
    if (sqlite3_column_type(s, 15) != SQLITE_NULL)
        json_object_set_new(o, "exception",
                            json_pack("{s:s,s:s,s:o}", "by", sq_col_str(s, 15), "reason", sq_col_str(s, 16),
                                      "at", time_json(sqlite3_column_int64(s, 17))));
    else
        json_object_set_new(o, "exception", json_null());
    json_t *ans = sqlite3_column_type(s, 18) == SQLITE_NULL ? NULL : json_loads(sq_col_str(s, 18), 0, NULL);
    json_object_set_new(o, "answer", ans ? ans : json_null());
    sqlite3_finalize(s);
    /* done_by_name: the display name of the login that marked it done (people read it) */
    if ((e = sq_prepare(db, "SELECT t.community, t.status, t.done_at, t.done_by, NULLIF(u.display, '')"
                            " FROM task_targets t LEFT JOIN users u ON u.name=t.done_by"
                            " WHERE t.task_id=? ORDER BY t.community", &s))) {
        json_decref(o);
        return e;
    }
    sqlite3_bind_int64(s, 1, id);
    json_t *arr = json_array();
    while (sqlite3_step(s) == SQLITE_ROW)
        json_array_append_new(arr, json_pack("{s:s,s:s,s:o,s:o,s:o}", "community", sq_col_str(s, 0),
                                             "status", sq_col_str(s, 1), "done_at",
                                             time_json(sqlite3_column_int64(s, 2)), "done_by",
                                             col_json_str(s, 3), "done_by_name", col_json_str(s, 4)));
    sqlite3_finalize(s);
    json_object_set_new(o, "communities", arr);
    *out = o;
    return JC_OK;
}

/* ---- submission ---------------------------------------------------------- */

static jc_err sq_task_store(jc_conn *w, const wl__task_row *t, int64_t *id) {
    sqlite3 *db = store_sqlite_db(w);
    const wl_task_in *in = t->in;
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, "INSERT INTO tasks(title, kind, item, sender_id, sender, sender_role, dept_code,"
                              " deadline_at, attachments, fields, resources, created_at, list_version,"
                              " decision, reason, answer) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &s);
    if (e) return e;
    json_t *fields = json_array();
    for (size_t i = 0; i < in->nfields; i++) json_array_append_new(fields, json_string(in->fields[i]));
    char *fields_txt = json_dumps(fields, JSON_COMPACT);
    char *answer_txt = t->answer ? json_dumps(t->answer, JSON_COMPACT) : NULL;
    json_decref(fields);
    sq_bind_text(s, 1, in->title);
    sq_bind_text(s, 2, in->kind);
    sq_bind_text(s, 3, in->item);
    sqlite3_bind_int64(s, 4, t->actor->id);
    sq_bind_text(s, 5, t->actor->name);
    sq_bind_text(s, 6, role_name(t->actor->role));
    sq_bind_text(s, 7, t->dept);
    if (in->deadline_ms) sqlite3_bind_int64(s, 8, in->deadline_ms);
    sq_bind_text(s, 9, in->attachments_json);
    sq_bind_text(s, 10, in->nfields ? fields_txt : NULL);
    sq_bind_text_opt(s, 11, in->resources);
    sqlite3_bind_int64(s, 12, t->now_ms);
    sqlite3_bind_int64(s, 13, t->version);
    sq_bind_text(s, 14, t->decision);
    sq_bind_text(s, 15, t->reason);
    sq_bind_text(s, 16, answer_txt);
    e = step_fin(db, s, "insert task");
    free(fields_txt);
    free(answer_txt);
    if (e) return e;
    *id = sqlite3_last_insert_rowid(db);
    if ((e = sq_prepare(db, "INSERT INTO task_targets(task_id, community, status) VALUES(?,?,?)", &s)))
        return e;
    for (size_t i = 0; i < in->ncommunities; i++) {
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, *id);
        sq_bind_text(s, 2, in->communities[i]);
        sq_bind_text(s, 3, t->target_status);
        if (sqlite3_step(s) != SQLITE_DONE) {
            sqlite3_finalize(s);
            return sq_fail(db, "worklist", "insert target");
        }
    }
    sqlite3_finalize(s);
    return JC_OK;
}

static jc_err sq_task_decision(jc_conn *c, int64_t id, char *decision, size_t dsz) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, "SELECT decision FROM tasks WHERE id=?", &s);
    if (e) return e;
    sqlite3_bind_int64(s, 1, id);
    e = sqlite3_step(s) == SQLITE_ROW ? JC_OK : JC_ERR_NOTFOUND;
    if (!e) sq_col_copy(s, 0, decision, dsz);
    sqlite3_finalize(s);
    return e;
}

static jc_err sq_task_outside(jc_conn *c, int64_t id, const char *area, int64_t *n) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, "SELECT count(*) FROM task_targets WHERE task_id=? AND"
                              " substr(community,1,length(?2))!=?2", &s);
    if (e) return e;
    sqlite3_bind_int64(s, 1, id);
    sq_bind_text(s, 2, area);
    *n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 1;
    sqlite3_finalize(s);
    return JC_OK;
}

static jc_err sq_task_set_exception(jc_conn *w, int64_t id, const char *by, const char *reason, int64_t at_ms) {
    sqlite3 *db = store_sqlite_db(w);
    sqlite3_stmt *s;
    jc_err e;
    if ((e = sq_prepare(db, "UPDATE tasks SET decision='exception', exception_by=?, exception_reason=?,"
                            " exception_at=? WHERE id=? AND decision='refused'", &s)))
        return e;
    sq_bind_text(s, 1, by);
    sq_bind_text(s, 2, reason);
    sqlite3_bind_int64(s, 3, at_ms);
    sqlite3_bind_int64(s, 4, id);
    if ((e = step_fin(db, s, "exception"))) return e;
    if (!sqlite3_changes(db)) return JC_ERR_CONFLICT;
    if ((e = sq_prepare(db, "UPDATE task_targets SET status='received' WHERE task_id=? AND status='refused'", &s)))
        return e;
    sqlite3_bind_int64(s, 1, id);
    return step_fin(db, s, "exception targets");
}

static jc_err sq_target_status(jc_conn *c, int64_t id, const char *community, char *st, size_t stsz) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, "SELECT status FROM task_targets WHERE task_id=? AND community=?", &s);
    if (e) return e;
    sqlite3_bind_int64(s, 1, id);
    sq_bind_text(s, 2, community);
    e = sqlite3_step(s) == SQLITE_ROW ? JC_OK : JC_ERR_NOTFOUND;
    if (!e) sq_col_copy(s, 0, st, stsz);
    sqlite3_finalize(s);
    return e;
}

static jc_err sq_target_done(jc_conn *w, int64_t id, const char *community, int64_t at_ms, const char *by) {
    sqlite3 *db = store_sqlite_db(w);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, "UPDATE task_targets SET status='done', done_at=?, done_by=? WHERE task_id=?"
                              " AND community=? AND status='received'", &s);
    if (e) return e;
    sqlite3_bind_int64(s, 1, at_ms);
    sq_bind_text(s, 2, by);
    sqlite3_bind_int64(s, 3, id);
    sq_bind_text(s, 4, community);
    if ((e = step_fin(db, s, "done"))) return e;
    return sqlite3_changes(db) ? JC_OK : JC_ERR_CONFLICT;
}

static jc_err sq_task_ids(jc_conn *c, const char *community, const char *scope, const char *dept, int64_t task_id,
                          int limit, int64_t *ids, int *n) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db,
                          "SELECT DISTINCT t.id FROM tasks t JOIN task_targets g ON g.task_id=t.id"
                          " WHERE (?1 IS NULL OR g.community=?1)"
                          "   AND (?2 IS NULL OR substr(g.community,1,length(?2))=?2)"
                          "   AND (?3 IS NULL OR t.dept_code=?3)"
                          "   AND (?4 IS NULL OR t.id=?4)"
                          " ORDER BY t.id DESC LIMIT ?5", &s);
    if (e) return e;
    sq_bind_text_opt(s, 1, community);
    sq_bind_text(s, 2, scope);
    sq_bind_text(s, 3, dept);
    if (task_id) sqlite3_bind_int64(s, 4, task_id);
    sqlite3_bind_int(s, 5, limit);
    *n = 0;
    while (*n < limit && sqlite3_step(s) == SQLITE_ROW) ids[(*n)++] = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return JC_OK;
}

static jc_err sq_burden_each(jc_conn *c, int64_t t0, int64_t t1, const char *scope, const char *dept,
                             int (*cb)(const wl_burden_row *r, void *arg), void *arg) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db,
                          "SELECT g.community, t.dept_code, t.kind, g.status, t.decision, count(*)"
                          " FROM tasks t JOIN task_targets g ON g.task_id=t.id"
                          " WHERE t.created_at>=?1 AND t.created_at<?2"
                          "   AND (?3 IS NULL OR substr(g.community,1,length(?3))=?3)"
                          "   AND (?4 IS NULL OR t.dept_code=?4)"
                          " GROUP BY 1,2,3,4,5 ORDER BY 1,2", &s);
    if (e) return e;
    sqlite3_bind_int64(s, 1, t0);
    sqlite3_bind_int64(s, 2, t1);
    sq_bind_text(s, 3, scope);
    sq_bind_text(s, 4, dept);
    while (sqlite3_step(s) == SQLITE_ROW) {
        wl_burden_row r = {sq_col_str(s, 0), sq_col_str(s, 1), sq_col_str(s, 2), sq_col_str(s, 3),
                           sq_col_str(s, 4), sqlite3_column_int64(s, 5)};
        if (cb(&r, arg)) break;
    }
    sqlite3_finalize(s);
    return JC_OK;
}

static jc_err sq_items_get(jc_conn *c, int64_t version, wl_item **items, size_t *n) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, "SELECT code, name, kind, basis, depts FROM worklist_items WHERE version=?"
                              " ORDER BY code", &s);
    if (e) return e;
    sqlite3_bind_int64(s, 1, version);
    size_t cap = 16, k = 0;
    wl_item *v = malloc(cap * sizeof *v);
    if (!v) {
        sqlite3_finalize(s);
        return JC_ERR_NOMEM;
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (k == cap) {
            wl_item *nv = realloc(v, 2 * cap * sizeof *v);
            if (!nv) {
                free(v);
                sqlite3_finalize(s);
                return JC_ERR_NOMEM;
            }
            v = nv;
            cap *= 2;
        }
        memset(&v[k], 0, sizeof v[k]);
        sq_col_copy(s, 0, v[k].code, sizeof v[k].code);
        sq_col_copy(s, 1, v[k].name, sizeof v[k].name);
        sq_col_copy(s, 2, v[k].kind, sizeof v[k].kind);
        sq_col_copy(s, 3, v[k].basis, sizeof v[k].basis);
        sq_col_copy(s, 4, v[k].depts, sizeof v[k].depts);
        k++;
    }
    sqlite3_finalize(s);
    *items = v;
    *n = k;
    return JC_OK;
}

static jc_err sq_versions_json(jc_conn *c, json_t **out) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, "SELECT version, created_at, created_by, note, items, active"
                              " FROM worklist_versions ORDER BY version DESC LIMIT 200", &s);
    if (e) return e;
    json_t *arr = json_array();
    while (sqlite3_step(s) == SQLITE_ROW)
        json_array_append_new(arr, json_pack("{s:I,s:o,s:s,s:o,s:I,s:b}", "version",
                                             (json_int_t)sqlite3_column_int64(s, 0), "created_at",
                                             time_json(sqlite3_column_int64(s, 1)), "created_by",
                                             sq_col_str(s, 2), "note", col_json_str(s, 3), "items",
                                             (json_int_t)sqlite3_column_int64(s, 4), "active",
                                             sqlite3_column_int(s, 5)));
    sqlite3_finalize(s);
    *out = arr;
    return JC_OK;
}

/* ---- base counts ----------------------------------------------------------------- */

static jc_err sq_base_counts_any(jc_conn *c, int *have) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, "SELECT 1 FROM base_counts LIMIT 1", &s);
    if (e) return e;
    *have = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return JC_OK;
}

static jc_err sq_base_counts_seed(jc_conn *w, int64_t now_ms) {
    sqlite3 *db = store_sqlite_db(w);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db,
                          "INSERT INTO base_counts(area, field, value, as_of)"
                          " SELECT code, f.field, f.base + (CAST(substr(code,10,3) AS INTEGER) * f.step), ?1"
                          " FROM areas, (SELECT 'population' AS field, 5200 AS base, 317 AS step"
                          "   UNION ALL SELECT 'households', 2100, 121 UNION ALL SELECT 'elders_living_alone', 38, 7"
                          "   UNION ALL SELECT 'houses', 1800, 97 UNION ALL SELECT 'organisations', 64, 5) f"
                          " WHERE level='community'", &s);
    if (e) return e;
    sqlite3_bind_int64(s, 1, now_ms);
    return step_fin(db, s, "base counts");
}

const worklist_store_ops worklist_store_sqlite = {
    .active_version = sq_active_version,
    .dept_known = sq_dept_known,
    .version_insert = sq_version_insert,
    .item_get = sq_item_get,
    .items_get = sq_items_get,
    .versions_json = sq_versions_json,
    .field_answerable = sq_field_answerable,
    .answer_field = sq_answer_field,
    .fields_each = sq_fields_each,
    .config_get = sq_config_get,
    .config_put = sq_config_put,
    .task_json = sq_task_json,
    .task_store = sq_task_store,
    .task_decision = sq_task_decision,
    .task_outside = sq_task_outside,
    .task_set_exception = sq_task_set_exception,
    .target_status = sq_target_status,
    .target_done = sq_target_done,
    .task_ids = sq_task_ids,
    .burden_each = sq_burden_each,
    .base_counts_any = sq_base_counts_any,
    .base_counts_seed = sq_base_counts_seed,
};
