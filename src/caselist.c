/*
 * caselist.c -- the case lists and the search (caselist.h): GET
 * /api/v1/cases, the index terms of a case, the text index's ticker.
 *
 * Design notes
 *  - A request becomes one walk (caselist_store.h): the caller's scope and
 *    the filter are its conditions; the index it walks is chosen so that
 *    the page's cost does not grow with the store: a resident's reports by
 *    the reporter index, a text search by the text index, a department's
 *    cases by its own indexes, a person's tasks by the assignee index, open
 *    cases by the index of open cases, anything else newest (or oldest)
 *    first by id.  A page stops after CASELIST_BUDGET rows examined, so a
 *    rare filter costs a bounded page that may hold fewer cases than asked,
 *    with a cursor to go on from.
 *  - Pages are keyset pages: the cursor is the id the last page stopped
 *    at; a page deep in costs what the first one does.
 *  - Scope as GET /api/v1/cases always had it, except department staff:
 *    the cases their department leads, co-handles (while open) or was
 *    summoned to by a whistle -- what a case's page shows them.
 */
#include "caselist.h"
#include "caselist_store.h"
#include "http.h"
#include "case.h"
#include "module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

/* ---- terms ------------------------------------------------------------------------ */

#define WORD_MAX 32 /* code points of a non-CJK term */

static int is_cjk(uint32_t c) {
    return (c >= 0x3040 && c <= 0x30ff) ||   /* kana */
           (c >= 0x3400 && c <= 0x4dbf) ||   /* CJK extension A */
           (c >= 0x4e00 && c <= 0x9fff) ||   /* CJK unified ideographs */
           (c >= 0xac00 && c <= 0xd7af) ||   /* hangul */
           (c >= 0xf900 && c <= 0xfaff) ||   /* compatibility ideographs */
           (c >= 0x20000 && c <= 0x3134f);   /* extensions B.. */
}

static jc_err put_cp(jc_buf *b, uint32_t c) {
    char u[4];
    size_t n;
    if (c < 0x80) u[0] = (char)c, n = 1;
    else if (c < 0x800) u[0] = (char)(0xc0 | c >> 6), u[1] = (char)(0x80 | (c & 0x3f)), n = 2;
    else if (c < 0x10000)
        u[0] = (char)(0xe0 | c >> 12), u[1] = (char)(0x80 | ((c >> 6) & 0x3f)), u[2] = (char)(0x80 | (c & 0x3f)), n = 3;
    else
        u[0] = (char)(0xf0 | c >> 18), u[1] = (char)(0x80 | ((c >> 12) & 0x3f)),
        u[2] = (char)(0x80 | ((c >> 6) & 0x3f)), u[3] = (char)(0x80 | (c & 0x3f)), n = 4;
    return jc_buf_append(b, u, n);
}

/* Appends the code points of s, normalised for search, to *cps (*n of
 * *cap, grown with realloc): full-width letters and digits as ASCII, ASCII
 * letters in lower case, every punctuation mark, symbol or space of ASCII,
 * Latin-1, general and CJK punctuation and the full-width forms as one
 * ' ', runs of them as one.  (A fixed table, not NFKC: utf8proc's took
 * ~40 us a case, a tenth of that here; undecodable bytes are skipped.) */
static jc_err norm_append(const char *s, uint32_t **cps, size_t *cap, size_t *n) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t c;
        int len;
        if (*p < 0x80) c = *p, len = 1;
        else if ((*p & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) c = (uint32_t)(*p & 0x1f) << 6 | (p[1] & 0x3f), len = 2;
        else if ((*p & 0xf0) == 0xe0 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80)
            c = (uint32_t)(*p & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f), len = 3;
        else if ((*p & 0xf8) == 0xf0 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80)
            c = (uint32_t)(*p & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 | (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f),
            len = 4;
        else {
            p++;
            continue;
        }
        p += len;
        if (c >= 0xff01 && c <= 0xff5e) c -= 0xfee0; /* full-width ASCII */
        if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
        int sep = c < 0x80 ? !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                           : (c >= 0x80 && c <= 0xbf) || (c >= 0x2000 && c <= 0x206f) || (c >= 0x3000 && c <= 0x303f) ||
                                 (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xffef);
        if (sep) {
            if (!*n || (*cps)[*n - 1] == ' ') continue;
            c = ' ';
        }
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 256;
            uint32_t *x = realloc(*cps, nc * sizeof *x);
            if (!x) return JC_ERR_NOMEM;
            *cps = x;
            *cap = nc;
        }
        (*cps)[(*n)++] = c;
    }
    return JC_OK;
}

