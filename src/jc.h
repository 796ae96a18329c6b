/*
 * jc.h -- the vocabulary shared by every jiceng module.
 *
 * One error enum for the whole program (jc_err), one logging macro (jc_log),
 * time helpers (UTC milliseconds, shown in Asia/Shanghai), a growable string
 * buffer with a hard cap, and small checked string helpers.  Every fallible
 * function returns a jc_err and delivers results through out-parameters; on
 * failure the state it was given is unchanged.
 */
#ifndef JC_H
#define JC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define JC_VERSION "0.1.0"
#define JC_MUST_CHECK __attribute__((warn_unused_result))
#define JC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define JC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

typedef enum {
    JC_OK = 0,
    JC_ERR_NOMEM,       /* allocation failed */
    JC_ERR_INVALID,     /* bad input: malformed, wrong type, out of range */
    JC_ERR_NOTFOUND,    /* unknown id */
    JC_ERR_AUTH,        /* not authenticated (missing/forged/expired token) */
    JC_ERR_DENIED,      /* authenticated but the role/scope may not do this */
    JC_ERR_CONFLICT,    /* illegal state transition, duplicate name ... */
    JC_ERR_TOOBIG,      /* input larger than its cap */
    JC_ERR_IO,          /* file or socket error */
    JC_ERR_DB,          /* storage engine error */
    JC_ERR_CORRUPT,     /* a failed integrity check (audit chain, model file) */
    JC_ERR_UNAVAILABLE, /* shutting down, queue full, dependency down */
    JC_ERR_INTERNAL,    /* a bug: an invariant did not hold */
    JC_ERR_NOSPACE      /* the disk is full: nothing was written */
} jc_err;

/* Stable machine-readable code of an error ("invalid", "not_found" ...). */
const char *jc_err_code(jc_err e);
/* The HTTP status that answers an error (400, 404, 401, 403, 409 ...). */
int jc_err_http_status(jc_err e);

/* ---- logging ---------------------------------------------------------- */
enum { JC_LOG_DEBUG = 0, JC_LOG_INFO = 1, JC_LOG_WARN = 2, JC_LOG_ERROR = 3 };
extern int jc_log_level;
void jc__log(int level, const char *fmt, ...) JC_PRINTF(2, 3);
/* Arguments are evaluated only when the level is enabled. */
#define jc_log(level, ...)                                                    \
    do {                                                                      \
        if ((level) >= jc_log_level) jc__log((level), __VA_ARGS__);           \
    } while (0)

/* ---- time ------------------------------------------------------------- */
/* Milliseconds since the Unix epoch, UTC: the platform's clock.  Normally
 * real time; a demo or simulation may run it faster from a chosen start
 * (jc_clock_set), so that deadlines, escalations and dashboards of a month
 * play out in half an hour.  Sessions and latencies use jc_real_ms. */
int64_t jc_now_ms(void);
/* Real wall-clock milliseconds, never accelerated. */
int64_t jc_real_ms(void);
/* From real instant real0_ms on, jc_now_ms() = start_ms + (real - real0) *
 * speed.  speed <= 0 restores real time.  Thread-safe. */
void jc_clock_set(int64_t start_ms, int64_t real0_ms, double speed);
/* Like jc_clock_set; with until_real the simulated clock, once it has
 * caught up with real time, stays on real time: a replay of the past that
 * reaches "now" hands over without a jump, in every process that reads the
 * same setting at the same instant (issue 23, one clock). */
void jc_clock_set_until_real(int64_t start_ms, int64_t real0_ms, double speed, int until_real);
/* The current setting; speed 0 means real time. */
void jc_clock_get(int64_t *start_ms, int64_t *real0_ms, double *speed);
/* 1 when the setting hands over to real time once it catches up. */
int jc_clock_until_real(void);
/* Writes "2026-11-27T13:06:27.123Z" into out (at least 32 bytes). */
void jc_fmt_utc(int64_t ms, char *out, size_t outsz);
/* Writes "2026-11-27 21:06" (Asia/Shanghai, UTC+8, no DST since 1991). */
void jc_fmt_local(int64_t ms, char *out, size_t outsz);
/* Parses ISO-8601 "YYYY-MM-DD[THH:MM[:SS[.mmm]]][Z|+hh:mm]"; a time without
 * a zone is Asia/Shanghai local time.  Returns JC_ERR_INVALID on bad input. */
