/*
 * simulate.c -- `jiceng simulate`: replays a month of neighbourhood life
 * against a running server, in accelerated time, so the demo shows the whole
 * loop working (issue 8).
 *
 * Design notes.
 *  - The simulator acts like the real people would: it logs in as the demo
 *    users (residents, grid workers, the dispatcher, the supervisor, each
 *    department) and uses the public HTTP API only, so every action goes
 *    through validation, automatic dispatch, the audit chain and the clock
 *    exactly as in production.  Sensor readings go to POST /api/v1/readings.
 *  - Time: it stores the platform clock in the database (meta 'clock', see
 *    clock.c) -- simulated time from --start at --speed -- and applies the same
 *    clock to itself, so the server and the simulator agree on "now".  Work is
 *    a discrete-event queue ordered by (simulated time, sequence number); the
 *    simulator sleeps until the clock reaches an event, then performs it.
 *  - Every simulated day is planned from a random stream seeded by (--seed,
 *    day); every case's behaviour (late, returned, reworked, rating) from a
 *    stream seeded by (--seed, case id).  The same seed therefore gives the
 *    same sequence of actions.  What the server does by its own timers
 *    (reminders, escalation, the time an inactivity alarm is noticed) depends
 *    on real scheduling and may differ slightly from run to run.
 *  - A small blocking HTTP/1.1 client over one keep-alive loopback socket
 *    (http_call below); JSON with jansson.
 */
#include "base.h"
#include "cli.h"
#include "module.h"
#include "clock.h"
#include "paths.h"
#include "store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MIN_MS 60000LL
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
#define TZ_MS (8 * HOUR_MS) /* Asia/Shanghai, no daylight saving */
#define MAX_RESP (8u << 20)  /* cap on one HTTP answer */

/* ---- random numbers (splitmix64: small, good, deterministic) -------------- */

typedef struct { uint64_t s; } rng;

static uint64_t rng_next(rng *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static rng rng_seed(uint64_t a, uint64_t b) {
    rng r = {a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL)};
    rng_next(&r);
    return r;
}
static double rng_unit(rng *r) { return (double)(rng_next(r) >> 11) / 9007199254740992.0; }
static int rng_int(rng *r, int n) { return n <= 0 ? 0 : (int)(rng_unit(r) * n); }
static int64_t rng_range(rng *r, int64_t lo, int64_t hi) {
    return hi <= lo ? lo : lo + (int64_t)(rng_unit(r) * (double)(hi - lo));
}
static int rng_poisson(rng *r, double lambda) {
    double l = exp(-lambda), p = 1.0;
    int k = 0;
    do {
        k++;
        p *= rng_unit(r);
    } while (p > l && k < 1000);
    return k - 1;
}

/* ---- a small blocking HTTP/1.1 client -------------------------------------- */

typedef struct {
    char host[128];
    int port;
    int fd;
    long calls, errors;
} hclient;

static int hc_connect(hclient *h) {
    if (h->fd >= 0) return 0;
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char port[16];
    snprintf(port, sizeof port, "%d", h->port);
    if (getaddrinfo(h->host, port, &hints, &ai) != 0 || !ai) return -1;
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {60, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    h->fd = fd;
    return 0;
}

static void hc_close(hclient *h) {
    if (h->fd >= 0) close(h->fd);
    h->fd = -1;
}

static int send_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Reads one response; returns the status or -1 (connection failed before
 * any byte: *fresh_fail set so the caller may retry), -2 other failure. */
static int hc_read(hclient *h, jc_buf *body, int *fresh_fail, int *close_after) {
    jc_buf in;
    jc_buf_init(&in, MAX_RESP);
    char tmp[16384];
    size_t hdr_end = 0;
    *fresh_fail = 0;
    for (;;) {
        ssize_t k = recv(h->fd, tmp, sizeof tmp, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            *fresh_fail = in.len == 0;
            jc_buf_free(&in);
            return *fresh_fail ? -1 : -2;
        }
        if (jc_buf_append(&in, tmp, (size_t)k)) return jc_buf_free(&in), -2;
        char *e = strstr(in.data, "\r\n\r\n");
        if (e) {
            hdr_end = (size_t)(e - in.data) + 4;
            break;
        }
    }
    int status = 0;
    if (sscanf(in.data, "HTTP/1.%*d %d", &status) != 1) return jc_buf_free(&in), -2;
    long long clen = -1;
    int chunked = 0;
    *close_after = 0;
    for (char *line = strstr(in.data, "\r\n"); line && (size_t)(line - in.data) < hdr_end - 4;
         line = strstr(line + 2, "\r\n")) {
        const char *l = line + 2;
        if (!strncasecmp(l, "content-length:", 15)) clen = strtoll(l + 15, NULL, 10);
        else if (!strncasecmp(l, "transfer-encoding:", 18) && strstr(l, "chunked") &&
                 strstr(l, "chunked") < strstr(l, "\r\n"))
            chunked = 1;
        else if (!strncasecmp(l, "connection:", 11) && !strncasecmp(l + 11 + strspn(l + 11, " "), "close", 5))
            *close_after = 1;
    }
    /* gather the rest of the body */
    for (;;) {
        size_t have = in.len - hdr_end;
        if (!chunked && clen >= 0 && (long long)have >= clen) break;
        if (chunked && strstr(in.data + hdr_end, "\r\n0\r\n\r\n")) break;
        if (chunked && have >= 5 && !strncmp(in.data + hdr_end, "0\r\n\r\n", 5)) break;
        ssize_t k = recv(h->fd, tmp, sizeof tmp, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            if (!chunked && clen < 0) break; /* read to close */
            return jc_buf_free(&in), -2;
        }
        if (jc_buf_append(&in, tmp, (size_t)k)) return jc_buf_free(&in), -2;
    }
    if (!chunked) {
        size_t n = in.len - hdr_end;
        if (clen >= 0 && (size_t)clen < n) n = (size_t)clen;
        if (n && jc_buf_append(body, in.data + hdr_end, n)) return jc_buf_free(&in), -2;
    } else {
        const char *p = in.data + hdr_end, *end = in.data + in.len;
        while (p < end) {
            char *nx;
            unsigned long sz = strtoul(p, &nx, 16);
            const char *data = strstr(nx, "\r\n");
            if (!data || sz == 0) break;
            data += 2;
            if (data + sz > end) return jc_buf_free(&in), -2;
            if (jc_buf_append(body, data, sz)) return jc_buf_free(&in), -2;
            p = data + sz + 2;
        }
    }
    jc_buf_free(&in);
    return status;
}

/* Performs one request; body may be NULL.  Returns the HTTP status (or 0 when
 * the server could not be reached) and the parsed JSON answer in *out (caller
 * owns; NULL when not JSON). */
static int http_call(hclient *h, const char *method, const char *path, const char *token, const char *body,
                     json_t **out) {
    if (out) *out = NULL;
    h->calls++;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (hc_connect(h)) break;
        jc_buf req;
        jc_buf_init(&req, 0);
        size_t blen = body ? strlen(body) : 0;
        jc_err e = jc_buf_printf(&req, "%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: keep-alive\r\n", method, path,
                                 h->host, h->port);
        if (!e && token) e = jc_buf_printf(&req, "Authorization: Bearer %s\r\n", token);
        if (!e && body) e = jc_buf_printf(&req, "Content-Type: application/json\r\nContent-Length: %zu\r\n", blen);
        if (!e && !body && strcmp(method, "GET")) e = jc_buf_puts(&req, "Content-Length: 0\r\n");
        if (!e) e = jc_buf_puts(&req, "\r\n");
        if (!e && body) e = jc_buf_append(&req, body, blen);
        if (e) {
            jc_buf_free(&req);
            break;
        }
        int sent = send_all(h->fd, req.data, req.len);
        jc_buf_free(&req);
        if (sent) {
            hc_close(h);
            continue; /* a stale keep-alive connection: nothing was sent */
        }
        jc_buf resp;
        jc_buf_init(&resp, MAX_RESP);
        int fresh = 0, close_after = 0;
        int st = hc_read(h, &resp, &fresh, &close_after);
        if (st < 0) {
            jc_buf_free(&resp);
            hc_close(h);
            if (fresh && attempt == 0) continue; /* the server closed an idle connection */
            break;
        }
        if (close_after) hc_close(h);
        if (out && resp.len) *out = json_loadb(resp.data, resp.len, 0, NULL);
        jc_buf_free(&resp);
        if (st >= 500) h->errors++;
        return st;
    }
    h->errors++;
    return 0;
}

/* Calls with a JSON body built by the caller (stolen). */
static int http_json(hclient *h, const char *method, const char *path, const char *token, json_t *body,
                     json_t **out) {
    char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    int st = http_call(h, method, path, token, s, out);
    free(s);
    return st;
}

/* ---- the world the simulator knows ----------------------------------------- */

typedef struct { char code[8], name[64], dept[32], co[32]; int ntexts, text0; } cat_t;
typedef struct { char title[128], text[512]; } text_t;
typedef struct { char code[24], comm[16]; double w, s, e, n; } grid_t;
typedef struct { int64_t id; char code[32]; char token[80]; } dept_t;
typedef struct { char name[32], area[24], token[80]; } user_t;

enum { SS_REPORTED, SS_REGISTERED, SS_DISPATCHED, SS_ACCEPTED, SS_HANDLING, SS_FEEDBACK, SS_VERIFIED,
       SS_CLOSED, SS_RATED, SS_RETURNED, SS_OTHER };
static const char *const state_names[] = {"reported", "registered", "dispatched", "accepted", "handling",
                                          "feedback", "verified", "closed", "rated", "returned"};

typedef struct {
    int64_t id, dept_id, dispatched_at;
    int state, cat, reporter; /* reporter: resident index, or -1 */
    char area[24], source[12];
    unsigned late : 1, ret : 1, uphold : 1, rework : 1, slow : 1, whistle : 1, returned_once : 1,
        reworked_once : 1, escalated : 1, done : 1;
    int retries;
    rng r;
} sim_case;

enum { EV_DAY, EV_REPORT, EV_CASE, EV_READINGS, EV_FAULT, EV_WHISTLE, EV_MEMBER, EV_SWEEP, EV_ESCALATE, EV_TASK,
       EV_TASKDONE, EV_EXCEPTION };
enum { F_SMOKE, F_RAIN, F_DOOR, F_MANHOLE, F_EBIKE };

typedef struct { int64_t t; uint64_t seq; int kind, a, b; } event;

typedef struct { int cat, reporter, grid, text; double lon, lat; int patrol_worker; } pending;

typedef struct {
    char id[48], type[16], grid[24];
    double lon, lat;
    int door_victim;
} device;

typedef struct {
    int64_t whistle_id, member_dept[3];
    int64_t case_id;
    int nmembers;
} whistle_t;

