/*
 * store_lock.c -- one program alone on a SQLite database (store.h's
 * store_claim): an exclusive flock(2) on "DB.lock" beside the database,
 * held by an open descriptor, so the kernel releases it when the process
 * ends however it ends (no stale lock after a crash or a SIGKILL).  The
 * file holds the holder's description for the next claimant's message;
 * it stays on disk between runs (its presence means nothing).
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

struct jc_claim {
    int fd;
};

/* Writes who into the lock file (from the start, truncating). */
static void describe(int fd, const char *who) {
    if (ftruncate(fd, 0) != 0) return;
    char line[600];
    int n = snprintf(line, sizeof line, "pid %ld: %s\n", (long)getpid(), who ? who : "");
    if (n > 0 && pwrite(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1, 0) < 0) return;
}

jc_err store_claim(const char *path, const char *who, jc_claim **out, char *holder, size_t holdersz) {
    char lp[1100];
    if (holdersz) holder[0] = 0;
    if ((size_t)snprintf(lp, sizeof lp, "%s.lock", path) >= sizeof lp) return JC_ERR_TOOBIG;
    int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        if (holdersz) snprintf(holder, holdersz, "cannot open %s: %s", lp, strerror(errno));
        return JC_ERR_IO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        if (err == EWOULDBLOCK && holdersz) {
            ssize_t n = pread(fd, holder, holdersz - 1, 0);
            holder[n > 0 ? n : 0] = 0;
            size_t len = strlen(holder);
            while (len && (holder[len - 1] == '\n' || holder[len - 1] == '\r')) holder[--len] = 0;
            if (!len) snprintf(holder, holdersz, "another program (%s)", lp);
        } else if (holdersz) {
            snprintf(holder, holdersz, "cannot lock %s: %s", lp, strerror(err));
        }
        close(fd);
        return err == EWOULDBLOCK ? JC_ERR_CONFLICT : JC_ERR_IO;
    }
    jc_claim *c = malloc(sizeof *c);
    if (!c) {
        close(fd);
        return JC_ERR_NOMEM;
    }
    c->fd = fd;
    describe(fd, who);
    *out = c;
    return JC_OK;
}

void store_claim_describe(jc_claim *c, const char *who) {
    if (c) describe(c->fd, who);
}

void store_unclaim(jc_claim *c) {
    if (!c) return;
    if (ftruncate(c->fd, 0) != 0) { /* the description goes with the claim; harmless if it stays */ }
    close(c->fd); /* releases the flock */
    free(c);
}