/* The code points of a case's searchable text (normalised), in *cps. */
static jc_err case_cps(const jc_case *k, uint32_t **cps, size_t *cap, size_t *n) {
    *n = 0;
    const char *parts[3] = {k->title, k->body, k->address};
    jc_err e = JC_OK;
    for (int i = 0; i < 3 && !e; i++)
        if (parts[i]) {
            e = norm_append(parts[i], cps, cap, n);
            if (!e) e = norm_append(" ", cps, cap, n);
        }
    return e;
}

jc_err caselist_terms(const jc_case *k, jc_buf *b) {
    uint32_t *cps = NULL;
    size_t cap = 0, n = 0;
    jc_err e = case_cps(k, &cps, &cap, &n);
    for (size_t i = 0; !e && i < n;) {
        if (cps[i] == ' ') {
            i++;
            continue;
        }
        if (b->len) e = jc_buf_puts(b, " ");
        if (e) break;
        if (is_cjk(cps[i])) {
            /* the term that starts here: a bigram, or the run's last character */
            e = put_cp(b, cps[i]);
            if (!e && i + 1 < n && is_cjk(cps[i + 1])) e = put_cp(b, cps[i + 1]);
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && cps[j] != ' ' && !is_cjk(cps[j])) {
            if (j - i < WORD_MAX) e = put_cp(b, cps[j]);
            j++;
        }
        i = j;
    }
    free(cps);
    return e;
}

/* ---- queries ---------------------------------------------------------------------- */

struct caselist_q {
    char *match;
    uint32_t *words; /* the words' code points, each word ended by 0 */
    size_t nwords_cps;
};

void caselist_q_free(caselist_q *q) {
    if (!q) return;
    free(q->match);
    free(q->words);
    free(q);
}

const char *caselist_q_match(const caselist_q *q) { return q->match; }

jc_err caselist_q_parse(const char *text, caselist_q **out) {
    *out = NULL;
    uint32_t *cps = NULL;
    size_t cap = 0, n = 0;
    jc_err e = norm_append(text, &cps, &cap, &n);
    if (e) return free(cps), e;
    caselist_q *q = calloc(1, sizeof *q);
    jc_buf m;
    jc_buf_init(&m, 0);
    if (!q || !(q->words = malloc((n + 1) * sizeof *q->words))) e = JC_ERR_NOMEM;
    int terms = 0;
    for (size_t i = 0; !e && i < n;) {
        if (cps[i] == ' ') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && cps[j] != ' ') q->words[q->nwords_cps++] = cps[j++];
        q->words[q->nwords_cps++] = 0;
        /* the word's runs: CJK as bigrams (one character: a prefix), the
         * others as prefixes */
        for (size_t a = i; !e && a < j;) {
            size_t b = a;
            int cjk = is_cjk(cps[a]);
            while (b < j && is_cjk(cps[b]) == cjk) b++;
            if (cjk && b - a >= 2) {
                for (size_t x = a; !e && x + 1 < b; x++) {
                    e = jc_buf_puts(&m, terms++ ? " \"" : "\"");
                    if (!e) e = put_cp(&m, cps[x]);
                    if (!e) e = put_cp(&m, cps[x + 1]);
                    if (!e) e = jc_buf_puts(&m, "\"");
                }
            } else {
                e = jc_buf_puts(&m, terms++ ? " \"" : "\"");
                for (size_t x = a; !e && x < b && x - a < WORD_MAX; x++) e = put_cp(&m, cps[x]);
                if (!e) e = jc_buf_puts(&m, "\"*");
            }
            a = b;
        }
        i = j;
    }
    free(cps);
    if (!e && !terms) e = JC_ERR_INVALID;
    if (!e) q->match = jc_buf_take(&m);
    jc_buf_free(&m);
    if (!e && !q->match) e = JC_ERR_NOMEM;
    if (e) {
        caselist_q_free(q);
        return e;
    }
    *out = q;
    return JC_OK;
}

