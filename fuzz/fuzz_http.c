/*
 * fuzz_http.c -- libFuzzer target: the HTTP guard's checks on a raw request
 * head (guard_head: h2o's parser, then the framing rules), on the path, and
 * the client address read from its X-Forwarded-For / X-Real-IP lines behind
 * a trusted proxy (guard_client_addr).
 */
#include "http_guard.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The head's "name: value" lines after the request line into h (at most
 * cap); the number found. */
static size_t header_lines(const char *p, const char *end, guard_header *h, size_t cap) {
    size_t n = 0;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    while (nl && n < cap) {
        p = nl + 1;
        nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *colon = memchr(p, ':', (size_t)(le - p));
        if (!colon) continue;
        const char *v = colon + 1;
        size_t vl = (size_t)(le - v);
        if (vl && v[vl - 1] == '\r') vl--;
        h[n++] = (guard_header){p, (size_t)(colon - p), v, vl};
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int once;
    if (!once++ && guard_trusted_proxies("127.0.0.1,10.0.0.0/8,fd00::/8")) abort();
    const char *why;
    (void)guard_head((const char *)data, size, &why);
    const char *sp = memchr(data, ' ', size);
    if (sp) {
        const char *p = sp + 1, *end = (const char *)data + size, *q = memchr(p, ' ', (size_t)(end - p));
        size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
        (void)guard_path(p, n, 0, &why);
        (void)guard_path(p, n, 1, &why);
    }
    guard_header h[32];
    size_t n = header_lines((const char *)data, (const char *)data + size, h, 32);
    char out[64];
    if (guard_client_addr("127.0.0.1", h, n, out, sizeof out) == JC_OK && strlen(out) >= sizeof out) abort();
    return 0;
}
