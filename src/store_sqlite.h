/*
 * store_sqlite.h -- for the SQLite halves of modules (src/<module>_sqlite.c):
 * the raw handle of a connection.  Only files that are themselves part of the
 * SQLite backend include this; everything else goes through store.h and the
 * modules' own headers.
 */
#ifndef JC_STORE_SQLITE_H
#define JC_STORE_SQLITE_H

#include <sqlite3.h>

#include "store.h"

/* The sqlite3 handle of c (owned by c; valid while c is open). */
sqlite3 *store_sqlite_db(jc_conn *c);
/* A prepared statement for sql, cached on c by the ADDRESS of sql (pass a
 * string literal or a static constant), reset and with bindings cleared.
 * Owned by c; NULL on a prepare error (logged). */
sqlite3_stmt *store_sqlite_prepare(jc_conn *c, const char *sql);

#endif
