/*
 * people_import.c -- reading a department's person table as it comes: CSV
 * (UTF-8 with or without BOM, GB18030 through glibc's iconv, UTF-16 with a
 * BOM; comma, tab or semicolon; CRLF; libcsv) or XLSX (Debian's libzip for
 * the zip, expat for the XML; the first sheet, shared and inline strings),
 * with caps against a bomb: the file's bytes, the bytes it unpacks to, rows,
 * columns, cell length.  Then the column mapping: the header row found below
 * any title lines, each column's field proposed from a synonym table of many
 * departments' wording and from its values, a saved mapping and a hand-set
 * --map applied over it.  No storage here.
 */
#include "people.h"
#include "text.h"

#include <csv.h>
#include <errno.h>
#include <expat.h>
#include <iconv.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

static void say(char *why, size_t whysz, const char *fmt, ...) JC_PRINTF(3, 4);
static void say(char *why, size_t whysz, const char *fmt, ...) {
    if (!why || !whysz || why[0]) return; /* the first reason wins */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whysz, fmt, ap);
    va_end(ap);
}

size_t people__unzip_cap = PEOPLE_MAX_UNZIPPED;

/* ---- the table ----------------------------------------------------------------- */

void people_table_free(people_table *t) {
    if (!t) return;
    free(t->arena);
    free(t->cell);
    free(t->row_start);
    free(t->row_n);
    free(t->row_no);
    memset(t, 0, sizeof *t);
}

const char *people_table_cell(const people_table *t, int r, int c) {
    if (r < 0 || r >= t->nrows || c < 0 || c >= t->row_n[r]) return "";
    return t->arena + t->cell[t->row_start[r] + (uint32_t)c];
}

/* Appends a cell to the row being built (the last one). */
static jc_err tbl_cell(people_table *t, const char *s, size_t n) {
    if (n > PEOPLE_MAX_CELL) return JC_ERR_TOOBIG;
    if (t->nrows == 0) return JC_ERR_INTERNAL;
    if (t->row_n[t->nrows - 1] >= PEOPLE_MAX_COLS) return JC_ERR_TOOBIG;
    if (t->alen + n + 1 > t->acap) {
        size_t cap = t->acap ? t->acap * 2 : 1 << 16;
        while (cap < t->alen + n + 1) cap *= 2;
        if (cap > ((size_t)1 << 31)) return JC_ERR_TOOBIG;
        char *a = realloc(t->arena, cap);
        if (!a) return JC_ERR_NOMEM;
        t->arena = a, t->acap = cap;
    }
    if (t->ncell == t->ccap) {
        size_t cap = t->ccap ? t->ccap * 2 : 4096;
        uint32_t *c = realloc(t->cell, cap * sizeof *c);
        if (!c) return JC_ERR_NOMEM;
        t->cell = c, t->ccap = cap;
    }
    t->cell[t->ncell++] = (uint32_t)t->alen;
    if (n) memcpy(t->arena + t->alen, s, n);
    t->arena[t->alen + n] = 0;
    t->alen += n + 1;
    t->row_n[t->nrows - 1]++;
    return JC_OK;
}

/* Starts a new row numbered no. */
static jc_err tbl_row(people_table *t, int no) {
    if (t->nrows >= PEOPLE_MAX_ROWS) return JC_ERR_TOOBIG;
    if (t->nrows == t->rcap) {
        int cap = t->rcap ? t->rcap * 2 : 1024;
        uint32_t *rs = realloc(t->row_start, (size_t)cap * sizeof *rs);
        if (!rs) return JC_ERR_NOMEM;
        t->row_start = rs;
        uint16_t *rn = realloc(t->row_n, (size_t)cap * sizeof *rn);
        if (!rn) return JC_ERR_NOMEM;
        t->row_n = rn;
        int *ro = realloc(t->row_no, (size_t)cap * sizeof *ro);
        if (!ro) return JC_ERR_NOMEM;
        t->row_no = ro;
        t->rcap = cap;
    }
    t->row_start[t->nrows] = (uint32_t)t->ncell;
    t->row_n[t->nrows] = 0;
    t->row_no[t->nrows] = no;
    t->nrows++;
    return JC_OK;
}

/* Drops trailing empty cells of the last row, and the row if it is empty. */
static void tbl_end_row(people_table *t) {
    int r = t->nrows - 1;
    while (t->row_n[r] > 0 && !people_table_cell(t, r, t->row_n[r] - 1)[0]) t->row_n[r]--, t->ncell--;
    if (t->row_n[r] == 0) t->nrows--;
}

/* ---- CSV ----------------------------------------------------------------------- */

typedef struct {
    people_table *t;
    int line; /* records seen, 1-based */
    int open; /* a row has been started */
    jc_err err;
    char *why;
    size_t whysz;
} csv_st;

static void on_field(void *s, size_t n, void *ud) {
    csv_st *c = ud;
    if (c->err) return;
    if (!c->open) {
        if ((c->err = tbl_row(c->t, c->line + 1))) {
            say(c->why, c->whysz, "more than %d rows / 行数超过 %d", PEOPLE_MAX_ROWS, PEOPLE_MAX_ROWS);
            return;
        }
        c->open = 1;
    }
    if ((c->err = tbl_cell(c->t, s ? s : "", s ? n : 0)))
        say(c->why, c->whysz, "row %d: %s / 第 %d 行：%s", c->line + 1,
            c->err == JC_ERR_TOOBIG ? "a cell longer than 4096 bytes or more than 256 columns" : "out of memory",
            c->line + 1, c->err == JC_ERR_TOOBIG ? "单元格过长或列数超过 256" : "内存不足");
}

static void on_row(int term, void *ud) {
    (void)term;
    csv_st *c = ud;
    c->line++;
    if (c->err || !c->open) return;
    tbl_end_row(c->t);
    c->open = 0;
}

/* Converts in[0..n) from charset to UTF-8 into a new buffer (*out, *outn). */
static jc_err convert(const char *from, const char *in, size_t n, char **out, size_t *outn, size_t *bad_at) {
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == (iconv_t)-1) return JC_ERR_INTERNAL;
    size_t cap = n * 2 + 16, left = cap;
    char *buf = malloc(cap), *o = buf;
    char *i = (char *)in;
    size_t il = n;
    jc_err e = JC_OK;
    if (!buf) e = JC_ERR_NOMEM;
    while (!e && il > 0) {
        if (iconv(cd, &i, &il, &o, &left) != (size_t)-1) break;
        if (errno == E2BIG) {
            size_t used = (size_t)(o - buf);
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) { e = JC_ERR_NOMEM; break; }
            buf = nb, o = buf + used, left = cap - used;
        } else {
            *bad_at = (size_t)(i - in);
            e = JC_ERR_INVALID;
        }
    }
    iconv_close(cd);
    if (e) { free(buf); return e; }
    *out = buf;
    *outn = (size_t)(o - buf);
    return JC_OK;
}

