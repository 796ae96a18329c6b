/*
 * attach.c -- documents attached to cases (see attach.h):
 *
 *   POST /api/v1/attachments            the bytes as the body; X-Filename: the
 *                                       name, percent-encoded UTF-8
 *   GET  /api/v1/attachments/:id        the document, as a download
 *   POST /api/v1/cases/:id/attachments  {"attachment_id"}: link it (uploader only)
 *   GET  /api/v1/cases/:id/attachments  the documents of a case
 *
 * The file is durable before its row is queued, and the upload is answered
 * after that row has committed (as photos).
 */
#include "attach.h"
#include "attach_store.h"
#include "case.h"
#include "http.h"
#include "module.h"
#include "photo.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- what the bytes are ------------------------------------------------------------ */

static uint32_t le16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const unsigned char *p) { return le16(p) | le16(p + 2) << 16; }

/* The entries of a ZIP archive: what an OOXML file holds.  0 when the
 * central directory cannot be read. */
typedef struct {
    int content_types, word, xl, ppt, macros;
} zip_seen;

static int zip_scan(const unsigned char *b, size_t n, zip_seen *z) {
    memset(z, 0, sizeof *z);
    if (n < 22) return 0;
    size_t lo = n > 65535 + 22 ? n - 65535 - 22 : 0, eocd = 0;
    int found = 0;
    for (size_t i = n - 22 + 1; i-- > lo;)
        if (!memcmp(b + i, "PK\x05\x06", 4)) {
            eocd = i, found = 1;
            break;
        }
    if (!found) return 0;
    uint32_t entries = le16(b + eocd + 10), cd_size = le32(b + eocd + 12), cd_off = le32(b + eocd + 16);
    if ((size_t)cd_off + cd_size > eocd || entries > 20000) return 0;
    size_t p = cd_off;
    for (uint32_t i = 0; i < entries; i++) {
        if (p + 46 > (size_t)cd_off + cd_size || memcmp(b + p, "PK\x01\x02", 4)) return 0;
        size_t nl = le16(b + p + 28), xl = le16(b + p + 30), cl = le16(b + p + 32);
        if (p + 46 + nl > (size_t)cd_off + cd_size) return 0;
        const char *name = (const char *)b + p + 46;
        if (nl == 19 && !memcmp(name, "[Content_Types].xml", 19)) z->content_types = 1;
        if (nl > 5 && !memcmp(name, "word/", 5)) z->word = 1;
        if (nl > 3 && !memcmp(name, "xl/", 3)) z->xl = 1;
        if (nl > 4 && !memcmp(name, "ppt/", 4)) z->ppt = 1;
        if (nl >= 14 && !memcmp(name + nl - 14, "vbaProject.bin", 14)) z->macros = 1;
        p += 46 + nl + xl + cl;
    }
    return 1;
}

/* An OpenDocument file: its first entry is "mimetype", stored, holding the
 * type. */
static const char *odf_type(const unsigned char *b, size_t n) {
    if (n < 38 || le16(b + 8) != 0 || le16(b + 26) != 8 || memcmp(b + 30, "mimetype", 8)) return NULL;
    size_t at = 30 + 8 + le16(b + 28), len = le32(b + 18);
    static const char *const types[] = {"application/vnd.oasis.opendocument.text",
                                        "application/vnd.oasis.opendocument.spreadsheet",
                                        "application/vnd.oasis.opendocument.presentation"};
    for (size_t i = 0; i < JC_ARRAY_LEN(types); i++)
        if (len == strlen(types[i]) && at + len <= n && !memcmp(b + at, types[i], len)) return types[i];
    return NULL;
}

