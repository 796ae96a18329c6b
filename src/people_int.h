/*
 * people_int.h -- internals shared by the people*.c files: a record as the
 * linker compares it, the comparison levels, a link, and the linker's entry
 * point (people_link.c).
 */
#ifndef JC_PEOPLE_INT_H
#define JC_PEOPLE_INT_H

#include "people.h"
#include "http.h"

/* A record as the linker sees it (compact: ~200 bytes; 140k of them fit
 * in 30 MB). */
typedef struct {
    int64_t rowid;   /* people_records.id */
    int64_t person;  /* its person (cluster) before this run, 0 for none */
    uint32_t src;    /* source number (index into the run's source list) */
    uint32_t py[4];  /* pinyin syllables of the name (first four) */
    uint32_t cp[4];  /* code points of the name (first four) */
    uint8_t npy, ncp;
    uint32_t nameh;  /* hash of the whole cleaned name */
    char latin[24];  /* a name in Latin letters (FEBRL, foreigners), for edit distance */
    char sex;        /* 'M', 'F' or 0: stated, else from a valid ID */
    uint8_t id_kind; /* people_id_kind */
    uint8_t id_known;
    uint8_t id_self; /* 1 when the ID's birth date agrees with the stated one (or none is stated) */
    char id[19];
    int birth;       /* yyyymmdd (dd 00: month only): stated, else from a valid ID */
    uint64_t phone[PEOPLE_MAX_PHONES];
    uint32_t comm;   /* hash of the community (resolved code, else its name), 0 unknown */
    uint32_t road;   /* hash of the road, 0 unknown */
    int32_t nums[4]; /* the address's last four numbers */
    uint8_t nnums;
    uint32_t hh;     /* hash of the household number, 0 none */
    uint8_t fresh;   /* new or changed since the last link: compared in an incremental run */
} people_lrec;

/* The fields compared, each with levels; level 0 is "missing" (no weight). */
enum { LF_ID, LF_NAME, LF_BIRTH, LF_SEX, LF_PHONE, LF_ADDR, LF_HH, LF_COUNT };
#define PEOPLE_LEVELS 5
/* Names of the fields and levels, for the "deciding fields" of a link. */
const char *people__lf_name(int f);
const char *people__level_name(int f, int level);

/* The m and u probabilities of every level of every field, and the share
 * of candidate pairs that match (Fellegi-Sunter). */
typedef struct {
    double m[LF_COUNT][PEOPLE_LEVELS], u[LF_COUNT][PEOPLE_LEVELS];
    double p;
    int em_iterations; /* 0: the priors were used */
    int64_t pairs;     /* candidate pairs the estimate saw */
} people_model;
/* The starting values (written for this domain; EM refines them). */
void people__model_prior(people_model *m);

/* A scored pair (indices into the record array). */
typedef struct {
    uint32_t a, b;
    float weight;     /* log2 likelihood ratio, summed over fields */
    float prob;       /* posterior probability of a match */
    uint8_t lv[LF_COUNT];
} people_pair;

/* A reviewer's decision, by index: same (1) or different (0). */
typedef struct {
    uint32_t a, b;
    int same;
} people_decision;

/* Thresholds on the posterior probability. */
#define PEOPLE_LINK_P 0.5    /* linked at or above */
#define PEOPLE_SURE_P 0.98   /* linked without review at or above */
#define PEOPLE_REVIEW_P 0.05 /* below: not the same person, no review */

typedef struct {
    /* in */
    people_lrec *r;
    size_t n;
    int incremental;           /* compare only pairs with a fresh record */
    const people_pair *kept;   /* links among records not fresh, from the last run */
    size_t nkept;
    const people_decision *dec;
    size_t ndec;
    const people_model *stored; /* the last estimate (NULL: priors) */
    /* out (owned by the caller after the call: people__link_free) */
    uint32_t *cluster;         /* per record: a cluster number 0..nclusters-1 */
    size_t nclusters;
    people_pair *pairs;        /* scored candidate pairs at or above PEOPLE_REVIEW_P, kept ones included */
    size_t npairs;
    uint8_t *linked;           /* per pair: 1 when the clustering used it */
    people_model model;
    int64_t compared;          /* candidate pairs compared in this run */
    double seconds_block, seconds_compare, seconds_em, seconds_cluster;
} people_link_run;

/* Links the records: blocking, comparison, EM estimation (when the run has
 * enough pairs, else the stored estimate or the priors), scoring, and
 * clustering that never joins two records a reviewer called different, nor
 * two records with valid, self-consistent and different ID numbers.
 * JC_ERR_NOMEM on allocation failure. */
jc_err people__link(people_link_run *run) JC_MUST_CHECK;
void people__link_free(people_link_run *run);

/* The levels of one pair (exposed for tests). */
void people__compare(const people_lrec *a, const people_lrec *b, uint8_t lv[LF_COUNT]);

/* Fills a link record from cleaned values (the import and the store's
 * loader share it).  addr may be NULL; comm is the resolved community code
 * or name ("" for none). */
void people__lrec_fill(people_lrec *l, const char *name, char sex, int birth, const people_id *id,
                       const people_phones *ph, const people_addr *addr, const char *comm, const char *household);

/* 32-bit FNV-1a of a string (0 for ""), never 0 otherwise. */
uint32_t people__hash32(const char *s);

/* The people API's routes (people_api.c), named in the module's row. */
extern const jc_route_table people__routes;

#endif
