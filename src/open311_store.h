/*
 * open311_store.h -- the row operations of the Open311 module (open311.c and
 * open311_keys.c decide; open311_sqlite.c and open311_pg.c store).
 *
 *  open311_keys      one row per client API key: only the key's hash is
 *                    kept; user_id is the resident-role account the client
 *                    reports as.
 *  open311_requests  one row per case created over Open311: the client, the
 *                    token returned to it and the reporter's contact details
 *                    (never published by GET requests).
 * The lists read the core's cases and audit tables.
 */
#ifndef JC_OPEN311_STORE_H
#define JC_OPEN311_STORE_H

#include "jc.h"
#include "module.h"
#include "store.h"

typedef struct {
    char key_hash[65];
    char name[48];
    int64_t user_id;
    int64_t created_ms;
    int disabled;
} o311_key;

/* What an Open311 POST kept beside the case (never published). */
typedef struct {
    int64_t case_id;
    char token[33];
    char client[48];
    const char *email, *first_name, *last_name, *device_id, *account_id; /* may be NULL */
    int64_t created_ms;
} o311_request_row;

typedef struct {
    int64_t seq, case_id, case_created_ms, at_ms;
    const char *action, *from_state, *to_state; /* valid during the callback */
} o311_update;

#define O311_MAX_CODES 32 /* service_code filters a list takes (more are ignored) */

typedef struct {
    /* The key row whose hash is key_hash; JC_ERR_NOTFOUND when unknown. */
    jc_err (*key_get)(jc_conn *c, const char *key_hash, o311_key *out);
    /* JC_ERR_CONFLICT when the hash or the name is taken. */
    jc_err (*key_insert)(jc_conn *w, const o311_key *k);
    /* Sets disabled on the key named name; JC_ERR_NOTFOUND when none. */
    jc_err (*key_disable)(jc_conn *w, const char *name);
    /* Every key, oldest first (then by name). */
    jc_err (*key_each)(jc_conn *c, int (*cb)(const o311_key *k, void *arg), void *arg);
    jc_err (*request_insert)(jc_conn *w, const o311_request_row *r);
    /* The case id of a token; JC_ERR_NOTFOUND when unknown. */
    jc_err (*token_case)(jc_conn *c, const char *token, int64_t *case_id);
    /* Ids of public cases (not sensor/warning) created in [from_ms, to_ms],
     * newest first, at most limit; the first O311_MAX_CODES of codes (none:
     * any category); status_mask: 1 open, 2 closed, 3 or 0 both. */
    jc_err (*case_ids)(jc_conn *c, int64_t from_ms, int64_t to_ms, const char *const *codes, int ncodes,
                       int status_mask, int limit, int64_t *ids, int *n);
    /* Audit entries of public cases in [from_ms, to_ms] that changed the
     * case's state (not internal notes such as read_contact), in seq order,
     * at most limit; cb returning non-zero stops. */
    jc_err (*updates_each)(jc_conn *c, int64_t from_ms, int64_t to_ms, int limit,
                           int (*cb)(const o311_update *u, void *arg), void *arg);
} open311_store_ops;

/* The two backends' tables and schemas, named in the module's row (open311.c). */
extern const open311_store_ops open311_store_sqlite, open311_store_pg;
extern const jc_schema schema_open311, schema_open311_pg;
extern const jc_module module_open311;

/* The operations above on c's backend (the module runs only where it has
 * them, so this is never NULL there). */
static inline const open311_store_ops *open311_store(const jc_conn *c) {
    return (const open311_store_ops *)module_store(&module_open311, c);
}
static inline JC_MUST_CHECK jc_err o311_key_get(jc_conn *c, const char *key_hash, o311_key *out) {
    return open311_store(c)->key_get(c, key_hash, out);
}
static inline JC_MUST_CHECK jc_err o311_key_insert(jc_conn *w, const o311_key *k) {
    return open311_store(w)->key_insert(w, k);
}
static inline JC_MUST_CHECK jc_err o311_key_disable(jc_conn *w, const char *name) {
    return open311_store(w)->key_disable(w, name);
}
static inline JC_MUST_CHECK jc_err o311_key_each(jc_conn *c, int (*cb)(const o311_key *k, void *arg), void *arg) {
    return open311_store(c)->key_each(c, cb, arg);
}
static inline JC_MUST_CHECK jc_err o311_request_insert(jc_conn *w, const o311_request_row *r) {
    return open311_store(w)->request_insert(w, r);
}
static inline JC_MUST_CHECK jc_err o311_token_case(jc_conn *c, const char *token, int64_t *case_id) {
    return open311_store(c)->token_case(c, token, case_id);
}
static inline JC_MUST_CHECK jc_err o311_case_ids(jc_conn *c, int64_t from_ms, int64_t to_ms, const char *const *codes,
                                                 int ncodes, int status_mask, int limit, int64_t *ids, int *n) {
    return open311_store(c)->case_ids(c, from_ms, to_ms, codes, ncodes, status_mask, limit, ids, n);
}
static inline JC_MUST_CHECK jc_err o311_updates_each(jc_conn *c, int64_t from_ms, int64_t to_ms, int limit,
                                                     int (*cb)(const o311_update *u, void *arg), void *arg) {
    return open311_store(c)->updates_each(c, from_ms, to_ms, limit, cb, arg);
}

#endif
