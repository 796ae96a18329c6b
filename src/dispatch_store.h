/*
 * dispatch_store.h -- the rows of automatic dispatch (module "dispatch"):
 * list versions, routes, owners, phases, returns, whistles, duplicates,
 * followers, calendar corrections, grid workers' duty.  Row operations
 * only: what to route where, when a phase is due, who may see what are
 * decided in dispatch.c and dispatch_api.c.
 *
 * One table of functions per storage backend (dispatch_store_sqlite in
 * dispatch_sqlite.c, with the tables' migrations; dispatch_store_pg in
 * dispatch_pg.c), named in the module's row (.store); the inline
 * functions below call the table of the connection's backend.  Every
 * function returns JC_OK, JC_ERR_NOTFOUND where it says so, JC_ERR_CONFLICT
 * for a constraint, or JC_ERR_DB.  A callback's non-zero return stops a
 * read early (JC_OK).
 */
#ifndef JC_DISPATCH_STORE_H
#define JC_DISPATCH_STORE_H

#include "module.h"
#include "store.h"

typedef struct json_t json_t;

/* The escalation settings (督办设置), a designer setting kept in
 * meta('dispatch.escalation') as "<remind_pct> <levels> <leader_after_min>". */
typedef struct {
    int remind_pct;       /* the reminder when this share of the time limit is used (50..95) */
    int levels;           /* overdue levels: 1 超时督办 only, 2 and then 领导督办 */
    int leader_after_min; /* working minutes after the deadline before level 2 */
} dispatch_esc_cfg;

/* One open, running (not paused) phase, as the escalation timer needs it. */
typedef struct {
    int64_t id, case_id, start, deadline, reminded; /* reminded: 0 when not */
    int level, natural;
} dispatch_phase_row;

/* A phase to open. */
typedef struct {
    int64_t case_id;
    const char *phase;        /* accept | handle | verify */
    int64_t dept_id, user_id; /* 0: none */
    int64_t start, deadline, next_at;
    int provisional, natural;
} dispatch_phase_new;

/* A routing decision (case_route: one per case, the latest). */
typedef struct {
    int64_t case_id;
    int list_version;
    const char *entry_id, *scope, *lead_dept, *co_depts; /* NULL: no entry (ownerless, manual) */
    const char *category, *grid, *located, *explanation;
    int manual;
    int64_t routed_at;
} dispatch_route_row;

/* A located open report the duplicate index holds. */
typedef struct {
    int64_t id, created;
    const char *text, *category; /* text: title and body */
    double lon, lat;
} dispatch_located;

/* A list version as the designer lists them. */
typedef struct {
    int version, entries, active;
    int64_t created_at;
    const char *created_by, *note; /* note NULL when none */
} dispatch_list_version;

/* A whistle as the board lists it; members is a JSON array's text. */
typedef struct {
    int64_t id, case_id, raised_at, case_created;
    int checkin_minutes;
    const char *note, *state, *title, *area, *members;
} dispatch_whistle_row;

/* The rows of a case's view (GET /api/v1/cases/{id}): JSON arrays of
 * objects, one per row, keyed by column name, *_at columns as ISO times
 * (caller owns each). */
typedef struct {
    json_t *route, *phases, *owners, *returns, *whistles, *duplicates;
} dispatch_view;

