/*
 * admin_store.h -- the row operations of the admin module (user
 * administration and the audit-log viewer), implemented for SQLite in
 * src/admin_sqlite.c; the decisions are in src/admin.c.
 */
#ifndef JC_ADMIN_STORE_H
#define JC_ADMIN_STORE_H

#include "jc.h"
#include "model.h"
#include "store.h"

/* Writes u's display name, role, area, department, phone and disabled flag
 * (by u->id).  JC_ERR_NOTFOUND when there is no such user. */
jc_err admin_db_user_update(jc_conn *w, const jc_user *u) JC_MUST_CHECK;

/* What the audit viewer looks for; NULL / 0 / "" = any. */
typedef struct {
    const char *actor;       /* login name, exact */
    const char *action;      /* exact */
    int64_t case_id;
    int64_t from_ms, to_ms;  /* at >= from, at < to */
    const char *area_prefix; /* only entries of cases in this area (a scoped reader) */
    int64_t before;          /* seq < before (0: from the newest) */
    int limit;               /* matches wanted */
    int64_t window;          /* entries read at most (by seq); 0: no bound */
} admin_audit_filter;
/* Calls cb for the matching entries, newest first; e's reason is valid
 * during the call; k is the entry's case (id, area and creation time only;
 * NULL for entries about no case); display is the actor's display name
 * ("" when none).  *low gets the lowest seq the search covered (the next page starts
 * below it; 1 or less: nothing older is left). */
jc_err admin_db_audit_each(jc_conn *c, const admin_audit_filter *f,
                           int (*cb)(const jc_audit *e, const jc_case *k, const char *display, void *arg), void *arg,
                           int64_t *low) JC_MUST_CHECK;
/* The newest audit seq (0 when the log is empty). */
jc_err admin_db_audit_head(jc_conn *c, int64_t *seq) JC_MUST_CHECK;

#endif
