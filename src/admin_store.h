/*
 * admin_store.h -- the row operations of the admin module (user
 * administration and the audit-log viewer), a table per backend:
 * src/admin_sqlite.c, src/admin_pg.c; the decisions (the viewer's paging
 * window among them) are in src/admin.c.
 */
#ifndef JC_ADMIN_STORE_H
#define JC_ADMIN_STORE_H

#include "jc.h"
#include "model.h"
#include "module.h"
#include "store.h"

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

/* One entry for the viewer: e's reason is valid during the call; k is the
 * entry's case (id, area and creation time only; NULL for entries about no
 * case); display is the actor's display name ("" when none). */
typedef int (*admin_audit_fn)(const jc_audit *e, const jc_case *k, const char *display, void *arg);

typedef struct {
    /* Writes u's display name, role, area, department, phone and disabled
     * flag (by u->id).  JC_ERR_NOTFOUND when there is no such user. */
    jc_err (*user_update)(jc_conn *w, const jc_user *u);
    /* The newest audit seq (0 when the log is empty). */
    jc_err (*audit_head)(jc_conn *c, int64_t *seq);
    /* The seq of the newest entry before `at` (before = 1), or of the
     * oldest at or after it (before = 0), by the index on audit(at); 0 when
     * there is none (or on an error, which the next read reports). */
    int64_t (*audit_seq_at)(jc_conn *c, int64_t at, int before);
    /* Calls cb for the entries with from_seq <= seq < before that match f's
     * conditions (actor, action, case, time, area; not its paging fields),
     * newest first, at most f->limit; *n the number passed to cb, *last the
     * seq of the last one. */
    jc_err (*audit_rows)(jc_conn *c, const admin_audit_filter *f, int64_t before, int64_t from_seq,
                         admin_audit_fn cb, void *arg, int *n, int64_t *last);
} admin_store_ops;

/* The two backends' tables (admin_sqlite.c, admin_pg.c), named in the
 * module's row (admin.c; it has no tables of its own). */
extern const admin_store_ops admin_store_sqlite, admin_store_pg;
extern const jc_module module_admin;

/* The operations above on c's backend. */
static inline const admin_store_ops *admin_store(const jc_conn *c) {
    return (const admin_store_ops *)module_store(&module_admin, c);
}

#endif
