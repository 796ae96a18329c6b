/*
 * dispatch_api.c -- HTTP endpoints of automatic dispatch: the
 * responsibility list, routing previews, the working calendar, whistles
 * (吹哨报到) and grid workers' duty.  Documented in docs/dispatch.md.
 */
#include "dispatch_int.h"
#include "dispatch_store.h"
#include "auth.h"
#include "reason.h"
#include "geo.h"
#include "module.h"
#include "dispatch_store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define R(x) ROLE_BIT(ROLE_##x)

/* ---- the responsibility list -------------------------------------------- */

static json_t *entry_json(const duty_entry *e) {
    static const char *units[] = {"wh", "wd", "h", "wmin", "min"};
    json_t *co = json_array();
    for (size_t i = 0; i < e->n_co; i++) json_array_append_new(co, json_string(e->co_depts[i]));
    json_t *lim = json_object();
    static const char *ph[] = {"accept", "handle", "verify"};
    for (int p = 0; p < DUTY_NPHASES; p++) {
        char b[32];
        snprintf(b, sizeof b, "%lld%s", (long long)e->limit[p].amount,
                 (unsigned)e->limit[p].unit < 5 ? units[e->limit[p].unit] : "?");
        json_object_set_new(lim, ph[p], json_string(b));
    }
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:o,s:b}", "id", e->id, "category", e->category, "scope",
                     e->scope, "lead_dept", e->lead_dept, "co_depts", co, "legal_basis",
                     e->legal_basis ? e->legal_basis : "", "limits", lim, "may_delegate", e->may_delegate);
}

static jc_err run_duties(jc_conn *w, jc_deferred *d) {
    jc_err e = dispatch__ensure(w);
    if (e) return e;
    int version;
    const duty_list *l = dispatch__list(&version);
    json_t *arr = json_array();
    for (size_t i = 0; l && i < duty_list_count(l); i++) json_array_append_new(arr, entry_json(duty_list_get(l, i)));
    d->body = json_pack("{s:i,s:o}", "version", version, "entries", arr);
    return JC_OK;
}

static void h_duties(jc_req *r) { api_defer(r, run_duties, NULL, NULL); }

static int version_json(const dispatch_list_version *v, void *arg) {
    char ts[40];
    jc_fmt_utc(v->created_at, ts, sizeof ts);
    json_array_append_new(arg, json_pack("{s:i,s:s,s:s,s:s?,s:i,s:b}", "version", v->version, "created_at", ts,
                                         "created_by", v->created_by, "note", v->note, "entries", v->entries,
                                         "active", v->active));
    return 0;
}

static void h_duty_versions(jc_req *r) {
    json_t *arr = json_array();
    jc_err e = dispatch_store(r->db)->list_versions(r->db, version_json, arr);
    if (e) return json_decref(arr), http_reply_error(r, e, "versions");
    http_reply_json(r, 200, json_pack("{s:o}", "versions", arr));
}

static void h_duty_csv(jc_req *r) {
    char v[16];
    int64_t version = 0;
    if (http_query(r, "version", v, sizeof v) && (jc_parse_i64(v, &version) || version < 1 || version > INT32_MAX))
        return http_reply_error(r, JC_ERR_NOTFOUND, "no such list version");
    char *csv = NULL;
    size_t len = 0;
    jc_err e = dispatch_store(r->db)->list_csv(r->db, (int)version, NULL, &csv, &len);
    if (e == JC_ERR_NOTFOUND) return http_reply_error(r, e, "no such list version");
    if (e) return http_reply_error(r, e, "csv");
    http_reply_raw(r, 200, "text/csv; charset=utf-8", csv, len);
    free(csv);
}

typedef struct {
    char *csv;
    size_t len;
    char note[200];
} import_data;

static void import_free(void *p) {
    import_data *d = p;
    if (d) free(d->csv);
    free(d);
}

static jc_err run_import(jc_conn *w, jc_deferred *d) {
    import_data *im = d->data;
    jc_buf errors;
    jc_buf_init(&errors, 64 * 1024);
    int version = 0;
    jc_err e = dispatch_import_list(w, &d->user, im->csv, im->len, im->note[0] ? im->note : NULL, &version, &errors);
    if (e) {
        snprintf(d->message, sizeof d->message, "%s", errors.data ? errors.data : "the list was refused");
        jc_buf_free(&errors);
        return e;
    }
    jc_buf_free(&errors);
    d->status = 201;
    d->body = json_pack("{s:i}", "version", version);
    return JC_OK;
}

/* Copies a CSV request body for a writer job; NULL after answering 4xx/503. */
static import_data *csv_body(jc_req *r) {
    if (r->body_len == 0) return http_reply_error(r, JC_ERR_INVALID, "send the list as CSV in the body"), NULL;
    if (!jc_utf8_valid(r->body, r->body_len))
        return http_reply_error(r, JC_ERR_INVALID, "the CSV is not valid UTF-8"), NULL;
    import_data *im = calloc(1, sizeof *im);
    if (!im || !(im->csv = malloc(r->body_len + 1))) {
        free(im);
        return http_reply_error(r, JC_ERR_NOMEM, "out of memory"), NULL;
    }
    memcpy(im->csv, r->body, r->body_len);
    im->csv[r->body_len] = 0;
    im->len = r->body_len;
    return im;
}

