/*
 * server.c -- `jiceng serve`: the program assembled.  It opens and migrates
 * the store, starts the modules (module.h), runs the HTTP transport
 * (http_server.c) with one handler -- /healthz, /metrics and every module's
 * routes through api.c -- and a ticker thread that runs the modules' ticks
 * on the writer every second, and stops them all in order on SIGINT or
 * SIGTERM after the pending writes have committed.
 */
#include "http_server.h"
#include "http_guard.h"
#include "cli.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "module.h"
#include "paths.h"
#include "service.h"
#include "tls.h"

#include <pthread.h>
#include <errno.h>
#include <jansson.h>
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
        jc_store_health h;
        store_health(http_store(r->server), &h);
        if (!h.nospace) {
            static const char ok[] = "{\"status\":\"ok\"}";
            return http_reply_raw(r, 200, "application/json", ok, sizeof ok - 1);
        }
        /* still 200: it serves reads and logins; monitoring reads the status */
        http_reply_json(r, 200, json_pack("{s:s,s:s,s:s,s:I,s:I}", "status", "degraded", "writes", "refused",
                                          "reason", "disk_full", "free_bytes", (json_int_t)h.free_bytes,
                                          "min_free_bytes", (json_int_t)h.min_free));
        return;
    }
    if (!strcmp(r->path, "/metrics") && !strcmp(r->method, "GET")) {
        if (!api_metrics_access(r)) return; /* monitoring host or admin only */
        jc_buf b;
        jc_buf_init(&b, 1 << 20);
        jc_err e = http_server_metrics(r->server, &b);
        jc_store_health h;
        store_health(http_store(r->server), &h);
        if (!e)
            e = jc_buf_printf(&b, "# HELP jiceng_store_writes_refused 1 while writes are refused for want of disk space.\n"
                                  "# TYPE jiceng_store_writes_refused gauge\njiceng_store_writes_refused %d\n"
                                  "# HELP jiceng_disk_free_bytes Free space of the database's file system.\n"
                                  "# TYPE jiceng_disk_free_bytes gauge\njiceng_disk_free_bytes %lld\n",
                              h.nospace, (long long)h.free_bytes);
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
        jc_err e = store_exec(st, run_ticks, NULL);
        if (e && e != JC_ERR_NOSPACE) jc_log(JC_LOG_WARN, "tick failed: %s", jc_err_code(e)); /* full: logged by the store */
    }
    return NULL;
}

/* ---- signals (service.h): stop, reload, status ------------------------------ */

static void on_stop(int sig) {
    (void)sig;
    http_server_stop();
}

static jc_server *the_server;
static jc_store *the_store;
static struct {
    char path[512];   /* the settings file read at start ("" none) */
    int log_flag;     /* --log given on the command line: the file does not change it */
    int level_flag;   /* --log-level likewise */
    int64_t start_ms;
} running;

/* SIGHUP: loads the TLS certificate again; rereads the settings file: log
 * and log-level take effect now (unless a flag set them), other changed
 * settings at the next start. */
static void on_reload(void) {
    if (tls_ctx()) {
        char msg[1200], desc[400];
        if (tls_reload(msg, sizeof msg)) {
            jc_log(JC_LOG_ERROR, "SIGHUP: TLS certificate not reloaded: %s; the previous one stays in use", msg);
        } else {
            http_server_tls_changed(the_server);
            tls_describe(desc, sizeof desc);
            jc_log(JC_LOG_INFO, "SIGHUP: TLS certificate reloaded: %s", desc);
        }
    }
    if (!running.path[0]) return;
    config_list c;
    char msg[600];
    if (config_read(running.path, &c, msg, sizeof msg)) {
        jc_log(JC_LOG_ERROR, "SIGHUP: settings not reread: %s; running on as before", msg);
        return;
    }
    const char *lv = config_get(&c, "log-level"), *lf = config_get(&c, "log");
    int level;
    if (lv && !running.level_flag) {
        if (log_parse_level(lv, &level)) jc_log(JC_LOG_ERROR, "SIGHUP: bad log-level '%s' in %s; kept %s", lv,
                                                running.path, log_level_name(jc_log_level));
        else if (level != jc_log_level) {
            jc_log_level = level;
            jc_log(JC_LOG_WARN, "SIGHUP: log level now %s", log_level_name(level));
        }
    }
    if (lf && !running.log_flag && strcmp(lf, log_file_path())) {
        if (log_open_file(lf)) jc_log(JC_LOG_ERROR, "SIGHUP: cannot open log file %s; kept %s", lf, log_file_path());
        else jc_log(JC_LOG_INFO, "SIGHUP: logging to %s", lf);
    }
    jc_log(JC_LOG_INFO, "SIGHUP: settings reread from %s (other settings take effect at the next start)", running.path);
    config_free(&c);
}

