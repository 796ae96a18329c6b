/*
 * case.h -- the case loop (闭环): the state machine of a case, who may move
 * it, and the audit entry every move appends.
 *
 *   reported -register-> registered -dispatch-> dispatched -accept-> accepted
 *   -handle-> handling -feedback-> feedback -verify-> verified -close-> closed
 *   -rate-> rated;  side paths: return, rework, suspend/defer/resume, extend,
 *   void, merge, reopen, escalate (the table in case.c is the whole truth).
 *
 * Every function here runs on the writer thread (jc_conn *w) inside the
 * writer's transaction, so a check and the change it allows are atomic.  On
 * any error nothing is changed (the job's savepoint is rolled back).
 */
#ifndef JC_CASE_H
#define JC_CASE_H

#include "jc.h"
#include "model.h"

typedef struct jc_conn jc_conn;
typedef struct json_t json_t;

typedef enum {
    ACT_REGISTER, ACT_DISPATCH, ACT_ACCEPT, ACT_HANDLE, ACT_FEEDBACK, ACT_VERIFY,
    ACT_REWORK, ACT_CLOSE, ACT_RATE, ACT_RETURN, ACT_SUSPEND, ACT_DEFER, ACT_RESUME,
    ACT_EXTEND, ACT_VOID, ACT_MERGE, ACT_REOPEN, ACT_ESCALATE,
    ACT_UPHOLD,  /* the dispatcher upholds a department's return: re-route */
    ACT_REJECT,  /* the dispatcher rejects it: back to the same department */
    ACT_REMIND,  /* the platform: 80 % of a phase's time has passed */
    ACT_REDISPATCH, /* 改派: to another department, with a reason */
    ACT_RECALL,     /* 撤回: a dispatch not accepted yet, back to the dispatcher */
    ACT__COUNT
} jc_action;

/* "register" ... ; case_action_parse returns -1 when unknown. */
const char *case_action_name(jc_action a);
int case_action_parse(const char *s);

/* Arguments of an action; which are required depends on the action. */
typedef struct {
    const char *reason;    /* return, rework, suspend, defer, extend, void, merge, reopen */
    const char *note;      /* free text recorded with handle/feedback/verify */
    int64_t dept_id;       /* dispatch (0: route by the responsibility list) */
    const char *reason_code; /* return: a code from the return reasons */
    int64_t deadline_ms;   /* extend (new deadline), defer (until) */
    const char *rating;    /* rate: satisfied | basic | unsatisfied */
    int64_t target_id;     /* merge: the case this one merges into */
    const char *payload_hash; /* hash of the request body, for the audit entry */
} jc_action_args;

/* An explanation for refusals, filled on error. */
typedef struct { char message[256]; } jc_case_err;

/* True when user u may see case k (role and area/department scope). */
int case_visible(const jc_user *u, const jc_case *k);
/* True when role r may perform action a at all (ignoring the case). */
int case_role_may(jc_role r, jc_action a);

/* The intake's own step (src/intake.c): channels report through
 * case_report (intake.h), which validates the report first.
 * Validates and inserts a new case reported by actor; k holds the report's
 * fields (title, body, category, area, point ...).  Sets k->id, state,
 * timestamps; appends the creation audit entry.  Afterwards k is the row as
 * stored (state merged when it was auto-merged into a nearby open case).
 * With k->unsaved set on entry (a report registered in the same job), the
 * row is not inserted but its id reserved, k->unsaved staying set, unless it
 * was merged: the registration's chained store inserts it.  The audit
 * entries of such a chain are gathered into one (see case_intake_done),
 * which the caller must call at the end of the job.
 * JC_ERR_INVALID when the category or area is unknown. */
jc_err case_create(jc_conn *w, const jc_user *actor, jc_case *k, const char *payload_hash,
                   jc_case_err *why) JC_MUST_CHECK;

/* Ends the job of a report registered in its own request (k->unsaved on
 * case_create): with result JC_OK, appends the one audit entry of the
 * chain ("report", from creation to k's state, the steps in its reason),
 * k being the row as stored; otherwise only forgets the gathered steps.
 * Returns result, or the append's error.  A no-op for other jobs. */
jc_err case_intake_done(jc_conn *w, const jc_case *k, jc_err result) JC_MUST_CHECK;

/* Performs action a on case id.  On success *out holds the case after the
 * action (caller case_clear()s it).  JC_ERR_NOTFOUND (unknown or invisible
 * case), JC_ERR_DENIED (role/scope), JC_ERR_CONFLICT (illegal from this
 * state), JC_ERR_INVALID (missing/bad arguments). */
jc_err case_act(jc_conn *w, const jc_user *actor, int64_t id, jc_action a,
                const jc_action_args *args, jc_case *out, jc_case_err *why) JC_MUST_CHECK;

