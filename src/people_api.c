/*
 * people_api.c -- the people subsystem over HTTP (docs/people.md "API"):
 * sources and their mappings, imports (a file as the raw body) with their
 * progress, the review queue and its decisions, persons (golden records
 * with provenance and their records), an unmasked read with a stated
 * purpose, withdrawal of a source, and the counts per community.
 *
 * Who sees what: admin everything; dispatchers and community staff the
 * persons of their area (its code a prefix of the person's community),
 * with names and addresses; supervisors counts and masked lists.  ID numbers
 * and phones are masked in every answer; only POST .../unmask, with a
 * purpose, shows them, and writes an audit entry.  The key is read from the
 * key file beside the database (or $JICENG_PEOPLE_KEY; on PostgreSQL only
 * that) at first use.
 */
#include "people.h"
#include "people_int.h"
#include "people_store.h"
#include "auth.h"
#include "http.h"
#include "reason.h"
#include "store.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define R(x) ROLE_BIT(ROLE_##x)
#define READERS (R(ADMIN) | R(DISPATCHER) | R(SUPERVISOR) | R(COMMUNITY_STAFF))
#define WRITERS (R(ADMIN) | R(DISPATCHER))

/* ---- the key, loaded once ---------------------------------------------------------- */

static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;
static people_keys *server_keys;

static const people_keys *keys_for(jc_conn *c, char *why, size_t whysz) {
    pthread_mutex_lock(&key_mu);
    if (!server_keys) {
        char path[1024];
        /* no file beside a PostgreSQL database: $JICENG_PEOPLE_KEY names it */
        jc_err e = pstore_db_path(c, path, sizeof path);
        if ((e && e != JC_ERR_NOTFOUND) || people_keys_open(e ? NULL : path, NULL, &server_keys, why, whysz))
            server_keys = NULL;
    }
    people_keys *k = server_keys;
    pthread_mutex_unlock(&key_mu);
    return k;
}

/* ---- progress of the running import ------------------------------------------------ */

static pthread_mutex_t prog_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char source[64], phase[16];
    int64_t done, total, started_at;
    int running;
} prog;

static void on_progress(void *arg, const char *phase, int64_t done, int64_t total) {
    (void)arg;
    pthread_mutex_lock(&prog_mu);
    snprintf(prog.phase, sizeof prog.phase, "%s", phase);
    prog.done = done, prog.total = total;
    pthread_mutex_unlock(&prog_mu);
}

/* ---- scope -------------------------------------------------------------------------- */

static int sees_names(const jc_user *u) {
    return u->role == ROLE_ADMIN || u->role == ROLE_DISPATCHER || u->role == ROLE_COMMUNITY_STAFF;
}

/* Whether u may see a person or record of community comm. */
static int in_scope(const jc_user *u, const char *comm) {
    if (u->role == ROLE_ADMIN || !u->area[0]) return 1;
    if (!comm || !comm[0] || comm[0] < '0' || comm[0] > '9') return u->role == ROLE_DISPATCHER; /* unresolved */
    return !strncmp(comm, u->area, strlen(u->area));
}

static const char *scope_prefix(const jc_user *u) { return u->role == ROLE_ADMIN ? "" : u->area; }

static json_t *person_json(const jc_user *u, const pstore_person *p) {
    char nm[64];
    const char *name = p->name;
    if (!sees_names(u)) people_mask_name(p->name, nm, sizeof nm), name = nm;
    char sex[2] = {p->sex, 0};
    json_t *o = json_pack("{s:I,s:s,s:s,s:i,s:s,s:s,s:s,s:i,s:i,s:s?,s:I}", "id", (json_int_t)p->id, "name", name,
                          "sex", sex, "birth_date", p->birth, "id_number", p->id_mask, "phone", p->phone_mask,
                          "community", p->community, "records", p->records, "flags", p->flags, "household_no",
                          sees_names(u) && p->household[0] ? p->household : NULL, "updated_at",
                          (json_int_t)p->updated_at);
    if (sees_names(u)) json_object_set_new(o, "address", json_string(p->address));
    json_t *src = json_loads(p->sources, 0, NULL);
    json_object_set_new(o, "sources", src ? src : json_array());
    return o;
}

static json_t *levels_json(const char *lv) {
    json_t *o = json_object();
    for (int f = 0; f < LF_COUNT && lv[f]; f++)
        json_object_set_new(o, people__lf_name(f), json_string(people__level_name(f, lv[f] - '0')));
    return o;
}

typedef struct {
    const jc_user *u;
    json_t *out;
} rec_ctx;

