/*
 * server.c -- the HTTP server: h2o as a library, one event loop per thread,
 * each with its own SO_REUSEPORT listening socket and its own read
 * connection to the store; static files (web/) through h2o's file handler;
 * everything under /api, /open311, /healthz and /metrics through api.c.
 *
 * Deferred writes: a handler queues a job with the store's writer; after the
 * commit the writer posts a message to the serving thread's h2o receiver,
 * which sends the reply on its own loop.  When the client went away in the
 * meantime h2o disposes the request; a dispose hook clears our pointer so the
 * late reply is dropped instead of touching freed memory.
 */
#include "http.h"
#include "auth.h"
#include "caselist.h"
#include "cli.h"
#include "clock.h"
#include "events.h"
#include "http_guard.h"
#include "dispatch.h"
#include "reason.h"
#include "eval.h"
#include "notify.h"
#include "photo.h"
#include "sensor.h"
#include "warning.h"

#include <arpa/inet.h>
#include <errno.h>
#include <h2o.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64

typedef struct {
    jc_server *srv;
    int index;
    int fd;
    pthread_t tid;
    h2o_evloop_t *loop;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_multithread_receiver_t receiver;
    jc_conn *db;
    events_thread *events; /* live-update subscribers of this thread */
} jc_thread;

static const double latency_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                         0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define NBUCKETS (sizeof latency_buckets / sizeof latency_buckets[0])

struct jc_server {
    jc_store *st;
    h2o_globalconf_t config;
    int nthreads;
    jc_thread threads[MAX_THREADS];
    char host[64];
    int port;
    char web_dir[512];
    atomic_ullong requests, status_class[6];
    atomic_ullong lat_bucket[NBUCKETS + 1];
    atomic_ullong lat_sum_us;
};

static volatile sig_atomic_t stop_flag;
static char tile_url[512]; /* serve --tiles */

const char *http_tile_url(void) { return tile_url; }

jc_store *http_store(jc_server *s) { return s->st; }

static int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void observe(jc_server *s, int status, int64_t start_ns) {
    double secs = (double)(mono_ns() - start_ns) / 1e9;
    atomic_fetch_add(&s->requests, 1);
    int cls = status / 100;
    if (cls < 1 || cls > 5) cls = 0;
    atomic_fetch_add(&s->status_class[cls], 1);
    size_t b = 0;
    while (b < NBUCKETS && secs > latency_buckets[b]) b++;
    atomic_fetch_add(&s->lat_bucket[b], 1);
    atomic_fetch_add(&s->lat_sum_us, (unsigned long long)(secs * 1e6));
}

static const char *reason_of(int status) {
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return status >= 500 ? "Internal Server Error" : "OK";
    }
}

static void send_raw(h2o_req_t *req, int status, const char *ctype, const char *body, size_t len) {
    req->res.status = status;
    req->res.reason = reason_of(status);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ctype, strlen(ctype));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0,
                          NULL, H2O_STRLIT("nosniff"));
    /* A known length keeps the connection alive for any status: without it
     * h2o 2.2 switches to chunked encoding, which it refuses for non-200
     * answers by closing the connection. */
    req->res.content_length = len;
    h2o_send_inline(req, body, len);
}

static void send_json(h2o_req_t *req, int status, json_t *body) {
    char *s = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
    if (!s) {
        static const char oom[] = "{\"error\":{\"code\":\"no_memory\",\"message\":\"out of memory\"}}";
        send_raw(req, 503, "application/json; charset=utf-8", oom, sizeof oom - 1);
    } else {
        send_raw(req, status, "application/json; charset=utf-8", s, strlen(s));
        free(s);
    }
    json_decref(body);
}

/* {"error":{"code","message"[,"detail"]}}: a message may carry a detail
 * code after REASON_DETAIL_SEP (src/reason.h), which the UI words in the
 * reader's language. */