/* case_act on row, the case as it is now -- in the database, or about to
 * be stored by the action that chains this one (a registration's
 * automatic dispatch): the row is not read again.  row is not changed. */
jc_err case_act_row(jc_conn *w, const jc_user *actor, const jc_case *row, jc_action a,
                    const jc_action_args *args, jc_case *out, jc_case_err *why) JC_MUST_CHECK;

/* Registers a case the caller holds as just created (k: the row
 * case_create stored, reported, not merged) as the platform (a grid
 * worker's patrol finding, a sensor alarm, a warning need no dispatcher to
 * register them: case_report does it for their channels); registration
 * routes it through dispatch when dispatch is configured.  *out is the row
 * after registration and the actions it chained (routing, dispatch). */
jc_err case_register_reported(jc_conn *w, const jc_case *k, jc_case *out, jc_case_err *why) JC_MUST_CHECK;

/* True when u may see case k, also through a co-handling or whistle role
 * (needs the database). */
int case_visible_db(jc_conn *c, const jc_user *u, const jc_case *k);

/* Reads case id into *k when u may see it (case_visible_db); JC_ERR_NOTFOUND
 * when there is no such case or it is out of u's sight (the two answer
 * alike), another error when the read failed. *k is set only on JC_OK. */
jc_err case_get_visible(jc_conn *c, const jc_user *u, int64_t id, jc_case *k) JC_MUST_CHECK;

/* Writes k (already modified by the caller: flags, assignee ...) and appends
 * an audit entry `action` with reason, the state unchanged. */
jc_err case_touch(jc_conn *w, const jc_user *actor, jc_case *k, const char *action,
                  const char *reason) JC_MUST_CHECK;

/* ---- hooks: how modules take part in the case loop ------------------------
 * A module names its hooks in its row (module.h's .case_hooks); case.c calls
 * them on the writer, inside the action's job, in the order of the module
 * table.  a is the action, CASE_CREATE for a new report (k->id 0 in
 * prepare), CASE_TOUCH for case_touch.  scratch is the module's own,
 * CASE_HOOK_SCRATCH bytes zeroed per action, from its prepare to its after.
 *
 * A hook never calls back into the state machine: to take a further action
 * (an automatic dispatch after registration, a merge into a duplicate's
 * original), it asks for it in the plan, and case.c runs it once every
 * hook is done, as the platform. */
#define CASE_CREATE ((int)ACT__COUNT)
#define CASE_TOUCH ((int)ACT__COUNT + 1)
#define CASE_HOOK_SCRATCH 64

typedef struct {
    /* 1: a chained action stores the row this action leaves (it is not
     * written by this action: one write instead of two) */
    int chain_stores;
    /* one chained action, run by the platform actor chain_actor after the
     * after hooks: on the row this action left (chain_on_row) or on the
     * case as stored; its texts live in chain_text */
    int chain;
    jc_action chain_action;
    int chain_on_row;
    char chain_actor[32];
    jc_action_args chain_args;
    char chain_text[256];
} case_plan;

typedef struct case_hooks {
    /* Before the row is written: may change it (area, dept, deadline,
     * flags, assignee) and write the module's own tables; an error refuses
     * the action (why says why). */
    jc_err (*prepare)(jc_conn *w, const jc_user *actor, jc_case *k, int a, jc_state from,
                      const jc_action_args *args, case_plan *plan, void *scratch, jc_case_err *why);
    /* After the row and its audit entry are written (for CASE_CREATE,
     * CASE_TOUCH and every action). */
    jc_err (*after)(jc_conn *w, const jc_user *actor, const jc_case *k, int a, case_plan *plan, void *scratch,
                    jc_case_err *why);
    /* 1 when u may see k through the module (a co-handling department, a
     * follower): case_visible_db asks each module after case_visible. */
    int (*visible)(jc_conn *c, const jc_user *u, const jc_case *k);
} case_hooks;

/* Appends an audit entry about case k that does not change it (e.g. an
 * unmasked read of personal data).  k must be the current row. */
jc_err case_audit_note(jc_conn *w, const jc_user *actor, const jc_case *k, const char *action,
                       const char *reason) JC_MUST_CHECK;

/* The JSON view of a case for viewer (personal data masked unless
 * unmasked != 0), appended to b as compact JSON text (src/case_json.c).
 * JC_ERR_NOMEM / JC_ERR_TOOBIG when b cannot hold it. */
jc_err case_json_text(jc_buf *b, const jc_case *k, const jc_user *viewer, int unmasked) JC_MUST_CHECK;
/* The same view as a jansson object.  Caller owns the result (json_decref). */
json_t *case_to_json(const jc_case *k, const jc_user *viewer, int unmasked);
/* "13812345678" -> "138****5678" into out. */
void case_mask_phone(const char *phone, char *out, size_t outsz);

#endif
