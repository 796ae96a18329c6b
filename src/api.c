/*
 * api.c -- the JSON API under /api/v1: the route table and its handlers.
 *
 * How to add a route: write `static void h_foo(jc_req *r)`, add one row to
 * `routes` (method, pattern with :params, handler, who may call it, the JSON
 * fields the body may carry or NULL for no body), and document it in
 * docs/api.md with a curl example.  Every handler validates its input and
 * answers 4xx with {"error":{"code","message"}} before changing anything.
 */
#include "http.h"
#include "audit.h"
#include "auth.h"
#include "auth_store.h"
#include "case.h"
#include "cli.h"
#include "clock.h"
#include "dispatch.h"
#include "geo.h"
#include "reason.h"
#include "http_guard.h"
#include "intake.h"
#include "module.h"
#include "websession.h"

#include <jansson.h>
#include <sodium.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define R(x) ROLE_BIT(ROLE_##x)


/* ---- helpers ------------------------------------------------------------ */

json_t *api_user_json(const jc_user *u) {
    json_t *o = json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)u->id, "name", u->name, "display",
                          u->display[0] ? u->display : u->name, "role", role_name(u->role));
    json_object_set_new(o, "area", u->area[0] ? json_string(u->area) : json_null());
    json_object_set_new(o, "dept_id", u->dept_id ? json_integer(u->dept_id) : json_null());
    json_object_set_new(o, "disabled", json_boolean(u->disabled));
    return o;
}

/* ---- sessions ------------------------------------------------------------- */

typedef struct {
    char token_hash[65];
    int64_t user_id, now, expires;
    char pw_hash[160];     /* the stored hash (or a dummy for unknown users) */
    char password[256];
    int known;
    int failed;            /* set by prepare_login: the writer counts it */
    auth_keys keys;        /* login throttling: the account as typed, the address */
    char cookie[160];      /* Set-Cookie for a browser login ("cookie": true) */
    json_t *body;          /* its reply, sent with the cookie by login_render */
} session_data;

static void session_free(void *p) {
    session_data *s = p;
    if (s) auth_attempt_end(&s->keys);
    if (s) sodium_memzero(s->password, sizeof s->password);
    if (s) json_decref(s->body);
    free(s);
}

/* 429 with Retry-After for a throttled login. */
static void reply_throttled(jc_req *r, int64_t wait_ms, int locked) {
    char secs[24];
    int64_t s = (wait_ms + 999) / 1000;
    if (s < 1) s = 1;
    snprintf(secs, sizeof secs, "%lld", (long long)s);
    http_reply_header(r, "retry-after", secs);
    http_reply_json(r, 429, json_pack("{s:{s:s,s:s,s:I}}", "error", "code", "too_many_requests", "message",
                                      locked ? "too many failed logins: locked for now; an administrator can lift it"
                                             : "too many failed logins: wait before the next attempt",
                                      "retry_after", (json_int_t)s));
}

/* Password checks of the account name from r's client (a login, a change
 * of one's own password) are throttled alike, before any hashing: 0 with
 * *keys filled and an attempt begun (auth_attempt_end ends it), or -1 after
 * answering 429. */
static int throttle_begin(jc_req *r, const char *name, auth_keys *keys) {
    char addr[64];
    guard_client_ip(r->h2o_req, addr, sizeof addr);
    auth_throttle_keys(name, addr, keys);
    int locked;
    int64_t wait = auth_throttle_wait(r->db, keys, jc_real_ms(), &locked);
    if (wait > 0) return reply_throttled(r, wait, locked), -1;
    if (!auth_attempt_begin(keys)) return reply_throttled(r, 1000, 0), -1;
    return 0;
}

/* A browser login: the cookie goes out only with a committed session. */
static json_t *login_render(jc_deferred *d) {
    session_data *s = d->data;
    http_deferred_header(d, "set-cookie", s->cookie);
    json_t *b = s->body;
    s->body = NULL;
    return b;
}

/* On a worker thread: argon2id takes tens of milliseconds by design.  A
 * wrong password goes on to the writer, which counts it (run_login). */
static jc_err prepare_login(jc_deferred *d) {
    session_data *s = d->data;
    int ok = auth_check_password(s->pw_hash, s->password);
    sodium_memzero(s->password, sizeof s->password);
    s->failed = !ok || !s->known;
    return JC_OK;
}

static jc_err run_login(jc_conn *w, jc_deferred *d) {
    session_data *s = d->data;
    jc_err e;
    if (s->failed) {
        /* committed as a success: the 401 is the answer, the count stays;
         * the next attempt's wait counts from this answer, not from this
         * attempt's start (hashing may take long on a loaded machine) */
        if ((e = auth_throttle_fail(w, &s->keys, jc_real_ms()))) return e;
        json_decref(d->body);
        json_decref(s->body);
        s->body = NULL;
        d->render = NULL;
        d->status = 401;
        d->body = json_pack("{s:{s:s,s:s}}", "error", "code", jc_err_code(JC_ERR_AUTH), "message", "wrong name or password");
        return JC_OK;
    }
    int locked;
    int64_t wait = auth_throttle_wait(w, &s->keys, s->now, &locked);
    if (locked && wait > 0) {
        /* locked while this attempt was under way: a lock holds */
        snprintf(d->message, sizeof d->message, "too many failed logins: locked for now; an administrator can lift it");
        return JC_ERR_DENIED;
    }
    if ((e = store_session_insert(w, s->token_hash, s->user_id, s->now, s->expires)) ||
        (e = auth_throttle_clear(w, &s->keys)))
        snprintf(d->message, sizeof d->message, "could not create the session");
    return e;
}

static void h_login(jc_req *r) {
    const char *name, *pw;
    if (api_need_str(r, "name", 63, &name) < 0 || api_need_str(r, "password", 255, &pw) < 0) return;
    int cookie = websession_wants_cookie(r);
    if (cookie < 0) return;
    /* throttled per account name and per address before any hashing */
    auth_keys keys;
    if (throttle_begin(r, name, &keys)) return;
    jc_user u;
    jc_err e = store_user_by_name(r->db, name, &u);
    if (e && e != JC_ERR_NOTFOUND) return auth_attempt_end(&keys), http_reply_error(r, e, "login failed");
    /* Check a password even for unknown users so timing does not tell. */
    static const char dummy[] =
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
        "I8nRB3LsCZ0N0w/3FI7qjWmjFg7rGz6W1nF6Sbl7wA8";
    char token[65];
    session_data *s = calloc(1, sizeof *s);
    if (!s) return auth_attempt_end(&keys), http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    s->keys = keys; /* session_free ends the attempt */
    s->known = e == JC_OK && !u.disabled;
    snprintf(s->pw_hash, sizeof s->pw_hash, "%s", s->known ? u.pw_hash : dummy);
    snprintf(s->password, sizeof s->password, "%s", pw);
    auth_new_token(token, s->token_hash);
    s->user_id = s->known ? u.id : 0;
    s->now = jc_real_ms(); /* sessions live in real time, also in a simulation */
    s->expires = s->now + AUTH_SESSION_MS;
    char exp[40];
    jc_fmt_utc(s->expires, exp, sizeof exp);
    jc_deferred *d = http_deferred_new(r);
    if (!d) {
        session_free(s);
        return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    }
    d->prepare = prepare_login;
    d->run = run_login;
    d->essential = 1; /* logging in works on a full disk too */
    d->data = s;
    d->free_data = session_free;
    d->status = 200;
    if (s->known)
        d->body = json_pack("{s:s,s:s,s:o}", "token", token, "expires_at", exp, "user", api_user_json(&u));
    if (cookie && d->body && websession_cookie_value(r, token, s->cookie, sizeof s->cookie) == 0) {
        char csrf[65];
        websession_csrf(s->token_hash, csrf);
        json_object_set_new(d->body, "csrf", json_string(csrf));
        s->body = d->body; /* sent by login_render, after the commit, with the cookie */
        d->body = NULL;
        d->render = login_render;
    }
    http_defer(r, d);
}

static json_t *sessions_ended(jc_deferred *d);