static json_t *error_json(jc_err e, const char *msg) {
    const char *sep = msg ? strchr(msg, REASON_DETAIL_SEP[0]) : NULL;
    json_t *detail = sep ? json_loads(sep + 1, 0, NULL) : NULL;
    const char *text = msg && *msg && msg != sep ? msg : jc_err_code(e);
    size_t len = text == msg && sep ? (size_t)(sep - msg) : strlen(text);
    json_t *o = json_pack("{s:s,s:s%}", "code", jc_err_code(e), "message", text, len);
    if (json_is_object(detail)) json_object_set_new(o, "detail", detail);
    else json_decref(detail);
    return json_pack("{s:o}", "error", o);
}

void http_reply_json(jc_req *r, int status, json_t *body) {
    jc_server *s = r->server;
    send_json(r->h2o_req, status, body);
    observe(s, status, r->start_ns);
}

void http_reply_header(jc_req *r, const char *name, const char *value) {
    h2o_req_t *req = r->h2o_req;
    h2o_iovec_t n = h2o_strdup(&req->pool, name, SIZE_MAX), v = h2o_strdup(&req->pool, value, SIZE_MAX);
    h2o_add_header_by_str(&req->pool, &req->res.headers, n.base, n.len, 1, NULL, v.base, v.len);
}

void http_reply_raw(jc_req *r, int status, const char *ctype, const char *body, size_t len) {
    send_raw(r->h2o_req, status, ctype, body, len);
    observe(r->server, status, r->start_ns);
}

void http_reply_error(jc_req *r, jc_err e, const char *fmt, ...) {
    char msg[512] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
    }
    http_reply_json(r, jc_err_http_status(e), error_json(e, msg));
}

/* ---- deferred writes ------------------------------------------------------ */

typedef struct {
    h2o_multithread_message_t msg; /* for the receiver */
    jc_write_job job;
    jc_deferred d;
    h2o_req_t *req;      /* NULL once h2o disposed the request */
    void **slot;         /* lives in req->pool; points back at us */
    jc_thread *t;
    jc_server *srv;
    int64_t start_ns;
} async_t;

static void on_req_dispose(void *p) {
    async_t *a = *(async_t **)p;
    if (a) a->req = NULL;
}

jc_deferred *http_deferred_new(jc_req *r) {
    async_t *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->d.user = r->user;
    memcpy(a->d.payload_hash, r->payload_hash, sizeof a->d.payload_hash);
    return &a->d;
}

static async_t *async_of(jc_deferred *d) {
    return (async_t *)((char *)d - offsetof(async_t, d));
}

void http_deferred_header(jc_deferred *d, const char *name, const char *value) {
    async_t *a = async_of(d);
    if (!a->req) return;
    h2o_iovec_t n = h2o_strdup(&a->req->pool, name, SIZE_MAX), v = h2o_strdup(&a->req->pool, value, SIZE_MAX);
    h2o_add_header_by_str(&a->req->pool, &a->req->res.headers, n.base, n.len, 1, NULL, v.base, v.len);
}

static void async_free(async_t *a) {
    if (a->d.free_data) a->d.free_data(a->d.data);
    json_decref(a->d.body);
    free(a->d.raw);
    free(a);
}

static jc_err async_run(jc_conn *w, void *arg) {
    async_t *a = arg;
    return a->d.run(w, &a->d);
}

static void async_done(void *arg, jc_err err) {
    async_t *a = arg;
    a->job.result = err;
    h2o_multithread_send_message(&a->t->receiver, &a->msg);
}

