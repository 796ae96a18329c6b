/*
 * eval_pg.c -- the PostgreSQL half of evaluation: its tables and the table
 * of row operations of eval_store.h.  eval_sqlite.c is its twin: same
 * tables (eval_inc.c says what they hold), same rows, same answers.
 *
 * What differs from SQLite:
 *  - the changed cases are queued in eval_pending by the case hook, in the
 *    transaction of the action, not kept in the writer's memory: the
 *    leader that counts them (its tick only, server.c) may be another
 *    instance.  The tick takes them out with DELETE ... RETURNING (SKIP
 *    LOCKED: a leader that has just lost the lock takes others); no
 *    "highest id seen" mark, since instances take ids from one sequence
 *    and commit in any order.  A change queued while the leader takes the
 *    same id waits for its commit and is queued again.
 *  - the writers of the counters (the tick; a settings change on any
 *    instance recomputing the month) take one transaction-level advisory
 *    lock first, so two never apply the same case's difference at once;
 *  - the facts blob is bytea, passed as hex; units ordered COLLATE "C"
 *    (SQLite's byte order, whatever the database's locale).
 */
#include "store_pg.h"
#include "eval_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG "eval"

static const char *const eval_migrations[] = {
    "CREATE TABLE eval_config(key text PRIMARY KEY, value double precision NOT NULL);"
    "CREATE TABLE eval_facts(case_id bigint PRIMARY KEY, month text NOT NULL, facts bytea);"
    "CREATE INDEX eval_facts_month ON eval_facts(month);"
    "CREATE TABLE eval_counters(month text NOT NULL, unit text COLLATE \"C\" NOT NULL, ind integer NOT NULL,"
    "  num double precision NOT NULL, den double precision NOT NULL, PRIMARY KEY(month, unit, ind));"
    "CREATE TABLE eval_pending(case_id bigint PRIMARY KEY);",
};

const jc_schema schema_eval_pg = {"eval", eval_migrations, (int)JC_ARRAY_LEN(eval_migrations)};

/* The counters' writers take turns (see the top). */
static jc_err counters_lock(jc_conn *w) {
    static const char sql[] = "SELECT pg_advisory_xact_lock(7041) /* eval counters */";
    return pg_run_done(w, sql, NULL, TAG, "lock", NULL);
}

/* ---- settings, calendar, names ------------------------------------------------------ */

static jc_err pe_config_each(jc_conn *c, void (*cb)(const char *key, double value, void *arg), void *arg) {
    static const char sql[] = "SELECT key, value FROM eval_config";
    jc_err e;
    PGresult *r = pg_run(c, sql, NULL, TAG, "config", &e);
    if (!r) return e;
    for (int i = 0; i < PQntuples(r); i++) cb(pg_str(r, i, 0), pg_double(r, i, 1), arg);
    PQclear(r);
    return JC_OK;
}

static jc_err pe_config_put(jc_conn *w, const char *key, double value) {
    static const char sql[] = "INSERT INTO eval_config(key, value) VALUES($1, $2)"
                              " ON CONFLICT(key) DO UPDATE SET value=excluded.value";
    pg_params p = {0};
    pgp_text(&p, key);
    pgp_double(&p, value);
    return pg_run_done(w, sql, &p, TAG, "config", NULL);
}

static jc_err pe_calendar_days(jc_conn *c, void (*cb)(int ymd, const char *kind, const char *name, void *arg),
                               void *arg) {
    static const char sql[] = "SELECT ymd, kind, name FROM calendar_days";
    jc_err e;
    PGresult *r = pg_run(c, sql, NULL, TAG, "calendar", &e);
    if (!r) return e;
    for (int i = 0; i < PQntuples(r); i++)
        cb((int)pg_i64(r, i, 0), pg_str(r, i, 1), pg_null(r, i, 2) ? NULL : pg_str(r, i, 2), arg);
    PQclear(r);
    return JC_OK;
}

static jc_err pe_unit_name(jc_conn *c, const char *key, char *out, size_t outsz) {
    /* the id compared as a number, so the primary key finds it (id::text=$1
     * read every user: ~50,000 at 1 M cases, 176 ms of the database's CPU for
     * the evaluation's table); a key that is no number matches nothing */
    static const char dept[] = "SELECT name FROM depts WHERE id = CASE WHEN $1 ~ '^[0-9]{1,18}$' THEN $1::bigint END",
                      worker[] = "SELECT COALESCE(display, name) FROM users"
                                 " WHERE id = CASE WHEN $1 ~ '^[0-9]{1,18}$' THEN $1::bigint END",
                      area[] = "SELECT name FROM areas WHERE code=$1";
    pg_params p = {0};
    pgp_text(&p, strchr(key, ':') + 1);
    jc_err e;
    PGresult *r = pg_run(c, !strncmp(key, "dept:", 5) ? dept : !strncmp(key, "worker:", 7) ? worker : area, &p, TAG,
                         "unit name", &e);
    if (!r) return e;
    if (PQntuples(r)) pg_copy(r, 0, 0, out, outsz);
    PQclear(r);
    return JC_OK;
}

