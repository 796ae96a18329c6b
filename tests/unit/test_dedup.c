/*
 * test_dedup.c -- near-duplicate detection of src/dedup.c: planted
 * paraphrases of real messages ($JICENG_SHARED/data/taidi2020/
 * messages_unlabeled.csv, default ../shared) are found; unrelated messages,
 * far-away and out-of-window reports are not merged.
 */
#include "classify.h"
#include "dedup.h"
#include "t.h"

#include <stdint.h>
#include <unistd.h>

#define NBASE 200
#define NPARA 40
static const double LON = 112.9388, LAT = 28.2282; /* a city centre */
static const int64_t T0 = 1767225600000LL;

static classify_data msgs;
static int loaded;

/* Messages of a useful length from the shared unlabelled set. */
static int load_msgs(void) {
    if (loaded) return msgs.n >= NBASE + 60;
    loaded = 1;
    const char *root = getenv("JICENG_SHARED");
    char path[1024];
    snprintf(path, sizeof path, "%s/data/taidi2020/messages_unlabeled.csv",
             root && *root ? root : "../shared");
    classify_data all = {0};
    classify_cols c = {"留言主题", "留言详情", NULL};
    char msg[256];
    if (classify_load_csv(path, &c, 0, &all, msg, sizeof msg)) {
        fprintf(stderr, "%s: %s\n", path, msg);
        return 0;
    }
    for (size_t i = 0; i < all.n && msgs.n < NBASE + 60; i++) {
        size_t cps = jc_utf8_len(all.text[i]);
        if (cps >= 60 && cps <= 400 && classify_data_add(&msgs, all.title[i], all.text[i], NULL))
            break;
    }
    classify_data_free(&all);
    return msgs.n >= NBASE + 60;
}

/* A paraphrase: clauses (split at ，。) in reverse order, a few adjacent
 * characters swapped, filler at both ends. */
static char *paraphrase(const char *s, uint64_t seed) {
    uint32_t *cp = NULL;
    size_t n = 0, cap = 0;
    if (text_codepoints_buf(s, strlen(s), &cp, &cap, &n)) return NULL;
    /* clause boundaries are ' ' after normalisation */
    uint32_t *out = malloc((n + 64) * sizeof *out);
    size_t o = 0, end = n;
    for (size_t i = n; i-- > 0;) {
        if (cp[i] == ' ' || i == 0) {
            size_t start = cp[i] == ' ' ? i + 1 : 0;
            for (size_t k = start; k < end; k++) out[o++] = cp[k];
            out[o++] = 0xFF0C; /* ， */
            end = i;
        }
    }
    for (int sw = 0; sw < 3 && o > 4; sw++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t i = (size_t)(seed >> 33) % (o - 2);
        uint32_t t = out[i];
        out[i] = out[i + 1];
        out[i + 1] = t;
    }
    char *res = malloc(o * 4 + 128);
    size_t w = (size_t)snprintf(res, 128, "你好，我想反映一下，");
    for (size_t k = 0; k < o; k++) w += text_cp_to_utf8(out + k, 1, res + w, 8);
    memcpy(res + w, "麻烦尽快处理，谢谢！", strlen("麻烦尽快处理，谢谢！") + 1);
    free(cp), free(out);
    return res;
}

static dedup_index *base_index(void) {
    dedup_params p = dedup_params_default();
    dedup_index *ix = NULL;
    if (dedup_new(&p, &ix)) return NULL;
    for (int i = 0; i < NBASE; i++) {
        /* within ~150 m of the centre, within 10 hours */
        double lon = LON + (double)(i % 7 - 3) * 0.0004, lat = LAT + (double)(i % 5 - 2) * 0.0004;
        if (dedup_add(ix, 1000 + i, msgs.text[i], lon, lat, T0 + (int64_t)i * 180000, NULL)) {
            dedup_free(ix);
            return NULL;
        }
    }
    return ix;
}

