/*
 * test_store.c -- the writer's batches: jobs that may run again share one
 * savepoint; one failing after it wrote rolls the group back and the group's
 * jobs run again one by one; jobs that may not run again keep a savepoint of
 * their own.  A first job holds the writer until the others are queued, so
 * they form one batch.  The catalogue lookups kept for one batch follow the
 * batch's own writes, its rollbacks and other processes' writes.  WAL bytes
 * one thread left never hide another's commit.  Dispatch migration 3
 * rebuilds case_phase without its IN check, keeping the rows.  A temporary
 * file takes a write larger than SQLite's unix VFS does (a spilling journal).
 */
#include "store.h"
#include "store_sqlite.h"
#include "t.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

enum { OK, FAIL_AFTER_WRITE, FAIL_BEFORE_WRITE };

typedef struct {
    jc_write_job job;
    const char *name; /* the row it inserts */
    int fail;
    int runs;
    int done;
    jc_err result;
    int urgent; /* what a category job read */
} tjob;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int holding, released;
static jc_store *st;
static char tdir[64];

static jc_err hold_run(jc_conn *w, void *arg) {
    (void)arg;
    if (sqlite3_exec(store_sqlite_db(w), "CREATE TABLE IF NOT EXISTS t(name TEXT NOT NULL)", NULL, NULL, NULL))
        return JC_ERR_DB;
    pthread_mutex_lock(&mu);
    holding = 1;
    pthread_cond_broadcast(&cv);
    while (!released) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return JC_OK;
}

static jc_err tjob_run(jc_conn *w, void *arg) {
    tjob *t = arg;
    t->runs++;
    if (t->fail == FAIL_BEFORE_WRITE) return JC_ERR_INVALID;
    char sql[96];
    snprintf(sql, sizeof sql, "INSERT INTO t(name) VALUES('%s')", t->name);
    if (sqlite3_exec(store_sqlite_db(w), sql, NULL, NULL, NULL) != SQLITE_OK) return JC_ERR_DB;
    return t->fail == FAIL_AFTER_WRITE ? JC_ERR_CONFLICT : JC_OK;
}

static void tjob_done(void *arg, jc_err e) {
    tjob *t = arg;
    pthread_mutex_lock(&mu);
    t->result = e;
    t->done = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

/* Runs jobs (tjob_run unless they name their own run) as one batch, behind
 * a job holding the writer; 0 when all finished. */
static int run_one_batch(tjob *jobs, int n) {
    tjob hold = {.job = {.run = hold_run, .done = tjob_done}};
    hold.job.arg = &hold;
    holding = released = 0;
    if (store_submit(st, &hold.job)) return -1;
    pthread_mutex_lock(&mu);
    while (!holding) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < n; i++) {
        if (!jobs[i].job.run) jobs[i].job.run = tjob_run;
        jobs[i].job.done = tjob_done;
        jobs[i].job.arg = &jobs[i];
        if (store_submit(st, &jobs[i].job)) return -1;
    }
    pthread_mutex_lock(&mu);
    released = 1;
    pthread_cond_broadcast(&cv);
    for (int i = 0; i < n; i++)
        while (!jobs[i].done) pthread_cond_wait(&cv, &mu);
    while (!hold.done) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return 0;
}

/* Rows named name in t, read through a connection of the test's own. */
static int rows(const char *name) {
    jc_conn *c;
    if (store_conn_open(st, &c)) return -1;
    sqlite3_stmt *s;
    int n = -1;
    if (sqlite3_prepare_v2(store_sqlite_db(c), "SELECT count(*) FROM t WHERE name=?", -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
    }
    store_conn_close(c);
    return n;
}

static int open_store(void) {
    snprintf(tdir, sizeof tdir, "/tmp/jc-st-XXXXXX");
    if (!mkdtemp(tdir)) return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/t.db", tdir);
    return store_open(path, &st) ? -1 : 0;
}

static void close_store(void) {
    store_close(st);
    st = NULL;
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tdir);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", tdir);
}

