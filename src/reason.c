/*
 * reason.c -- writing the platform's sentences as codes with parameters
 * (see reason.h).  No allocation: a code goes into the caller's buffer.
 */
#include "reason.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void put(reason_buf *b, const char *s, size_t len) {
    if (b->cut) return;
    if (b->len + len + 2 > b->n) { /* room for the closing brace and NUL */
        b->cut = 1;
        return;
    }
    memcpy(b->dst + b->len, s, len);
    b->len += len;
    b->dst[b->len] = 0;
}

static void puts_(reason_buf *b, const char *s) { put(b, s, strlen(s)); }

static void put_escaped(reason_buf *b, const char *s) {
    put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p && !b->cut; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\', esc[1] = (char)*p;
            put(b, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            put(b, esc, 6);
        } else {
            put(b, (const char *)p, 1);
        }
    }
    put(b, "\"", 1);
}

static void key(reason_buf *b, const char *k) {
    put(b, ",\"", 2);
    puts_(b, k);
    put(b, "\":", 2);
}

void reason_begin(reason_buf *b, char *dst, size_t n, const char *code) {
    b->dst = dst, b->n = n, b->len = 0, b->cut = 0;
    dst[0] = 0;
    puts_(b, "{\"code\":\"");
    puts_(b, code);
    put(b, "\"", 1);
    b->code_end = b->len;
}

void reason_str(reason_buf *b, const char *k, const char *val) {
    key(b, k);
    if (val) put_escaped(b, val);
    else puts_(b, "null");
}

void reason_int(reason_buf *b, const char *k, int64_t v) {
    char num[24];
    snprintf(num, sizeof num, "%" PRId64, v);
    key(b, k);
    puts_(b, num);
}

void reason_raw(reason_buf *b, const char *k, const char *raw) {
    key(b, k);
    puts_(b, raw);
}

const char *reason_end(reason_buf *b) {
    if (b->cut) b->len = b->code_end; /* the code alone, its parameters dropped */
    b->dst[b->len++] = '}';
    b->dst[b->len] = 0;
    return b->dst;
}

void reason_attach(char *msg, size_t n, reason_buf *b) {
    const char *code = reason_end(b);
    size_t have = strnlen(msg, n), add = strlen(code);
    if (have + 1 + add + 1 > n) return; /* the English message alone */
    msg[have] = REASON_DETAIL_SEP[0];
    memcpy(msg + have + 1, code, add + 1);
}

int reason_is_code(const char *reason) { return reason && !strncmp(reason, "{\"code\":\"", 9); }
