/*
 * dedup.c -- MinHash signatures of recent reports, found by place (spatial
 * cells, see CELL_SPLIT) and compared by estimated Jaccard similarity (see
 * dedup.h).
 *
 * Design notes.
 *  - Shingles are the character bigrams of the normalised text (unigrams
 *    when the text has a single character), hashed to 64 bits.  Bigrams
 *    survive clause reordering and a few swapped characters well, and need
 *    no segmenter.
 *  - DEDUP_K = 128 MinHash values per text; the share of equal values
 *    estimates the Jaccard similarity of the two bigram sets.
 *  - Entries live in a slab (stable indices, a free list) and a FIFO of
 *    insertion order for eviction; each also has a slot in its place's cell,
 *    removed on eviction: memory is bounded by max_entries.
 *  - A query reads only the cells that can hold a point within max_dist_m
 *    (a lower bound of the haversine distance to each cell, cell_bounds),
 *    in the order of the full box, and of each entry first three bit planes
 *    of its sketch (48 bytes): nearly every unrelated entry is skipped on
 *    them.  Every filter is exact; the answer is the one of a full scan.
 *  - Portable C with two x86-64 fast paths giving the same values: SSE2
 *    (every x86-64) for the sketch planes, AVX2 chosen at run time for the
 *    signature's hash functions.
 */
#include "dedup.h"
#include "text.h"

#include <math.h>
#include <pthread.h>
#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h> /* SSE2 is part of every x86-64 */
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define DEDUP_AVX2 1 /* minhash_avx2, when the processor has AVX2 */
#endif

#define DEDUP_K 128
#define DEDUP_CAT 64
/* Cells are max_dist_m / CELL_SPLIT on a side: a query reads the
 * (2 CELL_SPLIT + 1) rows of cells around its point, a smaller area around
 * the circle it needs than with cells of max_dist_m (1.03 vs 0.5 km² for
 * 300 m at Beijing's latitude), for more but cheap cell lookups. */
#define CELL_SPLIT 2

typedef struct {
    int64_t id, time_ms;
    double lon, lat;
    char cat[DEDUP_CAT];
    uint32_t sig[DEDUP_K];
    uint64_t cell;  /* spatial cell (see cell_key) */
} entry;

/* The sketch of a signature (see sketch): bit j of the 128 values in plane
 * j, two words a plane. */
#define SK_WORDS 2
_Static_assert(DEDUP_K == 64 * SK_WORDS, "the plane code is written for two words a plane");
typedef struct {
    uint64_t p[4][SK_WORDS];
} sketch_t;

/* What a place query reads of each entry in a cell, kept together so that a
 * crowded cell is one sequential scan instead of a pointer chase through
 * the (large) entries, in two arrays: the head holds planes 0..2 of the
 * sketch (48 bytes, all that a query reads of most entries), the slot the
 * rest. */
typedef struct {
    uint64_t p[3][SK_WORDS];
} slot_head;

typedef struct {
    double lon, lat;
    int64_t time_ms;
    uint64_t p3[SK_WORDS]; /* plane 3 of the sketch */
    uint32_t ei;
} slot;

/* One spatial cell (per category when same_category_only): its entries,
 * heads h[0..n) and slots cell_slots(c)[0..n) in one allocation of cap of
 * each, the heads first. */
typedef struct {
    uint64_t key;
    int used;
    uint32_t n, cap;
    slot_head *h;
} cell;

static inline slot *cell_slots(const cell *c) { return (slot *)(c->h + c->cap); }

struct dedup_index {
    dedup_params p;
    entry *e;
    size_t e_cap, e_used;
    uint32_t *freelist;
    size_t nfree;
    uint32_t *fifo;   /* ring of entry indices, oldest at head */
    size_t fifo_head, fifo_n;
    size_t count;
    int64_t newest_ms;
    int have_newest;
    cell *cells;      /* open addressing by cell key; a cell stays once used */
    size_t cmask, cused;
    double dist_deg;  /* max_dist_m in degrees of latitude */
    double cell_deg;  /* cell edge in degrees: dist_deg / CELL_SPLIT */
    /* the signature of the last text seen: a query and the add that follows
     * it for the same report compute it once */
    char *last_text;
    size_t last_len;
    uint32_t last_sig[DEDUP_K];
};

#define LAST_TEXT_MAX 8192

/* The spatial cell of a point: squares of max_dist_m / CELL_SPLIT (in latitude) so
 * that every report within max_dist_m lies in the 2 CELL_SPLIT + 1 rows of
 * cells around it. */
