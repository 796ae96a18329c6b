/*
 * eval_sqlite.c -- the SQLite half of evaluation: its tables (settings,
 * per-case facts, per unit and month counters), loading the case rows of a
 * period with one ordered scan per dispatch table (a merge join on
 * case_id), unit names, the calendar, and the incremental counters.
 *
 *  eval_config    key -> value settings (w_basic, min_cases, grade.A ...,
 *                 dispatch_limit_h, weight.<indicator>).
 *  eval_facts     the last facts computed for a case (a packed blob), so an
 *                 event applies only the difference to the counters.
 *  eval_counters  per (month, unit, indicator) numerator and denominator;
 *                 indicator -1 counts the unit's cases.
 */
#include "store_sqlite.h"
#include "calendar.h"
#include "eval.h"

#include <pthread.h>
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

void eval__params_default(eval_params *p);
jc_err eval__table_finish(eval_table *t, jc_conn *c);

/* ---- settings ------------------------------------------------------------------ */

int eval_params_set(eval_params *p, const char *k, double v) {
    if (!strcmp(k, "w_basic")) p->w_basic = v;
    else if (!strcmp(k, "min_cases")) p->min_cases = (int)v;
    else if (!strcmp(k, "dispatch_limit_h")) p->dispatch_limit_h = v;
    else if (!strncmp(k, "grade.", 6) && k[6] >= 'A' && k[6] <= 'D' && !k[7]) p->grade[k[6] - 'A'] = v;
    else if (!strncmp(k, "weight.", 7)) {
        for (int i = 0; i < IND__COUNT; i++)
            if (!strcmp(k + 7, eval_ind[i].name)) {
                p->weight[i] = v;
                return 1;
            }
        return 0;
    } else return 0;
    return 1;
}

jc_err eval_params_load(jc_conn *c, eval_params *p) {
    eval__params_default(p);
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT key, value FROM eval_config", -1, &s, NULL) != SQLITE_OK)
        return sq_fail(db, "eval", "config");
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(s, 0);
        double v = sqlite3_column_double(s, 1);
        if (k) eval_params_set(p, k, v); /* unknown keys are ignored */
    }
    sqlite3_finalize(s);
    return JC_OK;
}

jc_err eval_params_put(jc_conn *w, const char *key, double value) {
    sqlite3_stmt *s = store_sqlite_prepare(w, "INSERT INTO eval_config(key, value) VALUES(?, ?)"
                                              " ON CONFLICT(key) DO UPDATE SET value=excluded.value");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(s, 2, value);
    return sq_step_done(store_sqlite_db(w), s, "eval", "config");
}

/* ---- calendar ----------------------------------------------------------------------- */

static pthread_mutex_t cal_mu = PTHREAD_MUTEX_INITIALIZER;
static calendar *cal_cached;

const struct calendar *eval__calendar(jc_conn *c) {
    pthread_mutex_lock(&cal_mu);
    if (!cal_cached && calendar_new(&cal_cached) == JC_OK) {
        /* Staff corrections of the official calendar (dispatch's table). */
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(store_sqlite_db(c), "SELECT ymd, kind, name FROM calendar_days", -1, &s, NULL) ==
            SQLITE_OK) {
            while (sqlite3_step(s) == SQLITE_ROW) {
                const char *k = (const char *)sqlite3_column_text(s, 1);
                if (calendar_override(cal_cached, sqlite3_column_int(s, 0),
                                      k && !strcmp(k, "workday") ? CALENDAR_SET_WORKDAY : CALENDAR_SET_HOLIDAY,
                                      (const char *)sqlite3_column_text(s, 2)))
                    jc_log(JC_LOG_WARN, "eval: calendar override %d ignored", sqlite3_column_int(s, 0));
            }
            sqlite3_finalize(s);
        }
    }
    pthread_mutex_unlock(&cal_mu);
    return cal_cached;
}

/* ---- loading cases ----------------------------------------------------------------- */

