/*
 * people.c -- the people subsystem's decisions: the keys that protect ID
 * numbers and phones at rest, turning a file's rows into records, importing
 * a source's file as a diff against what it sent before (add, update,
 * retire; all or nothing), running the linker over the store (incremental
 * after an import, full on `jiceng people link`), golden records with
 * per-field provenance by documented survivorship rules, withdrawal of a
 * source, masking.  Storage is people_store.h; the CLI is people_cli.c.
 *
 * Keys: a 32-byte master key in a file (default: the database's path +
 * ".people-key", created with mode 0600 on first use; JICENG_PEOPLE_KEY or
 * --key names another).  Two subkeys are derived from it with
 * crypto_kdf (context "jcpeople"): 1 encrypts (XSalsa20-Poly1305 secretbox,
 * a random nonce per value), 2 keys the blind index (BLAKE2b, 16 bytes) that
 * lets equal ID numbers and phones be found without decrypting them.
 */
#include "people.h"
#include "people_int.h"
#include "people_store.h"
#include "auth.h"
#include "reason.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* CPU seconds of this thread (the debug timings: wall time on a shared
 * machine says little). */
static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int64_t people_today_ymd(void) {
    time_t tt = (time_t)(jc_now_ms() / 1000 + 8 * 3600); /* Asia/Shanghai */
    struct tm tm;
    gmtime_r(&tt, &tm);
    return (int64_t)(tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* ---- keys ---------------------------------------------------------------------------- */

struct people_keys {
    unsigned char enc[crypto_secretbox_KEYBYTES];
    unsigned char idx[crypto_generichash_KEYBYTES];
};

jc_err people_keys_open(const char *db_path, const char *key_file, people_keys **out, char *why, size_t whysz) {
    *out = NULL;
    if (sodium_init() < 0) return JC_ERR_INTERNAL;
    char path[1024];
    const char *env = getenv("JICENG_PEOPLE_KEY");
    if (key_file && key_file[0]) snprintf(path, sizeof path, "%s", key_file);
    else if (env && env[0]) snprintf(path, sizeof path, "%s", env);
    else if (db_path) snprintf(path, sizeof path, "%s.people-key", db_path);
    else {
        /* a PostgreSQL database has no file to put the key beside, and every
         * instance must seal and index with the same key */
        snprintf(why, whysz, "no key file: on PostgreSQL name it with --key FILE or $JICENG_PEOPLE_KEY"
                             " (the same file on every instance; created on first use)");
        return JC_ERR_INVALID;
    }
    unsigned char master[crypto_kdf_KEYBYTES];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        crypto_kdf_keygen(master);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, master, sizeof master) != (ssize_t)sizeof master || fsync(fd) != 0) {
            if (fd >= 0) close(fd), unlink(path);
            snprintf(why, whysz, "cannot create the key file %s: %s", path, strerror(errno));
            return JC_ERR_IO;
        }
        close(fd);
        jc_log(JC_LOG_INFO, "people: created the key file %s (back it up apart from the database)", path);
    } else if (fd < 0) {
        snprintf(why, whysz, "cannot read the key file %s: %s", path, strerror(errno));
        return JC_ERR_IO;
    } else {
        ssize_t got = read(fd, master, sizeof master);
        close(fd);
        if (got != (ssize_t)sizeof master) {
            snprintf(why, whysz, "the key file %s is not a %zu-byte key", path, sizeof master);
            return JC_ERR_CORRUPT;
        }
    }
    people_keys *k = sodium_malloc(sizeof *k);
    if (!k) return JC_ERR_NOMEM;
    crypto_kdf_derive_from_key(k->enc, sizeof k->enc, 1, "jcpeople", master);
    crypto_kdf_derive_from_key(k->idx, sizeof k->idx, 2, "jcpeople", master);
    sodium_memzero(master, sizeof master);
    *out = k;
    return JC_OK;
}

void people_keys_free(people_keys *k) {
    if (k) sodium_free(k);
}

/* A nonce: 16 random bytes drawn once per process, then a counter (never
 * repeats within a process; two processes share a prefix with probability
 * 2^-128), instead of a system call for 24 random bytes per value. */
static void next_nonce(unsigned char out[crypto_secretbox_NONCEBYTES]) {
    static unsigned char prefix[16];
    static uint64_t counter;
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&mu);
    if (!counter) randombytes_buf(prefix, sizeof prefix);
    uint64_t c = ++counter;
    pthread_mutex_unlock(&mu);
    memcpy(out, prefix, 16);
    memcpy(out + 16, &c, 8);
}

/* Seals text into out (nonce || box); returns the length (0 for ""). */
static size_t seal(const people_keys *k, const char *text, unsigned char *out, size_t outsz) {
    size_t n = strlen(text);
    if (!n || crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n > outsz) return 0;
    next_nonce(out);
    crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, (const unsigned char *)text, n, out, k->enc);
    return crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
}

/* Opens a sealed value into out (NUL-terminated); JC_ERR_CORRUPT when it
 * does not authenticate (another key). */
static jc_err unseal(const people_keys *k, const unsigned char *in, size_t n, char *out, size_t outsz) {
    out[0] = 0;
    if (!in || !n) return JC_OK;
    if (n < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) return JC_ERR_CORRUPT;
    size_t m = n - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    if (m + 1 > outsz) return JC_ERR_TOOBIG;
    if (crypto_secretbox_open_easy((unsigned char *)out, in + crypto_secretbox_NONCEBYTES,
                                   n - crypto_secretbox_NONCEBYTES, in, k->enc) != 0)
        return JC_ERR_CORRUPT;
    out[m] = 0;
    return JC_OK;
}

void people_blind_index(const people_keys *k, const char *value, unsigned char out[16]) {
    crypto_generichash(out, 16, (const unsigned char *)value, strlen(value), k->idx, sizeof k->idx);
}

jc_err people_unseal(const people_keys *k, const unsigned char *in, size_t n, char *out, size_t outsz) {
    return unseal(k, in, n, out, outsz);
}

/* ---- masking --------------------------------------------------------------------------- */

void people_mask_id(const char *id, char *out, size_t outsz) {
    size_t n = strlen(id);
    if (n >= 10) snprintf(out, outsz, "%.6s********%s", id, id + n - 4);
    else if (n >= 6) snprintf(out, outsz, "%.6s********", id);
    else snprintf(out, outsz, "%s", n ? "****" : "");
}

void people_mask_phone(const char *phone, char *out, size_t outsz) {
    size_t n = strlen(phone);
    if (n >= 7) snprintf(out, outsz, "%.3s****%s", phone, phone + n - 4);
    else snprintf(out, outsz, "%s", n ? "****" : "");
}

void people_mask_name(const char *name, char *out, size_t outsz) {
    /* the surname shown, the rest as * (张** / 欧阳*) */
    size_t k = 0;
    const unsigned char *p = (const unsigned char *)name;
    int cl = !*p ? 0 : *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : 4;
    if (cl && (size_t)cl < outsz) memcpy(out, name, (size_t)cl), k = (size_t)cl;
    for (p += cl; *p; p++)
        if ((*p & 0xC0) != 0x80 && k + 2 < outsz) out[k++] = '*';
    out[k] = 0;
}

/* ---- a row into a record ---------------------------------------------------------------- */

/* Keywords in a column's header or value that mark a record. */
/* Appends sep (when dst is not empty) and v to dst (sz bytes); leaves dst as
 * it was when both do not fit (a field is dropped whole, never cut). */
static void append_sep(char *dst, size_t sz, const char *sep, const char *v) {
    size_t n = strlen(dst), sl = n ? strlen(sep) : 0, vl = strlen(v);
    if (n + sl + vl + 1 > sz) return;
    memcpy(dst + n, sep, sl);
    memcpy(dst + n + sl, v, vl + 1);
}

