/*
 * backup.c -- `jiceng backup` and `jiceng restore` (docs/operations.md).
 *
 * A backup is a consistent copy of the live database taken while the
 * server runs (backup_store.h: one read snapshot, writers go on), written
 * under a temporary name, checked (the storage engine's integrity check,
 * then the audit chain and every case row against it, audit.h), synced,
 * and only then renamed to its final name: a file named jiceng-*.db in the
 * backup directory is always a complete, verified backup.
 *
 * A restore checks the backup the same way before touching anything,
 * claims the database (no server may run on it: store_claim), moves the
 * current database aside (renamed with its WAL, never deleted) and puts a
 * copy of the backup in its place.  Photos are files beside the database;
 * they are not in the backup (see docs/operations.md for copying them).
 */
#include "audit.h"
#include "backup_store.h"
#include "store_pg.h"
#include "cli.h"
#include "config.h"
#include "paths.h"
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* What backup and restore say to a PostgreSQL URL: they copy an SQLite file. */
#define PG_BACKUPS                                                                                       \
    "--db is a PostgreSQL database: back it up and restore it with PostgreSQL's tools (pg_basebackup " \
    "with WAL archiving, or pg_dump and pg_restore; docs/postgresql.md, Backups), then jiceng audit verify"

#define NAME_PREFIX "jiceng-"
#define NAME_SUFFIX ".db"
#define MAX_KEEP_SCAN 10000

/* fsync of the directory holding path (after a rename in it). */
static void sync_dir_of(const char *path) {
    char dir[1024];
    if (paths_dirname(path, dir, sizeof dir)) return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    if (fsync(fd) != 0) jc_log(JC_LOG_WARN, "backup: fsync %s: %s", dir, strerror(errno));
    close(fd);
}

/* Creates dir and its missing parents (mode 0750). */
static int make_dirs(const char *dir) {
    char p[1024];
    if ((size_t)snprintf(p, sizeof p, "%s", dir) >= sizeof p) return -1;
    for (char *q = p + 1; *q; q++)
        if (*q == '/') {
            *q = 0;
            if (mkdir(p, 0750) != 0 && errno != EEXIST) return -1;
            *q = '/';
        }
    return mkdir(p, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

/* The database's integrity and its audit chain; 0 when both hold, else
 * prints what is wrong (prefixed by cmd) and returns -1.  summary gets
 * "N entries, N cases, head H". */
static int check_copy(const char *cmd, const char *path, char *summary, size_t n) {
    char msg[600];
    jc_err e = backup_store_check(path, msg, sizeof msg);
    if (e) {
        fprintf(stderr, "jiceng %s: %s is not a sound database: %s\n", cmd, path, msg);
        return -1;
    }
    jc_conn *c = NULL;
    if (store_conn_open_path(path, &c)) {
        fprintf(stderr, "jiceng %s: cannot open %s\n", cmd, path);
        return -1;
    }
    jc_verify_report r;
    e = audit_verify(c, &r);
    store_conn_close(c);
    if (e) {
        fprintf(stderr, "jiceng %s: %s: reading the trace failed: %s\n", cmd, path, jc_err_code(e));
        return -1;
    }
    if (!r.ok) {
        fprintf(stderr, "jiceng %s: %s: the trace does not verify: %s\n", cmd, path, r.message);
        return -1;
    }
    snprintf(summary, n, "%lld entries, %lld cases, head %.16s", (long long)r.entries, (long long)r.cases,
             r.head_hash);
    return 0;
}

static int is_backup_name(const char *name) {
    size_t n = strlen(name), p = strlen(NAME_PREFIX), s = strlen(NAME_SUFFIX);
    return n > p + s && !strncmp(name, NAME_PREFIX, p) && !strcmp(name + n - s, NAME_SUFFIX) &&
           !strchr(name, '~');
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Removes the oldest backups of dir beyond the newest keep (names sort by
 * time).  Returns how many it removed. */
static int prune(const char *dir, int keep) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < MAX_KEEP_SCAN) {
        if (!is_backup_name(de->d_name)) continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            char **g = realloc(names, nc * sizeof *g);
            if (!g) break;
            names = g, cap = nc;
        }
        if (!(names[n] = jc_strdup(de->d_name))) break;
        n++;
    }
    closedir(d);
    int removed = 0;
    if (n > (size_t)keep) {
        qsort(names, n, sizeof *names, cmp_names);
        for (size_t i = 0; i + (size_t)keep < n; i++) {
            char p[1400];
            snprintf(p, sizeof p, "%s/%s", dir, names[i]);
            if (unlink(p) == 0) removed++;
            else jc_log(JC_LOG_WARN, "backup: cannot remove %s: %s", p, strerror(errno));
        }
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return removed;
}

/* Run as root (sudo jiceng ...): path gets the owner of like, unless that
 * is root too, so that the service's user can go on using it. */
static void give_like(const char *path, const char *like) {
    struct stat own;
    if (geteuid() != 0 || stat(like, &own) != 0 || own.st_uid == 0) return;
    if (chown(path, own.st_uid, own.st_gid) != 0)
        fprintf(stderr, "jiceng: cannot give %s to uid %ld: %s\n", path, (long)own.st_uid, strerror(errno));
}

/* The UTC time as 20261207T023500Z. */
static void stamp(char *out, size_t n) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y%m%dT%H%M%SZ", &tm);
}

