/*
 * auth_store.h -- the row operations behind login throttling (auth.c
 * decides; auth_sqlite.c and auth_pg.c store).  One row per throttled key: an account
 * name as typed ("account:<name>", known or not, so that the answer does not
 * tell which names exist) or a client address ("address:<ip>").
 */
#ifndef JC_AUTH_STORE_H
#define JC_AUTH_STORE_H

#include "jc.h"
#include "module.h"
#include "store.h"

typedef struct jc_conn jc_conn;

typedef struct {
    char key[300];         /* "account:<name>" | "address:<ip>" */
    int failures;          /* consecutive failures in the window */
    int64_t last_at;       /* the last failure, real ms */
    int64_t locked_until;  /* 0: not locked */
} auth_throttle_row;

typedef struct {
    /* The row of key into *out; JC_ERR_NOTFOUND when there is none. */
    jc_err (*get)(jc_conn *c, const char *key, auth_throttle_row *out);
    /* Writes row (insert or replace) and forgets rows whose last failure is
     * older than forget_before. */
    jc_err (*put)(jc_conn *w, const auth_throttle_row *row, int64_t forget_before);
    /* Deletes key's row; JC_ERR_NOTFOUND when there was none. */
    jc_err (*delete)(jc_conn *w, const char *key);
    /* Calls cb for every row, newest failure first (at most 1000). */
    jc_err (*each)(jc_conn *c, int (*cb)(const auth_throttle_row *row, void *arg), void *arg);
} auth_store_ops;

/* The two backends' tables (auth_sqlite.c, auth_pg.c) and tables
 * (schemas), named in the module's row (auth.c). */
extern const auth_store_ops auth_store_sqlite, auth_store_pg;
extern const jc_schema schema_auth, schema_auth_pg;
extern const jc_module module_auth;

/* The operations above on c's backend (the auth module runs on every one). */
static inline const auth_store_ops *auth_store(const jc_conn *c) {
    return (const auth_store_ops *)module_store(&module_auth, c);
}
static inline JC_MUST_CHECK jc_err auth_store_get(jc_conn *c, const char *key, auth_throttle_row *out) {
    return auth_store(c)->get(c, key, out);
}
static inline JC_MUST_CHECK jc_err auth_store_put(jc_conn *w, const auth_throttle_row *row, int64_t forget_before) {
    return auth_store(w)->put(w, row, forget_before);
}
static inline JC_MUST_CHECK jc_err auth_store_delete(jc_conn *w, const char *key) { return auth_store(w)->delete(w, key); }
static inline JC_MUST_CHECK jc_err auth_store_each(jc_conn *c, int (*cb)(const auth_throttle_row *row, void *arg), void *arg) {
    return auth_store(c)->each(c, cb, arg);
}

#endif
