/*
 * detect.c -- the early-warning detectors declared in detect.h: EARS C1/C2/C3,
 * CUSUM, Farrington (classic) and farringtonFlexible, plus the CSV reader
 * for a count series.
 *
 * Design notes.
 *  - Each detector follows R package `surveillance` 1.20.3 step by step,
 *    including its quirks, because the product promise is "the same alarms
 *    as R".  Where R does something surprising the comment says so
 *    ("R quirk").  The R sources were read, not copied.
 *  - Farrington fits a quasi-Poisson log-linear GLM.  glm_fit() reproduces
 *    R's glm.fit() iteration by iteration (start mu = y + 0.1, IRLS solved
 *    by a Householder QR, the deviance convergence test with epsilon 1e-8,
 *    at most 25 iterations) and keeps, as R does, the working weights and
 *    the QR of the *last* iteration: summary.glm's dispersion, hatvalues and
 *    predict's standard errors are all computed from those, so copying the
 *    iteration is what makes the thresholds agree to ~1e-12.
 *  - The numbers of the normal and t distributions are computed here:
 *    qnorm by Wichura's AS 241 (the algorithm R uses) and pt through the
 *    regularised incomplete beta function of dist.c.
 */
#include "detect.h"
#include "dist.h"

#include <csv.h>
#include <ctype.h>
#include <stdarg.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define GLM_MAXP 64     /* most coefficients: intercept, trend, 62 seasons */
#define GLM_EPS 1e-8    /* glm.control()$epsilon */
#define GLM_MAXIT 25    /* glm.control()$maxit */
#define QR_TOL 1e-11    /* min(1e-7, epsilon / 1000), as glm.fit passes */

/* ====================================================================== */
/* Distributions                                                          */
/* ====================================================================== */

/* Quantile of the standard normal, Wichura (1988) AS 241 PPND16. */
static double qnorm_std(double p) {
    if (!(p > 0 && p < 1)) return p == 0 ? -INFINITY : p == 1 ? INFINITY : NAN;
    double q = p - 0.5, r, val;
    if (fabs(q) <= 0.425) {
        r = 0.180625 - q * q;
        val = q * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r +
                        67265.770927008700853) * r + 45921.953931549871457) * r +
                      13731.693765509461125) * r + 1971.5909503065514427) * r +
                    133.14166789178437745) * r + 3.387132872796366608) /
              (((((((r * 5226.495278852545925 + 28729.085735721942674) * r +
                    39307.89580009271061) * r + 21213.794301586595867) * r +
                  5394.1960214247511077) * r + 687.1870074920579083) * r +
                42.313330701600911252) * r + 1.0);
        return val;
    }
    r = q < 0 ? p : 1 - p;
    r = sqrt(-log(r));
    if (r <= 5) {
        r -= 1.6;
        val = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r +
                    0.24178072517745061177) * r + 1.27045825245236838258) * r +
                  3.64784832476320460504) * r + 5.7694972214606914055) * r +
                4.6303378461565452959) * r + 1.42343711074968357734) /
              (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r +
                    0.0151986665636164571966) * r + 0.14810397642748007459) * r +
                  0.68976733498510000455) * r + 1.6763848301838038494) * r +
                2.05319162663775882187) * r + 1.0);
    } else {
        r -= 5;
        val = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r +
                    0.0012426609473880784386) * r + 0.026532189526576123093) * r +
                  0.29656057182850489123) * r + 1.7848265399172913358) * r +
                5.4637849111641143699) * r + 6.6579046435011037772) /
              (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r +
                    1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r +
                  0.0148753612908506148525) * r + 0.13692988092273580531) * r +
                0.59983220655588793769) * r + 1.0);
    }
    return q < 0 ? -val : val;
}

/* P(T <= t) for Student's t with df degrees of freedom. */
static double pt_lower(double t, double df) {
    if (isnan(t) || !(df > 0)) return NAN;
    double tail = 0.5 * dist_beta_reg(df / (df + t * t), df / 2, 0.5);
    return t < 0 ? tail : 1 - tail;
}

/* ====================================================================== */
/* Parameters                                                             */
/* ====================================================================== */

static const char *const method_names[] = {
    [DETECT_EARS_C1] = "ears-c1",       [DETECT_EARS_C2] = "ears-c2",
    [DETECT_EARS_C3] = "ears-c3",       [DETECT_CUSUM] = "cusum",
    [DETECT_FARRINGTON] = "farrington", [DETECT_FARRINGTON_FLEX] = "farrington-flexible",
};

static const char *const trans_names[] = {
    [DETECT_TRANS_STANDARD] = "standard",       [DETECT_TRANS_ROSSI] = "rossi",
    [DETECT_TRANS_ANSCOMBE] = "anscombe",       [DETECT_TRANS_ANSCOMBE2ND] = "anscombe2nd",
    [DETECT_TRANS_PEARSON_NB] = "pearsonNegBin", [DETECT_TRANS_NONE] = "none",
};

void detect_params_default(detect_params *p, detect_method m) {
    memset(p, 0, sizeof *p);
    p->method = m;
    p->baseline = 7;
    p->min_sigma = 0;
    /* R quirk: earsC's formal default is alpha = 0.001, but a control list
     * that names the method and omits alpha gives C3 alpha = 0.025. */
    p->alpha = m == DETECT_EARS_C3 ? 0.025
             : m == DETECT_CUSUM ? 0.1
             : (m == DETECT_FARRINGTON || m == DETECT_FARRINGTON_FLEX) ? 0.05
             : 0.001;
    p->k = 1.04;
    p->h = 2.26;
    p->m_given = 0;
    p->trans = DETECT_TRANS_STANDARD;
    p->b = 5;
    p->w = 3;
    p->freq = 52;
    p->reweight = 1;
    p->trend = 1;
    p->limit54_cases = 5;
    p->limit54_period = 4;
    p->powertrans = DETECT_POW_2_3;
    p->weights_threshold = m == DETECT_FARRINGTON_FLEX ? 2.58 : 1.0;
    p->p_threshold_trend = 0.05;
    p->no_periods = 1;
    p->past_weeks_not_included = -1;
}

jc_err detect_method_parse(const char *name, detect_method *m) {
    for (size_t i = 0; name && i < JC_ARRAY_LEN(method_names); i++)
        if (!strcmp(name, method_names[i])) {
            *m = (detect_method)i;
            return JC_OK;
        }
    return JC_ERR_INVALID;
}

const char *detect_method_name(detect_method m) {
    return (size_t)m < JC_ARRAY_LEN(method_names) ? method_names[m] : "unknown";
}

jc_err detect_trans_parse(const char *name, detect_trans *t) {
    for (size_t i = 0; name && i < JC_ARRAY_LEN(trans_names); i++)
        if (!strcmp(name, trans_names[i])) {
            *t = (detect_trans)i;
            return JC_OK;
        }
    return JC_ERR_INVALID;
}

/* How many periods before the first evaluated one a method needs. */
static size_t history_needed(const detect_params *p) {
    switch (p->method) {
    case DETECT_EARS_C1: return (size_t)p->baseline;
    case DETECT_EARS_C2: return (size_t)p->baseline + 2;
    case DETECT_EARS_C3: return (size_t)p->baseline + 4;
    case DETECT_CUSUM: return p->m_given ? 0 : 1;
    /* classic drops reference weeks before position 1 (R warns); the
     * limit54 sum needs its window */
    case DETECT_FARRINGTON: return (size_t)p->limit54_period - 1;
    /* flexible: checked per point, the reference weeks must exist */
    case DETECT_FARRINGTON_FLEX: return (size_t)p->limit54_period - 1;
    }
    return 0;
}

