/*
 * eval_api.c -- the evaluation settings over HTTP (docs/eval.md "Settings"):
 * GET /api/v1/eval/config and PUT /api/v1/eval/config for the designer's
 * form.  The settings are the rows of eval_config (eval_sqlite.c, eval_pg.c) that
 * eval_params_load() overlays on the defaults; a PUT validates the merged
 * result on the writer (grades strictly falling, some weight above zero),
 * writes only the keys given and appends an audit entry (eval_config).
 *
 * GET /api/v1/eval computes with the new settings at once, and the current
 * month's incremental counters are recomputed with them in the same job
 * (eval_hook_settings_changed).
 */
#include "auth.h"
#include "eval.h"
#include "http.h"
#include "reason.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define R(x) ROLE_BIT(ROLE_##x)

static json_t *config_json(const eval_params *p) {
    json_t *g = json_object(), *w = json_object(), *labels = json_object();
    static const char *const gn[4] = {"A", "B", "C", "D"};
    for (int i = 0; i < 4; i++) json_object_set_new(g, gn[i], json_real(p->grade[i]));
    for (int i = 0; i < IND__COUNT; i++) {
        if (eval_ind[i].type != EV_RATE) continue;
        json_object_set_new(w, eval_ind[i].name, json_real(p->weight[i]));
        json_object_set_new(labels, eval_ind[i].name, json_string(eval_ind[i].zh));
    }
    return json_pack("{s:f,s:i,s:f,s:o,s:o,s:o}", "w_basic", p->w_basic, "min_cases", p->min_cases,
                     "dispatch_limit_h", p->dispatch_limit_h, "grades", g, "weights", w, "labels", labels);
}

static void h_config_get(jc_req *r) {
    eval_params p;
    jc_err e = eval_params_load(r->db, &p);
    if (e) return http_reply_error(r, e, "the evaluation settings could not be read");
    http_reply_json(r, 200, config_json(&p));
}

/* Up to 4 + 3 + IND__COUNT changed keys. */
typedef struct {
    int n;
    char key[24][40];
    double value[24];
} cfg_change;

static int cfg_add(cfg_change *c, const char *key, double v) {
    if (c->n >= 24) return -1;
    snprintf(c->key[c->n], sizeof c->key[0], "%s", key);
    c->value[c->n++] = v;
    return 0;
}

static jc_err run_config_put(jc_conn *w, jc_deferred *d) {
    cfg_change *c = d->data;
    eval_params p;
    jc_err e = eval_params_load(w, &p);
    if (e) return e;
    for (int i = 0; i < c->n; i++) eval_params_set(&p, c->key[i], c->value[i]);
    for (int i = 0; i < 3; i++)
        if (!(p.grade[i] > p.grade[i + 1])) {
            snprintf(d->message, sizeof d->message,
                     "grades must fall strictly: A > B > C > D (now %g, %g, %g, %g)", p.grade[0], p.grade[1],
                     p.grade[2], p.grade[3]);
            char code[40];
            reason_buf b;
            reason_begin(&b, code, sizeof code, "grades_order");
            reason_attach(d->message, sizeof d->message, &b);
            return JC_ERR_INVALID;
        }
    double sum = 0;
    for (int i = 0; i < IND__COUNT; i++) sum += eval_ind[i].type == EV_RATE ? p.weight[i] : 0;
    if (!(sum > 0)) {
        snprintf(d->message, sizeof d->message, "at least one weight must be above 0");
        char code[40];
        reason_buf b;
        reason_begin(&b, code, sizeof code, "weights_zero");
        reason_attach(d->message, sizeof d->message, &b);
        return JC_ERR_INVALID;
    }
    /* a code (docs/audit.md): {"code":"settings","of":"eval","changes":{"key":value,...}};
     * the keys are the validated names of eval_params (letters, digits, '.', '_') */
    char changes[1024] = "{", why[1200];
    for (int i = 0; i < c->n; i++) {
        if ((e = eval_params_put(w, c->key[i], c->value[i]))) return e;
        size_t l = strlen(changes);
        snprintf(changes + l, sizeof changes - l, "%s\"%s\":%g", i ? "," : "", c->key[i], c->value[i]);
    }
    size_t l = strlen(changes);
    if (l + 2 > sizeof changes) snprintf(changes, sizeof changes, "{}"); /* cut: the code alone */
    else changes[l] = '}', changes[l + 1] = 0;
    reason_buf rb;
    reason_begin(&rb, why, sizeof why, "settings");
    reason_str(&rb, "of", "eval");
    reason_raw(&rb, "changes", changes);
    if ((e = auth_audit(w, &d->user, "eval_config", reason_end(&rb)))) return e;
    if ((e = eval_hook_settings_changed(w, jc_now_ms()))) return e;
    d->status = 200;
    d->body = config_json(&p);
    return JC_OK;
}

