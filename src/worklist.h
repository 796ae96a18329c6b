/*
 * worklist.h -- the community work list (社区工作事项清单), admission of tasks
 * pushed down to communities (准入), and burden accounting (减负).
 *
 *  - The work list is data: each CSV import or API edit is a new version,
 *    exactly one version is active, and every task decision records the
 *    version it was made against.  An item has a code, a name, a kind
 *    (duty 依法履职 / assist 协助 / resourced 须随附资源), the document it rests
 *    on, and the departments that may request it ("*" any, "street" the
 *    street office itself).
 *  - A task (task, form, report, inspection, meeting, signboard,
 *    data_request) sent to communities is admitted when its item is on the
 *    active list, the sender may request it and, for a resourced item,
 *    resources are attached; otherwise it is refused with the reason.  The
 *    street may grant a one-off exception.  A data request whose fields the
 *    platform already holds is answered from the store (see the registry of
 *    answerable fields in worklist_sqlite.c) and never reaches a community.
 *  - Burden: per community and per sending department, per month.
 *
 * Tables (module "worklist", worklist_sqlite.c): worklist_versions,
 * worklist_items, tasks, task_targets, answerable_fields, base_counts,
 * worklist_config.  HTTP routes: worklist.c and worklist_api.c (docs/worklist.md).
 */
#ifndef JC_WORKLIST_H
#define JC_WORKLIST_H

#include "jc.h"
#include "model.h"
#include "store.h"
#include "http.h"

typedef struct json_t json_t;

#define WL_MAX_CSV (4 * 1024 * 1024) /* bytes of one imported list */
#define WL_MAX_ITEMS 2000            /* items of one list version */
#define WL_MAX_TARGETS 200           /* communities of one task */
#define WL_MAX_FIELDS 50             /* fields of one data request */

/* One item of a work list version; text is copied into the fixed fields. */
typedef struct {
    char code[32];
    char name[256];
    char kind[12];    /* duty | assist | resourced */
    char basis[512];  /* the document it rests on */
    char depts[512];  /* "chengguan;minzheng", "*" for any, "street" */
} wl_item;

/* Parses a work list CSV (header code,name,kind,basis,depts; UTF-8, an
 * optional BOM) into a malloc'd array (*items, caller frees) of *n items.
 * All-or-nothing: on any bad row JC_ERR_INVALID with one line per problem,
 * "row N: ...", appended to errors. JC_ERR_TOOBIG past WL_MAX_CSV. */
jc_err worklist_parse_csv(const char *data, size_t len, wl_item **items, size_t *n,
                          jc_buf *errors) JC_MUST_CHECK;

/* Stores items as a new active version (previous versions kept, inactive),
 * audited as actor.  *version gets the new version number.  Department
 * codes are checked against the catalogue (JC_ERR_INVALID, msg says which). */
jc_err worklist_put_version(jc_conn *w, const jc_user *actor, const wl_item *items, size_t n,
                            const char *note, int64_t *version, char *msg,
                            size_t msz) JC_MUST_CHECK;

/* The items of version (malloc'd array, caller frees), ordered by code. */
jc_err worklist_items_get(jc_conn *c, int64_t version, wl_item **items, size_t *n) JC_MUST_CHECK;
/* Every version, newest first (JSON array, caller decrefs). */
jc_err worklist_versions_json(jc_conn *c, json_t **out) JC_MUST_CHECK;
/* The registry of answerable fields with whether each is answerable now. */
jc_err worklist_fields_json(jc_conn *c, json_t **out) JC_MUST_CHECK;

/* The active version (0 when no list was ever imported). */
jc_err worklist_active_version(jc_conn *c, int64_t *version) JC_MUST_CHECK;

/* Seeds the demo: imports DATA_DIR/worklist.csv as version 1 (when no list
 * exists yet) and a few base counts per community (base_counts), so data
 * requests for population etc. are answerable.  Idempotent.  Called by
 * `jiceng demo` on the writer. */
jc_err worklist_seed_demo(jc_conn *w, const char *data_dir) JC_MUST_CHECK;

/* A task as submitted (all strings owned by the caller). */
typedef struct {
    const char *title, *kind, *item, *resources; /* resources may be NULL */
    const char *const *communities;
    size_t ncommunities;
    const char *const *fields; /* data_request fields, may be empty */
    size_t nfields;
    const char *attachments_json; /* JSON array text, may be NULL */
    int64_t deadline_ms;          /* 0 = none */
} wl_task_in;