size_t detect_default_range_start(const detect_params *p, size_t n) {
    size_t s;
    switch (p->method) {
    case DETECT_EARS_C1: s = (size_t)p->baseline + 1; break;
    case DETECT_EARS_C2: s = (size_t)p->baseline + 3; break;
    case DETECT_EARS_C3: s = (size_t)p->baseline + 5; break;
    case DETECT_CUSUM: s = 2; break; /* algo.cusum has no default; 2 is the first usable */
    case DETECT_FARRINGTON: s = (size_t)p->freq * p->b - p->w; break;
    default: s = (size_t)p->freq * p->b + p->w + 1; break;
    }
    return s <= n ? s : 0;
}

static jc_err check_params(const detect_params *p) {
    switch (p->method) {
    case DETECT_EARS_C1:
    case DETECT_EARS_C2:
    case DETECT_EARS_C3:
        if (p->baseline < 3 || p->baseline > 100000) return JC_ERR_INVALID;
        if (!(p->min_sigma >= 0) || !isfinite(p->min_sigma)) return JC_ERR_INVALID;
        if (!(p->alpha > 0 && p->alpha < 1)) return JC_ERR_INVALID;
        return JC_OK;
    case DETECT_CUSUM:
        if (!isfinite(p->k) || !isfinite(p->h)) return JC_ERR_INVALID;
        if (p->m_given && !(p->m > 0 && isfinite(p->m))) return JC_ERR_INVALID;
        if ((size_t)p->trans >= JC_ARRAY_LEN(trans_names)) return JC_ERR_INVALID;
        if (p->trans == DETECT_TRANS_PEARSON_NB && !(p->alpha >= 0)) return JC_ERR_INVALID;
        return JC_OK;
    case DETECT_FARRINGTON:
    case DETECT_FARRINGTON_FLEX:
        if (p->b < 1 || p->b > 100 || p->w < 0 || p->w > 1000) return JC_ERR_INVALID;
        if (p->freq != 52 && p->freq != 12 && p->freq != 365) return JC_ERR_INVALID;
        if (!(p->alpha > 0 && p->alpha < 1)) return JC_ERR_INVALID;
        if (p->limit54_cases < 0 || p->limit54_period <= 0) return JC_ERR_INVALID;
        if ((unsigned)p->powertrans > DETECT_POW_NONE) return JC_ERR_INVALID;
        if (p->method == DETECT_FARRINGTON_FLEX) {
            if (p->no_periods < 1 || p->no_periods > GLM_MAXP - 2) return JC_ERR_INVALID;
            if (p->past_weeks_not_included < -1) return JC_ERR_INVALID;
            if (!isfinite(p->weights_threshold) || !(p->p_threshold_trend >= 0))
                return JC_ERR_INVALID;
        }
        return JC_OK;
    }
    return JC_ERR_INVALID;
}

/* ====================================================================== */
/* EARS C1, C2, C3 (earsC)                                                */
/* ====================================================================== */

/* Mean and sample standard deviation of x[0..n), as R's mean() (a second
 * correcting pass) and sd() (sum of squared deviations over n - 1). */
static void mean_sd(const double *x, int n, double *mean, double *sd) {
    double s = 0, c = 0, ss = 0;
    for (int i = 0; i < n; i++) s += x[i];
    double m = s / n;
    for (int i = 0; i < n; i++) c += x[i] - m;
    m += c / n;
    for (int i = 0; i < n; i++) ss += (x[i] - m) * (x[i] - m);
    *mean = m;
    *sd = sqrt(ss / (n - 1));
}

/* The C2 reference window of 1-based position t: t-baseline-2 .. t-3. */
static void c2_ref(const double *y, int64_t t, int baseline, double *mean, double *sd) {
    mean_sd(y + (t - baseline - 2) - 1, baseline, mean, sd);
}

static void run_ears(const double *y, const detect_params *p, size_t lo, size_t hi,
                     detect_point *out) {
    double z = qnorm_std(1 - p->alpha);
    int B = p->baseline;
    for (size_t t = lo; t <= hi; t++) {
        detect_point *pt = &out[t - lo];
        double mean, sd;
        memset(pt, 0, sizeof *pt);
        pt->pos = (int64_t)t;
        pt->observed = y[t - 1];
        if (p->method == DETECT_EARS_C1) {
            mean_sd(y + (t - B) - 1, B, &mean, &sd);
        } else {
            c2_ref(y, (int64_t)t, B, &mean, &sd);
        }
        double sig = fmax(sd, p->min_sigma);
        if (p->method != DETECT_EARS_C3) {
            pt->expected = mean;
            pt->spread = sig;
            pt->upperbound = mean + z * sig;
            pt->stat = (pt->observed - mean) / sig;
        } else {
            /* C3: the C2 statistics of t-2 and t-1 (each above 1) lower the
             * threshold: ub = y_t + sigma_t (z - sum max(0, C2 - 1)).  The
             * C2 statistic here divides by max(sd, minSigma), as R does. */
            double part = 0;
            for (int lag = 2; lag >= 1; lag--) {
                double m2, s2;
                c2_ref(y, (int64_t)t - lag, B, &m2, &s2);
                double c2 = (y[t - lag - 1] - m2) / fmax(s2, p->min_sigma);
                part += fmax(0.0, c2 - 1); /* R's pmax(0, NaN) is NaN, as fmax is not */
                if (isnan(c2)) part = NAN;
            }
            double ub = pt->observed + sig * (z - part);
            /* R quirk: pmax(0, NaN) keeps NaN, and then alarm is NA. */
            pt->upperbound = isnan(ub) ? NAN : fmax(0.0, ub);
            pt->expected = mean;
            pt->spread = sig;
            pt->stat = (pt->observed - mean) / sig + part; /* the C3 statistic */
        }
        /* R: y > NA is NA */
        pt->alarm = isnan(pt->upperbound) ? -1 : pt->observed > pt->upperbound;
    }
}

/* ====================================================================== */
/* CUSUM (algo.cusum)                                                     */
/* ====================================================================== */

static double cusum_standardise(detect_trans tr, double x, double m, double alpha) {
    switch (tr) {
    case DETECT_TRANS_ROSSI: return (x - 3 * m + 2 * sqrt(x * m)) / (2 * sqrt(m));
    case DETECT_TRANS_STANDARD: return (x - m) / sqrt(m);
    case DETECT_TRANS_ANSCOMBE: return 1.5 * (pow(x, 2.0 / 3) - pow(m, 2.0 / 3)) / pow(m, 1.0 / 6);
    case DETECT_TRANS_ANSCOMBE2ND:
        return (pow(x, 2.0 / 3) - (pow(m, 2.0 / 3) - pow(m, -1.0 / 3) / 9)) /
               (2.0 / 3 * pow(m, 1.0 / 6));
    case DETECT_TRANS_PEARSON_NB: return (x - m) / sqrt(m + alpha * m * m);
    case DETECT_TRANS_NONE: return x;
    }
    return NAN;
}

