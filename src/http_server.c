/*
 * http_server.c -- the HTTP transport (http_server.h): h2o as a library, one
 * event loop per thread, each with its own SO_REUSEPORT listening socket and
 * its own read connection to the store; static files through h2o's file
 * handler; every request under the configured prefixes handed to one
 * handler as a jc_req.  It knows no module and no route.
 *
 * Deferred writes: a handler queues a job with the store's writer; after the
 * commit the writer posts a message to the serving thread's h2o receiver,
 * which sends the reply on its own loop.  When the client went away in the
 * meantime h2o disposes the request; a dispose hook clears our pointer so the
 * late reply is dropped instead of touching freed memory.
 */
#include "http_server.h"
#include "http_guard.h"
#include "reason.h"
#include "tls.h"

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

#define MAX_THREADS HTTP_MAX_THREADS

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
} jc_thread;

static const double latency_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                         0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define NBUCKETS (sizeof latency_buckets / sizeof latency_buckets[0])

struct jc_server {
    jc_store *st;
    h2o_globalconf_t config;
    int nthreads;
    jc_thread threads[MAX_THREADS];
    void (*handler)(jc_req *r);
    void (*thread_tick)(int index);
    SSL_CTX *ssl_ctx; /* tls.h's, NULL: plain HTTP */
    atomic_ullong requests, status_class[6];
    atomic_ullong lat_bucket[NBUCKETS + 1];
    atomic_ullong lat_sum_us;
};

static volatile sig_atomic_t stop_flag;

void http_server_stop(void) { stop_flag = 1; }

int http_server_stopping(void) { return stop_flag != 0; }

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
    case 304: return "Not Modified";
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
    case 507: return "Insufficient Storage";
    default: return status >= 500 ? "Internal Server Error" : "OK";
    }
}

/* Adds the caller's headers (copied) to req's response; 1 when one of them
 * is cache-control. */
static int add_headers(h2o_req_t *req, const http_kv *h, size_t n) {
    int cache = 0;
    for (size_t i = 0; i < n; i++) {
        h2o_iovec_t name = h2o_strdup(&req->pool, h[i].name, SIZE_MAX);
        h2o_iovec_t value = h2o_strdup(&req->pool, h[i].value, SIZE_MAX);
        h2o_add_header_by_str(&req->pool, &req->res.headers, name.base, name.len, 1, NULL, value.base, value.len);
        cache |= !strcmp(h[i].name, "cache-control");
    }
    return cache;
}

static void send_with(h2o_req_t *req, int status, const char *ctype, const http_kv *h, size_t nh,
                      const char *body, size_t len) {
    req->res.status = status;
    req->res.reason = reason_of(status);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ctype, strlen(ctype));
    if (!add_headers(req, h, nh))
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0,
                          NULL, H2O_STRLIT("nosniff"));
    /* A known length keeps the connection alive for any status: without it
     * h2o 2.2 switches to chunked encoding, which it refuses for non-200
     * answers by closing the connection. */
    if (status != 304) req->res.content_length = len; /* a 304 has no body, and no length of its own */
    h2o_send_inline(req, body, len);
}

