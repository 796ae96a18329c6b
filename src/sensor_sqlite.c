/*
 * sensor_sqlite.c -- the SQLite half of module "sensor": its tables, and all
 * that runs on the writer: storing readings with their minute/hour
 * aggregates, evaluating alarm rules, the alarm lifecycle, grouping alarms of
 * one grid into one case, silences, the offline/inactivity ticker and
 * retention trims.
 *
 * Design notes.
 *  - Everything here runs on the single writer thread inside the writer's
 *    transaction, so the rule cache (RC) and the device table (D) need no
 *    lock: they are the store's own (store_writer_state, asserted to run on
 *    its writer), reached at every entry through mem_enter(w); the rules
 *    are loaded on first use and dropped by sensor__rules_changed().
 *  - Statements are prepared per call (a batch of readings prepares each one
 *    once) and finalized before returning, so no statement outlives its
 *    connection.
 *  - One open alarm per (device, rule) is enforced by a partial unique index;
 *    a repeat bumps count and last_at.
 *  - Readings become minute aggregates (hours are rolled up by the tick) and
 *    raw rows only around alarms; the writer's in-memory device table (see
 *    its section) makes a reading cost no SELECT.
 */
#include "sensor_int.h"

#include "auth.h"
#include "case.h"
#include "intake.h"
#include "reason.h"
#include "store_sqlite.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- schema --------------------------------------------------------------- */

#define RULE(type, metric, kind, high, low, rate, wf, wt, dur, k, sev, oc, cat, name)              \
    "INSERT INTO alarm_rules(type,device,metric,kind,high,low,rate,win_from,win_to,duration_s,k,"   \
    "severity,opens_case,category,enabled,name,updated_at) VALUES('" type "','','" metric "','" kind \
    "'," high "," low "," rate "," wf "," wt "," dur "," k ",'" sev "'," oc ",'" cat "',1,'" name "',0);"
#define OFFLINE_BATTERY(type)                                                                       \
    RULE(type, "", "offline", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "3", "minor", "0", "",  \
         "设备离线 offline")                                                                          \
    RULE(type, "battery", "battery", "30", "20", "NULL", "NULL", "NULL", "NULL", "NULL", "info", "0", \
         "", "电量低 low battery")

static const char *const sensor_migrations[] = {
    "CREATE TABLE devices(id TEXT PRIMARY KEY, type TEXT NOT NULL, lon REAL, lat REAL,"
    "  grid TEXT NOT NULL, dept TEXT NOT NULL DEFAULT '', person_ref TEXT NOT NULL DEFAULT '',"
    "  person_label TEXT NOT NULL DEFAULT '', label TEXT NOT NULL DEFAULT '', installed_at INTEGER,"
    "  heartbeat_s INTEGER NOT NULL DEFAULT 300, battery REAL, last_seen INTEGER,"
    "  online INTEGER NOT NULL DEFAULT 0, offline_due INTEGER, keep_until INTEGER NOT NULL DEFAULT 0,"
    "  token_hash TEXT, created_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX devices_grid ON devices(grid);"
    "CREATE INDEX devices_type ON devices(type);"
    "CREATE INDEX devices_offline ON devices(offline_due) WHERE online=1;"
    "CREATE TABLE device_state(device TEXT NOT NULL, metric TEXT NOT NULL, value REAL,"
    "  at INTEGER, active_at INTEGER, PRIMARY KEY(device, metric)) WITHOUT ROWID;"
    "CREATE TABLE readings(id INTEGER PRIMARY KEY, device TEXT NOT NULL, metric TEXT NOT NULL,"
    "  at INTEGER NOT NULL, value REAL NOT NULL, keep INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX readings_dev ON readings(device, at);"
    "CREATE INDEX readings_trim ON readings(keep, at);"
    "CREATE TABLE reading_agg(device TEXT NOT NULL, metric TEXT NOT NULL, res INTEGER NOT NULL,"
    "  bucket INTEGER NOT NULL, n INTEGER NOT NULL, min REAL, max REAL, sum REAL, last REAL,"
    "  last_at INTEGER, PRIMARY KEY(device, metric, res, bucket)) WITHOUT ROWID;"
    "CREATE INDEX reading_agg_trim ON reading_agg(res, bucket);"
    "CREATE TABLE alarm_rules(id INTEGER PRIMARY KEY, type TEXT NOT NULL, device TEXT NOT NULL DEFAULT '',"
    "  metric TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL, high REAL, low REAL, rate REAL,"
    "  win_from INTEGER, win_to INTEGER, duration_s INTEGER, k REAL, severity TEXT NOT NULL,"
    "  opens_case INTEGER NOT NULL DEFAULT 1, category TEXT NOT NULL DEFAULT '',"
    "  enabled INTEGER NOT NULL DEFAULT 1, name TEXT NOT NULL DEFAULT '', updated_at INTEGER);"
    "CREATE TABLE alarms(id INTEGER PRIMARY KEY, device TEXT NOT NULL, rule_id INTEGER NOT NULL,"
    "  kind TEXT NOT NULL, metric TEXT NOT NULL, severity TEXT NOT NULL, state TEXT NOT NULL,"
    "  value REAL, count INTEGER NOT NULL, first_at INTEGER NOT NULL, last_at INTEGER NOT NULL,"
    "  acked_at INTEGER, acked_by TEXT, cleared_at INTEGER, cleared_by TEXT, clear_reason TEXT,"
    "  grid TEXT NOT NULL, category TEXT NOT NULL DEFAULT '', case_id INTEGER,"
    "  created_at INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX alarms_open ON alarms(device, rule_id) WHERE state <> 'cleared';"
    "CREATE INDEX alarms_state ON alarms(state, id);"
    "CREATE INDEX alarms_group ON alarms(grid, category, first_at) WHERE case_id IS NOT NULL;"
    "CREATE TABLE silences(id INTEGER PRIMARY KEY, device TEXT, grid TEXT, type TEXT,"
    "  from_at INTEGER NOT NULL, until_at INTEGER NOT NULL, reason TEXT NOT NULL,"
    "  created_by TEXT NOT NULL, created_at INTEGER NOT NULL, suppressed INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX silences_until ON silences(until_at);"
    "CREATE TABLE sensor_settings(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT INTO sensor_settings VALUES('group_window_s',600),('raw_retention_s',86400),"
    "  ('minute_retention_s',604800),('hour_retention_s',34560000),"
    "  ('alarm_raw_retention_s',7776000),('inactivity_scan_s',30);"
    RULE("smoke", "smoke", "threshold", "1", "0", "NULL", "NULL", "NULL", "NULL", "NULL", "critical", "1", "0603", "烟感报警 smoke")
    RULE("gas", "gas", "threshold", "20", "10", "NULL", "NULL", "NULL", "NULL", "NULL", "critical", "1", "0701", "可燃气体超限 gas %LEL")
    RULE("gas", "gas", "rate", "NULL", "NULL", "10", "NULL", "NULL", "NULL", "NULL", "major", "1", "0701", "可燃气体快速上升 gas rising")
    RULE("water_level", "level", "threshold", "30", "20", "NULL", "NULL", "NULL", "NULL", "NULL", "major", "1", "0501", "积水超警戒 water level cm")
    RULE("water_level", "level", "rate", "NULL", "NULL", "5", "NULL", "NULL", "NULL", "NULL", "major", "1", "0501", "积水快速上涨 water rising")
    RULE("manhole_tilt", "tilt", "threshold", "15", "5", "NULL", "NULL", "NULL", "NULL", "NULL", "major", "1", "0201", "井盖倾斜 manhole tilt")
    RULE("door_contact", "door", "inactivity", "NULL", "NULL", "NULL", "420", "1320", "43200", "NULL", "major", "1", "0901", "门磁12小时未开 door not opened")
    RULE("ebike_charging", "current", "threshold", "10", "8", "NULL", "NULL", "NULL", "NULL", "NULL", "critical", "1", "0602", "电动车充电过流 overcurrent")
    RULE("noise", "db", "threshold", "70", "60", "NULL", "NULL", "NULL", "NULL", "NULL", "minor", "1", "0301", "噪声超标 noise dB")
    OFFLINE_BATTERY("smoke") OFFLINE_BATTERY("gas") OFFLINE_BATTERY("water_level")
    OFFLINE_BATTERY("manhole_tilt") OFFLINE_BATTERY("door_contact") OFFLINE_BATTERY("ebike_charging")
    OFFLINE_BATTERY("noise") OFFLINE_BATTERY("generic"),
    /* 2: hour aggregates are rolled up from minute ones by the ticker; the
     * mark starts now (older minutes were already added to their hours). */
    "CREATE TABLE sensor_rollup(id INTEGER PRIMARY KEY CHECK(id=1), bucket INTEGER NOT NULL,"
    "  device TEXT NOT NULL, metric TEXT NOT NULL);"
    "INSERT INTO sensor_rollup VALUES(1, CAST(strftime('%s','now') AS INTEGER) / 60 * 60000, '', '');",
    /* 3: the default rules' names in Chinese only: a person reads them in
     * the alarms, the designer and the titles of the cases they open (a
     * rule renamed by staff keeps its name) */
    "UPDATE alarm_rules SET name = CASE name"
    "  WHEN '烟感报警 smoke' THEN '烟感报警' WHEN '可燃气体超限 gas %LEL' THEN '可燃气体超限'"
    "  WHEN '可燃气体快速上升 gas rising' THEN '可燃气体快速上升' WHEN '积水超警戒 water level cm' THEN '积水超警戒'"
    "  WHEN '积水快速上涨 water rising' THEN '积水快速上涨' WHEN '井盖倾斜 manhole tilt' THEN '井盖倾斜'"
    "  WHEN '门磁12小时未开 door not opened' THEN '门磁12小时未开' WHEN '电动车充电过流 overcurrent' THEN '电动车充电过流'"
    "  WHEN '噪声超标 noise dB' THEN '噪声超标' WHEN '设备离线 offline' THEN '设备离线' WHEN '电量低 low battery' THEN '电量低'"
    "  ELSE name END;",
};

const jc_schema schema_sensor = {"sensor", sensor_migrations, (int)JC_ARRAY_LEN(sensor_migrations)};

/* ---- statements ------------------------------------------------------------ */

#define QN 56
typedef struct {
    sqlite3 *db;
    sqlite3_stmt *q[QN];
} sx;

static void sx_init(sx *x, jc_conn *c) {
    memset(x, 0, sizeof *x);
    x->db = store_sqlite_db(c);
}
static void sx_done(sx *x) {
    for (int i = 0; i < QN; i++) sqlite3_finalize(x->q[i]);
}
/* The statement in slot i, prepared on first use, reset afterwards. */
static sqlite3_stmt *q(sx *x, int i, const char *sql) {
    if (!x->q[i]) {
        if (sqlite3_prepare_v2(x->db, sql, -1, &x->q[i], NULL) != SQLITE_OK) {
            jc_log(JC_LOG_ERROR, "sensor: prepare: %s: %s", sqlite3_errmsg(x->db), sql);
            return NULL;
        }
    } else {
        sqlite3_reset(x->q[i]);
        sqlite3_clear_bindings(x->q[i]);
    }
    return x->q[i];
}
static jc_err run(sx *x, sqlite3_stmt *s, const char *what) {
    if (!s) return JC_ERR_DB;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_CONSTRAINT) return JC_ERR_CONFLICT;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return sq_fail(x->db, "sensor", what);
    return JC_OK;
}

