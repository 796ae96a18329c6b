/*
 * dispatch.h -- automatic dispatch (自动派单): locate, route by the
 * responsibility list (权责清单), deadlines in working time on the official
 * calendar, escalation (督办), returns (退单), the whistle (吹哨报到),
 * duplicate merging and load-aware assignment of grid workers.
 *
 * It plugs into the case loop through two hooks that case.c calls on the
 * writer thread, inside the action's transaction:
 *
 *   dispatch_prepare()  before the case row is written: may change the row
 *                       (area, dept, deadline, flags, assignee) and writes
 *                       the module's own tables (route, owners, phases ...);
 *                       an error refuses the action.
 *   dispatch_after()    after the row and its audit entry are written: may
 *                       chain further actions (auto-dispatch after
 *                       registration, auto-merge of a duplicate).
 *
 * The routing context (grid index, active list, calendar) lives on the
 * writer thread only and is reloaded when meta('dispatch.generation')
 * changes, so a list imported by another process takes effect at once.
 */
#ifndef JC_DISPATCH_H
#define JC_DISPATCH_H

#include "case.h"
#include "http.h"

/* What prepare decided for after (zeroed by the caller). */
typedef struct {
    int route_after;       /* dispatch automatically after this action */
    int64_t merge_into;    /* auto-merge the new case into this one */
    int64_t suggest_of;    /* record a suggested duplicate of this case */
    double dup_score, dup_dist;
    jc_case *after;        /* when set (by the caller, zeroed): dispatch_after
                              moves the row its chained action left here */
} dispatch_plan;

/* a == ACT__COUNT means "creation" (k->id is 0 then). */
jc_err dispatch_prepare(jc_conn *w, const jc_user *actor, jc_case *k, int a, jc_state from,
                        const jc_action_args *args, dispatch_plan *plan,
                        jc_case_err *why) JC_MUST_CHECK;
jc_err dispatch_after(jc_conn *w, const jc_user *actor, const jc_case *k, int a,
                      const dispatch_plan *plan, jc_case_err *why) JC_MUST_CHECK;

/* Extra visibility: a department co-handling a case or summoned by a whistle
 * may see it.  (case_visible() covers owners, areas, reporters.) */
int dispatch_dept_involved(jc_conn *c, int64_t case_id, int64_t dept_id);
/* A resident following a case (their duplicate report was merged into it). */
int dispatch_follows(jc_conn *c, int64_t case_id, int64_t user_id);

/* Imports a responsibility list (CSV text) as a new active version, checked
 * against the catalogue; all or nothing.  errors gets row-numbered lines. */
jc_err dispatch_import_list(jc_conn *w, const jc_user *actor, const char *csv, size_t len,
                            const char *note, int *version, jc_buf *errors) JC_MUST_CHECK;

/* What importing csv would change: for each open case whose lead department
 * would differ, {case_id, no, category, area, from, to} (at most 500 listed;
 * changed_count counts all).  Changes nothing.  Errors as the import. */
jc_err dispatch_preview_list(jc_conn *w, const char *csv, size_t len, json_t **out,
                             jc_buf *errors) JC_MUST_CHECK;

/* Tells every process that grids, the list or the calendar changed. */
jc_err dispatch_invalidate(jc_conn *w) JC_MUST_CHECK;

/* The escalation and whistle ticker (the module's tick, module.h). */
jc_err dispatch_tick(jc_conn *w, int64_t now_ms);

/* Adds routing, phases, owners, whistles and duplicates of case id to o
 * (the case JSON of GET /api/v1/cases/{id}). */
jc_err dispatch_case_json(jc_conn *c, int64_t id, json_t *o) JC_MUST_CHECK;

#endif