TEST(paraphrases_found) {
    ASSERT(load_msgs());
    dedup_index *ix = base_index();
    ASSERT(ix);
    ASSERT_EQ(dedup_count(ix), NBASE);
    int top1 = 0, merged = 0;
    double simsum = 0;
    for (int i = 0; i < NPARA; i++) {
        int src = i * 5;
        char *q = paraphrase(msgs.text[src], (uint64_t)i + 1);
        ASSERT(q);
        dedup_match m[5];
        size_t n = 0;
        double lon = LON + (double)(src % 7 - 3) * 0.0004 + 0.0003; /* ~30 m away */
        double lat = LAT + (double)(src % 5 - 2) * 0.0004;
        jc_err e = dedup_query(ix, q, lon, lat, T0 + (int64_t)src * 180000 + 3600000, NULL, m, 5, &n);
        free(q);
        ASSERT_OK(e);
        if (n > 0 && m[0].id == 1000 + src) {
            top1++;
            simsum += m[0].text_sim;
            merged += m[0].verdict == DEDUP_MERGE;
            ASSERT(m[0].dist_m > 10 && m[0].dist_m < 60);
            ASSERT_EQ(m[0].dt_ms, 3600000);
        }
    }
    printf("paraphrases: %d/%d found first, %d auto-merge, mean similarity %.2f\n", top1, NPARA,
           merged, top1 ? simsum / top1 : 0.0);
    ASSERT(top1 >= NPARA - 1);
    ASSERT(merged >= NPARA * 3 / 4);
    dedup_free(ix);
}

TEST(unrelated_not_merged) {
    ASSERT(load_msgs());
    dedup_index *ix = base_index();
    ASSERT(ix);
    int suggestions = 0;
    for (size_t j = NBASE; j < NBASE + 60; j++) {
        dedup_match m[5];
        size_t n = 0;
        ASSERT_OK(dedup_query(ix, msgs.text[j], LON, LAT, T0 + 3600000, NULL, m, 5, &n));
        for (size_t k = 0; k < n; k++) {
            /* the shared set holds true repeats; an unrelated pair stays below merge */
            if (m[k].verdict == DEDUP_MERGE && m[k].text_sim < 0.9)
                T_FAIL_("message %zu merged with %lld at sim %.2f", j, (long long)m[k].id,
                        m[k].text_sim);
            suggestions++;
        }
    }
    printf("unrelated: %d suggestions for 60 queries\n", suggestions);
    ASSERT(suggestions <= 6);
    dedup_free(ix);
}

TEST(far_or_late_not_matched) {
    ASSERT(load_msgs());
    dedup_index *ix = base_index();
    ASSERT(ix);
    dedup_match m[5];
    size_t n = 0;
    const char *t = msgs.text[10];
    double lon = LON + (double)(10 % 7 - 3) * 0.0004, lat = LAT + (double)(10 % 5 - 2) * 0.0004;
    int64_t when = T0 + 10 * 180000;
    /* the same text, same place and time: a merge */
    ASSERT_OK(dedup_query(ix, t, lon, lat, when, NULL, m, 5, &n));
    ASSERT(n >= 1 && m[0].id == 1010 && m[0].verdict == DEDUP_MERGE);
    ASSERT_NEAR(m[0].text_sim, 1.0, 1e-9);
    /* 5 km away */
    ASSERT_OK(dedup_query(ix, t, lon + 0.05, lat, when, NULL, m, 5, &n));
    for (size_t k = 0; k < n; k++) ASSERT(m[k].id != 1010);
    /* four days later */
    ASSERT_OK(dedup_query(ix, t, lon, lat, when + 4LL * 86400000, NULL, m, 5, &n));
    for (size_t k = 0; k < n; k++) ASSERT(m[k].id != 1010);
    /* a different category lowers the score but keeps the match */
    ASSERT_OK(dedup_add(ix, 7, "小区门口的路灯坏了一个星期没人修", LON, LAT, T0, "路灯不亮"));
    ASSERT_OK(dedup_query(ix, "小区门口的路灯坏了一个星期没人修", LON, LAT, T0, "噪声扰民", m, 5, &n));
    ASSERT(n >= 1 && m[0].id == 7 && m[0].same_category == 0);
    double s_other = m[0].score;
    ASSERT_OK(dedup_query(ix, "小区门口的路灯坏了一个星期没人修", LON, LAT, T0, "路灯不亮", m, 5, &n));
    ASSERT(n >= 1 && m[0].id == 7 && m[0].same_category == 1 && m[0].score > s_other);
    dedup_free(ix);
}

