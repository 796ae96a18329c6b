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
#include "store_sqlite.h"
#include "http.h"
#include "module.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define OPEN_SQL "state NOT IN('closed','rated','voided','merged')"
/* The scope of the caller, as bound parameters: ?1 area prefix ('' any),
 * ?2 department (0 any), ?3 reporter (0 any). */
#define SCOPE_SQL                                                                       \
    "(?1 = '' OR (area >= ?1 AND area < ?1 || 'z')) AND (?2 = 0 OR dept_id = ?2) AND " \
    "(?3 = 0 OR reporter_id = ?3)"

typedef struct {
    char area[32];
    int64_t dept, reporter;
} stats_scope;

static int has_prefix(const char *s, const char *p) { return *p && !strncmp(s, p, strlen(p)); }

static void bind_scope(sqlite3_stmt *s, const stats_scope *sc) {
    sqlite3_bind_text(s, 1, sc->area, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, sc->dept);
    sqlite3_bind_int64(s, 3, sc->reporter);
}

static int table_exists(sqlite3 *db, const char *name) {
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", -1, &s, NULL))
        return 0;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int ok = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return ok;
}

static const char sql_states[] =
    "SELECT state, count(*) FROM cases WHERE " SCOPE_SQL " GROUP BY state";
static const char sql_totals[] =
    "SELECT count(*), coalesce(sum(" OPEN_SQL "),0),"
    " coalesce(sum(" OPEN_SQL " AND (flags & 4) != 0),0),"
    " coalesce(sum(" OPEN_SQL " AND escalation > 0),0),"
    " coalesce(sum(" OPEN_SQL " AND (flags & 1) != 0),0)"
    " FROM cases WHERE " SCOPE_SQL;
static const char sql_cats[] =
    "SELECT c.category, k.name, count(*), coalesce(sum(" OPEN_SQL "),0)"
    " FROM cases c LEFT JOIN categories k ON k.code = c.category"
    " WHERE " SCOPE_SQL " GROUP BY c.category ORDER BY c.category";
static const char sql_comms[] =
    "SELECT substr(c.area,1,12) AS comm, a.name, count(*), coalesce(sum(" OPEN_SQL "),0),"
    " coalesce(sum(" OPEN_SQL " AND (flags & 4) != 0),0)"
    " FROM cases c LEFT JOIN areas a ON a.code = substr(c.area,1,12)"
    " WHERE " SCOPE_SQL " GROUP BY comm ORDER BY comm";
static const char sql_created[] =
    "SELECT date((created_at + 28800000) / 1000, 'unixepoch') AS d, count(*) FROM cases"
    " WHERE " SCOPE_SQL " AND created_at >= ?4 GROUP BY d";
static const char sql_closed[] =
    "SELECT date((a.at + 28800000) / 1000, 'unixepoch') AS d, count(*) FROM audit a"
    " JOIN cases c ON c.id = a.case_id"
    " WHERE a.to_state = 'closed' AND a.from_state <> 'closed' AND a.at >= ?4 AND " SCOPE_SQL
    " GROUP BY d";
static const char sql_alarms[] =
    "SELECT count(*) FROM alarms WHERE state <> 'cleared' AND (?1 = '' OR (grid >= ?1 AND grid < ?1 || 'z'))";
static const char sql_warnings[] =
    "SELECT count(*) FROM warnings WHERE state = 'open' AND (?1 = '' OR (area >= ?1 AND area < ?1 || 'z'))";

/* Local (Asia/Shanghai) date "YYYY-MM-DD" of ms. */
static void local_day(int64_t ms, char out[16]) {
    char buf[40];
    jc_fmt_local(ms, buf, sizeof buf);
    snprintf(out, 16, "%.10s", buf);
}