static int flags_of(const char *header, const char *value) {
    int f = 0;
    if (!value[0] || !strcmp(value, "无") || !strcmp(value, "否") || !strcmp(value, "/")) return 0;
    if (strstr(value, "独居")) f |= PEOPLE_FLAG_ALONE;
    if (strstr(header, "残疾") || strstr(value, "残疾")) f |= PEOPLE_FLAG_DISABLED;
    if (strstr(header, "学校") || strstr(header, "学籍") || strstr(header, "年级") || strstr(header, "班级") ||
        strstr(value, "在校学生") || !strcmp(value, "学生"))
        f |= PEOPLE_FLAG_STUDENT;
    return f;
}

uint64_t people__fnv64(const void *p, size_t n, uint64_t h) {
    for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ULL;
    return h;
}

jc_err people_row_clean(const people_table *t, const people_mapping *m, int r, const people_community *comms,
                        int ncomms, people_clean *o) {
    memset(o, 0, sizeof *o);
    o->age = -1;
    o->row_no = t->row_no[r];
    char rid[PEOPLE_MAX_CELL];
    people__nfkc(people_table_cell(t, r, 0), rid, sizeof rid);
    size_t rl = strlen(rid);
    while (rl && (rid[rl - 1] == ' ' || rid[rl - 1] == '\t')) rid[--rl] = 0;
    const char *rp = rid;
    while (*rp == ' ' || *rp == '\t' || *rp == '\'') rp++;
    snprintf(o->record_id, sizeof o->record_id, "%s", rp);
    uint64_t h = 1469598103934665603ULL;
    json_t *attrs = json_object();
    if (!attrs) return JC_ERR_NOMEM;
    char names[256] = "", numpart[32] = "";
    char phones[256] = "", addr_best[512] = "", bld[256] = "", unit[32] = "", room[32] = "", idtype[64] = "",
         comm[128] = "", street[64] = "";
    int best_nums = -1;
    for (int c = 0; c < t->row_n[r]; c++) {
        const char *v = people_table_cell(t, r, c);
        h = people__fnv64(v, strlen(v) + 1, h);
        if (!v[0]) continue;
        if (c >= m->ncols) {
            o->extra_cells++;
            continue;
        }
        people_field f = (people_field)m->field[c];
        switch (f) {
        case PF_NAME: /* given name and surname in two columns are joined */
            append_sep(names, sizeof names, " ", v);
            break;
        case PF_ID_NUMBER:
            if (o->id.kind == PEOPLE_ID_NONE) people_norm_id(v, &o->id);
            break;
        case PF_ID_TYPE: snprintf(idtype, sizeof idtype, "%s", v); break;
        case PF_SEX:
            if (!o->sex) o->sex = people_norm_sex(v);
            break;
        case PF_BIRTH_DATE:
            if (!o->birth && people_norm_date(v, &o->birth)) o->bad_birth = 1;
            break;
        case PF_AGE: {
            int64_t a;
            char d[16];
            size_t k = 0;
            for (const char *p = v; *p && k + 1 < sizeof d; p++)
                if (*p >= '0' && *p <= '9') d[k++] = *p;
            d[k] = 0;
            if (k && !jc_parse_i64(d, &a) && a >= 0 && a < 130) o->age = (int)a;
            break;
        }
        case PF_PHONE:
            append_sep(phones, sizeof phones, ",", v);
            break;
        case PF_ADDRESS: {
            people_addr a;
            if (strspn(v, "0123456789-/ ") == strlen(v)) { /* a house number column: joins the next */
                snprintf(numpart, sizeof numpart, "%s", v);
                break;
            }
            char joined[PEOPLE_MAX_CELL + 32];
            if (numpart[0]) snprintf(joined, sizeof joined, "%s %s", numpart, v), v = joined, numpart[0] = 0;
            people_norm_addr(v, &a);
            if (a.nnums > best_nums) {
                best_nums = a.nnums;
                jc_fmt_cut(addr_best, sizeof addr_best, "%s", v); /* the address kept: a long one is cut whole-character */
            }
            break;
        }
        case PF_HOUSEHOLD_NO: snprintf(o->household, sizeof o->household, "%s", v); break;
        case PF_RELATION: snprintf(o->relation, sizeof o->relation, "%s", v); break;
        case PF_COMMUNITY: snprintf(comm, sizeof comm, "%s", v); break;
        case PF_STREET: snprintf(street, sizeof street, "%s", v); break;
        case PF_BUILDING: snprintf(bld, sizeof bld, "%s", v); break;
        case PF_UNIT: snprintf(unit, sizeof unit, "%s", v); break;
        case PF_ROOM: snprintf(room, sizeof room, "%s", v); break;
        default:
            o->flags |= flags_of(m->header[c], v);
            if (json_object_set_new(attrs, m->header[c][0] ? m->header[c] : "column", json_string(v))) {
                /* a value that is not UTF-8 (cannot happen after decoding); skip it */
            }
            break;
        }
    }
    o->row_hash = (int64_t)(h & 0x7FFFFFFFFFFFFFFFULL);
    people_norm_name(names, o->name, sizeof o->name);
    /* an ID type that says "not an ID card" */
    if (idtype[0] && !strstr(idtype, "身份证") && !strstr(idtype, "居民") && o->id.kind == PEOPLE_ID_DAMAGED)
        o->id.kind = PEOPLE_ID_OTHER;
    people_norm_phones(phones, &o->phones);
    /* the address: the most specific column, or the building/unit/room parts */
    if (bld[0] || unit[0] || room[0]) {
        /* a place column without numbers (a 小区, a road) comes first: 育才路 + 55号院1号楼 + 4 + 304 */
        const char *place = addr_best[0] && !strpbrk(addr_best, "0123456789") ? addr_best : "";
        char parts[700];
        snprintf(parts, sizeof parts, "%s%s%s%s%s%s", place, bld, unit[0] ? unit : "", unit[0] ? "单元" : "", room,
                 room[0] ? "室" : "");
        people_addr a;
        people_norm_addr(parts, &a);
        if (a.nnums > best_nums) jc_fmt_cut(addr_best, sizeof addr_best, "%s", parts);
    }
    if (comm[0] && addr_best[0] && !strstr(addr_best, "社区")) {
        char full[700];
        snprintf(full, sizeof full, "%s%s%s%s", street, strstr(comm, "社区") ? "" : "", comm, addr_best);
        snprintf(o->address, sizeof o->address, "%s", addr_best);
        people_norm_addr(full, &o->addr);
    } else {
        snprintf(o->address, sizeof o->address, "%s", addr_best);
        people_norm_addr(addr_best, &o->addr);
    }
    if (comm[0] && !o->addr.community[0]) {
        people_addr ca;
        char cc[160];
        snprintf(cc, sizeof cc, "%s%s", comm, strstr(comm, "社区") ? "" : "社区");
        people_norm_addr(cc, &ca);
        snprintf(o->addr.community, sizeof o->addr.community, "%s", ca.community);
    }
    int ci = comms ? people_addr_community(&o->addr, comms, ncomms) : -1;
    if (ci >= 0) snprintf(o->community, sizeof o->community, "%s", comms[ci].code);
    else snprintf(o->community, sizeof o->community, "%s", o->addr.community);
    o->attrs = json_dumps(attrs, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(attrs);
    return o->attrs ? JC_OK : JC_ERR_NOMEM;
}

void people_clean_free(people_clean *o) {
    if (o) free(o->attrs), o->attrs = NULL;
}

/* ---- survivorship: a golden record -------------------------------------------------------- */

/* What the golden record needs of each member record. */
typedef struct {
    int64_t rowid, updated_at;
    const char *source, *record_id, *name, *address, *community, *household;
    char id[40];
    int id_kind, id_self;
    char sex;
    int birth;
    char phones[64];
    int flags;
    int32_t nums[4]; /* the address's last numbers (as the linker has them) */
    uint8_t nnums;
    int id_birth;    /* birth date and sex in a valid ID number */
    char id_sex;
} member;

/* Appends s as a JSON string. */
static void json_str(jc_buf *b, const char *s) {
    char esc[8];
    if (jc_buf_append(b, "\"", 1)) return;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\', esc[1] = (char)*p;
            if (jc_buf_append(b, esc, 2)) return;
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            if (jc_buf_append(b, esc, 6)) return;
        } else if (jc_buf_append(b, p, 1)) return;
    }
    if (jc_buf_append(b, "\"", 1)) return;
}