static int contains(const uint32_t *hay, size_t n, const uint32_t *w, size_t m) {
    for (size_t i = 0; i + m <= n; i++)
        if (!memcmp(hay + i, w, m * sizeof *w)) return 1;
    return 0;
}

int caselist_q_hit(const caselist_q *q, const jc_case *k) {
    uint32_t *cps = NULL;
    size_t cap = 0, n = 0;
    int hit = case_cps(k, &cps, &cap, &n) == JC_OK;
    for (size_t i = 0; hit && i < q->nwords_cps;) {
        size_t m = 0;
        while (q->words[i + m]) m++;
        hit = contains(cps, n, q->words + i, m);
        i += m + 1;
    }
    free(cps);
    return hit;
}

/* ---- the text index ----------------------------------------------------------------- */

jc_err caselist_tick(jc_conn *w, int64_t now_ms) {
    (void)now_ms;
    int done;
    return caselist_store_index(w, CASELIST_INDEX_PER_TICK, caselist_terms, &done);
}

jc_err caselist_index_all(jc_conn *w) {
    int done;
    jc_err e;
    do e = caselist_store_index(w, 50000, caselist_terms, &done);
    while (!e && done);
    return e;
}

/* ---- GET /api/v1/cases --------------------------------------------------------------- */

static int has_prefix(const char *s, const char *p) { return *p && !strncmp(s, p, strlen(p)); }

static int all_of(const char *s, const char *set) {
    for (; *s; s++)
        if (!strchr(set, *s)) return 0;
    return 1;
}

#define DIGITS "0123456789"

typedef struct {
    jc_req *r;
    caselist_q *q;
    jc_buf out;
    int n;
    jc_err e;
} page_ctx;

static int page_row(const jc_case *k, void *arg) {
    page_ctx *p = arg;
    if (p->q && !caselist_q_hit(p->q, k)) return 0;
    if (p->n && (p->e = jc_buf_puts(&p->out, ","))) return -1;
    if ((p->e = case_json_text(&p->out, k, &p->r->user, 0))) return -1;
    p->n++;
    return 1;
}

static int open_state(jc_state s) { return s != ST_CLOSED && s != ST_RATED && s != ST_VOIDED && s != ST_MERGED; }

/* The walk of r's query within the caller's scope; on a bad query r is
 * answered (-1).  *q gets the parsed text query (the caller frees it). */