typedef struct {
    hclient h;
    uint64_t seed;
    int days;
    double speed;
    int64_t start, end;
    const char *data_dir, *db;
    int quiet;
    cat_t cats[64];
    int ncats;
    text_t *texts;
    int ntexts;
    grid_t grids[512];
    int ngrids;
    dept_t depts[64];
    int ndepts;
    user_t residents[2], workers[3], community[3], dispatcher, supervisor, admin;
    sim_case *cases;
    int ncases, capcases;
    event *heap;
    int nheap, capheap;
    uint64_t seq;
    pending *pend;
    int npend, cappend;
    device devs[512];
    int ndevs, door_victim;
    whistle_t wh;
    int whistle_case; /* index into cases, -1 */
    /* counters */
    long by_source[4]; /* web, patrol, sensor, other */
    long n_register, n_dispatch, n_accept, n_handle, n_feedback, n_verify, n_rework, n_close, n_rate,
        n_return, n_uphold, n_reject, n_escalate, n_readings, n_whistle, n_checkin, n_finish, n_wrate, n_fail;
    long rating[3];
    long day_reports, day_patrol, day_sensor;
    /* tasks pushed to communities (事项准入): the copies community staff will
     * mark done, and one refused task the street lets through */
    struct { int64_t task; int comm; } done_q[512];
    int ndone_q;
    int64_t refused_task;
    long n_task, n_admitted, n_refused, n_answered, n_task_done, n_exception;
    /* --until-now / --live (see cmd_simulate) */
    int until_now;      /* replay until the clock meets real time, then hand over */
    double pace;        /* the clock's speed now (full speed adapts it: pace_clock) */
    int64_t sweep_max;  /* the newest case id a sweep has seen */
    long n_pace;        /* clock changes made by pace_clock */
    int no_pace;        /* the server cannot set its clock at once (older build) */
    int total_days;     /* days planned: the replay, then the live days */
    double live_rate;   /* activity multiplier once in real time */
    int live;           /* 1 once the clock runs in real time */
} sim;

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) {
    (void)sig;
    stop_flag = 1;
}

/* ---- events ----------------------------------------------------------------- */

static int ev_less(const event *a, const event *b) { return a->t < b->t || (a->t == b->t && a->seq < b->seq); }

static void ev_push(sim *S, int64_t t, int kind, int a, int b) {
    if (S->nheap == S->capheap) {
        int cap = S->capheap ? S->capheap * 2 : 1024;
        event *n = realloc(S->heap, (size_t)cap * sizeof *n);
        if (!n) return;
        S->heap = n;
        S->capheap = cap;
    }
    event e = {t, S->seq++, kind, a, b};
    int i = S->nheap++;
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!ev_less(&e, &S->heap[p])) break;
        S->heap[i] = S->heap[p];
        i = p;
    }
    S->heap[i] = e;
}

static event ev_pop(sim *S) {
    event top = S->heap[0], last = S->heap[--S->nheap];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= S->nheap) break;
        if (c + 1 < S->nheap && ev_less(&S->heap[c + 1], &S->heap[c])) c++;
        if (!ev_less(&S->heap[c], &last)) break;
        S->heap[i] = S->heap[c];
        i = c;
    }
    if (S->nheap) S->heap[i] = last;
    return top;
}

/* ---- time helpers ------------------------------------------------------------ */

static int local_minute(int64_t t) { return (int)(((t + TZ_MS) % DAY_MS) / MIN_MS); }
static int local_weekday(int64_t t) { return (int)(((t + TZ_MS) / DAY_MS + 3) % 7); } /* 0 = Monday */
static int64_t local_midnight(int64_t t) { return (t + TZ_MS) / DAY_MS * DAY_MS - TZ_MS; }

/* The first instant at or after t inside [from_min, to_min) local time, on
 * weekdays only when weekdays is set, plus a few random minutes when moved. */
static int64_t at_work(int64_t t, int from_min, int to_min, int weekdays, rng *r) {
    for (int i = 0; i < 14; i++) {
        int m = local_minute(t), wd = local_weekday(t);
        int day_ok = !weekdays || wd < 5;
        if (day_ok && m >= from_min && m < to_min) return t;
        int64_t mid = local_midnight(t);
        if (day_ok && m < from_min) t = mid + from_min * MIN_MS;
        else t = mid + DAY_MS + from_min * MIN_MS;
        if (weekdays && local_weekday(t) >= 5) continue;
        return t + rng_range(r, 0, 40 * MIN_MS);
    }
    return t;
}

static void fmt_day(int64_t t, char *out, size_t n) {
    char buf[40];
    jc_fmt_local(t, buf, sizeof buf);
    snprintf(out, n, "%.10s", buf);
}

/* ---- loading the world --------------------------------------------------------- */

/* Splits one CSV line (with "quoted" cells) in place; returns the count. */
static int csv_split(char *line, char **f, int max) {
    int n = 0;
    char *p = line;
    while (n < max) {
        char *w = p;
        f[n++] = w;
        if (*p == '"') {
            p++;
            for (;;) {
                if (!*p) break;
                if (*p == '"' && p[1] == '"') { *w++ = '"'; p += 2; continue; }
                if (*p == '"') { p++; break; }
                *w++ = *p++;
            }
            while (*p && *p != ',' && *p != '\n' && *p != '\r') p++;
        } else {
            while (*p && *p != ',' && *p != '\n' && *p != '\r') *w++ = *p++;
        }
        char c = *p;
        *w = 0;
        if (c != ',') break;
        p++;
    }
    return n;
}

static int find_cat_by_name(sim *S, const char *name) {
    for (int i = 0; i < S->ncats; i++)
        if (!strcmp(S->cats[i].name, name)) return i;
    return -1;
}
static int find_cat(sim *S, const char *code) {
    for (int i = 0; i < S->ncats; i++)
        if (!strcmp(S->cats[i].code, code)) return i;
    return -1;
}

static int load_data(sim *S) {
    char path[600], line[4096], *f[12];
    snprintf(path, sizeof path, "%s/categories.csv", S->data_dir);
    FILE *fp = fopen(path, "r");
    if (!fp) return fprintf(stderr, "jiceng simulate: cannot read %s\n", path), -1;
    if (!fgets(line, sizeof line, fp)) line[0] = 0;
    while (fgets(line, sizeof line, fp) && S->ncats < (int)JC_ARRAY_LEN(S->cats)) {
        if (csv_split(line, f, 12) < 6) continue;
        cat_t *c = &S->cats[S->ncats++];
        snprintf(c->code, sizeof c->code, "%s", f[0]);
        snprintf(c->name, sizeof c->name, "%s", f[1]);
        snprintf(c->dept, sizeof c->dept, "%s", f[4]);
        snprintf(c->co, sizeof c->co, "%s", f[5]);
        char *bar = strchr(c->co, '|');
        if (bar) *bar = 0;
    }
    fclose(fp);
    snprintf(path, sizeof path, "%s/seed_texts.csv", S->data_dir);
    fp = fopen(path, "r");
    if (!fp) return fprintf(stderr, "jiceng simulate: cannot read %s\n", path), -1;
    if (!fgets(line, sizeof line, fp)) line[0] = 0;
    int cap = 0;
    while (fgets(line, sizeof line, fp)) {
        if (csv_split(line, f, 3) < 3) continue;
        int c = find_cat_by_name(S, f[0]);
        if (c < 0) continue;
        if (S->ntexts == cap) {
            cap = cap ? cap * 2 : 512;
            text_t *n = realloc(S->texts, (size_t)cap * sizeof *n);
            if (!n) return fclose(fp), -1;
            S->texts = n;
        }
        /* texts of one category are contiguous in the file; keep the first run */
        if (S->cats[c].ntexts == 0) S->cats[c].text0 = S->ntexts;
        else if (S->cats[c].text0 + S->cats[c].ntexts != S->ntexts) continue;
        S->cats[c].ntexts++;
        snprintf(S->texts[S->ntexts].title, sizeof S->texts[0].title, "%s", f[1]);
        snprintf(S->texts[S->ntexts].text, sizeof S->texts[0].text, "%s", f[2]);
        S->ntexts++;
    }
    fclose(fp);
    return S->ntexts ? 0 : -1;
}

static int login_on(hclient *h, const char *name, user_t *u) {
    json_t *ans = NULL;
    int st = http_json(h, "POST", "/api/v1/session", NULL,
                       json_pack("{s:s,s:s}", "name", name, "password", "jiceng-demo"), &ans);
    const char *tok = json_string_value(json_object_get(ans, "token"));
    const char *area = json_string_value(json_object_get(json_object_get(ans, "user"), "area"));
    if (st != 200 || !tok) {
        fprintf(stderr, "jiceng simulate: cannot log in as %s (status %d)\n", name, st);
        json_decref(ans);
        return -1;
    }
    snprintf(u->name, sizeof u->name, "%s", name);
    snprintf(u->token, sizeof u->token, "%s", tok);
    snprintf(u->area, sizeof u->area, "%s", area ? area : "");
    json_decref(ans);
    return 0;
}

/* Logs in every demo user at once over a few connections (each login is a
 * password hash on the server's worker pool: seconds one after another). */
typedef struct {
    hclient h;
    const char *const *names;
    user_t **out;
    int first, step, n, failed;
} login_job;

static void *login_run(void *arg) {
    login_job *j = arg;
    for (int i = j->first; i < j->n; i += j->step)
        if (login_on(&j->h, j->names[i], j->out[i])) j->failed++;
    hc_close(&j->h);
    return NULL;
}

static int login_all(sim *S, const char *const *names, user_t **out, int n) {
    enum { K = 4 };
    login_job jobs[K];
    pthread_t th[K];
    int started = 0, failed = 0;
    for (int t = 0; t < K; t++) {
        jobs[t] = (login_job){.h = S->h, .names = names, .out = out, .first = t, .step = K, .n = n};
        jobs[t].h.fd = -1;
        if (pthread_create(&th[t], NULL, login_run, &jobs[t]) == 0) started++;
        else login_run(&jobs[t]);
    }
    for (int t = 0; t < K; t++) {
        if (t < started) pthread_join(th[t], NULL);
        failed += jobs[t].failed;
        S->h.calls += jobs[t].h.calls;
    }
    return failed ? -1 : 0;
}

