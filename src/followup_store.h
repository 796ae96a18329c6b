/*
 * followup_store.h -- the row operations of the followup module (回访: the
 * street's call back to a resident who rated a case unsatisfied),
 * implemented for SQLite in src/followup_sqlite.c; the rules are in
 * src/followup.c.
 */
#ifndef JC_FOLLOWUP_STORE_H
#define JC_FOLLOWUP_STORE_H

#include "jc.h"
#include "store.h"

/* One follow-up call. */
typedef struct {
    int64_t id, case_id, at_ms, by_id;
    char by[64];       /* login name of who called */
    char result[16];   /* satisfied | basic | unsatisfied | unreachable */
    char note[2048];   /* what was said; "" none */
} followup_row;

/* Inserts f (sets f->id). */
jc_err followup_db_insert(jc_conn *w, followup_row *f) JC_MUST_CHECK;
/* Calls cb for each follow-up of a case, oldest first. */
jc_err followup_db_each(jc_conn *c, int64_t case_id, int (*cb)(const followup_row *f, void *arg),
                        void *arg) JC_MUST_CHECK;

/* Its table (followup_sqlite.c), named in the module's row. */
extern const jc_schema schema_followup;

#endif
