/*
 * photo.c -- photo uploads, serving and linking to cases (see photo.h).
 *
 * Files are content-addressed (SHA-256), so an upload of bytes already stored
 * is a no-op and a URL never changes meaning: GET answers are immutable and
 * cacheable for a year, with the id as ETag.  The file is durable before the
 * photos row is queued, and the upload is answered only after that row has
 * committed, so an acknowledged id always has its file.
 *
 * GET answers carry their own Cache-Control and ETag (http_reply_with).
 */
#include "photo.h"
#include "case.h"
#include "http.h"
#include "reason.h"
#include "module.h"
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char photos_dir[512] = PHOTO_DEFAULT_DIR;
static int dir_set; /* by --photos */

jc_err photo_set_dir(const char *dir) {
    if (!dir || !*dir || strlen(dir) > 400) return JC_ERR_INVALID;
    snprintf(photos_dir, sizeof photos_dir, "%s", dir);
    dir_set = 1;
    size_t n = strlen(photos_dir);
    while (n > 1 && photos_dir[n - 1] == '/') photos_dir[--n] = 0;
    return JC_OK;
}

const char *photo_dir(void) { return photos_dir; }

/* Before serving: photos in the state directory unless --photos said
 * where (not ./var/photos of the working directory). */
static jc_err photo_start(jc_store *st, char *msg, size_t msgsz) {
    (void)st;
    if (dir_set || !paths_state_dir()[0]) return JC_OK;
    if ((size_t)snprintf(photos_dir, sizeof photos_dir, "%s/photos", paths_state_dir()) >= sizeof photos_dir) {
        snprintf(msg, msgsz, "the state directory %s is too long for photos", paths_state_dir());
        return JC_ERR_INVALID;
    }
    return JC_OK;
}

jc_err photo_sniff(const void *p, size_t n, const char **mime, const char **ext) {
    const unsigned char *b = p;
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) {
        *mime = "image/jpeg", *ext = "jpg";
        return JC_OK;
    }
    if (n >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8)) {
        *mime = "image/png", *ext = "png";
        return JC_OK;
    }
    if (n >= 12 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WEBP", 4)) {
        *mime = "image/webp", *ext = "webp";
        return JC_OK;
    }
    return JC_ERR_INVALID;
}

int photo_id_valid(const char *id) {
    size_t n = 0;
    for (; id[n]; n++)
        if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'f'))) return 0;
    return n == 64;
}

static int fsync_path(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* mkdir that tolerates an existing directory; fsyncs the parent when it
 * created one, so the new entry survives a crash. */
static int ensure_dir(const char *dir) {
    if (mkdir(dir, 0755) == 0) {
        char parent[512];
        snprintf(parent, sizeof parent, "%s", dir);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) *slash = 0;
        else snprintf(parent, sizeof parent, "%s", slash ? "/" : ".");
        return fsync_path(parent);
    }
    return errno == EEXIST ? 0 : -1;
}

