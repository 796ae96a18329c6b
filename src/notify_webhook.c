/*
 * notify_webhook.c -- outbound channels of the notify module: the webhooks
 * an administrator registers (an SMS gateway, a 政务微信 bridge ...), their
 * API, and the sender thread that posts the outbox to them (docs/notify.md).
 *
 * Delivery: the producer (notify.c) queues one outbox row per (webhook,
 * notification) in the transaction that stores the notification.  The
 * sender wakes every half second, reads the due rows, POSTs each as JSON
 * with libcurl (10 s at most, no redirects, http/https only) and records the
 * attempt through the writer: 2xx -> sent; otherwise it is tried again
 * after notify_retry_delay_ms(attempts) (1 s, 2 s, 4 s ... at most 1 h), and
 * fails for good after NOTIFY_MAX_ATTEMPTS.  Delivery is at least once: a
 * crash between a POST and its record sends it again, with the same
 * X-Jiceng-Delivery id, so a receiver can drop the repeat.
 *
 * Signature: X-Jiceng-Signature: sha256=HEX(HMAC-SHA256(secret,
 * TIMESTAMP "." BODY)) with TIMESTAMP the X-Jiceng-Timestamp header (Unix
 * seconds): a receiver checks it and refuses old timestamps (replays).
 */
#include "notify.h"
#include "auth.h"
#include "case.h"
#include "http.h"
#include "reason.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the payload ------------------------------------------------------------------ */

/* The JSON body of delivery d of notification n (caller frees). */
static char *payload(jc_conn *c, const notify_delivery *d, const notify_row *n) {
    char at[40];
    jc_fmt_utc(n->at_ms, at, sizeof at);
    jc_case k;
    int have = n->case_id && store_case_get(c, n->case_id, &k) == JC_OK;
    char no[40] = "", text[400];
    if (have) case_number(&k, no, sizeof no);
    snprintf(text, sizeof text, "【基层】%s%s%s%s", notify_kind_text(n->kind), have ? "：" : "", no,
             have && k.title ? " " : "");
    json_t *o = json_pack("{s:I,s:I,s:s,s:s}", "delivery", (json_int_t)d->id, "notification", (json_int_t)n->id,
                          "kind", n->kind, "at", at);
    if (have) {
        /* the one-line text an SMS gateway sends: kind, number, title (cut) */
        size_t used = strlen(text);
        if (k.title) {
            size_t i = 0, chars = 0;
            while (k.title[i] && chars < 40 && used + i + 4 < sizeof text) {
                i++;
                while (((unsigned char)k.title[i] & 0xC0) == 0x80) i++;
                chars++;
            }
            memcpy(text + used, k.title, i);
            text[used + i] = 0;
        }
        json_t *kc = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)k.id, "no", no, "title",
                               k.title ? k.title : "", "state", state_name(k.state), "category", k.category,
                               "area", k.area);
        json_object_set_new(kc, "dept_id", k.dept_id ? json_integer(k.dept_id) : json_null());
        json_object_set_new(o, "case", kc);
        case_clear(&k);
    } else {
        json_object_set_new(o, "case", json_null());
    }
    json_object_set_new(o, "text", json_string(text));
    json_t *to = json_object();
    json_object_set_new(to, "user_id", n->user_id ? json_integer(n->user_id) : json_null());
    json_object_set_new(to, "dept_id", n->dept_id ? json_integer(n->dept_id) : json_null());
    json_object_set_new(to, "role", n->role[0] ? json_string(n->role) : json_null());
    json_object_set_new(to, "area", n->role[0] ? json_string(n->area) : json_null());
    json_object_set_new(o, "to", to);
    json_object_set_new(o, "detail", n->detail[0] ? json_string(n->detail) : json_null());
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* "sha256=" + hex HMAC-SHA256(secret, ts "." body) into out (80 bytes). */
static void sign(const char *secret, const char *ts, const char *body, char out[80]) {
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
    crypto_auth_hmacsha256_final(&st, mac);
    memcpy(out, "sha256=", 7);
    jc_hex(mac, sizeof mac, out + 7);
}