/* ---- settings --------------------------------------------------------------- */

static int64_t setting(sx *x, int slot, const char *key, int64_t dflt) {
    sqlite3_stmt *s = q(x, slot, "SELECT value FROM sensor_settings WHERE key=?");
    if (!s) return dflt;
    sq_bind_text(s, 1, key);
    return sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : dflt;
}

jc_err sensor__setting_put(jc_conn *w, const char *key, int64_t value) {
    sx x;
    sx_init(&x, w);
    sqlite3_stmt *s = q(&x, 0, "UPDATE sensor_settings SET value=? WHERE key=?");
    jc_err e = JC_ERR_DB;
    if (s) {
        sqlite3_bind_int64(s, 1, value);
        sq_bind_text(s, 2, key);
        e = run(&x, s, "setting");
        if (!e && sqlite3_changes(x.db) == 0) e = JC_ERR_NOTFOUND;
    }
    sx_done(&x);
    return e;
}

jc_err sensor__settings_json(jc_conn *c, json_t **out) {
    sx x;
    sx_init(&x, c);
    sqlite3_stmt *s = q(&x, 0, "SELECT key, value FROM sensor_settings ORDER BY key");
    if (!s) return sx_done(&x), JC_ERR_DB;
    json_t *o = json_object();
    while (sqlite3_step(s) == SQLITE_ROW)
        json_object_set_new(o, (const char *)sqlite3_column_text(s, 0), json_integer(sqlite3_column_int64(s, 1)));
    sx_done(&x);
    *out = o;
    return JC_OK;
}

/* ---- rules -------------------------------------------------------------------- */

#define RULE_COLS "id,type,device,metric,kind,high,low,rate,win_from,win_to,duration_s,k,severity," \
                  "opens_case,category,enabled,name"

static void read_rule(sqlite3_stmt *s, alarm_rule *r) {
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(s, 0);
    sq_col_copy(s, 1, r->type, sizeof r->type);
    sq_col_copy(s, 2, r->device, sizeof r->device);
    sq_col_copy(s, 3, r->metric, sizeof r->metric);
    r->kind = (alarm_kind)alarm_kind_parse((const char *)sqlite3_column_text(s, 4));
    r->high = sqlite3_column_type(s, 5) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 5);
    r->low = sqlite3_column_type(s, 6) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 6);
    r->rate = sqlite3_column_type(s, 7) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 7);
    r->win_from = sqlite3_column_type(s, 8) == SQLITE_NULL ? ALARM_NO_WINDOW : sqlite3_column_int(s, 8);
    r->win_to = sqlite3_column_type(s, 9) == SQLITE_NULL ? ALARM_NO_WINDOW : sqlite3_column_int(s, 9);
    r->duration_s = sqlite3_column_int64(s, 10);
    r->k = sqlite3_column_type(s, 11) == SQLITE_NULL ? 3 : sqlite3_column_double(s, 11);
    r->severity = (alarm_severity)alarm_severity_parse((const char *)sqlite3_column_text(s, 12));
    r->opens_case = sqlite3_column_int(s, 13);
    sq_col_copy(s, 14, r->category, sizeof r->category);
    r->enabled = sqlite3_column_int(s, 15);
    sq_col_copy(s, 16, r->name, sizeof r->name);
}

static void bind_num_or_null(sqlite3_stmt *s, int i, double v) {
    if (isfinite(v)) sqlite3_bind_double(s, i, v);
    else sqlite3_bind_null(s, i);
}

jc_err sensor__rule_put(jc_conn *w, alarm_rule *r, int create) {
    sx x;
    sx_init(&x, w);
    sqlite3_stmt *s = create
        ? q(&x, 0, "INSERT INTO alarm_rules(type,device,metric,kind,high,low,rate,win_from,win_to,"
                   "duration_s,k,severity,opens_case,category,enabled,name,updated_at)"
                   " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)")
        : q(&x, 0, "UPDATE alarm_rules SET type=?1,device=?2,metric=?3,kind=?4,high=?5,low=?6,rate=?7,"
                   "win_from=?8,win_to=?9,duration_s=?10,k=?11,severity=?12,opens_case=?13,category=?14,"
                   "enabled=?15,name=?16,updated_at=?17 WHERE id=?18");
    if (!s) return sx_done(&x), JC_ERR_DB;
    sq_bind_text(s, 1, r->type);
    sq_bind_text(s, 2, r->device);
    sq_bind_text(s, 3, r->kind == AK_OFFLINE ? "" : r->metric);
    sq_bind_text(s, 4, alarm_kind_name(r->kind));
    bind_num_or_null(s, 5, r->high);
    bind_num_or_null(s, 6, r->low);
    bind_num_or_null(s, 7, r->rate);
    if (r->win_from != ALARM_NO_WINDOW) sqlite3_bind_int(s, 8, r->win_from);
    if (r->win_to != ALARM_NO_WINDOW) sqlite3_bind_int(s, 9, r->win_to);
    sqlite3_bind_int64(s, 10, r->duration_s);
    bind_num_or_null(s, 11, r->k);
    sq_bind_text(s, 12, alarm_severity_name(r->severity));
    sqlite3_bind_int(s, 13, r->opens_case);
    sq_bind_text(s, 14, r->category);
    sqlite3_bind_int(s, 15, r->enabled);
    sq_bind_text(s, 16, r->name);
    sqlite3_bind_int64(s, 17, jc_now_ms());
    if (!create) sqlite3_bind_int64(s, 18, r->id);
    jc_err e = run(&x, s, "rule put");
    if (!e && create) r->id = sqlite3_last_insert_rowid(x.db);
    if (!e && !create && sqlite3_changes(x.db) == 0) e = JC_ERR_NOTFOUND;
    sx_done(&x);
    sensor__rules_changed();
    return e;
}

jc_err sensor__rule_get(jc_conn *c, int64_t id, alarm_rule *out) {
    sx x;
    sx_init(&x, c);
    sqlite3_stmt *s = q(&x, 0, "SELECT " RULE_COLS " FROM alarm_rules WHERE id=?");
    jc_err e = JC_ERR_DB;
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) read_rule(s, out), e = JC_OK;
        else e = rc == SQLITE_DONE ? JC_ERR_NOTFOUND : sq_fail(x.db, "sensor", "rule get");
    }
    sx_done(&x);
    return e;
}

jc_err sensor__rule_delete(jc_conn *w, int64_t id) {
    sx x;
    sx_init(&x, w);
    sqlite3_stmt *s = q(&x, 0, "DELETE FROM alarm_rules WHERE id=?");
    jc_err e = JC_ERR_DB;
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        e = run(&x, s, "rule delete");
        if (!e && sqlite3_changes(x.db) == 0) e = JC_ERR_NOTFOUND;
    }
    sx_done(&x);
    sensor__rules_changed();
    return e;
}

static void hhmm(int min, char *out, size_t n) { snprintf(out, n, "%02d:%02d", min / 60, min % 60); }

json_t *sensor__rule_json(const alarm_rule *r) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "type", json_string(r->type));
    json_object_set_new(o, "device", r->device[0] ? json_string(r->device) : json_null());
    json_object_set_new(o, "metric", r->metric[0] ? json_string(r->metric) : json_null());
    json_object_set_new(o, "kind", json_string(alarm_kind_name(r->kind)));
    if (isfinite(r->high)) json_object_set_new(o, "high", json_real(r->high));
    if (isfinite(r->low)) json_object_set_new(o, "low", json_real(r->low));
    if (isfinite(r->rate)) json_object_set_new(o, "rate", json_real(r->rate));
    if (r->kind == AK_INACTIVITY) {
        json_object_set_new(o, "duration_s", json_integer(r->duration_s));
        if (r->win_from != ALARM_NO_WINDOW) {
            char a[24], b[24];
            hhmm(r->win_from, a, sizeof a);
            hhmm(r->win_to, b, sizeof b);
            json_object_set_new(o, "window", json_pack("{s:s,s:s}", "from", a, "to", b));
        }
    }
    if (r->kind == AK_OFFLINE) json_object_set_new(o, "k", json_real(r->k));
    json_object_set_new(o, "severity", json_string(alarm_severity_name(r->severity)));
    json_object_set_new(o, "opens_case", json_boolean(r->opens_case));
    json_object_set_new(o, "category", json_string(alarm_case_category(r)));
    json_object_set_new(o, "enabled", json_boolean(r->enabled));
    json_object_set_new(o, "name", json_string(r->name));
    return o;
}

jc_err sensor__rule_list(jc_conn *c, json_t **out) {
    sx x;
    sx_init(&x, c);
    sqlite3_stmt *s = q(&x, 0, "SELECT " RULE_COLS " FROM alarm_rules ORDER BY type, device, id");
    if (!s) return sx_done(&x), JC_ERR_DB;
    json_t *a = json_array();
    alarm_rule r;
    while (sqlite3_step(s) == SQLITE_ROW) {
        read_rule(s, &r);
        json_array_append_new(a, sensor__rule_json(&r));
    }
    sx_done(&x);
    *out = a;
    return JC_OK;
}

/* The writer's cache of enabled rules: one per store, kept on its writer
 * (store_writer_state, which asserts the writer thread); mem_enter points
 * the writer thread's RC (and D, the device table below) at its store's at
 * every entry on the writer. */
typedef struct {
    alarm_rule *v;
    size_t n;
    int loaded;
} rule_cache;
static _Thread_local rule_cache *RC;
static const char rc_key;

static void rc_free(void *p) { free(((rule_cache *)p)->v); }

void sensor__rules_changed(void) {
    if (RC) RC->loaded = 0; /* none yet on this thread: nothing was loaded */
}

static jc_err rules_load(sx *x) {
    if (RC->loaded) return JC_OK;
    sqlite3_stmt *s = q(x, 39, "SELECT " RULE_COLS " FROM alarm_rules WHERE enabled=1 ORDER BY id");
    if (!s) return JC_ERR_DB;
    size_t n = 0, cap = 64;
    alarm_rule *v = malloc(cap * sizeof *v);
    if (!v) return JC_ERR_NOMEM;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n == cap) {
            alarm_rule *nv = realloc(v, 2 * cap * sizeof *v);
            if (!nv) return free(v), JC_ERR_NOMEM;
            v = nv, cap *= 2;
        }
        read_rule(s, &v[n]);
        if ((int)v[n].kind >= 0 && (int)v[n].severity >= 0) n++;
    }
    free(RC->v);
    RC->v = v, RC->n = n, RC->loaded = 1;
    return JC_OK;
}

/* The rules in force for a device: its own overrides, then the type's rules
 * not overridden (same kind and metric).  Pointers into the cache. */
static size_t dev_rules(const char *type, const char *id, const alarm_rule **out, size_t max) {
    size_t n = 0;
    for (size_t i = 0; i < RC->n && n < max; i++)
        if (!strcmp(RC->v[i].type, type) && !strcmp(RC->v[i].device, id)) out[n++] = &RC->v[i];
    size_t own = n;
    for (size_t i = 0; i < RC->n && n < max; i++) {
        const alarm_rule *r = &RC->v[i];
        if (r->device[0] || strcmp(r->type, type)) continue;
        int over = 0;
        for (size_t j = 0; j < own; j++)
            if (out[j]->kind == r->kind && !strcmp(out[j]->metric, r->metric)) over = 1;
        if (!over) out[n++] = r;
    }
    return n;
}