static int read_walk(jc_req *r, caselist_walk *w, caselist_q **q, char bufs[][32]) {
    char tmp[256];
    memset(w, 0, sizeof *w);
    *q = NULL;
    w->limit = 50;
    w->budget = CASELIST_BUDGET;
    char *state = bufs[0], *cat = bufs[1], *area = bufs[2], *grp = bufs[3], *src = bufs[4], *rating = bufs[5];
    if (http_query(r, "state", state, 32)) {
        int s = state_parse(state);
        if (!strcmp(state, "open")) w->open_only = 1;
        else if (s < 0) return http_reply_error(r, JC_ERR_INVALID, "unknown state '%s'", state), -1;
        else w->state = state, w->open_only = open_state((jc_state)s);
    }
    if (http_query(r, "category", cat, 32)) {
        if (!*cat || strlen(cat) > 15 || !all_of(cat, DIGITS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-"))
            return http_reply_error(r, JC_ERR_INVALID, "category must be a category code"), -1;
        w->category = cat;
    }
    if (http_query(r, "group", grp, 32)) {
        if (!*grp || strlen(grp) > 15 || !all_of(grp, DIGITS))
            return http_reply_error(r, JC_ERR_INVALID, "group must be the digits a category code starts with"), -1;
        w->group = grp;
    }
    if (http_query(r, "source", src, 32)) {
        static const char *const sources[] = {"web", "api", "hotline", "patrol", "open311", "sensor", "warning"};
        int ok = 0;
        for (size_t i = 0; i < JC_ARRAY_LEN(sources); i++) ok |= !strcmp(src, sources[i]);
        if (!ok) return http_reply_error(r, JC_ERR_INVALID, "unknown source '%s'", src), -1;
        w->source = src;
    }
    if (http_query(r, "rating", rating, 32)) {
        if (strcmp(rating, "satisfied") && strcmp(rating, "basic") && strcmp(rating, "unsatisfied"))
            return http_reply_error(r, JC_ERR_INVALID, "rating must be satisfied, basic or unsatisfied"), -1;
        w->rating = rating;
    }
    if (http_query(r, "area", area, 32) && (!all_of(area, DIGITS) || strlen(area) > 23))
        return http_reply_error(r, JC_ERR_INVALID, "area must be an area code (digits)"), -1;
    if (http_query(r, "limit", tmp, sizeof tmp)) {
        int64_t n;
        if (jc_parse_i64(tmp, &n) || n < 1 || n > 500) return http_reply_error(r, JC_ERR_INVALID, "limit must be 1..500"), -1;
        w->limit = (int)n;
    }
    if (http_query(r, "sort", tmp, sizeof tmp)) {
        if (!strcmp(tmp, "oldest")) w->asc = 1;
        else if (strcmp(tmp, "newest")) return http_reply_error(r, JC_ERR_INVALID, "sort must be newest or oldest"), -1;
    }
    if (http_query(r, "cursor", tmp, sizeof tmp) || (!w->asc && http_query(r, "before", tmp, sizeof tmp))) {
        if (jc_parse_i64(tmp, &w->after) || w->after < 1)
            return http_reply_error(r, JC_ERR_INVALID, "cursor must be the 'next' of an earlier page"), -1;
    }
    static const struct { const char *key; unsigned flag; } flags[] = {
        {"overdue", CASE_F_OVERDUE}, {"ownerless", CASE_F_OWNERLESS}, {"unlocated", CASE_F_UNLOCATED},
        {"whistle", CASE_F_WHISTLE}};
    for (size_t i = 0; i < JC_ARRAY_LEN(flags); i++)
        if (http_query(r, flags[i].key, tmp, sizeof tmp) && !strcmp(tmp, "1")) w->flags |= flags[i].flag;
    if (http_query(r, "escalated", tmp, sizeof tmp) && !strcmp(tmp, "1")) w->escalated = 1;
    if (http_query(r, "assignee", tmp, sizeof tmp)) {
        if (!strcmp(tmp, "me")) w->assignee_id = r->user.id;
        else if (jc_parse_i64(tmp, &w->assignee_id) || w->assignee_id < 1)
            return http_reply_error(r, JC_ERR_INVALID, "assignee must be a user id or me"), -1;
    }
    if (http_query(r, "dept", tmp, sizeof tmp) && (jc_parse_i64(tmp, &w->dept_id) || w->dept_id < 1))
        return http_reply_error(r, JC_ERR_INVALID, "dept must be a department id"), -1;
    /* created on these local dates, inclusive */
    for (int i = 0; i < 2; i++) {
        if (!http_query(r, i ? "to" : "from", tmp, sizeof tmp)) continue;
        int64_t t;
        if (strlen(tmp) != 10 || jc_parse_time(tmp, &t))
            return http_reply_error(r, JC_ERR_INVALID, "%s must be a date YYYY-MM-DD", i ? "to" : "from"), -1;
        if (i) w->created_hi = t + 86400000;
        else w->created_lo = t;
    }
    char qs[512];
    if (http_query(r, "q", qs, sizeof qs)) {
        if (jc_utf8_len(qs) > 100) return http_reply_error(r, JC_ERR_INVALID, "q is at most 100 characters"), -1;
        int64_t id;
        const char *p = qs;
        while (*p == ' ') p++;
        if ((p[0] == 'J' || p[0] == 'j') && (p[1] == 'C' || p[1] == 'c') && case_number_parse(p, &id) == JC_OK) {
            /* a case number: that case, if it is in scope and meets the filter */
            w->id_lo = w->id_hi = id;
        } else if (caselist_q_parse(qs, q) != JC_OK) {
            return http_reply_error(r, JC_ERR_INVALID, "q must hold a word or a case number (JC20261127-12)"), -1;
        }
    }
    /* the caller's scope */
    const jc_user *u = &r->user;
    switch (u->role) {
    case ROLE_RESIDENT: w->reporter_id = u->id; break;
    case ROLE_DEPT_STAFF:
        w->involved_dept = u->dept_id ? u->dept_id : -1;
        w->dept_id = 0;
        break;
    case ROLE_ADMIN: break;
    default:
        if (!area[0] || !has_prefix(area, u->area)) snprintf(area, 32, "%s", u->area);
        break;
    }
    w->area_prefix = area[0] ? area : NULL;
    /* the index that matches */
    if (w->reporter_id) w->by = CL_BY_REPORTER;
    else if (*q) w->by = CL_BY_TEXT, w->match = caselist_q_match(*q);
    else if (w->involved_dept) w->by = CL_BY_INVOLVED;
    else if (w->assignee_id) w->by = CL_BY_ASSIGNEE;
    else if (w->dept_id) w->by = CL_BY_DEPT;
    else if (w->open_only) w->by = CL_BY_OPEN;
    else w->by = CL_BY_ID;
    return 0;
}

/* Narrows w to the ids created in its date range; 1 when none can match. */
static int date_ids(jc_req *r, caselist_walk *w) {
    if (!w->created_lo && !w->created_hi) return 0;
    int64_t lo, hi;
    if (caselist_store_id_range(r->db, w->created_lo ? w->created_lo : 0, w->created_hi ? w->created_hi : INT64_MAX,
                                &lo, &hi))
        return 0; /* the conditions on created_at still hold */
    if (lo > hi) return 1;
    if (!w->id_lo || lo > w->id_lo) w->id_lo = lo;
    if (!w->id_hi || hi < w->id_hi) w->id_hi = hi;
    return w->id_lo > w->id_hi;
}

static void h_case_list(jc_req *r) {
    caselist_walk w;
    caselist_q *q = NULL;
    char bufs[6][32] = {{0}};
    if (read_walk(r, &w, &q, bufs)) return;
    page_ctx p = {.r = r, .q = q};
    jc_buf_init(&p.out, 0);
    caselist_result res = {0};
    jc_err e = jc_buf_puts(&p.out, "{\"cases\":[");
    if (!e && !date_ids(r, &w)) e = caselist_store_walk(r->db, &w, page_row, &p, &res);
    if (p.e) e = p.e;
    caselist_q_free(q);
    if (!e) {
        if (res.more && res.stopped_at) {
            e = jc_buf_printf(&p.out, "],\"next\":\"%lld\"", (long long)res.stopped_at);
            if (!e) e = w.asc ? jc_buf_puts(&p.out, ",\"next_before\":null}")
                              : jc_buf_printf(&p.out, ",\"next_before\":%lld}", (long long)res.stopped_at);
        } else {
            e = jc_buf_puts(&p.out, "],\"next\":null,\"next_before\":null}");
        }
    }
    if (e) {
        jc_buf_free(&p.out);
        return http_reply_error(r, e, e == JC_ERR_INVALID ? "q cannot be searched" : "listing failed");
    }
    http_reply_raw(r, 200, "application/json; charset=utf-8", p.out.data, p.out.len);
    jc_buf_free(&p.out);
}

/* ---- GET /api/v1/cases/export.xlsx ---------------------------------------------------
 * The same filter and scope as the list, as a workbook, built on the
 * long-work pool (server.c) in libxlsxwriter's constant-memory mode: rows
 * go to a temporary file as they are written.  No personal data (no phone,
 * no reporter). */

typedef struct {
    caselist_walk w;
    caselist_q *q;
    char bufs[6][32];
    int empty; /* the date range holds no case */
} export_job;

static void free_export(void *p) {
    export_job *x = p;
    if (!x) return;
    caselist_q_free(x->q);
    free(x);
}

static const char *const state_zh[ST__COUNT] = {
    [ST_REPORTED] = "信息收集", [ST_REGISTERED] = "立案", [ST_DISPATCHED] = "派遣", [ST_ACCEPTED] = "签收",
    [ST_HANDLING] = "处置", [ST_FEEDBACK] = "反馈", [ST_VERIFIED] = "核查通过", [ST_CLOSED] = "结案",
    [ST_RATED] = "已评价", [ST_RETURNED] = "退回", [ST_SUSPENDED] = "挂账", [ST_DEFERRED] = "缓办",
    [ST_VOIDED] = "作废", [ST_MERGED] = "合并"};

static const char *source_zh(const char *s) {
    static const char *const m[][2] = {{"web", "网上反映"}, {"api", "接口"}, {"hotline", "热线"},
                                       {"patrol", "网格巡查"}, {"open311", "Open311"}, {"sensor", "感知设备"},
                                       {"warning", "预警"}};
    for (size_t i = 0; i < JC_ARRAY_LEN(m); i++)
        if (!strcmp(s, m[i][0])) return m[i][1];
    return s;
}

/* names of categories, departments and communities, read once per export */
typedef struct {
    char key[32];
    char name[128];
} export_name;

typedef struct {
    export_name *v;
    size_t n, cap;
} export_names;

static void name_add(export_names *t, const char *key, const char *name) {
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64;
        export_name *x = realloc(t->v, nc * sizeof *x);
        if (!x) return;
        t->v = x, t->cap = nc;
    }
    snprintf(t->v[t->n].key, sizeof t->v[t->n].key, "%s", key);
    snprintf(t->v[t->n].name, sizeof t->v[t->n].name, "%s", name);
    t->n++;
}

static const char *name_get(const export_names *t, const char *key) {
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->v[i].key, key)) return t->v[i].name;
    return NULL;
}

