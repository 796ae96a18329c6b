/*
 * people.h -- one collection, many uses: the departments' person tables
 * (公安户籍, 民政, 卫健, 人社, 社区网格, 残联, 教育 ...) imported, cleaned, linked
 * into one record per person (a golden record with per-field provenance) and
 * answered from, with the privacy PIPL asks for.  docs/people.md describes
 * the whole; this header is the contract of its parts:
 *
 *   people_norm.c    cleaning one cell: GB 11643 ID numbers, names, dates,
 *                    phones, sex, addresses against the area tree
 *   people_import.c  reading a departmental file (CSV in UTF-8 or GB18030,
 *                    XLSX) and proposing its column mapping
 *   people_link.c    linking: blocking, pairwise comparison, Fellegi-Sunter
 *                    weights estimated by EM, clustering
 *   people.c         imports and re-imports of a source, golden records,
 *                    privacy (encryption at rest, blind index, masking),
 *                    `jiceng people`
 *   people_sqlite.c  the tables (people_store.h)
 *   people_api.c     the HTTP routes
 */
#ifndef JC_PEOPLE_H
#define JC_PEOPLE_H

#include "jc.h"
#include "model.h"
#include "people_store.h"

#include <jansson.h>

#include <stddef.h>
#include <stdint.h>

/* ==== normalisation (people_norm.c) ====================================== */

/* What an ID number cell held. */
typedef enum {
    PEOPLE_ID_NONE = 0, /* empty, "/", "无", "-" ... */
    PEOPLE_ID_VALID,    /* 18 characters, check character and birth date right */
    PEOPLE_ID_DAMAGED,  /* 18 characters that fail the check or the date: a typing error */
    PEOPLE_ID_PARTIAL,  /* Excel damage: only the first `known` digits are right */
    PEOPLE_ID_OTHER     /* something else (passport, 军官证 ...) */
} people_id_kind;

typedef struct {
    people_id_kind kind;
    char id[19];  /* the 18 characters ('X' upper case), or the known digits of a PARTIAL one */
    int known;    /* leading characters that can be trusted: 18, 15 (trailing 000), 6 (1.10101E+17) */
    int from15;   /* 1 when converted from the 15-digit form (19 inserted, check added) */
    int birth;    /* yyyymmdd in the number when it is a real date, else 0 */
    char sex;     /* 'M' or 'F' from the 17th digit (15th of the old form), else 0 */
} people_id;

/* Cleans an ID number cell: NFKC (full-width digits), white space, a leading
 * apostrophe or tab, lower-case x, the 15-digit form (converted to 18 with
 * 19 inserted and the check character computed), Excel's damage (a number
 * shown as 1.10101E+17, or its last digits turned to 000).  Never fails:
 * what is not an ID number is PEOPLE_ID_OTHER or PEOPLE_ID_NONE. */
void people_norm_id(const char *in, people_id *out);

/* The GB 11643 check character of the first 17 digits of id ('0'..'9' or
 * 'X'); 0 when they are not 17 digits. */
char people_id_check(const char *id17);

/* Parses a date as Chinese offices write it: 19850302, 1985-03-02,
 * 1985/3/2, 1985.3.2, 1985年3月2日, 1985年3月, 198503, 1985-03, an Excel
 * serial number (31108 = 1985-03-02), "1985-03-02 00:00:00".  *ymd gets
 * yyyymmdd, with dd 00 when only the month is given.  0 on success, -1 when
 * unreadable or not a real date (*ymd then 0). */
int people_norm_date(const char *in, int *ymd);

/* Up to PEOPLE_MAX_PHONES numbers of one cell, digits only: mobiles as 11
 * digits, landlines with their area code (010-65256833 -> 01065256833),
 * +86 / 0086 / 86- removed, several numbers split at ，,;/、 and spaces. */
#define PEOPLE_MAX_PHONES 3
typedef struct {
    char num[PEOPLE_MAX_PHONES][16];
    int n;
} people_phones;
/* Returns the count found (0 for none). */
int people_norm_phones(const char *in, people_phones *out);

/* 'M', 'F' or 0 for 男/女/1/2/M/F/male/female (GB/T 2261.1 codes). */
char people_norm_sex(const char *in);

/* Cleans a person's name into out (outsz bytes): NFKC, white space and
 * stray punctuation removed, the middle dots of minority names unified to
 * U+00B7, traditional characters simplified (張偉 -> 张伟).  Returns the
 * length, 0 for an empty name. */
size_t people_norm_name(const char *in, char *out, size_t outsz);

/* The toneless pinyin syllables of a cleaned name (the first character read
 * as a surname: 单 shan, 曾 zeng), as syllable numbers into syl (at most
 * max); characters without a reading keep their code point + 0x10000.
 * Returns the count.  Homophones (杨遥 / 杨瑶, 王 / 汪) give equal keys. */
