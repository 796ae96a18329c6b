/*
 * warning.c -- judgement and early warning in the server (subsystem 2):
 * the classifier behind POST /api/v1/classify and the suggestion stored for
 * every new case; the early-warning run over daily counts; the warnings API
 * (list, ack, dismiss, open a case, settings); hotspots; `jiceng warn`.
 *
 * Design notes.
 *  - The model is loaded once, on first use (the ticker uses it within a
 *    second of start): the file of `jiceng serve --model FILE`, else one
 *    trained from data/seed_texts.csv (420 rows, well under a second).  It is
 *    immutable afterwards, so every serving thread predicts with it without
 *    a lock.  Its id is the file's name and the first 8 bytes of the BLAKE2b
 *    of its bytes, so a suggestion names the exact model that made it.
 *  - Counting and suggesting are driven by a watermark (warning_sqlite.c):
 *    the hook in case_create and the ticker run the same catch-up, so
 *    nothing is counted twice and nothing is missed across restarts.
 *  - Detection evaluates yesterday (complete) and today (so far) of every
 *    (category, community) and (category, street) series that had a case in
 *    the window.  A partial day can only cross its threshold upwards, so a
 *    warning raised during the day stays true; its numbers are refreshed
 *    while it is open.  It runs when counts changed (at most every 10 real
 *    seconds), when the simulated day rolls over, and on demand
 *    (POST /api/v1/warnings/run).
 *  - Only methods that work on a few weeks of daily counts are offered in
 *    the server: EARS C1/C2/C3 and CUSUM (Farrington needs years of weekly
 *    data: use `jiceng detect`).
 */
#include "warning_int.h"
#include "auth.h"
#include "case.h"
#include "classify.h"
#include "cli.h"
#include "hotspot.h"
#include "intake.h"
#include "http.h"
#include "paths.h"
#include "module.h"
#include "reason.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define R(x) ROLE_BIT(ROLE_##x)
#define DAY_MS 86400000LL
#define TZ_MS 28800000LL
#define SEED_CSV "data/seed_texts.csv"

/* ---- the model ------------------------------------------------------------------ */

static pthread_mutex_t model_mu = PTHREAD_MUTEX_INITIALIZER;
static char model_path[1024];
static classify_model *model;
static int model_tried;
static char model_id[160], model_source[1100];

/* serve --model FILE: the classifier model file the server loads (without
 * one, a model is trained from data/seed_texts.csv on first use). */
static jc_err opt_model(const char *path) {
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof model_path) return JC_ERR_INVALID;
    memcpy(model_path, path, n + 1);
    return JC_OK;
}

static void model_name_id(const char *name) {
    unsigned char *buf = NULL, h[8];
    size_t len = 0;
    char hex[17] = "0";
    if (classify_serialize(model, &buf, &len) == JC_OK) {
        crypto_generichash(h, sizeof h, buf, len, NULL, 0);
        jc_hex(h, sizeof h, hex);
    }
    free(buf);
    snprintf(model_id, sizeof model_id, "%s@%s", name, hex);
}

/* The server's model, loading or training it on first use; NULL when
 * neither worked (logged once). */
static const classify_model *get_model(void) {
    pthread_mutex_lock(&model_mu);
    if (!model_tried) {
        model_tried = 1;
        char msg[256] = "";
        if (model_path[0]) {
            if (classify_load(model_path, &model, msg, sizeof msg) == JC_OK) {
                const char *base = strrchr(model_path, '/');
                model_name_id(base ? base + 1 : model_path);
                snprintf(model_source, sizeof model_source, "file %s", model_path);
            } else {
                jc_log(JC_LOG_ERROR, "warning: cannot load model %s: %s", model_path, msg);
            }
        } else {
            classify_data d = {0};
            classify_cols cols = {"title", "text", "category"};
            classify_params p = classify_params_default();
            char seed_csv[600];
            if (paths_shared(SEED_CSV, seed_csv, sizeof seed_csv) == JC_OK &&
                classify_load_csv(seed_csv, &cols, 1, &d, msg, sizeof msg) == JC_OK &&
                classify_train(&d, &p, &model, msg, sizeof msg) == JC_OK) {
                model_name_id("seed");
                snprintf(model_source, sizeof model_source, "trained at start from " SEED_CSV " (%zu rows)", d.n);
            } else {
                jc_log(JC_LOG_WARN, "warning: no classifier (%s: %s); use serve --model", SEED_CSV, msg);
            }
            classify_data_free(&d);
        }
        if (model) jc_log(JC_LOG_INFO, "classifier %s: %s", model_id, model_source);
    }
    pthread_mutex_unlock(&model_mu);
    return model;
}

/* Loads or trains the classifier when the server starts, so that no request
 * or writer job waits for the training. */
static jc_err warning_start(jc_store *st, char *msg, size_t msgsz) {
    (void)st, (void)msg, (void)msgsz;
    (void)get_model();
    return JC_OK;
}

static json_t *model_json(const classify_model *m) {
    char ts[40];
    jc_fmt_utc(classify_created_ms(m), ts, sizeof ts);
    return json_pack("{s:s,s:s,s:i,s:s,s:i}", "id", model_id, "source", model_source, "format_version",
                     CLASSIFY_FORMAT_VERSION, "created_at", ts, "labels", classify_nlabels(m));
}

/* Top-3 as JSON with labels resolved to categories; *code1 / *p1 the best. */
/* Labels resolved to categories during one writer job: the ticker
 * suggests for up to thousands of cases whose top labels are a few. */
typedef struct {
    int n;
    struct {
        char label[64], code[16], name[64], dcode[32], dname[128];
        int64_t did;
        jc_err e;
    } r[64];
} resolve_cache;

static jc_err resolve(jc_conn *c, resolve_cache *rc, const char *label, char code[16], char name[64],
                      char dcode[32], char dname[128], int64_t *did) {
    if (rc && strlen(label) < sizeof rc->r[0].label)
        for (int i = 0; i < rc->n; i++)
            if (!strcmp(rc->r[i].label, label)) {
                memcpy(code, rc->r[i].code, 16), memcpy(name, rc->r[i].name, 64);
                memcpy(dcode, rc->r[i].dcode, 32), memcpy(dname, rc->r[i].dname, 128);
                *did = rc->r[i].did;
                return rc->r[i].e;
            }
    jc_err e = warning__category_resolve(c, label, code, name, dcode, dname, did);
    if (rc && rc->n < (int)JC_ARRAY_LEN(rc->r) && strlen(label) < sizeof rc->r[0].label &&
        (e == JC_OK || e == JC_ERR_NOTFOUND)) {
        int i = rc->n++;
        snprintf(rc->r[i].label, sizeof rc->r[i].label, "%s", label);
        memcpy(rc->r[i].code, code, 16), memcpy(rc->r[i].name, name, 64);
        memcpy(rc->r[i].dcode, dcode, 32), memcpy(rc->r[i].dname, dname, 128);
        rc->r[i].did = *did;
        rc->r[i].e = e;
    }
    return e;
}

