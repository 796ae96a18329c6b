/*
 * bench_eval.c -- bench group "eval": a district of N cases (default
 * 1,000,000) over 2025 written straight into the dispatch tables of a temp
 * DB (owners, accept/handle/verify phases, returns, whistles, ratings), then
 *   eval_month_s   full recomputation of one month (eval_recompute_month,
 *                  counters and facts rebuilt, committed)
 *   eval_compute_s the read-only table of that month (eval_compute)
 *   eval_incr_us   mean time of one incremental update (eval_inc_event)
 *   eval_scan_s    reference: a raw SQLite pass over the same rows
 * usage: bench_eval DIR OUT.json [N]
 */
#include "eval.h"
#include "store.h"
#include "store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t rnd(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static long ncases = 1000000;
static int64_t y0;
#define H 3600000LL

static jc_err gen_run(jc_conn *w, void *arg) {
    (void)arg;
    sqlite3 *db = store_sqlite_db(w);
    sqlite3_stmt *c, *o, *p, *r, *wh, *wm;
    sqlite3_prepare_v2(db, "INSERT INTO cases(id,title,body,category,source,state,area,rating,created_at,updated_at,version)"
                           " VALUES(?,'t','','0101','web',?,?,?,?,?,1)", -1, &c, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO case_owner(case_id,dept_id,role,start_at,end_at,end_reason) VALUES(?,?,'lead',?,?,?)", -1, &o, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO case_phase(case_id,phase,dept_id,user_id,start_at,deadline_at,end_at,end_reason,paused_ms)"
                           " VALUES(?,?,?,?,?,?,?,?,?)", -1, &p, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO returns(case_id,dept_id,reason_code,reason,at,decision) VALUES(?,?,'x','x',?,?)", -1, &r, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO whistles(id,case_id,raised_by,raised_at,checkin_minutes) VALUES(?,?,1,?,60)", -1, &wh, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO whistle_members(whistle_id,dept_id,checkin_deadline,checked_in_at,rating) VALUES(?,?,?,?,?)", -1, &wm, NULL);
    int64_t span = 365LL * 24 * H;
    long nwh = 0;
    for (long id = 1; id <= ncases; id++) {
        int64_t t = y0 + (int64_t)((double)span * (double)(id - 1) / (double)ncases);
        char area[24];
        snprintf(area, sizeof area, "1101010%02d%03d%03d", (int)(rnd() % 10) + 1, (int)(rnd() % 10) + 1, (int)(rnd() % 4) + 1);
        int dept = (int)(rnd() % 40) + 1, worker = (int)(rnd() % 400) + 100;
        int closed = rnd() % 100 < 92, ret = rnd() % 100 < 5, upheld = ret && rnd() % 2;
        const char *rating = closed ? (rnd() % 10 < 7 ? "satisfied" : rnd() % 2 ? "basic" : "unsatisfied") : NULL;
        sqlite3_reset(c);
        sqlite3_bind_int64(c, 1, id);
        sqlite3_bind_text(c, 2, closed ? "rated" : "handling", -1, SQLITE_STATIC);
        sqlite3_bind_text(c, 3, area, -1, SQLITE_TRANSIENT);
        if (rating) sqlite3_bind_text(c, 4, rating, -1, SQLITE_STATIC); else sqlite3_bind_null(c, 4);
        sqlite3_bind_int64(c, 5, t);
        sqlite3_bind_int64(c, 6, t);
        sqlite3_step(c);
        int64_t s = t + (int64_t)(rnd() % (3 * H));
        if (ret) { /* first department returns it */
            int d0 = dept % 40 + 1;
            sqlite3_reset(o);
            sqlite3_bind_int64(o, 1, id), sqlite3_bind_int(o, 2, d0), sqlite3_bind_int64(o, 3, s);
            sqlite3_bind_int64(o, 4, s + H), sqlite3_bind_text(o, 5, "returned", -1, SQLITE_STATIC);
            sqlite3_step(o);
            sqlite3_reset(p);
            sqlite3_bind_int64(p, 1, id), sqlite3_bind_text(p, 2, "accept", -1, SQLITE_STATIC), sqlite3_bind_int(p, 3, d0);
            sqlite3_bind_null(p, 4), sqlite3_bind_int64(p, 5, s), sqlite3_bind_int64(p, 6, s + 2 * H);
            sqlite3_bind_int64(p, 7, s + H), sqlite3_bind_text(p, 8, "returned", -1, SQLITE_STATIC), sqlite3_bind_int(p, 9, 0);
            sqlite3_step(p);
            sqlite3_reset(r);
            sqlite3_bind_int64(r, 1, id), sqlite3_bind_int(r, 2, d0), sqlite3_bind_int64(r, 3, s + H);
            sqlite3_bind_text(r, 4, upheld ? "upheld" : "rejected", -1, SQLITE_STATIC);
            sqlite3_step(r);
            s += 2 * H;
        }
        int64_t acc = s + (int64_t)(rnd() % (3 * H)), hend = acc + (int64_t)(rnd() % (40 * H));
        int64_t vend = hend + (int64_t)(rnd() % (10 * H));
        sqlite3_reset(o);
        sqlite3_bind_int64(o, 1, id), sqlite3_bind_int(o, 2, dept), sqlite3_bind_int64(o, 3, s);
        if (closed) sqlite3_bind_int64(o, 4, vend), sqlite3_bind_text(o, 5, "closed", -1, SQLITE_STATIC);
        else sqlite3_bind_null(o, 4), sqlite3_bind_null(o, 5);
        sqlite3_step(o);
        struct { const char *ph; int d, u; int64_t st, dl, en; } ph[3] = {
            {"accept", dept, 0, s, s + 2 * H, acc}, {"handle", dept, 0, acc, acc + 24 * H, hend},
            {"verify", 0, worker, hend, hend + 8 * H, vend}};
        for (int k = 0; k < 3; k++) {
            sqlite3_reset(p);
            sqlite3_bind_int64(p, 1, id), sqlite3_bind_text(p, 2, ph[k].ph, -1, SQLITE_STATIC);
            if (ph[k].d) sqlite3_bind_int(p, 3, ph[k].d); else sqlite3_bind_null(p, 3);
            if (ph[k].u) sqlite3_bind_int(p, 4, ph[k].u); else sqlite3_bind_null(p, 4);
            sqlite3_bind_int64(p, 5, ph[k].st), sqlite3_bind_int64(p, 6, ph[k].dl);
            int open = !closed && k > 0;
            if (open) sqlite3_bind_null(p, 7), sqlite3_bind_null(p, 8);
            else sqlite3_bind_int64(p, 7, ph[k].en), sqlite3_bind_text(p, 8, "done", -1, SQLITE_STATIC);
            sqlite3_bind_int64(p, 9, k == 1 && rnd() % 50 == 0 ? 48 * H : 0);
            sqlite3_step(p);
            if (open) break;
        }
        if (rnd() % 100 < 2) {
            nwh++;
            sqlite3_reset(wh);
            sqlite3_bind_int64(wh, 1, nwh), sqlite3_bind_int64(wh, 2, id), sqlite3_bind_int64(wh, 3, s);
            sqlite3_step(wh);
            for (int m = 0; m < 2; m++) {
                sqlite3_reset(wm);
                sqlite3_bind_int64(wm, 1, nwh), sqlite3_bind_int(wm, 2, (dept + m * 7) % 40 + 1);
                sqlite3_bind_int64(wm, 3, s + H), sqlite3_bind_int64(wm, 4, s + (int64_t)(rnd() % (2 * H)));
                sqlite3_bind_int(wm, 5, (int)(rnd() % 5) + 1);
                sqlite3_step(wm);
            }
        }
    }
    sqlite3_finalize(c), sqlite3_finalize(o), sqlite3_finalize(p), sqlite3_finalize(r);
    sqlite3_finalize(wh), sqlite3_finalize(wm);
    return JC_OK;
}

static jc_err recompute_run(jc_conn *w, void *arg) {
    (void)arg;
    return eval_recompute_month(w, "2025-06", y0 + 400LL * 24 * H);
}

static double incr_us;
static jc_err incr_run(jc_conn *w, void *arg) {
    int64_t *range = arg;
    eval_inc *inc;
    jc_err e = eval_inc_open(w, &inc);
    if (e) return e;
    int n = 20000;
    double t = now_s();
    for (int i = 0; i < n && !e; i++)
        e = eval_inc_event(inc, range[0] + (int64_t)(rnd() % (uint64_t)(range[1] - range[0] + 1)), y0 + 400LL * 24 * H);
    incr_us = (now_s() - t) / n * 1e6;
    eval_inc_close(inc);
    return e;
}

int main(int argc, char **argv) {
    if (argc < 3) return fprintf(stderr, "usage: bench_eval DIR OUT.json [N]\n"), 2;
    if (argc > 3) ncases = atol(argv[3]);
    char path[512];
    snprintf(path, sizeof path, "%s/eval.db", argv[1]);
    if (jc_parse_time("2025-01-01", &y0)) return 1;
    jc_store *st;
    int v;
    if (store_open(path, &st) || store_migrate(st, &v)) return fprintf(stderr, "open failed\n"), 1;
    double t = now_s();
    if (store_exec(st, gen_run, NULL)) return fprintf(stderr, "generation failed\n"), 1;
    fprintf(stderr, "generated %ld cases in %.1f s\n", ncases, now_s() - t);
    jc_conn *rd;
    if (store_conn_open(st, &rd)) return 1;
    int64_t t0, t1;
    if (eval_period_parse("2025-06", &t0, &t1)) return 1;
    /* Reference: one raw pass over the month's cases and their phases. */
    t = now_s();
    sqlite3_stmt *s;
    sqlite3_prepare_v2(store_sqlite_db(rd), "SELECT count(*), sum(p.end_at - p.start_at) FROM cases c JOIN case_phase p"
                                            " ON p.case_id=c.id WHERE c.created_at>=? AND c.created_at<?", -1, &s, NULL);
    sqlite3_bind_int64(s, 1, t0), sqlite3_bind_int64(s, 2, t1);
    sqlite3_step(s);
    long rows = (long)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    double scan_s = now_s() - t;
    t = now_s();
    eval_table *tab;
    if (eval_compute(rd, t0, t1, y0 + 400LL * 24 * H, &tab)) return fprintf(stderr, "compute failed\n"), 1;
    double compute_s = now_s() - t;
    fprintf(stderr, "2025-06: %lld cases, %zu units, %ld phase rows\n", (long long)tab->cases, tab->n, rows);
    eval_table_free(tab);
    t = now_s();
    if (store_exec(st, recompute_run, NULL)) return fprintf(stderr, "recompute failed\n"), 1;
    double month_s = now_s() - t;
    /* Case ids of the month for the incremental updates. */
    int64_t range[2];
    sqlite3_prepare_v2(store_sqlite_db(rd), "SELECT min(id), max(id) FROM cases WHERE created_at>=? AND created_at<?", -1, &s, NULL);
    sqlite3_bind_int64(s, 1, t0), sqlite3_bind_int64(s, 2, t1);
    sqlite3_step(s);
    range[0] = sqlite3_column_int64(s, 0), range[1] = sqlite3_column_int64(s, 1);
    sqlite3_finalize(s);
    if (store_exec(st, incr_run, range)) return fprintf(stderr, "incremental failed\n"), 1;
    store_conn_close(rd);
    store_close(st);
    FILE *f = fopen(argv[2], "w");
    if (!f) return 1;
    fprintf(f, "{\"eval_month_s\": %.3f, \"eval_compute_s\": %.3f, \"eval_scan_s\": %.3f, \"eval_month_vs_scan\": %.1f,"
               " \"eval_incr_us\": %.1f}\n", month_s, compute_s, scan_s, month_s / scan_s, incr_us);
    fclose(f);
    printf("eval_month_s %.3f  eval_compute_s %.3f  eval_scan_s %.3f  eval_incr_us %.1f\n", month_s, compute_s, scan_s, incr_us);
    return 0;
}