static uint64_t cat_salt(const dedup_index *ix, const char *cat) {
    if (!ix->p.same_category_only || !cat) return 0;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const char *c = cat; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    return h;
}

/* The bucket key of a cell: the cell itself, salted by the category when the
 * index keeps categories apart. */
static uint64_t cell_key(const dedup_index *ix, double lon, double lat, const char *cat) {
    int32_t x = (int32_t)floor(lon / ix->cell_deg), y = (int32_t)floor(lat / ix->cell_deg);
    return (((uint64_t)(uint32_t)x << 32) | (uint32_t)y) ^ cat_salt(ix, cat);
}

dedup_params dedup_params_default(void) {
    dedup_params p = {.window_ms = 72LL * 3600 * 1000, .max_dist_m = 300, .merge_sim = 0.6,
                      .suggest_sim = 0.3, .max_entries = 100000, .max_candidates = 256};
    return p;
}

static inline uint64_t mix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

double dedup_distance_m(double lon1, double lat1, double lon2, double lat2) {
    const double R = 6371008.8, rad = M_PI / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * R * asin(fmin(1.0, sqrt(a)));
}

/* The K hash functions of the signature: multiply-add-shift on the mixed
 * 64-bit shingle hash, h_k(x) = (a_k x + b_k) >> 32 with odd random a_k (a
 * universal family; one multiplication per function instead of a full mix). */
static uint64_t hash_a[DEDUP_K], hash_b[DEDUP_K];
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;

#ifdef DEDUP_AVX2
static int use_avx2;
#endif

static void hash_init(void) {
#ifdef DEDUP_AVX2
    __builtin_cpu_init();
    use_avx2 = __builtin_cpu_supports("avx2");
#endif
    uint64_t s = 0x6A09E667F3BCC909ULL; /* fixed: signatures are the same in every run */
    for (int k = 0; k < DEDUP_K; k++) {
        s += 0x9E3779B97F4A7C15ULL;
        hash_a[k] = mix64(s) | 1;
        s += 0x9E3779B97F4A7C15ULL;
        hash_b[k] = mix64(s);
    }
}

/* The minimum of each of the K hash functions over the m shingle hashes
 * xs[], four functions at a time (their multipliers in registers, one pass
 * over xs per four). */
static void minhash(const uint64_t *xs, size_t m, uint32_t sig[DEDUP_K]) {
    for (int k = 0; k < DEDUP_K; k += 4) {
        uint64_t a0 = hash_a[k], a1 = hash_a[k + 1], a2 = hash_a[k + 2], a3 = hash_a[k + 3];
        uint64_t b0 = hash_b[k], b1 = hash_b[k + 1], b2 = hash_b[k + 2], b3 = hash_b[k + 3];
        uint32_t m0 = UINT32_MAX, m1 = UINT32_MAX, m2 = UINT32_MAX, m3 = UINT32_MAX;
        for (size_t i = 0; i < m; i++) {
            uint64_t x = xs[i];
            uint32_t h0 = (uint32_t)((a0 * x + b0) >> 32), h1 = (uint32_t)((a1 * x + b1) >> 32);
            uint32_t h2 = (uint32_t)((a2 * x + b2) >> 32), h3 = (uint32_t)((a3 * x + b3) >> 32);
            m0 = h0 < m0 ? h0 : m0, m1 = h1 < m1 ? h1 : m1;
            m2 = h2 < m2 ? h2 : m2, m3 = h3 < m3 ? h3 : m3;
        }
        sig[k] = m0, sig[k + 1] = m1, sig[k + 2] = m2, sig[k + 3] = m3;
    }
}

#ifdef DEDUP_AVX2
/* minhash with AVX2 when the processor has it (the build targets any
 * x86-64), the same values: a x + b mod 2^64 is (al xl + b) + 2^32 (al xh +
 * ah xl), so its high half is the high half of al xl + b plus the low half
 * of al xh + ah xl; each 64-bit lane computes one function (its high 32 bits
 * are ignored by the minimum of the low ones), eight functions a pass. */