TEST(group_rolled_back_and_run_again_one_by_one) {
    ASSERT_OK(open_store());
    tjob j[3] = {{.name = "a"}, {.name = "b", .fail = FAIL_AFTER_WRITE}, {.name = "c"}};
    for (int i = 0; i < 3; i++) j[i].job.rerun = 1;
    jc_store_stats s0, s1;
    store_stats(st, &s0);
    ASSERT_OK(run_one_batch(j, 3));
    store_stats(st, &s1);
    ASSERT_EQ(j[0].result, JC_OK);
    ASSERT_EQ(j[1].result, JC_ERR_CONFLICT);
    ASSERT_EQ(j[2].result, JC_OK);
    /* a and b ran in the group, were rolled back, ran again alone; c after */
    ASSERT_EQ(j[0].runs, 2);
    ASSERT_EQ(j[1].runs, 2);
    ASSERT_EQ(j[2].runs, 1);
    ASSERT_EQ(rows("a"), 1); /* once, not twice */
    ASSERT_EQ(rows("b"), 0);
    ASSERT_EQ(rows("c"), 1);
    ASSERT_EQ(s1.reruns - s0.reruns, 1);
    ASSERT_EQ(s1.failed_jobs - s0.failed_jobs, 1);
    close_store();
}

TEST(failure_without_writes_runs_nothing_again) {
    ASSERT_OK(open_store());
    tjob j[3] = {{.name = "a"}, {.name = "b", .fail = FAIL_BEFORE_WRITE}, {.name = "c"}};
    for (int i = 0; i < 3; i++) j[i].job.rerun = 1;
    jc_store_stats s0, s1;
    store_stats(st, &s0);
    ASSERT_OK(run_one_batch(j, 3));
    store_stats(st, &s1);
    ASSERT_EQ(j[1].result, JC_ERR_INVALID);
    ASSERT_EQ(j[0].runs + j[1].runs + j[2].runs, 3);
    ASSERT_EQ(rows("a"), 1);
    ASSERT_EQ(rows("c"), 1);
    ASSERT_EQ(s1.reruns - s0.reruns, 0);
    ASSERT_EQ(s1.failed_jobs - s0.failed_jobs, 1);
    close_store();
}

TEST(jobs_that_may_not_run_again_keep_their_own_savepoint) {
    ASSERT_OK(open_store());
    tjob j[6] = {{.name = "a"},
                 {.name = "b", .fail = FAIL_AFTER_WRITE},
                 {.name = "c", .job.rerun = 1},
                 {.name = "d", .job.rerun = 1, .fail = FAIL_AFTER_WRITE},
                 {.name = "e"},
                 {.name = "f", .job.rerun = 1}};
    jc_store_stats s0, s1;
    store_stats(st, &s0);
    ASSERT_OK(run_one_batch(j, 6));
    store_stats(st, &s1);
    const int runs[6] = {1, 1, 2, 2, 1, 1};
    const int present[6] = {1, 0, 1, 0, 1, 1};
    const char *names[6] = {"a", "b", "c", "d", "e", "f"};
    for (int i = 0; i < 6; i++) {
        ASSERT_EQ(j[i].runs, runs[i]);
        ASSERT_EQ(rows(names[i]), present[i]);
        ASSERT_EQ(j[i].result == JC_OK, present[i]);
    }
    ASSERT_EQ(s1.reruns - s0.reruns, 1);
    ASSERT_EQ(s1.failed_jobs - s0.failed_jobs, 2);
    close_store();
}

/* ---- lookups kept for one batch ---------------------------------------------- */

static jc_category cat(const char *code, int urgent) {
    jc_category k = {.accept_h = 1, .handle_h = 8, .verify_h = 2, .urgent = urgent};
    snprintf(k.code, sizeof k.code, "%s", code);
    snprintf(k.name, sizeof k.name, "cat %s", code);
    snprintf(k.kind, sizeof k.kind, "event");
    return k;
}

