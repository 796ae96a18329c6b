/*
 * stats_store.h -- the row operations behind the dashboard's figures
 * (stats.c): counters of cases kept current by the database itself as
 * cases are written, per day counts of cases created and closed, and the
 * few rows read directly (a resident's own cases, a department's
 * co-handled and summoned ones).  The SQLite half is stats_sqlite.c, the
 * PostgreSQL one stats_pg.c.
 *
 *  stats_counts  cases per (area, lead department, category, state, marks)
 *                where marks = 1 overdue | 2 escalated | 4 ownerless
 *  stats_days    per local day, area and lead department: cases created
 *                that day (moving with the case's area and department),
 *                cases closed that day (where the case was when it closed)
 *  stats_comm, stats_comm_days   the same per community (the area's first
 *                12 digits) without the department: what a scope of a
 *                community or wider and no department reads
 *  stats_dept_cat, stats_dept_comm, stats_dept_days   a department's
 *                (no area): per category, state and marks; per community,
 *                state and overdue; per day (SQLite; stats_count.only)
 *  stats_comm_sm, stats_street_cat   per community, state and marks; per
 *                street (the area's first 9 digits), category and state:
 *                what a scope of a street or wider reads (SQLite)
 *  A finished (closed, rated, voided, merged) case's counter keeps marks 0.
 *
 * Active alarms and open warnings are read through sensor.h and warning.h.
 */
#ifndef JC_STATS_STORE_H
#define JC_STATS_STORE_H

#include "module.h"

enum { STATS_OVERDUE = 1, STATS_ESCALATED = 2, STATS_OWNERLESS = 4 };

/* The cases of one counter (or one case read directly: n = 1). */
typedef struct {
    const char *area, *category, *state;
    int64_t dept_id;
    int marks;
    int64_t n;
    int64_t created_day; /* a case read directly: its local day (else 0) */
    /* The figures the row counts in: 0 every one, else STATS_FIG_* or'ed
     * (by state and the totals; by category; by community).  Counters kept
     * apart by figure (stats_sqlite.c): a row without the category gives
     * category "", one without the area area "", one without marks 0. */
    int only;
} stats_count;

enum { STATS_FIG_STATE = 1, STATS_FIG_CAT = 2, STATS_FIG_COMM = 4 };

typedef int (*stats_count_fn)(const stats_count *c, void *arg);

typedef void (*stats_day_fn)(int64_t day, int64_t created, int64_t closed, void *arg);

/* Cases created and closed on a local day in an area under a lead department. */
typedef struct {
    int64_t day, dept_id, created, closed;
    const char *area;
} stats_day_add;

/* The row operations, one table per backend (stats_store_sqlite in
 * stats_sqlite.c; a PostgreSQL one in stats_pg.c), named in the module's
 * row (.store; stats_store() finds the one of a connection). */
typedef struct {
    /* Calls fn for every counter of the cases whose area starts with area
     * ("" any) and whose lead department is dept (0 any).  A backend may
     * give counters per community for dept 0 and an area of at most a
     * community's 12 digits (area the community's code, dept_id 0), as the
     * SQLite one does; stats.c takes either.  A backend may give rows that
     * count in some figures only (stats_count.only), as the SQLite one does
     * for a department without an area and for a street or wider. */
    jc_err (*counts)(jc_conn *c, const char *area, int64_t dept, stats_count_fn fn, void *arg);
    /* Calls fn for each case of a reporter (n = 1, created_day set). */
    jc_err (*direct)(jc_conn *c, int64_t reporter, stats_count_fn fn, void *arg);
    /* Cases created and closed per local day d in [d0, d1] (days since
     * 1970-01-01, Asia/Shanghai) in scope: fn(day, created, closed). */
    jc_err (*days)(jc_conn *c, const char *area, int64_t dept, int64_t d0, int64_t d1, stats_day_fn fn, void *arg);
    /* Cases of a reporter closed per local day in [d0, d1] (from the audit
     * entries of the reporter's own cases). */
    jc_err (*reporter_closed)(jc_conn *c, int64_t reporter, int64_t d0, int64_t d1, stats_day_fn fn, void *arg);
    /* The name of each category (area 0) and of each community (area 1),
     * for fn(area, code, name). */
    jc_err (*names)(jc_conn *c, void (*fn)(int area, const char *code, const char *name, void *arg), void *arg);
    /* Recomputes the counters and the days from the cases and the audit
     * log (writer; after rows were written without the program, e.g.
     * bench-fill's finished cases). */
    jc_err (*rebuild)(jc_conn *w);
    /* Adds counts computed elsewhere (writer): c->n cases to each counter
     * (c->marks as the case's row gives them, overdue | escalated |
     * ownerless; a backend keeps those its counters keep) and the created
     * and closed of each day, to the community counters too (SQLite) or as
     * deltas that fold takes in (PostgreSQL).  bench-fill's generated
     * cases, counted as they were generated. */
    jc_err (*add)(jc_conn *w, const stats_count *counts, size_t ncounts, const stats_day_add *days, size_t ndays);
    /* Folds what was counted since into the counters (writer, the leader's
     * tick); NULL where the counters are updated in place (SQLite). */
    jc_err (*fold)(jc_conn *w);
} stats_store_ops;

extern const stats_store_ops stats_store_sqlite, stats_store_pg;
extern const jc_schema schema_stats, schema_stats_pg;
extern const jc_module module_stats;

/* c's backend's table; NULL when the module is not on that backend. */
static inline const stats_store_ops *stats_store(const jc_conn *c) { return module_store(&module_stats, c); }

/* Recomputes the counters (stats_store_ops.rebuild on w's backend;
 * JC_ERR_UNAVAILABLE when stats is not on it). */
jc_err stats_rebuild(jc_conn *w) JC_MUST_CHECK;

#endif
