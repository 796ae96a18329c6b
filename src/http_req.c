/*
 * http_req.c -- helpers for route handlers (http.h): the query string, the
 * fields of a JSON body, path parameters, and handing a write to the
 * writer.  Pure functions of the jc_req and the reply calls; no h2o.
 */
#include "http.h"
#include "reason.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- query strings ------------------------------------------------------- */

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

/* ---- body fields and path parameters --------------------------------------- */

/* Answers 400 with message and a detail code naming the field (src/reason.h):
 * the UI words it in the reader's language. */
static void field_error(jc_req *r, const char *code, const char *key, const char *lo, const char *hi,
                        const char *fmt, ...) JC_PRINTF(6, 7);
static void field_error(jc_req *r, const char *code, const char *key, const char *lo, const char *hi,
                        const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char detail[160];
    reason_buf b;
    reason_begin(&b, detail, sizeof detail, code);
    reason_str(&b, "field", key);
    if (lo) reason_str(&b, "min", lo);
    if (hi) reason_str(&b, "max", hi);
    reason_attach(msg, sizeof msg, &b);
    http_reply_error(r, JC_ERR_INVALID, "%s", msg);
}

/* Reads an optional string field: 0 absent, 1 present (*out set), -1 error
 * already answered.  Limits are in characters (code points). */
int api_get_str(jc_req *r, const char *key, size_t max_chars, const char **out) {
    json_t *v = json_object_get(r->json, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v)) {
        field_error(r, "field_type", key, NULL, NULL, "field '%s' must be a string", key);
        return -1;
    }
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v)) {
        http_reply_error(r, JC_ERR_INVALID, "field '%s' contains a NUL character", key);
        return -1;
    }
    if (jc_utf8_len(s) > max_chars) {
        char n[24];
        snprintf(n, sizeof n, "%zu", max_chars);
        field_error(r, "field_too_long", key, NULL, n, "field '%s' is longer than %zu characters", key, max_chars);
        return -1;
    }
    *out = s;
    return 1;
}

int api_need_str(jc_req *r, const char *key, size_t max_chars, const char **out) {
    int k = api_get_str(r, key, max_chars, out);
    if (k == 0 || (k == 1 && !**out)) {
        field_error(r, "field_required", key, NULL, NULL, "field '%s' is required", key);
        return -1;
    }
    return k;
}

int api_get_num(jc_req *r, const char *key, double lo, double hi, double *out) {
    json_t *v = json_object_get(r->json, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_number(v)) {
        field_error(r, "field_number", key, NULL, NULL, "field '%s' must be a number", key);
        return -1;
    }
    double d = json_number_value(v);
    if (!isfinite(d) || d < lo || d > hi) {
        char a[32], b[32];
        snprintf(a, sizeof a, "%g", lo);
        snprintf(b, sizeof b, "%g", hi);
        field_error(r, "field_range", key, a, b, "field '%s' must be between %g and %g", key, lo, hi);
        return -1;
    }
    *out = d;
    return 1;
}

int api_get_int(jc_req *r, const char *key, int64_t lo, int64_t hi, int64_t *out) {
    json_t *v = json_object_get(r->json, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_integer(v)) {
        field_error(r, "field_integer", key, NULL, NULL, "field '%s' must be an integer", key);
        return -1;
    }
    int64_t d = json_integer_value(v);
    if (d < lo || d > hi) {
        char a[24], b[24];
        snprintf(a, sizeof a, "%lld", (long long)lo);
        snprintf(b, sizeof b, "%lld", (long long)hi);
        field_error(r, "field_range", key, a, b, "field '%s' is out of range", key);
        return -1;
    }
    *out = d;
    return 1;
}

int api_get_time(jc_req *r, const char *key, int64_t *out) {
    const char *s;
    int k = api_get_str(r, key, 40, &s);
    if (k <= 0) return k;
    if (jc_parse_time(s, out) != JC_OK) {
        field_error(r, "field_time", key, NULL, NULL, "field '%s' must be an ISO-8601 time", key);
        return -1;
    }
    return 1;
}

void api_deny_scope(jc_req *r, const char *area, const char *scope) {
    char msg[300], code[160];
    snprintf(msg, sizeof msg, "area %s is outside your scope %s", area, scope);
    reason_buf b;
    reason_begin(&b, code, sizeof code, "out_of_scope");
    reason_str(&b, "area", area);
    reason_str(&b, "scope", scope);
    reason_attach(msg, sizeof msg, &b);
    http_reply_error(r, JC_ERR_DENIED, "%s", msg);
}

int api_param_id(jc_req *r, int i, int64_t *id) {
    if (i >= r->nparams || case_number_parse(r->params[i], id) != JC_OK) {
        http_reply_error(r, JC_ERR_NOTFOUND, "no such id");
        return -1;
    }
    return 0;
}

/* ---- writes ---------------------------------------------------------------- */

void api_defer(jc_req *r, jc_err (*run)(jc_conn *, jc_deferred *), void *data, void (*free_data)(void *)) {
    jc_deferred *d = http_deferred_new(r);
    if (!d) {
        if (free_data) free_data(data);
        http_reply_error(r, JC_ERR_NOMEM, "out of memory");
        return;
    }
    d->run = run;
    d->data = data;
    d->free_data = free_data;
    http_defer(r, d);
}
