/*
 * walbuf.c -- a VFS over SQLite's default one that gathers the WAL writes
 * of a commit into one.
 *
 * SQLite writes each frame of the write-ahead log with two pwrite()s (its
 * 24-byte header, then the page), so a commit of 18 pages costs 36 system
 * calls.  Here a WAL file keeps contiguous writes in a buffer and writes them
 * with one pwrite() per 124 KiB before anything could need them in the file:
 *   - before SQLite publishes the commit to readers: it updates the
 *     wal-index header with a memory barrier (xShmBarrier) between its two
 *     copies, and readers only use a header whose copies agree; the barrier
 *     flushes the buffers this thread filled (a reader's barrier finds none
 *     of its own: one atomic load when no WAL file has bytes pending);
 *   - before any read, sync, truncate, size query, file control or close of
 *     the WAL file itself; when a write is not contiguous or the buffer is
 *     full.
 * Nothing is acknowledged before the syncer's fdatasync of the WAL, which
 * comes after the commit, hence after the flush.  A flush that fails in the
 * barrier cannot report an error (xShmBarrier returns nothing): the process
 * stops, as on a failed fdatasync; a restart recovers from the WAL, where
 * that commit is simply absent (and was never acknowledged).
 *
 * A full disk must not get that far.  Before a byte is buffered, the range
 * it will be written to is reserved on disk (fallocate with KEEP_SIZE:
 * blocks allocated beyond the end of the file, its size unchanged, so
 * SQLite sees nothing); a range that cannot be reserved fails that write
 * with SQLITE_FULL, before anything is published, and SQLite rolls the
 * transaction back.  The flush then writes into allocated blocks only.
 * Space is reserved RESERVE_AHEAD beyond the write when the reserve falls
 * below half of that: when that fails the file is "low" (walbuf_low) and
 * the store refuses ordinary writes, while what is left of the reserve
 * takes the few it still lets through (logins).  What is allocated is read
 * from the file (st_blocks) at the first write of each commit, because
 * another process may have truncated the WAL meanwhile.  On a file system
 * without fallocate the WAL is written through, unbuffered, so that errors
 * reach SQLite where it can report them.
 *
 * The file size limit (RLIMIT_FSIZE: ulimit -f, systemd's LimitFSIZE=) is
 * a full disk of its own that fallocate(KEEP_SIZE) does not see: a reserved
 * range past it is granted, and its write fails with EFBIG at the flush.  So
 * the reserve stops at the limit, and a write that would pass it fails as a
 * full disk (SQLITE_FULL, the file low) before anything is buffered.  A file
 * low for that reason stays low (walbuf_probe) until the process restarts
 * with a larger limit: freeing disk space does not move it.
 */
#include "jc.h"
#include "walbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUF_MAX (1 << 20) /* flushed beyond this */

typedef struct wb_file wb_file;
struct wb_file {
    sqlite3_file base;
    sqlite3_file *real; /* the default VFS's file, right after this struct */
    int is_wal;
    unsigned char *buf;
    size_t len, cap;
    sqlite3_int64 off; /* file offset of buf[0] */
    /* the thread whose bytes buf holds (only it touches buf, len, off); a
     * connection changes threads only between transactions, and a thread
     * that takes it over with bytes still pending writes them first */
    const void *owner;
    wb_file *next; /* every open WAL file, under files_mu */
    const char *name;      /* the WAL's path (SQLite keeps it until xClose) */
    int rfd;               /* a writable descriptor for fallocate; -1 not yet, -2 none (write through) */
    sqlite3_int64 alloc;   /* bytes known allocated from the start of the file (this window) */
    int low;               /* the reserve ahead could not be extended */
    int capped;            /* low because a write would pass the file size limit */
    sqlite3_int64 limit;   /* the file size limit, read with rfd (not a system call per write) */
};

#define RESERVE_AHEAD ((sqlite3_int64)4 << 20) /* kept allocated beyond the last write */
#define ALLOC_MARGIN ((sqlite3_int64)64 << 10)  /* st_blocks may count a few blocks of metadata */

