/*
 * notify.c -- who hears of what (see notify.h), and the message centre's
 * API: GET /api/v1/notifications, GET /api/v1/notifications/count, POST
 * /api/v1/notifications/read.
 *
 * The kinds, their audience and the audit entry that produces them:
 *
 *   new_report       dispatchers and community staff of the area   a report waiting to be registered
 *   to_dispatch      dispatchers of the area       registered and still without a department (无主, reopened)
 *   dispatched       the department's staff        a dispatch (manual, automatic, or a patrol finding's chain)
 *   returned         dispatchers of the area       a department returned the case
 *   return_upheld    the returning department      the dispatcher agreed
 *   return_rejected  the returning department      the dispatcher sent it back to them
 *   remind           who holds the phase           80 % of the time limit is used
 *   escalate         who holds the phase, and the supervisors of the area when the timer escalates
 *   whistle          each summoned department      吹哨: check in
 *   verify_task      the assigned grid worker (or the community's staff and grid workers)
 *   rework           the department                the verification sent it back
 *   rated            the department                the reporter rated the case
 *   closed           the reporter                  closed: please rate
 *   taken_back       the department it was taken from   改派 or 撤回 (the dispatcher's reason)
 *
 * "Who holds the phase": the department while it is dispatched, accepted or
 * handled; the verifying grid worker in feedback; else the dispatchers.
 * A user never hears of an action of their own.  A reason is kept as the
 * notification's detail only when a person wrote it.
 */
#include "notify.h"
#include "case.h"
#include "http.h"
#include "module.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *kind, *text;
} kinds[] = {
    {"new_report", "新上报待立案"},   {"to_dispatch", "待派遣"},
    {"dispatched", "新派单"},         {"returned", "部门退回待裁定"},
    {"return_upheld", "退回已同意"},  {"return_rejected", "退回被驳回，请继续办理"},
    {"remind", "即将超时"},           {"escalate", "督办"},
    {"whistle", "吹哨报到"},          {"verify_task", "待核查"},
    {"rework", "核查未通过，返工"},   {"rated", "收到评价"},
    {"closed", "已办结，请评价"},     {"taken_back", "案件已改派或撤回"},
};

int notify_kind_known(const char *kind) {
    for (size_t i = 0; i < JC_ARRAY_LEN(kinds); i++)
        if (!strcmp(kind, kinds[i].kind)) return 1;
    return 0;
}

const char *notify_kind_text(const char *kind) {
    for (size_t i = 0; i < JC_ARRAY_LEN(kinds); i++)
        if (!strcmp(kind, kinds[i].kind)) return kinds[i].text;
    return "";
}

int64_t notify_retry_delay_ms(int attempts) {
    int64_t d = NOTIFY_RETRY_BASE_MS;
    for (int i = 1; i < attempts && d < NOTIFY_RETRY_MAX_MS; i++) d *= 2;
    return d < NOTIFY_RETRY_MAX_MS ? d : NOTIFY_RETRY_MAX_MS;
}

static int has_prefix(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }

int notify_for_user(const notify_row *n, const jc_user *u) {
    if (n->actor_id && n->actor_id == u->id) return 0;
    if (n->user_id) return n->user_id == u->id;
    if (n->dept_id) return u->role == ROLE_DEPT_STAFF && u->dept_id == n->dept_id;
    if (n->role[0]) return !strcmp(n->role, role_name(u->role)) && has_prefix(n->area, u->area);
    return 0;
}

/* ---- production (the ticker) ------------------------------------------------------ */

typedef struct {
    jc_conn *w;
    int64_t now;
    notify_hook hooks[32]; /* the active webhooks, read once a tick */
    int nhooks;
    int made;
    jc_err e;
} prod;

/* A copy of s cut to fit n bytes at a UTF-8 character boundary. */
static void copy_utf8(char *dst, size_t n, const char *s) {
    size_t len = strlen(s);
    if (len >= n) {
        len = n - 1;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80) len--;
    }
    memcpy(dst, s, len);
    dst[len] = 0;
}

