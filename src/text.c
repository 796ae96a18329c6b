/*
 * text.c -- normalisation and hashed character n-grams (see text.h).
 *
 * Design notes.
 *  - NFKC with case folding is done by utf8proc, but most of a Chinese
 *    message is CJK ideographs and ASCII, which NFKC leaves alone (ASCII only
 *    lower-cased).  Those take a fast path; every maximal run of other code
 *    points goes through utf8proc_map, together with the code point before
 *    it when the run starts with a combining mark (so "e" + U+0301 composes).
 *    CJK ideographs and ASCII are never the second half of a canonical
 *    composition, so the split is exact.
 *  - After normalisation, letters, marks and numbers are kept; every run of
 *    anything else (punctuation, symbols, spaces, controls) becomes one ' '.
 *  - Grams never span a ' '.  A gram's slot is a 64-bit multiply-xorshift
 *    hash of its code points, its length and a namespace, top `bits` bits.
 */
#include "text.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Normalised output may be longer than the input (NFKC expands a few
 * characters up to 18 code points); this caps the code point buffer. */
#define TEXT_MAX_CPS (4 * TEXT_MAX_BYTES)

text_opts text_opts_default(void) {
    text_opts o = {.min_n = 1, .max_n = 3, .bits = 20, .fold_digits = 1, .ns = 0};
    return o;
}

uint64_t text_fnv1a64(const void *p, size_t n) {
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

/* ---- code point buffer ---------------------------------------------- */

typedef struct {
    uint32_t *v;
    size_t n, cap;
} cpbuf;

static jc_err cp_push(cpbuf *b, uint32_t c) {
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 256;
        if (nc > TEXT_MAX_CPS) nc = TEXT_MAX_CPS;
        if (b->n >= nc) return JC_ERR_TOOBIG;
        uint32_t *nv = realloc(b->v, nc * sizeof *nv);
        if (!nv) return JC_ERR_NOMEM;
        b->v = nv;
        b->cap = nc;
    }
    b->v[b->n++] = c;
    return JC_OK;
}

/* Emits a code point already in NFKC_Casefold form: kept, or collapsed
 * into one separator. */
static jc_err emit_norm(cpbuf *b, uint32_t c) {
    int keep;
    if (c < 0x80) {
        keep = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    } else if (c >= 0x4E00 && c <= 0x9FFF) {
        keep = 1;
    } else {
        utf8proc_category_t cat = utf8proc_category((utf8proc_int32_t)c);
        keep = (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO);
    }
    if (keep) return cp_push(b, c);
    if (b->n == 0 || b->v[b->n - 1] == ' ') return JC_OK;
    return cp_push(b, ' ');
}

static uint32_t decode(const unsigned char *s, size_t *i) {
    uint32_t c = s[*i];
    if (c < 0x80) {
        (*i)++;
        return c;
    }
    int need = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : 3;
    c &= need == 1 ? 0x1F : need == 2 ? 0x0F : 0x07;
    for (int k = 1; k <= need; k++) c = (c << 6) | (s[*i + k] & 0x3F);
    *i += (size_t)need + 1;
    return c;
}

static int fast_cp(uint32_t c) { return c < 0x80 || (c >= 0x4E00 && c <= 0x9FFF); }

/* Runs utf8proc over s[a..b) and emits the result. */
static jc_err slow_run(cpbuf *out, const unsigned char *s, size_t a, size_t b) {
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_ssize_t m = utf8proc_map(s + a, (utf8proc_ssize_t)(b - a), &mapped,
                                      UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
                                          UTF8PROC_CASEFOLD);
    if (m < 0) {
        free(mapped);
        return m == UTF8PROC_ERROR_NOMEM ? JC_ERR_NOMEM : JC_ERR_INVALID;
    }
    jc_err e = JC_OK;
    size_t i = 0;
    while (!e && i < (size_t)m) e = emit_norm(out, decode(mapped, &i));
    free(mapped);
    return e;
}

static jc_err check_input(const char *s, size_t n) {
    if (n > TEXT_MAX_BYTES) return JC_ERR_TOOBIG;
    if (!s && n) return JC_ERR_INVALID;
    if (n && !jc_utf8_valid(s, n)) return JC_ERR_INVALID;
    return JC_OK;
}

