/*
 * warning_sqlite.c -- the SQLite half of the warning module: its tables and
 * every statement warning.c needs.
 *
 *  daily_counts      cases per (local day, community, category); a case
 *                    located only to its street counts under the street
 *                    code.  Kept up to date from a watermark (the highest
 *                    case id counted, warning_meta 'counted'), so the hook in
 *                    case_create and the ticker can both call the catch-up
 *                    without counting a case twice; rebuildable from cases.
 *  case_suggestions  the classifier's suggestion for each new case.
 *  warnings          one row per (category, area, day, method) that alarmed,
 *                    with the numbers that explain it and its lifecycle.
 *  warning_meta      watermark, last detection run, settings ("cfg.*").
 */
#include "store_sqlite.h"
#include "warning_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const warning_migrations[] = {
    "CREATE TABLE daily_counts(day TEXT NOT NULL, area TEXT NOT NULL, category TEXT NOT NULL,"
    "  n INTEGER NOT NULL, PRIMARY KEY(day, area, category)) WITHOUT ROWID;"
    "CREATE INDEX daily_counts_series ON daily_counts(category, area, day);"
    "CREATE TABLE case_suggestions(case_id INTEGER PRIMARY KEY, model TEXT NOT NULL,"
    "  top1 TEXT NOT NULL, p1 REAL NOT NULL, at INTEGER NOT NULL, top TEXT);"
    "CREATE TABLE warnings(id INTEGER PRIMARY KEY, category TEXT NOT NULL, area TEXT NOT NULL,"
    "  day TEXT NOT NULL, observed REAL NOT NULL, expected REAL, threshold REAL,"
    "  method TEXT NOT NULL, params TEXT NOT NULL, explanation TEXT,"
    "  state TEXT NOT NULL CHECK(state IN('open','acknowledged','dismissed','escalated')),"
    "  by TEXT, at INTEGER, reason TEXT, case_id INTEGER, created_at INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX warnings_series ON warnings(category, area, day, method);"
    "CREATE INDEX warnings_state ON warnings(state, id);"
    "CREATE TABLE warning_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);",
};

const jc_schema schema_warning = {"warning", warning_migrations, (int)JC_ARRAY_LEN(warning_migrations)};

#define PREP(c, sql) store_sqlite_prepare((c), (sql))
#define TEXT(s, i) ((const char *)sqlite3_column_text((s), (i)))

/* ---- meta and settings ------------------------------------------------------- */

static const char sql_meta_get[] = "SELECT value FROM warning_meta WHERE key=?";
static const char sql_meta_set[] =
    "INSERT INTO warning_meta(key, value) VALUES(?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value";

static int ws_meta_get(jc_conn *c, const char *key, char *out, size_t outsz) {
    out[0] = 0;
    sqlite3_stmt *s = PREP(c, sql_meta_get);
    if (!s) return 0;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    int found = sqlite3_step(s) == SQLITE_ROW;
    if (found) sq_col_copy(s, 0, out, outsz);
    sqlite3_reset(s);
    return found;
}

static jc_err ws_meta_set(jc_conn *w, const char *key, const char *value) {
    sqlite3_stmt *s = PREP(w, sql_meta_set);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(w), "warning", "meta set");
}

/* ---- counts ------------------------------------------------------------------ */

/* The day and area a case counts under: local date, community (or the code
 * as given when shorter). */
static const char sql_new_cases[] =
    "SELECT id, title, body, category, date((created_at + 28800000) / 1000, 'unixepoch'),"
    " substr(area, 1, 12) FROM cases WHERE id > ? ORDER BY id LIMIT 2000";
static const char sql_waiting[] =
    "SELECT id, title, body FROM cases WHERE state = 'reported' ORDER BY id DESC LIMIT 1000";
static const char sql_count_add[] =
    "INSERT INTO daily_counts(day, area, category, n) VALUES(?,?,?,1)"
    " ON CONFLICT(day, area, category) DO UPDATE SET n = n + 1";