static sqlite3_vfs *real_vfs;
static int nlow; /* WAL files that are low (atomic) */
static pthread_mutex_t files_mu = PTHREAD_MUTEX_INITIALIZER;
static wb_file *wal_files;
static int npending; /* WAL files with bytes pending (atomic): 0 spares the barrier the list */
static __thread char self_tag;
#define SELF ((const void *)&self_tag)

/* The default VFS writes at most 128 KiB - 1 per call (a larger write comes
 * back short, as "disk full"): the buffer goes in pieces of 124 KiB. */
#define PIECE (124 * 1024)

static int flush(wb_file *f) {
    int rc = SQLITE_OK;
    for (size_t done = 0; done < f->len && rc == SQLITE_OK; done += PIECE) {
        size_t n = f->len - done < PIECE ? f->len - done : PIECE;
        rc = f->real->pMethods->xWrite(f->real, f->buf + done, (int)n, f->off + (sqlite3_int64)done);
    }
    if (f->len) __atomic_sub_fetch(&npending, 1, __ATOMIC_RELEASE);
    f->len = 0;
    return rc;
}

/* Flushes f when it is a WAL file (by its own connection's thread). */
static int settle(wb_file *f) { return f->is_wal ? flush(f) : SQLITE_OK; }

#define REAL(f) (((wb_file *)(f))->real)
#define RM(f) (REAL(f)->pMethods)

/* Marks f low or not (on its writer's thread, or under files_mu). */
static void set_low(wb_file *f, int low) {
    if (f->low == low) return;
    f->low = low;
    if (low) __atomic_add_fetch(&nlow, 1, __ATOMIC_RELEASE);
    else __atomic_sub_fetch(&nlow, 1, __ATOMIC_RELEASE);
}

static int wb_close(sqlite3_file *file) {
    wb_file *f = (wb_file *)file;
    int rc = settle(f);
    if (f->is_wal) {
        pthread_mutex_lock(&files_mu);
        for (wb_file **p = &wal_files; *p; p = &(*p)->next)
            if (*p == f) {
                *p = f->next;
                break;
            }
        pthread_mutex_unlock(&files_mu);
    }
    int rc2 = RM(f)->xClose(REAL(f));
    free(f->buf);
    f->buf = NULL;
    if (f->rfd >= 0) close(f->rfd);
    f->rfd = -2;
    set_low(f, 0);
    return rc != SQLITE_OK ? rc : rc2;
}

static int wb_read(sqlite3_file *file, void *p, int n, sqlite3_int64 off) {
    int rc = settle((wb_file *)file);
    return rc != SQLITE_OK ? rc : RM(file)->xRead(REAL(file), p, n, off);
}

/* Writes n bytes in pieces the default VFS takes whole.  A memory journal
 * that spills to its temporary file (a savepoint's journal past the spill
 * size of store_sqlite.c) writes all it held in one call, which would
 * otherwise fail as "disk full". */
static int write_pieces(wb_file *f, const unsigned char *p, int n, sqlite3_int64 off) {
    int rc = SQLITE_OK;
    for (int done = 0; done < n && rc == SQLITE_OK; done += PIECE) {
        int k = n - done < PIECE ? n - done : PIECE;
        rc = RM(f)->xWrite(REAL(f), p + done, k, off + done);
    }
    return rc;
}

/* fallocate(KEEP_SIZE) of [from, to) of f: 0, or the errno. */
static int reserve_range(wb_file *f, sqlite3_int64 from, sqlite3_int64 to) {
    int rc;
    do rc = fallocate(f->rfd, FALLOC_FL_KEEP_SIZE, (off_t)from, (off_t)(to - from));
    while (rc != 0 && errno == EINTR);
    return rc == 0 ? 0 : errno;
}

/* The size no file of this process may pass (RLIMIT_FSIZE), INT64_MAX
 * when unlimited. */
static sqlite3_int64 size_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)INT64_MAX)
        return INT64_MAX;
    return (sqlite3_int64)rl.rlim_cur;
}

/* Makes sure [off, end) of the WAL is allocated before bytes for it are
 * buffered: SQLITE_OK, SQLITE_FULL when the disk has no room for it,
 * SQLITE_IOERR_WRITE on another error.  Sets f->rfd to -2 (write through)
 * when the file system cannot reserve. */
