/*
 * sensor_int.h -- internals shared by sensor.c, sensor_alarm.c, sensor_sqlite.c
 * and mqtt.c.
 */
#ifndef JC_SENSOR_INT_H
#define JC_SENSOR_INT_H

#include "alarm.h"
#include "model.h"
#include "sensor.h"

typedef struct json_t json_t;

#define SENSOR_MAX_VALUES 16
#define SENSOR_PAYLOAD_CAP (64 * 1024)  /* bytes of one MQTT payload / HTTP body */
#define SENSOR_BATCH_READINGS 1000      /* readings in one batch payload */
#define SENSOR_KEEP_MS (10LL * 60 * 1000) /* raw readings kept around an alarm */
#define SENSOR_SEEN_MS (10LL * 60 * 1000) /* an MQTT reading's key is remembered (redelivery) */

/* One reading (or heartbeat) after parsing, before the device is checked. */
typedef struct {
    char device[64];
    int64_t at;          /* UTC ms */
    int own_ts;          /* at came from the payload's "ts" (else: arrival) */
    int heartbeat;
    int n;
    char metric[SENSOR_MAX_VALUES][32];
    double value[SENSOR_MAX_VALUES];
    int64_t recv_ns;     /* monotonic arrival (alarm-to-case latency) */
    int case_opened;     /* set by the writer */
} sensor_reading;

/* Reasons a reading is refused (counted and logged). */
typedef enum {
    REJ_MALFORMED_JSON = 0, REJ_INVALID_UTF8, REJ_TOO_LARGE, REJ_WRONG_TYPE, REJ_NON_FINITE,
    REJ_OUT_OF_RANGE, REJ_UNKNOWN_DEVICE, REJ_BAD_TOPIC, REJ_BAD_TIME, REJ_UNAUTHORIZED,
    REJ__COUNT
} sensor_reject;
const char *sensor__reject_name(sensor_reject r);
/* Counts and logs one refused reading. */
void sensor__reject(sensor_reject r, const char *device, const char *detail);
/* Counters bumped by the writer. */
void sensor__count(uint64_t accepted, uint64_t alarms, uint64_t repeats, uint64_t suppressed,
                   uint64_t cases);
/* Counts readings skipped as ones already stored (sensor__ingest_once). */
void sensor__count_dups(uint64_t dups);
/* Records an alarm-to-case latency sample (ms). */
void sensor__latency(double ms);
int64_t sensor__mono_ns(void);

/* Parses one payload.  device: the device id from the topic, or NULL for a
 * batch ({"readings": [...]}).  Valid readings are appended to *rs (grown
 * with realloc; *n, *cap); each bad one is counted with sensor__reject and
 * skipped.  Returns the number refused. */
int sensor__parse(const char *device, int heartbeat, const char *payload, size_t len,
                  int64_t now_ms, sensor_reading **rs, size_t *n, size_t *cap);

/* ---- writer side: the decisions (sensor_alarm.c); the rows, reads and
 * catalogue writes (devices, rules, alarms, silences, settings) are the
 * backend's: src/sensor_store.h ------------------------------------------- */
/* Stores and evaluates n readings; unknown devices are refused (counted).
 * *accepted gets the count stored. */
jc_err sensor__ingest(jc_conn *w, sensor_reading *rs, size_t n, size_t *accepted) JC_MUST_CHECK;
/* The same for readings that may come again (MQTT redelivery): a reading
 * with its own time (own_ts) whose key (device, time, heartbeat or not) was
 * stored within the last SENSOR_SEEN_MS is skipped and counted in *dups
 * (may be NULL) and in jiceng_readings_duplicate_total; the others' keys
 * are stored.  (A reading without "ts" gets its arrival time, which differs
 * when it comes again: no key can tell, and it is always stored.) */
jc_err sensor__ingest_once(jc_conn *w, sensor_reading *rs, size_t n, size_t *accepted, size_t *dups) JC_MUST_CHECK;
/* The tick at now; force = run every scan (tests).  */
jc_err sensor__tick(jc_conn *w, int64_t now, int force, json_t *report) JC_MUST_CHECK;
/* Forget cached rules (after a change). */
void sensor__rules_changed(void);

typedef struct {
    char id[64], type[24], grid[24], dept[32], person_ref[64], person_label[64], label[128];
    int has_point;
    double lon, lat;
    int64_t installed_at, heartbeat_s, last_seen, created_at, keep_until;
    double battery;
    int has_battery, online;
    char token_hash[65];
} sensor_device;

/* Devices.  sensor__device_put (sensor.c) checks d's grid and department
 * (JC_ERR_INVALID with msg) and stores it (sensor_store.h). */
jc_err sensor__device_put(jc_conn *w, const sensor_device *d, int create, char *msg, size_t msz) JC_MUST_CHECK;
json_t *sensor__device_json(const sensor_device *d);

/* Rules as JSON (sensor.c). */
json_t *sensor__rule_json(const alarm_rule *r);

/* ack or clear by actor (JC_ERR_CONFLICT when illegal from its state). */
jc_err sensor__alarm_act(jc_conn *w, const jc_user *actor, int64_t id, int clear, const char *reason,
                         int64_t now) JC_MUST_CHECK;

/* Silences. */
typedef struct {
    int64_t id;
    char device[64], grid[24], type[24], reason[256], by[64];
    int64_t from_at, until_at;
} sensor_silence;

/* Parses a device CSV (header id,type,grid[,lon,lat,dept,person_label,label,
 * heartbeat_s,installed_at], any order) into *out (malloc'd, caller frees)
 * and *n.  All or nothing: JC_ERR_INVALID with the first bad line in err. */
jc_err sensor__devices_csv(const char *data, size_t len, sensor_device **out, size_t *n, char *err,
                           size_t errsz) JC_MUST_CHECK;

/* Device token check: 1 when token_hash is the device's. */
int sensor__device_token_ok(jc_conn *c, const char *id, const char *token_hash);

/* The sensor module's tables (sensor_sqlite.c; sensor_pg.c: schema_sensor_pg),
 * named in its row. */
extern const jc_schema schema_sensor;

/* Alarms as the live stream shows them (sensor__alarms_since). */
typedef struct {
    int64_t id, case_id, created_at; /* case_id 0: none */
    const char *device, *kind, *severity, *state, *grid;
} sensor_alarm_brief;

#endif
