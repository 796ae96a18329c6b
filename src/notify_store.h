/*
 * notify_store.h -- the row operations of the notify module (message centre
 * and outbound webhooks), implemented for SQLite in src/notify_sqlite.c and for PostgreSQL in
 * src/notify_pg.c.
 * The decisions (who is told what, when a webhook is retried) are in
 * src/notify.c and src/notify_webhook.c; this header is only rows.
 *
 * A notification has exactly one audience: one user (user_id), the staff of
 * one department (dept_id), or the users of one role whose area scope
 * contains the case's area (role + area).  Read marks are per user: a row in
 * notify_read per notification read, and notify_seen.upto, below which
 * everything counts as read ("mark all read").
 */
#ifndef JC_NOTIFY_STORE_H
#define JC_NOTIFY_STORE_H

#include "jc.h"
#include "model.h"
#include "module.h"
#include "store.h"

#define NOTIFY_DETAIL_MAX 600 /* bytes of a human's reason kept with a notification */

/* One notification row. */
typedef struct {
    int64_t id;
    int64_t at_ms;
    char kind[24];
    int64_t case_id;
    int64_t audit_seq;
    int64_t actor_id; /* 0: the platform */
    int64_t user_id;  /* audience: one user (0: not this kind) */
    int64_t dept_id;  /* ... or one department's staff */
    char role[24];    /* ... or a role over an area ("" / "") */
    char area[24];
    char detail[NOTIFY_DETAIL_MAX]; /* a human's reason or a rating code; "" none */
} notify_row;

/* An audit entry about a case, with the case's fields the routing needs
 * (as the case is now). */
typedef struct {
    int64_t seq, case_id, at_ms, actor_id;
    char actor_role[24];
    char action[24];
    char to_state[16];
    const char *reason; /* valid during the callback; NULL when none */
    /* the case now */
    char area[24];
    char state[16];
    int64_t dept_id, assignee_id, reporter_id;
    unsigned flags;
    char rating[16];
} notify_src;

/* Whose feed: the user and what the audience columns match for them. */
typedef struct {
    int64_t user_id;
    int64_t dept_id;    /* 0: no department audience */
    const char *role;   /* the user's role name */
    const char *area;   /* the user's area scope ("" = everywhere) */
} notify_who;

/* A notification as listed: the row, the case's fields and the actor's name. */
typedef struct {
    notify_row n;
    int read;
    int has_case;       /* the case row exists */
    jc_case k;          /* id, title (heap), state, area, dept, reporter, created */
    char actor[64];     /* display name, or login; "" for the platform */
} notify_item;

/* ---- webhooks (outbound channels) --------------------------------------------------- */
typedef struct {
    int64_t id;
    char name[64];
    char url[512];
    char secret[129];  /* the HMAC key as given (hex or text) */
    char kinds[256];   /* comma-separated notification kinds; "" all */
    char area[24];     /* only cases in this area (prefix); "" all */
    int64_t dept_id;   /* only notifications to this department; 0 all */
    int active;
    int64_t created_ms;
    char created_by[64];
    int64_t pending, sent, failed; /* deliveries, when listed */
} notify_hook;

typedef struct {
    int64_t id, hook_id, notification_id;
    char state[12];       /* pending | sent | failed */
    int attempts;
    int64_t next_ms, sent_ms, created_ms;
    int last_status;      /* HTTP status of the last attempt, 0 none */
    char last_error[200];
    char kind[24];
} notify_delivery;


/* The row operations, as a table per backend (notify_sqlite.c, notify_pg.c);
 * the notify_db_* wrappers below call c's backend's.  The writer's ones take
 * w, the others any connection. */