/* The observation that would bring the sum to h given the previous sum c. */
static double cusum_bound(detect_trans tr, double m, double h, double k, double c,
                          double cur, double alpha) {
    double v, a;
    switch (tr) {
    case DETECT_TRANS_ROSSI:
        v = 2 * h * sqrt(m) + 2 * k * sqrt(m) - 2 * c * sqrt(m) + 5 * m -
            2 * sqrt(4 * m * m + 2 * pow(m, 1.5) * h + 2 * pow(m, 1.5) * k - 2 * pow(m, 1.5) * c);
        break;
    case DETECT_TRANS_STANDARD: v = ceil(sqrt(m) * (h + k - c) + m); break;
    case DETECT_TRANS_ANSCOMBE:
        a = 2.0 / 3 * pow(m, 1.0 / 6) * (h + k - c) + pow(m, 2.0 / 3);
        v = a < 0 ? 0 : pow(a, 1.5);
        break;
    case DETECT_TRANS_ANSCOMBE2ND:
        /* as R writes it: m^(1/3)/9 here, m^(-1/3)/9 in the forward map */
        a = 2.0 / 3 * pow(m, 1.0 / 6) * (h + k - c) + (pow(m, 2.0 / 3) - pow(m, 1.0 / 3) / 9);
        v = a < 0 ? 0 : pow(a, 1.5);
        break;
    case DETECT_TRANS_PEARSON_NB: v = sqrt(m + alpha * m * m) * (h + k - c) + m; break;
    default: v = h - cur; break;
    }
    if (isnan(v) || v < 0) v = 0; /* R: upperbound[is.na] <- 0, [< 0] <- 0 */
    return v;
}

static void run_cusum(const double *y, const detect_params *p, size_t lo, size_t hi,
                      detect_point *out) {
    double m = p->m;
    if (!p->m_given) {
        double s = 0;
        for (size_t i = 0; i + 1 < lo; i++) s += y[i];
        m = s / (double)(lo - 1);
    }
    double c = 0;
    for (size_t t = lo; t <= hi; t++) {
        detect_point *pt = &out[t - lo];
        memset(pt, 0, sizeof *pt);
        pt->pos = (int64_t)t;
        pt->observed = y[t - 1];
        pt->expected = m;
        pt->spread = NAN;
        double z = cusum_standardise(p->trans, pt->observed, m, p->alpha);
        double cur = fmax(0.0, c + (z - p->k));
        if (isnan(c + (z - p->k))) cur = NAN;
        pt->stat = cur;
        pt->upperbound = cusum_bound(p->trans, m, p->h, p->k, c, cur, p->alpha);
        pt->alarm = isnan(cur) ? -1 : cur >= p->h;
        c = cur;
    }
}

/* ====================================================================== */
/* Quasi-Poisson GLM by IRLS, as R's glm.fit                              */
/* ====================================================================== */

/* Workspace and result of one fit; arrays sized for nmax rows. */
typedef struct {
    size_t nmax;
    int n, p;           /* rows and columns of the current problem */
    double *X;          /* n x p design, row-major (input) */
    double *y, *pw;     /* response and prior weights (input) */
    double *mu, *eta, *wt, *res; /* fitted, linear predictor, w^2, working residuals */
    double *A;          /* weighted design, column-major n x p, then QR */
    double *z;          /* weighted working response */
    double *hat;        /* hat values */
    double *zc;         /* Q^T z scratch */
    double qraux[GLM_MAXP];
    int pivot[GLM_MAXP];
    int rank;
    double beta[GLM_MAXP]; /* by original column; NaN when aliased */
    int converged;
    int df_r;
} glm_ws;

static void glm_ws_free(glm_ws *g) {
    free(g->X);
    free(g->y);
    free(g->pw);
    free(g->mu);
    free(g->eta);
    free(g->wt);
    free(g->res);
    free(g->A);
    free(g->z);
    free(g->hat);
    free(g->zc);
    memset(g, 0, sizeof *g);
}

static jc_err glm_ws_init(glm_ws *g, size_t nmax) {
    memset(g, 0, sizeof *g);
    g->nmax = nmax ? nmax : 1;
    g->X = calloc(g->nmax * GLM_MAXP, sizeof(double));
    g->A = calloc(g->nmax * GLM_MAXP, sizeof(double));
    double **v[] = {&g->y, &g->pw, &g->mu, &g->eta, &g->wt, &g->res, &g->z, &g->hat, &g->zc};
    for (size_t i = 0; i < JC_ARRAY_LEN(v); i++) *v[i] = calloc(g->nmax, sizeof(double));
    int bad = !g->X || !g->A;
    for (size_t i = 0; i < JC_ARRAY_LEN(v); i++) bad |= !*v[i];
    if (bad) {
        glm_ws_free(g);
        return JC_ERR_NOMEM;
    }
    return JC_OK;
}

#define ACOL(g, j) ((g)->A + (size_t)(j) * (size_t)(g)->n)

static double col_norm(const double *x, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += x[i] * x[i];
    return sqrt(s);
}

/*
 * Householder QR of A (n x p, column-major) with LINPACK dqrdc2's limited
 * pivoting: a column whose remaining norm falls below QR_TOL times its
 * original norm is moved to the end and not used (rank deficiency).
 */
static void qr_decompose(glm_ws *g) {
    int n = g->n, p = g->p;
    double orig[GLM_MAXP];
    for (int j = 0; j < p; j++) {
        g->pivot[j] = j;
        orig[j] = col_norm(ACOL(g, j), n);
        if (orig[j] == 0) orig[j] = 1;
    }
    int k = p; /* columns [k, p) are aliased */
    int lup = n < p ? n : p;
    for (int l = 0; l < lup && l < k; l++) {
        /* cycle negligible columns to the end */
        for (;;) {
            double *c = ACOL(g, l);
            double rn = col_norm(c + l, n - l);
            if (l >= k || rn >= QR_TOL * orig[l]) break;
            /* rotate column l to position p-1 */
            int pv = g->pivot[l];
            double on = orig[l];
            double *save = g->z; /* scratch of n doubles (z is rebuilt later) */
            memcpy(save, c, (size_t)n * sizeof(double));
            for (int j = l; j < p - 1; j++) {
                memcpy(ACOL(g, j), ACOL(g, j + 1), (size_t)n * sizeof(double));
                g->pivot[j] = g->pivot[j + 1];
                orig[j] = orig[j + 1];
            }
            memcpy(ACOL(g, p - 1), save, (size_t)n * sizeof(double));
            g->pivot[p - 1] = pv;
            orig[p - 1] = on;
            k--;
            if (l >= k) break;
        }
        if (l >= k) break;
        double *c = ACOL(g, l);
        double nrm = col_norm(c + l, n - l);
        if (nrm == 0) continue;
        if (c[l] != 0) nrm = copysign(nrm, c[l]);
        for (int i = l; i < n; i++) c[i] /= nrm;
        c[l] += 1;
        for (int j = l + 1; j < p; j++) {
            double *cj = ACOL(g, j), t = 0;
            for (int i = l; i < n; i++) t -= c[i] * cj[i];
            t /= c[l];
            for (int i = l; i < n; i++) cj[i] += t * c[i];
        }
        g->qraux[l] = c[l];
        c[l] = -nrm;
    }
    g->rank = k < lup ? k : lup;
}

/* Applies Q^T (transposed Householder product) to v (length n). */
static void qr_qty(const glm_ws *g, double *v) {
    for (int l = 0; l < g->rank; l++) {
        const double *c = ACOL(g, l);
        double diag = c[l];
        ((double *)c)[l] = g->qraux[l];
        double t = 0;
        for (int i = l; i < g->n; i++) t -= c[i] * v[i];
        t /= c[l];
        for (int i = l; i < g->n; i++) v[i] += t * c[i];
        ((double *)c)[l] = diag;
    }
}

