/*
 * http_server.h -- the HTTP transport (http_server.c): h2o as a library,
 * one event loop per thread, each with its own SO_REUSEPORT listening socket
 * and its own read connection to the store, static files through h2o's
 * file handler, deferred replies after the writer's commit.
 *
 * It knows no module and no route: every request under one of the given
 * path prefixes goes to one handler callback (jc_req, http.h), and each
 * serving thread calls two hooks (when it starts, and after every turn of
 * its loop).  The assembly (`jiceng serve`, server.c) gives it both.
 */
#ifndef JC_HTTP_SERVER_H
#define JC_HTTP_SERVER_H

#include "http.h"

/* A directory of static files served under a URL path. */
typedef struct {
    const char *url;  /* "/vendor/leaflet/dist"; NULL ends a list */
    const char *dir;
    int index;        /* serve index.html for a directory */
    const char *deny; /* a path under url answered 404 (NULL: none) */
} http_static;

typedef struct {
    const char *host; /* an IPv4 address to listen on */
    int port;
    int threads;      /* 1 .. HTTP_MAX_THREADS */
    jc_store *st;     /* reads (one connection per thread) and deferred writes */
    /* Every request whose path starts with one of these (NULL-terminated)
     * goes to handler; r->db is the serving thread's read connection. */
    const char *const *prefixes;
    void (*handler)(jc_req *r);
    /* Static files, the more specific URL paths first (a list ended by a
     * NULL url; NULL: none), answered with the UI's Content-Security-Policy
     * csp (http_guard.h).  The strings must outlive the server. */
    const http_static *files;
    const char *csp;
    /* Called on the main thread for each serving thread before any serves
     * (db: its read connection); an error stops the start. */
    jc_err (*thread_start)(int index, jc_conn *db);
    /* Called on serving thread index after every turn of its loop (at
     * least every 200 ms). */
    void (*thread_tick)(int index);
    /* Over TLS (tls.h's certificate loaded before http_server_open): the
     * Strict-Transport-Security max-age on every answer (0: none). */
    int64_t hsts;
} http_server_config;

/* Listens and opens the threads' read connections; serving starts with
 * http_server_run.  On failure msg says why (nothing left open). */
jc_err http_server_open(const http_server_config *cfg, jc_server **out, char *msg, size_t msgsz) JC_MUST_CHECK;
/* Starts the serving threads and returns once http_server_stop was called
 * and every thread has left its loop. */
void http_server_run(jc_server *s);
/* Serves new connections with tls.h's current certificate (after
 * tls_reload; a connection already open keeps its own). */
void http_server_tls_changed(jc_server *s);
/* The requests answered so far, and those answered with a 5xx. */
void http_server_counts(jc_server *s, uint64_t *requests, uint64_t *errors);
/* Asks the serving threads to stop (safe in a signal handler). */
void http_server_stop(void);
/* 1 once http_server_stop was called. */
int http_server_stopping(void);
/* Closes the listening sockets (after http_server_run; s is not freed:
 * late replies of the worker pool may still reach it). */
void http_server_close(jc_server *s);

/* Prometheus text of the requests answered (by status class) and their
 * latency, appended to b. */
jc_err http_server_metrics(jc_server *s, jc_buf *b) JC_MUST_CHECK;

#endif
