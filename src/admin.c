/*
 * admin.c -- administration over HTTP (module "admin"; docs/admin.md):
 *
 *   PUT  /api/v1/users/:id           role, scope, department, name, phone, disabled
 *   POST /api/v1/users/:id/password  a new password set by the administrator
 *   GET  /api/v1/audit               the audit log, filtered, newest first, keyset paged
 *
 * Users are created by POST /api/v1/users (api.c).  A disabled user cannot
 * log in, and the sessions they hold stop working at once (the session
 * lookup joins users; each serving thread may still honour a session it
 * checked in the last 2 s).  An administrator cannot disable themselves or
 * take the admin role from themselves: someone must stay able to undo it.
 * Every change is an audit entry (user_update, user_passwd_reset).
 *
 * The audit viewer reads at most AUDIT_WINDOW entries per page (by seq),
 * so a filter that matches rarely costs a bounded read: a page may hold
 * fewer matches than asked, and next_before continues the search below it.
 * A time range narrows the window through the index on audit(at); a case
 * filter reads that case's entries only.  Administrators see everything;
 * supervisors only the entries of cases in their area.
 */
#include "admin_store.h"
#include "auth.h"
#include "case.h"
#include "http.h"
#include "module.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUDIT_WINDOW 20000

/* ---- users ---------------------------------------------------------------------- */

typedef struct {
    int64_t id;
    unsigned given; /* which fields the body set: bits below */
    char display[64], area[24], phone[24];
    jc_role role;
    int64_t dept_id;
    int disabled;
} user_change;
enum { G_DISPLAY = 1, G_ROLE = 2, G_AREA = 4, G_DEPT = 8, G_PHONE = 16, G_DISABLED = 32 };

static jc_err run_user_update(jc_conn *w, jc_deferred *d) {
    user_change *c = d->data;
    jc_user u;
    jc_err e = store_user_get(w, c->id, &u);
    if (e == JC_ERR_NOTFOUND) snprintf(d->message, sizeof d->message, "no user %lld", (long long)c->id);
    if (e) return e;
    jc_user old = u;
    if (c->given & G_DISPLAY) snprintf(u.display, sizeof u.display, "%s", c->display);
    if (c->given & G_ROLE) u.role = c->role;
    if (c->given & G_AREA) snprintf(u.area, sizeof u.area, "%s", c->area);
    if (c->given & G_DEPT) u.dept_id = c->dept_id;
    if (c->given & G_PHONE) snprintf(u.phone, sizeof u.phone, "%s", c->phone);
    if (c->given & G_DISABLED) u.disabled = c->disabled;
    if (u.role != ROLE_DEPT_STAFF) u.dept_id = 0; /* only department staff belong to one */
    if (u.id == d->user.id && (u.disabled || u.role != ROLE_ADMIN)) {
        snprintf(d->message, sizeof d->message, "you cannot disable yourself or give up your own admin role");
        return JC_ERR_CONFLICT;
    }
    if ((e = auth_validate_user(w, &u, d->message, sizeof d->message))) return e;
    if ((e = admin_store(w)->user_update(w, &u))) return e;
    /* sessions end when the user is disabled or given another scope */
    if ((u.disabled && !old.disabled) || u.role != old.role || strcmp(u.area, old.area) || u.dept_id != old.dept_id)
        if ((e = store_sessions_delete_user(w, u.id))) return e;
    char note[300];
    if ((e = auth_audit(w, &d->user, "user_update", auth_user_reason(note, sizeof note, "user_update", &u)))) return e;
    d->status = 200;
    d->body = api_user_json(&u);
    return JC_OK;
}