/* Applies Q (Householder product) to v (length n). */
static void qr_qy(const glm_ws *g, double *v) {
    for (int l = g->rank - 1; l >= 0; l--) {
        const double *c = ACOL(g, l);
        double diag = c[l];
        ((double *)c)[l] = g->qraux[l];
        double t = 0;
        for (int i = l; i < g->n; i++) t -= c[i] * v[i];
        t /= c[l];
        for (int i = l; i < g->n; i++) v[i] += t * c[i];
        ((double *)c)[l] = diag;
    }
}

/* R(i, j) of the QR, i <= j < rank (in pivoted order). */
static double qr_r(const glm_ws *g, int i, int j) { return ACOL(g, j)[i]; }

/* Solves R^T v = x in place (x in pivoted order, length rank). */
static void qr_solve_rt(const glm_ws *g, double *x) {
    for (int i = 0; i < g->rank; i++) {
        double s = x[i];
        for (int j = 0; j < i; j++) s -= qr_r(g, j, i) * x[j];
        x[i] = s / qr_r(g, i, i);
    }
}

static double pois_dev(const double *y, const double *mu, const double *pw, int n) {
    double d = 0;
    for (int i = 0; i < n; i++) {
        double r = y[i] > 0 ? pw[i] * (y[i] * log(y[i] / mu[i]) - (y[i] - mu[i])) : mu[i] * pw[i];
        d += 2 * r;
    }
    return d;
}

/*
 * Fits log E[y] = X beta with prior weights pw by IRLS exactly as glm.fit
 * (family quasipoisson, log link).  Sets converged, beta, mu, wt (w^2 of the
 * last iteration), res (working residuals at the final mu), the QR of the
 * last weighted design, rank and df_r.  Returns JC_ERR_INTERNAL when no
 * valid coefficients exist.
 */
static jc_err glm_fit(glm_ws *g) {
    int n = g->n, p = g->p;
    double start[GLM_MAXP], coefold[GLM_MAXP];
    int have_old = 0;
    for (int i = 0; i < n; i++) {
        g->eta[i] = log(g->y[i] + 0.1);
        g->mu[i] = g->y[i] + 0.1;
    }
    double devold = pois_dev(g->y, g->mu, g->pw, n), dev = devold;
    g->converged = 0;
    for (int it = 1; it <= GLM_MAXIT; it++) {
        for (int i = 0; i < n; i++) {
            double me = fmax(exp(g->eta[i]), DBL_EPSILON);
            double zi = g->eta[i] + (g->y[i] - g->mu[i]) / me;
            double w = sqrt(g->pw[i] * me * me / g->mu[i]);
            g->wt[i] = w * w;
            g->z[i] = zi * w;
            for (int j = 0; j < p; j++) ACOL(g, j)[i] = g->X[(size_t)i * p + j] * w;
        }
        /* qr_decompose uses g->z as scratch when it pivots: keep a copy */
        double *zc = g->zc;
        memcpy(zc, g->z, (size_t)n * sizeof(double));
        qr_decompose(g);
        qr_qty(g, zc);
        double b[GLM_MAXP];
        for (int i = g->rank - 1; i >= 0; i--) {
            double s = zc[i];
            for (int j = i + 1; j < g->rank; j++) s -= qr_r(g, i, j) * b[j];
            b[i] = s / qr_r(g, i, i);
        }
        for (int j = 0; j < p; j++) start[j] = 0;
        int finite = 1;
        for (int j = 0; j < g->rank; j++) {
            start[g->pivot[j]] = b[j];
            if (!isfinite(b[j])) finite = 0;
        }
        if (!finite) break; /* R: non-finite coefficients, not converged */
        for (int i = 0; i < n; i++) {
            double e = 0;
            for (int j = 0; j < p; j++) e += g->X[(size_t)i * p + j] * start[j];
            g->eta[i] = e;
            g->mu[i] = fmax(exp(e), DBL_EPSILON);
        }
        dev = pois_dev(g->y, g->mu, g->pw, n);
        /* step halving when the deviance or mu is not finite, as R does */
        int ii = 0;
        for (;;) {
            int ok = isfinite(dev);
            for (int i = 0; ok && i < n; i++) ok = isfinite(g->mu[i]) && g->mu[i] > 0;
            if (ok) break;
            if (!have_old || ++ii > GLM_MAXIT) return JC_ERR_INTERNAL;
            for (int j = 0; j < p; j++) start[j] = (start[j] + coefold[j]) / 2;
            for (int i = 0; i < n; i++) {
                double e = 0;
                for (int j = 0; j < p; j++) e += g->X[(size_t)i * p + j] * start[j];
                g->eta[i] = e;
                g->mu[i] = fmax(exp(e), DBL_EPSILON);
            }
            dev = pois_dev(g->y, g->mu, g->pw, n);
        }
        if (fabs(dev - devold) / (fabs(dev) + 0.1) < GLM_EPS) {
            g->converged = 1;
            break;
        }
        devold = dev;
        memcpy(coefold, start, sizeof start);
        have_old = 1;
    }
    for (int j = 0; j < p; j++) g->beta[j] = start[j];
    for (int j = g->rank; j < p; j++) g->beta[g->pivot[j]] = NAN;
    for (int i = 0; i < n; i++) g->res[i] = (g->y[i] - g->mu[i]) / fmax(exp(g->eta[i]), DBL_EPSILON);
    int nok = 0;
    for (int i = 0; i < n; i++) nok += g->pw[i] != 0;
    g->df_r = nok - g->rank;
    return JC_OK;
}

/* summary.glm(model)$dispersion with working weights wts (NULL: g->wt). */
static double glm_dispersion(const glm_ws *g, const double *wts) {
    if (!wts) wts = g->wt;
    if (g->df_r <= 0) return NAN;
    double s = 0;
    for (int i = 0; i < g->n; i++)
        if (wts[i] > 0) s += wts[i] * g->res[i] * g->res[i];
    return s / g->df_r;
}

/* Hat values of the last weighted least-squares problem into g->hat. */
static void glm_hat(glm_ws *g, double *scratch) {
    for (int i = 0; i < g->n; i++) g->hat[i] = 0;
    for (int j = 0; j < g->rank; j++) {
        for (int i = 0; i < g->n; i++) scratch[i] = i == j;
        qr_qy(g, scratch);
        for (int i = 0; i < g->n; i++) g->hat[i] += scratch[i] * scratch[i];
    }
}

/* x0' (X'WX)^-1 x0 for a new design row x0 (original column order). */
static double glm_xvx(const glm_ws *g, const double *x0) {
    double v[GLM_MAXP];
    for (int j = 0; j < g->rank; j++) v[j] = x0[g->pivot[j]];
    qr_solve_rt(g, v);
    double s = 0;
    for (int j = 0; j < g->rank; j++) s += v[j] * v[j];
    return s;
}

/* Linear predictor at x0 (aliased coefficients count as 0, as predict.lm). */
static double glm_eta0(const glm_ws *g, const double *x0) {
    double e = 0;
    for (int j = 0; j < g->p; j++)
        if (!isnan(g->beta[j])) e += g->beta[j] * x0[j];
    return e;
}

/* Two-sided p-value of coefficient j from summary.glm (t test); NaN when
 * the coefficient is aliased. */