/* ---- loading cases ------------------------------------------------------------------ */

/* The rows beside cases, each for ids lo..hi ($1, $2), ordered by case_id. */
enum { R_PHASES, R_OWNERS, R_RETURNS, R_MEMBERS, R_FOLLOWUPS, R__N };
static const char *const rows_sql[R__N] = {
    "SELECT case_id, phase, COALESCE(dept_id,0), COALESCE(user_id,0), start_at, COALESCE(deadline_at,0),"
    " COALESCE(end_at,0), COALESCE(end_reason,''), paused_ms FROM case_phase"
    " WHERE case_id BETWEEN $1 AND $2 ORDER BY case_id, start_at, id",
    "SELECT case_id, dept_id, (role='lead')::int, start_at, COALESCE(end_at,0), COALESCE(end_reason,'')"
    " FROM case_owner WHERE case_id BETWEEN $1 AND $2 ORDER BY case_id, start_at, id",
    "SELECT case_id, dept_id, at, (decision IS NOT DISTINCT FROM 'upheld')::int FROM returns"
    " WHERE case_id BETWEEN $1 AND $2 ORDER BY case_id, at, id",
    "SELECT w.case_id, m.dept_id, m.checkin_deadline, COALESCE(m.checked_in_at,0), COALESCE(m.rating,0)"
    " FROM whistles w JOIN whistle_members m ON m.whistle_id=w.id WHERE w.case_id BETWEEN $1 AND $2"
    " ORDER BY w.case_id",
    /* 回访 (the followup module's table) */
    "SELECT case_id, (result <> 'unreachable')::int FROM case_followups WHERE case_id BETWEEN $1 AND $2"
    " ORDER BY case_id",
};

/* Fills k's rows from the results beside cases (at[] their next rows). */
static void case_rows(ev_case *k, PGresult *const *rs, int *at) {
    for (int i = 0; i < R__N; i++)
        while (at[i] < PQntuples(rs[i]) && pg_i64(rs[i], at[i], 0) < k->id) at[i]++;
    for (const PGresult *p = rs[R_PHASES]; at[R_PHASES] < PQntuples(p) && pg_i64(p, at[R_PHASES], 0) == k->id;
         at[R_PHASES]++) {
        if (k->nph == EV_MAX_ROWS) continue;
        int j = at[R_PHASES];
        ev_phase *ph = &k->ph[k->nph++];
        ph->phase = pg_str(p, j, 1)[0] ? pg_str(p, j, 1)[0] : '?';
        ph->dept = pg_i64(p, j, 2);
        ph->user = pg_i64(p, j, 3);
        ph->start = pg_i64(p, j, 4);
        ph->deadline = pg_i64(p, j, 5);
        ph->end = pg_i64(p, j, 6);
        pg_copy(p, j, 7, ph->reason, sizeof ph->reason);
        ph->paused = pg_i64(p, j, 8);
    }
    for (const PGresult *p = rs[R_OWNERS]; at[R_OWNERS] < PQntuples(p) && pg_i64(p, at[R_OWNERS], 0) == k->id;
         at[R_OWNERS]++) {
        if (k->now == EV_MAX_ROWS) continue;
        int j = at[R_OWNERS];
        ev_owner *o = &k->ow[k->now++];
        o->dept = pg_i64(p, j, 1);
        o->lead = (int)pg_i64(p, j, 2);
        o->start = pg_i64(p, j, 3);
        o->end = pg_i64(p, j, 4);
        pg_copy(p, j, 5, o->reason, sizeof o->reason);
    }
    for (const PGresult *p = rs[R_RETURNS]; at[R_RETURNS] < PQntuples(p) && pg_i64(p, at[R_RETURNS], 0) == k->id;
         at[R_RETURNS]++) {
        if (k->nrt == EV_MAX_ROWS) continue;
        int j = at[R_RETURNS];
        ev_return *r = &k->rt[k->nrt++];
        r->dept = pg_i64(p, j, 1);
        r->at = pg_i64(p, j, 2);
        r->upheld = (int)pg_i64(p, j, 3);
    }
    for (const PGresult *p = rs[R_MEMBERS]; at[R_MEMBERS] < PQntuples(p) && pg_i64(p, at[R_MEMBERS], 0) == k->id;
         at[R_MEMBERS]++) {
        if (k->nwm == EV_MAX_ROWS) continue;
        int j = at[R_MEMBERS];
        ev_member *m = &k->wm[k->nwm++];
        m->dept = pg_i64(p, j, 1);
        m->deadline = pg_i64(p, j, 2);
        m->checked_in = pg_i64(p, j, 3);
        m->rating = (int)pg_i64(p, j, 4);
    }
    for (const PGresult *p = rs[R_FOLLOWUPS];
         at[R_FOLLOWUPS] < PQntuples(p) && pg_i64(p, at[R_FOLLOWUPS], 0) == k->id; at[R_FOLLOWUPS]++)
        k->followups_reached += (int)pg_i64(p, at[R_FOLLOWUPS], 1);
}

