/*
 * store_pg.h -- the PostgreSQL backend of store.h (store_pg.c), and the
 * small helpers (pgp_*, pg_*) that the PostgreSQL halves of modules
 * (src/<module>_pg.c) use: a statement cache per connection, parameters as
 * text, error mapping.
 *
 * Every function of store.h has its twin here, named store_pg_<rest> with
 * the same contract, and is listed in the backend's table store_pg_ops
 * (store_backend.h): store_open picks this backend for a postgresql://
 * --db, and every store.h call on its handles comes here.
 */
#ifndef JC_STORE_PG_H
#define JC_STORE_PG_H

#include <libpq-fe.h>

#include "store.h"

/* True when db names a PostgreSQL database (postgresql://... or
 * postgres://..., or a libpq "key=value" string with dbname=). */
int store_pg_is_url(const char *db);

jc_err store_pg_open(const char *url, jc_store **out) JC_MUST_CHECK;
void store_pg_close(jc_store *st);
/* The core tables (meta('schema.core') counts what was applied), then the
 * given modules' PostgreSQL migrations (meta('schema.<name>')).  Each
 * migration runs in its own transaction under an advisory lock, so that
 * several instances starting at once apply it once. */
jc_err store_pg_migrate(jc_store *st, const jc_schema *const *modules, size_t n,
                        int *version) JC_MUST_CHECK;
jc_err store_pg_conn_open(jc_store *st, jc_conn **out) JC_MUST_CHECK;
/* A connection to the database at url without a store (no writer, nothing
 * created or migrated): for jiceng doctor.  Closed by store_conn_close. */
jc_err store_pg_conn_open_url(const char *url, jc_conn **out) JC_MUST_CHECK;
/* jiceng doctor on PostgreSQL: what the database of c holds against what
 * this program expects, as store_inspect says for an SQLite file (the n
 * module schemas, NULL entries skipped), and *leaders, how many instances
 * hold the leader lock (0: none serves the database, 1). Reads only. */
jc_err store_pg_inspect(jc_conn *c, const jc_schema *const *schemas, size_t n, jc_store_schema *out,
                        int *leaders) JC_MUST_CHECK;
void store_pg_conn_close(jc_conn *c);
jc_err store_pg_submit(jc_store *st, jc_write_job *job) JC_MUST_CHECK;
jc_err store_pg_exec(jc_store *st, jc_err (*run)(jc_conn *w, void *arg), void *arg) JC_MUST_CHECK;
void store_pg_stats(jc_store *st, jc_store_stats *out);
/* The writer's largest batch (1: one transaction per job, for measuring
 * what group commit gives); default 4096.  Call before submitting. */
void store_pg_set_max_batch(jc_store *st, unsigned n);

/* ---- several instances on one database ----
 * Starts the store's watcher: a thread with a connection of its own that
 * (1) LISTENs for the commits other instances announce (every batch that
 * wrote sends NOTIFY jiceng_commit with its instance's token, delivered at
 * COMMIT), and (2) once a second tries the leader's session-level advisory
 * lock, or checks the connection holding it.  `jiceng serve` starts it; a
 * one-shot command does not need it. */
jc_err store_pg_watch(jc_store *st) JC_MUST_CHECK;
/* 1 while this instance holds the leader lock: it runs the periodic work.
 * When the leader dies its connection closes, the server releases the lock,
 * and another instance's watcher takes it within about a second. */
int store_pg_is_leader(jc_store *st);
/* The writer's twin of store_sqlite_outside: a number that changes at a
 * batch's start when another instance committed since the last batch
 * (always, when the store is not watched), and when a commit failed.
 * What a module keeps beside tables only it writes counts while this stays
 * the same. */
uint64_t store_pg_outside(jc_conn *w);
/* The number of the writer's job running on c (it changes at each job's
 * start; 0 on a connection that is not a writer's): rows a module gathers
 * across calls to write them in one statement belong to one job. */
uint64_t store_pg_job(jc_conn *c);
/* Has the writer call fn(w, arg) when the job running on w returns success,
 * before its savepoint is released: rows a module gathers across its calls
 * are written there, so no job ends with gathered rows unwritten (an error
 * of fn fails the job, whose writes then roll back).  Registering the same
 * fn and arg again in one job calls it once; at most STORE_PG_JOB_ENDS
 * (JC_ERR_TOOBIG beyond); JC_ERR_INVALID off the writer. */
#define STORE_PG_JOB_ENDS 4
jc_err store_pg_at_job_end(jc_conn *w, jc_err (*fn)(jc_conn *w, void *arg), void *arg) JC_MUST_CHECK;