enum { Q_CASES, Q_CASE_ONE, Q_CASE_IDS, Q_PHASES, Q_OWNERS, Q_RETURNS, Q_MEMBERS, Q_FOLLOWUPS, Q_RANGE, Q_FACTS_GET, Q_FACTS_PUT, Q_COUNTER, Q__N };
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
    "SELECT month, facts FROM eval_facts WHERE case_id=?",
    "INSERT OR REPLACE INTO eval_facts(case_id, month, facts) VALUES(?,?,?)",
    "INSERT INTO eval_counters(month, unit, ind, num, den) VALUES(?,?,?,?,?)"
    " ON CONFLICT(month, unit, ind) DO UPDATE SET num=num+excluded.num, den=den+excluded.den",
};

struct eval_inc {
    sqlite3 *db;
    jc_conn *c;
    sqlite3_stmt *q[Q__N];
    eval_params p; /* loaded when the handle is opened */
};

jc_err eval_inc_open(jc_conn *w, eval_inc **out) {
    eval_inc *inc = calloc(1, sizeof *inc);
    if (!inc) return JC_ERR_NOMEM;
    inc->c = w;
    inc->db = store_sqlite_db(w);
    jc_err pe = eval_params_load(w, &inc->p);
    if (pe) {
        free(inc);
        return pe;
    }
    for (int i = 0; i < Q__N; i++)
        if (sqlite3_prepare_v3(inc->db, qsql[i], -1, SQLITE_PREPARE_PERSISTENT, &inc->q[i], NULL) != SQLITE_OK) {
            jc_err e = sq_fail(inc->db, "eval", qsql[i]);
            eval_inc_close(inc);
            return e;
        }
    *out = inc;
    return JC_OK;
}

void eval_inc_close(eval_inc *inc) {
    if (!inc) return;
    for (int i = 0; i < Q__N; i++) sqlite3_finalize(inc->q[i]);
    free(inc);
}

/* A cursor over one of the ordered per-table queries. */
typedef struct {
    sqlite3_stmt *s;
    int64_t cur; /* case_id of the current row, INT64_MAX at the end */
} cursor;

static void cur_next(cursor *c) {
    c->cur = sqlite3_step(c->s) == SQLITE_ROW ? sqlite3_column_int64(c->s, 0) : INT64_MAX;
}

/* The cases created in [t0, t1), or the one case only_id, or (ids != NULL)
 * the cases of a sorted list of ids, each with its rows, to cb in id order. */
static jc_err scan_with(sqlite3_stmt *const *q, int64_t t0, int64_t t1, int64_t only_id,
                        const int64_t *ids, size_t nids,
                        void (*cb)(const ev_case *k, void *arg), void *arg) {
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
    return rc == SQLITE_DONE ? JC_OK : JC_ERR_DB;
}

jc_err eval__scan(jc_conn *c, int64_t t0, int64_t t1, int64_t only_id,
                  void (*cb)(const ev_case *k, void *arg), void *arg) {
    eval_inc *inc;
    jc_err e = eval_inc_open(c, &inc);
    if (e) return e;
    e = scan_with(inc->q, t0, t1, only_id, NULL, 0, cb, arg);
    eval_inc_close(inc);
    return e;
}

jc_err eval__unit_name(jc_conn *c, const char *key, char *out, size_t outsz) {
    sqlite3 *db = store_sqlite_db(c);
    const char *colon = strchr(key, ':');
    out[0] = 0;
    if (!colon) return JC_ERR_INVALID;
    const char *sql = !strncmp(key, "dept:", 5) ? "SELECT name FROM depts WHERE id=?"
                      : !strncmp(key, "worker:", 7) ? "SELECT COALESCE(display, name) FROM users WHERE id=?"
                                                    : "SELECT name FROM areas WHERE code=?";
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) return sq_fail(db, "eval", "unit name");
    sqlite3_bind_text(s, 1, colon + 1, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) == SQLITE_ROW) sq_col_copy(s, 0, out, outsz);
    sqlite3_finalize(s);
    return JC_OK;
}

