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
#include "reason.h"
#include "worklist.h"

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

jc_err worklist_active_version(jc_conn *c, int64_t *version) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, "SELECT version FROM worklist_versions WHERE active=1", &s);
    if (e) return e;
    *version = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    return JC_OK;
}

static int dept_code_known(sqlite3 *db, const char *code) {
    sqlite3_stmt *s;
    if (sq_prepare(db, "SELECT 1 FROM depts WHERE code=?", &s)) return 0;
    sq_bind_text(s, 1, code);
    int ok = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return ok;
}

jc_err worklist_put_version(jc_conn *w, const jc_user *actor, const wl_item *items, size_t n,
                            const char *note, int64_t *version, char *msg, size_t msz) {
    sqlite3 *db = store_sqlite_db(w);
    if (n == 0 || n > WL_MAX_ITEMS) {
        snprintf(msg, msz, "a work list holds 1 to %d items", WL_MAX_ITEMS);
        return JC_ERR_INVALID;
    }
    /* Every department named must exist (or be "*" / "street"). */
    for (size_t i = 0; i < n; i++) {
        char buf[sizeof items[i].depts];
        snprintf(buf, sizeof buf, "%s", items[i].depts);
        char *save = NULL;
        for (char *t = strtok_r(buf, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
            if (!strcmp(t, "*") || !strcmp(t, "street")) continue;
            if (!dept_code_known(db, t)) {
                snprintf(msg, msz, "item %s: unknown department '%s'", items[i].code, t);
                return JC_ERR_INVALID;
            }
        }
    }
    int64_t now = jc_now_ms();
    sqlite3_stmt *s;
    jc_err e;
    if ((e = sq_prepare(db, "UPDATE worklist_versions SET active=0 WHERE active=1", &s)) ||
        (e = step_fin(db, s, "deactivate")))
        return e;
    if ((e = sq_prepare(db, "INSERT INTO worklist_versions(created_at, created_by, note, items, active)"
                            " VALUES(?,?,?,?,1)", &s)))
        return e;
    sqlite3_bind_int64(s, 1, now);
    sq_bind_text(s, 2, actor->name);
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
    char why[600];
    reason_buf b;
    reason_begin(&b, why, sizeof why, "worklist_version");
    reason_int(&b, "version", v);
    reason_int(&b, "items", (int64_t)n);
    reason_str(&b, "note", note && *note ? note : NULL);
    if ((e = auth_audit(w, actor, "worklist_version", reason_end(&b)))) return e;
    *version = v;
    return JC_OK;
}

int wl__item_get(jc_conn *c, int64_t v, const char *code, wl_item *it) {
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

int wl__field_answerable(jc_conn *c, const char *field) {
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

jc_err wl__answer_field(jc_conn *c, const char *field, const char *community, json_t **out) {
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

/* ---- config ------------------------------------------------------------------ */

jc_err worklist_config_get(jc_conn *c, const char *key, double dflt, double *out) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, "SELECT value FROM worklist_config WHERE key=?", &s);
    if (e) return e;
    sq_bind_text(s, 1, key);
    *out = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_double(s, 0) : dflt;
    sqlite3_finalize(s);
    return JC_OK;
}

jc_err worklist_config_set(jc_conn *w, const jc_user *actor, const char *key, double value) {
    sqlite3 *db = store_sqlite_db(w);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, "INSERT INTO worklist_config(key, value, updated_by, updated_at) VALUES(?,?,?,?)"
                              " ON CONFLICT(key) DO UPDATE SET value=excluded.value,"
                              " updated_by=excluded.updated_by, updated_at=excluded.updated_at", &s);
    if (e) return e;
    sq_bind_text(s, 1, key);
    sqlite3_bind_double(s, 2, value);
    sq_bind_text(s, 3, actor->name);
    sqlite3_bind_int64(s, 4, jc_now_ms());
    if ((e = step_fin(db, s, "config"))) return e;
    /* a code (docs/audit.md); the key is one of the known settings (worklist.c) */
    char changes[160], why[300];
    snprintf(changes, sizeof changes, "{\"%s\":%g}", key, value);
    reason_buf rb;
    reason_begin(&rb, why, sizeof why, "settings");
    reason_str(&rb, "of", "burden");
    reason_raw(&rb, "changes", changes);
    return auth_audit(w, actor, "worklist_config", reason_end(&rb));
}

const worklist_setting worklist_settings[] = {
    {"limit.tasks_per_community_month", 8}, {"hours.task", 2},       {"hours.form", 1.5},
    {"hours.report", 3},                    {"hours.inspection", 4}, {"hours.meeting", 2},
    {"hours.signboard", 1},                 {"hours.data_request", 1},
};
const size_t worklist_nsettings = JC_ARRAY_LEN(worklist_settings);

/* The default of a setting; 0 for a key that is not one. */
static double setting_default(const char *key) {
    for (size_t i = 0; i < worklist_nsettings; i++)
        if (!strcmp(key, worklist_settings[i].key)) return worklist_settings[i].dflt;
    return 0;
}

static double kind_hours(jc_conn *c, const char *kind) {
    char key[48];
    snprintf(key, sizeof key, "hours.%s", kind);
    double d = setting_default(key), h = d;
    if (d && worklist_config_get(c, key, d, &h)) h = d;
    return h;
}

/* ---- task JSON ------------------------------------------------------------- */

jc_err wl__task_json(jc_conn *c, int64_t id, json_t **out) {
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

jc_err wl__task_store(jc_conn *w, const wl__task_row *t, int64_t *id) {
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

jc_err worklist_task_exception(jc_conn *w, const jc_user *actor, int64_t task_id, const char *reason,
                               int64_t now_ms, json_t **out, char *msg, size_t msz) {
    sqlite3 *db = store_sqlite_db(w);
    if (!wl__street_role(actor->role)) {
        snprintf(msg, msz, "only the street (dispatcher, supervisor) grants exceptions");
        return JC_ERR_DENIED;
    }
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, "SELECT decision FROM tasks WHERE id=?", &s);
    if (e) return e;
    sqlite3_bind_int64(s, 1, task_id);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        snprintf(msg, msz, "no task %lld", (long long)task_id);
        return JC_ERR_NOTFOUND;
    }
    int refused = !strcmp(sq_col_str(s, 0), "refused");
    sqlite3_finalize(s);
    if (!refused) {
        snprintf(msg, msz, "task %lld was not refused; no exception needed", (long long)task_id);
        return JC_ERR_CONFLICT;
    }
    /* The street's scope must cover every community of the task. */
    if (actor->role != ROLE_ADMIN && actor->area[0]) {
        if ((e = sq_prepare(db, "SELECT count(*) FROM task_targets WHERE task_id=? AND"
                                " substr(community,1,length(?2))!=?2", &s)))
            return e;
        sqlite3_bind_int64(s, 1, task_id);
        sq_bind_text(s, 2, actor->area);
        int outside = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 1;
        sqlite3_finalize(s);
        if (outside) {
            snprintf(msg, msz, "the task goes to communities outside your scope %s", actor->area);
            return JC_ERR_DENIED;
        }
    }
    if ((e = sq_prepare(db, "UPDATE tasks SET decision='exception', exception_by=?, exception_reason=?,"
                            " exception_at=? WHERE id=?", &s)))
        return e;
    sq_bind_text(s, 1, actor->name);
    sq_bind_text(s, 2, reason);
    sqlite3_bind_int64(s, 3, now_ms);
    sqlite3_bind_int64(s, 4, task_id);
    if ((e = step_fin(db, s, "exception"))) return e;
    if ((e = sq_prepare(db, "UPDATE task_targets SET status='received' WHERE task_id=? AND status='refused'", &s)))
        return e;
    sqlite3_bind_int64(s, 1, task_id);
    if ((e = step_fin(db, s, "exception targets"))) return e;
    char why[1400];
    reason_buf rb;
    reason_begin(&rb, why, sizeof why, "task_exception");
    reason_int(&rb, "task", task_id);
    reason_str(&rb, "note", reason);
    reason_end(&rb);
    if ((e = auth_audit(w, actor, "task_exception", why))) return e;
    return wl__task_json(w, task_id, out);
}

jc_err worklist_task_done(jc_conn *w, const jc_user *actor, int64_t task_id, const char *community,
                          int64_t now_ms, json_t **out, char *msg, size_t msz) {
    sqlite3 *db = store_sqlite_db(w);
    if (actor->role == ROLE_COMMUNITY_STAFF) {
        if (community && strcmp(community, actor->area)) {
            snprintf(msg, msz, "community %s is not yours", community);
            return JC_ERR_DENIED;
        }
        community = actor->area;
    } else if (!(wl__street_role(actor->role) && community && actor->area[0] &&
                 !strncmp(community, actor->area, strlen(actor->area))) &&
               !(actor->role == ROLE_ADMIN && community)) {
        snprintf(msg, msz, "only the community marks its task done");
        return JC_ERR_DENIED;
    }
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, "SELECT status FROM task_targets WHERE task_id=? AND community=?", &s);
    if (e) return e;
    sqlite3_bind_int64(s, 1, task_id);
    sq_bind_text(s, 2, community);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        snprintf(msg, msz, "no task %lld for community %s", (long long)task_id, community);
        return JC_ERR_NOTFOUND;
    }
    char st[16];
    sq_col_copy(s, 0, st, sizeof st);
    sqlite3_finalize(s);
    if (strcmp(st, "received")) {
        snprintf(msg, msz, "task %lld is %s for %s, not received", (long long)task_id, st, community);
        return JC_ERR_CONFLICT;
    }
    if ((e = sq_prepare(db, "UPDATE task_targets SET status='done', done_at=?, done_by=? WHERE task_id=?"
                            " AND community=?", &s)))
        return e;
    sqlite3_bind_int64(s, 1, now_ms);
    sq_bind_text(s, 2, actor->name);
    sqlite3_bind_int64(s, 3, task_id);
    sq_bind_text(s, 4, community);
    if ((e = step_fin(db, s, "done"))) return e;
    char why[160];
    reason_buf rb;
    reason_begin(&rb, why, sizeof why, "task_done");
    reason_int(&rb, "task", task_id);
    reason_str(&rb, "area", community);
    reason_end(&rb);
    if ((e = auth_audit(w, actor, "task_done", why))) return e;
    return wl__task_json(w, task_id, out);
}

