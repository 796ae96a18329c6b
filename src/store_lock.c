/*
 * store_lock.c -- the files of a SQLite database as a program claims them:
 * store_writable checks that the file and its directory can be written
 * before anything opens them; store_claim keeps one program alone on the
 * database with an exclusive flock(2) on "DB.lock" beside the database,
 * held by an open descriptor, so the kernel releases it when the process
 * ends however it ends (no stale lock after a crash or a SIGKILL).  The
 * file holds the holder's description for the next claimant's message;
 * it stays on disk between runs (its presence means nothing).  Both look at
 * the file a symbolic link names, as SQLite does (its -wal and -shm go beside
 * the real file): a database reached by two names is one database, with one
 * lock.
 */
#include "store.h"
#include "store_pg.h"

#include "log.h"
#include "paths.h"

#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct jc_claim {
    int fd;
};

/* The path of the file path names (symbolic links followed) into out, or
 * path itself when it does not exist yet; NULL when out is too small. */
static const char *resolved(const char *path, char *out, size_t n) {
    char *r = realpath(path, NULL);
    const char *p = r ? r : path;
    int ok = strlen(p) < n;
    if (ok) memcpy(out, p, strlen(p) + 1);
    free(r);
    return ok ? out : NULL;
}

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
    if (store_pg_is_url(path)) { /* several servers may share a PostgreSQL database */
        *out = NULL;
        return JC_OK;
    }
    char real[1024];
    if (!resolved(path, real, sizeof real) || (size_t)snprintf(lp, sizeof lp, "%s.lock", real) >= sizeof lp)
        return JC_ERR_TOOBIG;
    int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        if (holdersz) snprintf(holder, holdersz, "cannot open %s: %s", lp, strerror(errno));
        return JC_ERR_IO;
    }
    /* made by root (sudo jiceng doctor, restore): owned like the database
     * (or its directory), as SQLite does with the -wal and -shm, so that the
     * server's own user can still open it */
    struct stat own;
    char dir[1024];
    if (geteuid() == 0 && (stat(real, &own) == 0 || (!paths_dirname(real, dir, sizeof dir) && stat(dir, &own) == 0)) &&
        own.st_uid != 0 && fchown(fd, own.st_uid, own.st_gid) != 0)
        jc_log(JC_LOG_WARN, "store: cannot give the lock file of %s to uid %ld: %s", real, (long)own.st_uid,
               strerror(errno));
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

/* "user NAME (uid N)" of the effective user. */
static void whoami(char *out, size_t n) {
    uid_t uid = geteuid();
    struct passwd pw, *r = NULL;
    char buf[1024];
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &r) == 0 && r) snprintf(out, n, "user %s (uid %ld)", r->pw_name, (long)uid);
    else snprintf(out, n, "uid %ld", (long)uid);
}

jc_err store_writable(const char *given, char *msg, size_t msgsz) {
    char dir[1024], me[300], real[1024];
    if (store_pg_is_url(given)) return JC_OK; /* the database server's business */
    const char *path = resolved(given, real, sizeof real);
    if (!path || paths_dirname(path, dir, sizeof dir)) {
        snprintf(msg, msgsz, "%s: path too long", given);
        return JC_ERR_INVALID;
    }
    whoami(me, sizeof me);
    const char *what = NULL;
    int err = 0;
    if (access(path, F_OK) == 0) {
        if (access(path, R_OK | W_OK) != 0) what = path, err = errno;
    } else if (errno != ENOENT) {
        what = path, err = errno;
    }
    if (!what && access(dir, W_OK | X_OK) != 0) what = dir, err = errno;
    if (!what) return JC_OK;
    if (err == EROFS)
        snprintf(msg, msgsz, "%s is on a read-only file system; the database needs a writable one "
                             "(its -wal and -shm files go beside it)", what);
    else if (err == ENOENT)
        snprintf(msg, msgsz, "the directory %s does not exist; create it, owned by the server's user", what);
    else if (what == dir)
        snprintf(msg, msgsz, "the directory %s is not writable for %s (%s); the database's -wal, -shm and lock "
                             "files go there: chown it to the server's user", dir, me, strerror(err));
    else
        snprintf(msg, msgsz, "%s is read-only for %s (%s); make it writable by the server's user, e.g. "
                             "chown jiceng: %s*", path, me, strerror(err), path);
    return JC_ERR_DENIED;
}
