/*
 * open311.c -- the Open311 GeoReport v2 server under /open311/v2/ (see
 * open311.h and docs/open311.md): form and XML helpers, the route table, the
 * handlers and the `jiceng open311` subcommand.
 *
 * Design notes.
 *  - Every response is built as a jansson value and rendered either as JSON
 *    or, by o311_xml_render, as the standard's XML; errors are the standard's
 *    [{"code":400,"description":"..."}] / <errors><error>... with the same
 *    HTTP status.
 *  - A POST is validated completely on the serving thread (api_key, every
 *    field, the service and its attributes, the place) before anything is
 *    written; the case, its audit entry and the open311_requests row are one
 *    writer job, answered after the commit through the deferred path (an
 *    .xml POST renders its XML into the deferred reply's raw body).
 *  - Privacy: GET responses carry the category, status, description, address
 *    and position (public by the standard), never the reporter's name, email,
 *    phone, device or account; sensor and warning cases are not published.
 *  - Location: lat/long is located to a grid with a geo index over the grids'
 *    polygons (rebuilt from the database at most every 30 s); a point outside
 *    every grid, or a report with only an address, goes to the key's area or
 *    else the street, flagged unlocated for the dispatcher.
 */
#include "open311.h"
#include "open311_store.h"
#include "audit.h"
#include "auth.h"
#include "case.h"
#include "geo.h"
#include "intake.h"
#include "http.h"
#include "module.h"
#include "photo.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY_MS (86400000LL)
#define O311_SPAN_MS (90 * DAY_MS)
#define O311_MAX_RESULTS 1000

/* ---- forms ---------------------------------------------------------------- */

static int hexv(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..n) into a new string; NULL with err set on a bad escape/NUL. */
static char *form_decode(const char *s, size_t n, char *err, size_t errsz, jc_err *e) {
    char *out = malloc(n + 1);
    if (!out) {
        *e = JC_ERR_NOMEM;
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') c = ' ';
        else if (c == '%') {
            if (i + 2 >= n || hexv(s[i + 1]) < 0 || hexv(s[i + 2]) < 0) {
                snprintf(err, errsz, "bad percent escape in the form");
                free(out);
                *e = JC_ERR_INVALID;
                return NULL;
            }
            c = (char)(hexv(s[i + 1]) * 16 + hexv(s[i + 2]));
            i += 2;
        }
        if (c == 0) {
            snprintf(err, errsz, "the form contains a NUL byte");
            free(out);
            *e = JC_ERR_INVALID;
            return NULL;
        }
        out[o++] = c;
    }
    out[o] = 0;
    if (!jc_utf8_valid(out, o)) {
        snprintf(err, errsz, "the form is not valid UTF-8");
        free(out);
        *e = JC_ERR_INVALID;
        return NULL;
    }
    if (!jc_text_ok(out, o)) {
        snprintf(err, errsz, "the form contains a control character or a Unicode noncharacter");
        free(out);
        *e = JC_ERR_INVALID;
        return NULL;
    }
    return out;
}

jc_err o311_form_parse(const char *s, size_t len, o311_form *out, char *err, size_t errsz) {
    memset(out, 0, sizeof *out);
    const char *p = s, *end = s + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *seg_end = amp ? amp : end;
        if (seg_end > p) {
            const char *eq = memchr(p, '=', (size_t)(seg_end - p));
            const char *kend = eq ? eq : seg_end;
            if (kend == p) {
                snprintf(err, errsz, "a form field has an empty name");
                return JC_ERR_INVALID;
            }
            if (out->n == O311_FORM_MAX_FIELDS) {
                snprintf(err, errsz, "more than %d form fields", O311_FORM_MAX_FIELDS);
                return JC_ERR_TOOBIG;
            }
            jc_err e = JC_OK;
            char *k = form_decode(p, (size_t)(kend - p), err, errsz, &e);
            if (!k) return e;
            if (strlen(k) > O311_FORM_MAX_KEY) {
                free(k);
                snprintf(err, errsz, "a form field name is longer than %d bytes", O311_FORM_MAX_KEY);
                return JC_ERR_TOOBIG;
            }
            char *v = eq ? form_decode(eq + 1, (size_t)(seg_end - eq - 1), err, errsz, &e) : jc_strdup("");
            if (!v) {
                free(k);
                return e ? e : JC_ERR_NOMEM;
            }
            out->key[out->n] = k;
            out->val[out->n] = v;
            out->n++;
        }
        p = amp ? amp + 1 : end;
    }
    return JC_OK;
}

void o311_form_free(o311_form *f) {
    for (int i = 0; i < f->n; i++) {
        free(f->key[i]);
        free(f->val[i]);
    }
    f->n = 0;
}

const char *o311_form_get(const o311_form *f, const char *key) {
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->key[i], key)) return f->val[i];
    return NULL;
}

int o311_form_count(const o311_form *f, const char *key) {
    int n = 0;
    for (int i = 0; i < f->n; i++) n += !strcmp(f->key[i], key);
    return n;
}

jc_err o311_parse_double(const char *s, double lo, double hi, double *out) {
    if (!s || !*s || strlen(s) > 40) return JC_ERR_INVALID;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '+' || *p == 'e' || *p == 'E'))
            return JC_ERR_INVALID;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end || errno || !isfinite(d) || d < lo || d > hi) return JC_ERR_INVALID;
    *out = d;
    return JC_OK;
}

/* ---- XML ------------------------------------------------------------------ */

/* Escapes s for XML 1.0 character data and attributes.  Characters XML 1.0
 * cannot carry at all (C0 controls but tab, LF, CR; U+FFFE, U+FFFF; bytes
 * that are not UTF-8) become U+FFFD, so that text stored before intake
 * refused them (or written by other means) cannot make a document
 * ill-formed. */
jc_err o311_xml_escape(jc_buf *b, const char *s) {
    static const char fffd[] = "\xEF\xBF\xBD";
    jc_err e = JC_OK;
    const char *run = s;
    for (const char *p = s; *p && !e; p++) {
        const char *rep = NULL;
        size_t skip = 1;
        unsigned char c = (unsigned char)*p;
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') rep = fffd;
            else if (c >= 0x80) {
                size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
                size_t have = 1;
                while (have < len && p[have]) have++;
                if (len == 1 || have < len || !jc_utf8_valid(p, len)) rep = fffd; /* one bad byte at a time */
                else if (len == 3 && c == 0xEF && (unsigned char)p[1] == 0xBF && (unsigned char)p[2] >= 0xBE)
                    rep = fffd, skip = 3; /* U+FFFE, U+FFFF */
                else {
                    p += len - 1;
                    continue;
                }
            }
        }
        if (!rep) continue;
        e = jc_buf_append(b, run, (size_t)(p - run));
        if (!e) e = jc_buf_puts(b, rep);
        p += skip - 1;
        run = p + 1;
    }
    if (!e) e = jc_buf_append(b, run, strlen(run));
    return e;
}