static int record_row(const pstore_record *r, void *arg) {
    rec_ctx *c = arg;
    char nm[64];
    const char *name = r->name;
    if (!sees_names(c->u)) people_mask_name(r->name, nm, sizeof nm), name = nm;
    char sex[2] = {r->sex, 0};
    json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:i,s:I,s:I}", "rowid", (json_int_t)r->rowid, "source",
                          r->source, "record_id", r->record_id, "name", name, "sex", sex, "birth_date", r->birth,
                          "id_number", r->id_mask, "phone", r->phone_mask, "community", r->community, "flags",
                          r->flags, "person_id", (json_int_t)r->person_id, "updated_at", (json_int_t)r->updated_at);
    if (sees_names(c->u)) {
        json_object_set_new(o, "address", json_string(r->address));
        if (r->household && r->household[0]) json_object_set_new(o, "household_no", json_string(r->household));
    }
    json_array_append_new(c->out, o);
    return 0;
}

/* ---- sources -------------------------------------------------------------------------- */

static int source_row(const pstore_source *s, void *arg) {
    json_array_append_new(arg, people_source_json(s));
    return 0;
}

static void h_sources(jc_req *r) {
    json_t *arr = json_array();
    if (pstore_source_each(r->db, source_row, arr)) {
        json_decref(arr);
        return http_reply_error(r, JC_ERR_DB, "sources");
    }
    json_t *fields = json_array();
    for (int f = 0; f < PF_COUNT; f++) json_array_append_new(fields, json_string(people_field_name((people_field)f)));
    http_reply_json(r, 200, json_pack("{s:o,s:o}", "sources", arr, "fields", fields));
}


typedef struct {
    char key[64], name[128];
    char *mapping;
} mapping_job;

static void mapping_free(void *p) {
    mapping_job *j = p;
    free(j->mapping);
    free(j);
}

static jc_err run_mapping(jc_conn *w, jc_deferred *d) {
    mapping_job *j = d->data;
    jc_err e = pstore_source_put(w, j->key, j->name, j->mapping, jc_now_ms());
    if (e) return e;
    pstore_source saved; /* the source's name, also when this call did not set it */
    memset(&saved, 0, sizeof saved);
    if ((e = pstore_source_get(w, j->key, &saved))) return e;
    free(saved.mapping);
    char reason[400];
    reason_buf rb;
    reason_begin(&rb, reason, sizeof reason, "people_mapping");
    reason_str(&rb, "source", j->key);
    reason_str(&rb, "name", saved.name[0] ? saved.name : NULL);
    reason_int(&rb, "mapping", j->mapping != NULL);
    reason_end(&rb);
    if ((e = auth_audit(w, &d->user, "people.mapping", reason))) return e;
    d->status = 200;
    d->body = json_pack("{s:s,s:s}", "key", j->key, "status", "saved");
    return JC_OK;
}

/* PUT /api/v1/people/sources/:key {name, mapping: {header: field}} */
static void h_put_source(jc_req *r) {
    const char *key = r->params[0];
    if (!people_source_key_ok(key)) return http_reply_error(r, JC_ERR_INVALID, "a source key is letters, digits, _ and -");
    const char *name = "";
    if (api_get_str(r, "name", 60, &name) < 0) return;
    json_t *m = json_object_get(r->json, "mapping");
    if (m && !json_is_object(m)) return http_reply_error(r, JC_ERR_INVALID, "mapping must be an object {header: field}");
    const char *h;
    json_t *v;
    if (json_object_size(m) > PEOPLE_MAX_COLS) return http_reply_error(r, JC_ERR_TOOBIG, "too many columns");
    json_object_foreach(m, h, v) {
        if (!json_is_string(v) || people_field_parse(json_string_value(v)) < 0)
            return http_reply_error(r, JC_ERR_INVALID, "mapping: '%s' is not a field (name, id_number, ...)", h);
        if (strlen(h) > 200) return http_reply_error(r, JC_ERR_INVALID, "mapping: a header is too long");
    }
    mapping_job *j = calloc(1, sizeof *j);
    if (!j) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    snprintf(j->key, sizeof j->key, "%s", key);
    snprintf(j->name, sizeof j->name, "%s", name);
    /* no mapping in the body: the saved one stays (a source renamed keeps its mapping) */
    if (m && !(j->mapping = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS))) {
        free(j);
        return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    }
    api_defer(r, run_mapping, j, mapping_free);
}

/* ---- imports ---------------------------------------------------------------------------- */

typedef struct {
    people_import_req q;
    people_import_result res;
    char source[64], file[256], map[2048];
    char *data;
    json_t *rows; /* a dry run's report (first 500 rows) */
} import_job;

static void import_free(void *p) {
    import_job *j = p;
    free(j->data);
    json_decref(j->rows);
    free(j);
}

static void on_row(void *arg, int row, const char *record_id, const char *action, const char *note) {
    import_job *j = arg;
    if (json_array_size(j->rows) < 500)
        json_array_append_new(j->rows, json_pack("{s:i,s:s,s:s,s:s}", "row", row, "record_id", record_id, "action", action,
                                                 "note", note));
}

static void progress_cb(void *arg, const char *phase, int64_t done, int64_t total) { on_progress(arg, phase, done, total); }

