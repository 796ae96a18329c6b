/*
 * server.c -- `jiceng serve`: the program assembled.  It opens and migrates
 * the store, starts the modules (module.h), runs the HTTP transport
 * (http_server.c) with one handler -- /healthz, /metrics and every module's
 * routes through api.c -- and a ticker thread that runs the modules' ticks
 * on the writer every second (on the leader only, when several instances
 * share a PostgreSQL database), and stops them all in order on SIGINT or
 * SIGTERM after the pending writes have committed.
 */
#include "http_server.h"
#include "http_guard.h"
#include "cli.h"
#include "clock.h"
#include "module.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char tile_url[512]; /* serve --tiles */

const char *http_tile_url(void) { return tile_url; }

/* ---- the one handler: /healthz, /metrics, the API ------------------------- */

static void on_request(jc_req *r) {
    if (!strcmp(r->path, "/healthz") && !strcmp(r->method, "GET")) {
        static const char ok[] = "{\"status\":\"ok\"}";
        return http_reply_raw(r, 200, "application/json", ok, sizeof ok - 1);
    }
    if (!strcmp(r->path, "/metrics") && !strcmp(r->method, "GET")) {
        if (!api_metrics_access(r)) return; /* monitoring host or admin only */
        jc_buf b;
        jc_buf_init(&b, 1 << 20);
        jc_err e = http_server_metrics(r->server, &b);
        if (!e) e = api_metrics(r, &b);
        if (e) http_reply_error(r, e, "metrics");
        else http_reply_raw(r, 200, "text/plain; version=0.0.4", b.data, b.len);
        jc_buf_free(&b);
        return;
    }
    if (!api_dispatch(r)) http_reply_error(r, JC_ERR_NOTFOUND, "no such endpoint: %s %s", r->method, r->path);
}

/* ---- the ticker: periodic work on the writer ----------------------------
 * Every second one writer job loads the platform clock and runs every
 * module's tick (module.h) in the same transaction. */
static jc_err run_ticks(jc_conn *w, void *arg) {
    (void)arg;
    if (clock_load(w)) jc_log(JC_LOG_WARN, "could not read the clock setting");
    return modules_tick(w, jc_now_ms());
}

static void *ticker_main(void *arg) {
    jc_store *st = arg;
    while (!http_server_stopping()) {
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
        if (http_server_stopping()) break;
        if (!store_is_leader(st)) continue; /* another instance on the database runs them */
        jc_err e = store_exec(st, run_ticks, NULL);
        if (e) jc_log(JC_LOG_WARN, "tick failed: %s", jc_err_code(e));
    }
    return NULL;
}

static void on_signal(int sig) {
    (void)sig;
    http_server_stop();
}

