/*
 * fill_store.h -- the rows `jiceng bench-fill` (fill.c) writes besides the
 * cases, users and audit entries that store.h already writes: routes,
 * ownership intervals, phases and returns of the dispatch tables, written
 * as they stand when a generated case reaches its last state.  The SQLite
 * half is fill_sqlite.c.
 */
#ifndef JC_FILL_STORE_H
#define JC_FILL_STORE_H

#include "jc.h"
#include "store.h"

/* A route as automatic dispatch stores it (explanation written out on
 * reading) or a manual one (explanation given). */
typedef struct {
    int64_t case_id;
    int list_version;
    const char *entry_id, *category, *scope, *lead_dept, *co_depts, *grid, *located;
    int manual;
    const char *explanation;
    int64_t routed_at;
} fill_route;

/* One row of case_phase; 0 stands for NULL in the optional times and ids. */
typedef struct {
    int64_t case_id;
    char phase;            /* 'a' accept, 'h' handle, 'v' verify */
    int64_t dept_id, user_id, start_at, deadline_at, end_at;
    const char *end_reason; /* NULL while open */
    int64_t reminded_at, overdue_at, next_at;
    int level;
} fill_phase;

/* The active responsibility list: its version and CSV (caller frees *csv);
 * version 0 and *csv NULL when none was imported. */
jc_err fill_store_active_list(jc_conn *c, int *version, char **csv) JC_MUST_CHECK;
/* Inserts a route (the case's only one: bench-fill writes new cases). */
jc_err fill_store_route(jc_conn *w, const fill_route *r) JC_MUST_CHECK;
/* Inserts an ownership interval; end_at 0 and end_reason NULL while open. */
jc_err fill_store_owner(jc_conn *w, int64_t case_id, int64_t dept_id, int lead, int64_t start_at,
                        int64_t end_at, const char *end_reason) JC_MUST_CHECK;
jc_err fill_store_phase(jc_conn *w, const fill_phase *p) JC_MUST_CHECK;
/* Inserts a department's return, decided 'upheld' by decided_by at decided_at. */
jc_err fill_store_return(jc_conn *w, int64_t case_id, int64_t dept_id, const char *reason, int64_t at,
                         int64_t decided_at, const char *decided_by) JC_MUST_CHECK;
/* A larger page cache on w while it bulk-writes (mib > 0), or the default
 * again (mib 0). */
void fill_store_cache(jc_conn *w, int mib);

#endif
