/*
 * people_norm.c -- cleaning one cell of a departmental person table: GB 11643
 * ID numbers (check character, the 15-digit form, full-width digits, Excel's
 * damage), names (white space, middle dots, traditional characters, pinyin
 * keys from a table generated at build time from npm pinyin-pro and
 * opencc-js), dates in the formats Chinese offices write them and Excel
 * serial numbers, phones, sex codes, and addresses parsed into street,
 * community, road and numbers.  Pure functions, no storage.
 */
#include "people.h"
#include "base.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---- UTF-8 helpers ---------------------------------------------------------- */

size_t people__nfkc(const char *in, char *out, size_t outsz) {
    size_t n = strlen(in), i;
    /* Only some characters change under NFKC: full-width forms and the
     * ideographic space (lead byte 0xEF, 0xE3 0x80), compatibility ideographs
     * (0xEF), Latin-1 and other two-byte letters, punctuation and letterlike
     * symbols (0xE2), circled numbers, Hangul (0xE1).  Text of only ASCII and
     * common CJK (lead bytes 0xE4-0xE9) is copied as it is. */
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c < 0x80) continue;
        if (c >= 0xE4 && c <= 0xE9) { /* a three-byte CJK character */
            if (i + 2 >= n) break;
            i += 2;
            continue;
        }
        break;
    }
    if (i == n) { /* nothing NFKC would change */
        size_t m = n < outsz - 1 ? n : outsz - 1;
        memcpy(out, in, m);
        out[m] = 0;
        return m;
    }
    utf8proc_uint8_t *d = NULL;
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)in, (utf8proc_ssize_t)n, &d,
                                      UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE);
    if (r < 0 || !d) { /* not UTF-8: keep the ASCII part */
        size_t k = 0;
        for (i = 0; i < n && k + 1 < outsz; i++)
            if (!(in[i] & 0x80)) out[k++] = in[i];
        out[k] = 0;
        free(d);
        return k;
    }
    size_t m = (size_t)r < outsz - 1 ? (size_t)r : outsz - 1;
    while (m > 0 && m < (size_t)r && (d[m] & 0xC0) == 0x80) m--; /* whole characters */
    memcpy(out, d, m);
    out[m] = 0;
    free(d);
    return m;
}

/* Decodes one code point at s (valid UTF-8 assumed, as nfkc leaves it);
 * *len gets its byte count. */
static uint32_t cp_at(const char *s, int *len) {
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0x80) return *len = 1, u[0];
    if ((u[0] & 0xE0) == 0xC0 && u[1]) return *len = 2, (uint32_t)(u[0] & 0x1F) << 6 | (u[1] & 0x3F);
    if ((u[0] & 0xF0) == 0xE0 && u[1] && u[2])
        return *len = 3, (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F);
    if ((u[0] & 0xF8) == 0xF0 && u[1] && u[2] && u[3])
        return *len = 4, (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3F) << 12 | (uint32_t)(u[2] & 0x3F) << 6 |
                         (u[3] & 0x3F);
    return *len = 1, u[0];
}

/* Appends code point c to out (at *k, capacity outsz); 0 when it did not fit. */
static int put_cp(char *out, size_t *k, size_t outsz, uint32_t c) {
    char b[4];
    int n;
    if (c < 0x80) b[0] = (char)c, n = 1;
    else if (c < 0x800) b[0] = (char)(0xC0 | c >> 6), b[1] = (char)(0x80 | (c & 0x3F)), n = 2;
    else if (c < 0x10000)
        b[0] = (char)(0xE0 | c >> 12), b[1] = (char)(0x80 | (c >> 6 & 0x3F)), b[2] = (char)(0x80 | (c & 0x3F)), n = 3;
    else
        b[0] = (char)(0xF0 | c >> 18), b[1] = (char)(0x80 | (c >> 12 & 0x3F)), b[2] = (char)(0x80 | (c >> 6 & 0x3F)),
        b[3] = (char)(0x80 | (c & 0x3F)), n = 4;
    if (*k + (size_t)n + 1 > outsz) return 0;
    memcpy(out + *k, b, (size_t)n);
    *k += (size_t)n;
    out[*k] = 0;
    return 1;
}