static int load_world(sim *S) {
    json_t *ans = NULL;
    if (http_call(&S->h, "GET", "/api/v1/areas", NULL, NULL, &ans) != 200) return json_decref(ans), -1;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(ans, "areas"), i, a) {
        const char *lvl = json_string_value(json_object_get(a, "level"));
        const char *code = json_string_value(json_object_get(a, "code"));
        json_t *geo = json_object_get(a, "geometry");
        if (!lvl || !code || strcmp(lvl, "grid") || !geo || S->ngrids >= (int)JC_ARRAY_LEN(S->grids)) continue;
        grid_t *g = &S->grids[S->ngrids];
        g->w = g->s = 1e9;
        g->e = g->n = -1e9;
        base_bbox_extend(json_object_get(geo, "coordinates"), &g->w, &g->s, &g->e, &g->n);
        if (g->w > g->e) continue;
        snprintf(g->code, sizeof g->code, "%s", code);
        snprintf(g->comm, sizeof g->comm, "%.12s", code);
        S->ngrids++;
    }
    json_decref(ans);
    if (!S->ngrids) return fprintf(stderr, "jiceng simulate: the server has no grids (run jiceng demo)\n"), -1;
    if (http_call(&S->h, "GET", "/api/v1/depts", NULL, NULL, &ans) != 200) return json_decref(ans), -1;
    /* the departments' staff (dept_<code>) and the other demo users, logged in together */
    static char dnames[64][48];
    static user_t dusers[64];
    const char *names[64 + 11];
    user_t *outs[64 + 11];
    int n = 0, nd = 0;
    json_array_foreach(json_object_get(ans, "depts"), i, a) {
        if (nd >= (int)JC_ARRAY_LEN(S->depts)) break;
        dept_t *d = &S->depts[nd];
        d->id = json_integer_value(json_object_get(a, "id"));
        snprintf(d->code, sizeof d->code, "%s", json_string_value(json_object_get(a, "code")));
        snprintf(dnames[nd], sizeof dnames[nd], "dept_%s", d->code);
        memset(&dusers[nd], 0, sizeof dusers[nd]);
        names[n] = dnames[nd], outs[n++] = &dusers[nd];
        nd++;
    }
    json_decref(ans);
    static const char *const who[] = {"dispatcher", "supervisor", "admin", "resident1", "resident2", "worker1",
                                      "worker2", "worker3", "community1", "community2", "community3"};
    user_t *where[] = {&S->dispatcher, &S->supervisor, &S->admin, &S->residents[0], &S->residents[1], &S->workers[0],
                       &S->workers[1], &S->workers[2], &S->community[0], &S->community[1], &S->community[2]};
    for (size_t k = 0; k < JC_ARRAY_LEN(who); k++) names[n] = who[k], outs[n++] = where[k];
    login_all(S, names, outs, n);
    /* a department whose staff could not log in takes no cases; the others must */
    for (int k = 0; k < nd; k++)
        if (dusers[k].token[0]) {
            S->depts[S->ndepts] = S->depts[k];
            snprintf(S->depts[S->ndepts].token, sizeof S->depts[0].token, "%s", dusers[k].token);
            S->ndepts++;
        }
    for (size_t k = 0; k < JC_ARRAY_LEN(who); k++)
        if (!where[k]->token[0]) return -1;
    return 0;
}

static const dept_t *dept_by_id(sim *S, int64_t id) {
    for (int i = 0; i < S->ndepts; i++)
        if (S->depts[i].id == id) return &S->depts[i];
    return NULL;
}
static const dept_t *dept_by_code(sim *S, const char *code) {
    for (int i = 0; i < S->ndepts; i++)
        if (!strcmp(S->depts[i].code, code)) return &S->depts[i];
    return NULL;
}
static int grid_index(sim *S, const char *code) {
    for (int i = 0; i < S->ngrids; i++)
        if (!strcmp(S->grids[i].code, code)) return i;
    return -1;
}

/* ---- cases -------------------------------------------------------------------- */

static int state_of(const char *s) {
    for (int i = 0; s && i < (int)JC_ARRAY_LEN(state_names); i++)
        if (!strcmp(s, state_names[i])) return i;
    return SS_OTHER;
}

static int case_find(sim *S, int64_t id) {
    for (int i = S->ncases - 1; i >= 0; i--)
        if (S->cases[i].id == id) return i;
    return -1;
}

/* Starts following a case; plans its behaviour from its own random stream. */
static int case_track(sim *S, json_t *k, int cat, int reporter) {
    if (S->ncases == S->capcases) {
        int cap = S->capcases ? S->capcases * 2 : 256;
        sim_case *n = realloc(S->cases, (size_t)cap * sizeof *n);
        if (!n) return -1;
        S->cases = n;
        S->capcases = cap;
    }
    sim_case *c = &S->cases[S->ncases];
    memset(c, 0, sizeof *c);
    c->id = json_integer_value(json_object_get(k, "id"));
    c->state = state_of(json_string_value(json_object_get(k, "state")));
    c->dept_id = json_integer_value(json_object_get(k, "dept_id"));
    snprintf(c->area, sizeof c->area, "%s", json_string_value(json_object_get(k, "area")) ?: "");
    snprintf(c->source, sizeof c->source, "%s", json_string_value(json_object_get(k, "source")) ?: "");
    c->cat = cat >= 0 ? cat : find_cat(S, json_string_value(json_object_get(k, "category")) ?: "");
    c->reporter = reporter;
    c->r = rng_seed(S->seed, (uint64_t)c->id * 7919u);
    double u = rng_unit(&c->r);
    c->late = u < 0.12;
    c->ret = !c->late && rng_unit(&c->r) < 0.08;
    c->uphold = rng_unit(&c->r) < 0.5;
    c->rework = rng_unit(&c->r) < 0.10;
    c->slow = rng_unit(&c->r) < 0.08;
    if (!strcmp(c->source, "web")) S->by_source[0]++;
    else if (!strcmp(c->source, "patrol")) S->by_source[1]++;
    else if (!strcmp(c->source, "sensor")) S->by_source[2]++;
    else S->by_source[3]++;
    return S->ncases++;
}

/* The token of whoever verifies a case in its area. */
static const char *verifier(sim *S, const sim_case *c) {
    for (int k = 0; k < 3; k++)
        if (S->workers[k].area[0] && !strncmp(c->area, S->workers[k].area, strlen(S->workers[k].area)))
            return S->workers[k].token;
    for (int k = 0; k < 3; k++)
        if (S->community[k].area[0] && !strncmp(c->area, S->community[k].area, strlen(S->community[k].area)))
            return S->community[k].token;
    return S->dispatcher.token;
}

/* Schedules the next step of a case after it reached its current state at t. */
static void case_plan(sim *S, int idx, int64_t t) {
    sim_case *c = &S->cases[idx];
    rng *r = &c->r;
    int64_t at;
    switch (c->state) {
    case SS_REPORTED: at = t + rng_range(r, 10 * MIN_MS, 60 * MIN_MS); break;
    case SS_REGISTERED: at = t + rng_range(r, 20 * MIN_MS, 90 * MIN_MS); break;
    case SS_RETURNED: at = t + rng_range(r, 30 * MIN_MS, 150 * MIN_MS); break;
    case SS_DISPATCHED:
        if (c->late && !c->escalated) {
            at = at_work(t + rng_range(r, 30 * HOUR_MS, 60 * HOUR_MS), 9 * 60, 17 * 60, 1, r);
            ev_push(S, t + 26 * HOUR_MS, EV_ESCALATE, idx, 0);
        } else {
            at = at_work(t + rng_range(r, 15 * MIN_MS, 150 * MIN_MS), 9 * 60, 17 * 60 + 30, 1, r);
        }
        break;
    case SS_ACCEPTED: at = at_work(t + rng_range(r, 30 * MIN_MS, 4 * HOUR_MS), 9 * 60, 17 * 60 + 30, 1, r); break;
    case SS_HANDLING:
        at = t + (c->slow ? rng_range(r, 3 * DAY_MS, 5 * DAY_MS) : rng_range(r, 2 * HOUR_MS, 28 * HOUR_MS));
        if (c->whistle) at = t + 2 * DAY_MS;
        at = at_work(at, 9 * 60, 17 * 60 + 30, 1, r);
        break;
    case SS_FEEDBACK: at = at_work(t + rng_range(r, 1 * HOUR_MS, 8 * HOUR_MS), 8 * 60, 20 * 60, 0, r); break;
    case SS_VERIFIED: at = t + rng_range(r, 15 * MIN_MS, 90 * MIN_MS); break;
    case SS_CLOSED:
        if (c->reporter < 0 || rng_unit(r) > 0.85) { c->done = 1; return; }
        at = at_work(t + rng_range(r, 2 * HOUR_MS, 30 * HOUR_MS), 8 * 60, 22 * 60, 0, r);
        break;
    default: c->done = 1; return;
    }
    ev_push(S, at, EV_CASE, idx, 0);
}

/* Performs one action and reads back the state; 1 when the state changed. */
static int case_do(sim *S, int idx, const char *token, const char *action, json_t *body, long *counter) {
    sim_case *c = &S->cases[idx];
    char path[96];
    snprintf(path, sizeof path, "/api/v1/cases/%lld/%s", (long long)c->id, action);
    json_t *ans = NULL;
    int st = http_json(&S->h, "POST", path, token, body ? body : json_object(), &ans);
    if (st == 200) {
        c->state = state_of(json_string_value(json_object_get(ans, "state")));
        json_t *d = json_object_get(ans, "dept_id");
        if (json_is_integer(d)) c->dept_id = json_integer_value(d);
        if (counter) (*counter)++;
        json_decref(ans);
        return 1;
    }
    S->n_fail++;
    if (!S->quiet && st != 409)
        fprintf(stderr, "simulate: case %lld %s: %d %s\n", (long long)c->id, action, st,
                json_string_value(json_object_get(json_object_get(ans, "error"), "message")) ?: "");
    json_decref(ans);
    /* refresh: someone (the server's timers, a merge) may have moved it */
    snprintf(path, sizeof path, "/api/v1/cases/%lld", (long long)c->id);
    if (http_call(&S->h, "GET", path, S->dispatcher.token, NULL, &ans) == 200)
        c->state = state_of(json_string_value(json_object_get(ans, "state")));
    json_decref(ans);
    return 0;
}

static const char *const handle_notes[] = {"已到现场处置", "已联系责任人整改", "已安排人员清理", "已现场核实并处理",
                                           "已完成维修"};
static const char *const return_reasons[] = {"不属于本部门职责，请按清单重新派遣", "地址不在本部门辖区",
                                             "属于物业管理范围，建议转物业"};

