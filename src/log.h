/*
 * log.h -- where jc_log's lines go (jc.h declares jc_log itself).
 *
 * One line per event: "2026-12-07T02:35:28.467Z [info] message", real time
 * in UTC (never the simulated platform clock), the level in brackets, the
 * message with its line breaks escaped, so that a line is an event.  Each
 * line is written with one write(2) to stderr and, with --log FILE, to the
 * file (opened O_APPEND: lines of several threads never interleave).
 * When stderr is the systemd journal ($JOURNAL_STREAM names it), its lines
 * carry the journal's priority prefix ("<6>") instead of the time, so that
 * `journalctl -p warning` filters them.  log_reopen() (SIGHUP) reopens the
 * file by name, for logrotate; a file moved away keeps what was written.
 */
#ifndef JC_LOG_H
#define JC_LOG_H

#include "jc.h"

/* Sends log lines to path as well (appending; created with mode 0640),
 * replacing the file given before.  JC_ERR_IO when it cannot be opened
 * (nothing changes then). */
jc_err log_open_file(const char *path) JC_MUST_CHECK;
/* Reopens the file by its name (after logrotate renamed it).  The old
 * descriptor is replaced atomically: a line being written goes to one file
 * or the other.  JC_OK when there is no file. */
jc_err log_reopen(void) JC_MUST_CHECK;
/* The file's path, "" when none. */
const char *log_file_path(void);
/* JC_LOG_DEBUG.. for "debug", "info", "warn", "error"; JC_ERR_INVALID else. */
jc_err log_parse_level(const char *name, int *level) JC_MUST_CHECK;
/* "debug", "info", "warn", "error". */
const char *log_level_name(int level);

#endif
