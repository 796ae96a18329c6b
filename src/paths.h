/*
 * paths.h -- where jiceng finds the files it ships and keeps its state.
 *
 * Shipped files (the web UI, the vendored browser libraries, the demo
 * catalogue, the national divisions) live in one directory laid out as the
 * source tree: web/, data/, node_modules/<package>/...  It is found from
 * the binary, not from the working directory:
 *   1. $JICENG_SHARE when set (packagers, tests);
 *   2. the source tree when the binary runs from it (build/jiceng: the
 *      parent of its directory holds web/index.html and src/jc.h);
 *   3. BINDIR/../share/jiceng when it holds web/index.html (make install);
 *   4. the working directory (the old behaviour), as a last resort.
 * State (the database, photos, backups) lives in the state directory:
 * --data-dir, else the directory of the database.
 */
#ifndef JC_PATHS_H
#define JC_PATHS_H

#include "jc.h"

/* The directory of shipped files (see above); never NULL, computed once,
 * thread-safe. */
const char *paths_share(void);
/* 1 when paths_share() is a source tree (the binary is not installed). */
int paths_in_tree(void);
/* paths_share() + "/" + rel into out.  JC_ERR_TOOBIG when it does not fit
 * (out then holds ""). */
jc_err paths_shared(const char *rel, char *out, size_t n) JC_MUST_CHECK;
/* The directory part of path into out ("." when path has no slash, "/"
 * for a file in the root).  JC_ERR_TOOBIG when it does not fit. */
jc_err paths_dirname(const char *path, char *out, size_t n) JC_MUST_CHECK;

/* The database and the state directory from a command's --db and
 * --data-dir (either may be NULL): db, else DATA_DIR/jiceng.db; the state
 * directory is data_dir, else the database's directory (the working
 * directory for a database server's URL: set --data-dir).  JC_ERR_INVALID
 * when both are NULL, JC_ERR_TOOBIG when a path does not fit. */
jc_err paths_state(const char *db, const char *data_dir, char *db_out, size_t dbsz, char *dir_out,
                   size_t dirsz) JC_MUST_CHECK;

/* The state directory of this run (serve sets it from paths_state before
 * the modules start; "" until then): where a module keeps its files, e.g.
 * photos in STATE/photos.  The string is copied (JC_ERR_TOOBIG beyond 511
 * bytes). */
jc_err paths_set_state_dir(const char *dir) JC_MUST_CHECK;
const char *paths_state_dir(void);

#endif