/* ---- the writer's device table ------------------------------------------------------ */
/*
 * Every registered device has an entry here, loaded in one scan on first use
 * (sensor__warm, called by the ticker), so ingesting a reading runs no SELECT.
 * Only the writer thread touches it, so it needs no lock.  What lives only in
 * memory, and why that is safe:
 *  - last_seen and battery are written back to `devices` lazily: when online
 *    flips, keep_until moves, battery moves by 1 or more, or last_seen is
 *    SEEN_SLACK_MS past the stored one.  The stored offline_due is therefore
 *    never later than the true one; the offline tick checks its candidates
 *    against this table before raising anything.
 *  - the last RAW_RING values of each device: the raw readings written out
 *    when an alarm is raised, repeated or cleared (the window before it).
 *  - minute aggregates not yet written: flushed at the end of every ingest
 *    call, so inside the same transaction as the reading.
 *  - has_open: the device MAY have a non-cleared alarm (a superset: set on
 *    every insert, reset only when the query finds none).
 * Entries are invalidated when a device is changed or deleted (reloaded from
 * the database on next use), and the whole table is reloaded after anything
 * rolled back (a failed ingest or tick job, or a rollback of the writer's
 * transaction, caught by sqlite3_rollback_hook), so memory is never ahead of
 * the database.
 */

#define RAW_RING 8               /* raw values remembered per device */
#define SEEN_SLACK_MS 60000      /* stored last_seen may lag this much */
#define DEV_MAX_METRICS 32       /* distinct metrics tracked per device */

typedef struct {
    char name[32];
    int has_value, dirty_state;   /* dirty_state: its device_state row is to be written */
    double value;                 /* the latest value (at), for rate rules */
    int64_t at, active_at;        /* active_at: the latest non-zero value (inactivity) */
    int64_t bucket, n;            /* minute aggregate not yet written (n = 0: none) */
    double min, max, sum, last;
    int64_t last_at;
} dev_metric;

typedef struct {
    int64_t at;
    double v;
    int m; /* index into dev.m; -1 = empty */
} raw_value;

typedef struct {
    char id[64], type[24];
    int valid;                     /* 0: reload from the database on next use */
    int64_t heartbeat_s, last_seen, offline_due, keep_until;
    double battery;
    int has_battery, online, has_open, dirty;
    int rewrite;                   /* write the device row at the next flush */
    int64_t s_seen, s_keep;        /* as stored in devices */
    double s_battery;
    int s_has_battery, s_online;
    int nm;
    dev_metric *m;
    raw_value raw[RAW_RING];
    int raw_next;
} dev;

typedef struct {
    dev **slot; /* open addressing by id; entries are never removed */
    size_t cap, n;
    int loaded, stale;
    dev **dirty; /* entries with something to write at the end of the job */
    size_t ndirty, dirty_cap;
    /* The hour rollup has consumed minute rows before (bucket, device, metric). */
    int64_t roll_bucket;
    char roll_device[64], roll_metric[32];
    int64_t last_inactivity_scan; /* the tick's last scan for inactive devices */
} dev_table;
/* The store's table, on its writer thread (mem_enter): one per store, freed
 * with it. */
static _Thread_local dev_table *D;
static const char dt_key;

static uint64_t id_hash(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static dev **dev_slot(const char *id) {
    size_t i = (size_t)id_hash(id) & (D->cap - 1);
    while (D->slot[i] && strcmp(D->slot[i]->id, id)) i = (i + 1) & (D->cap - 1);
    return &D->slot[i];
}

static void dev_free(dev *d) {
    if (!d) return;
    free(d->m);
    free(d);
}

static void table_clear(dev_table *t) {
    for (size_t i = 0; i < t->cap; i++) dev_free(t->slot[i]);
    free(t->slot);
    free(t->dirty);
    t->slot = NULL, t->dirty = NULL;
    t->cap = t->n = t->ndirty = t->dirty_cap = 0;
    t->loaded = 0;
}

static void table_free(void) { table_clear(D); }

static void dt_free(void *p) { table_clear(p); }

/* Points this writer thread's RC and D at w's store's (every entry on the
 * writer that reaches them calls it first). */
static jc_err mem_enter(jc_conn *w) {
    RC = store_writer_state(w, &rc_key, sizeof *RC, rc_free);
    D = store_writer_state(w, &dt_key, sizeof *D, dt_free);
    return RC && D ? JC_OK : JC_ERR_NOMEM;
}

/* Adds a new entry for id (the caller fills it); NULL when out of memory. */
static dev *dev_add(const char *id) {
    if ((D->n + 1) * 10 >= D->cap * 7) {
        size_t nc = D->cap ? D->cap * 2 : 1024;
        dev **old = D->slot, **nv = calloc(nc, sizeof *nv);
        if (!nv) return NULL;
        size_t oc = D->cap;
        D->slot = nv, D->cap = nc;
        for (size_t i = 0; i < oc; i++)
            if (old[i]) *dev_slot(old[i]->id) = old[i];
        free(old);
    }
    dev *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    snprintf(d->id, sizeof d->id, "%s", id);
    for (int i = 0; i < RAW_RING; i++) d->raw[i].m = -1;
    *dev_slot(id) = d;
    D->n++;
    return d;
}

static dev_metric *dev_metric_get(dev *d, const char *name, int create) {
    for (int i = 0; i < d->nm; i++)
        if (!strcmp(d->m[i].name, name)) return &d->m[i];
    if (!create || d->nm >= DEV_MAX_METRICS) return NULL;
    dev_metric *nv = realloc(d->m, (size_t)(d->nm + 1) * sizeof *nv);
    if (!nv) return NULL;
    d->m = nv;
    dev_metric *m = &d->m[d->nm++];
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    return m;
}

#define MEM_DEV_COLS "id,type,heartbeat_s,coalesce(last_seen,0),online,battery,keep_until"

/* Fills d from a row of MEM_DEV_COLS. */
static void dev_from_row(dev *d, sqlite3_stmt *s) {
    sq_col_copy(s, 1, d->type, sizeof d->type);
    d->heartbeat_s = sqlite3_column_int64(s, 2);
    d->last_seen = d->s_seen = sqlite3_column_int64(s, 3);
    d->online = d->s_online = sqlite3_column_int(s, 4);
    d->has_battery = d->s_has_battery = sqlite3_column_type(s, 5) != SQLITE_NULL;
    d->battery = d->s_battery = sqlite3_column_double(s, 5);
    d->keep_until = d->s_keep = sqlite3_column_int64(s, 6);
    d->offline_due = 0;
    d->valid = 1;
}

static void state_from_row(dev *d, sqlite3_stmt *s) {
    dev_metric *m = dev_metric_get(d, (const char *)sqlite3_column_text(s, 1), 1);
    if (!m) return;
    m->has_value = sqlite3_column_type(s, 2) != SQLITE_NULL;
    m->value = sqlite3_column_double(s, 2);
    m->at = sqlite3_column_int64(s, 3);
    m->active_at = sqlite3_column_int64(s, 4);
}

static void on_rollback(void *arg) { ((dev_table *)arg)->stale = 1; }

/* Loads the whole table (first use, or after a rollback). */
static jc_err table_load(sx *x) {
    table_free();
    D->stale = 0;
    if (!(D->slot = calloc(1024, sizeof *D->slot))) return JC_ERR_NOMEM; /* never empty: dev_slot needs cap > 0 */
    D->cap = 1024;
    sqlite3_rollback_hook(x->db, on_rollback, D);
    sqlite3_stmt *s = q(x, 40, "SELECT " MEM_DEV_COLS " FROM devices");
    if (!s) return JC_ERR_DB;
    while (sqlite3_step(s) == SQLITE_ROW) {
        dev *d = dev_add((const char *)sqlite3_column_text(s, 0));
        if (!d) return table_free(), JC_ERR_NOMEM;
        dev_from_row(d, s);
    }
    s = q(x, 41, "SELECT device,metric,value,at,active_at FROM device_state");
    if (!s) return table_free(), JC_ERR_DB;
    while (sqlite3_step(s) == SQLITE_ROW) {
        dev *d = *dev_slot((const char *)sqlite3_column_text(s, 0));
        if (d) state_from_row(d, s);
    }
    s = q(x, 42, "SELECT DISTINCT device FROM alarms WHERE state IN ('active','acknowledged')");
    if (!s) return table_free(), JC_ERR_DB;
    while (sqlite3_step(s) == SQLITE_ROW) {
        dev *d = *dev_slot((const char *)sqlite3_column_text(s, 0));
        if (d) d->has_open = 1;
    }
    s = q(x, 43, "SELECT bucket, device, metric FROM sensor_rollup");
    if (!s) return table_free(), JC_ERR_DB;
    if (sqlite3_step(s) == SQLITE_ROW) {
        D->roll_bucket = sqlite3_column_int64(s, 0);
        sq_col_copy(s, 1, D->roll_device, sizeof D->roll_device);
        sq_col_copy(s, 2, D->roll_metric, sizeof D->roll_metric);
    }
    D->loaded = 1;
    jc_log(JC_LOG_INFO, "sensor: %zu devices in memory", D->n);
    return JC_OK;
}

static jc_err table_ready(sx *x) {
    if (D->loaded && !D->stale) return JC_OK;
    return table_load(x);
}

/* The entry of a registered device (reloaded if invalidated);
 * JC_ERR_NOTFOUND for an unknown one. */
static jc_err dev_lookup(sx *x, const char *id, dev **out) {
    jc_err e = table_ready(x);
    if (e) return e;
    dev *d = *dev_slot(id);
    if (d && d->valid) return *out = d, JC_OK;
    sqlite3_stmt *s = q(x, 44, "SELECT " MEM_DEV_COLS " FROM devices WHERE id=?");
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? JC_ERR_NOTFOUND : sq_fail(x->db, "sensor", "device load");
    if (!d && !(d = dev_add(id))) return JC_ERR_NOMEM;
    d->nm = 0;
    d->has_open = 1; /* unknown: ask the database once */
    for (int i = 0; i < RAW_RING; i++) d->raw[i].m = -1;
    dev_from_row(d, s);
    sqlite3_reset(s);
    s = q(x, 45, "SELECT device,metric,value,at,active_at FROM device_state WHERE device=?");
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, id);
    while (sqlite3_step(s) == SQLITE_ROW) state_from_row(d, s);
    *out = d;
    return JC_OK;
}

/* Forgets what memory holds about a device (changed or deleted). */
static void dev_invalidate(const char *id) {
    if (!D || !D->loaded) return;
    dev *d = *dev_slot(id);
    if (d) d->valid = 0;
}

static jc_err mark_dirty(dev *d) {
    if (d->dirty) return JC_OK;
    if (D->ndirty == D->dirty_cap) {
        size_t nc = D->dirty_cap ? D->dirty_cap * 2 : 1024;
        dev **nv = realloc(D->dirty, nc * sizeof *nv);
        if (!nv) return JC_ERR_NOMEM;
        D->dirty = nv, D->dirty_cap = nc;
    }
    D->dirty[D->ndirty++] = d;
    d->dirty = 1;
    return JC_OK;
}

/* Adds n values (min, max, sum, last at last_at) to the aggregate of
 * resolution res at bucket. */
