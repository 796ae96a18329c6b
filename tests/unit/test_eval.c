/*
 * test_eval.c -- evaluation indicators on hand-built case histories written
 * straight into the dispatch tables of a temporary database (no audit):
 * a normal case, a case reassigned after an upheld return with an approved
 * deferral, a rejected return with rework and an open overdue phase, a
 * whistle, a voided case and a case of another month.  Every expected
 * value is computed here from the fixture times.  Also: small-sample rule,
 * ranks and grades, drill-down, incremental counters against a full
 * recomputation, and the Excel export read back with unzip.
 */
#include "t.h"
#include "auth.h"
#include "calendar.h"
#include "eval.h"
#include "store.h"
#include "store_sqlite.h"

#include <jansson.h>
#include <unistd.h>

#define H 3600000LL
static char tdir[64];
static jc_store *st;
static jc_conn *rd;
static int64_t T, AS_OF;

static jc_err exec_sql(jc_conn *w, const char *sql) {
    char *msg = NULL;
    if (sqlite3_exec(store_sqlite_db(w), sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "fixture: %s\n%s\n", msg ? msg : "?", sql);
        sqlite3_free(msg);
        return JC_ERR_DB;
    }
    return JC_OK;
}

/* Appends printf-formatted SQL with times as T + hours. */
static char sqlbuf[65536];
static size_t sqllen;
static void q(const char *fmt, ...) JC_PRINTF(1, 2);
static void q(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sqllen += (size_t)vsnprintf(sqlbuf + sqllen, sizeof sqlbuf - sqllen, fmt, ap);
    va_end(ap);
}
#define AT(h) ((long long)(T + (long long)((h) * H)))

static void kase(int id, double created_h, const char *area, const char *state, const char *rating) {
    q("INSERT INTO cases(id,title,body,category,source,state,area,rating,created_at,updated_at,version)"
      " VALUES(%d,'t','b','0101','web','%s','%s',%s%s%s,%lld,%lld,1);",
      id, state, area, rating ? "'" : "", rating ? rating : "NULL", rating ? "'" : "", AT(created_h), AT(created_h));
}
static void owner(int c, int dept, double s, double e, const char *reason) {
    if (e > 0) q("INSERT INTO case_owner(case_id,dept_id,role,start_at,end_at,end_reason) VALUES(%d,%d,'lead',%lld,%lld,'%s');",
                 c, dept, AT(s), AT(e), reason);
    else q("INSERT INTO case_owner(case_id,dept_id,role,start_at) VALUES(%d,%d,'lead',%lld);", c, dept, AT(s));
}
static void phase(int c, const char *ph, int dept, int user, double s, double dl, double e, const char *reason,
                  double paused_h) {
    q("INSERT INTO case_phase(case_id,phase,dept_id,user_id,start_at,deadline_at,end_at,end_reason,paused_ms)"
      " VALUES(%d,'%s',%s%.0d,%s%.0d,%lld,%lld,",
      c, ph, dept ? "" : "NULL", dept, user ? "" : "NULL", user, AT(s), AT(dl));
    if (e > 0) q("%lld,'%s',%lld);", AT(e), reason, (long long)(paused_h * H));
    else q("NULL,NULL,%lld);", (long long)(paused_h * H));
}

