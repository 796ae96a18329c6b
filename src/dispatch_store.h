/*
 * dispatch_store.h -- row operations of automatic dispatch that newer code
 * uses (the storage boundary of issue 21: the SQL is in dispatch_sqlite.c).
 * Older parts of dispatch.c still hold their SQL; they move here with the
 * restructure.
 */
#ifndef JC_DISPATCH_STORE_H
#define JC_DISPATCH_STORE_H

#include "store.h"

/* The escalation settings (督办设置), a designer setting kept in
 * meta('dispatch.escalation') as "<remind_pct> <levels> <leader_after_min>". */
typedef struct {
    int remind_pct;       /* the reminder when this share of the time limit is used (50..95) */
    int levels;           /* overdue levels: 1 超时督办 only, 2 and then 领导督办 */
    int leader_after_min; /* working minutes after the deadline before level 2 */
} dispatch_esc_cfg;

/* Reads the settings into out; absent or malformed: the defaults (80, 2,
 * 420 = one working day).  JC_ERR_DB on a read error (out holds the
 * defaults then too). */
jc_err dispatch_store_esc_get(jc_conn *c, dispatch_esc_cfg *out) JC_MUST_CHECK;

/* Stores the settings (writer thread); the caller has checked them. */
jc_err dispatch_store_esc_put(jc_conn *w, const dispatch_esc_cfg *cfg) JC_MUST_CHECK;

/* One open, running (not paused) phase, as the escalation timer needs it. */
typedef struct {
    int64_t id, case_id, start, deadline, reminded; /* reminded: 0 when not */
    int level, natural;
} dispatch_phase_row;

/* Calls fn for each open running phase of case case_id (phase_id 0), or
 * for the open running phase phase_id (case_id 0); stops early when fn
 * returns non-zero (then JC_OK).  Rows are read before fn runs, so fn may
 * write the table. */
jc_err dispatch_store_running_phases(jc_conn *w, int64_t case_id, int64_t phase_id,
                                     int (*fn)(const dispatch_phase_row *row, void *arg),
                                     void *arg) JC_MUST_CHECK;

/* The open phase id if it is still due at next_at (the timer's heap entry
 * is not stale): JC_OK with *row and *phase (0 accept, 1 handle, 2
 * verify), JC_ERR_NOTFOUND when stale, JC_ERR_DB. */
jc_err dispatch_store_due_phase(jc_conn *w, int64_t id, int64_t next_at, dispatch_phase_row *row,
                                int *phase) JC_MUST_CHECK;

/* Sets when phase id is next due (0: never). */
jc_err dispatch_store_phase_next(jc_conn *w, int64_t id, int64_t next_at) JC_MUST_CHECK;

#endif