static int line_of(const char *s, size_t at) {
    int l = 1;
    for (size_t i = 0; i < at; i++) l += s[i] == '\n';
    return l;
}

static jc_err read_csv(const char *data, size_t len, people_table *t, char *why, size_t whysz) {
    char *conv = NULL;
    size_t clen = 0, bad = 0;
    const char *s = data;
    size_t n = len;
    snprintf(t->format, sizeof t->format, "csv");
    if (n >= 2 && ((unsigned char)s[0] == 0xFF && (unsigned char)s[1] == 0xFE)) {
        if (convert("UTF-16LE", s + 2, n - 2, &conv, &clen, &bad)) {
            say(why, whysz, "not valid UTF-16 at byte %zu / 第 %zu 字节处不是有效的 UTF-16", bad + 2, bad + 2);
            return JC_ERR_INVALID;
        }
        s = conv, n = clen;
        snprintf(t->encoding, sizeof t->encoding, "UTF-16");
    } else if (n >= 2 && ((unsigned char)s[0] == 0xFE && (unsigned char)s[1] == 0xFF)) {
        if (convert("UTF-16BE", s + 2, n - 2, &conv, &clen, &bad)) {
            say(why, whysz, "not valid UTF-16 at byte %zu / 第 %zu 字节处不是有效的 UTF-16", bad + 2, bad + 2);
            return JC_ERR_INVALID;
        }
        s = conv, n = clen;
        snprintf(t->encoding, sizeof t->encoding, "UTF-16");
    } else if (n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) {
        s += 3, n -= 3;
        snprintf(t->encoding, sizeof t->encoding, "UTF-8 BOM");
    } else {
        snprintf(t->encoding, sizeof t->encoding, "UTF-8");
    }
    if (memchr(s, 0, n)) {
        size_t at = (size_t)((const char *)memchr(s, 0, n) - s);
        say(why, whysz,
            "line %d: a NUL byte: a binary file or UTF-16 without its BOM, not a CSV text / 第 %d 行含空字节："
            "不是 CSV 文本（二进制文件或无 BOM 的 UTF-16）",
            line_of(s, at), line_of(s, at));
        free(conv);
        return JC_ERR_INVALID;
    }
    if (!strcmp(t->encoding, "UTF-8") && !text_utf8_valid(s, n)) {
        if (convert("GB18030", s, n, &conv, &clen, &bad)) {
            say(why, whysz,
                "line %d: neither UTF-8 nor GB18030 (byte %zu); save the file as CSV UTF-8 / 第 %d 行既不是 UTF-8 "
                "也不是 GB18030 编码（第 %zu 字节），请另存为 CSV UTF-8",
                line_of(data, bad), bad, line_of(data, bad), bad);
            return JC_ERR_INVALID;
        }
        s = conv, n = clen;
        snprintf(t->encoding, sizeof t->encoding, "GB18030");
    } else if (strcmp(t->encoding, "UTF-8") && !text_utf8_valid(s, n)) {
        say(why, whysz, "not valid UTF-8 after the BOM / BOM 之后不是有效的 UTF-8");
        free(conv);
        return JC_ERR_INVALID;
    }
    /* the delimiter: the most frequent of , \t ; on the first lines */
    int cnt[3] = {0};
    int lines = 0, inq = 0;
    for (size_t i = 0; i < n && lines < 20; i++) {
        if (s[i] == '"') inq = !inq;
        else if (!inq && s[i] == ',') cnt[0]++;
        else if (!inq && s[i] == '\t') cnt[1]++;
        else if (!inq && s[i] == ';') cnt[2]++;
        else if (!inq && s[i] == '\n') lines++;
    }
    unsigned char delim = cnt[1] > cnt[0] && cnt[1] >= cnt[2] ? '\t' : cnt[2] > cnt[0] ? ';' : ',';
    struct csv_parser p;
    if (csv_init(&p, CSV_APPEND_NULL) != 0) {
        free(conv);
        return JC_ERR_NOMEM;
    }
    csv_set_delim(&p, delim);
    if (delim == '\t') csv_set_space_func(&p, NULL);
    csv_st st = {.t = t, .why = why, .whysz = whysz};
    size_t done = csv_parse(&p, s, n, on_field, on_row, &st);
    if (!st.err && done != n) {
        say(why, whysz, "row %d: %s / 第 %d 行无法解析", st.line + 1, csv_strerror(csv_error(&p)), st.line + 1);
        st.err = JC_ERR_INVALID;
    }
    if (!st.err) csv_fini(&p, on_field, on_row, &st);
    csv_free(&p);
    free(conv);
    return st.err;
}

/* ---- XLSX ---------------------------------------------------------------------- */

/* A merged range of the sheet (1-based rows, 0-based columns, inclusive). */
typedef struct {
    int r1, c1, r2, c2;
} xl_merge;

#define XL_MAX_MERGES 200000

typedef struct {
    people_table *t;
    /* shared strings */
    char **ss;
    size_t nss, sscap;
    /* merged ranges spanning rows (<mergeCell ref="B3:B5"/>) */
    xl_merge *merge;
    size_t nmerge, mcap;
    jc_buf text;  /* text being gathered */
    int in_t;     /* inside <t> (not inside a phonetic run <rPh>) */
    int in_rph;
    int in_v, in_is;
    /* sheet state */
    int cur_col, next_col;
    char ctype[16];
    int row_open;
    jc_err err;
    char *why;
    size_t whysz;
    XML_Parser xp;
} xl_st;

static void xl_fail(xl_st *x, jc_err e) {
    if (!x->err) x->err = e;
    XML_StopParser(x->xp, XML_FALSE);
}

static const char *attr(const XML_Char **a, const char *name) {
    for (int i = 0; a[i]; i += 2)
        if (!strcmp(a[i], name)) return a[i + 1];
    return NULL;
}

static void XMLCALL doctype(void *ud, const XML_Char *n, const XML_Char *sys, const XML_Char *pub, int internal) {
    (void)n, (void)sys, (void)pub, (void)internal;
    xl_st *x = ud;
    say(x->why, x->whysz, "the workbook holds a DOCTYPE (an XML bomb?) / 工作簿含有 DOCTYPE 声明（疑似 XML 炸弹）");
    xl_fail(x, JC_ERR_INVALID);
}