static jc_err agg_write(sx *x, const char *dev_id, const char *metric, int64_t res, int64_t bucket, int64_t n,
                        double mn, double mx, double sum, double last, int64_t last_at) {
    sqlite3_stmt *s = q(x, res == 60000 ? 12 : 13,
                        "INSERT INTO reading_agg(device,metric,res,bucket,n,min,max,sum,last,last_at)"
                        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10) ON CONFLICT(device,metric,res,bucket) DO UPDATE SET"
                        " n=n+?5, min=min(min,?6), max=max(max,?7), sum=sum+?8,"
                        " last=CASE WHEN ?10>=last_at THEN ?9 ELSE last END, last_at=max(last_at,?10)");
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, dev_id);
    sq_bind_text(s, 2, metric);
    sqlite3_bind_int64(s, 3, res);
    sqlite3_bind_int64(s, 4, bucket);
    sqlite3_bind_int64(s, 5, n);
    sqlite3_bind_double(s, 6, mn);
    sqlite3_bind_double(s, 7, mx);
    sqlite3_bind_double(s, 8, sum);
    sqlite3_bind_double(s, 9, last);
    sqlite3_bind_int64(s, 10, last_at);
    return run(x, s, "aggregate");
}

/* 1 when the hour rollup has already consumed the minute row (bucket, device, metric). */
static int rolled_up(int64_t bucket, const char *device, const char *metric) {
    if (bucket != D->roll_bucket) return bucket < D->roll_bucket;
    int c = strcmp(device, D->roll_device);
    return c < 0 || (c == 0 && strcmp(metric, D->roll_metric) <= 0);
}

/* Writes the pending minute aggregate of m (and the hour's too when the
 * rollup has passed that minute). */
static jc_err agg_flush(sx *x, const dev *d, dev_metric *m) {
    if (!m->n) return JC_OK;
    jc_err e = agg_write(x, d->id, m->name, 60000, m->bucket, m->n, m->min, m->max, m->sum, m->last, m->last_at);
    if (!e && rolled_up(m->bucket, d->id, m->name))
        e = agg_write(x, d->id, m->name, 3600000, m->bucket - ((m->bucket % 3600000) + 3600000) % 3600000, m->n,
                      m->min, m->max, m->sum, m->last, m->last_at);
    m->n = 0;
    return e;
}

static jc_err agg_add(sx *x, const dev *d, dev_metric *m, int64_t at, double v) {
    int64_t bucket = at - ((at % 60000) + 60000) % 60000;
    if (m->n && m->bucket != bucket) {
        jc_err e = agg_flush(x, d, m);
        if (e) return e;
    }
    if (!m->n) {
        m->bucket = bucket, m->n = 1;
        m->min = m->max = m->sum = m->last = v;
        m->last_at = at;
        return JC_OK;
    }
    m->n++;
    if (v < m->min) m->min = v;
    if (v > m->max) m->max = v;
    m->sum += v;
    if (at >= m->last_at) m->last = v, m->last_at = at;
    return JC_OK;
}

static jc_err raw_write(sx *x, const char *device, const char *metric, int64_t at, double v) {
    sqlite3_stmt *s = q(x, 16, "INSERT INTO readings(device,metric,at,value,keep) VALUES(?,?,?,?,1)");
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, device);
    sq_bind_text(s, 2, metric);
    sqlite3_bind_int64(s, 3, at);
    sqlite3_bind_double(s, 4, v);
    return run(x, s, "reading");
}

/* A raw value: stored (kept) inside an alarm's window, else remembered. */
static jc_err raw_add(sx *x, dev *d, int m, int64_t at, double v) {
    if (at <= d->keep_until) return raw_write(x, d->id, d->m[m].name, at, v);
    d->raw[d->raw_next] = (raw_value){at, v, m};
    d->raw_next = (d->raw_next + 1) % RAW_RING;
    return JC_OK;
}

/* Around an alarm at `at`: stores the remembered raw values of the 10 min
 * before and keeps the device's readings of the next 10 min. */
static jc_err keep_around(sx *x, dev *d, int64_t at) {
    for (int i = 0; i < RAW_RING; i++) {
        raw_value *r = &d->raw[(d->raw_next + i) % RAW_RING];
        if (r->m < 0 || r->m >= d->nm) continue;
        if (r->at >= at - SENSOR_KEEP_MS) {
            jc_err e = raw_write(x, d->id, d->m[r->m].name, r->at, r->v);
            if (e) return e;
        }
        r->m = -1;
    }
    if (at + SENSOR_KEEP_MS > d->keep_until) d->keep_until = at + SENSOR_KEEP_MS;
    return mark_dirty(d);
}

/* Writes what the jobs so far changed in memory: minute aggregates,
 * device_state rows of watched metrics, device rows (lazily, see above). */
static jc_err table_flush(sx *x) {
    jc_err e = JC_OK;
    for (size_t i = 0; i < D->ndirty && !e; i++) {
        dev *d = D->dirty[i];
        d->dirty = 0;
        for (int j = 0; j < d->nm && !e; j++) {
            dev_metric *m = &d->m[j];
            e = agg_flush(x, d, m);
            if (e || !m->dirty_state) continue;
            m->dirty_state = 0;
            sqlite3_stmt *s = q(x, 18, "INSERT OR REPLACE INTO device_state(device,metric,value,at,active_at)"
                                       " VALUES(?,?,?,?,?)");
            if (!s) return JC_ERR_DB;
            sq_bind_text(s, 1, d->id);
            sq_bind_text(s, 2, m->name);
            sqlite3_bind_double(s, 3, m->value);
            sqlite3_bind_int64(s, 4, m->at);
            if (m->active_at) sqlite3_bind_int64(s, 5, m->active_at);
            e = run(x, s, "device state");
        }
        if (e) break;
        int battery = d->has_battery != d->s_has_battery || fabs(d->battery - d->s_battery) >= 1;
        if (!d->rewrite && d->online == d->s_online && d->keep_until == d->s_keep && !battery &&
            d->last_seen - d->s_seen < SEEN_SLACK_MS)
            continue;
        sqlite3_stmt *s = q(x, 15, "UPDATE devices SET last_seen=?, online=?, offline_due=?, battery=?, keep_until=?"
                                   " WHERE id=?");
        if (!s) return JC_ERR_DB;
        if (d->last_seen) sqlite3_bind_int64(s, 1, d->last_seen);
        sqlite3_bind_int(s, 2, d->online);
        if (d->offline_due) sqlite3_bind_int64(s, 3, d->offline_due);
        if (d->has_battery) sqlite3_bind_double(s, 4, d->battery);
        sqlite3_bind_int64(s, 5, d->keep_until);
        sq_bind_text(s, 6, d->id);
        if ((e = run(x, s, "device seen"))) break;
        d->rewrite = 0;
        d->s_seen = d->last_seen, d->s_online = d->online, d->s_keep = d->keep_until;
        d->s_battery = d->battery, d->s_has_battery = d->has_battery;
    }
    if (e) D->stale = 1;
    for (size_t i = 0; i < D->ndirty; i++) D->dirty[i]->dirty = 0;
    D->ndirty = 0;
    return e;
}

jc_err sensor__warm(jc_conn *w) {
    jc_err me = mem_enter(w);
    if (me) return me;
    sx x;
    sx_init(&x, w);
    jc_err e = table_ready(&x);
    sx_done(&x);
    return e;
}

/* ---- devices ------------------------------------------------------------------- */

#define DEV_COLS "id,type,lon,lat,grid,dept,person_ref,person_label,label,installed_at,heartbeat_s," \
                 "battery,last_seen,online,created_at,token_hash,keep_until"

static void read_dev(sqlite3_stmt *s, sensor_device *d) {
    memset(d, 0, sizeof *d);
    sq_col_copy(s, 0, d->id, sizeof d->id);
    sq_col_copy(s, 1, d->type, sizeof d->type);
    d->has_point = sqlite3_column_type(s, 2) != SQLITE_NULL;
    d->lon = sqlite3_column_double(s, 2);
    d->lat = sqlite3_column_double(s, 3);
    sq_col_copy(s, 4, d->grid, sizeof d->grid);
    sq_col_copy(s, 5, d->dept, sizeof d->dept);
    sq_col_copy(s, 6, d->person_ref, sizeof d->person_ref);
    sq_col_copy(s, 7, d->person_label, sizeof d->person_label);
    sq_col_copy(s, 8, d->label, sizeof d->label);
    d->installed_at = sqlite3_column_int64(s, 9);
    d->heartbeat_s = sqlite3_column_int64(s, 10);
    d->has_battery = sqlite3_column_type(s, 11) != SQLITE_NULL;
    d->battery = sqlite3_column_double(s, 11);
    d->last_seen = sqlite3_column_int64(s, 12);
    d->online = sqlite3_column_int(s, 13);
    d->created_at = sqlite3_column_int64(s, 14);
    sq_col_copy(s, 15, d->token_hash, sizeof d->token_hash);
    d->keep_until = sqlite3_column_int64(s, 16);
}

jc_err sensor__device_put(jc_conn *w, const sensor_device *d, int create, char *msg, size_t msz) {
    jc_area a;
    jc_err e = store_area_get(w, d->grid, &a);
    if (e == JC_ERR_NOTFOUND) return snprintf(msg, msz, "unknown grid '%s'", d->grid), JC_ERR_INVALID;
    if (e) return e;
    area_clear(&a);
    if (d->dept[0]) {
        jc_dept dp;
        e = store_dept_by_code(w, d->dept, &dp);
        if (e == JC_ERR_NOTFOUND) return snprintf(msg, msz, "unknown dept '%s'", d->dept), JC_ERR_INVALID;
        if (e) return e;
    }
    sx x;
    sx_init(&x, w);
    sqlite3_stmt *s = create
        ? q(&x, 0, "INSERT INTO devices(id,type,lon,lat,grid,dept,person_ref,person_label,label,"
                   "installed_at,heartbeat_s,token_hash,created_at) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)")
        : q(&x, 0, "UPDATE devices SET type=?2,lon=?3,lat=?4,grid=?5,dept=?6,person_ref=?7,"
                   "person_label=?8,label=?9,installed_at=?10,heartbeat_s=?11 WHERE id=?1");
    if (!s) return sx_done(&x), JC_ERR_DB;
    sq_bind_text(s, 1, d->id);
    sq_bind_text(s, 2, d->type);
    if (d->has_point) sqlite3_bind_double(s, 3, d->lon), sqlite3_bind_double(s, 4, d->lat);
    sq_bind_text(s, 5, d->grid);
    sq_bind_text(s, 6, d->dept);
    sq_bind_text(s, 7, d->person_ref);
    sq_bind_text(s, 8, d->person_label);
    sq_bind_text(s, 9, d->label);
    if (d->installed_at) sqlite3_bind_int64(s, 10, d->installed_at);
    sqlite3_bind_int64(s, 11, d->heartbeat_s);
    if (create) {
        sq_bind_text_opt(s, 12, d->token_hash);
        sqlite3_bind_int64(s, 13, d->created_at ? d->created_at : jc_now_ms());
    }
    e = run(&x, s, "device put");
    dev_invalidate(d->id);
    if (e == JC_ERR_CONFLICT) snprintf(msg, msz, "device '%s' exists", d->id);
    if (!e && !create && sqlite3_changes(x.db) == 0) e = JC_ERR_NOTFOUND;
    sx_done(&x);
    return e;
}

