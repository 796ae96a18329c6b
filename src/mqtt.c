/*
 * mqtt.c -- the MQTT half of sensor ingestion: one libmosquitto client
 * (MQTT 3.1.1, QoS 1, clean_session false under a stable client id, so the
 * broker keeps QoS 1 messages for us while we are disconnected; automatic
 * reconnect and resubscribe; optional shared subscription
 * $share/<group>/... to spread readings over several jiceng instances).
 *
 * Topics (table below; to add one: a row and a case in on_message):
 *   jiceng/v1/readings/<device>   {"ts": ISO|ms, "values": {...}}
 *   jiceng/v1/readings            {"readings": [{"device","ts","values"}, ...]}
 *   jiceng/v1/heartbeat/<device>  empty or {"ts", "values": {"battery": 80}}
 *
 * Batching: messages are parsed on the client's network thread and appended
 * to one pending batch; at most one batch is at the writer at a time, and
 * everything that arrives meanwhile becomes the next batch (group commit: a
 * batch of thousands of readings costs one fsync).
 *
 * Acknowledgement, honestly: libmosquitto sends PUBACK for a QoS 1 message
 * itself when it has received it, not when our transaction has committed.
 * A reading is durable once its batch commits (typically a few ms later);
 * a crash (SIGKILL, power loss) in that gap loses the readings in it.  The
 * broker's queue for our persistent session covers everything we had not
 * received yet.  When the writer falls behind, on_message blocks (at most
 * PENDING_MAX readings wait), which stops reading from the socket, so the
 * broker queues instead of us (configure max_queued_messages 0).
 */
#include "sensor_int.h"
#include "sensor_store.h"

#include <mosquitto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PENDING_MAX 500

typedef struct batch {
    jc_write_job job;
    sensor_reading *rs;
    size_t n, cap;
    int64_t submitted_ns; /* handed to the writer (monotonic) */
} batch;

static struct {
    struct mosquitto *m;
    jc_store *st;
    char host[256];
    int port;
    char share[64];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    batch *pending;
    int inflight;
    int started;
    uint64_t connects;
} M = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* The subscriptions (without the $share prefix). */
static const char *const topics[] = {"jiceng/v1/readings/#", "jiceng/v1/heartbeat/+"};

static void batch_free(batch *b) {
    if (!b) return;
    free(b->rs);
    free(b);
}

static jc_err batch_run(jc_conn *w, void *arg) {
    batch *b = arg;
    return sensor__ingest(w, b->rs, b->n, NULL);
}

static void submit_locked(void);

static jc_err warm_run(jc_conn *w, void *arg) {
    (void)arg;
    return sensor__warm(w);
}

static void batch_done(void *arg, jc_err err) {
    batch *b = arg;
    if (err) jc_log(JC_LOG_ERROR, "mqtt: a batch of %zu readings failed: %s", b->n, jc_err_code(err));
    else {
        int64_t now = sensor__mono_ns();
        if (now - b->submitted_ns > 50000000)
            jc_log(JC_LOG_WARN, "mqtt: slow batch: %zu readings committed %.0f ms after submission", b->n,
                   (double)(now - b->submitted_ns) / 1e6);
        for (size_t i = 0; i < b->n; i++)
            if (b->rs[i].case_opened) sensor__latency((double)(now - b->rs[i].recv_ns) / 1e6);
    }
    batch_free(b);
    pthread_mutex_lock(&M.mu);
    M.inflight = 0;
    submit_locked();
    pthread_cond_broadcast(&M.cv);
    pthread_mutex_unlock(&M.mu);
}

/* Hands the pending batch to the writer when none is in flight. */
static void submit_locked(void) {
    if (M.inflight || !M.pending || !M.pending->n) return;
    batch *b = M.pending;
    b->job.run = batch_run;
    b->job.done = batch_done;
    b->job.arg = b;
    b->submitted_ns = sensor__mono_ns();
    if (store_submit(M.st, &b->job) == JC_OK) {
        M.pending = NULL;
        M.inflight = 1;
    }
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg) {
    (void)m, (void)obj;
    const char *t = msg->topic, *dev = NULL;
    int hb = 0;
    static const char rd[] = "jiceng/v1/readings", hbp[] = "jiceng/v1/heartbeat/";
    if (!strcmp(t, rd)) dev = NULL;
    else if (!strncmp(t, rd, sizeof rd - 1) && t[sizeof rd - 1] == '/') dev = t + sizeof rd;
    else if (!strncmp(t, hbp, sizeof hbp - 1)) dev = t + sizeof hbp - 1, hb = 1;
    else return sensor__reject(REJ_BAD_TOPIC, NULL, t);
    if (dev && (!*dev || strchr(dev, '/'))) return sensor__reject(REJ_BAD_TOPIC, NULL, t);
    pthread_mutex_lock(&M.mu);
    while (M.pending && M.pending->n >= PENDING_MAX && M.inflight) pthread_cond_wait(&M.cv, &M.mu);
    if (!M.pending) M.pending = calloc(1, sizeof *M.pending);
    if (!M.pending) {
        pthread_mutex_unlock(&M.mu);
        jc_log(JC_LOG_ERROR, "mqtt: out of memory");
        return;
    }
    (void)sensor__parse(dev, hb, msg->payload ? msg->payload : "", (size_t)msg->payloadlen, jc_now_ms(),
                        &M.pending->rs, &M.pending->n, &M.pending->cap);
    submit_locked();
    pthread_mutex_unlock(&M.mu);
}

