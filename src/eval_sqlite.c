/*
 * eval_sqlite.c -- the SQLite half of evaluation (eval_store.h): its tables
 * (settings, per-case facts, per unit and month counters; eval_inc.c says
 * what they hold), loading the case rows of a period with one ordered scan
 * per table beside cases (a merge join on case_id), unit names, the
 * calendar's corrections.  The changed cases stay in the writer's memory
 * (eval_hook.c).
 */
#include "store_sqlite.h"
#include "eval_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const eval_migrations[] = {
    "CREATE TABLE eval_config(key TEXT PRIMARY KEY, value REAL NOT NULL);"
    "CREATE TABLE eval_facts(case_id INTEGER PRIMARY KEY, month TEXT NOT NULL, facts BLOB);"
    "CREATE INDEX eval_facts_month ON eval_facts(month);"
    "CREATE TABLE eval_counters(month TEXT NOT NULL, unit TEXT NOT NULL, ind INTEGER NOT NULL,"
    "  num REAL NOT NULL, den REAL NOT NULL, PRIMARY KEY(month, unit, ind)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS eval_cases_created ON cases(created_at);",
    /* 2: the open311 module (migrated first) has the same index on
     * cases(created_at); one is enough and each costs every case insert */
    "DROP INDEX IF EXISTS eval_cases_created;",
};

const jc_schema schema_eval = {"eval", eval_migrations,
                               (int)(sizeof eval_migrations / sizeof eval_migrations[0])};

static jc_err sq_config_each(jc_conn *c, void (*cb)(const char *key, double value, void *arg), void *arg) {
    sqlite3_stmt *s = store_sqlite_prepare(c, "SELECT key, value FROM eval_config");
    if (!s) return JC_ERR_DB;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(s, 0);
        if (k) cb(k, sqlite3_column_double(s, 1), arg);
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), "eval", "config");
}

static jc_err sq_config_put(jc_conn *w, const char *key, double value) {
    sqlite3_stmt *s = store_sqlite_prepare(w, "INSERT INTO eval_config(key, value) VALUES(?, ?)"
                                              " ON CONFLICT(key) DO UPDATE SET value=excluded.value");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(s, 2, value);
    return sq_step_done(store_sqlite_db(w), s, "eval", "config");
}

static jc_err sq_calendar_days(jc_conn *c, void (*cb)(int ymd, const char *kind, const char *name, void *arg),
                               void *arg) {
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(store_sqlite_db(c), "SELECT ymd, kind, name FROM calendar_days", -1, &s, NULL) !=
        SQLITE_OK)
        return JC_OK; /* no dispatch tables: the official calendar only */
    while (sqlite3_step(s) == SQLITE_ROW)
        cb(sqlite3_column_int(s, 0), (const char *)sqlite3_column_text(s, 1),
           (const char *)sqlite3_column_text(s, 2), arg);
    sqlite3_finalize(s);
    return JC_OK;
}

enum { Q_CASES, Q_CASE_ONE, Q_CASE_IDS, Q_PHASES, Q_OWNERS, Q_RETURNS, Q_MEMBERS, Q_FOLLOWUPS, Q_RANGE, Q__N };
#define NCURSORS (Q_FOLLOWUPS - Q_PHASES + 1) /* the per-table queries read beside the cases */