static jc_err dev_get(sx *x, int slot, const char *id, sensor_device *out) {
    sqlite3_stmt *s = q(x, slot, "SELECT " DEV_COLS " FROM devices WHERE id=?");
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return read_dev(s, out), JC_OK;
    return rc == SQLITE_DONE ? JC_ERR_NOTFOUND : sq_fail(x->db, "sensor", "device get");
}

jc_err sensor__device_get(jc_conn *c, const char *id, sensor_device *out) {
    sx x;
    sx_init(&x, c);
    jc_err e = dev_get(&x, 0, id, out);
    sx_done(&x);
    return e;
}

int sensor__device_token_ok(jc_conn *c, const char *id, const char *token_hash) {
    sensor_device d;
    return sensor__device_get(c, id, &d) == JC_OK && d.token_hash[0] &&
           !strcmp(d.token_hash, token_hash);
}

jc_err sensor__device_delete(jc_conn *w, const char *id) {
    sx x;
    sx_init(&x, w);
    sqlite3_stmt *s = q(&x, 0, "DELETE FROM devices WHERE id=?");
    jc_err e = JC_ERR_DB;
    if (s) {
        sq_bind_text(s, 1, id);
        e = run(&x, s, "device delete");
        dev_invalidate(id);
        if (!e && sqlite3_changes(x.db) == 0) e = JC_ERR_NOTFOUND;
    }
    if (!e && (s = q(&x, 1, "DELETE FROM device_state WHERE device=?"))) {
        sq_bind_text(s, 1, id);
        e = run(&x, s, "device state delete");
    }
    sx_done(&x);
    return e;
}

json_t *sensor__device_json(const sensor_device *d) {
    char ts[40];
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(d->id));
    json_object_set_new(o, "type", json_string(d->type));
    if (d->has_point) {
        json_object_set_new(o, "lon", json_real(d->lon));
        json_object_set_new(o, "lat", json_real(d->lat));
    }
    json_object_set_new(o, "grid", json_string(d->grid));
    json_object_set_new(o, "dept", d->dept[0] ? json_string(d->dept) : json_null());
    /* The person a device serves: an opaque reference and a display label;
     * never an ID number (refused on input). */
    json_object_set_new(o, "person_ref", d->person_ref[0] ? json_string(d->person_ref) : json_null());
    json_object_set_new(o, "person_label", d->person_label[0] ? json_string(d->person_label) : json_null());
    json_object_set_new(o, "label", json_string(d->label));
    if (d->installed_at) jc_fmt_utc(d->installed_at, ts, sizeof ts), json_object_set_new(o, "installed_at", json_string(ts));
    json_object_set_new(o, "heartbeat_s", json_integer(d->heartbeat_s));
    json_object_set_new(o, "battery", d->has_battery ? json_real(d->battery) : json_null());
    if (d->last_seen) jc_fmt_utc(d->last_seen, ts, sizeof ts), json_object_set_new(o, "last_seen", json_string(ts));
    else json_object_set_new(o, "last_seen", json_null());
    json_object_set_new(o, "online", json_boolean(d->online));
    return o;
}

jc_err sensor__device_list(jc_conn *c, const char *area_prefix, const char *type, const char *after,
                           int limit, json_t **out) {
    sx x;
    sx_init(&x, c);
    sqlite3_stmt *s = q(&x, 0, "SELECT " DEV_COLS " FROM devices WHERE id > ?1"
                               " AND (?2 = '' OR substr(grid, 1, length(?2)) = ?2)"
                               " AND (?3 = '' OR type = ?3) ORDER BY id LIMIT ?4");
    if (!s) return sx_done(&x), JC_ERR_DB;
    sq_bind_text(s, 1, after ? after : "");
    sq_bind_text(s, 2, area_prefix ? area_prefix : "");
    sq_bind_text(s, 3, type ? type : "");
    sqlite3_bind_int(s, 4, limit);
    json_t *a = json_array();
    sensor_device d;
    while (sqlite3_step(s) == SQLITE_ROW) {
        read_dev(s, &d);
        json_array_append_new(a, sensor__device_json(&d));
    }
    sx_done(&x);
    *out = a;
    return JC_OK;
}

/* ---- alarms ---------------------------------------------------------------------- */

typedef struct {
    int64_t id, rule_id, case_id;
    char state[16];
} open_alarm;

#define MAX_OPEN 32

static int open_alarms(sx *x, const char *device, open_alarm *out) {
    sqlite3_stmt *s = q(x, 1, "SELECT id, rule_id, state, case_id FROM alarms WHERE device=? AND state<>'cleared'");
    if (!s) return 0;
    sq_bind_text(s, 1, device);
    int n = 0;
    while (n < MAX_OPEN && sqlite3_step(s) == SQLITE_ROW) {
        out[n].id = sqlite3_column_int64(s, 0);
        out[n].rule_id = sqlite3_column_int64(s, 1);
        sq_col_copy(s, 2, out[n].state, sizeof out[n].state);
        out[n].case_id = sqlite3_column_int64(s, 3);
        n++;
    }
    return n;
}

static open_alarm *find_open(open_alarm *v, int n, int64_t rule_id) {
    for (int i = 0; i < n; i++)
        if (v[i].rule_id == rule_id) return &v[i];
    return NULL;
}

static const char *severity_zh(alarm_severity s) {
    static const char *const m[] = {"提示", "一般", "重要", "紧急"};
    return (unsigned)s < JC_ARRAY_LEN(m) ? m[s] : "";
}

static const char *kind_zh(alarm_kind k) {
    static const char *const m[] = {"超过阈值", "变化过快", "长时间无活动", "设备离线", "电量低"};
    return (unsigned)k < JC_ARRAY_LEN(m) ? m[k] : "";
}

static const char *metric_zh(const char *metric) {
    static const char *const m[][2] = {{"smoke", "烟雾"},   {"gas", "燃气浓度"},     {"level", "水位"},
                                       {"tilt", "倾斜角"},  {"door", "门磁"},        {"db", "噪声"},
                                       {"current", "电流"}, {"battery", "电量"},     {"temperature", "温度"}};
    for (size_t i = 0; i < JC_ARRAY_LEN(m); i++)
        if (!strcmp(m[i][0], metric)) return m[i][1];
    return metric[0] ? "读数" : "最后在线";
}

/* A reading as a person reads it: at most two decimals, no trailing zeros
 * (21.7186 -> "21.72", 3.50 -> "3.5"); hours of inactivity with one. */
static void reading_fmt(char *out, size_t n, alarm_kind kind, double v) {
    snprintf(out, n, kind == AK_INACTIVITY ? "%.1f" : "%.2f", v);
    char *dot = strchr(out, '.');
    if (!dot) return;
    char *end = out + strlen(out);
    while (end > dot + 1 && end[-1] == '0') *--end = 0;
    if (end == dot + 1) *dot = 0;
    if (!strcmp(out, "-0")) snprintf(out, n, "0");
}

static const char *type_zh(const char *type) {
    static const char *const m[][2] = {{"smoke", "烟感"}, {"gas", "燃气"}, {"water_level", "积水"},
                                       {"manhole_tilt", "井盖"}, {"door_contact", "门磁"},
                                       {"ebike_charging", "电动车充电"}, {"noise", "噪声"}, {"generic", "传感器"}};
    for (size_t i = 0; i < JC_ARRAY_LEN(m); i++)
        if (!strcmp(m[i][0], type)) return m[i][1];
    return type;
}

/* Records a clear on the alarm's case (if any). */
static jc_err note_on_case(jc_conn *w, int64_t case_id, const char *action, const char *reason) {
    if (!case_id) return JC_OK;
    jc_case k;
    jc_err e = store_case_get(w, case_id, &k);
    if (e == JC_ERR_NOTFOUND) return JC_OK;
    if (e) return e;
    jc_user sys;
    auth_system_actor(&sys, "sensors");
    e = case_audit_note(w, &sys, &k, action, reason);
    case_clear(&k);
    return e;
}

static jc_err alarm_clear_row(sx *x, jc_conn *w, int64_t id, int64_t case_id, const char *by,
                              const char *reason, int64_t at) {
    sqlite3_stmt *s = q(x, 2, "UPDATE alarms SET state='cleared', cleared_at=?, cleared_by=?, clear_reason=?"
                              " WHERE id=? AND state<>'cleared'");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, at);
    sq_bind_text(s, 2, by);
    sq_bind_text(s, 3, reason);
    sqlite3_bind_int64(s, 4, id);
    jc_err e = run(x, s, "alarm clear");
    if (e) return e;
    if (sqlite3_changes(x->db) == 0) return JC_ERR_CONFLICT;
    (void)by; /* the entry's actor says who */
    return note_on_case(w, case_id, "alarm_cleared", reason);
}

/* A silence covering the device at `at`: its id, or 0. */
static int64_t silenced(sx *x, const sensor_device *d, int64_t at) {
    /* every criterion a silence names must hold (a grid is a prefix) */
    sqlite3_stmt *s = q(x, 3, "SELECT id FROM silences WHERE from_at<=?1 AND until_at>?1 AND"
                              " (device IS NULL OR device=?2) AND (type IS NULL OR type=?3) AND"
                              " (grid IS NULL OR substr(?4,1,length(grid))=grid)"
                              " ORDER BY id LIMIT 1");
    if (!s) return 0;
    sqlite3_bind_int64(s, 1, at);
    sq_bind_text(s, 2, d->id);
    sq_bind_text(s, 3, d->type);
    sq_bind_text(s, 4, d->grid);
    return sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
}

/* Opens the case of a new alarm, or joins a recent open case of the same grid
 * and category.  Runs in its own savepoint: a failure leaves the alarm
 * without a case (logged) instead of losing the batch. */