static json_t *mapping_json(const people_mapping *m) {
    static const char *const how[] = {"attribute", "header", "values", "saved", "hand"};
    json_t *a = json_array();
    for (int c = 0; c < m->ncols; c++)
        json_array_append_new(a, json_pack("{s:i,s:s,s:s,s:s}", "column", c, "header", m->header[c], "field",
                                           people_field_name((people_field)m->field[c]), "how",
                                           how[m->how[c] < 5 ? m->how[c] : 0]));
    return a;
}

static jc_err run_import(jc_conn *w, jc_deferred *d) {
    import_job *j = d->data;
    pthread_mutex_lock(&prog_mu);
    snprintf(prog.source, sizeof prog.source, "%s", j->source);
    prog.running = 1, prog.started_at = jc_now_ms(), prog.done = 0, prog.total = (int64_t)j->q.len;
    pthread_mutex_unlock(&prog_mu);
    j->q.actor = &d->user;
    jc_err e = people_import(w, &j->q, &j->res);
    pthread_mutex_lock(&prog_mu);
    prog.running = 0;
    snprintf(prog.phase, sizeof prog.phase, "%s", e ? "failed" : "done");
    pthread_mutex_unlock(&prog_mu);
    if (e == JC_ERR_INVALID && j->q.dry_run && j->res.missing) {
        /* a preview whose header names no name or ID number column: the proposed mapping all the
         * same, so that the form can set the column by hand (the import itself is refused) */
        d->status = 200;
        d->body = json_pack("{s:s,s:s,s:b,s:s,s:s,s:I,s:o,s:o}", "source", j->source, "file", j->file, "dry_run", 1,
                            "missing", j->res.missing, "message", j->res.why, "header_row",
                            (json_int_t)j->res.mapping.header_row + 1, "mapping", mapping_json(&j->res.mapping),
                            "report", json_array());
        return JC_OK;
    }
    if (e) {
        snprintf(d->message, sizeof d->message, "%.250s", j->res.why[0] ? j->res.why : "the import failed");
        return e;
    }
    pstore_import *im = &j->res.im;
    d->status = j->q.dry_run ? 200 : 201;
    d->body = json_pack("{s:s,s:s,s:s,s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "source", j->source, "file",
                        j->file, "format", im->format, "encoding", im->encoding, "dry_run", j->q.dry_run, "rows",
                        (json_int_t)im->rows, "added", (json_int_t)im->added, "updated", (json_int_t)im->updated,
                        "retired", (json_int_t)im->retired, "unchanged", (json_int_t)im->unchanged, "skipped",
                        (json_int_t)im->skipped, "persons", (json_int_t)j->res.link.persons, "review",
                        (json_int_t)j->res.link.review, "compared", (json_int_t)j->res.link.compared, "mapping",
                        mapping_json(&j->res.mapping));
    json_object_set_new(d->body, "header_row", json_integer(j->res.mapping.header_row + 1));
    if (j->q.dry_run) json_object_set(d->body, "report", j->rows);
    return JC_OK;
}

/* POST /api/v1/people/sources/:key/import?file=NAME&dry_run=1&map=H=f,H=f  (the file as the body) */
static void h_import(jc_req *r) {
    const char *key = r->params[0];
    if (!people_source_key_ok(key)) return http_reply_error(r, JC_ERR_INVALID, "a source key is letters, digits, _ and -");
    if (!r->body_len) return http_reply_error(r, JC_ERR_INVALID, "the body (the file) is empty");
    char why[512] = "";
    const people_keys *k = keys_for(r->db, why, sizeof why);
    if (!k) return http_reply_error(r, JC_ERR_UNAVAILABLE, "the people key cannot be read: %s", why);
    import_job *j = calloc(1, sizeof *j);
    if (!j) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    char dry[8] = "";
    snprintf(j->source, sizeof j->source, "%s", key);
    if (!http_query(r, "file", j->file, sizeof j->file)) snprintf(j->file, sizeof j->file, "upload");
    http_query(r, "map", j->map, sizeof j->map);
    http_query(r, "dry_run", dry, sizeof dry);
    j->data = malloc(r->body_len);
    j->rows = json_array();
    if (!j->data || !j->rows) { import_free(j); return http_reply_error(r, JC_ERR_NOMEM, "out of memory"); }
    memcpy(j->data, r->body, r->body_len);
    j->q = (people_import_req){.source = j->source, .source_name = "", .file_name = j->file,
                               .map = j->map[0] ? j->map : NULL, .data = j->data, .len = r->body_len,
                               .dry_run = !strcmp(dry, "1") || !strcmp(dry, "true"), .keys = k,
                               .on_row = on_row, .on_progress = progress_cb, .arg = j};
    api_defer(r, run_import, j, import_free);
}

static int import_row(const pstore_import *im, void *arg) {
    json_array_append_new(arg, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "id",
                                         (json_int_t)im->id, "source", im->source, "file", im->file_name, "format",
                                         im->format, "encoding", im->encoding, "actor", im->actor, "at",
                                         (json_int_t)im->at, "rows", (json_int_t)im->rows, "added",
                                         (json_int_t)im->added, "updated", (json_int_t)im->updated, "retired",
                                         (json_int_t)im->retired, "unchanged", (json_int_t)im->unchanged, "skipped",
                                         (json_int_t)im->skipped, "persons", (json_int_t)im->persons, "review",
                                         (json_int_t)im->review, "link_ms", (json_int_t)im->link_ms));
    return 0;
}

