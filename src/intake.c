/*
 * intake.c -- the one intake of reports (see intake.h): the channels' table,
 * the rules every report meets, and case_report(), which every channel
 * calls to open a case.
 *
 * The rules are checked where the report is stored (case_report, on the
 * writer), whatever the channel checked before; the API also calls
 * intake_check on its serving thread, to answer a bad report without a
 * writer job.  Unknown categories and areas are refused by case_create
 * (their lookups are the writer's, kept per batch).
 */
#include "intake.h"
#include "case.h"
#include "reason.h"
#include "store.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define R(x) ROLE_BIT(ROLE_##x)
#define ANYONE (R(RESIDENT) | R(GRID_WORKER) | R(COMMUNITY_STAFF) | R(DISPATCHER) | R(DEPT_STAFF) | \
                R(SUPERVISOR) | R(ADMIN))

enum {
    REG_NO,       /* stays reported until someone registers it */
    REG_GATHERED, /* registered in the same request: one audit entry for the chain */
    REG_PLATFORM, /* registered by the platform after its report entry */
};

/* The channels.  named_by: who may name the channel as a report's source
 * (docs/api.md); reg: whether its reports are registered at once, and
 * register_by the reporters' roles for which they are; scoped: a person
 * names the area, which must lie within a staff member's scope; own: a
 * person reports for themselves (a resident's report without a phone
 * carries their own). */
static const struct {
    const char *name;
    unsigned named_by;
    int reg;
    unsigned register_by;
    int scoped, own;
} channels[INTAKE__COUNT] = {
    [INTAKE_WEB] = {"web", ANYONE, REG_NO, 0, 1, 1},
    [INTAKE_API] = {"api", ANYONE, REG_NO, 0, 1, 1},
    [INTAKE_HOTLINE] = {"hotline", R(DISPATCHER) | R(COMMUNITY_STAFF) | R(ADMIN), REG_NO, 0, 1, 0},
    /* a grid worker's own finding needs no one to confirm it */
    [INTAKE_PATROL] = {"patrol", R(GRID_WORKER) | R(COMMUNITY_STAFF) | R(ADMIN), REG_GATHERED,
                       R(GRID_WORKER) | R(COMMUNITY_STAFF), 1, 1},
    /* a client's report under its key's account */
    [INTAKE_OPEN311] = {"open311", R(ADMIN), REG_NO, 0, 0, 0},
    /* the platform's own channels: reported by their module, registered at once */
    [INTAKE_SENSOR] = {"sensor", R(ADMIN), REG_PLATFORM, ~0u, 0, 0},
    [INTAKE_WARNING] = {"warning", R(ADMIN), REG_PLATFORM, ~0u, 0, 0},
};

const char *intake_channel_name(intake_channel ch) {
    return (unsigned)ch < INTAKE__COUNT ? channels[ch].name : "?";
}

int intake_channel_parse(const char *s) {
    for (int i = 0; s && i < INTAKE__COUNT; i++)
        if (!strcmp(s, channels[i].name)) return i;
    return -1;
}

static jc_err refuse(intake_result *res, jc_err e, const char *field, const char *fmt, ...) JC_PRINTF(4, 5);
static jc_err refuse(intake_result *res, jc_err e, const char *field, const char *fmt, ...) {
    res->err = e;
    snprintf(res->field, sizeof res->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
    return e;
}

static int given(const char *s) { return s && *s; }

int intake_code_ok(const char *s, size_t max, const char *extra) {
    size_t n = strlen(s);
    if (n == 0 || n > max) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || strchr(extra, *p)))
            return 0;
    return 1;
}

/* A phone number as people write it: digits, + - ( ) and spaces, three
 * digits at least (the rule of the Open311 channel, which the API's
 * narrower one -- no parentheses -- gave way to). */
static int phone_ok(const char *s) {
    int digits = 0;
    for (const char *p = s; *p; p++) {
        if (*p >= '0' && *p <= '9') digits++;
        else if (!strchr("+- ()", *p)) return 0;
    }
    return digits >= 3;
}

static int has_prefix(const char *s, const char *p) { return *p && !strncmp(s, p, strlen(p)); }

/* Roles whose reports must lie within their own area. */
static int area_scoped(jc_role role) {
    return role == ROLE_GRID_WORKER || role == ROLE_COMMUNITY_STAFF || role == ROLE_DISPATCHER ||
           role == ROLE_SUPERVISOR;
}

/* The area of rp: its own, else the actor's. */
static const char *report_area(const jc_user *actor, const intake_report *rp) {
    return given(rp->area) ? rp->area : actor->area;
}

static jc_err text_ok(intake_result *res, const char *name, const char *s, size_t max) {
    if (given(s) && jc_utf8_len(s) > max) return refuse(res, JC_ERR_INVALID, name, "field '%s' is longer than %zu characters", name, max);
    return JC_OK;
}

