/*
 * bench_routing.c -- routing decisions per second on one core: for a random
 * point and category, locate the grid (geo), pick the responsible entry of
 * the responsibility list (duty) and compute the handling deadline in working
 * time (calendar).  Driven by bench/routing.sh; writes {"routing_per_s": N}
 * to the file named by argv[1].
 *
 * The generated district: 75 x 70 = 5,250 grids over about 12 x 13 km near
 * 116.3E 39.9N, a tiling of jittered quadrilaterals whose edges carry two
 * extra shared vertices (12 corners per grid, neighbours share boundaries
 * exactly), coded as 15 streets x 12 communities x up to 30 grids.  The
 * responsibility list has 60 categories at district level, 30 of them also
 * per street and 20 also per community: 60 + 450 + 3,600 = 4,110 entries,
 * imported through the CSV path with known-code checks.
 */
#include "calendar.h"
#include "duty.h"
#include "geo.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { NX = 75, NY = 70, NCAT = 60, NPTS = 1 << 16 };
static const double LON0 = 116.30, LAT0 = 39.85, DX = 0.0020, DY = 0.0017;

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* Deterministic jitter in [-1, 1] for a vertex or edge key. */
static double jit(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return (double)(k >> 11) / 4503599627370496.0 - 1.0;
}

static void corner(int i, int j, double *x, double *y) {
    int border = i == 0 || j == 0 || i == NX || j == NY;
    *x = LON0 + i * DX + (border ? 0 : 0.15 * DX * jit((uint64_t)(i * 1000 + j) * 2));
    *y = LAT0 + j * DY + (border ? 0 : 0.15 * DY * jit((uint64_t)(i * 1000 + j) * 2 + 1));
}

/* Point t (1/3 or 2/3) along the edge between corners a and b, pushed sideways
 * by a jitter keyed on the edge so both neighbours get the same point. */
static void edge_pt(int ai, int aj, int bi, int bj, int third, double *x, double *y) {
    double ax, ay, bx, by;
    int flip = ai > bi || (ai == bi && aj > bj);
    if (flip) { /* canonical direction */
        int t = ai; ai = bi; bi = t;
        t = aj; aj = bj; bj = t;
        third = 3 - third;
    }
    corner(ai, aj, &ax, &ay);
    corner(bi, bj, &bx, &by);
    double t = third / 3.0;
    uint64_t key = ((uint64_t)(ai * 1000 + aj) * 1000003 + (uint64_t)(bi * 1000 + bj)) * 4 + third;
    double off = 0.05 * jit(key);
    int border = (ai == bi && (ai == 0 || ai == NX)) || (aj == bj && (aj == 0 || aj == NY));
    if (border) off = 0;
    *x = ax + (bx - ax) * t - (by - ay) / DY * DX * off;
    *y = ay + (by - ay) * t + (bx - ax) / DX * DY * off;
}

