/*
 * store.c -- store.h over the storage backends (store_backend.h): the store
 * is opened by the first backend that accepts the --db string, and every
 * call goes through the function table its handle begins with.  One
 * indirect call per operation; no backend is named outside its own files
 * and the list below.
 */
#include "store_backend.h"

#include <stdlib.h>
#include <string.h>


/* The backends, tried in order by store_open: one whose accepts() takes
 * only its own kind of name first, SQLite (any path) last. */
static const jc_store_ops *const backends[] = {
    &store_pg_ops,     /* postgresql://..., postgres://..., "... dbname=..." */
    &store_sqlite_ops, /* any other name: a path */
};

/* The table a store or connection handle begins with. */
#define OPS(h) (*(const jc_store_ops *const *)(const void *)(h))

/* ---- stores and connections ------------------------------------------------- */

jc_err store_open(const char *db, jc_store **out) {
    *out = NULL;
    for (size_t i = 0; i < JC_ARRAY_LEN(backends); i++)
        if (backends[i]->accepts(db)) return backends[i]->open(db, out);
    jc_log(JC_LOG_ERROR, "no storage backend takes %s", db);
    return JC_ERR_INVALID;
}

void store_close(jc_store *st) {
    if (st) OPS(st)->close(st);
}

jc_err store_migrate_core(jc_store *st, int *version) { return OPS(st)->migrate_core(st, version); }

jc_err store_migrate_schema(jc_store *st, const jc_schema *m) { return OPS(st)->migrate_schema(st, m); }

jc_store_kind store_kind_of(const jc_store *st) { return OPS(st)->kind; }

jc_store_kind store_kind(const jc_conn *c) { return OPS(c)->kind; }

const char *store_backend_name(const jc_conn *c) { return OPS(c)->name; }

jc_err store_watch(jc_store *st) { return OPS(st)->watch(st); }

int store_is_leader(jc_store *st) { return OPS(st)->is_leader(st); }

jc_err store_conn_open(jc_store *st, jc_conn **out) { return OPS(st)->conn_open(st, out); }

void store_conn_close(jc_conn *c) {
    if (c) OPS(c)->conn_close(c);
}

jc_err store_snapshot_begin(jc_conn *c, int *began) { return OPS(c)->snapshot_begin(c, began); }

void store_snapshot_end(jc_conn *c, int began) { OPS(c)->snapshot_end(c, began); }

jc_err store_submit(jc_store *st, jc_write_job *job) { return OPS(st)->submit(st, job); }

jc_err store_exec(jc_store *st, jc_err (*run)(jc_conn *w, void *arg), void *arg) {
    return OPS(st)->exec(st, run, arg);
}

void store_stats(jc_store *st, jc_store_stats *out) { OPS(st)->stats(st, out); }

void store_set_min_free(jc_store *st, int64_t bytes) {
    if (OPS(st)->set_min_free) OPS(st)->set_min_free(st, bytes);
}

void store_health(jc_store *st, jc_store_health *out) {
    if (OPS(st)->health) {
        OPS(st)->health(st, out);
        return;
    }
    out->nospace = 0;
    out->free_bytes = -1;
    out->min_free = 0;
}

uint64_t store_outside(jc_conn *w) { return OPS(w)->outside(w); }

uint64_t store_epoch(jc_conn *w) { return OPS(w)->epoch(w); }

void store_touch(jc_conn *w) { OPS(w)->touch(w); }

void *store_writer_state(jc_conn *w, const void *key, size_t size, void (*free_fn)(void *)) {
    return OPS(w)->writer_state(w, key, size, free_fn);
}

/* ---- the writer's state blocks, for the backends -------------------------------- */

struct jc_writer_block {
    const void *key;
    void *p;
    void (*free_fn)(void *);
};

