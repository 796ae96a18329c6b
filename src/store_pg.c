/*
 * store_pg.c -- the PostgreSQL backend of store.h, through libpq.
 *
 * Design notes (the SQLite backend's rules, on a server database)
 *  - One writer thread per process owns one connection.  It takes every
 *    queued job, runs each in a SAVEPOINT of one transaction and commits once
 *    (group commit); only after COMMIT has returned -- synchronous_commit
 *    on, so the commit record is flushed on the server -- are the jobs'
 *    done() called.  A failing job rolls back to its savepoint and leaves the
 *    others intact.  A lost connection fails the batch it broke (nothing of
 *    it was acknowledged) and is opened again for the next.
 *  - Every other thread reads through its own connection.
 *  - Statements are prepared once per connection (named by the address of
 *    their SQL text) and run with text parameters: values are never
 *    formatted into SQL.
 *  - Ids come from identity columns (sequences): several instances on one
 *    database never hand out one id twice.  A case's id is reserved with
 *    nextval before its row exists (store_pg_case_reserve).
 *  - The audit chain is one chain for all instances: the writer keeps a
 *    batch's entries and chains them at the batch's end under the chain's
 *    transaction-scoped advisory lock, taken before the tail is read and
 *    held to COMMIT (docs/audit.md says why that keeps it one verifiable
 *    chain, and why the lock is not taken at the first append).
 *  - An error inside a job aborts what is left of that job on PostgreSQL
 *    (later statements of the transaction fail until the rollback to the
 *    job's savepoint), so PostgreSQL halves of modules write conflicts away
 *    with ON CONFLICT instead of trying and recovering.
 */
#include "store_pg.h"
#include "chain.h"
#include "store_backend.h"
#include "store_writeq.h"

#include <assert.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PG_STMTS 512       /* prepared statements per connection */
#define AUDIT_LOCK 0x6a6963656e67LL /* "jiceng": the chain's advisory lock key */
#define LEADER_LOCK 0x6a6963656e68LL /* the leader's (session) advisory lock key */

typedef struct pg_store pg_store;

typedef struct {
    const jc_store_ops *ops; /* first: store.c dispatches on it */
    PGconn *pg;
    char *url;
    struct {
        const char *sql;
        int id;
    } stmt[PG_STMTS]; /* prepared statements by the address of their SQL */
    int nstmt, next_id;
    int in_batch;     /* the writer, inside a transaction */
    uint64_t outside, seen_gen; /* see store_pg_outside */
    uint64_t changes; /* rows written through pg_run in the open batch */
    uint64_t jobs;    /* the writer's jobs started (store_pg_job) */
    struct {
        jc_err (*fn)(jc_conn *w, void *arg);
        void *arg;
    } ends[STORE_PG_JOB_ENDS]; /* store_pg_at_job_end of the running job */
    int nends;
    /* the writer's audit entries of this batch, chained at its end */
    jc_audit *staged;
    size_t nstaged, cap_staged;
    /* the writer's: its thread (set when it starts) and its state blocks */
    pthread_t writer;
    int writer_set;
    jc_writer_blocks blocks;
} pg_conn;

struct pg_store {
    const jc_store_ops *ops; /* first: store.c dispatches on it */
    char *url;
    pg_conn *w;
    pthread_t thread;
    int thread_started;
    jc_writeq q; /* the jobs waiting for the writer, and its counters */
    /* the watcher (store_pg_watch): a thread with a connection of its own
     * that LISTENs for other instances' commits and holds the leader lock */
    char token[33]; /* this instance in commit notifications */
    char notify_sql[80];
    pthread_t watcher;
    int watching, watch_stopping;
    uint64_t others_gen; /* bumped per commit of another instance (atomic) */
    int leader;          /* atomic */
};

static pg_conn *PC(jc_conn *c) { return (pg_conn *)c; }
static pg_store *PS(jc_store *s) { return (pg_store *)s; }

uint64_t store_pg_job(jc_conn *c) { return PC(c)->jobs; }

jc_err store_pg_at_job_end(jc_conn *c, jc_err (*fn)(jc_conn *w, void *arg), void *arg) {
    pg_conn *w = PC(c);
    if (!w->writer_set || !pthread_equal(w->writer, pthread_self())) return JC_ERR_INVALID;
    for (int i = 0; i < w->nends; i++)
        if (w->ends[i].fn == fn && w->ends[i].arg == arg) return JC_OK;
    if (w->nends == STORE_PG_JOB_ENDS) return JC_ERR_TOOBIG;
    w->ends[w->nends].fn = fn;
    w->ends[w->nends++].arg = arg;
    return JC_OK;
}

int store_pg_is_url(const char *db) {
    if (!db) return 0;
    if (!strncmp(db, "postgresql://", 13) || !strncmp(db, "postgres://", 11)) return 1;
    return strstr(db, "dbname=") != NULL;
}

/* ---- parameters and results ------------------------------------------------ */

void pgp_text(pg_params *p, const char *v) {
    if (p->n < PGP_MAX) p->v[p->n++] = v;
}

void pgp_text_opt(pg_params *p, const char *v) { pgp_text(p, v && *v ? v : NULL); }

void pgp_text_empty(pg_params *p, const char *v) { pgp_text(p, v ? v : ""); }

void pgp_i64(pg_params *p, int64_t v) {
    if (p->n >= PGP_MAX) return;
    size_t n = jc_i64_dec(v, p->num[p->n]);
    p->num[p->n][n] = 0;
    p->v[p->n] = p->num[p->n];
    p->n++;
}

void pgp_i64_opt(pg_params *p, int64_t v) {
    if (v) pgp_i64(p, v);
    else pgp_text(p, NULL);
}

void pgp_double(pg_params *p, double v) {
    if (p->n >= PGP_MAX) return;
    snprintf(p->num[p->n], sizeof p->num[p->n], "%.17g", v);
    p->v[p->n] = p->num[p->n];
    p->n++;
}

int64_t pg_i64(const PGresult *r, int row, int col) {
    if (PQgetisnull(r, row, col)) return 0;
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

double pg_double(const PGresult *r, int row, int col) {
    if (PQgetisnull(r, row, col)) return 0;
    return strtod(PQgetvalue(r, row, col), NULL);
}

const char *pg_str(const PGresult *r, int row, int col) {
    return PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
}

int pg_null(const PGresult *r, int row, int col) { return PQgetisnull(r, row, col); }

void pg_copy(const PGresult *r, int row, int col, char *dst, size_t n) {
    if (!n) return;
    const char *s = pg_str(r, row, col);
    size_t len = strlen(s);
    if (len >= n) {
        len = n - 1;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80) len--; /* whole characters */
    }
    memcpy(dst, s, len);
    dst[len] = 0;
}

char *pg_dup(const PGresult *r, int row, int col) {
    return PQgetisnull(r, row, col) ? NULL : jc_strdup(PQgetvalue(r, row, col));
}

PGconn *store_pg_raw(jc_conn *c) { return PC(c)->pg; }

/* ---- connections -------------------------------------------------------------- */

/* Logs the server's message for what failed on c. */
static jc_err pg_fail(pg_conn *c, const PGresult *r, const char *tag, const char *what) {
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg);
    if (state && !strncmp(state, "23", 2)) { /* integrity constraint violation */
        jc_log(JC_LOG_DEBUG, "%s: %s: %s", tag, what, msg);
        return JC_ERR_CONFLICT;
    }
    jc_log(JC_LOG_ERROR, "%s: %s: %s", tag, what, msg && *msg ? msg : "(no message)");
    return JC_ERR_DB;
}

/* Runs sql without parameters or preparing (transaction control, DDL). */
static jc_err simple(pg_conn *c, const char *sql) {
    PGresult *r = PQexec(c->pg, sql);
    ExecStatusType t = PQresultStatus(r);
    jc_err e = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK ? JC_OK : pg_fail(c, r, "pg", sql);
    PQclear(r);
    return e;
}

static void unstage(pg_conn *c, size_t keep);

/* Every connection's session, again after a reconnect: a commit waits for
 * its WAL flush whatever the role's or the database's default says (a 2xx
 * means committed); times are integers of UTC milliseconds, so the zone only
 * keeps the server's log lines stable. */
#define SESSION_SETUP \
    "SET synchronous_commit = on; SET TIME ZONE 'UTC'; SET client_min_messages = warning"

/* Forgets the prepared statements (a new server session has none). */
static void forget_statements(pg_conn *c) { c->nstmt = 0; }

static jc_err conn_open_url(const char *url, pg_conn **out) {
    pg_conn *c = calloc(1, sizeof *c);
    if (!c) return JC_ERR_NOMEM;
    c->ops = &store_pg_ops;
    c->url = jc_strdup(url);
    if (!c->url) {
        free(c);
        return JC_ERR_NOMEM;
    }
    c->pg = PQconnectdb(url);
    if (PQstatus(c->pg) != CONNECTION_OK) {
        jc_log(JC_LOG_ERROR, "pg: cannot connect: %s", PQerrorMessage(c->pg));
        store_pg_conn_close((jc_conn *)c);
        return JC_ERR_UNAVAILABLE;
    }
    if (simple(c, SESSION_SETUP)) {
        store_pg_conn_close((jc_conn *)c);
        return JC_ERR_DB;
    }
    *out = c;
    return JC_OK;
}

/* Opens c's connection again when the server dropped it. */
static void conn_heal(pg_conn *c) {
    if (PQstatus(c->pg) == CONNECTION_OK) return;
    jc_log(JC_LOG_WARN, "pg: connection lost; reconnecting");
    PQreset(c->pg);
    forget_statements(c);
    if (PQstatus(c->pg) == CONNECTION_OK) simple(c, SESSION_SETUP);
}

