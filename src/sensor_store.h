/*
 * sensor_store.h -- the row operations of module "sensor" on the writer,
 * implemented in src/sensor_sqlite.c: devices as the writer keeps them in
 * memory, readings and their aggregates, alarm rows, silences, settings,
 * the hour rollup and retention trims.  Functions of rows and ids, no
 * decisions: which readings make an alarm, the alarm lifecycle, grouping
 * alarms into one case and what a silence suppresses are decided in
 * src/sensor_alarm.c.
 *
 * One table of functions per storage backend (sensor_store_sqlite in
 * sensor_sqlite.c, sensor_store_pg in sensor_pg.c), named in the module's
 * row (.store); the inline functions below call the table of the
 * connection's backend, so the domain files call sensor_db_x(w, ...) and
 * sensor__x(c, ...) whatever the backend.
 *
 * The writer's operations (sensor_db_*) run between sensor_db_enter and
 * sensor_db_leave (one job: a batch of readings, a tick, an ack), which
 * prepare the statements once per job and finalize them at its end --
 * except sensor_db_device_put, a job of its own.  The reads (sensor__*
 * lists and gets) run on any connection.
 */
#ifndef JC_SENSOR_STORE_H
#define JC_SENSOR_STORE_H

#include "module.h"
#include "sensor_int.h"

#define SENSOR_RAW_RING 8          /* raw values remembered per device */
#define SENSOR_DEV_MAX_METRICS 32  /* distinct metrics tracked per device */
#define SENSOR_MAX_OPEN 32         /* open alarms of one device read at once */

/* A metric of a device in the writer's memory. */
typedef struct {
    char name[32];
    int has_value, dirty_state;   /* dirty_state: its device_state row is to be written */
    double value;                 /* the latest value (at), for rate rules */
    int64_t at, active_at;        /* active_at: the latest non-zero value (inactivity) */
    int64_t bucket, n;            /* minute aggregate not yet written (n = 0: none) */
    double min, max, sum, last;
    int64_t last_at;
} sensor_dev_metric;

typedef struct {
    int64_t at;
    double v;
    int m; /* index into sensor_dev.m; -1 = empty */
} sensor_raw_value;

/* A registered device in the writer's memory (sensor_sqlite.c and
 * sensor_pg.c: what is written back when); the domain reads and sets id ...
 * online and m[]'s values, the rest is the store's. */
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
    sensor_dev_metric *m;
    sensor_raw_value raw[SENSOR_RAW_RING];
    int raw_next;
} sensor_dev;

/* A non-cleared alarm of a device. */
typedef struct {
    int64_t id, rule_id, case_id;
    char state[16];
} sensor_open_alarm;

