/*
 * sensor.c -- module "sensor": payload parsing (shared by MQTT and HTTP),
 * the ingestion counters behind /metrics, the HTTP API (devices, readings,
 * alarm rules, alarms, silences, the tick and settings) and the `jiceng
 * device` CLI.  What runs on the writer is in sensor_alarm.c (the decisions)
 * and the backend's table behind sensor_store.h (sensor_sqlite.c,
 * sensor_pg.c: its rows and reads); the MQTT
 * client in mqtt.c.  docs/sensors.md describes the API with examples.
 *
 * How to add a route: a handler below, one row in sensor_routes, a section
 * in docs/sensors.md.
 */
#include "sensor_int.h"
#include "sensor_store.h"

#include "auth.h"
#include "cli.h"
#include "http.h"
#include "module.h"
#include "reason.h"
#include "store.h"

#include <csv.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define R(x) ROLE_BIT(ROLE_##x)

/* ---- counters ---------------------------------------------------------------- */

static const char *const reject_names[REJ__COUNT] = {
    "malformed_json", "invalid_utf8", "too_large", "wrong_type", "non_finite",
    "out_of_range", "unknown_device", "bad_topic", "bad_time", "unauthorized"};
static _Atomic uint64_t n_rejected[REJ__COUNT];
static _Atomic uint64_t n_accepted, n_alarms, n_repeats, n_suppressed, n_cases, n_dups;

const char *sensor__reject_name(sensor_reject r) { return (unsigned)r < REJ__COUNT ? reject_names[r] : "?"; }

void sensor__reject(sensor_reject r, const char *device, const char *detail) {
    if ((unsigned)r >= REJ__COUNT) return;
    uint64_t n = atomic_fetch_add(&n_rejected[r], 1);
    /* Log the first ones of each reason, then every 1000th (no log flood). */
    if (n < 20 || n % 1000 == 0)
        jc_log(JC_LOG_WARN, "sensor: reading rejected (%s) device=%.64s: %s [%llu so far]", reject_names[r],
               device ? device : "-", detail ? detail : "", (unsigned long long)n + 1);
}

void sensor__count(uint64_t accepted, uint64_t alarms, uint64_t repeats, uint64_t suppressed, uint64_t cases) {
    atomic_fetch_add(&n_accepted, accepted);
    atomic_fetch_add(&n_alarms, alarms);
    atomic_fetch_add(&n_repeats, repeats);
    atomic_fetch_add(&n_suppressed, suppressed);
    atomic_fetch_add(&n_cases, cases);
}

void sensor__count_dups(uint64_t dups) { atomic_fetch_add(&n_dups, dups); }

int64_t sensor__mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Alarm-to-case latencies: the last LAT_N samples. */
#define LAT_N 4096
static pthread_mutex_t lat_mu = PTHREAD_MUTEX_INITIALIZER;
static double lat_v[LAT_N];
static uint64_t lat_n;

void sensor__latency(double ms) {
    pthread_mutex_lock(&lat_mu);
    lat_v[lat_n++ % LAT_N] = ms;
    pthread_mutex_unlock(&lat_mu);
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* p-quantile of the recorded latencies; -1 when none. */
static double latency_q(double p, uint64_t *count) {
    static double tmp[LAT_N];
    pthread_mutex_lock(&lat_mu);
    size_t n = lat_n < LAT_N ? (size_t)lat_n : LAT_N;
    memcpy(tmp, lat_v, n * sizeof *tmp);
    *count = lat_n;
    pthread_mutex_unlock(&lat_mu);
    if (!n) return -1;
    qsort(tmp, n, sizeof *tmp, cmp_d);
    size_t i = (size_t)ceil(p * (double)n) - 1;
    return tmp[i < n ? i : n - 1];
}

/* Prometheus text of the sensor counters appended to b
 * (jiceng_readings_total, jiceng_readings_rejected_total{reason} ...). */
static jc_err sensor_metrics(jc_conn *c, jc_buf *b) {
    (void)c;
    jc_err e = jc_buf_printf(b,
                             "# HELP jiceng_readings_total Sensor readings stored and evaluated.\n"
                             "# TYPE jiceng_readings_total counter\njiceng_readings_total %llu\n"
                             "# HELP jiceng_readings_rejected_total Sensor readings refused, by reason.\n"
                             "# TYPE jiceng_readings_rejected_total counter\n",
                             (unsigned long long)atomic_load(&n_accepted));
    for (int i = 0; i < REJ__COUNT && !e; i++)
        e = jc_buf_printf(b, "jiceng_readings_rejected_total{reason=\"%s\"} %llu\n", reject_names[i],
                          (unsigned long long)atomic_load(&n_rejected[i]));
    uint64_t cnt;
    double p99 = latency_q(0.99, &cnt);
    if (!e)
        e = jc_buf_printf(b,
                          "# TYPE jiceng_alarms_raised_total counter\njiceng_alarms_raised_total %llu\n"
                          "# TYPE jiceng_alarm_repeats_total counter\njiceng_alarm_repeats_total %llu\n"
                          "# TYPE jiceng_alarms_suppressed_total counter\njiceng_alarms_suppressed_total %llu\n"
                          "# TYPE jiceng_alarm_cases_total counter\njiceng_alarm_cases_total %llu\n"
                          "# HELP jiceng_readings_duplicate_total MQTT readings received again and skipped (redelivery).\n"
                          "# TYPE jiceng_readings_duplicate_total counter\njiceng_readings_duplicate_total %llu\n"
                          "# HELP jiceng_alarm_case_latency_p99_ms Reading received to its case committed (last 4096).\n"
                          "# TYPE jiceng_alarm_case_latency_p99_ms gauge\njiceng_alarm_case_latency_p99_ms %g\n",
                          (unsigned long long)atomic_load(&n_alarms), (unsigned long long)atomic_load(&n_repeats),
                          (unsigned long long)atomic_load(&n_suppressed), (unsigned long long)atomic_load(&n_cases),
                          (unsigned long long)atomic_load(&n_dups), p99 < 0 ? 0 : p99);
    return e;
}

static json_t *stats_json(void) {
    json_t *o = json_object(), *rej = json_object();
    uint64_t total = 0;
    for (int i = 0; i < REJ__COUNT; i++) {
        uint64_t v = atomic_load(&n_rejected[i]);
        total += v;
        json_object_set_new(rej, reject_names[i], json_integer((json_int_t)v));
    }
    json_object_set_new(o, "readings", json_integer((json_int_t)atomic_load(&n_accepted)));
    json_object_set_new(o, "rejected", rej);
    json_object_set_new(o, "rejected_total", json_integer((json_int_t)total));
    json_object_set_new(o, "alarms_raised", json_integer((json_int_t)atomic_load(&n_alarms)));
    json_object_set_new(o, "alarm_repeats", json_integer((json_int_t)atomic_load(&n_repeats)));
    json_object_set_new(o, "alarms_suppressed", json_integer((json_int_t)atomic_load(&n_suppressed)));
    json_object_set_new(o, "alarm_cases", json_integer((json_int_t)atomic_load(&n_cases)));
    json_object_set_new(o, "duplicates", json_integer((json_int_t)atomic_load(&n_dups)));
    uint64_t cnt;
    double p50 = latency_q(0.5, &cnt), p99 = latency_q(0.99, &cnt);
    json_object_set_new(o, "alarm_case_latency", json_pack("{s:I,s:f,s:f}", "samples", (json_int_t)cnt,
                                                          "p50_ms", p50, "p99_ms", p99));
    return o;
}

/* ---- parsing ------------------------------------------------------------------ */

static int device_id_ok(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n > 63) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-' || c == '.' || c == ':'))
            return 0;
    }
    return 1;
}

static int push(sensor_reading **rs, size_t *n, size_t *cap, const sensor_reading *r) {
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        sensor_reading *nv = realloc(*rs, nc * sizeof *nv);
        if (!nv) return -1;
        *rs = nv, *cap = nc;
    }
    (*rs)[(*n)++] = *r;
    return 0;
}