/* One entry of a top list: the model's label and its probability, with the
 * category it names now ("category": null and the label as its name when it
 * names none). */
static json_t *top_entry(jc_conn *c, resolve_cache *rc, const char *label, double prob, jc_err *err, char code[16],
                         char dcode[32], char dname[128], int64_t *did) {
    char name[64] = "";
    jc_err e = resolve(c, rc, label, code, name, dcode, dname, did);
    json_t *o = json_pack("{s:s,s:f}", "label", label, "prob", prob);
    json_object_set_new(o, "category", e ? json_null() : json_string(code));
    json_object_set_new(o, "name", e ? json_string(label) : json_string(name));
    *err = e;
    return o;
}

static json_t *top_json(jc_conn *c, resolve_cache *rc, const classify_model *m, const classify_pred *p,
                        char code1[16], double *p1, json_t **dept) {
    json_t *arr = json_array();
    code1[0] = 0;
    *p1 = 0;
    for (int i = 0; i < p->ntop; i++) {
        const char *label = classify_label(m, p->top[i].label);
        char code[16] = "", dcode[32] = "", dname[128] = "";
        int64_t did = 0;
        jc_err e;
        json_array_append_new(arr, top_entry(c, rc, label, p->top[i].prob, &e, code, dcode, dname, &did));
        if (i == 0) {
            snprintf(code1, 16, "%s", e ? label : code);
            *p1 = p->top[i].prob;
            if (dept) {
                *dept = !e && dcode[0] ? json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)did, "code", dcode,
                                                   "name", dname, "basis", "categories.dept_code (default lead department)")
                                       : json_null();
            }
        }
    }
    return arr;
}

/* A stored suggestion's top list, packed: "label\tprob\n" per entry, the
 * probability to four significant digits.  The category, its name and the
 * JSON keys are put back on reading (top_unpack): a case's suggestion took
 * 342 bytes as JSON, a fifth of what a patrol finding adds to the store.
 * NULL when a label holds a tab or a newline (then the JSON is stored, as
 * before; rows written by earlier builds are JSON too). */
static char *top_pack(const classify_model *m, const classify_pred *p) {
    jc_buf b;
    jc_buf_init(&b, 4096);
    for (int i = 0; i < p->ntop; i++) {
        const char *label = classify_label(m, p->top[i].label);
        if (strpbrk(label, "\t\n")) {
            jc_buf_free(&b);
            return NULL;
        }
        if (jc_buf_printf(&b, "%s\t%.4g\n", label, p->top[i].prob)) {
            jc_buf_free(&b);
            return NULL;
        }
    }
    return b.len ? jc_buf_take(&b) : jc_strdup("");
}

/* The top list of a stored suggestion as the API shows it (a new reference):
 * JSON as stored by earlier builds, or top_pack's text resolved now. */
static json_t *top_unpack(jc_conn *c, const char *stored) {
    if (!stored) return json_array();
    if (stored[0] == '[') {
        json_t *t = json_loads(stored, 0, NULL);
        return t ? t : json_array();
    }
    json_t *arr = json_array();
    for (const char *l = stored; *l;) {
        const char *tab = strchr(l, '\t'), *nl = strchr(l, '\n');
        if (!tab || !nl || tab > nl) break;
        char label[256];
        snprintf(label, sizeof label, "%.*s", (int)(tab - l), l);
        char code[16] = "", dcode[32] = "", dname[128] = "";
        int64_t did = 0;
        jc_err e;
        json_array_append_new(arr, top_entry(c, NULL, label, strtod(tab + 1, NULL), &e, code, dcode, dname, &did));
        l = nl + 1;
    }
    return arr;
}

/* The ticker's suggestion for a new case (errors only logged: a case is
 * never refused for want of a suggestion). */
static int suggest_cb(jc_conn *w, int64_t id, const char *title, const char *body, void *arg) {
    resolve_cache *rc = arg; /* one per writer job */
    const classify_model *m = get_model();
    if (!m) return 0;
    classify_pred p;
    if (classify_predict(m, NULL, title, body ? body : "", 3, 0, &p) != JC_OK) return 0;
    char code1[16];
    double p1;
    json_t *top = top_json(w, rc, m, &p, code1, &p1, NULL);
    char *js = top_pack(m, &p);
    if (!js) js = json_dumps(top, JSON_COMPACT);
    json_decref(top);
    if (warning__suggestion_put(w, id, model_id, code1, p1, js ? js : "[]", jc_now_ms()))
        jc_log(JC_LOG_WARN, "warning: could not store the suggestion of case %lld", (long long)id);
    free(js);
    return 0;
}

/* ---- detection ------------------------------------------------------------------- */

static int64_t local_day(int64_t ms) { return (ms + TZ_MS) >= 0 ? (ms + TZ_MS) / DAY_MS : (ms + TZ_MS - DAY_MS + 1) / DAY_MS; }

static void day_text(int64_t day, char out[16]) {
    char buf[40];
    jc_fmt_local(day * DAY_MS - TZ_MS + 1000, buf, sizeof buf);
    snprintf(out, 16, "%.10s", buf);
}

static void detect_params_from(const warning_config *cfg, detect_params *p, size_t *len) {
    detect_params_default(p, cfg->method);
    p->baseline = cfg->baseline;
    if (cfg->alpha > 0) p->alpha = cfg->alpha;
    *len = cfg->method == DETECT_CUSUM ? (size_t)cfg->baseline + 1 : detect_default_range_start(p, 1000);
}

typedef struct {
    char category[16], area[24];
} series_key;

typedef struct {
    series_key *keys;
    size_t n, cap;
} key_list;

static int key_cb(const char *category, const char *area, void *arg) {
    key_list *l = arg;
    if (!category || !area) return 0;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        series_key *k = realloc(l->keys, nc * sizeof *k);
        if (!k) return 1;
        l->keys = k;
        l->cap = nc;
    }
    snprintf(l->keys[l->n].category, 16, "%s", category);
    snprintf(l->keys[l->n].area, 24, "%s", area);
    l->n++;
    return 0;
}