static int64_t alarm_case(sx *x, jc_conn *w, const sensor_device *d, const alarm_rule *r,
                          int64_t alarm_id, double value, int64_t at, int *opened) {
    const char *cat = alarm_case_category(r);
    if (!r->opens_case || !cat[0]) return 0;
    int64_t window = setting(x, 4, "group_window_s", 600) * 1000;
    sqlite3_stmt *s = q(x, 5, "SELECT case_id FROM alarms WHERE grid=? AND category=? AND case_id IS NOT NULL"
                              " AND first_at>=? AND first_at<=? ORDER BY first_at DESC LIMIT 1");
    int64_t case_id = 0;
    char why[400];
    jc_user sys;
    auth_system_actor(&sys, "sensors");
    if (s) {
        sq_bind_text(s, 1, d->grid);
        sq_bind_text(s, 2, cat);
        sqlite3_bind_int64(s, 3, at - window);
        sqlite3_bind_int64(s, 4, at + window);
        if (sqlite3_step(s) == SQLITE_ROW) case_id = sqlite3_column_int64(s, 0);
    }
    if (case_id) {
        jc_case k;
        if (store_case_get(w, case_id, &k) == JC_OK) {
            int open = k.state != ST_CLOSED && k.state != ST_RATED && k.state != ST_VOIDED && k.state != ST_MERGED;
            if (open) {
                char v[32];
                reading_fmt(v, sizeof v, r->kind, value);
                reason_buf b;
                reason_begin(&b, why, sizeof why, "alarm_grouped");
                reason_int(&b, "alarm", alarm_id);
                reason_str(&b, "device", d->label[0] ? d->label : d->id);
                reason_str(&b, "metric", r->metric[0] ? r->metric : alarm_kind_name(r->kind));
                reason_str(&b, "value", v);
                reason_end(&b);
                jc_err e = case_audit_note(w, &sys, &k, "alarm_grouped", why);
                case_clear(&k);
                return e ? 0 : case_id;
            }
            case_clear(&k);
        }
    }
    if (sq_exec(x->db, "sensor", "SAVEPOINT sensor_case") != SQLITE_OK) return 0;
    jc_case k = {0};
    char title[200], body[600], ts[40];
    jc_fmt_local(at, ts, sizeof ts);
    /* in Chinese, the device by its label (its number in the body) */
    /* a title and a device name: a long label is cut on a character boundary */
    jc_fmt_cut(title, sizeof title, "%s报警：%s（%s）", type_zh(d->type), r->name, d->label[0] ? d->label : d->id);
    char dev[200];
    if (d->label[0]) jc_fmt_cut(dev, sizeof dev, "%s（编号 %s）", d->label, d->id);
    else jc_fmt_cut(dev, sizeof dev, "编号 %s", d->id);
    /* the reading as a person reads it: two decimals at most; a silence in whole hours */
    char vtxt[64];
    if (r->kind == AK_INACTIVITY) snprintf(vtxt, sizeof vtxt, "%.0f 小时", value);
    else reading_fmt(vtxt, sizeof vtxt, r->kind, value);
    snprintf(body, sizeof body, "%s级%s告警：设备 %s 于 %s 触发规则「%s」（%s，%s %s）。%s%s",
             severity_zh(r->severity), type_zh(d->type), dev, ts, r->name, kind_zh(r->kind), metric_zh(r->metric),
             vtxt, d->person_label[0] ? "服务对象：" : "", d->person_label);
    /* through the one intake: registered at once by the platform (the sensor channel) */
    intake_report rp = {.channel = INTAKE_SENSOR, .title = title, .body = body, .category = cat, .area = d->grid,
                        .has_point = d->has_point, .lon = d->lon, .lat = d->lat};
    intake_result res;
    jc_err e = case_report(w, &sys, &rp, &k, &res);
    if (e) {
        jc_log(JC_LOG_WARN, "sensor: alarm %lld: cannot open a case: %s %s", (long long)alarm_id,
               jc_err_code(e), res.message);
        sq_exec(x->db, "sensor", "ROLLBACK TO sensor_case");
        store_sqlite_touch(w); /* what the writer kept may be undone */
        sq_exec(x->db, "sensor", "RELEASE sensor_case");
        return 0;
    }
    case_clear(&k);
    sq_exec(x->db, "sensor", "RELEASE sensor_case");
    *opened = 1;
    return res.case_id;
}

typedef struct {
    uint64_t raised, repeats, suppressed, cases;
} tally;

/* Raises (or repeats) the alarm of rule r on device d (m: its entry in the
 * device table). */
static jc_err raise_alarm(sx *x, jc_conn *w, dev *m, const sensor_device *d, const alarm_rule *r,
                          open_alarm *open, double value, int64_t at, tally *t, int *case_opened) {
    int64_t sil = silenced(x, d, at);
    if (sil) {
        sqlite3_stmt *s = q(x, 8, "UPDATE silences SET suppressed=suppressed+1 WHERE id=?");
        if (s) sqlite3_bind_int64(s, 1, sil), (void)run(x, s, "silence count");
        t->suppressed++;
        return JC_OK;
    }
    if (open) {
        sqlite3_stmt *s = q(x, 9, "UPDATE alarms SET count=count+1, last_at=max(last_at,?), value=? WHERE id=?");
        if (!s) return JC_ERR_DB;
        sqlite3_bind_int64(s, 1, at);
        sqlite3_bind_double(s, 2, value);
        sqlite3_bind_int64(s, 3, open->id);
        t->repeats++;
        jc_err e = run(x, s, "alarm repeat");
        return e ? e : keep_around(x, m, at);
    }
    sqlite3_stmt *s = q(x, 10, "INSERT INTO alarms(device,rule_id,kind,metric,severity,state,value,count,"
                               "first_at,last_at,grid,category,created_at) VALUES(?,?,?,?,?,'active',?,1,?,?,?,?,?)");
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, d->id);
    sqlite3_bind_int64(s, 2, r->id);
    sq_bind_text(s, 3, alarm_kind_name(r->kind));
    sq_bind_text(s, 4, r->metric);
    sq_bind_text(s, 5, alarm_severity_name(r->severity));
    sqlite3_bind_double(s, 6, value);
    sqlite3_bind_int64(s, 7, at);
    sqlite3_bind_int64(s, 8, at);
    sq_bind_text(s, 9, d->grid);
    sq_bind_text(s, 10, r->opens_case ? alarm_case_category(r) : "");
    sqlite3_bind_int64(s, 11, jc_now_ms());
    jc_err e = run(x, s, "alarm insert");
    if (e) return e;
    m->has_open = 1;
    int64_t id = sqlite3_last_insert_rowid(x->db);
    t->raised++;
    jc_log(JC_LOG_INFO, "sensor: alarm %lld %s %s on %s (%g)", (long long)id, alarm_severity_name(r->severity),
           r->name, d->id, value);
    int opened = 0;
    int64_t case_id = alarm_case(x, w, d, r, id, value, at, &opened);
    if (case_id) {
        s = q(x, 11, "UPDATE alarms SET case_id=? WHERE id=?");
        if (!s) return JC_ERR_DB;
        sqlite3_bind_int64(s, 1, case_id);
        sqlite3_bind_int64(s, 2, id);
        if ((e = run(x, s, "alarm case"))) return e;
        if (opened) t->cases++;
        *case_opened = 1; /* opened or joined: the alarm has its case */
    }
    return keep_around(x, m, at);
}

/* ---- ingestion --------------------------------------------------------------------- */

/* The full device row, read once per reading and only when an alarm needs it. */
typedef struct {
    sensor_device d;
    int have;
} full_dev;

static jc_err need_full(sx *x, const dev *m, full_dev *f) {
    if (f->have) return JC_OK;
    jc_err e = dev_get(x, 0, m->id, &f->d);
    if (!e) f->have = 1;
    return e;
}

/* The open alarms of a device: asked of the database only when the device
 * may have one. */
static int open_alarms_of(sx *x, dev *m, open_alarm *oa) {
    if (!m->has_open) return 0;
    int n = open_alarms(x, m->id, oa);
    if (!n) m->has_open = 0;
    return n;
}

/* Stores and evaluates one reading: validation first (nothing is written for
 * a refused reading), then the device table, raw window, aggregates and the
 * rules.  Alarms and their cases are written here, in the reading's
 * transaction; aggregates and device rows at the end of the job
 * (table_flush). */
static jc_err ingest_one(sx *x, jc_conn *w, sensor_reading *rd, tally *t) {
    dev *m;
    jc_err e = dev_lookup(x, rd->device, &m);
    if (e == JC_ERR_NOTFOUND) {
        sensor__reject(REJ_UNKNOWN_DEVICE, rd->device, "not registered");
        return JC_ERR_NOTFOUND;
    }
    if (e) return e;
    int mi[SENSOR_MAX_VALUES];
    for (int i = 0; i < rd->n; i++) {
        char why[96];
        dev_metric *dm = NULL;
        if (!alarm_metric_known(m->type, rd->metric[i])) {
            snprintf(why, sizeof why, "metric '%s' unknown for type %s", rd->metric[i], m->type);
            sensor__reject(REJ_OUT_OF_RANGE, rd->device, why);
            return JC_ERR_INVALID;
        }
        if (!(dm = dev_metric_get(m, rd->metric[i], 1))) {
            snprintf(why, sizeof why, "more than %d metrics on one device", DEV_MAX_METRICS);
            sensor__reject(REJ_TOO_LARGE, rd->device, why);
            return JC_ERR_INVALID;
        }
        mi[i] = (int)(dm - m->m);
    }
    const alarm_rule *rs[64];
    size_t nr = dev_rules(m->type, m->id, rs, JC_ARRAY_LEN(rs));
    open_alarm oa[MAX_OPEN];
    int no = open_alarms_of(x, m, oa);
    full_dev full = {.have = 0};
    if ((e = mark_dirty(m))) return e;
    if (rd->at > m->last_seen) m->last_seen = rd->at;
    m->online = 1;
    for (int i = 0; i < rd->n; i++)
        if (!strcmp(rd->metric[i], "battery")) m->battery = rd->value[i], m->has_battery = 1;
    for (size_t i = 0; i < nr; i++) {
        if (rs[i]->kind != AK_OFFLINE) continue;
        m->offline_due = m->last_seen + (int64_t)(rs[i]->k * (double)m->heartbeat_s * 1000.0);
        open_alarm *o = find_open(oa, no, rs[i]->id);
        if (o && (e = alarm_clear_row(x, w, o->id, o->case_id, "sensors", "device back online", rd->at))) return e;
        if (o) o->rule_id = -1;
    }
    for (int i = 0; i < rd->n; i++) {
        dev_metric *dm = &m->m[mi[i]];
        const char *mn = dm->name;
        double v = rd->value[i];
        if ((e = raw_add(x, m, mi[i], rd->at, v)) || (e = agg_add(x, m, dm, rd->at, v))) return e;
        int watched = 0;
        for (size_t j = 0; j < nr; j++)
            if ((rs[j]->kind == AK_RATE || rs[j]->kind == AK_INACTIVITY) && !strcmp(rs[j]->metric, mn)) watched = 1;
        int has_prev = dm->has_value;
        double prev = dm->value;
        int64_t prev_at = dm->at;
        if (!dm->has_value || rd->at >= dm->at) dm->value = v, dm->at = rd->at;
        dm->has_value = 1;
        if (v != 0 && rd->at > dm->active_at) dm->active_at = rd->at;
        if (watched) dm->dirty_state = 1;
        for (size_t j = 0; j < nr; j++) {
            const alarm_rule *r = rs[j];
            if (r->kind == AK_OFFLINE || strcmp(r->metric, mn)) continue;
            open_alarm *o = find_open(oa, no, r->id);
            alarm_eval ev = alarm_eval_reading(r, o != NULL, v, has_prev, prev, prev_at, rd->at);
            if (ev == ALARM_RAISE) {
                if ((e = need_full(x, m, &full))) return e;
                if ((e = raise_alarm(x, w, m, &full.d, r, o, v, rd->at, t, &rd->case_opened))) return e;
                if (!o) no = open_alarms_of(x, m, oa); /* pick up the new one */
            } else if (ev == ALARM_CLEAR && o) {
                char why[160], vs[32];
                reading_fmt(vs, sizeof vs, r->kind, v);
                reason_buf b;
                reason_begin(&b, why, sizeof why, "alarm_cleared");
                reason_int(&b, "alarm", o->id);
                reason_str(&b, "metric", mn);
                reason_str(&b, "value", vs);
                reason_str(&b, "why", r->kind == AK_INACTIVITY ? "activity" : "normal");
                reason_end(&b);
                if ((e = alarm_clear_row(x, w, o->id, o->case_id, "sensors", why, rd->at))) return e;
                o->rule_id = -1;
                if ((e = keep_around(x, m, rd->at))) return e;
            }
        }
    }
    return JC_OK;
}