static double glm_pvalue(const glm_ws *g, int j, double disp) {
    int pj = -1;
    for (int i = 0; i < g->rank; i++)
        if (g->pivot[i] == j) pj = i;
    if (pj < 0 || g->df_r <= 0) return NAN;
    /* the unscaled variance (R^T R)^-1 at (pj, pj) is ||R^-T e_pj||^2 */
    double v[GLM_MAXP];
    for (int i = 0; i < g->rank; i++) v[i] = i == pj;
    qr_solve_rt(g, v);
    double s = 0;
    for (int i = 0; i < g->rank; i++) s += v[i] * v[i];
    double t = g->beta[j] / sqrt(disp * s);
    return 2 * pt_lower(-fabs(t), g->df_r);
}

/* Farrington's weights from standardised Anscombe residuals (s > thr get
 * s^-2), scaled to sum to the number of observations. */
static void farrington_weights(const double *s, int n, double thr, double *omega) {
    double den = 0;
    for (int i = 0; i < n; i++) den += s[i] > thr ? 1 / (s[i] * s[i]) : 1;
    double gamma = n / den;
    for (int i = 0; i < n; i++) omega[i] = s[i] > thr ? gamma / (s[i] * s[i]) : gamma;
}

/*
 * The fit of one Farrington step: glm on the design (trend column 1 when
 * with_trend), then optionally the reweighted refit.  With flex the R
 * quirks of algo.farrington.fitGLM.flexible are kept: no fallback fit is
 * accepted when the model without trend does not converge either (returns
 * JC_ERR_NOTFOUND, R returns NULL), and after reweighting model$weights is
 * replaced by omega, which changes the dispersion summary.glm reports
 * later (*disp_summary) -- but not phi.
 */
typedef struct {
    int with_trend;     /* the trend column was kept in the final fit */
    double phi;         /* max(dispersion, 1) */
    double disp_summary; /* what summary.glm(model)$dispersion returns */
} farr_fit;

/* Builds the design for rows (response y, trend t, season s) into g. */
static void farr_design(glm_ws *g, int n, const double *y, const double *t, const int *season,
                        int nseason, int trend) {
    g->n = n;
    g->p = 1 + (trend ? 1 : 0) + (nseason > 1 ? nseason - 1 : 0);
    for (int i = 0; i < n; i++) {
        double *row = g->X + (size_t)i * g->p;
        int c = 0;
        row[c++] = 1;
        if (trend) row[c++] = t[i];
        for (int s = 2; s <= nseason; s++) row[c++] = season && season[i] == s;
        g->y[i] = y[i];
        g->pw[i] = 1;
    }
}

static jc_err farr_fit_once(glm_ws *g, int n, const double *y, const double *t,
                            const int *season, int nseason, int trend, int reweight,
                            double thr, int flex, double *scratch, farr_fit *out) {
    farr_design(g, n, y, t, season, nseason, trend);
    jc_err e = glm_fit(g);
    if (e) return e;
    if (!g->converged && trend) {
        trend = 0;
        farr_design(g, n, y, t, season, nseason, 0);
        e = glm_fit(g);
        if (e) return e;
    }
    if (!g->converged && flex) return JC_ERR_NOTFOUND;
    double phi = fmax(glm_dispersion(g, NULL), 1);
    double disp_summary = 0;
    if (reweight) {
        glm_hat(g, scratch);
        double *s = scratch, *omega_keep = scratch + n;
        for (int i = 0; i < n; i++) {
            double mu = g->mu[i];
            double a = 1.5 * (pow(y[i], 2.0 / 3) * pow(mu, -1.0 / 6) - sqrt(mu));
            s[i] = a / sqrt(phi * (1 - g->hat[i]));
        }
        farrington_weights(s, n, thr, omega_keep);
        for (int i = 0; i < n; i++) g->pw[i] = omega_keep[i];
        e = glm_fit(g);
        if (e) return e;
        phi = fmax(glm_dispersion(g, NULL), 1);
        /* flexible: model$weights <- omega (prior weights, not omega * mu) */
        disp_summary = flex ? glm_dispersion(g, omega_keep) : glm_dispersion(g, NULL);
    } else {
        disp_summary = glm_dispersion(g, NULL);
    }
    out->with_trend = trend;
    out->phi = phi;
    out->disp_summary = disp_summary;
    return JC_OK;
}

/* Upper bound by the delta method on the power-transformed scale. */
static double farr_upper(double mu0, double se_fit, double phi, detect_powertrans pw,
                         double zq) {
    double tau = phi + se_fit * se_fit / mu0, se, ex;
    switch (pw) {
    case DETECT_POW_NONE: se = sqrt(mu0 * tau); ex = 1; break;
    case DETECT_POW_1_2: se = sqrt(0.25 * tau); ex = 0.5; break;
    default: se = sqrt(4.0 / 9 * pow(mu0, 1.0 / 3) * tau); ex = 2.0 / 3; break;
    }
    double up = pow(pow(mu0, ex) + zq * se, 1 / ex);
    double lo = pow(pow(mu0, ex) - zq * se, 1 / ex);
    /* sort(c(lo, up), na.last = FALSE)[2] */
    if (isnan(lo)) return up;
    if (isnan(up)) return lo;
    return fmax(lo, up);
}

/* ====================================================================== */
/* Farrington classic (algo.farrington, fitGLM.fast)                      */
/* ====================================================================== */

static int64_t years_back(int64_t day, int i);
static int weekday(int64_t days);

/* 1-based position of day in the strictly increasing dates, 0 if absent. */
static size_t find_date(const int64_t *dates, size_t n, int64_t day) {
    size_t l = 0, r = n;
    while (l < r) {
        size_t mid = (l + r) / 2;
        if (dates[mid] < day) l = mid + 1;
        else r = mid;
    }
    return l < n && dates[l] == day ? l + 1 : 0;
}