/* One reading object {device?, ts?, values}; 0 ok, else the reason. */
static int parse_one(json_t *o, const char *device, int heartbeat, int64_t now, sensor_reading *out,
                     char *detail, size_t dsz) {
    memset(out, 0, sizeof *out);
    out->heartbeat = heartbeat;
    if (!json_is_object(o)) return snprintf(detail, dsz, "a reading must be an object"), REJ_WRONG_TYPE + 1;
    json_t *dv = json_object_get(o, "device");
    if (!device) {
        if (!json_is_string(dv)) return snprintf(detail, dsz, "'device' must be a string"), REJ_WRONG_TYPE + 1;
        device = json_string_value(dv);
    }
    if (!device_id_ok(device)) return snprintf(detail, dsz, "bad device id"), REJ_BAD_TOPIC + 1;
    snprintf(out->device, sizeof out->device, "%s", device);
    json_t *ts = json_object_get(o, "ts");
    out->at = now;
    if (ts && !json_is_null(ts)) {
        out->own_ts = 1;
        if (json_is_string(ts)) {
            if (jc_parse_time(json_string_value(ts), &out->at) != JC_OK)
                return snprintf(detail, dsz, "'ts' is not an ISO-8601 time"), REJ_BAD_TIME + 1;
        } else if (json_is_integer(ts)) {
            out->at = json_integer_value(ts);
        } else if (json_is_real(ts)) {
            double d = json_real_value(ts);
            if (!isfinite(d)) return REJ_NON_FINITE + 1;
            out->at = (int64_t)d;
        } else {
            return snprintf(detail, dsz, "'ts' must be a string or milliseconds"), REJ_WRONG_TYPE + 1;
        }
        if (out->at < 946684800000LL || out->at > now + 86400000LL)
            return snprintf(detail, dsz, "'ts' before 2000 or more than a day ahead"), REJ_BAD_TIME + 1;
    }
    json_t *vals = json_object_get(o, "values");
    if (!vals || json_is_null(vals)) {
        if (heartbeat) return 0;
        return snprintf(detail, dsz, "'values' is required"), REJ_WRONG_TYPE + 1;
    }
    if (!json_is_object(vals)) return snprintf(detail, dsz, "'values' must be an object"), REJ_WRONG_TYPE + 1;
    if (json_object_size(vals) > SENSOR_MAX_VALUES)
        return snprintf(detail, dsz, "more than %d values", SENSOR_MAX_VALUES), REJ_TOO_LARGE + 1;
    if (json_object_size(vals) == 0 && !heartbeat) return snprintf(detail, dsz, "no values"), REJ_WRONG_TYPE + 1;
    const char *k;
    json_t *v;
    json_object_foreach(vals, k, v) {
        if (!alarm_metric_known("generic", k)) return snprintf(detail, dsz, "bad metric name"), REJ_WRONG_TYPE + 1;
        double d;
        if (json_is_number(v)) d = json_number_value(v);
        else if (json_is_boolean(v)) d = json_is_true(v) ? 1 : 0;
        else return snprintf(detail, dsz, "value of '%s' is not a number", k), REJ_WRONG_TYPE + 1;
        if (!isfinite(d)) return snprintf(detail, dsz, "'%s' is not finite", k), REJ_NON_FINITE + 1;
        if (!alarm_value_in_range(k, d)) return snprintf(detail, dsz, "'%s'=%g out of range", k, d), REJ_OUT_OF_RANGE + 1;
        snprintf(out->metric[out->n], sizeof out->metric[0], "%s", k);
        out->value[out->n++] = d;
    }
    return 0;
}

static int contains(const char *p, size_t len, const char *needle) { return memmem(p, len, needle, strlen(needle)) != NULL; }

int sensor__parse(const char *device, int heartbeat, const char *payload, size_t len, int64_t now,
                  sensor_reading **rs, size_t *n, size_t *cap) {
    int64_t t0 = sensor__mono_ns();
    if (len > SENSOR_PAYLOAD_CAP) {
        char d[64];
        snprintf(d, sizeof d, "payload of %zu bytes > %d", len, SENSOR_PAYLOAD_CAP);
        sensor__reject(REJ_TOO_LARGE, device, d);
        return 1;
    }
    sensor_reading one;
    if (heartbeat && len == 0) {
        memset(&one, 0, sizeof one);
        if (!device || !device_id_ok(device)) return sensor__reject(REJ_BAD_TOPIC, device, "bad device id"), 1;
        snprintf(one.device, sizeof one.device, "%s", device);
        one.at = now, one.heartbeat = 1, one.recv_ns = t0;
        return push(rs, n, cap, &one) ? 1 : 0;
    }
    if (!jc_utf8_valid(payload, len)) return sensor__reject(REJ_INVALID_UTF8, device, "payload is not UTF-8"), 1;
    json_error_t err;
    json_t *root = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        sensor_reject why = REJ_MALFORMED_JSON;
        if (contains(payload, len, "NaN") || contains(payload, len, "Infinity") || contains(payload, len, "nan") ||
            contains(payload, len, "inf"))
            why = REJ_NON_FINITE;
        else if (strstr(err.text, "overflow"))
            why = REJ_OUT_OF_RANGE;
        sensor__reject(why, device, err.text);
        return 1;
    }
    int bad = 0;
    char detail[128];
    json_t *batch = json_is_object(root) ? json_object_get(root, "readings") : NULL;
    if (!device && batch) {
        if (!json_is_array(batch)) {
            sensor__reject(REJ_WRONG_TYPE, NULL, "'readings' must be an array");
            bad = 1;
        } else if (json_array_size(batch) > SENSOR_BATCH_READINGS) {
            sensor__reject(REJ_TOO_LARGE, NULL, "more than 1000 readings in a batch");
            bad = 1;
        } else {
            size_t i;
            json_t *el;
            json_array_foreach(batch, i, el) {
                detail[0] = 0;
                int rc = parse_one(el, NULL, heartbeat, now, &one, detail, sizeof detail);
                if (rc) {
                    sensor__reject((sensor_reject)(rc - 1), one.device[0] ? one.device : NULL, detail);
                    bad++;
                    continue;
                }
                one.recv_ns = t0;
                if (push(rs, n, cap, &one)) bad++;
            }
        }
    } else {
        detail[0] = 0;
        int rc = parse_one(root, device, heartbeat, now, &one, detail, sizeof detail);
        if (rc) {
            sensor__reject((sensor_reject)(rc - 1), device ? device : (one.device[0] ? one.device : NULL), detail);
            bad = 1;
        } else {
            one.recv_ns = t0;
            if (push(rs, n, cap, &one)) bad = 1;
        }
    }
    json_decref(root);
    return bad;
}

/* ---- the ticker ------------------------------------------------------------------ */

jc_err sensor_tick(jc_conn *w, int64_t now_ms) {
    static int manual = -1;
    if (manual < 0) {
        const char *v = getenv("JICENG_SENSOR_MANUAL_TICK");
        manual = v && !strcmp(v, "1");
    }
    if (manual) return sensor__warm(w);
    return sensor__tick(w, now_ms, 0, NULL);
}

/* ---- HTTP: helpers ------------------------------------------------------------------ */

/* The area prefix a user is limited to ("" = everything). */
static const char *scope(const jc_req *r) {
    return r->user.role == ROLE_ADMIN ? "" : r->user.area;
}
static int in_scope(const jc_req *r, const char *grid) {
    const char *p = scope(r);
    return !*p || !strncmp(grid, p, strlen(p));
}

static int query_limit(jc_req *r, int dflt, int max) {
    char tmp[24];
    int64_t n;
    if (!http_query(r, "limit", tmp, sizeof tmp)) return dflt;
    if (jc_parse_i64(tmp, &n) || n < 1 || n > max) {
        http_reply_error(r, JC_ERR_INVALID, "limit must be 1..%d", max);
        return -1;
    }
    return (int)n;
}

/* An ID-card number (18 chars, 17 digits + digit/X) or a phone number must
 * never be stored as a person reference. */
static int looks_personal(const char *s) {
    size_t n = strlen(s), digits = 0;
    for (size_t i = 0; i < n; i++) digits += s[i] >= '0' && s[i] <= '9';
    if (n == 18 && digits >= 17) return 1;
    if (n == 15 && digits == 15) return 1;
    if (n == 11 && digits == 11 && s[0] == '1') return 1;
    return 0;
}

/* ---- HTTP: readings ------------------------------------------------------------------ */

typedef struct {
    sensor_reading *rs;
    size_t n;
    int rejected;
} readings_job;

static void readings_free(void *p) {
    readings_job *j = p;
    free(j->rs);
    free(j);
}