jc_err photo_write_durable(const char *path, const void *p, size_t n) {
    char dir[512], sub[512], tmp[600];
    snprintf(sub, sizeof sub, "%s", path);
    char *slash = strrchr(sub, '/');
    if (!slash) return JC_ERR_INVALID;
    *slash = 0;
    snprintf(dir, sizeof dir, "%s", sub);
    slash = strrchr(dir, '/');
    if (slash) {
        *slash = 0;
        /* create every missing component of the photos directory (var/photos) */
        for (char *q = dir + 1; dir[0] && *q; q++)
            if (*q == '/') {
                *q = 0;
                int bad = ensure_dir(dir);
                *q = '/';
                if (bad) return JC_ERR_IO;
            }
        if (dir[0] && ensure_dir(dir)) return JC_ERR_IO;
    }
    if (ensure_dir(sub)) return JC_ERR_IO;
    unsigned char rnd[8];
    char rh[17];
    randombytes_buf(rnd, sizeof rnd);
    jc_hex(rnd, sizeof rnd, rh);
    snprintf(tmp, sizeof tmp, "%s.tmp-%s", path, rh);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return errno == ENOSPC || errno == EDQUOT ? JC_ERR_NOSPACE : JC_ERR_IO;
    const char *q = p;
    size_t left = n;
    while (left > 0) {
        ssize_t w = write(fd, q, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        q += w;
        left -= (size_t)w;
    }
    if (left || fsync(fd) != 0) {
        int err = errno;
        close(fd);
        unlink(tmp);
        return err == ENOSPC || err == EDQUOT ? JC_ERR_NOSPACE : JC_ERR_IO;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return JC_ERR_IO;
    }
    return fsync_path(sub) == 0 ? JC_OK : JC_ERR_IO;
}

/* ---- handlers ---------------------------------------------------------------- */

static void photo_path(const photo_row *p, char *out, size_t outsz) {
    snprintf(out, outsz, "%s/%.2s/%s.%s", photos_dir, p->id, p->id, p->ext);
}

static jc_err run_upload(jc_conn *w, jc_deferred *d) {
    photo_row *p = d->data;
    jc_err e = photo_insert(w, p);
    if (e) {
        snprintf(d->message, sizeof d->message, "could not record the photo");
        return e;
    }
    char url[128];
    snprintf(url, sizeof url, "/api/v1/photos/%s", p->id);
    d->status = 201;
    d->body = json_pack("{s:s,s:s,s:s,s:I}", "id", p->id, "url", url, "type", p->mime, "size",
                        (json_int_t)p->size);
    return JC_OK;
}

static void h_upload(jc_req *r) {
    const char *ct;
    size_t ctn;
    char type[64] = "";
    if (http_header(r, "content-type", &ct, &ctn)) {
        size_t n = strcspn(ct, ";");
        if (n > ctn) n = ctn;
        while (n > 0 && ct[n - 1] == ' ') n--;
        if (n < sizeof type) {
            memcpy(type, ct, n);
            type[n] = 0;
            for (char *q = type; *q; q++)
                if (*q >= 'A' && *q <= 'Z') *q = (char)(*q - 'A' + 'a');
        }
    }
    if (strcmp(type, "image/jpeg") && strcmp(type, "image/png") && strcmp(type, "image/webp"))
        return http_reply_json(r, 415, json_pack("{s:{s:s,s:s}}", "error", "code", "unsupported_type", "message",
                                                 "Content-Type must be image/jpeg, image/png or image/webp"));
    if (r->body_len == 0) return http_reply_error(r, JC_ERR_INVALID, "the body is empty");
    if (r->body_len > PHOTO_MAX_BYTES)
        return http_reply_error(r, JC_ERR_TOOBIG, "a photo may have at most %u bytes", PHOTO_MAX_BYTES);
    const char *mime, *ext;
    if (photo_sniff(r->body, r->body_len, &mime, &ext) || strcmp(mime, type))
        return http_reply_json(r, 415, json_pack("{s:{s:s,s:s}}", "error", "code", "unsupported_type", "message",
                                                 "the bytes are not the image type the Content-Type names"));
    photo_row *p = calloc(1, sizeof *p);
    if (!p) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)r->body, r->body_len);
    jc_hex(h, sizeof h, p->id);
    snprintf(p->mime, sizeof p->mime, "%s", mime);
    snprintf(p->ext, sizeof p->ext, "%s", ext);
    p->size = (int64_t)r->body_len;
    p->added_by = r->user.id;
    p->at_ms = jc_now_ms();
    char path[600];
    photo_path(p, path, sizeof path);
    struct stat sb;
    jc_store_health space;
    store_health(http_store(r->server), &space);
    if (space.nospace) { /* the row would be refused: do not fill the disk further with the file */
        free(p);
        return http_reply_error(r, JC_ERR_NOSPACE, NULL);
    }
    if (stat(path, &sb) != 0 || sb.st_size != (off_t)r->body_len) {
        jc_err e = photo_write_durable(path, r->body, r->body_len);
        if (e) {
            jc_log(JC_LOG_ERROR, "photo: cannot write %s: %s", path, strerror(errno));
            free(p);
            return http_reply_error(r, e == JC_ERR_NOSPACE ? e : JC_ERR_IO, "the photo could not be stored");
        }
    }
    api_defer(r, run_upload, p, free);
}

static void send_photo(jc_req *r, int status, const photo_row *p, const char *body, size_t len) {
    char etag[80];
    snprintf(etag, sizeof etag, "\"%s\"", p->id);
    const http_kv h[] = {{"cache-control", "public, max-age=31536000, immutable"},
                         {"etag", etag},
                         {"content-security-policy", "default-src 'none'; sandbox"}};
    http_reply_with(r, status, p->mime, h, JC_ARRAY_LEN(h), body, len);
}