/* Runs the configured detector over every live series for yesterday and
 * today; *raised gets the number of new warnings. */
static jc_err detect_all(jc_conn *w, int64_t now_ms, int *raised) {
    warning_config cfg;
    jc_err e = warning__config_load(w, &cfg);
    if (e) return e;
    detect_params p;
    size_t L;
    detect_params_from(&cfg, &p, &L);
    if (L < 2 || L > 200) return JC_ERR_INVALID;
    *raised = 0;
    int64_t today = local_day(now_ms);
    char from_txt[16];
    day_text(today - 1 - (int64_t)L, from_txt);
    double counts[200];
    static const int levels[] = {12, 9};
    for (size_t lv = 0; lv < 2 && !e; lv++) {
        key_list kl = {0};
        e = warning__series_keys(w, from_txt, levels[lv], key_cb, &kl);
        for (size_t i = 0; !e && i < kl.n; i++) {
            for (int64_t target = today - 1; !e && target <= today; target++) {
                int64_t first = target - (int64_t)L + 1;
                e = warning__series(w, kl.keys[i].category, kl.keys[i].area, first, L, counts);
                if (e) break;
                detect_point pt;
                size_t np = 0;
                if (detect_run(counts, NULL, L, &p, L, L, &pt, &np) != JC_OK || np != 1) continue;
                if (pt.alarm != 1 || pt.observed < cfg.min_count) continue;
                warning_row row;
                memset(&row, 0, sizeof row);
                snprintf(row.category, sizeof row.category, "%s", kl.keys[i].category);
                snprintf(row.area, sizeof row.area, "%s", kl.keys[i].area);
                day_text(target, row.day);
                snprintf(row.method, sizeof row.method, "%s", detect_method_name(cfg.method));
                row.observed = pt.observed;
                row.expected = pt.expected;
                row.threshold = pt.upperbound;
                row.created_at = now_ms;
                char first_txt[16], expl[512];
                day_text(first, first_txt);
                detect_explain(&pt, &p, expl, sizeof expl);
                json_t *series = json_array();
                for (size_t k = 0; k < L; k++) json_array_append_new(series, json_integer((json_int_t)counts[k]));
                json_t *pj = json_pack("{s:s,s:i,s:f,s:f,s:f,s:s,s:s,s:o,s:f,s:f}", "level",
                                       levels[lv] == 12 ? "community" : "street", "baseline", p.baseline,
                                       "alpha", p.alpha, "min_sigma", p.min_sigma, "min_count", cfg.min_count,
                                       "partial_day", target == today ? "yes" : "no", "series_from",
                                       first_txt, "series", series, "stat", isfinite(pt.stat) ? pt.stat : 0.0,
                                       "spread", isfinite(pt.spread) ? pt.spread : 0.0);
                if (cfg.method == DETECT_CUSUM) {
                    json_object_set_new(pj, "k", json_real(p.k));
                    json_object_set_new(pj, "h", json_real(p.h));
                }
                row.params = json_dumps(pj, JSON_COMPACT);
                json_decref(pj);
                char full[768];
                snprintf(full, sizeof full, "category %s in %s %s on %s: %s", row.category,
                         levels[lv] == 12 ? "community" : "street", row.area, row.day, expl);
                row.explanation = full;
                int r1 = 0;
                e = row.params ? warning__upsert(w, &row, &r1) : JC_ERR_NOMEM;
                *raised += r1;
                free(row.params);
            }
        }
        free(kl.keys);
    }
    return e;
}

static int64_t last_detect_real;

static jc_err detect_now(jc_conn *w, int64_t now_ms, int *raised) {
    jc_err e = detect_all(w, now_ms, raised);
    if (e) return e;
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)local_day(now_ms));
    e = warning__meta_set(w, "last_day", v);
    if (!e) e = warning__meta_set(w, "dirty", "0");
    last_detect_real = jc_real_ms();
    if (*raised) jc_log(JC_LOG_INFO, "warning: %d new early warning(s)", *raised);
    return e;
}

/* ---- rows and settings ---------------------------------------------------------- */

/* warning_store.h */
void warning__row_clear(warning_row *w) {
    if (!w) return;
    free(w->params);
    free(w->explanation);
    free(w->reason);
    w->params = w->explanation = w->reason = NULL;
}

/* warning_int.h: the settings, kept as warning_meta "cfg.*" rows */
void warning__config_default(warning_config *c) {
    c->method = DETECT_EARS_C2;
    c->baseline = 7;
    c->alpha = 0;
    c->min_count = 3;
    c->confidence = 0.5;
}

jc_err warning__config_load(jc_conn *c, warning_config *out) {
    warning__config_default(out);
    char v[64];
    if (warning__meta_get(c, "cfg.method", v, sizeof v)) {
        detect_method m;
        if (detect_method_parse(v, &m) == JC_OK) out->method = m;
    }
    int64_t b;
    if (warning__meta_get(c, "cfg.baseline", v, sizeof v) && jc_parse_i64(v, &b) == JC_OK && b >= 3 && b <= 28)
        out->baseline = (int)b;
    if (warning__meta_get(c, "cfg.alpha", v, sizeof v)) out->alpha = strtod(v, NULL);
    if (warning__meta_get(c, "cfg.min_count", v, sizeof v)) out->min_count = strtod(v, NULL);
    if (warning__meta_get(c, "cfg.confidence", v, sizeof v)) out->confidence = strtod(v, NULL);
    return JC_OK;
}

jc_err warning__config_save(jc_conn *w, const warning_config *cfg) {
    char v[64];
    jc_err e = warning__meta_set(w, "cfg.method", detect_method_name(cfg->method));
    snprintf(v, sizeof v, "%d", cfg->baseline);
    if (!e) e = warning__meta_set(w, "cfg.baseline", v);
    snprintf(v, sizeof v, "%.17g", cfg->alpha);
    if (!e) e = warning__meta_set(w, "cfg.alpha", v);
    snprintf(v, sizeof v, "%.17g", cfg->min_count);
    if (!e) e = warning__meta_set(w, "cfg.min_count", v);
    snprintf(v, sizeof v, "%.17g", cfg->confidence);
    if (!e) e = warning__meta_set(w, "cfg.confidence", v);
    return e;
}

jc_err warning_counts_rebuild(jc_conn *w) { return warning_store(w)->counts_rebuild(w); }