static void h_duty_import(jc_req *r) {
    import_data *im = csv_body(r);
    if (!im) return;
    http_query(r, "note", im->note, sizeof im->note);
    api_defer(r, run_import, im, import_free);
}

static jc_err run_preview(jc_conn *w, jc_deferred *d) {
    import_data *im = d->data;
    jc_buf errors;
    jc_buf_init(&errors, 64 * 1024);
    json_t *o = NULL;
    jc_err e = dispatch_preview_list(w, im->csv, im->len, &o, &errors);
    if (e) snprintf(d->message, sizeof d->message, "%s", errors.data ? errors.data : "the list was refused");
    jc_buf_free(&errors);
    d->body = o;
    return e;
}

static void h_duty_preview(jc_req *r) {
    import_data *im = csv_body(r);
    if (im) api_defer(r, run_preview, im, import_free);
}

/* Categories the active list does not cover, and those with ownerless open
 * cases: on the writer, where the parsed list lives. */
static int missing_one(const char *code, const char *name, int64_t ownerless, void *arg) {
    json_t *arr = arg;
    const duty_list *l = dispatch__list(NULL);
    int covered = 0;
    for (size_t i = 0; l && i < duty_list_count(l) && !covered; i++)
        covered = !strcmp(duty_list_get(l, i)->category, code);
    if (covered && !ownerless) return 0;
    json_array_append_new(arr, json_pack("{s:s,s:s,s:b,s:I}", "category", code, "name", name, "in_list", covered,
                                         "ownerless_open_cases", (json_int_t)ownerless));
    return 0;
}

static jc_err run_missing(jc_conn *w, jc_deferred *d) {
    jc_err e = dispatch__ensure(w);
    if (e) return e;
    json_t *arr = json_array();
    if ((e = dispatch_store(w)->category_ownerless(w, missing_one, arr))) return json_decref(arr), e;
    d->body = json_pack("{s:o}", "missing", arr);
    return JC_OK;
}

static void h_duty_missing(jc_req *r) { api_defer(r, run_missing, NULL, NULL); }

/* ---- routing preview ------------------------------------------------------ */

typedef struct {
    char category[16], area[24];
    int has_point;
    double lon, lat;
} explain_data;

static jc_err run_explain(jc_conn *w, jc_deferred *d) {
    explain_data *x = d->data;
    jc_err e = dispatch__ensure(w);
    if (e) return e;
    json_t *o = json_object();
    char area[24];
    snprintf(area, sizeof area, "%s", x->area);
    if (x->has_point) {
        const char *code = NULL;
        geo_index *g = dispatch__grids();
        if (g && geo_index_locate(g, x->lon, x->lat, &code) == JC_OK) {
            snprintf(area, sizeof area, "%s", code);
            json_object_set_new(o, "located", json_string("point in grid polygon"));
        } else {
            json_object_set_new(o, "located", json_string("unlocated: outside every grid"));
        }
        json_object_set_new(o, "lon", json_real(x->lon));
        json_object_set_new(o, "lat", json_real(x->lat));
    }
    json_object_set_new(o, "grid", json_string(area));
    int version;
    const duty_list *l = dispatch__list(&version);
    const duty_entry *en = NULL;
    jc_buf ex;
    jc_buf_init(&ex, 8192);
    e = area[0] ? duty_explain(l, x->category, area, &en, &ex) : JC_ERR_NOTFOUND;
    json_object_set_new(o, "list_version", json_integer(version));
    json_object_set_new(o, "explanation", json_string(ex.data ? ex.data : "no area"));
    json_t *steps = area[0] ? dispatch__steps_json(l, x->category, area) : NULL;
    if (steps) json_object_set_new(o, "steps", steps);
    json_object_set_new(o, "entry", e == JC_OK ? entry_json(en) : json_null());
    jc_buf_free(&ex);
    d->body = o;
    return JC_OK;
}

static void h_explain(jc_req *r) {
    const char *cat, *area = NULL, *crs = NULL;
    double lon = 0, lat = 0;
    int hl, ht;
    if (api_need_str(r, "category", 15, &cat) < 0 || api_get_str(r, "area", 23, &area) < 0 ||
        api_get_str(r, "crs", 10, &crs) < 0 || (hl = api_get_num(r, "lon", -180, 180, &lon)) < 0 ||
        (ht = api_get_num(r, "lat", -90, 90, &lat)) < 0)
        return;
    if (hl != ht) return http_reply_error(r, JC_ERR_INVALID, "give both lon and lat");
    if (!hl && (!area || !*area)) return http_reply_error(r, JC_ERR_INVALID, "give lon/lat or area");
    explain_data *x = calloc(1, sizeof *x);
    if (!x) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    snprintf(x->category, sizeof x->category, "%s", cat);
    snprintf(x->area, sizeof x->area, "%s", area ? area : "");
    if (hl) {
        geo_crs c = GEO_WGS84;
        if (crs && geo_crs_parse(crs, &c)) {
            free(x);
            return http_reply_error(r, JC_ERR_INVALID, "crs must be wgs84, gcj02 or bd09");
        }
        x->has_point = 1;
        if (geo_to_wgs84(c, lon, lat, &x->lon, &x->lat)) {
            free(x);
            return http_reply_error(r, JC_ERR_INVALID, "bad coordinates");
        }
    }
    api_defer(r, run_explain, x, free);
}

/* ---- the calendar ------------------------------------------------------------ */

typedef struct {
    int year, ymd, del;
    char kind[16], name[64];
} cal_data;

