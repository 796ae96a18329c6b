/*
 * test_store_pg.c -- the PostgreSQL backend (store_pg.c) against a real
 * server: the core tables' rows read back as written, ids from sequences,
 * the writer's group commit (jobs held behind a first one form one batch; a
 * failing job undoes only its own writes), and the audit chain staying one
 * chain while two stores -- two instances -- append at once.
 *
 * The server: JICENG_TEST_PG (a URL of a cluster tests/run.sh started), else
 * a cluster of its own started with tests/pg.sh (run from the repository's
 * top directory).  Each test works in a database of its own.
 */
#include "audit.h"
#include "chain.h"
#include "store.h"
#include "module.h"
#include "store_pg.h"
#include "t.h"
#include "t_pg.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Opens a store on a new database and migrates it. */
static jc_store *open_new(char *url, size_t n) {
    jc_store *st = NULL;
    int version = 0;
    if (new_db(url, n) || store_pg_open(url, &st)) return NULL;
    if (store_pg_migrate(st, NULL, 0, &version) || version < 1) {
        store_pg_close(st);
        return NULL;
    }
    return st;
}

/* ---- a job with arguments ---------------------------------------------------- */
typedef struct {
    jc_err (*fn)(jc_conn *w, void *arg);
    void *arg;
} call;

static jc_err run_call(jc_conn *w, void *arg) {
    call *c = arg;
    return c->fn(w, c->arg);
}

static jc_err exec(jc_store *st, jc_err (*fn)(jc_conn *, void *), void *arg) {
    call c = {fn, arg};
    return store_pg_exec(st, run_call, &c);
}

static jc_err insert_user(jc_conn *w, void *arg) { return store_pg_user_insert(w, arg); }

TEST(migrates_once) {
    char url[512];
    jc_store *st = open_new(url, sizeof url);
    ASSERT(st);
    int v = 0;
    ASSERT_OK(store_pg_migrate(st, NULL, 0, &v)); /* again: nothing to do */
    ASSERT_EQ(v, 2);
    jc_conn *c = NULL;
    ASSERT_OK(store_pg_conn_open(st, &c));
    PGresult *r = PQexec(store_pg_raw(c), "SELECT value FROM meta WHERE key='schema.core'");
    ASSERT_EQ(PQntuples(r), 1);
    ASSERT_STR_EQ(PQgetvalue(r, 0, 0), "2");
    PQclear(r);
    store_pg_conn_close(c);
    store_pg_close(st);
}

TEST(users_and_sessions) {
    char url[512];
    jc_store *st = open_new(url, sizeof url);
    ASSERT(st);
    jc_user u = {.role = ROLE_DISPATCHER, .created_ms = 1700000000123LL};
    snprintf(u.name, sizeof u.name, "调度员");
    snprintf(u.display, sizeof u.display, "王 五");
    snprintf(u.pw_hash, sizeof u.pw_hash, "$argon2id$x");
    snprintf(u.area, sizeof u.area, "110101001");
    ASSERT_OK(exec(st, insert_user, &u));
    ASSERT(u.id > 0);
    jc_user dup = u;
    ASSERT_EQ(exec(st, insert_user, &dup), JC_ERR_CONFLICT); /* the name is taken */
    jc_conn *c = NULL;
    ASSERT_OK(store_pg_conn_open(st, &c));
    jc_user got;
    ASSERT_OK(store_pg_user_by_name(c, "调度员", &got));
    ASSERT_EQ(got.id, u.id);
    ASSERT_EQ(got.role, ROLE_DISPATCHER);
    ASSERT_EQ(got.created_ms, 1700000000123LL);
    ASSERT_STR_EQ(got.display, "王 五");
    ASSERT_STR_EQ(got.area, "110101001");
    ASSERT_STR_EQ(got.phone, "");
    ASSERT_EQ(got.dept_id, 0);
    ASSERT_EQ(store_pg_user_get(c, u.id + 100, &got), JC_ERR_NOTFOUND);
    jc_conn *w = NULL; /* a second connection writing outside the writer, as the CLI would */
    ASSERT_OK(store_pg_conn_open(st, &w));
    ASSERT_OK(store_pg_session_insert(w, "tok1", u.id, 1000, 5000));
    ASSERT_OK(store_pg_session_user(c, "tok1", 4999, &got));
    ASSERT_EQ(got.id, u.id);
    ASSERT_EQ(store_pg_session_user(c, "tok1", 5000, &got), JC_ERR_AUTH); /* expired */
    ASSERT_EQ(store_pg_session_user(c, "nope", 1, &got), JC_ERR_AUTH);
    ASSERT_OK(store_pg_user_set_password(w, u.id, "new"));
    ASSERT_EQ(store_pg_user_set_password(w, u.id + 100, "new"), JC_ERR_NOTFOUND);
    ASSERT_OK(store_pg_sessions_delete_user(w, u.id));
    ASSERT_EQ(store_pg_session_user(c, "tok1", 4000, &got), JC_ERR_AUTH);
    store_pg_conn_close(w);
    store_pg_conn_close(c);
    store_pg_close(st);
}