static json_t *logout_render(jc_deferred *d) {
    http_deferred_header(d, "set-cookie", websession_clear_cookie);
    return sessions_ended(d);
}

static jc_err run_logout(jc_conn *w, jc_deferred *d) {
    d->status = 200;
    return store_session_delete(w, d->data);
}

static void h_logout(jc_req *r) {
    char *th = jc_strdup(r->token_hash);
    jc_deferred *d = th ? http_deferred_new(r) : NULL;
    if (!d) {
        free(th);
        return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    }
    d->run = run_logout;
    d->essential = 1;
    d->render = logout_render; /* after the commit: clear the cookie, forget cached sessions */
    d->data = th;
    d->free_data = free;
    http_defer(r, d);
}

/* Public settings the browser needs before login. */
static void h_config(jc_req *r) {
    const char *t = http_tile_url();
    json_t *o = json_pack("{s:s,s:s}", "version", JC_VERSION, "timezone", "Asia/Shanghai");
    json_object_set_new(o, "tile_url", t[0] ? json_string(t) : json_null());
    http_reply_json(r, 200, o);
}

static void h_me(jc_req *r) { http_reply_json(r, 200, api_user_json(&r->user)); }

typedef struct {
    char stored[160], old_pw[256], new_pw[256], new_hash[160];
    auth_keys keys; /* a wrong old password counts as a failed login */
    int failed;     /* set by prepare_password: the writer counts it */
} pw_data;

static void pw_free(void *p) {
    if (p) auth_attempt_end(&((pw_data *)p)->keys);
    if (p) sodium_memzero(p, sizeof(pw_data));
    free(p);
}

static jc_err prepare_password(jc_deferred *d) {
    pw_data *p = d->data;
    p->failed = !auth_check_password(p->stored, p->old_pw);
    jc_err e = p->failed ? JC_OK : auth_hash_password(p->new_pw, p->new_hash);
    sodium_memzero(p->old_pw, sizeof p->old_pw);
    sodium_memzero(p->new_pw, sizeof p->new_pw);
    return e;
}

static jc_err run_set_password(jc_conn *w, jc_deferred *d) {
    pw_data *p = d->data;
    jc_err e;
    if (p->failed) {
        /* committed: the 403 is the answer, the failure is counted as a
         * login's (an own session guessing its password meets the same limits) */
        if ((e = auth_throttle_fail(w, &p->keys, jc_real_ms()))) return e;
        d->render = NULL;
        d->status = 403;
        d->body = json_pack("{s:{s:s,s:s}}", "error", "code", jc_err_code(JC_ERR_DENIED), "message",
                            "the old password is wrong");
        return JC_OK;
    }
    int locked;
    if (auth_throttle_wait(w, &p->keys, jc_real_ms(), &locked) > 0 && locked) {
        snprintf(d->message, sizeof d->message, "too many failed logins: locked for now; an administrator can lift it");
        return JC_ERR_DENIED;
    }
    char note[300];
    if ((e = auth_throttle_clear(w, &p->keys)) || (e = store_user_set_password(w, d->user.id, p->new_hash)) ||
        (e = store_sessions_delete_user(w, d->user.id)) ||
        (e = auth_audit(w, &d->user, "user_passwd", auth_user_reason(note, sizeof note, "user_passwd_own", &d->user))))
        return e;
    return JC_OK; /* sessions_ended renders the answer after the commit */
}

static void h_me_password(jc_req *r) {
    const char *old, *nw;
    if (api_need_str(r, "old_password", 255, &old) < 0 || api_need_str(r, "new_password", 255, &nw) < 0) return;
    char why[160];
    if (auth_password_ok(nw, r->user.name, why, sizeof why)) return http_reply_error(r, JC_ERR_INVALID, "%s", why);
    auth_keys keys;
    if (throttle_begin(r, r->user.name, &keys)) return;
    pw_data *p = calloc(1, sizeof *p);
    jc_deferred *d = p ? http_deferred_new(r) : NULL;
    if (!d) {
        auth_attempt_end(&keys);
        free(p);
        return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    }
    p->keys = keys;
    snprintf(p->stored, sizeof p->stored, "%s", r->user.pw_hash);
    snprintf(p->old_pw, sizeof p->old_pw, "%s", old);
    snprintf(p->new_pw, sizeof p->new_pw, "%s", nw);
    d->prepare = prepare_password;
    d->run = run_set_password;
    d->render = sessions_ended;
    d->data = p;
    d->free_data = pw_free;
    http_defer(r, d);
}

/* ---- cases -------------------------------------------------------------- */

/* A report being created: the case (first: render_case reads d->data as
 * the case) and the report as submitted, from which a second run starts. */
typedef struct {
    jc_case k;
    intake_report rp;
    char *title, *body, *address, *extra; /* rp's texts */
    char category[INTAKE_CATEGORY_MAX + 1], area[INTAKE_AREA_MAX + 1], phone[INTAKE_PHONE_MAX + 1];
} create_data;

static void free_create(void *p) {
    create_data *c = p;
    case_clear(&c->k);
    free(c->title);
    free(c->body);
    free(c->address);
    free(c->extra);
    free(c);
}

/* The report through the one intake (src/intake.h); run again after a
 * rollback, it starts over from the report as submitted. */
static jc_err run_case_create(jc_conn *w, jc_deferred *d) {
    create_data *c = d->data;
    case_clear(&c->k);
    d->status = 0;
    d->message[0] = 0;
    c->rp.payload_hash = d->payload_hash;
    intake_result res;
    jc_err e = case_report(w, &d->user, &c->rp, &c->k, &res);
    if (e) {
        snprintf(d->message, sizeof d->message, "%s", res.message);
        return e;
    }
    d->status = 201;
    return JC_OK;
}

static json_t *render_case(jc_deferred *d) { return case_to_json(d->data, &d->user, 0); }

/* The case as text, without a jansson tree (the answer to every report). */
static jc_err render_case_raw(jc_deferred *d) {
    jc_buf b;
    jc_buf_init(&b, 0);
    jc_err e = case_json_text(&b, d->data, &d->user, 0);
    if (e) {
        jc_buf_free(&b);
        return e;
    }
    d->raw_len = b.len;
    d->raw = jc_buf_take(&b);
    snprintf(d->raw_type, sizeof d->raw_type, "application/json; charset=utf-8");
    return JC_OK;
}