static jc_err run_calendar(jc_conn *w, jc_deferred *d) {
    cal_data *c = d->data;
    jc_err e = dispatch__ensure(w);
    if (e) return e;
    calendar *cal = dispatch__calendar();
    json_t *days = json_array();
    static const char *kinds[] = {"workday", "weekend", "holiday", "adjusted_workday"};
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int m = 1; m <= 12; m++)
        for (int dd = 1; dd <= mdays[m - 1]; dd++) {
            calendar_day info;
            int ymd = c->year * 10000 + m * 100 + dd;
            if (calendar_day_info(cal, ymd, &info) != JC_OK) continue;
            if (info.kind != CALENDAR_DAY_HOLIDAY && info.kind != CALENDAR_DAY_ADJUSTED_WORKDAY && !info.overridden)
                continue;
            char date[40];
            snprintf(date, sizeof date, "%04d-%02d-%02d", c->year, m, dd);
            json_array_append_new(days, json_pack("{s:s,s:s,s:s,s:b}", "date", date, "kind", kinds[info.kind],
                                                  "name", info.name ? info.name : "", "overridden",
                                                  info.overridden));
        }
    d->body = json_pack("{s:i,s:i,s:s,s:b,s:o}", "year", c->year, "last_known_year", calendar_last_known_year(cal),
                        "source", calendar_data_source(), "provisional", c->year > calendar_last_known_year(cal),
                        "days", days);
    return JC_OK;
}

static void h_calendar(jc_req *r) {
    char y[8];
    cal_data *c = calloc(1, sizeof *c);
    if (!c) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    int64_t year = 2026;
    if (http_query(r, "year", y, sizeof y) && (jc_parse_i64(y, &year) || year < 2000 || year > 2099)) {
        free(c);
        return http_reply_error(r, JC_ERR_INVALID, "year must be 2000..2099");
    }
    c->year = (int)year;
    api_defer(r, run_calendar, c, free);
}

/* Recomputes open deadlines that were provisional or fall on a changed day. */
typedef struct {
    jc_conn *w;
    jc_err e;
} recompute_ctx;

static int recompute_one(int64_t id, int64_t case_id, const char *phase, int64_t start, void *arg) {
    recompute_ctx *x = arg;
    jc_conn *w = x->w;
    jc_case k;
    if (store_case_get(w, case_id, &k)) return 0;
    calendar *cal = dispatch__calendar();
    const duty_list *l = dispatch__list(NULL);
    const duty_entry *en;
    int ph = !strcmp(phase, "accept") ? 0 : !strcmp(phase, "handle") ? 1 : 2;
    int64_t deadline = 0;
    int prov = 0;
    if (duty_match(l, k.category, k.area, &en) == JC_OK &&
        calendar_add(cal, start, en->limit[ph].amount, en->limit[ph].unit, &deadline, &prov) == JC_OK) {
        if ((x->e = dispatch__phase_deadline(w, id, deadline, prov))) return case_clear(&k), 1;
        if (k.deadline_ms != deadline) {
            k.deadline_ms = deadline;
            jc_user sys;
            auth_system_actor(&sys, "calendar");
            x->e = case_touch(w, &sys, &k, "deadline_recomputed", "{\"code\":\"calendar_changed\"}");
        }
    }
    case_clear(&k);
    return x->e != JC_OK;
}

static jc_err recompute_provisional(jc_conn *w) {
    recompute_ctx x = {w, JC_OK};
    jc_err e = dispatch_store(w)->provisional_phases(w, 256, recompute_one, &x);
    return e ? e : x.e;
}

static jc_err run_calendar_set(jc_conn *w, jc_deferred *d) {
    cal_data *c = d->data;
    const dispatch_store_ops *ds = dispatch_store(w);
    jc_err e = c->del ? ds->calendar_day_delete(w, c->ymd)
                      : ds->calendar_day_put(w, c->ymd, c->kind, c->name, d->user.name, jc_now_ms());
    if (e) return e;
    char note[400];
    reason_buf rb;
    reason_begin(&rb, note, sizeof note, "calendar_set");
    reason_int(&rb, "day", c->ymd);
    reason_str(&rb, "kind", c->del ? "reset" : c->kind);
    reason_str(&rb, "name", c->name[0] ? c->name : NULL);
    if ((e = auth_audit(w, &d->user, "calendar_set", reason_end(&rb))) || (e = dispatch__bump(w)) ||
        (e = dispatch__ensure(w)) || (e = recompute_provisional(w)))
        return e;
    d->body = json_pack("{s:i,s:s}", "ymd", c->ymd, "kind", c->del ? "official" : c->kind);
    return JC_OK;
}

static int parse_ymd(jc_req *r, int *ymd) {
    int y, m, d;
    const char *p = r->params[0];
    if (sscanf(p, "%4d-%2d-%2d", &y, &m, &d) != 3 || strlen(p) != 10 || y < 2000 || y > 2099 || m < 1 ||
        m > 12 || d < 1 || d > 31) {
        http_reply_error(r, JC_ERR_INVALID, "the date must be YYYY-MM-DD");
        return -1;
    }
    *ymd = y * 10000 + m * 100 + d;
    return 0;
}