jc_err store_pg_user_insert(jc_conn *w, jc_user *u) JC_MUST_CHECK;
jc_err store_pg_user_get(jc_conn *c, int64_t id, jc_user *out) JC_MUST_CHECK;
jc_err store_pg_user_by_name(jc_conn *c, const char *name, jc_user *out) JC_MUST_CHECK;
jc_err store_pg_user_set_password(jc_conn *w, int64_t id, const char *pw_hash) JC_MUST_CHECK;
jc_err store_pg_user_each(jc_conn *c, int (*cb)(const jc_user *u, void *arg), void *arg) JC_MUST_CHECK;
jc_err store_pg_session_insert(jc_conn *w, const char *token_hash, int64_t user_id,
                               int64_t created_ms, int64_t expires_ms) JC_MUST_CHECK;
jc_err store_pg_session_user(jc_conn *c, const char *token_hash, int64_t now_ms,
                             jc_user *out) JC_MUST_CHECK;
jc_err store_pg_session_delete(jc_conn *w, const char *token_hash) JC_MUST_CHECK;
jc_err store_pg_sessions_delete_user(jc_conn *w, int64_t user_id) JC_MUST_CHECK;

jc_err store_pg_area_put(jc_conn *w, const jc_area *a) JC_MUST_CHECK;
jc_err store_pg_area_get(jc_conn *c, const char *code, jc_area *out) JC_MUST_CHECK;
jc_err store_pg_area_exists(jc_conn *c, const char *code) JC_MUST_CHECK;
jc_err store_pg_area_each(jc_conn *c, int (*cb)(const jc_area *a, void *arg), void *arg) JC_MUST_CHECK;
jc_err store_pg_dept_put(jc_conn *w, jc_dept *d) JC_MUST_CHECK;
jc_err store_pg_dept_get(jc_conn *c, int64_t id, jc_dept *out) JC_MUST_CHECK;
jc_err store_pg_dept_by_code(jc_conn *c, const char *code, jc_dept *out) JC_MUST_CHECK;
jc_err store_pg_dept_each(jc_conn *c, int (*cb)(const jc_dept *d, void *arg), void *arg) JC_MUST_CHECK;
jc_err store_pg_category_put(jc_conn *w, const jc_category *k) JC_MUST_CHECK;
jc_err store_pg_category_get(jc_conn *c, const char *code, jc_category *out) JC_MUST_CHECK;
jc_err store_pg_category_urgent(jc_conn *c, const char *code, int *urgent) JC_MUST_CHECK;
jc_err store_pg_category_each(jc_conn *c, int (*cb)(const jc_category *k, void *arg),
                              void *arg) JC_MUST_CHECK;

jc_err store_pg_case_insert(jc_conn *w, jc_case *k) JC_MUST_CHECK;
/* The id comes from the cases' sequence: never handed out twice, by any
 * instance (a rolled-back reservation leaves a gap). */
jc_err store_pg_case_reserve(jc_conn *w, jc_case *k) JC_MUST_CHECK;
jc_err store_pg_case_get(jc_conn *c, int64_t id, jc_case *out) JC_MUST_CHECK;
jc_err store_pg_case_update(jc_conn *w, jc_case *k) JC_MUST_CHECK;
jc_err store_pg_case_each(jc_conn *c, const jc_case_filter *f,
                          int (*cb)(const jc_case *k, void *arg), void *arg) JC_MUST_CHECK;
jc_err store_pg_case_scan(jc_conn *c, int64_t only_id, int (*cb)(const jc_case *k, void *arg),
                          void *arg) JC_MUST_CHECK;
jc_err store_pg_case_count_by_state(jc_conn *c,
                                    int (*cb)(const char *state, int64_t n, void *arg),
                                    void *arg) JC_MUST_CHECK;

/* Appends e to the one chain.  On the writer inside a batch, e is kept and
 * chained when the batch's jobs have run (e's seq, prev_hash and hash are
 * then assigned there, not in e; a job that fails takes its entries with
 * it): the chain's advisory lock is taken, the tail read, the batch's
 * entries written with one COPY, and the lock held until COMMIT -- so the
 * instances take turns on the chain only for that, every entry's prev_hash
 * is the hash of the entry before it in seq order, and seq order is commit
 * order (docs/audit.md).  On another connection (a tool) the same happens
 * at once, in a transaction of its own unless one is open. */
jc_err store_pg_audit_append(jc_conn *w, jc_audit *e) JC_MUST_CHECK;
jc_err store_pg_audit_since(jc_conn *c, int64_t after_seq, int limit,
                            int (*cb)(const jc_audit *e, const jc_case *k, void *arg), void *arg) JC_MUST_CHECK;