static jc_err run_readings(jc_conn *w, jc_deferred *d) {
    readings_job *j = d->data;
    size_t ok = 0;
    jc_err e = sensor__ingest(w, j->rs, j->n, &ok);
    if (e) return e;
    d->status = ok ? 200 : 400;
    d->body = json_pack("{s:I,s:I}", "accepted", (json_int_t)ok, "rejected", (json_int_t)(j->n - ok + (size_t)j->rejected));
    if (!ok) json_object_set_new(d->body, "error", json_pack("{s:s,s:s}", "code", "invalid", "message", "no reading was accepted"));
    return JC_OK;
}

static void h_readings(jc_req *r) {
    const char *v;
    size_t vl;
    char th[65];
    int staff = 0;
    const char *dev_token = NULL;
    if (http_header(r, "authorization", &v, &vl) && vl > 7 && !strncasecmp(v, "Bearer ", 7)) {
        jc_user u; /* sessions live in real time, also in a simulation */
        if (auth_token_hash(v + 7, vl - 7, th) == JC_OK && store_session_user(r->db, th, jc_real_ms(), &u) == JC_OK &&
            (u.role == ROLE_ADMIN || u.role == ROLE_DISPATCHER)) {
            staff = 1;
            r->user = u;
            r->authed = 1;
        }
    }
    char dth[65];
    if (!staff && http_header(r, "x-device-token", &v, &vl)) {
        if (auth_token_hash(v, vl, dth) == JC_OK) dev_token = dth;
    }
    if (!staff && !dev_token) {
        sensor__reject(REJ_UNAUTHORIZED, NULL, "no staff or device token");
        return http_reply_error(r, JC_ERR_AUTH, "log in as admin/dispatcher or send X-Device-Token");
    }
    readings_job *j = calloc(1, sizeof *j);
    if (!j) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    size_t cap = 0;
    j->rejected = sensor__parse(NULL, 0, r->body ? r->body : "", r->body_len, jc_now_ms(), &j->rs, &j->n, &cap);
    if (dev_token) {
        for (size_t i = 0; i < j->n; i++)
            if (!sensor__device_token_ok(r->db, j->rs[i].device, dev_token)) {
                sensor__reject(REJ_UNAUTHORIZED, j->rs[i].device, "device token does not match");
                readings_free(j);
                return http_reply_error(r, JC_ERR_AUTH, "the device token does not match the device");
            }
    }
    if (!j->n) {
        int rej = j->rejected;
        readings_free(j);
        return http_reply_error(r, JC_ERR_INVALID, "no valid reading (%d refused; see /api/v1/sensor/metrics)", rej);
    }
    api_defer(r, run_readings, j, readings_free);
}

/* ---- devices on the writer ----------------------------------------------------------- */

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
    return sensor_db_device_put(w, d, create, msg, msz);
}

/* ---- HTTP: devices ------------------------------------------------------------------- */

enum { F_TYPE = 1, F_POINT = 2, F_GRID = 4, F_DEPT = 8, F_PREF = 16, F_PLABEL = 32, F_LABEL = 64,
       F_INST = 128, F_HB = 256 };
typedef struct {
    sensor_device d;
    unsigned set;
    char token[65];
} dev_job;

/* Reads the device fields of the body into j; -1 after answering 400. */
static int read_device_fields(jc_req *r, dev_job *j) {
    const char *s;
    int k;
    sensor_device *d = &j->d;
    if ((k = api_get_str(r, "type", 23, &s)) < 0) return -1;
    if (k) {
        if (!alarm_type_known(s)) return http_reply_error(r, JC_ERR_INVALID, "unknown device type '%s'", s), -1;
        snprintf(d->type, sizeof d->type, "%s", s), j->set |= F_TYPE;
    }
    double lon = NAN, lat = NAN;
    int kl = api_get_num(r, "lon", -180, 180, &lon), ka = api_get_num(r, "lat", -90, 90, &lat);
    if (kl < 0 || ka < 0) return -1;
    if (kl != ka) return http_reply_error(r, JC_ERR_INVALID, "lon and lat go together (WGS-84)"), -1;
    if (kl) d->has_point = 1, d->lon = lon, d->lat = lat, j->set |= F_POINT;
    if ((k = api_get_str(r, "grid", 23, &s)) < 0) return -1;
    if (k) snprintf(d->grid, sizeof d->grid, "%s", s), j->set |= F_GRID;
    if ((k = api_get_str(r, "dept", 31, &s)) < 0) return -1;
    if (k) snprintf(d->dept, sizeof d->dept, "%s", s), j->set |= F_DEPT;
    if ((k = api_get_str(r, "person_ref", 63, &s)) < 0) return -1;
    if (k) {
        if (looks_personal(s))
            return http_reply_error(r, JC_ERR_INVALID, "person_ref must be a reference, never an ID or phone number"), -1;
        snprintf(d->person_ref, sizeof d->person_ref, "%s", s), j->set |= F_PREF;
    }
    if ((k = api_get_str(r, "person_label", 20, &s)) < 0) return -1;
    if (k) {
        if (looks_personal(s)) return http_reply_error(r, JC_ERR_INVALID, "person_label must not be an ID or phone number"), -1;
        snprintf(d->person_label, sizeof d->person_label, "%s", s), j->set |= F_PLABEL;
    }
    if ((k = api_get_str(r, "label", 40, &s)) < 0) return -1;
    if (k) snprintf(d->label, sizeof d->label, "%s", s), j->set |= F_LABEL;
    if ((k = api_get_time(r, "installed_at", &d->installed_at)) < 0) return -1;
    if (k) j->set |= F_INST;
    if ((k = api_get_int(r, "heartbeat_s", 10, 7 * 86400, &d->heartbeat_s)) < 0) return -1;
    if (k) j->set |= F_HB;
    return 0;
}

/* The audit reason of a device's change as a code (docs/audit.md), in a
 * buffer of the writer thread's. */
static const char *dev_reason(const sensor_device *v, const char *code) {
    static _Thread_local char note[600];
    reason_buf b;
    reason_begin(&b, note, sizeof note, code);
    reason_str(&b, "device", v->id);
    reason_str(&b, "type", v->type);
    reason_str(&b, "grid", v->grid);
    reason_str(&b, "label", v->label[0] ? v->label : NULL);
    return reason_end(&b);
}

static jc_err run_device_add(jc_conn *w, jc_deferred *d) {
    dev_job *j = d->data;
    jc_err e = sensor__device_put(w, &j->d, 1, d->message, sizeof d->message);
    if (e) return e;
    if ((e = auth_audit(w, &d->user, "device_add", dev_reason(&j->d, "device_add")))) return e;
    sensor_device got;
    if ((e = sensor__device_get(w, j->d.id, &got))) return e;
    d->status = 201;
    d->body = sensor__device_json(&got);
    json_object_set_new(d->body, "token", json_string(j->token));
    return JC_OK;
}

static void h_device_add(jc_req *r) {
    dev_job *j = calloc(1, sizeof *j);
    if (!j) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    const char *id;
    if (api_need_str(r, "id", 63, &id) < 0 || read_device_fields(r, j) < 0) return free(j);
    if (!device_id_ok(id)) return free(j), http_reply_error(r, JC_ERR_INVALID, "id: 1..63 of A-Z a-z 0-9 _ - . :");
    if (!(j->set & F_TYPE) || !(j->set & F_GRID))
        return free(j), http_reply_error(r, JC_ERR_INVALID, "fields 'type' and 'grid' are required");
    if (!in_scope(r, j->d.grid)) return free(j), http_reply_error(r, JC_ERR_DENIED, "grid outside your area");
    snprintf(j->d.id, sizeof j->d.id, "%s", id);
    if (!(j->set & F_HB)) j->d.heartbeat_s = 300;
    auth_new_token(j->token, j->d.token_hash);
    api_defer(r, run_device_add, j, free);
}

static void h_device_list(jc_req *r) {
    char grid[24] = "", type[24] = "", after[64] = "";
    http_query(r, "grid", grid, sizeof grid);
    http_query(r, "type", type, sizeof type);
    http_query(r, "after", after, sizeof after);
    int limit = query_limit(r, 100, 1000);
    if (limit < 0) return;
    const char *pre = scope(r);
    if (grid[0]) {
        if (!in_scope(r, grid)) return http_reply_error(r, JC_ERR_DENIED, "grid outside your area");
        pre = grid;
    }
    json_t *a;
    jc_err e = sensor__device_list(r->db, pre, type, after, limit, &a);
    if (e) return http_reply_error(r, e, "devices");
    http_reply_json(r, 200, json_pack("{s:o}", "devices", a));
}