static void case_step(sim *S, int idx) {
    sim_case *c = &S->cases[idx];
    if (c->done) return;
    int64_t now = jc_now_ms();
    const dept_t *d = dept_by_id(S, c->dept_id);
    const char *dept_tok = d ? d->token : NULL;
    int ok = 0;
    switch (c->state) {
    case SS_REPORTED:
        ok = case_do(S, idx, S->dispatcher.token, "register", NULL, &S->n_register);
        if (ok && c->state == SS_DISPATCHED) S->n_dispatch++, c->dispatched_at = now;
        break;
    case SS_REGISTERED: {
        const cat_t *k = c->cat >= 0 ? &S->cats[c->cat] : NULL;
        const dept_t *to = NULL;
        if (c->returned_once && k && k->co[0]) to = dept_by_code(S, k->co);
        if (!to && k && k->dept[0]) to = dept_by_code(S, k->dept);
        if (!to) to = dept_by_code(S, "wuye");
        if (!to) break;
        ok = case_do(S, idx, S->dispatcher.token, "dispatch", json_pack("{s:I}", "dept_id", (json_int_t)to->id),
                     &S->n_dispatch);
        c->dispatched_at = now;
        break;
    }
    case SS_DISPATCHED:
        if (!dept_tok) break;
        if (c->ret && !c->returned_once) {
            c->returned_once = 1;
            ok = case_do(S, idx, dept_tok, "return",
                         json_pack("{s:s}", "reason", return_reasons[rng_int(&c->r, 3)]), &S->n_return);
        } else {
            ok = case_do(S, idx, dept_tok, "accept", NULL, &S->n_accept);
            if (ok && c->whistle) ev_push(S, now + 30 * MIN_MS, EV_WHISTLE, idx, 0);
        }
        break;
    case SS_RETURNED:
        if (c->uphold) ok = case_do(S, idx, S->dispatcher.token, "uphold", json_pack("{s:s}", "note", "退单理由成立，改派"),
                                    &S->n_uphold);
        else ok = case_do(S, idx, S->dispatcher.token, "reject",
                          json_pack("{s:s}", "reason", "依权责清单仍由原部门负责"), &S->n_reject);
        break;
    case SS_ACCEPTED:
        ok = case_do(S, idx, dept_tok, "handle", json_pack("{s:s}", "note", handle_notes[rng_int(&c->r, 5)]),
                     &S->n_handle);
        break;
    case SS_HANDLING:
        ok = case_do(S, idx, dept_tok, "feedback", json_pack("{s:s}", "note", "处置完毕，现场已恢复"), &S->n_feedback);
        break;
    case SS_FEEDBACK:
        if (c->rework && !c->reworked_once) {
            c->reworked_once = 1;
            ok = case_do(S, idx, verifier(S, c), "rework", json_pack("{s:s}", "reason", "现场核查未整改到位"),
                         &S->n_rework);
        } else {
            ok = case_do(S, idx, verifier(S, c), "verify", json_pack("{s:s}", "note", "现场核查属实，已解决"),
                         &S->n_verify);
        }
        break;
    case SS_VERIFIED: ok = case_do(S, idx, S->dispatcher.token, "close", NULL, &S->n_close); break;
    case SS_CLOSED: {
        double u = rng_unit(&c->r);
        int k = u < 0.75 ? 0 : u < 0.93 ? 1 : 2;
        static const char *const ratings[] = {"satisfied", "basic", "unsatisfied"};
        ok = case_do(S, idx, S->residents[c->reporter].token, "rate", json_pack("{s:s}", "rating", ratings[k]),
                     &S->n_rate);
        if (ok) S->rating[k]++;
        break;
    }
    default: c->done = 1; return;
    }
    if (ok) {
        c->retries = 0;
        case_plan(S, idx, now);
    } else if (++c->retries < 12 && c->state != SS_OTHER) {
        ev_push(S, now + rng_range(&c->r, 1 * HOUR_MS, 3 * HOUR_MS), EV_CASE, idx, 0);
    } else {
        c->done = 1;
    }
}

/* ---- reports -------------------------------------------------------------------- */

static void point_in(sim *S, int g, rng *r, double *lon, double *lat) {
    const grid_t *G = &S->grids[g];
    double mw = (G->e - G->w) * 0.08, mh = (G->n - G->s) * 0.08;
    *lon = G->w + mw + rng_unit(r) * (G->e - G->w - 2 * mw);
    *lat = G->s + mh + rng_unit(r) * (G->n - G->s - 2 * mh);
}

static void do_report(sim *S, int pi) {
    pending *p = &S->pend[pi];
    const text_t *t = &S->texts[S->cats[p->cat].text0 + p->text];
    const user_t *u = p->patrol_worker >= 0 ? &S->workers[p->patrol_worker] : &S->residents[p->reporter];
    json_t *b = json_pack("{s:s,s:s,s:s,s:f,s:f}", "title", t->title, "body", t->text, "category",
                          S->cats[p->cat].code, "lon", p->lon, "lat", p->lat);
    if (p->patrol_worker >= 0) json_object_set_new(b, "area", json_string(u->area));
    json_t *ans = NULL;
    int st = http_json(&S->h, "POST", "/api/v1/cases", u->token, b, &ans);
    if (st != 201) {
        S->n_fail++;
        if (!S->quiet)
            fprintf(stderr, "simulate: report failed: %d %s\n", st,
                    json_string_value(json_object_get(json_object_get(ans, "error"), "message")) ?: "");
        json_decref(ans);
        return;
    }
    int idx = case_track(S, ans, p->cat, p->patrol_worker >= 0 ? -1 : p->reporter);
    json_decref(ans);
    if (idx < 0) return;
    if (p->patrol_worker >= 0) S->day_patrol++;
    else S->day_reports++;
    if (p->text < 0) S->cases[idx].whistle = 1;
    case_plan(S, idx, jc_now_ms());
}

static int add_pending(sim *S, pending p) {
    if (S->npend == S->cappend) {
        int cap = S->cappend ? S->cappend * 2 : 256;
        pending *n = realloc(S->pend, (size_t)cap * sizeof *n);
        if (!n) return -1;
        S->pend = n;
        S->cappend = cap;
    }
    S->pend[S->npend] = p;
    return S->npend++;
}

/* ---- sensors ---------------------------------------------------------------------- */

static void add_device(sim *S, const char *id, const char *type, int g, rng *r) {
    if (S->ndevs >= (int)JC_ARRAY_LEN(S->devs) || g < 0) return;
    device *d = &S->devs[S->ndevs++];
    memset(d, 0, sizeof *d);
    snprintf(d->id, sizeof d->id, "%s", id);
    snprintf(d->type, sizeof d->type, "%s", type);
    memcpy(d->grid, S->grids[g].code, sizeof d->grid);
    point_in(S, g, r, &d->lon, &d->lat);
}

static int device_index(sim *S, const char *type, int nth) {
    for (int i = 0; i < S->ndevs; i++)
        if (!strcmp(S->devs[i].type, type) && nth-- == 0) return i;
    return -1;
}

typedef struct {
    sim *S;
    rng *r;
} elders_arg;

static int add_elder(int64_t person_id, const char *grid, void *arg) {
    elders_arg *a = arg;
    char id[48];
    snprintf(id, sizeof id, "mc-P%06lld", (long long)person_id);
    add_device(a->S, id, "door_contact", grid_index(a->S, grid), a->r);
    return 0;
}

/* Elders living alone from the base data (module base), when present. */
static void load_elders(sim *S, rng *r) {
    if (!S->db) return;
    jc_store *st = NULL;
    jc_conn *c = NULL;
    if (store_open(S->db, &st) || store_conn_open(st, &c)) {
        store_close(st);
        return;
    }
    elders_arg a = {S, r};
    if (base_alone_elders(c, 200, add_elder, &a)) jc_log(JC_LOG_DEBUG, "simulate: no elders living alone read (no base data)");
    store_conn_close(c);
    store_close(st);
}

/* One of the connections registering devices (setup_devices). */
#define REG_THREADS 6
typedef struct {
    sim *S;
    hclient h;
    int first, step, nlabels, made, bad;
    const char *const (*labels)[2], *const (*depts)[2];
} reg_job;

static void *reg_run(void *arg) {
    reg_job *j = arg;
    sim *S = j->S;
    for (int i = j->first; i < S->ndevs; i += j->step) {
        device *d = &S->devs[i];
        const char *label = "", *dept = "";
        for (int k = 0; k < j->nlabels; k++)
            if (!strcmp(j->labels[k][0], d->type)) label = j->labels[k][1], dept = j->depts[k][1];
        json_t *b = json_pack("{s:s,s:s,s:s,s:f,s:f,s:s,s:s,s:i}", "id", d->id, "type", d->type, "grid", d->grid,
                              "lon", d->lon, "lat", d->lat, "label", label, "dept", dept, "heartbeat_s", 21600);
        if (!strcmp(d->type, "door_contact")) {
            char ref[32];
            snprintf(ref, sizeof ref, "elder-%d", i + 1); /* a reference, never an ID number */
            json_object_set_new(b, "person_ref", json_string(ref));
            json_object_set_new(b, "person_label", json_string("独居老人（虚构）"));
        }
        json_t *ans = NULL;
        int st = http_json(&j->h, "POST", "/api/v1/devices", S->admin.token, b, &ans);
        if (st == 201 || st == 200) j->made++;
        else if (st != 409) {
            j->bad++;
            if (!S->quiet)
                fprintf(stderr, "simulate: device %s: %d %s\n", d->id, st,
                        json_string_value(json_object_get(json_object_get(ans, "error"), "message")) ?: "");
        }
        json_decref(ans);
    }
    return NULL;
}

