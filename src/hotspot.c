/*
 * hotspot.c -- ranking areas by the improbability of their current count
 * (see hotspot.h for the method).  Tail probabilities come from the
 * regularised incomplete gamma (Poisson) and beta (negative binomial)
 * functions of dist.c.
 */
#include "hotspot.h"
#include "dist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tail probabilities -------------------------------------------------- */

double hotspot_ppois_upper(double x, double mean) {
    if (x <= 0) return 1;
    if (mean <= 0) return 0;
    return dist_gamma_p(ceil(x), mean); /* P(X >= k) = P(k, mean) */
}

double hotspot_pnbinom_upper(double x, double size, double mean) {
    if (x <= 0) return 1;
    if (mean <= 0) return 0;
    double prob = size / (size + mean);   /* success probability */
    return dist_beta_reg(1 - prob, ceil(x), size); /* P(X >= k) = I_{1-p}(k, size) */
}

/* ---- scoring --------------------------------------------------------------- */

void hotspot_params_default(hotspot_params *p) {
    p->neighbour_weight = 0.5;
    p->alpha = 0.05;
    p->correction = HOTSPOT_FDR_BH;
    p->min_count = 3;
    p->nb = 1;
}

static int by_rank(const void *a, const void *b) {
    const hotspot_result *x = a, *y = b;
    if (x->p_value != y->p_value) return x->p_value < y->p_value ? -1 : 1;
    double rx = x->observed / x->expected, ry = y->observed / y->expected;
    if (rx != ry) return rx > ry ? -1 : 1;
    return x->area < y->area ? -1 : x->area > y->area;
}

static void mean_var(const double *h, size_t n, double *mean, double *var) {
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++) s += h[i];
    *mean = n ? s / (double)n : NAN;
    for (size_t i = 0; i < n; i++) ss += (h[i] - *mean) * (h[i] - *mean);
    *var = n > 1 ? ss / (double)(n - 1) : NAN;
}

jc_err hotspot_score(const hotspot_area *areas, size_t n, const hotspot_params *p,
                     hotspot_result *out) {
    if (!p || (n && (!areas || !out))) return JC_ERR_INVALID;
    if (!(p->neighbour_weight >= 0 && p->neighbour_weight <= 1) || !(p->alpha > 0 && p->alpha < 1) ||
        !(p->min_count >= 0) || (p->correction != HOTSPOT_BONFERRONI && p->correction != HOTSPOT_FDR_BH))
        return JC_ERR_INVALID;
    for (size_t a = 0; a < n; a++) {
        const hotspot_area *ar = &areas[a];
        if (!(ar->current >= 0) || !isfinite(ar->current)) return JC_ERR_INVALID;
        if (ar->nhist && !ar->history) return JC_ERR_INVALID;
        if (ar->nneigh && !ar->neighbours) return JC_ERR_INVALID;
        for (size_t i = 0; i < ar->nhist; i++)
            if (!(ar->history[i] >= 0) || !isfinite(ar->history[i])) return JC_ERR_INVALID;
        for (size_t i = 0; i < ar->nneigh; i++)
            if (ar->neighbours[i] >= n) return JC_ERR_INVALID;
    }
    double *own = malloc((n ? n : 1) * sizeof *own), *var = malloc((n ? n : 1) * sizeof *var);
    if (!own || !var) {
        free(own);
        free(var);
        return JC_ERR_NOMEM;
    }
    for (size_t a = 0; a < n; a++) mean_var(areas[a].history, areas[a].nhist, &own[a], &var[a]);
    for (size_t a = 0; a < n; a++) {
        const hotspot_area *ar = &areas[a];
        hotspot_result *r = &out[a];
        memset(r, 0, sizeof *r);
        r->area = a;
        r->observed = ar->current;
        r->own_rate = own[a];
        double nsum = 0;
        size_t nn = 0, windows = ar->nhist;
        for (size_t i = 0; i < ar->nneigh; i++) {
            size_t b = ar->neighbours[i];
            if (b == a || isnan(own[b])) continue;
            nsum += own[b];
            nn++;
            if (areas[b].nhist > windows) windows = areas[b].nhist;
        }
        r->neighbour_rate = nn ? nsum / (double)nn : NAN;
        double lambda = p->neighbour_weight, e;
        if (isnan(r->own_rate) && isnan(r->neighbour_rate)) e = NAN;
        else if (isnan(r->neighbour_rate)) e = r->own_rate;
        else if (isnan(r->own_rate)) e = r->neighbour_rate;
        else e = (1 - lambda) * r->own_rate + lambda * r->neighbour_rate;
        if (isnan(e)) { /* nothing to compare with: not a hotspot */
            r->expected = NAN;
            r->p_value = 1;
            continue;
        }
        double floor_e = 0.5 / (double)(windows ? windows : 1);
        r->expected = e > floor_e ? e : floor_e;
        /* overdispersion from the area's own past: NB size = m^2 / (v - m) */
        if (p->nb && ar->nhist > 1 && var[a] > own[a] && own[a] > 0) {
            r->size = own[a] * own[a] / (var[a] - own[a]);
            r->p_value = hotspot_pnbinom_upper(r->observed, r->size, r->expected);
        } else {
            r->p_value = hotspot_ppois_upper(r->observed, r->expected);
        }
    }
    free(own);
    free(var);
    qsort(out, n, sizeof *out, by_rank);
    /* adjusted p-values on the sorted list */
    double m = (double)n, running = 1;
    for (size_t i = n; i-- > 0;) {
        double adj;
        if (p->correction == HOTSPOT_BONFERRONI) adj = out[i].p_value * m;
        else {
            adj = out[i].p_value * m / (double)(i + 1);
            if (adj > running) adj = running;
            running = adj;
        }
        out[i].p_adjusted = adj < 1 ? adj : 1;
    }
    for (size_t i = 0; i < n; i++)
        out[i].hotspot = out[i].p_adjusted < p->alpha && out[i].observed >= p->min_count &&
                         !isnan(out[i].expected);
    return JC_OK;
}

int hotspot_explain(const hotspot_result *r, const hotspot_area *areas, const hotspot_params *p,
                    size_t n, char *buf, size_t bufsz) {
    const char *id = areas[r->area].id ? areas[r->area].id : "?";
    if (isnan(r->expected))
        return snprintf(buf, bufsz, "%s: %g cases, no history and no neighbours to compare with", id,
                        r->observed);
    char dist[64];
    if (r->size > 0) snprintf(dist, sizeof dist, "negative binomial (size %.3g)", r->size);
    else snprintf(dist, sizeof dist, "Poisson");
    return snprintf(buf, bufsz,
                    "%s%s: %g cases against %.3g expected (own past %.3g per window, neighbours "
                    "%.3g, weight %.2g); P(X >= %g) = %.3g under %s, %s-adjusted over %zu areas "
                    "%.3g %s alpha %g",
                    id, r->hotspot ? " is a HOTSPOT" : "", r->observed, r->expected, r->own_rate,
                    r->neighbour_rate, p->neighbour_weight, r->observed, r->p_value, dist,
                    p->correction == HOTSPOT_BONFERRONI ? "Bonferroni" : "BH", n, r->p_adjusted,
                    r->p_adjusted < p->alpha ? "<" : ">=", p->alpha);
}
