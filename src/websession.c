/*
 * websession.c -- the browser's session cookie and its CSRF token (see
 * websession.h), and GET /api/v1/session: who is logged in on this browser,
 * with the CSRF token, so a reloaded page finds its login again without ever
 * holding the session token in script-readable storage.
 */
#include "websession.h"
#include "tls.h"
#include "auth.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char websession_clear_cookie[] =
    WEBSESSION_COOKIE "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0";

int websession_cookie(const jc_req *r, const char **tok, size_t *len) {
    const char *v;
    size_t n;
    if (!http_header(r, "cookie", &v, &n)) return 0;
    static const char name[] = WEBSESSION_COOKIE "=";
    const size_t nl = sizeof name - 1;
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == ';')) i++;
        size_t end = i;
        while (end < n && v[end] != ';') end++;
        if (end - i >= nl && !memcmp(v + i, name, nl)) {
            *tok = v + i + nl;
            *len = end - i - nl;
            while (*len && (*tok)[*len - 1] == ' ') (*len)--;
            return 1;
        }
        i = end;
    }
    return 0;
}

void websession_csrf(const char token_hash[65], char out[65]) {
    static const char label[] = "jiceng csrf v1";
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)label, sizeof label - 1,
                       (const unsigned char *)token_hash, 64);
    jc_hex(h, sizeof h, out);
}

int websession_csrf_check(jc_req *r) {
    if (!strcmp(r->method, "GET")) return 1;
    char want[65];
    websession_csrf(r->token_hash, want);
    const char *v;
    size_t n;
    if (http_header(r, "x-csrf-token", &v, &n) && n == 64 && sodium_memcmp(v, want, 64) == 0) return 1;
    http_reply_error(r, JC_ERR_DENIED,
                     "missing or wrong X-CSRF-Token: a request authenticated by the session cookie must "
                     "send the csrf value of POST or GET /api/v1/session");
    return 0;
}

int websession_wants_cookie(jc_req *r) {
    json_t *v = r->json ? json_object_get(r->json, "cookie") : NULL;
    if (!v) return 0;
    if (!json_is_boolean(v)) {
        http_reply_error(r, JC_ERR_INVALID, "field 'cookie' must be true or false");
        return -1;
    }
    return json_is_true(v);
}

int websession_cookie_value(const jc_req *r, const char *token, char *out, size_t outsz) {
    const char *v;
    size_t n;
    /* over TLS: served by jiceng itself (tls.h), or by a proxy that says so */
    int secure = tls_ctx() != NULL ||
                 (http_header(r, "x-forwarded-proto", &v, &n) && n == 5 && !strncasecmp(v, "https", 5));
    int k = snprintf(out, outsz, "%s=%s; HttpOnly; SameSite=Strict; Path=/%s", WEBSESSION_COOKIE, token,
                     secure ? "; Secure" : "");
    return k < 0 || (size_t)k >= outsz ? -1 : 0;
}

/* GET /api/v1/session: {"user", "csrf", "via"} of the session presented by
 * the cookie (or a Bearer token), {"user": null} when there is none.  Public,
 * so that a page opened without a login gets a plain answer and no 401. */
static void h_session_get(jc_req *r) {
    const char *v, *tok = NULL;
    size_t n, tlen = 0;
    const char *via = "cookie";
    if (http_header(r, "authorization", &v, &n) && n >= 7 && !strncasecmp(v, "Bearer ", 7)) {
        tok = v + 7;
        tlen = n - 7;
        via = "bearer";
    } else if (!websession_cookie(r, &tok, &tlen)) {
        tok = NULL;
    }
    jc_user u;
    char hash[65];
    if (!tok || auth_token_hash(tok, tlen, hash) != JC_OK ||
        store_session_user(r->db, hash, jc_real_ms(), &u) != JC_OK)
        return http_reply_json(r, 200, json_pack("{s:n,s:n}", "user", "csrf"));
    char csrf[65];
    websession_csrf(hash, csrf);
    http_reply_json(r, 200, json_pack("{s:o,s:s,s:s}", "user", api_user_json(&u), "csrf", csrf, "via", via));
}

static const jc_route websession_routes[] = {
    {"GET", "/api/v1/session", h_session_get, ACCESS_PUBLIC, NULL},
};

const jc_route_table api_websession_routes = {websession_routes, JC_ARRAY_LEN(websession_routes)};