jc_err store_pg_audit_last(jc_conn *c, int64_t *seq) JC_MUST_CHECK;
jc_err store_pg_meta_get(jc_conn *c, const char *key, char *out, size_t outsz) JC_MUST_CHECK;
jc_err store_pg_meta_put(jc_conn *w, const char *key, const char *value) JC_MUST_CHECK;
jc_err store_pg_audit_each(jc_conn *c, int64_t case_id,
                           int (*cb)(const jc_audit *e, void *arg), void *arg) JC_MUST_CHECK;

/* ---- helpers for the PostgreSQL halves of modules ---------------------------
 * Parameters go as text (NULL = SQL NULL); results come as text. */
#define PGP_MAX 40
typedef struct {
    const char *v[PGP_MAX];
    char num[PGP_MAX][32]; /* room for the numbers' text */
    int n;
} pg_params;

/* Appends v as text; NULL as SQL NULL. */
void pgp_text(pg_params *p, const char *v);
/* Appends v; NULL and "" as SQL NULL (an optional field). */
void pgp_text_opt(pg_params *p, const char *v);
/* Appends v; NULL as "" (a NOT NULL column). */
void pgp_text_empty(pg_params *p, const char *v);
void pgp_i64(pg_params *p, int64_t v);
/* Appends v; 0 as SQL NULL (an optional id or time). */
void pgp_i64_opt(pg_params *p, int64_t v);
void pgp_double(pg_params *p, double v);

/* The libpq connection of c (owned by c). */
PGconn *store_pg_raw(jc_conn *c);
/* Runs sql (one statement, $1.. parameters) prepared once per connection and
 * cached by the ADDRESS of sql (a string literal or static constant).
 * Returns the result (caller PQclear()s it) with *err JC_OK, or NULL with
 * *err JC_ERR_CONFLICT (a constraint, logged at debug level) or JC_ERR_DB
 * (logged with tag and what). */
PGresult *pg_run(jc_conn *c, const char *sql, const pg_params *p, const char *tag,
                 const char *what, jc_err *err);
/* pg_run for a statement whose rows are not wanted; *changed (may be NULL)
 * gets the number of rows it changed. */
jc_err pg_run_done(jc_conn *c, const char *sql, const pg_params *p, const char *tag,
                   const char *what, int64_t *changed) JC_MUST_CHECK;
/* A live stream's read of rows committed after the last one sent: since_sql
 * ($1 after, $2 limit; the id in column 0, ids in commit order) hands each row to
 * row() until it returns non-zero; *last is the last id handed over (after when
 * none).  With row NULL, newest_sql (one number) sets *last to the newest id. */
jc_err pg_rows_since(jc_conn *c, const char *since_sql, const char *newest_sql, const char *tag,
                     int64_t after, int limit, int64_t *last,
                     int (*row)(const PGresult *r, int i, void *arg), void *arg);
/* Column helpers; row and column as in PQgetvalue.  NULL reads as 0 / "". */
int64_t pg_i64(const PGresult *r, int row, int col);
double pg_double(const PGresult *r, int row, int col);
const char *pg_str(const PGresult *r, int row, int col);
int pg_null(const PGresult *r, int row, int col);
/* Copies into dst (n bytes, truncated at a character boundary, terminated). */
void pg_copy(const PGresult *r, int row, int col, char *dst, size_t n);
/* An audit entry from row i of a result whose columns 0..13 are seq,
 * case_id, at, actor_id, actor, role, action, from_state, to_state, reason,
 * payload_hash, state_hash, prev_hash, hash (the hashes as bytea); the
 * caller frees e->reason (audit_clear). */
void store_pg_audit_row(const PGresult *r, int i, jc_audit *e);
/* An audit row's prev_hash as it reads, in a query over "audit a": rows
 * written since core migration 2 store a zero-length value there, which
 * stands for the hash of entry seq - 1 (32 zero bytes, the genesis value,
 * for entry 1; NULL, no hash, when entry seq - 1 is missing). */
#define PG_AUDIT_PREV_HASH                                                                          \
    "CASE WHEN length(a.prev_hash) = 0 THEN coalesce((SELECT p.hash FROM audit p WHERE p.seq = a.seq - 1)," \
    " CASE WHEN a.seq = 1 THEN decode(repeat('00', 32), 'hex') END) ELSE a.prev_hash END"
/* The columns of a case row, in the order store_pg_case_row reads them. */
#define STORE_PG_CASE_COLS                                                                \
    "id, title, body, category, source, state, area, lon, lat, address, reporter_id,"     \
    " phone, dept_id, priority, deadline_at, held_from, merged_into, escalation, rating," \
    " extra, created_at, updated_at, version, flags, assignee_id"
/* A case from row i of a result whose first columns are STORE_PG_CASE_COLS;
 * the caller frees it (case_clear). */
void store_pg_case_row(const PGresult *r, int i, jc_case *k);
/* A new string the caller frees; NULL for SQL NULL (and out of memory). */
char *pg_dup(const PGresult *r, int row, int col);

#endif