static jc_err ws_counts_rebuild(jc_conn *w) {
    sqlite3 *db = store_sqlite_db(w);
    static const char sql[] =
        "DELETE FROM daily_counts;"
        "INSERT INTO daily_counts(day, area, category, n)"
        " SELECT date((created_at + 28800000) / 1000, 'unixepoch'), substr(area, 1, 12), category, count(*)"
        " FROM cases GROUP BY 1, 2, 3;"
        "INSERT INTO warning_meta(key, value) SELECT 'counted', coalesce(max(id), 0) FROM cases WHERE 1"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value;"
        "INSERT INTO warning_meta(key, value) VALUES('dirty', '1')"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value;";
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) return sq_fail(db, "warning", "rebuild counts");
    return JC_OK;
}

static jc_err ws_catch_up(jc_conn *w, int (*suggest)(jc_conn *, int64_t, const char *, const char *, void *),
                         void *arg, int *changed) {
    *changed = 0;
    char v[32];
    if (!ws_meta_get(w, "counted", v, sizeof v)) {
        /* First run over this database: count everything; suggest only for
         * the reports still waiting for a person to categorise them. */
        *changed = 1;
        jc_err e = ws_counts_rebuild(w);
        if (e || !suggest) return e;
        sqlite3 *db = store_sqlite_db(w);
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(db, sql_waiting, -1, &s, NULL) != SQLITE_OK) return sq_fail(db, "warning", "waiting cases");
        while (sqlite3_step(s) == SQLITE_ROW) suggest(w, sqlite3_column_int64(s, 0), TEXT(s, 1), TEXT(s, 2), arg);
        sqlite3_finalize(s);
        return JC_OK;
    }
    int64_t mark;
    if (jc_parse_i64(v, &mark)) mark = 0;
    sqlite3 *db = store_sqlite_db(w);
    /* A statement of its own: suggest() may use the cached ones. */
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql_new_cases, -1, &s, NULL) != SQLITE_OK) return sq_fail(db, "warning", "new cases");
    sqlite3_bind_int64(s, 1, mark);
    int64_t last = mark;
    jc_err e = JC_OK;
    int rc;
    while (!e && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        last = sqlite3_column_int64(s, 0);
        sqlite3_stmt *a = PREP(w, sql_count_add);
        if (!a) {
            e = JC_ERR_DB;
            break;
        }
        sqlite3_bind_text(a, 1, TEXT(s, 4), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(a, 2, TEXT(s, 5), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(a, 3, TEXT(s, 3), -1, SQLITE_TRANSIENT);
        int arc = sqlite3_step(a);
        sqlite3_reset(a);
        if (arc != SQLITE_DONE) e = sq_fail(db, "warning", "count");
        else if (suggest) suggest(w, last, TEXT(s, 1), TEXT(s, 2), arg);
    }
    sqlite3_finalize(s);
    if (!e && last != mark) {
        snprintf(v, sizeof v, "%lld", (long long)last);
        e = ws_meta_set(w, "counted", v);
        if (!e) e = ws_meta_set(w, "dirty", "1");
        *changed = 1;
    }
    return e;
}

/* ---- suggestions ------------------------------------------------------------- */

static const char sql_sugg_put[] =
    "INSERT OR IGNORE INTO case_suggestions(case_id, model, top1, p1, at, top) VALUES(?,?,?,?,?,?)";
static const char sql_sugg_get[] = "SELECT model, top1, p1, at, top FROM case_suggestions WHERE case_id=?";

static jc_err ws_suggestion_put(jc_conn *w, int64_t case_id, const char *model, const char *top1, double p1,
                               const char *top_json, int64_t at) {
    sqlite3_stmt *s = PREP(w, sql_sugg_put);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_text(s, 2, model, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, top1, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 4, p1);
    sqlite3_bind_int64(s, 5, at);
    sqlite3_bind_text(s, 6, top_json, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(w), "warning", "suggestion");
}

static jc_err ws_suggestion_get(jc_conn *c, int64_t case_id, char *model, size_t msz, char *top1, double *p1,
                               int64_t *at, char **top_json) {
    sqlite3_stmt *s = PREP(c, sql_sugg_get);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    jc_err e = JC_ERR_NOTFOUND;
    if (sqlite3_step(s) == SQLITE_ROW) {
        sq_col_copy(s, 0, model, msz);
        sq_col_copy(s, 1, top1, 16);
        *p1 = sqlite3_column_double(s, 2);
        *at = sqlite3_column_int64(s, 3);
        *top_json = sq_col_dup(s, 4);
        e = JC_OK;
    }
    sqlite3_reset(s);
    return e;
}

static const char sql_cat_resolve[] =
    "SELECT k.code, k.name, coalesce(k.dept_code, ''), coalesce(d.name, ''), coalesce(d.id, 0)"
    " FROM categories k LEFT JOIN depts d ON d.code = k.dept_code"
    " WHERE k.code = ?1 OR k.name = ?1 ORDER BY k.code = ?1 DESC LIMIT 1";

static jc_err ws_category_resolve(jc_conn *c, const char *label, char code[16], char name[64],
                                 char dept_code[32], char dept_name[128], int64_t *dept_id) {
    sqlite3_stmt *s = PREP(c, sql_cat_resolve);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, label, -1, SQLITE_STATIC);
    jc_err e = JC_ERR_NOTFOUND;
    if (sqlite3_step(s) == SQLITE_ROW) {
        sq_col_copy(s, 0, code, 16);
        sq_col_copy(s, 1, name, 64);
        sq_col_copy(s, 2, dept_code, 32);
        sq_col_copy(s, 3, dept_name, 128);
        *dept_id = sqlite3_column_int64(s, 4);
        e = JC_OK;
    }
    sqlite3_reset(s);
    return e;
}

