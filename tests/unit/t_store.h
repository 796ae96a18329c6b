/*
 * t_store.h -- a temporary store for unit tests that need one: a migrated
 * database in a fresh directory under /tmp, its writer (st) and a read
 * connection (rd); t_store_close() removes it all.
 */
#ifndef JC_T_STORE_H
#define JC_T_STORE_H

#include "store.h"
#include "store_sqlite.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static jc_store *st;
static jc_conn *rd;
static char tdir[64];

/* Opens a new store named tag in a new directory; 0 on success. */
static int t_store_open(const char *tag) {
    snprintf(tdir, sizeof tdir, "/tmp/jc-%s-XXXXXX", tag);
    if (!mkdtemp(tdir) || sodium_init() < 0) return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/t.db", tdir);
    int v;
    if (store_open(path, &st) || store_migrate(st, &v) || store_conn_open(st, &rd)) return -1;
    return 0;
}

/* Runs sql on the store's file through a connection of its own. */
__attribute__((unused)) static int t_store_sql(const char *sql) {
    char path[128];
    snprintf(path, sizeof path, "%s/t.db", tdir);
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) return -1;
    sqlite3_busy_timeout(db, 5000);
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static void t_store_close(void) {
    store_conn_close(rd);
    store_close(st);
    rd = NULL;
    st = NULL;
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tdir);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", tdir);
}

#endif