static int count_dept(const jc_dept *d, void *arg) {
    (void)d;
    (*(int *)arg)++;
    return 0;
}

TEST(catalogue) {
    char url[512];
    jc_store *st = open_new(url, sizeof url);
    ASSERT(st);
    jc_conn *w = NULL;
    ASSERT_OK(store_pg_conn_open(st, &w));
    jc_area a = {.geojson = "{\"type\":\"Point\"}"};
    snprintf(a.code, sizeof a.code, "110101001001");
    snprintf(a.parent, sizeof a.parent, "110101001");
    snprintf(a.level, sizeof a.level, "community");
    snprintf(a.name, sizeof a.name, "多福巷社区");
    ASSERT_OK(store_pg_area_put(w, &a));
    ASSERT_OK(store_pg_area_exists(w, "110101001001"));
    ASSERT_EQ(store_pg_area_exists(w, "110101001002"), JC_ERR_NOTFOUND);
    jc_area ga;
    ASSERT_OK(store_pg_area_get(w, "110101001001", &ga));
    ASSERT_STR_EQ(ga.name, "多福巷社区");
    ASSERT_STR_EQ(ga.geojson, "{\"type\":\"Point\"}");
    area_clear(&ga);
    jc_dept d = {0};
    snprintf(d.code, sizeof d.code, "CG");
    snprintf(d.name, sizeof d.name, "城管");
    ASSERT_OK(store_pg_dept_put(w, &d));
    int64_t id = d.id;
    snprintf(d.name, sizeof d.name, "城市管理委员会");
    d.id = 0;
    ASSERT_OK(store_pg_dept_put(w, &d)); /* the same code: updated, same id */
    ASSERT_EQ(d.id, id);
    jc_dept gd;
    ASSERT_OK(store_pg_dept_by_code(w, "CG", &gd));
    ASSERT_STR_EQ(gd.name, "城市管理委员会");
    int n = 0;
    ASSERT_OK(store_pg_dept_each(w, count_dept, &n));
    ASSERT_EQ(n, 1);
    jc_category k = {.accept_h = 0.5, .handle_h = 48, .verify_h = 8, .urgent = 1};
    snprintf(k.code, sizeof k.code, "0101");
    snprintf(k.name, sizeof k.name, "井盖");
    snprintf(k.kind, sizeof k.kind, "component");
    ASSERT_OK(store_pg_category_put(w, &k));
    int urgent = 0;
    ASSERT_OK(store_pg_category_urgent(w, "0101", &urgent));
    ASSERT_EQ(urgent, 1);
    ASSERT_EQ(store_pg_category_urgent(w, "9999", &urgent), JC_ERR_NOTFOUND);
    jc_category gk;
    ASSERT_OK(store_pg_category_get(w, "0101", &gk));
    ASSERT_NEAR(gk.accept_h, 0.5, 1e-9);
    ASSERT(gk.fields == NULL);
    category_clear(&gk);
    snprintf(k.kind, sizeof k.kind, "other");
    ASSERT_EQ(store_pg_category_put(w, &k), JC_ERR_CONFLICT); /* the CHECK on kind */
    store_pg_conn_close(w);
    store_pg_close(st);
}

static jc_case sample_case(const char *title) {
    jc_case k = {.state = ST_REPORTED, .held_from = ST__COUNT, .created_ms = 1700000000000LL,
                 .updated_ms = 1700000000000LL};
    k.title = (char *)title;
    k.body = "路灯不亮";
    snprintf(k.category, sizeof k.category, "0101");
    snprintf(k.source, sizeof k.source, "web");
    snprintf(k.area, sizeof k.area, "110101001001001");
    return k;
}

static int collect_ids(const jc_case *k, void *arg) {
    int64_t *ids = arg;
    for (int i = 0; i < 16; i++)
        if (!ids[i]) {
            ids[i] = k->id;
            break;
        }
    return 0;
}

static int count_state(const char *state, int64_t n, void *arg) {
    if (!strcmp(state, "reported")) *(int64_t *)arg = n;
    return 0;
}