/* ---- series ------------------------------------------------------------------ */

static const char sql_keys[] =
    "SELECT DISTINCT category, substr(area, 1, ?2) FROM daily_counts"
    " WHERE day >= ?1 AND length(area) >= ?2 ORDER BY 1, 2";
static const char sql_series[] =
    "SELECT CAST(julianday(day) - 2440587.5 AS INTEGER) - ?3, sum(n) FROM daily_counts"
    " WHERE category = ?1 AND area >= ?2 AND area < ?2 || 'z'"
    " AND day >= date(?3 * 86400, 'unixepoch') AND day <= date((?3 + ?4 - 1) * 86400, 'unixepoch')"
    " GROUP BY day";

static jc_err ws_series_keys(jc_conn *c, const char *from, int len,
                            int (*cb)(const char *, const char *, void *), void *arg) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql_keys, -1, &s, NULL) != SQLITE_OK) return sq_fail(db, "warning", "series keys");
    sqlite3_bind_text(s, 1, from, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, len);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (cb(TEXT(s, 0), TEXT(s, 1), arg)) break;
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(db, "warning", "series keys step");
}

static jc_err ws_series(jc_conn *c, const char *category, const char *area, int64_t from, size_t n,
                       double *counts) {
    for (size_t i = 0; i < n; i++) counts[i] = 0;
    sqlite3_stmt *s = PREP(c, sql_series);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, category, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, area, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, from);
    sqlite3_bind_int64(s, 4, (int64_t)n);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t i = sqlite3_column_int64(s, 0);
        if (i >= 0 && (size_t)i < n) counts[i] = (double)sqlite3_column_int64(s, 1);
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), "warning", "series");
}

/* ---- warnings ---------------------------------------------------------------- */

#define W_COLS                                                                                  \
    "id, category, area, day, observed, expected, threshold, method, params, explanation, state," \
    " coalesce(by, ''), coalesce(at, 0), reason, coalesce(case_id, 0), created_at"

static void read_row(sqlite3_stmt *s, warning_row *w) {
    memset(w, 0, sizeof *w);
    w->id = sqlite3_column_int64(s, 0);
    sq_col_copy(s, 1, w->category, sizeof w->category);
    sq_col_copy(s, 2, w->area, sizeof w->area);
    sq_col_copy(s, 3, w->day, sizeof w->day);
    w->observed = sqlite3_column_double(s, 4);
    w->expected = sqlite3_column_double(s, 5);
    w->threshold = sqlite3_column_double(s, 6);
    sq_col_copy(s, 7, w->method, sizeof w->method);
    w->params = sq_col_dup(s, 8);
    w->explanation = sq_col_dup(s, 9);
    sq_col_copy(s, 10, w->state, sizeof w->state);
    sq_col_copy(s, 11, w->by, sizeof w->by);
    w->at = sqlite3_column_int64(s, 12);
    w->reason = sq_col_dup(s, 13);
    w->case_id = sqlite3_column_int64(s, 14);
    w->created_at = sqlite3_column_int64(s, 15);
}

