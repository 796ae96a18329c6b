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
