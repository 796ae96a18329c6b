/*
 * fill_store.h -- the row operations of `jiceng bench-fill` (fill.c), a
 * table per backend (fill_sqlite.c, fill_pg.c): the rows it writes besides
 * the cases and users that store.h writes -- audit entries whose chain the
 * generator computes itself, routes, ownership intervals, phases and returns
 * of the dispatch tables, written as they stand when a generated case
 * reaches its last state -- and the bulk mode of a fill (indexes and
 * triggers set aside while the rows go in, a larger cache).
 */
#ifndef JC_FILL_STORE_H
#define JC_FILL_STORE_H

#include "jc.h"
#include "module.h"
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

/* What a backend set aside for the bulk (bulk_begin) and puts back (bulk_end). */
typedef struct fill_bulk fill_bulk;

typedef struct {
    /* The active responsibility list: its version and CSV (caller frees
     * *csv); version 0 and *csv NULL when none was imported. */
    jc_err (*active_list)(jc_conn *c, int *version, char **csv);
    /* The chain's last entry: its seq and hash (0 and the genesis hash when
     * the chain is empty). */
    jc_err (*audit_tail)(jc_conn *c, int64_t *seq, char hash[65]);
    /* Inserts e as it is: seq, prev_hash and hash already computed (the
     * generator keeps the chain's tail; store_audit_append reads it per entry). */
    jc_err (*audit)(jc_conn *w, const jc_audit *e);
    /* Inserts a route (the case's only one: bench-fill writes new cases). */
    jc_err (*route)(jc_conn *w, const fill_route *r);
    /* Inserts an ownership interval; end_at 0 and end_reason NULL while open. */
    jc_err (*owner)(jc_conn *w, int64_t case_id, int64_t dept_id, int lead, int64_t start_at, int64_t end_at,
                    const char *end_reason);
    jc_err (*phase)(jc_conn *w, const fill_phase *p);
    /* Inserts a department's return, decided 'upheld' by decided_by at decided_at. */
    jc_err (*ret)(jc_conn *w, int64_t case_id, int64_t dept_id, const char *reason, int64_t at,
                  int64_t decided_at, const char *decided_by);
    /* Writer job before the first row: when drop is set, takes the
     * secondary indexes and the triggers of the tables the fill writes away
     * (remembering their definitions in *b); sets the connection up for a
     * bulk (a larger cache).  *b may be NULL when nothing was set aside. */
    jc_err (*bulk_begin)(jc_conn *w, int drop, fill_bulk **b);
    /* Writer job after the last row: recreates what bulk_begin took away,
     * as it was, and frees b; the connection's settings back as they were. */
    jc_err (*bulk_end)(jc_conn *w, fill_bulk *b);
    /* Optional (NULL: store_case_insert and eval's facts_put, a statement a
     * row): inserts a case as it is, with its id, and a case's evaluation
     * facts (a new case: none stored yet).  A backend may keep these rows and
     * the route, owner, phase and return rows until flush. */
    jc_err (*case_row)(jc_conn *w, const jc_case *k);
    jc_err (*facts)(jc_conn *w, int64_t case_id, const char *month, const unsigned char *b, size_t len);
    /* Optional: writes what the operations above kept (the end of a chunk's
     * rows, in the writer job that wrote them). */
    jc_err (*flush)(jc_conn *w);
} fill_store_ops;

extern const fill_store_ops fill_store_sqlite, fill_store_pg;
extern const jc_module module_fill;

/* The operations above on c's backend. */
static inline const fill_store_ops *fill_store(const jc_conn *c) {
    return (const fill_store_ops *)module_store(&module_fill, c);
}

#endif