static void on_status(void) {
    jc_store_stats st;
    store_stats(the_store, &st);
    uint64_t requests, errors;
    http_server_counts(the_server, &requests, &errors);
    jc_log(JC_LOG_INFO, "status: up %llds, %llu requests (%llu 5xx), writer %llu jobs in %llu batches, "
                        "%llu failed, %llu queued",
           (long long)((jc_real_ms() - running.start_ms) / 1000), (unsigned long long)requests,
           (unsigned long long)errors, (unsigned long long)st.jobs, (unsigned long long)st.batches,
           (unsigned long long)st.failed_jobs, (unsigned long long)st.queue_depth);
}

static const service_hooks hooks = {on_stop, on_reload, on_status};

int cmd_serve(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng serve --db DB | --data-dir DIR [--listen HOST:PORT] [--threads N] [--config FILE]\n"
        "Runs the HTTP server (JSON API under /api/v1, /healthz, /metrics and the web UI).\n"
        "  --db       the database (default DIR/jiceng.db of --data-dir)\n"
        "  --data-dir the state directory: photos in DIR/photos (default: the database's directory)\n"
        "  --listen   address to listen on (default 127.0.0.1:8080)\n"
        "  --threads  event-loop threads (default: number of cores)\n"
        "  --web      directory of the web UI's static files (default: web/ of the shipped files,\n"
        "             the source tree or PREFIX/share/jiceng)\n"
        "  --config   settings file (default /etc/jiceng/jiceng.conf for an installed binary;\n"
        "             --no-config reads none); flags win over it (docs/operations.md)\n"
        "  --tiles    a WGS-84 map tile URL template for the UI's maps, e.g. 天地图\n"
        "             (default: none -- grids are drawn as vector shapes, no internet needed)\n"
        "  --metrics-allow CIDR[,CIDR]  who reads /metrics without an admin login (default 127.0.0.0/8; none)\n"
        "  --log FILE     log lines to FILE as well as stderr (reopened on SIGHUP, for logrotate)\n"
        "  --log-level L  debug, info (default), warn or error\n"
        "  --min-free-mb N  refuse writes (507) while the database's disk has less free (default 64)\n"
        "  --tls-cert FILE, --tls-key FILE  serve HTTPS (PEM; the chain first); SIGHUP reloads them\n"
        "  --hsts SECONDS   Strict-Transport-Security max-age over TLS (default 31536000; 0: none)\n"
        "  --trusted-proxy CIDR[,CIDR]  reverse proxies whose X-Forwarded-For/X-Real-IP names the client (default none)\n";
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        modules_print_serve_options(stdout);
        fputs("The schema is migrated on start.  SIGINT/SIGTERM stop it after pending writes commit;\n"
              "SIGHUP reopens the log file and rereads log and log-level; SIGUSR1 logs a status line.\n",
              stdout);
        return JC_EXIT_OK;
    }
    static const char *const keys[] = {"db", "data-dir", "listen", "threads", "web", "tiles", "model", "mqtt",
                                       "mqtt-share", "mqtt-client-id", "photos", "metrics-allow", "log", "log-level",
                                       "min-free-mb", "tls-cert", "tls-key", "hsts", "trusted-proxy", NULL};
    static config_list cfg_file;
    char cfg_msg[600];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--log")) running.log_flag = 1;
        if (!strcmp(argv[i], "--log-level")) running.level_flag = 1;
    }
    static char **merged; /* lives as long as the process (the options point into it) */
    if (config_args(argc, argv, keys, &cfg_file, &argc, &merged, cfg_msg, sizeof cfg_msg))
        return cli_usage_error("serve", "%s", cfg_msg);
    argv = merged;
    snprintf(running.path, sizeof running.path, "%s", cfg_file.path);
    static char host[64], web_dir[512];
    http_server_config cfg = {.host = host, .threads = (int)sysconf(_SC_NPROCESSORS_ONLN), .hsts = 31536000};
    const char *db = NULL, *listen_s = "127.0.0.1:8080", *data_dir = NULL;
    static char db_buf[600], dir_buf[600];
    int64_t min_free_mb = 64;
    const char *tls_cert = NULL, *tls_key = NULL;
    if (paths_shared("web", web_dir, sizeof web_dir)) return cli_usage_error("serve", "path too long");
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
        else if (!strcmp(a, "--metrics-allow")) { if (guard_metrics_allow(v)) return cli_usage_error("serve", "bad --metrics-allow LIST (addresses or CIDRs, or none)"); }
        else if (!strcmp(a, "--data-dir")) data_dir = v;
        else if (!strcmp(a, "--log")) {
            if (log_open_file(v)) return cli_usage_error("serve", "cannot open --log %s: %s", v, strerror(errno));
        } else if (!strcmp(a, "--tls-cert")) tls_cert = v;
        else if (!strcmp(a, "--tls-key")) tls_key = v;
        else if (!strcmp(a, "--hsts")) {
            if (jc_parse_i64(v, &cfg.hsts) || cfg.hsts < 0 || cfg.hsts > 100000000)
                return cli_usage_error("serve", "--hsts is a number of seconds (0: no header)");
        } else if (!strcmp(a, "--min-free-mb")) {
            if (jc_parse_i64(v, &min_free_mb) || min_free_mb < 0 || min_free_mb > 1 << 20)
                return cli_usage_error("serve", "--min-free-mb must be 0..1048576");
        } else if (!strcmp(a, "--log-level")) {
            if (log_parse_level(v, &jc_log_level)) return cli_usage_error("serve", "--log-level is debug, info, warn or error");
        }
        else if (!strcmp(a, "--trusted-proxy")) { if (guard_trusted_proxies(v)) return cli_usage_error("serve", "bad --trusted-proxy LIST (addresses or CIDRs, or none)"); }
        else if (!strcmp(a, "--threads")) {
            int64_t n;
            if (jc_parse_i64(v, &n) || n < 1 || n > HTTP_MAX_THREADS)
                return cli_usage_error("serve", "--threads must be 1..%d", HTTP_MAX_THREADS);
            cfg.threads = (int)n;
        } else {
            int taken = modules_serve_option(a, v); /* a module's own: --mqtt, --model, --photos ... */
            if (taken < 0) return cli_usage_error("serve", "bad %s '%s'", a, v);
            if (!taken) return cli_usage_error("serve", "unexpected argument '%s'", a);
        }
    }
    if (!db && !data_dir) return cli_usage_error("serve", "missing --db DB (or --data-dir DIR)");
    if (!tls_cert != !tls_key) return cli_usage_error("serve", "--tls-cert and --tls-key go together");
    if (tls_cert) {
        char msg[1200];
        if (tls_load(tls_cert, tls_key, msg, sizeof msg)) {
            fprintf(stderr, "jiceng serve: %s; not starting\n", msg);
            return JC_EXIT_FAIL;
        }
    }
    if (paths_state(db, data_dir, db_buf, sizeof db_buf, dir_buf, sizeof dir_buf))
        return cli_usage_error("serve", "--db or --data-dir too long");
    db = db_buf;
    data_dir = dir_buf;
    if (paths_set_state_dir(data_dir)) return cli_usage_error("serve", "--data-dir too long");
    const char *colon = strrchr(listen_s, ':');
    int64_t port;
    if (!colon || (size_t)(colon - listen_s) >= sizeof host || jc_parse_i64(colon + 1, &port) ||
        port < 1 || port > 65535)
        return cli_usage_error("serve", "--listen must be HOST:PORT");
    memcpy(host, listen_s, (size_t)(colon - listen_s));
    cfg.port = (int)port;
    if (cfg.threads < 1) cfg.threads = 1;
    if (cfg.threads > HTTP_MAX_THREADS) cfg.threads = HTTP_MAX_THREADS;
    /* before any thread starts: they all inherit the mask (service.h) */
    if (service_block()) return JC_EXIT_FAIL;
    running.start_ms = jc_real_ms();

    char holder[600];
    if (store_writable(db, holder, sizeof holder)) {
        fprintf(stderr, "jiceng serve: %s; not starting\n", holder);
        return JC_EXIT_FAIL;
    }
    /* one server per database (a PostgreSQL URL is not claimed: several servers may share it) */
    static jc_claim *claim; /* held until the end, however serve ends */
    jc_err ce = store_claim(db, "serve (starting)", &claim, holder, sizeof holder);
    if (ce == JC_ERR_CONFLICT) {
        fprintf(stderr, "jiceng serve: %s is already in use (%s); one server per database\n", db, holder);
        return JC_EXIT_FAIL;
    } else if (ce) {
        fprintf(stderr, "jiceng serve: %s\n", holder);
        return JC_EXIT_FAIL;
    }
    int version;
    jc_store *st = NULL;
    if (store_open(db, &st) || store_migrate(st, &version)) {
        fprintf(stderr, "jiceng serve: cannot open or migrate %s\n", db);
        store_close(st);
        return JC_EXIT_FAIL;
    }
    store_set_min_free(st, min_free_mb << 20);
    static const char *const prefixes[] = {"/api", "/open311", "/healthz", "/metrics", NULL};
    cfg.st = st;
    cfg.prefixes = prefixes;
    cfg.handler = on_request;
    /* only the built files of the libraries the UI loads; web/vendor
     * links to all of node_modules, so the UI's own path refuses it */
    static char csp[768];
    if (guard_ui_csp(tile_url, csp, sizeof csp)) return cli_usage_error("serve", "bad --tiles URL");
    static char leaflet_dir[600], echarts_dir[600], qrcode_dir[600]; /* in the shipped files (paths.h) */
    if (paths_shared("node_modules/leaflet/dist", leaflet_dir, sizeof leaflet_dir) ||
        paths_shared("node_modules/echarts/dist", echarts_dir, sizeof echarts_dir) ||
        paths_shared("node_modules/qrcode-generator/dist", qrcode_dir, sizeof qrcode_dir))
        return cli_usage_error("serve", "path too long");
    static http_static files[] = {{"/vendor/leaflet/dist", leaflet_dir, 0, NULL},
                                  {"/vendor/echarts/dist", echarts_dir, 0, NULL},
                                  {"/vendor/qrcode-generator/dist", qrcode_dir, 0, NULL},
                                  {"/", web_dir, 1, "/vendor"},
                                  {NULL, NULL, 0, NULL}};
    cfg.files = files;
    cfg.csp = csp;
    cfg.thread_start = modules_thread_start; /* per serving thread: live updates (events.c) */
    cfg.thread_tick = modules_thread_tick;
    static jc_server *srv; /* kept to the end of the process (http_server_close), reachable for make asan */
    char msg[600] = "";
    if (http_server_open(&cfg, &srv, msg, sizeof msg)) {
        fprintf(stderr, "jiceng serve: %s\n", msg);
        store_close(st);
        return JC_EXIT_FAIL;
    }
    the_server = srv;
    the_store = st;
    /* the modules' own: the MQTT client, the classifier loaded before the first request */
    if (modules_start(st, msg, sizeof msg)) {
        fprintf(stderr, "jiceng serve: %s\n", msg[0] ? msg : "a module did not start");
        store_close(st);
        return JC_EXIT_FAIL;
    }
    pthread_t ticker;
    pthread_create(&ticker, NULL, ticker_main, st);
    if (service_start(&hooks)) jc_log(JC_LOG_ERROR, "signals: no handler thread; SIGTERM is not handled");
    char who[200];
    snprintf(who, sizeof who, "serve %s://%s:%d/", tls_ctx() ? "https" : "http", host, cfg.port);
    store_claim_describe(claim, who);
    char cert_desc[400] = "";
    if (tls_ctx()) tls_describe(cert_desc, sizeof cert_desc);
    jc_log(JC_LOG_INFO, "jiceng %s serving %s://%s:%d/ (db %s, schema %d, %d threads%s%s%s%s)", JC_VERSION,
           tls_ctx() ? "https" : "http", host, cfg.port, db, version, cfg.threads,
           running.path[0] ? ", settings " : "", running.path, cert_desc[0] ? ", certificate " : "", cert_desc);
    http_server_run(srv); /* until SIGINT or SIGTERM */
    pthread_join(ticker, NULL);
    jc_log(JC_LOG_INFO, "stopping: waiting for pending writes");
    modules_stop();
    store_close(st); /* drains the writer queue */
    http_server_close(srv);
    store_unclaim(claim);
    return JC_EXIT_OK;
}
