/*
 * bench_pg.c -- the store's case creation on PostgreSQL against SQLite, at
 * the store's interface (no HTTP): C clients each submit one job at a time
 * -- reserve a case id, insert the case, append its audit entry, the core of
 * a report -- and wait for its done() (acknowledged = committed), for a fixed
 * time.  Rates and 99th percentiles of submit-to-done latency for:
 *
 *   sqlite      the SQLite store (a file in a temporary directory);
 *   pg          the PostgreSQL store, group commit (every waiting job in one
 *               transaction);
 *   pg_single   the PostgreSQL store with one transaction per job (what
 *               group commit gives);
 *
 * The report jobs may run again (jc_write_job.rerun), as the server's are.
 * Three rounds of the four, in turn; each figure is the median round's.
 *   pg_two      two PostgreSQL stores on one database, the clients split
 *               between them (two instances: separate writers and
 *               connections, one audit chain).
 *
 * Driven by bench/pg.sh:  bench_pg OUT.json SQLITE_PATH PG_URL [SECONDS] [CLIENTS]
 */
#include "audit.h"
#include "store.h"
#include "store_pg.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    jc_err (*reserve)(jc_conn *, jc_case *);
    jc_err (*insert)(jc_conn *, jc_case *);
    jc_err (*append)(jc_conn *, jc_audit *);
    jc_err (*submit)(jc_store *, jc_write_job *);
} backend;

static jc_err sqlite_insert(jc_conn *w, jc_case *k) { return store_case_update(w, k); }
static jc_err pg_insert(jc_conn *w, jc_case *k) { return store_pg_case_update(w, k); }

static const backend be_sqlite = {store_case_reserve, sqlite_insert, store_audit_append, store_submit};
static const backend be_pg = {store_pg_case_reserve, pg_insert, store_pg_audit_append, store_pg_submit};

typedef struct {
    jc_write_job job;
    const backend *be;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int finished;
    jc_err err;
} req;

static jc_err create_run(jc_conn *w, void *arg) {
    req *r = arg;
    jc_case k = {.state = ST_REPORTED, .held_from = ST__COUNT};
    k.created_ms = k.updated_ms = jc_real_ms();
    k.title = "路灯不亮";
    k.body = "东华门大街 12 号门前的路灯连续三晚不亮，晚上走路看不清。";
    snprintf(k.category, sizeof k.category, "0101");
    snprintf(k.source, sizeof k.source, "web");
    snprintf(k.area, sizeof k.area, "110101001001001");
    k.has_point = 1, k.lon = 116.397128, k.lat = 39.916527;
    jc_err e = r->be->reserve(w, &k);
    if (!e) e = r->be->insert(w, &k);
    if (e) return e;
    jc_audit a = {.case_id = k.id, .at_ms = k.created_ms, .actor_id = 1};
    snprintf(a.actor, sizeof a.actor, "resident1");
    snprintf(a.role, sizeof a.role, "resident");
    snprintf(a.action, sizeof a.action, "report");
    snprintf(a.to_state, sizeof a.to_state, "reported");
    chain_payload_hash(k.body, strlen(k.body), a.payload_hash);
    chain_case_hash(&k, a.state_hash);
    return r->be->append(w, &a);
}