__attribute__((target("avx2"))) static void minhash_avx2(const uint64_t *xs, size_t m,
                                                         uint32_t sig[DEDUP_K]) {
    for (int k = 0; k < DEDUP_K; k += 8) {
        __m256i a0 = _mm256_loadu_si256((const __m256i *)&hash_a[k]);
        __m256i a1 = _mm256_loadu_si256((const __m256i *)&hash_a[k + 4]);
        __m256i b0 = _mm256_loadu_si256((const __m256i *)&hash_b[k]);
        __m256i b1 = _mm256_loadu_si256((const __m256i *)&hash_b[k + 4]);
        __m256i ah0 = _mm256_srli_epi64(a0, 32), ah1 = _mm256_srli_epi64(a1, 32);
        __m256i m0 = _mm256_set1_epi32(-1), m1 = m0;
        for (size_t i = 0; i < m; i++) {
            __m256i x = _mm256_set1_epi64x((long long)xs[i]), xh = _mm256_srli_epi64(x, 32);
            __m256i h0 = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epu32(a0, x), b0), 32);
            __m256i h1 = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epu32(a1, x), b1), 32);
            h0 = _mm256_add_epi64(h0, _mm256_add_epi64(_mm256_mul_epu32(a0, xh), _mm256_mul_epu32(ah0, x)));
            h1 = _mm256_add_epi64(h1, _mm256_add_epi64(_mm256_mul_epu32(a1, xh), _mm256_mul_epu32(ah1, x)));
            m0 = _mm256_min_epu32(m0, h0), m1 = _mm256_min_epu32(m1, h1);
        }
        uint32_t o[16];
        _mm256_storeu_si256((__m256i *)o, m0);
        _mm256_storeu_si256((__m256i *)(o + 8), m1);
        for (int j = 0; j < 8; j++) sig[k + j] = o[2 * j];
    }
}
#endif

/* The MinHash signature of a text. */
static jc_err signature(const char *text, uint32_t sig[DEDUP_K]) {
    if (!text) return JC_ERR_INVALID;
    pthread_once(&hash_once, hash_init);
    uint32_t *cps = NULL;
    size_t n = 0;
    jc_err e = text_codepoints(text, strlen(text), &cps, &n);
    if (e) return e;
    /* the shingle hashes first (at most n), then the K minima over them */
    uint64_t small[256], *xs = n <= 256 ? small : malloc(n * sizeof *xs);
    if (!xs) {
        free(cps);
        return JC_ERR_NOMEM;
    }
    size_t m = 0;
    for (int pass = 0; pass < 2 && !m; pass++) {
        size_t w = pass == 0 ? 2 : 1; /* bigrams; unigrams only when there is no bigram */
        for (size_t i = 0; i + w <= n; i++) {
            if (cps[i] == ' ' || (w == 2 && cps[i + 1] == ' ')) continue;
            xs[m++] = mix64(((uint64_t)cps[i] << 32) ^ (w == 2 ? cps[i + 1] : 0x80000000u));
        }
    }
    free(cps);
#ifdef DEDUP_AVX2
    if (m && use_avx2) minhash_avx2(xs, m, sig);
    else
#endif
    if (m) minhash(xs, m, sig);
    if (xs != small) free(xs);
    return m ? JC_OK : JC_ERR_INVALID;
}

static int valid_point(double lon, double lat) {
    return isfinite(lon) && isfinite(lat) && lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90;
}

jc_err dedup_new(const dedup_params *p, dedup_index **out) {
    if (!p || p->window_ms <= 0 || !(p->max_dist_m > 0) || !(p->merge_sim > 0) ||
        p->merge_sim > 1 || !(p->suggest_sim > 0) || p->suggest_sim > p->merge_sim ||
        p->max_entries < 1 || p->max_entries > 10000000)
        return JC_ERR_INVALID;
    dedup_index *ix = calloc(1, sizeof *ix);
    if (!ix) return JC_ERR_NOMEM;
    ix->p = *p;
    ix->fifo = malloc(p->max_entries * sizeof *ix->fifo);
    size_t cs = 1024;
    ix->cells = calloc(cs, sizeof *ix->cells);
    ix->last_text = malloc(LAST_TEXT_MAX);
    if (!ix->fifo || !ix->cells || !ix->last_text) {
        dedup_free(ix);
        return JC_ERR_NOMEM;
    }
    ix->cmask = cs - 1;
    /* max_dist_m in degrees of latitude on the sphere of dedup_distance_m,
     * a hair (1e-4) wider: the box and the cells then never drop a report
     * the distance keeps (with 111320 m a degree, reports 299.7-300 m due
     * north or south of a query were never matched) */
    ix->dist_deg = p->max_dist_m / (6371008.8 * M_PI / 180.0) * (1 + 1e-4);
    ix->cell_deg = ix->dist_deg / CELL_SPLIT;
    *out = ix;
    return JC_OK;
}

