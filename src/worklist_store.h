/*
 * worklist_store.h -- the rows of the work list module (module "worklist"):
 * list versions and their items, tasks and their communities' copies, the
 * registry of answerable fields, base counts, settings.  Row operations
 * only: what is admitted, who may grant an exception or mark a copy done,
 * and how burden is counted are decided in worklist.c.
 *
 * One table of functions per storage backend (worklist_store_sqlite in
 * worklist_sqlite.c, with the tables' migrations; worklist_store_pg in
 * worklist_pg.c), named in the module's
 * row (.store); the wl_db_* functions below call the table of the
 * connection's backend.  Every function returns JC_OK, JC_ERR_NOTFOUND
 * where it says so, or JC_ERR_DB.  A callback's non-zero return stops a
 * read early (JC_OK).
 */
#ifndef JC_WORKLIST_STORE_H
#define JC_WORKLIST_STORE_H

#include "module.h"
#include "worklist.h"

/* One group of the burden figures: the copies of one (community, sending
 * department, task kind, copy status, task decision), and how many. */
typedef struct {
    const char *community, *dept, *kind, *status, *decision;
    int64_t n;
} wl_burden_row;

#define WL_LIST_MAX 500 /* tasks of one list */

typedef struct {
    /* ---- list versions ---- */
    /* The active version (0 when none). */
    jc_err (*active_version)(jc_conn *c, int64_t *version);
    /* 1 when a department has this code, else 0 (also on a storage error). */
    int (*dept_known)(jc_conn *c, const char *code);
    /* Deactivates the active version and inserts n items as the new active
     * one, created by by at now_ms (writer); *version gets its number.  A
     * duplicate code or a bad kind: JC_ERR_INVALID, msg names the item. */
    jc_err (*version_insert)(jc_conn *w, const char *by, const char *note, const wl_item *items, size_t n,
                             int64_t now_ms, int64_t *version, char *msg, size_t msz);
    /* Item code of version v: 0 found, 1 not found, <0 error. */
    int (*item_get)(jc_conn *c, int64_t v, const char *code, wl_item *it);
    /* The items of version (malloc'd, by code). */
    jc_err (*items_get)(jc_conn *c, int64_t version, wl_item **items, size_t *n);
    /* Every version, newest first, at most 200 (JSON array). */
    jc_err (*versions_json)(jc_conn *c, json_t **out);

    /* ---- answerable fields ---- */
    /* 1 when field is known to this backend's answers, switched on in
     * answerable_fields and, for base data, held. */
    int (*field_answerable)(jc_conn *c, const char *field);
    /* The answer of field for community (a prefix of cases.area): a number,
     * an object of counts, or null.  JC_ERR_NOTFOUND for an unknown field. */
    jc_err (*answer_field)(jc_conn *c, const char *field, const char *community, json_t **out);
    /* Calls cb for each row of answerable_fields, by field. */
    jc_err (*fields_each)(jc_conn *c, int (*cb)(const char *field, const char *description, void *arg),
                          void *arg);

    /* ---- settings ---- */
    jc_err (*config_get)(jc_conn *c, const char *key, double dflt, double *out);
    jc_err (*config_put)(jc_conn *w, const char *key, double value, const char *by, int64_t at_ms);

    /* ---- tasks ---- */
    /* The JSON of task id with its communities' copies (JC_ERR_NOTFOUND). */
    jc_err (*task_json)(jc_conn *c, int64_t id, json_t **out);
    /* Stores t: the task and one copy per community (writer); *id its id. */
    jc_err (*task_store)(jc_conn *w, const wl__task_row *t, int64_t *id);
    /* The decision of task id (JC_ERR_NOTFOUND). */
    jc_err (*task_decision)(jc_conn *c, int64_t id, char *decision, size_t dsz);
    /* How many copies of task id go to communities outside area. */
    jc_err (*task_outside)(jc_conn *c, int64_t id, const char *area, int64_t *n);
    /* Records the street's exception and delivers the refused copies;
     * JC_ERR_CONFLICT when the task is no longer refused (another
     * exception committed first). */
    jc_err (*task_set_exception)(jc_conn *w, int64_t id, const char *by, const char *reason, int64_t at_ms);
    /* The status of community's copy of task id (JC_ERR_NOTFOUND). */
    jc_err (*target_status)(jc_conn *c, int64_t id, const char *community, char *st, size_t stsz);
    /* Marks community's copy done; JC_ERR_CONFLICT when it is no longer
     * received (another mark committed first). */
    jc_err (*target_done)(jc_conn *w, int64_t id, const char *community, int64_t at_ms, const char *by);
    /* The ids of the tasks with a copy matching the filters (NULL/0: any;
     * scope a prefix of the community), newest first, at most limit
     * (<= WL_LIST_MAX) into ids. */
    jc_err (*task_ids)(jc_conn *c, const char *community, const char *scope, const char *dept, int64_t task_id,
                       int limit, int64_t *ids, int *n);
    /* The burden groups of the tasks created in [t0, t1), filtered as
     * task_ids, by community then department. */
    jc_err (*burden_each)(jc_conn *c, int64_t t0, int64_t t1, const char *scope, const char *dept,
                          int (*cb)(const wl_burden_row *r, void *arg), void *arg);

    /* ---- base counts ---- */
    /* 1 when base_counts has a row. */
    jc_err (*base_counts_any)(jc_conn *c, int *have);
    /* The demo's figures for every community, as of now_ms (writer). */
    jc_err (*base_counts_seed)(jc_conn *w, int64_t now_ms);
} worklist_store_ops;

extern const worklist_store_ops worklist_store_sqlite, worklist_store_pg;
extern const jc_module module_worklist;

/* c's backend's table (the module runs only where it has one). */
static inline const worklist_store_ops *wl_db(const jc_conn *c) {
    return (const worklist_store_ops *)module_store(&module_worklist, c);
}

/* The module's tables (worklist_sqlite.c, worklist_pg.c), named in its row. */
extern const jc_schema schema_worklist_pg;

#endif
