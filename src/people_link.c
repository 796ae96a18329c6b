/*
 * people_link.c -- entity resolution over the cleaned records of every
 * source, in memory:
 *
 *   blocking     records sharing a key are compared: the ID number, its
 *                first 15 digits, the name's pinyin with the birth date or
 *                year, the surname with the birth date, a phone, the name
 *                with the community, the birth date with sex and community,
 *                the house with the birth year (blocks over 100 records are
 *                skipped: such a key says nothing);
 *   comparison   each field gets a level (people__compare): ID exact / one
 *                typing error away / different; name exact / same pinyin
 *                (homophone, variant) / one character off / different; birth
 *                date exact / near (a day, swapped day and month, one digit) /
 *                different; sex; a shared phone; the address's house,
 *                building or community; the household number;
 *   scoring      Fellegi-Sunter: the weight of a pair is the sum over fields
 *                of log2(m/u) of its level, m and u estimated by EM on the
 *                run's candidate pairs (priors when there are too few), and
 *                the posterior probability of a match follows from it;
 *   clustering   pairs from the most to the least likely are joined unless
 *                the two clusters hold records a reviewer called different,
 *                or two records with valid, self-consistent, different ID
 *                numbers (two people, whatever their names say).
 */
#include "people_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BLOCK_CAP 100
#define CLUSTER_CAP 60

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

uint32_t people__hash32(const char *s) {
    if (!s || !s[0]) return 0;
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h ? h : 1;
}

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* ---- filling a record ------------------------------------------------------------ */