static void h_calendar_put(jc_req *r) {
    const char *kind, *name = "";
    if (api_need_str(r, "kind", 15, &kind) < 0 || api_get_str(r, "name", 30, &name) < 0) return;
    if (strcmp(kind, "holiday") && strcmp(kind, "workday"))
        return http_reply_error(r, JC_ERR_INVALID, "kind must be holiday or workday");
    cal_data *c = calloc(1, sizeof *c);
    if (!c) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    if (parse_ymd(r, &c->ymd)) return free(c);
    snprintf(c->kind, sizeof c->kind, "%s", kind);
    snprintf(c->name, sizeof c->name, "%s", name ? name : "");
    api_defer(r, run_calendar_set, c, free);
}

static void h_calendar_del(jc_req *r) {
    cal_data *c = calloc(1, sizeof *c);
    if (!c) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    if (parse_ymd(r, &c->ymd)) return free(c);
    c->del = 1;
    api_defer(r, run_calendar_set, c, free);
}

/* ---- working hours ------------------------------------------------------------ */

typedef struct {
    calendar_interval iv[8];
    size_t n;
} hours_data;

static json_t *hours_json(const calendar_interval *iv, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        char from[24], to[24];
        snprintf(from, sizeof from, "%02d:%02d", iv[i].start_min / 60, iv[i].start_min % 60);
        snprintf(to, sizeof to, "%02d:%02d", iv[i].end_min / 60, iv[i].end_min % 60);
        json_array_append_new(a, json_pack("[s,s]", from, to));
    }
    return a;
}

static void h_hours_get(jc_req *r) {
    calendar_interval iv[8] = {{9 * 60, 12 * 60}, {13 * 60 + 30, 17 * 60 + 30}}; /* calendar.c's defaults */
    size_t n = 2;
    char v[256];
    if (store_meta_get(r->db, "dispatch.hours", v, sizeof v) == JC_OK) {
        calendar_interval set[8];
        size_t k = dispatch__parse_hours(v, set, 8);
        if (k) memcpy(iv, set, k * sizeof *iv), n = k;
    }
    http_reply_json(r, 200, json_pack("{s:o,s:s}", "intervals", hours_json(iv, n), "timezone", "Asia/Shanghai"));
}

static jc_err run_hours_put(jc_conn *w, jc_deferred *d) {
    hours_data *h = d->data;
    jc_buf v; /* "480-720,810-1050": at most a few intervals of two minute counts */
    jc_buf_init(&v, 4096);
    jc_err ve = jc_buf_puts(&v, "");
    for (size_t i = 0; i < h->n && !ve; i++)
        ve = jc_buf_printf(&v, "%s%d-%d", i ? "," : "", h->iv[i].start_min, h->iv[i].end_min);
    if (ve) return jc_buf_free(&v), ve;
    jc_err e = store_meta_put(w, "dispatch.hours", v.data);
    char note[600];
    reason_buf rb;
    reason_begin(&rb, note, sizeof note, "hours_set");
    reason_str(&rb, "hours", v.data); /* "480-720,810-1050": minutes after local midnight */
    reason_end(&rb);
    jc_buf_free(&v);
    if (e) return e;
    if ((e = auth_audit(w, &d->user, "hours_set", note)) || (e = dispatch__bump(w))) return e;
    d->body = json_pack("{s:o,s:s}", "intervals", hours_json(h->iv, h->n), "timezone", "Asia/Shanghai");
    return JC_OK;
}

static int parse_hhmm(const char *s, int *min) {
    int hh, mm, used = 0;
    if (!s || sscanf(s, "%2d:%2d%n", &hh, &mm, &used) != 2 || s[used] || hh < 0 || hh > 24 || mm < 0 || mm > 59 ||
        (hh == 24 && mm))
        return -1;
    *min = hh * 60 + mm;
    return 0;
}

static void h_hours_put(jc_req *r) {
    json_t *a = json_object_get(r->json, "intervals");
    if (!json_is_array(a) || json_array_size(a) < 1 || json_array_size(a) > 8)
        return http_reply_error(r, JC_ERR_INVALID, "intervals must list 1-8 [\"HH:MM\", \"HH:MM\"] pairs");
    hours_data *h = calloc(1, sizeof *h);
    if (!h) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    size_t i;
    json_t *p;
    json_array_foreach(a, i, p) {
        int from, to;
        if (!json_is_array(p) || json_array_size(p) != 2 ||
            parse_hhmm(json_string_value(json_array_get(p, 0)), &from) ||
            parse_hhmm(json_string_value(json_array_get(p, 1)), &to) || from >= to ||
            (i && from < h->iv[i - 1].end_min)) {
            free(h);
            char msg[200], code[60];
            snprintf(msg, sizeof msg,
                     "interval %zu: each is [\"HH:MM\", \"HH:MM\"], start before end, in order, not overlapping", i + 1);
            reason_buf b;
            reason_begin(&b, code, sizeof code, "hours_interval");
            reason_int(&b, "n", (int64_t)(i + 1));
            reason_attach(msg, sizeof msg, &b);
            return http_reply_error(r, JC_ERR_INVALID, "%s", msg);
        }
        h->iv[i].start_min = from;
        h->iv[i].end_min = to;
    }
    h->n = json_array_size(a);
    calendar *probe = NULL; /* let the calendar module judge them too */
    jc_err e = calendar_new(&probe);
    if (!e) e = calendar_set_hours(probe, h->iv, h->n);
    calendar_free(probe);
    if (e) {
        free(h);
        return http_reply_error(r, JC_ERR_INVALID, "these working hours are not accepted");
    }
    api_defer(r, run_hours_put, h, free);
}