void dedup_free(dedup_index *ix) {
    if (!ix) return;
    free(ix->e), free(ix->freelist), free(ix->fifo);
    if (ix->cells)
        for (size_t i = 0; i <= ix->cmask; i++) free(ix->cells[i].h);
    free(ix->cells);
    free(ix->last_text);
    free(ix);
}

size_t dedup_count(const dedup_index *ix) { return ix->count; }

/* The cell of a key, or NULL. */
static cell *cell_find(const dedup_index *ix, uint64_t key) {
    for (size_t i = mix64(key) & ix->cmask;; i = (i + 1) & ix->cmask) {
        cell *c = &ix->cells[i];
        if (!c->used) return NULL;
        if (c->key == key) return c;
    }
}

/* The cell of a key, created when missing (the table grows at half full,
 * dropping cells that have become empty). */
static cell *cell_get(dedup_index *ix, uint64_t key) {
    cell *c = cell_find(ix, key);
    if (c) return c;
    if ((ix->cused + 1) * 2 > ix->cmask + 1) {
        size_t live = 0;
        for (size_t i = 0; i <= ix->cmask; i++) live += ix->cells[i].used && ix->cells[i].n;
        size_t ns = 1024;
        while (ns < (live + 1) * 4) ns <<= 1;
        cell *nc = calloc(ns, sizeof *nc);
        if (!nc) return NULL;
        for (size_t i = 0; i <= ix->cmask; i++) {
            cell *o = &ix->cells[i];
            if (!o->used) continue;
            if (!o->n) {
                free(o->h);
                continue;
            }
            size_t j = mix64(o->key) & (ns - 1);
            while (nc[j].used) j = (j + 1) & (ns - 1);
            nc[j] = *o;
        }
        free(ix->cells);
        ix->cells = nc;
        ix->cmask = ns - 1;
        ix->cused = live;
    }
    size_t i = mix64(key) & ix->cmask;
    while (ix->cells[i].used) i = (i + 1) & ix->cmask;
    c = &ix->cells[i];
    c->used = 1, c->key = key, c->n = c->cap = 0, c->h = NULL;
    ix->cused++;
    return c;
}

/* The sketch of a signature: 4 bits of each value.  Two equal values have
 * equal sketches, so the number of equal nibbles bounds the number of equal
 * values from above: a slot whose bound is below the threshold is skipped
 * exactly, without reading its full signature (unrelated texts share about
 * 8 of 128 nibbles, a suggestion needs 0.3 x 128).  Held as bit planes, so
 * that the first three bits of each value alone give a (looser) bound, the
 * one a query computes for every slot (unrelated texts share about 16 of
 * 128, bits 0..2). */
#if defined(__SSE2__)
static void sketch(const uint32_t sig[DEDUP_K], sketch_t *sk) {
    /* 16 values at a time: their low bytes packed, bit j of each to the top
     * of its byte, gathered by movemask */
    const __m128i m = _mm_set1_epi32(15);
    for (int w = 0; w < SK_WORDS; w++) {
        uint64_t p[4] = {0, 0, 0, 0};
        for (int g = 0; g < 4; g++) {
            const __m128i *v = (const __m128i *)(sig + 64 * w + 16 * g);
            __m128i a = _mm_and_si128(_mm_loadu_si128(v), m), b = _mm_and_si128(_mm_loadu_si128(v + 1), m);
            __m128i c = _mm_and_si128(_mm_loadu_si128(v + 2), m), d = _mm_and_si128(_mm_loadu_si128(v + 3), m);
            __m128i bytes = _mm_packus_epi16(_mm_packs_epi32(a, b), _mm_packs_epi32(c, d));
            p[0] |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_slli_epi16(bytes, 7)) << (16 * g);
            p[1] |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_slli_epi16(bytes, 6)) << (16 * g);
            p[2] |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_slli_epi16(bytes, 5)) << (16 * g);
            p[3] |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_slli_epi16(bytes, 4)) << (16 * g);
        }
        for (int j = 0; j < 4; j++) sk->p[j][w] = p[j];
    }
}
#else
static void sketch(const uint32_t sig[DEDUP_K], sketch_t *sk) {
    for (int w = 0; w < SK_WORDS; w++) {
        uint64_t p0 = 0, p1 = 0, p2 = 0, p3 = 0;
        for (int i = 0; i < 64; i++) {
            uint64_t v = sig[64 * w + i];
            p0 |= (v & 1) << i, p1 |= (v >> 1 & 1) << i, p2 |= (v >> 2 & 1) << i, p3 |= (v >> 3 & 1) << i;
        }
        sk->p[0][w] = p0, sk->p[1][w] = p1, sk->p[2][w] = p2, sk->p[3][w] = p3;
    }
}
#endif