static int setup_devices(sim *S) {
    rng r = rng_seed(S->seed, 0xD0D0);
    load_elders(S, &r);
    if (device_index(S, "door_contact", 0) < 0) /* no base data: two per community */
        for (int g = 0; g < S->ngrids; g += 2) {
            char id[48];
            snprintf(id, sizeof id, "mc-%s", S->grids[g].code);
            add_device(S, id, "door_contact", g, &r);
        }
    for (int g = 0, k = 0; g < S->ngrids; g += 4, k++) { /* per community (4 grids each) */
        char id[48];
        const char *comm = S->grids[g].comm;
        snprintf(id, sizeof id, "smk-%s", comm);
        add_device(S, id, "smoke", g + rng_int(&r, 4) < S->ngrids ? g + rng_int(&r, 4) : g, &r);
        snprintf(id, sizeof id, "ebk-%s", comm);
        add_device(S, id, "ebike_charging", g, &r);
        if (k % 2 == 0) {
            snprintf(id, sizeof id, "mh-%s", comm);
            add_device(S, id, "manhole_tilt", g + 1 < S->ngrids ? g + 1 : g, &r);
        }
        if (k % 3 == 0) {
            snprintf(id, sizeof id, "zs-%s", comm);
            add_device(S, id, "noise", g, &r);
        }
        if (k % 4 == 1) {
            snprintf(id, sizeof id, "gas-%s", comm);
            add_device(S, id, "gas", g, &r);
        }
    }
    add_device(S, "wl-xc-1", "water_level", 0, &r);
    add_device(S, "wl-xc-2", "water_level", S->ngrids > 6 ? 6 : S->ngrids - 1, &r);
    S->door_victim = device_index(S, "door_contact", 1);
    if (S->door_victim < 0) S->door_victim = device_index(S, "door_contact", 0);
    static const char *const labels[][2] = {{"smoke", "楼道烟感"}, {"ebike_charging", "电动车集中充电桩"},
                                            {"manhole_tilt", "井盖倾斜传感器"}, {"noise", "噪声监测点"},
                                            {"gas", "可燃气体探测器"}, {"water_level", "下穿地道积水监测"},
                                            {"door_contact", "独居老人门磁"}};
    static const char *const depts[][2] = {{"smoke", "xiaofang"}, {"ebike_charging", "xiaofang"},
                                           {"manhole_tilt", "zhujian"}, {"noise", "shengtai"},
                                           {"gas", "ranqi"}, {"water_level", "shuiwu"},
                                           {"door_contact", "minzheng"}};
    /* registered over a few connections at once: the server's writer then
     * commits them in groups (one after another, each waited for its own
     * flush to disk: ~13 s on the busy development machine) */
    reg_job jobs[REG_THREADS];
    pthread_t th[REG_THREADS];
    int nth = 0;
    for (int t = 0; t < REG_THREADS; t++) {
        jobs[t] = (reg_job){.S = S, .first = t, .step = REG_THREADS, .labels = labels, .depts = depts,
                            .nlabels = (int)JC_ARRAY_LEN(labels)};
        jobs[t].h = S->h;
        jobs[t].h.fd = -1;
        jobs[t].h.calls = jobs[t].h.errors = 0;
        if (pthread_create(&th[t], NULL, reg_run, &jobs[t]) == 0) nth = t + 1;
        else break;
    }
    if (nth < REG_THREADS) /* could not start them all: the rest here */
        for (int t = nth; t < REG_THREADS; t++) reg_run(&jobs[t]);
    int made = 0, bad = 0;
    for (int t = 0; t < REG_THREADS; t++) {
        if (t < nth) pthread_join(th[t], NULL);
        made += jobs[t].made;
        bad += jobs[t].bad;
        S->h.calls += jobs[t].h.calls;
        S->h.errors += jobs[t].h.errors;
        hc_close(&jobs[t].h);
    }
    if (bad) fprintf(stderr, "simulate: %d devices could not be registered\n", bad);
    /* the demo's "door not opened for 14 hours" rule for one elder */
    if (S->door_victim >= 0) {
        json_t *ans = NULL;
        int have = 0;
        char q[128];
        snprintf(q, sizeof q, "/api/v1/alarm-rules?device=%s", S->devs[S->door_victim].id);
        if (http_call(&S->h, "GET", q, S->admin.token, NULL, &ans) == 200) {
            size_t i;
            json_t *v;
            json_array_foreach(json_object_get(ans, "rules"), i, v) {
                const char *dv = json_string_value(json_object_get(v, "device"));
                if (dv && !strcmp(dv, S->devs[S->door_victim].id)) have = 1;
            }
        }
        json_decref(ans);
        if (!have) {
            int st = http_json(&S->h, "POST", "/api/v1/alarm-rules", S->admin.token,
                               json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s}", "type", "door_contact", "device",
                                         S->devs[S->door_victim].id, "metric", "door", "kind", "inactivity",
                                         "duration_s", 14 * 3600, "from", "06:00", "to", "23:00", "severity",
                                         "major", "name", "独居老人门磁14小时未开"),
                               &ans);
            json_decref(ans);
            if (st != 201 && st != 200) fprintf(stderr, "simulate: door rule not added (%d)\n", st);
        }
    }
    return made;
}

/* Sends the batch of readings for the hour (heartbeats, door openings). */
static void send_readings(sim *S, int day, int hour) {
    int64_t now = jc_now_ms();
    rng r = rng_seed(S->seed ^ 0x5E45, (uint64_t)(day * 24 + hour));
    int fault_door_day = (int)(S->days * 0.45);
    json_t *arr = json_array();
    for (int i = 0; i < S->ndevs; i++) {
        device *d = &S->devs[i];
        json_t *v = json_pack("{s:i}", "battery", 98 - day / 3 - (i % 7));
        if (!strcmp(d->type, "smoke")) {
            json_object_set_new(v, "smoke", json_integer(0));
            json_object_set_new(v, "temperature", json_real(18 + rng_unit(&r) * 6));
        } else if (!strcmp(d->type, "door_contact")) {
            int open = hour == 8 || hour == 12 || hour == 20;
            if (i == S->door_victim && day == fault_door_day) open = 0;
            if (i == S->door_victim && day == fault_door_day + 1 && hour == 8) open = 0;
            if (open) json_object_set_new(v, "door", json_integer(1));
        } else if (!strcmp(d->type, "water_level")) {
            json_object_set_new(v, "level", json_real(rng_unit(&r) * 3));
        } else if (!strcmp(d->type, "manhole_tilt")) {
            json_object_set_new(v, "tilt", json_real(rng_unit(&r) * 2));
        } else if (!strcmp(d->type, "ebike_charging")) {
            json_object_set_new(v, "current", json_real(hour >= 20 || hour < 6 ? 3 + rng_unit(&r) * 4 : rng_unit(&r)));
        } else if (!strcmp(d->type, "noise")) {
            json_object_set_new(v, "db", json_real(hour >= 8 && hour < 22 ? 50 + rng_unit(&r) * 12 : 38 + rng_unit(&r) * 8));
        } else if (!strcmp(d->type, "gas")) {
            json_object_set_new(v, "gas", json_real(rng_unit(&r) * 2));
        }
        json_array_append_new(arr, json_pack("{s:s,s:I,s:o}", "device", d->id, "ts", (json_int_t)now, "values", v));
        if (json_array_size(arr) == 1000 || i == S->ndevs - 1) {
            json_t *ans = NULL;
            int st = http_json(&S->h, "POST", "/api/v1/readings", S->admin.token, json_pack("{s:o}", "readings", arr),
                               &ans);
            if (st == 200) S->n_readings += (long)json_integer_value(json_object_get(ans, "accepted"));
            else S->n_fail++;
            json_decref(ans);
            arr = json_array();
        }
    }
    json_decref(arr);
}

static void reading(sim *S, int dev, const char *metric, double value, const char *metric2, double v2) {
    if (dev < 0) return;
    json_t *v = json_pack("{s:f}", metric, value);
    if (metric2) json_object_set_new(v, metric2, json_real(v2));
    json_t *ans = NULL;
    int st = http_json(&S->h, "POST", "/api/v1/readings", S->admin.token,
                       json_pack("{s:s,s:I,s:o}", "device", S->devs[dev].id, "ts", (json_int_t)jc_now_ms(), "values", v),
                       &ans);
    if (st == 200) S->n_readings++;
    else S->n_fail++;
    json_decref(ans);
}

static void do_fault(sim *S, int kind, int step) {
    int64_t now = jc_now_ms();
    switch (kind) {
    case F_SMOKE: /* a kitchen fire on a stairway: alarm, then clear */
        if (step == 0) reading(S, device_index(S, "smoke", 1), "smoke", 1, "temperature", 63);
        else reading(S, device_index(S, "smoke", 1), "smoke", 0, "temperature", 26);
        if (step == 0) ev_push(S, now + 20 * MIN_MS, EV_FAULT, kind, 1);
        break;
    case F_RAIN: { /* a summer storm fills both underpasses, then drains */
        static const double lv[] = {2, 6, 12, 19, 27, 34, 41, 38, 30, 22, 14, 8, 3};
        reading(S, device_index(S, "water_level", 0), "level", lv[step], NULL, 0);
        reading(S, device_index(S, "water_level", 1), "level", lv[step] * 0.8, NULL, 0);
        if (step + 1 < (int)JC_ARRAY_LEN(lv)) ev_push(S, now + 15 * MIN_MS, EV_FAULT, kind, step + 1);
        break;
    }
    case F_DOOR: /* the elder opens the door once at 07:00, then not for 14 hours */
        reading(S, S->door_victim, "door", 1, NULL, 0);
        break;
    case F_MANHOLE:
        reading(S, device_index(S, "manhole_tilt", 1), "tilt", step == 0 ? 24 : 1, NULL, 0);
        if (step == 0) ev_push(S, now + 6 * HOUR_MS, EV_FAULT, kind, 1);
        break;
    case F_EBIKE:
        reading(S, device_index(S, "ebike_charging", 2), "current", step == 0 ? 14.5 : 3, "temperature",
                step == 0 ? 71 : 30);
        if (step == 0) ev_push(S, now + 15 * MIN_MS, EV_FAULT, kind, 1);
        break;
    }
}

/* ---- whistle (吹哨报到) ------------------------------------------------------------ */

static void whistle_raise(sim *S, int idx) {
    static const char *const who[] = {"zhujian", "xiaofang", "gongdian"};
    json_t *ids = json_array();
    S->wh.nmembers = 0;
    for (int i = 0; i < 3; i++) {
        const dept_t *d = dept_by_code(S, who[i]);
        if (!d || d->id == S->cases[idx].dept_id) continue;
        json_array_append_new(ids, json_integer(d->id));
        S->wh.member_dept[S->wh.nmembers++] = d->id;
    }
    char path[96];
    snprintf(path, sizeof path, "/api/v1/cases/%lld/whistle", (long long)S->cases[idx].id);
    json_t *ans = NULL;
    int st = http_json(&S->h, "POST", path, S->dispatcher.token,
                       json_pack("{s:o,s:i,s:s}", "dept_ids", ids, "checkin_minutes", 60, "note",
                                 "楼顶违建私拉电线，存在消防和结构安全隐患，吹哨住建、消防、供电联合执法"),
                       &ans);
    if (st != 201) {
        S->n_fail++;
        fprintf(stderr, "simulate: whistle failed: %d\n", st);
        json_decref(ans);
        return;
    }
    S->wh.whistle_id = json_integer_value(json_object_get(ans, "whistle_id"));
    S->wh.case_id = S->cases[idx].id;
    json_decref(ans);
    S->n_whistle++;
    int64_t now = jc_now_ms();
    rng r = rng_seed(S->seed, 0x3415);
    for (int m = 0; m < S->wh.nmembers; m++) {
        int64_t checkin = m == S->wh.nmembers - 1 ? now + 3 * HOUR_MS : now + rng_range(&r, 10, 45) * MIN_MS;
        ev_push(S, checkin, EV_MEMBER, m, 0);
        int64_t finish = at_work(now + rng_range(&r, 20 * HOUR_MS, 40 * HOUR_MS), 9 * 60, 17 * 60, 1, &r);
        ev_push(S, finish, EV_MEMBER, m, 1);
        ev_push(S, finish + 2 * HOUR_MS, EV_MEMBER, m, 2);
    }
}

