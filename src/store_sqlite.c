/*
 * store_sqlite.c -- the SQLite backend of store.h (the embedded default).
 *
 * Design notes
 *  - WAL journal, synchronous=FULL: a commit is on disk when COMMIT returns,
 *    so an acknowledged write survives SIGKILL and power loss alike.
 *  - One writer thread owns the write connection.  It takes every queued job,
 *    runs each in a SAVEPOINT of one BEGIN IMMEDIATE transaction and commits
 *    once; only then are the jobs' done() callbacks called (group commit).
 *    A failing job rolls back to its savepoint and leaves the others intact.
 *  - Every other thread reads through its own connection (WAL readers never
 *    block the writer).  busy_timeout covers a second process (the CLI)
 *    writing at the same time.
 *  - Prepared statements are cached per connection, indexed by call site.
 */
#include "store_sqlite.h"
#include "store_backend.h"
#include "walbuf.h"
#include "store_writeq.h"
#include "chain.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

enum {
    Q_USER_INSERT, Q_USER_GET, Q_USER_BY_NAME, Q_USER_SETPW, Q_USER_EACH,
    Q_SESS_INSERT, Q_SESS_USER, Q_SESS_DELETE, Q_SESS_DELETE_USER,
    Q_AREA_PUT, Q_AREA_GET, Q_AREA_EACH, Q_AREA_EXISTS,
    Q_DEPT_INSERT, Q_DEPT_UPDATE, Q_DEPT_GET, Q_DEPT_BY_CODE, Q_DEPT_EACH,
    Q_CAT_PUT, Q_CAT_GET, Q_CAT_EACH, Q_CAT_URGENT,
    Q_CASE_INSERT, Q_CASE_NEXT_ID, Q_CASE_GET, Q_CASE_UPDATE, Q_CASE_COUNT_STATE,
    Q_AUDIT_TAIL, Q_AUDIT_INSERT, Q_AUDIT_ALL, Q_AUDIT_CASE,
    Q_META_GET, Q_META_PUT, Q_AUDIT_SINCE, Q_AUDIT_LAST,
    Q_BEGIN, Q_COMMIT, Q_ROLLBACK, Q_SAVEPOINT, Q_RELEASE, Q_ROLLBACK_TO,
    Q_GROUP, Q_GROUP_RELEASE, Q_GROUP_ROLLBACK_TO, Q_DATA_VERSION,
    Q__COUNT
};

#define MOD_STMTS 256

/* The functions of store_sqlite_ops (the end of this file). */
static jc_err sqlite_open(const char *db, jc_store **out);
static void sqlite_close(jc_store *st);
static jc_err sqlite_migrate_core(jc_store *st, int *version);
static jc_err sqlite_migrate_schema(jc_store *st, const jc_schema *m);
static jc_err sqlite_conn_open(jc_store *st, jc_conn **out);
static void sqlite_conn_close(jc_conn *c);
static jc_err sqlite_submit(jc_store *st, jc_write_job *job);
static jc_err sqlite_exec(jc_store *st, jc_err (*run)(jc_conn *w, void *arg), void *arg);
static void sqlite_stats(jc_store *st, jc_store_stats *out);
static uint64_t sqlite_outside(jc_conn *w);
static void * sqlite_writer_state(jc_conn *w, const void *key, size_t size, void (*free_fn)(void *));
static jc_err sqlite_user_insert(jc_conn *w, jc_user *u);
static jc_err sqlite_user_get(jc_conn *c, int64_t id, jc_user *out);
static jc_err sqlite_user_by_name(jc_conn *c, const char *name, jc_user *out);
static jc_err sqlite_user_set_password(jc_conn *w, int64_t id, const char *pw_hash);
static jc_err sqlite_user_each(jc_conn *c, int (*cb)(const jc_user *u, void *arg), void *arg);
static jc_err sqlite_session_insert(jc_conn *w, const char *token_hash, int64_t user_id, int64_t created_ms, int64_t expires_ms);
static jc_err sqlite_session_user(jc_conn *c, const char *token_hash, int64_t now_ms, jc_user *out);
static jc_err sqlite_session_delete(jc_conn *w, const char *token_hash);
static jc_err sqlite_sessions_delete_user(jc_conn *w, int64_t user_id);
static jc_err sqlite_area_put(jc_conn *w, const jc_area *a);
static jc_err sqlite_area_get(jc_conn *c, const char *code, jc_area *out);
static jc_err sqlite_area_exists(jc_conn *c, const char *code);
static jc_err sqlite_area_each(jc_conn *c, int (*cb)(const jc_area *a, void *arg), void *arg);
static jc_err sqlite_dept_put(jc_conn *w, jc_dept *d);
static jc_err sqlite_dept_get(jc_conn *c, int64_t id, jc_dept *out);
static jc_err sqlite_dept_by_code(jc_conn *c, const char *code, jc_dept *out);
static jc_err sqlite_dept_each(jc_conn *c, int (*cb)(const jc_dept *d, void *arg), void *arg);
static jc_err sqlite_category_put(jc_conn *w, const jc_category *k);
static jc_err sqlite_category_get(jc_conn *c, const char *code, jc_category *out);
static jc_err sqlite_category_urgent(jc_conn *c, const char *code, int *urgent);
static jc_err sqlite_category_each(jc_conn *c, int (*cb)(const jc_category *k, void *arg), void *arg);
static jc_err sqlite_case_insert(jc_conn *w, jc_case *k);
static jc_err sqlite_case_reserve(jc_conn *w, jc_case *k);
static jc_err sqlite_case_get(jc_conn *c, int64_t id, jc_case *out);
static jc_err sqlite_case_update(jc_conn *w, jc_case *k);
static jc_err sqlite_case_each(jc_conn *c, const jc_case_filter *f, int (*cb)(const jc_case *k, void *arg), void *arg);
static jc_err sqlite_case_scan(jc_conn *c, int64_t only_id, int (*cb)(const jc_case *k, void *arg), void *arg);
static jc_err sqlite_case_count_by_state(jc_conn *c, int (*cb)(const char *state, int64_t n, void *arg), void *arg);
static jc_err sqlite_audit_append(jc_conn *w, jc_audit *e);
static jc_err sqlite_audit_each(jc_conn *c, int64_t case_id, int (*cb)(const jc_audit *e, void *arg), void *arg);
static jc_err sqlite_audit_since(jc_conn *c, int64_t after_seq, int limit, int (*cb)(const jc_audit *e, const jc_case *k, void *arg), void *arg);
static jc_err sqlite_audit_last(jc_conn *c, int64_t *seq);
static jc_err sqlite_meta_get(jc_conn *c, const char *key, char *out, size_t outsz);
static jc_err sqlite_meta_put(jc_conn *w, const char *key, const char *value);

struct jc_conn {
    const jc_store_ops *ops; /* first: store.c dispatches on it */
    sqlite3 *db;
    sqlite3_stmt *q[Q__COUNT];
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } mod[MOD_STMTS]; /* modules' statements, keyed by the SQL's address */
    int nmod;
    /* lookups kept for one batch of the writer (see keep_slot) */
    int in_batch;
    uint64_t epoch;
    uint64_t outside; /* see store_sqlite_outside */
    int64_t data_version; /* PRAGMA data_version at the last batch's start */
    struct kept *kept_cat, *kept_area, *kept_dept;
    /* the writer's: its thread (set when it starts) and its state blocks */
    pthread_t writer;
    int writer_set;
    jc_writer_blocks blocks;
};

/* ---- lookups kept for one batch -----------------------------------------------
 * Within one batch of the writer (one transaction, its write lock held) the
 * categories, areas and departments change only through this file's
 * functions, which bump c->epoch (store_sqlite_touch), as do every rollback
 * and the start of a batch after another connection committed (PRAGMA
 * data_version); a kept answer counts while its epoch is current.
 * Outside a batch (and on readers' connections) nothing is kept.  A report
 * looks up its category and area, a dispatch its departments: read from a
 * small table here, not through SQLite, each costs ~0.1 us instead of ~0.7. */
#define KEEP_N 64
typedef struct kept {
    uint64_t epoch;
    char key[32];
    jc_err e;
    int urgent;
    jc_dept dept;
} kept;

static kept *keep_slot(kept *tab, const char *key) {
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) h = (h ^ *p) * 16777619u;
    return &tab[h % KEEP_N];
}

/* The kept answer for key in tab, or NULL. */
static const kept *keep_get(const jc_conn *c, kept *tab, const char *key) {
    if (!c->in_batch || !tab || !key) return NULL;
    const kept *k = keep_slot(tab, key);
    return k->epoch == c->epoch && !strcmp(k->key, key) ? k : NULL;
}

/* A slot to keep the answer e for key in (NULL: not kept). */
static kept *keep_put(jc_conn *c, kept *tab, const char *key, jc_err e) {
    if (!c->in_batch || !tab || !key || strlen(key) >= sizeof tab->key || (e && e != JC_ERR_NOTFOUND)) return NULL;
    kept *k = keep_slot(tab, key);
    k->epoch = c->epoch;
    memcpy(k->key, key, strlen(key) + 1); /* fits: checked above */
    k->e = e;
    return k;
}

uint64_t store_sqlite_epoch(jc_conn *c) { return c->in_batch ? c->epoch : 0; }
void store_sqlite_touch(jc_conn *c) { c->epoch++; }
uint64_t store_sqlite_outside(jc_conn *c) { return c->outside; }

struct jc_store {
    const jc_store_ops *ops; /* first: store.c dispatches on it */
    char *path;
    jc_conn *w;
    pthread_t thread;
    int thread_started;
    jc_writeq q; /* the jobs waiting for the writer, and its counters */
    /* Pipelined durability: the writer commits without waiting for the
     * disk (synchronous=NORMAL) and hands each committed batch to the
     * syncer thread, which makes the WAL durable with one fdatasync for
     * every batch committed so far and only then calls their done():
     * nothing is acknowledged before it is on disk, and the writer runs the
     * next batch while the disk flushes the last.  wal_fd < 0: the writer
     * syncs itself (synchronous=FULL) and calls done() directly. */
    int wal_fd;
    char *wal_path;
    pthread_t syncer;
    int syncer_started, sync_stopping;
    pthread_mutex_t smu;
    pthread_cond_t scv;
    jc_write_job *sync_head, *sync_tail;
    /* A full disk (store.h): the writer's view, read by store_health. */
    int nospace;         /* atomic: ordinary jobs are refused */
    int commit_full;     /* a commit failed for want of space (writer only) */
    int64_t min_free;    /* atomic */
    int64_t free_bytes;  /* atomic: at the last look */
    int64_t looked_ms;   /* writer only: monotonic time of the last look */
};

/* ---- connections ---------------------------------------------------------- */

/* JICENG_SQL_TRACE=1 (a developer's switch): every statement run on a
 * writable connection is printed to stderr with its wall time in
 * microseconds (measured here: SQLite's own profile clock has 1 ms steps). */
static _Thread_local struct { void *stmt; struct timespec t0; } trace_open[8];

static int sql_trace(unsigned type, void *ctx, void *p, void *x) {
    (void)ctx, (void)x;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (type == SQLITE_TRACE_STMT) {
        for (int i = 0; i < 8; i++)
            if (!trace_open[i].stmt || trace_open[i].stmt == p) {
                trace_open[i].stmt = p, trace_open[i].t0 = now;
                break;
            }
    } else if (type == SQLITE_TRACE_PROFILE) {
        for (int i = 0; i < 8; i++)
            if (trace_open[i].stmt == p) {
                double us = (double)(now.tv_sec - trace_open[i].t0.tv_sec) * 1e6 +
                            (double)(now.tv_nsec - trace_open[i].t0.tv_nsec) / 1e3;
                fprintf(stderr, "sql %8.1f us  %.200s\n", us, sqlite3_sql((sqlite3_stmt *)p));
                trace_open[i].stmt = NULL;
                break;
            }
    }
    return 0;
}

/* ... and after each commit, the frames in the WAL (then checkpoints at
 * 4000 frames as wal_autocheckpoint would, which this hook replaces). */
