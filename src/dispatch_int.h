/*
 * dispatch_int.h -- shared between dispatch.c and dispatch_api.c only.
 * The routing context lives on the writer thread: call these from writer
 * jobs only.
 */
#ifndef JC_DISPATCH_INT_H
#define JC_DISPATCH_INT_H

#include "calendar.h"
#include "dispatch.h"
#include "duty.h"
#include "geo.h"

jc_err dispatch__ensure(jc_conn *w) JC_MUST_CHECK;
jc_err dispatch__bump(jc_conn *w) JC_MUST_CHECK;
const duty_list *dispatch__list(int *version);
calendar *dispatch__calendar(void);
geo_index *dispatch__grids(void);
/* Sets the deadline of open phase id, recomputed from the calendar, and
 * when it is next due: its reminder at 80 % unless it was reminded, else
 * the deadline, or its next escalation level past it; nothing while paused. */
jc_err dispatch__phase_deadline(jc_conn *w, int64_t id, int64_t deadline, int provisional) JC_MUST_CHECK;
/* Which scopes were checked for category in grid and which entry applied,
 * as data ([{level, scope, entry, lead, applies}]) the UI words; NULL for
 * a malformed code.  Caller owns the array. */
json_t *dispatch__steps_json(const duty_list *l, const char *category, const char *grid);
/* "540-720,810-1050" (meta 'dispatch.hours') into iv; 0 when malformed. */
size_t dispatch__parse_hours(const char *v, calendar_interval *iv, size_t max);


/* The module's case hooks (dispatch.c), named in its row (dispatch_api.c). */
extern const case_hooks dispatch__case_hooks;

#endif