static void whistle_member(sim *S, int m, int what) {
    const dept_t *d = dept_by_id(S, S->wh.member_dept[m]);
    if (!d || !S->wh.whistle_id) return;
    char path[96];
    static const char *const act[] = {"checkin", "finish", "rate"};
    snprintf(path, sizeof path, "/api/v1/whistles/%lld/%s", (long long)S->wh.whistle_id, act[what]);
    json_t *body = what == 0   ? json_pack("{s:s}", "note", "已到现场报到")
                   : what == 1 ? json_pack("{s:s}", "note", "本部门事项已处置完毕")
                               : json_pack("{s:I,s:i}", "dept_id", (json_int_t)d->id, "rating",
                                           m == S->wh.nmembers - 1 ? 3 : 5);
    json_t *ans = NULL;
    int st = http_json(&S->h, "POST", path, what == 2 ? S->dispatcher.token : d->token, body, &ans);
    json_decref(ans);
    if (st != 200) {
        S->n_fail++;
        fprintf(stderr, "simulate: whistle %s by %s: %d\n", act[what], d->code, st);
        return;
    }
    if (what == 0) S->n_checkin++;
    else if (what == 1) S->n_finish++;
    else S->n_wrate++;
}

/* ---- the dispatcher's sweep: cases the platform opened by itself ---------------- */

/* Picks up the open cases the platform opened itself (sensor alarms): the
 * list comes newest first, so a sweep reads only the cases newer than the
 * newest it saw the time before (one small page, not every open case). */
static void sweep(sim *S) {
    int64_t before = 0, newest = S->sweep_max;
    int seen_old = 0;
    for (int page = 0; page < 20 && !seen_old; page++) {
        char path[128];
        if (before) snprintf(path, sizeof path, "/api/v1/cases?state=open&limit=100&before=%lld", (long long)before);
        else snprintf(path, sizeof path, "/api/v1/cases?state=open&limit=100");
        json_t *ans = NULL;
        if (http_call(&S->h, "GET", path, S->dispatcher.token, NULL, &ans) != 200) {
            json_decref(ans);
            return;
        }
        size_t i;
        json_t *k;
        json_array_foreach(json_object_get(ans, "cases"), i, k) {
            int64_t id = json_integer_value(json_object_get(k, "id"));
            if (id > newest) newest = id;
            if (id <= S->sweep_max) { seen_old = 1; break; }
            if (case_find(S, id) >= 0) continue;
            int idx = case_track(S, k, -1, -1);
            if (idx < 0) continue;
            if (!strcmp(S->cases[idx].source, "sensor")) S->day_sensor++;
            case_plan(S, idx, jc_now_ms());
        }
        json_t *nb = json_object_get(ans, "next_before");
        before = json_is_integer(nb) ? json_integer_value(nb) : 0;
        json_decref(ans);
        if (!before) break;
    }
    S->sweep_max = newest;
}

/* ---- planning a day ------------------------------------------------------------------ */

/* ---- tasks pushed to communities (事项准入, docs/worklist.md) ----------------
 * Departments push tasks down: some on the work list (admitted and done by
 * the communities), some off it or from a department the list does not name
 * (refused with the reason), and data requests the platform answers from its
 * store (never reaching a community); once a month the street lets a refused
 * task through as an exception.  What the burden ledger (减负台账) counts. */
typedef struct { const char *dept, *item, *kind, *title, *fields; } task_kind;
static const task_kind task_kinds[] = {
    /* on the list, sent by a department it names: admitted */
    {"minzheng", "WL-D05", "inspection", "冬季独居老人走访关爱", NULL},
    {"xiaofang", "WL-D11", "task", "楼道堆物清理劝导", NULL},
    {"chengguan", "WL-D10", "task", "垃圾分类桶前值守排班", NULL},
    {"gongan", "WL-A06", "form", "流动人口信息登记", NULL},
    {"shuiwu", "WL-A08", "inspection", "汛期积水隐患点位排查", NULL},
    {"ranqi", "WL-A04", "meeting", "燃气安全入户宣传", NULL},
    /* refused: not on the list, a department the item does not name, no resources */
    {"shichang", "WL-X01", "report", "创建文明城区迎检台账", NULL},
    {"jiaotong", "WL-D05", "report", "共享单车停放情况日报", NULL},
    {"weijian", "WL-R01", "meeting", "健康讲座进社区", NULL},
    {"zhujian", "WL-X02", "form", "楼栋长信息统计表", NULL},
    /* data requests the store answers */
    {"minzheng", "WL-A01", "data_request", "辖区独居老人和人口数统计", "elders_living_alone,population"},
    {"zhujian", "WL-A05", "data_request", "各社区户数和房屋数", "households,houses"},
};

static void push_task(sim *S, int kind) {
    const task_kind *k = &task_kinds[kind % (int)JC_ARRAY_LEN(task_kinds)];
    const dept_t *d = dept_by_code(S, k->dept);
    if (!d) return;
    rng r = rng_seed(S->seed, 5000 + (uint64_t)S->n_task);
    /* the street's communities (from the grids), then two to four of them:
     * always one with a staff account, so that someone marks it done */
    const char *all[64];
    int nall = 0;
    for (int g = 0; g < S->ngrids && nall < 64; g++) {
        int dup = 0;
        for (int j = 0; j < nall; j++) dup |= !strcmp(all[j], S->grids[g].comm);
        if (!dup) all[nall++] = S->grids[g].comm;
    }
    const char *picked[4];
    int np = 0, n = 2 + rng_int(&r, 3);
    picked[np++] = S->community[rng_int(&r, 3)].area;
    for (int tries = 0; np < n && tries < 50 && nall; tries++) {
        const char *c = all[rng_int(&r, nall)];
        int dup = 0;
        for (int j = 0; j < np; j++) dup |= !strcmp(picked[j], c);
        if (!dup) picked[np++] = c;
    }
    json_t *comms = json_array();
    for (int i = 0; i < np; i++) json_array_append_new(comms, json_string(picked[i]));
    json_t *body = json_pack("{s:s,s:s,s:s,s:o}", "title", k->title, "kind", k->kind, "item", k->item, "communities", comms);
    if (k->fields) {
        json_t *f = json_array();
        char buf[96];
        snprintf(buf, sizeof buf, "%s", k->fields);
        for (char *save = NULL, *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save))
            json_array_append_new(f, json_string(p));
        json_object_set_new(body, "fields", f);
    }
    json_t *ans = NULL;
    int st = http_json(&S->h, "POST", "/api/v1/tasks", d->token, body, &ans);
    if (st != 201) {
        S->n_fail++;
        fprintf(stderr, "simulate: task %s by %s: %d\n", k->item, k->dept, st);
        json_decref(ans);
        return;
    }
    S->n_task++;
    int64_t id = json_integer_value(json_object_get(ans, "id"));
    const char *dec = json_string_value(json_object_get(ans, "decision"));
    if (dec && !strcmp(dec, "admitted")) {
        S->n_admitted++;
        /* the communities with staff accounts mark their copy done in one to three days */
        for (int i = 0; i < np; i++)
            for (int c = 0; c < 3; c++)
                if (!strcmp(S->community[c].area, picked[i]) && S->ndone_q < (int)JC_ARRAY_LEN(S->done_q)) {
                    S->done_q[S->ndone_q].task = id;
                    S->done_q[S->ndone_q].comm = c;
                    ev_push(S, jc_now_ms() + (24 + rng_int(&r, 48)) * HOUR_MS, EV_TASKDONE, S->ndone_q++, 0);
                }
    } else if (dec && !strcmp(dec, "refused")) {
        S->n_refused++;
        if (!S->refused_task) S->refused_task = id;
    } else if (dec && !strcmp(dec, "answered_from_store")) {
        S->n_answered++;
    }
    json_decref(ans);
}

static void task_done(sim *S, int q) {
    char path[64];
    snprintf(path, sizeof path, "/api/v1/tasks/%lld/done", (long long)S->done_q[q].task);
    json_t *ans = NULL;
    int st = http_call(&S->h, "POST", path, S->community[S->done_q[q].comm].token, "{}", &ans);
    json_decref(ans);
    if (st == 200) S->n_task_done++;
    else S->n_fail++;
}

static void task_exception(sim *S) {
    if (!S->refused_task) return;
    char path[64];
    snprintf(path, sizeof path, "/api/v1/tasks/%lld/exception", (long long)S->refused_task);
    json_t *ans = NULL;
    int st = http_json(&S->h, "POST", path, S->dispatcher.token,
                       json_pack("{s:s}", "reason", "区里专项检查，街道主任批准，下不为例"), &ans);
    json_decref(ans);
    if (st == 200) S->n_exception++;
    else S->n_fail++;
}

