/*
 * model.c -- names of roles and states, and the release functions of the
 * domain rows declared in model.h.
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_names[ROLE__COUNT] = {
    "resident", "grid_worker", "community_staff", "dispatcher",
    "dept_staff", "supervisor", "admin", "system",
};

const char *role_name(jc_role r) { return (unsigned)r < ROLE__COUNT ? role_names[r] : "?"; }

int role_parse(const char *s) {
    if (!s) return -1;
    for (int i = 0; i < ROLE__COUNT; i++)
        if (!strcmp(s, role_names[i])) return i;
    return -1;
}

static const char *const state_names[ST__COUNT] = {
    "reported", "registered", "dispatched", "accepted", "handling",
    "feedback", "verified", "closed", "rated", "returned",
    "suspended", "deferred", "voided", "merged",
};

const char *state_name(jc_state s) { return (unsigned)s < ST__COUNT ? state_names[s] : ""; }

int state_parse(const char *s) {
    if (!s) return -1;
    for (int i = 0; i < ST__COUNT; i++)
        if (!strcmp(s, state_names[i])) return i;
    return -1;
}

void area_clear(jc_area *a) {
    if (!a) return;
    free(a->geojson);
    a->geojson = NULL;
}

void category_clear(jc_category *k) {
    if (!k) return;
    free(k->fields);
    k->fields = NULL;
}

void case_clear(jc_case *k) {
    if (!k) return;
    free(k->title);
    free(k->body);
    free(k->address);
    free(k->extra);
    k->title = k->body = k->address = k->extra = NULL;
}

jc_err case_copy(const jc_case *k, jc_case *out) {
    *out = *k;
    out->title = out->body = out->address = out->extra = NULL;
    if ((k->title && !(out->title = jc_strdup(k->title))) || (k->body && !(out->body = jc_strdup(k->body))) ||
        (k->address && !(out->address = jc_strdup(k->address))) ||
        (k->extra && !(out->extra = jc_strdup(k->extra)))) {
        case_clear(out);
        return JC_ERR_NOMEM;
    }
    return JC_OK;
}

void audit_clear(jc_audit *e) {
    if (!e) return;
    free(e->reason);
    e->reason = NULL;
}

void case_number(const jc_case *k, char *out, size_t outsz) {
    char local[32];
    jc_fmt_local(k->created_ms, local, sizeof local); /* "YYYY-MM-DD HH:MM" */
    char b[32]; /* "JC" YYYYMMDD "-" id, written by hand (every answer) */
    memcpy(b, "JC", 2), memcpy(b + 2, local, 4), memcpy(b + 6, local + 5, 2), memcpy(b + 8, local + 8, 2);
    b[10] = '-';
    size_t n = 11 + jc_i64_dec(k->id, b + 11);
    const char *p = b;
    if (!outsz) return;
    if (n >= outsz) n = outsz - 1;
    memcpy(out, p, n);
    out[n] = 0;
}

jc_err case_number_parse(const char *s, int64_t *id) {
    if (!s || !*s) return JC_ERR_INVALID;
    const char *p = s;
    if ((p[0] == 'J' || p[0] == 'j') && (p[1] == 'C' || p[1] == 'c')) {
        const char *dash = strchr(p, '-');
        if (!dash) return JC_ERR_INVALID;
        for (const char *q = p + 2; q < dash; q++)
            if (*q < '0' || *q > '9') return JC_ERR_INVALID;
        if (dash - p != 10) return JC_ERR_INVALID;
        p = dash + 1;
    }
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9') return JC_ERR_INVALID;
    int64_t v;
    if (jc_parse_i64(p, &v) || v <= 0) return JC_ERR_INVALID;
    *id = v;
    return JC_OK;
}