jc_err warning_open_count(jc_conn *c, const char *prefix, int64_t *n) {
    return warning_store(c)->open_count(c, prefix, n);
}

jc_err warning_on_case_created(jc_conn *w, const jc_case *k) {
    (void)k; /* the catch-up counts every case above the watermark, k included */
    int changed;
    resolve_cache rc = {0};
    return warning__catch_up(w, suggest_cb, &rc, &changed);
}

jc_err warning_tick(jc_conn *w, int64_t now_ms) {
    int changed;
    resolve_cache rc = {0};
    jc_err e = warning__catch_up(w, suggest_cb, &rc, &changed);
    if (e) return e;
    char v[32];
    int64_t last_day = -1;
    if (warning__meta_get(w, "last_day", v, sizeof v) && jc_parse_i64(v, &last_day)) last_day = -1;
    int dirty = warning__meta_get(w, "dirty", v, sizeof v) && !strcmp(v, "1");
    int rolled = last_day != local_day(now_ms);
    if (rolled || (dirty && jc_real_ms() - last_detect_real >= 10000)) {
        int raised;
        return detect_now(w, now_ms, &raised);
    }
    return JC_OK;
}

/* ---- HTTP: classify ---------------------------------------------------------------- */

static void h_classify(jc_req *r) {
    const char *title = NULL, *body = NULL;
    if (api_get_str(r, "title", 200, &title) < 0 || api_get_str(r, "body", 5000, &body) < 0) return;
    if ((!title || !*title) && (!body || !*body))
        return http_reply_error(r, JC_ERR_INVALID, "give a title or a body to classify");
    const classify_model *m = get_model();
    if (!m) return http_reply_error(r, JC_ERR_UNAVAILABLE, "no classifier model is loaded");
    warning_config cfg;
    if (warning__config_load(r->db, &cfg)) warning__config_default(&cfg);
    classify_pred p;
    jc_err e = classify_predict(m, NULL, title, body ? body : "", 3, 8, &p);
    if (e == JC_ERR_INVALID)
        return http_reply_error(r, e, "nothing to classify: the text has no letter or digit");
    if (e) return http_reply_error(r, e, "classification failed");
    char code1[16];
    double p1;
    json_t *dept = NULL;
    json_t *top = top_json(r->db, NULL, m, &p, code1, &p1, &dept);
    json_t *grams = json_array();
    for (int i = 0; i < p.ngrams; i++)
        json_array_append_new(grams, json_pack("{s:s,s:f}", "text", p.grams[i].text, "weight", p.grams[i].weight));
    int human = classify_needs_human(&p, cfg.confidence);
    json_t *o = json_pack("{s:o,s:o,s:b,s:b,s:f,s:o,s:o}", "top", top, "grams", grams, "confident", !human,
                          "needs_human", human, "threshold", cfg.confidence, "dept", dept ? dept : json_null(),
                          "model", model_json(m));
    http_reply_json(r, 200, o);
}

static void h_suggestion(jc_req *r) {
    int64_t id;
    if (api_param_id(r, 0, &id)) return;
    jc_case k;
    jc_err e = case_get_visible(r->db, &r->user, id, &k);
    if (e == JC_ERR_NOTFOUND) return http_reply_error(r, e, "no such case");
    if (e) return http_reply_error(r, e, "reading the case failed");
    char mdl[160], top1[16], ts[40];
    double p1;
    int64_t at;
    char *tj = NULL;
    e = warning__suggestion_get(r->db, id, mdl, sizeof mdl, top1, &p1, &at, &tj);
    if (e == JC_ERR_NOTFOUND) {
        /* the case exists; the model has not (yet) looked at it */
        json_t *none = json_pack("{s:I,s:n,s:s}", "case_id", (json_int_t)id, "suggestion", "category", k.category);
        case_clear(&k);
        return http_reply_json(r, 200, none);
    }
    if (e) {
        case_clear(&k);
        return http_reply_error(r, e, "reading the suggestion failed");
    }
    jc_fmt_utc(at, ts, sizeof ts);
    json_t *top = top_unpack(r->db, tj);
    free(tj);
    json_t *o = json_pack("{s:I,s:s,s:s,s:f,s:s,s:o,s:s,s:b}", "case_id", (json_int_t)id, "model", mdl, "top1",
                          top1, "p1", p1, "at", ts, "top", top ? top : json_array(), "category", k.category,
                          "agrees", !strcmp(top1, k.category));
    case_clear(&k);
    http_reply_json(r, 200, o);
}

/* ---- HTTP: warnings ------------------------------------------------------------------ */

static int has_prefix(const char *s, const char *p) { return *p && !strncmp(s, p, strlen(p)); }

static int warning_visible(const jc_user *u, const char *area) {
    return u->role == ROLE_ADMIN || has_prefix(area, u->area);
}

static json_t *row_json(const warning_row *w) {
    char ts[40], at[40];
    jc_fmt_utc(w->created_at, ts, sizeof ts);
    jc_fmt_utc(w->at, at, sizeof at);
    json_t *params = w->params ? json_loads(w->params, 0, NULL) : NULL;
    json_t *o = json_pack("{s:I,s:{s:s,s:s,s:s},s:s,s:f,s:f,s:f,s:s,s:o,s:s,s:s,s:s}", "id", (json_int_t)w->id,
                          "series", "category", w->category, "area", w->area, "level",
                          strlen(w->area) >= 12 ? "community" : "street", "day", w->day, "observed", w->observed,
                          "expected", w->expected, "threshold", w->threshold, "method", w->method, "params",
                          params ? params : json_object(), "explanation", w->explanation ? w->explanation : "",
                          "state", w->state, "created_at", ts);
    json_object_set_new(o, "by", w->by[0] ? json_string(w->by) : json_null());
    json_object_set_new(o, "at", w->at ? json_string(at) : json_null());
    json_object_set_new(o, "reason", w->reason ? json_string(w->reason) : json_null());
    json_object_set_new(o, "case_id", w->case_id ? json_integer(w->case_id) : json_null());
    return o;
}

static int list_cb(const warning_row *w, void *arg) {
    json_array_append_new(arg, row_json(w));
    return 0;
}

