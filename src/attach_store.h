/*
 * attach_store.h -- the row operations of the attach module (see attach.h),
 * a table per backend: src/attach_sqlite.c, src/attach_pg.c.
 */
#ifndef JC_ATTACH_STORE_H
#define JC_ATTACH_STORE_H

#include "jc.h"
#include "module.h"
#include "store.h"

typedef struct {
    char id[65];     /* SHA-256 of the bytes */
    char mime[80];
    char ext[8];
    char name[256];  /* as shown and downloaded */
    int64_t size, added_by, at_ms;
} attach_row;

typedef struct {
    /* Inserts a document row; an existing id is kept as it is (JC_OK). */
    jc_err (*insert)(jc_conn *w, const attach_row *a);
    /* Records that user_id uploaded document id (a repeat is a no-op). */
    jc_err (*own)(jc_conn *w, const char *id, int64_t user_id);
    /* 1 when user_id uploaded document id. */
    int (*owns)(jc_conn *c, const char *id, int64_t user_id);
    /* JC_ERR_NOTFOUND when unknown. */
    jc_err (*get)(jc_conn *c, const char *id, attach_row *out);
    /* Links a document to a case under a name; JC_ERR_CONFLICT when linked already. */
    jc_err (*link)(jc_conn *w, int64_t case_id, const char *id, const char *name, int64_t by, int64_t at_ms);
    /* The documents of a case in link order (time, then id; the row's name
     * is the link's); non-zero from cb stops. */
    jc_err (*case_each)(jc_conn *c, int64_t case_id, int (*cb)(const attach_row *a, void *arg), void *arg);
    /* The cases a document is linked to, by id (at most max ids into out). */
    jc_err (*cases_of)(jc_conn *c, const char *id, int64_t *out, int max, int *n);
} attach_store_ops;

/* The two backends' tables and schemas (attach_sqlite.c, attach_pg.c),
 * named in the module's row (attach.c). */
extern const attach_store_ops attach_store_sqlite, attach_store_pg;
extern const jc_schema schema_attach, schema_attach_pg;
extern const jc_module module_attach;

/* The operations above on c's backend (the module's routes run only where
 * it runs, so this is never NULL there). */
static inline const attach_store_ops *attach_store(const jc_conn *c) {
    return (const attach_store_ops *)module_store(&module_attach, c);
}
static inline JC_MUST_CHECK jc_err attach_db_insert(jc_conn *w, const attach_row *a) {
    return attach_store(w)->insert(w, a);
}
static inline JC_MUST_CHECK jc_err attach_db_own(jc_conn *w, const char *id, int64_t user_id) {
    return attach_store(w)->own(w, id, user_id);
}
static inline int attach_db_owns(jc_conn *c, const char *id, int64_t user_id) {
    return attach_store(c)->owns(c, id, user_id);
}
static inline JC_MUST_CHECK jc_err attach_db_get(jc_conn *c, const char *id, attach_row *out) {
    return attach_store(c)->get(c, id, out);
}
static inline JC_MUST_CHECK jc_err attach_db_link(jc_conn *w, int64_t case_id, const char *id, const char *name,
                                                  int64_t by, int64_t at_ms) {
    return attach_store(w)->link(w, case_id, id, name, by, at_ms);
}
static inline JC_MUST_CHECK jc_err attach_db_case_each(jc_conn *c, int64_t case_id,
                                                       int (*cb)(const attach_row *a, void *arg), void *arg) {
    return attach_store(c)->case_each(c, case_id, cb, arg);
}
static inline JC_MUST_CHECK jc_err attach_db_cases_of(jc_conn *c, const char *id, int64_t *out, int max, int *n) {
    return attach_store(c)->cases_of(c, id, out, max, n);
}

#endif