/* Appends "field":rowid (the record the field came from) to the provenance
 * object being written; the API spells the record out (source, record id,
 * time).  Short, because every golden record carries it. */
static void prov(jc_buf *b, const char *field, const member *m) {
    if (jc_buf_append(b, b->len > 1 ? "," : "", b->len > 1)) return;
    json_str(b, field);
    if (jc_buf_printf(b, ":%lld", (long long)m->rowid)) return;
}

/* Members come sorted newest first.  The rules (docs/people.md):
 *   id_number  the valid number most records agree on (self-consistent ones
 *              count double), ties to the newest; none valid: the newest kept
 *   name       the name most records give, ties to the record of that number,
 *              then the newest
 *   sex, birth from the chosen valid number; else the most common stated
 *   phone      the newest record's first mobile, else its first number
 *   address    the newest record whose address resolved to a community,
 *              else the newest address
 *   household  the newest record with a household number
 *   flags      any record's (living alone, disability, student), each with
 *              the record that said it */
static jc_err golden(const people_keys *k, int64_t id, member *ms, int n, int64_t now, jc_conn *w) {
    jc_buf pb, sb;
    jc_buf_init(&pb, 1 << 20);
    jc_buf_init(&sb, 1 << 20);
    jc_buf *p = &pb;
    if (jc_buf_puts(p, "{") || jc_buf_puts(&sb, "[")) { jc_buf_free(&pb), jc_buf_free(&sb); return JC_ERR_NOMEM; }
    int best = -1, bestc = 0;
    for (int i = 0; i < n; i++) {
        if (ms[i].id_kind != PEOPLE_ID_VALID) continue;
        int c = 0;
        for (int j = 0; j < n; j++)
            if (ms[j].id_kind == PEOPLE_ID_VALID && !strcmp(ms[j].id, ms[i].id)) c += ms[j].id_self ? 2 : 1;
        if (c > bestc) best = i, bestc = c;
    }
    if (best < 0)
        for (int i = 0; i < n && best < 0; i++)
            if (ms[i].id_kind != PEOPLE_ID_NONE && ms[i].id[0]) best = i;
    int nm = -1, nmc = 0;
    for (int i = 0; i < n; i++) {
        if (!ms[i].name[0]) continue;
        int c = 0;
        for (int j = 0; j < n; j++) c += !strcmp(ms[j].name, ms[i].name);
        c = c * 2 + (best >= 0 && i == best);
        if (c > nmc) nm = i, nmc = c;
    }
    pstore_person g;
    memset(&g, 0, sizeof g);
    g.id = id;
    g.records = n;
    g.updated_at = now;
    g.name = nm >= 0 ? ms[nm].name : "";
    if (nm >= 0) prov(p, "name", &ms[nm]);
    unsigned char id_enc[128], bidx[16], ph_enc[160];
    char id_mask[48] = "", ph_mask[32] = "";
    if (best >= 0) {
        g.id_enc_len = seal(k, ms[best].id, id_enc, sizeof id_enc);
        g.id_enc = id_enc;
        people_blind_index(k, ms[best].id, bidx);
        g.id_bidx = bidx;
        people_mask_id(ms[best].id, id_mask, sizeof id_mask);
        g.id_mask = id_mask;
        prov(p, "id_number", &ms[best]);
    }
    if (best >= 0 && ms[best].id_kind == PEOPLE_ID_VALID) {
        g.sex = ms[best].id_sex, g.birth = ms[best].id_birth;
        prov(p, "sex", &ms[best]);
        prov(p, "birth_date", &ms[best]);
    } else {
        int bb = -1, bc = 0, sb = -1, sc = 0;
        for (int i = 0; i < n; i++) {
            int c = 0, s = 0;
            for (int j = 0; j < n; j++) c += ms[i].birth && ms[j].birth == ms[i].birth, s += ms[i].sex && ms[j].sex == ms[i].sex;
            if (c > bc) bb = i, bc = c;
            if (s > sc) sb = i, sc = s;
        }
        if (bb >= 0) g.birth = ms[bb].birth, prov(p, "birth_date", &ms[bb]);
        if (sb >= 0) g.sex = ms[sb].sex, prov(p, "sex", &ms[sb]);
    }
    int ph = -1;
    for (int i = 0; i < n && ph < 0; i++)
        if (ms[i].phones[0] == '1' && strcspn(ms[i].phones, ",") == 11) ph = i;
    for (int i = 0; i < n && ph < 0; i++)
        if (ms[i].phones[0]) ph = i;
    if (ph >= 0) {
        char first[24];
        snprintf(first, sizeof first, "%.*s", (int)strcspn(ms[ph].phones, ","), ms[ph].phones);
        g.phone_enc_len = seal(k, first, ph_enc, sizeof ph_enc);
        g.phone_enc = ph_enc;
        people_mask_phone(first, ph_mask, sizeof ph_mask);
        g.phone_mask = ph_mask;
        prov(p, "phone", &ms[ph]);
    }
    int ad = -1;
    for (int i = 0; i < n && ad < 0; i++)
        if (ms[i].community[0] && ms[i].community[0] >= '0' && ms[i].community[0] <= '9') ad = i;
    for (int i = 0; i < n && ad < 0; i++)
        if (ms[i].address[0]) ad = i;
    char house[96] = "";
    if (ad >= 0) {
        g.address = ms[ad].address[0] ? ms[ad].address : NULL;
        g.community = ms[ad].community;
        prov(p, "address", &ms[ad]);
        if (ms[ad].nnums >= 2) { /* a flat: the community and its numbers */
            size_t k = (size_t)snprintf(house, sizeof house, "%s/", ms[ad].community);
            for (int i = 0; i < ms[ad].nnums && k < sizeof house - 12; i++)
                k += (size_t)snprintf(house + k, sizeof house - k, "%s%d", i ? "-" : "", ms[ad].nums[i]);
            g.house = house;
        }
    }
    for (int i = 0; i < n; i++)
        if (ms[i].household[0]) {
            g.household = ms[i].household;
            prov(p, "household_no", &ms[i]);
            break;
        }
    static const char *const fl[] = {"living_alone", "disability", "student"};
    for (int b = 0; b < 3; b++)
        for (int i = 0; i < n; i++)
            if (ms[i].flags & (1 << b)) {
                g.flags |= 1 << b;
                prov(p, fl[b], &ms[i]);
                break;
            }
    for (int i = 0; i < n; i++) {
        int dup = 0;
        for (int j = 0; j < i; j++) dup |= !strcmp(ms[j].source, ms[i].source);
        if (dup) continue;
        if (sb.len > 1 && jc_buf_append(&sb, ",", 1)) break;
        json_str(&sb, ms[i].source);
    }
    jc_err e = jc_buf_append(p, "}", 1) || jc_buf_append(&sb, "]", 1) ? JC_ERR_NOMEM : JC_OK;
    g.provenance = pb.data, g.sources = sb.data;
    if (!e) e = pstore_person_put(w, &g);
    jc_buf_free(&pb), jc_buf_free(&sb);
    return e;
}

