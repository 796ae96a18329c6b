/*
 * hotspot.h -- which areas (grids, communities) have an improbably high count
 * in the current window, judged against their own past and their neighbours.
 *
 * Pure functions, no storage: the caller gives, per area, the count of the
 * current window, the counts of past windows of the same length and the
 * indices of its neighbours; hotspot_score() returns the areas ranked by
 * how improbable their current count is, each with the numbers that
 * explain it.  The method (docs/detect.md, "Hotspots"):
 *
 *   own rate   r_a = mean of the area's past windows
 *   neighbours n_a = mean of the neighbours' own rates (their past only)
 *   expected   e_a = (1 - lambda) r_a + lambda n_a   (lambda = neighbour
 *              weight; r_a alone without neighbours, n_a alone without
 *              history), floored at 0.5 / number of past windows so an area
 *              that never had a case is not infinitely surprised
 *   p-value    P(X >= observed) for X ~ Poisson(e_a), or negative binomial
 *              with the area's own past variance when it exceeds the mean
 *              (overdispersion) and nb is requested
 *   multiple   areas are many tests at once: the p-values are adjusted by
 *   testing    Bonferroni (family-wise error) or Benjamini-Hochberg (false
 *              discovery rate), and an area is a hotspot when its adjusted
 *              p-value is below alpha and its count reaches min_count.
 */
#ifndef JC_HOTSPOT_H
#define JC_HOTSPOT_H

#include "jc.h"

#include <stddef.h>

typedef enum { HOTSPOT_BONFERRONI = 0, HOTSPOT_FDR_BH } hotspot_correction;

/* One area; all pointers are borrowed for the duration of the call. */
typedef struct {
    const char *id;            /* label for explanations (may be NULL) */
    double current;            /* count in the current window, >= 0 */
    const double *history;     /* counts of past windows, >= 0 */
    size_t nhist;
    const size_t *neighbours;  /* indices into the areas array */
    size_t nneigh;
} hotspot_area;

typedef struct {
    double neighbour_weight;   /* lambda in [0, 1], default 0.5 */
    double alpha;              /* level after correction, default 0.05 */
    hotspot_correction correction; /* default HOTSPOT_FDR_BH */
    double min_count;          /* a hotspot needs at least this many, default 3 */
    int nb;                    /* 1: negative binomial when overdispersed (default 1) */
} hotspot_params;

typedef struct {
    size_t area;               /* index into the input array */
    double observed, expected;
    double own_rate;           /* NaN without history */
    double neighbour_rate;     /* NaN without neighbours (with history) */
    double size;               /* NB size parameter, 0 when Poisson was used */
    double p_value;            /* P(X >= observed) */
    double p_adjusted;         /* after the correction, <= 1 */
    int hotspot;               /* 1 when flagged */
} hotspot_result;

/* Fills p with the defaults above. */
void hotspot_params_default(hotspot_params *p);

/*
 * Scores n areas into out[0..n) ranked by p-value (smallest first; ties by
 * observed / expected, larger first, then by index).  Errors:
 * JC_ERR_INVALID for negative or non-finite counts, a neighbour index out
 * of range or bad parameters (out is then unspecified); JC_ERR_NOMEM.
 */
jc_err hotspot_score(const hotspot_area *areas, size_t n, const hotspot_params *p,
                     hotspot_result *out) JC_MUST_CHECK;

/* A one-line explanation of r into buf (snprintf semantics). */
int hotspot_explain(const hotspot_result *r, const hotspot_area *areas,
                    const hotspot_params *p, size_t n, char *buf, size_t bufsz);

/* P(X >= x) for X ~ Poisson(mean); exposed for tests. */
double hotspot_ppois_upper(double x, double mean);
/* P(X >= x) for X ~ NB(size, mean) (variance mean + mean^2 / size). */
double hotspot_pnbinom_upper(double x, double size, double mean);

#endif
