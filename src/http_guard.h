/*
 * http_guard.h -- what the server checks and adds around every request,
 * before any handler runs (docs/security.md):
 *
 *   - request framing (RFC 9112 §6.1, §6.3): at most one Content-Length, all
 *     digits; never Content-Length with Transfer-Encoding; one
 *     Transfer-Encoding of exactly "chunked", and none in HTTP/1.0.
 *     Anything else is answered 400 and the connection is closed, so that a
 *     request smuggled behind it is never read;
 *   - the request path: no NUL or control character, raw or percent-encoded,
 *     no malformed escape; a static file's path only of plain characters,
 *     without dot segments or encoded separators;
 *   - security headers on every answer: a Content-Security-Policy (the UI's
 *     own for the web files, "nothing" for the API), X-Content-Type-Options,
 *     X-Frame-Options and frame-ancestors, Referrer-Policy;
 *   - the HTTP/2 policy: no cleartext HTTP/2 (h2c, by prior knowledge or by
 *     Upgrade), see guard_http_config.
 *
 * The checks are pure functions over a list of headers and a path, so that
 * the fuzz targets (fuzz/) drive them without a server.
 */
#ifndef JC_HTTP_GUARD_H
#define JC_HTTP_GUARD_H

#include "jc.h"

typedef struct {
    const char *name; /* any case */
    size_t name_len;
    const char *value;
    size_t value_len;
} guard_header;

/* Checks the message-framing headers of one HTTP/1.x request (http_minor:
 * 0 or 1).  Returns 0 when the framing is unambiguous, -1 otherwise with
 * *why set to a static explanation. */
int guard_framing(const guard_header *h, size_t n, int http_minor, const char **why);

/* Parses a raw HTTP/1 request head buf[0..len) and checks its framing as
 * guard_framing does: 0 ok, -1 with *why (also for a malformed or
 * incomplete head).  For the fuzz target and tests. */
int guard_head(const char *buf, size_t len, const char **why);

/* Checks a raw request path (up to, without, the query).  static_file asks
 * for the stricter rules of a web file.  0 ok, -1 with *why (static). */
int guard_path(const char *path, size_t len, int static_file, const char **why);

/* The Content-Security-Policy of the web UI into out; tile_url is the map
 * tile template of `serve --tiles` ("" none), whose origin images may come
 * from.  JC_ERR_TOOBIG when out is too small, JC_ERR_INVALID for a tile URL
 * that is not http(s). */
jc_err guard_ui_csp(const char *tile_url, char *out, size_t outsz) JC_MUST_CHECK;

/* Sets who may read the operational figures (/metrics, the sensor metrics
 * and stats) without a login: spec is a comma-separated list of addresses
 * or networks, IPv4 or IPv6 ("127.0.0.0/8,10.2.0.0/16,::1"), or "none".
 * JC_ERR_INVALID for a bad list (nothing changed).  The default is
 * 127.0.0.0/8.  Call before serving. */
jc_err guard_metrics_allow(const char *spec) JC_MUST_CHECK;
/* 1 when the client address addr (text) may read them. */
int guard_metrics_addr_ok(const char *addr);

/* Sets the reverse proxies whose X-Forwarded-For / X-Real-IP is believed
 * (`serve --trusted-proxy`): a list as for guard_metrics_allow, or "none"
 * (the default: the headers are ignored).  JC_ERR_INVALID for a bad list
 * (nothing changed).  Call before serving. */
jc_err guard_trusted_proxies(const char *spec) JC_MUST_CHECK;
/* The client's address of a request from peer (the socket's address as
 * text) with headers h[0..n) into out: peer itself unless it is a trusted
 * proxy; then X-Forwarded-For read from its end (all its lines, the last
 * first), skipping trusted proxies, up to the first address that is not one
 * (or the last that was an address at all); without X-Forwarded-For, a valid
 * X-Real-IP.  Written in the usual spelling (inet_ntop).  JC_ERR_TOOBIG when
 * out is too small. */
jc_err guard_client_addr(const char *peer, const guard_header *h, size_t n, char *out, size_t outsz) JC_MUST_CHECK;

/* ---- the server's side (h2o) -------------------------------------------- */
typedef struct st_h2o_pathconf_t h2o_pathconf_t;
typedef struct st_h2o_globalconf_t h2o_globalconf_t;

/* Sets the server-wide HTTP policy on config: HTTP/1.1 only over cleartext
 * (no h2c). */
void guard_http_config(h2o_globalconf_t *config);

/* Puts the guard in front of pc's handlers (call before registering them)
 * and the security headers on its answers: ui = 1 for the web files (the
 * UI's CSP, given by csp), 0 for the API.  Paths under deny (NULL: none)
 * are answered 404 (what a more specific path did not take).  The strings
 * must outlive the server. */
void guard_register(h2o_pathconf_t *pc, int ui, const char *csp, const char *deny);

/* 1 when the client of h2o request req (an h2o_req_t *) may read the
 * operational figures without a login (guard_metrics_allow). */
int guard_metrics_peer(void *req);
/* The client address of h2o request req as text into out ("" when unknown):
 * its peer, or behind a trusted proxy the address it forwarded
 * (guard_client_addr). */
void guard_client_ip(void *req, char *out, size_t outsz);

#endif
