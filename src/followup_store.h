/*
 * followup_store.h -- the row operations of the followup module (回访: the
 * street's call back to a resident who rated a case unsatisfied),
 * a table per backend: src/followup_sqlite.c, src/followup_pg.c; the rules
 * are in src/followup.c.
 */
#ifndef JC_FOLLOWUP_STORE_H
#define JC_FOLLOWUP_STORE_H

#include "jc.h"
#include "module.h"
#include "store.h"

/* One follow-up call. */
typedef struct {
    int64_t id, case_id, at_ms, by_id;
    char by[64];       /* login name of who called */
    char result[16];   /* satisfied | basic | unsatisfied | unreachable */
    char note[2048];   /* what was said; "" none */
} followup_row;

typedef struct {
    /* Inserts f (sets f->id). */
    jc_err (*insert)(jc_conn *w, followup_row *f);
    /* Calls cb for each follow-up of a case, oldest first; non-zero stops. */
    jc_err (*each)(jc_conn *c, int64_t case_id, int (*cb)(const followup_row *f, void *arg), void *arg);
} followup_store_ops;

/* The two backends' tables and schemas (followup_sqlite.c, followup_pg.c),
 * named in the module's row. */
extern const followup_store_ops followup_store_sqlite, followup_store_pg;
extern const jc_schema schema_followup, schema_followup_pg;
extern const jc_module module_followup;

/* The operations above on c's backend (the module's routes run only where
 * it runs, so this is never NULL there). */
static inline const followup_store_ops *followup_store(const jc_conn *c) {
    return (const followup_store_ops *)module_store(&module_followup, c);
}
static inline JC_MUST_CHECK jc_err followup_db_insert(jc_conn *w, followup_row *f) {
    return followup_store(w)->insert(w, f);
}
static inline JC_MUST_CHECK jc_err followup_db_each(jc_conn *c, int64_t case_id,
                                                    int (*cb)(const followup_row *f, void *arg), void *arg) {
    return followup_store(c)->each(c, case_id, cb, arg);
}

#endif