static void XMLCALL ss_start(void *ud, const XML_Char *el, const XML_Char **a) {
    (void)a;
    xl_st *x = ud;
    if (!strcmp(el, "si")) x->text.len = 0;
    else if (!strcmp(el, "rPh")) x->in_rph = 1;
    else if (!strcmp(el, "t") && !x->in_rph) x->in_t = 1;
}

static void XMLCALL ss_end(void *ud, const XML_Char *el) {
    xl_st *x = ud;
    if (!strcmp(el, "t")) x->in_t = 0;
    else if (!strcmp(el, "rPh")) x->in_rph = 0;
    else if (!strcmp(el, "si")) {
        if (x->nss == x->sscap) {
            size_t cap = x->sscap ? x->sscap * 2 : 1024;
            if (cap > PEOPLE_MAX_ROWS * (size_t)8) return xl_fail(x, JC_ERR_TOOBIG);
            char **n = realloc(x->ss, cap * sizeof *n);
            if (!n) return xl_fail(x, JC_ERR_NOMEM);
            x->ss = n, x->sscap = cap;
        }
        x->ss[x->nss] = malloc(x->text.len + 1);
        if (!x->ss[x->nss]) return xl_fail(x, JC_ERR_NOMEM);
        if (x->text.len) memcpy(x->ss[x->nss], x->text.data, x->text.len);
        x->ss[x->nss][x->text.len] = 0;
        x->nss++;
    }
}

static void XMLCALL chars(void *ud, const XML_Char *s, int len) {
    xl_st *x = ud;
    if ((x->in_t && !x->in_rph) || x->in_v) {
        if (x->text.len + (size_t)len > PEOPLE_MAX_CELL * 4) {
            say(x->why, x->whysz, "a cell longer than %d bytes / 单元格超过 %d 字节", PEOPLE_MAX_CELL, PEOPLE_MAX_CELL);
            return xl_fail(x, JC_ERR_TOOBIG);
        }
        if (jc_buf_append(&x->text, s, (size_t)len)) xl_fail(x, JC_ERR_NOMEM);
    }
}

/* "AB12" -> 27 (0-based column); -1 when not a reference. */
static int col_of(const char *ref) {
    int c = 0, k = 0;
    for (; *ref >= 'A' && *ref <= 'Z'; ref++, k++) c = c * 26 + (*ref - 'A' + 1);
    return k && k <= 3 ? c - 1 : -1;
}

static void put_cell(xl_st *x, const char *s, size_t n) {
    people_table *t = x->t;
    if (x->cur_col >= PEOPLE_MAX_COLS) {
        say(x->why, x->whysz, "row %d: more than %d columns / 第 %d 行列数超过 %d", t->row_no[t->nrows - 1],
            PEOPLE_MAX_COLS, t->row_no[t->nrows - 1], PEOPLE_MAX_COLS);
        return xl_fail(x, JC_ERR_TOOBIG);
    }
    while (t->row_n[t->nrows - 1] < x->cur_col)
        if (tbl_cell(t, "", 0)) return xl_fail(x, JC_ERR_TOOBIG);
    if (n > PEOPLE_MAX_CELL) n = PEOPLE_MAX_CELL;
    jc_err e = tbl_cell(t, s, n);
    if (e) {
        say(x->why, x->whysz, "row %d: too many cells / 第 %d 行单元格过多", t->row_no[t->nrows - 1],
            t->row_no[t->nrows - 1]);
        xl_fail(x, e);
    }
}

/* "B12" -> column 1, row 12; -1 when not a cell reference. */
static int cell_ref(const char *ref, int *col, int *row) {
    *col = col_of(ref);
    while (*ref >= 'A' && *ref <= 'Z') ref++;
    long r = *ref >= '1' && *ref <= '9' ? strtol(ref, NULL, 10) : 0;
    if (*col < 0 || r < 1 || r > 2000000) return -1;
    *row = (int)r;
    return 0;
}

/* Keeps a merged range of one column spanning rows (a household's address
 * or number merged over its members' rows, a header cell over two header
 * rows).  One within a row needs nothing, and a block over several columns
 * and rows is a title: copied into every column it would read as a header. */
static void add_merge(xl_st *x, const char *ref) {
    char a[16], b[16];
    const char *colon = ref ? strchr(ref, ':') : NULL;
    if (!colon || (size_t)(colon - ref) >= sizeof a || strlen(colon + 1) >= sizeof b) return;
    memcpy(a, ref, (size_t)(colon - ref));
    a[colon - ref] = 0;
    snprintf(b, sizeof b, "%s", colon + 1);
    xl_merge m;
    if (cell_ref(a, &m.c1, &m.r1) || cell_ref(b, &m.c2, &m.r2) || m.r2 <= m.r1 || m.c2 != m.c1 ||
        m.c2 >= PEOPLE_MAX_COLS)
        return;
    if (x->nmerge == x->mcap) {
        if (x->mcap >= XL_MAX_MERGES) {
            say(x->why, x->whysz, "more than %d merged cells / 合并单元格超过 %d 处", XL_MAX_MERGES, XL_MAX_MERGES);
            return xl_fail(x, JC_ERR_TOOBIG);
        }
        size_t cap = x->mcap ? x->mcap * 2 : 64;
        xl_merge *n = realloc(x->merge, cap * sizeof *n);
        if (!n) return xl_fail(x, JC_ERR_NOMEM);
        x->merge = n, x->mcap = cap;
    }
    x->merge[x->nmerge++] = m;
}

static int by_merge_top(const void *p, const void *q) {
    const xl_merge *a = p, *b = q;
    return a->r1 != b->r1 ? (a->r1 < b->r1 ? -1 : 1) : (a->c1 < b->c1 ? -1 : a->c1 > b->c1);
}

/* The table index of sheet row no (rows are kept in sheet order); -1 if absent. */
static int row_index(const people_table *t, int no) {
    int lo = 0, hi = t->nrows;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (t->row_no[mid] < no) lo = mid + 1;
        else hi = mid;
    }
    return lo < t->nrows && t->row_no[lo] == no ? lo : -1;
}

/* Excel keeps a merged range's value in its top cell only: the rows below
 * it read empty.  Each empty cell of a kept range gets the top cell's
 * value, as a person reading the sheet sees it. */
