/*
 * photo.h -- photos of reports (module "photo").
 *
 * POST /api/v1/photos stores an uploaded JPEG, PNG or WebP (checked by its
 * magic bytes, at most PHOTO_MAX_BYTES) content-addressed under the photo
 * directory as <dir>/<first 2 hex>/<sha256 hex>.<ext>, written durably (temp
 * file, fsync, rename, fsync of the directory) before the upload is
 * answered; GET /api/v1/photos/:id serves it (immutable, cacheable: the id is
 * the SHA-256 of the bytes and is the capability to read it); POST
 * /api/v1/cases/:id/photos links a photo to a case the caller can see (an
 * audit entry "photo_add"); GET /api/v1/cases/:id/photos lists them.
 */
#ifndef JC_PHOTO_H
#define JC_PHOTO_H

#include "jc.h"
#include "store.h"

#define PHOTO_MAX_BYTES (8u * 1024 * 1024)
#define PHOTO_DEFAULT_DIR "var/photos"

/* Sets the photo directory (jiceng serve --photos DIR) before serving.  The
 * string is copied; dirs longer than 400 bytes are refused (JC_ERR_INVALID). */
jc_err photo_set_dir(const char *dir) JC_MUST_CHECK;
/* The photo directory: as set, else STATE/photos of serve's state
 * directory (paths.h; set when the module starts), else PHOTO_DEFAULT_DIR. */
const char *photo_dir(void);

/* The image type of p[0..n) from its magic bytes: *mime ("image/jpeg",
 * "image/png", "image/webp") and *ext ("jpg", "png", "webp") point to static
 * strings.  JC_ERR_INVALID when it is none of them. */
jc_err photo_sniff(const void *p, size_t n, const char **mime, const char **ext) JC_MUST_CHECK;

/* True (1) when id is 64 lower-case hex characters. */
int photo_id_valid(const char *id);

/* Writes p[0..n) to path durably: a temp file in the same directory, fsync,
 * rename over path, fsync of the directory.  Creates the directory (and its
 * parent) when missing.  JC_ERR_IO on failure (nothing left at path). */
jc_err photo_write_durable(const char *path, const void *p, size_t n) JC_MUST_CHECK;

/* The first photo linked to a case into out[65]; JC_ERR_NOTFOUND when none
 * (the photo module's rows: photo_store.h). */
jc_err photo_first_of_case(jc_conn *c, int64_t case_id, char out[65]) JC_MUST_CHECK;

#endif
