/*
 * worklist.c -- the work list module's CSV import and HTTP API: the list and
 * its versions, tasks sent to communities (admission, exception, done) and
 * the burden figures.  SQL and decisions live in worklist_sqlite.c; the
 * routes are documented in docs/worklist.md.
 */
#include "worklist_store.h"
#include "auth.h"
#include "reason.h"
#include "http.h"
#include "module.h"

#include <csv.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define R(x) ROLE_BIT(ROLE_##x)
#define STREET (R(DISPATCHER) | R(SUPERVISOR) | R(ADMIN))
#define SENDERS (STREET | R(DEPT_STAFF))
#define VIEWERS (SENDERS | R(COMMUNITY_STAFF))

/* ---- CSV ------------------------------------------------------------------- */

enum { COL_CODE, COL_NAME, COL_KIND, COL_BASIS, COL_DEPTS, COL__N };
static const char *const col_names[COL__N] = {"code", "name", "kind", "basis", "depts"};

typedef struct {
    int row, nerr, fatal, header_ok, hdr_seen;
    int colmap[16]; /* CSV column -> COL_* or -1 */
    int ncols;
    char *cell[COL__N];
    int col;
    wl_item *items;
    size_t n, cap;
    jc_buf *errors;
} csv_ctx;

static void row_err(csv_ctx *x, const char *fmt, const char *a, const char *b) {
    x->nerr++;
    if (x->nerr > 50 || !x->errors) return;
    char line[600];
    snprintf(line, sizeof line, fmt, a ? a : "", b ? b : "");
    if (jc_buf_printf(x->errors, "row %d: %s\n", x->row, line)) x->fatal = JC_ERR_NOMEM;
}

static void on_field(void *s, size_t len, void *ctx) {
    csv_ctx *x = ctx;
    int c = x->col++;
    if (x->fatal || c >= 16) return;
    if (!x->hdr_seen) { /* header */
        x->ncols = c + 1;
        x->colmap[c] = -1;
        for (int k = 0; k < COL__N; k++)
            if (len == strlen(col_names[k]) && !memcmp(s, col_names[k], len)) x->colmap[c] = k;
        return;
    }
    if (c >= x->ncols || x->colmap[c] < 0) return;
    char *v = malloc(len + 1);
    if (!v) {
        x->fatal = JC_ERR_NOMEM;
        return;
    }
    memcpy(v, s, len);
    v[len] = 0;
    /* Trim surrounding blanks. */
    char *p = v;
    while (*p == ' ' || *p == '\t') p++;
    memmove(v, p, strlen(p) + 1);
    for (size_t n = strlen(v); n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r'); n--)
        v[n - 1] = 0;
    free(x->cell[x->colmap[c]]);
    x->cell[x->colmap[c]] = v;
}

static int copy_capped(csv_ctx *x, char *dst, size_t dsz, const char *v, const char *what) {
    if (!jc_utf8_valid(v, strlen(v))) {
        row_err(x, "%s is not valid UTF-8%s", what, NULL);
        return -1;
    }
    if (strlen(v) >= dsz) {
        row_err(x, "%s is too long%s", what, NULL);
        return -1;
    }
    snprintf(dst, dsz, "%s", v);
    return 0;
}

static void on_row(int term, void *ctx) {
    (void)term;
    csv_ctx *x = ctx;
    x->row++;
    if (x->fatal) goto out;
    if (!x->hdr_seen) {
        x->hdr_seen = 1;
        int seen[COL__N] = {0};
        for (int c = 0; c < x->ncols && c < 16; c++)
            if (x->colmap[c] >= 0) seen[x->colmap[c]] = 1;
        x->header_ok = 1;
        for (int k = 0; k < COL__N; k++)
            if (!seen[k]) {
                row_err(x, "header lacks column '%s' (need code,name,kind,basis,depts)%s", col_names[k], NULL);
                x->header_ok = 0;
            }
        goto out;
    }
    if (!x->header_ok) goto out;
    int blank = 1;
    for (int k = 0; k < COL__N; k++)
        if (x->cell[k] && *x->cell[k]) blank = 0;
    if (blank) goto out; /* an empty line */
    wl_item it;
    memset(&it, 0, sizeof it);
    int before = x->nerr;
    for (int k = 0; k < COL__N; k++)
        if (!x->cell[k] || !*x->cell[k]) row_err(x, "'%s' is empty%s", col_names[k], NULL);
    if (x->nerr != before) goto out;
    if (copy_capped(x, it.code, sizeof it.code, x->cell[COL_CODE], "code") ||
        copy_capped(x, it.name, sizeof it.name, x->cell[COL_NAME], "name") ||
        copy_capped(x, it.basis, sizeof it.basis, x->cell[COL_BASIS], "basis") ||
        copy_capped(x, it.depts, sizeof it.depts, x->cell[COL_DEPTS], "depts") ||
        copy_capped(x, it.kind, sizeof it.kind, x->cell[COL_KIND], "kind"))
        goto out;
    for (const char *p = it.code; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
              *p == '-' || *p == '_' || *p == '.')) {
            row_err(x, "code '%s' may hold only letters, digits and - _ .%s", it.code, NULL);
            goto out;
        }
    if (strcmp(it.kind, "duty") && strcmp(it.kind, "assist") && strcmp(it.kind, "resourced")) {
        row_err(x, "kind '%s' must be duty, assist or resourced%s", it.kind, NULL);
        goto out;
    }
    for (size_t i = 0; i < x->n; i++)
        if (!strcmp(x->items[i].code, it.code)) {
            row_err(x, "code '%s' appears twice%s", it.code, NULL);
            goto out;
        }
    if (x->n >= WL_MAX_ITEMS) {
        row_err(x, "more than %s items%s", "2000", NULL);
        goto out;
    }
    if (x->n == x->cap) {
        size_t nc = x->cap ? 2 * x->cap : 32;
        wl_item *ni = realloc(x->items, nc * sizeof *ni);
        if (!ni) {
            x->fatal = JC_ERR_NOMEM;
            goto out;
        }
        x->items = ni;
        x->cap = nc;
    }
    x->items[x->n++] = it;
out:
    for (int k = 0; k < COL__N; k++) {
        free(x->cell[k]);
        x->cell[k] = NULL;
    }
    x->col = 0;
}

