/*
 * store.h -- the interface between jiceng and its storage engine.
 *
 * The embedded default is SQLite (store_sqlite.c); a PostgreSQL backend
 * implements the same functions.  Two kinds of access:
 *
 *   - reads use a jc_conn that the calling thread owns (store_conn_open);
 *   - writes are jobs run by ONE writer thread, which takes every job that is
 *     waiting, runs each inside its own savepoint of one transaction and
 *     commits once (group commit).  A job's `done` callback is called only
 *     after that commit is durable (or with the error that prevented it), so
 *     a request is answered only after its data is safe.
 *
 * Domain rows are plain structs (model.h).  All SQL lives in the backend.
 * The backend is chosen when the store is opened, from the --db string
 * (store.c; what a backend provides: store_backend.h).
 */
#ifndef JC_STORE_H
#define JC_STORE_H

#include "chain.h"
#include "jc.h"
#include "model.h"

typedef struct jc_store jc_store; /* opaque: a database and its writer */
typedef struct jc_conn jc_conn;   /* opaque: one connection, one thread */

/* The kinds of storage backend, an index for what a module keeps per
 * backend (its row's .store and .schema, module.h). */
typedef enum { JC_STORE_SQLITE, JC_STORE_PG, JC_STORE__COUNT } jc_store_kind;

/* Opens (creating if needed) the database db -- a path (SQLite) or a
 * backend's URL -- and starts the writer thread.  *out is owned by the
 * caller: store_close() it.  JC_ERR_INVALID when no backend takes db. */
jc_err store_open(const char *db, jc_store **out) JC_MUST_CHECK;
/* Drains the write queue, stops the writer, closes.  NULL is a no-op. */
void store_close(jc_store *st);
/* A module's own tables: its migrations run in order, once each; the count
 * applied is kept in meta('schema.<name>').  Append, never edit a shipped
 * one.  SQL in the SQLite dialect (a PostgreSQL backend carries its own).
 * Each module names its schema in its row (module.h). */
typedef struct {
    const char *name;
    const char *const *migrations;
    int count;
} jc_schema;

/* What the SQLite database file at path holds against what this program
 * expects (jiceng doctor): its core schema, and each of the nschemas module
 * schemas (NULL entries skipped), read through a read-only connection
 * without opening a store. */
typedef struct {
    int version, target;           /* the core schema: in the database, of this program */
    int modules;                   /* module schemas this program has */
    int modules_behind, modules_ahead;
    char first_behind[32], first_ahead[32]; /* a module's name, "" none */
    int64_t last_audit_ms;         /* the newest trace entry's time, 0 none */
} jc_store_schema;
jc_err store_inspect(const char *path, const jc_schema *const *schemas, size_t nschemas, jc_store_schema *out,
                     char *msg, size_t msgsz) JC_MUST_CHECK;

/* Applies the core migrations, then the schema of every module that runs on
 * this store's backend, in the order of the module table (defined in
 * src/modules.c); *version gets the core schema version.  A module that
 * does not run there (module_runs_on, module.h) is left out with a line in
 * the log; JC_ERR_UNAVAILABLE (nothing applied) when it is the module whose
 * subcommand this process runs. */
jc_err store_migrate(jc_store *st, int *version) JC_MUST_CHECK;
/* JC_ERR_CONFLICT, with what to do in msg, when the store at db (a path or a
 * PostgreSQL URL) holds a core or module schema newer than this program's:
 * for the commands that read a store without migrating it (jiceng audit),
 * which would misread what a newer program wrote (an entry's derived
 * prev_hash read by an older one is a FAILED verification).  Reads only;
 * JC_OK when the store cannot be read (opening it says why). */
jc_err store_refuse_newer(const char *db, char *msg, size_t msgsz) JC_MUST_CHECK;
/* The backend's two halves of store_migrate: the core's tables (*version
 * gets their version), and one module's schema. */
jc_err store_migrate_core(jc_store *st, int *version) JC_MUST_CHECK;
jc_err store_migrate_schema(jc_store *st, const jc_schema *m) JC_MUST_CHECK;

/* The backend kind of a store or a connection, and its name ("sqlite"). */
jc_store_kind store_kind_of(const jc_store *st);
jc_store_kind store_kind(const jc_conn *c);
const char *store_backend_name(const jc_conn *c);

/* For a server, after store_migrate: starts what several instances on one
 * database need (PostgreSQL: the watcher of other instances' commits and
 * of the leader lock, docs/postgresql.md); nothing on SQLite, where one
 * server owns its database. */
jc_err store_watch(jc_store *st) JC_MUST_CHECK;
/* 1 while this process should run the periodic work (the ticks): always on
 * SQLite; on PostgreSQL while it holds the leader lock (one instance of
 * those on the database; another takes over within seconds of its death). */