static jc_err own_writes_run(jc_conn *w, void *arg) {
    int *got = arg;
    jc_category k = cat("9901", 0);
    jc_err e;
    if ((e = store_category_put(w, &k)) || (e = store_category_urgent(w, "9901", &got[0]))) return e;
    k.urgent = 1;
    if ((e = store_category_put(w, &k)) || (e = store_category_urgent(w, "9901", &got[1]))) return e;
    jc_dept d = {0}, out;
    got[2] = store_dept_by_code(w, "newdept", &out);
    snprintf(d.code, sizeof d.code, "newdept");
    snprintf(d.name, sizeof d.name, "新部门");
    if ((e = store_dept_put(w, &d))) return e;
    got[3] = store_dept_by_code(w, "newdept", &out);
    got[4] = out.id == d.id;
    got[5] = store_area_exists(w, "990000");
    jc_area a = {.code = "990000", .level = "district", .name = "试验区"};
    if ((e = store_area_put(w, &a))) return e;
    got[6] = store_area_exists(w, "990000");
    return JC_OK;
}

TEST(kept_lookups_follow_the_batch_own_writes) {
    ASSERT_OK(open_store());
    int v;
    ASSERT_OK(store_migrate(st, &v));
    int got[7] = {-1, -1, -1, -1, -1, -1, -1};
    ASSERT_OK(store_exec(st, own_writes_run, got));
    ASSERT_EQ(got[0], 0);
    ASSERT_EQ(got[1], 1);
    ASSERT_EQ(got[2], JC_ERR_NOTFOUND);
    ASSERT_EQ(got[3], JC_OK);
    ASSERT_EQ(got[4], 1);
    ASSERT_EQ(got[5], JC_ERR_NOTFOUND);
    ASSERT_EQ(got[6], JC_OK);
    close_store();
}

/* Job 1 reads the category (kept), makes it urgent and fails; job 2, in the
 * same batch, must read it as the rollback left it. */
static jc_err cat_fail_run(jc_conn *w, void *arg) {
    tjob *c = arg;
    jc_err e = store_category_urgent(w, "9902", &c->urgent);
    if (e) return e;
    jc_category k = cat("9902", 1);
    if ((e = store_category_put(w, &k)) || (e = store_category_urgent(w, "9902", &c->urgent))) return e;
    return JC_ERR_CONFLICT;
}

static jc_err cat_read_run(jc_conn *w, void *arg) {
    tjob *c = arg;
    return store_category_urgent(w, "9902", &c->urgent);
}

static jc_err put_9902_run(jc_conn *w, void *arg) {
    (void)arg;
    jc_category k = cat("9902", 0);
    return store_category_put(w, &k);
}

TEST(kept_lookups_forget_what_a_rollback_undid) {
    ASSERT_OK(open_store());
    int v;
    ASSERT_OK(store_migrate(st, &v));
    ASSERT_OK(store_exec(st, put_9902_run, NULL));
    tjob j[2] = {{.job.run = cat_fail_run}, {.job.run = cat_read_run, .urgent = -1}};
    ASSERT_OK(run_one_batch(j, 2));
    tjob a = j[0], b = j[1];
    ASSERT_EQ(a.result, JC_ERR_CONFLICT);
    ASSERT_EQ(a.urgent, 1); /* it saw its own write */
    ASSERT_EQ(b.result, JC_OK);
    ASSERT_EQ(b.urgent, 0); /* and the next job does not */
    close_store();
}

static jc_err read_9902_run(jc_conn *w, void *arg) { return store_category_urgent(w, "9902", arg); }

