/*
 * sensor_sqlite.c -- the SQLite half of module "sensor": its tables, and the
 * row operations of src/sensor_store.h on the writer -- the writer's memory
 * of devices, storing readings with their minute/hour aggregates, alarm and
 * silence rows, settings, the hour rollup and retention trims -- and the
 * module's reads and catalogue writes (devices, rules, alarms, silences).
 * Which readings make an alarm, the alarm lifecycle, grouping and silences
 * are decided in src/sensor_alarm.c.
 *
 * Design notes.
 *  - The row operations run on the single writer thread inside the
 *    writer's transaction, between db_enter and db_leave, so
 *    the device table (D) and the job's statements (X) need no lock: they
 *    are the store's own (store_writer_state, asserted to run on its
 *    writer), reached through mem_enter(w).
 *  - Everything is reached through the table sensor_store_sqlite (its end),
 *    named in the module's row; sensor_pg.c is the PostgreSQL twin.
 *  - Statements are prepared once per job (a batch of readings prepares each
 *    one once) and finalized when it ends, so no statement outlives its
 *    connection.
 *  - One open alarm per (device, rule) is enforced by a partial unique index.
 *  - Readings become minute aggregates (hours are rolled up by the tick) and
 *    raw rows only around alarms; the writer's in-memory device table (see
 *    its section) makes a reading cost no SELECT.
 */
#include "sensor_store.h"

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
    /* 4: the keys of readings received over MQTT in the last SENSOR_SEEN_MS
     * (real time), so that a message the broker sends again after a crash
     * between commit and PUBACK is not counted twice (src/mqtt.c). */
    "CREATE TABLE sensor_seen(device TEXT NOT NULL, at INTEGER NOT NULL, kind INTEGER NOT NULL,"
    "  seen_at INTEGER NOT NULL, PRIMARY KEY(device, at, kind)) WITHOUT ROWID;"
    "CREATE INDEX sensor_seen_at ON sensor_seen(seen_at);",
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

