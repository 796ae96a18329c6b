/*
 * mqtt.c -- the MQTT half of sensor ingestion: one libmosquitto client
 * (MQTT 3.1.1, QoS 1, clean_session false under a stable client id, so the
 * broker keeps QoS 1 messages for us while we are disconnected; reconnect
 * with back-off and resubscribe; optional shared subscription
 * $share/<group>/... to spread readings over several jiceng instances).
 *
 * Topics (table below; to add one: a row and a case in on_message):
 *   jiceng/v1/readings/<device>   {"ts": ISO|ms, "values": {...}}
 *   jiceng/v1/readings            {"readings": [{"device","ts","values"}, ...]}
 *   jiceng/v1/heartbeat/<device>  empty or {"ts", "values": {"battery": 80}}
 *
 * Acknowledgement: a PUBACK leaves only after the reading's batch has
 * committed (is on disk).  One network thread of our own (no
 * mosquitto_loop_start) runs in turns:
 *   1. write what libmosquitto has queued (PUBACKs of committed batches,
 *      CONNECT, SUBSCRIBE, PINGREQ) and run its keepalive;
 *   2. wait until the socket is readable (poll, at most 1 s);
 *   3. read messages one packet at a time while the socket has data, up to
 *      BATCH_MAX readings; on_message parses each into the batch;
 *   4. run the batch through the writer and wait for its commit
 *      (store_exec returns after the job's done(), i.e. after the fsync);
 *      then back to 1, which sends exactly that batch's PUBACKs.
 * If the batch fails, its PUBACKs are thrown away by reconnecting
 * (mosquitto_reconnect drops every queued packet) and the broker sends the
 * messages again.  What this relies on in libmosquitto 2.0.11
 * (lib/handle_publish.c, lib/packet_mosq.c, lib/loop.c, lib/connect.c):
 *   - handle__publish calls send__puback before on_message; send__puback
 *     only queues the packet (packet__queue) when mosquitto_threaded_set
 *     was called (mosq->threaded != mosq_ts_none); nothing but
 *     packet__write -- mosquitto_loop_write here -- puts queued packets on
 *     the socket, and one call writes all of them;
 *   - mosquitto_loop_read reads at most one packet per call here (its
 *     count is the number of our own QoS > 0 messages in flight, none);
 *     libmosquitto keeps no read buffer of its own (plain TCP), so poll()
 *     tells whether more is waiting;
 *   - mosquitto_loop_misc only checks the keepalive (queues a PINGREQ);
 *   - mosquitto_reconnect(_async) clears the queued packets
 *     (packet__cleanup_all) before connecting; mosquitto_want_write says
 *     whether anything is queued (e.g. the CONNECT of a nonblocking
 *     connect, written once the socket is writable).
 * So a SIGKILL at any point loses nothing the broker considers
 * acknowledged; it resends what was not, with the same client id.  A
 * message committed but not yet acknowledged comes again: the writer
 * counts each (device, time, kind) once within SENSOR_SEEN_MS
 * (sensor__ingest's `once`, table sensor_seen), so readings that carry
 * their own "ts" are never counted twice; one without "ts" gets its
 * arrival time and would be (docs/sensors.md).
 *
 * Measured (docs/sensors.md, "What acknowledgement means"): in a kill -9
 * test (three kills among 20,000 readings) from none to 12,078 committed
 * readings came again (PUBACKs written but not yet read by the busy broker
 * die with the connection) and were skipped;
 * the key costs about 4 us per reading on the writer; whole bench runs
 * showed no throughput cost of acknowledging after the commit beyond their
 * noise on the shared machine.
 *
 * Batching: one batch at a time; the socket is not read while the writer
 * works, so the broker queues instead of us (configure max_queued_messages
 * 0).
 */
#include "sensor_int.h"
#include "sensor_store.h"

#include <errno.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH_MAX 500          /* readings in one batch (a payload may bring up to 1000) */
#define KEEPALIVE_S 30
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 5000

typedef struct {
    sensor_reading *rs;
    size_t n, cap;
    size_t msgs;
} batch;

static struct {
    struct mosquitto *m;
    jc_store *st;
    char host[256];
    int port;
    char share[64];
    pthread_t thread;
    int wake[2];          /* self-pipe: stop */
    _Atomic int stopping;
    int started;
    batch b;              /* only the network thread touches it */
    int backoff_ms;       /* the next reconnect's pause (network thread) */
    uint64_t connects;
} M = {.wake = {-1, -1}};