void people__lrec_fill(people_lrec *l, const char *name, char sex, int birth, const people_id *id,
                       const people_phones *ph, const people_addr *addr, const char *comm, const char *household) {
    uint32_t py[8];
    int n = people_name_pinyin(name ? name : "", py, 8);
    l->npy = (uint8_t)(n > 4 ? 4 : n);
    memcpy(l->py, py, sizeof(uint32_t) * l->npy);
    /* code points */
    l->ncp = 0;
    for (const unsigned char *p = (const unsigned char *)(name ? name : ""); *p && l->ncp < 4;) {
        uint32_t c;
        int k;
        if (*p < 0x80) c = *p, k = 1;
        else if ((*p & 0xE0) == 0xC0) c = (uint32_t)(*p & 0x1F) << 6 | (p[1] & 0x3F), k = 2;
        else if ((*p & 0xF0) == 0xE0) c = (uint32_t)(*p & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F), k = 3;
        else c = (uint32_t)(*p & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 | (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F), k = 4;
        for (int i = 0; i < k; i++)
            if (!p[i]) return;
        p += k;
        if (c == 0xB7) continue;
        l->cp[l->ncp++] = c;
    }
    l->nameh = people__hash32(name);
    l->latin[0] = 0;
    if (name && name[0] && !((unsigned char)name[0] & 0x80)) snprintf(l->latin, sizeof l->latin, "%s", name);
    l->id_kind = (uint8_t)id->kind;
    l->id_known = (uint8_t)(id->kind == PEOPLE_ID_OTHER ? strlen(id->id) : (size_t)id->known);
    memcpy(l->id, id->id, sizeof l->id);
    int idbirth = id->kind == PEOPLE_ID_VALID || id->kind == PEOPLE_ID_PARTIAL ? id->birth : 0;
    l->birth = birth ? birth : idbirth;
    l->sex = sex ? sex : (id->kind == PEOPLE_ID_VALID ? id->sex : 0);
    /* the ID belongs to this record's person when its birth date and sex
     * agree with what the row states (a household member's number copied
     * into the wrong row does not) */
    l->id_self = 1;
    if (id->kind == PEOPLE_ID_VALID || id->kind == PEOPLE_ID_PARTIAL) {
        if (birth && id->birth && birth % 100 && birth != id->birth) l->id_self = 0;
        if (birth && id->birth && !(birth % 100) && birth / 100 != id->birth / 100) l->id_self = 0;
        if (sex && id->sex && sex != id->sex) l->id_self = 0;
    }
    memset(l->phone, 0, sizeof l->phone);
    for (int i = 0; ph && i < ph->n && i < PEOPLE_MAX_PHONES; i++) l->phone[i] = strtoull(ph->num[i], NULL, 10);
    l->comm = people__hash32(comm);
    l->road = addr ? people__hash32(addr->road) : 0;
    l->nnums = 0;
    if (addr) {
        int from = addr->nnums > 4 ? addr->nnums - 4 : 0;
        for (int i = from; i < addr->nnums; i++) l->nums[l->nnums++] = addr->nums[i];
    }
    l->hh = people__hash32(household);
}

/* ---- comparison ------------------------------------------------------------------ */

static const char *const lf_names[LF_COUNT] = {"id_number", "name", "birth_date", "sex", "phone", "address",
                                               "household_no"};
static const char *const lv_names[LF_COUNT][PEOPLE_LEVELS] = {
    {"missing", "different", "one_error", "equal", ""},
    {"missing", "different", "one_character", "same_pinyin", "equal"},
    {"missing", "different", "near", "equal", ""},
    {"missing", "different", "equal", "", ""},
    {"missing", "different", "shared", "", ""},
    {"missing", "different", "same_community", "same_building", "same_house"},
    {"missing", "different", "equal", "", ""},
};
static const int nlevels[LF_COUNT] = {4, 5, 4, 3, 3, 5, 3};

const char *people__lf_name(int f) { return f >= 0 && f < LF_COUNT ? lf_names[f] : ""; }
const char *people__level_name(int f, int level) {
    return f >= 0 && f < LF_COUNT && level >= 0 && level < PEOPLE_LEVELS ? lv_names[f][level] : "";
}

/* Two strings of n characters equal but for one substitution or one
 * swap of neighbours. */
static int one_error(const char *a, const char *b, int n) {
    int diff = 0, first = -1;
    for (int i = 0; i < n; i++)
        if (a[i] != b[i]) {
            if (first < 0) first = i;
            diff++;
        }
    if (diff <= 1) return 1;
    if (diff == 2 && first + 1 < n && a[first] == b[first + 1] && a[first + 1] == b[first]) return 1;
    return 0;
}

static int id_level(const people_lrec *a, const people_lrec *b) {
    if (a->id_kind == PEOPLE_ID_OTHER && b->id_kind == PEOPLE_ID_OTHER && a->id_known >= 5 &&
        a->id_known == b->id_known) /* another kind of number (a passport, FEBRL's soc_sec_id) */
        return !memcmp(a->id, b->id, a->id_known) ? 3 : one_error(a->id, b->id, a->id_known) ? 2 : 1;
    if (a->id_kind == PEOPLE_ID_NONE || b->id_kind == PEOPLE_ID_NONE || a->id_kind == PEOPLE_ID_OTHER ||
        b->id_kind == PEOPLE_ID_OTHER)
        return 0;
    int k = a->id_known < b->id_known ? a->id_known : b->id_known;
    if (k < 15) return 0; /* 1.10101E+17 says only the area */
    if (!memcmp(a->id, b->id, (size_t)k)) return 3;
    if (one_error(a->id, b->id, k)) return 2;
    /* a number that is not the record's own person's says nothing against */
    if (!a->id_self || !b->id_self) return 0;
    return 1;
}

/* Edit distance of at most one between two code point strings. */
static int cp_edit1(const uint32_t *a, int na, const uint32_t *b, int nb) {
    if (na == nb) {
        int d = 0;
        for (int i = 0; i < na; i++) d += a[i] != b[i];
        return d <= 1;
    }
    if (na + 1 != nb && nb + 1 != na) return 0;
    const uint32_t *s = na < nb ? a : b, *l = na < nb ? b : a;
    int ns = na < nb ? na : nb, i = 0, j = 0, skipped = 0;
    while (i < ns && j < ns + 1) {
        if (s[i] == l[j]) i++, j++;
        else if (!skipped) skipped = 1, j++;
        else return 0;
    }
    return 1;
}

/* Levenshtein distance of two short strings, capped at 3. */
static int edit_cap3(const char *a, const char *b) {
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la - lb > 2 || lb - la > 2) return 3;
    int prev[25], cur[25];
    for (int j = 0; j <= lb; j++) prev[j] = j;
    for (int i = 1; i <= la; i++) {
        cur[0] = i;
        int best = cur[0];
        for (int j = 1; j <= lb; j++) {
            int c = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < c) c = prev[j] + 1;
            if (cur[j - 1] + 1 < c) c = cur[j - 1] + 1;
            cur[j] = c;
            if (c < best) best = c;
        }
        if (best >= 3) return 3;
        memcpy(prev, cur, sizeof(int) * (size_t)(lb + 1));
    }
    return prev[lb] < 3 ? prev[lb] : 3;
}