static const char *const qsql[Q__N] = {
    "SELECT id, created_at, area, state, COALESCE(rating,'') FROM cases"
    " WHERE created_at>=?1 AND created_at<?2 ORDER BY id",
    "SELECT id, created_at, area, state, COALESCE(rating,'') FROM cases WHERE id=?3",
    "SELECT id, created_at, area, state, COALESCE(rating,'') FROM cases WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
    "SELECT case_id, phase, COALESCE(dept_id,0), COALESCE(user_id,0), start_at, COALESCE(deadline_at,0),"
    " COALESCE(end_at,0), COALESCE(end_reason,''), paused_ms FROM case_phase"
    " WHERE case_id BETWEEN ?1 AND ?2 ORDER BY case_id, start_at",
    "SELECT case_id, dept_id, role='lead', start_at, COALESCE(end_at,0), COALESCE(end_reason,'')"
    " FROM case_owner WHERE case_id BETWEEN ?1 AND ?2 ORDER BY case_id, start_at",
    "SELECT case_id, dept_id, at, decision IS 'upheld' FROM returns WHERE case_id BETWEEN ?1 AND ?2"
    " ORDER BY case_id, at",
    "SELECT w.case_id, m.dept_id, m.checkin_deadline, COALESCE(m.checked_in_at,0), COALESCE(m.rating,0)"
    " FROM whistles w JOIN whistle_members m ON m.whistle_id=w.id WHERE w.case_id BETWEEN ?1 AND ?2"
    " ORDER BY w.case_id",
    /* 回访 (the followup module's table) */
    "SELECT case_id, result <> 'unreachable' FROM case_followups WHERE case_id BETWEEN ?1 AND ?2 ORDER BY case_id",
    "SELECT min(id), max(id) FROM cases WHERE created_at>=?1 AND created_at<?2",
};

/* A cursor over one of the ordered per-table queries. */
typedef struct {
    sqlite3_stmt *s;
    int64_t cur; /* case_id of the current row, INT64_MAX at the end */
} cursor;

static void cur_next(cursor *c) {
    c->cur = sqlite3_step(c->s) == SQLITE_ROW ? sqlite3_column_int64(c->s, 0) : INT64_MAX;
}

/* The cases of a period, one case or a list (eval_store.h scan): one ordered
 * scan per table beside cases, merged on case_id. */