/* Planes compared: plane_xor gives the bits where a plane of a slot differs
 * from the query's (plane_load), plane_or accumulates them over planes (a 0
 * is a value whose low bits match) and plane_bits counts them, without a
 * popcount instruction (the build targets any x86-64, where
 * __builtin_popcountll is a call into libgcc).  With SSE2 a 128-bit plane is
 * one register. */
#if defined(__SSE2__)
typedef __m128i plane_diff;
static inline plane_diff plane_load(const uint64_t p[SK_WORDS]) {
    return _mm_loadu_si128((const __m128i *)p);
}
static inline plane_diff plane_xor(const uint64_t a[SK_WORDS], plane_diff q) {
    return _mm_xor_si128(plane_load(a), q);
}
static inline plane_diff plane_or(plane_diff x, plane_diff y) { return _mm_or_si128(x, y); }
static inline int plane_bits(plane_diff x) {
    const __m128i m1 = _mm_set1_epi8(0x55), m2 = _mm_set1_epi8(0x33), m4 = _mm_set1_epi8(0x0F);
    x = _mm_sub_epi8(x, _mm_and_si128(_mm_srli_epi64(x, 1), m1));
    x = _mm_add_epi8(_mm_and_si128(x, m2), _mm_and_si128(_mm_srli_epi64(x, 2), m2));
    x = _mm_and_si128(_mm_add_epi8(x, _mm_srli_epi64(x, 4)), m4);
    x = _mm_sad_epu8(x, _mm_setzero_si128()); /* the two halves' sums */
    return _mm_cvtsi128_si32(x) + _mm_extract_epi16(x, 4);
}
#else
typedef struct {
    uint64_t w[SK_WORDS];
} plane_diff;
static inline plane_diff plane_load(const uint64_t p[SK_WORDS]) {
    return (plane_diff){{p[0], p[1]}};
}
static inline plane_diff plane_xor(const uint64_t a[SK_WORDS], plane_diff q) {
    return (plane_diff){{a[0] ^ q.w[0], a[1] ^ q.w[1]}};
}
static inline plane_diff plane_or(plane_diff x, plane_diff y) {
    return (plane_diff){{x.w[0] | y.w[0], x.w[1] | y.w[1]}};
}
static inline int plane_bits(plane_diff x) {
    const uint64_t m1 = 0x5555555555555555ULL, m2 = 0x3333333333333333ULL,
                   m4 = 0x0F0F0F0F0F0F0F0FULL;
    uint64_t a = x.w[0], b = x.w[1];
    a -= (a >> 1) & m1, b -= (b >> 1) & m1;
    a = (a & m2) + ((a >> 2) & m2), b = (b & m2) + ((b >> 2) & m2);
    a += b; /* nibbles of at most 8 */
    a = (a & m4) + ((a >> 4) & m4);
    return (int)((a * 0x0101010101010101ULL) >> 56);
}
#endif

/* The signature of a text, from the one-text cache when it is the last. */
static jc_err signature_cached(dedup_index *ix, const char *text, uint32_t sig[DEDUP_K]) {
    if (!text) return JC_ERR_INVALID;
    size_t len = strlen(text);
    if (ix->last_len && len == ix->last_len && !memcmp(text, ix->last_text, len)) {
        memcpy(sig, ix->last_sig, sizeof ix->last_sig);
        return JC_OK;
    }
    jc_err e = signature(text, sig);
    if (e) return e;
    ix->last_len = 0;
    if (len && len < LAST_TEXT_MAX) {
        memcpy(ix->last_text, text, len);
        memcpy(ix->last_sig, sig, sizeof ix->last_sig);
        ix->last_len = len;
    }
    return JC_OK;
}

static void unlink_entry(dedup_index *ix, uint32_t ei) {
    cell *c = cell_find(ix, ix->e[ei].cell);
    if (c)
        for (uint32_t i = 0; i < c->n; i++)
            if (cell_slots(c)[i].ei == ei) {
                c->n--;
                c->h[i] = c->h[c->n];
                cell_slots(c)[i] = cell_slots(c)[c->n];
                break;
            }
    ix->freelist[ix->nfree++] = ei;
    ix->count--;
}