void store_pg_conn_close(jc_conn *cc) {
    pg_conn *c = PC(cc);
    if (!c) return;
    store__blocks_free(&c->blocks);
    if (c->pg) PQfinish(c->pg);
    unstage(c, 0);
    free(c->staged);
    free(c->url);
    free(c);
}

jc_err store_pg_conn_open(jc_store *st, jc_conn **out) {
    pg_conn *c = NULL;
    jc_err e = conn_open_url(PS(st)->url, &c);
    if (e == JC_OK) *out = (jc_conn *)c;
    return e;
}

/* The statement name for sql on c, preparing it the first time. */
static int stmt_id(pg_conn *c, const char *sql, int nparams, const char *tag) {
    for (int i = 0; i < c->nstmt; i++)
        if (c->stmt[i].sql == sql) return c->stmt[i].id;
    char name[24];
    int id = ++c->next_id;
    snprintf(name, sizeof name, "s%d", id);
    PGresult *r = PQprepare(c->pg, name, sql, nparams, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        pg_fail(c, r, tag, "prepare");
        jc_log(JC_LOG_ERROR, "%s: the statement: %s", tag, sql);
        PQclear(r);
        return -1;
    }
    PQclear(r);
    if (c->nstmt < PG_STMTS) {
        c->stmt[c->nstmt].sql = sql;
        c->stmt[c->nstmt].id = id;
        c->nstmt++;
    } else {
        jc_log(JC_LOG_WARN, "%s: more than %d statements on one connection", tag, PG_STMTS);
    }
    return id;
}

PGresult *pg_run(jc_conn *cc, const char *sql, const pg_params *p, const char *tag,
                 const char *what, jc_err *err) {
    pg_conn *c = PC(cc);
    int n = p ? p->n : 0;
    if (!c->in_batch) conn_heal(c);
    int id = stmt_id(c, sql, n, tag);
    if (id < 0) {
        *err = JC_ERR_DB;
        return NULL;
    }
    char name[24];
    snprintf(name, sizeof name, "s%d", id);
    PGresult *r = PQexecPrepared(c->pg, name, n, p ? p->v : NULL, NULL, NULL, 0);
    ExecStatusType t = PQresultStatus(r);
    if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) {
        *err = JC_OK;
        if (c->in_batch) { /* for the rerun groups: did the job write? */
            const char *cs = PQcmdStatus(r);
            if ((!strncmp(cs, "INSERT", 6) || !strncmp(cs, "UPDATE", 6) || !strncmp(cs, "DELETE", 6) ||
                 !strncmp(cs, "MERGE", 5)) && strcmp(PQcmdTuples(r), "0"))
                c->changes++;
        }
        return r;
    }
    *err = pg_fail(c, r, tag, what);
    PQclear(r);
    return NULL;
}

jc_err pg_rows_since(jc_conn *c, const char *since_sql, const char *newest_sql, const char *tag,
                     int64_t after, int limit, int64_t *last,
                     int (*row)(const PGresult *r, int i, void *arg), void *arg) {
    jc_err e;
    PGresult *r;
    if (!row) {
        if (!(r = pg_run(c, newest_sql, NULL, tag, "newest", &e))) return e;
        *last = pg_i64(r, 0, 0);
        PQclear(r);
        return JC_OK;
    }
    pg_params p = {0};
    pgp_i64(&p, after);
    pgp_i64(&p, limit);
    *last = after;
    if (!(r = pg_run(c, since_sql, &p, tag, "since", &e))) return e;
    for (int i = 0, n = PQntuples(r); i < n; i++) {
        *last = pg_i64(r, i, 0);
        if (row(r, i, arg)) break;
    }
    PQclear(r);
    return JC_OK;
}

jc_err pg_run_done(jc_conn *c, const char *sql, const pg_params *p, const char *tag,
                   const char *what, int64_t *changed) {
    jc_err e;
    PGresult *r = pg_run(c, sql, p, tag, what, &e);
    if (!r) return e;
    if (changed) *changed = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return JC_OK;
}

/* ---- schema -------------------------------------------------------------------- */

/* The core tables, in PostgreSQL's dialect: the same columns and meanings as
 * store_sqlite.c's migrations.  Times are bigint UTC milliseconds; hashes
 * bytea (32 bytes; a zero-length value for the empty payload's hash). */
static const char *const core_migrations[] = {
    /* 1: the case loop, accounts, catalogue, audit (SQLite's 1 and 2) */
    "CREATE TABLE areas(code text PRIMARY KEY, parent text, level text NOT NULL"
    "  CHECK(level IN('district','street','community','grid')), name text NOT NULL, geojson text);"
    "CREATE TABLE depts(id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  code text NOT NULL UNIQUE, name text NOT NULL, name_en text);"
    "CREATE TABLE categories(code text PRIMARY KEY, name text NOT NULL, name_en text, parent text,"
    "  kind text NOT NULL CHECK(kind IN('component','event')), dept_code text,"
    "  accept_h double precision NOT NULL DEFAULT 2, handle_h double precision NOT NULL DEFAULT 24,"
    "  verify_h double precision NOT NULL DEFAULT 8, urgent integer NOT NULL DEFAULT 0, fields text);"
    "CREATE TABLE users(id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  name text NOT NULL UNIQUE, display text, role text NOT NULL, area text,"
    "  dept_id bigint REFERENCES depts(id), pw_hash text NOT NULL, phone text,"
    "  created_at bigint NOT NULL, disabled integer NOT NULL DEFAULT 0);"
    "CREATE TABLE sessions(token_hash text PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id),"
    "  created_at bigint NOT NULL, expires_at bigint NOT NULL);"
    "CREATE INDEX sessions_user ON sessions(user_id);"
    "CREATE TABLE cases(id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  title text NOT NULL, body text NOT NULL, category text NOT NULL, source text NOT NULL,"
    "  state text NOT NULL, area text NOT NULL, lon double precision, lat double precision,"
    "  address text, reporter_id bigint, phone text, dept_id bigint,"
    "  priority integer NOT NULL DEFAULT 0, deadline_at bigint, held_from text,"
    "  merged_into bigint, escalation integer NOT NULL DEFAULT 0, rating text, extra text,"
    "  created_at bigint NOT NULL, updated_at bigint NOT NULL, version bigint NOT NULL,"
    "  flags integer NOT NULL DEFAULT 0, assignee_id bigint);"
    "CREATE INDEX cases_area ON cases((area COLLATE \"C\"));"
    "CREATE INDEX cases_dept ON cases(dept_id) WHERE dept_id IS NOT NULL;"
    "CREATE INDEX cases_reporter ON cases(reporter_id) WHERE reporter_id IS NOT NULL;"
    "CREATE INDEX cases_flags ON cases(flags) WHERE flags <> 0;"
    "CREATE TABLE audit(seq bigint PRIMARY KEY, case_id bigint, at bigint NOT NULL,"
    "  actor_id bigint, actor text NOT NULL, role text NOT NULL, action text NOT NULL,"
    "  from_state text, to_state text, reason text, payload_hash bytea NOT NULL,"
    "  state_hash bytea, prev_hash bytea NOT NULL, hash bytea NOT NULL);"
    "CREATE INDEX audit_case ON audit(case_id) WHERE case_id IS NOT NULL;",
    /* 2: an audit row's prev_hash is no longer stored (SQLite's 3): rows
     * written from now on hold a zero-length value there, read as the hash
     * of entry seq - 1 (PG_AUDIT_PREV_HASH); earlier rows keep their 32
     * bytes.  Nothing to rewrite: the row records that the store holds such
     * rows, so that an older program refuses it. */
    "INSERT INTO meta(key, value) VALUES('audit.prev_hash', 'derived')"
    "  ON CONFLICT(key) DO UPDATE SET value=excluded.value;",
};