static int cat_name(const jc_category *k, void *arg) {
    char key[32];
    snprintf(key, sizeof key, "c%s", k->code);
    name_add(arg, key, k->name);
    return 0;
}

static int dept_name(const jc_dept *d, void *arg) {
    char key[32];
    snprintf(key, sizeof key, "d%lld", (long long)d->id);
    name_add(arg, key, d->name);
    return 0;
}

static int area_name(const jc_area *a, void *arg) {
    char key[32];
    snprintf(key, sizeof key, "a%s", a->code);
    if (!strcmp(a->level, "community") || !strcmp(a->level, "street")) name_add(arg, key, a->name);
    return 0;
}

typedef struct {
    jc_deferred *d;
    caselist_q *q;
    export_names *names;
    lxw_worksheet *ws;
    lxw_format *date;
    uint32_t row;
} export_ctx;

static const char *named(const export_names *t, char kind, const char *code, char *buf, size_t n) {
    snprintf(buf, n, "%c%s", kind, code);
    const char *v = name_get(t, buf);
    return v ? v : code;
}

static int export_row(const jc_case *k, void *arg) {
    export_ctx *x = arg;
    if (x->q && !caselist_q_hit(x->q, k)) return 0;
    lxw_worksheet *ws = x->ws;
    uint32_t r = x->row++;
    char buf[64], tmp[64], comm[16];
    case_number(k, buf, sizeof buf);
    worksheet_write_string(ws, r, 0, buf, NULL);
    worksheet_write_string(ws, r, 1, k->title ? k->title : "", NULL);
    worksheet_write_string(ws, r, 2, k->body ? k->body : "", NULL);
    worksheet_write_string(ws, r, 3, named(x->names, 'c', k->category, tmp, sizeof tmp), NULL);
    worksheet_write_string(ws, r, 4, source_zh(k->source), NULL);
    worksheet_write_string(ws, r, 5, k->state < ST__COUNT ? state_zh[k->state] : "", NULL);
    snprintf(comm, sizeof comm, "%.12s", k->area);
    worksheet_write_string(ws, r, 6, named(x->names, 'a', comm, tmp, sizeof tmp), NULL);
    worksheet_write_string(ws, r, 7, k->area, NULL);
    worksheet_write_string(ws, r, 8, k->address ? k->address : "", NULL);
    if (k->dept_id) {
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)k->dept_id);
        worksheet_write_string(ws, r, 9, named(x->names, 'd', id, tmp, sizeof tmp), NULL);
    }
    int64_t times[3] = {k->created_ms, k->deadline_ms, k->updated_ms};
    for (int i = 0; i < 3; i++)
        if (times[i]) {
            jc_fmt_local(times[i], buf, sizeof buf);
            worksheet_write_string(ws, r, (lxw_col_t)(10 + i), buf, NULL);
        }
    static const char *const rating_zh[][2] = {{"satisfied", "满意"}, {"basic", "基本满意"}, {"unsatisfied", "不满意"}};
    for (size_t i = 0; i < JC_ARRAY_LEN(rating_zh); i++)
        if (!strcmp(k->rating, rating_zh[i][0])) worksheet_write_string(ws, r, 13, rating_zh[i][1], NULL);
    static const char *const flag_zh[] = {"无主", "未定位", "超期", "已提醒", "吹哨", "疑似重复"};
    buf[0] = 0;
    for (size_t i = 0; i < JC_ARRAY_LEN(flag_zh); i++)
        if (k->flags & (1u << i)) snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", buf[0] ? "、" : "", flag_zh[i]);
    if (buf[0]) worksheet_write_string(ws, r, 14, buf, NULL);
    if (k->escalation) worksheet_write_number(ws, r, 15, k->escalation, NULL);
    __atomic_store_n(&x->d->progress[0], (int64_t)(x->row - 2), __ATOMIC_RELAXED);
    return 1;
}