/* ---- escalation settings (督办设置) ------------------------------------------------ */

static json_t *esc_json(const dispatch_esc_cfg *c) {
    return json_pack("{s:i,s:b,s:f,s:{s:i,s:b,s:f}}", "remind_pct", c->remind_pct, "leader_level", c->levels >= 2,
                     "leader_after_h", c->leader_after_min / 60.0, "defaults", "remind_pct", 80, "leader_level", 1,
                     "leader_after_h", 7.0);
}

static void h_esc_get(jc_req *r) {
    dispatch_esc_cfg c;
    if (dispatch_store(r->db)->esc_get(r->db, &c)) return http_reply_error(r, JC_ERR_DB, "reading the settings failed");
    http_reply_json(r, 200, esc_json(&c));
}

typedef struct {
    int remind_pct, leader_level, leader_after_min; /* -1: unchanged */
} esc_data;

static jc_err run_esc_put(jc_conn *w, jc_deferred *d) {
    esc_data *x = d->data;
    dispatch_esc_cfg c;
    jc_err e = dispatch_store(w)->esc_get(w, &c);
    if (e) return e;
    if (x->remind_pct >= 0) c.remind_pct = x->remind_pct;
    if (x->leader_level >= 0) c.levels = x->leader_level ? 2 : 1;
    if (x->leader_after_min >= 0) c.leader_after_min = x->leader_after_min;
    char why[160];
    reason_buf b;
    reason_begin(&b, why, sizeof why, "escalation_config");
    reason_int(&b, "remind_pct", c.remind_pct);
    reason_int(&b, "levels", c.levels);
    reason_int(&b, "leader_after_min", c.leader_after_min);
    if ((e = dispatch_store(w)->esc_put(w, &c)) || (e = auth_audit(w, &d->user, "escalation_config", reason_end(&b))) ||
        (e = dispatch__bump(w)))
        return e;
    d->body = esc_json(&c);
    return JC_OK;
}

/* Refuses a setting out of range, naming it (the UI words the detail). */
static void esc_refuse(jc_req *r, const char *field, double lo, double hi) {
    char msg[200];
    snprintf(msg, sizeof msg, "%s must be between %g and %g", field, lo, hi);
    reason_buf b;
    char code[120];
    reason_begin(&b, code, sizeof code, "setting_range");
    reason_str(&b, "field", field);
    char num[2][24];
    snprintf(num[0], sizeof num[0], "%g", lo);
    snprintf(num[1], sizeof num[1], "%g", hi);
    reason_str(&b, "min", num[0]);
    reason_str(&b, "max", num[1]);
    reason_attach(msg, sizeof msg, &b);
    http_reply_error(r, JC_ERR_INVALID, "%s", msg);
}

static void h_esc_put(jc_req *r) {
    esc_data x = {-1, -1, -1};
    int64_t pct;
    double h;
    int k = api_get_int(r, "remind_pct", INT64_MIN, INT64_MAX, &pct);
    if (k < 0) return;
    if (k && (pct < 50 || pct > 95)) return esc_refuse(r, "remind_pct", 50, 95);
    if (k) x.remind_pct = (int)pct;
    json_t *lv = json_object_get(r->json, "leader_level");
    if (lv && !json_is_boolean(lv)) return http_reply_error(r, JC_ERR_INVALID, "leader_level must be true or false");
    if (lv) x.leader_level = json_is_true(lv);
    k = api_get_num(r, "leader_after_h", -1e9, 1e9, &h);
    if (k < 0) return;
    if (k && (h < 0.5 || h > 175)) return esc_refuse(r, "leader_after_h", 0.5, 175);
    if (k) x.leader_after_min = (int)(h * 60 + 0.5);
    esc_data *d = malloc(sizeof *d);
    if (!d) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    *d = x;
    api_defer(r, run_esc_put, d, free);
}

/* ---- whistles (吹哨报到) --------------------------------------------------------- */

typedef struct {
    int64_t case_id, whistle_id, dept_ids[16];
    int ndepts, minutes, rating;
    int64_t rate_dept;
    char note[500];
} whistle_data;