jc_err sensor__ingest(jc_conn *w, sensor_reading *rs, size_t n, size_t *accepted) {
    jc_err me = mem_enter(w);
    if (me) return me;
    sx x;
    sx_init(&x, w);
    jc_err e = rules_load(&x);
    tally t = {0};
    size_t ok = 0;
    for (size_t i = 0; i < n && !e; i++) {
        jc_err r = ingest_one(&x, w, &rs[i], &t);
        if (r == JC_ERR_NOTFOUND || r == JC_ERR_INVALID) rs[i].case_opened = 0; /* refused, nothing written */
        else if (r) e = r;
        else ok++;
    }
    if (!e) e = table_flush(&x);
    sx_done(&x);
    if (e) {
        /* The job rolls back: so does what memory learnt from it. */
        D->stale = 1;
        D->ndirty = 0;
        for (size_t i = 0; i < n; i++) rs[i].case_opened = 0;
        ok = 0, t = (tally){0};
    }
    sensor__count(ok, t.raised, t.repeats, t.suppressed, t.cases);
    if (accepted) *accepted = ok;
    return e;
}

/* ---- alarm API ------------------------------------------------------------------------ */

#define ALARM_COLS "a.id,a.device,a.rule_id,a.kind,a.metric,a.severity,a.state,a.value,a.count," \
                   "a.first_at,a.last_at,a.acked_at,a.acked_by,a.cleared_at,a.cleared_by,a.clear_reason," \
                   "a.grid,a.category,a.case_id,r.name,d.type"

static void set_time(json_t *o, const char *key, sqlite3_stmt *s, int i) {
    if (sqlite3_column_type(s, i) == SQLITE_NULL) {
        json_object_set_new(o, key, json_null());
        return;
    }
    char ts[40];
    jc_fmt_utc(sqlite3_column_int64(s, i), ts, sizeof ts);
    json_object_set_new(o, key, json_string(ts));
}
static void set_text(json_t *o, const char *key, sqlite3_stmt *s, int i) {
    const unsigned char *t = sqlite3_column_text(s, i);
    json_object_set_new(o, key, t ? json_string((const char *)t) : json_null());
}

static json_t *alarm_json(sqlite3_stmt *s) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(sqlite3_column_int64(s, 0)));
    set_text(o, "device", s, 1);
    json_object_set_new(o, "rule_id", json_integer(sqlite3_column_int64(s, 2)));
    set_text(o, "kind", s, 3);
    set_text(o, "metric", s, 4);
    set_text(o, "severity", s, 5);
    set_text(o, "state", s, 6);
    json_object_set_new(o, "value", json_real(sqlite3_column_double(s, 7)));
    json_object_set_new(o, "count", json_integer(sqlite3_column_int64(s, 8)));
    set_time(o, "first_at", s, 9);
    set_time(o, "last_at", s, 10);
    set_time(o, "acked_at", s, 11);
    set_text(o, "acked_by", s, 12);
    set_time(o, "cleared_at", s, 13);
    set_text(o, "cleared_by", s, 14);
    set_text(o, "clear_reason", s, 15);
    set_text(o, "grid", s, 16);
    set_text(o, "category", s, 17);
    json_object_set_new(o, "case_id", sqlite3_column_type(s, 18) == SQLITE_NULL ? json_null()
                                                                               : json_integer(sqlite3_column_int64(s, 18)));
    set_text(o, "rule", s, 19);
    set_text(o, "device_type", s, 20);
    return o;
}

jc_err sensor__alarm_list(jc_conn *c, const char *state, const char *area_prefix, const char *device,
                          int limit, json_t **out) {
    sx x;
    sx_init(&x, c);
    sqlite3_stmt *s = q(&x, 0, "SELECT " ALARM_COLS " FROM alarms a LEFT JOIN alarm_rules r ON r.id=a.rule_id"
                               " LEFT JOIN devices d ON d.id=a.device"
                               " WHERE (?1='' OR a.state=?1) AND (?2='' OR substr(a.grid,1,length(?2))=?2)"
                               " AND (?3='' OR a.device=?3) ORDER BY a.id DESC LIMIT ?4");
    if (!s) return sx_done(&x), JC_ERR_DB;
    sq_bind_text(s, 1, state ? state : "");
    sq_bind_text(s, 2, area_prefix ? area_prefix : "");
    sq_bind_text(s, 3, device ? device : "");
    sqlite3_bind_int(s, 4, limit);
    json_t *a = json_array();
    while (sqlite3_step(s) == SQLITE_ROW) json_array_append_new(a, alarm_json(s));
    sx_done(&x);
    *out = a;
    return JC_OK;
}

jc_err sensor__alarm_get(jc_conn *c, int64_t id, json_t **out) {
    sx x;
    sx_init(&x, c);
    sqlite3_stmt *s = q(&x, 0, "SELECT " ALARM_COLS " FROM alarms a LEFT JOIN alarm_rules r ON r.id=a.rule_id"
                               " LEFT JOIN devices d ON d.id=a.device WHERE a.id=?");
    jc_err e = JC_ERR_DB;
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) *out = alarm_json(s), e = JC_OK;
        else e = rc == SQLITE_DONE ? JC_ERR_NOTFOUND : sq_fail(x.db, "sensor", "alarm get");
    }
    sx_done(&x);
    return e;
}

jc_err sensor__alarm_act(jc_conn *w, const jc_user *actor, int64_t id, int clear, const char *reason,
                         int64_t now) {
    sx x;
    sx_init(&x, w);
    sqlite3_stmt *s = q(&x, 30, "SELECT state, case_id, grid FROM alarms WHERE id=?");
    jc_err e = JC_ERR_DB;
    if (!s) return sx_done(&x), e;
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) != SQLITE_ROW) return sx_done(&x), JC_ERR_NOTFOUND;
    char state[16], grid[24];
    sq_col_copy(s, 0, state, sizeof state);
    int64_t case_id = sqlite3_column_int64(s, 1);
    sq_col_copy(s, 2, grid, sizeof grid);
    if (actor->area[0] && strncmp(grid, actor->area, strlen(actor->area))) return sx_done(&x), JC_ERR_NOTFOUND;
    if (!strcmp(state, "cleared")) return sx_done(&x), JC_ERR_CONFLICT;
    if (clear) {
        char why[1200];
        reason_buf b;
        reason_begin(&b, why, sizeof why, "alarm_cleared");
        reason_int(&b, "alarm", id);
        reason_str(&b, "why", "staff");
        if (reason && *reason) reason_str(&b, "note", reason);
        e = alarm_clear_row(&x, w, id, case_id, actor->name, reason_end(&b), now);
    } else {
        if (strcmp(state, "active")) return sx_done(&x), JC_ERR_CONFLICT;
        s = q(&x, 31, "UPDATE alarms SET state='acknowledged', acked_at=?, acked_by=? WHERE id=?");
        if (!s) return sx_done(&x), JC_ERR_DB;
        sqlite3_bind_int64(s, 1, now);
        sq_bind_text(s, 2, actor->name);
        sqlite3_bind_int64(s, 3, id);
        e = run(&x, s, "alarm ack");
        char why[80];
        reason_buf b;
        reason_begin(&b, why, sizeof why, "alarm_acked");
        reason_int(&b, "alarm", id);
        if (!e) e = note_on_case(w, case_id, "alarm_acked", reason_end(&b));
    }
    sx_done(&x);
    return e;
}

/* ---- silences ------------------------------------------------------------------------ */

jc_err sensor__silence_put(jc_conn *w, sensor_silence *v) {
    sx x;
    sx_init(&x, w);
    sqlite3_stmt *s = q(&x, 0, "INSERT INTO silences(device,grid,type,from_at,until_at,reason,created_by,created_at)"
                               " VALUES(?,?,?,?,?,?,?,?)");
    if (!s) return sx_done(&x), JC_ERR_DB;
    sq_bind_text_opt(s, 1, v->device);
    sq_bind_text_opt(s, 2, v->grid);
    sq_bind_text_opt(s, 3, v->type);
    sqlite3_bind_int64(s, 4, v->from_at);
    sqlite3_bind_int64(s, 5, v->until_at);
    sq_bind_text(s, 6, v->reason);
    sq_bind_text(s, 7, v->by);
    sqlite3_bind_int64(s, 8, jc_now_ms());
    jc_err e = run(&x, s, "silence");
    if (!e) v->id = sqlite3_last_insert_rowid(x.db);
    sx_done(&x);
    return e;
}

/* The silences whose grid lies within area ("" every silence): for a scoped
 * caller only a silence carrying a grid under its area qualifies. */
#define SILENCE_IN_AREA "(?2='' OR (grid IS NOT NULL AND substr(grid,1,length(?2))=?2))"

jc_err sensor__silence_delete(jc_conn *w, int64_t id, const char *area) {
    sx x;
    sx_init(&x, w);
    sqlite3_stmt *s = q(&x, 0, "DELETE FROM silences WHERE id=?1 AND " SILENCE_IN_AREA);
    jc_err e = JC_ERR_DB;
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        sq_bind_text(s, 2, area);
        e = run(&x, s, "silence delete");
        if (!e && sqlite3_changes(x.db) == 0) e = JC_ERR_NOTFOUND;
    }
    sx_done(&x);
    return e;
}

jc_err sensor__silence_list(jc_conn *c, const char *area, json_t **out) {
    sx x;
    sx_init(&x, c);
    /* a scoped caller also sees the silences of wider areas that cover its
     * own (why an alarm of its area did not fire) */
    sqlite3_stmt *s = q(&x, 0, "SELECT id,device,grid,type,from_at,until_at,reason,created_by,suppressed"
                               " FROM silences WHERE ?1='' OR grid IS NULL OR substr(grid,1,length(?1))=?1"
                               " OR substr(?1,1,length(grid))=grid ORDER BY id DESC LIMIT 500");
    if (!s) return sx_done(&x), JC_ERR_DB;
    sq_bind_text(s, 1, area);
    json_t *a = json_array();
    while (sqlite3_step(s) == SQLITE_ROW) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(sqlite3_column_int64(s, 0)));
        set_text(o, "device", s, 1);
        set_text(o, "grid", s, 2);
        set_text(o, "type", s, 3);
        set_time(o, "from", s, 4);
        set_time(o, "until", s, 5);
        set_text(o, "reason", s, 6);
        set_text(o, "created_by", s, 7);
        json_object_set_new(o, "suppressed", json_integer(sqlite3_column_int64(s, 8)));
        json_array_append_new(a, o);
    }
    sx_done(&x);
    *out = a;
    return JC_OK;
}

/* ---- the tick -------------------------------------------------------------------------- */

/* Offline: devices whose stored offline_due has passed (indexed), checked
 * against the device table (the stored last_seen may lag, see above). */
static jc_err tick_offline(sx *x, jc_conn *w, int64_t now, tally *t, int *n_out) {
    sqlite3_stmt *s = q(x, 20, "SELECT id FROM devices WHERE online=1 AND offline_due<=? ORDER BY offline_due LIMIT 500");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, now);
    char ids[500][64];
    int n = 0, went = 0;
    while (n < 500 && sqlite3_step(s) == SQLITE_ROW) sq_col_copy(s, 0, ids[n], sizeof ids[n]), n++;
    sqlite3_reset(s);
    for (int i = 0; i < n; i++) {
        dev *m;
        jc_err e = dev_lookup(x, ids[i], &m);
        if (e == JC_ERR_NOTFOUND) continue;
        if (e || (e = mark_dirty(m))) return e;
        m->rewrite = 1;
        if (!m->online || m->offline_due > now) continue; /* the stored row was behind */
        full_dev full = {.have = 0};
        if ((e = need_full(x, m, &full))) return e;
        const alarm_rule *rs[64];
        size_t nr = dev_rules(m->type, m->id, rs, JC_ARRAY_LEN(rs));
        open_alarm oa[MAX_OPEN];
        int no = open_alarms_of(x, m, oa);
        for (size_t j = 0; j < nr; j++) {
            if (rs[j]->kind != AK_OFFLINE) continue;
            open_alarm *o = find_open(oa, no, rs[j]->id);
            if (alarm_eval_offline(rs[j], o != NULL, m->last_seen, m->heartbeat_s, now) == ALARM_RAISE) {
                int dummy = 0;
                e = raise_alarm(x, w, m, &full.d, rs[j], NULL, (double)(now - m->last_seen) / 1000.0, now, t, &dummy);
                if (e) return e;
            }
        }
        m->online = 0;
        went++;
    }
    *n_out = went;
    return JC_OK;
}