/* GET /api/v1/people/imports: the last imports and the one running now */
static void h_imports(jc_req *r) {
    json_t *arr = json_array();
    if (pstore_import_each(r->db, NULL, 50, import_row, arr)) {
        json_decref(arr);
        return http_reply_error(r, JC_ERR_DB, "imports");
    }
    pthread_mutex_lock(&prog_mu);
    json_t *p = json_pack("{s:b,s:s,s:s,s:I,s:I,s:I}", "running", prog.running, "source", prog.source, "phase",
                          prog.phase, "done", (json_int_t)prog.done, "total", (json_int_t)prog.total, "started_at",
                          (json_int_t)prog.started_at);
    pthread_mutex_unlock(&prog_mu);
    http_reply_json(r, 200, json_pack("{s:o,s:o}", "imports", arr, "progress", p));
}

/* ---- the review queue -------------------------------------------------------------------- */

typedef struct {
    jc_req *r;
    json_t *out;
} review_ctx;

static int one_record(const pstore_record *rec, void *arg) { return record_row(rec, arg); }

static int review_row(const pstore_review *v, void *arg) {
    review_ctx *c = arg;
    json_t *recs = json_array();
    rec_ctx rc = {&c->r->user, recs};
    if (pstore_record_get(c->r->db, v->a_rowid, one_record, &rc) || pstore_record_get(c->r->db, v->b_rowid, one_record, &rc))
        return 1;
    json_array_append_new(c->out, json_pack("{s:s,s:s,s:s,s:s,s:f,s:f,s:o,s:o}", "a_source", v->a_source, "a_record",
                                            v->a_record, "b_source", v->b_source, "b_record", v->b_record, "prob",
                                            v->prob, "weight", v->weight, "levels", levels_json(v->levels), "records",
                                            recs));
    return 0;
}

/* GET /api/v1/people/review?limit=&offset= */
static void h_review(jc_req *r) {
    char buf[16];
    int limit = 50, offset = 0;
    int64_t n;
    if (http_query(r, "limit", buf, sizeof buf) && !jc_parse_i64(buf, &n) && n > 0 && n <= 500) limit = (int)n;
    if (http_query(r, "offset", buf, sizeof buf) && !jc_parse_i64(buf, &n) && n >= 0 && n <= 1000000) offset = (int)n;
    json_t *arr = json_array();
    review_ctx c = {r, arr};
    int64_t pending = 0, decided = 0;
    if (pstore_review_pending(r->db, scope_prefix(&r->user), limit, offset, review_row, &c) ||
        pstore_review_count(r->db, scope_prefix(&r->user), &pending, &decided)) {
        json_decref(arr);
        return http_reply_error(r, JC_ERR_DB, "review");
    }
    http_reply_json(r, 200, json_pack("{s:o,s:I,s:I}", "pairs", arr, "pending", (json_int_t)pending, "decided",
                                      (json_int_t)decided));
}

typedef struct {
    char as[64], ar[128], bs[64], br[128], decision[16];
    const people_keys *keys;
    people_link_stats st;
} decide_job;

static jc_err run_decide(jc_conn *w, jc_deferred *d) {
    decide_job *j = d->data;
    jc_err e = pstore_review_decide(w, j->as, j->ar, j->bs, j->br, j->decision, d->user.name, jc_now_ms());
    if (e == JC_ERR_NOTFOUND) {
        snprintf(d->message, sizeof d->message, "that pair is not in the review queue");
        return e;
    }
    if (e) return e;
    char reason[600];
    people_review_reason(reason, sizeof reason, j->as, j->ar, j->bs, j->br, j->decision);
    if ((e = auth_audit(w, &d->user, "people.review", reason))) return e;
    if ((e = people_link_store(w, j->keys, 0, &j->st))) return e;
    d->status = 200;
    d->body = json_pack("{s:s,s:I}", "decision", j->decision, "persons", (json_int_t)j->st.persons);
    return JC_OK;
}