static int hook_wants(const notify_hook *h, const notify_row *n) {
    if (h->dept_id && h->dept_id != n->dept_id) return 0;
    if (h->area[0] && !has_prefix(n->area[0] ? n->area : "", h->area)) return 0;
    if (!h->kinds[0]) return 1;
    size_t kl = strlen(n->kind);
    for (const char *p = h->kinds; *p;) {
        size_t l = strcspn(p, ",");
        if (l == kl && !strncmp(p, n->kind, l)) return 1;
        p += l + (p[l] == ',');
    }
    return 0;
}

/* Stores one notification of src for one audience, and its deliveries. */
static void put(prod *p, const notify_src *src, const char *kind, int64_t user_id, int64_t dept_id,
                const char *role, const char *detail) {
    if (p->e) return;
    notify_row n;
    memset(&n, 0, sizeof n);
    n.at_ms = src->at_ms;
    snprintf(n.kind, sizeof n.kind, "%s", kind);
    n.case_id = src->case_id;
    n.audit_seq = src->seq;
    n.actor_id = src->actor_id;
    n.user_id = user_id;
    n.dept_id = user_id ? 0 : dept_id;
    if (!user_id && !dept_id && role) snprintf(n.role, sizeof n.role, "%s", role);
    snprintf(n.area, sizeof n.area, "%s", src->area); /* stored for role audiences; hooks filter on it */
    if (detail && *detail) copy_utf8(n.detail, sizeof n.detail, detail);
    if ((p->e = notify_db_insert(p->w, &n))) return;
    p->made++;
    for (int i = 0; i < p->nhooks && !p->e; i++)
        if (hook_wants(&p->hooks[i], &n)) p->e = notify_db_outbox_add(p->w, p->hooks[i].id, n.id, jc_real_ms());
}

static void to_role(prod *p, const notify_src *s, const char *kind, const char *role, const char *detail) {
    put(p, s, kind, 0, 0, role, detail);
}

/* Whoever holds the case's open phase now. */
static void to_holder(prod *p, const notify_src *s, const char *kind, const char *detail) {
    if (!strcmp(s->state, "feedback")) {
        if (s->assignee_id) put(p, s, kind, s->assignee_id, 0, NULL, detail);
        else to_role(p, s, kind, "community_staff", detail);
    } else if (s->dept_id && (!strcmp(s->state, "dispatched") || !strcmp(s->state, "accepted") ||
                              !strcmp(s->state, "handling"))) {
        put(p, s, kind, 0, s->dept_id, NULL, detail);
    } else {
        to_role(p, s, kind, "dispatcher", detail);
    }
}

static int produce(const notify_src *s, void *arg) {
    prod *p = arg;
    if (s->at_ms < p->now - NOTIFY_MAX_AGE_MS) return 0;
    const char *a = s->action, *to = s->to_state;
    const char *why = strcmp(s->actor_role, "system") ? s->reason : NULL; /* a person's words only */
    if (!strcmp(a, "report") && !strcmp(to, "reported")) {
        if (!strcmp(s->state, "reported")) {
            to_role(p, s, "new_report", "dispatcher", NULL);
            to_role(p, s, "new_report", "community_staff", NULL);
        }
    } else if (!strcmp(to, "dispatched") && strcmp(a, "reject") && s->dept_id) {
        /* dispatch, or a report whose chain dispatched it at once */
        put(p, s, "dispatched", 0, s->dept_id, NULL, NULL);
    } else if (!strcmp(a, "return")) {
        to_role(p, s, "returned", "dispatcher", why);
    } else if (!strcmp(a, "uphold") || !strcmp(a, "reject")) {
        int64_t dept = 0;
        if ((p->e = notify_db_return_dept(p->w, s->case_id, &dept))) return 1;
        if (dept) put(p, s, a[0] == 'u' ? "return_upheld" : "return_rejected", 0, dept, NULL, why);
    } else if (!strcmp(a, "remind")) {
        to_holder(p, s, "remind", NULL);
    } else if (!strcmp(a, "escalate")) {
        to_holder(p, s, "escalate", why);
        if (!why) to_role(p, s, "escalate", "supervisor", NULL);
    } else if (!strcmp(a, "whistle")) {
        int64_t depts[32];
        int n = 0;
        if ((p->e = notify_db_whistle_depts(p->w, s->case_id, depts, (int)JC_ARRAY_LEN(depts), &n))) return 1;
        for (int i = 0; i < n; i++) put(p, s, "whistle", 0, depts[i], NULL, why);
    } else if (!strcmp(a, "feedback")) {
        if (s->assignee_id) {
            put(p, s, "verify_task", s->assignee_id, 0, NULL, NULL);
        } else {
            to_role(p, s, "verify_task", "community_staff", NULL);
            to_role(p, s, "verify_task", "grid_worker", NULL);
        }
    } else if (!strcmp(a, "rework")) {
        if (s->dept_id) put(p, s, "rework", 0, s->dept_id, NULL, why);
    } else if (!strcmp(a, "rate")) {
        if (s->dept_id) put(p, s, "rated", 0, s->dept_id, NULL, s->rating);
    } else if (!strcmp(a, "close")) {
        if (s->reporter_id && s->reporter_id != s->actor_id) put(p, s, "closed", s->reporter_id, 0, NULL, NULL);
    }
    /* 改派, 撤回: the department it was taken from hears of it (the new one
     * got "dispatched" above) */
    if (!strcmp(a, "redispatch") || !strcmp(a, "recall")) {
        int64_t dept = 0;
        if ((p->e = notify_db_reassigned_dept(p->w, s->case_id, &dept))) return 1;
        if (dept && dept != s->dept_id) put(p, s, "taken_back", 0, dept, NULL, why);
    }
    /* registered and still without a department: someone must dispatch it */
    if (!strcmp(to, "registered") && !strcmp(s->state, "registered") && !s->dept_id)
        to_role(p, s, "to_dispatch", "dispatcher", NULL);
    return p->e != JC_OK;
}

