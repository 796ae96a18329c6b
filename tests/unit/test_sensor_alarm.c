/*
 * test_sensor_alarm.c -- the sensor module's decisions (src/sensor_alarm.c)
 * driven directly on the writer, over its rows (src/sensor_sqlite.c): a
 * reading past a rule raises an alarm whose case opens through the intake
 * (source sensor, registered at once); a second device of the same grid
 * joins that case; a repeat counts; a silence suppresses; a normal reading
 * clears the alarm and says so on the case.
 */
#include "auth.h"
#include "case.h"
#include "sensor_int.h"
#include "sensor_store.h"
#include "store.h"
#include "t.h"
#include "t_fixture.h"
#include "t_store.h"

#include <jansson.h>

#define GRID "110101001001001"

static jc_err fixture_run(jc_conn *w, void *arg) {
    (void)arg;
    jc_err e;
    if ((e = t_put_grid(w))) return e;
    jc_category k = {.code = "0603", .name = "火灾隐患", .kind = "event", .accept_h = 1, .handle_h = 4, .verify_h = 2};
    if ((e = store_category_put(w, &k))) return e;
    char msg[128];
    const char *ids[] = {"smoke-1", "smoke-2", "smoke-3"};
    for (size_t i = 0; i < JC_ARRAY_LEN(ids); i++) {
        sensor_device d = {.type = "smoke", .grid = GRID, .heartbeat_s = 300};
        snprintf(d.id, sizeof d.id, "%s", ids[i]);
        snprintf(d.label, sizeof d.label, "%zu号楼烟感", i + 1);
        if ((e = sensor__device_put(w, &d, 1, msg, sizeof msg))) return e;
    }
    return JC_OK;
}

typedef struct {
    const char *device;
    double value;
    int64_t at;
    int case_opened;
} ingest_job;

static jc_err ingest_run(jc_conn *w, void *arg) {
    ingest_job *j = arg;
    sensor_reading r = {.at = j->at, .n = 1, .metric = {"smoke"}, .value = {j->value}};
    snprintf(r.device, sizeof r.device, "%s", j->device);
    size_t ok = 0;
    jc_err e = sensor__ingest(w, &r, 1, &ok);
    j->case_opened = r.case_opened;
    return e ? e : ok == 1 ? JC_OK : JC_ERR_INVALID;
}

static int ingest(const char *device, double value, int64_t at) {
    ingest_job j = {device, value, at, 0};
    if (store_exec(st, ingest_run, &j)) return -1;
    return j.case_opened;
}

static jc_err silence_run(jc_conn *w, void *arg) {
    sensor_silence *v = arg;
    return sensor__silence_put(w, v);
}

/* The alarms of device (every state), as the API lists them. */
static json_t *alarms_of(const char *device) {
    json_t *a = NULL;
    if (sensor__alarm_list(rd, "", "", device, 100, &a)) return NULL;
    return a;
}

static int count_action(const jc_audit *e, void *arg) {
    const char **want = arg;
    if (!strcmp(e->action, want[0])) want[1]++;
    return 0;
}

/* Entries `action` on case id. */
static int entries(int64_t id, const char *action) {
    const char *want[2] = {action, NULL};
    if (store_audit_each(rd, id, count_action, want)) return -1;
    return (int)(intptr_t)want[1];
}

TEST(alarms_their_case_grouping_silences_and_clears) {
    ASSERT_OK(auth_init());
    ASSERT_OK(t_store_open("sensor-alarm"));
    ASSERT_OK(store_exec(st, fixture_run, NULL));
    int64_t t0 = jc_now_ms();
    ASSERT_EQ(ingest("smoke-1", 0, t0), 0);  /* normal: nothing */
    json_t *a = alarms_of("smoke-1");
    ASSERT(a && json_array_size(a) == 0);
    json_decref(a);
    ASSERT_EQ(ingest("smoke-1", 3, t0 + 1000), 1); /* past the rule: an alarm and its case */
    a = alarms_of("smoke-1");
    ASSERT(a && json_array_size(a) == 1);
    json_t *al = json_array_get(a, 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(al, "state")), "active");
    int64_t case_id = json_integer_value(json_object_get(al, "case_id"));
    json_decref(a);
    ASSERT(case_id > 0);
    jc_case k;
    ASSERT_OK(store_case_get(rd, case_id, &k));
    ASSERT_STR_EQ(k.source, "sensor");
    ASSERT_STR_EQ(k.area, GRID);
    ASSERT_EQ(k.state, ST_REGISTERED); /* the sensor channel: registered at once */
    ASSERT(strstr(k.title, "烟感报警"));
    case_clear(&k);
    ASSERT_EQ(ingest("smoke-1", 4, t0 + 2000), 0); /* a repeat: the same alarm, counted */
    a = alarms_of("smoke-1");
    ASSERT_EQ(json_array_size(a), 1);
    ASSERT_EQ(json_integer_value(json_object_get(json_array_get(a, 0), "count")), 2);
    json_decref(a);
    ASSERT_EQ(ingest("smoke-2", 5, t0 + 3000), 1); /* the same grid and category: joins the case */
    a = alarms_of("smoke-2");
    ASSERT_EQ(json_integer_value(json_object_get(json_array_get(a, 0), "case_id")), case_id);
    json_decref(a);
    ASSERT_EQ(entries(case_id, "alarm_grouped"), 1);
    sensor_silence v = {.from_at = t0, .until_at = t0 + 3600000};
    snprintf(v.device, sizeof v.device, "smoke-3");
    snprintf(v.reason, sizeof v.reason, "检修");
    snprintf(v.by, sizeof v.by, "admin");
    ASSERT_OK(store_exec(st, silence_run, &v));
    ASSERT_EQ(ingest("smoke-3", 5, t0 + 4000), 0); /* silenced: no alarm */
    a = alarms_of("smoke-3");
    ASSERT_EQ(json_array_size(a), 0);
    json_decref(a);
    ASSERT_EQ(ingest("smoke-1", 0, t0 + 5000), 0); /* normal again: cleared, said on the case */
    a = alarms_of("smoke-1");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(a, 0), "state")), "cleared");
    json_decref(a);
    ASSERT_EQ(entries(case_id, "alarm_cleared"), 1);
    t_store_close();
}

T_MAIN(T(alarms_their_case_grouping_silences_and_clears))
