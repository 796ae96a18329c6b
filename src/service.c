/*
 * service.c -- the signals of the server process, handled on a thread of
 * their own with sigwaitinfo (see service.h): no async-signal-safety limits
 * on what a hook does, and the sender's pid goes in the log line.
 */
#include "service.h"
#include "log.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

static const service_hooks *hooks;

static void handled(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGUSR1);
    sigaddset(set, SIGUSR2);
}

jc_err service_block(void) {
    sigset_t set;
    handled(&set);
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigemptyset(&ign.sa_mask);
    if (sigaction(SIGPIPE, &ign, NULL) != 0) return JC_ERR_INTERNAL;
    return pthread_sigmask(SIG_BLOCK, &set, NULL) == 0 ? JC_OK : JC_ERR_INTERNAL;
}

static void *signal_main(void *arg) {
    (void)arg;
    sigset_t set;
    handled(&set);
    int stopping = 0;
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&set, &si);
        if (sig < 0) continue; /* EINTR */
        const char *name = sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : sig == SIGHUP ? "SIGHUP"
                         : sig == SIGUSR1 ? "SIGUSR1" : "SIGUSR2";
        long from = si.si_code == SI_USER || si.si_code == SI_QUEUE ? (long)si.si_pid : 0;
        switch (sig) {
        case SIGTERM:
        case SIGINT:
            if (stopping) {
                jc_log(JC_LOG_WARN, "%s (from pid %ld) again: already stopping, waiting for pending writes", name, from);
                break;
            }
            stopping = 1;
            jc_log(JC_LOG_INFO, "%s (from pid %ld): stopping: no new connections, pending writes commit first", name, from);
            if (hooks->on_stop) hooks->on_stop(sig);
            break;
        case SIGHUP:
            if (log_reopen() != JC_OK)
                jc_log(JC_LOG_ERROR, "SIGHUP: cannot reopen the log file %s; still writing to the old one", log_file_path());
            else if (*log_file_path())
                jc_log(JC_LOG_INFO, "SIGHUP (from pid %ld): log file %s reopened", from, log_file_path());
            else
                jc_log(JC_LOG_INFO, "SIGHUP (from pid %ld): no log file to reopen (stderr only)", from);
            if (hooks->on_reload) hooks->on_reload();
            break;
        case SIGUSR1:
            jc_log(JC_LOG_INFO, "SIGUSR1 (from pid %ld): status follows", from);
            if (hooks->on_status) hooks->on_status();
            break;
        default:
            jc_log(JC_LOG_INFO, "%s (from pid %ld) ignored (SIGHUP reopens the log, SIGUSR1 logs the status, "
                                "SIGTERM stops)", name, from);
        }
    }
    return NULL;
}

jc_err service_start(const service_hooks *h) {
    hooks = h;
    pthread_t t;
    if (pthread_create(&t, NULL, signal_main, NULL) != 0) return JC_ERR_INTERNAL;
    pthread_detach(t);
    return JC_OK;
}
