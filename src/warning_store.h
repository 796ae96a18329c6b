/*
 * warning_store.h -- the row operations of the warning module (counts,
 * suggestions, warnings, settings): a table of them per backend,
 * warning_sqlite.c and warning_pg.c; warning.c decides and calls them
 * through warning_store() (or warning_int.h's wrappers).
 *
 * The catch-up differs by backend: SQLite counts the cases above a
 * watermark (one writer, ids commit in order); PostgreSQL counts the cases
 * a trigger queued (several instances take ids from one sequence and commit
 * in any order), on the leader's tick only.
 */
#ifndef JC_WARNING_STORE_H
#define JC_WARNING_STORE_H

#include "module.h"
#include "store.h"

/* One warning (a row of `warnings`); params and explanation heap-owned
 * (warning__row_clear frees them). */
typedef struct {
    int64_t id;
    char category[16], area[24], day[16], method[24], state[16], by[64];
    double observed, expected, threshold;
    char *params, *explanation, *reason;
    int64_t at, created_at, case_id;
} warning_row;
/* Frees a row's heap fields (warning.c). */
void warning__row_clear(warning_row *w);

/* Warnings as the live stream shows them (warning__since). */
typedef struct {
    int64_t id, created_at;
    const char *category, *area, *state;
    double observed, threshold;
} warning_brief;

typedef int (*warning_suggest_fn)(jc_conn *w, int64_t id, const char *title, const char *body, void *arg);

typedef struct {
    /* warning_meta key/value; *out "" when absent (0 returned), 1 when found */
    int (*meta_get)(jc_conn *c, const char *key, char *out, size_t outsz);
    jc_err (*meta_set)(jc_conn *w, const char *key, const char *value);
    /* daily_counts again from cases; the catch-up starts after them */
    jc_err (*counts_rebuild)(jc_conn *w);
    /* counts the cases not counted yet, suggest() for each (see warning__catch_up) */
    jc_err (*catch_up)(jc_conn *w, warning_suggest_fn suggest, void *arg, int *changed);
    /* top_json: the packed list (warning.c's top_pack); a second put for a case is ignored */
    jc_err (*suggestion_put)(jc_conn *w, int64_t case_id, const char *model, const char *top1, double p1,
                             const char *top_json, int64_t at);
    jc_err (*suggestion_get)(jc_conn *c, int64_t case_id, char *model, size_t msz, char *top1, double *p1,
                             int64_t *at, char **top_json);
    jc_err (*category_resolve)(jc_conn *c, const char *label, char code[16], char name[64], char dept_code[32],
                               char dept_name[128], int64_t *dept_id);
    jc_err (*series_keys)(jc_conn *c, const char *from, int len,
                          int (*cb)(const char *category, const char *area, void *arg), void *arg);
    jc_err (*series)(jc_conn *c, const char *category, const char *area, int64_t from, size_t n, double *counts);
    jc_err (*upsert)(jc_conn *w, const warning_row *row, int *raised);
    jc_err (*get)(jc_conn *c, int64_t id, warning_row *out);
    jc_err (*list)(jc_conn *c, const char *state, const char *area, int limit,
                   int (*cb)(const warning_row *row, void *arg), void *arg);
    jc_err (*set_state)(jc_conn *w, int64_t id, const char *state, const char *by, const char *reason,
                        int64_t case_id, int64_t at);
    jc_err (*window_counts)(jc_conn *c, const char *prefix, int len, const char *category, int64_t from,
                            int64_t win, int nwin, int (*cb)(const char *area, int win, int64_t n, void *arg),
                            void *arg);
    jc_err (*closed_cases)(jc_conn *c, int (*cb)(const char *title, const char *body, const char *category,
                                                 void *arg),
                           void *arg);
    jc_err (*open_count)(jc_conn *c, const char *prefix, int64_t *n);
    jc_err (*since)(jc_conn *c, int64_t after, int limit, int64_t *last,
                    int (*cb)(const warning_brief *w, void *arg), void *arg);
} warning_store_ops;

/* The two backends' tables and schemas (warning_sqlite.c, warning_pg.c). */
extern const warning_store_ops warning_store_sqlite, warning_store_pg;
extern const jc_schema schema_warning, schema_warning_pg;
extern const jc_module module_warning;

/* c's backend's table (NULL where the module does not run there). */
static inline const warning_store_ops *warning_store(const jc_conn *c) {
    return (const warning_store_ops *)module_store(&module_warning, c);
}

#endif