/* ---- listing ----------------------------------------------------------------- */

jc_err worklist_tasks_list(jc_conn *c, const jc_user *viewer, const char *community, int64_t task_id,
                           int limit, json_t **out) {
    sqlite3 *db = store_sqlite_db(c);
    if (limit < 1 || limit > 500) limit = 100;
    /* ?1 community filter, ?2 viewer's area scope, ?3 viewer's dept code
     * (dept staff), ?4 task id, ?5 limit. */
    const char *sql =
        "SELECT DISTINCT t.id FROM tasks t JOIN task_targets g ON g.task_id=t.id"
        " WHERE (?1 IS NULL OR g.community=?1)"
        "   AND (?2 IS NULL OR substr(g.community,1,length(?2))=?2)"
        "   AND (?3 IS NULL OR t.dept_code=?3)"
        "   AND (?4 IS NULL OR t.id=?4)"
        " ORDER BY t.id DESC LIMIT ?5";
    char dept[32] = "";
    const char *scope = NULL;
    switch (viewer->role) {
    case ROLE_DEPT_STAFF: {
        jc_dept d;
        if (store_dept_get(c, viewer->dept_id, &d)) return JC_ERR_DENIED;
        snprintf(dept, sizeof dept, "%s", d.code);
        break;
    }
    case ROLE_COMMUNITY_STAFF:
    case ROLE_DISPATCHER:
    case ROLE_SUPERVISOR:
    case ROLE_GRID_WORKER:
        scope = viewer->area[0] ? viewer->area : NULL;
        if (!scope) return JC_ERR_DENIED;
        break;
    case ROLE_ADMIN:
        break;
    default:
        return JC_ERR_DENIED;
    }
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, sql, &s);
    if (e) return e;
    sq_bind_text_opt(s, 1, community);
    sq_bind_text(s, 2, scope);
    sq_bind_text(s, 3, dept[0] ? dept : NULL);
    if (task_id) sqlite3_bind_int64(s, 4, task_id);
    sqlite3_bind_int(s, 5, limit);
    json_t *arr = json_array();
    while (sqlite3_step(s) == SQLITE_ROW) {
        json_t *t = NULL;
        if (wl__task_json(c, sqlite3_column_int64(s, 0), &t) == JC_OK) {
            /* Community staff see only their own copy's status. */
            if (viewer->role == ROLE_COMMUNITY_STAFF) {
                json_t *cs = json_object_get(t, "communities"), *keep = json_array();
                size_t i;
                json_t *v;
                json_array_foreach(cs, i, v) {
                    if (!strcmp(json_string_value(json_object_get(v, "community")), viewer->area))
                        json_array_append(keep, v);
                }
                json_object_set_new(t, "communities", keep);
                json_t *ans = json_object_get(t, "answer");
                if (json_is_object(ans)) {
                    json_t *mine = json_object_get(ans, viewer->area);
                    json_object_set_new(t, "answer", mine ? json_pack("{s:O}", viewer->area, mine)
                                                          : json_null());
                }
            }
            json_array_append_new(arr, t);
        }
    }
    sqlite3_finalize(s);
    *out = arr;
    return JC_OK;
}