#define EXPORT_MAX 100000     /* rows of a workbook */
#define EXPORT_EXAMINE 5000000 /* rows walked at most */

static jc_err export_prepare(jc_deferred *d) {
    export_job *job = d->data;
    export_names names = {0};
    jc_err e = store_category_each(d->db, cat_name, &names);
    if (!e) e = store_dept_each(d->db, dept_name, &names);
    if (!e) e = store_area_each(d->db, area_name, &names);
    char path[] = "/tmp/jiceng-cases-XXXXXX";
    int fd = e ? -1 : mkstemp(path);
    if (!e && fd < 0) e = JC_ERR_IO;
    if (fd >= 0) close(fd);
    lxw_workbook_options opt = {.constant_memory = LXW_TRUE};
    lxw_workbook *wb = e ? NULL : workbook_new_opt(path, &opt);
    if (!e && !wb) e = JC_ERR_IO;
    int64_t examined = 0, truncated = 0;
    if (!e) {
        lxw_format *head = workbook_add_format(wb);
        format_set_bold(head);
        lxw_worksheet *ws = workbook_add_worksheet(wb, "案卷");
        static const char *const cols[] = {"编号", "标题", "内容", "类别", "来源", "状态", "社区", "网格",
                                           "地址", "责任部门", "受理时间", "期限", "更新时间", "评价", "标记", "督办次数"};
        char title[160];
        char now[40];
        jc_fmt_local(jc_now_ms(), now, sizeof now);
        snprintf(title, sizeof title, "案卷导出 %s（北京时间）", now);
        worksheet_write_string(ws, 0, 0, title, head);
        for (size_t i = 0; i < JC_ARRAY_LEN(cols); i++) worksheet_write_string(ws, 1, (lxw_col_t)i, cols[i], head);
        worksheet_set_column(ws, 1, 2, 30, NULL);
        export_ctx x = {d, job->q, &names, ws, NULL, 2};
        caselist_walk w = job->w;
        w.limit = 500;
        w.budget = 100000;
        caselist_result res = {0};
        do {
            if (x.row - 2 >= EXPORT_MAX || examined >= EXPORT_EXAMINE) {
                truncated = 1;
                break;
            }
            if ((e = caselist_store_walk(d->db, &w, export_row, &x, &res))) break;
            examined += res.examined;
            w.after = res.stopped_at;
        } while (res.more);
        if (!e && truncated) {
            snprintf(title, sizeof title, "仅导出前 %u 条；请缩小筛选范围 (the first %u rows only: narrow the filter)",
                     (unsigned)(x.row - 2), (unsigned)(x.row - 2));
            worksheet_write_string(ws, x.row, 0, title, head);
        }
        if (workbook_close(wb) != LXW_NO_ERROR && !e) e = JC_ERR_IO;
    }
    free(names.v);
    jc_buf b;
    jc_buf_init(&b, 256u << 20);
    FILE *f = e ? NULL : fopen(path, "rb");
    char chunk[65536];
    size_t n;
    while (f && !e && (n = fread(chunk, 1, sizeof chunk, f)) > 0) e = jc_buf_append(&b, chunk, n);
    if (f) fclose(f);
    unlink(path);
    if (e) {
        jc_buf_free(&b);
        snprintf(d->message, sizeof d->message, e == JC_ERR_INVALID ? "q cannot be searched" : "the workbook could not be written");
        return e;
    }
    d->raw_len = b.len;
    d->raw = jc_buf_take(&b);
    snprintf(d->raw_type, sizeof d->raw_type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    d->status = 200;
    return JC_OK;
}

static void h_case_export(jc_req *r) {
    export_job *job = calloc(1, sizeof *job);
    if (!job) return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    if (read_walk(r, &job->w, &job->q, job->bufs)) return free_export(job);
    if (date_ids(r, &job->w)) job->w.id_lo = 1, job->w.id_hi = 0; /* none: an empty workbook */
    jc_deferred *d = http_deferred_new(r);
    if (!d) {
        free_export(job);
        return http_reply_error(r, JC_ERR_NOMEM, "out of memory");
    }
    d->data = job;
    d->free_data = free_export;
    d->prepare = export_prepare;
    d->long_work = 1;
    d->what = "cases_export";
    http_defer(r, d);
}

static const jc_route caselist_routes[] = {
    {"GET", "/api/v1/cases", h_case_list, ACCESS_USER, NULL},
    {"GET", "/api/v1/cases/export.xlsx", h_case_export, ACCESS_USER, NULL},
};

static const jc_route_table caselist_table = {caselist_routes, JC_ARRAY_LEN(caselist_routes)};

/* The case lists' row in the module table (src/modules.c): its indexes and
 * text index (after dispatch's tables, which it indexes), its routes, and
 * the ticker that adds new cases to the text index. */
const jc_module module_caselist = {
    .name = "caselist",
    .schema = {[JC_STORE_SQLITE] = &schema_caselist, [JC_STORE_PG] = &schema_caselist_pg},
    .store = {[JC_STORE_SQLITE] = &caselist_store_sqlite, [JC_STORE_PG] = &caselist_store_pg},
    .routes = {&caselist_table},
    .tick = caselist_tick,
};
