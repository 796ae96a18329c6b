/*
 * worklist_api.c -- GET /api/v1/burden/config: the burden settings the
 * designer's form shows (docs/worklist.md "Burden"), each with its current
 * value and its default.  Writing stays PUT /api/v1/burden/config (one key
 * a request, worklist.c).  The defaults mirror worklist_sqlite.c's
 * default_hours and DEFAULT_LIMIT; keep the two in step.
 */
#include "http.h"
#include "worklist.h"

#include <jansson.h>
#include <stdio.h>

#define R(x) ROLE_BIT(ROLE_##x)

static const struct {
    const char *key;
    double dflt;
} burden_keys[] = {
    {"limit.tasks_per_community_month", 8}, {"hours.task", 2},        {"hours.form", 1.5},
    {"hours.report", 3},                    {"hours.inspection", 4},  {"hours.meeting", 2},
    {"hours.signboard", 1},                 {"hours.data_request", 1},
};

static void h_burden_config(jc_req *r) {
    json_t *values = json_object(), *defaults = json_object();
    for (size_t i = 0; i < JC_ARRAY_LEN(burden_keys); i++) {
        double v;
        jc_err e = worklist_config_get(r->db, burden_keys[i].key, burden_keys[i].dflt, &v);
        if (e) {
            json_decref(values);
            json_decref(defaults);
            return http_reply_error(r, e, "the burden settings could not be read");
        }
        json_object_set_new(values, burden_keys[i].key, json_real(v));
        json_object_set_new(defaults, burden_keys[i].key, json_real(burden_keys[i].dflt));
    }
    http_reply_json(r, 200, json_pack("{s:o,s:o}", "values", values, "defaults", defaults));
}

static const jc_route burden_config_routes[] = {
    {"GET", "/api/v1/burden/config", h_burden_config, R(DISPATCHER) | R(SUPERVISOR) | R(ADMIN), NULL},
};

const jc_route_table api_burden_config_routes = {burden_config_routes, JC_ARRAY_LEN(burden_config_routes)};