static jc_err fixture_run(jc_conn *w, void *arg) {
    (void)arg;
    sqllen = 0;
    q("INSERT INTO depts(id,code,name) VALUES(1,'chengguan','区城管委'),(2,'zhujian','区住建委'),(3,'shuiwu','区水务局');");
    q("INSERT INTO areas(code,parent,level,name) VALUES('110101001','110101','street','东华门街道'),"
      "('110101001001','110101001','community','多福巷社区'),('110101001002','110101001','community','银闸社区');");
    q("INSERT INTO users(id,name,display,role,area,pw_hash,created_at) VALUES(7,'worker1','网格员一','grid_worker','110101001001001','x',0);");
    /* Case 1: normal, on time, satisfied. */
    kase(1, 0, "110101001001001", "rated", "satisfied");
    owner(1, 1, 1, 20, "closed");
    phase(1, "accept", 1, 0, 1, 3, 2, "done", 0);
    phase(1, "handle", 1, 0, 2, 30, 10, "done", 0);
    phase(1, "verify", 0, 7, 10, 18, 12, "done", 0);
    /* Case 2: dept 2 returns it (upheld), dept 1 takes it, accepts late,
     * handles 5 h past the deadline inside a 6 h approved deferral. */
    kase(2, 0, "110101001001002", "closed", "basic");
    owner(2, 2, 1, 3, "returned");
    owner(2, 1, 4, 40, "closed");
    phase(2, "accept", 2, 0, 1, 3, 2, "returned", 0);
    q("INSERT INTO returns(case_id,dept_id,reason_code,reason,at,decision,decided_at) VALUES(2,2,'not_ours','不属本部门',%lld,'upheld',%lld);",
      AT(2), AT(3));
    phase(2, "accept", 1, 0, 4, 6, 8, "done", 0);
    phase(2, "handle", 1, 0, 8, 30, 35, "done", 6);
    /* Case 3: dept 3 returns it (rejected), accepts, handles, the verifier
     * sends it back (rework), the second handling is open and overdue. */
    kase(3, 24, "110101001002001", "handling", NULL);
    owner(3, 3, 25, 0, NULL);
    phase(3, "accept", 3, 0, 25, 27, 26, "returned", 0);
    q("INSERT INTO returns(case_id,dept_id,reason_code,reason,at,decision,decided_at) VALUES(3,3,'not_ours','x',%lld,'rejected',%lld);",
      AT(26), AT(27));
    phase(3, "accept", 3, 0, 28, 30, 29, "done", 0);
    phase(3, "handle", 3, 0, 29, 40, 35, "done", 0);
    phase(3, "verify", 0, 7, 35, 43, 36, "rework", 0);
    phase(3, "handle", 3, 0, 36, 50, 0, NULL, 0);
    /* Case 4: dispatched late (Wed 09:00 -> 13:00 is 3 working hours),
     * a whistle: dept 2 checks in on time (rated 5), dept 3 late (rated 3). */
    kase(4, 48, "110101001001003", "closed", NULL);
    owner(4, 1, 52, 60, "closed");
    phase(4, "accept", 1, 0, 52, 54, 53, "done", 0);
    q("INSERT INTO whistles(id,case_id,raised_by,raised_at,checkin_minutes,state) VALUES(1,4,1,%lld,60,'done');", AT(52));
    q("INSERT INTO whistle_members(whistle_id,dept_id,checkin_deadline,checked_in_at,rating) VALUES(1,2,%lld,%lld,5),(1,3,%lld,%lld,3);",
      AT(53), AT(52.5), AT(53), AT(55));
    /* Case 5: voided -- counts nowhere. */
    kase(5, 72, "110101001002001", "voided", NULL);
    owner(5, 1, 73, 74, "voided");
    phase(5, "accept", 1, 0, 73, 75, 74, "voided", 0);
    /* Case 6: created in October -- outside the period. */
    kase(6, -24 * 20, "110101001001001", "closed", "unsatisfied");
    owner(6, 1, -24 * 20 + 1, -24 * 20 + 5, "closed");
    phase(6, "accept", 1, 0, -24 * 20 + 1, -24 * 20 + 2, -24 * 20 + 4, "done", 0);
    return exec_sql(w, sqlbuf);
}

static int open_db(void) {
    snprintf(tdir, sizeof tdir, "/tmp/jc-ev-XXXXXX");
    if (!mkdtemp(tdir)) return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/t.db", tdir);
    int v;
    if (auth_init() || store_open(path, &st) || store_migrate(st, &v)) return -1;
    if (jc_parse_time("2026-11-02T09:00", &T)) return -1; /* a Monday */
    AS_OF = T + 100 * H;
    if (store_exec(st, fixture_run, NULL) || store_conn_open(st, &rd)) return -1;
    return 0;
}

static void close_db(void) {
    store_conn_close(rd);
    store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tdir);
    if (system(cmd)) {}
}

static const eval_row *row(const eval_table *t, const char *key) {
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->rows[i].key, key)) return &t->rows[i];
    return NULL;
}

static double wh(double a_h, double b_h) {
    static calendar *cal;
    if (!cal && calendar_new(&cal)) return -1;
    int64_t ms;
    if (calendar_working_ms_between(cal, T + (int64_t)(a_h * H), T + (int64_t)(b_h * H), &ms)) return -1;
    return (double)ms / H;
}

#define RATE(r, i, n, d)                                                      \
    do {                                                                      \
        ASSERT_NEAR((r)->num[i], (n), 1e-9);                                  \
        ASSERT_NEAR((r)->den[i], (d), 1e-9);                                  \
    } while (0)