const char *o311_xml_item_name(const char *list) {
    static const char *const map[][2] = {
        {"services", "service"},     {"service_requests", "request"},
        {"errors", "error"},         {"attributes", "attribute"},
        {"values", "value"},         {"endpoints", "endpoint"},
        {"formats", "format"},       {"service_request_updates", "request_update"},
    };
    for (size_t i = 0; i < JC_ARRAY_LEN(map); i++)
        if (!strcmp(list, map[i][0])) return map[i][1];
    return "item";
}

static jc_err xml_value(jc_buf *b, const char *name, const json_t *v, int depth);

static jc_err xml_children(jc_buf *b, const char *name, const json_t *v, int depth) {
    jc_err e = JC_OK;
    if (json_is_array(v)) {
        const char *item = o311_xml_item_name(name);
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if ((e = xml_value(b, item, x, depth + 1))) return e;
        }
    } else if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            if ((e = xml_value(b, k, x, depth + 1))) return e;
        }
    }
    return e;
}

static jc_err xml_value(jc_buf *b, const char *name, const json_t *v, int depth) {
    if (depth > 16) return JC_ERR_INVALID;
    jc_err e;
    if (!v || json_is_null(v)) return jc_buf_printf(b, "<%s/>", name);
    if ((e = jc_buf_printf(b, "<%s>", name))) return e;
    char num[64];
    switch (json_typeof(v)) {
    case JSON_OBJECT:
    case JSON_ARRAY: e = xml_children(b, name, v, depth); break;
    case JSON_STRING: e = o311_xml_escape(b, json_string_value(v)); break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        e = jc_buf_puts(b, num);
        break;
    case JSON_REAL:
        snprintf(num, sizeof num, "%.12g", json_real_value(v));
        e = jc_buf_puts(b, num);
        break;
    case JSON_TRUE: e = jc_buf_puts(b, "true"); break;
    case JSON_FALSE: e = jc_buf_puts(b, "false"); break;
    default: break;
    }
    if (!e) e = jc_buf_printf(b, "</%s>", name);
    return e;
}

jc_err o311_xml_render(jc_buf *b, const char *root, const json_t *v) {
    jc_err e = jc_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if (!e) e = xml_value(b, root, v, 0);
    if (!e) e = jc_buf_puts(b, "\n");
    return e;
}

/* ---- time and status ----------------------------------------------------- */

void o311_fmt_time(int64_t ms, char *out, size_t outsz) {
    time_t t = (time_t)((ms - ((ms % 1000) + 1000) % 1000) / 1000) + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

const char *o311_status_of(jc_state s) {
    return s == ST_CLOSED || s == ST_RATED || s == ST_VOIDED || s == ST_MERGED ? "closed" : "open";
}

/* ---- replies ------------------------------------------------------------- */

typedef enum { FMT_JSON, FMT_XML } o311_fmt;

/* Answers v (stolen) as JSON or as XML under root. */
static void reply(jc_req *r, o311_fmt fmt, int status, const char *root, json_t *v) {
    if (fmt == FMT_JSON) return http_reply_json(r, status, v);
    jc_buf b;
    jc_buf_init(&b, 64u << 20);
    jc_err e = o311_xml_render(&b, root, v);
    json_decref(v);
    if (e) {
        jc_buf_free(&b);
        static const char oom[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<errors><error><code>503"
                                  "</code><description>out of memory</description></error></errors>\n";
        return http_reply_raw(r, 503, "text/xml; charset=utf-8", oom, sizeof oom - 1);
    }
    http_reply_raw(r, status, "text/xml; charset=utf-8", b.data, b.len);
    jc_buf_free(&b);
}

static json_t *error_list(int status, const char *msg) {
    return json_pack("[{s:i,s:s}]", "code", status, "description", msg);
}

static void reply_error(jc_req *r, o311_fmt fmt, int status, const char *fmtstr, ...) JC_PRINTF(4, 5);
static void reply_error(jc_req *r, o311_fmt fmt, int status, const char *fmtstr, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmtstr);
    vsnprintf(msg, sizeof msg, fmtstr, ap);
    va_end(ap);
    reply(r, fmt, status, "errors", error_list(status, msg));
}

/* Splits "name.json" / "name.xml" into name (copied into out) and the format;
 * -1 when there is no known extension. */
static int split_format(const char *seg, char *out, size_t outsz, o311_fmt *fmt) {
    const char *dot = strrchr(seg, '.');
    if (!dot || (size_t)(dot - seg) >= outsz) return -1;
    if (!strcmp(dot, ".json")) *fmt = FMT_JSON;
    else if (!strcmp(dot, ".xml")) *fmt = FMT_XML;
    else return -1;
    memcpy(out, seg, (size_t)(dot - seg));
    out[dot - seg] = 0;
    return 0;
}

/* "http://host" from the Host header (only host-name characters kept). */
static void base_url(jc_req *r, char *out, size_t outsz) {
    const char *h = NULL;
    size_t n = 0;
    char host[256] = "localhost";
    if (http_authority(r, &h, &n) && n < sizeof host) {
        int ok = 1;
        for (size_t i = 0; i < n; i++) {
            char c = h[i];
            ok &= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
        }
        if (ok) {
            memcpy(host, h, n);
            host[n] = 0;
        }
    }
    snprintf(out, outsz, "http://%s", host);
}

/* ---- services ------------------------------------------------------------- */

typedef struct {
    jc_conn *db;
    json_t *arr;
} svc_ctx;

/* The category's fields as a JSON array (new reference; empty when none). */
static json_t *category_fields(const jc_category *k) {
    json_t *f = k->fields ? json_loads(k->fields, 0, NULL) : NULL;
    if (!json_is_array(f)) {
        json_decref(f);
        f = json_array();
    }
    return f;
}

static const char *field_code(json_t *f) {
    const char *keys[] = {"code", "key", "name"};
    for (size_t i = 0; i < JC_ARRAY_LEN(keys); i++) {
        const char *s = json_string_value(json_object_get(f, keys[i]));
        if (s && *s) return s;
    }
    return NULL;
}

/* Maps a jiceng field type to an Open311 datatype. */
static const char *field_datatype(json_t *f) {
    const char *t = json_string_value(json_object_get(f, "datatype"));
    if (!t) t = json_string_value(json_object_get(f, "type"));
    if (!t) return "string";
    static const char *const map[][2] = {
        {"string", "string"}, {"text", "text"}, {"textarea", "text"}, {"number", "number"},
        {"integer", "number"}, {"int", "number"}, {"float", "number"}, {"datetime", "datetime"},
        {"date", "datetime"}, {"time", "datetime"}, {"singlevaluelist", "singlevaluelist"},
        {"select", "singlevaluelist"}, {"choice", "singlevaluelist"}, /* the designer's */
        {"enum", "singlevaluelist"}, {"radio", "singlevaluelist"},
        {"boolean", "singlevaluelist"}, {"bool", "singlevaluelist"},
        {"multivaluelist", "multivaluelist"}, {"multiselect", "multivaluelist"},
        {"checkbox", "multivaluelist"},
    };
    for (size_t i = 0; i < JC_ARRAY_LEN(map); i++)
        if (!strcmp(t, map[i][0])) return map[i][1];
    return "string";
}

/* The allowed values of a list field as [{"key","name"}] (new reference). */
static json_t *field_values(json_t *f) {
    json_t *out = json_array();
    const char *t = json_string_value(json_object_get(f, "type"));
    if (t && (!strcmp(t, "boolean") || !strcmp(t, "bool"))) {
        json_array_append_new(out, json_pack("{s:s,s:s}", "key", "true", "name", "是 yes"));
        json_array_append_new(out, json_pack("{s:s,s:s}", "key", "false", "name", "否 no"));
        return out;
    }
    json_t *opts = json_object_get(f, "values");
    if (!json_is_array(opts)) opts = json_object_get(f, "options");
    if (!json_is_array(opts)) opts = json_object_get(f, "choices"); /* the designer's */
    size_t i;
    json_t *o;
    json_array_foreach(opts, i, o) {
        const char *key = NULL, *name = NULL;
        char num[32];
        if (json_is_string(o)) key = name = json_string_value(o);
        else if (json_is_integer(o)) {
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(o));
            key = name = num;
        } else if (json_is_object(o)) {
            key = json_string_value(json_object_get(o, "key"));
            if (!key) key = json_string_value(json_object_get(o, "value"));
            name = json_string_value(json_object_get(o, "name"));
            if (!name) name = json_string_value(json_object_get(o, "label"));
            if (!name) name = key;
        }
        if (key && name) json_array_append_new(out, json_pack("{s:s,s:s}", "key", key, "name", name));
    }
    return out;
}