jc_err worklist_parse_csv(const char *data, size_t len, wl_item **items, size_t *n, jc_buf *errors) {
    if (!data || !items || !n) return JC_ERR_INVALID;
    if (len > WL_MAX_CSV) return JC_ERR_TOOBIG;
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) data += 3, len -= 3;
    csv_ctx x;
    memset(&x, 0, sizeof x);
    /* Leading comment lines ("# written for the demo") are skipped. */
    while (len && data[0] == '#') {
        const char *nl = memchr(data, '\n', len);
        size_t skip = nl ? (size_t)(nl - data) + 1 : len;
        data += skip, len -= skip;
        x.row++;
    }
    int first_row = x.row;
    x.errors = errors;
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)) return JC_ERR_NOMEM;
    if (csv_parse(&p, data, len, on_field, on_row, &x) != len || csv_fini(&p, on_field, on_row, &x)) {
        if (csv_error(&p) == CSV_ENOMEM) x.fatal = JC_ERR_NOMEM;
        else {
            x.row++;
            row_err(&x, "malformed CSV (%s)%s", csv_strerror(csv_error(&p)), NULL);
        }
    }
    csv_free(&p);
    for (int k = 0; k < COL__N; k++) free(x.cell[k]);
    if (!x.fatal && !x.hdr_seen) {
        x.row = first_row + 1;
        row_err(&x, "empty file: a header row is required%s%s", NULL, NULL);
    }
    if (!x.fatal && !x.nerr && x.n == 0) {
        x.row = first_row + 2;
        row_err(&x, "the list has no items%s%s", NULL, NULL);
    }
    if (x.fatal || x.nerr) {
        free(x.items);
        return x.fatal ? (jc_err)x.fatal : JC_ERR_INVALID;
    }
    *items = x.items;
    *n = x.n;
    return JC_OK;
}

jc_err wl__month_bounds(const char *month, int64_t *start, int64_t *end) {
    if (!month || strlen(month) != 7 || month[4] != '-') return JC_ERR_INVALID;
    char y[5], m[3];
    memcpy(y, month, 4), y[4] = 0;
    memcpy(m, month + 5, 2), m[2] = 0;
    int64_t yy, mm;
    if (jc_parse_i64(y, &yy) || jc_parse_i64(m, &mm) || mm < 1 || mm > 12 || yy < 2000 || yy > 2099)
        return JC_ERR_INVALID;
    char a[16], b[16];
    snprintf(a, sizeof a, "%04d-%02d-01", (int)yy, (int)mm);
    snprintf(b, sizeof b, "%04d-%02d-01", (int)(mm == 12 ? yy + 1 : yy), (int)(mm == 12 ? 1 : mm + 1));
    if (jc_parse_time(a, start) || jc_parse_time(b, end)) return JC_ERR_INVALID;
    return JC_OK;
}

/* ---- HTTP: the list ------------------------------------------------------ */

static json_t *items_json(const wl_item *v, size_t n) {
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s}", "code", v[i].code, "name",
                                             v[i].name, "kind", v[i].kind, "basis", v[i].basis,
                                             "depts", v[i].depts));
    return arr;
}

static void h_list_get(jc_req *r) {
    char tmp[32];
    int64_t v = 0;
    if (http_query(r, "version", tmp, sizeof tmp)) {
        if (jc_parse_i64(tmp, &v) || v < 1) return http_reply_error(r, JC_ERR_INVALID, "bad version");
    } else if (worklist_active_version(r->db, &v)) {
        return http_reply_error(r, JC_ERR_DB, "storage error");
    }
    wl_item *items = NULL;
    size_t n = 0;
    if (v && worklist_items_get(r->db, v, &items, &n)) return http_reply_error(r, JC_ERR_DB, "storage error");
    json_t *o = json_pack("{s:I,s:o}", "version", (json_int_t)v, "items", items_json(items, n));
    free(items);
    http_reply_json(r, 200, o);
}

static void h_versions(jc_req *r) {
    json_t *a;
    if (worklist_versions_json(r->db, &a)) return http_reply_error(r, JC_ERR_DB, "storage error");
    http_reply_json(r, 200, json_pack("{s:o}", "versions", a));
}

static void h_fields(jc_req *r) {
    json_t *a;
    if (worklist_fields_json(r->db, &a)) return http_reply_error(r, JC_ERR_DB, "storage error");
    http_reply_json(r, 200, json_pack("{s:o}", "fields", a));
}

typedef struct {
    wl_item *items;
    size_t n;
    char note[200];
    /* edits: */
    int op; /* 0 replace whole list, 1 put one item, 2 delete one item */
    wl_item one;
} list_job;

static void list_job_free(void *p) {
    list_job *j = p;
    free(j->items);
    free(j);
}

static jc_err run_list_put(jc_conn *w, jc_deferred *d) {
    list_job *j = d->data;
    if (j->op != 0) {
        int64_t av;
        jc_err e = worklist_active_version(w, &av);
        if (e) return e;
        free(j->items);
        j->items = NULL;
        j->n = 0;
        if (av && (e = worklist_items_get(w, av, &j->items, &j->n))) return e;
        size_t k;
        for (k = 0; k < j->n && strcmp(j->items[k].code, j->one.code); k++) {}
        if (j->op == 2) {
            if (k == j->n) {
                snprintf(d->message, sizeof d->message, "no item %s on the active list", j->one.code);
                return JC_ERR_NOTFOUND;
            }
            memmove(&j->items[k], &j->items[k + 1], (j->n - k - 1) * sizeof *j->items);
            j->n--;
        } else if (k < j->n) {
            j->items[k] = j->one;
        } else {
            wl_item *ni = realloc(j->items, (j->n + 1) * sizeof *ni);
            if (!ni) return JC_ERR_NOMEM;
            j->items = ni;
            j->items[j->n++] = j->one;
        }
    }
    int64_t v;
    jc_err e = worklist_put_version(w, &d->user, j->items, j->n, j->note, &v, d->message, sizeof d->message);
    if (e) return e;
    d->status = 201;
    d->body = json_pack("{s:I,s:I}", "version", (json_int_t)v, "items", (json_int_t)j->n);
    return JC_OK;
}

static void h_list_import(jc_req *r) {
    jc_buf errs;
    jc_buf_init(&errs, 64 * 1024);
    list_job *j = calloc(1, sizeof *j);
    if (!j) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    jc_err e = worklist_parse_csv(r->body ? r->body : "", r->body_len, &j->items, &j->n, &errs);
    if (e) {
        http_reply_error(r, e, "the list was not imported:\n%s", errs.data ? errs.data : jc_err_code(e));
        jc_buf_free(&errs);
        free(j);
        return;
    }
    jc_buf_free(&errs);
    char note[200];
    if (http_query(r, "note", note, sizeof note)) snprintf(j->note, sizeof j->note, "%s", note);
    else snprintf(j->note, sizeof j->note, "CSV import");
    api_defer(r, run_list_put, j, list_job_free);
}