TEST(indicators_on_fixtures) {
    ASSERT_OK(open_db());
    int64_t t0, t1;
    ASSERT_OK(eval_period_parse("2026-11", &t0, &t1));
    eval_table *t;
    ASSERT_OK(eval_compute(rd, t0, t1, AS_OF, &t));
    ASSERT_EQ(t->cases, 5);
    const eval_row *d1 = row(t, "dept:1"), *d2 = row(t, "dept:2"), *d3 = row(t, "dept:3");
    const eval_row *w7 = row(t, "worker:7"), *c1 = row(t, "community:110101001001");
    const eval_row *c2 = row(t, "community:110101001002"), *s1 = row(t, "street:110101001");
    ASSERT(d1 && d2 && d3 && w7 && c1 && c2 && s1);
    ASSERT_STR_EQ(d1->name, "区城管委");
    ASSERT_STR_EQ(c1->name, "多福巷社区");
    /* Dept 1: accepts c1, c4 on time, c2 late; c5 voided counts nowhere. */
    ASSERT_EQ(d1->n, 3);
    RATE(d1, IND_RESPONSE, 2, 3);
    RATE(d1, IND_ONTIME_ACCEPT, 2, 3);
    /* c2's handling ran 5 h past its deadline inside a 6 h approved deferral. */
    RATE(d1, IND_ONTIME_CLOSE, 2, 2);
    RATE(d1, IND_OVERDUE, 1, 0);
    RATE(d1, IND_RESOLUTION, 3, 3);
    RATE(d1, IND_SATISFACTION, 1 + 0.8, 2);
    RATE(d1, IND_RETURN, 0, 3);
    RATE(d1, IND_REWORK, 0, 2);
    double avg = (wh(1, 20) + wh(4, 40) + wh(52, 60)) / 3;
    ASSERT_NEAR(eval_value(d1, IND_AVG_CLOSE_H), avg, 1e-9);
    ASSERT_NEAR(wh(52, 60), 4, 1e-9); /* Wed 13:00 -> 21:00 is 13:30-17:30 of working time */
    /* Dept 2: its upheld return does not count against it. */
    RATE(d2, IND_RESPONSE, 0, 0);
    RATE(d2, IND_RESOLUTION, 0, 0);
    RATE(d2, IND_UPHELD_RETURNS, 1, 0);
    RATE(d2, IND_RETURN, 0, 1);
    RATE(d2, IND_WHISTLE_CHECKIN, 1, 1);
    RATE(d2, IND_WHISTLE_RATING, 5, 1);
    /* Dept 3: its rejected return counts (not responded), rework, open overdue. */
    RATE(d3, IND_RESPONSE, 1, 2);
    RATE(d3, IND_ONTIME_ACCEPT, 1, 1);
    RATE(d3, IND_ONTIME_CLOSE, 1, 2);
    RATE(d3, IND_OVERDUE, 1, 0);
    RATE(d3, IND_RETURN, 1, 1);
    RATE(d3, IND_REWORK, 1, 1);
    RATE(d3, IND_RESOLUTION, 0, 1);
    RATE(d3, IND_WHISTLE_CHECKIN, 0, 1);
    RATE(d3, IND_WHISTLE_RATING, 3, 1);
    /* The grid worker verified twice on time (one sent back for rework). */
    RATE(w7, IND_ONTIME_VERIFY, 2, 2);
    ASSERT_EQ(w7->n, 2);
    /* Community 1: c1, c2, c4; c2 had a late phase. */
    ASSERT_EQ(c1->n, 3);
    RATE(c1, IND_RESOLUTION, 3, 3);
    RATE(c1, IND_SATISFACTION, 1.8, 2);
    RATE(c1, IND_ONTIME_CLOSE, 2, 3);
    RATE(c1, IND_OVERDUE, 1, 0);
    ASSERT_NEAR(eval_value(c1, IND_AVG_CLOSE_H), (wh(0, 20) + wh(0, 40) + wh(48, 60)) / 3, 1e-9);
    /* Community 2: c3 only (c5 voided). */
    ASSERT_EQ(c2->n, 1);
    RATE(c2, IND_RESOLUTION, 0, 1);
    RATE(c2, IND_ONTIME_CLOSE, 0, 1);
    /* The street: 4 cases; c4 dispatched after 3 working hours (limit 2);
     * c2 was re-routed after an upheld return. */
    ASSERT_EQ(s1->n, 4);
    RATE(s1, IND_RESOLUTION, 3, 4);
    RATE(s1, IND_ONTIME_DISPATCH, 3, 4);
    RATE(s1, IND_ACCURATE_DISPATCH, 3, 4);
    RATE(s1, IND_OVERDUE, 2, 0);
    /* Default min_cases 10: every unit is a small sample, none ranked. */
    for (size_t i = 0; i < t->n; i++) {
        ASSERT(t->rows[i].small);
        ASSERT_EQ(t->rows[i].rank, 0);
        ASSERT_STR_EQ(t->rows[i].grade, "");
    }
    eval_table_free(t);
    close_db();
}

