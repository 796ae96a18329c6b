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

/* What a place query reads of each entry in a cell, kept together so that a
 * crowded cell is one sequential scan instead of a pointer chase through
 * the (large) entries. */
typedef struct {
    double lon, lat;
    int64_t time_ms;
    uint32_t ei;
    uint64_t sk[DEDUP_K / 16]; /* the low 4 bits of each signature value */
} slot;

/* One spatial cell (per category when same_category_only): its entries. */
typedef struct {
    uint64_t key;
    int used;
    uint32_t n, cap;
    slot *s;
} cell;

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
                      .suggest_sim = 0.3, .max_entries = 100000};
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

static void hash_init(void) {
    uint64_t s = 0x6A09E667F3BCC909ULL; /* fixed: signatures are the same in every run */
    for (int k = 0; k < DEDUP_K; k++) {
        s += 0x9E3779B97F4A7C15ULL;
        hash_a[k] = mix64(s) | 1;
        s += 0x9E3779B97F4A7C15ULL;
        hash_b[k] = mix64(s);
    }
}

/* The MinHash signature of a text. */
static jc_err signature(const char *text, uint32_t sig[DEDUP_K]) {
    if (!text) return JC_ERR_INVALID;
    pthread_once(&hash_once, hash_init);
    uint32_t *cps = NULL;
    size_t n = 0;
    jc_err e = text_codepoints(text, strlen(text), &cps, &n);
    if (e) return e;
    for (int k = 0; k < DEDUP_K; k++) sig[k] = UINT32_MAX;
    size_t shingles = 0;
    for (int pass = 0; pass < 2 && !shingles; pass++) {
        size_t w = pass == 0 ? 2 : 1; /* bigrams; unigrams only when there is no bigram */
        for (size_t i = 0; i + w <= n; i++) {
            if (cps[i] == ' ' || (w == 2 && cps[i + 1] == ' ')) continue;
            uint64_t x = mix64(((uint64_t)cps[i] << 32) ^ (w == 2 ? cps[i + 1] : 0x80000000u));
            for (int k = 0; k < DEDUP_K; k++) {
                uint32_t h = (uint32_t)((hash_a[k] * x + hash_b[k]) >> 32);
                if (h < sig[k]) sig[k] = h;
            }
            shingles++;
        }
    }
    free(cps);
    return shingles ? JC_OK : JC_ERR_INVALID;
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
    ix->dist_deg = p->max_dist_m / 111320.0;
    ix->cell_deg = ix->dist_deg / CELL_SPLIT;
    *out = ix;
    return JC_OK;
}

void dedup_free(dedup_index *ix) {
    if (!ix) return;
    free(ix->e), free(ix->freelist), free(ix->fifo);
    if (ix->cells)
        for (size_t i = 0; i <= ix->cmask; i++) free(ix->cells[i].s);
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
                free(o->s);
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
    c->used = 1, c->key = key, c->n = c->cap = 0, c->s = NULL;
    ix->cused++;
    return c;
}

/* The sketch of a signature: 4 bits of each value.  Two equal values have
 * equal sketches, so the number of equal nibbles bounds the number of equal
 * values from above: a slot whose bound is below the threshold is skipped
 * exactly, without reading its full signature (unrelated texts share about
 * 8 of 128 nibbles, a suggestion needs 0.3 x 128). */
static void sketch(const uint32_t sig[DEDUP_K], uint64_t sk[DEDUP_K / 16]) {
    for (int w = 0; w < DEDUP_K / 16; w++) {
        uint64_t v = 0;
        for (int j = 0; j < 16; j++) v |= (uint64_t)(sig[w * 16 + j] & 15u) << (4 * j);
        sk[w] = v;
    }
}

static int sketch_same(const uint64_t a[DEDUP_K / 16], const uint64_t b[DEDUP_K / 16]) {
    int same = 0;
    for (int w = 0; w < DEDUP_K / 16; w++) {
        uint64_t x = a[w] ^ b[w];
        x |= x >> 1, x |= x >> 2;
        same += __builtin_popcountll(~x & 0x1111111111111111ULL);
    }
    return same;
}

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
            if (c->s[i].ei == ei) {
                c->s[i] = c->s[--c->n];
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
        slot *ns = realloc(c->s, nc * sizeof *ns);
        if (!ns) return JC_ERR_NOMEM;
        c->s = ns, c->cap = nc;
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
    slot *sl = &c->s[c->n++];
    *sl = (slot){.lon = lon, .lat = lat, .time_ms = time_ms, .ei = ei};
    sketch(sig, sl->sk);
    ix->fifo[(ix->fifo_head + ix->fifo_n) % ix->p.max_entries] = ei;
    ix->fifo_n++;
    ix->count++;
    return JC_OK;
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
     * entry within max_dist_m is there), then time, the sketch bound,
     * distance, similarity. */
    uint64_t sk[DEDUP_K / 16];
    sketch(sig, sk);
    int need = (int)ceil(ix->p.suggest_sim * DEDUP_K - 1e-9);
    size_t found = 0;
    double c = cos(lat * M_PI / 180.0);
    int kx = c > 0.05 ? (int)ceil(CELL_SPLIT / c) : 20 * CELL_SPLIT;
    int32_t cx = (int32_t)floor(lon / ix->cell_deg), cy = (int32_t)floor(lat / ix->cell_deg);
    uint64_t salt = cat_salt(ix, category);
    for (int dy = -CELL_SPLIT; dy <= CELL_SPLIT; dy++)
    for (int dx = -kx; dx <= kx; dx++) {
        uint64_t key = (((uint64_t)(uint32_t)(cx + dx) << 32) | (uint32_t)(cy + dy)) ^ salt;
        const cell *cl = cell_find(ix, key);
        if (!cl) continue;
        for (uint32_t si = 0; si < cl->n; si++) {
            const slot *sl = &cl->s[si];
            int64_t dt = sl->time_ms > time_ms ? sl->time_ms - time_ms : time_ms - sl->time_ms;
            if (dt > ix->p.window_ms) continue;
            /* a cheap box test before the trigonometry */
            if (fabs(sl->lat - lat) > ix->dist_deg || fabs(sl->lon - lon) * c > ix->dist_deg) continue;
            if (sketch_same(sl->sk, sk) < need) continue;
            double d = dedup_distance_m(lon, lat, sl->lon, sl->lat);
            if (d > ix->p.max_dist_m) continue;
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
            if (found < max) out[found++] = m;
            else if (max && by_score(&m, &out[max - 1]) < 0) {
                out[max - 1] = m;
                qsort(out, found, sizeof *out, by_score);
            }
        }
    }
    qsort(out, found, sizeof *out, by_score);
    *n = found;
    return JC_OK;
}
