/*
 * case.c -- the case state machine (see case.h).  The `actions` table below
 * is the whole truth about which action moves a case from which states to
 * which state, and which roles may do it; tests walk it exhaustively.
 *
 * How to add an action: one enum value in case.h, one row here (name, allowed
 * from-states, to-state, roles, required arguments), its effect in
 * apply_effect(), a row in docs/api.md.
 */
#include "case.h"
#include "audit.h"
#include "auth.h"
#include "module.h"
#include "reason.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the modules' hooks (case.h) -------------------------------------------------- */

#define MAX_HOOKED 16 /* modules with hooks */

/* Per action: each module's scratch, from its prepare to its after. */
typedef struct {
    uint64_t scratch[MAX_HOOKED][CASE_HOOK_SCRATCH / 8];
} hook_frame;

static jc_err hooks_prepare(jc_conn *w, const jc_user *actor, jc_case *k, int a, jc_state from,
                            const jc_action_args *args, case_plan *plan, hook_frame *f, jc_case_err *why) {
    size_t h = 0;
    for (size_t i = 0; i < jc_modules_count && h < MAX_HOOKED; i++) {
        const case_hooks *hk = jc_modules[i]->case_hooks;
        if (!hk || !module_runs_on_conn(jc_modules[i], w)) continue; /* left out on this backend */
        jc_err e = hk->prepare ? hk->prepare(w, actor, k, a, from, args, plan, f->scratch[h], why) : JC_OK;
        h++;
        if (e) return e;
    }
    return JC_OK;
}

static jc_err hooks_after(jc_conn *w, const jc_user *actor, const jc_case *k, int a, case_plan *plan, hook_frame *f,
                          jc_case_err *why) {
    size_t h = 0;
    for (size_t i = 0; i < jc_modules_count && h < MAX_HOOKED; i++) {
        const case_hooks *hk = jc_modules[i]->case_hooks;
        if (!hk || !module_runs_on_conn(jc_modules[i], w)) continue; /* left out on this backend */
        jc_err e = hk->after ? hk->after(w, actor, k, a, plan, f->scratch[h], why) : JC_OK;
        h++;
        if (e) return e;
    }
    return JC_OK;
}

/* Runs the action a hook asked for (plan->chain) on k, the row this action
 * left; *out (zeroed by the caller) the row after it. */
static jc_err run_chain(jc_conn *w, const jc_case *k, const case_plan *plan, jc_case *out, jc_case_err *why) {
    if (!plan->chain) return JC_OK;
    jc_user sys;
    auth_system_actor(&sys, plan->chain_actor);
    return plan->chain_on_row ? case_act_row(w, &sys, k, plan->chain_action, &plan->chain_args, out, why)
                              : case_act(w, &sys, k->id, plan->chain_action, &plan->chain_args, out, why);
}

#define S(x) (1u << (x))
#define OPEN_STATES                                                                    \
    (S(ST_REPORTED) | S(ST_REGISTERED) | S(ST_DISPATCHED) | S(ST_ACCEPTED) |         \
     S(ST_HANDLING) | S(ST_FEEDBACK) | S(ST_VERIFIED) | S(ST_RETURNED) |              \
     S(ST_SUSPENDED) | S(ST_DEFERRED))
#define TO_SAME (-1) /* the state does not change */
#define TO_HELD (-2) /* back to the state held before suspend/defer */

enum { NEED_REASON = 1, NEED_DEPT = 2, NEED_DEADLINE = 4, NEED_RATING = 8, NEED_TARGET = 16 };

#define R_DISPATCH (ROLE_BIT(ROLE_DISPATCHER) | ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_SYSTEM))
#define R_DEPT ROLE_BIT(ROLE_DEPT_STAFF)
#define R_VERIFY \
    (ROLE_BIT(ROLE_GRID_WORKER) | ROLE_BIT(ROLE_COMMUNITY_STAFF) | R_DISPATCH)
#define R_SUPERVISE (ROLE_BIT(ROLE_SUPERVISOR) | R_DISPATCH)

