/* Hodges-Lehmann shift and its Mann-Whitney confidence bound (check_stats.h). */
#include "reports/check_stats.h"

#include <stdlib.h>
#include <string.h>

#include "collector/util/xalloc.h"

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double stats_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), by_value);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The null distribution of U for samples of n and m: P(U = k) for k = 0 .. n*m (malloc'd). */
static double *mwu_pmf(size_t n, size_t m)
{
	/* f[i][j][k]: arrangements of i x's and j y's with k pairs (x, y) where y precedes x. The last
	 * element is an x (preceded by all j y's: k - j) or a y (adds nothing). Kept as one (m+1) x
	 * (nm+1) plane per i, two planes at a time. */
	size_t w = n * m + 1;
	double *prev = xcalloc((m + 1) * w, sizeof(double)), *cur = xcalloc((m + 1) * w, sizeof(double));
	double *pmf = xcalloc(w, sizeof(double)), all = 0;

	for (size_t j = 0; j <= m; j++)
		prev[j * w] = 1; /* no x: one arrangement, U = 0 */
	for (size_t i = 1; i <= n; i++) {
		memset(cur, 0, (m + 1) * w * sizeof(double));
		cur[0] = 1; /* no y */
		for (size_t j = 1; j <= m; j++)
			for (size_t k = 0; k <= i * j; k++)
				cur[j * w + k] = (k >= j ? prev[j * w + k - j] : 0) + cur[(j - 1) * w + k];
		double *t = prev;
		prev = cur;
		cur = t;
	}
	for (size_t k = 0; k < w; k++)
		all += prev[m * w + k];
	for (size_t k = 0; k < w; k++)
		pmf[k] = prev[m * w + k] / all;
	free(prev);
	free(cur);
	return pmf;
}

double stats_mwu_cdf(size_t n, size_t m, size_t u)
{
	double *pmf = mwu_pmf(n, m), below = 0;
	for (size_t k = 0; k <= u && k <= n * m; k++)
		below += pmf[k];
	free(pmf);
	return below > 1 ? 1 : below;
}

/* At most STATS_MAX_N values of a sorted sample, evenly spaced order statistics. */
static size_t thin(double *v, size_t n)
{
	if (n <= STATS_MAX_N)
		return n;
	for (size_t i = 0; i < STATS_MAX_N; i++)
		v[i] = v[(size_t)((double)i * (double)(n - 1) / (STATS_MAX_N - 1) + 0.5)];
	return STATS_MAX_N;
}

int stats_shift(double *base, size_t n, double *cur, size_t m, double confidence, struct shift *out)
{
	memset(out, 0, sizeof(*out));
	if (!n || !m)
		return -1;
	out->base_median = stats_median(base, n);
	out->cur_median = stats_median(cur, m);
	n = thin(base, n);
	m = thin(cur, m);
	size_t nd = n * m, k = 1;
	double *d = xmalloc(nd * sizeof(double));
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < m; j++)
			d[i * m + j] = cur[j] - base[i];
	qsort(d, nd, sizeof(*d), by_value);
	out->estimate = nd % 2 ? d[nd / 2] : (d[nd / 2 - 1] + d[nd / 2]) / 2;
	/* P(shift < d[k-1]) = P(U <= k - 1): the largest k that keeps it within 1 - confidence. */
	double *pmf = mwu_pmf(n, m), alpha = 1 - confidence, err = pmf[0];
	while (k < nd && err + pmf[k] <= alpha + 1e-12)
		err += pmf[k++];
	free(pmf);
	out->lower = d[k - 1];
	out->confidence = 1 - err;
	free(d);
	return 0;
}
