/*
 * duty.c -- the responsibility list (权责清单): validation, CSV import and
 * the most-specific-entry matcher (contract in duty.h, CSV format in
 * docs/dispatch.md).
 *
 * Design notes.  Entries live in one array; an open-addressing hash table
 * keyed on (category, scope) indexes them.  The key hash is FNV-1a over
 * category, a 0 byte, then the scope digits, so duty_match hashes the
 * category once and then continues over the grid code, taking snapshots
 * after 6, 9 and 12 digits: three probes (community, street, district, in
 * that order) for the price of one pass over the code.
 *
 * Import parses the whole file into a fresh list with libcsv, collecting
 * row-numbered errors instead of stopping at the first, and hands the list
 * over only when there were none; the caller's list is never half-changed.
 */
#include "duty.h"

#include <csv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int scope_lens[] = {12, 9, 6}; /* most specific first */

typedef struct {
    duty_entry e;
    char *basis; /* owned; e.legal_basis points here */
} slot;

struct duty_list {
    slot *v;
    size_t n, alloc;
    uint32_t *tab;  /* (category, scope) -> entry index + 1, 0 = empty */
    uint32_t *hash; /* hash of the entry in tab[i] */
    uint32_t *itab; /* id -> entry index + 1 */
    uint32_t *ihash;
    size_t cap;     /* of both tables; a power of two */
};

/* ---- hashing ------------------------------------------------------------ */

#define FNV_OFF 2166136261u
#define FNV_PRIME 16777619u

static uint32_t fnv(uint32_t h, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * FNV_PRIME;
    return h;
}

static uint32_t key_hash(const char *category, const char *scope, size_t scope_len) {
    uint32_t h = fnv(FNV_OFF, category, strlen(category) + 1); /* includes the 0 */
    return fnv(h, scope, scope_len);
}

static uint32_t id_hash(const char *id) { return fnv(FNV_OFF ^ 0x5bd1e995u, id, strlen(id)); }

static const duty_entry *lookup_id(const duty_list *l, const char *id) {
    if (!l->cap) return NULL;
    uint32_t h = id_hash(id);
    for (size_t i = h & (l->cap - 1);; i = (i + 1) & (l->cap - 1)) {
        uint32_t t = l->itab[i];
        if (!t) return NULL;
        if (l->ihash[i] == h && !strcmp(l->v[t - 1].e.id, id)) return &l->v[t - 1].e;
    }
}

static const duty_entry *lookup(const duty_list *l, uint32_t h, const char *category,
                                const char *scope, size_t scope_len) {
    if (!l->cap) return NULL;
    for (size_t i = h & (l->cap - 1);; i = (i + 1) & (l->cap - 1)) {
        uint32_t t = l->tab[i];
        if (!t) return NULL;
        if (l->hash[i] != h) continue;
        const duty_entry *e = &l->v[t - 1].e;
        if (strlen(e->scope) == scope_len && !memcmp(e->scope, scope, scope_len) &&
            !strcmp(e->category, category))
            return e;
    }
}

static void tab_insert(uint32_t *tab, uint32_t *hash, size_t cap, uint32_t h, uint32_t idx1) {
    size_t i = h & (cap - 1);
    while (tab[i]) i = (i + 1) & (cap - 1);
    tab[i] = idx1;
    hash[i] = h;
}

static void index_entry(duty_list *l, size_t k) {
    const duty_entry *e = &l->v[k].e;
    tab_insert(l->tab, l->hash, l->cap, key_hash(e->category, e->scope, strlen(e->scope)),
               (uint32_t)(k + 1));
    tab_insert(l->itab, l->ihash, l->cap, id_hash(e->id), (uint32_t)(k + 1));
}

static jc_err tab_reserve(duty_list *l, size_t n) {
    if (n * 2 <= l->cap) return JC_OK;
    size_t cap = l->cap ? l->cap : 64;
    while (cap < n * 2) cap *= 2;
    uint32_t *tab = calloc(cap, sizeof *tab), *hash = calloc(cap, sizeof *hash);
    uint32_t *itab = calloc(cap, sizeof *itab), *ihash = calloc(cap, sizeof *ihash);
    if (!tab || !hash || !itab || !ihash) {
        free(tab);
        free(hash);
        free(itab);
        free(ihash);
        return JC_ERR_NOMEM;
    }
    free(l->tab);
    free(l->hash);
    free(l->itab);
    free(l->ihash);
    l->tab = tab;
    l->hash = hash;
    l->itab = itab;
    l->ihash = ihash;
    l->cap = cap;
    for (size_t k = 0; k < l->n; k++) index_entry(l, k);
    return JC_OK;
}