static int wal_trace(void *ctx, sqlite3 *db, const char *name, int frames) {
    (void)ctx;
    fprintf(stderr, "wal %d frames\n", frames);
    if (frames >= 4000) sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

/* What a savepoint may have to restore (the pages as they were) SQLite keeps
 * in a journal in memory up to this size, then in a temporary file.  The
 * default, 64 KiB, is less than a batch of dispatched findings touches; and
 * temp_store=MEMORY, the other way to keep it in memory, grows it 1 KiB
 * malloc at a time (a tenth of the writer's time).  Set once, before SQLite
 * initializes; when something initialized it first, temp_store=MEMORY. */
static pthread_once_t config_once = PTHREAD_ONCE_INIT;
static int journal_in_memory;
static void config_sqlite(void) {
    /* no memory statistics (nothing reads them): each of SQLite's mallocs
     * would otherwise take a global mutex */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    /* 1 GiB, not 8 MiB: Debian's SQLite 3.40.1 fails a write with "database
     * or disk is full" when this journal spills to its file at any size over
     * the 64 KiB default (a job touching more than 8 MiB of existing pages,
     * such as a people import; tests/unit/test_people.c big_job).  Memory is
     * taken as the journal grows, not ahead. */
    journal_in_memory = sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, 1 << 30) == SQLITE_OK;
    if (!getenv("JICENG_NO_WALBUF") && walbuf_register() != SQLITE_OK)
        jc_log(JC_LOG_WARN, "sqlite: the WAL write buffer is not in place; each frame is written by itself");
}

static jc_err conn_open_path(const char *path, int readonly, jc_conn **out) {
    pthread_once(&config_once, config_sqlite);
    jc_conn *c = calloc(1, sizeof *c);
    if (!c) return JC_ERR_NOMEM;
    c->ops = &store_sqlite_ops;
    int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
        jc_log(JC_LOG_ERROR, "sqlite: open %s: %s", path, c->db ? sqlite3_errmsg(c->db) : "?");
        sqlite3_close(c->db);
        free(c);
        return JC_ERR_IO;
    }
    sqlite3_busy_timeout(c->db, 10000);
    const char *pragmas = readonly ? "PRAGMA foreign_keys=ON;"
                                   : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                     "PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=4000;";
    char *msg = NULL;
    if (sqlite3_exec(c->db, pragmas, NULL, NULL, &msg) != SQLITE_OK ||
        (!readonly && !journal_in_memory &&
         sqlite3_exec(c->db, "PRAGMA temp_store=MEMORY;", NULL, NULL, &msg) != SQLITE_OK)) {
        jc_log(JC_LOG_ERROR, "sqlite: pragmas on %s: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_close(c->db);
        free(c);
        return JC_ERR_DB;
    }
    if (!readonly && getenv("JICENG_SQL_TRACE")) {
        sqlite3_trace_v2(c->db, SQLITE_TRACE_STMT | SQLITE_TRACE_PROFILE, sql_trace, NULL);
        sqlite3_wal_hook(c->db, wal_trace, NULL);
    }
    *out = c;
    return JC_OK;
}

static void sqlite_conn_close(jc_conn *c) {
    if (!c) return;
    store__blocks_free(&c->blocks);
    for (int i = 0; i < Q__COUNT; i++) sqlite3_finalize(c->q[i]);
    for (int i = 0; i < c->nmod; i++) sqlite3_finalize(c->mod[i].st);
    sqlite3_close_v2(c->db);
    free(c->kept_cat);
    free(c->kept_area);
    free(c->kept_dept);
    free(c);
}

sqlite3 *store_sqlite_db(jc_conn *c) { return c->db; }

sqlite3_stmt *store_sqlite_prepare(jc_conn *c, const char *sql) {
    for (int i = 0; i < c->nmod; i++)
        if (c->mod[i].sql == sql) {
            sqlite3_reset(c->mod[i].st);
            sqlite3_clear_bindings(c->mod[i].st);
            return c->mod[i].st;
        }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        jc_log(JC_LOG_ERROR, "sqlite: prepare: %s: %s", sqlite3_errmsg(c->db), sql);
        return NULL;
    }
    if (c->nmod < MOD_STMTS) {
        c->mod[c->nmod].sql = sql;
        c->mod[c->nmod].st = st;
        c->nmod++;
    } else {
        jc_log(JC_LOG_WARN, "sqlite: statement cache full; %s is not cached", sql);
    }
    return st;
}

static jc_err sqlite_conn_open(jc_store *st, jc_conn **out) { return conn_open_path(st->path, 1, out); }

jc_err store_conn_open_path(const char *path, jc_conn **out) { return conn_open_path(path, 1, out); }

static jc_err sqlite_snapshot_begin(jc_conn *c, int *began) {
    *began = 0;
    if (!sqlite3_get_autocommit(c->db)) return JC_OK;
    if (sq_exec(c->db, "sqlite", "BEGIN") != SQLITE_OK) return JC_ERR_DB;
    *began = 1;
    return JC_OK;
}

static void sqlite_snapshot_end(jc_conn *c, int began) {
    if (began) sq_exec(c->db, "sqlite", "COMMIT");
}

static sqlite3_stmt *prep(jc_conn *c, int idx, const char *sql) {
    if (!c->q[idx]) {
        if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->q[idx], NULL) !=
            SQLITE_OK) {
            jc_log(JC_LOG_ERROR, "sqlite: prepare: %s: %s", sqlite3_errmsg(c->db), sql);
            return NULL;
        }
    } else {
        sqlite3_reset(c->q[idx]);
        sqlite3_clear_bindings(c->q[idx]);
    }
    return c->q[idx];
}

/* ---- small helpers (sq_*, see store_sqlite.h) ------------------------------ */

void sq_bind_text(sqlite3_stmt *s, int i, const char *v) {
    if (v) sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(s, i);
}

void sq_bind_text_opt(sqlite3_stmt *s, int i, const char *v) { sq_bind_text(s, i, v && *v ? v : NULL); }

void sq_bind_text_empty(sqlite3_stmt *s, int i, const char *v) { sq_bind_text(s, i, v ? v : ""); }

void sq_bind_i64_opt(sqlite3_stmt *s, int i, int64_t v) {
    if (v) sqlite3_bind_int64(s, i, v);
    else sqlite3_bind_null(s, i);
}

const char *sq_col_str(sqlite3_stmt *s, int i) {
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? (const char *)t : "";
}

void sq_col_copy(sqlite3_stmt *s, int i, char *dst, size_t n) {
    /* as snprintf(dst, n, "%s", ...) would, without its format parser: it
     * was a tenth of `audit verify`'s time (every entry copies five columns) */
    if (!n) return;
    const unsigned char *t = sqlite3_column_text(s, i);
    size_t len = t ? (size_t)sqlite3_column_bytes(s, i) : 0;
    if (len >= n) len = n - 1;
    if (len) memcpy(dst, t, len);
    dst[len] = 0;
}

char *sq_col_dup(sqlite3_stmt *s, int i) {
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? jc_strdup((const char *)t) : NULL;
}

jc_err sq_fail(sqlite3 *db, const char *tag, const char *what) {
    jc_log(JC_LOG_ERROR, "%s: %s: %s", tag, what, sqlite3_errmsg(db));
    return JC_ERR_DB;
}

jc_err sq_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out) {
    if (sqlite3_prepare_v2(db, sql, -1, out, NULL) == SQLITE_OK) return JC_OK;
    jc_log(JC_LOG_ERROR, "sqlite: prepare: %s: %s", sqlite3_errmsg(db), sql);
    return JC_ERR_DB;
}

int sq_exec(sqlite3 *db, const char *tag, const char *sql) {
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        jc_log(JC_LOG_ERROR, "%s: %s: %s", tag, sql, msg ? msg : "?");
        sqlite3_free(msg);
    }
    return rc;
}

jc_err sq_step_done(sqlite3 *db, sqlite3_stmt *s, const char *tag, const char *what) {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) return JC_OK;
    if (rc == SQLITE_CONSTRAINT) {
        jc_log(JC_LOG_DEBUG, "%s: %s: %s", tag, what, sqlite3_errmsg(db));
        return JC_ERR_CONFLICT;
    }
    return sq_fail(db, tag, what);
}

jc_err sq_int_by_text(jc_conn *c, const char *sql, const char *text, int64_t *n) {
    sqlite3_stmt *s = store_sqlite_prepare(c, sql);
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, text);
    int rc = sqlite3_step(s);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(c->db, "sqlite", "count");
}

jc_err sq_since(jc_conn *c, const char *since_sql, const char *newest_sql, int64_t after, int limit,
                int64_t *last, int (*row)(sqlite3_stmt *s, void *arg), void *arg, const char *tag) {
    sqlite3_stmt *s = store_sqlite_prepare(c, row ? since_sql : newest_sql);
    if (!s) return JC_ERR_DB;
    *last = after;
    if (row) {
        sqlite3_bind_int64(s, 1, after);
        sqlite3_bind_int(s, 2, limit);
    }
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        *last = sqlite3_column_int64(s, 0);
        if (row && row(s, arg)) break;
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(c->db, tag, "since");
}

/* ---- schema ------------------------------------------------------------- */

/* Each migration runs once, in order; PRAGMA user_version records progress.
 * Append new migrations; never edit one that has shipped. */
static const char *const migrations[] = {
    /* 1: the case loop, accounts, catalogue, audit */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE areas(code TEXT PRIMARY KEY, parent TEXT, level TEXT NOT NULL"
    "  CHECK(level IN('district','street','community','grid')), name TEXT NOT NULL, geojson TEXT);"
    "CREATE TABLE depts(id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
    "  name_en TEXT);"
    "CREATE TABLE categories(code TEXT PRIMARY KEY, name TEXT NOT NULL, name_en TEXT, parent TEXT,"
    "  kind TEXT NOT NULL CHECK(kind IN('component','event')), dept_code TEXT,"
    "  accept_h REAL NOT NULL DEFAULT 2, handle_h REAL NOT NULL DEFAULT 24,"
    "  verify_h REAL NOT NULL DEFAULT 8, urgent INTEGER NOT NULL DEFAULT 0, fields TEXT);"
    "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, display TEXT,"
    "  role TEXT NOT NULL, area TEXT, dept_id INTEGER REFERENCES depts(id), pw_hash TEXT NOT NULL,"
    "  phone TEXT, created_at INTEGER NOT NULL, disabled INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE sessions(token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),"
    "  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE cases(id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL,"
    "  category TEXT NOT NULL, source TEXT NOT NULL, state TEXT NOT NULL, area TEXT NOT NULL,"
    "  lon REAL, lat REAL, address TEXT, reporter_id INTEGER, phone TEXT, dept_id INTEGER,"
    "  priority INTEGER NOT NULL DEFAULT 0, deadline_at INTEGER, held_from TEXT,"
    "  merged_into INTEGER, escalation INTEGER NOT NULL DEFAULT 0, rating TEXT, extra TEXT,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, version INTEGER NOT NULL);"
    "CREATE INDEX cases_area ON cases(area);"
    "CREATE INDEX cases_dept ON cases(dept_id) WHERE dept_id IS NOT NULL;"
    "CREATE INDEX cases_reporter ON cases(reporter_id) WHERE reporter_id IS NOT NULL;"
    "CREATE TABLE audit(seq INTEGER PRIMARY KEY, case_id INTEGER, at INTEGER NOT NULL,"
    "  actor_id INTEGER, actor TEXT NOT NULL, role TEXT NOT NULL, action TEXT NOT NULL,"
    "  from_state TEXT, to_state TEXT, reason TEXT, payload_hash TEXT NOT NULL,"
    "  state_hash TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX audit_case ON audit(case_id) WHERE case_id IS NOT NULL;",
    /* 2: flags (ownerless, unlocated, overdue ...) and the assigned person */
    "ALTER TABLE cases ADD COLUMN flags INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE cases ADD COLUMN assignee_id INTEGER;"
    "CREATE INDEX cases_flags ON cases(flags) WHERE flags != 0;",
    /* 3: an audit row's prev_hash is no longer stored: rows written from now
     * on hold a zero-length value there, read as the hash of entry seq - 1
     * (the genesis value for entry 1); earlier rows keep their 32 bytes.
     * 32 bytes less per entry.  Nothing to rewrite: the row records that the
     * store holds such rows, so that an older program refuses it. */
    "INSERT INTO meta(key, value) VALUES('audit.prev_hash', 'derived')"
    "  ON CONFLICT(key) DO UPDATE SET value=excluded.value;",
};

static jc_err sqlite_migrate_schema(jc_store *st, const jc_schema *m) {
    jc_conn *c = st->w;
    char key[96];
    snprintf(key, sizeof key, "schema.%s", m->name);
    sqlite3_stmt *s = NULL;
    int have = 0;
    if (sqlite3_prepare_v2(c->db, "SELECT value FROM meta WHERE key=?", -1, &s, NULL) != SQLITE_OK)
        return sq_fail(c->db, "sqlite", "meta");
    sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) == SQLITE_ROW) have = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (have > m->count) {
        jc_log(JC_LOG_ERROR, "schema %s is at %d, newer than this program (%d)", m->name, have, m->count);
        return JC_ERR_CONFLICT;
    }
    for (; have < m->count; have++) {
        char upd[320];
        snprintf(upd, sizeof upd,
                 "INSERT INTO meta(key, value) VALUES('%s', '%d') ON CONFLICT(key) DO UPDATE SET"
                 " value=excluded.value;", key, have + 1);
        if (sq_exec(c->db, "sqlite", "BEGIN IMMEDIATE") != SQLITE_OK) return JC_ERR_DB;
        if (sq_exec(c->db, "sqlite", m->migrations[have]) != SQLITE_OK || sq_exec(c->db, "sqlite", upd) != SQLITE_OK) {
            sq_exec(c->db, "sqlite", "ROLLBACK");
            return JC_ERR_DB;
        }
        if (sq_exec(c->db, "sqlite", "COMMIT") != SQLITE_OK) {
            sq_exec(c->db, "sqlite", "ROLLBACK");
            return JC_ERR_DB;
        }
    }
    return JC_OK;
}