static void on_connect(struct mosquitto *m, void *obj, int rc, int flags) {
    (void)obj;
    if (rc) {
        jc_log(JC_LOG_WARN, "mqtt: connection refused: %s", mosquitto_connack_string(rc));
        return;
    }
    M.connects++;
    jc_log(JC_LOG_INFO, "mqtt: connected to %s:%d (session %s)", M.host, M.port,
           (flags & 1) ? "resumed" : "new");
    for (size_t i = 0; i < JC_ARRAY_LEN(topics); i++) {
        char sub[200];
        if (M.share[0]) snprintf(sub, sizeof sub, "$share/%s/%s", M.share, topics[i]);
        else snprintf(sub, sizeof sub, "%s", topics[i]);
        int e = mosquitto_subscribe(m, NULL, sub, 1);
        if (e) jc_log(JC_LOG_WARN, "mqtt: subscribe %s: %s", sub, mosquitto_strerror(e));
    }
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc) {
    (void)m, (void)obj;
    if (rc) jc_log(JC_LOG_WARN, "mqtt: disconnected (%s); reconnecting", mosquitto_strerror(rc));
}

jc_err sensor_mqtt_start(jc_store *st, const char *url, const char *share_group, const char *client_id) {
    if (M.started) return JC_ERR_CONFLICT;
    const char *p = url;
    if (!strncmp(p, "mqtt://", 7)) p += 7;
    else if (strstr(p, "://")) return JC_ERR_INVALID;
    const char *colon = strrchr(p, ':');
    int64_t port = 1883;
    size_t hl = colon ? (size_t)(colon - p) : strlen(p);
    if (colon && (jc_parse_i64(colon + 1, &port) || port < 1 || port > 65535)) return JC_ERR_INVALID;
    if (hl == 0 || hl >= sizeof M.host) return JC_ERR_INVALID;
    memcpy(M.host, p, hl);
    M.host[hl] = 0;
    M.port = (int)port;
    if (share_group) {
        size_t n = strlen(share_group);
        if (n == 0 || n >= sizeof M.share || strpbrk(share_group, "/+#")) return JC_ERR_INVALID;
        snprintf(M.share, sizeof M.share, "%s", share_group);
    }
    char cid[128];
    if (client_id) snprintf(cid, sizeof cid, "%s", client_id);
    else {
        char hn[64] = "host";
        gethostname(hn, sizeof hn - 1);
        snprintf(cid, sizeof cid, "jiceng-%s", hn);
    }
    M.st = st;
    /* Load the writer's device table now, not under the first readings. */
    jc_err we = store_exec(st, warm_run, NULL);
    if (we) jc_log(JC_LOG_WARN, "mqtt: loading the device table: %s", jc_err_code(we));
    mosquitto_lib_init();
    M.m = mosquitto_new(cid, false, NULL);
    if (!M.m) return JC_ERR_IO;
    mosquitto_int_option(M.m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_connect_with_flags_callback_set(M.m, on_connect);
    mosquitto_disconnect_callback_set(M.m, on_disconnect);
    mosquitto_message_callback_set(M.m, on_message);
    mosquitto_reconnect_delay_set(M.m, 1, 5, false);
    int e = mosquitto_connect_async(M.m, M.host, M.port, 30);
    if (e) jc_log(JC_LOG_WARN, "mqtt: connect %s:%d: %s (will retry)", M.host, M.port, mosquitto_strerror(e));
    if (mosquitto_loop_start(M.m) != MOSQ_ERR_SUCCESS) {
        mosquitto_destroy(M.m);
        M.m = NULL;
        return JC_ERR_IO;
    }
    M.started = 1;
    jc_log(JC_LOG_INFO, "mqtt: client %s -> %s:%d%s%s", cid, M.host, M.port, M.share[0] ? " shared group " : "", M.share);
    return JC_OK;
}

void sensor_mqtt_stop(void) {
    if (!M.started) return;
    mosquitto_disconnect(M.m);
    mosquitto_loop_stop(M.m, true);
    pthread_mutex_lock(&M.mu);
    for (;;) {
        submit_locked();
        if (!M.inflight) break;
        pthread_cond_wait(&M.cv, &M.mu);
    }
    batch_free(M.pending);
    M.pending = NULL;
    pthread_mutex_unlock(&M.mu);
    mosquitto_destroy(M.m);
    M.m = NULL;
    mosquitto_lib_cleanup();
    M.started = 0;
}