static void h_warnings(jc_req *r) {
    char state[24] = "", area[32] = "", tmp[16];
    int64_t limit = 100;
    if (http_query(r, "state", state, sizeof state) && strcmp(state, "open") && strcmp(state, "acknowledged") &&
        strcmp(state, "dismissed") && strcmp(state, "escalated"))
        return http_reply_error(r, JC_ERR_INVALID, "state must be open, acknowledged, dismissed or escalated");
    if (http_query(r, "limit", tmp, sizeof tmp) && (jc_parse_i64(tmp, &limit) || limit < 1 || limit > 500))
        return http_reply_error(r, JC_ERR_INVALID, "limit must be 1..500");
    http_query(r, "area", area, sizeof area);
    if (r->user.role != ROLE_ADMIN && (!area[0] || !has_prefix(area, r->user.area)))
        snprintf(area, sizeof area, "%s", r->user.area);
    json_t *arr = json_array();
    jc_err e = warning__list(r->db, state[0] ? state : NULL, area, (int)limit, list_cb, arr);
    if (e) {
        json_decref(arr);
        return http_reply_error(r, e, "listing warnings failed");
    }
    http_reply_json(r, 200, json_pack("{s:o}", "warnings", arr));
}

static void h_warning_get(jc_req *r) {
    int64_t id;
    if (api_param_id(r, 0, &id)) return;
    warning_row w;
    jc_err e = warning__get(r->db, id, &w);
    if (e == JC_ERR_NOTFOUND || (!e && !warning_visible(&r->user, w.area))) {
        if (!e) warning__row_clear(&w);
        return http_reply_error(r, JC_ERR_NOTFOUND, "no such warning");
    }
    if (e) return http_reply_error(r, e, "reading the warning failed");
    http_reply_json(r, 200, row_json(&w));
    warning__row_clear(&w);
}

typedef struct {
    int64_t id;
    int op; /* 0 ack, 1 dismiss, 2 case */
    char reason[512];
} act_data;

static jc_err run_warning_act(jc_conn *w, jc_deferred *d) {
    act_data *a = d->data;
    warning_row row;
    jc_err e = warning__get(w, a->id, &row);
    if (e == JC_ERR_NOTFOUND || (!e && !warning_visible(&d->user, row.area))) {
        if (!e) warning__row_clear(&row);
        snprintf(d->message, sizeof d->message, "no such warning");
        return JC_ERR_NOTFOUND;
    }
    if (e) return e;
    static const char *const ops[] = {"ack", "dismiss", "case"};
    int is_open = !strcmp(row.state, "open"), is_ack = !strcmp(row.state, "acknowledged");
    if (!(is_open || (a->op > 0 && is_ack))) {
        snprintf(d->message, sizeof d->message, "the warning is %s; cannot %s it", row.state, ops[a->op]);
        warning__row_clear(&row);
        return JC_ERR_CONFLICT;
    }
    int64_t now = jc_now_ms(), case_id = 0;
    char case_no[40] = "";
    json_t *case_js = NULL;
    if (a->op == 2) {
        /* in words a person reads: names, not codes; the statistics stay on
         * the warning */
        char title[300], body[1400], cat[128] = "", area[128] = "";
        jc_category kc;
        jc_area ka;
        if (store_category_get(w, row.category, &kc) == JC_OK) {
            snprintf(cat, sizeof cat, "%s", kc.name);
            category_clear(&kc);
        }
        if (store_area_get(w, row.area, &ka) == JC_OK) {
            snprintf(area, sizeof area, "%s", ka.name);
            area_clear(&ka);
        }
        snprintf(title, sizeof title, "预警：%s%s异常增多", area[0] ? area : "本区域", cat[0] ? cat : "此类事项");
        snprintf(body, sizeof body, "预警研判：%s%s %s 有 %g 件，往常约 %.1f 件，超过预警线 %.1f 件。%s", area, cat,
                 row.day, row.observed, row.expected, row.threshold, a->reason);
        /* through the one intake: registered at once (the warning channel) */
        intake_report rp = {.channel = INTAKE_WARNING, .title = title, .body = body, .category = row.category,
                            .area = row.area, .payload_hash = d->payload_hash};
        intake_result res;
        jc_case k = {0};
        e = case_report(w, &d->user, &rp, &k, &res);
        if (e) {
            jc_fmt_cut(d->message, sizeof d->message, "could not open a case: %s", res.message);
        } else {
            case_id = k.id;
            snprintf(case_no, sizeof case_no, "%s", res.case_no);
            case_js = case_to_json(&k, &d->user, 0);
        }
        case_clear(&k);
    }
    static const char *const states[] = {"acknowledged", "dismissed", "escalated"};
    if (!e) e = warning__set_state(w, a->id, states[a->op], d->user.name, a->reason[0] ? a->reason : NULL, case_id, now);
    if (!e) {
        /* a code (docs/audit.md): the warning's category, area, day and count, the case
         * opened from it, the person's reason */
        char note[1400], obs[32];
        snprintf(obs, sizeof obs, "%g", row.observed);
        reason_buf rb;
        reason_begin(&rb, note, sizeof note, "warning_decided");
        reason_int(&rb, "warning", a->id);
        reason_str(&rb, "category", row.category);
        reason_str(&rb, "area", row.area);
        reason_str(&rb, "day", row.day);
        reason_str(&rb, "observed", obs);
        if (case_id) reason_int(&rb, "case_id", case_id), reason_str(&rb, "no", case_no);
        reason_str(&rb, "note", a->reason[0] ? a->reason : NULL);
        static const char *const actions[] = {"warning_ack", "warning_dismiss", "warning_case"};
        e = auth_audit(w, &d->user, actions[a->op], reason_end(&rb));
    }
    warning__row_clear(&row);
    if (e) {
        json_decref(case_js);
        return e;
    }
    warning_row now_row;
    if (warning__get(w, a->id, &now_row) == JC_OK) {
        d->body = row_json(&now_row);
        warning__row_clear(&now_row);
        if (case_js) json_object_set_new(d->body, "case", case_js);
    } else {
        json_decref(case_js);
    }
    d->status = a->op == 2 ? 201 : 200;
    return JC_OK;
}

static void warning_act(jc_req *r, int op) {
    int64_t id;
    if (api_param_id(r, 0, &id)) return;
    const char *reason = NULL;
    int k = op == 1 ? api_need_str(r, "reason", 500, &reason) : api_get_str(r, "reason", 500, &reason);
    if (k < 0) return;
    act_data *a = calloc(1, sizeof *a);
    if (!a) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    a->id = id;
    a->op = op;
    snprintf(a->reason, sizeof a->reason, "%s", reason ? reason : "");
    api_defer(r, run_warning_act, a, free);
}