jc_err attach_sniff(const void *p, size_t n, const char *claimed_ext, const char **mime, const char **ext) {
    const unsigned char *b = p;
    if (n >= 5 && !memcmp(b, "%PDF-", 5)) {
        *mime = "application/pdf", *ext = "pdf";
        return JC_OK;
    }
    if (n >= 8 && !memcmp(b, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8)) {
        /* the older Office formats share one container: the name tells them apart */
        static const char *const ole[][2] = {{"doc", "application/msword"},
                                             {"xls", "application/vnd.ms-excel"},
                                             {"ppt", "application/vnd.ms-powerpoint"}};
        for (size_t i = 0; claimed_ext && i < JC_ARRAY_LEN(ole); i++)
            if (!strcasecmp(claimed_ext, ole[i][0])) {
                *ext = ole[i][0], *mime = ole[i][1];
                return JC_OK;
            }
        return JC_ERR_INVALID;
    }
    if (n >= 4 && !memcmp(b, "PK\x03\x04", 4)) {
        const char *odf = odf_type(b, n);
        if (odf) {
            *mime = odf;
            *ext = strstr(odf, "text") ? "odt" : strstr(odf, "spreadsheet") ? "ods" : "odp";
            return JC_OK;
        }
        zip_seen z;
        if (!zip_scan(b, n, &z) || !z.content_types || z.macros) return JC_ERR_INVALID;
        if (z.word + z.xl + z.ppt != 1) return JC_ERR_INVALID;
        if (z.word) *ext = "docx", *mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        else if (z.xl) *ext = "xlsx", *mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        else *ext = "pptx", *mime = "application/vnd.openxmlformats-officedocument.presentationml.presentation";
        return JC_OK;
    }
    return JC_ERR_INVALID;
}

static int hexval(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

jc_err attach_name(const char *given, size_t len, const char *ext, char *out, size_t outsz) {
    char raw[1024];
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < sizeof raw; i++) {
        if (given[i] == '%' && i + 2 < len && hexval(given[i + 1]) >= 0 && hexval(given[i + 2]) >= 0) {
            raw[n++] = (char)(hexval(given[i + 1]) * 16 + hexval(given[i + 2]));
            i += 2;
        } else {
            raw[n++] = given[i];
        }
    }
    raw[n] = 0;
    if (!jc_utf8_valid(raw, n)) return JC_ERR_INVALID;
    /* the last path component, without control characters */
    const char *stem = raw;
    for (const char *q = raw; *q; q++)
        if (*q == '/' || *q == '\\') stem = q + 1;
    char clean[1024];
    size_t m = 0;
    for (const char *q = stem; *q && m + 1 < sizeof clean; q++)
        if ((unsigned char)*q >= 0x20 && *q != 0x7f && *q != '"') clean[m++] = *q;
    clean[m] = 0;
    char *dot = strrchr(clean, '.');
    if (dot && dot != clean) *dot = 0;
    /* at most 80 characters, cut at a character boundary */
    size_t bytes = 0, chars = 0;
    while (clean[bytes] && chars < 80) {
        bytes++;
        while (((unsigned char)clean[bytes] & 0xC0) == 0x80) bytes++;
        chars++;
    }
    clean[bytes] = 0;
    while (bytes > 0 && clean[bytes - 1] == ' ') clean[--bytes] = 0;
    snprintf(out, outsz, "%s.%s", clean[0] ? clean : "附件", ext);
    return JC_OK;
}

/* ---- upload --------------------------------------------------------------------------- */

static void doc_path(const char *id, const char *ext, char *out, size_t outsz) {
    snprintf(out, outsz, "%s/docs/%.2s/%s.%s", photo_dir(), id, id, ext);
}

static jc_err run_upload(jc_conn *w, jc_deferred *d) {
    attach_row *a = d->data;
    jc_err e = attach_db_insert(w, a);
    if (!e) e = attach_db_own(w, a->id, d->user.id);
    if (e) {
        snprintf(d->message, sizeof d->message, "could not record the document");
        return e;
    }
    char url[128];
    snprintf(url, sizeof url, "/api/v1/attachments/%s", a->id);
    d->status = 201;
    d->body = json_pack("{s:s,s:s,s:s,s:s,s:I}", "id", a->id, "url", url, "type", a->mime, "name", a->name, "size",
                        (json_int_t)a->size);
    return JC_OK;
}

static void reply_415(jc_req *r, const char *msg) {
    http_reply_json(r, 415, json_pack("{s:{s:s,s:s}}", "error", "code", "unsupported_type", "message", msg));
}