static void h_item_put(jc_req *r) {
    const char *name, *kind, *basis, *depts, *note = NULL;
    if (api_need_str(r, "name", 80, &name) < 0 || api_need_str(r, "kind", 11, &kind) < 0 ||
        api_need_str(r, "basis", 160, &basis) < 0 || api_need_str(r, "depts", 160, &depts) < 0 ||
        api_get_str(r, "note", 190, &note) < 0)
        return;
    /* Reuse the CSV row checks: build a one-row list. */
    jc_buf csv, errs;
    jc_buf_init(&csv, 8192);
    jc_buf_init(&errs, 8192);
    if (jc_buf_puts(&csv, "code,name,kind,basis,depts\n")) return http_reply_error(r, JC_ERR_NOMEM, "oom");
    const char *vals[] = {r->params[0], name, kind, basis, depts};
    for (int i = 0; i < 5; i++) {
        if (jc_buf_puts(&csv, i ? ",\"" : "\"")) goto oom;
        for (const char *p = vals[i]; *p; p++)
            if (jc_buf_append(&csv, p, 1) || (*p == '"' && jc_buf_append(&csv, p, 1))) goto oom;
        if (jc_buf_puts(&csv, "\"")) goto oom;
    }
    wl_item *one = NULL;
    size_t n = 0;
    jc_err e = worklist_parse_csv(csv.data, csv.len, &one, &n, &errs);
    jc_buf_free(&csv);
    if (e) {
        const char *m = errs.data ? strstr(errs.data, ": ") : NULL;
        http_reply_error(r, e, "%s", m ? m + 2 : "bad item");
        jc_buf_free(&errs);
        return;
    }
    jc_buf_free(&errs);
    list_job *j = calloc(1, sizeof *j);
    if (!j) {
        free(one);
        return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    }
    j->op = 1;
    j->one = one[0];
    free(one);
    snprintf(j->note, sizeof j->note, "%s", note ? note : "item edited");
    api_defer(r, run_list_put, j, list_job_free);
    return;
oom:
    jc_buf_free(&csv);
    jc_buf_free(&errs);
    http_reply_error(r, JC_ERR_NOMEM, "out of memory");
}

static void h_item_delete(jc_req *r) {
    list_job *j = calloc(1, sizeof *j);
    if (!j) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    j->op = 2;
    snprintf(j->one.code, sizeof j->one.code, "%s", r->params[0]);
    snprintf(j->note, sizeof j->note, "item %s removed", j->one.code);
    api_defer(r, run_list_put, j, list_job_free);
}

/* ---- HTTP: tasks ------------------------------------------------------------ */

typedef struct {
    char *title, *kind, *item, *resources, *attachments;
    char **communities, **fields;
    size_t nc, nf;
    int64_t deadline;
    int64_t id;
    char reason[600], community[24];
} task_job;

static void task_job_free(void *p) {
    task_job *t = p;
    if (!t) return;
    free(t->title), free(t->kind), free(t->item), free(t->resources), free(t->attachments);
    for (size_t i = 0; i < t->nc; i++) free(t->communities[i]);
    for (size_t i = 0; i < t->nf; i++) free(t->fields[i]);
    free(t->communities), free(t->fields);
    free(t);
}

static jc_err run_task_submit(jc_conn *w, jc_deferred *d) {
    task_job *t = d->data;
    wl_task_in in = {t->title, t->kind, t->item, t->resources, (const char *const *)t->communities,
                     t->nc, (const char *const *)t->fields, t->nf, t->attachments, t->deadline};
    json_t *o = NULL;
    jc_err e = worklist_task_submit(w, &d->user, &in, jc_now_ms(), &o, d->message, sizeof d->message);
    if (e) return e;
    d->status = 201;
    d->body = o;
    return JC_OK;
}

/* Reads an optional array of short strings; -1 after answering 400. */
static int str_array(jc_req *r, const char *key, size_t max, size_t maxlen, char ***out, size_t *n) {
    json_t *a = json_object_get(r->json, key);
    *out = NULL;
    *n = 0;
    if (!a || json_is_null(a)) return 0;
    if (!json_is_array(a) || json_array_size(a) > max) {
        http_reply_error(r, JC_ERR_INVALID, "field '%s' must be an array of at most %zu strings", key, max);
        return -1;
    }
    char **v = calloc(json_array_size(a) + 1, sizeof *v);
    if (!v) {
        http_reply_error(r, JC_ERR_NOMEM, "out of memory");
        return -1;
    }
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x) {
        const char *s = json_string_value(x);
        if (!s || !*s || strlen(s) > maxlen || strlen(s) != json_string_length(x)) {
            for (size_t k = 0; k < i; k++) free(v[k]);
            free(v);
            http_reply_error(r, JC_ERR_INVALID, "field '%s' must hold non-empty strings of at most %zu bytes",
                             key, maxlen);
            return -1;
        }
        v[i] = jc_strdup(s);
    }
    *out = v;
    *n = json_array_size(a);
    return 1;
}

static void h_task_submit(jc_req *r) {
    const char *title, *kind, *item, *resources = NULL;
    int64_t deadline = 0;
    if (api_need_str(r, "title", 200, &title) < 0 || api_need_str(r, "kind", 20, &kind) < 0 ||
        api_need_str(r, "item", 31, &item) < 0 || api_get_str(r, "resources", 1000, &resources) < 0 ||
        api_get_time(r, "deadline", &deadline) < 0)
        return;
    json_t *att = json_object_get(r->json, "attachments");
    if (att && !json_is_null(att)) {
        size_t i;
        json_t *x;
        if (!json_is_array(att) || json_array_size(att) > 20)
            return http_reply_error(r, JC_ERR_INVALID, "field 'attachments' must be an array of at most 20 photo ids");
        json_array_foreach(att, i, x) if (!json_is_integer(x) && !(json_is_string(x) && json_string_length(x) < 80))
            return http_reply_error(r, JC_ERR_INVALID, "field 'attachments' must hold photo ids");
    }
    task_job *t = calloc(1, sizeof *t);
    if (!t) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    if (str_array(r, "communities", WL_MAX_TARGETS, 23, &t->communities, &t->nc) < 0 ||
        str_array(r, "fields", WL_MAX_FIELDS, 63, &t->fields, &t->nf) < 0) {
        task_job_free(t);
        return;
    }
    if (t->nc == 0) {
        task_job_free(t);
        return http_reply_error(r, JC_ERR_INVALID, "field 'communities' is required (community codes)");
    }
    t->title = jc_strdup(title);
    t->kind = jc_strdup(kind);
    t->item = jc_strdup(item);
    t->resources = resources ? jc_strdup(resources) : NULL;
    t->attachments = att && !json_is_null(att) ? json_dumps(att, JSON_COMPACT) : NULL;
    t->deadline = deadline;
    api_defer(r, run_task_submit, t, task_job_free);
}