static const struct {
    const char *name;
    uint32_t from;
    int to;
    uint32_t roles;
    unsigned needs;
} actions[ACT__COUNT] = {
    [ACT_REGISTER] = {"register", S(ST_REPORTED), ST_REGISTERED,
                      R_DISPATCH | ROLE_BIT(ROLE_COMMUNITY_STAFF), 0},
    [ACT_DISPATCH] = {"dispatch", S(ST_REGISTERED) | S(ST_RETURNED), ST_DISPATCHED, R_DISPATCH, 0},
    [ACT_ACCEPT] = {"accept", S(ST_DISPATCHED), ST_ACCEPTED, R_DEPT, 0},
    [ACT_HANDLE] = {"handle", S(ST_ACCEPTED) | S(ST_HANDLING), ST_HANDLING, R_DEPT, 0},
    [ACT_FEEDBACK] = {"feedback", S(ST_ACCEPTED) | S(ST_HANDLING), ST_FEEDBACK, R_DEPT, 0},
    [ACT_VERIFY] = {"verify", S(ST_FEEDBACK), ST_VERIFIED, R_VERIFY, 0},
    [ACT_REWORK] = {"rework", S(ST_FEEDBACK), ST_HANDLING, R_VERIFY, NEED_REASON},
    [ACT_CLOSE] = {"close", S(ST_VERIFIED), ST_CLOSED, R_DISPATCH, 0},
    [ACT_RATE] = {"rate", S(ST_CLOSED), ST_RATED,
                  ROLE_BIT(ROLE_RESIDENT) | ROLE_BIT(ROLE_DISPATCHER), NEED_RATING},
    [ACT_RETURN] = {"return", S(ST_DISPATCHED) | S(ST_ACCEPTED), ST_RETURNED, R_DEPT, NEED_REASON},
    [ACT_SUSPEND] = {"suspend",
                     S(ST_REGISTERED) | S(ST_DISPATCHED) | S(ST_ACCEPTED) | S(ST_HANDLING),
                     ST_SUSPENDED, R_SUPERVISE, NEED_REASON},
    [ACT_DEFER] = {"defer", S(ST_ACCEPTED) | S(ST_HANDLING), ST_DEFERRED, R_SUPERVISE,
                   NEED_REASON | NEED_DEADLINE},
    [ACT_RESUME] = {"resume", S(ST_SUSPENDED) | S(ST_DEFERRED), TO_HELD, R_SUPERVISE, 0},
    [ACT_EXTEND] = {"extend", S(ST_DISPATCHED) | S(ST_ACCEPTED) | S(ST_HANDLING), TO_SAME,
                    R_SUPERVISE, NEED_REASON | NEED_DEADLINE},
    [ACT_VOID] = {"void", S(ST_REPORTED) | S(ST_REGISTERED), ST_VOIDED, R_DISPATCH, NEED_REASON},
    [ACT_MERGE] = {"merge", S(ST_REPORTED) | S(ST_REGISTERED) | S(ST_DISPATCHED), ST_MERGED,
                   R_DISPATCH, NEED_TARGET},
    [ACT_REOPEN] = {"reopen", S(ST_CLOSED) | S(ST_RATED), ST_REGISTERED, R_SUPERVISE, NEED_REASON},
    [ACT_ESCALATE] = {"escalate", OPEN_STATES, TO_SAME, R_SUPERVISE, 0},
    [ACT_UPHOLD] = {"uphold", S(ST_RETURNED), ST_REGISTERED, R_DISPATCH, 0},
    [ACT_REJECT] = {"reject", S(ST_RETURNED), ST_DISPATCHED, R_DISPATCH, NEED_REASON},
    [ACT_REMIND] = {"remind", OPEN_STATES, TO_SAME, ROLE_BIT(ROLE_SYSTEM), 0},
    [ACT_REDISPATCH] = {"redispatch", S(ST_DISPATCHED) | S(ST_ACCEPTED) | S(ST_HANDLING), ST_DISPATCHED, R_DISPATCH,
                        NEED_REASON | NEED_DEPT},
    [ACT_RECALL] = {"recall", S(ST_DISPATCHED), ST_REGISTERED, R_DISPATCH, NEED_REASON},
};

