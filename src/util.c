/*
 * util.c -- implementation of the shared vocabulary declared in jc.h:
 * error names, logging, time formatting/parsing, buffers and string checks.
 */
#include "jc.h"

#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int jc_log_level = JC_LOG_INFO;

static const struct {
    const char *code;
    int http;
} err_table[] = {
    [JC_OK] = {"ok", 200},
    [JC_ERR_NOMEM] = {"no_memory", 503},
    [JC_ERR_INVALID] = {"invalid", 400},
    [JC_ERR_NOTFOUND] = {"not_found", 404},
    [JC_ERR_AUTH] = {"unauthenticated", 401},
    [JC_ERR_DENIED] = {"forbidden", 403},
    [JC_ERR_CONFLICT] = {"conflict", 409},
    [JC_ERR_TOOBIG] = {"too_large", 413},
    [JC_ERR_IO] = {"io_error", 500},
    [JC_ERR_DB] = {"storage_error", 500},
    [JC_ERR_CORRUPT] = {"corrupt", 500},
    [JC_ERR_UNAVAILABLE] = {"unavailable", 503},
    [JC_ERR_INTERNAL] = {"internal", 500},
    [JC_ERR_NOSPACE] = {"no_space", 507},
};

const char *jc_err_code(jc_err e) {
    if ((size_t)e >= JC_ARRAY_LEN(err_table)) return "internal";
    return err_table[e].code;
}

int jc_err_http_status(jc_err e) {
    if ((size_t)e >= JC_ARRAY_LEN(err_table)) return 500;
    return err_table[e].http;
}

int64_t jc_real_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The simulated clock: a seqlock-free triple guarded by a mutex (set rarely,
 * read often: the read takes the lock only when a simulation is on). */
static pthread_mutex_t clock_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t clock_start, clock_real0;
static double clock_speed;
static int clock_until;
static volatile int clock_on;

void jc_clock_set_until_real(int64_t start_ms, int64_t real0_ms, double speed, int until_real) {
    pthread_mutex_lock(&clock_mu);
    clock_start = start_ms;
    clock_real0 = real0_ms;
    clock_speed = speed > 0 ? speed : 0;
    clock_until = speed > 0 && until_real;
    clock_on = speed > 0;
    pthread_mutex_unlock(&clock_mu);
}

void jc_clock_set(int64_t start_ms, int64_t real0_ms, double speed) {
    jc_clock_set_until_real(start_ms, real0_ms, speed, 0);
}

int jc_clock_until_real(void) {
    pthread_mutex_lock(&clock_mu);
    int v = clock_until;
    pthread_mutex_unlock(&clock_mu);
    return v;
}

void jc_clock_get(int64_t *start_ms, int64_t *real0_ms, double *speed) {
    pthread_mutex_lock(&clock_mu);
    *start_ms = clock_start;
    *real0_ms = clock_real0;
    *speed = clock_speed;
    pthread_mutex_unlock(&clock_mu);
}

int64_t jc_now_ms(void) {
    int64_t real = jc_real_ms();
    if (!clock_on) return real;
    pthread_mutex_lock(&clock_mu);
    int64_t v = clock_on ? clock_start + (int64_t)((double)(real - clock_real0) * clock_speed) : real;
    if (clock_until && v > real) v = real; /* caught up: real time from now on */
    pthread_mutex_unlock(&clock_mu);
    return v;
}

static void fmt_tm(int64_t ms, int offset_s, struct tm *tm) {
    time_t t = (time_t)((ms - ((ms % 1000 + 1000) % 1000)) / 1000) + offset_s;
    gmtime_r(&t, tm);
}

size_t jc_i64_dec(int64_t v, char out[20]) {
    char b[20], *p = b + sizeof b;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0) *--p = '-';
    size_t n = (size_t)(b + sizeof b - p);
    memcpy(out, p, n);
    return n;
}

size_t jc_fixed7(double x, char out[24]) {
    if (!(fabs(x) < 1000)) return 0;
    /* x * 1e7 is within 2.3e-7 of its exact value below 1e10: rounding it
     * is exact unless the fraction is that close to one half */
    double y = fabs(x) * 1e7, f = y - floor(y);
    if (fabs(f - 0.5) < 1e-6) return 0;
    int64_t r = (int64_t)floor(y + 0.5), ip = r / 10000000, fp = r % 10000000;
    size_t n = 0;
    if (signbit(x)) out[n++] = '-';
    n += jc_i64_dec(ip, out + n);
    out[n++] = '.';
    for (int i = 6; i >= 0; i--, fp /= 10) out[n + (size_t)i] = (char)('0' + fp % 10);
    return n + 7;
}

/* Writes v as exactly n decimal digits (0 <= v < 10^n) at p. */
static void put_digits(char *p, int v, int n) {
    for (int i = n - 1; i >= 0; i--, v /= 10) p[i] = (char)('0' + v % 10);
}