static int task_id_param(jc_req *r, int64_t *id) {
    if (jc_parse_i64(r->params[0], id) || *id < 1) {
        http_reply_error(r, JC_ERR_NOTFOUND, "no such task");
        return -1;
    }
    return 0;
}

static void h_tasks(jc_req *r) {
    char comm[32] = "", tmp[32];
    int64_t id = 0, limit = 100;
    http_query(r, "community", comm, sizeof comm);
    if (http_query(r, "limit", tmp, sizeof tmp) && (jc_parse_i64(tmp, &limit) || limit < 1 || limit > 500))
        return http_reply_error(r, JC_ERR_INVALID, "limit must be 1..500");
    if (r->user.role == ROLE_COMMUNITY_STAFF && comm[0] && strcmp(comm, r->user.area))
        return http_reply_error(r, JC_ERR_DENIED, "community %s is not yours", comm);
    json_t *a;
    jc_err e = worklist_tasks_list(r->db, &r->user, comm, id, (int)limit, &a);
    if (e) return http_reply_error(r, e, "listing failed");
    http_reply_json(r, 200, json_pack("{s:o}", "tasks", a));
}

static void h_task_get(jc_req *r) {
    int64_t id;
    if (task_id_param(r, &id)) return;
    json_t *a;
    jc_err e = worklist_tasks_list(r->db, &r->user, NULL, id, 1, &a);
    if (e) return http_reply_error(r, e, "lookup failed");
    if (json_array_size(a) == 0) {
        json_decref(a);
        return http_reply_error(r, JC_ERR_NOTFOUND, "no task %lld", (long long)id);
    }
    json_t *t = json_incref(json_array_get(a, 0));
    json_decref(a);
    http_reply_json(r, 200, t);
}

static jc_err run_exception(jc_conn *w, jc_deferred *d) {
    task_job *t = d->data;
    json_t *o = NULL;
    jc_err e = worklist_task_exception(w, &d->user, t->id, t->reason, jc_now_ms(), &o, d->message,
                                       sizeof d->message);
    if (e) return e;
    d->status = 200;
    d->body = o;
    return JC_OK;
}

static void h_task_exception(jc_req *r) {
    int64_t id;
    const char *reason;
    if (task_id_param(r, &id) || api_need_str(r, "reason", 500, &reason) < 0) return;
    task_job *t = calloc(1, sizeof *t);
    if (!t) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    t->id = id;
    snprintf(t->reason, sizeof t->reason, "%s", reason);
    api_defer(r, run_exception, t, task_job_free);
}

static jc_err run_done(jc_conn *w, jc_deferred *d) {
    task_job *t = d->data;
    json_t *o = NULL;
    jc_err e = worklist_task_done(w, &d->user, t->id, t->community[0] ? t->community : NULL, jc_now_ms(),
                                  &o, d->message, sizeof d->message);
    if (e) return e;
    d->status = 200;
    d->body = o;
    return JC_OK;
}

static void h_task_done(jc_req *r) {
    int64_t id;
    const char *comm = NULL, *note = NULL;
    if (task_id_param(r, &id) || (r->json && (api_get_str(r, "community", 23, &comm) < 0 ||
                                              api_get_str(r, "note", 500, &note) < 0)))
        return;
    task_job *t = calloc(1, sizeof *t);
    if (!t) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    t->id = id;
    if (comm) snprintf(t->community, sizeof t->community, "%s", comm);
    api_defer(r, run_done, t, task_job_free);
}

/* ---- HTTP: burden ------------------------------------------------------------- */

static void h_burden(jc_req *r) {
    char month[16] = "";
    if (!http_query(r, "month", month, sizeof month)) {
        char now[40];
        jc_fmt_local(jc_now_ms(), now, sizeof now);
        snprintf(month, sizeof month, "%.7s", now);
    }
    json_t *o;
    jc_err e = worklist_burden(r->db, &r->user, month, &o);
    if (e == JC_ERR_INVALID) return http_reply_error(r, e, "month must be YYYY-MM");
    if (e) return http_reply_error(r, e, "burden failed");
    http_reply_json(r, 200, o);
}

typedef struct {
    char key[48];
    double value;
} cfg_job;

static jc_err run_config(jc_conn *w, jc_deferred *d) {
    cfg_job *c = d->data;
    jc_err e = worklist_config_set(w, &d->user, c->key, c->value);
    if (e) return e;
    d->status = 200;
    d->body = json_pack("{s:s,s:f}", "key", c->key, "value", c->value);
    return JC_OK;
}

static void h_config(jc_req *r) {
    const char *key;
    double value;
    int k;
    if (api_need_str(r, "key", 40, &key) < 0 || (k = api_get_num(r, "value", 0, 1e6, &value)) < 0) return;
    if (k == 0) return http_reply_error(r, JC_ERR_INVALID, "field 'value' is required");
    int ok = 0;
    for (size_t i = 0; i < worklist_nsettings; i++) ok |= !strcmp(key, worklist_settings[i].key);
    if (!ok) return http_reply_error(r, JC_ERR_INVALID, "unknown setting '%s'", key);
    cfg_job *c = calloc(1, sizeof *c);
    if (!c) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    snprintf(c->key, sizeof c->key, "%s", key);
    c->value = value;
    api_defer(r, run_config, c, free);
}