typedef struct {
    /* ---- the job ---- */
    /* Begins a job's row operations on the writer w. */
    jc_err (*enter)(jc_conn *w);
    /* Ends them; with e (the job fails, its writes roll back) the memory of
     * devices is reloaded before its next use.  Returns e. */
    jc_err (*leave)(jc_conn *w, jc_err e);
    /* Loads the writer's memory of devices if the backend keeps one (the
     * ticker and the MQTT client call it so that the first readings do not
     * wait for the scan). */
    jc_err (*warm)(jc_conn *w);

    /* ---- devices ---- */
    /* Inserts (create) or updates device d, as checked by sensor__device_put;
     * JC_ERR_CONFLICT ("exists" in msg) for a second insert, JC_ERR_NOTFOUND
     * for an update of none.  The writer's memory of it is reloaded on next use. */
    jc_err (*device_put)(jc_conn *w, const sensor_device *d, int create, char *msg, size_t msz);
    jc_err (*device_get)(jc_conn *c, const char *id, sensor_device *out);
    jc_err (*device_delete)(jc_conn *w, const char *id);
    /* Devices whose grid starts with area_prefix ("" any), type ("" any), id >
     * after, at most limit, as a JSON array. */
    jc_err (*device_list)(jc_conn *c, const char *area_prefix, const char *type, const char *after, int limit,
                          json_t **out);

    /* ---- rules and settings ---- */
    jc_err (*rule_put)(jc_conn *w, alarm_rule *r, int create); /* sets r->id */
    jc_err (*rule_get)(jc_conn *c, int64_t id, alarm_rule *out);
    jc_err (*rule_delete)(jc_conn *w, int64_t id);
    jc_err (*rule_list)(jc_conn *c, json_t **out);
    /* The enabled rules in id order, malloc'd into *v (caller frees), *n. */
    jc_err (*rules)(jc_conn *w, alarm_rule **v, size_t *n);
    /* The setting key (sensor_settings), dflt when unset. */
    int64_t (*setting)(jc_conn *w, const char *key, int64_t dflt);
    jc_err (*setting_put)(jc_conn *w, const char *key, int64_t value);
    jc_err (*settings_json)(jc_conn *c, json_t **out);

    /* ---- devices in memory ---- */
    /* Before n readings are ingested: the backend may read their devices'
     * memory at once (PostgreSQL: one statement; SQLite keeps every device
     * in memory already).  Unknown devices are not an error here. */
    jc_err (*prefetch)(jc_conn *w, const sensor_reading *rs, size_t n);
    /* The memory of a registered device (loaded on first use); JC_ERR_NOTFOUND
     * for an unknown one. */
    jc_err (*dev)(jc_conn *w, const char *id, sensor_dev **out);
    /* The metric name of d (added when create and there is room); NULL else. */
    sensor_dev_metric *(*dev_metric)(jc_conn *w, sensor_dev *d, const char *name, int create);
    /* d has something to write at the next flush. */
    jc_err (*dev_dirty)(jc_conn *w, sensor_dev *d);
    /* The full row of device id. */
    jc_err (*device_row)(jc_conn *w, const char *id, sensor_device *out);
    /* Stores value v of metric m (an index into d->m) at `at`: its minute
     * aggregate, and the raw value (kept inside an alarm's window, else
     * remembered for one). */
    jc_err (*reading)(jc_conn *w, sensor_dev *d, int m, int64_t at, double v);
    /* Records the key (device, at, kind: 1 heartbeat, 0 reading) of a
     * reading received at now (real time, ms): *fresh is 1 when it is new,
     * 0 when the key was recorded before (and not yet trimmed), i.e. the
     * same reading came again.  Written in the job's transaction. */
    jc_err (*seen)(jc_conn *w, const char *device, int64_t at, int kind, int64_t now, int *fresh);
    /* Deletes the keys recorded before `before` (real time, ms). */
    jc_err (*seen_trim)(jc_conn *w, int64_t before);
    /* Around an alarm at `at`: stores the remembered raw values of the
     * SENSOR_KEEP_MS before and keeps the device's readings of the next. */
    jc_err (*keep_around)(jc_conn *w, sensor_dev *d, int64_t at);
    /* Writes what the job changed in memory (aggregates, watched metrics'
     * state, device rows when due). */
    jc_err (*flush)(jc_conn *w);
    /* Up to max ids of online devices whose stored offline_due <= now, into
     * ids; *n their count. */
    jc_err (*offline_due)(jc_conn *w, int64_t now, char (*ids)[64], int max, int *n);
    /* For each device rule r covers (its type, its device if it names one)
     * without an open alarm of r: cb(id, last activity of r's metric) --
     * the latest non-zero value, else its installation or creation. */
    jc_err (*activity)(jc_conn *w, const alarm_rule *r, int (*cb)(const char *id, int64_t last, void *arg),
                       void *arg);

    /* ---- alarms ---- */
    /* The open alarms of d into out (at most SENSOR_MAX_OPEN): 0 without a
     * query when d has had none since it was loaded. */
    int (*open_alarms)(jc_conn *w, sensor_dev *d, sensor_open_alarm *out);
    /* Inserts the active alarm of rule r on device dv (memory d) with value
     * at `at` (category: the case's, "" none); *id its id.  *fresh is 1 for
     * a new row, 0 when the (device, rule) already had an open alarm (one
     * another instance raised meanwhile, PostgreSQL): that one was repeated
     * instead (count+1, last_at, value) and *id is its id. */
    jc_err (*alarm_insert)(jc_conn *w, sensor_dev *d, const sensor_device *dv, const alarm_rule *r,
                           const char *category, double value, int64_t at, int64_t *id, int *fresh);
    /* A repeat of alarm id: count+1, last_at, value. */
    jc_err (*alarm_repeat)(jc_conn *w, int64_t id, int64_t at, double value);
    /* Clears alarm id by `by` with reason at `at`; JC_ERR_CONFLICT when it was cleared. */
    jc_err (*alarm_clear)(jc_conn *w, int64_t id, const char *by, const char *reason, int64_t at);
    /* Acknowledges alarm id by `by` at `at`. */
    jc_err (*alarm_ack)(jc_conn *w, int64_t id, const char *by, int64_t at);
    /* Links alarm id to case_id. */
    jc_err (*alarm_case)(jc_conn *w, int64_t id, int64_t case_id);
    /* Alarm id's state, case (0 none) and grid; JC_ERR_NOTFOUND. */
    jc_err (*alarm_row)(jc_conn *w, int64_t id, char state[16], int64_t *case_id, char grid[24]);
    /* The case of the newest alarm of grid and category first raised within
     * [from, to], 0 none. */
    int64_t (*grid_case)(jc_conn *w, const char *grid, const char *category, int64_t from, int64_t to);
    /* A savepoint around opening an alarm's case: begin, then undo (roll
     * back to it; what the writer kept is touched) or keep. */
    jc_err (*case_begin)(jc_conn *w);
    void (*case_undo)(jc_conn *w);
    void (*case_keep)(jc_conn *w);
    /* Alarms: state "" any; area prefix scope; JSON array. */
    jc_err (*alarm_list)(jc_conn *c, const char *state, const char *area_prefix, const char *device, int limit,
                         json_t **out);
    jc_err (*alarm_get)(jc_conn *c, int64_t id, json_t **out);
    /* The alarms not cleared whose grid starts with prefix ("" any). */
    jc_err (*alarms_active)(jc_conn *c, const char *prefix, int64_t *n);
    /* The live stream's alarms after id `after` (sensor__alarms_since). */
    jc_err (*alarms_since)(jc_conn *c, int64_t after, int limit, int64_t *last,
                           int (*cb)(const sensor_alarm_brief *a, void *arg), void *arg);

    /* ---- silences ---- */
    /* The first silence in force at `at` whose every criterion (device, type,
     * grid prefix) holds for d: its id, or 0. */
    int64_t (*silence_at)(jc_conn *w, const sensor_device *d, int64_t at);
    /* Counts one alarm suppressed by silence id. */
    jc_err (*silence_count)(jc_conn *w, int64_t id);
    jc_err (*silence_put)(jc_conn *w, sensor_silence *s);
    jc_err (*silence_delete)(jc_conn *w, int64_t id, const char *area);
    jc_err (*silence_list)(jc_conn *c, const char *area, json_t **out);

    /* ---- the tick's upkeep ---- */
    /* Adds complete minutes' aggregates to their hours (a bounded step). */
    jc_err (*rollup)(jc_conn *w, int64_t now);
    /* Deletes what is older than its retention (ms before now): raw readings,
     * raw readings kept around alarms, minute aggregates (never ones not
     * rolled up), hour aggregates, silences ended. */
    jc_err (*trim)(jc_conn *w, int64_t now, int64_t raw_ms, int64_t kept_ms, int64_t minute_ms, int64_t hour_ms,
                   int64_t silence_ms);
} sensor_store_ops;