static void h_case_create(jc_req *r) {
    const char *title, *body = "", *category, *area = NULL, *address = NULL, *phone = NULL,
                       *source = NULL, *crs_name = NULL;
    double lon = 0, lat = 0;
    int has_lon, has_lat;
    if (api_need_str(r, "title", INTAKE_TITLE_MAX, &title) < 0 || api_get_str(r, "body", INTAKE_BODY_MAX, &body) < 0 ||
        api_need_str(r, "category", INTAKE_CATEGORY_MAX, &category) < 0 ||
        api_get_str(r, "area", INTAKE_AREA_MAX, &area) < 0 || api_get_str(r, "address", INTAKE_ADDRESS_MAX, &address) < 0 ||
        api_get_str(r, "phone", INTAKE_PHONE_MAX, &phone) < 0 || api_get_str(r, "source", 15, &source) < 0 ||
        api_get_str(r, "crs", 10, &crs_name) < 0 || (has_lon = api_get_num(r, "lon", -180, 180, &lon)) < 0 ||
        (has_lat = api_get_num(r, "lat", -90, 90, &lat)) < 0)
        return;
    if (has_lon != has_lat) return http_reply_error(r, JC_ERR_INVALID, "give both lon and lat");
    /* where a report came from, and who may say so: the intake's channels
     * (docs/api.md); a grid worker's report is a patrol finding */
    int ch = source ? intake_channel_parse(source) : r->user.role == ROLE_GRID_WORKER ? INTAKE_PATROL : INTAKE_WEB;
    if (ch < 0) return http_reply_error(r, JC_ERR_INVALID, "unknown source '%s'", source);
    geo_crs crs = GEO_WGS84;
    if (crs_name && geo_crs_parse(crs_name, &crs) != JC_OK)
        return http_reply_error(r, JC_ERR_INVALID, "crs must be wgs84, gcj02 or bd09");
    if (has_lon && geo_to_wgs84(crs, lon, lat, &lon, &lat) != JC_OK)
        return http_reply_error(r, JC_ERR_INVALID, "bad coordinates");
    intake_report rp = {.channel = (intake_channel)ch, .named = source != NULL, .title = title, .body = body,
                        .address = address, .phone = phone, .category = category, .area = area,
                        .has_point = has_lon, .lon = lon, .lat = lat, .payload_hash = r->payload_hash};
    /* the intake's rules, here too: a bad report is answered without a writer job */
    intake_result res;
    char *extra = NULL;
    if (intake_check(&r->user, &rp, &res) ||
        intake_attributes(r->db, category, json_object_get(r->json, "attributes"), &extra, &res))
        return http_reply_error(r, res.err, "%s", res.message);
    create_data *cd = calloc(1, sizeof *cd);
    if (!cd) return free(extra), http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    cd->extra = extra;
    cd->title = jc_strdup(title);
    cd->body = jc_strdup(body);
    cd->address = address && *address ? jc_strdup(address) : NULL;
    snprintf(cd->category, sizeof cd->category, "%s", category);
    snprintf(cd->area, sizeof cd->area, "%s", area ? area : "");
    snprintf(cd->phone, sizeof cd->phone, "%s", phone ? phone : "");
    rp.title = cd->title, rp.body = cd->body, rp.address = cd->address, rp.extra = cd->extra;
    rp.category = cd->category, rp.area = cd->area, rp.phone = cd->phone;
    rp.payload_hash = NULL; /* d->payload_hash, set by the writer job */
    cd->rp = rp;
    jc_deferred *d = NULL;
    if (!cd->title || !cd->body || (address && *address && !cd->address) || !(d = http_deferred_new(r))) {
        free_create(cd);
        return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    }
    d->run = run_case_create;
    d->rerun = 1;
    d->render = render_case;
    d->render_raw = render_case_raw;
    d->data = cd;
    d->free_data = free_create;
    http_defer(r, d);
}


/* The timeline of a case; staff actors carry their display name (a
 * person reads "街道指挥中心", not the login "dispatcher"), looked up once
 * per actor; residents and the platform's actors carry none. */
typedef struct {
    jc_conn *db;
    json_t *tl;
    int64_t ids[32];
    char names[32][64];
    int n;
} timeline_ctx;

static const char *display_of(timeline_ctx *tc, int64_t id) {
    for (int i = 0; i < tc->n; i++)
        if (tc->ids[i] == id) return tc->names[i][0] ? tc->names[i] : NULL;
    jc_user u;
    if (store_user_get(tc->db, id, &u) != JC_OK) return NULL;
    int i = tc->n < (int)JC_ARRAY_LEN(tc->ids) ? tc->n++ : (int)JC_ARRAY_LEN(tc->ids) - 1; /* full: reuse the last */
    tc->ids[i] = id;
    snprintf(tc->names[i], sizeof tc->names[0], "%s", u.display);
    return tc->names[i][0] ? tc->names[i] : NULL;
}

static int timeline_cb(const jc_audit *e, void *arg) {
    timeline_ctx *tc = arg;
    char ts[40];
    jc_fmt_utc(e->at_ms, ts, sizeof ts);
    json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "seq", (json_int_t)e->seq,
                          "at", ts, "actor", e->actor, "role", e->role, "action", e->action, "from",
                          e->from_state, "to", e->to_state, "payload_hash", e->payload_hash,
                          "prev_hash", e->prev_hash, "hash", e->hash);
    json_object_set_new(o, "reason", e->reason ? json_string(e->reason) : json_null());
    json_object_set_new(o, "state_hash", json_string(e->state_hash));
    const char *disp = e->actor_id > 0 && strcmp(e->role, "resident") && strcmp(e->role, "system")
                           ? display_of(tc, e->actor_id) : NULL;
    if (disp) json_object_set_new(o, "actor_display", json_string(disp));
    json_array_append_new(tc->tl, o);
    return 0;
}

static void h_case_get(jc_req *r) {
    int64_t id;
    if (api_param_id(r, 0, &id)) return;
    jc_case k;
    jc_err e = case_get_visible(r->db, &r->user, id, &k);
    if (e) return http_reply_error(r, e, "no case %lld", (long long)id);
    json_t *o = case_to_json(&k, &r->user, 0);
    case_clear(&k);
    json_t *tl = json_array();
    timeline_ctx tc = {.db = r->db, .tl = tl};
    if ((e = store_audit_each(r->db, id, timeline_cb, &tc))) {
        json_decref(tl);
        json_decref(o);
        return http_reply_error(r, e, "timeline");
    }
    json_object_set_new(o, "timeline", tl);
    if ((e = dispatch_case_json(r->db, id, o))) {
        json_decref(o);
        return http_reply_error(r, e, "routing details");
    }
    jc_verify_report vr;
    if (audit_verify_case(r->db, id, &vr) == JC_OK)
        json_object_set_new(o, "trace", json_pack("{s:b,s:s}", "verified", vr.ok, "message",
                                                  vr.ok ? "trace verified" : vr.message));
    http_reply_json(r, 200, o);
}

typedef struct {
    jc_case k; /* first: the row after the action, rendered by render_case */
    int64_t id;
    jc_action action;
    jc_action_args args;
    char reason[1024], note[2048], rating[16];
} act_data;

static void free_act(void *p) {
    act_data *a = p;
    case_clear(&a->k);
    free(a);
}

static jc_err run_case_act(jc_conn *w, jc_deferred *d) {
    act_data *a = d->data;
    jc_case_err why = {{0}};
    a->args.payload_hash = d->payload_hash;
    jc_err e = case_act(w, &d->user, a->id, a->action, &a->args, &a->k, &why);
    if (e) {
        snprintf(d->message, sizeof d->message, "%s", why.message);
        return e;
    }
    /* the answer is written on the serving thread, after the commit */
    d->render = render_case;
    d->render_raw = render_case_raw;
    return JC_OK;
}

static void h_case_act(jc_req *r) {
    int64_t id;
    if (api_param_id(r, 0, &id)) return;
    int a = case_action_parse(r->params[1]);
    if (a < 0) return http_reply_error(r, JC_ERR_NOTFOUND, "unknown action '%s'", r->params[1]);
    if (!case_role_may(r->user.role, (jc_action)a))
        return http_reply_error(r, JC_ERR_DENIED, "role %s may not %s", role_name(r->user.role),
                                r->params[1]);
    act_data *ad = calloc(1, sizeof *ad);
    if (!ad) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    ad->id = id;
    ad->action = (jc_action)a;
    const char *reason = NULL, *note = NULL, *rating = NULL;
    int64_t dept = 0, target = 0, deadline = 0;
    if (api_get_str(r, "reason", 500, &reason) < 0 || api_get_str(r, "note", 1000, &note) < 0 ||
        api_get_str(r, "rating", 15, &rating) < 0 ||
        api_get_int(r, "dept_id", 1, INT64_MAX, &dept) < 0 ||
        api_get_int(r, "target_id", 1, INT64_MAX, &target) < 0 || api_get_time(r, "deadline", &deadline) < 0) {
        free(ad);
        return;
    }
    if (reason) snprintf(ad->reason, sizeof ad->reason, "%s", reason);
    if (note) snprintf(ad->note, sizeof ad->note, "%s", note);
    if (rating) snprintf(ad->rating, sizeof ad->rating, "%s", rating);
    ad->args.reason = reason ? ad->reason : NULL;
    ad->args.note = note ? ad->note : NULL;
    ad->args.rating = rating ? ad->rating : NULL;
    ad->args.dept_id = dept;
    ad->args.target_id = target;
    ad->args.deadline_ms = deadline;
    api_defer(r, run_case_act, ad, free_act);
}