/* The count of applied migrations of name (0: none). */
static jc_err meta_count(pg_conn *c, const char *key, int *have) {
    static const char sql[] = "SELECT value FROM meta WHERE key=$1";
    pg_params p = {0};
    pgp_text(&p, key);
    jc_err e;
    PGresult *r = pg_run((jc_conn *)c, sql, &p, "pg", "meta", &e);
    if (!r) return e;
    *have = PQntuples(r) ? (int)strtol(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return JC_OK;
}

/* Applies migrations[have..count) of key, each in its own transaction,
 * holding the migrations' advisory lock (another instance starting at the
 * same moment waits, then finds them applied). */
static jc_err migrate_list(pg_conn *c, const char *key, const char *const *migrations, int count) {
    for (;;) {
        if (simple(c, "BEGIN") || simple(c, "SELECT pg_advisory_xact_lock(7037) /* migrations */"))
            return JC_ERR_DB;
        int have = 0;
        jc_err e = meta_count(c, key, &have);
        if (!e && have > count) {
            jc_log(JC_LOG_ERROR, "schema %s is at %d, newer than this program (%d)", key, have, count);
            e = JC_ERR_CONFLICT;
        }
        if (e || have == count) {
            simple(c, "ROLLBACK");
            return e;
        }
        static const char upd[] =
            "INSERT INTO meta(key, value) VALUES($1, $2)"
            " ON CONFLICT(key) DO UPDATE SET value=excluded.value";
        pg_params p = {0};
        pgp_text(&p, key);
        pgp_i64(&p, have + 1);
        if (simple(c, migrations[have]) || pg_run_done((jc_conn *)c, upd, &p, "pg", "meta", NULL) ||
            simple(c, "COMMIT")) {
            simple(c, "ROLLBACK");
            return JC_ERR_DB;
        }
        jc_log(JC_LOG_DEBUG, "applied migration %s %d", key, have + 1);
    }
}

jc_err store_pg_conn_open_url(const char *url, jc_conn **out) {
    pg_conn *c = NULL;
    jc_err e = conn_open_url(url, &c);
    if (!e) *out = (jc_conn *)c;
    return e;
}

jc_err store_pg_inspect(jc_conn *cc, const jc_schema *const *schemas, size_t n, jc_store_schema *out,
                        int *leaders) {
    pg_conn *c = PC(cc);
    memset(out, 0, sizeof *out);
    *leaders = 0;
    out->target = (int)JC_ARRAY_LEN(core_migrations);
    static const char has_meta[] = "SELECT to_regclass('meta') IS NOT NULL";
    static const char last[] = "SELECT coalesce(max(at), 0) FROM audit";
    static const char leader[] =
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND ((classid::bigint << 32) | objid::bigint) = $1";
    pg_params none = {0};
    jc_err e;
    PGresult *r = pg_run(cc, has_meta, &none, "pg", "inspect", &e);
    if (!r) return e;
    int meta = !strcmp(PQgetvalue(r, 0, 0), "t");
    PQclear(r);
    if (meta && (e = meta_count(c, "schema.core", &out->version))) return e;
    for (size_t i = 0; meta && i < n; i++) {
        if (!schemas[i]) continue;
        char key[96];
        int have = 0;
        snprintf(key, sizeof key, "schema.%s", schemas[i]->name);
        if ((e = meta_count(c, key, &have))) return e;
        out->modules++;
        if (have < schemas[i]->count && !out->modules_behind++)
            snprintf(out->first_behind, sizeof out->first_behind, "%s", schemas[i]->name);
        if (have > schemas[i]->count && !out->modules_ahead++)
            snprintf(out->first_ahead, sizeof out->first_ahead, "%s", schemas[i]->name);
    }
    if (out->version > 0) {
        if (!(r = pg_run(cc, last, &none, "pg", "inspect", &e))) return e;
        out->last_audit_ms = pg_i64(r, 0, 0);
        PQclear(r);
    }
    pg_params p = {0};
    pgp_i64(&p, LEADER_LOCK);
    if (!(r = pg_run(cc, leader, &p, "pg", "inspect", &e))) return e;
    *leaders = (int)pg_i64(r, 0, 0);
    PQclear(r);
    return JC_OK;
}

jc_err store_pg_migrate(jc_store *sst, const jc_schema *const *modules, size_t n, int *version) {
    pg_conn *c = PS(sst)->w;
    if (simple(c, "CREATE TABLE IF NOT EXISTS meta(key text PRIMARY KEY, value text NOT NULL)"))
        return JC_ERR_DB;
    int count = (int)JC_ARRAY_LEN(core_migrations);
    jc_err e = migrate_list(c, "schema.core", core_migrations, count);
    for (size_t i = 0; !e && i < n; i++) {
        if (!modules[i]) continue;
        char key[96];
        snprintf(key, sizeof key, "schema.%s", modules[i]->name);
        e = migrate_list(c, key, modules[i]->migrations, modules[i]->count);
    }
    if (!e) *version = count;
    return e;
}

/* ---- the writer thread ------------------------------------------------------------ */

static jc_err chain_write(pg_conn *c, jc_audit *entries, size_t n);

/* COMMIT; 1 when the server says it committed.  (COMMIT of a transaction
 * in error rolls back and answers "ROLLBACK" with success.) */
static int commit(pg_conn *w) {
    PGresult *r = PQexec(w->pg, "COMMIT");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK && !strcmp(PQcmdStatus(r), "COMMIT");
    if (!ok) pg_fail(w, r, "pg", "COMMIT");
    PQclear(r);
    return ok;
}

/* Savepoints are opened and released at the batch's level; a release not
 * sent yet rides in the same message as the next command (one round trip
 * less per job). */
typedef struct {
    pg_conn *w;
    char pending[64]; /* releases not sent yet */
    int ok;           /* 0 once the transaction cannot commit */
    uint64_t failed, succeeded, reruns;
} batch;

/* Runs cmd after the pending releases; 0 (and b->ok 0) on failure. */
static int batch_cmd(batch *b, const char *cmd) {
    char sql[160];
    snprintf(sql, sizeof sql, "%s%s", b->pending, cmd);
    b->pending[0] = 0;
    if (simple(b->w, sql)) b->ok = 0;
    return b->ok;
}

/* Queues the release of savepoint name for the next command. */
static void batch_release(batch *b, const char *name) {
    size_t n = strlen(b->pending);
    snprintf(b->pending + n, sizeof b->pending - n, "RELEASE SAVEPOINT %s; ", name);
}

/* j's run, failed when it returned success over a failed statement (its
 * writes are not all there, and COMMIT would roll back the whole batch). */
static jc_err run_job(pg_conn *w, jc_write_job *j) {
    w->jobs++;
    w->nends = 0;
    jc_err e = j->run((jc_conn *)w, j->arg);
    for (int i = 0; i < w->nends && e == JC_OK; i++) e = w->ends[i].fn((jc_conn *)w, w->ends[i].arg);
    w->nends = 0;
    if (e == JC_OK && PQtransactionStatus(w->pg) == PQTRANS_INERROR) {
        jc_log(JC_LOG_ERROR, "pg: a job succeeded after a failed statement; failing it");
        e = JC_ERR_DB;
    }
    return e;
}

/* Runs j in a savepoint of its own: its failure undoes only its writes and
 * its audit entries. */
static void run_alone(batch *b, jc_write_job *j) {
    if (!batch_cmd(b, "SAVEPOINT job")) {
        j->result = JC_ERR_DB;
        return;
    }
    size_t mark = b->w->nstaged;
    j->result = run_job(b->w, j);
    if (j->result != JC_OK) {
        b->failed++;
        if (simple(b->w, "ROLLBACK TO SAVEPOINT job")) b->ok = 0;
        unstage(b->w, mark);
    }
    batch_release(b, "job");
}

/* Runs one batch: BEGIN, the jobs, the chain, COMMIT, then done().  As in
 * store_sqlite.c, the jobs that may run again (jc_write_job.rerun) share one
 * savepoint, a group: one failing having written nothing costs nothing
 * more; one failing after it wrote rolls the group back, and the group's
 * jobs up to it run again, each alone.  The others run alone. */
static void run_batch(pg_store *st, jc_write_job *jobs, uint64_t n) {
    pg_conn *w = st->w;
    conn_heal(w);
    batch b = {.w = w, .ok = simple(w, "BEGIN") == JC_OK};
    w->in_batch = b.ok;
    /* another instance committed since the last batch (or, unwatched, it
     * may have: nothing tells) */
    uint64_t gen = __atomic_load_n(&st->others_gen, __ATOMIC_ACQUIRE);
    if (!st->watching || gen != w->seen_gen) w->outside++;
    w->seen_gen = gen;
    jc_write_job *group = NULL; /* the first job of the open group */
    uint64_t group_failed = 0;
    size_t group_mark = 0;
    for (jc_write_job *j = jobs; j; j = j->next) {
        if (!b.ok) {
            j->result = JC_ERR_DB;
            continue;
        }
        if (!j->rerun) {
            if (group) batch_release(&b, "grp"), group = NULL;
            run_alone(&b, j);
            continue;
        }
        if (!group) {
            if (!batch_cmd(&b, "SAVEPOINT grp")) {
                j->result = JC_ERR_DB;
                continue;
            }
            group = j;
            group_failed = 0;
            group_mark = w->nstaged;
        }
        uint64_t before = w->changes;
        size_t mark = w->nstaged;
        j->result = run_job(w, j);
        if (j->result == JC_OK) continue;
        b.failed++;
        if (w->changes == before && w->nstaged == mark && PQtransactionStatus(w->pg) != PQTRANS_INERROR) {
            group_failed++; /* wrote nothing: nothing to undo */
            continue;
        }
        if (!batch_cmd(&b, "ROLLBACK TO SAVEPOINT grp")) continue;
        unstage(w, group_mark);
        b.failed -= group_failed + 1;
        for (jc_write_job *g = group; b.ok; g = g->next) {
            run_alone(&b, g);
            if (g == j) break;
        }
        batch_release(&b, "grp");
        group = NULL;
        b.reruns++;
    }
    w->in_batch = 0;
    for (jc_write_job *j = jobs; j; j = j->next) b.succeeded += j->result == JC_OK;
    /* open savepoints are committed with the transaction: no release needed */
    if (b.ok && w->nstaged) b.ok = chain_write(w, w->staged, w->nstaged) == JC_OK;
    unstage(w, 0);
    if (b.ok && b.succeeded && st->watching) b.ok = simple(w, st->notify_sql) == JC_OK;
    if (!b.ok || !commit(w)) {
        if (PQtransactionStatus(w->pg) != PQTRANS_IDLE) simple(w, "ROLLBACK");
        w->outside++;
        for (jc_write_job *j = jobs; j; j = j->next)
            if (j->result == JC_OK) j->result = JC_ERR_DB;
    }
    writeq_count(&st->q, n, b.failed, b.reruns);
    writeq_finish(jobs);
}

static void *writer_main(void *arg) {
    pg_store *st = arg;
    jc_write_job *jobs;
    uint64_t n;
    st->w->writer = pthread_self(); /* store_writer_state's check */
    st->w->writer_set = 1;
    while (writeq_take(&st->q, &jobs, &n)) run_batch(st, jobs, n);
    return NULL;
}

/* ---- several instances: the watcher --------------------------------------------- */

/* Reads what the server sent on pg: each notification of another
 * instance's commit bumps others_gen. */
static void drain_notifies(pg_store *st, PGconn *pg) {
    PQconsumeInput(pg);
    PGnotify *n;
    while ((n = PQnotifies(pg))) {
        if (strcmp(n->extra, st->token)) __atomic_add_fetch(&st->others_gen, 1, __ATOMIC_RELEASE);
        PQfreemem(n);
    }
}

/* Every second: (re)connects, LISTENs, takes the leader lock when free or
 * checks the connection that holds it; between, waits for notifications. */
static void *watch_main(void *arg) {
    pg_store *st = arg;
    PGconn *pg = NULL;
    int leader = 0;
    while (!__atomic_load_n(&st->watch_stopping, __ATOMIC_ACQUIRE)) {
        if (!pg || PQstatus(pg) != CONNECTION_OK) {
            if (pg) PQfinish(pg);
            leader = 0;
            __atomic_store_n(&st->leader, 0, __ATOMIC_RELEASE);
            pg = PQconnectdb(st->url);
            PGresult *r = PQstatus(pg) == CONNECTION_OK ? PQexec(pg, "LISTEN jiceng_commit") : NULL;
            int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
            PQclear(r);
            /* whatever was committed while nobody listened is unknown */
            __atomic_add_fetch(&st->others_gen, 1, __ATOMIC_RELEASE);
            if (!ok) {
                jc_log(JC_LOG_WARN, "pg: watcher cannot connect: %s", PQerrorMessage(pg));
                PQfinish(pg);
                pg = NULL;
                sleep(1);
                continue;
            }
        }
        char sql[64];
        if (leader) snprintf(sql, sizeof sql, "SELECT true");
        else snprintf(sql, sizeof sql, "SELECT pg_try_advisory_lock(%lld)", (long long)LEADER_LOCK);
        PGresult *r = PQexec(pg, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            PQclear(r);
            PQfinish(pg); /* the lock, if held, goes with the connection */
            pg = NULL;
            continue;
        }
        int now = !strcmp(PQgetvalue(r, 0, 0), "t");
        PQclear(r);
        if (now != leader)
            jc_log(JC_LOG_INFO, "pg: this instance %s the leader (runs the periodic work)", now ? "is now" : "is no longer");
        leader = now;
        __atomic_store_n(&st->leader, leader, __ATOMIC_RELEASE);
        drain_notifies(st, pg);
        /* about a second, in slices that notice a stop */
        for (int i = 0; i < 5 && !__atomic_load_n(&st->watch_stopping, __ATOMIC_ACQUIRE); i++) {
            struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};
            if (poll(&pfd, 1, 200) > 0) drain_notifies(st, pg);
        }
    }
    if (pg) PQfinish(pg);
    __atomic_store_n(&st->leader, 0, __ATOMIC_RELEASE);
    return NULL;
}