static void grid_code(int i, int j, char *out, size_t n) {
    int street = i / 15 + 5 * (j / 24) + 1;
    int comm = (i % 15) / 5 + 3 * ((j % 24) / 6) + 1;
    int grid = i % 5 + 5 * (j % 6) + 1;
    snprintf(out, n, "110101%03d%03d%03d", street, comm, grid);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(const char *what, const char *detail) {
    fprintf(stderr, "bench_routing: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return 1;
}

int main(int argc, char **argv) {
    const char *out_path = argc > 1 ? argv[1] : NULL;
    /* ---- the district as GeoJSON ---- */
    jc_buf gj;
    jc_buf_init(&gj, 0);
    int bad = jc_buf_puts(&gj, "{\"type\":\"FeatureCollection\",\"features\":[");
    for (int i = 0; i < NX && !bad; i++)
        for (int j = 0; j < NY && !bad; j++) {
            static const int ci[4][2] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
            char code[32];
            grid_code(i, j, code, sizeof code);
            bad |= jc_buf_printf(&gj, "%s{\"type\":\"Feature\",\"properties\":{\"code\":\"%s\"},"
                                 "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[",
                                 i || j ? "," : "", code);
            for (int k = 0; k <= 4 && !bad; k++) {
                int ai = i + ci[k % 4][0], aj = j + ci[k % 4][1];
                double x, y;
                corner(ai, aj, &x, &y);
                bad |= jc_buf_printf(&gj, "%s[%.9f,%.9f]", k ? "," : "", x, y);
                if (k == 4) break;
                int bi = i + ci[(k + 1) % 4][0], bj = j + ci[(k + 1) % 4][1];
                for (int t = 1; t <= 2 && !bad; t++) {
                    edge_pt(ai, aj, bi, bj, t, &x, &y);
                    bad |= jc_buf_printf(&gj, ",[%.9f,%.9f]", x, y);
                }
            }
            bad |= jc_buf_puts(&gj, "]]}}");
        }
    bad |= jc_buf_puts(&gj, "]}");
    if (bad) return die("out of memory", NULL);

    char err[512];
    geo_index *idx;
    double t0 = now_s();
    if (geo_index_new(&idx) || geo_index_add_geojson(idx, gj.data, gj.len, err, sizeof err) ||
        geo_index_build(idx, err, sizeof err))
        return die("grids refused", err);
    double t_geo = now_s() - t0;
    jc_buf_free(&gj);

    /* ---- the responsibility list as CSV ---- */
    static const char *const depts[] = {"chengguan", "zhujian", "shichang", "gongan", "jiedao",
                                        "shengtai",  "shuiwu",  "yuanlin"};
    static char catbuf[NCAT][8];
    const char *cats[NCAT];
    for (int c = 0; c < NCAT; c++) {
        snprintf(catbuf[c], sizeof catbuf[c], "%04d", 101 + c);
        cats[c] = catbuf[c];
    }
    duty_known known = {cats, NCAT, depts, JC_ARRAY_LEN(depts)};
    jc_buf csv;
    jc_buf_init(&csv, 0);
    bad = jc_buf_puts(&csv, "id,category,scope,lead_dept,co_depts,legal_basis,accept,handle,"
                            "verify,may_delegate\n");
    int nent = 0;
    for (int c = 0; c < NCAT && !bad; c++) {
        bad |= jc_buf_printf(&csv, "D%d,%s,110101,%s,%s,《条例》第%d条,2wh,%dwh,8wh,0\n", c,
                             cats[c], depts[c % 8], depts[(c + 1) % 8], c + 1, 24 + c % 5 * 24);
        nent++;
        for (int s = 1; s <= 15 && c % 2 == 0; s++, nent++)
            bad |= jc_buf_printf(&csv, "S%d-%d,%s,110101%03d,jiedao,%s,街道职责第%d项,1wh,%dwd,4wh,1\n",
                                 c, s, cats[c], s, depts[c % 4], c, 2 + c % 4);
        for (int s = 1; s <= 15 && c % 3 == 0; s++)
            for (int m = 1; m <= 12; m++, nent++)
                bad |= jc_buf_printf(&csv, "C%d-%d-%d,%s,110101%03d%03d,jiedao,,社区先行处置,30wmin,48h,2h,1\n",
                                     c, s, m, cats[c], s, m);
    }
    if (bad) return die("out of memory", NULL);
    duty_list *list = NULL;
    jc_buf errs;
    jc_buf_init(&errs, 0);
    t0 = now_s();
    if (duty_import_csv(csv.data, csv.len, &known, &list, &errs))
        return die("responsibility list refused", errs.data);
    double t_duty = now_s() - t0;
    jc_buf_free(&csv);

    calendar *cal;
    if (calendar_new(&cal)) return die("calendar", NULL);

    /* ---- random decisions ---- */
    static double plon[NPTS], plat[NPTS];
    static int pcat[NPTS];
    static int64_t pstart[NPTS];
    int64_t y2026;
    if (jc_parse_time("2026-01-01T00:00", &y2026)) return die("time", NULL);
    for (int k = 0; k < NPTS; k++) {
        plon[k] = LON0 - 0.002 + rnd() * (NX * DX + 0.004); /* ~3% fall outside */
        plat[k] = LAT0 - 0.002 + rnd() * (NY * DY + 0.004);
        pcat[k] = (int)(rnd() * NCAT);
        pstart[k] = y2026 + (int64_t)(rnd() * 350 * 86400000.0);
    }
    long long decisions = 0, unlocated = 0, unrouted = 0, provisional = 0;
    int64_t checksum = 0;
    double elapsed = 0;
    t0 = now_s();
    while (elapsed < 2.0) {
        for (int k = 0; k < NPTS; k++) {
            const char *code;
            const duty_entry *e;
            int64_t deadline;
            int prov;
            decisions++;
            if (geo_index_locate(idx, plon[k], plat[k], &code)) { unlocated++; continue; }
            if (duty_match(list, cats[pcat[k]], code, &e)) { unrouted++; continue; }
            if (calendar_add(cal, pstart[k], e->limit[DUTY_HANDLE].amount,
                             e->limit[DUTY_HANDLE].unit, &deadline, &prov))
                return die("calendar_add failed", NULL);
            checksum += deadline;
            provisional += prov;
        }
        elapsed = now_s() - t0;
    }
    double rate = (double)decisions / elapsed;
    printf("grids %zu (load %.0f ms), entries %zu of %d (import %.1f ms)\n",
           geo_index_count(idx), t_geo * 1e3, duty_list_count(list), nent, t_duty * 1e3);
    printf("%lld decisions in %.2f s: unlocated %.1f%%, no entry %.1f%%, provisional %lld, "
           "checksum %lld\n", decisions, elapsed, 100.0 * unlocated / decisions,
           100.0 * unrouted / decisions, provisional, (long long)(checksum % 1000003));
    printf("{\"routing_per_s\": %.0f}\n", rate);
    if (out_path) {
        FILE *f = fopen(out_path, "w");
        if (!f) return die("cannot write", out_path);
        fprintf(f, "{\"routing_per_s\": %.0f}\n", rate);
        if (fclose(f)) return die("cannot write", out_path);
    }
    geo_index_free(idx);
    duty_list_free(list);
    calendar_free(cal);
    jc_buf_free(&errs);
    return 0;
}