static void create_done(void *arg, jc_err err) {
    req *r = arg;
    pthread_mutex_lock(&r->mu);
    r->finished = 1;
    r->err = err;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

#define MAX_LAT (1 << 21)
typedef struct {
    jc_store *st;
    const backend *be;
    double until;
    uint64_t ok, failed;
    float *lat; /* ms */
    size_t nlat;
} client;

static void *client_main(void *arg) {
    client *c = arg;
    req r = {.be = c->be};
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    for (;;) {
        double t0 = now_s();
        if (t0 >= c->until) break;
        r.finished = 0;
        r.job = (jc_write_job){.run = create_run, .done = create_done, .arg = &r, .rerun = 1};
        if (c->be->submit(c->st, &r.job)) {
            c->failed++;
            continue;
        }
        pthread_mutex_lock(&r.mu);
        while (!r.finished) pthread_cond_wait(&r.cv, &r.mu);
        pthread_mutex_unlock(&r.mu);
        if (r.err) {
            c->failed++;
            continue;
        }
        c->ok++;
        if (c->nlat < MAX_LAT / 64) c->lat[c->nlat++] = (float)((now_s() - t0) * 1000);
    }
    pthread_mutex_destroy(&r.mu);
    pthread_cond_destroy(&r.cv);
    return NULL;
}

static int cmp_f(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    double rate, p99, p50;
    uint64_t failed;
} result;

/* Runs nclients clients for secs seconds, client i on stores[i % nstores]. */
static result run(jc_store **stores, int nstores, const backend *be, int nclients, double secs) {
    client *cl = calloc((size_t)nclients, sizeof *cl);
    pthread_t *th = calloc((size_t)nclients, sizeof *th);
    double t0 = now_s();
    for (int i = 0; i < nclients; i++) {
        cl[i] = (client){.st = stores[i % nstores], .be = be, .until = t0 + secs};
        cl[i].lat = malloc(sizeof(float) * (MAX_LAT / 64));
        pthread_create(&th[i], NULL, client_main, &cl[i]);
    }
    uint64_t ok = 0;
    result res = {0};
    size_t n = 0;
    for (int i = 0; i < nclients; i++) {
        pthread_join(th[i], NULL);
        ok += cl[i].ok;
        res.failed += cl[i].failed;
        n += cl[i].nlat;
    }
    double elapsed = now_s() - t0;
    float *all = malloc(sizeof(float) * (n ? n : 1));
    size_t k = 0;
    for (int i = 0; i < nclients; i++) {
        memcpy(all + k, cl[i].lat, sizeof(float) * cl[i].nlat);
        k += cl[i].nlat;
        free(cl[i].lat);
    }
    qsort(all, n, sizeof *all, cmp_f);
    res.rate = (double)ok / elapsed;
    res.p99 = n ? all[(size_t)((double)(n - 1) * 0.99)] : 0;
    res.p50 = n ? all[(n - 1) / 2] : 0;
    free(all);
    free(cl);
    free(th);
    return res;
}

#define ROUNDS 3

static int cmp_rate(const void *a, const void *b) {
    double x = ((const result *)a)->rate, y = ((const result *)b)->rate;
    return x < y ? -1 : x > y;
}

/* The round with the median rate (r is sorted). */
static result median(result r[ROUNDS]) {
    qsort(r, ROUNDS, sizeof r[0], cmp_rate);
    return r[ROUNDS / 2];
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: bench_pg OUT.json SQLITE_PATH PG_URL [SECONDS] [CLIENTS]\n");
        return 2;
    }
    double secs = argc > 4 ? atof(argv[4]) : 4;
    int nclients = argc > 5 ? atoi(argv[5]) : 32;
    jc_log_level = JC_LOG_WARN;
    int v;
    jc_store *sq = NULL, *pg = NULL, *pg2 = NULL;
    if (store_open(argv[2], &sq) || store_migrate(sq, &v)) {
        fprintf(stderr, "bench_pg: cannot open %s\n", argv[2]);
        return 1;
    }
    if (store_pg_open(argv[3], &pg) || store_pg_migrate(pg, NULL, 0, &v) || store_pg_open(argv[3], &pg2)) {
        fprintf(stderr, "bench_pg: cannot open %s\n", argv[3]);
        return 1;
    }
    /* a short warm-up of each, then ROUNDS rounds of the four runs in turn;
     * each figure is the median round's (the machine is shared: a round's
     * figures move by 2-3x) */
    run(&sq, 1, &be_sqlite, nclients, 0.5);
    run(&pg, 1, &be_pg, nclients, 0.5);
    jc_store *two[2] = {pg, pg2};
    result rs[ROUNDS], rp[ROUNDS], rp2[ROUNDS], rp1[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        rs[i] = run(&sq, 1, &be_sqlite, nclients, secs);
        rp[i] = run(&pg, 1, &be_pg, nclients, secs);
        rp2[i] = run(two, 2, &be_pg, nclients, secs);
        store_pg_set_max_batch(pg, 1);
        rp1[i] = run(&pg, 1, &be_pg, nclients, secs);
        store_pg_set_max_batch(pg, 4096);
    }
    uint64_t fails = 0;
    for (int i = 0; i < ROUNDS; i++) fails += rs[i].failed + rp[i].failed + rp2[i].failed + rp1[i].failed;
    result s = median(rs), p = median(rp), p2 = median(rp2), p1 = median(rp1);
    jc_store_stats ss;
    store_pg_stats(pg, &ss);
    store_pg_close(pg2);
    store_pg_close(pg);
    store_close(sq);
    printf("%-34s %10s %9s %9s %7s\n", "run (clients)", "cases/s", "p50 ms", "p99 ms", "failed");
    const struct {
        const char *name;
        result r;
    } rows[] = {{"sqlite", s}, {"pg group commit", p}, {"pg two stores", p2}, {"pg one tx per job", p1}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        printf("%-28s (%3d) %10.0f %9.2f %9.2f %7llu\n", rows[i].name, nclients, rows[i].r.rate,
               rows[i].r.p50, rows[i].r.p99, (unsigned long long)rows[i].r.failed);
    FILE *f = fopen(argv[1], "w");
    if (!f) return 1;
    fprintf(f,
            "{\"pg_case_create_vs_sqlite\": %.3f, \"pg_case_create_per_s\": %.0f,"
            " \"pg_case_create_p99_ms\": %.2f, \"sqlite_store_case_create_per_s\": %.0f,"
            " \"sqlite_store_case_create_p99_ms\": %.2f, \"pg_group_commit_vs_single\": %.3f,"
            " \"pg_single_tx_per_s\": %.0f, \"pg_single_tx_p99_ms\": %.2f,"
            " \"pg_two_instances_vs_one\": %.3f, \"pg_two_instances_per_s\": %.0f,"
            " \"pg_two_instances_p99_ms\": %.2f}\n",
            p.rate / s.rate, p.rate, p.p99, s.rate, s.p99, p.rate / p1.rate, p1.rate, p1.p99,
            p2.rate / p.rate, p2.rate, p2.p99);
    fclose(f);
    if (fails) fprintf(stderr, "bench_pg: %llu jobs failed\n", (unsigned long long)fails);
    return fails ? 1 : 0;
}
