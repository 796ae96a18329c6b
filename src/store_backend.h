/*
 * store_backend.h -- what a storage backend gives the program: one table of
 * functions, jc_store_ops, with the contracts of store.h.  store.c chooses
 * the backend when a store is opened (the first whose accepts() takes the
 * --db string: "postgresql://..." is PostgreSQL's, any path SQLite's) and
 * every store.h call goes through the table of the handle it is given.
 *
 * A backend's store and connection handles begin with a pointer to its
 * table (`const jc_store_ops *ops` as their first member); nothing else of
 * them is seen outside the backend.  The backends: store_sqlite.c
 * (store_sqlite_ops) and, added beside it, store_pg.c.
 *
 * Modules' own tables and row operations go the same way, per module:
 * their row (module.h) names, for each backend kind, the schema and a table
 * of the module's row operations (`.store[JC_STORE_SQLITE]` from
 * X_sqlite.c, `.store[JC_STORE_PG]` from X_pg.c).
 */
#ifndef JC_STORE_BACKEND_H
#define JC_STORE_BACKEND_H

#include "store.h"

typedef struct jc_store_ops jc_store_ops;
struct jc_store_ops {
    const char *name; /* "sqlite" */
    jc_store_kind kind;
    /* 1 when db (serve --db) names a database of this backend */
    int (*accepts)(const char *db);

    jc_err (*open)(const char *db, jc_store **out);
    void (*close)(jc_store *st);
    jc_err (*migrate_core)(jc_store *st, int *version);
    jc_err (*migrate_schema)(jc_store *st, const jc_schema *m);
    jc_err (*watch)(jc_store *st);
    int (*is_leader)(jc_store *st);
    jc_err (*conn_open)(jc_store *st, jc_conn **out);
    void (*conn_close)(jc_conn *c);
    jc_err (*snapshot_begin)(jc_conn *c, int *began);
    void (*snapshot_end)(jc_conn *c, int began);
    jc_err (*submit)(jc_store *st, jc_write_job *job);
    jc_err (*exec)(jc_store *st, jc_err (*run)(jc_conn *w, void *arg), void *arg);
    void (*stats)(jc_store *st, jc_store_stats *out);
    /* A full disk (store.h); NULL: the backend does not watch a disk of
     * its own (store_health then says nothing is refused). */
    void (*set_min_free)(jc_store *st, int64_t bytes);
    void (*health)(jc_store *st, jc_store_health *out);
    uint64_t (*outside)(jc_conn *w);
    uint64_t (*epoch)(jc_conn *w);
    void (*touch)(jc_conn *w);
    void *(*writer_state)(jc_conn *w, const void *key, size_t size, void (*free_fn)(void *));

    jc_err (*user_insert)(jc_conn *w, jc_user *u);
    jc_err (*user_get)(jc_conn *c, int64_t id, jc_user *out);
    jc_err (*user_by_name)(jc_conn *c, const char *name, jc_user *out);
    jc_err (*user_set_password)(jc_conn *w, int64_t id, const char *pw_hash);
    jc_err (*user_each)(jc_conn *c, int (*cb)(const jc_user *u, void *arg), void *arg);
    jc_err (*session_insert)(jc_conn *w, const char *token_hash, int64_t user_id, int64_t created_ms,
                             int64_t expires_ms);
    jc_err (*session_user)(jc_conn *c, const char *token_hash, int64_t now_ms, jc_user *out);
    jc_err (*session_delete)(jc_conn *w, const char *token_hash);
    jc_err (*sessions_delete_user)(jc_conn *w, int64_t user_id);

    jc_err (*area_put)(jc_conn *w, const jc_area *a);
    jc_err (*area_get)(jc_conn *c, const char *code, jc_area *out);
    jc_err (*area_exists)(jc_conn *c, const char *code);
    jc_err (*area_each)(jc_conn *c, int (*cb)(const jc_area *a, void *arg), void *arg);
    jc_err (*dept_put)(jc_conn *w, jc_dept *d);
    jc_err (*dept_get)(jc_conn *c, int64_t id, jc_dept *out);
    jc_err (*dept_by_code)(jc_conn *c, const char *code, jc_dept *out);
    jc_err (*dept_each)(jc_conn *c, int (*cb)(const jc_dept *d, void *arg), void *arg);
    jc_err (*category_put)(jc_conn *w, const jc_category *k);
    jc_err (*category_get)(jc_conn *c, const char *code, jc_category *out);
    jc_err (*category_urgent)(jc_conn *c, const char *code, int *urgent);
    jc_err (*category_each)(jc_conn *c, int (*cb)(const jc_category *k, void *arg), void *arg);

    jc_err (*case_insert)(jc_conn *w, jc_case *k);
    jc_err (*case_reserve)(jc_conn *w, jc_case *k);
    jc_err (*case_get)(jc_conn *c, int64_t id, jc_case *out);
    jc_err (*case_update)(jc_conn *w, jc_case *k);
    jc_err (*case_each)(jc_conn *c, const jc_case_filter *f, int (*cb)(const jc_case *k, void *arg), void *arg);
    jc_err (*case_scan)(jc_conn *c, int64_t only_id, int (*cb)(const jc_case *k, void *arg), void *arg);
    jc_err (*case_count_by_state)(jc_conn *c, int (*cb)(const char *state, int64_t n, void *arg), void *arg);

    jc_err (*audit_append)(jc_conn *w, jc_audit *e);
    jc_err (*audit_each)(jc_conn *c, int64_t case_id, int (*cb)(const jc_audit *e, void *arg), void *arg);
    jc_err (*audit_walk)(jc_conn *c, int (*cb)(const jc_audit_raw *e, void *arg), void *arg); /* NULL: audit_each */
    jc_err (*audit_walk_par)(jc_conn *c, int nthreads, size_t slot_size,
                             void (*work)(const jc_audit_raw *e, void *slot, void *arg),
                             int (*each)(void *slot, void *arg), void *arg); /* NULL: none */
    jc_err (*audit_since)(jc_conn *c, int64_t after_seq, int limit,
                          int (*cb)(const jc_audit *e, const jc_case *k, void *arg), void *arg);
    jc_err (*audit_last)(jc_conn *c, int64_t *seq);

    jc_err (*meta_get)(jc_conn *c, const char *key, char *out, size_t outsz);
    jc_err (*meta_put)(jc_conn *w, const char *key, const char *value);
};

/* The writer's state blocks (store_writer_state), which a backend keeps on
 * its writer connection: the block named by key, size bytes zeroed at its
 * first use (NULL when out of memory); and all freed, last first. */
typedef struct {
    struct jc_writer_block *v;
    int n;
} jc_writer_blocks;
void *store__block(jc_writer_blocks *b, const void *key, size_t size, void (*free_fn)(void *));
void store__blocks_free(jc_writer_blocks *b);

/* The backends' tables (store_sqlite.c, store_pg.c). */
extern const jc_store_ops store_sqlite_ops;
extern const jc_store_ops store_pg_ops;

#endif
