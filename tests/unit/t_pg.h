/*
 * t_pg.h -- a PostgreSQL server for unit tests: JICENG_TEST_PG (a URL of a
 * cluster tests/run.sh started), else a cluster of the test's own started
 * with tests/pg.sh (run from the repository's top directory) and stopped at
 * exit; new_db() makes an empty database in it for each test.
 */
#ifndef JC_T_PG_H
#define JC_T_PG_H

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char base_url[512];
static char own_dir[64];

static void stop_own(void) {
    if (!own_dir[0]) return;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "tests/pg.sh stop %s", own_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not stop the cluster in %s\n", own_dir);
}

/* The URL of the cluster's maintenance database; "" when none could start. */
static const char *cluster(void) {
    if (base_url[0]) return base_url;
    const char *env = getenv("JICENG_TEST_PG");
    if (env && *env) {
        snprintf(base_url, sizeof base_url, "%s", env);
        return base_url;
    }
    snprintf(own_dir, sizeof own_dir, "/tmp/jiceng-pgunit-%d", (int)getpid());
    char cmd[160];
    snprintf(cmd, sizeof cmd, "tests/pg.sh start %s", own_dir);
    FILE *f = popen(cmd, "r");
    if (f) {
        if (!fgets(base_url, sizeof base_url, f)) base_url[0] = 0;
        pclose(f);
    }
    base_url[strcspn(base_url, "\n")] = 0;
    atexit(stop_own);
    return base_url;
}

/* A new empty database; its URL into url. 0 on success. */
__attribute__((unused)) static int new_db(char *url, size_t n) {
    static int seq;
    const char *base = cluster();
    if (!*base) return -1;
    PGconn *pg = PQconnectdb(base);
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "%s", PQerrorMessage(pg));
        PQfinish(pg);
        return -1;
    }
    char name[64], sql[128];
    snprintf(name, sizeof name, "unit_%d_%d", (int)getpid(), ++seq);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    PGresult *r = PQexec(pg, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    PQfinish(pg);
    if (!ok) return -1;
    const char *slash = strrchr(base, '/');
    snprintf(url, n, "%.*s/%s", (int)(slash - base), base, name);
    return 0;
}

#endif