static void evict_oldest(dedup_index *ix) {
    uint32_t ei = ix->fifo[ix->fifo_head];
    ix->fifo_head = (ix->fifo_head + 1) % ix->p.max_entries;
    ix->fifo_n--;
    unlink_entry(ix, ei);
}

static jc_err grow(dedup_index *ix) {
    size_t nc = ix->e_cap ? ix->e_cap * 2 : 256;
    if (nc > ix->p.max_entries) nc = ix->p.max_entries;
    entry *e = realloc(ix->e, nc * sizeof *e);
    if (!e) return JC_ERR_NOMEM;
    ix->e = e;
    uint32_t *f = realloc(ix->freelist, nc * sizeof *f);
    if (!f) return JC_ERR_NOMEM;
    ix->freelist = f;
    ix->e_cap = nc;
    return JC_OK;
}

jc_err dedup_add(dedup_index *ix, int64_t id, const char *text, double lon, double lat,
                 int64_t time_ms, const char *category) {
    if (!valid_point(lon, lat)) return JC_ERR_INVALID;
    uint32_t sig[DEDUP_K];
    jc_err e = signature_cached(ix, text, sig);
    if (e) return e;
    uint64_t key = cell_key(ix, lon, lat, category);
    cell *c = cell_get(ix, key);
    if (!c) return JC_ERR_NOMEM;
    if (c->n == c->cap) {
        uint32_t nc = c->cap ? c->cap * 2 : 4;
        slot_head *nh = malloc(nc * (sizeof *nh + sizeof(slot)));
        if (!nh) return JC_ERR_NOMEM;
        if (c->n) {
            memcpy(nh, c->h, c->n * sizeof *nh);
            memcpy(nh + nc, cell_slots(c), c->n * sizeof(slot));
        }
        free(c->h);
        c->h = nh, c->cap = nc;
    }
    if (ix->nfree == 0 && ix->e_used == ix->e_cap && ix->e_cap < ix->p.max_entries &&
        (e = grow(ix)))
        return e;
    /* Evict what fell out of the window, then make room under the cap. */
    int64_t newest = ix->have_newest && ix->newest_ms > time_ms ? ix->newest_ms : time_ms;
    ix->newest_ms = newest;
    ix->have_newest = 1;
    while (ix->fifo_n && ix->e[ix->fifo[ix->fifo_head]].time_ms < newest - ix->p.window_ms)
        evict_oldest(ix);
    if (ix->count == ix->p.max_entries) evict_oldest(ix);
    uint32_t ei = ix->nfree ? ix->freelist[--ix->nfree] : (uint32_t)ix->e_used++;
    entry *en = &ix->e[ei];
    en->id = id;
    en->time_ms = time_ms;
    en->lon = lon;
    en->lat = lat;
    en->cat[0] = 0;
    if (category) {
        size_t l = strlen(category);
        if (l >= DEDUP_CAT) l = DEDUP_CAT - 1;
        memcpy(en->cat, category, l);
        en->cat[l] = 0;
    }
    memcpy(en->sig, sig, sizeof sig);
    en->cell = key;
    /* c is still valid: eviction only removes slots, and only cell_get
     * moves cells */
    sketch_t sk;
    sketch(sig, &sk);
    slot_head *h = &c->h[c->n];
    memcpy(h->p, sk.p, sizeof h->p);
    slot *sl = &cell_slots(c)[c->n++];
    *sl = (slot){.lon = lon, .lat = lat, .time_ms = time_ms, .ei = ei};
    memcpy(sl->p3, sk.p[3], sizeof sl->p3);
    ix->fifo[(ix->fifo_head + ix->fifo_n) % ix->p.max_entries] = ei;
    ix->fifo_n++;
    ix->count++;
    return JC_OK;
}

/* The widest column range a query culls (kx at 0.05 = cos 87 degrees). */
#define MAX_KX (20 * CELL_SPLIT)

/* A lower bound of sin^2(g / 2) for an angle g in [0, pi] given in degrees
 * (sin s >= s - s^3 / 6 for s >= 0; below the bound for s in [0, pi/2]). */
static inline double half_sin2_lb(double g_deg) {
    double s = g_deg * (M_PI / 360.0);
    double v = s - s * s * s / 6;
    return v > 0 ? v * v : 0;
}