static const char sql_w_find[] = "SELECT id, state FROM warnings WHERE category=? AND area=? AND day=? AND method=?";
static const char sql_w_insert[] =
    "INSERT INTO warnings(category, area, day, observed, expected, threshold, method, params, explanation,"
    " state, created_at) VALUES(?,?,?,?,?,?,?,?,?,'open',?)";
static const char sql_w_refresh[] =
    "UPDATE warnings SET observed=?, expected=?, threshold=?, params=?, explanation=? WHERE id=?";

static jc_err ws_upsert(jc_conn *w, const warning_row *row, int *raised) {
    sqlite3 *db = store_sqlite_db(w);
    *raised = 0;
    sqlite3_stmt *s = PREP(w, sql_w_find);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, row->category, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, row->area, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, row->day, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, row->method, -1, SQLITE_STATIC);
    int64_t id = 0;
    int open = 0;
    if (sqlite3_step(s) == SQLITE_ROW) {
        id = sqlite3_column_int64(s, 0);
        open = TEXT(s, 1) && !strcmp(TEXT(s, 1), "open");
    }
    sqlite3_reset(s);
    if (id && !open) return JC_OK; /* decided by a person: leave it */
    s = PREP(w, id ? sql_w_refresh : sql_w_insert);
    if (!s) return JC_ERR_DB;
    if (id) {
        sqlite3_bind_double(s, 1, row->observed);
        sqlite3_bind_double(s, 2, row->expected);
        sqlite3_bind_double(s, 3, row->threshold);
        sqlite3_bind_text(s, 4, row->params, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, row->explanation, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 6, id);
    } else {
        sqlite3_bind_text(s, 1, row->category, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, row->area, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, row->day, -1, SQLITE_STATIC);
        sqlite3_bind_double(s, 4, row->observed);
        sqlite3_bind_double(s, 5, row->expected);
        sqlite3_bind_double(s, 6, row->threshold);
        sqlite3_bind_text(s, 7, row->method, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 8, row->params, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 9, row->explanation, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 10, row->created_at);
    }
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return sq_fail(db, "warning", "warning upsert");
    *raised = !id;
    return JC_OK;
}

static const char sql_w_get[] = "SELECT " W_COLS " FROM warnings WHERE id=?";

static jc_err ws_get(jc_conn *c, int64_t id, warning_row *out) {
    sqlite3_stmt *s = PREP(c, sql_w_get);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    jc_err e = JC_ERR_NOTFOUND;
    if (sqlite3_step(s) == SQLITE_ROW) {
        read_row(s, out);
        e = JC_OK;
    }
    sqlite3_reset(s);
    return e;
}

static const char sql_w_list[] =
    "SELECT " W_COLS " FROM warnings WHERE (?1 IS NULL OR state = ?1)"
    " AND (?2 = '' OR (area >= ?2 AND area < ?2 || 'z')) ORDER BY id DESC LIMIT ?3";

static jc_err ws_list(jc_conn *c, const char *state, const char *area, int limit,
                     int (*cb)(const warning_row *, void *), void *arg) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql_w_list, -1, &s, NULL) != SQLITE_OK) return sq_fail(db, "warning", "warning list");
    if (state) sqlite3_bind_text(s, 1, state, -1, SQLITE_STATIC);
    else sqlite3_bind_null(s, 1);
    sqlite3_bind_text(s, 2, area ? area : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        warning_row row;
        read_row(s, &row);
        int stop = cb(&row, arg);
        warning__row_clear(&row);
        if (stop) break;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(db, "warning", "warning list step");
}

static const char sql_w_state[] =
    "UPDATE warnings SET state=?, by=?, reason=?, case_id=nullif(?, 0), at=? WHERE id=?";

static jc_err ws_set_state(jc_conn *w, int64_t id, const char *state, const char *by, const char *reason,
                          int64_t case_id, int64_t at) {
    sqlite3_stmt *s = PREP(w, sql_w_state);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, state, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, by, -1, SQLITE_STATIC);
    if (reason) sqlite3_bind_text(s, 3, reason, -1, SQLITE_STATIC);
    else sqlite3_bind_null(s, 3);
    sqlite3_bind_int64(s, 4, case_id);
    sqlite3_bind_int64(s, 5, at);
    sqlite3_bind_int64(s, 6, id);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return sq_fail(store_sqlite_db(w), "warning", "warning state");
    return sqlite3_changes(store_sqlite_db(w)) ? JC_OK : JC_ERR_NOTFOUND;
}