/* ---- linking over the store ----------------------------------------------------------------- */

typedef struct {
    const people_keys *keys;
    people_lrec *r;
    member *m;
    size_t n, cap;
    jc_buf arena; /* strings of the members */
    char **srcnames;
    size_t nsrc;
    int64_t *prev_person;
    int *row_fresh;
    jc_err err;
} loader;

static const char *keep_str(loader *L, const char *s, size_t *off) {
    *off = L->arena.len;
    if (jc_buf_append(&L->arena, s, strlen(s) + 1)) L->err = JC_ERR_NOMEM;
    return NULL;
}

static int load_row(const pstore_record *r, void *arg) {
    loader *L = arg;
    if (L->n == L->cap) {
        size_t cap = L->cap ? L->cap * 2 : 4096;
        people_lrec *nr = realloc(L->r, cap * sizeof *nr);
        if (nr) L->r = nr;
        member *nm = realloc(L->m, cap * sizeof *nm);
        if (nm) L->m = nm;
        if (!nr || !nm) { L->err = JC_ERR_NOMEM; return 1; }
        L->cap = cap;
    }
    people_lrec *l = &L->r[L->n];
    member *m = &L->m[L->n];
    memset(l, 0, sizeof *l);
    memset(m, 0, sizeof *m);
    char idtext[64] = "", phones[128] = "";
    if (unseal(L->keys, r->id_enc, r->id_enc_len, idtext, sizeof idtext) ||
        unseal(L->keys, r->phone_enc, r->phone_enc_len, phones, sizeof phones)) {
        L->err = JC_ERR_CORRUPT;
        return 1;
    }
    people_id id;
    memset(&id, 0, sizeof id);
    id.kind = (people_id_kind)r->id_kind;
    if (id.kind == PEOPLE_ID_VALID || id.kind == PEOPLE_ID_DAMAGED || id.kind == PEOPLE_ID_PARTIAL) {
        people_id parsed;
        people_norm_id(idtext, &parsed);
        id = parsed;
        if (r->id_kind == PEOPLE_ID_PARTIAL) { /* stored as its known digits */
            id.kind = PEOPLE_ID_PARTIAL;
            snprintf(id.id, sizeof id.id, "%.18s", idtext);
            id.known = r->id_known;
            if (id.known >= 14) {
                int y = 0, mo = 0, d = 0;
                sscanf(idtext + 6, "%4d%2d%2d", &y, &mo, &d);
                id.birth = y * 10000 + mo * 100 + d;
            }
        }
    } else if (id.kind == PEOPLE_ID_OTHER) /* another kind of number: compared as it is */
        snprintf(id.id, sizeof id.id, "%.18s", idtext);
    people_phones ph;
    people_norm_phones(phones, &ph);
    people_addr a;
    people_norm_addr(r->address, &a);
    people__lrec_fill(l, r->name, r->sex, r->birth, &id, &ph, &a, r->community, r->household);
    l->rowid = r->rowid;
    l->person = r->person_id;
    l->fresh = (uint8_t)r->fresh;
    /* the source's number */
    size_t si = 0;
    while (si < L->nsrc && strcmp(L->srcnames[si], r->source)) si++;
    if (si == L->nsrc) {
        char **ns = realloc(L->srcnames, (L->nsrc + 1) * sizeof *ns);
        if (!ns) { L->err = JC_ERR_NOMEM; return 1; }
        L->srcnames = ns;
        L->srcnames[L->nsrc++] = jc_strdup(r->source);
    }
    l->src = (uint32_t)si;
    m->rowid = r->rowid;
    m->updated_at = r->updated_at;
    snprintf(m->id, sizeof m->id, "%s", idtext);
    m->id_kind = id.kind;
    m->id_self = l->id_self;
    m->sex = r->sex ? r->sex : (id.kind == PEOPLE_ID_VALID ? id.sex : 0);
    m->birth = r->birth ? r->birth : (id.kind == PEOPLE_ID_VALID ? id.birth : 0);
    snprintf(m->phones, sizeof m->phones, "%s", phones);
    m->flags = r->flags;
    memcpy(m->nums, l->nums, sizeof m->nums);
    m->nnums = l->nnums;
    m->id_birth = id.birth;
    m->id_sex = id.sex;
    /* strings: offsets now, pointers after loading (the arena moves) */
    size_t o[5];
    keep_str(L, r->record_id, &o[0]);
    keep_str(L, r->name, &o[1]);
    keep_str(L, r->address, &o[2]);
    keep_str(L, r->community, &o[3]);
    keep_str(L, r->household, &o[4]);
    m->source = (const char *)(uintptr_t)si;
    m->record_id = (const char *)(uintptr_t)o[0];
    m->name = (const char *)(uintptr_t)o[1];
    m->address = (const char *)(uintptr_t)o[2];
    m->community = (const char *)(uintptr_t)o[3];
    m->household = (const char *)(uintptr_t)o[4];
    L->n++;
    return L->err != JC_OK;
}

static void loader_free(loader *L) {
    free(L->r);
    free(L->m);
    jc_buf_free(&L->arena);
    for (size_t i = 0; i < L->nsrc; i++) free(L->srcnames[i]);
    free(L->srcnames);
}

static int rowid_index(const loader *L, int64_t rowid) {
    size_t lo = 0, hi = L->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (L->r[mid].rowid < rowid) lo = mid + 1;
        else hi = mid;
    }
    return lo < L->n && L->r[lo].rowid == rowid ? (int)lo : -1;
}

typedef struct {
    loader *L;
    people_pair *p;
    size_t n, cap;
    people_decision *d;
    size_t nd, dcap;
} kept_st;

static int kept_row(int64_t a, int64_t b, double weight, double prob, const char *levels, void *arg) {
    kept_st *k = arg;
    int ia = rowid_index(k->L, a), ib = rowid_index(k->L, b);
    if (ia < 0 || ib < 0 || k->L->r[ia].fresh || k->L->r[ib].fresh) return 0; /* gone, or compared again */
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 4096;
        people_pair *np = realloc(k->p, cap * sizeof *np);
        if (!np) return 1;
        k->p = np, k->cap = cap;
    }
    people_pair *p = &k->p[k->n++];
    memset(p, 0, sizeof *p);
    p->a = (uint32_t)(ia < ib ? ia : ib), p->b = (uint32_t)(ia < ib ? ib : ia);
    p->weight = (float)weight, p->prob = (float)prob;
    for (int f = 0; f < LF_COUNT && levels[f]; f++) p->lv[f] = (uint8_t)(levels[f] - '0');
    return 0;
}

static int decided_row(const pstore_review *r, void *arg) {
    kept_st *k = arg;
    if (!r->a_rowid || !r->b_rowid) return 0;
    int ia = rowid_index(k->L, r->a_rowid), ib = rowid_index(k->L, r->b_rowid);
    if (ia < 0 || ib < 0) return 0;
    if (k->nd == k->dcap) {
        size_t cap = k->dcap ? k->dcap * 2 : 64;
        people_decision *nd = realloc(k->d, cap * sizeof *nd);
        if (!nd) return 1;
        k->d = nd, k->dcap = cap;
    }
    k->d[k->nd++] = (people_decision){(uint32_t)ia, (uint32_t)ib, !strcmp(r->status, "same")};
    return 0;
}

