/*
 * websession.h -- browser sessions in an HttpOnly cookie with CSRF
 * protection (docs/api.md "Browser sessions").  API clients keep sending
 * "Authorization: Bearer"; api.c's authenticate() falls back to the cookie
 * only when there is no Authorization header, and then requires a matching
 * X-CSRF-Token on every request that is not a GET.
 *
 * The CSRF token is a keyed hash (BLAKE2b keyed with the session's storage
 * hash) of a fixed label: it can be recomputed from the cookie on every
 * request, needs no storage, survives a restart, and does not let anyone
 * log in (it is not the token, and the token cannot be derived from it).
 */
#ifndef JC_WEBSESSION_H
#define JC_WEBSESSION_H

#include "http.h"

#define WEBSESSION_COOKIE "jiceng_session"

/* GET /api/v1/session (the core module's second route table). */
extern const jc_route_table api_websession_routes;

/* The session token carried in the request's "Cookie: jiceng_session=…";
 * 1 with *tok and *len pointing into the header, 0 when there is none. */
int websession_cookie(const jc_req *r, const char **tok, size_t *len);

/* The CSRF token (64 hex characters) of the session with storage hash
 * token_hash. */
void websession_csrf(const char token_hash[65], char out[65]);

/* For a request authenticated by the cookie (r->token_hash set): 1 when it is
 * a GET or carries "X-CSRF-Token" equal to the session's CSRF token;
 * otherwise answers 403 and returns 0. */
int websession_csrf_check(jc_req *r);

/* Login body field "cookie": 1 true, 0 absent/false, -1 not a boolean
 * (answered 400). */
int websession_wants_cookie(jc_req *r);

/* Writes the Set-Cookie value that carries token into out (HttpOnly,
 * SameSite=Strict, Path=/, and Secure when the request came over https or
 * through a proxy saying "X-Forwarded-Proto: https").  0, or -1 when out is
 * too small. */
int websession_cookie_value(const jc_req *r, const char *token, char *out, size_t outsz);

/* The Set-Cookie value that removes the cookie (Max-Age=0). */
extern const char websession_clear_cookie[];

#endif
