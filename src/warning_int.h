/*
 * warning_int.h -- between warning.c (model, detection, HTTP, CLI) and
 * warning_sqlite.c (tables and SQL).  Not for other modules: they use
 * warning.h.
 */
#ifndef JC_WARNING_INT_H
#define JC_WARNING_INT_H

#include "detect.h"
#include "store.h"
#include "warning.h"

/* Settings (table warning_meta, keys "cfg.*"); defaults in
 * warning__config_default. */
typedef struct {
    detect_method method; /* ears-c1 | ears-c2 (default) | ears-c3 | cusum */
    int baseline;         /* reference days, 3..28 (default 7) */
    double alpha;         /* 0: the method's default (EARS 0.001, C3 0.025) */
    double min_count;     /* a warning needs at least this many (default 3) */
    double confidence;    /* classifier: below this "needs a human" (0.5) */
} warning_config;

/* One warning (a row of `warnings`); params and explanation heap-owned. */
typedef struct {
    int64_t id;
    char category[16], area[24], day[16], method[24], state[16], by[64];
    double observed, expected, threshold;
    char *params, *explanation, *reason;
    int64_t at, created_at, case_id;
} warning_row;
void warning__row_clear(warning_row *w);

void warning__config_default(warning_config *c);
jc_err warning__config_load(jc_conn *c, warning_config *out) JC_MUST_CHECK;
jc_err warning__config_save(jc_conn *w, const warning_config *cfg) JC_MUST_CHECK;

/* warning_meta key/value; *out "" when absent (0 returned), 1 when found. */
int warning__meta_get(jc_conn *c, const char *key, char *out, size_t outsz);
jc_err warning__meta_set(jc_conn *w, const char *key, const char *value) JC_MUST_CHECK;

/* Counts every case with id above the watermark into daily_counts and calls
 * suggest(id, title, body, arg) for each (suggest may be NULL).  When the
 * watermark was never set, rebuilds instead and suggests only for the
 * cases still in state reported.  *changed is
 * set when counts moved. */
jc_err warning__catch_up(jc_conn *w, int (*suggest)(jc_conn *w, int64_t id, const char *title,
                                                     const char *body, void *arg),
                         void *arg, int *changed) JC_MUST_CHECK;

jc_err warning__suggestion_put(jc_conn *w, int64_t case_id, const char *model, const char *top1,
                               double p1, const char *top_json, int64_t at) JC_MUST_CHECK;
/* JC_ERR_NOTFOUND when the case has none.  *top_json heap (caller frees). */
jc_err warning__suggestion_get(jc_conn *c, int64_t case_id, char *model, size_t msz, char *top1,
                               double *p1, int64_t *at, char **top_json) JC_MUST_CHECK;

/* Resolves a model label (a category code or name) to the category code,
 * name and lead department (code, name; "" when none).  JC_ERR_NOTFOUND. */
jc_err warning__category_resolve(jc_conn *c, const char *label, char code[16], char name[64],
                                 char dept_code[32], char dept_name[128], int64_t *dept_id) JC_MUST_CHECK;

/* Calls cb(category, area) for every series with counts on or after day
 * from (YYYY-MM-DD): areas cut to `len` characters (12 community, 9
 * street). */
jc_err warning__series_keys(jc_conn *c, const char *from, int len,
                            int (*cb)(const char *category, const char *area, void *arg),
                            void *arg) JC_MUST_CHECK;
/* Sums daily_counts of category over areas with prefix area per day from
 * `from` (local day number, days since 1970-01-01) for n days into
 * counts[0..n) (zeros where no row). */
jc_err warning__series(jc_conn *c, const char *category, const char *area, int64_t from, size_t n,
                       double *counts) JC_MUST_CHECK;

/* Inserts or, while still open, refreshes the warning of (category, area,
 * day, method).  *raised = 1 when a new row was inserted. */
jc_err warning__upsert(jc_conn *w, const warning_row *row, int *raised) JC_MUST_CHECK;
jc_err warning__get(jc_conn *c, int64_t id, warning_row *out) JC_MUST_CHECK;
/* state NULL = any; area "" = any (prefix), newest first, up to limit. */
jc_err warning__list(jc_conn *c, const char *state, const char *area, int limit,
                     int (*cb)(const warning_row *row, void *arg), void *arg) JC_MUST_CHECK;
jc_err warning__set_state(jc_conn *w, int64_t id, const char *state, const char *by,
                          const char *reason, int64_t case_id, int64_t at) JC_MUST_CHECK;

/* Cases per area at a level (len 12 or 15 characters of the code) and
 * window: window i covers [from + i*win, from + (i+1)*win).  Calls cb(area,
 * i, n). category NULL = all. */
jc_err warning__window_counts(jc_conn *c, const char *prefix, int len, const char *category,
                              int64_t from, int64_t win, int nwin,
                              int (*cb)(const char *area, int win, int64_t n, void *arg),
                              void *arg) JC_MUST_CHECK;

/* Rows for `jiceng warn train`: closed cases (title, body, category). */
jc_err warning__closed_cases(jc_conn *c, int (*cb)(const char *title, const char *body,
                                                   const char *category, void *arg),
                             void *arg) JC_MUST_CHECK;

/* The warning module's tables (warning_sqlite.c), named in its row. */
extern const jc_schema schema_warning;

/* Warnings as the live stream shows them (warning__since). */
typedef struct {
    int64_t id, created_at;
    const char *category, *area, *state;
    double observed, threshold;
} warning_brief;
/* The warnings with id > after, in id order, at most limit; *last the
 * newest id read (after when none); with cb NULL, *last the newest id. */
jc_err warning__since(jc_conn *c, int64_t after, int limit, int64_t *last,
                      int (*cb)(const warning_brief *w, void *arg), void *arg) JC_MUST_CHECK;

#endif