static int field_required(json_t *f) { return json_is_true(json_object_get(f, "required")); }

static json_t *service_json(jc_conn *db, const jc_category *k) {
    json_t *fields = category_fields(k);
    int meta = json_array_size(fields) > 0;
    json_decref(fields);
    char desc[256], keywords[256];
    snprintf(desc, sizeof desc, "%s%s%s", k->name_en, k->name_en[0] ? " / " : "", k->name);
    snprintf(keywords, sizeof keywords, "%s,%s,%s", k->name, k->kind, k->dept_code);
    const char *group = !strcmp(k->kind, "component") ? "部件 component" : "事件 event";
    jc_category parent;
    char gname[96] = "";
    if (k->parent[0] && store_category_get(db, k->parent, &parent) == JC_OK) {
        snprintf(gname, sizeof gname, "%s", parent.name);
        category_clear(&parent);
        group = gname;
    }
    return json_pack("{s:s,s:s,s:s,s:b,s:s,s:s,s:s}", "service_code", k->code, "service_name", k->name,
                     "description", desc, "metadata", meta, "type", "realtime", "keywords", keywords,
                     "group", group);
}

static int svc_cb(const jc_category *k, void *arg) {
    svc_ctx *c = arg;
    json_array_append_new(c->arr, service_json(c->db, k));
    return 0;
}

static void get_services(jc_req *r, o311_fmt fmt) {
    svc_ctx c = {r->db, json_array()};
    jc_err e = store_category_each(r->db, svc_cb, &c);
    if (e) {
        json_decref(c.arr);
        return reply_error(r, fmt, 500, "cannot list the services");
    }
    reply(r, fmt, 200, "services", c.arr);
}

static void h_service_def(jc_req *r) {
    char code[32];
    o311_fmt fmt = FMT_XML;
    if (split_format(r->params[0], code, sizeof code, &fmt))
        return reply_error(r, FMT_XML, 404, "use services/{service_code}.xml or .json");
    jc_category k;
    jc_err e = strlen(code) < sizeof k.code ? store_category_get(r->db, code, &k) : JC_ERR_NOTFOUND;
    if (e == JC_ERR_NOTFOUND) return reply_error(r, fmt, 404, "no service with service_code '%s'", code);
    if (e) return reply_error(r, fmt, 500, "cannot read the service");
    json_t *fields = category_fields(&k), *attrs = json_array();
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f) {
        const char *fc = field_code(f);
        if (!fc) continue;
        const char *dt = field_datatype(f);
        const char *label = json_string_value(json_object_get(f, "label"));
        if (!label) label = json_string_value(json_object_get(f, "description"));
        if (!label) label = json_string_value(json_object_get(f, "name"));
        const char *dd = json_string_value(json_object_get(f, "datatype_description"));
        if (!dd) dd = json_string_value(json_object_get(f, "hint"));
        json_t *a = json_pack("{s:b,s:s,s:s,s:b}", "variable", 1, "code", fc, "datatype", dt,
                              "required", field_required(f));
        json_object_set_new(a, "datatype_description", dd ? json_string(dd) : json_null());
        json_object_set_new(a, "order", json_integer((json_int_t)i + 1));
        json_object_set_new(a, "description", json_string(label ? label : fc));
        if (!strcmp(dt, "singlevaluelist") || !strcmp(dt, "multivaluelist"))
            json_object_set_new(a, "values", field_values(f));
        json_array_append_new(attrs, a);
    }
    json_decref(fields);
    json_t *o = json_pack("{s:s,s:o}", "service_code", k.code, "attributes", attrs);
    category_clear(&k);
    reply(r, fmt, 200, "service_definition", o);
}

/* ---- requests: the public view of a case --------------------------------- */

