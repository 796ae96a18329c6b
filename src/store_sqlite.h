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

#endif