static void plan_day(sim *S, int day) {
    int64_t d0 = S->start + (int64_t)day * DAY_MS; /* the start instant of this simulated day */
    int64_t mid = local_midnight(d0);
    rng r = rng_seed(S->seed, 1000 + (uint64_t)day);
    int wd = local_weekday(d0);
    /* live days (after the replay, in real time) may be busier, for a watcher */
    double live = day >= S->days ? S->live_rate : 1.0;
    double resident_factor = (wd >= 5 ? 1.3 : 1.0) * live, patrol_factor = (wd >= 5 ? 0.4 : 1.0) * live;
    /* residents: Poisson per category, about 11 a weekday over the street */
    for (int c = 0; c < S->ncats; c++) {
        if (!S->cats[c].ntexts) continue;
        int n = rng_poisson(&r, 11.0 / S->ncats * resident_factor * (S->cats[c].dept[0] ? 1.0 : 0.3));
        for (int k = 0; k < n; k++) {
            pending p = {.cat = c, .reporter = rng_int(&r, 2), .text = rng_int(&r, S->cats[c].ntexts),
                         .patrol_worker = -1};
            /* communities with staff accounts are a little busier */
            p.grid = rng_unit(&r) < 0.5 && S->ngrids >= 12 ? rng_int(&r, 12) : rng_int(&r, S->ngrids);
            point_in(S, p.grid, &r, &p.lon, &p.lat);
            /* mostly daytime and evening */
            int64_t t = mid + (7 * 60 + rng_int(&r, 15 * 60)) * MIN_MS;
            int pi = add_pending(S, p);
            if (pi >= 0 && t >= d0) ev_push(S, t, EV_REPORT, pi, 0);
        }
    }
    /* grid workers on patrol find things in their own grid */
    for (int w = 0; w < 3; w++) {
        int g = grid_index(S, S->workers[w].area);
        if (g < 0) continue;
        int n = rng_poisson(&r, 1.6 * patrol_factor);
        for (int k = 0; k < n; k++) {
            static const char *const patrol_cats[] = {"0101", "0102", "0104", "0201", "0202", "0601", "0602", "1201"};
            int c = find_cat(S, patrol_cats[rng_int(&r, 8)]);
            if (c < 0 || !S->cats[c].ntexts) continue;
            pending p = {.cat = c, .reporter = -1, .text = rng_int(&r, S->cats[c].ntexts), .patrol_worker = w, .grid = g};
            point_in(S, g, &r, &p.lon, &p.lat);
            int64_t t = mid + (9 * 60 + rng_int(&r, 8 * 60)) * MIN_MS;
            int pi = add_pending(S, p);
            if (pi >= 0 && t >= d0) ev_push(S, t, EV_REPORT, pi, 0);
        }
    }
    /* departments push tasks to communities on working days */
    if (wd < 5) {
        int n = rng_poisson(&r, 1.3 * live);
        for (int k = 0; k < n; k++) ev_push(S, mid + (10 * 60 + rng_int(&r, 6 * 60)) * MIN_MS, EV_TASK, rng_int(&r, (int)JC_ARRAY_LEN(task_kinds)), 0);
    }
    if ((int)(S->days * 0.4) == day) ev_push(S, mid + 15 * HOUR_MS, EV_EXCEPTION, 0, 0);
    /* sensors: heartbeats every 4 hours, door openings at 08, 12, 20 */
    for (int h = 0; h < 24; h += 4) {
        int64_t t = mid + h * HOUR_MS;
        if (t >= d0) ev_push(S, t, EV_READINGS, day, h);
    }
    ev_push(S, mid + 12 * HOUR_MS > d0 ? mid + 12 * HOUR_MS : d0 + MIN_MS, EV_READINGS, day, 12);
    ev_push(S, mid + 20 * HOUR_MS, EV_READINGS, day, 20);
    /* the faults of the month */
    struct { double frac; int kind; int min; } faults[] = {
        {0.15, F_SMOKE, 19 * 60 + 30}, {0.30, F_RAIN, 14 * 60}, {0.70, F_RAIN, 15 * 60},
        {0.45, F_DOOR, 7 * 60},        {0.55, F_MANHOLE, 10 * 60 + 10}, {0.80, F_EBIKE, 22 * 60 + 30}};
    for (size_t i = 0; i < JC_ARRAY_LEN(faults); i++)
        if ((int)(S->days * faults[i].frac) == day) ev_push(S, mid + faults[i].min * MIN_MS, EV_FAULT, faults[i].kind, 0);
    /* the complex case of the month, answered by a whistle */
    if ((int)(S->days * 0.35) == day && S->whistle_case < 0) {
        int c = find_cat(S, "0103");
        if (c >= 0) {
            pending p = {.cat = c, .reporter = 0, .text = -1, .patrol_worker = -1, .grid = 0};
            point_in(S, 0, &r, &p.lon, &p.lat);
            int pi = add_pending(S, p);
            S->whistle_case = -2; /* planned */
            if (pi >= 0) ev_push(S, mid + 10 * HOUR_MS, EV_REPORT, pi, 1);
        }
    }
    for (int h = 1; h < 24; h += 2) ev_push(S, mid + h * HOUR_MS + 30 * MIN_MS, EV_SWEEP, 0, 0);
}

static void do_whistle_report(sim *S, int pi) {
    pending *p = &S->pend[pi];
    json_t *b = json_pack("{s:s,s:s,s:s,s:f,s:f}", "title", "楼顶违建并私拉电线",
                          "body", "小区楼顶有人违规加盖彩钢房，私拉电线给电动车充电，邻居担心火灾和楼板承重，多次反映未解决。",
                          "category", S->cats[p->cat].code, "lon", p->lon, "lat", p->lat);
    json_t *ans = NULL;
    int st = http_json(&S->h, "POST", "/api/v1/cases", S->residents[0].token, b, &ans);
    if (st == 201) {
        int idx = case_track(S, ans, p->cat, 0);
        if (idx >= 0) {
            S->cases[idx].whistle = 1;
            S->cases[idx].late = S->cases[idx].ret = S->cases[idx].slow = 0;
            S->whistle_case = idx;
            S->day_reports++;
            case_plan(S, idx, jc_now_ms());
        }
    } else {
        S->n_fail++;
    }
    json_decref(ans);
}

/* ---- the run ------------------------------------------------------------------------ */

typedef struct { int64_t start; double speed; int until_real; } clock_req;
static jc_err run_clock(jc_conn *w, void *arg) {
    clock_req *c = arg;
    return clock_save(w, c->start, c->speed, c->until_real);
}

static int set_clock(const char *db, int64_t start, double speed, int until_real) {
    jc_store *st = NULL;
    jc_conn *c = NULL;
    int version;
    clock_req req = {start, speed, until_real};
    if (store_open(db, &st) || store_migrate(st, &version) || store_exec(st, run_clock, &req) ||
        store_conn_open(st, &c) || clock_load(c)) {
        store_conn_close(c);
        store_close(st);
        return -1;
    }
    store_conn_close(c);
    store_close(st);
    return 0;
}

/* Full speed: the clock runs at --speed while the simulator keeps up with its
 * events, and slower while it works through a backlog (each HTTP call costs
 * simulated minutes at 100,000x), so that the month keeps its shape on a
 * busy machine: a department acting at 10:00 acts at about 10:00.  A change
 * goes through PUT /api/v1/clock, which the server applies at once (a change
 * written to the database would reach it only at its next tick); never a
 * jump: the clock goes on from where it is, at the new speed. */
static void pace_clock(sim *S, double speed) {
    if (S->no_pace || speed == S->pace) return;
    char start[40];
    int64_t now = jc_now_ms();
    jc_fmt_utc(now, start, sizeof start);
    json_t *ans = NULL;
    int st = http_json(&S->h, "PUT", "/api/v1/clock", S->admin.token,
                       json_pack("{s:s,s:f,s:b}", "start", start, "speed", speed, "until_real", S->until_now), &ans);
    if (st == 200) {
        /* the same setting here, so that both clocks agree to the millisecond */
        jc_clock_set_until_real(json_integer_value(json_object_get(ans, "start_ms")),
                                json_integer_value(json_object_get(ans, "real0_ms")), speed, S->until_now);
        S->pace = speed;
        S->n_pace++;
    } else {
        S->no_pace = 1;
    }
    json_decref(ans);
}

static void pace_for(sim *S, int64_t next_t) {
    if (S->live || S->no_pace) return;
    int64_t lag = jc_now_ms() - next_t;
    if (lag > 20 * MIN_MS && S->pace > S->speed / 64) pace_clock(S, S->pace / 4);      /* behind: slower */
    else if (lag < 0 && S->pace < S->speed) pace_clock(S, S->pace * 4 < S->speed ? S->pace * 4 : S->speed); /* caught up */
}

/* Sleeps until the platform clock reaches t.  Returns 0 early when the
 * replay of --until-now has just caught up with real time (the caller then
 * switches to real time and looks again). */
static int sleep_until(sim *S, int64_t t) {
    for (;;) {
        if (stop_flag) return 1;
        int64_t now = jc_now_ms();
        if (now >= t) return 1;
        if (S->until_now && !S->live && now >= jc_real_ms() - 500) return 0;
        double real_ms = (double)(t - now) / (S->pace > 0 && !S->live ? S->pace : 1);
        if (real_ms > 200) real_ms = 200;
        struct timespec ts = {0, (long)(real_ms * 1e6) + 1000};
        nanosleep(&ts, NULL);
    }
}

static long count_open(sim *S) {
    long n = 0;
    for (int i = 0; i < S->ncases; i++) n += !S->cases[i].done && S->cases[i].state < SS_CLOSED;
    return n;
}

static void progress(sim *S, int day) {
    static const char *const wdn[] = {"一", "二", "三", "四", "五", "六", "日"};
    char d[16];
    int64_t t = S->start + (int64_t)day * DAY_MS;
    fmt_day(t, d, sizeof d);
    if (S->until_now) printf(S->live ? "live " : "");
    printf("day %2d/%d %s 周%s: %ld reports, %ld patrol, %ld sensor | dispatched %ld accepted %ld closed %ld "
           "rated %ld returned %ld reworked %ld | open %ld | %ld readings\n",
           day + 1, S->days, d, wdn[local_weekday(t)], S->day_reports, S->day_patrol, S->day_sensor, S->n_dispatch,
           S->n_accept, S->n_close, S->n_rate, S->n_return, S->n_rework, count_open(S), S->n_readings);
    fflush(stdout);
    S->day_reports = S->day_patrol = S->day_sensor = 0;
}

static void summary(sim *S, double secs) {
    json_t *ans = NULL;
    long escalated = 0;
    for (int i = 0; i < S->ncases; i++) {
        if (!S->cases[i].escalated) continue;
        escalated++;
    }
    printf("\nsimulated %d days in %.1f s real time (%.0fx; the clock slowed and sped up %ld times to keep pace)\n",
           S->days, secs, S->speed, S->n_pace);
    printf("cases followed: %d (web %ld, patrol %ld, sensor %ld, other %ld)\n", S->ncases, S->by_source[0],
           S->by_source[1], S->by_source[2], S->by_source[3]);
    printf("actions: register %ld, dispatch %ld, accept %ld, handle %ld, feedback %ld, verify %ld, rework %ld, "
           "close %ld, rate %ld (satisfied %ld, basic %ld, unsatisfied %ld)\n",
           S->n_register, S->n_dispatch, S->n_accept, S->n_handle, S->n_feedback, S->n_verify, S->n_rework, S->n_close,
           S->n_rate, S->rating[0], S->rating[1], S->rating[2]);
    printf("returns %ld (upheld %ld, rejected %ld), supervisor escalations %ld, whistles %ld (check-ins %ld, "
           "finished %ld, rated %ld), readings %ld, refused actions %ld, HTTP calls %ld\n",
           S->n_return, S->n_uphold, S->n_reject, S->n_escalate, S->n_whistle, S->n_checkin, S->n_finish, S->n_wrate,
           S->n_readings, S->n_fail, S->h.calls);
    printf("tasks to communities %ld (admitted %ld, refused %ld, answered from the store %ld, done %ld, exceptions %ld)\n",
           S->n_task, S->n_admitted, S->n_refused, S->n_answered, S->n_task_done, S->n_exception);
    if (http_call(&S->h, "GET", "/api/v1/sensor/stats", NULL, NULL, &ans) == 200) {
        char *s = json_dumps(ans, JSON_COMPACT);
        if (s) printf("sensor stats: %s\n", s);
        free(s);
    }
    json_decref(ans);
    json_t *o = json_pack("{s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "days", S->days, "web",
                          (json_int_t)S->by_source[0], "patrol", (json_int_t)S->by_source[1], "sensor",
                          (json_int_t)S->by_source[2], "dispatched", (json_int_t)S->n_dispatch, "accepted",
                          (json_int_t)S->n_accept, "feedback", (json_int_t)S->n_feedback, "closed",
                          (json_int_t)S->n_close, "rated", (json_int_t)S->n_rate, "returned", (json_int_t)S->n_return,
                          "reworked", (json_int_t)S->n_rework, "escalated_by_supervisor", (json_int_t)S->n_escalate,
                          "whistles", (json_int_t)S->n_whistle, "whistle_finished", (json_int_t)S->n_finish,
                          "readings", (json_int_t)S->n_readings);
    json_object_set_new(o, "tasks", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "sent", (json_int_t)S->n_task, "admitted",
                                              (json_int_t)S->n_admitted, "refused", (json_int_t)S->n_refused,
                                              "answered", (json_int_t)S->n_answered, "done", (json_int_t)S->n_task_done,
                                              "exceptions", (json_int_t)S->n_exception));
    char *s = json_dumps(o, JSON_COMPACT);
    if (s) printf("summary %s\n", s);
    free(s);
    json_decref(o);
    (void)escalated;
}

