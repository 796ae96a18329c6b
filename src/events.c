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
#include "notify.h"
#include "store_sqlite.h"

#include <jansson.h>
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
    int64_t audit_seq, alarm_id, warning_id, notify_id; /* high-water marks */
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

static void emit(events_thread *et, const char *type, json_t *data, const jc_case *k, const char *area) {
    char *js = json_dumps(data, JSON_COMPACT);
    if (!js) return;
    jc_buf line;
    jc_buf_init(&line, 64 * 1024);
    if (jc_buf_printf(&line, "event: %s\ndata: %s\n\n", type, js) == JC_OK) {
        for (sub *s = et->subs, *next; s; s = next) {
            next = s->next;
            int ok;
            if (k) ok = case_visible_db(et->db, &s->user, k); /* as the case's detail: co-handlers, followers */
            else if (s->user.role == ROLE_RESIDENT || s->user.role == ROLE_DEPT_STAFF) ok = 0;
            else ok = !s->user.area[0] || !strncmp(area, s->user.area, strlen(s->user.area));
            if (ok) enqueue(s, line.data, line.len);
        }
    }
    jc_buf_free(&line);
    free(js);
}

/* A notification goes to the subscribers it is for (notify_for_user). */
static int emit_notify(const notify_row *n, void *arg) {
    events_thread *et = arg;
    char at[40], line[256];
    jc_fmt_utc(n->at_ms, at, sizeof at);
    int len = snprintf(line, sizeof line, "event: notify\ndata: {\"id\":%lld,\"kind\":\"%s\",\"case_id\":%lld,\"at\":\"%s\"}\n\n",
                       (long long)n->id, n->kind, (long long)n->case_id, at);
    if (len <= 0 || (size_t)len >= sizeof line) return 0;
    for (sub *s = et->subs, *next; s; s = next) {
        next = s->next;
        if (notify_for_user(n, &s->user)) enqueue(s, line, (size_t)len);
    }
    return 0;
}

static int table_exists(sqlite3 *db, const char *name) {
    sqlite3_stmt *st;
    int yes = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        yes = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    return yes;
}

static int64_t max_of(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

static void poll_db(events_thread *et) {
    sqlite3 *db = store_sqlite_db(et->db);
    if (!et->primed) { /* start from now: a new stream has no history */
        et->audit_seq = max_of(db, "SELECT COALESCE(max(seq),0) FROM audit");
        et->alarm_id = table_exists(db, "alarms") ? max_of(db, "SELECT COALESCE(max(id),0) FROM alarms") : 0;
        et->warning_id = table_exists(db, "warnings") ? max_of(db, "SELECT COALESCE(max(id),0) FROM warnings") : 0;
        if (notify_db_max_id(et->db, &et->notify_id)) et->notify_id = 0;
        et->primed = 1;
        return;
    }
    static const char audit_sql[] =
        "SELECT a.seq, a.case_id, a.action, a.to_state, a.actor, a.role, a.at, c.area, c.dept_id,"
        " c.reporter_id, c.created_at FROM audit a JOIN cases c ON c.id = a.case_id"
        " WHERE a.seq > ? ORDER BY a.seq LIMIT 500";
    sqlite3_stmt *st = store_sqlite_prepare(et->db, audit_sql);
    if (st) {
        sqlite3_bind_int64(st, 1, et->audit_seq);
        while (sqlite3_step(st) == SQLITE_ROW) {
            et->audit_seq = sqlite3_column_int64(st, 0);
            jc_case k = {0};
            k.id = sqlite3_column_int64(st, 1);
            snprintf(k.area, sizeof k.area, "%s", sqlite3_column_text(st, 7));
            k.dept_id = sqlite3_column_int64(st, 8);
            k.reporter_id = sqlite3_column_int64(st, 9);
            k.created_ms = sqlite3_column_int64(st, 10);
            char no[40], at[40];
            case_number(&k, no, sizeof no);
            jc_fmt_utc(sqlite3_column_int64(st, 6), at, sizeof at);
            json_t *d = json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "seq", (json_int_t)et->audit_seq,
                                  "case_id", (json_int_t)k.id, "no", no, "action", sqlite3_column_text(st, 2),
                                  "state", sqlite3_column_text(st, 3) ? (const char *)sqlite3_column_text(st, 3) : "",
                                  "actor", sqlite3_column_text(st, 4), "role", sqlite3_column_text(st, 5), "at", at,
                                  "area", k.area);
            emit(et, "case", d, &k, NULL);
            json_decref(d);
        }
        sqlite3_reset(st);
    }
    static const char alarm_sql[] =
        "SELECT id, device, kind, severity, state, grid, case_id, created_at FROM alarms WHERE id > ? ORDER BY id LIMIT 200";
    if (table_exists(db, "alarms") && (st = store_sqlite_prepare(et->db, alarm_sql))) {
        sqlite3_bind_int64(st, 1, et->alarm_id);
        while (sqlite3_step(st) == SQLITE_ROW) {
            et->alarm_id = sqlite3_column_int64(st, 0);
            char at[40];
            jc_fmt_utc(sqlite3_column_int64(st, 7), at, sizeof at);
            const char *grid = (const char *)sqlite3_column_text(st, 5);
            json_t *d = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)et->alarm_id, "device",
                                  sqlite3_column_text(st, 1), "kind", sqlite3_column_text(st, 2), "severity",
                                  sqlite3_column_text(st, 3), "state", sqlite3_column_text(st, 4), "grid", grid, "at", at);
            json_object_set_new(d, "case_id", sqlite3_column_type(st, 6) == SQLITE_NULL
                                                  ? json_null() : json_integer(sqlite3_column_int64(st, 6)));
            emit(et, "alarm", d, NULL, grid ? grid : "");
            json_decref(d);
        }
        sqlite3_reset(st);
    }
    static const char warn_sql[] =
        "SELECT id, category, area, observed, threshold, state, created_at FROM warnings WHERE id > ? ORDER BY id LIMIT 200";
    if (table_exists(db, "warnings") && (st = store_sqlite_prepare(et->db, warn_sql))) {
        sqlite3_bind_int64(st, 1, et->warning_id);
        while (sqlite3_step(st) == SQLITE_ROW) {
            et->warning_id = sqlite3_column_int64(st, 0);
            char at[40];
            jc_fmt_utc(sqlite3_column_int64(st, 6), at, sizeof at);
            const char *area = (const char *)sqlite3_column_text(st, 2);
            json_t *d = json_pack("{s:I,s:s,s:s,s:f,s:f,s:s,s:s}", "id", (json_int_t)et->warning_id, "category",
                                  sqlite3_column_text(st, 1), "area", area, "observed", sqlite3_column_double(st, 3),
                                  "threshold", sqlite3_column_double(st, 4), "state", sqlite3_column_text(st, 5), "at", at);
            emit(et, "warning", d, NULL, area ? area : "");
            json_decref(d);
        }
        sqlite3_reset(st);
    }
    int64_t last;
    if (notify_db_since(et->db, et->notify_id, 200, &last, emit_notify, et) == JC_OK) et->notify_id = last;
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
    if (!et) return JC_ERR_NOMEM;
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
    .routes = {&events_table},
    .thread_start = events_thread_start,
    .thread_tick = events_tick,
};