static jc_err run_contact(jc_conn *w, jc_deferred *d) {
    int64_t id = *(int64_t *)d->data;
    jc_case k;
    jc_err e = store_case_get(w, id, &k);
    if (e == JC_OK && !case_visible(&d->user, &k)) {
        case_clear(&k);
        e = JC_ERR_NOTFOUND;
    }
    if (e) {
        snprintf(d->message, sizeof d->message, "no case %lld", (long long)id);
        return e;
    }
    e = case_audit_note(w, &d->user, &k, "read_contact", "{\"code\":\"read_contact\"}");
    if (!e) d->body = json_pack("{s:I,s:s}", "id", (json_int_t)k.id, "phone", k.phone);
    case_clear(&k);
    return e;
}

static void h_case_contact(jc_req *r) {
    int64_t *id = malloc(sizeof *id);
    if (!id) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    if (api_param_id(r, 0, id)) return free(id);
    api_defer(r, run_contact, id, free);
}

static void h_case_audit(jc_req *r) {
    int64_t id;
    if (api_param_id(r, 0, &id)) return;
    jc_case k;
    jc_err e = case_get_visible(r->db, &r->user, id, &k); /* as the detail */
    if (e == JC_OK) case_clear(&k);
    if (e) return http_reply_error(r, e, "no case %lld", (long long)id);
    json_t *tl = json_array();
    jc_verify_report vr;
    timeline_ctx tc = {.db = r->db, .tl = tl};
    if ((e = store_audit_each(r->db, id, timeline_cb, &tc)) || (e = audit_verify_case(r->db, id, &vr))) {
        json_decref(tl);
        return http_reply_error(r, e, "audit");
    }
    http_reply_json(r, 200, json_pack("{s:I,s:b,s:s,s:o,s:s}", "case_id", (json_int_t)id, "verified",
                                      vr.ok, "message", vr.ok ? "trace verified" : vr.message,
                                      "entries", tl, "algorithm", "BLAKE2b-256, see docs/audit.md"));
}

/* The whole chain, on the long-work pool (it reads every entry and case:
 * 3.9 s at 1.15 M cases on an event loop stalled /healthz). */
static jc_err verify_prepare(jc_deferred *d) {
    jc_verify_report vr;
    jc_err e = audit_verify_watch(d->db, &vr, &d->progress[0]);
    if (e) {
        snprintf(d->message, sizeof d->message, "verification failed to run");
        return e;
    }
    json_t *o = json_pack("{s:b,s:I,s:I,s:s}", "ok", vr.ok, "entries", (json_int_t)vr.entries,
                          "cases", (json_int_t)vr.cases, "head", vr.head_hash);
    if (!vr.ok) {
        json_object_set_new(o, "message", json_string(vr.message));
        json_object_set_new(o, "bad_seq", json_integer(vr.bad_seq));
        json_object_set_new(o, "bad_case", json_integer(vr.bad_case));
    }
    d->status = 200;
    d->body = o;
    return JC_OK;
}

static void h_audit_verify(jc_req *r) {
    jc_deferred *d = http_deferred_new(r);
    if (!d) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    d->prepare = verify_prepare;
    d->long_work = 1;
    d->what = "audit_verify";
    http_defer(r, d);
}

/* Long work running and waiting, with progress (staff). */
static void h_jobs(jc_req *r) {
    json_t *arr = json_array();
    int waiting = http_long_jobs(arr);
    http_reply_json(r, 200, json_pack("{s:o,s:i}", "running", arr, "waiting", waiting));
}

/* ---- catalogue ---------------------------------------------------------------- */

static int area_cb(const jc_area *a, void *arg) {
    json_t *o = json_pack("{s:s,s:s,s:s}", "code", a->code, "level", a->level, "name", a->name);
    json_object_set_new(o, "parent", a->parent[0] ? json_string(a->parent) : json_null());
    if (a->geojson) {
        json_t *g = json_loads(a->geojson, 0, NULL);
        if (g) json_object_set_new(o, "geometry", g);
    }
    json_array_append_new(arg, o);
    return 0;
}

static void h_areas(jc_req *r) {
    json_t *arr = json_array();
    jc_err e = store_area_each(r->db, area_cb, arr);
    if (e) {
        json_decref(arr);
        return http_reply_error(r, e, "areas");
    }
    http_reply_json(r, 200, json_pack("{s:o}", "areas", arr));
}

static int dept_cb(const jc_dept *d, void *arg) {
    json_array_append_new(arg, json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)d->id, "code", d->code,
                                         "name", d->name, "name_en", d->name_en));
    return 0;
}

static void h_depts(jc_req *r) {
    json_t *arr = json_array();
    jc_err e = store_dept_each(r->db, dept_cb, arr);
    if (e) {
        json_decref(arr);
        return http_reply_error(r, e, "departments");
    }
    http_reply_json(r, 200, json_pack("{s:o}", "depts", arr));
}

static int cat_cb(const jc_category *k, void *arg) {
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:f,s:f,s:b}", "code", k->code, "name", k->name,
                          "name_en", k->name_en, "kind", k->kind, "dept", k->dept_code, "accept_h",
                          k->accept_h, "handle_h", k->handle_h, "verify_h", k->verify_h, "urgent",
                          k->urgent);
    json_t *f = k->fields ? json_loads(k->fields, 0, NULL) : NULL;
    json_object_set_new(o, "fields", f ? f : json_array());
    json_array_append_new(arg, o);
    return 0;
}

static void h_categories(jc_req *r) {
    json_t *arr = json_array();
    jc_err e = store_category_each(r->db, cat_cb, arr);
    if (e) {
        json_decref(arr);
        return http_reply_error(r, e, "categories");
    }
    http_reply_json(r, 200, json_pack("{s:o}", "categories", arr));
}

/* ---- the category designer ------------------------------------------------- */

/* Validates the extra fields of a category: [{code, name, type, required, choices}]. */
static int fields_ok(json_t *f, char *msg, size_t msz) {
    if (!json_is_array(f) || json_array_size(f) > 20) {
        snprintf(msg, msz, "fields must be a list of at most 20 field definitions");
        return 0;
    }
    size_t i;
    json_t *v;
    json_array_foreach(f, i, v) {
        json_t *code = json_object_get(v, "code"), *name = json_object_get(v, "name"),
               *type = json_object_get(v, "type"), *req = json_object_get(v, "required"),
               *ch = json_object_get(v, "choices");
        const char *known[] = {"code", "name", "type", "required", "choices"};
        const char *key;
        json_t *val;
        if (!json_is_object(v)) { snprintf(msg, msz, "field %zu is not an object", i + 1); return 0; }
        json_object_foreach(v, key, val) {
            int ok = 0;
            for (size_t k = 0; k < JC_ARRAY_LEN(known); k++) ok |= !strcmp(key, known[k]);
            if (!ok) { snprintf(msg, msz, "field %zu: unknown key '%s'", i + 1, key); return 0; }
        }
        if (!json_is_string(code) || !intake_code_ok(json_string_value(code), 32, "_")) {
            snprintf(msg, msz, "field %zu: code must be 1-32 letters, digits or _", i + 1);
            return 0;
        }
        if (!json_is_string(name) || !*json_string_value(name) || jc_utf8_len(json_string_value(name)) > 30) {
            snprintf(msg, msz, "field %zu: name must be 1-30 characters", i + 1);
            return 0;
        }
        const char *t = json_is_string(type) ? json_string_value(type) : "";
        if (strcmp(t, "text") && strcmp(t, "number") && strcmp(t, "choice")) {
            snprintf(msg, msz, "field %zu: type must be text, number or choice", i + 1);
            return 0;
        }
        if (req && !json_is_boolean(req)) { snprintf(msg, msz, "field %zu: required must be true or false", i + 1); return 0; }
        if (!strcmp(t, "choice") != (ch != NULL)) {
            snprintf(msg, msz, "field %zu: choices are given for (and only for) type choice", i + 1);
            return 0;
        }
        if (ch) {
            if (!json_is_array(ch) || json_array_size(ch) < 1 || json_array_size(ch) > 50) {
                snprintf(msg, msz, "field %zu: choices must list 1-50 strings", i + 1);
                return 0;
            }
            size_t j;
            json_t *c;
            json_array_foreach(ch, j, c) if (!json_is_string(c) || !*json_string_value(c) ||
                                             jc_utf8_len(json_string_value(c)) > 30) {
                snprintf(msg, msz, "field %zu: each choice is 1-30 characters", i + 1);
                return 0;
            }
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(json_string_value(json_object_get(json_array_get(f, j), "code")), json_string_value(code))) {
                snprintf(msg, msz, "field code '%s' is used twice", json_string_value(code));
                return 0;
            }
    }
    return 1;
}

