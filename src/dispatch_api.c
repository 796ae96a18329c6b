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
#include "store_sqlite.h"

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

static void h_duty_versions(jc_req *r) {
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(store_sqlite_db(r->db),
                           "SELECT version, created_at, created_by, note, entries, active FROM duty_lists"
                           " ORDER BY version DESC", -1, &s, NULL) != SQLITE_OK)
        return http_reply_error(r, JC_ERR_DB, "versions");
    json_t *arr = json_array();
    while (sqlite3_step(s) == SQLITE_ROW) {
        char ts[40];
        jc_fmt_utc(sqlite3_column_int64(s, 1), ts, sizeof ts);
        const char *note = (const char *)sqlite3_column_text(s, 3);
        json_array_append_new(arr, json_pack("{s:i,s:s,s:s,s:s?,s:i,s:b}", "version", sqlite3_column_int(s, 0),
                                             "created_at", ts, "created_by", sqlite3_column_text(s, 2), "note",
                                             note, "entries", sqlite3_column_int(s, 4), "active",
                                             sqlite3_column_int(s, 5)));
    }
    sqlite3_finalize(s);
    http_reply_json(r, 200, json_pack("{s:o}", "versions", arr));
}

static void h_duty_csv(jc_req *r) {
    char v[16];
    sqlite3_stmt *s;
    const char *sql = http_query(r, "version", v, sizeof v)
                          ? "SELECT csv FROM duty_lists WHERE version=?"
                          : "SELECT csv FROM duty_lists WHERE active=1";
    if (sqlite3_prepare_v2(store_sqlite_db(r->db), sql, -1, &s, NULL) != SQLITE_OK)
        return http_reply_error(r, JC_ERR_DB, "csv");
    if (strstr(sql, "version=?")) sqlite3_bind_text(s, 1, v, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        return http_reply_error(r, JC_ERR_NOTFOUND, "no such list version");
    }
    http_reply_raw(r, 200, "text/csv; charset=utf-8", (const char *)sqlite3_column_text(s, 0),
                   (size_t)sqlite3_column_bytes(s, 0));
    sqlite3_finalize(s);
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
static jc_err run_missing(jc_conn *w, jc_deferred *d) {
    jc_err e = dispatch__ensure(w);
    if (e) return e;
    const duty_list *l = dispatch__list(NULL);
    static const char sql[] =
        "SELECT c.code, c.name, (SELECT count(*) FROM cases k WHERE k.category=c.code"
        " AND (k.flags & 1) != 0 AND k.state NOT IN ('closed','rated','voided','merged'))"
        " FROM categories c ORDER BY c.code";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    json_t *arr = json_array();
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text(s, 0);
        int covered = 0;
        for (size_t i = 0; l && i < duty_list_count(l) && !covered; i++)
            covered = !strcmp(duty_list_get(l, i)->category, code);
        int64_t ownerless = sqlite3_column_int64(s, 2);
        if (covered && !ownerless) continue;
        json_array_append_new(arr, json_pack("{s:s,s:s,s:b,s:I}", "category", code, "name",
                                             sqlite3_column_text(s, 1), "in_list", covered,
                                             "ownerless_open_cases", (json_int_t)ownerless));
    }
    sqlite3_reset(s);
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
static jc_err recompute_provisional(jc_conn *w) {
    static const char sel[] =
        "SELECT p.id, p.case_id, p.phase, p.start_at FROM case_phase p WHERE p.end_at IS NULL AND p.provisional=1";
    sqlite3_stmt *s = store_sqlite_prepare(w, sel);
    if (!s) return JC_ERR_DB;
    struct { int64_t id, case_id, start; char phase[8]; } rows[256];
    int n = 0;
    while (n < 256 && sqlite3_step(s) == SQLITE_ROW) {
        rows[n].id = sqlite3_column_int64(s, 0);
        rows[n].case_id = sqlite3_column_int64(s, 1);
        snprintf(rows[n].phase, sizeof rows[n].phase, "%s", sqlite3_column_text(s, 2));
        rows[n].start = sqlite3_column_int64(s, 3);
        n++;
    }
    sqlite3_reset(s);
    calendar *cal = dispatch__calendar();
    const duty_list *l = dispatch__list(NULL);
    for (int i = 0; i < n; i++) {
        jc_case k;
        if (store_case_get(w, rows[i].case_id, &k)) continue;
        const duty_entry *en;
        int ph = !strcmp(rows[i].phase, "accept") ? 0 : !strcmp(rows[i].phase, "handle") ? 1 : 2;
        int64_t deadline = 0;
        int prov = 0;
        if (duty_match(l, k.category, k.area, &en) == JC_OK &&
            calendar_add(cal, rows[i].start, en->limit[ph].amount, en->limit[ph].unit, &deadline, &prov) == JC_OK) {
            jc_err ue = dispatch__phase_deadline(w, rows[i].id, deadline, prov);
            if (ue) { case_clear(&k); return ue; }
            if (k.deadline_ms != deadline) {
                k.deadline_ms = deadline;
                jc_user sys;
                auth_system_actor(&sys, "calendar");
                jc_err e = case_touch(w, &sys, &k, "deadline_recomputed", "{\"code\":\"calendar_changed\"}");
                if (e) { case_clear(&k); return e; }
            }
        }
        case_clear(&k);
    }
    return JC_OK;
}

static jc_err run_calendar_set(jc_conn *w, jc_deferred *d) {
    cal_data *c = d->data;
    static const char put[] =
        "INSERT INTO calendar_days(ymd, kind, name, updated_by, updated_at) VALUES(?,?,?,?,?)"
        " ON CONFLICT(ymd) DO UPDATE SET kind=excluded.kind, name=excluded.name,"
        " updated_by=excluded.updated_by, updated_at=excluded.updated_at";
    static const char del[] = "DELETE FROM calendar_days WHERE ymd=?";
    sqlite3_stmt *s = store_sqlite_prepare(w, c->del ? del : put);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int(s, 1, c->ymd);
    if (!c->del) {
        sqlite3_bind_text(s, 2, c->kind, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 3, c->name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 4, d->user.name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 5, jc_now_ms());
    }
    if (sqlite3_step(s) != SQLITE_DONE) return JC_ERR_DB;
    char note[160];
    snprintf(note, sizeof note, "calendar %d %s %s", c->ymd, c->del ? "reset" : c->kind, c->name);
    jc_err e;
    if ((e = auth_audit(w, &d->user, "calendar_set", note)) || (e = dispatch__bump(w)) ||
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
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(store_sqlite_db(r->db), "SELECT value FROM meta WHERE key='dispatch.hours'", -1, &s,
                           NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW) {
            calendar_interval set[8];
            size_t k = dispatch__parse_hours((const char *)sqlite3_column_text(s, 0), set, 8);
            if (k) memcpy(iv, set, k * sizeof *iv), n = k;
        }
        sqlite3_finalize(s);
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
    static const char sql[] =
        "INSERT INTO meta(key, value) VALUES('dispatch.hours', ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return jc_buf_free(&v), JC_ERR_DB;
    sqlite3_bind_text(s, 1, v.data, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    char note[600];
    jc_fmt_cut(note, sizeof note, "working hours %s (minutes after local midnight); new deadlines use them", v.data);
    jc_buf_free(&v);
    if (rc != SQLITE_DONE) return JC_ERR_DB;
    jc_err e;
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
    if (dispatch_store_esc_get(r->db, &c)) return http_reply_error(r, JC_ERR_DB, "reading the settings failed");
    http_reply_json(r, 200, esc_json(&c));
}

typedef struct {
    int remind_pct, leader_level, leader_after_min; /* -1: unchanged */
} esc_data;

static jc_err run_esc_put(jc_conn *w, jc_deferred *d) {
    esc_data *x = d->data;
    dispatch_esc_cfg c;
    jc_err e = dispatch_store_esc_get(w, &c);
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
    if ((e = dispatch_store_esc_put(w, &c)) || (e = auth_audit(w, &d->user, "escalation_config", reason_end(&b))) ||
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
    jc_err e = store_case_get(w, x->case_id, &k);
    if (e == JC_OK && !case_visible_db(w, &d->user, &k)) {
        case_clear(&k);
        e = JC_ERR_NOTFOUND;
    }
    if (e) {
        snprintf(d->message, sizeof d->message, "no case %lld", (long long)x->case_id);
        return e;
    }
    if (k.state == ST_CLOSED || k.state == ST_RATED || k.state == ST_VOIDED || k.state == ST_MERGED) {
        snprintf(d->message, sizeof d->message, "the case is %s", state_name(k.state));
        case_clear(&k);
        return JC_ERR_CONFLICT;
    }
    int64_t now = jc_now_ms();
    static const char ins[] =
        "INSERT INTO whistles(case_id, raised_by, raised_at, checkin_minutes, note) VALUES(?,?,?,?,?)";
    static const char mem[] =
        "INSERT INTO whistle_members(whistle_id, dept_id, checkin_deadline) VALUES(?,?,?)";
    sqlite3_stmt *s = store_sqlite_prepare(w, ins);
    if (!s) { case_clear(&k); return JC_ERR_DB; }
    sqlite3_bind_int64(s, 1, k.id);
    sqlite3_bind_int64(s, 2, d->user.id);
    sqlite3_bind_int64(s, 3, now);
    sqlite3_bind_int(s, 4, x->minutes);
    sqlite3_bind_text(s, 5, x->note, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_DONE) { case_clear(&k); return JC_ERR_DB; }
    int64_t wid = sqlite3_last_insert_rowid(store_sqlite_db(w));
    char codes[16 * (sizeof ((jc_dept *)0)->code + 3) + 3] = "["; /* ["zhujian","xiaofang"] */
    for (int i = 0; i < x->ndepts; i++) {
        jc_dept dd;
        if ((e = store_dept_get(w, x->dept_ids[i], &dd))) {
            snprintf(d->message, sizeof d->message, "unknown department %lld", (long long)x->dept_ids[i]);
            case_clear(&k);
            return e == JC_ERR_NOTFOUND ? JC_ERR_INVALID : e;
        }
        s = store_sqlite_prepare(w, mem);
        if (!s) { case_clear(&k); return JC_ERR_DB; }
        sqlite3_bind_int64(s, 1, wid);
        sqlite3_bind_int64(s, 2, dd.id);
        sqlite3_bind_int64(s, 3, now + (int64_t)x->minutes * 60000);
        if (sqlite3_step(s) != SQLITE_DONE) {
            snprintf(d->message, sizeof d->message, "department %lld summoned twice", (long long)dd.id);
            case_clear(&k);
            return JC_ERR_INVALID;
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
    static const char sql[] = "SELECT case_id, state FROM whistles WHERE id=?";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, wid);
    if (sqlite3_step(s) != SQLITE_ROW) {
        snprintf(d->message, sizeof d->message, "no whistle %lld", (long long)wid);
        return JC_ERR_NOTFOUND;
    }
    int64_t cid = sqlite3_column_int64(s, 0);
    *state_open = !strcmp((const char *)sqlite3_column_text(s, 1), "open");
    sqlite3_reset(s);
    jc_err e = store_case_get(w, cid, k);
    if (e == JC_OK && !case_visible_db(w, &d->user, k)) {
        case_clear(k);
        e = JC_ERR_NOTFOUND;
        snprintf(d->message, sizeof d->message, "no whistle %lld", (long long)wid);
    }
    return e;
}

static jc_err run_checkin(jc_conn *w, jc_deferred *d) {
    whistle_data *x = d->data;
    jc_case k;
    int open;
    jc_err e = whistle_case(w, d, x->whistle_id, &k, &open);
    if (e) return e;
    int64_t now = jc_now_ms();
    int finish = x->rating == -1;
    static const char chk[] =
        "UPDATE whistle_members SET checked_in_at=?1, late = (?1 > checkin_deadline)"
        " WHERE whistle_id=?2 AND dept_id=?3 AND checked_in_at IS NULL";
    static const char fin[] =
        "UPDATE whistle_members SET done_at=?1, done_note=?4, checked_in_at=COALESCE(checked_in_at, ?1),"
        " late = CASE WHEN checked_in_at IS NULL THEN (?1 > checkin_deadline) ELSE late END"
        " WHERE whistle_id=?2 AND dept_id=?3 AND done_at IS NULL";
    sqlite3_stmt *s = store_sqlite_prepare(w, finish ? fin : chk);
    if (!s) { case_clear(&k); return JC_ERR_DB; }
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, x->whistle_id);
    sqlite3_bind_int64(s, 3, d->user.dept_id);
    if (finish) sqlite3_bind_text(s, 4, x->note, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_DONE) { case_clear(&k); return JC_ERR_DB; }
    if (sqlite3_changes(store_sqlite_db(w)) == 0 || !open) {
        snprintf(d->message, sizeof d->message, "your department is not summoned by this open whistle, or has %s",
                 finish ? "finished already" : "checked in already");
        case_clear(&k);
        return JC_ERR_CONFLICT;
    }
    static const char late_q[] = "SELECT late FROM whistle_members WHERE whistle_id=? AND dept_id=?";
    s = store_sqlite_prepare(w, late_q);
    int late = 0;
    if (s) {
        sqlite3_bind_int64(s, 1, x->whistle_id);
        sqlite3_bind_int64(s, 2, d->user.dept_id);
        if (sqlite3_step(s) == SQLITE_ROW) late = sqlite3_column_int(s, 0);
        sqlite3_reset(s);
    }
    char note[1200];
    reason_buf b;
    reason_begin(&b, note, sizeof note, finish ? "whistle_finish" : "checkin");
    reason_int(&b, "whistle", x->whistle_id);
    reason_int(&b, "late", late);
    if (x->note[0]) reason_str(&b, "note", x->note);
    reason_end(&b);
    /* all done? then the whistle ends and the case's flag clears */
    static const char left_q[] = "SELECT count(*) FROM whistle_members WHERE whistle_id=? AND done_at IS NULL";
    int left = 1;
    if (finish && (s = store_sqlite_prepare(w, left_q))) {
        sqlite3_bind_int64(s, 1, x->whistle_id);
        if (sqlite3_step(s) == SQLITE_ROW) left = sqlite3_column_int(s, 0);
        sqlite3_reset(s);
    }
    if (finish && left == 0) {
        static const char done[] = "UPDATE whistles SET state='done', done_at=? WHERE id=?";
        s = store_sqlite_prepare(w, done);
        if (!s) { case_clear(&k); return JC_ERR_DB; }
        sqlite3_bind_int64(s, 1, now);
        sqlite3_bind_int64(s, 2, x->whistle_id);
        if (sqlite3_step(s) != SQLITE_DONE) { case_clear(&k); return JC_ERR_DB; }
        static const char any[] = "SELECT count(*) FROM whistles WHERE case_id=? AND state='open'";
        s = store_sqlite_prepare(w, any);
        int still = 0;
        if (s) {
            sqlite3_bind_int64(s, 1, k.id);
            if (sqlite3_step(s) == SQLITE_ROW) still = sqlite3_column_int(s, 0);
            sqlite3_reset(s);
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
    static const char sql[] =
        "UPDATE whistle_members SET rating=?, rated_at=? WHERE whistle_id=? AND dept_id=? AND done_at IS NOT NULL";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) { case_clear(&k); return JC_ERR_DB; }
    sqlite3_bind_int(s, 1, x->rating);
    sqlite3_bind_int64(s, 2, jc_now_ms());
    sqlite3_bind_int64(s, 3, x->whistle_id);
    sqlite3_bind_int64(s, 4, x->rate_dept);
    if (sqlite3_step(s) != SQLITE_DONE) { case_clear(&k); return JC_ERR_DB; }
    if (sqlite3_changes(store_sqlite_db(w)) == 0) {
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

static void h_whistles(jc_req *r) {
    char st[8] = "";
    http_query(r, "state", st, sizeof st);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(store_sqlite_db(r->db),
                           "SELECT wh.id, wh.case_id, wh.raised_at, wh.checkin_minutes, wh.note, wh.state,"
                           " c.title, c.area,"
                           " (SELECT json_group_array(json_object('dept_id', m.dept_id, 'dept', d.name,"
                           "  'checkin_deadline', m.checkin_deadline, 'checked_in_at', m.checked_in_at,"
                           "  'late', m.late OR (m.checked_in_at IS NULL AND m.checkin_deadline < ?2),"
                           "  'done_at', m.done_at, 'rating', m.rating))"
                           "  FROM whistle_members m JOIN depts d ON d.id=m.dept_id WHERE m.whistle_id=wh.id)"
                           " , c.created_at FROM whistles wh JOIN cases c ON c.id=wh.case_id"
                           " WHERE (?1 = '' OR wh.state = ?1) ORDER BY wh.id DESC LIMIT 200",
                           -1, &s, NULL) != SQLITE_OK)
        return http_reply_error(r, JC_ERR_DB, "whistles");
    sqlite3_bind_text(s, 1, st, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, jc_now_ms());
    json_t *arr = json_array();
    while (sqlite3_step(s) == SQLITE_ROW) {
        jc_case k = {0};
        k.id = sqlite3_column_int64(s, 1);
        snprintf(k.area, sizeof k.area, "%s", sqlite3_column_text(s, 7));
        int visible = case_visible(&r->user, &k) ||
                      (r->user.role == ROLE_DEPT_STAFF && dispatch_dept_involved(r->db, k.id, r->user.dept_id));
        if (!visible) continue;
        char ts[40];
        jc_fmt_utc(sqlite3_column_int64(s, 2), ts, sizeof ts);
        json_t *members = json_loads((const char *)sqlite3_column_text(s, 8), 0, NULL);
        char no[40];
        k.created_ms = sqlite3_column_int64(s, 9);
        case_number(&k, no, sizeof no);
        json_array_append_new(arr, json_pack("{s:I,s:I,s:s,s:s,s:i,s:s,s:s,s:s,s:o}", "id",
                                             (json_int_t)sqlite3_column_int64(s, 0), "case_id", (json_int_t)k.id,
                                             "case_no", no, "raised_at", ts, "checkin_minutes", sqlite3_column_int(s, 3),
                                             "note", sqlite3_column_text(s, 4), "state", sqlite3_column_text(s, 5),
                                             "title", sqlite3_column_text(s, 6), "members",
                                             members ? members : json_array()));
    }
    sqlite3_finalize(s);
    http_reply_json(r, 200, json_pack("{s:o}", "whistles", arr));
}

/* ---- grid workers' duty -------------------------------------------------------- */

static jc_err run_duty(jc_conn *w, jc_deferred *d) {
    int64_t *v = d->data; /* [0] user id, [1] on_duty */
    static const char sql[] =
        "INSERT INTO user_duty(user_id, on_duty) VALUES(?,?) ON CONFLICT(user_id) DO UPDATE SET on_duty=excluded.on_duty";
    sqlite3_stmt *s = store_sqlite_prepare(w, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, v[0]);
    sqlite3_bind_int(s, 2, (int)v[1]);
    if (sqlite3_step(s) != SQLITE_DONE) return JC_ERR_DB;
    char note[80];
    snprintf(note, sizeof note, "user %lld %s", (long long)v[0], v[1] ? "on duty" : "off duty");
    jc_err e = auth_audit(w, &d->user, "duty", note);
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
    jc_err e = store_case_get(w, x->case_id, &k);
    if (e == JC_OK && !case_visible_db(w, &d->user, &k)) {
        case_clear(&k);
        e = JC_ERR_NOTFOUND;
    }
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

const jc_route_table api_dispatch_routes = {routes, sizeof routes / sizeof routes[0]};