/* Reads an object of numbers ({"A": 90, ...} or {"response": 0.2, ...}) into
 * c with prefix; -1 after answering 400. */
static int read_map(jc_req *r, const char *field, const char *prefix, int grades, cfg_change *c) {
    json_t *o = json_object_get(r->json, field);
    if (!o || json_is_null(o)) return 0;
    if (!json_is_object(o)) {
        http_reply_error(r, JC_ERR_INVALID, "field '%s' must be an object", field);
        return -1;
    }
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        int known = 0;
        if (grades) known = strlen(k) == 1 && k[0] >= 'A' && k[0] <= 'D';
        else
            for (int i = 0; i < IND__COUNT; i++) known |= eval_ind[i].type == EV_RATE && !strcmp(k, eval_ind[i].name);
        if (!known) {
            http_reply_error(r, JC_ERR_INVALID, "%s: unknown %s '%s'", field, grades ? "grade" : "indicator", k);
            return -1;
        }
        double d = json_is_number(v) ? json_number_value(v) : NAN;
        double hi = grades ? 100 : 1;
        if (!isfinite(d) || d < 0 || d > hi) {
            char msg[300], name[80], code[200], top[16];
            snprintf(msg, sizeof msg, "%s.%s must be a number between 0 and %g", field, k, hi);
            snprintf(name, sizeof name, "%s.%s", field, k);
            snprintf(top, sizeof top, "%g", hi);
            reason_buf b;
            reason_begin(&b, code, sizeof code, "setting_range");
            reason_str(&b, "field", name);
            reason_str(&b, "min", "0");
            reason_str(&b, "max", top);
            reason_attach(msg, sizeof msg, &b);
            http_reply_error(r, JC_ERR_INVALID, "%s", msg);
            return -1;
        }
        char key[40];
        snprintf(key, sizeof key, "%s%s", prefix, k);
        if (cfg_add(c, key, d)) {
            http_reply_error(r, JC_ERR_INVALID, "too many settings");
            return -1;
        }
    }
    return 0;
}

static void h_config_put(jc_req *r) {
    cfg_change *c = calloc(1, sizeof *c);
    if (!c) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    double v;
    int64_t n;
    int k;
    if ((k = api_get_num(r, "w_basic", 0, 1, &v)) < 0) goto refused;
    if (k) cfg_add(c, "w_basic", v);
    if ((k = api_get_int(r, "min_cases", 0, 100000, &n)) < 0) goto refused;
    if (k) cfg_add(c, "min_cases", (double)n);
    if ((k = api_get_num(r, "dispatch_limit_h", 0.05, 720, &v)) < 0) goto refused;
    if (k) cfg_add(c, "dispatch_limit_h", v);
    if (read_map(r, "grades", "grade.", 1, c) < 0 || read_map(r, "weights", "weight.", 0, c) < 0) goto refused;
    if (!c->n) {
        free(c);
        return http_reply_error(r, JC_ERR_INVALID, "nothing to change: give w_basic, min_cases, dispatch_limit_h, grades or weights");
    }
    api_defer(r, run_config_put, c, free);
    return;
refused:
    free(c);
}

static const jc_route eval_config_routes[] = {
    {"GET", "/api/v1/eval/config", h_config_get, R(DISPATCHER) | R(SUPERVISOR) | R(ADMIN), NULL},
    {"PUT", "/api/v1/eval/config", h_config_put, R(DISPATCHER) | R(ADMIN),
     "w_basic,min_cases,dispatch_limit_h,grades,weights"},
};

const jc_route_table eval__config_routes = {eval_config_routes, JC_ARRAY_LEN(eval_config_routes)};