TEST(case_rows) {
    char url[512];
    jc_store *st = open_new(url, sizeof url);
    ASSERT(st);
    jc_conn *w = NULL;
    ASSERT_OK(store_pg_conn_open(st, &w));
    jc_case a = sample_case("一"), b = sample_case("二");
    b.has_point = 1, b.lon = 116.397128, b.lat = 39.916527;
    b.reporter_id = 7, b.flags = CASE_F_OWNERLESS | CASE_F_OVERDUE;
    b.extra = "{\"x\":1}";
    ASSERT_OK(store_pg_case_insert(w, &a));
    ASSERT_OK(store_pg_case_insert(w, &b));
    ASSERT_EQ(b.id, a.id + 1);
    jc_case r = sample_case("三");
    ASSERT_OK(store_pg_case_reserve(w, &r));
    ASSERT(r.unsaved);
    ASSERT_EQ(r.id, b.id + 1);
    jc_case got;
    ASSERT_EQ(store_pg_case_get(w, r.id, &got), JC_ERR_NOTFOUND); /* not stored yet */
    r.state = ST_DISPATCHED;
    ASSERT_OK(store_pg_case_update(w, &r)); /* the first update inserts it */
    ASSERT(!r.unsaved);
    jc_case c = sample_case("四");
    ASSERT_OK(store_pg_case_insert(w, &c));
    ASSERT_EQ(c.id, r.id + 1); /* the sequence went past the reserved id */
    ASSERT_OK(store_pg_case_get(w, b.id, &got));
    ASSERT_STR_EQ(got.title, "二");
    ASSERT(got.has_point);
    ASSERT_NEAR(got.lon, 116.397128, 1e-9);
    ASSERT_EQ(got.reporter_id, 7);
    ASSERT_EQ(got.flags, CASE_F_OWNERLESS | CASE_F_OVERDUE);
    ASSERT_EQ(got.held_from, ST__COUNT);
    ASSERT_STR_EQ(got.extra, "{\"x\":1}");
    ASSERT(got.address == NULL);
    ASSERT_EQ(got.version, 1);
    got.state = ST_SUSPENDED, got.held_from = ST_HANDLING, got.reporter_id = 99;
    ASSERT_OK(store_pg_case_update(w, &got));
    case_clear(&got);
    ASSERT_OK(store_pg_case_get(w, b.id, &got));
    ASSERT_EQ(got.state, ST_SUSPENDED);
    ASSERT_EQ(got.held_from, ST_HANDLING);
    ASSERT_EQ(got.reporter_id, 7); /* never changed by an update */
    ASSERT_EQ(got.version, 2);
    case_clear(&got);
    jc_case gone = sample_case("无");
    gone.id = 12345;
    ASSERT_EQ(store_pg_case_update(w, &gone), JC_ERR_NOTFOUND);
    int64_t ids[16] = {0};
    jc_case_filter f = {.limit = 10, .flags = CASE_F_OVERDUE};
    ASSERT_OK(store_pg_case_each(w, &f, collect_ids, ids));
    ASSERT_EQ(ids[0], b.id);
    ASSERT_EQ(ids[1], 0);
    memset(ids, 0, sizeof ids);
    jc_case_filter all = {.limit = 10, .open_only = 1, .area_prefix = "110101001"};
    ASSERT_OK(store_pg_case_each(w, &all, collect_ids, ids));
    ASSERT_EQ(ids[0], c.id); /* newest first */
    ASSERT_EQ(ids[3], a.id);
    memset(ids, 0, sizeof ids);
    jc_case_filter before = {.limit = 1, .before_id = c.id, .state = "dispatched"};
    ASSERT_OK(store_pg_case_each(w, &before, collect_ids, ids));
    ASSERT_EQ(ids[0], r.id);
    ASSERT_EQ(ids[1], 0);
    memset(ids, 0, sizeof ids);
    ASSERT_OK(store_pg_case_scan(w, 0, collect_ids, ids));
    ASSERT_EQ(ids[0], a.id);
    ASSERT_EQ(ids[3], c.id);
    int64_t reported = 0;
    ASSERT_OK(store_pg_case_count_by_state(w, count_state, &reported));
    ASSERT_EQ(reported, 2);
    store_pg_conn_close(w);
    store_pg_close(st);
}

/* ---- the writer ------------------------------------------------------------- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int holding, released;

typedef struct {
    jc_write_job job;
    int n;    /* the row it inserts */
    int fail; /* 1: fails after its write; 2: fails before writing */
    int done, order, runs;
    jc_err result;
} tjob;
static int done_count;

static jc_err hold_run(jc_conn *w, void *arg) {
    (void)arg;
    PGresult *r = PQexec(store_pg_raw(w), "CREATE TABLE IF NOT EXISTS t(n integer NOT NULL)");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    pthread_mutex_lock(&mu);
    holding = 1;
    pthread_cond_broadcast(&cv);
    while (!released) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return ok ? JC_OK : JC_ERR_DB;
}

static jc_err tjob_run(jc_conn *w, void *arg) {
    tjob *t = arg;
    t->runs++;
    if (t->fail == 2) return JC_ERR_INVALID;
    static const char sql[] = "INSERT INTO t(n) VALUES($1)";
    pg_params p = {0};
    pgp_i64(&p, t->n);
    jc_err e = pg_run_done(w, sql, &p, "test", "insert", NULL);
    if (e) return e;
    return t->fail == 1 ? JC_ERR_CONFLICT : JC_OK;
}