static const people__hanzi_row *hanzi(uint32_t cp) {
    size_t lo = 0, hi = people__nhanzi;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (people__hanzi[mid].cp < cp) lo = mid + 1;
        else hi = mid;
    }
    return lo < people__nhanzi && people__hanzi[lo].cp == cp ? &people__hanzi[lo] : NULL;
}

static int is_space_cp(uint32_t c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0x3000 || c == 0xA0 || c == 0xFEFF ||
           (c >= 0x2000 && c <= 0x200B);
}

/* ---- ID numbers ---------------------------------------------------------------- */

char people_id_check(const char *id17) { return base_id_check(id17); }

static int real_date(int y, int m, int d) {
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1880 || y > 2100 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return 0;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100) || y % 400 == 0)) return 0;
    return 1;
}

/* 1 when s[0..n) are all decimal digits. */
static int all_digits(const char *s, int n) {
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* The value of the n (at most 9) digits at s; -1 when one is not a digit. */
static int digits_at(const char *s, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static void id_fill_birth(people_id *o) {
    int y = digits_at(o->id + 6, 4), m = digits_at(o->id + 10, 2), d = digits_at(o->id + 12, 2);
    o->birth = y > 0 && real_date(y, m, d) ? y * 10000 + m * 100 + d : 0;
    int s = o->known >= 17 ? o->id[16] - '0' : -1;
    o->sex = s < 0 || s > 9 ? 0 : (s % 2 ? 'M' : 'F');
}

void people_norm_id(const char *in, people_id *out) {
    memset(out, 0, sizeof *out);
    char buf[128], t[64];
    people__nfkc(in ? in : "", buf, sizeof buf);
    size_t k = 0;
    for (const char *p = buf; *p && k + 1 < sizeof t; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\'' || c == '"' || c == '`' || c == '=') continue;
        t[k++] = (char)(c == 'x' ? 'X' : c);
    }
    t[k] = 0;
    if (!k || !strcmp(t, "/") || !strcmp(t, "-") || !strcmp(t, "无") || !strcmp(t, "空") || !strcmp(t, "NULL") ||
        !strcmp(t, "null") || !strcmp(t, "--") || !strcmp(t, "暂无")) {
        out->kind = PEOPLE_ID_NONE;
        return;
    }
    /* 1.10101E+17: a number Excel shows in scientific notation; only the
     * mantissa's digits are known. */
    char *e = strchr(t, 'E');
    if (!e) e = strchr(t, 'e');
    if (e && t[0] >= '1' && t[0] <= '9' && t[1] == '.' && (!strcmp(e, "E+17") || !strcmp(e, "E17"))) {
        size_t m = 0;
        out->id[m++] = t[0];
        for (const char *p = t + 2; p < e && m < 15; p++) { /* Excel keeps 15 digits */
            if (*p < '0' || *p > '9') { out->kind = PEOPLE_ID_OTHER; return; }
            out->id[m++] = *p;
        }
        while (m > 1 && out->id[m - 1] == '0') m--; /* trailing zeros of the mantissa say nothing */
        out->id[m] = 0;
        out->known = (int)m;
        out->kind = PEOPLE_ID_PARTIAL;
        return;
    }
    /* 110101850302123 (the old form, 15 digits) */
    if (k == 15 && all_digits(t, 15)) {
        memcpy(out->id, t, 6);
        memcpy(out->id + 6, "19", 2);
        memcpy(out->id + 8, t + 6, 9);
        out->id[17] = people_id_check(out->id);
        out->id[18] = 0;
        out->known = 18;
        out->from15 = 1;
        id_fill_birth(out);
        out->kind = out->birth ? PEOPLE_ID_VALID : PEOPLE_ID_DAMAGED;
        return;
    }
    int digits17 = k == 18;
    for (size_t i = 0; digits17 && i < 17; i++) digits17 = t[i] >= '0' && t[i] <= '9';
    if (!digits17 || !((t[17] >= '0' && t[17] <= '9') || t[17] == 'X')) {
        out->kind = PEOPLE_ID_OTHER;
        snprintf(out->id, sizeof out->id, "%.18s", t);
        return;
    }
    memcpy(out->id, t, 18);
    out->id[18] = 0;
    out->known = 18;
    id_fill_birth(out);
    if (people_id_check(t) == t[17] && out->birth) {
        out->kind = PEOPLE_ID_VALID;
        return;
    }
    /* The last digits turned to 000 by a spreadsheet that kept 15 of them. */
    if (!strcmp(t + 15, "000")) {
        out->known = 15;
        out->id[15] = 0;
        out->kind = PEOPLE_ID_PARTIAL;
        out->sex = 0;
        return;
    }
    out->kind = PEOPLE_ID_DAMAGED;
}

/* ---- dates ----------------------------------------------------------------------- */

int people_norm_date(const char *in, int *ymd) {
    *ymd = 0;
    char buf[96];
    people__nfkc(in ? in : "", buf, sizeof buf);
    /* split into runs of digits; remember what separated them */
    int v[4], nv = 0, len[4], nonsep = 0;
    const char *p = buf;
    while (*p && nv < 4) {
        if (*p >= '0' && *p <= '9') {
            long x = 0;
            int l = 0;
            while (*p >= '0' && *p <= '9' && l < 10) x = x * 10 + (*p++ - '0'), l++;
            if (*p >= '0' && *p <= '9') return -1;
            v[nv] = (int)x, len[nv++] = l;
            continue;
        }
        int cl;
        uint32_t c = cp_at(p, &cl);
        if (c == ' ' && nv == 3) break; /* a time follows */
        if (!(c == '-' || c == '/' || c == '.' || c == ' ' || c == 0x5E74 /* 年 */ || c == 0x6708 /* 月 */ ||
              c == 0x65E5 /* 日 */ || c == 0x53F7 /* 号 */ || c == '\'' || c == '\t'))
            nonsep = 1;
        p += cl;
    }
    if (nonsep || !nv) return -1;
    int y = 0, m = 0, d = 0;
    if (nv == 1 && len[0] == 8) y = v[0] / 10000, m = v[0] / 100 % 100, d = v[0] % 100;
    else if (nv == 1 && len[0] == 6) y = v[0] / 100, m = v[0] % 100;
    else if (nv == 1 && len[0] <= 5 && v[0] >= 1 && v[0] < 73051) {
        /* an Excel serial number: day 1 is 1900-01-01, and Excel counts a
         * 1900-02-29 that never was, so from 61 on day 0 is 1899-12-30;
         * then civil-from-days (H. Hinnant) of days since 1970-01-01 */
        long z = (v[0] >= 61 ? -25569L : -25568L) + v[0] + 719468;
        long era = (z >= 0 ? z : z - 146096) / 146097, doe = z - era * 146097;
        long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        d = (int)(doy - (153 * mp + 2) / 5 + 1);
        m = (int)(mp < 10 ? mp + 3 : mp - 9);
        y = (int)(yoe + era * 400 + (m <= 2));
    } else if (nv >= 2 && len[0] == 4) {
        y = v[0], m = v[1], d = nv >= 3 ? v[2] : 0;
    } else if (nv == 3 && len[2] == 4 && v[0] <= 12 && v[1] <= 31) {
        y = v[2], m = v[0], d = v[1]; /* 3/2/1985: a spreadsheet's US date */
    } else return -1;
    if (d == 0 ? !real_date(y, m, 1) : !real_date(y, m, d)) return -1;
    *ymd = y * 10000 + m * 100 + d;
    return 0;
}

/* ---- phones ---------------------------------------------------------------------- */

int people_norm_phones(const char *in, people_phones *out) {
    memset(out, 0, sizeof *out);
    char buf[256];
    people__nfkc(in ? in : "", buf, sizeof buf);
    char num[32];
    size_t k = 0;
    const char *p = buf;
    for (;;) {
        int cl = 1;
        uint32_t c = *p ? cp_at(p, &cl) : 0;
        int digit = c >= '0' && c <= '9';
        /* a space inside a number (+86 131 0579 2971) joins; one after a
         * whole mobile number separates */
        int joiner = c == '-' || c == '(' || c == ')' || c == '+' ||
                     (c == ' ' && (k == 0 || (k < 11 && p[1] >= '0' && p[1] <= '9')));
        if (digit) {
            if (k + 1 < sizeof num) num[k++] = (char)c;
        } else if (!joiner || !c) {
            num[k] = 0;
            const char *s = num;
            if (!strncmp(s, "0086", 4) && k > 12) s += 4;
            else if (!strncmp(s, "86", 2) && k == 13) s += 2;
            size_t l = strlen(s);
            if (l >= 7 && l <= 12 && out->n < PEOPLE_MAX_PHONES) {
                int dup = 0;
                for (int i = 0; i < out->n; i++) dup |= !strcmp(out->num[i], s);
                if (!dup) snprintf(out->num[out->n++], sizeof out->num[0], "%s", s);
            }
            k = 0;
            if (!c) break;
        }
        p += cl;
    }
    return out->n;
}

/* ---- sex --------------------------------------------------------------------------- */

char people_norm_sex(const char *in) {
    char b[32];
    people__nfkc(in ? in : "", b, sizeof b);
    char t[32];
    size_t k = 0;
    for (const char *p = b; *p && k + 1 < sizeof t; p++)
        if (!isspace((unsigned char)*p)) t[k++] = (char)tolower((unsigned char)*p);
    t[k] = 0;
    if (!strcmp(t, "男") || !strcmp(t, "1") || !strcmp(t, "m") || !strcmp(t, "male") || !strcmp(t, "男性")) return 'M';
    if (!strcmp(t, "女") || !strcmp(t, "2") || !strcmp(t, "f") || !strcmp(t, "female") || !strcmp(t, "女性")) return 'F';
    return 0;
}

/* ---- names ------------------------------------------------------------------------- */

static int is_dot_cp(uint32_t c) {
    return c == 0xB7 || c == 0x2022 || c == 0x2027 || c == 0x30FB || c == 0x2219 || c == 0x22C5 || c == 0xFF0E ||
           c == '.' || c == 0x2E31 || c == 0x00B7 || c == 0x0387;
}

size_t people_norm_name(const char *in, char *out, size_t outsz) {
    char buf[256];
    people__nfkc(in ? in : "", buf, sizeof buf);
    size_t k = 0;
    out[0] = 0;
    int pending_dot = 0;
    for (const char *p = buf; *p;) {
        int cl;
        uint32_t c = cp_at(p, &cl);
        p += cl;
        if (is_space_cp(c) || c < 0x20) continue;
        if (is_dot_cp(c)) { pending_dot = k > 0; continue; }
        if (c < 0x80 && !isalpha((int)c)) continue; /* stray digits and punctuation */
        if (c == 0xFF08 || c == 0xFF09 || c == 0x3001 || c == 0xFF0C) continue;
        const people__hanzi_row *h = hanzi(c);
        if (h) c = h->simp;
        if (c < 0x80) c = (uint32_t)tolower((int)c);
        if (pending_dot && !put_cp(out, &k, outsz, 0xB7)) break;
        pending_dot = 0;
        if (!put_cp(out, &k, outsz, c)) break;
    }
    return k;
}

int people_name_pinyin(const char *name, uint32_t *syl, int max) {
    int n = 0;
    for (const char *p = name; *p && n < max;) {
        int cl;
        uint32_t c = cp_at(p, &cl);
        p += cl;
        if (c == 0xB7) continue;
        const people__hanzi_row *h = hanzi(c);
        uint32_t s = h ? (n == 0 ? h->py_surname : h->py) : 0;
        syl[n++] = s ? s : c + 0x10000;
    }
    return n;
}

const char *people_syllable(uint32_t s) { return s < people__nsyllables ? people__syllables[s] : ""; }

/* ---- addresses --------------------------------------------------------------------- */

/* Finds the UTF-8 text needle in s; the byte offset or -1. */
static long find(const char *s, const char *needle) {
    const char *f = strstr(s, needle);
    return f ? (long)(f - s) : -1;
}

/* Cuts the text before (and including) the marker at s+at (marker bytes
 * mlen) into dst (without the marker); s is shifted past it. */
static void take_part(char *s, long at, size_t mlen, char *dst, size_t dstsz) {
    if (dst) {
        size_t n = (size_t)at < dstsz - 1 ? (size_t)at : dstsz - 1;
        memcpy(dst, s, n);
        dst[n] = 0;
    }
    memmove(s, s + at + (long)mlen, strlen(s + at + mlen) + 1);
}

void people_norm_addr(const char *in, people_addr *out) {
    memset(out, 0, sizeof *out);
    out->room = -1;
    char buf[512], s[512];
    people__nfkc(in ? in : "", buf, sizeof buf);
    /* drop white space and punctuation other than the short form's '-' */
    size_t k = 0;
    for (const char *p = buf; *p;) {
        int cl;
        uint32_t c = cp_at(p, &cl);
        if (!is_space_cp(c) && c != ',' && c != 0xFF0C && c != 0x3001 && c != '(' && c != ')' && c != '#') {
            if (c == 0x2014 || c == 0x2013 || c == 0x2212 || c == '_' || c == '~') c = '-';
            if (!put_cp(s, &k, sizeof s, c)) break;
        }
        p += cl;
    }
    s[k] = 0;
    /* administrative prefixes: 北京市 东城区 XX街道 XX社区(居委会) */
    long at;
    /* province, city, district: two to four characters ending in 省 市 区
     * 县 at the start (北京市东城区; not 灯市口, not 社区) */
    for (int round = 0; round < 3; round++) {
        const char *q = s;
        int chars = 0, cut = -1;
        while (*q && chars < 5 && cut < 0) {
            int cl;
            uint32_t c = cp_at(q, &cl);
            if (c < 0x80) break;
            if (chars >= 2 && (c == 0x7701 || c == 0x5E02 || c == 0x533A || c == 0x53BF) &&
                strncmp(q - 3, "社", 3))
                cut = (int)(q - s);
            q += cl, chars++;
        }
        if (cut < 0) break;
        take_part(s, cut, 3, NULL, 0);
    }
    if ((at = find(s, "街道办事处")) >= 0) take_part(s, at, 15, out->street, sizeof out->street);
    else if ((at = find(s, "街道")) >= 0) take_part(s, at, 6, out->street, sizeof out->street);
    if ((at = find(s, "社区居委会")) >= 0) take_part(s, at, 15, out->community, sizeof out->community);
    else if ((at = find(s, "社区居民委员会")) >= 0) take_part(s, at, 21, out->community, sizeof out->community);
    else if ((at = find(s, "社区")) >= 0) take_part(s, at, 6, out->community, sizeof out->community);
    if ((at = find(s, "居委会")) >= 0 && at == 0) take_part(s, at, 9, NULL, 0);
    /* the road: everything before the first digit */
    const char *p = s;
    while (*p && !(*p >= '0' && *p <= '9')) p++;
    size_t rl = (size_t)(p - s) < sizeof out->road - 1 ? (size_t)(p - s) : sizeof out->road - 1;
    memcpy(out->road, s, rl);
    out->road[rl] = 0;
    /* the numbers, with what follows each */
    int room_marked = 0, dashes = 0;
    while (*p && out->nnums < (int)JC_ARRAY_LEN(out->nums)) {
        if (*p >= '0' && *p <= '9') {
            long x = 0;
            int l = 0;
            while (*p >= '0' && *p <= '9') {
                if (l < 9) x = x * 10 + (*p - '0');
                p++, l++;
            }
            out->nums[out->nnums++] = (int)x;
            if (!strncmp(p, "室", 3)) room_marked = 1;
            if (*p == '-') dashes++;
            continue;
        }
        int cl;
        cp_at(p, &cl);
        p += cl;
    }
    if (!out->road[0]) { /* "6 tullaroop street": the name after the number */
        const char *q = s + strlen(s);
        while (q > s && !(q[-1] >= '0' && q[-1] <= '9')) q--;
        int latin = *q != 0;
        for (const char *c = q; *c; c++) latin &= !((unsigned char)*c & 0x80);
        if (latin) jc_fmt_cut(out->road, sizeof out->road, "%s", q); /* a road name for matching: a cut is harmless */
    }
    if (out->nnums >= 2 && (room_marked || dashes >= 1 || out->nnums >= 3)) out->room = out->nums[out->nnums - 1];
    else if (out->nnums == 1 && room_marked) out->room = out->nums[0];
}

int people_addr_community(const people_addr *a, const people_community *c, int n) {
    if (a->community[0]) {
        for (int i = 0; i < n; i++)
            if (!strcmp(a->community, c[i].stem)) return i;
        return -1;
    }
    int best = -1;
    size_t bl = 0;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(c[i].stem);
        if (l > bl && !strncmp(a->road, c[i].stem, l)) best = i, bl = l;
    }
    return best;
}