static jc_err run_whistle(jc_conn *w, jc_deferred *d) {
    whistle_data *x = d->data;
    jc_case k;
    jc_err e = case_get_visible(w, &d->user, x->case_id, &k);
    if (e) {
        snprintf(d->message, sizeof d->message, "no case %lld", (long long)x->case_id);
        return e;
    }
    if (k.state == ST_CLOSED || k.state == ST_RATED || k.state == ST_VOIDED || k.state == ST_MERGED) {
        snprintf(d->message, sizeof d->message, "the case is %s", state_name(k.state));
        case_clear(&k);
        return JC_ERR_CONFLICT;
    }
    int64_t now = jc_now_ms(), wid;
    const dispatch_store_ops *ds = dispatch_store(w);
    if ((e = ds->whistle_insert(w, k.id, d->user.id, now, x->minutes, x->note, &wid))) {
        case_clear(&k);
        return e;
    }
    char codes[16 * (sizeof ((jc_dept *)0)->code + 3) + 3] = "["; /* ["zhujian","xiaofang"] */
    for (int i = 0; i < x->ndepts; i++) {
        jc_dept dd;
        if ((e = store_dept_get(w, x->dept_ids[i], &dd))) {
            snprintf(d->message, sizeof d->message, "unknown department %lld", (long long)x->dept_ids[i]);
            case_clear(&k);
            return e == JC_ERR_NOTFOUND ? JC_ERR_INVALID : e;
        }
        if ((e = ds->whistle_member_insert(w, wid, dd.id, now + (int64_t)x->minutes * 60000))) {
            snprintf(d->message, sizeof d->message, "department %lld summoned twice", (long long)dd.id);
            case_clear(&k);
            return e == JC_ERR_CONFLICT ? JC_ERR_INVALID : e;
        }
        size_t l = strlen(codes); /* department codes are letters, digits and '_' */
        snprintf(codes + l, sizeof codes - l, "%s\"%s\"", i ? "," : "", dd.code);
    }
    size_t cl = strlen(codes);
    snprintf(codes + cl, sizeof codes - cl, "]");
    k.flags |= CASE_F_WHISTLE;
    char reason[2200];
    reason_buf b;
    reason_begin(&b, reason, sizeof reason, "whistle");
    reason_int(&b, "whistle", wid);
    reason_raw(&b, "depts", codes);
    reason_int(&b, "minutes", x->minutes);
    if (x->note[0]) reason_str(&b, "note", x->note);
    reason_end(&b);
    e = case_touch(w, &d->user, &k, "whistle", reason);
    case_clear(&k);
    if (e) return e;
    d->status = 201;
    d->body = json_pack("{s:I,s:I}", "whistle_id", (json_int_t)wid, "case_id", (json_int_t)x->case_id);
    return JC_OK;
}

static void h_whistle(jc_req *r) {
    whistle_data *x = calloc(1, sizeof *x);
    if (!x) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    if (api_param_id(r, 0, &x->case_id)) return free(x);
    json_t *ids = json_object_get(r->json, "dept_ids");
    if (!json_is_array(ids) || json_array_size(ids) < 1 || json_array_size(ids) > 16) {
        free(x);
        return http_reply_error(r, JC_ERR_INVALID, "dept_ids must be a list of 1..16 department ids");
    }
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 1) {
            free(x);
            return http_reply_error(r, JC_ERR_INVALID, "dept_ids must hold department ids");
        }
        x->dept_ids[x->ndepts++] = json_integer_value(v);
    }
    int64_t minutes = 30;
    const char *note = "";
    if (api_get_int(r, "checkin_minutes", 0, 24 * 60, &minutes) < 0 || api_get_str(r, "note", 200, &note) < 0)
        return free(x);
    x->minutes = (int)minutes;
    snprintf(x->note, sizeof x->note, "%s", note ? note : "");
    api_defer(r, run_whistle, x, free);
}

/* Loads a whistle's case for d->user; fills *k. */
static jc_err whistle_case(jc_conn *w, jc_deferred *d, int64_t wid, jc_case *k, int *state_open) {
    int64_t cid;
    jc_err e = dispatch_store(w)->whistle_get(w, wid, &cid, state_open);
    if (e == JC_ERR_NOTFOUND) snprintf(d->message, sizeof d->message, "no whistle %lld", (long long)wid);
    if (e) return e;
    e = case_get_visible(w, &d->user, cid, k);
    if (e == JC_ERR_NOTFOUND) snprintf(d->message, sizeof d->message, "no whistle %lld", (long long)wid);
    return e;
}

static jc_err run_checkin(jc_conn *w, jc_deferred *d) {
    whistle_data *x = d->data;
    jc_case k;
    int open;
    jc_err e = whistle_case(w, d, x->whistle_id, &k, &open);
    if (e) return e;
    int64_t now = jc_now_ms();
    int finish = x->rating == -1, changed = 0, late = 0;
    const dispatch_store_ops *ds = dispatch_store(w);
    if ((e = ds->whistle_checkin(w, x->whistle_id, d->user.dept_id, now, finish, x->note, &changed, &late))) {
        case_clear(&k);
        return e;
    }
    if (!changed || !open) {
        snprintf(d->message, sizeof d->message, "your department is not summoned by this open whistle, or has %s",
                 finish ? "finished already" : "checked in already");
        case_clear(&k);
        return JC_ERR_CONFLICT;
    }
    char note[1200];
    reason_buf b;
    reason_begin(&b, note, sizeof note, finish ? "whistle_finish" : "checkin");
    reason_int(&b, "whistle", x->whistle_id);
    reason_int(&b, "late", late);
    if (x->note[0]) reason_str(&b, "note", x->note);
    reason_end(&b);
    /* all done? then the whistle ends and the case's flag clears */
    int left = 1;
    if (finish && ds->whistle_left(w, x->whistle_id, &left)) left = 1;
    if (finish && left == 0) {
        int still = 0;
        if ((e = ds->whistle_done(w, x->whistle_id, now)) || (e = ds->whistles_open(w, k.id, &still))) {
            case_clear(&k);
            return e;
        }
        if (!still) k.flags &= ~(unsigned)CASE_F_WHISTLE;
        e = case_touch(w, &d->user, &k, "whistle_done", note);
    } else {
        e = case_audit_note(w, &d->user, &k, finish ? "whistle_finish" : "checkin", note);
    }
    case_clear(&k);
    if (e) return e;
    d->body = json_pack("{s:I,s:b,s:b}", "whistle_id", (json_int_t)x->whistle_id, "late", late, "whistle_done",
                        finish && left == 0);
    return JC_OK;
}