static int name_level(const people_lrec *a, const people_lrec *b) {
    if (!a->ncp || !b->ncp) return 0;
    if (a->nameh == b->nameh) return 4;
    if (a->latin[0] && b->latin[0]) { /* names in Latin letters: by edit distance */
        int d = edit_cap3(a->latin, b->latin);
        return d <= 1 ? 3 : d == 2 ? 2 : 1;
    }
    if (a->npy == b->npy && a->ncp == b->ncp && !memcmp(a->py, b->py, sizeof(uint32_t) * a->npy)) return 3;
    /* one character off in a name of three or more (a two-character name
     * with another given name is another person's) */
    if ((a->ncp >= 3 || b->ncp >= 3) &&
        (cp_edit1(a->cp, a->ncp, b->cp, b->ncp) || cp_edit1(a->py, a->npy, b->py, b->npy)))
        return 2;
    return 1;
}

static int birth_level(const people_lrec *a, const people_lrec *b) {
    if (!a->birth || !b->birth) return 0;
    if (a->birth == b->birth) return 3;
    int ya = a->birth / 10000, ma = a->birth / 100 % 100, da = a->birth % 100;
    int yb = b->birth / 10000, mb = b->birth / 100 % 100, db = b->birth % 100;
    if (!da || !db) return ya == yb && ma == mb ? 3 : (ya == yb ? 2 : 1);
    if (ya == yb && ma == db && da == mb) return 2; /* day and month swapped */
    char sa[16], sb[16];
    snprintf(sa, sizeof sa, "%08d", a->birth);
    snprintf(sb, sizeof sb, "%08d", b->birth);
    if (one_error(sa, sb, 8)) return 2;
    return 1;
}

static int addr_level(const people_lrec *a, const people_lrec *b) {
    int place = (a->comm && a->comm == b->comm) || (a->road && a->road == b->road);
    if (a->nnums && b->nnums) {
        int k = a->nnums < b->nnums ? a->nnums : b->nnums;
        int eq = 1;
        for (int i = 1; i <= k && eq; i++) eq = a->nums[a->nnums - i] == b->nums[b->nnums - i];
        if (eq && (k >= 2 || place)) return 4;
        if (place && a->nums[0] == b->nums[0] && a->nnums >= 2 && b->nnums >= 2) return 3;
    }
    if (place) return 2;
    if ((a->comm || a->road) && (b->comm || b->road)) return 1;
    return 0;
}

void people__compare(const people_lrec *a, const people_lrec *b, uint8_t lv[LF_COUNT]) {
    lv[LF_ID] = (uint8_t)id_level(a, b);
    lv[LF_NAME] = (uint8_t)name_level(a, b);
    /* the same number under another name: a household member's number
     * copied into the wrong row, not evidence of one person */
    if (lv[LF_ID] == 3 && lv[LF_NAME] == 1) lv[LF_ID] = 0;
    lv[LF_BIRTH] = (uint8_t)birth_level(a, b);
    lv[LF_SEX] = !a->sex || !b->sex ? 0 : a->sex == b->sex ? 2 : 1;
    int ph = 0;
    for (int i = 0; i < PEOPLE_MAX_PHONES && a->phone[i]; i++)
        for (int j = 0; j < PEOPLE_MAX_PHONES && b->phone[j]; j++) ph = ph == 2 || a->phone[i] == b->phone[j] ? 2 : 1;
    lv[LF_PHONE] = (uint8_t)ph;
    lv[LF_ADDR] = (uint8_t)addr_level(a, b);
    lv[LF_HH] = !a->hh || !b->hh ? 0 : a->hh == b->hh ? 2 : 1;
}