static int parse_url(const char *url, hclient *h) {
    const char *p = url;
    if (!strncmp(p, "http://", 7)) p += 7;
    else if (strstr(p, "://")) return -1;
    const char *colon = strrchr(p, ':'), *slash = strchr(p, '/');
    size_t hl = colon && (!slash || colon < slash) ? (size_t)(colon - p) : slash ? (size_t)(slash - p) : strlen(p);
    if (hl == 0 || hl >= sizeof h->host) return -1;
    memcpy(h->host, p, hl);
    h->host[hl] = 0;
    int64_t port = 80;
    if (colon && (!slash || colon < slash)) {
        char num[8];
        size_t pl = slash ? (size_t)(slash - colon - 1) : strlen(colon + 1);
        if (jc_copyn(num, sizeof num, colon + 1, pl) || jc_parse_i64(num, &port)) return -1;
    }
    h->port = port > 0 && port < 65536 ? (int)port : 0;
    return h->port ? 0 : -1;
}

static int cmd_simulate(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng simulate --url URL --db DB [--days N] [--speed X] [--start TIME] [--seed N]\n"
        "                       [--data DIR] [--real-after] [--quiet]\n"
        "Replays N days (default 30) of a street's life against a running server (URL, default\n"
        "http://127.0.0.1:8080) in accelerated time: residents report (texts of DIR/seed_texts.csv),\n"
        "grid workers patrol, departments accept, return, run late and handle, grid workers verify,\n"
        "the dispatcher closes, residents rate; sensors send heartbeats and a few real-looking faults\n"
        "(a smoke alarm, flooded underpasses after rain, an elder's door not opened for 14 hours);\n"
        "once a complex case gets a whistle.  It sets the platform clock of DB (the server's database)\n"
        "to simulated time from TIME (default: N days before now, 08:00) at X times real time\n"
        "(default 1440: a day a minute).  Everything goes through the HTTP API as the demo users\n"
        "(password jiceng-demo).  The same --seed (default 42) gives the same sequence of actions.\n"
        "  --real-after  put the clock back to real time at the end (default: leave it at the end\n"
        "                of the simulation, stopped at 1x)\n"
        "  --until-now   replay from TIME until the simulated clock meets real time (the last day\n"
        "                partly), where the clock hands over to real time without a jump; --days\n"
        "                then sets only the default TIME and when the month's incidents happen\n"
        "  --live        --until-now, then keep the street living in real time until stopped\n"
        "  --live-rate F in real time, F times as many reports, patrols and tasks (default 1)\n"
        "Example (make demo): jiceng simulate --db var/demo.db --speed 100000 --live --live-rate 10\n";
    if (cli_wants_help(argc, argv)) return fputs(help, stdout), JC_EXIT_OK;
    static sim S;
    memset(&S, 0, sizeof S);
    S.h.fd = -1;
    S.days = 30;
    S.speed = 1440;
    S.seed = 42;
    static char data_buf[600];
    if (paths_shared("data", data_buf, sizeof data_buf)) return cli_usage_error("simulate", "path too long");
    S.data_dir = data_buf;
    S.whistle_case = -1;
    const char *url = "http://127.0.0.1:8080", *start_s = NULL;
    int real_after = 0, live = 0;
    S.live_rate = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--quiet")) { S.quiet = 1; continue; }
        if (!strcmp(a, "--real-after")) { real_after = 1; continue; }
        if (!strcmp(a, "--until-now")) { S.until_now = 1; continue; }
        if (!strcmp(a, "--live")) { S.until_now = live = 1; continue; }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return cli_usage_error("simulate", "option %s needs a value", a);
        i++;
        int64_t n;
        if (!strcmp(a, "--url")) url = v;
        else if (!strcmp(a, "--db")) S.db = v;
        else if (!strcmp(a, "--data")) S.data_dir = v;
        else if (!strcmp(a, "--start")) start_s = v;
        else if (!strcmp(a, "--days")) {
            if (jc_parse_i64(v, &n) || n < 1 || n > 366) return cli_usage_error("simulate", "--days must be 1..366");
            S.days = (int)n;
        } else if (!strcmp(a, "--seed")) {
            if (jc_parse_i64(v, &n) || n < 0) return cli_usage_error("simulate", "--seed must be a number >= 0");
            S.seed = (uint64_t)n;
        } else if (!strcmp(a, "--speed")) {
            char *end;
            S.speed = strtod(v, &end);
            if (*end || !(S.speed >= 1 && S.speed <= 100000)) return cli_usage_error("simulate", "--speed must be 1..100000");
        } else if (!strcmp(a, "--live-rate")) {
            char *end;
            S.live_rate = strtod(v, &end);
            if (*end || !(S.live_rate > 0 && S.live_rate <= 100)) return cli_usage_error("simulate", "--live-rate must be 0 < F <= 100");
        } else return cli_usage_error("simulate", "unexpected argument '%s'", a);
    }
    if (!S.db) return cli_usage_error("simulate", "missing --db DB (the server's database, for the shared clock)");
    if (parse_url(url, &S.h)) return cli_usage_error("simulate", "--url must be http://HOST:PORT");
    if (start_s) {
        if (jc_parse_time(start_s, &S.start)) return cli_usage_error("simulate", "bad --start time '%s'", start_s);
    } else {
        S.start = local_midnight(jc_real_ms() - (int64_t)S.days * DAY_MS) + 8 * HOUR_MS;
    }
    /* --until-now: the days up to today, then (--live) a year more in real time */
    S.total_days = S.days;
    if (S.until_now) {
        int64_t span = jc_real_ms() - S.start;
        if (span < 0) return cli_usage_error("simulate", "--start is in the future: nothing to replay until now");
        S.total_days = (int)((local_midnight(jc_real_ms()) - local_midnight(S.start)) / DAY_MS) + 1 + (live ? 366 : 0);
    }
    S.end = local_midnight(S.start) + (int64_t)S.total_days * DAY_MS;
    if (load_data(&S)) return JC_EXIT_FAIL;
    json_t *ans = NULL;
    if (http_call(&S.h, "GET", "/healthz", NULL, NULL, &ans) != 200) {
        fprintf(stderr, "jiceng simulate: no server answers at %s\n", url);
        json_decref(ans);
        return JC_EXIT_FAIL;
    }
    json_decref(ans);
    if (load_world(&S)) return JC_EXIT_FAIL;
    int devs = setup_devices(&S);
    if (set_clock(S.db, S.start, S.speed, S.until_now)) {
        fprintf(stderr, "jiceng simulate: cannot set the clock in %s\n", S.db);
        return JC_EXIT_FAIL;
    }
    char when[40];
    jc_fmt_local(S.start, when, sizeof when);
    printf("simulating %d days from %s at %.0fx (seed %llu): %d grids, %d departments, %d devices (%d new)\n", S.days,
           when, S.speed, (unsigned long long)S.seed, S.ngrids, S.ndepts, S.ndevs, devs);
    fflush(stdout);
    /* let the server pick the clock up (it reloads it every second) */
    struct timespec pause = {1, 300000000};
    nanosleep(&pause, NULL);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    int64_t real0 = jc_real_ms();
    for (int d = 0; d < S.total_days; d++)
        ev_push(&S, d == 0 ? S.start : local_midnight(S.start) + d * DAY_MS, EV_DAY, d, 0);
    ev_push(&S, S.start + 5 * MIN_MS, EV_SWEEP, 0, 0);
    int today = -1;
    S.pace = S.speed;
    while (S.nheap && !stop_flag) {
        if (S.heap[0].t >= S.end) break;
        if (S.speed > 1440) pace_for(&S, S.heap[0].t);
        if (!sleep_until(&S, S.heap[0].t)) {
            /* --until-now: the replay has met real time; the clock (until_real)
             * stays on real time from here, in the server too */
            S.live = 1;
            printf("caught up with real time after %.1f s: the street now lives in real time%s\n",
                   (double)(jc_real_ms() - real0) / 1000.0, live ? "" : "; stopping");
            fflush(stdout);
            if (!live) break;
            continue;
        }
        if (stop_flag) break;
        event e = ev_pop(&S);
        switch (e.kind) {
        case EV_DAY:
            if (today >= 0) progress(&S, today);
            today = e.a;
            plan_day(&S, e.a);
            break;
        case EV_REPORT:
            if (e.b) do_whistle_report(&S, e.a);
            else do_report(&S, e.a);
            break;
        case EV_CASE: case_step(&S, e.a); break;
        case EV_READINGS: send_readings(&S, e.a, e.b); break;
        case EV_FAULT: do_fault(&S, e.a, e.b); break;
        case EV_WHISTLE: whistle_raise(&S, e.a); break;
        case EV_MEMBER: whistle_member(&S, e.a, e.b); break;
        case EV_SWEEP: sweep(&S); break;
        case EV_ESCALATE: {
            sim_case *c = &S.cases[e.a];
            if (c->done || c->state >= SS_CLOSED || c->escalated) break;
            c->escalated = 1;
            case_do(&S, e.a, S.supervisor.token, "escalate", json_pack("{s:s}", "note", "超时未签收，督办"),
                    &S.n_escalate);
            break;
        }
        case EV_TASK: push_task(&S, e.a); break;
        case EV_TASKDONE: task_done(&S, e.a); break;
        case EV_EXCEPTION: task_exception(&S); break;
        }
    }
    if (today >= 0) progress(&S, today);
    /* stop the clock at the end of the simulation (or go back to real time);
     * a replay that met real time is there already: real time, no jump */
    int64_t end_t = jc_now_ms() < S.end ? jc_now_ms() : S.end;
    int to_real = real_after || S.live;
    if (set_clock(S.db, to_real ? 0 : end_t, to_real ? 0 : 1, 0)) fprintf(stderr, "simulate: clock not reset\n");
    summary(&S, (double)(jc_real_ms() - real0) / 1000.0);
    hc_close(&S.h);
    free(S.cases);
    free(S.heap);
    free(S.pend);
    free(S.texts);
    return stop_flag ? JC_EXIT_FAIL : JC_EXIT_OK;
}

/* The simulate module's row (src/modules.c): the `jiceng simulate` command. */
const jc_module module_simulate = {
    .name = "simulate",
    .store_h_only = 1, /* no tables or SQL of its own: runs on every backend */
    .commands = {{"simulate", cmd_simulate, "replay a month of a street's life against a running server (demo)"}},
};