int store_is_leader(jc_store *st);

/* A read connection for the calling thread (caller owns; conn_close). */
jc_err store_conn_open(jc_store *st, jc_conn **out) JC_MUST_CHECK;
/* A read-only connection to the database at path without opening a store
 * (no writer, nothing created or migrated): for checking a copy. */
jc_err store_conn_open_path(const char *path, jc_conn **out) JC_MUST_CHECK;
void store_conn_close(jc_conn *c);
/* Reads on c between these two see one state of the database (what was
 * committed when the first read began), however long they take and
 * whatever commits meanwhile; a connection already inside a transaction
 * (the writer's batch) stays in it.  store_snapshot_end(c, 1) after a
 * successful store_snapshot_begin. */
jc_err store_snapshot_begin(jc_conn *c, int *began) JC_MUST_CHECK;
void store_snapshot_end(jc_conn *c, int began);

/* ---- one program alone on a database (src/store_lock.c) ------------------
 * serve and restore claim the database for as long as they run; a second
 * claim fails with JC_ERR_CONFLICT and holder says who has it ("pid 123:
 * serve http://127.0.0.1:8080/").  The claim ends with store_unclaim or
 * when the process ends, however it ends.  A PostgreSQL database, which
 * several servers may share, is not claimed (JC_OK, *out NULL).  who is
 * written for a second claimant to read. */
typedef struct jc_claim jc_claim;
jc_err store_claim(const char *path, const char *who, jc_claim **out, char *holder, size_t holdersz) JC_MUST_CHECK;
/* Replaces what a second claimant reads (e.g. once the address is known). */
void store_claim_describe(jc_claim *c, const char *who);
void store_unclaim(jc_claim *c);
/* JC_OK when the program may write the database at path (it need not
 * exist yet): the file and its directory (where the -wal, -shm and lock
 * files go) are writable.  Else JC_ERR_DENIED with what to fix in msg
 * ("/srv/jiceng.db is read-only for user jiceng (uid 996): ..."). */
jc_err store_writable(const char *path, char *msg, size_t msgsz) JC_MUST_CHECK;

/* ---- the writer --------------------------------------------------------- */
typedef struct jc_write_job jc_write_job;
struct jc_write_job {
    /* Runs on the writer thread inside a savepoint; returning an error rolls
     * back only this job's changes. */
    jc_err (*run)(jc_conn *w, void *arg);
    /* Set when run may be called again after its writes were rolled back
     * (it then starts over from its arguments as submitted, and leaves no
     * effect outside the database that a second run would double).  Such
     * jobs share a savepoint, which makes them cheaper; see run_batch. */
    int rerun;
    /* Called after the commit is on disk (err = JC_OK) or with the error of
     * run(), of the commit or of the flush; on the syncer thread (the
     * writer's when the store syncs inline), in submission order.  Must not
     * block. */
    void (*done)(void *arg, jc_err err);
    void *arg;
    /* Set for the few writes that keep the server usable when its disk is
     * full (logging in and out): they still run then, in the space kept in
     * reserve, where every other job is refused with JC_ERR_NOSPACE. */
    int essential;
    jc_write_job *next; /* private to the store */
    jc_err result;      /* private to the store */
};
/* Queues a job; the caller keeps *job alive until done() is called.
 * JC_ERR_UNAVAILABLE when the store is closing or the queue is full. */
jc_err store_submit(jc_store *st, jc_write_job *job) JC_MUST_CHECK;
/* Runs run(arg) through the writer and waits for the commit. */
jc_err store_exec(jc_store *st, jc_err (*run)(jc_conn *w, void *arg), void *arg) JC_MUST_CHECK;

/* The writer's own: a number that changes when the database may differ
 * from what the writer w's own successful jobs left in it (another
 * connection or instance committed since its last batch, or a commit
 * failed).  What a module keeps in memory beside a table only it writes --
 * and writes only from jobs that succeed -- counts while this stays the same. */
uint64_t store_outside(jc_conn *w);
/* Non-zero while w is the writer inside a batch: a number that changes at
 * a batch's start when another connection committed since the last one,
 * at every rollback of a job and at store_touch.  What a module read from
 * tables only it and the catalogue functions write may be kept while the
 * number stays the same (0: keep nothing).  store_touch marks such kept
 * reads stale (a write to such a table). */
uint64_t store_epoch(jc_conn *w);
void store_touch(jc_conn *w);

/* ---- writer context -------------------------------------------------------
 * State a module keeps for the writer of one store (caches, timers, the
 * cases changed in a batch) lives with that store, not in a global: the
 * block named by key (any address unique to the module, such as its row),
 * size bytes zeroed at its first use, freed with free_fn (may be NULL) and
 * then free() when the store closes.  Only on the writer thread, with its
 * connection (asserted: a job, a tick, a migration's follow-up run through
 * store_exec).  NULL when out of memory. */