/* ---- the model ------------------------------------------------------------------- */

void people__model_prior(people_model *m) {
    static const double pm[LF_COUNT][PEOPLE_LEVELS] = {
        {0, 0.04, 0.06, 0.90, 0},     {0, 0.02, 0.04, 0.06, 0.88}, {0, 0.03, 0.04, 0.93, 0},
        {0, 0.01, 0.99, 0, 0},        {0, 0.35, 0.65, 0, 0},       {0, 0.25, 0.15, 0.10, 0.50},
        {0, 0.10, 0.90, 0, 0}};
    static const double pu[LF_COUNT][PEOPLE_LEVELS] = {
        {0, 0.995, 0.004, 0.001, 0},  {0, 0.90, 0.08, 0.01, 0.01}, {0, 0.96, 0.03, 0.01, 0},
        {0, 0.50, 0.50, 0, 0},        {0, 0.80, 0.20, 0, 0},       {0, 0.40, 0.35, 0.10, 0.15},
        {0, 0.60, 0.40, 0, 0}};
    memset(m, 0, sizeof *m);
    memcpy(m->m, pm, sizeof pm);
    memcpy(m->u, pu, sizeof pu);
    m->p = 0.3;
}

static double pair_weight(const people_model *m, const uint8_t *lv) {
    double w = 0;
    for (int f = 0; f < LF_COUNT; f++)
        if (lv[f]) w += log2(m->m[f][lv[f]] / m->u[f][lv[f]]);
    return w;
}

static double posterior(const people_model *m, double w) {
    double prior = log2(m->p / (1 - m->p));
    return 1.0 / (1.0 + exp2(-(w + prior)));
}

/* EM over the pairs' level patterns (counted once per distinct pattern). */
static void em(people_model *m, const people_pair *pairs, size_t n) {
    /* distinct patterns: 4*5*4*3*3*5*3 = 10800 */
    enum { NPAT = 4 * 5 * 4 * 3 * 3 * 5 * 3 };
    static const int base[LF_COUNT] = {1, 4, 20, 80, 240, 720, 3600};
    double *cnt = calloc(NPAT, sizeof *cnt);
    if (!cnt) return;
    for (size_t i = 0; i < n; i++) {
        int k = 0;
        for (int f = 0; f < LF_COUNT; f++) k += pairs[i].lv[f] * base[f];
        cnt[k] += 1;
    }
    people_model cur = *m;
    int it;
    for (it = 0; it < 60; it++) {
        double sm[LF_COUNT][PEOPLE_LEVELS] = {{0}}, su[LF_COUNT][PEOPLE_LEVELS] = {{0}}, gsum = 0, tot = 0;
        for (int k = 0; k < NPAT; k++) {
            if (!cnt[k]) continue;
            uint8_t lv[LF_COUNT];
            for (int f = 0; f < LF_COUNT; f++) lv[f] = (uint8_t)(k / base[f] % nlevels[f]);
            double g = posterior(&cur, pair_weight(&cur, lv));
            gsum += g * cnt[k];
            tot += cnt[k];
            for (int f = 0; f < LF_COUNT; f++)
                if (lv[f]) sm[f][lv[f]] += g * cnt[k], su[f][lv[f]] += (1 - g) * cnt[k];
        }
        double delta = 0;
        people_model next = cur;
        next.p = gsum / tot;
        if (next.p < 1e-4) next.p = 1e-4;
        if (next.p > 0.9999) next.p = 0.9999;
        for (int f = 0; f < LF_COUNT; f++) {
            double tm = 0, tu = 0;
            for (int l = 1; l < nlevels[f]; l++) tm += sm[f][l], tu += su[f][l];
            for (int l = 1; l < nlevels[f] && tm > 0 && tu > 0; l++) {
                double vm = (sm[f][l] + 0.5 * m->m[f][l]) / (tm + 0.5), vu = (su[f][l] + 0.5 * m->u[f][l]) / (tu + 0.5);
                if (vm < 1e-5) vm = 1e-5;
                if (vu < 1e-5) vu = 1e-5;
                delta += fabs(vm - cur.m[f][l]) + fabs(vu - cur.u[f][l]);
                next.m[f][l] = vm, next.u[f][l] = vu;
            }
        }
        cur = next;
        if (delta < 1e-6) break;
    }
    free(cnt);
    /* an estimate that turned the evidence around is not kept */
    int sane = cur.m[LF_ID][3] > cur.u[LF_ID][3] && cur.m[LF_NAME][4] > cur.u[LF_NAME][4] &&
               cur.m[LF_BIRTH][3] > cur.u[LF_BIRTH][3] && cur.m[LF_ID][1] < cur.u[LF_ID][1] &&
               cur.m[LF_NAME][1] < cur.u[LF_NAME][1];
    if (sane) {
        cur.em_iterations = it + 1;
        cur.pairs = (int64_t)n;
        *m = cur;
    }
}

