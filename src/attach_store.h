/*
 * attach_store.h -- the row operations of the attach module (see attach.h),
 * implemented for SQLite in src/attach_sqlite.c.
 */
#ifndef JC_ATTACH_STORE_H
#define JC_ATTACH_STORE_H

#include "jc.h"
#include "store.h"

typedef struct {
    char id[65];     /* SHA-256 of the bytes */
    char mime[80];
    char ext[8];
    char name[256];  /* as shown and downloaded */
    int64_t size, added_by, at_ms;
} attach_row;

/* Inserts a document row; an existing id is kept as it is (JC_OK). */
jc_err attach_db_insert(jc_conn *w, const attach_row *a) JC_MUST_CHECK;
/* Records that user_id uploaded document id (a repeat is a no-op). */
jc_err attach_db_own(jc_conn *w, const char *id, int64_t user_id) JC_MUST_CHECK;
/* 1 when user_id uploaded document id. */
int attach_db_owns(jc_conn *c, const char *id, int64_t user_id);
/* JC_ERR_NOTFOUND when unknown. */
jc_err attach_db_get(jc_conn *c, const char *id, attach_row *out) JC_MUST_CHECK;
/* Links a document to a case under a name; JC_ERR_CONFLICT when linked already. */
jc_err attach_db_link(jc_conn *w, int64_t case_id, const char *id, const char *name, int64_t by,
                      int64_t at_ms) JC_MUST_CHECK;
/* The documents of a case in link order (the row's name is the link's). */
jc_err attach_db_case_each(jc_conn *c, int64_t case_id, int (*cb)(const attach_row *a, void *arg),
                           void *arg) JC_MUST_CHECK;
/* The cases a document is linked to (at most max ids into out). */
jc_err attach_db_cases_of(jc_conn *c, const char *id, int64_t *out, int max, int *n) JC_MUST_CHECK;

/* Its table (attach_sqlite.c), named in the module's row. */
extern const jc_schema schema_attach;

#endif