static jc_err sqlite_migrate_core(jc_store *st, int *version) {
    jc_conn *c = st->w;
    sqlite3_stmt *s = NULL;
    int v = 0;
    if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
        return sq_fail(c->db, "sqlite", "user_version");
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    int target = (int)JC_ARRAY_LEN(migrations);
    if (v > target) {
        jc_log(JC_LOG_ERROR, "database schema %d is newer than this program (%d)", v, target);
        return JC_ERR_CONFLICT;
    }
    for (; v < target; v++) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d;", v + 1);
        if (sq_exec(c->db, "sqlite", "BEGIN IMMEDIATE") != SQLITE_OK) return JC_ERR_DB;
        if (sq_exec(c->db, "sqlite", migrations[v]) != SQLITE_OK || sq_exec(c->db, "sqlite", pragma) != SQLITE_OK) {
            sq_exec(c->db, "sqlite", "ROLLBACK");
            return JC_ERR_DB;
        }
        if (sq_exec(c->db, "sqlite", "COMMIT") != SQLITE_OK) {
            sq_exec(c->db, "sqlite", "ROLLBACK");
            return JC_ERR_DB;
        }
        jc_log(JC_LOG_DEBUG, "applied migration %d", v + 1);
    }
    *version = v;
    return JC_OK;
}

jc_err store_inspect(const char *path, const jc_schema *const *schemas, size_t nschemas, jc_store_schema *out,
                     char *msg, size_t msgsz) {
    memset(out, 0, sizeof *out);
    out->target = (int)JC_ARRAY_LEN(migrations);
    jc_conn *c = NULL;
    if (conn_open_path(path, 1, &c)) {
        snprintf(msg, msgsz, "cannot open %s", path);
        return JC_ERR_IO;
    }
    sqlite3_stmt *s = NULL;
    jc_err e = JC_OK;
    if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
        snprintf(msg, msgsz, "%s: %s", path, sqlite3_errmsg(c->db));
        e = JC_ERR_DB;
    } else {
        out->version = sqlite3_column_int(s, 0);
    }
    sqlite3_finalize(s);
    s = NULL;
    for (size_t i = 0; !e && i < nschemas; i++) {
        const jc_schema *m = schemas[i];
        if (!m) continue;
        out->modules++;
        char key[96];
        snprintf(key, sizeof key, "schema.%s", m->name);
        int have = 0;
        if (out->version > 0 && sqlite3_prepare_v2(c->db, "SELECT value FROM meta WHERE key=?", -1, &s, NULL) == SQLITE_OK) {
            sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(s) == SQLITE_ROW) have = sqlite3_column_int(s, 0);
        }
        sqlite3_finalize(s);
        s = NULL;
        if (have < m->count && !out->modules_behind++) snprintf(out->first_behind, sizeof out->first_behind, "%s", m->name);
        if (have > m->count && !out->modules_ahead++) snprintf(out->first_ahead, sizeof out->first_ahead, "%s", m->name);
    }
    if (!e && out->version > 0 && sqlite3_prepare_v2(c->db, "SELECT max(at) FROM audit", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        out->last_audit_ms = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    store_conn_close(c);
    return e;
}

/* ---- the writer thread --------------------------------------------------- */

/* Runs one of the transaction-control statements, prepared once. */
static int tx(jc_conn *w, int idx) {
    static const char *const sql[] = {
        [Q_BEGIN] = "BEGIN IMMEDIATE", [Q_COMMIT] = "COMMIT", [Q_ROLLBACK] = "ROLLBACK",
        [Q_SAVEPOINT] = "SAVEPOINT job", [Q_RELEASE] = "RELEASE job",
        [Q_ROLLBACK_TO] = "ROLLBACK TO job", [Q_GROUP] = "SAVEPOINT grp",
        [Q_GROUP_RELEASE] = "RELEASE grp", [Q_GROUP_ROLLBACK_TO] = "ROLLBACK TO grp",
        [Q_DATA_VERSION] = "PRAGMA data_version",
    };
    sqlite3_stmt *s = prep(w, idx, sql[idx]);
    if (!s) return SQLITE_ERROR;
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        jc_log(JC_LOG_ERROR, "sqlite: %s: %s", sql[idx], sqlite3_errmsg(w->db));
        return rc;
    }
    return SQLITE_OK;
}

/* ---- a full disk --------------------------------------------------------- */

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Decides before a batch whether ordinary jobs are refused: the free space
 * of the database's file system (statvfs, at most every 50 ms, every
 * 200 ms while refusing), the WAL's reserve (walbuf.c) and the last failed
 * commit.  Logs the change either way. */
static void look_at_space(jc_store *st) {
    int64_t now = mono_ms(), every = st->nospace ? 200 : 50;
    if (now - st->looked_ms < every) return;
    st->looked_ms = now;
    struct statvfs v;
    int64_t freeb = statvfs(st->path, &v) == 0 ? (int64_t)v.f_bavail * (int64_t)v.f_frsize : -1;
    int64_t min = __atomic_load_n(&st->min_free, __ATOMIC_RELAXED);
    __atomic_store_n(&st->free_bytes, freeb, __ATOMIC_RELAXED);
    int roomy = freeb < 0 || freeb > min; /* 0 free is full, also with no margin asked */
    if (roomy) st->commit_full = 0;
    int low = walbuf_low();
    if (low && st->nospace) low = walbuf_probe(); /* maybe space came back */
    int full = !roomy || low || st->commit_full;
    if (full == st->nospace) return;
    __atomic_store_n(&st->nospace, full, __ATOMIC_RELEASE);
    if (full)
        jc_log(JC_LOG_ERROR, "store: the disk of %s is full (%lld MiB free for this user, %lld MiB wanted%s): "
                             "writes are refused (507) until space is freed; reading and logging in go on",
               st->path, (long long)(freeb < 0 ? 0 : freeb >> 20), (long long)(min >> 20),
               low ? "; the WAL's reserve could not be extended" : "");
    else
        jc_log(JC_LOG_WARN, "store: disk space is back for %s (%lld MiB free): writes resume", st->path,
               (long long)(freeb >> 20));
}

static void sqlite_set_min_free(jc_store *st, int64_t bytes) {
    __atomic_store_n(&st->min_free, bytes < 0 ? 0 : bytes, __ATOMIC_RELAXED);
    st->looked_ms = 0;
}

static void sqlite_health(jc_store *st, jc_store_health *out) {
    out->nospace = __atomic_load_n(&st->nospace, __ATOMIC_ACQUIRE);
    out->free_bytes = __atomic_load_n(&st->free_bytes, __ATOMIC_RELAXED);
    out->min_free = __atomic_load_n(&st->min_free, __ATOMIC_RELAXED);
}

/* The error of a job or a commit that failed with SQLite's result rc. */
static jc_err failure_of(int rc) { return (rc & 0xff) == SQLITE_FULL ? JC_ERR_NOSPACE : JC_ERR_DB; }

/* A job that failed for want of space says so (JC_ERR_NOSPACE, 507), not
 * "storage error". */
static void nospace_result(jc_conn *w, jc_write_job *j) {
    if (j->result == JC_ERR_DB && (sqlite3_extended_errcode(w->db) & 0xff) == SQLITE_FULL) j->result = JC_ERR_NOSPACE;
}

/* Runs j in a savepoint of its own: its failure undoes only its writes. */
static void run_alone(jc_conn *w, jc_write_job *j, uint64_t *failed) {
    tx(w, Q_SAVEPOINT);
    j->result = j->run(w, j->arg);
    if (j->result != JC_OK) {
        nospace_result(w, j);
        if (sqlite3_get_autocommit(w->db)) return; /* the transaction is gone: run_batch sees it */
        tx(w, Q_ROLLBACK_TO);
        w->epoch++;
        (*failed)++;
    }
    tx(w, Q_RELEASE);
}

/* A savepoint costs a copy of every page a job then touches first (SQLite
 * keeps the page as it was, to roll back to), so the jobs that may run again
 * (jc_write_job.rerun) share one: consecutive ones form a group.  A job of
 * the group that fails having written nothing costs nothing more; one that
 * fails after writing rolls the group back, and the group's jobs up to it run
 * again, each alone. */
static void run_batch(jc_store *st, jc_write_job *batch, uint64_t n) {
    jc_conn *w = st->w;
    look_at_space(st);
    int refuse = __atomic_load_n(&st->nospace, __ATOMIC_ACQUIRE), any = !refuse;
    for (jc_write_job *j = batch; j && !any; j = j->next) any = j->essential;
    int began = any && tx(w, Q_BEGIN) == SQLITE_OK;
    w->in_batch = began;
    if (began) {
        /* what another connection committed since the last batch makes the
         * kept lookups stale */
        sqlite3_stmt *dv = prep(w, Q_DATA_VERSION, "PRAGMA data_version");
        int64_t v = dv && sqlite3_step(dv) == SQLITE_ROW ? sqlite3_column_int64(dv, 0) : -1;
        if (dv) sqlite3_reset(dv);
        if (v < 0 || v != w->data_version) w->epoch++, w->outside++;
        w->data_version = v;
    }
    uint64_t failed = 0, group_failed = 0, reruns = 0;
    jc_write_job *group = NULL; /* the first job of the open group */
    jc_err lost = JC_OK;        /* SQLite rolled the whole transaction back */
    for (jc_write_job *j = batch; j; j = j->next) {
        if (refuse && !j->essential) {
            j->result = JC_ERR_NOSPACE; /* nothing of it runs */
            failed++;
            continue;
        }
        if (!began || lost) {
            j->result = lost ? lost : JC_ERR_DB;
            continue;
        }
        if (!j->rerun) {
            if (group) tx(w, Q_GROUP_RELEASE), group = NULL;
            run_alone(w, j, &failed);
            if (sqlite3_get_autocommit(w->db)) lost = j->result == JC_ERR_NOSPACE ? JC_ERR_NOSPACE : JC_ERR_DB;
            continue;
        }
        if (!group) {
            tx(w, Q_GROUP);
            group = j;
            group_failed = 0;
        }
        sqlite3_int64 before = sqlite3_total_changes64(w->db);
        j->result = j->run(w, j->arg);
        if (j->result == JC_OK) continue;
        nospace_result(w, j);
        failed++;
        if (sqlite3_get_autocommit(w->db)) {
            lost = j->result == JC_ERR_NOSPACE ? JC_ERR_NOSPACE : JC_ERR_DB;
            group = NULL;
            continue;
        }
        if (sqlite3_total_changes64(w->db) == before) {
            group_failed++; /* wrote nothing: nothing to undo */
            continue;
        }
        tx(w, Q_GROUP_ROLLBACK_TO);
        w->epoch++;
        failed -= group_failed + 1;
        for (jc_write_job *g = group;; g = g->next) {
            if (!(refuse && !g->essential)) run_alone(w, g, &failed);
            if (g == j || sqlite3_get_autocommit(w->db)) break;
        }
        if (sqlite3_get_autocommit(w->db)) {
            lost = j->result == JC_ERR_NOSPACE ? JC_ERR_NOSPACE : JC_ERR_DB;
            group = NULL;
            continue;
        }
        tx(w, Q_GROUP_RELEASE);
        group = NULL;
        reruns++;
    }
    if (group && !lost) tx(w, Q_GROUP_RELEASE);
    w->in_batch = 0;
    int crc = began && !lost ? tx(w, Q_COMMIT) : SQLITE_OK;
    if (crc != SQLITE_OK || lost) {
        /* nothing of this batch is in the database */
        jc_err e = lost ? lost : failure_of(crc);
        if (e == JC_ERR_NOSPACE) st->commit_full = 1;
        if (!sqlite3_get_autocommit(w->db)) tx(w, Q_ROLLBACK);
        w->epoch++;
        w->outside++;
        for (jc_write_job *j = batch; j; j = j->next)
            if (j->result == JC_OK) j->result = e;
        jc_log(JC_LOG_ERROR, "store: a batch of %llu writes was rolled back (%s)", (unsigned long long)n,
               jc_err_code(e));
    }
    writeq_count(&st->q, n, failed, reruns);
    if (st->syncer_started) {
        jc_write_job *last = batch;
        while (last->next) last = last->next;
        pthread_mutex_lock(&st->smu);
        if (st->sync_tail) st->sync_tail->next = batch;
        else st->sync_head = batch;
        st->sync_tail = last;
        pthread_cond_signal(&st->scv);
        pthread_mutex_unlock(&st->smu);
        return;
    }
    writeq_finish(batch);
}