static void on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages) {
    (void)receiver;
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *m =
            H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&m->link);
        async_t *a = H2O_STRUCT_FROM_MEMBER(async_t, msg, m);
        if (a->req) {
            *a->slot = NULL;
            int status;
            if (a->job.result == JC_OK && !a->d.raw && !a->d.body && a->d.render_raw &&
                a->d.render_raw(&a->d) != JC_OK) {
                free(a->d.raw);
                a->d.raw = NULL;
            }
            if (a->job.result == JC_OK && a->d.raw) {
                status = a->d.status ? a->d.status : 200;
                send_raw(a->req, status, a->d.raw_type[0] ? a->d.raw_type : "application/octet-stream",
                         a->d.raw, a->d.raw_len);
            } else if (a->job.result == JC_OK) {
                status = a->d.status ? a->d.status : 200;
                if (!a->d.body && a->d.render) a->d.body = a->d.render(&a->d);
                json_t *b = a->d.body ? a->d.body : json_object();
                a->d.body = NULL;
                send_json(a->req, status, b);
            } else if (a->d.raw) {
                status = a->d.status >= 400 ? a->d.status : jc_err_http_status(a->job.result);
                send_raw(a->req, status, a->d.raw_type[0] ? a->d.raw_type : "application/octet-stream",
                         a->d.raw, a->d.raw_len);
            } else {
                status = jc_err_http_status(a->job.result);
                send_json(a->req, status, error_json(a->job.result, a->d.message));
            }
            observe(a->srv, status, a->start_ns);
        }
        async_free(a);
    }
}

/* ---- the worker pool: slow CPU work off the event loops ------------------ */

#define WORKERS 2
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    async_t **q;
    size_t head, n, cap;
    int started;
    jc_store *st;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static void *worker_main(void *arg) {
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&pool.mu);
        while (pool.n == 0) pthread_cond_wait(&pool.cv, &pool.mu);
        async_t *a = pool.q[pool.head];
        pool.head = (pool.head + 1) % pool.cap;
        pool.n--;
        pthread_mutex_unlock(&pool.mu);
        jc_err e = a->d.prepare(&a->d);
        if (e || !a->d.run) {
            async_done(a, e);
        } else if (store_submit(pool.st, &a->job) != JC_OK) {
            snprintf(a->d.message, sizeof a->d.message, "the write queue is full; retry");
            async_done(a, JC_ERR_UNAVAILABLE);
        }
    }
    return NULL;
}

static jc_err pool_submit(jc_store *st, async_t *a) {
    pthread_mutex_lock(&pool.mu);
    if (!pool.started) {
        pool.cap = 1024;
        pool.q = malloc(pool.cap * sizeof *pool.q);
        pool.st = st;
        for (int i = 0; pool.q && i < WORKERS; i++) {
            pthread_t t;
            if (pthread_create(&t, NULL, worker_main, NULL) == 0) pthread_detach(t);
        }
        pool.started = pool.q != NULL;
    }
    if (!pool.started || pool.n == pool.cap) {
        pthread_mutex_unlock(&pool.mu);
        return JC_ERR_UNAVAILABLE;
    }
    pool.q[(pool.head + pool.n) % pool.cap] = a;
    pool.n++;
    pthread_cond_signal(&pool.cv);
    pthread_mutex_unlock(&pool.mu);
    return JC_OK;
}

/* ---- the long-work pool: work that reads much of the store ---------------
 * A whole-chain verification, an export, an evaluation over days read
 * much of the store: they run here, LONG_WORKERS at a time, each thread
 * with its own read connection and under SCHED_IDLE (the event loops, the
 * writer and the syncer always come first: /healthz stays fast while they
 * run), LONG_QUEUE more waiting; past that a request is answered 503 at
 * once.  GET /api/v1/jobs lists them with their progress. */