const char *case_action_name(jc_action a) {
    return (unsigned)a < ACT__COUNT ? actions[a].name : "?";
}

int case_action_parse(const char *s) {
    if (!s) return -1;
    for (int i = 0; i < ACT__COUNT; i++)
        if (!strcmp(s, actions[i].name)) return i;
    return -1;
}

int case_role_may(jc_role r, jc_action a) {
    return (unsigned)a < ACT__COUNT && (actions[a].roles & ROLE_BIT(r)) != 0;
}

static int has_prefix(const char *s, const char *prefix) {
    return *prefix && !strncmp(s, prefix, strlen(prefix));
}

int case_visible(const jc_user *u, const jc_case *k) {
    switch (u->role) {
    case ROLE_ADMIN:
    case ROLE_SYSTEM:
        return !u->area[0] || has_prefix(k->area, u->area);
    case ROLE_DISPATCHER:
    case ROLE_SUPERVISOR:
    case ROLE_COMMUNITY_STAFF:
    case ROLE_GRID_WORKER:
        return has_prefix(k->area, u->area);
    case ROLE_DEPT_STAFF:
        return u->dept_id != 0 && k->dept_id == u->dept_id;
    case ROLE_RESIDENT:
        return k->reporter_id != 0 && k->reporter_id == u->id;
    default:
        return 0;
    }
}

static void set_why(jc_case_err *why, const char *fmt, ...) JC_PRINTF(2, 3);
static void set_why(jc_case_err *why, const char *fmt, ...) {
    if (!why) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why->message, sizeof why->message, fmt, ap);
    va_end(ap);
}

/* src into dst of n bytes, cut to fit, terminated (snprintf "%s" without
 * the format machinery: four of these per audit entry). */
static void put_str(char *dst, size_t n, const char *src) {
    size_t len = strnlen(src, n - 1);
    memcpy(dst, src, len);
    dst[len] = 0;
}

/* One audit entry for a report registered in its own request (a grid
 * worker's finding): the report, its registration and the chained dispatch
 * are one transaction of one request, and the states between them were
 * never visible to anyone.  Instead of an entry per step (three inserts and
 * three state hashes: a fifth of the writer's time per finding), the steps
 * are gathered here and case_intake_done writes one "report" entry from
 * creation to the state they left, its reason the code
 * {"code":"chain","steps":[{"a":action,"by":actor,"r":reason}, ...]} (a
 * step's reason a code or a person's text; src/reason.h).  Builds before
 * issue 23 wrote "随后 then: register (intake): ...".  Per store, on its writer,
 * like every append. */
typedef struct {
    int64_t case_id; /* 0: not gathering */
    int64_t actor_id;
    jc_role role;
    char actor[64];
    char payload_hash[65];
    char steps[1024];
    size_t len;
} intake_state;
static const char intake_key; /* its address names the store's block */

/* The store's gathering state, kept on its writer (store_writer_state
 * asserts that this runs there; two stores in one process never share it);
 * NULL when out of memory. */
static intake_state *intake_of(jc_conn *w) { return store_writer_state(w, &intake_key, sizeof(intake_state), NULL); }

static void intake_step(intake_state *in, const jc_user *actor, const char *action, const char *reason) {
    char step[400];
    reason_buf b;
    reason_begin(&b, step, sizeof step, "step"); /* {"code":"step","a":..,"by":..,"r":..} */
    reason_str(&b, "a", action);
    reason_str(&b, "by", actor->name);
    if (reason && reason_is_code(reason)) reason_raw(&b, "r", reason);
    else if (reason) reason_str(&b, "r", reason);
    reason_end(&b);
    size_t room = sizeof in->steps - in->len;
    int n = snprintf(in->steps + in->len, room, "%s%s", in->len ? "," : "", step);
    if (n > 0 && (size_t)n < room) in->len += (size_t)n;
    else in->steps[in->len] = 0; /* no room: the step is left out, the rest stays valid JSON */
}