/* ---- blocking -------------------------------------------------------------------- */

typedef struct {
    uint64_t key;
    uint32_t rec;
} bkey;

/* A 64-bit key as the ordered pair a pair set holds (pairset_has orders
 * its two halves; a key and its halves swapped count as one). */
static uint32_t key_lo(uint64_t k) {
    uint32_t a = (uint32_t)(k >> 32), b = (uint32_t)k;
    return a < b ? a : b;
}
static uint32_t key_hi(uint64_t k) {
    uint32_t a = (uint32_t)(k >> 32), b = (uint32_t)k;
    return a < b ? b : a;
}

/* Sorts keys by key (LSD radix, stable: records stay in order within a key). */
static int radix_sort(bkey *a, size_t n) {
    bkey *tmp = malloc((n ? n : 1) * sizeof *tmp);
    size_t *count = malloc(65537 * sizeof *count);
    if (!tmp || !count) { free(tmp), free(count); return -1; }
    bkey *src = a, *dst = tmp;
    for (int shift = 0; shift < 64; shift += 16) { /* four passes: the result ends in a */
        memset(count, 0, 65537 * sizeof *count);
        for (size_t i = 0; i < n; i++) count[((src[i].key >> shift) & 0xFFFF) + 1]++;
        for (int b = 0; b < 65536; b++) count[b + 1] += count[b];
        for (size_t i = 0; i < n; i++) dst[count[(src[i].key >> shift) & 0xFFFF]++] = src[i];
        bkey *t = src;
        src = dst, dst = t;
    }
    free(tmp);
    free(count);
    return 0;
}

static uint64_t khash(uint64_t tag, const void *p, size_t n) {
    uint64_t h = 1469598103934665603ULL ^ (tag * 0x9E3779B97F4A7C15ULL);
    for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ULL;
    return mix64(h) ? mix64(h) : 1;
}

/* An open-addressing set of pairs (a < b). */
typedef struct {
    uint64_t *slot;
    size_t cap, n;
} pairset;

static int pairset_add(pairset *s, uint32_t a, uint32_t b) {
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1 << 16;
        uint64_t *ns = calloc(cap, sizeof *ns);
        if (!ns) return -1;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i]) {
                size_t h = mix64(s->slot[i]) & (cap - 1);
                while (ns[h]) h = (h + 1) & (cap - 1);
                ns[h] = s->slot[i];
            }
        free(s->slot);
        s->slot = ns, s->cap = cap;
    }
    uint64_t k = ((uint64_t)a << 32 | b) + 1;
    size_t h = mix64(k) & (s->cap - 1);
    while (s->slot[h]) {
        if (s->slot[h] == k) return 0;
        h = (h + 1) & (s->cap - 1);
    }
    s->slot[h] = k;
    s->n++;
    return 1;
}

