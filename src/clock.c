/*
 * clock.c -- the platform clock kept in the database (meta 'clock'), so that
 * a server and a simulator working on one database share one simulated time,
 * and the `jiceng clock` subcommand.
 *
 * meta('clock') = "<start_ms> <real0_ms> <speed>"; absent or speed 0 = real
 * time.  The server loads it at start and on every tick, and tells the web
 * pages (GET /api/v1/clock), so that every countdown counts on the
 * server's clock, simulated or not.
 */
#include "clock.h"
#include "cli.h"
#include "http.h"
#include "store.h"

#include <jansson.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

jc_err clock_load(jc_conn *c) {
    int64_t start = 0, real0 = 0;
    double speed = 0;
    char v[96];
    jc_err e = store_meta_get(c, "clock", v, sizeof v);
    if (e == JC_ERR_DB) return e;
    if (e == JC_OK && sscanf(v, "%" SCNd64 " %" SCNd64 " %lf", &start, &real0, &speed) != 3) speed = 0;
    int64_t os, o0;
    double osp;
    jc_clock_get(&os, &o0, &osp);
    if (os != start || o0 != real0 || osp != speed) jc_clock_set(start, real0, speed);
    return JC_OK;
}

jc_err clock_save(jc_conn *w, int64_t start_ms, double speed) {
    char v[96];
    snprintf(v, sizeof v, "%" PRId64 " %" PRId64 " %.6f", start_ms, jc_real_ms(), speed > 0 ? speed : 0);
    return store_meta_put(w, "clock", v);
}

typedef struct {
    int64_t start;
    double speed;
} clock_args;

static jc_err run_save(jc_conn *w, void *arg) {
    clock_args *a = arg;
    return clock_save(w, a->start, a->speed);
}

int cmd_clock(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng clock show --db DB\n"
        "       jiceng clock set --db DB --start TIME [--speed N]   simulated time from TIME, N x faster\n"
        "       jiceng clock real --db DB                           back to real time\n"
        "A running server picks the change up within a second.  Sessions always use real time.\n"
        "Example: jiceng clock set --db var/demo.db --start 2026-11-01T08:00 --speed 1440  (a day a minute)\n";
    if (argc < 2 || cli_wants_help(argc, argv)) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? JC_EXIT_USAGE : JC_EXIT_OK;
    }
    const char *sub = argv[1], *db = NULL, *start_s = NULL;
    double speed = 1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return cli_usage_error("clock", "option %s needs a value", a);
        i++;
        if (!strcmp(a, "--db")) db = v;
        else if (!strcmp(a, "--start")) start_s = v;
        else if (!strcmp(a, "--speed")) {
            char *end;
            speed = strtod(v, &end);
            if (*end || !(speed > 0 && speed <= 100000)) return cli_usage_error("clock", "--speed must be 0 < N <= 100000");
        } else return cli_usage_error("clock", "unexpected argument '%s'", a);
    }
    if (!db) return cli_usage_error("clock", "missing --db DB");
    int is_set = !strcmp(sub, "set"), is_real = !strcmp(sub, "real"), is_show = !strcmp(sub, "show");
    if (!is_set && !is_real && !is_show) return cli_usage_error("clock", "unknown subcommand '%s'", sub);
    clock_args a = {0, 0};
    if (is_set) {
        if (!start_s || jc_parse_time(start_s, &a.start)) return cli_usage_error("clock", "--start TIME is required (ISO-8601)");
        a.speed = speed;
    }
    jc_store *st = NULL;
    int version;
    if (store_open(db, &st) || store_migrate(st, &version)) {
        fprintf(stderr, "jiceng clock: cannot open %s\n", db);
        store_close(st);
        return JC_EXIT_FAIL;
    }
    int rc = JC_EXIT_OK;
    if (is_show) {
        jc_conn *c = NULL;
        if (store_conn_open(st, &c) || clock_load(c)) rc = JC_EXIT_FAIL;
        store_conn_close(c);
        int64_t s0, r0;
        double sp;
        jc_clock_get(&s0, &r0, &sp);
        char now[40];
        jc_fmt_local(jc_now_ms(), now, sizeof now);
        printf("%s (Asia/Shanghai), %s\n", now, sp > 0 ? "simulated" : "real time");
        if (sp > 0) printf("speed %.0fx\n", sp);
    } else if (store_exec(st, run_save, &a)) {
        rc = JC_EXIT_FAIL;
    } else {
        printf(is_set ? "clock: simulated time from %s at %.0fx\n" : "clock: real time%s\n",
               is_set ? start_s : "", a.speed);
    }
    store_close(st);
    return rc;
}

/* ---- GET /api/v1/clock: the platform's time for the pages' countdowns ---- */

static void h_clock(jc_req *r) {
    int64_t start, real0;
    double speed;
    jc_clock_get(&start, &real0, &speed);
    int64_t now = jc_now_ms();
    char iso[40];
    jc_fmt_utc(now, iso, sizeof iso);
    http_reply_json(r, 200, json_pack("{s:s,s:I,s:f,s:b}", "now", iso, "now_ms", (json_int_t)now, "speed",
                                      speed > 0 ? speed : 1.0, "simulated", speed > 0));
}

static const jc_route routes[] = {
    {"GET", "/api/v1/clock", h_clock, ACCESS_PUBLIC, NULL},
};

const jc_route_table clock__routes = {routes, sizeof routes / sizeof routes[0]};
