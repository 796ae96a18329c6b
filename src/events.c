/*
 * events.c -- live updates for the browser (module "events"): GET
 * /api/v1/events is a Server-Sent Events stream of what happens to the
 * cases (and sensor alarms, early warnings, notifications) the caller may see.
 *
 * Event types:
 *   event: case     data: {"seq","case_id","no","action","state","actor","role","at"}
 *   event: alarm    data: {"id","device","kind","severity","state","grid","case_id","at"}
 *   event: warning  data: {"id","category","area","observed","threshold","state","at"}
 *   event: notify   data: {"id","kind","case_id","at"}  (a message for this user: notify.c)
 * and ": ping" comments every 15 s.  Each subscriber sees only what its role
 * and scope may see (case_visible_db for cases, as the case's detail:
 * co-handling and summoned departments and followers included; area prefix
 * for alarms and warnings; residents get their own and followed cases only).
 *
 * The source of truth is the database: each serving thread that has
 * subscribers polls, twice a second, the audit log (committed entries
 * only, so an event is never sent for a write that was rolled back), the
 * alarms and the warnings, from where it last looked, and writes the new
 * ones to its subscribers.  A subscriber that cannot keep up gets its queue
 * capped and the stream closed; the browser's EventSource reconnects and
 * reloads.  The module's row (at the end) is all it offers: the route, and
 * per serving thread its subscribers and their polling.
 */
#include "case.h"
#include "module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLL_MS 500
#define PING_MS 15000
#define MAX_PENDING (256 * 1024) /* a subscriber further behind is closed */
#define MAX_SUBS 1024            /* per thread */

typedef struct events_thread events_thread;
typedef struct sub sub;
struct sub {
    http_stream *stream;
    events_thread *et;
    jc_user user;
    jc_buf inflight; /* being written; valid until proceed */
    jc_buf pending;  /* queued meanwhile */
    int can_send, closed;
    sub *next;
};

struct events_thread {
    jc_conn *db;
    sub *subs;
    int nsubs;
    int64_t last_poll, last_ping;
    int64_t *marks; /* each module's high-water mark, by its index in the table */
    int primed;
};

static events_thread *per_thread[HTTP_MAX_THREADS]; /* each serving thread's, by index */

static void unlink_sub(sub *s) {
    events_thread *et = s->et;
    for (sub **p = &et->subs; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            et->nsubs--;
            break;
        }
}

static void flush(sub *s) {
    if (s->closed || !s->can_send || s->pending.len == 0) return;
    jc_buf t = s->inflight;
    s->inflight = s->pending;
    s->pending = t;
    s->pending.len = 0;
    s->can_send = 0;
    http_stream_send(s->stream, s->inflight.data, s->inflight.len);
}

static void on_proceed(void *arg) {
    sub *s = arg;
    s->inflight.len = 0;
    s->can_send = 1;
    flush(s);
}

static void on_stop(void *arg) {
    sub *s = arg;
    s->closed = 1;
    unlink_sub(s);
}

static void on_dispose(void *arg) {
    sub *s = arg;
    if (!s->closed) {
        s->closed = 1;
        unlink_sub(s);
    }
    jc_buf_free(&s->inflight);
    jc_buf_free(&s->pending);
    free(s);
}

static void enqueue(sub *s, const char *text, size_t n) {
    if (s->closed) return;
    if (jc_buf_append(&s->pending, text, n) != JC_OK) {
        /* too far behind: end the stream; the browser reconnects */
        s->closed = 1;
        unlink_sub(s);
        http_stream_end(s->stream);
        return;
    }
    flush(s);
}

/* Whether u may see ev; a case as its detail would show it (co-handling and
 * summoned departments, followers: case_visible_db on the thread's db). */
static int visible(const jc_live_event *ev, const jc_user *u, jc_conn *db) {
    if (ev->k) return case_visible_db(db, u, ev->k);
    if (ev->for_user) return ev->for_user(u, ev->row);
    if (u->role == ROLE_RESIDENT || u->role == ROLE_DEPT_STAFF) return 0;
    return !u->area[0] || !strncmp(ev->area ? ev->area : "", u->area, strlen(u->area));
}