int people_name_pinyin(const char *name, uint32_t *syl, int max);
/* The text of syllable number s ("" for an unknown one). */
const char *people_syllable(uint32_t s);

/* A parsed address. */
typedef struct {
    char street[48];    /* 东华门 (the name without 街道), "" when absent */
    char community[64]; /* 多福巷 (without 社区 / 社区居委会), "" when absent */
    char road[96];      /* the place before the numbers: 西花市南里西区, 昭亨胡同 */
    int nums[6];        /* the numbers after it in order: 号(院), 楼, 单元/门, 室 */
    int nnums;
    int room;           /* the last number when it is a room (室, or 3-4 numbers), else -1 */
} people_addr;
/* Parses an address in any of the styles offices use ("北京市东城区XX街道XX
 * 社区居委会 XX3号楼2单元1104", "XX社区43号院3楼2门402", "XX胡同18-3-2-502",
 * "XX8-3-804"). Never fails; unknown parts stay empty. */
void people_norm_addr(const char *in, people_addr *out);

/* The area tree's communities, to resolve an address to a community code. */
typedef struct {
    char code[16];
    char name[64]; /* 多福巷社区 */
    char stem[64]; /* 多福巷 */
} people_community;
/* The community an address lies in: the community named in it, else the
 * one whose name begins its road (longest first); -1 when none. */
int people_addr_community(const people_addr *a, const people_community *c, int n);

/* ==== reading a departmental file (people_import.c) ======================== */

/* Caps that keep a hostile or broken file from taking the server down. */
#define PEOPLE_MAX_FILE ((size_t)64 << 20)      /* bytes of a CSV or XLSX file */
#define PEOPLE_MAX_UNZIPPED ((size_t)256 << 20) /* bytes an XLSX may unpack to */
#define PEOPLE_MAX_ROWS 1000000
#define PEOPLE_MAX_COLS 256
#define PEOPLE_MAX_CELL 4096                     /* bytes of one cell */

/* A file's cells as text, row by row (the header row included). */
typedef struct {
    char *arena;          /* every cell's text, NUL-terminated */
    size_t alen, acap;
    uint32_t *cell;       /* offsets into arena, row after row */
    size_t ncell, ccap;
    uint32_t *row_start;  /* index into cell of each row's first cell */
    uint16_t *row_n;      /* cells in each row */
    int *row_no;          /* the row's number in the file (1 = first line or row) */
    int nrows, rcap;
    char format[8];       /* "csv" or "xlsx" */
    char encoding[16];    /* "UTF-8", "UTF-8 BOM", "GB18030", "UTF-16" */
} people_table;

/* Reads a CSV (UTF-8 with or without BOM, GB18030, UTF-16 with BOM; comma,
 * tab or semicolon; CRLF) or an XLSX (its first sheet; shared and inline
 * strings, numbers as written) from data[0..len) into *t (caller frees with
 * people_table_free, also after an error).  Errors: JC_ERR_TOOBIG past the
 * caps above (an XLSX bomb included), JC_ERR_INVALID for a file that is
 * neither (wrong encoding, a broken zip or sheet); why (whysz bytes) says
 * which row or part and why, in English and Chinese. */
jc_err people_table_read(const char *data, size_t len, people_table *t, char *why, size_t whysz) JC_MUST_CHECK;
void people_table_free(people_table *t);
/* Cell c of row r ("" beyond the row's end). */
const char *people_table_cell(const people_table *t, int r, int c);

/* The fields a column can be mapped to; PF_ATTR keeps it as an attribute. */
typedef enum {
    PF_ATTR = 0,
    PF_NAME,
    PF_ID_NUMBER,
    PF_ID_TYPE,
    PF_SEX,
    PF_BIRTH_DATE,
    PF_AGE,
    PF_PHONE,
    PF_ADDRESS,
    PF_HOUSEHOLD_NO,
    PF_RELATION,
    PF_COMMUNITY,
    PF_STREET,
    PF_BUILDING,
    PF_UNIT,
    PF_ROOM,
    PF_COUNT
} people_field;
/* "name", "id_number", ... ("attr" for PF_ATTR). */
const char *people_field_name(people_field f);
/* The field of a name as above; -1 when unknown. */
int people_field_parse(const char *name);

/* A column mapping: the header row and each column's field. */
typedef struct {
    int header_row;                 /* index into the table's rows */
    int ncols;
    char header[PEOPLE_MAX_COLS][64]; /* the cleaned header text */
    uint8_t field[PEOPLE_MAX_COLS];   /* people_field */
    uint8_t how[PEOPLE_MAX_COLS];     /* 0 attribute, 1 header, 2 values, 3 saved, 4 set by hand */
} people_mapping;