static void h_device_get(jc_req *r) {
    sensor_device d;
    jc_err e = sensor__device_get(r->db, r->params[0], &d);
    if (!e && !in_scope(r, d.grid)) e = JC_ERR_NOTFOUND;
    if (e) return http_reply_error(r, e, "no device %.64s", r->params[0]);
    json_t *o = sensor__device_json(&d), *alarms = NULL;
    if (sensor__alarm_list(r->db, "", "", d.id, 20, &alarms) == JC_OK) json_object_set_new(o, "alarms", alarms);
    http_reply_json(r, 200, o);
}

static jc_err run_device_put(jc_conn *w, jc_deferred *d) {
    dev_job *j = d->data;
    sensor_device cur;
    jc_err e = sensor__device_get(w, j->d.id, &cur);
    if (e == JC_ERR_NOTFOUND) snprintf(d->message, sizeof d->message, "no device %s", j->d.id);
    if (e) return e;
    if (d->user.area[0] && d->user.role != ROLE_ADMIN &&
        (strncmp(cur.grid, d->user.area, strlen(d->user.area)) ||
         ((j->set & F_GRID) && strncmp(j->d.grid, d->user.area, strlen(d->user.area)))))
        return snprintf(d->message, sizeof d->message, "device outside your area"), JC_ERR_NOTFOUND;
    const sensor_device *n = &j->d;
    if (j->set & F_TYPE) memcpy(cur.type, n->type, sizeof cur.type);
    if (j->set & F_POINT) cur.has_point = 1, cur.lon = n->lon, cur.lat = n->lat;
    if (j->set & F_GRID) memcpy(cur.grid, n->grid, sizeof cur.grid);
    if (j->set & F_DEPT) memcpy(cur.dept, n->dept, sizeof cur.dept);
    if (j->set & F_PREF) memcpy(cur.person_ref, n->person_ref, sizeof cur.person_ref);
    if (j->set & F_PLABEL) memcpy(cur.person_label, n->person_label, sizeof cur.person_label);
    if (j->set & F_LABEL) memcpy(cur.label, n->label, sizeof cur.label);
    if (j->set & F_INST) cur.installed_at = n->installed_at;
    if (j->set & F_HB) cur.heartbeat_s = n->heartbeat_s;
    if ((e = sensor__device_put(w, &cur, 0, d->message, sizeof d->message))) return e;
    if ((e = auth_audit(w, &d->user, "device_update", dev_reason(&cur, "device_update")))) return e;
    sensor__rules_changed(); /* a type change changes the rules in force */
    d->status = 200;
    d->body = sensor__device_json(&cur);
    return JC_OK;
}

static void h_device_put(jc_req *r) {
    dev_job *j = calloc(1, sizeof *j);
    if (!j) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    if (read_device_fields(r, j) < 0) return free(j);
    snprintf(j->d.id, sizeof j->d.id, "%.63s", r->params[0]);
    api_defer(r, run_device_put, j, free);
}

static jc_err run_device_delete(jc_conn *w, jc_deferred *d) {
    const char *id = d->data;
    sensor_device cur;
    jc_err e = sensor__device_get(w, id, &cur);
    if (!e && d->user.role != ROLE_ADMIN && d->user.area[0] && strncmp(cur.grid, d->user.area, strlen(d->user.area)))
        e = JC_ERR_NOTFOUND;
    if (!e) e = sensor__device_delete(w, id);
    if (e == JC_ERR_NOTFOUND) snprintf(d->message, sizeof d->message, "no device %.64s", id);
    if (e) return e;
    if ((e = auth_audit(w, &d->user, "device_delete", dev_reason(&cur, "device_delete")))) return e;
    d->status = 200;
    d->body = json_pack("{s:s,s:b}", "id", id, "deleted", 1);
    return JC_OK;
}

static void h_device_delete(jc_req *r) {
    char *id = jc_strdup(r->params[0]);
    if (!id) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    api_defer(r, run_device_delete, id, free);
}

/* ---- HTTP: alarm rules ---------------------------------------------------------------- */

typedef struct {
    alarm_rule r;
    int create;
    json_t *patch; /* the body, for PUT (merged on the writer) */
} rule_job;

static void rule_job_free(void *p) {
    rule_job *j = p;
    json_decref(j->patch);
    free(j);
}

/* Applies body fields to rule; 0 ok, else writes msg and returns -1. */
static int apply_rule_fields(json_t *b, alarm_rule *r, char *msg, size_t msz) {
    json_t *v;
    const char *key;
    json_object_foreach(b, key, v) {
        int null = json_is_null(v);
        if (!strcmp(key, "type") || !strcmp(key, "device") || !strcmp(key, "metric") || !strcmp(key, "kind") ||
            !strcmp(key, "severity") || !strcmp(key, "category") || !strcmp(key, "name") || !strcmp(key, "from") ||
            !strcmp(key, "to")) {
            if (!null && !json_is_string(v)) return snprintf(msg, msz, "field '%s' must be a string", key), -1;
            const char *s = null ? "" : json_string_value(v);
            if (strlen(s) > 60 || !jc_utf8_valid(s, strlen(s))) return snprintf(msg, msz, "field '%s' is too long", key), -1;
            if (!strcmp(key, "type")) snprintf(r->type, sizeof r->type, "%s", s);
            else if (!strcmp(key, "device")) snprintf(r->device, sizeof r->device, "%s", s);
            else if (!strcmp(key, "metric")) snprintf(r->metric, sizeof r->metric, "%s", s);
            else if (!strcmp(key, "category")) snprintf(r->category, sizeof r->category, "%s", s);
            else if (!strcmp(key, "name")) snprintf(r->name, sizeof r->name, "%s", s);
            else if (!strcmp(key, "kind")) {
                int k = alarm_kind_parse(s);
                if (k < 0) return snprintf(msg, msz, "unknown kind '%s'", s), -1;
                r->kind = (alarm_kind)k;
            } else if (!strcmp(key, "severity")) {
                int k = alarm_severity_parse(s);
                if (k < 0) return snprintf(msg, msz, "unknown severity '%s' (info|minor|major|critical)", s), -1;
                r->severity = (alarm_severity)k;
            } else {
                int m = null ? ALARM_NO_WINDOW : alarm_parse_hhmm(s);
                if (!null && m < 0) return snprintf(msg, msz, "bad window: '%s' is not HH:MM", key), -1;
                if (!strcmp(key, "from")) r->win_from = m;
                else r->win_to = m;
            }
        } else if (!strcmp(key, "high") || !strcmp(key, "low") || !strcmp(key, "rate") || !strcmp(key, "k")) {
            if (!null && !json_is_number(v)) return snprintf(msg, msz, "field '%s' must be a number", key), -1;
            double d = null ? NAN : json_number_value(v);
            if (!strcmp(key, "high")) r->high = d;
            else if (!strcmp(key, "low")) r->low = d;
            else if (!strcmp(key, "rate")) r->rate = d;
            else r->k = d;
        } else if (!strcmp(key, "duration_s")) {
            if (!json_is_integer(v)) return snprintf(msg, msz, "field 'duration_s' must be an integer"), -1;
            r->duration_s = json_integer_value(v);
        } else if (!strcmp(key, "opens_case") || !strcmp(key, "enabled")) {
            if (!json_is_boolean(v)) return snprintf(msg, msz, "field '%s' must be true or false", key), -1;
            if (!strcmp(key, "enabled")) r->enabled = json_is_true(v);
            else r->opens_case = json_is_true(v);
        }
    }
    return 0;
}

static jc_err check_rule_refs(jc_conn *w, const alarm_rule *r, char *msg, size_t msz) {
    jc_err e = alarm_rule_validate(r, msg, msz);
    if (e) return e;
    if (r->category[0]) {
        jc_category k;
        e = store_category_get(w, r->category, &k);
        if (e == JC_ERR_NOTFOUND) return snprintf(msg, msz, "unknown category '%s'", r->category), JC_ERR_INVALID;
        if (e) return e;
        category_clear(&k);
    }
    if (r->device[0]) {
        sensor_device d;
        e = sensor__device_get(w, r->device, &d);
        if (e == JC_ERR_NOTFOUND) return snprintf(msg, msz, "unknown device '%s'", r->device), JC_ERR_INVALID;
        if (e) return e;
        if (strcmp(d.type, r->type)) return snprintf(msg, msz, "device %s is a %s, not a %s", d.id, d.type, r->type), JC_ERR_INVALID;
    }
    return JC_OK;
}

