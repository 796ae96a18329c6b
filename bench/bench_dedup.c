/*
 * bench_dedup.c -- microseconds per dedup_query (src/dedup.c) on an index
 * shaped like the HTTP bench's patrol findings (bench/http.sh): texts
 * "巡查发现 <n> " + 24 characters drawn from the 35-character pool, 13
 * categories, points uniform in a 0.0236 degree square at 116.3962E
 * 39.9052N, about 8,500 reports a second, same_category_only = 1 and the
 * defaults otherwise (as dispatch's load_dups).  Builds an index of N
 * reports, then times Q rounds of query + add (the add reuses the
 * signature cached by the query, as in dispatch) and prints the
 * microseconds per query and per add, and a checksum of every answer (ids,
 * scores, distances, verdicts) so that two builds of dedup.c can be
 * compared for equal results.  Not part of make bench; build it by hand
 * with the Makefile's flags:
 *
 *   cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Isrc -o /tmp/bench_dedup \
 *      bench/bench_dedup.c src/dedup.c src/text.c src/util.c -lutf8proc -lpthread -lm
 *   taskset -c 0 /tmp/bench_dedup
 *
 *   bench_dedup [N=90000] [Q=20000] [pool=35] [max=4] [seed]
 *
 * A smaller pool (e.g. 8) makes many texts similar: many matches, more than
 * max per query, to compare the ranking and truncation of two builds.
 */
#include "dedup.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char POOL[] = "东西南北上下左右前后山水木火土金日月星云风雨雪花草树鸟鱼车马路桥门窗灯";
enum { NPOOL = (sizeof POOL - 1) / 3 }; /* every pool character is 3 bytes of UTF-8 */
static const char *CATS[13] = {"0101", "0102", "0104", "0201", "0202", "0203", "0301",
                               "0401", "0502", "0801", "1001", "1101", "1201"};

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static double rnd(void) { return (double)(next() >> 11) / 9007199254740992.0; }

typedef struct {
    char text[160];
    double lon, lat;
    int64_t at;
    const char *cat;
} report;

static void make(report *r, int n, int pool, int64_t at) {
    int o = snprintf(r->text, sizeof r->text, "巡查发现 %d ", n);
    for (int i = 0; i < 24; i++) {
        int k = (int)(next() % (uint64_t)pool);
        memcpy(r->text + o, POOL + 3 * k, 3);
        o += 3;
    }
    r->text[o] = 0;
    r->lon = 116.3962 + rnd() * 0.0236;
    r->lat = 39.9052 + rnd() * 0.0236;
    r->at = at;
    r->cat = CATS[next() % 13];
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t fold(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ull; }

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 90000, q = argc > 2 ? atoi(argv[2]) : 20000;
    int pool = argc > 3 ? atoi(argv[3]) : NPOOL, max = argc > 4 ? atoi(argv[4]) : 4;
    if (argc > 5) rng ^= (uint64_t)atoll(argv[5]) * 0x2545F4914F6CDD1Dull;
    if (n < 0 || q < 1 || pool < 1 || pool > NPOOL || max < 1 || max > 1000) {
        fprintf(stderr, "usage: bench_dedup [N] [Q] [pool 1..35] [max 1..1000] [seed]\n");
        return 2;
    }
    dedup_params p = dedup_params_default();
    p.same_category_only = 1;
    dedup_index *ix = NULL;
    if (dedup_new(&p, &ix)) return 1;
    const int64_t T0 = 1767225600000LL;
    report r;
    double tb = now_s();
    for (int i = 0; i < n; i++) {
        make(&r, i + 1, pool, T0 + (int64_t)i * 1000 / 8500);
        if (dedup_add(ix, i + 1, r.text, r.lon, r.lat, r.at, r.cat)) return 1;
    }
    tb = now_s() - tb;
    report *rs = malloc((size_t)q * sizeof *rs);
    dedup_match *m = malloc((size_t)max * sizeof *m);
    if (!rs || !m) return 1;
    for (int i = 0; i < q; i++) make(&rs[i], n + i + 1, pool, T0 + (int64_t)(n + i) * 1000 / 8500);
    uint64_t sum = 0xcbf29ce484222325ull;
    size_t found = 0;
    double tq = 0, ta = 0;
    for (int i = 0; i < q; i++) {
        size_t k = 0;
        double t0 = now_s();
        jc_err e = dedup_query(ix, rs[i].text, rs[i].lon, rs[i].lat, rs[i].at, rs[i].cat, m,
                               (size_t)max, &k);
        double t1 = now_s();
        if (e) return 1;
        e = dedup_add(ix, n + i + 1, rs[i].text, rs[i].lon, rs[i].lat, rs[i].at, rs[i].cat);
        ta += now_s() - t1;
        tq += t1 - t0;
        if (e) return 1;
        found += k;
        sum = fold(sum, k);
        for (size_t j = 0; j < k; j++) {
            uint64_t bits[4];
            memcpy(&bits[0], &m[j].score, 8);
            memcpy(&bits[1], &m[j].dist_m, 8);
            memcpy(&bits[2], &m[j].text_sim, 8);
            bits[3] = (uint64_t)m[j].dt_ms ^ ((uint64_t)m[j].verdict << 60) ^
                      ((uint64_t)(m[j].same_category + 1) << 62);
            sum = fold(sum, (uint64_t)m[j].id);
            for (int b = 0; b < 4; b++) sum = fold(sum, bits[b]);
        }
    }
    printf("index %d, %d queries (pool %d, max %d): %.2f us/query, %.2f us/add, %zu matches, "
           "checksum %016llx (building: %.2f us/add)\n",
           n, q, pool, max, tq * 1e6 / q, ta * 1e6 / q, found, (unsigned long long)sum,
           n ? tb * 1e6 / n : 0.0);
    dedup_free(ix);
    free(rs), free(m);
    return 0;
}
