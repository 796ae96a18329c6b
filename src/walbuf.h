/*
 * walbuf.h -- a VFS that writes each commit's WAL frames with one pwrite()
 * instead of two per frame (see walbuf.c).
 */
#ifndef JC_WALBUF_H
#define JC_WALBUF_H

/* Registers the VFS as SQLite's default, over the one that was; an SQLite
 * result code.  Call once, after sqlite3_config and before opening. */
int walbuf_register(void);

#endif
