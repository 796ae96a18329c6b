/*
 * stats.c -- the dashboard's figures: GET /api/v1/stats?area=<prefix>&days=30.
 *
 * One read-only endpoint that answers, for the caller's scope, the counts a
 * dashboard needs: cases by state, by category (open and total), by
 * community (open, overdue, total), created and closed per local day over a
 * window, the open / overdue / escalated / ownerless totals, active sensor
 * alarms and open warnings.
 *
 * Design note: the scope is computed exactly as GET /api/v1/cases computes
 * it (api.c h_case_list): residents see their own reports, department staff
 * their department's cases, the admin everything, every other role its area
 * (an `area` query narrows inside it, an area outside it is replaced by the
 * caller's own).  "Open" is the case list's `state=open` (not closed, rated,
 * voided or merged); "overdue", "escalated" and "ownerless" count OPEN cases
 * with that mark, i.e. `state=open&overdue=1` ... of the list.  So every
 * number here equals the length of the corresponding listing
 * (tests/integration/50-judgement.test.mjs checks that).  The window
 * (`days`) applies only to the per-day series.
 */
#include "stats_store.h"
#include "http.h"
#include "module.h"
#include "sensor.h"
#include "warning.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static int has_prefix(const char *s, const char *p) { return *p && !strncmp(s, p, strlen(p)); }

/* Local (Asia/Shanghai) date "YYYY-MM-DD" of ms. */
static void local_day(int64_t ms, char out[16]) {
    char buf[40];
    jc_fmt_local(ms, buf, sizeof buf);
    snprintf(out, 16, "%.10s", buf);
}

static int put_state(const char *state, int64_t n, void *arg) {
    json_object_set_new(arg, state, json_integer(n));
    return 0;
}

static int put_category(const stats_group *g, void *arg) {
    json_array_append_new(arg, json_pack("{s:s,s:s?,s:I,s:I}", "category", g->key, "name", g->name, "total",
                                         (json_int_t)g->total, "open", (json_int_t)g->open));
    return 0;
}

static int put_community(const stats_group *g, void *arg) {
    json_array_append_new(arg, json_pack("{s:s,s:s?,s:I,s:I,s:I}", "area", g->key, "name", g->name, "total",
                                         (json_int_t)g->total, "open", (json_int_t)g->open, "overdue",
                                         (json_int_t)g->overdue));
    return 0;
}

typedef struct {
    json_t *per;
    const char *field; /* "created" or "closed" */
} day_put;

static int put_day(const char *d, int64_t n, void *arg) {
    day_put *p = arg;
    size_t i;
    json_t *row;
    json_array_foreach(p->per, i, row) {
        if (!strcmp(json_string_value(json_object_get(row, "day")), d)) {
            json_object_set_new(row, p->field, json_integer(n));
            break;
        }
    }
    return 0;
}

static jc_err stats_build(jc_conn *c, const stats_scope *sc, int days, json_t *o) {
    const stats_store_ops *db = stats_store(c);
    if (!db) return JC_ERR_UNAVAILABLE;
    /* by state: every state, zeros included */
    json_t *bs = json_object();
    json_object_set_new(o, "by_state", bs);
    for (int i = 0; i < ST__COUNT; i++) json_object_set_new(bs, state_name((jc_state)i), json_integer(0));
    jc_err e = db->by_state(c, sc, put_state, bs);
    if (e) return e;

    stats_totals t;
    if ((e = db->totals(c, sc, &t))) return e;
    json_t *tot = json_pack("{s:I,s:I,s:I,s:I,s:I}", "total", (json_int_t)t.total, "open", (json_int_t)t.open,
                            "overdue", (json_int_t)t.overdue, "escalated", (json_int_t)t.escalated, "ownerless",
                            (json_int_t)t.ownerless);
    json_object_set_new(o, "totals", tot);

    json_t *cats = json_array();
    json_object_set_new(o, "by_category", cats);
    if ((e = db->by_category(c, sc, put_category, cats))) return e;
    json_t *comms = json_array();
    json_object_set_new(o, "by_community", comms);
    if ((e = db->by_community(c, sc, put_community, comms))) return e;

    /* per local day over the window, oldest first */
    int64_t now = jc_now_ms();
    int64_t day_ms = 86400000;
    int64_t today0 = ((now + 28800000) / day_ms) * day_ms - 28800000; /* local midnight, UTC ms */
    int64_t from = today0 - (int64_t)(days - 1) * day_ms;
    json_t *per = json_array();
    json_object_set_new(o, "per_day", per);
    for (int i = 0; i < days; i++) {
        char d[16];
        local_day(from + (int64_t)i * day_ms, d);
        json_array_append_new(per, json_pack("{s:s,s:i,s:i}", "day", d, "created", 0, "closed", 0));
    }
    for (int pass = 0; pass < 2; pass++) {
        day_put p = {per, pass ? "closed" : "created"};
        if ((e = db->per_day(c, sc, from, pass, put_day, &p))) return e;
    }
    char f[16], to[16];
    local_day(from, f);
    local_day(now, to);
    json_object_set_new(o, "from", json_string(f));
    json_object_set_new(o, "to", json_string(to));

    /* alarms and warnings: by area only (they have no department/reporter) */
    int64_t alarms = 0, warns = 0;
    if (!sc->dept && !sc->reporter) {
        if ((e = sensor_alarms_active(c, sc->area, &alarms))) return e;
        if ((e = warning_open_count(c, sc->area, &warns))) return e;
    }
    json_object_set_new(tot, "alarms_active", json_integer(alarms));
    json_object_set_new(tot, "warnings_open", json_integer(warns));
    return JC_OK;
}

static void h_stats(jc_req *r) {
    char area[32] = "", tmp[32];
    int64_t days = 30;
    if (http_query(r, "days", tmp, sizeof tmp) && (jc_parse_i64(tmp, &days) || days < 1 || days > 366))
        return http_reply_error(r, JC_ERR_INVALID, "days must be 1..366");
    http_query(r, "area", area, sizeof area);
    for (const char *p = area; *p; p++)
        if (*p < '0' || *p > '9') return http_reply_error(r, JC_ERR_INVALID, "area must be a code (digits)");
    stats_scope sc = {{0}, 0, 0};
    const jc_user *u = &r->user;
    switch (u->role) {
    case ROLE_RESIDENT: sc.reporter = u->id; break;
    case ROLE_DEPT_STAFF: sc.dept = u->dept_id ? u->dept_id : -1; break;
    case ROLE_ADMIN: break;
    default:
        if (!area[0] || !has_prefix(area, u->area)) snprintf(area, sizeof area, "%s", u->area);
        break;
    }
    snprintf(sc.area, sizeof sc.area, "%s", area);
    json_t *o = json_object();
    json_object_set_new(o, "area", sc.area[0] ? json_string(sc.area) : json_null());
    json_object_set_new(o, "days", json_integer(days));
    jc_err e = stats_build(r->db, &sc, (int)days, o);
    if (e) {
        json_decref(o);
        return http_reply_error(r, e, "statistics failed");
    }
    http_reply_json(r, 200, o);
}

static const jc_route stats_routes[] = {
    {"GET", "/api/v1/stats", h_stats, ACCESS_USER, NULL},
};

static const jc_route_table stats_table = {stats_routes, JC_ARRAY_LEN(stats_routes)};

/* The stats module's row (src/modules.c). */
const jc_module module_stats = {
    .name = "stats",
    .routes = {&stats_table},
    .store = {[JC_STORE_SQLITE] = &stats_store_sqlite},
};