static jc_err tick_inactivity(sx *x, jc_conn *w, int64_t now, tally *t) {
    for (size_t i = 0; i < RC->n; i++) {
        const alarm_rule r = RC->v[i];
        if (r.kind != AK_INACTIVITY) continue;
        sqlite3_stmt *s = q(x, 22, "SELECT d.id, coalesce(st.active_at, d.installed_at, d.created_at)"
                                   " FROM devices d LEFT JOIN device_state st ON st.device=d.id AND st.metric=?2"
                                   " WHERE d.type=?1 AND (?3='' OR d.id=?3)"
                                   " AND NOT EXISTS(SELECT 1 FROM alarms a WHERE a.device=d.id AND a.rule_id=?4 AND a.state<>'cleared')");
        if (!s) return JC_ERR_DB;
        sq_bind_text(s, 1, r.type);
        sq_bind_text(s, 2, r.metric);
        sq_bind_text(s, 3, r.device);
        sqlite3_bind_int64(s, 4, r.id);
        size_t cap = 0, n = 0;
        struct hit { char id[64]; int64_t last; } *hits = NULL;
        while (sqlite3_step(s) == SQLITE_ROW) {
            int64_t last = sqlite3_column_int64(s, 1);
            if (alarm_eval_inactivity(&r, 0, last, now) != ALARM_RAISE) continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 16;
                struct hit *nh = realloc(hits, cap * sizeof *hits);
                if (!nh) return free(hits), JC_ERR_NOMEM;
                hits = nh;
            }
            sq_col_copy(s, 0, hits[n].id, sizeof hits[n].id);
            hits[n].last = last;
            n++;
        }
        sqlite3_reset(s);
        for (size_t j = 0; j < n; j++) {
            dev *m;
            full_dev full = {.have = 0};
            if (dev_lookup(x, hits[j].id, &m) || need_full(x, m, &full)) continue;
            /* A device-level override of this rule wins over the type rule. */
            const alarm_rule *rs[64];
            size_t nr = dev_rules(m->type, m->id, rs, JC_ARRAY_LEN(rs)), k;
            for (k = 0; k < nr && rs[k]->id != r.id; k++) {}
            if (k == nr) continue;
            int dummy = 0;
            jc_err e = raise_alarm(x, w, m, &full.d, &RC->v[i], NULL, (double)(now - hits[j].last) / 3600000.0, now, t, &dummy);
            if (e) return free(hits), e;
        }
        free(hits);
    }
    return JC_OK;
}

#define ROLLUP_ROWS 5000 /* minute rows added to their hours per tick */

/* Hour aggregates: adds the minute rows of complete minutes to their hours,
 * at most ROLLUP_ROWS per tick, in (bucket, device, metric) order from the
 * stored mark.  Minute rows written later behind the mark go to their hour
 * at once (agg_flush). */
static jc_err tick_rollup(sx *x, int64_t now) {
    int64_t cur = now - ((now % 60000) + 60000) % 60000;
    int budget = ROLLUP_ROWS, moved = 0;
    typedef struct { char device[64], metric[32]; int64_t n, last_at; double mn, mx, sum, last; } row;
    row *rows = malloc(ROLLUP_ROWS * sizeof *rows);
    if (!rows) return JC_ERR_NOMEM;
    jc_err e = JC_OK;
    while (!e && budget > 0 && D->roll_bucket < cur) {
        sqlite3_stmt *s = q(x, 46, "SELECT device, metric, n, min, max, sum, last, last_at FROM reading_agg"
                                   " WHERE res=60000 AND bucket=?1 AND (device>?2 OR (device=?2 AND metric>?3))"
                                   " ORDER BY device, metric LIMIT ?4");
        if (!s) { e = JC_ERR_DB; break; }
        sqlite3_bind_int64(s, 1, D->roll_bucket);
        sq_bind_text(s, 2, D->roll_device);
        sq_bind_text(s, 3, D->roll_metric);
        sqlite3_bind_int(s, 4, budget);
        int n = 0;
        while (n < budget && sqlite3_step(s) == SQLITE_ROW) {
            row *r = &rows[n++];
            sq_col_copy(s, 0, r->device, sizeof r->device);
            sq_col_copy(s, 1, r->metric, sizeof r->metric);
            r->n = sqlite3_column_int64(s, 2);
            r->mn = sqlite3_column_double(s, 3);
            r->mx = sqlite3_column_double(s, 4);
            r->sum = sqlite3_column_double(s, 5);
            r->last = sqlite3_column_double(s, 6);
            r->last_at = sqlite3_column_int64(s, 7);
        }
        sqlite3_reset(s);
        int64_t hour = D->roll_bucket - ((D->roll_bucket % 3600000) + 3600000) % 3600000;
        for (int i = 0; i < n && !e; i++)
            e = agg_write(x, rows[i].device, rows[i].metric, 3600000, hour, rows[i].n, rows[i].mn, rows[i].mx,
                          rows[i].sum, rows[i].last, rows[i].last_at);
        if (e) break;
        moved = 1;
        budget -= n;
        if (n) {
            snprintf(D->roll_device, sizeof D->roll_device, "%s", rows[n - 1].device);
            snprintf(D->roll_metric, sizeof D->roll_metric, "%s", rows[n - 1].metric);
        }
        if (budget > 0) { /* this minute is done: on to the next one with rows */
            s = q(x, 47, "SELECT min(bucket) FROM reading_agg WHERE res=60000 AND bucket>?");
            if (!s) { e = JC_ERR_DB; break; }
            sqlite3_bind_int64(s, 1, D->roll_bucket);
            int64_t next = cur;
            if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL &&
                sqlite3_column_int64(s, 0) < cur)
                next = sqlite3_column_int64(s, 0);
            sqlite3_reset(s);
            D->roll_bucket = next;
            D->roll_device[0] = D->roll_metric[0] = 0;
        }
    }
    free(rows);
    if (!e && moved) {
        sqlite3_stmt *s = q(x, 48, "UPDATE sensor_rollup SET bucket=?, device=?, metric=? WHERE id=1");
        if (!s) return JC_ERR_DB;
        sqlite3_bind_int64(s, 1, D->roll_bucket);
        sq_bind_text(s, 2, D->roll_device);
        sq_bind_text(s, 3, D->roll_metric);
        e = run(x, s, "rollup mark");
    }
    return e;
}

static jc_err trim(sx *x, int slot, const char *sql, int64_t before) {
    sqlite3_stmt *s = q(x, slot, sql);
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, before);
    return run(x, s, "trim");
}

jc_err sensor__tick(jc_conn *w, int64_t now, int force, json_t *report) {
    jc_err me = mem_enter(w);
    if (me) return me;
    sx x;
    sx_init(&x, w);
    tally t = {0};
    int offline = 0;
    jc_err e = rules_load(&x);
    if (!e) e = table_ready(&x);
    if (!e) e = tick_offline(&x, w, now, &t, &offline);
    int64_t every = setting(&x, 23, "inactivity_scan_s", 30) * 1000;
    if (!e && (force || now - D->last_inactivity_scan >= every || now < D->last_inactivity_scan)) {
        D->last_inactivity_scan = now;
        e = tick_inactivity(&x, w, now, &t);
    }
    if (!e) e = tick_rollup(&x, now);
    if (!e) e = table_flush(&x);
    if (!e) {
        int64_t raw = setting(&x, 24, "raw_retention_s", 86400) * 1000;
        int64_t kept = setting(&x, 25, "alarm_raw_retention_s", 7776000) * 1000;
        int64_t mins = setting(&x, 26, "minute_retention_s", 604800) * 1000;
        int64_t hours = setting(&x, 27, "hour_retention_s", 34560000) * 1000;
        int64_t mins_before = now - mins < D->roll_bucket ? now - mins : D->roll_bucket; /* never unrolled ones */
        e = trim(&x, 28, "DELETE FROM readings WHERE id IN (SELECT id FROM readings WHERE keep=0 AND at<? LIMIT 20000)", now - raw);
        if (!e) e = trim(&x, 29, "DELETE FROM readings WHERE id IN (SELECT id FROM readings WHERE keep=1 AND at<? LIMIT 20000)", now - kept);
        if (!e) e = trim(&x, 32, "DELETE FROM reading_agg WHERE res=60000 AND bucket<?", mins_before);
        if (!e) e = trim(&x, 33, "DELETE FROM reading_agg WHERE res=3600000 AND bucket<?", now - hours);
        if (!e) e = trim(&x, 34, "DELETE FROM silences WHERE until_at<?", now - 30LL * 86400000);
    }
    sx_done(&x);
    if (e) D->stale = 1, D->ndirty = 0; /* the job rolls back: reload */
    sensor__count(0, t.raised, t.repeats, t.suppressed, t.cases);
    if (report) {
        json_object_set_new(report, "offline", json_integer(offline));
        json_object_set_new(report, "raised", json_integer((json_int_t)t.raised));
        json_object_set_new(report, "suppressed", json_integer((json_int_t)t.suppressed));
        json_object_set_new(report, "cases", json_integer((json_int_t)t.cases));
    }
    return e;
}

jc_err sensor_alarms_active(jc_conn *c, const char *prefix, int64_t *n) {
    static const char sql[] =
        "SELECT count(*) FROM alarms WHERE state <> 'cleared' AND (?1 = '' OR (grid >= ?1 AND grid < ?1 || 'z'))";
    return sq_int_by_text(c, sql, prefix, n);
}

typedef struct {
    int (*cb)(const sensor_alarm_brief *a, void *arg);
    void *arg;
} since_ctx;

static int alarm_row(sqlite3_stmt *s, void *arg) {
    since_ctx *x = arg;
    sensor_alarm_brief a = {sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 6), sqlite3_column_int64(s, 7),
                            sq_col_str(s, 1), sq_col_str(s, 2), sq_col_str(s, 3), sq_col_str(s, 4), sq_col_str(s, 5)};
    return x->cb(&a, x->arg);
}

jc_err sensor__alarms_since(jc_conn *c, int64_t after, int limit, int64_t *last,
                            int (*cb)(const sensor_alarm_brief *a, void *arg), void *arg) {
    static const char since[] = "SELECT id, device, kind, severity, state, grid, case_id, created_at FROM alarms"
                                " WHERE id > ? ORDER BY id LIMIT ?";
    static const char newest[] = "SELECT COALESCE(max(id), 0) FROM alarms";
    since_ctx x = {cb, arg};
    return sq_since(c, since, newest, after, limit, last, cb ? alarm_row : NULL, &x, "sensor");
}