static jc_err append(jc_conn *w, const jc_user *actor, const jc_case *k, const char *action,
                     const char *from, const char *reason, const char *payload_hash) {
    intake_state *in = intake_of(w);
    if (in && in->case_id && k->id == in->case_id) {
        intake_step(in, actor, action, reason && *reason ? reason : NULL);
        return JC_OK;
    }
    jc_audit e;
    e.seq = 0;
    e.case_id = k->id;
    e.at_ms = k->updated_ms;
    e.actor_id = actor->id;
    put_str(e.actor, sizeof e.actor, actor->name);
    put_str(e.role, sizeof e.role, role_name(actor->role));
    put_str(e.action, sizeof e.action, action);
    put_str(e.from_state, sizeof e.from_state, from ? from : "");
    put_str(e.to_state, sizeof e.to_state, state_name(k->state));
    e.reason = (char *)(reason && *reason ? reason : NULL);
    put_str(e.payload_hash, sizeof e.payload_hash,
            payload_hash && *payload_hash ? payload_hash : chain_empty_payload_hash());
    e.prev_hash[0] = e.hash[0] = 0;
    chain_case_hash(k, e.state_hash);
    return store_audit_append(w, &e);
}

jc_err case_intake_done(jc_conn *w, const jc_case *k, jc_err result) {
    intake_state *in = intake_of(w);
    if (!in || !in->case_id) return result;
    int64_t id = in->case_id;
    in->case_id = 0;
    if (result || id != k->id) return result; /* the job fails: its writes are rolled back */
    jc_user u = {.id = in->actor_id, .role = in->role};
    memcpy(u.name, in->actor, sizeof u.name);
    char reason[sizeof in->steps + 40];
    if (in->len) snprintf(reason, sizeof reason, "{\"code\":\"chain\",\"steps\":[%s]}", in->steps);
    return append(w, &u, k, "report", NULL, in->len ? reason : NULL, in->payload_hash);
}

jc_err case_create(jc_conn *w, const jc_user *actor, jc_case *k, const char *payload_hash,
                   jc_case_err *why) {
    intake_state *in = intake_of(w);
    if (!in) return JC_ERR_NOMEM;
    in->case_id = 0; /* whatever an earlier, failed job left */
    int defer = k->unsaved;
    k->unsaved = 0;
    int urgent = 0;
    jc_err e = store_category_urgent(w, k->category, &urgent);
    if (e == JC_ERR_NOTFOUND) {
        set_why(why, "unknown category '%s'", k->category);
        return JC_ERR_INVALID;
    }
    if (e) return e;
    k->priority = urgent ? 1 : 0;
    k->state = ST_REPORTED;
    k->held_from = ST__COUNT;
    k->created_ms = k->updated_ms = jc_now_ms();
    k->version = 1;
    if (actor->role == ROLE_RESIDENT || !k->reporter_id) k->reporter_id = actor->id;
    /* locating (a point wins over a given area) and duplicate search */
    case_plan plan = {0};
    hook_frame frame = {0};
    jc_action_args none = {0};
    if ((e = hooks_prepare(w, actor, k, CASE_CREATE, ST__COUNT, &none, &plan, &frame, why))) return e;
    e = k->area[0] ? store_area_exists(w, k->area) : JC_ERR_NOTFOUND;
    if (e == JC_ERR_NOTFOUND) {
        set_why(why, k->area[0] ? "unknown area '%s'" : "give a point or an area%s", k->area);
        return JC_ERR_INVALID;
    }
    if (e) return e;
    /* a report registered at once is stored once, as registration leaves
     * it (one insert instead of an insert and an update) */
    e = defer && !plan.chain ? store_case_reserve(w, k) : store_case_insert(w, k);
    if (e) return e;
    if (defer && !plan.chain) {
        /* registered in this request: one entry for the chain, written by
         * case_intake_done once the row is final */
        in->case_id = k->id;
        in->actor_id = actor->id;
        in->role = actor->role;
        put_str(in->actor, sizeof in->actor, actor->name);
        put_str(in->payload_hash, sizeof in->payload_hash,
                payload_hash && *payload_hash ? payload_hash : chain_empty_payload_hash());
        in->len = 0;
        in->steps[0] = 0;
    } else if ((e = append(w, actor, k, "report", NULL, NULL, payload_hash))) {
        return e;
    }
    jc_case after = {0};
    if ((e = hooks_after(w, actor, k, CASE_CREATE, &plan, &frame, why)) || (e = run_chain(w, k, &plan, &after, why))) {
        case_clear(&after);
        return e;
    }
    if (after.id) {
        /* merged into a nearby open case on creation: k takes the row's
         * state and numbers; its texts stay the caller's (they may not be
         * on the heap, and a merge does not change them) */
        jc_case row = after;
        row.title = k->title, row.body = k->body, row.address = k->address, row.extra = k->extra;
        case_clear(&after);
        *k = row;
    }
    return JC_OK;
}