static jc_err normalize_cps(const char *str, size_t n, cpbuf *out) {
    jc_err e = check_input(str, n);
    if (e) return e;
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    size_t prev_start = 0;  /* byte offset of the previous input code point */
    size_t prev_out = 0;    /* output length before it was emitted */
    while (i < n && !e) {
        size_t start = i;
        uint32_t c = decode(s, &i);
        if (fast_cp(c)) {
            prev_start = start;
            prev_out = out->n;
            if (c >= 'A' && c <= 'Z') c += 32;
            e = emit_norm(out, c);
            continue;
        }
        /* A slow run: up to the next fast code point. */
        size_t end = i;
        while (end < n) {
            size_t j = end;
            uint32_t d = decode(s, &j);
            if (fast_cp(d)) break;
            end = j;
        }
        const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)c);
        size_t from = start;
        if (p->combining_class != 0 && start > 0) {
            from = prev_start; /* recompose with the previous code point */
            out->n = prev_out;
        }
        e = slow_run(out, s, from, end);
        prev_start = start;
        prev_out = out->n;
        i = end;
    }
    while (!e && out->n && out->v[out->n - 1] == ' ') out->n--;
    return e;
}

jc_err text_codepoints(const char *s, size_t n, uint32_t **cps, size_t *ncps) {
    cpbuf b = {0};
    jc_err e = normalize_cps(s, n, &b);
    if (e) {
        free(b.v);
        return e;
    }
    if (!b.v && !(b.v = malloc(sizeof(uint32_t)))) return JC_ERR_NOMEM;
    *cps = b.v;
    *ncps = b.n;
    return JC_OK;
}

jc_err text_codepoints_buf(const char *s, size_t n, uint32_t **cps, size_t *cap,
                           size_t *ncps) {
    cpbuf b = {*cps, 0, *cap};
    jc_err e = normalize_cps(s, n, &b);
    *cps = b.v;
    *cap = b.cap;
    *ncps = e ? 0 : b.n;
    return e;
}

size_t text_cp_to_utf8(const uint32_t *cp, int len, char *out, size_t outsz) {
    size_t o = 0;
    if (!outsz) return 0;
    for (int k = 0; k < len; k++) {
        char tmp[4];
        size_t m = (size_t)utf8proc_encode_char((utf8proc_int32_t)cp[k], (utf8proc_uint8_t *)tmp);
        if (o + m + 1 > outsz) break;
        memcpy(out + o, tmp, m);
        o += m;
    }
    out[o] = 0;
    return o;
}

jc_err text_normalize(const char *s, size_t n, char **out, size_t *outlen) {
    uint32_t *cps = NULL;
    size_t ncps = 0;
    jc_err e = text_codepoints(s, n, &cps, &ncps);
    if (e) return e;
    size_t cap = ncps * 4 + 1;
    char *r = malloc(cap);
    if (!r) {
        free(cps);
        return JC_ERR_NOMEM;
    }
    size_t o = 0;
    for (size_t k = 0; k < ncps; k++)
        o += (size_t)utf8proc_encode_char((utf8proc_int32_t)cps[k], (utf8proc_uint8_t *)r + o);
    r[o] = 0;
    free(cps);
    *out = r;
    if (outlen) *outlen = o;
    return JC_OK;
}

/* ---- grams ---------------------------------------------------------- */

static inline uint64_t mix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static inline uint32_t fold(uint32_t c, int fold_digits) {
    return (fold_digits && c >= '1' && c <= '9') ? '0' : c;
}

uint32_t text_gram_slot(const uint32_t *cp, int len, const text_opts *o) {
    uint64_t h = 0x9E3779B97F4A7C15ULL * ((uint64_t)o->ns + 1) + (uint64_t)len;
    for (int k = 0; k < len; k++) h = (h ^ fold(cp[k], o->fold_digits)) * 0x100000001b3ULL;
    return (uint32_t)(mix64(h) >> (64 - o->bits));
}

size_t text_grams_cp(const uint32_t *cps, size_t n, const text_opts *o, text_gram_fn fn,
                     void *ctx) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (cps[i] == ' ') continue;
        for (int len = o->min_n; len <= o->max_n; len++) {
            if (i + (size_t)len > n || cps[i + (size_t)len - 1] == ' ') break;
            fn(ctx, text_gram_slot(cps + i, len, o), cps + i, len);
            count++;
        }
    }
    return count;
}

