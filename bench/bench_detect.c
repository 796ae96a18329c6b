/*
 * bench_detect.c -- the C side of bench/detect.sh: how many series points the
 * EARS detectors of src/detect.c evaluate per second on one core.
 *
 *   bench_detect gen N SEED      writes a CSV idx,count of N Poisson(5)
 *                                counts (with a few outbreaks) to stdout
 *   bench_detect run FILE SECS   runs EARS C1, C2, C3 over the whole series
 *                                of FILE, repeating each for at least SECS
 *                                seconds, and prints
 *                                "c1 c2 c3 overall" points per second
 *                                (overall = 3 passes / their total time)
 */
#include "detect.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64*: a reproducible uniform in (0, 1). */
static double unif(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return ((*s * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0) + 1e-18;
}

/* Poisson deviate by inversion (small means). */
static int poisson(uint64_t *s, double mean) {
    double u = unif(s), p = exp(-mean), c = p;
    int k = 0;
    while (u > c && k < 1000) {
        k++;
        p *= mean / k;
        c += p;
    }
    return k;
}

static int gen(long n, uint64_t seed) {
    uint64_t s = seed ? seed : 1;
    printf("idx,count\n");
    for (long i = 1; i <= n; i++) {
        double mean = 5 + 2 * sin(2 * M_PI * (double)i / 52) + ((i % 997) < 3 ? 15 : 0);
        printf("%ld,%d\n", i, poisson(&s, mean));
    }
    return 0;
}

static int run(const char *path, double secs) {
    FILE *f = fopen(path, "rb");
    if (!f) return perror(path), 1;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *txt = malloc((size_t)len + 1);
    if (!txt || fread(txt, 1, (size_t)len, f) != (size_t)len) return fputs("read failed\n", stderr), 1;
    fclose(f);
    detect_series s;
    char err[256];
    if (detect_series_parse_csv(txt, (size_t)len, &s, err, sizeof err)) return fprintf(stderr, "%s\n", err), 1;
    free(txt);
    detect_point *out = malloc(s.n * sizeof *out);
    if (!out) return 1;
    double rate[3];
    long alarms[3] = {0};
    for (int m = 0; m < 3; m++) {
        detect_params p;
        detect_params_default(&p, (detect_method)(DETECT_EARS_C1 + m));
        p.alpha = 0.001;
        double t0 = now_s(), t;
        double pts = 0;
        do {
            size_t nout;
            if (detect_run(s.counts, NULL, s.n, &p, 0, 0, out, &nout)) return fputs("detect_run failed\n", stderr), 1;
            pts += (double)nout;
            t = now_s() - t0;
        } while (t < secs);
        for (size_t i = 0; i < s.n - 12; i++) alarms[m] += out[i].alarm == 1;
        rate[m] = pts / t;
    }
    /* overall: points per second of one pass of each method, as R is timed */
    printf("%.0f %.0f %.0f %.0f\n", rate[0], rate[1], rate[2],
           3 / (1 / rate[0] + 1 / rate[1] + 1 / rate[2]));
    fprintf(stderr, "alarms C1 %ld C2 %ld C3 %ld over %zu points\n", alarms[0], alarms[1], alarms[2], s.n);
    free(out);
    detect_series_free(&s);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "gen")) return gen(atol(argv[2]), strtoull(argv[3], NULL, 10));
    if (argc == 4 && !strcmp(argv[1], "run")) return run(argv[2], atof(argv[3]));
    fputs("usage: bench_detect gen N SEED | run FILE SECS\n", stderr);
    return 2;
}