static void h_ack(jc_req *r) { warning_act(r, 0); }
static void h_dismiss(jc_req *r) { warning_act(r, 1); }
static void h_case(jc_req *r) { warning_act(r, 2); }

static json_t *config_json(const warning_config *c) {
    detect_params p;
    size_t L;
    detect_params_from(c, &p, &L);
    return json_pack("{s:s,s:i,s:f,s:f,s:f,s:i,s:[s,s,s,s]}", "method", detect_method_name(c->method), "baseline",
                     c->baseline, "alpha", p.alpha, "min_count", c->min_count, "confidence", c->confidence,
                     "series_days", (int)L, "methods", "ears-c1", "ears-c2", "ears-c3", "cusum");
}

static void h_config_get(jc_req *r) {
    warning_config c;
    jc_err e = warning__config_load(r->db, &c);
    if (e) return http_reply_error(r, e, "reading the settings failed");
    http_reply_json(r, 200, config_json(&c));
}

static jc_err run_config_put(jc_conn *w, jc_deferred *d) {
    warning_config *c = d->data;
    warning_config old;
    jc_err e = warning__config_load(w, &old);
    if (!e) e = warning__config_save(w, c);
    if (!e) e = warning__meta_set(w, "dirty", "1");
    /* a code (docs/audit.md): each setting as [before, after]; alpha as in force (0
     * stored means the method's default) */
    char changes[512], note[700];
    detect_params pa, pb;
    size_t la, lb;
    detect_params_from(&old, &pa, &la);
    detect_params_from(c, &pb, &lb);
    snprintf(changes, sizeof changes,
             "{\"method\":[\"%s\",\"%s\"],\"baseline\":[%d,%d],\"alpha\":[%g,%g],\"min_count\":[%g,%g],"
             "\"confidence\":[%g,%g]}",
             detect_method_name(old.method), detect_method_name(c->method), old.baseline, c->baseline, pa.alpha,
             pb.alpha, old.min_count, c->min_count, old.confidence, c->confidence);
    reason_buf rb;
    reason_begin(&rb, note, sizeof note, "settings");
    reason_str(&rb, "of", "warning");
    reason_raw(&rb, "changes", changes);
    if (!e) e = auth_audit(w, &d->user, "warning_config", reason_end(&rb));
    if (e) return e;
    d->body = config_json(c);
    d->status = 200;
    return JC_OK;
}

static void h_config_put(jc_req *r) {
    warning_config c;
    if (warning__config_load(r->db, &c)) warning__config_default(&c);
    const char *method;
    int64_t baseline;
    double alpha, minc, conf;
    int k;
    if ((k = api_get_str(r, "method", 30, &method)) < 0) return;
    if (k) {
        detect_method m;
        if (detect_method_parse(method, &m) || m == DETECT_FARRINGTON || m == DETECT_FARRINGTON_FLEX)
            return http_reply_error(r, JC_ERR_INVALID,
                                    "method must be ears-c1, ears-c2, ears-c3 or cusum (Farrington needs years of data: use jiceng detect)");
        if (m != c.method) c.alpha = 0; /* the new method's default unless given */
        c.method = m;
    }
    if ((k = api_get_int(r, "baseline", 3, 28, &baseline)) < 0) return;
    if (k) c.baseline = (int)baseline;
    if ((k = api_get_num(r, "alpha", 0, 0.5, &alpha)) < 0) return;
    if (k) c.alpha = alpha;
    if ((k = api_get_num(r, "min_count", 0, 1e6, &minc)) < 0) return;
    if (k) c.min_count = minc;
    if ((k = api_get_num(r, "confidence", 0, 1, &conf)) < 0) return;
    if (k) c.confidence = conf;
    warning_config *cp = malloc(sizeof *cp);
    if (!cp) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    *cp = c;
    api_defer(r, run_config_put, cp, free);
}

static jc_err run_detect(jc_conn *w, jc_deferred *d) {
    int changed, raised = 0;
    resolve_cache rc = {0};
    jc_err e = warning__catch_up(w, suggest_cb, &rc, &changed);
    if (!e) e = detect_now(w, jc_now_ms(), &raised);
    if (e) return e;
    d->body = json_pack("{s:i}", "raised", raised);
    d->status = 200;
    return JC_OK;
}

static void h_run(jc_req *r) { api_defer(r, run_detect, NULL, NULL); }

/* ---- HTTP: hotspots ----------------------------------------------------------------- */

typedef struct {
    char code[24], parent[24], name[128];
    double bbox[4]; /* minlon, minlat, maxlon, maxlat; NaN without geometry */
    double *hist;   /* nwin counts */
    double cur;
    size_t *nb;
    size_t nnb;
} hs_area;

typedef struct {
    hs_area *a;
    size_t n, cap;
    const char *prefix, *level;
    int nwin;
} hs_ctx;

static void bbox_walk(json_t *v, double *bb) {
    if (!json_is_array(v)) return;
    if (json_array_size(v) >= 2 && json_is_number(json_array_get(v, 0)) && json_is_number(json_array_get(v, 1))) {
        double x = json_number_value(json_array_get(v, 0)), y = json_number_value(json_array_get(v, 1));
        if (isnan(bb[0]) || x < bb[0]) bb[0] = x;
        if (isnan(bb[1]) || y < bb[1]) bb[1] = y;
        if (isnan(bb[2]) || x > bb[2]) bb[2] = x;
        if (isnan(bb[3]) || y > bb[3]) bb[3] = y;
        return;
    }
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) bbox_walk(e, bb);
}

static void geo_bbox(const char *geojson, double *bb) {
    bb[0] = bb[1] = bb[2] = bb[3] = NAN;
    if (!geojson) return;
    json_t *g = json_loads(geojson, 0, NULL);
    if (!g) return;
    json_t *geom = json_object_get(g, "geometry");
    json_t *coords = json_object_get(geom ? geom : g, "coordinates");
    if (coords) bbox_walk(coords, bb);
    json_decref(g);
}

static int hs_area_cb(const jc_area *a, void *arg) {
    hs_ctx *c = arg;
    if (strcmp(a->level, c->level) || (c->prefix[0] && !has_prefix(a->code, c->prefix))) return 0;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 32;
        hs_area *na = realloc(c->a, nc * sizeof *na);
        if (!na) return 1;
        c->a = na;
        c->cap = nc;
    }
    hs_area *h = &c->a[c->n];
    memset(h, 0, sizeof *h);
    snprintf(h->code, sizeof h->code, "%s", a->code);
    snprintf(h->parent, sizeof h->parent, "%s", a->parent);
    snprintf(h->name, sizeof h->name, "%s", a->name);
    geo_bbox(a->geojson, h->bbox);
    h->hist = calloc((size_t)c->nwin, sizeof *h->hist);
    h->nb = calloc(1, sizeof *h->nb); /* grown below */
    if (!h->hist || !h->nb) {
        free(h->hist);
        free(h->nb);
        return 1;
    }
    c->n++;
    return 0;
}