int cmd_serve(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng serve --db DB [--listen HOST:PORT] [--threads N] [--web DIR]\n"
        "Runs the HTTP server (JSON API under /api/v1, /healthz, /metrics and the web UI).\n"
        "  --listen   address to listen on (default 127.0.0.1:8080)\n"
        "  --threads  event-loop threads (default: number of cores)\n"
        "  --web      directory of the web UI's static files (default ./web)\n"
        "  --tiles    a WGS-84 map tile URL template for the UI's maps, e.g. 天地图\n"
        "             (default: none -- grids are drawn as vector shapes, no internet needed)\n"
        "  --metrics-allow CIDR[,CIDR]  who reads /metrics without an admin login (default 127.0.0.0/8; none)\n";
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        modules_print_serve_options(stdout);
        fputs("The schema is migrated on start.  SIGINT/SIGTERM stop it after pending writes commit.\n", stdout);
        return JC_EXIT_OK;
    }
    static char host[64], web_dir[512] = "web";
    http_server_config cfg = {.host = host, .threads = (int)sysconf(_SC_NPROCESSORS_ONLN)};
    const char *db = NULL, *listen_s = "127.0.0.1:8080";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return cli_usage_error("serve", "option %s needs a value", a);
        i++;
        if (!strcmp(a, "--db")) db = v;
        else if (!strcmp(a, "--listen")) listen_s = v;
        else if (!strcmp(a, "--web")) snprintf(web_dir, sizeof web_dir, "%s", v);
        else if (!strcmp(a, "--tiles")) {
            if (strncmp(v, "https://", 8) && strncmp(v, "http://", 7))
                return cli_usage_error("serve", "--tiles must be an http(s) URL template with {z}/{x}/{y}");
            snprintf(tile_url, sizeof tile_url, "%s", v);
        }
        else if (!strcmp(a, "--metrics-allow")) { if (guard_metrics_allow(v)) return cli_usage_error("serve", "bad --metrics-allow LIST (IPv4 CIDRs, or none)"); }
        else if (!strcmp(a, "--threads")) {
            int64_t n;
            if (jc_parse_i64(v, &n) || n < 1 || n > HTTP_MAX_THREADS)
                return cli_usage_error("serve", "--threads must be 1..%d", HTTP_MAX_THREADS);
            cfg.threads = (int)n;
        } else {
            int taken = modules_serve_option(a, v); /* a module's own: --mqtt, --model ... */
            if (taken < 0) return cli_usage_error("serve", "bad %s '%s'", a, v);
            if (!taken) return cli_usage_error("serve", "unexpected argument '%s'", a);
        }
    }
    if (!db) return cli_usage_error("serve", "missing --db DB");
    const char *colon = strrchr(listen_s, ':');
    int64_t port;
    if (!colon || (size_t)(colon - listen_s) >= sizeof host || jc_parse_i64(colon + 1, &port) ||
        port < 1 || port > 65535)
        return cli_usage_error("serve", "--listen must be HOST:PORT");
    memcpy(host, listen_s, (size_t)(colon - listen_s));
    cfg.port = (int)port;
    if (cfg.threads < 1) cfg.threads = 1;
    if (cfg.threads > HTTP_MAX_THREADS) cfg.threads = HTTP_MAX_THREADS;
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int version;
    jc_store *st = NULL;
    if (store_open(db, &st) || store_migrate(st, &version) || store_watch(st)) {
        fprintf(stderr, "jiceng serve: cannot open or migrate %s\n", db);
        store_close(st);
        return JC_EXIT_FAIL;
    }
    static const char *const prefixes[] = {"/api", "/open311", "/healthz", "/metrics", NULL};
    cfg.st = st;
    cfg.prefixes = prefixes;
    cfg.handler = on_request;
    /* only the built files of the two libraries the UI loads; web/vendor
     * links to all of node_modules, so the UI's own path refuses it */
    static char csp[768];
    if (guard_ui_csp(tile_url, csp, sizeof csp)) return cli_usage_error("serve", "bad --tiles URL");
    static const http_static files[] = {{"/vendor/leaflet/dist", "node_modules/leaflet/dist", 0, NULL},
                                        {"/vendor/echarts/dist", "node_modules/echarts/dist", 0, NULL},
                                        {"/", web_dir, 1, "/vendor"},
                                        {NULL, NULL, 0, NULL}};
    cfg.files = files;
    cfg.csp = csp;
    cfg.thread_start = modules_thread_start; /* per serving thread: live updates (events.c) */
    cfg.thread_tick = modules_thread_tick;
    jc_server *srv = NULL;
    char msg[600] = "";
    if (http_server_open(&cfg, &srv, msg, sizeof msg)) {
        fprintf(stderr, "jiceng serve: %s\n", msg);
        store_close(st);
        return JC_EXIT_FAIL;
    }
    /* the modules' own: the MQTT client, the classifier loaded before the first request */
    if (modules_start(st, msg, sizeof msg)) {
        fprintf(stderr, "jiceng serve: %s\n", msg[0] ? msg : "a module did not start");
        store_close(st);
        return JC_EXIT_FAIL;
    }
    pthread_t ticker;
    pthread_create(&ticker, NULL, ticker_main, st);
    printf("jiceng %s serving http://%s:%d/ (db %s, schema %d, %d threads)\n", JC_VERSION, host, cfg.port, db,
           version, cfg.threads);
    fflush(stdout);
    http_server_run(srv); /* until SIGINT or SIGTERM */
    pthread_join(ticker, NULL);
    jc_log(JC_LOG_INFO, "stopping: waiting for pending writes");
    modules_stop();
    store_close(st); /* drains the writer queue */
    http_server_close(srv);
    return JC_EXIT_OK;
}
