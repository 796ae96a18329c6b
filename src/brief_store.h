/*
 * brief_store.h -- the row operations of the brief module (statistics for
 * leaders and the daily/weekly brief), implemented for SQLite in
 * src/brief_sqlite.c; the figures are put together in src/brief.c.  Every
 * read here goes through an index over a range or a small table: the daily
 * counts (warning module), cases by creation time, the flagged cases, the
 * audit log by time, the warnings.
 */
#ifndef JC_BRIEF_STORE_H
#define JC_BRIEF_STORE_H

#include "jc.h"
#include "store.h"

/* Cases created per (local day, community, category) for days d0..d1
 * ("YYYY-MM-DD", inclusive) whose community starts with area ("" all). */
jc_err brief_db_counts(jc_conn *c, const char *area, const char *d0, const char *d1,
                       int (*cb)(const char *day, const char *community, const char *category, int64_t n, void *arg),
                       void *arg) JC_MUST_CHECK;

/* Cases created in [t0, t1) in area, by state. */
jc_err brief_db_states(jc_conn *c, const char *area, int64_t t0, int64_t t1,
                       int (*cb)(const char *state, int64_t n, void *arg), void *arg) JC_MUST_CHECK;

/* Cases of area closed in [t0, t1) (a close in the audit log). */
jc_err brief_db_closed(jc_conn *c, const char *area, int64_t t0, int64_t t1, int64_t *n) JC_MUST_CHECK;

/* An open case past its deadline (flagged overdue). */
typedef struct {
    int64_t id, created_ms, dept_id, deadline_ms;
    char title[256];   /* cut */
    char area[24];
    char category[16];
    int escalation;
} brief_overdue;
/* The open overdue cases of area, longest overdue first: up to limit to cb,
 * and their number in *total. */
jc_err brief_db_overdue(jc_conn *c, const char *area, int limit, int64_t *total,
                        int (*cb)(const brief_overdue *o, void *arg), void *arg) JC_MUST_CHECK;
/* The open overdue cases of area per department (dept 0: none). */
jc_err brief_db_overdue_by_dept(jc_conn *c, const char *area,
                                int (*cb)(int64_t dept_id, int64_t n, void *arg), void *arg) JC_MUST_CHECK;

/* An early warning (warning module). */
typedef struct {
    int64_t id;
    char category[16], area[24], day[16], state[16];
    double observed, threshold;
} brief_warning;
/* The warnings of area about days d0..d1, newest day first, at most limit. */
jc_err brief_db_warnings(jc_conn *c, const char *area, const char *d0, const char *d1, int limit,
                         int (*cb)(const brief_warning *w, void *arg), void *arg) JC_MUST_CHECK;

#endif