#define LONG_WORKERS 2
#define LONG_QUEUE 8
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    async_t *q[LONG_QUEUE];
    size_t head, n;
    async_t *running[LONG_WORKERS];
    int64_t started_at[LONG_WORKERS];
    int started;
    jc_store *st;
} lpool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static void *long_main(void *arg) {
    int slot = (int)(intptr_t)arg;
    struct sched_param sp = {0};
    if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp))
        jc_log(JC_LOG_WARN, "long work: SCHED_IDLE refused; it runs at normal priority");
    jc_conn *db = NULL;
    for (;;) {
        pthread_mutex_lock(&lpool.mu);
        while (lpool.n == 0) pthread_cond_wait(&lpool.cv, &lpool.mu);
        async_t *a = lpool.q[lpool.head];
        lpool.head = (lpool.head + 1) % LONG_QUEUE;
        lpool.n--;
        lpool.running[slot] = a;
        lpool.started_at[slot] = jc_real_ms();
        pthread_mutex_unlock(&lpool.mu);
        jc_err e = db || store_conn_open(lpool.st, &db) == JC_OK ? JC_OK : JC_ERR_DB;
        if (!e) {
            a->d.db = db;
            e = a->d.prepare(&a->d);
            a->d.db = NULL;
        }
        pthread_mutex_lock(&lpool.mu);
        lpool.running[slot] = NULL;
        pthread_mutex_unlock(&lpool.mu);
        async_done(a, e);
    }
    return NULL;
}

static jc_err long_submit(jc_store *st, async_t *a) {
    pthread_mutex_lock(&lpool.mu);
    if (!lpool.started) {
        lpool.st = st;
        for (intptr_t i = 0; i < LONG_WORKERS; i++) {
            pthread_t t;
            if (pthread_create(&t, NULL, long_main, (void *)i) == 0) pthread_detach(t);
        }
        lpool.started = 1;
    }
    if (lpool.n == LONG_QUEUE) {
        pthread_mutex_unlock(&lpool.mu);
        return JC_ERR_UNAVAILABLE;
    }
    lpool.q[(lpool.head + lpool.n) % LONG_QUEUE] = a;
    lpool.n++;
    pthread_cond_signal(&lpool.cv);
    pthread_mutex_unlock(&lpool.mu);
    return JC_OK;
}

int http_long_jobs(json_t *arr) {
    pthread_mutex_lock(&lpool.mu);
    for (int i = 0; i < LONG_WORKERS; i++) {
        async_t *a = lpool.running[i];
        if (!a) continue;
        char ts[40];
        jc_fmt_utc(lpool.started_at[i], ts, sizeof ts);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:I,s:I}", "what", a->d.what ? a->d.what : "work",
                                             "user", a->d.user.name, "started_at", ts, "done",
                                             (json_int_t)__atomic_load_n(&a->d.progress[0], __ATOMIC_RELAXED),
                                             "total", (json_int_t)__atomic_load_n(&a->d.progress[1], __ATOMIC_RELAXED)));
    }
    int waiting = (int)lpool.n;
    pthread_mutex_unlock(&lpool.mu);
    return waiting;
}

void http_defer(jc_req *r, jc_deferred *d) {
    async_t *a = async_of(d);
    a->req = r->h2o_req;
    a->t = r->thread;
    a->srv = r->server;
    a->start_ns = r->start_ns;
    a->job.run = async_run;
    a->job.done = async_done;
    a->job.arg = a;
    a->job.rerun = d->rerun;
    a->slot = h2o_mem_alloc_shared(&a->req->pool, sizeof(void *), on_req_dispose);
    *a->slot = a;
    if (d->prepare && d->long_work && !d->run) {
        if (long_submit(r->server->st, a) != JC_OK) {
            *a->slot = NULL;
            async_free(a);
            http_reply_error(r, JC_ERR_UNAVAILABLE, "%d long requests (verifications, exports) run or wait; retry later",
                             LONG_WORKERS + LONG_QUEUE);
        }
        return;
    }
    if (d->prepare ? pool_submit(r->server->st, a) != JC_OK : store_submit(r->server->st, &a->job) != JC_OK) {
        *a->slot = NULL;
        async_free(a);
        http_reply_error(r, JC_ERR_UNAVAILABLE, "the write queue is full; retry");
    }
}

void events_handler(jc_req *r) {
    jc_thread *t = r->thread;
    events_subscribe(t->events, r);
}