static int pairset_has(const pairset *s, uint32_t a, uint32_t b) {
    if (!s->cap) return 0;
    if (a > b) { uint32_t t = a; a = b; b = t; }
    uint64_t k = ((uint64_t)a << 32 | b) + 1;
    size_t h = mix64(k) & (s->cap - 1);
    while (s->slot[h]) {
        if (s->slot[h] == k) return 1;
        h = (h + 1) & (s->cap - 1);
    }
    return 0;
}

static size_t record_keys(const people_lrec *r, uint32_t i, bkey *out) {
    size_t n = 0;
    int year = r->birth / 10000;
    if (r->id_known == 18) out[n++] = (bkey){khash(1, r->id, 18), i};
    if (r->id_known >= 15) out[n++] = (bkey){khash(2, r->id, 15), i};
    if (r->id_kind == PEOPLE_ID_OTHER && r->id_known >= 5) out[n++] = (bkey){khash(12, r->id, r->id_known), i};
    if (r->npy) {
        uint32_t b[6];
        memcpy(b, r->py, sizeof(uint32_t) * r->npy);
        if (r->birth) {
            b[r->npy] = (uint32_t)r->birth;
            out[n++] = (bkey){khash(3, b, sizeof(uint32_t) * (r->npy + 1u)), i};
            b[r->npy] = (uint32_t)year;
            out[n++] = (bkey){khash(4, b, sizeof(uint32_t) * (r->npy + 1u)), i};
            uint32_t s[2] = {r->py[0], (uint32_t)r->birth};
            out[n++] = (bkey){khash(5, s, sizeof s), i};
        }
        if (r->comm) {
            b[r->npy] = r->comm;
            out[n++] = (bkey){khash(6, b, sizeof(uint32_t) * (r->npy + 1u)), i};
        }
    }
    for (int k = 0; k < PEOPLE_MAX_PHONES && r->phone[k]; k++) out[n++] = (bkey){khash(7, &r->phone[k], 8), i};
    if (r->birth && r->birth % 100 && r->sex && r->comm) {
        uint32_t s[3] = {(uint32_t)r->birth, (uint32_t)r->sex, r->comm};
        out[n++] = (bkey){khash(8, s, sizeof s), i};
    }
    if (r->nnums >= 2 && r->npy) { /* the name at the house, the surname at the house */
        uint32_t s[7] = {0};
        for (int k = 0; k < r->nnums; k++) s[k] = (uint32_t)r->nums[k];
        memcpy(s + 4, r->py, sizeof(uint32_t) * (r->npy < 3 ? r->npy : 3u));
        out[n++] = (bkey){khash(10, s, sizeof s), i};
        s[5] = s[6] = 0;
        out[n++] = (bkey){khash(11, s, sizeof s), i};
    }
    if (r->nnums >= 2 && year) {
        int32_t s[6] = {year, 0, 0, 0, 0, 0};
        for (int k = 0; k < r->nnums; k++) s[1 + k] = r->nums[k];
        out[n++] = (bkey){khash(9, s, sizeof s), i};
    }
    return n;
}

/* ---- clustering ------------------------------------------------------------------- */

typedef struct {
    uint32_t *parent, *next, *size;
} uf;

static uint32_t uf_find(uf *u, uint32_t x) {
    while (u->parent[x] != x) u->parent[x] = u->parent[u->parent[x]], x = u->parent[x];
    return x;
}

/* Joins the clusters of a and b; the member lists are spliced. */
static void uf_join(uf *u, uint32_t a, uint32_t b) {
    a = uf_find(u, a), b = uf_find(u, b);
    if (a == b) return;
    if (u->size[a] < u->size[b]) { uint32_t t = a; a = b; b = t; }
    u->parent[b] = a;
    u->size[a] += u->size[b];
    /* splice b's ring into a's */
    uint32_t na = u->next[a], nb = u->next[b];
    u->next[a] = nb, u->next[b] = na;
}

static int hard_conflict(const people_lrec *x, const people_lrec *y) {
    if (x->id_kind != PEOPLE_ID_VALID || y->id_kind != PEOPLE_ID_VALID || !x->id_self || !y->id_self) return 0;
    if (!memcmp(x->id, y->id, 18)) return 0;
    return !one_error(x->id, y->id, 18);
}