/* Makes the WAL durable: fdatasync of the file behind wal_fd, reopened when
 * SQLite has replaced it (it deletes the WAL only after checkpointing all of
 * it into the database, which it syncs then). */
static void sync_wal(jc_store *st) {
    struct stat sb;
    if (fstat(st->wal_fd, &sb) == 0 && sb.st_nlink == 0) {
        int fd = open(st->wal_path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            close(st->wal_fd);
            st->wal_fd = fd;
        }
    }
    if (fdatasync(st->wal_fd) != 0) {
        /* The commits are visible but may not be on disk, and a later
         * fdatasync can report success without writing them: like
         * PostgreSQL, stop here; a restart recovers from the WAL, and no
         * write of these batches has been acknowledged. */
        jc_log(JC_LOG_ERROR, "store: fdatasync %s: %s; stopping", st->wal_path, strerror(errno));
        abort();
    }
}

static void *syncer_main(void *arg) {
    jc_store *st = arg;
    pthread_mutex_lock(&st->smu);
    for (;;) {
        while (!st->sync_head && !st->sync_stopping) pthread_cond_wait(&st->scv, &st->smu);
        if (!st->sync_head) break;
        jc_write_job *jobs = st->sync_head;
        st->sync_head = st->sync_tail = NULL;
        pthread_mutex_unlock(&st->smu);
        sync_wal(st);
        writeq_finish(jobs);
        pthread_mutex_lock(&st->smu);
    }
    pthread_mutex_unlock(&st->smu);
    return NULL;
}

static void *writer_main(void *arg) {
    jc_store *st = arg;
    jc_write_job *batch;
    uint64_t n;
    st->w->writer = pthread_self(); /* store_writer_state's check */
    st->w->writer_set = 1;
    while (writeq_take(&st->q, &batch, &n)) run_batch(st, batch, n);
    return NULL;
}

/* Switches the writer to pipelined durability when its WAL can be opened
 * (see struct jc_store); otherwise it stays synchronous=FULL. */
static void start_syncer(jc_store *st) {
    /* SQLite's own name of the WAL: beside the real file when st->path is a
     * symbolic link */
    const char *dbf = sqlite3_db_filename(st->w->db, "main");
    const char *walf = dbf && *dbf ? sqlite3_filename_wal(dbf) : NULL;
    if (walf && *walf) {
        st->wal_path = strdup(walf);
    } else {
        size_t n = strlen(st->path) + 5;
        st->wal_path = malloc(n);
        if (st->wal_path) snprintf(st->wal_path, n, "%s-wal", st->path);
    }
    if (!st->wal_path) return;
    /* a read makes SQLite create the WAL of a fresh database */
    sqlite3_exec(st->w->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    st->wal_fd = open(st->wal_path, O_RDONLY | O_CLOEXEC);
    if (st->wal_fd < 0) {
        jc_log(JC_LOG_WARN, "store: %s: %s; commits wait for the disk themselves", st->wal_path, strerror(errno));
        return;
    }
    if (sqlite3_exec(st->w->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
        close(st->wal_fd);
        st->wal_fd = -1;
        return;
    }
    if (pthread_create(&st->syncer, NULL, syncer_main, st) != 0) {
        sqlite3_exec(st->w->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
        close(st->wal_fd);
        st->wal_fd = -1;
        return;
    }
    st->syncer_started = 1;
}

static jc_err sqlite_open(const char *path, jc_store **out) {
    jc_store *st = calloc(1, sizeof *st);
    if (!st) return JC_ERR_NOMEM;
    st->ops = &store_sqlite_ops;
    st->path = jc_strdup(path);
    if (!st->path) {
        free(st);
        return JC_ERR_NOMEM;
    }
    jc_err e = conn_open_path(path, 0, &st->w);
    if (e) {
        free(st->path);
        free(st);
        return e;
    }
    st->w->epoch = 1;
    st->w->kept_cat = calloc(KEEP_N, sizeof(kept));
    st->w->kept_area = calloc(KEEP_N, sizeof(kept));
    st->w->kept_dept = calloc(KEEP_N, sizeof(kept)); /* NULL: nothing kept */
    writeq_init(&st->q);
    pthread_mutex_init(&st->smu, NULL);
    pthread_cond_init(&st->scv, NULL);
    st->wal_fd = -1;
    st->min_free = 0; /* only an actual failure; serve asks for a margin */
    st->free_bytes = -1;
    start_syncer(st);
    if (pthread_create(&st->thread, NULL, writer_main, st) != 0) {
        sqlite_close(st);
        return JC_ERR_INTERNAL;
    }
    st->thread_started = 1;
    *out = st;
    return JC_OK;
}

static void sqlite_close(jc_store *st) {
    if (!st) return;
    if (st->thread_started) {
        writeq_stop(&st->q);
        pthread_join(st->thread, NULL);
    }
    if (st->syncer_started) {
        pthread_mutex_lock(&st->smu);
        st->sync_stopping = 1;
        pthread_cond_signal(&st->scv);
        pthread_mutex_unlock(&st->smu);
        pthread_join(st->syncer, NULL); /* drains what the writer handed over */
    }
    if (st->wal_fd >= 0) close(st->wal_fd);
    sqlite_conn_close(st->w);
    writeq_destroy(&st->q);
    pthread_mutex_destroy(&st->smu);
    pthread_cond_destroy(&st->scv);
    free(st->wal_path);
    free(st->path);
    free(st);
}

static jc_err sqlite_submit(jc_store *st, jc_write_job *job) { return writeq_submit(&st->q, job); }

static jc_err sqlite_exec(jc_store *st, jc_err (*run)(jc_conn *w, void *arg), void *arg) {
    return writeq_exec(&st->q, run, arg);
}

static void sqlite_stats(jc_store *st, jc_store_stats *out) { writeq_stats(&st->q, out); }

/* ---- users and sessions ---------------------------------------------------- */

#define USER_COLS "id, name, display, role, area, dept_id, pw_hash, phone, created_at, disabled"

static void read_user(sqlite3_stmt *s, jc_user *u) {
    memset(u, 0, sizeof *u);
    u->id = sqlite3_column_int64(s, 0);
    sq_col_copy(s, 1, u->name, sizeof u->name);
    sq_col_copy(s, 2, u->display, sizeof u->display);
    int r = role_parse((const char *)sqlite3_column_text(s, 3));
    u->role = r < 0 ? ROLE_RESIDENT : (jc_role)r;
    sq_col_copy(s, 4, u->area, sizeof u->area);
    u->dept_id = sqlite3_column_int64(s, 5);
    sq_col_copy(s, 6, u->pw_hash, sizeof u->pw_hash);
    sq_col_copy(s, 7, u->phone, sizeof u->phone);
    u->created_ms = sqlite3_column_int64(s, 8);
    u->disabled = sqlite3_column_int(s, 9);
}

static jc_err sqlite_user_insert(jc_conn *w, jc_user *u) {
    sqlite3_stmt *s = prep(w, Q_USER_INSERT,
                           "INSERT INTO users(name, display, role, area, dept_id, pw_hash, phone,"
                           " created_at, disabled) VALUES(?,?,?,?,?,?,?,?,?)");
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, u->name);
    sq_bind_text_opt(s, 2, u->display);
    sq_bind_text_empty(s, 3, role_name(u->role));
    sq_bind_text_opt(s, 4, u->area);
    sq_bind_i64_opt(s, 5, u->dept_id);
    sq_bind_text_empty(s, 6, u->pw_hash);
    sq_bind_text_opt(s, 7, u->phone);
    sqlite3_bind_int64(s, 8, u->created_ms);
    sqlite3_bind_int(s, 9, u->disabled);
    jc_err e = sq_step_done(w->db, s, "sqlite", "user insert");
    if (e == JC_OK) u->id = sqlite3_last_insert_rowid(w->db);
    return e;
}

static jc_err user_one(jc_conn *c, sqlite3_stmt *s, jc_user *out) {
    int rc = sqlite3_step(s);
    jc_err e = JC_OK;
    if (rc == SQLITE_ROW) read_user(s, out);
    else if (rc == SQLITE_DONE) e = JC_ERR_NOTFOUND;
    else e = sq_fail(c->db, "sqlite", "user get");
    sqlite3_reset(s);
    return e;
}

static jc_err sqlite_user_get(jc_conn *c, int64_t id, jc_user *out) {
    sqlite3_stmt *s = prep(c, Q_USER_GET, "SELECT " USER_COLS " FROM users WHERE id=?");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    return user_one(c, s, out);
}

static jc_err sqlite_user_by_name(jc_conn *c, const char *name, jc_user *out) {
    sqlite3_stmt *s = prep(c, Q_USER_BY_NAME, "SELECT " USER_COLS " FROM users WHERE name=?");
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, name);
    return user_one(c, s, out);
}

static jc_err sqlite_user_set_password(jc_conn *w, int64_t id, const char *pw_hash) {
    sqlite3_stmt *s = prep(w, Q_USER_SETPW, "UPDATE users SET pw_hash=? WHERE id=?");
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, pw_hash);
    sqlite3_bind_int64(s, 2, id);
    jc_err e = sq_step_done(w->db, s, "sqlite", "user setpw");
    if (e == JC_OK && sqlite3_changes(w->db) == 0) e = JC_ERR_NOTFOUND;
    return e;
}

static jc_err sqlite_user_each(jc_conn *c, int (*cb)(const jc_user *u, void *arg), void *arg) {
    sqlite3_stmt *s = prep(c, Q_USER_EACH, "SELECT " USER_COLS " FROM users ORDER BY id");
    if (!s) return JC_ERR_DB;
    int rc;
    jc_user u;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        read_user(s, &u);
        if (cb(&u, arg)) break;
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(c->db, "sqlite", "user each");
}

static jc_err sqlite_session_insert(jc_conn *w, const char *token_hash, int64_t user_id,
                            int64_t created_ms, int64_t expires_ms) {
    sqlite3_stmt *s = prep(w, Q_SESS_INSERT,
                           "INSERT INTO sessions(token_hash, user_id, created_at, expires_at)"
                           " VALUES(?,?,?,?)");
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, token_hash);
    sqlite3_bind_int64(s, 2, user_id);
    sqlite3_bind_int64(s, 3, created_ms);
    sqlite3_bind_int64(s, 4, expires_ms);
    return sq_step_done(w->db, s, "sqlite", "session insert");
}

