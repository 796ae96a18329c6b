/*
 * auth_store.h -- the row operations behind login throttling (auth.c
 * decides; auth_sqlite.c stores).  One row per throttled key: an account
 * name as typed ("account:<name>", known or not, so that the answer does not
 * tell which names exist) or a client address ("address:<ip>").
 */
#ifndef JC_AUTH_STORE_H
#define JC_AUTH_STORE_H

#include "jc.h"
#include "store.h"

typedef struct jc_conn jc_conn;

typedef struct {
    char key[300];         /* "account:<name>" | "address:<ip>" */
    int failures;          /* consecutive failures in the window */
    int64_t last_at;       /* the last failure, real ms */
    int64_t locked_until;  /* 0: not locked */
} auth_throttle_row;

/* The row of key into *out; JC_ERR_NOTFOUND when there is none. */
jc_err auth_store_get(jc_conn *c, const char *key, auth_throttle_row *out) JC_MUST_CHECK;
/* Writes row (insert or replace) and forgets rows whose last failure is
 * older than forget_before. */
jc_err auth_store_put(jc_conn *w, const auth_throttle_row *row, int64_t forget_before) JC_MUST_CHECK;
/* Deletes key's row; JC_ERR_NOTFOUND when there was none. */
jc_err auth_store_delete(jc_conn *w, const char *key) JC_MUST_CHECK;
/* Calls cb for every row, newest failure first (at most 1000). */
jc_err auth_store_each(jc_conn *c, int (*cb)(const auth_throttle_row *row, void *arg), void *arg) JC_MUST_CHECK;

/* The auth module's tables (auth_sqlite.c), named in its row (auth.c). */
extern const jc_schema schema_auth;

#endif
