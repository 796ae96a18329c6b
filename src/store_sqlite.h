/*
 * store_sqlite.h -- for the SQLite halves of modules (src/<module>_sqlite.c):
 * the raw handle of a connection, its statement cache and small bind / column
 * / error helpers (sq_*).  Only files that are themselves part of the
 * SQLite backend include this; everything else goes through store.h and the
 * modules' own headers.
 */
#ifndef JC_STORE_SQLITE_H
#define JC_STORE_SQLITE_H

#include <sqlite3.h>

#include "store.h"

/* The sqlite3 handle of c (owned by c; valid while c is open). */
sqlite3 *store_sqlite_db(jc_conn *c);
/* A prepared statement for sql, cached on c by the ADDRESS of sql (pass a
 * string literal or a static constant), reset and with bindings cleared.
 * Owned by c; NULL on a prepare error (logged). */
sqlite3_stmt *store_sqlite_prepare(jc_conn *c, const char *sql);
/* The audit chain's last entry: its seq and hash (0 and the genesis hash
 * when the chain is empty). */
jc_err store_sqlite_audit_tail(jc_conn *c, int64_t *seq, char hash[65]) JC_MUST_CHECK;
/* Inserts e as it is, seq and hashes already computed (the append reads the
 * tail and chains; bench-fill keeps the tail itself, src/fill_sqlite.c).
 * e->prev_hash must be the hash of entry e->seq - 1: it is not stored
 * (SQ_AUDIT_PREV_HASH), and a wrong one fails verification at e. */
jc_err store_sqlite_audit_insert(jc_conn *w, const jc_audit *e) JC_MUST_CHECK;
/* An audit row's prev_hash as it reads, in a query over "audit a": rows
 * written since core migration 3 store a zero-length value there, which
 * stands for the hash of entry seq - 1 (32 zero bytes, the genesis value,
 * for entry 1; NULL, no hash, when entry seq - 1 is missing). */
#define SQ_AUDIT_PREV_HASH                                                                          \
    "CASE WHEN length(a.prev_hash) = 0 THEN coalesce((SELECT p.hash FROM audit p WHERE p.seq = a.seq - 1)," \
    " CASE WHEN a.seq = 1 THEN zeroblob(32) END) ELSE a.prev_hash END"
/* Non-zero while c is the writer inside a batch: a number that changes at
 * a batch's start when another connection committed since the last one, at
 * every rollback of a job and at store_sqlite_touch (a module that rolls
 * back to a savepoint of its own calls it too).
 * What a module read from tables only it and the catalogue functions write
 * may be kept while the number stays the same. */
uint64_t store_sqlite_epoch(jc_conn *c);
/* Marks what was kept by epoch stale (a write to such a table). */
void store_sqlite_touch(jc_conn *c);
/* A number that changes when the database may differ from what the
 * writer c's own successful jobs left in it: at a batch's start when
 * another connection committed since the last one, and when a batch's
 * commit failed.  (Not at the rollback of a single job: what that job
 * wrote is undone, what others wrote stays.)  What a module keeps in
 * memory beside a table only it writes -- and writes only from jobs that
 * succeed -- counts while this stays the same. */
uint64_t store_sqlite_outside(jc_conn *c);

/* The columns of a case row, in the order store_sqlite_case_row reads them
 * (columns 0 to 24 of a statement that selects them first). */
#define STORE_CASE_COLS                                                                   \
    "id, title, body, category, source, state, area, lon, lat, address, reporter_id,"     \
    " phone, dept_id, priority, deadline_at, held_from, merged_into, escalation, rating," \
    " extra, created_at, updated_at, version, flags, assignee_id"
/* Reads the case row s stands on into *out (its texts its own: case_clear). */
void store_sqlite_case_row(sqlite3_stmt *s, jc_case *out);

/* ---- small helpers (sq_) for every SQLite file ------------------------------
 * Binding copies text (SQLITE_TRANSIENT).  `tag` names the caller in log
 * lines ("sqlite", "worklist", ...): "<tag>: <what>: <sqlite message>". */

/* Binds v as text, NULL as SQL NULL. */
void sq_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Binds v as text; NULL and "" as SQL NULL (an optional field). */
void sq_bind_text_opt(sqlite3_stmt *s, int i, const char *v);
/* Binds v as text; NULL as "" (a NOT NULL column). */
void sq_bind_text_empty(sqlite3_stmt *s, int i, const char *v);
/* Binds v; 0 as SQL NULL (an optional id or time). */
void sq_bind_i64_opt(sqlite3_stmt *s, int i, int64_t v);
/* Column i as text, "" for NULL; valid until the next step/reset/finalize. */
const char *sq_col_str(sqlite3_stmt *s, int i);
/* Copies column i into dst (n bytes, truncated, always terminated); NULL
 * gives "". */
void sq_col_copy(sqlite3_stmt *s, int i, char *dst, size_t n);
/* Column i as a new string the caller frees; NULL for NULL (and when out of
 * memory). */
char *sq_col_dup(sqlite3_stmt *s, int i);
/* Logs db's last error as an error and returns JC_ERR_DB. */
jc_err sq_fail(sqlite3 *db, const char *tag, const char *what);
/* Prepares sql on db (not cached: the caller finalizes *out).  JC_ERR_DB
 * (logged, *out NULL) when it does not compile. */
jc_err sq_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out);
/* Runs sql (one or more statements, no rows wanted); returns SQLite's
 * result code and logs a failure. */
int sq_exec(sqlite3 *db, const char *tag, const char *sql);
/* Steps s, a statement that returns no rows, and resets it (the bindings
 * stay).  JC_OK when done; JC_ERR_CONFLICT on a constraint (logged at debug
 * level); JC_ERR_DB otherwise (logged). */
jc_err sq_step_done(sqlite3 *db, sqlite3_stmt *s, const char *tag, const char *what);

/* One integer: the first column of sql's first row, sql's ?1 bound to text
 * (NULL as ""); *n 0 when no row.  (A count by an area prefix.) */
jc_err sq_int_by_text(jc_conn *c, const char *sql, const char *text, int64_t *n) JC_MUST_CHECK;
/* The rows after an id, for a live stream: since_sql (?1 the id after
 * which, ?2 the limit; its first column the increasing id) calls row(s,
 * arg) for each (non-zero stops) and leaves the last id read in *last
 * (after when none); with row NULL, newest_sql's one value, the newest id,
 * goes to *last.  tag names the caller in the log. */
jc_err sq_since(jc_conn *c, const char *since_sql, const char *newest_sql, int64_t after, int limit,
                int64_t *last, int (*row)(sqlite3_stmt *s, void *arg), void *arg, const char *tag) JC_MUST_CHECK;

#endif
