/*
 * reason.h -- the platform's own sentences as codes with parameters.
 *
 * What the platform writes for a person to read -- the reason of an audit
 * entry it makes (a reminder, 超时督办, an automatic dispatch), the detail of
 * an error -- is stored as a small JSON object {"code": "...", params...}
 * and written out on reading in the reader's language by the web UI
 * (web/js/reasons.js, the dictionaries' reason.* and errd.* keys).  Names
 * are not stored: department codes, category codes, area codes and user
 * ids are, and the reader's catalogue names them.  docs/audit.md lists the
 * codes.
 *
 * An error's detail travels after the English message, separated by
 * REASON_DETAIL_SEP; http_reply_error and deferred messages send it as
 * "detail" beside "message" (src/server.c).
 */
#ifndef JC_REASON_H
#define JC_REASON_H

#include "jc.h"

#include <stddef.h>
#include <stdint.h>

#define REASON_DETAIL_SEP "\x1f"

/* A code being written into a caller's buffer.  Writing past the buffer
 * marks it cut; reason_end then leaves {"code":"<code>"} alone. */
typedef struct {
    char *dst;
    size_t n, len;
    size_t code_end; /* length of {"code":"<code>" */
    int cut;
} reason_buf;

/* Starts {"code":"<code>" in dst (n bytes, n >= 16); code is letters,
 * digits and '_' (not escaped). */
void reason_begin(reason_buf *b, char *dst, size_t n, const char *code);
/* Adds "key":"val" with val escaped as a JSON string (NULL: null). */
void reason_str(reason_buf *b, const char *key, const char *val);
/* Adds "key":v. */
void reason_int(reason_buf *b, const char *key, int64_t v);
/* Adds "key":<raw>, raw being JSON already (an object made by reason_*). */
void reason_raw(reason_buf *b, const char *key, const char *raw);
/* Closes the object and returns dst. */
const char *reason_end(reason_buf *b);

/* Appends REASON_DETAIL_SEP and the code being built in b to the message
 * msg (n bytes) when it fits (an error's detail; see above). */
void reason_attach(char *msg, size_t n, reason_buf *b);

/* 1 when reason is a code: it starts with {"code":". */
int reason_is_code(const char *reason);

#endif
