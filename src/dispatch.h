/*
 * dispatch.h -- automatic dispatch (自动派单): locate, route by the
 * responsibility list (权责清单), deadlines in working time on the official
 * calendar, escalation (督办), returns (退单), the whistle (吹哨报到),
 * duplicate merging and load-aware assignment of grid workers.
 *
 * It takes part in the case loop through its case hooks (case.h), named in
 * its module row, which case.c calls on the writer thread inside the
 * action's transaction: prepare, before the case row is written, may change
 * the row (area, dept, deadline, flags, assignee), writes the module's own
 * tables (route, owners, phases ...) and asks for a chained action (the
 * automatic dispatch after registration, the merge of a duplicate), which
 * case.c runs; an error refuses the action.  after, once the row and its
 * audit entry are written, records duplicates; visible lets co-handling
 * departments and followers see a case.
 *
 * The routing context (grid index, active list, calendar) lives on the
 * writer thread only and is reloaded when meta('dispatch.generation')
 * changes, so a list imported by another process takes effect at once.
 */
#ifndef JC_DISPATCH_H
#define JC_DISPATCH_H

#include "case.h"
#include "http.h"

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
 * (the case JSON of GET /api/v1/cases/{id}); nothing on a backend dispatch
 * does not run on (module_runs_on). */
jc_err dispatch_case_json(jc_conn *c, int64_t id, json_t *o) JC_MUST_CHECK;

#endif
