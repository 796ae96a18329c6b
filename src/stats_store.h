/*
 * stats_store.h -- the rows the dashboard's figures are counted from
 * (stats_sqlite.c): counts of cases in a caller's scope, grouped.  Every
 * count is of the case list's rows, so that each number equals the length
 * of the matching listing (stats.c's design note).
 */
#ifndef JC_STATS_STORE_H
#define JC_STATS_STORE_H

#include "module.h"

/* A caller's scope: area prefix ("" any), department (0 any), reporter (0
 * any). */
typedef struct {
    char area[32];
    int64_t dept, reporter;
} stats_scope;

typedef struct {
    int64_t total, open, overdue, escalated, ownerless; /* open: not closed, rated, voided or merged */
} stats_totals;

/* One group: a category (key its code, name its name) or a community (key
 * its 12-digit code); overdue only for communities. */
typedef struct {
    const char *key, *name; /* name NULL when unknown */
    int64_t total, open, overdue;
} stats_group;

/* The row operations, one table per backend (stats_store_sqlite in
 * stats_sqlite.c; a PostgreSQL one in stats_pg.c), named in the module's
 * row (.store). */
typedef struct {
    /* Cases per state (states with none are not called). */
    jc_err (*by_state)(jc_conn *c, const stats_scope *sc, int (*cb)(const char *state, int64_t n, void *arg),
                       void *arg);
    jc_err (*totals)(jc_conn *c, const stats_scope *sc, stats_totals *out);
    /* Groups in code order. */
    jc_err (*by_category)(jc_conn *c, const stats_scope *sc, int (*cb)(const stats_group *g, void *arg), void *arg);
    jc_err (*by_community)(jc_conn *c, const stats_scope *sc, int (*cb)(const stats_group *g, void *arg), void *arg);
    /* Per local (Asia/Shanghai) day "YYYY-MM-DD" since from_ms: cases
     * created (closed 0), or closings (closed 1: entries into the closed
     * state). */
    jc_err (*per_day)(jc_conn *c, const stats_scope *sc, int64_t from_ms, int closed,
                      int (*cb)(const char *day, int64_t n, void *arg), void *arg);
} stats_store_ops;

extern const stats_store_ops stats_store_sqlite;
extern const jc_module module_stats;

/* c's backend's table; NULL when the module is not on that backend. */
static inline const stats_store_ops *stats_store(const jc_conn *c) { return module_store(&module_stats, c); }

#endif