static jc_err db_setting_put(jc_conn *w, const char *key, int64_t value) {
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

static jc_err db_settings_json(jc_conn *c, json_t **out) {
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

static jc_err db_rule_put(jc_conn *w, alarm_rule *r, int create) {
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

static jc_err db_rule_get(jc_conn *c, int64_t id, alarm_rule *out) {
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

static jc_err db_rule_delete(jc_conn *w, int64_t id) {
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

static jc_err db_rule_list(jc_conn *c, json_t **out) {
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

/* The job's statements on the writer (db_enter .. db_leave). */
static _Thread_local sx *X;
static const char sx_key;

static jc_err db_rules(jc_conn *w, alarm_rule **out, size_t *nout) {
    (void)w;
    sqlite3_stmt *s = q(X, 39, "SELECT " RULE_COLS " FROM alarm_rules WHERE enabled=1 ORDER BY id");
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
    *out = v, *nout = n;
    return JC_OK;
}

static int64_t db_setting(jc_conn *w, const char *key, int64_t dflt) {
    (void)w;
    return setting(X, 4, key, dflt);
}

/* ---- the writer's device table ------------------------------------------------------ */
/*
 * Every registered device has an entry here, loaded in one scan on first use
 * (db_warm, called by the ticker), so ingesting a reading runs no SELECT.
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

#define RAW_RING SENSOR_RAW_RING
#define SEEN_SLACK_MS 60000      /* stored last_seen may lag this much */
#define DEV_MAX_METRICS SENSOR_DEV_MAX_METRICS

typedef sensor_dev_metric dev_metric;
typedef sensor_raw_value raw_value;
typedef sensor_dev dev;

typedef struct {
    dev **slot; /* open addressing by id; entries are never removed */
    size_t cap, n;
    int loaded, stale;
    dev **dirty; /* entries with something to write at the end of the job */
    size_t ndirty, dirty_cap;
    /* The hour rollup has consumed minute rows before (bucket, device, metric). */
    int64_t roll_bucket;
    char roll_device[64], roll_metric[32];
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

/* Points this writer thread's D at w's store's (every entry on the writer
 * that reaches it calls it first). */
static jc_err mem_enter(jc_conn *w) {
    D = store_writer_state(w, &dt_key, sizeof *D, dt_free);
    return D ? JC_OK : JC_ERR_NOMEM;
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

static jc_err db_warm(jc_conn *w) {
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

static jc_err db_device_put(jc_conn *w, const sensor_device *d, int create, char *msg, size_t msz) {
    jc_err e;
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

static jc_err db_device_get(jc_conn *c, const char *id, sensor_device *out) {
    sx x;
    sx_init(&x, c);
    jc_err e = dev_get(&x, 0, id, out);
    sx_done(&x);
    return e;
}

static jc_err db_device_delete(jc_conn *w, const char *id) {
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

static jc_err db_device_list(jc_conn *c, const char *area_prefix, const char *type, const char *after,
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

/* ---- the job and the devices' memory (sensor_store.h) ---------------------------------- */

static void sx_free(void *p) { sx_done(p); }

static jc_err db_enter(jc_conn *w) {
    jc_err e = mem_enter(w);
    if (e) return e;
    if (!(X = store_writer_state(w, &sx_key, sizeof *X, sx_free))) return JC_ERR_NOMEM;
    sx_done(X); /* what an earlier job left, if it did not end */
    sx_init(X, w);
    return JC_OK;
}

static jc_err db_leave(jc_conn *w, jc_err e) {
    (void)w;
    sx_done(X);
    memset(X->q, 0, sizeof X->q);
    if (e) {
        /* the job rolls back: so does what memory learnt from it */
        D->stale = 1;
        D->ndirty = 0;
    }
    return e;
}

/* Every device is in memory already (the table): nothing to read ahead. */
static jc_err db_prefetch(jc_conn *w, const sensor_reading *rs, size_t n) {
    (void)w, (void)rs, (void)n;
    return JC_OK;
}

static jc_err db_dev(jc_conn *w, const char *id, sensor_dev **out) {
    (void)w;
    return dev_lookup(X, id, out);
}

static sensor_dev_metric *db_dev_metric(jc_conn *w, sensor_dev *d, const char *name, int create) {
    (void)w;
    return dev_metric_get(d, name, create);
}

static jc_err db_dev_dirty(jc_conn *w, sensor_dev *d) {
    (void)w;
    return mark_dirty(d);
}

static jc_err db_device_row(jc_conn *w, const char *id, sensor_device *out) {
    (void)w;
    return dev_get(X, 0, id, out);
}

static jc_err db_reading(jc_conn *w, sensor_dev *d, int m, int64_t at, double v) {
    (void)w;
    jc_err e = raw_add(X, d, m, at, v);
    return e ? e : agg_add(X, d, &d->m[m], at, v);
}

static jc_err db_seen(jc_conn *w, const char *device, int64_t at, int kind, int64_t now, int *fresh) {
    (void)w;
    sqlite3_stmt *s = q(X, 50, "INSERT OR IGNORE INTO sensor_seen(device, at, kind, seen_at) VALUES(?,?,?,?)");
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, device);
    sqlite3_bind_int64(s, 2, at);
    sqlite3_bind_int(s, 3, kind);
    sqlite3_bind_int64(s, 4, now);
    jc_err e = run(X, s, "seen");
    *fresh = !e && sqlite3_changes(X->db) > 0;
    return e;
}

static jc_err db_seen_trim(jc_conn *w, int64_t before) {
    (void)w;
    sqlite3_stmt *s = q(X, 51, "DELETE FROM sensor_seen WHERE seen_at<?");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, before);
    return run(X, s, "seen trim");
}

static jc_err db_keep_around(jc_conn *w, sensor_dev *d, int64_t at) {
    (void)w;
    return keep_around(X, d, at);
}

static jc_err db_flush(jc_conn *w) {
    (void)w;
    return table_flush(X);
}

/* ---- alarms ---------------------------------------------------------------------- */

static int db_open_alarms(jc_conn *w, sensor_dev *d, sensor_open_alarm *out) {
    (void)w;
    if (!d->has_open) return 0; /* none since it was loaded */
    sqlite3_stmt *s = q(X, 1, "SELECT id, rule_id, state, case_id FROM alarms WHERE device=? AND state<>'cleared'");
    if (!s) return 0;
    sq_bind_text(s, 1, d->id);
    int n = 0;
    while (n < SENSOR_MAX_OPEN && sqlite3_step(s) == SQLITE_ROW) {
        out[n].id = sqlite3_column_int64(s, 0);
        out[n].rule_id = sqlite3_column_int64(s, 1);
        sq_col_copy(s, 2, out[n].state, sizeof out[n].state);
        out[n].case_id = sqlite3_column_int64(s, 3);
        n++;
    }
    if (!n) d->has_open = 0;
    return n;
}

static jc_err db_alarm_clear(jc_conn *w, int64_t id, const char *by, const char *reason, int64_t at) {
    (void)w;
    sqlite3_stmt *s = q(X, 2, "UPDATE alarms SET state='cleared', cleared_at=?, cleared_by=?, clear_reason=?"
                              " WHERE id=? AND state<>'cleared'");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, at);
    sq_bind_text(s, 2, by);
    sq_bind_text(s, 3, reason);
    sqlite3_bind_int64(s, 4, id);
    jc_err e = run(X, s, "alarm clear");
    if (e) return e;
    return sqlite3_changes(X->db) == 0 ? JC_ERR_CONFLICT : JC_OK;
}

static int64_t db_silence_at(jc_conn *w, const sensor_device *d, int64_t at) {
    (void)w;
    sqlite3_stmt *s = q(X, 3, "SELECT id FROM silences WHERE from_at<=?1 AND until_at>?1 AND"
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

static jc_err db_silence_count(jc_conn *w, int64_t id) {
    (void)w;
    sqlite3_stmt *s = q(X, 8, "UPDATE silences SET suppressed=suppressed+1 WHERE id=?");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    return run(X, s, "silence count");
}

static int64_t db_grid_case(jc_conn *w, const char *grid, const char *category, int64_t from, int64_t to) {
    (void)w;
    sqlite3_stmt *s = q(X, 5, "SELECT case_id FROM alarms WHERE grid=? AND category=? AND case_id IS NOT NULL"
                              " AND first_at>=? AND first_at<=? ORDER BY first_at DESC LIMIT 1");
    if (!s) return 0;
    sq_bind_text(s, 1, grid);
    sq_bind_text(s, 2, category);
    sqlite3_bind_int64(s, 3, from);
    sqlite3_bind_int64(s, 4, to);
    return sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
}

static jc_err db_case_begin(jc_conn *w) {
    (void)w;
    return sq_exec(X->db, "sensor", "SAVEPOINT sensor_case") == SQLITE_OK ? JC_OK : JC_ERR_DB;
}

static void db_case_undo(jc_conn *w) {
    sq_exec(X->db, "sensor", "ROLLBACK TO sensor_case");
    store_sqlite_touch(w); /* what the writer kept may be undone */
    sq_exec(X->db, "sensor", "RELEASE sensor_case");
}

static void db_case_keep(jc_conn *w) {
    (void)w;
    sq_exec(X->db, "sensor", "RELEASE sensor_case");
}

static jc_err db_alarm_repeat(jc_conn *w, int64_t id, int64_t at, double value) {
    (void)w;
    sqlite3_stmt *s = q(X, 9, "UPDATE alarms SET count=count+1, last_at=max(last_at,?), value=? WHERE id=?");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, at);
    sqlite3_bind_double(s, 2, value);
    sqlite3_bind_int64(s, 3, id);
    return run(X, s, "alarm repeat");
}

/* One open alarm per (device, rule): this writer is the database's only
 * one, and the domain looked for an open alarm first, so the row is new
 * (the partial unique index refuses a second). */
static jc_err db_alarm_insert(jc_conn *w, sensor_dev *d, const sensor_device *dv, const alarm_rule *r,
                              const char *category, double value, int64_t at, int64_t *id, int *fresh) {
    (void)w;
    sqlite3_stmt *s = q(X, 10, "INSERT INTO alarms(device,rule_id,kind,metric,severity,state,value,count,"
                               "first_at,last_at,grid,category,created_at) VALUES(?,?,?,?,?,'active',?,1,?,?,?,?,?)");
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, dv->id);
    sqlite3_bind_int64(s, 2, r->id);
    sq_bind_text(s, 3, alarm_kind_name(r->kind));
    sq_bind_text(s, 4, r->metric);
    sq_bind_text(s, 5, alarm_severity_name(r->severity));
    sqlite3_bind_double(s, 6, value);
    sqlite3_bind_int64(s, 7, at);
    sqlite3_bind_int64(s, 8, at);
    sq_bind_text(s, 9, dv->grid);
    sq_bind_text(s, 10, category);
    sqlite3_bind_int64(s, 11, jc_now_ms());
    jc_err e = run(X, s, "alarm insert");
    if (e) return e;
    d->has_open = 1;
    *id = sqlite3_last_insert_rowid(X->db);
    *fresh = 1;
    return JC_OK;
}

static jc_err db_alarm_case(jc_conn *w, int64_t id, int64_t case_id) {
    (void)w;
    sqlite3_stmt *s = q(X, 11, "UPDATE alarms SET case_id=? WHERE id=?");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, case_id);
    sqlite3_bind_int64(s, 2, id);
    return run(X, s, "alarm case");
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

static jc_err db_alarm_list(jc_conn *c, const char *state, const char *area_prefix, const char *device,
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

static jc_err db_alarm_get(jc_conn *c, int64_t id, json_t **out) {
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

static jc_err db_alarm_row(jc_conn *w, int64_t id, char state[16], int64_t *case_id, char grid[24]) {
    (void)w;
    sqlite3_stmt *s = q(X, 30, "SELECT state, case_id, grid FROM alarms WHERE id=?");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? JC_ERR_NOTFOUND : sq_fail(X->db, "sensor", "alarm get");
    sq_col_copy(s, 0, state, 16);
    *case_id = sqlite3_column_int64(s, 1);
    sq_col_copy(s, 2, grid, 24);
    return JC_OK;
}

static jc_err db_alarm_ack(jc_conn *w, int64_t id, const char *by, int64_t at) {
    (void)w;
    sqlite3_stmt *s = q(X, 31, "UPDATE alarms SET state='acknowledged', acked_at=?, acked_by=? WHERE id=?");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, at);
    sq_bind_text(s, 2, by);
    sqlite3_bind_int64(s, 3, id);
    return run(X, s, "alarm ack");
}

/* ---- silences ------------------------------------------------------------------------ */

static jc_err db_silence_put(jc_conn *w, sensor_silence *v) {
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

static jc_err db_silence_delete(jc_conn *w, int64_t id, const char *area) {
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

static jc_err db_silence_list(jc_conn *c, const char *area, json_t **out) {
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

static jc_err db_offline_due(jc_conn *w, int64_t now, char (*ids)[64], int max, int *nout) {
    (void)w;
    sqlite3_stmt *s = q(X, 20, "SELECT id FROM devices WHERE online=1 AND offline_due<=? ORDER BY offline_due LIMIT ?");
    if (!s) return JC_ERR_DB;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int(s, 2, max);
    int n = 0;
    while (n < max && sqlite3_step(s) == SQLITE_ROW) sq_col_copy(s, 0, ids[n], sizeof ids[n]), n++;
    sqlite3_reset(s);
    *nout = n;
    return JC_OK;
}

static jc_err db_activity(jc_conn *w, const alarm_rule *r, int (*cb)(const char *id, int64_t last, void *arg),
                          void *arg) {
    (void)w;
    sqlite3_stmt *s = q(X, 22, "SELECT d.id, coalesce(st.active_at, d.installed_at, d.created_at)"
                               " FROM devices d LEFT JOIN device_state st ON st.device=d.id AND st.metric=?2"
                               " WHERE d.type=?1 AND (?3='' OR d.id=?3)"
                               " AND NOT EXISTS(SELECT 1 FROM alarms a WHERE a.device=d.id AND a.rule_id=?4 AND a.state<>'cleared')");
    if (!s) return JC_ERR_DB;
    sq_bind_text(s, 1, r->type);
    sq_bind_text(s, 2, r->metric);
    sq_bind_text(s, 3, r->device);
    sqlite3_bind_int64(s, 4, r->id);
    while (sqlite3_step(s) == SQLITE_ROW)
        if (cb((const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1), arg)) break;
    sqlite3_reset(s);
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

static jc_err db_rollup(jc_conn *w, int64_t now) {
    (void)w;
    jc_err e = table_ready(X); /* the rollup's mark is kept with the table */
    return e ? e : tick_rollup(X, now);
}

static jc_err db_trim(jc_conn *w, int64_t now, int64_t raw_ms, int64_t kept_ms, int64_t minute_ms, int64_t hour_ms,
                      int64_t silence_ms) {
    (void)w;
    jc_err e = table_ready(X);
    if (e) return e;
    int64_t mins_before = now - minute_ms < D->roll_bucket ? now - minute_ms : D->roll_bucket; /* never unrolled ones */
    e = trim(X, 28, "DELETE FROM readings WHERE id IN (SELECT id FROM readings WHERE keep=0 AND at<? LIMIT 20000)", now - raw_ms);
    if (!e) e = trim(X, 29, "DELETE FROM readings WHERE id IN (SELECT id FROM readings WHERE keep=1 AND at<? LIMIT 20000)", now - kept_ms);
    if (!e) e = trim(X, 32, "DELETE FROM reading_agg WHERE res=60000 AND bucket<?", mins_before);
    if (!e) e = trim(X, 33, "DELETE FROM reading_agg WHERE res=3600000 AND bucket<?", now - hour_ms);
    if (!e) e = trim(X, 34, "DELETE FROM silences WHERE until_at<?", now - silence_ms);
    return e;
}

static jc_err db_alarms_active(jc_conn *c, const char *prefix, int64_t *n) {
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

static jc_err db_alarms_since(jc_conn *c, int64_t after, int limit, int64_t *last,
                            int (*cb)(const sensor_alarm_brief *a, void *arg), void *arg) {
    static const char since[] = "SELECT id, device, kind, severity, state, grid, case_id, created_at FROM alarms"
                                " WHERE id > ? ORDER BY id LIMIT ?";
    static const char newest[] = "SELECT COALESCE(max(id), 0) FROM alarms";
    since_ctx x = {cb, arg};
    return sq_since(c, since, newest, after, limit, last, cb ? alarm_row : NULL, &x, "sensor");
}

const sensor_store_ops sensor_store_sqlite = {
    .enter = db_enter, .leave = db_leave, .warm = db_warm,
    .device_put = db_device_put, .device_get = db_device_get, .device_delete = db_device_delete,
    .device_list = db_device_list,
    .rule_put = db_rule_put, .rule_get = db_rule_get, .rule_delete = db_rule_delete, .rule_list = db_rule_list,
    .rules = db_rules, .setting = db_setting, .setting_put = db_setting_put, .settings_json = db_settings_json,
    .prefetch = db_prefetch, .dev = db_dev, .dev_metric = db_dev_metric, .dev_dirty = db_dev_dirty, .device_row = db_device_row,
    .reading = db_reading, .seen = db_seen, .seen_trim = db_seen_trim, .keep_around = db_keep_around, .flush = db_flush,
    .offline_due = db_offline_due,
    .activity = db_activity,
    .open_alarms = db_open_alarms, .alarm_insert = db_alarm_insert, .alarm_repeat = db_alarm_repeat,
    .alarm_clear = db_alarm_clear, .alarm_ack = db_alarm_ack, .alarm_case = db_alarm_case, .alarm_row = db_alarm_row,
    .grid_case = db_grid_case, .case_begin = db_case_begin, .case_undo = db_case_undo, .case_keep = db_case_keep,
    .alarm_list = db_alarm_list, .alarm_get = db_alarm_get, .alarms_active = db_alarms_active,
    .alarms_since = db_alarms_since,
    .silence_at = db_silence_at, .silence_count = db_silence_count, .silence_put = db_silence_put,
    .silence_delete = db_silence_delete, .silence_list = db_silence_list,
    .rollup = db_rollup, .trim = db_trim,
};
