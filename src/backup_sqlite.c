/*
 * backup_sqlite.c -- the SQLite half of backups (backup_store.h).
 *
 * The copy uses SQLite's online backup API from a read-only connection
 * that first opens a read transaction and holds it until the last step:
 * every step copies pages of that one snapshot (WAL mode lets the server's
 * writer commit meanwhile; it is never blocked by a reader), so the copy
 * is consistent however long it takes and is never restarted by writes.
 * The price: the server's WAL cannot be reset past that snapshot while the
 * copy runs, so it grows by what is written meanwhile.
 */
#include "backup_store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static jc_err fail(char *msg, size_t msgsz, sqlite3 *db, const char *what) {
    snprintf(msg, msgsz, "%s: %s", what, db ? sqlite3_errmsg(db) : "cannot open");
    return JC_ERR_DB;
}

/* fsync of the file at path. */
static int sync_path(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

jc_err backup_store_copy(const char *src, const char *dst, int step_pages, int pause_ms, backup_copy_stats *st,
                         char *msg, size_t msgsz) {
    memset(st, 0, sizeof *st);
    if (access(dst, F_OK) == 0) {
        snprintf(msg, msgsz, "%s exists", dst);
        return JC_ERR_CONFLICT;
    }
    sqlite3 *s = NULL, *d = NULL;
    jc_err e = JC_OK;
    double t0 = now_s();
    if (sqlite3_open_v2(src, &s, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        e = fail(msg, msgsz, s, src);
        goto out;
    }
    sqlite3_busy_timeout(s, 10000);
    /* the snapshot: a read transaction held across every step */
    if (sqlite3_exec(s, "BEGIN; SELECT count(*) FROM sqlite_master;", NULL, NULL, NULL) != SQLITE_OK) {
        e = fail(msg, msgsz, s, src);
        goto out;
    }
    if (sqlite3_open_v2(dst, &d, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        e = fail(msg, msgsz, d, dst);
        goto out;
    }
    sqlite3_backup *b = sqlite3_backup_init(d, "main", s, "main");
    if (!b) {
        e = fail(msg, msgsz, d, "backup");
        goto out;
    }
    int rc;
    do {
        rc = sqlite3_backup_step(b, step_pages > 0 ? step_pages : -1);
        st->steps++;
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(20);
        else if (rc == SQLITE_OK && pause_ms > 0) sqlite3_sleep(pause_ms);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    st->pages = sqlite3_backup_pagecount(b);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        snprintf(msg, msgsz, "copying: %s", sqlite3_errstr(rc));
        e = rc == SQLITE_FULL ? JC_ERR_NOSPACE : JC_ERR_DB;
        goto out;
    }
    sqlite3_exec(s, "COMMIT", NULL, NULL, NULL);
    /* one file: the copy of a WAL database is marked WAL; make it a
     * rollback-journal database, synced in full */
    sqlite3_stmt *q = NULL;
    if (sqlite3_exec(d, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(d, "PRAGMA page_size", -1, &q, NULL) != SQLITE_OK) {
        e = fail(msg, msgsz, d, dst);
        goto out;
    }
    if (sqlite3_step(q) == SQLITE_ROW) st->page_size = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
out:
    sqlite3_close(s);
    if (d && sqlite3_close(d) != SQLITE_OK && !e) e = fail(msg, msgsz, d, dst);
    if (!e && sync_path(dst) != 0) {
        snprintf(msg, msgsz, "fsync %s: %s", dst, strerror(errno));
        e = errno == ENOSPC ? JC_ERR_NOSPACE : JC_ERR_IO;
    }
    st->seconds = now_s() - t0;
    if (e) {
        unlink(dst);
        char j[1100];
        snprintf(j, sizeof j, "%s-journal", dst);
        unlink(j);
    }
    return e;
}

jc_err backup_store_check(const char *path, char *msg, size_t msgsz) {
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        jc_err e = fail(msg, msgsz, db, path);
        sqlite3_close(db);
        return e;
    }
    sqlite3_stmt *q = NULL;
    jc_err e = JC_OK;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &q, NULL) != SQLITE_OK) {
        e = fail(msg, msgsz, db, path); /* "file is not a database" lands here */
    } else {
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            const char *r = (const char *)sqlite3_column_text(q, 0);
            if (!r || strcmp(r, "ok")) {
                snprintf(msg, msgsz, "integrity_check: %s", r ? r : "?");
                e = JC_ERR_CORRUPT;
            } else {
                snprintf(msg, msgsz, "ok");
            }
        } else {
            snprintf(msg, msgsz, "integrity_check: %s", sqlite3_errmsg(db));
            e = rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? JC_ERR_CORRUPT : JC_ERR_DB;
        }
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return e;
}