/* ---- hotspots and training --------------------------------------------------- */

static const char sql_windows[] =
    "SELECT substr(area, 1, ?2), (created_at - ?4) / ?5, count(*) FROM cases"
    " WHERE (?1 = '' OR (area >= ?1 AND area < ?1 || 'z')) AND length(area) >= ?2"
    " AND (?3 IS NULL OR category = ?3) AND created_at >= ?4 AND created_at < ?4 + ?5 * ?6"
    " GROUP BY 1, 2";

static jc_err ws_window_counts(jc_conn *c, const char *prefix, int len, const char *category, int64_t from,
                              int64_t win, int nwin, int (*cb)(const char *, int, int64_t, void *),
                              void *arg) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql_windows, -1, &s, NULL) != SQLITE_OK) return sq_fail(db, "warning", "windows");
    sqlite3_bind_text(s, 1, prefix ? prefix : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, len);
    if (category) sqlite3_bind_text(s, 3, category, -1, SQLITE_STATIC);
    else sqlite3_bind_null(s, 3);
    sqlite3_bind_int64(s, 4, from);
    sqlite3_bind_int64(s, 5, win);
    sqlite3_bind_int(s, 6, nwin);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (cb(TEXT(s, 0), sqlite3_column_int(s, 1), sqlite3_column_int64(s, 2), arg)) break;
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(db, "warning", "windows step");
}

static jc_err ws_closed_cases(jc_conn *c, int (*cb)(const char *, const char *, const char *, void *),
                             void *arg) {
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db,
                           "SELECT title, body, category FROM cases WHERE state IN('closed','rated')"
                           " ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK)
        return sq_fail(db, "warning", "closed cases");
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (cb(TEXT(s, 0), TEXT(s, 1), TEXT(s, 2), arg)) break;
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(db, "warning", "closed cases step");
}

static jc_err ws_open_count(jc_conn *c, const char *prefix, int64_t *n) {
    static const char sql[] =
        "SELECT count(*) FROM warnings WHERE state = 'open' AND (?1 = '' OR (area >= ?1 AND area < ?1 || 'z'))";
    return sq_int_by_text(c, sql, prefix, n);
}

typedef struct {
    int (*cb)(const warning_brief *w, void *arg);
    void *arg;
} since_ctx;

static int brief_row(sqlite3_stmt *s, void *arg) {
    since_ctx *x = arg;
    warning_brief w = {sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 6), sq_col_str(s, 1), sq_col_str(s, 2),
                       sq_col_str(s, 5), sqlite3_column_double(s, 3), sqlite3_column_double(s, 4)};
    return x->cb(&w, x->arg);
}

static jc_err ws_since(jc_conn *c, int64_t after, int limit, int64_t *last,
                      int (*cb)(const warning_brief *w, void *arg), void *arg) {
    static const char since[] = "SELECT id, category, area, observed, threshold, state, created_at FROM warnings"
                                " WHERE id > ? ORDER BY id LIMIT ?";
    static const char newest[] = "SELECT COALESCE(max(id), 0) FROM warnings";
    since_ctx x = {cb, arg};
    return sq_since(c, since, newest, after, limit, last, cb ? brief_row : NULL, &x, "warning");
}

/* The SQLite table of warning_store.h's row operations (module_warning's .store). */
const warning_store_ops warning_store_sqlite = {
    .meta_get = ws_meta_get,
    .meta_set = ws_meta_set,
    .counts_rebuild = ws_counts_rebuild,
    .catch_up = ws_catch_up,
    .suggestion_put = ws_suggestion_put,
    .suggestion_get = ws_suggestion_get,
    .category_resolve = ws_category_resolve,
    .series_keys = ws_series_keys,
    .series = ws_series,
    .upsert = ws_upsert,
    .get = ws_get,
    .list = ws_list,
    .set_state = ws_set_state,
    .window_counts = ws_window_counts,
    .closed_cases = ws_closed_cases,
    .open_count = ws_open_count,
    .since = ws_since,
};