/* Decides and stores a task submitted by actor (dept_staff, dispatcher,
 * supervisor, admin) at now_ms: admitted, refused or answered_from_store.
 * *out gets the task's JSON (caller decrefs).  JC_ERR_INVALID/DENIED for
 * bad input (msg says why; nothing stored); a refusal is NOT an error. */
jc_err worklist_task_submit(jc_conn *w, const jc_user *actor, const wl_task_in *in,
                            int64_t now_ms, json_t **out, char *msg, size_t msz) JC_MUST_CHECK;

/* The street's one-off exception for a refused task: delivers it, records
 * who and why.  JC_ERR_CONFLICT when the task was not refused. */
jc_err worklist_task_exception(jc_conn *w, const jc_user *actor, int64_t task_id,
                               const char *reason, int64_t now_ms, json_t **out, char *msg,
                               size_t msz) JC_MUST_CHECK;

/* A community marks its copy of a task done. community may be NULL for a
 * community_staff actor (their own community). */
jc_err worklist_task_done(jc_conn *w, const jc_user *actor, int64_t task_id,
                          const char *community, int64_t now_ms, json_t **out, char *msg,
                          size_t msz) JC_MUST_CHECK;

/* Tasks visible to viewer (filters may be NULL/0), newest first. */
jc_err worklist_tasks_list(jc_conn *c, const jc_user *viewer, const char *community,
                           int64_t task_id, int limit, json_t **out) JC_MUST_CHECK;

/* Burden of month "YYYY-MM" (Asia/Shanghai), per community and per sending
 * department, with warnings; the viewer's scope narrows it. */
jc_err worklist_burden(jc_conn *c, const jc_user *viewer, const char *month,
                       json_t **out) JC_MUST_CHECK;

/* Settings (worklist_config): estimated hours per task kind
 * ("hours.form" ...) and "limit.tasks_per_community_month". */
jc_err worklist_config_get(jc_conn *c, const char *key, double dflt, double *out) JC_MUST_CHECK;
/* Every setting with its default (what is used while worklist_config has
 * no row for it). */
typedef struct {
    const char *key;
    double dflt;
} worklist_setting;
extern const worklist_setting worklist_settings[];
extern const size_t worklist_nsettings;
jc_err worklist_config_set(jc_conn *w, const jc_user *actor, const char *key,
                           double value) JC_MUST_CHECK;

/* ---- internal (worklist.c <-> worklist_sqlite.c) ----------------------- */
/* Answers field for community (prefix of cases.area) into *out (JSON,
 * caller owns); JC_ERR_NOTFOUND when the field is not answerable. */
jc_err wl__answer_field(jc_conn *c, const char *field, const char *community, json_t **out);
/* 1 when field is in the registry of answerable fields. */
int wl__field_answerable(jc_conn *c, const char *field);
/* Month bounds [start, end) in UTC ms of "YYYY-MM" local; JC_ERR_INVALID. */
jc_err wl__month_bounds(const char *month, int64_t *start, int64_t *end) JC_MUST_CHECK;
/* The street's roles: they send tasks, grant exceptions. */
static inline int wl__street_role(jc_role r) {
    return r == ROLE_DISPATCHER || r == ROLE_SUPERVISOR || r == ROLE_ADMIN;
}
/* Loads item code of list version v into *it; 0 found, 1 not found, <0
 * error (worklist_sqlite.c). */
int wl__item_get(jc_conn *c, int64_t v, const char *code, wl_item *it);
/* A submitted task as decided (worklist.c), to store. */
typedef struct {
    const wl_task_in *in;
    const jc_user *actor;
    const char *dept;          /* the sender: a department code or "street" */
    int64_t now_ms, version;   /* the list version it was decided against */
    const char *decision, *reason;
    const json_t *answer;      /* answered_from_store: per community, per field; else NULL */
    const char *target_status; /* of every community's copy: received, refused, answered */
} wl__task_row;
/* Stores t: the task and one copy per community (writer); *id its id. */
jc_err wl__task_store(jc_conn *w, const wl__task_row *t, int64_t *id) JC_MUST_CHECK;
/* The JSON of task id (caller decrefs). */
jc_err wl__task_json(jc_conn *c, int64_t id, json_t **out) JC_MUST_CHECK;

/* The worklist module's tables (worklist_sqlite.c) and the routes of
 * worklist_api.c, named in its row (worklist.c). */
extern const jc_schema schema_worklist;
extern const jc_route_table worklist__burden_config_routes;

#endif