/* The subscriptions (without the $share prefix). */
static const char *const topics[] = {"jiceng/v1/readings/#", "jiceng/v1/heartbeat/+"};

static jc_err batch_run(jc_conn *w, void *arg) {
    batch *b = arg;
    return sensor__ingest_once(w, b->rs, b->n, NULL, NULL);
}

static jc_err warm_run(jc_conn *w, void *arg) {
    (void)arg;
    return sensor__warm(w);
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg) {
    (void)m, (void)obj;
    const char *t = msg->topic, *dev = NULL;
    int hb = 0;
    static const char rd[] = "jiceng/v1/readings", hbp[] = "jiceng/v1/heartbeat/";
    M.b.msgs++;
    if (!strcmp(t, rd)) dev = NULL;
    else if (!strncmp(t, rd, sizeof rd - 1) && t[sizeof rd - 1] == '/') dev = t + sizeof rd;
    else if (!strncmp(t, hbp, sizeof hbp - 1)) dev = t + sizeof hbp - 1, hb = 1;
    else return sensor__reject(REJ_BAD_TOPIC, NULL, t);
    if (dev && (!*dev || strchr(dev, '/'))) return sensor__reject(REJ_BAD_TOPIC, NULL, t);
    (void)sensor__parse(dev, hb, msg->payload ? msg->payload : "", (size_t)msg->payloadlen, jc_now_ms(), &M.b.rs,
                        &M.b.n, &M.b.cap);
}

static void on_connect(struct mosquitto *m, void *obj, int rc, int flags) {
    (void)obj;
    if (rc) {
        jc_log(JC_LOG_WARN, "mqtt: connection refused: %s", mosquitto_connack_string(rc));
        return;
    }
    M.connects++;
    M.backoff_ms = BACKOFF_MIN_MS;
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
    if (rc && !M.stopping) jc_log(JC_LOG_WARN, "mqtt: disconnected (%s); reconnecting", mosquitto_strerror(rc));
}

/* Waits up to ms for the stop pipe; 1 when stopping. */
static int nap(int ms) {
    struct pollfd p = {.fd = M.wake[0], .events = POLLIN};
    (void)poll(&p, 1, ms);
    return M.stopping;
}

/* Commits the batch; 0 when its PUBACKs may go out. */
static int batch_commit(void) {
    batch *b = &M.b;
    int ok = 1;
    if (b->n) {
        int64_t t0 = sensor__mono_ns();
        jc_err e = store_exec(M.st, batch_run, b);
        int64_t now = sensor__mono_ns();
        if (e) {
            jc_log(JC_LOG_ERROR, "mqtt: a batch of %zu readings failed: %s (not acknowledged; the broker resends it)",
                   b->n, jc_err_code(e));
            ok = 0;
        } else {
            if (now - t0 > 50000000)
                jc_log(JC_LOG_WARN, "mqtt: slow batch: %zu readings committed %.0f ms after submission", b->n,
                       (double)(now - t0) / 1e6);
            for (size_t i = 0; i < b->n; i++)
                if (b->rs[i].case_opened) sensor__latency((double)(now - b->rs[i].recv_ns) / 1e6);
        }
    }
    b->n = 0;
    b->msgs = 0;
    return ok;
}

/* Reads what the socket has now, up to BATCH_MAX readings; a nonzero
 * libmosquitto error when the connection was lost. */
static int read_batch(int sock) {
    for (;;) {
        int rc = mosquitto_loop_read(M.m, 1);
        if (rc) return rc;
        if (M.b.n >= BATCH_MAX || M.b.msgs >= BATCH_MAX) return 0;
        struct pollfd p = {.fd = sock, .events = POLLIN};
        if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR))) return 0;
    }
}

/* Pauses before the next connection attempt (doubling up to the cap);
 * 1 when stopping. */
static int back_off(void) {
    int ms = M.backoff_ms;
    M.backoff_ms = ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms * 2;
    return nap(ms);
}

