/*
 * backup_store.h -- what `jiceng backup` and `jiceng restore` (backup.c)
 * need from the storage engine: a consistent copy of a live database and
 * an integrity check of a copy.  The SQLite backend is backup_sqlite.c (a
 * PostgreSQL backend would use pg_dump / pg_basebackup instead).
 */
#ifndef JC_BACKUP_STORE_H
#define JC_BACKUP_STORE_H

#include "jc.h"

typedef struct {
    int64_t pages, page_size; /* of the copy */
    int steps;                /* backup steps taken */
    double seconds;           /* copying, without the checks */
} backup_copy_stats;

/* Copies a consistent snapshot of the database at src (which may be in use
 * by a running server: the copy reads one snapshot, writers go on) into
 * the new file dst (which must not exist), step_pages pages at a time
 * (pausing pause_ms between two steps, to spread the reads), as
 * a single file (rollback journal, no -wal beside it), synced to disk.
 * On error dst is removed and msg says why. */
jc_err backup_store_copy(const char *src, const char *dst, int step_pages, int pause_ms, backup_copy_stats *st,
                         char *msg, size_t msgsz) JC_MUST_CHECK;
/* PRAGMA integrity_check of the database file at path, opened read-only:
 * JC_OK when intact, JC_ERR_CORRUPT with the first problem in msg, another
 * error when it cannot be read as a database. */
jc_err backup_store_check(const char *path, char *msg, size_t msgsz) JC_MUST_CHECK;
#endif