/* ---- query strings ---------------------------------------------------------- */

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int http_query(const jc_req *r, const char *key, char *out, size_t outsz) {
    const char *p = r->query, *end = r->query + r->query_len;
    size_t klen = strlen(key);
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *seg_end = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(seg_end - p));
        if (eq && (size_t)(eq - p) == klen && !memcmp(p, key, klen)) {
            size_t o = 0;
            for (const char *q = eq + 1; q < seg_end && o + 1 < outsz; q++) {
                if (*q == '+') out[o++] = ' ';
                else if (*q == '%' && q + 2 < seg_end && hexval(q[1]) >= 0 && hexval(q[2]) >= 0) {
                    out[o++] = (char)(hexval(q[1]) * 16 + hexval(q[2]));
                    q += 2;
                } else out[o++] = *q;
            }
            out[o] = 0;
            return 1;
        }
        p = amp ? amp + 1 : end;
    }
    return 0;
}

int http_header(const jc_req *r, const char *name, const char **value, size_t *len) {
    h2o_req_t *req = r->h2o_req;
    ssize_t i = h2o_find_header_by_str(&req->headers, name, strlen(name), -1);
    if (i < 0) return 0;
    *value = req->headers.entries[i].value.base;
    *len = req->headers.entries[i].value.len;
    return 1;
}

/* ---- request entry ----------------------------------------------------------- */

static int on_req(h2o_handler_t *self, h2o_req_t *req) {
    (void)self;
    jc_thread *t = H2O_STRUCT_FROM_MEMBER(jc_thread, ctx, req->conn->ctx);
    jc_server *s = t->srv;
    jc_req r = {0};
    r.h2o_req = req;
    r.thread = t;
    r.start_ns = mono_ns();
    r.server = s;
    r.db = t->db;
    static char methods[4][8] = {"GET", "POST", "PUT", "DELETE"};
    r.method = "OTHER";
    for (int i = 0; i < 4; i++)
        if (h2o_memis(req->method.base, req->method.len, methods[i], strlen(methods[i])))
            r.method = methods[i];
    size_t plen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    if (plen >= sizeof r.path) {
        http_reply_error(&r, JC_ERR_TOOBIG, "path too long");
        return 0;
    }
    memcpy(r.path, req->path.base, plen);
    r.path[plen] = 0;
    if (req->query_at != SIZE_MAX) {
        r.query = req->path.base + req->query_at + 1;
        r.query_len = req->path.len - req->query_at - 1;
    }
    r.body = req->entity.base;
    r.body_len = req->entity.base ? req->entity.len : 0;
    if (!strcmp(r.path, "/healthz") && !strcmp(r.method, "GET")) {
        static const char ok[] = "{\"status\":\"ok\"}";
        http_reply_raw(&r, 200, "application/json", ok, sizeof ok - 1);
        return 0;
    }
    if (!strcmp(r.path, "/metrics") && !strcmp(r.method, "GET")) {
        if (!api_metrics_access(&r)) return 0; /* monitoring host or admin only */
        jc_buf b;
        jc_buf_init(&b, 1 << 20);
        jc_err e = jc_buf_printf(&b, "# HELP jiceng_http_requests_total HTTP requests answered.\n"
                                     "# TYPE jiceng_http_requests_total counter\n");
        static const char *cls[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
        for (int i = 0; i < 6 && !e; i++)
            e = jc_buf_printf(&b, "jiceng_http_requests_total{class=\"%s\"} %llu\n", cls[i],
                              (unsigned long long)atomic_load(&s->status_class[i]));
        if (!e)
            e = jc_buf_puts(&b, "# HELP jiceng_http_request_seconds Request latency.\n"
                                "# TYPE jiceng_http_request_seconds histogram\n");
        unsigned long long cum = 0;
        for (size_t i = 0; i <= NBUCKETS && !e; i++) {
            cum += atomic_load(&s->lat_bucket[i]);
            if (i < NBUCKETS)
                e = jc_buf_printf(&b, "jiceng_http_request_seconds_bucket{le=\"%g\"} %llu\n",
                                  latency_buckets[i], cum);
            else
                e = jc_buf_printf(&b, "jiceng_http_request_seconds_bucket{le=\"+Inf\"} %llu\n"
                                      "jiceng_http_request_seconds_sum %.6f\n"
                                      "jiceng_http_request_seconds_count %llu\n",
                                  cum, (double)atomic_load(&s->lat_sum_us) / 1e6, cum);
        }
        if (!e) e = api_metrics(&r, &b);
        if (e) {
            jc_buf_free(&b);
            http_reply_error(&r, e, "metrics");
        } else {
            http_reply_raw(&r, 200, "text/plain; version=0.0.4", b.data, b.len);
            jc_buf_free(&b);
        }
        return 0;
    }
    if (!api_dispatch(&r)) http_reply_error(&r, JC_ERR_NOTFOUND, "no such endpoint: %s %s", r.method, r.path);
    return 0;
}

/* ---- threads and sockets ---------------------------------------------------- */

static void on_accept(h2o_socket_t *listener, const char *err) {
    if (err) return;
    jc_thread *t = listener->data;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock) h2o_accept(&t->accept_ctx, sock);
}