jc_err store_pg_watch(jc_store *sst) {
    pg_store *st = PS(sst);
    if (st->watching) return JC_OK;
    if (pthread_create(&st->watcher, NULL, watch_main, st) != 0) return JC_ERR_INTERNAL;
    st->watching = 1;
    return JC_OK;
}

int store_pg_is_leader(jc_store *st) { return __atomic_load_n(&PS(st)->leader, __ATOMIC_ACQUIRE); }

uint64_t store_pg_outside(jc_conn *c) { return PC(c)->outside; }

jc_err store_pg_open(const char *url, jc_store **out) {
    pg_store *st = calloc(1, sizeof *st);
    if (!st) return JC_ERR_NOMEM;
    st->ops = &store_pg_ops;
    unsigned char rnd[16];
    randombytes_buf(rnd, sizeof rnd);
    jc_hex(rnd, sizeof rnd, st->token);
    snprintf(st->notify_sql, sizeof st->notify_sql, "NOTIFY jiceng_commit, '%s'", st->token);
    st->url = jc_strdup(url);
    if (!st->url) {
        free(st);
        return JC_ERR_NOMEM;
    }
    jc_err e = conn_open_url(url, &st->w);
    if (e) {
        free(st->url);
        free(st);
        return e;
    }
    writeq_init(&st->q);
    if (pthread_create(&st->thread, NULL, writer_main, st) != 0) {
        store_pg_close((jc_store *)st);
        return JC_ERR_INTERNAL;
    }
    st->thread_started = 1;
    *out = (jc_store *)st;
    return JC_OK;
}

void store_pg_close(jc_store *sst) {
    pg_store *st = PS(sst);
    if (!st) return;
    if (st->thread_started) {
        writeq_stop(&st->q);
        pthread_join(st->thread, NULL);
    }
    if (st->watching) {
        __atomic_store_n(&st->watch_stopping, 1, __ATOMIC_RELEASE);
        pthread_join(st->watcher, NULL);
    }
    store_pg_conn_close((jc_conn *)st->w);
    writeq_destroy(&st->q);
    free(st->url);
    free(st);
}

void store_pg_set_max_batch(jc_store *st, unsigned n) { writeq_set_max_batch(&PS(st)->q, n); }

jc_err store_pg_submit(jc_store *st, jc_write_job *job) { return writeq_submit(&PS(st)->q, job); }

jc_err store_pg_exec(jc_store *st, jc_err (*run)(jc_conn *w, void *arg), void *arg) {
    return writeq_exec(&PS(st)->q, run, arg);
}

void store_pg_stats(jc_store *st, jc_store_stats *out) { writeq_stats(&PS(st)->q, out); }

/* ---- rows: small shared shapes -------------------------------------------------- */

/* Evaluates stop_expr for each row i of r until it is non-zero. */
#define EACH_ROW(r, stop_expr)                            \
    do {                                                  \
        int n_ = PQntuples(r);                            \
        for (int i = 0; i < n_; i++)                      \
            if (stop_expr) break;                         \
    } while (0)

/* One row or JC_ERR_NOTFOUND: runs sql and hands row 0 to read. */
static jc_err one_row(jc_conn *c, const char *sql, const pg_params *p, const char *what,
                      void (*read)(const PGresult *r, void *out), void *out) {
    jc_err e;
    PGresult *r = pg_run(c, sql, p, "pg", what, &e);
    if (!r) return e;
    e = PQntuples(r) ? JC_OK : JC_ERR_NOTFOUND;
    if (!e) read(r, out);
    PQclear(r);
    return e;
}

/* ---- users and sessions ------------------------------------------------------------ */

#define USER_COLS "id, name, display, role, area, dept_id, pw_hash, phone, created_at, disabled"

static void read_user_at(const PGresult *r, int i, jc_user *u) {
    memset(u, 0, sizeof *u);
    u->id = pg_i64(r, i, 0);
    pg_copy(r, i, 1, u->name, sizeof u->name);
    pg_copy(r, i, 2, u->display, sizeof u->display);
    int role = role_parse(pg_str(r, i, 3));
    u->role = role < 0 ? ROLE_RESIDENT : (jc_role)role;
    pg_copy(r, i, 4, u->area, sizeof u->area);
    u->dept_id = pg_i64(r, i, 5);
    pg_copy(r, i, 6, u->pw_hash, sizeof u->pw_hash);
    pg_copy(r, i, 7, u->phone, sizeof u->phone);
    u->created_ms = pg_i64(r, i, 8);
    u->disabled = (int)pg_i64(r, i, 9);
}

static void read_user(const PGresult *r, void *out) { read_user_at(r, 0, out); }

jc_err store_pg_user_insert(jc_conn *w, jc_user *u) {
    static const char sql[] =
        "INSERT INTO users(name, display, role, area, dept_id, pw_hash, phone, created_at, disabled)"
        " VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id";
    pg_params p = {0};
    pgp_text_empty(&p, u->name);
    pgp_text_opt(&p, u->display);
    pgp_text_empty(&p, role_name(u->role));
    pgp_text_opt(&p, u->area);
    pgp_i64_opt(&p, u->dept_id);
    pgp_text_empty(&p, u->pw_hash);
    pgp_text_opt(&p, u->phone);
    pgp_i64(&p, u->created_ms);
    pgp_i64(&p, u->disabled);
    jc_err e;
    PGresult *r = pg_run(w, sql, &p, "pg", "user insert", &e);
    if (!r) return e;
    u->id = pg_i64(r, 0, 0);
    PQclear(r);
    return JC_OK;
}

jc_err store_pg_user_get(jc_conn *c, int64_t id, jc_user *out) {
    static const char sql[] = "SELECT " USER_COLS " FROM users WHERE id=$1";
    pg_params p = {0};
    pgp_i64(&p, id);
    return one_row(c, sql, &p, "user get", read_user, out);
}

jc_err store_pg_user_by_name(jc_conn *c, const char *name, jc_user *out) {
    static const char sql[] = "SELECT " USER_COLS " FROM users WHERE name=$1";
    pg_params p = {0};
    pgp_text_empty(&p, name);
    return one_row(c, sql, &p, "user by name", read_user, out);
}

jc_err store_pg_user_set_password(jc_conn *w, int64_t id, const char *pw_hash) {
    static const char sql[] = "UPDATE users SET pw_hash=$1 WHERE id=$2";
    pg_params p = {0};
    pgp_text_empty(&p, pw_hash);
    pgp_i64(&p, id);
    int64_t n = 0;
    jc_err e = pg_run_done(w, sql, &p, "pg", "user setpw", &n);
    return e ? e : n ? JC_OK : JC_ERR_NOTFOUND;
}

jc_err store_pg_user_each(jc_conn *c, int (*cb)(const jc_user *u, void *arg), void *arg) {
    static const char sql[] = "SELECT " USER_COLS " FROM users ORDER BY id";
    jc_err e;
    PGresult *r = pg_run(c, sql, NULL, "pg", "user each", &e);
    if (!r) return e;
    jc_user u;
    EACH_ROW(r, (read_user_at(r, i, &u), cb(&u, arg)));
    PQclear(r);
    return JC_OK;
}