static void checkin_common(jc_req *r, int finish) {
    whistle_data *x = calloc(1, sizeof *x);
    if (!x) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    if (api_param_id(r, 0, &x->whistle_id)) return free(x);
    const char *note = "";
    if (api_get_str(r, "note", 300, &note) < 0) return free(x);
    snprintf(x->note, sizeof x->note, "%s", note ? note : "");
    x->rating = finish ? -1 : 0;
    api_defer(r, run_checkin, x, free);
}
static void h_checkin(jc_req *r) { checkin_common(r, 0); }
static void h_finish(jc_req *r) { checkin_common(r, 1); }

static jc_err run_rate(jc_conn *w, jc_deferred *d) {
    whistle_data *x = d->data;
    jc_case k;
    int open;
    jc_err e = whistle_case(w, d, x->whistle_id, &k, &open);
    if (e) return e;
    int changed = 0;
    if ((e = dispatch_store(w)->whistle_rate(w, x->whistle_id, x->rate_dept, x->rating, jc_now_ms(), &changed))) {
        case_clear(&k);
        return e;
    }
    if (!changed) {
        snprintf(d->message, sizeof d->message, "department %lld was not summoned or has not finished",
                 (long long)x->rate_dept);
        case_clear(&k);
        return JC_ERR_CONFLICT;
    }
    char note[200];
    jc_dept rd;
    reason_buf b;
    reason_begin(&b, note, sizeof note, "whistle_rate");
    reason_int(&b, "whistle", x->whistle_id);
    reason_str(&b, "dept", store_dept_get(w, x->rate_dept, &rd) == JC_OK ? rd.code : NULL);
    reason_int(&b, "rating", x->rating);
    reason_end(&b);
    e = case_audit_note(w, &d->user, &k, "whistle_rate", note);
    case_clear(&k);
    if (!e) d->body = json_pack("{s:b}", "ok", 1);
    return e;
}

static void h_rate(jc_req *r) {
    whistle_data *x = calloc(1, sizeof *x);
    if (!x) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    if (api_param_id(r, 0, &x->whistle_id)) return free(x);
    int64_t dept, rating;
    int a = api_get_int(r, "dept_id", 1, INT64_MAX, &dept), b = a < 0 ? -1 : api_get_int(r, "rating", 1, 5, &rating);
    if (a <= 0 || b <= 0) {
        free(x);
        if (a == 0 || b == 0) http_reply_error(r, JC_ERR_INVALID, "give dept_id and rating (1-5)");
        return;
    }
    x->rate_dept = dept;
    x->rating = (int)rating;
    api_defer(r, run_rate, x, free);
}

static int whistle_json(const dispatch_whistle_row *w, void *arg) {
    jc_req *r = ((void **)arg)[0];
    json_t *arr = ((void **)arg)[1];
    jc_case k = {.id = w->case_id, .created_ms = w->case_created};
    snprintf(k.area, sizeof k.area, "%s", w->area);
    int visible = case_visible(&r->user, &k) ||
                  (r->user.role == ROLE_DEPT_STAFF && dispatch_dept_involved(r->db, k.id, r->user.dept_id));
    if (!visible) return 0;
    char ts[40], no[40];
    jc_fmt_utc(w->raised_at, ts, sizeof ts);
    json_t *members = json_loads(w->members, 0, NULL);
    case_number(&k, no, sizeof no);
    json_array_append_new(arr, json_pack("{s:I,s:I,s:s,s:s,s:i,s:s,s:s,s:s,s:o}", "id", (json_int_t)w->id, "case_id",
                                         (json_int_t)k.id, "case_no", no, "raised_at", ts, "checkin_minutes",
                                         w->checkin_minutes, "note", w->note, "state", w->state, "title", w->title,
                                         "members", members ? members : json_array()));
    return 0;
}

static void h_whistles(jc_req *r) {
    char st[8] = "";
    http_query(r, "state", st, sizeof st);
    json_t *arr = json_array();
    void *arg[2] = {r, arr};
    jc_err e = dispatch_store(r->db)->whistles_list(r->db, st, jc_now_ms(), whistle_json, arg);
    if (e) return json_decref(arr), http_reply_error(r, e, "whistles");
    http_reply_json(r, 200, json_pack("{s:o}", "whistles", arr));
}

/* ---- grid workers' duty -------------------------------------------------------- */

static jc_err run_duty(jc_conn *w, jc_deferred *d) {
    int64_t *v = d->data; /* [0] user id, [1] on_duty */
    jc_err e = dispatch_store(w)->user_duty_put(w, v[0], (int)v[1]);
    if (e) return e;
    jc_user u;
    char note[300];
    reason_buf rb;
    reason_begin(&rb, note, sizeof note, "duty"); /* a code (docs/audit.md) */
    if (store_user_get(w, v[0], &u) == JC_OK) reason_str(&rb, "user", u.name);
    reason_int(&rb, "user_id", v[0]);
    reason_int(&rb, "on", v[1] ? 1 : 0);
    e = auth_audit(w, &d->user, "duty", reason_end(&rb));
    if (!e) d->body = json_pack("{s:I,s:b}", "user_id", (json_int_t)v[0], "on_duty", (int)v[1]);
    return e;
}

static void h_me_duty(jc_req *r) {
    json_t *v = json_object_get(r->json, "on_duty");
    if (!json_is_boolean(v)) return http_reply_error(r, JC_ERR_INVALID, "on_duty must be true or false");
    int64_t *d = malloc(2 * sizeof *d);
    if (!d) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    d[0] = r->user.id;
    d[1] = json_is_true(v);
    api_defer(r, run_duty, d, free);
}