static int clusters_conflict(uf *u, const people_lrec *r, const pairset *cannot, uint32_t a, uint32_t b) {
    uint32_t ra = uf_find(u, a), rb = uf_find(u, b);
    if (u->size[ra] + u->size[rb] > CLUSTER_CAP) return 1;
    uint32_t x = ra;
    do {
        uint32_t y = rb;
        do {
            if (hard_conflict(&r[x], &r[y]) || pairset_has(cannot, x, y)) return 1;
            y = u->next[y];
        } while (y != rb);
        x = u->next[x];
    } while (x != ra);
    return 0;
}

static int pair_by_weight(const void *x, const void *y) {
    const people_pair *a = *(people_pair *const *)x, *b = *(people_pair *const *)y;
    if (a->weight != b->weight) return a->weight > b->weight ? -1 : 1;
    if (a->a != b->a) return a->a < b->a ? -1 : 1;
    return a->b < b->b ? -1 : a->b > b->b;
}

/* ---- the run ---------------------------------------------------------------------- */

void people__link_free(people_link_run *run) {
    free(run->cluster);
    free(run->pairs);
    free(run->linked);
    run->cluster = NULL, run->pairs = NULL, run->linked = NULL;
}

jc_err people__link(people_link_run *run) {
    double t0 = now_s();
    size_t n = run->n;
    people_lrec *r = run->r;
    run->cluster = calloc(n ? n : 1, sizeof *run->cluster);
    if (!run->cluster) return JC_ERR_NOMEM;
    /* blocking: every record's keys; in an incremental run only the keys a
     * fresh record has (the other blocks hold no pair to compare) */
    bkey *keys = malloc((n ? n : 1) * 18 * sizeof *keys);
    if (!keys) return JC_ERR_NOMEM;
    size_t nk = 0;
    pairset fresh_keys = {0};
    if (run->incremental) {
        bkey tmp[18];
        for (uint32_t i = 0; i < n; i++) {
            if (!r[i].fresh) continue;
            size_t m = record_keys(&r[i], i, tmp);
            for (size_t k = 0; k < m; k++)
                if (pairset_add(&fresh_keys, key_lo(tmp[k].key), key_hi(tmp[k].key)) < 0) {
                    free(keys), free(fresh_keys.slot);
                    return JC_ERR_NOMEM;
                }
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        size_t m = record_keys(&r[i], i, keys + nk);
        if (run->incremental && !r[i].fresh) { /* keep only the keys a fresh record shares */
            size_t kept = 0;
            for (size_t k = 0; k < m; k++)
                if (pairset_has(&fresh_keys, key_lo(keys[nk + k].key), key_hi(keys[nk + k].key)))
                    keys[nk + kept++] = keys[nk + k];
            m = kept;
        }
        nk += m;
    }
    free(fresh_keys.slot);
    if (radix_sort(keys, nk)) { free(keys); return JC_ERR_NOMEM; }
    pairset seen = {0};
    size_t pcap = 1 << 16, np = 0;
    people_pair *pairs = malloc(pcap * sizeof *pairs);
    jc_err e = pairs ? JC_OK : JC_ERR_NOMEM;
    for (size_t i = 0; i < nk && !e;) {
        size_t j = i;
        while (j < nk && keys[j].key == keys[i].key) j++;
        if (j - i >= 2 && j - i <= BLOCK_CAP) {
            for (size_t x = i; x < j && !e; x++)
                for (size_t y = x + 1; y < j && !e; y++) {
                    uint32_t a = keys[x].rec, b = keys[y].rec;
                    if (a == b) continue;
                    if (run->incremental && !r[a].fresh && !r[b].fresh) continue;
                    int added = pairset_add(&seen, a < b ? a : b, a < b ? b : a);
                    if (added < 0) { e = JC_ERR_NOMEM; break; }
                    if (!added) continue;
                    if (np == pcap) {
                        pcap *= 2;
                        people_pair *nps = realloc(pairs, pcap * sizeof *nps);
                        if (!nps) { e = JC_ERR_NOMEM; break; }
                        pairs = nps;
                    }
                    people_pair *p = &pairs[np++];
                    p->a = a < b ? a : b, p->b = a < b ? b : a;
                    people__compare(&r[p->a], &r[p->b], p->lv);
                }
        }
        i = j;
    }
    free(keys);
    free(seen.slot);
    run->compared = (int64_t)np;
    double t1 = now_s();
    run->seconds_block = t1 - t0;
    if (e) { free(pairs); return e; }
    /* estimate */
    if (run->stored && run->stored->em_iterations) run->model = *run->stored;
    else people__model_prior(&run->model);
    double t2 = now_s();
    if (np >= 2000) em(&run->model, pairs, np);
    run->seconds_em = now_s() - t2;
    /* score; keep what is worth keeping */
    size_t keep = 0;
    for (size_t i = 0; i < np; i++) {
        double w = pair_weight(&run->model, pairs[i].lv);
        pairs[i].weight = (float)w;
        pairs[i].prob = (float)posterior(&run->model, w);
        if (pairs[i].prob >= PEOPLE_REVIEW_P) pairs[keep++] = pairs[i];
    }
    np = keep;
    /* the links kept from the last run (between records not fresh) */
    if (run->nkept) {
        people_pair *nps = realloc(pairs, (np + run->nkept + 1) * sizeof *nps);
        if (!nps) { free(pairs); return JC_ERR_NOMEM; }
        pairs = nps;
        memcpy(pairs + np, run->kept, run->nkept * sizeof *pairs);
        np += run->nkept;
    }
    run->seconds_compare = now_s() - t1 - run->seconds_em;
    /* cluster */
    double t3 = now_s();
    uf u = {malloc((n ? n : 1) * sizeof(uint32_t)), malloc((n ? n : 1) * sizeof(uint32_t)),
            malloc((n ? n : 1) * sizeof(uint32_t))};
    people_pair **order = malloc((np ? np : 1) * sizeof *order);
    run->linked = calloc(np ? np : 1, 1);
    pairset cannot = {0};
    if (!u.parent || !u.next || !u.size || !order || !run->linked) e = JC_ERR_NOMEM;
    for (uint32_t i = 0; !e && i < n; i++) u.parent[i] = u.next[i] = i, u.size[i] = 1;
    for (size_t i = 0; !e && i < run->ndec; i++) {
        const people_decision *d = &run->dec[i];
        if (d->a >= n || d->b >= n) continue;
        if (d->same) uf_join(&u, d->a, d->b);
        else if (pairset_add(&cannot, d->a < d->b ? d->a : d->b, d->a < d->b ? d->b : d->a) < 0) e = JC_ERR_NOMEM;
    }
    size_t no = 0;
    for (size_t i = 0; !e && i < np; i++)
        if (pairs[i].prob >= PEOPLE_LINK_P) order[no++] = &pairs[i];
    if (!e) qsort(order, no, sizeof *order, pair_by_weight);
    for (size_t i = 0; !e && i < no; i++) {
        people_pair *p = order[i];
        if (uf_find(&u, p->a) == uf_find(&u, p->b)) {
            run->linked[p - pairs] = 1;
            continue;
        }
        if (clusters_conflict(&u, r, &cannot, p->a, p->b)) continue;
        uf_join(&u, p->a, p->b);
        run->linked[p - pairs] = 1;
    }
    if (!e) {
        uint32_t *num = malloc((n ? n : 1) * sizeof *num);
        if (!num) e = JC_ERR_NOMEM;
        for (uint32_t i = 0; !e && i < n; i++) num[i] = UINT32_MAX;
        size_t nc = 0;
        for (uint32_t i = 0; !e && i < n; i++) {
            uint32_t root = uf_find(&u, i);
            if (num[root] == UINT32_MAX) num[root] = (uint32_t)nc++;
            run->cluster[i] = num[root];
        }
        run->nclusters = nc;
        free(num);
    }
    free(u.parent), free(u.next), free(u.size), free(order), free(cannot.slot);
    run->seconds_cluster = now_s() - t3;
    run->pairs = pairs;
    run->npairs = np;
    return e;
}
