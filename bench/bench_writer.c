/*
 * bench_writer.c -- the writer's cost of a dispatched patrol finding without
 * HTTP, wrk or a second busy core: a grid worker's findings as the HTTP
 * bench sends them (bench/http.sh: "巡查发现 <n>" and 24 characters from the
 * same pool, 13 categories, points uniform in the same 0.0236 degree square)
 * go through the path of POST /api/v1/cases for a patrol (case_report, the
 * one intake: case_create with the row unsaved, then
 * case_register_reported, which routes and dispatches; builds before the
 * intake, without src/intake.h, take those two directly) in batches
 * submitted together, as the server's writer takes
 * them.  Prints microseconds of wall time and of process CPU per finding,
 * for N findings after a warm-up of N/10, so that two builds can be compared
 * with far less noise than the HTTP bench (which shares two cores with wrk).
 * The tickers (evaluation, escalation) do not run.  Not part of make bench;
 * build it by hand from the repository root after `make`:
 *
 *   P="libh2o-evloop jansson libsodium sqlite3 libutf8proc libmosquitto xlsxwriter"
 *   cc -std=c11 -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -O2 -g -Isrc $(pkg-config --cflags $P) \
 *      -o /tmp/bench_writer bench/bench_writer.c $(find build/obj -name '*.o' ! -name main.o) \
 *      $(pkg-config --libs $P) -lcsv -lpthread -lm
 *   build/jiceng init /tmp/bw.db && build/jiceng demo --db /tmp/bw.db
 *   taskset -c 0 /tmp/bench_writer /tmp/bw.db 50000 24
 *
 *   bench_writer DB [N=50000] [batch=24] [seed]
 *
 * (The packages are the Makefile's PKGS and LDLIBS; take them from there if
 * one was added since.)
 */
#include "case.h"
#include "store.h"
#if __has_include("intake.h")
#include "intake.h"
#define HAVE_INTAKE 1
#endif

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const cats[] = {"0101", "0102", "0104", "0201", "0202", "0203", "0301",
                                   "0401", "0502", "0801", "1001", "1101", "1201"};
static const char pool[] = "东西南北上下左右前后山水木火土金日月星云风雨雪花草树鸟鱼车马路桥门窗灯";

typedef struct {
    jc_write_job job;
    jc_case k;
    jc_err err;
} finding;

static const jc_user *worker;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int pending;
static long failed;

/* Builds before the one audit entry per finding have no case_intake_done
 * (weak: NULL in them), so that this file builds against both. */
jc_err case_intake_done(jc_conn *w, const jc_case *k, jc_err result);
#pragma weak case_intake_done

static jc_err finding_path(jc_conn *w, finding *f) {
#ifdef HAVE_INTAKE
    /* as the API hands a patrol finding to the intake (named source) */
    intake_report rp = {.channel = INTAKE_PATROL, .named = 1, .title = f->k.title, .body = f->k.body,
                        .category = f->k.category, .has_point = 1, .lon = f->k.lon, .lat = f->k.lat};
    intake_result res;
    jc_case k = {0};
    jc_err e = case_report(w, worker, &rp, &k, &res);
    if (!e) {
        case_clear(&f->k);
        f->k = k;
    }
    return e;
#else
    jc_case_err why = {{0}};
    f->k.unsaved = 1;
    jc_err e = case_create(w, worker, &f->k, NULL, &why);
    if (e) return e;
    if (f->k.state == ST_REPORTED) {
        jc_case now_k;
        if ((e = case_register_reported(w, &f->k, &now_k, &why))) return e;
        case_clear(&f->k);
        f->k = now_k;
    }
    return f->k.unsaved ? store_case_insert(w, &f->k) : JC_OK;
#endif
}

/* The patrol path of run_case_create in src/api.c (its first run). */
static jc_err run_finding(jc_conn *w, void *arg) {
    finding *f = arg;
    jc_err e = finding_path(w, f);
    return case_intake_done ? case_intake_done(w, &f->k, e) : e;
}

static void done(void *arg, jc_err e) {
    finding *f = arg;
    f->err = e;
    pthread_mutex_lock(&mu);
    if (e) failed++;
    if (--pending == 0) pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

static char *str(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

static void fill(finding *f, long n) {
    memset(f, 0, sizeof *f);
    char title[64], body[128];
    snprintf(title, sizeof title, "巡查发现 %ld", n);
    size_t nch = (sizeof pool - 1) / 3, len = 0;
    for (int i = 0; i < 24; i++) {
        memcpy(body + len, pool + 3 * (size_t)(rand() % (int)nch), 3);
        len += 3;
    }
    body[len] = 0;
    f->k.title = str(title);
    f->k.body = str(body);
    snprintf(f->k.category, sizeof f->k.category, "%s", cats[rand() % 13]);
    snprintf(f->k.source, sizeof f->k.source, "patrol");
    f->k.has_point = 1;
    f->k.lon = 116.3962 + (double)rand() / RAND_MAX * 0.0236;
    f->k.lat = 39.9052 + (double)rand() / RAND_MAX * 0.0236;
    f->job.run = run_finding;
    f->job.rerun = 1;
    f->job.done = done;
    f->job.arg = f;
}

static double secs(clockid_t c) {
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Runs n findings in batches of b; the number that failed, or -1. */
static long run(jc_store *st, long first, long n, int b, finding *fs) {
    long before = failed;
    for (long i = 0; i < n; i += b) {
        int m = (int)(n - i < b ? n - i : b);
        pthread_mutex_lock(&mu);
        pending = m;
        pthread_mutex_unlock(&mu);
        for (int j = 0; j < m; j++) {
            fill(&fs[j], first + i + j);
            if (store_submit(st, &fs[j].job)) return -1;
        }
        pthread_mutex_lock(&mu);
        while (pending) pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
        for (int j = 0; j < m; j++) case_clear(&fs[j].k);
    }
    return failed - before;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_writer DB [N=50000] [batch=24] [seed]\n");
        return 2;
    }
    long n = argc > 2 ? atol(argv[2]) : 50000;
    int b = argc > 3 ? atoi(argv[3]) : 24;
    srand(argc > 4 ? (unsigned)atoi(argv[4]) : 1);
    if (n < 1 || b < 1 || b > 4096) return 2;
    jc_store *st;
    int v;
    if (store_open(argv[1], &st) || store_migrate(st, &v)) {
        fprintf(stderr, "bench_writer: cannot open %s\n", argv[1]);
        return 1;
    }
    jc_conn *rd;
    static jc_user u;
    if (store_conn_open(st, &rd) || store_user_by_name(rd, "worker1", &u)) {
        fprintf(stderr, "bench_writer: no user worker1 (seed the database with `jiceng demo`)\n");
        return 1;
    }
    store_conn_close(rd);
    worker = &u;
    finding *fs = calloc((size_t)b, sizeof *fs);
    if (!fs) return 1;
    long warm = run(st, 0, n / 10 > 0 ? n / 10 : 1, b, fs);
    double w0 = secs(CLOCK_MONOTONIC), c0 = secs(CLOCK_PROCESS_CPUTIME_ID);
    long bad = run(st, n, n, b, fs);
    double w1 = secs(CLOCK_MONOTONIC), c1 = secs(CLOCK_PROCESS_CPUTIME_ID);
    store_close(st);
    free(fs);
    if (warm < 0 || bad < 0) return 1;
    printf("%ld findings in batches of %d: %.1f us wall, %.1f us CPU per finding (%ld failed)\n", n, b,
           (w1 - w0) / (double)n * 1e6, (c1 - c0) / (double)n * 1e6, warm + bad);
    return bad ? 1 : 0;
}
