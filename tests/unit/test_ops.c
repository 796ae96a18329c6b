/*
 * test_ops.c -- the operations helpers: the settings file (src/config.c)
 * and its merge with a command's flags, the path helpers (src/paths.c); a
 * transaction larger than the WAL's reserve on a full disk (walbuf.c,
 * store_sqlite.c): refused with JC_ERR_NOSPACE, nothing of it kept, the
 * process alive (it used to abort), the next write fine once space is back.
 */
#include "t.h"

#include "config.h"
#include "paths.h"
#include "store.h"
#include "store_sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char conf_path[64];

/* Writes text to a fresh temporary file named in conf_path. */
static int write_conf(const char *text) {
    snprintf(conf_path, sizeof conf_path, "/tmp/jiceng-conf-XXXXXX");
    int fd = mkstemp(conf_path);
    if (fd < 0) return -1;
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n;
    close(fd);
    return ok ? 0 : -1;
}

TEST(config_reads_settings) {
    ASSERT_OK(write_conf("# comment\n\n  listen = 0.0.0.0:80  \nphotos=\" /srv/p \"\r\nlisten = 127.0.0.1:9\n"));
    config_list c;
    char msg[256] = "";
    ASSERT_OK(config_read(conf_path, &c, msg, sizeof msg));
    unlink(conf_path);
    ASSERT_EQ(c.n, 3);
    ASSERT_STR_EQ(config_get(&c, "listen"), "127.0.0.1:9"); /* the last one wins */
    ASSERT_STR_EQ(config_get(&c, "photos"), " /srv/p ");
    ASSERT_EQ(c.items[0].line, 3);
    ASSERT(config_get(&c, "db") == NULL);
    config_free(&c);
    config_free(NULL);
}

TEST(config_names_bad_lines) {
    static const struct { const char *text, *want; } bad[] = {
        {"listen 1\n", ":1: expected \"key = value\""},
        {"db = x\nlisen = 1\n", ":2: unknown setting 'lisen'"},
        {"db = \"x\n", ":1: unbalanced quote"},
        {" = x\n", ":1: bad key"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ASSERT_OK(write_conf(bad[i].text));
        config_list c;
        char msg[256] = "";
        jc_err e = config_read(conf_path, &c, msg, sizeof msg);
        unlink(conf_path);
        ASSERT_EQ(e, JC_ERR_INVALID);
        ASSERT(strstr(msg, bad[i].want) != NULL);
        ASSERT(strstr(msg, conf_path) == msg);
        ASSERT_EQ(c.n, 0);
    }
    config_list c;
    char msg[256];
    ASSERT_EQ(config_read("/nonexistent/jiceng.conf", &c, msg, sizeof msg), JC_ERR_NOTFOUND);
}

TEST(flags_come_after_the_file) {
    ASSERT_OK(write_conf("listen = 127.0.0.1:1\nbackups = /b\nthreads = 3\n"));
    static const char *const keys[] = {"listen", "threads", NULL}; /* not backups */
    char *argv[] = {"serve", "--config", conf_path, "--listen", "127.0.0.1:2", "--no-config", NULL};
    /* --no-config wins over --config: nothing read */
    config_list cfg;
    int n;
    char **v, msg[256] = "";
    ASSERT_OK(config_args(6, argv, keys, &cfg, &n, &v, msg, sizeof msg));
    ASSERT_EQ(n, 3);
    ASSERT_STR_EQ(v[1], "--listen");
    free(v);
    config_free(&cfg);
    ASSERT_OK(config_args(5, argv, keys, &cfg, &n, &v, msg, sizeof msg));
    unlink(conf_path);
    ASSERT_EQ(n, 7);
    ASSERT_STR_EQ(v[0], "serve");
    ASSERT_STR_EQ(v[1], "--listen");
    ASSERT_STR_EQ(v[2], "127.0.0.1:1");
    ASSERT_STR_EQ(v[3], "--threads");
    ASSERT_STR_EQ(v[4], "3");
    ASSERT_STR_EQ(v[5], "--listen"); /* the flag, parsed last, wins */
    ASSERT_STR_EQ(v[6], "127.0.0.1:2");
    ASSERT(v[7] == NULL);
    free(v);
    config_free(&cfg);
    char *missing[] = {"serve", "--config", "/nonexistent/x.conf", NULL};
    ASSERT_EQ(config_args(3, missing, keys, &cfg, &n, &v, msg, sizeof msg), JC_ERR_INVALID);
    char *novalue[] = {"serve", "--config", NULL};
    ASSERT_EQ(config_args(2, novalue, keys, &cfg, &n, &v, msg, sizeof msg), JC_ERR_INVALID);
}

TEST(share_is_the_source_tree) {
    /* the unit tests run from build/tests/: the tree is found from the binary */
    ASSERT(paths_in_tree());
    char p[600];
    ASSERT_OK(paths_shared("web/index.html", p, sizeof p));
    ASSERT(access(p, R_OK) == 0);
    char small[4];
    ASSERT_EQ(paths_shared("web/index.html", small, sizeof small), JC_ERR_TOOBIG);
    ASSERT_STR_EQ(small, "");
}

TEST(dirname_of_paths) {
    char d[64];
    ASSERT_OK(paths_dirname("var/demo.db", d, sizeof d));
    ASSERT_STR_EQ(d, "var");
    ASSERT_OK(paths_dirname("demo.db", d, sizeof d));
    ASSERT_STR_EQ(d, ".");
    ASSERT_OK(paths_dirname("/demo.db", d, sizeof d));
    ASSERT_STR_EQ(d, "/");
    ASSERT_OK(paths_dirname("/var/lib/jiceng/jiceng.db", d, sizeof d));
    ASSERT_STR_EQ(d, "/var/lib/jiceng");
    char tiny[3];
    ASSERT_EQ(paths_dirname("/var/lib/x", tiny, sizeof tiny), JC_ERR_TOOBIG);
}

/* Inserts *arg MiB of random blobs into big (creating it) in one job. */
static jc_err big_run(jc_conn *w, void *arg) {
    int mib = *(int *)arg;
    sqlite3 *db = store_sqlite_db(w);
    char sql[200];
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS big(x BLOB);"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
             " INSERT INTO big SELECT randomblob(4000) FROM n WHERE %d > 0", mib * 256, mib);
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? JC_OK : JC_ERR_DB;
}

