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
 *  - Grams never span a ' '.  A gram's slot is an FNV-style hash of its code
 *    points seeded by a namespace, finished by multiply-shift to `bits` bits.
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

int text_utf8_valid(const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n) { /* eight ASCII bytes at once */
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & 0x8080808080808080ULL) &&
                !((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        unsigned c = s[i];
        if (c < 0x80) {
            if (!c) return 0;
            i++;
        } else if (c >= 0xE1 && c <= 0xEC) { /* CJK: a run of plain 3-byte sequences */
            do {
                if (i + 2 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80) return 0;
                i += 3;
            } while (i < n && s[i] >= 0xE1 && s[i] <= 0xEC);
        } else { /* any other sequence: check just this one */
            size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
            if (!len || i + len > n || !jc_utf8_valid(str + i, len)) return 0;
            i += len;
        }
    }
    return 1;
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

/* Common punctuation of Chinese text that NFKC maps to punctuation or space
 * (so it is a separator either way): general punctuation, CJK brackets and
 * marks.  Returns 1 when c is one of them. */
static int fast_sep(uint32_t c) {
    return (c >= 0x2010 && c <= 0x2029) || (c >= 0x2030 && c <= 0x205E) ||
           (c >= 0x3000 && c <= 0x3004) || (c >= 0x3008 && c <= 0x3011) ||
           (c >= 0x3014 && c <= 0x301F);
}

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
    if (n && !text_utf8_valid(s, n)) return JC_ERR_INVALID;
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
        if (c >= 0xFF01 && c <= 0xFF5E) c -= 0xFEE0; /* full-width ASCII: NFKC */
        if (fast_sep(c)) c = ' ';
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
            if (fast_cp(d) || fast_sep(d) || (d >= 0xFF01 && d <= 0xFF5E)) break;
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

static inline uint32_t fold(uint32_t c, int fold_digits) {
    return (fold_digits && c >= '1' && c <= '9') ? '0' : c;
}

static inline uint64_t gram_seed(const text_opts *o) {
    return 0x9E3779B97F4A7C15ULL * ((uint64_t)o->ns + 1);
}
static inline uint64_t gram_step(uint64_t h, uint32_t c, int fold_digits) {
    return (h ^ fold(c, fold_digits)) * 0x100000001b3ULL;
}
static inline uint32_t gram_final(uint64_t h, int len, int bits) {
    h ^= h >> 29; /* FNV's high bits need the low ones folded in */
    return (uint32_t)(((h + (uint64_t)len) * 0x9E3779B97F4A7C15ULL) >> (64 - bits));
}

uint32_t text_gram_slot(const uint32_t *cp, int len, const text_opts *o) {
    uint64_t h = gram_seed(o);
    for (int k = 0; k < len; k++) h = gram_step(h, cp[k], o->fold_digits);
    return gram_final(h, len, o->bits);
}

/* Calls EMIT(slot, start, len) for every gram of cps[0..n); the hash of a
 * gram extends the hash of the gram one shorter. */
#define FOR_EACH_GRAM(cps, n, o, EMIT)                                          \
    do {                                                                      \
        uint64_t seed_ = gram_seed(o);                                        \
        for (size_t i_ = 0; i_ < (n); i_++) {                                 \
            if ((cps)[i_] == ' ') continue;                                   \
            uint64_t h_ = seed_;                                              \
            for (int len_ = 1; len_ <= (o)->max_n; len_++) {                  \
                size_t e_ = i_ + (size_t)len_ - 1;                            \
                if (e_ >= (n) || (cps)[e_] == ' ') break;                     \
                h_ = gram_step(h_, (cps)[e_], (o)->fold_digits);              \
                if (len_ >= (o)->min_n) EMIT(gram_final(h_, len_, (o)->bits), i_, len_); \
            }                                                                 \
        }                                                                     \
    } while (0)

size_t text_grams_cp(const uint32_t *cps, size_t n, const text_opts *o, text_gram_fn fn,
                     void *ctx) {
    size_t count = 0;
#define EMIT_CB(slot, start, len) (fn(ctx, (slot), cps + (start), (len)), count++)
    FOR_EACH_GRAM(cps, n, o, EMIT_CB);
#undef EMIT_CB
    return count;
}

/* ---- counter -------------------------------------------------------- */

typedef struct {
    uint32_t key; /* slot + 1, 0 = empty */
    uint32_t count;
} counter_ent;

struct text_counter {
    counter_ent *ent;
    uint32_t *used;   /* positions in use, in insertion order */
    size_t nused, mask;
};

#define COUNTER_INIT 4096

text_counter *text_counter_new(void) {
    text_counter *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->ent = calloc(COUNTER_INIT, sizeof *c->ent);
    c->used = malloc(COUNTER_INIT / 2 * sizeof *c->used);
    if (!c->ent || !c->used) {
        text_counter_free(c);
        return NULL;
    }
    c->mask = COUNTER_INIT - 1;
    return c;
}

void text_counter_free(text_counter *c) {
    if (!c) return;
    free(c->ent);
    free(c->used);
    free(c);
}

void text_counter_reset(text_counter *c) {
    for (size_t i = 0; i < c->nused; i++) c->ent[c->used[i]].key = 0;
    c->nused = 0;
}

static jc_err counter_grow(text_counter *c) {
    size_t cap = (c->mask + 1) * 2;
    counter_ent *ent = calloc(cap, sizeof *ent);
    uint32_t *used = malloc(cap / 2 * sizeof *used);
    if (!ent || !used) {
        free(ent), free(used);
        return JC_ERR_NOMEM;
    }
    size_t mask = cap - 1;
    for (size_t i = 0; i < c->nused; i++) {
        counter_ent old = c->ent[c->used[i]];
        size_t p = old.key & mask;
        while (ent[p].key) p = (p + 1) & mask;
        ent[p] = old;
        used[i] = (uint32_t)p;
    }
    free(c->ent), free(c->used);
    c->ent = ent, c->used = used, c->mask = mask;
    return JC_OK;
}

static inline jc_err counter_add1(text_counter *c, uint32_t slot) {
    uint32_t k = slot + 1;
    size_t p = k & c->mask; /* slots are already hashes */
    while (c->ent[p].key) {
        if (c->ent[p].key == k) {
            c->ent[p].count++;
            return JC_OK;
        }
        p = (p + 1) & c->mask;
    }
    c->ent[p].key = k;
    c->ent[p].count = 1;
    c->used[c->nused++] = (uint32_t)p;
    if (c->nused * 2 >= c->mask + 1) return counter_grow(c);
    return JC_OK;
}

jc_err text_counter_add(text_counter *c, const uint32_t *cps, size_t n, const text_opts *o) {
    jc_err e = JC_OK;
#define EMIT_COUNT(slot, start, len)                                          \
    do {                                                                      \
        (void)(start), (void)(len);                                           \
        if ((e = counter_add1(c, (slot)))) return e;                          \
    } while (0)
    FOR_EACH_GRAM(cps, n, o, EMIT_COUNT);
#undef EMIT_COUNT
    return e;
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
        v->f[i].slot = c->ent[c->used[i]].key - 1;
        v->f[i].val = (float)c->ent[c->used[i]].count;
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