static const jc_route worklist_routes[] = {
    {"GET", "/api/v1/worklist", h_list_get, VIEWERS, NULL},
    {"POST", "/api/v1/worklist", h_list_import, STREET, "*"},
    {"GET", "/api/v1/worklist/versions", h_versions, VIEWERS, NULL},
    {"GET", "/api/v1/worklist/fields", h_fields, VIEWERS, NULL},
    {"PUT", "/api/v1/worklist/items/:code", h_item_put, STREET, "name,kind,basis,depts,note"},
    {"DELETE", "/api/v1/worklist/items/:code", h_item_delete, STREET, NULL},
    {"POST", "/api/v1/tasks", h_task_submit, SENDERS,
     "title,kind,item,communities,deadline,attachments,fields,resources"},
    {"GET", "/api/v1/tasks", h_tasks, VIEWERS, NULL},
    {"GET", "/api/v1/tasks/:id", h_task_get, VIEWERS, NULL},
    {"POST", "/api/v1/tasks/:id/exception", h_task_exception, STREET, "reason"},
    {"POST", "/api/v1/tasks/:id/done", h_task_done, R(COMMUNITY_STAFF) | STREET, "community,note"},
    {"GET", "/api/v1/burden", h_burden, VIEWERS, NULL},
    {"PUT", "/api/v1/burden/config", h_config, STREET, "key,value"},
};

static const jc_route_table worklist_table = {worklist_routes, JC_ARRAY_LEN(worklist_routes)};

/* ---- admission: the decision on a submitted task ----------------------------------
 * A task is admitted when its item is on the active work list and the
 * sender's department may request it (a resourced item only with resources
 * attached); a data request whose every field the platform holds is
 * answered from the store instead of reaching the communities; anything
 * else is refused with the reason, stored with the list version it was
 * decided against (worklist_sqlite.c stores it). */

static const char *const task_kinds[] = {"task", "form", "report", "inspection",
                                         "meeting", "signboard", "data_request"};

static int kind_known(const char *k) {
    for (size_t i = 0; i < JC_ARRAY_LEN(task_kinds); i++)
        if (!strcmp(k, task_kinds[i])) return 1;
    return 0;
}

static int dept_allowed(const char *depts, const char *dept) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", depts);
    char *save = NULL;
    for (char *t = strtok_r(buf, ";", &save); t; t = strtok_r(NULL, ";", &save))
        if (!strcmp(t, "*") || !strcmp(t, dept)) return 1;
    return 0;
}

jc_err worklist_task_submit(jc_conn *w, const jc_user *actor, const wl_task_in *in, int64_t now_ms,
                            json_t **out, char *msg, size_t msz) {
    jc_err e;
    if (!kind_known(in->kind)) {
        snprintf(msg, msz, "unknown task kind '%s'", in->kind);
        return JC_ERR_INVALID;
    }
    if (in->ncommunities == 0 || in->ncommunities > WL_MAX_TARGETS) {
        snprintf(msg, msz, "give 1 to %d communities", WL_MAX_TARGETS);
        return JC_ERR_INVALID;
    }
    if (!strcmp(in->kind, "data_request") && in->nfields == 0) {
        snprintf(msg, msz, "a data request names the fields it asks for");
        return JC_ERR_INVALID;
    }
    /* Who sends: a department by its code, the street as "street". */
    char dept[32] = "street";
    if (actor->role == ROLE_DEPT_STAFF) {
        jc_dept d;
        if (store_dept_get(w, actor->dept_id, &d)) {
            snprintf(msg, msz, "your account has no department");
            return JC_ERR_DENIED;
        }
        snprintf(dept, sizeof dept, "%s", d.code);
    } else if (!wl__street_role(actor->role)) {
        snprintf(msg, msz, "role %s may not send tasks to communities", role_name(actor->role));
        return JC_ERR_DENIED;
    }
    for (size_t i = 0; i < in->ncommunities; i++) {
        jc_area a;
        memset(&a, 0, sizeof a);
        const char *cc = in->communities[i];
        if (store_area_get(w, cc, &a) || strcmp(a.level, "community")) {
            area_clear(&a);
            snprintf(msg, msz, "unknown community '%s'", cc);
            return JC_ERR_INVALID;
        }
        area_clear(&a);
        if (actor->role != ROLE_DEPT_STAFF && actor->role != ROLE_ADMIN && actor->area[0] &&
            strncmp(cc, actor->area, strlen(actor->area))) {
            snprintf(msg, msz, "community %s is outside your scope %s", cc, actor->area);
            return JC_ERR_DENIED;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(in->communities[j], cc)) {
                snprintf(msg, msz, "community %s is listed twice", cc);
                return JC_ERR_INVALID;
            }
    }
    int64_t version;
    if ((e = worklist_active_version(w, &version))) return e;

    /* The decision. */
    /* the reason as a code the reader's UI words (src/reason.h) */
    const char *decision = "admitted";
    char reason[1400] = "";
    reason_buf rb;
    json_t *answer = NULL;
    wl_item it;
    memset(&it, 0, sizeof it);
    int all_answerable = !strcmp(in->kind, "data_request") && in->nfields > 0;
    for (size_t i = 0; all_answerable && i < in->nfields; i++)
        all_answerable = wl__field_answerable(w, in->fields[i]);
    if (all_answerable) {
        decision = "answered_from_store";
        reason_begin(&rb, reason, sizeof reason, "task_answered");
        reason_int(&rb, "n", (int64_t)in->nfields);
        reason_end(&rb);
        answer = json_object();
        for (size_t i = 0; i < in->ncommunities; i++) {
            json_t *per = json_object();
            for (size_t j = 0; j < in->nfields; j++) {
                json_t *v = NULL;
                if ((e = wl__answer_field(w, in->fields[j], in->communities[i], &v))) {
                    json_decref(per);
                    json_decref(answer);
                    return e;
                }
                json_object_set_new(per, in->fields[j], v);
            }
            json_object_set_new(answer, in->communities[i], per);
        }
    } else if (version == 0) {
        decision = "refused";
        reason_begin(&rb, reason, sizeof reason, "task_no_list");
        reason_end(&rb);
    } else {
        int k = wl__item_get(w, version, in->item, &it);
        if (k < 0) return JC_ERR_DB;
        if (k == 1) {
            decision = "refused";
            reason_begin(&rb, reason, sizeof reason, "task_not_listed");
            reason_str(&rb, "item", in->item);
            reason_int(&rb, "version", version);
        } else if (!dept_allowed(it.depts, dept)) {
            decision = "refused";
            reason_begin(&rb, reason, sizeof reason, "task_sender");
            reason_str(&rb, "dept", dept);
            reason_str(&rb, "item", it.code);
            reason_str(&rb, "name", it.name);
            reason_str(&rb, "allowed", it.depts);
        } else if (!strcmp(it.kind, "resourced") && (!in->resources || !*in->resources)) {
            decision = "refused";
            reason_begin(&rb, reason, sizeof reason, "task_resources");
            reason_str(&rb, "item", it.code);
            reason_str(&rb, "name", it.name);
        } else {
            reason_begin(&rb, reason, sizeof reason, "task_admitted");
            reason_str(&rb, "item", it.code);
            reason_str(&rb, "name", it.name);
            reason_str(&rb, "kind", it.kind);
            reason_int(&rb, "version", version);
            reason_str(&rb, "basis", it.basis);
        }
        reason_end(&rb);
    }

    /* Store the task and its copies. */
    const char *tstatus = !strcmp(decision, "admitted") ? "received"
                          : !strcmp(decision, "refused") ? "refused" : "answered";
    wl__task_row row = {in, actor, dept, now_ms, version, decision, reason, answer, tstatus};
    int64_t id;
    e = wl__task_store(w, &row, &id);
    json_decref(answer);
    if (e) return e;
    char why[1600];
    reason_begin(&rb, why, sizeof why, "task_decided");
    reason_int(&rb, "task", id);
    reason_str(&rb, "decision", decision);
    reason_raw(&rb, "r", reason);
    reason_end(&rb);
    const char *action = !strcmp(decision, "admitted") ? "task_admit"
                         : !strcmp(decision, "refused") ? "task_refuse" : "task_answer_store";
    if ((e = auth_audit(w, actor, action, why))) return e;
    return wl__task_json(w, id, out);
}

