/*
 * test_sensor_store.c -- the sensor module's writer state (its device table
 * in src/sensor_sqlite.c, its rule cache in src/sensor_alarm.c) belongs to
 * one store: two stores open in one process each see their own devices.  (With one table for the
 * process, the second store took readings for a device only the first one
 * has.)  And a reading received again (MQTT redelivery) is stored once:
 * sensor__ingest_once with the store's seen keys.
 */
#include "sensor_int.h"
#include "sensor_store.h"
#include "store.h"
#include "t.h"

#include <sodium.h>
#include <unistd.h>

typedef struct {
    jc_store *st;
    char dir[64];
} tstore;

static jc_err grid_run(jc_conn *w, void *arg) {
    (void)arg;
    const char *codes[][3] = {{"110101", "", "district"},
                              {"110101001", "110101", "street"},
                              {"110101001001", "110101001", "community"},
                              {"110101001001001", "110101001001", "grid"}};
    for (size_t i = 0; i < JC_ARRAY_LEN(codes); i++) {
        jc_area a = {0};
        snprintf(a.code, sizeof a.code, "%s", codes[i][0]);
        snprintf(a.parent, sizeof a.parent, "%s", codes[i][1]);
        snprintf(a.level, sizeof a.level, "%s", codes[i][2]);
        snprintf(a.name, sizeof a.name, "区域%s", codes[i][0]);
        jc_err e = store_area_put(w, &a);
        if (e) return e;
    }
    return JC_OK;
}

static int open_one(tstore *t, const char *tag) {
    snprintf(t->dir, sizeof t->dir, "/tmp/jc-%s-XXXXXX", tag);
    if (!mkdtemp(t->dir) || sodium_init() < 0) return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/t.db", t->dir);
    int v;
    if (store_open(path, &t->st) || store_migrate(t->st, &v)) return -1;
    return store_exec(t->st, grid_run, NULL) ? -1 : 0;
}

static void close_one(tstore *t) {
    store_close(t->st);
    t->st = NULL;
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", t->dir);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", t->dir);
}

static jc_err device_run(jc_conn *w, void *arg) {
    sensor_device d = {.id = "smoke-1", .type = "smoke", .grid = "110101001001001", .heartbeat_s = 300};
    char msg[128];
    (void)arg;
    return sensor__device_put(w, &d, 1, msg, sizeof msg);
}

typedef struct {
    size_t accepted;
    jc_err e;
} ingest_job;

static jc_err ingest_run(jc_conn *w, void *arg) {
    ingest_job *j = arg;
    sensor_reading r = {.device = "smoke-1", .at = jc_now_ms(), .n = 1, .metric = {"smoke"}, .value = {0}};
    j->e = sensor__ingest(w, &r, 1, &j->accepted);
    return j->e;
}

/* Readings for smoke-1 that store st accepted. */
static size_t ingest(jc_store *st) {
    ingest_job j = {0};
    if (store_exec(st, ingest_run, &j)) return (size_t)-1;
    return j.accepted;
}

TEST(two_stores_keep_their_own_devices) {
    tstore a = {0}, b = {0};
    ASSERT_OK(open_one(&a, "sensor-a"));
    ASSERT_OK(open_one(&b, "sensor-b"));
    ASSERT_OK(store_exec(a.st, device_run, NULL));
    ASSERT_EQ(ingest(a.st), 1); /* a knows smoke-1: its device table holds it now */
    ASSERT_EQ(ingest(b.st), 0); /* b has no such device: refused, whatever a holds */
    ASSERT_OK(store_exec(b.st, device_run, NULL));
    ASSERT_EQ(ingest(b.st), 1);
    close_one(&b);
    ASSERT_EQ(ingest(a.st), 1); /* a's table survives b's close */
    close_one(&a);
}

typedef struct {
    sensor_reading r[3];
    size_t n, accepted, dups;
} once_job;

static jc_err once_run(jc_conn *w, void *arg) {
    once_job *j = arg;
    return sensor__ingest_once(w, j->r, j->n, &j->accepted, &j->dups);
}

static jc_err seen_trim_run(jc_conn *w, void *arg) {
    (void)arg;
    jc_err e = sensor_db_enter(w);
    if (!e) e = sensor_db_seen_trim(w, jc_real_ms() + 1);
    return sensor_db_leave(w, e);
}

/* Ingests the readings at ats (own_ts, heartbeat flags) once; accepted and
 * duplicates into *acc, *dup. */
static int ingest_once(jc_store *st, const int64_t *ats, size_t n, int own_ts, int hb, size_t *acc, size_t *dup) {
    once_job j = {.n = n};
    for (size_t i = 0; i < n; i++) {
        sensor_reading r = {.device = "smoke-1", .at = ats[i], .own_ts = own_ts, .heartbeat = hb};
        if (!hb) r.n = 1, snprintf(r.metric[0], sizeof r.metric[0], "smoke"), r.value[0] = 0;
        j.r[i] = r;
    }
    if (store_exec(st, once_run, &j)) return -1;
    *acc = j.accepted, *dup = j.dups;
    return 0;
}

TEST(readings_received_again_are_stored_once) {
    tstore a = {0};
    ASSERT_OK(open_one(&a, "sensor-once"));
    ASSERT_OK(store_exec(a.st, device_run, NULL));
    int64_t t = jc_now_ms() - 60000;
    size_t acc, dup;
    ASSERT_OK(ingest_once(a.st, (int64_t[]){t}, 1, 1, 0, &acc, &dup));
    ASSERT_EQ(acc, 1);
    ASSERT_EQ(dup, 0);
    ASSERT_OK(ingest_once(a.st, (int64_t[]){t}, 1, 1, 0, &acc, &dup)); /* redelivered */
    ASSERT_EQ(acc, 0);
    ASSERT_EQ(dup, 1);
    /* in one batch: the old one, a new one and the new one again */
    ASSERT_OK(ingest_once(a.st, (int64_t[]){t, t + 1, t + 1}, 3, 1, 0, &acc, &dup));
    ASSERT_EQ(acc, 1);
    ASSERT_EQ(dup, 2);
    /* a heartbeat at the same time is another key */
    ASSERT_OK(ingest_once(a.st, (int64_t[]){t}, 1, 1, 1, &acc, &dup));
    ASSERT_EQ(acc, 1);
    ASSERT_EQ(dup, 0);
    /* without its own "ts" (arrival time) nothing can tell: stored */
    ASSERT_OK(ingest_once(a.st, (int64_t[]){t}, 1, 0, 0, &acc, &dup));
    ASSERT_EQ(acc, 1);
    ASSERT_EQ(dup, 0);
    /* sensor__ingest (HTTP) keeps no keys */
    ASSERT_EQ(ingest(a.st), 1);
    /* once the keys are trimmed, the reading counts again */
    ASSERT_OK(store_exec(a.st, seen_trim_run, NULL));
    ASSERT_OK(ingest_once(a.st, (int64_t[]){t}, 1, 1, 0, &acc, &dup));
    ASSERT_EQ(acc, 1);
    ASSERT_EQ(dup, 0);
    close_one(&a);
}

T_MAIN(T(two_stores_keep_their_own_devices), T(readings_received_again_are_stored_once))