static int hs_count_cb(const char *area, int win, int64_t n, void *arg) {
    hs_ctx *c = arg;
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->a[i].code, area)) continue;
        if (win == c->nwin) c->a[i].cur = (double)n;
        else if (win >= 0 && win < c->nwin) c->a[i].hist[win] = (double)n;
        break;
    }
    return 0;
}

static int bbox_touch(const double *a, const double *b) {
    const double eps = 1e-6;
    if (isnan(a[0]) || isnan(b[0])) return -1;
    return a[0] <= b[2] + eps && b[0] <= a[2] + eps && a[1] <= b[3] + eps && b[1] <= a[3] + eps;
}

static void h_hotspots(jc_req *r) {
    char tmp[32], level[16] = "community", category[16] = "", area[32] = "";
    int64_t days = 7, nwin = 8;
    if (http_query(r, "days", tmp, sizeof tmp) && (jc_parse_i64(tmp, &days) || days < 1 || days > 90))
        return http_reply_error(r, JC_ERR_INVALID, "days must be 1..90");
    if (http_query(r, "windows", tmp, sizeof tmp) && (jc_parse_i64(tmp, &nwin) || nwin < 2 || nwin > 52))
        return http_reply_error(r, JC_ERR_INVALID, "windows must be 2..52");
    if (http_query(r, "level", level, sizeof level) && strcmp(level, "community") && strcmp(level, "grid"))
        return http_reply_error(r, JC_ERR_INVALID, "level must be community or grid");
    http_query(r, "category", category, sizeof category);
    http_query(r, "area", area, sizeof area);
    if (r->user.role != ROLE_ADMIN && (!area[0] || !has_prefix(area, r->user.area)))
        snprintf(area, sizeof area, "%s", r->user.area);
    hs_ctx c = {.prefix = area, .level = level, .nwin = (int)nwin};
    jc_err e = store_area_each(r->db, hs_area_cb, &c);
    int64_t win = days * DAY_MS, now = jc_now_ms();
    int64_t from = now - (nwin + 1) * win;
    if (!e)
        e = warning__window_counts(r->db, area, !strcmp(level, "grid") ? 15 : 12, category[0] ? category : NULL,
                                   from, win, (int)nwin + 1, hs_count_cb, &c);
    hotspot_area *ha = calloc(c.n ? c.n : 1, sizeof *ha);
    hotspot_result *res = calloc(c.n ? c.n : 1, sizeof *res);
    if (!ha || !res) e = JC_ERR_NOMEM;
    /* neighbours: bounding boxes that touch, else the same parent */
    for (size_t i = 0; !e && i < c.n; i++) {
        size_t *nb = realloc(c.a[i].nb, (c.n ? c.n : 1) * sizeof *nb);
        if (!nb) {
            e = JC_ERR_NOMEM;
            break;
        }
        c.a[i].nb = nb;
        for (size_t j = 0; j < c.n; j++) {
            if (i == j) continue;
            int t = bbox_touch(c.a[i].bbox, c.a[j].bbox);
            if (t == 1 || (t < 0 && !strcmp(c.a[i].parent, c.a[j].parent))) nb[c.a[i].nnb++] = j;
        }
        ha[i] = (hotspot_area){c.a[i].code, c.a[i].cur, c.a[i].hist, (size_t)nwin, c.a[i].nb, c.a[i].nnb};
    }
    hotspot_params hp;
    hotspot_params_default(&hp);
    if (!e && c.n) e = hotspot_score(ha, c.n, &hp, res);
    if (e) {
        http_reply_error(r, e, "hotspot scoring failed");
    } else {
        json_t *arr = json_array();
        for (size_t i = 0; i < c.n; i++) {
            const hotspot_result *h = &res[i];
            const hs_area *a = &c.a[h->area];
            char expl[512];
            hotspot_explain(h, ha, &hp, c.n, expl, sizeof expl);
            json_t *nbs = json_array(), *hist = json_array();
            for (size_t j = 0; j < a->nnb; j++) json_array_append_new(nbs, json_string(c.a[a->nb[j]].code));
            for (int j = 0; j < nwin; j++) json_array_append_new(hist, json_integer((json_int_t)a->hist[j]));
            json_t *o = json_pack("{s:i,s:s,s:s,s:f,s:f,s:f,s:f,s:b,s:o,s:o,s:s}", "rank", (int)i + 1, "area",
                                  a->code, "name", a->name, "observed", h->observed, "expected", h->expected,
                                  "p_value", h->p_value, "p_adjusted", h->p_adjusted, "hotspot", h->hotspot,
                                  "history", hist, "neighbours", nbs, "explanation", expl);
            json_object_set_new(o, "own_rate", isfinite(h->own_rate) ? json_real(h->own_rate) : json_null());
            json_object_set_new(o, "neighbour_rate",
                                isfinite(h->neighbour_rate) ? json_real(h->neighbour_rate) : json_null());
            json_array_append_new(arr, o);
        }
        http_reply_json(r, 200,
                        json_pack("{s:s,s:I,s:I,s:s,s:f,s:f,s:s,s:o}", "level", level, "days", (json_int_t)days,
                                  "windows", (json_int_t)nwin, "correction", "benjamini-hochberg", "alpha", hp.alpha,
                                  "neighbour_weight", hp.neighbour_weight, "neighbours",
                                  "touching bounding boxes of the areas' polygons, else the same parent",
                                  "areas", arr));
    }
    for (size_t i = 0; i < c.n; i++) {
        free(c.a[i].hist);
        free(c.a[i].nb);
    }
    free(c.a);
    free(ha);
    free(res);
}

/* ---- routes ------------------------------------------------------------------------- */

#define WSTAFF (R(COMMUNITY_STAFF) | R(DISPATCHER) | R(SUPERVISOR) | R(ADMIN))