static int keep_hook(const notify_hook *h, void *arg) {
    prod *p = arg;
    if (p->nhooks < (int)JC_ARRAY_LEN(p->hooks)) p->hooks[p->nhooks++] = *h;
    return 0;
}

jc_err notify_tick(jc_conn *w, int64_t now_ms) {
    int64_t hw, last;
    jc_err e = notify_db_hw(w, &hw);
    if (e) return e;
    prod *p = calloc(1, sizeof *p);
    if (!p) return JC_ERR_NOMEM;
    p->w = w;
    p->now = now_ms;
    if ((e = notify_db_begin(w))) {
        free(p);
        return e;
    }
    e = notify_db_hook_each(w, 1, keep_hook, p);
    if (!e) e = notify_db_audit_each(w, hw, NOTIFY_TICK_LIMIT, &last, produce, p);
    if (e == JC_ERR_INTERNAL && p->e) e = p->e;
    if (!e && last != hw) e = notify_db_set_hw(w, last);
    notify_db_end(w, e == JC_OK);
    if (e) jc_log(JC_LOG_WARN, "notify: producing after audit entry %lld: %s", (long long)hw, jc_err_code(e));
    free(p);
    return e;
}

jc_err notify_skip_history(jc_conn *w) {
    int64_t last = 0, hw = 0;
    jc_err e = store_audit_last(w, &last);
    if (!e) e = notify_db_hw(w, &hw);
    if (!e && last > hw) e = notify_db_set_hw(w, last);
    return e;
}

/* ---- the message centre's API ---------------------------------------------------- */

#define UNREAD_CAP 1000 /* counted up to this; the header shows 999+ */

static void who_of(const jc_user *u, notify_who *who) {
    who->user_id = u->id;
    who->dept_id = u->role == ROLE_DEPT_STAFF ? u->dept_id : 0;
    who->role = role_name(u->role);
    who->area = u->area;
}

typedef struct {
    jc_req *r;
    json_t *arr;
    int n;
    int64_t last_id;
} feed_ctx;