/* ---- a department's own part: assist ------------------------------------
 * A co-handling department (case_owner role co) or one summoned by a
 * whistle sees the case but does not drive it: accept, handle, feedback and
 * return are the lead department's (case.c).  What it did is recorded here,
 * as a note in the case's trace (action "assist"), on an open case. */

typedef struct {
    int64_t case_id;
    char note[3100];
} assist_data;

static jc_err run_assist(jc_conn *w, jc_deferred *d) {
    assist_data *x = d->data;
    jc_case k;
    jc_err e = case_get_visible(w, &d->user, x->case_id, &k);
    if (e) {
        snprintf(d->message, sizeof d->message, "no case %lld", (long long)x->case_id);
        return e;
    }
    if (k.state == ST_CLOSED || k.state == ST_RATED || k.state == ST_VOIDED || k.state == ST_MERGED) {
        snprintf(d->message, sizeof d->message, "case %lld is %s", (long long)k.id, state_name(k.state));
        case_clear(&k);
        return JC_ERR_CONFLICT;
    }
    e = case_audit_note(w, &d->user, &k, "assist", x->note);
    case_clear(&k);
    if (e) return e;
    d->status = 200;
    d->body = json_pack("{s:I,s:s}", "case_id", (json_int_t)x->case_id, "action", "assist");
    return JC_OK;
}

static void h_assist(jc_req *r) {
    assist_data *x = calloc(1, sizeof *x);
    if (!x) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    const char *note;
    if (api_param_id(r, 0, &x->case_id) || api_need_str(r, "note", 1000, &note) < 0) return free(x);
    if (jc_copy(x->note, sizeof x->note, note)) return free(x), http_reply_error(r, JC_ERR_INVALID, "the note is too long");
    api_defer(r, run_assist, x, free);
}

static const jc_route routes[] = {
    {"POST", "/api/v1/cases/:id/assist", h_assist, R(DEPT_STAFF), "note"},
    {"GET", "/api/v1/duties", h_duties, ACCESS_PUBLIC, NULL},
    {"GET", "/api/v1/duties/versions", h_duty_versions, ACCESS_PUBLIC, NULL},
    {"GET", "/api/v1/duties/csv", h_duty_csv, ACCESS_PUBLIC, NULL},
    {"POST", "/api/v1/duties/import", h_duty_import, R(ADMIN) | R(DISPATCHER), "*"},
    {"GET", "/api/v1/duties/missing", h_duty_missing, R(ADMIN) | R(DISPATCHER) | R(SUPERVISOR), NULL},
    {"POST", "/api/v1/duties/preview", h_duty_preview, R(ADMIN) | R(DISPATCHER), "*"},
    {"POST", "/api/v1/route/explain", h_explain, ACCESS_USER, "category,area,lon,lat,crs"},
    {"GET", "/api/v1/calendar", h_calendar, ACCESS_PUBLIC, NULL},
    {"GET", "/api/v1/calendar/hours", h_hours_get, ACCESS_PUBLIC, NULL},
    {"PUT", "/api/v1/calendar/hours", h_hours_put, R(ADMIN) | R(DISPATCHER), "intervals"},
    {"GET", "/api/v1/escalation/config", h_esc_get, ACCESS_USER, NULL},
    {"PUT", "/api/v1/escalation/config", h_esc_put, R(ADMIN) | R(DISPATCHER), "remind_pct,leader_level,leader_after_h"},
    {"PUT", "/api/v1/calendar/days/:date", h_calendar_put, R(ADMIN) | R(DISPATCHER), "kind,name"},
    {"DELETE", "/api/v1/calendar/days/:date", h_calendar_del, R(ADMIN) | R(DISPATCHER), NULL},
    {"POST", "/api/v1/cases/:id/whistle", h_whistle, R(DISPATCHER) | R(COMMUNITY_STAFF) | R(SUPERVISOR),
     "dept_ids,checkin_minutes,note"},
    {"GET", "/api/v1/whistles", h_whistles, ACCESS_USER, NULL},
    {"POST", "/api/v1/whistles/:id/checkin", h_checkin, R(DEPT_STAFF), "note"},
    {"POST", "/api/v1/whistles/:id/finish", h_finish, R(DEPT_STAFF), "note"},
    {"POST", "/api/v1/whistles/:id/rate", h_rate, R(DISPATCHER) | R(COMMUNITY_STAFF) | R(SUPERVISOR),
     "dept_id,rating"},
    {"POST", "/api/v1/me/duty", h_me_duty, R(GRID_WORKER) | R(COMMUNITY_STAFF), "on_duty"},
};

static const jc_route_table dispatch_routes = {routes, JC_ARRAY_LEN(routes)};

/* The dispatch module's row (src/modules.c). */
const jc_module module_dispatch = {
    .name = "dispatch",
    .schema = {[JC_STORE_SQLITE] = &schema_dispatch, [JC_STORE_PG] = &schema_dispatch_pg},
    .store = {[JC_STORE_SQLITE] = &dispatch_store_sqlite, [JC_STORE_PG] = &dispatch_store_pg},
    .case_hooks = &dispatch__case_hooks,
    .routes = {&dispatch_routes},
    .tick = dispatch_tick,
};