static int reserve(wb_file *f, sqlite3_int64 off, sqlite3_int64 end) {
    if (f->rfd == -1) {
        f->rfd = f->name ? open(f->name, O_RDWR | O_CLOEXEC) : -1;
        if (f->rfd < 0) f->rfd = -2;
        f->limit = size_limit();
    }
    if (f->rfd < 0) return SQLITE_OK;
    sqlite3_int64 limit = f->limit;
    if (end > limit) {
        if (!f->capped)
            jc_log(JC_LOG_ERROR, "sqlite: %s would pass the file size limit of this process (%lld KiB: ulimit -f, "
                                 "LimitFSIZE=); writes are refused until it restarts with a larger one",
                   f->name ? f->name : "the WAL", (long long)(limit >> 10));
        f->capped = 1;
        set_low(f, 1);
        return SQLITE_FULL;
    }
    struct stat sb;
    if (!f->len) { /* a new window: learn what is allocated now */
        f->alloc = fstat(f->rfd, &sb) == 0 ? (sqlite3_int64)sb.st_blocks * 512 - ALLOC_MARGIN : 0;
        if (f->alloc < 0) f->alloc = 0;
    }
    if (end + RESERVE_AHEAD / 2 <= f->alloc) return SQLITE_OK;
    sqlite3_int64 from = f->len && f->off < off ? f->off : off, want = end + RESERVE_AHEAD;
    if (want > limit) want = limit;
    int err = reserve_range(f, from, want);
    if (!err) {
        f->alloc = want;
        f->capped = 0;
        set_low(f, 0);
        return SQLITE_OK;
    }
    if (err == EOPNOTSUPP || err == ENOSYS || err == EINVAL) {
        close(f->rfd);
        f->rfd = -2;
        return SQLITE_OK;
    }
    if (err != ENOSPC && err != EDQUOT) return SQLITE_IOERR_WRITE;
    set_low(f, 1);
    if (end <= f->alloc) return SQLITE_OK; /* in what was reserved before */
    if (reserve_range(f, from, end) == 0) {
        f->alloc = end;
        return SQLITE_OK;
    }
    return SQLITE_FULL;
}

/* Forgets the bytes of a window whose write failed: SQLite abandons that
 * transaction and writes its frames again, at the same offsets, later. */
static void discard(wb_file *f) {
    if (f->len) __atomic_sub_fetch(&npending, 1, __ATOMIC_RELEASE);
    f->len = 0;
}

static int wb_write(sqlite3_file *file, const void *p, int n, sqlite3_int64 off) {
    wb_file *f = (wb_file *)file;
    if (!f->is_wal || n <= 0) return n > PIECE ? write_pieces(f, p, n, off) : RM(f)->xWrite(REAL(f), p, n, off);
    if (f->len && __atomic_load_n(&f->owner, __ATOMIC_ACQUIRE) != SELF) {
        int rc = flush(f); /* another thread's bytes, reserved by it */
        if (rc != SQLITE_OK) return rc;
    }
    int rrc = reserve(f, off, off + n);
    if (rrc != SQLITE_OK) {
        discard(f);
        return rrc;
    }
    if (f->rfd == -2) { /* nothing reserved: write through, errors go to SQLite */
        int rc = flush(f);
        return rc != SQLITE_OK ? rc : write_pieces(f, p, n, off);
    }
    if (f->len && (off != f->off + (sqlite3_int64)f->len || f->len + (size_t)n > BUF_MAX)) {
        int rc = flush(f);
        if (rc != SQLITE_OK) return rc;
    }
    if ((size_t)n > BUF_MAX) return write_pieces(f, p, n, off);
    if (f->len + (size_t)n > f->cap) {
        size_t cap = f->cap ? f->cap : 64 * 1024;
        while (cap < f->len + (size_t)n) cap *= 2;
        unsigned char *b = realloc(f->buf, cap);
        if (!b) {
            int rc = flush(f);
            return rc != SQLITE_OK ? rc : RM(f)->xWrite(REAL(f), p, n, off);
        }
        f->buf = b;
        f->cap = cap;
    }
    if (!f->len) {
        f->off = off;
        __atomic_store_n(&f->owner, SELF, __ATOMIC_RELEASE);
        __atomic_add_fetch(&npending, 1, __ATOMIC_RELEASE);
    }
    memcpy(f->buf + f->len, p, (size_t)n);
    f->len += (size_t)n;
    return SQLITE_OK;
}

