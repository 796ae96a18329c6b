/*
 * sensor_store.h -- the row operations of module "sensor" on the writer,
 * implemented in src/sensor_sqlite.c: devices as the writer keeps them in
 * memory, readings and their aggregates, alarm rows, silences, settings,
 * the hour rollup and retention trims.  Functions of rows and ids, no
 * decisions: which readings make an alarm, the alarm lifecycle, grouping
 * alarms into one case and what a silence suppresses are decided in
 * src/sensor_alarm.c.
 *
 * Every operation here runs on the writer, between sensor_db_enter and
 * sensor_db_leave (one job: a batch of readings, a tick, an ack), which
 * prepare the statements once per job and finalize them at its end --
 * except sensor_db_device_put, a job of its own.
 */
#ifndef JC_SENSOR_STORE_H
#define JC_SENSOR_STORE_H

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

/* A registered device in the writer's memory (sensor_sqlite.c: what is
 * written back when); the domain reads and sets id ... online and m[]'s
 * values, the rest is the store's. */
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

/* ---- the job ----------------------------------------------------------------- */
/* Begins a job's row operations on the writer w. */
jc_err sensor_db_enter(jc_conn *w) JC_MUST_CHECK;
/* Ends them; with e (the job fails, its writes roll back) the memory of
 * devices is reloaded before its next use.  Returns e. */
jc_err sensor_db_leave(jc_conn *w, jc_err e);

/* ---- devices --------------------------------------------------------------------- */
/* Inserts (create) or updates device d, as checked by sensor__device_put;
 * JC_ERR_CONFLICT ("exists" in msg) for a second insert, JC_ERR_NOTFOUND for
 * an update of none.  The writer's memory of it is reloaded on next use. */
jc_err sensor_db_device_put(jc_conn *w, const sensor_device *d, int create, char *msg, size_t msz) JC_MUST_CHECK;

/* ---- rules and settings --------------------------------------------------------- */
/* The enabled rules in id order, malloc'd into *v (caller frees), *n. */
jc_err sensor_db_rules(jc_conn *w, alarm_rule **v, size_t *n) JC_MUST_CHECK;
/* The setting key (sensor_settings), dflt when unset. */
int64_t sensor_db_setting(jc_conn *w, const char *key, int64_t dflt);

/* ---- devices in memory ----------------------------------------------------------- */
/* The memory of a registered device (loaded on first use); JC_ERR_NOTFOUND
 * for an unknown one. */
jc_err sensor_db_dev(jc_conn *w, const char *id, sensor_dev **out) JC_MUST_CHECK;
/* The metric name of d (added when create and there is room); NULL else. */
sensor_dev_metric *sensor_db_dev_metric(sensor_dev *d, const char *name, int create);
/* d has something to write at the next flush. */
jc_err sensor_db_dev_dirty(sensor_dev *d) JC_MUST_CHECK;
/* The full row of device id. */
jc_err sensor_db_device_row(jc_conn *w, const char *id, sensor_device *out) JC_MUST_CHECK;
/* Stores value v of metric m (an index into d->m) at `at`: its minute
 * aggregate, and the raw value (kept inside an alarm's window, else
 * remembered for one). */
jc_err sensor_db_reading(jc_conn *w, sensor_dev *d, int m, int64_t at, double v) JC_MUST_CHECK;
/* Around an alarm at `at`: stores the remembered raw values of the
 * SENSOR_KEEP_MS before and keeps the device's readings of the next. */
jc_err sensor_db_keep_around(jc_conn *w, sensor_dev *d, int64_t at) JC_MUST_CHECK;
/* Writes what the job changed in memory (aggregates, watched metrics'
 * state, device rows when due). */
jc_err sensor_db_flush(jc_conn *w) JC_MUST_CHECK;
/* Up to max ids of online devices whose stored offline_due <= now, into
 * ids; *n their count. */
jc_err sensor_db_offline_due(jc_conn *w, int64_t now, char (*ids)[64], int max, int *n) JC_MUST_CHECK;
/* For each device rule r covers (its type, its device if it names one)
 * without an open alarm of r: cb(id, last activity of r's metric) --
 * the latest non-zero value, else its installation or creation. */
jc_err sensor_db_activity(jc_conn *w, const alarm_rule *r, int (*cb)(const char *id, int64_t last, void *arg),
                          void *arg) JC_MUST_CHECK;

/* ---- alarms ------------------------------------------------------------------------ */
/* The open alarms of d into out (at most SENSOR_MAX_OPEN): 0 without a
 * query when d has had none since it was loaded. */
int sensor_db_open_alarms(jc_conn *w, sensor_dev *d, sensor_open_alarm *out);
/* Inserts the active alarm of rule r on device dv (memory d) with value at
 * `at` (category: the case's, "" none); *id its id. */
jc_err sensor_db_alarm_insert(jc_conn *w, sensor_dev *d, const sensor_device *dv, const alarm_rule *r,
                              const char *category, double value, int64_t at, int64_t *id) JC_MUST_CHECK;
/* A repeat of alarm id: count+1, last_at, value. */
jc_err sensor_db_alarm_repeat(jc_conn *w, int64_t id, int64_t at, double value) JC_MUST_CHECK;
/* Clears alarm id by `by` with reason at `at`; JC_ERR_CONFLICT when it was cleared. */
jc_err sensor_db_alarm_clear(jc_conn *w, int64_t id, const char *by, const char *reason, int64_t at) JC_MUST_CHECK;
/* Acknowledges alarm id by `by` at `at`. */
jc_err sensor_db_alarm_ack(jc_conn *w, int64_t id, const char *by, int64_t at) JC_MUST_CHECK;
/* Links alarm id to case_id. */
jc_err sensor_db_alarm_case(jc_conn *w, int64_t id, int64_t case_id) JC_MUST_CHECK;
/* Alarm id's state, case (0 none) and grid; JC_ERR_NOTFOUND. */
jc_err sensor_db_alarm_row(jc_conn *w, int64_t id, char state[16], int64_t *case_id, char grid[24]) JC_MUST_CHECK;
/* The case of the newest alarm of grid and category first raised within
 * [from, to], 0 none. */
int64_t sensor_db_grid_case(jc_conn *w, const char *grid, const char *category, int64_t from, int64_t to);
/* A savepoint around opening an alarm's case: begin, then undo (roll back
 * to it; what the writer kept is touched) or keep. */
jc_err sensor_db_case_begin(jc_conn *w) JC_MUST_CHECK;
void sensor_db_case_undo(jc_conn *w);
void sensor_db_case_keep(jc_conn *w);

/* ---- silences ---------------------------------------------------------------------- */
/* The first silence in force at `at` whose every criterion (device, type,
 * grid prefix) holds for d: its id, or 0. */
int64_t sensor_db_silence_at(jc_conn *w, const sensor_device *d, int64_t at);
/* Counts one alarm suppressed by silence id. */
jc_err sensor_db_silence_count(jc_conn *w, int64_t id) JC_MUST_CHECK;

/* ---- the tick's upkeep ---------------------------------------------------------------- */
/* Adds complete minutes' aggregates to their hours (a bounded step). */
jc_err sensor_db_rollup(jc_conn *w, int64_t now) JC_MUST_CHECK;
/* Deletes what is older than its retention (ms before now): raw readings,
 * raw readings kept around alarms, minute aggregates (never ones not rolled
 * up), hour aggregates, silences ended. */
jc_err sensor_db_trim(jc_conn *w, int64_t now, int64_t raw_ms, int64_t kept_ms, int64_t minute_ms, int64_t hour_ms,
                      int64_t silence_ms) JC_MUST_CHECK;

#endif