jc_err intake_check(const jc_user *actor, const intake_report *rp, intake_result *res) {
    memset(res, 0, sizeof *res);
    if ((unsigned)rp->channel >= INTAKE__COUNT) return refuse(res, JC_ERR_INVALID, "source", "unknown channel");
    const char *ch = channels[rp->channel].name;
    if (rp->named && !(channels[rp->channel].named_by & ROLE_BIT(actor->role)))
        return refuse(res, JC_ERR_DENIED, "source", "role %s may not report with source '%s'", role_name(actor->role), ch);
    jc_err e;
    if (!given(rp->title)) return refuse(res, JC_ERR_INVALID, "title", "field 'title' is required");
    if ((e = text_ok(res, "title", rp->title, INTAKE_TITLE_MAX)) || (e = text_ok(res, "body", rp->body, INTAKE_BODY_MAX)) ||
        (e = text_ok(res, "address", rp->address, INTAKE_ADDRESS_MAX)))
        return e;
    if (given(rp->phone) && (strlen(rp->phone) > INTAKE_PHONE_MAX || !phone_ok(rp->phone)))
        return refuse(res, JC_ERR_INVALID, "phone", "field 'phone' must be a phone number");
    /* codes are ASCII: a limit in characters must not cut a byte array */
    if (!rp->category || !intake_code_ok(rp->category, INTAKE_CATEGORY_MAX, "_-"))
        return refuse(res, JC_ERR_INVALID, "category", "field 'category' must be a category code");
    if (given(rp->area) && !intake_code_ok(rp->area, INTAKE_AREA_MAX, ""))
        return refuse(res, JC_ERR_INVALID, "area", "field 'area' must be an area code");
    if (rp->has_point && !(isfinite(rp->lon) && isfinite(rp->lat) && fabs(rp->lon) <= 180 && fabs(rp->lat) <= 90))
        return refuse(res, JC_ERR_INVALID, "lon", "bad coordinates");
    const char *area = report_area(actor, rp);
    if (!given(area) && !rp->has_point)
        return refuse(res, JC_ERR_INVALID, "area", "give a point (lon, lat) or an area (grid or community code)");
    if (given(area) && strlen(area) >= sizeof ((jc_case *)0)->area)
        return refuse(res, JC_ERR_INVALID, "area", "field 'area' must be an area code");
    if (channels[rp->channel].scoped && given(area) && area_scoped(actor->role) && !has_prefix(area, actor->area)) {
        refuse(res, JC_ERR_DENIED, "area", "area %s is outside your scope %s", area, actor->area);
        reason_buf b;
        char code[160];
        reason_begin(&b, code, sizeof code, "out_of_scope");
        reason_str(&b, "area", area);
        reason_str(&b, "scope", actor->area);
        reason_attach(res->message, sizeof res->message, &b);
        return JC_ERR_DENIED;
    }
    return JC_OK;
}

/* The type of a category field as the designer writes it (text, number,
 * choice); Open311-style names of older fields map onto these. */
static const char *attr_type(json_t *f) {
    const char *t = json_string_value(json_object_get(f, "type"));
    if (!t) return "text";
    if (!strcmp(t, "number") || !strcmp(t, "integer") || !strcmp(t, "float")) return "number";
    if (!strcmp(t, "choice") || !strcmp(t, "select") || !strcmp(t, "singlevaluelist")) return "choice";
    return "text";
}

/* One attribute (key, v) against its field definition def (NULL: none). */
static jc_err attr_ok(intake_result *res, const char *category, const char *key, json_t *v, json_t *def) {
    const char *t = def ? attr_type(def) : NULL;
    if (!def) return refuse(res, JC_ERR_INVALID, "attributes", "category %s has no field '%s'", category, key);
    if (!strcmp(t, "number") && (!json_is_number(v) || !isfinite(json_number_value(v))))
        return refuse(res, JC_ERR_INVALID, "attributes", "field '%s' must be a number", key);
    if (strcmp(t, "number") && !json_is_string(v))
        return refuse(res, JC_ERR_INVALID, "attributes", "field '%s' must be a string", key);
    if (!strcmp(t, "text") && jc_utf8_len(json_string_value(v)) > 500)
        return refuse(res, JC_ERR_INVALID, "attributes", "field '%s' is longer than 500 characters", key);
    if (!strcmp(t, "choice")) {
        json_t *ch = json_object_get(def, "choices"), *c;
        if (!ch) ch = json_object_get(def, "options");
        size_t j;
        int ok = 0;
        json_array_foreach(ch, j, c) {
            const char *cv = json_is_string(c) ? json_string_value(c) : json_string_value(json_object_get(c, "key"));
            ok |= cv && !strcmp(cv, json_string_value(v));
        }
        if (!ok) return refuse(res, JC_ERR_INVALID, "attributes", "field '%s' has no choice '%s'", key, json_string_value(v));
    }
    return JC_OK;
}