/* ---- lifecycle ------------------------------------------------------------ */

jc_err duty_list_new(duty_list **out) {
    duty_list *l = calloc(1, sizeof *l);
    if (!l) return JC_ERR_NOMEM;
    *out = l;
    return JC_OK;
}

void duty_list_free(duty_list *l) {
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) free(l->v[i].basis);
    free(l->v);
    free(l->tab);
    free(l->hash);
    free(l->itab);
    free(l->ihash);
    free(l);
}

size_t duty_list_count(const duty_list *l) { return l ? l->n : 0; }

const duty_entry *duty_list_get(const duty_list *l, size_t i) {
    return l && i < l->n ? &l->v[i].e : NULL;
}

/* ---- validation ------------------------------------------------------------ */

static int code_ok(const char *s, size_t max) {
    size_t n = strlen(s);
    if (n == 0 || n > max) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

static int digits(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A sorted copy of a known set, for bsearch.  set->v NULL = no check. */
typedef struct {
    const char **v;
    size_t n;
    int check;
} known_set;

static jc_err set_init(known_set *s, const char *const *v, size_t n) {
    s->v = NULL;
    s->n = n;
    s->check = v != NULL;
    if (!v || !n) return JC_OK;
    s->v = malloc(n * sizeof *s->v);
    if (!s->v) return JC_ERR_NOMEM;
    memcpy(s->v, v, n * sizeof *s->v);
    qsort(s->v, n, sizeof *s->v, cmp_str);
    return JC_OK;
}

static int set_has(const known_set *s, const char *x) {
    if (!s->check) return 1;
    return s->n && bsearch(&x, s->v, s->n, sizeof *s->v, cmp_str) != NULL;
}

typedef struct {
    known_set cats, depts;
} checker;

static jc_err checker_init(checker *c, const duty_known *k) {
    memset(c, 0, sizeof *c);
    if (!k) return JC_OK;
    if (set_init(&c->cats, k->categories, k->n_categories) ||
        set_init(&c->depts, k->depts, k->n_depts)) {
        free(c->cats.v);
        return JC_ERR_NOMEM;
    }
    return JC_OK;
}

static void checker_free(checker *c) {
    free(c->cats.v);
    free(c->depts.v);
}

/* Message sink: the first problem goes to err; with an import, every
 * problem becomes a row-numbered error line. */
typedef struct import_ctx import_ctx;
static void row_error(import_ctx *x, const char *fmt, ...) JC_PRINTF(2, 3);
typedef struct {
    char *err;
    size_t errsz;
    int count;
    import_ctx *x;
} sink;

static void say(sink *s, const char *fmt, ...) JC_PRINTF(2, 3);
static void say(sink *s, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (s->x) row_error(s->x, "%s", msg);
    else if (s->count == 0 && s->err && s->errsz) snprintf(s->err, s->errsz, "%s", msg);
    s->count++;
}

/* Checks everything about e except uniqueness; problems go to s. */
static void check_entry(const checker *c, const duty_entry *e, sink *s) {
    if (!code_ok(e->id, DUTY_MAX_ID))
        say(s, "id \"%.40s\" must be 1..%d letters, digits, '-', '_' or '.'", e->id,
            DUTY_MAX_ID);
    if (!code_ok(e->category, DUTY_MAX_CODE)) say(s, "category code is missing or malformed");
    else if (!set_has(&c->cats, e->category)) say(s, "unknown category \"%s\"", e->category);
    size_t sl = strlen(e->scope);
    if ((sl != 6 && sl != 9 && sl != 12) || !digits(e->scope, sl))
        say(s, "scope \"%.20s\" must be a district (6 digits), street (9) or community (12) code",
            e->scope);
    if (!code_ok(e->lead_dept, DUTY_MAX_CODE)) say(s, "lead_dept is missing or malformed");
    else if (!set_has(&c->depts, e->lead_dept))
        say(s, "unknown department \"%s\" in lead_dept", e->lead_dept);
    if (e->n_co > DUTY_MAX_CO) say(s, "more than %d co_depts", DUTY_MAX_CO);
    for (size_t i = 0; i < e->n_co && i < DUTY_MAX_CO; i++) {
        if (!code_ok(e->co_depts[i], DUTY_MAX_CODE)) say(s, "co_depts entry %zu is malformed", i + 1);
        else if (!set_has(&c->depts, e->co_depts[i]))
            say(s, "unknown department \"%s\" in co_depts", e->co_depts[i]);
        else if (!strcmp(e->co_depts[i], e->lead_dept))
            say(s, "department \"%s\" is both lead and co-handling", e->lead_dept);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(e->co_depts[i], e->co_depts[j]))
                say(s, "department \"%s\" listed twice in co_depts", e->co_depts[i]);
    }
    const char *b = e->legal_basis ? e->legal_basis : "";
    size_t bl = strlen(b), k = 0;
    while (k < bl && (b[k] == ' ' || b[k] == '\t' || b[k] == '\r' || b[k] == '\n')) k++;
    if (k == bl) say(s, "legal_basis is missing");
    else if (bl > DUTY_MAX_BASIS) say(s, "legal_basis longer than %d bytes", DUTY_MAX_BASIS);
    else if (!jc_utf8_valid(b, bl)) say(s, "legal_basis is not valid UTF-8");
    static const char *const phase[] = {"accept", "handle", "verify"};
    for (int p = 0; p < DUTY_NPHASES; p++) {
        const duty_limit *l = &e->limit[p];
        if (l->amount < 0 || l->amount > DUTY_MAX_AMOUNT) say(s, "%s limit out of range", phase[p]);
        if (l->unit != CALENDAR_WORKING_HOURS && l->unit != CALENDAR_WORKING_DAYS &&
            l->unit != CALENDAR_NATURAL_HOURS && l->unit != CALENDAR_WORKING_MINUTES &&
            l->unit != CALENDAR_NATURAL_MINUTES)
            say(s, "%s limit has an unknown unit", phase[p]);
    }
    if (e->may_delegate != 0 && e->may_delegate != 1) say(s, "may_delegate must be 0 or 1");
}

/* Adds a checked entry; uniqueness checked here. */
static jc_err add_checked(duty_list *l, const duty_entry *e, sink *s) {
    size_t sl = strlen(e->scope);
    uint32_t h = key_hash(e->category, e->scope, sl);
    const duty_entry *dup = lookup(l, h, e->category, e->scope, sl);
    if (dup) {
        say(s, "duplicate (category %s, scope %s): entry %s already covers it", e->category,
            e->scope, dup->id);
        return JC_ERR_CONFLICT;
    }
    if (lookup_id(l, e->id)) {
        say(s, "duplicate id \"%s\"", e->id);
        return JC_ERR_CONFLICT;
    }
    if (l->n >= DUTY_MAX_ENTRIES) {
        say(s, "more than %d entries", DUTY_MAX_ENTRIES);
        return JC_ERR_TOOBIG;
    }
    if (tab_reserve(l, l->n + 1)) return JC_ERR_NOMEM;
    if (l->n == l->alloc) {
        size_t na = l->alloc ? l->alloc * 2 : 64;
        slot *v = realloc(l->v, na * sizeof *v);
        if (!v) return JC_ERR_NOMEM;
        l->v = v;
        l->alloc = na;
    }
    char *basis = jc_strdup(e->legal_basis);
    if (!basis) return JC_ERR_NOMEM;
    slot *sl_ = &l->v[l->n];
    sl_->e = *e;
    sl_->basis = basis;
    sl_->e.legal_basis = basis;
    index_entry(l, l->n++);
    return JC_OK;
}

jc_err duty_list_add(duty_list *l, const duty_entry *e, const duty_known *known, char *err,
                     size_t errsz) {
    sink s = {err, errsz, 0, NULL};
    if (err && errsz) err[0] = 0;
    if (!l || !e) return JC_ERR_INVALID;
    /* Fixed-size fields must be terminated before we read them. */
    if (!memchr(e->id, 0, sizeof e->id) || !memchr(e->category, 0, sizeof e->category) ||
        !memchr(e->scope, 0, sizeof e->scope) || !memchr(e->lead_dept, 0, sizeof e->lead_dept))
        return JC_ERR_INVALID;
    for (size_t i = 0; i < e->n_co && i < DUTY_MAX_CO; i++)
        if (!memchr(e->co_depts[i], 0, sizeof e->co_depts[i])) return JC_ERR_INVALID;
    checker c;
    if (checker_init(&c, known)) return JC_ERR_NOMEM;
    check_entry(&c, e, &s);
    checker_free(&c);
    if (s.count) return JC_ERR_INVALID;
    return add_checked(l, e, &s);
}

/* ---- limits -------------------------------------------------------------- */

jc_err duty_parse_limit(const char *s, duty_limit *out) {
    static const struct {
        const char *suffix;
        calendar_unit unit;
    } units[] = {{"wmin", CALENDAR_WORKING_MINUTES}, {"min", CALENDAR_NATURAL_MINUTES},
                 {"wh", CALENDAR_WORKING_HOURS},     {"wd", CALENDAR_WORKING_DAYS},
                 {"h", CALENDAR_NATURAL_HOURS}};
    if (!s) return JC_ERR_INVALID;
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9') n++;
    if (n == 0 || n > 6) return JC_ERR_INVALID;
    for (size_t u = 0; u < JC_ARRAY_LEN(units); u++)
        if (!strcmp(s + n, units[u].suffix)) {
            char num[8];
            memcpy(num, s, n);
            num[n] = 0;
            int64_t v;
            if (jc_parse_i64(num, &v) || v > DUTY_MAX_AMOUNT) return JC_ERR_INVALID;
            out->amount = v;
            out->unit = units[u].unit;
            return JC_OK;
        }
    return JC_ERR_INVALID;
}

/* ---- matching ---------------------------------------------------------------- */

static jc_err grid_ok(const char *category, const char *grid, size_t *gl) {
    if (!category || !grid || !category[0]) return JC_ERR_INVALID;
    size_t n = strnlen(grid, 33);
    if (n < 6 || n > 32 || !digits(grid, n)) return JC_ERR_INVALID;
    *gl = n;
    return JC_OK;
}

jc_err duty_match(const duty_list *l, const char *category, const char *grid,
                  const duty_entry **entry) {
    size_t gl;
    if (!l || grid_ok(category, grid, &gl)) return JC_ERR_INVALID;
    uint32_t hc = FNV_OFF;
    const char *c = category;
    do hc = (hc ^ (unsigned char)*c) * FNV_PRIME; while (*c++);
    uint32_t h6 = fnv(hc, grid, 6), h9 = fnv(h6, grid + 6, 3), h12 = fnv(h9, grid + 9, 3);
    const duty_entry *e = NULL;
    if (gl >= 12) e = lookup(l, h12, category, grid, 12);
    if (!e && gl >= 9) e = lookup(l, h9, category, grid, 9);
    if (!e) e = lookup(l, h6, category, grid, 6);
    if (!e) return JC_ERR_NOTFOUND;
    *entry = e;
    return JC_OK;
}

jc_err duty_explain(const duty_list *l, const char *category, const char *grid,
                    const duty_entry **entry, jc_buf *out) {
    static const char *const level[] = {"社区 community", "街道 street", "区 district"};
    size_t gl;
    if (!l || !out || grid_ok(category, grid, &gl)) return JC_ERR_INVALID;
    jc_err rc = jc_buf_printf(out, "类别 category %s, 网格 grid %s:\n", category, grid);
    const duty_entry *win = NULL;
    for (size_t k = 0; !rc && k < JC_ARRAY_LEN(scope_lens); k++) {
        size_t n = (size_t)scope_lens[k];
        if (gl < n) continue;
        const duty_entry *e = lookup(l, key_hash(category, grid, n), category, grid, n);
        if (!e) {
            rc = jc_buf_printf(out, "  %s %.*s: no entry\n", level[k], (int)n, grid);
        } else if (!win) {
            win = e;
            rc = jc_buf_printf(out, "  %s %.*s: entry %s applies (most specific scope)\n",
                               level[k], (int)n, grid, e->id);
        } else {
            rc = jc_buf_printf(out, "  %s %.*s: entry %s is overridden by %s (more specific)\n",
                               level[k], (int)n, grid, e->id, win->id);
        }
    }
    if (rc) return rc;
    if (!win)
        return jc_buf_printf(out, "  no entry of the responsibility list covers it\n")
                   ? JC_ERR_NOMEM : JC_ERR_NOTFOUND;
    rc = jc_buf_printf(out, "  主办 lead: %s", win->lead_dept);
    for (size_t i = 0; !rc && i < win->n_co; i++)
        rc = jc_buf_printf(out, "%s%s", i ? ", " : "; 协办 co-handling: ", win->co_depts[i]);
    if (!rc) rc = jc_buf_printf(out, "\n  依据 legal basis: %s\n", win->legal_basis);
    if (rc) return rc;
    if (entry) *entry = win;
    return JC_OK;
}

jc_err duty_explain_steps(const duty_list *l, const char *category, const char *grid, duty_step steps[3],
                          size_t *n, const duty_entry **entry) {
    size_t gl;
    *n = 0;
    if (!l || grid_ok(category, grid, &gl)) return JC_ERR_INVALID;
    const duty_entry *win = NULL;
    for (size_t k = 0; k < JC_ARRAY_LEN(scope_lens); k++) {
        size_t len = (size_t)scope_lens[k];
        if (gl < len) continue;
        duty_step *s = &steps[(*n)++];
        s->level = (int)k;
        snprintf(s->scope, sizeof s->scope, "%.*s", (int)len, grid);
        s->entry = lookup(l, key_hash(category, grid, len), category, grid, len);
        s->applies = s->entry && !win;
        if (s->applies) win = s->entry;
    }
    if (entry) *entry = win;
    return win ? JC_OK : JC_ERR_NOTFOUND;
}

/* ---- CSV import ----------------------------------------------------------- */

enum { C_ID, C_CAT, C_SCOPE, C_LEAD, C_CO, C_BASIS, C_ACCEPT, C_HANDLE, C_VERIFY, C_DELEG, NCOL };
static const char *const col_names[NCOL] = {"id",          "category", "scope",  "lead_dept",
                                            "co_depts",    "legal_basis", "accept", "handle",
                                            "verify",      "may_delegate"};
#define MAX_FIELDS 32
#define MAX_FIELD 8192

struct import_ctx {
    duty_list *list;
    checker chk;
    jc_buf *errors;
    int nerr;
    jc_err fatal; /* NOMEM / TOOBIG: stop */
    size_t row;   /* 1-based; header = 1 */
    int colmap[NCOL];
    int header_ok;
    char *f[MAX_FIELDS];
    size_t nf, nf_total;
    int toolong;
};

static void row_error(import_ctx *x, const char *fmt, ...) {
    x->nerr++;
    if (!x->errors || x->nerr > DUTY_MAX_ERRORS) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (jc_buf_printf(x->errors, "row %zu: %s\n", x->row, msg)) x->fatal = JC_ERR_NOMEM;
}

static void on_field(void *data, size_t len, void *ctx) {
    import_ctx *x = ctx;
    x->nf_total++;
    if (x->nf >= MAX_FIELDS) return;
    if (len > MAX_FIELD) {
        x->toolong = 1;
        len = 0;
    }
    char *s = malloc(len + 1);
    if (!s) {
        x->fatal = JC_ERR_NOMEM;
        return;
    }
    if (len) memcpy(s, data, len);
    s[len] = 0;
    x->f[x->nf++] = s;
}

static void clear_row(import_ctx *x) {
    for (size_t i = 0; i < x->nf; i++) free(x->f[i]);
    x->nf = x->nf_total = 0;
    x->toolong = 0;
}

static void do_header(import_ctx *x) {
    for (int c = 0; c < NCOL; c++) x->colmap[c] = -1;
    for (size_t i = 0; i < x->nf; i++) {
        int found = 0;
        for (int c = 0; c < NCOL; c++)
            if (!strcmp(x->f[i], col_names[c])) {
                if (x->colmap[c] >= 0) row_error(x, "column \"%s\" appears twice", col_names[c]);
                x->colmap[c] = (int)i;
                found = 1;
            }
        if (!found) row_error(x, "unknown column \"%.40s\"", x->f[i]);
    }
    for (int c = 0; c < NCOL; c++)
        if (x->colmap[c] < 0) row_error(x, "missing column \"%s\"", col_names[c]);
    x->header_ok = x->nerr == 0;
}

/* Copies src into a fixed field; 0 when it does not fit. */
static int put(char *dst, size_t dstsz, const char *src) {
    size_t n = strlen(src);
    if (n >= dstsz) return 0;
    memcpy(dst, src, n + 1);
    return 1;
}

static void do_row(import_ctx *x) {
    if (x->nf_total != x->nf || x->nf != (size_t)NCOL) {
        row_error(x, "expected %d fields, found %zu", NCOL, x->nf_total);
        return;
    }
    if (x->toolong) {
        row_error(x, "a field is longer than %d bytes", MAX_FIELD);
        return;
    }
    const char *v[NCOL];
    for (int c = 0; c < NCOL; c++) {
        v[c] = x->f[x->colmap[c]];
        if (!jc_utf8_valid(v[c], strlen(v[c]))) {
            row_error(x, "column %s is not valid UTF-8", col_names[c]);
            return;
        }
    }
    duty_entry e;
    memset(&e, 0, sizeof e);
    int before = x->nerr;
    if (!put(e.id, sizeof e.id, v[C_ID])) row_error(x, "id longer than %d bytes", DUTY_MAX_ID);
    if (!put(e.category, sizeof e.category, v[C_CAT])) row_error(x, "category code too long");
    if (!put(e.scope, sizeof e.scope, v[C_SCOPE]))
        row_error(x, "scope \"%.20s\" must be a district (6 digits), street (9) or community "
                     "(12) code", v[C_SCOPE]);
    if (!put(e.lead_dept, sizeof e.lead_dept, v[C_LEAD])) row_error(x, "lead_dept too long");
    /* co_depts: codes separated by '|' (empty = none). */
    const char *p = v[C_CO];
    while (*p && x->nerr == before) {
        const char *q = strchr(p, '|');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        while (n && p[0] == ' ') p++, n--;
        while (n && p[n - 1] == ' ') n--;
        if (e.n_co >= DUTY_MAX_CO) row_error(x, "more than %d co_depts", DUTY_MAX_CO);
        else if (n == 0 || n > DUTY_MAX_CODE) row_error(x, "co_depts has an empty or overlong code");
        else {
            memcpy(e.co_depts[e.n_co], p, n);
            e.co_depts[e.n_co++][n] = 0;
        }
        if (!q) break;
        p = q + 1;
    }
    e.legal_basis = v[C_BASIS];
    for (int ph = 0; ph < DUTY_NPHASES; ph++)
        if (duty_parse_limit(v[C_ACCEPT + ph], &e.limit[ph]))
            row_error(x, "%s limit \"%.20s\" is not <number><wh|wd|h|wmin|min>, e.g. 24wh",
                      col_names[C_ACCEPT + ph], v[C_ACCEPT + ph]);
    if (!strcmp(v[C_DELEG], "1")) e.may_delegate = 1;
    else if (!strcmp(v[C_DELEG], "0") || !v[C_DELEG][0]) e.may_delegate = 0;
    else row_error(x, "may_delegate \"%.20s\" must be 0 or 1", v[C_DELEG]);
    if (x->nerr != before) return;
    /* The shared checks, every message reported with the row number. */
    sink s = {NULL, 0, 0, x};
    check_entry(&x->chk, &e, &s);
    if (s.count) return;
    jc_err rc = add_checked(x->list, &e, &s);
    if (rc && rc != JC_ERR_CONFLICT) x->fatal = rc;
}

static void on_row(int c, void *ctx) {
    (void)c;
    import_ctx *x = ctx;
    if (!x->fatal) {
        x->row++;
        if (x->row == 1) do_header(x);
        else if (x->header_ok) do_row(x);
    }
    clear_row(x);
}

jc_err duty_import_csv(const char *data, size_t len, const duty_known *known, duty_list **out,
                       jc_buf *errors) {
    if (!data || !out) return JC_ERR_INVALID;
    if (len > DUTY_MAX_CSV) return JC_ERR_TOOBIG;
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) data += 3, len -= 3;
    import_ctx x;
    memset(&x, 0, sizeof x);
    x.errors = errors;
    if (duty_list_new(&x.list)) return JC_ERR_NOMEM;
    if (checker_init(&x.chk, known)) {
        duty_list_free(x.list);
        return JC_ERR_NOMEM;
    }
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI)) {
        checker_free(&x.chk);
        duty_list_free(x.list);
        return JC_ERR_NOMEM;
    }
    if (csv_parse(&p, data, len, on_field, on_row, &x) != len ||
        csv_fini(&p, on_field, on_row, &x) != 0) {
        if (csv_error(&p) == CSV_ENOMEM) x.fatal = JC_ERR_NOMEM;
        else {
            x.row++;
            row_error(&x, "malformed CSV (%s), e.g. a stray or unclosed quote",
                      csv_strerror(csv_error(&p)));
        }
    }
    clear_row(&x);
    csv_free(&p);
    checker_free(&x.chk);
    if (!x.fatal && x.row == 0) {
        x.row = 1;
        row_error(&x, "empty file: a header row is required");
    }
    if (!x.fatal && x.nerr > DUTY_MAX_ERRORS && errors &&
        jc_buf_printf(errors, "... %d more errors\n", x.nerr - DUTY_MAX_ERRORS))
        x.fatal = JC_ERR_NOMEM;
    if (x.fatal || x.nerr) {
        duty_list_free(x.list);
        return x.fatal ? x.fatal : JC_ERR_INVALID;
    }
    *out = x.list;
    return JC_OK;
}