static void h_upload(jc_req *r) {
    if (r->body_len == 0) return http_reply_error(r, JC_ERR_INVALID, "the body is empty");
    if (r->body_len > ATTACH_MAX_BYTES)
        return http_reply_error(r, JC_ERR_TOOBIG, "a document may have at most %u bytes", ATTACH_MAX_BYTES);
    const char *fn = "";
    size_t fnl = 0;
    if (!http_header(r, "x-filename", &fn, &fnl)) fn = "", fnl = 0;
    if (fnl > 900) return http_reply_error(r, JC_ERR_INVALID, "X-Filename is too long");
    char given[1024];
    snprintf(given, sizeof given, "%.*s", (int)fnl, fn);
    const char *claimed = strrchr(given, '.');
    const char *mime, *ext;
    if (attach_sniff(r->body, r->body_len, claimed ? claimed + 1 : NULL, &mime, &ext))
        return reply_415(r, "not a document jiceng takes: PDF, Word, Excel, PowerPoint (without macros) or OpenDocument");
    attach_row *a = calloc(1, sizeof *a);
    if (!a) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    if (attach_name(given, strlen(given), ext, a->name, sizeof a->name)) {
        free(a);
        return http_reply_error(r, JC_ERR_INVALID, "X-Filename must be percent-encoded UTF-8");
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)r->body, r->body_len);
    jc_hex(h, sizeof h, a->id);
    snprintf(a->mime, sizeof a->mime, "%s", mime);
    snprintf(a->ext, sizeof a->ext, "%s", ext);
    a->size = (int64_t)r->body_len;
    a->added_by = r->user.id;
    a->at_ms = jc_now_ms();
    char path[600];
    doc_path(a->id, a->ext, path, sizeof path);
    struct stat sb;
    if ((stat(path, &sb) != 0 || sb.st_size != (off_t)r->body_len) && photo_write_durable(path, r->body, r->body_len)) {
        jc_log(JC_LOG_ERROR, "attach: cannot write %s", path);
        free(a);
        return http_reply_error(r, JC_ERR_IO, "the document could not be stored");
    }
    api_defer(r, run_upload, a, free);
}

/* ---- reading -------------------------------------------------------------------------------- */

/* 1 when u may read document id: they uploaded it, or may see a case it is on. */
static int may_read(jc_conn *c, const jc_user *u, const char *id) {
    if (attach_db_owns(c, id, u->id)) return 1;
    int64_t cases[16];
    int n = 0;
    if (attach_db_cases_of(c, id, cases, (int)JC_ARRAY_LEN(cases), &n)) return 0;
    for (int i = 0; i < n; i++) {
        jc_case k;
        if (store_case_get(c, cases[i], &k)) continue;
        int ok = case_visible_db(c, u, &k);
        case_clear(&k);
        if (ok) return 1;
    }
    return 0;
}

/* Content-Disposition: attachment with an ASCII fallback and the UTF-8 name. */
static void disposition(const attach_row *a, char *out, size_t outsz) {
    int n = snprintf(out, outsz, "attachment; filename=\"document.%s\"; filename*=UTF-8''", a->ext);
    static const char keep[] = "!#$&+-.^_`|~";
    for (const unsigned char *p = (const unsigned char *)a->name; *p && n > 0 && (size_t)n + 4 < outsz; p++) {
        if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || strchr(keep, *p))
            out[n++] = (char)*p;
        else
            n += snprintf(out + n, outsz - (size_t)n, "%%%02X", *p);
    }
    out[n] = 0;
}

static void h_fetch(jc_req *r) {
    const char *id = r->params[0];
    attach_row a;
    if (!photo_id_valid(id) || attach_db_get(r->db, id, &a) != JC_OK || !may_read(r->db, &r->user, id))
        return http_reply_error(r, JC_ERR_NOTFOUND, "no such document");
    char path[600];
    doc_path(a.id, a.ext, path, sizeof path);
    jc_buf b;
    jc_buf_init(&b, ATTACH_MAX_BYTES);
    if (jc_buf_read_file(&b, path) || (int64_t)b.len != a.size) {
        jc_buf_free(&b);
        return http_reply_error(r, JC_ERR_IO, "the document could not be read");
    }
    char cd[900];
    disposition(&a, cd, sizeof cd);
    const http_kv h[] = {{"content-disposition", cd},
                         {"cache-control", "private, no-store"},
                         {"x-content-type-options", "nosniff"},
                         {"content-security-policy", "default-src 'none'; sandbox"}};
    http_reply_with(r, 200, a.mime, h, JC_ARRAY_LEN(h), b.data, b.len);
    jc_buf_free(&b);
}