jc_err intake_attributes(jc_conn *c, const char *category, json_t *attrs, char **extra, intake_result *res) {
    *extra = NULL;
    memset(res, 0, sizeof *res);
    if (attrs && !json_is_object(attrs))
        return refuse(res, JC_ERR_INVALID, "attributes", "field 'attributes' must be an object of field code to value");
    jc_category cat;
    jc_err e = store_category_get(c, category, &cat);
    if (e == JC_ERR_NOTFOUND) {
        if (attrs && json_object_size(attrs)) return refuse(res, JC_ERR_INVALID, "category", "unknown category '%s'", category);
        return JC_OK;
    }
    if (e) return refuse(res, e, "category", "cannot read category %s", category);
    json_t *fields = cat.fields ? json_loads(cat.fields, 0, NULL) : NULL;
    category_clear(&cat);
    if (!json_is_array(fields)) json_decref(fields), fields = json_array();
    const char *key;
    json_t *v, *f;
    size_t i;
    json_object_foreach(attrs, key, v) {
        json_t *def = NULL;
        json_array_foreach(fields, i, f) if (!strcmp(json_string_value(json_object_get(f, "code")) ?: "", key)) def = f;
        if ((e = attr_ok(res, category, key, v, def))) break;
    }
    if (!e) {
        json_array_foreach(fields, i, f) {
            const char *code = json_string_value(json_object_get(f, "code"));
            if (code && json_is_true(json_object_get(f, "required")) && !json_object_get(attrs, code)) {
                e = refuse(res, JC_ERR_INVALID, "attributes", "field '%s' is required for category %s", code, category);
                break;
            }
        }
    }
    json_decref(fields);
    if (e) return e;
    if (attrs && json_object_size(attrs)) {
        json_t *x = json_pack("{s:O}", "attributes", attrs);
        *extra = x ? json_dumps(x, JSON_COMPACT) : NULL;
        json_decref(x);
        if (!*extra) return refuse(res, JC_ERR_NOMEM, "", "out of memory");
    }
    return JC_OK;
}

/* The case row rp describes, its texts its own: 0, or JC_ERR_NOMEM. */
static jc_err report_row(const jc_user *actor, const intake_report *rp, jc_case *k) {
    memset(k, 0, sizeof *k);
    k->title = jc_strdup(rp->title);
    k->body = jc_strdup(rp->body ? rp->body : "");
    k->address = given(rp->address) ? jc_strdup(rp->address) : NULL;
    k->extra = given(rp->extra) ? jc_strdup(rp->extra) : NULL;
    if (!k->title || !k->body || (given(rp->address) && !k->address) || (given(rp->extra) && !k->extra))
        return JC_ERR_NOMEM;
    /* sizes checked by intake_check */
    snprintf(k->category, sizeof k->category, "%s", rp->category);
    snprintf(k->area, sizeof k->area, "%s", report_area(actor, rp));
    snprintf(k->source, sizeof k->source, "%s", channels[rp->channel].name);
    /* a resident's own report without a phone carries theirs */
    snprintf(k->phone, sizeof k->phone, "%s",
             given(rp->phone)                                             ? rp->phone
             : channels[rp->channel].own && actor->role == ROLE_RESIDENT ? actor->phone
                                                                         : "");
    if (rp->has_point) k->has_point = 1, k->lon = rp->lon, k->lat = rp->lat;
    k->flags = rp->flags;
    k->reporter_id = actor->id;
    return JC_OK;
}

/* Registers k (as stored, reported) at once: *k becomes the row its
 * registration and the actions it chained left. */
static jc_err register_now(jc_conn *w, jc_case *k, jc_case_err *why) {
    jc_case now_k;
    jc_err e = case_register_reported(w, k, &now_k, why);
    if (e) return e;
    case_clear(k);
    *k = now_k;
    return JC_OK;
}

jc_err case_report(jc_conn *w, const jc_user *actor, const intake_report *rp, jc_case *k, intake_result *res) {
    jc_err e = intake_check(actor, rp, res);
    if (e) return e;
    if ((e = report_row(actor, rp, k))) {
        case_clear(k);
        return refuse(res, e, "", "out of memory");
    }
    int reg = channels[rp->channel].reg;
    if (!(channels[rp->channel].register_by & ROLE_BIT(actor->role)) || (rp->named && reg == REG_PLATFORM)) reg = REG_NO;
    jc_case_err why = {{0}};
    /* a report registered in its request is stored once, by the chained
     * registration (k->unsaved), with one audit entry */
    k->unsaved = reg == REG_GATHERED;
    e = case_create(w, actor, k, rp->payload_hash, &why);
    /* k is the row as stored (merged, when it merged into an open case on creation) */
    int registered = 0;
    if (!e && reg != REG_NO && k->state == ST_REPORTED) {
        e = register_now(w, k, &why);
        registered = !e;
    }
    if (!e && k->unsaved) e = store_case_insert(w, k); /* nothing chained stored it */
    e = case_intake_done(w, k, e);
    if (e) {
        case_clear(k);
        return refuse(res, e, "", "%s", why.message); /* "" when the store failed: the job fails */
    }
    res->err = JC_OK;
    res->case_id = k->id;
    case_number(k, res->case_no, sizeof res->case_no);
    res->state = k->state;
    res->merged_into = k->state == ST_MERGED ? k->merged_into : 0;
    res->registered = registered;
    return JC_OK;
}