static jc_err fill_merges(xl_st *x) {
    people_table *t = x->t, n;
    memset(&n, 0, sizeof n);
    memcpy(n.format, t->format, sizeof n.format);
    memcpy(n.encoding, t->encoding, sizeof n.encoding);
    qsort(x->merge, x->nmerge, sizeof *x->merge, by_merge_top);
    size_t *act = malloc(x->nmerge * sizeof *act), nact = 0, next = 0;
    if (!act) return JC_ERR_NOMEM;
    jc_err e = JC_OK;
    for (int r = 0; r < t->nrows && !e; r++) {
        int no = t->row_no[r];
        /* the ranges covering this row below their top row */
        while (next < x->nmerge && x->merge[next].r1 < no) act[nact++] = next++;
        size_t k = 0;
        for (size_t i = 0; i < nact; i++)
            if (x->merge[act[i]].r2 >= no) act[k++] = act[i];
        nact = k;
        int ncols = t->row_n[r];
        for (size_t i = 0; i < nact; i++)
            if (x->merge[act[i]].c2 + 1 > ncols) ncols = x->merge[act[i]].c2 + 1;
        if ((e = tbl_row(&n, no))) break;
        for (int c = 0; c < ncols && !e; c++) {
            const char *v = people_table_cell(t, r, c);
            for (size_t i = 0; !v[0] && i < nact; i++) {
                const xl_merge *m = &x->merge[act[i]];
                int top = m->c1 <= c && c <= m->c2 ? row_index(t, m->r1) : -1;
                if (top >= 0) v = people_table_cell(t, top, m->c1);
            }
            e = tbl_cell(&n, v, strlen(v));
            if (!e && n.alen > t->alen + people__unzip_cap) e = JC_ERR_TOOBIG; /* a bomb of merged cells */
        }
        if (!e) tbl_end_row(&n);
    }
    free(act);
    if (e) {
        people_table_free(&n);
        say(x->why, x->whysz, "the merged cells make the sheet larger than its limits / 合并单元格展开后超过上限");
        return e;
    }
    people_table_free(t);
    *t = n;
    return JC_OK;
}

static void XMLCALL sh_start(void *ud, const XML_Char *el, const XML_Char **a) {
    xl_st *x = ud;
    if (!strcmp(el, "mergeCell")) {
        add_merge(x, attr(a, "ref"));
        return;
    }
    if (!strcmp(el, "row")) {
        const char *r = attr(a, "r");
        long no = r ? strtol(r, NULL, 10) : x->t->nrows + 1;
        if (x->t->nrows >= PEOPLE_MAX_ROWS || no < 1 || no > 2000000) {
            say(x->why, x->whysz, "more than %d rows / 行数超过 %d", PEOPLE_MAX_ROWS, PEOPLE_MAX_ROWS);
            return xl_fail(x, JC_ERR_TOOBIG);
        }
        if (tbl_row(x->t, (int)no)) return xl_fail(x, JC_ERR_NOMEM);
        x->row_open = 1;
        x->next_col = 0;
    } else if (!strcmp(el, "c") && x->row_open) {
        const char *r = attr(a, "r"), *ty = attr(a, "t");
        int c = r ? col_of(r) : x->next_col;
        x->cur_col = c < 0 ? x->next_col : c;
        x->next_col = x->cur_col + 1;
        snprintf(x->ctype, sizeof x->ctype, "%s", ty ? ty : "n");
        x->text.len = 0;
    } else if (!strcmp(el, "v")) {
        x->in_v = 1;
        x->text.len = 0;
    } else if (!strcmp(el, "is")) {
        x->in_is = 1;
        x->text.len = 0;
    } else if (!strcmp(el, "rPh")) x->in_rph = 1;
    else if (!strcmp(el, "t") && x->in_is && !x->in_rph) x->in_t = 1;
}

static void XMLCALL sh_end(void *ud, const XML_Char *el) {
    xl_st *x = ud;
    if ((!strcmp(el, "v") || !strcmp(el, "is")) && !x->row_open) {
        /* a value outside any <row> (a damaged sheet): no row to put it in */
        x->in_v = x->in_is = 0;
        x->text.len = 0;
        return;
    }
    if (!strcmp(el, "v")) {
        x->in_v = 0;
        if (!strcmp(x->ctype, "s")) {
            long i = x->text.len ? strtol(x->text.data, NULL, 10) : -1;
            if (i < 0 || (size_t)i >= x->nss) {
                say(x->why, x->whysz, "row %d: a shared string that does not exist / 第 %d 行引用了不存在的共享字符串",
                    x->t->row_no[x->t->nrows - 1], x->t->row_no[x->t->nrows - 1]);
                return xl_fail(x, JC_ERR_INVALID);
            }
            put_cell(x, x->ss[i], strlen(x->ss[i]));
        } else if (!strcmp(x->ctype, "b")) {
            put_cell(x, x->text.len && x->text.data[0] == '1' ? "TRUE" : "FALSE", x->text.len ? 4 + (x->text.data[0] != '1') : 5);
        } else put_cell(x, x->text.len ? x->text.data : "", x->text.len);
        x->text.len = 0;
    } else if (!strcmp(el, "t")) x->in_t = 0;
    else if (!strcmp(el, "rPh")) x->in_rph = 0;
    else if (!strcmp(el, "is")) {
        x->in_is = 0;
        put_cell(x, x->text.len ? x->text.data : "", x->text.len);
        x->text.len = 0;
    } else if (!strcmp(el, "row") && x->row_open) {
        x->row_open = 0;
        tbl_end_row(x->t);
    }
}

/* Streams one entry of the zip through an expat parser, counting the bytes
 * it unpacks to against *budget. */