/* POST /api/v1/people/review {a_source, a_record, b_source, b_record, decision: same|different} */
static void h_decide(jc_req *r) {
    const char *as, *ar, *bs, *br, *dec;
    if (api_need_str(r, "a_source", 63, &as) <= 0 || api_need_str(r, "a_record", 120, &ar) <= 0 ||
        api_need_str(r, "b_source", 63, &bs) <= 0 || api_need_str(r, "b_record", 120, &br) <= 0 ||
        api_need_str(r, "decision", 12, &dec) <= 0)
        return;
    if (strcmp(dec, "same") && strcmp(dec, "different"))
        return http_reply_error(r, JC_ERR_INVALID, "decision is 'same' or 'different'");
    char why[512] = "";
    const people_keys *k = keys_for(r->db, why, sizeof why);
    if (!k) return http_reply_error(r, JC_ERR_UNAVAILABLE, "the people key cannot be read: %s", why);
    if (r->user.role == ROLE_COMMUNITY_STAFF) { /* one of the two must be of the caller's community */
        char ca[64] = "", cb[64] = "";
        if (pstore_record_community(r->db, as, ar, ca, sizeof ca) || pstore_record_community(r->db, bs, br, cb, sizeof cb))
            return http_reply_error(r, JC_ERR_NOTFOUND, "that pair is not in the review queue");
        if (!in_scope(&r->user, ca) && !in_scope(&r->user, cb))
            return http_reply_error(r, JC_ERR_NOTFOUND, "that pair is not in the review queue"); /* not revealed */
    }
    decide_job *j = calloc(1, sizeof *j);
    if (!j) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    int swap = strcmp(as, bs) > 0 || (!strcmp(as, bs) && strcmp(ar, br) > 0);
    snprintf(j->as, sizeof j->as, "%s", swap ? bs : as);
    snprintf(j->ar, sizeof j->ar, "%s", swap ? br : ar);
    snprintf(j->bs, sizeof j->bs, "%s", swap ? as : bs);
    snprintf(j->br, sizeof j->br, "%s", swap ? ar : br);
    snprintf(j->decision, sizeof j->decision, "%s", dec);
    j->keys = k;
    api_defer(r, run_decide, j, free);
}

/* ---- persons ------------------------------------------------------------------------------ */

typedef struct {
    const jc_user *u;
    json_t *out;
    int found;
    pstore_person copy;
    char comm[64];
} person_ctx;

static int person_row(const pstore_person *p, void *arg) {
    person_ctx *c = arg;
    c->found = 1;
    snprintf(c->comm, sizeof c->comm, "%s", p->community);
    if (!in_scope(c->u, p->community)) return 0;
    json_array_append_new(c->out, person_json(c->u, p));
    return 0;
}

/* GET /api/v1/people/persons?area=&q=&after= */
static void h_persons(jc_req *r) {
    char area[32] = "", q[64] = "", after[24] = "";
    http_query(r, "area", area, sizeof area);
    http_query(r, "q", q, sizeof q);
    http_query(r, "after", after, sizeof after);
    int64_t aft = 0;
    if (after[0] && (jc_parse_i64(after, &aft) || aft < 0)) return http_reply_error(r, JC_ERR_INVALID, "after is a person id");
    const char *prefix = scope_prefix(&r->user);
    if (area[0]) {
        if (prefix[0] && strncmp(area, prefix, strlen(prefix)))
            return http_reply_error(r, JC_ERR_DENIED, "area %s is outside your scope", area);
        prefix = area;
    }
    if (!sees_names(&r->user)) q[0] = 0; /* no search by a name one may not see */
    json_t *arr = json_array();
    person_ctx c = {&r->user, arr, 0, {0}, ""};
    if (pstore_person_list(r->db, prefix, q, aft, 100, person_row, &c)) {
        json_decref(arr);
        return http_reply_error(r, JC_ERR_DB, "persons");
    }
    http_reply_json(r, 200, json_pack("{s:o}", "persons", arr));
}

static int prov_row(const pstore_person *p, void *arg) {
    person_ctx *c = arg;
    c->found = 1;
    snprintf(c->comm, sizeof c->comm, "%s", p->community);
    if (!in_scope(c->u, p->community)) return 0;
    json_t *o = person_json(c->u, p);
    json_t *pv = json_loads(p->provenance, 0, NULL);
    json_object_set_new(o, "provenance", pv ? pv : json_object());
    json_array_append_new(c->out, o);
    return 0;
}

/* The provenance {field: record rowid} spelled out: {field: {source, record_id, at}}. */
static int prov_record(const pstore_record *rec, void *arg) {
    json_t **out = arg;
    *out = json_pack("{s:s,s:s,s:I}", "source", rec->source, "record_id", rec->record_id, "at",
                     (json_int_t)rec->updated_at);
    return 0;
}

static void prov_expand(jc_conn *c, json_t *o) {
    json_t *pv = json_object_get(o, "provenance"), *out = json_object();
    const char *f;
    json_t *v;
    json_object_foreach(pv, f, v) {
        json_t *x = NULL;
        if (json_is_integer(v) && !pstore_record_get(c, json_integer_value(v), prov_record, &x) && x)
            json_object_set_new(out, f, x);
    }
    json_object_set_new(o, "provenance", out);
}

typedef struct {
    jc_conn *db;
    json_t *links;
    int64_t rowid;
} links_ctx;

static int link_row(int64_t other, double weight, double prob, const char *levels, int linked, void *arg) {
    links_ctx *c = arg;
    json_array_append_new(c->links, json_pack("{s:I,s:I,s:f,s:f,s:b,s:o}", "a", (json_int_t)c->rowid, "b",
                                              (json_int_t)other, "weight", weight, "prob", prob, "linked", linked,
                                              "levels", levels_json(levels)));
    return 0;
}