int cmd_backup(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng backup --db DB | --data-dir DIR [OUT] [--keep N] [--step PAGES] [--pause MS] [--config FILE]\n"
        "Copies the database while the server runs (one consistent snapshot; writers are not\n"
        "stopped), checks the copy (integrity_check, then the audit chain) and only then gives it\n"
        "its name.  OUT is a file that must not exist, or a directory: there the copy is named\n"
        "jiceng-YYYYMMDDTHHMMSSZ.db.  Without OUT: the backups setting, else DIR/backups.\n"
        "  --keep N      in a directory, remove the oldest jiceng-*.db beyond the newest N\n"
        "  --step PAGES  pages copied per step (default 1024)\n"
        "  --pause MS    milliseconds between two steps (default 0): spreads the disk reads over\n"
        "                a longer time; the snapshot is held meanwhile, so the WAL grows longer\n"
        "Photos are not in the copy: see docs/operations.md.  Exit 0 with the copy verified, 1\n"
        "when the copy or its check failed (then nothing is left under OUT).\n"
        "Example: jiceng backup --db /var/lib/jiceng/jiceng.db /var/lib/jiceng/backups --keep 14\n";
    if (cli_wants_help(argc, argv)) return fputs(help, stdout), JC_EXIT_OK;
    static const char *const keys[] = {"db", "data-dir", "backups", NULL};
    config_list cfg;
    char msg[600];
    if (config_args(argc, argv, keys, &cfg, &argc, &argv, msg, sizeof msg))
        return cli_usage_error("backup", "%s", msg);
    const char *db = NULL, *data_dir = NULL, *backups = NULL, *out = NULL;
    int64_t keep = 0, step = 1024, pause = 0;
    int rc = JC_EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            if (out) {
                cli_usage_error("backup", "one OUT only ('%s')", a);
                goto done;
            }
            out = a;
            continue;
        }
        if (!v) {
            cli_usage_error("backup", "option %s needs a value", a);
            goto done;
        }
        i++;
        if (!strcmp(a, "--db")) db = v;
        else if (!strcmp(a, "--data-dir")) data_dir = v;
        else if (!strcmp(a, "--backups")) backups = v;
        else if (!strcmp(a, "--keep")) {
            if (jc_parse_i64(v, &keep) || keep < 1 || keep > 100000) {
                cli_usage_error("backup", "--keep must be 1..100000");
                goto done;
            }
        } else if (!strcmp(a, "--pause")) {
            if (jc_parse_i64(v, &pause) || pause < 0 || pause > 10000) {
                cli_usage_error("backup", "--pause must be 0..10000 milliseconds");
                goto done;
            }
        } else if (!strcmp(a, "--step")) {
            if (jc_parse_i64(v, &step) || step < 1 || step > 1 << 20) {
                cli_usage_error("backup", "--step must be 1..1048576 pages");
                goto done;
            }
        } else {
            cli_usage_error("backup", "unexpected argument '%s'", a);
            goto done;
        }
    }
    char dbp[1024], dir[1024], target[1400], tmp[1500], defdir[1100];
    int mine = 0; /* writing in the backup directory of the settings (or the default) */
    if (!db && !data_dir) {
        cli_usage_error("backup", "missing --db DB (or --data-dir DIR)");
        goto done;
    }
    if (db && store_pg_is_url(db)) {
        cli_usage_error("backup", "%s", PG_BACKUPS);
        goto done;
    }
    if (paths_state(db, data_dir, dbp, sizeof dbp, dir, sizeof dir)) {
        cli_usage_error("backup", "path too long");
        goto done;
    }
    rc = JC_EXIT_FAIL;
    if (access(dbp, R_OK) != 0) {
        fprintf(stderr, "jiceng backup: cannot read %s: %s\n", dbp, strerror(errno));
        goto done;
    }
    if (!out) {
        if (!backups) {
            snprintf(defdir, sizeof defdir, "%s/backups", dir);
            backups = defdir;
        }
        out = backups;
        int existed = access(out, F_OK) == 0;
        if (make_dirs(out) != 0) {
            fprintf(stderr, "jiceng backup: cannot create %s: %s\n", out, strerror(errno));
            goto done;
        }
        /* the timer, as the service's user, writes and prunes there too */
        if (!existed) give_like(out, dbp);
        mine = 1;
    }
    size_t outlen = strlen(out);
    if (outlen > 1 && out[outlen - 1] == '/' && make_dirs(out) != 0) {
        fprintf(stderr, "jiceng backup: cannot create %s: %s\n", out, strerror(errno));
        goto done;
    }
    struct stat sb;
    int to_dir = stat(out, &sb) == 0 && S_ISDIR(sb.st_mode);
    if (to_dir) {
        char ts[32];
        stamp(ts, sizeof ts);
        snprintf(target, sizeof target, "%.*s/" NAME_PREFIX "%s" NAME_SUFFIX,
                 (int)(outlen > 1 && out[outlen - 1] == '/' ? outlen - 1 : outlen), out, ts);
    } else {
        if (keep) {
            rc = cli_usage_error("backup", "--keep needs OUT to be a directory");
            goto done;
        }
        snprintf(target, sizeof target, "%s", out);
    }
    if (access(target, F_OK) == 0) {
        fprintf(stderr, "jiceng backup: %s exists; choose another name or remove it\n", target);
        goto done;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", target, (long)getpid());
    if (sodium_init() < 0) goto done;
    backup_copy_stats st;
    jc_err e = backup_store_copy(dbp, tmp, (int)step, (int)pause, &st, msg, sizeof msg);
    if (e) {
        fprintf(stderr, "jiceng backup: copying %s failed: %s%s\n", dbp, msg,
                e == JC_ERR_NOSPACE ? " (the disk of the backup is full)" : "");
        goto done;
    }
    char summary[200];
    if (check_copy("backup", tmp, summary, sizeof summary) != 0) {
        unlink(tmp);
        goto done;
    }
    if (mine) give_like(tmp, dbp);
    if (rename(tmp, target) != 0) {
        fprintf(stderr, "jiceng backup: rename %s: %s\n", target, strerror(errno));
        unlink(tmp);
        goto done;
    }
    sync_dir_of(target);
    printf("backup %s: %.1f MiB, %lld pages in %.2f s (%d steps); integrity ok; trace ok: %s\n", target,
           (double)(st.pages * st.page_size) / (1024.0 * 1024.0), (long long)st.pages, st.seconds, st.steps,
           summary);
    if (to_dir && keep) {
        int removed = prune(out, (int)keep);
        if (removed) printf("removed %d older backup%s (keeping %lld)\n", removed, removed > 1 ? "s" : "", (long long)keep);
    }
    rc = JC_EXIT_OK;
done:
    config_free(&cfg);
    free(argv);
    return rc;
}