static jc_err sq_scan(jc_conn *c, int64_t t0, int64_t t1, int64_t only_id, const int64_t *ids, size_t nids,
                      void (*cb)(const ev_case *k, void *arg), void *arg) {
    sqlite3_stmt *q[Q__N];
    for (int i = 0; i < Q__N; i++)
        if (!(q[i] = store_sqlite_prepare(c, qsql[i]))) return JC_ERR_DB;
    int64_t lo = only_id, hi = only_id;
    if (ids) {
        if (!nids) return JC_OK;
        lo = ids[0], hi = ids[nids - 1];
    } else if (!only_id) {
        sqlite3_stmt *r = q[Q_RANGE];
        sqlite3_reset(r);
        sqlite3_bind_int64(r, 1, t0);
        sqlite3_bind_int64(r, 2, t1);
        if (sqlite3_step(r) != SQLITE_ROW || sqlite3_column_type(r, 0) == SQLITE_NULL) {
            sqlite3_reset(r);
            return JC_OK; /* no cases */
        }
        lo = sqlite3_column_int64(r, 0), hi = sqlite3_column_int64(r, 1);
        sqlite3_reset(r);
    }
    cursor cs[NCURSORS];
    for (int i = 0; i < NCURSORS; i++) {
        cs[i].s = q[Q_PHASES + i];
        sqlite3_reset(cs[i].s);
        sqlite3_bind_int64(cs[i].s, 1, lo);
        sqlite3_bind_int64(cs[i].s, 2, hi);
        cur_next(&cs[i]);
    }
    sqlite3_stmt *s = q[ids ? Q_CASE_IDS : only_id ? Q_CASE_ONE : Q_CASES];
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (ids) sqlite3_bind_int64(s, 1, lo), sqlite3_bind_int64(s, 2, hi);
    else if (only_id) sqlite3_bind_int64(s, 3, only_id);
    else sqlite3_bind_int64(s, 1, t0), sqlite3_bind_int64(s, 2, t1);
    static __thread ev_case k;
    int rc;
    size_t next = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        k.id = sqlite3_column_int64(s, 0);
        if (ids) {
            while (next < nids && ids[next] < k.id) next++;
            if (next == nids || ids[next] != k.id) continue; /* not asked for */
        }
        k.created = sqlite3_column_int64(s, 1);
        sq_col_copy(s, 2, k.area, sizeof k.area);
        sq_col_copy(s, 3, k.state, sizeof k.state);
        sq_col_copy(s, 4, k.rating, sizeof k.rating);
        k.nph = k.now = k.nrt = k.nwm = k.followups_reached = 0;
        for (int i = 0; i < NCURSORS; i++)
            while (cs[i].cur < k.id) cur_next(&cs[i]);
        for (; cs[0].cur == k.id; cur_next(&cs[0])) {
            if (k.nph == EV_MAX_ROWS) continue;
            sqlite3_stmt *p = cs[0].s;
            ev_phase *ph = &k.ph[k.nph++];
            const unsigned char *name = sqlite3_column_text(p, 1);
            ph->phase = name ? (char)name[0] : '?';
            ph->dept = sqlite3_column_int64(p, 2);
            ph->user = sqlite3_column_int64(p, 3);
            ph->start = sqlite3_column_int64(p, 4);
            ph->deadline = sqlite3_column_int64(p, 5);
            ph->end = sqlite3_column_int64(p, 6);
            sq_col_copy(p, 7, ph->reason, sizeof ph->reason);
            ph->paused = sqlite3_column_int64(p, 8);
        }
        for (; cs[1].cur == k.id; cur_next(&cs[1])) {
            if (k.now == EV_MAX_ROWS) continue;
            sqlite3_stmt *p = cs[1].s;
            ev_owner *o = &k.ow[k.now++];
            o->dept = sqlite3_column_int64(p, 1);
            o->lead = sqlite3_column_int(p, 2);
            o->start = sqlite3_column_int64(p, 3);
            o->end = sqlite3_column_int64(p, 4);
            sq_col_copy(p, 5, o->reason, sizeof o->reason);
        }
        for (; cs[2].cur == k.id; cur_next(&cs[2])) {
            if (k.nrt == EV_MAX_ROWS) continue;
            sqlite3_stmt *p = cs[2].s;
            ev_return *r = &k.rt[k.nrt++];
            r->dept = sqlite3_column_int64(p, 1);
            r->at = sqlite3_column_int64(p, 2);
            r->upheld = sqlite3_column_int(p, 3);
        }
        for (; cs[3].cur == k.id; cur_next(&cs[3])) {
            if (k.nwm == EV_MAX_ROWS) continue;
            sqlite3_stmt *p = cs[3].s;
            ev_member *m = &k.wm[k.nwm++];
            m->dept = sqlite3_column_int64(p, 1);
            m->deadline = sqlite3_column_int64(p, 2);
            m->checked_in = sqlite3_column_int64(p, 3);
            m->rating = sqlite3_column_int(p, 4);
        }
        for (; cs[4].cur == k.id; cur_next(&cs[4])) k.followups_reached += sqlite3_column_int(cs[4].s, 1);
        cb(&k, arg);
    }
    for (int i = 0; i < NCURSORS; i++) sqlite3_reset(cs[i].s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), "eval", "scan");
}

static jc_err sq_unit_name(jc_conn *c, const char *key, char *out, size_t outsz) {
    static const char dept[] = "SELECT name FROM depts WHERE id=?",
                      worker[] = "SELECT COALESCE(display, name) FROM users WHERE id=?",
                      area[] = "SELECT name FROM areas WHERE code=?";
    sqlite3_stmt *s = store_sqlite_prepare(c, !strncmp(key, "dept:", 5)     ? dept
                                              : !strncmp(key, "worker:", 7) ? worker
                                                                            : area);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, strchr(key, ':') + 1, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) == SQLITE_ROW) sq_col_copy(s, 0, out, outsz);
    sqlite3_reset(s);
    return JC_OK;
}