/* One member of a person's household: number, name (masked for roles that
 * do not see names), sex and birth date. */
static int household_row(const pstore_person *p, void *arg) {
    person_ctx *c = arg;
    char nm[64];
    const char *name = p->name;
    if (!sees_names(c->u)) people_mask_name(p->name, nm, sizeof nm), name = nm;
    char sex[2] = {p->sex, 0};
    json_array_append_new(c->out, json_pack("{s:I,s:s,s:s,s:i}", "id", (json_int_t)p->id, "name", name, "sex", sex,
                                            "birth_date", p->birth));
    return 0;
}

/* GET /api/v1/people/persons/:id: the golden record, its provenance, its records and their links */
static void h_person(jc_req *r) {
    int64_t id;
    if (api_param_id(r, 0, &id)) return;
    json_t *arr = json_array();
    person_ctx c = {&r->user, arr, 0, {0}, ""};
    if (pstore_person_get(r->db, id, prov_row, &c)) {
        json_decref(arr);
        return http_reply_error(r, JC_ERR_DB, "person");
    }
    if (!c.found) { json_decref(arr); return http_reply_error(r, JC_ERR_NOTFOUND, "no person %lld", (long long)id); }
    /* a person outside the caller's communities is not revealed: the same answer as none (docs/api.md) */
    if (!json_array_size(arr)) { json_decref(arr); return http_reply_error(r, JC_ERR_NOTFOUND, "no person %lld", (long long)id); }
    json_t *o = json_incref(json_array_get(arr, 0));
    json_decref(arr);
    prov_expand(r->db, o);
    json_t *recs = json_array();
    rec_ctx rc = {&r->user, recs};
    jc_err e = pstore_record_each(r->db, id, record_row, &rc);
    json_t *links = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(recs, i, rec) {
        links_ctx lc = {r->db, links, json_integer_value(json_object_get(rec, "rowid"))};
        if (!e) e = pstore_link_of(r->db, lc.rowid, link_row, &lc);
    }
    json_object_set_new(o, "records", recs);
    json_object_set_new(o, "links", links);
    /* the household: the persons the counts put in one household with this one */
    json_t *hh = json_array();
    person_ctx hc = {&r->user, hh, 0, {0}, ""};
    if (!e) e = pstore_person_household(r->db, id, 50, household_row, &hc);
    json_object_set_new(o, "household", hh);
    if (e) { json_decref(o); return http_reply_error(r, JC_ERR_DB, "person records"); }
    http_reply_json(r, 200, o);
}

typedef struct {
    int64_t id;
    char purpose[400];
    const people_keys *keys;
    json_t *out;
    jc_err err;
    const jc_user *u;
} unmask_job;

static int unmask_person(const pstore_person *p, void *arg) {
    unmask_job *j = arg;
    if (!in_scope(j->u, p->community)) { j->err = JC_ERR_NOTFOUND; return 1; } /* not revealed (docs/api.md) */
    char id[64] = "", ph[64] = "";
    if (people_unseal(j->keys, p->id_enc, p->id_enc_len, id, sizeof id) ||
        people_unseal(j->keys, p->phone_enc, p->phone_enc_len, ph, sizeof ph)) {
        j->err = JC_ERR_CORRUPT;
        return 1;
    }
    j->out = json_pack("{s:I,s:s,s:s,s:s,s:o}", "id", (json_int_t)p->id, "name", p->name, "id_number", id, "phone", ph,
                       "records", json_array());
    return 0;
}

static int unmask_record(const pstore_record *rec, void *arg) {
    unmask_job *j = arg;
    char id[64] = "", ph[128] = "", *attrs = NULL;
    if (people_unseal(j->keys, rec->id_enc, rec->id_enc_len, id, sizeof id) ||
        people_unseal(j->keys, rec->phone_enc, rec->phone_enc_len, ph, sizeof ph)) {
        j->err = JC_ERR_CORRUPT;
        return 1;
    }
    size_t an = rec->attrs_enc_len + 1;
    attrs = malloc(an);
    if (!attrs || people_unseal(j->keys, rec->attrs_enc, rec->attrs_enc_len, attrs, an)) {
        free(attrs);
        j->err = attrs ? JC_ERR_CORRUPT : JC_ERR_NOMEM;
        return 1;
    }
    json_t *a = json_loads(attrs[0] ? attrs : "{}", 0, NULL);
    free(attrs);
    json_array_append_new(json_object_get(j->out, "records"),
                          json_pack("{s:s,s:s,s:s,s:s,s:o}", "source", rec->source, "record_id", rec->record_id,
                                    "id_number", id, "phone", ph, "attributes", a ? a : json_object()));
    return 0;
}