static void *net_main(void *arg) {
    (void)arg;
    int have_session = 0;
    M.backoff_ms = BACKOFF_MIN_MS;
    while (!M.stopping) {
        int sock = mosquitto_socket(M.m);
        if (sock < 0) {
            int e = have_session ? mosquitto_reconnect_async(M.m)
                                 : mosquitto_connect_async(M.m, M.host, M.port, KEEPALIVE_S);
            if (e == MOSQ_ERR_SUCCESS) have_session = 1;
            if (e || (sock = mosquitto_socket(M.m)) < 0) {
                jc_log(JC_LOG_WARN, "mqtt: connect %s:%d: %s (retrying)", M.host, M.port,
                       e == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(e));
                if (back_off()) break;
                continue;
            }
        }
        /* 1. Everything queued belongs to committed batches (or is CONNECT,
         * SUBSCRIBE, PINGREQ): write it, and keep the connection alive. */
        int rc = MOSQ_ERR_SUCCESS;
        if (mosquitto_want_write(M.m)) {
            struct pollfd w = {.fd = sock, .events = POLLOUT};
            if (poll(&w, 1, 0) > 0) rc = mosquitto_loop_write(M.m, 1);
        }
        if (!rc) rc = mosquitto_loop_misc(M.m);
        /* 2. Wait for data (or for the socket to take what is queued). */
        if (!rc && (sock = mosquitto_socket(M.m)) >= 0) {
            struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = M.wake[0], .events = POLLIN}};
            if (mosquitto_want_write(M.m)) p[0].events |= POLLOUT;
            int n = poll(p, 2, 1000);
            if (n < 0 && errno != EINTR) rc = MOSQ_ERR_ERRNO;
            else if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
                rc = read_batch(sock); /* 3. */
        }
        /* 4. Commit; only then may its PUBACKs go (at 1.). */
        if (!batch_commit()) {
            /* Reconnecting drops the queued PUBACKs: the broker resends. */
            if (back_off()) break;
            (void)mosquitto_reconnect_async(M.m);
            continue;
        }
        /* A lost connection (loop_read/write/misc closed it and called
         * on_disconnect): reconnect at the top after a pause. */
        if (rc && mosquitto_socket(M.m) < 0 && back_off()) break;
    }
    /* Stopping: what was read is committed (batch_commit ran last); send its
     * PUBACKs and a DISCONNECT, best effort. */
    if (mosquitto_socket(M.m) >= 0) {
        (void)mosquitto_disconnect(M.m);
        for (int i = 0; i < 20 && mosquitto_want_write(M.m) && mosquitto_socket(M.m) >= 0; i++) {
            struct pollfd w = {.fd = mosquitto_socket(M.m), .events = POLLOUT};
            if (poll(&w, 1, 50) > 0 && mosquitto_loop_write(M.m, 1)) break;
        }
    }
    return NULL;
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
    M.share[0] = 0;
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
    if (pipe(M.wake)) return JC_ERR_IO;
    (void)fcntl(M.wake[0], F_SETFD, FD_CLOEXEC);
    (void)fcntl(M.wake[1], F_SETFD, FD_CLOEXEC);
    mosquitto_lib_init();
    M.m = mosquitto_new(cid, false, NULL);
    if (!M.m || mosquitto_threaded_set(M.m, true) != MOSQ_ERR_SUCCESS) goto fail;
    mosquitto_int_option(M.m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_connect_with_flags_callback_set(M.m, on_connect);
    mosquitto_disconnect_callback_set(M.m, on_disconnect);
    mosquitto_message_callback_set(M.m, on_message);
    M.stopping = 0;
    if (pthread_create(&M.thread, NULL, net_main, NULL)) goto fail;
    M.started = 1;
    jc_log(JC_LOG_INFO, "mqtt: client %s -> %s:%d%s%s (acknowledged after commit)", cid, M.host, M.port,
           M.share[0] ? " shared group " : "", M.share);
    return JC_OK;
fail:
    if (M.m) mosquitto_destroy(M.m);
    M.m = NULL;
    close(M.wake[0]);
    close(M.wake[1]);
    M.wake[0] = M.wake[1] = -1;
    return JC_ERR_IO;
}

void sensor_mqtt_stop(void) {
    if (!M.started) return;
    M.stopping = 1;
    if (write(M.wake[1], "x", 1) < 0) jc_log(JC_LOG_WARN, "mqtt: waking the network thread: %s", strerror(errno));
    pthread_join(M.thread, NULL);
    free(M.b.rs);
    M.b = (batch){0};
    mosquitto_destroy(M.m);
    M.m = NULL;
    mosquitto_lib_cleanup();
    close(M.wake[0]);
    close(M.wake[1]);
    M.wake[0] = M.wake[1] = -1;
    M.started = 0;
}