static jc_err set_min2(jc_conn *w, void *arg) {
    (void)arg;
    return exec_sql(w, "INSERT INTO eval_config VALUES('min_cases',2)");
}

TEST(small_sample_rank_grade_and_drill) {
    ASSERT_OK(open_db());
    ASSERT_OK(store_exec(st, set_min2, NULL));
    int64_t t0, t1;
    ASSERT_OK(eval_period_parse("2026-11", &t0, &t1));
    eval_table *t;
    ASSERT_OK(eval_compute(rd, t0, t1, AS_OF, &t));
    const eval_row *d1 = row(t, "dept:1"), *d2 = row(t, "dept:2"), *d3 = row(t, "dept:3");
    const eval_row *c2 = row(t, "community:110101001002");
    /* Score = 100 x sum(w x rate) / sum(w) over the rates a unit has. */
    double s1 = 100 * (0.20 * 2 / 3 + 0.25 * 1 + 0.25 * 0.9 + 0.15 * 1 + 0.05 * 1) / (0.20 + 0.25 + 0.25 + 0.15 + 0.05);
    ASSERT_NEAR(d1->score, s1, 1e-9);
    ASSERT_STR_EQ(d1->grade, "B");
    ASSERT_NEAR(d2->score, 100, 1e-9);
    double s3 = 100 * (0.20 * 0.5 + 0 + 0.15 * 0.5 + 0.05 * 0 + 0.05 * 0) / (0.20 + 0.25 + 0.15 + 0.05 + 0.05);
    ASSERT_NEAR(d3->score, s3, 1e-9);
    ASSERT_STR_EQ(d3->grade, "E");
    ASSERT_EQ(d2->rank, 1);
    ASSERT_EQ(d1->rank, 2);
    ASSERT_EQ(d3->rank, 3);
    ASSERT(c2->small);
    ASSERT_EQ(c2->rank, 0);
    eval_table_free(t);
    /* Drill-down: the cases behind dept 1's response rate. */
    json_t *a;
    ASSERT_OK(eval_drill(rd, t0, t1, AS_OF, "dept:1", "response", &a));
    ASSERT_EQ(json_array_size(a), 3);
    int64_t ids[3];
    double num = 0;
    for (size_t i = 0; i < 3; i++) {
        ids[i] = json_integer_value(json_object_get(json_array_get(a, i), "case_id"));
        num += json_real_value(json_object_get(json_array_get(a, i), "num"));
    }
    ASSERT_EQ(ids[0], 1);
    ASSERT_EQ(ids[1], 2);
    ASSERT_EQ(ids[2], 4);
    ASSERT_NEAR(num, 2, 1e-9);
    json_decref(a);
    ASSERT_OK(eval_drill(rd, t0, t1, AS_OF, "street:110101001", "ontime_dispatch", &a));
    ASSERT_EQ(json_array_size(a), 4);
    ASSERT_NEAR(json_real_value(json_object_get(json_array_get(a, 3), "num")), 0, 1e-9);
    json_decref(a);
    ASSERT_EQ(eval_drill(rd, t0, t1, AS_OF, "dept:1", "happiness", &a), JC_ERR_INVALID);
    ASSERT_EQ(eval_drill(rd, t0, t1, AS_OF, "planet:1", "response", &a), JC_ERR_INVALID);
    /* Periods. */
    ASSERT_EQ(eval_period_parse("2026-13", &t0, &t1), JC_ERR_INVALID);
    ASSERT_OK(eval_period_parse("2026-11-02..2026-11-02", &t0, &t1));
    ASSERT_EQ(t1 - t0, 24 * H);
    ASSERT_OK(eval_compute(rd, t0, t1, AS_OF, &t));
    ASSERT_EQ(t->cases, 2);
    eval_table_free(t);
    close_db();
}

