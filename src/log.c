/*
 * log.c -- jc_log's sink: one line per event to stderr and to the log
 * file (see log.h for the format and the journal).
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define LINE_CAP 4096

static const char *const names[] = {"debug", "info", "warn", "error"};
/* journal priorities (sd-daemon.h): debug 7, info 6, warning 4, err 3 */
static const char *const prio[] = {"<7>", "<6>", "<4>", "<3>"};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER; /* open, reopen */
static int file_fd = -1;
static char file_path[1024];
static pthread_once_t journal_once = PTHREAD_ONCE_INIT;
static int to_journal;

/* $JOURNAL_STREAM is "DEVICE:INODE" of the journal's socket, set by systemd
 * when stderr goes to the journal; it counts only if stderr is that one. */
static void check_journal(void) {
    const char *js = getenv("JOURNAL_STREAM");
    struct stat sb;
    unsigned long long dev, ino;
    if (js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &sb) == 0)
        to_journal = (unsigned long long)sb.st_dev == dev && (unsigned long long)sb.st_ino == ino;
}

const char *log_level_name(int level) { return names[level < 0 ? 0 : level > 3 ? 3 : level]; }

jc_err log_parse_level(const char *name, int *level) {
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, names[i])) {
            *level = i;
            return JC_OK;
        }
    if (!strcmp(name, "warning")) {
        *level = JC_LOG_WARN;
        return JC_OK;
    }
    return JC_ERR_INVALID;
}

static int open_log(const char *path) {
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
}

jc_err log_open_file(const char *path) {
    if (!path || !*path || strlen(path) >= sizeof file_path) return JC_ERR_INVALID;
    int fd = open_log(path);
    if (fd < 0) return JC_ERR_IO;
    pthread_mutex_lock(&mu);
    if (file_fd >= 0) {
        dup2(fd, file_fd); /* atomic: writers use file_fd throughout */
        close(fd);
    } else {
        __atomic_store_n(&file_fd, fd, __ATOMIC_RELEASE);
    }
    snprintf(file_path, sizeof file_path, "%s", path);
    pthread_mutex_unlock(&mu);
    return JC_OK;
}

jc_err log_reopen(void) {
    pthread_mutex_lock(&mu);
    jc_err e = JC_OK;
    if (file_fd >= 0) {
        int fd = open_log(file_path);
        if (fd < 0) e = JC_ERR_IO;
        else {
            dup2(fd, file_fd);
            close(fd);
        }
    }
    pthread_mutex_unlock(&mu);
    return e;
}

const char *log_file_path(void) { return file_path; }

/* Writes head and body with one writev (one line stays one write). */
static void write_line(int fd, const char *head, size_t hn, const char *body, size_t bn) {
    struct iovec v[2] = {{(void *)head, hn}, {(void *)body, bn}};
    ssize_t w;
    do w = writev(fd, v, 2);
    while (w < 0 && errno == EINTR);
    /* a short or failed write has nowhere to be reported */
}

void jc__log(int level, const char *fmt, ...) {
    pthread_once(&journal_once, check_journal);
    level = level < 0 ? 0 : level > 3 ? 3 : level;
    char msg[LINE_CAP], body[LINE_CAP + 16], head[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    size_t o = 0;
    /* one line per event: line breaks and other control characters escaped */
    for (const unsigned char *p = (const unsigned char *)msg; *p && o + 8 < sizeof body; p++) {
        if (*p == '\n') body[o++] = '\\', body[o++] = 'n';
        else if (*p == '\r') body[o++] = '\\', body[o++] = 'r';
        else if (*p < 0x20 || *p == 0x7f) o += (size_t)snprintf(body + o, 5, "\\x%02x", *p);
        else body[o++] = (char)*p;
    }
    if ((size_t)n >= sizeof msg) memcpy(body + o, "...", 3), o += 3;
    body[o++] = '\n';
    char ts[40];
    jc_fmt_utc(jc_real_ms(), ts, sizeof ts);
    size_t hn = (size_t)snprintf(head, sizeof head, "%s [%s] ", ts, names[level]);
    if (to_journal) /* the journal stamps the time; the prefix sets the priority */
        write_line(STDERR_FILENO, prio[level], 3, body, o);
    else
        write_line(STDERR_FILENO, head, hn, body, o);
    int fd = __atomic_load_n(&file_fd, __ATOMIC_ACQUIRE);
    if (fd >= 0) write_line(fd, head, hn, body, o);
}