/* The two backends' tables and schemas (sensor_sqlite.c, sensor_pg.c),
 * named in the module's row. */
extern const sensor_store_ops sensor_store_sqlite, sensor_store_pg;
extern const jc_schema schema_sensor_pg;
extern const jc_module module_sensor;

/* The operations above on c's backend (the module's routes, ticks and MQTT
 * client run only where it runs, so this is never NULL there). */
static inline const sensor_store_ops *sensor_store(const jc_conn *c) {
    return (const sensor_store_ops *)module_store(&module_sensor, c);
}

/* ---- the operations on the connection's backend (contracts above) ---- */
static inline JC_MUST_CHECK jc_err sensor_db_enter(jc_conn *w) {
    return sensor_store(w)->enter(w);
}
static inline jc_err sensor_db_leave(jc_conn *w, jc_err e) {
    return sensor_store(w)->leave(w, e);
}
static inline JC_MUST_CHECK jc_err sensor__warm(jc_conn *w) {
    return sensor_store(w)->warm(w);
}
static inline JC_MUST_CHECK jc_err sensor_db_device_put(jc_conn *w, const sensor_device *d, int create, char *msg, size_t msz) {
    return sensor_store(w)->device_put(w, d, create, msg, msz);
}
static inline JC_MUST_CHECK jc_err sensor__device_get(jc_conn *c, const char *id, sensor_device *out) {
    return sensor_store(c)->device_get(c, id, out);
}
static inline JC_MUST_CHECK jc_err sensor__device_delete(jc_conn *w, const char *id) {
    return sensor_store(w)->device_delete(w, id);
}
static inline JC_MUST_CHECK jc_err sensor__device_list(jc_conn *c, const char *area_prefix, const char *type, const char *after, int limit, json_t **out) {
    return sensor_store(c)->device_list(c, area_prefix, type, after, limit, out);
}
static inline JC_MUST_CHECK jc_err sensor__rule_put(jc_conn *w, alarm_rule *r, int create) {
    return sensor_store(w)->rule_put(w, r, create);
}
static inline JC_MUST_CHECK jc_err sensor__rule_get(jc_conn *c, int64_t id, alarm_rule *out) {
    return sensor_store(c)->rule_get(c, id, out);
}
static inline JC_MUST_CHECK jc_err sensor__rule_delete(jc_conn *w, int64_t id) {
    return sensor_store(w)->rule_delete(w, id);
}
static inline JC_MUST_CHECK jc_err sensor__rule_list(jc_conn *c, json_t **out) {
    return sensor_store(c)->rule_list(c, out);
}
static inline JC_MUST_CHECK jc_err sensor_db_rules(jc_conn *w, alarm_rule **v, size_t *n) {
    return sensor_store(w)->rules(w, v, n);
}
static inline int64_t sensor_db_setting(jc_conn *w, const char *key, int64_t dflt) {
    return sensor_store(w)->setting(w, key, dflt);
}
static inline JC_MUST_CHECK jc_err sensor__setting_put(jc_conn *w, const char *key, int64_t value) {
    return sensor_store(w)->setting_put(w, key, value);
}
static inline JC_MUST_CHECK jc_err sensor__settings_json(jc_conn *c, json_t **out) {
    return sensor_store(c)->settings_json(c, out);
}
static inline JC_MUST_CHECK jc_err sensor_db_prefetch(jc_conn *w, const sensor_reading *rs, size_t n) {
    return sensor_store(w)->prefetch(w, rs, n);
}
static inline JC_MUST_CHECK jc_err sensor_db_dev(jc_conn *w, const char *id, sensor_dev **out) {
    return sensor_store(w)->dev(w, id, out);
}
static inline sensor_dev_metric * sensor_db_dev_metric(jc_conn *w, sensor_dev *d, const char *name, int create) {
    return sensor_store(w)->dev_metric(w, d, name, create);
}
static inline JC_MUST_CHECK jc_err sensor_db_dev_dirty(jc_conn *w, sensor_dev *d) {
    return sensor_store(w)->dev_dirty(w, d);
}
static inline JC_MUST_CHECK jc_err sensor_db_device_row(jc_conn *w, const char *id, sensor_device *out) {
    return sensor_store(w)->device_row(w, id, out);
}
static inline JC_MUST_CHECK jc_err sensor_db_reading(jc_conn *w, sensor_dev *d, int m, int64_t at, double v) {
    return sensor_store(w)->reading(w, d, m, at, v);
}
static inline JC_MUST_CHECK jc_err sensor_db_seen(jc_conn *w, const char *device, int64_t at, int kind, int64_t now, int *fresh) {
    return sensor_store(w)->seen(w, device, at, kind, now, fresh);
}
static inline JC_MUST_CHECK jc_err sensor_db_seen_trim(jc_conn *w, int64_t before) {
    return sensor_store(w)->seen_trim(w, before);
}
static inline JC_MUST_CHECK jc_err sensor_db_keep_around(jc_conn *w, sensor_dev *d, int64_t at) {
    return sensor_store(w)->keep_around(w, d, at);
}
static inline JC_MUST_CHECK jc_err sensor_db_flush(jc_conn *w) {
    return sensor_store(w)->flush(w);
}
static inline JC_MUST_CHECK jc_err sensor_db_offline_due(jc_conn *w, int64_t now, char (*ids)[64], int max, int *n) {
    return sensor_store(w)->offline_due(w, now, ids, max, n);
}
static inline JC_MUST_CHECK jc_err sensor_db_activity(jc_conn *w, const alarm_rule *r, int (*cb)(const char *id, int64_t last, void *arg), void *arg) {
    return sensor_store(w)->activity(w, r, cb, arg);
}
static inline int sensor_db_open_alarms(jc_conn *w, sensor_dev *d, sensor_open_alarm *out) {
    return sensor_store(w)->open_alarms(w, d, out);
}
static inline JC_MUST_CHECK jc_err sensor_db_alarm_insert(jc_conn *w, sensor_dev *d, const sensor_device *dv, const alarm_rule *r, const char *category, double value, int64_t at, int64_t *id, int *fresh) {
    return sensor_store(w)->alarm_insert(w, d, dv, r, category, value, at, id, fresh);
}
static inline JC_MUST_CHECK jc_err sensor_db_alarm_repeat(jc_conn *w, int64_t id, int64_t at, double value) {
    return sensor_store(w)->alarm_repeat(w, id, at, value);
}
static inline JC_MUST_CHECK jc_err sensor_db_alarm_clear(jc_conn *w, int64_t id, const char *by, const char *reason, int64_t at) {
    return sensor_store(w)->alarm_clear(w, id, by, reason, at);
}
static inline JC_MUST_CHECK jc_err sensor_db_alarm_ack(jc_conn *w, int64_t id, const char *by, int64_t at) {
    return sensor_store(w)->alarm_ack(w, id, by, at);
}
static inline JC_MUST_CHECK jc_err sensor_db_alarm_case(jc_conn *w, int64_t id, int64_t case_id) {
    return sensor_store(w)->alarm_case(w, id, case_id);
}
static inline JC_MUST_CHECK jc_err sensor_db_alarm_row(jc_conn *w, int64_t id, char state[16], int64_t *case_id, char grid[24]) {
    return sensor_store(w)->alarm_row(w, id, state, case_id, grid);
}
static inline int64_t sensor_db_grid_case(jc_conn *w, const char *grid, const char *category, int64_t from, int64_t to) {
    return sensor_store(w)->grid_case(w, grid, category, from, to);
}
static inline JC_MUST_CHECK jc_err sensor_db_case_begin(jc_conn *w) {
    return sensor_store(w)->case_begin(w);
}
static inline void sensor_db_case_undo(jc_conn *w) {
    sensor_store(w)->case_undo(w);
}
static inline void sensor_db_case_keep(jc_conn *w) {
    sensor_store(w)->case_keep(w);
}
static inline JC_MUST_CHECK jc_err sensor__alarm_list(jc_conn *c, const char *state, const char *area_prefix, const char *device, int limit, json_t **out) {
    return sensor_store(c)->alarm_list(c, state, area_prefix, device, limit, out);
}
static inline JC_MUST_CHECK jc_err sensor__alarm_get(jc_conn *c, int64_t id, json_t **out) {
    return sensor_store(c)->alarm_get(c, id, out);
}
static inline JC_MUST_CHECK jc_err sensor__alarms_since(jc_conn *c, int64_t after, int limit, int64_t *last, int (*cb)(const sensor_alarm_brief *a, void *arg), void *arg) {
    return sensor_store(c)->alarms_since(c, after, limit, last, cb, arg);
}
static inline int64_t sensor_db_silence_at(jc_conn *w, const sensor_device *d, int64_t at) {
    return sensor_store(w)->silence_at(w, d, at);
}
static inline JC_MUST_CHECK jc_err sensor_db_silence_count(jc_conn *w, int64_t id) {
    return sensor_store(w)->silence_count(w, id);
}
static inline JC_MUST_CHECK jc_err sensor__silence_put(jc_conn *w, sensor_silence *s) {
    return sensor_store(w)->silence_put(w, s);
}
static inline JC_MUST_CHECK jc_err sensor__silence_delete(jc_conn *w, int64_t id, const char *area) {
    return sensor_store(w)->silence_delete(w, id, area);
}
static inline JC_MUST_CHECK jc_err sensor__silence_list(jc_conn *c, const char *area, json_t **out) {
    return sensor_store(c)->silence_list(c, area, out);
}
static inline JC_MUST_CHECK jc_err sensor_db_rollup(jc_conn *w, int64_t now) {
    return sensor_store(w)->rollup(w, now);
}
static inline JC_MUST_CHECK jc_err sensor_db_trim(jc_conn *w, int64_t now, int64_t raw_ms, int64_t kept_ms, int64_t minute_ms, int64_t hour_ms, int64_t silence_ms) {
    return sensor_store(w)->trim(w, now, raw_ms, kept_ms, minute_ms, hour_ms, silence_ms);
}

#endif