static jc_err run_unmask(jc_conn *w, jc_deferred *d) {
    unmask_job *j = d->data;
    j->u = &d->user;
    jc_err e = pstore_person_get(w, j->id, unmask_person, j);
    if (!e) e = j->err;
    if (!e && !j->out) e = JC_ERR_NOTFOUND;
    if (!e) e = pstore_record_each(w, j->id, unmask_record, j);
    if (!e) e = j->err;
    if (e) {
        if (e == JC_ERR_NOTFOUND) snprintf(d->message, sizeof d->message, "no person %lld", (long long)j->id);
        else snprintf(d->message, sizeof d->message, "cannot read the person");
        return e;
    }
    char reason[700];
    reason_buf rb;
    reason_begin(&rb, reason, sizeof reason, "people_unmask");
    reason_int(&rb, "person", j->id);
    reason_str(&rb, "purpose", j->purpose);
    reason_end(&rb);
    if ((e = auth_audit(w, &d->user, "people.unmask", reason))) return e;
    d->status = 200;
    d->body = json_incref(j->out);
    return JC_OK;
}

static void unmask_free(void *p) {
    unmask_job *j = p;
    json_decref(j->out);
    free(j);
}

/* POST /api/v1/people/persons/:id/unmask {purpose}: the ID number, phones and
 * attributes in clear, written to the audit chain with the purpose */
static void h_unmask(jc_req *r) {
    int64_t id;
    if (api_param_id(r, 0, &id)) return;
    const char *purpose;
    if (api_need_str(r, "purpose", 200, &purpose) <= 0) return;
    if (jc_utf8_len(purpose) < 4)
        return http_reply_error(r, JC_ERR_INVALID, "state the purpose of the read (at least 4 characters)");
    char why[512] = "";
    const people_keys *k = keys_for(r->db, why, sizeof why);
    if (!k) return http_reply_error(r, JC_ERR_UNAVAILABLE, "the people key cannot be read: %s", why);
    unmask_job *j = calloc(1, sizeof *j);
    if (!j) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    j->id = id;
    j->keys = k;
    snprintf(j->purpose, sizeof j->purpose, "%s", purpose);
    api_defer(r, run_unmask, j, unmask_free);
}

/* ---- withdrawal, counts ------------------------------------------------------------------- */

typedef struct {
    char key[64];
    const people_keys *keys;
    int64_t deleted;
} withdraw_job;

static jc_err run_withdraw(jc_conn *w, jc_deferred *d) {
    withdraw_job *j = d->data;
    jc_err e = people_withdraw(w, j->keys, &d->user, j->key, &j->deleted);
    if (e == JC_ERR_NOTFOUND) snprintf(d->message, sizeof d->message, "no source %s", j->key);
    if (e) return e;
    d->status = 200;
    d->body = json_pack("{s:s,s:I}", "source", j->key, "deleted", (json_int_t)j->deleted);
    return JC_OK;
}

/* POST /api/v1/people/sources/:key/withdraw */
static void h_withdraw(jc_req *r) {
    const char *key = r->params[0];
    if (!people_source_key_ok(key)) return http_reply_error(r, JC_ERR_INVALID, "a source key is letters, digits, _ and -");
    char why[512] = "";
    const people_keys *k = keys_for(r->db, why, sizeof why);
    if (!k) return http_reply_error(r, JC_ERR_UNAVAILABLE, "the people key cannot be read: %s", why);
    withdraw_job *j = calloc(1, sizeof *j);
    if (!j) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    snprintf(j->key, sizeof j->key, "%s", key);
    j->keys = k;
    api_defer(r, run_withdraw, j, free);
}

static int counts_row(const pstore_counts *k, void *arg) {
    json_array_append_new(arg, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "area", k->community, "people",
                                         (json_int_t)k->people, "households", (json_int_t)k->households, "elders",
                                         (json_int_t)k->elders, "elders_living_alone", (json_int_t)k->elders_alone,
                                         "disabled", (json_int_t)k->disabled, "students", (json_int_t)k->students,
                                         "children", (json_int_t)k->children, "linked",
                                         (json_int_t)k->linked_from_sources));
    return 0;
}

/* GET /api/v1/people/counts?area=: per community, from the golden records */
static void h_counts(jc_req *r) {
    char area[32] = "";
    http_query(r, "area", area, sizeof area);
    const char *prefix = r->user.role == ROLE_ADMIN ? "" : r->user.area;
    if (area[0]) {
        if (prefix[0] && strncmp(area, prefix, strlen(prefix)) && strncmp(prefix, area, strlen(area)))
            return http_reply_error(r, JC_ERR_DENIED, "area %s is outside your scope", area);
        if (strlen(area) > strlen(prefix)) prefix = area;
    }
    int64_t today = people_today_ymd();
    json_t *arr = json_array();
    if (pstore_person_counts(r->db, prefix, today, counts_row, arr)) {
        json_decref(arr);
        return http_reply_error(r, JC_ERR_DB, "counts");
    }
    http_reply_json(r, 200, json_pack("{s:o}", "communities", arr));
}

/* GET /api/v1/people/report?template=elders_alone|disabled|students|summary&area=: a
 * department's form filled from the store, as XLSX; audited people.report */