static jc_err sqlite_session_user(jc_conn *c, const char *token_hash, int64_t now_ms, jc_user *out) {
    sqlite3_stmt *s = prep(c, Q_SESS_USER,
                           "SELECT u.id, u.name, u.display, u.role, u.area, u.dept_id, u.pw_hash,"
                           " u.phone, u.created_at, u.disabled FROM sessions s JOIN users u"
                           " ON u.id = s.user_id WHERE s.token_hash=? AND s.expires_at > ?"
                           " AND u.disabled = 0");
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, token_hash);
    sqlite3_bind_int64(s, 2, now_ms);
    jc_err e = user_one(c, s, out);
    return e == JC_ERR_NOTFOUND ? JC_ERR_AUTH : e;
}

static jc_err sqlite_session_delete(jc_conn *w, const char *token_hash) {
    sqlite3_stmt *s = prep(w, Q_SESS_DELETE, "DELETE FROM sessions WHERE token_hash=?");
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, token_hash);
    return sq_step_done(w->db, s, "sqlite", "session delete");
}

static jc_err sqlite_sessions_delete_user(jc_conn *w, int64_t user_id) {
    sqlite3_stmt *s = prep(w, Q_SESS_DELETE_USER, "DELETE FROM sessions WHERE user_id=?");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, user_id);
    return sq_step_done(w->db, s, "sqlite", "sessions delete");
}

/* ---- catalogue ------------------------------------------------------------ */

static jc_err sqlite_area_put(jc_conn *w, const jc_area *a) {
    store_sqlite_touch(w);
    sqlite3_stmt *s = prep(w, Q_AREA_PUT,
                           "INSERT INTO areas(code, parent, level, name, geojson) VALUES(?,?,?,?,?)"
                           " ON CONFLICT(code) DO UPDATE SET parent=excluded.parent,"
                           " level=excluded.level, name=excluded.name, geojson=excluded.geojson");
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, a->code);
    sq_bind_text_opt(s, 2, a->parent);
    sq_bind_text_empty(s, 3, a->level);
    sq_bind_text_empty(s, 4, a->name);
    sq_bind_text_opt(s, 5, a->geojson);
    return sq_step_done(w->db, s, "sqlite", "area put");
}

static void read_area(sqlite3_stmt *s, jc_area *a) {
    memset(a, 0, sizeof *a);
    sq_col_copy(s, 0, a->code, sizeof a->code);
    sq_col_copy(s, 1, a->parent, sizeof a->parent);
    sq_col_copy(s, 2, a->level, sizeof a->level);
    sq_col_copy(s, 3, a->name, sizeof a->name);
    a->geojson = sq_col_dup(s, 4);
}

static jc_err sqlite_area_get(jc_conn *c, const char *code, jc_area *out) {
    sqlite3_stmt *s = prep(c, Q_AREA_GET,
                           "SELECT code, parent, level, name, geojson FROM areas WHERE code=?");
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, code);
    int rc = sqlite3_step(s);
    jc_err e = rc == SQLITE_ROW ? JC_OK : rc == SQLITE_DONE ? JC_ERR_NOTFOUND : JC_ERR_DB;
    if (rc == SQLITE_ROW) read_area(s, out);
    sqlite3_reset(s);
    return e;
}

static jc_err sqlite_area_exists(jc_conn *c, const char *code) {
    const kept *k = keep_get(c, c->kept_area, code);
    if (k) return k->e;
    sqlite3_stmt *s = prep(c, Q_AREA_EXISTS, "SELECT 1 FROM areas WHERE code=?");
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, code);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    jc_err e = rc == SQLITE_ROW ? JC_OK : rc == SQLITE_DONE ? JC_ERR_NOTFOUND : JC_ERR_DB;
    keep_put(c, c->kept_area, code, e);
    return e;
}

static jc_err sqlite_area_each(jc_conn *c, int (*cb)(const jc_area *a, void *arg), void *arg) {
    sqlite3_stmt *s = prep(c, Q_AREA_EACH,
                           "SELECT code, parent, level, name, geojson FROM areas ORDER BY code");
    if (!s) return JC_ERR_DB;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        jc_area a;
        read_area(s, &a);
        int stop = cb(&a, arg);
        area_clear(&a);
        if (stop) break;
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(c->db, "sqlite", "area each");
}

static void read_dept(sqlite3_stmt *s, jc_dept *d) {
    memset(d, 0, sizeof *d);
    d->id = sqlite3_column_int64(s, 0);
    sq_col_copy(s, 1, d->code, sizeof d->code);
    sq_col_copy(s, 2, d->name, sizeof d->name);
    sq_col_copy(s, 3, d->name_en, sizeof d->name_en);
}

static jc_err sqlite_dept_put(jc_conn *w, jc_dept *d) {
    jc_dept old;
    jc_err e = sqlite_dept_by_code(w, d->code, &old);
    if (e == JC_OK) {
        sqlite3_stmt *s = prep(w, Q_DEPT_UPDATE, "UPDATE depts SET name=?, name_en=? WHERE id=?");
        if (!s) return JC_ERR_DB;
        sq_bind_text_empty(s, 1, d->name);
        sq_bind_text_opt(s, 2, d->name_en);
        sqlite3_bind_int64(s, 3, old.id);
        d->id = old.id;
        store_sqlite_touch(w);
        return sq_step_done(w->db, s, "sqlite", "dept update");
    }
    if (e != JC_ERR_NOTFOUND) return e;
    sqlite3_stmt *s = prep(w, Q_DEPT_INSERT, "INSERT INTO depts(code, name, name_en) VALUES(?,?,?)");
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, d->code);
    sq_bind_text_empty(s, 2, d->name);
    sq_bind_text_opt(s, 3, d->name_en);
    e = sq_step_done(w->db, s, "sqlite", "dept insert");
    store_sqlite_touch(w); /* the lookup above kept "not found" */
    if (e == JC_OK) d->id = sqlite3_last_insert_rowid(w->db);
    return e;
}

static jc_err dept_one(jc_conn *c, sqlite3_stmt *s, jc_dept *out) {
    int rc = sqlite3_step(s);
    jc_err e = rc == SQLITE_ROW ? JC_OK : rc == SQLITE_DONE ? JC_ERR_NOTFOUND : JC_ERR_DB;
    if (rc == SQLITE_ROW) read_dept(s, out);
    if (e == JC_ERR_DB) sq_fail(c->db, "sqlite", "dept get");
    sqlite3_reset(s);
    return e;
}

static jc_err sqlite_dept_get(jc_conn *c, int64_t id, jc_dept *out) {
    sqlite3_stmt *s = prep(c, Q_DEPT_GET, "SELECT id, code, name, name_en FROM depts WHERE id=?");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    return dept_one(c, s, out);
}

static jc_err sqlite_dept_by_code(jc_conn *c, const char *code, jc_dept *out) {
    const kept *k = keep_get(c, c->kept_dept, code);
    if (k) {
        if (!k->e) *out = k->dept;
        return k->e;
    }
    sqlite3_stmt *s =
        prep(c, Q_DEPT_BY_CODE, "SELECT id, code, name, name_en FROM depts WHERE code=?");
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, code);
    jc_err e = dept_one(c, s, out);
    kept *put = keep_put(c, c->kept_dept, code, e);
    if (put && !e) put->dept = *out;
    return e;
}

static jc_err sqlite_dept_each(jc_conn *c, int (*cb)(const jc_dept *d, void *arg), void *arg) {
    sqlite3_stmt *s = prep(c, Q_DEPT_EACH, "SELECT id, code, name, name_en FROM depts ORDER BY id");
    if (!s) return JC_ERR_DB;
    int rc;
    jc_dept d;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        read_dept(s, &d);
        if (cb(&d, arg)) break;
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(c->db, "sqlite", "dept each");
}

#define CAT_COLS "code, name, name_en, parent, kind, dept_code, accept_h, handle_h, verify_h, urgent, fields"

static void read_category(sqlite3_stmt *s, jc_category *k) {
    memset(k, 0, sizeof *k);
    sq_col_copy(s, 0, k->code, sizeof k->code);
    sq_col_copy(s, 1, k->name, sizeof k->name);
    sq_col_copy(s, 2, k->name_en, sizeof k->name_en);
    sq_col_copy(s, 3, k->parent, sizeof k->parent);
    sq_col_copy(s, 4, k->kind, sizeof k->kind);
    sq_col_copy(s, 5, k->dept_code, sizeof k->dept_code);
    k->accept_h = sqlite3_column_double(s, 6);
    k->handle_h = sqlite3_column_double(s, 7);
    k->verify_h = sqlite3_column_double(s, 8);
    k->urgent = sqlite3_column_int(s, 9);
    k->fields = sq_col_dup(s, 10);
}

static jc_err sqlite_category_put(jc_conn *w, const jc_category *k) {
    store_sqlite_touch(w);
    sqlite3_stmt *s = prep(w, Q_CAT_PUT,
                           "INSERT INTO categories(" CAT_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?)"
                           " ON CONFLICT(code) DO UPDATE SET name=excluded.name,"
                           " name_en=excluded.name_en, parent=excluded.parent, kind=excluded.kind,"
                           " dept_code=excluded.dept_code, accept_h=excluded.accept_h,"
                           " handle_h=excluded.handle_h, verify_h=excluded.verify_h,"
                           " urgent=excluded.urgent, fields=excluded.fields");
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, k->code);
    sq_bind_text_empty(s, 2, k->name);
    sq_bind_text_opt(s, 3, k->name_en);
    sq_bind_text_opt(s, 4, k->parent);
    sq_bind_text_empty(s, 5, k->kind);
    sq_bind_text_opt(s, 6, k->dept_code);
    sqlite3_bind_double(s, 7, k->accept_h);
    sqlite3_bind_double(s, 8, k->handle_h);
    sqlite3_bind_double(s, 9, k->verify_h);
    sqlite3_bind_int(s, 10, k->urgent);
    sq_bind_text_opt(s, 11, k->fields);
    return sq_step_done(w->db, s, "sqlite", "category put");
}

static jc_err sqlite_category_urgent(jc_conn *c, const char *code, int *urgent) {
    const kept *k = keep_get(c, c->kept_cat, code);
    if (k) {
        if (!k->e) *urgent = k->urgent;
        return k->e;
    }
    sqlite3_stmt *s = prep(c, Q_CAT_URGENT, "SELECT urgent FROM categories WHERE code=?");
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, code);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *urgent = sqlite3_column_int(s, 0);
    sqlite3_reset(s);
    jc_err e = rc == SQLITE_ROW ? JC_OK : rc == SQLITE_DONE ? JC_ERR_NOTFOUND : JC_ERR_DB;
    kept *put = keep_put(c, c->kept_cat, code, e);
    if (put && !e) put->urgent = *urgent;
    return e;
}

static jc_err sqlite_category_get(jc_conn *c, const char *code, jc_category *out) {
    sqlite3_stmt *s = prep(c, Q_CAT_GET, "SELECT " CAT_COLS " FROM categories WHERE code=?");
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, code);
    int rc = sqlite3_step(s);
    jc_err e = rc == SQLITE_ROW ? JC_OK : rc == SQLITE_DONE ? JC_ERR_NOTFOUND : JC_ERR_DB;
    if (rc == SQLITE_ROW) read_category(s, out);
    sqlite3_reset(s);
    return e;
}

static jc_err sqlite_category_each(jc_conn *c, int (*cb)(const jc_category *k, void *arg), void *arg) {
    sqlite3_stmt *s = prep(c, Q_CAT_EACH, "SELECT " CAT_COLS " FROM categories ORDER BY code");
    if (!s) return JC_ERR_DB;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        jc_category k;
        read_category(s, &k);
        int stop = cb(&k, arg);
        category_clear(&k);
        if (stop) break;
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(c->db, "sqlite", "category each");
}

/* ---- cases ------------------------------------------------------------------ */

#define CASE_COLS STORE_CASE_COLS