/* Renames from to to when from exists; 0 when done or nothing to do. */
static int move_if_there(const char *from, const char *to) {
    if (access(from, F_OK) != 0) return 0;
    return rename(from, to);
}

int cmd_restore(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng restore --db DB | --data-dir DIR BACKUP [--config FILE]\n"
        "Puts the backup BACKUP in place of the database DB.  BACKUP is checked first\n"
        "(integrity_check, the audit chain); then, with no server running on DB (stop it first),\n"
        "the current database is renamed DB.before-restore-TIME (with its -wal: nothing is\n"
        "deleted) and a copy of BACKUP takes its place.  Start the server afterwards; it\n"
        "migrates the schema forward if the backup is older.  Photos: docs/operations.md.\n"
        "Example: jiceng restore --db /var/lib/jiceng/jiceng.db /var/lib/jiceng/backups/jiceng-20261207T030000Z.db\n";
    if (cli_wants_help(argc, argv)) return fputs(help, stdout), JC_EXIT_OK;
    static const char *const keys[] = {"db", "data-dir", NULL};
    config_list cfg;
    char msg[600];
    if (config_args(argc, argv, keys, &cfg, &argc, &argv, msg, sizeof msg))
        return cli_usage_error("restore", "%s", msg);
    const char *db = NULL, *data_dir = NULL, *from = NULL;
    int rc = JC_EXIT_USAGE;
    jc_claim *claim = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            if (from) {
                cli_usage_error("restore", "one BACKUP only ('%s')", a);
                goto done;
            }
            from = a;
        } else if (!v) {
            cli_usage_error("restore", "option %s needs a value", a);
            goto done;
        } else if (!strcmp(a, "--db")) db = v, i++;
        else if (!strcmp(a, "--data-dir")) data_dir = v, i++;
        else {
            cli_usage_error("restore", "unexpected argument '%s'", a);
            goto done;
        }
    }
    char dbp[1024], dir[1024];
    if (!from || (!db && !data_dir)) {
        cli_usage_error("restore", "usage: jiceng restore --db DB BACKUP");
        goto done;
    }
    if (db && store_pg_is_url(db)) {
        cli_usage_error("restore", "%s", PG_BACKUPS);
        goto done;
    }
    if (paths_state(db, data_dir, dbp, sizeof dbp, dir, sizeof dir)) {
        cli_usage_error("restore", "path too long");
        goto done;
    }
    /* a database reached through a symbolic link is restored where the link
     * points (its -wal is there too), the link kept: replacing the link with
     * a file would leave the real database, the one a server on its other
     * name uses, as it was */
    char *real = realpath(dbp, NULL);
    if (real && strlen(real) < sizeof dbp) memcpy(dbp, real, strlen(real) + 1);
    free(real);
    rc = JC_EXIT_FAIL;
    if (sodium_init() < 0) goto done;
    char summary[200];
    if (access(from, R_OK) != 0) {
        fprintf(stderr, "jiceng restore: cannot read %s: %s\n", from, strerror(errno));
        goto done;
    }
    if (check_copy("restore", from, summary, sizeof summary) != 0) {
        fprintf(stderr, "jiceng restore: nothing was changed\n");
        goto done;
    }
    char holder[600];
    jc_err e = store_claim(dbp, "restore", &claim, holder, sizeof holder);
    if (e) {
        fprintf(stderr, "jiceng restore: %s is in use (%s); stop the server first (systemctl stop jiceng); "
                        "nothing was changed\n", dbp, holder);
        goto done;
    }
    char tmp[1100], aside[1100], from_side[1200], to_side[1200], ts[32];
    snprintf(tmp, sizeof tmp, "%s.restore-%ld", dbp, (long)getpid());
    backup_copy_stats st;
    if ((e = backup_store_copy(from, tmp, -1, 0, &st, msg, sizeof msg))) {
        fprintf(stderr, "jiceng restore: copying %s failed: %s; nothing was changed\n", from, msg);
        goto done;
    }
    int had = access(dbp, F_OK) == 0;
    /* run as root (sudo jiceng restore): the copy belongs to whoever owned
     * the database (or its directory), not to root, or the service's user
     * could not open what was restored */
    give_like(tmp, had ? dbp : dir);
    stamp(ts, sizeof ts);
    snprintf(aside, sizeof aside, "%s.before-restore-%s", dbp, ts);
    if (had) {
        /* the WAL first: the database file without it would be older */
        snprintf(from_side, sizeof from_side, "%s-wal", dbp);
        snprintf(to_side, sizeof to_side, "%s-wal", aside);
        if (move_if_there(from_side, to_side) != 0 || rename(dbp, aside) != 0) {
            fprintf(stderr, "jiceng restore: moving %s aside failed: %s\n", dbp, strerror(errno));
            move_if_there(to_side, from_side);
            unlink(tmp);
            goto done;
        }
        snprintf(from_side, sizeof from_side, "%s-shm", dbp);
        unlink(from_side); /* rebuilt from the WAL by the next opener */
    }
    if (rename(tmp, dbp) != 0) {
        fprintf(stderr, "jiceng restore: rename %s: %s (the previous database is %s)\n", dbp, strerror(errno),
                had ? aside : "none");
        unlink(tmp);
        goto done;
    }
    sync_dir_of(dbp);
    printf("restored %s from %s (%s)\n", dbp, from, summary);
    if (had) printf("the previous database is kept as %s; remove it when the restored one is checked\n", aside);
    rc = JC_EXIT_OK;
done:
    store_unclaim(claim);
    config_free(&cfg);
    free(argv);
    return rc;
}