typedef struct {
    /* settings and the routing context */
    jc_err (*esc_get)(jc_conn *c, dispatch_esc_cfg *out); /* absent or malformed: the defaults 80, 2, 420 */
    jc_err (*esc_put)(jc_conn *w, const dispatch_esc_cfg *cfg);
    /* adds one to meta('dispatch.generation') (absent or malformed: 0) in
     * one statement, so that two instances bumping it at once both count;
     * *gen the new value */
    jc_err (*generation_bump)(jc_conn *w, int64_t *gen);
    /* the list of version v (0: the active one): *got its version, *csv
     * (caller frees, *len bytes); JC_ERR_NOTFOUND when there is none */
    jc_err (*list_csv)(jc_conn *c, int v, int *got, char **csv, size_t *len);
    /* a new version, made the only active one; *version its number */
    jc_err (*list_insert)(jc_conn *w, const char *by, const char *note, const char *csv, size_t len,
                          int64_t entries, int *version);
    jc_err (*list_versions)(jc_conn *c, int (*cb)(const dispatch_list_version *v, void *arg), void *arg);
    jc_err (*calendar_days)(jc_conn *c, int (*cb)(int ymd, const char *kind, const char *name, void *arg),
                            void *arg);
    jc_err (*calendar_day_put)(jc_conn *w, int ymd, const char *kind, const char *name, const char *by, int64_t at);
    jc_err (*calendar_day_delete)(jc_conn *w, int ymd);
    /* open located reports created after since, in id order */
    jc_err (*recent_located)(jc_conn *c, int64_t since, int (*cb)(const dispatch_located *r, void *arg), void *arg);
    /* up to limit cases not yet done with, newest first (a list preview) */
    jc_err (*open_cases)(jc_conn *c, int limit,
                         int (*cb)(int64_t id, const char *category, const char *area, int64_t created, void *arg),
                         void *arg);
    /* every category with its open ownerless cases */
    jc_err (*category_ownerless)(jc_conn *c, int (*cb)(const char *code, const char *name, int64_t n, void *arg),
                                 void *arg);

    /* phases */
    jc_err (*armed_phases)(jc_conn *w, int (*cb)(int64_t next_at, int64_t id, void *arg), void *arg);
    /* the open phase id if it is still due at next_at: *row and *phase (0
     * accept, 1 handle, 2 verify); JC_ERR_NOTFOUND when stale */
    jc_err (*due_phase)(jc_conn *w, int64_t id, int64_t next_at, dispatch_phase_row *row, int *phase);
    /* the open running phases of case case_id (phase_id 0) or phase
     * phase_id (case_id 0); all are read before cb runs, so it may write */
    jc_err (*running_phases)(jc_conn *w, int64_t case_id, int64_t phase_id,
                             int (*cb)(const dispatch_phase_row *row, void *arg), void *arg);
    jc_err (*phase_next)(jc_conn *w, int64_t id, int64_t next_at); /* 0: never */
    jc_err (*phase_insert)(jc_conn *w, const dispatch_phase_new *p, int64_t *id);
    /* ends the open phases of a case (phase NULL: all), their pause counted */
    jc_err (*phases_close)(jc_conn *w, int64_t case_id, const char *phase, int64_t now, const char *reason);
    /* pause: stops the clock of the open phases (unarmed); resume: moves
     * their deadlines by the time paused */
    jc_err (*phases_pause)(jc_conn *w, int64_t case_id, int64_t now, int pause);
    jc_err (*open_deadline)(jc_conn *w, int64_t case_id, int64_t *deadline); /* 0 when none open */
    /* an extension: a new deadline, reminder and levels start over */
    jc_err (*phases_extend)(jc_conn *w, int64_t case_id, int64_t deadline);
    jc_err (*phase_deadline)(jc_conn *w, int64_t id, int64_t deadline, int provisional);
    /* the timer's step: reminded and overdue_at kept once set (0: leave) */
    jc_err (*phase_step)(jc_conn *w, int64_t id, int64_t reminded, int64_t overdue_at, int level, int64_t next_at);
    /* open phases with a provisional deadline, up to limit */
    jc_err (*provisional_phases)(jc_conn *w, int limit,
                                 int (*cb)(int64_t id, int64_t case_id, const char *phase, int64_t start, void *arg),
                                 void *arg);

    /* owners, routes, returns */
    jc_err (*owners_close)(jc_conn *w, int64_t case_id, int64_t now, const char *reason);
    jc_err (*owner_open)(jc_conn *w, int64_t case_id, int64_t dept_id, const char *role, int64_t now);
    jc_err (*route_save)(jc_conn *w, const dispatch_route_row *r);
    /* the grid worker on duty whose scope holds area most closely, with the
     * fewest cases awaiting verification; *user_id 0 when none */
    jc_err (*pick_worker)(jc_conn *w, const char *area, int64_t *user_id);
    jc_err (*return_insert)(jc_conn *w, int64_t case_id, int64_t dept_id, const char *code, const char *reason,
                            int64_t at);
    /* decides the case's undecided return */
    jc_err (*return_decide)(jc_conn *w, int64_t case_id, const char *decision, const char *by, const char *note,
                            int64_t at);
    jc_err (*return_last_dept)(jc_conn *w, int64_t case_id, int64_t *dept_id); /* 0 when none */
    jc_err (*duplicate_insert)(jc_conn *w, int64_t case_id, int64_t original_id, double score, double distance_m,
                               int automatic, int64_t at);
    jc_err (*follower_add)(jc_conn *w, int64_t case_id, int64_t user_id); /* once */
    /* *yes: department dept leads or co-handles the case now, or a whistle summoned it */
    jc_err (*dept_involved)(jc_conn *c, int64_t case_id, int64_t dept_id, int *yes);
    jc_err (*follows)(jc_conn *c, int64_t case_id, int64_t user_id, int *yes);
    jc_err (*user_duty_put)(jc_conn *w, int64_t user_id, int on_duty);

    /* whistles */
    jc_err (*whistle_insert)(jc_conn *w, int64_t case_id, int64_t by, int64_t at, int minutes, const char *note,
                             int64_t *id);
    /* JC_ERR_CONFLICT: the department is summoned already */
    jc_err (*whistle_member_insert)(jc_conn *w, int64_t whistle_id, int64_t dept_id, int64_t checkin_deadline);
    jc_err (*whistle_get)(jc_conn *c, int64_t id, int64_t *case_id, int *open); /* JC_ERR_NOTFOUND */
    /* a department's check-in (finish 0) or finish: *changed 0 when it was
     * not summoned or did so already; *late whether it came late */
    jc_err (*whistle_checkin)(jc_conn *w, int64_t whistle_id, int64_t dept_id, int64_t now, int finish,
                              const char *note, int *changed, int *late);
    jc_err (*whistle_left)(jc_conn *w, int64_t whistle_id, int *left); /* members not finished */
    jc_err (*whistle_done)(jc_conn *w, int64_t whistle_id, int64_t at);
    jc_err (*whistles_open)(jc_conn *c, int64_t case_id, int *n); /* open whistles of the case */
    jc_err (*whistle_members_open)(jc_conn *c, int64_t case_id, int *n); /* summoned, not finished */
    jc_err (*whistle_rate)(jc_conn *w, int64_t whistle_id, int64_t dept_id, int rating, int64_t at, int *changed);
    /* members past their check-in deadline, not marked yet, up to limit */
    jc_err (*late_checkins)(jc_conn *w, int64_t now, int limit,
                            int (*cb)(int64_t whistle_id, int64_t dept_id, int64_t case_id, void *arg), void *arg);
    jc_err (*checkin_mark_late)(jc_conn *w, int64_t whistle_id, int64_t dept_id);
    /* the board: newest first, up to 200, state "" any */
    jc_err (*whistles_list)(jc_conn *c, const char *state, int64_t now,
                            int (*cb)(const dispatch_whistle_row *r, void *arg), void *arg);

    /* a case's view */
    jc_err (*case_view)(jc_conn *c, int64_t case_id, dispatch_view *out);
} dispatch_store_ops;

/* The two backends' tables (dispatch_sqlite.c, dispatch_pg.c). */
extern const dispatch_store_ops dispatch_store_sqlite, dispatch_store_pg;
extern const jc_module module_dispatch;

/* c's backend's table (NULL where the module does not run: module_runs_on;
 * the module is then left out and only dispatch_case_json is called, which
 * checks). */
static inline const dispatch_store_ops *dispatch_store(const jc_conn *c) {
    return (const dispatch_store_ops *)module_store(&module_dispatch, c);
}

/* The module's tables (dispatch_sqlite.c, dispatch_pg.c), named in its row. */
extern const jc_schema schema_dispatch, schema_dispatch_pg;

#endif