/* ---- facts of a case, packed ------------------------------------------------------- */

typedef struct {
    uint8_t kind;
    int8_t ind; /* -1: the unit's case count */
    char key[46];
    double num, den;
} packed_fact;

#define MAX_FACTS 256
typedef struct {
    packed_fact f[MAX_FACTS];
    int n;
} fact_set;

static void set_add(fact_set *fs, ev_kind kind, const char *key, int ind, double num, double den) {
    for (int i = 0; i < fs->n; i++)
        if (fs->f[i].ind == ind && !strcmp(fs->f[i].key, key)) {
            fs->f[i].num += num;
            fs->f[i].den += den;
            return;
        }
    if (fs->n == MAX_FACTS) return;
    packed_fact *f = &fs->f[fs->n++];
    memset(f, 0, sizeof *f);
    f->kind = (uint8_t)kind;
    f->ind = (int8_t)ind;
    snprintf(f->key, sizeof f->key, "%s", key);
    f->num = num;
    f->den = den;
}

/* The stored form of a fact set (eval_facts.facts): the byte FACTS_V2, then
 * per fact its kind, indicator, a byte saying how num and den are written,
 * the key's length and bytes, then num and den where they are not 0, 1 or
 * -1 (8 bytes each).  ~160 bytes for a dispatched case, where the first
 * form (the packed_fact array itself, still read) took 576. */
#define FACTS_V2 0xFE
#define FACTS_MAX_BYTES (1 + MAX_FACTS * (4 + sizeof ((packed_fact *)0)->key + 16))

static unsigned value_code(double v) { return v == 0 ? 0 : v == 1 ? 1 : v == -1 ? 2 : 3; }

static size_t facts_pack(const fact_set *fs, unsigned char *out) {
    size_t n = 0;
    out[n++] = FACTS_V2;
    for (int i = 0; i < fs->n; i++) {
        const packed_fact *f = &fs->f[i];
        size_t kl = strnlen(f->key, sizeof f->key - 1);
        unsigned cn = value_code(f->num), cd = value_code(f->den);
        out[n++] = f->kind;
        out[n++] = (unsigned char)f->ind;
        out[n++] = (unsigned char)(cn | cd << 2);
        out[n++] = (unsigned char)kl;
        memcpy(out + n, f->key, kl);
        n += kl;
        if (cn == 3) memcpy(out + n, &f->num, 8), n += 8;
        if (cd == 3) memcpy(out + n, &f->den, 8), n += 8;
    }
    return n;
}

static int value_read(unsigned code, const unsigned char *p, size_t len, size_t *at, double *v) {
    static const double known[3] = {0, 1, -1};
    if (code < 3) {
        *v = known[code];
        return 0;
    }
    if (*at + 8 > len) return -1;
    memcpy(v, p + *at, 8);
    *at += 8;
    return 0;
}

/* fs from a stored blob of either form; -1 (fs empty) when it is not one. */
static int facts_unpack(const unsigned char *p, size_t len, fact_set *fs) {
    fs->n = 0;
    if (!p || !len) return 0;
    if (p[0] != FACTS_V2) {
        if (len % sizeof(packed_fact) || len > sizeof fs->f) return -1;
        memcpy(fs->f, p, len);
        fs->n = (int)(len / sizeof(packed_fact));
        return 0;
    }
    for (size_t at = 1; at < len;) {
        if (fs->n == MAX_FACTS || at + 4 > len) goto bad;
        packed_fact *f = &fs->f[fs->n];
        memset(f, 0, sizeof *f);
        f->kind = p[at];
        f->ind = (int8_t)p[at + 1];
        unsigned codes = p[at + 2];
        size_t kl = p[at + 3];
        at += 4;
        if (kl >= sizeof f->key || at + kl > len) goto bad;
        memcpy(f->key, p + at, kl);
        at += kl;
        if (value_read(codes & 3, p, len, &at, &f->num) || value_read(codes >> 2 & 3, p, len, &at, &f->den))
            goto bad;
        fs->n++;
    }
    return 0;
bad:
    fs->n = 0;
    return -1;
}

