/*
 * stats_store.h -- the rows the dashboard's figures are counted from
 * (stats_sqlite.c): counts of cases in a caller's scope, grouped.  Every
 * count is of the case list's rows, so that each number equals the length
 * of the matching listing (stats.c's design note).
 */
#ifndef JC_STATS_STORE_H
#define JC_STATS_STORE_H

#include "store.h"

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

/* Cases per state (states with none are not called). */
jc_err stats_store_by_state(jc_conn *c, const stats_scope *sc, int (*cb)(const char *state, int64_t n, void *arg),
                            void *arg) JC_MUST_CHECK;
jc_err stats_store_totals(jc_conn *c, const stats_scope *sc, stats_totals *out) JC_MUST_CHECK;
/* Groups in code order. */
jc_err stats_store_by_category(jc_conn *c, const stats_scope *sc, int (*cb)(const stats_group *g, void *arg),
                               void *arg) JC_MUST_CHECK;
jc_err stats_store_by_community(jc_conn *c, const stats_scope *sc, int (*cb)(const stats_group *g, void *arg),
                                void *arg) JC_MUST_CHECK;
/* Per local (Asia/Shanghai) day "YYYY-MM-DD" since from_ms: cases created
 * (closed 0), or closings (closed 1: entries into the closed state). */
jc_err stats_store_per_day(jc_conn *c, const stats_scope *sc, int64_t from_ms, int closed,
                           int (*cb)(const char *day, int64_t n, void *arg), void *arg) JC_MUST_CHECK;

#endif