/* ---- burden ---------------------------------------------------------------- */

jc_err worklist_burden(jc_conn *c, const jc_user *viewer, const char *month, json_t **out) {
    sqlite3 *db = store_sqlite_db(c);
    int64_t t0, t1;
    jc_err e = wl__month_bounds(month, &t0, &t1);
    if (e) return e;
    const char *scope = NULL;
    char dept[32] = "";
    if (viewer->role == ROLE_DEPT_STAFF) {
        jc_dept d;
        if (store_dept_get(c, viewer->dept_id, &d)) return JC_ERR_DENIED;
        snprintf(dept, sizeof dept, "%s", d.code);
    } else if (viewer->role != ROLE_ADMIN) {
        scope = viewer->area[0] ? viewer->area : NULL;
        if (!scope) return JC_ERR_DENIED;
    }
    double limit;
    if ((e = worklist_config_get(c, "limit.tasks_per_community_month",
                                   setting_default("limit.tasks_per_community_month"), &limit))) return e;
    /* One row per (community, dept, kind, target status, task decision). */
    sqlite3_stmt *s;
    if ((e = sq_prepare(db,
                        "SELECT g.community, t.dept_code, t.kind, g.status, t.decision, count(*)"
                        " FROM tasks t JOIN task_targets g ON g.task_id=t.id"
                        " WHERE t.created_at>=?1 AND t.created_at<?2"
                        "   AND (?3 IS NULL OR substr(g.community,1,length(?3))=?3)"
                        "   AND (?4 IS NULL OR t.dept_code=?4)"
                        " GROUP BY 1,2,3,4,5 ORDER BY 1,2", &s)))
        return e;
    sqlite3_bind_int64(s, 1, t0);
    sqlite3_bind_int64(s, 2, t1);
    sq_bind_text(s, 3, scope);
    sq_bind_text(s, 4, dept[0] ? dept : NULL);
    json_t *comms = json_object(), *depts = json_object(), *pairs = json_object();
    static const char *const keys[] = {"received", "refused", "exceptions", "forms", "reports",
                                       "answered_from_store", "done"};
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *comm = sq_col_str(s, 0), *dc = sq_col_str(s, 1), *kind = sq_col_str(s, 2),
                   *status = sq_col_str(s, 3), *decision = sq_col_str(s, 4);
        int64_t n = sqlite3_column_int64(s, 5);
        json_t *targets[2] = {json_object_get(comms, comm), json_object_get(depts, dc)};
        for (int k = 0; k < 2; k++) {
            if (!targets[k]) {
                targets[k] = json_object();
                for (size_t i = 0; i < JC_ARRAY_LEN(keys); i++)
                    json_object_set_new(targets[k], keys[i], json_integer(0));
                json_object_set_new(targets[k], "hours", json_real(0));
                json_object_set_new(k ? depts : comms, k ? dc : comm, targets[k]);
            }
        }
        int delivered = !strcmp(status, "received") || !strcmp(status, "done");
        for (int k = 0; k < 2; k++) {
            json_t *o = targets[k];
#define BUMP(key, v) json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + (v)))
            if (delivered) BUMP("received", n);
            if (!strcmp(status, "done")) BUMP("done", n);
            if (!strcmp(status, "refused")) BUMP("refused", n);
            if (!strcmp(decision, "exception")) BUMP("exceptions", n);
            if (delivered && !strcmp(kind, "form")) BUMP("forms", n);
            if (delivered && !strcmp(kind, "report")) BUMP("reports", n);
            if (!strcmp(status, "answered")) BUMP("answered_from_store", n);
#undef BUMP
            if (delivered)
                json_object_set_new(o, "hours", json_real(json_real_value(json_object_get(o, "hours")) +
                                                          (double)n * kind_hours(c, kind)));
        }
        if (delivered) {
            char key[80];
            snprintf(key, sizeof key, "%s|%s", dc, comm);
            json_object_set_new(pairs, key, json_integer(json_integer_value(json_object_get(pairs, key)) + n));
        }
    }
    sqlite3_finalize(s);
    json_t *warnings = json_array();
    const char *key;
    json_t *v;
    json_object_foreach(pairs, key, v) {
        if ((double)json_integer_value(v) > limit) {
            char dc[40];
            const char *bar = strchr(key, '|');
            snprintf(dc, sizeof dc, "%.*s", (int)(bar - key), key);
            char text[200];
            snprintf(text, sizeof text, "%s sent %lld tasks to community %s in %s (limit %g)", dc,
                     (long long)json_integer_value(v), bar + 1, month, limit);
            json_array_append_new(warnings, json_pack("{s:s,s:s,s:I,s:f,s:s}", "dept", dc, "community",
                                                      bar + 1, "tasks", (json_int_t)json_integer_value(v),
                                                      "limit", limit, "message", text));
        }
    }
    json_decref(pairs);
    /* Objects to arrays with the key inside, sorted by key (jansson keeps
     * insertion order and the query is ordered by community). */
    json_t *ca = json_array(), *da = json_array();
    json_object_foreach(comms, key, v) {
        json_object_set_new(v, "community", json_string(key));
        json_array_append(ca, v);
    }
    json_object_foreach(depts, key, v) {
        json_object_set_new(v, "dept", json_string(key));
        json_array_append(da, v);
    }
    json_decref(comms);
    json_decref(depts);
    *out = json_pack("{s:s,s:o,s:o,s:o,s:f}", "month", month, "communities", ca, "depts", da,
                     "warnings", warnings, "limit", limit);
    return JC_OK;
}