TEST(window_eviction_bounds_memory) {
    dedup_params p = dedup_params_default();
    p.window_ms = 3600000;
    p.max_entries = 50;
    dedup_index *ix = NULL;
    ASSERT_OK(dedup_new(&p, &ix));
    for (int i = 0; i < 40; i++)
        ASSERT_OK(dedup_add(ix, i, i % 2 ? "路灯坏了" : "垃圾没人收", LON, LAT, T0 + i * 60000, NULL));
    ASSERT_EQ(dedup_count(ix), 40);
    /* two hours later: everything older than one hour goes */
    ASSERT_OK(dedup_add(ix, 100, "井盖丢了", LON, LAT, T0 + 2 * 3600000 + 39 * 60000, NULL));
    ASSERT_EQ(dedup_count(ix), 1);
    dedup_match m[4];
    size_t n = 9;
    ASSERT_OK(dedup_query(ix, "路灯坏了", LON, LAT, T0 + 39 * 60000, NULL, m, 4, &n));
    ASSERT_EQ(n, 0);
    /* the cap: never more than max_entries */
    for (int i = 0; i < 500; i++)
        ASSERT_OK(dedup_add(ix, 200 + i, "路灯坏了", LON, LAT, T0 + 3 * 3600000, NULL));
    ASSERT_EQ(dedup_count(ix), 50);
    ASSERT_OK(dedup_query(ix, "路灯坏了", LON, LAT, T0 + 3 * 3600000, NULL, m, 4, &n));
    ASSERT_EQ(n, 4);
    ASSERT(m[0].id >= 650);
    dedup_free(ix);
}

TEST(bad_input_refused) {
    dedup_params p = dedup_params_default();
    dedup_index *ix = NULL;
    ASSERT_OK(dedup_new(&p, &ix));
    ASSERT_EQ(dedup_add(ix, 1, "路灯坏了", 200, 30, T0, NULL), JC_ERR_INVALID);
    ASSERT_EQ(dedup_add(ix, 1, "路灯坏了", 120, NAN, T0, NULL), JC_ERR_INVALID);
    ASSERT_EQ(dedup_add(ix, 1, "路灯\xff", 120, 30, T0, NULL), JC_ERR_INVALID);
    ASSERT_EQ(dedup_add(ix, 1, "", 120, 30, T0, NULL), JC_ERR_INVALID);
    ASSERT_EQ(dedup_add(ix, 1, "！？", 120, 30, T0, NULL), JC_ERR_INVALID);
    size_t big = 10u << 20;
    char *s = malloc(big + 1);
    ASSERT(s);
    memset(s, 'x', big);
    s[big] = 0;
    jc_err e = dedup_add(ix, 1, s, 120, 30, T0, NULL);
    free(s);
    ASSERT_EQ(e, JC_ERR_TOOBIG);
    ASSERT_EQ(dedup_count(ix), 0);
    p.suggest_sim = 0.9; /* above merge_sim */
    dedup_index *bad = NULL;
    ASSERT_EQ(dedup_new(&p, &bad), JC_ERR_INVALID);
    /* one degree of latitude is about 111 km */
    ASSERT_NEAR(dedup_distance_m(120, 30, 120, 31), 111195, 200);
    dedup_free(ix);
}