static jc_err xl_parse(zip_t *z, const char *name, xl_st *x, XML_StartElementHandler st, XML_EndElementHandler en,
                       size_t *budget, int required) {
    zip_stat_t zs;
    if (zip_stat(z, name, 0, &zs) != 0) {
        if (!required) return JC_OK;
        say(x->why, x->whysz, "the workbook has no %s / 工作簿缺少 %s", name, name);
        return JC_ERR_INVALID;
    }
    if ((zs.valid & ZIP_STAT_SIZE) && zs.size > *budget) {
        say(x->why, x->whysz,
            "%s unpacks to %llu bytes, more than the %zu MiB limit (an XLSX bomb?) / %s 解压后 %llu 字节，超过 %zu MiB "
            "上限（疑似压缩炸弹）",
            name, (unsigned long long)zs.size, people__unzip_cap >> 20, name, (unsigned long long)zs.size,
            people__unzip_cap >> 20);
        return JC_ERR_TOOBIG;
    }
    zip_file_t *f = zip_fopen(z, name, 0);
    if (!f) {
        say(x->why, x->whysz, "cannot open %s in the workbook / 无法读取工作簿中的 %s", name, name);
        return JC_ERR_INVALID;
    }
    XML_Parser p = XML_ParserCreate("UTF-8");
    if (!p) { zip_fclose(f); return JC_ERR_NOMEM; }
    x->xp = p;
    XML_SetUserData(p, x);
    XML_SetElementHandler(p, st, en);
    XML_SetCharacterDataHandler(p, chars);
    XML_SetStartDoctypeDeclHandler(p, doctype);
    char buf[65536];
    jc_err e = JC_OK;
    for (;;) {
        zip_int64_t got = zip_fread(f, buf, sizeof buf);
        if (got < 0) {
            say(x->why, x->whysz, "%s is damaged: %s / %s 已损坏", name, zip_file_strerror(f), name);
            e = JC_ERR_INVALID;
            break;
        }
        if ((size_t)got > *budget) {
            say(x->why, x->whysz,
                "%s unpacks to more than the %zu MiB limit (an XLSX bomb?) / %s 解压后超过 %zu MiB 上限（疑似压缩炸弹）",
                name, people__unzip_cap >> 20, name, people__unzip_cap >> 20);
            e = JC_ERR_TOOBIG;
            break;
        }
        *budget -= (size_t)got;
        if (XML_Parse(p, buf, (int)got, got == 0) == XML_STATUS_ERROR) {
            if (!x->err) {
                say(x->why, x->whysz, "%s line %lu: %s / %s 第 %lu 行 XML 错误", name, XML_GetCurrentLineNumber(p),
                    XML_ErrorString(XML_GetErrorCode(p)), name, XML_GetCurrentLineNumber(p));
                e = JC_ERR_INVALID;
            } else e = x->err;
            break;
        }
        if (x->err) { e = x->err; break; }
        if (got == 0) break;
    }
    XML_ParserFree(p);
    zip_fclose(f);
    return e;
}

static jc_err read_xlsx(const char *data, size_t len, people_table *t, char *why, size_t whysz) {
    snprintf(t->format, sizeof t->format, "xlsx");
    snprintf(t->encoding, sizeof t->encoding, "UTF-8");
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
    zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY, &ze) : NULL;
    if (!z) {
        say(why, whysz, "not a readable XLSX: %s / 不是可读取的 XLSX 文件", zip_error_strerror(&ze));
        if (src) zip_source_free(src);
        zip_error_fini(&ze);
        return JC_ERR_INVALID;
    }
    zip_error_fini(&ze);
    xl_st x = {.t = t, .why = why, .whysz = whysz};
    jc_buf_init(&x.text, PEOPLE_MAX_CELL * 8);
    size_t budget = people__unzip_cap;
    /* the first sheet: sheet1.xml, else the first worksheet entry */
    char sheet[256] = "xl/worksheets/sheet1.xml";
    zip_stat_t zs;
    if (zip_stat(z, sheet, 0, &zs) != 0) {
        sheet[0] = 0;
        zip_int64_t ne = zip_get_num_entries(z, 0);
        for (zip_int64_t i = 0; i < ne && !sheet[0]; i++) {
            const char *n = zip_get_name(z, (zip_uint64_t)i, 0);
            if (n && !strncmp(n, "xl/worksheets/", 14) && strstr(n, ".xml") && !strchr(n + 14, '/'))
                snprintf(sheet, sizeof sheet, "%s", n);
        }
    }
    jc_err e = JC_OK;
    if (!sheet[0]) {
        say(why, whysz, "the workbook has no worksheet / 工作簿中没有工作表");
        e = JC_ERR_INVALID;
    }
    if (!e) e = xl_parse(z, "xl/sharedStrings.xml", &x, ss_start, ss_end, &budget, 0);
    x.in_t = x.in_rph = 0;
    if (!e) e = xl_parse(z, sheet, &x, sh_start, sh_end, &budget, 1);
    if (!e && x.nmerge) e = fill_merges(&x);
    free(x.merge);
    for (size_t i = 0; i < x.nss; i++) free(x.ss[i]);
    free(x.ss);
    jc_buf_free(&x.text);
    zip_close(z);
    return e;
}

jc_err people_table_read(const char *data, size_t len, people_table *t, char *why, size_t whysz) {
    memset(t, 0, sizeof *t);
    if (why && whysz) why[0] = 0;
    if (len > PEOPLE_MAX_FILE) {
        say(why, whysz, "the file is %zu MiB, more than the %zu MiB limit; split it / 文件 %zu MiB，超过 %zu MiB 上限，请拆分后导入",
            len >> 20, PEOPLE_MAX_FILE >> 20, len >> 20, PEOPLE_MAX_FILE >> 20);
        return JC_ERR_TOOBIG;
    }
    if (len == 0) {
        say(why, whysz, "the file is empty / 文件为空");
        return JC_ERR_INVALID;
    }
    if (len >= 8 && !memcmp(data, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8)) {
        say(why, whysz, "an old Excel .xls file: save it as .xlsx or CSV / 旧版 Excel .xls 文件，请另存为 .xlsx 或 CSV");
        return JC_ERR_INVALID;
    }
    jc_err e = len >= 4 && !memcmp(data, "PK\x03\x04", 4) ? read_xlsx(data, len, t, why, whysz)
                                                           : read_csv(data, len, t, why, whysz);
    if (!e && t->nrows == 0) {
        say(why, whysz, "the file holds no rows / 文件中没有数据行");
        e = JC_ERR_INVALID;
    }
    if (e == JC_ERR_TOOBIG) say(why, whysz, "the file is larger than its limits / 文件超过上限");
    return e;
}

/* ---- the column mapping ---------------------------------------------------------- */

static const char *const field_names[PF_COUNT] = {
    "attr", "name", "id_number", "id_type", "sex", "birth_date", "age", "phone", "address",
    "household_no", "relation", "community", "street", "building", "unit", "room"};

const char *people_field_name(people_field f) { return f < PF_COUNT ? field_names[f] : "attr"; }

int people_field_parse(const char *name) {
    for (int i = 0; i < PF_COUNT; i++)
        if (!strcmp(name, field_names[i])) return i;
    if (!strcmp(name, "-") || !strcmp(name, "ignore")) return PF_ATTR;
    return -1;
}

/* Headers as departments write them, after cleaning (no spaces, no text in
 * brackets, no * marks), matched whole. */
