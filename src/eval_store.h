/*
 * eval_store.h -- the row operations of the evaluation (settings, the
 * calendar's corrections, the case rows of a period, unit names, per-case
 * facts, per unit and month counters, the changed cases): a table of them
 * per backend, eval_sqlite.c and eval_pg.c; eval.c and eval_inc.c decide
 * and call them through eval_store().
 *
 * The changed cases differ by backend: SQLite keeps them in the writer's
 * memory (one writer: eval_hook.c's list); PostgreSQL queues them in a
 * table in the transaction of the action, since the leader that counts
 * them may be another instance.
 */
#ifndef JC_EVAL_STORE_H
#define JC_EVAL_STORE_H

#include "eval.h"
#include "module.h"
#include "store.h"

typedef struct {
    /* cb for each eval_config row */
    jc_err (*config_each)(jc_conn *c, void (*cb)(const char *key, double value, void *arg), void *arg);
    jc_err (*config_put)(jc_conn *w, const char *key, double value);
    /* cb for each staff correction of the calendar (calendar_days) */
    jc_err (*calendar_days)(jc_conn *c, void (*cb)(int ymd, const char *kind, const char *name, void *arg),
                            void *arg);
    /* The cases created in [t0, t1), or the one case only_id, or (ids !=
     * NULL) those of the sorted list ids[0..nids), each with its rows, to
     * cb in id order. */
    jc_err (*scan)(jc_conn *c, int64_t t0, int64_t t1, int64_t only_id, const int64_t *ids, size_t nids,
                   void (*cb)(const ev_case *k, void *arg), void *arg);
    /* a unit's name ("" when unknown); key "dept:3", "worker:7", "street:..." */
    jc_err (*unit_name)(jc_conn *c, const char *key, char *out, size_t outsz);
    /* a case's stored facts: month and up to cap bytes; *len 0 when none */
    jc_err (*facts_get)(jc_conn *c, int64_t case_id, char month[8], unsigned char *buf, size_t cap,
                        size_t *len);
    jc_err (*facts_put)(jc_conn *w, int64_t case_id, const char *month, const unsigned char *facts, size_t len);
    /* adds num and den to the counter (month, unit, ind), made when absent */
    jc_err (*counter_add)(jc_conn *w, const char *month, const char *unit, int ind, double num, double den);
    /* drops a month's counters and facts (before recomputing it) */
    jc_err (*month_clear)(jc_conn *w, const char *month);
    jc_err (*counters_present)(jc_conn *c, const char *month, int *yes);
    /* cb for each counter of month, ordered by unit */
    jc_err (*counters_each)(jc_conn *c, const char *month,
                            int (*cb)(const char *unit, int ind, double num, double den, void *arg), void *arg);
    /* Queues a changed case (in the writer's transaction); NULL where the
     * writer keeps the list in memory (SQLite). */
    jc_err (*changed_put)(jc_conn *w, int64_t case_id);
    /* Takes up to max queued ids (the leader's tick); *n how many. */
    jc_err (*changed_take)(jc_conn *w, int64_t *out, size_t max, size_t *n);
} eval_store_ops;

/* The two backends' tables and schemas (eval_sqlite.c, eval_pg.c). */
extern const eval_store_ops eval_store_sqlite, eval_store_pg;
extern const jc_schema schema_eval_pg;
extern const jc_module module_eval;

/* c's backend's table (NULL where the module does not run there). */
static inline const eval_store_ops *eval_store(const jc_conn *c) {
    return (const eval_store_ops *)module_store(&module_eval, c);
}

#endif