static void set_emit(void *ctx, ev_kind kind, const char *key, ev_ind ind, int64_t case_id, double num,
                     double den) {
    (void)case_id;
    fact_set *fs = ctx;
    set_add(fs, kind, key, -1, 0, 0); /* makes the unit's case count row exist */
    set_add(fs, kind, key, (int)ind, num, den);
}

static void set_finish(fact_set *fs) {
    for (int i = 0; i < fs->n; i++)
        if (fs->f[i].ind == -1) fs->f[i].num = 1;
}

typedef struct {
    eval_params p;
    const struct calendar *cal;
    int64_t as_of;
    fact_set fs;
    int found;
    int64_t created;
} one_case;

static void one_cb(const ev_case *k, void *arg) {
    one_case *o = arg;
    o->found = 1;
    o->created = k->created;
    eval__case_facts(k, &o->p, o->cal, o->as_of, set_emit, &o->fs);
    set_finish(&o->fs);
}

static void month_of(int64_t ms, char out[8]) {
    char b[40];
    jc_fmt_local(ms, b, sizeof b);
    snprintf(out, 8, "%.7s", b);
}

/* Counter changes of a batch of cases, summed by (month, unit, indicator)
 * and written once at the end: a batch of cases of the same units touches
 * each counter row once. */
#define AGG_CAP 1024
typedef struct {
    char month[8];
    packed_fact f;
    int used;
} agg_slot;
typedef struct {
    agg_slot s[AGG_CAP];
    int n;
} agg;

static jc_err counter_write(eval_inc *inc, const char *month, const packed_fact *f) {
    sqlite3_stmt *s = inc->q[Q_COUNTER];
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, month, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, f->key, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, f->ind);
    sqlite3_bind_double(s, 4, f->num);
    sqlite3_bind_double(s, 5, f->den);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? JC_OK : sq_fail(inc->db, "eval", "counter");
}

static jc_err agg_flush(eval_inc *inc, agg *a) {
    jc_err e = JC_OK;
    for (int i = 0; i < AGG_CAP; i++) {
        agg_slot *sl = &a->s[i];
        if (!sl->used) continue;
        if (!e && (sl->f.num != 0 || sl->f.den != 0)) e = counter_write(inc, sl->month, &sl->f);
        sl->used = 0;
    }
    a->n = 0;
    return e;
}