static const struct { const char *h; people_field f; } synonyms[] = {
    {"姓名", PF_NAME}, {"名字", PF_NAME}, {"学生姓名", PF_NAME}, {"人员姓名", PF_NAME}, {"居民姓名", PF_NAME},
    {"老人姓名", PF_NAME}, {"残疾人姓名", PF_NAME}, {"患者姓名", PF_NAME}, {"参保人姓名", PF_NAME},
    {"申请人姓名", PF_NAME}, {"救助对象姓名", PF_NAME}, {"对象姓名", PF_NAME}, {"儿童姓名", PF_NAME},
    {"幼儿姓名", PF_NAME}, {"职工姓名", PF_NAME}, {"服务对象", PF_NAME}, {"服务对象姓名", PF_NAME},
    {"被登记人", PF_NAME}, {"居民", PF_NAME}, {"XM", PF_NAME}, {"name", PF_NAME}, {"fullname", PF_NAME},
    {"公民身份号码", PF_ID_NUMBER}, {"身份证号", PF_ID_NUMBER}, {"身份证号码", PF_ID_NUMBER},
    {"证件号码", PF_ID_NUMBER}, {"证件号", PF_ID_NUMBER}, {"身份证件号", PF_ID_NUMBER},
    {"身份证件号码", PF_ID_NUMBER}, {"身份号码", PF_ID_NUMBER}, {"公民身份证号", PF_ID_NUMBER},
    {"居民身份证号", PF_ID_NUMBER}, {"居民身份证号码", PF_ID_NUMBER}, {"社会保障号码", PF_ID_NUMBER},
    {"社会保障号", PF_ID_NUMBER}, {"身份证", PF_ID_NUMBER}, {"GMSFHM", PF_ID_NUMBER}, {"SFZH", PF_ID_NUMBER},
    {"ZJHM", PF_ID_NUMBER}, {"idnumber", PF_ID_NUMBER}, {"idno", PF_ID_NUMBER}, {"idcard", PF_ID_NUMBER},
    {"证件类型", PF_ID_TYPE}, {"证件种类", PF_ID_TYPE}, {"身份证件类型", PF_ID_TYPE}, {"证件类别", PF_ID_TYPE},
    {"ZJLX", PF_ID_TYPE}, {"idtype", PF_ID_TYPE},
    {"性别", PF_SEX}, {"姓别", PF_SEX}, {"XB", PF_SEX}, {"sex", PF_SEX}, {"gender", PF_SEX},
    {"出生日期", PF_BIRTH_DATE}, {"出生年月", PF_BIRTH_DATE}, {"出生年月日", PF_BIRTH_DATE},
    {"生日", PF_BIRTH_DATE}, {"出生时间", PF_BIRTH_DATE}, {"出生", PF_BIRTH_DATE}, {"CSRQ", PF_BIRTH_DATE},
    {"birthdate", PF_BIRTH_DATE}, {"dateofbirth", PF_BIRTH_DATE}, {"dob", PF_BIRTH_DATE}, {"birthday", PF_BIRTH_DATE},
    {"年龄", PF_AGE}, {"周岁", PF_AGE}, {"岁数", PF_AGE}, {"实足年龄", PF_AGE}, {"NL", PF_AGE}, {"age", PF_AGE},
    {"联系电话", PF_PHONE}, {"手机号码", PF_PHONE}, {"本人电话", PF_PHONE}, {"手机号", PF_PHONE},
    {"电话", PF_PHONE}, {"联系方式", PF_PHONE}, {"手机", PF_PHONE}, {"电话号码", PF_PHONE}, {"本人手机", PF_PHONE},
    {"移动电话", PF_PHONE}, {"联系手机", PF_PHONE}, {"固定电话", PF_PHONE}, {"家庭电话", PF_PHONE},
    {"住宅电话", PF_PHONE}, {"本人联系电话", PF_PHONE}, {"LXDH", PF_PHONE}, {"SJHM", PF_PHONE},
    {"phone", PF_PHONE}, {"mobile", PF_PHONE}, {"tel", PF_PHONE},
    {"住址", PF_ADDRESS}, {"家庭住址", PF_ADDRESS}, {"现住址", PF_ADDRESS}, {"户籍地址", PF_ADDRESS},
    {"通讯地址", PF_ADDRESS}, {"居住地址", PF_ADDRESS}, {"现居住地址", PF_ADDRESS}, {"地址", PF_ADDRESS},
    {"家庭地址", PF_ADDRESS}, {"联系地址", PF_ADDRESS}, {"常住地址", PF_ADDRESS}, {"户籍所在地", PF_ADDRESS},
    {"现住地址", PF_ADDRESS}, {"详细地址", PF_ADDRESS}, {"居住地", PF_ADDRESS}, {"住所", PF_ADDRESS},
    {"现居住地", PF_ADDRESS}, {"户籍地", PF_ADDRESS}, {"户口所在地", PF_ADDRESS}, {"实际居住地址", PF_ADDRESS},
    {"小区", PF_ADDRESS}, {"小区名称", PF_ADDRESS}, {"所在小区", PF_ADDRESS}, {"住宅小区", PF_ADDRESS},
    {"楼盘", PF_ADDRESS}, {"楼盘名称", PF_ADDRESS}, {"院落", PF_ADDRESS}, {"院落名称", PF_ADDRESS},
    {"ZZ", PF_ADDRESS}, {"XZZ", PF_ADDRESS}, {"HJDZ", PF_ADDRESS}, {"address", PF_ADDRESS}, {"addr", PF_ADDRESS},
    {"户号", PF_HOUSEHOLD_NO}, {"户编号", PF_HOUSEHOLD_NO}, {"户籍编号", PF_HOUSEHOLD_NO},
    {"户口簿编号", PF_HOUSEHOLD_NO}, {"家庭编号", PF_HOUSEHOLD_NO}, {"户档案号", PF_HOUSEHOLD_NO},
    {"户口本编号", PF_HOUSEHOLD_NO}, {"HH", PF_HOUSEHOLD_NO}, {"householdno", PF_HOUSEHOLD_NO},
    {"与户主关系", PF_RELATION}, {"与户主的关系", PF_RELATION}, {"家庭关系", PF_RELATION}, {"关系", PF_RELATION},
    {"与户主关系代码", PF_RELATION}, {"YHZGX", PF_RELATION}, {"relation", PF_RELATION},
    {"社区", PF_COMMUNITY}, {"所属社区", PF_COMMUNITY}, {"社区名称", PF_COMMUNITY}, {"居委会", PF_COMMUNITY},
    {"所在社区", PF_COMMUNITY}, {"社区村", PF_COMMUNITY}, {"所属居委会", PF_COMMUNITY}, {"community", PF_COMMUNITY},
    {"街道", PF_STREET}, {"所属街道", PF_STREET}, {"街道乡镇", PF_STREET}, {"乡镇街道", PF_STREET},
    {"所在街道", PF_STREET}, {"street", PF_STREET},
    {"楼栋", PF_BUILDING}, {"楼号", PF_BUILDING}, {"楼栋号", PF_BUILDING}, {"门楼牌", PF_BUILDING},
    {"楼栋地址", PF_BUILDING}, {"楼宇", PF_BUILDING}, {"building", PF_BUILDING},
    {"单元", PF_UNIT}, {"单元号", PF_UNIT}, {"unit", PF_UNIT},
    {"门牌号", PF_ROOM}, {"房号", PF_ROOM}, {"室号", PF_ROOM}, {"户室号", PF_ROOM}, {"房间号", PF_ROOM},
    {"门牌", PF_ROOM}, {"room", PF_ROOM},
};