static jc_err run_rule_put(jc_conn *w, jc_deferred *d) {
    rule_job *j = d->data;
    jc_err e;
    if (!j->create) {
        if ((e = sensor__rule_get(w, j->r.id, &j->r))) return snprintf(d->message, sizeof d->message, "no rule"), e;
        if (apply_rule_fields(j->patch, &j->r, d->message, sizeof d->message)) return JC_ERR_INVALID;
    }
    if ((e = check_rule_refs(w, &j->r, d->message, sizeof d->message))) return e;
    if ((e = sensor__rule_put(w, &j->r, j->create))) return e;
    /* a code (docs/audit.md): the rule, its name, type and kind, and the fields given */
    char *txt = json_dumps(j->patch, JSON_COMPACT | JSON_SORT_KEYS), note[1200];
    reason_buf rb;
    reason_begin(&rb, note, sizeof note, "alarm_rule");
    reason_int(&rb, "rule", j->r.id);
    reason_str(&rb, "name", j->r.name[0] ? j->r.name : NULL);
    reason_str(&rb, "type", j->r.type);
    reason_str(&rb, "kind", alarm_kind_name(j->r.kind));
    reason_raw(&rb, "patch", txt ? txt : "{}");
    reason_end(&rb);
    free(txt);
    if ((e = auth_audit(w, &d->user, j->create ? "alarm_rule_add" : "alarm_rule_update", note))) return e;
    d->status = j->create ? 201 : 200;
    d->body = sensor__rule_json(&j->r);
    return JC_OK;
}

static void h_rule_put(jc_req *r) {
    rule_job *j = calloc(1, sizeof *j);
    if (!j) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    j->create = !strcmp(r->method, "POST");
    j->patch = json_incref(r->json);
    if (j->create) {
        alarm_rule *a = &j->r;
        a->high = a->low = a->rate = NAN;
        a->k = 3;
        a->win_from = a->win_to = ALARM_NO_WINDOW;
        a->severity = SEV_MAJOR;
        a->opens_case = 1;
        a->enabled = 1;
        a->kind = AK__COUNT;
        char msg[200];
        if (apply_rule_fields(r->json, a, msg, sizeof msg)) return rule_job_free(j), http_reply_error(r, JC_ERR_INVALID, "%s", msg);
        if (a->kind == AK_BATTERY && !a->metric[0]) snprintf(a->metric, sizeof a->metric, "battery");
        if (a->kind == AK_BATTERY && !isfinite(a->high) && isfinite(a->low)) a->high = a->low + 10;
        if (alarm_rule_validate(a, msg, sizeof msg)) return rule_job_free(j), http_reply_error(r, JC_ERR_INVALID, "%s", msg);
    } else {
        int64_t id;
        if (api_param_id(r, 0, &id)) return rule_job_free(j);
        j->r.id = id;
        char msg[200];
        alarm_rule probe = {0};
        if (apply_rule_fields(r->json, &probe, msg, sizeof msg)) return rule_job_free(j), http_reply_error(r, JC_ERR_INVALID, "%s", msg);
    }
    api_defer(r, run_rule_put, j, rule_job_free);
}

static void h_rule_list(jc_req *r) {
    json_t *a;
    jc_err e = sensor__rule_list(r->db, &a);
    if (e) return http_reply_error(r, e, "rules");
    http_reply_json(r, 200, json_pack("{s:o}", "rules", a));
}

/* DELETE of a rule or a silence by its numeric id (d->data: the id): del(w,
 * id), an audit entry `action` "<what> <id> deleted", and the answer
 * {"id": id, "deleted": true}. */
static jc_err delete_by_id(jc_conn *w, jc_deferred *d, jc_err (*del)(jc_conn *, int64_t), const char *what,
                           const char *action) {
    int64_t id = *(int64_t *)d->data;
    jc_err e = del(w, id);
    if (e == JC_ERR_NOTFOUND) snprintf(d->message, sizeof d->message, "no %s %lld", what, (long long)id);
    if (e) return e;
    char note[80];
    reason_buf rb;
    reason_begin(&rb, note, sizeof note, "deleted"); /* a code (docs/audit.md) */
    reason_str(&rb, "what", what);
    reason_int(&rb, "id", id);
    if ((e = auth_audit(w, &d->user, action, reason_end(&rb)))) return e;
    d->status = 200;
    d->body = json_pack("{s:I,s:b}", "id", (json_int_t)id, "deleted", 1);
    return JC_OK;
}

/* Defers run with the route's first parameter, a numeric id, as its data. */
static void defer_with_id(jc_req *r, jc_err (*run)(jc_conn *, jc_deferred *)) {
    int64_t *id = malloc(sizeof *id);
    if (!id) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    if (api_param_id(r, 0, id)) return free(id);
    api_defer(r, run, id, free);
}

static jc_err run_rule_delete(jc_conn *w, jc_deferred *d) {
    return delete_by_id(w, d, sensor__rule_delete, "rule", "alarm_rule_delete");
}

static void h_rule_delete(jc_req *r) { defer_with_id(r, run_rule_delete); }

/* ---- HTTP: alarms ------------------------------------------------------------------------ */

static void h_alarm_list(jc_req *r) {
    char state[16] = "", device[64] = "";
    http_query(r, "state", state, sizeof state);
    http_query(r, "device", device, sizeof device);
    if (state[0] && strcmp(state, "active") && strcmp(state, "acknowledged") && strcmp(state, "cleared"))
        return http_reply_error(r, JC_ERR_INVALID, "state must be active, acknowledged or cleared");
    int limit = query_limit(r, 100, 1000);
    if (limit < 0) return;
    json_t *a;
    jc_err e = sensor__alarm_list(r->db, state, scope(r), device, limit, &a);
    if (e) return http_reply_error(r, e, "alarms");
    http_reply_json(r, 200, json_pack("{s:o}", "alarms", a));
}

static void h_alarm_get(jc_req *r) {
    int64_t id;
    if (api_param_id(r, 0, &id)) return;
    json_t *o;
    jc_err e = sensor__alarm_get(r->db, id, &o);
    if (!e && !in_scope(r, json_string_value(json_object_get(o, "grid")) ? json_string_value(json_object_get(o, "grid")) : "")) {
        json_decref(o);
        e = JC_ERR_NOTFOUND;
    }
    if (e) return http_reply_error(r, e, "no alarm %lld", (long long)id);
    http_reply_json(r, 200, o);
}

typedef struct {
    int64_t id;
    int clear;
    char reason[256];
} alarm_job;

static jc_err run_alarm_act(jc_conn *w, jc_deferred *d) {
    alarm_job *j = d->data;
    jc_user u = d->user;
    if (u.role == ROLE_ADMIN) u.area[0] = 0;
    jc_err e = sensor__alarm_act(w, &u, j->id, j->clear, j->reason, jc_now_ms());
    if (e == JC_ERR_CONFLICT)
        snprintf(d->message, sizeof d->message, j->clear ? "the alarm is already cleared" : "only an active alarm can be acknowledged");
    else if (e == JC_ERR_NOTFOUND) snprintf(d->message, sizeof d->message, "no alarm %lld", (long long)j->id);
    if (e) return e;
    if ((e = sensor__alarm_get(w, j->id, &d->body))) return e;
    d->status = 200;
    return JC_OK;
}

static void h_alarm_act(jc_req *r) {
    alarm_job *j = calloc(1, sizeof *j);
    if (!j) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    if (api_param_id(r, 0, &j->id)) return free(j);
    const char *act = r->params[1], *reason = NULL;
    if (!strcmp(act, "clear")) j->clear = 1;
    else if (strcmp(act, "ack")) return free(j), http_reply_error(r, JC_ERR_NOTFOUND, "unknown alarm action '%.32s'", act);
    if (api_get_str(r, "reason", 200, &reason) < 0) return free(j);
    snprintf(j->reason, sizeof j->reason, "%s", reason ? reason : "");
    api_defer(r, run_alarm_act, j, free);
}