static void send_raw(h2o_req_t *req, int status, const char *ctype, const char *body, size_t len) {
    send_with(req, status, ctype, NULL, 0, body, len);
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
    if (e == JC_ERR_NOSPACE) /* whatever the handler said: the reason is the disk */
        msg = "the server's disk is full: nothing was written; reading and logging in go on, "
              "and writing resumes as soon as space is freed";
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

void http_reply_with(jc_req *r, int status, const char *ctype, const http_kv *headers, size_t nheaders,
                     const char *body, size_t len) {
    send_with(r->h2o_req, status, ctype, headers, nheaders, body, len);
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
    a->job.essential = d->essential;
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

/* ---- streamed answers ------------------------------------------------------ */

struct http_stream {
    h2o_generator_t gen; /* first: h2o hands it back to us */
    h2o_req_t *req;
    http_stream_cb cb;
    void *arg;
};

static void stream_proceed(h2o_generator_t *g, h2o_req_t *req) {
    (void)req;
    http_stream *s = (http_stream *)g;
    s->cb.proceed(s->arg);
}

static void stream_stop(h2o_generator_t *g, h2o_req_t *req) {
    (void)req;
    http_stream *s = (http_stream *)g;
    s->cb.stop(s->arg);
}

static void stream_dispose(void *p) {
    http_stream *s = p;
    s->cb.dispose(s->arg);
}

http_stream *http_stream_start(jc_req *r, const char *ctype, const http_stream_cb *cb, void *arg) {
    h2o_req_t *req = r->h2o_req;
    http_stream *s = h2o_mem_alloc_shared(&req->pool, sizeof *s, stream_dispose);
    if (!s) return NULL;
    s->gen.proceed = stream_proceed;
    s->gen.stop = stream_stop;
    s->req = req;
    s->cb = *cb;
    s->arg = arg;
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ctype, strlen(ctype));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-cache"));
    h2o_start_response(req, &s->gen);
    return s;
}

void http_stream_send(http_stream *s, const char *data, size_t len) {
    h2o_iovec_t buf = h2o_iovec_init(data, len);
    h2o_send(s->req, &buf, 1, H2O_SEND_STATE_IN_PROGRESS);
}

void http_stream_end(http_stream *s) { h2o_send(s->req, NULL, 0, H2O_SEND_STATE_FINAL); }
/* ---- request headers ---------------------------------------------------------- */

int http_authority(const jc_req *r, const char **value, size_t *len) {
    h2o_req_t *req = r->h2o_req;
    if (!req->authority.base || !req->authority.len) return 0;
    *value = req->authority.base;
    *len = req->authority.len;
    return 1;
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
    r.thread_index = t->index;
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
    s->handler(&r);
    return 0;
}

jc_err http_server_metrics(jc_server *s, jc_buf *b) {
    jc_err e = jc_buf_printf(b, "# HELP jiceng_http_requests_total HTTP requests answered.\n"
                                "# TYPE jiceng_http_requests_total counter\n");
    static const char *cls[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
    for (int i = 0; i < 6 && !e; i++)
        e = jc_buf_printf(b, "jiceng_http_requests_total{class=\"%s\"} %llu\n", cls[i],
                          (unsigned long long)atomic_load(&s->status_class[i]));
    if (!e)
        e = jc_buf_puts(b, "# HELP jiceng_http_request_seconds Request latency.\n"
                           "# TYPE jiceng_http_request_seconds histogram\n");
    unsigned long long cum = 0;
    for (size_t i = 0; i <= NBUCKETS && !e; i++) {
        cum += atomic_load(&s->lat_bucket[i]);
        if (i < NBUCKETS)
            e = jc_buf_printf(b, "jiceng_http_request_seconds_bucket{le=\"%g\"} %llu\n", latency_buckets[i], cum);
        else
            e = jc_buf_printf(b, "jiceng_http_request_seconds_bucket{le=\"+Inf\"} %llu\n"
                                 "jiceng_http_request_seconds_sum %.6f\n"
                                 "jiceng_http_request_seconds_count %llu\n",
                              cum, (double)atomic_load(&s->lat_sum_us) / 1e6, cum);
    }
    return e;
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

/* 1 when another program listens on host:port.  The threads' sockets share
 * the port with SO_REUSEPORT, which would let a second process share it
 * too; a socket without it cannot bind while anyone listens there.  (Two
 * servers started in the same instant can both pass; the database claim
 * still stops the second on the same database.) */
static int port_taken(const char *host, int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int taken = inet_pton(AF_INET, host, &sa.sin_addr) == 1 && bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 &&
                errno == EADDRINUSE;
    close(fd);
    return taken;
}

static void *thread_main(void *arg) {
    jc_thread *t = arg;
    jc_server *s = t->srv;
    t->loop = h2o_evloop_create();
    h2o_context_init(&t->ctx, t->loop, &s->config);
    h2o_multithread_register_receiver(t->ctx.queue, &t->receiver, on_messages);
    t->accept_ctx.ctx = &t->ctx;
    t->accept_ctx.hosts = s->config.hosts;
    /* NULL: plain HTTP; http_server_tls_changed swaps it */
    t->accept_ctx.ssl_ctx = __atomic_load_n(&s->ssl_ctx, __ATOMIC_ACQUIRE);
    h2o_socket_t *sock = h2o_evloop_socket_create(t->loop, t->fd, H2O_SOCKET_FLAG_DONT_READ);
    sock->data = t;
    h2o_socket_read_start(sock, on_accept);
    while (!stop_flag) {
        h2o_evloop_run(t->loop, 200);
        if (s->thread_tick) s->thread_tick(t->index);
    }
    /* the loop knows its listener only through epoll: closed (its fd with
     * it) and disposed by one more turn, not left behind at exit */
    h2o_socket_read_stop(sock);
    h2o_socket_close(sock);
    t->fd = -1;
    h2o_evloop_run(t->loop, 0);
    return NULL;
}

static void register_handler(h2o_hostconf_t *host, const char *path) {
    h2o_pathconf_t *pc = h2o_config_register_path(host, path, 0);
    guard_register(pc, 0, NULL, NULL);
    h2o_handler_t *h = h2o_create_handler(pc, sizeof *h);
    h->on_req = on_req;
}

static void fail(char *msg, size_t msgsz, const char *fmt, const char *a, int b) {
    snprintf(msg, msgsz, fmt, a, b, strerror(errno));
}

jc_err http_server_open(const http_server_config *cfg, jc_server **out, char *msg, size_t msgsz) {
    *out = NULL;
    if (cfg->threads < 1 || cfg->threads > MAX_THREADS) {
        snprintf(msg, msgsz, "threads must be 1..%d", MAX_THREADS);
        return JC_ERR_INVALID;
    }
    jc_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(msg, msgsz, "out of memory");
        return JC_ERR_NOMEM;
    }
    s->st = cfg->st;
    s->handler = cfg->handler;
    s->thread_tick = cfg->thread_tick;
    s->nthreads = cfg->threads;
    s->ssl_ctx = tls_ctx();
    h2o_config_init(&s->config);
    guard_http_config(&s->config); /* no cleartext HTTP/2 */
    s->config.max_request_entity_size = HTTP_UPLOAD_CAP;
    h2o_hostconf_t *host = h2o_config_register_host(&s->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    for (size_t i = 0; cfg->prefixes && cfg->prefixes[i]; i++) register_handler(host, cfg->prefixes[i]);
    /* h2o takes the first matching path: the more specific ones first */
    for (size_t i = 0; cfg->files && cfg->files[i].url; i++) {
        const http_static *f = &cfg->files[i];
        h2o_pathconf_t *pc = h2o_config_register_path(host, f->url, 0);
        guard_register(pc, 1, cfg->csp, f->deny);
        h2o_file_register(pc, f->dir, f->index ? h2o_file_default_index_files : NULL, NULL, 0);
    }
    if (s->ssl_ctx && cfg->hsts > 0) { /* every answer over TLS says: only TLS from now on */
        static char hsts_value[64];
        static h2o_iovec_t hsts_name = {H2O_STRLIT("strict-transport-security")};
        static h2o_headers_command_t hsts_cmds[2];
        snprintf(hsts_value, sizeof hsts_value, "max-age=%lld", (long long)cfg->hsts);
        hsts_cmds[0] = (h2o_headers_command_t){H2O_HEADERS_CMD_SET, &hsts_name, h2o_iovec_init(hsts_value, strlen(hsts_value))};
        hsts_cmds[1] = (h2o_headers_command_t){H2O_HEADERS_CMD_NULL, NULL, {NULL, 0}};
        /* (the paths' vector moved as paths were added: take them from it now) */
        for (size_t i = 0; i < host->paths.size; i++) h2o_headers_register(&host->paths.entries[i], hsts_cmds);
    }
    if (port_taken(cfg->host, cfg->port)) {
        snprintf(msg, msgsz, "%s:%d is already in use by another program (another jiceng serve?); not starting",
                 cfg->host, cfg->port);
        free(s);
        return JC_ERR_CONFLICT;
    }
    for (int i = 0; i < s->nthreads; i++) {
        jc_thread *t = &s->threads[i];
        t->srv = s;
        t->index = i;
        t->fd = -1;
    }
    jc_err e = JC_OK;
    for (int i = 0; i < s->nthreads && !e; i++) {
        jc_thread *t = &s->threads[i];
        t->fd = listen_on(cfg->host, cfg->port);
        if (t->fd < 0) {
            fail(msg, msgsz, "cannot listen on %s:%d: %s", cfg->host, cfg->port);
            e = JC_ERR_IO;
        } else if (store_conn_open(s->st, &t->db)) {
            snprintf(msg, msgsz, "cannot open a read connection");
            e = JC_ERR_DB;
        } else if (cfg->thread_start && (e = cfg->thread_start(i, t->db)) != JC_OK) {
            snprintf(msg, msgsz, "cannot set up serving thread %d: %s", i, jc_err_code(e));
        }
    }
    if (e) {
        for (int i = 0; i < s->nthreads; i++) {
            if (s->threads[i].fd >= 0) close(s->threads[i].fd);
            store_conn_close(s->threads[i].db);
        }
        free(s);
        return e;
    }
    *out = s;
    return JC_OK;
}

void http_server_tls_changed(jc_server *s) {
    SSL_CTX *c = tls_ctx();
    __atomic_store_n(&s->ssl_ctx, c, __ATOMIC_RELEASE);
    for (int i = 0; i < s->nthreads; i++) __atomic_store_n(&s->threads[i].accept_ctx.ssl_ctx, c, __ATOMIC_RELEASE);
}

void http_server_counts(jc_server *s, uint64_t *requests, uint64_t *errors) {
    *requests = atomic_load(&s->requests);
    *errors = atomic_load(&s->status_class[5]);
}

void http_server_run(jc_server *s) {
    for (int i = 0; i < s->nthreads; i++) pthread_create(&s->threads[i].tid, NULL, thread_main, &s->threads[i]);
    for (int i = 0; i < s->nthreads; i++) pthread_join(s->threads[i].tid, NULL);
}

void http_server_close(jc_server *s) {
    if (!s) return;
    for (int i = 0; i < s->nthreads; i++)
        if (s->threads[i].fd >= 0) close(s->threads[i].fd), s->threads[i].fd = -1;
    /* s itself stays, with the read connections and h2o's contexts: a
     * password hash still running on the worker pool may yet post its
     * (dropped) reply to a thread's receiver; the process ends next. */
}