static void h_fetch(jc_req *r) {
    const char *id = r->params[0];
    photo_row p;
    if (!photo_id_valid(id) || photo_get(r->db, id, &p) != JC_OK)
        return http_reply_error(r, JC_ERR_NOTFOUND, "no such photo");
    const char *inm;
    size_t inm_n;
    char etag[80];
    snprintf(etag, sizeof etag, "\"%s\"", p.id);
    if (http_header(r, "if-none-match", &inm, &inm_n) && memmem(inm, inm_n, etag, strlen(etag)))
        return send_photo(r, 304, &p, "", 0);
    char path[600];
    photo_path(&p, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f) return http_reply_error(r, JC_ERR_NOTFOUND, "the photo file is missing");
    char *buf = p.size > 0 && p.size <= (int64_t)PHOTO_MAX_BYTES ? malloc((size_t)p.size) : NULL;
    size_t got = buf ? fread(buf, 1, (size_t)p.size, f) : 0;
    fclose(f);
    if (!buf || got != (size_t)p.size) {
        free(buf);
        return http_reply_error(r, JC_ERR_IO, "the photo could not be read");
    }
    send_photo(r, 200, &p, buf, got);
    free(buf);
}

typedef struct {
    int64_t case_id;
    char photo_id[65];
} link_args;

static jc_err run_link(jc_conn *w, jc_deferred *d) {
    link_args *a = d->data;
    jc_case k;
    jc_err e = case_get_visible(w, &d->user, a->case_id, &k);
    if (e) {
        snprintf(d->message, sizeof d->message, "no case %lld", (long long)a->case_id);
        return e;
    }
    photo_row p;
    e = photo_get(w, a->photo_id, &p);
    if (e == JC_ERR_NOTFOUND) {
        case_clear(&k);
        snprintf(d->message, sizeof d->message, "no photo %s; upload it first", a->photo_id);
        return JC_ERR_INVALID;
    }
    if (!e) e = photo_link(w, k.id, a->photo_id, d->user.id, jc_now_ms());
    if (e == JC_ERR_CONFLICT) snprintf(d->message, sizeof d->message, "the photo is already on this case");
    char note[160];
    reason_buf rb;
    reason_begin(&rb, note, sizeof note, "photo_add");
    reason_str(&rb, "photo", a->photo_id); /* which one, for the trace; not shown */
    reason_end(&rb);
    if (!e) e = case_audit_note(w, &d->user, &k, "photo_add", note);
    case_clear(&k);
    if (e) return e;
    char url[128];
    snprintf(url, sizeof url, "/api/v1/photos/%s", a->photo_id);
    d->status = 201;
    d->body = json_pack("{s:I,s:s,s:s}", "case_id", (json_int_t)a->case_id, "photo_id", a->photo_id, "url", url);
    return JC_OK;
}

static void h_link(jc_req *r) {
    link_args *a = calloc(1, sizeof *a);
    if (!a) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    const char *pid;
    if (api_param_id(r, 0, &a->case_id) || api_need_str(r, "photo_id", 64, &pid) < 0) return free(a);
    if (!photo_id_valid(pid)) {
        free(a);
        return http_reply_error(r, JC_ERR_INVALID, "photo_id must be the id an upload returned");
    }
    snprintf(a->photo_id, sizeof a->photo_id, "%s", pid);
    api_defer(r, run_link, a, free);
}

static int list_cb(const char *photo_id, int64_t by, int64_t at_ms, void *arg) {
    char ts[40], url[128];
    jc_fmt_utc(at_ms, ts, sizeof ts);
    snprintf(url, sizeof url, "/api/v1/photos/%s", photo_id);
    json_array_append_new(arg, json_pack("{s:s,s:s,s:I,s:s}", "id", photo_id, "url", url, "added_by",
                                         (json_int_t)by, "at", ts));
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
    if ((e = photo_case_each(r->db, id, list_cb, arr))) {
        json_decref(arr);
        return http_reply_error(r, e, "photos");
    }
    http_reply_json(r, 200, json_pack("{s:I,s:o}", "case_id", (json_int_t)id, "photos", arr));
}

/* Listed before the core table in api.c: "/cases/:id/photos" must win over
 * the core's "/cases/:id/:action". */
static const jc_route photo_routes[] = {
    {"POST", "/api/v1/photos", h_upload, ACCESS_USER, "*"},
    {"GET", "/api/v1/photos/:id", h_fetch, ACCESS_PUBLIC, NULL},
    {"POST", "/api/v1/cases/:id/photos", h_link, ACCESS_USER, "photo_id"},
    {"GET", "/api/v1/cases/:id/photos", h_list, ACCESS_USER, NULL},
};

static const jc_route_table photo_table = {photo_routes, JC_ARRAY_LEN(photo_routes)};

/* The photo module's row (src/modules.c). */
const jc_module module_photo = {
    .name = "photo",
    .schema = {[JC_STORE_SQLITE] = &schema_photo},
    .routes = {&photo_table},
    .options = {{"--photos", "DIR  directory of uploaded photos (default DIR/photos of --data-dir)", photo_set_dir}},
    .start = photo_start,
};