static void model_json(const people_model *m, char **out) {
    json_t *o = json_object(), *mm = json_array(), *uu = json_array();
    for (int f = 0; f < LF_COUNT; f++) {
        json_t *a = json_array(), *b = json_array();
        for (int l = 0; l < PEOPLE_LEVELS; l++)
            json_array_append_new(a, json_real(m->m[f][l])), json_array_append_new(b, json_real(m->u[f][l]));
        json_array_append_new(mm, a), json_array_append_new(uu, b);
    }
    json_object_set_new(o, "m", mm);
    json_object_set_new(o, "u", uu);
    json_object_set_new(o, "p", json_real(m->p));
    json_object_set_new(o, "em_iterations", json_integer(m->em_iterations));
    json_object_set_new(o, "pairs", json_integer(m->pairs));
    *out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
}

static int model_parse(const char *s, people_model *m) {
    json_t *o = s ? json_loads(s, 0, NULL) : NULL;
    if (!o) return -1;
    people__model_prior(m);
    json_t *mm = json_object_get(o, "m"), *uu = json_object_get(o, "u");
    for (int f = 0; f < LF_COUNT; f++)
        for (int l = 0; l < PEOPLE_LEVELS; l++) {
            json_t *a = json_array_get(json_array_get(mm, (size_t)f), (size_t)l);
            json_t *b = json_array_get(json_array_get(uu, (size_t)f), (size_t)l);
            if (a) m->m[f][l] = json_number_value(a);
            if (b) m->u[f][l] = json_number_value(b);
        }
    m->p = json_number_value(json_object_get(o, "p"));
    m->em_iterations = (int)json_integer_value(json_object_get(o, "em_iterations"));
    m->pairs = json_integer_value(json_object_get(o, "pairs"));
    json_decref(o);
    return m->p > 0 && m->p < 1 ? 0 : -1;
}

static int is_code(const char *comm) { return comm && comm[0] >= '0' && comm[0] <= '9'; }

/* A house: the road and every number after it (at least two: a flat, not a road). */
static uint64_t house_key(const people_lrec *l) {
    if (!l->road || l->nnums < 2) return 0;
    uint64_t h = (uint64_t)l->road * 0x9E3779B97F4A7C15ULL ^ l->nnums;
    for (int i = 0; i < l->nnums; i++) h = (h ^ (uint32_t)l->nums[i]) * 0x100000001B3ULL;
    return h ? h : 1;
}
static int same_house(const people_lrec *a, const people_lrec *b) {
    if (a->road != b->road || a->nnums != b->nnums) return 0;
    for (int i = 0; i < a->nnums; i++)
        if (a->nums[i] != b->nums[i]) return 0;
    return 1;
}

/* A record whose address names no community of the area tree (a housing
 * register's 小区 and 楼栋 columns, a short form like 兴华里44-8-2-1301)
 * takes the community of the records at the same house (the same road and
 * numbers) whose addresses did resolve, when they all agree.  The community
 * is stored with the record, so each record is inferred once; touched[i] is
 * set for the records changed (their persons get new golden records). */
static jc_err infer_communities(jc_conn *w, loader *L, uint8_t *touched, int64_t *inferred) {
    size_t cap = 16;
    while (cap < L->n * 2 + 2) cap <<= 1;
    uint32_t *slot = calloc(cap, sizeof *slot); /* index + 1 of the first resolved record of a house */
    uint8_t *split = calloc(cap, 1);            /* the house's resolved records disagree */
    if (!slot || !split) { free(slot), free(split); return JC_ERR_NOMEM; }
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < L->n; i++) {
            int resolved = is_code(L->m[i].community);
            uint64_t k = resolved == !pass ? house_key(&L->r[i]) : 0;
            if (!k) continue;
            size_t h = (size_t)k & (cap - 1);
            while (slot[h] && !same_house(&L->r[slot[h] - 1], &L->r[i])) h = (h + 1) & (cap - 1);
            if (!pass) { /* the houses the area tree resolved */
                if (!slot[h]) slot[h] = (uint32_t)i + 1;
                else if (strcmp(L->m[slot[h] - 1].community, L->m[i].community)) split[h] = 1;
                continue;
            }
            if (!slot[h] || split[h]) continue;
            L->m[i].community = L->m[slot[h] - 1].community;
            jc_err e = pstore_record_set_community(w, L->m[i].rowid, L->m[i].community);
            if (e) { free(slot), free(split); return e; }
            touched[i] = 1;
            (*inferred)++;
        }
    free(slot), free(split);
    return JC_OK;
}

static int by_member_recency(const void *x, const void *y) {
    const member *a = x, *b = y;
    if (a->updated_at != b->updated_at) return a->updated_at > b->updated_at ? -1 : 1;
    return a->rowid > b->rowid ? -1 : a->rowid < b->rowid;
}