/* Applies the side effects of action a (fields other than state). */
static jc_err apply_effect(jc_conn *w, const jc_user *actor, jc_case *k, jc_action a,
                           const jc_action_args *args, int64_t now, jc_case_err *why) {
    (void)w;
    switch (a) {
    case ACT_DISPATCH:
        if (args->dept_id < 0) {
            set_why(why, "dept_id must be positive");
            return JC_ERR_INVALID;
        }
        break; /* dispatch's prepare hook routes and sets dept and deadline */
    case ACT_VERIFY:
    case ACT_CLOSE:
    case ACT_VOID:
    case ACT_RATE:
        k->deadline_ms = 0;
        if (a == ACT_RATE) snprintf(k->rating, sizeof k->rating, "%s", args->rating);
        break;
    case ACT_SUSPEND:
    case ACT_DEFER:
        k->held_from = k->state;
        if (a == ACT_DEFER) k->deadline_ms = args->deadline_ms;
        break;
    case ACT_RESUME:
        k->held_from = ST__COUNT;
        break;
    case ACT_EXTEND:
        if (args->deadline_ms <= now) {
            set_why(why, "the new deadline must be in the future");
            return JC_ERR_INVALID;
        }
        k->deadline_ms = args->deadline_ms;
        break;
    case ACT_REOPEN:
        k->rating[0] = 0;
        k->deadline_ms = 0;
        break;
    case ACT_ESCALATE:
        /* counts the 督办 of people; the timer's overdue levels are on the
         * case's phases (docs/dispatch.md, Escalation) */
        if (actor->role != ROLE_SYSTEM) k->escalation++;
        break;
    default:
        break;
    }
    return JC_OK;
}

static jc_err check_args(jc_action a, const jc_action_args *args, jc_case_err *why) {
    unsigned n = actions[a].needs;
    if ((n & NEED_REASON) && (!args->reason || !*args->reason)) {
        set_why(why, "action '%s' needs a reason", actions[a].name);
        return JC_ERR_INVALID;
    }
    if ((n & NEED_DEPT) && args->dept_id <= 0) {
        set_why(why, "action '%s' needs dept_id", actions[a].name);
        return JC_ERR_INVALID;
    }
    if ((n & NEED_DEADLINE) && args->deadline_ms <= 0) {
        set_why(why, "action '%s' needs a deadline", actions[a].name);
        return JC_ERR_INVALID;
    }
    if ((n & NEED_RATING) &&
        (!args->rating || (strcmp(args->rating, "satisfied") && strcmp(args->rating, "basic") &&
                           strcmp(args->rating, "unsatisfied")))) {
        set_why(why, "rating must be satisfied, basic or unsatisfied");
        return JC_ERR_INVALID;
    }
    if ((n & NEED_TARGET) && args->target_id <= 0) {
        set_why(why, "action '%s' needs target_id", actions[a].name);
        return JC_ERR_INVALID;
    }
    return JC_OK;
}

static jc_err act_on(jc_conn *w, const jc_user *actor, jc_case k, jc_action a,
                     const jc_action_args *args, jc_case *out, jc_case_err *why);

