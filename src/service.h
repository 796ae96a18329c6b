/*
 * service.h -- the server process and its signals.
 *
 * `jiceng serve` blocks the signals below in every thread (service_block,
 * called before any thread starts, so that all inherit it) and handles them
 * on one thread of their own (service_start), where any code may run:
 *   SIGTERM, SIGINT, SIGQUIT, SIGXCPU (the soft CPU time limit)
 *                    stop: the server stops accepting, answers what was
 *                    written and closes the database (on_stop, once);
 *   SIGHUP           reopen the log file (logrotate) and reread the
 *                    settings that can change while running (on_reload);
 *   SIGUSR1          log one status line (on_status);
 *   SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSTKFLT and the
 *                    real-time signals: logged and otherwise ignored;
 *   SIGPIPE          ignored (a client that went away is the socket's error);
 *   SIGXFSZ          ignored: a write past the file size limit fails with
 *                    EFBIG, an error of that write, not the process's end.
 * None of them ends the process without a log line saying so.  Faults
 * (SIGSEGV, SIGBUS, SIGABRT ...) keep their default: a core dump.
 */
#ifndef JC_SERVICE_H
#define JC_SERVICE_H

#include "jc.h"

typedef struct {
    void (*on_stop)(int sig);  /* first SIGTERM/SIGINT; must return quickly */
    void (*on_reload)(void);   /* SIGHUP, after the log file was reopened */
    void (*on_status)(void);   /* SIGUSR1: log what is worth knowing */
} service_hooks;

/* Blocks the handled signals in the calling thread (and so in every thread
 * it creates afterwards) and ignores SIGPIPE and SIGXFSZ.  JC_ERR_INTERNAL on failure. */
jc_err service_block(void) JC_MUST_CHECK;
/* Starts the thread that waits for the signals and calls the hooks (hooks
 * must outlive the process).  JC_ERR_INTERNAL when it cannot start. */
jc_err service_start(const service_hooks *hooks) JC_MUST_CHECK;

#endif