typedef struct {
    /* ---- production (writer) ----------------------------------------------------- */
    /* The audit sequence number up to which notifications were produced. */
    jc_err (*hw)(jc_conn *w, int64_t *seq);
    jc_err (*set_hw)(jc_conn *w, int64_t seq);
    /* Calls cb for up to limit audit entries about cases after seq, in order;
     * *last gets the last seq read (also of entries about no case), or seq.
     * A non-zero cb return stops (with JC_ERR_INTERNAL). */
    jc_err (*audit_each)(jc_conn *w, int64_t seq, int limit, int64_t *last, int (*cb)(const notify_src *src, void *arg), void *arg);
    /* The departments summoned by the newest whistle of a case (at most max). */
    jc_err (*whistle_depts)(jc_conn *w, int64_t case_id, int64_t *out, int max, int *n);
    /* The department whose ownership of a case ended last as a reassignment
     * (改派, 撤回; 0 when none). */
    jc_err (*reassigned_dept)(jc_conn *w, int64_t case_id, int64_t *dept_id);
    /* The department of the newest return of a case (0 when none). */
    jc_err (*return_dept)(jc_conn *w, int64_t case_id, int64_t *dept_id);
    /* Inserts n (sets n->id). */
    jc_err (*insert)(jc_conn *w, notify_row *n);
    /* A savepoint of the module's own around one tick: begin, then end with
     * ok = 1 (release) or 0 (roll back to it and release). */
    jc_err (*begin)(jc_conn *w);
    void (*end)(jc_conn *w, int ok);

    /* ---- reading (any connection) ---------------------------------------------------- */
    /* Calls cb for up to limit notifications of who's feed with id < before (0:
     * from the newest), newest first; only unread ones when unread_only.  The
     * item is valid during the call only (its case title is borrowed from the
     * statement: never case_clear it). */
    jc_err (*feed)(jc_conn *c, const notify_who *who, int64_t before, int limit, int unread_only, int (*cb)(const notify_item *it, void *arg), void *arg);
    /* The number of unread notifications of who's feed, counted up to cap. */
    jc_err (*unread)(jc_conn *c, const notify_who *who, int cap, int64_t *n);
    /* Calls cb for each notification with id > after (up to limit, in id order;
     * the live stream).  *last gets the last id read. */
    jc_err (*since)(jc_conn *c, int64_t after, int limit, int64_t *last, int (*cb)(const notify_row *n, void *arg), void *arg);
    /* The newest notification id (0 when none). */
    jc_err (*max_id)(jc_conn *c, int64_t *id);
    /* Reads one notification. JC_ERR_NOTFOUND when unknown. */
    jc_err (*get)(jc_conn *c, int64_t id, notify_row *out);

    /* ---- read marks (writer) ------------------------------------------------------------ */
    /* Marks notification id read for user (a repeat is a no-op). */
    jc_err (*mark)(jc_conn *w, int64_t user_id, int64_t id, int64_t at_ms);
    /* Marks every notification of who's feed about case_id read; *n gets how
     * many were newly marked. */
    jc_err (*mark_case)(jc_conn *w, const notify_who *who, int64_t case_id, int64_t at_ms, int64_t *n);
    /* Everything up to id upto counts as read for user (never moves back). */
    jc_err (*mark_upto)(jc_conn *w, int64_t user_id, int64_t upto);

    jc_err (*hook_insert)(jc_conn *w, notify_hook *h); /* sets id; CONFLICT: name taken */
    jc_err (*hook_get)(jc_conn *c, int64_t id, notify_hook *out);
    jc_err (*hook_update)(jc_conn *w, const notify_hook *h);
    /* Every hook (active_only: the active ones) with its delivery counts; cb
     * returning non-zero stops. */
    jc_err (*hook_each)(jc_conn *c, int active_only, int (*cb)(const notify_hook *h, void *arg), void *arg);
    /* Queues a delivery of notification nid to hook hid, due at next_ms. */
    jc_err (*outbox_add)(jc_conn *w, int64_t hid, int64_t nid, int64_t next_ms);

    /* Pending deliveries of active hooks due at now (real time), oldest
     * first, at most limit. */
    jc_err (*outbox_due)(jc_conn *c, int64_t now_ms, int limit, int (*cb)(const notify_delivery *d, void *arg), void *arg);
    /* The deliveries of a hook, newest first, with id < before (0: newest);
     * state NULL for all. */
    jc_err (*outbox_each)(jc_conn *c, int64_t hook_id, const char *state, int64_t before, int limit, int (*cb)(const notify_delivery *d, void *arg), void *arg);
    /* Records an attempt: state and the next try (pending), the HTTP status
     * and error text. */
    jc_err (*outbox_result)(jc_conn *w, int64_t id, const char *state, int attempts, int64_t next_ms, int64_t sent_ms, int status, const char *error);
} notify_store_ops;

extern const notify_store_ops notify_store_sqlite, notify_store_pg;
extern const jc_module module_notify;

