/*
 * clock.c -- the platform clock kept in the database (meta 'clock'), so that
 * a server and a simulator working on one database share one simulated time,
 * and the `jiceng clock` subcommand.
 *
 * meta('clock') = "<start_ms> <real0_ms> <speed>[ <until_real>]"; absent or
 * speed 0 = real time; until_real 1: running fast until it meets real time,
 * then real time (a replay that ends now, without a jump).  The server loads it at start and on every tick, and tells the web
 * pages (GET /api/v1/clock), so that every countdown counts on the
 * server's clock, simulated or not.
 */
#include "clock.h"
#include "cli.h"
#include "http.h"
#include "store.h"

#include <jansson.h>
#include <stdlib.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

jc_err clock_load(jc_conn *c) {
    int64_t start = 0, real0 = 0;
    double speed = 0;
    int until = 0;
    char v[112];
    jc_err e = store_meta_get(c, "clock", v, sizeof v);
    if (e == JC_ERR_DB) return e;
    if (e == JC_OK) {
        int k = sscanf(v, "%" SCNd64 " %" SCNd64 " %lf %d", &start, &real0, &speed, &until);
        if (k < 3) speed = 0;
        if (k < 4) until = 0;
    }
    int64_t os, o0;
    double osp;
    jc_clock_get(&os, &o0, &osp);
    if (os != start || o0 != real0 || osp != speed || jc_clock_until_real() != (until && speed > 0))
        jc_clock_set_until_real(start, real0, speed, until);
    return JC_OK;
}

jc_err clock_save(jc_conn *w, int64_t start_ms, double speed, int until_real) {
    char v[112];
    int64_t real0 = jc_real_ms();
    snprintf(v, sizeof v, "%" PRId64 " %" PRId64 " %.6f %d", start_ms, real0, speed > 0 ? speed : 0,
             speed > 0 && until_real);
    jc_err e = store_meta_put(w, "clock", v);
    if (e) return e;
    /* this process at once (a server answering PUT /api/v1/clock); the
     * others within a second (clock_load on their tick) */
    jc_clock_set_until_real(start_ms, real0, speed, until_real);
    return JC_OK;
}

typedef struct {
    int64_t start;
    double speed;
    int until_real;
} clock_args;

static jc_err run_save(jc_conn *w, void *arg) {
    clock_args *a = arg;
    return clock_save(w, a->start, a->speed, a->until_real);
}

int cmd_clock(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng clock show --db DB\n"
        "       jiceng clock set --db DB --start TIME [--speed N] [--until-real]\n"
        "                                          simulated time from TIME, N x faster; --until-real:\n"
        "                                          until it meets real time, then real time (no jump)\n"
        "       jiceng clock real --db DB                           back to real time\n"
        "A running server picks the change up within a second.  Sessions always use real time.\n"
        "Example: jiceng clock set --db var/demo.db --start 2026-11-01T08:00 --speed 1440  (a day a minute)\n";
    if (argc < 2 || cli_wants_help(argc, argv)) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? JC_EXIT_USAGE : JC_EXIT_OK;
    }
    const char *sub = argv[1], *db = NULL, *start_s = NULL;
    double speed = 1;
    int until_real = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--until-real")) {
            until_real = 1;
            continue;
        }
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
    clock_args a = {0, 0, 0};
    if (is_set) {
        if (!start_s || jc_parse_time(start_s, &a.start)) return cli_usage_error("clock", "--start TIME is required (ISO-8601)");
        a.speed = speed;
        a.until_real = until_real;
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
        int caught = sp > 0 && jc_clock_until_real() && jc_now_ms() >= jc_real_ms();
        printf("%s (Asia/Shanghai), %s\n", now, sp > 0 && !caught ? "simulated" : "real time");
        if (sp > 0 && !caught) printf("speed %.0fx%s\n", sp, jc_clock_until_real() ? ", until it meets real time" : "");
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
    /* a replay that has met real time (until_real) runs on real time */
    int sim = speed > 0 && !(jc_clock_until_real() && now >= jc_real_ms());
    char iso[40];
    jc_fmt_utc(now, iso, sizeof iso);
    http_reply_json(r, 200, json_pack("{s:s,s:I,s:I,s:f,s:b,s:b}", "now", iso, "now_ms", (json_int_t)now, "real_ms",
                                      (json_int_t)jc_real_ms(), "speed", sim ? speed : 1.0, "simulated", sim,
                                      "until_real", sim && jc_clock_until_real()));
}

/* PUT /api/v1/clock (admin): the simulator steps the platform clock through
 * a replay at full speed -- the server applies it at once, where a change
 * written to meta by another program waits for its next tick.  Body
 * {"start": TIME, "speed": N, "until_real": bool} or {"real": true}. */
typedef struct {
    int64_t start;
    double speed;
    int until_real;
} clock_put;

static jc_err run_clock_put(jc_conn *w, jc_deferred *d) {
    clock_put *c = d->data;
    jc_err e = clock_save(w, c->start, c->speed, c->until_real);
    if (e) return e;
    int64_t s0, r0;
    double sp;
    jc_clock_get(&s0, &r0, &sp);
    d->body = json_pack("{s:I,s:I,s:I,s:f,s:b}", "now_ms", (json_int_t)jc_now_ms(), "start_ms", (json_int_t)s0,
                        "real0_ms", (json_int_t)r0, "speed", sp, "until_real", jc_clock_until_real());
    return JC_OK;
}

static void h_clock_put(jc_req *r) {
    clock_put *c = calloc(1, sizeof *c);
    if (!c) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    json_t *real = json_object_get(r->json, "real");
    if (json_is_true(real)) {
        api_defer(r, run_clock_put, c, free); /* speed 0: real time */
        return;
    }
    double speed = 1;
    json_t *u = json_object_get(r->json, "until_real");
    if (u && !json_is_boolean(u)) {
        free(c);
        return http_reply_error(r, JC_ERR_INVALID, "until_real must be true or false");
    }
    int k = api_get_time(r, "start", &c->start);
    if (k == 0) http_reply_error(r, JC_ERR_INVALID, "give start (a time) and speed 1..100000, or real: true");
    if (k <= 0 || api_get_num(r, "speed", 1, 100000, &speed) < 0) {
        free(c);
        return;
    }
    c->speed = speed;
    c->until_real = json_is_true(u);
    api_defer(r, run_clock_put, c, free);
}

static const jc_route routes[] = {
    {"GET", "/api/v1/clock", h_clock, ACCESS_PUBLIC, NULL},
    {"PUT", "/api/v1/clock", h_clock_put, ROLE_BIT(ROLE_ADMIN), "start,speed,until_real,real"},
};

const jc_route_table clock__routes = {routes, sizeof routes / sizeof routes[0]};