static void read_case(sqlite3_stmt *s, jc_case *k) {
    memset(k, 0, sizeof *k);
    k->id = sqlite3_column_int64(s, 0);
    k->title = sq_col_dup(s, 1);
    k->body = sq_col_dup(s, 2);
    sq_col_copy(s, 3, k->category, sizeof k->category);
    sq_col_copy(s, 4, k->source, sizeof k->source);
    int st = state_parse((const char *)sqlite3_column_text(s, 5));
    k->state = st < 0 ? ST__COUNT : (jc_state)st;
    sq_col_copy(s, 6, k->area, sizeof k->area);
    k->has_point = sqlite3_column_type(s, 7) != SQLITE_NULL;
    k->lon = sqlite3_column_double(s, 7);
    k->lat = sqlite3_column_double(s, 8);
    k->address = sq_col_dup(s, 9);
    k->reporter_id = sqlite3_column_int64(s, 10);
    sq_col_copy(s, 11, k->phone, sizeof k->phone);
    k->dept_id = sqlite3_column_int64(s, 12);
    k->priority = sqlite3_column_int(s, 13);
    k->deadline_ms = sqlite3_column_int64(s, 14);
    int hf = state_parse((const char *)sqlite3_column_text(s, 15));
    k->held_from = hf < 0 ? ST__COUNT : (jc_state)hf;
    k->merged_into = sqlite3_column_int64(s, 16);
    k->escalation = sqlite3_column_int(s, 17);
    sq_col_copy(s, 18, k->rating, sizeof k->rating);
    k->extra = sq_col_dup(s, 19);
    k->created_ms = sqlite3_column_int64(s, 20);
    k->updated_ms = sqlite3_column_int64(s, 21);
    k->version = sqlite3_column_int64(s, 22);
    k->flags = (unsigned)sqlite3_column_int(s, 23);
    k->assignee_id = sqlite3_column_int64(s, 24);
}

void store_sqlite_case_row(sqlite3_stmt *s, jc_case *out) { read_case(s, out); }

/* Texts bound without a copy (v or "", or NULL for an absent or empty v):
 * for values that outlive the step that follows at once; prep clears the
 * bindings before a statement runs again. */
static void bind_static(sqlite3_stmt *s, int i, const char *v) {
    sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_STATIC);
}

static void bind_static_opt(sqlite3_stmt *s, int i, const char *v) {
    if (v && *v) sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else sqlite3_bind_null(s, i);
}

/* Binds the mutable and immutable fields in CASE_COLS order from column 2. */
static void bind_case(sqlite3_stmt *s, const jc_case *k) {
    bind_static(s, 1, k->title);
    bind_static(s, 2, k->body);
    bind_static(s, 3, k->category);
    bind_static(s, 4, k->source);
    bind_static(s, 5, state_name(k->state));
    bind_static(s, 6, k->area);
    if (k->has_point) {
        sqlite3_bind_double(s, 7, k->lon);
        sqlite3_bind_double(s, 8, k->lat);
    } else {
        sqlite3_bind_null(s, 7);
        sqlite3_bind_null(s, 8);
    }
    bind_static_opt(s, 9, k->address);
    sq_bind_i64_opt(s, 10, k->reporter_id);
    bind_static_opt(s, 11, k->phone);
    sq_bind_i64_opt(s, 12, k->dept_id);
    sqlite3_bind_int(s, 13, k->priority);
    sq_bind_i64_opt(s, 14, k->deadline_ms);
    bind_static_opt(s, 15, k->held_from < ST__COUNT ? state_name(k->held_from) : NULL);
    sq_bind_i64_opt(s, 16, k->merged_into);
    sqlite3_bind_int(s, 17, k->escalation);
    bind_static_opt(s, 18, k->rating);
    bind_static_opt(s, 19, k->extra);
    sqlite3_bind_int64(s, 20, k->created_ms);
    sqlite3_bind_int64(s, 21, k->updated_ms);
    sqlite3_bind_int64(s, 22, k->version);
    sqlite3_bind_int(s, 23, (int)k->flags);
    sq_bind_i64_opt(s, 24, k->assignee_id);
}

static jc_err sqlite_case_insert(jc_conn *w, jc_case *k) {
    /* ?25: the id reserved for an unsaved row, else NULL (the next rowid) */
    sqlite3_stmt *s = prep(w, Q_CASE_INSERT,
                           "INSERT INTO cases(title, body, category, source, state, area, lon, lat,"
                           " address, reporter_id, phone, dept_id, priority, deadline_at, held_from,"
                           " merged_into, escalation, rating, extra, created_at, updated_at,"
                           " version, flags, assignee_id, id)"
                           " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?25)");
    if (!s) return JC_ERR_DB;
    if (k->version == 0) k->version = 1;
    bind_case(s, k);
    if (k->unsaved) sqlite3_bind_int64(s, 25, k->id);
    else sqlite3_bind_null(s, 25);
    jc_err e = sq_step_done(w->db, s, "sqlite", "case insert");
    if (e == JC_OK) k->id = sqlite3_last_insert_rowid(w->db), k->unsaved = 0;
    return e;
}

static jc_err sqlite_case_reserve(jc_conn *w, jc_case *k) {
    sqlite3_stmt *s = prep(w, Q_CASE_NEXT_ID, "SELECT COALESCE(max(id), 0) + 1 FROM cases");
    if (!s) return JC_ERR_DB;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) k->id = sqlite3_column_int64(s, 0), k->unsaved = 1;
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? JC_OK : sq_fail(w->db, "sqlite", "case reserve");
}

static jc_err sqlite_case_get(jc_conn *c, int64_t id, jc_case *out) {
    sqlite3_stmt *s = prep(c, Q_CASE_GET, "SELECT " CASE_COLS " FROM cases WHERE id=?");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    jc_err e = rc == SQLITE_ROW ? JC_OK : rc == SQLITE_DONE ? JC_ERR_NOTFOUND : JC_ERR_DB;
    if (rc == SQLITE_ROW) read_case(s, out);
    if (e == JC_ERR_DB) sq_fail(c->db, "sqlite", "case get");
    sqlite3_reset(s);
    return e;
}

static jc_err sqlite_case_update(jc_conn *w, jc_case *k) {
    if (k->unsaved) {
        k->version++;
        jc_err e = sqlite_case_insert(w, k);
        if (e) k->version--;
        return e;
    }
    sqlite3_stmt *s = prep(w, Q_CASE_UPDATE,
                           /* the reporter and the creation time never change: leaving them
                            * out of SET spares their indexes on every update */
                           "UPDATE cases SET title=?1, body=?2, category=?3, source=?4, state=?5,"
                           " area=?6, lon=?7, lat=?8, address=?9, phone=?11, dept_id=?12,"
                           " priority=?13, deadline_at=?14, held_from=?15, merged_into=?16,"
                           " escalation=?17, rating=?18, extra=?19, updated_at=?21, version=?22,"
                           " flags=?23, assignee_id=?24 WHERE id=?25");
    if (!s) return JC_ERR_DB;
    k->version++;
    bind_case(s, k);
    sqlite3_bind_int64(s, 25, k->id);
    jc_err e = sq_step_done(w->db, s, "sqlite", "case update");
    if (e == JC_OK && sqlite3_changes(w->db) == 0) e = JC_ERR_NOTFOUND;
    if (e) k->version--;
    return e;
}

static jc_err sqlite_case_each(jc_conn *c, const jc_case_filter *f,
                       int (*cb)(const jc_case *k, void *arg), void *arg) {
    /* Built per call: the filter combination varies; values are bound. */
    jc_buf sql;
    jc_buf_init(&sql, 4096);
    jc_err e = jc_buf_puts(&sql, "SELECT " CASE_COLS " FROM cases WHERE 1=1");
    if (!e && f->state) e = jc_buf_puts(&sql, " AND state=:state");
    if (!e && f->category) e = jc_buf_puts(&sql, " AND category=:cat");
    if (!e && f->area_prefix && *f->area_prefix)
        e = jc_buf_puts(&sql, " AND area >= :area AND area < :area || 'z'");
    if (!e && f->dept_id) e = jc_buf_puts(&sql, " AND dept_id=:dept");
    if (!e && f->reporter_id) e = jc_buf_puts(&sql, " AND reporter_id=:rep");
    if (!e && f->open_only)
        e = jc_buf_puts(&sql, " AND state NOT IN('closed','rated','voided','merged')");
    if (!e && f->before_id) e = jc_buf_puts(&sql, " AND id < :before");
    if (!e && f->flags) e = jc_buf_puts(&sql, " AND (flags & :flags) = :flags");
    if (!e && f->escalated) e = jc_buf_puts(&sql, " AND escalation > 0");
    if (!e && f->assignee_id) e = jc_buf_puts(&sql, " AND assignee_id = :assignee");
    if (!e && f->involved_dept) /* as dispatch_dept_involved, plus the lead */
        e = jc_buf_puts(&sql, " AND (dept_id = :inv OR id IN (SELECT case_id FROM case_owner WHERE dept_id = :inv"
                              " AND end_at IS NULL) OR id IN (SELECT wh.case_id FROM whistles wh JOIN"
                              " whistle_members m ON m.whistle_id = wh.id WHERE m.dept_id = :inv))");
    if (!e) e = jc_buf_puts(&sql, " ORDER BY id DESC LIMIT :limit");
    if (e) {
        jc_buf_free(&sql);
        return e;
    }
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(c->db, sql.data, -1, &s, NULL) != SQLITE_OK) {
        jc_buf_free(&sql);
        return sq_fail(c->db, "sqlite", "case list");
    }
    jc_buf_free(&sql);
#define BINDN(name, fn, ...)                                      \
    do {                                                          \
        int i_ = sqlite3_bind_parameter_index(s, name);           \
        if (i_) fn(s, i_, __VA_ARGS__);                           \
    } while (0)
    if (f->state) BINDN(":state", sqlite3_bind_text, f->state, -1, SQLITE_TRANSIENT);
    if (f->category) BINDN(":cat", sqlite3_bind_text, f->category, -1, SQLITE_TRANSIENT);
    if (f->area_prefix && *f->area_prefix)
        BINDN(":area", sqlite3_bind_text, f->area_prefix, -1, SQLITE_TRANSIENT);
    if (f->dept_id) BINDN(":dept", sqlite3_bind_int64, f->dept_id);
    if (f->reporter_id) BINDN(":rep", sqlite3_bind_int64, f->reporter_id);
    if (f->before_id) BINDN(":before", sqlite3_bind_int64, f->before_id);
    if (f->flags) BINDN(":flags", sqlite3_bind_int, (int)f->flags);
    if (f->assignee_id) BINDN(":assignee", sqlite3_bind_int64, f->assignee_id);
    if (f->involved_dept) BINDN(":inv", sqlite3_bind_int64, f->involved_dept);
    BINDN(":limit", sqlite3_bind_int, f->limit > 0 && f->limit <= 500 ? f->limit : 50);
#undef BINDN
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        jc_case k;
        read_case(s, &k);
        int stop = cb(&k, arg);
        case_clear(&k);
        if (stop) break;
    }
    e = rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(c->db, "sqlite", "case list step");
    sqlite3_finalize(s);
    return e;
}

static jc_err sqlite_case_scan(jc_conn *c, int64_t only_id, int (*cb)(const jc_case *k, void *arg),
                       void *arg) {
    sqlite3_stmt *s = NULL;
    const char *sql = only_id > 0 ? "SELECT " CASE_COLS " FROM cases WHERE id=?"
                                  : "SELECT " CASE_COLS " FROM cases ORDER BY id";
    if (sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) != SQLITE_OK) return sq_fail(c->db, "sqlite", "case scan");
    if (only_id > 0) sqlite3_bind_int64(s, 1, only_id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        jc_case k;
        read_case(s, &k);
        int stop = cb(&k, arg);
        case_clear(&k);
        if (stop) break;
    }
    jc_err e = rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(c->db, "sqlite", "case scan step");
    sqlite3_finalize(s);
    return e;
}

static jc_err sqlite_case_count_by_state(jc_conn *c, int (*cb)(const char *state, int64_t n, void *arg),
                                 void *arg) {
    sqlite3_stmt *s =
        prep(c, Q_CASE_COUNT_STATE, "SELECT state, count(*) FROM cases GROUP BY state");
    if (!s) return JC_ERR_DB;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (cb((const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1), arg)) break;
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(c->db, "sqlite", "count by state");
}