static void tjob_done(void *arg, jc_err e) {
    tjob *t = arg;
    pthread_mutex_lock(&mu);
    t->result = e;
    t->done = 1;
    t->order = ++done_count;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static int64_t count_rows(jc_conn *c, const char *sql) {
    PGresult *r = PQexec(store_pg_raw(c), sql);
    int64_t n = PQresultStatus(r) == PGRES_TUPLES_OK ? pg_i64(r, 0, 0) : -1;
    PQclear(r);
    return n;
}

/* Runs jobs[0..n) (tjob_run, their rerun flags as set) as one batch behind a
 * job holding the writer until they are all queued; 0 when all finished. */
static int run_held(jc_store *st, tjob *jobs, int n) {
    tjob hold = {.job = {.run = hold_run, .done = tjob_done}};
    hold.job.arg = &hold;
    holding = released = done_count = 0;
    if (store_pg_submit(st, &hold.job)) return -1;
    pthread_mutex_lock(&mu);
    while (!holding) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        jobs[i].job.run = tjob_run;
        jobs[i].job.done = tjob_done;
        jobs[i].job.arg = &jobs[i];
        if (store_pg_submit(st, &jobs[i].job)) bad = -1;
    }
    pthread_mutex_lock(&mu);
    released = 1;
    pthread_cond_broadcast(&cv);
    while (!bad && !jobs[n - 1].done) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return bad;
}

TEST(group_commit) {
    char url[512];
    jc_store *st = open_new(url, sizeof url);
    ASSERT(st);
    tjob jobs[5];
    for (int i = 0; i < 5; i++) jobs[i] = (tjob){.n = i + 1, .fail = i == 2};
    ASSERT_OK(run_held(st, jobs, 5));
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ(jobs[i].result, i == 2 ? JC_ERR_CONFLICT : JC_OK);
        ASSERT_EQ(jobs[i].order, i + 2); /* in submission order, after the holder */
    }
    jc_store_stats s;
    store_pg_stats(st, &s);
    ASSERT_EQ(s.batches, 2); /* the holder, then the five together */
    ASSERT_EQ(s.max_batch, 5);
    ASSERT_EQ(s.failed_jobs, 1);
    jc_conn *c = NULL;
    ASSERT_OK(store_pg_conn_open(st, &c));
    ASSERT_EQ(count_rows(c, "SELECT count(*) FROM t"), 4);
    ASSERT_EQ(count_rows(c, "SELECT count(*) FROM t WHERE n = 3"), 0); /* its write undone */
    store_pg_conn_close(c);
    store_pg_close(st);
}

/* Jobs that may run again share a savepoint: one failing before it wrote
 * costs nothing; one failing after it wrote rolls the group back and the
 * group's jobs up to it run again, each alone. */
TEST(rerun_groups) {
    char url[512];
    jc_store *st = open_new(url, sizeof url);
    ASSERT(st);
    static const int fail[6] = {0, 2, 0, 1, 0, 0};
    static const int rerun[6] = {1, 1, 1, 1, 1, 0};
    tjob jobs[6];
    for (int i = 0; i < 6; i++) {
        jobs[i] = (tjob){.n = i + 1, .fail = fail[i]};
        jobs[i].job.rerun = rerun[i];
    }
    ASSERT_OK(run_held(st, jobs, 6));
    static const int runs[6] = {2, 2, 2, 2, 1, 1};
    for (int i = 0; i < 6; i++) {
        ASSERT_EQ(jobs[i].result, fail[i] == 1 ? JC_ERR_CONFLICT : fail[i] ? JC_ERR_INVALID : JC_OK);
        ASSERT_EQ(jobs[i].runs, runs[i]);
    }
    jc_store_stats s;
    store_pg_stats(st, &s);
    ASSERT_EQ(s.reruns, 1);
    ASSERT_EQ(s.failed_jobs, 2);
    jc_conn *c = NULL;
    ASSERT_OK(store_pg_conn_open(st, &c));
    ASSERT_EQ(count_rows(c, "SELECT count(*) FROM t"), 4);
    ASSERT_EQ(count_rows(c, "SELECT count(*) FROM t WHERE n IN (2, 4)"), 0);
    ASSERT_EQ(count_rows(c, "SELECT count(*) FROM t WHERE n = 1"), 1); /* run twice, stored once */
    store_pg_conn_close(c);
    store_pg_close(st);
}

/* ---- the audit chain with two instances ----------------------------------------- */

typedef struct {
    jc_store *st;
    int n, who;
    int failed;
} appender;

static jc_err append_one(jc_conn *w, void *arg) {
    appender *a = arg;
    jc_case k = sample_case("链");
    jc_err e = store_pg_case_reserve(w, &k);
    if (e) return e;
    jc_audit en = {.case_id = k.id, .at_ms = 1700000000000LL + a->n, .actor_id = a->who};
    snprintf(en.actor, sizeof en.actor, "instance%d", a->who);
    snprintf(en.role, sizeof en.role, "system");
    snprintf(en.action, sizeof en.action, "report");
    snprintf(en.payload_hash, sizeof en.payload_hash, "%s", chain_empty_payload_hash());
    en.reason = "two writers";
    return store_pg_audit_append(w, &en);
}

static void *appender_main(void *arg) {
    appender *a = arg;
    for (int i = 0; i < 150; i++) {
        a->n = i;
        if (exec(a->st, append_one, a)) a->failed++;
    }
    return NULL;
}

typedef struct {
    char prev[65];
    int64_t seq, n, broken;
    int64_t ids[400];
} chain_walk;