jc_err store_pg_session_insert(jc_conn *w, const char *token_hash, int64_t user_id,
                               int64_t created_ms, int64_t expires_ms) {
    static const char sql[] =
        "INSERT INTO sessions(token_hash, user_id, created_at, expires_at) VALUES($1,$2,$3,$4)";
    pg_params p = {0};
    pgp_text_empty(&p, token_hash);
    pgp_i64(&p, user_id);
    pgp_i64(&p, created_ms);
    pgp_i64(&p, expires_ms);
    return pg_run_done(w, sql, &p, "pg", "session insert", NULL);
}

jc_err store_pg_session_user(jc_conn *c, const char *token_hash, int64_t now_ms, jc_user *out) {
    static const char sql[] =
        "SELECT u.id, u.name, u.display, u.role, u.area, u.dept_id, u.pw_hash, u.phone,"
        " u.created_at, u.disabled FROM sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.token_hash=$1 AND s.expires_at > $2 AND u.disabled = 0";
    pg_params p = {0};
    pgp_text_empty(&p, token_hash);
    pgp_i64(&p, now_ms);
    jc_err e = one_row(c, sql, &p, "session user", read_user, out);
    return e == JC_ERR_NOTFOUND ? JC_ERR_AUTH : e;
}

jc_err store_pg_session_delete(jc_conn *w, const char *token_hash) {
    static const char sql[] = "DELETE FROM sessions WHERE token_hash=$1";
    pg_params p = {0};
    pgp_text_empty(&p, token_hash);
    return pg_run_done(w, sql, &p, "pg", "session delete", NULL);
}

jc_err store_pg_sessions_delete_user(jc_conn *w, int64_t user_id) {
    static const char sql[] = "DELETE FROM sessions WHERE user_id=$1";
    pg_params p = {0};
    pgp_i64(&p, user_id);
    return pg_run_done(w, sql, &p, "pg", "sessions delete", NULL);
}

/* ---- catalogue ----------------------------------------------------------------------- */

jc_err store_pg_area_put(jc_conn *w, const jc_area *a) {
    static const char sql[] =
        "INSERT INTO areas(code, parent, level, name, geojson) VALUES($1,$2,$3,$4,$5)"
        " ON CONFLICT(code) DO UPDATE SET parent=excluded.parent, level=excluded.level,"
        " name=excluded.name, geojson=excluded.geojson";
    pg_params p = {0};
    pgp_text_empty(&p, a->code);
    pgp_text_opt(&p, a->parent);
    pgp_text_empty(&p, a->level);
    pgp_text_empty(&p, a->name);
    pgp_text_opt(&p, a->geojson);
    return pg_run_done(w, sql, &p, "pg", "area put", NULL);
}

static void read_area_at(const PGresult *r, int i, jc_area *a) {
    memset(a, 0, sizeof *a);
    pg_copy(r, i, 0, a->code, sizeof a->code);
    pg_copy(r, i, 1, a->parent, sizeof a->parent);
    pg_copy(r, i, 2, a->level, sizeof a->level);
    pg_copy(r, i, 3, a->name, sizeof a->name);
    a->geojson = pg_dup(r, i, 4);
}

static void read_area(const PGresult *r, void *out) { read_area_at(r, 0, out); }

jc_err store_pg_area_get(jc_conn *c, const char *code, jc_area *out) {
    static const char sql[] = "SELECT code, parent, level, name, geojson FROM areas WHERE code=$1";
    pg_params p = {0};
    pgp_text_empty(&p, code);
    return one_row(c, sql, &p, "area get", read_area, out);
}

static void read_nothing(const PGresult *r, void *out) { (void)r, (void)out; }

jc_err store_pg_area_exists(jc_conn *c, const char *code) {
    static const char sql[] = "SELECT 1 FROM areas WHERE code=$1";
    pg_params p = {0};
    pgp_text_empty(&p, code);
    return one_row(c, sql, &p, "area exists", read_nothing, NULL);
}

jc_err store_pg_area_each(jc_conn *c, int (*cb)(const jc_area *a, void *arg), void *arg) {
    static const char sql[] = "SELECT code, parent, level, name, geojson FROM areas ORDER BY code";
    jc_err e;
    PGresult *r = pg_run(c, sql, NULL, "pg", "area each", &e);
    if (!r) return e;
    jc_area a;
    int stop = 0;
    EACH_ROW(r, (read_area_at(r, i, &a), (stop = cb(&a, arg)), area_clear(&a), stop));
    PQclear(r);
    return JC_OK;
}

static void read_dept(const PGresult *r, int i, jc_dept *d) {
    memset(d, 0, sizeof *d);
    d->id = pg_i64(r, i, 0);
    pg_copy(r, i, 1, d->code, sizeof d->code);
    pg_copy(r, i, 2, d->name, sizeof d->name);
    pg_copy(r, i, 3, d->name_en, sizeof d->name_en);
}

static void read_dept0(const PGresult *r, void *out) { read_dept(r, 0, out); }

jc_err store_pg_dept_put(jc_conn *w, jc_dept *d) {
    static const char sql[] =
        "INSERT INTO depts(code, name, name_en) VALUES($1,$2,$3)"
        " ON CONFLICT(code) DO UPDATE SET name=excluded.name, name_en=excluded.name_en RETURNING id";
    pg_params p = {0};
    pgp_text_empty(&p, d->code);
    pgp_text_empty(&p, d->name);
    pgp_text_opt(&p, d->name_en);
    jc_err e;
    PGresult *r = pg_run(w, sql, &p, "pg", "dept put", &e);
    if (!r) return e;
    d->id = pg_i64(r, 0, 0);
    PQclear(r);
    return JC_OK;
}

jc_err store_pg_dept_get(jc_conn *c, int64_t id, jc_dept *out) {
    static const char sql[] = "SELECT id, code, name, name_en FROM depts WHERE id=$1";
    pg_params p = {0};
    pgp_i64(&p, id);
    return one_row(c, sql, &p, "dept get", read_dept0, out);
}

jc_err store_pg_dept_by_code(jc_conn *c, const char *code, jc_dept *out) {
    static const char sql[] = "SELECT id, code, name, name_en FROM depts WHERE code=$1";
    pg_params p = {0};
    pgp_text_empty(&p, code);
    return one_row(c, sql, &p, "dept by code", read_dept0, out);
}

jc_err store_pg_dept_each(jc_conn *c, int (*cb)(const jc_dept *d, void *arg), void *arg) {
    static const char sql[] = "SELECT id, code, name, name_en FROM depts ORDER BY id";
    jc_err e;
    PGresult *r = pg_run(c, sql, NULL, "pg", "dept each", &e);
    if (!r) return e;
    jc_dept d;
    EACH_ROW(r, (read_dept(r, i, &d), cb(&d, arg)));
    PQclear(r);
    return JC_OK;
}

#define CAT_COLS "code, name, name_en, parent, kind, dept_code, accept_h, handle_h, verify_h, urgent, fields"

static void read_category_at(const PGresult *r, int i, jc_category *k) {
    memset(k, 0, sizeof *k);
    pg_copy(r, i, 0, k->code, sizeof k->code);
    pg_copy(r, i, 1, k->name, sizeof k->name);
    pg_copy(r, i, 2, k->name_en, sizeof k->name_en);
    pg_copy(r, i, 3, k->parent, sizeof k->parent);
    pg_copy(r, i, 4, k->kind, sizeof k->kind);
    pg_copy(r, i, 5, k->dept_code, sizeof k->dept_code);
    k->accept_h = pg_double(r, i, 6);
    k->handle_h = pg_double(r, i, 7);
    k->verify_h = pg_double(r, i, 8);
    k->urgent = (int)pg_i64(r, i, 9);
    k->fields = pg_dup(r, i, 10);
}

static void read_category(const PGresult *r, void *out) { read_category_at(r, 0, out); }

jc_err store_pg_category_put(jc_conn *w, const jc_category *k) {
    static const char sql[] =
        "INSERT INTO categories(" CAT_COLS ") VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)"
        " ON CONFLICT(code) DO UPDATE SET name=excluded.name, name_en=excluded.name_en,"
        " parent=excluded.parent, kind=excluded.kind, dept_code=excluded.dept_code,"
        " accept_h=excluded.accept_h, handle_h=excluded.handle_h, verify_h=excluded.verify_h,"
        " urgent=excluded.urgent, fields=excluded.fields";
    pg_params p = {0};
    pgp_text_empty(&p, k->code);
    pgp_text_empty(&p, k->name);
    pgp_text_opt(&p, k->name_en);
    pgp_text_opt(&p, k->parent);
    pgp_text_empty(&p, k->kind);
    pgp_text_opt(&p, k->dept_code);
    pgp_double(&p, k->accept_h);
    pgp_double(&p, k->handle_h);
    pgp_double(&p, k->verify_h);
    pgp_i64(&p, k->urgent);
    pgp_text_opt(&p, k->fields);
    return pg_run_done(w, sql, &p, "pg", "category put", NULL);
}

static void read_urgent(const PGresult *r, void *out) { *(int *)out = (int)pg_i64(r, 0, 0); }

jc_err store_pg_category_urgent(jc_conn *c, const char *code, int *urgent) {
    static const char sql[] = "SELECT urgent FROM categories WHERE code=$1";
    pg_params p = {0};
    pgp_text_empty(&p, code);
    return one_row(c, sql, &p, "category urgent", read_urgent, urgent);
}

jc_err store_pg_category_get(jc_conn *c, const char *code, jc_category *out) {
    static const char sql[] = "SELECT " CAT_COLS " FROM categories WHERE code=$1";
    pg_params p = {0};
    pgp_text_empty(&p, code);
    return one_row(c, sql, &p, "category get", read_category, out);
}