/* ---- the sender -------------------------------------------------------------------- */

static struct {
    jc_store *st;
    pthread_t tid;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
} snd = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static size_t discard(char *p, size_t size, size_t n, void *arg) {
    (void)p;
    (void)arg;
    return size * n; /* the receiver's answer is not kept */
}

/* POSTs body to url; *status gets the HTTP status (0 when none came),
 * err a reason when it failed.  Returns 1 on a 2xx answer. */
static int post(const char *url, const char *body, const char *delivery, const char *kind, const char *ts,
                const char *sig, int *status, char *err, size_t errsz) {
    *status = 0;
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errsz, "curl_easy_init failed");
        return 0;
    }
    char h1[96], h2[96], h3[64], h4[112];
    snprintf(h1, sizeof h1, "X-Jiceng-Delivery: %s", delivery);
    snprintf(h2, sizeof h2, "X-Jiceng-Event: %s", kind);
    snprintf(h3, sizeof h3, "X-Jiceng-Timestamp: %s", ts);
    snprintf(h4, sizeof h4, "X-Jiceng-Signature: %s", sig);
    struct curl_slist *hs = NULL;
    const char *hv[] = {"Content-Type: application/json; charset=utf-8", "User-Agent: jiceng/" JC_VERSION,
                        "Expect:", h1, h2, h3, h4};
    for (size_t i = 0; i < JC_ARRAY_LEN(hv); i++) {
        struct curl_slist *n = curl_slist_append(hs, hv[i]);
        if (!n) break;
        hs = n;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(hs);
    curl_easy_cleanup(c);
    *status = (int)code;
    if (rc != CURLE_OK) {
        snprintf(err, errsz, "%s", curl_easy_strerror(rc));
        return 0;
    }
    if (code < 200 || code > 299) {
        snprintf(err, errsz, "HTTP %ld", code);
        return 0;
    }
    err[0] = 0;
    return 1;
}

typedef struct {
    int64_t id;
    char state[12];
    int attempts, status;
    int64_t next_ms, sent_ms;
    char error[200];
} attempt;

static jc_err run_record(jc_conn *w, void *arg) {
    attempt *a = arg;
    return notify_db_outbox_result(w, a->id, a->state, a->attempts, a->next_ms, a->sent_ms, a->status,
                                   a->error[0] ? a->error : NULL);
}

typedef struct {
    notify_delivery d[16];
    int n;
} due_list;

static int take_due(const notify_delivery *d, void *arg) {
    due_list *l = arg;
    if (l->n < (int)JC_ARRAY_LEN(l->d)) l->d[l->n++] = *d;
    return l->n == (int)JC_ARRAY_LEN(l->d);
}

/* One delivery attempt of d, recorded through the writer. */
static void deliver(jc_conn *c, const notify_delivery *d) {
    notify_hook h;
    notify_row n;
    attempt a = {.id = d->id, .attempts = d->attempts + 1};
    if (notify_db_hook_get(c, d->hook_id, &h) || notify_db_get(c, d->notification_id, &n)) {
        snprintf(a.state, sizeof a.state, "failed");
        snprintf(a.error, sizeof a.error, "the webhook or the notification is gone");
    } else {
        char *body = payload(c, d, &n);
        char ts[24], did[24], sig[80];
        int64_t now = jc_real_ms();
        snprintf(ts, sizeof ts, "%lld", (long long)(now / 1000));
        snprintf(did, sizeof did, "%lld", (long long)d->id);
        int ok = 0;
        if (body) {
            sign(h.secret, ts, body, sig);
            ok = post(h.url, body, did, n.kind, ts, sig, &a.status, a.error, sizeof a.error);
        } else {
            snprintf(a.error, sizeof a.error, "out of memory");
        }
        free(body);
        now = jc_real_ms();
        if (ok) {
            snprintf(a.state, sizeof a.state, "sent");
            a.sent_ms = now;
            a.next_ms = d->next_ms;
        } else if (a.attempts >= NOTIFY_MAX_ATTEMPTS) {
            snprintf(a.state, sizeof a.state, "failed");
            a.next_ms = d->next_ms;
        } else {
            snprintf(a.state, sizeof a.state, "pending");
            a.next_ms = now + notify_retry_delay_ms(a.attempts);
        }
        if (!ok)
            jc_log(JC_LOG_INFO, "webhook %s: delivery %lld attempt %d: %s", h.name, (long long)d->id, a.attempts,
                   a.error);
    }
    jc_err e = store_exec(snd.st, run_record, &a);
    if (e) jc_log(JC_LOG_WARN, "webhook: recording delivery %lld: %s", (long long)d->id, jc_err_code(e));
}