static void h_user_update(jc_req *r) {
    user_change *c = calloc(1, sizeof *c);
    if (!c) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    if (jc_parse_i64(r->params[0], &c->id) || c->id < 1) {
        free(c);
        return http_reply_error(r, JC_ERR_NOTFOUND, "no such user");
    }
    const char *display = NULL, *role = NULL, *area = NULL, *phone = NULL;
    int64_t dept = 0;
    int kd, kr, ka, kp, kdept;
    if ((kd = api_get_str(r, "display", 60, &display)) < 0 || (kr = api_get_str(r, "role", 20, &role)) < 0 ||
        (ka = api_get_str(r, "area", 23, &area)) < 0 || (kp = api_get_str(r, "phone", 20, &phone)) < 0 ||
        (kdept = api_get_int(r, "dept_id", 0, INT64_MAX, &dept)) < 0)
        return free(c);
    if (kd) c->given |= G_DISPLAY, snprintf(c->display, sizeof c->display, "%s", display);
    if (kr) {
        int ro = role_parse(role);
        if (ro < 0 || ro >= ROLE_SYSTEM) {
            free(c);
            return http_reply_error(r, JC_ERR_INVALID, "unknown role '%s'", role);
        }
        c->given |= G_ROLE;
        c->role = (jc_role)ro;
    }
    /* null clears an area, a phone or a department */
    if (ka || json_is_null(json_object_get(r->json, "area"))) c->given |= G_AREA, snprintf(c->area, sizeof c->area, "%s", area ? area : "");
    if (kp || json_is_null(json_object_get(r->json, "phone"))) c->given |= G_PHONE, snprintf(c->phone, sizeof c->phone, "%s", phone ? phone : "");
    if (kdept || json_is_null(json_object_get(r->json, "dept_id"))) c->given |= G_DEPT, c->dept_id = dept;
    if (phone)
        for (const char *p = phone; *p; p++)
            if (!((*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == ' ')) {
                free(c);
                return http_reply_error(r, JC_ERR_INVALID, "field 'phone' must be a phone number");
            }
    json_t *dis = json_object_get(r->json, "disabled");
    if (dis) {
        if (!json_is_boolean(dis)) {
            free(c);
            return http_reply_error(r, JC_ERR_INVALID, "field 'disabled' must be true or false");
        }
        c->given |= G_DISABLED;
        c->disabled = json_is_true(dis);
    }
    if (!c->given) {
        free(c);
        return http_reply_error(r, JC_ERR_INVALID, "nothing to change");
    }
    api_defer(r, run_user_update, c, free);
}

typedef struct {
    int64_t id;
    char pw[128];
    char hash[160];
} pw_reset;

static void free_reset(void *p) {
    if (p) sodium_memzero(p, sizeof(pw_reset));
    free(p);
}

/* On a worker thread: argon2id. */
static jc_err prepare_reset(jc_deferred *d) {
    pw_reset *p = d->data;
    jc_err e = auth_hash_password(p->pw, p->hash);
    sodium_memzero(p->pw, sizeof p->pw);
    return e;
}

static jc_err run_reset(jc_conn *w, jc_deferred *d) {
    pw_reset *p = d->data;
    jc_user u;
    jc_err e = store_user_get(w, p->id, &u);
    if (e == JC_ERR_NOTFOUND) snprintf(d->message, sizeof d->message, "no user %lld", (long long)p->id);
    if (e) return e;
    if (u.pw_hash[0] != '$') {
        snprintf(d->message, sizeof d->message, "user %s is a client account that cannot log in", u.name);
        return JC_ERR_CONFLICT;
    }
    char note[300];
    if ((e = store_user_set_password(w, u.id, p->hash)) || (e = store_sessions_delete_user(w, u.id)) ||
        (e = auth_audit(w, &d->user, "user_passwd_reset", auth_user_reason(note, sizeof note, "user_passwd_reset", &u))))
        return e;
    d->status = 200;
    d->body = json_pack("{s:b}", "ok", 1);
    return JC_OK;
}

static void h_user_password(jc_req *r) {
    int64_t id;
    const char *pw;
    if (jc_parse_i64(r->params[0], &id) || id < 1) return http_reply_error(r, JC_ERR_NOTFOUND, "no such user");
    if (api_need_str(r, "password", 127, &pw) < 0) return;
    char why[160];
    if (auth_password_ok(pw, NULL, why, sizeof why)) return http_reply_error(r, JC_ERR_INVALID, "%s", why);
    pw_reset *p = calloc(1, sizeof *p);
    jc_deferred *d = p ? http_deferred_new(r) : NULL;
    if (!d) {
        free(p);
        return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    }
    p->id = id;
    snprintf(p->pw, sizeof p->pw, "%s", pw);
    d->prepare = prepare_reset;
    d->run = run_reset;
    d->data = p;
    d->free_data = free_reset;
    http_defer(r, d);
}

/* ---- the audit log ---------------------------------------------------------------- */

typedef struct {
    json_t *arr;
    int n;
} audit_ctx;

static int audit_cb(const jc_audit *e, const jc_case *k, const char *display, void *arg) {
    audit_ctx *a = arg;
    char at[40];
    jc_fmt_utc(e->at_ms, at, sizeof at);
    json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "seq", (json_int_t)e->seq, "at", at, "actor",
                          e->actor, "role", e->role, "action", e->action, "from", e->from_state, "to",
                          e->to_state, "hash", e->hash, "prev_hash", e->prev_hash);
    json_object_set_new(o, "case_id", e->case_id ? json_integer(e->case_id) : json_null());
    if (k) {
        char no[40];
        case_number(k, no, sizeof no);
        json_object_set_new(o, "no", json_string(no));
        json_object_set_new(o, "area", json_string(k->area));
    }
    json_object_set_new(o, "reason", e->reason ? json_string(e->reason) : json_null());
    /* staff by their display name; residents and the platform are named by the UI */
    if (display[0] && strcmp(e->role, "resident") && strcmp(e->role, "system"))
        json_object_set_new(o, "actor_display", json_string(display));
    json_array_append_new(a->arr, o);
    a->n++;
    return 0;
}