static int wb_truncate(sqlite3_file *file, sqlite3_int64 size) {
    wb_file *f = (wb_file *)file;
    int rc = settle(f);
    if (f->alloc > size) f->alloc = size; /* truncation frees what lay beyond */
    return rc != SQLITE_OK ? rc : RM(file)->xTruncate(REAL(file), size);
}

static int wb_sync(sqlite3_file *file, int flags) {
    int rc = settle((wb_file *)file);
    return rc != SQLITE_OK ? rc : RM(file)->xSync(REAL(file), flags);
}

static int wb_file_size(sqlite3_file *file, sqlite3_int64 *size) {
    int rc = settle((wb_file *)file);
    return rc != SQLITE_OK ? rc : RM(file)->xFileSize(REAL(file), size);
}

static int wb_lock(sqlite3_file *file, int l) { return RM(file)->xLock(REAL(file), l); }
static int wb_unlock(sqlite3_file *file, int l) { return RM(file)->xUnlock(REAL(file), l); }
static int wb_check_reserved(sqlite3_file *file, int *out) {
    return RM(file)->xCheckReservedLock(REAL(file), out);
}

static int wb_file_control(sqlite3_file *file, int op, void *arg) {
    int rc = settle((wb_file *)file);
    return rc != SQLITE_OK ? rc : RM(file)->xFileControl(REAL(file), op, arg);
}

static int wb_sector_size(sqlite3_file *file) { return RM(file)->xSectorSize(REAL(file)); }
static int wb_device_characteristics(sqlite3_file *file) {
    return RM(file)->xDeviceCharacteristics(REAL(file));
}

static int wb_shm_map(sqlite3_file *file, int pg, int pgsz, int extend, void volatile **pp) {
    return RM(file)->xShmMap(REAL(file), pg, pgsz, extend, pp);
}
static int wb_shm_lock(sqlite3_file *file, int offset, int n, int flags) {
    return RM(file)->xShmLock(REAL(file), offset, n, flags);
}

static void wb_shm_barrier(sqlite3_file *file) {
    if (__atomic_load_n(&npending, __ATOMIC_ACQUIRE)) {
        pthread_mutex_lock(&files_mu);
        for (wb_file *f = wal_files; f; f = f->next) {
            /* only this thread's bytes: another's buffer is its own business */
            if (__atomic_load_n(&f->owner, __ATOMIC_ACQUIRE) != SELF || !f->len) continue;
            if (flush(f) != SQLITE_OK) {
                /* the commit is about to be published without its frames */
                jc_log(JC_LOG_ERROR, "sqlite: writing the WAL failed; stopping");
                abort();
            }
        }
        pthread_mutex_unlock(&files_mu);
    }
    RM(file)->xShmBarrier(REAL(file));
}

static int wb_shm_unmap(sqlite3_file *file, int del) { return RM(file)->xShmUnmap(REAL(file), del); }

static int wb_fetch(sqlite3_file *file, sqlite3_int64 off, int n, void **pp) {
    int rc = settle((wb_file *)file);
    return rc != SQLITE_OK ? rc : RM(file)->xFetch(REAL(file), off, n, pp);
}
static int wb_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p) {
    return RM(file)->xUnfetch(REAL(file), off, p);
}

static const sqlite3_io_methods wb_methods = {
    3,           wb_close,      wb_read,         wb_write,      wb_truncate,    wb_sync,
    wb_file_size, wb_lock,      wb_unlock,       wb_check_reserved, wb_file_control,
    wb_sector_size, wb_device_characteristics, wb_shm_map, wb_shm_lock, wb_shm_barrier,
    wb_shm_unmap, wb_fetch,     wb_unfetch,
};