/* c's backend's table (the module runs only where it has one). */
static inline const notify_store_ops *notify_store(const jc_conn *c) {
    return (const notify_store_ops *)module_store(&module_notify, c);
}
static inline JC_MUST_CHECK jc_err notify_db_hw(jc_conn *w, int64_t *seq) {
    return notify_store(w)->hw(w, seq);
}
static inline JC_MUST_CHECK jc_err notify_db_set_hw(jc_conn *w, int64_t seq) {
    return notify_store(w)->set_hw(w, seq);
}
static inline JC_MUST_CHECK jc_err notify_db_audit_each(jc_conn *w, int64_t seq, int limit, int64_t *last, int (*cb)(const notify_src *src, void *arg), void *arg) {
    return notify_store(w)->audit_each(w, seq, limit, last, cb, arg);
}
static inline JC_MUST_CHECK jc_err notify_db_whistle_depts(jc_conn *w, int64_t case_id, int64_t *out, int max, int *n) {
    return notify_store(w)->whistle_depts(w, case_id, out, max, n);
}
static inline JC_MUST_CHECK jc_err notify_db_reassigned_dept(jc_conn *w, int64_t case_id, int64_t *dept_id) {
    return notify_store(w)->reassigned_dept(w, case_id, dept_id);
}
static inline JC_MUST_CHECK jc_err notify_db_return_dept(jc_conn *w, int64_t case_id, int64_t *dept_id) {
    return notify_store(w)->return_dept(w, case_id, dept_id);
}
static inline JC_MUST_CHECK jc_err notify_db_insert(jc_conn *w, notify_row *n) {
    return notify_store(w)->insert(w, n);
}
static inline JC_MUST_CHECK jc_err notify_db_begin(jc_conn *w) {
    return notify_store(w)->begin(w);
}
static inline void notify_db_end(jc_conn *w, int ok) { notify_store(w)->end(w, ok); }
static inline JC_MUST_CHECK jc_err notify_db_feed(jc_conn *c, const notify_who *who, int64_t before, int limit, int unread_only, int (*cb)(const notify_item *it, void *arg), void *arg) {
    return notify_store(c)->feed(c, who, before, limit, unread_only, cb, arg);
}
static inline JC_MUST_CHECK jc_err notify_db_unread(jc_conn *c, const notify_who *who, int cap, int64_t *n) {
    return notify_store(c)->unread(c, who, cap, n);
}
static inline JC_MUST_CHECK jc_err notify_db_since(jc_conn *c, int64_t after, int limit, int64_t *last, int (*cb)(const notify_row *n, void *arg), void *arg) {
    return notify_store(c)->since(c, after, limit, last, cb, arg);
}
static inline JC_MUST_CHECK jc_err notify_db_max_id(jc_conn *c, int64_t *id) {
    return notify_store(c)->max_id(c, id);
}
static inline JC_MUST_CHECK jc_err notify_db_get(jc_conn *c, int64_t id, notify_row *out) {
    return notify_store(c)->get(c, id, out);
}
static inline JC_MUST_CHECK jc_err notify_db_mark(jc_conn *w, int64_t user_id, int64_t id, int64_t at_ms) {
    return notify_store(w)->mark(w, user_id, id, at_ms);
}
static inline JC_MUST_CHECK jc_err notify_db_mark_case(jc_conn *w, const notify_who *who, int64_t case_id, int64_t at_ms, int64_t *n) {
    return notify_store(w)->mark_case(w, who, case_id, at_ms, n);
}
static inline JC_MUST_CHECK jc_err notify_db_mark_upto(jc_conn *w, int64_t user_id, int64_t upto) {
    return notify_store(w)->mark_upto(w, user_id, upto);
}
static inline JC_MUST_CHECK jc_err notify_db_hook_insert(jc_conn *w, notify_hook *h) {
    return notify_store(w)->hook_insert(w, h);
}
static inline JC_MUST_CHECK jc_err notify_db_hook_get(jc_conn *c, int64_t id, notify_hook *out) {
    return notify_store(c)->hook_get(c, id, out);
}
static inline JC_MUST_CHECK jc_err notify_db_hook_update(jc_conn *w, const notify_hook *h) {
    return notify_store(w)->hook_update(w, h);
}
static inline JC_MUST_CHECK jc_err notify_db_hook_each(jc_conn *c, int active_only, int (*cb)(const notify_hook *h, void *arg), void *arg) {
    return notify_store(c)->hook_each(c, active_only, cb, arg);
}
static inline JC_MUST_CHECK jc_err notify_db_outbox_add(jc_conn *w, int64_t hid, int64_t nid, int64_t next_ms) {
    return notify_store(w)->outbox_add(w, hid, nid, next_ms);
}
static inline JC_MUST_CHECK jc_err notify_db_outbox_due(jc_conn *c, int64_t now_ms, int limit, int (*cb)(const notify_delivery *d, void *arg), void *arg) {
    return notify_store(c)->outbox_due(c, now_ms, limit, cb, arg);
}
static inline JC_MUST_CHECK jc_err notify_db_outbox_each(jc_conn *c, int64_t hook_id, const char *state, int64_t before, int limit, int (*cb)(const notify_delivery *d, void *arg), void *arg) {
    return notify_store(c)->outbox_each(c, hook_id, state, before, limit, cb, arg);
}
static inline JC_MUST_CHECK jc_err notify_db_outbox_result(jc_conn *w, int64_t id, const char *state, int attempts, int64_t next_ms, int64_t sent_ms, int status, const char *error) {
    return notify_store(w)->outbox_result(w, id, state, attempts, next_ms, sent_ms, status, error);
}

/* The notify module's tables (notify_sqlite.c, notify_pg.c), named in its row. */
extern const jc_schema schema_notify, schema_notify_pg;

#endif
