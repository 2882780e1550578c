/* The statistics of loopscope check: is the current runs' distribution of a figure worse than the
 * baseline runs' by more than a tolerance? The shift between the two samples is estimated by
 * Hodges and Lehmann's estimator (the median of all differences current - baseline), with a
 * one-sided lower confidence bound taken from the exact null distribution of the Mann-Whitney U
 * statistic: distribution-free, exact for small samples, and deterministic. docs/ci.md explains it. */
#ifndef LOOPSCOPE_REPORTS_CHECK_STATS_H
#define LOOPSCOPE_REPORTS_CHECK_STATS_H

#include <stddef.h>

/* Samples larger than this per side are thinned to it (evenly spaced order statistics) first. */
#define STATS_MAX_N 64

struct shift {
	double base_median, cur_median;
	double estimate;   /* Hodges-Lehmann: median of the differences current - baseline */
	double lower;      /* one-sided lower confidence bound of the shift */
	double confidence; /* the confidence the bound has (>= the one asked for unless too few runs) */
};

/* The median of V (N > 0 values; V is sorted in place). */
double stats_median(double *v, size_t n);

/* P(U <= u) under the null hypothesis, U the Mann-Whitney count of pairs (x, y) with y < x for
 * samples of sizes n and m (no ties). Exact; n + m <= 2 * STATS_MAX_N. */
double stats_mwu_cdf(size_t n, size_t m, size_t u);

/* The shift of CUR (m values) over BASE (n values) with a lower bound at CONFIDENCE (e.g. 0.95):
 * the k-th smallest difference for the largest k whose error P(U <= k - 1) is at most
 * 1 - CONFIDENCE; when even k = 1 errs more (too few runs), k = 1 and out->confidence says what
 * it is. 0, or -1 when a side is empty. BASE and CUR are reordered. */
int stats_shift(double *base, size_t n, double *cur, size_t m, double confidence, struct shift *out);

#endif