static int query_time(jc_req *r, const char *key, int64_t *out) {
    char v[48];
    if (!http_query(r, key, v, sizeof v) || !v[0]) return 0;
    if (jc_parse_time(v, out) != JC_OK) {
        http_reply_error(r, JC_ERR_INVALID, "%s must be an ISO-8601 time", key);
        return -1;
    }
    return 1;
}

/* Calls cb for the entries f matches, newest first, reading at most
 * f->window entries by seq (a filter matching rarely costs a bounded read
 * per page; a case's entries are few and indexed: no window).  *low gets
 * the lowest seq the search covered (the next page starts below it; 1 or
 * less: nothing older is left). */
static jc_err audit_page(jc_conn *c, const admin_audit_filter *f, admin_audit_fn cb, void *arg, int64_t *low) {
    const admin_store_ops *db = admin_store(c);
    int64_t before = f->before;
    if (before <= 0) {
        jc_err e = db->audit_head(c, &before);
        if (e) return e;
        before++;
    }
    /* entries are appended in time order: a time range is a range of seq
     * (the filter on at stays, for clocks set back in a demo) */
    if (f->to_ms) {
        int64_t b = db->audit_seq_at(c, f->to_ms, 1) + 1;
        if (b < before) before = b;
    }
    int64_t floor = f->from_ms ? db->audit_seq_at(c, f->from_ms, 0) : 0;
    if (f->from_ms && !floor) floor = before; /* nothing that recent */
    int64_t from_seq = f->case_id || f->window <= 0 ? 0 : before - f->window;
    if (from_seq < floor) from_seq = floor;
    int n = 0;
    int64_t last = before;
    jc_err e = db->audit_rows(c, f, before, from_seq, cb, arg, &n, &last);
    /* a full page ends at its last entry; a short one covered its whole
     * window, and nothing is left below the window's floor */
    *low = n == f->limit ? last : from_seq <= floor ? 0 : from_seq;
    return e;
}

static void h_audit(jc_req *r) {
    char actor[64] = "", action[32] = "", cs[40] = "", tmp[32];
    admin_audit_filter f = {.limit = 100, .window = AUDIT_WINDOW};
    int64_t limit = 100;
    if (http_query(r, "actor", actor, sizeof actor) && actor[0]) f.actor = actor;
    if (http_query(r, "action", action, sizeof action) && action[0]) f.action = action;
    if (http_query(r, "case", cs, sizeof cs) && cs[0] && (case_number_parse(cs, &f.case_id) || f.case_id < 1))
        return http_reply_error(r, JC_ERR_INVALID, "case must be a case id or number");
    if (query_time(r, "from", &f.from_ms) < 0 || query_time(r, "to", &f.to_ms) < 0) return;
    if (f.from_ms && f.to_ms && f.from_ms >= f.to_ms) return http_reply_error(r, JC_ERR_INVALID, "from must be before to");
    if (http_query(r, "before", tmp, sizeof tmp) && (jc_parse_i64(tmp, &f.before) || f.before < 1))
        return http_reply_error(r, JC_ERR_INVALID, "before must be an audit sequence number");
    if (http_query(r, "limit", tmp, sizeof tmp) && (jc_parse_i64(tmp, &limit) || limit < 1 || limit > 500))
        return http_reply_error(r, JC_ERR_INVALID, "limit must be 1..500");
    f.limit = (int)limit;
    /* a supervisor: the entries of the cases in the area only */
    if (r->user.role != ROLE_ADMIN || r->user.area[0]) f.area_prefix = r->user.area[0] ? r->user.area : "-";
    audit_ctx a = {.arr = json_array()};
    int64_t low = 0;
    jc_err e = audit_page(r->db, &f, audit_cb, &a, &low);
    if (e) {
        json_decref(a.arr);
        return http_reply_error(r, e, "audit");
    }
    json_t *o = json_pack("{s:o}", "entries", a.arr);
    json_object_set_new(o, "next_before", low > 1 ? json_integer(low) : json_null());
    http_reply_json(r, 200, o);
}

#define ADMIN ROLE_BIT(ROLE_ADMIN)

static const jc_route admin_routes[] = {
    {"PUT", "/api/v1/users/:id", h_user_update, ADMIN, "display,role,area,dept_id,phone,disabled"},
    {"POST", "/api/v1/users/:id/password", h_user_password, ADMIN, "password"},
    {"GET", "/api/v1/audit", h_audit, ADMIN | ROLE_BIT(ROLE_SUPERVISOR), NULL},
};

static const jc_route_table admin_table = {admin_routes, JC_ARRAY_LEN(admin_routes)};

/* The admin module's row (src/modules.c). */
const jc_module module_admin = {
    .name = "admin",
    .store = {[JC_STORE_SQLITE] = &admin_store_sqlite, [JC_STORE_PG] = &admin_store_pg},
    .routes = {&admin_table},
};