jc_err jc_parse_time(const char *s, int64_t *out_ms) JC_MUST_CHECK;

/* ---- buffers ---------------------------------------------------------- */
/* A growable byte buffer that refuses to grow past cap (0 = 64 MiB). */
typedef struct {
    char *data; /* NUL-terminated when len > 0; owned by the buffer */
    size_t len, alloc, cap;
} jc_buf;
void jc_buf_init(jc_buf *b, size_t cap);
void jc_buf_free(jc_buf *b);
jc_err jc_buf_append(jc_buf *b, const void *p, size_t n) JC_MUST_CHECK;
jc_err jc_buf_puts(jc_buf *b, const char *s) JC_MUST_CHECK;
jc_err jc_buf_printf(jc_buf *b, const char *fmt, ...) JC_PRINTF(2, 3) JC_MUST_CHECK;
/* Hands the data to the caller (caller frees) and resets the buffer. */
char *jc_buf_take(jc_buf *b);
/* Appends the whole file at path to b (within b's cap).  JC_ERR_IO when it
 * cannot be read, JC_ERR_TOOBIG past the cap. */
jc_err jc_buf_read_file(jc_buf *b, const char *path) JC_MUST_CHECK;

/* ---- strings ---------------------------------------------------------- */
/* strdup that aborts on OOM is NOT offered: callers check NULL. */
char *jc_strdup(const char *s);
/* True when s[0..n) is valid UTF-8 without NUL bytes. */
int jc_utf8_valid(const char *s, size_t n);
/* True when s[0..n) is valid UTF-8 text fit for every output format
 * (XML 1.0 included): no NUL or other C0 control character but tab, line
 * feed and carriage return, and no Unicode noncharacter (U+FDD0..U+FDEF,
 * U+FFFE and U+FFFF of any plane). */
int jc_text_ok(const char *s, size_t n);
/* Number of Unicode code points in a valid UTF-8 string. */
size_t jc_utf8_len(const char *s);
/* The length of the longest prefix of s[0..n) of at most max bytes that
 * ends on a whole UTF-8 character (a lead byte is never separated from its
 * continuation bytes). */
size_t jc_utf8_cut(const char *s, size_t n, size_t max);
/* Copies the string src into dst[dstsz] (NUL-terminated when dstsz > 0).
 * JC_OK when all of it fits; JC_ERR_TOOBIG when it does not: dst then holds
 * the longest prefix that fits, cut on a UTF-8 character boundary.  Use it
 * instead of strcpy/strncpy/snprintf("%s") wherever the length comes from
 * input; callers decide what a cut means (usually: refuse the input). */
jc_err jc_copy(char *dst, size_t dstsz, const char *src) JC_MUST_CHECK;
/* Like jc_copy for src[0..n) (which need not be terminated). */
jc_err jc_copyn(char *dst, size_t dstsz, const char *src, size_t n) JC_MUST_CHECK;
/* snprintf that reports a cut: JC_ERR_TOOBIG (dst holds a prefix cut on a
 * UTF-8 character boundary) or JC_ERR_INVALID on an encoding error. */
jc_err jc_fmt(char *dst, size_t dstsz, const char *fmt, ...) JC_PRINTF(3, 4) JC_MUST_CHECK;
/* jc_fmt for text where a cut is acceptable (a message, a note): cuts on a
 * UTF-8 character boundary and says nothing.  Say why a cut is fine where
 * you call it. */
void jc_fmt_cut(char *dst, size_t dstsz, const char *fmt, ...) JC_PRINTF(3, 4);
/* Parses a whole decimal integer; JC_ERR_INVALID on trailing junk/overflow. */
jc_err jc_parse_i64(const char *s, int64_t *out) JC_MUST_CHECK;
/* Decimal digits of v (with '-' when negative) into out, not terminated;
 * returns their number (at most 20).  For hot paths: no snprintf. */
size_t jc_i64_dec(int64_t v, char out[20]);
/* x as printf's "%.7f" writes it, into out, not terminated; returns the
 * length, or 0 when it cannot be done exactly here (|x| >= 1000, not a
 * number, or x within a hair of a rounding tie): then use snprintf. */
size_t jc_fixed7(double x, char out[24]);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void jc_hex(const unsigned char *p, size_t n, char *out);
/* The n bytes written by jc_hex as the string hex (exactly 2n lower-case
 * hex digits) into out; -1 when hex is anything else. */
int jc_unhex(const char *hex, unsigned char *out, size_t n);

#endif