typedef struct {
    uint32_t cluster, idx;
} cl_item;
static int by_cluster(const void *x, const void *y) {
    const cl_item *a = x, *b = y;
    if (a->cluster != b->cluster) return a->cluster < b->cluster ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

jc_err people_link_store(jc_conn *w, const people_keys *keys, int full, people_link_stats *st) {
    memset(st, 0, sizeof *st);
    int64_t now = jc_now_ms();
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    loader L = {.keys = keys};
    jc_buf_init(&L.arena, (size_t)1 << 31);
    double tl0 = mono_s();
    jc_err e = pstore_record_each(w, 0, load_row, &L);
    if (!e) e = L.err;
    jc_log(JC_LOG_DEBUG, "people: link: loaded %zu records in %.3f s", L.n, mono_s() - tl0);
    /* fix up the members' strings */
    for (size_t i = 0; !e && i < L.n; i++) {
        member *m = &L.m[i];
        m->source = L.srcnames[(uintptr_t)m->source];
        m->record_id = L.arena.data + (uintptr_t)m->record_id;
        m->name = L.arena.data + (uintptr_t)m->name;
        m->address = L.arena.data + (uintptr_t)m->address;
        m->community = L.arena.data + (uintptr_t)m->community;
        m->household = L.arena.data + (uintptr_t)m->household;
    }
    int any_fresh = 0;
    for (size_t i = 0; i < L.n; i++) any_fresh |= L.r[i].fresh;
    uint8_t *touched = calloc(L.n ? L.n : 1, 1);
    int64_t inferred = 0;
    if (!e && !touched) e = JC_ERR_NOMEM;
    if (!e) e = infer_communities(w, &L, touched, &inferred);
    if (inferred) jc_log(JC_LOG_DEBUG, "people: link: %lld communities inferred from the house", (long long)inferred);
    kept_st K = {.L = &L};
    people_link_run run;
    memset(&run, 0, sizeof run);
    people_model stored;
    char *ms = NULL;
    int have_model = 0;
    if (!e) e = pstore_meta_get(w, "model", &ms);
    if (!e && ms && !model_parse(ms, &stored)) have_model = 1;
    free(ms);
    if (!e && !full) e = pstore_link_each_kept(w, kept_row, &K);
    if (!e) e = pstore_review_decided(w, decided_row, &K);
    if (e) goto out;
    run.r = L.r;
    run.n = L.n;
    run.incremental = !full;
    run.kept = K.p;
    run.nkept = K.n;
    run.dec = K.d;
    run.ndec = K.nd;
    run.stored = have_model ? &stored : NULL;
    double tk0 = mono_s();
    if ((e = people__link(&run))) goto out;
    jc_log(JC_LOG_DEBUG, "people: link: %lld pairs in %.3f s (block %.3f, compare %.3f, em %.3f, cluster %.3f)",
           (long long)run.compared, mono_s() - tk0, run.seconds_block, run.seconds_compare, run.seconds_em,
           run.seconds_cluster);
    double tg0 = mono_s();
    st->records = (int64_t)L.n;
    st->compared = run.compared;
    st->em_iterations = run.model.em_iterations;
    st->seconds_block = run.seconds_block;
    st->seconds_compare = run.seconds_compare;
    st->seconds_em = run.seconds_em;
    st->seconds_cluster = run.seconds_cluster;
    /* person numbers: each cluster keeps the number most of its records had */
    {
        cl_item *items = malloc((L.n ? L.n : 1) * sizeof *items);
        int64_t *pid = calloc(run.nclusters ? run.nclusters : 1, sizeof *pid);
        int64_t next;
        if (!items || !pid) e = JC_ERR_NOMEM;
        if (!e) e = pstore_person_max_id(w, &next);
        for (size_t i = 0; !e && i < L.n; i++) items[i] = (cl_item){run.cluster[i], (uint32_t)i};
        if (!e) qsort(items, L.n, sizeof *items, by_cluster);
        /* numbers already claimed: a small open-addressing set */
        size_t scap = 1;
        while (scap < L.n * 2 + 2) scap <<= 1;
        int64_t *claimed = e ? NULL : calloc(scap, sizeof *claimed);
        if (!e && !claimed) e = JC_ERR_NOMEM;
        member *buf = e ? NULL : malloc((L.n ? L.n : 1) * sizeof *buf);
        if (!e && !buf) e = JC_ERR_NOMEM;
        for (size_t i = 0; !e && i < L.n;) {
            size_t j = i;
            while (j < L.n && items[j].cluster == items[i].cluster) j++;
            /* the most frequent previous number not yet claimed */
            int64_t best = 0;
            int bestc = 0, changed = 0, fresh = 0;
            for (size_t x = i; x < j; x++) {
                int64_t pp = L.r[items[x].idx].person;
                fresh |= L.r[items[x].idx].fresh | touched[items[x].idx];
                if (!pp) continue;
                int c = 0;
                for (size_t y = i; y < j; y++) c += L.r[items[y].idx].person == pp;
                size_t hsl = (size_t)(pp * 0x9E3779B97F4A7C15ULL) & (scap - 1);
                int taken = 0;
                while (claimed[hsl]) {
                    if (claimed[hsl] == pp) { taken = 1; break; }
                    hsl = (hsl + 1) & (scap - 1);
                }
                if (!taken && (c > bestc || (c == bestc && pp < best))) best = pp, bestc = c;
            }
            if (!best) best = ++next;
            size_t hsl = (size_t)(best * 0x9E3779B97F4A7C15ULL) & (scap - 1);
            while (claimed[hsl]) hsl = (hsl + 1) & (scap - 1);
            claimed[hsl] = best;
            pid[items[i].cluster] = best;
            for (size_t x = i; x < j; x++)
                if (L.r[items[x].idx].person != best) changed = 1;
            /* members of a cluster that changed get their person number and a new golden record */
            if (changed || fresh || full) {
                int nm = 0;
                for (size_t x = i; !e && x < j; x++) {
                    uint32_t ix = items[x].idx;
                    if (L.r[ix].person != best) {
                        e = pstore_record_set_person(w, L.r[ix].rowid, best);
                        st->moved++;
                    }
                    buf[nm++] = L.m[ix];
                }
                if (!e) {
                    qsort(buf, (size_t)nm, sizeof *buf, by_member_recency);
                    e = golden(keys, best, buf, nm, now, w);
                    st->golden++;
                }
            }
            i = j;
        }
        free(items), free(pid), free(claimed), free(buf);
        if (e) goto out;
    }
    st->persons = (int64_t)run.nclusters;
    jc_log(JC_LOG_DEBUG, "people: link: %lld golden records in %.3f s", (long long)st->golden, mono_s() - tg0);
    double tw0 = mono_s();
    /* links and the review queue */
    if ((e = pstore_links_clear(w, full))) goto out;
    if ((e = pstore_review_clear_pending(w, full))) goto out;
    for (size_t i = 0; i < run.npairs && !e; i++) {
        people_pair *p = &run.pairs[i];
        int kept = i >= run.npairs - run.nkept;
        char lv[LF_COUNT + 1];
        for (int f = 0; f < LF_COUNT; f++) lv[f] = (char)('0' + p->lv[f]);
        lv[LF_COUNT] = 0;
        if (!kept) e = pstore_link_put(w, L.r[p->a].rowid, L.r[p->b].rowid, p->weight, p->prob, lv, run.linked[i]);
        st->links += run.linked[i];
        if (!e && p->prob < PEOPLE_SURE_P && (!kept || full)) {
            const member *a = &L.m[p->a], *b = &L.m[p->b];
            int swap = strcmp(a->source, b->source) > 0 ||
                       (!strcmp(a->source, b->source) && strcmp(a->record_id, b->record_id) > 0);
            if (swap) { const member *t = a; a = b; b = t; }
            pstore_review rv = {a->source, a->record_id, b->source, b->record_id, p->prob, p->weight, lv,
                                "pending", NULL, 0, now, 0, 0};
            e = pstore_review_add(w, &rv);
            st->review++;
        }
    }
    if (e) goto out;
    int64_t pruned = 0;
    if ((e = pstore_persons_prune(w, &pruned))) goto out;
    if ((e = pstore_records_settled(w))) goto out;
    if ((e = pstore_counts_to_base(w, now, people_today_ymd()))) goto out;
    jc_log(JC_LOG_DEBUG, "people: link: links, review, settle in %.3f s", mono_s() - tw0);
    if (run.model.em_iterations) {
        char *mj = NULL;
        model_json(&run.model, &mj);
        if (mj) e = pstore_meta_put(w, "model", mj);
        free(mj);
    }
    (void)any_fresh;
out:;
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    st->seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    people__link_free(&run);
    free(K.p), free(K.d), free(touched);
    loader_free(&L);
    return e;
}

/* ---- importing a file -------------------------------------------------------------------------- */

typedef struct {
    char *key;
    int64_t rowid, hash;
    int active, seen;
} known;

typedef struct {
    known *k;
    size_t n, cap;
} known_set;

static int known_row(const char *record_id, int64_t rowid, int64_t hash, int active, void *arg) {
    known_set *s = arg;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        known *nk = realloc(s->k, cap * sizeof *nk);
        if (!nk) return 1;
        s->k = nk, s->cap = cap;
    }
    s->k[s->n++] = (known){jc_strdup(record_id), rowid, hash, active, 0};
    return 0;
}

static int known_cmp(const void *x, const void *y) { return strcmp(((const known *)x)->key, ((const known *)y)->key); }

static known *known_find(known_set *s, const char *key) {
    known probe = {(char *)key, 0, 0, 0, 0};
    return bsearch(&probe, s->k, s->n, sizeof *s->k, known_cmp);
}

static int comm_row(const char *code, const char *name, void *arg) {
    struct { people_community *c; int n, cap; } *cs = arg;
    if (cs->n == cs->cap) {
        int cap = cs->cap ? cs->cap * 2 : 64;
        people_community *nc = realloc(cs->c, (size_t)cap * sizeof *nc);
        if (!nc) return 1;
        cs->c = nc, cs->cap = cap;
    }
    people_community *c = &cs->c[cs->n++];
    snprintf(c->code, sizeof c->code, "%s", code);
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->stem, sizeof c->stem, "%s", name);
    char *suf = strstr(c->stem, "社区");
    if (suf) *suf = 0;
    suf = strstr(c->stem, "居委会");
    if (suf) *suf = 0;
    return 0;
}

/* A dry run's or a failed import's words about one row. */
static void report_row(people_import_req *q, int row, const char *record_id, const char *action, const char *note) {
    if (q->on_row) q->on_row(q->arg, row, record_id, action, note);
}

static void progress(people_import_req *q, const char *phase, int64_t done, int64_t total) {
    if (q->on_progress) q->on_progress(q->arg, phase, done, total);
}