static jc_err stats_build(sqlite3 *db, const stats_scope *sc, int days, json_t *o) {
    sqlite3_stmt *s = NULL;
    jc_err e = JC_OK;
#define PREP(sql)                                                            \
    do {                                                                     \
        if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {        \
            jc_log(JC_LOG_ERROR, "stats: %s", sqlite3_errmsg(db));           \
            return JC_ERR_DB;                                                \
        }                                                                    \
        bind_scope(s, sc);                                                   \
    } while (0)
#define TEXT(i) ((const char *)sqlite3_column_text(s, i))
    /* by state: every state, zeros included */
    json_t *bs = json_object();
    json_object_set_new(o, "by_state", bs);
    for (int i = 0; i < ST__COUNT; i++) json_object_set_new(bs, state_name((jc_state)i), json_integer(0));
    PREP(sql_states);
    while (sqlite3_step(s) == SQLITE_ROW)
        if (TEXT(0)) json_object_set_new(bs, TEXT(0), json_integer(sqlite3_column_int64(s, 1)));
    sqlite3_finalize(s);

    PREP(sql_totals);
    json_t *tot = json_object();
    json_object_set_new(o, "totals", tot);
    if (sqlite3_step(s) == SQLITE_ROW) {
        static const char *names[] = {"total", "open", "overdue", "escalated", "ownerless"};
        for (int i = 0; i < 5; i++) json_object_set_new(tot, names[i], json_integer(sqlite3_column_int64(s, i)));
    }
    sqlite3_finalize(s);

    PREP(sql_cats);
    json_t *cats = json_array();
    json_object_set_new(o, "by_category", cats);
    while (sqlite3_step(s) == SQLITE_ROW)
        json_array_append_new(cats, json_pack("{s:s,s:s?,s:I,s:I}", "category", TEXT(0) ? TEXT(0) : "",
                                              "name", TEXT(1), "total", (json_int_t)sqlite3_column_int64(s, 2),
                                              "open", (json_int_t)sqlite3_column_int64(s, 3)));
    sqlite3_finalize(s);

    PREP(sql_comms);
    json_t *comms = json_array();
    json_object_set_new(o, "by_community", comms);
    while (sqlite3_step(s) == SQLITE_ROW)
        json_array_append_new(comms, json_pack("{s:s,s:s?,s:I,s:I,s:I}", "area", TEXT(0) ? TEXT(0) : "",
                                               "name", TEXT(1), "total", (json_int_t)sqlite3_column_int64(s, 2),
                                               "open", (json_int_t)sqlite3_column_int64(s, 3), "overdue",
                                               (json_int_t)sqlite3_column_int64(s, 4)));
    sqlite3_finalize(s);

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
        PREP(pass ? sql_closed : sql_created);
        sqlite3_bind_int64(s, 4, from);
        while (sqlite3_step(s) == SQLITE_ROW) {
            const char *d = TEXT(0);
            if (!d) continue;
            size_t i;
            json_t *row;
            json_array_foreach(per, i, row) {
                if (!strcmp(json_string_value(json_object_get(row, "day")), d)) {
                    json_object_set_new(row, pass ? "closed" : "created", json_integer(sqlite3_column_int64(s, 1)));
                    break;
                }
            }
        }
        sqlite3_finalize(s);
    }
    char f[16], t[16];
    local_day(from, f);
    local_day(now, t);
    json_object_set_new(o, "from", json_string(f));
    json_object_set_new(o, "to", json_string(t));

    /* alarms and warnings: by area only (they have no department/reporter) */
    json_int_t alarms = 0, warns = 0;
    if (!sc->dept && !sc->reporter) {
        if (table_exists(db, "alarms")) {
            PREP(sql_alarms);
            if (sqlite3_step(s) == SQLITE_ROW) alarms = sqlite3_column_int64(s, 0);
            sqlite3_finalize(s);
        }
        if (table_exists(db, "warnings")) {
            PREP(sql_warnings);
            if (sqlite3_step(s) == SQLITE_ROW) warns = sqlite3_column_int64(s, 0);
            sqlite3_finalize(s);
        }
    }
    json_object_set_new(tot, "alarms_active", json_integer(alarms));
    json_object_set_new(tot, "warnings_open", json_integer(warns));
#undef PREP
#undef TEXT
    return e;
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
    jc_err e = stats_build(store_sqlite_db(r->db), &sc, (int)days, o);
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
};