static int wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags) {
    (void)vfs;
    wb_file *f = (wb_file *)file;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)(f + 1);
    int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    /* SQLite calls xClose when pMethods is set, even after a failed open */
    if (f->real->pMethods) {
        /* the default VFS's files have version 3 methods; a lower one could
         * not take calls of the newer ones */
        if (f->real->pMethods->iVersion < 3) {
            f->real->pMethods->xClose(f->real);
            return SQLITE_CANTOPEN;
        }
        f->base.pMethods = &wb_methods;
    }
    f->is_wal = f->base.pMethods && (flags & SQLITE_OPEN_WAL) != 0;
    f->name = name;
    f->rfd = f->is_wal && (flags & SQLITE_OPEN_READWRITE) ? -1 : -2;
    if (f->is_wal) {
        pthread_mutex_lock(&files_mu);
        f->next = wal_files;
        wal_files = f;
        pthread_mutex_unlock(&files_mu);
    }
    return rc;
}

static int wb_delete(sqlite3_vfs *v, const char *n, int sync) { (void)v; return real_vfs->xDelete(real_vfs, n, sync); }
static int wb_access(sqlite3_vfs *v, const char *n, int flags, int *out) {
    (void)v;
    return real_vfs->xAccess(real_vfs, n, flags, out);
}
static int wb_full_pathname(sqlite3_vfs *v, const char *n, int size, char *out) {
    (void)v;
    return real_vfs->xFullPathname(real_vfs, n, size, out);
}
static void *wb_dlopen(sqlite3_vfs *v, const char *n) { (void)v; return real_vfs->xDlOpen(real_vfs, n); }
static void wb_dlerror(sqlite3_vfs *v, int n, char *msg) { (void)v; real_vfs->xDlError(real_vfs, n, msg); }
static void (*wb_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void) {
    (void)v;
    return real_vfs->xDlSym(real_vfs, h, sym);
}
static void wb_dlclose(sqlite3_vfs *v, void *h) { (void)v; real_vfs->xDlClose(real_vfs, h); }
static int wb_randomness(sqlite3_vfs *v, int n, char *out) { (void)v; return real_vfs->xRandomness(real_vfs, n, out); }
static int wb_sleep(sqlite3_vfs *v, int us) { (void)v; return real_vfs->xSleep(real_vfs, us); }
static int wb_current_time(sqlite3_vfs *v, double *t) { (void)v; return real_vfs->xCurrentTime(real_vfs, t); }
static int wb_last_error(sqlite3_vfs *v, int n, char *msg) { (void)v; return real_vfs->xGetLastError(real_vfs, n, msg); }
static int wb_current_time64(sqlite3_vfs *v, sqlite3_int64 *t) {
    (void)v;
    return real_vfs->xCurrentTimeInt64(real_vfs, t);
}

static sqlite3_vfs wb_vfs = {
    .iVersion = 2,
    .zName = "jiceng-walbuf",
    .xOpen = wb_open,
    .xDelete = wb_delete,
    .xAccess = wb_access,
    .xFullPathname = wb_full_pathname,
    .xDlOpen = wb_dlopen,
    .xDlError = wb_dlerror,
    .xDlSym = wb_dlsym,
    .xDlClose = wb_dlclose,
    .xRandomness = wb_randomness,
    .xSleep = wb_sleep,
    .xCurrentTime = wb_current_time,
    .xGetLastError = wb_last_error,
    .xCurrentTimeInt64 = wb_current_time64,
};

int walbuf_register(void) {
    real_vfs = sqlite3_vfs_find(NULL);
    if (!real_vfs || real_vfs->iVersion < 2) return SQLITE_ERROR;
    wb_vfs.szOsFile = (int)sizeof(wb_file) + real_vfs->szOsFile;
    wb_vfs.mxPathname = real_vfs->mxPathname;
    return sqlite3_vfs_register(&wb_vfs, 1);
}

int walbuf_low(void) { return __atomic_load_n(&nlow, __ATOMIC_ACQUIRE) > 0; }

int walbuf_probe(void) {
    if (!walbuf_low()) return 0;
    pthread_mutex_lock(&files_mu);
    for (wb_file *f = wal_files; f; f = f->next) {
        if (!__atomic_load_n(&f->low, __ATOMIC_ACQUIRE) || f->rfd < 0 || f->capped) continue;
        struct stat sb;
        if (fstat(f->rfd, &sb) != 0) continue;
        /* what a writer would ask for at the end of the file */
        if (reserve_range(f, sb.st_size, (sqlite3_int64)sb.st_size + RESERVE_AHEAD) == 0) set_low(f, 0);
    }
    pthread_mutex_unlock(&files_mu);
    return walbuf_low();
}
