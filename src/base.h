/*
 * base.h -- base data (人/户/房/单位) of the communities: people, households,
 * houses, organisations.  The demo's are generated and clearly fictional
 * (docs/demo.md): ID numbers use the area code 999999, which no region has,
 * with a valid GB 11643 check digit; phones start with 100, which no mobile
 * number does.  Only counts leave the server (GET /api/v1/base/summary).
 */
#ifndef JC_BASE_H
#define JC_BASE_H

#include "jc.h"

#include <jansson.h>

typedef struct jc_conn jc_conn;

/* The GB 11643-1999 check character ('0'..'9' or 'X') of the first 17
 * digits of id17; 0 when id17 is not 17 digits. */
char base_id_check(const char *id17);
/* 1 when id is an 18-character citizen ID number with a valid check
 * character (digits, last one may be 'X'), else 0. */
int base_id_valid(const char *id);
/* Writes a fictional ID number (area 999999, birth yyyymmdd, sequence seq
 * 0..999 made odd for male or even for female, check character) into
 * out (at least 19 bytes). */
void base_id_make(int yyyymmdd, int seq, int male, char out[19]);

/* Widens the box (*w, *s)-(*e, *n) to take in every [x, y] position of v, a
 * GeoJSON "coordinates" value nested to any depth (start from w = s = 1e9,
 * e = n = -1e9; the box stays empty, w > e, when v has no position). */
void base_bbox_extend(json_t *v, double *w, double *s, double *e, double *n);

/* Generates the base data of every community of the database,
 * deterministically from seed, and records the counts in base_counts (the
 * work list's answerable fields).  Does nothing when people exist already.
 * Runs on the writer (store_exec). */
jc_err base_seed_demo(jc_conn *w, uint64_t seed) JC_MUST_CHECK;

/* Elders living alone, at most limit of them in id order: cb(person id,
 * grid of their house); a non-zero return stops (JC_OK). */
jc_err base_alone_elders(jc_conn *c, int limit, int (*cb)(int64_t person_id, const char *grid, void *arg),
                         void *arg) JC_MUST_CHECK;

#endif