static jc_err run_category_put(jc_conn *w, jc_deferred *d) {
    jc_category *k = d->data;
    jc_dept dd;
    jc_err e = store_dept_by_code(w, k->dept_code, &dd);
    if (e == JC_ERR_NOTFOUND) {
        snprintf(d->message, sizeof d->message, "unknown department '%s'", k->dept_code);
        return JC_ERR_INVALID;
    }
    if (e) return e;
    jc_category old;
    int existed = store_category_get(w, k->code, &old) == JC_OK;
    if (existed) category_clear(&old);
    if ((e = store_category_put(w, k))) return e;
    /* a code (docs/audit.md); the hours as text (%g), the fields as JSON */
    char note[1200], hours[3][32];
    const double hv[3] = {k->accept_h, k->handle_h, k->verify_h};
    for (int i = 0; i < 3; i++) snprintf(hours[i], sizeof hours[i], "%g", hv[i]);
    reason_buf b;
    reason_begin(&b, note, sizeof note, "category_put");
    reason_int(&b, "added", !existed);
    reason_str(&b, "category", k->code);
    reason_str(&b, "name", k->name);
    reason_str(&b, "kind", k->kind);
    reason_str(&b, "dept", k->dept_code);
    reason_str(&b, "accept_h", hours[0]);
    reason_str(&b, "handle_h", hours[1]);
    reason_str(&b, "verify_h", hours[2]);
    reason_int(&b, "urgent", k->urgent ? 1 : 0);
    reason_raw(&b, "fields", k->fields && k->fields[0] == '[' ? k->fields : "[]");
    if ((e = auth_audit(w, &d->user, "category_put", reason_end(&b)))) return e;
    d->status = existed ? 200 : 201;
    json_t *f = json_loads(k->fields ? k->fields : "[]", 0, NULL);
    d->body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:f,s:f,s:b,s:o}", "code", k->code, "name", k->name, "name_en",
                        k->name_en, "kind", k->kind, "dept", k->dept_code, "accept_h", k->accept_h, "handle_h",
                        k->handle_h, "verify_h", k->verify_h, "urgent", k->urgent, "fields", f ? f : json_array());
    return JC_OK;
}

static void free_category(void *p) {
    category_clear(p);
    free(p);
}

static void h_category_put(jc_req *r) {
    const char *code = r->params[0], *name, *name_en = "", *kind, *dept;
    double hs[3] = {2, 24, 8};
    static const char *hk[] = {"accept_h", "handle_h", "verify_h"};
    if (!intake_code_ok(code, 15, "_-")) return http_reply_error(r, JC_ERR_INVALID, "the code must be 1-15 letters, digits, _ or -");
    if (api_need_str(r, "name", 30, &name) < 0 || api_get_str(r, "name_en", 60, &name_en) < 0 ||
        api_need_str(r, "kind", 12, &kind) < 0 || api_need_str(r, "dept", 31, &dept) < 0)
        return;
    for (int i = 0; i < 3; i++)
        if (api_get_num(r, hk[i], 0.05, 8760, &hs[i]) < 0) return;
    if (strcmp(kind, "component") && strcmp(kind, "event"))
        return http_reply_error(r, JC_ERR_INVALID, "kind must be component (部件) or event (事件)");
    json_t *urgent = json_object_get(r->json, "urgent");
    if (urgent && !json_is_boolean(urgent)) return http_reply_error(r, JC_ERR_INVALID, "urgent must be true or false");
    json_t *fields = json_object_get(r->json, "fields");
    char msg[200];
    if (fields && !fields_ok(fields, msg, sizeof msg)) return http_reply_error(r, JC_ERR_INVALID, "%s", msg);
    jc_category *k = calloc(1, sizeof *k);
    if (!k) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    snprintf(k->code, sizeof k->code, "%s", code);
    snprintf(k->name, sizeof k->name, "%s", name);
    snprintf(k->name_en, sizeof k->name_en, "%s", name_en ? name_en : "");
    snprintf(k->kind, sizeof k->kind, "%s", kind);
    snprintf(k->dept_code, sizeof k->dept_code, "%s", dept);
    k->accept_h = hs[0], k->handle_h = hs[1], k->verify_h = hs[2];
    k->urgent = urgent && json_is_true(urgent);
    json_t *empty = fields ? NULL : json_array();
    k->fields = json_dumps(fields ? fields : empty, JSON_COMPACT);
    json_decref(empty);
    if (!k->fields) {
        free_category(k);
        return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    }
    api_defer(r, run_category_put, k, free_category);
}

/* ---- users (admin) ------------------------------------------------------------ */

static int user_cb(const jc_user *u, void *arg) {
    json_array_append_new(arg, api_user_json(u));
    return 0;
}

static void h_users(jc_req *r) {
    json_t *arr = json_array();
    jc_err e = store_user_each(r->db, user_cb, arr);
    if (e) {
        json_decref(arr);
        return http_reply_error(r, e, "users");
    }
    http_reply_json(r, 200, json_pack("{s:o}", "users", arr));
}

static jc_err run_user_add(jc_conn *w, jc_deferred *d) {
    jc_user *u = d->data;
    jc_err e = auth_validate_user(w, u, d->message, sizeof d->message);
    if (e) return e;
    e = store_user_insert(w, u);
    if (e == JC_ERR_CONFLICT) snprintf(d->message, sizeof d->message, "user %s exists", u->name);
    if (e) return e;
    char note[300];
    if ((e = auth_audit(w, &d->user, "user_add", auth_user_reason(note, sizeof note, "user_add", u)))) return e;
    d->status = 201;
    d->body = api_user_json(u);
    return JC_OK;
}

static void pw_free_user(void *p) {
    if (p) sodium_memzero(p, sizeof(jc_user));
    free(p);
}

static jc_err prepare_user(jc_deferred *d) {
    jc_user *u = d->data;
    char plain[160];
    snprintf(plain, sizeof plain, "%s", u->pw_hash);
    jc_err e = auth_hash_password(plain, u->pw_hash);
    sodium_memzero(plain, sizeof plain);
    return e;
}

static void h_user_add(jc_req *r) {
    const char *name, *role, *pw, *area = NULL, *display = NULL, *phone = NULL;
    int64_t dept = 0;
    if (api_need_str(r, "name", 63, &name) < 0 || api_need_str(r, "role", 20, &role) < 0 ||
        api_need_str(r, "password", 255, &pw) < 0 || api_get_str(r, "area", 23, &area) < 0 ||
        api_get_str(r, "display", 63, &display) < 0 || api_get_str(r, "phone", 20, &phone) < 0 ||
        api_get_int(r, "dept_id", 1, INT64_MAX, &dept) < 0)
        return;
    int ro = role_parse(role);
    if (ro < 0 || ro >= ROLE_SYSTEM) return http_reply_error(r, JC_ERR_INVALID, "unknown role '%s'", role);
    char why[160];
    if (auth_password_ok(pw, name, why, sizeof why)) return http_reply_error(r, JC_ERR_INVALID, "%s", why);
    if (strlen(name) >= 64 || (display && strlen(display) >= 64) || (area && strlen(area) >= 24) ||
        strlen(pw) >= 128)
        return http_reply_error(r, JC_ERR_INVALID, "a field is too long");
    jc_user *u = calloc(1, sizeof *u);
    if (!u) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    snprintf(u->name, sizeof u->name, "%s", name);
    snprintf(u->display, sizeof u->display, "%s", display ? display : "");
    snprintf(u->area, sizeof u->area, "%s", area ? area : "");
    snprintf(u->phone, sizeof u->phone, "%s", phone ? phone : "");
    u->role = (jc_role)ro;
    u->dept_id = dept;
    u->created_ms = jc_now_ms();
    /* the plain password rides in pw_hash until prepare_user hashes it */
    snprintf(u->pw_hash, sizeof u->pw_hash, "%s", pw);
    jc_deferred *d = http_deferred_new(r);
    if (!d) {
        pw_free_user(u);
        return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    }
    d->prepare = prepare_user;
    d->run = run_user_add;
    d->data = u;
    d->free_data = pw_free_user;
    http_defer(r, d);
}

