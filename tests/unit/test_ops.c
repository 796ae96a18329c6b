/*
 * test_ops.c -- the operations helpers: the settings file (src/config.c)
 * and its merge with a command's flags, the path helpers (src/paths.c).
 */
#include "t.h"

#include "config.h"
#include "paths.h"

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

T_MAIN(T(config_reads_settings), T(config_names_bad_lines), T(flags_come_after_the_file), T(share_is_the_source_tree),
       T(dirname_of_paths))