static int feed_cb(const notify_item *it, void *arg) {
    feed_ctx *f = arg;
    char at[40];
    jc_fmt_utc(it->n.at_ms, at, sizeof at);
    json_t *o = json_pack("{s:I,s:s,s:s,s:b}", "id", (json_int_t)it->n.id, "kind", it->n.kind, "at", at, "read",
                          it->read);
    json_object_set_new(o, "case_id", it->n.case_id ? json_integer(it->n.case_id) : json_null());
    int visible = it->has_case && case_visible_db(f->r->db, &f->r->user, &it->k);
    if (it->has_case) {
        char no[40];
        case_number(&it->k, no, sizeof no);
        json_object_set_new(o, "no", json_string(no));
    }
    /* what the case says only while the reader may still see the case */
    json_object_set_new(o, "title", visible && it->k.title ? json_string(it->k.title) : json_null());
    json_object_set_new(o, "state", visible ? json_string(state_name(it->k.state)) : json_null());
    json_object_set_new(o, "visible", json_boolean(visible));
    json_object_set_new(o, "actor", it->actor[0] ? json_string(it->actor) : json_null());
    json_object_set_new(o, "detail", it->n.detail[0] ? json_string(it->n.detail) : json_null());
    json_array_append_new(f->arr, o);
    f->n++;
    f->last_id = it->n.id;
    return 0;
}


static void h_list(jc_req *r) {
    char tmp[32];
    int64_t before = 0, limit = 50;
    int unread = http_query(r, "unread", tmp, sizeof tmp) && !strcmp(tmp, "1");
    if (http_query(r, "before", tmp, sizeof tmp) && (jc_parse_i64(tmp, &before) || before < 1))
        return http_reply_error(r, JC_ERR_INVALID, "before must be a notification id");
    if (http_query(r, "limit", tmp, sizeof tmp) && (jc_parse_i64(tmp, &limit) || limit < 1 || limit > 200))
        return http_reply_error(r, JC_ERR_INVALID, "limit must be 1..200");
    notify_who who;
    who_of(&r->user, &who);
    feed_ctx f = {.r = r, .arr = json_array()};
    int64_t count = 0;
    jc_err e = notify_db_feed(r->db, &who, before, (int)limit, unread, feed_cb, &f);
    if (!e) e = notify_db_unread(r->db, &who, UNREAD_CAP, &count);
    if (e) {
        json_decref(f.arr);
        return http_reply_error(r, e, "notifications");
    }
    json_t *o = json_pack("{s:o,s:I}", "notifications", f.arr, "unread", (json_int_t)count);
    json_object_set_new(o, "next_before", f.n == limit ? json_integer(f.last_id) : json_null());
    http_reply_json(r, 200, o);
}

static void h_count(jc_req *r) {
    notify_who who;
    who_of(&r->user, &who);
    int64_t count = 0;
    jc_err e = notify_db_unread(r->db, &who, UNREAD_CAP, &count);
    if (e) return http_reply_error(r, e, "notifications");
    http_reply_json(r, 200, json_pack("{s:I}", "unread", (json_int_t)count));
}

typedef struct {
    int64_t ids[200];
    int nids;
    int64_t case_id, upto;
} mark_args;

static jc_err run_mark(jc_conn *w, jc_deferred *d) {
    mark_args *m = d->data;
    notify_who who;
    who_of(&d->user, &who);
    int64_t now = jc_now_ms();
    jc_err e = JC_OK;
    for (int i = 0; i < m->nids && !e; i++) {
        notify_row n;
        e = notify_db_get(w, m->ids[i], &n);
        if (e == JC_OK && !notify_for_user(&n, &d->user)) e = JC_ERR_NOTFOUND;
        if (e == JC_ERR_NOTFOUND) {
            snprintf(d->message, sizeof d->message, "no notification %lld", (long long)m->ids[i]);
            return e;
        }
        if (!e) e = notify_db_mark(w, d->user.id, m->ids[i], now);
    }
    if (!e && m->case_id) {
        int64_t n = 0;
        e = notify_db_mark_case(w, &who, m->case_id, now, &n);
    }
    if (!e && m->upto) e = notify_db_mark_upto(w, d->user.id, m->upto);
    int64_t unread = 0;
    if (!e) e = notify_db_unread(w, &who, UNREAD_CAP, &unread);
    if (e) return e;
    d->status = 200;
    d->body = json_pack("{s:I}", "unread", (json_int_t)unread);
    return JC_OK;
}