typedef struct {
    int64_t as_of;
    eval_inc *inc;
} inc_arg;

static jc_err inc_open_run(jc_conn *w, void *arg) { return eval_inc_open(w, &((inc_arg *)arg)->inc); }
static jc_err inc_close_run(jc_conn *w, void *arg) {
    (void)w;
    eval_inc_close(((inc_arg *)arg)->inc);
    return JC_OK;
}

static jc_err recompute_run(jc_conn *w, void *arg) {
    return eval_recompute_month(w, "2026-11", ((inc_arg *)arg)->as_of);
}

/* Case 3's second handling finishes on time and the case closes. */
static jc_err event_run(jc_conn *w, void *arg) {
    char sql[512];
    snprintf(sql, sizeof sql,
             "UPDATE case_phase SET end_at=%lld, end_reason='done' WHERE case_id=3 AND end_at IS NULL;"
             "UPDATE case_owner SET end_at=%lld, end_reason='closed' WHERE case_id=3;"
             "UPDATE cases SET state='closed', rating='satisfied' WHERE id=3;",
             AT(45), AT(46));
    jc_err e = exec_sql(w, sql);
    if (e) return e;
    return eval_on_event(w, 3, ((inc_arg *)arg)->as_of);
}

static int tables_equal(const eval_table *a, const eval_table *b) {
    if (a->n != b->n) return 0;
    for (size_t i = 0; i < a->n; i++) {
        const eval_row *x = &a->rows[i], *y = row(b, x->key);
        if (!y || x->n != y->n) return 0;
        for (int k = 0; k < IND__COUNT; k++)
            if (fabs(x->num[k] - y->num[k]) > 1e-9 || fabs(x->den[k] - y->den[k]) > 1e-9) return 0;
    }
    return 1;
}

TEST(incremental_counters_match_recomputation) {
    ASSERT_OK(open_db());
    inc_arg arg = {AS_OF, NULL};
    ASSERT_OK(store_exec(st, recompute_run, &arg));
    int64_t t0, t1;
    ASSERT_OK(eval_period_parse("2026-11", &t0, &t1));
    eval_table *live, *ctr;
    ASSERT_OK(eval_compute(rd, t0, t1, AS_OF, &live));
    ASSERT_OK(eval_from_counters(rd, "2026-11", &ctr));
    ASSERT(tables_equal(live, ctr));
    const eval_row *d3 = row(ctr, "dept:3");
    RATE(d3, IND_RESOLUTION, 0, 1);
    eval_table_free(live);
    eval_table_free(ctr);
    /* An event: counters follow without a recomputation. */
    ASSERT_OK(store_exec(st, event_run, &arg));
    ASSERT_OK(eval_compute(rd, t0, t1, AS_OF, &live));
    ASSERT_OK(eval_from_counters(rd, "2026-11", &ctr));
    ASSERT(tables_equal(live, ctr));
    d3 = row(ctr, "dept:3");
    RATE(d3, IND_RESOLUTION, 1, 1);
    RATE(d3, IND_ONTIME_CLOSE, 2, 2);
    RATE(d3, IND_OVERDUE, 0, 0);
    RATE(row(ctr, "street:110101001"), IND_RESOLUTION, 4, 4);
    eval_table_free(live);
    eval_table_free(ctr);
    close_db();
}

/* Several cases change in one tick (one closes, one is re-rated, one is
 * deleted outside the program, an id is unknown, one repeats): the batch
 * path must leave the counters equal to a full computation. */
static jc_err batch_run(jc_conn *w, void *arg) {
    char sql[512];
    snprintf(sql, sizeof sql,
             "UPDATE case_phase SET end_at=%lld, end_reason='done' WHERE case_id=3 AND end_at IS NULL;"
             "UPDATE case_owner SET end_at=%lld, end_reason='closed' WHERE case_id=3;"
             "UPDATE cases SET state='closed', rating='satisfied' WHERE id=3;"
             "UPDATE cases SET rating='unsatisfied' WHERE id=1;"
             "DELETE FROM case_phase WHERE case_id=2; DELETE FROM case_owner WHERE case_id=2;"
             "DELETE FROM cases WHERE id=2;",
             AT(45), AT(46));
    jc_err e = exec_sql(w, sql);
    if (e) return e;
    int64_t ids[] = {3, 99, 1, 2, 3};
    return eval_inc_events(((inc_arg *)arg)->inc, ids, 5, ((inc_arg *)arg)->as_of);
}