static void *sender_main(void *arg) {
    (void)arg;
    jc_conn *c = NULL;
    if (store_conn_open(snd.st, &c)) {
        jc_log(JC_LOG_ERROR, "webhook sender: cannot open a read connection");
        return NULL;
    }
    pthread_mutex_lock(&snd.mu);
    while (!snd.stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 500 * 1000000L;
        if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&snd.cv, &snd.mu, &until);
        if (snd.stop) break;
        pthread_mutex_unlock(&snd.mu);
        due_list l = {.n = 0};
        /* one instance sends: the leader (notify_pg.c says why) */
        if (store_is_leader(snd.st) && notify_db_outbox_due(c, jc_real_ms(), (int)JC_ARRAY_LEN(l.d), take_due, &l) == JC_OK)
            for (int i = 0; i < l.n && !snd.stop; i++) deliver(c, &l.d[i]);
        pthread_mutex_lock(&snd.mu);
    }
    pthread_mutex_unlock(&snd.mu);
    store_conn_close(c);
    return NULL;
}

jc_err notify_start(jc_store *st) {
    if (snd.started) return JC_OK;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return JC_ERR_INTERNAL;
    snd.st = st;
    snd.stop = 0;
    if (pthread_create(&snd.tid, NULL, sender_main, NULL)) {
        curl_global_cleanup();
        return JC_ERR_INTERNAL;
    }
    snd.started = 1;
    return JC_OK;
}

void notify_stop(void) {
    if (!snd.started) return;
    pthread_mutex_lock(&snd.mu);
    snd.stop = 1;
    pthread_cond_signal(&snd.cv);
    pthread_mutex_unlock(&snd.mu);
    pthread_join(snd.tid, NULL);
    curl_global_cleanup();
    snd.started = 0;
}

/* ---- the API (administrators) -------------------------------------------------------- */

static json_t *hook_json(const notify_hook *h, int counts) {
    char at[40];
    jc_fmt_utc(h->created_ms, at, sizeof at);
    json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:b,s:s,s:s}", "id", (json_int_t)h->id, "name", h->name, "url",
                          h->url, "kinds", h->kinds, "area", h->area, "active", h->active, "created_at", at,
                          "created_by", h->created_by);
    json_object_set_new(o, "dept_id", h->dept_id ? json_integer(h->dept_id) : json_null());
    if (counts)
        json_object_set_new(o, "deliveries", json_pack("{s:I,s:I,s:I}", "pending", (json_int_t)h->pending, "sent",
                                                        (json_int_t)h->sent, "failed", (json_int_t)h->failed));
    return o;
}

static int list_cb(const notify_hook *h, void *arg) {
    json_array_append_new(arg, hook_json(h, 1));
    return 0;
}

static void h_hooks(jc_req *r) {
    json_t *arr = json_array();
    jc_err e = notify_db_hook_each(r->db, 0, list_cb, arr);
    if (e) {
        json_decref(arr);
        return http_reply_error(r, e, "webhooks");
    }
    http_reply_json(r, 200, json_pack("{s:o}", "webhooks", arr));
}