static jc_err pe_scan(jc_conn *c, int64_t t0, int64_t t1, int64_t only_id, const int64_t *ids, size_t nids,
                      void (*cb)(const ev_case *k, void *arg), void *arg) {
    static const char period[] = "SELECT id, created_at, area, state, COALESCE(rating,'') FROM cases"
                                 " WHERE created_at>=$1 AND created_at<$2 ORDER BY id",
                      range[] = "SELECT id, created_at, area, state, COALESCE(rating,'') FROM cases"
                                " WHERE id BETWEEN $1 AND $2 ORDER BY id";
    int64_t lo = only_id, hi = only_id;
    if (ids) {
        if (!nids) return JC_OK;
        lo = ids[0], hi = ids[nids - 1];
    }
    pg_params p = {0};
    if (ids || only_id) pgp_i64(&p, lo), pgp_i64(&p, hi);
    else pgp_i64(&p, t0), pgp_i64(&p, t1);
    jc_err e;
    PGresult *cs = pg_run(c, ids || only_id ? range : period, &p, TAG, "scan", &e);
    if (!cs) return e;
    int n = PQntuples(cs);
    if (!n) {
        PQclear(cs);
        return JC_OK;
    }
    lo = pg_i64(cs, 0, 0), hi = pg_i64(cs, n - 1, 0);
    PGresult *rs[R__N] = {0};
    pg_params q = {0};
    pgp_i64(&q, lo);
    pgp_i64(&q, hi);
    for (int i = 0; i < R__N && !e; i++) rs[i] = pg_run(c, rows_sql[i], &q, TAG, "scan rows", &e);
    static __thread ev_case k;
    int at[R__N] = {0};
    size_t next = 0;
    for (int i = 0; i < n && !e; i++) {
        k.id = pg_i64(cs, i, 0);
        if (ids) {
            while (next < nids && ids[next] < k.id) next++;
            if (next == nids || ids[next] != k.id) continue; /* not asked for */
        }
        k.created = pg_i64(cs, i, 1);
        pg_copy(cs, i, 2, k.area, sizeof k.area);
        pg_copy(cs, i, 3, k.state, sizeof k.state);
        pg_copy(cs, i, 4, k.rating, sizeof k.rating);
        k.nph = k.now = k.nrt = k.nwm = k.followups_reached = 0;
        case_rows(&k, rs, at);
        cb(&k, arg);
    }
    for (int i = 0; i < R__N; i++) PQclear(rs[i]);
    PQclear(cs);
    return e;
}

/* ---- facts and counters --------------------------------------------------------------- */

static int hex_val(char h) { return h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : -1; }

static jc_err pe_facts_get(jc_conn *c, int64_t case_id, char month[8], unsigned char *buf, size_t cap,
                           size_t *len) {
    static const char sql[] = "SELECT month, encode(facts, 'hex') FROM eval_facts WHERE case_id=$1";
    pg_params p = {0};
    pgp_i64(&p, case_id);
    *len = 0;
    month[0] = 0;
    jc_err e;
    PGresult *r = pg_run(c, sql, &p, TAG, "facts", &e);
    if (!r) return e;
    if (PQntuples(r)) {
        pg_copy(r, 0, 0, month, 8);
        const char *h = pg_str(r, 0, 1);
        size_t n = strlen(h) / 2;
        if (n <= cap) {
            for (size_t i = 0; i < n; i++) {
                int a = hex_val(h[2 * i]), b = hex_val(h[2 * i + 1]);
                if (a < 0 || b < 0) {
                    n = 0; /* not hex: read as none */
                    break;
                }
                buf[i] = (unsigned char)(a << 4 | b);
            }
            *len = n;
        }
    }
    PQclear(r);
    return JC_OK;
}

