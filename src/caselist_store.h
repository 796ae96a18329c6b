/*
 * caselist_store.h -- the row operations behind the case lists and the
 * search (caselist.c): walking an index that matches a list's filter and
 * order from a keyset position, with a budget of rows examined, and the
 * text index of the cases (SQLite FTS5 over character bigrams that
 * caselist.c makes; on PostgreSQL a GIN index over the same terms).  A
 * table of these per backend: caselist_sqlite.c, caselist_pg.c.
 *
 * Every walk is by case id, descending (newest first) or ascending, through
 * one of these, chosen by caselist.c from the filter:
 *   CL_BY_ID        the table itself (every case)
 *   CL_BY_REPORTER  cases_reporter (a resident's own reports)
 *   CL_BY_INVOLVED  a department's cases: led (cases_dept), co-handled while
 *                   open (caselist_co) or summoned by a whistle, merged in
 *                   id order
 *   CL_BY_DEPT      cases_dept (the cases a department leads)
 *   CL_BY_ASSIGNEE  caselist_assignee (the person on a case now)
 *   CL_BY_OPEN      caselist_open (cases not closed, rated, voided or merged)
 *   CL_BY_TEXT      the text index, and the cases not indexed yet (every
 *                   one of them a candidate)
 * The other conditions of the filter are evaluated on each row the walk
 * examines; the walk stops after `limit` rows matched or `budget` rows
 * examined, and reports the id it stopped at, from which the next page
 * goes on.
 */
#ifndef JC_CASELIST_STORE_H
#define JC_CASELIST_STORE_H

#include "jc.h"
#include "model.h"
#include "module.h"
#include "store.h"

enum { CL_BY_ID, CL_BY_REPORTER, CL_BY_INVOLVED, CL_BY_DEPT, CL_BY_ASSIGNEE, CL_BY_OPEN, CL_BY_TEXT };

typedef struct {
    int by;                  /* CL_BY_* */
    int asc;                 /* 1: oldest first */
    int64_t after;           /* keyset: only ids below it (newest first) or above it; 0: from the start */
    int64_t id_lo, id_hi;    /* 0: no bound; else ids in [id_lo, id_hi] */
    /* conditions; NULL or 0 is "any" */
    const char *state;       /* one state */
    int open_only;           /* not closed, rated, voided or merged */
    const char *category;    /* one category code */
    const char *group;       /* a category code prefix */
    const char *source;
    const char *rating;
    const char *area_prefix; /* the area code starts with it */
    int64_t dept_id;         /* the department leads it */
    int64_t involved_dept;   /* the department leads it, co-handles it (open) or was summoned */
    int64_t reporter_id;
    int64_t assignee_id;
    unsigned flags;          /* all of these CASE_F_* */
    int escalated;
    int64_t created_lo, created_hi; /* created_at in [lo, hi); 0: no bound */
    const char *match;       /* CL_BY_TEXT: terms, each required: "term" (that term) or
                              "term"* (any term starting so), separated by spaces --
                              FTS5's syntax (caselist_q_match) */
    int limit;               /* rows to match, 1..500 */
    int budget;              /* rows to examine at most */
} caselist_walk;

/* Called for each row that meets the conditions; returns 1 when it takes
 * the row (it counts towards limit), 0 when it passes it over, -1 to stop
 * with an error. */
typedef int (*caselist_row_fn)(const jc_case *k, void *arg);

typedef struct {
    int taken, examined;
    int64_t stopped_at;      /* the id of the last row examined (0: none) */
    int more;                /* 1: the walk stopped before the end (limit or budget) */
} caselist_result;

/* Makes terms for a case's texts: fills b with the terms of (title, body,
 * address) separated by spaces (caselist.c's caselist_terms). */
typedef jc_err (*caselist_terms_fn)(const jc_case *k, jc_buf *b);

typedef struct {
    /* Walks w on c calling fn for the rows that meet its conditions.
     * JC_ERR_INVALID for a malformed match expression; JC_ERR_DB. */
    jc_err (*walk)(jc_conn *c, const caselist_walk *w, caselist_row_fn fn, void *arg, caselist_result *out);
    /* The query plan of the statements that walk w (SQLite's EXPLAIN QUERY
     * PLAN, PostgreSQL's EXPLAIN), one line per step, appended to b: for
     * tests. */
    jc_err (*plan)(jc_conn *c, const caselist_walk *w, jc_buf *b);
    /* The ids of the cases created in [t0, t1) (ids follow creation time):
     * *lo, *hi; *lo > *hi when there are none.  The range may hold more
     * (PostgreSQL widens it by the instances' clock skew): a walk keeps its
     * conditions on the time. */
    jc_err (*id_range)(jc_conn *c, int64_t t0, int64_t t1, int64_t *lo, int64_t *hi);
    /* How many cases the text index does not hold yet. */
    jc_err (*unindexed)(jc_conn *c, int64_t *n);
    /* Indexes up to max cases not indexed yet, oldest first, with the terms
     * fn makes; *done the number indexed, 0 when none was left (writer). */
    jc_err (*index)(jc_conn *w, int max, caselist_terms_fn fn, int *done);
} caselist_store_ops;

/* The two backends' tables and schemas (caselist_sqlite.c, caselist_pg.c),
 * named in the module's row (caselist.c). */
extern const caselist_store_ops caselist_store_sqlite, caselist_store_pg;
extern const jc_schema schema_caselist, schema_caselist_pg;
extern const jc_module module_caselist;

/* The operations above on c's backend (the module runs only where it has
 * them, so this is never NULL there). */
static inline const caselist_store_ops *caselist_store(const jc_conn *c) {
    return (const caselist_store_ops *)module_store(&module_caselist, c);
}
static inline JC_MUST_CHECK jc_err caselist_store_walk(jc_conn *c, const caselist_walk *w, caselist_row_fn fn,
                                                       void *arg, caselist_result *out) {
    return caselist_store(c)->walk(c, w, fn, arg, out);
}
static inline JC_MUST_CHECK jc_err caselist_store_plan(jc_conn *c, const caselist_walk *w, jc_buf *b) {
    return caselist_store(c)->plan(c, w, b);
}
static inline JC_MUST_CHECK jc_err caselist_store_id_range(jc_conn *c, int64_t t0, int64_t t1, int64_t *lo,
                                                           int64_t *hi) {
    return caselist_store(c)->id_range(c, t0, t1, lo, hi);
}
static inline JC_MUST_CHECK jc_err caselist_store_unindexed(jc_conn *c, int64_t *n) {
    return caselist_store(c)->unindexed(c, n);
}
static inline JC_MUST_CHECK jc_err caselist_store_index(jc_conn *w, int max, caselist_terms_fn fn, int *done) {
    return caselist_store(w)->index(w, max, fn, done);
}

#endif