void *store__block(jc_writer_blocks *b, const void *key, size_t size, void (*free_fn)(void *)) {
    for (int i = 0; i < b->n; i++)
        if (b->v[i].key == key) return b->v[i].p;
    struct jc_writer_block *v = realloc(b->v, (size_t)(b->n + 1) * sizeof *v);
    if (!v) return NULL;
    b->v = v;
    void *p = calloc(1, size ? size : 1);
    if (!p) return NULL;
    b->v[b->n++] = (struct jc_writer_block){key, p, free_fn};
    return p;
}

void store__blocks_free(jc_writer_blocks *b) {
    for (int i = b->n - 1; i >= 0; i--) {
        if (b->v[i].free_fn) b->v[i].free_fn(b->v[i].p);
        free(b->v[i].p);
    }
    free(b->v);
    b->v = NULL;
    b->n = 0;
}

/* ---- rows --------------------------------------------------------------------- */

jc_err store_user_insert(jc_conn *w, jc_user *u) {
    return OPS(w)->user_insert(w, u);
}
jc_err store_user_get(jc_conn *c, int64_t id, jc_user *out) {
    return OPS(c)->user_get(c, id, out);
}
jc_err store_user_by_name(jc_conn *c, const char *name, jc_user *out) {
    return OPS(c)->user_by_name(c, name, out);
}
jc_err store_user_set_password(jc_conn *w, int64_t id, const char *pw_hash) {
    return OPS(w)->user_set_password(w, id, pw_hash);
}
jc_err store_user_each(jc_conn *c, int (*cb)(const jc_user *u, void *arg), void *arg) {
    return OPS(c)->user_each(c, cb, arg);
}
jc_err store_session_insert(jc_conn *w, const char *token_hash, int64_t user_id, int64_t created_ms, int64_t expires_ms) {
    return OPS(w)->session_insert(w, token_hash, user_id, created_ms, expires_ms);
}
jc_err store_session_user(jc_conn *c, const char *token_hash, int64_t now_ms, jc_user *out) {
    return OPS(c)->session_user(c, token_hash, now_ms, out);
}
jc_err store_session_delete(jc_conn *w, const char *token_hash) {
    return OPS(w)->session_delete(w, token_hash);
}
jc_err store_sessions_delete_user(jc_conn *w, int64_t user_id) {
    return OPS(w)->sessions_delete_user(w, user_id);
}
jc_err store_area_put(jc_conn *w, const jc_area *a) {
    return OPS(w)->area_put(w, a);
}
jc_err store_area_get(jc_conn *c, const char *code, jc_area *out) {
    return OPS(c)->area_get(c, code, out);
}
jc_err store_area_exists(jc_conn *c, const char *code) {
    return OPS(c)->area_exists(c, code);
}
jc_err store_area_each(jc_conn *c, int (*cb)(const jc_area *a, void *arg), void *arg) {
    return OPS(c)->area_each(c, cb, arg);
}
jc_err store_dept_put(jc_conn *w, jc_dept *d) {
    return OPS(w)->dept_put(w, d);
}
jc_err store_dept_get(jc_conn *c, int64_t id, jc_dept *out) {
    return OPS(c)->dept_get(c, id, out);
}
jc_err store_dept_by_code(jc_conn *c, const char *code, jc_dept *out) {
    return OPS(c)->dept_by_code(c, code, out);
}
jc_err store_dept_each(jc_conn *c, int (*cb)(const jc_dept *d, void *arg), void *arg) {
    return OPS(c)->dept_each(c, cb, arg);
}
jc_err store_category_put(jc_conn *w, const jc_category *k) {
    return OPS(w)->category_put(w, k);
}
jc_err store_category_get(jc_conn *c, const char *code, jc_category *out) {
    return OPS(c)->category_get(c, code, out);
}
jc_err store_category_urgent(jc_conn *c, const char *code, int *urgent) {
    return OPS(c)->category_urgent(c, code, urgent);
}
jc_err store_category_each(jc_conn *c, int (*cb)(const jc_category *k, void *arg), void *arg) {
    return OPS(c)->category_each(c, cb, arg);
}
jc_err store_case_insert(jc_conn *w, jc_case *k) {
    return OPS(w)->case_insert(w, k);
}
jc_err store_case_reserve(jc_conn *w, jc_case *k) {
    return OPS(w)->case_reserve(w, k);
}
jc_err store_case_get(jc_conn *c, int64_t id, jc_case *out) {
    return OPS(c)->case_get(c, id, out);
}
jc_err store_case_update(jc_conn *w, jc_case *k) {
    return OPS(w)->case_update(w, k);
}
jc_err store_case_each(jc_conn *c, const jc_case_filter *f, int (*cb)(const jc_case *k, void *arg), void *arg) {
    return OPS(c)->case_each(c, f, cb, arg);
}
jc_err store_case_scan(jc_conn *c, int64_t only_id, int (*cb)(const jc_case *k, void *arg), void *arg) {
    return OPS(c)->case_scan(c, only_id, cb, arg);
}
jc_err store_case_count_by_state(jc_conn *c, int (*cb)(const char *state, int64_t n, void *arg), void *arg) {
    return OPS(c)->case_count_by_state(c, cb, arg);
}
jc_err store_audit_append(jc_conn *w, jc_audit *e) {
    return OPS(w)->audit_append(w, e);
}
jc_err store_audit_each(jc_conn *c, int64_t case_id, int (*cb)(const jc_audit *e, void *arg), void *arg) {
    return OPS(c)->audit_each(c, case_id, cb, arg);
}
typedef struct {
    int (*cb)(const jc_audit_raw *e, void *arg);
    void *arg;
} walk_arg;