/* ---- counter -------------------------------------------------------- */

struct text_counter {
    uint32_t *keys;   /* slot + 1, 0 = empty */
    uint32_t *counts;
    uint32_t *used;   /* positions in use, in insertion order */
    size_t nused, mask;
};

text_counter *text_counter_new(void) {
    text_counter *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    size_t cap = 1024;
    c->keys = calloc(cap, sizeof *c->keys);
    c->counts = calloc(cap, sizeof *c->counts);
    c->used = malloc(cap / 2 * sizeof *c->used);
    if (!c->keys || !c->counts || !c->used) {
        text_counter_free(c);
        return NULL;
    }
    c->mask = cap - 1;
    return c;
}

void text_counter_free(text_counter *c) {
    if (!c) return;
    free(c->keys);
    free(c->counts);
    free(c->used);
    free(c);
}

void text_counter_reset(text_counter *c) {
    for (size_t i = 0; i < c->nused; i++) c->keys[c->used[i]] = 0;
    c->nused = 0;
}

static jc_err counter_grow(text_counter *c) {
    size_t cap = (c->mask + 1) * 2;
    uint32_t *keys = calloc(cap, sizeof *keys), *counts = calloc(cap, sizeof *counts);
    uint32_t *used = malloc(cap / 2 * sizeof *used);
    if (!keys || !counts || !used) {
        free(keys), free(counts), free(used);
        return JC_ERR_NOMEM;
    }
    size_t mask = cap - 1;
    for (size_t i = 0; i < c->nused; i++) {
        uint32_t k = c->keys[c->used[i]];
        size_t p = (k * 0x9E3779B1u) & mask;
        while (keys[p]) p = (p + 1) & mask;
        keys[p] = k;
        counts[p] = c->counts[c->used[i]];
        used[i] = (uint32_t)p;
    }
    free(c->keys), free(c->counts), free(c->used);
    c->keys = keys, c->counts = counts, c->used = used, c->mask = mask;
    return JC_OK;
}

typedef struct {
    text_counter *c;
    jc_err err;
} add_ctx;

static void add_gram(void *vctx, uint32_t slot, const uint32_t *cp, int len) {
    (void)cp, (void)len;
    add_ctx *a = vctx;
    text_counter *c = a->c;
    if (a->err) return;
    uint32_t k = slot + 1;
    size_t p = (k * 0x9E3779B1u) & c->mask;
    while (c->keys[p]) {
        if (c->keys[p] == k) {
            c->counts[p]++;
            return;
        }
        p = (p + 1) & c->mask;
    }
    c->keys[p] = k;
    c->counts[p] = 1;
    c->used[c->nused++] = (uint32_t)p;
    if (c->nused * 2 >= c->mask + 1) a->err = counter_grow(c);
}

jc_err text_counter_add(text_counter *c, const uint32_t *cps, size_t n, const text_opts *o) {
    add_ctx a = {c, JC_OK};
    text_grams_cp(cps, n, o, add_gram, &a);
    return a.err;
}

jc_err text_counter_vec(const text_counter *c, text_vec *v) {
    if (v->cap < c->nused) {
        size_t nc = c->nused < 64 ? 64 : c->nused;
        text_feat *nf = realloc(v->f, nc * sizeof *nf);
        if (!nf) return JC_ERR_NOMEM;
        v->f = nf;
        v->cap = nc;
    }
    for (size_t i = 0; i < c->nused; i++) {
        v->f[i].slot = c->keys[c->used[i]] - 1;
        v->f[i].val = (float)c->counts[c->used[i]];
    }
    v->n = c->nused;
    return JC_OK;
}

void text_vec_free(text_vec *v) {
    if (!v) return;
    free(v->f);
    v->f = NULL;
    v->n = v->cap = 0;
}

jc_err text_count(const char *s, size_t n, const text_opts *o, text_vec *v) {
    v->n = 0;
    uint32_t *cps = NULL;
    size_t ncps = 0;
    jc_err e = text_codepoints(s, n, &cps, &ncps);
    if (e) return e;
    text_counter *c = text_counter_new();
    if (!c) {
        free(cps);
        return JC_ERR_NOMEM;
    }
    e = text_counter_add(c, cps, ncps, o);
    if (!e) e = text_counter_vec(c, v);
    if (e) v->n = 0;
    text_counter_free(c);
    free(cps);
    return e;
}