/* "YYYY-MM-DD?HH:MM" of tm into out (16 characters, not terminated), sep
 * between date and time; 0 when the year does not fit in four digits. */
static int put_minute(char *out, const struct tm *tm, char sep) {
    int y = tm->tm_year + 1900;
    if (y < 0 || y > 9999) return 0;
    put_digits(out, y, 4), out[4] = '-';
    put_digits(out + 5, tm->tm_mon + 1, 2), out[7] = '-';
    put_digits(out + 8, tm->tm_mday, 2), out[10] = sep;
    put_digits(out + 11, tm->tm_hour, 2), out[13] = ':';
    put_digits(out + 14, tm->tm_min, 2);
    return 1;
}

/* (Digits are written by hand: these run for every case in every answer,
 * and snprintf was a visible share of rendering one.) */
void jc_fmt_utc(int64_t ms, char *out, size_t outsz) {
    struct tm tm;
    fmt_tm(ms, 0, &tm);
    char b[32];
    if (outsz < 25 || !put_minute(b, &tm, 'T')) {
        snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (int)((ms % 1000 + 1000) % 1000));
        return;
    }
    b[16] = ':';
    put_digits(b + 17, tm.tm_sec, 2), b[19] = '.';
    put_digits(b + 20, (int)((ms % 1000 + 1000) % 1000), 3), b[23] = 'Z', b[24] = 0;
    memcpy(out, b, 25);
}

void jc_fmt_local(int64_t ms, char *out, size_t outsz) {
    struct tm tm;
    fmt_tm(ms, 8 * 3600, &tm);
    char b[32];
    if (outsz < 17 || !put_minute(b, &tm, ' ')) {
        snprintf(out, outsz, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min);
        return;
    }
    b[16] = 0;
    memcpy(out, b, 17);
}

static int read_digits(const char **p, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9') return 0;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 1;
}

jc_err jc_parse_time(const char *s, int64_t *out_ms) {
    if (!s) return JC_ERR_INVALID;
    const char *p = s;
    int Y, M, D, h = 0, m = 0, sec = 0, msec = 0, off = 8 * 3600;
    if (!read_digits(&p, 4, &Y) || *p++ != '-' || !read_digits(&p, 2, &M) || *p++ != '-' ||
        !read_digits(&p, 2, &D))
        return JC_ERR_INVALID;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!read_digits(&p, 2, &h) || *p++ != ':' || !read_digits(&p, 2, &m))
            return JC_ERR_INVALID;
        if (*p == ':') {
            p++;
            if (!read_digits(&p, 2, &sec)) return JC_ERR_INVALID;
            if (*p == '.') {
                p++;
                int digits = 0, v = 0;
                while (*p >= '0' && *p <= '9') {
                    if (digits < 3) v = v * 10 + (*p - '0'), digits++;
                    p++;
                }
                if (digits == 0) return JC_ERR_INVALID;
                while (digits < 3) v *= 10, digits++;
                msec = v;
            }
        }
    }
    if (*p == 'Z') {
        off = 0;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (!read_digits(&p, 2, &oh)) return JC_ERR_INVALID;
        if (*p == ':') p++;
        if (!read_digits(&p, 2, &om)) return JC_ERR_INVALID;
        off = sign * (oh * 3600 + om * 60);
    }
    if (*p) return JC_ERR_INVALID;
    if (Y < 1970 || Y > 9999 || M < 1 || M > 12 || D < 1 || h > 23 || m > 59 || sec > 60)
        return JC_ERR_INVALID;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    if (D > mdays[M - 1] + (M == 2 && leap)) return JC_ERR_INVALID;
    struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D,
                    .tm_hour = h, .tm_min = m, .tm_sec = sec};
    time_t t = timegm(&tm);
    *out_ms = ((int64_t)t - off) * 1000 + msec;
    return JC_OK;
}

void jc_buf_init(jc_buf *b, size_t cap) {
    b->data = NULL;
    b->len = b->alloc = 0;
    b->cap = cap ? cap : (size_t)64 << 20;
}

void jc_buf_free(jc_buf *b) {
    if (!b) return;
    free(b->data);
    b->data = NULL;
    b->len = b->alloc = 0;
}

jc_err jc_buf_append(jc_buf *b, const void *p, size_t n) {
    if (n > b->cap || b->len > b->cap - n) return JC_ERR_TOOBIG;
    if (b->len + n + 1 > b->alloc) {
        size_t na = b->alloc ? b->alloc : 256;
        while (na < b->len + n + 1) na *= 2;
        char *nd = realloc(b->data, na);
        if (!nd) return JC_ERR_NOMEM;
        b->data = nd;
        b->alloc = na;
    }
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return JC_OK;
}