/* November as computed now and as the counters hold it: 1 when they agree;
 * *cases is the number of cases computed. */
static int counters_agree(size_t *cases) {
    int64_t t0, t1;
    eval_table *live, *ctr;
    if (eval_period_parse("2026-11", &t0, &t1) || eval_compute(rd, t0, t1, AS_OF, &live)) return 0;
    if (eval_from_counters(rd, "2026-11", &ctr)) {
        eval_table_free(live);
        return 0;
    }
    int eq = tables_equal(live, ctr);
    if (cases) *cases = live->cases;
    eval_table_free(live);
    eval_table_free(ctr);
    return eq;
}

TEST(batched_events_match_recomputation) {
    ASSERT_OK(open_db());
    inc_arg arg = {AS_OF, NULL};
    ASSERT_OK(store_exec(st, recompute_run, &arg));
    ASSERT_OK(store_exec(st, inc_open_run, &arg));
    size_t before = 0, after = 0;
    ASSERT(counters_agree(&before));
    ASSERT_OK(store_exec(st, batch_run, &arg));
    ASSERT(counters_agree(&after));
    ASSERT_EQ(after, before - 1);
    ASSERT_OK(store_exec(st, inc_close_run, &arg));
    close_db();
}

/* The facts of a case as the first release stored them: an array of these
 * 64-byte records.  to_first_form(blob) re-encodes a stored blob of the
 * compact forms (FACTS_V2 byte 0xFE or FACTS_V3 byte 0xFD, then per fact
 * kind, indicator, value codes, key length and key, or in 0xFD 0x80 | k for
 * the k-th key spelled out, values not in {0, 1, -1}) into it, and
 * to_second_form(blob) into the 0xFE form (every key spelled out). */
typedef struct {
    uint8_t kind;
    int8_t ind;
    char key[46];
    double num, den;
} first_form_fact;

static int first_value(unsigned code, const unsigned char *p, size_t *at, double *v) {
    if (code < 3) {
        *v = code == 0 ? 0 : code == 1 ? 1 : -1;
        return 0;
    }
    memcpy(v, p + *at, 8);
    *at += 8;
    return 0;
}

/* The facts of a 0xFE or 0xFD blob into out[256]: their count, -1 if it is neither. */
static int compact_decode(const unsigned char *p, size_t len, first_form_fact *out) {
    int n = 0, keys[128], nkeys = 0;
    if (!p || !len || (p[0] != 0xFE && p[0] != 0xFD)) return -1;
    for (size_t at = 1; at < len && n < 256; n++) {
        first_form_fact *f = &out[n];
        memset(f, 0, sizeof *f);
        f->kind = p[at];
        f->ind = (int8_t)p[at + 1];
        unsigned codes = p[at + 2];
        size_t kl = p[at + 3];
        at += 4;
        if (p[0] == 0xFD && kl & 0x80) {
            memcpy(f->key, out[keys[kl & 0x7f]].key, sizeof f->key);
        } else {
            memcpy(f->key, p + at, kl);
            at += kl;
            if (p[0] == 0xFD && nkeys < 128) keys[nkeys++] = n;
        }
        first_value(codes & 3, p, &at, &f->num);
        first_value(codes >> 2 & 3, p, &at, &f->den);
    }
    return n;
}

static void to_first_form(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    static first_form_fact out[256];
    int n = compact_decode(sqlite3_value_blob(argv[0]), (size_t)sqlite3_value_bytes(argv[0]), out);
    if (n < 0) return sqlite3_result_error(ctx, "not a compact form", -1);
    sqlite3_result_blob(ctx, out, n * (int)sizeof *out, SQLITE_TRANSIENT);
}

