/*
 * bench_mqtt_pub.c -- the publisher of bench group "mqtt": publishes N QoS 1
 * readings round-robin over D devices ("dev-000000" ...) to
 * jiceng/v1/readings/<device> and waits for every PUBACK.  Every ALARM_EVERY-th
 * message carries smoke=1 (a new alarm on a device not yet alarmed), the rest
 * smoke=0.  With WITH_TS=1 in the environment each reading carries its own
 * "ts" (the start time + i ms: distinct), so jiceng's check for readings
 * received again runs on every one.
 *   usage: bench_mqtt_pub PORT N DEVICES ALARM_EVERY
 */
#include <mosquitto.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_long acked;
static atomic_int connected;

static void on_publish(struct mosquitto *m, void *o, int mid) { (void)m, (void)o, (void)mid; acked++; }
static void on_connect(struct mosquitto *m, void *o, int rc) { (void)m, (void)o; if (!rc) connected = 1; }

int main(int argc, char **argv) {
    if (argc != 5) return fprintf(stderr, "usage: bench_mqtt_pub PORT N DEVICES ALARM_EVERY\n"), 2;
    int port = atoi(argv[1]);
    long n = atol(argv[2]), devices = atol(argv[3]), every = atol(argv[4]);
    mosquitto_lib_init();
    struct mosquitto *m = mosquitto_new(NULL, true, NULL);
    mosquitto_max_inflight_messages_set(m, 1000);
    mosquitto_publish_callback_set(m, on_publish);
    mosquitto_connect_callback_set(m, on_connect);
    if (mosquitto_connect(m, "127.0.0.1", port, 60)) return fprintf(stderr, "connect failed\n"), 1;
    mosquitto_loop_start(m);
    while (!connected) { struct timespec t = {0, 1000000}; nanosleep(&t, NULL); }
    char topic[64], payload[128];
    long alarms = 0;
    const char *wt = getenv("WITH_TS");
    int with_ts = wt && !strcmp(wt, "1");
    struct timespec t0;
    clock_gettime(CLOCK_REALTIME, &t0);
    long long base_ms = (long long)t0.tv_sec * 1000 + t0.tv_nsec / 1000000;
    for (long i = 0; i < n; i++) {
        long d = i % devices;
        int alarm = every > 0 && i % every == every - 1;
        if (alarm) d = (alarms++ * 7919) % devices;
        snprintf(topic, sizeof topic, "jiceng/v1/readings/dev-%06ld", d);
        int len = with_ts ? snprintf(payload, sizeof payload, "{\"ts\":%lld,\"values\":{\"smoke\":%d,\"battery\":%d}}",
                                     base_ms + i, alarm, 50 + (int)(i % 50))
                          : snprintf(payload, sizeof payload, "{\"values\":{\"smoke\":%d,\"battery\":%d}}", alarm,
                                     50 + (int)(i % 50));
        int rc;
        while ((rc = mosquitto_publish(m, NULL, topic, len, payload, 1, false)) == MOSQ_ERR_NOMEM ||
               rc == MOSQ_ERR_OVERSIZE_PACKET) {
            struct timespec t = {0, 100000};
            nanosleep(&t, NULL);
        }
        if (rc) return fprintf(stderr, "publish: %s\n", mosquitto_strerror(rc)), 1;
        while (i - acked > 5000) { struct timespec t = {0, 100000}; nanosleep(&t, NULL); }
    }
    while (acked < n) { struct timespec t = {0, 1000000}; nanosleep(&t, NULL); }
    mosquitto_disconnect(m);
    mosquitto_loop_stop(m, false);
    mosquitto_destroy(m);
    mosquitto_lib_cleanup();
    printf("%ld published, %ld alarms\n", n, alarms);
    return 0;
}
