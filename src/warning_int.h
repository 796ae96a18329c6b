/*
 * warning_int.h -- between warning.c (model, detection, HTTP, CLI) and the
 * row operations of warning_store.h (warning_sqlite.c, warning_pg.c).  Not
 * for other modules: they use warning.h.
 */
#ifndef JC_WARNING_INT_H
#define JC_WARNING_INT_H

#include "detect.h"
#include "store.h"
#include "warning.h"
#include "warning_store.h"

/* Settings (table warning_meta, keys "cfg.*"); defaults in
 * warning__config_default. */
typedef struct {
    detect_method method; /* ears-c1 | ears-c2 (default) | ears-c3 | cusum */
    int baseline;         /* reference days, 3..28 (default 7) */
    double alpha;         /* 0: the method's default (EARS 0.001, C3 0.025) */
    double min_count;     /* a warning needs at least this many (default 3) */
    double confidence;    /* classifier: below this "needs a human" (0.5) */
} warning_config;

void warning__config_default(warning_config *c);
jc_err warning__config_load(jc_conn *c, warning_config *out) JC_MUST_CHECK;
jc_err warning__config_save(jc_conn *w, const warning_config *cfg) JC_MUST_CHECK;

/* The row operations on c's backend (warning_store.h), under the names
 * warning.c uses.  The module runs only where it has them (module_runs_on),
 * so warning_store(c) is never NULL here. */

/* warning_meta key/value; *out "" when absent (0 returned), 1 when found. */
static inline int warning__meta_get(jc_conn *c, const char *key, char *out, size_t outsz) {
    return warning_store(c)->meta_get(c, key, out, outsz);
}
JC_MUST_CHECK static inline jc_err warning__meta_set(jc_conn *w, const char *key, const char *value) {
    return warning_store(w)->meta_set(w, key, value);
}

/* Counts every case not counted yet into daily_counts and calls
 * suggest(id, title, body, arg) for each (suggest may be NULL).  On a
 * database never counted, rebuilds instead and suggests only for the cases
 * still in state reported.  *changed is set when counts moved. */
JC_MUST_CHECK static inline jc_err warning__catch_up(jc_conn *w, warning_suggest_fn suggest, void *arg, int *changed) {
    return warning_store(w)->catch_up(w, suggest, arg, changed);
}

JC_MUST_CHECK static inline jc_err warning__suggestion_put(jc_conn *w, int64_t case_id, const char *model, const char *top1,
                                             double p1, const char *top_json, int64_t at) {
    return warning_store(w)->suggestion_put(w, case_id, model, top1, p1, top_json, at);
}
/* JC_ERR_NOTFOUND when the case has none.  *top_json heap (caller frees). */
JC_MUST_CHECK static inline jc_err warning__suggestion_get(jc_conn *c, int64_t case_id, char *model, size_t msz, char *top1,
                                             double *p1, int64_t *at, char **top_json) {
    return warning_store(c)->suggestion_get(c, case_id, model, msz, top1, p1, at, top_json);
}

/* Resolves a model label (a category code or name) to the category code,
 * name and lead department (code, name; "" when none).  JC_ERR_NOTFOUND. */
JC_MUST_CHECK static inline jc_err warning__category_resolve(jc_conn *c, const char *label, char code[16], char name[64],
                                               char dept_code[32], char dept_name[128], int64_t *dept_id) {
    return warning_store(c)->category_resolve(c, label, code, name, dept_code, dept_name, dept_id);
}

/* Calls cb(category, area) for every series with counts on or after day
 * from (YYYY-MM-DD): areas cut to `len` characters (12 community, 9
 * street). */
JC_MUST_CHECK static inline jc_err warning__series_keys(jc_conn *c, const char *from, int len,
                                          int (*cb)(const char *category, const char *area, void *arg),
                                          void *arg) {
    return warning_store(c)->series_keys(c, from, len, cb, arg);
}
/* Sums daily_counts of category over areas with prefix area per day from
 * `from` (local day number, days since 1970-01-01) for n days into
 * counts[0..n) (zeros where no row). */
JC_MUST_CHECK static inline jc_err warning__series(jc_conn *c, const char *category, const char *area, int64_t from, size_t n,
                                     double *counts) {
    return warning_store(c)->series(c, category, area, from, n, counts);
}

/* Inserts or, while still open, refreshes the warning of (category, area,
 * day, method).  *raised = 1 when a new row was inserted. */
JC_MUST_CHECK static inline jc_err warning__upsert(jc_conn *w, const warning_row *row, int *raised) {
    return warning_store(w)->upsert(w, row, raised);
}
JC_MUST_CHECK static inline jc_err warning__get(jc_conn *c, int64_t id, warning_row *out) {
    return warning_store(c)->get(c, id, out);
}
/* state NULL = any; area "" = any (prefix), newest first, up to limit. */
JC_MUST_CHECK static inline jc_err warning__list(jc_conn *c, const char *state, const char *area, int limit,
                                   int (*cb)(const warning_row *row, void *arg), void *arg) {
    return warning_store(c)->list(c, state, area, limit, cb, arg);
}
/* JC_ERR_NOTFOUND when there is no such warning. */
JC_MUST_CHECK static inline jc_err warning__set_state(jc_conn *w, int64_t id, const char *state, const char *by,
                                        const char *reason, int64_t case_id, int64_t at) {
    return warning_store(w)->set_state(w, id, state, by, reason, case_id, at);
}

/* Cases per area at a level (len 12 or 15 characters of the code) and
 * window: window i covers [from + i*win, from + (i+1)*win).  Calls cb(area,
 * i, n). category NULL = all. */
JC_MUST_CHECK static inline jc_err warning__window_counts(jc_conn *c, const char *prefix, int len, const char *category,
                                            int64_t from, int64_t win, int nwin,
                                            int (*cb)(const char *area, int win, int64_t n, void *arg),
                                            void *arg) {
    return warning_store(c)->window_counts(c, prefix, len, category, from, win, nwin, cb, arg);
}

/* Rows for `jiceng warn train`: closed cases (title, body, category). */
JC_MUST_CHECK static inline jc_err warning__closed_cases(jc_conn *c,
                                           int (*cb)(const char *title, const char *body, const char *category,
                                                     void *arg),
                                           void *arg) {
    return warning_store(c)->closed_cases(c, cb, arg);
}

/* The warnings with id > after, in id order, at most limit; *last the
 * newest id read (after when none); with cb NULL, *last the newest id. */
JC_MUST_CHECK static inline jc_err warning__since(jc_conn *c, int64_t after, int limit, int64_t *last,
                                    int (*cb)(const warning_brief *w, void *arg), void *arg) {
    return warning_store(c)->since(c, after, limit, last, cb, arg);
}

#endif