static int listen_on(const char *host, int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, SOMAXCONN) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void *thread_main(void *arg) {
    jc_thread *t = arg;
    jc_server *s = t->srv;
    t->loop = h2o_evloop_create();
    h2o_context_init(&t->ctx, t->loop, &s->config);
    h2o_multithread_register_receiver(t->ctx.queue, &t->receiver, on_messages);
    t->accept_ctx.ctx = &t->ctx;
    t->accept_ctx.hosts = s->config.hosts;
    h2o_socket_t *sock = h2o_evloop_socket_create(t->loop, t->fd, H2O_SOCKET_FLAG_DONT_READ);
    sock->data = t;
    h2o_socket_read_start(sock, on_accept);
    while (!stop_flag) {
        h2o_evloop_run(t->loop, 200);
        events_tick(t->events);
    }
    return NULL;
}

/* ---- the ticker: periodic work on the writer ----------------------------
 * Every second each function below runs as one writer job (in the same
 * transaction as the others of that tick).  To add one: write
 * `jc_err foo_tick(jc_conn *w, int64_t now_ms)` in its module, declare it in
 * the module's header, add it here.  A tick must be quick and must find its
 * work from the database (so nothing is lost across a restart), or keep it
 * in memory read from the database (dispatch.c's escalation timer). */
typedef jc_err (*tick_fn)(jc_conn *w, int64_t now_ms);
static const tick_fn tickers[] = {
    dispatch_tick,
    eval_hook_tick,
    sensor_tick,
    warning_tick,
    notify_tick,
    caselist_tick,
};

static jc_err run_ticks(jc_conn *w, void *arg) {
    (void)arg;
    if (clock_load(w)) jc_log(JC_LOG_WARN, "could not read the clock setting");
    int64_t now = jc_now_ms();
    for (size_t i = 0; i < JC_ARRAY_LEN(tickers); i++) {
        if (!tickers[i]) continue;
        jc_err e = tickers[i](w, now);
        if (e) jc_log(JC_LOG_WARN, "ticker %zu: %s", i, jc_err_code(e));
    }
    return JC_OK;
}

static void *ticker_main(void *arg) {
    jc_server *s = arg;
    while (!stop_flag) {
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
        if (stop_flag) break;
        jc_err e = store_exec(s->st, run_ticks, NULL);
        if (e) jc_log(JC_LOG_WARN, "tick failed: %s", jc_err_code(e));
    }
    return NULL;
}

static void on_signal(int sig) {
    (void)sig;
    stop_flag = 1;
}

static h2o_pathconf_t *register_api(h2o_hostconf_t *host, const char *path) {
    h2o_pathconf_t *pc = h2o_config_register_path(host, path, 0);
    guard_register(pc, 0, NULL, NULL);
    h2o_handler_t *h = h2o_create_handler(pc, sizeof *h);
    h->on_req = on_req;
    return pc;
}