jc_err worklist_items_get(jc_conn *c, int64_t version, wl_item **items, size_t *n) {
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

jc_err worklist_versions_json(jc_conn *c, json_t **out) {
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

jc_err worklist_fields_json(jc_conn *c, json_t **out) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    jc_err e = sq_prepare(db, "SELECT field, description FROM answerable_fields ORDER BY field", &s);
    if (e) return e;
    json_t *arr = json_array();
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *f = sq_col_str(s, 0);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:b}", "field", f, "description", sq_col_str(s, 1),
                                             "answerable", wl__field_answerable(c, f)));
    }
    sqlite3_finalize(s);
    *out = arr;
    return JC_OK;
}

/* ---- demo seed ----------------------------------------------------------------- */

jc_err worklist_seed_demo(jc_conn *w, const char *data_dir) {
    int64_t v;
    jc_err e = worklist_active_version(w, &v);
    if (e) return e;
    jc_user sys;
    auth_system_actor(&sys, "demo");
    if (v == 0) {
        char path[512];
        snprintf(path, sizeof path, "%s/worklist.csv", data_dir ? data_dir : "data");
        FILE *f = fopen(path, "rb");
        if (!f) {
            jc_log(JC_LOG_ERROR, "worklist: cannot open %s", path);
            return JC_ERR_IO;
        }
        jc_buf b;
        jc_buf_init(&b, WL_MAX_CSV);
        char chunk[8192];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
            if ((e = jc_buf_append(&b, chunk, got))) break;
        fclose(f);
        if (e) {
            jc_buf_free(&b);
            return e;
        }
        wl_item *items = NULL;
        size_t n = 0;
        jc_buf errs;
        jc_buf_init(&errs, 64 * 1024);
        e = worklist_parse_csv(b.data ? b.data : "", b.len, &items, &n, &errs);
        jc_buf_free(&b);
        if (e) {
            jc_log(JC_LOG_ERROR, "worklist: %s: %s", path, errs.data ? errs.data : "?");
            jc_buf_free(&errs);
            return e;
        }
        jc_buf_free(&errs);
        char msg[256];
        e = worklist_put_version(w, &sys, items, n, NULL, &v, msg, sizeof msg);
        free(items);
        if (e) {
            jc_log(JC_LOG_ERROR, "worklist: demo list: %s", msg);
            return e;
        }
    }
    /* Base counts per community until the base-data issue imports real
     * ones: deterministic plausible figures, as of the seeding time. */
    sqlite3 *db = store_sqlite_db(w);
    sqlite3_stmt *s;
    if ((e = sq_prepare(db, "SELECT count(*) FROM base_counts", &s))) return e;
    int have = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
    sqlite3_finalize(s);
    if (have) return JC_OK;
    if ((e = sq_prepare(db,
                        "INSERT INTO base_counts(area, field, value, as_of)"
                        " SELECT code, f.field, f.base + (CAST(substr(code,10,3) AS INTEGER) * f.step), ?1"
                        " FROM areas, (SELECT 'population' AS field, 5200 AS base, 317 AS step"
                        "   UNION ALL SELECT 'households', 2100, 121 UNION ALL SELECT 'elders_living_alone', 38, 7"
                        "   UNION ALL SELECT 'houses', 1800, 97 UNION ALL SELECT 'organisations', 64, 5) f"
                        " WHERE level='community'", &s)))
        return e;
    sqlite3_bind_int64(s, 1, jc_now_ms());
    return step_fin(db, s, "base counts");
}