/* A webhook's address: http(s) only, as curl reads it (the sender uses
 * curl), without a user name or password -- the URL is listed to admins and
 * written into the audit -- and without spaces or control characters.
 * Private addresses are allowed: SMS gateways live on internal networks
 * (docs/security.md: pointing webhooks anywhere is an admin's power).
 * NULL when url is fine, else why not. */
static const char *hook_url_bad(const char *url) {
    if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) return "url must be an http:// or https:// address";
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f) return "url must not contain spaces or control characters";
    const char *host = strstr(url, "://") + 3; /* curl reads "https:///x" as the host x */
    if (!*host || strchr("/?#", *host)) return "url must name a host";
    CURLU *u = curl_url();
    if (!u) return "out of memory";
    const char *why = NULL;
    char *part = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) why = "url is not a valid http(s) address";
    else if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
             curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK ||
             curl_url_get(u, CURLUPART_OPTIONS, &part, 0) == CURLUE_OK)
        why = "url must not carry a user name or password: the receiver checks the signature made with the secret";
    curl_free(part);
    curl_url_cleanup(u);
    return why;
}

/* Validates the fields a webhook may take from the body into h; -1 after
 * answering 400. */
static int hook_fields(jc_req *r, notify_hook *h, int create) {
    const char *url = NULL, *kinds = NULL, *area = NULL;
    int64_t dept = -1;
    if ((create ? api_need_str(r, "url", 500, &url) : api_get_str(r, "url", 500, &url)) < 0 ||
        api_get_str(r, "kinds", 250, &kinds) < 0 || api_get_str(r, "area", 23, &area) < 0 ||
        api_get_int(r, "dept_id", 0, INT64_MAX, &dept) < 0)
        return -1;
    if (url) {
        const char *why = strlen(url) >= sizeof h->url ? "url is too long" : hook_url_bad(url);
        if (why) {
            http_reply_error(r, JC_ERR_INVALID, "%s", why);
            return -1;
        }
        snprintf(h->url, sizeof h->url, "%s", url);
    }
    if (kinds) {
        for (const char *p = kinds; *p;) {
            size_t l = strcspn(p, ",");
            char k[32];
            if (l == 0 || l >= sizeof k) {
                http_reply_error(r, JC_ERR_INVALID, "kinds must be a comma-separated list of notification kinds");
                return -1;
            }
            memcpy(k, p, l);
            k[l] = 0;
            if (!notify_kind_known(k)) {
                http_reply_error(r, JC_ERR_INVALID, "unknown notification kind '%s'", k);
                return -1;
            }
            p += l + (p[l] == ',');
        }
        snprintf(h->kinds, sizeof h->kinds, "%s", kinds);
    }
    if (area) {
        for (const char *p = area; *p; p++)
            if (*p < '0' || *p > '9') {
                http_reply_error(r, JC_ERR_INVALID, "area must be an area code");
                return -1;
            }
        snprintf(h->area, sizeof h->area, "%s", area);
    }
    if (dept >= 0) h->dept_id = dept;
    return 0;
}

typedef struct {
    notify_hook h;
    int given;
} hook_job;

static jc_err check_dept(jc_conn *w, jc_deferred *d, int64_t dept_id) {
    jc_dept dd;
    if (!dept_id) return JC_OK;
    jc_err e = store_dept_get(w, dept_id, &dd);
    if (e == JC_ERR_NOTFOUND) {
        snprintf(d->message, sizeof d->message, "no department %lld", (long long)dept_id);
        return JC_ERR_INVALID;
    }
    return e;
}

/* The audit reason of a webhook's change as a code (docs/audit.md), in a
 * buffer of the writer thread's. */
static const char *hook_reason(const notify_hook *h, const char *code) {
    static _Thread_local char note[1200];
    reason_buf b;
    reason_begin(&b, note, sizeof note, code);
    reason_str(&b, "name", h->name);
    reason_str(&b, "url", h->url);
    reason_int(&b, "active", h->active ? 1 : 0);
    return reason_end(&b);
}