/* ---- HTTP: silences ----------------------------------------------------------------------
 * Who may silence what (docs/sensors.md): a silence covers the devices that
 * match every criterion it names (device, type, grid prefix).  An admin
 * silences anything.  A scoped role (dispatcher: its street; community
 * staff: its community) silences only within its area: a silence without a
 * grid is bound to the device's grid, or to the caller's area.  Smoke and
 * gas detectors protect lives: community staff may silence one such device
 * at a time (a detector under maintenance), never a type or an area of
 * them. */

static const char *const life_safety_types[] = {"smoke", "gas"};

static int life_safety(const char *type) {
    for (size_t i = 0; i < JC_ARRAY_LEN(life_safety_types); i++)
        if (!strcmp(type, life_safety_types[i])) return 1;
    return 0;
}

static jc_err run_silence_add(jc_conn *w, jc_deferred *d) {
    sensor_silence *s = d->data;
    const char *area = d->user.role == ROLE_ADMIN ? "" : d->user.area;
    jc_err e;
    if (s->grid[0]) {
        jc_area a;
        e = store_area_get(w, s->grid, &a);
        if (e == JC_ERR_NOTFOUND) return snprintf(d->message, sizeof d->message, "unknown area '%s'", s->grid), JC_ERR_INVALID;
        if (e) return e;
        area_clear(&a);
    }
    if (s->device[0]) {
        sensor_device dev;
        e = sensor__device_get(w, s->device, &dev);
        if (e == JC_ERR_NOTFOUND) return snprintf(d->message, sizeof d->message, "unknown device '%s'", s->device), JC_ERR_INVALID;
        if (e) return e;
        if (strncmp(dev.grid, area, strlen(area)))
            return snprintf(d->message, sizeof d->message, "device %s is outside your area", dev.id), JC_ERR_DENIED;
        if (s->grid[0] && strncmp(dev.grid, s->grid, strlen(s->grid)))
            return snprintf(d->message, sizeof d->message, "device %s is not in %s", dev.id, s->grid), JC_ERR_INVALID;
        if (s->type[0] && strcmp(dev.type, s->type))
            return snprintf(d->message, sizeof d->message, "device %s is a %s, not a %s", dev.id, dev.type, s->type), JC_ERR_INVALID;
        if (!s->grid[0]) snprintf(s->grid, sizeof s->grid, "%s", dev.grid);
    }
    if (!s->grid[0]) snprintf(s->grid, sizeof s->grid, "%s", area); /* "" for an admin: street-wide */
    snprintf(s->by, sizeof s->by, "%s", d->user.name);
    if ((e = sensor__silence_put(w, s))) return e;
    char note[900];
    reason_buf rb;
    reason_begin(&rb, note, sizeof note, "silence_add"); /* a code (docs/audit.md) */
    reason_int(&rb, "silence", s->id);
    reason_str(&rb, "device", s->device[0] ? s->device : NULL);
    reason_str(&rb, "grid", s->grid[0] ? s->grid : NULL);
    reason_str(&rb, "type", s->type[0] ? s->type : NULL);
    reason_str(&rb, "note", s->reason[0] ? s->reason : NULL);
    if ((e = auth_audit(w, &d->user, "silence_add", reason_end(&rb)))) return e;
    d->status = 201;
    d->body = json_pack("{s:I,s:s?,s:s?,s:s?}", "id", (json_int_t)s->id, "device", s->device[0] ? s->device : NULL,
                        "grid", s->grid[0] ? s->grid : NULL, "type", s->type[0] ? s->type : NULL);
    return JC_OK;
}

static void h_silence_add(jc_req *r) {
    sensor_silence *s = calloc(1, sizeof *s);
    if (!s) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    const char *dev = NULL, *grid = NULL, *type = NULL, *reason;
    int64_t from = jc_now_ms(), until = 0;
    if (api_get_str(r, "device", 63, &dev) < 0 || api_get_str(r, "grid", 23, &grid) < 0 ||
        api_get_str(r, "type", 23, &type) < 0 || api_need_str(r, "reason", 200, &reason) < 0 ||
        api_get_time(r, "from", &from) < 0 || api_get_time(r, "until", &until) < 0)
        return free(s);
    if (dev && !*dev) dev = NULL;
    if (grid && !*grid) grid = NULL;
    if (type && !*type) type = NULL;
    if (!dev && !grid && !type) return free(s), http_reply_error(r, JC_ERR_INVALID, "a silence needs a device, grid or type");
    if (type && !alarm_type_known(type)) return free(s), http_reply_error(r, JC_ERR_INVALID, "unknown device type '%s'", type);
    if (until <= from) return free(s), http_reply_error(r, JC_ERR_INVALID, "'until' is required and must be after 'from'");
    if (grid && !in_scope(r, grid)) return free(s), http_reply_error(r, JC_ERR_DENIED, "grid outside your area");
    if (r->user.role == ROLE_COMMUNITY_STAFF && !dev && (!type || life_safety(type)))
        return free(s), http_reply_error(r, JC_ERR_DENIED,
                                         "community staff silence smoke and gas detectors one device at a time: give a device, or a type other than smoke or gas");
    if (jc_copy(s->device, sizeof s->device, dev ? dev : "") || jc_copy(s->grid, sizeof s->grid, grid ? grid : "") ||
        jc_copy(s->type, sizeof s->type, type ? type : "") || jc_copy(s->reason, sizeof s->reason, reason))
        return free(s), http_reply_error(r, JC_ERR_INVALID, "a field is too long");
    s->from_at = from, s->until_at = until;
    api_defer(r, run_silence_add, s, free);
}

static void h_silence_list(jc_req *r) {
    json_t *a;
    jc_err e = sensor__silence_list(r->db, scope(r), &a);
    if (e) return http_reply_error(r, e, "silences");
    http_reply_json(r, 200, json_pack("{s:o}", "silences", a));
}

static jc_err silence_delete_scoped(jc_conn *w, int64_t id, const jc_user *u) {
    return sensor__silence_delete(w, id, u->role == ROLE_ADMIN ? "" : u->area);
}

static jc_err run_silence_delete(jc_conn *w, jc_deferred *d) {
    int64_t id = *(int64_t *)d->data;
    jc_err e = silence_delete_scoped(w, id, &d->user);
    if (e == JC_ERR_NOTFOUND) snprintf(d->message, sizeof d->message, "no silence %lld in your area", (long long)id);
    if (e) return e;
    char note[80];
    reason_buf rb;
    reason_begin(&rb, note, sizeof note, "deleted"); /* a code (docs/audit.md) */
    reason_str(&rb, "what", "silence");
    reason_int(&rb, "id", id);
    if ((e = auth_audit(w, &d->user, "silence_delete", reason_end(&rb)))) return e;
    d->status = 200;
    d->body = json_pack("{s:I,s:b}", "id", (json_int_t)id, "deleted", 1);
    return JC_OK;
}

static void h_silence_delete(jc_req *r) { defer_with_id(r, run_silence_delete); }

/* ---- HTTP: tick, settings, metrics ---------------------------------------------------------- */

static jc_err run_tick(jc_conn *w, jc_deferred *d) {
    int64_t now = *(int64_t *)d->data;
    json_t *rep = json_object();
    jc_err e = sensor__tick(w, now, 1, rep);
    if (e) return json_decref(rep), e;
    d->status = 200;
    d->body = rep;
    return JC_OK;
}

static void h_tick(jc_req *r) {
    int64_t *now = malloc(sizeof *now);
    if (!now) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    *now = jc_now_ms();
    if (api_get_time(r, "now", now) < 0) return free(now);
    api_defer(r, run_tick, now, free);
}

static const char *const setting_keys[] = {"group_window_s", "raw_retention_s", "minute_retention_s",
                                           "hour_retention_s", "alarm_raw_retention_s", "inactivity_scan_s"};

static jc_err run_settings(jc_conn *w, jc_deferred *d) {
    json_t *b = d->data;
    const char *k;
    json_t *v;
    jc_err e;
    json_object_foreach(b, k, v) {
        if ((e = sensor__setting_put(w, k, json_integer_value(v)))) return e;
    }
    char *txt = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS), note[600];
    reason_buf rb;
    reason_begin(&rb, note, sizeof note, "settings"); /* a code (docs/audit.md) */
    reason_str(&rb, "of", "sensor");
    reason_raw(&rb, "changes", txt ? txt : "{}");
    e = auth_audit(w, &d->user, "sensor_settings", reason_end(&rb));
    free(txt);
    if (e) return e;
    d->status = 200;
    return sensor__settings_json(w, &d->body);
}

