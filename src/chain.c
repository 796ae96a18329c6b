/*
 * chain.c -- the arithmetic of the audit hash chain (chain.h): the hash of
 * an entry, of a case row, of a payload.  Pure functions over rows; the
 * storage backends call them when they append, audit.c when it verifies.
 */
#include "chain.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASH_LEN 32

/* The hashed stream: each field is its length (8 bytes, little-endian) and
 * its bytes.  The fields are gathered in a buffer; a stream that fits it
 * (every entry but one with a reason of kilobytes, most case rows) is
 * hashed in one call, as the bound of bench/bench_blake2b.c is measured,
 * a longer one through BLAKE2b's incremental state in large pieces (an
 * update per 8-byte length cost more than the hashing).  A length is one
 * 8-byte store, not a byte at a time: the per-field loop was 8 % of a
 * verification's CPU time. */
typedef struct {
    crypto_generichash_state st;
    int streaming; /* st holds what did not fit the buffer */
    size_t n;
    unsigned char buf[2048];
} hstream;

static void h_init(hstream *h) {
    h->streaming = 0;
    h->n = 0;
}
static void h_flush(hstream *h) {
    if (!h->streaming) {
        crypto_generichash_init(&h->st, NULL, 0, HASH_LEN);
        h->streaming = 1;
    }
    crypto_generichash_update(&h->st, h->buf, h->n);
    h->n = 0;
}
static void h_bytes(hstream *h, const void *p, size_t n) {
    if (h->n + n > sizeof h->buf) {
        h_flush(h);
        if (n > sizeof h->buf) {
            crypto_generichash_update(&h->st, p, n);
            return;
        }
    }
    memcpy(h->buf + h->n, p, n);
    h->n += n;
}
static inline void put_le64(unsigned char *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &v, 8);
#else
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
#endif
}
static void h_field(hstream *h, const char *s, size_t n) {
    if (h->n + 8 + n <= sizeof h->buf) { /* the common case: both fit */
        put_le64(h->buf + h->n, n);
        if (n) memcpy(h->buf + h->n + 8, s, n);
        h->n += 8 + n;
        return;
    }
    unsigned char len[8];
    put_le64(len, n);
    h_bytes(h, len, 8);
    if (n) h_bytes(h, s, n);
}
static void h_str(hstream *h, const char *s) { h_field(h, s ? s : "", s ? strlen(s) : 0); }
static void h_i64(hstream *h, int64_t v) {
    char b[20];
    h_field(h, b, jc_i64_dec(v, b));
}
static void h_digest(hstream *h, unsigned char d[HASH_LEN]) {
    if (!h->streaming) {
        crypto_generichash(d, HASH_LEN, h->buf, h->n, NULL, 0);
        return;
    }
    if (h->n) crypto_generichash_update(&h->st, h->buf, h->n);
    crypto_generichash_final(&h->st, d, HASH_LEN);
}

void chain_genesis(char out[65]) {
    memset(out, '0', 64);
    out[64] = 0;
}

void chain_entry_hash(const jc_audit *e, char out[65]) {
    /* the same bytes as an entry read for verification: one writer of the
     * format (chain_entry_stream), the hash columns as the texts they are */
    const char *t[JC_AR__COUNT] = {e->actor, e->role, e->action, e->from_state, e->to_state, e->reason};
    jc_audit_raw r = {.seq = e->seq, .case_id = e->case_id, .at_ms = e->at_ms, .actor_id = e->actor_id};
    for (int i = 0; i < JC_AR__COUNT; i++) {
        r.text[i].p = t[i] ? t[i] : "";
        r.text[i].n = strlen(r.text[i].p);
    }
    r.payload_hash.text = e->payload_hash;
    r.state_hash.text = e->state_hash;
    r.prev_hash.text = e->prev_hash;
    unsigned char d[HASH_LEN];
    chain_entry_digest_raw(&r, d);
    jc_hex(d, sizeof d, out);
}

int chain_hash_col_eq(const jc_hash_col *a, const jc_hash_col *b) {
    if (!a->text && !b->text) return !memcmp(a->b, b->b, HASH_LEN);
    /* a hash's hex text is never a column's other text */
    return a->text && b->text && !strcmp(a->text, b->text);
}

void chain_hash_col_from_text(jc_hash_col *h, const char *text) {
    h->text = jc_unhex(text, h->b, HASH_LEN) ? text : NULL;
}

/* Two hex digits per byte, from a table of the 256 pairs. */
static void hex32(const unsigned char *p, unsigned char *out) {
    static char pairs[512];
    static int ready;
    if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
        static const char hx[] = "0123456789abcdef";
        for (int i = 0; i < 256; i++) pairs[2 * i] = hx[i >> 4], pairs[2 * i + 1] = hx[i & 15];
        __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    }
    for (int i = 0; i < HASH_LEN; i++) memcpy(out + 2 * i, pairs + 2 * p[i], 2);
}