static jc_err run_farrington(const double *obs, const int64_t *dates, size_t nobs,
                             const detect_params *p,
                             size_t lo, size_t hi, detect_point *out) {
    size_t nref = (size_t)p->b * (2 * (size_t)p->w + 1);
    glm_ws g;
    jc_err e = glm_ws_init(&g, nref);
    if (e) return e;
    double *y = calloc(nref, sizeof(double)), *t = calloc(nref, sizeof(double));
    double *scratch = calloc(2 * nref + 2, sizeof(double));
    if (!y || !t || !scratch) {
        e = JC_ERR_NOMEM;
        goto done;
    }
    double zq = qnorm_std(1 - p->alpha / 2);
    for (size_t k = lo; k <= hi; k++) {
        detect_point *pt = &out[k - lo];
        memset(pt, 0, sizeof *pt);
        pt->pos = (int64_t)k;
        pt->observed = obs[k - 1];
        int n = 0;
        if (dates && p->freq != 12) {
            /* refvalIdxByDate: the same day 1..b years back, +-w weeks (or
             * days), moved to the closest day with the weekday of t0;
             * days that are not in the series are dropped */
            int step = p->freq == 52 ? 7 : 1, wd0 = weekday(dates[k - 1]);
            for (int i = 1; i <= p->b; i++) {
                int64_t ref = years_back(dates[k - 1], i);
                for (int d = -p->w; d <= p->w; d++) {
                    int64_t day = ref + (int64_t)d * step;
                    if (step == 7) {
                        int fwd = ((wd0 - weekday(day)) % 7 + 7) % 7;
                        int bwd = ((weekday(day) - wd0) % 7 + 7) % 7;
                        day += fwd < bwd ? fwd : -bwd;
                    }
                    size_t x = find_date(dates, nobs, day);
                    if (x) {
                        y[n] = obs[x - 1];
                        t[n] = (double)x;
                        n++;
                    }
                }
            }
        } else {
            for (int i = p->b; i >= 1; i--)
                for (long long x = (long long)k - (long long)p->freq * i - p->w;
                     x <= (long long)k - (long long)p->freq * i + p->w; x++)
                    if (x > 0) {
                        y[n] = obs[x - 1];
                        t[n] = (double)x;
                        n++;
                    }
        }
        if (n < 3) { /* too few reference values for a GLM with trend */
            e = JC_ERR_INVALID;
            goto done;
        }
        farr_fit f;
        e = farr_fit_once(&g, n, y, t, NULL, 1, p->trend, p->reweight, 1.0, 0, scratch, &f);
        if (e) goto done;
        int do_trend = 0;
        if (f.with_trend) {
            double pv = glm_pvalue(&g, 1, f.disp_summary);
            double x0[2] = {1, (double)k};
            double mu0hat = exp(glm_eta0(&g, x0));
            double ymax = 0;
            for (int i = 0; i < n; i++) ymax = fmax(ymax, y[i]);
            do_trend = p->b >= 3 && pv < 0.05 && mu0hat <= ymax;
            if (!do_trend) {
                e = farr_fit_once(&g, n, y, t, NULL, 1, 0, p->reweight, 1.0, 0, scratch, &f);
                if (e) goto done;
            }
        }
        double x0[2] = {1, (double)k};
        double eta0 = glm_eta0(&g, x0);
        double mu0 = exp(eta0);
        /* predict.glm(..., dispersion = phi, type = "response", se.fit) */
        double se = sqrt(glm_xvx(&g, x0) * f.phi) * fmax(mu0, DBL_EPSILON);
        double upper = farr_upper(mu0, se, f.phi, p->powertrans, zq);
        double recent = 0;
        for (long long x = (long long)k - p->limit54_period + 1; x <= (long long)k; x++)
            if (x >= 1) recent += obs[x - 1];
        int enough = recent >= p->limit54_cases;
        double X = enough ? (pt->observed - mu0) / (upper - mu0) : 0;
        pt->expected = mu0;
        pt->spread = f.phi;
        pt->stat = X;
        pt->trend = do_trend;
        pt->enough_cases = enough;
        pt->alarm = X > 1;
        pt->upperbound = enough ? upper : 0;
    }
done:
    free(y);
    free(t);
    free(scratch);
    glm_ws_free(&g);
    return e;
}

/* ====================================================================== */
/* farringtonFlexible                                                     */
/* ====================================================================== */