static void h_settings_put(jc_req *r) {
    for (size_t i = 0; i < JC_ARRAY_LEN(setting_keys); i++) {
        int64_t v;
        if (api_get_int(r, setting_keys[i], 1, 10LL * 366 * 86400, &v) < 0) return;
    }
    api_defer(r, run_settings, json_incref(r->json), (void (*)(void *))json_decref);
}

static void h_settings_get(jc_req *r) {
    json_t *o;
    jc_err e = sensor__settings_json(r->db, &o);
    if (e) return http_reply_error(r, e, "settings");
    http_reply_json(r, 200, o);
}

static void h_metrics(jc_req *r) {
    if (!api_metrics_access(r)) return;
    jc_buf b;
    jc_buf_init(&b, 64 * 1024);
    if (sensor_metrics(r->db, &b)) {
        jc_buf_free(&b);
        return http_reply_error(r, JC_ERR_NOMEM, "metrics");
    }
    http_reply_raw(r, 200, "text/plain; version=0.0.4", b.data ? b.data : "", b.len);
    jc_buf_free(&b);
}

static void h_stats(jc_req *r) {
    if (api_metrics_access(r)) http_reply_json(r, 200, stats_json());
}

static void h_types(jc_req *r) {
    json_t *a = json_array();
    for (int i = 0; alarm_types[i]; i++) {
        alarm_rule probe = {0};
        snprintf(probe.type, sizeof probe.type, "%s", alarm_types[i]);
        json_array_append_new(a, json_pack("{s:s,s:s}", "type", alarm_types[i], "category", alarm_case_category(&probe)));
    }
    http_reply_json(r, 200, json_pack("{s:o}", "types", a));
}

/* ---- the route table --------------------------------------------------------------------- */

#define DEV_FIELDS "type,lon,lat,grid,dept,person_ref,person_label,label,installed_at,heartbeat_s"
#define RULE_FIELDS "type,device,metric,kind,high,low,rate,from,to,duration_s,k,severity,opens_case,category,enabled,name"
#define MANAGE (R(ADMIN) | R(DISPATCHER))
#define READ (R(ADMIN) | R(DISPATCHER) | R(COMMUNITY_STAFF) | R(SUPERVISOR) | R(GRID_WORKER))

static const jc_route sensor_routes[] = {
    {"GET", "/api/v1/devices", h_device_list, MANAGE | R(COMMUNITY_STAFF), NULL},
    {"POST", "/api/v1/devices", h_device_add, MANAGE, "id," DEV_FIELDS},
    {"GET", "/api/v1/devices/:id", h_device_get, MANAGE | R(COMMUNITY_STAFF), NULL},
    {"PUT", "/api/v1/devices/:id", h_device_put, MANAGE, DEV_FIELDS},
    {"DELETE", "/api/v1/devices/:id", h_device_delete, MANAGE, NULL},
    {"GET", "/api/v1/device-types", h_types, ACCESS_PUBLIC, NULL},
    {"POST", "/api/v1/readings", h_readings, ACCESS_PUBLIC, "*"},
    {"GET", "/api/v1/alarm-rules", h_rule_list, MANAGE | R(COMMUNITY_STAFF), NULL},
    {"POST", "/api/v1/alarm-rules", h_rule_put, MANAGE, RULE_FIELDS},
    {"PUT", "/api/v1/alarm-rules/:id", h_rule_put, MANAGE, RULE_FIELDS},
    {"DELETE", "/api/v1/alarm-rules/:id", h_rule_delete, MANAGE, NULL},
    {"GET", "/api/v1/alarms", h_alarm_list, READ, NULL},
    {"GET", "/api/v1/alarms/:id", h_alarm_get, READ, NULL},
    {"POST", "/api/v1/alarms/:id/:action", h_alarm_act, MANAGE | R(COMMUNITY_STAFF), "reason"},
    {"GET", "/api/v1/silences", h_silence_list, MANAGE | R(COMMUNITY_STAFF), NULL},
    {"POST", "/api/v1/silences", h_silence_add, MANAGE | R(COMMUNITY_STAFF), "device,grid,type,from,until,reason"},
    {"DELETE", "/api/v1/silences/:id", h_silence_delete, MANAGE | R(COMMUNITY_STAFF), NULL},
    {"POST", "/api/v1/sensor/tick", h_tick, R(ADMIN), "now"},
    {"GET", "/api/v1/sensor/settings", h_settings_get, MANAGE, NULL},
    {"PUT", "/api/v1/sensor/settings", h_settings_put, R(ADMIN),
     "group_window_s,raw_retention_s,minute_retention_s,hour_retention_s,alarm_raw_retention_s,inactivity_scan_s"},
    {"GET", "/api/v1/sensor/metrics", h_metrics, ACCESS_PUBLIC, NULL},
    {"GET", "/api/v1/sensor/stats", h_stats, ACCESS_PUBLIC, NULL},
};

static const jc_route_table sensor_table = {sensor_routes, JC_ARRAY_LEN(sensor_routes)};

/* ---- CLI: jiceng device import ----------------------------------------------------------------- */

typedef struct {
    char *field[16];
    int nf, row, header[16], bad;
    sensor_device *devs;
    size_t n, cap;
    char err[256];
} csv_ctx;

static const char *const csv_cols[] = {"id", "type", "grid", "lon", "lat", "dept", "person_label", "label",
                                       "heartbeat_s", "installed_at", NULL};

static void csv_cb_field(void *s, size_t len, void *arg) {
    csv_ctx *c = arg;
    if (c->nf < 16) c->field[c->nf] = strndup(s ? (const char *)s : "", len);
    c->nf++;
}

static void csv_cb_row(int term, void *arg) {
    (void)term;
    csv_ctx *c = arg;
    int nf = c->nf < 16 ? c->nf : 16;
    if (c->row++ == 0) {
        for (int i = 0; i < 16; i++) c->header[i] = -1;
        for (int i = 0; i < nf; i++)
            for (int k = 0; csv_cols[k]; k++)
                if (c->field[i] && !strcmp(c->field[i], csv_cols[k])) c->header[i] = k;
    } else if (!c->bad) {
        sensor_device d = {0};
        d.heartbeat_s = 300;
        double lon = NAN, lat = NAN;
        for (int i = 0; i < nf; i++) {
            const char *v = c->field[i] ? c->field[i] : "";
            int64_t n;
            switch (c->header[i]) {
            case 0: snprintf(d.id, sizeof d.id, "%s", v); break;
            case 1: snprintf(d.type, sizeof d.type, "%s", v); break;
            case 2: snprintf(d.grid, sizeof d.grid, "%s", v); break;
            case 3: if (*v) lon = strtod(v, NULL); break;
            case 4: if (*v) lat = strtod(v, NULL); break;
            case 5: snprintf(d.dept, sizeof d.dept, "%s", v); break;
            case 6: snprintf(d.person_label, sizeof d.person_label, "%s", v); break;
            case 7: snprintf(d.label, sizeof d.label, "%s", v); break;
            case 8: if (*v && (jc_parse_i64(v, &n) || n < 10 || n > 7 * 86400)) c->bad = 1; else if (*v) d.heartbeat_s = n; break;
            case 9: if (*v && jc_parse_time(v, &d.installed_at)) c->bad = 1; break;
            default: break;
            }
        }
        if (isfinite(lon) && isfinite(lat) && fabs(lon) <= 180 && fabs(lat) <= 90) d.has_point = 1, d.lon = lon, d.lat = lat;
        if (!c->bad && (!device_id_ok(d.id) || !alarm_type_known(d.type) || !d.grid[0] || looks_personal(d.person_label)))
            c->bad = 1;
        if (c->bad) snprintf(c->err, sizeof c->err, "line %d: bad id, type, grid, heartbeat_s or installed_at", c->row);
        else {
            if (c->n == c->cap) {
                size_t nc = c->cap ? c->cap * 2 : 1024;
                sensor_device *nv = realloc(c->devs, nc * sizeof *nv);
                if (!nv) c->bad = 1;
                else c->devs = nv, c->cap = nc;
            }
            if (!c->bad) c->devs[c->n++] = d;
        }
    }
    for (int i = 0; i < nf; i++) free(c->field[i]);
    c->nf = 0;
}