static json_t *request_json(jc_req *r, const jc_case *k, const char *base) {
    char no[40], ts[40];
    case_number(k, no, sizeof no);
    json_t *o = json_object();
    json_object_set_new(o, "service_request_id", json_string(no));
    json_object_set_new(o, "status", json_string(o311_status_of(k->state)));
    char notes[160];
    if (k->state == ST_MERGED && k->merged_into) {
        jc_case t;
        char tno[40];
        if (store_case_get(r->db, k->merged_into, &t) == JC_OK) {
            case_number(&t, tno, sizeof tno);
            case_clear(&t);
        } else snprintf(tno, sizeof tno, "%lld", (long long)k->merged_into);
        snprintf(notes, sizeof notes, "merged into %s (duplicate report)", tno);
    } else {
        snprintf(notes, sizeof notes, "%s", state_name(k->state));
    }
    json_object_set_new(o, "status_notes", json_string(notes));
    jc_category cat;
    if (store_category_get(r->db, k->category, &cat) == JC_OK) {
        json_object_set_new(o, "service_name", json_string(cat.name));
        category_clear(&cat);
    } else json_object_set_new(o, "service_name", json_null());
    json_object_set_new(o, "service_code", json_string(k->category));
    const char *desc = k->body && *k->body ? k->body : k->title ? k->title : "";
    json_object_set_new(o, "description", json_string(desc));
    jc_dept d;
    if (k->dept_id && store_dept_get(r->db, k->dept_id, &d) == JC_OK)
        json_object_set_new(o, "agency_responsible", json_string(d.name));
    else json_object_set_new(o, "agency_responsible", json_null());
    json_object_set_new(o, "service_notice", json_null());
    o311_fmt_time(k->created_ms, ts, sizeof ts);
    json_object_set_new(o, "requested_datetime", json_string(ts));
    o311_fmt_time(k->updated_ms, ts, sizeof ts);
    json_object_set_new(o, "updated_datetime", json_string(ts));
    if (k->deadline_ms && !strcmp(o311_status_of(k->state), "open")) {
        o311_fmt_time(k->deadline_ms, ts, sizeof ts);
        json_object_set_new(o, "expected_datetime", json_string(ts));
    } else json_object_set_new(o, "expected_datetime", json_null());
    json_object_set_new(o, "address", k->address ? json_string(k->address) : json_null());
    json_t *x = k->extra ? json_loads(k->extra, 0, NULL) : NULL;
    json_t *ox = json_object_get(x, "open311");
    const char *aid = json_string_value(json_object_get(ox, "address_id"));
    const char *media = json_string_value(json_object_get(ox, "media_url"));
    json_object_set_new(o, "address_id", aid ? json_string(aid) : json_null());
    json_object_set_new(o, "zipcode", json_null());
    json_object_set_new(o, "lat", k->has_point ? json_real(k->lat) : json_null());
    json_object_set_new(o, "long", k->has_point ? json_real(k->lon) : json_null());
    char photo[65], url[512];
    if (media) json_object_set_new(o, "media_url", json_string(media));
    else if (photo_first_of_case(r->db, k->id, photo) == JC_OK) {
        snprintf(url, sizeof url, "%s/api/v1/photos/%s", base, photo);
        json_object_set_new(o, "media_url", json_string(url));
    } else json_object_set_new(o, "media_url", json_null());
    json_decref(x);
    return o;
}

/* Loads a public case by its public number; JC_ERR_NOTFOUND otherwise. */
static jc_err public_case(jc_conn *db, const char *no, jc_case *out) {
    int64_t id;
    if (case_number_parse(no, &id)) return JC_ERR_NOTFOUND;
    jc_err e = store_case_get(db, id, out);
    if (e) return e;
    char canon[40];
    case_number(out, canon, sizeof canon);
    if (!o311_case_public(out) || strcmp(canon, no)) {
        case_clear(out);
        return JC_ERR_NOTFOUND;
    }
    return JC_OK;
}

static void h_request_get(jc_req *r) {
    char no[64];
    o311_fmt fmt = FMT_XML;
    if (split_format(r->params[0], no, sizeof no, &fmt))
        return reply_error(r, FMT_XML, 404, "use requests/{service_request_id}.xml or .json");
    jc_case k;
    jc_err e = public_case(r->db, no, &k);
    if (e == JC_ERR_NOTFOUND) return reply_error(r, fmt, 404, "no service request '%s'", no);
    if (e) return reply_error(r, fmt, 500, "cannot read the request");
    char base[300];
    base_url(r, base, sizeof base);
    json_t *arr = json_array();
    json_array_append_new(arr, request_json(r, &k, base));
    case_clear(&k);
    reply(r, fmt, 200, "service_requests", arr);
}

static void h_token_get(jc_req *r) {
    char tok[64];
    o311_fmt fmt = FMT_XML;
    if (split_format(r->params[0], tok, sizeof tok, &fmt))
        return reply_error(r, FMT_XML, 404, "use tokens/{token}.xml or .json");
    int64_t id;
    jc_case k;
    jc_err e = o311_token_case(r->db, tok, &id);
    if (!e) e = store_case_get(r->db, id, &k);
    if (e == JC_ERR_NOTFOUND) return reply_error(r, fmt, 404, "no token '%s'", tok);
    if (e) return reply_error(r, fmt, 500, "cannot read the token");
    char no[40];
    case_number(&k, no, sizeof no);
    case_clear(&k);
    reply(r, fmt, 200, "service_requests",
          json_pack("[{s:s,s:s}]", "service_request_id", no, "token", tok));
}

/* Reads start_date/end_date into [from, to] with the 90-day rule; -1 after
 * answering 400. */
static int date_range(jc_req *r, o311_fmt fmt, int64_t *from, int64_t *to) {
    char s[64] = "", e[64] = "";
    int hs = http_query(r, "start_date", s, sizeof s), he = http_query(r, "end_date", e, sizeof e);
    int64_t now = jc_now_ms();
    if (hs && jc_parse_time(s, from)) return reply_error(r, fmt, 400, "start_date must be a W3C datetime"), -1;
    if (he && jc_parse_time(e, to)) return reply_error(r, fmt, 400, "end_date must be a W3C datetime"), -1;
    if (!he) *to = hs ? (*from + O311_SPAN_MS < now ? *from + O311_SPAN_MS : now) : now;
    if (!hs) *from = *to - O311_SPAN_MS;
    if (*to < *from) return reply_error(r, fmt, 400, "end_date is before start_date"), -1;
    if (*to - *from > O311_SPAN_MS)
        return reply_error(r, fmt, 400, "start_date to end_date may not span more than 90 days"), -1;
    return 0;
}