jc_err case_act(jc_conn *w, const jc_user *actor, int64_t id, jc_action a,
                const jc_action_args *args, jc_case *out, jc_case_err *why) {
    if ((unsigned)a >= ACT__COUNT) return JC_ERR_INVALID;
    jc_case k;
    jc_err e = store_case_get(w, id, &k);
    if (e == JC_ERR_NOTFOUND) set_why(why, "no case %lld", (long long)id);
    if (e) return e;
    return act_on(w, actor, k, a, args, out, why);
}

jc_err case_act_row(jc_conn *w, const jc_user *actor, const jc_case *row, jc_action a,
                    const jc_action_args *args, jc_case *out, jc_case_err *why) {
    if ((unsigned)a >= ACT__COUNT) return JC_ERR_INVALID;
    jc_case k;
    jc_err e = case_copy(row, &k);
    if (e) return e;
    return act_on(w, actor, k, a, args, out, why);
}

/* case_act on the row k (owned: cleared on failure, handed to *out on
 * success). */
static jc_err act_on(jc_conn *w, const jc_user *actor, jc_case k, jc_action a,
                     const jc_action_args *args, jc_case *out, jc_case_err *why) {
    jc_err e;
    int64_t id = k.id;
    if (!case_visible_db(w, actor, &k)) {
        case_clear(&k);
        set_why(why, "no case %lld", (long long)id); /* do not reveal it exists */
        return JC_ERR_NOTFOUND;
    }
    if (!case_role_may(actor->role, a)) {
        set_why(why, "role %s may not %s", role_name(actor->role), actions[a].name);
        e = JC_ERR_DENIED;
        goto out;
    }
    if ((actions[a].roles & R_DEPT) && actor->role == ROLE_DEPT_STAFF && k.dept_id != actor->dept_id) {
        /* a co-handling or summoned department sees the case and records
         * its own part (assist, whistle check-in); the lead's transitions
         * stay the lead's (docs/dispatch.md) */
        set_why(why, "only the lead department may %s; a co-handling department records its part with assist",
                actions[a].name);
        e = JC_ERR_DENIED;
        goto out;
    }
    if (a == ACT_RATE && actor->role == ROLE_RESIDENT && k.reporter_id != actor->id) {
        set_why(why, "only the reporter may rate");
        e = JC_ERR_DENIED;
        goto out;
    }
    if (!(actions[a].from & S(k.state))) {
        set_why(why, "cannot %s a case that is %s", actions[a].name, state_name(k.state));
        e = JC_ERR_CONFLICT;
        goto out;
    }
    if ((e = check_args(a, args, why))) goto out;
    int64_t now = jc_now_ms();
    jc_state from = k.state, held = k.held_from;
    if ((e = apply_effect(w, actor, &k, a, args, now, why))) goto out;
    if (a == ACT_MERGE) {
        jc_case t;
        if (args->target_id == k.id) {
            set_why(why, "a case cannot merge into itself");
            e = JC_ERR_INVALID;
            goto out;
        }
        e = store_case_get(w, args->target_id, &t);
        if (e == JC_ERR_NOTFOUND || (e == JC_OK && !case_visible(actor, &t))) {
            if (e == JC_OK) case_clear(&t);
            set_why(why, "no target case %lld", (long long)args->target_id);
            e = JC_ERR_INVALID;
            goto out;
        }
        if (e) goto out;
        if (!(OPEN_STATES & S(t.state))) {
            set_why(why, "target case %lld is %s", (long long)t.id, state_name(t.state));
            case_clear(&t);
            e = JC_ERR_CONFLICT;
            goto out;
        }
        t.priority++;
        t.updated_ms = now;
        char reason[120], no[40];
        case_number(&k, no, sizeof no);
        reason_buf rb;
        reason_begin(&rb, reason, sizeof reason, "absorbed");
        reason_int(&rb, "case_id", k.id);
        reason_str(&rb, "no", no);
        reason_end(&rb);
        if ((e = store_case_update(w, &t)) ||
            (e = append(w, actor, &t, "absorb", state_name(t.state), reason, args->payload_hash))) {
            case_clear(&t);
            goto out;
        }
        case_clear(&t);
        k.merged_into = args->target_id;
    }
    int to = actions[a].to;
    if (to == TO_HELD) {
        /* apply_effect cleared held_from; resume to the value read before. */
        k.state = held < ST__COUNT ? held : ST_REGISTERED;
    } else if (to != TO_SAME) {
        k.state = (jc_state)to;
    }
    k.updated_ms = now;
    jc_case after = {0};
    case_plan plan = {0};
    hook_frame frame = {0};
    if ((e = hooks_prepare(w, actor, &k, (int)a, from, args, &plan, &frame, why))) goto out;
    if (a == ACT_DISPATCH && !k.dept_id) {
        /* no module routed it (none does on this storage backend yet,
         * module.h): the department the dispatcher names takes it */
        jc_dept d;
        if (args->dept_id <= 0 || store_dept_get(w, args->dept_id, &d) != JC_OK) {
            set_why(why, "name an existing department (dept_id): no automatic routing on this storage backend");
            e = JC_ERR_INVALID;
            goto out;
        }
        k.dept_id = d.id;
    }
    const char *reason = args->reason && *args->reason ? args->reason : args->note;
    if (plan.chain_stores) {
        /* the chained dispatch stores the row (on failure the whole job
         * fails): one write instead of two; the version counts this
         * action all the same */
        k.version++;
    } else if ((e = store_case_update(w, &k))) {
        goto out;
    }
    if ((e = append(w, actor, &k, actions[a].name, state_name(from), reason, args->payload_hash)))
        goto out;
    if ((e = hooks_after(w, actor, &k, (int)a, &plan, &frame, why)) || (e = run_chain(w, &k, &plan, &after, why))) {
        case_clear(&after);
        goto out;
    }
    if (after.id) {
        /* chained actions changed the row: answer with what they left */
        case_clear(&k);
        k = after;
    }
    *out = k;
    return JC_OK;
out:
    case_clear(&k);
    return e;
}