jc_err store_pg_category_each(jc_conn *c, int (*cb)(const jc_category *k, void *arg), void *arg) {
    static const char sql[] = "SELECT " CAT_COLS " FROM categories ORDER BY code";
    jc_err e;
    PGresult *r = pg_run(c, sql, NULL, "pg", "category each", &e);
    if (!r) return e;
    jc_category k;
    int stop = 0;
    EACH_ROW(r, (read_category_at(r, i, &k), (stop = cb(&k, arg)), category_clear(&k), stop));
    PQclear(r);
    return JC_OK;
}

/* ---- cases ----------------------------------------------------------------------------- */

#define CASE_COLS STORE_PG_CASE_COLS

void store_pg_case_row(const PGresult *r, int i, jc_case *k) {
    memset(k, 0, sizeof *k);
    k->id = pg_i64(r, i, 0);
    k->title = pg_dup(r, i, 1);
    k->body = pg_dup(r, i, 2);
    pg_copy(r, i, 3, k->category, sizeof k->category);
    pg_copy(r, i, 4, k->source, sizeof k->source);
    int st = state_parse(pg_str(r, i, 5));
    k->state = st < 0 ? ST__COUNT : (jc_state)st;
    pg_copy(r, i, 6, k->area, sizeof k->area);
    k->has_point = !pg_null(r, i, 7);
    k->lon = pg_double(r, i, 7);
    k->lat = pg_double(r, i, 8);
    k->address = pg_dup(r, i, 9);
    k->reporter_id = pg_i64(r, i, 10);
    pg_copy(r, i, 11, k->phone, sizeof k->phone);
    k->dept_id = pg_i64(r, i, 12);
    k->priority = (int)pg_i64(r, i, 13);
    k->deadline_ms = pg_i64(r, i, 14);
    int hf = pg_null(r, i, 15) ? -1 : state_parse(pg_str(r, i, 15));
    k->held_from = hf < 0 ? ST__COUNT : (jc_state)hf;
    k->merged_into = pg_i64(r, i, 16);
    k->escalation = (int)pg_i64(r, i, 17);
    pg_copy(r, i, 18, k->rating, sizeof k->rating);
    k->extra = pg_dup(r, i, 19);
    k->created_ms = pg_i64(r, i, 20);
    k->updated_ms = pg_i64(r, i, 21);
    k->version = pg_i64(r, i, 22);
    k->flags = (unsigned)pg_i64(r, i, 23);
    k->assignee_id = pg_i64(r, i, 24);
}

static void read_case(const PGresult *r, void *out) { store_pg_case_row(r, 0, out); }

/* The fields of CASE_COLS after id, in order: all 24 ($1..$24), or without
 * the two that never change, the reporter and the creation time (all = 0:
 * $1..$22, for an update, which spares their indexes). */
static void params_case(pg_params *p, const jc_case *k, int all) {
    pgp_text_empty(p, k->title);
    pgp_text_empty(p, k->body);
    pgp_text_empty(p, k->category);
    pgp_text_empty(p, k->source);
    pgp_text_empty(p, state_name(k->state));
    pgp_text_empty(p, k->area);
    if (k->has_point) {
        pgp_double(p, k->lon);
        pgp_double(p, k->lat);
    } else {
        pgp_text(p, NULL);
        pgp_text(p, NULL);
    }
    pgp_text_opt(p, k->address);
    if (all) pgp_i64_opt(p, k->reporter_id);
    pgp_text_opt(p, k->phone);
    pgp_i64_opt(p, k->dept_id);
    pgp_i64(p, k->priority);
    pgp_i64_opt(p, k->deadline_ms);
    pgp_text_opt(p, k->held_from < ST__COUNT ? state_name(k->held_from) : NULL);
    pgp_i64_opt(p, k->merged_into);
    pgp_i64(p, k->escalation);
    pgp_text_opt(p, k->rating);
    pgp_text_opt(p, k->extra);
    if (all) pgp_i64(p, k->created_ms);
    pgp_i64(p, k->updated_ms);
    pgp_i64(p, k->version);
    pgp_i64(p, (int64_t)k->flags);
    pgp_i64_opt(p, k->assignee_id);
}

jc_err store_pg_case_insert(jc_conn *w, jc_case *k) {
    static const char sql_new[] =
        "INSERT INTO cases(title, body, category, source, state, area, lon, lat, address,"
        " reporter_id, phone, dept_id, priority, deadline_at, held_from, merged_into, escalation,"
        " rating, extra, created_at, updated_at, version, flags, assignee_id)"
        " VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24)"
        " RETURNING id";
    static const char sql_reserved[] =
        "INSERT INTO cases(title, body, category, source, state, area, lon, lat, address,"
        " reporter_id, phone, dept_id, priority, deadline_at, held_from, merged_into, escalation,"
        " rating, extra, created_at, updated_at, version, flags, assignee_id, id)"
        " VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25)"
        " RETURNING id";
    if (k->version == 0) k->version = 1;
    pg_params p = {0};
    params_case(&p, k, 1);
    if (k->unsaved) pgp_i64(&p, k->id);
    jc_err e;
    PGresult *r = pg_run(w, k->unsaved ? sql_reserved : sql_new, &p, "pg", "case insert", &e);
    if (!r) return e;
    k->id = pg_i64(r, 0, 0);
    k->unsaved = 0;
    PQclear(r);
    return JC_OK;
}

jc_err store_pg_case_reserve(jc_conn *w, jc_case *k) {
    static const char sql[] = "SELECT nextval(pg_get_serial_sequence('cases', 'id'))";
    jc_err e;
    PGresult *r = pg_run(w, sql, NULL, "pg", "case reserve", &e);
    if (!r) return e;
    k->id = pg_i64(r, 0, 0);
    k->unsaved = 1;
    PQclear(r);
    return JC_OK;
}

jc_err store_pg_case_get(jc_conn *c, int64_t id, jc_case *out) {
    static const char sql[] = "SELECT " CASE_COLS " FROM cases WHERE id=$1";
    pg_params p = {0};
    pgp_i64(&p, id);
    return one_row(c, sql, &p, "case get", read_case, out);
}

jc_err store_pg_case_update(jc_conn *w, jc_case *k) {
    if (k->unsaved) {
        k->version++;
        jc_err e = store_pg_case_insert(w, k);
        if (e) k->version--;
        return e;
    }
    static const char sql[] =
        "UPDATE cases SET title=$1, body=$2, category=$3, source=$4, state=$5, area=$6,"
        " lon=$7, lat=$8, address=$9, phone=$10, dept_id=$11, priority=$12, deadline_at=$13,"
        " held_from=$14, merged_into=$15, escalation=$16, rating=$17, extra=$18,"
        " updated_at=$19, version=$20, flags=$21, assignee_id=$22 WHERE id=$23";
    k->version++;
    pg_params p = {0};
    params_case(&p, k, 0);
    pgp_i64(&p, k->id);
    int64_t n = 0;
    jc_err e = pg_run_done(w, sql, &p, "pg", "case update", &n);
    if (!e && n == 0) e = JC_ERR_NOTFOUND;
    if (e) k->version--;
    return e;
}

/* Runs r's rows through cb as cases. */
static void each_case(PGresult *r, int (*cb)(const jc_case *k, void *arg), void *arg) {
    jc_case k;
    int stop = 0;
    EACH_ROW(r, (store_pg_case_row(r, i, &k), (stop = cb(&k, arg)), case_clear(&k), stop));
}

jc_err store_pg_case_each(jc_conn *c, const jc_case_filter *f,
                          int (*cb)(const jc_case *k, void *arg), void *arg) {
    /* One statement for every filter: an absent condition's parameter is
     * NULL and its test true. */
    static const char sql[] =
        "SELECT " CASE_COLS " FROM cases WHERE ($1::text IS NULL OR state=$1)"
        " AND ($2::text IS NULL OR category=$2)"
        " AND ($3::text IS NULL OR (area COLLATE \"C\" >= $3 AND area COLLATE \"C\" < $3 || 'z'))"
        " AND ($4::bigint IS NULL OR dept_id=$4) AND ($5::bigint IS NULL OR reporter_id=$5)"
        " AND (NOT $6::boolean OR state NOT IN('closed','rated','voided','merged'))"
        " AND ($7::bigint IS NULL OR id < $7) AND ($8::integer IS NULL OR (flags & $8) = $8)"
        " AND (NOT $9::boolean OR escalation > 0) AND ($10::bigint IS NULL OR assignee_id=$10)"
        " ORDER BY id DESC LIMIT $11";
    pg_params p = {0};
    pgp_text(&p, f->state);
    pgp_text(&p, f->category);
    pgp_text_opt(&p, f->area_prefix);
    /* involved_dept (a department's own list): its lead cases here; the
     * co-handled ones come with the dispatch tables (store_sqlite.c has both) */
    pgp_i64_opt(&p, f->dept_id ? f->dept_id : f->involved_dept);
    pgp_i64_opt(&p, f->reporter_id);
    pgp_text(&p, f->open_only ? "true" : "false");
    pgp_i64_opt(&p, f->before_id);
    pgp_i64_opt(&p, (int64_t)f->flags);
    pgp_text(&p, f->escalated ? "true" : "false");
    pgp_i64_opt(&p, f->assignee_id);
    pgp_i64(&p, f->limit > 0 && f->limit <= 500 ? f->limit : 50);
    jc_err e;
    PGresult *r = pg_run(c, sql, &p, "pg", "case list", &e);
    if (!r) return e;
    each_case(r, cb, arg);
    PQclear(r);
    return JC_OK;
}