static unsigned char *s_field(unsigned char *w, const void *p, size_t n) {
    put_le64(w, n);
    memcpy(w + 8, p, n);
    return w + 8 + n;
}

size_t chain_entry_stream(const jc_audit_raw *e, unsigned char *buf, size_t cap) {
    static const char tag[] = "jiceng-audit-v1";
    char num[4][20];
    size_t nn[4];
    int64_t v[4] = {e->seq, e->case_id, e->at_ms, e->actor_id};
    const jc_hash_col *hc[3] = {&e->payload_hash, &e->state_hash, &e->prev_hash};
    size_t hn[3];
    size_t total = 8 + sizeof tag - 1;
    for (int i = 0; i < 4; i++) total += 8 + (nn[i] = jc_i64_dec(v[i], num[i]));
    for (int i = 0; i < JC_AR__COUNT; i++) total += 8 + e->text[i].n;
    for (int i = 0; i < 3; i++) total += 8 + (hn[i] = hc[i]->text ? strlen(hc[i]->text) : 2 * HASH_LEN);
    if (total > cap) return total;
    unsigned char *w = s_field(buf, tag, sizeof tag - 1);
    for (int i = 0; i < 4; i++) w = s_field(w, num[i], nn[i]);
    for (int i = 0; i < JC_AR__COUNT; i++) w = s_field(w, e->text[i].p, e->text[i].n);
    for (int i = 0; i < 3; i++) {
        if (hc[i]->text) {
            w = s_field(w, hc[i]->text, hn[i]);
        } else {
            put_le64(w, 2 * HASH_LEN);
            hex32(hc[i]->b, w + 8);
            w += 8 + 2 * HASH_LEN;
        }
    }
    return total;
}

void chain_stream_digest(const unsigned char *p, size_t n, unsigned char out[32]) {
    crypto_generichash(out, HASH_LEN, p, n, NULL, 0);
}

void chain_entry_digest_raw(const jc_audit_raw *e, unsigned char out[32]) {
    unsigned char buf[4096];
    size_t n = chain_entry_stream(e, buf, sizeof buf);
    if (n <= sizeof buf) {
        chain_stream_digest(buf, n, out);
        return;
    }
    unsigned char *big = malloc(n); /* a reason of kilobytes: rare */
    if (!big) abort();
    chain_entry_stream(e, big, n);
    chain_stream_digest(big, n, out);
    free(big);
}

void chain_case_digest(const jc_case *k, unsigned char out[32]) {
    hstream h;
    char num[64];
    h_init(&h);
    h_str(&h, "jiceng-case-v1");
    h_i64(&h, k->id);
    h_str(&h, k->title);
    h_str(&h, k->body);
    h_str(&h, k->category);
    h_str(&h, k->source);
    h_str(&h, state_name(k->state));
    h_str(&h, k->area);
    if (k->has_point) {
        size_t a = jc_fixed7(k->lon, num), b = a ? jc_fixed7(k->lat, num + a + 1) : 0;
        if (b) {
            num[a] = ',';
            h_field(&h, num, a + 1 + b);
        } else {
            snprintf(num, sizeof num, "%.7f,%.7f", k->lon, k->lat);
            h_str(&h, num);
        }
    } else {
        h_str(&h, "");
    }
    h_str(&h, k->address);
    h_i64(&h, k->reporter_id);
    h_str(&h, k->phone);
    h_i64(&h, k->dept_id);
    h_i64(&h, k->priority);
    h_i64(&h, k->deadline_ms);
    h_str(&h, k->held_from < ST__COUNT ? state_name(k->held_from) : "");
    h_i64(&h, k->merged_into);
    h_i64(&h, k->escalation);
    h_str(&h, k->rating);
    h_str(&h, k->extra);
    h_i64(&h, k->created_ms);
    h_i64(&h, k->updated_ms);
    h_i64(&h, k->version);
    h_i64(&h, (int64_t)k->flags);
    h_i64(&h, k->assignee_id);
    h_digest(&h, out);
}

void chain_case_hash(const jc_case *k, char out[65]) {
    unsigned char d[HASH_LEN];
    chain_case_digest(k, d);
    jc_hex(d, sizeof d, out);
}

void chain_payload_hash(const void *p, size_t n, char out[65]) {
    unsigned char d[HASH_LEN];
    crypto_generichash(d, sizeof d, p, n, NULL, 0);
    jc_hex(d, sizeof d, out);
}

static char empty_hash[65];
static void hash_empty(void) { chain_payload_hash("", 0, empty_hash); }

const char *chain_empty_payload_hash(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, hash_empty);
    return empty_hash;
}