/* ---- the module's decisions over its rows (worklist_store.h) ---------------- */

jc_err worklist_active_version(jc_conn *c, int64_t *version) { return wl_db(c)->active_version(c, version); }

int wl__item_get(jc_conn *c, int64_t v, const char *code, wl_item *it) { return wl_db(c)->item_get(c, v, code, it); }

int wl__field_answerable(jc_conn *c, const char *field) { return wl_db(c)->field_answerable(c, field); }

jc_err wl__answer_field(jc_conn *c, const char *field, const char *community, json_t **out) {
    return wl_db(c)->answer_field(c, field, community, out);
}

jc_err wl__task_store(jc_conn *w, const wl__task_row *t, int64_t *id) { return wl_db(w)->task_store(w, t, id); }

jc_err wl__task_json(jc_conn *c, int64_t id, json_t **out) { return wl_db(c)->task_json(c, id, out); }

jc_err worklist_items_get(jc_conn *c, int64_t version, wl_item **items, size_t *n) {
    return wl_db(c)->items_get(c, version, items, n);
}

jc_err worklist_versions_json(jc_conn *c, json_t **out) { return wl_db(c)->versions_json(c, out); }

jc_err worklist_config_get(jc_conn *c, const char *key, double dflt, double *out) {
    return wl_db(c)->config_get(c, key, dflt, out);
}