static jc_err counter_add(eval_inc *inc, agg *a, const char *month, const packed_fact *f, double sign) {
    uint64_t h = 1469598103934665603ULL;
    for (const char *c = month; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    for (const char *c = f->key; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    h = (h ^ (uint8_t)f->ind) * 1099511628211ULL;
    for (size_t i = h & (AGG_CAP - 1);; i = (i + 1) & (AGG_CAP - 1)) {
        agg_slot *sl = &a->s[i];
        if (!sl->used) {
            if (a->n * 4 >= AGG_CAP * 3) {
                jc_err e = agg_flush(inc, a);
                if (e) return e;
                return counter_add(inc, a, month, f, sign);
            }
            sl->used = 1;
            a->n++;
            snprintf(sl->month, sizeof sl->month, "%s", month);
            sl->f = *f;
            sl->f.num = sign * f->num;
            sl->f.den = sign * f->den;
            return JC_OK;
        }
        if (sl->f.ind == f->ind && !strcmp(sl->month, month) && !strcmp(sl->f.key, f->key)) {
            sl->f.num += sign * f->num;
            sl->f.den += sign * f->den;
            return JC_OK;
        }
    }
}

/* Stores the facts of case_id (packed) for month. */
static jc_err facts_put(eval_inc *inc, int64_t case_id, const char *month, const fact_set *fs) {
    static __thread unsigned char packed[FACTS_MAX_BYTES];
    sqlite3_stmt *pst = inc->q[Q_FACTS_PUT];
    sqlite3_reset(pst);
    sqlite3_bind_int64(pst, 1, case_id);
    sqlite3_bind_text(pst, 2, month, -1, SQLITE_STATIC);
    sqlite3_bind_blob(pst, 3, packed, (int)facts_pack(fs, packed), SQLITE_STATIC);
    int rc = sqlite3_step(pst);
    sqlite3_reset(pst);
    return rc == SQLITE_DONE ? JC_OK : sq_fail(inc->db, "eval", "facts");
}

/* Applies the facts of one case (o: as found by a scan, o->found = 0 when
 * the case is gone) against its stored facts. */
static jc_err apply_case(eval_inc *inc, agg *a, int64_t case_id, const one_case *o) {
    static __thread fact_set old;
    old.n = 0;
    char month[8] = "";
    sqlite3_stmt *g = inc->q[Q_FACTS_GET];
    sqlite3_reset(g);
    sqlite3_bind_int64(g, 1, case_id);
    if (sqlite3_step(g) == SQLITE_ROW) {
        sq_col_copy(g, 0, month, sizeof month);
        facts_unpack(sqlite3_column_blob(g, 1), (size_t)sqlite3_column_bytes(g, 1), &old);
    }
    sqlite3_reset(g);
    jc_err e;
    if (!o->found) {
        /* The case is gone: take its facts out. */
        for (int i = 0; i < old.n; i++)
            if ((e = counter_add(inc, a, month, &old.f[i], -1))) return e;
        return JC_OK;
    }
    char newmonth[8];
    month_of(o->created, newmonth);
    /* Apply the difference. */
    for (int i = 0; i < o->fs.n; i++) {
        packed_fact d = o->fs.f[i];
        for (int j = 0; j < old.n; j++)
            if (old.f[j].ind == d.ind && !strcmp(old.f[j].key, d.key)) {
                d.num -= old.f[j].num;
                d.den -= old.f[j].den;
                break;
            }
        if ((d.num != 0 || d.den != 0) && (e = counter_add(inc, a, newmonth, &d, 1))) return e;
    }
    for (int j = 0; j < old.n; j++) {
        int still = 0;
        for (int i = 0; i < o->fs.n && !still; i++)
            still = old.f[j].ind == o->fs.f[i].ind && !strcmp(old.f[j].key, o->fs.f[i].key);
        if (!still && (e = counter_add(inc, a, newmonth, &old.f[j], -1))) return e;
    }
    return facts_put(inc, case_id, newmonth, &o->fs);
}

jc_err eval_inc_event(eval_inc *inc, int64_t case_id, int64_t now_ms) {
    return eval_inc_events(inc, &case_id, 1, now_ms);
}

/* The batch of eval_inc_events: the cases of a scan are applied as the
 * scan delivers them. */
typedef struct {
    eval_inc *inc;
    agg *a;
    one_case *o;
    const int64_t *ids;
    size_t n;
    unsigned char *seen;
    size_t pos; /* cursor into ids */
    jc_err e;
} batch;

static void batch_cb(const ev_case *k, void *arg) {
    batch *b = arg;
    if (b->e) return;
    /* the scan delivers only the asked ids, in increasing order */
    while (b->pos < b->n && b->ids[b->pos] < k->id) b->pos++;
    if (b->pos < b->n && b->ids[b->pos] == k->id) b->seen[b->pos] = 1;
    one_case *o = b->o;
    o->fs.n = 0;
    one_cb(k, o);
    b->e = apply_case(b->inc, b->a, k->id, o);
}

static int cmp_i64(const void *x, const void *y) {
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

jc_err eval_inc_events(eval_inc *inc, int64_t *ids, size_t n, int64_t now_ms) {
    if (!n) return JC_OK;
    qsort(ids, n, sizeof *ids, cmp_i64);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (!u || ids[u - 1] != ids[i]) ids[u++] = ids[i];
    n = u;
    static __thread one_case o;
    static __thread agg a;
    static __thread unsigned char seen[4096];
    o.as_of = now_ms;
    o.cal = eval__calendar(inc->c);
    o.p = inc->p;
    jc_err e = JC_OK;
    /* Runs of ids close together are read with one range scan per table;
     * a lone id costs the same as before. */
    for (size_t i = 0; i < n && !e;) {
        size_t j = i + 1;
        while (j < n && j - i < sizeof seen && ids[j] - ids[i] <= (int64_t)(8 * (j - i + 1))) j++;
        memset(seen, 0, j - i);
        batch b = {.inc = inc, .a = &a, .o = &o, .ids = ids + i, .n = j - i, .seen = seen};
        e = scan_with(inc->q, 0, 0, 0, ids + i, j - i, batch_cb, &b);
        if (!e) e = b.e;
        for (size_t k = 0; k < j - i && !e; k++)
            if (!seen[k]) {
                o.fs.n = 0;
                o.found = 0;
                e = apply_case(inc, &a, ids[i + k], &o);
            }
        i = j;
    }
    jc_err fe = agg_flush(inc, &a);
    return e ? e : fe;
}

jc_err eval_on_event(jc_conn *w, int64_t case_id, int64_t now_ms) {
    eval_inc *inc;
    jc_err e = eval_inc_open(w, &inc);
    if (e) return e;
    e = eval_inc_event(inc, case_id, now_ms);
    eval_inc_close(inc);
    return e;
}

/* ---- monthly recomputation ---------------------------------------------------------- */

typedef struct {
    eval_inc *inc;
    eval_params p;
    const struct calendar *cal;
    int64_t as_of;
    const char *month;
    fact_set fs;
    /* month totals, summed in memory and written once */
    packed_fact *tot;
    size_t ntot, cap;
    int *slots;
    size_t nslots;
    jc_err err;
} recompute_ctx;

static uint64_t fhash(const char *key, int ind) {
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)(ind + 7);
    for (; *key; key++) h = (h ^ (unsigned char)*key) * 1099511628211ULL;
    return h;
}

static int tot_add(recompute_ctx *r, const packed_fact *f) {
    if (r->ntot * 2 >= r->nslots) {
        size_t ns = r->nslots ? r->nslots * 2 : 1024;
        int *sl = calloc(ns, sizeof *sl);
        if (!sl) return -1;
        for (size_t i = 0; i < r->ntot; i++) {
            size_t h = fhash(r->tot[i].key, r->tot[i].ind) & (ns - 1);
            while (sl[h]) h = (h + 1) & (ns - 1);
            sl[h] = (int)i + 1;
        }
        free(r->slots);
        r->slots = sl;
        r->nslots = ns;
    }
    size_t h = fhash(f->key, f->ind) & (r->nslots - 1);
    while (r->slots[h]) {
        packed_fact *t = &r->tot[r->slots[h] - 1];
        if (t->ind == f->ind && !strcmp(t->key, f->key)) {
            t->num += f->num;
            t->den += f->den;
            return 0;
        }
        h = (h + 1) & (r->nslots - 1);
    }
    if (r->ntot == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 1024;
        packed_fact *nt = realloc(r->tot, nc * sizeof *nt);
        if (!nt) return -1;
        r->tot = nt;
        r->cap = nc;
    }
    r->tot[r->ntot] = *f;
    r->slots[h] = (int)++r->ntot;
    return 0;
}

static void recompute_cb(const ev_case *k, void *arg) {
    recompute_ctx *r = arg;
    if (r->err) return;
    r->fs.n = 0;
    eval__case_facts(k, &r->p, r->cal, r->as_of, set_emit, &r->fs);
    set_finish(&r->fs);
    for (int i = 0; i < r->fs.n; i++)
        if (tot_add(r, &r->fs.f[i])) {
            r->err = JC_ERR_NOMEM;
            return;
        }
    jc_err e = facts_put(r->inc, k->id, r->month, &r->fs);
    if (e) r->err = e;
}

jc_err eval_recompute_month(jc_conn *w, const char *month, int64_t as_of) {
    int64_t t0, t1;
    if (!month || strlen(month) != 7 || eval_period_parse(month, &t0, &t1)) return JC_ERR_INVALID;
    sqlite3 *db = store_sqlite_db(w);
    sqlite3_stmt *s;
    const char *dels[] = {"DELETE FROM eval_counters WHERE month=?", "DELETE FROM eval_facts WHERE month=?"};
    for (int i = 0; i < 2; i++) {
        if (sqlite3_prepare_v2(db, dels[i], -1, &s, NULL) != SQLITE_OK) return sq_fail(db, "eval", dels[i]);
        sqlite3_bind_text(s, 1, month, -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE) return sq_fail(db, "eval", dels[i]);
    }
    static recompute_ctx r; /* the writer is one thread; fact_set is large */
    memset(&r, 0, sizeof r);
    jc_err e = eval_inc_open(w, &r.inc);
    if (e) return e;
    r.cal = eval__calendar(w);
    r.as_of = as_of;
    r.month = month;
    if (!(e = eval_params_load(w, &r.p))) e = scan_with(r.inc->q, t0, t1, 0, NULL, 0, recompute_cb, &r);
    if (!e) e = r.err;
    for (size_t i = 0; !e && i < r.ntot; i++) e = counter_write(r.inc, month, &r.tot[i]);
    eval_inc_close(r.inc);
    free(r.tot);
    free(r.slots);
    return e;
}

jc_err eval_counters_present(jc_conn *c, const char *month, int *yes) {
    static const char sql[] = "SELECT 1 FROM eval_counters WHERE month = ?1 LIMIT 1";
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_text(s, 1, month, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    *yes = rc == SQLITE_ROW;
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(store_sqlite_db(c), "eval", "counters present");
}

jc_err eval_from_counters(jc_conn *c, const char *month, eval_table **out) {
    int64_t t0, t1;
    if (!month || strlen(month) != 7 || eval_period_parse(month, &t0, &t1)) return JC_ERR_INVALID;
    sqlite3 *db = store_sqlite_db(c);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT unit, ind, num, den FROM eval_counters WHERE month=? ORDER BY unit", -1, &s,
                           NULL) != SQLITE_OK)
        return sq_fail(db, "eval", "counters");
    sqlite3_bind_text(s, 1, month, -1, SQLITE_STATIC);
    eval_table *t = calloc(1, sizeof *t);
    if (!t) {
        sqlite3_finalize(s);
        return JC_ERR_NOMEM;
    }
    t->t0 = t0, t->t1 = t1, t->as_of = jc_now_ms();
    size_t cap = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *unit = (const char *)sqlite3_column_text(s, 0);
        if (!unit) continue;
        if (!t->n || strcmp(t->rows[t->n - 1].key, unit)) {
            if (t->n == cap) {
                cap = cap ? cap * 2 : 64;
                eval_row *nr = realloc(t->rows, cap * sizeof *nr);
                if (!nr) {
                    sqlite3_finalize(s);
                    eval_table_free(t);
                    return JC_ERR_NOMEM;
                }
                t->rows = nr;
            }
            eval_row *r = &t->rows[t->n++];
            memset(r, 0, sizeof *r);
            snprintf(r->key, sizeof r->key, "%s", unit);
            for (int k = 0; k < EV__KINDS; k++)
                if (!strncmp(unit, eval_kind_name[k], strlen(eval_kind_name[k])) &&
                    unit[strlen(eval_kind_name[k])] == ':')
                    r->kind = (ev_kind)k;
        }
        eval_row *r = &t->rows[t->n - 1];
        int ind = sqlite3_column_int(s, 1);
        if (ind == -1) r->n = (int64_t)(sqlite3_column_double(s, 2) + 0.5);
        else if (ind >= 0 && ind < IND__COUNT) {
            r->num[ind] = sqlite3_column_double(s, 2);
            r->den[ind] = sqlite3_column_double(s, 3);
        }
    }
    sqlite3_finalize(s);
    jc_err e = eval__table_finish(t, c);
    if (e) {
        eval_table_free(t);
        return e;
    }
    *out = t;
    return JC_OK;
}