void *store_writer_state(jc_conn *w, const void *key, size_t size, void (*free_fn)(void *));

typedef struct {
    uint64_t batches, jobs, failed_jobs, max_batch;
    uint64_t reruns;      /* groups of jobs run again (one failed after writing) */
    uint64_t queue_depth; /* jobs waiting now */
} jc_store_stats;
void store_stats(jc_store *st, jc_store_stats *out);

/* ---- a full disk ----------------------------------------------------------
 * When the disk holding the database has less than min_free bytes free
 * (default 0; serve sets 64 MiB), or a commit failed for want of space, the writer
 * refuses every job that is not essential with JC_ERR_NOSPACE (nothing of
 * it written) and logs it once; it looks again every 200 ms and takes
 * writes again as soon as there is room, without a restart. */
void store_set_min_free(jc_store *st, int64_t bytes);
typedef struct {
    int nospace;        /* writes are refused now */
    int64_t free_bytes; /* free for the server's user at the last look; -1 unknown */
    int64_t min_free;
} jc_store_health;
void store_health(jc_store *st, jc_store_health *out);

/* ---- users and sessions ------------------------------------------------- */
jc_err store_user_insert(jc_conn *w, jc_user *u) JC_MUST_CHECK; /* sets u->id */
jc_err store_user_get(jc_conn *c, int64_t id, jc_user *out) JC_MUST_CHECK;
jc_err store_user_by_name(jc_conn *c, const char *name, jc_user *out) JC_MUST_CHECK;
jc_err store_user_set_password(jc_conn *w, int64_t id, const char *pw_hash) JC_MUST_CHECK;
/* Calls cb for every user ordered by id; a non-zero cb return stops. */
jc_err store_user_each(jc_conn *c, int (*cb)(const jc_user *u, void *arg), void *arg) JC_MUST_CHECK;
jc_err store_session_insert(jc_conn *w, const char *token_hash, int64_t user_id,
                            int64_t created_ms, int64_t expires_ms) JC_MUST_CHECK;
/* The user of a live session; JC_ERR_AUTH when unknown or expired. */
jc_err store_session_user(jc_conn *c, const char *token_hash, int64_t now_ms,
                          jc_user *out) JC_MUST_CHECK;
jc_err store_session_delete(jc_conn *w, const char *token_hash) JC_MUST_CHECK;
jc_err store_sessions_delete_user(jc_conn *w, int64_t user_id) JC_MUST_CHECK;

/* ---- catalogue: areas, departments, categories -------------------------- */
jc_err store_area_put(jc_conn *w, const jc_area *a) JC_MUST_CHECK;
jc_err store_area_get(jc_conn *c, const char *code, jc_area *out) JC_MUST_CHECK;
/* JC_OK when the area exists, JC_ERR_NOTFOUND when not (no row copied). */
jc_err store_area_exists(jc_conn *c, const char *code) JC_MUST_CHECK;
jc_err store_area_each(jc_conn *c, int (*cb)(const jc_area *a, void *arg), void *arg) JC_MUST_CHECK;
jc_err store_dept_put(jc_conn *w, jc_dept *d) JC_MUST_CHECK; /* sets d->id */
jc_err store_dept_get(jc_conn *c, int64_t id, jc_dept *out) JC_MUST_CHECK;
jc_err store_dept_by_code(jc_conn *c, const char *code, jc_dept *out) JC_MUST_CHECK;
jc_err store_dept_each(jc_conn *c, int (*cb)(const jc_dept *d, void *arg), void *arg) JC_MUST_CHECK;
jc_err store_category_put(jc_conn *w, const jc_category *k) JC_MUST_CHECK;
jc_err store_category_get(jc_conn *c, const char *code, jc_category *out) JC_MUST_CHECK;
/* The category's urgent flag only; JC_ERR_NOTFOUND for an unknown code. */
jc_err store_category_urgent(jc_conn *c, const char *code, int *urgent) JC_MUST_CHECK;
jc_err store_category_each(jc_conn *c, int (*cb)(const jc_category *k, void *arg),
                           void *arg) JC_MUST_CHECK;

/* ---- cases -------------------------------------------------------------- */
jc_err store_case_insert(jc_conn *w, jc_case *k) JC_MUST_CHECK; /* sets k->id */
/* Reserves the id the next inserted case gets and marks k unsaved (see
 * jc_case.unsaved): its first store_case_update inserts it. */