static jc_err run_hook_add(jc_conn *w, jc_deferred *d) {
    hook_job *j = d->data;
    jc_err e = check_dept(w, d, j->h.dept_id);
    if (e) return e;
    e = notify_db_hook_insert(w, &j->h);
    if (e == JC_ERR_CONFLICT) snprintf(d->message, sizeof d->message, "a webhook named %s exists", j->h.name);
    if (e) return e;
    if ((e = auth_audit(w, &d->user, "webhook_add", hook_reason(&j->h, "webhook_add")))) return e;
    d->status = 201;
    d->body = hook_json(&j->h, 0);
    /* the secret is shown once, to whoever created the hook */
    json_object_set_new(d->body, "secret", json_string(j->h.secret));
    return JC_OK;
}

static void free_job(void *p) {
    if (p) sodium_memzero(p, sizeof(hook_job));
    free(p);
}

static void h_hook_add(jc_req *r) {
    const char *name, *secret = NULL;
    if (api_need_str(r, "name", 60, &name) < 0 || api_get_str(r, "secret", 128, &secret) < 0) return;
    if (strlen(name) >= 64) return http_reply_error(r, JC_ERR_INVALID, "name is too long");
    if (secret && (strlen(secret) < 16 || strlen(secret) > 128))
        return http_reply_error(r, JC_ERR_INVALID, "secret must have 16 to 128 characters");
    hook_job *j = calloc(1, sizeof *j);
    if (!j) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    if (hook_fields(r, &j->h, 1) < 0) return free_job(j);
    snprintf(j->h.name, sizeof j->h.name, "%s", name);
    if (secret) {
        snprintf(j->h.secret, sizeof j->h.secret, "%s", secret);
    } else {
        unsigned char raw[32];
        randombytes_buf(raw, sizeof raw);
        jc_hex(raw, sizeof raw, j->h.secret);
        sodium_memzero(raw, sizeof raw);
    }
    j->h.active = 1;
    j->h.created_ms = jc_real_ms();
    snprintf(j->h.created_by, sizeof j->h.created_by, "%s", r->user.name);
    api_defer(r, run_hook_add, j, free_job);
}

static jc_err run_hook_update(jc_conn *w, jc_deferred *d) {
    hook_job *j = d->data; /* j->h.id and the fields given; the rest from the row */
    notify_hook cur;
    jc_err e = notify_db_hook_get(w, j->h.id, &cur);
    if (e == JC_ERR_NOTFOUND) snprintf(d->message, sizeof d->message, "no webhook %lld", (long long)j->h.id);
    if (e) return e;
    if (j->h.url[0]) snprintf(cur.url, sizeof cur.url, "%s", j->h.url);
    if (j->given & 1) snprintf(cur.kinds, sizeof cur.kinds, "%s", j->h.kinds);
    if (j->given & 2) snprintf(cur.area, sizeof cur.area, "%s", j->h.area);
    if (j->given & 4) cur.dept_id = j->h.dept_id;
    if (j->given & 8) cur.active = j->h.active;
    if ((e = check_dept(w, d, cur.dept_id)) || (e = notify_db_hook_update(w, &cur))) return e;
    if ((e = auth_audit(w, &d->user, "webhook_update", hook_reason(&cur, "webhook_update")))) return e;
    d->status = 200;
    d->body = hook_json(&cur, 0);
    return JC_OK;
}

static void h_hook_update(jc_req *r) {
    int64_t id;
    if (jc_parse_i64(r->params[0], &id) || id < 1) return http_reply_error(r, JC_ERR_NOTFOUND, "no such webhook");
    hook_job *j = calloc(1, sizeof *j);
    if (!j) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    j->h.id = id;
    if (hook_fields(r, &j->h, 0) < 0) return free_job(j);
    /* which optional fields were given (an empty kinds or area clears it) */
    if (json_object_get(r->json, "kinds")) j->given |= 1;
    if (json_object_get(r->json, "area")) j->given |= 2;
    if (json_object_get(r->json, "dept_id")) j->given |= 4;
    json_t *act = json_object_get(r->json, "active");
    if (act) {
        if (!json_is_boolean(act)) {
            free_job(j);
            return http_reply_error(r, JC_ERR_INVALID, "field 'active' must be true or false");
        }
        j->h.active = json_is_true(act);
        j->given |= 8;
    }
    api_defer(r, run_hook_update, j, free_job);
}