/* The bounds of the cells around (lon, lat) that a query reads: the haversine
 * term of a point (lon2, lat2) is a = sin^2(dlat/2) + cos lat cos lat2
 * sin^2(dlon/2), and the point is within max_dist_m when a <= sin^2(max_dist
 * / 2R).  For every point of row dy, sin^2(dlat/2) >= rows[dy + CELL_SPLIT];
 * of column dx, sin^2(dlon/2) >= cols[dx + kx]; cos lat cos lat2 >= *k_lon
 * over all rows; *a_max is sin^2(max_dist / 2R) with a margin far above the
 * rounding of dedup_distance_m.  The gaps between the point and a cell are
 * reduced by 1e-9 degree (0.1 mm) against the rounding of the cell of a
 * point (floor(lat / cell_deg)).  Returns 0 (do not cull) when the angles
 * are too large for the bounds (cells beyond a quarter turn, max_dist_m over
 * 1000 km). */
static int cell_bounds(const dedup_index *ix, double lon, double lat, int kx,
                       double rows[2 * CELL_SPLIT + 1], double cols[2 * MAX_KX + 1],
                       double *k_lon, double *a_max) {
    const double R = 6371008.8, eps = 1e-9, cd = ix->cell_deg;
    if (ix->p.max_dist_m > 1e6 || (kx + 1) * cd > 90 || (CELL_SPLIT + 1) * cd > 90) return 0;
    int32_t cx = (int32_t)floor(lon / cd), cy = (int32_t)floor(lat / cd);
    for (int d = -CELL_SPLIT; d <= CELL_SPLIT; d++) {
        double g = d > 0 ? (double)(cy + d) * cd - lat : d < 0 ? lat - (double)(cy + d + 1) * cd : 0;
        rows[d + CELL_SPLIT] = half_sin2_lb(g - eps);
    }
    for (int d = -kx; d <= kx; d++) {
        double g = d > 0 ? (double)(cx + d) * cd - lon : d < 0 ? lon - (double)(cx + d + 1) * cd : 0;
        cols[d + kx] = half_sin2_lb(g - eps);
    }
    double far = fabs(lat) + (CELL_SPLIT + 1) * cd + eps; /* the row farthest from the equator */
    double c2 = far >= 90 ? 0 : cos(far * (M_PI / 180.0));
    double c1 = cos(lat * (M_PI / 180.0));
    *k_lon = c1 > 0 && c2 > 0 ? c1 * c2 * (1 - 1e-12) : 0;
    double h = sin(ix->p.max_dist_m / (2 * R));
    *a_max = h * h * (1 + 1e-6);
    return 1;
}

static int by_score(const void *a, const void *b) {
    const dedup_match *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return x->id < y->id ? -1 : x->id > y->id;
}