/* Finds the header row (title lines above it are skipped) and proposes a
 * field for every column: from a synonym table of many departments'
 * wording (姓名/学生姓名/名字, 公民身份号码/身份证件号/证件号码, 出生年月,
 * 联系电话/本人电话, 现住址/户籍地址 ..., pinyin initials such as GMSFHM),
 * where another person's columns (监护人, 联系人, 户主 ...) stay attributes;
 * then from the values of the columns still unmapped (a column whose values
 * are valid ID numbers is id_number whatever its header).  saved (may be
 * NULL) is a JSON object {"header": "field"} of earlier imports, used first;
 * map (may be NULL) is "header=field,header=field" set by hand, used over
 * all.  JC_ERR_INVALID (why says which) for a --map naming a header or a
 * field that does not exist, or a file without a header row. */
jc_err people_mapping_propose(const people_table *t, const char *saved, const char *map, people_mapping *m,
                              char *why, size_t whysz) JC_MUST_CHECK;

/* ==== the collection (people.c) ============================================== */

typedef struct people_keys people_keys; /* opaque: the encryption and blind-index keys */

/* Record flags, from a record's other columns (a header or value naming
 * 独居, 残疾, 学校/学籍/年级/在校学生). */
#define PEOPLE_FLAG_ALONE 1
#define PEOPLE_FLAG_DISABLED 2
#define PEOPLE_FLAG_STUDENT 4

/* Opens the keys: key_file, else $JICENG_PEOPLE_KEY, else db_path +
 * ".people-key"; a missing file is created (0600) with a new random key.
 * *out is freed with people_keys_free.  JC_ERR_IO / JC_ERR_CORRUPT with why
 * set when the file cannot be read or is not a key; JC_ERR_INVALID when
 * db_path is NULL (a PostgreSQL database) and no file is named. */
jc_err people_keys_open(const char *db_path, const char *key_file, people_keys **out, char *why,
                        size_t whysz) JC_MUST_CHECK;
void people_keys_free(people_keys *k);
/* The keyed blind index (16 bytes) of a cleaned value. */
void people_blind_index(const people_keys *k, const char *value, unsigned char out[16]);
/* Decrypts a sealed value into out; JC_ERR_CORRUPT when it does not open
 * with this key. */
jc_err people_unseal(const people_keys *k, const unsigned char *in, size_t n, char *out, size_t outsz) JC_MUST_CHECK;
/* Masked forms: 110101********123X, 131****2971, 张** . */
void people_mask_id(const char *id, char *out, size_t outsz);
void people_mask_phone(const char *phone, char *out, size_t outsz);
void people_mask_name(const char *name, char *out, size_t outsz);

/* One row cleaned. */
typedef struct {
    int row_no;
    char record_id[128];
    char name[64];
    char sex;
    int birth, bad_birth, age;
    people_id id;
    people_phones phones;
    char address[512];
    people_addr addr;
    char community[64]; /* the resolved community code, else the name in the address */
    char household[64], relation[32];
    int flags;
    int extra_cells;    /* non-empty cells beyond the header's columns */
    int skip;
    int64_t row_hash;
    char *attrs;        /* JSON of the other columns (owned; people_clean_free) */
} people_clean;
/* Cleans row r of t under mapping m; comms (may be NULL) resolves the
 * community. */
jc_err people_row_clean(const people_table *t, const people_mapping *m, int r, const people_community *comms,
                        int ncomms, people_clean *o) JC_MUST_CHECK;
void people_clean_free(people_clean *o);

/* What a link run did. */
typedef struct {
    int64_t records, compared, persons, links, review, moved, golden;
    int em_iterations;
    double seconds, seconds_block, seconds_compare, seconds_em, seconds_cluster;
} people_link_stats;

/* Links the store's active records (full: every pair, EM re-estimated;
 * else only pairs with a record imported or changed since the last run,
 * the other links kept), numbers the persons (a cluster keeps the number
 * most of its records had), rebuilds the golden records of the persons
 * that changed, refreshes the links and the review queue.  On the writer. */
jc_err people_link_store(jc_conn *w, const people_keys *keys, int full, people_link_stats *st) JC_MUST_CHECK;