static void h_mark(jc_req *r) {
    mark_args *m = calloc(1, sizeof *m);
    if (!m) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    json_t *ids = json_object_get(r->json, "ids");
    if (ids && !json_is_null(ids)) {
        if (!json_is_array(ids) || json_array_size(ids) > JC_ARRAY_LEN(m->ids)) {
            free(m);
            return http_reply_error(r, JC_ERR_INVALID, "ids must be an array of at most %zu notification ids",
                                    JC_ARRAY_LEN(m->ids));
        }
        size_t i;
        json_t *v;
        json_array_foreach(ids, i, v) {
            if (!json_is_integer(v) || json_integer_value(v) < 1) {
                free(m);
                return http_reply_error(r, JC_ERR_INVALID, "ids must be notification ids");
            }
            m->ids[m->nids++] = json_integer_value(v);
        }
    }
    /* a case by its id (a number) or its number ("JC20261127-6") */
    json_t *cv = json_object_get(r->json, "case_id");
    if (cv && json_is_integer(cv)) {
        m->case_id = json_integer_value(cv);
    } else {
        const char *cs;
        int k = api_get_str(r, "case_id", 40, &cs);
        if (k < 0) return free(m);
        if (k == 1 && case_number_parse(cs, &m->case_id)) m->case_id = 0;
    }
    if (cv && !json_is_null(cv) && m->case_id < 1) {
        free(m);
        return http_reply_error(r, JC_ERR_INVALID, "case_id must be a case id or number");
    }
    if (api_get_int(r, "upto", 1, INT64_MAX, &m->upto) < 0) return free(m);
    if (!m->nids && !m->case_id && !m->upto) {
        free(m);
        return http_reply_error(r, JC_ERR_INVALID, "give ids, case_id or upto");
    }
    jc_deferred *d = http_deferred_new(r);
    if (!d) {
        free(m);
        return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    }
    d->run = run_mark;
    d->data = m;
    d->free_data = free;
    http_defer(r, d);
}

static const jc_route notify_routes[] = {
    {"GET", "/api/v1/notifications", h_list, ACCESS_USER, NULL},
    {"GET", "/api/v1/notifications/count", h_count, ACCESS_USER, NULL},
    {"POST", "/api/v1/notifications/read", h_mark, ACCESS_USER, "ids,case_id,upto"},
};

static const jc_route_table notify_table = {notify_routes, JC_ARRAY_LEN(notify_routes)};

/* Live updates: a "notify" event per new notification, to the users it is
 * for (notify_for_user). */
typedef struct {
    int (*emit)(const jc_live_event *ev, void *arg);
    void *arg;
} live_ctx;

static int live_for_user(const jc_user *u, const void *row) { return notify_for_user(row, u); }

static int live_notify(const notify_row *n, void *arg) {
    live_ctx *x = arg;
    char at[40], data[200];
    jc_fmt_utc(n->at_ms, at, sizeof at);
    int len = snprintf(data, sizeof data, "{\"id\":%lld,\"kind\":\"%s\",\"case_id\":%lld,\"at\":\"%s\"}",
                       (long long)n->id, n->kind, (long long)n->case_id, at);
    if (len <= 0 || (size_t)len >= sizeof data) return 0;
    jc_live_event ev = {.type = "notify", .data = data, .for_user = live_for_user, .row = n};
    x->emit(&ev, x->arg);
    return 0;
}

static jc_err notify_live(jc_conn *c, int64_t *mark, int (*emit)(const jc_live_event *ev, void *arg), void *arg) {
    if (!emit) return notify_db_max_id(c, mark);
    live_ctx x = {emit, arg};
    int64_t last;
    jc_err e = notify_db_since(c, *mark, 200, &last, live_notify, &x);
    if (!e) *mark = last;
    return e;
}

/* The webhook sender runs beside the server; one that cannot start is
 * logged and the server serves without it. */
static jc_err notify_module_start(jc_store *st, char *msg, size_t msgsz) {
    (void)msg, (void)msgsz;
    if (notify_start(st)) jc_log(JC_LOG_ERROR, "the webhook sender did not start");
    return JC_OK;
}

/* The notify module's row (src/modules.c). */
const jc_module module_notify = {
    .name = "notify",
    .schema = {[JC_STORE_SQLITE] = &schema_notify, [JC_STORE_PG] = &schema_notify_pg},
    .store = {[JC_STORE_SQLITE] = &notify_store_sqlite, [JC_STORE_PG] = &notify_store_pg},
    .routes = {&notify_table, &notify__webhook_routes},
    .tick = notify_tick,
    .start = notify_module_start,
    .stop = notify_stop,
    .live = notify_live,
};