jc_err dedup_query(dedup_index *ix, const char *text, double lon, double lat,
                   int64_t time_ms, const char *category, dedup_match *out, size_t max,
                   size_t *n) {
    *n = 0;
    if (!valid_point(lon, lat)) return JC_ERR_INVALID;
    uint32_t sig[DEDUP_K];
    jc_err e = signature_cached(ix, text, sig);
    if (e) return e;
    /* Candidates: the entries of the cells around the point (exact: every
     * entry within max_dist_m is there), then the sketch bound, time, the
     * box, distance, similarity. */
    sketch_t sk;
    sketch(sig, &sk);
    int need = (int)ceil(ix->p.suggest_sim * DEDUP_K - 1e-9), max_diff = DEDUP_K - need;
    plane_diff q0 = plane_load(sk.p[0]), q1 = plane_load(sk.p[1]), q2 = plane_load(sk.p[2]),
               q3 = plane_load(sk.p[3]);
    size_t found = 0;
    double c = cos(lat * M_PI / 180.0);
    int kx = c > 0.05 ? (int)ceil(CELL_SPLIT / c) : 20 * CELL_SPLIT;
    int32_t cx = (int32_t)floor(lon / ix->cell_deg), cy = (int32_t)floor(lat / ix->cell_deg);
    uint64_t salt = cat_salt(ix, category);
    /* Cells wholly outside the circle are skipped: a lower bound of the
     * haversine term a of every point of a cell (see cell_bounds) above the
     * one of max_dist_m.  The other cells are read in the same order as the
     * full box: when more than max entries match, which ones are kept
     * depends on the order they are found in. */
    double rows[2 * CELL_SPLIT + 1], cols[2 * MAX_KX + 1], k_lon = 0, a_max = 0;
    int cull = kx <= MAX_KX && cell_bounds(ix, lon, lat, kx, rows, cols, &k_lon, &a_max);
    /* The keys first, their buckets fetched ahead; then the cells, the
     * heads of each (up to 2 KiB, then the hardware streams) fetched while
     * the one before is read. */
    uint64_t keys[(2 * CELL_SPLIT + 1) * (2 * MAX_KX + 1)];
    const cell *cls[(2 * CELL_SPLIT + 1) * (2 * MAX_KX + 1)];
    size_t nkeys = 0, ncells = 0;
    for (int dy = -CELL_SPLIT; dy <= CELL_SPLIT; dy++)
    for (int dx = -kx; dx <= kx; dx++) {
        if (cull && rows[dy + CELL_SPLIT] + k_lon * cols[dx + kx] > a_max) continue;
        uint64_t key = (((uint64_t)(uint32_t)(cx + dx) << 32) | (uint32_t)(cy + dy)) ^ salt;
        __builtin_prefetch(&ix->cells[mix64(key) & ix->cmask]);
        keys[nkeys++] = key;
    }
    for (size_t i = 0; i < nkeys; i++) {
        const cell *cl = cell_find(ix, keys[i]);
        if (!cl || !cl->n) continue;
        __builtin_prefetch(cl->h);
        cls[ncells++] = cl;
    }
    size_t compared = 0, cap = ix->p.max_candidates ? ix->p.max_candidates : SIZE_MAX;
    for (size_t ci = 0; ci < ncells && compared < cap; ci++) {
        const cell *cl = cls[ci];
        if (ci + 1 < ncells) {
            const char *p = (const char *)cls[ci + 1]->h;
            size_t len = cls[ci + 1]->n * sizeof(slot_head);
            for (size_t off = 64; off < len && off < 2048; off += 64)
                __builtin_prefetch(p + off);
        }
        const slot_head *hs = cl->h;
        for (uint32_t si = 0; si < cl->n; si++) {
            /* the bound from bits 0..2 (values differing there differ),
             * then from all four */
            const slot_head *h = &hs[si];
            plane_diff x = plane_or(plane_or(plane_xor(h->p[0], q0), plane_xor(h->p[1], q1)),
                                    plane_xor(h->p[2], q2));
            if (plane_bits(x) > max_diff) continue;
            const slot *sl = &cell_slots(cl)[si];
            if (plane_bits(plane_or(x, plane_xor(sl->p3, q3))) > max_diff) continue;
            int64_t dt = sl->time_ms > time_ms ? sl->time_ms - time_ms : time_ms - sl->time_ms;
            if (dt > ix->p.window_ms) continue;
            /* a cheap box test before the trigonometry */
            if (fabs(sl->lat - lat) > ix->dist_deg || fabs(sl->lon - lon) * c > ix->dist_deg) continue;
            double d = dedup_distance_m(lon, lat, sl->lon, sl->lat);
            if (d > ix->p.max_dist_m) continue;
            if (compared++ == cap) break; /* a crowded spot: enough compared */
            const entry *en = &ix->e[sl->ei];
            int same = 0;
            for (int k = 0; k < DEDUP_K; k++) same += en->sig[k] == sig[k];
            double sim = (double)same / DEDUP_K;
            if (sim < ix->p.suggest_sim) continue;
            dedup_match m = {.id = en->id, .text_sim = sim, .dist_m = d, .dt_ms = dt};
            m.same_category = (!category || !*category || !en->cat[0]) ? -1
                              : !strncmp(category, en->cat, DEDUP_CAT - 1);
            m.score = 0.7 * sim + 0.2 * (1 - d / ix->p.max_dist_m) +
                      0.1 * (1 - (double)dt / (double)ix->p.window_ms);
            if (m.same_category == 0) m.score *= 0.9;
            m.verdict = sim >= ix->p.merge_sim ? DEDUP_MERGE : DEDUP_SUGGEST;
            if (found < max) {
                out[found++] = m;
                /* sorted from here on, so that out[max - 1] is the worst kept */
                if (found == max) qsort(out, found, sizeof *out, by_score);
            } else if (max && by_score(&m, &out[max - 1]) < 0) {
                out[max - 1] = m;
                qsort(out, found, sizeof *out, by_score);
            }
        }
    }
    qsort(out, found, sizeof *out, by_score);
    *n = found;
    return JC_OK;
}