static int walk(const jc_audit *e, void *arg) {
    chain_walk *cw = arg;
    char h[65];
    chain_entry_hash(e, h);
    if (e->seq != cw->seq + 1 || strcmp(e->prev_hash, cw->prev) || strcmp(h, e->hash)) cw->broken++;
    if (cw->n < 400) cw->ids[cw->n] = e->case_id;
    cw->n++;
    cw->seq = e->seq;
    memcpy(cw->prev, e->hash, 65);
    return 0;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

TEST(audit_chain_two_instances) {
    char url[512];
    jc_store *one = open_new(url, sizeof url), *two = NULL;
    ASSERT(one);
    ASSERT_OK(store_pg_open(url, &two));
    appender a = {.st = one, .who = 1}, b = {.st = two, .who = 2};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, appender_main, &a);
    pthread_create(&tb, NULL, appender_main, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ASSERT_EQ(a.failed, 0);
    ASSERT_EQ(b.failed, 0);
    jc_conn *c = NULL;
    ASSERT_OK(store_pg_conn_open(one, &c));
    chain_walk cw = {0};
    chain_genesis(cw.prev);
    ASSERT_OK(store_pg_audit_each(c, -1, walk, &cw));
    ASSERT_EQ(cw.n, 300);
    ASSERT_EQ(cw.broken, 0);
    qsort(cw.ids, 300, sizeof cw.ids[0], cmp_i64);
    for (int i = 1; i < 300; i++) ASSERT(cw.ids[i] != cw.ids[i - 1]); /* no id handed out twice */
    /* a changed entry no longer verifies */
    PQclear(PQexec(store_pg_raw(c), "UPDATE audit SET reason = 'edited' WHERE seq = 150"));
    chain_walk cw2 = {0};
    chain_genesis(cw2.prev);
    ASSERT_OK(store_pg_audit_each(c, -1, walk, &cw2));
    ASSERT_EQ(cw2.broken, 1);
    store_pg_conn_close(c);
    store_pg_close(two);
    store_pg_close(one);
}

/* Appends one entry with the reason in arg, then fails when asked to. */
typedef struct {
    const char *reason;
    int fail;
} odd_entry;

static jc_err append_odd(jc_conn *w, void *arg) {
    odd_entry *o = arg;
    jc_audit en = {.at_ms = 1700000000000LL};
    snprintf(en.actor, sizeof en.actor, "admin");
    snprintf(en.role, sizeof en.role, "admin");
    snprintf(en.action, sizeof en.action, "user_update");
    snprintf(en.payload_hash, sizeof en.payload_hash, "%s", chain_empty_payload_hash());
    en.reason = (char *)o->reason;
    jc_err e = store_pg_audit_append(w, &en);
    return e ? e : o->fail ? JC_ERR_INVALID : JC_OK;
}

static int last_reason(const jc_audit *e, void *arg) {
    snprintf(arg, 128, "%s", e->reason ? e->reason : "(null)");
    return 0;
}

TEST(audit_entries_as_written) {
    char url[512];
    jc_store *st = open_new(url, sizeof url);
    ASSERT(st);
    /* every character COPY's text format escapes, and a tool's own append */
    odd_entry odd = {0}, gone = {"rolled back", 1};
    odd.reason = "tab\there\nline\\ \\N 'q' \"dq\" 中文\r";
    ASSERT_OK(store_pg_exec(st, append_odd, &odd));
    ASSERT_EQ(store_pg_exec(st, append_odd, &gone), JC_ERR_INVALID); /* its entry goes with it */
    jc_conn *c = NULL;
    ASSERT_OK(store_pg_conn_open(st, &c));
    odd_entry tool = {"from a tool"};
    ASSERT_OK(append_odd(c, &tool)); /* outside the writer: its own transaction */
    chain_walk cw = {0};
    chain_genesis(cw.prev);
    ASSERT_OK(store_pg_audit_each(c, -1, walk, &cw));
    ASSERT_EQ(cw.n, 2);
    ASSERT_EQ(cw.broken, 0);
    char reason[128] = "";
    ASSERT_OK(store_pg_audit_each(c, 0, last_reason, reason)); /* no case: none */
    ASSERT_STR_EQ(reason, "");
    PGresult *r = PQexec(store_pg_raw(c), "SELECT reason FROM audit ORDER BY seq");
    ASSERT_EQ(PQntuples(r), 2);
    ASSERT_STR_EQ(PQgetvalue(r, 0, 0), odd.reason);
    ASSERT_STR_EQ(PQgetvalue(r, 1, 0), "from a tool");
    PQclear(r);
    store_pg_conn_close(c);
    store_pg_close(st);
}

/* ---- a job that hides a failed statement ----------------------------------- */

static jc_err hide_failure(jc_conn *w, void *arg) {
    (void)arg;
    static const char sql[] = "INSERT INTO t(n) VALUES($1)";
    pg_params p = {0};
    pgp_i64(&p, 100);
    jc_err e = pg_run_done(w, sql, &p, "test", "insert", NULL);
    PQclear(PQexec(store_pg_raw(w), "SELECT * FROM no_such_table"));
    return e; /* JC_OK: the failure ignored */
}

static jc_err insert_200(jc_conn *w, void *arg) {
    (void)arg;
    static const char sql[] = "INSERT INTO t(n) VALUES(200)";
    return pg_run_done(w, sql, NULL, "test", "insert", NULL);
}

TEST(job_hiding_a_failure) {
    char url[512];
    jc_store *st = open_new(url, sizeof url);
    ASSERT(st);
    jc_conn *c = NULL;
    ASSERT_OK(store_pg_conn_open(st, &c));
    PQclear(PQexec(store_pg_raw(c), "CREATE TABLE t(n integer NOT NULL)"));
    /* alone in its batch, and then beside another job: it fails, the other commits */
    ASSERT_EQ(store_pg_exec(st, hide_failure, NULL), JC_ERR_DB);
    jc_write_job a = {.run = hide_failure}, b = {.run = insert_200};
    tjob ta = {0}, tb = {0};
    a.done = b.done = tjob_done;
    a.arg = &ta, b.arg = &tb;
    ASSERT_OK(store_pg_submit(st, &a));
    ASSERT_OK(store_pg_submit(st, &b));
    pthread_mutex_lock(&mu);
    while (!tb.done) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    ASSERT_EQ(ta.result, JC_ERR_DB);
    ASSERT_EQ(tb.result, JC_OK);
    ASSERT_EQ(count_rows(c, "SELECT count(*) FROM t WHERE n = 100"), 0);
    ASSERT_EQ(count_rows(c, "SELECT count(*) FROM t WHERE n = 200"), 1);
    store_pg_conn_close(c);
    store_pg_close(st);
}

/* ---- work at a job's end (store_pg_at_job_end) -------------------------------------- */

static int end_calls;
static jc_err end_insert(jc_conn *w, void *arg) {
    end_calls++;
    static const char sql[] = "INSERT INTO t(n) VALUES($1)";
    pg_params p = {0};
    pgp_i64(&p, (int64_t)(intptr_t)arg);
    return pg_run_done(w, sql, &p, "test", "insert", NULL);
}
static jc_err end_fail(jc_conn *w, void *arg) {
    (void)w, (void)arg;
    return JC_ERR_DB;
}
/* Inserts 300 and asks for 301 at its end (twice: called once), and for a
 * failure when arg is non-NULL. */
static jc_err job_with_ends(jc_conn *w, void *arg) {
    jc_err e = pg_run_done(w, "INSERT INTO t(n) VALUES(300)", NULL, "test", "insert", NULL);
    if (!e) e = store_pg_at_job_end(w, end_insert, (void *)(intptr_t)301);
    if (!e) e = store_pg_at_job_end(w, end_insert, (void *)(intptr_t)301);
    if (!e && arg) e = store_pg_at_job_end(w, end_fail, NULL);
    return e;
}

TEST(work_at_a_jobs_end) {
    char url[512];
    jc_store *st = open_new(url, sizeof url);
    ASSERT(st);
    jc_conn *c = NULL;
    ASSERT_OK(store_pg_conn_open(st, &c));
    PQclear(PQexec(store_pg_raw(c), "CREATE TABLE t(n integer NOT NULL)"));
    /* off the writer: refused */
    ASSERT_EQ(store_pg_at_job_end(c, end_insert, NULL), JC_ERR_INVALID);
    end_calls = 0;
    ASSERT_OK(store_pg_exec(st, job_with_ends, NULL));
    ASSERT_EQ(end_calls, 1);
    ASSERT_EQ(count_rows(c, "SELECT count(*) FROM t WHERE n = 300"), 1);
    ASSERT_EQ(count_rows(c, "SELECT count(*) FROM t WHERE n = 301"), 1);
    /* a failing end fails the job: its own writes and the other end's roll back */
    ASSERT_EQ(store_pg_exec(st, job_with_ends, "fail"), JC_ERR_DB);
    ASSERT_EQ(count_rows(c, "SELECT count(*) FROM t"), 2);
    /* the next job starts with no ends of its own */
    end_calls = 0;
    ASSERT_OK(store_pg_exec(st, insert_200, NULL));
    ASSERT_EQ(end_calls, 0);
    store_pg_conn_close(c);
    store_pg_close(st);
}

/* ---- the writer's connection lost ------------------------------------------------ */

/* Writes a row, then has the server end the writer's own connection, as a
 * restart of the server or a network cut would. */
static jc_err write_then_lose(jc_conn *w, void *arg) {
    (void)arg;
    jc_err e = insert_200(w, NULL);
    PQclear(PQexec(store_pg_raw(w), "SELECT pg_terminate_backend(pg_backend_pid())"));
    return e;
}

static jc_err read_sync_commit(jc_conn *w, void *arg) {
    PGresult *r = PQexec(store_pg_raw(w), "SHOW synchronous_commit");
    snprintf(arg, 16, "%s", PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : "?");
    PQclear(r);
    return JC_OK;
}

TEST(connection_lost) {
    char url[512];
    if (new_db(url, sizeof url)) T_FAIL_("no database");
    /* a database whose default would acknowledge before the WAL is flushed */
    PGconn *admin = PQconnectdb(url);
    char sql[600];
    snprintf(sql, sizeof sql, "ALTER DATABASE %s SET synchronous_commit = off", strrchr(url, '/') + 1);
    PQclear(PQexec(admin, sql));
    PQfinish(admin);
    jc_store *st = NULL;
    int v;
    ASSERT_OK(store_pg_open(url, &st));
    ASSERT_OK(store_pg_migrate(st, NULL, 0, &v));
    char sc[16] = "";
    ASSERT_OK(store_pg_exec(st, read_sync_commit, sc));
    ASSERT_STR_EQ(sc, "on");
    jc_conn *c = NULL;
    ASSERT_OK(store_pg_conn_open(st, &c));
    PQclear(PQexec(store_pg_raw(c), "CREATE TABLE t(n integer NOT NULL)"));
    /* the batch it broke is not acknowledged, and nothing of it is stored */
    ASSERT_EQ(store_pg_exec(st, write_then_lose, NULL), JC_ERR_DB);
    ASSERT_EQ(count_rows(c, "SELECT count(*) FROM t"), 0);
    /* the next batch runs on a new connection, which waits for the flush too */
    ASSERT_OK(store_pg_exec(st, insert_200, NULL));
    ASSERT_OK(store_pg_exec(st, read_sync_commit, sc));
    ASSERT_STR_EQ(sc, "on");
    ASSERT_EQ(count_rows(c, "SELECT count(*) FROM t"), 1);
    /* a reader's connection lost between two reads comes back too */
    PQclear(PQexec(store_pg_raw(c), "SELECT pg_terminate_backend(pg_backend_pid())"));
    jc_user u;
    ASSERT_EQ(store_pg_user_get(c, 1, &u), JC_ERR_NOTFOUND);
    store_pg_conn_close(c);
    store_pg_close(st);
}

/* ---- several instances: commits seen, one leader ------------------------------- */

static jc_err read_outside(jc_conn *w, void *arg) {
    *(uint64_t *)arg = store_pg_outside(w);
    return JC_OK;
}

static jc_err write_row(jc_conn *w, void *arg) {
    (void)arg;
    static const char sql[] = "INSERT INTO meta(key, value) VALUES('test.x', '1')"
                              " ON CONFLICT(key) DO UPDATE SET value = meta.value || '1'";
    return pg_run_done(w, sql, NULL, "test", "write", NULL);
}

static void sleep_ms(int ms) {
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* Waits up to ms for st's leadership to become want; 1 when it did. */
static int wait_leader(jc_store *st, int want, int ms) {
    for (int i = 0; i < ms / 50; i++) {
        if (store_pg_is_leader(st) == want) return 1;
        sleep_ms(50);
    }
    return store_pg_is_leader(st) == want;
}

TEST(other_instances_commits) {
    char url[512];
    jc_store *a = open_new(url, sizeof url), *b = NULL;
    ASSERT(a);
    ASSERT_OK(store_pg_open(url, &b));
    ASSERT_OK(store_pg_watch(a));
    ASSERT_OK(store_pg_watch(b));
    sleep_ms(1500); /* both listen */
    uint64_t o1, o2, o3;
    ASSERT_OK(store_pg_exec(b, read_outside, &o1));
    ASSERT_OK(store_pg_exec(b, read_outside, &o2));
    ASSERT_EQ(o1, o2); /* nobody else committed */
    ASSERT_OK(store_pg_exec(b, write_row, NULL));
    ASSERT_OK(store_pg_exec(b, read_outside, &o3));
    ASSERT_EQ(o2, o3); /* its own commit changes nothing */
    ASSERT_OK(store_pg_exec(a, write_row, NULL)); /* another instance's */
    uint64_t o4 = o3;
    for (int i = 0; i < 40 && o4 == o3; i++) {
        sleep_ms(50);
        ASSERT_OK(store_pg_exec(b, read_outside, &o4));
    }
    ASSERT(o4 != o3);
    store_pg_close(b);
    store_pg_close(a);
}

TEST(one_leader_taken_over) {
    char url[512];
    jc_store *a = open_new(url, sizeof url), *b = NULL;
    ASSERT(a);
    ASSERT_OK(store_pg_open(url, &b));
    ASSERT_OK(store_pg_watch(a));
    ASSERT(wait_leader(a, 1, 3000));
    ASSERT_OK(store_pg_watch(b));
    sleep_ms(1500);
    ASSERT_EQ(store_pg_is_leader(b), 0); /* one leader */
    store_pg_close(a);
    ASSERT(wait_leader(b, 1, 3000));
    store_pg_close(b);
}

TEST(leader_killed_taken_over) {
    char url[512];
    if (new_db(url, sizeof url)) T_FAIL_("no database");
    int fds[2];
    ASSERT_OK(pipe(fds));
    pid_t child = fork();
    if (child == 0) { /* an instance that leads, then is killed */
        jc_store *st = NULL;
        int v;
        if (store_pg_open(url, &st) || store_pg_migrate(st, NULL, 0, &v) || store_pg_watch(st)) _exit(1);
        while (!store_pg_is_leader(st)) sleep_ms(50);
        if (write(fds[1], "L", 1) != 1) _exit(1);
        for (;;) pause();
    }
    close(fds[1]);
    char ch = 0;
    ASSERT_EQ(read(fds[0], &ch, 1), 1);
    close(fds[0]);
    jc_store *st = NULL;
    ASSERT_OK(store_pg_open(url, &st));
    ASSERT_OK(store_pg_watch(st));
    sleep_ms(1500);
    int led_before = store_pg_is_leader(st);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    int led = wait_leader(st, 1, 5000);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    store_pg_close(st);
    ASSERT_EQ(led_before, 0);
    ASSERT(led);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("leader taken over %.2f s after the kill\n", s);
    ASSERT(s < 3);
}

/* ---- through store.h: the backend chosen by the name -------------------------- */

static int freed_blocks;
static void count_block(void *p) { freed_blocks += *(int *)p; }

static jc_err settings_run(jc_conn *w, void *arg) {
    (void)arg;
    int *n = store_writer_state(w, &freed_blocks, sizeof(int), count_block);
    if (!n) return JC_ERR_NOMEM;
    (*n)++;
    jc_err e = store_meta_put(w, "clock", "1 2 3.000000");
    jc_user sys = {.role = ROLE_SYSTEM};
    snprintf(sys.name, sizeof sys.name, "tests");
    jc_audit a = {.at_ms = 1, .actor_id = 0};
    snprintf(a.actor, sizeof a.actor, "tests");
    snprintf(a.role, sizeof a.role, "system");
    snprintf(a.action, sizeof a.action, "note");
    snprintf(a.payload_hash, sizeof a.payload_hash, "%s", chain_empty_payload_hash());
    return e ? e : store_audit_append(w, &a);
}

TEST(chosen_by_its_url_through_store_h) {
    char url[512];
    ASSERT_OK(new_db(url, sizeof url));
    jc_store *st = NULL;
    ASSERT_OK(store_open(url, &st)); /* store.c: this backend takes a postgresql:// name */
    ASSERT_EQ(store_kind_of(st), JC_STORE_PG);
    int v = 0;
    /* the core and the modules that run here are migrated; the others
     * (no PostgreSQL storage yet) are left out, their tables not made */
    ASSERT_OK(store_migrate(st, &v));
    ASSERT(v >= 1);
    freed_blocks = 0;
    ASSERT_OK(store_exec(st, settings_run, NULL));
    ASSERT_OK(store_exec(st, settings_run, NULL));
    jc_conn *c = NULL;
    ASSERT_OK(store_conn_open(st, &c));
    ASSERT_EQ(store_kind(c), JC_STORE_PG);
    ASSERT_STR_EQ(store_backend_name(c), "postgresql");
    char val[64];
    ASSERT_OK(store_meta_get(c, "clock", val, sizeof val));
    ASSERT_STR_EQ(val, "1 2 3.000000");
    ASSERT_EQ(store_meta_get(c, "no-such-key", val, sizeof val), JC_ERR_NOTFOUND);
    ASSERT_EQ(store_meta_get(c, "clock", val, 4), JC_ERR_TOOBIG);
    int64_t last = -1;
    ASSERT_OK(store_audit_last(c, &last));
    ASSERT_EQ(last, 2);
    ASSERT_OK(store_meta_get(c, "schema.auth", val, sizeof val));
    ASSERT_OK(store_meta_get(c, "schema.dispatch", val, sizeof val));
    ASSERT_OK(store_meta_get(c, "schema.worklist", val, sizeof val));
    ASSERT_OK(store_meta_get(c, "schema.people", val, sizeof val));
    ASSERT_OK(store_meta_get(c, "schema.sensor", val, sizeof val));
    store_conn_close(c);
    /* every module runs here now (none is left out: module_runs_on) */
    for (size_t i = 0; i < jc_modules_count; i++) {
        if (!module_runs_on(jc_modules[i], JC_STORE_PG)) fprintf(stderr, "left out on PostgreSQL: %s\n", jc_modules[i]->name);
        ASSERT(module_runs_on(jc_modules[i], JC_STORE_PG));
    }
    store_close(st);
    ASSERT_EQ(freed_blocks, 2); /* the writer's state, kept across jobs, freed with the store */
}

T_MAIN(T(chosen_by_its_url_through_store_h), T(migrates_once), T(users_and_sessions), T(catalogue), T(case_rows), T(group_commit), T(rerun_groups),
       T(audit_chain_two_instances), T(audit_entries_as_written), T(job_hiding_a_failure), T(work_at_a_jobs_end), T(connection_lost), T(other_instances_commits),
       T(one_leader_taken_over), T(leader_killed_taken_over))