static void get_requests(jc_req *r, o311_fmt fmt) {
    char base[300];
    base_url(r, base, sizeof base);
    json_t *arr = json_array();
    char *ids_q = malloc(16384);
    if (!ids_q) {
        json_decref(arr);
        return reply_error(r, fmt, 503, "out of memory");
    }
    if (http_query(r, "service_request_id", ids_q, 16384)) {
        /* All other parameters are ignored when ids are given (the standard). */
        int n = 0;
        for (char *save = NULL, *t = strtok_r(ids_q, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ') t++;
            if (++n > O311_MAX_RESULTS) break;
            jc_case k;
            if (public_case(r->db, t, &k) == JC_OK) {
                json_array_append_new(arr, request_json(r, &k, base));
                case_clear(&k);
            }
        }
        free(ids_q);
        return reply(r, fmt, 200, "service_requests", arr);
    }
    free(ids_q);
    int64_t from, to;
    if (date_range(r, fmt, &from, &to)) return json_decref(arr);
    char codes_q[1024] = "", status_q[64] = "";
    const char *codes[32];
    int ncodes = 0, mask = 0;
    if (http_query(r, "service_code", codes_q, sizeof codes_q)) {
        for (char *save = NULL, *t = strtok_r(codes_q, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (ncodes == 32) return json_decref(arr), reply_error(r, fmt, 400, "at most 32 service codes");
            codes[ncodes++] = t;
        }
    }
    if (http_query(r, "status", status_q, sizeof status_q)) {
        for (char *save = NULL, *t = strtok_r(status_q, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (!strcmp(t, "open")) mask |= 1;
            else if (!strcmp(t, "closed")) mask |= 2;
            else return json_decref(arr), reply_error(r, fmt, 400, "status must be open or closed");
        }
    }
    int64_t *ids = malloc(sizeof *ids * O311_MAX_RESULTS);
    int n = 0;
    jc_err e = ids ? o311_case_ids(r->db, from, to, codes, ncodes, mask, O311_MAX_RESULTS, ids, &n) : JC_ERR_NOMEM;
    for (int i = 0; !e && i < n; i++) {
        jc_case k;
        if (store_case_get(r->db, ids[i], &k) == JC_OK) {
            json_array_append_new(arr, request_json(r, &k, base));
            case_clear(&k);
        }
    }
    free(ids);
    if (e) return json_decref(arr), reply_error(r, fmt, 500, "cannot list the requests");
    reply(r, fmt, 200, "service_requests", arr);
}

typedef struct {
    json_t *arr;
} upd_ctx;

static int upd_cb(const o311_update *u, void *arg) {
    upd_ctx *c = arg;
    jc_case stub = {0};
    stub.id = u->case_id;
    stub.created_ms = u->case_created_ms;
    char no[40], ts[40], uid[32], desc[160];
    case_number(&stub, no, sizeof no);
    o311_fmt_time(u->at_ms, ts, sizeof ts);
    snprintf(uid, sizeof uid, "%lld", (long long)u->seq);
    int st = state_parse(u->to_state);
    const char *status = st >= 0 ? o311_status_of((jc_state)st) : "open";
    if (u->from_state[0] && strcmp(u->from_state, u->to_state))
        snprintf(desc, sizeof desc, "%s: %s -> %s", u->action, u->from_state, u->to_state);
    else snprintf(desc, sizeof desc, "%s (%s)", u->action, u->to_state);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "update_id", uid, "service_request_id", no,
                          "status", status, "updated_datetime", ts, "description", desc);
    json_object_set_new(o, "media_url", json_null());
    json_array_append_new(c->arr, o);
    return 0;
}

static void get_updates(jc_req *r, o311_fmt fmt) {
    int64_t from, to;
    if (date_range(r, fmt, &from, &to)) return;
    upd_ctx c = {json_array()};
    jc_err e = o311_updates_each(r->db, from, to, O311_MAX_RESULTS, upd_cb, &c);
    if (e) return json_decref(c.arr), reply_error(r, fmt, 500, "cannot list the updates");
    reply(r, fmt, 200, "service_request_updates", c.arr);
}

static void get_discovery(jc_req *r, o311_fmt fmt) {
    char base[300], url[400];
    base_url(r, base, sizeof base);
    snprintf(url, sizeof url, "%s/open311/v2", base);
    json_t *ep = json_pack("{s:s,s:s,s:s,s:s,s:[s,s]}", "specification", "http://wiki.open311.org/GeoReport_v2",
                           "url", url, "changeset", "2026-11-27T00:00:00+08:00", "type", "production",
                           "formats", "text/xml", "application/json");
    json_t *o = json_pack("{s:s,s:s,s:s,s:[o]}", "changeset", "2026-11-27T00:00:00+08:00", "contact",
                          "the street office operating this jiceng server",
                          "key_service", "ask the operator: jiceng open311 key add --name CLIENT",
                          "endpoints", ep);
    reply(r, fmt, 200, "discovery", o);
}

static void h_get(jc_req *r) {
    char res[64];
    o311_fmt fmt = FMT_XML;
    if (split_format(r->params[0], res, sizeof res, &fmt))
        return reply_error(r, FMT_XML, 404, "no such resource; add .xml or .json");
    if (!strcmp(res, "discovery")) return get_discovery(r, fmt);
    if (!strcmp(res, "services")) return get_services(r, fmt);
    if (!strcmp(res, "requests")) return get_requests(r, fmt);
    if (!strcmp(res, "servicerequestupdates")) return get_updates(r, fmt);
    reply_error(r, fmt, 404, "no resource '%s'", res);
}

/* ---- locating a report ---------------------------------------------------- */

static pthread_mutex_t loc_mu = PTHREAD_MUTEX_INITIALIZER;
static geo_index *loc_idx;
static int64_t loc_built_ms;

static int loc_area_cb(const jc_area *a, void *arg) {
    geo_index *idx = arg;
    if (strcmp(a->level, "grid") || !a->geojson) return 0;
    geo_shape *s;
    if (geo_shape_parse(a->geojson, strlen(a->geojson), &s, NULL, 0)) return 0;
    if (geo_index_add(idx, a->code, s)) geo_shape_free(s);
    return 0;
}

/* The grid containing (lon, lat) into out; 0 found, -1 not. */
static int locate(jc_conn *db, double lon, double lat, char *out, size_t outsz) {
    int found = -1;
    pthread_mutex_lock(&loc_mu);
    int64_t now = jc_now_ms();
    if (!loc_idx || now - loc_built_ms > 30000) {
        geo_index *idx;
        if (geo_index_new(&idx) == JC_OK) {
            if (store_area_each(db, loc_area_cb, idx) == JC_OK && geo_index_build(idx, NULL, 0) == JC_OK) {
                geo_index_free(loc_idx);
                loc_idx = idx;
                loc_built_ms = now;
            } else geo_index_free(idx);
        }
    }
    const char *code;
    if (loc_idx && geo_index_locate(loc_idx, lon, lat, &code) == JC_OK) {
        snprintf(out, outsz, "%s", code);
        found = 0;
    }
    pthread_mutex_unlock(&loc_mu);
    return found;
}

static int street_cb(const jc_area *a, void *arg) {
    char *out = arg;
    if (!out[0] || !strcmp(a->level, "street")) snprintf(out, 24, "%s", a->code);
    return !strcmp(a->level, "street");
}

/* ---- POST requests --------------------------------------------------------- */

typedef struct {
    jc_case k;
    jc_user actor;
    o311_request_row row;
    char *email, *first, *last, *device, *account;
    char payload_hash[65];
    int status;     /* 201 on success, else the error's */
    json_t *result; /* the reply body */
} o311_post;

static void post_free(void *p) {
    o311_post *q = p;
    if (!q) return;
    case_clear(&q->k);
    free(q->email);
    free(q->first);
    free(q->last);
    free(q->device);
    free(q->account);
    json_decref(q->result);
    free(q);
}

/* The report p->k drafts (the form's fields, the located area), for the
 * intake (src/intake.h). */
static intake_report post_report(const o311_post *p) {
    const jc_case *k = &p->k;
    return (intake_report){.channel = INTAKE_OPEN311, .title = k->title, .body = k->body, .address = k->address,
                           .phone = k->phone, .category = k->category, .area = k->area, .has_point = k->has_point,
                           .lon = k->lon, .lat = k->lat, .extra = k->extra, .flags = k->flags,
                           .payload_hash = p->payload_hash};
}

/* Runs on the writer: the case through the intake, the token row. */
static jc_err post_run(jc_conn *w, o311_post *p) {
    intake_report rp = post_report(p);
    intake_result res;
    jc_case k = {0};
    jc_err e = case_report(w, &p->actor, &rp, &k, &res);
    if (e == JC_ERR_INVALID || e == JC_ERR_DENIED) {
        /* refused before anything was written: answer the client. */
        p->status = 400;
        p->result = error_list(400, res.message[0] ? res.message : "invalid request");
        return JC_OK;
    }
    if (e) return e;
    p->row.case_id = k.id;
    p->row.created_ms = k.created_ms;
    case_clear(&k);
    if ((e = o311_request_insert(w, &p->row))) return e;
    p->status = 201;
    p->result = json_pack("[{s:s,s:s,s:s}]", "service_request_id", res.case_no, "token", p->row.token,
                          "service_notice", "");
    if (p->account) json_object_set_new(json_array_get(p->result, 0), "account_id", json_string(p->account));
    return JC_OK;
}

static jc_err post_deferred_run(jc_conn *w, jc_deferred *d) {
    o311_post *p = d->data;
    jc_err e = post_run(w, p);
    if (e) {
        snprintf(d->message, sizeof d->message, "the request could not be stored");
        return e;
    }
    d->status = p->status;
    d->body = p->result;
    p->result = NULL;
    return JC_OK;
}

/* The same for an .xml POST: the XML is rendered on the writer into d->raw
 * (small) and sent after the commit; an error answers in XML too. */
static jc_err post_deferred_xml_run(jc_conn *w, jc_deferred *d) {
    o311_post *p = d->data;
    jc_err e = post_run(w, p);
    json_t *v;
    const char *root;
    if (e) {
        d->status = e == JC_ERR_UNAVAILABLE ? 503 : 500;
        v = json_pack("[{s:i,s:s}]", "code", d->status, "description", "the request could not be stored");
        root = "errors";
    } else {
        d->status = p->status;
        v = p->result;
        p->result = NULL;
        root = p->status == 201 ? "service_requests" : "errors";
    }
    jc_buf b;
    jc_buf_init(&b, 1u << 20);
    jc_err re = o311_xml_render(&b, root, v);
    json_decref(v);
    if (re) {
        jc_buf_free(&b);
        return e ? e : re;
    }
    d->raw_len = b.len;
    d->raw = jc_buf_take(&b);
    snprintf(d->raw_type, sizeof d->raw_type, "text/xml; charset=utf-8");
    return e;
}

static int valid_email(const char *s) {
    const char *at = strchr(s, '@');
    if (!at || at == s || !at[1] || strchr(at + 1, '@') || !strchr(at + 1, '.')) return 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == '"' || *p == ',') return 0;
    return 1;
}

/* Checks the attribute[...] pairs against the category's fields and builds
 * {"code": value | [values]} into *out.  0 ok, else the HTTP status with msg. */
static int check_attributes(const o311_form *f, const jc_category *cat, json_t **out, char *msg, size_t msz) {
    json_t *fields = category_fields(cat), *attrs = json_object();
    int status = 0;
    for (int i = 0; i < f->n && !status; i++) {
        const char *key = f->key[i];
        if (strncmp(key, "attribute[", 10)) continue;
        const char *close = strchr(key + 10, ']');
        if (!close || close == key + 10 || (close[1] && strcmp(close + 1, "[]"))) {
            snprintf(msg, msz, "malformed attribute field '%s'", key);
            status = 400;
            break;
        }
        char code[O311_FORM_MAX_KEY];
        snprintf(code, sizeof code, "%.*s", (int)(close - key - 10), key + 10);
        json_t *def = NULL, *fd;
        size_t j;
        json_array_foreach(fields, j, fd) {
            const char *fc = field_code(fd);
            if (fc && !strcmp(fc, code)) def = fd;
        }
        if (!def) {
            snprintf(msg, msz, "service '%s' has no attribute '%s'", cat->code, code);
            status = 400;
            break;
        }
        const char *dt = field_datatype(def), *v = f->val[i];
        size_t max = !strcmp(dt, "text") ? 4000 : 500;
        if (jc_utf8_len(v) > max) {
            snprintf(msg, msz, "attribute '%s' is longer than %zu characters", code, max);
            status = 400;
            break;
        }
        if (!strcmp(dt, "number")) {
            double d;
            if (o311_parse_double(v, -1e15, 1e15, &d)) {
                snprintf(msg, msz, "attribute '%s' must be a number", code);
                status = 400;
                break;
            }
        } else if (!strcmp(dt, "datetime")) {
            int64_t t;
            if (jc_parse_time(v, &t)) {
                snprintf(msg, msz, "attribute '%s' must be a W3C datetime", code);
                status = 400;
                break;
            }
        } else if (!strcmp(dt, "singlevaluelist") || !strcmp(dt, "multivaluelist")) {
            json_t *vals = field_values(def), *x;
            int ok = 0;
            size_t m;
            json_array_foreach(vals, m, x) ok |= !strcmp(json_string_value(json_object_get(x, "key")), v);
            json_decref(vals);
            if (!ok) {
                snprintf(msg, msz, "attribute '%s' has no value '%s'", code, v);
                status = 400;
                break;
            }
        }
        json_t *have = json_object_get(attrs, code);
        if (!strcmp(dt, "multivaluelist")) {
            if (!have) json_object_set_new(attrs, code, have = json_array());
            json_array_append_new(have, json_string(v));
        } else if (have) {
            snprintf(msg, msz, "attribute '%s' is given twice", code);
            status = 400;
        } else json_object_set_new(attrs, code, json_string(v));
    }
    size_t j;
    json_t *fd;
    json_array_foreach(fields, j, fd) {
        if (status) break;
        const char *fc = field_code(fd);
        if (fc && field_required(fd) && !json_object_get(attrs, fc)) {
            snprintf(msg, msz, "attribute '%s' is required for service '%s'", fc, cat->code);
            status = 400;
        }
    }
    json_decref(fields);
    if (status) json_decref(attrs);
    else *out = attrs;
    return status;
}

static char *dup_opt(const char *s) { return s && *s ? jc_strdup(s) : NULL; }

static void h_post(jc_req *r) {
    char res[64];
    o311_fmt fmt = FMT_XML;
    if (split_format(r->params[0], res, sizeof res, &fmt) || strcmp(res, "requests"))
        return reply_error(r, fmt, 404, "POST only to requests.xml or requests.json");
    const char *ct;
    size_t ctn;
    static const char form_ct[] = "application/x-www-form-urlencoded";
    if (!http_header(r, "content-type", &ct, &ctn) || ctn < sizeof form_ct - 1 ||
        strncasecmp(ct, form_ct, sizeof form_ct - 1) ||
        (ctn > sizeof form_ct - 1 && ct[sizeof form_ct - 1] != ';' && ct[sizeof form_ct - 1] != ' '))
        return reply_error(r, fmt, 400, "the body must be application/x-www-form-urlencoded");
    if (r->body_len > O311_BODY_CAP)
        return reply_error(r, fmt, 413, "the form is larger than %d bytes", O311_BODY_CAP);
    o311_form f;
    char err[256] = "";
    jc_err e = o311_form_parse(r->body ? r->body : "", r->body_len, &f, err, sizeof err);
    if (e) {
        o311_form_free(&f);
        return reply_error(r, fmt, e == JC_ERR_NOMEM ? 503 : 400, "%s", err[0] ? err : "bad form");
    }
    o311_post *p = NULL;
    json_t *attrs = NULL;
    jc_category cat = {0};
    int status = 400;
    char msg[300] = "";
#define FAIL(st, ...) do { status = (st); snprintf(msg, sizeof msg, __VA_ARGS__); goto fail; } while (0)
    /* 1. the key */
    const char *key = o311_form_get(&f, "api_key");
    char kh[65];
    o311_key okey;
    jc_user kuser;
    if (!key || !*key) FAIL(403, "api_key is required");
    if (auth_token_hash(key, strlen(key), kh) || o311_key_get(r->db, kh, &okey) || okey.disabled ||
        store_user_get(r->db, okey.user_id, &kuser))
        FAIL(403, "invalid api_key");
    /* 2. every field known, at most once */
    static const char *const known[] = {"api_key", "jurisdiction_id", "service_code", "lat", "long",
                                        "address_string", "address_id", "email", "device_id",
                                        "account_id", "first_name", "last_name", "phone",
                                        "description", "media_url"};
    for (int i = 0; i < f.n; i++) {
        if (!strncmp(f.key[i], "attribute[", 10)) continue;
        int ok = 0;
        for (size_t j = 0; j < JC_ARRAY_LEN(known); j++) ok |= !strcmp(f.key[i], known[j]);
        if (!ok) FAIL(400, "unknown field '%.64s'", f.key[i]);
        if (o311_form_count(&f, f.key[i]) > 1) FAIL(400, "field '%s' is given more than once", f.key[i]);
    }
    static const struct { const char *name; size_t max; } caps[] = {
        {"jurisdiction_id", 64}, {"service_code", 15}, {"address_string", 200}, {"address_id", 64},
        {"email", 254}, {"device_id", 64}, {"account_id", 64}, {"first_name", 63}, {"last_name", 63},
        {"phone", 20}, {"description", 4000}, {"media_url", 1000}};
    for (size_t j = 0; j < JC_ARRAY_LEN(caps); j++) {
        const char *v = o311_form_get(&f, caps[j].name);
        if (v && jc_utf8_len(v) > caps[j].max)
            FAIL(400, "%s is longer than %zu characters", caps[j].name, caps[j].max);
    }
    /* 3. the service */
    const char *code = o311_form_get(&f, "service_code");
    if (!code || !*code) FAIL(400, "service_code is required");
    e = store_category_get(r->db, code, &cat);
    if (e == JC_ERR_NOTFOUND) FAIL(404, "no service with service_code '%s'", code);
    if (e) FAIL(500, "cannot read the service");
    /* 4. the place */
    const char *slat = o311_form_get(&f, "lat"), *slon = o311_form_get(&f, "long");
    const char *addr = o311_form_get(&f, "address_string"), *addr_id = o311_form_get(&f, "address_id");
    if (slat && !*slat) slat = NULL;
    if (slon && !*slon) slon = NULL;
    if (addr && !*addr) addr = NULL;
    if (addr_id && !*addr_id) addr_id = NULL;
    double lat = 0, lon = 0;
    if (!!slat != !!slon) FAIL(400, "give both lat and long");
    if (slat && o311_parse_double(slat, -90, 90, &lat)) FAIL(400, "lat must be a number from -90 to 90");
    if (slon && o311_parse_double(slon, -180, 180, &lon)) FAIL(400, "long must be a number from -180 to 180");
    if (!slat && !addr && !addr_id) FAIL(400, "a location is required: lat and long, address_string or address_id");
    /* 5. the person and the report */
    const char *email = o311_form_get(&f, "email"), *phone = o311_form_get(&f, "phone");
    const char *desc = o311_form_get(&f, "description"), *media = o311_form_get(&f, "media_url");
    if (email && *email && !valid_email(email)) FAIL(400, "email is not an email address");
    if (media && *media && strncmp(media, "http://", 7) && strncmp(media, "https://", 8))
        FAIL(400, "media_url must be an http or https URL");
    if (media && *media)
        for (const char *q = media; *q; q++)
            if ((unsigned char)*q <= ' ') FAIL(400, "media_url must not contain spaces");
    int st = check_attributes(&f, &cat, &attrs, msg, sizeof msg);
    if (st) {
        status = st;
        goto fail;
    }
    /* 6. build the case */
    p = calloc(1, sizeof *p);
    if (!p) FAIL(503, "out of memory");
    p->actor = kuser;
    memcpy(p->payload_hash, r->payload_hash, sizeof p->payload_hash);
    jc_case *k = &p->k;
    char title[256];
    if (desc && *desc) {
        /* The first line, at most 30 characters. */
        size_t n = 0, chars = 0;
        while (desc[n] && desc[n] != '\n' && desc[n] != '\r' && chars < 30) {
            n++;
            while ((desc[n] & 0xC0) == 0x80) n++;
            chars++;
        }
        snprintf(title, sizeof title, "%.*s%s", (int)n, desc, desc[n] && desc[n] != '\n' && desc[n] != '\r' ? "…" : "");
        if (!n) snprintf(title, sizeof title, "%s", cat.name);
    } else snprintf(title, sizeof title, "%s", cat.name);
    k->title = jc_strdup(title);
    k->body = jc_strdup(desc ? desc : "");
    k->address = dup_opt(addr);
    snprintf(k->category, sizeof k->category, "%s", cat.code);
    snprintf(k->source, sizeof k->source, "open311");
    if (phone && *phone) snprintf(k->phone, sizeof k->phone, "%s", phone);
    k->reporter_id = kuser.id;
    if (slat) {
        k->has_point = 1;
        k->lat = lat;
        k->lon = lon;
    }
    if (!slat || locate(r->db, lon, lat, k->area, sizeof k->area)) {
        k->flags |= CASE_F_UNLOCATED;
        if (kuser.area[0]) snprintf(k->area, sizeof k->area, "%s", kuser.area);
        else {
            char street[24] = "";
            if (store_area_each(r->db, street_cb, street)) FAIL(500, "cannot read the areas");
            if (!street[0]) FAIL(400, "this server has no areas configured");
            snprintf(k->area, sizeof k->area, "%s", street);
        }
    }
    json_t *ox = json_pack("{s:s}", "client", okey.name);
    if (addr_id) json_object_set_new(ox, "address_id", json_string(addr_id));
    if (media && *media) json_object_set_new(ox, "media_url", json_string(media));
    if (json_object_size(attrs)) json_object_set(ox, "attributes", attrs);
    json_t *x = json_pack("{s:o}", "open311", ox);
    k->extra = json_dumps(x, JSON_COMPACT);
    json_decref(x);
    p->email = dup_opt(email);
    p->first = dup_opt(o311_form_get(&f, "first_name"));
    p->last = dup_opt(o311_form_get(&f, "last_name"));
    p->device = dup_opt(o311_form_get(&f, "device_id"));
    p->account = dup_opt(o311_form_get(&f, "account_id"));
    p->row.email = p->email;
    p->row.first_name = p->first;
    p->row.last_name = p->last;
    p->row.device_id = p->device;
    p->row.account_id = p->account;
    snprintf(p->row.client, sizeof p->row.client, "%s", okey.name);
    unsigned char rnd[16];
    randombytes_buf(rnd, sizeof rnd);
    jc_hex(rnd, sizeof rnd, p->row.token);
    if (!k->title || !k->body || !k->extra) FAIL(503, "out of memory");
    {
        /* the intake's rules (phone, title ...), answered here without a writer job */
        intake_report rp = post_report(p);
        intake_result res;
        if (intake_check(&kuser, &rp, &res)) FAIL(res.err == JC_ERR_DENIED ? 403 : 400, "%s", res.message);
    }
    json_decref(attrs);
    category_clear(&cat);
    o311_form_free(&f);
    {
        jc_deferred *d = http_deferred_new(r);
        if (!d) {
            post_free(p);
            return reply_error(r, fmt, 503, "out of memory");
        }
        d->user = kuser;
        d->run = fmt == FMT_JSON ? post_deferred_run : post_deferred_xml_run;
        d->data = p;
        d->free_data = post_free;
        return http_defer(r, d);
    }
fail:
#undef FAIL
    post_free(p);
    json_decref(attrs);
    category_clear(&cat);
    o311_form_free(&f);
    reply_error(r, fmt, status, "%s", msg);
}

/* ---- the route table -------------------------------------------------------- */

static const jc_route open311_routes[] = {
    {"GET", "/open311/v2/:resource", h_get, ACCESS_PUBLIC, NULL},
    {"POST", "/open311/v2/:resource", h_post, ACCESS_PUBLIC, "*"},
    {"GET", "/open311/v2/services/:code", h_service_def, ACCESS_PUBLIC, NULL},
    {"GET", "/open311/v2/requests/:id", h_request_get, ACCESS_PUBLIC, NULL},
    {"GET", "/open311/v2/tokens/:token", h_token_get, ACCESS_PUBLIC, NULL},
};

static const jc_route_table open311_table = {open311_routes, JC_ARRAY_LEN(open311_routes)};

int o311_case_public(const jc_case *k) {
    return strcmp(k->source, "sensor") && strcmp(k->source, "warning");
}

/* The open311 module's row (src/modules.c); its keys' CLI and routes are in
 * open311_keys.c. */
const jc_module module_open311 = {
    .name = "open311",
    .schema = {[JC_STORE_SQLITE] = &schema_open311, [JC_STORE_PG] = &schema_open311_pg},
    .store = {[JC_STORE_SQLITE] = &open311_store_sqlite, [JC_STORE_PG] = &open311_store_pg},
    .routes = {&open311_table, &open311__key_routes},
    .commands = {{"open311", open311__cmd, "manage the API keys of Open311 GeoReport v2 clients"}},
};
