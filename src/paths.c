/*
 * paths.c -- the directory of shipped files, found from the binary's own
 * location (see paths.h for the order), and small path helpers.
 */
#include "paths.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char share[PATH_MAX];
static int in_tree;

/* 1 when dir/rel exists. */
static int has(const char *dir, const char *rel) {
    char p[PATH_MAX + 64];
    if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, rel) >= sizeof p) return 0;
    return access(p, F_OK) == 0;
}

static void find_share(void) {
    const char *env = getenv("JICENG_SHARE");
    if (env && *env && strlen(env) < sizeof share) {
        snprintf(share, sizeof share, "%s", env);
        in_tree = has(share, "src/jc.h");
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = n > 0 ? (exe[n] = 0, strrchr(exe, '/')) : NULL;
    if (slash) {
        *slash = 0; /* exe is now BINDIR */
        char up[PATH_MAX], cand[PATH_MAX];
        /* build/jiceng, or build/tests/test_x of the unit tests */
        static const char *const ups[] = {"..", "../.."};
        for (size_t i = 0; i < JC_ARRAY_LEN(ups); i++)
            if ((size_t)snprintf(up, sizeof up, "%s/%s", exe, ups[i]) < sizeof up && realpath(up, cand) &&
                has(cand, "web/index.html") && has(cand, "src/jc.h")) {
                snprintf(share, sizeof share, "%s", cand);
                in_tree = 1;
                return;
            }
        if ((size_t)snprintf(up, sizeof up, "%s/..", exe) < sizeof up && realpath(up, cand) &&
            strlen(cand) + sizeof "/share/jiceng" <= sizeof share) {
            char inst[PATH_MAX];
            snprintf(inst, sizeof inst, "%s/share/jiceng", strcmp(cand, "/") ? cand : "");
            if (has(inst, "web/index.html")) {
                snprintf(share, sizeof share, "%s", inst);
                return;
            }
        }
    }
    snprintf(share, sizeof share, ".");
    in_tree = has(share, "src/jc.h");
}

const char *paths_share(void) {
    pthread_once(&once, find_share);
    return share;
}

int paths_in_tree(void) {
    pthread_once(&once, find_share);
    return in_tree;
}

jc_err paths_shared(const char *rel, char *out, size_t n) {
    if ((size_t)snprintf(out, n, "%s/%s", paths_share(), rel) >= n) {
        if (n) out[0] = 0;
        return JC_ERR_TOOBIG;
    }
    return JC_OK;
}

jc_err paths_dirname(const char *path, char *out, size_t n) {
    const char *slash = strrchr(path, '/');
    size_t len = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    if (len >= n) {
        if (n) out[0] = 0;
        return JC_ERR_TOOBIG;
    }
    if (!slash) memcpy(out, ".", 1);
    else if (slash == path) memcpy(out, "/", 1);
    else memcpy(out, path, len);
    out[len] = 0;
    return JC_OK;
}

static char state_dir[512];

jc_err paths_set_state_dir(const char *dir) {
    return (size_t)snprintf(state_dir, sizeof state_dir, "%s", dir) >= sizeof state_dir ? JC_ERR_TOOBIG : JC_OK;
}

const char *paths_state_dir(void) { return state_dir; }

jc_err paths_state(const char *db, const char *data_dir, char *db_out, size_t dbsz, char *dir_out, size_t dirsz) {
    if (!db && !data_dir) return JC_ERR_INVALID;
    if (db) {
        if ((size_t)snprintf(db_out, dbsz, "%s", db) >= dbsz) return JC_ERR_TOOBIG;
    } else if ((size_t)snprintf(db_out, dbsz, "%s/jiceng.db", data_dir) >= dbsz) {
        return JC_ERR_TOOBIG;
    }
    if (data_dir) return (size_t)snprintf(dir_out, dirsz, "%s", data_dir) >= dirsz ? JC_ERR_TOOBIG : JC_OK;
    if (strstr(db_out, "://") || strstr(db_out, "dbname=")) /* a database server's URL: no directory of its own */
        return (size_t)snprintf(dir_out, dirsz, ".") >= dirsz ? JC_ERR_TOOBIG : JC_OK;
    return paths_dirname(db_out, dir_out, dirsz);
}