/* An entry of audit_each as store_audit_walk gives it. */
static int walk_entry(const jc_audit *e, void *arg) {
    walk_arg *w = arg;
    jc_audit_raw r = {.seq = e->seq, .case_id = e->case_id, .at_ms = e->at_ms, .actor_id = e->actor_id};
    const char *t[JC_AR__COUNT] = {e->actor, e->role, e->action, e->from_state, e->to_state,
                                   e->reason ? e->reason : ""};
    for (int i = 0; i < JC_AR__COUNT; i++) r.text[i].p = t[i], r.text[i].n = strlen(t[i]);
    chain_hash_col_from_text(&r.payload_hash, e->payload_hash);
    chain_hash_col_from_text(&r.state_hash, e->state_hash);
    chain_hash_col_from_text(&r.prev_hash, e->prev_hash);
    chain_hash_col_from_text(&r.hash, e->hash);
    return w->cb(&r, w->arg);
}

jc_err store_audit_walk(jc_conn *c, int (*cb)(const jc_audit_raw *e, void *arg), void *arg) {
    if (OPS(c)->audit_walk) return OPS(c)->audit_walk(c, cb, arg);
    walk_arg w = {cb, arg};
    return OPS(c)->audit_each(c, -1, walk_entry, &w);
}
jc_err store_audit_walk_par(jc_conn *c, int nthreads, size_t slot_size,
                            void (*work)(const jc_audit_raw *e, void *slot, void *arg),
                            int (*each)(void *slot, void *arg), void *arg) {
    if (!OPS(c)->audit_walk_par) return JC_ERR_UNAVAILABLE;
    return OPS(c)->audit_walk_par(c, nthreads, slot_size, work, each, arg);
}
jc_err store_audit_since(jc_conn *c, int64_t after_seq, int limit, int (*cb)(const jc_audit *e, const jc_case *k, void *arg), void *arg) {
    return OPS(c)->audit_since(c, after_seq, limit, cb, arg);
}
jc_err store_audit_last(jc_conn *c, int64_t *seq) {
    return OPS(c)->audit_last(c, seq);
}
jc_err store_meta_get(jc_conn *c, const char *key, char *out, size_t outsz) {
    return OPS(c)->meta_get(c, key, out, outsz);
}
jc_err store_meta_put(jc_conn *w, const char *key, const char *value) {
    return OPS(w)->meta_put(w, key, value);
}
