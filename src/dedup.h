/*
 * dedup.h -- near-duplicate detection of citizen reports (subsystem 2/3):
 * the same pothole reported three times in an afternoon, in other words,
 * from a few metres apart.
 *
 * Text similarity is the MinHash estimate of the Jaccard similarity of the
 * character bigram sets of the NFKC-normalised texts (text.h); candidates
 * are found by place (spatial cells around the point), which is the
 * great-circle distance in metres; time is the gap in milliseconds.  The
 * index is in memory and bounded: entries older than the time window (with
 * respect to the newest entry added) are evicted, and so is the oldest entry
 * when max_entries is reached.
 */
#ifndef JC_DEDUP_H
#define JC_DEDUP_H

#include "jc.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t window_ms;   /* only reports this close in time match; older ones are evicted */
    double max_dist_m;   /* only reports this close in space match */
    double merge_sim;    /* text similarity at or above which a match is an auto-merge */
    double suggest_sim;  /* ... at or above which it is a suggestion for a person */
    size_t max_entries;  /* hard cap on the index size */
    int same_category_only; /* 1: only reports of the same category match (faster:
                               the spatial buckets are split by category) */
    size_t max_candidates; /* reports compared in full per query at most: at a
                              crowded spot the rest are not read (0: no cap) */
} dedup_params;

/* 72 h window, 300 m, merge at 0.6, suggest at 0.3, 100000 entries, 256
 * candidates. */
dedup_params dedup_params_default(void);

typedef enum { DEDUP_NONE = 0, DEDUP_SUGGEST = 1, DEDUP_MERGE = 2 } dedup_verdict;

typedef struct {
    int64_t id;
    double text_sim;  /* estimated Jaccard similarity of bigram sets, 0..1 */
    double dist_m;    /* metres between the two points */
    int64_t dt_ms;    /* absolute time gap */
    int same_category;/* 1 same, 0 different, -1 unknown (either empty) */
    double score;     /* combined: 0.7 text + 0.2 place + 0.1 time (each 0..1),
                         x 0.9 when the categories differ */
    dedup_verdict verdict;
} dedup_match;

typedef struct dedup_index dedup_index;

/* Creates an empty index.  JC_ERR_INVALID on nonsensical parameters,
 * JC_ERR_NOMEM.  Free with dedup_free (NULL is a no-op). */
jc_err dedup_new(const dedup_params *p, dedup_index **out) JC_MUST_CHECK;
void dedup_free(dedup_index *ix);

/* Adds a report.  text is UTF-8 (JC_ERR_INVALID if malformed or without any
 * letter, JC_ERR_TOOBIG over TEXT_MAX_BYTES); lon/lat WGS-84 degrees
 * (JC_ERR_INVALID out of range); category may be NULL.  Evicts what fell out
 * of the window.  On failure the index is unchanged. */
jc_err dedup_add(dedup_index *ix, int64_t id, const char *text, double lon, double lat,
                 int64_t time_ms, const char *category) JC_MUST_CHECK;

/* Finds the reports in the index that may duplicate this one: those within
 * the window and max_dist_m whose text similarity reaches suggest_sim, best
 * combined score first, at most max of them in out[], their number in *n.
 * Of the entries that pass the cheap bounds (sketch, time, place), at most
 * max_candidates are compared in full, the oldest of each cell first.
 * Errors as dedup_add. */
jc_err dedup_query(dedup_index *ix, const char *text, double lon, double lat,
                   int64_t time_ms, const char *category, dedup_match *out, size_t max,
                   size_t *n) JC_MUST_CHECK;

/* Number of entries held. */
size_t dedup_count(const dedup_index *ix);

/* Great-circle distance in metres between two WGS-84 points (haversine). */
double dedup_distance_m(double lon1, double lat1, double lon2, double lat2);

#endif