static void civil_from_days(int64_t z, int *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

int64_t detect_days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Weekday 0 = Sunday, as format(x, "%w"). */
static int weekday(int64_t days) { return (int)(((days % 7) + 7 + 4) % 7); }

/* seq(date, by = "-1 year")[i]: the same month and day i years earlier,
 * normalised as mktime does (29 February -> 1 March). */
static int64_t years_back(int64_t day, int i) {
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    return detect_days_from_civil(y - i, m, 1) + (d - 1);
}

/* Assigns v[a..b] (1-based, R's a:b which counts down when b < a). */
static void r_assign(int *v, long long nv, long long a, long long b, int val) {
    long long step = b >= a ? 1 : -1;
    for (long long i = a;; i += step) {
        if (i >= 1 && i <= nv) v[i - 1] = val;
        if (i == b) break;
    }
}

static jc_err run_flexible(const double *obs, const int64_t *dates, size_t nobs,
                           const detect_params *p, size_t lo, size_t hi, detect_point *out) {
    int P = p->no_periods;
    int pw_not = p->past_weeks_not_included < 0 ? p->w : p->past_weeks_not_included;
    glm_ws g;
    jc_err e = glm_ws_init(&g, nobs);
    if (e) return e;
    int *blocks = calloc(nobs, sizeof(int));
    int *season = calloc(nobs, sizeof(int));
    double *y = calloc(nobs, sizeof(double)), *t = calloc(nobs, sizeof(double));
    double *scratch = calloc(2 * nobs + 2, sizeof(double));
    long long *refw = calloc((size_t)p->b + 1, sizeof(long long));
    if (!blocks || !season || !y || !t || !scratch || !refw) {
        e = JC_ERR_NOMEM;
        goto done;
    }
    double zq = qnorm_std(1 - p->alpha);
    for (size_t k = lo; k <= hi; k++) {
        detect_point *pt = &out[k - lo];
        memset(pt, 0, sizeof *pt);
        pt->pos = (int64_t)k;
        pt->observed = obs[k - 1];
        /* reference time points: k and the same week 1..b years back */
        refw[0] = (long long)k;
        for (int i = 1; i <= p->b; i++) {
            if (!dates) {
                refw[i] = (long long)k - (long long)p->freq * i;
                if (refw[i] < 1) {
                    e = JC_ERR_INVALID;
                    goto done;
                }
                continue;
            }
            int64_t ref = years_back(dates[k - 1], i);
            if (p->freq == 52) { /* the closest day with the same weekday */
                int64_t a = ref - (weekday(ref) - weekday(dates[k - 1]));
                int64_t bb = a + (a > ref ? -7 : 7);
                ref = llabs((long long)(a - ref)) > llabs((long long)(bb - ref)) ? bb : a;
            }
            size_t x = find_date(dates, nobs, ref);
            if (!x) {
                e = JC_ERR_INVALID; /* "Some reference time points did not exist" */
                goto done;
            }
            refw[i] = (long long)x;
        }
        /* blocks(): NA = 0, otherwise the season label 1..P */
        for (size_t i = 0; i < nobs; i++) blocks[i] = 0;
        long long now = (long long)k, W = p->w;
        r_assign(blocks, (long long)nobs, now - W, now, P);
        for (int i = 1; i <= p->b; i++) {
            long long rw = refw[i];
            if (rw - W < 0) { /* R stops; an index 0 it silently ignores */
                e = JC_ERR_INVALID;
                goto done;
            }
            r_assign(blocks, (long long)nobs, rw - W, rw + W, P);
            if (P != 1) {
                long long period = refw[i - 1] - 2 * W - 1 - rw;
                if (period < (P - (2 * W + 1))) {
                    e = JC_ERR_INVALID; /* R: "Number of factors too big!" */
                    goto done;
                }
                long long len = period / (P - 1), rest = period % (P - 1);
                long long cum = 0;
                for (int j = 1; j <= P - 1; j++) {
                    long long lj = len + (j <= rest ? 1 : 0);
                    r_assign(blocks, (long long)nobs, rw + W + 1 + cum, rw + W + 1 + cum + lj - 1, j);
                    cum += lj;
                }
            }
        }
        for (long long x = now - pw_not; x <= now; x++)
            if (x >= 1) blocks[x - 1] = 0;
        /* the rows of the GLM */
        int n = 0;
        long long first = -1;
        int present[GLM_MAXP + 1] = {0};
        for (size_t i = 0; i < nobs; i++) {
            if (!blocks[i]) continue;
            if (first < 0) first = (long long)i;
            y[n] = obs[i];
            t[n] = dates ? (double)(dates[i] - dates[first]) / (double)(dates[1] - dates[0])
                         : (double)(i + 1);
            season[n] = blocks[i];
            present[blocks[i]] = 1;
            n++;
        }
        /* seasgroups is a factor of the labels present: renumber them so the
         * first level present is the baseline (treatment contrasts). */
        int map[GLM_MAXP + 1] = {0}, nlev = 0, level_p = 0;
        for (int s = 1; s <= P; s++)
            if (present[s]) map[s] = ++nlev;
        level_p = map[P];
        for (int i = 0; i < n; i++) season[i] = map[season[i]];
        int nseason = P > 1 ? nlev : 1;
        double t0 = dates ? (double)(dates[k - 1] - dates[first]) / (double)(dates[1] - dates[0])
                          : (double)k;
        double x0[GLM_MAXP];
        farr_fit f;
        e = farr_fit_once(&g, n, y, t, season, nseason, p->trend, p->reweight,
                          p->weights_threshold, 1, scratch, &f);
        if (e == JC_ERR_NOTFOUND) goto no_model;
        if (e) goto done;
        int do_trend = 0;
        if (f.with_trend) {
            int c = 0;
            x0[c++] = 1;
            x0[c++] = t0;
            for (int s = 2; s <= nseason; s++) x0[c++] = level_p == s;
            double mu0 = exp(glm_eta0(&g, x0));
            double pv = glm_pvalue(&g, 1, f.disp_summary);
            double ymax = 0;
            for (int i = 0; i < n; i++) ymax = fmax(ymax, y[i]);
            do_trend = p->b >= 3 && pv < p->p_threshold_trend && mu0 <= ymax;
            if (!do_trend) {
                e = farr_fit_once(&g, n, y, t, season, nseason, 0, p->reweight,
                                  p->weights_threshold, 1, scratch, &f);
                if (e == JC_ERR_NOTFOUND) goto no_model;
                if (e) goto done;
            }
        }
        {
            int c = 0;
            x0[c++] = 1;
            if (f.with_trend) x0[c++] = t0;
            for (int s = 2; s <= nseason; s++) x0[c++] = level_p == s;
            double mu0 = exp(glm_eta0(&g, x0));
            /* R quirk: predict.glm gets no dispersion argument (it sits in
             * newdata), so se uses summary.glm's dispersion of the model
             * whose weights were replaced by omega. */
            double se = sqrt(glm_xvx(&g, x0) * f.disp_summary) * fmax(mu0, DBL_EPSILON);
            double upper = farr_upper(mu0, se, f.phi, p->powertrans, zq);
            double recent = 0;
            for (long long x = (long long)k - p->limit54_period + 1; x <= (long long)k; x++)
                if (x >= 1) recent += obs[x - 1];
            int enough = recent >= p->limit54_cases;
            double X = enough && !isnan(upper) ? (pt->observed - mu0) / (upper - mu0) : NAN;
            pt->expected = mu0; /* R reports NA when !enough; kept for explanations */
            pt->spread = f.phi;
            pt->stat = X;
            pt->trend = do_trend;
            pt->enough_cases = enough;
            pt->alarm = !isnan(X) && X > 1 && pt->observed != 0;
            pt->upperbound = enough ? upper : NAN;
        }
        continue;
    no_model:
        e = JC_OK;
        pt->expected = pt->spread = pt->stat = pt->upperbound = NAN;
        pt->alarm = -1; /* R: alarm NA, "the model could not converge" */
    }
done:
    free(blocks);
    free(season);
    free(y);
    free(t);
    free(scratch);
    free(refw);
    glm_ws_free(&g);
    return e;
}

/* ====================================================================== */
/* Entry point and explanations                                           */
/* ====================================================================== */

jc_err detect_run(const double *counts, const int64_t *dates, size_t n, const detect_params *p,
                  size_t range_start, size_t range_end, detect_point *out, size_t *out_n) {
    *out_n = 0;
    if (!counts || !p || !out || check_params(p)) return JC_ERR_INVALID;
    for (size_t i = 0; i < n; i++)
        if (!(counts[i] >= 0) || !isfinite(counts[i])) return JC_ERR_INVALID;
    if (dates)
        for (size_t i = 1; i < n; i++)
            if (dates[i] <= dates[i - 1]) return JC_ERR_INVALID;
    if (!range_start) range_start = detect_default_range_start(p, n);
    if (!range_end) range_end = n;
    if (!range_start || range_start > range_end || range_end > n) return JC_ERR_INVALID;
    if (range_start <= history_needed(p)) return JC_ERR_INVALID;
    jc_err e = JC_OK;
    switch (p->method) {
    case DETECT_EARS_C1:
    case DETECT_EARS_C2:
    case DETECT_EARS_C3: run_ears(counts, p, range_start, range_end, out); break;
    case DETECT_CUSUM: run_cusum(counts, p, range_start, range_end, out); break;
    case DETECT_FARRINGTON:
        e = run_farrington(counts, dates, n, p, range_start, range_end, out);
        break;
    case DETECT_FARRINGTON_FLEX:
        if (dates && n < 2) return JC_ERR_INVALID;
        e = run_flexible(counts, dates, n, p, range_start, range_end, out);
        break;
    }
    if (e) return e;
    *out_n = range_end - range_start + 1;
    return JC_OK;
}

int detect_explain(const detect_point *pt, const detect_params *p, char *buf, size_t bufsz) {
    const char *verdict = pt->alarm ? "WARNING" : "no warning";
    const char *cmp = pt->alarm ? ">" : "<=";
    switch (p->method) {
    case DETECT_EARS_C1:
    case DETECT_EARS_C2:
    case DETECT_EARS_C3:
        return snprintf(buf, bufsz,
                        "%s at %lld: observed %g %s upperbound %.4g; %s baseline of %d periods%s: "
                        "mean %.4g, sd %.4g, C = %.3g, alpha %g, minSigma %g",
                        verdict, (long long)pt->pos, pt->observed, cmp, pt->upperbound,
                        detect_method_name(p->method), p->baseline,
                        p->method == DETECT_EARS_C1 ? "" : " lagged by 2", pt->expected,
                        pt->spread, pt->stat, p->alpha, p->min_sigma);
    case DETECT_CUSUM:
        return snprintf(buf, bufsz,
                        "%s at %lld: observed %g, reference mean m %.4g, CUSUM %.4g %s h %g "
                        "(k %g, trans %s); upperbound %.4g",
                        verdict, (long long)pt->pos, pt->observed, pt->expected, pt->stat,
                        pt->alarm ? ">=" : "<", p->h, p->k, trans_names[p->trans],
                        pt->upperbound);
    default:
        if (!pt->enough_cases && p->method == DETECT_FARRINGTON)
            return snprintf(buf, bufsz,
                            "no warning at %lld: observed %g; fewer than %d cases in the last %d "
                            "periods (expected %.4g, phi %.4g)",
                            (long long)pt->pos, pt->observed, p->limit54_cases,
                            p->limit54_period, pt->expected, pt->spread);
        if (!pt->enough_cases)
            return snprintf(buf, bufsz,
                            "no warning at %lld: observed %g; fewer than %d cases in the last %d "
                            "periods",
                            (long long)pt->pos, pt->observed, p->limit54_cases,
                            p->limit54_period);
        return snprintf(buf, bufsz,
                        "%s at %lld: observed %g %s upperbound %.4g; %s expected %.4g, "
                        "overdispersion phi %.4g, %s, score %.3g, b %d, w %d, alpha %g",
                        verdict, (long long)pt->pos, pt->observed, cmp, pt->upperbound,
                        detect_method_name(p->method), pt->expected, pt->spread,
                        pt->trend ? "with time trend" : "no time trend", pt->stat, p->b,
                        p->w, p->alpha);
    }
}

/* ====================================================================== */
/* CSV input                                                              */
/* ====================================================================== */

#define FIELD_MAX 64

typedef struct {
    int row;            /* 0 = header */
    int col;            /* column within the row */
    int c_idx, c_date, c_count, ncols;
    char cur[3][FIELD_MAX + 1]; /* idx, date, count of the current row */
    int seen[3];
    detect_series *s;
    size_t alloc;
    jc_err err;
    char *msg;
    size_t msgsz;
} csv_state;

static void csv_fail(csv_state *st, jc_err e, const char *fmt, ...) JC_PRINTF(3, 4);
static void csv_fail(csv_state *st, jc_err e, const char *fmt, ...) {
    if (st->err) return;
    st->err = e;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->msg, st->msgsz, fmt, ap);
    va_end(ap);
}