/* ---- a case's documents -------------------------------------------------------------------- */

typedef struct {
    int64_t case_id;
    char id[65];
} link_args;

static jc_err run_link(jc_conn *w, jc_deferred *d) {
    link_args *l = d->data;
    jc_case k;
    jc_err e = case_get_visible(w, &d->user, l->case_id, &k);
    if (e) {
        snprintf(d->message, sizeof d->message, "no case %lld", (long long)l->case_id);
        return e;
    }
    attach_row a;
    e = attach_db_get(w, l->id, &a);
    if (e == JC_ERR_NOTFOUND || (e == JC_OK && !attach_db_owns(w, l->id, d->user.id))) {
        case_clear(&k);
        snprintf(d->message, sizeof d->message, "no document %s of yours; upload it first", l->id);
        return JC_ERR_INVALID;
    }
    if (!e) e = attach_db_link(w, k.id, a.id, a.name, d->user.id, jc_now_ms());
    if (e == JC_ERR_CONFLICT) snprintf(d->message, sizeof d->message, "the document is already on this case");
    if (!e) e = case_audit_note(w, &d->user, &k, "attachment_add", a.name);
    case_clear(&k);
    if (e) return e;
    char url[128];
    snprintf(url, sizeof url, "/api/v1/attachments/%s", a.id);
    d->status = 201;
    d->body = json_pack("{s:I,s:s,s:s,s:s}", "case_id", (json_int_t)l->case_id, "attachment_id", a.id, "name", a.name,
                        "url", url);
    return JC_OK;
}

static void h_link(jc_req *r) {
    link_args *l = calloc(1, sizeof *l);
    if (!l) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    const char *id;
    if (api_param_id(r, 0, &l->case_id) || api_need_str(r, "attachment_id", 64, &id) < 0) return free(l);
    if (!photo_id_valid(id)) {
        free(l);
        return http_reply_error(r, JC_ERR_INVALID, "attachment_id must be the id an upload returned");
    }
    snprintf(l->id, sizeof l->id, "%s", id);
    api_defer(r, run_link, l, free);
}

static int list_cb(const attach_row *a, void *arg) {
    char at[40], url[128];
    jc_fmt_utc(a->at_ms, at, sizeof at);
    snprintf(url, sizeof url, "/api/v1/attachments/%s", a->id);
    json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s}", "id", a->id, "name", a->name, "type", a->mime,
                                         "url", url, "size", (json_int_t)a->size, "added_by", (json_int_t)a->added_by,
                                         "at", at));
    return 0;
}

static void h_list(jc_req *r) {
    int64_t id;
    if (api_param_id(r, 0, &id)) return;
    jc_case k;
    jc_err e = case_get_visible(r->db, &r->user, id, &k);
    if (e == JC_OK) case_clear(&k);
    if (e) return http_reply_error(r, e, "no case %lld", (long long)id);
    json_t *arr = json_array();
    if ((e = attach_db_case_each(r->db, id, list_cb, arr))) {
        json_decref(arr);
        return http_reply_error(r, e, "attachments");
    }
    http_reply_json(r, 200, json_pack("{s:I,s:o}", "case_id", (json_int_t)id, "attachments", arr));
}

#define STAFF_ONLY (ACCESS_USER & ~ROLE_BIT(ROLE_RESIDENT))

/* "/cases/:id/attachments" wins over the core's "/cases/:id/:action" (the
 * literal segment is the more specific). */
static const jc_route attach_routes[] = {
    {"POST", "/api/v1/attachments", h_upload, STAFF_ONLY, "*"},
    {"GET", "/api/v1/attachments/:id", h_fetch, ACCESS_USER, NULL},
    {"POST", "/api/v1/cases/:id/attachments", h_link, STAFF_ONLY, "attachment_id"},
    {"GET", "/api/v1/cases/:id/attachments", h_list, ACCESS_USER, NULL},
};

static const jc_route_table attach_table = {attach_routes, JC_ARRAY_LEN(attach_routes)};

/* The attachment module's row (src/modules.c). */
const jc_module module_attach = {
    .name = "attach",
    .schema = {[JC_STORE_SQLITE] = &schema_attach},
    .routes = {&attach_table},
};