TEST(kept_lookups_see_another_process_write_between_batches) {
    ASSERT_OK(open_store());
    int v, urgent = -1;
    ASSERT_OK(store_migrate(st, &v));
    ASSERT_OK(store_exec(st, put_9902_run, NULL));
    ASSERT_OK(store_exec(st, read_9902_run, &urgent));
    ASSERT_EQ(urgent, 0);
    char path[128];
    snprintf(path, sizeof path, "%s/t.db", tdir);
    sqlite3 *other;
    ASSERT_EQ(sqlite3_open(path, &other), SQLITE_OK);
    sqlite3_busy_timeout(other, 5000);
    ASSERT_EQ(sqlite3_exec(other, "UPDATE categories SET urgent=1 WHERE code='9902'", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    ASSERT_OK(store_exec(st, read_9902_run, &urgent));
    ASSERT_EQ(urgent, 1);
    close_store();
}

/* ---- walbuf: WAL bytes left by one thread ------------------------------------ */

static sqlite3 *wdb;
static void *spill_and_roll_back(void *arg) {
    int *rc = arg;
    /* a transaction larger than the cache spills pages to the WAL, then
     * goes away: its frames may still sit in the buffer */
    *rc = sqlite3_exec(wdb, "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<300)"
                            " INSERT INTO w SELECT randomblob(3000) FROM n; ROLLBACK;", NULL, NULL, NULL);
    return NULL;
}

TEST(wal_bytes_another_thread_left_never_hide_a_commit) {
    ASSERT_OK(open_store()); /* registers the VFS */
    char path[128];
    snprintf(path, sizeof path, "%s/w.db", tdir);
    ASSERT_EQ(sqlite3_open(path, &wdb), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(wdb, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=8;"
                                "CREATE TABLE w(b BLOB)", NULL, NULL, NULL), SQLITE_OK);
    for (int round = 0; round < 20; round++) {
        pthread_t t;
        int rc = -1;
        ASSERT_OK(pthread_create(&t, NULL, spill_and_roll_back, &rc));
        pthread_join(t, NULL);
        ASSERT_EQ(rc, SQLITE_OK);
        /* this thread commits on the same connection; another reads it */
        ASSERT_EQ(sqlite3_exec(wdb, "INSERT INTO w VALUES(randomblob(5000))", NULL, NULL, NULL), SQLITE_OK);
        sqlite3 *r;
        ASSERT_EQ(sqlite3_open_v2(path, &r, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        sqlite3_stmt *q;
        ASSERT_EQ(sqlite3_prepare_v2(r, "SELECT count(*), sum(length(b)) FROM w", -1, &q, NULL), SQLITE_OK);
        ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
        ASSERT_EQ(sqlite3_column_int(q, 0), round + 1);
        ASSERT_EQ(sqlite3_column_int64(q, 1), 5000LL * (round + 1));
        sqlite3_finalize(q);
        ASSERT_EQ(sqlite3_prepare_v2(r, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
        ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
        ASSERT_STR_EQ((const char *)sqlite3_column_text(q, 0), "ok");
        sqlite3_finalize(q);
        sqlite3_close(r);
    }
    sqlite3_close(wdb);
    close_store();
}

/* ---- a write larger than the default VFS takes -------------------------------- */

/* A memory journal that spills to its temporary file writes all it held in
 * one call; the default VFS takes less than 128 KiB per call and answered a
 * larger write "database or disk is full" (a job whose savepoint journal
 * passed the spill size failed).  Through the VFS in place (walbuf.c) a 1 MiB
 * write to a temporary file is written whole and reads back. */
TEST(a_temporary_file_takes_a_write_of_a_mebibyte) {
    ASSERT_OK(open_store()); /* registers the VFS */
    sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);
    ASSERT(vfs != NULL);
    sqlite3_file *f = calloc(1, (size_t)vfs->szOsFile);
    ASSERT(f != NULL);
    int out = 0;
    ASSERT_EQ(vfs->xOpen(vfs, NULL, f, SQLITE_OPEN_SUBJOURNAL | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                           SQLITE_OPEN_EXCLUSIVE | SQLITE_OPEN_DELETEONCLOSE, &out),
              SQLITE_OK);
    enum { N = 1 << 20 };
    unsigned char *w = malloc(N), *r = malloc(N);
    ASSERT(w && r);
    for (int i = 0; i < N; i++) w[i] = (unsigned char)(i * 7 + (i >> 9));
    int rc = f->pMethods->xWrite(f, w, N, 4096);
    int rrc = rc == SQLITE_OK ? f->pMethods->xRead(f, r, N, 4096) : rc;
    int same = rrc == SQLITE_OK && !memcmp(w, r, N);
    f->pMethods->xClose(f);
    free(f);
    free(w);
    free(r);
    ASSERT_EQ(rc, SQLITE_OK);
    ASSERT_EQ(rrc, SQLITE_OK);
    ASSERT(same);
    close_store();
}

/* ---- dispatch migration 3: case_phase's CHECK without IN ----------------------- */

static int sql_int(sqlite3 *db, const char *q) {
    sqlite3_stmt *s;
    int v = -1;
    if (sqlite3_prepare_v2(db, q, -1, &s, NULL) != SQLITE_OK) return -2;
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* A database whose case_phase is as dispatch migration 2 left it (CHECK
 * phase IN (...), rows in it) takes migration 3: the rows stay, the new
 * CHECK still refuses an unknown phase, and an insert no longer builds a
 * temporary index (OpenEphemeral in its program). */
TEST(case_phase_rebuilt_without_an_in_check) {
    ASSERT_OK(open_store());
    int v;
    ASSERT_OK(store_migrate(st, &v));
    store_close(st);
    char path[128];
    snprintf(path, sizeof path, "%s/t.db", tdir);
    sqlite3 *db;
    ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "DROP TABLE case_phase;"
                           "CREATE TABLE case_phase(id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL,"
                           "  phase TEXT NOT NULL CHECK(phase IN('accept','handle','verify')), dept_id INTEGER,"
                           "  user_id INTEGER, start_at INTEGER NOT NULL, deadline_at INTEGER,"
                           "  provisional INTEGER NOT NULL DEFAULT 0, end_at INTEGER, end_reason TEXT,"
                           "  paused_at INTEGER, paused_ms INTEGER NOT NULL DEFAULT 0, reminded_at INTEGER,"
                           "  overdue_at INTEGER, level INTEGER NOT NULL DEFAULT 0, next_at INTEGER);"
                           "CREATE INDEX case_phase_case ON case_phase(case_id);"
                           "CREATE INDEX case_phase_next ON case_phase(next_at) WHERE next_at IS NOT NULL;"
                           "INSERT INTO case_phase(id, case_id, phase, start_at, next_at) VALUES"
                           "  (7, 1, 'accept', 10, 20), (9, 1, 'handle', 30, NULL);"
                           "UPDATE meta SET value='2' WHERE key='schema.dispatch';",
                           NULL, NULL, NULL),
              SQLITE_OK);
    ASSERT(sql_int(db, "SELECT count(*) FROM sqlite_master WHERE sql LIKE '%phase IN(%'") == 1);
    sqlite3_close(db);
    ASSERT_OK(store_open(path, &st));
    ASSERT_OK(store_migrate(st, &v));
    ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
    ASSERT_EQ(sql_int(db, "SELECT value FROM meta WHERE key='schema.dispatch'"), 6);
    ASSERT_EQ(sql_int(db, "SELECT count(*) FROM sqlite_master WHERE sql LIKE '%phase IN(%'"), 0);
    ASSERT_EQ(sql_int(db, "SELECT sum(id) FROM case_phase WHERE case_id=1"), 16);
    ASSERT_EQ(sql_int(db, "SELECT id FROM case_phase WHERE next_at IS NOT NULL"), 7);
    /* case_phase_case and case_phase_open (migration 5); case_phase_next
     * went with migration 4 (the ticker's heap) */
    ASSERT_EQ(sql_int(db, "SELECT count(*) FROM sqlite_master WHERE tbl_name='case_phase' AND type='index'"), 2);
    ASSERT_EQ(sql_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('case_phase_case', 'case_phase_open')"), 2);
    /* the escalation timer's load (dispatch.c tmr_load) reads the open phases by that index */
    sqlite3_stmt *qp;
    ASSERT_EQ(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT next_at, id FROM case_phase"
                                     " WHERE next_at IS NOT NULL AND end_at IS NULL", -1, &qp, NULL),
              SQLITE_OK);
    int by_open = 0;
    while (sqlite3_step(qp) == SQLITE_ROW) by_open += strstr((const char *)sqlite3_column_text(qp, 3), "case_phase_open") != NULL;
    sqlite3_finalize(qp);
    ASSERT_EQ(by_open, 1);
    ASSERT(sqlite3_exec(db, "INSERT INTO case_phase(case_id, phase, start_at) VALUES(2, 'bogus', 1)", NULL, NULL,
                        NULL) == SQLITE_CONSTRAINT);
    ASSERT_EQ(sqlite3_exec(db, "INSERT INTO case_phase(case_id, phase, start_at) VALUES(2, 'verify', 1)", NULL, NULL,
                           NULL),
              SQLITE_OK);
    sqlite3_stmt *s;
    ASSERT_EQ(sqlite3_prepare_v2(db, "EXPLAIN INSERT INTO case_phase(case_id, phase, start_at) VALUES(3, 'accept', 1)",
                                 -1, &s, NULL),
              SQLITE_OK);
    int ephemeral = 0;
    while (sqlite3_step(s) == SQLITE_ROW) ephemeral += !strcmp((const char *)sqlite3_column_text(s, 1), "OpenEphemeral");
    sqlite3_finalize(s);
    ASSERT_EQ(ephemeral, 0);
    sqlite3_close(db);
    close_store();
}

/* ---- the backend chosen at open, and the writer's own state ----------------- */

static int freed;
static void count_free(void *p) { freed += *(int *)p; }

static jc_err state_run(jc_conn *w, void *arg) {
    int *seen = arg;
    int *a = store_writer_state(w, &freed, sizeof(int), count_free);
    int *b = store_writer_state(w, &seen, sizeof(int), NULL);
    if (!a || !b || a == b) return JC_ERR_INTERNAL;
    *seen = (*a)++; /* zero at first, then what the last job left */
    return JC_OK;
}

TEST(backend_chosen_and_writer_state_kept_per_store) {
    jc_store *none = NULL;
    ASSERT_EQ(store_open("", &none), JC_ERR_INVALID);
    ASSERT(none == NULL);
    ASSERT_OK(open_store());
    ASSERT_EQ(store_kind_of(st), JC_STORE_SQLITE);
    jc_conn *c = NULL;
    ASSERT_OK(store_conn_open(st, &c));
    ASSERT_EQ(store_kind(c), JC_STORE_SQLITE);
    ASSERT_STR_EQ(store_backend_name(c), "sqlite");
    store_conn_close(c);
    int seen = -1;
    freed = 0;
    ASSERT_OK(store_exec(st, state_run, &seen));
    ASSERT_EQ(seen, 0);
    ASSERT_OK(store_exec(st, state_run, &seen));
    ASSERT_EQ(seen, 1);
    close_store();
    ASSERT_EQ(freed, 2); /* freed with the store, with what the jobs left in it */
    ASSERT_OK(open_store()); /* another store starts afresh */
    ASSERT_OK(store_exec(st, state_run, &seen));
    ASSERT_EQ(seen, 0);
    close_store();
}

/* The writer's state is the writer thread's alone (issue 21's writer
 * context): asked for with a read connection, or with the writer's
 * connection kept past its job and used from another thread, the process
 * stops on the assertion instead of sharing a module's state between
 * threads.  Each try runs in a child process. */
static jc_conn *kept_writer;
static jc_err keep_writer(jc_conn *w, void *arg) {
    (void)arg;
    kept_writer = w;
    return JC_OK;
}

/* Calls store_writer_state with c in a child process (stderr closed: the
 * assertion's message); its wait status.  (The child has no writer thread:
 * the connection is found before the fork.) */
static int in_child(jc_conn *c) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr)) _exit(3);
        store_writer_state(c, &kept_writer, sizeof(int), NULL);
        _exit(0); /* the assertion did not stop it */
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
    return status;
}

TEST(writer_state_off_the_writer_thread_stops_the_process) {
    ASSERT_OK(open_store());
    jc_conn *reader = NULL;
    ASSERT_OK(store_conn_open(st, &reader));
    ASSERT_OK(store_exec(st, keep_writer, NULL));
    ASSERT(kept_writer != NULL);
    jc_conn *tries[] = {reader, kept_writer};
    for (int i = 0; i < 2; i++) {
        int status = in_child(tries[i]);
        ASSERT(WIFSIGNALED(status));
        ASSERT_EQ(WTERMSIG(status), SIGABRT);
    }
    store_conn_close(reader);
    close_store();
}

T_MAIN(T(writer_state_off_the_writer_thread_stops_the_process), T(backend_chosen_and_writer_state_kept_per_store), T(case_phase_rebuilt_without_an_in_check), T(group_rolled_back_and_run_again_one_by_one), T(failure_without_writes_runs_nothing_again),
       T(jobs_that_may_not_run_again_keep_their_own_savepoint), T(kept_lookups_follow_the_batch_own_writes),
       T(kept_lookups_forget_what_a_rollback_undid), T(kept_lookups_see_another_process_write_between_batches),
       T(wal_bytes_another_thread_left_never_hide_a_commit), T(a_temporary_file_takes_a_write_of_a_mebibyte))