static void csv_field(void *data, size_t len, void *ud) {
    csv_state *st = ud;
    if (st->err) return;
    const char *f = data ? data : "";
    int col = st->col++;
    if (st->row == 0) {
        char name[FIELD_MAX + 1];
        size_t l = len < FIELD_MAX ? len : FIELD_MAX;
        memcpy(name, f, l);
        name[l] = 0;
        /* a UTF-8 byte order mark before the first name */
        if (col == 0 && l >= 3 && !memcmp(name, "\xEF\xBB\xBF", 3)) memmove(name, name + 3, l - 2);
        if (!strcasecmp(name, "idx")) st->c_idx = col;
        else if (!strcasecmp(name, "date")) st->c_date = col;
        else if (!strcasecmp(name, "count")) st->c_count = col;
        return;
    }
    int slot = col == st->c_idx ? 0 : col == st->c_date ? 1 : col == st->c_count ? 2 : -1;
    if (slot < 0) return;
    if (len > FIELD_MAX) {
        csv_fail(st, JC_ERR_INVALID, "line %d: field too long", st->row + 1);
        return;
    }
    memcpy(st->cur[slot], f, len);
    st->cur[slot][len] = 0;
    st->seen[slot] = 1;
}

static int parse_date(const char *s, int64_t *out) {
    int y, m, d, n = 0;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10) return -1;
    if (m < 1 || m > 12 || d < 1 || d > 31) return -1;
    int64_t days = detect_days_from_civil(y, m, d);
    int yy, mm, dd;
    civil_from_days(days, &yy, &mm, &dd);
    if (yy != y || mm != m || dd != d) return -1; /* 2021-02-30 */
    *out = days;
    return 0;
}

static void csv_row(int c, void *ud) {
    (void)c;
    csv_state *st = ud;
    if (st->err) return;
    int line = st->row + 1;
    if (st->row == 0) {
        st->ncols = st->col;
        if (st->c_idx < 0 || st->c_count < 0)
            csv_fail(st, JC_ERR_INVALID,
                     "line %d: header must name the columns idx,count or idx,date,count",
                     line);
        st->row++;
        st->col = 0;
        return;
    }
    detect_series *s = st->s;
    if (!st->seen[0] || !st->seen[2] || (st->c_date >= 0 && !st->seen[1])) {
        csv_fail(st, JC_ERR_INVALID, "line %d: missing field", line);
        return;
    }
    if (s->n >= DETECT_MAX_ROWS) {
        csv_fail(st, JC_ERR_TOOBIG, "line %d: more than the maximum number of rows", line);
        return;
    }
    if (s->n == st->alloc) {
        size_t na = st->alloc ? st->alloc * 2 : 256;
        int64_t *ni = realloc(s->idx, na * sizeof *ni);
        if (ni) s->idx = ni;
        double *nc = realloc(s->counts, na * sizeof *nc);
        if (nc) s->counts = nc;
        int64_t *nd = s->dates;
        if (st->c_date >= 0) {
            nd = realloc(s->dates, na * sizeof *nd);
            if (nd) s->dates = nd;
        }
        if (!ni || !nc || (st->c_date >= 0 && !nd)) {
            csv_fail(st, JC_ERR_NOMEM, "line %d: out of memory", line);
            return;
        }
        st->alloc = na;
    }
    int64_t idx, cnt;
    if (jc_parse_i64(st->cur[0], &idx) || !isdigit((unsigned char)st->cur[0][0])) {
        csv_fail(st, JC_ERR_INVALID, "line %d: idx '%s' is not a whole number", line, st->cur[0]);
        return;
    }
    if (s->n > 0 && idx != s->idx[s->n - 1] + 1) {
        csv_fail(st, JC_ERR_INVALID, "line %d: idx %s does not follow the previous row by 1",
                 line, st->cur[0]);
        return;
    }
    if (jc_parse_i64(st->cur[2], &cnt) || !(isdigit((unsigned char)st->cur[2][0]) || st->cur[2][0] == '-')) {
        csv_fail(st, JC_ERR_INVALID, "line %d: count '%s' is not a whole number", line, st->cur[2]);
        return;
    }
    if (cnt < 0 || cnt > ((int64_t)1 << 52)) {
        csv_fail(st, JC_ERR_INVALID, "line %d: count %s is negative or too large", line, st->cur[2]);
        return;
    }
    if (st->c_date >= 0) {
        if (parse_date(st->cur[1], &s->dates[s->n])) {
            csv_fail(st, JC_ERR_INVALID, "line %d: date '%s' is not YYYY-MM-DD", line, st->cur[1]);
            return;
        }
        if (s->n > 0 && s->dates[s->n] <= s->dates[s->n - 1]) {
            csv_fail(st, JC_ERR_INVALID, "line %d: date %s does not increase", line, st->cur[1]);
            return;
        }
    }
    s->idx[s->n] = idx;
    s->counts[s->n] = (double)cnt;
    s->n++;
    st->row++;
    st->col = 0;
    memset(st->seen, 0, sizeof st->seen);
}

void detect_series_free(detect_series *s) {
    if (!s) return;
    free(s->idx);
    free(s->counts);
    free(s->dates);
    memset(s, 0, sizeof *s);
}

jc_err detect_series_parse_csv(const char *text, size_t len, detect_series *out, char *err,
                               size_t errsz) {
    char dummy[1];
    if (!err || !errsz) {
        err = dummy;
        errsz = sizeof dummy;
    }
    err[0] = 0;
    memset(out, 0, sizeof *out);
    struct csv_parser cp;
    if (csv_init(&cp, CSV_APPEND_NULL) != 0) return JC_ERR_NOMEM;
    csv_state st = {.c_idx = -1, .c_date = -1, .c_count = -1, .s = out, .msg = err, .msgsz = errsz};
    if (csv_parse(&cp, text, len, csv_field, csv_row, &st) != len && !st.err)
        csv_fail(&st, JC_ERR_INVALID, "line %d: malformed CSV", st.row + 1);
    csv_fini(&cp, csv_field, csv_row, &st);
    csv_free(&cp);
    if (!st.err && st.row == 0)
        csv_fail(&st, JC_ERR_INVALID, "line %d: empty input, expected a header row", 1);
    if (!st.err && out->n == 0)
        csv_fail(&st, JC_ERR_INVALID, "line %d: no data rows after the header", 2);
    if (st.err) {
        detect_series_free(out);
        return st.err;
    }
    return JC_OK;
}
