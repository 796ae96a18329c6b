/*
 * followup.c -- 回访, the follow-up call (module "followup"; docs/api.md):
 * when a resident rated a case unsatisfied, the street command centre calls
 * back and records what came of it.
 *
 *   POST /api/v1/cases/:id/followup  {"result", "note"}  dispatchers, supervisors, admin
 *   GET  /api/v1/cases/:id/followups                     who may see the case (not residents)
 *
 * Only a rated case whose rating is unsatisfied can be followed up (409
 * otherwise); result is satisfied, basic, unsatisfied or unreachable (the
 * resident could not be reached: call again).  The call is stored with who
 * made it and when, appended to the case's trace (audit action "followup",
 * the note as its reason) and the case is marked changed, so the evaluation
 * counts it at once: the follow-up rate (回访率) of the street and the
 * community is the share of unsatisfied cases followed up with someone
 * reached (docs/eval.md).
 */
#include "followup_store.h"
#include "case.h"
#include "http.h"
#include "module.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const results[] = {"satisfied", "basic", "unsatisfied", "unreachable"};

static jc_err run_followup(jc_conn *w, jc_deferred *d) {
    followup_row *f = d->data;
    jc_case k;
    jc_err e = case_get_visible(w, &d->user, f->case_id, &k);
    if (e) {
        snprintf(d->message, sizeof d->message, "no case %lld", (long long)f->case_id);
        return e;
    }
    if (k.state != ST_RATED || strcmp(k.rating, "unsatisfied")) {
        snprintf(d->message, sizeof d->message, "only a case rated unsatisfied is followed up (this one is %s%s%s)",
                 state_name(k.state), k.rating[0] ? ", rated " : "", k.rating);
        case_clear(&k);
        return JC_ERR_CONFLICT;
    }
    f->at_ms = jc_now_ms();
    f->by_id = d->user.id;
    snprintf(f->by, sizeof f->by, "%s", d->user.name);
    /* the result is in the row (and the request's hash); the note is the reason */
    if (!(e = followup_db_insert(w, f))) e = case_touch(w, &d->user, &k, "followup", f->note[0] ? f->note : NULL);
    case_clear(&k);
    if (e) return e;
    char at[40];
    jc_fmt_utc(f->at_ms, at, sizeof at);
    d->status = 201;
    d->body = json_pack("{s:I,s:I,s:s,s:s,s:s}", "id", (json_int_t)f->id, "case_id", (json_int_t)f->case_id, "at", at,
                        "by", f->by, "result", f->result);
    json_object_set_new(d->body, "note", f->note[0] ? json_string(f->note) : json_null());
    return JC_OK;
}

static void h_followup(jc_req *r) {
    followup_row *f = calloc(1, sizeof *f);
    if (!f) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    const char *result, *note = NULL;
    if (api_param_id(r, 0, &f->case_id) || api_need_str(r, "result", 15, &result) < 0 ||
        api_get_str(r, "note", 2000, &note) < 0)
        return free(f);
    int ok = 0;
    for (size_t i = 0; i < JC_ARRAY_LEN(results); i++) ok |= !strcmp(result, results[i]);
    if (!ok) {
        free(f);
        return http_reply_error(r, JC_ERR_INVALID, "result must be satisfied, basic, unsatisfied or unreachable");
    }
    snprintf(f->result, sizeof f->result, "%s", result);
    snprintf(f->note, sizeof f->note, "%s", note ? note : "");
    api_defer(r, run_followup, f, free);
}

static int list_cb(const followup_row *f, void *arg) {
    char at[40];
    jc_fmt_utc(f->at_ms, at, sizeof at);
    json_t *o = json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)f->id, "at", at, "by", f->by, "result", f->result);
    json_object_set_new(o, "note", f->note[0] ? json_string(f->note) : json_null());
    json_array_append_new(arg, o);
    return 0;
}

static void h_list(jc_req *r) {
    int64_t id;
    if (api_param_id(r, 0, &id)) return;
    jc_case k;
    jc_err e = case_get_visible(r->db, &r->user, id, &k);
    if (e == JC_OK) case_clear(&k);
    if (e) return http_reply_error(r, e, "no case %lld", (long long)id);
    json_t *arr = json_array();
    if ((e = followup_db_each(r->db, id, list_cb, arr))) {
        json_decref(arr);
        return http_reply_error(r, e, "follow-ups");
    }
    http_reply_json(r, 200, json_pack("{s:I,s:o}", "case_id", (json_int_t)id, "followups", arr));
}

#define R(x) ROLE_BIT(ROLE_##x)

/* "/cases/:id/followup" wins over the core's "/cases/:id/:action" (the
 * literal segment is the more specific). */
static const jc_route followup_routes[] = {
    {"POST", "/api/v1/cases/:id/followup", h_followup, R(DISPATCHER) | R(SUPERVISOR) | R(ADMIN), "result,note"},
    {"GET", "/api/v1/cases/:id/followups", h_list,
     R(GRID_WORKER) | R(COMMUNITY_STAFF) | R(DISPATCHER) | R(DEPT_STAFF) | R(SUPERVISOR) | R(ADMIN), NULL},
};

static const jc_route_table followup_table = {followup_routes, JC_ARRAY_LEN(followup_routes)};

/* The follow-up module's row (src/modules.c). */
const jc_module module_followup = {
    .name = "followup",
    .schema = {[JC_STORE_SQLITE] = &schema_followup},
    .routes = {&followup_table},
};