typedef struct {
    const char *source;      /* KEY: [A-Za-z0-9_-], at most 63 characters */
    const char *source_name; /* a display name ("" keeps the saved one) */
    const char *file_name;
    const char *map;         /* --map, may be NULL */
    const char *data;
    size_t len;
    int dry_run, full_link;
    const people_keys *keys;
    const jc_user *actor;    /* NULL: the CLI */
    /* optional observers: each row's action (add, update, unchanged, retire,
     * skip) with a note; progress of a phase (read, check, write, link, done) */
    void (*on_row)(void *arg, int row, const char *record_id, const char *action, const char *note);
    void (*on_progress)(void *arg, const char *phase, int64_t done, int64_t total);
    void *arg;
} people_import_req;

typedef struct {
    pstore_import im;
    people_mapping mapping;
    people_link_stats link;
    char why[600]; /* the reason of an error, naming the row, in English and Chinese */
    const char *missing; /* with JC_ERR_INVALID: the field no column maps to ("name", "id_number"), the
                          * mapping above proposed all the same (a form can set it); else NULL */
} people_import_result;

/* Imports a source's file on the writer: reads and cleans every row first
 * (an error names the row and changes nothing), then adds, updates and
 * retires records by the file's first column against what the source sent
 * before, saves the mapping, links (incrementally unless full_link) and
 * writes an audit entry -- all in the caller's transaction, so an error
 * leaves nothing half-imported.  A dry run writes nothing.  Errors:
 * JC_ERR_INVALID / JC_ERR_TOOBIG with res->why, JC_ERR_DB, JC_ERR_NOMEM. */
jc_err people_import(jc_conn *w, people_import_req *q, people_import_result *res) JC_MUST_CHECK;

/* Withdraws a source: deletes its records (with their links and review
 * rows), rebuilds the golden records, writes the deletion to the audit
 * chain.  *deleted gets the count.  JC_ERR_NOTFOUND for an unknown source. */
jc_err people_withdraw(jc_conn *w, const people_keys *keys, const jc_user *actor, const char *source,
                       int64_t *deleted) JC_MUST_CHECK;
/* The audit reason of a review decision (src/reason.h's code people_review:
 * the two records as source:record id, decision same or different) into out. */
void people_review_reason(char *out, size_t n, const char *as, const char *ar, const char *bs, const char *br,
                          const char *decision);

/* Writes generated departmental spreadsheets (fictional people) and their
 * truth.csv into dir (people_gen.c): layout "dev" (six tables shaped like
 * those of 公安, 民政, 卫健, 人社, 网格, 残联), "other" (other departments'
 * layouts: 教育, 老龄, 医保, 退役军人, 计生, 住建 ...), "demo" (the demo
 * street's communities, as CSV and XLSX).  0 on success, -1 (reason on
 * stderr). */
int people_generate(const char *dir, int64_t persons, uint64_t seed, const char *layout, const char *const *communities,
                    int ncommunities);

/* A department's form filled from the golden records as an XLSX file at
 * path: template "elders_alone" (独居老人花名册: 60 and over, living alone),
 * "disabled" (残疾人花名册), "students" (在校学生名册), or "summary" (社区基础
 *数据统计表: the counts per community); persons of communities under
 * area_prefix; names and addresses as they are, ID numbers and phones
 * masked.  *rows gets the count.  JC_ERR_INVALID for an unknown template,
 * JC_ERR_IO when the file cannot be written. */
jc_err people_report_xlsx(jc_conn *c, const char *templ, const char *area_prefix, const char *path,
                          int64_t *rows) JC_MUST_CHECK;
/* Today as yyyymmdd on the platform clock, in Asia/Shanghai. */
int64_t people_today_ymd(void);
/* 1 when k may name a source: letters, digits, _ and -, 1 to 63 of them. */
int people_source_key_ok(const char *k);
/* A source as JSON {key, name, mapping, records, imports, updated_at, withdrawn_at} (new reference). */
json_t *people_source_json(const pstore_source *s);

int people__strcmp_ptr(const void *a, const void *b);
uint64_t people__fnv64(const void *p, size_t n, uint64_t h);

/* ---- internal ---------------------------------------------------------------- */
/* NFKC of in into out (outsz bytes, truncated at a character boundary);
 * ASCII passes through unchanged; bytes of invalid UTF-8 are dropped.
 * Returns the length. */
size_t people__nfkc(const char *in, char *out, size_t outsz);
/* The cap on what an XLSX may unpack to (PEOPLE_MAX_UNZIPPED; tests lower it). */
extern size_t people__unzip_cap;

/* ---- internal: the generated character table (build/gen/people_hanzi.c) --- */
typedef struct {
    uint32_t cp;
    uint16_t py, py_surname; /* syllable numbers into people__syllables */
    uint32_t simp;           /* the simplified character (cp itself when simplified) */
} people__hanzi_row;
extern const char *const people__syllables[];
extern const size_t people__nsyllables;
extern const people__hanzi_row people__hanzi[];
extern const size_t people__nhanzi;

#endif
