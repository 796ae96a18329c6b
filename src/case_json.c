/*
 * case_json.c -- the JSON view of a case, written straight into a buffer.
 *
 * A case is the answer of the busiest endpoints (a report, an action), so its
 * view is written as text in one pass instead of being built as a jansson
 * tree and dumped: case_json_text is the one definition of the view, and
 * case_to_json (for answers that embed a case in a larger document) parses
 * its text.  Strings are escaped as RFC 8259 requires (", \ and the control
 * characters); the stored texts are valid UTF-8 (checked on input), so
 * other bytes are copied as they are.  Numbers: integers in decimal, the
 * coordinates with 12 significant digits, as the server's other answers.
 */
#include "case.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A buffer writer whose first error sticks, so the view is written without
 * a check after every piece. */
typedef struct {
    jc_buf *b;
    jc_err e;
} out_t;

static void put(out_t *o, const char *s, size_t n) {
    jc_buf *b = o->b;
    if (o->e) return;
    if (b->alloc > b->len + n && n <= b->cap - b->len) { /* room: no call */
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = 0;
        return;
    }
    o->e = jc_buf_append(b, s, n);
}

#define PUT_LIT(o, lit) put((o), (lit), sizeof(lit) - 1)

static void put_str(out_t *o, const char *s) {
    PUT_LIT(o, "\"");
    const char *run = s;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        put(o, run, (size_t)(p - run));
        run = p + 1;
        char esc[8];
        switch (c) {
        case '"': PUT_LIT(o, "\\\""); break;
        case '\\': PUT_LIT(o, "\\\\"); break;
        case '\b': PUT_LIT(o, "\\b"); break;
        case '\f': PUT_LIT(o, "\\f"); break;
        case '\n': PUT_LIT(o, "\\n"); break;
        case '\r': PUT_LIT(o, "\\r"); break;
        case '\t': PUT_LIT(o, "\\t"); break;
        default:
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(o, esc, 6);
        }
    }
    put(o, run, strlen(run));
    PUT_LIT(o, "\"");
}

/* ,"key": */
static void put_key(out_t *o, const char *key) {
    PUT_LIT(o, ",\"");
    put(o, key, strlen(key));
    PUT_LIT(o, "\":");
}

static void put_i64(out_t *o, int64_t v) {
    char n[20];
    put(o, n, jc_i64_dec(v, n));
}

/* An id, or null when 0 (not set). */
static void put_id(out_t *o, int64_t v) {
    if (v) put_i64(o, v);
    else PUT_LIT(o, "null");
}

/* A real as the server's other answers write it (12 significant digits,
 * always with a '.' or an exponent so that it reads back as a real). */
static void put_real(out_t *o, double v) {
    if (!isfinite(v)) {
        PUT_LIT(o, "null");
        return;
    }
    char n[40];
    int len = snprintf(n, sizeof n, "%.12g", v);
    if (len < 0 || (size_t)len >= sizeof n - 2) {
        PUT_LIT(o, "null");
        return;
    }
    if (!strpbrk(n, ".eE")) n[len++] = '.', n[len++] = '0', n[len] = 0;
    put(o, n, (size_t)len);
}

static void put_time(out_t *o, int64_t ms) {
    char ts[40];
    jc_fmt_utc(ms, ts, sizeof ts);
    put_str(o, ts);
}

jc_err case_json_text(jc_buf *b, const jc_case *k, const jc_user *viewer, int unmasked) {
    out_t o = {b, JC_OK};
    char no[40], phone[32];
    case_number(k, no, sizeof no);
    PUT_LIT(&o, "{\"id\":");
    put_i64(&o, k->id);
    put_key(&o, "no"), put_str(&o, no);
    put_key(&o, "title"), put_str(&o, k->title ? k->title : "");
    put_key(&o, "body"), put_str(&o, k->body ? k->body : "");
    put_key(&o, "category"), put_str(&o, k->category);
    put_key(&o, "source"), put_str(&o, k->source);
    put_key(&o, "state"), put_str(&o, state_name(k->state));
    put_key(&o, "area"), put_str(&o, k->area);
    if (k->has_point) {
        put_key(&o, "lon"), put_real(&o, k->lon);
        put_key(&o, "lat"), put_real(&o, k->lat);
    }
    if (k->address) put_key(&o, "address"), put_str(&o, k->address);
    put_key(&o, "reporter_id"), put_id(&o, k->reporter_id);
    if (k->phone[0]) {
        int own = viewer && viewer->role == ROLE_RESIDENT && viewer->id == k->reporter_id;
        if (unmasked || own) snprintf(phone, sizeof phone, "%s", k->phone);
        else case_mask_phone(k->phone, phone, sizeof phone);
        put_key(&o, "phone"), put_str(&o, phone);
    }
    put_key(&o, "dept_id"), put_id(&o, k->dept_id);
    put_key(&o, "priority"), put_i64(&o, k->priority);
    put_key(&o, "deadline");
    if (k->deadline_ms) put_time(&o, k->deadline_ms);
    else PUT_LIT(&o, "null");
    if (k->held_from < ST__COUNT && (k->state == ST_SUSPENDED || k->state == ST_DEFERRED))
        put_key(&o, "held_from"), put_str(&o, state_name(k->held_from));
    if (k->merged_into) put_key(&o, "merged_into"), put_i64(&o, k->merged_into);
    put_key(&o, "escalation"), put_i64(&o, k->escalation);
    put_key(&o, "rating");
    if (k->rating[0]) put_str(&o, k->rating);
    else PUT_LIT(&o, "null");
    if (k->extra) {
        /* stored by the program as JSON; written again compact, and left
         * out (as before) should it not parse */
        json_t *x = json_loads(k->extra, 0, NULL);
        char *xs = x ? json_dumps(x, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
        if (xs) put_key(&o, "extra"), put(&o, xs, strlen(xs));
        free(xs);
        json_decref(x);
    }
    put_key(&o, "created_at"), put_time(&o, k->created_ms);
    put_key(&o, "updated_at"), put_time(&o, k->updated_ms);
    put_key(&o, "version"), put_i64(&o, k->version);
    put_key(&o, "flags");
    PUT_LIT(&o, "[");
    static const char *flag_names[] = {"ownerless", "unlocated", "overdue", "reminded", "whistle", "duplicate"};
    int first = 1;
    for (size_t i = 0; i < JC_ARRAY_LEN(flag_names); i++)
        if (k->flags & (1u << i)) {
            if (!first) PUT_LIT(&o, ",");
            put_str(&o, flag_names[i]);
            first = 0;
        }
    PUT_LIT(&o, "]");
    put_key(&o, "assignee_id"), put_id(&o, k->assignee_id);
    PUT_LIT(&o, "}");
    return o.e;
}

json_t *case_to_json(const jc_case *k, const jc_user *viewer, int unmasked) {
    jc_buf b;
    jc_buf_init(&b, 0);
    json_t *o = NULL;
    if (case_json_text(&b, k, viewer, unmasked) == JC_OK) o = json_loadb(b.data, b.len, 0, NULL);
    jc_buf_free(&b);
    return o ? o : json_object();
}