jc_err store_pg_case_scan(jc_conn *c, int64_t only_id, int (*cb)(const jc_case *k, void *arg),
                          void *arg) {
    static const char sql_one[] = "SELECT " CASE_COLS " FROM cases WHERE id=$1";
    static const char sql_page[] = "SELECT " CASE_COLS " FROM cases WHERE id > $1 ORDER BY id LIMIT 1000";
    pg_params p = {0};
    jc_err e;
    if (only_id > 0) {
        pgp_i64(&p, only_id);
        PGresult *r = pg_run(c, sql_one, &p, "pg", "case scan", &e);
        if (!r) return e;
        each_case(r, cb, arg);
        PQclear(r);
        return JC_OK;
    }
    /* in pages, so that a large store is not held in memory at once */
    int64_t after = 0;
    for (;;) {
        p.n = 0;
        pgp_i64(&p, after);
        PGresult *r = pg_run(c, sql_page, &p, "pg", "case scan", &e);
        if (!r) return e;
        int n = PQntuples(r), stop = 0;
        jc_case k;
        for (int i = 0; i < n && !stop; i++) {
            store_pg_case_row(r, i, &k);
            after = k.id;
            stop = cb(&k, arg);
            case_clear(&k);
        }
        PQclear(r);
        if (stop || n < 1000) return JC_OK;
    }
}

jc_err store_pg_case_count_by_state(jc_conn *c, int (*cb)(const char *state, int64_t n, void *arg),
                                    void *arg) {
    static const char sql[] = "SELECT state, count(*) FROM cases GROUP BY state ORDER BY state";
    jc_err e;
    PGresult *r = pg_run(c, sql, NULL, "pg", "count by state", &e);
    if (!r) return e;
    EACH_ROW(r, cb(pg_str(r, i, 0), pg_i64(r, i, 1), arg));
    PQclear(r);
    return JC_OK;
}

/* ---- audit -------------------------------------------------------------------------- */

#define AUDIT_COLS_HEAD                                                              \
    "seq, case_id, at, actor_id, actor, role, action, from_state, to_state, reason," \
    " payload_hash, state_hash, "
#define AUDIT_COLS AUDIT_COLS_HEAD "prev_hash, hash"
/* The columns with prev_hash as it reads (PG_AUDIT_PREV_HASH) */
#define AUDIT_COLS_PREV AUDIT_COLS_HEAD PG_AUDIT_PREV_HASH ", hash"

/* A bytea column (text form "\x<hex>") as lower-case hex of its 32 bytes; the
 * zero-length value as the empty payload's hash; any other length as a text
 * that matches no hash (so a tampered value fails verification). */
static void col_hash(const PGresult *r, int i, int col, char out[65]) {
    out[0] = 0;
    if (pg_null(r, i, col)) return;
    const char *v = PQgetvalue(r, i, col);
    size_t n = strlen(v);
    if (n < 2 || v[0] != '\\' || v[1] != 'x') snprintf(out, 65, "(not hex)");
    else if (n == 2) memcpy(out, chain_empty_payload_hash(), 65);
    else if (n == 66) memcpy(out, v + 2, 65);
    else snprintf(out, 65, "(%zu bytes)", (n - 2) / 2);
}

void store_pg_audit_row(const PGresult *r, int i, jc_audit *e) {
    memset(e, 0, sizeof *e);
    e->seq = pg_i64(r, i, 0);
    e->case_id = pg_i64(r, i, 1);
    e->at_ms = pg_i64(r, i, 2);
    e->actor_id = pg_i64(r, i, 3);
    pg_copy(r, i, 4, e->actor, sizeof e->actor);
    pg_copy(r, i, 5, e->role, sizeof e->role);
    pg_copy(r, i, 6, e->action, sizeof e->action);
    pg_copy(r, i, 7, e->from_state, sizeof e->from_state);
    pg_copy(r, i, 8, e->to_state, sizeof e->to_state);
    e->reason = pg_dup(r, i, 9);
    col_hash(r, i, 10, e->payload_hash);
    col_hash(r, i, 11, e->state_hash);
    col_hash(r, i, 12, e->prev_hash);
    col_hash(r, i, 13, e->hash);
}

/* Appends v to a line of COPY's text format: NULL as \N, and the
 * characters that format escapes escaped. */
static jc_err copy_field(jc_buf *b, const char *v, int last) {
    jc_err e = JC_OK;
    if (!v) {
        e = jc_buf_puts(b, "\\N");
    } else {
        for (const char *p = v; *p && !e; p++) {
            switch (*p) {
            case '\\': e = jc_buf_puts(b, "\\\\"); break;
            case '\n': e = jc_buf_puts(b, "\\n"); break;
            case '\r': e = jc_buf_puts(b, "\\r"); break;
            case '\t': e = jc_buf_puts(b, "\\t"); break;
            default: e = jc_buf_append(b, p, 1);
            }
        }
    }
    return e ? e : jc_buf_puts(b, last ? "\n" : "\t");
}

static jc_err copy_i64(jc_buf *b, int64_t v, int null_if_zero) {
    char d[24];
    size_t n = jc_i64_dec(v, d);
    d[n] = 0;
    return copy_field(b, null_if_zero && !v ? NULL : d, 0);
}

/* A hex hash as bytea input inside COPY's text ("\\x" + hex); the empty
 * payload's hash as the zero-length value. */
static jc_err copy_hash(jc_buf *b, const char *h, int last) {
    char v[68];
    snprintf(v, sizeof v, "\\x%s", strcmp(h, chain_empty_payload_hash()) ? h : "");
    return copy_field(b, v, last);
}

/* One audit row as a line of COPY's text format. */
static jc_err copy_row(jc_buf *b, const jc_audit *e) {
    jc_err err = copy_i64(b, e->seq, 0);
    if (!err) err = copy_i64(b, e->case_id, 1);
    if (!err) err = copy_i64(b, e->at_ms, 0);
    if (!err) err = copy_i64(b, e->actor_id, 1);
    if (!err) err = copy_field(b, e->actor, 0);
    if (!err) err = copy_field(b, e->role, 0);
    if (!err) err = copy_field(b, e->action, 0);
    if (!err) err = copy_field(b, e->from_state[0] ? e->from_state : NULL, 0);
    if (!err) err = copy_field(b, e->to_state[0] ? e->to_state : NULL, 0);
    if (!err) err = copy_field(b, e->reason && *e->reason ? e->reason : NULL, 0);
    if (!err) err = copy_hash(b, e->payload_hash, 0);
    if (!err) err = e->state_hash[0] ? copy_hash(b, e->state_hash, 0) : copy_field(b, NULL, 0);
    if (!err) err = copy_field(b, "\\x", 0); /* prev_hash: the hash of entry seq - 1 (migration 2) */
    if (!err) err = copy_hash(b, e->hash, 1);
    return err;
}

/* Chains entries[0..n) onto the log in the transaction open on c: takes
 * the chain's lock, reads the tail (a snapshot taken after the lock, so the
 * last append of whoever held it before is seen), assigns each entry its
 * seq, prev_hash and hash in order, and writes them with one COPY.  The
 * lock is held until the transaction ends. */
static jc_err chain_write(pg_conn *c, jc_audit *entries, size_t n) {
    static const char lock[] = "SELECT pg_advisory_xact_lock($1)";
    static const char tail[] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
    jc_conn *cc = (jc_conn *)c;
    pg_params p = {0};
    pgp_i64(&p, AUDIT_LOCK);
    jc_err err = pg_run_done(cc, lock, &p, "pg", "audit lock", NULL);
    if (err) return err;
    PGresult *r = pg_run(cc, tail, NULL, "pg", "audit tail", &err);
    if (!r) return err;
    int64_t seq = 0;
    char prev[65];
    if (PQntuples(r)) {
        seq = pg_i64(r, 0, 0);
        col_hash(r, 0, 1, prev);
    } else {
        chain_genesis(prev);
    }
    PQclear(r);
    jc_buf b;
    jc_buf_init(&b, 0);
    for (size_t i = 0; i < n && !err; i++) {
        entries[i].seq = ++seq;
        memcpy(entries[i].prev_hash, prev, 65);
        chain_entry_hash(&entries[i], entries[i].hash);
        memcpy(prev, entries[i].hash, 65);
        err = copy_row(&b, &entries[i]);
    }
    if (err) {
        jc_buf_free(&b);
        return err;
    }
    r = PQexec(c->pg, "COPY audit(" AUDIT_COLS ") FROM STDIN");
    int copying = PQresultStatus(r) == PGRES_COPY_IN;
    if (!copying) err = pg_fail(c, r, "pg", "audit copy");
    PQclear(r);
    if (copying) {
        int sent = PQputCopyData(c->pg, b.data, (int)b.len) == 1;
        PQputCopyEnd(c->pg, sent ? NULL : "not sent");
        while ((r = PQgetResult(c->pg))) {
            if (PQresultStatus(r) != PGRES_COMMAND_OK && !err) err = pg_fail(c, r, "pg", "audit copy");
            PQclear(r);
        }
    }
    jc_buf_free(&b);
    return err;
}

/* Frees the staged entries from keep on. */
static void unstage(pg_conn *c, size_t keep) {
    for (size_t i = keep; i < c->nstaged; i++) free(c->staged[i].reason);
    if (keep < c->nstaged) c->nstaged = keep;
}

