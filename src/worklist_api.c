/*
 * worklist_api.c -- GET /api/v1/burden/config: the burden settings the
 * designer's form shows (docs/worklist.md "Burden"), each with its current
 * value and its default.  Writing stays PUT /api/v1/burden/config (one key
 * a request, worklist.c).  The settings and their defaults are
 * worklist_settings (worklist_sqlite.c).
 */
#include "http.h"
#include "worklist.h"

#include <jansson.h>
#include <stdio.h>

#define R(x) ROLE_BIT(ROLE_##x)

static void h_burden_config(jc_req *r) {
    json_t *values = json_object(), *defaults = json_object();
    for (size_t i = 0; i < worklist_nsettings; i++) {
        double v;
        jc_err e = worklist_config_get(r->db, worklist_settings[i].key, worklist_settings[i].dflt, &v);
        if (e) {
            json_decref(values);
            json_decref(defaults);
            return http_reply_error(r, e, "the burden settings could not be read");
        }
        json_object_set_new(values, worklist_settings[i].key, json_real(v));
        json_object_set_new(defaults, worklist_settings[i].key, json_real(worklist_settings[i].dflt));
    }
    http_reply_json(r, 200, json_pack("{s:o,s:o}", "values", values, "defaults", defaults));
}

static const jc_route burden_config_routes[] = {
    {"GET", "/api/v1/burden/config", h_burden_config, R(DISPATCHER) | R(SUPERVISOR) | R(ADMIN), NULL},
};

const jc_route_table worklist__burden_config_routes = {burden_config_routes, JC_ARRAY_LEN(burden_config_routes)};
