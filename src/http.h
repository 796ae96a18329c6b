/*
 * http.h -- the HTTP layer between the transport (http_server.c, h2o) and
 * the route handlers of every module; helpers for handlers in http_req.c.
 *
 * A handler gets a jc_req: the parsed path parameters, the query, the JSON
 * body (when the route takes one) and the authenticated user.  It answers
 * either at once (http_reply_json / http_reply_error) or by handing a write
 * to the store's writer with http_defer(); the answer of a deferred request is
 * sent only after its transaction has committed.
 *
 * How to add a route: one row {method, pattern, handler, access, body
 * fields} in a route table of the module's row (module.h), the handler, a
 * section in the module's docs.
 */
#ifndef JC_HTTP_H
#define JC_HTTP_H

#include "jc.h"
#include "model.h"
#include "store.h"

typedef struct json_t json_t;
typedef struct jc_req jc_req;
typedef struct jc_server jc_server;

#define HTTP_MAX_PARAMS 4
#define HTTP_MAX_THREADS 64             /* serving threads (serve --threads) */
#define HTTP_JSON_CAP (256 * 1024)      /* JSON bodies */
#define HTTP_UPLOAD_CAP (16 * 1024 * 1024) /* any body (photos) */

struct jc_req {
    void *h2o_req;           /* h2o_req_t *, for http_server.c */
    void *thread;            /* the serving thread, for http_server.c */
    int thread_index;        /* 0 .. threads-1: the serving thread */
    int64_t start_ns;        /* monotonic time the request arrived */
    jc_server *server;
    jc_conn *db;             /* this thread's read connection */
    const char *method;
    char path[512];          /* without the query */
    char *params[HTTP_MAX_PARAMS]; /* ":name" segments, in order */
    int nparams;
    const char *query;       /* after '?', not NUL-terminated; query_len bytes */
    size_t query_len;
    const char *body;        /* raw entity */
    size_t body_len;
    json_t *json;            /* parsed body when the route takes JSON */
    jc_user user;            /* valid when authed */
    int authed;
    char token_hash[65];
    char payload_hash[65];
};

/* Answers with status and a JSON value (stolen). */
void http_reply_json(jc_req *r, int status, json_t *body);
/* Answers {"error":{"code":...,"message":...}} with the status of e. */
void http_reply_error(jc_req *r, jc_err e, const char *fmt, ...) JC_PRINTF(3, 4);
/* Adds a response header (name lower-case; both copied) to r's coming
 * reply; call before http_reply_*. */
void http_reply_header(jc_req *r, const char *name, const char *value);
/* Answers with raw bytes and a content type (copied). */
void http_reply_raw(jc_req *r, int status, const char *content_type, const char *body,
                    size_t len);
/* A response header: name in lower case. */
typedef struct {
    const char *name, *value;
} http_kv;
/* Like http_reply_raw, with headers of the caller's (copied); a
 * "cache-control" among them replaces the default no-store. */
void http_reply_with(jc_req *r, int status, const char *content_type, const http_kv *headers,
                     size_t nheaders, const char *body, size_t len);

/* ---- streamed answers (Server-Sent Events) --------------------------------
 * A handler that answers with a stream starts it, then sends one chunk at a
 * time: after each, the transport calls proceed() on the serving thread
 * once the chunk is written (the chunk must stay valid until then).  stop()
 * is called when the client went away (send nothing more), dispose() last,
 * when the request's memory is freed (free your state there). */
typedef struct http_stream http_stream;
typedef struct {
    void (*proceed)(void *arg);
    void (*stop)(void *arg);
    void (*dispose)(void *arg);
} http_stream_cb;
/* Starts a 200 answer of content_type (no-cache) whose body is streamed;
 * NULL when out of memory (nothing sent: answer r with an error). */
http_stream *http_stream_start(jc_req *r, const char *content_type, const http_stream_cb *cb,
                               void *arg);
/* Sends data[0..len) (not copied: valid until proceed). */
void http_stream_send(http_stream *s, const char *data, size_t len);
/* Ends the stream (the client may reconnect). */
void http_stream_end(http_stream *s);

/* A write handed to the writer thread.  run() executes on the writer inside
 * the transaction and fills status and body (a JSON value it owns); on error
 * it may leave body NULL and set message.  The reply is sent after commit. */
typedef struct jc_deferred jc_deferred;
struct jc_deferred {
    jc_err (*run)(jc_conn *w, jc_deferred *d);
    jc_user user;        /* copy of the requester */
    void *data;          /* handler's own arguments */
    void (*free_data)(void *data);
    int status;
    json_t *body;
    /* Optional: builds the body on the serving thread after the commit (keeps
     * JSON work off the writer).  Used when run() left body NULL. */
    json_t *(*render)(jc_deferred *d);
    /* Optional: slow CPU work (password hashing) run first on a worker thread,
     * off the event loop; an error is the reply.  run may be NULL then: the
     * reply is status/body as prepare left them, nothing is written. */
    jc_err (*prepare)(jc_deferred *d);
    /* Optional: a non-JSON reply (XML ...), malloc'd, freed with d; used
     * instead of body when set. */
    char *raw;
    size_t raw_len;
    char raw_type[128];
    /* Optional: like render, but writes the answer as text into raw,
     * raw_len and raw_type (a JSON body written without a jansson tree);
     * when it fails, render is used. */
    jc_err (*render_raw)(jc_deferred *d);
    char message[256];
    char payload_hash[65];
    /* Set when run may be called again after its writes were rolled back
     * (jc_write_job.rerun): run then starts over from the request's
     * arguments, status and message included. */
    int rerun;
    /* Set for logging in and out: still runs when the disk is full
     * (jc_write_job.essential). */
    int essential;
    /* Optional, with prepare and without run: work that reads much of the
     * store (a whole-chain verification, an export) runs on the long-work
     * pool instead (server.c): a few at a time, below the event loops and
     * the writer in priority; more waiting are refused with 503.  db is
     * that thread's read connection while prepare runs; what names the
     * work in GET /api/v1/jobs, with progress[0] of progress[1] (0: not
     * known) that prepare updates (__atomic_store_n). */
    int long_work;
    jc_conn *db;
    const char *what;
    int64_t progress[2];
};
/* Allocates a deferred write for r (zeroed, user and payload hash copied). */
jc_deferred *http_deferred_new(jc_req *r);
/* Queues d; the request is answered when it has committed.  On failure to
 * queue, answers 503 and frees d. */