jc_err case_register_reported(jc_conn *w, const jc_case *k, jc_case *out, jc_case_err *why) {
    jc_user sys;
    auth_system_actor(&sys, "intake");
    jc_action_args args = {.note = "{\"code\":\"intake\"}"};
    return case_act_row(w, &sys, k, ACT_REGISTER, &args, out, why);
}

int case_visible_db(jc_conn *c, const jc_user *u, const jc_case *k) {
    if (case_visible(u, k)) return 1;
    for (size_t i = 0; i < jc_modules_count; i++) {
        const case_hooks *hk = jc_modules[i]->case_hooks;
        if (hk && hk->visible && module_runs_on_conn(jc_modules[i], c) && hk->visible(c, u, k)) return 1;
    }
    return 0;
}

jc_err case_get_visible(jc_conn *c, const jc_user *u, int64_t id, jc_case *k) {
    jc_err e = store_case_get(c, id, k);
    if (e == JC_OK && !case_visible_db(c, u, k)) {
        case_clear(k);
        e = JC_ERR_NOTFOUND;
    }
    return e;
}

jc_err case_touch(jc_conn *w, const jc_user *actor, jc_case *k, const char *action,
                  const char *reason) {
    k->updated_ms = jc_now_ms();
    jc_err e = store_case_update(w, k);
    if (e || (e = append(w, actor, k, action, state_name(k->state), reason, NULL))) return e;
    case_plan plan = {0};
    hook_frame frame = {0};
    jc_case_err why;
    return hooks_after(w, actor, k, CASE_TOUCH, &plan, &frame, &why);
}

jc_err case_audit_note(jc_conn *w, const jc_user *actor, const jc_case *k, const char *action,
                       const char *reason) {
    return append(w, actor, k, action, state_name(k->state), reason, NULL);
}

void case_mask_phone(const char *phone, char *out, size_t outsz) {
    size_t n = strlen(phone);
    if (n == 0) {
        snprintf(out, outsz, "%s", "");
    } else if (n < 7) {
        snprintf(out, outsz, "%s", "****");
    } else {
        snprintf(out, outsz, "%.3s****%s", phone, phone + n - 4);
    }
}
