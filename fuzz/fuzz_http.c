/*
 * fuzz_http.c -- libFuzzer target: the HTTP guard's checks on a raw request
 * head (guard_head: h2o's parser, then the framing rules) and on the path.
 */
#include "http_guard.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *why;
    (void)guard_head((const char *)data, size, &why);
    const char *sp = memchr(data, ' ', size);
    if (sp) {
        const char *p = sp + 1, *end = (const char *)data + size, *q = memchr(p, ' ', (size_t)(end - p));
        size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
        (void)guard_path(p, n, 0, &why);
        (void)guard_path(p, n, 1, &why);
    }
    return 0;
}
