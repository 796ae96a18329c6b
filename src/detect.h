/*
 * detect.h -- statistical early-warning detectors over one count series.
 *
 * The interface of subsystem 2 (judgement & early warning) to its outbreak
 * detectors.  Every function here is pure: it reads a series of
 * non-negative counts (one per period, oldest first) and writes one
 * detect_point per evaluated period; nothing is stored.  The algorithms
 * reproduce R package `surveillance` 1.20.3 exactly (see docs/detect.md for
 * which R call each method equals and the quirks that were kept):
 *
 *   DETECT_EARS_C1/C2/C3     earsC(sts, control = list(method = "C1" ...))
 *   DETECT_CUSUM             algo.cusum / cusum(sts, control = ...)
 *   DETECT_FARRINGTON        farrington(sts, control = ...)  (algo.farrington
 *                            with fitFun "algo.farrington.fitGLM.fast")
 *   DETECT_FARRINGTON_FLEX   farringtonFlexible(sts, control = ...)
 *
 * Positions are 1-based, as in R: range_start = 1 is the first period.
 * An "NA" of R is a NaN here (detect_point.upperbound may be NaN).
 */
#ifndef JC_DETECT_H
#define JC_DETECT_H

#include "jc.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    DETECT_EARS_C1 = 0,
    DETECT_EARS_C2,
    DETECT_EARS_C3,
    DETECT_CUSUM,
    DETECT_FARRINGTON,
    DETECT_FARRINGTON_FLEX
} detect_method;

/* CUSUM standardisations (algo.cusum's `trans`). */
typedef enum {
    DETECT_TRANS_STANDARD = 0, /* (x - m) / sqrt(m) */
    DETECT_TRANS_ROSSI,        /* (x - 3m + 2 sqrt(x m)) / (2 sqrt(m)) */
    DETECT_TRANS_ANSCOMBE,     /* 3/2 (x^(2/3) - m^(2/3)) / m^(1/6) */
    DETECT_TRANS_ANSCOMBE2ND,  /* second-order Anscombe (Pierce-Schafer) */
    DETECT_TRANS_PEARSON_NB,   /* (x - m) / sqrt(m + alpha m^2) */
    DETECT_TRANS_NONE          /* x */
} detect_trans;

/* Farrington power transformation (`powertrans`). */
typedef enum { DETECT_POW_2_3 = 0, DETECT_POW_1_2, DETECT_POW_NONE } detect_powertrans;

/*
 * Parameters of all detectors; each method reads only its own fields.
 * detect_params_default() fills the defaults R uses when the control list
 * names only the method.
 */
typedef struct {
    detect_method method;
    /* EARS */
    int baseline;      /* reference periods, >= 3 (R default 7) */
    double alpha;      /* EARS: 0.001 (C3: 0.025); Farrington: 0.05; CUSUM
                          pearsonNegBin: the NB alpha, 0.1 */
    double min_sigma;  /* EARS minSigma, >= 0 (default 0) */
    /* CUSUM */
    double k, h;       /* reference value 1.04 and decision interval 2.26 */
    int m_given;       /* 0: m = mean of the periods before range_start */
    double m;          /* used when m_given */
    detect_trans trans;
    /* Farrington (classic and flexible) */
    int b, w;          /* years back (5) and half window (3) */
    int freq;          /* periods per year: 52, 12 or 365 (default 52) */
    int reweight;      /* 1: down-weight past outbreaks (default 1) */
    int trend;         /* 1: consider a time trend (default 1) */
    int limit54_cases, limit54_period; /* c(5, 4) */
    detect_powertrans powertrans;      /* "2/3" */
    /* farringtonFlexible only */
    double weights_threshold;   /* 2.58 (classic uses 1, fixed) */
    double p_threshold_trend;   /* 0.05 (classic uses 0.05, fixed) */
    int no_periods;             /* noPeriods, default 1 */
    int past_weeks_not_included; /* -1: default, equal to w */
} detect_params;