static jc_err sq_facts_get(jc_conn *c, int64_t case_id, char month[8], unsigned char *buf, size_t cap,
                           size_t *len) {
    sqlite3_stmt *g = store_sqlite_prepare(c, "SELECT month, facts FROM eval_facts WHERE case_id=?");
    if (!g) return JC_ERR_DB;
    sqlite3_bind_int64(g, 1, case_id);
    *len = 0;
    month[0] = 0;
    int rc = sqlite3_step(g);
    if (rc == SQLITE_ROW) {
        sq_col_copy(g, 0, month, 8);
        size_t n = (size_t)sqlite3_column_bytes(g, 1);
        if (n > cap) n = 0; /* not a blob this build wrote: read as none */
        if (n) memcpy(buf, sqlite3_column_blob(g, 1), n);
        *len = n;
    }
    sqlite3_reset(g);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), "eval", "facts");
}

static jc_err sq_facts_put(jc_conn *w, int64_t case_id, const char *month, const unsigned char *facts, size_t len) {
    sqlite3_stmt *s = store_sqlite_prepare(w, "INSERT OR REPLACE INTO eval_facts(case_id, month, facts) VALUES(?,?,?)");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_text(s, 2, month, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 3, facts, (int)len, SQLITE_STATIC);
    return sq_step_done(store_sqlite_db(w), s, "eval", "facts");
}

static jc_err sq_counter_add(jc_conn *w, const char *month, const char *unit, int ind, double num, double den) {
    sqlite3_stmt *s = store_sqlite_prepare(w, "INSERT INTO eval_counters(month, unit, ind, num, den) VALUES(?,?,?,?,?)"
                                              " ON CONFLICT(month, unit, ind) DO UPDATE SET num=num+excluded.num,"
                                              " den=den+excluded.den");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, month, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, unit, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, ind);
    sqlite3_bind_double(s, 4, num);
    sqlite3_bind_double(s, 5, den);
    return sq_step_done(store_sqlite_db(w), s, "eval", "counter");
}

static jc_err sq_month_clear(jc_conn *w, const char *month) {
    static const char *const dels[] = {"DELETE FROM eval_counters WHERE month=?",
                                       "DELETE FROM eval_facts WHERE month=?"};
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *s = store_sqlite_prepare(w, dels[i]);
        if (!s) return JC_ERR_DB;
        sqlite3_bind_text(s, 1, month, -1, SQLITE_STATIC);
        jc_err e = sq_step_done(store_sqlite_db(w), s, "eval", dels[i]);
        if (e) return e;
    }
    return JC_OK;
}

static jc_err sq_counters_present(jc_conn *c, const char *month, int *yes) {
    sqlite3_stmt *s = store_sqlite_prepare(c, "SELECT 1 FROM eval_counters WHERE month = ?1 LIMIT 1");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, month, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    *yes = rc == SQLITE_ROW;
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), "eval", "counters present");
}

static jc_err sq_counters_each(jc_conn *c, const char *month,
                               int (*cb)(const char *unit, int ind, double num, double den, void *arg), void *arg) {
    sqlite3_stmt *s =
        store_sqlite_prepare(c, "SELECT unit, ind, num, den FROM eval_counters WHERE month=? ORDER BY unit");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, month, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *unit = (const char *)sqlite3_column_text(s, 0);
        if (unit && cb(unit, sqlite3_column_int(s, 1), sqlite3_column_double(s, 2), sqlite3_column_double(s, 3), arg))
            break;
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), "eval", "counters");
}

/* The SQLite table of eval_store.h's row operations (module_eval's .store). */
const eval_store_ops eval_store_sqlite = {
    .config_each = sq_config_each,
    .config_put = sq_config_put,
    .calendar_days = sq_calendar_days,
    .scan = sq_scan,
    .unit_name = sq_unit_name,
    .facts_get = sq_facts_get,
    .facts_put = sq_facts_put,
    .counter_add = sq_counter_add,
    .month_clear = sq_month_clear,
    .counters_present = sq_counters_present,
    .counters_each = sq_counters_each,
};