static void to_second_form(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    static first_form_fact f[256];
    static unsigned char out[256 * (4 + 46 + 16) + 1];
    int n = compact_decode(sqlite3_value_blob(argv[0]), (size_t)sqlite3_value_bytes(argv[0]), f);
    if (n < 0) return sqlite3_result_error(ctx, "not a compact form", -1);
    size_t at = 0;
    out[at++] = 0xFE;
    for (int i = 0; i < n; i++) {
        unsigned cn = f[i].num == 0 ? 0 : f[i].num == 1 ? 1 : f[i].num == -1 ? 2 : 3;
        unsigned cd = f[i].den == 0 ? 0 : f[i].den == 1 ? 1 : f[i].den == -1 ? 2 : 3;
        size_t kl = strlen(f[i].key);
        out[at++] = f[i].kind;
        out[at++] = (unsigned char)f[i].ind;
        out[at++] = (unsigned char)(cn | cd << 2);
        out[at++] = (unsigned char)kl;
        memcpy(out + at, f[i].key, kl);
        at += kl;
        if (cn == 3) memcpy(out + at, &f[i].num, 8), at += 8;
        if (cd == 3) memcpy(out + at, &f[i].den, 8), at += 8;
    }
    sqlite3_result_blob(ctx, out, (int)at, SQLITE_TRANSIENT);
}

static jc_err second_form_run(jc_conn *w, void *arg) {
    (void)arg;
    sqlite3 *db = store_sqlite_db(w);
    if (sqlite3_create_function(db, "to_second_form", 1, SQLITE_UTF8, NULL, to_second_form, NULL, NULL))
        return JC_ERR_DB;
    return exec_sql(w, "UPDATE eval_facts SET facts = to_second_form(facts)");
}

static jc_err first_form_run(jc_conn *w, void *arg) {
    (void)arg;
    sqlite3 *db = store_sqlite_db(w);
    if (sqlite3_create_function(db, "to_first_form", 1, SQLITE_UTF8, NULL, to_first_form, NULL, NULL))
        return JC_ERR_DB;
    return exec_sql(w, "UPDATE eval_facts SET facts = to_first_form(facts)");
}

/* Facts stored in the first form (before the compact one) are still read:
 * events on such cases take the old facts out and the counters agree with
 * a full computation (they would not if the old facts read as none). */
TEST(facts_in_the_first_form_still_apply) {
    ASSERT_OK(open_db());
    inc_arg arg = {AS_OF, NULL};
    ASSERT_OK(store_exec(st, recompute_run, &arg));
    ASSERT(counters_agree(NULL));
    ASSERT_OK(store_exec(st, first_form_run, NULL));
    sqlite3_stmt *s;
    ASSERT(sqlite3_prepare_v2(store_sqlite_db(rd), "SELECT count(*), sum(length(facts) % 64 = 0) FROM eval_facts",
                              -1, &s, NULL) == SQLITE_OK);
    ASSERT(sqlite3_step(s) == SQLITE_ROW);
    ASSERT(sqlite3_column_int(s, 0) > 3);
    ASSERT_EQ(sqlite3_column_int(s, 0), sqlite3_column_int(s, 1));
    sqlite3_finalize(s);
    ASSERT_OK(store_exec(st, inc_open_run, &arg));
    ASSERT_OK(store_exec(st, batch_run, &arg));
    ASSERT(counters_agree(NULL));
    ASSERT_OK(store_exec(st, inc_close_run, &arg));
    close_db();
}

/* Facts stored in the 0xFE form (every key spelled out, before keys were
 * named once a blob) are still read, and the current form is smaller. */
TEST(facts_in_the_second_form_still_apply) {
    ASSERT_OK(open_db());
    inc_arg arg = {AS_OF, NULL};
    ASSERT_OK(store_exec(st, recompute_run, &arg));
    ASSERT(counters_agree(NULL));
    sqlite3_stmt *s;
    const char *q = "SELECT count(*), sum(substr(facts, 1, 1) = X'FD'), sum(substr(facts, 1, 1) = X'FE'),"
                    " sum(length(facts)) FROM eval_facts";
    ASSERT(sqlite3_prepare_v2(store_sqlite_db(rd), q, -1, &s, NULL) == SQLITE_OK);
    ASSERT(sqlite3_step(s) == SQLITE_ROW);
    int rows = sqlite3_column_int(s, 0);
    int64_t v3_bytes = sqlite3_column_int64(s, 3);
    ASSERT(rows > 3);
    ASSERT_EQ(sqlite3_column_int(s, 1), rows);
    sqlite3_finalize(s);
    ASSERT_OK(store_exec(st, second_form_run, NULL));
    ASSERT(sqlite3_prepare_v2(store_sqlite_db(rd), q, -1, &s, NULL) == SQLITE_OK);
    ASSERT(sqlite3_step(s) == SQLITE_ROW);
    ASSERT_EQ(sqlite3_column_int(s, 2), rows);
    ASSERT(sqlite3_column_int64(s, 3) > v3_bytes);
    sqlite3_finalize(s);
    ASSERT_OK(store_exec(st, inc_open_run, &arg));
    ASSERT_OK(store_exec(st, batch_run, &arg));
    ASSERT(counters_agree(NULL));
    ASSERT_OK(store_exec(st, inc_close_run, &arg));
    close_db();
}