/* One evaluated period: what was seen, what was expected, why (not) alarm. */
typedef struct {
    int64_t pos;       /* 1-based position in the series */
    double observed;
    double expected;   /* EARS baseline mean, CUSUM m, Farrington mu0
                          (also when R reports NA for lack of cases) */
    double spread;     /* EARS sigma (after minSigma), Farrington phi,
                          CUSUM: NaN */
    double stat;       /* EARS C statistic, CUSUM sum S_t, Farrington
                          exceedance score X (NaN when not computed) */
    double upperbound; /* the alarm threshold; NaN = R's NA */
    int alarm;         /* 1 when this period raises a warning, 0 when not,
                          -1 when R's alarm is NA (EARS C3 or CUSUM on a
                          constant all-zero history, a Farrington flexible
                          model that did not converge) */
    int trend;         /* Farrington: 1 when the time trend was kept */
    int enough_cases;  /* Farrington: the limit54 rule was satisfied */
} detect_point;

/* Fills p with R's defaults for method m (see the field comments). */
void detect_params_default(detect_params *p, detect_method m);

/* Parses "ears-c1" ... "farrington-flexible" into *m; JC_ERR_INVALID when
 * the name is unknown. */
jc_err detect_method_parse(const char *name, detect_method *m) JC_MUST_CHECK;
/* The CLI name of a method ("ears-c1" ...); never NULL. */
const char *detect_method_name(detect_method m);
/* Parses "standard", "rossi", "anscombe", "anscombe2nd", "pearsonNegBin",
 * "none"; JC_ERR_INVALID otherwise. */
jc_err detect_trans_parse(const char *name, detect_trans *t) JC_MUST_CHECK;

/* The first position R accepts (and uses by default) for method p->method
 * on a series of length n, e.g. baseline + 1 for C1; 0 when the series is
 * too short for any evaluation. */
size_t detect_default_range_start(const detect_params *p, size_t n);

/*
 * Runs the detector p->method over counts[0..n) and evaluates positions
 * range_start..range_end (1-based, inclusive; 0 for either selects R's
 * default).  dates (days since 1970-01-01, one per count, strictly
 * increasing) may be NULL; when given, both Farrington methods locate
 * their reference weeks by calendar date as R does for an sts with
 * epochAsDate = TRUE (classic: weekly and daily data only; monthly data
 * always go by position), otherwise by position (freq periods a year).
 *
 * out must have room for range_end - range_start + 1 points; *out_n gets
 * the number written.  Errors: JC_ERR_INVALID for bad parameters, negative
 * or non-finite counts, or a range that needs history before position 1
 * (R stops there too); JC_ERR_NOMEM.  Nothing is kept after return.
 */
jc_err detect_run(const double *counts, const int64_t *dates, size_t n,
                  const detect_params *p, size_t range_start, size_t range_end,
                  detect_point *out, size_t *out_n) JC_MUST_CHECK;

/*
 * Writes a one-line human explanation of pt ("observed 12 > upperbound
 * 9.97 (mean 4.1 + 2.878*sd 2.0 over 7 weeks) -> warning") into buf
 * (always NUL-terminated, truncated to bufsz).  Returns the length that
 * the full text needs, as snprintf does.
 */
int detect_explain(const detect_point *pt, const detect_params *p, char *buf, size_t bufsz);

/* ---- input ----------------------------------------------------------- */

/* A count series read from CSV; free with detect_series_free. */
typedef struct {
    size_t n;
    int64_t *idx;    /* the idx column, consecutive integers */
    double *counts;  /* non-negative integers */
    int64_t *dates;  /* days since 1970-01-01, or NULL without a date column */
} detect_series;

#define DETECT_MAX_ROWS 10000000u /* cap on rows read from input */

/*
 * Parses CSV text with a header row and the columns idx,count or
 * idx,date,count (names case-insensitive, fields quoted or not; date is
 * YYYY-MM-DD).  idx must increase by exactly 1 per row; counts must be
 * non-negative integers.  On success *out owns the arrays (caller frees
 * with detect_series_free).  On failure returns JC_ERR_INVALID (or
 * JC_ERR_TOOBIG past DETECT_MAX_ROWS, JC_ERR_NOMEM), leaves *out empty and
 * writes a message naming the line into err (errsz bytes).
 */
jc_err detect_series_parse_csv(const char *text, size_t len, detect_series *out,
                               char *err, size_t errsz) JC_MUST_CHECK;
/* Frees the arrays of s and empties it; NULL is a no-op. */
void detect_series_free(detect_series *s);

/* Days since 1970-01-01 of a proleptic Gregorian date; no validation. */
int64_t detect_days_from_civil(int y, int m, int d);

#endif