jc_err sensor__devices_csv(const char *data, size_t len, sensor_device **out, size_t *n, char *err, size_t errsz) {
    csv_ctx c = {0};
    struct csv_parser p;
    *out = NULL;
    *n = 0;
    if (csv_init(&p, CSV_APPEND_NULL) != 0) return JC_ERR_NOMEM;
    if (csv_parse(&p, data, len, csv_cb_field, csv_cb_row, &c) != len && !c.bad)
        c.bad = 1, snprintf(c.err, sizeof c.err, "CSV syntax error");
    csv_fini(&p, csv_cb_field, csv_cb_row, &c);
    csv_free(&p);
    for (int i = 0; i < c.nf && i < 16; i++) free(c.field[i]); /* a last row cut short */
    if (c.bad) {
        jc_fmt_cut(err, errsz, "%s", c.err[0] ? c.err : "bad CSV"); /* a message */
        free(c.devs);
        return JC_ERR_INVALID;
    }
    *out = c.devs;
    *n = c.n;
    return JC_OK;
}

typedef struct {
    sensor_device *d;
    size_t n;
    char msg[256];
} import_job;

static jc_err run_import(jc_conn *w, void *arg) {
    import_job *j = arg;
    for (size_t i = 0; i < j->n; i++) {
        char m[200] = "";
        j->d[i].created_at = jc_now_ms();
        jc_err e = sensor__device_put(w, &j->d[i], 1, m, sizeof m);
        if (e) return snprintf(j->msg, sizeof j->msg, "device %s: %s %s", j->d[i].id, jc_err_code(e), m), e;
    }
    jc_user sys;
    auth_system_actor(&sys, "cli");
    char note[80];
    reason_buf rb;
    reason_begin(&rb, note, sizeof note, "device_import"); /* a code (docs/audit.md) */
    reason_int(&rb, "n", (int64_t)j->n);
    return auth_audit(w, &sys, "device_import", reason_end(&rb));
}

static int cmd_device(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng device import --db DB FILE.csv\n"
        "Registers devices in bulk.  CSV header (any order): id,type,grid[,lon,lat,dept,person_label,\n"
        "label,heartbeat_s,installed_at]; type is one of smoke gas water_level manhole_tilt door_contact\n"
        "ebike_charging noise generic; lon/lat WGS-84.  All or nothing: one bad row imports none.\n";
    if (cli_wants_help(argc, argv) || argc < 2) return fputs(help, argc < 2 ? stderr : stdout), argc < 2 ? JC_EXIT_USAGE : JC_EXIT_OK;
    if (strcmp(argv[1], "import")) return cli_usage_error("device", "unknown subcommand '%s'", argv[1]);
    const char *db = NULL, *file = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--db") && i + 1 < argc) db = argv[++i];
        else if (argv[i][0] != '-' && !file) file = argv[i];
        else return cli_usage_error("device", "unexpected argument '%s'", argv[i]);
    }
    if (!db || !file) return cli_usage_error("device", "need --db DB and FILE.csv");
    FILE *f = fopen(file, "rb");
    if (!f) return fprintf(stderr, "jiceng device: cannot open %s\n", file), JC_EXIT_FAIL;
    jc_buf in;
    jc_buf_init(&in, 64 << 20);
    char buf[65536];
    size_t got;
    jc_err re = JC_OK;
    while (!re && (got = fread(buf, 1, sizeof buf, f)) > 0) re = jc_buf_append(&in, buf, got);
    fclose(f);
    struct { sensor_device *devs; size_t n; } c = {NULL, 0};
    char err[256] = "file too large";
    if (re || sensor__devices_csv(in.data ? in.data : "", in.len, &c.devs, &c.n, err, sizeof err)) {
        fprintf(stderr, "jiceng device: %s: %s\n", file, err);
        jc_buf_free(&in);
        return JC_EXIT_FAIL;
    }
    jc_buf_free(&in);
    if (auth_init()) return free(c.devs), JC_EXIT_FAIL;
    jc_store *st = NULL;
    int version;
    if (store_open(db, &st) || store_migrate(st, &version)) {
        fprintf(stderr, "jiceng device: cannot open %s\n", db);
        store_close(st);
        free(c.devs);
        return JC_EXIT_FAIL;
    }
    import_job j = {c.devs, c.n, ""};
    jc_err e = store_exec(st, run_import, &j);
    store_close(st);
    free(c.devs);
    if (e) return fprintf(stderr, "jiceng device: import failed: %s\n", j.msg[0] ? j.msg : jc_err_code(e)), JC_EXIT_FAIL;
    printf("%zu devices imported\n", c.n);
    return JC_EXIT_OK;
}

/* ---- the module's row: serve --mqtt, start and stop ---------------------------------------------- */

static char mqtt_url[512], mqtt_share[128], mqtt_cid[128]; /* serve's options (main thread) */

static jc_err opt_copy(char *dst, size_t cap, const char *v) {
    size_t n = strlen(v);
    if (n == 0 || n >= cap) return JC_ERR_INVALID;
    memcpy(dst, v, n + 1);
    return JC_OK;
}
static jc_err opt_mqtt(const char *v) { return opt_copy(mqtt_url, sizeof mqtt_url, v); }
static jc_err opt_share(const char *v) { return opt_copy(mqtt_share, sizeof mqtt_share, v); }
static jc_err opt_cid(const char *v) { return opt_copy(mqtt_cid, sizeof mqtt_cid, v); }

/* Starts the MQTT client when serve was given --mqtt. */
static jc_err sensor_start(jc_store *st, char *msg, size_t msgsz) {
    if (!mqtt_url[0]) return JC_OK;
    jc_err e = sensor_mqtt_start(st, mqtt_url, mqtt_share[0] ? mqtt_share : NULL, mqtt_cid[0] ? mqtt_cid : NULL);
    if (e) snprintf(msg, msgsz, "bad --mqtt %s (mqtt://HOST:PORT) or --mqtt-share", mqtt_url);
    return e;
}

/* Live updates: an "alarm" event per new alarm, seen by staff of its grid. */
typedef struct {
    int (*emit)(const jc_live_event *ev, void *arg);
    void *arg;
} live_ctx;

static int live_alarm(const sensor_alarm_brief *a, void *arg) {
    live_ctx *x = arg;
    char at[40];
    jc_fmt_utc(a->created_at, at, sizeof at);
    json_t *d = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)a->id, "device", a->device, "kind",
                          a->kind, "severity", a->severity, "state", a->state, "grid", a->grid, "at", at);
    json_object_set_new(d, "case_id", a->case_id ? json_integer(a->case_id) : json_null());
    modules_live_json(x->emit, x->arg, (jc_live_event){.type = "alarm", .area = a->grid}, d);
    return 0;
}

/* ---- rows as JSON, reads through the backend's table ----------------------------- */

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

int sensor__device_token_ok(jc_conn *c, const char *id, const char *token_hash) {
    sensor_device d;
    return sensor__device_get(c, id, &d) == JC_OK && d.token_hash[0] &&
           !strcmp(d.token_hash, token_hash);
}

jc_err sensor_alarms_active(jc_conn *c, const char *prefix, int64_t *n) {
    return sensor_store(c)->alarms_active(c, prefix, n);
}

static jc_err sensor_live(jc_conn *c, int64_t *mark, int (*emit)(const jc_live_event *ev, void *arg), void *arg) {
    live_ctx x = {emit, arg};
    return sensor__alarms_since(c, *mark, 200, mark, emit ? live_alarm : NULL, &x);
}

/* The sensor module's row (src/modules.c). */
const jc_module module_sensor = {
    .name = "sensor",
    .schema = {[JC_STORE_SQLITE] = &schema_sensor, [JC_STORE_PG] = &schema_sensor_pg},
    .store = {[JC_STORE_SQLITE] = &sensor_store_sqlite, [JC_STORE_PG] = &sensor_store_pg},
    .routes = {&sensor_table},
    .tick = sensor_tick,
    .metrics = sensor_metrics,
    .commands = {{"device", cmd_device, "register sensor devices in bulk from CSV"}},
    .options = {{"--mqtt", "URL  ingest sensor readings from mqtt://HOST:PORT (docs/sensors.md)", opt_mqtt},
                {"--mqtt-share", "GROUP  subscribe as a member of a shared subscription group", opt_share},
                {"--mqtt-client-id", "ID  the MQTT client id (default jiceng-<hostname>)", opt_cid}},
    .start = sensor_start,
    .stop = sensor_mqtt_stop,
    .live = sensor_live,
};