jc_err store_pg_audit_append(jc_conn *w, jc_audit *e) {
    pg_conn *c = PC(w);
    if (!c->in_batch) {
        /* a connection of its own (a tool): its own transaction */
        int own = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
        if (own && simple(c, "BEGIN")) return JC_ERR_DB;
        jc_err err = chain_write(c, e, 1);
        if (own) {
            if (!err && !commit(c)) err = JC_ERR_DB;
            if (err && PQtransactionStatus(c->pg) != PQTRANS_IDLE) simple(c, "ROLLBACK");
        }
        return err;
    }
    /* the writer: kept until the batch's jobs have run; then the chain's lock
     * is taken for the chaining and the COMMIT only */
    if (c->nstaged == c->cap_staged) {
        size_t cap = c->cap_staged ? c->cap_staged * 2 : 64;
        jc_audit *grown = realloc(c->staged, cap * sizeof *grown);
        if (!grown) return JC_ERR_NOMEM;
        c->staged = grown;
        c->cap_staged = cap;
    }
    jc_audit *s = &c->staged[c->nstaged];
    *s = *e;
    s->reason = NULL;
    if (e->reason && !(s->reason = jc_strdup(e->reason))) return JC_ERR_NOMEM;
    c->nstaged++;
    e->seq = 0; /* assigned when the batch is chained */
    e->prev_hash[0] = e->hash[0] = 0;
    return JC_OK;
}

jc_err store_pg_audit_each(jc_conn *c, int64_t case_id, int (*cb)(const jc_audit *e, void *arg),
                           void *arg) {
    static const char sql_case[] = "SELECT " AUDIT_COLS_PREV " FROM audit a WHERE case_id=$1 ORDER BY seq";
    /* in seq order a derived prev_hash is the hash read just before */
    static const char sql_page[] = "SELECT " AUDIT_COLS " FROM audit WHERE seq > $1 ORDER BY seq LIMIT 1000";
    pg_params p = {0};
    jc_err err;
    int64_t after = 0;
    char last_hash[65];
    chain_genesis(last_hash);
    for (;;) {
        p.n = 0;
        pgp_i64(&p, case_id >= 0 ? case_id : after);
        PGresult *r = pg_run(c, case_id >= 0 ? sql_case : sql_page, &p, "pg", "audit each", &err);
        if (!r) return err;
        int n = PQntuples(r), stop = 0;
        jc_audit e;
        for (int i = 0; i < n && !stop; i++) {
            store_pg_audit_row(r, i, &e);
            if (case_id < 0 && !pg_null(r, i, 12) && !strcmp(PQgetvalue(r, i, 12), "\\x")) {
                if (e.seq == after + 1) memcpy(e.prev_hash, last_hash, 65);
                else e.prev_hash[0] = 0; /* entry seq - 1 is missing */
            }
            after = e.seq;
            memcpy(last_hash, e.hash, 65);
            stop = cb(&e, arg);
            audit_clear(&e);
        }
        PQclear(r);
        if (stop || case_id >= 0 || n < 1000) return JC_OK;
    }
}

/* ---- what store.h gained since: the live stream's reads, settings ------------------ */

jc_err store_pg_audit_since(jc_conn *c, int64_t after_seq, int limit,
                            int (*cb)(const jc_audit *e, const jc_case *k, void *arg), void *arg) {
    static const char sql[] =
        "SELECT a.seq, a.case_id, a.action, a.to_state, a.actor, a.role, a.at, c.area, c.dept_id,"
        " c.reporter_id, c.created_at FROM audit a JOIN cases c ON c.id = a.case_id"
        " WHERE a.seq > $1 ORDER BY a.seq LIMIT $2";
    pg_params p = {0};
    pgp_i64(&p, after_seq);
    pgp_i64(&p, limit);
    jc_err err;
    PGresult *r = pg_run(c, sql, &p, "pg", "audit since", &err);
    if (!r) return err;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        jc_audit e = {0};
        jc_case k = {0};
        e.seq = pg_i64(r, i, 0);
        e.case_id = k.id = pg_i64(r, i, 1);
        pg_copy(r, i, 2, e.action, sizeof e.action);
        pg_copy(r, i, 3, e.to_state, sizeof e.to_state);
        pg_copy(r, i, 4, e.actor, sizeof e.actor);
        pg_copy(r, i, 5, e.role, sizeof e.role);
        e.at_ms = pg_i64(r, i, 6);
        pg_copy(r, i, 7, k.area, sizeof k.area);
        k.dept_id = pg_i64(r, i, 8);
        k.reporter_id = pg_i64(r, i, 9);
        k.created_ms = pg_i64(r, i, 10);
        if (cb(&e, &k, arg)) break;
    }
    PQclear(r);
    return JC_OK;
}

jc_err store_pg_audit_last(jc_conn *c, int64_t *seq) {
    static const char sql[] = "SELECT COALESCE(max(seq), 0) FROM audit";
    pg_params p = {0};
    jc_err err;
    PGresult *r = pg_run(c, sql, &p, "pg", "audit last", &err);
    if (!r) return err;
    *seq = PQntuples(r) ? pg_i64(r, 0, 0) : 0;
    PQclear(r);
    return JC_OK;
}

jc_err store_pg_meta_get(jc_conn *c, const char *key, char *out, size_t outsz) {
    static const char sql[] = "SELECT value FROM meta WHERE key=$1";
    pg_params p = {0};
    pgp_text(&p, key);
    jc_err err;
    PGresult *r = pg_run(c, sql, &p, "pg", "meta", &err);
    if (!r) return err;
    err = JC_ERR_NOTFOUND;
    if (PQntuples(r)) {
        const char *v = pg_str(r, 0, 0);
        size_t n = strlen(v);
        if (n >= outsz) err = JC_ERR_TOOBIG;
        else memcpy(out, v, n + 1), err = JC_OK;
    }
    PQclear(r);
    return err;
}

jc_err store_pg_meta_put(jc_conn *w, const char *key, const char *value) {
    static const char sql[] =
        "INSERT INTO meta(key, value) VALUES($1, $2) ON CONFLICT(key) DO UPDATE SET value=excluded.value";
    pg_params p = {0};
    pgp_text(&p, key);
    pgp_text_empty(&p, value);
    return pg_run_done(w, sql, &p, "pg", "meta", NULL);
}

static void *pg_writer_state(jc_conn *cw, const void *key, size_t size, void (*free_fn)(void *)) {
    pg_conn *w = PC(cw);
    /* the writer's connection, on the writer's thread */
    assert(w->writer_set && pthread_equal(pthread_self(), w->writer));
    return store__block(&w->blocks, key, size, free_fn);
}

/* Nothing is kept across statements on PostgreSQL yet: another instance
 * may write any table at any time (a generation row could tell; not done). */
static uint64_t pg_epoch(jc_conn *w) {
    (void)w;
    return 0;
}
static void pg_touch(jc_conn *w) { (void)w; }

static jc_err pg_migrate_core(jc_store *st, int *version) { return store_pg_migrate(st, NULL, 0, version); }

static jc_err pg_migrate_schema(jc_store *st, const jc_schema *m) {
    int v;
    return store_pg_migrate(st, &m, 1, &v);
}

/* ---- the backend's table (store_backend.h) ------------------------------------------ */

/* store_snapshot_begin/end: one REPEATABLE READ transaction (a snapshot)
 * unless c is already inside one (the writer's batch). */
static jc_err pg_snapshot_begin(jc_conn *cc, int *began) {
    pg_conn *c = (pg_conn *)cc;
    *began = 0;
    if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) return JC_OK;
    jc_err e = simple(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (!e) *began = 1;
    return e;
}

static void pg_snapshot_end(jc_conn *cc, int began) {
    if (began) simple((pg_conn *)cc, "COMMIT");
}

const jc_store_ops store_pg_ops = {
    .name = "postgresql",
    .kind = JC_STORE_PG,
    .accepts = store_pg_is_url,
    .open = store_pg_open,
    .close = store_pg_close,
    .migrate_core = pg_migrate_core,
    .migrate_schema = pg_migrate_schema,
    .watch = store_pg_watch,
    .is_leader = store_pg_is_leader,
    .conn_open = store_pg_conn_open,
    .conn_close = store_pg_conn_close,
    .snapshot_begin = pg_snapshot_begin,
    .snapshot_end = pg_snapshot_end,
    .submit = store_pg_submit,
    .exec = store_pg_exec,
    .stats = store_pg_stats,
    .outside = store_pg_outside,
    .epoch = pg_epoch,
    .touch = pg_touch,
    .writer_state = pg_writer_state,
    .user_insert = store_pg_user_insert,
    .user_get = store_pg_user_get,
    .user_by_name = store_pg_user_by_name,
    .user_set_password = store_pg_user_set_password,
    .user_each = store_pg_user_each,
    .session_insert = store_pg_session_insert,
    .session_user = store_pg_session_user,
    .session_delete = store_pg_session_delete,
    .sessions_delete_user = store_pg_sessions_delete_user,
    .area_put = store_pg_area_put,
    .area_get = store_pg_area_get,
    .area_exists = store_pg_area_exists,
    .area_each = store_pg_area_each,
    .dept_put = store_pg_dept_put,
    .dept_get = store_pg_dept_get,
    .dept_by_code = store_pg_dept_by_code,
    .dept_each = store_pg_dept_each,
    .category_put = store_pg_category_put,
    .category_get = store_pg_category_get,
    .category_urgent = store_pg_category_urgent,
    .category_each = store_pg_category_each,
    .case_insert = store_pg_case_insert,
    .case_reserve = store_pg_case_reserve,
    .case_get = store_pg_case_get,
    .case_update = store_pg_case_update,
    .case_each = store_pg_case_each,
    .case_scan = store_pg_case_scan,
    .case_count_by_state = store_pg_case_count_by_state,
    .audit_append = store_pg_audit_append,
    .audit_each = store_pg_audit_each,
    .audit_since = store_pg_audit_since,
    .audit_last = store_pg_audit_last,
    .meta_get = store_pg_meta_get,
    .meta_put = store_pg_meta_put,
};