/* Headers of another person's data: 监护人姓名, 联系人电话, 户主身份证号 ... */
static const char *const other_person[] = {"监护人", "联系人", "紧急", "户主", "父亲", "母亲", "配偶", "家长",
                                           "代理人", "代办", "家属", "陪同", "经办人", "填报人", "医生", "法定代表", "负责人", "登记人",
                                           "录入人", "审核人", "网格员", "申请人代", "联系人", "亲属", "子女",
                                           "单位", "工作", "学校", "机构", "办理", "操作", "guardian", "contact"};

/* Cleans a header: NFKC, no spaces, no bracketed text, no * or : marks. */
static void clean_header(const char *in, char *out, size_t outsz) {
    char n[256];
    people__nfkc(in, n, sizeof n);
    size_t k = 0;
    int depth = 0;
    for (const char *p = n; *p;) {
        if (*p == '(' || *p == '[') { depth++, p++; continue; }
        if (*p == ')' || *p == ']') { if (depth) depth--; p++; continue; }
        if (!strncmp(p, "【", 3)) { depth++, p += 3; continue; }
        if (!strncmp(p, "】", 3)) { if (depth) depth--; p += 3; continue; }
        if (*p == ' ' || *p == '*' || *p == '\t' || *p == ':' || *p == '_' || *p == '\r' || *p == '\n') { p++; continue; }
        size_t cl = (*p & 0x80) == 0 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : 4;
        if (strnlen(p, cl) < cl) break;
        if (!depth) {
            if (k + cl + 1 > outsz) break;
            memcpy(out + k, p, cl);
            k += cl;
        }
        p += cl;
    }
    out[k] = 0;
}

static int is_other_person(const char *h) {
    for (size_t i = 0; i < JC_ARRAY_LEN(other_person); i++)
        if (strstr(h, other_person[i])) return 1;
    return 0;
}

/* The field a cleaned header names; PF_ATTR when none. */
/* The field a cleaned header names exactly (the synonym table); -1 when none. */
static int header_exact(const char *h) {
    for (size_t i = 0; h[0] && i < JC_ARRAY_LEN(synonyms); i++)
        if (!strcasecmp(h, synonyms[i].h)) return (int)synonyms[i].f;
    return -1;
}

static people_field header_field(const char *h) {
    if (!h[0]) return PF_ATTR;
    int x = header_exact(h);
    if (x >= 0) return (people_field)x;
    if (is_other_person(h)) return PF_ATTR;
    /* contains-rules for wording the table does not list */
    if (strstr(h, "身份证") || strstr(h, "身份号") || ((strstr(h, "证件") && strstr(h, "号")))) return PF_ID_NUMBER;
    if (strstr(h, "姓名")) return PF_NAME;
    if (strstr(h, "出生") && !strstr(h, "地") && !strstr(h, "证")) return PF_BIRTH_DATE;
    if (strstr(h, "性别")) return PF_SEX;
    if (strstr(h, "电话") || strstr(h, "手机")) return PF_PHONE;
    if ((strstr(h, "址") || strstr(h, "居住地") || strstr(h, "现居地")) && !strstr(h, "邮") && !strstr(h, "网址"))
        return PF_ADDRESS; /* 住址, 地址, 详址 (居住详址), 现居地; not a postal or web address */
    if (strstr(h, "户号")) return PF_HOUSEHOLD_NO;
    if (strstr(h, "与户主")) return PF_RELATION;
    if (strstr(h, "年龄")) return PF_AGE;
    return PF_ATTR;
}

/* Whether a field may be given by several columns (phones, addresses and,
 * set by hand, a given name and a surname); the rest take the first column. */
static int multi_field(int f) { return f == PF_PHONE || f == PF_ADDRESS || f == PF_ATTR || f == PF_NAME; }

/* Whether a cell reads as a Chinese personal name: two to four Han
 * characters, or a minority name of Han characters joined by middle dots
 * (up to 15 characters); no digits, no Latin letters, no spaces inside. */
static int name_like(const char *v) {
    int han = 0, dots = 0;
    for (const unsigned char *p = (const unsigned char *)v; *p;) {
        uint32_t c;
        int cl;
        if (*p < 0x80) c = *p, cl = 1;
        else if ((*p & 0xE0) == 0xC0 && p[1]) c = (uint32_t)(*p & 0x1F) << 6 | (p[1] & 0x3F), cl = 2;
        else if ((*p & 0xF0) == 0xE0 && p[1] && p[2])
            c = (uint32_t)(*p & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F), cl = 3;
        else return 0;
        p += cl;
        if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF)) han++;
        else if (c == 0xB7 || c == 0x2022 || c == 0x30FB || c == 0xFF0E || c == '.') dots++;
        else return 0;
    }
    return dots ? han >= 2 && han <= 15 && dots <= 3 : han >= 2 && han <= 4;
}

/* The one column whose values are mostly personal names, all of them
 * different but a few (a column of ethnic groups, categories or the three
 * clerks who filled the form in repeats its values), when no header named
 * the person's name; -1 when none or more than one qualify (a guardian's
 * name under a header we do not read: better asked than guessed). */
static int sniff_name(const people_table *t, const people_mapping *m) {
    int first = m->header_row + 1, found = -1;
    for (int c = 0; c < m->ncols; c++) {
        if (m->field[c] != PF_ATTR || m->how[c] == 4 || is_other_person(m->header[c])) continue;
        const char *seen[200];
        int n = 0, like = 0, distinct = 0;
        for (int r = first; r < t->nrows && n < 200; r++) {
            const char *v = people_table_cell(t, r, c);
            if (!v[0]) continue;
            int dup = 0;
            for (int i = 0; i < n && !dup; i++) dup = !strcmp(seen[i], v);
            seen[n++] = v;
            distinct += !dup;
            like += name_like(v);
        }
        if (n < 3 || like * 10 < n * 8 || distinct * 10 < n * 6) continue;
        if (found >= 0) return -1;
        found = c;
    }
    return found;
}