/* ---- audit ---------------------------------------------------------------- */

#define AUDIT_COLS_HEAD                                                                  \
    "seq, case_id, at, actor_id, actor, role, action, from_state, to_state, reason,"     \
    " payload_hash, state_hash, "
#define AUDIT_COLS AUDIT_COLS_HEAD "prev_hash, hash"
/* The columns with prev_hash as it reads (SQ_AUDIT_PREV_HASH) */
#define AUDIT_COLS_PREV AUDIT_COLS_HEAD SQ_AUDIT_PREV_HASH ", hash"

/* A hash column as lower-case hex.  Rows store each hash as its 32 bytes,
 * and the hash of an empty payload (most system entries) as a zero-length
 * value: ~190 bytes less per entry than the hex text that rows written
 * before hold, which still reads as it is.  Bytes of another length read
 * as no hash (so a tampered value still fails verification). */
static void col_hash(sqlite3_stmt *s, int i, char out[65]) {
    if (sqlite3_column_type(s, i) != SQLITE_BLOB) {
        sq_col_copy(s, i, out, 65);
        return;
    }
    int n = sqlite3_column_bytes(s, i);
    if (n == 0) memcpy(out, chain_empty_payload_hash(), 65);
    else if (n == 32) jc_hex(sqlite3_column_blob(s, i), 32, out);
    else snprintf(out, 65, "(%d bytes)", n);
}

static void read_audit(sqlite3_stmt *s, jc_audit *e) {
    memset(e, 0, sizeof *e);
    e->seq = sqlite3_column_int64(s, 0);
    e->case_id = sqlite3_column_int64(s, 1);
    e->at_ms = sqlite3_column_int64(s, 2);
    e->actor_id = sqlite3_column_int64(s, 3);
    sq_col_copy(s, 4, e->actor, sizeof e->actor);
    sq_col_copy(s, 5, e->role, sizeof e->role);
    sq_col_copy(s, 6, e->action, sizeof e->action);
    sq_col_copy(s, 7, e->from_state, sizeof e->from_state);
    sq_col_copy(s, 8, e->to_state, sizeof e->to_state);
    e->reason = sq_col_dup(s, 9);
    col_hash(s, 10, e->payload_hash);
    col_hash(s, 11, e->state_hash);
    col_hash(s, 12, e->prev_hash);
    col_hash(s, 13, e->hash);
}

/* Binds the hex hash h as its 32 bytes, decoded into b (which must outlive
 * the step), the empty-payload hash as a zero-length value; anything else as
 * the text it is. */
static void bind_hash(sqlite3_stmt *s, int i, const char *h, unsigned char b[32]) {
    if (!strcmp(h, chain_empty_payload_hash())) {
        sqlite3_bind_zeroblob(s, i, 0);
    } else if (jc_unhex(h, b, 32) == 0) {
        sqlite3_bind_blob(s, i, b, 32, SQLITE_STATIC);
    } else {
        sqlite3_bind_text(s, i, h, -1, SQLITE_STATIC);
    }
}

jc_err store_sqlite_audit_tail(jc_conn *c, int64_t *seq, char hash[65]) {
    sqlite3_stmt *s = prep(c, Q_AUDIT_TAIL, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
    if (!s) return JC_ERR_DB;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *seq = sqlite3_column_int64(s, 0);
        col_hash(s, 1, hash);
    } else if (rc == SQLITE_DONE) {
        *seq = 0;
        chain_genesis(hash);
    } else {
        sqlite3_reset(s);
        return sq_fail(c->db, "sqlite", "audit tail");
    }
    sqlite3_reset(s);
    return JC_OK;
}

jc_err store_sqlite_audit_insert(jc_conn *w, const jc_audit *e) {
    sqlite3_stmt *s = prep(w, Q_AUDIT_INSERT, "INSERT INTO audit(" AUDIT_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!s) return JC_ERR_DB;
    /* e outlives the step: its texts are bound without a copy */
#define BIND_STR(i, v) sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC)
#define BIND_OPT(i, v) ((v) && *(v) ? BIND_STR(i, v) : sqlite3_bind_null(s, i))
    sqlite3_bind_int64(s, 1, e->seq);
    sq_bind_i64_opt(s, 2, e->case_id);
    sqlite3_bind_int64(s, 3, e->at_ms);
    sq_bind_i64_opt(s, 4, e->actor_id);
    BIND_STR(5, e->actor);
    BIND_STR(6, e->role);
    BIND_STR(7, e->action);
    BIND_OPT(8, e->from_state);
    BIND_OPT(9, e->to_state);
    BIND_OPT(10, e->reason);
    unsigned char hb[3][32];
    bind_hash(s, 11, e->payload_hash, hb[0]);
    if (e->state_hash[0]) bind_hash(s, 12, e->state_hash, hb[1]);
    else sqlite3_bind_null(s, 12);
    sqlite3_bind_zeroblob(s, 13, 0); /* prev_hash: the hash of entry seq - 1 (migration 3) */
    bind_hash(s, 14, e->hash, hb[2]);
#undef BIND_STR
#undef BIND_OPT
    return sq_step_done(w->db, s, "sqlite", "audit insert");
}

static jc_err sqlite_audit_append(jc_conn *w, jc_audit *e) {
    jc_err err = store_sqlite_audit_tail(w, &e->seq, e->prev_hash);
    if (err) return err;
    e->seq++;
    chain_entry_hash(e, e->hash);
    return store_sqlite_audit_insert(w, e);
}

static jc_err sqlite_audit_each(jc_conn *c, int64_t case_id, int (*cb)(const jc_audit *e, void *arg),
                        void *arg) {
    sqlite3_stmt *s;
    if (case_id < 0) {
        /* in seq order a derived prev_hash is the hash read just before */
        s = prep(c, Q_AUDIT_ALL, "SELECT " AUDIT_COLS " FROM audit ORDER BY seq");
    } else {
        s = prep(c, Q_AUDIT_CASE, "SELECT " AUDIT_COLS_PREV " FROM audit a WHERE case_id=? ORDER BY seq");
        if (s) sqlite3_bind_int64(s, 1, case_id);
    }
    if (!s) return JC_ERR_DB;
    int rc;
    int64_t last_seq = 0;
    char last_hash[65];
    chain_genesis(last_hash);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        jc_audit e;
        read_audit(s, &e);
        if (case_id < 0 && sqlite3_column_type(s, 12) == SQLITE_BLOB && sqlite3_column_bytes(s, 12) == 0) {
            if (e.seq == last_seq + 1) memcpy(e.prev_hash, last_hash, 65);
            else e.prev_hash[0] = 0; /* entry seq - 1 is missing */
        }
        last_seq = e.seq;
        memcpy(last_hash, e.hash, 65);
        int stop = cb(&e, arg);
        audit_clear(&e);
        if (stop) break;
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(c->db, "sqlite", "audit each");
}

/* A hash column for the walk: its bytes as stored (the empty payload's hash
 * for a zero-length value), or parsed from the hex text older rows hold;
 * what else it holds as the text col_hash gives it, in buf.  The walk reads
 * a column through its sqlite3_value (one call into the statement, not two
 * or three: they were a third of the reading's time); the connection has
 * no mutex, so the value needs none. */
static void col_hash_raw(sqlite3_value *v, jc_hash_col *h, char buf[65], const unsigned char empty[32]) {
    int t = sqlite3_value_type(v);
    if (t == SQLITE_BLOB) {
        const void *p = sqlite3_value_blob(v);
        int n = sqlite3_value_bytes(v);
        h->text = NULL;
        if (n == 32) memcpy(h->b, p, 32);
        else if (n == 0) memcpy(h->b, empty, 32);
        else snprintf(buf, 65, "(%d bytes)", n), h->text = buf;
        return;
    }
    const unsigned char *p = t == SQLITE_NULL ? NULL : sqlite3_value_text(v);
    size_t n = p ? (size_t)sqlite3_value_bytes(v) : 0;
    if (n > 64) n = 64;
    if (n) memcpy(buf, p, n);
    buf[n] = 0;
    chain_hash_col_from_text(h, buf);
}

static void col_text_raw(sqlite3_value *v, jc_audit_raw *e, int k) {
    const unsigned char *t = sqlite3_value_type(v) == SQLITE_NULL ? NULL : sqlite3_value_text(v);
    e->text[k].p = t ? (const char *)t : "";
    e->text[k].n = t ? (size_t)sqlite3_value_bytes(v) : 0;
}

/* A row of SELECT AUDIT_COLS as e, its prev_hash derived from *last (the
 * hash of the row read before, of seq *last_seq) when it is; then *last is
 * this row's hash (its text, if any, in one of lt's two buffers). */
typedef struct {
    int64_t last_seq;
    jc_hash_col last;
    char last_text[2][65], buf[4][65];
    int lt;
    unsigned char empty[32];
} raw_reader;

static jc_err raw_reader_init(raw_reader *r) {
    memset(r, 0, sizeof *r); /* last: the genesis value, after entry 0 */
    return jc_unhex(chain_empty_payload_hash(), r->empty, sizeof r->empty) ? JC_ERR_INTERNAL : JC_OK;
}

static void raw_row(sqlite3_stmt *s, raw_reader *r, jc_audit_raw *e) {
    e->seq = sqlite3_column_int64(s, 0);
    e->case_id = sqlite3_column_int64(s, 1);
    e->at_ms = sqlite3_column_int64(s, 2);
    e->actor_id = sqlite3_column_int64(s, 3);
    for (int k = 0; k < JC_AR__COUNT; k++) col_text_raw(sqlite3_column_value(s, 4 + k), e, k);
    col_hash_raw(sqlite3_column_value(s, 10), &e->payload_hash, r->buf[0], r->empty);
    col_hash_raw(sqlite3_column_value(s, 11), &e->state_hash, r->buf[1], r->empty);
    sqlite3_value *prev = sqlite3_column_value(s, 12);
    if (sqlite3_value_type(prev) == SQLITE_BLOB && sqlite3_value_bytes(prev) == 0) {
        /* derived (migration 3): the hash of entry seq - 1 */
        if (e->seq == r->last_seq + 1) e->prev_hash = r->last;
        else e->prev_hash.text = ""; /* entry seq - 1 is missing */
    } else {
        col_hash_raw(prev, &e->prev_hash, r->buf[2], r->empty);
    }
    col_hash_raw(sqlite3_column_value(s, 13), &e->hash, r->buf[3], r->empty);
    r->last_seq = e->seq;
    r->last = e->hash;
    /* (e->prev_hash may point at the other copy) */
    if (r->last.text) r->last.text = memcpy(r->last_text[r->lt ^= 1], r->last.text, strlen(r->last.text) + 1);
}

/* The whole chain for its verification: the columns as they are, no hex and
 * no copies (converting every row to a jc_audit cost four times the scan). */
static jc_err sqlite_audit_walk(jc_conn *c, int (*cb)(const jc_audit_raw *e, void *arg), void *arg) {
    raw_reader r;
    if (raw_reader_init(&r)) return JC_ERR_INTERNAL;
    sqlite3_stmt *s = prep(c, Q_AUDIT_ALL, "SELECT " AUDIT_COLS " FROM audit ORDER BY seq");
    if (!s) return JC_ERR_DB;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        jc_audit_raw e;
        raw_row(s, &r, &e);
        if (cb(&e, arg)) break;
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(c->db, "sqlite", "audit walk");
}

/* ---- the chain read on several connections (store_audit_walk_par) ----------
 * The seq range 1..M (M the last seq of the caller's snapshot) in chunks of
 * WALK_CHUNK seqs; each reading thread takes the next chunk, reads it on its
 * own read-only connection and runs work on every row into the chunk's
 * slots; the calling thread runs each on them in seq order.  Entries are
 * only ever appended, so the rows up to M read alike on the readers' later
 * snapshots.  A chunk's reading starts at the row before it: a derived
 * prev_hash is that row's hash. */

#define WALK_CHUNK 4096

typedef struct {
    int64_t k;    /* the chunk held; -1 none */
    int ready;    /* read (or failed) */
    int n;        /* slots filled */
    unsigned char *slots;
} walk_buf;