/* ---- login locks (admin) ------------------------------------------------------- */

static int lock_cb(const auth_throttle_row *row, void *arg) {
    char last[40], until[40];
    jc_fmt_utc(row->last_at, last, sizeof last);
    json_t *o = json_pack("{s:s,s:i,s:s}", "key", row->key, "failures", row->failures, "last_failure_at", last);
    if (row->locked_until > jc_real_ms()) {
        jc_fmt_utc(row->locked_until, until, sizeof until);
        json_object_set_new(o, "locked_until", json_string(until));
    } else {
        json_object_set_new(o, "locked_until", json_null());
    }
    json_array_append_new(arg, o);
    return 0;
}

static void h_locks(jc_req *r) {
    json_t *arr = json_array();
    jc_err e = auth_store_each(r->db, lock_cb, arr);
    if (e) return json_decref(arr), http_reply_error(r, e, "login locks");
    http_reply_json(r, 200, json_pack("{s:o}", "locks", arr));
}

static jc_err run_lift(jc_conn *w, jc_deferred *d) {
    const char *key = d->data;
    jc_err e = auth_throttle_lift(w, &d->user, key);
    if (e == JC_ERR_NOTFOUND) snprintf(d->message, sizeof d->message, "no failed logins of %.200s", key);
    if (e) return e;
    d->status = 200;
    d->body = json_pack("{s:s}", "lifted", key);
    return JC_OK;
}

static void h_lift(jc_req *r) {
    const char *account = NULL, *address = NULL;
    if (api_get_str(r, "account", 63, &account) < 0 || api_get_str(r, "address", 45, &address) < 0) return;
    if (!account == !address) return http_reply_error(r, JC_ERR_INVALID, "give an account or an address");
    auth_keys k;
    auth_throttle_keys(account ? account : "", address ? address : "", &k);
    char *key = jc_strdup(account ? k.account : k.address);
    if (!key) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    api_defer(r, run_lift, key, free);
}

/* ---- the route table ---------------------------------------------------------- */

#define STAFF (R(GRID_WORKER) | R(COMMUNITY_STAFF) | R(DISPATCHER) | R(DEPT_STAFF) | R(SUPERVISOR) | R(ADMIN))

static const jc_route core_routes[] = {
    {"POST", "/api/v1/session", h_login, ACCESS_PUBLIC, "name,password,cookie"},
    {"DELETE", "/api/v1/session", h_logout, ACCESS_USER, NULL},
    {"GET", "/api/v1/me", h_me, ACCESS_USER, NULL},
    {"GET", "/api/v1/config", h_config, ACCESS_PUBLIC, NULL},
    {"POST", "/api/v1/me/password", h_me_password, ACCESS_USER, "old_password,new_password"},
    {"GET", "/api/v1/areas", h_areas, ACCESS_PUBLIC, NULL},
    {"GET", "/api/v1/depts", h_depts, ACCESS_PUBLIC, NULL},
    {"GET", "/api/v1/categories", h_categories, ACCESS_PUBLIC, NULL},
    {"PUT", "/api/v1/categories/:code", h_category_put, R(ADMIN) | R(DISPATCHER),
     "name,name_en,kind,dept,accept_h,handle_h,verify_h,urgent,fields"},
    {"POST", "/api/v1/cases", h_case_create, ACCESS_USER,
     "title,body,category,area,lon,lat,crs,address,phone,source,attributes"},
    {"GET", "/api/v1/cases/:id", h_case_get, ACCESS_USER, NULL},
    {"GET", "/api/v1/cases/:id/audit", h_case_audit, ACCESS_USER, NULL},
    {"GET", "/api/v1/cases/:id/contact", h_case_contact, STAFF & ~R(ADMIN), NULL},
    {"POST", "/api/v1/cases/:id/:action", h_case_act, ACCESS_USER,
     "reason,note,dept_id,deadline,rating,target_id"},
    {"GET", "/api/v1/audit/verify", h_audit_verify, R(SUPERVISOR) | R(ADMIN) | R(DISPATCHER), NULL},
    {"GET", "/api/v1/jobs", h_jobs, R(SUPERVISOR) | R(ADMIN) | R(DISPATCHER), NULL},
    {"GET", "/api/v1/users", h_users, R(ADMIN), NULL},
    {"POST", "/api/v1/users", h_user_add, R(ADMIN), "name,role,password,area,dept_id,display,phone"},
    {"GET", "/api/v1/login-locks", h_locks, R(ADMIN), NULL},
    {"POST", "/api/v1/login-locks/lift", h_lift, R(ADMIN), "account,address"},
};

static const jc_route_table core_table = {core_routes, JC_ARRAY_LEN(core_routes)};

/* Live updates: a "case" event per audit entry about a case, seen by whoever
 * may see the case. */
typedef struct {
    int (*emit)(const jc_live_event *ev, void *arg);
    void *arg;
    int64_t *mark;
} live_ctx;

static int live_case(const jc_audit *e, const jc_case *k, void *arg) {
    live_ctx *x = arg;
    *x->mark = e->seq;
    char no[40], at[40];
    case_number(k, no, sizeof no);
    jc_fmt_utc(e->at_ms, at, sizeof at);
    json_t *d = json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "seq", (json_int_t)e->seq, "case_id",
                          (json_int_t)k->id, "no", no, "action", e->action, "state", e->to_state, "actor", e->actor,
                          "role", e->role, "at", at, "area", k->area);
    modules_live_json(x->emit, x->arg, (jc_live_event){.type = "case", .k = k}, d);
    return 0;
}

static jc_err core_live(jc_conn *c, int64_t *mark, int (*emit)(const jc_live_event *ev, void *arg), void *arg) {
    if (!emit) return store_audit_last(c, mark);
    live_ctx x = {emit, arg, mark};
    return store_audit_since(c, *mark, 500, live_case, &x);
}

static int cmd_routes(int argc, char **argv);

/* The core's row in the module table (src/modules.c). */
const jc_module module_core = {
    .name = "core",
    .store_h_only = 1,
    .routes = {&core_table, &api_websession_routes, &clock__routes},
    .live = core_live,
    .commands = {{"audit", cmd_audit, "verify the tamper-evident trace"},
                 {"clock", cmd_clock, "show or set the platform clock (simulated time for demos)"},
                 {"routes", cmd_routes, "list the compiled HTTP route table and who may call each route (JSON)"}},
};

/* ---- routing -------------------------------------------------------------------
 * Every module's routes in one array, ordered once so that of two patterns
 * that can match the same path the more specific comes first: compared
 * segment by segment, a literal segment sorts before a :param, literals
 * among themselves alphabetically, and a pattern before the longer ones it
 * is a prefix of.  (/cases/:id/photos of the photo module is tried before
 * the core's /cases/:id/:action, whatever the order of the modules.) */
static const jc_route **routes_sorted;
static size_t routes_n;
static pthread_once_t routes_once = PTHREAD_ONCE_INIT;

static int pattern_cmp(const char *a, const char *b) {
    for (;;) {
        if (!*a || !*b) return (*a != 0) - (*b != 0);
        a++, b++; /* the '/' */
        size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
        int pa = *a == ':', pb = *b == ':';
        if (pa != pb) return pa - pb;
        if (!pa) {
            int c = strncmp(a, b, la < lb ? la : lb);
            if (c) return c;
            if (la != lb) return la < lb ? -1 : 1;
        }
        a += la, b += lb;
    }
}