static void sniff(const people_table *t, people_mapping *m, const uint8_t *taken) {
    int first = m->header_row + 1;
    int want[PF_COUNT] = {0};
    for (int f = 1; f < PF_COUNT; f++) want[f] = !taken[f];
    for (int c = 0; c < m->ncols; c++) {
        if (m->field[c] != PF_ATTR || is_other_person(m->header[c])) continue;
        int n = 0, ids = 0, mobiles = 0, sexes = 0;
        for (int r = first; r < t->nrows && n < 200; r++) {
            const char *v = people_table_cell(t, r, c);
            if (!v[0]) continue;
            n++;
            people_id d;
            people_norm_id(v, &d);
            ids += d.kind == PEOPLE_ID_VALID;
            people_phones ph;
            if (people_norm_phones(v, &ph) == 1 && strlen(ph.num[0]) == 11 && ph.num[0][0] == '1') mobiles++;
            sexes += people_norm_sex(v) != 0;
        }
        if (n < 3) continue;
        people_field f = PF_ATTR;
        if (want[PF_ID_NUMBER] && ids * 10 >= n * 6) f = PF_ID_NUMBER;
        else if (want[PF_PHONE] && mobiles * 10 >= n * 6) f = PF_PHONE;
        else if (want[PF_SEX] && sexes * 10 >= n * 9) f = PF_SEX;
        if (f != PF_ATTR) {
            m->field[c] = (uint8_t)f;
            m->how[c] = 2;
            if (!multi_field(f)) want[f] = 0;
        }
    }
    if (want[PF_NAME]) {
        int c = sniff_name(t, m);
        if (c >= 0) m->field[c] = PF_NAME, m->how[c] = 2;
    }
}

jc_err people_mapping_propose(const people_table *t, const char *saved, const char *map, people_mapping *m,
                              char *why, size_t whysz) {
    memset(m, 0, sizeof *m);
    if (why && whysz) why[0] = 0;
    /* the header row: of the first 20 rows, the one naming most fields */
    int best = -1, bestn = 0;
    for (int r = 0; r < t->nrows && r < 20; r++) {
        int n = 0;
        for (int c = 0; c < t->row_n[r]; c++) {
            char h[64];
            clean_header(people_table_cell(t, r, c), h, sizeof h);
            n += header_field(h) != PF_ATTR;
        }
        if (n > bestn) best = r, bestn = n;
    }
    if (best < 0) /* nothing recognised: the first row with two cells or more */
        for (int r = 0; r < t->nrows && r < 20 && best < 0; r++)
            if (t->row_n[r] >= 2) best = r;
    if (best < 0) {
        say(why, whysz, "no header row found / 未找到表头行");
        return JC_ERR_INVALID;
    }
    m->header_row = best;
    m->ncols = t->row_n[best];
    json_t *sv = saved && saved[0] ? json_loads(saved, 0, NULL) : NULL;
    uint8_t taken[PF_COUNT] = {0};
    /* the saved mapping first, then the headers the synonym table names exactly,
     * then the contains-rules: an exact 姓名 or 身份证号 keeps the field whatever
     * column order puts a 家属姓名 or 代办人身份证号 before it */
    for (int pass = 0; pass < 3; pass++)
        for (int c = 0; c < m->ncols; c++) {
            if (pass == 0) {
                clean_header(people_table_cell(t, best, c), m->header[c], sizeof m->header[c]);
                json_t *s = sv ? json_object_get(sv, people_table_cell(t, best, c)) : NULL;
                int f = s && json_is_string(s) ? people_field_parse(json_string_value(s)) : -1;
                m->field[c] = (uint8_t)(f >= 0 ? f : PF_ATTR);
                m->how[c] = f >= 0 ? 3 : 0;
                if (f >= 0) taken[f] = 1;
                continue;
            }
            if (m->how[c]) continue;
            int f = pass == 1 ? header_exact(m->header[c]) : (int)header_field(m->header[c]);
            if (f <= PF_ATTR) continue;
            if (taken[f] && (f == PF_NAME || !multi_field(f))) continue;
            m->field[c] = (uint8_t)f;
            m->how[c] = 1;
            taken[f] = 1;
        }
    json_decref(sv);
    sniff(t, m, taken);
    /* by hand: header=field,header=field */
    if (map && map[0]) {
        char *dup = jc_strdup(map), *save = NULL;
        if (!dup) return JC_ERR_NOMEM;
        jc_err e = JC_OK;
        for (char *tok = strtok_r(dup, ",，", &save); tok && !e; tok = strtok_r(NULL, ",，", &save)) {
            char *eq = strchr(tok, '=');
            if (!eq) {
                say(why, whysz, "--map: '%s' is not header=field / --map 中 '%s' 不是 表头=字段", tok, tok);
                e = JC_ERR_INVALID;
                break;
            }
            *eq = 0;
            const char *h = tok, *fname = eq + 1;
            while (*h == ' ') h++;
            int f = people_field_parse(fname);
            if (f < 0) {
                say(why, whysz, "--map: unknown field '%s' (name, id_number, id_type, sex, birth_date, age, phone, "
                    "address, household_no, relation, community, street, building, unit, room, attr) / 未知字段 '%s'",
                    fname, fname);
                e = JC_ERR_INVALID;
                break;
            }
            int found = -1;
            char hc[64];
            clean_header(h, hc, sizeof hc);
            for (int c = 0; c < m->ncols && found < 0; c++)
                if (!strcmp(people_table_cell(t, best, c), h) || !strcmp(m->header[c], hc)) found = c;
            if (found < 0) {
                say(why, whysz, "--map: the file has no column '%s' / 文件中没有列 '%s'", h, h);
                e = JC_ERR_INVALID;
                break;
            }
            /* a field set by hand leaves the column that had it */
            if (!multi_field(f))
                for (int c = 0; c < m->ncols; c++)
                    if (c != found && m->field[c] == f && m->how[c] != 4) m->field[c] = PF_ATTR, m->how[c] = 0;
            m->field[found] = (uint8_t)f;
            m->how[found] = 4;
        }
        free(dup);
        if (e) return e;
    }
    return JC_OK;
}