jc_err people_import(jc_conn *w, people_import_req *q, people_import_result *res) {
    memset(res, 0, sizeof *res);
    int64_t now = jc_now_ms();
    people_table t;
    char why[512] = "";
    jc_err e;
    progress(q, "read", 0, (int64_t)q->len);
    double t0 = mono_s();
    if ((e = people_table_read(q->data, q->len, &t, why, sizeof why))) {
        snprintf(res->why, sizeof res->why, "%s", why);
        people_table_free(&t);
        return e;
    }
    snprintf(res->im.format, sizeof res->im.format, "%s", t.format);
    snprintf(res->im.encoding, sizeof res->im.encoding, "%s", t.encoding);
    pstore_source src;
    memset(&src, 0, sizeof src);
    e = pstore_source_get(w, q->source, &src);
    if (e == JC_ERR_NOTFOUND) e = JC_OK;
    if (e) { people_table_free(&t); return e; }
    e = people_mapping_propose(&t, src.mapping, q->map, &res->mapping, why, sizeof why);
    free(src.mapping);
    if (e) {
        snprintf(res->why, sizeof res->why, "%s", why);
        people_table_free(&t);
        return e;
    }
    people_mapping *m = &res->mapping;
    int has_id = 0, has_name = 0;
    for (int c = 0; c < m->ncols; c++) has_id |= m->field[c] == PF_ID_NUMBER, has_name |= m->field[c] == PF_NAME;
    if (!has_id || !has_name) {
        res->missing = !has_id ? "id_number" : "name";
        snprintf(res->why, sizeof res->why,
                 "no %s column found in the header (row %d); name it with --map 'HEADER=%s' / 表头（第 %d 行）中没有找到"
                 "%s列，请用 --map 指定",
                 !has_id ? "ID number" : "name", t.row_no[m->header_row], !has_id ? "id_number" : "name",
                 t.row_no[m->header_row], !has_id ? "身份证号" : "姓名");
        people_table_free(&t);
        return JC_ERR_INVALID;
    }
    /* the area tree's communities */
    struct { people_community *c; int n, cap; } cs = {0};
    if ((e = pstore_communities(w, comm_row, &cs))) { people_table_free(&t); free(cs.c); return e; }
    /* what the source sent before */
    known_set ks = {0};
    if ((e = pstore_record_keys(w, q->source, known_row, &ks))) goto done;
    qsort(ks.k, ks.n, sizeof *ks.k, known_cmp);
    /* rows: check them all before writing anything */
    int first = m->header_row + 1, nrows = t.nrows - first;
    people_clean *rows = calloc(nrows > 0 ? (size_t)nrows : 1, sizeof *rows);
    if (!rows) { e = JC_ERR_NOMEM; goto done; }
    char **ids = malloc((nrows > 0 ? (size_t)nrows : 1) * sizeof *ids);
    int nids = 0;
    if (!ids) { free(rows); e = JC_ERR_NOMEM; goto done; }
    for (int r = first; r < t.nrows && !e; r++) {
        people_clean *o = &rows[r - first];
        if ((e = people_row_clean(&t, m, r, cs.c, cs.n, o))) break;
        res->im.rows++;
        if (o->extra_cells) {
            snprintf(res->why, sizeof res->why,
                     "row %d: %d cells beyond the header's %d columns (a broken row: a separator inside a cell?) / "
                     "第 %d 行比表头多出 %d 个单元格（行已损坏：单元格内含分隔符？）",
                     o->row_no, o->extra_cells, m->ncols, o->row_no, o->extra_cells);
            e = JC_ERR_INVALID;
            break;
        }
        if (!o->record_id[0]) {
            snprintf(res->why, sizeof res->why,
                     "row %d: no record id in the first column (%s) / 第 %d 行第一列（%s）没有记录编号", o->row_no,
                     m->header[0], o->row_no, m->header[0]);
            e = JC_ERR_INVALID;
            break;
        }
        if (!o->name[0] && o->id.kind == PEOPLE_ID_NONE && !o->phones.n) {
            o->skip = 1;
            res->im.skipped++;
            report_row(q, o->row_no, o->record_id, "skip", "no name, ID number or phone");
            continue;
        }
        ids[nids++] = o->record_id;
        if (r % 5000 == 0) progress(q, "check", r - first, nrows);
    }
    /* a record id twice in one file */
    if (!e) {
        char **sorted = malloc((nids ? (size_t)nids : 1) * sizeof *sorted);
        if (!sorted) e = JC_ERR_NOMEM;
        else {
            memcpy(sorted, ids, (size_t)nids * sizeof *sorted);
            qsort(sorted, (size_t)nids, sizeof *sorted, people__strcmp_ptr);
            for (int i = 1; i < nids && !e; i++)
                if (!strcmp(sorted[i], sorted[i - 1])) {
                    int r1 = 0, r2 = 0;
                    for (int r = 0; r < nrows && !r2; r++)
                        if (!rows[r].skip && !strcmp(rows[r].record_id, sorted[i])) {
                            if (!r1) r1 = rows[r].row_no;
                            else r2 = rows[r].row_no;
                        }
                    snprintf(res->why, sizeof res->why,
                             "row %d: record id '%s' already on row %d (the first column must be unique) / 第 %d 行："
                             "记录编号“%s”与第 %d 行重复（第一列须唯一）",
                             r2, sorted[i], r1, r2, sorted[i], r1);
                    e = JC_ERR_INVALID;
                }
            free(sorted);
        }
    }
    free(ids);
    if (e) goto rows_done;
    jc_log(JC_LOG_DEBUG, "people: import: read and cleaned %d rows in %.3f s", nrows, mono_s() - t0);
    double tw = mono_s();
    /* the import itself */
    snprintf(res->im.source, sizeof res->im.source, "%s", q->source);
    snprintf(res->im.file_name, sizeof res->im.file_name, "%s", q->file_name ? q->file_name : "");
    snprintf(res->im.actor, sizeof res->im.actor, "%s", q->actor ? q->actor->name : "cli");
    res->im.at = now;
    res->im.dry_run = q->dry_run;
    if (!q->dry_run) {
        json_t *mj = json_object();
        for (int c = 0; c < m->ncols; c++)
            if (m->field[c] != PF_ATTR || m->how[c] >= 3) /* a column set to attr by hand stays attr */
                json_object_set_new(mj, people_table_cell(&t, m->header_row, c),
                                    json_string(people_field_name((people_field)m->field[c])));
        char *ms = json_dumps(mj, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(mj);
        /* a source without a name (the CLI without --name) is named by its file: the title line
         * above the header (房屋及住户登记台账), else the file's name (as the department sent it) */
        char dflt[128] = "";
        const char *name = q->source_name ? q->source_name : "";
        if (!name[0] && !src.name[0]) {
            for (int r = 0; r < m->header_row && !dflt[0]; r++)
                for (int c = 0; c < t.row_n[r] && !dflt[0]; c++)
                    jc_fmt_cut(dflt, 61, "%s", people_table_cell(&t, r, c));
            if (!dflt[0] && q->file_name) {
                const char *base = strrchr(q->file_name, '/');
                jc_fmt_cut(dflt, 61, "%s", base ? base + 1 : q->file_name);
            }
            name = dflt;
        }
        e = ms ? pstore_source_put(w, q->source, name, ms, now) : JC_ERR_NOMEM;
        if (name[0]) snprintf(src.name, sizeof src.name, "%s", name); /* for the audit entry */
        free(ms);
        if (!e) e = pstore_import_insert(w, &res->im);
    }
    for (int i = 0; i < nrows && !e; i++) {
        people_clean *o = &rows[i];
        if (o->skip) continue;
        known *k = known_find(&ks, o->record_id);
        const char *action = !k ? "add" : (k->hash == o->row_hash && k->active) ? "unchanged" : "update";
        if (k) k->seen = 1;
        if (!k) res->im.added++;
        else if (!strcmp(action, "unchanged")) res->im.unchanged++;
        else res->im.updated++;
        if (q->on_row) {
            char note[160];
            static const char *const kinds[] = {"none", "valid", "damaged", "partial", "other"};
            snprintf(note, sizeof note, "id:%s%s name:%s birth:%d phones:%d community:%s", kinds[o->id.kind],
                     o->id.from15 ? "(15)" : "", o->name[0] ? "yes" : "no", o->birth, o->phones.n,
                     o->community[0] ? o->community : "-");
            report_row(q, o->row_no, o->record_id, action, note);
        }
        if (q->dry_run || !strcmp(action, "unchanged")) continue;
        /* seal what must not be readable at rest */
        unsigned char id_enc[128], bidx[16], ph_enc[256], phb[16];
        char idtext[40] = "", id_mask[48] = "", phones[128] = "", ph_mask[32] = "";
        if (o->id.kind != PEOPLE_ID_NONE) snprintf(idtext, sizeof idtext, "%s", o->id.id);
        for (int p = 0; p < o->phones.n; p++) append_sep(phones, sizeof phones, ",", o->phones.num[p]); /* 3 x 15 + 2 < 128 */
        size_t alen = strlen(o->attrs);
        unsigned char *aenc = malloc(alen + 64);
        if (!aenc) { e = JC_ERR_NOMEM; break; }
        pstore_record rec;
        memset(&rec, 0, sizeof rec);
        snprintf(rec.source, sizeof rec.source, "%s", q->source);
        rec.record_id = o->record_id;
        rec.row_no = o->row_no;
        rec.row_hash = o->row_hash;
        rec.name = o->name;
        rec.sex = o->sex;
        rec.birth = o->birth;
        rec.age = o->age;
        rec.id_kind = o->id.kind;
        rec.id_known = o->id.known;
        if (idtext[0]) {
            rec.id_enc_len = seal(q->keys, idtext, id_enc, sizeof id_enc);
            rec.id_enc = id_enc;
            if (o->id.known >= 15) {
                people_blind_index(q->keys, idtext, bidx);
                rec.id_bidx = bidx;
            }
            people_mask_id(idtext, id_mask, sizeof id_mask);
            rec.id_mask = id_mask;
        }
        if (phones[0]) {
            rec.phone_enc_len = seal(q->keys, phones, ph_enc, sizeof ph_enc);
            rec.phone_enc = ph_enc;
            people_blind_index(q->keys, o->phones.num[0], phb);
            rec.phone_bidx = phb;
            people_mask_phone(o->phones.num[0], ph_mask, sizeof ph_mask);
            rec.phone_mask = ph_mask;
        }
        rec.address = o->address;
        rec.community = o->community;
        rec.household = o->household;
        rec.relation = o->relation;
        rec.flags = o->flags;
        if (alen > 2) {
            rec.attrs_enc_len = seal(q->keys, o->attrs, aenc, alen + 64);
            rec.attrs_enc = aenc;
        }
        rec.import_id = res->im.id;
        rec.updated_at = now;
        if (!k) e = pstore_record_insert(w, &rec);
        else {
            rec.rowid = k->rowid;
            e = pstore_record_update(w, &rec);
        }
        free(aenc);
        if (i % 5000 == 0) progress(q, "write", i, nrows);
    }
    /* what the file no longer holds */
    for (size_t i = 0; i < ks.n && !e; i++)
        if (!ks.k[i].seen && ks.k[i].active) {
            res->im.retired++;
            report_row(q, 0, ks.k[i].key, "retire", "not in the file");
            if (!q->dry_run) e = pstore_record_retire(w, ks.k[i].rowid, now);
        }
    if (e || q->dry_run) goto rows_done;
    jc_log(JC_LOG_DEBUG, "people: import: wrote in %.3f s", mono_s() - tw);
    progress(q, "link", 0, 1);
    if ((e = people_link_store(w, q->keys, q->full_link, &res->link))) goto rows_done;
    res->im.persons = res->link.persons;
    res->im.review = res->link.review;
    res->im.link_ms = (int64_t)(res->link.seconds * 1000);
    if ((e = pstore_import_update(w, &res->im))) goto rows_done;
    {
        /* a code the audit page words in the reader's language (docs/audit.md) */
        char reason[700];
        reason_buf rb;
        reason_begin(&rb, reason, sizeof reason, "people_import");
        reason_str(&rb, "source", q->source);
        reason_str(&rb, "name", q->source_name && q->source_name[0] ? q->source_name : src.name);
        reason_str(&rb, "file", res->im.file_name);
        reason_int(&rb, "rows", res->im.rows);
        reason_int(&rb, "added", res->im.added);
        reason_int(&rb, "updated", res->im.updated);
        reason_int(&rb, "retired", res->im.retired);
        reason_int(&rb, "unchanged", res->im.unchanged);
        reason_int(&rb, "persons", res->im.persons);
        reason_int(&rb, "review", res->im.review);
        reason_end(&rb);
        jc_user sys;
        auth_system_actor(&sys, "cli");
        e = auth_audit(w, q->actor ? q->actor : &sys, "people.import", reason);
    }
    progress(q, "done", 1, 1);
rows_done:
    for (int i = 0; i < nrows; i++) people_clean_free(&rows[i]);
    free(rows);
done:
    for (size_t i = 0; i < ks.n; i++) free(ks.k[i].key);
    free(ks.k);
    free(cs.c);
    people_table_free(&t);
    return e;
}

/* ---- withdrawal ---------------------------------------------------------------------------------- */

jc_err people_withdraw(jc_conn *w, const people_keys *keys, const jc_user *actor, const char *source,
                       int64_t *deleted) {
    pstore_source s;
    jc_err e = pstore_source_get(w, source, &s);
    if (e) return e;
    free(s.mapping);
    if ((e = pstore_source_purge(w, source, deleted))) return e;
    if ((e = pstore_source_withdrawn(w, source, jc_now_ms()))) return e;
    people_link_stats st;
    /* the persons the source fed lose its records: their golden records are rebuilt */
    if ((e = people_link_store(w, keys, 1, &st))) return e;
    char reason[400];
    reason_buf rb;
    reason_begin(&rb, reason, sizeof reason, "people_withdraw");
    reason_str(&rb, "source", source);
    reason_str(&rb, "name", s.name);
    reason_int(&rb, "deleted", *deleted);
    reason_end(&rb);
    return auth_audit(w, actor, "people.withdraw", reason);
}

void people_review_reason(char *out, size_t n, const char *as, const char *ar, const char *bs, const char *br,
                          const char *decision) {
    char a[200], b[200];
    snprintf(a, sizeof a, "%s:%s", as, ar);
    snprintf(b, sizeof b, "%s:%s", bs, br);
    reason_buf rb;
    reason_begin(&rb, out, n, "people_review");
    reason_str(&rb, "a", a);
    reason_str(&rb, "b", b);
    reason_str(&rb, "decision", decision);
    reason_end(&rb);
}

int people__strcmp_ptr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int people_source_key_ok(const char *k) {
    size_t n = strlen(k);
    if (!n || n > 63) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= '0' && k[i] <= '9') ||
              k[i] == '_' || k[i] == '-'))
            return 0;
    return 1;
}

json_t *people_source_json(const pstore_source *s) {
    json_t *m = json_loads(s->mapping ? s->mapping : "{}", 0, NULL);
    return json_pack("{s:s,s:s,s:o,s:I,s:I,s:I,s:I}", "key", s->key, "name", s->name, "mapping", m ? m : json_object(),
                     "records", (json_int_t)s->records, "imports", (json_int_t)s->imports, "updated_at",
                     (json_int_t)s->updated_at, "withdrawn_at", (json_int_t)s->withdrawn_at);
}