static int route_cmp(const void *x, const void *y) {
    const jc_route *a = *(const jc_route *const *)x, *b = *(const jc_route *const *)y;
    int c = pattern_cmp(a->pattern, b->pattern);
    if (c) return c;
    return a < b ? -1 : a > b; /* stable within a table; tables in module order below */
}

static void routes_build(void) {
    size_t n = 0;
    for (size_t m = 0; m < jc_modules_count; m++)
        for (size_t t = 0; t < JC_MODULE_ROUTES && jc_modules[m]->routes[t]; t++) n += jc_modules[m]->routes[t]->n;
    routes_sorted = malloc((n ? n : 1) * sizeof *routes_sorted);
    if (!routes_sorted) {
        jc_log(JC_LOG_ERROR, "out of memory for the route table: every request is answered 404");
        return;
    }
    for (size_t m = 0; m < jc_modules_count; m++)
        for (size_t t = 0; t < JC_MODULE_ROUTES && jc_modules[m]->routes[t]; t++)
            for (size_t i = 0; i < jc_modules[m]->routes[t]->n; i++)
                routes_sorted[routes_n++] = &jc_modules[m]->routes[t]->routes[i];
    qsort(routes_sorted, routes_n, sizeof *routes_sorted, route_cmp);
}

/* Matches path[0..n) (no trailing slash) against a pattern such as
 * "/api/v1/cases/:id".  On a match (1) the path is copied into scratch and
 * r->params point into it; nothing is copied for the (many) routes that do
 * not match. */
static int match(const char *pattern, const char *path, size_t n, jc_req *r, char *scratch,
                 size_t scratch_sz) {
    const char *p = pattern, *s = path, *end = path + n;
    size_t caps[HTTP_MAX_PARAMS][2];
    int np = 0;
    for (;;) {
        if (*p != '/' || s == end || *s != '/') return 0;
        p++, s++;
        if (*p != ':' && *p != *s) return 0; /* most routes part here */
        size_t plen = 0, slen = 0;
        while (p[plen] && p[plen] != '/') plen++;
        while (s + slen < end && s[slen] != '/') slen++;
        if (*p == ':') {
            if (slen == 0 || np == HTTP_MAX_PARAMS) return 0;
            caps[np][0] = (size_t)(s - path), caps[np][1] = slen;
            np++;
        } else if (plen != slen || strncmp(p, s, plen)) {
            return 0;
        }
        p += plen;
        s += slen;
        if (!*p && s == end) break;
        if (!*p || s == end) return 0;
    }
    if (n >= scratch_sz) return 0;
    memcpy(scratch, path, n);
    scratch[n] = 0;
    for (int i = 0; i < np; i++) {
        scratch[caps[i][0] + caps[i][1]] = 0;
        r->params[i] = scratch + caps[i][0];
    }
    r->nparams = np;
    return 1;
}

/* ---- the session cache --------------------------------------------------
 * Each serving thread remembers the sessions it has checked, for at most
 * SESSION_TTL_MS, so that a busy client does not cost a database read per
 * request.  Ending a session here (logout, password change) bumps
 * session_gen after its commit, which empties every thread's cache at once;
 * a change made by another process (the CLI) is seen within the TTL. */
#define SESSION_CACHE 512
#define SESSION_TTL_MS 2000
static _Atomic uint64_t session_gen = 1;
static __thread struct {
    char hash[65];
    jc_user user;
    int64_t checked_ms;
    uint64_t gen;
} session_cache[SESSION_CACHE];

static unsigned cache_slot(const char *hash) {
    unsigned v = 0;
    for (int i = 0; i < 8; i++) v = v * 16 + (unsigned)(hash[i] <= '9' ? hash[i] - '0' : hash[i] - 'a' + 10);
    return v % SESSION_CACHE;
}

/* Called on the serving thread after a commit that ended sessions. */
static json_t *sessions_ended(jc_deferred *d) {
    (void)d;
    atomic_fetch_add(&session_gen, 1);
    return json_pack("{s:b}", "ok", 1);
}

static int authenticate(jc_req *r) {
    const char *v;
    size_t n;
    char qtok[80];
    const char *tok;
    size_t tlen;
    int cookie = 0;
    if (http_header(r, "authorization", &v, &n) && n >= 7 && !strncasecmp(v, "Bearer ", 7)) {
        tok = v + 7;
        tlen = n - 7;
    } else if (!strcmp(r->path, "/api/v1/events") && http_query(r, "token", qtok, sizeof qtok)) {
        tok = qtok; /* EventSource cannot send headers: the live stream takes ?token= */
        tlen = strlen(qtok);
    } else if (websession_cookie(r, &tok, &tlen)) {
        cookie = 1; /* the browser's HttpOnly cookie: writes need X-CSRF-Token */
    } else {
        http_reply_error(r, JC_ERR_AUTH, "log in first: Authorization: Bearer <token>");
        return 0;
    }
    if (auth_token_hash(tok, tlen, r->token_hash) != JC_OK) {
        http_reply_error(r, JC_ERR_AUTH, "malformed token");
        return 0;
    }
    int64_t now = jc_real_ms();
    uint64_t gen = atomic_load(&session_gen);
    unsigned slot = cache_slot(r->token_hash);
    if (session_cache[slot].gen == gen && now - session_cache[slot].checked_ms < SESSION_TTL_MS &&
        !memcmp(session_cache[slot].hash, r->token_hash, 65)) {
        r->user = session_cache[slot].user;
        r->authed = 1;
        return !cookie || websession_csrf_check(r);
    }
    jc_err e = store_session_user(r->db, r->token_hash, now, &r->user);
    if (e) {
        http_reply_error(r, e == JC_ERR_AUTH ? JC_ERR_AUTH : e, "the session is unknown or has expired");
        return 0;
    }
    memcpy(session_cache[slot].hash, r->token_hash, 65);
    session_cache[slot].user = r->user;
    session_cache[slot].checked_ms = now;
    session_cache[slot].gen = gen;
    r->authed = 1;
    return !cookie || websession_csrf_check(r);
}

/* 1 when every string and key in v is text fit for every output (no control
 * character, no Unicode noncharacter: jc_text_ok), at any depth. */
static int json_text_ok(json_t *v) {
    if (json_is_string(v)) return jc_text_ok(json_string_value(v), json_string_length(v));
    const char *key;
    json_t *x;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, key, x) if (!jc_text_ok(key, strlen(key)) || !json_text_ok(x)) return 0;
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) if (!json_text_ok(x)) return 0;
    }
    return 1;
}

int api_json_intake(const char *body, size_t len, const char *fields, json_t **out, char *msg, size_t msz) {
    *out = NULL;
    if (!jc_utf8_valid(body, len)) return jc_fmt_cut(msg, msz, "the body is not valid UTF-8"), -1;
    json_error_t err;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
    if (!j) {
        jc_fmt_cut(msg, msz, "malformed JSON at line %d column %d: %s", err.line, err.column, err.text);
        return -1;
    }
    if (!json_is_object(j)) return json_decref(j), jc_fmt_cut(msg, msz, "the body must be a JSON object"), -1;
    if (!json_text_ok(j)) {
        /* U+FFFE in a description made Open311's XML ill-formed (issue 18) */
        jc_fmt_cut(msg, msz, "the body contains a control character or a Unicode noncharacter");
        return json_decref(j), -1;
    }
    const char *key;
    json_t *val;
    json_object_foreach(j, key, val) {
        size_t kl = strlen(key);
        const char *f = fields;
        int known = 0;
        while (*f) {
            const char *comma = strchr(f, ',');
            size_t fl = comma ? (size_t)(comma - f) : strlen(f);
            if (fl == kl && !strncmp(f, key, kl)) known = 1;
            f += fl + (comma ? 1 : 0);
        }
        if (!known) {
            jc_fmt_cut(msg, msz, "unknown field '%s'", key); /* a message: a long key is cut */
            return json_decref(j), -1;
        }
    }
    *out = j;
    return 0;
}

/* Checks the body against the route's fields: a JSON object, valid UTF-8, no
 * unknown fields, under the cap. */