typedef struct {
    char templ[32], area[32];
    char *data;
    size_t len;
    int64_t rows;
} report_job;

static void report_free(void *p) {
    report_job *j = p;
    free(j->data);
    free(j);
}

static jc_err run_report(jc_conn *w, jc_deferred *d) {
    report_job *j = d->data;
    char path[] = "/tmp/jiceng-report-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return JC_ERR_IO;
    close(fd);
    jc_err e = people_report_xlsx(w, j->templ, j->area, path, &j->rows);
    FILE *f = e ? NULL : fopen(path, "rb");
    if (f) {
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        j->data = n > 0 ? malloc((size_t)n) : NULL;
        if (!j->data || fread(j->data, 1, (size_t)n, f) != (size_t)n) e = JC_ERR_IO;
        j->len = (size_t)n;
        fclose(f);
    } else if (!e) e = JC_ERR_IO;
    unlink(path);
    if (e) return e;
    char reason[300];
    reason_buf rb;
    reason_begin(&rb, reason, sizeof reason, "people_report");
    reason_str(&rb, "template", j->templ);
    reason_str(&rb, "area", j->area[0] ? j->area : NULL);
    reason_int(&rb, "rows", j->rows);
    reason_end(&rb);
    if ((e = auth_audit(w, &d->user, "people.report", reason))) return e;
    d->status = 200;
    return JC_OK;
}

/* After the commit, on the serving thread: the file as the answer.  The
 * deferred reply's type field holds 63 characters, less than the XLSX type's
 * 65: the file goes as application/octet-stream with its name. */
static jc_err render_report(jc_deferred *d) {
    report_job *j = d->data;
    d->raw = j->data, d->raw_len = j->len;
    j->data = NULL;
    snprintf(d->raw_type, sizeof d->raw_type, "application/octet-stream");
    char disp[96];
    snprintf(disp, sizeof disp, "attachment; filename=\"%s.xlsx\"", j->templ);
    http_deferred_header(d, "content-disposition", disp);
    return JC_OK;
}

static void h_report(jc_req *r) {
    report_job *j = calloc(1, sizeof *j);
    if (!j) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    http_query(r, "template", j->templ, sizeof j->templ);
    http_query(r, "area", j->area, sizeof j->area);
    if (strcmp(j->templ, "elders_alone") && strcmp(j->templ, "disabled") && strcmp(j->templ, "students") &&
        strcmp(j->templ, "summary")) {
        free(j);
        return http_reply_error(r, JC_ERR_INVALID, "template is elders_alone, disabled, students or summary");
    }
    const char *mine = scope_prefix(&r->user);
    if (!j->area[0]) snprintf(j->area, sizeof j->area, "%s", mine);
    for (const char *p = j->area; *p; p++)
        if (*p < '0' || *p > '9') { free(j); return http_reply_error(r, JC_ERR_INVALID, "area must be an area code"); }
    if (mine[0] && strncmp(j->area, mine, strlen(mine))) {
        free(j);
        return http_reply_error(r, JC_ERR_DENIED, "area %s is outside your scope", j->area);
    }
    jc_deferred *d = http_deferred_new(r);
    if (!d) { free(j); return http_reply_error(r, JC_ERR_NOMEM, "out of memory"); }
    d->run = run_report;
    d->render_raw = render_report;
    d->data = j;
    d->free_data = report_free;
    http_defer(r, d);
}

static const jc_route routes[] = {
    {"GET", "/api/v1/people/report", h_report, R(ADMIN) | R(DISPATCHER) | R(COMMUNITY_STAFF), NULL},
    {"GET", "/api/v1/people/sources", h_sources, READERS, NULL},
    {"PUT", "/api/v1/people/sources/:key", h_put_source, WRITERS, "name,mapping"},
    {"POST", "/api/v1/people/sources/:key/import", h_import, WRITERS, "*"},
    {"POST", "/api/v1/people/sources/:key/withdraw", h_withdraw, R(ADMIN), NULL},
    {"GET", "/api/v1/people/imports", h_imports, READERS, NULL},
    {"GET", "/api/v1/people/review", h_review, R(ADMIN) | R(DISPATCHER) | R(COMMUNITY_STAFF), NULL},
    {"POST", "/api/v1/people/review", h_decide, R(ADMIN) | R(DISPATCHER) | R(COMMUNITY_STAFF),
     "a_source,a_record,b_source,b_record,decision"},
    {"GET", "/api/v1/people/persons", h_persons, READERS, NULL},
    {"GET", "/api/v1/people/persons/:id", h_person, READERS, NULL},
    {"POST", "/api/v1/people/persons/:id/unmask", h_unmask, R(ADMIN) | R(DISPATCHER) | R(COMMUNITY_STAFF), "purpose"},
    {"GET", "/api/v1/people/counts", h_counts, READERS | R(DEPT_STAFF), NULL},
};
const jc_route_table people__routes = {routes, JC_ARRAY_LEN(routes)};
