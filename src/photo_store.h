/*
 * photo_store.h -- the row operations of the photo module (photo.c decides;
 * photo_sqlite.c and photo_pg.c store).  The files themselves are not rows:
 * they are content-addressed under the photo directory (photo.h), which
 * several instances on one PostgreSQL database share (docs/postgresql.md).
 *
 *  photos       one row per stored file: its SHA-256 id, type, size, who
 *               uploaded it first and when.
 *  case_photos  which photo shows which case, linked by whom and when.
 */
#ifndef JC_PHOTO_STORE_H
#define JC_PHOTO_STORE_H

#include "jc.h"
#include "module.h"
#include "store.h"

typedef struct {
    char id[65];
    char mime[24];
    char ext[8];
    int64_t size;
    int64_t added_by;
    int64_t at_ms;
} photo_row;

typedef struct {
    /* Inserts a photo row; an existing id is kept as it is (JC_OK). */
    jc_err (*insert)(jc_conn *w, const photo_row *p);
    /* JC_ERR_NOTFOUND when unknown. */
    jc_err (*get)(jc_conn *c, const char *id, photo_row *out);
    /* Links a photo to a case; JC_ERR_CONFLICT when it is already linked. */
    jc_err (*link)(jc_conn *w, int64_t case_id, const char *photo_id, int64_t by, int64_t at_ms);
    /* Calls cb for each photo of a case in link order (time, then id);
     * non-zero stops. */
    jc_err (*case_each)(jc_conn *c, int64_t case_id,
                        int (*cb)(const char *photo_id, int64_t by, int64_t at_ms, void *arg), void *arg);
} photo_store_ops;

/* The two backends' tables and schemas, named in the module's row (photo.c). */
extern const photo_store_ops photo_store_sqlite, photo_store_pg;
extern const jc_schema schema_photo, schema_photo_pg;
extern const jc_module module_photo;

/* The operations above on c's backend (the module's routes run only where
 * it runs, so this is never NULL there). */
static inline const photo_store_ops *photo_store(const jc_conn *c) {
    return (const photo_store_ops *)module_store(&module_photo, c);
}
static inline JC_MUST_CHECK jc_err photo_insert(jc_conn *w, const photo_row *p) { return photo_store(w)->insert(w, p); }
static inline JC_MUST_CHECK jc_err photo_get(jc_conn *c, const char *id, photo_row *out) {
    return photo_store(c)->get(c, id, out);
}
static inline JC_MUST_CHECK jc_err photo_link(jc_conn *w, int64_t case_id, const char *photo_id, int64_t by,
                                              int64_t at_ms) {
    return photo_store(w)->link(w, case_id, photo_id, by, at_ms);
}
static inline JC_MUST_CHECK jc_err photo_case_each(jc_conn *c, int64_t case_id,
                                                   int (*cb)(const char *photo_id, int64_t by, int64_t at_ms,
                                                             void *arg),
                                                   void *arg) {
    return photo_store(c)->case_each(c, case_id, cb, arg);
}

#endif