static int parse_body(jc_req *r, const jc_route *rt) {
    if (r->body_len > HTTP_JSON_CAP && !(rt->fields && rt->fields[0] == '*')) {
        http_reply_error(r, JC_ERR_TOOBIG, "the body is larger than %d bytes", HTTP_JSON_CAP);
        return 0;
    }
    chain_payload_hash(r->body ? r->body : "", r->body_len, r->payload_hash);
    if (rt->fields && rt->fields[0] == '*') return 1; /* raw body: the handler parses it */
    if (!rt->fields) {
        r->json = json_object();
        return 1;
    }
    if (r->body_len == 0) {
        r->json = json_object();
        return 1;
    }
    char msg[300];
    if (api_json_intake(r->body, r->body_len, rt->fields, &r->json, msg, sizeof msg)) {
        http_reply_error(r, JC_ERR_INVALID, "%s", msg);
        return 0;
    }
    return 1;
}

const jc_route *api_route(jc_req *r, char *scratch, size_t scratch_sz, int *path_matched) {
    size_t n = strlen(r->path);
    if (n > 1 && r->path[n - 1] == '/') n--; /* tolerate a trailing slash */
    pthread_once(&routes_once, routes_build);
    *path_matched = 0;
    for (size_t i = 0; i < routes_n; i++) {
        const jc_route *rt = routes_sorted[i];
        if (!match(rt->pattern, r->path, n, r, scratch, scratch_sz)) continue;
        *path_matched = 1;
        if (!strcmp(rt->method, r->method)) return rt;
    }
    return NULL;
}

/* The module whose route table holds rt. */
static const jc_module *route_module(const jc_route *rt) {
    for (size_t m = 0; m < jc_modules_count; m++)
        for (size_t t = 0; t < JC_MODULE_ROUTES && jc_modules[m]->routes[t]; t++) {
            const jc_route_table *tb = jc_modules[m]->routes[t];
            if (rt >= tb->routes && rt < tb->routes + tb->n) return jc_modules[m];
        }
    return NULL;
}

int api_dispatch(jc_req *r) {
    char scratch[512];
    int path_matched;
    const jc_route *rt = api_route(r, scratch, sizeof scratch, &path_matched);
    if (rt) {
        if (rt->access != ACCESS_PUBLIC) {
            if (!authenticate(r)) return 1;
            if (rt->access != ACCESS_USER && !(rt->access & ROLE_BIT(r->user.role))) {
                http_reply_error(r, JC_ERR_DENIED, "role %s may not use %s %s", role_name(r->user.role),
                                 r->method, rt->pattern);
                return 1;
            }
        }
        const jc_module *m = route_module(rt);
        if (m && !module_runs_on_conn(m, r->db)) { /* left out on this backend (module.h) */
            http_reply_error(r, JC_ERR_UNAVAILABLE, "module %s has no %s storage yet", m->name, store_backend_name(r->db));
            return 1;
        }
        if (parse_body(r, rt)) rt->fn(r);
        json_decref(r->json);
        r->json = NULL;
        return 1;
    }
    if (path_matched) {
        http_reply_json(r, 405, json_pack("{s:{s:s,s:s}}", "error", "code", "method_not_allowed",
                                          "message", "method not allowed on this path"));
        return 1;
    }
    return 0;
}

/* ---- jiceng routes ---------------------------------------------------------------
 * The compiled route table, for the authorization matrix test
 * (tests/integration/93-authz.test.mjs) and for reviewers: every route with
 * who may call it, and the case actions with the roles the state machine
 * lets take them. */

static json_t *access_json(unsigned access) {
    if (access == ACCESS_PUBLIC) return json_string("public");
    if (access == ACCESS_USER) return json_string("user");
    json_t *a = json_array();
    for (int r = 0; r < ROLE_SYSTEM; r++)
        if (access & ROLE_BIT(r)) json_array_append_new(a, json_string(role_name((jc_role)r)));
    return a;
}

static int cmd_routes(int argc, char **argv) {
    static const char help[] =
        "usage: jiceng routes [--json]\n"
        "Prints every HTTP route of this build, in the order they are matched, as JSON:\n"
        "{\"routes\":[{\"method\",\"pattern\",\"access\":\"public\"|\"user\"|[roles],\"body\"}],\n"
        " \"actions\":{\"<case action>\":[roles]}}.  Reads no database.\n";
    if (cli_wants_help(argc, argv)) return fputs(help, stdout), JC_EXIT_OK;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--json")) return cli_usage_error("routes", "unexpected argument '%s'", argv[i]);
    json_t *routes = json_array(), *actions = json_object();
    pthread_once(&routes_once, routes_build);
    for (size_t i = 0; i < routes_n; i++) {
        const jc_route *rt = routes_sorted[i];
        json_t *o = json_pack("{s:s,s:s,s:o}", "method", rt->method, "pattern", rt->pattern, "access",
                              access_json(rt->access));
        json_object_set_new(o, "body", !rt->fields ? json_null() : !strcmp(rt->fields, "*") ? json_string("raw")
                                                                                          : json_string(rt->fields));
        json_array_append_new(routes, o);
    }
    for (int a = 0; a < ACT__COUNT; a++) {
        json_t *roles = json_array();
        for (int r = 0; r < ROLE__COUNT; r++)
            if (case_role_may((jc_role)r, (jc_action)a)) json_array_append_new(roles, json_string(role_name((jc_role)r)));
        json_object_set_new(actions, case_action_name((jc_action)a), roles);
    }
    json_t *all = json_pack("{s:o,s:o}", "routes", routes, "actions", actions);
    char *text = json_dumps(all, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(all);
    if (!text) return JC_EXIT_FAIL;
    puts(text);
    free(text);
    return JC_EXIT_OK;
}

/* ---- metrics ------------------------------------------------------------------ */

int api_metrics_access(jc_req *r) {
    if (guard_metrics_peer(r->h2o_req)) return 1;
    if (!authenticate(r)) return 0;
    if (r->user.role != ROLE_ADMIN) {
        http_reply_error(r, JC_ERR_DENIED, "the metrics are for the monitoring host or an admin");
        return 0;
    }
    return 1;
}

static int state_metric(const char *state, int64_t n, void *arg) {
    jc_err e = jc_buf_printf(arg, "jiceng_cases{state=\"%s\"} %lld\n", state, (long long)n);
    return e != JC_OK;
}

jc_err api_metrics(jc_req *r, jc_buf *b) {
    jc_store_stats ss;
    store_stats(http_store(r->server), &ss);
    jc_err e = jc_buf_printf(
        b,
        "# HELP jiceng_writer_batches_total Transactions committed by the writer.\n"
        "# TYPE jiceng_writer_batches_total counter\njiceng_writer_batches_total %llu\n"
        "# HELP jiceng_writer_jobs_total Writes run by the writer.\n"
        "# TYPE jiceng_writer_jobs_total counter\njiceng_writer_jobs_total %llu\n"
        "# TYPE jiceng_writer_failed_jobs_total counter\njiceng_writer_failed_jobs_total %llu\n"
        "# HELP jiceng_writer_reruns_total Groups of writes run again, one by one, after one of them failed.\n"
        "# TYPE jiceng_writer_reruns_total counter\njiceng_writer_reruns_total %llu\n"
        "# HELP jiceng_writer_queue_depth Writes waiting now.\n"
        "# TYPE jiceng_writer_queue_depth gauge\njiceng_writer_queue_depth %llu\n"
        "# TYPE jiceng_writer_max_batch gauge\njiceng_writer_max_batch %llu\n"
        "# HELP jiceng_cases Cases by state.\n# TYPE jiceng_cases gauge\n",
        (unsigned long long)ss.batches, (unsigned long long)ss.jobs,
        (unsigned long long)ss.failed_jobs, (unsigned long long)ss.reruns, (unsigned long long)ss.queue_depth,
        (unsigned long long)ss.max_batch);
    if (!e) e = store_case_count_by_state(r->db, state_metric, b);
    if (!e) e = modules_metrics(r->db, b);
    return e;
}