/* Sends one module's event to the subscribers who may see it. */
static int emit(const jc_live_event *ev, void *arg) {
    events_thread *et = arg;
    jc_buf line;
    jc_buf_init(&line, 64 * 1024);
    if (jc_buf_printf(&line, "event: %s\ndata: %s\n\n", ev->type, ev->data) == JC_OK) {
        for (sub *s = et->subs, *next; s; s = next) {
            next = s->next;
            if (visible(ev, &s->user, et->db)) enqueue(s, line.data, line.len);
        }
    }
    jc_buf_free(&line);
    return 0;
}

/* Every module's new events since the last poll; at the first poll of a
 * stream only the high-water marks (a new stream has no history). */
static void poll_db(events_thread *et) {
    for (size_t i = 0; i < jc_modules_count; i++) {
        if (!jc_modules[i]->live || !module_runs_on_conn(jc_modules[i], et->db)) continue;
        jc_err e = jc_modules[i]->live(et->db, &et->marks[i], et->primed ? emit : NULL, et);
        if (e) jc_log(JC_LOG_DEBUG, "events: %s: %s", jc_modules[i]->name, jc_err_code(e));
    }
    et->primed = 1;
}

/* After every turn of a serving thread's event loop: polls and sends. */
static void events_tick(int index) {
    events_thread *et = per_thread[index];
    if (!et || !et->subs) {
        if (et) et->primed = 0; /* no one listens: start afresh next time */
        return;
    }
    int64_t now = jc_real_ms();
    if (now - et->last_poll >= POLL_MS) {
        et->last_poll = now;
        poll_db(et);
    }
    if (now - et->last_ping >= PING_MS) {
        et->last_ping = now;
        for (sub *s = et->subs, *next; s; s = next) {
            next = s->next;
            enqueue(s, ": ping\n\n", 8);
        }
    }
}

/* GET /api/v1/events: starts the stream for r (authenticated). */
static void h_events(jc_req *r) {
    events_thread *et = per_thread[r->thread_index];
    if (!et) return http_reply_error(r, JC_ERR_UNAVAILABLE, "no live updates on this server");
    if (et->nsubs >= MAX_SUBS) return http_reply_error(r, JC_ERR_UNAVAILABLE, "too many live streams on this server");
    sub *s = calloc(1, sizeof *s);
    static const http_stream_cb cb = {on_proceed, on_stop, on_dispose};
    if (!s || !(s->stream = http_stream_start(r, "text/event-stream; charset=utf-8", &cb, s))) {
        free(s);
        return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    }
    s->et = et;
    s->user = r->user;
    jc_buf_init(&s->inflight, MAX_PENDING);
    jc_buf_init(&s->pending, MAX_PENDING);
    if (!et->subs) {
        et->primed = 0;
        poll_db(et); /* set the high-water marks before the first subscriber listens */
    }
    s->next = et->subs;
    et->subs = s;
    et->nsubs++;
    static const char hello[] = "retry: 3000\n: jiceng live updates\n\n";
    if (jc_buf_append(&s->pending, hello, sizeof hello - 1) == JC_OK) {
        s->can_send = 1;
        flush(s);
    }
}

/* Before serving: the state of serving thread index (db its read connection). */
static jc_err events_thread_start(int index, jc_conn *db) {
    if (index < 0 || index >= HTTP_MAX_THREADS) return JC_ERR_INVALID;
    events_thread *et = calloc(1, sizeof *et);
    if (!et || !(et->marks = calloc(jc_modules_count, sizeof *et->marks))) {
        free(et);
        return JC_ERR_NOMEM;
    }
    et->db = db;
    per_thread[index] = et;
    return JC_OK;
}

static const jc_route events_routes[] = {
    {"GET", "/api/v1/events", h_events, ACCESS_USER, NULL},
};
static const jc_route_table events_table = {events_routes, JC_ARRAY_LEN(events_routes)};

/* The events module's row (src/modules.c). */
const jc_module module_events = {
    .name = "events",
    .store_h_only = 1,
    .routes = {&events_table},
    .thread_start = events_thread_start,
    .thread_tick = events_tick,
};
