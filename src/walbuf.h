/*
 * walbuf.h -- a VFS that writes each commit's WAL frames with one pwrite()
 * instead of two per frame (see walbuf.c).
 */
#ifndef JC_WALBUF_H
#define JC_WALBUF_H

/* Registers the VFS as SQLite's default, over the one that was; an SQLite
 * result code.  Call once, after sqlite3_config and before opening. */
int walbuf_register(void);
/* 1 when a WAL file of this process could not reserve its space ahead (the
 * disk is full or nearly): its writes still go into what it reserved
 * before, then fail with SQLITE_FULL (never at publication).  0 otherwise. */
int walbuf_low(void);
/* Tries again to reserve the space ahead of every WAL file that is low;
 * returns walbuf_low() afterwards. */
int walbuf_probe(void);

#endif