jc_err worklist_put_version(jc_conn *w, const jc_user *actor, const wl_item *items, size_t n,
                            const char *note, int64_t *version, char *msg, size_t msz) {
    if (n == 0 || n > WL_MAX_ITEMS) {
        snprintf(msg, msz, "a work list holds 1 to %d items", WL_MAX_ITEMS);
        return JC_ERR_INVALID;
    }
    /* Every department named must exist (or be "*" / "street"). */
    for (size_t i = 0; i < n; i++) {
        char buf[sizeof items[i].depts];
        snprintf(buf, sizeof buf, "%s", items[i].depts);
        char *save = NULL;
        for (char *t = strtok_r(buf, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
            if (!strcmp(t, "*") || !strcmp(t, "street")) continue;
            if (!wl_db(w)->dept_known(w, t)) {
                snprintf(msg, msz, "item %s: unknown department '%s'", items[i].code, t);
                return JC_ERR_INVALID;
            }
        }
    }
    int64_t v;
    jc_err e = wl_db(w)->version_insert(w, actor->name, note, items, n, jc_now_ms(), &v, msg, msz);
    if (e) return e;
    char why[600];
    reason_buf b;
    reason_begin(&b, why, sizeof why, "worklist_version");
    reason_int(&b, "version", v);
    reason_int(&b, "items", (int64_t)n);
    reason_str(&b, "note", note && *note ? note : NULL);
    if ((e = auth_audit(w, actor, "worklist_version", reason_end(&b)))) return e;
    *version = v;
    return JC_OK;
}

jc_err worklist_config_set(jc_conn *w, const jc_user *actor, const char *key, double value) {
    jc_err e = wl_db(w)->config_put(w, key, value, actor->name, jc_now_ms());
    if (e) return e;
    /* a code (docs/audit.md); the key is one of the known settings (worklist.c) */
    char changes[160], why[300];
    snprintf(changes, sizeof changes, "{\"%s\":%g}", key, value);
    reason_buf rb;
    reason_begin(&rb, why, sizeof why, "settings");
    reason_str(&rb, "of", "burden");
    reason_raw(&rb, "changes", changes);
    return auth_audit(w, actor, "worklist_config", reason_end(&rb));
}

const worklist_setting worklist_settings[] = {
    {"limit.tasks_per_community_month", 8}, {"hours.task", 2},       {"hours.form", 1.5},
    {"hours.report", 3},                    {"hours.inspection", 4}, {"hours.meeting", 2},
    {"hours.signboard", 1},                 {"hours.data_request", 1},
};
const size_t worklist_nsettings = JC_ARRAY_LEN(worklist_settings);

/* The default of a setting; 0 for a key that is not one. */
static double setting_default(const char *key) {
    for (size_t i = 0; i < worklist_nsettings; i++)
        if (!strcmp(key, worklist_settings[i].key)) return worklist_settings[i].dflt;
    return 0;
}

static double kind_hours(jc_conn *c, const char *kind) {
    char key[48];
    snprintf(key, sizeof key, "hours.%s", kind);
    double d = setting_default(key), h = d;
    if (d && worklist_config_get(c, key, d, &h)) h = d;
    return h;
}

jc_err worklist_task_exception(jc_conn *w, const jc_user *actor, int64_t task_id, const char *reason,
                               int64_t now_ms, json_t **out, char *msg, size_t msz) {
    if (!wl__street_role(actor->role)) {
        snprintf(msg, msz, "only the street (dispatcher, supervisor) grants exceptions");
        return JC_ERR_DENIED;
    }
    char decision[32];
    jc_err e = wl_db(w)->task_decision(w, task_id, decision, sizeof decision);
    if (e == JC_ERR_NOTFOUND) snprintf(msg, msz, "no task %lld", (long long)task_id);
    if (e) return e;
    if (strcmp(decision, "refused")) {
        snprintf(msg, msz, "task %lld was not refused; no exception needed", (long long)task_id);
        return JC_ERR_CONFLICT;
    }
    /* The street's scope must cover every community of the task. */
    if (actor->role != ROLE_ADMIN && actor->area[0]) {
        int64_t outside;
        if ((e = wl_db(w)->task_outside(w, task_id, actor->area, &outside))) return e;
        if (outside) {
            snprintf(msg, msz, "the task goes to communities outside your scope %s", actor->area);
            return JC_ERR_DENIED;
        }
    }
    e = wl_db(w)->task_set_exception(w, task_id, actor->name, reason, now_ms);
    if (e == JC_ERR_CONFLICT) snprintf(msg, msz, "task %lld was not refused; no exception needed", (long long)task_id);
    if (e) return e;
    char why[1400];
    reason_buf rb;
    reason_begin(&rb, why, sizeof why, "task_exception");
    reason_int(&rb, "task", task_id);
    reason_str(&rb, "note", reason);
    reason_end(&rb);
    if ((e = auth_audit(w, actor, "task_exception", why))) return e;
    return wl__task_json(w, task_id, out);
}

jc_err worklist_task_done(jc_conn *w, const jc_user *actor, int64_t task_id, const char *community,
                          int64_t now_ms, json_t **out, char *msg, size_t msz) {
    if (actor->role == ROLE_COMMUNITY_STAFF) {
        if (community && strcmp(community, actor->area)) {
            snprintf(msg, msz, "community %s is not yours", community);
            return JC_ERR_DENIED;
        }
        community = actor->area;
    } else if (!(wl__street_role(actor->role) && community && actor->area[0] &&
                 !strncmp(community, actor->area, strlen(actor->area))) &&
               !(actor->role == ROLE_ADMIN && community)) {
        snprintf(msg, msz, "only the community marks its task done");
        return JC_ERR_DENIED;
    }
    char st[16];
    jc_err e = wl_db(w)->target_status(w, task_id, community, st, sizeof st);
    if (e == JC_ERR_NOTFOUND) snprintf(msg, msz, "no task %lld for community %s", (long long)task_id, community);
    if (e) return e;
    if (strcmp(st, "received")) {
        snprintf(msg, msz, "task %lld is %s for %s, not received", (long long)task_id, st, community);
        return JC_ERR_CONFLICT;
    }
    e = wl_db(w)->target_done(w, task_id, community, now_ms, actor->name);
    if (e == JC_ERR_CONFLICT) snprintf(msg, msz, "task %lld is no longer received for %s", (long long)task_id, community);
    if (e) return e;
    char why[160];
    reason_buf rb;
    reason_begin(&rb, why, sizeof why, "task_done");
    reason_int(&rb, "task", task_id);
    reason_str(&rb, "area", community);
    reason_end(&rb);
    if ((e = auth_audit(w, actor, "task_done", why))) return e;
    return wl__task_json(w, task_id, out);
}

/* The viewer's filters: scope (a prefix of communities) or dept (the
 * sender's code, dept staff); JC_ERR_DENIED for a role that sees no task. */
static jc_err viewer_filter(jc_conn *c, const jc_user *viewer, int any_role, const char **scope,
                            char *dept, size_t dsz) {
    *scope = NULL;
    dept[0] = 0;
    switch (viewer->role) {
    case ROLE_DEPT_STAFF: {
        jc_dept d;
        if (store_dept_get(c, viewer->dept_id, &d)) return JC_ERR_DENIED;
        snprintf(dept, dsz, "%s", d.code);
        return JC_OK;
    }
    case ROLE_ADMIN:
        return JC_OK;
    case ROLE_COMMUNITY_STAFF:
    case ROLE_DISPATCHER:
    case ROLE_SUPERVISOR:
    case ROLE_GRID_WORKER:
        break;
    default:
        if (!any_role) return JC_ERR_DENIED;
        break;
    }
    *scope = viewer->area[0] ? viewer->area : NULL;
    return *scope ? JC_OK : JC_ERR_DENIED;
}

jc_err worklist_tasks_list(jc_conn *c, const jc_user *viewer, const char *community, int64_t task_id,
                           int limit, json_t **out) {
    if (limit < 1 || limit > WL_LIST_MAX) limit = 100;
    char dept[32];
    const char *scope;
    jc_err e = viewer_filter(c, viewer, 0, &scope, dept, sizeof dept);
    if (e) return e;
    int64_t ids[WL_LIST_MAX];
    int n = 0;
    if ((e = wl_db(c)->task_ids(c, community, scope, dept[0] ? dept : NULL, task_id, limit, ids, &n))) return e;
    json_t *arr = json_array();
    for (int k = 0; k < n; k++) {
        json_t *t = NULL;
        if (wl__task_json(c, ids[k], &t) != JC_OK) continue;
        /* Community staff see only their own copy's status. */
        if (viewer->role == ROLE_COMMUNITY_STAFF) {
            json_t *cs = json_object_get(t, "communities"), *keep = json_array();
            size_t i;
            json_t *v;
            json_array_foreach(cs, i, v) {
                if (!strcmp(json_string_value(json_object_get(v, "community")), viewer->area))
                    json_array_append(keep, v);
            }
            json_object_set_new(t, "communities", keep);
            json_t *ans = json_object_get(t, "answer");
            if (json_is_object(ans)) {
                json_t *mine = json_object_get(ans, viewer->area);
                json_object_set_new(t, "answer", mine ? json_pack("{s:O}", viewer->area, mine) : json_null());
            }
        }
        json_array_append_new(arr, t);
    }
    *out = arr;
    return JC_OK;
}

/* The burden being counted: per community, per department, the pairs. */
typedef struct {
    jc_conn *c;
    json_t *comms, *depts, *pairs;
} burden_acc;

static int burden_add(const wl_burden_row *r, void *arg) {
    burden_acc *a = arg;
    static const char *const keys[] = {"received", "refused", "exceptions", "forms", "reports",
                                       "answered_from_store", "done"};
    const char *names[2] = {r->community, r->dept};
    json_t *maps[2] = {a->comms, a->depts};
    int64_t n = r->n;
    int delivered = !strcmp(r->status, "received") || !strcmp(r->status, "done");
    for (int k = 0; k < 2; k++) {
        json_t *o = json_object_get(maps[k], names[k]);
        if (!o) {
            o = json_object();
            for (size_t i = 0; i < JC_ARRAY_LEN(keys); i++) json_object_set_new(o, keys[i], json_integer(0));
            json_object_set_new(o, "hours", json_real(0));
            json_object_set_new(maps[k], names[k], o);
        }
#define BUMP(key, v) json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + (v)))
        if (delivered) BUMP("received", n);
        if (!strcmp(r->status, "done")) BUMP("done", n);
        if (!strcmp(r->status, "refused")) BUMP("refused", n);
        if (!strcmp(r->decision, "exception")) BUMP("exceptions", n);
        if (delivered && !strcmp(r->kind, "form")) BUMP("forms", n);
        if (delivered && !strcmp(r->kind, "report")) BUMP("reports", n);
        if (!strcmp(r->status, "answered")) BUMP("answered_from_store", n);
#undef BUMP
        if (delivered)
            json_object_set_new(o, "hours", json_real(json_real_value(json_object_get(o, "hours")) +
                                                      (double)n * kind_hours(a->c, r->kind)));
    }
    if (delivered) {
        char key[80];
        snprintf(key, sizeof key, "%s|%s", r->dept, r->community);
        json_object_set_new(a->pairs, key, json_integer(json_integer_value(json_object_get(a->pairs, key)) + n));
    }
    return 0;
}

jc_err worklist_burden(jc_conn *c, const jc_user *viewer, const char *month, json_t **out) {
    int64_t t0, t1;
    jc_err e = wl__month_bounds(month, &t0, &t1);
    if (e) return e;
    char dept[32];
    const char *scope;
    if ((e = viewer_filter(c, viewer, 1, &scope, dept, sizeof dept))) return e;
    double limit;
    if ((e = worklist_config_get(c, "limit.tasks_per_community_month",
                                 setting_default("limit.tasks_per_community_month"), &limit)))
        return e;
    burden_acc a = {c, json_object(), json_object(), json_object()};
    if ((e = wl_db(c)->burden_each(c, t0, t1, scope, dept[0] ? dept : NULL, burden_add, &a))) {
        json_decref(a.comms);
        json_decref(a.depts);
        json_decref(a.pairs);
        return e;
    }
    json_t *warnings = json_array();
    const char *key;
    json_t *v;
    json_object_foreach(a.pairs, key, v) {
        if ((double)json_integer_value(v) > limit) {
            char dc[40];
            const char *bar = strchr(key, '|');
            snprintf(dc, sizeof dc, "%.*s", (int)(bar - key), key);
            char text[200];
            snprintf(text, sizeof text, "%s sent %lld tasks to community %s in %s (limit %g)", dc,
                     (long long)json_integer_value(v), bar + 1, month, limit);
            json_array_append_new(warnings, json_pack("{s:s,s:s,s:I,s:f,s:s}", "dept", dc, "community",
                                                      bar + 1, "tasks", (json_int_t)json_integer_value(v),
                                                      "limit", limit, "message", text));
        }
    }
    json_decref(a.pairs);
    /* Objects to arrays with the key inside, sorted by key (jansson keeps
     * insertion order and the query is ordered by community). */
    json_t *ca = json_array(), *da = json_array();
    json_object_foreach(a.comms, key, v) {
        json_object_set_new(v, "community", json_string(key));
        json_array_append(ca, v);
    }
    json_object_foreach(a.depts, key, v) {
        json_object_set_new(v, "dept", json_string(key));
        json_array_append(da, v);
    }
    json_decref(a.comms);
    json_decref(a.depts);
    *out = json_pack("{s:s,s:o,s:o,s:o,s:f}", "month", month, "communities", ca, "depts", da,
                     "warnings", warnings, "limit", limit);
    return JC_OK;
}

typedef struct {
    jc_conn *c;
    json_t *arr;
} fields_acc;

static int field_add(const char *field, const char *description, void *arg) {
    fields_acc *a = arg;
    json_array_append_new(a->arr, json_pack("{s:s,s:s,s:b}", "field", field, "description", description,
                                            "answerable", wl__field_answerable(a->c, field)));
    return 0;
}

jc_err worklist_fields_json(jc_conn *c, json_t **out) {
    fields_acc a = {c, json_array()};
    jc_err e = wl_db(c)->fields_each(c, field_add, &a);
    if (e) {
        json_decref(a.arr);
        return e;
    }
    *out = a.arr;
    return JC_OK;
}

jc_err worklist_seed_demo(jc_conn *w, const char *data_dir) {
    int64_t v;
    jc_err e = worklist_active_version(w, &v);
    if (e) return e;
    jc_user sys;
    auth_system_actor(&sys, "demo");
    if (v == 0) {
        char path[512];
        snprintf(path, sizeof path, "%s/worklist.csv", data_dir ? data_dir : "data");
        FILE *f = fopen(path, "rb");
        if (!f) {
            jc_log(JC_LOG_ERROR, "worklist: cannot open %s", path);
            return JC_ERR_IO;
        }
        jc_buf b;
        jc_buf_init(&b, WL_MAX_CSV);
        char chunk[8192];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
            if ((e = jc_buf_append(&b, chunk, got))) break;
        fclose(f);
        if (e) {
            jc_buf_free(&b);
            return e;
        }
        wl_item *items = NULL;
        size_t n = 0;
        jc_buf errs;
        jc_buf_init(&errs, 64 * 1024);
        e = worklist_parse_csv(b.data ? b.data : "", b.len, &items, &n, &errs);
        jc_buf_free(&b);
        if (e) {
            jc_log(JC_LOG_ERROR, "worklist: %s: %s", path, errs.data ? errs.data : "?");
            jc_buf_free(&errs);
            return e;
        }
        jc_buf_free(&errs);
        char msg[256];
        e = worklist_put_version(w, &sys, items, n, NULL, &v, msg, sizeof msg);
        free(items);
        if (e) {
            jc_log(JC_LOG_ERROR, "worklist: demo list: %s", msg);
            return e;
        }
    }
    /* Base counts per community until the base-data issue imports real
     * ones: deterministic plausible figures, as of the seeding time. */
    int have;
    if ((e = wl_db(w)->base_counts_any(w, &have)) || have) return e;
    return wl_db(w)->base_counts_seed(w, jc_now_ms());
}

/* The worklist module's row (src/modules.c). */
const jc_module module_worklist = {
    .name = "worklist",
    .schema = {[JC_STORE_SQLITE] = &schema_worklist, [JC_STORE_PG] = &schema_worklist_pg},
    .store = {[JC_STORE_SQLITE] = &worklist_store_sqlite, [JC_STORE_PG] = &worklist_store_pg},
    .routes = {&worklist_table, &worklist__burden_config_routes},
};