static jc_err pe_facts_put(jc_conn *w, int64_t case_id, const char *month, const unsigned char *facts, size_t len) {
    static const char sql[] = "INSERT INTO eval_facts(case_id, month, facts) VALUES($1, $2, decode($3, 'hex'))"
                              " ON CONFLICT(case_id) DO UPDATE SET month=excluded.month, facts=excluded.facts";
    static const char digits[] = "0123456789abcdef";
    char *hex = malloc(2 * len + 1);
    if (!hex) return JC_ERR_NOMEM;
    for (size_t i = 0; i < len; i++) hex[2 * i] = digits[facts[i] >> 4], hex[2 * i + 1] = digits[facts[i] & 15];
    hex[2 * len] = 0;
    pg_params p = {0};
    pgp_i64(&p, case_id);
    pgp_text(&p, month);
    pgp_text(&p, hex);
    jc_err e = pg_run_done(w, sql, &p, TAG, "facts", NULL);
    free(hex);
    return e;
}

static jc_err pe_counter_add(jc_conn *w, const char *month, const char *unit, int ind, double num, double den) {
    static const char sql[] = "INSERT INTO eval_counters(month, unit, ind, num, den) VALUES($1, $2, $3, $4, $5)"
                              " ON CONFLICT(month, unit, ind) DO UPDATE SET num=eval_counters.num+excluded.num,"
                              " den=eval_counters.den+excluded.den";
    pg_params p = {0};
    pgp_text(&p, month);
    pgp_text(&p, unit);
    pgp_i64(&p, ind);
    pgp_double(&p, num);
    pgp_double(&p, den);
    return pg_run_done(w, sql, &p, TAG, "counter", NULL);
}

static jc_err pe_month_clear(jc_conn *w, const char *month) {
    static const char counters[] = "DELETE FROM eval_counters WHERE month=$1",
                      facts[] = "DELETE FROM eval_facts WHERE month=$1";
    pg_params p = {0};
    pgp_text(&p, month);
    jc_err e;
    if ((e = counters_lock(w)) || (e = pg_run_done(w, counters, &p, TAG, "clear", NULL))) return e;
    return pg_run_done(w, facts, &p, TAG, "clear", NULL);
}

static jc_err pe_counters_present(jc_conn *c, const char *month, int *yes) {
    static const char sql[] = "SELECT 1 FROM eval_counters WHERE month=$1 LIMIT 1";
    pg_params p = {0};
    pgp_text(&p, month);
    jc_err e;
    PGresult *r = pg_run(c, sql, &p, TAG, "counters present", &e);
    if (!r) return e;
    *yes = PQntuples(r) > 0;
    PQclear(r);
    return JC_OK;
}

static jc_err pe_counters_each(jc_conn *c, const char *month,
                               int (*cb)(const char *unit, int ind, double num, double den, void *arg), void *arg) {
    static const char sql[] = "SELECT unit, ind, num, den FROM eval_counters WHERE month=$1 ORDER BY unit";
    pg_params p = {0};
    pgp_text(&p, month);
    jc_err e;
    PGresult *r = pg_run(c, sql, &p, TAG, "counters", &e);
    if (!r) return e;
    for (int i = 0; i < PQntuples(r); i++)
        if (cb(pg_str(r, i, 0), (int)pg_i64(r, i, 1), pg_double(r, i, 2), pg_double(r, i, 3), arg)) break;
    PQclear(r);
    return JC_OK;
}

/* ---- the changed cases -------------------------------------------------------------- */

static jc_err pe_changed_put(jc_conn *w, int64_t case_id) {
    static const char sql[] = "INSERT INTO eval_pending(case_id) VALUES($1) ON CONFLICT DO NOTHING";
    pg_params p = {0};
    pgp_i64(&p, case_id);
    return pg_run_done(w, sql, &p, TAG, "changed", NULL);
}

static jc_err pe_changed_take(jc_conn *w, int64_t *out, size_t max, size_t *n) {
    static const char sql[] =
        "DELETE FROM eval_pending WHERE case_id IN (SELECT case_id FROM eval_pending"
        " ORDER BY case_id LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING case_id";
    *n = 0;
    jc_err e = counters_lock(w);
    if (e) return e;
    pg_params p = {0};
    pgp_i64(&p, (int64_t)max);
    PGresult *r = pg_run(w, sql, &p, TAG, "take changed", &e);
    if (!r) return e;
    for (int i = 0; i < PQntuples(r) && (size_t)i < max; i++) out[(*n)++] = pg_i64(r, i, 0);
    PQclear(r);
    return JC_OK;
}

/* The PostgreSQL table of eval_store.h's row operations (module_eval's .store). */
const eval_store_ops eval_store_pg = {
    .config_each = pe_config_each,
    .config_put = pe_config_put,
    .calendar_days = pe_calendar_days,
    .scan = pe_scan,
    .unit_name = pe_unit_name,
    .facts_get = pe_facts_get,
    .facts_put = pe_facts_put,
    .counter_add = pe_counter_add,
    .month_clear = pe_month_clear,
    .counters_present = pe_counters_present,
    .counters_each = pe_counters_each,
    .changed_put = pe_changed_put,
    .changed_take = pe_changed_take,
};