void http_defer(jc_req *r, jc_deferred *d);
/* The long work running and waiting (GET /api/v1/jobs): appends to arr
 * {"what","user","started_at","done","total"} for each running one and
 * returns how many wait. */
int http_long_jobs(json_t *arr);
/* Adds a response header (name lower-case; both copied) to d's reply.  Only
 * from d->render: it runs on the serving thread after the commit, for a
 * successful write, while the request is still open. */
void http_deferred_header(jc_deferred *d, const char *name, const char *value);

/* Query-string value of key into out (URL-decoded); 0 if absent. */
int http_query(const jc_req *r, const char *key, char *out, size_t outsz);

/* The value of request header name (case-insensitive); 0 if absent. */
int http_header(const jc_req *r, const char *name, const char **value, size_t *len);
/* The request's authority (the Host header of HTTP/1); 0 if absent. */
int http_authority(const jc_req *r, const char **value, size_t *len);

/* The map tile URL template given with `serve --tiles` ("" when none). */
const char *http_tile_url(void);

/* Store and the server's settings, for handlers. */
jc_store *http_store(jc_server *s);

/* ---- routes -------------------------------------------------------------- */
enum {
    ACCESS_PUBLIC = 0,     /* no login */
    ACCESS_USER = 0xffffu, /* any logged-in role; else a mask of ROLE_BIT()s */
};
typedef struct {
    const char *method;  /* "GET", "POST", "PUT", "DELETE" */
    const char *pattern; /* "/api/v1/cases/:id/:action" */
    void (*fn)(jc_req *r);
    unsigned access;     /* ACCESS_PUBLIC, ACCESS_USER or a role mask */
    const char *fields;  /* JSON body: comma-separated allowed fields; NULL: no
                            body; "*": raw body up to HTTP_UPLOAD_CAP, the
                            handler parses it (forms, photos) */
} jc_route;
typedef struct {
    const jc_route *routes;
    size_t n;
} jc_route_table;
/* Each module names its tables in its row (module.h). */

/* ---- helpers for handlers (http_req.c; api_user_json in api.c) ------------- */
/* Body field readers: 0 absent, 1 present (*out set), -1 invalid (already
 * answered 400).  String limits are in characters. */
int api_get_str(jc_req *r, const char *key, size_t max_chars, const char **out);
int api_need_str(jc_req *r, const char *key, size_t max_chars, const char **out);
int api_get_num(jc_req *r, const char *key, double lo, double hi, double *out);
int api_get_int(jc_req *r, const char *key, int64_t lo, int64_t hi, int64_t *out);
int api_get_time(jc_req *r, const char *key, int64_t *out);
/* Answers 403: area is outside the caller's scope, with the detail
 * {"code":"out_of_scope","area","scope"} the UI words (src/reason.h). */
void api_deny_scope(jc_req *r, const char *area, const char *scope);
/* Parses path parameter i as a case id/number; -1 after answering 404. */
int api_param_id(jc_req *r, int i, int64_t *id);
/* Queues run(w, d) on the writer with d->data = data (freed by free_data);
 * the reply (d->status, d->body or the error) is sent after commit. */
void api_defer(jc_req *r, jc_err (*run)(jc_conn *, jc_deferred *), void *data,
               void (*free_data)(void *));
json_t *api_user_json(const jc_user *u);

/* ---- provided by api.c -------------------------------------------------- */
/* The JSON intake of every route that takes a body: body[0..len) must be
 * valid UTF-8, a JSON object without duplicate keys, free of control
 * characters and noncharacters in any string (jc_text_ok), with only the
 * comma-separated fields.  0 with *out (caller owns); -1 with msg. */
int api_json_intake(const char *body, size_t len, const char *fields, json_t **out, char *msg, size_t msz);
/* The route for r's method and path (r->params set, pointing into scratch),
 * the most specific of the modules' routes that match; NULL when none does
 * (*path_matched = 1 when one matched the path with another method). */
const jc_route *api_route(jc_req *r, char *scratch, size_t scratch_sz, int *path_matched);
/* Routes r; returns 0 when no route matched (the caller answers 404). */
int api_dispatch(jc_req *r);
/* Prometheus text of the application's own figures, appended to b. */
jc_err api_metrics(jc_req *r, jc_buf *b) JC_MUST_CHECK;
/* 1 when r may read the operational figures (/metrics, sensor metrics and
 * stats): its peer is in `serve --metrics-allow`, or it carries an admin's
 * session; else 0, r already answered (401 or 403). */
int api_metrics_access(jc_req *r);

#endif