typedef struct {
    const char *path;
    int64_t last_seq, nchunks;
    size_t slot_size;
    void (*work)(const jc_audit_raw *e, void *slot, void *arg);
    void *arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int64_t next, consumed; /* the next chunk to read; chunks the caller is done with */
    int nbuf;
    walk_buf *buf;
    int quit;
    jc_err err;
} walk_par;

static jc_err walk_chunk(walk_par *w, sqlite3_stmt *s, int64_t k, walk_buf *b) {
    int64_t lo = 1 + k * WALK_CHUNK, hi = k + 1 == w->nchunks ? w->last_seq + 1 : lo + WALK_CHUNK;
    raw_reader r;
    if (raw_reader_init(&r)) return JC_ERR_INTERNAL;
    if (k > 0) r.last_seq = INT64_MIN; /* until the row before the chunk is read */
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, k == 0 ? INT64_MIN : lo - 1);
    sqlite3_bind_int64(s, 2, hi);
    int rc;
    b->n = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        jc_audit_raw e;
        raw_row(s, &r, &e);
        if (e.seq < lo && k > 0) continue; /* the row before: r holds its hash */
        /* (seqs are unique: only chunk 0 holds more rows, of seqs below 1,
         * the first of which fails the chain already) */
        if (b->n == WALK_CHUNK + 1) break;
        w->work(&e, b->slots + (size_t)b->n * w->slot_size, w->arg);
        b->n++;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? JC_OK : sq_fail(sqlite3_db_handle(s), "sqlite", "audit walk");
}

static void *walk_main(void *arg) {
    walk_par *w = arg;
    jc_conn *c = NULL;
    sqlite3_stmt *s = NULL;
    jc_err err = conn_open_path(w->path, 1, &c);
    if (!err && sqlite3_prepare_v2(c->db, "SELECT " AUDIT_COLS " FROM audit WHERE seq >= ? AND seq < ? ORDER BY seq",
                                   -1, &s, NULL) != SQLITE_OK)
        err = sq_fail(c->db, "sqlite", "audit walk");
    if (!err && sq_exec(c->db, "sqlite", "BEGIN") != SQLITE_OK) err = JC_ERR_DB;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        if (err && !w->err) w->err = err;
        while (!w->quit && !w->err && w->next < w->nchunks && w->next >= w->consumed + w->nbuf)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->quit || w->err || w->next >= w->nchunks) break;
        int64_t k = w->next++;
        walk_buf *b = &w->buf[k % w->nbuf];
        pthread_mutex_unlock(&w->mu);
        err = walk_chunk(w, s, k, b);
        pthread_mutex_lock(&w->mu);
        b->k = k;
        b->ready = 1;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    sqlite3_finalize(s);
    if (c) {
        sq_exec(c->db, "sqlite", "COMMIT");
        sqlite_conn_close(c);
    }
    return NULL;
}

static jc_err sqlite_audit_walk_par(jc_conn *c, int nthreads, size_t slot_size,
                                   void (*work)(const jc_audit_raw *e, void *slot, void *arg),
                                   int (*each)(void *slot, void *arg), void *arg) {
    const char *path = sqlite3_db_filename(c->db, "main");
    if (!path || !*path || nthreads < 1) return JC_ERR_UNAVAILABLE; /* in memory */
    walk_par w = {.path = path, .slot_size = slot_size, .work = work, .arg = arg};
    sqlite3_stmt *s = prep(c, Q_AUDIT_LAST, "SELECT COALESCE(max(seq), 0) FROM audit");
    if (!s) return JC_ERR_DB;
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_reset(s);
        return sq_fail(c->db, "sqlite", "audit walk");
    }
    w.last_seq = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    w.nchunks = w.last_seq > 0 ? (w.last_seq + WALK_CHUNK - 1) / WALK_CHUNK : 0;
    if (w.nchunks == 0) return JC_ERR_UNAVAILABLE; /* nothing, or only seqs below 1 */
    if (nthreads > w.nchunks) nthreads = (int)w.nchunks;
    w.nbuf = 2 * nthreads + 1;
    w.buf = calloc((size_t)w.nbuf, sizeof *w.buf);
    if (!w.buf) return JC_ERR_NOMEM;
    jc_err err = JC_OK;
    for (int i = 0; i < w.nbuf && !err; i++) {
        w.buf[i].k = -1;
        if (!(w.buf[i].slots = malloc((WALK_CHUNK + 1) * slot_size))) err = JC_ERR_NOMEM;
    }
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    pthread_t th[16];
    int started = 0;
    if (nthreads > 16) nthreads = 16;
    while (!err && started < nthreads && pthread_create(&th[started], NULL, walk_main, &w) == 0) started++;
    if (!err && !started) err = JC_ERR_UNAVAILABLE;
    int stop = 0;
    for (int64_t k = 0; !err && !stop && k < w.nchunks; k++) {
        walk_buf *b = &w.buf[k % w.nbuf];
        pthread_mutex_lock(&w.mu);
        while (!(b->ready && b->k == k) && !w.err) pthread_cond_wait(&w.cv, &w.mu);
        err = w.err;
        pthread_mutex_unlock(&w.mu);
        for (int i = 0; !err && i < b->n && !stop; i++) stop = each(b->slots + (size_t)i * slot_size, arg);
        pthread_mutex_lock(&w.mu);
        b->ready = 0;
        b->k = -1;
        w.consumed = k + 1;
        pthread_cond_broadcast(&w.cv);
        pthread_mutex_unlock(&w.mu);
    }
    pthread_mutex_lock(&w.mu);
    w.quit = 1;
    pthread_cond_broadcast(&w.cv);
    pthread_mutex_unlock(&w.mu);
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    if (!err && w.err && !stop) err = w.err;
    pthread_mutex_destroy(&w.mu);
    pthread_cond_destroy(&w.cv);
    for (int i = 0; i < w.nbuf; i++) free(w.buf[i].slots);
    free(w.buf);
    return err;
}

static jc_err sqlite_audit_since(jc_conn *c, int64_t after_seq, int limit,
                         int (*cb)(const jc_audit *e, const jc_case *k, void *arg), void *arg) {
    sqlite3_stmt *s = prep(c, Q_AUDIT_SINCE,
                           "SELECT a.seq, a.case_id, a.action, a.to_state, a.actor, a.role, a.at, c.area, c.dept_id,"
                           " c.reporter_id, c.created_at FROM audit a JOIN cases c ON c.id = a.case_id"
                           " WHERE a.seq > ? ORDER BY a.seq LIMIT ?");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, after_seq);
    sqlite3_bind_int(s, 2, limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        jc_audit e = {0};
        jc_case k = {0};
        e.seq = sqlite3_column_int64(s, 0);
        e.case_id = k.id = sqlite3_column_int64(s, 1);
        sq_col_copy(s, 2, e.action, sizeof e.action);
        sq_col_copy(s, 3, e.to_state, sizeof e.to_state);
        sq_col_copy(s, 4, e.actor, sizeof e.actor);
        sq_col_copy(s, 5, e.role, sizeof e.role);
        e.at_ms = sqlite3_column_int64(s, 6);
        sq_col_copy(s, 7, k.area, sizeof k.area);
        k.dept_id = sqlite3_column_int64(s, 8);
        k.reporter_id = sqlite3_column_int64(s, 9);
        k.created_ms = sqlite3_column_int64(s, 10);
        if (cb(&e, &k, arg)) break;
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? JC_OK : sq_fail(c->db, "sqlite", "audit since");
}

static jc_err sqlite_audit_last(jc_conn *c, int64_t *seq) {
    sqlite3_stmt *s = prep(c, Q_AUDIT_LAST, "SELECT COALESCE(max(seq), 0) FROM audit");
    if (!s) return JC_ERR_DB;
    int rc = sqlite3_step(s);
    *seq = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? JC_OK : sq_fail(c->db, "sqlite", "audit last");
}

/* ---- settings: meta(key, value) ---------------------------------------------- */

static jc_err sqlite_meta_get(jc_conn *c, const char *key, char *out, size_t outsz) {
    sqlite3_stmt *s = prep(c, Q_META_GET, "SELECT value FROM meta WHERE key=?");
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, key);
    int rc = sqlite3_step(s);
    jc_err e = rc == SQLITE_ROW ? JC_OK : rc == SQLITE_DONE ? JC_ERR_NOTFOUND : JC_ERR_DB;
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(s, 0);
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        if (n >= outsz) e = JC_ERR_TOOBIG;
        else memcpy(out, v ? v : "", n + 1);
    }
    sqlite3_reset(s);
    return e;
}

static jc_err sqlite_meta_put(jc_conn *w, const char *key, const char *value) {
    sqlite3_stmt *s = prep(w, Q_META_PUT,
                           "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value");
    if (!s) return JC_ERR_DB;
    sq_bind_text_empty(s, 1, key);
    sq_bind_text_empty(s, 2, value);
    return sq_step_done(w->db, s, "sqlite", "meta");
}

/* ---- writer context ------------------------------------------------------------ */

static void *sqlite_writer_state(jc_conn *w, const void *key, size_t size, void (*free_fn)(void *)) {
    /* the writer's connection, on the writer's thread: anything else would
     * share one module state between threads */
    assert(w->writer_set && pthread_equal(pthread_self(), w->writer));
    return store__block(&w->blocks, key, size, free_fn);
}

static uint64_t sqlite_outside(jc_conn *w) { return w->outside; }

/* Any name is a path: SQLite is tried last. */
static int sqlite_accepts(const char *db) { return db && *db; }

/* ---- the backend's table (store_backend.h) ---------------------------------------- */

/* One server owns an SQLite database: nothing to watch, always the leader. */
static jc_err sqlite_watch(jc_store *st) {
    (void)st;
    return JC_OK;
}

static int sqlite_is_leader(jc_store *st) {
    (void)st;
    return 1;
}

const jc_store_ops store_sqlite_ops = {
    .name = "sqlite",
    .kind = JC_STORE_SQLITE,
    .accepts = sqlite_accepts,
    .open = sqlite_open,
    .close = sqlite_close,
    .migrate_core = sqlite_migrate_core,
    .migrate_schema = sqlite_migrate_schema,
    .watch = sqlite_watch,
    .is_leader = sqlite_is_leader,
    .conn_open = sqlite_conn_open,
    .conn_close = sqlite_conn_close,
    .snapshot_begin = sqlite_snapshot_begin,
    .snapshot_end = sqlite_snapshot_end,
    .submit = sqlite_submit,
    .exec = sqlite_exec,
    .stats = sqlite_stats,
    .set_min_free = sqlite_set_min_free,
    .health = sqlite_health,
    .outside = sqlite_outside,
    .epoch = store_sqlite_epoch,
    .touch = store_sqlite_touch,
    .writer_state = sqlite_writer_state,
    .user_insert = sqlite_user_insert,
    .user_get = sqlite_user_get,
    .user_by_name = sqlite_user_by_name,
    .user_set_password = sqlite_user_set_password,
    .user_each = sqlite_user_each,
    .session_insert = sqlite_session_insert,
    .session_user = sqlite_session_user,
    .session_delete = sqlite_session_delete,
    .sessions_delete_user = sqlite_sessions_delete_user,
    .area_put = sqlite_area_put,
    .area_get = sqlite_area_get,
    .area_exists = sqlite_area_exists,
    .area_each = sqlite_area_each,
    .dept_put = sqlite_dept_put,
    .dept_get = sqlite_dept_get,
    .dept_by_code = sqlite_dept_by_code,
    .dept_each = sqlite_dept_each,
    .category_put = sqlite_category_put,
    .category_get = sqlite_category_get,
    .category_urgent = sqlite_category_urgent,
    .category_each = sqlite_category_each,
    .case_insert = sqlite_case_insert,
    .case_reserve = sqlite_case_reserve,
    .case_get = sqlite_case_get,
    .case_update = sqlite_case_update,
    .case_each = sqlite_case_each,
    .case_scan = sqlite_case_scan,
    .case_count_by_state = sqlite_case_count_by_state,
    .audit_append = sqlite_audit_append,
    .audit_each = sqlite_audit_each,
    .audit_walk = sqlite_audit_walk,
    .audit_walk_par = sqlite_audit_walk_par,
    .audit_since = sqlite_audit_since,
    .audit_last = sqlite_audit_last,
    .meta_get = sqlite_meta_get,
    .meta_put = sqlite_meta_put,
};