static int64_t rows_of(jc_store *s) {
    jc_conn *c = NULL;
    int64_t n = -1;
    sqlite3_stmt *q = NULL;
    if (store_conn_open(s, &c) == JC_OK &&
        sqlite3_prepare_v2(store_sqlite_db(c), "SELECT count(*) FROM big", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    store_conn_close(c);
    return n;
}

/* Writes path full of bytes until the disk is full. */
static void fill_up(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    static char buf[1 << 16];
    memset(buf, 0x55, sizeof buf);
    for (size_t n = sizeof buf; n >= 512; n /= 2)
        while (write(fd, buf, n) == (ssize_t)n) {}
    close(fd);
}

TEST(full_disk_mid_transaction) {
    if (geteuid() != 0) T_FAIL_("this test mounts a tmpfs: run it as root");
    char dir[] = "/tmp/jiceng-full-XXXXXX", db[64], filler[64], spare[64];
    ASSERT(mkdtemp(dir) != NULL);
    ASSERT_OK(mount("tmpfs", dir, "tmpfs", 0, "size=12m"));
    snprintf(db, sizeof db, "%s/t.db", dir);
    snprintf(filler, sizeof filler, "%s/filler", dir);
    snprintf(spare, sizeof spare, "%s/spare", dir);
    jc_store *s = NULL;
    int zero = 0, big = 16, one = 0;
    int ok = store_open(db, &s) == JC_OK && store_exec(s, big_run, &zero) == JC_OK;
    /* full but for 1 MiB: the 16 MiB transaction outgrows the WAL's reserve */
    int fd = open(spare, O_WRONLY | O_CREAT, 0600);
    ok = ok && fd >= 0 && fallocate(fd, 0, 0, 1 << 20) == 0;
    close(fd);
    fill_up(filler);
    unlink(spare);
    jc_err e = ok ? store_exec(s, big_run, &big) : JC_ERR_INTERNAL;
    int64_t after_full = ok ? rows_of(s) : -2;
    unlink(filler);
    /* space is back: the writer takes writes again (it looks every 200 ms) */
    jc_err e2 = JC_ERR_INTERNAL;
    for (int i = 0; ok && i < 50 && e2 != JC_OK; i++) {
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
        one = 1;
        e2 = store_exec(s, big_run, &one);
    }
    int64_t after_back = ok ? rows_of(s) : -2;
    store_close(s);
    umount(dir);
    rmdir(dir);
    ASSERT(ok);
    ASSERT_EQ(e, JC_ERR_NOSPACE);
    ASSERT_EQ(after_full, 0); /* nothing of the refused transaction */
    ASSERT_EQ(e2, JC_OK);
    ASSERT_EQ(after_back, 256);
}

T_MAIN(T(config_reads_settings), T(config_names_bad_lines), T(flags_come_after_the_file), T(share_is_the_source_tree),
       T(dirname_of_paths), T(full_disk_mid_transaction))