int cmd_serve(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng serve --db DB [--listen HOST:PORT] [--threads N] [--web DIR]\n"
        "Runs the HTTP server (JSON API under /api/v1, /healthz, /metrics and the web UI).\n"
        "  --listen   address to listen on (default 127.0.0.1:8080)\n"
        "  --threads  event-loop threads (default: number of cores)\n"
        "  --web      directory of the web UI's static files (default ./web)\n"
        "  --tiles    a WGS-84 map tile URL template for the UI's maps, e.g. 天地图\n"
        "             (default: none -- grids are drawn as vector shapes, no internet needed)\n"
        "  --mqtt URL  ingest sensor readings from mqtt://HOST:PORT (--mqtt-share GROUP, --mqtt-client-id ID)\n"
        "  --photos   directory of uploaded photos (default ./var/photos)\n"
        "  --metrics-allow CIDR[,CIDR]  who reads /metrics without an admin login (default 127.0.0.0/8; none)\n"
        "The schema is migrated on start.  SIGINT/SIGTERM stop it after pending writes commit.\n";
    if (cli_wants_help(argc, argv)) return fputs(help, stdout), JC_EXIT_OK;
    static jc_server srv;
    const char *db = NULL, *listen_s = "127.0.0.1:8080";
    const char *mqtt_url = NULL, *mqtt_share = NULL, *mqtt_cid = NULL; /* docs/sensors.md */
    srv.nthreads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(srv.web_dir, sizeof srv.web_dir, "web");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return cli_usage_error("serve", "option %s needs a value", a);
        i++;
        if (!strcmp(a, "--db")) db = v;
        else if (!strcmp(a, "--listen")) listen_s = v;
        else if (!strcmp(a, "--web")) snprintf(srv.web_dir, sizeof srv.web_dir, "%s", v);
        else if (!strcmp(a, "--tiles")) {
            if (strncmp(v, "https://", 8) && strncmp(v, "http://", 7))
                return cli_usage_error("serve", "--tiles must be an http(s) URL template with {z}/{x}/{y}");
            snprintf(tile_url, sizeof tile_url, "%s", v);
        }
        else if (!strcmp(a, "--model")) warning_set_model_path(v); /* docs/warnings.md */
        else if (!strcmp(a, "--mqtt")) mqtt_url = v;
        else if (!strcmp(a, "--mqtt-share")) mqtt_share = v;
        else if (!strcmp(a, "--mqtt-client-id")) mqtt_cid = v;
        else if (!strcmp(a, "--metrics-allow")) { if (guard_metrics_allow(v)) return cli_usage_error("serve", "bad --metrics-allow LIST (IPv4 CIDRs, or none)"); }
        else if (!strcmp(a, "--photos")) { if (photo_set_dir(v)) return cli_usage_error("serve", "bad --photos DIR"); }
        else if (!strcmp(a, "--threads")) {
            int64_t n;
            if (jc_parse_i64(v, &n) || n < 1 || n > MAX_THREADS)
                return cli_usage_error("serve", "--threads must be 1..%d", MAX_THREADS);
            srv.nthreads = (int)n;
        } else return cli_usage_error("serve", "unexpected argument '%s'", a);
    }
    if (!db) return cli_usage_error("serve", "missing --db DB");
    const char *colon = strrchr(listen_s, ':');
    int64_t port;
    if (!colon || (size_t)(colon - listen_s) >= sizeof srv.host || jc_parse_i64(colon + 1, &port) ||
        port < 1 || port > 65535)
        return cli_usage_error("serve", "--listen must be HOST:PORT");
    memcpy(srv.host, listen_s, (size_t)(colon - listen_s));
    srv.port = (int)port;
    if (srv.nthreads < 1) srv.nthreads = 1;
    if (auth_init()) return JC_EXIT_FAIL;
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int version;
    if (store_open(db, &srv.st) || store_migrate(srv.st, &version)) {
        fprintf(stderr, "jiceng serve: cannot open or migrate %s\n", db);
        store_close(srv.st);
        return JC_EXIT_FAIL;
    }
    if (mqtt_url && sensor_mqtt_start(srv.st, mqtt_url, mqtt_share, mqtt_cid)) {
        fprintf(stderr, "jiceng serve: bad --mqtt %s (mqtt://HOST:PORT) or --mqtt-share\n", mqtt_url);
        store_close(srv.st);
        return JC_EXIT_FAIL;
    }
    h2o_config_init(&srv.config);
    guard_http_config(&srv.config); /* no cleartext HTTP/2 */
    static char csp[768];
    if (guard_ui_csp(tile_url, csp, sizeof csp)) return cli_usage_error("serve", "bad --tiles URL");
    srv.config.max_request_entity_size = HTTP_UPLOAD_CAP;
    h2o_hostconf_t *host = h2o_config_register_host(&srv.config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    register_api(host, "/api");
    register_api(host, "/open311");
    register_api(host, "/healthz");
    register_api(host, "/metrics");
    /* h2o takes the first matching path: the more specific /vendor first;
     * only the built files of the libraries the UI loads (the QR code of a
     * printed form: qrcode-generator) */
    static const char *const vendor[][2] = {{"/vendor/leaflet/dist", "node_modules/leaflet/dist"},
                                            {"/vendor/echarts/dist", "node_modules/echarts/dist"},
                                            {"/vendor/qrcode-generator/dist", "node_modules/qrcode-generator/dist"}};
    for (size_t i = 0; i < JC_ARRAY_LEN(vendor); i++) {
        h2o_pathconf_t *pc = h2o_config_register_path(host, vendor[i][0], 0);
        guard_register(pc, 1, csp, NULL);
        h2o_file_register(pc, vendor[i][1], NULL, NULL, 0);
    }
    h2o_pathconf_t *files = h2o_config_register_path(host, "/", 0);
    guard_register(files, 1, csp, "/vendor"); /* web/vendor links to all of node_modules */
    h2o_file_register(files, srv.web_dir, h2o_file_default_index_files, NULL, 0);

    for (int i = 0; i < srv.nthreads; i++) {
        jc_thread *t = &srv.threads[i];
        t->srv = &srv;
        t->index = i;
        t->fd = listen_on(srv.host, srv.port);
        if (t->fd < 0) {
            fprintf(stderr, "jiceng serve: cannot listen on %s:%d: %s\n", srv.host, srv.port,
                    strerror(errno));
            store_close(srv.st);
            return JC_EXIT_FAIL;
        }
        if (store_conn_open(srv.st, &t->db) || !(t->events = events_thread_new(t->db))) {
            fprintf(stderr, "jiceng serve: cannot open a read connection\n");
            store_close(srv.st);
            return JC_EXIT_FAIL;
        }
    }
    warning_preload_model(); /* train or load the classifier before the first request */
    for (int i = 0; i < srv.nthreads; i++)
        pthread_create(&srv.threads[i].tid, NULL, thread_main, &srv.threads[i]);
    pthread_t ticker;
    pthread_create(&ticker, NULL, ticker_main, &srv);
    if (notify_start(srv.st)) jc_log(JC_LOG_ERROR, "the webhook sender did not start");
    printf("jiceng %s serving http://%s:%d/ (db %s, schema %d, %d threads)\n", JC_VERSION, srv.host,
           srv.port, db, version, srv.nthreads);
    fflush(stdout);
    for (int i = 0; i < srv.nthreads; i++) pthread_join(srv.threads[i].tid, NULL);
    pthread_join(ticker, NULL);
    jc_log(JC_LOG_INFO, "stopping: waiting for pending writes");
    sensor_mqtt_stop();
    notify_stop();
    store_close(srv.st); /* drains the writer queue */
    for (int i = 0; i < srv.nthreads; i++) close(srv.threads[i].fd);
    return JC_EXIT_OK;
}