jc_err store_case_reserve(jc_conn *w, jc_case *k) JC_MUST_CHECK;
/* Fills *out (caller calls case_clear). JC_ERR_NOTFOUND for unknown ids. */
jc_err store_case_get(jc_conn *c, int64_t id, jc_case *out) JC_MUST_CHECK;
/* Writes every mutable field of k and bumps version. */
jc_err store_case_update(jc_conn *w, jc_case *k) JC_MUST_CHECK;
typedef struct {
    const char *state;       /* NULL: any */
    const char *category;    /* NULL: any */
    const char *area_prefix; /* NULL: any; matches area LIKE prefix% */
    int64_t dept_id;         /* 0: any */
    int64_t reporter_id;     /* 0: any */
    int open_only;           /* exclude closed/rated/voided/merged */
    int64_t before_id;       /* 0: newest first from the top; else id < before_id */
    unsigned flags;          /* all of these CASE_F_* bits set */
    int escalated;           /* escalation > 0 (the supervisor's queue) */
    int64_t assignee_id;     /* 0: any */
    int64_t involved_dept;   /* 0: any; else led, co-handled (open case_owner) or summoned by a whistle */
    int limit;               /* 1..500 */
} jc_case_filter;
jc_err store_case_each(jc_conn *c, const jc_case_filter *f,
                       int (*cb)(const jc_case *k, void *arg), void *arg) JC_MUST_CHECK;
/* Calls cb for every case in id order; only_id > 0 restricts to that case. */
jc_err store_case_scan(jc_conn *c, int64_t only_id, int (*cb)(const jc_case *k, void *arg),
                       void *arg) JC_MUST_CHECK;
/* Counts of cases per state into cb (for /metrics and dashboards). */
jc_err store_case_count_by_state(jc_conn *c, int (*cb)(const char *state, int64_t n, void *arg),
                                 void *arg) JC_MUST_CHECK;

/* ---- audit (the hash chain; see audit.h for the rules) ------------------ */
/* Appends e: assigns seq, prev_hash and hash (reading the chain's tail in the
 * same transaction, so several processes may write). */
jc_err store_audit_append(jc_conn *w, jc_audit *e) JC_MUST_CHECK;
/* Calls cb for each entry in seq order; case_id < 0 means all entries. */
jc_err store_audit_each(jc_conn *c, int64_t case_id,
                        int (*cb)(const jc_audit *e, void *arg), void *arg) JC_MUST_CHECK;
/* Calls cb for every entry in seq order, as read for the whole chain's
 * verification (audit.c): texts by pointer, hashes as their bytes, a
 * derived prev_hash as the hash of the entry read before (when that is
 * entry seq - 1; else the text ""); e and what it points to are valid
 * during the call.  A non-zero cb return stops.  A backend without its own
 * walk is read through store_audit_each. */
jc_err store_audit_walk(jc_conn *c, int (*cb)(const jc_audit_raw *e, void *arg), void *arg) JC_MUST_CHECK;
/* The whole chain as store_audit_walk gives it, read on nthreads
 * connections at once, a range of seqs each: work(e, slot, arg) runs on a
 * reading thread for every entry (threads in any order) and keeps what it
 * needs of e in slot (slot_size bytes); each(slot, arg) then runs on the
 * calling thread for every entry in seq order (a non-zero return stops).
 * The entries are those up to the last of c's snapshot (begin one on c
 * first: entries are only ever appended, so they read alike on the reading
 * threads' later ones).  JC_ERR_UNAVAILABLE, nothing called, when the
 * store cannot (PostgreSQL, SQLite in memory, no entries): use
 * store_audit_walk. */
jc_err store_audit_walk_par(jc_conn *c, int nthreads, size_t slot_size,
                            void (*work)(const jc_audit_raw *e, void *slot, void *arg),
                            int (*each)(void *slot, void *arg), void *arg) JC_MUST_CHECK;
/* The entries about a case with seq > after_seq, in seq order, at most
 * limit (the live stream): cb gets the entry's seq, case_id, action,
 * to_state, actor, role and at_ms, and the case's id, area, dept_id,
 * reporter_id and created_ms (what a scope check needs; the rest empty).
 * A non-zero cb return stops. */
jc_err store_audit_since(jc_conn *c, int64_t after_seq, int limit,
                         int (*cb)(const jc_audit *e, const jc_case *k, void *arg), void *arg) JC_MUST_CHECK;
/* The last entry's seq (0 when the log is empty). */
jc_err store_audit_last(jc_conn *c, int64_t *seq) JC_MUST_CHECK;

/* ---- settings (a key and a text value each) ------------------------------ */
/* The value of key into out (NUL-terminated); JC_ERR_NOTFOUND when absent,
 * JC_ERR_TOOBIG when it does not fit (out unspecified). */
jc_err store_meta_get(jc_conn *c, const char *key, char *out, size_t outsz) JC_MUST_CHECK;
/* Sets key to value (writer). */
jc_err store_meta_put(jc_conn *w, const char *key, const char *value) JC_MUST_CHECK;

#endif