/* The place index against brute force: thousands of reports in a small
 * area (crowded cells), two categories, evictions by time and by the cap;
 * every query must return exactly the live same-category reports within
 * max_dist_m and the window whose text is the same (a third are about
 * something else and share no bigram with the query). */
static uint64_t rng_state = 88172645463325252ULL;
static double rnd(void) {
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static int by_id(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

TEST(place_index_matches_brute_force) {
    enum { N = 6000, CAP = 2500 };
    dedup_params p = dedup_params_default();
    p.window_ms = 3600000;
    p.max_entries = CAP;
    p.same_category_only = 1;
    dedup_index *ix = NULL;
    ASSERT_OK(dedup_new(&p, &ix));
    static double lon[N], lat[N];
    static int64_t at[N];
    static int cat[N];
    static dedup_match m[N];
    static int64_t got[N], want[N];
    const char *cats[2] = {"0201", "0301"};
    size_t head = 0; /* oldest live report (FIFO = time order here) */
    for (int i = 0; i < N; i++) {
        lon[i] = LON + rnd() * 0.02, lat[i] = LAT + rnd() * 0.02;
        at[i] = T0 + (int64_t)i * 2000 + (int64_t)(rnd() * 1000);
        cat[i] = rnd() < 0.7 ? 0 : 1;
        while (head < (size_t)i && at[head] < at[i] - p.window_ms) head++;
        if ((size_t)i - head == CAP) head++;
        /* every third report is about something else: never a match */
        ASSERT_OK(dedup_add(ix, i, i % 3 ? "路灯坏了不亮" : "垃圾桶满了没人收拾", lon[i], lat[i], at[i],
                            cats[cat[i]]));
        ASSERT_EQ(dedup_count(ix), (size_t)i + 1 - head);
        if (i % 300 != 299) continue;
        for (int q = 0; q < 5; q++) {
            double qlon = LON + rnd() * 0.02, qlat = LAT + rnd() * 0.02;
            int qc = q % 2;
            int64_t qt = at[i] - (int64_t)(rnd() * 2 * 3600000) + 1800000;
            size_t n = 0, w = 0;
            ASSERT_OK(dedup_query(ix, "路灯坏了不亮", qlon, qlat, qt, cats[qc], m, N, &n));
            for (size_t k = 0; k < n; k++) got[k] = m[k].id;
            for (size_t j = head; j <= (size_t)i; j++) {
                int64_t dt = at[j] > qt ? at[j] - qt : qt - at[j];
                if (j % 3 && cat[j] == qc && dt <= p.window_ms &&
                    dedup_distance_m(qlon, qlat, lon[j], lat[j]) <= p.max_dist_m)
                    want[w++] = (int64_t)j;
            }
            qsort(got, n, sizeof *got, by_id);
            ASSERT_EQ(n, w);
            for (size_t k = 0; k < n; k++) ASSERT_EQ(got[k], want[k]);
        }
    }
    dedup_free(ix);
}

/* Cells that only just reach the circle are read: a query skips the cells
 * wholly outside its circle, so put a report just inside a cell corner
 * 299.995 m from the query, on bearings all around, with cells of
 * max_dist_m / s for s = 1..4 (whatever the index's split, its corners are
 * among them), near the equator, at Beijing and at high latitudes where
 * cos(lat) is small and changes across the circle; plus reports just
 * outside and a ring around each query.  Every query must return exactly the
 * reports within max_dist_m (haversine), also those on the four axes (the
 * bearings include none exactly; the axes test below does). */
static void toward(double lon, double lat, double bearing_deg, double t, double *olon, double *olat) {
    double b = bearing_deg * M_PI / 180.0;
    *olat = lat + t * cos(b);
    *olon = lon + t * sin(b) / cos(lat * M_PI / 180.0);
}

/* The point at dist metres (within 1 mm below) from (lon, lat) on a
 * bearing. */
static void at_distance(double lon, double lat, double bearing_deg, double dist, double *olon,
                        double *olat) {
    double lo = 0, hi = 2 * dist / 111195.0;
    for (int i = 0; i < 100; i++) {
        double mid = (lo + hi) / 2, x, y;
        toward(lon, lat, bearing_deg, mid, &x, &y);
        if (dedup_distance_m(lon, lat, x, y) <= dist) lo = mid;
        else hi = mid;
    }
    toward(lon, lat, bearing_deg, lo, olon, olat);
}

TEST(culled_cells_match_full_scan) {
    enum { NLAT = 7, NSPLIT = 4, NBEAR = 16, RING = 24 };
    enum { NQ = NLAT * NSPLIT * NBEAR, NE = NQ * (2 + RING) };
    static const double lats[NLAT] = {0.3, 39.9052, 65, 80, 86, -45, -80};
    static const double bearings[NBEAR] = {15, 40, 50, 75, 105, 130, 140, 165,
                                           195, 220, 230, 255, 285, 310, 320, 345};
    dedup_params p = dedup_params_default();
    p.same_category_only = 1;
    dedup_index *ix = NULL;
    ASSERT_OK(dedup_new(&p, &ix));
    static double qlon[NQ], qlat[NQ], elon[NE], elat[NE];
    static int64_t got[NE], want[NE];
    static dedup_match m[NE];
    const double dist_deg = p.max_dist_m / (6371008.8 * M_PI / 180.0) * (1 + 1e-4); /* as dedup.c */
    const char *text = "路灯坏了不亮";
    size_t ne = 0;
    int q = 0;
    for (int li = 0; li < NLAT; li++)
        for (int s = 1; s <= NSPLIT; s++)
            for (int bi = 0; bi < NBEAR; bi++, q++) {
                double cd = dist_deg / s, b = bearings[bi];
                double base = 116.0 + (q % (NSPLIT * NBEAR)) * 0.02 / cos(lats[li] * M_PI / 180.0);
                double clon = floor(base / cd) * cd, clat = floor(lats[li] / cd) * cd;
                /* the query 299.995 m from the corner, which is at bearing b
                 * from it; the report just inside the cell beyond the corner */
                at_distance(clon, clat, b + 180, 299.995, &qlon[q], &qlat[q]);
                double sx = sin(b * M_PI / 180.0) > 0 ? 1 : -1, sy = cos(b * M_PI / 180.0) > 0 ? 1 : -1;
                elon[ne] = clon + sx * 1e-9, elat[ne] = clat + sy * 1e-9, ne++;
                /* just outside on the same bearing */
                at_distance(qlon[q], qlat[q], b, 300.02, &elon[ne], &elat[ne]), ne++;
                for (int r = 0; r < RING; r++, ne++)
                    at_distance(qlon[q], qlat[q], rnd() * 360, 295 + rnd() * 10, &elon[ne], &elat[ne]);
            }
    ASSERT_EQ(ne, NE);
    for (size_t j = 0; j < ne; j++)
        ASSERT_OK(dedup_add(ix, (int64_t)j, text, elon[j], elat[j], T0, "0201"));
    /* a decoy of another category at every corner */
    for (q = 0; q < NQ; q++)
        ASSERT_OK(dedup_add(ix, 1000000 + q, text, elon[q * (2 + RING)], elat[q * (2 + RING)], T0, "0301"));
    int corners = 0;
    for (q = 0; q < NQ; q++) {
        size_t n = 0, w = 0;
        ASSERT_OK(dedup_query(ix, text, qlon[q], qlat[q], T0, "0201", m, NE, &n));
        for (size_t k = 0; k < n; k++) got[k] = m[k].id;
        for (size_t j = 0; j < ne; j++)
            if (dedup_distance_m(qlon[q], qlat[q], elon[j], elat[j]) <= p.max_dist_m)
                want[w++] = (int64_t)j;
        corners += w && want[0] == (int64_t)q * (2 + RING);
        qsort(got, n, sizeof *got, by_id);
        if (n != w) T_FAIL_("query %d (lat %.4f): %zu found, %zu expected", q, qlat[q], n, w);
        for (size_t k = 0; k < n; k++) ASSERT_EQ(got[k], want[k]);
    }
    /* the corner reports are within reach (else the test tests nothing) */
    ASSERT(corners == NQ);
    dedup_free(ix);
}

/* Reports 299.9 m due north, south, east and west of a query are matched
 * (the box test of the index once used 111320 m a degree, narrower than the
 * haversine's sphere, and missed them); 300.1 m away they are not. */
TEST(axes_at_the_edge_matched) {
    const double lats[] = {0.5, 39.9052, -33.9, 60.2};
    for (size_t li = 0; li < sizeof lats / sizeof lats[0]; li++) {
        dedup_params p = dedup_params_default();
        dedup_index *ix = NULL;
        ASSERT_OK(dedup_new(&p, &ix));
        double lat = lats[li], lon = 116.3962;
        int id = 0;
        for (int b = 0; b < 360; b += 90)
            for (int out = 0; out < 2; out++) {
                double x, y;
                at_distance(lon, lat, b, out ? 300.1 : 299.9, &x, &y);
                ASSERT_OK(dedup_add(ix, id++, "路灯坏了不亮", x, y, T0, "0201"));
            }
        dedup_match m[16];
        size_t n = 0;
        ASSERT_OK(dedup_query(ix, "路灯坏了不亮", lon, lat, T0, "0201", m, 16, &n));
        ASSERT_EQ(n, 4);
        for (size_t k = 0; k < n; k++) ASSERT_EQ(m[k].id % 2, 0); /* the 299.9 m ones */
        dedup_free(ix);
    }
}

/* The signatures are those of the original scalar code, whichever path
 * (portable or AVX2) computes them here: the number of equal values (of
 * 128) of each query against eight indexed texts (one of one character,
 * one of more than 256). */
TEST(signatures_unchanged) {
    static const char piece[] = "人行道上的井盖松动，踩上去会晃。";
    char longt[20 * sizeof piece];
    longt[0] = 0;
    for (int i = 0; i < 20; i++) strcat(longt, piece);
    const char *texts[8] = {"小区门口的路灯坏了一个星期没人修",
                            "小区门口路灯坏了一周了，晚上很黑，没人来修",
                            "垃圾桶满了没人收拾，臭气熏天",
                            "路灯不亮",
                            "灯",
                            "Street light broken near gate 3, please fix",
                            longt,
                            "井盖松动，人行道上踩上去会晃动，很危险"};
    const char *queries[6] = {"小区门口的路灯坏了一个星期没人修", "路灯坏了好几天，小区门口晚上很黑",
                              "灯不亮", "灯", longt + 3 * 16 * 3, "Street light at gate 3 is broken"};
    static const int expect[6][8] = {
        {128, 42, 3, 7, 0, 0, 0, 0}, {36, 60, 0, 9, 0, 0, 0, 0}, {0, 0, 0, 83, 0, 0, 0, 0},
        {0, 0, 0, 0, 128, 0, 0, 0},  {0, 0, 0, 0, 0, 0, 128, 81}, {0, 0, 0, 0, 0, 84, 0, 0}};
    dedup_params p = dedup_params_default();
    p.suggest_sim = 0.001; /* every pair with one equal value */
    dedup_index *ix = NULL;
    ASSERT_OK(dedup_new(&p, &ix));
    for (int i = 0; i < 8; i++) ASSERT_OK(dedup_add(ix, i + 1, texts[i], LON, LAT, T0, NULL));
    for (int qi = 0; qi < 6; qi++) {
        dedup_match m[16];
        size_t n = 0;
        ASSERT_OK(dedup_query(ix, queries[qi], LON, LAT, T0, NULL, m, 16, &n));
        int same[9] = {0};
        for (size_t k = 0; k < n; k++) {
            ASSERT(m[k].id >= 1 && m[k].id <= 8);
            same[m[k].id] = (int)lround(m[k].text_sim * 128);
        }
        for (int i = 0; i < 8; i++)
            if (same[i + 1] != expect[qi][i])
                T_FAIL_("query %d against text %d: %d equal values, %d expected", qi, i + 1,
                        same[i + 1], expect[qi][i]);
    }
    dedup_free(ix);
}

/* More matches than asked for: the best ones are kept, whatever the order
 * they are found in (the first found fill the list in rising order here,
 * and a better one than the first comes later). */
TEST(best_kept_when_more_match_than_max) {
    dedup_params p = dedup_params_default();
    dedup_index *ix = NULL;
    ASSERT_OK(dedup_new(&p, &ix));
    const char *text = "小区门口的井盖松动了，踩上去会晃，请尽快处理";
    const int64_t H = 3600 * 1000;
    const int hours_ago[] = {40, 30, 1, 10, 50}; /* score falls with the time gap */
    for (int i = 0; i < 5; i++)
        ASSERT_OK(dedup_add(ix, 100 + i, text, LON, LAT, T0 - hours_ago[i] * H, "0201"));
    dedup_match m[3];
    size_t n = 0;
    ASSERT_OK(dedup_query(ix, text, LON, LAT, T0, "0201", m, 3, &n));
    ASSERT_EQ(n, 3);
    ASSERT_EQ(m[0].id, 102); /* 1 h ago */
    ASSERT_EQ(m[1].id, 103); /* 10 h */
    ASSERT_EQ(m[2].id, 101); /* 30 h */
    dedup_free(ix);
}

/* A crowded spot (a mass event: 2,000 copies of one report): a query
 * compares at most max_candidates of them in full, so its cost stops
 * growing with the crowd; what it finds comes from those. */
TEST(a_crowded_spot_is_compared_in_part) {
    dedup_params p = dedup_params_default();
    p.max_candidates = 50;
    dedup_index *ix = NULL;
    ASSERT_OK(dedup_new(&p, &ix));
    const char *text = "小区门口的水管爆裂，路面全是水，请尽快处理";
    for (int i = 0; i < 2000; i++) ASSERT_OK(dedup_add(ix, 1 + i, text, LON, LAT, T0 - 3600000 + i, "0502"));
    dedup_match m[4];
    size_t n = 0;
    ASSERT_OK(dedup_query(ix, text, LON, LAT, T0, "0502", m, 4, &n));
    ASSERT_EQ(n, 4);
    /* the newest (best by time) are past the cap: only the first 50 were read */
    for (size_t i = 0; i < n; i++) ASSERT(m[i].id <= 50);
    p.max_candidates = 0; /* no cap: the newest win */
    dedup_index *all = NULL;
    ASSERT_OK(dedup_new(&p, &all));
    for (int i = 0; i < 2000; i++) ASSERT_OK(dedup_add(all, 1 + i, text, LON, LAT, T0 - 3600000 + i, "0502"));
    ASSERT_OK(dedup_query(all, text, LON, LAT, T0, "0502", m, 4, &n));
    ASSERT_EQ(m[0].id, 2000);
    dedup_free(ix);
    dedup_free(all);
}

T_MAIN(T(a_crowded_spot_is_compared_in_part), T(best_kept_when_more_match_than_max), T(axes_at_the_edge_matched), T(paraphrases_found), T(unrelated_not_merged), T(far_or_late_not_matched),
       T(window_eviction_bounds_memory), T(bad_input_refused), T(place_index_matches_brute_force),
       T(culled_cells_match_full_scan), T(signatures_unchanged))
