/*
 * service.c -- the signals of the server process, handled on a thread of
 * their own with sigwaitinfo (see service.h): no async-signal-safety limits
 * on what a hook does, and the sender's pid goes in the log line.
 */
#include "service.h"
#include "log.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const service_hooks *hooks;

/* The signals that stop the server (drain first, like SIGTERM): SIGQUIT is a
 * terminal's ^\ or another supervisor's stop; SIGXCPU comes every second
 * once the soft CPU limit (ulimit -t, LimitCPU=) is passed, before the hard
 * one kills the process. */
static int stops(int sig) { return sig == SIGTERM || sig == SIGINT || sig == SIGQUIT || sig == SIGXCPU; }

/* Every signal whose default action ends the process, except the ones a
 * fault raises in the faulting thread (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGTRAP, SIGSYS, SIGABRT: those must still stop it, with a core dump),
 * SIGKILL and SIGSTOP (cannot be caught), and SIGPIPE and SIGXFSZ (ignored,
 * service_block). */
static void handled(sigset_t *set) {
    static const int sigs[] = {SIGTERM, SIGINT, SIGQUIT, SIGXCPU, SIGHUP, SIGUSR1, SIGUSR2,
                               SIGALRM, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSTKFLT};
    sigemptyset(set);
    for (size_t i = 0; i < JC_ARRAY_LEN(sigs); i++) sigaddset(set, sigs[i]);
    for (int s = SIGRTMIN; s <= SIGRTMAX; s++) sigaddset(set, s);
}

/* "SIGHUP", "SIGRTMIN+3" ... into buf. */
static const char *sig_name(int sig, char *buf, size_t n) {
    const char *a = sig < SIGRTMIN ? sigabbrev_np(sig) : NULL;
    if (a) snprintf(buf, n, "SIG%s", a);
    else snprintf(buf, n, "SIGRTMIN+%d", sig - SIGRTMIN);
    return buf;
}

jc_err service_block(void) {
    sigset_t set;
    handled(&set);
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigemptyset(&ign.sa_mask);
    if (sigaction(SIGPIPE, &ign, NULL) != 0) return JC_ERR_INTERNAL;
    /* a write past the file size limit (ulimit -f, LimitFSIZE=) then fails
     * with EFBIG, an error the store reports, instead of killing the
     * process in the middle of a write (the kernel sends SIGXFSZ to the
     * writing thread, where no sigwaitinfo would see it) */
    if (sigaction(SIGXFSZ, &ign, NULL) != 0) return JC_ERR_INTERNAL;
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
        char nb[32];
        const char *name = sig_name(sig, nb, sizeof nb);
        long from = si.si_code == SI_USER || si.si_code == SI_QUEUE ? (long)si.si_pid : 0;
        if (stops(sig)) {
            if (stopping) {
                if (sig != SIGXCPU) /* that one comes every second */
                    jc_log(JC_LOG_WARN, "%s (from pid %ld) again: already stopping, waiting for pending writes", name,
                           from);
                continue;
            }
            stopping = 1;
            if (sig == SIGXCPU && !from)
                jc_log(JC_LOG_ERROR, "SIGXCPU: the CPU time limit (ulimit -t, LimitCPU=) is reached; stopping before "
                                     "the hard limit kills the process: no new connections, pending writes commit first");
            else
                jc_log(JC_LOG_INFO, "%s (from pid %ld): stopping: no new connections, pending writes commit first", name,
                       from);
            if (hooks->on_stop) hooks->on_stop(sig);
            continue;
        }
        switch (sig) {
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