static int delivery_cb(const notify_delivery *d, void *arg) {
    char next[40], created[40], sent[40];
    jc_fmt_utc(d->next_ms, next, sizeof next);
    jc_fmt_utc(d->created_ms, created, sizeof created);
    jc_fmt_utc(d->sent_ms, sent, sizeof sent);
    json_t *o = json_pack("{s:I,s:I,s:s,s:s,s:i,s:s}", "id", (json_int_t)d->id, "notification",
                          (json_int_t)d->notification_id, "kind", d->kind, "state", d->state, "attempts",
                          d->attempts, "created_at", created);
    json_object_set_new(o, "next_at", !strcmp(d->state, "pending") ? json_string(next) : json_null());
    json_object_set_new(o, "sent_at", d->sent_ms ? json_string(sent) : json_null());
    json_object_set_new(o, "last_status", d->last_status ? json_integer(d->last_status) : json_null());
    json_object_set_new(o, "last_error", d->last_error[0] ? json_string(d->last_error) : json_null());
    json_array_append_new(arg, o);
    return 0;
}

static void h_deliveries(jc_req *r) {
    int64_t id, before = 0, limit = 50;
    char state[16] = "", tmp[32];
    if (jc_parse_i64(r->params[0], &id) || id < 1) return http_reply_error(r, JC_ERR_NOTFOUND, "no such webhook");
    if (http_query(r, "state", state, sizeof state) && strcmp(state, "pending") && strcmp(state, "sent") &&
        strcmp(state, "failed"))
        return http_reply_error(r, JC_ERR_INVALID, "state must be pending, sent or failed");
    if (http_query(r, "before", tmp, sizeof tmp) && (jc_parse_i64(tmp, &before) || before < 1))
        return http_reply_error(r, JC_ERR_INVALID, "before must be a delivery id");
    if (http_query(r, "limit", tmp, sizeof tmp) && (jc_parse_i64(tmp, &limit) || limit < 1 || limit > 500))
        return http_reply_error(r, JC_ERR_INVALID, "limit must be 1..500");
    notify_hook h;
    jc_err e = notify_db_hook_get(r->db, id, &h);
    if (e) return http_reply_error(r, e, "no webhook %lld", (long long)id);
    json_t *arr = json_array();
    if ((e = notify_db_outbox_each(r->db, id, state[0] ? state : NULL, before, (int)limit, delivery_cb, arr))) {
        json_decref(arr);
        return http_reply_error(r, e, "deliveries");
    }
    size_t n = json_array_size(arr);
    json_t *last = n ? json_object_get(json_array_get(arr, n - 1), "id") : NULL;
    json_t *o = json_pack("{s:I,s:o}", "webhook", (json_int_t)id, "deliveries", arr);
    json_object_set_new(o, "next_before", n == (size_t)limit && last ? json_copy(last) : json_null());
    http_reply_json(r, 200, o);
}

#define ADMIN ROLE_BIT(ROLE_ADMIN)

static const jc_route webhook_routes[] = {
    {"GET", "/api/v1/webhooks", h_hooks, ADMIN, NULL},
    {"POST", "/api/v1/webhooks", h_hook_add, ADMIN, "name,url,secret,kinds,area,dept_id"},
    {"PUT", "/api/v1/webhooks/:id", h_hook_update, ADMIN, "url,kinds,area,dept_id,active"},
    {"GET", "/api/v1/webhooks/:id/deliveries", h_deliveries, ADMIN, NULL},
};

const jc_route_table notify__webhook_routes = {webhook_routes, JC_ARRAY_LEN(webhook_routes)};