jc_err jc_buf_puts(jc_buf *b, const char *s) { return jc_buf_append(b, s, strlen(s)); }

jc_err jc_buf_printf(jc_buf *b, const char *fmt, ...) {
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return JC_ERR_INVALID;
    if ((size_t)n < sizeof small) return jc_buf_append(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big) return JC_ERR_NOMEM;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    jc_err e = jc_buf_append(b, big, (size_t)n);
    free(big);
    return e;
}

char *jc_buf_take(jc_buf *b) {
    char *d = b->data;
    if (!d) d = calloc(1, 1);
    b->data = NULL;
    b->len = b->alloc = 0;
    return d;
}

jc_err jc_buf_read_file(jc_buf *b, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return JC_ERR_IO;
    char chunk[16384];
    size_t n;
    jc_err e = JC_OK;
    while (!e && (n = fread(chunk, 1, sizeof chunk, f)) > 0) e = jc_buf_append(b, chunk, n);
    if (!e && ferror(f)) e = JC_ERR_IO;
    fclose(f);
    return e;
}

char *jc_strdup(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

int jc_utf8_valid(const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c == 0) return 0;
        if (c < 0x80) { i++; continue; }
        size_t need;
        uint32_t cp;
        if ((c & 0xE0) == 0xC0) need = 1, cp = c & 0x1F;
        else if ((c & 0xF0) == 0xE0) need = 2, cp = c & 0x0F;
        else if ((c & 0xF8) == 0xF0) need = 3, cp = c & 0x07;
        else return 0;
        if (i + need >= n) return 0; /* truncated sequence */
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
            (need == 3 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need + 1;
    }
    return 1;
}

int jc_text_ok(const char *str, size_t n) {
    if (!jc_utf8_valid(str, n)) return 0;
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return 0;
            i++;
            continue;
        }
        size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        uint32_t cp = len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
        for (size_t k = 1; k < len; k++) cp = (cp << 6) | (s[i + k] & 0x3F);
        if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE) return 0;
        i += len;
    }
    return 1;
}

size_t jc_utf8_len(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

size_t jc_utf8_cut(const char *s, size_t n, size_t max) {
    if (n <= max) return n;
    size_t k = max;
    /* back up over continuation bytes to the start of the cut character */
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    return k;
}

jc_err jc_copyn(char *dst, size_t dstsz, const char *src, size_t n) {
    if (!dstsz) return JC_ERR_TOOBIG;
    size_t k = jc_utf8_cut(src, n, dstsz - 1);
    memmove(dst, src, k);
    dst[k] = 0;
    return k == n ? JC_OK : JC_ERR_TOOBIG;
}

jc_err jc_copy(char *dst, size_t dstsz, const char *src) {
    return jc_copyn(dst, dstsz, src, strlen(src));
}

jc_err jc_fmt(char *dst, size_t dstsz, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst, dstsz, fmt, ap);
    va_end(ap);
    if (n < 0) {
        if (dstsz) dst[0] = 0;
        return JC_ERR_INVALID;
    }
    if ((size_t)n < dstsz) return JC_OK;
    if (dstsz) {
        /* vsnprintf cut at dstsz - 1 bytes: drop a character it split */
        size_t len = dstsz - 1, p = len;
        while (p > 0 && ((unsigned char)dst[p - 1] & 0xC0) == 0x80) p--;
        if (p > 0 && (unsigned char)dst[p - 1] >= 0xC0) {
            unsigned c = (unsigned char)dst[p - 1];
            size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (p - 1 + need > len) dst[p - 1] = 0;
        }
    }
    return JC_ERR_TOOBIG;
}

void jc_fmt_cut(char *dst, size_t dstsz, const char *fmt, ...) {
    if (!dstsz) return;
    char tmp[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) tmp[0] = 0;
    jc_err cut = jc_copy(dst, dstsz, tmp);
    (void)cut; /* the caller accepts a cut */
}

jc_err jc_parse_i64(const char *s, int64_t *out) {
    if (!s || !*s) return JC_ERR_INVALID;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return JC_ERR_INVALID;
    *out = v;
    return JC_OK;
}

int jc_unhex(const char *hex, unsigned char *out, size_t n) {
    /* digit values + 1, 0 for anything else (the terminator included) */
    static const unsigned char v[256] = {
        ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
        ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16};
    const unsigned char *h = (const unsigned char *)hex;
    for (size_t i = 0; i < n; i++) {
        unsigned hi = v[h[2 * i]], lo;
        if (!hi || !(lo = v[h[2 * i + 1]])) return -1;
        out[i] = (unsigned char)((hi - 1) << 4 | (lo - 1));
    }
    return h[2 * n] ? -1 : 0;
}

void jc_hex(const unsigned char *p, size_t n, char *out) {
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = 0;
}
