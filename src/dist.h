/*
 * dist.h -- special functions behind the probability distributions used by
 * the statistical modules (detect.c: Student's t; hotspot.c: Poisson and
 * negative binomial tails).
 *
 * Pure functions of doubles with no state of their own.  Each result
 * agrees with R's pbeta / pgamma to ~1e-15 relative for moderate arguments
 * (tests/unit/test_dist.c compares with values printed by R).
 */
#ifndef JC_DIST_H
#define JC_DIST_H

/* Regularised incomplete beta I_x(a, b) = pbeta(x, a, b) in R, for a, b > 0.
 * Returns 0 for x <= 0 and 1 for x >= 1. */
double dist_beta_reg(double x, double a, double b);

/* Regularised lower incomplete gamma P(a, x) = pgamma(x, a) in R, for
 * a > 0.  Returns 0 for x <= 0. */
double dist_gamma_p(double a, double x);

#endif