/* Changing the settings recomputes the month's counters with them. */
static jc_err settings_run(jc_conn *w, void *arg) {
    jc_err e = exec_sql(w, "INSERT OR REPLACE INTO eval_config(key, value) VALUES('w_basic', 0.2)");
    if (e) return e;
    return eval_hook_settings_changed(w, ((inc_arg *)arg)->as_of);
}

TEST(settings_change_recomputes_counters) {
    ASSERT_OK(open_db());
    inc_arg arg = {AS_OF, NULL};
    ASSERT_OK(store_exec(st, recompute_run, &arg));
    eval_table *before, *ctr;
    ASSERT_OK(eval_from_counters(rd, "2026-11", &before));
    ASSERT_OK(store_exec(st, settings_run, &arg));
    ASSERT(counters_agree(NULL));
    ASSERT_OK(eval_from_counters(rd, "2026-11", &ctr));
    ASSERT(!tables_equal(before, ctr)); /* a 'basic' rating now counts 0.2, not 0.8 */
    eval_table_free(before);
    eval_table_free(ctr);
    close_db();
}

static char *run_capture(const char *cmd) {
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = 0;
    pclose(p);
    return buf;
}

TEST(xlsx_export_reads_back) {
    ASSERT_OK(open_db());
    ASSERT_OK(store_exec(st, set_min2, NULL));
    int64_t t0, t1;
    ASSERT_OK(eval_period_parse("2026-11", &t0, &t1));
    eval_table *t;
    ASSERT_OK(eval_compute(rd, t0, t1, AS_OF, &t));
    char path[128], cmd[256];
    snprintf(path, sizeof path, "%s/eval.xlsx", tdir);
    ASSERT_OK(eval_export_xlsx(t, "2026-11", path));
    snprintf(cmd, sizeof cmd, "unzip -p %s xl/sharedStrings.xml", path);
    char *ss = run_capture(cmd);
    ASSERT(ss && strstr(ss, "2026-11 评价结果"));
    ASSERT(strstr(ss, "响应率"));
    ASSERT(strstr(ss, "满意率"));
    ASSERT(strstr(ss, "区城管委"));
    ASSERT(strstr(ss, "样本不足"));
    snprintf(cmd, sizeof cmd, "unzip -p %s xl/workbook.xml", path);
    char *wbx = run_capture(cmd);
    ASSERT(wbx && strstr(wbx, "职能部门") && strstr(wbx, "街道") && strstr(wbx, "社区") && strstr(wbx, "网格员"));
    /* Sheet 1 (departments): dept 2 ranks first; dept 1's response rate
     * 2/3 is in row 4 (title, header, dept 2, dept 1) column D as a number
     * with the percent style. */
    snprintf(cmd, sizeof cmd, "unzip -p %s xl/worksheets/sheet1.xml", path);
    char *sh = run_capture(cmd);
    ASSERT(sh);
    char *d4 = strstr(sh, "<c r=\"D4\"");
    ASSERT(d4);
    ASSERT(strstr(d4, "<v>0.6666666666666") && strstr(d4, "<v>0.66666") < strstr(d4, "</c>"));
    ASSERT(strstr(d4, " s=\""));
    snprintf(cmd, sizeof cmd, "unzip -p %s xl/styles.xml", path);
    char *sty = run_capture(cmd);
    ASSERT(sty && strstr(sty, "0.0%"));
    /* CSV export carries the same figure. */
    jc_buf b;
    jc_buf_init(&b, 0);
    ASSERT_OK(eval_export_csv(t, &b));
    ASSERT(strstr(b.data, "职能部门,dept:1,\"区城管委\",2,3,66.7%,66.7%,100.0%,90.0%"));
    jc_buf_free(&b);
    eval_table_free(t);
    close_db();
}

T_MAIN(T(indicators_on_fixtures), T(small_sample_rank_grade_and_drill), T(incremental_counters_match_recomputation),
       T(batched_events_match_recomputation), T(facts_in_the_first_form_still_apply), T(facts_in_the_second_form_still_apply),
       T(settings_change_recomputes_counters),
       T(xlsx_export_reads_back))
