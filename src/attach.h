/*
 * attach.h -- documents attached to cases (module "attach"; docs/api.md
 * "Attachments"): PDF and Office files on a department's feedback or
 * handling note, not only photos.
 *
 * Stored like photos (src/photo.c): content-addressed by SHA-256 under
 * <photo dir>/docs/<2 hex>/<sha256>.<ext>, written durably before the upload
 * is answered; at most ATTACH_MAX_BYTES; the type is decided by the bytes
 * (magic numbers and, for the ZIP-based formats, the names inside), never by
 * the name or the Content-Type the client claims: PDF; Word, Excel and
 * PowerPoint (OOXML: docx, xlsx, pptx -- macro-enabled files are refused;
 * the older binary doc, xls, ppt); OpenDocument text, spreadsheet and
 * presentation.  Unlike a photo, a document may hold personal data: it is
 * served only to whoever uploaded it or may see a case it is linked to, as a
 * download (Content-Disposition: attachment) with its own type, nosniff and
 * a sandboxing Content-Security-Policy.
 */
#ifndef JC_ATTACH_H
#define JC_ATTACH_H

#include "jc.h"
#include "store.h"

#define ATTACH_MAX_BYTES (10u * 1024 * 1024)

/* The document type of p[0..n) from its bytes: *mime and *ext point to
 * static strings ("application/pdf", "pdf" ...).  claimed_ext (the
 * extension of the name given, may be NULL) only tells the older binary
 * Office formats apart, which share one container.  JC_ERR_INVALID when it
 * is none of the accepted types (or an Office file with macros). */
jc_err attach_sniff(const void *p, size_t n, const char *claimed_ext, const char **mime, const char **ext) JC_MUST_CHECK;

/* A file name as shown and downloaded: decodes %XX (UTF-8), keeps the stem
 * (no path, no control characters, at most 80 characters) and puts ext after
 * it: "整改报告.exe" with ext "pdf" becomes "整改报告.pdf".  JC_ERR_INVALID when
 * it does not decode to valid UTF-8. */
jc_err attach_name(const char *given, size_t len, const char *ext, char *out, size_t outsz) JC_MUST_CHECK;

#endif
