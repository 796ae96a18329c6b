/*
 * brief_store.h -- the row operations of the brief module (statistics for
 * leaders and the daily/weekly brief): a table of them per backend,
 * src/brief_sqlite.c and src/brief_pg.c; the figures are put together in
 * src/brief.c, which calls them through the brief_db_* wrappers below.  Every
 * read here goes through an index over a range or a small table: the daily
 * counts (warning module), cases by creation time, the flagged cases, the
 * audit log by time, the warnings.
 */
#ifndef JC_BRIEF_STORE_H
#define JC_BRIEF_STORE_H

#include "jc.h"
#include "module.h"
#include "store.h"

/* An open case past its deadline (flagged overdue). */
typedef struct {
    int64_t id, created_ms, dept_id, deadline_ms;
    char title[256];   /* cut */
    char area[24];
    char category[16];
    int escalation;
} brief_overdue;
/* An early warning (warning module). */
typedef struct {
    int64_t id;
    char category[16], area[24], day[16], state[16];
    double observed, threshold;
} brief_warning;
typedef int (*brief_count_fn)(const char *day, const char *community, const char *category, int64_t n, void *arg);

typedef struct {
    /* Cases created per (local day, community, category) for days d0..d1
     * ("YYYY-MM-DD", inclusive) whose community starts with area ("" all). */
    jc_err (*counts)(jc_conn *c, const char *area, const char *d0, const char *d1, brief_count_fn cb, void *arg);
    /* Cases created in [t0, t1) in area, by state. */
    jc_err (*states)(jc_conn *c, const char *area, int64_t t0, int64_t t1,
                     int (*cb)(const char *state, int64_t n, void *arg), void *arg);
    /* Cases of area closed in [t0, t1) (a close in the audit log). */
    jc_err (*closed)(jc_conn *c, const char *area, int64_t t0, int64_t t1, int64_t *n);
    /* The open overdue cases of area, longest overdue first: up to limit to
     * cb, and their number in *total. */
    jc_err (*overdue)(jc_conn *c, const char *area, int limit, int64_t *total,
                      int (*cb)(const brief_overdue *o, void *arg), void *arg);
    /* The open overdue cases of area per department (dept 0: none). */
    jc_err (*overdue_by_dept)(jc_conn *c, const char *area, int (*cb)(int64_t dept_id, int64_t n, void *arg),
                              void *arg);
    /* The warnings of area about days d0..d1, newest day first, at most limit. */
    jc_err (*warnings)(jc_conn *c, const char *area, const char *d0, const char *d1, int limit,
                       int (*cb)(const brief_warning *w, void *arg), void *arg);
} brief_store_ops;

/* The two backends' tables (brief_sqlite.c, brief_pg.c). */
extern const brief_store_ops brief_store_sqlite, brief_store_pg;
extern const jc_module module_brief;

/* c's backend's table (never NULL where the module runs). */
static inline const brief_store_ops *brief_store(const jc_conn *c) {
    return (const brief_store_ops *)module_store(&module_brief, c);
}

/* The operations under the names brief.c uses (see the table above). */
JC_MUST_CHECK static inline jc_err brief_db_counts(jc_conn *c, const char *area, const char *d0, const char *d1,
                                                   brief_count_fn cb, void *arg) {
    return brief_store(c)->counts(c, area, d0, d1, cb, arg);
}
JC_MUST_CHECK static inline jc_err brief_db_states(jc_conn *c, const char *area, int64_t t0, int64_t t1,
                                                   int (*cb)(const char *state, int64_t n, void *arg), void *arg) {
    return brief_store(c)->states(c, area, t0, t1, cb, arg);
}
JC_MUST_CHECK static inline jc_err brief_db_closed(jc_conn *c, const char *area, int64_t t0, int64_t t1,
                                                   int64_t *n) {
    return brief_store(c)->closed(c, area, t0, t1, n);
}
JC_MUST_CHECK static inline jc_err brief_db_overdue(jc_conn *c, const char *area, int limit, int64_t *total,
                                                    int (*cb)(const brief_overdue *o, void *arg), void *arg) {
    return brief_store(c)->overdue(c, area, limit, total, cb, arg);
}
JC_MUST_CHECK static inline jc_err brief_db_overdue_by_dept(jc_conn *c, const char *area,
                                                            int (*cb)(int64_t dept_id, int64_t n, void *arg),
                                                            void *arg) {
    return brief_store(c)->overdue_by_dept(c, area, cb, arg);
}
JC_MUST_CHECK static inline jc_err brief_db_warnings(jc_conn *c, const char *area, const char *d0, const char *d1,
                                                     int limit, int (*cb)(const brief_warning *w, void *arg),
                                                     void *arg) {
    return brief_store(c)->warnings(c, area, d0, d1, limit, cb, arg);
}

#endif