static const jc_route warning_routes[] = {
    {"POST", "/api/v1/classify", h_classify, ACCESS_USER, "title,body"},
    {"GET", "/api/v1/cases/:id/suggestion", h_suggestion, ACCESS_USER, NULL},
    {"GET", "/api/v1/warnings", h_warnings, WSTAFF, NULL},
    {"GET", "/api/v1/warnings/config", h_config_get, R(DISPATCHER) | R(ADMIN), NULL},
    {"PUT", "/api/v1/warnings/config", h_config_put, R(DISPATCHER) | R(ADMIN),
     "method,baseline,alpha,min_count,confidence"},
    {"POST", "/api/v1/warnings/run", h_run, R(DISPATCHER) | R(ADMIN), NULL},
    {"GET", "/api/v1/warnings/:id", h_warning_get, WSTAFF, NULL},
    {"POST", "/api/v1/warnings/:id/ack", h_ack, WSTAFF, "reason"},
    {"POST", "/api/v1/warnings/:id/dismiss", h_dismiss, WSTAFF, "reason"},
    {"POST", "/api/v1/warnings/:id/case", h_case, WSTAFF, "reason"},
    {"GET", "/api/v1/hotspots", h_hotspots, WSTAFF, NULL},
};

static const jc_route_table warning_table = {warning_routes, JC_ARRAY_LEN(warning_routes)};

/* ---- CLI: jiceng warn ------------------------------------------------------------------ */

static const char warn_help[] =
    "usage: jiceng warn <train|rebuild|run> --db DB [--out MODEL]\n"
    "  train    train a classifier from the closed cases of DB (title + body -> the\n"
    "           final category, i.e. what dispatchers corrected it to); writes MODEL\n"
    "           (serve it with `jiceng serve --model MODEL`)\n"
    "  rebuild  recount daily_counts from the cases table\n"
    "  run      run the early-warning detectors now (as the server's ticker does)\n"
    "See docs/warnings.md.\n";

static int train_row(const char *title, const char *body, const char *category, void *arg) {
    return classify_data_add(arg, title, body ? body : "", category) != JC_OK;
}

static jc_err cli_rebuild(jc_conn *w, void *arg) {
    (void)arg;
    return warning_counts_rebuild(w);
}

static jc_err cli_run(jc_conn *w, void *arg) {
    int changed;
    jc_err e = warning__catch_up(w, NULL, NULL, &changed);
    if (!e) e = detect_now(w, jc_now_ms(), arg);
    return e;
}

static int cmd_warn(int argc, char **argv) {
    if (argc < 2 || cli_wants_help(argc, argv)) return fputs(warn_help, argc < 2 ? stderr : stdout), argc < 2 ? JC_EXIT_USAGE : JC_EXIT_OK;
    const char *sub = argv[1], *db = NULL, *out = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return cli_usage_error("warn", "option %s needs a value", a);
        i++;
        if (!strcmp(a, "--db")) db = v;
        else if (!strcmp(a, "--out")) out = v;
        else return cli_usage_error("warn", "unexpected argument '%s'", a);
    }
    if (!db) return cli_usage_error("warn", "missing --db DB");
    int is_train = !strcmp(sub, "train");
    if (!is_train && strcmp(sub, "rebuild") && strcmp(sub, "run"))
        return cli_usage_error("warn", "unknown subcommand '%s'", sub);
    if (is_train && !out) return cli_usage_error("warn", "train needs --out MODEL");
    jc_store *st = NULL;
    int version;
    if (store_open(db, &st) || store_migrate(st, &version)) {
        fprintf(stderr, "jiceng warn: cannot open or migrate %s\n", db);
        store_close(st);
        return JC_EXIT_FAIL;
    }
    int rc = JC_EXIT_OK;
    if (is_train) {
        jc_conn *c = NULL;
        classify_data d = {0};
        classify_model *m = NULL;
        char msg[256] = "";
        classify_params p = classify_params_default();
        jc_err e = store_conn_open(st, &c);
        if (!e) e = warning__closed_cases(c, train_row, &d);
        if (!e) e = classify_train(&d, &p, &m, msg, sizeof msg);
        if (!e) e = classify_save(m, out);
        if (e) {
            fprintf(stderr, "jiceng warn train: %s (%zu closed cases)%s%s\n", jc_err_code(e), d.n, msg[0] ? ": " : "", msg);
            rc = JC_EXIT_FAIL;
        } else {
            printf("trained on %zu closed cases, %d categories; wrote %s\n", d.n, classify_nlabels(m), out);
        }
        classify_free(m);
        classify_data_free(&d);
        store_conn_close(c);
    } else if (!strcmp(sub, "rebuild")) {
        if (store_exec(st, cli_rebuild, NULL)) rc = JC_EXIT_FAIL;
        else printf("daily counts rebuilt\n");
    } else {
        int raised = 0;
        if (store_exec(st, cli_run, &raised)) rc = JC_EXIT_FAIL;
        else printf("%d new warning(s)\n", raised);
    }
    store_close(st);
    return rc;
}

/* Live updates: a "warning" event per new warning, seen by staff of its area. */
typedef struct {
    int (*emit)(const jc_live_event *ev, void *arg);
    void *arg;
} live_ctx;

static int live_warning(const warning_brief *w, void *arg) {
    live_ctx *x = arg;
    char at[40];
    jc_fmt_utc(w->created_at, at, sizeof at);
    json_t *d = json_pack("{s:I,s:s,s:s,s:f,s:f,s:s,s:s}", "id", (json_int_t)w->id, "category", w->category, "area",
                          w->area, "observed", w->observed, "threshold", w->threshold, "state", w->state, "at", at);
    modules_live_json(x->emit, x->arg, (jc_live_event){.type = "warning", .area = w->area}, d);
    return 0;
}

static jc_err warning_live(jc_conn *c, int64_t *mark, int (*emit)(const jc_live_event *ev, void *arg), void *arg) {
    live_ctx x = {emit, arg};
    return warning__since(c, *mark, 200, mark, emit ? live_warning : NULL, &x);
}

/* The warning module's row (src/modules.c). */
const jc_module module_warning = {
    .name = "warning",
    .schema = {[JC_STORE_SQLITE] = &schema_warning, [JC_STORE_PG] = &schema_warning_pg},
    .store = {[JC_STORE_SQLITE] = &warning_store_sqlite, [JC_STORE_PG] = &warning_store_pg},
    .routes = {&warning_table},
    .tick = warning_tick,
    .commands = {{"warn", cmd_warn, "early warnings: train the classifier from closed cases, recount, run detectors"}},
    .options = {{"--model", "FILE  the classifier model of `jiceng warn train` (docs/warnings.md)", opt_model}},
    .start = warning_start,
    .live = warning_live,
};
